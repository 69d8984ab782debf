//! Faults through parts: an architecture names the model parts that hold a
//! role (`Architecture::parts`), and the harness hands each a fault's
//! beginning and end once. What a fault does to a part is the part's rule
//! (`Station::on_fault`, `Cache::on_fault`, `Impairment::on_fault`); the
//! architecture adds only protocol reactions (`Architecture::on_fault`).

use crate::faults::{Fault, FaultKind};
use crate::model::{Cache, Impairment, Station};
use crate::sim::SimTime;

/// What becomes of work sent to a station while it is down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenDown {
    /// Requests a client sends and re-sends: a partition loses them (the
    /// client times out), a crash holds them until the restart.
    LosesRequests,
    /// Protocol messages that are retransmitted: held until it is back.
    Holds,
    /// Its outage is modelled elsewhere — by the cache it serves (a cache
    /// that is down is absent: reads miss) or by a protocol (a failover
    /// decides when a primary is back, an election when a leader is) — so
    /// only `slow` reaches the station.
    Elsewhere,
}

/// A model part that holds a role, as a fault reaches it.
pub enum Part<'a> {
    /// A server: `slow` (or a schema change's migration at the source)
    /// stretches its service, a crash or partition takes it out as
    /// `WhenDown` says.
    Station(&'a mut Station, WhenDown),
    /// A cache: a crash empties it and, like a partition, makes it absent
    /// until the fault ends; a flush empties it.
    Cache(&'a mut Cache),
    /// A replication path or pipeline: `lag` stalls or slows it; a crash or
    /// partition of the copy it feeds stalls it (a copy that is down
    /// applies nothing meanwhile).
    Path(&'a mut Impairment),
}

impl Part<'_> {
    /// `fault` begins (`begins`) or ends `now` on this part.
    pub fn take(self, fault: &Fault, begins: bool, now: SimTime) {
        match self {
            Part::Station(station, WhenDown::Elsewhere) => {
                if matches!(fault.kind, FaultKind::Slow | FaultKind::SchemaChange) {
                    station.on_fault(fault, begins, true);
                }
            }
            Part::Station(station, when_down) => {
                station.on_fault(fault, begins, when_down == WhenDown::LosesRequests)
            }
            // A partition that leaves clients reaching the cache cuts it
            // off from the system of record only: the architecture says
            // who reaches it (a write-behind split brain).
            Part::Cache(_) if fault.kind == FaultKind::Partition && fault.clients > 0.0 => {}
            Part::Cache(cache) => cache.on_fault(fault.kind, begins, now),
            Part::Path(path) => {
                if fault.kind == FaultKind::Lag || fault.stops() {
                    path.on_fault(fault, begins);
                }
            }
        }
    }
}

//! Failover of an asynchronously replicated primary: a replica is promoted
//! and the system of record becomes what that replica had applied. The
//! commits it had not applied — acknowledged to their clients — are gone
//! (`lost_write`), and reads return the older versions until newer writes
//! come (`stale_read` after failover). What the old primary had shipped and
//! the replicas had not received when it failed never arrives: the
//! architecture starts a new epoch of its replication log then
//! (`ReplicationLog::new_epoch`).

use crate::check::Oracle;
use crate::sim::SimTime;

use super::{Replica, ReplicationLog, VersionedStore};

/// When a replica takes over from a primary that `fault` takes out now:
/// `failover_after` later, if there is a replica and the fault lasts that
/// long; else none (the primary comes back when the fault ends, with
/// nothing lost).
pub fn takeover(
    fault: &crate::faults::Fault,
    now: SimTime,
    failover_after: crate::sim::SimDuration,
    has_replica: bool,
) -> Option<SimTime> {
    let at = now + failover_after;
    (has_replica && at < fault.until()).then_some(at)
}

/// Promotes `replica` in place of the primary of `keys` now: each key the
/// primary had ahead of the replica goes back to the replica's version.
/// Returns the acknowledged writes lost.
pub fn promote(
    store: &mut VersionedStore,
    replica: &Replica,
    keys: impl Iterator<Item = u64>,
    oracle: &mut Oracle,
    now: SimTime,
) -> u64 {
    let mut lost = 0;
    for key in keys {
        let (version, value) = replica.read(key);
        let primary = store.version(key);
        if primary > version {
            store.roll_back(key, version, value, now);
            lost += oracle.rolled_back(key, primary, version, "primary", now);
        }
    }
    lost
}

/// The primary of replication scope `scope` (0, or a shard) fails now and a
/// replica will take over: what it shipped and the replicas had not yet
/// received — of the keys `of` selects — never arrives.
pub fn cut_off<'a>(
    log: &mut ReplicationLog,
    scope: u32,
    replicas: impl IntoIterator<Item = &'a mut Replica>,
    now: SimTime,
    of: impl Fn(u64) -> bool,
) {
    log.new_epoch(scope);
    for r in replicas {
        r.discard_unapplied(now, &of);
    }
}

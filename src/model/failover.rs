//! Failover of an asynchronously replicated primary: a replica is promoted
//! and the system of record becomes what that replica had applied. The
//! commits it had not applied — acknowledged to their clients — are gone
//! (`lost_write`), and reads return the older versions until newer writes
//! come (`stale_read` after failover). What the old primary had shipped and
//! the replicas had not received when it failed never arrives: the
//! architecture starts a new epoch of its replication log then
//! (`ReplicationLog::new_epoch`).
//!
//! A partition that cuts the primary off from the failure detector and the
//! replicas but not from all of its clients leaves two primaries once the
//! replica is promoted: the old one keeps serving its side until the
//! partition heals unless it is fenced (`Fencing`). `Lineages` records
//! what each accepted, and how the split ends. A write-behind cache cut off
//! from the system of record while some clients still reach it is the same
//! split with the cache as the old side (`arch::coordinator`).

use std::collections::{BTreeMap, BTreeSet};

use crate::check::{Oracle, Version};
use crate::sim::SimTime;

use super::{Replica, ReplicationLog, VersionedStore, Write};

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

/// What two primaries accepted during a split brain, from the takeover on
/// (a partition that cut the old primary off from the failure detector and
/// the replicas but not from some of its clients): the keys the winner —
/// the promoted replica — wrote, and the keys the old primary wrote, each
/// with the version it had before the old primary's first write there.
#[derive(Debug, Default)]
pub struct Lineages {
    old: BTreeMap<u64, Version>,
    winner: BTreeSet<u64>,
}

/// How a healed split brain ends: the old primary's writes since the
/// takeover are discarded when it rejoins as a replica of the winner.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resolution {
    /// Acknowledged writes that are gone: the old primary's; for a cache,
    /// the system of record's that its flush overwrote, or its own that
    /// a fencing token refused.
    pub lost: u64,
    /// Keys both primaries wrote: two histories, neither a prefix of the
    /// other; someone must decide by hand what the value is.
    pub diverged: u64,
    /// Keys only the old primary wrote: its writes could be replayed onto
    /// the winner without a conflict (they are discarded all the same).
    pub replayable: u64,
}

impl Lineages {
    /// A commit at a primary after the takeover: at the winner, or at the
    /// old primary.
    pub fn wrote(&mut self, winner: bool, writes: &[Write]) {
        for w in writes {
            if winner {
                self.winner.insert(w.key);
            } else {
                self.old.entry(w.key).or_insert(w.version - 1);
            }
        }
    }

    /// Each key the old side wrote, with the version it had before the old
    /// side's first write there and whether the winner wrote it too (the
    /// key diverged).
    pub fn old_side(&self) -> impl Iterator<Item = (u64, Version, bool)> + '_ {
        self.old
            .iter()
            .map(|(&key, &before)| (key, before, self.winner.contains(&key)))
    }

    /// Whether the winner wrote `key`.
    pub fn winner_wrote(&self, key: u64) -> bool {
        self.winner.contains(&key)
    }

    /// The keys the old side wrote, diverged or replayable (nothing lost
    /// yet: the caller says what becomes of the writes).
    pub fn keys(&self) -> Resolution {
        let mut r = Resolution::default();
        for (_, _, diverged) in self.old_side() {
            r.key(diverged);
        }
        r
    }

    /// The partition heals now: the winner's history stands; each write
    /// the old primary (`old`) accepted since the takeover is a lost write
    /// for the oracle, and each key it wrote has diverged or can be replayed.
    pub fn resolve(&self, old: &VersionedStore, oracle: &mut Oracle, now: SimTime) -> Resolution {
        let mut r = Resolution::default();
        for (key, before, diverged) in self.old_side() {
            r.lost += oracle.rolled_back(key, old.version(key), before, "old_primary", now);
            r.key(diverged);
        }
        r
    }
}

impl Resolution {
    /// Counts a key the old side wrote.
    fn key(&mut self, diverged: bool) {
        if diverged {
            self.diverged += 1;
        } else {
            self.replayable += 1;
        }
    }
}

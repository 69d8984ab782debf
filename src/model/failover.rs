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

use super::{Replica, VersionedStore};

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

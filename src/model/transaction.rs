//! What a write operation installs at the system of record, computed at
//! commit under the owning node's row locks: `put` a new value, `rmw` the
//! value its client read plus one (no lock was held since that read),
//! `reserve` the stock as it stands minus one (after a check that may have
//! read a stale copy), `transfer` the amount moved between two accounts when
//! the balance allows — or nothing, when it does not.

use super::{VersionedStore, Write};
use crate::check::{Commit, Oracle, Partner, Version};
use crate::sim::SimTime;
use crate::workload::{OpKind, Operation};

/// The (key, value) pairs a commit installs: none, one or two.
#[derive(Clone, Copy, Debug, Default)]
pub struct Plan {
    pub writes: [(u64, i64); 2],
    pub len: usize,
}

impl Plan {
    fn one(key: u64, value: i64) -> Plan {
        Plan {
            writes: [(key, value), (0, 0)],
            len: 1,
        }
    }

    pub fn writes(&self) -> &[(u64, i64)] {
        &self.writes[..self.len]
    }
}

/// The plan of `op` against the committed state of `store`; `read_value`
/// is what an `rmw` read.
pub fn plan(op: &Operation, read_value: i64, store: &VersionedStore, amount: i64) -> Plan {
    match op.kind {
        // A blind write; its value is its version, unique per key.
        OpKind::Put => Plan::one(op.key, i64::from(store.version(op.key)) + 1),
        OpKind::Rmw => Plan::one(op.key, read_value + 1),
        // UPDATE stock = stock - 1, on whatever the stock is now.
        OpKind::Reserve => Plan::one(op.key, store.value(op.key) - 1),
        OpKind::Transfer => {
            let (from, to) = (op.key, op.other);
            if from != to && store.value(from) >= amount {
                Plan {
                    writes: [
                        (from, store.value(from) - amount),
                        (to, store.value(to) + amount),
                    ],
                    len: 2,
                }
            } else {
                Plan::default()
            }
        }
        _ => unreachable!("only writes commit"),
    }
}

/// Installs `plan` in `store` now, as one atomic commit, and tells the
/// oracle (with the transaction partner of a two-key commit and the version
/// an `rmw` read). Returns the writes with their versions.
pub fn install(
    plan: &Plan,
    store: &mut VersionedStore,
    oracle: &mut Oracle,
    op: &Operation,
    rmw_read: Version,
    now: SimTime,
) -> [Write; 2] {
    let mut writes = [Write::default(); 2];
    for (i, (key, value)) in plan.writes().iter().enumerate() {
        writes[i] = Write {
            key: *key,
            version: store.commit(*key, *value, now),
            value: *value,
        };
    }
    let n = plan.len;
    for i in 0..n {
        let w = writes[i];
        let partner = (n == 2).then(|| Partner {
            key: writes[1 - i].key,
            version: writes[1 - i].version,
        });
        oracle.committed(Commit {
            key: w.key,
            version: w.version,
            value: w.value,
            partner,
            rmw_read: (op.kind == OpKind::Rmw).then_some(rmw_read),
            invoked: op.start,
        });
    }
    writes
}

/// The versions a refused transfer read: both accounts as they stand.
pub fn refused_reads(op: &Operation, store: &VersionedStore) -> [Write; 2] {
    [op.key, op.other].map(|key| Write {
        key,
        version: store.version(key),
        value: store.value(key),
    })
}

//! What a write operation installs at the system of record, computed at
//! commit under the owning node's row locks: `put` a new value, `rmw` the
//! value its client read plus one (no lock was held since that read),
//! `reserve` the stock as it stands minus one (after a check that may have
//! read a stale copy), `transfer` the amount moved between two accounts when
//! the balance allows — or nothing, when it does not — and `txn` the amount
//! its paying account pays each of its other accounts, likewise.

use super::{VersionedStore, Write};
use crate::check::{Commit, Oracle, Partner, Version};
use crate::sim::SimTime;
use smallvec::SmallVec;

use crate::workload::{KeySpace, OpKind, Operation};

/// The writes one commit installs, at most [`MAX_TXN_KEYS`](crate::workload::MAX_TXN_KEYS) (a `txn`'s);
/// inline up to two, so only a `txn` over more keys allocates.
pub type Writes = SmallVec<[Write; 2]>;

/// The (key, value) pairs a commit installs: none, one, two (a transfer)
/// or up to [`MAX_TXN_KEYS`](crate::workload::MAX_TXN_KEYS) (a `txn`).
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub writes: SmallVec<[(u64, i64); 2]>,
    /// One leg of a best-effort transaction over several shards: its
    /// writes are linked to the other legs' once every leg has committed
    /// (`Oracle::link_ring`), not to each other.
    pub leg: bool,
}

impl Plan {
    pub fn one(key: u64, value: i64) -> Plan {
        Plan::of(&[(key, value)])
    }

    /// These writes, in this order.
    pub fn of(writes: &[(u64, i64)]) -> Plan {
        Plan {
            writes: SmallVec::from_slice(writes),
            leg: false,
        }
    }

    pub fn writes(&self) -> &[(u64, i64)] {
        &self.writes
    }

    /// How many writes it installs.
    pub fn len(&self) -> usize {
        self.writes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }
}

/// The account `op` debits and by how much, if it moves money: a
/// transfer's payer, or a `txn`'s, which pays each of its other accounts.
pub fn debit(op: &Operation, space: &KeySpace, amount: i64) -> Option<(u64, i64)> {
    match op.kind {
        OpKind::Transfer => Some((op.key, amount)),
        OpKind::Txn => {
            let t = space.txn_keys(op);
            Some((t.payer, amount * (t.keys().len() as i64 - 1)))
        }
        _ => None,
    }
}

/// The plan of `op` against the committed state of `store`; `read_value`
/// is what an `rmw` read.
pub fn plan(
    op: &Operation,
    read_value: i64,
    store: &VersionedStore,
    space: &KeySpace,
    amount: i64,
) -> Plan {
    match op.kind {
        // A blind write; its value is its version, unique per key.
        OpKind::Put | OpKind::Insert => Plan::one(op.key, i64::from(store.version(op.key)) + 1),
        OpKind::Rmw => Plan::one(op.key, read_value + 1),
        // UPDATE stock = stock - 1, on whatever the stock is now.
        OpKind::Reserve => Plan::one(op.key, store.value(op.key) - 1),
        OpKind::Transfer => {
            let (from, to) = (op.key, op.other);
            if from != to && store.value(from) >= amount {
                Plan::of(&[
                    (from, store.value(from) - amount),
                    (to, store.value(to) + amount),
                ])
            } else {
                Plan::default()
            }
        }
        OpKind::Txn => {
            let t = space.txn_keys(op);
            let paid = amount * (t.keys().len() as i64 - 1);
            if store.value(t.payer) < paid {
                return Plan::default();
            }
            let mut plan = Plan::default();
            for &key in t.keys() {
                let change = if key == t.payer { -paid } else { amount };
                plan.writes.push((key, store.value(key) + change));
            }
            plan
        }
        _ => unreachable!("only writes commit"),
    }
}

/// Installs `plan` in `store` now, as one atomic commit, and tells the
/// oracle (with each write's transaction partner, the next write of the
/// commit, cyclically — a reader that sees one write of a multi-key commit
/// and misses another misses some write's partner — and the version an
/// `rmw` read). Returns the writes with their versions.
pub fn install(
    plan: &Plan,
    store: &mut VersionedStore,
    oracle: &mut Oracle,
    op: &Operation,
    rmw_read: Version,
    now: SimTime,
) -> Writes {
    let mut writes = Writes::new();
    for (key, value) in plan.writes() {
        writes.push(Write {
            key: *key,
            version: store.commit(*key, *value, now),
            value: *value,
        });
    }
    let n = plan.len();
    for i in 0..n {
        let w = writes[i];
        let partner = (n >= 2 && !plan.leg).then(|| Partner {
            key: writes[(i + 1) % n].key,
            version: writes[(i + 1) % n].version,
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

/// The versions a refused transfer or `txn` read: its accounts as they
/// stand, and how many.
pub fn refused_reads(op: &Operation, store: &VersionedStore, space: &KeySpace) -> (Writes, usize) {
    let read = |key| Write {
        key,
        version: store.version(key),
        value: store.value(key),
    };
    let writes: Writes = if op.kind == OpKind::Txn {
        space
            .txn_keys(op)
            .keys()
            .iter()
            .map(|&key| read(key))
            .collect()
    } else {
        [read(op.key), read(op.other)].into_iter().collect()
    };
    let n = writes.len();
    (writes, n)
}

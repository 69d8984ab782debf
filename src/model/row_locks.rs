//! Row locks at one system of record (a primary, a shard's primary): a
//! write takes the exclusive lock of every key it writes before it executes
//! and holds them until its commit is durable, as `UPDATE` and `SELECT …
//! FOR UPDATE` do in PostgreSQL and InnoDB. Waiters are granted in arrival
//! order, so updates of a hot row queue behind each other's log flush.
//!
//! A transaction locks its keys in ascending order, one after the other
//! (the application's `ORDER BY id FOR UPDATE`): every wait is for a higher
//! key than any held, so no cycle of waits, and no deadlock, can form.
//!
//! Keys are global ids, so one table serves every shard of a cluster. Only
//! locked keys take memory; they are hashed with FxHash (a few instructions
//! per key, and the same on every run).

use std::collections::VecDeque;

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::metrics::{ComponentStats, Window, round6};
use crate::sim::{SimDuration, SimTime};
use crate::workload::{KeySpace, OpKind, Operation};

/// The keys one write locks: one, two for a transfer, or a `txn`'s (up to
/// [`MAX_TXN_KEYS`](crate::workload::MAX_TXN_KEYS)), ascending.
/// Inline up to two: only a `txn` over more keys allocates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowKeys {
    keys: SmallVec<[u64; 2]>,
}

impl RowKeys {
    pub fn one(key: u64) -> RowKeys {
        RowKeys::ascending(&[key])
    }

    /// Both keys, in ascending order; one when they are the same.
    pub fn two(a: u64, b: u64) -> RowKeys {
        if a == b {
            return RowKeys::one(a);
        }
        RowKeys::ascending(&[a.min(b), a.max(b)])
    }

    /// These distinct keys, already in ascending order.
    pub fn ascending(keys: &[u64]) -> RowKeys {
        debug_assert!(keys.windows(2).all(|w| w[0] < w[1]), "ascending");
        RowKeys {
            keys: SmallVec::from_slice(keys),
        }
    }

    /// The keys operation `op` writes: a transfer's two accounts, a txn's
    /// accounts (`space` lists them), or its key.
    pub fn of(op: &Operation, space: &KeySpace) -> RowKeys {
        match op.kind {
            OpKind::Transfer => RowKeys::two(op.key, op.other),
            OpKind::Txn => RowKeys::ascending(space.txn_keys(op).keys()),
            _ => RowKeys::one(op.key),
        }
    }

    pub fn keys(&self) -> &[u64] {
        &self.keys
    }
}

/// A lock request still waiting: the keys, how many of them are held, and
/// since when it waits.
#[derive(Clone, Debug)]
struct Pending {
    keys: RowKeys,
    held: u8,
    since: SimTime,
}

/// The row locks of a system of record; `J` names a write (an operation).
pub struct RowLocks<J> {
    /// Per locked key: the holder first, then its waiters in arrival order.
    queues: FxHashMap<u64, VecDeque<J>>,
    /// Writes that wait for a lock.
    pending: FxHashMap<J, Pending>,
    /// Emptied queues, kept to reuse their allocation.
    spare: Vec<VecDeque<J>>,
    window: Window,
    /// Lock requests in the window that had to wait, and their total wait.
    waits: u64,
    waited: SimDuration,
}

impl<J: Copy + Eq + std::hash::Hash> RowLocks<J> {
    pub fn new(window: Window) -> RowLocks<J> {
        RowLocks {
            queues: FxHashMap::default(),
            pending: FxHashMap::default(),
            spare: Vec::new(),
            window,
            waits: 0,
            waited: SimDuration::ZERO,
        }
    }

    /// `job` asks for the locks of `keys` now. True when it holds them all
    /// at once; otherwise it waits, and a later [`RowLocks::release`] hands
    /// it back when it has them.
    pub fn lock(&mut self, job: J, keys: RowKeys, now: SimTime) -> bool {
        let p = Pending {
            keys,
            held: 0,
            since: now,
        };
        if self.advance(job, p) {
            true
        } else {
            if self.window.contains(now) {
                self.waits += 1;
            }
            false
        }
    }

    /// Takes `p`'s next keys in order while they are free; true when all are
    /// held, otherwise `job` is queued on the first taken one.
    fn advance(&mut self, job: J, mut p: Pending) -> bool {
        while usize::from(p.held) < p.keys.keys.len() {
            let key = p.keys.keys[usize::from(p.held)];
            let spare = &mut self.spare;
            let queue = self
                .queues
                .entry(key)
                .or_insert_with(|| spare.pop().unwrap_or_default());
            queue.push_back(job);
            if queue.len() > 1 {
                self.pending.insert(job, p);
                return false;
            }
            p.held += 1;
        }
        true
    }

    /// `job`'s commit is durable: it releases the locks of `keys`. Each key's
    /// next waiter takes it; those that now hold all their keys are pushed
    /// to `ready` in the order they were granted.
    pub fn release(&mut self, job: J, keys: RowKeys, now: SimTime, ready: &mut Vec<J>) {
        for &key in keys.keys() {
            let Some(queue) = self.queues.get_mut(&key) else {
                continue;
            };
            debug_assert!(queue.front() == Some(&job), "released by its holder");
            queue.pop_front();
            let Some(&next) = queue.front() else {
                let empty = self.queues.remove(&key).expect("the queue just used");
                self.spare.push(empty);
                continue;
            };
            let mut p = self.pending.remove(&next).expect("a waiter is pending");
            p.held += 1;
            let since = p.since;
            if self.advance(next, p) {
                if self.window.contains(since) {
                    self.waited = self.waited + (now - since);
                }
                ready.push(next);
            }
        }
    }

    /// Adds the lock waits to the figures of the node holding the locks.
    pub fn annotate(&self, stats: &mut ComponentStats) {
        stats.lock_waits = Some(self.waits);
        stats.lock_wait_mean_ms = self.mean_wait_ms().map(round6);
    }

    /// Lock requests in the window that waited for another write's lock.
    #[cfg(test)]
    fn waits(&self) -> u64 {
        self.waits
    }

    /// Their mean wait in milliseconds (none without waits).
    fn mean_wait_ms(&self) -> Option<f64> {
        (self.waits > 0).then(|| self.waited.as_secs_f64() * 1e3 / self.waits as f64)
    }

    /// Writes holding or waiting for a lock (none when the run has drained).
    #[cfg(test)]
    fn is_idle(&self) -> bool {
        self.queues.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_millis(ms)
    }

    fn locks() -> RowLocks<u32> {
        RowLocks::new(Window::new(SimDuration::ZERO, SimDuration::from_secs(1000)))
    }

    #[test]
    fn a_second_writer_of_a_row_waits_for_the_first_to_commit() {
        let mut l = locks();
        assert!(l.lock(1, RowKeys::one(7), t(0)));
        assert!(!l.lock(2, RowKeys::one(7), t(1)));
        assert!(l.lock(3, RowKeys::one(8), t(1)), "another row is free");
        let mut ready = Vec::new();
        l.release(1, RowKeys::one(7), t(5), &mut ready);
        assert_eq!(ready, vec![2]);
        assert_eq!(l.waits(), 1);
        assert_eq!(l.mean_wait_ms(), Some(4.0));
        ready.clear();
        l.release(2, RowKeys::one(7), t(6), &mut ready);
        l.release(3, RowKeys::one(8), t(6), &mut ready);
        assert!(ready.is_empty() && l.is_idle());
    }

    #[test]
    fn crossed_transfers_lock_in_key_order_and_cannot_deadlock() {
        let mut l = locks();
        // 1 moves 5 → 9, 2 moves 9 → 5: both lock 5 first.
        assert!(l.lock(1, RowKeys::two(5, 9), t(0)));
        assert!(!l.lock(2, RowKeys::two(9, 5), t(0)));
        // 3 wants only 9, which 2 does not hold yet: it waits behind 1.
        assert!(!l.lock(3, RowKeys::one(9), t(0)));
        let mut ready = Vec::new();
        l.release(1, RowKeys::two(5, 9), t(2), &mut ready);
        // 2 took 5 but queues for 9 behind 3; 3 has 9.
        assert_eq!(ready, vec![3]);
        ready.clear();
        l.release(3, RowKeys::one(9), t(3), &mut ready);
        assert_eq!(ready, vec![2]);
        ready.clear();
        l.release(2, RowKeys::two(5, 9), t(4), &mut ready);
        assert!(ready.is_empty() && l.is_idle());
    }
}

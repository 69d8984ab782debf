//! A lock table: shared and exclusive locks per key, granted in request
//! order, held by transactions until they release them all at once (strict
//! two-phase locking).
//!
//! Two ways to meet a conflict:
//! - [`Conflict::Wait`]: the request queues until the holders release (the
//!   caller arms its own `lock_timeout`, and calls [`LockTable::cancel`] when
//!   it fires). Waits can close a cycle — a deadlock across shards no shard
//!   sees alone — which [`LockTable::acquire`] reports so it can be counted;
//!   the timeout resolves it.
//! - [`Conflict::WaitDie`]: an older transaction (smaller age stamp) waits
//!   for younger holders and younger requests queued ahead of it; a younger
//!   one dies at once and is retried with its original stamp, so it ages
//!   and eventually wins (Rosenkrantz, Stearns, Lewis 1978). Every wait is
//!   of an older transaction for a younger one, so no cycle can form.
//!
//! Keys are global ids, so one table serves every shard or partition; only
//! keys with holders or waiters take memory.

use std::collections::VecDeque;

use rustc_hash::{FxHashMap, FxHashSet};

/// Transactions a deadlock search visits at most.
pub const CYCLE_SEARCH: usize = 64;

/// A transaction's id, unique over the run.
pub type TxnId = u64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Shared,
    Exclusive,
}

impl Mode {
    fn compatible(self, other: Mode) -> bool {
        self == Mode::Shared && other == Mode::Shared
    }
}

/// What to do when a lock is held in a conflicting mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Conflict {
    Wait,
    WaitDie,
}

/// The answer to a lock request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acquire {
    Granted,
    /// Queued behind the holders; `deadlock` when the wait closes a cycle
    /// of waiting transactions.
    Waiting {
        deadlock: bool,
    },
    /// Wait-die: younger than a holder, the requester must abort.
    Die,
}

#[derive(Clone, Copy, Debug)]
struct Request {
    txn: TxnId,
    mode: Mode,
}

#[derive(Default, Debug)]
struct KeyLock {
    holders: Vec<(TxnId, Mode, u64)>,
    queue: VecDeque<(Request, u64)>,
}

#[derive(Default)]
pub struct LockTable {
    keys: FxHashMap<u64, KeyLock>,
    /// The keys each waiting transaction waits for.
    waiting: FxHashMap<TxnId, Vec<u64>>,
    /// The deadlock search's work list and visited set, kept between
    /// searches so a wait allocates nothing.
    stack: Vec<TxnId>,
    seen: FxHashSet<TxnId>,
}

impl LockTable {
    /// `txn` (age stamp `age`: smaller is older) asks for `key` in `mode`.
    pub fn acquire(
        &mut self,
        key: u64,
        txn: TxnId,
        mode: Mode,
        age: u64,
        conflict: Conflict,
    ) -> Acquire {
        let lock = self.keys.entry(key).or_default();
        let sole = lock.holders.len() == 1;
        if let Some(h) = lock.holders.iter_mut().find(|h| h.0 == txn) {
            if h.1 == Mode::Exclusive || mode == Mode::Shared || sole {
                if mode == Mode::Exclusive {
                    h.1 = Mode::Exclusive;
                }
                return Acquire::Granted;
            }
        }
        let free = lock.queue.is_empty()
            && lock
                .holders
                .iter()
                .all(|&(h, m, _)| h == txn || mode.compatible(m));
        if free {
            lock.holders.push((txn, mode, age));
            return Acquire::Granted;
        }
        // Wait-die: wait only for younger transactions. A request queued
        // ahead is waited for too (it is granted first), so an older one
        // there is as fatal as an older holder.
        let older = |a: u64| a < age;
        if conflict == Conflict::WaitDie
            && (lock.holders.iter().any(|h| older(h.2)) || lock.queue.iter().any(|q| older(q.1)))
        {
            return Acquire::Die;
        }
        lock.queue.push_back((Request { txn, mode }, age));
        self.waiting.entry(txn).or_default().push(key);
        let deadlock = conflict == Conflict::Wait && self.closes_cycle(txn);
        Acquire::Waiting { deadlock }
    }

    /// Whether `start`'s wait closes a cycle: some transaction it waits for
    /// waits, directly or through others, for `start`. A request waits for
    /// the one queued just ahead of it (granted before it), and the head of
    /// the queue for the holders: the same reachability as waiting for all
    /// of them, with one edge per request. The search stops after
    /// [`CYCLE_SEARCH`] transactions and does not follow a request queued
    /// deeper than that: deadlocks are short cycles, and a saturated lock's
    /// queue can hold thousands of waiters.
    fn closes_cycle(&mut self, start: TxnId) -> bool {
        let (stack, seen) = (&mut self.stack, &mut self.seen);
        stack.clear();
        seen.clear();
        stack.push(start);
        while let Some(t) = stack.pop() {
            if seen.len() > CYCLE_SEARCH {
                return false;
            }
            for key in self.waiting.get(&t).into_iter().flatten() {
                let lock = &self.keys[key];
                let at = lock
                    .queue
                    .iter()
                    .take(CYCLE_SEARCH)
                    .position(|(r, _)| r.txn == t);
                let (holders, queued) = match at {
                    Some(0) => (&lock.holders[..], None),
                    Some(i) => (&[][..], Some(lock.queue[i - 1].0.txn)),
                    // Deeper in the queue than the search goes.
                    None => continue,
                };
                for other in holders.iter().map(|h| h.0).chain(queued) {
                    if other == start {
                        return true;
                    }
                    if other != t && seen.insert(other) {
                        stack.push(other);
                    }
                }
            }
        }
        false
    }

    /// Releases every lock `txn` holds on `keys` (and drops its waits on
    /// them). Requests now granted are appended to `granted` as
    /// (transaction, key), in grant order.
    pub fn release(&mut self, txn: TxnId, keys: &[u64], granted: &mut Vec<(TxnId, u64)>) {
        for &key in keys {
            self.cancel(key, txn, granted);
            let Some(lock) = self.keys.get_mut(&key) else {
                continue;
            };
            lock.holders.retain(|h| h.0 != txn);
            self.grant(key, granted);
        }
    }

    /// Withdraws `txn`'s waiting request for `key` (its lock timeout fired);
    /// requests behind it may now be granted. Returns whether it was waiting.
    pub fn cancel(&mut self, key: u64, txn: TxnId, granted: &mut Vec<(TxnId, u64)>) -> bool {
        let Some(lock) = self.keys.get_mut(&key) else {
            return false;
        };
        let before = lock.queue.len();
        lock.queue.retain(|(r, _)| r.txn != txn);
        let was = lock.queue.len() < before;
        if was {
            stop_waiting(&mut self.waiting, txn, key);
            self.grant(key, granted);
        }
        was
    }

    /// Grants queued requests of `key` in order while they are compatible
    /// with the holders; forgets the key when nobody holds or wants it.
    fn grant(&mut self, key: u64, granted: &mut Vec<(TxnId, u64)>) {
        let lock = self.keys.get_mut(&key).expect("a lock");
        while let Some(&(r, age)) = lock.queue.front() {
            let ok = lock
                .holders
                .iter()
                .all(|&(h, m, _)| h == r.txn || r.mode.compatible(m));
            if !ok {
                break;
            }
            lock.queue.pop_front();
            match lock.holders.iter_mut().find(|h| h.0 == r.txn) {
                Some(h) => h.1 = Mode::Exclusive,
                None => lock.holders.push((r.txn, r.mode, age)),
            }
            stop_waiting(&mut self.waiting, r.txn, key);
            granted.push((r.txn, key));
        }
        if lock.holders.is_empty() && lock.queue.is_empty() {
            self.keys.remove(&key);
        }
    }

    /// Keys with holders or waiters.
    pub fn locked_keys(&self) -> usize {
        self.keys.len()
    }
}

/// `txn` no longer waits for `key`.
fn stop_waiting(waiting: &mut FxHashMap<TxnId, Vec<u64>>, txn: TxnId, key: u64) {
    if let Some(keys) = waiting.get_mut(&txn) {
        keys.retain(|&k| k != key);
        if keys.is_empty() {
            waiting.remove(&txn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Mode::{Exclusive, Shared};

    #[test]
    fn shared_locks_share_and_exclusive_ones_queue_in_order() {
        let mut t = LockTable::default();
        let mut granted = Vec::new();
        assert_eq!(t.acquire(7, 1, Shared, 1, Conflict::Wait), Acquire::Granted);
        assert_eq!(t.acquire(7, 2, Shared, 2, Conflict::Wait), Acquire::Granted);
        let wait = Acquire::Waiting { deadlock: false };
        assert_eq!(t.acquire(7, 3, Exclusive, 3, Conflict::Wait), wait);
        // A later shared request queues behind the exclusive one (no starvation).
        assert_eq!(t.acquire(7, 4, Shared, 4, Conflict::Wait), wait);
        t.release(1, &[7], &mut granted);
        assert!(granted.is_empty());
        t.release(2, &[7], &mut granted);
        assert_eq!(granted, vec![(3, 7)]);
        t.release(3, &[7], &mut granted);
        assert_eq!(granted, vec![(3, 7), (4, 7)]);
        t.release(4, &[7], &mut granted);
        assert_eq!(t.locked_keys(), 0);
    }

    #[test]
    fn crossed_waits_are_a_deadlock_and_cancel_breaks_it() {
        let mut t = LockTable::default();
        let mut granted = Vec::new();
        assert_eq!(
            t.acquire(1, 10, Exclusive, 10, Conflict::Wait),
            Acquire::Granted
        );
        assert_eq!(
            t.acquire(2, 11, Exclusive, 11, Conflict::Wait),
            Acquire::Granted
        );
        assert_eq!(
            t.acquire(2, 10, Exclusive, 10, Conflict::Wait),
            Acquire::Waiting { deadlock: false }
        );
        assert_eq!(
            t.acquire(1, 11, Exclusive, 11, Conflict::Wait),
            Acquire::Waiting { deadlock: true }
        );
        // 11's timeout fires: it withdraws and releases what it holds.
        assert!(t.cancel(1, 11, &mut granted));
        t.release(11, &[2], &mut granted);
        assert_eq!(granted, vec![(10, 2)]);
    }

    #[test]
    fn wait_die_lets_the_older_wait_and_kills_the_younger() {
        let mut t = LockTable::default();
        assert_eq!(
            t.acquire(1, 5, Exclusive, 5, Conflict::WaitDie),
            Acquire::Granted
        );
        assert_eq!(
            t.acquire(1, 9, Exclusive, 9, Conflict::WaitDie),
            Acquire::Die
        );
        assert_eq!(
            t.acquire(1, 2, Exclusive, 2, Conflict::WaitDie),
            Acquire::Waiting { deadlock: false }
        );
        let mut granted = Vec::new();
        t.release(5, &[1], &mut granted);
        assert_eq!(granted, vec![(2, 1)]);
    }

    #[test]
    fn wait_die_counts_the_queue_so_no_cycle_forms() {
        // 7 holds key 1; 3 (older) waits for it; 5 arrives: younger than 3,
        // which will hold the key before it, so 5 dies instead of waiting.
        let mut t = LockTable::default();
        assert_eq!(
            t.acquire(1, 7, Exclusive, 7, Conflict::WaitDie),
            Acquire::Granted
        );
        assert_eq!(
            t.acquire(1, 3, Exclusive, 3, Conflict::WaitDie),
            Acquire::Waiting { deadlock: false }
        );
        assert_eq!(
            t.acquire(1, 5, Exclusive, 5, Conflict::WaitDie),
            Acquire::Die
        );
    }
}

//! A participant of a transaction: its part at one shard or partition — the
//! keys it locks there — and how far it has got: sent, waiting for locks,
//! holding them (executing, prepared, committing), released. Both
//! transactional architectures split an operation into participants the
//! same way and drive them through the same lock table.

use super::locks::{Acquire, Conflict, LockTable, Mode, TxnId};
use crate::sim::{SimDuration, SimTime};
use smallvec::{SmallVec, smallvec};

use crate::workload::{KeySpace, OpKind, Operation};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The request is on its way.
    Sent,
    /// Waiting for locks.
    Waiting,
    /// Holding its locks.
    Locked,
    /// Locks released (committed, aborted, timed out).
    Released,
}

/// What a participant's lock requests came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requested {
    /// Every lock is held.
    Held,
    /// Some wait; `deadlock` when a wait closed a cycle.
    Waiting { deadlock: bool },
    /// Wait-die: a lock is held by an older transaction.
    Died,
}

#[derive(Clone, Debug)]
pub struct Participant {
    /// The shard or partition.
    pub at: u32,
    /// Its keys, locked in this (ascending) order; inline up to two.
    keys: SmallVec<[u64; 2]>,
    granted: u8,
    mode: Mode,
    pub stage: Stage,
    /// When its request arrived (its lock wait starts).
    arrived: SimTime,
    /// When it became prepared: in doubt until the decision reaches it.
    prepared_at: Option<SimTime>,
}

impl Participant {
    /// Since when it has been prepared, if it still is (in doubt).
    pub fn prepared_since(&self) -> Option<SimTime> {
        self.prepared_at
    }

    /// Its part at `at`: one key, two (a transfer) or up to
    /// [`MAX_TXN_KEYS`](crate::workload::MAX_TXN_KEYS) (a `txn`), locked in `mode`.
    pub fn new(at: u32, keys: &[u64], mode: Mode) -> Participant {
        Participant {
            at,
            keys: SmallVec::from_slice(keys),
            granted: 0,
            mode,
            stage: Stage::Sent,
            arrived: SimTime::ZERO,
            prepared_at: None,
        }
    }

    pub fn keys(&self) -> &[u64] {
        &self.keys
    }

    /// Whether it only reads (shared locks).
    pub fn reads(&self) -> bool {
        self.mode == Mode::Shared
    }

    /// The request arrives now: it asks `locks` for every key, as
    /// transaction `t` of age `age`.
    pub fn request(
        &mut self,
        locks: &mut LockTable,
        t: TxnId,
        age: u64,
        conflict: Conflict,
        now: SimTime,
    ) -> Requested {
        self.arrived = now;
        self.stage = Stage::Waiting;
        let (mut deadlock, mut died) = (false, false);
        for &key in &self.keys {
            match locks.acquire(key, t, self.mode, age, conflict) {
                Acquire::Granted => self.granted += 1,
                Acquire::Waiting { deadlock: d } => deadlock |= d,
                Acquire::Die => died = true,
            }
        }
        if died {
            Requested::Died
        } else if usize::from(self.granted) == self.keys.len() {
            Requested::Held
        } else {
            Requested::Waiting { deadlock }
        }
    }

    /// It now holds its locks: how long it waited for them.
    pub fn hold(&mut self, now: SimTime) -> SimDuration {
        self.stage = Stage::Locked;
        now - self.arrived
    }

    /// Its prepare is durable: it is in doubt from now.
    pub fn prepared(&mut self, now: SimTime) {
        self.prepared_at = Some(now);
    }

    /// Releases its locks (and withdraws its waits) now; requests granted
    /// meanwhile go to `granted`. Returns how long it was in doubt, if it
    /// was prepared.
    pub fn release(
        &mut self,
        locks: &mut LockTable,
        t: TxnId,
        now: SimTime,
        granted: &mut Vec<(TxnId, u64)>,
    ) -> Option<SimDuration> {
        if self.stage == Stage::Released {
            return None;
        }
        self.stage = Stage::Released;
        locks.release(t, &self.keys, granted);
        self.prepared_at.take().map(|at| now - at)
    }
}

/// A lock on `key` was granted to a transaction with these participants:
/// the participant that now holds all its locks, if one does.
pub fn granted(parts: &mut [Participant], key: u64) -> Option<u8> {
    let p = parts
        .iter()
        .position(|p| p.stage == Stage::Waiting && p.keys().contains(&key))?;
    let part = &mut parts[p];
    part.granted += 1;
    (usize::from(part.granted) == part.keys.len()).then_some(p as u8)
}

/// The participants of one transaction: inline up to two (every operation
/// but a `txn` spread over more places), on the heap beyond.
#[derive(Clone, Debug)]
pub struct Parts(SmallVec<[Participant; 2]>);

impl Parts {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_slice(&self) -> &[Participant] {
        &self.0
    }

    pub fn as_mut_slice(&mut self) -> &mut [Participant] {
        &mut self.0
    }
}

impl FromIterator<Participant> for Parts {
    fn from_iter<I: IntoIterator<Item = Participant>>(parts: I) -> Parts {
        Parts(parts.into_iter().collect())
    }
}

impl std::ops::Index<u8> for Parts {
    type Output = Participant;

    fn index(&self, p: u8) -> &Participant {
        &self.as_slice()[usize::from(p)]
    }
}

impl std::ops::IndexMut<u8> for Parts {
    fn index_mut(&mut self, p: u8) -> &mut Participant {
        &mut self.as_mut_slice()[usize::from(p)]
    }
}

/// The participants of operation `o`: one per shard or partition its keys
/// live on (`locate`); reads take shared locks. A transfer whose accounts
/// share a place has one participant holding both; a `txn` has one per
/// place its accounts live on, in the order of their lowest keys, each
/// holding its keys in ascending order.
pub fn participants(o: &Operation, space: &KeySpace, locate: impl Fn(u64) -> u32) -> Parts {
    let mode = if matches!(o.kind, OpKind::Get | OpKind::Probe) {
        Mode::Shared
    } else {
        Mode::Exclusive
    };
    if o.kind == OpKind::Txn {
        let txn = space.txn_keys(o);
        let mut places: Vec<(u32, Vec<u64>)> = Vec::new();
        for &key in txn.keys() {
            let at = locate(key);
            match places.iter_mut().find(|(p, _)| *p == at) {
                Some((_, keys)) => keys.push(key),
                None => places.push((at, vec![key])),
            }
        }
        return places
            .iter()
            .map(|(at, keys)| Participant::new(*at, keys, mode))
            .collect();
    }
    let home = locate(o.key);
    if o.kind == OpKind::Transfer {
        let other = locate(o.other);
        if other != home {
            return Parts(smallvec![
                Participant::new(home, &[o.key], mode),
                Participant::new(other, &[o.other], mode),
            ]);
        }
        let keys: &[u64] = if o.key == o.other {
            &[o.key]
        } else {
            &[o.key, o.other]
        };
        return Parts(smallvec![Participant::new(home, keys, mode)]);
    }
    Parts(smallvec![Participant::new(home, &[o.key], mode)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer(from: u64, to: u64) -> Operation {
        Operation {
            kind: OpKind::Transfer,
            key: from,
            other: to,
            session: 0,
            start: SimTime::ZERO,
        }
    }

    #[test]
    fn a_transfer_has_a_participant_per_place() {
        let place = |k: u64| (k % 2) as u32;
        let space = KeySpace::new(&crate::workload::WorkloadConfig::default());
        let parts = participants(&transfer(1, 2), &space, place);
        assert_eq!((parts.len(), parts[0].at, parts[1].at), (2, 1, 0));
        let parts = participants(&transfer(1, 3), &space, place);
        assert_eq!((parts.len(), parts[0].keys()), (1, &[1u64, 3][..]));
    }

    #[test]
    fn locks_held_waited_for_and_released() {
        let mut locks = LockTable::default();
        let mut grants = Vec::new();
        let space = KeySpace::new(&crate::workload::WorkloadConfig::default());
        let mut a = participants(&transfer(1, 3), &space, |_| 0);
        let mut b = participants(&transfer(3, 5), &space, |_| 0);
        let t0 = SimTime(100);
        assert_eq!(
            a[0].request(&mut locks, 1, 1, Conflict::Wait, t0),
            Requested::Held
        );
        assert_eq!(
            b[0].request(&mut locks, 2, 2, Conflict::Wait, t0),
            Requested::Waiting { deadlock: false }
        );
        a[0].prepared(SimTime(150));
        let doubt = a[0].release(&mut locks, 1, SimTime(400), &mut grants);
        assert_eq!(doubt, Some(SimDuration(250)));
        assert_eq!(grants, vec![(2, 3)]);
        assert_eq!(granted(b.as_mut_slice(), 3), Some(0));
        assert_eq!(b[0].hold(SimTime(400)), SimDuration(300));
    }
}

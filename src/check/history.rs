//! Per-key acknowledgements: the newest version acknowledged to a writer,
//! with the instant and writer of the most recent ones.

use crate::sim::SimTime;

/// A version of a key: 0 is the initial value, then 1, 2, … in commit order
/// at the system of record.
pub type Version = u32;

/// How many recent acknowledged versions each key remembers (instant and
/// writer). A read more versions behind than this is still a stale read with
/// the exact depth; its age is then a lower bound and its session check
/// covers only these versions.
pub const REMEMBERED: usize = 4;

/// Which copy answered a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServedBy {
    Primary,
    Cache,
    Replica,
    /// A read quorum of a leaderless store.
    Quorum,
    /// A search index.
    Index,
    /// A CQRS read model fed by an event log.
    ReadModel,
    /// A Raft follower.
    Follower,
}

impl ServedBy {
    pub fn name(self) -> &'static str {
        match self {
            ServedBy::Primary => "primary",
            ServedBy::Cache => "cache",
            ServedBy::Replica => "replica",
            ServedBy::Quorum => "quorum",
            ServedBy::Index => "index",
            ServedBy::ReadModel => "read_model",
            ServedBy::Follower => "follower",
        }
    }
}

/// A completed read, as the oracle checks it.
#[derive(Clone, Copy, Debug)]
pub struct ReadCheck {
    pub key: u64,
    pub session: u32,
    /// `inv(r)`: the read's intended start.
    pub invoked: SimTime,
    /// `comp(r)`: when its answer reached the client.
    pub completed: SimTime,
    /// The newest version acknowledged before `invoked` (from `read_invoked`).
    pub floor: Version,
    /// The version the read returned.
    pub returned: Version,
    pub served_by: ServedBy,
}

/// What a stale read missed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Staleness {
    /// Versions behind the newest acknowledged one.
    pub depth: u32,
    /// `inv(r) − ack` of the first missed version, in ns.
    pub age_ns: u64,
    /// The reader's own session wrote one of the missed versions.
    pub own_write_missed: bool,
}

#[derive(Clone, Copy, Debug, Default)]
struct Acked {
    version: Version,
    at: SimTime,
    session: u32,
}

/// One key's acknowledgements, kept together so a lookup touches one cache line.
#[derive(Clone, Copy, Debug, Default)]
struct KeyState {
    acked_max: Version,
    /// 1 + the index of the key's ring in `rings` (0: never acknowledged),
    /// so memory for the rings grows with the keys actually written.
    ring: u32,
}

/// Acknowledgements per key, in a dense array indexed by key.
pub struct KeyHistory {
    keys: Vec<KeyState>,
    /// The last `REMEMBERED` acknowledgements of a key, newest last.
    rings: Vec<[Acked; REMEMBERED]>,
}

impl KeyHistory {
    pub fn new(keys: u64) -> KeyHistory {
        KeyHistory {
            keys: crate::sim::table::filled(keys, KeyState::default()),
            rings: Vec::new(),
        }
    }

    /// Hints that `key`'s state will be used soon.
    #[inline]
    pub fn prefetch(&self, key: u64) {
        if let Some(k) = self.keys.get(key as usize) {
            crate::sim::prefetch::prefetch_all(k);
        }
    }

    #[inline]
    pub fn acked_max(&self, key: u64) -> Version {
        self.keys[key as usize].acked_max
    }

    pub fn acknowledge(&mut self, key: u64, version: Version, session: u32, at: SimTime) {
        let k = &mut self.keys[key as usize];
        k.acked_max = k.acked_max.max(version);
        if k.ring == 0 {
            self.rings.push([Acked::default(); REMEMBERED]);
            k.ring = u32::try_from(self.rings.len()).expect("fewer than 2^32 keys");
        }
        let ring = &mut self.rings[k.ring as usize - 1];
        ring.rotate_left(1);
        ring[REMEMBERED - 1] = Acked {
            version,
            at,
            session,
        };
    }

    /// `Some` when the read returned a version older than one acknowledged
    /// before it was invoked (ANOMALIES: `stale_read`), with whether one of
    /// the missed versions was the reader's own (`read_your_writes`).
    pub fn check(&self, read: &ReadCheck) -> Option<Staleness> {
        if read.returned >= read.floor {
            return None;
        }
        let ring = self.keys[read.key as usize].ring;
        let missed = self
            .rings
            .get((ring as usize).wrapping_sub(1))
            .into_iter()
            .flatten()
            .filter(|a| a.version > read.returned && a.at < read.invoked);
        let mut first_ack = read.invoked;
        let mut own = false;
        for a in missed {
            first_ack = first_ack.min(a.at);
            own |= a.session == read.session;
        }
        Some(Staleness {
            depth: read.floor - read.returned,
            age_ns: (read.invoked - first_ack).as_nanos(),
            own_write_missed: own,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(returned: Version, floor: Version, session: u32, invoked: u64) -> ReadCheck {
        ReadCheck {
            key: 7,
            session,
            invoked: SimTime(invoked),
            completed: SimTime(invoked),
            floor,
            returned,
            served_by: ServedBy::Replica,
        }
    }

    #[test]
    fn stale_only_against_versions_acknowledged_before_the_read() {
        let mut h = KeyHistory::new(10);
        h.acknowledge(7, 1, 3, SimTime(100));
        h.acknowledge(7, 2, 4, SimTime(200));
        // Invoked at 250 when version 2 was the newest acknowledged.
        let s = h.check(&read(0, 2, 9, 250)).unwrap();
        assert_eq!(s.depth, 2);
        assert_eq!(s.age_ns, 150, "age from the first missed version's ack");
        assert!(!s.own_write_missed);
        // Session 4 wrote version 2: its read of version 1 misses its own write.
        assert!(h.check(&read(1, 2, 4, 250)).unwrap().own_write_missed);
        // Returning the newest acknowledged version, or newer, is fresh.
        assert_eq!(h.check(&read(2, 2, 9, 250)), None);
        assert_eq!(h.check(&read(3, 2, 9, 250)), None);
        // A read invoked before any ack has floor 0 and cannot be stale.
        assert_eq!(h.check(&read(0, 0, 9, 50)), None);
    }
}

//! The system of record's versioned data: every write installs the next
//! version of its key (1, 2, 3, …; 0 is the initial value every copy starts
//! with), and the store remembers when the current version committed. Copies
//! (cache entries, replicas) hold versions of these, so "how many versions
//! behind" is a subtraction and the oracle compares with ground truth.

use crate::check::Version;
use crate::sim::SimTime;

/// One key at the system of record, kept together (one cache line).
#[derive(Clone, Copy, Debug, Default)]
struct Record {
    committed_at: SimTime,
    version: Version,
}

pub struct VersionedStore {
    records: Vec<Record>,
}

impl VersionedStore {
    pub fn new(keys: u64) -> VersionedStore {
        VersionedStore {
            records: vec![Record::default(); keys as usize],
        }
    }

    /// A write of `key` commits now: its new version.
    #[inline]
    pub fn commit(&mut self, key: u64, now: SimTime) -> Version {
        let r = &mut self.records[key as usize];
        r.version += 1;
        r.committed_at = now;
        r.version
    }

    /// The committed version of `key`.
    #[inline]
    pub fn version(&self, key: u64) -> Version {
        self.records[key as usize].version
    }

    /// When the committed version of `key` committed (zero for the initial value).
    #[inline]
    pub fn committed_at(&self, key: u64) -> SimTime {
        self.records[key as usize].committed_at
    }

    /// Hints that `key` will be used soon.
    #[inline]
    pub fn prefetch(&self, key: u64) {
        if let Some(r) = self.records.get(key as usize) {
            super::prefetch::prefetch(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_per_key() {
        let mut s = VersionedStore::new(3);
        assert_eq!(s.commit(1, SimTime(5)), 1);
        assert_eq!(s.commit(1, SimTime(9)), 2);
        assert_eq!(s.commit(2, SimTime(9)), 1);
        assert_eq!((s.version(1), s.committed_at(1)), (2, SimTime(9)));
        assert_eq!(s.version(0), 0);
    }
}

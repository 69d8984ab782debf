//! The system of record's versioned data: every write installs the next
//! version of its key (1, 2, 3, …; 0 is the initial value every copy starts
//! with) and a value (a balance, a stock level, a counter). The store
//! remembers when the current version committed. Copies (cache entries,
//! replicas) hold versions and values of these, so "how many versions
//! behind" is a subtraction and the oracle compares with ground truth.

use crate::check::Version;
use crate::sim::SimTime;
use crate::workload::KeySpace;

/// One key at the system of record, kept together (one cache line).
#[derive(Clone, Copy, Debug, Default)]
struct Record {
    committed_at: SimTime,
    value: i64,
    version: Version,
    /// The highest version ever installed (above `version` after a roll
    /// back): the next write takes the one after it, so a version number
    /// always names one write.
    last: Version,
}

#[derive(Clone)]
pub struct VersionedStore {
    records: Vec<Record>,
}

impl VersionedStore {
    /// Every key of `space` at version 0 with its initial value.
    pub fn new(space: &KeySpace) -> VersionedStore {
        VersionedStore {
            records: space.copies(|value| Record {
                value,
                ..Record::default()
            }),
        }
    }

    /// A write of `key` installing `value` commits now: its new version.
    #[inline]
    pub fn commit(&mut self, key: u64, value: i64, now: SimTime) -> Version {
        let r = &mut self.records[key as usize];
        r.last += 1;
        r.version = r.last;
        r.value = value;
        r.committed_at = now;
        r.version
    }

    /// `key` goes back to `version` with `value` (a failover to a replica
    /// that had applied only that far); the versions above it are gone.
    pub fn roll_back(&mut self, key: u64, version: Version, value: i64, now: SimTime) {
        let r = &mut self.records[key as usize];
        debug_assert!(version <= r.version, "a roll back goes back");
        r.version = version;
        r.value = value;
        r.committed_at = now;
    }

    /// The next write of `key` takes at least version `version + 1`: the
    /// versions up to `version` were issued elsewhere and lost (a
    /// write-behind cache's unflushed writes).
    pub fn skip_to(&mut self, key: u64, version: Version) {
        let r = &mut self.records[key as usize];
        r.last = r.last.max(version);
    }

    /// The committed version of `key`.
    #[inline]
    pub fn version(&self, key: u64) -> Version {
        self.records[key as usize].version
    }

    /// The committed value of `key`.
    #[inline]
    pub fn value(&self, key: u64) -> i64 {
        self.records[key as usize].value
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
            super::prefetch::prefetch_all(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::WorkloadConfig;

    #[test]
    fn versions_increase_per_key_and_values_start_initial() {
        let config = WorkloadConfig {
            keys: 3,
            ..WorkloadConfig::default()
        };
        let space = KeySpace::new(&config);
        let mut s = VersionedStore::new(&space);
        assert_eq!(s.value(space.account(0)), 100);
        assert_eq!(s.commit(1, 10, SimTime(5)), 1);
        assert_eq!(s.commit(1, 11, SimTime(9)), 2);
        assert_eq!(s.commit(2, 7, SimTime(9)), 1);
        assert_eq!(
            (s.version(1), s.value(1), s.committed_at(1)),
            (2, 11, SimTime(9))
        );
        assert_eq!(s.version(0), 0);
    }
}

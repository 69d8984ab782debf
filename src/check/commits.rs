//! Per-key memory of recent commits at the system of record: which
//! transaction partner a version has (for fractured reads), which version a
//! committed read-modify-write had read (for lost updates), and which
//! versions were written by a write that then failed (for dirty reads).
//! A fixed number per key, allocated for keys actually written.

use super::history::Version;

/// Commits remembered per key.
pub const COMMITS_REMEMBERED: usize = 4;

/// The other write of a two-key transaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Partner {
    pub key: u64,
    pub version: Version,
}

#[derive(Clone, Copy, Debug, Default)]
struct CommitNote {
    version: Version,
    partner: Option<Partner>,
    /// For a read-modify-write: the version it had read.
    rmw_read: Option<Version>,
    failed: bool,
}

/// Recent commits per key. Only commits with something to remember (a
/// transaction partner, a read-modify-write's read, a failure) are kept.
pub struct Commits {
    /// 1 + index of the key's ring (0: none yet).
    ring_of: Vec<u32>,
    rings: Vec<[CommitNote; COMMITS_REMEMBERED]>,
    /// Some write has failed (dirty reads are possible at all).
    any_failed: bool,
}

impl Commits {
    pub fn new(keys: u64) -> Commits {
        Commits {
            ring_of: crate::sim::table::filled(keys, 0),
            rings: Vec::new(),
            any_failed: false,
        }
    }

    fn ring(&self, key: u64) -> Option<&[CommitNote; COMMITS_REMEMBERED]> {
        match self.ring_of[key as usize] {
            0 => None,
            i => Some(&self.rings[i as usize - 1]),
        }
    }

    fn push(&mut self, key: u64, note: CommitNote) {
        let slot = &mut self.ring_of[key as usize];
        if *slot == 0 {
            self.rings.push([CommitNote::default(); COMMITS_REMEMBERED]);
            *slot = u32::try_from(self.rings.len()).expect("fewer than 2^32 keys");
        }
        let ring = &mut self.rings[*slot as usize - 1];
        ring.rotate_left(1);
        ring[COMMITS_REMEMBERED - 1] = note;
    }

    /// Records a commit of `version`. For a read-modify-write, returns true
    /// when another committed read-modify-write had read the same version
    /// (a lost update: both overwrote it, one increment is gone).
    pub fn commit(
        &mut self,
        key: u64,
        version: Version,
        partner: Option<Partner>,
        rmw_read: Option<Version>,
    ) -> bool {
        if partner.is_none() && rmw_read.is_none() {
            return false;
        }
        let lost = rmw_read.is_some_and(|read| {
            self.ring(key).is_some_and(|r| {
                r.iter()
                    .any(|n| n.rmw_read == Some(read) && n.version > read)
            })
        });
        self.push(
            key,
            CommitNote {
                version,
                partner,
                rmw_read,
                failed: false,
            },
        );
        lost
    }

    /// A write of `version` reached some copy but failed (aborted, or never
    /// acknowledged as committed): a read of it is a dirty read.
    pub fn failed(&mut self, key: u64, version: Version) {
        self.any_failed = true;
        self.push(
            key,
            CommitNote {
                version,
                partner: None,
                rmw_read: None,
                failed: true,
            },
        );
    }

    /// The partner write of `version`, if remembered.
    pub fn partner(&self, key: u64, version: Version) -> Option<Partner> {
        self.ring(key)?
            .iter()
            .filter(|n| n.version == version && !n.failed)
            .find_map(|n| n.partner)
    }

    /// Whether `version` was written by a write that failed.
    #[inline]
    pub fn is_failed(&self, key: u64, version: Version) -> bool {
        self.any_failed
            && self
                .ring(key)
                .is_some_and(|r| r.iter().any(|n| n.version == version && n.failed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_rmws_that_read_one_version_lose_an_update() {
        let mut c = Commits::new(4);
        assert!(!c.commit(1, 4, None, Some(3)));
        assert!(c.commit(1, 5, None, Some(3)), "both read v3");
        assert!(!c.commit(1, 6, None, Some(5)));
        assert!(!c.commit(2, 1, None, None));
    }

    #[test]
    fn partners_and_failures() {
        let mut c = Commits::new(4);
        c.commit(1, 2, Some(Partner { key: 3, version: 7 }), None);
        assert_eq!(c.partner(1, 2), Some(Partner { key: 3, version: 7 }));
        assert_eq!(c.partner(1, 1), None);
        c.failed(0, 1);
        assert!(c.is_failed(0, 1));
        assert!(!c.is_failed(0, 2));
    }
}

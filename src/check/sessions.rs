//! What each session read recently, for monotonic reads: a session must not
//! read a key at an older version than it read before. A fixed number of
//! recent reads per session (a ring, overwritten oldest first) keeps memory
//! bounded by the session count.

use super::history::Version;

/// Reads remembered per session.
pub const READS_REMEMBERED: usize = 16;

#[derive(Clone, Copy, Default)]
struct Ring {
    /// (key + 1, highest version read); 0 marks an empty slot. Key ids fit
    /// in 32 bits, so a ring is two cache lines.
    slots: [(u32, Version); READS_REMEMBERED],
    next: u8,
}

pub struct SessionReads {
    rings: Vec<Ring>,
}

impl SessionReads {
    pub fn new(sessions: u32) -> SessionReads {
        SessionReads {
            rings: vec![Ring::default(); sessions as usize],
        }
    }

    /// Hints that `session` will read soon.
    #[inline]
    pub fn prefetch(&self, session: u32) {
        if let Some(r) = self.rings.get(session as usize) {
            crate::model::prefetch::prefetch(r);
        }
    }

    /// Session `session` read `version` of `key`; true when it had already
    /// read a newer version of it (a monotonic-reads violation).
    #[inline]
    pub fn read(&mut self, session: u32, key: u64, version: Version) -> bool {
        let ring = &mut self.rings[session as usize];
        let tag = key as u32 + 1;
        if let Some(slot) = ring.slots.iter_mut().find(|(k, _)| *k == tag) {
            let seen = slot.1;
            slot.1 = seen.max(version);
            return version < seen;
        }
        ring.slots[usize::from(ring.next)] = (tag, version);
        ring.next = (ring.next + 1) % READS_REMEMBERED as u8;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn going_back_is_a_violation() {
        let mut s = SessionReads::new(2);
        assert!(!s.read(0, 5, 3));
        assert!(!s.read(1, 5, 1), "another session may read older");
        assert!(s.read(0, 5, 2));
        assert!(!s.read(0, 5, 3));
        assert!(!s.read(0, 5, 4));
        assert!(!s.read(0, 0, 1), "key 0 is a key like any other");
        assert!(s.read(0, 0, 0));
    }
}

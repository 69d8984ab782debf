//! What each session read recently, for monotonic reads: a session must not
//! read a key at an older version than a read of it that completed before
//! this one was invoked. (Reads a session has in flight at once are
//! concurrent: either may see the newer version.) A fixed number of recent
//! reads per session (a ring, overwritten oldest first) keeps memory
//! bounded by the session count.

use super::history::{ReadCheck, Version};
use crate::sim::SimTime;

/// Reads remembered per session.
pub const READS_REMEMBERED: usize = 16;

/// One key a session read: the highest version it read, and when the first
/// read of that version completed.
#[derive(Clone, Copy, Default)]
struct Seen {
    /// Key + 1; 0 marks an empty slot. Key ids fit in 32 bits.
    tag: u32,
    version: Version,
    completed: SimTime,
}

#[derive(Clone, Copy, Default)]
struct Ring {
    slots: [Seen; READS_REMEMBERED],
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
            crate::sim::prefetch::prefetch(r);
        }
    }

    /// A read of the session completed; true when the session had already
    /// read a newer version of the key in a read that completed before this
    /// one was invoked (a monotonic-reads violation).
    #[inline]
    pub fn read(&mut self, read: &ReadCheck) -> bool {
        let ring = &mut self.rings[read.session as usize];
        let tag = read.key as u32 + 1;
        let (version, completed) = (read.returned, read.completed);
        if let Some(slot) = ring.slots.iter_mut().find(|s| s.tag == tag) {
            let violation = version < slot.version && slot.completed <= read.invoked;
            if version > slot.version {
                (slot.version, slot.completed) = (version, completed);
            } else if version == slot.version {
                slot.completed = slot.completed.min(completed);
            }
            return violation;
        }
        ring.slots[usize::from(ring.next)] = Seen {
            tag,
            version,
            completed,
        };
        ring.next = (ring.next + 1) % READS_REMEMBERED as u8;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::ServedBy;

    /// Session `session` read `version` of `key`, invoked at `from` and
    /// answered at `to`.
    fn read(session: u32, key: u64, version: Version, from: u64, to: u64) -> ReadCheck {
        ReadCheck {
            key,
            session,
            invoked: SimTime(from),
            completed: SimTime(to),
            floor: 0,
            returned: version,
            served_by: ServedBy::Primary,
        }
    }

    #[test]
    fn going_back_is_a_violation() {
        let mut s = SessionReads::new(2);
        assert!(!s.read(&read(0, 5, 3, 0, 1)));
        assert!(
            !s.read(&read(1, 5, 1, 2, 3)),
            "another session may read older"
        );
        assert!(s.read(&read(0, 5, 2, 2, 3)));
        assert!(!s.read(&read(0, 5, 3, 4, 5)));
        assert!(!s.read(&read(0, 5, 4, 6, 7)));
        assert!(
            !s.read(&read(0, 0, 1, 8, 9)),
            "key 0 is a key like any other"
        );
        assert!(s.read(&read(0, 0, 0, 10, 11)));
    }

    #[test]
    fn concurrent_reads_of_a_session_may_see_either_version() {
        let mut s = SessionReads::new(1);
        // Invoked at 0, answered at 10 with version 2; a read invoked at 5,
        // while the first was in flight, answers later with version 1.
        assert!(!s.read(&read(0, 7, 2, 0, 10)));
        assert!(!s.read(&read(0, 7, 1, 5, 12)));
        // Invoked after the first answer: it must not go back.
        assert!(s.read(&read(0, 7, 1, 11, 14)));
    }
}

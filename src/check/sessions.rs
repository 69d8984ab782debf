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

/// The keys a session read lately, a slot each: the highest version of it
/// the session read, and when the first read of that version completed.
#[derive(Clone, Copy, Default)]
struct Ring {
    /// Per slot, key + 1; 0 marks an empty slot (key ids fit in 32 bits).
    /// Apart from the rest, in the ring's first cache line, so that a
    /// read's lookup loads one line and compares all sixteen at once:
    /// nearly every read looks for a key its session has not read lately,
    /// and comparing one slot at a time was a third of the oracle's work
    /// per read.
    tags: [u32; READS_REMEMBERED],
    versions: [Version; READS_REMEMBERED],
    completed: [SimTime; READS_REMEMBERED],
    next: u8,
}

impl Ring {
    /// The slot of `tag`, if any (a tag is in one slot at most).
    #[inline]
    fn find(&self, tag: u32) -> Option<usize> {
        let found = matches(&self.tags, tag);
        (found != 0).then(|| found.trailing_zeros() as usize)
    }
}

/// A bit per slot whose tag is `tag`.
#[cfg(target_arch = "x86_64")]
#[inline]
fn matches(tags: &[u32; READS_REMEMBERED], tag: u32) -> u32 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi32, _mm_loadu_si128, _mm_movemask_epi8, _mm_packs_epi16,
        _mm_packs_epi32, _mm_set1_epi32,
    };
    const _: () = assert!(READS_REMEMBERED == 16, "four loads of four tags");
    let p = tags.as_ptr().cast::<__m128i>();
    // SAFETY: SSE2 is part of the x86-64 baseline; the four unaligned loads
    // read the sixteen tags of the array, nothing past it.
    unsafe {
        let needle = _mm_set1_epi32(tag as i32);
        let eq = |i: usize| _mm_cmpeq_epi32(_mm_loadu_si128(p.add(i)), needle);
        // Each equal tag is all ones: packed to one byte per tag, in order.
        let low = _mm_packs_epi32(eq(0), eq(1));
        let high = _mm_packs_epi32(eq(2), eq(3));
        _mm_movemask_epi8(_mm_packs_epi16(low, high)) as u32
    }
}

/// A bit per slot whose tag is `tag`.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn matches(tags: &[u32; READS_REMEMBERED], tag: u32) -> u32 {
    tags.iter()
        .enumerate()
        .fold(0, |m, (i, t)| m | (u32::from(*t == tag) << i))
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
        if let Some(i) = ring.find(tag) {
            let (seen, at) = (&mut ring.versions[i], &mut ring.completed[i]);
            let violation = version < *seen && *at <= read.invoked;
            if version > *seen {
                (*seen, *at) = (version, completed);
            } else if version == *seen {
                *at = (*at).min(completed);
            }
            return violation;
        }
        let next = usize::from(ring.next);
        (ring.tags[next], ring.versions[next], ring.completed[next]) = (tag, version, completed);
        ring.next = (ring.next + 1) % READS_REMEMBERED as u8;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::ServedBy;
    use proptest::prelude::*;

    proptest! {
        /// All sixteen tags compared at once: a bit for each equal one, in
        /// slot order, as one comparison at a time gives.
        #[test]
        fn matches_compares_every_slot(
            tags in proptest::array::uniform16(0u32..6),
            tag in 0u32..6,
        ) {
            let one_by_one = tags
                .iter()
                .enumerate()
                .fold(0u32, |m, (i, t)| m | (u32::from(*t == tag) << i));
            prop_assert_eq!(matches(&tags, tag), one_by_one);
        }
    }

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

//! What each session read recently, for monotonic reads: a session must not
//! read a key at an older version than it read before. A fixed number of
//! recent reads per session keeps memory bounded by the session count.

use super::history::Version;

/// Reads remembered per session.
pub const READS_REMEMBERED: usize = 16;

pub struct SessionReads {
    /// Per session: (key, highest version read), most recent last.
    recent: Vec<Vec<(u64, Version)>>,
}

impl SessionReads {
    pub fn new(sessions: u32) -> SessionReads {
        SessionReads {
            recent: vec![Vec::new(); sessions as usize],
        }
    }

    /// Session `session` read `version` of `key`; true when it had already
    /// read a newer version of it (a monotonic-reads violation).
    pub fn read(&mut self, session: u32, key: u64, version: Version) -> bool {
        let reads = &mut self.recent[session as usize];
        match reads.iter().position(|(k, _)| *k == key) {
            Some(i) => {
                let (_, seen) = reads.remove(i);
                reads.push((key, seen.max(version)));
                version < seen
            }
            None => {
                if reads.len() == READS_REMEMBERED {
                    reads.remove(0);
                }
                reads.push((key, version));
                false
            }
        }
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
    }
}

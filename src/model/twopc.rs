//! Two-phase commit with presumed abort (Mohan, Lindsay, Obermarck, "Transaction
//! management in the R* distributed database management system", TODS 1986),
//! from the coordinator's side: one [`TwoPhaseCommit`] per distributed
//! transaction, fed the participants' votes and acknowledgements, saying
//! what to send and what to force, and counting what the protocol cost.
//!
//! ```text
//! coordinator                         participant i (of n)
//!   PREPARE ─────────────────────────▶ lock, execute, force prepare record
//!          ◀───────────────────────── VOTE yes | no | read-only
//!   all yes: force decision (commit)
//!   COMMIT ──────────────────────────▶ force commit record, release locks
//!          ◀───────────────────────── ACK
//!   all acks: forget the transaction
//! ```
//!
//! Presumed abort: a `no` vote decides abort with no forced record (a
//! coordinator that finds no record presumes abort), the abort goes only to
//! the participants that voted `yes`, and nobody acknowledges it.
//! Read-only participants release their locks at the vote and drop out of
//! phase two. A full commit with n updating participants costs 4n messages
//! and 2n + 1 forced log writes. Participants that voted yes are *in doubt*
//! until the decision reaches them: they hold their locks, whatever befalls
//! the coordinator.

/// A participant's answer to PREPARE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vote {
    /// Prepared: its prepare record is forced and it holds its locks.
    Yes,
    /// It cannot commit (a check failed, a lock wait timed out).
    No,
    /// It wrote nothing: it has released its locks and drops out.
    ReadOnly,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Commit,
    Abort,
}

/// What the protocol cost one transaction (see [`TwoPhaseCommit`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProtocolCost {
    /// PREPARE, VOTE, COMMIT or ABORT, ACK.
    pub messages: u32,
    /// Prepare, decision and commit records forced to a log.
    pub forced_writes: u32,
}

/// The coordinator's state of one transaction over up to 64 participants.
#[derive(Clone, Copy, Debug)]
pub struct TwoPhaseCommit {
    participants: u8,
    voted: u64,
    yes: u64,
    acked: u64,
    decision: Option<Decision>,
    cost: ProtocolCost,
}

impl TwoPhaseCommit {
    /// The coordinator sends PREPARE to `participants` participants.
    pub fn prepare(participants: usize) -> TwoPhaseCommit {
        assert!((1..=64).contains(&participants), "1 to 64 participants");
        TwoPhaseCommit {
            participants: participants as u8,
            voted: 0,
            yes: 0,
            acked: 0,
            decision: None,
            cost: ProtocolCost {
                messages: participants as u32,
                forced_writes: 0,
            },
        }
    }

    /// Participant `p`'s vote arrives. Returns the decision when this vote
    /// settles it: abort at the first `no` (the ABORT goes to the yes voters
    /// so far), commit once every participant has voted `yes` or
    /// `read-only` (the decision record is forced when someone will commit,
    /// and COMMIT goes to the yes voters). A `yes` arriving after an abort
    /// is answered with an ABORT of its own ([`TwoPhaseCommit::decision`]).
    pub fn vote(&mut self, p: usize, vote: Vote) -> Option<Decision> {
        let bit = 1u64 << p;
        if self.voted & bit != 0 {
            return None;
        }
        self.voted |= bit;
        self.cost.messages += 1;
        if vote == Vote::Yes {
            self.yes |= bit;
            self.cost.forced_writes += 1;
        }
        if self.decision.is_some() {
            self.cost.messages += u32::from(vote == Vote::Yes);
            return None;
        }
        if vote == Vote::No {
            self.decision = Some(Decision::Abort);
            self.cost.messages += self.yes.count_ones();
        } else if self.voted.count_ones() == u32::from(self.participants) {
            self.decision = Some(Decision::Commit);
            self.cost.forced_writes += u32::from(self.yes != 0);
            self.cost.messages += self.yes.count_ones();
        }
        self.decision
    }

    /// Whether participant `p` voted yes (phase two must reach it).
    pub fn prepared(&self, p: usize) -> bool {
        self.yes & (1 << p) != 0
    }

    /// Participant `p` forced its commit record and its ACK arrives.
    /// Returns true when every yes voter has acknowledged: the coordinator
    /// forgets the transaction.
    pub fn ack(&mut self, p: usize) -> bool {
        debug_assert_eq!(self.decision, Some(Decision::Commit));
        self.acked |= 1 << p;
        self.cost.messages += 1;
        self.cost.forced_writes += 1;
        self.acked == self.yes
    }

    pub fn decision(&self) -> Option<Decision> {
        self.decision
    }

    /// Participants that voted yes and have not acknowledged: in doubt
    /// until phase two reaches them.
    pub fn in_doubt(&self) -> u32 {
        (self.yes & !self.acked).count_ones()
    }

    pub fn cost(&self) -> ProtocolCost {
        self.cost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_costs_4n_messages_and_2n_plus_1_forced_writes() {
        for n in 1..=5 {
            let mut t = TwoPhaseCommit::prepare(n);
            for p in 0..n - 1 {
                assert_eq!(t.vote(p, Vote::Yes), None);
            }
            assert_eq!(t.vote(n - 1, Vote::Yes), Some(Decision::Commit));
            assert_eq!(t.in_doubt(), n as u32);
            for p in 0..n {
                assert_eq!(t.ack(p), p == n - 1);
            }
            let n = n as u32;
            assert_eq!(
                t.cost(),
                ProtocolCost {
                    messages: 4 * n,
                    forced_writes: 2 * n + 1
                }
            );
        }
    }

    #[test]
    fn presumed_abort_forces_nothing_and_skips_acks() {
        let mut t = TwoPhaseCommit::prepare(3);
        assert_eq!(t.vote(0, Vote::Yes), None);
        assert_eq!(t.vote(1, Vote::No), Some(Decision::Abort));
        // The third participant's yes arrives late: it is told to abort too.
        assert_eq!(t.vote(2, Vote::Yes), None);
        assert!(t.prepared(2));
        // 3 PREPARE + 3 VOTE + 2 ABORT; only the two prepare records forced.
        assert_eq!(
            t.cost(),
            ProtocolCost {
                messages: 8,
                forced_writes: 2
            }
        );
    }

    #[test]
    fn read_only_participants_drop_out_of_phase_two() {
        let mut t = TwoPhaseCommit::prepare(3);
        assert_eq!(t.vote(0, Vote::ReadOnly), None);
        assert_eq!(t.vote(1, Vote::Yes), None);
        assert_eq!(t.vote(2, Vote::ReadOnly), Some(Decision::Commit));
        assert!(!t.prepared(0) && t.prepared(1));
        assert!(t.ack(1));
        // 3 PREPARE + 3 VOTE + 1 COMMIT + 1 ACK; prepare, decision, commit.
        assert_eq!(
            t.cost(),
            ProtocolCost {
                messages: 8,
                forced_writes: 3
            }
        );
        let mut all_read = TwoPhaseCommit::prepare(2);
        all_read.vote(0, Vote::ReadOnly);
        assert_eq!(all_read.vote(1, Vote::ReadOnly), Some(Decision::Commit));
        assert_eq!(all_read.cost().forced_writes, 0, "nothing to force");
    }
}

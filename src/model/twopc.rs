//! Two-phase commit with presumed abort (Gray, "Notes on data base operating
//! systems", 1978; Gray & Lamport, "Consensus on transaction commit", 2006;
//! Mohan, Lindsay, Obermarck, "Transaction management in the R* distributed
//! database management system", TODS 1986), as two state machines: the
//! [`Coordinator`] of one distributed transaction and each of its
//! participants ([`ParticipantState`]). Each is fed one input at a time — a
//! message, or a record it forced becoming durable — and answers with a
//! [`Step`]: the message to send and to whom, and the record to force.
//! Nothing here knows about time, networks or logs; an architecture
//! carries the messages and makes the records durable its own way.
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
//! Presumed abort: a `no` vote decides abort with no forced record, the
//! abort goes only to the participants that voted `yes`, and nobody
//! acknowledges it; the coordinator may forget an aborted transaction at
//! once, for a coordinator that finds no record presumes abort. Hence the
//! late-vote rule: a `yes` arriving after the abort is answered with an
//! ABORT of its own, or that participant would hold its locks forever.
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

/// A message of the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message {
    Prepare,
    Vote(Vote),
    Commit,
    Abort,
    Ack,
}

/// A record forced to a log before the protocol goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// A participant's prepare record: after it, the participant may only
    /// do what the coordinator decides.
    Prepared,
    /// The coordinator's commit record: the commit point.
    Decision,
    /// A participant's commit record.
    Committed,
}

/// A set of participants, by index (0 to 63).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Participants(u64);

impl Participants {
    /// Participants 0 to n − 1.
    pub fn first(n: usize) -> Participants {
        Participants(if n == 64 { u64::MAX } else { (1 << n) - 1 })
    }

    pub fn one(p: usize) -> Participants {
        Participants(1 << p)
    }

    /// This set and participant `p`.
    pub fn with(self, p: usize) -> Participants {
        Participants(self.0 | 1 << p)
    }

    pub fn contains(self, p: usize) -> bool {
        self.0 & (1 << p) != 0
    }

    pub fn len(self) -> u32 {
        self.0.count_ones()
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The indices, in increasing order.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        (0..64).filter(move |&p| self.contains(p))
    }
}

/// What one input to a state machine calls for: a message to send (from
/// the coordinator, to the participants in `to`; from a participant, to the
/// coordinator) and a record to force. The message goes out first; a
/// message that depends on a forced record waits for the record's own step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Step {
    pub send: Option<Message>,
    pub to: Participants,
    pub force: Option<Record>,
    /// The decision this input settled, if it settled one.
    pub decided: Option<Decision>,
}

impl Step {
    fn send(message: Message, to: Participants) -> Step {
        Step {
            send: (!to.is_empty()).then_some(message),
            to,
            ..Step::default()
        }
    }

    fn force(record: Record) -> Step {
        Step {
            force: Some(record),
            ..Step::default()
        }
    }
}

/// What the protocol cost one transaction, participants included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProtocolCost {
    /// PREPARE, VOTE, COMMIT or ABORT, ACK.
    pub messages: u32,
    /// Prepare, decision and commit records forced to a log.
    pub forced_writes: u32,
}

/// Where the coordinator of one transaction stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// PREPARE sent; collecting votes.
    Voting,
    /// Every vote is yes or read-only: the commit record is being forced.
    Deciding,
    /// The commit record is durable: COMMIT sent, collecting ACKs.
    Committed,
    /// Aborted: nothing forced, nothing remembered (presumed abort).
    Aborted,
    /// Every ACK is in: the transaction is forgotten.
    Done,
}

/// The coordinator's state of one transaction over 1 to 64 participants.
#[derive(Clone, Copy, Debug)]
pub struct Coordinator {
    participants: u8,
    phase: Phase,
    voted: Participants,
    yes: Participants,
    acked: Participants,
    cost: ProtocolCost,
}

impl Coordinator {
    /// A transaction over `participants` participants begins: PREPARE goes
    /// to each.
    pub fn prepare(participants: usize) -> (Coordinator, Step) {
        assert!((1..=64).contains(&participants), "1 to 64 participants");
        let c = Coordinator {
            participants: participants as u8,
            phase: Phase::Voting,
            voted: Participants::default(),
            yes: Participants::default(),
            acked: Participants::default(),
            cost: ProtocolCost {
                messages: participants as u32,
                forced_writes: 0,
            },
        };
        (
            c,
            Step::send(Message::Prepare, Participants::first(participants)),
        )
    }

    /// Participant `p`'s vote arrives (its prepare record, for a `yes`,
    /// counted as forced). The first `no` aborts, and ABORT goes to the yes
    /// voters so far; once every participant has voted `yes` or
    /// `read-only`, the commit record is forced when someone will commit,
    /// and the transaction commits at once when nobody will. A `yes` after
    /// the abort is answered with ABORT (the late-vote rule). A repeated
    /// vote is ignored.
    pub fn on_vote(&mut self, p: usize, vote: Vote) -> Step {
        if self.voted.contains(p) {
            return Step::default();
        }
        self.voted = self.voted.with(p);
        self.cost.messages += 1;
        if vote == Vote::Yes {
            self.yes = self.yes.with(p);
            self.cost.forced_writes += 1;
        }
        match (self.phase, vote) {
            (Phase::Aborted, Vote::Yes) => self.abort_to(Participants::one(p)),
            (Phase::Voting, Vote::No) => {
                self.phase = Phase::Aborted;
                let step = self.abort_to(self.yes);
                Step {
                    decided: Some(Decision::Abort),
                    ..step
                }
            }
            (Phase::Voting, _) if self.voted == Participants::first(self.all()) => {
                let step = if self.yes.is_empty() {
                    self.phase = Phase::Done;
                    Step::default()
                } else {
                    self.phase = Phase::Deciding;
                    self.cost.forced_writes += 1;
                    Step::force(Record::Decision)
                };
                Step {
                    decided: Some(Decision::Commit),
                    ..step
                }
            }
            _ => Step::default(),
        }
    }

    fn all(&self) -> usize {
        usize::from(self.participants)
    }

    fn abort_to(&mut self, to: Participants) -> Step {
        self.cost.messages += to.len();
        Step::send(Message::Abort, to)
    }

    /// The commit record is durable: the commit point. COMMIT goes to the
    /// yes voters.
    pub fn on_forced(&mut self) -> Step {
        debug_assert_eq!(self.phase, Phase::Deciding);
        self.phase = Phase::Committed;
        self.cost.messages += self.yes.len();
        Step::send(Message::Commit, self.yes)
    }

    /// Participant `p` forced its commit record and its ACK arrives. Once
    /// every yes voter has acknowledged, the coordinator forgets the
    /// transaction ([`Coordinator::may_forget`]).
    pub fn on_ack(&mut self, p: usize) -> Step {
        debug_assert_eq!(self.phase, Phase::Committed);
        self.acked = self.acked.with(p);
        self.cost.messages += 1;
        self.cost.forced_writes += 1;
        if self.acked == self.yes {
            self.phase = Phase::Done;
        }
        Step::default()
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn decision(&self) -> Option<Decision> {
        match self.phase {
            Phase::Voting => None,
            Phase::Aborted => Some(Decision::Abort),
            Phase::Deciding | Phase::Committed | Phase::Done => Some(Decision::Commit),
        }
    }

    /// Whether the coordinator needs no record of the transaction any more:
    /// it aborted (presumed abort answers any later question) or every
    /// commit was acknowledged.
    pub fn may_forget(&self) -> bool {
        matches!(self.phase, Phase::Aborted | Phase::Done)
    }

    /// Whether participant `p` voted yes (phase two must reach it).
    pub fn prepared(&self, p: usize) -> bool {
        self.yes.contains(p)
    }

    /// Participants that voted yes and have not acknowledged: in doubt
    /// until phase two reaches them.
    pub fn in_doubt(&self) -> u32 {
        (self.yes.0 & !self.acked.0).count_ones()
    }

    pub fn cost(&self) -> ProtocolCost {
        self.cost
    }
}

/// Where one participant stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ParticipantState {
    /// PREPARE received: locking and executing.
    #[default]
    Working,
    /// Its prepare record is being forced.
    Preparing,
    /// It voted yes: in doubt, holding its locks, until the decision.
    Prepared,
    /// COMMIT received: its commit record is being forced.
    Committing,
    /// Committed and acknowledged; locks released.
    Committed,
    /// Voted no, heard ABORT, or voted read-only; locks released.
    Aborted,
    ReadOnly,
}

impl ParticipantState {
    /// It has executed: it votes no when it cannot commit, read-only when
    /// it wrote nothing (both release its locks at once), and otherwise
    /// forces its prepare record before voting yes.
    pub fn on_executed(&mut self, can_commit: bool, writes: bool) -> Step {
        debug_assert_eq!(*self, ParticipantState::Working);
        let (state, step) = if !can_commit {
            (
                ParticipantState::Aborted,
                Self::reply(Message::Vote(Vote::No)),
            )
        } else if !writes {
            let vote = Message::Vote(Vote::ReadOnly);
            (ParticipantState::ReadOnly, Self::reply(vote))
        } else {
            (ParticipantState::Preparing, Step::force(Record::Prepared))
        };
        *self = state;
        step
    }

    fn reply(message: Message) -> Step {
        Step {
            send: Some(message),
            ..Step::default()
        }
    }

    /// A record it forced is durable: after the prepare record it votes
    /// yes; after the commit record it acknowledges.
    pub fn on_forced(&mut self) -> Step {
        match *self {
            ParticipantState::Preparing => {
                *self = ParticipantState::Prepared;
                Self::reply(Message::Vote(Vote::Yes))
            }
            ParticipantState::Committing => {
                *self = ParticipantState::Committed;
                Self::reply(Message::Ack)
            }
            other => unreachable!("nothing is being forced when {other:?}"),
        }
    }

    /// The decision arrives: COMMIT forces the commit record; ABORT
    /// releases at once, with nothing forced and no acknowledgement.
    pub fn on_decision(&mut self, decision: Decision) -> Step {
        match decision {
            Decision::Commit => {
                debug_assert_eq!(*self, ParticipantState::Prepared);
                *self = ParticipantState::Committing;
                Step::force(Record::Committed)
            }
            Decision::Abort => {
                *self = ParticipantState::Aborted;
                Step::default()
            }
        }
    }

    /// Prepared and not yet told the outcome: it may not decide alone.
    pub fn in_doubt(self) -> bool {
        self == ParticipantState::Prepared
    }

    /// Whether it still holds its locks.
    pub fn holds_locks(self) -> bool {
        matches!(
            self,
            ParticipantState::Working
                | ParticipantState::Preparing
                | ParticipantState::Prepared
                | ParticipantState::Committing
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit_all(n: usize) -> Coordinator {
        let (mut c, step) = Coordinator::prepare(n);
        assert_eq!(step.send, Some(Message::Prepare));
        assert_eq!(step.to, Participants::first(n));
        for p in 0..n - 1 {
            assert_eq!(c.on_vote(p, Vote::Yes), Step::default());
        }
        let last = c.on_vote(n - 1, Vote::Yes);
        assert_eq!(last.force, Some(Record::Decision));
        assert_eq!(last.decided, Some(Decision::Commit));
        assert_eq!(last.send, None, "COMMIT waits for the commit record");
        let commit = c.on_forced();
        assert_eq!(
            (commit.send, commit.to),
            (Some(Message::Commit), Participants::first(n))
        );
        c
    }

    #[test]
    fn a_commit_costs_4n_messages_and_2n_plus_1_forced_writes() {
        for n in 1..=5 {
            let mut c = commit_all(n);
            assert_eq!(c.in_doubt(), n as u32);
            for p in 0..n {
                assert!(!c.may_forget());
                c.on_ack(p);
            }
            assert!(c.may_forget());
            let n = n as u32;
            assert_eq!(
                c.cost(),
                ProtocolCost {
                    messages: 4 * n,
                    forced_writes: 2 * n + 1
                }
            );
        }
    }

    #[test]
    fn presumed_abort_forces_nothing_and_skips_acks() {
        let (mut c, _) = Coordinator::prepare(3);
        c.on_vote(0, Vote::Yes);
        let abort = c.on_vote(1, Vote::No);
        assert_eq!(abort.decided, Some(Decision::Abort));
        assert_eq!(abort.force, None);
        assert_eq!(
            (abort.send, abort.to),
            (Some(Message::Abort), Participants::one(0))
        );
        assert!(c.may_forget(), "presumed abort keeps nothing");
        // 3 PREPARE + 2 VOTE + 1 ABORT; one prepare record forced.
        assert_eq!(
            c.cost(),
            ProtocolCost {
                messages: 6,
                forced_writes: 1
            }
        );
    }

    #[test]
    fn a_yes_after_the_abort_is_told_to_abort() {
        let (mut c, _) = Coordinator::prepare(2);
        let abort = c.on_vote(0, Vote::No);
        assert_eq!(abort.decided, Some(Decision::Abort));
        assert_eq!(abort.send, None, "nobody voted yes yet");
        let late = c.on_vote(1, Vote::Yes);
        assert_eq!(
            (late.send, late.to, late.decided),
            (Some(Message::Abort), Participants::one(1), None)
        );
        assert!(c.prepared(1));
        // 2 PREPARE + 2 VOTE + 1 ABORT; the late prepare record forced.
        assert_eq!(
            c.cost(),
            ProtocolCost {
                messages: 5,
                forced_writes: 1
            }
        );
        // A late no needs no answer; a repeated vote is ignored.
        let (mut c, _) = Coordinator::prepare(3);
        c.on_vote(0, Vote::No);
        assert_eq!(c.on_vote(1, Vote::No), Step::default());
        assert_eq!(c.on_vote(1, Vote::Yes), Step::default());
    }

    #[test]
    fn read_only_participants_drop_out_of_phase_two() {
        let (mut c, _) = Coordinator::prepare(3);
        c.on_vote(0, Vote::ReadOnly);
        c.on_vote(1, Vote::Yes);
        let last = c.on_vote(2, Vote::ReadOnly);
        assert_eq!(last.force, Some(Record::Decision));
        assert_eq!(c.on_forced().to, Participants::one(1));
        c.on_ack(1);
        assert!(c.may_forget());
        // 3 PREPARE + 3 VOTE + 1 COMMIT + 1 ACK; prepare, decision, commit.
        assert_eq!(
            c.cost(),
            ProtocolCost {
                messages: 8,
                forced_writes: 3
            }
        );
        let (mut all_read, _) = Coordinator::prepare(2);
        all_read.on_vote(0, Vote::ReadOnly);
        let last = all_read.on_vote(1, Vote::ReadOnly);
        assert_eq!(
            (last.decided, last.force),
            (Some(Decision::Commit), None),
            "nothing to force"
        );
        assert!(all_read.may_forget());
    }

    #[test]
    fn a_participant_is_in_doubt_from_its_yes_to_the_decision() {
        let mut p = ParticipantState::default();
        assert_eq!(p.on_executed(true, true).force, Some(Record::Prepared));
        assert!(!p.in_doubt() && p.holds_locks());
        assert_eq!(p.on_forced().send, Some(Message::Vote(Vote::Yes)));
        assert!(p.in_doubt() && p.holds_locks());
        assert_eq!(
            p.on_decision(Decision::Commit).force,
            Some(Record::Committed)
        );
        assert_eq!(p.on_forced().send, Some(Message::Ack));
        assert!(!p.holds_locks());

        let mut no = ParticipantState::default();
        assert_eq!(
            no.on_executed(false, true).send,
            Some(Message::Vote(Vote::No))
        );
        assert!(!no.holds_locks());
        let mut reader = ParticipantState::default();
        assert_eq!(
            reader.on_executed(true, false).send,
            Some(Message::Vote(Vote::ReadOnly))
        );
        assert!(!reader.holds_locks());
    }
}

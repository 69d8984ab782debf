//! The shared transaction core (`model::txn` over `model::twopc`), driven
//! by a script instead of a simulation: each step is one message delivered
//! or one record made durable, and the script records what the core asks to
//! send and to force. Both transactional architectures run on this core, so
//! what these tests pin holds for each.

use archsim::metrics::{CoordinationCost, Window};
use archsim::model::locks::{Mode, TxnId};
use archsim::model::participant::{Participant, Parts};
use archsim::model::twopc::{ProtocolCost, Vote};
use archsim::model::txn::{Driver, Engine, Transactions};
use archsim::sim::{OpId, SimDuration, SimTime};
use archsim::workload::{OpKind, Operation};

/// What the core asked the architecture to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Did {
    Executed(u8),
    Vote(u8, Vote),
    /// COMMIT or ABORT sent to a participant.
    Decision(u8),
    ForceDecision,
    CommitPoint,
    ForceCommit(u8),
    Answer(bool),
}

#[derive(Default)]
struct Clock {
    now: SimTime,
    background: i64,
}

impl Engine for Clock {
    fn now(&self) -> SimTime {
        self.now
    }

    fn background_done(&mut self) {
        self.background -= 1;
    }
}

/// A transaction over `n` places, participant `i` locking key `i` at place
/// `i`, with no retries.
struct Script {
    txns: Transactions<()>,
    coordination: CoordinationCost,
    places: u32,
    did: Vec<Did>,
}

impl Script {
    fn begin(n: u32) -> (Script, Clock, TxnId) {
        let mut s = Script {
            txns: Transactions::new(archsim::model::locks::Conflict::Wait, 0),
            coordination: CoordinationCost::new(Window::new(
                SimDuration::ZERO,
                SimDuration::from_secs(1),
            )),
            places: n,
            did: Vec::new(),
        };
        let operation = Operation {
            kind: OpKind::Transfer,
            key: 0,
            other: 1,
            session: 0,
            start: SimTime::ZERO,
        };
        let t = s.open(Some(OpId::new(0)), operation, 0, ());
        let mut clock = Clock::default();
        for p in 0..n as u8 {
            assert!(s.arrives(t, p));
            s.request_locks(t, p, &mut clock);
        }
        assert_eq!(s.txns.locks().locked_keys(), n as usize);
        s.did.clear();
        (s, clock, t)
    }

    fn locked_keys(&self) -> usize {
        self.txns.locks().locked_keys()
    }

    /// Participants prepared and not yet released: in doubt.
    fn in_doubt(&self, t: TxnId) -> usize {
        self.txns.get(t).map_or(0, |txn| {
            txn.parts
                .as_slice()
                .iter()
                .filter(|p| p.prepared_since().is_some())
                .count()
        })
    }
}

impl Driver for Script {
    type Ctx<'a> = Clock;
    type Arch = ();

    fn transactions(&mut self) -> &mut Transactions<()> {
        &mut self.txns
    }

    fn coordination(&mut self) -> &mut CoordinationCost {
        &mut self.coordination
    }

    fn open(&mut self, op: Option<OpId>, operation: Operation, attempt: u32, _: ()) -> TxnId {
        let parts: Parts = (0..self.places)
            .map(|i| Participant::new(i, &[u64::from(i)], Mode::Exclusive))
            .collect();
        self.txns.open(op, operation, attempt, parts, ())
    }

    fn execute(&mut self, _: TxnId, p: u8, _: &mut Clock) {
        self.did.push(Did::Executed(p));
    }

    fn send_vote(&mut self, _: TxnId, p: u8, vote: Vote, _: &mut Clock) {
        self.did.push(Did::Vote(p, vote));
    }

    fn send_decision(&mut self, _: TxnId, p: u8, _: &mut Clock) {
        self.did.push(Did::Decision(p));
    }

    fn force_decision(&mut self, _: TxnId, _: &mut Clock) {
        self.did.push(Did::ForceDecision);
    }

    fn commit_point(&mut self, _: TxnId, clock: &mut Clock) {
        self.did.push(Did::CommitPoint);
        clock.background += 1;
    }

    fn force_commit(&mut self, _: TxnId, p: u8, _: &mut Clock) {
        self.did.push(Did::ForceCommit(p));
    }

    fn local_failed(&mut self, t: TxnId, clock: &mut Clock) {
        self.local_done(t, false, clock);
    }

    fn install(&mut self, _: TxnId, _: &mut Clock) {}

    fn answer(&mut self, _: TxnId, ok: bool, _: &mut Clock) {
        self.did.push(Did::Answer(ok));
    }

    fn backoff(&mut self) -> SimDuration {
        SimDuration::ZERO
    }

    fn restart(&mut self, _: TxnId, _: SimDuration, _: &mut Clock) {
        unreachable!("no retries");
    }
}

#[test]
fn three_participants_all_yes_commit_for_12_messages_and_7_forced_writes() {
    let (mut s, mut c, t) = Script::begin(3);
    for p in 0..3 {
        s.prepared(t, p, &mut c);
        s.vote(t, p, Vote::Yes, &mut c);
    }
    assert_eq!(s.did.last(), Some(&Did::ForceDecision));
    s.did.clear();
    s.decision_durable(t, &mut c);
    let commit = [0, 1, 2].map(Did::Decision);
    assert_eq!(s.did, [&[Did::CommitPoint][..], &commit].concat());
    for p in 0..3 {
        s.reaches(t, p, &mut c);
        assert_eq!(s.did.last(), Some(&Did::ForceCommit(p)));
    }
    let mut protocol = s.txns.txn(t).protocol.expect("two-phase commit");
    for p in 0..3 {
        protocol.on_ack(p);
    }
    assert_eq!(
        protocol.cost(),
        ProtocolCost {
            messages: 12,
            forced_writes: 7
        }
    );
    for p in 0..3 {
        assert_eq!(s.in_doubt(t), 3 - usize::from(p));
        s.release(t, p, &mut c);
        s.acked(t, p, &mut c);
    }
    assert!(s.txns.is_empty(), "forgotten once every participant acked");
    assert_eq!((s.locked_keys(), c.background), (0, 0));
}

#[test]
fn a_no_vote_aborts_and_only_the_yes_voter_hears_of_it() {
    let (mut s, mut c, t) = Script::begin(2);
    s.prepared(t, 0, &mut c);
    s.vote(t, 0, Vote::Yes, &mut c);
    s.give_up(t, 1, &mut c);
    s.vote(t, 1, Vote::No, &mut c);
    assert!(!s.did.contains(&Did::ForceDecision), "presumed abort");
    assert!(s.did.contains(&Did::Decision(0)));
    assert!(!s.did.contains(&Did::Decision(1)));
    assert!(s.did.contains(&Did::Answer(false)), "no retries left");
    assert_eq!(s.locked_keys(), 1, "the yes voter holds its lock");
    s.reaches(t, 0, &mut c);
    assert_eq!(s.locked_keys(), 0);
    assert!(s.txns.is_empty(), "no acknowledgement awaited");
}

/// The late-vote rule: a participant whose yes arrives after the abort must
/// be told, or it holds its locks for ever.
#[test]
fn a_yes_after_a_no_is_answered_with_abort_and_releases_its_locks() {
    let (mut s, mut c, t) = Script::begin(2);
    s.give_up(t, 0, &mut c);
    s.vote(t, 0, Vote::No, &mut c);
    assert!(!s.did.contains(&Did::Decision(1)), "nobody voted yes yet");
    s.prepared(t, 1, &mut c);
    s.vote(t, 1, Vote::Yes, &mut c);
    assert_eq!(
        s.did.last(),
        Some(&Did::Decision(1)),
        "the late yes voter is sent ABORT"
    );
    assert_eq!((s.locked_keys(), s.in_doubt(t)), (1, 1));
    s.reaches(t, 1, &mut c);
    assert_eq!(s.locked_keys(), 0, "ABORT released its locks");
    assert!(s.txns.is_empty(), "and the transaction is forgotten");
}

#[test]
fn a_read_only_participant_drops_out_of_phase_two() {
    let (mut s, mut c, t) = Script::begin(2);
    s.release(t, 0, &mut c);
    s.vote(t, 0, Vote::ReadOnly, &mut c);
    s.prepared(t, 1, &mut c);
    s.vote(t, 1, Vote::Yes, &mut c);
    s.did.clear();
    s.decision_durable(t, &mut c);
    assert_eq!(s.did, [Did::CommitPoint, Did::Decision(1)]);
    s.reaches(t, 1, &mut c);
    s.release(t, 1, &mut c);
    s.acked(t, 1, &mut c);
    assert!(s.txns.is_empty());
    assert_eq!(s.locked_keys(), 0);
}

/// One step of an all-yes commit over three participants.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Participant p's prepare record is durable (it votes yes).
    Prepared(u8),
    /// Its vote reaches the coordinator.
    Vote(u8),
    /// The coordinator's commit record is durable.
    Decided,
    /// COMMIT reaches participant p (it forces its commit record).
    Reaches(u8),
    /// Its commit record is durable: it releases and acknowledges.
    Committed(u8),
    /// Its ACK reaches the coordinator.
    Ack(u8),
}

impl Step {
    /// Whether the step needs the coordinator up.
    fn at_coordinator(self) -> bool {
        matches!(self, Step::Vote(_) | Step::Decided | Step::Ack(_))
    }
}

/// The coordinator crashes after each step in turn and never returns; the
/// participants go on with what they have. Before the commit record is
/// durable every participant ends prepared, in doubt, holding its lock;
/// from then on none does.
#[test]
fn a_coordinator_crash_at_every_step_leaves_the_prepared_in_doubt() {
    let mut steps = Vec::new();
    steps.extend((0..3).map(Step::Prepared));
    steps.extend((0..3).map(Step::Vote));
    steps.push(Step::Decided);
    steps.extend((0..3).map(Step::Reaches));
    steps.extend((0..3).map(Step::Committed));
    steps.extend((0..3).map(Step::Ack));
    for crash in 0..=steps.len() {
        let (mut s, mut c, t) = Script::begin(3);
        let done = &steps[..crash];
        let after = steps[crash..].iter().filter(|step| !step.at_coordinator());
        for &step in done.iter().chain(after) {
            match step {
                Step::Prepared(p) => s.prepared(t, p, &mut c),
                Step::Vote(p) => s.vote(t, p, Vote::Yes, &mut c),
                Step::Decided => s.decision_durable(t, &mut c),
                Step::Reaches(p) if s.did.contains(&Did::Decision(p)) => s.reaches(t, p, &mut c),
                Step::Committed(p) if s.did.contains(&Did::ForceCommit(p)) => {
                    s.release(t, p, &mut c)
                }
                Step::Reaches(_) | Step::Committed(_) => {}
                Step::Ack(p) => s.acked(t, p, &mut c),
            }
        }
        let decided = done.iter().any(|step| matches!(step, Step::Decided));
        let expected = if decided { 0 } else { 3 };
        assert_eq!(
            (s.in_doubt(t), s.locked_keys()),
            (expected, expected),
            "coordinator crashed after {done:?}"
        );
    }
}

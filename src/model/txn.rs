//! The transaction driver every architecture with transactions shares: the
//! table of open transactions, their participants and lock requests, the
//! two-phase commit of those that span places ([`super::twopc`]), aborts,
//! retries with backoff, and what each transaction cost.
//!
//! An architecture implements [`Driver`]: where a participant runs and how
//! long it takes, how messages travel, and how a record becomes durable (a
//! forced write to a shard's log, a Raft round). The driver's provided
//! methods carry the rest, the same for all: who hears ABORT, what a late
//! vote gets, when a transaction is forgotten, when it is retried.
//!
//! A transaction's life, as the driver sees it: [`Driver::arrives`] and
//! [`Driver::request_locks`] at each participant; [`Driver::locked`] once it
//! holds them (the architecture executes it); then either a one-place
//! commit ([`Driver::local_done`]) or two-phase commit: each participant
//! [`Driver::prepared`] (or [`Driver::refuse`]s, or [`Driver::give_up`] on
//! its locks), the coordinator counts [`Driver::vote`]s, forces its
//! decision, reaches the [`Driver::decision_durable`] commit point, the
//! decision [`Driver::reaches`] each participant, which is
//! [`Driver::acked`]. A transaction is forgotten once its participants are
//! done with it and the protocol needs no record of it.

use rustc_hash::FxHashMap;

use super::locks::{Conflict, LockTable, TxnId};
use super::participant::{self, Parts, Requested, Stage};
use super::twopc::{Coordinator, Decision, Participants, Vote};
use crate::metrics::{CoordinationCost, Cost};
use crate::sim::{Context, OpId, SimDuration, SimTime};
use crate::workload::Operation;

/// One attempt of a transaction; `X` is what only its architecture keeps.
#[derive(Clone, Debug)]
pub struct Txn<X> {
    /// The client's operation; none for work of the system's own (a
    /// write-behind flush).
    pub op: Option<OpId>,
    pub operation: Operation,
    pub parts: Parts,
    /// Two-phase commit, when the transaction spans places.
    pub protocol: Option<Coordinator>,
    /// 0 for the first attempt.
    pub attempt: u32,
    /// The debited participant found the balance short: the transfer is
    /// answered, with nothing written.
    pub refused: bool,
    /// Participants not yet done with it: still to vote, owed the decision,
    /// or holding locks.
    pub outstanding: u8,
    pub cost: Cost,
    /// Counted among the transactions a fault left in doubt.
    pub in_doubt_noted: bool,
    pub arch: X,
}

impl<X> Txn<X> {
    /// How many participants.
    pub fn n(&self) -> u8 {
        self.parts.len() as u8
    }

    pub fn decision(&self) -> Option<Decision> {
        self.protocol.and_then(|c| c.decision())
    }

    pub fn aborted(&self) -> bool {
        self.decision() == Some(Decision::Abort)
    }
}

/// The open transactions and the lock table they share.
pub struct Transactions<X> {
    txns: FxHashMap<TxnId, Txn<X>>,
    next: TxnId,
    locks: LockTable,
    granted: Vec<(TxnId, u64)>,
    conflict: Conflict,
    retries: u32,
}

impl<X> Transactions<X> {
    /// An empty table whose lock conflicts are settled by `conflict`, and
    /// whose aborted transactions are retried up to `retries` times.
    pub fn new(conflict: Conflict, retries: u32) -> Transactions<X> {
        Transactions {
            txns: FxHashMap::default(),
            next: 0,
            locks: LockTable::default(),
            granted: Vec::new(),
            conflict,
            retries,
        }
    }

    /// A new transaction: attempt `attempt` of `operation` over `parts`,
    /// with two-phase commit when there are several.
    pub fn open(
        &mut self,
        op: Option<OpId>,
        operation: Operation,
        attempt: u32,
        parts: Parts,
        arch: X,
    ) -> TxnId {
        let n = parts.len();
        let t = self.next;
        self.next += 1;
        let txn = Txn {
            op,
            operation,
            protocol: (n > 1).then(|| Coordinator::prepare(n).0),
            parts,
            attempt,
            refused: false,
            outstanding: n as u8,
            cost: Cost::default(),
            in_doubt_noted: false,
            arch,
        };
        self.txns.insert(t, txn);
        t
    }

    pub fn get(&self, t: TxnId) -> Option<&Txn<X>> {
        self.txns.get(&t)
    }

    pub fn get_mut(&mut self, t: TxnId) -> Option<&mut Txn<X>> {
        self.txns.get_mut(&t)
    }

    pub fn txn(&self, t: TxnId) -> &Txn<X> {
        &self.txns[&t]
    }

    pub fn txn_mut(&mut self, t: TxnId) -> &mut Txn<X> {
        self.txns.get_mut(&t).expect("an open transaction")
    }

    pub fn remove(&mut self, t: TxnId) -> Txn<X> {
        self.txns.remove(&t).expect("an open transaction")
    }

    pub fn len(&self) -> usize {
        self.txns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.txns.is_empty()
    }

    /// The open transactions, oldest first.
    pub fn open_ones(&self) -> Vec<(TxnId, &Txn<X>)> {
        let mut open: Vec<(TxnId, &Txn<X>)> = self.txns.iter().map(|(t, x)| (*t, x)).collect();
        open.sort_by_key(|(t, _)| *t);
        open
    }

    /// How lock conflicts are settled.
    pub fn conflict(&self) -> Conflict {
        self.conflict
    }

    pub fn locks(&self) -> &LockTable {
        &self.locks
    }

    /// The grants made by the last release that complete a participant's
    /// locks: (transaction, participant), in grant order.
    fn ready(&mut self) -> Vec<(TxnId, u8)> {
        let txns = &mut self.txns;
        self.granted
            .drain(..)
            .filter_map(|(t, key)| {
                let txn = txns.get_mut(&t)?;
                participant::granted(txn.parts.as_mut_slice(), key).map(|p| (t, p))
            })
            .collect()
    }
}

/// What the driver needs of the simulation: the time, and word that a
/// piece of background work (phase two of a commit) has ended.
pub trait Engine {
    fn now(&self) -> SimTime;
    fn background_done(&mut self);
}

impl<E, R: crate::sim::Outcomes> Engine for Context<'_, E, R> {
    fn now(&self) -> SimTime {
        Context::now(self)
    }

    fn background_done(&mut self) {
        Context::background_done(self);
    }
}

type Ctx<'a, D> = <D as Driver>::Ctx<'a>;

/// What an architecture with transactions supplies to the driver, and the
/// driver's shared steps (the provided methods).
pub trait Driver: Sized {
    /// The simulation's context (a scripted one in tests).
    type Ctx<'a>: Engine;
    /// What the architecture keeps per transaction; a retry takes a copy.
    type Arch: Clone;

    fn transactions(&mut self) -> &mut Transactions<Self::Arch>;

    fn coordination(&mut self) -> &mut CoordinationCost;

    /// Opens attempt `attempt` of `operation`, placing its participants.
    fn open(
        &mut self,
        op: Option<OpId>,
        operation: Operation,
        attempt: u32,
        arch: Self::Arch,
    ) -> TxnId;

    /// Participant `p` holds its locks: it executes where it lives.
    fn execute(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_, Self>);

    /// Participant `p` waits for a lock.
    fn waiting(&mut self, _t: TxnId, _p: u8, _ctx: &mut Ctx<'_, Self>) {}

    /// Participant `p`'s vote travels to the coordinator.
    fn send_vote(&mut self, t: TxnId, p: u8, vote: Vote, ctx: &mut Ctx<'_, Self>);

    /// The decision travels to participant `p`.
    fn send_decision(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_, Self>);

    /// The coordinator makes its commit decision durable; once it is, the
    /// architecture calls [`Driver::decision_durable`].
    fn force_decision(&mut self, t: TxnId, ctx: &mut Ctx<'_, Self>);

    /// The commit point: the writes are installed and the client answered.
    fn commit_point(&mut self, t: TxnId, ctx: &mut Ctx<'_, Self>);

    /// COMMIT reached participant `p`: it makes its commit durable, then
    /// releases ([`Driver::release`]) and acknowledges ([`Driver::acked`]).
    fn force_commit(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_, Self>);

    /// A local transaction failed at its place (its lock wait gave up).
    fn local_failed(&mut self, t: TxnId, ctx: &mut Ctx<'_, Self>);

    /// Installs the transaction's writes now (nothing, when refused).
    fn install(&mut self, t: TxnId, ctx: &mut Ctx<'_, Self>);

    /// The transaction answers its client: ok, or an error.
    fn answer(&mut self, t: TxnId, ok: bool, ctx: &mut Ctx<'_, Self>);

    /// How long to wait before a retry.
    fn backoff(&mut self) -> SimDuration;

    /// Starts retry `t` after `pause`.
    fn restart(&mut self, t: TxnId, pause: SimDuration, ctx: &mut Ctx<'_, Self>);

    /// A participant of `t` prepared at `since` released its locks at
    /// `until`: it was in doubt meanwhile.
    fn released_in_doubt(&mut self, _t: TxnId, _since: SimTime, _until: SimTime) {}

    /// What a finished transaction cost, as charged.
    fn settled(txn: &Txn<Self::Arch>) -> Cost {
        txn.cost
    }

    /// Whether the logs records go to are forced (`db.fsync` above zero):
    /// without, a record is written but not a forced write.
    fn forces(&self) -> bool {
        true
    }

    /// [`Driver::settled`], with no forced writes when the logs are not
    /// forced.
    fn charged(forces: bool, txn: &Txn<Self::Arch>) -> Cost {
        let mut cost = Self::settled(txn);
        if !forces {
            (cost.forced_writes, cost.critical_forced_writes) = (0, 0);
        }
        cost
    }

    /// Participant `p`'s request or PREPARE reaches its place. False when
    /// the transaction aborted meanwhile: the participant is done with it.
    fn arrives(&mut self, t: TxnId, _p: u8) -> bool {
        let txn = self.transactions().txn_mut(t);
        if txn.aborted() {
            txn.outstanding -= 1;
            self.forget_if_done(t);
            return false;
        }
        true
    }

    /// Participant `p` asks for its locks, as old as its operation (a retry
    /// keeps its age).
    fn request_locks(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_, Self>) {
        let now = ctx.now();
        let table = self.transactions();
        let txn = table.txns.get_mut(&t).expect("an open transaction");
        let invoked = txn.operation.start;
        let part = &mut txn.parts[p];
        match part.request(&mut table.locks, t, invoked.as_nanos(), table.conflict, now) {
            Requested::Held => self.locked(t, p, ctx),
            Requested::Waiting { deadlock } => {
                if deadlock {
                    self.coordination().deadlock(invoked);
                }
                self.waiting(t, p, ctx);
            }
            Requested::Died => self.give_up(t, p, ctx),
        }
    }

    /// Participant `p` holds its locks: the wait is counted and it executes.
    fn locked(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_, Self>) {
        let txn = self.transactions().txn_mut(t);
        let part = &mut txn.parts[p];
        let wait = part.hold(ctx.now());
        let keys = part.keys().len() as u32;
        txn.cost.lock_wait = txn.cost.lock_wait + wait;
        txn.cost.lock_acquisitions += keys;
        self.execute(t, p, ctx);
    }

    /// Releases participant `p`'s locks (or withdraws its waits); waiters
    /// that now hold all their locks go on.
    fn release(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_, Self>) {
        let now = ctx.now();
        let table = self.transactions();
        let txn = table.txns.get_mut(&t).expect("an open transaction");
        let doubt = txn.parts[p].release(&mut table.locks, t, now, &mut table.granted);
        if let Some(doubt) = doubt {
            txn.cost.prepared = txn.cost.prepared + doubt;
            self.coordination().in_doubt(false);
            self.released_in_doubt(t, SimTime(now.as_nanos() - doubt.as_nanos()), now);
        }
        for (t, p) in self.transactions().ready() {
            self.locked(t, p, ctx);
        }
    }

    /// Participant `p`'s lock wait has lasted its timeout: if it still
    /// waits, it gives up, withdrawing its requests and releasing what it
    /// was granted.
    fn lock_wait_expired(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_, Self>) {
        let waiting = self
            .transactions()
            .get(t)
            .is_some_and(|txn| txn.parts[p].stage == Stage::Waiting);
        if waiting {
            self.give_up(t, p, ctx);
        }
    }

    /// Participant `p` gives up on its locks (a lock timeout, or wait-die):
    /// it votes no, or its local transaction fails.
    fn give_up(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_, Self>) {
        self.release(t, p, ctx);
        if self.transactions().txn(t).protocol.is_some() {
            self.send_vote(t, p, Vote::No, ctx);
        } else {
            self.local_failed(t, ctx);
        }
    }

    /// The debited participant found the balance short: it votes no.
    fn refuse(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_, Self>) {
        self.transactions().txn_mut(t).refused = true;
        self.release(t, p, ctx);
        self.send_vote(t, p, Vote::No, ctx);
    }

    /// Participant `p`'s prepare is durable: it is in doubt and votes yes.
    fn prepared(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_, Self>) {
        self.transactions().txn_mut(t).parts[p].prepared(ctx.now());
        self.coordination().in_doubt(true);
        self.send_vote(t, p, Vote::Yes, ctx);
    }

    /// Participant `p`'s vote reaches the coordinator, which does what the
    /// protocol says: force the commit decision, abort, or answer a late
    /// yes with ABORT.
    fn vote(&mut self, t: TxnId, p: u8, vote: Vote, ctx: &mut Ctx<'_, Self>) {
        let txn = self.transactions().txn_mut(t);
        if vote == Vote::No {
            txn.outstanding -= 1;
        }
        let protocol = txn.protocol.as_mut().expect("two-phase commit");
        let step = protocol.on_vote(usize::from(p), vote);
        match step.decided {
            Some(Decision::Commit) if step.force.is_some() => self.force_decision(t, ctx),
            Some(Decision::Commit) => {
                // Nobody wrote: nothing to force, nobody to tell.
                self.commit_point(t, ctx);
                self.forget_committed(t, ctx);
            }
            Some(Decision::Abort) => self.abort(t, step.to, ctx),
            None => {
                for p in step.to.iter() {
                    self.send_decision(t, p as u8, ctx);
                }
                self.forget_if_done(t);
            }
        }
    }

    /// The commit decision is durable: the commit point, and COMMIT goes to
    /// the participants that voted yes.
    fn decision_durable(&mut self, t: TxnId, ctx: &mut Ctx<'_, Self>) {
        let txn = self.transactions().txn_mut(t);
        let step = txn.protocol.as_mut().expect("two-phase commit").on_forced();
        self.commit_point(t, ctx);
        for p in step.to.iter() {
            self.send_decision(t, p as u8, ctx);
        }
    }

    /// Aborted: ABORT goes to `to` (the yes voters), participants still
    /// queued for their locks withdraw (they will not vote), and the client
    /// is told its transfer was refused, or the transaction is retried.
    fn abort(&mut self, t: TxnId, to: Participants, ctx: &mut Ctx<'_, Self>) {
        let txn = self.transactions().txn(t);
        let mut waiting = Participants::default();
        for (p, part) in txn.parts.as_slice().iter().enumerate() {
            if part.stage == Stage::Waiting {
                waiting = waiting.with(p);
            }
        }
        let (refused, invoked) = (txn.refused, txn.operation.start);
        for p in to.iter() {
            self.send_decision(t, p as u8, ctx);
        }
        for p in waiting.iter() {
            self.release(t, p as u8, ctx);
            self.transactions().txn_mut(t).outstanding -= 1;
        }
        if refused {
            self.install(t, ctx);
            self.answer(t, true, ctx);
        } else {
            self.coordination().abort(invoked);
            self.retry_or_fail(t, ctx);
        }
        self.forget_if_done(t);
    }

    /// An aborted attempt: another after a backoff (keeping its age), or an
    /// error once the retries are spent.
    fn retry_or_fail(&mut self, t: TxnId, ctx: &mut Ctx<'_, Self>) {
        let table = self.transactions();
        let retries = table.retries;
        let txn = table.txn(t);
        let (op, operation, attempt) = (txn.op, txn.operation, txn.attempt);
        if attempt < retries {
            let arch = txn.arch.clone();
            self.coordination().retry(operation.start);
            let next = self.open(op, operation, attempt + 1, arch);
            let pause = self.backoff();
            self.restart(next, pause, ctx);
        } else {
            self.answer(t, false, ctx);
        }
    }

    /// The decision reaches participant `p`: COMMIT makes it force its
    /// commit; ABORT releases it at once, nothing forced, no
    /// acknowledgement (presumed abort).
    fn reaches(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_, Self>) {
        match self.transactions().txn(t).decision() {
            Some(Decision::Commit) => self.force_commit(t, p, ctx),
            _ => {
                self.release(t, p, ctx);
                self.transactions().txn_mut(t).outstanding -= 1;
                self.forget_if_done(t);
            }
        }
    }

    /// Participant `p` has committed: once every yes voter has, the
    /// transaction is forgotten.
    fn acked(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_, Self>) {
        let txn = self.transactions().txn_mut(t);
        txn.outstanding -= 1;
        let protocol = txn.protocol.as_mut().expect("two-phase commit");
        protocol.on_ack(usize::from(p));
        if protocol.may_forget() {
            self.forget_committed(t, ctx);
        }
    }

    /// A committed distributed transaction is done: its whole cost counts.
    fn forget_committed(&mut self, t: TxnId, ctx: &mut Ctx<'_, Self>) {
        let forces = self.forces();
        let txn = self.transactions().remove(t);
        let (cost, invoked) = (Self::charged(forces, &txn), txn.operation.start);
        self.coordination().transaction(invoked, &cost);
        self.coordination().charge(invoked, &cost);
        ctx.background_done();
    }

    /// Forgets an aborted transaction once every participant has voted or
    /// heard the abort, and released its locks.
    fn forget_if_done(&mut self, t: TxnId) {
        let forces = self.forces();
        let txn = self.transactions().txn(t);
        if txn.aborted() && txn.outstanding == 0 {
            let txn = self.transactions().remove(t);
            let cost = Self::charged(forces, &txn);
            self.coordination().charge(txn.operation.start, &cost);
        }
    }

    /// A transaction at one place is done: committed (or read) and
    /// answered, or failed and retried.
    fn local_done(&mut self, t: TxnId, ok: bool, ctx: &mut Ctx<'_, Self>) {
        let forces = self.forces();
        let txn = self.transactions().txn(t);
        let (invoked, workload) = (txn.operation.start, txn.operation.kind.is_workload());
        let cost = Self::charged(forces, txn);
        if workload {
            self.coordination().charge(invoked, &cost);
        }
        if ok {
            self.answer(t, true, ctx);
        } else {
            self.coordination().abort(invoked);
            self.retry_or_fail(t, ctx);
        }
        self.transactions().remove(t);
    }
}

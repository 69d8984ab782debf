//! The client side every architecture shares: what it remembers about an
//! operation in flight, the consistency checks of a read's answer, a
//! write's acknowledgement, probe reads after writes, and the Elle history.
//! The architecture decides where requests go; the client decides what an
//! answer means.

use rand::RngExt;

use super::Context;
use crate::check::{HistoryLog, MicroOp, Oracle, ReadCheck, ServedBy, Version};
use crate::metrics::{Business, BusinessReport, Window};
use crate::model::streams::Stream;
use crate::model::{Lookup, VersionedStore, Write, transaction};
use crate::sim::{OpId, SimDuration, SimRng, SimTime, Streams};
use crate::workload::{KeySpace, OpKind, Operation};
use crate::workload::{ProbeSession, WorkloadConfig};

/// What an architecture remembers about an operation in flight.
#[derive(Clone, Debug, Default)]
pub struct OpState {
    /// Freshness floor of a single-key read (see `Oracle::read_invoked`).
    pub floor: Version,
    /// Version and value read.
    pub version: Version,
    pub value: i64,
    pub served_by: Option<ServedBy>,
    /// The read missed the cache and must fill it.
    pub missed: bool,
    /// `rmw` and `reserve`: the read is done, the write under way.
    pub writing: bool,
    /// What the operation's commit installed (or, for a refused transfer or
    /// txn, the versions it read).
    pub writes: transaction::Writes,
    pub installed: u8,
    /// The writes the operation meant to install (2 for a transfer that was
    /// not refused, a txn's keys); fewer installed at its ok is a torn
    /// transaction.
    pub planned: u8,
    /// A txn's keys in `writes`, installed or (refused) read.
    pub touched: u8,
    /// A best-effort txn over several shards: the legs done.
    pub legs_done: u8,
    /// Parts (shards, replicas) still to answer a scattered request.
    pub pending: u16,
    /// A probe's delay index.
    pub probe: u8,
    /// A `multi_get` answered by one database snapshot (a consistent read).
    pub consistent: bool,
    /// Its work touched more than one part (shard, partition): its answer
    /// is timed as a spanning one (see `Recorder::spanning_premium_ms`).
    pub spans: bool,
}

impl OpState {
    /// The operation committed the first `n` of `writes` at `data`. A
    /// refused transfer wrote nothing; its history shows what it read.
    pub fn committed(
        &mut self,
        o: &Operation,
        writes: transaction::Writes,
        n: usize,
        data: &VersionedStore,
        space: &KeySpace,
    ) {
        (self.writes, self.touched) = if n == 0 && matches!(o.kind, OpKind::Transfer | OpKind::Txn)
        {
            let (reads, len) = transaction::refused_reads(o, data, space);
            (reads, len as u8)
        } else {
            (writes, n as u8)
        };
        self.installed = n as u8;
        self.planned = n as u8;
    }

    /// What a cache-aside lookup found: the entry's version and value, or a
    /// miss the database must answer.
    pub fn cache_lookup(&mut self, found: Lookup) {
        match found {
            Lookup::Hit(version, value) => {
                (self.version, self.value, self.served_by) =
                    (version, value, Some(ServedBy::Cache));
            }
            Lookup::Miss => self.missed = true,
        }
    }

    /// The writes the operation installed.
    pub fn installed(&self) -> &[Write] {
        &self.writes[..usize::from(self.installed)]
    }
}

/// One key of a `multi_get`.
#[derive(Clone, Copy, Debug)]
pub struct KeyRead {
    pub key: u64,
    pub floor: Version,
    pub version: Version,
    pub value: i64,
    pub served_by: ServedBy,
    pub missed: bool,
}

/// What follows a read's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterRead {
    /// The operation is complete.
    Done,
    /// `rmw`, or `reserve` with stock left: now write.
    Write,
}

/// A probe read due after a write's acknowledgement: whether `version` of
/// `key` is visible to `session`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    pub key: u32,
    pub version: Version,
    pub session: u32,
    /// Index of the delay in `workload.probes`.
    pub delay: u8,
}

/// Per-operation state and the client's side of every request path.
pub struct Clients {
    space: KeySpace,
    multi_get_keys: u32,
    states: Vec<OpState>,
    /// A `multi_get`'s keys, per operation id (buffers are reused).
    multi: Vec<Vec<KeyRead>>,
    history: Option<HistoryLog>,
    probes: Vec<SimDuration>,
    probe_session: ProbeSession,
    probe_share: f64,
    probe_rng: SimRng,
    sessions: u32,
    /// Transfers and reservations answered, and how many were refused.
    business: Business,
    /// See [`Clients::spanning`].
    spanning: (u64, u128),
}

impl Clients {
    /// The clients of `workload`; `window` is the measured part of the run.
    pub fn new(workload: &WorkloadConfig, streams: &Streams, window: Window) -> Clients {
        Clients {
            space: KeySpace::new(workload),
            multi_get_keys: workload.multi_get_keys,
            states: Vec::new(),
            multi: Vec::new(),
            history: None,
            probes: workload.probes.clone(),
            probe_session: workload.probe_session,
            probe_share: workload.probe_share,
            probe_rng: Stream::Probes.of(streams),
            sessions: workload.sessions,
            business: Business::new(window),
            spanning: (0, 0),
        }
    }

    /// Transfers refused for balance and reservations refused for stock,
    /// among those answered ok.
    pub fn business(&self) -> BusinessReport {
        self.business.report()
    }

    /// Records the first `limit` operations' history (see `check::elle`).
    pub fn record_history(&mut self, limit: usize) {
        self.history = Some(HistoryLog::new(limit));
    }

    /// The recorded history as Elle JSON lines.
    pub fn history(&self, end: SimTime) -> Option<String> {
        self.history.as_ref().map(|h| h.to_json_lines(end))
    }

    #[inline]
    pub fn state(&self, op: OpId) -> &OpState {
        &self.states[op.index()]
    }

    #[inline]
    pub fn state_mut(&mut self, op: OpId) -> &mut OpState {
        &mut self.states[op.index()]
    }

    /// A `multi_get`'s keys.
    pub fn multi(&self, op: OpId) -> &[KeyRead] {
        &self.multi[op.index()]
    }

    pub fn multi_mut(&mut self, op: OpId) -> &mut Vec<KeyRead> {
        &mut self.multi[op.index()]
    }

    /// Whether the read (any key of a `multi_get`) missed the cache.
    pub fn missed(&self, op: OpId, kind: OpKind) -> bool {
        match kind {
            OpKind::MultiGet | OpKind::Scan => self.multi(op).iter().any(|r| r.missed),
            _ => self.state(op).missed,
        }
    }

    /// An operation starts now (`probe`: a probe's delay index): its state,
    /// its reads' freshness floors, a `multi_get`'s keys, the history.
    pub fn begin<E>(&mut self, op: OpId, probe: u8, ctx: &Context<'_, E>, oracle: &Oracle) {
        let o = *ctx.op(op);
        let i = op.index();
        if i >= self.states.len() {
            self.states.resize(i + 1, OpState::default());
            self.multi.resize_with(i + 1, Vec::new);
        }
        self.states[i] = OpState {
            probe,
            ..OpState::default()
        };
        match o.kind {
            OpKind::Get
            | OpKind::Rmw
            | OpKind::Reserve
            | OpKind::Probe
            | OpKind::DocGet
            | OpKind::Search
            | OpKind::SessionGet => {
                self.states[i].floor = oracle.read_invoked(o.key);
            }
            OpKind::MultiGet | OpKind::Scan => {
                let (space, n) = (self.space, self.multi_get_keys);
                // A scan's keys are `other` consecutive plain keys from its key.
                let scan =
                    (o.kind == OpKind::Scan).then(|| o.key..(o.key + o.other).min(space.plain));
                let multi = (o.kind == OpKind::MultiGet)
                    .then(|| space.multi_get_keys(o.key, n, o.other == 1));
                let keys = scan
                    .into_iter()
                    .flatten()
                    .chain(multi.into_iter().flatten());
                let reads = &mut self.multi[i];
                reads.clear();
                reads.extend(keys.map(|key| KeyRead {
                    key,
                    floor: oracle.read_invoked(key),
                    version: 0,
                    value: 0,
                    served_by: ServedBy::Primary,
                    missed: true,
                }));
            }
            OpKind::Put
            | OpKind::Insert
            | OpKind::Transfer
            | OpKind::Txn
            | OpKind::Analytics
            | OpKind::DocPut
            | OpKind::SessionPut => {}
        }
        self.record_invoke(op, &o);
    }

    /// A read has its answer: the oracle checks it, and the client either
    /// finishes the operation or goes on to its write.
    pub fn read_done<E>(
        &mut self,
        op: OpId,
        ctx: &mut Context<'_, E>,
        oracle: &mut Oracle,
    ) -> AfterRead {
        let o = *ctx.op(op);
        if ctx.abandoned(op) {
            // The client timed out: nobody sees this answer, and a
            // read-modify-write goes no further.
            ctx.complete(op, crate::metrics::Outcome::Ok);
            return AfterRead::Done;
        }
        let s = &self.states[op.index()];
        let check = ReadCheck {
            key: o.key,
            session: o.session,
            invoked: o.start,
            completed: ctx.now(),
            floor: s.floor,
            returned: s.version,
            served_by: s.served_by.unwrap_or(ServedBy::Primary),
        };
        match o.kind {
            OpKind::Get | OpKind::DocGet | OpKind::Search | OpKind::SessionGet => {
                oracle.read_returned(check)
            }
            OpKind::Probe => {
                let visible = s.version >= o.other as Version;
                oracle.probe_returned(usize::from(s.probe), visible, o.start);
            }
            OpKind::Rmw => {
                oracle.read_returned(check);
                self.states[op.index()].writing = true;
                return AfterRead::Write;
            }
            OpKind::Reserve => {
                oracle.read_returned(check);
                if s.value > 0 {
                    self.states[op.index()].writing = true;
                    return AfterRead::Write;
                }
                // Sold out: an ordinary answer, the reservation refused.
                self.business.reservation(o.start, true);
            }
            OpKind::MultiGet | OpKind::Scan => {
                let reads = &self.multi[op.index()];
                let checks: Vec<ReadCheck> = reads
                    .iter()
                    .map(|r| ReadCheck {
                        key: r.key,
                        session: o.session,
                        invoked: o.start,
                        completed: ctx.now(),
                        floor: r.floor,
                        returned: r.version,
                        served_by: r.served_by,
                    })
                    .collect();
                oracle.multi_read_returned(&checks);
                // One database snapshot of every account is a consistent
                // observation of the bank.
                if o.kind == OpKind::MultiGet
                    && s.consistent
                    && reads.len() as u64 >= self.space.accounts
                {
                    let total = reads.iter().map(|r| r.value).sum();
                    oracle.bank_observed(total, o.start);
                }
            }
            _ => unreachable!("not a read"),
        }
        self.record_ok(op, ctx);
        self.complete_ok(op, ctx);
        AfterRead::Done
    }

    /// The client receives a write's ok: the oracle learns what it was told,
    /// probe reads are scheduled after their delays, the operation
    /// completes.
    pub fn acknowledge<E>(&mut self, op: OpId, ctx: &mut Context<'_, E>, oracle: &mut Oracle) {
        let o = *ctx.op(op);
        let s = &self.states[op.index()];
        let now = ctx.now();
        if ctx.abandoned(op) {
            // The client timed out: the write may have committed, but nobody
            // was told (an indeterminate outcome, as Jepsen calls it).
            ctx.complete(op, crate::metrics::Outcome::Ok);
            return;
        }
        for w in s.installed() {
            oracle.acknowledged(w.key, w.version, o.session, now);
        }
        match o.kind {
            OpKind::Rmw => oracle.increment_acknowledged(o.key),
            OpKind::Transfer => {
                let n = s.installed().len();
                oracle.transaction_ended(true, n, usize::from(s.planned).max(n), o.start);
                // Nothing installed: the balance was short.
                self.business.transfer(o.start, n == 0);
            }
            OpKind::Txn => {
                let n = s.installed().len();
                oracle.transaction_ended(true, n, usize::from(s.planned).max(n), o.start);
            }
            // A reservation that wrote nothing found the item sold out at
            // its commit.
            OpKind::Reserve => self.business.reservation(o.start, s.installed == 0),
            _ => {}
        }
        for w in s.installed() {
            if self.probes.is_empty() || !self.probe_rng.random_bool(self.probe_share) {
                continue;
            }
            let session = match self.probe_session {
                ProbeSession::Same => o.session,
                ProbeSession::Other => (o.session + 1) % self.sessions,
            };
            for (i, after) in self.probes.iter().enumerate() {
                let p = Probe {
                    key: w.key as u32,
                    version: w.version,
                    session,
                    delay: i as u8,
                };
                ctx.schedule_in(*after, super::Queued::Probe(p));
            }
        }
        self.record_ok(op, ctx);
        self.complete_ok(op, ctx);
    }

    /// `op`'s client has its ok answer now.
    #[inline(always)]
    pub fn complete_ok<E>(&mut self, op: OpId, ctx: &mut Context<'_, E>) {
        if self.states[op.index()].spans {
            self.spanned(op, ctx);
        }
        ctx.complete(op, crate::metrics::Outcome::Ok);
    }

    /// `op`, whose work touched several parts, is answered ok now: timed
    /// for the latency premium of crossing parts (the workload's operations
    /// of the window, analytics queries apart).
    #[cold]
    #[inline(never)]
    fn spanned<E>(&mut self, op: OpId, ctx: &Context<'_, E>) {
        let o = ctx.op(op);
        if !ctx.abandoned(op)
            && o.kind.is_workload()
            && o.kind != OpKind::Analytics
            && ctx.window().contains(o.start)
        {
            self.spanning.0 += 1;
            self.spanning.1 += u128::from((ctx.now() - o.start).as_nanos());
        }
    }

    /// The workload's operations of the window answered ok whose work
    /// touched more than one part (analytics queries apart): how many, and
    /// their latencies' sum in ns.
    pub fn spanning(&self) -> (u64, u128) {
        self.spanning
    }

    /// The operation a probe read is (its start is set when it begins).
    pub fn probe_operation(p: Probe) -> Operation {
        Operation {
            kind: OpKind::Probe,
            key: u64::from(p.key),
            other: u64::from(p.version),
            session: p.session,
            start: SimTime::ZERO,
        }
    }

    /// History: the operation starts (nothing to do, at the cost of one
    /// test, when no history is kept).
    #[inline]
    fn record_invoke(&mut self, op: OpId, o: &Operation) {
        if self.history.is_some() {
            self.history_invoke(op, o);
        }
    }

    #[inline(never)]
    fn history_invoke(&mut self, op: OpId, o: &Operation) {
        let Some(h) = self.history.as_mut() else {
            return;
        };
        let ops = match o.kind {
            OpKind::Get
            | OpKind::Reserve
            | OpKind::DocGet
            | OpKind::Search
            | OpKind::SessionGet => vec![MicroOp::Read(o.key, None)],
            OpKind::Put | OpKind::Insert | OpKind::DocPut | OpKind::SessionPut => {
                vec![MicroOp::Write(o.key, 0)]
            }
            OpKind::Rmw => vec![MicroOp::Read(o.key, None), MicroOp::Write(o.key, 0)],
            OpKind::Transfer => vec![
                MicroOp::Read(o.key, None),
                MicroOp::Read(o.other, None),
                MicroOp::Write(o.key, 0),
                MicroOp::Write(o.other, 0),
            ],
            OpKind::MultiGet | OpKind::Scan => self.multi[op.index()]
                .iter()
                .map(|r| MicroOp::Read(r.key, None))
                .collect(),
            OpKind::Txn => {
                let keys = self.space.txn_keys(o);
                let mut ops: Vec<MicroOp> = keys
                    .keys()
                    .iter()
                    .map(|&k| MicroOp::Read(k, None))
                    .collect();
                ops.extend(keys.keys().iter().map(|&k| MicroOp::Write(k, 0)));
                ops
            }
            OpKind::Analytics | OpKind::Probe => return,
        };
        h.invoke(op.slot(), o.start, ops);
    }

    /// History: the operation completes ok, with what it read and wrote.
    #[inline]
    fn record_ok<E>(&mut self, op: OpId, ctx: &Context<'_, E>) {
        if self.history.is_some() {
            self.history_ok(op, ctx);
        }
    }

    #[inline(never)]
    fn history_ok<E>(&mut self, op: OpId, ctx: &Context<'_, E>) {
        let Some(h) = self.history.as_mut() else {
            return;
        };
        let o = ctx.op(op);
        let s = &self.states[op.index()];
        let writes = s.installed();
        let ops = match o.kind {
            OpKind::Get | OpKind::DocGet | OpKind::Search | OpKind::SessionGet => {
                vec![MicroOp::Read(o.key, Some(s.version))]
            }
            OpKind::Put | OpKind::Insert | OpKind::DocPut | OpKind::SessionPut => {
                vec![MicroOp::Write(o.key, writes[0].version)]
            }
            OpKind::Rmw | OpKind::Reserve => {
                let mut ops = vec![MicroOp::Read(o.key, Some(s.version))];
                ops.extend(writes.iter().map(|w| MicroOp::Write(w.key, w.version)));
                ops
            }
            // The transaction read the versions just before its own (or the
            // current ones, when refused).
            OpKind::Transfer | OpKind::Txn => {
                let read =
                    |w: &Write| MicroOp::Read(w.key, Some(w.version - u32::from(s.installed > 0)));
                let touched = if o.kind == OpKind::Txn {
                    usize::from(s.touched)
                } else {
                    2
                };
                let mut ops: Vec<MicroOp> = s.writes[..touched].iter().map(read).collect();
                ops.extend(writes.iter().map(|w| MicroOp::Write(w.key, w.version)));
                ops
            }
            OpKind::MultiGet | OpKind::Scan => self.multi[op.index()]
                .iter()
                .map(|r| MicroOp::Read(r.key, Some(r.version)))
                .collect(),
            OpKind::Analytics | OpKind::Probe => return,
        };
        h.ok(op.slot(), ctx.now(), ops);
    }
}

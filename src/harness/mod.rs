//! The harness between the engine and an architecture: what every
//! architecture shares and none should re-wire — the clients and their
//! history, the consistency oracle, probe reads, the network's messages and
//! their count, the coordination cost (one accounting for all), what each
//! fault did, and the delivery of fault edges to the parts that hold the
//! faulted role. An architecture keeps only its request paths and
//! placement, and tells the harness what happened in domain terms: a read
//! returned, a write was installed or acknowledged, a message was sent, a
//! record was forced.
//!
//! The harness drives the architecture through [`Architecture`] as the
//! engine's system ([`Run`]): it begins each arriving operation (and each
//! probe read it scheduled) with the client and the oracle, then hands it to
//! the architecture's `route`; it hands the architecture's own events back
//! to it; and at a fault's edge it delivers the fault to every part the
//! architecture names for the role, then lets the architecture react where
//! a protocol must (a failover, an election). Monomorphised per
//! architecture: no dynamic dispatch per event.

pub mod client;
mod parts;
mod schema;

pub use client::{AfterRead, Clients, KeyRead, OpState, Probe};
pub use parts::{Part, WhenDown};

use std::collections::BTreeMap;

use crate::check::{
    AnomalyReport, DivergenceReport, LagSummary, Oracle, ServedBy, Version, VisibilityReport,
};
use crate::faults::{Effects, Fault, Role};
use crate::metrics::{CoordinationCost, CoordinationReport, Recorder, Window};
use crate::model::network::{Message, NetworkConfig};
use crate::model::streams::Stream;
use crate::model::{Network, VersionedStore, transaction};
use crate::sim::{self, OpId, SimDuration, SimTime, Streams};
use crate::workload::WorkloadConfig;
use crate::workload::{OpKind, Operation, RmwAt};

/// What goes through the event queue: the architecture's own events, and
/// the probe reads the harness schedules after a write's acknowledgement.
#[derive(Clone, Copy, Debug)]
pub enum Queued<E> {
    Arch(E),
    Probe(Probe),
}

impl<E> From<E> for Queued<E> {
    #[inline]
    fn from(event: E) -> Queued<E> {
        Queued::Arch(event)
    }
}

/// What an architecture sees while handling an operation, an event or a
/// fault: the engine's context over the workload's operations and the
/// run's recorder. `schedule_*` takes the architecture's own events.
pub type Context<'a, E> = sim::Context<'a, Queued<E>, Recorder>;

/// One architecture's request paths, driven by the harness.
pub trait Architecture {
    /// The architecture's own events: small, `Copy`, usually carrying an `OpId`.
    type Event: Copy;

    fn harness(&self) -> &Harness;
    fn harness_mut(&mut self) -> &mut Harness;

    /// Operation `op` has begun now (a client's, or a probe read): the
    /// client and the oracle know it; send it on its way.
    fn route(&mut self, op: OpId, ctx: &mut Context<'_, Self::Event>);

    /// One of the architecture's events fires.
    fn on_event(&mut self, event: Self::Event, ctx: &mut Context<'_, Self::Event>);

    /// The parts that hold `role`, each handed to `deliver` (a fault on the
    /// role reaches each once). The scenario has checked that the
    /// architecture has the role and that it can take the fault's kind; a
    /// role no part holds (one handled by a protocol alone) names none.
    fn parts(&mut self, _role: &Role, _deliver: &mut dyn FnMut(Part<'_>)) {}

    /// Fault `index` of the scenario begins (`begins`) or ends now: the
    /// architecture's protocol reaction, if the fault needs one (a
    /// failover, an election, transactions left in doubt). Runs before the
    /// fault reaches the parts.
    fn on_fault(
        &mut self,
        _index: usize,
        _fault: &Fault,
        _begins: bool,
        _ctx: &mut Context<'_, Self::Event>,
    ) {
    }

    /// Delivers `event` after `delay`, at once when that is zero (which
    /// keeps pure queueing scenarios lean).
    fn land(&mut self, delay: SimDuration, event: Self::Event, ctx: &mut Context<'_, Self::Event>)
    where
        Self: Sized,
    {
        if delay == SimDuration::ZERO {
            self.on_event(event, ctx);
        } else {
            ctx.schedule_in(delay, event);
        }
    }

    /// Sends a message of kind `kind` for `op` and delivers `event` when it
    /// lands.
    fn hop(
        &mut self,
        kind: Message,
        op: OpId,
        event: Self::Event,
        ctx: &mut Context<'_, Self::Event>,
    ) where
        Self: Sized,
    {
        let delay = self.harness_mut().message(kind, ctx.op(op));
        self.land(delay, event, ctx);
    }

    /// Sends a request of kind `kind` for `op`, whose answer its client
    /// waits for (a round trip on its path), and delivers `event` when it
    /// lands.
    #[inline]
    fn request(
        &mut self,
        kind: Message,
        op: OpId,
        event: Self::Event,
        ctx: &mut Context<'_, Self::Event>,
    ) where
        Self: Sized,
    {
        let delay = self.harness_mut().request(kind, ctx.op(op));
        self.land(delay, event, ctx);
    }

    /// A hint, given shortly before `op` arrives: load what its request path
    /// will touch (per-key state) into the CPU cache. Changes no state and
    /// no result; a large key space is memory-bound without it.
    #[inline]
    fn prefetch(&self, _op: &Operation) {}
}

/// What every architecture shares: clients, oracle, network, fault effects.
pub struct Harness {
    pub oracle: Oracle,
    pub clients: Clients,
    /// The messages between clients and servers, and between servers: the
    /// one place they are sent and counted, with the round trips.
    pub network: Network,
    /// Forced writes, consensus rounds, locks and aborts, per operation and
    /// per transaction.
    pub costs: CoordinationCost,
    /// What each of the scenario's faults did, in their order.
    pub effects: Effects,
    /// Where `rmw` and `reserve` run (`[workload] rmw`).
    rmw: RmwAt,
}

impl Harness {
    /// A harness for a run of `workload` over `network` with `faults`
    /// faults; `window` is the measured part of the run.
    pub fn new(
        workload: &WorkloadConfig,
        network: &NetworkConfig,
        faults: usize,
        streams: &Streams,
        window: Window,
    ) -> Harness {
        let space = crate::workload::KeySpace::new(workload);
        Harness {
            oracle: Oracle::new(space, workload.sessions, &workload.probes, window),
            clients: Clients::new(workload, streams, window),
            network: Network::new(network, Stream::Network.of(streams), window),
            costs: CoordinationCost::new(window),
            effects: Effects::new(faults),
            rmw: workload.rmw,
        }
    }

    /// Whether operations of `kind` run at the system of record as one
    /// statement under its row lock: `rmw` and `reserve` under
    /// `[workload] rmw = "server"`.
    #[inline]
    pub fn server_side(&self, kind: OpKind) -> bool {
        self.rmw == RmwAt::Server && matches!(kind, OpKind::Rmw | OpKind::Reserve)
    }

    /// A server-side `rmw` or `reserve` reads its row at the system of
    /// record under the row lock: it sees `version` and `value`.
    #[inline]
    pub fn statement_read(&mut self, op: OpId, version: Version, value: i64) {
        let s = self.state_mut(op);
        (s.version, s.value, s.served_by) = (version, value, Some(ServedBy::Primary));
    }

    /// Whether `op` of `kind` is a server-side reservation that found its
    /// item sold out under the lock: nothing to write, nothing to log.
    #[inline]
    pub fn sold_out(&self, op: OpId, kind: OpKind) -> bool {
        kind == OpKind::Reserve && self.server_side(kind) && self.state(op).value <= 0
    }

    /// Whether `op` of `kind` is a write at the system of record now: `put`,
    /// `transfer` and `txn` always, `rmw` and `reserve` when they run server-side
    /// or have done their client-side read.
    #[inline]
    pub fn writes(&self, op: OpId, kind: OpKind) -> bool {
        match kind {
            OpKind::Put | OpKind::Insert | OpKind::Transfer | OpKind::Txn => true,
            OpKind::Rmw | OpKind::Reserve => self.server_side(kind) || self.state(op).writing,
            _ => false,
        }
    }

    /// What the client remembers about `op`.
    #[inline]
    pub fn state(&self, op: OpId) -> &OpState {
        self.clients.state(op)
    }

    #[inline]
    pub fn state_mut(&mut self, op: OpId) -> &mut OpState {
        self.clients.state_mut(op)
    }

    /// Operation `op` (`o`) touches more than one shard or partition: its
    /// answer is timed as a spanning one, and — on `first` telling, once
    /// per operation — it counts toward the distributed share.
    #[inline]
    pub fn distributed(&mut self, op: OpId, o: &Operation, first: bool) {
        if first {
            self.costs.distributed(o);
        }
        self.clients.state_mut(op).spans = true;
    }

    /// One message of kind `kind` is sent now for `o`: counted, and its
    /// one-way delay.
    #[inline]
    pub fn message(&mut self, kind: Message, o: &Operation) -> SimDuration {
        self.network.message(kind, o)
    }

    /// A request of kind `kind` is sent now for `o`, whose answer `o`'s
    /// client waits for: one round trip on its path, one message counted,
    /// and its one-way delay. (Send the other requests of a parallel
    /// fan-out with [`Harness::message`]: they share the round trip.)
    #[inline]
    pub fn request(&mut self, kind: Message, o: &Operation) -> SimDuration {
        self.network.request(kind, o)
    }

    /// A read's answer reaches the client: the oracle checks it, and the
    /// operation either completes or goes on to its write.
    #[inline]
    pub fn read_returned<E>(&mut self, op: OpId, ctx: &mut Context<'_, E>) -> AfterRead {
        self.clients.read_done(op, ctx, &mut self.oracle)
    }

    /// A write's ok reaches the client: the oracle learns what it was told,
    /// probe reads follow, the operation completes.
    #[inline]
    pub fn acknowledged<E>(&mut self, op: OpId, ctx: &mut Context<'_, E>) {
        self.clients.acknowledge(op, ctx, &mut self.oracle);
    }

    /// A write's answer reaches the client. A server-side statement's
    /// answer also carries what it read: the oracle checks that read first,
    /// and a sold-out reservation ends there.
    pub fn write_answered<E>(&mut self, op: OpId, ctx: &mut Context<'_, E>) {
        if !self.server_side(ctx.op(op).kind) || self.read_returned(op, ctx) == AfterRead::Write {
            self.acknowledged(op, ctx);
        }
    }

    /// `o`'s planned writes are installed in `store` now, as one commit the
    /// oracle records (`read` is the version a read-modify-write read).
    pub fn installed(
        &mut self,
        plan: &transaction::Plan,
        store: &mut VersionedStore,
        o: &Operation,
        read: Version,
        now: SimTime,
    ) -> transaction::Writes {
        transaction::install(plan, store, &mut self.oracle, o, read, now)
    }

    /// The anomalies the oracle found, with `record` the system of record
    /// after the run and `divergence` how each copy differs from it.
    pub fn anomalies(
        &self,
        record: &VersionedStore,
        divergence: BTreeMap<String, DivergenceReport>,
    ) -> AnomalyReport {
        self.oracle
            .report(|key| (record.version(key), record.value(key)), divergence)
    }

    /// Probe visibility, and `lag`, each copy's visibility lag.
    pub fn visibility(&self, lag: BTreeMap<String, LagSummary>) -> VisibilityReport {
        VisibilityReport {
            probes: self.oracle.probe_curve(),
            lag_ms: lag,
        }
    }

    /// The coordination cost per operation of the `offered` operations of
    /// the workload started in the window: the network's messages and
    /// round trips, and the costs charged.
    pub fn coordination(&self, offered: u64) -> CoordinationReport {
        let messages = self.network.messages().map(|(kind, n)| (kind.name(), n));
        self.costs
            .report(offered, self.network.round_trips(), messages)
    }
}

/// An architecture under the harness, as the engine drives it.
pub struct Run<'f, A> {
    pub arch: A,
    faults: &'f [Fault],
    /// The pipelines feeding the architecture's derived stores, which a
    /// schema change reaches (see `schema`).
    pipelines: Vec<Role>,
}

impl<'f, A: Architecture> Run<'f, A> {
    /// `arch` under the scenario's `faults` (the engine delivers their
    /// edges by index); `pipelines` are its `pipeline:<store>` roles.
    pub fn new(arch: A, faults: &'f [Fault], pipelines: Vec<Role>) -> Self {
        Run {
            arch,
            faults,
            pipelines,
        }
    }

    /// `op` begins now (`probe`: a probe's delay index).
    #[inline]
    fn begin(&mut self, op: OpId, probe: u8, ctx: &mut Context<'_, A::Event>) {
        let h = self.arch.harness_mut();
        h.clients.begin(op, probe, ctx, &h.oracle);
        self.arch.route(op, ctx);
    }
}

impl<A: Architecture> sim::System for Run<'_, A> {
    type Event = Queued<A::Event>;
    type Outcomes = Recorder;

    #[inline]
    fn on_arrival(&mut self, op: OpId, ctx: &mut Context<'_, A::Event>) {
        let start = ctx.op(op).start;
        self.arch.harness_mut().oracle.operation(start);
        self.begin(op, 0, ctx);
    }

    #[inline]
    fn on_event(&mut self, event: Queued<A::Event>, ctx: &mut Context<'_, A::Event>) {
        match event {
            Queued::Arch(e) => self.arch.on_event(e, ctx),
            Queued::Probe(p) => {
                let op = ctx.begin(Clients::probe_operation(p));
                self.begin(op, p.delay, ctx);
            }
        }
    }

    fn on_edge(&mut self, index: usize, begins: bool, ctx: &mut Context<'_, A::Event>) {
        let fault = &self.faults[index];
        self.arch.on_fault(index, fault, begins, ctx);
        let now = ctx.now();
        self.arch
            .parts(&fault.target, &mut |part| part.take(fault, begins, now));
        if fault.kind == crate::faults::FaultKind::SchemaChange {
            let (arch, pipelines) = (&mut self.arch, &self.pipelines);
            if begins {
                schema::open(arch, pipelines, fault, now);
            } else {
                schema::close(arch, pipelines, index, fault, now);
            }
        }
    }

    #[inline]
    fn prefetch(&self, op: &Operation) {
        self.arch.harness().oracle.prefetch(op.key, op.session);
        self.arch.prefetch(op);
    }

    /// Offered all the same: anomaly rates stay per offered operation.
    fn unserved(&mut self, op: &Operation) {
        self.arch.harness_mut().oracle.operation(op.start);
    }
}

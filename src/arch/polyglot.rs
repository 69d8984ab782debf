//! Stage 2, Specialized Persistence: the database stays the system of
//! record, and four specialized systems sit beside it — a cache (data grid),
//! a search index, a warehouse and a session store — each a station with
//! its own service times. Three of them are derived from the database and
//! must be kept in sync; which system has the correct value is the question.
//!
//! Routing by operation kind:
//! - `get` (and the read half of a client-side `rmw`/`reserve`): the cache
//!   (one hop each way to its server), then the database on a miss, filling
//!   the cache;
//! - `put`, `transfer`, `rmw`/`reserve` (whole under `[workload] rmw =
//!   "server"`, their write half under "client"), `multi_get`: the
//!   database, as the Single System's primary (row locks held until the
//!   commit is durable, group commit);
//! - `search`: the search index, which answers with what it has indexed;
//! - `analytics`: the warehouse, which holds all the data and runs the
//!   whole query (`db.analytics`) on its cores — a slice at a time under
//!   "time-slice" scheduling, one core to the end under "fcfs" — nothing
//!   to split or merge;
//! - `session_get`/`session_put`: the session store, the system of record
//!   for sessions.
//!
//! After a write commits, each derived store learns of it by its own path
//! (`[architecture.stores]`):
//! - `dual-write`: the application writes the store itself, after the
//!   commit and before answering, one store after another; each such write
//!   fails with probability `fail`, and the store keeps its old value until
//!   the key is written again — divergence, permanent until then;
//! - `cdc`: a connector tails the database log (poll, batch, throughput);
//!   above its throughput the lag grows without bound;
//! - `event-bus`: each change is published and delivered after the bus's
//!   delay, at least once (`duplicate`), in order per key with one consumer
//!   and in any order with several.
//!
//! The search index makes what it receives searchable at its next refresh
//! (`refresh`), the warehouse at its next batch load (`load_every`): each
//! holds the changes delivered since, in delivery order, and applies them
//! all at the boundary, one event per boundary rather than one per change
//! (a warehouse loading every 15 minutes holds write rate × 15 minutes of
//! them). Each cycle starts at a phase drawn for the run
//! (`model::pipeline::Boundaries`), so the lag reported is the steady
//! state's even in a run shorter than one load interval. A run goes on
//! after the last operation until every pipeline has delivered, so the
//! end-of-run comparison of each store with the database is after the
//! drain.

pub mod config;

use std::collections::BTreeMap;

use rand::RngExt;

use super::Report;
use super::{Footprint, Sync, SyncPath};
use crate::check::{DivergenceReport, LagSummary, ServedBy};
use crate::dist::Dist;
use crate::faults::Role;
use crate::harness::{AfterRead, Architecture, Context, Harness, Part, WhenDown};
use crate::metrics::{ComponentStats, Outcome, Window, round6};
use crate::model::network::Message;
use crate::model::streams::Stream;
use crate::model::{
    Applied, Boundaries, Cache, CdcConnector, CommitLog, DerivedStore, EventBus, Logged, Lookup,
    RowKeys, RowLocks, Station, Step, TimeSlicer, VersionedStore, Write, transaction,
};
use crate::sim::{OpId, SimDuration, SimRng, SimTime, Streams};
use crate::workload::{Entity, KeySpace, OpKind, Operation};

/// The derived stores, in the order dual writes reach them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Derived {
    Cache = 0,
    Search = 1,
    Warehouse = 2,
}

impl Derived {
    const ALL: [Derived; 3] = [Derived::Cache, Derived::Search, Derived::Warehouse];

    fn name(self) -> &'static str {
        match self {
            Derived::Cache => "cache",
            Derived::Search => "search",
            Derived::Warehouse => "warehouse",
        }
    }
}

/// A committed write on its way to a derived store.
#[derive(Clone, Copy, Debug)]
struct Change {
    write: Write,
    committed: SimTime,
}

/// Which system a request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum System {
    Db,
    Cache,
    Search,
    Warehouse,
    Sessions,
}

#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// A request reaches a system.
    At(OpId, System),
    /// The database finishes a write's CPU work.
    Served(OpId),
    /// The database's log flush under way completes.
    Flushed,
    /// An answer reaches the client.
    Answered(OpId, System),
    /// A slice of an analytics query on the warehouse ends (a handle in the
    /// slicer): the query goes back into the warehouse's queue.
    Sliced(u32),
    /// The application's write of a derived store (a dual write) reaches it.
    DualWrite(OpId, u8),
    /// The dual write's answer reaches the application.
    DualWritten(OpId, u8),
    /// A store's CDC connector wakes.
    CdcWake(u8),
    /// A change reaches a derived store (a handle in the change slab).
    Deliver {
        store: u8,
        change: u32,
        duplicate: bool,
    },
    /// A store's refresh or batch load: the changes delivered since the
    /// last one become visible.
    Publish(u8),
}

type Ctx<'a> = Context<'a, Event>;

/// Changes in flight to derived stores, by handle.
#[derive(Default)]
struct Changes {
    slots: Vec<Change>,
    free: Vec<u32>,
}

impl Changes {
    fn push(&mut self, c: Change) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = c;
                i
            }
            None => {
                self.slots.push(c);
                (self.slots.len() - 1) as u32
            }
        }
    }

    fn take(&mut self, i: u32) -> Change {
        self.free.push(i);
        self.slots[i as usize]
    }
}

/// How one derived store is fed.
struct Feed {
    sync: Sync,
    cdc: CdcConnector<Change>,
    bus: EventBus,
    /// Visibility after delivery: the next refresh or batch load, if any.
    publish_every: Option<Boundaries>,
    /// Changes delivered and not yet visible, in delivery order, with
    /// whether each is a redelivery; the next boundary publishes them all.
    pending: std::collections::VecDeque<(Change, bool)>,
}

/// The polyglot architecture.
pub struct Polyglot {
    space: KeySpace,
    db: Station,
    data: VersionedStore,
    /// The commit path through the write-ahead log.
    wal: CommitLog,
    /// The database's row locks, held by each write until it is durable.
    locks: RowLocks<OpId>,
    /// Writes that have just been granted their locks.
    granted: Vec<OpId>,
    cache: Option<Cache>,
    cache_server: Station,
    cache_service: Dist,
    search: DerivedStore,
    search_server: Station,
    warehouse: DerivedStore,
    warehouse_server: Station,
    sessions: Station,
    feeds: Vec<Feed>,
    changes: Changes,
    /// Visibility lag of cache sets (apply − commit).
    cache_lag: crate::metrics::LatencyRecorder,
    read: Dist,
    write: Dist,
    analytics: Dist,
    /// Analytics queries on the warehouse between their slices.
    slicer: TimeSlicer<OpId>,
    search_query: Dist,
    session: Dist,
    dual_write_fail: f64,
    service_rng: SimRng,
    cache_rng: SimRng,
    search_rng: SimRng,
    warehouse_rng: SimRng,
    session_rng: SimRng,
    fail_rng: SimRng,
    transfer_amount: i64,
    h: Harness,
    window: Window,
}

impl Polyglot {
    pub fn new(
        config: &config::Config,
        setting: &super::Setting<'_>,
        streams: &Streams,
        window: Window,
    ) -> Polyglot {
        let w = setting.workload;
        let space = KeySpace::new(w);
        let db = &config.db;
        let st = &config.stores;
        let boundaries = |store: &str, every: SimDuration| {
            Boundaries::new(every, &mut Stream::Phase(store).of(streams))
        };
        let feed = |i: usize, sync: Sync, publish_every: Option<Boundaries>| Feed {
            sync,
            cdc: CdcConnector::new(st.poll, st.batch as usize, st.throughput),
            bus: EventBus::new(
                st.bus_delay.clone(),
                st.duplicate,
                st.consumers,
                space.total(),
                Stream::BusDelay(i as u32).of(streams),
            ),
            publish_every,
            pending: std::collections::VecDeque::new(),
        };
        Polyglot {
            space,
            db: db.node(db.cores, window),
            data: VersionedStore::new(&space),
            wal: db.commit_log(Stream::Fsync("db").of(streams), window),
            locks: RowLocks::new(window),
            granted: Vec::new(),
            cache: (config.cache.capacity > 0).then(|| {
                Cache::new(
                    config.cache.capacity,
                    config.cache.ttl,
                    space.total(),
                    window,
                )
            }),
            cache_server: Station::new(config.cache.cores, window),
            cache_service: config.cache.service(),
            search: DerivedStore::new(&space, window),
            search_server: Station::new(st.cores, window),
            warehouse: DerivedStore::new(&space, window),
            warehouse_server: Station::new(st.cores, window),
            sessions: Station::new(st.cores, window),
            feeds: vec![
                feed(0, st.cache_sync, None),
                feed(1, st.search_sync, Some(boundaries("search", st.refresh))),
                feed(
                    2,
                    st.warehouse_sync,
                    Some(boundaries("warehouse", st.load_every)),
                ),
            ],
            changes: Changes::default(),
            cache_lag: crate::metrics::LatencyRecorder::new(),
            read: db.read.clone(),
            write: db.write.clone(),
            analytics: db.analytics.clone(),
            slicer: TimeSlicer::new(db.analytics_slice()),
            search_query: st.search.clone(),
            session: st.session.clone(),
            dual_write_fail: st.fail,
            service_rng: Stream::Service("db").of(streams),
            cache_rng: Stream::Service("cache").of(streams),
            search_rng: Stream::Service("search").of(streams),
            warehouse_rng: Stream::Service("warehouse").of(streams),
            session_rng: Stream::Service("session_store").of(streams),
            fail_rng: Stream::DualWriteFailure.of(streams),
            transfer_amount: w.transfer_amount,
            h: Harness::new(w, setting.network, setting.faults.len(), streams, window),
            window,
        }
    }

    /// A request reaches `system`, which serves it on a core: reads see the
    /// system's data as the request lands.
    fn at(&mut self, op: OpId, system: System, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let is_write = system == System::Db && self.h.writes(op, o.kind);
        if is_write && !self.locks.lock(op, RowKeys::of(&o), ctx.now()) {
            // Waits for the rows' locks; `release` hands it on.
            return;
        }
        self.execute(op, system, ctx);
    }

    /// `op` runs at `system` now (a write holding its row locks).
    fn execute(&mut self, op: OpId, system: System, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let now = ctx.now();
        let is_write = system == System::Db && self.h.writes(op, o.kind);
        if is_write && self.h.server_side(o.kind) {
            let (version, value) = (self.data.version(o.key), self.data.value(o.key));
            self.h.statement_read(op, version, value);
        }
        let (station, service) = match system {
            System::Cache => {
                let cache = self.cache.as_mut().expect("a cache");
                if o.kind == OpKind::MultiGet {
                    // Each key looked up; the misses go on to the database.
                    for r in self.h.clients.multi_mut(op) {
                        if let Lookup::Hit(version, value) = cache.get(r.key, now) {
                            (r.version, r.value) = (version, value);
                            (r.served_by, r.missed) = (ServedBy::Cache, false);
                        }
                    }
                } else {
                    let found = cache.get(o.key, now);
                    self.h.state_mut(op).cache_lookup(found);
                }
                (
                    &mut self.cache_server,
                    self.cache_service.sample(&mut self.cache_rng),
                )
            }
            System::Search => {
                let (version, value) = self.search.read(o.key);
                let s = self.h.state_mut(op);
                (s.version, s.value, s.served_by) = (version, value, Some(ServedBy::Index));
                (
                    &mut self.search_server,
                    self.search_query.sample(&mut self.search_rng),
                )
            }
            System::Warehouse => (
                &mut self.warehouse_server,
                self.analytics.sample(&mut self.warehouse_rng),
            ),
            System::Sessions => {
                if o.kind != OpKind::SessionPut {
                    let s = self.h.state_mut(op);
                    (s.version, s.value) = (self.data.version(o.key), self.data.value(o.key));
                    s.served_by = Some(ServedBy::Primary);
                } else {
                    // The session store is the record for sessions: the
                    // write lands as it arrives.
                    let version = self.data.commit(o.key, 0, now);
                    let s = self.h.state_mut(op);
                    s.writes[0] = Write {
                        key: o.key,
                        version,
                        value: 0,
                    };
                    (s.installed, s.planned) = (1, 1);
                }
                (
                    &mut self.sessions,
                    self.session.sample(&mut self.session_rng),
                )
            }
            System::Db => {
                let service = if is_write {
                    let rows = if o.kind == OpKind::Transfer { 2 } else { 1 };
                    (0..rows).fold(SimDuration::ZERO, |d, _| {
                        d + self.write.sample(&mut self.service_rng)
                    })
                } else if o.kind == OpKind::MultiGet {
                    let mut reads = std::mem::take(self.h.clients.multi_mut(op));
                    let mut service = SimDuration::ZERO;
                    // The keys the cache missed (every key without a cache),
                    // left marked missed so the answer fills the cache.
                    for r in reads.iter_mut().filter(|r| r.missed) {
                        (r.version, r.value) = (self.data.version(r.key), self.data.value(r.key));
                        r.served_by = ServedBy::Primary;
                        service = service + self.read.sample(&mut self.service_rng);
                    }
                    // Every key from the database's one statement: a consistent read.
                    self.h.state_mut(op).consistent =
                        reads.iter().all(|r| r.served_by == ServedBy::Primary);
                    *self.h.clients.multi_mut(op) = reads;
                    service
                } else {
                    let s = self.h.state_mut(op);
                    (s.version, s.value) = (self.data.version(o.key), self.data.value(o.key));
                    s.served_by = Some(ServedBy::Primary);
                    self.read.sample(&mut self.service_rng)
                };
                (&mut self.db, service)
            }
        };
        if o.kind == OpKind::Analytics {
            let step = self.slicer.start(station, now, service, op);
            return self.analytics_step(step, op, ctx);
        }
        let slot = station.enter(now, service);
        if is_write {
            ctx.schedule_at(slot.done, Event::Served(op));
        } else {
            let back = self.h.message(Message::Client, &o);
            ctx.schedule_at(slot.done + back, Event::Answered(op, system));
        }
    }

    /// An analytics query on the warehouse has had a slice admitted: its
    /// next slice, or its answer, one hop back after the last.
    fn analytics_step(&mut self, step: Step, op: OpId, ctx: &mut Ctx<'_>) {
        match step {
            Step::Slice { at, handle } => ctx.schedule_at(at, Event::Sliced(handle)),
            Step::Done(at) => {
                let back = self.h.message(Message::Client, ctx.op(op));
                ctx.schedule_at(at + back, Event::Answered(op, System::Warehouse));
            }
        }
    }

    /// A slice of an analytics query on the warehouse ended.
    fn sliced(&mut self, handle: u32, ctx: &mut Ctx<'_>) {
        let op = self.slicer.context(handle);
        let step = self
            .slicer
            .resume(handle, &mut self.warehouse_server, ctx.now());
        self.analytics_step(step, op, ctx);
    }

    /// A write's CPU work ends: its commit record goes to the log.
    fn served(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        if self.h.sold_out(op, o.kind) {
            // A sold-out item: nothing to log.
            self.release(op, &o, ctx);
            return self.hop(Message::Client, op, Event::Answered(op, System::Db), ctx);
        }
        match self.wal.submit(op, ctx.now()) {
            Logged::Durable => self.commit(op, ctx),
            Logged::FlushEndsAt(t) => ctx.schedule_at(t, Event::Flushed),
            Logged::Queued => {}
        }
    }

    fn flushed(&mut self, ctx: &mut Ctx<'_>) {
        let (mut durable, next) = self.wal.flushed(ctx.now());
        if let Some(next) = next {
            ctx.schedule_at(next, Event::Flushed);
        }
        for op in durable.drain(..) {
            // Its commit record was forced, and its client waited for it.
            self.h.costs.forced_write(ctx.op(op), true);
            self.commit(op, ctx);
        }
        self.wal.recycle(durable);
    }

    /// The transaction commits at the database (see `model::transaction`)
    /// and its changes start on their way to the stores fed by a pipeline.
    fn commit(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let s = *self.h.state(op);
        let now = ctx.now();
        let plan = transaction::plan(&o, s.value, &self.data, self.transfer_amount);
        let writes = self.h.installed(&plan, &mut self.data, &o, s.version, now);
        let n = plan.len;
        for w in &writes[..n] {
            self.search.source_committed(w.key, now);
            self.warehouse.source_committed(w.key, now);
            if let Some(cache) = &mut self.cache {
                cache.source_committed(w.key, w.version, now);
            }
            for store in Derived::ALL {
                if self.feeds[store as usize].sync != Sync::DualWrite {
                    self.publish(store, *w, &o, ctx);
                }
            }
        }
        self.h
            .clients
            .state_mut(op)
            .committed(&o, writes, n, &self.data);
        self.release(op, &o, ctx);
        self.hop(Message::Client, op, Event::Answered(op, System::Db), ctx);
    }

    /// `op` releases its row locks; the writes granted them execute now.
    fn release(&mut self, op: OpId, o: &Operation, ctx: &mut Ctx<'_>) {
        let mut granted = std::mem::take(&mut self.granted);
        self.locks
            .release(op, RowKeys::of(o), ctx.now(), &mut granted);
        for next in granted.drain(..) {
            self.execute(next, System::Db, ctx);
        }
        self.granted = granted;
    }

    // ----- pipelines -----

    /// Hands a write committed now by `o` to `store`'s pipeline (CDC or
    /// event bus), which delivers it to the store: one message per
    /// delivery (a store that is not there receives none).
    fn publish(&mut self, store: Derived, w: Write, o: &Operation, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let change = Change {
            write: w,
            committed: now,
        };
        let present = store != Derived::Cache || self.cache.is_some();
        let feed = &mut self.feeds[store as usize];
        match feed.sync {
            Sync::Cdc => {
                self.h
                    .network
                    .sent(Message::Pipeline, u32::from(present), o);
                ctx.background_started();
                if let Some(at) = feed.cdc.committed(change, now) {
                    ctx.schedule_at(at, Event::CdcWake(store as u8));
                }
            }
            Sync::EventBus => {
                let (at, n) = feed.bus.publish(&w, now);
                // At least once: a duplicate is one more delivery.
                let deliveries = if present { n as u32 } else { 0 };
                self.h.network.sent(Message::Pipeline, deliveries, o);
                for (i, at) in at.iter().take(n).enumerate() {
                    ctx.background_started();
                    let handle = self.changes.push(change);
                    ctx.schedule_at(
                        *at,
                        Event::Deliver {
                            store: store as u8,
                            change: handle,
                            duplicate: i > 0,
                        },
                    );
                }
            }
            Sync::DualWrite => unreachable!("dual writes come from the application"),
        }
    }

    fn cdc_wake(&mut self, store: u8, ctx: &mut Ctx<'_>) {
        let feed = &mut self.feeds[usize::from(store)];
        let (batch, next) = feed.cdc.wake(ctx.now());
        if let Some(at) = next {
            ctx.schedule_at(at, Event::CdcWake(store));
        }
        for change in batch.writes {
            let handle = self.changes.push(change);
            ctx.schedule_at(
                batch.delivered_at,
                Event::Deliver {
                    store,
                    change: handle,
                    duplicate: false,
                },
            );
        }
    }

    /// A change reaches a store; the index and the warehouse show it at
    /// their next refresh or batch load, the cache at once.
    /// Every change pending at a store was delivered since its last
    /// boundary, so they share the next one, and the first of them
    /// schedules it.
    fn deliver(&mut self, store: u8, change: u32, duplicate: bool, ctx: &mut Ctx<'_>) {
        let feed = &mut self.feeds[usize::from(store)];
        match feed.publish_every {
            Some(boundaries) => {
                if feed.pending.is_empty() {
                    ctx.schedule_at(boundaries.next(ctx.now()), Event::Publish(store));
                }
                feed.pending
                    .push_back((self.changes.take(change), duplicate));
            }
            None => {
                let c = self.changes.take(change);
                self.apply(store, c, duplicate, ctx);
            }
        }
    }

    /// A store's refresh or batch load: what was delivered since the last
    /// one is applied now, in delivery order.
    fn boundary(&mut self, store: u8, ctx: &mut Ctx<'_>) {
        let mut pending = std::mem::take(&mut self.feeds[usize::from(store)].pending);
        for (c, duplicate) in pending.drain(..) {
            self.apply(store, c, duplicate, ctx);
        }
        // Keep the buffer for the next interval's changes.
        self.feeds[usize::from(store)].pending = pending;
    }

    /// A change is applied at a store now.
    fn apply(&mut self, store: u8, c: Change, duplicate: bool, ctx: &mut Ctx<'_>) {
        self.apply_change(store, c, duplicate, ctx.now());
        ctx.background_done();
    }

    fn apply_change(&mut self, store: u8, c: Change, duplicate: bool, now: SimTime) {
        let w = c.write;
        let current = self.data.version(w.key);
        let name = Derived::ALL[usize::from(store)].name();
        let applied = match Derived::ALL[usize::from(store)] {
            Derived::Cache => {
                let Some(cache) = &mut self.cache else { return };
                if self.window.contains(c.committed) {
                    self.cache_lag.record(now - c.committed, Outcome::Ok);
                }
                match cache.put(w.key, w.version, w.value, current, now) {
                    true => Applied::OutOfOrder,
                    false if duplicate => Applied::Duplicate,
                    false => Applied::InOrder,
                }
            }
            Derived::Search => {
                self.search
                    .apply(w.key, w.version, w.value, current, c.committed, now)
            }
            Derived::Warehouse => {
                self.warehouse
                    .apply(w.key, w.version, w.value, current, c.committed, now)
            }
        };
        match applied {
            Applied::OutOfOrder => self.h.oracle.out_of_order_apply(name),
            Applied::Duplicate => self.h.oracle.duplicate_apply(name),
            Applied::InOrder => {}
        }
    }

    // ----- dual writes -----

    /// After its commit, the application writes each dual-written store in
    /// turn, from store `from` on; then the client gets its answer.
    fn next_dual_write(&mut self, op: OpId, from: u8, ctx: &mut Ctx<'_>) {
        let next = (from..3).find(|i| self.feeds[usize::from(*i)].sync == Sync::DualWrite);
        let skip_cache = self.cache.is_none();
        match next {
            Some(0) if skip_cache => self.next_dual_write(op, 1, ctx),
            Some(i) if self.h.state(op).installed > 0 => {
                self.request(Message::DualWrite, op, Event::DualWrite(op, i), ctx)
            }
            _ => self.acknowledge(op, ctx),
        }
    }

    fn dual_write(&mut self, op: OpId, store: u8, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let s = *self.h.state(op);
        if !self.fail_rng.random_bool(self.dual_write_fail) {
            for w in s.installed() {
                let c = Change {
                    write: *w,
                    committed: self.data.committed_at(w.key),
                };
                // The store has it now; the index and the warehouse show it
                // at their next refresh or load.
                ctx.background_started();
                let change = self.changes.push(c);
                self.deliver(store, change, false, ctx);
            }
        }
        let (server, service) = match Derived::ALL[usize::from(store)] {
            Derived::Cache => (
                &mut self.cache_server,
                self.cache_service.sample(&mut self.cache_rng),
            ),
            // Indexing one document costs about what a database write does.
            Derived::Search => (
                &mut self.search_server,
                self.write.sample(&mut self.search_rng),
            ),
            Derived::Warehouse => (
                &mut self.warehouse_server,
                self.write.sample(&mut self.warehouse_rng),
            ),
        };
        let slot = server.enter(now, service);
        let back = self.h.message(Message::DualWrite, ctx.op(op));
        ctx.schedule_at(slot.done + back, Event::DualWritten(op, store));
    }

    // ----- the client -----

    fn answered(&mut self, op: OpId, system: System, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let s = *self.h.state(op);
        match (o.kind, system) {
            (OpKind::Analytics, _) => ctx.complete(op, Outcome::Ok),
            (OpKind::SessionPut, _) => self.acknowledge(op, ctx),
            (_, System::Cache) if self.h.clients.missed(op, o.kind) => {
                self.request(Message::Client, op, Event::At(op, System::Db), ctx)
            }
            (OpKind::Put | OpKind::Transfer, _) => self.next_dual_write(op, 0, ctx),
            (OpKind::Rmw | OpKind::Reserve, System::Db) if self.h.writes(op, o.kind) => {
                self.next_dual_write(op, 0, ctx)
            }
            _ => {
                if system == System::Db && self.h.clients.missed(op, o.kind) {
                    // Fill the cache with what the database returned (one
                    // message a key, landing at once: nobody waits for it).
                    if let Some(cache) = &mut self.cache {
                        let now = ctx.now();
                        if o.kind == OpKind::MultiGet {
                            for r in self.h.clients.multi(op).iter().filter(|r| r.missed) {
                                let current = self.data.version(r.key);
                                cache.put(r.key, r.version, r.value, current, now);
                                self.h.network.sent(Message::Fill, 1, &o);
                            }
                        } else {
                            let current = self.data.version(o.key);
                            cache.put(o.key, s.version, s.value, current, now);
                            self.h.network.sent(Message::Fill, 1, &o);
                        }
                    }
                }
                if self.h.read_returned(op, ctx) == AfterRead::Write {
                    self.request(Message::Client, op, Event::At(op, System::Db), ctx);
                }
            }
        }
    }

    fn acknowledge(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        self.h.write_answered(op, ctx);
    }
}

impl Architecture for Polyglot {
    type Event = Event;

    fn harness(&self) -> &Harness {
        &self.h
    }

    fn harness_mut(&mut self) -> &mut Harness {
        &mut self.h
    }

    fn route(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let system = match o.kind {
            // A probe of a session write reads the session store.
            OpKind::Probe if self.space.entity(o.key).0 == Entity::Session => System::Sessions,
            OpKind::Rmw | OpKind::Reserve if self.h.server_side(o.kind) => System::Db,
            OpKind::Get | OpKind::Rmw | OpKind::Reserve | OpKind::Probe | OpKind::MultiGet
                if self.cache.is_some() =>
            {
                System::Cache
            }
            OpKind::Search => System::Search,
            OpKind::Analytics => System::Warehouse,
            OpKind::SessionGet | OpKind::SessionPut => System::Sessions,
            OpKind::DocGet | OpKind::DocPut => unreachable!("rejected when the scenario is read"),
            _ => System::Db,
        };
        self.request(Message::Client, op, Event::At(op, system), ctx);
    }

    fn prefetch(&self, op: &Operation) {
        self.data.prefetch(op.key);
        if let Some(cache) = &self.cache {
            cache.prefetch(op.key);
        }
    }

    fn on_event(&mut self, event: Event, ctx: &mut Ctx<'_>) {
        match event {
            Event::At(op, system) => self.at(op, system, ctx),
            Event::Served(op) => self.served(op, ctx),
            Event::Flushed => self.flushed(ctx),
            Event::Answered(op, system) => self.answered(op, system, ctx),
            Event::Sliced(handle) => self.sliced(handle, ctx),
            Event::DualWrite(op, store) => self.dual_write(op, store, ctx),
            Event::DualWritten(op, store) => self.next_dual_write(op, store + 1, ctx),
            Event::CdcWake(store) => self.cdc_wake(store, ctx),
            Event::Deliver {
                store,
                change,
                duplicate,
            } => self.deliver(store, change, duplicate, ctx),
            Event::Publish(store) => self.boundary(store, ctx),
        }
    }

    /// Each system is a station: a crash or partition holds its requests
    /// until it is back (the database has no replica to fail over to; a
    /// dual write waits for its store), `slow` stretches its service. The
    /// cache also empties on a crash or flush, and is absent while down
    /// (reads miss). A `lag` on a store's pipeline stalls or slows its CDC
    /// connector and event bus; what it missed arrives when it resumes.
    fn parts(&mut self, role: &Role, deliver: &mut dyn FnMut(Part<'_>)) {
        let station = match role {
            Role::Primary => &mut self.db,
            Role::Index => &mut self.search_server,
            Role::Warehouse => &mut self.warehouse_server,
            Role::SessionStore => &mut self.sessions,
            Role::Cache => {
                if let Some(cache) = &mut self.cache {
                    deliver(Part::Cache(cache));
                }
                return deliver(Part::Station(&mut self.cache_server, WhenDown::Elsewhere));
            }
            Role::Pipeline(store) => {
                let fed = Derived::ALL.iter().position(|d| d.name() == store);
                if let Some(feed) = fed.map(|i| &mut self.feeds[i]) {
                    deliver(Part::Path(&mut feed.cdc.path));
                    deliver(Part::Path(&mut feed.bus.path));
                }
                return;
            }
            _ => return,
        };
        deliver(Part::Station(station, WhenDown::LosesRequests));
    }
}

impl Report for Polyglot {
    fn footprint(&self) -> Footprint {
        let mut f = Footprint::default();
        for (name, platform, server) in [
            ("db", "database", &self.db),
            ("cache", "cache", &self.cache_server),
            ("search", "search", &self.search_server),
            ("warehouse", "warehouse", &self.warehouse_server),
            ("session_store", "session_store", &self.sessions),
        ] {
            if name != "cache" || self.cache.is_some() {
                f.systems.push(name.to_string());
                f.platform(platform, 1, server.servers());
            }
        }
        for store in Derived::ALL {
            if store == Derived::Cache && self.cache.is_none() {
                continue;
            }
            let sync = self.feeds[store as usize].sync;
            f.sync.push(SyncPath::new("db", store.name(), sync.name()));
            // A connector or a bus is one more platform to run (one server
            // however many stores it feeds); dual writes are the
            // application's.
            let pipeline = match sync {
                Sync::Cdc => Some("cdc"),
                Sync::EventBus => Some("event_bus"),
                Sync::DualWrite => None,
            };
            if let Some(p) = pipeline.filter(|p| !f.by_platform.contains_key(*p)) {
                f.pipeline(p);
            }
        }
        f
    }

    fn components(&self) -> BTreeMap<String, ComponentStats> {
        let mut db = self.db.stats();
        self.wal.annotate(&mut db);
        self.locks.annotate(&mut db);
        let mut out = BTreeMap::from([("db".to_string(), db)]);
        if let Some(cache) = &self.cache {
            let mut c = self.cache_server.stats();
            c.hit_ratio = Some(cache.hit_ratio());
            c.hits = Some(cache.hits());
            c.misses = Some(cache.misses());
            c.set_lag(&self.cache_lag);
            out.insert("cache".to_string(), c);
        }
        let mut search = self.search_server.stats();
        search.set_lag(self.search.visibility_lag());
        out.insert("search".to_string(), search);
        let mut warehouse = self.warehouse_server.stats();
        warehouse.set_lag(self.warehouse.visibility_lag());
        out.insert("warehouse".to_string(), warehouse);
        out.insert("session_store".to_string(), self.sessions.stats());
        out
    }

    fn record(&self) -> &VersionedStore {
        &self.data
    }

    fn divergence(&self) -> BTreeMap<String, DivergenceReport> {
        // Sessions live in the session store only: no derived store holds them.
        let current = |key: u64| match self.space.entity(key).0 {
            Entity::Session => 0,
            _ => self.data.version(key),
        };
        let mut divergence = BTreeMap::new();
        if let Some(cache) = &self.cache {
            let mut d = DivergenceReport {
                diverged_share: round6(cache.stale_share()),
                ..DivergenceReport::default()
            };
            for (key, version) in cache.entries() {
                d.older += u64::from(version < current(key));
                d.phantom += u64::from(version > current(key));
            }
            divergence.insert("cache".to_string(), d);
        }
        for (name, store) in [("search", &self.search), ("warehouse", &self.warehouse)] {
            let (older, phantom) = store.compare(current);
            divergence.insert(
                name.to_string(),
                DivergenceReport {
                    older,
                    phantom,
                    diverged_share: round6(store.differ_share()),
                },
            );
        }
        divergence
    }

    fn lag(&self) -> BTreeMap<String, LagSummary> {
        let mut lag_ms = BTreeMap::new();
        if self.cache.is_some() {
            lag_ms.insert("cache".to_string(), LagSummary::of(&self.cache_lag));
        }
        lag_ms.insert(
            "search".to_string(),
            LagSummary::of(self.search.visibility_lag()),
        );
        lag_ms.insert(
            "warehouse".to_string(),
            LagSummary::of(self.warehouse.visibility_lag()),
        );
        lag_ms
    }
}

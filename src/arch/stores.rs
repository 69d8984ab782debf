//! The specialized stores of stage 2 as one part an architecture carries
//! beside its system of record: a search index, a warehouse and a session
//! store, each a station, and the sync paths that keep the derived ones —
//! the index, the warehouse and the architecture's cache — in step with
//! the record. Polyglot carries it beside its one database; sharded and
//! coordinator carry it, with `[architecture.stores]`, beside all their
//! shards (a stage-2 system, clustered). The same part, so the same
//! synchronization anomalies: sharding removes the database bottleneck,
//! not the question of which system has the correct value.
//!
//! Requests: `search` is answered by the index with what it has indexed,
//! `analytics` runs whole on the warehouse (`db.analytics`, a slice at a
//! time under "time-slice" scheduling), `session_get`/`session_put` go to
//! the session store, the record for sessions.
//!
//! After a write commits at the record, each derived store learns of it by
//! its own path (`stores.*_sync`):
//! - `dual-write`: the application writes the store itself, after the
//!   commit and before answering, one store after another; each such write
//!   fails with probability `fail`, and the store keeps its old value until
//!   the key is written again — divergence, permanent until then;
//! - `cdc`: a connector tails the record's log (poll, batch, throughput);
//!   above its throughput the lag grows without bound;
//! - `event-bus`: each change is published and delivered after the bus's
//!   delay, at least once (`duplicate`), in order per key with one consumer
//!   and in any order with several.
//!
//! The index makes what it receives searchable at its next refresh
//! (`refresh`), the warehouse at its next batch load (`load_every`): each
//! holds the changes delivered since, in delivery order, and applies them
//! all at the boundary, one event per boundary rather than one per change.
//! Each cycle starts at a phase drawn for the run (`model::Boundaries`), so
//! the lag reported is the steady state's even in a run shorter than one
//! load interval. The cache applies what it is sent at once. A run goes on
//! after the last operation until every pipeline has delivered.

pub mod config;

use std::collections::{BTreeMap, VecDeque};

use rand::RngExt;

use self::config::{StoresConfig, Sync};
use super::{DbConfig, Footprint, SyncPath};
use crate::check::{DivergenceReport, LagSummary, ServedBy, Version};
use crate::dist::Dist;
use crate::faults::Role;
use crate::harness::{AfterRead, Context, Harness, Part, WhenDown};
use crate::metrics::{ComponentStats, LatencyRecorder, Outcome, Trend, TrendKind, Window, round6};
use crate::model::network::Message;
use crate::model::streams::Stream;
use crate::model::{
    Applied, BacklogTrend, Boundaries, CdcConnector, DerivedStore, EventBus, Station, Step,
    TimeSlicer, VersionedStore, Write,
};
use crate::sim::{OpId, SimDuration, SimRng, SimTime, Streams};
use crate::workload::{KeySpace, OpKind, Operation};

/// The derived stores, in the order dual writes reach them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Derived {
    Cache = 0,
    Search = 1,
    Warehouse = 2,
}

impl Derived {
    pub const ALL: [Derived; 3] = [Derived::Cache, Derived::Search, Derived::Warehouse];

    pub fn name(self) -> &'static str {
        match self {
            Derived::Cache => "cache",
            Derived::Search => "search",
            Derived::Warehouse => "warehouse",
        }
    }
}

/// The store a request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Search,
    Warehouse,
    Sessions,
}

/// The part's events; an architecture carrying it wraps them in its own.
#[derive(Clone, Copy, Debug)]
pub enum StoreEvent {
    /// A request reaches a store.
    At(OpId, Place),
    /// A store's answer reaches the client.
    Answered(OpId),
    /// A slice of an analytics query on the warehouse ends (a handle in the
    /// slicer): the query goes back into the warehouse's queue.
    Sliced(u32),
    /// The application's write of a derived store (a dual write) reaches it.
    DualWrite(OpId, u8),
    /// The dual write's answer reaches the application.
    DualWritten(OpId, u8),
    /// A store's CDC connector wakes.
    CdcWake(u8),
    /// The oldest CDC batch on its way to a store reaches it: one event per
    /// batch, its changes received in log order.
    BatchDelivered(u8),
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

/// The architecture's cache, as the stores' sync paths see it: what a
/// delivered change or a dual write does to it.
pub trait FedCache {
    /// Sets `w` now (`current` is the record's version of its key); true
    /// when it replaced a newer version (an out-of-order apply).
    fn set(&mut self, w: &Write, current: Version, now: SimTime) -> bool;

    /// A dual write of `key` takes its turn on the server holding the key,
    /// arriving now: when it is done.
    fn serve(&mut self, key: u64, now: SimTime) -> SimTime;
}

/// The cache of an architecture that has none: no feed reaches it.
pub struct NoCache;

impl FedCache for NoCache {
    fn set(&mut self, _: &Write, _: Version, _: SimTime) -> bool {
        unreachable!("no feed reaches a cache that is not there")
    }

    fn serve(&mut self, _: u64, _: SimTime) -> SimTime {
        unreachable!("no dual write reaches a cache that is not there")
    }
}

/// What the part works on besides itself: the architecture's harness, its
/// system of record and its cache.
pub struct Beside<'a> {
    pub h: &'a mut Harness,
    pub data: &'a mut VersionedStore,
    pub cache: &'a mut dyn FedCache,
}

/// A committed write on its way to a derived store.
#[derive(Clone, Copy, Debug)]
struct Change {
    write: Write,
    committed: SimTime,
}

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
    /// Changes delivered and not yet visible (the store holds them, see
    /// `DerivedStore::deliver`); the next boundary publishes them all.
    held: u64,
    /// Of those, the ones that will apply out of order and the duplicates.
    out_of_order: u64,
    duplicates: u64,
    /// CDC batches on their way to the store, in delivery order (a
    /// connector delivers one batch at a time, so they arrive in it).
    arriving: VecDeque<Vec<Change>>,
    /// Whether the CDC connector keeps up.
    trend: BacklogTrend,
}

/// The search index, the warehouse, the session store and the feeds of
/// the derived stores.
pub struct Stores {
    /// Whether the architecture has a cache the cache feed reaches.
    cache: bool,
    search: DerivedStore,
    search_server: Station,
    warehouse: DerivedStore,
    warehouse_server: Station,
    sessions: Station,
    feeds: Vec<Feed>,
    changes: Changes,
    /// Visibility lag of the cache's sets by its feed (apply − commit).
    cache_lag: LatencyRecorder,
    /// The cache feed's lag by commit instant over the whole run, in ns.
    cache_lag_trend: Trend,
    /// A database write's CPU: what indexing or loading one dual-written
    /// row costs the index or the warehouse.
    write: Dist,
    analytics: Dist,
    /// Analytics queries on the warehouse between their slices.
    slicer: TimeSlicer<OpId>,
    search_query: Dist,
    session: Dist,
    dual_write_fail: f64,
    search_rng: SimRng,
    warehouse_rng: SimRng,
    session_rng: SimRng,
    fail_rng: SimRng,
    window: Window,
}

type Ctx<'a, E> = Context<'a, E>;

impl Stores {
    /// The stores of `st`, their work costed by the record's `db` table;
    /// `cache` says whether the architecture has a cache to feed.
    pub fn new(
        st: &StoresConfig,
        db: &DbConfig,
        space: &KeySpace,
        cache: bool,
        streams: &Streams,
        window: Window,
    ) -> Stores {
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
            held: 0,
            out_of_order: 0,
            duplicates: 0,
            arriving: VecDeque::new(),
            // A connector's cycle: a poll, or a whole batch's processing.
            trend: BacklogTrend::new(
                window,
                st.poll.max(SimDuration::from_nanos(
                    (f64::from(st.batch) / st.throughput * 1e9) as u64,
                )),
            ),
        };
        Stores {
            cache,
            search: DerivedStore::new(space, window).at_boundaries(),
            search_server: Station::new(st.cores, window),
            warehouse: DerivedStore::new(space, window).at_boundaries(),
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
            cache_lag: LatencyRecorder::new(),
            cache_lag_trend: Trend::new(window.end),
            write: db.write.clone(),
            analytics: db.analytics.clone(),
            slicer: TimeSlicer::new(db.analytics_slice()),
            search_query: st.search.clone(),
            session: st.session.clone(),
            dual_write_fail: st.fail,
            search_rng: Stream::Service("search").of(streams),
            warehouse_rng: Stream::Service("warehouse").of(streams),
            session_rng: Stream::Service("session_store").of(streams),
            fail_rng: Stream::DualWriteFailure.of(streams),
            window,
        }
    }

    /// The store a request of kind `kind` goes to, if one of these serves
    /// it (`session` says whether a probe reads a session).
    pub fn place(kind: OpKind, session: bool) -> Option<Place> {
        match kind {
            OpKind::Search => Some(Place::Search),
            OpKind::Analytics => Some(Place::Warehouse),
            OpKind::SessionGet | OpKind::SessionPut => Some(Place::Sessions),
            OpKind::Probe if session => Some(Place::Sessions),
            _ => None,
        }
    }

    /// Whether the cache learns of writes from the application, after the
    /// commit (rather than by a pipeline).
    pub fn cache_dual_written(&self) -> bool {
        self.feeds[Derived::Cache as usize].sync == Sync::DualWrite
    }

    pub fn on_event<E: From<StoreEvent>>(
        &mut self,
        event: StoreEvent,
        b: &mut Beside<'_>,
        ctx: &mut Ctx<'_, E>,
    ) {
        match event {
            StoreEvent::At(op, place) => self.at(op, place, b, ctx),
            StoreEvent::Answered(op) => self.answered(op, b, ctx),
            StoreEvent::Sliced(handle) => self.sliced(handle, b, ctx),
            StoreEvent::DualWrite(op, store) => self.dual_write(op, store, b, ctx),
            StoreEvent::DualWritten(op, store) => self.dual_writes(op, store + 1, b, ctx),
            StoreEvent::CdcWake(store) => self.cdc_wake(store, ctx),
            StoreEvent::BatchDelivered(store) => self.batch_delivered(store, b, ctx),
            StoreEvent::Deliver {
                store,
                change,
                duplicate,
            } => self.deliver(store, change, duplicate, b, ctx),
            StoreEvent::Publish(store) => self.boundary(store, b, ctx),
        }
    }

    /// Sends a request of kind `kind` for `op`, whose answer its client
    /// waits for, and delivers `event` when it lands (at once when the hop
    /// takes no time).
    fn request<E: From<StoreEvent>>(
        &mut self,
        kind: Message,
        op: OpId,
        event: StoreEvent,
        b: &mut Beside<'_>,
        ctx: &mut Ctx<'_, E>,
    ) {
        let delay = b.h.request(kind, ctx.op(op));
        if delay == SimDuration::ZERO {
            self.on_event(event, b, ctx);
        } else {
            ctx.schedule_in(delay, E::from(event));
        }
    }

    // ----- requests -----

    /// A request reaches `place`, which serves it on a core: reads see the
    /// store's data as the request lands.
    fn at<E: From<StoreEvent>>(
        &mut self,
        op: OpId,
        place: Place,
        b: &mut Beside<'_>,
        ctx: &mut Ctx<'_, E>,
    ) {
        let o = *ctx.op(op);
        let now = ctx.now();
        let (station, service) = match place {
            Place::Search => {
                let (version, value) = self.search.read(o.key);
                let s = b.h.state_mut(op);
                (s.version, s.value, s.served_by) = (version, value, Some(ServedBy::Index));
                (
                    &mut self.search_server,
                    self.search_query.sample(&mut self.search_rng),
                )
            }
            Place::Warehouse => (
                &mut self.warehouse_server,
                self.analytics.sample(&mut self.warehouse_rng),
            ),
            Place::Sessions => {
                if o.kind != OpKind::SessionPut {
                    let s = b.h.state_mut(op);
                    (s.version, s.value) = (b.data.version(o.key), b.data.value(o.key));
                    s.served_by = Some(ServedBy::Primary);
                } else {
                    // The session store is the record for sessions: the
                    // write lands as it arrives.
                    let version = b.data.commit(o.key, 0, now);
                    let s = b.h.state_mut(op);
                    s.writes = smallvec::smallvec![Write {
                        key: o.key,
                        version,
                        value: 0,
                    }];
                    (s.installed, s.planned) = (1, 1);
                }
                (
                    &mut self.sessions,
                    self.session.sample(&mut self.session_rng),
                )
            }
        };
        if o.kind == OpKind::Analytics {
            let step = self.slicer.start(station, now, service, op);
            return self.analytics_step(step, op, b, ctx);
        }
        let slot = station.enter(now, service);
        let back = b.h.message(Message::Client, &o);
        ctx.schedule_at(slot.done + back, E::from(StoreEvent::Answered(op)));
    }

    /// An analytics query on the warehouse has had a slice admitted: its
    /// next slice, or its answer, one hop back after the last.
    fn analytics_step<E: From<StoreEvent>>(
        &mut self,
        step: Step,
        op: OpId,
        b: &mut Beside<'_>,
        ctx: &mut Ctx<'_, E>,
    ) {
        match step {
            Step::Slice { at, handle } => ctx.schedule_at(at, E::from(StoreEvent::Sliced(handle))),
            Step::Done(at) => {
                let back = b.h.message(Message::Client, ctx.op(op));
                ctx.schedule_at(at + back, E::from(StoreEvent::Answered(op)));
            }
        }
    }

    fn sliced<E: From<StoreEvent>>(
        &mut self,
        handle: u32,
        b: &mut Beside<'_>,
        ctx: &mut Ctx<'_, E>,
    ) {
        let op = self.slicer.context(handle);
        let step = self
            .slicer
            .resume(handle, &mut self.warehouse_server, ctx.now());
        self.analytics_step(step, op, b, ctx);
    }

    /// A store's answer reaches the client.
    fn answered<E>(&mut self, op: OpId, b: &mut Beside<'_>, ctx: &mut Ctx<'_, E>) {
        match ctx.op(op).kind {
            OpKind::Analytics => ctx.complete(op, Outcome::Ok),
            OpKind::SessionPut => b.h.write_answered(op, ctx),
            _ => {
                let next = b.h.read_returned(op, ctx);
                debug_assert!(
                    next == AfterRead::Done,
                    "no store here takes a write after a read"
                );
            }
        }
    }

    // ----- after a commit -----

    /// The record committed `w` of `o` now: the derived stores differ from
    /// it until they learn of it, and the stores fed by a pipeline start
    /// it on its way (dual-written ones hear of it from
    /// [`Stores::dual_writes`]).
    pub fn committed<E: From<StoreEvent>>(
        &mut self,
        w: Write,
        o: &Operation,
        h: &mut Harness,
        ctx: &mut Ctx<'_, E>,
    ) {
        let now = ctx.now();
        self.search.source_committed(w.key, now);
        self.warehouse.source_committed(w.key, now);
        for store in Derived::ALL {
            if self.feeds[store as usize].sync != Sync::DualWrite {
                self.publish(store, w, o, h, ctx);
            }
        }
    }

    /// Hands a write committed now by `o` to `store`'s pipeline (CDC or
    /// event bus), which delivers it to the store: one message per
    /// delivery (a store that is not there receives none).
    fn publish<E: From<StoreEvent>>(
        &mut self,
        store: Derived,
        w: Write,
        o: &Operation,
        h: &mut Harness,
        ctx: &mut Ctx<'_, E>,
    ) {
        let now = ctx.now();
        let change = Change {
            write: w,
            committed: now,
        };
        let present = store != Derived::Cache || self.cache;
        let feed = &mut self.feeds[store as usize];
        match feed.sync {
            Sync::Cdc => {
                h.network.sent(Message::Pipeline, u32::from(present), o);
                // A schema change's window may drop it at the store.
                if !feed.cdc.path.admits(now) {
                    return;
                }
                ctx.background_started();
                if let Some(at) = feed.cdc.committed(change, now) {
                    ctx.schedule_at(at, E::from(StoreEvent::CdcWake(store as u8)));
                }
                feed.trend.handed(feed.cdc.backlog(), now);
            }
            Sync::EventBus => {
                if !feed.bus.path.admits(now) {
                    h.network.sent(Message::Pipeline, u32::from(present), o);
                    return;
                }
                let (at, n) = feed.bus.publish(&w, now);
                // At least once: a duplicate is one more delivery.
                let deliveries = if present { n as u32 } else { 0 };
                h.network.sent(Message::Pipeline, deliveries, o);
                for (i, at) in at.iter().take(n).enumerate() {
                    ctx.background_started();
                    let handle = self.changes.push(change);
                    let event = StoreEvent::Deliver {
                        store: store as u8,
                        change: handle,
                        duplicate: i > 0,
                    };
                    ctx.schedule_at(*at, E::from(event));
                }
            }
            Sync::DualWrite => unreachable!("dual writes come from the application"),
        }
    }

    fn cdc_wake<E: From<StoreEvent>>(&mut self, store: u8, ctx: &mut Ctx<'_, E>) {
        let feed = &mut self.feeds[usize::from(store)];
        let (batch, next) = feed.cdc.wake(ctx.now());
        if let Some(at) = next {
            ctx.schedule_at(at, E::from(StoreEvent::CdcWake(store)));
        }
        if !batch.writes.is_empty() {
            feed.arriving.push_back(batch.writes);
            ctx.schedule_at(
                batch.delivered_at,
                E::from(StoreEvent::BatchDelivered(store)),
            );
        }
    }

    /// A CDC batch reaches its store: each change in log order, as if each
    /// had arrived on its own at this instant.
    fn batch_delivered<E: From<StoreEvent>>(
        &mut self,
        store: u8,
        b: &mut Beside<'_>,
        ctx: &mut Ctx<'_, E>,
    ) {
        let batch = self.feeds[usize::from(store)]
            .arriving
            .pop_front()
            .expect("a batch on its way");
        for change in batch {
            self.receive(store, change, false, b, ctx);
        }
    }

    /// A change reaches a store; the index and the warehouse show it at
    /// their next refresh or batch load, the cache at once. Every change
    /// pending at a store was delivered since its last boundary, so they
    /// share the next one, and the first of them schedules it.
    fn deliver<E: From<StoreEvent>>(
        &mut self,
        store: u8,
        change: u32,
        duplicate: bool,
        b: &mut Beside<'_>,
        ctx: &mut Ctx<'_, E>,
    ) {
        let change = self.changes.take(change);
        self.receive(store, change, duplicate, b, ctx);
    }

    /// `change` reaches `store` now (see `deliver`).
    fn receive<E: From<StoreEvent>>(
        &mut self,
        store: u8,
        c: Change,
        duplicate: bool,
        b: &mut Beside<'_>,
        ctx: &mut Ctx<'_, E>,
    ) {
        let feed = &mut self.feeds[usize::from(store)];
        let Some(boundaries) = feed.publish_every else {
            return self.apply(store, c, duplicate, b, ctx);
        };
        if feed.held == 0 {
            let at = boundaries.next(ctx.now());
            ctx.schedule_at(at, E::from(StoreEvent::Publish(store)));
        }
        feed.held += 1;
        let w = c.write;
        let applied = self
            .shown_at_boundaries(Derived::ALL[usize::from(store)])
            .deliver(w.key, w.version, w.value, c.committed);
        let feed = &mut self.feeds[usize::from(store)];
        match applied {
            Applied::OutOfOrder => feed.out_of_order += 1,
            Applied::Duplicate => feed.duplicates += 1,
            Applied::InOrder => {}
        }
    }

    /// The copy of a store that shows changes at its boundaries.
    fn shown_at_boundaries(&mut self, derived: Derived) -> &mut DerivedStore {
        match derived {
            Derived::Search => &mut self.search,
            Derived::Warehouse => &mut self.warehouse,
            Derived::Cache => unreachable!("the cache shows changes as they come"),
        }
    }

    /// A store's refresh or batch load: what was delivered since the last
    /// one shows now, as if applied one by one in delivery order.
    fn boundary<E>(&mut self, store: u8, b: &mut Beside<'_>, ctx: &mut Ctx<'_, E>) {
        let now = ctx.now();
        let derived = Derived::ALL[usize::from(store)];
        self.shown_at_boundaries(derived)
            .publish(now, |key| b.data.version(key));
        let feed = &mut self.feeds[usize::from(store)];
        for _ in 0..std::mem::take(&mut feed.out_of_order) {
            b.h.oracle.out_of_order_apply(derived.name());
        }
        for _ in 0..std::mem::take(&mut feed.duplicates) {
            b.h.oracle.duplicate_apply(derived.name());
        }
        for _ in 0..std::mem::take(&mut feed.held) {
            ctx.background_done();
        }
    }

    /// A change reaches the cache, which shows it at once (the index and
    /// the warehouse show theirs at their boundaries, see `boundary`).
    fn apply<E>(
        &mut self,
        store: u8,
        c: Change,
        duplicate: bool,
        b: &mut Beside<'_>,
        ctx: &mut Ctx<'_, E>,
    ) {
        let now = ctx.now();
        let w = c.write;
        let current = b.data.version(w.key);
        let derived = Derived::ALL[usize::from(store)];
        let applied = match derived {
            Derived::Cache if !self.cache => None,
            Derived::Cache => {
                if self.window.contains(c.committed) {
                    self.cache_lag.record(now - c.committed, Outcome::Ok);
                }
                self.cache_lag_trend
                    .record(c.committed, (now - c.committed).as_nanos() as f64);
                Some(match b.cache.set(&w, current, now) {
                    true => Applied::OutOfOrder,
                    false if duplicate => Applied::Duplicate,
                    false => Applied::InOrder,
                })
            }
            // Their copies hold a batch until the boundary (`receive`).
            Derived::Search | Derived::Warehouse => {
                unreachable!("the index and the warehouse show changes at their boundaries")
            }
        };
        match applied {
            Some(Applied::OutOfOrder) => b.h.oracle.out_of_order_apply(derived.name()),
            Some(Applied::Duplicate) => b.h.oracle.duplicate_apply(derived.name()),
            Some(Applied::InOrder) | None => {}
        }
        ctx.background_done();
    }

    // ----- dual writes -----

    /// After its commit, the application writes each dual-written store in
    /// turn, from store `from` on; then the client gets its answer.
    pub fn dual_writes<E: From<StoreEvent>>(
        &mut self,
        op: OpId,
        from: u8,
        b: &mut Beside<'_>,
        ctx: &mut Ctx<'_, E>,
    ) {
        let next = (from..3).find(|i| self.feeds[usize::from(*i)].sync == Sync::DualWrite);
        match next {
            Some(0) if !self.cache => self.dual_writes(op, 1, b, ctx),
            Some(i) if b.h.state(op).installed > 0 => {
                self.request(Message::DualWrite, op, StoreEvent::DualWrite(op, i), b, ctx)
            }
            _ => b.h.write_answered(op, ctx),
        }
    }

    fn dual_write<E: From<StoreEvent>>(
        &mut self,
        op: OpId,
        store: u8,
        b: &mut Beside<'_>,
        ctx: &mut Ctx<'_, E>,
    ) {
        let now = ctx.now();
        let s = b.h.state(op);
        let key = s.writes.first().map_or(ctx.op(op).key, |w| w.key);
        let installed = crate::model::transaction::Writes::from_slice(s.installed());
        if !self.fail_rng.random_bool(self.dual_write_fail) {
            for w in &installed {
                let c = Change {
                    write: *w,
                    committed: b.data.committed_at(w.key),
                };
                // The store has it now; the index and the warehouse show it
                // at their next refresh or load.
                ctx.background_started();
                let change = self.changes.push(c);
                self.deliver(store, change, false, b, ctx);
            }
        }
        let done = match Derived::ALL[usize::from(store)] {
            Derived::Cache => b.cache.serve(key, now),
            // Indexing one document costs about what a database write does.
            Derived::Search => {
                let service = self.write.sample(&mut self.search_rng);
                self.search_server.enter(now, service).done
            }
            Derived::Warehouse => {
                let service = self.write.sample(&mut self.warehouse_rng);
                self.warehouse_server.enter(now, service).done
            }
        };
        let back = b.h.message(Message::DualWrite, ctx.op(op));
        ctx.schedule_at(done + back, E::from(StoreEvent::DualWritten(op, store)));
    }

    // ----- faults and reports -----

    /// The parts holding `role`: each store's server (a crash or partition
    /// holds its requests until it is back, `slow` stretches its service),
    /// and a store's pipeline (a `lag` stalls or slows its CDC connector
    /// and event bus; what it missed arrives when it resumes).
    pub fn parts(&mut self, role: &Role, deliver: &mut dyn FnMut(Part<'_>)) {
        let station = match role {
            Role::Index => &mut self.search_server,
            Role::Warehouse => &mut self.warehouse_server,
            Role::SessionStore => &mut self.sessions,
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

    /// Adds the stores and the sync paths from `record` (the system of
    /// record's box) to each derived store (the cache's box `cache`).
    pub fn footprint(&self, f: &mut Footprint, record: &str, cache: &str) {
        for (name, server) in [
            ("search", &self.search_server),
            ("warehouse", &self.warehouse_server),
            ("session_store", &self.sessions),
        ] {
            f.systems.push(name.to_string());
            f.platform(name, 1, server.servers());
        }
        for store in Derived::ALL {
            if store == Derived::Cache && !self.cache {
                continue;
            }
            let sync = self.feeds[store as usize].sync;
            let to = if store == Derived::Cache {
                cache
            } else {
                store.name()
            };
            f.sync.push(SyncPath::new(record, to, sync.name()));
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
    }

    /// Whether `store`'s CDC connector keeps up (`ComponentStats::backlog_growth`);
    /// `None` for a store fed otherwise.
    pub fn backlog_growth(&self, store: Derived) -> Option<f64> {
        let feed = &self.feeds[store as usize];
        (feed.sync == Sync::Cdc)
            .then(|| feed.trend.growth())
            .flatten()
    }

    /// The cache's figures as its feed sets them: its lag, and whether a
    /// CDC connector feeding it keeps up.
    pub fn annotate_cache(&self, c: &mut ComponentStats) {
        c.set_lag(&self.cache_lag);
        c.backlog_growth = self.backlog_growth(Derived::Cache);
    }

    /// The index's, the warehouse's and the session store's figures.
    pub fn components(&self, out: &mut BTreeMap<String, ComponentStats>) {
        let mut search = self.search_server.stats();
        search.set_lag(self.search.visibility_lag());
        search.backlog_growth = self.backlog_growth(Derived::Search);
        out.insert("search".to_string(), search);
        let mut warehouse = self.warehouse_server.stats();
        warehouse.set_lag(self.warehouse.visibility_lag());
        warehouse.backlog_growth = self.backlog_growth(Derived::Warehouse);
        out.insert("warehouse".to_string(), warehouse);
        out.insert("session_store".to_string(), self.sessions.stats());
    }

    /// How the index and the warehouse differ from the record after the
    /// run (`current`: the record's version of a key).
    pub fn divergence(
        &self,
        current: impl Fn(u64) -> Version,
        out: &mut BTreeMap<String, DivergenceReport>,
    ) {
        for (name, store) in [("search", &self.search), ("warehouse", &self.warehouse)] {
            let (older, phantom) = store.compare(&current);
            out.insert(
                name.to_string(),
                DivergenceReport {
                    older,
                    phantom,
                    diverged_share: round6(store.differ_share()),
                },
            );
        }
    }

    /// The lag trends of the cache's feed (with a cache), the index and the
    /// warehouse.
    pub fn lag_trends(&self, out: &mut Vec<(String, TrendKind, Trend)>) {
        if self.cache {
            out.push((
                "cache".to_string(),
                TrendKind::Lag,
                self.cache_lag_trend.clone(),
            ));
        }
        out.push((
            "search".to_string(),
            TrendKind::Lag,
            self.search.lag_trend().clone(),
        ));
        out.push((
            "warehouse".to_string(),
            TrendKind::Lag,
            self.warehouse.lag_trend().clone(),
        ));
    }

    /// The visibility lag of the cache's feed (with a cache), the index and
    /// the warehouse.
    pub fn lag(&self, out: &mut BTreeMap<String, LagSummary>) {
        if self.cache {
            out.insert("cache".to_string(), LagSummary::of(&self.cache_lag));
        }
        out.insert(
            "search".to_string(),
            LagSummary::of(self.search.visibility_lag()),
        );
        out.insert(
            "warehouse".to_string(),
            LagSummary::of(self.warehouse.visibility_lag()),
        );
    }
}

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
//! After a write commits, each derived store (the cache, the index, the
//! warehouse) learns of it by its own path (`[architecture.stores]`: dual
//! write, CDC or an event bus); the stores and their sync paths are the
//! part `arch::stores`, the same one sharded and coordinator carry when
//! they are given the table. A run goes on after the last operation until
//! every pipeline has delivered, so the end-of-run comparison of each store
//! with the database is after the drain.

pub mod config;

use std::collections::BTreeMap;

use super::Footprint;
use super::Report;
use super::stores::{Beside, FedCache, StoreEvent, Stores};
use crate::check::{DivergenceReport, LagSummary, ServedBy, Version};
use crate::dist::Dist;
use crate::faults::Role;
use crate::harness::{AfterRead, Architecture, Context, Harness, OpState, Part, WhenDown};
use crate::metrics::{ComponentStats, Trend, TrendKind, Window};
use crate::model::network::Message;
use crate::model::streams::Stream;
use crate::model::{
    Cache, CommitLog, Logged, Lookup, RowKeys, RowLocks, Station, VersionedStore, Write,
    transaction,
};
use crate::sim::{OpId, SimDuration, SimRng, SimTime, Streams};
use crate::workload::{Entity, KeySpace, OpKind, Operation};

/// Which system a request is for (the stores' requests are the part's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum System {
    Db,
    Cache,
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
    /// An event of the specialized stores.
    Stores(StoreEvent),
}

impl From<StoreEvent> for Event {
    fn from(e: StoreEvent) -> Event {
        Event::Stores(e)
    }
}

type Ctx<'a> = Context<'a, Event>;

/// The cache and its server, as the stores' sync paths reach them.
struct CacheServer {
    cache: Option<Cache>,
    server: Station,
    service: Dist,
    rng: SimRng,
}

impl FedCache for CacheServer {
    fn set(&mut self, w: &Write, current: Version, now: SimTime) -> bool {
        let cache = self
            .cache
            .as_mut()
            .expect("a cache is fed only when there is one");
        cache.put(w.key, w.version, w.value, current, now)
    }

    fn serve(&mut self, _key: u64, now: SimTime) -> SimTime {
        let service = self.service.sample(&mut self.rng);
        self.server.enter(now, service).done
    }
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
    cache: CacheServer,
    /// The search index, the warehouse, the session store and the sync
    /// paths of the derived stores.
    stores: Stores,
    read: Dist,
    write: Dist,
    service_rng: SimRng,
    transfer_amount: i64,
    h: Harness,
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
        let cache = (config.cache.capacity > 0).then(|| {
            config
                .cache
                .cache(config.cache.capacity, w, &space, streams, window)
        });
        Polyglot {
            db: db.node(db.cores, window),
            data: VersionedStore::new(&space),
            wal: db.commit_log(Stream::Fsync("db").of(streams), window),
            locks: RowLocks::new(window),
            granted: Vec::new(),
            stores: Stores::new(&config.stores, db, &space, cache.is_some(), streams, window),
            cache: CacheServer {
                cache,
                server: Station::new(config.cache.cores, window),
                service: config.cache.service(),
                rng: Stream::Service("cache").of(streams),
            },
            space,
            read: db.read.clone(),
            write: db.write.clone(),
            service_rng: Stream::Service("db").of(streams),
            transfer_amount: w.transfer_amount,
            h: Harness::new(w, setting.network, setting.faults.len(), streams, window),
        }
    }

    /// The stores handle `event`, beside the database and the cache.
    fn stores(&mut self, event: StoreEvent, ctx: &mut Ctx<'_>) {
        let mut beside = Beside {
            h: &mut self.h,
            data: &mut self.data,
            cache: &mut self.cache,
        };
        self.stores.on_event(event, &mut beside, ctx);
    }

    /// After a write's commit: the dual writes, then the client's answer.
    fn dual_writes(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let mut beside = Beside {
            h: &mut self.h,
            data: &mut self.data,
            cache: &mut self.cache,
        };
        self.stores.dual_writes(op, 0, &mut beside, ctx);
    }

    /// A request reaches `system`, which serves it on a core: reads see the
    /// system's data as the request lands.
    fn at(&mut self, op: OpId, system: System, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let is_write = system == System::Db && self.h.writes(op, o.kind);
        if is_write && !self.locks.lock(op, RowKeys::of(&o, &self.space), ctx.now()) {
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
                let cache = self.cache.cache.as_mut().expect("a cache");
                if matches!(o.kind, OpKind::MultiGet | OpKind::Scan) {
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
                    &mut self.cache.server,
                    self.cache.service.sample(&mut self.cache.rng),
                )
            }
            System::Db => {
                let service = if is_write {
                    let rows = RowKeys::of(&o, &self.space).keys().len();
                    (0..rows).fold(SimDuration::ZERO, |d, _| {
                        d + self.write.sample(&mut self.service_rng)
                    })
                } else if matches!(o.kind, OpKind::MultiGet | OpKind::Scan) {
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
        let slot = station.enter(now, service);
        if is_write {
            ctx.schedule_at(slot.done, Event::Served(op));
        } else {
            let back = self.h.message(Message::Client, &o);
            ctx.schedule_at(slot.done + back, Event::Answered(op, system));
        }
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
        let &OpState { value, version, .. } = self.h.state(op);
        let now = ctx.now();
        let plan = transaction::plan(&o, value, &self.data, &self.space, self.transfer_amount);
        let writes = self.h.installed(&plan, &mut self.data, &o, version, now);
        let n = plan.len();
        for w in &writes {
            if let Some(cache) = &mut self.cache.cache {
                cache.source_committed(w.key, w.version, now);
            }
            self.stores.committed(*w, &o, &mut self.h, ctx);
        }
        self.h
            .clients
            .state_mut(op)
            .committed(&o, writes, n, &self.data, &self.space);
        self.release(op, &o, ctx);
        self.hop(Message::Client, op, Event::Answered(op, System::Db), ctx);
    }

    /// `op` releases its row locks; the writes granted them execute now.
    fn release(&mut self, op: OpId, o: &Operation, ctx: &mut Ctx<'_>) {
        let mut granted = std::mem::take(&mut self.granted);
        self.locks
            .release(op, RowKeys::of(o, &self.space), ctx.now(), &mut granted);
        for next in granted.drain(..) {
            self.execute(next, System::Db, ctx);
        }
        self.granted = granted;
    }

    // ----- the client -----

    fn answered(&mut self, op: OpId, system: System, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let &OpState { value, version, .. } = self.h.state(op);
        match (o.kind, system) {
            (_, System::Cache) if self.h.clients.missed(op, o.kind) => {
                self.request(Message::Client, op, Event::At(op, System::Db), ctx)
            }
            (OpKind::Put | OpKind::Insert | OpKind::Transfer | OpKind::Txn, _) => {
                self.dual_writes(op, ctx)
            }
            (OpKind::Rmw | OpKind::Reserve, System::Db) if self.h.writes(op, o.kind) => {
                self.dual_writes(op, ctx)
            }
            _ => {
                if system == System::Db && self.h.clients.missed(op, o.kind) {
                    // Fill the cache with what the database returned (one
                    // message a key, landing at once: nobody waits for it).
                    if let Some(cache) = &mut self.cache.cache {
                        let now = ctx.now();
                        if matches!(o.kind, OpKind::MultiGet | OpKind::Scan) {
                            for r in self.h.clients.multi(op).iter().filter(|r| r.missed) {
                                let current = self.data.version(r.key);
                                cache.put(r.key, r.version, r.value, current, now);
                                self.h.network.sent(Message::Fill, 1, &o);
                            }
                        } else {
                            let current = self.data.version(o.key);
                            cache.put(o.key, version, value, current, now);
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
        let session = self.space.entity(o.key).0 == Entity::Session;
        if let Some(place) = Stores::place(o.kind, session) {
            let at = Event::Stores(StoreEvent::At(op, place));
            return self.request(Message::Client, op, at, ctx);
        }
        let system = match o.kind {
            OpKind::Rmw | OpKind::Reserve if self.h.server_side(o.kind) => System::Db,
            OpKind::Get
            | OpKind::Rmw
            | OpKind::Reserve
            | OpKind::Probe
            | OpKind::MultiGet
            | OpKind::Scan
                if self.cache.cache.is_some() =>
            {
                System::Cache
            }
            OpKind::DocGet | OpKind::DocPut => unreachable!("rejected when the scenario is read"),
            _ => System::Db,
        };
        self.request(Message::Client, op, Event::At(op, system), ctx);
    }

    fn prefetch(&self, op: &Operation) {
        self.data.prefetch(op.key);
        if let Some(cache) = &self.cache.cache {
            cache.prefetch(op.key);
        }
    }

    fn on_event(&mut self, event: Event, ctx: &mut Ctx<'_>) {
        match event {
            Event::At(op, system) => self.at(op, system, ctx),
            Event::Served(op) => self.served(op, ctx),
            Event::Flushed => self.flushed(ctx),
            Event::Answered(op, system) => self.answered(op, system, ctx),
            Event::Stores(event) => self.stores(event, ctx),
        }
    }

    /// Each system is a station: a crash or partition holds its requests
    /// until it is back (the database has no replica to fail over to; a
    /// dual write waits for its store), `slow` stretches its service. The
    /// cache also empties on a crash or flush, and is absent while down
    /// (reads miss). The stores' servers and pipelines: `Stores::parts`.
    fn parts(&mut self, role: &Role, deliver: &mut dyn FnMut(Part<'_>)) {
        match role {
            Role::Primary => deliver(Part::Station(&mut self.db, WhenDown::LosesRequests)),
            Role::Cache => {
                if let Some(cache) = &mut self.cache.cache {
                    deliver(Part::Cache(cache));
                }
                deliver(Part::Station(&mut self.cache.server, WhenDown::Elsewhere));
            }
            _ => self.stores.parts(role, deliver),
        }
    }
}

impl Report for Polyglot {
    fn footprint(&self) -> Footprint {
        let mut f = Footprint::default();
        f.systems.push("db".to_string());
        f.platform("database", 1, self.db.servers());
        if self.cache.cache.is_some() {
            f.systems.push("cache".to_string());
            f.platform("cache", 1, self.cache.server.servers());
        }
        self.stores.footprint(&mut f, "db", "cache");
        f
    }

    fn components(&self) -> BTreeMap<String, ComponentStats> {
        let mut db = self.db.stats();
        self.wal.annotate(&mut db);
        self.locks.annotate(&mut db);
        let mut out = BTreeMap::from([("db".to_string(), db)]);
        if let Some(cache) = &self.cache.cache {
            let mut c = self.cache.server.stats();
            c.hit_ratio = Some(cache.hit_ratio());
            c.hits = Some(cache.hits());
            c.misses = Some(cache.misses());
            self.stores.annotate_cache(&mut c);
            out.insert("cache".to_string(), c);
        }
        self.stores.components(&mut out);
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
        if let Some(cache) = &self.cache.cache {
            divergence.insert("cache".to_string(), cache.divergence(current));
        }
        self.stores.divergence(current, &mut divergence);
        divergence
    }

    fn trends(&self) -> Vec<(String, TrendKind, Trend)> {
        let mut out: Vec<_> = self
            .cache
            .cache
            .iter()
            .map(|c| ("cache".to_string(), TrendKind::HitRatio, c.trend().clone()))
            .collect();
        self.stores.lag_trends(&mut out);
        out
    }

    fn lag(&self) -> BTreeMap<String, LagSummary> {
        let mut lag_ms = BTreeMap::new();
        self.stores.lag(&mut lag_ms);
        lag_ms
    }
}

//! Stage 1, the Single System: one primary database, an optional app-tier
//! cache (cache-aside) and optional asynchronous read replicas.
//!
//! Read (`get`), in protocol order:
//! 1. with a cache, look the key up (in-process: no hop; remote: one hop each
//!    way to the cache server); a hit answers with the cached version;
//! 2. on a miss, or without a cache, read the database: the primary, a
//!    replica, or — under "read-your-writes" — the primary for keys this
//!    session wrote within `ryw_window`; one hop each way, a core for `db.read`;
//!    the read sees the versions committed when it reaches the node (its
//!    statement snapshot, as under MVCC);
//! 3. after a miss, fill the cache with the version read (in-process at
//!    once; remote one hop later, without waiting). A fill that lands after a
//!    newer write's invalidation leaves the old value cached until TTL or the
//!    next write: the reader-fills-old-value race is possible, as in production.
//!
//! Write (`put`):
//! 1. one hop to the primary, a core for `db.write` of CPU;
//! 2. the commit record is forced to the log (`db.fsync`), shared by the
//!    commits that queue meanwhile (group commit); the write then commits and
//!    gets its version, and the log ships it to every replica (applied in
//!    order after `replicas.lag`);
//! 3. one hop back; with a cache, the application deletes or updates the
//!    entry (`cache.invalidate`) and waits for it before answering.
//!
//! Analytics (`analytics`): one hop to the primary or the last replica
//! (`analytics_on`), a core for `db.analytics`, one hop back.

use std::collections::{BTreeMap, VecDeque};

use rand::RngExt;

use super::Report;
use crate::check::{AnomalyReport, Oracle, ReadCheck, ServedBy, Version};
use crate::dist::Dist;
use crate::metrics::{ComponentStats, Outcome, Window, round6};
use crate::model::{Cache, GroupCommit, Lookup, Network, Replica, Station, VersionedStore};
use crate::scenario::{
    AnalyticsOn, ArchitectureConfig, Invalidate, Placement, ReadRouting, Scenario,
};
use crate::sim::{Architecture, Context, OpId, SimDuration, SimRng, SimTime, Streams};
use crate::workload::{OpKind, Operation};

/// A database node: 0 is the primary, `i ≥ 1` is replica `i`.
type Node = u8;
const PRIMARY: Node = 0;

/// Work for the remote cache server.
#[derive(Clone, Copy, Debug)]
pub enum CacheJob {
    Lookup(OpId),
    /// The writer's invalidation (delete or update) after its commit.
    Invalidate(OpId),
    /// A reader's fill after a miss; nobody waits for it.
    /// (Key ids fit in 32 bits, which keeps events at 16 bytes.)
    Fill {
        key: u32,
        version: Version,
    },
}

#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// A cache job reaches the remote cache server.
    AtCache(CacheJob),
    /// The cache's answer to a lookup or an invalidation reaches the client.
    CacheAnswered(OpId),
    /// The request reaches a database node.
    AtDb(OpId, Node),
    /// The primary finishes a write's CPU work.
    Served(OpId),
    /// The forced log write under way completes.
    Flushed,
    /// The database's answer reaches the client.
    DbAnswered(OpId),
    /// A replica applies a shipped write.
    Apply {
        replica: Node,
        key: u32,
        version: Version,
    },
}

type Ctx<'a> = Context<'a, Event>;

/// What the architecture remembers about an operation in flight.
#[derive(Clone, Copy, Debug, Default)]
struct OpState {
    /// Freshness floor of a read (see `Oracle::read_invoked`).
    floor: Version,
    /// Version read or written.
    version: Version,
    served_by: Option<ServedBy>,
    /// The read missed the cache and must fill it.
    missed: bool,
}

/// The app-tier cache and, when remote, its server.
struct CacheTier {
    cache: Cache,
    placement: Placement,
    invalidate: Invalidate,
    service: Dist,
    server: Station,
}

struct ReplicaNode {
    data: Replica,
    station: Station,
}

/// Keys each session wrote recently, for read-your-writes routing.
struct RecentWrites {
    window: SimDuration,
    by_session: Vec<VecDeque<(u64, SimTime)>>,
}

impl RecentWrites {
    fn note(&mut self, session: u32, key: u64, now: SimTime) {
        let w = &mut self.by_session[session as usize];
        while w.front().is_some_and(|(_, t)| now - *t > self.window) {
            w.pop_front();
        }
        w.push_back((key, now));
    }

    fn wrote_recently(&self, session: u32, key: u64, now: SimTime) -> bool {
        self.by_session[session as usize]
            .iter()
            .any(|(k, t)| *k == key && now - *t <= self.window)
    }
}

/// The single-system architecture.
pub struct Single {
    network: Network,
    primary: Station,
    /// The primary's data: the system of record.
    data: VersionedStore,
    wal: Option<GroupCommit<OpId>>,
    cache: Option<CacheTier>,
    replicas: Vec<ReplicaNode>,
    routing: ReadRouting,
    recent: RecentWrites,
    analytics_node: Node,
    read: Dist,
    write: Dist,
    analytics: Dist,
    service_rng: SimRng,
    cache_rng: SimRng,
    choice_rng: SimRng,
    oracle: Oracle,
    states: Vec<OpState>,
    committed: Vec<OpId>,
}

impl Single {
    pub fn new(
        config: &ArchitectureConfig,
        scenario: &Scenario,
        streams: &Streams,
        window: Window,
    ) -> Single {
        let keys = scenario.workload.keys;
        let db = &config.db;
        let cache = (config.cache.capacity > 0).then(|| CacheTier {
            cache: Cache::new(config.cache.capacity, config.cache.ttl, keys, window),
            placement: config.cache.placement,
            invalidate: config.cache.invalidate,
            service: config.cache.service(),
            server: Station::new(config.cache.cores, window),
        });
        let replicas = (1..=config.replicas.count)
            .map(|i| ReplicaNode {
                data: Replica::new(
                    keys,
                    config.replicas.lag.clone(),
                    streams.stream(&format!("replica_{i}/lag")),
                    window,
                ),
                station: Station::new(config.replicas.cores.unwrap_or(db.cores), window),
            })
            .collect::<Vec<_>>();
        let analytics_node = match config.analytics_on {
            AnalyticsOn::Primary => PRIMARY,
            AnalyticsOn::Replica => replicas.len() as Node,
        };
        Single {
            network: Network::new(scenario.network.hop.clone(), streams.stream("network")),
            primary: Station::new(db.cores, window),
            data: VersionedStore::new(keys),
            wal: (!db.fsync.is_zero())
                .then(|| GroupCommit::new(db.fsync.clone(), streams.stream("db/fsync"), window)),
            cache,
            replicas,
            routing: config.read_routing(),
            recent: RecentWrites {
                window: config.replicas.ryw_window,
                by_session: vec![VecDeque::new(); scenario.workload.sessions as usize],
            },
            analytics_node,
            read: db.read.clone(),
            write: db.write.clone(),
            analytics: db.analytics.clone(),
            service_rng: streams.stream("db/service"),
            cache_rng: streams.stream("cache/service"),
            choice_rng: streams.stream("replica-choice"),
            oracle: Oracle::new(keys, window),
            states: Vec::new(),
            committed: Vec::new(),
        }
    }

    fn state(&mut self, op: OpId) -> &mut OpState {
        &mut self.states[op.0 as usize]
    }

    /// Sends a message and delivers `event` when it lands (at once when the
    /// hop takes no time, which keeps pure queueing scenarios lean).
    fn hop(&mut self, event: Event, ctx: &mut Ctx<'_>) {
        let delay = self.network.send();
        if delay == SimDuration::ZERO {
            self.on_event(event, ctx);
        } else {
            ctx.schedule_in(delay, event);
        }
    }

    // ----- the cache -----

    /// Hands `job` to the cache. A remote cache is one hop away and its
    /// server takes jobs in arrival order, so each takes effect as it arrives
    /// (in the order every later job sees) and answers when its service
    /// ends. An in-process cache acts at once; a lookup takes its service
    /// time to answer.
    fn send_to_cache(&mut self, job: CacheJob, ctx: &mut Ctx<'_>) {
        let tier = self.cache.as_ref().expect("a cache");
        if tier.placement == Placement::Remote {
            return self.hop(Event::AtCache(job), ctx);
        }
        match self.apply_cache_job(job, ctx) {
            Some(op) if matches!(job, CacheJob::Lookup(_)) => {
                let tier = self.cache.as_ref().expect("a cache");
                let d = tier.service.sample(&mut self.cache_rng);
                ctx.schedule_in(d, Event::CacheAnswered(op));
            }
            Some(op) => self.cache_answered(op, ctx),
            None => {}
        }
    }

    /// A job reaches the remote cache server.
    fn at_cache(&mut self, job: CacheJob, ctx: &mut Ctx<'_>) {
        let answer = self.apply_cache_job(job, ctx);
        let tier = self.cache.as_mut().expect("a cache");
        let d = tier.service.sample(&mut self.cache_rng);
        let slot = tier.server.enter(ctx.now(), d);
        if let Some(op) = answer {
            // The answer leaves when service ends and takes one hop back.
            let back = self.network.send();
            ctx.schedule_at(slot.done + back, Event::CacheAnswered(op));
        }
    }

    /// The cache acts on a job now; returns the operation waiting for the
    /// answer, if any (a fill has none).
    fn apply_cache_job(&mut self, job: CacheJob, ctx: &mut Ctx<'_>) -> Option<OpId> {
        let now = ctx.now();
        let tier = self.cache.as_mut().expect("a cache");
        match job {
            CacheJob::Lookup(op) => {
                let key = ctx.op(op).key;
                let found = tier.cache.get(key, now);
                let s = &mut self.states[op.0 as usize];
                match found {
                    Lookup::Hit(v) => {
                        s.version = v;
                        s.served_by = Some(ServedBy::Cache);
                    }
                    Lookup::Miss => s.missed = true,
                }
                Some(op)
            }
            CacheJob::Invalidate(op) => {
                let key = ctx.op(op).key;
                let version = self.states[op.0 as usize].version;
                match tier.invalidate {
                    Invalidate::Delete => tier.cache.delete(key),
                    Invalidate::Update => tier.cache.put(key, version, now),
                    Invalidate::None => {}
                }
                Some(op)
            }
            CacheJob::Fill { key, version } => {
                tier.cache.put(u64::from(key), version, now);
                None
            }
        }
    }

    fn cache_answered(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        match ctx.op(op).kind {
            OpKind::Get if self.states[op.0 as usize].missed => self.read_database(op, ctx),
            OpKind::Get => self.answer_read(op, ctx),
            _ => self.acknowledge_write(op, ctx),
        }
    }

    // ----- the database -----

    fn read_database(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let (session, key) = (ctx.op(op).session, ctx.op(op).key);
        let to_primary = match self.routing {
            ReadRouting::Primary => true,
            ReadRouting::Replicas => false,
            ReadRouting::ReadYourWrites => self.recent.wrote_recently(session, key, ctx.now()),
        };
        let node = if to_primary || self.replicas.is_empty() {
            PRIMARY
        } else {
            self.choice_rng.random_range(1..=self.replicas.len()) as Node
        };
        self.hop(Event::AtDb(op, node), ctx);
    }

    fn station(&mut self, node: Node) -> &mut Station {
        match node {
            PRIMARY => &mut self.primary,
            r => &mut self.replicas[r as usize - 1].station,
        }
    }

    fn at_db(&mut self, op: OpId, node: Node, ctx: &mut Ctx<'_>) {
        let kind = ctx.op(op).kind;
        let demand = match kind {
            OpKind::Get => &self.read,
            OpKind::Put => &self.write,
            OpKind::Analytics => &self.analytics,
        };
        let service = demand.sample(&mut self.service_rng);
        let now = ctx.now();
        if kind == OpKind::Get {
            self.snapshot(op, node, ctx);
        }
        let slot = self.station(node).enter(now, service);
        match kind {
            // A write's commit waits for its log flush at the end of service.
            OpKind::Put => ctx.schedule_at(slot.done, Event::Served(op)),
            // A read's answer leaves when service ends and takes one hop back.
            OpKind::Get | OpKind::Analytics => {
                let back = self.network.send();
                ctx.schedule_at(slot.done + back, Event::DbAnswered(op));
            }
        }
    }

    /// A read reaches its node and takes its statement snapshot (MVCC): it
    /// sees the versions committed now, whatever commits while it waits for
    /// a core or runs.
    fn snapshot(&mut self, op: OpId, node: Node, ctx: &mut Ctx<'_>) {
        let key = ctx.op(op).key;
        let (version, served_by) = match node {
            PRIMARY => (self.data.version(key), ServedBy::Primary),
            r => (
                self.replicas[r as usize - 1].data.version(key),
                ServedBy::Replica,
            ),
        };
        let s = &mut self.states[op.0 as usize];
        s.version = version;
        s.served_by = Some(served_by);
    }

    /// A write's CPU work ends: its commit record goes to the log.
    fn served(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        match self.wal.as_mut() {
            Some(wal) => {
                if let Some(done) = wal.submit(op, ctx.now()) {
                    ctx.schedule_at(done, Event::Flushed);
                }
            }
            None => self.commit(op, ctx),
        }
    }

    fn flushed(&mut self, ctx: &mut Ctx<'_>) {
        let mut committed = std::mem::take(&mut self.committed);
        let wal = self.wal.as_mut().expect("flushes come from the log");
        if let Some(next) = wal.flushed(ctx.now(), |op| committed.push(op)) {
            ctx.schedule_at(next, Event::Flushed);
        }
        for op in committed.drain(..) {
            self.commit(op, ctx);
        }
        self.committed = committed;
    }

    /// The write is durable: it gets its version at the system of record and
    /// ships to the replicas.
    fn commit(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let key = ctx.op(op).key;
        let version = self.data.commit(key, ctx.now());
        self.state(op).version = version;
        let now = ctx.now();
        for (i, r) in self.replicas.iter_mut().enumerate() {
            let at = r.data.ship(key, now);
            ctx.schedule_at(
                at,
                Event::Apply {
                    replica: (i + 1) as Node,
                    key: key as u32,
                    version,
                },
            );
        }
        self.hop(Event::DbAnswered(op), ctx);
    }

    fn db_answered(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        match ctx.op(op).kind {
            OpKind::Get => {
                let s = self.states[op.0 as usize];
                if s.missed {
                    let key = ctx.op(op).key;
                    self.send_to_cache(
                        CacheJob::Fill {
                            key: key as u32,
                            version: s.version,
                        },
                        ctx,
                    );
                }
                self.answer_read(op, ctx);
            }
            OpKind::Put => match &self.cache {
                Some(tier) if tier.invalidate != Invalidate::None => {
                    self.send_to_cache(CacheJob::Invalidate(op), ctx)
                }
                _ => self.acknowledge_write(op, ctx),
            },
            OpKind::Analytics => ctx.complete(op, Outcome::Ok),
        }
    }

    // ----- the client -----

    fn answer_read(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let s = self.states[op.0 as usize];
        self.oracle.read_returned(ReadCheck {
            key: o.key,
            session: o.session,
            invoked: o.start,
            floor: s.floor,
            returned: s.version,
            served_by: s.served_by.expect("a read is served by someone"),
        });
        ctx.complete(op, Outcome::Ok);
    }

    fn acknowledge_write(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let version = self.states[op.0 as usize].version;
        self.oracle
            .acknowledged(o.key, version, o.session, ctx.now());
        self.recent.note(o.session, o.key, ctx.now());
        ctx.complete(op, Outcome::Ok);
    }
}

impl Architecture for Single {
    type Event = Event;

    fn on_arrival(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        self.oracle.operation(o.start);
        let i = op.0 as usize;
        if i >= self.states.len() {
            self.states.resize(i + 1, OpState::default());
        }
        self.states[i] = OpState::default();
        match o.kind {
            OpKind::Get => {
                self.states[i].floor = self.oracle.read_invoked(o.key);
                if self.cache.is_some() {
                    self.send_to_cache(CacheJob::Lookup(op), ctx);
                } else {
                    self.read_database(op, ctx);
                }
            }
            OpKind::Put => self.hop(Event::AtDb(op, PRIMARY), ctx),
            OpKind::Analytics => {
                let node = self.analytics_node;
                self.hop(Event::AtDb(op, node), ctx);
            }
        }
    }

    fn prefetch(&self, op: &Operation) {
        self.oracle.prefetch(op.key);
        self.data.prefetch(op.key);
        if let Some(tier) = &self.cache {
            tier.cache.prefetch(op.key);
        }
        for r in &self.replicas {
            r.data.prefetch(op.key);
        }
    }

    fn on_event(&mut self, event: Event, ctx: &mut Ctx<'_>) {
        match event {
            Event::AtCache(job) => self.at_cache(job, ctx),
            Event::CacheAnswered(op) => self.cache_answered(op, ctx),
            Event::AtDb(op, node) => self.at_db(op, node, ctx),
            Event::Served(op) => self.served(op, ctx),
            Event::Flushed => self.flushed(ctx),
            Event::DbAnswered(op) => self.db_answered(op, ctx),
            Event::Apply {
                replica,
                key,
                version,
            } => self.replicas[replica as usize - 1]
                .data
                .apply(u64::from(key), version),
        }
    }
}

impl Report for Single {
    fn components(&self) -> BTreeMap<String, ComponentStats> {
        let mut out = BTreeMap::new();
        let mut db = self.primary.stats();
        if let Some(wal) = &self.wal {
            db.forced_writes = Some(wal.flushes());
            db.commits_per_forced_write = Some(wal.mean_batch());
        }
        out.insert("db".to_string(), db);
        if let Some(tier) = &self.cache {
            let mut c = match tier.placement {
                Placement::Remote => tier.server.stats(),
                Placement::InProcess => ComponentStats::default(),
            };
            c.hit_ratio = Some(tier.cache.hit_ratio());
            c.hits = Some(tier.cache.hits());
            c.misses = Some(tier.cache.misses());
            out.insert("cache".to_string(), c);
        }
        for (i, r) in self.replicas.iter().enumerate() {
            let mut c = r.station.stats();
            let lag = r.data.visibility_lag();
            c.lag_mean_ms = Some(round6(lag.mean_ns() / 1e6));
            c.lag_p99_ms = Some(round6(lag.quantile_ns(0.99) as f64 / 1e6));
            out.insert(format!("replica_{}", i + 1), c);
        }
        out
    }

    fn anomalies(&self) -> AnomalyReport {
        self.oracle.report()
    }
}

//! Stage 1, the Single System: one primary database (the system of record),
//! an optional app-tier cache (cache-aside) and optional asynchronous read
//! replicas.
//!
//! Read (`get`, and the read half of a client-side `rmw` or `reserve`), in
//! protocol order:
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
//!    next write: the reader-fills-old-value race is possible, as in production
//!    (a stale set).
//!
//! With `cache.leases` (memcache leases, `model::cache`), the lookup that
//! misses is handed a lease token and its fill presents it: a fill whose
//! token a writer's invalidation voided meanwhile is refused, so the race
//! leaves nothing stale. A lookup that misses while another reader holds
//! the key's token is a hot miss: the cache answers "wait", the client waits
//! `cache.lease_wait` and looks the key up again (step 1), and reads the
//! database once it is handed a token itself (or, after `cache.lease_retries`
//! waits when bounded, without one, and then it does not fill). A `multi_get` does not wait:
//! its hot keys are read from the database and not filled.
//!
//! `multi_get` reads its accounts the same way in one round trip: one
//! multi-key lookup in the cache, one statement (one snapshot) on the
//! database for the keys it missed.
//!
//! Write (`put`, `transfer`, and `rmw` and `reserve`: one statement each
//! under `[workload] rmw = "server"`, the write half after the client's
//! read under `"client"`):
//! 1. one hop to the primary, which takes the row lock of every key the
//!    write touches, in key order (`model::row_locks`), waiting behind the
//!    writers that hold them;
//! 2. a core for `db.write` of CPU per row; a server-side `rmw` or
//!    `reserve` reads its row under the lock (a sold-out item ends here:
//!    nothing to write, the lock is released and the answer goes back);
//! 3. the commit record is forced to the log (`db.fsync`), shared by the
//!    commits that queue meanwhile (group commit); the transaction then
//!    commits and its writes get their versions: `put` installs a new
//!    value, `rmw` the value read plus one (read under the lock when
//!    server-side; read by the client before, with no lock held, when
//!    client-side: concurrent increments are then lost), `reserve`
//!    decrements the stock as it stands (after a client-side check that may
//!    have read a stale copy: stock can go below zero), `transfer` moves the
//!    amount when the balance allows, both accounts in one local
//!    transaction; the row locks are released, and the log ships the commit
//!    to every replica, where it arrives after `replicas.lag` and waits for
//!    a core to apply its rows (`db.apply` each), then shows atomically, a
//!    key's commits in order;
//! 4. one hop back; with a cache, the application deletes or updates the
//!    written entries (`cache.invalidate`) and waits for it before answering.
//!
//! Analytics (`analytics`): one hop to the primary or the last replica
//! (`analytics_on`), the whole query on the node's cores (`db.analytics`,
//! the CPU time of one query over all the data: the node holds all of it,
//! so there is nothing to split or merge) — a slice of `analytics_quantum`
//! at a time under "time-slice" scheduling, one core to the end under
//! "fcfs" (see `model::timeslice`) — one hop back.
//!
//! Probes (`workload.probes`): after a write's acknowledgement, reads of the
//! key at fixed delays, through the read path above.

pub mod config;

use std::collections::{BTreeMap, VecDeque};

use rand::RngExt;

use super::Report;
use super::{AnalyticsOn, Fencing, Footprint, Invalidate, Placement, ReadRouting, SyncPath};
use crate::check::{DivergenceReport, LagSummary, ServedBy, Version};
use crate::dist::Dist;
use crate::faults::{Fault, Role};
use crate::harness::{AfterRead, Architecture, Context, Harness, OpState, Part, WhenDown};
use crate::metrics::{ComponentStats, Outcome, Trend, TrendKind, Window, round6};
use crate::model::network::Message;
use crate::model::streams::Stream;
use crate::model::{
    AppCaches, ApplyStream, Cache, CommitLog, Filled, Lease, Logged, Lookup, Replica,
    ReplicationLog, RowKeys, RowLocks, Station, Step, TimeSlicer, VersionedStore, Write, failover,
    transaction,
};
use crate::sim::{OpId, SimDuration, SimRng, SimTime, Streams};
use crate::workload::{KeySpace, OpKind, Operation};

/// A database node: 0 is the primary, `i ≥ 1` is replica `i`.
type Node = u8;
const PRIMARY: Node = 0;

/// Work for the cache.
#[derive(Clone, Copy, Debug)]
pub enum CacheJob {
    Lookup(OpId),
    /// A `multi_get`'s lookup of all its keys.
    MultiLookup(OpId),
    /// The writer's invalidation (delete or update) after its commit.
    Invalidate(OpId),
    /// A reader's fill after a miss, with the lease token it was handed (0:
    /// none); nobody waits for it. (Key ids fit in 32 bits, which keeps
    /// events small.)
    Fill {
        key: u32,
        token: u32,
        version: Version,
        value: i64,
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
    /// A primary (by its id, see `PrimaryNode`) finishes a write's CPU work.
    Served(OpId, u8),
    /// A slice of an analytics query ends (a handle in the slicer): the
    /// query goes back into its node's queue.
    Sliced(u32),
    /// The forced log write under way at a primary (by its id) completes.
    Flushed(u8),
    /// The database's answer reaches the client.
    DbAnswered(OpId),
    /// A shipped commit (a handle in the replication log) reaches a
    /// replica, where it waits in log order to be applied.
    Apply { replica: Node, commit: u32 },
    /// The replica has applied the commit and every earlier one: it shows
    /// there.
    Applied { replica: Node, commit: u32 },
    /// Replica 1 takes over from the failed primary (fault `fault`).
    Promote { fault: u16 },
    /// A fenced-off old primary's refusal reaches the client.
    Refused(OpId),
    /// A reader told to wait for another's fill (a hot miss under leases)
    /// has waited: it looks the key up again.
    LeaseRetry(OpId),
    /// A writer's invalidation broadcast reaches another application
    /// server's cache (`cache.app_servers`), for one key it wrote.
    Invalidated {
        server: u16,
        key: u32,
        version: Version,
        value: i64,
    },
}

type Ctx<'a> = Context<'a, Event>;

/// The app-tier cache and, when remote, its server.
struct CacheTier {
    /// The cache, or one per application server.
    caches: AppCaches,
    placement: Placement,
    invalidate: Invalidate,
    service: Dist,
    server: Station,
    /// Under leases: how long a reader waits after a hot miss.
    lease_wait: SimDuration,
    /// Under leases: how many times at most a reader waits before it reads
    /// the database without a token (`None`: no bound).
    lease_retries: Option<u32>,
    /// Under leases, per operation slot: the lease of its single-key read.
    leased: Vec<OpLease>,
    /// Under leases: the tokens a `multi_get` was handed, by (operation
    /// slot, key), until its fill presents them.
    multi_tokens: BTreeMap<(u32, u32), u32>,
}

/// A single-key read's lease under `cache.leases`.
#[derive(Clone, Copy, Debug, Default)]
struct OpLease {
    /// The token its miss was handed (0: none).
    token: u32,
    /// Its last lookup was a hot miss: it waits and looks again.
    hot: bool,
    /// Times it has waited out a hot miss.
    waits: u32,
}

impl CacheTier {
    /// Whether fills need a lease token (one shared cache only).
    fn leases(&self) -> bool {
        self.caches.all()[0].leases()
    }

    fn lease_of(&mut self, op: OpId) -> &mut OpLease {
        let i = op.index();
        if i >= self.leased.len() {
            self.leased.resize(i + 1, OpLease::default());
        }
        &mut self.leased[i]
    }
}

/// A primary database node: its server, its data, its commit log and its
/// row locks. There is one; during a split brain two (the old primary, cut
/// off from the failure detector but not from some clients, beside the
/// promoted replica), told apart by `id`, which events carry.
struct PrimaryNode {
    id: u8,
    station: Station,
    /// Its data: the system of record while it is the primary.
    data: VersionedStore,
    /// The commit path through the write-ahead log.
    wal: CommitLog,
    /// Row locks, held by each write until it is durable.
    locks: RowLocks<OpId>,
    /// Writes that have just been granted their locks.
    granted: Vec<OpId>,
}

/// A partition of the primary that left some clients on its side (a
/// `[[fault]]` with `clients`): who reaches which primary, and what the
/// old primary accepted after a replica was promoted (`model::failover`).
struct Split {
    fault: u16,
    /// The old primary's id.
    old: u8,
    /// Sessions below this are on the old primary's side.
    side: u32,
    /// When replica 1 takes over (none: the fault ends first).
    takeover: Option<SimTime>,
    /// When the old primary stops serving under `fencing = "lease"`.
    lease_ends: Option<SimTime>,
    /// When the partition heals.
    heals: SimTime,
    /// Writes each primary accepted after the takeover.
    lineages: failover::Lineages,
}

impl PrimaryNode {
    /// `primary`, or `old` when the id is its.
    fn pick<'a>(
        primary: &'a mut PrimaryNode,
        old: &'a mut Option<Box<PrimaryNode>>,
        id: u8,
    ) -> &'a mut PrimaryNode {
        if primary.id == id {
            primary
        } else {
            old.as_deref_mut()
                .expect("the old primary of a split brain")
        }
    }
}

/// A writer's `w` reaches `cache` now: deleted or updated
/// (`cache.invalidate`), `current` being the system of record's version of
/// its key. Returns true when an update replaced a newer version.
fn invalidate(
    how: Invalidate,
    cache: &mut Cache,
    w: &Write,
    current: Version,
    now: SimTime,
) -> bool {
    match how {
        Invalidate::Delete => {
            cache.invalidate(w.key, w.version, now);
            false
        }
        Invalidate::Update => cache.update(w.key, w.version, w.value, current, now),
        Invalidate::None => false,
    }
}

/// The name of application server `i`'s cache in results, of `n`: from 1,
/// padded to the width of `n` so that names sort in server order.
fn app_server(i: usize, n: usize) -> String {
    let width = n.to_string().len();
    format!("cache_{:0width$}", i + 1)
}

struct ReplicaNode {
    data: Replica,
    station: Station,
    stream: ApplyStream,
    apply_rng: SimRng,
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
    space: KeySpace,
    /// The primary the failure detector recognises; its data is the system
    /// of record.
    primary: PrimaryNode,
    /// During a split brain, the old primary still serving its side.
    old: Option<Box<PrimaryNode>>,
    split: Option<Split>,
    fencing: Fencing,
    /// Under `fencing = "lease"`, how long the old primary serves after it
    /// lost the failure detector.
    lease: SimDuration,
    sessions: u32,
    cache: Option<CacheTier>,
    replicas: Vec<ReplicaNode>,
    log: ReplicationLog,
    routing: ReadRouting,
    /// Kept only under read-your-writes routing, the one reader of it.
    recent: Option<RecentWrites>,
    analytics_node: Node,
    /// Analytics queries between their slices, with their node.
    slicer: TimeSlicer<(OpId, Node)>,
    read: Dist,
    write: Dist,
    /// CPU per row applied at a replica.
    apply: Dist,
    analytics: Dist,
    service_rng: SimRng,
    cache_rng: SimRng,
    choice_rng: SimRng,
    transfer_amount: i64,
    h: Harness,
    failover_after: SimDuration,
    /// What a promoted replica's server and log are built from.
    db: super::DbConfig,
    window: Window,
    promoted_fsync: SimRng,
}

/// Where a request for the primary goes during a split brain.
enum Reach {
    /// To the primary with this id.
    Node(u8),
    /// Nowhere yet: it is sent again at this instant (the takeover, or the
    /// partition's end).
    Wait(SimTime),
    /// Nowhere for good: the partition never heals.
    Never,
}

impl Single {
    pub fn new(
        config: &config::Config,
        setting: &super::Setting<'_>,
        streams: &Streams,
        window: Window,
    ) -> Single {
        let w = setting.workload;
        let space = KeySpace::new(w);
        let db = &config.db;
        let cache = (config.cache.capacity > 0).then(|| {
            let c = &config.cache;
            let one = || {
                let cache = c.cache(c.capacity, w, &space, streams, window);
                if c.leases {
                    cache.with_leases(c.lease_every)
                } else {
                    cache
                }
            };
            CacheTier {
                caches: AppCaches::new(
                    (0..c.app_servers).map(|_| one()).collect(),
                    c.sticky,
                    c.invalidation_delay(setting.network),
                    c.invalidation_loss,
                    streams,
                ),
                placement: c.placement,
                invalidate: c.invalidate,
                service: c.service(),
                server: Station::new(c.cores, window),
                lease_wait: c.lease_wait,
                lease_retries: c.lease_retries,
                leased: Vec::new(),
                multi_tokens: BTreeMap::new(),
            }
        });
        let replicas = (1..=config.replicas.count)
            .map(|i| ReplicaNode {
                data: Replica::new(
                    &space,
                    config.replicas.shipping(setting.network),
                    Stream::ReplicaLag(i).of(streams),
                    window,
                ),
                station: db.node(config.replicas.cores.unwrap_or(db.cores), window),
                stream: ApplyStream::new(config.replicas.apply),
                apply_rng: Stream::Apply(i).of(streams),
            })
            .collect::<Vec<_>>();
        let analytics_node = match config.analytics_on {
            AnalyticsOn::Primary => PRIMARY,
            AnalyticsOn::Replica => replicas.len() as Node,
        };
        Single {
            space,
            primary: PrimaryNode {
                id: 0,
                station: db.node(db.cores, window),
                data: VersionedStore::new(&space),
                wal: db.commit_log(Stream::Fsync("db").of(streams), window),
                locks: RowLocks::new(window),
                granted: Vec::new(),
            },
            old: None,
            split: None,
            fencing: config.replicas.fencing,
            lease: config
                .replicas
                .lease
                .unwrap_or(config.replicas.failover_after),
            sessions: w.sessions,
            cache,
            replicas,
            log: ReplicationLog::default(),
            routing: config.replicas.routing(),
            recent: (config.replicas.routing() == ReadRouting::ReadYourWrites).then(|| {
                RecentWrites {
                    window: config.replicas.ryw_window,
                    by_session: vec![VecDeque::new(); w.sessions as usize],
                }
            }),
            analytics_node,
            slicer: TimeSlicer::new(db.analytics_slice()),
            read: db.read.clone(),
            write: db.write.clone(),
            apply: db.apply(),
            analytics: db.analytics.clone(),
            service_rng: Stream::Service("db").of(streams),
            cache_rng: Stream::Service("cache").of(streams),
            choice_rng: Stream::ReplicaChoice.of(streams),
            transfer_amount: w.transfer_amount,
            h: Harness::new(w, setting.network, setting.faults.len(), streams, window),
            failover_after: config.replicas.failover_after,
            db: db.clone(),
            window,
            promoted_fsync: Stream::Fsync("db_promoted").of(streams),
        }
    }

    fn start_read(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        if self.cache.is_some() {
            let job = if matches!(ctx.op(op).kind, OpKind::MultiGet | OpKind::Scan) {
                CacheJob::MultiLookup(op)
            } else {
                CacheJob::Lookup(op)
            };
            self.send_to_cache(job, op, ctx);
        } else {
            self.read_database(op, ctx);
        }
    }

    // ----- the cache -----

    /// Hands `job`, for `op`, to the cache. A remote cache is one hop away
    /// and its server takes jobs in arrival order, so each takes effect as
    /// it arrives (in the order every later job sees) and answers when its
    /// service ends. An in-process cache acts at once, with no message; a
    /// lookup takes its service time to answer.
    fn send_to_cache(&mut self, job: CacheJob, op: OpId, ctx: &mut Ctx<'_>) {
        let tier = self.cache.as_ref().expect("a cache");
        if tier.placement == Placement::Remote {
            let event = Event::AtCache(job);
            return match job {
                CacheJob::Lookup(_) | CacheJob::MultiLookup(_) => {
                    self.request(Message::Client, op, event, ctx)
                }
                CacheJob::Invalidate(_) => self.request(Message::Invalidation, op, event, ctx),
                // Nobody waits for a fill.
                CacheJob::Fill { .. } => self.hop(Message::Fill, op, event, ctx),
            };
        }
        let server = tier.caches.server(op, ctx.op(op).session);
        match self.apply_cache_job(job, server, ctx) {
            Some(op) if matches!(job, CacheJob::Lookup(_) | CacheJob::MultiLookup(_)) => {
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
        // A remote cache is one server, shared.
        let answer = self.apply_cache_job(job, 0, ctx);
        let tier = self.cache.as_mut().expect("a cache");
        let d = tier.service.sample(&mut self.cache_rng);
        let slot = tier.server.enter(ctx.now(), d);
        if let Some(op) = answer {
            // The answer leaves when service ends and takes one hop back.
            let kind = match job {
                CacheJob::Invalidate(_) => Message::Invalidation,
                _ => Message::Client,
            };
            let back = self.h.message(kind, ctx.op(op));
            ctx.schedule_at(slot.done + back, Event::CacheAnswered(op));
        }
    }

    /// The cache of application server `server` acts on a job now; returns
    /// the operation waiting for the answer, if any (a fill has none).
    fn apply_cache_job(&mut self, job: CacheJob, server: usize, ctx: &mut Ctx<'_>) -> Option<OpId> {
        let now = ctx.now();
        let tier = self.cache.as_mut().expect("a cache");
        match job {
            CacheJob::Lookup(op) => {
                let key = ctx.op(op).key;
                let found = tier.caches.at(server).get(key, now);
                if tier.leases() {
                    let waits = tier.lease_of(op).waits;
                    let may_wait = tier.lease_retries.is_none_or(|n| waits < n);
                    match found {
                        Lookup::Hit(..) if waits > 0 => tier.caches.at(server).read_saved(now),
                        Lookup::Hit(..) => {}
                        Lookup::Miss => match tier.caches.at(server).lease(key, may_wait, now) {
                            Lease::Granted(token) => tier.lease_of(op).token = token,
                            Lease::HotMiss => {
                                tier.lease_of(op).hot = true;
                                return Some(op);
                            }
                            Lease::Unleased => {}
                        },
                    }
                }
                self.h.state_mut(op).cache_lookup(found);
                Some(op)
            }
            CacheJob::MultiLookup(op) => {
                let slot = op.index() as u32;
                for r in self.h.clients.multi_mut(op) {
                    let cache = tier.caches.at(server);
                    match cache.get(r.key, now) {
                        Lookup::Hit(version, value) => {
                            r.version = version;
                            r.value = value;
                            r.served_by = ServedBy::Cache;
                            r.missed = false;
                        }
                        Lookup::Miss => {
                            if let Lease::Granted(token) = cache.lease(r.key, false, now) {
                                tier.multi_tokens.insert((slot, r.key as u32), token);
                            }
                        }
                    }
                }
                Some(op)
            }
            CacheJob::Invalidate(op) => {
                let s = self.h.clients.state(op);
                for w in s.installed() {
                    let current = self.primary.data.version(w.key);
                    if invalidate(tier.invalidate, tier.caches.at(server), w, current, now) {
                        self.h.oracle.out_of_order_apply("cache");
                    }
                }
                if !tier.caches.is_shared() {
                    // One message to each other server, carrying every key.
                    let o = *ctx.op(op);
                    let sent = tier.caches.broadcast(server, |peer, delay| {
                        for w in s.installed() {
                            let event = Event::Invalidated {
                                server: peer as u16,
                                key: w.key as u32,
                                version: w.version,
                                value: w.value,
                            };
                            ctx.background_started();
                            ctx.schedule_in(delay, event);
                        }
                    });
                    self.h.network.sent(Message::Invalidation, sent, &o);
                }
                Some(op)
            }
            CacheJob::Fill {
                key,
                token,
                version,
                value,
            } => {
                let key = u64::from(key);
                let current = self.primary.data.version(key);
                let filled = tier
                    .caches
                    .at(server)
                    .fill(key, token, version, value, current, now);
                if filled == (Filled::Stored { out_of_order: true }) {
                    self.h.oracle.out_of_order_apply("cache");
                }
                None
            }
        }
    }

    fn cache_answered(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        if let Some(tier) = &mut self.cache
            && tier.leases()
            && !matches!(ctx.op(op).kind, OpKind::MultiGet | OpKind::Scan)
            && !self.h.writes(op, ctx.op(op).kind)
        {
            let lease = tier.lease_of(op);
            if lease.hot {
                // A hot miss: wait for the holder's fill, then look again.
                lease.hot = false;
                lease.waits += 1;
                return ctx.schedule_in(tier.lease_wait, Event::LeaseRetry(op));
            }
        }
        let kind = ctx.op(op).kind;
        let missed = self.h.clients.missed(op, kind);
        if self.h.writes(op, kind) {
            self.acknowledge_write(op, ctx);
        } else if missed {
            self.read_database(op, ctx);
        } else {
            self.read_done(op, ctx);
        }
    }

    // ----- the database -----

    #[inline]
    fn read_database(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let (session, key) = (ctx.op(op).session, ctx.op(op).key);
        let to_primary = match self.routing {
            ReadRouting::Primary => true,
            ReadRouting::Replicas => false,
            ReadRouting::ReadYourWrites => self
                .recent
                .as_ref()
                .is_some_and(|r| r.wrote_recently(session, key, ctx.now())),
        };
        let node = if to_primary || self.replicas.is_empty() {
            PRIMARY
        } else {
            self.choice_rng.random_range(1..=self.replicas.len()) as Node
        };
        self.request(Message::Client, op, Event::AtDb(op, node), ctx);
    }

    /// The primary node with `id`: the live one, or the old one of a split
    /// brain.
    fn node(&mut self, id: u8) -> &mut PrimaryNode {
        PrimaryNode::pick(&mut self.primary, &mut self.old, id)
    }

    fn station(&mut self, node: Node, id: u8) -> &mut Station {
        match node {
            PRIMARY => &mut self.node(id).station,
            r => &mut self.replicas[r as usize - 1].station,
        }
    }

    /// The version and value of `key` at `node` (primary `id`) now.
    fn read_at(&mut self, node: Node, id: u8, key: u64) -> (Version, i64) {
        match node {
            PRIMARY => {
                let data = &self.node(id).data;
                (data.version(key), data.value(key))
            }
            r => self.replicas[r as usize - 1].data.read(key),
        }
    }

    fn at_db(&mut self, op: OpId, node: Node, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let mut id = self.primary.id;
        if node == PRIMARY && self.split.is_some() {
            match self.primary_for(o.session, ctx.now()) {
                Reach::Node(at) => id = at,
                Reach::Wait(until) => return ctx.schedule_at(until, Event::AtDb(op, node)),
                // Its client times out.
                Reach::Never => return,
            }
        }
        let writes = self.h.writes(op, o.kind);
        if writes && !self.lock(op, &o, id, ctx.now()) {
            // Waits for the rows' locks; `release` hands it on.
            return;
        }
        self.execute(op, &o, writes, node, id, ctx);
    }

    /// Whether write `op` (`o`) holds its rows' locks at primary `id` now
    /// (else it waits for them).
    fn lock(&mut self, op: OpId, o: &Operation, id: u8, now: SimTime) -> bool {
        let keys = RowKeys::of(o, &self.space);
        self.node(id).locks.lock(op, keys, now)
    }

    /// `op` (`o`, a write when `writes`, then holding its row locks) runs
    /// at `node` (primary `id`) now.
    fn execute(
        &mut self,
        op: OpId,
        o: &Operation,
        writes: bool,
        node: Node,
        id: u8,
        ctx: &mut Ctx<'_>,
    ) {
        if self.h.server_side(o.kind) {
            let (version, value) = self.read_at(PRIMARY, id, o.key);
            self.h.statement_read(op, version, value);
        }
        let served_by = if node == PRIMARY {
            ServedBy::Primary
        } else {
            ServedBy::Replica
        };
        // Reads take their statement snapshot as they reach the node.
        let service = match o.kind {
            OpKind::Put | OpKind::Insert => self.write.sample(&mut self.service_rng),
            OpKind::Rmw | OpKind::Reserve if writes => self.write.sample(&mut self.service_rng),
            OpKind::Transfer => {
                self.write.sample(&mut self.service_rng) + self.write.sample(&mut self.service_rng)
            }
            // One statement per account, in one local transaction.
            OpKind::Txn => (0..RowKeys::of(o, &self.space).keys().len())
                .fold(SimDuration::ZERO, |d, _| {
                    d + self.write.sample(&mut self.service_rng)
                }),
            OpKind::Analytics => self.analytics.sample(&mut self.service_rng),
            OpKind::DocGet
            | OpKind::DocPut
            | OpKind::Search
            | OpKind::SessionGet
            | OpKind::SessionPut => unreachable!("rejected when the scenario is read"),
            OpKind::MultiGet | OpKind::Scan => {
                let mut reads = std::mem::take(self.h.clients.multi_mut(op));
                let mut service = SimDuration::ZERO;
                for r in reads.iter_mut().filter(|r| r.missed) {
                    (r.version, r.value) = self.read_at(node, id, r.key);
                    r.served_by = served_by;
                    service = service + self.read.sample(&mut self.service_rng);
                }
                // Every key from this node's one statement: a consistent read.
                self.h.state_mut(op).consistent = reads.iter().all(|r| r.served_by == served_by);
                *self.h.clients.multi_mut(op) = reads;
                service
            }
            OpKind::Get | OpKind::Rmw | OpKind::Reserve | OpKind::Probe => {
                let (version, value) = self.read_at(node, id, o.key);
                let s = self.h.state_mut(op);
                s.version = version;
                s.value = value;
                s.served_by = Some(served_by);
                self.read.sample(&mut self.service_rng)
            }
        };
        if o.kind == OpKind::Analytics {
            let now = ctx.now();
            let station = match node {
                PRIMARY => &mut self.primary.station,
                r => &mut self.replicas[r as usize - 1].station,
            };
            let step = self.slicer.start(station, now, service, (op, node));
            return self.analytics_step(step, op, ctx);
        }
        let slot = self.station(node, id).enter(ctx.now(), service);
        if writes {
            // A write's commit waits for its log flush at the end of service.
            ctx.schedule_at(slot.done, Event::Served(op, id));
        } else {
            // A read's answer leaves when service ends and takes one hop back.
            let back = self.h.message(Message::Client, o);
            ctx.schedule_at(slot.done + back, Event::DbAnswered(op));
        }
    }

    /// An analytics query's slice has been admitted: its next slice, or its
    /// answer, which leaves when the last slice ends and takes one hop back.
    fn analytics_step(&mut self, step: Step, op: OpId, ctx: &mut Ctx<'_>) {
        match step {
            Step::Slice { at, handle } => ctx.schedule_at(at, Event::Sliced(handle)),
            Step::Done(at) => {
                let back = self.h.message(Message::Client, ctx.op(op));
                ctx.schedule_at(at + back, Event::DbAnswered(op));
            }
        }
    }

    /// A slice of an analytics query ended: it queues for the next.
    fn sliced(&mut self, handle: u32, ctx: &mut Ctx<'_>) {
        let (op, node) = self.slicer.context(handle);
        let station = match node {
            PRIMARY => &mut self.primary.station,
            r => &mut self.replicas[r as usize - 1].station,
        };
        let step = self.slicer.resume(handle, station, ctx.now());
        self.analytics_step(step, op, ctx);
    }

    /// A write's CPU work ends: its commit record goes to the log (a
    /// server-side reservation of a sold-out item has nothing to log: it
    /// releases its lock and answers).
    fn served(&mut self, op: OpId, id: u8, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        if self.h.sold_out(op, o.kind) {
            self.release(op, &o, id, ctx);
            return self.hop(Message::Client, op, Event::DbAnswered(op), ctx);
        }
        if self.fenced(id, ctx.now()) {
            // The log refuses a commit that carries a superseded epoch.
            self.release(op, &o, id, ctx);
            return self.hop(Message::Client, op, Event::Refused(op), ctx);
        }
        match self.node(id).wal.submit(op, ctx.now()) {
            Logged::Durable => self.commit(op, id, ctx),
            Logged::FlushEndsAt(t) => ctx.schedule_at(t, Event::Flushed(id)),
            Logged::Queued => {}
        }
    }

    fn flushed(&mut self, id: u8, ctx: &mut Ctx<'_>) {
        let (mut durable, next) = self.node(id).wal.flushed(ctx.now());
        if let Some(next) = next {
            ctx.schedule_at(next, Event::Flushed(id));
        }
        for op in durable.drain(..) {
            // Its commit record was forced, and its client waited for it.
            self.h.costs.forced_write(ctx.op(op), true);
            self.commit(op, id, ctx);
        }
        self.node(id).wal.recycle(durable);
    }

    /// The transaction is durable at primary `id`: under its row locks it
    /// computes its values from the committed state (see
    /// `model::transaction`), installs its versions and ships the commit to
    /// the replicas (an old primary cut off from them ships nothing).
    fn commit(&mut self, op: OpId, id: u8, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let &OpState { value, version, .. } = self.h.state(op);
        let now = ctx.now();
        let (space, amount) = (self.space, self.transfer_amount);
        let node = PrimaryNode::pick(&mut self.primary, &mut self.old, id);
        let plan = transaction::plan(&o, value, &node.data, &space, amount);
        let writes = self.h.installed(&plan, &mut node.data, &o, version, now);
        let n = plan.len();
        let live = id == self.primary.id;
        if let Some(split) = &mut self.split
            && split.takeover.is_some_and(|t| now >= t)
        {
            split.lineages.wrote(live, &writes);
        }
        if let Some(tier) = &mut self.cache
            && live
        {
            for cache in tier.caches.all_mut() {
                for w in &writes {
                    cache.source_committed(w.key, w.version, now);
                }
            }
        }
        if n > 0 && !self.replicas.is_empty() && !self.cut_off(id) {
            // One message to each replica, on its own stream.
            let replicas = self.replicas.len() as u32;
            self.h.network.sent(Message::Replication, replicas, &o);
            let handle = self.log.push(&writes, now, replicas);
            for (i, r) in self.replicas.iter_mut().enumerate() {
                let at = r.data.ship(&mut r.stream, &writes, now);
                ctx.background_started();
                ctx.schedule_at(
                    at,
                    Event::Apply {
                        replica: (i + 1) as Node,
                        commit: handle,
                    },
                );
            }
        }
        let data = &PrimaryNode::pick(&mut self.primary, &mut self.old, id).data;
        self.h
            .clients
            .state_mut(op)
            .committed(&o, writes, n, data, &self.space);
        self.release(op, &o, id, ctx);
        self.hop(Message::Client, op, Event::DbAnswered(op), ctx);
    }

    /// `op` releases its row locks at primary `id`; the writes granted them
    /// execute now.
    fn release(&mut self, op: OpId, o: &Operation, id: u8, ctx: &mut Ctx<'_>) {
        let keys = RowKeys::of(o, &self.space);
        let node = self.node(id);
        let mut granted = std::mem::take(&mut node.granted);
        node.locks.release(op, keys, ctx.now(), &mut granted);
        for next in granted.drain(..) {
            let o = *ctx.op(next);
            self.execute(next, &o, true, PRIMARY, id, ctx);
        }
        self.node(id).granted = granted;
    }

    fn db_answered(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let kind = ctx.op(op).kind;
        if kind == OpKind::Analytics {
            return ctx.complete(op, Outcome::Ok);
        }
        if self.h.writes(op, kind) {
            let invalidates = self
                .cache
                .as_ref()
                .is_some_and(|t| t.invalidate != Invalidate::None);
            if invalidates && self.h.state(op).installed > 0 {
                self.send_to_cache(CacheJob::Invalidate(op), op, ctx);
            } else {
                self.acknowledge_write(op, ctx);
            }
            return;
        }
        if self.cache.is_some() {
            self.fill_missed(op, ctx);
        }
        self.read_done(op, ctx);
    }

    /// After a read that missed the cache, fills the cache with what the
    /// database returned, without waiting.
    fn fill_missed(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let fill = |key: u64, token, version, value| CacheJob::Fill {
            key: key as u32,
            token,
            version,
            value,
        };
        let tier = self.cache.as_mut().expect("a cache");
        let leases = tier.leases();
        if matches!(ctx.op(op).kind, OpKind::MultiGet | OpKind::Scan) {
            let reads = std::mem::take(self.h.clients.multi_mut(op));
            let slot = op.index() as u32;
            for r in reads.iter().filter(|r| r.missed) {
                let tier = self.cache.as_mut().expect("a cache");
                let token = tier.multi_tokens.remove(&(slot, r.key as u32));
                if leases && token.is_none() {
                    // A hot key read without waiting: only the holder fills.
                    continue;
                }
                let token = token.unwrap_or(0);
                self.send_to_cache(fill(r.key, token, r.version, r.value), op, ctx);
            }
            *self.h.clients.multi_mut(op) = reads;
        } else {
            let s = self.h.state(op);
            let (missed, version, value) = (s.missed, s.version, s.value);
            let token = if leases { tier.lease_of(op).token } else { 0 };
            // Under leases only a token's holder fills.
            if missed && (token != 0 || !leases) {
                let key = ctx.op(op).key;
                self.send_to_cache(fill(key, token, version, value), op, ctx);
            }
        }
    }

    // ----- the client -----

    /// A read has its answer: the client checks it, then either the
    /// operation is done or its write goes to the primary. With caches per
    /// application server, the stale reads the oracle finds served by a
    /// cache are its server's.
    #[inline]
    fn read_done(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let server = self
            .cache
            .as_ref()
            .filter(|t| !t.caches.is_shared())
            .map(|t| t.caches.server(op, ctx.op(op).session));
        let stale_before = server.map(|_| self.h.oracle.stale_reads_served_by(ServedBy::Cache));
        let after = self.h.read_returned(op, ctx);
        if let (Some(server), Some(before), Some(tier)) = (server, stale_before, &mut self.cache) {
            let stale = self.h.oracle.stale_reads_served_by(ServedBy::Cache) - before;
            tier.caches.stale_reads_served(server, stale);
        }
        if after == AfterRead::Write {
            self.request(Message::Client, op, Event::AtDb(op, PRIMARY), ctx);
        }
    }

    fn acknowledge_write(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        if let Some(recent) = &mut self.recent {
            let session = ctx.op(op).session;
            for w in self.h.state(op).installed() {
                recent.note(session, w.key, ctx.now());
            }
        }
        self.h.write_answered(op, ctx);
    }
}

impl Architecture for Single {
    type Event = Event;

    fn harness(&self) -> &Harness {
        &self.h
    }

    fn harness_mut(&mut self) -> &mut Harness {
        &mut self.h
    }

    fn route(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        if let Some(tier) = &mut self.cache {
            tier.caches.route(op);
        }
        match ctx.op(op).kind {
            OpKind::Rmw | OpKind::Reserve if self.h.server_side(ctx.op(op).kind) => {
                self.request(Message::Client, op, Event::AtDb(op, PRIMARY), ctx)
            }
            OpKind::Get
            | OpKind::Rmw
            | OpKind::Reserve
            | OpKind::Probe
            | OpKind::MultiGet
            | OpKind::Scan => {
                if let Some(tier) = &mut self.cache
                    && tier.leases()
                {
                    *tier.lease_of(op) = OpLease::default();
                }
                self.start_read(op, ctx)
            }
            OpKind::Put | OpKind::Insert | OpKind::Transfer | OpKind::Txn => {
                self.request(Message::Client, op, Event::AtDb(op, PRIMARY), ctx)
            }
            OpKind::Analytics => {
                let node = self.analytics_node;
                self.request(Message::Client, op, Event::AtDb(op, node), ctx);
            }
            OpKind::DocGet
            | OpKind::DocPut
            | OpKind::Search
            | OpKind::SessionGet
            | OpKind::SessionPut => unreachable!("rejected when the scenario is read"),
        }
    }

    fn prefetch(&self, op: &Operation) {
        self.primary.data.prefetch(op.key);
        if let Some(tier) = &self.cache
            && tier.caches.is_shared()
        {
            tier.caches.all()[0].prefetch(op.key);
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
            Event::Served(op, id) => self.served(op, id, ctx),
            Event::Sliced(handle) => self.sliced(handle, ctx),
            Event::Flushed(id) => self.flushed(id, ctx),
            Event::DbAnswered(op) => self.db_answered(op, ctx),
            Event::Apply { replica, commit } => self.replica_arrival(replica, commit, ctx),
            Event::Applied { replica, commit } => {
                let r = &mut self.replicas[replica as usize - 1];
                r.stream
                    .shown(commit, ctx.now(), &mut self.log, Some(&mut r.data));
                ctx.background_done();
                self.start_applying(replica, ctx);
            }
            Event::Promote { fault } => self.promote(usize::from(fault), ctx),
            Event::Refused(op) => ctx.complete(op, Outcome::Failed),
            // A client that timed out meanwhile stops waiting.
            Event::LeaseRetry(op) if ctx.abandoned(op) => self.read_done(op, ctx),
            Event::LeaseRetry(op) => self.start_read(op, ctx),
            Event::Invalidated {
                server,
                key,
                version,
                value,
            } => {
                let w = Write {
                    key: u64::from(key),
                    version,
                    value,
                };
                self.peer_invalidated(usize::from(server), &w, ctx);
            }
        }
    }

    /// The primary's server (its outage is the failover's, below), each
    /// replica's shipping path and server, the cache and its server.
    fn parts(&mut self, role: &Role, deliver: &mut dyn FnMut(Part<'_>)) {
        match role {
            Role::Primary => deliver(Part::Station(
                &mut self.primary.station,
                WhenDown::Elsewhere,
            )),
            Role::Replica => {
                for r in &mut self.replicas {
                    deliver(Part::Path(&mut r.data.path));
                    deliver(Part::Station(&mut r.station, WhenDown::LosesRequests));
                }
            }
            Role::Cache => {
                if let Some(tier) = &mut self.cache {
                    for cache in tier.caches.all_mut() {
                        deliver(Part::Cache(cache));
                    }
                    deliver(Part::Station(&mut tier.server, WhenDown::Elsewhere));
                }
            }
            _ => {}
        }
    }

    fn on_fault(&mut self, index: usize, fault: &Fault, begins: bool, ctx: &mut Ctx<'_>) {
        if fault.target != Role::Primary || !fault.stops() {
            return;
        }
        if fault.clients > 0.0 {
            if begins {
                self.split_begins(index, fault, ctx);
            } else {
                self.split_heals(ctx);
            }
        } else if begins {
            self.primary_down(index, fault, ctx);
        }
    }
}

impl Single {
    /// A writer's invalidation broadcast of `w` reaches application server
    /// `server`'s cache, which deletes or updates its copy.
    fn peer_invalidated(&mut self, server: usize, w: &Write, ctx: &mut Ctx<'_>) {
        ctx.background_done();
        let tier = self.cache.as_mut().expect("a cache");
        let current = self.primary.data.version(w.key);
        if invalidate(
            tier.invalidate,
            tier.caches.at(server),
            w,
            current,
            ctx.now(),
        ) {
            self.h.oracle.out_of_order_apply("cache");
        }
    }

    /// A shipped commit reaches `replica`: it waits in log order to be
    /// applied.
    fn replica_arrival(&mut self, replica: Node, commit: u32, ctx: &mut Ctx<'_>) {
        let r = &mut self.replicas[replica as usize - 1];
        r.stream.arrived(commit, &self.log);
        self.start_applying(replica, ctx);
    }

    /// `replica` starts applying what it may now; each commit shows once
    /// applied, after every earlier one. Commits the primary's failover
    /// made void are dropped.
    fn start_applying(&mut self, replica: Node, ctx: &mut Ctx<'_>) {
        let r = &mut self.replicas[replica as usize - 1];
        let (apply, rng) = (&self.apply, &mut r.apply_rng);
        r.stream.start(
            ctx.now(),
            &mut self.log,
            &mut r.station,
            Some(&mut r.data),
            |writes| {
                writes
                    .iter()
                    .fold(SimDuration::ZERO, |d, _| d + apply.sample(rng))
            },
            |commit, shown| match shown {
                Some(at) => ctx.schedule_at(at, Event::Applied { replica, commit }),
                None => ctx.background_done(),
            },
        );
    }

    /// The primary crashes or is cut off. With replicas, a primary that
    /// stays unreachable for `failover_after` is replaced by replica 1;
    /// until then (or, without failover, until the fault ends) requests
    /// wait for it.
    fn primary_down(&mut self, index: usize, fault: &Fault, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let takeover =
            failover::takeover(fault, now, self.failover_after, !self.replicas.is_empty());
        self.primary
            .station
            .down_until(fault, takeover.unwrap_or(fault.until()), true);
        if let Some(takeover) = takeover {
            let replicas = self.replicas.iter_mut().map(|r| &mut r.data);
            failover::cut_off(&mut self.log, 0, replicas, now, |_| true);
            let fault = index as u16;
            ctx.schedule_at(takeover, Event::Promote { fault });
        }
    }

    /// Replica 1 becomes the primary: the system of record is what it had
    /// applied (see `model::failover`). During a split brain the old
    /// primary goes on beside it, serving its side.
    fn promote(&mut self, fault: usize, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        if self.split.is_some() {
            let promoted = PrimaryNode {
                id: self.primary.id + 1,
                station: self.db.node(self.db.cores, self.window),
                data: self.primary.data.clone(),
                wal: self.db.commit_log(self.promoted_fsync.clone(), self.window),
                locks: RowLocks::new(self.window),
                granted: Vec::new(),
            };
            let old = std::mem::replace(&mut self.primary, promoted);
            self.old = Some(Box::new(old));
        }
        let lost = failover::promote(
            &mut self.primary.data,
            &self.replicas[0].data,
            0..self.space.total(),
            &mut self.h.oracle,
            now,
        );
        self.h
            .effects
            .get(fault)
            .promoted(now, lost, "replica_1", self.failover_after);
    }
}

impl Single {
    /// A partition cuts the primary off from the failure detector and the
    /// replicas, but the first `fault.clients` of the sessions still reach
    /// it: they go on using it; the others wait for the takeover (or the
    /// end of the partition, without one).
    fn split_begins(&mut self, index: usize, fault: &Fault, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let takeover =
            failover::takeover(fault, now, self.failover_after, !self.replicas.is_empty());
        if let Some(takeover) = takeover {
            let replicas = self.replicas.iter_mut().map(|r| &mut r.data);
            failover::cut_off(&mut self.log, 0, replicas, now, |_| true);
            let fault = index as u16;
            ctx.schedule_at(takeover, Event::Promote { fault });
        }
        self.split = Some(Split {
            fault: index as u16,
            old: self.primary.id,
            side: fault.old_side(self.sessions),
            takeover,
            lease_ends: (self.fencing == Fencing::Lease).then(|| now + self.lease),
            heals: fault.until(),
            lineages: failover::Lineages::default(),
        });
    }

    /// Where a request for the primary from `session` goes now.
    fn primary_for(&self, session: u32, now: SimTime) -> Reach {
        let split = self.split.as_ref().expect("a split brain");
        let wait = |until: SimTime| {
            if until == crate::sim::FOREVER {
                Reach::Never
            } else {
                Reach::Wait(until)
            }
        };
        if session < split.side {
            // A lease run out: the old primary has stepped down, and its
            // side reaches no other.
            match split.lease_ends {
                Some(t) if now >= t => wait(split.heals),
                _ => Reach::Node(split.old),
            }
        } else if self.primary.id != split.old {
            Reach::Node(self.primary.id)
        } else {
            // Promoted at the takeover, which may be this very instant.
            wait(split.takeover.unwrap_or(split.heals))
        }
    }

    /// Whether primary `id` may no longer commit now: an old primary whose
    /// lease ran out, or whose epoch the promotion superseded under
    /// tokens; or one that rejoined as a replica when the split healed.
    fn fenced(&self, id: u8, now: SimTime) -> bool {
        match &self.split {
            None => id != self.primary.id,
            Some(s) if s.old != id => false,
            Some(s) => match self.fencing {
                Fencing::None => false,
                Fencing::Lease => s.lease_ends.is_some_and(|t| now >= t),
                Fencing::Token => self.primary.id != s.old,
            },
        }
    }

    /// Whether primary `id` is cut off from the replicas: the old primary
    /// of a split that ends in a takeover ships nothing.
    fn cut_off(&self, id: u8) -> bool {
        self.split
            .as_ref()
            .is_some_and(|s| s.old == id && s.takeover.is_some())
    }

    /// The partition heals: after a takeover the old primary rejoins as a
    /// replica of the winner and what it accepted since is discarded (see
    /// `failover::Lineages`); the time both accepted writes is the split
    /// brain.
    fn split_heals(&mut self, ctx: &mut Ctx<'_>) {
        let Some(split) = self.split.take() else {
            return;
        };
        let Some(takeover) = split.takeover.filter(|_| self.primary.id != split.old) else {
            return;
        };
        let now = ctx.now();
        let old = self
            .old
            .as_deref()
            .expect("the old primary of a split brain");
        let overlap_ends = match self.fencing {
            Fencing::None => now,
            Fencing::Lease => split.lease_ends.map_or(now, |t| t.min(now)),
            Fencing::Token => takeover,
        };
        let overlap = overlap_ends.since(takeover);
        let r = split.lineages.resolve(&old.data, &mut self.h.oracle, now);
        if overlap > SimDuration::ZERO {
            self.h
                .oracle
                .split_brain("primary", overlap, r.lost, r.diverged, r.replayable);
        }
        let share = Fault::side_percent(split.side, self.sessions);
        let thousands = crate::metrics::thousands;
        let note = if overlap > SimDuration::ZERO {
            format!(
                "the old primary served {share}% of clients for {overlap} beside replica_1 \
                 (fencing \"{}\"): {} acknowledged writes it accepted are lost, {} keys \
                 diverged (both primaries wrote them: manual resolution), {} keys only it wrote \
                 (replayable)",
                self.fencing.name(),
                thousands(r.lost as f64),
                thousands(r.diverged as f64),
                thousands(r.replayable as f64)
            )
        } else if self.fencing == Fencing::Lease {
            format!(
                "the old primary stepped down when its lease ran out, {} after it lost the \
                 failure detector: no split brain; its {share}% of clients reached no primary \
                 until the partition healed",
                self.lease
            )
        } else {
            format!(
                "the old primary's commits were refused from replica_1's promotion on (a \
                 superseded fencing token): no split brain; its {share}% of clients read its \
                 data, older and older, until the partition healed"
            )
        };
        let effect = self.h.effects.get(usize::from(split.fault));
        effect.lost_writes += r.lost;
        effect.notes.push(note);
    }
}

impl Report for Single {
    fn footprint(&self) -> Footprint {
        let mut f = Footprint {
            systems: vec!["db".to_string()],
            ..Footprint::default()
        };
        // The primary and its replicas.
        f.platform("database", 1, self.primary.station.servers());
        if let Some(r) = self.replicas.first() {
            f.platform("database", self.replicas.len() as u32, r.station.servers());
        }
        if let Some(tier) = &self.cache {
            if tier.placement == Placement::Remote {
                f.platform("cache", 1, tier.server.servers());
            }
            f.systems.push("cache".to_string());
            let on_write = match tier.invalidate {
                Invalidate::Delete => "delete on write",
                Invalidate::Update => "update on write",
                Invalidate::None => "TTL only",
            };
            f.sync.push(SyncPath::new(
                "db",
                "cache",
                format!("cache-aside: fill on miss, {on_write}"),
            ));
            let n = tier.caches.servers();
            if n > 1 && tier.invalidate != Invalidate::None {
                f.sync.push(SyncPath::new(
                    "cache",
                    "cache",
                    format!(
                        "a copy in each of {n} app servers: each write's invalidation broadcast to the other {}",
                        n - 1
                    ),
                ));
            }
        }
        for i in 1..=self.replicas.len() {
            let name = format!("replica_{i}");
            f.sync
                .push(SyncPath::new("db", &name, "asynchronous log shipping"));
            f.systems.push(name);
        }
        f
    }

    fn components(&self) -> BTreeMap<String, ComponentStats> {
        let mut out = BTreeMap::new();
        let mut db = self.primary.station.stats();
        self.primary.wal.annotate(&mut db);
        self.primary.locks.annotate(&mut db);
        out.insert("db".to_string(), db);
        if let Some(tier) = &self.cache {
            let mut c = match tier.placement {
                Placement::Remote => tier.server.stats(),
                Placement::InProcess => ComponentStats::default(),
            };
            let caches = tier.caches.all();
            let (hits, misses) = tier.caches.hits_and_misses();
            c.hit_ratio = Some(if hits + misses == 0 {
                0.0
            } else {
                hits as f64 / (hits + misses) as f64
            });
            c.hits = Some(hits);
            c.misses = Some(misses);
            c.stale_sets = Some(caches.iter().map(Cache::stale_sets).sum());
            if tier.leases() {
                let cache = &caches[0];
                c.stale_sets_refused = Some(cache.stale_sets_refused());
                c.hot_misses = Some(cache.hot_misses());
                c.db_reads_saved = Some(cache.reads_saved());
            }
            out.insert("cache".to_string(), c);
            if !tier.caches.is_shared() {
                for (i, cache) in caches.iter().enumerate() {
                    let c = ComponentStats {
                        hit_ratio: Some(cache.hit_ratio()),
                        hits: Some(cache.hits()),
                        misses: Some(cache.misses()),
                        stale_sets: Some(cache.stale_sets()),
                        stale_reads: Some(tier.caches.stale_reads(i)),
                        ..ComponentStats::default()
                    };
                    out.insert(app_server(i, caches.len()), c);
                }
            }
        }
        for (i, r) in self.replicas.iter().enumerate() {
            let mut c = r.station.stats();
            c.set_lag(r.data.visibility_lag());
            out.insert(format!("replica_{}", i + 1), c);
        }
        out
    }

    fn record(&self) -> &VersionedStore {
        &self.primary.data
    }

    fn divergence(&self) -> BTreeMap<String, DivergenceReport> {
        let mut divergence = BTreeMap::new();
        if let Some(tier) = &self.cache {
            let current = |key| self.primary.data.version(key);
            if let [cache] = tier.caches.all() {
                divergence.insert("cache".to_string(), cache.divergence(current));
            } else {
                for (i, cache) in tier.caches.all().iter().enumerate() {
                    divergence.insert(
                        app_server(i, tier.caches.servers()),
                        cache.divergence(current),
                    );
                }
            }
        }
        for (i, r) in self.replicas.iter().enumerate() {
            // Pipelines drained: every shipped commit applied.
            let mut d = DivergenceReport {
                diverged_share: round6(r.data.behind_share()),
                ..DivergenceReport::default()
            };
            for key in 0..self.space.total() {
                let (copy, current) = (r.data.drained_version(key), self.primary.data.version(key));
                d.older += u64::from(copy < current);
                d.phantom += u64::from(copy > current);
            }
            divergence.insert(format!("replica_{}", i + 1), d);
        }
        divergence
    }

    fn trends(&self) -> Vec<(String, TrendKind, Trend)> {
        let mut out: Vec<_> = self
            .cache
            .iter()
            .map(|c| {
                // Every application server's lookups together.
                let caches = c.caches.all();
                let mut trend = caches[0].trend().clone();
                for other in &caches[1..] {
                    trend.merge(other.trend());
                }
                ("cache".to_string(), TrendKind::HitRatio, trend)
            })
            .collect();
        for (i, r) in self.replicas.iter().enumerate() {
            out.push((
                format!("replica_{}", i + 1),
                TrendKind::Lag,
                r.data.lag_trend().clone(),
            ));
        }
        out
    }

    fn lag(&self) -> BTreeMap<String, LagSummary> {
        self.replicas
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    format!("replica_{}", i + 1),
                    LagSummary::of(r.data.visibility_lag()),
                )
            })
            .collect()
    }
}

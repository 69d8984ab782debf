//! Stage 3, Distributed by Default: the database split into shards, each a
//! primary owning the keys the router assigns it, with no coordination
//! between shards.
//!
//! Routing: the client maps a key to its shard (`router` on `partition_by`);
//! a directory router first looks the placement up in the clients' cache of
//! directory entries, and on a miss asks the directory service (one hop each
//! way, a lookup on its core). One lookup per operation, for its first key.
//!
//! Single-shard operations follow the Single System's primary path, on their
//! shard: a read takes its snapshot where it lands and answers one hop back;
//! a write takes the row locks of its keys on the shard (held until its
//! commit is durable), runs `db.write` of CPU, waits for the shard's log
//! flush (group commit per shard), commits, releases and answers. `rmw` and
//! `reserve` run there as one statement under the row lock (`[workload] rmw
//! = "server"`), or read, then write back, with no lock held in between
//! (`"client"`).
//!
//! Multi-shard operations:
//! - `multi_get` scatters one statement to every shard holding one of its
//!   keys and completes when the last answers: the slowest shard sets its
//!   latency, and the shards' snapshots are taken independently;
//! - `analytics` is one query over all the data (`db.analytics`, drawn once
//!   per query, see `model::analytics`): the client scatters it to every
//!   shard, each runs its share of the work (its share of the keys times
//!   the query's) on its cores — a slice at a time under "time-slice"
//!   scheduling, one core to the end under "fcfs" — and answers, and when the last has
//!   answered the client merges the partial results, `db.analytics_merge`
//!   per shard after the first. With one shard it is the Single System's
//!   query;
//! - `search`, with no search index, scatters to every shard (each runs
//!   `shards.search` over its slice); the key found is read where it lives;
//! - a `transfer` between accounts on two shards is refused
//!   (`cross_shard = "reject"`: the client gets an error) or runs as two
//!   local commits in sequence (`"best-effort"`): the debit on the first
//!   shard, then the credit on the second. Between them the money is
//!   nowhere; if the application fails there (`leg_failure`), the credit
//!   never happens, the error is swallowed and the client told ok.
//!
//! Documents (`doc_get`, `doc_put`) live in a leaderless, quorum-replicated
//! store (Dynamo-style, `[architecture.docstore]`): the client sends a write
//! to all `n` replicas, each applies it on arrival (newest version wins) and
//! acknowledges, and the write succeeds at the `w`-th acknowledgement; a
//! read asks all `n` and answers with the newest of the first `r` replies.
//! With r + w ≤ n a read can miss the newest write: probabilistically
//! bounded staleness. Under a sloppy quorum (`propagate = "quorum"`, see
//! `model::quorum`) the write goes to `w` replicas chosen at random and the
//! others apply it only when hinted handoff delivers it.
//!
//! With `[architecture.stores]` the shards carry stage 2's specialized
//! stores (`arch::stores`, the part polyglot carries): `search`,
//! `analytics` and sessions go to the index, the warehouse and the session
//! store instead of scattering over the shards, every commit at a shard
//! reaches the derived stores by their sync paths, and the cache grid is
//! fed by `stores.cache_sync` (set after the commit, or by a pipeline)
//! instead of the writer's delete — a polyglot system, sharded.

pub mod config;
pub mod reshard;

use std::collections::BTreeMap;

use rand::RngExt;

use super::Report;
use super::stores::{Beside, FedCache, NoCache, StoreEvent, Stores};
use super::{CrossShard, Footprint, SyncPath};
use crate::check::{DivergenceReport, LagSummary, ServedBy, Version};
use crate::dist::Dist;
use crate::faults::{Fault, Role};
use crate::harness::{AfterRead, Architecture, Context, Harness, OpState, Part, WhenDown};
use crate::metrics::{ComponentStats, Outcome, Trend, TrendKind, Window};
use crate::model::analytics::{self, Split};
use crate::model::network::Message;
use crate::model::quorum::Placement;
use crate::model::router::Router;
use crate::model::streams::Stream;
use crate::model::transaction::{self, Plan};
use crate::model::{
    ApplyStream, Cache, CommitLog, Logged, Lookup, Replica, ReplicationLog, RowKeys, RowLocks,
    Station, Step, TimeSlicer, VersionedStore, Write, failover,
};
use crate::sim::{OpId, SimDuration, SimRng, SimTime, Streams};
use crate::workload::{Entity, KeySpace, OpKind, Operation};

type ShardId = u16;

#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// A lookup reaches the directory service.
    AtDirectory(OpId),
    /// The directory's answer reaches the client, which routes the operation.
    DirectoryAnswered(OpId),
    /// A request (or one part of a scattered one) reaches a shard.
    AtShard(OpId, ShardId),
    /// A read reaches a shard's read replica (its index, from 0).
    AtReplica(OpId, ShardId, u8),
    /// A shipped commit reaches replica `replica` of its shard, where it
    /// waits in its shard's log order to be applied.
    Apply { replica: u8, commit: u32 },
    /// The replica has applied the commit and every earlier one of its
    /// shard: it shows there.
    Applied { replica: u8, commit: u32 },
    /// A shard finishes a write's CPU work.
    Served(OpId, ShardId),
    /// A slice of a shard's part of an analytics query ends (a handle in
    /// the slicer): the part goes back into the shard's queue.
    Sliced(u32),
    /// A shard's log flush under way completes.
    Flushed(ShardId),
    /// A shard's answer reaches the client.
    Answered(OpId),
    /// The client has merged an analytics query's partial results.
    Merged(OpId),
    /// A document write reaches a replica.
    DocWrite {
        replica: u8,
        key: u32,
        version: Version,
    },
    /// A replica's acknowledgement of a document write reaches the client.
    DocAck(OpId),
    /// A document read reaches a replica.
    DocRead { op: OpId, replica: u8 },
    /// A replica's reply to a document read reaches the client.
    DocReply { op: OpId, version: Version },
    /// A lookup reaches the cache grid node that holds its key.
    AtGrid(OpId),
    /// The grid's answer to a lookup reaches the client.
    GridAnswered(OpId),
    /// A reader's fill after a miss reaches the grid; nobody waits for it.
    GridFill {
        key: u32,
        version: Version,
        value: i64,
    },
    /// The writer's invalidation reaches the grid.
    GridInvalidate(OpId),
    /// The grid acknowledges the invalidation.
    GridInvalidated(OpId),
    /// Replica 1 of `shard` (every shard: `ShardId::MAX`) takes over from
    /// its failed primary (fault `fault`).
    Promote { fault: u16, shard: ShardId },
    /// A reshard's migration begins copying its `i`-th key.
    Migrate(u32),
    /// The copy of the migration's `i`-th key reaches its new shard.
    CopyArrives(u32),
    /// The migration's `i`-th key has landed at its new shard.
    Landed(u32),
    /// An event of the specialized stores.
    Stores(StoreEvent),
}

impl From<StoreEvent> for Event {
    fn from(e: StoreEvent) -> Event {
        Event::Stores(e)
    }
}

type Ctx<'a> = Context<'a, Event>;

/// One shard's primary.
struct Shard {
    station: Station,
    /// The commit path through the shard's write-ahead log.
    wal: CommitLog,
    /// The shard's row locks, held by each write until it is durable.
    locks: RowLocks<OpId>,
}

/// The directory service and the clients' cache of its entries.
struct Directory {
    station: Station,
    cache: Cache,
    lookup: Dist,
}

/// The distributed cache grid: `nodes` servers, each serving the keys that
/// hash to it. The entries are held in one LRU of the grid's total capacity
/// (with keys spread evenly by hash, per-node LRUs hold nearly the same set).
struct Grid {
    cache: Cache,
    nodes: Vec<Station>,
    service: Dist,
    /// The nodes' service draws.
    rng: SimRng,
    invalidate: super::Invalidate,
}

impl Grid {
    /// The node holding `key`.
    fn node(&self, key: u64) -> usize {
        (crate::model::router::mix64(key ^ 0x9e37_79b9) % self.nodes.len() as u64) as usize
    }

    /// A request for `key` takes its turn on the key's node, arriving now.
    fn serve(&mut self, key: u64, now: SimTime) -> crate::model::Slot {
        let node = self.node(key);
        let service = self.service.sample(&mut self.rng);
        self.nodes[node].enter(now, service)
    }
}

/// With the specialized stores, the grid is fed by `stores.cache_sync`, as
/// polyglot's cache is.
impl FedCache for Grid {
    fn set(&mut self, w: &Write, current: Version, now: SimTime) -> bool {
        self.cache.put(w.key, w.version, w.value, current, now)
    }

    fn serve(&mut self, key: u64, now: SimTime) -> SimTime {
        Grid::serve(self, key, now).done
    }
}

/// The leaderless document store: each replica's version of each document.
struct Docstore {
    replicas: Vec<Vec<Version>>,
    r: u16,
    w: u16,
    write: Vec<Dist>,
    ack: Vec<Dist>,
    read: Vec<Dist>,
    response: Vec<Dist>,
    rng: SimRng,
    /// The replicas each write is sent to, and the handoff to the others.
    placement: Placement,
}

/// The sharded architecture.
pub struct Sharded {
    space: KeySpace,
    router: Router,
    shards: Vec<Shard>,
    /// Writes that have just been granted their locks.
    granted: Vec<OpId>,
    directory: Option<Directory>,
    grid: Option<Grid>,
    /// The specialized stores beside the shards, if carried: a polyglot
    /// system, sharded.
    stores: Option<Stores>,
    /// Replica `j` of every shard, as one copy over all keys (each key is
    /// shipped by its own shard), and each shard's replica stations and
    /// their apply of the shard's log.
    replicas: Vec<Replica>,
    replica_stations: Vec<Vec<Station>>,
    replica_streams: Vec<Vec<ApplyStream>>,
    /// Replica `j`'s apply CPU draws, on every shard.
    apply_rngs: Vec<SimRng>,
    log: ReplicationLog,
    reads_to_replicas: bool,
    choice_rng: SimRng,
    docstore: Docstore,
    /// Whether the mix uses the document store (it is in the footprint only then).
    documents_used: bool,
    /// Every shard's data, by key: each key is written only by its shard.
    data: VersionedStore,
    read: Dist,
    write: Dist,
    /// CPU per row applied at a replica.
    apply: Dist,
    analytics: Dist,
    analytics_merge: Dist,
    /// Parts of analytics queries between their slices, with their shard.
    slicer: TimeSlicer<(OpId, ShardId)>,
    /// The keys each shard holds, counted at the first analytics query.
    split: Option<Split>,
    /// Each analytics query's work over all the data, by operation, drawn
    /// once so that its shards agree.
    work: Vec<SimDuration>,
    search: Dist,
    service_rng: SimRng,
    directory_rng: SimRng,
    failure_rng: SimRng,
    cross_shard: CrossShard,
    leg_failure: f64,
    transfer_amount: i64,
    h: Harness,
    /// The shards of the `multi_get` being routed (a reused buffer).
    scatter: Vec<ShardId>,
    /// Multi-key operations in the window, the shards they touched, and how
    /// many touched more than one.
    multi_key_ops: u64,
    shards_touched: u64,
    cross_shard_ops: u64,
    window: Window,
    failover_after: SimDuration,
    /// A reshard under way or done: the new placement, the keys it moves.
    migration: Option<reshard::Migration>,
    /// The new shards' database settings, like the old ones'.
    db: super::DbConfig,
    /// The copy's hop between shards, and the migration's service draws.
    hop: Dist,
    migration_rng: SimRng,
    /// For the new shards' log streams.
    streams: Streams,
}

impl Sharded {
    pub fn new(
        config: &config::Config,
        setting: &super::Setting<'_>,
        streams: &Streams,
        window: Window,
    ) -> Sharded {
        let w = setting.workload;
        let space = KeySpace::new(w);
        let db = &config.db;
        let s = &config.shards;
        let router = Router::new(s.router, s.partition_by, s.count, space);
        let shards = (0..s.count)
            .map(|i| Shard {
                station: db.node(db.cores, window),
                wal: db.commit_log(Stream::ShardFsync(i).of(streams), window),
                locks: RowLocks::new(window),
            })
            .collect();
        let directory = router.needs_lookup().then(|| {
            let entries = match s.partition_by {
                crate::model::PartitionBy::Key => space.total(),
                crate::model::PartitionBy::Group => space.groups,
            };
            Directory {
                station: db.node(db.cores, window),
                cache: Cache::new(s.directory_cache, SimDuration::ZERO, entries, window),
                lookup: db.read.clone(),
            }
        });
        let d = &config.docstore;
        let legs =
            |delays: &super::Delays| (0..d.n as usize).map(|i| delays.of(i).clone()).collect();
        let docstore = Docstore {
            replicas: vec![vec![0; space.documents as usize]; d.n as usize],
            r: d.r as u16,
            w: d.w as u16,
            write: legs(&d.write),
            ack: legs(&d.ack),
            read: legs(&d.read),
            response: legs(&d.response),
            rng: Stream::Docstore.of(streams),
            placement: Placement::new(
                d.propagate,
                d.handoff.clone(),
                Stream::QuorumChoice.of(streams),
                Stream::Handoff.of(streams),
            ),
        };
        let c = &config.cache;
        let grid = (c.capacity > 0).then(|| Grid {
            cache: c.cache(c.capacity * u64::from(c.nodes), w, &space, streams, window),
            nodes: (0..c.nodes)
                .map(|_| Station::new(c.cores, window))
                .collect(),
            service: c.service(),
            rng: Stream::Service("cache").of(streams),
            invalidate: c.invalidate,
        });
        let rc = &config.replicas;
        let replicas: Vec<Replica> = (1..=rc.count)
            .map(|j| {
                Replica::new(
                    &space,
                    rc.shipping(setting.network),
                    Stream::ReplicaLag(j).of(streams),
                    window,
                )
            })
            .collect();
        let replica_stations = (0..s.count)
            .map(|_| {
                (0..rc.count)
                    .map(|_| db.node(rc.cores.unwrap_or(db.cores), window))
                    .collect()
            })
            .collect();
        let stores = config
            .stores
            .as_ref()
            .map(|st| Stores::new(st, db, &space, grid.is_some(), streams, window));
        Sharded {
            space,
            grid,
            stores,
            reads_to_replicas: config.replicas.routing() == super::ReadRouting::Replicas,
            replicas,
            replica_stations,
            replica_streams: (0..s.count)
                .map(|_| vec![ApplyStream::new(rc.apply); rc.count as usize])
                .collect(),
            apply_rngs: (1..=rc.count)
                .map(|j| Stream::Apply(j).of(streams))
                .collect(),
            log: ReplicationLog::default(),
            choice_rng: Stream::ReplicaChoice.of(streams),
            docstore,
            documents_used: w.mix.share(OpKind::DocGet) + w.mix.share(OpKind::DocPut) > 0.0,
            router,
            shards,
            granted: Vec::new(),
            directory,
            data: VersionedStore::new(&space),
            read: db.read.clone(),
            write: db.write.clone(),
            apply: db.apply(),
            analytics: db.analytics.clone(),
            analytics_merge: db.analytics_merge.clone(),
            slicer: TimeSlicer::new(db.analytics_slice()),
            split: None,
            work: Vec::new(),
            search: s.search.clone(),
            service_rng: Stream::Service("db").of(streams),
            directory_rng: Stream::Service("directory").of(streams),
            failure_rng: Stream::LegFailure.of(streams),
            cross_shard: s.cross_shard,
            leg_failure: s.leg_failure,
            transfer_amount: w.transfer_amount,
            h: Harness::new(w, setting.network, setting.faults.len(), streams, window),
            scatter: Vec::new(),
            multi_key_ops: 0,
            shards_touched: 0,
            cross_shard_ops: 0,
            window,
            failover_after: config.replicas.failover_after,
            migration: None,
            db: db.clone(),
            hop: setting.network.hop.clone(),
            migration_rng: Stream::Migration.of(streams),
            streams: streams.clone(),
        }
    }

    /// Shard `s`'s primary crashes or is cut off: with replicas, replica 1
    /// takes over after `failover_after` if the fault lasts that long;
    /// until then (or until the fault ends) its requests wait.
    fn shard_down(&mut self, index: usize, fault: &Fault, s: ShardId, ctx: &mut Ctx<'_>) {
        let has_replica = !self.replicas.is_empty();
        let takeover = failover::takeover(fault, ctx.now(), self.failover_after, has_replica);
        self.shards[usize::from(s)].station.down_until(
            fault,
            takeover.unwrap_or(fault.until()),
            true,
        );
        if let Some(takeover) = takeover {
            let router = &self.router;
            let of = |k| router.shard(k) as ShardId == s;
            failover::cut_off(
                &mut self.log,
                u32::from(s),
                &mut self.replicas,
                ctx.now(),
                of,
            );
            let fault = index as u16;
            ctx.schedule_at(takeover, Event::Promote { fault, shard: s });
        }
    }

    /// Replica 1 of shard `s` becomes its primary: the shard's keys are what
    /// it had applied (see `model::failover`).
    fn promote(&mut self, fault: usize, s: ShardId, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let router = &self.router;
        let keys = (0..self.space.total()).filter(|k| router.shard(*k) as ShardId == s);
        let lost = failover::promote(
            &mut self.data,
            &self.replicas[0],
            keys,
            &mut self.h.oracle,
            now,
        );
        let who = format!("shard {s}'s replica 1");
        self.h
            .effects
            .get(fault)
            .promoted(now, lost, &who, self.failover_after);
    }

    /// The shard that owns `key` for an operation begun at `since` (a
    /// reshard moves keys; see `reshard`).
    #[inline]
    fn shard_of(&self, key: u64, since: SimTime) -> ShardId {
        match &self.migration {
            None => self.router.shard(key) as ShardId,
            Some(m) => m.owner(key, since, &self.router) as ShardId,
        }
    }

    // ----- a reshard (see `reshard`) -----

    /// Fault `index`, a reshard, begins: shards like the old ones join and
    /// the migration starts copying the keys whose owner changes.
    fn start_reshard(&mut self, index: usize, fault: &Fault, ctx: &mut Ctx<'_>) {
        let to = fault.shards.expect("a reshard names its shard count");
        let from = self.router.shards();
        let db = &self.db;
        for i in from..to {
            self.shards.push(Shard {
                station: db.node(db.cores, self.window),
                wal: db.commit_log(Stream::ShardFsync(i).of(&self.streams), self.window),
                locks: RowLocks::new(self.window),
            });
        }
        let next = self.router.resized(to);
        // Documents live in the document store, sessions in the session
        // store (or nowhere): the shards hold the rest.
        let held: Vec<u64> = (0..self.space.total())
            .filter(|&k| !matches!(self.space.entity(k).0, Entity::Document | Entity::Session))
            .collect();
        let on_shards = held.len() as u64;
        let keys: Vec<u64> = held
            .into_iter()
            .filter(|&k| self.router.shard(k) != next.shard(k))
            .collect();
        let rate = fault.rate.unwrap_or(crate::faults::RESHARD_RATE);
        let m = reshard::Migration::new(
            index,
            &self.router,
            next,
            keys,
            (self.space.total(), on_shards),
            ctx.now(),
            rate,
        );
        if !m.keys.is_empty() {
            ctx.schedule_at(m.start_of(0), Event::Migrate(0));
        }
        self.migration = Some(m);
        self.split = None;
        self.reshard_noted(ctx);
    }

    /// Key number `i` starts moving: read at its old shard, then a hop.
    fn migrate(&mut self, i: u32, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let m = self.migration.as_mut().expect("a migration");
        let key = m.keys[i as usize];
        m.begin(key, now);
        let service = self.read.sample(&mut self.migration_rng);
        m.source_work = m.source_work + service;
        let source = self.router.shard(key) as usize;
        let slot = self.shards[source].station.enter(now, service);
        let hop = self.hop.sample(&mut self.migration_rng);
        ctx.schedule_at(slot.done + hop, Event::CopyArrives(i));
        let next = i as usize + 1;
        if next < m.keys.len() {
            ctx.schedule_at(m.start_of(next).max(now), Event::Migrate(next as u32));
        }
    }

    /// The copy of key number `i` is written at its new shard.
    fn copy_arrives(&mut self, i: u32, ctx: &mut Ctx<'_>) {
        let m = self.migration.as_mut().expect("a migration");
        let key = m.keys[i as usize];
        let service = self.write.sample(&mut self.migration_rng);
        m.destination_work = m.destination_work + service;
        let dest = m.next.shard(key) as usize;
        let slot = self.shards[dest].station.enter(ctx.now(), service);
        ctx.schedule_at(slot.done, Event::Landed(i));
    }

    /// Key number `i` has landed: the requests held for it go on.
    fn landed(&mut self, i: u32, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let m = self.migration.as_mut().expect("a migration");
        let key = m.keys[i as usize];
        m.land(key, now);
        let finished = m.finished();
        let held = std::mem::take(&mut m.held);
        let mut still = Vec::new();
        for h in held {
            let o = *ctx.op(h.op);
            if self.blocked(h.op, &o) {
                still.push(h);
                continue;
            }
            let m = self.migration.as_mut().expect("a migration");
            m.released(h.since, now);
            self.hop(Message::Client, h.op, Event::AtShard(h.op, h.shard), ctx);
        }
        self.migration.as_mut().expect("a migration").held = still;
        if finished {
            // Analytics splits its work by the new placement from now on.
            self.split = None;
        }
        self.reshard_noted(ctx);
    }

    /// Whether `op` (`o`) touches a key in flight that it must wait for.
    fn blocked(&self, op: OpId, o: &Operation) -> bool {
        let Some(m) = &self.migration else {
            return false;
        };
        if m.in_flight.is_empty() {
            return false;
        }
        let blocks = |k: u64| m.blocks(k, o.start);
        match o.kind {
            OpKind::Transfer => blocks(o.key) || blocks(o.other),
            OpKind::Txn => self.space.txn_keys(o).keys().iter().any(|&k| blocks(k)),
            OpKind::MultiGet | OpKind::Scan => {
                self.h.clients.multi(op).iter().any(|r| blocks(r.key))
            }
            OpKind::Analytics => false,
            _ => blocks(o.key),
        }
    }

    /// Writes of `o` committed at an old owner after their key's copy
    /// began: copied again, a read there and a write at the new owner.
    fn recopy(&mut self, writes: &[crate::model::Write], o: &Operation, now: SimTime) {
        let Some(m) = &mut self.migration else {
            return;
        };
        for w in writes {
            if m.behind_copy(w.key, o.start, now) {
                let read = self.read.sample(&mut self.migration_rng);
                let write = self.write.sample(&mut self.migration_rng);
                self.shards[self.router.shard(w.key) as usize]
                    .station
                    .enter(now, read);
                self.shards[m.next.shard(w.key) as usize]
                    .station
                    .enter(now, write);
                m.source_work = m.source_work + read;
                m.destination_work = m.destination_work + write;
                m.recopied += 1;
            }
        }
    }

    /// The reshard's note, as it stands now.
    fn reshard_noted(&mut self, _ctx: &mut Ctx<'_>) {
        let Some(m) = &self.migration else {
            return;
        };
        let note = m.note(self.router.shards());
        let report = m.report(self.router.shards());
        let effect = self.h.effects.get(m.fault);
        effect.notes.clear();
        effect.notes.push(note);
        effect.migration = Some(report);
    }

    // ----- routing -----

    /// The directory service looks the placement up (on its core) and the
    /// answer travels back; the client caches it.
    fn directory_lookup(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let dir = self.directory.as_mut().expect("a directory");
        let service = dir.lookup.sample(&mut self.directory_rng);
        let slot = dir.station.enter(ctx.now(), service);
        let entry = self.router.directory_entry(ctx.op(op).key);
        dir.cache.put(entry, 0, 0, 0, slot.done);
        let back = self.h.message(Message::Client, ctx.op(op));
        ctx.schedule_at(slot.done + back, Event::DirectoryAnswered(op));
    }

    /// Sends the operation to the shards that own its keys (or to the
    /// specialized store that serves it, if carried).
    fn route(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let measured = self.window.contains(o.start);
        if self.stores.is_some() {
            let session = self.space.entity(o.key).0 == Entity::Session;
            if let Some(place) = Stores::place(o.kind, session) {
                let at = Event::Stores(StoreEvent::At(op, place));
                return self.request(Message::Client, op, at, ctx);
            }
        }
        match o.kind {
            OpKind::Rmw | OpKind::Reserve if self.h.server_side(o.kind) => {
                let s = self.shard_of(o.key, o.start);
                self.send(op, s, 1, ctx);
            }
            OpKind::Get | OpKind::Rmw | OpKind::Reserve | OpKind::Probe
                if self.grid.is_some() && !self.h.state(op).writing =>
            {
                self.request(Message::Client, op, Event::AtGrid(op), ctx);
            }
            OpKind::Get | OpKind::Rmw | OpKind::Reserve | OpKind::Probe
                if !self.h.state(op).writing =>
            {
                self.read_key(op, ctx);
            }
            OpKind::Get
            | OpKind::Rmw
            | OpKind::Reserve
            | OpKind::Probe
            | OpKind::Put
            | OpKind::Insert => {
                let s = self.shard_of(o.key, o.start);
                self.send(op, s, 1, ctx);
            }
            OpKind::Transfer => {
                let (a, b) = (
                    self.shard_of(o.key, o.start),
                    self.shard_of(o.other, o.start),
                );
                self.count_fanout(op, &o, measured, if a == b { 1 } else { 2 });
                if a == b {
                    self.send(op, a, 1, ctx);
                } else if self.cross_shard == CrossShard::Reject {
                    // The application refuses cross-shard transfers outright.
                    ctx.complete(op, Outcome::Failed);
                } else {
                    // Leg one; `answered` sends leg two to `b`.
                    self.send(op, a, 1, ctx);
                }
            }
            OpKind::Txn => {
                let legs = self.txn_legs(&o);
                self.count_fanout(op, &o, measured, legs.len() as u64);
                if legs.len() > 1 && self.cross_shard == CrossShard::Reject {
                    ctx.complete(op, Outcome::Failed);
                } else {
                    // Leg one, at the paying account's shard; `answered`
                    // sends the next.
                    self.send(op, legs[0].0, 1, ctx);
                }
            }
            OpKind::MultiGet | OpKind::Scan => {
                let mut shards = std::mem::take(&mut self.scatter);
                shards.clear();
                shards.extend(
                    self.h
                        .clients
                        .multi(op)
                        .iter()
                        .map(|r| self.shard_of(r.key, o.start)),
                );
                shards.sort_unstable();
                shards.dedup();
                self.count_fanout(op, &o, measured, shards.len() as u64);
                // One shard's statement is a consistent snapshot; more are not.
                self.h.state_mut(op).consistent = shards.len() == 1;
                let parts = shards.len() as u16;
                // Scattered in parallel: one round trip.
                self.h.network.round_trip(Message::Client, &o);
                for &s in &shards {
                    self.send_part(op, s, parts, ctx);
                }
                self.scatter = shards;
            }
            OpKind::Analytics => {
                let i = op.index();
                if i >= self.work.len() {
                    self.work.resize(i + 1, SimDuration::ZERO);
                }
                self.work[i] = self.analytics.sample(&mut self.service_rng);
                let n = self.shards.len() as u16;
                for s in 0..n {
                    self.send(op, s, n, ctx);
                }
            }
            OpKind::Search => {
                let n = self.shards.len() as u16;
                self.h.network.round_trip(Message::Client, &o);
                for s in 0..n {
                    self.send_part(op, s, n, ctx);
                }
            }
            OpKind::DocGet | OpKind::DocPut => unreachable!("documents bypass the shards"),
            OpKind::SessionGet | OpKind::SessionPut => {
                unreachable!("served by the stores, or rejected when the scenario is read")
            }
        }
    }

    // ----- the document store -----

    /// Sends a write of a new version to every replica (it succeeds at the
    /// `w`-th acknowledgement), or under a sloppy quorum to `w` replicas
    /// chosen at random (it succeeds when all of them acknowledge) and, by
    /// hinted handoff after its delay, to the others.
    fn doc_write(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let now = ctx.now();
        // Versions are issued in invocation order, the newest winning at
        // every replica.
        let version = self.data.commit(o.key, 0, now);
        let d = &mut self.docstore;
        let n = d.replicas.len();
        let targets = d.placement.targets(n, usize::from(d.w));
        // The first replica's request and acknowledgement are the client's
        // own legs; the other targets' are what the quorum adds, and each
        // hint handed off later one more message.
        let sent = targets.count_ones();
        self.h.network.round_trip(Message::Client, &o);
        self.h.network.sent(Message::Client, 2, &o);
        self.h.network.sent(Message::Quorum, 2 * (sent - 1), &o);
        let doc = (o.key - self.space.document(0)) as u32;
        let mut handed_off = 0;
        for i in 0..n {
            if targets & (1 << i) == 0 {
                if let Some(after) = d.placement.handoff() {
                    handed_off += 1;
                    ctx.schedule_at(
                        now + after,
                        Event::DocWrite {
                            replica: i as u8,
                            key: doc,
                            version,
                        },
                    );
                }
                continue;
            }
            let arrive = now + d.write[i].sample(&mut d.rng);
            let back = arrive + d.ack[i].sample(&mut d.rng);
            ctx.schedule_at(
                arrive,
                Event::DocWrite {
                    replica: i as u8,
                    key: doc,
                    version,
                },
            );
            ctx.schedule_at(back, Event::DocAck(op));
        }
        if handed_off > 0 {
            self.h.network.sent(Message::Quorum, handed_off, &o);
        }
        let st = self.h.state_mut(op);
        st.pending = d.w;
        st.writes = smallvec::smallvec![crate::model::Write {
            key: o.key,
            version,
            value: 0,
        }];
        st.installed = 1;
        st.planned = 1;
    }

    /// Sends a read to every replica; it answers with the newest of the
    /// first `r` replies.
    fn doc_read(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        // A request to every replica, and each one's reply (the model
        // schedules only those still awaited, but every replica answers):
        // the first replica's legs are the client's own, the others' what
        // the quorum adds.
        let (o, n) = (*ctx.op(op), self.docstore.replicas.len() as u32);
        self.h.network.round_trip(Message::Client, &o);
        self.h.network.sent(Message::Client, 2, &o);
        self.h.network.sent(Message::Quorum, 2 * (n - 1), &o);
        let d = &mut self.docstore;
        for i in 0..d.replicas.len() {
            let arrive = now + d.read[i].sample(&mut d.rng);
            ctx.schedule_at(
                arrive,
                Event::DocRead {
                    op,
                    replica: i as u8,
                },
            );
        }
        let st = self.h.state_mut(op);
        st.pending = d.r;
        st.version = 0;
        st.served_by = Some(ServedBy::Quorum);
    }

    /// Whether the attempt `op` is still in flight (not an earlier one in
    /// its slot) and waits for replies.
    fn waiting(&self, op: OpId, ctx: &Ctx<'_>) -> bool {
        ctx.in_flight(op) && self.h.state(op).pending > 0
    }

    fn doc_ack(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        if !self.waiting(op, ctx) {
            return;
        }
        let st = self.h.state_mut(op);
        st.pending -= 1;
        if st.pending == 0 {
            self.acknowledge(op, ctx);
        }
    }

    fn doc_read_arrives(&mut self, op: OpId, replica: u8, ctx: &mut Ctx<'_>) {
        if !self.waiting(op, ctx) {
            return;
        }
        let doc = (ctx.op(op).key - self.space.document(0)) as usize;
        let d = &mut self.docstore;
        let version = d.replicas[usize::from(replica)][doc];
        let back = d.response[usize::from(replica)].sample(&mut d.rng);
        ctx.schedule_in(back, Event::DocReply { op, version });
    }

    fn doc_reply(&mut self, op: OpId, version: Version, ctx: &mut Ctx<'_>) {
        if !self.waiting(op, ctx) {
            return;
        }
        let st = self.h.state_mut(op);
        st.version = st.version.max(version);
        st.value = i64::from(st.version);
        st.pending -= 1;
        if st.pending == 0 {
            self.h.read_returned(op, ctx);
        }
    }

    // ----- the cache grid -----

    /// A lookup reaches its node, which answers in arrival order.
    fn at_grid(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let key = ctx.op(op).key;
        let now = ctx.now();
        let grid = self.grid.as_mut().expect("a grid");
        let found = grid.cache.get(key, now);
        let slot = grid.serve(key, now);
        self.h.state_mut(op).cache_lookup(found);
        let back = self.h.message(Message::Client, ctx.op(op));
        ctx.schedule_at(slot.done + back, Event::GridAnswered(op));
    }

    fn grid_answered(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        if self.h.state(op).missed {
            return self.read_key(op, ctx);
        }
        if self.h.read_returned(op, ctx) == AfterRead::Write {
            let o = *ctx.op(op);
            let s = self.shard_of(o.key, o.start);
            self.send(op, s, 1, ctx);
        }
    }

    /// A fill lands at its node (its service takes a turn on the node).
    fn grid_fill(&mut self, key: u64, version: Version, value: i64, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let current = self.data.version(key);
        let grid = self.grid.as_mut().expect("a grid");
        grid.serve(key, now);
        if grid.cache.put(key, version, value, current, now) {
            self.h.oracle.out_of_order_apply("cache");
        }
    }

    /// A write is done at its shards: with the specialized stores, the
    /// application writes the dual-written ones (the grid among them, if
    /// it is); otherwise, with a grid, it deletes or updates the written
    /// entries and waits for it; then the client's ok.
    fn written(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        if self.stores.is_some() {
            return self.with_stores(ctx, |stores, b, ctx| stores.dual_writes(op, 0, b, ctx));
        }
        let invalidates = self
            .grid
            .as_ref()
            .is_some_and(|g| g.invalidate != super::Invalidate::None);
        if invalidates && self.h.state(op).installed > 0 {
            self.request(Message::Invalidation, op, Event::GridInvalidate(op), ctx);
        } else {
            self.acknowledge(op, ctx);
        }
    }

    fn grid_invalidate(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let s = self.h.clients.state(op);
        let grid = self.grid.as_mut().expect("a grid");
        for w in s.installed() {
            match grid.invalidate {
                super::Invalidate::Delete => grid.cache.delete(w.key, now),
                super::Invalidate::Update => {
                    if grid
                        .cache
                        .put(w.key, w.version, w.value, self.data.version(w.key), now)
                    {
                        self.h.oracle.out_of_order_apply("cache");
                    }
                }
                super::Invalidate::None => {}
            }
        }
        let key = s.writes.first().map_or(ctx.op(op).key, |w| w.key);
        let slot = grid.serve(key, now);
        let back = self.h.message(Message::Invalidation, ctx.op(op));
        ctx.schedule_at(slot.done + back, Event::GridInvalidated(op));
    }

    /// Counts a `multi_get` or `transfer` (`op`, `o`) touching `shards`
    /// shards.
    fn count_fanout(&mut self, op: OpId, o: &Operation, measured: bool, shards: u64) {
        if shards > 1 {
            self.h.distributed(op, o, true);
        }
        if measured {
            self.multi_key_ops += 1;
            self.shards_touched += shards;
            self.cross_shard_ops += u64::from(shards > 1);
        }
    }

    /// Sends a single-key read to its shard: the primary, or one of the
    /// shard's read replicas when reads go to replicas.
    fn read_key(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let s = self.shard_of(o.key, o.start);
        if self.reads_to_replicas && !self.replicas.is_empty() {
            let r = self.choice_rng.random_range(0..self.replicas.len()) as u8;
            self.h.state_mut(op).pending = 1;
            self.request(Message::Client, op, Event::AtReplica(op, s, r), ctx);
        } else {
            self.send(op, s, 1, ctx);
        }
    }

    /// A read reaches a shard's replica: its snapshot is what the replica
    /// has applied.
    fn at_replica(&mut self, op: OpId, s: ShardId, r: u8, ctx: &mut Ctx<'_>) {
        let key = ctx.op(op).key;
        let (version, value) = self.replicas[usize::from(r)].read(key);
        let st = self.h.state_mut(op);
        (st.version, st.value, st.served_by) = (version, value, Some(ServedBy::Replica));
        let service = self.read.sample(&mut self.service_rng);
        let slot = self.replica_stations[usize::from(s)][usize::from(r)].enter(ctx.now(), service);
        let back = self.h.message(Message::Client, ctx.op(op));
        ctx.schedule_at(slot.done + back, Event::Answered(op));
    }

    /// What follows a commit of `o` at its shard: grid entries of older
    /// versions are stale from now on, the specialized stores hear of each
    /// write, and the commit ships to the shard's replicas.
    fn committed(&mut self, writes: &[crate::model::Write], o: &Operation, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        if self.migration.is_some() {
            self.recopy(writes, o, now);
        }
        if let Some(grid) = &mut self.grid {
            for w in writes {
                grid.cache.source_committed(w.key, w.version, now);
            }
        }
        if let Some(stores) = &mut self.stores {
            for w in writes {
                stores.committed(*w, o, &mut self.h, ctx);
            }
        }
        self.ship(writes, o, ctx);
    }

    /// Ships a commit of `o` to every replica of its shard: one message
    /// each, on the replica's stream from that shard.
    fn ship(&mut self, writes: &[crate::model::Write], o: &Operation, ctx: &mut Ctx<'_>) {
        if writes.is_empty() || self.replicas.is_empty() {
            return;
        }
        let replicas = self.replicas.len() as u32;
        self.h.network.sent(Message::Replication, replicas, o);
        let now = ctx.now();
        let scope = self.router.shard(writes[0].key);
        let handle = self
            .log
            .push_scoped(writes, now, self.replicas.len() as u32, scope);
        let streams = &mut self.replica_streams[scope as usize];
        for (j, (r, stream)) in self.replicas.iter_mut().zip(streams).enumerate() {
            let at = r.ship(stream, writes, now);
            ctx.background_started();
            ctx.schedule_at(
                at,
                Event::Apply {
                    replica: j as u8,
                    commit: handle,
                },
            );
        }
    }

    /// A shipped commit reaches replica `j` of its shard: it waits in the
    /// shard's log order to be applied.
    fn replica_arrival(&mut self, j: u8, commit: u32, ctx: &mut Ctx<'_>) {
        let s = self.router.shard(self.log.writes(commit)[0].key) as usize;
        self.replica_streams[s][usize::from(j)].arrived(commit, &self.log);
        self.start_applying(s, j, ctx);
    }

    /// Replica `j` of shard `s` starts applying what it may now; each
    /// commit shows once applied, after every earlier one of the shard.
    /// Commits the shard's failover made void are dropped.
    fn start_applying(&mut self, s: usize, j: u8, ctx: &mut Ctx<'_>) {
        let (apply, rng) = (&self.apply, &mut self.apply_rngs[usize::from(j)]);
        self.replica_streams[s][usize::from(j)].start(
            ctx.now(),
            &mut self.log,
            &mut self.replica_stations[s][usize::from(j)],
            Some(&mut self.replicas[usize::from(j)]),
            |writes| {
                writes
                    .iter()
                    .fold(SimDuration::ZERO, |d, _| d + apply.sample(rng))
            },
            |commit, shown| match shown {
                Some(at) => ctx.schedule_at(at, Event::Applied { replica: j, commit }),
                None => ctx.background_done(),
            },
        );
    }

    /// Sends `op` to shard `s` and waits for its answer: a round trip.
    fn send(&mut self, op: OpId, s: ShardId, parts: u16, ctx: &mut Ctx<'_>) {
        self.h.network.round_trip(Message::Client, ctx.op(op));
        self.send_part(op, s, parts, ctx);
    }

    /// Sends one part of `op` to shard `s`; `parts` is how many answers
    /// the client will wait for (the parts of a scatter go out in
    /// parallel: their round trip is counted once, by the caller).
    fn send_part(&mut self, op: OpId, s: ShardId, parts: u16, ctx: &mut Ctx<'_>) {
        self.h.state_mut(op).pending = parts;
        if self.blocked(op, ctx.op(op)) {
            // Held at the client until the key lands (see `reshard`).
            let since = ctx.now();
            let m = self.migration.as_mut().expect("blocked by a migration");
            m.held.push(reshard::Held {
                op,
                shard: s,
                parts,
                since,
            });
            return;
        }
        self.hop(Message::Client, op, Event::AtShard(op, s), ctx);
    }

    // ----- a shard -----

    /// The legs of `txn` operation `o`: each shard its accounts live on,
    /// with the accounts there (ascending), the paying account's shard
    /// first (it checks the balance), then in the order of their lowest
    /// accounts. Each leg is one local transaction.
    fn txn_legs(&self, o: &Operation) -> Vec<(ShardId, RowKeys)> {
        let txn = self.space.txn_keys(o);
        let first = self.shard_of(txn.payer, o.start);
        let mut shards = vec![first];
        for &key in txn.keys() {
            let s = self.shard_of(key, o.start);
            if !shards.contains(&s) {
                shards.push(s);
            }
        }
        shards
            .into_iter()
            .map(|s| {
                let keys: Vec<u64> = txn
                    .keys()
                    .iter()
                    .copied()
                    .filter(|&k| self.shard_of(k, o.start) == s)
                    .collect();
                (s, RowKeys::ascending(&keys))
            })
            .collect()
    }

    /// The keys `o` writes on shard `s`: a cross-shard transfer's leg
    /// writes the one account the shard holds, a txn's leg the accounts
    /// the shard holds.
    fn row_keys(&self, o: &Operation, s: ShardId) -> RowKeys {
        match o.kind {
            OpKind::Txn => {
                let keys: Vec<u64> = self
                    .space
                    .txn_keys(o)
                    .keys()
                    .iter()
                    .copied()
                    .filter(|&k| self.shard_of(k, o.start) == s)
                    .collect();
                RowKeys::ascending(&keys)
            }
            OpKind::Transfer
                if self.shard_of(o.key, o.start) != self.shard_of(o.other, o.start) =>
            {
                RowKeys::one(if self.shard_of(o.key, o.start) == s {
                    o.key
                } else {
                    o.other
                })
            }
            _ => RowKeys::of(o, &self.space),
        }
    }

    fn at_shard(&mut self, op: OpId, s: ShardId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let writes = self.h.writes(op, o.kind);
        let keys = self.row_keys(&o, s);
        if writes && !self.shards[usize::from(s)].locks.lock(op, keys, ctx.now()) {
            // Waits for the rows' locks; `release` hands it on.
            return;
        }
        self.execute(op, s, ctx);
    }

    /// `op` runs on shard `s` now (a write holding its row locks).
    fn execute(&mut self, op: OpId, s: ShardId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let writes = self.h.writes(op, o.kind);
        if writes && self.h.server_side(o.kind) {
            let (version, value) = (self.data.version(o.key), self.data.value(o.key));
            self.h.statement_read(op, version, value);
        }
        // A read takes its statement snapshot as it lands.
        let service = match o.kind {
            _ if writes => {
                let local_transfer = o.kind == OpKind::Transfer
                    && self.shard_of(o.other, o.start) == s
                    && self.shard_of(o.key, o.start) == s;
                let rows = if o.kind == OpKind::Txn {
                    self.row_keys(&o, s).keys().len()
                } else if local_transfer {
                    2
                } else {
                    1
                };
                (0..rows).fold(SimDuration::ZERO, |d, _| {
                    d + self.write.sample(&mut self.service_rng)
                })
            }
            OpKind::Analytics => {
                // This shard's share of the query.
                // By the placement before a reshard until its migration ends.
                let router = match &self.migration {
                    Some(m) if m.finished() => &m.next,
                    _ => &self.router,
                };
                let total = self.space.total();
                let split = self.split.get_or_insert_with(|| Split::of(router, total));
                if u32::from(s) < router.shards() {
                    split.work(self.work[op.index()], u32::from(s))
                } else {
                    SimDuration::ZERO
                }
            }
            OpKind::Search => {
                // Every shard searches its slice; the key found is read
                // where it lives.
                if self.shard_of(o.key, o.start) == s {
                    let state = self.h.state_mut(op);
                    state.version = self.data.version(o.key);
                    state.value = self.data.value(o.key);
                    state.served_by = Some(ServedBy::Primary);
                }
                self.search.sample(&mut self.service_rng)
            }
            OpKind::MultiGet | OpKind::Scan => {
                let mut reads = std::mem::take(self.h.clients.multi_mut(op));
                let mut service = SimDuration::ZERO;
                for r in reads.iter_mut() {
                    if self.shard_of(r.key, o.start) != s {
                        continue;
                    }
                    r.version = self.data.version(r.key);
                    r.value = self.data.value(r.key);
                    r.served_by = ServedBy::Primary;
                    r.missed = false;
                    service = service + self.read.sample(&mut self.service_rng);
                }
                *self.h.clients.multi_mut(op) = reads;
                service
            }
            _ => {
                let state = self.h.state_mut(op);
                state.version = self.data.version(o.key);
                state.value = self.data.value(o.key);
                state.served_by = Some(ServedBy::Primary);
                self.read.sample(&mut self.service_rng)
            }
        };
        if o.kind == OpKind::Analytics {
            let station = &mut self.shards[usize::from(s)].station;
            let step = self.slicer.start(station, ctx.now(), service, (op, s));
            return self.analytics_step(step, op, ctx);
        }
        let slot = self.shards[usize::from(s)]
            .station
            .enter(ctx.now(), service);
        if writes {
            ctx.schedule_at(slot.done, Event::Served(op, s));
        } else {
            let back = self.h.message(Message::Client, &o);
            ctx.schedule_at(slot.done + back, Event::Answered(op));
        }
    }

    /// A shard's part of an analytics query has had a slice admitted: its
    /// next slice, or its answer, one hop back after the last.
    fn analytics_step(&mut self, step: Step, op: OpId, ctx: &mut Ctx<'_>) {
        match step {
            Step::Slice { at, handle } => ctx.schedule_at(at, Event::Sliced(handle)),
            Step::Done(at) => {
                let back = self.h.message(Message::Client, ctx.op(op));
                ctx.schedule_at(at + back, Event::Answered(op));
            }
        }
    }

    /// A slice of a shard's part of an analytics query ended.
    fn sliced(&mut self, handle: u32, ctx: &mut Ctx<'_>) {
        let (op, s) = self.slicer.context(handle);
        let station = &mut self.shards[usize::from(s)].station;
        let step = self.slicer.resume(handle, station, ctx.now());
        self.analytics_step(step, op, ctx);
    }

    /// A write's CPU work ends: its commit record goes to the shard's log.
    fn served(&mut self, op: OpId, s: ShardId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        if self.h.sold_out(op, o.kind) {
            // A sold-out item: nothing to log.
            self.release(op, s, &o, ctx);
            return self.hop(Message::Client, op, Event::Answered(op), ctx);
        }
        match self.shards[usize::from(s)].wal.submit(op, ctx.now()) {
            Logged::Durable => self.commit(op, ctx),
            Logged::FlushEndsAt(t) => ctx.schedule_at(t, Event::Flushed(s)),
            Logged::Queued => {}
        }
    }

    fn flushed(&mut self, s: ShardId, ctx: &mut Ctx<'_>) {
        let (mut durable, next) = self.shards[usize::from(s)].wal.flushed(ctx.now());
        if let Some(next) = next {
            ctx.schedule_at(next, Event::Flushed(s));
        }
        for op in durable.drain(..) {
            // Its commit record was forced, and its client waited for it.
            self.h.costs.forced_write(ctx.op(op), true);
            self.commit(op, ctx);
        }
        self.shards[usize::from(s)].wal.recycle(durable);
    }

    /// The shard commits its part: a whole local transaction, or one leg of
    /// a best-effort transfer.
    fn commit(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        if o.kind == OpKind::Txn {
            return self.commit_txn_leg(op, ctx);
        }
        let &OpState {
            installed,
            value,
            version,
            ..
        } = self.h.state(op);
        let now = ctx.now();
        // A best-effort transfer's first leg installs its one write.
        let first_done = installed == 1;
        let cross = o.kind == OpKind::Transfer
            && self.shard_of(o.key, o.start) != self.shard_of(o.other, o.start);
        let shard = self.shard_of(if cross && first_done { o.other } else { o.key }, o.start);
        let plan = if !cross {
            transaction::plan(&o, value, &self.data, &self.space, self.transfer_amount)
        } else if !first_done {
            // Leg one, on the debited account's shard.
            let balance = self.data.value(o.key);
            if balance >= self.transfer_amount {
                Plan::one(o.key, balance - self.transfer_amount)
            } else {
                Plan::default()
            }
        } else {
            // Leg two, on the credited account's shard.
            Plan::one(o.other, self.data.value(o.other) + self.transfer_amount)
        };
        let writes = self.h.installed(&plan, &mut self.data, &o, version, now);
        self.committed(&writes, &o, ctx);
        let state = self.h.state_mut(op);
        if cross {
            if !first_done {
                state.writes = if plan.len() == 1 {
                    writes
                } else {
                    // Refused: nothing written; the history shows what it read.
                    transaction::refused_reads(&o, &self.data, &self.space).0
                };
                state.installed = plan.len() as u8;
                state.planned = if plan.len() == 1 { 2 } else { 0 };
            } else {
                state.writes.truncate(1);
                state.writes.push(writes[0]);
                state.installed = 2;
                let (a, b) = (state.writes[0], state.writes[1]);
                self.h
                    .oracle
                    .link_partners((a.key, a.version), (b.key, b.version));
            }
        } else {
            state.committed(&o, writes, plan.len(), &self.data, &self.space);
        }
        self.release(op, shard, &o, ctx);
        self.hop(Message::Client, op, Event::Answered(op), ctx);
    }

    /// The next leg of `txn` operation `op` commits at its shard, under its
    /// row locks: the first, at the paying account's shard, debits it (or
    /// refuses the whole txn, writing nothing, when the balance is short)
    /// and credits the accounts there; each later leg credits its shard's
    /// accounts. Once the last has committed, the writes are linked as one
    /// transaction for the oracle; a txn stopped between legs stays torn.
    fn commit_txn_leg(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let &OpState {
            legs_done, version, ..
        } = self.h.state(op);
        let now = ctx.now();
        let legs = self.txn_legs(&o);
        let leg = usize::from(legs_done);
        let (shard, keys) = &legs[leg];
        let shard = *shard;
        let txn = self.space.txn_keys(&o);
        let amount = self.transfer_amount;
        let paid = amount * (txn.keys().len() as i64 - 1);
        let refused = leg == 0 && self.data.value(txn.payer) < paid;
        let mut plan = Plan {
            leg: legs.len() > 1,
            ..Plan::default()
        };
        if !refused {
            for &key in keys.keys() {
                let change = if key == txn.payer { -paid } else { amount };
                plan.writes.push((key, self.data.value(key) + change));
            }
        }
        let writes = self.h.installed(&plan, &mut self.data, &o, version, now);
        self.committed(&writes, &o, ctx);
        let state = self.h.state_mut(op);
        if refused {
            let (reads, n) = transaction::refused_reads(&o, &self.data, &self.space);
            (state.writes, state.touched) = (reads, n as u8);
            (state.installed, state.planned) = (0, 0);
        } else {
            let done = usize::from(state.installed);
            state.writes.truncate(done);
            state.writes.extend_from_slice(&writes);
            state.installed += plan.len() as u8;
            state.touched = state.installed;
            state.planned = txn.keys().len() as u8;
            if legs.len() > 1 && leg + 1 == legs.len() {
                let all: Vec<(u64, crate::check::Version)> = state.writes
                    [..usize::from(state.installed)]
                    .iter()
                    .map(|w| (w.key, w.version))
                    .collect();
                self.h.oracle.link_ring(&all);
            }
        }
        self.h.state_mut(op).legs_done += 1;
        self.release(op, shard, &o, ctx);
        self.hop(Message::Client, op, Event::Answered(op), ctx);
    }

    /// `op` releases its row locks on shard `s`; the writes granted them
    /// execute now.
    fn release(&mut self, op: OpId, s: ShardId, o: &Operation, ctx: &mut Ctx<'_>) {
        let keys = self.row_keys(o, s);
        let mut granted = std::mem::take(&mut self.granted);
        self.shards[usize::from(s)]
            .locks
            .release(op, keys, ctx.now(), &mut granted);
        for next in granted.drain(..) {
            self.execute(next, s, ctx);
        }
        self.granted = granted;
    }

    // ----- the client -----

    fn answered(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let &OpState {
            pending,
            installed,
            planned,
            legs_done,
            missed,
            version,
            value,
            ..
        } = self.h.state(op);
        let pending = pending - 1;
        self.h.state_mut(op).pending = pending;
        if pending > 0 {
            return;
        }
        match o.kind {
            OpKind::Analytics => {
                let parts = self.shards.len() as u32;
                let merge = analytics::merge(parts, &self.analytics_merge, &mut self.service_rng);
                if merge.is_zero() {
                    ctx.complete(op, Outcome::Ok);
                } else {
                    ctx.schedule_in(merge, Event::Merged(op));
                }
            }
            OpKind::Put | OpKind::Insert => self.written(op, ctx),
            OpKind::Transfer => {
                let second = self.shard_of(o.other, o.start);
                let cross = self.shard_of(o.key, o.start) != second;
                // Leg one debited, leg two still to run.
                let debited = installed == 1 && planned == 2;
                if cross && debited {
                    if self.failure_rng.random_bool(self.leg_failure) {
                        // The application died between the legs: the credit
                        // never happens, and the error is swallowed.
                        self.written(op, ctx);
                    } else {
                        self.send(op, second, 1, ctx);
                    }
                } else {
                    self.written(op, ctx);
                }
            }
            OpKind::Txn => {
                // The next leg, unless the txn was refused, is done, or the
                // application died between legs (the rest never happens,
                // and the error is swallowed).
                let legs = self.txn_legs(&o);
                let next = usize::from(legs_done);
                if planned > 0
                    && next < legs.len()
                    && !self.failure_rng.random_bool(self.leg_failure)
                {
                    self.send(op, legs[next].0, 1, ctx);
                } else {
                    self.written(op, ctx);
                }
            }
            OpKind::Rmw | OpKind::Reserve if self.h.writes(op, o.kind) => self.written(op, ctx),
            _ => {
                if missed && self.grid.is_some() && o.kind != OpKind::Search {
                    // Fill the grid with what the shard returned, without waiting.
                    let fill = Event::GridFill {
                        key: o.key as u32,
                        version,
                        value,
                    };
                    self.hop(Message::Fill, op, fill, ctx);
                }
                if self.h.read_returned(op, ctx) == AfterRead::Write {
                    let s = self.shard_of(o.key, o.start);
                    self.send(op, s, 1, ctx);
                }
            }
        }
    }

    fn acknowledge(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        self.h.write_answered(op, ctx);
    }

    /// Runs `f` on the stores, beside the shards' data and the grid.
    fn with_stores(
        &mut self,
        ctx: &mut Ctx<'_>,
        f: impl FnOnce(&mut Stores, &mut Beside<'_>, &mut Ctx<'_>),
    ) {
        let stores = self.stores.as_mut().expect("the stores are carried");
        let mut none = NoCache;
        let cache: &mut dyn FedCache = match &mut self.grid {
            Some(grid) => grid,
            None => &mut none,
        };
        let mut beside = Beside {
            h: &mut self.h,
            data: &mut self.data,
            cache,
        };
        f(stores, &mut beside, ctx);
    }
}

impl Architecture for Sharded {
    type Event = Event;

    fn harness(&self) -> &Harness {
        &self.h
    }

    fn harness_mut(&mut self) -> &mut Harness {
        &mut self.h
    }

    fn route(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let document = |key| self.space.entity(key).0 == crate::workload::Entity::Document;
        match o.kind {
            OpKind::DocPut => return self.doc_write(op, ctx),
            OpKind::DocGet => return self.doc_read(op, ctx),
            OpKind::Probe if document(o.key) => return self.doc_read(op, ctx),
            _ => {}
        }
        let key = ctx.op(op).key;
        let now = ctx.now();
        if let Some(dir) = &mut self.directory {
            let entry = self.router.directory_entry(key);
            if dir.cache.get(entry, now) == Lookup::Miss {
                return self.request(Message::Client, op, Event::AtDirectory(op), ctx);
            }
        }
        self.route(op, ctx);
    }

    fn prefetch(&self, op: &Operation) {
        self.data.prefetch(op.key);
        if let Some(grid) = &self.grid {
            grid.cache.prefetch(op.key);
        }
    }

    fn on_event(&mut self, event: Event, ctx: &mut Ctx<'_>) {
        match event {
            Event::AtDirectory(op) => self.directory_lookup(op, ctx),
            Event::DirectoryAnswered(op) => self.route(op, ctx),
            Event::AtShard(op, s) => self.at_shard(op, s, ctx),
            Event::Migrate(i) => self.migrate(i, ctx),
            Event::CopyArrives(i) => self.copy_arrives(i, ctx),
            Event::Landed(i) => self.landed(i, ctx),
            Event::AtReplica(op, s, r) => self.at_replica(op, s, r, ctx),
            Event::Apply { replica, commit } => self.replica_arrival(replica, commit, ctx),
            Event::Applied { replica, commit } => {
                let s = self.router.shard(self.log.writes(commit)[0].key) as usize;
                let j = usize::from(replica);
                self.replica_streams[s][j].shown(
                    commit,
                    ctx.now(),
                    &mut self.log,
                    Some(&mut self.replicas[j]),
                );
                ctx.background_done();
                self.start_applying(s, replica, ctx);
            }
            Event::Promote { fault, shard } => self.promote(usize::from(fault), shard, ctx),
            Event::Served(op, s) => self.served(op, s, ctx),
            Event::Flushed(s) => self.flushed(s, ctx),
            Event::Answered(op) => self.answered(op, ctx),
            Event::Merged(op) => ctx.complete(op, Outcome::Ok),
            Event::Sliced(handle) => self.sliced(handle, ctx),
            Event::DocWrite {
                replica,
                key,
                version,
            } => {
                let v = &mut self.docstore.replicas[usize::from(replica)][key as usize];
                *v = (*v).max(version);
            }
            Event::DocAck(op) => self.doc_ack(op, ctx),
            Event::AtGrid(op) => self.at_grid(op, ctx),
            Event::GridAnswered(op) => self.grid_answered(op, ctx),
            Event::GridFill {
                key,
                version,
                value,
            } => self.grid_fill(u64::from(key), version, value, ctx),
            Event::GridInvalidate(op) => self.grid_invalidate(op, ctx),
            Event::GridInvalidated(op) => self.acknowledge(op, ctx),
            Event::DocRead { op, replica } => self.doc_read_arrives(op, replica, ctx),
            Event::DocReply { op, version } => self.doc_reply(op, version, ctx),
            Event::Stores(event) => {
                self.with_stores(ctx, |stores, b, ctx| stores.on_event(event, b, ctx))
            }
        }
    }

    /// Each shard's server (its outage is the failover's, below), each
    /// replica's shipping path and servers, the cache grid and its nodes.
    fn parts(&mut self, role: &Role, deliver: &mut dyn FnMut(Part<'_>)) {
        match role {
            Role::Primary => {
                for shard in &mut self.shards {
                    deliver(Part::Station(&mut shard.station, WhenDown::Elsewhere));
                }
            }
            Role::Shard(i) => {
                let shard = &mut self.shards[*i as usize];
                deliver(Part::Station(&mut shard.station, WhenDown::Elsewhere));
            }
            Role::Replica => {
                for r in &mut self.replicas {
                    deliver(Part::Path(&mut r.path));
                }
                for station in self.replica_stations.iter_mut().flatten() {
                    deliver(Part::Station(station, WhenDown::LosesRequests));
                }
            }
            Role::Cache => {
                if let Some(grid) = &mut self.grid {
                    deliver(Part::Cache(&mut grid.cache));
                    for node in &mut grid.nodes {
                        deliver(Part::Station(node, WhenDown::Elsewhere));
                    }
                }
            }
            // Lookups are client requests: a crash holds them until the
            // restart, a partition loses them and the client times out.
            // Entries the clients cached keep routing.
            Role::Directory => {
                if let Some(dir) = &mut self.directory {
                    deliver(Part::Station(&mut dir.station, WhenDown::LosesRequests));
                }
            }
            _ => {
                if let Some(stores) = &mut self.stores {
                    stores.parts(role, deliver);
                }
            }
        }
    }

    /// A shard's primary that crashes or is cut off fails over.
    fn on_fault(&mut self, index: usize, fault: &Fault, begins: bool, ctx: &mut Ctx<'_>) {
        if fault.kind == crate::faults::FaultKind::Reshard && begins {
            return self.start_reshard(index, fault, ctx);
        }
        if !(fault.stops() && begins) {
            return;
        }
        match fault.target {
            Role::Shard(i) => self.shard_down(index, fault, i as ShardId, ctx),
            Role::Primary => {
                for s in 0..self.shards.len() as ShardId {
                    self.shard_down(index, fault, s, ctx);
                }
            }
            _ => {}
        }
    }
}

impl Report for Sharded {
    fn footprint(&self) -> Footprint {
        let width = (self.shards.len() - 1).to_string().len();
        let mut f = Footprint::default();
        // Every shard's primary and its replicas.
        let shards = self.shards.len() as u32;
        let db_cores = self.shards[0].station.servers();
        f.platform("database", shards, db_cores);
        if let Some(r) = self.replica_stations.first().and_then(|s| s.first()) {
            f.platform("database", shards * self.replicas.len() as u32, r.servers());
        }
        let mut systems: Vec<String> = (0..self.shards.len())
            .map(|i| format!("shard_{i:0width$}"))
            .collect();
        if let Some(dir) = &self.directory {
            systems.push("directory".to_string());
            f.platform("directory", 1, dir.station.servers());
        }
        let mut sync: Vec<SyncPath> = Vec::new();
        if let Some(grid) = &self.grid {
            f.platform("cache", grid.nodes.len() as u32, grid.nodes[0].servers());
            for i in 0..grid.nodes.len() {
                systems.push(format!("cache_{i}"));
            }
            if self.stores.is_none() {
                sync.push(SyncPath::new(
                    "shard_*",
                    "cache_*",
                    "cache-aside: fill on miss, delete or update on write",
                ));
            }
        }
        for j in 1..=self.replicas.len() {
            for i in 0..self.shards.len() {
                systems.push(format!("shard_{i:0width$}_replica_{j}"));
            }
            sync.push(SyncPath::new(
                "shard_*",
                &format!("shard_*_replica_{j}"),
                "asynchronous log shipping",
            ));
        }
        if self.documents_used {
            let n = self.docstore.replicas.len();
            // Priced as database nodes (the model gives them no cores).
            f.platform("document_store", n as u32, db_cores);
            systems.extend((1..=n).map(|i| format!("docstore_{i}")));
            let quorum = self.docstore.placement.describe(n, self.docstore.w);
            sync.push(SyncPath::new("client", "docstore_*", quorum));
        }
        f.systems = systems;
        f.sync = sync;
        if let Some(stores) = &self.stores {
            stores.footprint(&mut f, "shard_*", "cache_*");
        }
        f
    }

    fn components(&self) -> BTreeMap<String, ComponentStats> {
        let mut out = BTreeMap::new();
        let width = (self.shards.len() - 1).to_string().len();
        for (i, shard) in self.shards.iter().enumerate() {
            let mut c = shard.station.stats();
            shard.wal.annotate(&mut c);
            shard.locks.annotate(&mut c);
            out.insert(format!("shard_{i:0width$}"), c);
        }
        if let Some(dir) = &self.directory {
            let mut c = dir.station.stats();
            c.hit_ratio = Some(dir.cache.hit_ratio());
            out.insert("directory".to_string(), c);
        }
        for (j, r) in self.replicas.iter().enumerate() {
            for (i, shard) in self.replica_stations.iter().enumerate() {
                out.insert(
                    format!("shard_{i:0width$}_replica_{}", j + 1),
                    shard[j].stats(),
                );
            }
            let mut c = ComponentStats::default();
            c.set_lag(r.visibility_lag());
            out.insert(format!("replica_{}", j + 1), c);
        }
        if let Some(grid) = &self.grid {
            for (i, node) in grid.nodes.iter().enumerate() {
                let mut c = node.stats();
                if i == 0 {
                    // The grid's hit ratio (and its feed's lag), reported once.
                    c.hit_ratio = Some(grid.cache.hit_ratio());
                    if let Some(stores) = &self.stores {
                        stores.annotate_cache(&mut c);
                    }
                }
                out.insert(format!("cache_{i}"), c);
            }
        }
        if self.multi_key_ops > 0 {
            let n = self.multi_key_ops as f64;
            out.insert(
                "router".to_string(),
                ComponentStats {
                    fanout_mean: Some(self.shards_touched as f64 / n),
                    cross_shard_share: Some(self.cross_shard_ops as f64 / n),
                    ..ComponentStats::default()
                },
            );
        }
        if let Some(stores) = &self.stores {
            stores.components(&mut out);
        }
        out
    }

    fn record(&self) -> &VersionedStore {
        &self.data
    }

    fn divergence(&self) -> BTreeMap<String, DivergenceReport> {
        let mut divergence = BTreeMap::new();
        // Sessions live in the session store only: no derived store holds them.
        let current = |key: u64| match self.space.entity(key).0 {
            Entity::Session => 0,
            _ => self.data.version(key),
        };
        if let Some(grid) = &self.grid {
            divergence.insert("cache".to_string(), grid.cache.divergence(current));
        }
        if let Some(stores) = &self.stores {
            stores.divergence(current, &mut divergence);
        }
        divergence
    }

    fn trends(&self) -> Vec<(String, TrendKind, Trend)> {
        let mut out: Vec<_> = self
            .grid
            .iter()
            .map(|g| {
                (
                    "cache".to_string(),
                    TrendKind::HitRatio,
                    g.cache.trend().clone(),
                )
            })
            .collect();
        for (j, r) in self.replicas.iter().enumerate() {
            out.push((
                format!("replica_{}", j + 1),
                TrendKind::Lag,
                r.lag_trend().clone(),
            ));
        }
        if let Some(stores) = &self.stores {
            stores.lag_trends(&mut out);
        }
        out
    }

    fn lag(&self) -> BTreeMap<String, LagSummary> {
        let mut lag: BTreeMap<String, LagSummary> = self
            .replicas
            .iter()
            .enumerate()
            .map(|(j, r)| {
                (
                    format!("replica_{}", j + 1),
                    LagSummary::of(r.visibility_lag()),
                )
            })
            .collect();
        if let Some(stores) = &self.stores {
            stores.lag(&mut lag);
        }
        lag
    }
}

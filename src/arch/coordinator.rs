//! Stage 4, Managed Consistency: the shards of stage 3 under a transaction
//! coordinator, with reads and writes split (CQRS).
//!
//! The write path. Every request to the write model (the shards) passes
//! the coordinator, a station of its own that handles each request, vote
//! and acknowledgement on one of its cores:
//! - an operation whose keys live on one shard runs there as one local
//!   transaction: the shard takes exclusive locks on its keys (waiting in
//!   line behind holders), executes on a core, forces its commit record,
//!   installs, releases and answers; `rmw` and `reserve` read and write
//!   under the same lock, so no update is lost and no item oversold;
//! - a `transfer` between accounts on two shards runs two-phase commit with
//!   presumed abort (`model::twopc`): PREPARE to both shards, each locks
//!   its account, executes (the debited shard checks the balance and votes
//!   no when it is short), forces a prepare record and votes; the
//!   coordinator forces its decision record, which is the commit point: the
//!   writes are installed and the client answered; then COMMIT to each
//!   participant, which forces its commit record, releases its locks (it was
//!   in doubt until now) and acknowledges. A `no` vote aborts with nothing
//!   forced. With the client next to the coordinator (`client_hop = "0s"`)
//!   and constant hop d and fsync f, a transfer is answered after 2d + 2f,
//!   for 4n messages and 2n + 1 forced writes with n = 2 participants.
//!
//! A lock wait longer than `lock_timeout` gives up: the transaction aborts
//! and the coordinator retries it after `backoff`, up to `retries` times,
//! then answers with an error. Crossed waits of two transfers on two shards
//! are a deadlock no shard sees alone; they are counted (the simulator sees
//! every wait) and resolved by the timeout.
//!
//! The read path. Commits are published on an event log (Kafka-like, a
//! delay of `log_delay` per event) that feeds the read model; reads of
//! kinds not marked `strong` (`get`, `multi_get`, `analytics`) are served
//! there and may be stale (an `analytics` query runs whole, `db.analytics`,
//! on the read model's cores — a slice at a time under "time-slice"
//! scheduling, one core to the end under "fcfs": it holds every key, so
//! there is nothing to split or merge). Strong kinds go to the write model:
//! `transfer` always, `reserve` and `rmw` when they run server-side
//! (`[workload] rmw = "server"`, the default; under "client" they read the
//! read model and write blind), and `get` when listed (a locking read at
//! its shard).
//!
//! The boundary cache (`[architecture.cache]` capacity > 0) holds plain
//! keys: a `get` looks there first and, on a miss, reads the read model and
//! fills the cache. A `put` of a critical key (share `critical`) is written
//! through: the cache forwards it to the coordinator and keeps the new
//! value once it has committed. A `put` of any other key is written behind:
//! the cache keeps it, answers ok at once, and flushes what it holds to the
//! shards every `flush` — one transaction per key carrying its versions in
//! order, one at a time per key; until then the write model and the read
//! model behind it are stale (a strong `get`, which reads the write model,
//! included), and a crash of the cache would lose it.
//!
//! Split brain with the write-behind cache. A `partition` of "cache" with
//! `clients = x` cuts the cache off from the write model (the system of
//! record) but not from the first x of the sessions: they go on using it as
//! before — write-behind puts acknowledged at once, reads from what it holds,
//! misses read from the read model and fill it — while it can neither flush
//! nor learn what the write model commits. Write-through puts (critical
//! keys) fail: the cache cannot forward them. For the other clients the
//! cache is down, and they do what the application does when it is: go past
//! it, puts to the coordinator, reads to the read model. Both sides accept
//! writes for the same keys until the partition heals (`model::failover::
//! Lineages`: the cache is the old side); then the cache writes back what it
//! holds at once, and `[architecture.cache] fencing` decides what lands:
//! "none" — every flushed key lands, and where the write model committed
//! writes after the cache's last write to the key, those are overwritten
//! (lost writes at "cache"); "lease" — the same, but the cache stopped
//! accepting write-behind puts (they fail) `lease` after the partition
//! began, so fewer keys are at stake; "token" — the write model compares
//! each flushed key's base version with its own (compare-and-set) and
//! refuses the flush of every key it changed meanwhile: the cache's writes
//! there are lost, counted, and the key is left for manual resolution.
//! The write-back at the heal is installed as one batch (its shard work is
//! not modelled).
//!
//! With `[architecture.stores]` the coordinator carries stage 2's
//! specialized stores beside its read model (`arch::stores`, the part
//! polyglot carries): `search` and sessions go to the index and the session
//! store, `analytics` to the warehouse instead of the read model, every
//! commit reaches the derived stores by their sync paths, and a write the
//! client waited for is dual-written after its answer from the write model
//! where a store is dual-written. The boundary cache is not fed by them.

pub mod config;

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};

use super::Report;
use super::stores::{Beside, NoCache, StoreEvent, Stores};
use super::{Fencing, Footprint, Placement, SyncPath};
use crate::check::{DivergenceReport, LagSummary, ServedBy, Version};
use crate::dist::Dist;
use crate::faults::{Effects, Fault, FaultKind, Role};
use crate::harness::{AfterRead, Architecture, Context, Harness, Part, WhenDown};
use crate::metrics::{ComponentStats, CoordinationCost, Cost, Outcome, Window};
use crate::metrics::{Trend, TrendKind};
use crate::model::failover;
use crate::model::locks::{Conflict, TxnId};
use crate::model::network::Message as Kind;
use crate::model::participant::{self, Participant};
use crate::model::router::{Router, mix64};
use crate::model::streams::Stream;
use crate::model::transaction::{self, Plan};
use crate::model::twopc::Vote;
use crate::model::txn::{self, Driver, Transactions};
use crate::model::{
    Applied, Cache, CommitLog, DerivedStore, EventBus, Logged, Lookup, Station, Step, TimeSlicer,
    VersionedStore, Write, next_refresh,
};
use crate::sim::{OpId, SimDuration, SimRng, SimTime, Streams};
use crate::workload::{Entity, KeySpace, OpKind, Operation, RmwAt};

type ShardId = u16;

/// A message the coordinator handles on one of its cores.
#[derive(Clone, Copy, Debug)]
pub enum Message {
    /// A client's (or the cache's) request.
    Request(TxnId),
    /// A participant's vote.
    Vote(TxnId, u8, Vote),
    /// A shard's answer to a local transaction: committed (or read), or
    /// aborted by a lock timeout.
    Done(TxnId, bool),
    /// A participant's acknowledgement of COMMIT.
    Ack(TxnId, u8),
}

/// A record waiting in a shard's log for its forced write.
#[derive(Clone, Copy, Debug)]
pub enum Record {
    /// A local transaction's commit record.
    Local(TxnId),
    /// A participant's prepare record.
    Prepare(TxnId, u8),
    /// A participant's commit record.
    Commit(TxnId, u8),
}

#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// A request reaches the boundary cache.
    AtCache(OpId),
    /// The cache's answer (a hit, a miss, a write-behind ok) reaches the client.
    CacheAnswered(OpId),
    /// A reader's fill after a miss reaches the cache.
    CacheFill {
        key: u32,
        version: Version,
        value: i64,
    },
    /// Write-through: the coordinator's answer reaches the cache, which
    /// keeps the new value and answers the client.
    CacheWritten(OpId),
    /// A read reaches the read model.
    AtReadModel(OpId),
    /// The read model's answer reaches the client.
    ReadModelAnswered(OpId),
    /// A slice of an analytics query on the read model ends (a handle in
    /// the slicer): the query goes back into the read model's queue.
    ReadModelSliced(u32),
    /// An event of the log reaches the read model.
    Delivered {
        key: u32,
        version: Version,
        value: i64,
        committed: SimTime,
    },
    /// A message reaches the coordinator.
    AtCoordinator(Message),
    /// The coordinator has handled a message.
    Handled(Message),
    /// A request or PREPARE reaches participant `p`'s shard.
    AtShard(TxnId, u8),
    /// A shard's core finishes participant `p`'s work.
    Served(TxnId, u8),
    /// A shard's log flush completes.
    ShardFlushed(ShardId),
    /// The coordinator's log flush completes.
    CoordinatorFlushed,
    /// COMMIT or ABORT reaches participant `p`.
    Decided(TxnId, u8),
    /// A participant's lock wait reaches `lock_timeout`.
    LockTimeout(TxnId, u8),
    /// The answer reaches the client: ok.
    Answered(OpId),
    /// The answer reaches the client: an error.
    Failed(OpId),
    /// The write-behind cache flushes what it holds.
    Flush,
    /// An event of the specialized stores.
    Stores(StoreEvent),
}

impl From<StoreEvent> for Event {
    fn from(e: StoreEvent) -> Event {
        Event::Stores(e)
    }
}

type Ctx<'a> = Context<'a, Event>;

/// One shard of the write model.
struct Shard {
    station: Station,
    log: CommitLog<Record>,
}

/// Where a transaction comes from, besides a client.
#[derive(Clone, Debug)]
pub struct Origin {
    /// The answer goes to the cache (write-through), not the client.
    via_cache: bool,
    /// A write-behind flush of one key installs these writes, each with its
    /// put's invocation.
    flushed: Option<std::rc::Rc<[(Write, SimTime)]>>,
}

/// One attempt of a transaction at the write model.
type Txn = txn::Txn<Origin>;

/// The boundary cache in front of the write model.
struct Boundary {
    cache: Cache,
    station: Station,
    service: Dist,
    in_process: bool,
    critical: f64,
    flush: SimDuration,
    /// Writes acknowledged and not yet flushed, in acknowledgement order,
    /// with their operation's invocation.
    dirty: Vec<(Write, SimTime)>,
    /// Keys with a flush under way: their newer writes wait for the next
    /// flush, so a key's versions commit in order.
    flushing: FxHashSet<u64>,
    /// The newest write-behind write of each key not yet committed at its
    /// shard. Reads find it here: a write-behind cache never evicts what it
    /// has not written back.
    pending: FxHashMap<u64, Write>,
    /// From a write-behind put's invocation to its commit at the write
    /// model, for puts invoked in the window.
    behind: crate::metrics::LatencyRecorder,
    /// The same by invocation instant over the whole run, in ns.
    behind_trend: crate::metrics::Trend,
    flush_armed: bool,
    /// The newest version issued per plain key by write-behind.
    issued: Vec<Version>,
}

/// A partition that cut the write-behind cache off from the write model
/// but left the first `side` sessions reaching it (see the module's
/// documentation).
struct CacheSplit {
    fault: usize,
    side: u32,
    begins: SimTime,
    /// When the cache stops accepting write-behind puts (fencing "lease").
    lease_ends: Option<SimTime>,
    /// The keys the cache (the old side) and the write model (the winner)
    /// wrote since the partition began; the cache's unflushed writes from
    /// before it count on its side.
    lineages: failover::Lineages,
    /// Puts of the cache's clients that failed: write-through ones it
    /// could not forward, write-behind ones after its lease ran out.
    refused: u64,
}

/// The CQRS read model and the event log that feeds it.
struct ReadModel {
    store: DerivedStore,
    station: Station,
    log: EventBus,
}

/// The coordinator architecture.
pub struct Coordinator {
    space: KeySpace,
    router: Router,
    shards: Vec<Shard>,
    station: Station,
    log: CommitLog<TxnId>,
    service: Dist,
    txns: Transactions<Origin>,
    read_model: ReadModel,
    boundary: Option<Boundary>,
    /// What stops a cut-off write-behind cache (`cache.fencing`).
    fencing: Fencing,
    /// Under `fencing = "lease"`: how long the cut-off cache accepts
    /// write-behind puts.
    lease: SimDuration,
    /// The sessions of the workload.
    sessions: u32,
    /// A partition of the cache that left some clients on its side.
    split: Option<CacheSplit>,
    /// The specialized stores beside the read model, if carried: a
    /// polyglot system under a coordinator.
    stores: Option<Stores>,
    data: VersionedStore,
    strong: [bool; OpKind::COUNT],
    lock_timeout: SimDuration,
    backoff: Dist,
    read: Dist,
    write: Dist,
    analytics: Dist,
    /// Analytics queries on the read model between their slices.
    slicer: TimeSlicer<OpId>,
    /// The shards' service times.
    service_rng: SimRng,
    cache_rng: SimRng,
    read_model_rng: SimRng,
    coordinator_rng: SimRng,
    backoff_rng: SimRng,
    transfer_amount: i64,
    h: Harness,
    /// Windows in which the coordinator is down (crash or partition), by
    /// fault: a participant prepared in one is in doubt because of it.
    coordinator_down: Vec<(usize, SimTime, SimTime)>,
}

/// A participant was prepared (in doubt) over `(since, until)`: each
/// coordinator outage in `down` that overlapped it records the wait, and the
/// first counts its transaction unless `counted` says it already was.
fn in_doubt(
    effects: &mut Effects,
    down: &[(usize, SimTime, SimTime)],
    (since, until): (SimTime, SimTime),
    counted: &mut bool,
) {
    for &(fault, from, to) in down {
        if since < to && until > from {
            let e = effects.get(fault);
            e.in_doubt += u64::from(!std::mem::replace(counted, true));
            e.in_doubt_max = e.in_doubt_max.max(until - since);
        }
    }
}

impl Coordinator {
    pub fn new(
        config: &config::Config,
        setting: &super::Setting<'_>,
        streams: &Streams,
        window: Window,
    ) -> Coordinator {
        let w = setting.workload;
        let space = KeySpace::new(w);
        let db = &config.db;
        let s = &config.shards;
        let c = &config.coordinator;
        let shards = (0..s.count)
            .map(|i| Shard {
                station: db.node(db.cores, window),
                log: db.commit_log(Stream::ShardFsync(i).of(streams), window),
            })
            .collect();
        let cache = &config.cache;
        let boundary = (cache.capacity > 0).then(|| Boundary {
            cache: cache.cache(cache.capacity, w, &space, streams, window),
            station: Station::new(cache.cores, window),
            service: cache.service(),
            in_process: cache.placement == Placement::InProcess,
            critical: c.critical,
            flush: c.flush,
            dirty: Vec::new(),
            flushing: FxHashSet::default(),
            pending: FxHashMap::default(),
            behind: crate::metrics::LatencyRecorder::new(),
            behind_trend: crate::metrics::Trend::new(window.end),
            flush_armed: false,
            issued: vec![0; space.plain as usize],
        });
        let mut strong = [false; OpKind::COUNT];
        for kind in &c.strong {
            strong[kind.index()] = true;
        }
        strong[OpKind::Probe.index()] = strong[OpKind::Get.index()];
        // Transfers, and read-modify-writes run server-side, are
        // transactions at the shards; a client-side read-modify-write reads
        // the read model and writes blind.
        strong[OpKind::Transfer.index()] = true;
        strong[OpKind::Txn.index()] = true;
        for kind in [OpKind::Rmw, OpKind::Reserve] {
            strong[kind.index()] = setting.workload.rmw == RmwAt::Server;
        }
        let stores = config
            .stores
            .as_ref()
            .map(|st| Stores::new(st, db, &space, false, streams, window));
        Coordinator {
            stores,
            space,
            router: Router::new(s.router, s.partition_by, s.count, space),
            shards,
            station: Station::new(c.cores, window),
            log: db.commit_log(Stream::Fsync("coordinator").of(streams), window),
            service: c.service.clone(),
            txns: Transactions::new(Conflict::Wait, c.retries),
            read_model: ReadModel {
                store: DerivedStore::new(&space, window),
                station: Station::new(c.read_cores, window),
                log: EventBus::new(
                    c.log_delay.clone(),
                    0.0,
                    1,
                    space.total(),
                    Stream::EventLog.of(streams),
                ),
            },
            boundary,
            fencing: cache.fencing,
            lease: cache.lease.unwrap_or(super::tables::CACHE_LEASE),
            sessions: w.sessions,
            split: None,
            data: VersionedStore::new(&space),
            strong,
            lock_timeout: c.lock_timeout,
            backoff: c.backoff.clone(),
            read: db.read.clone(),
            write: db.write.clone(),
            analytics: db.analytics.clone(),
            slicer: TimeSlicer::new(db.analytics_slice()),
            service_rng: Stream::Service("db").of(streams),
            cache_rng: Stream::Service("cache").of(streams),
            read_model_rng: Stream::Service("read_model").of(streams),
            coordinator_rng: Stream::Service("coordinator").of(streams),
            backoff_rng: Stream::Backoff.of(streams),
            transfer_amount: w.transfer_amount,
            h: {
                let mut h = Harness::new(w, setting.network, setting.faults.len(), streams, window);
                h.costs.transactional();
                h
            },
            coordinator_down: setting
                .faults
                .iter()
                .enumerate()
                .filter(|(_, f)| f.target == Role::Coordinator && f.stops())
                .map(|(i, f)| (i, f.begins(), f.until()))
                .collect(),
        }
    }

    /// A participant of transaction `t` prepared at `prepared` is released
    /// now: if the coordinator was down meanwhile, it was in doubt because
    /// of it (a transaction counts once, at its first such participant).
    fn note_in_doubt(&mut self, t: TxnId, prepared: SimTime, now: SimTime) {
        let txn = self.txns.txn_mut(t);
        in_doubt(
            &mut self.h.effects,
            &self.coordinator_down,
            (prepared, now),
            &mut txn.in_doubt_noted,
        );
    }

    /// The boundary cache crashes: the writes it acknowledged and had not
    /// yet flushed are gone (lost writes), and it restarts empty.
    fn cache_crashed(&mut self, fault: usize, now: SimTime) {
        let Some(b) = self.boundary.as_mut() else {
            return;
        };
        let mut lost_keys: BTreeMap<u64, (Version, Version)> = BTreeMap::new();
        for (w, _) in b.dirty.drain(..) {
            let span = lost_keys.entry(w.key).or_insert((w.version, w.version));
            span.0 = span.0.min(w.version);
            span.1 = span.1.max(w.version);
        }
        let mut lost = 0;
        for (&key, &(lowest, highest)) in &lost_keys {
            if b.pending.get(&key).is_some_and(|w| w.version >= lowest) {
                b.pending.remove(&key);
            }
            lost += self
                .h
                .oracle
                .rolled_back(key, highest, lowest - 1, "cache", now);
        }
        let e = self.h.effects.get(fault);
        e.lost_writes += lost;
        if b.critical < 1.0 {
            e.notes.push(format!(
                "the write-behind cache lost {lost} acknowledged writes it had not flushed, on \
                 {} keys",
                lost_keys.len()
            ));
        }
    }

    /// A partition cuts the write-behind cache off from the write model,
    /// the first `fault.clients` of the sessions still reaching it: what it
    /// holds unflushed is on its side of the split from now.
    fn cache_split_begins(&mut self, fault_index: usize, fault: &Fault, now: SimTime) {
        let b = self.boundary.as_ref().expect("a cache");
        let mut lineages = failover::Lineages::default();
        for (w, _) in &b.dirty {
            lineages.wrote(false, &[*w]);
        }
        self.split = Some(CacheSplit {
            fault: fault_index,
            side: fault.old_side(self.sessions),
            begins: now,
            lease_ends: (self.fencing == Fencing::Lease).then(|| now + self.lease),
            lineages,
            refused: 0,
        });
    }

    /// The partition heals: the cache writes back at once everything it
    /// holds, and `fencing` decides what lands (see the module's
    /// documentation). Both sides accepted writes from the partition's
    /// start to its heal — to the lease's end under "lease": the split
    /// brain the oracle counts.
    fn cache_split_heals(&mut self, ctx: &mut Ctx<'_>) {
        let Some(split) = self.split.take() else {
            return;
        };
        let now = ctx.now();
        let window = ctx.window();
        let b = self.boundary.as_mut().expect("a cache");
        let mut batches: BTreeMap<u64, Vec<(Write, SimTime)>> = BTreeMap::new();
        for (w, invoked) in b.dirty.drain(..) {
            batches.entry(w.key).or_default().push((w, invoked));
        }
        let mut r = split.lineages.keys();
        let (mut overwritten, mut refused_writes, mut refused_keys) = (0, 0, 0);
        for (key, batch) in batches {
            let last = batch.last().expect("a batch has writes").0;
            let b = self.boundary.as_mut().expect("a cache");
            if b.pending.get(&key) == Some(&last) {
                b.pending.remove(&key);
            }
            if self.fencing == Fencing::Token && split.lineages.winner_wrote(key) {
                // Compare-and-set: the key moved on since the version the
                // cache last saw; its writes are refused and kept for a
                // person to resolve.
                for &(w, _) in &batch {
                    refused_writes +=
                        self.h
                            .oracle
                            .rolled_back(key, w.version, w.version - 1, "cache", now);
                }
                refused_keys += 1;
                b.cache.delete(key, now);
                continue;
            }
            let current = self.data.version(key);
            let landing: Vec<(Write, SimTime)> = if last.version <= current {
                // The write model committed writes after the cache's last
                // one: the flush overwrites them.
                overwritten += self
                    .h
                    .oracle
                    .rolled_back(key, current, last.version, "cache", now);
                vec![(last, batch.last().expect("a batch has writes").1)]
            } else {
                // Older ones the write model passed are superseded by the
                // cache's last.
                batch
                    .into_iter()
                    .filter(|(w, _)| w.version > current)
                    .collect()
            };
            for (w, invoked) in landing {
                let put = Operation {
                    kind: OpKind::Put,
                    key,
                    other: 0,
                    session: 0,
                    start: invoked,
                };
                if w.version > self.data.version(key) {
                    self.data.skip_to(key, w.version - 1);
                }
                let plan = Plan::one(key, w.value);
                let writes = self.h.installed(&plan, &mut self.data, &put, 0, now);
                let b = self.boundary.as_mut().expect("a cache");
                if window.contains(invoked) {
                    b.behind.record(now - invoked, Outcome::Ok);
                }
                b.behind_trend
                    .record(invoked, (now - invoked).as_nanos() as f64);
                let (v, value) = (writes[0].version, writes[0].value);
                if v != w.version {
                    // Landed over newer writes: a version after them.
                    b.cache.put(key, v, value, v, now);
                }
                self.publish(&writes[..1], &put, ctx);
            }
        }
        r.lost = overwritten + refused_writes;
        let ends = split.lease_ends.map_or(now, |t| t.min(now));
        let overlap = ends.since(split.begins);
        if overlap > SimDuration::ZERO {
            self.h
                .oracle
                .split_brain("cache", overlap, r.lost, r.diverged, r.replayable);
        }
        let share = Fault::side_percent(split.side, self.sessions);
        let n = |v: u64| crate::metrics::thousands(v as f64);
        let fenced = match self.fencing {
            Fencing::Token => format!(
                "the write model refused the flush of {} keys it had changed meanwhile (a \
                 stale base version): {} acknowledged writes of the cache are lost and the keys \
                 need manual resolution",
                n(refused_keys),
                n(refused_writes)
            ),
            _ => format!(
                "its flush overwrote {} acknowledged writes the write model had committed \
                 after the cache's last write to their key",
                n(overwritten)
            ),
        };
        let lease = match split.lease_ends {
            Some(_) => format!(
                ", refusing write-behind puts after its {} lease ran out",
                self.lease
            ),
            None => String::new(),
        };
        let note = format!(
            "the write-behind cache served {share}% of clients for {overlap} cut off from the \
             write model{lease} (fencing \"{}\"; {} of its clients' puts failed) while the \
             others wrote the write model directly: {}; {} keys diverged (both sides wrote \
             them), {} keys only the cache wrote (replayable)",
            self.fencing.name(),
            n(split.refused),
            fenced,
            n(r.diverged),
            n(r.replayable)
        );
        let effect = self.h.effects.get(split.fault);
        effect.lost_writes += r.lost;
        effect.notes.push(note);
    }

    fn is_strong(&self, kind: OpKind) -> bool {
        self.strong[kind.index()]
    }

    /// Whether writes of plain `key` go through the cache to the write
    /// model before the ok.
    fn critical(&self, key: u64) -> bool {
        let b = self.boundary.as_ref().expect("a cache");
        let share = (mix64(key ^ 0x5eed_c0de) >> 11) as f64 / (1u64 << 53) as f64;
        share < b.critical
    }

    /// A message between the client and the cache for `o` (none in
    /// process): its delay.
    fn cache_leg(&mut self, o: &Operation) -> SimDuration {
        if self.in_process() {
            SimDuration::ZERO
        } else {
            self.h.message(Kind::Client, o)
        }
    }

    fn in_process(&self) -> bool {
        self.boundary.as_ref().is_some_and(|b| b.in_process)
    }

    /// A message of kind `kind` between two servers for transaction `t`:
    /// its delay, counted by the network and in the transaction's cost.
    fn server_leg(&mut self, kind: Kind, t: TxnId) -> SimDuration {
        let txn = self.txns.txn_mut(t);
        txn.cost.messages += u32::from(!self.h.network.local());
        self.h.message(kind, &txn.operation)
    }

    // ----- the client -----

    fn send_to_cache(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let leg = if self.in_process() {
            SimDuration::ZERO
        } else {
            self.h.request(Kind::Client, ctx.op(op))
        };
        ctx.schedule_in(leg, Event::AtCache(op));
    }

    fn send_to_read_model(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let leg = self.h.request(Kind::Client, ctx.op(op));
        ctx.schedule_in(leg, Event::AtReadModel(op));
    }

    /// Sends `op` to the coordinator as a new transaction (from the cache
    /// when `via_cache`).
    fn request(&mut self, op: OpId, via_cache: bool, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let origin = Origin {
            via_cache,
            flushed: None,
        };
        let t = self.open(Some(op), o, 0, origin);
        let leg = if via_cache {
            self.h.network.round_trip(Kind::Server, &o);
            self.server_leg(Kind::Server, t)
        } else {
            self.h.request(Kind::Client, &o)
        };
        ctx.schedule_in(leg, Event::AtCoordinator(Message::Request(t)));
    }

    /// The write model's answer reaches the client (after a write, the
    /// application's dual writes of the specialized stores, if any, come
    /// first).
    fn answered(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        match ctx.op(op).kind {
            OpKind::Get | OpKind::Probe => {
                self.h.read_returned(op, ctx);
            }
            _ if self.stores.is_some() => {
                self.with_stores(ctx, |stores, b, ctx| stores.dual_writes(op, 0, b, ctx))
            }
            _ => self.h.write_answered(op, ctx),
        }
    }

    /// Runs `f` on the stores, beside the write model's data (the boundary
    /// cache is not fed by them).
    fn with_stores(
        &mut self,
        ctx: &mut Ctx<'_>,
        f: impl FnOnce(&mut Stores, &mut Beside<'_>, &mut Ctx<'_>),
    ) {
        let stores = self.stores.as_mut().expect("the stores are carried");
        let mut beside = Beside {
            h: &mut self.h,
            data: &mut self.data,
            cache: &mut NoCache,
        };
        f(stores, &mut beside, ctx);
    }

    fn failed(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        ctx.complete(op, Outcome::Failed);
    }

    // ----- the boundary cache -----

    fn at_cache(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let now = ctx.now();
        let b = self.boundary.as_ref().expect("a cache");
        // A request that reached the cache as it went down is passed on.
        let down = b.cache.is_down();
        let critical =
            matches!(o.kind, OpKind::Put | OpKind::Insert) && (down || self.critical(o.key));
        let b = self.boundary.as_mut().expect("a cache");
        let service = b.service.sample(&mut self.cache_rng);
        let slot = b.station.enter(now, service);
        if let Some(s) = self.split.as_mut() {
            // Cut off from the write model: it cannot forward a
            // write-through put, nor accept one behind once its lease ran
            // out.
            let writes = matches!(o.kind, OpKind::Put | OpKind::Insert);
            let lapsed = s.lease_ends.is_some_and(|t| now >= t);
            if writes && (critical || lapsed) {
                s.refused += 1;
                let leg = self.cache_leg(&o);
                return ctx.schedule_at(slot.done + leg, Event::Failed(op));
            }
        }
        let b = self.boundary.as_mut().expect("a cache");
        match o.kind {
            OpKind::Put | OpKind::Insert if critical => {
                // Write-through: on to the coordinator once the cache has
                // taken the request.
                let origin = Origin {
                    via_cache: true,
                    flushed: None,
                };
                let t = self.open(Some(op), o, 0, origin);
                self.h.network.round_trip(Kind::Server, &o);
                let leg = self.server_leg(Kind::Server, t);
                ctx.schedule_at(slot.done + leg, Event::AtCoordinator(Message::Request(t)));
            }
            OpKind::Put | OpKind::Insert => {
                // Write-behind: the cache issues the key's next version,
                // keeps it, and answers at once.
                let i = o.key as usize;
                let version = b.issued[i].max(self.data.version(o.key)) + 1;
                b.issued[i] = version;
                let write = Write {
                    key: o.key,
                    version,
                    value: i64::from(version),
                };
                b.cache
                    .put(o.key, version, write.value, self.data.version(o.key), now);
                b.dirty.push((write, o.start));
                b.pending.insert(o.key, write);
                if let Some(s) = self.split.as_mut() {
                    s.lineages.wrote(false, &[write]);
                }
                self.arm_flush(ctx);
                let st = self.h.state_mut(op);
                st.writes = smallvec::smallvec![write];
                st.installed = 1;
                st.planned = 1;
                let leg = self.cache_leg(&o);
                ctx.schedule_at(slot.done + leg, Event::CacheAnswered(op));
            }
            _ => {
                let found = match b.pending.get(&o.key) {
                    Some(w) if !down => Lookup::Hit(w.version, w.value),
                    _ => b.cache.get(o.key, now),
                };
                self.h.state_mut(op).cache_lookup(found);
                let leg = self.cache_leg(&o);
                ctx.schedule_at(slot.done + leg, Event::CacheAnswered(op));
            }
        }
    }

    fn cache_answered(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        if matches!(ctx.op(op).kind, OpKind::Put | OpKind::Insert) {
            return self.h.acknowledged(op, ctx);
        }
        if self.h.state(op).missed {
            return self.send_to_read_model(op, ctx);
        }
        self.h.read_returned(op, ctx);
    }

    fn cache_fill(&mut self, key: u64, version: Version, value: i64, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let current = self.data.version(key);
        let b = self.boundary.as_mut().expect("a cache");
        let service = b.service.sample(&mut self.cache_rng);
        b.station.enter(now, service);
        if b.cache.peek(key).is_none() && b.cache.put(key, version, value, current, now) {
            self.h.oracle.out_of_order_apply("cache");
        }
    }

    /// Write-through: the commit is done; the cache keeps the new value
    /// and answers the client.
    fn cache_written(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let s = self.h.clients.state(op);
        let b = self.boundary.as_mut().expect("a cache");
        let service = b.service.sample(&mut self.cache_rng);
        let slot = b.station.enter(now, service);
        for w in s.installed() {
            b.cache
                .put(w.key, w.version, w.value, self.data.version(w.key), now);
        }
        let leg = self.cache_leg(ctx.op(op));
        ctx.schedule_at(slot.done + leg, Event::Answered(op));
    }

    /// The write-behind cache writes back what it holds: one local
    /// transaction per key, carrying the key's versions in order. A key
    /// whose previous flush is still under way keeps its writes for the
    /// next flush.
    fn flush(&mut self, ctx: &mut Ctx<'_>) {
        let b = self.boundary.as_mut().expect("a cache");
        b.flush_armed = false;
        if self.split.is_some() {
            // Cut off: what it holds waits for the heal (`cache_split_heals`).
            return ctx.background_done();
        }
        let dirty = std::mem::take(&mut b.dirty);
        let mut batches: Vec<Vec<(Write, SimTime)>> = Vec::new();
        let mut index: FxHashMap<u64, usize> = FxHashMap::default();
        for (write, invoked) in dirty {
            if b.flushing.contains(&write.key) {
                b.dirty.push((write, invoked));
                continue;
            }
            let i = *index.entry(write.key).or_insert_with(|| {
                batches.push(Vec::new());
                batches.len() - 1
            });
            batches[i].push((write, invoked));
        }
        b.flushing.extend(index.keys());
        let again = !b.dirty.is_empty();
        for batch in batches {
            let (first, invoked) = batch[0];
            let operation = Operation {
                kind: OpKind::Put,
                key: first.key,
                other: 0,
                session: 0,
                start: invoked,
            };
            ctx.background_started();
            let origin = Origin {
                via_cache: false,
                flushed: Some(batch.into()),
            };
            let t = self.open(None, operation, 0, origin);
            let leg = self.server_leg(Kind::Server, t);
            ctx.schedule_in(leg, Event::AtShard(t, 0));
        }
        if again {
            self.arm_flush(ctx);
        }
        ctx.background_done();
    }

    /// Schedules the next flush, unless one is.
    fn arm_flush(&mut self, ctx: &mut Ctx<'_>) {
        let b = self.boundary.as_mut().expect("a cache");
        if !b.flush_armed {
            b.flush_armed = true;
            ctx.background_started();
            let at = next_refresh(ctx.now() + SimDuration(1), b.flush);
            ctx.schedule_at(at, Event::Flush);
        }
    }

    // ----- the read model -----

    fn at_read_model(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        let store = &self.read_model.store;
        let service = match o.kind {
            OpKind::Analytics => self.analytics.sample(&mut self.read_model_rng),
            OpKind::MultiGet | OpKind::Scan => {
                let mut reads = std::mem::take(self.h.clients.multi_mut(op));
                let mut service = SimDuration::ZERO;
                for r in &mut reads {
                    (r.version, r.value) = store.read(r.key);
                    r.served_by = ServedBy::ReadModel;
                    r.missed = false;
                    service = service + self.read.sample(&mut self.read_model_rng);
                }
                *self.h.clients.multi_mut(op) = reads;
                service
            }
            _ => {
                let (version, value) = store.read(o.key);
                let st = self.h.state_mut(op);
                (st.version, st.value, st.served_by) = (version, value, Some(ServedBy::ReadModel));
                self.read.sample(&mut self.read_model_rng)
            }
        };
        if o.kind == OpKind::Analytics {
            let station = &mut self.read_model.station;
            let step = self.slicer.start(station, ctx.now(), service, op);
            return self.analytics_step(step, op, ctx);
        }
        let slot = self.read_model.station.enter(ctx.now(), service);
        let leg = self.h.message(Kind::Client, &o);
        ctx.schedule_at(slot.done + leg, Event::ReadModelAnswered(op));
    }

    /// An analytics query on the read model has had a slice admitted: its
    /// next slice, or its answer, one hop back after the last.
    fn analytics_step(&mut self, step: Step, op: OpId, ctx: &mut Ctx<'_>) {
        match step {
            Step::Slice { at, handle } => ctx.schedule_at(at, Event::ReadModelSliced(handle)),
            Step::Done(at) => {
                let leg = self.h.message(Kind::Client, ctx.op(op));
                ctx.schedule_at(at + leg, Event::ReadModelAnswered(op));
            }
        }
    }

    /// A slice of an analytics query on the read model ended.
    fn read_model_sliced(&mut self, handle: u32, ctx: &mut Ctx<'_>) {
        let op = self.slicer.context(handle);
        let step = self
            .slicer
            .resume(handle, &mut self.read_model.station, ctx.now());
        self.analytics_step(step, op, ctx);
    }

    fn read_model_answered(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        if o.kind == OpKind::Analytics {
            return ctx.complete(op, Outcome::Ok);
        }
        let (missed, version, value) = {
            let st = self.h.state(op);
            (st.missed, st.version, st.value)
        };
        if missed && self.boundary.is_some() {
            // Fill the cache with what the read model returned, without waiting.
            let leg = self.h.message(Kind::Fill, &o);
            let fill = Event::CacheFill {
                key: o.key as u32,
                version,
                value,
            };
            ctx.schedule_in(leg, fill);
        }
        if matches!(o.kind, OpKind::Rmw | OpKind::Reserve) {
            // Not strong: the read came from the read model; the write
            // follows as a blind write through the coordinator.
            if self.h.read_returned(op, ctx) == AfterRead::Write {
                self.request(op, false, ctx);
            }
            return;
        }
        self.h.read_returned(op, ctx);
    }

    /// Publishes `o`'s committed writes on the event log, which delivers
    /// each to the read model: one message each.
    fn publish(&mut self, writes: &[Write], o: &Operation, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        for w in writes {
            self.read_model.store.source_committed(w.key, now);
            if let Some(b) = &mut self.boundary {
                b.cache.source_committed(w.key, w.version, now);
            }
            // A schema change's window may drop it at the read model.
            if self.read_model.log.path.admits(now) {
                let (at, _) = self.read_model.log.publish(w, now);
                ctx.background_started();
                ctx.schedule_at(
                    at[0],
                    Event::Delivered {
                        key: w.key as u32,
                        version: w.version,
                        value: w.value,
                        committed: now,
                    },
                );
            }
            if let Some(stores) = &mut self.stores {
                stores.committed(*w, o, &mut self.h, ctx);
            }
        }
        self.h.network.sent(Kind::Pipeline, writes.len() as u32, o);
    }

    fn delivered(&mut self, w: Write, committed: SimTime, ctx: &mut Ctx<'_>) {
        let current = self.data.version(w.key);
        let applied =
            self.read_model
                .store
                .apply(w.key, w.version, w.value, current, committed, ctx.now());
        match applied {
            Applied::OutOfOrder => self.h.oracle.out_of_order_apply("read_model"),
            Applied::Duplicate => self.h.oracle.duplicate_apply("read_model"),
            Applied::InOrder => {}
        }
        ctx.background_done();
    }

    // ----- the coordinator -----

    /// A message reaches the coordinator: it waits for a core.
    fn at_coordinator(&mut self, m: Message, ctx: &mut Ctx<'_>) {
        let service = self.service.sample(&mut self.coordinator_rng);
        let slot = self.station.enter(ctx.now(), service);
        ctx.schedule_at(slot.done, Event::Handled(m));
    }

    fn handled(&mut self, m: Message, ctx: &mut Ctx<'_>) {
        match m {
            Message::Request(t) => self.dispatch(t, ctx),
            Message::Vote(t, p, vote) => self.vote(t, p, vote, ctx),
            Message::Done(t, ok) => self.local_done(t, ok, ctx),
            Message::Ack(t, p) => self.acked(t, p, ctx),
        }
    }

    /// Sends a transaction's parts to their shards: a local request, or
    /// PREPARE to each participant.
    fn dispatch(&mut self, t: TxnId, ctx: &mut Ctx<'_>) {
        let txn = self.txns.txn_mut(t);
        txn.cost.round_trips += 1;
        let kind = if txn.protocol.is_some() {
            Kind::TwoPhaseCommit
        } else {
            Kind::Server
        };
        // The parts go out in parallel: one round trip on the client's path.
        self.h.network.round_trip(kind, &txn.operation);
        for p in 0..txn.n() {
            let leg = self.server_leg(kind, t);
            ctx.schedule_in(leg, Event::AtShard(t, p));
        }
    }

    fn coordinator_flushed(&mut self, ctx: &mut Ctx<'_>) {
        let (mut durable, next) = self.log.flushed(ctx.now());
        if let Some(next) = next {
            ctx.schedule_at(next, Event::CoordinatorFlushed);
        }
        for t in durable.drain(..) {
            self.decision_durable(t, ctx);
        }
        self.log.recycle(durable);
    }

    /// The coordinator answers the client (or the cache).
    fn reply(&mut self, t: TxnId, ok: bool, ctx: &mut Ctx<'_>) {
        let txn = self.txns.txn(t);
        let Some(op) = txn.op else { return };
        let via_cache = txn.arch.via_cache;
        let event = match (ok, via_cache) {
            (true, true) => Event::CacheWritten(op),
            (true, false) => Event::Answered(op),
            (false, _) => Event::Failed(op),
        };
        let leg = match (ok, via_cache) {
            // The cache relays the error to its client.
            (false, true) => self.server_leg(Kind::Server, t) + self.cache_leg(ctx.op(op)),
            (_, true) => self.server_leg(Kind::Server, t),
            (_, false) => self.h.message(Kind::Client, ctx.op(op)),
        };
        ctx.schedule_in(leg, event);
    }

    /// A write-behind flush of one key commits: every version the cache
    /// acknowledged since the last flush, in order, each with the put that
    /// wrote it.
    fn install_flushed(&mut self, t: TxnId, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let window = ctx.window();
        let batch = self.txns.txn(t).arch.flushed.clone().expect("a flush");
        for &(w, invoked) in batch.iter() {
            let put = Operation {
                kind: OpKind::Put,
                key: w.key,
                other: 0,
                session: 0,
                start: invoked,
            };
            let plan = Plan::one(w.key, w.value);
            if self.data.version(w.key) >= w.version {
                // A write that went past the cache while it was down
                // committed after this one was acknowledged: the system of
                // record keeps the newer write, and this one is lost.
                self.h
                    .oracle
                    .rolled_back(w.key, w.version, w.version - 1, "cache", now);
                continue;
            }
            // Versions the cache issued and lost in a crash leave a gap.
            self.data.skip_to(w.key, w.version - 1);
            let writes = self.h.installed(&plan, &mut self.data, &put, 0, now);
            debug_assert_eq!(
                writes[0].version, w.version,
                "a key's flushes commit in order"
            );
            let b = self.boundary.as_mut().expect("a cache");
            if window.contains(invoked) {
                b.behind.record(now - invoked, Outcome::Ok);
            }
            b.behind_trend
                .record(invoked, (now - invoked).as_nanos() as f64);
            self.publish(&writes[..1], &put, ctx);
        }
        let last = batch.last().expect("a flush has writes").0;
        let b = self.boundary.as_mut().expect("a cache");
        if b.pending.get(&last.key) == Some(&last) {
            b.pending.remove(&last.key);
        }
        b.flushing.remove(&last.key);
    }

    // ----- a shard -----

    /// A request or PREPARE reaches its shard: it asks for its locks.
    fn at_shard(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_>) {
        if self.arrives(t, p) {
            self.request_locks(t, p, ctx);
        }
    }

    /// Participant `p`'s work is done on its core.
    fn served(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_>) {
        let txn = self.txns.txn(t);
        let o = txn.operation;
        let shard = txn.parts[p].at as ShardId;
        // A local transaction reads under its lock. (A participant of an
        // aborted two-phase commit may run after its operation has been
        // answered: it must not touch the operation's state.)
        if let (Some(op), None) = (txn.op, txn.protocol) {
            if !self.h.state(op).writing {
                let st = self.h.state_mut(op);
                st.version = self.data.version(o.key);
                st.value = self.data.value(o.key);
                st.served_by = Some(ServedBy::Primary);
            }
        }
        if txn.protocol.is_some() {
            // A participant of two-phase commit: the debited account's
            // shard votes no when the balance is short.
            let debit = transaction::debit(&o, &self.space, self.transfer_amount);
            if let Some((payer, paid)) = debit {
                if txn.parts[p].keys().contains(&payer) && self.data.value(payer) < paid {
                    return self.refuse(t, p, ctx);
                }
            }
            return self.log_record(shard, Record::Prepare(t, p), ctx);
        }
        let writes = txn.arch.flushed.is_some()
            || match o.kind {
                OpKind::Put | OpKind::Insert | OpKind::Transfer | OpKind::Txn => true,
                OpKind::Rmw => true,
                OpKind::Reserve => txn.op.is_some_and(|op| {
                    let st = self.h.state(op);
                    st.writing || st.value > 0
                }),
                _ => false,
            };
        if writes {
            self.log_record(shard, Record::Local(t), ctx);
        } else {
            // A read, or a reservation of a sold-out item: nothing to log.
            self.release(t, p, ctx);
            self.local_answer(t, true, ctx);
        }
    }

    fn log_record(&mut self, shard: ShardId, record: Record, ctx: &mut Ctx<'_>) {
        match self.shards[usize::from(shard)]
            .log
            .submit(record, ctx.now())
        {
            Logged::Durable => self.durable(record, ctx),
            Logged::FlushEndsAt(at) => ctx.schedule_at(at, Event::ShardFlushed(shard)),
            Logged::Queued => {}
        }
    }

    fn shard_flushed(&mut self, s: ShardId, ctx: &mut Ctx<'_>) {
        let (mut durable, next) = self.shards[usize::from(s)].log.flushed(ctx.now());
        if let Some(next) = next {
            ctx.schedule_at(next, Event::ShardFlushed(s));
        }
        for record in durable.drain(..) {
            self.durable(record, ctx);
        }
        self.shards[usize::from(s)].log.recycle(durable);
    }

    /// A shard's log record is durable.
    fn durable(&mut self, record: Record, ctx: &mut Ctx<'_>) {
        match record {
            Record::Local(t) => {
                // One local commit: install, release, answer.
                let txn = self.txns.txn_mut(t);
                txn.cost.forced_writes += 1;
                txn.cost.critical_forced_writes += 1;
                self.install(t, ctx);
                self.release(t, 0, ctx);
                self.local_answer(t, true, ctx);
            }
            Record::Prepare(t, p) => self.prepared(t, p, ctx),
            Record::Commit(t, p) => {
                self.release(t, p, ctx);
                let leg = self.server_leg(Kind::TwoPhaseCommit, t);
                ctx.schedule_in(leg, Event::AtCoordinator(Message::Ack(t, p)));
            }
        }
    }

    /// A local transaction answers: to the coordinator, or, for a
    /// write-behind flush, to nobody.
    fn local_answer(&mut self, t: TxnId, ok: bool, ctx: &mut Ctx<'_>) {
        if self.txns.txn(t).arch.flushed.is_some() {
            let txn = self.txns.remove(t);
            self.h.costs.charge(txn.operation.start, &txn.cost);
            if !ok {
                // Retried by the cache until it lands.
                let next = self.open(None, txn.operation, 0, txn.arch);
                let pause = self.backoff.sample(&mut self.backoff_rng);
                ctx.schedule_in(pause, Event::AtShard(next, 0));
                return;
            }
            ctx.background_done();
            return;
        }
        let leg = self.server_leg(Kind::Server, t);
        ctx.schedule_in(leg, Event::AtCoordinator(Message::Done(t, ok)));
    }
}

/// The coordinator's transactions: participants are shards, whose records
/// are durable when their log's fsync completes; the coordinator's own
/// decision record goes to its log likewise.
impl Driver for Coordinator {
    type Ctx<'a> = Ctx<'a>;
    type Arch = Origin;

    fn transactions(&mut self) -> &mut Transactions<Origin> {
        &mut self.txns
    }

    fn coordination(&mut self) -> &mut CoordinationCost {
        &mut self.h.costs
    }

    fn open(
        &mut self,
        op: Option<OpId>,
        operation: Operation,
        attempt: u32,
        origin: Origin,
    ) -> TxnId {
        let parts = participant::participants(&operation, &self.space, |k| self.router.shard(k));
        if let Some(op) = op.filter(|_| parts.len() > 1) {
            self.h.distributed(op, &operation, attempt == 0);
        }
        self.txns.open(op, operation, attempt, parts, origin)
    }

    /// It executes on one of its shard's cores.
    fn execute(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_>) {
        let part = &self.txns.txn(t).parts[p];
        let (shard, reading) = (part.at as ShardId, part.reads());
        let rows = if reading { 1 } else { part.keys().len() };
        let dist = if reading { &self.read } else { &self.write };
        let service = (0..rows).fold(SimDuration::ZERO, |d, _| {
            d + dist.sample(&mut self.service_rng)
        });
        let slot = self.shards[usize::from(shard)]
            .station
            .enter(ctx.now(), service);
        ctx.schedule_at(slot.done, Event::Served(t, p));
    }

    /// A wait gives up after `lock_timeout`.
    fn waiting(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_>) {
        ctx.schedule_in(self.lock_timeout, Event::LockTimeout(t, p));
    }

    fn send_vote(&mut self, t: TxnId, p: u8, vote: Vote, ctx: &mut Ctx<'_>) {
        let leg = self.server_leg(Kind::TwoPhaseCommit, t);
        ctx.schedule_in(leg, Event::AtCoordinator(Message::Vote(t, p, vote)));
    }

    fn send_decision(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_>) {
        let leg = self.server_leg(Kind::TwoPhaseCommit, t);
        ctx.schedule_in(leg, Event::Decided(t, p));
    }

    fn force_decision(&mut self, t: TxnId, ctx: &mut Ctx<'_>) {
        match self.log.submit(t, ctx.now()) {
            Logged::Durable => self.decision_durable(t, ctx),
            Logged::FlushEndsAt(at) => ctx.schedule_at(at, Event::CoordinatorFlushed),
            Logged::Queued => {}
        }
    }

    /// The writes are installed and the client answered; the prepare and
    /// decision records were on its path.
    fn commit_point(&mut self, t: TxnId, ctx: &mut Ctx<'_>) {
        self.install(t, ctx);
        self.reply(t, true, ctx);
        self.txns.txn_mut(t).cost.critical_forced_writes += 2;
        ctx.background_started();
    }

    fn force_commit(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_>) {
        let shard = self.txns.txn(t).parts[p].at as ShardId;
        self.log_record(shard, Record::Commit(t, p), ctx);
    }

    fn local_failed(&mut self, t: TxnId, ctx: &mut Ctx<'_>) {
        self.local_answer(t, false, ctx);
    }

    /// Installs the transaction's writes at the write model now (its commit
    /// point) and publishes them.
    fn install(&mut self, t: TxnId, ctx: &mut Ctx<'_>) {
        if self.txns.txn(t).arch.flushed.is_some() {
            return self.install_flushed(t, ctx);
        }
        let txn = self.txns.txn(t);
        let o = txn.operation;
        let now = ctx.now();
        let (value, version) = txn
            .op
            .map(|op| (self.h.state(op).value, self.h.state(op).version))
            .unwrap_or_default();
        let plan = if txn.refused {
            Plan::default()
        } else {
            transaction::plan(&o, value, &self.data, &self.space, self.transfer_amount)
        };
        if let Some(b) = &self.boundary {
            // A write that went past the write-behind cache (while it was
            // down) takes a version after every one the cache issued for
            // its key: those still on their way to a flush come after it
            // in version order and are lost when they land.
            for &(key, _) in plan.writes() {
                if let Some(&issued) = b.issued.get(key as usize) {
                    self.data.skip_to(key, issued);
                }
            }
        }
        let writes = self.h.installed(&plan, &mut self.data, &o, version, now);
        if let Some(s) = self.split.as_mut() {
            s.lineages.wrote(true, &writes);
        }
        if let Some(op) = txn.op {
            let state = self.h.state_mut(op);
            if state.writing {
                // A blind write after a read of the read model.
                state.writes = writes.clone();
                state.installed = plan.len() as u8;
                state.planned = plan.len() as u8;
            } else {
                state.committed(&o, writes.clone(), plan.len(), &self.data, &self.space);
            }
        }
        self.publish(&writes, &o, ctx);
    }

    fn answer(&mut self, t: TxnId, ok: bool, ctx: &mut Ctx<'_>) {
        self.reply(t, ok, ctx);
    }

    fn backoff(&mut self) -> SimDuration {
        self.backoff.sample(&mut self.backoff_rng)
    }

    fn restart(&mut self, t: TxnId, pause: SimDuration, ctx: &mut Ctx<'_>) {
        ctx.schedule_in(pause, Event::AtCoordinator(Message::Request(t)));
    }

    fn released_in_doubt(&mut self, t: TxnId, since: SimTime, until: SimTime) {
        self.note_in_doubt(t, since, until);
    }

    /// With `db.fsync = "0s"` the protocol's records go to logs that are
    /// never forced: no forced writes.
    fn forces(&self) -> bool {
        self.log.forces()
    }

    /// The protocol counts the shards' forced records.
    fn settled(txn: &Txn) -> Cost {
        let mut cost = txn.cost;
        if let Some(protocol) = txn.protocol {
            cost.forced_writes = protocol.cost().forced_writes;
        }
        cost
    }
}

impl Architecture for Coordinator {
    type Event = Event;

    fn harness(&self) -> &Harness {
        &self.h
    }

    fn harness_mut(&mut self) -> &mut Harness {
        &mut self.h
    }

    fn route(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let o = *ctx.op(op);
        // A cache that is down is not there: requests go past it.
        // A cache cut off from the write model is down for the clients on
        // the other side of the partition.
        let cached = self.boundary.as_ref().is_some_and(|b| !b.cache.is_down())
            && o.key < self.space.plain
            && self.split.as_ref().is_none_or(|s| o.session < s.side);
        if self.stores.is_some() {
            let session = self.space.entity(o.key).0 == Entity::Session;
            if let Some(place) = Stores::place(o.kind, session) {
                let leg = self.h.request(Kind::Client, &o);
                let at = Event::Stores(StoreEvent::At(op, place));
                return ctx.schedule_in(leg, at);
            }
        }
        match o.kind {
            OpKind::Get | OpKind::Probe if self.is_strong(o.kind) => self.request(op, false, ctx),
            OpKind::Get | OpKind::Probe if cached => self.send_to_cache(op, ctx),
            OpKind::Get | OpKind::Probe | OpKind::MultiGet | OpKind::Scan | OpKind::Analytics => {
                self.send_to_read_model(op, ctx)
            }
            OpKind::Rmw | OpKind::Reserve if !self.is_strong(o.kind) => {
                self.send_to_read_model(op, ctx)
            }
            OpKind::Put | OpKind::Insert if cached => self.send_to_cache(op, ctx),
            OpKind::Put
            | OpKind::Insert
            | OpKind::Rmw
            | OpKind::Reserve
            | OpKind::Transfer
            | OpKind::Txn => self.request(op, false, ctx),
            other => unreachable!("{other} is refused when the scenario is read"),
        }
    }

    fn prefetch(&self, op: &Operation) {
        self.data.prefetch(op.key);
        if let Some(b) = &self.boundary {
            b.cache.prefetch(op.key);
        }
        if !matches!(op.kind, OpKind::Put | OpKind::Insert) {
            self.read_model.store.prefetch(op.key);
        }
    }

    fn on_event(&mut self, event: Event, ctx: &mut Ctx<'_>) {
        match event {
            Event::AtCache(op) => self.at_cache(op, ctx),
            Event::CacheAnswered(op) => self.cache_answered(op, ctx),
            Event::CacheFill {
                key,
                version,
                value,
            } => self.cache_fill(u64::from(key), version, value, ctx),
            Event::CacheWritten(op) => self.cache_written(op, ctx),
            Event::AtReadModel(op) => self.at_read_model(op, ctx),
            Event::ReadModelAnswered(op) => self.read_model_answered(op, ctx),
            Event::ReadModelSliced(handle) => self.read_model_sliced(handle, ctx),
            Event::Delivered {
                key,
                version,
                value,
                committed,
            } => {
                let w = Write {
                    key: u64::from(key),
                    version,
                    value,
                };
                self.delivered(w, committed, ctx);
            }
            Event::AtCoordinator(m) => self.at_coordinator(m, ctx),
            Event::Handled(m) => self.handled(m, ctx),
            Event::AtShard(t, p) => self.at_shard(t, p, ctx),
            Event::Served(t, p) => self.served(t, p, ctx),
            Event::ShardFlushed(s) => self.shard_flushed(s, ctx),
            Event::CoordinatorFlushed => self.coordinator_flushed(ctx),
            Event::Decided(t, p) => self.reaches(t, p, ctx),
            Event::LockTimeout(t, p) => self.lock_wait_expired(t, p, ctx),
            Event::Answered(op) => self.answered(op, ctx),
            Event::Failed(op) => self.failed(op, ctx),
            Event::Flush => self.flush(ctx),
            Event::Stores(event) => {
                self.with_stores(ctx, |stores, b, ctx| stores.on_event(event, b, ctx))
            }
        }
    }

    /// A crashed or cut-off coordinator handles nothing until it is back:
    /// requests, votes and acknowledgements wait for it (its messages are
    /// retransmitted: a partition holds them), and participants that voted
    /// yes stay prepared, holding their locks (in doubt) — what presumed
    /// abort cannot shorten. On restart it finishes the transactions whose
    /// votes it then receives. A shard down holds its requests likewise (no
    /// replica takes over).
    fn parts(&mut self, role: &Role, deliver: &mut dyn FnMut(Part<'_>)) {
        match role {
            Role::Coordinator => deliver(Part::Station(&mut self.station, WhenDown::Holds)),
            Role::Primary => {
                for shard in &mut self.shards {
                    deliver(Part::Station(&mut shard.station, WhenDown::Holds));
                }
            }
            Role::Shard(i) => {
                let shard = &mut self.shards[*i as usize];
                deliver(Part::Station(&mut shard.station, WhenDown::Holds));
            }
            Role::Cache => {
                if let Some(b) = &mut self.boundary {
                    deliver(Part::Cache(&mut b.cache));
                    deliver(Part::Station(&mut b.station, WhenDown::Elsewhere));
                }
            }
            Role::Pipeline(name) if name == "read_model" => {
                deliver(Part::Path(&mut self.read_model.log.path))
            }
            _ => {
                if let Some(stores) = &mut self.stores {
                    stores.parts(role, deliver);
                }
            }
        }
    }

    /// The boundary cache loses its unflushed write-behind writes in a
    /// crash or a flush.
    fn on_fault(&mut self, index: usize, fault: &Fault, begins: bool, ctx: &mut Ctx<'_>) {
        let emptied = matches!(fault.kind, FaultKind::Crash | FaultKind::Flush);
        if fault.target == Role::Cache && emptied && begins {
            self.cache_crashed(index, ctx.now());
        }
        let split = fault.kind == FaultKind::Partition && fault.clients > 0.0;
        if fault.target == Role::Cache && split && self.boundary.is_some() {
            if begins {
                self.cache_split_begins(index, fault, ctx.now());
            } else {
                self.cache_split_heals(ctx);
            }
        }
    }
}

impl Report for Coordinator {
    /// Transactions still in doubt at the end of the run (a coordinator
    /// that never came back) count up to then.
    fn effects_at_end(&self, effects: &mut Effects, stopped_at: SimTime) {
        for (_, txn) in self.txns.open_ones() {
            let since = txn
                .parts
                .as_slice()
                .iter()
                .filter_map(Participant::prepared_since)
                .min();
            let Some(since) = since.filter(|s| *s < stopped_at) else {
                continue;
            };
            let mut noted = txn.in_doubt_noted;
            let down = &self.coordinator_down;
            in_doubt(effects, down, (since, stopped_at), &mut noted);
        }
    }

    fn footprint(&self) -> Footprint {
        let width = (self.shards.len() - 1).to_string().len();
        let mut f = Footprint::default();
        let db_cores = self.shards[0].station.servers();
        f.platform("database", self.shards.len() as u32, db_cores);
        f.platform("coordinator", 1, self.station.servers());
        f.platform("read_model", 1, self.read_model.station.servers());
        // The log the read model is fed from (Kafka-like).
        f.pipeline("event_log");
        let mut systems = vec!["coordinator".to_string()];
        systems.extend((0..self.shards.len()).map(|i| format!("shard_{i:0width$}")));
        systems.push("read_model".to_string());
        let mut sync = vec![
            SyncPath::new(
                "coordinator",
                "shard_*",
                "two-phase commit (presumed abort) across shards",
            ),
            SyncPath::new("shard_*", "read_model", "event log"),
        ];
        if let Some(b) = &self.boundary {
            if !b.in_process {
                f.platform("cache", 1, b.station.servers());
            }
            systems.push("cache".to_string());
            let via = if b.critical >= 1.0 {
                "write-through".to_string()
            } else {
                format!(
                    "write-through for {:.0} % of keys, write-behind every {} for the rest",
                    b.critical * 100.0,
                    b.flush
                )
            };
            sync.push(SyncPath::new("cache", "coordinator", via));
        }
        f.systems = systems;
        f.sync = sync;
        if let Some(stores) = &self.stores {
            stores.footprint(&mut f, "shard_*", "cache");
        }
        f
    }

    fn components(&self) -> BTreeMap<String, ComponentStats> {
        let mut out = BTreeMap::new();
        let mut c = self.station.stats();
        self.log.annotate(&mut c);
        out.insert("coordinator".to_string(), c);
        let width = (self.shards.len() - 1).to_string().len();
        for (i, shard) in self.shards.iter().enumerate() {
            let mut c = shard.station.stats();
            shard.log.annotate(&mut c);
            out.insert(format!("shard_{i:0width$}"), c);
        }
        let mut rm = self.read_model.station.stats();
        rm.set_lag(self.read_model.store.visibility_lag());
        out.insert("read_model".to_string(), rm);
        if let Some(b) = &self.boundary {
            let mut c = b.station.stats();
            c.hit_ratio = Some(b.cache.hit_ratio());
            c.hits = Some(b.cache.hits());
            c.misses = Some(b.cache.misses());
            out.insert("cache".to_string(), c);
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
        // Sessions live in the session store only: no copy holds them.
        let current = |key: u64| match self.space.entity(key).0 {
            Entity::Session => 0,
            _ => self.data.version(key),
        };
        let mut divergence = BTreeMap::new();
        let (older, phantom) = self.read_model.store.compare(current);
        divergence.insert(
            "read_model".to_string(),
            DivergenceReport {
                older,
                phantom,
                diverged_share: crate::metrics::round6(self.read_model.store.differ_share()),
            },
        );
        if let Some(b) = &self.boundary {
            divergence.insert("cache".to_string(), b.cache.divergence(current));
        }
        if let Some(stores) = &self.stores {
            stores.divergence(current, &mut divergence);
        }
        divergence
    }

    fn trends(&self) -> Vec<(String, TrendKind, Trend)> {
        let mut out = vec![(
            "read_model".to_string(),
            TrendKind::Lag,
            self.read_model.store.lag_trend().clone(),
        )];
        if let Some(b) = &self.boundary {
            out.push((
                "cache".to_string(),
                TrendKind::HitRatio,
                b.cache.trend().clone(),
            ));
            if b.critical < 1.0 {
                out.push((
                    "write_model".to_string(),
                    TrendKind::Lag,
                    b.behind_trend.clone(),
                ));
            }
        }
        if let Some(stores) = &self.stores {
            stores.lag_trends(&mut out);
        }
        out
    }

    fn lag(&self) -> BTreeMap<String, LagSummary> {
        let mut lag_ms = BTreeMap::from([(
            "read_model".to_string(),
            LagSummary::of(self.read_model.store.visibility_lag()),
        )]);
        if let Some(b) = self.boundary.as_ref().filter(|b| b.critical < 1.0) {
            // Write-behind: how long the write model lags what the cache
            // acknowledged.
            lag_ms.insert("write_model".to_string(), LagSummary::of(&b.behind));
        }
        if let Some(stores) = &self.stores {
            stores.lag(&mut lag_ms);
        }
        lag_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn critical_keys_take_their_share() {
        let mut config = config::Config::default();
        config.cache.capacity = 10;
        config.coordinator.critical = 0.3;
        let workload = crate::workload::WorkloadConfig {
            keys: 10_000,
            ..Default::default()
        };
        let setting = super::super::Setting {
            seed: 1,
            warmup: SimDuration::ZERO,
            duration: SimDuration::from_secs(1),
            workload: &workload,
            network: &Default::default(),
            faults: &[],
            stop_saturated: true,
        };
        let window = Window::new(SimDuration::ZERO, SimDuration::from_secs(1));
        let c = Coordinator::new(&config, &setting, &Streams::new(1, 0), window);
        let critical = (0..10_000).filter(|&k| c.critical(k)).count();
        assert!((2_800..3_200).contains(&critical), "{critical}");
    }
}

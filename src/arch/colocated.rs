//! Stage 5, the Acceleration Database: data split into partitions placed by
//! an affinity key (`partition_by`), each partition a Raft group
//! (`model::raft`) of `replication` replicas spread over `nodes`, with
//! transactions and computation inside the store (Apache Ignite 3-like).
//! Each node costs reads, writes and log forces as `[architecture.db]` says,
//! the same cost table as every stage's database; `fsync = "0s"` there is
//! the memory-first store with no forced log.
//!
//! Reads. A `get` goes to its partition's leader, which serves it under its
//! lease: linearizable. With `reads = "follower"` it goes
//! to one of the partition's followers, which learns of a commit one hop
//! after the leader: bounded staleness, counted as stale reads served by a
//! follower. (The commit index rides on the leader's next AppendEntries:
//! no message of its own.)
//!
//! Writes and transactions. Every write takes exclusive locks on its keys
//! at its partition's leader, with wait-die on conflict (an older
//! transaction waits, a younger one aborts and is retried with its original
//! age, up to `retries` times, after `backoff`), or, with `conflict =
//! "wait"`, in a queue as a database's row locks, until `lock_timeout`:
//! - when all of an operation's keys live in one partition (`put`, `rmw`,
//!   `reserve`, and a `transfer` inside one group under
//!   `partition_by = "group"`), it commits in one Raft round: the leader
//!   executes, appends the entry (forcing it if `fsync` is on, in parallel
//!   with AppendEntries), commits when a majority has it, installs, releases
//!   and answers. With the client next to the leader and constant hop d
//!   and fsync f: 2d + f, for 4 messages with 3 replicas;
//! - a `transfer` over two partitions is two-phase commit over Raft groups:
//!   the leader of the first key's partition coordinates (its partition is
//!   the commit partition); each participant's leader locks its key,
//!   executes (the debited one checks the balance), and replicates its
//!   write intent through its Raft group before voting; then the
//!   coordinator records the outcome in the commit partition (a second
//!   consensus round) — the commit point — and answers; the participants
//!   resolve their intents and release their locks afterwards. With the
//!   client next to the coordinator: 6d + 2f. A `txn` over p partitions
//!   runs the same over all p: 2p + 1 consensus rounds of 2(r − 1)
//!   messages with r replicas, and 3(p − 1) messages between leaders.
//!   With `partitions.coordinator = "separate"` the coordinator is the
//!   leader of a Raft group of its own, which holds the outcome record:
//!   every participant is remote, (2p + 1) · 2(r − 1) + 3p messages.
//!
//! How many transactions are local is decided by the workload's `locality`
//! and `partition_by`: a bad affinity key brings the coordination back.
//!
//! Followers. Each follower of a partition learns of a committed entry one
//! hop after its leader (and no earlier than of the entry before) and
//! applies the group's entries in log order, with `partitions.apply`
//! workers, each entry's rows on a core of its node (`db.apply` each, by
//! default the leader's `write`): off the commit path, but on the cores of
//! the partitions that node leads — the same apply as a read replica's
//! (`model::apply`). With follower reads its copy shows an entry once it
//! and every earlier one are applied.
//!
//! Computation. An `analytics` query is one amount of work over all the
//! data (`db.analytics`, drawn once per query, see `model::analytics`).
//! - `compute = "colocated"`: a `multi_get` sends one request to each
//!   partition holding some of its keys, which reads them next to the
//!   data, all in parallel (one round trip). An `analytics` query goes to
//!   every partition's leader, which runs its share of the work (its share
//!   of the keys times the query's) on its node's cores — a slice at a time
//!   under "time-slice" scheduling, one core to the end under "fcfs"; only
//!   results travel, and
//!   when the last has answered the client merges them,
//!   `db.analytics_merge` per partition after the first. With one partition
//!   it is the Single System's query.
//! - `compute = "client"`: the client reads a `multi_get`'s keys itself,
//!   one request per key, all in parallel as a competent client does (one
//!   round trip; each key's read is a read at its leader, and the keys are
//!   not one snapshot). For an `analytics` query it pulls every row, from
//!   all partitions in parallel and from each in pages of `page` rows, one
//!   round trip per page in sequence (a fetch cursor); each page costs its
//!   leader a read per row. When the last page is in, the client runs the
//!   whole query over the rows on its own core.

pub mod config;

use std::collections::BTreeMap;

use rand::RngExt;

use super::Report;
use super::{Compute, Footprint, RaftReads, SyncPath};
use crate::check::{LagSummary, ServedBy};
use crate::dist::Dist;
use crate::faults::{Failover, Fault, Role};
use crate::harness::{AfterRead, Architecture, Context, Harness, Part, WhenDown};
use crate::metrics::{ComponentStats, CoordinationCost, Outcome, Trend, TrendKind, Window};
use crate::model::analytics::{self, Split};
use crate::model::election::{self, ElectionTimeout, Server, Timing};
use crate::model::locks::{Conflict, TxnId};
use crate::model::network::Message;
use crate::model::participant;
use crate::model::raft::{Draw, RaftGroup};
use crate::model::router::{Router, ShardPlacement};
use crate::model::streams::Stream;
use crate::model::transaction::{self, Plan};
use crate::model::twopc::Vote;
use crate::model::txn::{self, Driver, Transactions};
use crate::model::{
    ApplyStream, Replica, ReplicationLog, Station, Step, TimeSlicer, VersionedStore, Write,
};
use crate::sim::{FOREVER, OpId, SimDuration, SimRng, SimTime, Streams};
use crate::workload::{KeySpace, OpKind, Operation};

type PartitionId = u32;

/// The coordinator's own Raft group (`coordinator = "separate"`), where a
/// partition id is expected.
const COORDINATOR_GROUP: PartitionId = PartitionId::MAX;

/// How long an election may run after a majority of the group is up before
/// it is given up (the partition then has no leader for the rest of the run):
/// long beyond any election a randomised timeout settles, short enough that
/// split votes without end cost a bounded number of events.
const ELECTION_GIVES_UP: SimDuration = SimDuration::from_secs(60);

/// Every key of the operation in the partition (not one key index).
const ALL_KEYS: u16 = u16::MAX;

#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// A read reaches a partition's leader (or follower `replica`, from 1):
    /// the key with index `key` among the operation's keys, or all of them
    /// that live there.
    Read {
        op: OpId,
        partition: PartitionId,
        key: u16,
        replica: u8,
    },
    /// A read's answer reaches the client.
    ReadAnswered(OpId),
    /// An analytics request (or the client's request for the next page)
    /// reaches a partition's leader.
    Analytics {
        op: OpId,
        partition: PartitionId,
        pages_left: u32,
    },
    /// A partition's analytics answer (or page) reaches the client.
    AnalyticsAnswered {
        op: OpId,
        partition: PartitionId,
        pages_left: u32,
    },
    /// A slice of a partition's analytics work ends (a handle in the
    /// slicer): the work goes back into its node's queue.
    AnalyticsSliced(u32),
    /// The client has computed the analytics query over the pulled rows.
    Computed(OpId),
    /// A write request or write intent reaches part `p`'s partition leader.
    AtLeader(TxnId, u8),
    /// Part `p`'s leader has executed it on a core.
    Executed(TxnId, u8),
    /// Participant `p` of `t` has waited `lock_timeout` for its locks
    /// (`conflict = "wait"`).
    LockTimeout(TxnId, u8),
    /// Part `p`'s Raft entry committed.
    Replicated(TxnId, u8),
    /// Part `p`'s vote reaches the coordinator.
    Voted(TxnId, u8, Vote),
    /// The outcome record committed in the commit partition.
    Decided(TxnId),
    /// The outcome reaches part `p`: resolve (or discard) the intent and
    /// release.
    Resolve(TxnId, u8),
    /// A retried transaction starts again.
    Retry(TxnId),
    /// The answer reaches the client: ok, or an error.
    Answered(OpId),
    Failed(OpId),
    /// A committed entry of `partition` (`commit`, in the replication log)
    /// reaches the partition's follower `replica` (from 1), where it waits
    /// in the group's log order to be applied on a core of its node.
    AtFollower {
        partition: PartitionId,
        replica: u8,
        commit: u32,
    },
    /// Follower `replica` of `partition` has applied the entry and every
    /// earlier one: with follower reads, its copy shows it.
    Applied {
        partition: PartitionId,
        replica: u8,
        commit: u32,
    },
    /// Without follower reads: follower `replica` of `partition` is done
    /// with an entry that others wait for.
    ApplyNext {
        partition: PartitionId,
        replica: u8,
    },
}

type Ctx<'a> = Context<'a, Event>;

/// A partition's part of an analytics query (or the client's request for a
/// page of rows): the operation, the partition, the pages left to pull
/// before this one and the node it runs on.
type AnalyticsPart = (OpId, PartitionId, u32, u32);

/// One attempt of a write transaction.
type Txn = txn::Txn<()>;

/// The colocated store.
pub struct Colocated {
    space: KeySpace,
    router: Router,
    groups: Vec<RaftGroup>,
    /// With `coordinator = "separate"`: the Raft group that coordinates
    /// transactions over several partitions and holds their decisions
    /// (placed on the nodes as the next partition would be; no fault
    /// targets it).
    coordinator_group: Option<RaftGroup>,
    nodes: Vec<Station>,
    /// Follower `j` of every partition, as one copy over all keys (with
    /// follower reads only).
    followers: Vec<Replica>,
    /// Each partition's followers' apply of its log, by partition, then follower.
    follower_streams: Vec<Vec<ApplyStream>>,
    log: ReplicationLog,
    /// Follower `j`'s draws of the hop after which it learns of a commit,
    /// and of its apply CPU (the same with and without follower reads).
    learn_rngs: Vec<SimRng>,
    apply_rngs: Vec<SimRng>,
    /// CPU per row applied at a follower.
    apply: Dist,
    txns: Transactions<()>,
    data: VersionedStore,
    read: Dist,
    write: Dist,
    analytics: Dist,
    analytics_merge: Dist,
    /// Partitions' analytics work between its slices.
    slicer: TimeSlicer<AnalyticsPart>,
    /// The keys each partition holds, counted at the first analytics query.
    split: Option<Split>,
    fsync: Dist,
    hop: Dist,
    reads: RaftReads,
    compute: Compute,
    page: u32,
    backoff: Dist,
    /// How long a lock wait lasts under `conflict = "wait"`.
    lock_timeout: SimDuration,
    service_rng: SimRng,
    backoff_rng: SimRng,
    raft_rng: SimRng,
    choice_rng: SimRng,
    transfer_amount: i64,
    h: Harness,
    /// An analytics query's CPU time over all the data, drawn once.
    work: Vec<SimDuration>,
    election_timeout: ElectionTimeout,
    /// The leaders' heartbeat interval.
    heartbeat: SimDuration,
    lease: SimDuration,
    /// Every draw of every election: heartbeat phases and arrivals,
    /// timeouts, vote messages and persists.
    election_rng: SimRng,
    /// Per node, the intervals in which the scenario's faults have it down
    /// (crashed or cut off): known from the start, so faults that begin at
    /// one instant see each other.
    down: Vec<Vec<(SimTime, SimTime)>>,
}

impl Colocated {
    pub fn new(
        config: &config::Config,
        setting: &super::Setting<'_>,
        streams: &Streams,
        window: Window,
    ) -> Colocated {
        let w = setting.workload;
        let space = KeySpace::new(w);
        let (c, db) = (&config.partitions, &config.db);
        let partitions = config.partitions();
        let device = db.log_device().clock();
        let groups = (0..partitions)
            .map(|p| {
                let nodes = (0..c.replication).map(|j| (p + j) % c.nodes).collect();
                RaftGroup::new(nodes, device)
            })
            .collect();
        let coordinator_group = (c.coordinator == config::CoordinatorAt::Separate).then(|| {
            let nodes = (0..c.replication)
                .map(|j| (partitions + j) % c.nodes)
                .collect();
            RaftGroup::new(nodes, device)
        });
        let follower_reads = c.reads == RaftReads::Follower;
        // Shipped after the hops the store draws (`learn_rngs`), not their own.
        let followers = if follower_reads {
            (1..c.replication)
                .map(|j| {
                    Replica::new(
                        &space,
                        setting.network.hop.clone(),
                        Stream::FollowerCommit(j).of(streams),
                        window,
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        let per_follower = |stream: fn(u32) -> Stream<'static>| {
            (1..c.replication).map(move |j| stream(j).of(streams))
        };
        Colocated {
            space,
            router: Router::new(ShardPlacement::Hash, c.partition_by, partitions, space),
            groups,
            coordinator_group,
            nodes: (0..c.nodes).map(|_| db.node(db.cores, window)).collect(),
            followers,
            follower_streams: (0..partitions)
                .map(|_| {
                    let stream = if follower_reads {
                        ApplyStream::new(c.apply)
                    } else {
                        ApplyStream::unobserved(c.apply)
                    };
                    vec![stream; c.replication as usize - 1]
                })
                .collect(),
            log: ReplicationLog::default(),
            learn_rngs: per_follower(Stream::FollowerCommit).collect(),
            apply_rngs: per_follower(Stream::Apply).collect(),
            apply: db.apply(),
            txns: Transactions::new(c.conflict, c.retries),
            data: VersionedStore::new(&space),
            read: db.read.clone(),
            write: db.write.clone(),
            analytics: db.analytics.clone(),
            analytics_merge: db.analytics_merge.clone(),
            slicer: TimeSlicer::new(db.analytics_slice()),
            split: None,
            fsync: db.fsync.clone(),
            hop: setting.network.hop.clone(),
            reads: c.reads,
            compute: c.compute,
            page: c.page,
            backoff: c.backoff.clone(),
            lock_timeout: c.lock_timeout,
            service_rng: Stream::Service("node").of(streams),
            backoff_rng: Stream::Backoff.of(streams),
            raft_rng: Stream::Raft.of(streams),
            choice_rng: Stream::FollowerChoice.of(streams),
            transfer_amount: w.transfer_amount,
            h: {
                let mut h = Harness::new(w, setting.network, setting.faults.len(), streams, window);
                h.costs.transactional();
                h
            },
            work: Vec::new(),
            election_timeout: c.election_timeout,
            heartbeat: c.heartbeat(),
            lease: c.lease,
            election_rng: Stream::Election.of(streams),
            down: {
                let mut down = vec![Vec::new(); c.nodes as usize];
                for f in setting.faults.iter().filter(|f| f.stops()) {
                    if let Role::Node(n) = f.target {
                        down[n as usize].push((f.begins(), f.until()));
                    }
                }
                down
            },
        }
    }

    /// When node `n` is up again from `t` (`t` itself when it is up).
    fn up_at(&self, n: u32, mut t: SimTime) -> SimTime {
        while let Some(&(_, end)) = self.down[n as usize]
            .iter()
            .find(|(from, to)| *from <= t && t < *to)
        {
            t = end;
        }
        t
    }

    /// The earliest instant from `now` at which a majority of partition
    /// `p`'s replicas is up: no entry commits, and no leader is elected,
    /// before.
    fn quorum_at(&self, p: PartitionId, now: SimTime) -> SimTime {
        let group = self.group(p);
        let mut up: Vec<SimTime> = std::iter::once(group.leader_node())
            .chain(group.follower_nodes())
            .map(|n| self.up_at(n, now))
            .collect();
        up.sort_unstable();
        up[group.majority() - 1]
    }

    /// Partition `p` loses its leader now to `fault`: its followers elect
    /// another (`model::election`), which serves once the old lease has
    /// run out; meanwhile the partition's reads and writes wait. Nothing
    /// committed is lost — a majority had every committed entry — so no
    /// anomaly follows, only the stall.
    ///
    /// The old leader's last heartbeat left it at a uniform instant within
    /// its heartbeat interval before now, and reached each follower a hop
    /// later; a follower that received an entry since heard from it then.
    /// Every entry the old leader sent reaches its followers, so their logs
    /// end alike and any of them may win. A replica on a node that is down
    /// takes part once its node is back; the old leader once the fault
    /// ends.
    fn leader_lost(&mut self, index: usize, fault: &Fault, p: PartitionId, now: SimTime) {
        let heartbeat = self.heartbeat;
        let since = SimDuration(
            self.election_rng
                .random_range(0..heartbeat.as_nanos().max(1)),
        );
        let beat = SimTime(now.as_nanos().saturating_sub(since.as_nanos()));
        let group = &self.groups[p as usize];
        let old = group.leader();
        let mut servers = Vec::with_capacity(group.replicas());
        for i in 0..group.replicas() {
            let node = group.node(i);
            let server = if i == old {
                Server {
                    up_from: fault.until().max(self.up_at(node, now)),
                    last_heard: now,
                    last_log: (group.term(), 0),
                }
            } else {
                let heard = beat + self.hop.sample(&mut self.election_rng);
                Server {
                    up_from: self.up_at(node, now),
                    last_heard: heard.max(group.last_append(i)),
                    last_log: (group.term(), 0),
                }
            };
            servers.push(server);
        }
        // No majority ever up: no election can end.
        let quorum = self.quorum_at(p, now);
        let outcome = if quorum >= FOREVER {
            election::Outcome::default()
        } else {
            let timing = Timing {
                timeout: self.election_timeout,
                heartbeat,
                hop: &self.hop,
                persist: &self.fsync,
            };
            let give_up = quorum.max(now) + ELECTION_GIVES_UP;
            let term = group.term();
            election::elect(now, term, &servers, timing, &mut self.election_rng, give_up)
        };
        let group = &mut self.groups[p as usize];
        let (back, note) = match (outcome.leader, outcome.elected) {
            (Some(leader), Some(elected)) => {
                let back = elected.max(now + self.lease);
                group.elected(leader, outcome.term, back);
                let note = format!(
                    "partition {p}: new leader on node {} in term {}, elected after {} in {} \
                     round(s) with {} split vote(s), serving after {}",
                    group.leader_node(),
                    outcome.term,
                    elected - now,
                    outcome.rounds,
                    outcome.split_votes,
                    back - now
                );
                (back, note)
            }
            _ => {
                group.leaderless();
                let note = format!(
                    "partition {p}: no leader elected ({} round(s), {} split vote(s)): the \
                     partition serves no more",
                    outcome.rounds, outcome.split_votes
                );
                (FOREVER, note)
            }
        };
        let ms = |t: SimTime| (t < FOREVER).then(|| (t - now).as_millis_f64());
        let e = self.h.effects.get(index);
        e.takeover = Some(e.takeover.map_or(back, |t| t.max(back)));
        e.notes.push(note);
        e.failovers.push(Failover {
            who: format!("partition {p}"),
            elected_ms: outcome.elected.and_then(ms),
            downtime_ms: ms(back),
            rounds: outcome.rounds,
            split_votes: outcome.split_votes,
        });
    }

    fn partition_of(&self, key: u64) -> PartitionId {
        self.router.shard(key)
    }

    /// Partition `p`'s Raft group, or the coordinator's.
    fn group(&self, p: PartitionId) -> &RaftGroup {
        match p {
            COORDINATOR_GROUP => self
                .coordinator_group
                .as_ref()
                .expect("a separate coordinator"),
            p => &self.groups[p as usize],
        }
    }

    /// Where transaction `t`'s coordinator runs, as a partition id: the
    /// first participant's partition, or the coordinator's own group when
    /// it is separate and `t` spans partitions.
    fn home(&self, t: TxnId) -> PartitionId {
        let txn = self.txns.txn(t);
        if self.coordinator_group.is_some() && txn.n() > 1 {
            COORDINATOR_GROUP
        } else {
            txn.parts[0].at
        }
    }

    fn leader_station(&mut self, p: PartitionId) -> &mut Station {
        let node = self.groups[p as usize].leader_node();
        &mut self.nodes[node as usize]
    }

    /// A two-phase-commit message between two partitions' leaders for `t`
    /// (none within one partition): its delay, counted by the network and
    /// in the transaction's cost.
    fn server_leg(&mut self, t: TxnId, from: PartitionId, to: PartitionId) -> SimDuration {
        if from == to {
            return SimDuration::ZERO;
        }
        let txn = self.txns.txn_mut(t);
        txn.cost.messages += u32::from(!self.h.network.local());
        self.h.message(Message::TwoPhaseCommit, &txn.operation)
    }

    // ----- the client -----

    fn send_read(
        &mut self,
        op: OpId,
        partition: PartitionId,
        key: u16,
        replica: u8,
        ctx: &mut Ctx<'_>,
    ) {
        let leg = self.h.request(Message::Client, ctx.op(op));
        ctx.schedule_in(
            leg,
            Event::Read {
                op,
                partition,
                key,
                replica,
            },
        );
    }

    /// A `multi_get`: one request per partition next to the data, or one
    /// per key from the client; all at once either way.
    fn multi_get(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let mut partitions: Vec<PartitionId> = self
            .h
            .clients
            .multi(op)
            .iter()
            .map(|r| self.partition_of(r.key))
            .collect();
        partitions.sort_unstable();
        partitions.dedup();
        if partitions.len() > 1 {
            let o = *ctx.op(op);
            self.h.distributed(op, &o, true);
        }
        match self.compute {
            Compute::Colocated => {
                // One partition's reads are one consistent snapshot.
                let st = self.h.state_mut(op);
                st.consistent = partitions.len() == 1;
                st.pending = partitions.len() as u16;
                // Parallel requests: one round trip on the critical path.
                self.h.network.round_trip(Message::Client, ctx.op(op));
                for p in partitions {
                    let leg = self.h.message(Message::Client, ctx.op(op));
                    let event = Event::Read {
                        op,
                        partition: p,
                        key: ALL_KEYS,
                        replica: 0,
                    };
                    ctx.schedule_in(leg, event);
                }
            }
            Compute::Client => {
                // One request per key, all at once: separate reads, not
                // one snapshot; one round trip on the critical path.
                let n = self.h.clients.multi(op).len();
                self.h.state_mut(op).pending = n as u16;
                self.h.network.round_trip(Message::Client, ctx.op(op));
                for i in 0..n {
                    let p = self.partition_of(self.h.clients.multi(op)[i].key);
                    let leg = self.h.message(Message::Client, ctx.op(op));
                    let event = Event::Read {
                        op,
                        partition: p,
                        key: i as u16,
                        replica: 0,
                    };
                    ctx.schedule_in(leg, event);
                }
            }
        }
    }

    /// A read reaches a partition's replica, which serves it from memory.
    fn read_at(
        &mut self,
        op: OpId,
        partition: PartitionId,
        key: u16,
        replica: u8,
        ctx: &mut Ctx<'_>,
    ) {
        let o = *ctx.op(op);
        let leader = replica == 0;
        let group = &self.groups[partition as usize];
        if leader && !group.serving(ctx.now()) {
            // No leader yet: the read waits for the election.
            let event = Event::Read {
                op,
                partition,
                key,
                replica,
            };
            return ctx.schedule_at(group.serving_from(), event);
        }
        let mut service = SimDuration::ZERO;
        if matches!(o.kind, OpKind::MultiGet | OpKind::Scan) {
            let mut reads = std::mem::take(self.h.clients.multi_mut(op));
            for (i, r) in reads.iter_mut().enumerate() {
                let here = if key == ALL_KEYS {
                    self.router.shard(r.key) == partition
                } else {
                    i == usize::from(key)
                };
                if here {
                    r.version = self.data.version(r.key);
                    r.value = self.data.value(r.key);
                    r.served_by = ServedBy::Primary;
                    r.missed = false;
                    service = service + self.read.sample(&mut self.service_rng);
                }
            }
            *self.h.clients.multi_mut(op) = reads;
        } else {
            let (version, value, by) = if leader {
                let k = o.key;
                (self.data.version(k), self.data.value(k), ServedBy::Primary)
            } else {
                let (v, x) = self.followers[usize::from(replica) - 1].read(o.key);
                (v, x, ServedBy::Follower)
            };
            let st = self.h.state_mut(op);
            (st.version, st.value, st.served_by) = (version, value, Some(by));
            service = self.read.sample(&mut self.service_rng);
        }
        let group = &self.groups[partition as usize];
        let node = if leader {
            group.leader_node()
        } else {
            group
                .follower_nodes()
                .nth(usize::from(replica) - 1)
                .expect("a follower")
        };
        let slot = self.nodes[node as usize].enter(ctx.now(), service);
        let leg = self.h.message(Message::Client, &o);
        ctx.schedule_at(slot.done + leg, Event::ReadAnswered(op));
    }

    /// Sends a single-key read to its partition's leader, or to one of its
    /// followers under follower reads.
    fn read_key(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let key = ctx.op(op).key;
        let partition = self.partition_of(key);
        let replica = match self.reads {
            RaftReads::Leader => 0,
            RaftReads::Follower => self.choice_rng.random_range(1..=self.followers.len()) as u8,
        };
        self.h.state_mut(op).pending = 1;
        self.send_read(op, partition, ALL_KEYS, replica, ctx);
    }

    fn read_answered(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let st = self.h.state_mut(op);
        st.pending -= 1;
        if st.pending > 0 {
            return;
        }
        let o = *ctx.op(op);
        if matches!(o.kind, OpKind::Rmw | OpKind::Reserve) {
            // Client-side: the value computed from this read is written
            // blind, in a transaction of its own.
            if self.h.read_returned(op, ctx) == AfterRead::Write {
                let t = self.open(Some(op), o, 0, ());
                self.start(t, ctx);
            }
            return;
        }
        self.h.read_returned(op, ctx);
    }

    /// An analytics request (or the request for a page of rows) reaches a
    /// partition's leader.
    fn analytics_at(
        &mut self,
        op: OpId,
        partition: PartitionId,
        pages_left: u32,
        ctx: &mut Ctx<'_>,
    ) {
        let service = match self.compute {
            Compute::Colocated => {
                let whole = self.work[op.index()];
                self.split().work(whole, partition)
            }
            Compute::Client => {
                // This page's rows: a full page, or what is left.
                let (rows, page) = (self.split().keys(partition), u64::from(self.page));
                let pulled = u64::from(self.pages(partition) - pages_left) * page;
                let row = self.read.sample(&mut self.service_rng);
                SimDuration(row.as_nanos() * rows.saturating_sub(pulled).min(page))
            }
        };
        let node = self.groups[partition as usize].leader_node();
        let part = (op, partition, pages_left, node);
        let step = self
            .slicer
            .start(&mut self.nodes[node as usize], ctx.now(), service, part);
        self.analytics_step(step, part, ctx);
    }

    /// A partition's analytics work has had a slice admitted: its next
    /// slice, or its answer, one hop back after the last.
    fn analytics_step(&mut self, step: Step, part: AnalyticsPart, ctx: &mut Ctx<'_>) {
        let (op, partition, pages_left, _) = part;
        match step {
            Step::Slice { at, handle } => ctx.schedule_at(at, Event::AnalyticsSliced(handle)),
            Step::Done(at) => {
                let leg = self.h.message(Message::Client, ctx.op(op));
                ctx.schedule_at(
                    at + leg,
                    Event::AnalyticsAnswered {
                        op,
                        partition,
                        pages_left: pages_left - 1,
                    },
                );
            }
        }
    }

    /// A slice of a partition's analytics work ended: it queues again on
    /// the node it runs on.
    fn analytics_sliced(&mut self, handle: u32, ctx: &mut Ctx<'_>) {
        let part = self.slicer.context(handle);
        let station = &mut self.nodes[part.3 as usize];
        let step = self.slicer.resume(handle, station, ctx.now());
        self.analytics_step(step, part, ctx);
    }

    fn analytics_answered(
        &mut self,
        op: OpId,
        partition: PartitionId,
        pages_left: u32,
        ctx: &mut Ctx<'_>,
    ) {
        if pages_left > 0 {
            // The next page of this partition's rows. Partitions pull in
            // parallel: the one with the most pages sets the round trips on
            // the client's path.
            if self.pages(partition) == self.most_pages() {
                self.h.network.round_trip(Message::Client, ctx.op(op));
            }
            let leg = self.h.message(Message::Client, ctx.op(op));
            return ctx.schedule_in(
                leg,
                Event::Analytics {
                    op,
                    partition,
                    pages_left,
                },
            );
        }
        let st = self.h.state_mut(op);
        st.pending -= 1;
        if st.pending > 0 {
            return;
        }
        let compute = match self.compute {
            // The client merges the partitions' partial results.
            Compute::Colocated => {
                let parts = self.groups.len() as u32;
                analytics::merge(parts, &self.analytics_merge, &mut self.service_rng)
            }
            // The client runs the whole query over the rows it pulled.
            Compute::Client => self.work[op.index()],
        };
        if compute.is_zero() {
            self.computed(op, ctx);
        } else {
            ctx.schedule_in(compute, Event::Computed(op));
        }
    }

    /// The keys each partition holds (counted once, at the first query).
    fn split(&mut self) -> &Split {
        let (router, total) = (&self.router, self.space.total());
        self.split.get_or_insert_with(|| Split::of(router, total))
    }

    /// Round trips to pull `partition`'s rows (`compute = "client"`): its
    /// keys in pages of `page`, at least one request; one otherwise.
    fn pages(&mut self, partition: PartitionId) -> u32 {
        match self.compute {
            Compute::Colocated => 1,
            Compute::Client => {
                let rows = self.split().keys(partition);
                rows.div_ceil(u64::from(self.page)).max(1) as u32
            }
        }
    }

    /// The most pages any partition needs (`compute = "client"`).
    fn most_pages(&mut self) -> u32 {
        let mut most = 1;
        for p in 0..self.groups.len() as PartitionId {
            most = most.max(self.pages(p));
        }
        most
    }

    fn computed(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        self.h.clients.complete_ok(op, ctx);
    }

    fn answered(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        self.h.write_answered(op, ctx);
    }

    fn failed(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        ctx.complete(op, Outcome::Failed);
    }

    // ----- transactions -----

    /// The client sends the transaction to the leader of its first key's
    /// partition, which executes it or, over several partitions,
    /// coordinates it and sends each participant its write intent.
    fn start(&mut self, t: TxnId, ctx: &mut Ctx<'_>) {
        let home = self.home(t);
        let txn = self.txns.txn(t);
        let (op, n) = (client(txn), txn.n());
        let leg = self.h.request(Message::Client, ctx.op(op));
        if n > 1 {
            // The write intents and their votes, in parallel: one round
            // trip between leaders.
            let txn = self.txns.txn_mut(t);
            txn.cost.round_trips += 1;
            self.h
                .network
                .round_trip(Message::TwoPhaseCommit, &txn.operation);
        }
        for p in 0..n {
            let to = self.txns.txn(t).parts[p].at;
            let inner = self.server_leg(t, home, to);
            ctx.schedule_in(leg + inner, Event::AtLeader(t, p));
        }
    }

    /// Part `p` reaches its leader: it asks for its locks (wait-die).
    fn at_leader(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_>) {
        if !self.arrives(t, p) {
            return;
        }
        let group = &self.groups[self.txns.txn(t).parts[p].at as usize];
        if !group.serving(ctx.now()) {
            // No leader yet: the request waits for the election.
            return ctx.schedule_at(group.serving_from(), Event::AtLeader(t, p));
        }
        self.request_locks(t, p, ctx);
    }

    /// Part `p` is executed: the debited participant of a transfer over
    /// two partitions votes no when the balance is short; otherwise the
    /// leader appends the entry (the whole transaction, or the write
    /// intent) to its Raft log.
    fn executed(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_>) {
        let txn = self.txns.txn(t);
        let o = txn.operation;
        let debit = transaction::debit(&o, &self.space, self.transfer_amount);
        if let (Some(_), Some((payer, paid))) = (txn.protocol, debit) {
            if txn.parts[p].keys().contains(&payer) && self.data.value(payer) < paid {
                return self.refuse(t, p, ctx);
            }
        }
        if txn.protocol.is_none() && !self.h.state(client(txn)).writing {
            // The read of a server-side `rmw` or `reserve`, under the lock.
            let st = self.h.state_mut(client(txn));
            st.version = self.data.version(o.key);
            st.value = self.data.value(o.key);
            st.served_by = Some(ServedBy::Primary);
            let sold_out = o.kind == OpKind::Reserve && st.value <= 0;
            if sold_out {
                self.release(t, p, ctx);
                return self.local_done(t, true, ctx);
            }
        }
        let partition = self.txns.txn(t).parts[p].at;
        let commit = self.replicate(t, partition, ctx.now());
        ctx.schedule_at(commit, Event::Replicated(t, p));
    }

    /// One Raft round in `partition`'s group, charged to `t`: when it commits.
    fn replicate(&mut self, t: TxnId, partition: PartitionId, now: SimTime) -> SimTime {
        let at = self.quorum_at(partition, now);
        let (hop, fsync, rng) = (&self.hop, &self.fsync, &mut self.raft_rng);
        let group = match partition {
            COORDINATOR_GROUP => self
                .coordinator_group
                .as_mut()
                .expect("a separate coordinator"),
            p => &mut self.groups[p as usize],
        };
        let round = group.append(at, |draw| match draw {
            Draw::Hop => hop.sample(rng),
            Draw::Fsync => fsync.sample(rng),
        });
        let txn = self.txns.txn_mut(t);
        txn.cost.messages += round.messages * u32::from(!self.h.network.local());
        self.h
            .network
            .sent(Message::Raft, round.messages, &txn.operation);
        txn.cost.forced_writes += round.forced_writes;
        txn.cost.consensus_rounds += 1;
        round.commit
    }

    /// A committed entry of one partition, `writes`, goes to each of the
    /// partition's followers, which learns of it one hop after the leader
    /// and no earlier than of the entry before.
    fn ship_to_followers(&mut self, writes: &[Write], now: SimTime, ctx: &mut Ctx<'_>) {
        let partition = self.partition_of(writes[0].key);
        let followers = self.groups[partition as usize].replicas() - 1;
        if followers == 0 {
            return;
        }
        let commit = self.log.push(writes, now, followers as u32);
        for j in 0..followers {
            let hop = self.hop.sample(&mut self.learn_rngs[j]);
            let stream = &mut self.follower_streams[partition as usize][j];
            let at = match self.followers.get_mut(j) {
                Some(f) => {
                    // Shown at the follower: the run drains it.
                    ctx.background_started();
                    f.ship_after(stream, writes, now, hop)
                }
                None => stream.ship(now + hop),
            };
            let event = Event::AtFollower {
                partition,
                replica: (j + 1) as u8,
                commit,
            };
            ctx.schedule_at(at, event);
        }
    }

    /// A committed entry reaches follower `replica` of `partition`: it
    /// waits in the group's log order to be applied.
    fn at_follower(&mut self, partition: PartitionId, replica: u8, commit: u32, ctx: &mut Ctx<'_>) {
        let j = usize::from(replica) - 1;
        self.follower_streams[partition as usize][j].arrived(commit, &self.log);
        self.start_applying(partition, replica, ctx);
    }

    /// Follower `replica` of `partition` starts applying what it may now,
    /// on the cores of its node (shared with the partitions that node
    /// leads); with follower reads each entry shows once applied, after
    /// every earlier one.
    fn start_applying(&mut self, partition: PartitionId, replica: u8, ctx: &mut Ctx<'_>) {
        let j = usize::from(replica) - 1;
        let node = self.groups[partition as usize]
            .follower_nodes()
            .nth(j)
            .expect("a follower");
        let (apply, rng) = (&self.apply, &mut self.apply_rngs[j]);
        let wake = self.follower_streams[partition as usize][j].start(
            ctx.now(),
            &mut self.log,
            &mut self.nodes[node as usize],
            self.followers.get_mut(j),
            |writes| {
                writes
                    .iter()
                    .fold(SimDuration::ZERO, |d, _| d + apply.sample(rng))
            },
            |commit, shown| match shown {
                Some(at) => ctx.schedule_at(
                    at,
                    Event::Applied {
                        partition,
                        replica,
                        commit,
                    },
                ),
                None => ctx.background_done(),
            },
        );
        if let Some(at) = wake {
            ctx.schedule_at(at, Event::ApplyNext { partition, replica });
        }
    }

    /// Part `p`'s entry committed in its Raft group.
    fn replicated(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_>) {
        let txn = self.txns.txn_mut(t);
        // Intents replicate in parallel: one force on the client's path.
        txn.cost.critical_forced_writes += u32::from(!self.fsync.is_zero() && p == 0);
        if txn.protocol.is_none() {
            // One-phase commit: the transaction is durable in one round.
            self.install(t, ctx);
            self.release(t, p, ctx);
            return self.local_done(t, true, ctx);
        }
        self.prepared(t, p, ctx);
    }
}

/// The client's operation of a colocated transaction (every one has one).
fn client(txn: &Txn) -> OpId {
    txn.op.expect("a client's transaction")
}

/// The colocated store's transactions: participants are partitions' Raft
/// groups, durable when an entry commits at a majority; the leader of the
/// first key's partition coordinates, and its group holds the decision.
/// Participants resolve their intents without acknowledging.
impl Driver for Colocated {
    type Ctx<'a> = Ctx<'a>;
    type Arch = ();

    fn transactions(&mut self) -> &mut Transactions<()> {
        &mut self.txns
    }

    fn coordination(&mut self) -> &mut CoordinationCost {
        &mut self.h.costs
    }

    fn open(&mut self, op: Option<OpId>, operation: Operation, attempt: u32, _: ()) -> TxnId {
        let parts = participant::participants(&operation, &self.space, |k| self.router.shard(k));
        let op = op.expect("a client's transaction");
        if parts.len() > 1 {
            self.h.distributed(op, &operation, attempt == 0);
        }
        self.txns.open(Some(op), operation, attempt, parts, ())
    }

    /// Its leader executes it on a core.
    fn execute(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_>) {
        let part = &self.txns.txn(t).parts[p];
        let (partition, rows) = (part.at, part.keys().len());
        let service = (0..rows).fold(SimDuration::ZERO, |d, _| {
            d + self.write.sample(&mut self.service_rng)
        });
        let slot = self.leader_station(partition).enter(ctx.now(), service);
        ctx.schedule_at(slot.done, Event::Executed(t, p));
    }

    /// The vote travels to the coordinator (the commit partition's leader).
    fn send_vote(&mut self, t: TxnId, p: u8, vote: Vote, ctx: &mut Ctx<'_>) {
        let (from, home) = (self.txns.txn(t).parts[p].at, self.home(t));
        let leg = self.server_leg(t, from, home);
        ctx.schedule_in(leg, Event::Voted(t, p, vote));
    }

    fn send_decision(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_>) {
        let (home, to) = (self.home(t), self.txns.txn(t).parts[p].at);
        let leg = self.server_leg(t, home, to);
        ctx.schedule_in(leg, Event::Resolve(t, p));
    }

    /// The outcome goes to the commit partition's Raft group (or the
    /// separate coordinator's).
    fn force_decision(&mut self, t: TxnId, ctx: &mut Ctx<'_>) {
        let home = self.home(t);
        let commit = self.replicate(t, home, ctx.now());
        ctx.schedule_at(commit, Event::Decided(t));
    }

    fn commit_point(&mut self, t: TxnId, ctx: &mut Ctx<'_>) {
        self.txns.txn_mut(t).cost.critical_forced_writes += u32::from(!self.fsync.is_zero());
        self.install(t, ctx);
        self.answer(t, true, ctx);
        ctx.background_started();
    }

    /// Committed intents become values in an asynchronous Raft round, off
    /// the client's path; the locks are released meanwhile.
    fn force_commit(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_>) {
        let partition = self.txns.txn(t).parts[p].at;
        self.replicate(t, partition, ctx.now());
        self.release(t, p, ctx);
        self.acked(t, p, ctx);
    }

    fn local_failed(&mut self, t: TxnId, ctx: &mut Ctx<'_>) {
        self.local_done(t, false, ctx);
    }

    /// Installs the transaction's writes now and ships them to the
    /// followers.
    fn install(&mut self, t: TxnId, ctx: &mut Ctx<'_>) {
        let txn = self.txns.txn(t);
        let (o, op) = (txn.operation, client(txn));
        let now = ctx.now();
        let read = self.h.state(op);
        let (value, version) = (read.value, read.version);
        let plan = if txn.refused {
            Plan::default()
        } else {
            transaction::plan(&o, value, &self.data, &self.space, self.transfer_amount)
        };
        let writes = self.h.installed(&plan, &mut self.data, &o, version, now);
        self.h.clients.state_mut(op).committed(
            &o,
            writes.clone(),
            plan.len(),
            &self.data,
            &self.space,
        );
        // Each partition's followers apply its rows, in the order of the
        // partitions' first rows.
        let writes = &writes[..];
        let home = writes.first().map(|w| self.partition_of(w.key));
        if writes
            .iter()
            .all(|w| Some(self.partition_of(w.key)) == home)
        {
            if !writes.is_empty() {
                self.ship_to_followers(writes, now, ctx);
            }
            return;
        }
        let mut rest: Vec<Write> = writes.to_vec();
        while let Some(first) = rest.first() {
            let partition = self.partition_of(first.key);
            let (rows, others): (Vec<Write>, Vec<Write>) = rest
                .into_iter()
                .partition(|w| self.partition_of(w.key) == partition);
            self.ship_to_followers(&rows, now, ctx);
            rest = others;
        }
    }

    fn answer(&mut self, t: TxnId, ok: bool, ctx: &mut Ctx<'_>) {
        let txn = self.txns.txn(t);
        let leg = self.h.message(Message::Client, &txn.operation);
        let op = client(txn);
        let event = if ok {
            Event::Answered(op)
        } else {
            Event::Failed(op)
        };
        ctx.schedule_in(leg, event);
    }

    /// Under `conflict = "wait"`, a wait gives up after `lock_timeout`
    /// (wait-die never waits for a younger transaction: no timeout needed).
    fn waiting(&mut self, t: TxnId, p: u8, ctx: &mut Ctx<'_>) {
        if self.txns.conflict() == Conflict::Wait {
            ctx.schedule_in(self.lock_timeout, Event::LockTimeout(t, p));
        }
    }

    fn backoff(&mut self) -> SimDuration {
        self.backoff.sample(&mut self.backoff_rng)
    }

    fn restart(&mut self, t: TxnId, pause: SimDuration, ctx: &mut Ctx<'_>) {
        ctx.schedule_in(pause, Event::Retry(t));
    }
}

impl Architecture for Colocated {
    type Event = Event;

    fn harness(&self) -> &Harness {
        &self.h
    }

    fn harness_mut(&mut self) -> &mut Harness {
        &mut self.h
    }

    fn route(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let i = op.index();
        if i >= self.work.len() {
            self.work.resize(i + 1, SimDuration::ZERO);
        }
        let o = *ctx.op(op);
        match o.kind {
            OpKind::Get | OpKind::Probe => self.read_key(op, ctx),
            // A client-side read-modify-write reads like a `get` first.
            OpKind::Rmw | OpKind::Reserve if !self.h.server_side(o.kind) => self.read_key(op, ctx),
            OpKind::MultiGet | OpKind::Scan => self.multi_get(op, ctx),
            OpKind::Analytics => {
                self.work[i] = self.analytics.sample(&mut self.service_rng);
                let partitions = self.groups.len() as u32;
                self.h.state_mut(op).pending = partitions as u16;
                if partitions > 1 {
                    self.h.costs.distributed(&o);
                }
                // Every partition at once: one round trip.
                self.h.network.round_trip(Message::Client, &o);
                for partition in 0..partitions {
                    let pages = self.pages(partition);
                    let leg = self.h.message(Message::Client, &o);
                    ctx.schedule_in(
                        leg,
                        Event::Analytics {
                            op,
                            partition,
                            pages_left: pages,
                        },
                    );
                }
            }
            OpKind::Put
            | OpKind::Insert
            | OpKind::Rmw
            | OpKind::Reserve
            | OpKind::Transfer
            | OpKind::Txn => {
                let t = self.open(Some(op), o, 0, ());
                self.start(t, ctx);
            }
            other => unreachable!("{other} is refused when the scenario is read"),
        }
    }

    fn prefetch(&self, op: &Operation) {
        self.data.prefetch(op.key);
    }

    fn on_event(&mut self, event: Event, ctx: &mut Ctx<'_>) {
        match event {
            Event::Read {
                op,
                partition,
                key,
                replica,
            } => self.read_at(op, partition, key, replica, ctx),
            Event::ReadAnswered(op) => self.read_answered(op, ctx),
            Event::Analytics {
                op,
                partition,
                pages_left,
            } => self.analytics_at(op, partition, pages_left, ctx),
            Event::AnalyticsAnswered {
                op,
                partition,
                pages_left,
            } => self.analytics_answered(op, partition, pages_left, ctx),
            Event::AnalyticsSliced(handle) => self.analytics_sliced(handle, ctx),
            Event::Computed(op) => self.computed(op, ctx),
            Event::AtLeader(t, p) => self.at_leader(t, p, ctx),
            Event::Executed(t, p) => self.executed(t, p, ctx),
            Event::LockTimeout(t, p) => self.lock_wait_expired(t, p, ctx),
            Event::Replicated(t, p) => self.replicated(t, p, ctx),
            Event::Voted(t, p, vote) => self.vote(t, p, vote, ctx),
            Event::Decided(t) => self.decision_durable(t, ctx),
            Event::Resolve(t, p) => self.reaches(t, p, ctx),
            Event::Retry(t) => self.start(t, ctx),
            Event::Answered(op) => self.answered(op, ctx),
            Event::Failed(op) => self.failed(op, ctx),
            Event::AtFollower {
                partition,
                replica,
                commit,
            } => self.at_follower(partition, replica, commit, ctx),
            Event::Applied {
                partition,
                replica,
                commit,
            } => {
                let j = usize::from(replica) - 1;
                self.follower_streams[partition as usize][j].shown(
                    commit,
                    ctx.now(),
                    &mut self.log,
                    self.followers.get_mut(j),
                );
                ctx.background_done();
                self.start_applying(partition, replica, ctx);
            }
            Event::ApplyNext { partition, replica } => self.start_applying(partition, replica, ctx),
        }
    }

    /// A node down holds the work sent to it until it is back. A leader's
    /// outage is an election's (below); `slow` reaches the node it is on.
    fn parts(&mut self, role: &Role, deliver: &mut dyn FnMut(Part<'_>)) {
        let leaders: Vec<u32> = match role {
            Role::Node(n) => {
                return deliver(Part::Station(&mut self.nodes[*n as usize], WhenDown::Holds));
            }
            Role::Leader(p) => vec![self.groups[*p as usize].leader_node()],
            Role::Primary => self.groups.iter().map(RaftGroup::leader_node).collect(),
            _ => return,
        };
        for n in leaders {
            deliver(Part::Station(
                &mut self.nodes[n as usize],
                WhenDown::Elsewhere,
            ));
        }
    }

    /// A crashed or cut-off leader loses its leadership (`leader_lost`),
    /// and so does every partition a crashed or cut-off node led.
    fn on_fault(&mut self, index: usize, fault: &Fault, begins: bool, ctx: &mut Ctx<'_>) {
        if !(fault.stops() && begins) {
            return;
        }
        let groups = &self.groups;
        let lost: Vec<PartitionId> = match fault.target {
            Role::Primary => (0..groups.len() as PartitionId).collect(),
            Role::Leader(p) => vec![p],
            Role::Node(n) => (0..groups.len() as PartitionId)
                .filter(|p| groups[*p as usize].leader_node() == n)
                .collect(),
            _ => return,
        };
        for p in lost {
            self.leader_lost(index, fault, p, ctx.now());
        }
    }
}

impl Report for Colocated {
    fn footprint(&self) -> Footprint {
        let systems = (0..self.nodes.len()).map(|i| format!("node_{i}")).collect();
        let r = self.groups[0].replicas();
        let via = format!(
            "{} partitions, each a Raft group of {r} replicas: commit at a majority",
            self.groups.len()
        );
        let mut f = Footprint {
            systems,
            sync: vec![SyncPath::new("node_*", "node_*", via)],
            ..Footprint::default()
        };
        // One store, its partitions' replicas spread over the nodes.
        f.platform("database", self.nodes.len() as u32, self.nodes[0].servers());
        f
    }

    fn components(&self) -> BTreeMap<String, ComponentStats> {
        let mut out = BTreeMap::new();
        let width = (self.nodes.len() - 1).to_string().len();
        for (i, node) in self.nodes.iter().enumerate() {
            out.insert(format!("node_{i:0width$}"), node.stats());
        }
        for (j, f) in self.followers.iter().enumerate() {
            let mut c = ComponentStats::default();
            c.set_lag(f.visibility_lag());
            out.insert(format!("follower_{}", j + 1), c);
        }
        out
    }

    fn record(&self) -> &VersionedStore {
        &self.data
    }

    fn trends(&self) -> Vec<(String, TrendKind, Trend)> {
        self.followers
            .iter()
            .enumerate()
            .map(|(j, f)| {
                (
                    format!("follower_{}", j + 1),
                    TrendKind::Lag,
                    f.lag_trend().clone(),
                )
            })
            .collect()
    }

    fn lag(&self) -> BTreeMap<String, LagSummary> {
        self.followers
            .iter()
            .enumerate()
            .map(|(j, f)| {
                (
                    format!("follower_{}", j + 1),
                    LagSummary::of(f.visibility_lag()),
                )
            })
            .collect()
    }
}

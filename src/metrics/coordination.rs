//! Coordination cost (ANOMALIES.md, "Coordination cost"): what keeping
//! copies and partitions consistent costs per operation — messages, round
//! trips on the client's path, forced log writes, consensus rounds, lock
//! acquisitions and waits, aborts and retries — and per distributed
//! transaction, where the classic counts apply (two-phase commit with
//! presumed abort over n updating participants: 4n messages, 2n + 1 forced
//! writes).
//!
//! One accounting for every architecture. Messages and round trips are the
//! network's figures (`model::network`), counted as they are sent; forced
//! writes, consensus rounds, locks and aborts are charged here, by the
//! architecture's logs and the transaction driver. Everything an operation
//! causes is counted against it when the operation is one of the
//! workload's and started inside the measurement window, including work
//! after its answer (2PC's second phase, a write-behind flush, a change
//! delivered to a derived store, intent resolution); per operation, totals
//! are divided by the operations offered in the window (the latency
//! table's `count`: failed and timed-out ones cost messages too).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Window, round6};
use crate::sim::{SimDuration, SimTime};
use crate::workload::Operation;

/// What one transaction cost; the transaction driver fills one in as its
/// protocol runs and hands it to [`CoordinationCost`]. Its `messages` and
/// `round_trips` are the transaction's own (the per-transaction figures);
/// per operation, messages and round trips are the network's, so charging
/// a cost to an operation leaves them out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    pub messages: u32,
    /// Round trips on the critical path (a request and its answer).
    pub round_trips: u32,
    /// Records forced to a log (several may share one fsync).
    pub forced_writes: u32,
    /// Forced writes the client waited for.
    pub critical_forced_writes: u32,
    pub consensus_rounds: u32,
    pub lock_acquisitions: u32,
    pub lock_wait: SimDuration,
    /// Time prepared participants held their locks (from the prepare
    /// record until the decision reached them), summed over participants.
    pub prepared: SimDuration,
}

impl Cost {
    pub fn add(&mut self, other: &Cost) {
        self.messages += other.messages;
        self.round_trips += other.round_trips;
        self.forced_writes += other.forced_writes;
        self.critical_forced_writes += other.critical_forced_writes;
        self.consensus_rounds += other.consensus_rounds;
        self.lock_acquisitions += other.lock_acquisitions;
        self.lock_wait = self.lock_wait + other.lock_wait;
        self.prepared = self.prepared + other.prepared;
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Totals {
    count: u64,
    messages: u64,
    round_trips: u64,
    forced_writes: u64,
    critical_forced_writes: u64,
    consensus_rounds: u64,
    lock_acquisitions: u64,
    lock_wait_ns: u128,
    prepared_ns: u128,
}

impl Totals {
    fn add(&mut self, c: &Cost) {
        self.messages += u64::from(c.messages);
        self.round_trips += u64::from(c.round_trips);
        self.forced_writes += u64::from(c.forced_writes);
        self.critical_forced_writes += u64::from(c.critical_forced_writes);
        self.consensus_rounds += u64::from(c.consensus_rounds);
        self.lock_acquisitions += u64::from(c.lock_acquisitions);
        self.lock_wait_ns += u128::from(c.lock_wait.as_nanos());
        self.prepared_ns += u128::from(c.prepared.as_nanos());
    }

    /// Means over the `count` transactions counted (none without any).
    fn means(&self) -> Option<MeanCost> {
        (self.count > 0).then(|| self.over(self.count, self.messages, self.round_trips, true))
    }

    /// Means over `n`, with `messages` and `round_trips` as the totals of
    /// those (`locks`: whether lock figures are counted).
    fn over(&self, n: u64, messages: u64, round_trips: u64, locks: bool) -> MeanCost {
        let per = |v: f64| round6(v / n.max(1) as f64);
        let lock = |v: f64| locks.then(|| per(v));
        MeanCost {
            count: n,
            messages: per(messages as f64),
            messages_by_kind: BTreeMap::new(),
            forced_writes: per(self.forced_writes as f64),
            critical_forced_writes: per(self.critical_forced_writes as f64),
            round_trips: Some(per(round_trips as f64)),
            consensus_rounds: Some(per(self.consensus_rounds as f64)),
            lock_acquisitions: lock(self.lock_acquisitions as f64),
            lock_wait_ms: lock(self.lock_wait_ns as f64 / 1e6),
            prepared_ms: lock(self.prepared_ns as f64 / 1e6),
        }
    }
}

/// Counts a run's coordination cost over the operations of the workload
/// started in the window; the messages and round trips come from the
/// network when the report is made.
#[derive(Clone, Debug)]
pub struct CoordinationCost {
    window: Window,
    operations: Totals,
    transactions: Totals,
    /// Whether the architecture runs transactions under locks (through
    /// `model::txn`): only then are locks, aborts, retries, deadlocks, the
    /// distributed share and doubt reported.
    transactional: bool,
    /// Operations that touched more than one shard or partition.
    distributed: u64,
    aborts: u64,
    retries: u64,
    deadlocks: u64,
    /// Participants in doubt now, and the most at once.
    in_doubt_peak: u64,
    in_doubt: u64,
}

impl CoordinationCost {
    pub fn new(window: Window) -> CoordinationCost {
        CoordinationCost {
            window,
            operations: Totals::default(),
            transactions: Totals::default(),
            transactional: false,
            distributed: 0,
            aborts: 0,
            retries: 0,
            deadlocks: 0,
            in_doubt_peak: 0,
            in_doubt: 0,
        }
    }

    /// The architecture runs transactions under locks: report locks,
    /// aborts, retries, deadlocks, doubt and the distributed share.
    pub fn transactional(&mut self) {
        self.transactional = true;
    }

    /// Whether `o`'s costs count: one of the workload's operations (not a
    /// probe read), invoked in the window.
    #[inline]
    fn counts(&self, o: &Operation) -> bool {
        o.kind.is_workload() && self.window.contains(o.start)
    }

    /// Operation `o` touches more than one shard or partition (say so once
    /// per operation, not per attempt).
    pub fn distributed(&mut self, o: &Operation) {
        self.distributed += u64::from(self.counts(o));
    }

    /// One record of operation `o` is forced to a log (`on_path`: its
    /// client waits for it). Several records may share one fsync (group
    /// commit): this counts records.
    #[inline]
    pub fn forced_write(&mut self, o: &Operation, on_path: bool) {
        if self.counts(o) {
            self.operations.forced_writes += 1;
            self.operations.critical_forced_writes += u64::from(on_path);
        }
    }

    /// Work done for an operation invoked at `invoked` (at any time, also
    /// after its answer): its forced writes, consensus rounds, locks and
    /// doubt. Its messages and round trips are left out: the network
    /// counted them as they were sent.
    pub fn charge(&mut self, invoked: SimTime, cost: &Cost) {
        if self.window.contains(invoked) {
            let own = Cost {
                messages: 0,
                round_trips: 0,
                ..*cost
            };
            self.operations.add(&own);
        }
    }

    /// A distributed transaction of an operation invoked at `invoked` has
    /// ended (committed, every participant told): its whole cost.
    pub fn transaction(&mut self, invoked: SimTime, cost: &Cost) {
        if self.window.contains(invoked) {
            self.transactions.count += 1;
            self.transactions.add(cost);
        }
    }

    pub fn abort(&mut self, invoked: SimTime) {
        self.aborts += u64::from(self.window.contains(invoked));
    }

    pub fn retry(&mut self, invoked: SimTime) {
        self.retries += u64::from(self.window.contains(invoked));
    }

    pub fn deadlock(&mut self, invoked: SimTime) {
        self.deadlocks += u64::from(self.window.contains(invoked));
    }

    /// Participants in doubt (prepared, decision not yet received) went up
    /// or down by one.
    pub fn in_doubt(&mut self, up: bool) {
        if up {
            self.in_doubt += 1;
            self.in_doubt_peak = self.in_doubt_peak.max(self.in_doubt);
        } else {
            self.in_doubt -= 1;
        }
    }

    /// The report over the `offered` operations of the workload started in
    /// the window, with the network's `round_trips` and `messages` (by
    /// kind) charged to them.
    pub fn report<'a>(
        &self,
        offered: u64,
        round_trips: u64,
        messages: impl IntoIterator<Item = (&'a str, u64)>,
    ) -> CoordinationReport {
        let ops = offered.max(1) as f64;
        let by_kind: BTreeMap<String, u64> = messages
            .into_iter()
            .map(|(kind, n)| (kind.to_string(), n))
            .collect();
        let total = by_kind.values().sum();
        let mut per_operation =
            self.operations
                .over(offered, total, round_trips, self.transactional);
        per_operation.messages_by_kind = by_kind
            .into_iter()
            .map(|(kind, n)| (kind, round6(n as f64 / ops)))
            .collect();
        let t = |v: u64| self.transactional.then_some(v);
        CoordinationReport {
            per_operation: Some(per_operation),
            distributed_share: (self.transactional || self.distributed > 0)
                .then(|| round6(self.distributed as f64 / ops)),
            spanning_premium_ms: None,
            aborts_per_1000: self
                .transactional
                .then(|| round6(self.aborts as f64 * 1000.0 / ops)),
            aborts: t(self.aborts),
            retries: t(self.retries),
            deadlocks: t(self.deadlocks),
            in_doubt_peak: t(self.in_doubt_peak),
            per_transaction: self.transactions.means(),
        }
    }
}

/// Means per operation or per transaction. Figures an architecture does
/// not count are left out.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MeanCost {
    /// What the means are over. Per operation: the operations of the
    /// workload started in the window, whatever their outcome (the latency
    /// table's `count`: failed and timed-out ones cost messages too). Per
    /// transaction: the distributed transactions that committed.
    pub count: u64,
    /// Messages any component sent over the network: client legs, server
    /// legs, replication, pipeline deliveries, dual writes, quorum legs,
    /// Raft, two-phase commit, invalidations and fills. A leg of "0s" is a
    /// local call, not a message.
    pub messages: f64,
    /// `messages` by kind (`client`, `server`, `replication`, `pipeline`,
    /// `dual_write`, `quorum`, `raft`, `two_phase_commit`, `invalidation`,
    /// `fill`); kinds with none left out. Per operation only.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub messages_by_kind: BTreeMap<String, f64>,
    /// Records forced to a log (several may share one fsync): a primary's or
    /// shard's write-ahead log, the coordinator's log, Raft logs.
    pub forced_writes: f64,
    /// Forced writes the client waited for.
    pub critical_forced_writes: f64,
    /// Request–answer exchanges over the network that the client's answer
    /// waited for, one after another: the client's own requests (to a
    /// cache, a database, a shard, the directory, the coordinator, a
    /// partition's leader, a document's replicas) and those a server makes
    /// on its behalf before answering (a write-through cache to the
    /// coordinator, the coordinator to its shards, a leader to another
    /// partition's leader). Requests sent in parallel (a fan-out, a
    /// quorum) count once; exchanges nobody waits for (fills, replication,
    /// pipelines, two-phase commit's second phase) and local calls count
    /// none; a Raft round is a consensus round, not a round trip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_trips: Option<f64>,
    /// Rounds of a consensus protocol (Raft: one per entry committed at a
    /// majority); 0 for architectures without one (a quorum write of a
    /// leaderless store is not consensus: no order is agreed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consensus_rounds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_acquisitions: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_wait_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prepared_ms: Option<f64>,
}

/// `coordination` in the results: absent figures are not counted by the
/// architecture.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CoordinationReport {
    /// Per operation of the workload started in the window (offered:
    /// whatever became of it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_operation: Option<MeanCost>,
    /// Per distributed transaction that committed (2PC, or a transaction
    /// over several Raft groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_transaction: Option<MeanCost>,
    /// Share of operations (offered) that touched more than one shard or
    /// partition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distributed_share: Option<f64>,
    /// How much longer, in ms, an operation answered ok took on average
    /// when it touched more than one shard or partition than when it
    /// touched one (analytics queries apart): the latency premium of
    /// crossing parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spanning_premium_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aborts: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aborts_per_1000: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u64>,
    /// Cycles of transactions waiting for each other's locks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadlocks: Option<u64>,
    /// Most prepared participants waiting for a decision at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_doubt_peak: Option<u64>,
}

impl CoordinationReport {
    pub fn is_empty(&self) -> bool {
        *self == CoordinationReport::default()
    }
}

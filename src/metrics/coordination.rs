//! Coordination cost (ANOMALIES.md, "Coordination cost"): what keeping
//! copies and partitions consistent costs per operation — messages, round
//! trips on the critical path, forced log writes, consensus rounds, lock
//! acquisitions and waits, aborts and retries — and per distributed
//! transaction, where the classic counts apply (two-phase commit with
//! presumed abort over n updating participants: 4n messages, 2n + 1 forced
//! writes).
//!
//! Everything an operation causes is counted against it when the operation
//! started inside the measurement window, including work after its answer
//! (2PC's second phase, a write-behind flush, intent resolution).

use serde::{Deserialize, Serialize};

use super::{Window, round6};
use crate::sim::{OpId, SimDuration, SimTime};
use crate::workload::Operation;

/// What one operation or transaction cost; architectures fill one in as
/// their protocol runs and hand it to [`CoordinationCost`].
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

/// What each operation in flight costs on its own — its client legs, its
/// visits to caches and read models, the round trips it waits for — and
/// whether it touched more than one shard or partition, by operation id
/// (ids are reused: `begin` starts afresh).
#[derive(Clone, Debug, Default)]
pub struct OperationCosts {
    costs: Vec<(Cost, bool)>,
}

impl OperationCosts {
    /// Operation `op` starts.
    pub fn begin(&mut self, op: OpId) {
        let i = op.index();
        if i >= self.costs.len() {
            self.costs.resize(i + 1, (Cost::default(), false));
        }
        self.costs[i] = (Cost::default(), false);
    }

    pub fn cost(&mut self, op: OpId) -> &mut Cost {
        &mut self.costs[op.index()].0
    }

    /// Whether `op` touches more than one shard or partition.
    pub fn distributed(&mut self, op: OpId, yes: bool) {
        self.costs[op.index()].1 = yes;
    }

    /// The client has the answer to `op` (`o`): the operation is counted
    /// and its own cost charged (probe reads are not part of the workload
    /// and count for nothing).
    pub fn finish(&self, op: OpId, o: &Operation, into: &mut CoordinationCost) {
        let (cost, distributed) = &self.costs[op.index()];
        if o.kind.is_workload() {
            into.operation(o.start, *distributed);
            into.charge(o.start, cost);
        }
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

    fn means(&self) -> Option<MeanCost> {
        (self.count > 0).then(|| {
            let n = self.count as f64;
            MeanCost {
                count: self.count,
                messages: round6(self.messages as f64 / n),
                forced_writes: round6(self.forced_writes as f64 / n),
                critical_forced_writes: round6(self.critical_forced_writes as f64 / n),
                round_trips: Some(round6(self.round_trips as f64 / n)),
                consensus_rounds: Some(round6(self.consensus_rounds as f64 / n)),
                lock_acquisitions: Some(round6(self.lock_acquisitions as f64 / n)),
                lock_wait_ms: Some(round6(self.lock_wait_ns as f64 / n / 1e6)),
                prepared_ms: Some(round6(self.prepared_ns as f64 / n / 1e6)),
            }
        })
    }
}

/// Counts a run's coordination cost over the operations started in the
/// window.
#[derive(Clone, Debug)]
pub struct CoordinationCost {
    window: Window,
    operations: Totals,
    transactions: Totals,
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
            distributed: 0,
            aborts: 0,
            retries: 0,
            deadlocks: 0,
            in_doubt_peak: 0,
            in_doubt: 0,
        }
    }

    /// An operation invoked at `invoked` is answered; `distributed` when it
    /// touched more than one shard or partition.
    pub fn operation(&mut self, invoked: SimTime, distributed: bool) {
        if self.window.contains(invoked) {
            self.operations.count += 1;
            self.distributed += u64::from(distributed);
        }
    }

    /// Work done for an operation invoked at `invoked` (at any time, also
    /// after its answer).
    pub fn charge(&mut self, invoked: SimTime, cost: &Cost) {
        if self.window.contains(invoked) {
            self.operations.add(cost);
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

    pub fn report(&self) -> CoordinationReport {
        let ops = self.operations.count.max(1) as f64;
        CoordinationReport {
            per_operation: self.operations.means(),
            distributed_share: Some(round6(self.distributed as f64 / ops)),
            aborts_per_1000: Some(round6(self.aborts as f64 * 1000.0 / ops)),
            aborts: Some(self.aborts),
            retries: Some(self.retries),
            deadlocks: Some(self.deadlocks),
            in_doubt_peak: Some(self.in_doubt_peak),
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
    pub messages: f64,
    pub forced_writes: f64,
    pub critical_forced_writes: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_trips: Option<f64>,
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
    /// Per operation of the workload started in the window (offered, see
    /// [`CoordinationReport::per_offered`]).
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
    /// The cost of an architecture that coordinates nothing beyond its
    /// requests: `messages` sent over `begun` operations (all run long,
    /// probes and background work included), and `records` forced to logs
    /// for `operations` operations of the window.
    pub fn traffic(messages: u64, begun: u64, records: u64, operations: u64) -> Self {
        let per = |n: u64, d: u64| round6(n as f64 / d.max(1) as f64);
        CoordinationReport {
            per_operation: Some(MeanCost {
                count: operations,
                messages: per(messages, begun),
                forced_writes: per(records, operations),
                critical_forced_writes: per(records, operations),
                ..MeanCost::default()
            }),
            ..CoordinationReport::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == CoordinationReport::default()
    }

    /// The same cost per operation *offered*: over the `offered` operations
    /// of the workload started in the window, whatever their outcome (the
    /// latency table's `count`), rather than over the operations the
    /// architecture counted (answers, or attempts — a retry is one more, a
    /// timed-out operation answered late is one, one never answered none).
    /// Totals are kept; only the base changes, so under faults and timeouts
    /// `per_operation.count` is the operations offered.
    pub fn per_offered(mut self, offered: u64) -> Self {
        let Some(m) = &mut self.per_operation else {
            return self;
        };
        if m.count == offered || offered == 0 {
            return self;
        }
        let f = m.count as f64 / offered as f64;
        let s = |v: f64| round6(v * f);
        m.count = offered;
        m.messages = s(m.messages);
        m.forced_writes = s(m.forced_writes);
        m.critical_forced_writes = s(m.critical_forced_writes);
        for v in [
            &mut m.round_trips,
            &mut m.consensus_rounds,
            &mut m.lock_acquisitions,
            &mut m.lock_wait_ms,
            &mut m.prepared_ms,
        ] {
            *v = v.map(s);
        }
        self.distributed_share = self.distributed_share.map(s);
        self.aborts_per_1000 = self.aborts_per_1000.map(s);
        self
    }
}

//! Measurements of one run: latency per operation kind, throughput, and
//! time-weighted averages for components.

mod buckets;
mod business;
mod coordination;
mod latency;
mod mser;
mod series;
mod time_average;
mod trend;

pub use business::{Business, BusinessReport};
pub use coordination::{CoordinationCost, CoordinationReport, Cost, MeanCost};
pub use latency::{LatencyRecorder, LatencySummary, Quantile, round6, thousands};
pub use mser::BatchMeans;
pub use series::{Series, Timeline, window_length};
pub use time_average::TimeAverage;
pub use trend::{HIT_RATIO_TOLERANCE, LAG_FLOOR_MS, LAG_GROWTH, Trend, TrendKind};

pub use crate::sim::Window;
use crate::sim::{Request as _, SimDuration, SimTime, TIMEOUT_CLASSES};
use crate::workload::{ClientPolicy, OpKind, Operation};

/// How an operation ended for its client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// The system answered with an error.
    Failed,
    /// Still in flight when the run stopped.
    Unfinished,
    /// The client gave up after its timeout and retries.
    TimedOut,
}

/// Records every operation's outcome and latency, per operation kind; the
/// figures over all kinds are merged from those on demand.
#[derive(Clone, Debug)]
pub struct Recorder {
    window: Window,
    by_kind: Vec<LatencyRecorder>,
    /// Operations answered ok inside the window (whenever they started).
    completed_in_window: u64,
    /// Batch means of the workload's completions, for an automatic warm-up.
    batches: Option<BatchMeans>,
    /// The run over time.
    timeline: Timeline,
    /// Workload operations that failed, timed out or never finished, by
    /// the time-series window they were invoked in, warm-up included (for
    /// the fault report).
    failed_by_start: Vec<u64>,
    /// Per timeout class, the client's whole wait for an operation: its
    /// timeout × its attempts (`None`: clients wait as long as it takes).
    /// An operation not answered ok counts at it in the percentiles.
    patience: [Option<SimDuration>; TIMEOUT_CLASSES],
}

impl crate::sim::Outcomes for Recorder {
    type Op = Operation;
    type Outcome = Outcome;
    const TIMED_OUT: Outcome = Outcome::TimedOut;
    const UNFINISHED: Outcome = Outcome::Unfinished;

    #[inline]
    fn record(&mut self, op: &Operation, at: SimTime, outcome: Outcome) {
        Recorder::record(self, op, at, outcome);
    }

    fn window(&self) -> Window {
        self.window
    }
}

impl Recorder {
    /// A recorder of the operations of `window`, whose clients wait as
    /// `policy` says.
    pub fn new(window: Window, policy: ClientPolicy) -> Recorder {
        let attempts = u64::from(policy.retries) + 1;
        let whole =
            |t: Option<SimDuration>| t.map(|t| SimDuration(t.as_nanos().saturating_mul(attempts)));
        let patience: crate::sim::Patience = policy.into();
        let patience = patience.timeouts.map(whole);
        Recorder {
            window,
            by_kind: (0..OpKind::COUNT).map(|_| LatencyRecorder::new()).collect(),
            completed_in_window: 0,
            batches: None,
            timeline: Timeline::new(window.end, patience[0]),
            failed_by_start: Vec::new(),
            patience,
        }
    }

    /// Workload operations that did not end ok, by the time-series window
    /// they were invoked in (warm-up included).
    pub fn failed_by_start(&self) -> &[u64] {
        &self.failed_by_start
    }

    /// Also keeps batch means of every completion (see [`BatchMeans`]).
    pub fn with_batches(mut self) -> Recorder {
        self.batches = Some(BatchMeans::default());
        self
    }

    pub fn batches(&self) -> Option<&BatchMeans> {
        self.batches.as_ref()
    }

    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    pub fn window(&self) -> Window {
        self.window
    }

    #[inline]
    pub fn record(&mut self, op: &Operation, now: SimTime, outcome: Outcome) {
        let mut latency = now - op.start;
        if outcome != Outcome::Ok {
            // Not answered ok: it counts at the client's whole wait (a
            // timeout is there already; an error came sooner, but the
            // operation did not succeed within it either).
            if let Some(whole) = self.patience[op.timeout_class()] {
                latency = latency.max(whole);
            }
        }
        if op.kind.is_workload() && outcome != Outcome::Ok {
            let i =
                (op.start.as_nanos() / self.timeline.window_length().as_nanos().max(1)) as usize;
            if i >= self.failed_by_start.len() {
                self.failed_by_start.resize(i + 1, 0);
            }
            self.failed_by_start[i] += 1;
        }
        if op.kind.is_workload() && outcome != Outcome::Unfinished {
            let ok = outcome == Outcome::Ok;
            self.completed_in_window += u64::from(ok && self.window.contains(now));
            self.timeline.record(now, latency, ok);
            if let (true, Some(b)) = (ok, &mut self.batches) {
                b.record(now, latency);
            }
        }
        if self.window.contains(op.start) {
            self.by_kind[op.kind.index()].record(latency, outcome);
        }
    }

    /// How much longer, in ms, an operation (analytics queries apart)
    /// answered ok took on average when its work touched more than one
    /// part (shard, partition) than when it touched one, given `spanning`:
    /// how many of this recorder's ok operations touched several parts and
    /// their latencies' sum in ns. The latency premium of crossing parts;
    /// `None` unless both were answered in the window.
    pub fn spanning_premium_ms(&self, spanning: (u64, u128)) -> Option<f64> {
        let all = self.all();
        let analytics = self.kind(OpKind::Analytics);
        let (n, sum) = spanning;
        let rest_n = all.count().checked_sub(analytics.count() + n)?;
        let rest_sum = all.sum_ns().checked_sub(analytics.sum_ns() + sum)?;
        (n > 0 && rest_n > 0)
            .then(|| (sum as f64 / n as f64 - rest_sum as f64 / rest_n as f64) / 1e6)
    }

    /// Successful operations of the workload per second of measured time.
    pub fn throughput_per_s(&self) -> f64 {
        self.completed_in_window as f64 / self.window.length().as_secs_f64()
    }

    /// Operations of the workload started in the window per second of it,
    /// whatever their outcome: the load offered.
    pub fn offered_ops_per_s(&self) -> f64 {
        self.all().total() as f64 / self.window.length().as_secs_f64()
    }

    /// Operations of the workload started in the window and answered ok
    /// (within the client's timeout, or it would have given up), per second
    /// of the window.
    pub fn goodput_ops_per_s(&self) -> f64 {
        self.all().count() as f64 / self.window.length().as_secs_f64()
    }

    /// Share of the operations started in the window that were not answered
    /// ok (errors, timeouts, unfinished): the client saw no answer to check,
    /// so the oracle could not check their reads. 0 when none started.
    pub fn unchecked_share(&self) -> f64 {
        let all = self.all();
        if all.total() == 0 {
            0.0
        } else {
            all.failed() as f64 / all.total() as f64
        }
    }

    /// All kinds of the workload together (probes apart).
    pub fn all(&self) -> LatencyRecorder {
        let mut all = LatencyRecorder::new();
        for kind in OpKind::ALL.into_iter().filter(|k| k.is_workload()) {
            all.merge(&self.by_kind[kind.index()]);
        }
        all
    }

    pub fn kind(&self, kind: OpKind) -> &LatencyRecorder {
        &self.by_kind[kind.index()]
    }
}

/// What results report about one component (a station, a cache, a replica).
/// Absent figures are left out of the JSON.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ComponentStats {
    /// Busy share of the component's servers over the window, 0..1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utilization: Option<f64>,
    /// Time-average number of jobs waiting for a server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_queue: Option<f64>,
    /// Time-average number of jobs waiting or in service (L in Little's law).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_in_system: Option<f64>,
    /// Jobs completed per second of the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput_per_s: Option<f64>,
    /// Cache: hits / lookups in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hit_ratio: Option<f64>,
    /// Cache: lookups that hit, in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hits: Option<u64>,
    /// Cache: lookups that missed (absent or expired), in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub misses: Option<u64>,
    /// Cache: fills in the window that installed a version older than one
    /// whose writer's invalidation had already reached the cache (stale
    /// sets: the reader-fills-old-value race), left stale until the TTL or
    /// the key's next write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_sets: Option<u64>,
    /// Cache under leases: fills refused in the window, their token voided
    /// by a writer's invalidation, that would have been stale sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_sets_refused: Option<u64>,
    /// Cache under leases: lookups in the window that missed while another
    /// reader held the key's lease token, told to wait and look again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hot_misses: Option<u64>,
    /// Cache under leases: reads in the window that waited out a hot miss
    /// and then hit — a database read saved each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_reads_saved: Option<u64>,
    /// One application server's in-process cache (`cache.app_servers` > 1):
    /// stale reads it served in the window, as the oracle counted them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_reads: Option<u64>,
    /// Database: forced log writes (fsyncs) in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forced_writes: Option<u64>,
    /// Database: commits sharing one forced write (group commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commits_per_forced_write: Option<f64>,
    /// System of record: writes in the window that waited for another
    /// write's row lock (a hot row's writers queue on its log flush).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_waits: Option<u64>,
    /// System of record: their mean wait for the lock, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_wait_mean_ms: Option<f64>,
    /// Copy: writes committed in the window and applied at the copy — what
    /// the lag figures are over (0: none delivered, and no lag figures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag_writes: Option<u64>,
    /// Copy: mean visibility lag (apply − commit) of writes committed in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag_mean_ms: Option<f64>,
    /// Copy: 99th percentile of the visibility lag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag_p99_ms: Option<f64>,
    /// Copy fed by a CDC connector: how much faster the connector's backlog
    /// grew than it drained over the last half of the window, as a share of
    /// the changes handed to it per second (0: it keeps up; 0.2: a fifth of
    /// every second's changes stay behind, and the lag grows without bound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backlog_growth: Option<f64>,
    /// Router: mean number of shards a `multi_get` or `transfer` touches
    /// (`analytics` and `search` always touch every shard).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fanout_mean: Option<f64>,
    /// Router: share of `multi_get`s and `transfer`s that touch more than
    /// one shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_shard_share: Option<f64>,
}

impl ComponentStats {
    /// Sets the visibility-lag figures from a copy's lag recorder; with
    /// nothing delivered, no lag figures (not 0 ms) and `lag_writes` 0.
    pub fn set_lag(&mut self, lag: &LatencyRecorder) {
        self.lag_writes = Some(lag.count());
        if lag.count() > 0 {
            self.lag_mean_ms = Some(round6(lag.mean_ns() / 1e6));
            self.lag_p99_ms = Some(round6(lag.quantile_ns(0.99) as f64 / 1e6));
        }
    }

    /// The same figures rounded to 6 decimals for stable output.
    pub fn rounded(&self) -> ComponentStats {
        let r = |v: Option<f64>| v.map(latency::round6);
        ComponentStats {
            utilization: r(self.utilization),
            mean_queue: r(self.mean_queue),
            mean_in_system: r(self.mean_in_system),
            throughput_per_s: r(self.throughput_per_s),
            hit_ratio: r(self.hit_ratio),
            commits_per_forced_write: r(self.commits_per_forced_write),
            lag_mean_ms: r(self.lag_mean_ms),
            lag_p99_ms: r(self.lag_p99_ms),
            backlog_growth: r(self.backlog_growth),
            fanout_mean: r(self.fanout_mean),
            cross_shard_share: r(self.cross_shard_share),
            ..self.clone()
        }
    }
}

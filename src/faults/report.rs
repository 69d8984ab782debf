//! What each fault did, for results and the review report.

use serde::{Deserialize, Serialize};

use crate::metrics::Series;
use crate::sim::{SimDuration, SimTime};

use super::Fault;

/// What an architecture saw of one fault, filled in as the run goes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Effect {
    /// Acknowledged writes the fault destroyed (failover, write-behind).
    pub lost_writes: u64,
    /// Transactions that were in doubt (prepared, holding their locks,
    /// waiting for a decision) while the fault lasted, and the longest
    /// such wait, in ns.
    pub in_doubt: u64,
    pub in_doubt_max: SimDuration,
    /// When a replica or a new leader took over.
    pub takeover: Option<SimTime>,
    /// What the architecture did, in its own words ("replica 1 promoted").
    pub notes: Vec<String>,
    /// Each leader election the fault caused, in the order they began.
    pub failovers: Vec<Failover>,
    /// A reshard's migration, as it stood at the end of the run.
    pub migration: Option<Migration>,
    /// A schema change's rollout, once every consumer is deployed.
    pub schema_change: Option<SchemaRollout>,
}

/// A schema change (`kind = "schema_change"`): the migration at the source
/// and, per derived store fed by a pipeline, its window and what it held
/// or dropped.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SchemaRollout {
    /// "stall" or "reject" (`downstream`).
    pub downstream: String,
    /// The source's migration: its service-time multiplier, and how long
    /// it ran, in s (the fault's `for`).
    pub source_factor: f64,
    pub source_s: f64,
    /// The derived stores fed by a pipeline, in the architecture's order;
    /// none when the change is online in one system (a colocated cluster)
    /// or every copy replays it from the log (physical replicas).
    pub stores: Vec<StoreWindow>,
}

/// One derived store under a schema change.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StoreWindow {
    /// The store its pipeline feeds: "search", "warehouse", "cache", "read_model".
    pub store: String,
    /// From the change at the source to its consumer's deploy, in s.
    pub window_s: f64,
    /// Changes written at the source in the window: held until the deploy
    /// (stall), or dropped at the store (reject).
    pub lagged: u64,
    pub rejected: u64,
    /// Stall: from the first change held to the deploy, in s — the longest
    /// a change waited beyond its usual lag.
    pub held_max_s: f64,
    /// Whether the store lacks changes only a backfill from the source
    /// restores (it rejected some).
    pub needs_backfill: bool,
}

/// A reshard's migration (`kind = "reshard"`): what moved, how long it
/// took, what it cost the shards and the clients.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Migration {
    pub from_shards: u32,
    pub to_shards: u32,
    /// Keys whose owner changed, of the keys the shards hold, and their share.
    pub keys_moved: u64,
    pub keys_on_shards: u64,
    pub moved_share: f64,
    /// Keys landed at their new owner by the end of the run.
    pub keys_landed: u64,
    /// From the reshard to the last key landed, in s; none: unfinished at
    /// the end of the run.
    pub migration_s: Option<f64>,
    /// CPU the copies took at the old owners and at the new ones, in s.
    pub copy_cpu_s_old: f64,
    pub copy_cpu_s_new: f64,
    /// Writes committed at an old owner after their key's copy began,
    /// copied again.
    pub recopied: u64,
    /// Requests held at the client until a key in flight landed, and how
    /// long they waited, in ms.
    pub waited: u64,
    pub wait_mean_ms: f64,
    pub wait_max_ms: f64,
}

/// One leader election after a leader was lost: how long the group had no
/// leader, how long it did not serve, and how many rounds it took.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Failover {
    /// Whose leader was lost: "partition 0".
    pub who: String,
    /// From the loss until a new leader was elected, in ms: detection (the
    /// followers' election timeouts since they last heard from the leader)
    /// and every election round. None: no leader was elected (no majority
    /// up, or split votes without end).
    pub elected_ms: Option<f64>,
    /// From the loss until the new leader serves, in ms: the election, or
    /// the old leader's lease if that runs out later.
    pub downtime_ms: Option<f64>,
    /// Terms in which a follower stood as a candidate.
    pub rounds: u32,
    /// Of those, terms no candidate won (split votes).
    pub split_votes: u32,
}

impl Effect {
    /// A replica took over now after a failover that lost `lost`
    /// acknowledged writes; `who` names it ("replica_1", "shard 2's replica 1").
    pub fn promoted(&mut self, now: SimTime, lost: u64, who: &str, after: SimDuration) {
        self.lost_writes += lost;
        self.takeover = Some(now);
        self.notes.push(format!(
            "{who} promoted after {after}: {lost} acknowledged writes it had not applied are lost"
        ));
    }
}

/// Per fault of the scenario, in its order.
#[derive(Clone, Debug, Default)]
pub struct Effects(pub Vec<Effect>);

impl Effects {
    pub fn new(faults: usize) -> Effects {
        Effects(vec![Effect::default(); faults])
    }

    pub fn get(&mut self, fault: usize) -> &mut Effect {
        &mut self.0[fault]
    }
}

/// One fault in the results: when, and what it did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultReport {
    /// "crash of primary at 30s for 10s".
    pub fault: String,
    /// From and to, in seconds from the start of the run (to: the end of
    /// the run when the fault never ends).
    pub from_s: f64,
    pub to_s: f64,
    /// What follows counts the time-series windows from the fault's start
    /// to `until_s`: one fault length (at least one window) after its end,
    /// or the first window after its end without failures if later — the
    /// fault and the recovery that follows it.
    #[serde(default)]
    pub until_s: f64,
    /// Operations invoked then that failed, timed out or never finished
    /// (for a fault that never ends, every one invoked after it began),
    /// warm-up included: a fault in the warm-up is reported whole, though
    /// the latency table counts the measured window only.
    pub failed: u64,
    /// The highest per-window p99 then, and the median of the per-window
    /// p99s before the fault began, in ms; operations that failed or timed
    /// out count in them at the client's whole wait (the series'
    /// `timeout_ms`: a p99 there is a lower bound, "≥"), so a fault during
    /// which nothing succeeds cannot show a shorter tail than before it.
    pub p99_ms: f64,
    pub p99_before_ms: f64,
    /// Anomalies of operations invoked then, and as many as the same
    /// windows would have had at the rate before the fault (an
    /// architecture with stale copies has some anyway).
    pub anomalies: u64,
    #[serde(default)]
    pub anomalies_before_rate: u64,
    /// Acknowledged writes this fault destroyed in the measured window: those
    /// its takeover rolled back (a replica promoted without them) or a crashed
    /// write-behind cache had not flushed. The rows' sum is the run's
    /// `anomalies.lost_write` when every loss comes from a takeover or a
    /// crash; the run's count also has the writes found missing only at the
    /// end of the run (acknowledged versions the final system of record
    /// lacks, which no fault's takeover rolled back). Losses in the warm-up
    /// count in neither.
    pub lost_writes: u64,
    pub in_doubt: u64,
    pub in_doubt_max_s: f64,
    /// When a replica or a new leader took over, in seconds from the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub takeover_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The leader elections it caused (colocated Raft groups), each with
    /// its downtime and rounds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failovers: Vec<Failover>,
    /// A reshard's migration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration: Option<Migration>,
    /// A schema change's rollout: the source's migration, and each derived
    /// store's window and the changes it lagged or rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_change: Option<SchemaRollout>,
}

/// The results' view of each fault, from the run's time series, the
/// operations that did not end ok by the window they were invoked in
/// (`failed_by_start`: so `failed` counts like the latency table, by start,
/// failures after the run's end included), and the architecture's effects.
///
/// A fault's span runs from its start to one fault length (at least one
/// window) after its end, or further, to the first window after its end
/// without failures, and at least to the takeover it reports: a takeover
/// after a lease, a queue that drains, are part of what the fault did.
pub fn report(
    faults: &[Fault],
    effects: &Effects,
    series: &Series,
    failed_by_start: &[u64],
    end: SimTime,
) -> Vec<FaultReport> {
    let r6 = crate::metrics::round6;
    let w = series.window_s.max(1e-9);
    let n = series.p99_ms.len();
    let index = |t: f64| ((t / w).floor() as usize).min(n.saturating_sub(1));
    let failed_at = |i: usize| failed_by_start.get(i).copied().unwrap_or(0);
    faults
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let from = f.begins().as_nanos() as f64 / 1e9;
            let to = (f.ends().unwrap_or(end).min(end).as_nanos() as f64 / 1e9).max(from);
            let a = index(from);
            // Calm: no more failures than before the fault (a system that
            // was failing already does not become the fault's doing).
            let before_failed = failed_by_start.get(1.min(a)..a).unwrap_or(&[]);
            let usual = if before_failed.is_empty() {
                0
            } else {
                let mean = before_failed.iter().sum::<u64>() as f64 / before_failed.len() as f64;
                (mean * 1.2).ceil() as u64
            };
            let calm = (index(to)..n)
                .find(|&j| failed_at(j) <= usual && (usual > 0 || series.errors[j] == 0))
                .unwrap_or(n.saturating_sub(1));
            // Up to the next fault's start at most: each row is its own.
            let next = faults
                .iter()
                .map(|g| g.begins().as_nanos() as f64 / 1e9)
                .filter(|&b| b > from)
                .map(|b| index(b).saturating_sub(1).max(a))
                .min()
                .unwrap_or(usize::MAX);
            let mut e = effects.0.get(i).cloned().unwrap_or_default();
            // A takeover scheduled past the end (a leader never elected)
            // did not happen in this run.
            if e.takeover.is_some_and(|t| t > end) {
                e.takeover = None;
                e.notes
                    .push("no takeover before the end of the run".to_string());
            }
            // The row runs at least to the takeover it reports.
            let taken_over = e.takeover.map_or(a, |t| index(t.as_nanos() as f64 / 1e9));
            let recovery = index(to + (to - from).max(w))
                .max(calm)
                .max(taken_over)
                .min(next);
            let span =
                |v: &[u64], x: usize, y: usize| -> u64 { v.iter().skip(x).take(y + 1 - x).sum() };
            let p99 = series
                .p99_ms
                .iter()
                .skip(a)
                .take(recovery + 1 - a)
                .fold(0.0, |m: f64, v| m.max(*v));
            let mut before: Vec<f64> = series.p99_ms[..a.min(n)]
                .iter()
                .copied()
                .filter(|v| *v > 0.0)
                .collect();
            before.sort_by(f64::total_cmp);
            // The windows before the fault, but the first.
            let earlier = &series.anomalies[1.min(a)..a.min(n)];
            let before_rate = if earlier.is_empty() {
                0
            } else {
                let per_window = earlier.iter().sum::<u64>() as f64 / earlier.len() as f64;
                (per_window * (recovery + 1 - a) as f64).round() as u64
            };
            // A fault that never ends owns every failure after it began.
            let last = if f.ends().is_none() && next == usize::MAX {
                failed_by_start.len().max(recovery + 1) - 1
            } else {
                recovery
            };
            FaultReport {
                fault: f.describe(),
                from_s: r6(from),
                to_s: r6(to),
                until_s: r6(((recovery + 1) as f64 * w).min(end.as_nanos() as f64 / 1e9)),
                failed: (a..=last).map(failed_at).sum(),
                p99_ms: r6(p99),
                p99_before_ms: before.get(before.len() / 2).copied().unwrap_or(0.0),
                anomalies: if n == 0 {
                    0
                } else {
                    span(&series.anomalies, a, recovery)
                },
                anomalies_before_rate: before_rate,
                lost_writes: e.lost_writes,
                in_doubt: e.in_doubt,
                in_doubt_max_s: r6(e.in_doubt_max.as_secs_f64()),
                takeover_s: e.takeover.map(|t| r6(t.as_nanos() as f64 / 1e9)),
                notes: e.notes,
                failovers: e.failovers,
                migration: e.migration,
                schema_change: e.schema_change,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_takeover_that_never_came_is_said_so() {
        let fault: Fault =
            toml::from_str("at = \"2s\"\nfor = \"1s\"\nkind = \"crash\"\ntarget = \"primary\"")
                .unwrap();
        let mut effects = Effects::new(1);
        effects.get(0).takeover = Some(crate::sim::FOREVER);
        let series = Series {
            window_s: 1.0,
            throughput_per_s: vec![1.0; 10],
            p99_ms: vec![1.0; 10],
            errors: vec![0; 10],
            anomalies: vec![0; 10],
            timeout_ms: None,
        };
        let end = SimTime::ZERO + SimDuration::from_secs(10);
        let rows = report(&[fault], &effects, &series, &[0; 10], end);
        assert_eq!(rows[0].takeover_s, None);
        assert_eq!(rows[0].notes, ["no takeover before the end of the run"]);
    }
}

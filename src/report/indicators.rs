//! The stage indicators: the signs, read off a run, that an architecture is
//! leaving the load it was built for — what tells a team it is time for the
//! next stage. Each run carries them as figures ([`Indicator`]: the value,
//! its threshold, whether it fired), in `results.json`; the review lists
//! where each first fires. Where none fires, the current design is still
//! earning its keep.
//!
//! | indicator | fires when |
//! |---|---|
//! | database CPU | a database server (`db`, `shard_*`, `node_*`) is busy more than 80 % of the window, or the run saturated with one as its busiest component |
//! | hit ratio falling | a cache's hit ratio is 5 points or more below its hit ratio at the first point of the sweep (runs stopped as saturated left out: their figures cover only the time before the stop) — more keys, a bigger working set, the same cache |
//! | replica lag | a read replica's p99 visibility lag exceeds the SLO's freshness budget for it, or 1 s without one |
//! | sync lag | a copy kept in step by a pipeline (a CDC-fed cache, a read model, a session store) lags more than its freshness budget, or 1 s, at p99 — or receives none of the writes |
//! | sync backlog growing | a CDC connector's backlog grew over the last half of the window by more than 5 % of the changes handed to it (it drains less than 95 % of what it is given: the copy's lag grows without bound, whatever its p99 in a short run) |
//! | cross-shard share | more than 10 % of operations touch more than one shard or partition (reported with the latency premium of those that do: how much longer they take, on average, than the operations on one part) |
//! | hot rows | writers at a system of record wait more than 10 ms on average for a row lock (a hot row queues on its log flush before any server is busy) |
//! | coordinator utilisation | the transaction coordinator is busy more than 70 % of the window |
//!
//! 80 % is where an M/M/c database's queueing delay starts to dominate its
//! latency (the knee of 1/(1 − ρ)); a coordinator sits on every
//! transaction's path, so it warns earlier. A search index and a warehouse
//! publish at their refresh and load intervals by design, so they are judged
//! only against a freshness budget the SLO sets for them, never the 1 s
//! default.

use super::RunResult;
use crate::arch::{Indicator, IndicatorKind};
use crate::scenario::Slo;

/// Database CPU above which the indicator fires (utilization, 0..1).
pub const DATABASE_CPU: f64 = 0.8;
/// Coordinator utilization above which the indicator fires.
pub const COORDINATOR: f64 = 0.7;
/// Share of operations touching several shards above which it fires.
pub const CROSS_SHARD: f64 = 0.10;
/// A copy's p99 lag, in ms, above which it fires when the SLO sets no
/// freshness budget for it.
pub const LAG_MS: f64 = 1000.0;
/// Mean row-lock wait, in ms, above which the hot-rows indicator fires.
pub const LOCK_WAIT_MS: f64 = 10.0;
/// Drop of a cache's hit ratio across a sweep that fires it (points, 0..1).
pub const HIT_RATIO_DROP: f64 = 0.05;
/// Growth of a CDC connector's backlog, as a share of the changes handed to
/// it per second, above which it fires. Below it the growth measured over
/// half a short window is within the noise of the connector's poll cycles.
pub const SYNC_BACKLOG: f64 = 0.05;

fn is_database(component: &str) -> bool {
    component == "db" || component.starts_with("shard_") || component.starts_with("node_")
}

/// Copies whose lag is a publication interval by design.
pub fn is_periodic(copy: &str) -> bool {
    copy.starts_with("search") || copy.starts_with("warehouse")
}

/// The lag budget of `copy` in ms: the SLO's freshness budget covering it,
/// else [`LAG_MS`] (none for a copy that publishes periodically).
fn lag_budget_ms(copy: &str, slo: &Slo) -> Option<f64> {
    match slo.freshness.iter().find(|b| b.covers(copy)) {
        Some(b) => Some(b.limit.as_millis_f64()),
        None if is_periodic(copy) => None,
        None => Some(LAG_MS),
    }
}

/// Whether `r` committed writes in its window that some copy or log saw.
fn wrote(r: &RunResult) -> bool {
    r.visibility.lag_ms.values().any(|l| l.writes > 0)
        || r.components
            .values()
            .any(|c| c.forced_writes.unwrap_or(0) > 0)
}

fn indicator(
    indicator: IndicatorKind,
    of: Option<&str>,
    value: Option<f64>,
    unit: &str,
    threshold: Option<f64>,
    fired: bool,
) -> Indicator {
    Indicator {
        indicator,
        of: of.map(str::to_string),
        value,
        unit: unit.to_string(),
        threshold,
        fired,
        note: None,
    }
}

/// The stage indicators of run `r` under `slo`. `baseline` is the first
/// run of the same architecture and replication in the sweep that was not
/// stopped as saturated, against which a hit ratio is judged (none for
/// that run itself, or without a sweep).
pub fn of_run(r: &RunResult, slo: &Slo, baseline: Option<&RunResult>) -> Vec<Indicator> {
    let mut out = Vec::new();
    let busiest_db = r.busiest.as_ref().filter(|b| is_database(&b.name));
    let databases = r
        .components
        .iter()
        .filter(|(n, _)| is_database(n))
        .filter_map(|(n, c)| c.utilization.map(|u| (n.as_str(), u)));
    let hottest = match (&r.saturated, busiest_db) {
        (Some(_), Some(b)) => Some((b.name.as_str(), b.utilization)),
        _ => databases.max_by(|a, b| a.1.total_cmp(&b.1)),
    };
    if let Some((name, u)) = hottest {
        let saturated = r.saturated.is_some() && busiest_db.is_some();
        let mut i = indicator(
            IndicatorKind::DatabaseCpu,
            Some(name),
            Some(u),
            "share",
            Some(DATABASE_CPU),
            saturated || u > DATABASE_CPU,
        );
        i.note = saturated.then(|| "the run saturated with it the busiest".to_string());
        out.push(i);
    }
    let baseline = baseline.filter(|b| !std::ptr::eq(*b, r) && r.saturated.is_none());
    for (name, c) in &r.components {
        let Some(h) = c.hit_ratio else { continue };
        let from = baseline.and_then(|b| b.components.get(name)?.hit_ratio);
        let mut i = indicator(
            IndicatorKind::HitRatio,
            Some(name),
            Some(h),
            "share",
            from.map(|f| f - HIT_RATIO_DROP),
            from.is_some_and(|f| f - h >= HIT_RATIO_DROP),
        );
        i.note = from.map(|f| format!("{:.1} % at the first point", f * 100.0));
        out.push(i);
    }
    for (copy, lag) in &r.visibility.lag_ms {
        let kind = if copy.starts_with("replica") {
            IndicatorKind::ReplicaLag
        } else {
            IndicatorKind::SyncLag
        };
        let budget = lag_budget_ms(copy, slo);
        let starved = lag.none_delivered() && wrote(r);
        let value = (!lag.none_delivered()).then_some(lag.p99_ms);
        let fired = budget.is_some() && (starved || value.zip(budget).is_some_and(|(v, b)| v > b));
        let mut i = indicator(kind, Some(copy), value, "ms", budget, fired);
        i.note = starved.then(|| "received none of the writes".to_string());
        out.push(i);
    }
    for (name, c) in &r.components {
        let Some(g) = c.backlog_growth else { continue };
        out.push(indicator(
            IndicatorKind::SyncBacklog,
            Some(name),
            Some(g),
            "share",
            Some(SYNC_BACKLOG),
            g > SYNC_BACKLOG,
        ));
    }
    let waits = r
        .components
        .iter()
        .filter_map(|(n, c)| Some((n.as_str(), c.lock_wait_mean_ms?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(n, w)| (Some(n), w))
        .or_else(|| {
            // Lock tables that span places (a coordinator's, a colocated
            // store's) report their waits per operation.
            let c = r.coordination.per_operation.as_ref()?;
            Some((
                None,
                c.lock_wait_ms? / c.lock_acquisitions.filter(|n| *n > 0.0)?,
            ))
        });
    if let Some((of, w)) = waits {
        out.push(indicator(
            IndicatorKind::HotRows,
            of,
            Some(w),
            "ms",
            Some(LOCK_WAIT_MS),
            w > LOCK_WAIT_MS,
        ));
    }
    if let Some(share) = r.coordination.distributed_share {
        let mut i = indicator(
            IndicatorKind::CrossShard,
            None,
            Some(share),
            "share",
            Some(CROSS_SHARD),
            share > CROSS_SHARD,
        );
        i.note = r
            .coordination
            .spanning_premium_ms
            .map(|p| format!("{p:.2} ms longer on average than the operations on one part"));
        out.push(i);
    }
    if let Some(u) = r.components.get("coordinator").and_then(|c| c.utilization) {
        out.push(indicator(
            IndicatorKind::Coordinator,
            Some("coordinator"),
            Some(u),
            "share",
            Some(COORDINATOR),
            u > COORDINATOR,
        ));
    }
    out
}

/// Fills in every run's indicators; `runs` in scenario order (sweep points
/// slowest), so each architecture's first unsaturated run is its baseline.
pub fn attach(runs: &mut [RunResult], slo: &Slo) {
    let baselines: Vec<Option<usize>> = (0..runs.len())
        .map(|i| {
            runs.iter().position(|b| {
                b.architecture == runs[i].architecture
                    && b.replication == runs[i].replication
                    && b.saturated.is_none()
            })
        })
        .collect();
    let all: Vec<Vec<Indicator>> = runs
        .iter()
        .zip(&baselines)
        .map(|(r, b)| of_run(r, slo, b.map(|b| &runs[b])))
        .collect();
    for (r, indicators) in runs.iter_mut().zip(all) {
        r.indicators = indicators;
    }
}

/// What a fired indicator says, with its numbers.
fn phrase(i: &Indicator) -> String {
    let of = i.of.as_deref().unwrap_or_default();
    let v = i.value.unwrap_or_default();
    match i.indicator {
        IndicatorKind::DatabaseCpu if i.note.is_some() => {
            format!("database CPU: `{of}` saturated")
        }
        IndicatorKind::DatabaseCpu => format!("database CPU: `{of}` at {:.0} %", v * 100.0),
        IndicatorKind::HitRatio => format!(
            "hit ratio falling: `{of}` from {:.1} % to {:.1} %",
            (i.threshold.unwrap_or_default() + HIT_RATIO_DROP) * 100.0,
            v * 100.0
        ),
        IndicatorKind::ReplicaLag | IndicatorKind::SyncLag => {
            let what = if i.indicator == IndicatorKind::ReplicaLag {
                "replica lag"
            } else {
                "sync lag"
            };
            match i.value {
                None => format!("{what}: `{of}` received none of the writes"),
                Some(p99) => format!(
                    "{what}: `{of}` at p99 {p99:.0} ms (budget {:.0} ms)",
                    i.threshold.unwrap_or_default()
                ),
            }
        }
        IndicatorKind::SyncBacklog => format!(
            "sync backlog growing: the connector feeding `{of}` falls behind by {:.0} % of \
             its changes",
            v * 100.0
        ),
        IndicatorKind::HotRows if i.of.is_some() => {
            format!("hot rows: writers at `{of}` wait {v:.0} ms for a row lock")
        }
        IndicatorKind::HotRows => {
            format!("hot rows: a lock waits {v:.0} ms on average before it is granted")
        }
        IndicatorKind::CrossShard => {
            let premium = match &i.note {
                Some(n) => format!(", {n}"),
                None => String::new(),
            };
            format!(
                "cross-shard share: {:.1} % of operations{premium}",
                v * 100.0
            )
        }
        IndicatorKind::Coordinator => format!("coordinator utilisation: {:.0} %", v * 100.0),
    }
}

/// The indicators that fire on one architecture's runs (replication 0, in
/// sweep order), each a phrase with its numbers and where it fired first
/// (`at` names a run's point): one per kind, a hit ratio and a lag per
/// cache and copy.
pub fn firing(runs: &[&RunResult], at: &dyn Fn(&RunResult) -> String) -> Vec<String> {
    let mut seen: Vec<(IndicatorKind, Option<&str>, String)> = Vec::new();
    for r in runs {
        for i in r.indicators.iter().filter(|i| i.fired) {
            let per_subject = matches!(
                i.indicator,
                IndicatorKind::HitRatio
                    | IndicatorKind::ReplicaLag
                    | IndicatorKind::SyncLag
                    | IndicatorKind::SyncBacklog
            );
            let key = (
                i.indicator,
                per_subject.then_some(i.of.as_deref()).flatten(),
            );
            if !seen.iter().any(|(k, o, _)| (*k, *o) == key) {
                seen.push((key.0, key.1, format!("{}{}", phrase(i), at(r))));
            }
        }
    }
    seen.sort_by_key(|(k, _, _)| *k);
    seen.into_iter().map(|(_, _, s)| s).collect()
}

//! The stage indicators: the signs, read off a run, that an architecture is
//! leaving the load it was built for — what tells a team it is time for the
//! next stage. Each fires on a stated threshold, with its numbers; where
//! none fires, the current design is still earning its keep.
//!
//! | indicator | fires when |
//! |---|---|
//! | database CPU | a database server (`db`, `shard_*`, `node_*`) is busy more than 80 % of the window, or the run saturated with one as its busiest component |
//! | hit ratio falling | a cache's hit ratio drops by 5 points or more across a sweep (runs stopped as saturated left out: their figures cover only the time before the stop) |
//! | replica lag | a read replica's p99 visibility lag exceeds the SLO's freshness budget for it, or 1 s without one |
//! | sync lag | a copy kept in step by a pipeline (a CDC-fed cache, a read model, a session store) lags more than its freshness budget, or 1 s, at p99 — or receives none of the writes |
//! | cross-shard share | more than 10 % of operations touch more than one shard or partition |
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

fn is_database(component: &str) -> bool {
    component == "db" || component.starts_with("shard_") || component.starts_with("node_")
}

/// Copies whose lag is a publication interval by design.
fn is_periodic(copy: &str) -> bool {
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

/// The indicators that fire on one architecture's runs (replication 0,
/// in sweep order), each a phrase with its numbers and where it fired
/// first (`at` names a run's point).
pub fn firing(runs: &[&RunResult], slo: &Slo, at: &dyn Fn(&RunResult) -> String) -> Vec<String> {
    let mut out = Vec::new();
    let first_where = |test: &dyn Fn(&RunResult) -> Option<String>| {
        runs.iter()
            .find_map(|r| test(r).map(|what| format!("{what}{}", at(r))))
    };
    if let Some(s) = first_where(&|r| {
        if let (Some(_), Some(b)) = (&r.saturated, &r.busiest) {
            if is_database(&b.name) {
                return Some(format!("database CPU: `{}` saturated", b.name));
            }
        }
        r.components
            .iter()
            .filter(|(n, _)| is_database(n))
            .filter_map(|(n, c)| c.utilization.map(|u| (n, u)))
            .filter(|(_, u)| *u > DATABASE_CPU)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(n, u)| format!("database CPU: `{n}` at {:.0} %", u * 100.0))
    }) {
        out.push(s);
    }
    let whole: Vec<&&RunResult> = runs.iter().filter(|r| r.saturated.is_none()).collect();
    if let (Some(first), Some(last)) = (whole.first(), whole.last()) {
        for (name, c) in &first.components {
            let (Some(a), Some(b)) = (
                c.hit_ratio,
                last.components.get(name).and_then(|c| c.hit_ratio),
            ) else {
                continue;
            };
            if a - b >= HIT_RATIO_DROP {
                out.push(format!(
                    "hit ratio falling: `{name}` from {:.1} % to {:.1} %{}",
                    a * 100.0,
                    b * 100.0,
                    at(last)
                ));
            }
        }
    }
    // Each copy where it first lags beyond its budget.
    let copies: Vec<&String> = runs
        .first()
        .map(|r| r.visibility.lag_ms.keys().collect())
        .unwrap_or_default();
    for copy in copies {
        let Some(budget) = lag_budget_ms(copy, slo) else {
            continue;
        };
        let what = if copy.starts_with("replica") {
            "replica lag"
        } else {
            "sync lag"
        };
        if let Some(s) = first_where(&|r| {
            let lag = r.visibility.lag_ms.get(copy)?;
            if lag.none_delivered() && wrote(r) {
                Some(format!("{what}: `{copy}` received none of the writes"))
            } else if lag.p99_ms > budget {
                Some(format!(
                    "{what}: `{copy}` at p99 {:.0} ms (budget {budget:.0} ms)",
                    lag.p99_ms
                ))
            } else {
                None
            }
        }) {
            out.push(s);
        }
    }
    if let Some(s) = first_where(&|r| {
        r.components
            .iter()
            .filter_map(|(n, c)| Some((n, c.lock_wait_mean_ms?)))
            .filter(|(_, w)| *w > LOCK_WAIT_MS)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(n, w)| format!("hot rows: writers at `{n}` wait {w:.0} ms for a row lock"))
            .or_else(|| {
                // Lock tables that span places (a coordinator's, a
                // colocated store's) report their waits per operation.
                let c = r.coordination.per_operation.as_ref()?;
                let per_lock = c.lock_wait_ms? / c.lock_acquisitions.filter(|n| *n > 0.0)?;
                (per_lock > LOCK_WAIT_MS).then(|| {
                    format!(
                        "hot rows: a lock waits {per_lock:.0} ms on average before it is granted"
                    )
                })
            })
    }) {
        out.push(s);
    }
    if let Some(s) = first_where(&|r| {
        r.coordination
            .distributed_share
            .filter(|s| *s > CROSS_SHARD)
            .map(|s| format!("cross-shard share: {:.1} % of operations", s * 100.0))
    }) {
        out.push(s);
    }
    if let Some(s) = first_where(&|r| {
        r.components
            .get("coordinator")
            .and_then(|c| c.utilization)
            .filter(|u| *u > COORDINATOR)
            .map(|u| format!("coordinator utilisation: {:.0} %", u * 100.0))
    }) {
        out.push(s);
    }
    out
}

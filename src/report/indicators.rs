//! The stage indicators: the signs, read off a run, that an architecture is
//! leaving the load it was built for — what tells a team it is time for the
//! next stage. Each fires on a stated threshold, with its numbers; where
//! none fires, the current design is still earning its keep.
//!
//! | indicator | fires when |
//! |---|---|
//! | database CPU | a database server (`db`, `shard_*`, `node_*`) is busy more than 80 % of the window |
//! | hit ratio falling | a cache's hit ratio drops by 5 points or more across a sweep |
//! | replica lag | a read replica's p99 visibility lag exceeds the SLO's freshness budget for it, or 1 s without one |
//! | sync lag | a derived copy kept in sync by a pipeline (cache, search, read model, session store) lags more than its freshness budget, or 1 s, at p99 — or receives none of the writes |
//! | cross-shard share | more than 10 % of operations touch more than one shard or partition |
//! | coordinator utilisation | the transaction coordinator is busy more than 70 % of the window |
//!
//! 80 % is where an M/M/c database's queueing delay starts to dominate its
//! latency (the knee of 1/(1 − ρ)); a coordinator sits on every
//! transaction's path, so it warns earlier. The warehouse is left out of the
//! sync indicator: its lag is its batch interval by design.

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
/// Drop of a cache's hit ratio across a sweep that fires it (points, 0..1).
pub const HIT_RATIO_DROP: f64 = 0.05;

fn is_database(component: &str) -> bool {
    component == "db" || component.starts_with("shard_") || component.starts_with("node_")
}

/// The lag budget of `copy` in ms: the SLO's freshness budget covering it,
/// else [`LAG_MS`].
fn lag_budget_ms(copy: &str, slo: &Slo) -> f64 {
    slo.freshness
        .iter()
        .find(|b| b.covers(copy))
        .map_or(LAG_MS, |b| b.limit.as_millis_f64())
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
    if let (Some(first), Some(last)) = (runs.first(), runs.last()) {
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
    let lagging = |replica: bool| {
        move |r: &RunResult| {
            r.visibility
                .lag_ms
                .iter()
                .filter(|(copy, _)| copy.starts_with("replica") == replica)
                .filter(|(copy, _)| replica || !copy.starts_with("warehouse"))
                .find_map(|(copy, lag)| {
                    let budget = lag_budget_ms(copy, slo);
                    if lag.none_delivered() && wrote(r) {
                        Some(format!("`{copy}` received none of the writes"))
                    } else if lag.p99_ms > budget {
                        Some(format!(
                            "`{copy}` at p99 {:.0} ms (budget {budget:.0} ms)",
                            lag.p99_ms
                        ))
                    } else {
                        None
                    }
                })
        }
    };
    if let Some(s) = first_where(&|r| lagging(true)(r).map(|s| format!("replica lag: {s}"))) {
        out.push(s);
    }
    if let Some(s) = first_where(&|r| lagging(false)(r).map(|s| format!("sync lag: {s}"))) {
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

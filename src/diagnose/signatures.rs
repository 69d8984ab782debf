//! The signatures: one rule per indicator the seed stages name, and the
//! article's causes that are not architectural (a missing index, analytics
//! at the peak, N+1 queries). Each reads its evidence from the
//! observations, compares it with its threshold — the same thresholds the
//! per-run stage indicators use (`report::indicators`) — and says whether
//! it fired; one whose evidence was not given is not read.

use serde::Serialize;

use super::observed::Observed;
use crate::report::indicators;

/// What a signature points at: the tension of a stage (1 to 4), or a cause
/// no architecture fixes (0).
pub type Stage = u8;

/// Causes that are not the architecture's.
pub const NOT_ARCHITECTURAL: Stage = 0;

/// Share of database time in index-less queries above which the missing
/// index fires (an estimate: a fifth of the database's time spent where
/// an index would make it a lookup).
pub const SLOW_QUERIES: f64 = 0.2;
/// Share of the peak's database time in analytics above which it fires
/// (an estimate, as above).
pub const ANALYTICS_AT_PEAK: f64 = 0.2;
/// Database queries per request above which N+1 fires (an estimate: a page
/// that needs more than ten round trips to its database fetches row by
/// row).
pub const QUERIES_PER_REQUEST: f64 = 10.0;
/// "Correct value" incidents a month from which the synchronization
/// signature fires: one a month is already a pattern.
pub const INCIDENTS_PER_MONTH: f64 = 1.0;

/// One signature as read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Signature {
    pub id: &'static str,
    /// The stage whose tension it is (0: not architectural).
    pub stage: Stage,
    /// What it says when it fires, in the words of the seeds.
    pub says: &'static str,
    /// Whether it fired; `None` when its evidence was not given.
    pub fired: Option<bool>,
    /// The evidence read, with its threshold.
    pub evidence: String,
}

/// Every signature, read off `o`.
pub fn read(o: &Observed) -> Vec<Signature> {
    let i = &o.indicators;
    let pct = |v: f64| format!("{:.0} %", v * 100.0);
    let mut out = Vec::new();
    let mut push = |id, stage, says, fired: Option<bool>, evidence: String| {
        out.push(Signature {
            id,
            stage,
            says,
            fired,
            evidence,
        });
    };
    push(
        "database_cpu",
        1,
        "database CPU exceeds 80 % during normal operations",
        i.db_cpu_normal.map(|c| c > indicators::DATABASE_CPU),
        match (i.db_cpu_normal, i.db_cpu_peak) {
            (Some(n), Some(p)) => {
                format!("db_cpu_normal {} (peak {}), threshold 80 %", pct(n), pct(p))
            }
            (Some(n), None) => format!("db_cpu_normal {}, threshold 80 %", pct(n)),
            _ => "db_cpu_normal not given".to_string(),
        },
    );
    let drop = i.cache_hit_ratio.zip(i.cache_hit_ratio_before);
    push(
        "hit_ratio_falling",
        1,
        "cache hit rates decline as the working set outgrows memory",
        // Dashboards give two decimals: 0.95 − 0.90 is a drop of 5 points,
        // not 4.9999….
        drop.map(|(now, before)| before - now >= indicators::HIT_RATIO_DROP - 1e-9),
        match drop {
            Some((now, before)) => format!(
                "cache_hit_ratio {} against {} at the last review, threshold a drop of 5 points",
                pct(now),
                pct(before)
            ),
            None => "cache_hit_ratio and cache_hit_ratio_before not both given".to_string(),
        },
    );
    let lag_budget = indicators::LAG_MS;
    push(
        "replica_lag",
        1,
        "replicas lag so far that users see stale data",
        i.replica_lag_p99.map(|l| l.as_millis_f64() > lag_budget),
        match i.replica_lag_p99 {
            Some(l) => format!("replica_lag_p99 {l}, threshold 1 s"),
            None => "replica_lag_p99 not given".to_string(),
        },
    );
    push(
        "sync_backlog",
        2,
        "a sync pipeline falls further behind every day",
        i.sync_backlog_growing,
        match i.sync_backlog_growing {
            Some(g) => format!("sync_backlog_growing = {g}"),
            None => "sync_backlog_growing not given".to_string(),
        },
    );
    // A search index or a warehouse publishes at intervals by design: only
    // copies meant to follow at once are held to the 1 s budget.
    let followers: Vec<_> = i
        .sync_lag_p99
        .iter()
        .filter(|(store, _)| !indicators::is_periodic(store))
        .collect();
    push(
        "sync_lag",
        2,
        "copies that should follow at once lag by seconds",
        (!followers.is_empty()).then(|| {
            followers
                .iter()
                .any(|(_, l)| l.as_millis_f64() > lag_budget)
        }),
        if followers.is_empty() {
            "no sync_lag_p99 of a cache or other copy meant to follow at once".to_string()
        } else {
            let each: Vec<String> = followers.iter().map(|(s, l)| format!("{s} {l}")).collect();
            format!("sync_lag_p99 {}, threshold 1 s", each.join(", "))
        },
    );
    push(
        "correct_value",
        2,
        "which system has the correct value?",
        i.correct_value_incidents_per_month
            .map(|n| n >= INCIDENTS_PER_MONTH),
        match i.correct_value_incidents_per_month {
            Some(n) => format!("{n} \"correct value\" incidents a month, threshold 1"),
            None => "correct_value_incidents_per_month not given".to_string(),
        },
    );
    let share = o.load.cross_group_txn_share;
    push(
        "cross_shard",
        3,
        "transactions that span shards become slow or impossible",
        share.map(|s| s > indicators::CROSS_SHARD),
        match (share, i.cross_shard_p99) {
            (Some(s), Some(p)) => format!(
                "cross-group share {:.1} % (their p99 {p}), threshold 10 %",
                s * 100.0
            ),
            (Some(s), None) => format!("cross-group share {:.1} %, threshold 10 %", s * 100.0),
            _ => "cross_group_txn_share not given".to_string(),
        },
    );
    push(
        "coordinator",
        4,
        "the coordination layer becomes the bottleneck",
        i.coordinator_utilization
            .filter(|u| *u > 0.0)
            .map(|u| u > indicators::COORDINATOR),
        match i.coordinator_utilization {
            Some(u) if u > 0.0 => format!("coordinator_utilization {}, threshold 70 %", pct(u)),
            Some(_) => "no coordinator runs".to_string(),
            None => "coordinator_utilization not given".to_string(),
        },
    );
    push(
        "missing_index",
        NOT_ARCHITECTURAL,
        "a missing index, not a missing architecture",
        i.slow_queries_share.map(|s| s > SLOW_QUERIES),
        match i.slow_queries_share {
            Some(s) => format!(
                "{} of database time in index-less scans, threshold 20 %",
                pct(s)
            ),
            None => "slow_queries_share not given".to_string(),
        },
    );
    push(
        "analytics_at_peak",
        NOT_ARCHITECTURAL,
        "reports run on the primary at the peak",
        i.analytics_db_share_peak.map(|s| s > ANALYTICS_AT_PEAK),
        match i.analytics_db_share_peak {
            Some(s) => format!(
                "{} of the peak's database time in analytics, threshold 20 %",
                pct(s)
            ),
            None => "analytics_db_share_peak not given".to_string(),
        },
    );
    push(
        "n_plus_one",
        NOT_ARCHITECTURAL,
        "pages fetch row by row (N+1 queries)",
        i.queries_per_request.map(|q| q > QUERIES_PER_REQUEST),
        match i.queries_per_request {
            Some(q) => format!("{q} queries per request, threshold 10"),
            None => "queries_per_request not given".to_string(),
        },
    );
    out
}

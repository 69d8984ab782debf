//! What a team observes of its system today (`archsim diagnose
//! OBSERVED.toml`): its load, what it runs, and the indicators its
//! dashboards show. Every field but `name` and `declared_stage` is
//! optional: a signature whose evidence is missing is reported as not
//! read, never guessed.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::scenario::ScenarioError;
use crate::sim::SimDuration;

/// The observations of one system.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observed {
    /// The system's name; the diagnosis is written to `results/<name>/`.
    pub name: String,
    /// The stage the team believes it is in: 1 one database (with a cache and replicas), 2 specialized persistence (search, warehouse, … kept in sync), 3 distributed by default (sharded), 4 managed consistency (a transaction coordinator), 5 a colocated consensus database.
    #[serde(deserialize_with = "stage")]
    pub declared_stage: u8,
    #[serde(default)]
    pub load: Load,
    #[serde(default)]
    pub system: System,
    #[serde(default)]
    pub indicators: Indicators,
}

/// The load at today's peak.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Load {
    /// Operations per second at the daily peak (the load balancer's or the database's statement rate).
    pub peak_ops_per_s: Option<f64>,
    /// Share of operations that only read, 0..1.
    #[serde(default, deserialize_with = "share")]
    pub read_share: Option<f64>,
    /// Rows or keys in the working data set.
    pub keys: Option<u64>,
    /// Share of reads that go to the most popular 1 % of keys, 0..1 (from the cache's key statistics, e.g. Redis `--hotkeys`, or `pg_stat_statements` by key range).
    #[serde(default, deserialize_with = "share")]
    pub top_1pct_share: Option<f64>,
    /// Or the popularity as archsim writes it, e.g. "zipf(0.9)".
    pub popularity: Option<String>,
    /// Share of transactions that touch more than one entity group (tenant, account, order), 0..1 (from the application's transaction logs).
    #[serde(default, deserialize_with = "share")]
    pub cross_group_txn_share: Option<f64>,
}

/// What the team runs now.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct System {
    /// The data platforms in production, e.g. ["postgres", "redis", "elasticsearch", "warehouse"].
    #[serde(default)]
    pub platforms: Vec<String>,
    /// How each derived store is kept in sync, e.g. { search = "cdc", cache = "cache-aside", warehouse = "batch" }.
    #[serde(default)]
    pub sync: BTreeMap<String, String>,
    /// Database shards (1: not sharded).
    pub shards: Option<u32>,
    /// vCPUs of the primary database server (of each shard's, sharded): the instance type's, e.g. 16 for an r6i.4xlarge. Calibration reads the service time per operation from the CPU through it; default 8 (archsim's `db.cores`), said so on the page.
    pub db_cores: Option<u32>,
    /// Entries the cache holds (Redis `INFO keyspace`: `keys=` summed over the databases; memcached `curr_items`). With `cache_hit_ratio` and `keys` it gives the key popularity by Che's approximation; without it, the popularity comes from `top_1pct_share` or `popularity` and the cache's size from the hit ratio.
    pub cache_entries: Option<u64>,
}

/// The indicators the team reads off its dashboards.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicators {
    /// Primary database CPU during normal operations, 0..1 (the busiest database server's mean over a normal day: CloudWatch `CPUUtilization`, node exporter).
    #[serde(default, deserialize_with = "share")]
    pub db_cpu_normal: Option<f64>,
    /// The same at the daily peak, 0..1.
    #[serde(default, deserialize_with = "share")]
    pub db_cpu_peak: Option<f64>,
    /// p99 latency per query or endpoint, e.g. { get = "4ms", checkout = "180ms" } (APM, or `pg_stat_statements` with percentiles).
    #[serde(default)]
    pub p99_by_query: BTreeMap<String, SimDuration>,
    /// Share of database time spent in queries that scan for want of an index, 0..1 (`pg_stat_statements`: total_exec_time of statements with sequential scans over large tables, over the total).
    #[serde(default, deserialize_with = "share")]
    pub slow_queries_share: Option<f64>,
    /// Share of database time at the peak taken by reporting and analytics queries, 0..1 (`pg_stat_statements` by role or application name).
    #[serde(default, deserialize_with = "share")]
    pub analytics_db_share_peak: Option<f64>,
    /// Database queries per user request on the busiest endpoint (APM traces): many small queries per request is the N+1 pattern.
    pub queries_per_request: Option<f64>,
    /// The cache's hit ratio now, 0..1 (Redis `INFO stats`: keyspace_hits / (keyspace_hits + keyspace_misses)).
    #[serde(default, deserialize_with = "share")]
    pub cache_hit_ratio: Option<f64>,
    /// The cache's hit ratio at the last review (a quarter or a year ago), 0..1: a falling ratio says the working set outgrows the cache.
    #[serde(default, deserialize_with = "share")]
    pub cache_hit_ratio_before: Option<f64>,
    /// Read replicas' p99 replay lag, e.g. "40ms" (`pg_stat_replication.replay_lag`, MySQL `Seconds_Behind_Source`).
    pub replica_lag_p99: Option<SimDuration>,
    /// p99 lag of each derived store behind the database, e.g. { search = "45s", cache = "2s" } (the CDC connector's `MilliSecondsBehindSource`, consumer-group lag over the write rate).
    #[serde(default)]
    pub sync_lag_p99: BTreeMap<String, SimDuration>,
    /// Whether a sync pipeline's backlog grows over a normal day (connector or consumer lag rising from one peak to the next).
    pub sync_backlog_growing: Option<bool>,
    /// Incidents a month in which two systems disagreed on a value ("which system has the correct value?"), from the incident tracker.
    pub correct_value_incidents_per_month: Option<f64>,
    /// p99 of the transactions that span shards, e.g. "35ms".
    pub cross_shard_p99: Option<SimDuration>,
    /// The transaction coordinator's utilization, 0..1 (0: none runs).
    #[serde(default, deserialize_with = "share")]
    pub coordinator_utilization: Option<f64>,
}

impl Observed {
    /// Reads OBSERVED from `text` (the file `origin`): a field of the wrong
    /// type or range, or one this schema does not have, is refused with its
    /// line and column.
    pub fn from_toml(text: &str, origin: &str) -> Result<Observed, ScenarioError> {
        let o: Observed =
            toml::from_str(text).map_err(|e| ScenarioError::from_toml(origin, text, &e))?;
        let folder_safe = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
        if o.name.is_empty() || o.name.starts_with('.') || !o.name.chars().all(folder_safe) {
            return Err(ScenarioError::at_path(
                origin,
                text,
                &["name"],
                format!(
                    "name {:?} names the results folder: use letters, digits, '-', '_' and \
                     '.', not first",
                    o.name
                ),
            ));
        }
        Ok(o)
    }
}

fn stage<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let v = i64::deserialize(d)?;
    match u8::try_from(v) {
        Ok(s @ 1..=5) => Ok(s),
        _ => Err(serde::de::Error::custom(format!(
            "expected a stage from 1 to 5 (1 one database, 2 specialized persistence, 3 \
             sharded, 4 a coordinator, 5 a colocated consensus database), found {v}"
        ))),
    }
}

fn share<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v = f64::deserialize(d)?;
    if (0.0..=1.0).contains(&v) {
        Ok(Some(v))
    } else {
        Err(serde::de::Error::custom(format!(
            "expected a share from 0 to 1 (0.45 for 45 %), found {v}"
        )))
    }
}

//! Calibration: a scenario of the team's system today, built from its
//! observations, run, and set beside them indicator by indicator.
//!
//! - **Load**: `workload.rate` is the peak rate; the mix is `read_share`
//!   gets, the rest writes — a [`TRANSFERS_OF_WRITES`] share of them
//!   transfers when `cross_group_txn_share` is given (their locality set so
//!   that share of transactions crosses entity groups), else puts.
//! - **Popularity**: `zipf(s)`, s from `popularity` when given, else by
//!   inverting Che's approximation (`model::che`) at the observed hit ratio
//!   and cache size, else from `top_1pct_share`, else archsim's 0.99. The
//!   model holds at most [`MODEL_KEYS`] keys (the cache scaled alike) and
//!   the inversion is made at the model's scale, so the model hits as the
//!   system does.
//! - **Service times**: the database's CPU per operation by the
//!   utilisation law, U = λ·S / cores, at the peak CPU (`db_cpu_peak`, else
//!   `db_cpu_normal`), λ the operations reaching the database (reads that
//!   miss the cache, writes); archsim's default read and write times are
//!   scaled by one factor.
//! - **Replicas** (one, serving no reads) with a shipping delay whose p99
//!   is the observed replica lag; **sync** paths as observed (CDC, dual
//!   write, a bus), a CDC connector taking [`CDC_BEHIND`] of the changes
//!   when its backlog is seen growing.
//!
//! A first run corrects what the closed forms leave out (the scalability
//! law's stretch, invalidations' misses, the replica's apply queue): the
//! service factor, hit ratio target and shipping delay are each scaled by
//! observed / simulated once, and a second run is compared. Each indicator
//! used has a bound ([`CPU_BOUND`], [`HIT_RATIO_BOUND`], [`LAG_BOUND`], the
//! backlog's direction must agree); past any, the model does not reproduce
//! the system and the what-ifs are not run.

use serde::Serialize;

use super::observed::Observed;
use crate::arch::IndicatorKind;
use crate::model::che;
use crate::report::RunResult;
use crate::scenario::Scenario;

/// Most keys the model holds: a team's millions of keys are modelled by
/// this many, the cache scaled alike, so that a run takes seconds.
pub const MODEL_KEYS: u64 = 50_000;
/// Share of writes that are multi-entity transactions (transfers) when
/// `cross_group_txn_share` is given (estimate: the observations give the
/// cross-group share, not how many writes are transactions).
pub const TRANSFERS_OF_WRITES: f64 = 0.1;
/// Share of the changes a CDC connector seen falling behind takes per
/// second in the model: a deficit a short run's backlog indicator sees.
pub const CDC_BEHIND: f64 = 0.8;
/// Database CPU: the largest relative residual, |sim − obs| / obs, that
/// still calibrates (25 %: the utilisation law is exact for the mean; what
/// is left is the stretch of contention and sampling noise, and a larger
/// error would move the knee the what-ifs are judged by).
pub const CPU_BOUND: f64 = 0.25;
/// Cache hit ratio: the largest absolute residual (5 points, the drop the
/// `hit_ratio_falling` signature reads as a working set outgrowing the
/// cache: a model that misses by more could not tell that apart).
pub const HIT_RATIO_BOUND: f64 = 0.05;
/// Replica lag p99: the largest relative residual (50 %: a p99 of a short
/// run is noisy; within it the model's lag is of the observed order).
pub const LAG_BOUND: f64 = 0.5;
/// The share of the utilisation law's service time the first run takes.
pub const PILOT_CPU: f64 = 0.3;
/// Cores of the database when the observations do not say (archsim's
/// `db.cores` default).
pub const DEFAULT_CORES: u32 = 8;
/// Zipf exponent when nothing observed gives the popularity (archsim's
/// default popularity, YCSB's skew).
pub const DEFAULT_ZIPF: f64 = 0.99;
/// Measured simulated seconds of each calibration and what-if run: a
/// quarter of it spans four CDC polls, which the backlog's trend needs.
pub const DURATION_S: f64 = 8.0;
/// Shortest and longest warm-up, seconds: the warm-up is long enough for
/// the cache to fill (3 × Che's characteristic time at the read rate: the
/// warm-up ramps from [`RAMP_FROM`] of the rate, so about half of it runs
/// at the rate).
pub const WARMUP_S: (f64, f64) = (2.0, 40.0);
/// The share of the rate the warm-up starts at.
pub const RAMP_FROM: f64 = 0.1;

/// The parameters the observations gave the model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Parameters {
    /// The architecture kind that models the system.
    pub kind: String,
    pub rate_ops_per_s: f64,
    pub read_share: f64,
    /// Transfers' share of the operations (0 without a cross-group share).
    pub transfer_share: f64,
    /// Share of transfers inside one entity group.
    pub locality: f64,
    /// Keys of the model (at most [`MODEL_KEYS`]).
    pub keys: u64,
    /// The Zipf exponent of the popularity.
    pub zipf_s: f64,
    /// Cache entries of the model (0: no cache).
    pub cache_entries: u64,
    pub db_cores: u32,
    /// The factor on archsim's default read and write CPU times.
    pub cpu_scale: f64,
    /// Mean CPU time of a read and a write on the database, µs.
    pub read_us: f64,
    pub write_us: f64,
    pub shards: u32,
    /// Mean shipping delay to the replica, ms (none: no replica).
    pub replica_shipping_ms: Option<f64>,
    /// Changes per second a CDC connector takes (none: archsim's default).
    pub cdc_per_s: Option<f64>,
    /// Simulated warm-up, s.
    pub warmup_s: f64,
}

/// One indicator, observed against simulated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub indicator: String,
    pub unit: String,
    pub observed: f64,
    /// None when the model does not produce it.
    pub simulated: Option<f64>,
    /// simulated − observed, relative to observed where the bound is
    /// relative.
    pub residual: Option<f64>,
    pub bound: String,
    pub within: bool,
}

/// The calibration of one system.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Calibration {
    pub parameters: Option<Parameters>,
    /// In the diagnosis's `calibration`.
    #[serde(skip)]
    pub rows: Vec<Row>,
    /// What was assumed for want of an observation.
    pub assumptions: Vec<String>,
    /// What the model leaves out.
    pub not_modelled: Vec<String>,
    /// Why the what-ifs are not run, when they are not.
    pub refused: Option<String>,
    /// The calibrated scenario, as TOML (one architecture, `today`).
    #[serde(skip)]
    pub scenario: Option<String>,
}

/// What the correction run adjusts.
#[derive(Clone, Copy, Debug)]
struct Knobs {
    zipf_s: f64,
    cache: u64,
    cpu_scale: f64,
    shipping_ms: Option<f64>,
}

/// archsim's default read: lognormal with this p50 and p99, µs.
const READ_P50_US: f64 = 50.0;
const READ_P99_US: f64 = 300.0;
/// archsim's default write CPU, µs.
const WRITE_US: f64 = 80.0;

/// The architecture kind that models a system of `stage`, or why none.
fn kind_of(stage: u8) -> Result<&'static str, String> {
    match stage {
        1 => Ok("single"),
        2 => Ok("polyglot"),
        3 => Ok("sharded"),
        4 => Err(
            "a stage-4 system (a transaction coordinator): calibrating a coordinator's \
                  utilization and 2PC costs from these observations is not modelled"
                .to_string(),
        ),
        _ => Err(
            "a stage-5 system (a colocated consensus database): calibrating its \
                  partitions and Raft costs from these observations is not modelled"
                .to_string(),
        ),
    }
}

/// Calibrates a model of the system `o` describes (its system stage
/// `stage`), running it twice.
pub fn calibrate(o: &Observed, stage: u8) -> Calibration {
    let mut c = Calibration {
        parameters: None,
        rows: Vec::new(),
        assumptions: Vec::new(),
        not_modelled: Vec::new(),
        refused: None,
        scenario: None,
    };
    let kind = match kind_of(stage) {
        Ok(k) => k,
        Err(why) => {
            c.refused = Some(format!("no calibration for {why}"));
            return c;
        }
    };
    let i = &o.indicators;
    let Some(rate) = o.load.peak_ops_per_s.filter(|r| *r > 0.0) else {
        c.refused = Some("no calibration without load.peak_ops_per_s".to_string());
        return c;
    };
    let Some(cpu) = i.db_cpu_peak.or(i.db_cpu_normal).filter(|u| *u > 0.0) else {
        c.refused =
            Some("no calibration without indicators.db_cpu_peak or db_cpu_normal".to_string());
        return c;
    };
    if i.db_cpu_peak.is_none() {
        c.assumptions
            .push("the peak's database CPU is db_cpu_normal (no db_cpu_peak)".to_string());
    }
    let read_share = o.load.read_share.unwrap_or_else(|| {
        c.assumptions
            .push("read_share 0.9 (archsim's default mix; not observed)".to_string());
        0.9
    });
    let keys_observed = o.load.keys.unwrap_or_else(|| {
        c.assumptions
            .push("100,000 keys (archsim's default; load.keys not observed)".to_string());
        100_000
    });
    let keys = keys_observed.clamp(1, MODEL_KEYS);
    let scale = keys as f64 / keys_observed as f64;
    if keys < keys_observed {
        c.assumptions.push(format!(
            "{keys_observed} keys are modelled by {keys} (cache scaled alike, the popularity \
             fitted at that scale)"
        ));
    }
    let cores = o.system.db_cores.unwrap_or_else(|| {
        c.assumptions.push(format!(
            "{DEFAULT_CORES} database cores (archsim's default; system.db_cores not observed)"
        ));
        DEFAULT_CORES
    });
    let shards = if kind == "sharded" {
        o.system.shards.unwrap_or(1).max(1)
    } else {
        1
    };
    let (transfer_share, locality) = match o.load.cross_group_txn_share {
        Some(x) if read_share < 1.0 => {
            let transfers = (1.0 - read_share) * TRANSFERS_OF_WRITES;
            (transfers, 1.0 - (x / TRANSFERS_OF_WRITES).min(1.0))
        }
        _ => (0.0, 1.0),
    };
    // Popularity and cache size.
    let has_cache = o.indicators.cache_hit_ratio.is_some()
        || o.system.cache_entries.is_some()
        || o.system.sync.contains_key("cache")
        || o.system.platforms.iter().any(|p| {
            ["redis", "memcached", "valkey", "cache"].contains(&p.to_ascii_lowercase().as_str())
        });
    let given_s = o.load.popularity.as_deref().and_then(|p| {
        let inner = p.trim().strip_prefix("zipf(")?.strip_suffix(')')?;
        inner.trim().parse::<f64>().ok()
    });
    if o.load.popularity.is_some() && given_s.is_none() {
        c.not_modelled.push(format!(
            "popularity {:?}: only zipf(s) is calibrated; the model uses zipf",
            o.load.popularity.as_deref().unwrap_or_default()
        ));
    }
    let cache_given = o
        .system
        .cache_entries
        .map(|e| ((e as f64 * scale).round() as u64).max(1));
    let hit = o.indicators.cache_hit_ratio.filter(|_| has_cache);
    let mut knobs = Knobs {
        zipf_s: DEFAULT_ZIPF,
        cache: 0,
        cpu_scale: 1.0,
        shipping_ms: None,
    };
    // Without the cache's size or the popularity, the hit ratio alone
    // cannot tell them apart: the cache is taken to hold a tenth of the keys.
    let cache_given = match (cache_given, hit, given_s, o.load.top_1pct_share) {
        (None, Some(_), None, None) => {
            c.assumptions.push(
                "a cache of a tenth of the keys (system.cache_entries not observed); the \
                 popularity fitted to the hit ratio at that size"
                    .to_string(),
            );
            Some((keys / 10).max(1))
        }
        (given, ..) => given,
    };
    let popularity_from_hit = given_s.is_none() && hit.is_some() && cache_given.is_some();
    knobs.zipf_s = match (given_s, hit, cache_given, o.load.top_1pct_share) {
        (Some(s), ..) => s,
        (None, Some(h), Some(entries), _) => invert_zipf(h, entries as f64, keys),
        (None, _, _, Some(top)) => zipf_for_top_share(top, keys),
        _ => {
            c.assumptions.push(format!(
                "popularity zipf({DEFAULT_ZIPF}) (archsim's default; neither popularity, \
                 top_1pct_share nor cache_hit_ratio with system.cache_entries observed)"
            ));
            DEFAULT_ZIPF
        }
    };
    if has_cache {
        knobs.cache = match (cache_given, hit) {
            (Some(e), _) => e,
            (None, Some(h)) => cache_for_hit(h, knobs.zipf_s, keys),
            (None, None) => {
                c.assumptions.push(
                    "a cache of a tenth of the keys (no hit ratio or size observed)".to_string(),
                );
                (keys / 10).max(1)
            }
        };
    }
    // Service times by the utilisation law.
    let hit_now = hit.unwrap_or_else(|| {
        if knobs.cache > 0 {
            che::hit_ratio(&che::zipf_classes(knobs.zipf_s, keys), knobs.cache as f64)
        } else {
            0.0
        }
    });
    let reads = rate * read_share * (1.0 - hit_now);
    let puts = rate * (1.0 - read_share - transfer_share);
    let write_rows = puts + 2.0 * rate * transfer_share;
    let read_mean = crate::dist::Dist::parse(&read_dist(1.0))
        .expect("archsim's read")
        .mean_ns()
        / 1e3;
    let busy_at_defaults = (reads * read_mean + write_rows * WRITE_US) * 1e-6;
    // Per shard: the busiest database's CPU is observed; hash placement
    // spreads the load evenly.
    knobs.cpu_scale = cpu * f64::from(cores) * f64::from(shards) / busy_at_defaults.max(1e-9);
    knobs.shipping_ms = i
        .replica_lag_p99
        .filter(|_| kind != "polyglot")
        .map(|l| l.as_millis_f64() / 100f64.ln());
    if i.replica_lag_p99.is_some() && kind == "polyglot" {
        c.not_modelled
            .push("read replicas of a polyglot system (replica_lag_p99 not compared)".to_string());
    }
    let cdc = |text: &str| text.eq_ignore_ascii_case("cdc");
    let any_cdc = o.system.sync.iter().any(|(k, v)| k != "cache" && cdc(v));
    let change_rate = write_rows;
    let cdc_per_s = match (any_cdc, i.sync_backlog_growing) {
        (true, Some(true)) => Some((change_rate * CDC_BEHIND).max(1.0)),
        (true, _) => Some((change_rate * 2.0).max(8000.0)),
        _ => None,
    };
    let derived = stage >= 2
        && (o.system.sync.keys().any(|k| k != "cache")
            || o.system.platforms.iter().any(|p| {
                [
                    "elasticsearch",
                    "opensearch",
                    "solr",
                    "warehouse",
                    "snowflake",
                    "kafka",
                ]
                .contains(&p.to_ascii_lowercase().as_str())
            }));
    let build = |k: &Knobs, warmup: f64| Model {
        name: format!("{}-calibrated", o.name),
        kind,
        rate,
        read_share,
        transfer_share,
        locality,
        keys,
        knobs: *k,
        cores,
        shards,
        cdc_per_s,
        sync: o.system.sync.clone(),
        stores: kind == "polyglot" || derived,
        partition_by_group: o.load.cross_group_txn_share.is_some(),
        warmup,
    };
    let warmup = warmup_for(&knobs, keys, rate * read_share);
    // The first run, at [`PILOT_CPU`] of the law's service time so that a
    // system observed near saturation is read unsaturated, and its
    // corrections: CPU is proportional to the service time.
    let law = knobs.cpu_scale;
    knobs.cpu_scale = law * PILOT_CPU;
    let first = match run_model(&build(&knobs, warmup)) {
        Ok(r) => r,
        Err(e) => {
            c.refused = Some(format!("the calibrated scenario is not valid: {e}"));
            return c;
        }
    };
    knobs.cpu_scale = match db_cpu(&first).filter(|u| *u > 0.0 && first.saturated.is_none()) {
        Some(u) => knobs.cpu_scale * cpu / u,
        None => law,
    };
    if let (Some(h), Some(hs)) = (hit, hit_ratio(&first)) {
        let target =
            (h + (h - hs).clamp(-3.0 * HIT_RATIO_BOUND, 3.0 * HIT_RATIO_BOUND)).clamp(0.001, 0.999);
        // A larger cache always hits more; a steeper popularity need not
        // (writes invalidate the hottest keys most often): the size is
        // corrected unless it was observed.
        if o.system.cache_entries.is_none() {
            knobs.cache = cache_for_hit(target, knobs.zipf_s, keys);
        } else if popularity_from_hit {
            knobs.zipf_s = invert_zipf(target, knobs.cache as f64, keys);
        }
    }
    if let (Some(ms), Some(obs), Some(sim)) =
        (knobs.shipping_ms, i.replica_lag_p99, replica_lag(&first))
        && sim > 0.0
    {
        knobs.shipping_ms = Some(ms * obs.as_millis_f64() / sim);
    }
    let warmup = warmup_for(&knobs, keys, rate * read_share);
    let model = build(&knobs, warmup);
    let second = match run_model(&model) {
        Ok(r) => r,
        Err(e) => {
            c.refused = Some(format!("the calibrated scenario is not valid: {e}"));
            return c;
        }
    };
    // Observed against simulated.
    let relative = |name: &str, unit: &str, obs: f64, sim: Option<f64>, bound: f64| {
        let residual = sim.map(|s| (s - obs) / obs);
        Row {
            indicator: name.to_string(),
            unit: unit.to_string(),
            observed: obs,
            simulated: sim,
            residual,
            bound: format!("relative ±{:.0} %", bound * 100.0),
            within: residual.is_some_and(|r| r.abs() <= bound),
        }
    };
    let cpu_name = if i.db_cpu_peak.is_some() {
        "db_cpu_peak"
    } else {
        "db_cpu_normal"
    };
    c.rows
        .push(relative(cpu_name, "share", cpu, db_cpu(&second), CPU_BOUND));
    if let Some(h) = hit {
        let sim = hit_ratio(&second);
        let residual = sim.map(|s| s - h);
        c.rows.push(Row {
            indicator: "cache_hit_ratio".to_string(),
            unit: "share".to_string(),
            observed: h,
            simulated: sim,
            residual,
            bound: format!("absolute ±{HIT_RATIO_BOUND}"),
            within: residual.is_some_and(|r| r.abs() <= HIT_RATIO_BOUND),
        });
    }
    if let (Some(obs), Some(_)) = (i.replica_lag_p99, knobs.shipping_ms) {
        c.rows.push(relative(
            "replica_lag_p99",
            "ms",
            obs.as_millis_f64(),
            replica_lag(&second),
            LAG_BOUND,
        ));
    }
    if let Some(growing) = i.sync_backlog_growing.filter(|_| model.stores) {
        let sim = backlog_growing(&second);
        c.rows.push(Row {
            indicator: "sync_backlog_growing".to_string(),
            unit: "yes = 1".to_string(),
            observed: f64::from(u8::from(growing)),
            simulated: Some(f64::from(u8::from(sim))),
            residual: Some(f64::from(u8::from(sim)) - f64::from(u8::from(growing))),
            bound: "the same".to_string(),
            within: sim == growing,
        });
    }
    for (copy, lag) in &i.sync_lag_p99 {
        c.not_modelled.push(format!(
            "sync_lag_p99 of {copy} ({lag}): a production lag of a growing or periodic \
             pipeline is not reproduced by a run of seconds; the backlog's direction is compared"
        ));
    }
    if !i.p99_by_query.is_empty() {
        c.not_modelled.push(
            "p99_by_query: the model's operations are gets, puts and transfers, not the \
             team's queries"
                .to_string(),
        );
    }
    if i.queries_per_request.is_some() {
        c.not_modelled
            .push("queries_per_request (N+1): the model's requests are one statement".to_string());
    }
    if o.system
        .sync
        .get("cache")
        .is_some_and(|s| s != "dual-write")
        && model.stores
    {
        c.not_modelled.push(format!(
            "the cache's {} sync: the model keeps a derived cache by dual write",
            o.system.sync["cache"]
        ));
    }
    if o.indicators.cache_hit_ratio.is_some() || has_cache {
        c.not_modelled.push(
            "the cache's TTL and invalidation misses: entries live until evicted, a write \
             updates its entry (Che's approximation is for LRU without invalidation; the \
             observed hit ratio includes such misses, which the fitted popularity absorbs)"
                .to_string(),
        );
    }
    c.parameters = Some(Parameters {
        kind: kind.to_string(),
        rate_ops_per_s: rate,
        read_share,
        transfer_share,
        locality,
        keys,
        zipf_s: round4(knobs.zipf_s),
        cache_entries: knobs.cache,
        db_cores: cores,
        cpu_scale: knobs.cpu_scale,
        read_us: round4(read_mean * knobs.cpu_scale),
        write_us: round4(WRITE_US * knobs.cpu_scale),
        shards,
        replica_shipping_ms: knobs.shipping_ms.map(round4),
        cdc_per_s: cdc_per_s.map(round4),
        warmup_s: warmup,
    });
    let outside: Vec<String> = c
        .rows
        .iter()
        .filter(|r| !r.within)
        .map(|r| {
            format!(
                "{} observed {} simulated {} (bound {})",
                r.indicator,
                fmt(r.observed),
                r.simulated.map_or("none".to_string(), fmt),
                r.bound
            )
        })
        .collect();
    if !outside.is_empty() {
        c.refused = Some(format!(
            "the calibrated model does not reproduce the system: {}",
            outside.join("; ")
        ));
    }
    c.scenario = Some(model.toml());
    c
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

fn fmt(x: f64) -> String {
    format!("{}", round4(x))
}

/// archsim's write CPU time scaled by `k`, as archsim writes it.
pub fn write_dist(k: f64) -> String {
    format!("{:.3}us", WRITE_US * k)
}

/// archsim's read time scaled by `k`, as archsim writes a distribution.
pub fn read_dist(k: f64) -> String {
    format!(
        "lognormal(p50={:.3}us, p99={:.3}us)",
        READ_P50_US * k,
        READ_P99_US * k
    )
}

/// The warm-up that lets the model's cache fill: 3 × Che's
/// characteristic time at `read_rate` reads per second, within
/// [`WARMUP_S`], to a tenth of a second.
fn warmup_for(k: &Knobs, keys: u64, read_rate: f64) -> f64 {
    let fill = if k.cache > 0 && read_rate > 0.0 {
        let t = che::characteristic_time(&che::zipf_classes(k.zipf_s, keys), k.cache as f64);
        3.0 * t / read_rate
    } else {
        0.0
    };
    (fill.clamp(WARMUP_S.0, WARMUP_S.1) * 10.0).ceil() / 10.0
}

/// The Zipf exponent in [0, 3] at which Che's hit ratio of a cache of
/// `capacity` entries over `keys` keys is `hit` (bisection: the hit ratio
/// rises with s).
pub fn invert_zipf(hit: f64, capacity: f64, keys: u64) -> f64 {
    bisect(0.0, 3.0, |s| {
        che::hit_ratio(&che::zipf_classes(s, keys), capacity) < hit
    })
}

/// The Zipf exponent in [0, 3] whose top 1 % of `keys` takes `top` of the
/// references.
pub fn zipf_for_top_share(top: f64, keys: u64) -> f64 {
    bisect(0.0, 3.0, |s| {
        che::top_share(&che::zipf_classes(s, keys), 0.01) < top
    })
}

/// The cache entries (1 to `keys`) at which Che's hit ratio of zipf(`s`)
/// over `keys` keys is `hit`.
pub fn cache_for_hit(hit: f64, s: f64, keys: u64) -> u64 {
    let classes = che::zipf_classes(s, keys);
    let c = bisect(0.0, (keys as f64).ln(), |ln_c| {
        che::hit_ratio(&classes, ln_c.exp()) < hit
    });
    (c.exp().round() as u64).clamp(1, keys)
}

/// The point of [lo, hi] where `below` turns false (60 halvings).
fn bisect(mut lo: f64, mut hi: f64, below: impl Fn(f64) -> bool) -> f64 {
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if below(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// The calibrated model's settings.
struct Model {
    name: String,
    kind: &'static str,
    rate: f64,
    read_share: f64,
    transfer_share: f64,
    locality: f64,
    keys: u64,
    knobs: Knobs,
    cores: u32,
    shards: u32,
    cdc_per_s: Option<f64>,
    sync: std::collections::BTreeMap<String, String>,
    stores: bool,
    partition_by_group: bool,
    warmup: f64,
}

/// A sync path as archsim's stores name it.
fn sync_name(text: &str) -> &'static str {
    match text.to_ascii_lowercase().as_str() {
        // A batch load is the warehouse's: archsim feeds it by CDC and
        // publishes at `load_every`.
        "cdc" | "debezium" | "batch" | "etl" => "cdc",
        "bus" | "event-bus" | "event_bus" | "kafka" | "events" => "event-bus",
        _ => "dual-write",
    }
}

impl Model {
    /// The scenario as TOML: the calibrated system as `today`.
    fn toml(&self) -> String {
        let k = &self.knobs;
        let put = (1.0 - self.read_share - self.transfer_share).max(0.0);
        let mut t = format!(
            "name = \"{}\"\nseed = 1\nduration = \"{}s\"\nwarmup = \"{}s\"\n\n[workload]\n\
             rate = {}\nkeys = {}\npopularity = \"zipf({:.4})\"\nlocality = {:.4}\n\n\
             [workload.mix]\nget = {:.6}\nput = {:.6}\n",
            self.name,
            DURATION_S,
            self.warmup,
            self.rate,
            self.keys,
            k.zipf_s,
            self.locality,
            self.read_share,
            put
        );
        if self.transfer_share > 0.0 {
            t += &format!("transfer = {:.6}\n", self.transfer_share);
        }
        // A cold cache's misses at the full rate would melt a database
        // calibrated warm: the warm-up starts at a tenth of the rate and
        // ramps to it over its middle, so the cache fills first.
        t += &format!(
            "\n[[workload.phase]]\nat = \"0s\"\nrate = {}\n\n[[workload.phase]]\nat = \"{:.3}s\"\n\
             rate = {}\nramp = \"{:.3}s\"\n",
            self.rate * RAMP_FROM,
            self.warmup * 0.1,
            self.rate,
            self.warmup * 0.7
        );
        t += &format!(
            "\n[[architecture]]\nname = \"today\"\nkind = \"{}\"\n\n[architecture.db]\n\
             cores = {}\nread = \"{}\"\nwrite = \"{:.3}us\"\napply = \"{WRITE_US}us\"\n",
            self.kind,
            self.cores,
            read_dist(k.cpu_scale),
            WRITE_US * k.cpu_scale
        );
        if k.cache > 0 {
            t += &format!(
                "\n[architecture.cache]\ncapacity = {}\nttl = \"0s\"\n",
                k.cache
            );
            if !self.stores {
                // With stores, the cache's sync path updates it.
                t += "invalidate = \"update\"\n";
            }
        }
        if let Some(ms) = k.shipping_ms {
            t += &format!(
                "\n[architecture.replicas]\ncount = 1\nreads = \"primary\"\n\
                 shipping = \"exp({ms:.3}ms)\"\n"
            );
        }
        if self.kind == "sharded" {
            t += &format!(
                "\n[architecture.shards]\ncount = {}\npartition_by = \"{}\"\n",
                self.shards,
                if self.partition_by_group {
                    "group"
                } else {
                    "key"
                }
            );
        }
        if self.stores {
            t += "\n[architecture.stores]\n";
            for (store, field) in [("search", "search_sync"), ("warehouse", "warehouse_sync")] {
                if let Some(s) = self.sync.get(store) {
                    t += &format!("{field} = \"{}\"\n", sync_name(s));
                }
            }
            if let Some(per_s) = self.cdc_per_s {
                // A batch of one poll's changes: the connector's cycle is
                // its poll (500 ms), which a run of seconds can see trend.
                t += &format!(
                    "throughput = {per_s:.1}\nbatch = {}\n",
                    ((per_s * 0.5).ceil() as u64).clamp(1, 2048)
                );
            }
        }
        t
    }
}

/// Runs the model once.
fn run_model(m: &Model) -> Result<RunResult, String> {
    let text = m.toml();
    let s = Scenario::from_toml(&text, "calibrated", &m.name, &[]).map_err(|e| e.to_string())?;
    Ok(crate::runner::run(&s).runs.remove(0))
}

/// The value of the run's first indicator of `kind`.
fn indicator(r: &RunResult, kind: IndicatorKind) -> Option<f64> {
    r.indicators
        .iter()
        .find(|i| i.indicator == kind)
        .and_then(|i| i.value)
}

/// The busiest database's CPU.
pub fn db_cpu(r: &RunResult) -> Option<f64> {
    indicator(r, IndicatorKind::DatabaseCpu)
}

/// The cache's hit ratio.
pub fn hit_ratio(r: &RunResult) -> Option<f64> {
    indicator(r, IndicatorKind::HitRatio)
}

/// The replica's p99 lag, ms.
pub fn replica_lag(r: &RunResult) -> Option<f64> {
    indicator(r, IndicatorKind::ReplicaLag)
}

/// Whether a sync pipeline's backlog grows.
pub fn backlog_growing(r: &RunResult) -> bool {
    r.indicators
        .iter()
        .any(|i| i.indicator == IndicatorKind::SyncBacklog && i.fired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inversions_find_what_che_was_given() {
        let keys = 20_000;
        let classes = che::zipf_classes(0.8, keys);
        let h = che::hit_ratio(&classes, 1_000.0);
        assert!((invert_zipf(h, 1_000.0, keys) - 0.8).abs() < 1e-6);
        let c = cache_for_hit(h, 0.8, keys);
        assert!(c.abs_diff(1_000) <= 1, "{c}");
        let top = che::top_share(&classes, 0.01);
        assert!((zipf_for_top_share(top, keys) - 0.8).abs() < 1e-6);
    }
}

//! What-ifs: next steps, each a change to the calibrated scenario, run at
//! today's load × growth beside the system as it is (`today`), on one
//! operation stream, and searched for their capacity at the SLO.
//!
//! The catalogue, each step offered where the system can take it: fix the
//! query (when the missing-index signature fired), move analytics off the
//! primary, a bigger box, a bigger cache, read-your-writes routing to a
//! replica, a CDC path switched to an event bus or to dual writes,
//! sharding by entity group, a transaction coordinator over those shards,
//! and a colocated consensus store placed by entity group (the last two on
//! the calibrated database's cores and service times, the shared cost
//! table). More distribution — sharding, a coordinator, a colocated store —
//! is the tempting wrong step when the diagnosis is a synchronization
//! problem or a missing index. Steps the calibrated model cannot express
//! faithfully are listed as not modelled ([`NOT_MODELLED`]).
//!
//! The verdict, against `today` at the grown load:
//! - **makes it worse** when the capacity falls by more than
//!   [`CAPACITY_MARGIN`], an anomaly class rises (by more than
//!   [`ANOMALY_MARGIN`] per 1,000, by half and by three standard
//!   deviations of the counts' Poisson noise; compared only when neither
//!   run saturated at the grown load), or — for a synchronization
//!   problem — the step adds nodes and the sync backlog still grows;
//! - **helps** when none of that holds and the capacity rises by more than
//!   [`CAPACITY_MARGIN`], an anomaly class falls (as above), or a growing
//!   backlog stops growing; a step that leaves a synchronization problem's
//!   backlog growing is at best neutral: it does not treat the tension;
//! - **neutral** otherwise.
//!
//! Steps that help are ranked by their cost per 1,000 ops/s of capacity,
//! cheapest first.

use rayon::prelude::*;
use serde::Serialize;

use super::Diagnosis;
use super::calibrate::{self, Calibration, Parameters};
use super::observed::Observed;
use crate::capacity::{self, Search};
use crate::report::RunResult;
use crate::scenario::{Scenario, Slo};

/// A capacity change smaller than this share is noise: neutral (10 %, the
/// search's tolerance).
pub const CAPACITY_MARGIN: f64 = 0.1;
/// An anomaly class changes when it moves by more than this many per
/// 1,000 operations and by half.
pub const ANOMALY_MARGIN: f64 = 0.1;
/// The capacity search's tolerance (coarse: many steps are searched).
pub const TOLERANCE: f64 = 0.1;

/// Steps of the catalogue the model does not express, and why.
pub const NOT_MODELLED: &[&str] = &["fix N+1 queries: the model's requests are one statement each"];

/// The verdict of one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Helps,
    Neutral,
    MakesItWorse,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Helps => "helps",
            Verdict::Neutral => "neutral",
            Verdict::MakesItWorse => "makes it worse",
        }
    }
}

/// One anomaly class that changed, per 1,000 offered operations.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnomalyChange {
    pub class: String,
    pub today_per_1k: f64,
    pub step_per_1k: f64,
}

/// One step, run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WhatIf {
    pub step: String,
    /// The change to the calibrated scenario.
    pub change: String,
    /// The tempting wrong step: more distribution for a tension it does
    /// not treat.
    pub tempting: bool,
    pub verdict: Verdict,
    /// Why, in one sentence, with the figures.
    pub mechanism: String,
    /// The highest rate meeting the SLO, ops/s.
    pub capacity_ops_per_s: f64,
    /// At today's load × growth.
    pub anomalies: Vec<AnomalyChange>,
    pub platforms: u32,
    pub nodes: u32,
    pub cost_usd_per_hour: Option<f64>,
    pub sync_backlog_growing: bool,
    /// Whether the run at the grown load saturated (its anomalies are then
    /// not compared).
    pub saturated: bool,
}

/// The what-ifs of one system.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WhatIfs {
    pub growth: f64,
    pub rate_ops_per_s: f64,
    pub slo: Vec<String>,
    /// Today's system at the grown load (step "today").
    pub today: WhatIf,
    /// Steps, those that help first (cheapest capacity first); in the
    /// diagnosis's `what_ifs`.
    #[serde(skip)]
    pub steps: Vec<WhatIf>,
    pub not_modelled: Vec<String>,
}

/// A step before it is run.
struct Candidate {
    id: &'static str,
    change: String,
    mechanism: &'static str,
    tempting: bool,
    arch: toml::Table,
}

fn table<'a>(arch: &'a mut toml::Table, name: &str) -> &'a mut toml::Table {
    arch.entry(name.to_string())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        .as_table_mut()
        .expect("a table")
}

/// The catalogue's steps this system can take.
fn catalogue(o: &Observed, d: &Diagnosis, p: &Parameters, today: &toml::Table) -> Vec<Candidate> {
    let fired = |id: &str| {
        d.signatures
            .iter()
            .any(|s| s.id == id && s.fired == Some(true))
    };
    let stores = today.contains_key("stores");
    let sync_problem = d.stage == 2;
    let mut out = Vec::new();
    let mut step = |id, change: String, mechanism, tempting, edit: &dyn Fn(&mut toml::Table)| {
        let mut arch = today.clone();
        arch.insert("name".into(), toml::Value::String(id_name(id)));
        edit(&mut arch);
        out.push(Candidate {
            id,
            change,
            mechanism,
            tempting,
            arch,
        });
    };
    let cpu_times = |arch: &mut toml::Table, factor: f64| {
        let db = table(arch, "db");
        let k = p.cpu_scale * factor;
        db.insert("read".into(), calibrate::read_dist(k).into());
        db.insert("write".into(), calibrate::write_dist(k).into());
    };
    if fired("missing_index")
        && let Some(slow) = o.indicators.slow_queries_share
    {
        step(
            "fix_query",
            format!(
                "db.read and db.write × {:.2} (the {:.0} % of database time in scans goes)",
                1.0 - slow,
                slow * 100.0
            ),
            "an index turns the scans into lookups, so the same cores serve more operations",
            false,
            &|a| cpu_times(a, 1.0 - slow),
        );
    }
    if let Some(share) = o.indicators.analytics_db_share_peak.filter(|s| *s > 0.0) {
        let replicas = p.kind != "polyglot";
        step(
            "move_analytics",
            format!(
                "db.read and db.write × {:.2}{}",
                1.0 - share,
                if replicas { ", one more replica" } else { "" }
            ),
            "reports leave the primary's cores for a replica or the warehouse",
            false,
            &|a| {
                cpu_times(a, 1.0 - share);
                if replicas {
                    let r = table(a, "replicas");
                    let n = r
                        .get("count")
                        .and_then(toml::Value::as_integer)
                        .unwrap_or(0);
                    r.insert("count".into(), (n + 1).into());
                    r.entry("reads").or_insert("primary".into());
                }
            },
        );
    }
    step(
        "bigger_box",
        format!("db.cores {} → {}", p.db_cores, p.db_cores * 2),
        "twice the cores on the database take twice the work before the knee",
        false,
        &|a| {
            table(a, "db").insert("cores".into(), i64::from(p.db_cores * 2).into());
        },
    );
    if p.cache_entries > 0 {
        let bigger = (p.cache_entries * 4).min(p.keys);
        step(
            "bigger_cache",
            format!("cache.capacity {} → {bigger}", p.cache_entries),
            "more of the working set is served from memory, so fewer reads reach the database",
            false,
            &|a| {
                table(a, "cache").insert("capacity".into(), (bigger as i64).into());
            },
        );
    }
    if p.kind == "single" {
        step(
            "read_your_writes",
            "replicas.reads = \"read-your-writes\" (at least one replica)".to_string(),
            "reads move to the replicas, a session's own recent writes still read on the primary",
            false,
            &|a| {
                let r = table(a, "replicas");
                let n = r
                    .get("count")
                    .and_then(toml::Value::as_integer)
                    .unwrap_or(0);
                r.insert("count".into(), n.max(1).into());
                r.insert("reads".into(), "read-your-writes".into());
            },
        );
    }
    let cdc_paths: Vec<&str> = ["search_sync", "warehouse_sync"]
        .into_iter()
        .filter(|f| {
            today
                .get("stores")
                .and_then(|s| s.get(*f))
                .is_some_and(|v| v.as_str() == Some("cdc"))
        })
        .collect();
    if stores && !cdc_paths.is_empty() {
        for (id, to, mechanism) in [
            (
                "cdc_to_bus",
                "event-bus",
                "the application publishes each change to a bus whose consumers keep up, \
                 instead of one connector tailing the log",
            ),
            (
                "cdc_to_dual_write",
                "dual-write",
                "the application writes each store itself: no connector to fall behind, but a \
                 failed second write leaves the stores apart",
            ),
        ] {
            let paths = cdc_paths.clone();
            step(
                id,
                format!("stores.{} = \"{to}\"", paths.join(", stores.")),
                mechanism,
                false,
                &|a| {
                    let s = table(a, "stores");
                    for f in &paths {
                        s.insert((*f).into(), to.into());
                    }
                },
            );
        }
    }
    let tempting = sync_problem || fired("missing_index");
    if p.kind == "sharded" {
        step(
            "more_shards",
            format!("shards.count {} → {}", p.shards, p.shards * 2),
            "twice the shards split the database's work, and every cross-group transaction \
             still spans two of them",
            tempting,
            &|a| {
                table(a, "shards").insert("count".into(), i64::from(p.shards * 2).into());
            },
        );
    } else {
        step(
            "shard_by_group",
            "kind = \"sharded\", 4 shards by entity group".to_string(),
            "four databases split the work by entity group, and a transaction across groups \
             now spans two of them",
            tempting,
            &|a| {
                a.insert("kind".into(), "sharded".into());
                let s = table(a, "shards");
                s.insert("count".into(), 4.into());
                s.insert("partition_by".into(), "group".into());
            },
        );
    }
    // Stage 4 and 5 on the same cost table: the calibrated database's
    // cores and service times, four shards or nodes by entity group, as
    // the sharding step has; only the tables the new kind takes are kept.
    let keep = |a: &mut toml::Table, tables: &[&str]| {
        a.retain(|k, _| k == "name" || k == "kind" || tables.contains(&k));
    };
    step(
        "add_coordinator",
        "kind = \"coordinator\", 4 shards by entity group, two-phase commit".to_string(),
        "four databases split the work and a coordinator commits each transaction across \
         groups atomically, at 4n messages and 2n + 1 forced writes; reads come from its read \
         model",
        tempting,
        &|a| {
            keep(a, &["db", "cache", "stores"]);
            a.insert("kind".into(), "coordinator".into());
            if let Some(c) = a.get_mut("cache").and_then(toml::Value::as_table_mut) {
                c.retain(|k, _| k == "capacity");
            }
            let s = table(a, "shards");
            s.insert("count".into(), 4.into());
            s.insert("partition_by".into(), "group".into());
        },
    );
    if !stores {
        step(
            "colocate_by_group",
            "kind = \"colocated\", 4 nodes, partitions by entity group, Raft".to_string(),
            "the data lives in memory on four nodes, placed by entity group; each commit is a \
             Raft round, and a transaction across groups is 2PC over their groups",
            tempting,
            &|a| {
                keep(a, &["db"]);
                a.insert("kind".into(), "colocated".into());
                a.insert("partition_by".into(), "group".into());
                table(a, "partitions").insert("nodes".into(), 4.into());
            },
        );
    }
    out
}

/// An architecture name for step `id` (names take `-`, not `_`).
fn id_name(id: &str) -> String {
    id.replace('_', "-")
}

/// Per 1,000 offered operations of each anomaly class of `r`.
fn anomaly_rates(r: &RunResult) -> Vec<(&'static str, f64)> {
    let offered = r.offered_ops_per_s * calibrate::DURATION_S;
    r.anomalies
        .counts()
        .into_iter()
        .map(|(name, n)| {
            let per_1k = if offered > 0.0 {
                n as f64 * 1000.0 / offered
            } else {
                0.0
            };
            (name, (per_1k * 1e4).round() / 1e4)
        })
        .collect()
}

/// Runs every step of the catalogue on the calibrated scenario at today's
/// load × `growth`, and searches each one's capacity at `slo`.
/// Deterministic: whole simulations run side by side, results in
/// catalogue order.
pub fn what_ifs(
    o: &Observed,
    d: &Diagnosis,
    c: &Calibration,
    growth: f64,
    slo: &Slo,
) -> Result<WhatIfs, String> {
    let (Some(p), Some(text)) = (&c.parameters, &c.scenario) else {
        return Err("no calibrated scenario".to_string());
    };
    let mut base: toml::Table = text.parse().map_err(|e| format!("{e}"))?;
    let rate = p.rate_ops_per_s * growth;
    scale_load(&mut base, growth);
    let today = base["architecture"].as_array().expect("architectures")[0]
        .as_table()
        .expect("a table")
        .clone();
    let candidates = catalogue(o, d, p, &today);
    let mut archs = vec![toml::Value::Table(today)];
    archs.extend(
        candidates
            .iter()
            .map(|c| toml::Value::Table(c.arch.clone())),
    );
    base.insert("architecture".into(), toml::Value::Array(archs));
    let text = toml::to_string(&base).map_err(|e| e.to_string())?;
    let mut scenario = Scenario::from_toml(&text, "what-ifs", &format!("{}-what-ifs", o.name), &[])
        .map_err(|e| e.to_string())?;
    scenario.slo = slo.clone();
    let (runs, ladder) = rayon::join(
        || crate::runner::run(&scenario).runs,
        || {
            capacity::capacity(
                &scenario,
                slo,
                Search {
                    tolerance: TOLERANCE,
                    reach: 16.0,
                },
                &|| {},
            )
        },
    );
    let ladder = ladder.map_err(|e| e.to_string())?;
    let capacities: Vec<f64> = ladder
        .architectures
        .iter()
        .map(|r| r.capacity_ops_per_s)
        .collect();
    let today_rates = anomaly_rates(&runs[0]);
    let figures = |i: usize, id: &str, change: String, tempting: bool| -> WhatIf {
        let r = &runs[i];
        let rates = anomaly_rates(r);
        let anomalies = rates
            .iter()
            .zip(&today_rates)
            .filter(|((_, s), (_, t))| s != t)
            .map(|((class, s), (_, t))| AnomalyChange {
                class: class.to_string(),
                today_per_1k: *t,
                step_per_1k: *s,
            })
            .collect();
        WhatIf {
            step: id.to_string(),
            change,
            tempting,
            verdict: Verdict::Neutral,
            mechanism: String::new(),
            capacity_ops_per_s: capacities[i],
            anomalies,
            platforms: r.footprint.platforms,
            nodes: r.footprint.nodes,
            cost_usd_per_hour: r.footprint.cost_usd_per_hour,
            sync_backlog_growing: calibrate::backlog_growing(r),
            saturated: r.saturated.is_some(),
        }
    };
    let today = figures(0, "today", "the calibrated system".to_string(), false);
    let mut steps: Vec<WhatIf> = candidates
        .par_iter()
        .enumerate()
        .map(|(i, cand)| {
            let mut w = figures(i + 1, cand.id, cand.change.clone(), cand.tempting);
            judge(
                &mut w,
                &today,
                d.stage == 2,
                cand.mechanism,
                rate * calibrate::DURATION_S,
            );
            w
        })
        .collect();
    // Those that help first, cheapest capacity first; then neutral, then
    // worse; catalogue order among equals.
    let rank = |w: &WhatIf| match w.verdict {
        Verdict::Helps => 0,
        Verdict::Neutral => 1,
        Verdict::MakesItWorse => 2,
    };
    let per_capacity = |w: &WhatIf| match (w.cost_usd_per_hour, w.capacity_ops_per_s) {
        (Some(c), cap) if cap > 0.0 => c / cap,
        _ => f64::INFINITY,
    };
    steps.sort_by(|a, b| {
        rank(a).cmp(&rank(b)).then(if rank(a) == 0 {
            per_capacity(a).total_cmp(&per_capacity(b))
        } else {
            std::cmp::Ordering::Equal
        })
    });
    Ok(WhatIfs {
        growth,
        rate_ops_per_s: rate,
        slo: slo.budgets(),
        today,
        steps,
        not_modelled: NOT_MODELLED.iter().map(|s| s.to_string()).collect(),
    })
}

/// The load of the scenario `t` × `growth`: its rate and its phases'.
fn scale_load(t: &mut toml::Table, growth: f64) {
    let w = table(t, "workload");
    let rate = w.get("rate").map_or(0.0, number);
    w.insert("rate".into(), (rate * growth).into());
    if let Some(phases) = w.get_mut("phase").and_then(toml::Value::as_array_mut) {
        for ph in phases {
            if let Some(ph) = ph.as_table_mut() {
                let r = ph.get("rate").map_or(0.0, number);
                ph.insert("rate".into(), (r * growth).into());
            }
        }
    }
}

/// A TOML number, integer or float.
fn number(v: &toml::Value) -> f64 {
    v.as_float()
        .or_else(|| v.as_integer().map(|i| i as f64))
        .unwrap_or(0.0)
}

/// Sets `w`'s verdict and mechanism against `today` (see the module's
/// rules); `sync_problem`: the diagnosis is a stage-2 synchronization
/// problem; `ops`: the operations offered in each run.
fn judge(w: &mut WhatIf, today: &WhatIf, sync_problem: bool, mechanism: &str, ops: f64) {
    let moved = |a: &AnomalyChange, up: bool| {
        let (from, to) = if up {
            (a.today_per_1k, a.step_per_1k)
        } else {
            (a.step_per_1k, a.today_per_1k)
        };
        // Counts in the run, against Poisson noise: three standard
        // deviations of the difference.
        let count = |per_1k: f64| per_1k * ops / 1000.0;
        let noise = 3.0 * (count(from) + count(to)).sqrt();
        to - from > ANOMALY_MARGIN && to > 1.5 * from && count(to) - count(from) > noise
    };
    // A saturated run stops early, its anomalies a product of the backlog:
    // only two runs that kept up are compared.
    let comparable = !w.saturated && !today.saturated;
    let changed = |up: bool| -> Vec<&AnomalyChange> {
        w.anomalies
            .iter()
            .filter(|a| comparable && moved(a, up))
            .collect()
    };
    let (rose, fell) = (changed(true), changed(false));
    let ratio = if today.capacity_ops_per_s > 0.0 {
        w.capacity_ops_per_s / today.capacity_ops_per_s
    } else if w.capacity_ops_per_s > 0.0 {
        f64::INFINITY
    } else {
        1.0
    };
    let untreated = sync_problem && w.sync_backlog_growing;
    let cleared = today.sync_backlog_growing && !w.sync_backlog_growing;
    let capacity = format!(
        "capacity {:.0} → {:.0} ops/s",
        today.capacity_ops_per_s, w.capacity_ops_per_s
    );
    let classes = |list: &[&AnomalyChange]| {
        list.iter()
            .map(|a| {
                format!(
                    "{} {:.2} → {:.2} per 1,000",
                    a.class, a.today_per_1k, a.step_per_1k
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (verdict, why) = if ratio < 1.0 - CAPACITY_MARGIN {
        (Verdict::MakesItWorse, capacity)
    } else if !rose.is_empty() {
        (
            Verdict::MakesItWorse,
            format!("{}; {capacity}", classes(&rose)),
        )
    } else if untreated && w.nodes > today.nodes {
        (
            Verdict::MakesItWorse,
            format!(
                "{} more nodes and the sync backlog still grows; {capacity}",
                w.nodes - today.nodes
            ),
        )
    } else if untreated {
        (
            Verdict::Neutral,
            format!("the sync backlog still grows; {capacity}"),
        )
    } else if cleared {
        (
            Verdict::Helps,
            format!("the sync backlog stops growing; {capacity}"),
        )
    } else if ratio > 1.0 + CAPACITY_MARGIN {
        (Verdict::Helps, capacity)
    } else if !fell.is_empty() {
        (Verdict::Helps, format!("{}; {capacity}", classes(&fell)))
    } else {
        (Verdict::Neutral, format!("{capacity}, within the noise"))
    };
    w.verdict = verdict;
    w.mechanism = format!("{mechanism}: {why}.");
}

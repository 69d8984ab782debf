//! Plain-text tables for the terminal, and the table model shared with the
//! Markdown exporter.

use super::{Exporter, Results, RunResult, thousands};

/// A table: a header row and body rows of already formatted cells.
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Text with aligned columns: the first column left, the rest right.
    pub fn to_text(&self) -> String {
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|i| {
                self.rows
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([self.headers[i].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[String]| {
            let parts: Vec<String> = cells
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (c, w))| {
                    if i == 0 {
                        format!("{c:<w$}")
                    } else {
                        format!("{c:>w$}")
                    }
                })
                .collect();
            parts.join("  ").trim_end().to_string() + "\n"
        };
        let mut out = line(&self.headers);
        for row in &self.rows {
            out += &line(row);
        }
        out
    }

    pub fn to_markdown(&self) -> String {
        let mut out = format!("| {} |\n", self.headers.join(" | "));
        let rules: Vec<&str> = (0..self.headers.len())
            .map(|i| if i == 0 { "---" } else { "---:" })
            .collect();
        out += &format!("| {} |\n", rules.join(" | "));
        for row in &self.rows {
            out += &format!("| {} |\n", row.join(" | "));
        }
        out
    }
}

/// Milliseconds with three decimals (microsecond resolution).
pub fn ms(v: f64) -> String {
    format!("{v:.3}")
}

/// Milliseconds, "≥ " before a figure that falls among the operations not
/// answered ok (a lower bound: they count at the client's whole wait).
pub fn ms_at_least(v: f64, at_least: bool) -> String {
    if at_least {
        format!("≥ {v:.3}")
    } else {
        ms(v)
    }
}

/// Latency figure `field` (`"p99_ms"`) of `l`, marked when a lower bound.
pub fn latency_ms(l: &crate::metrics::LatencySummary, field: &str) -> String {
    ms_at_least(l.figure(field), l.is_at_least(field))
}

/// What every latency table and chart says about failures.
pub const LATENCY_NOTE: &str = "Every operation started in the window counts, whatever its \
     outcome: one that failed or timed out counts at the client's whole wait (timeout × \
     attempts), so a figure that falls among them is a lower bound, shown \"≥\"; the failures \
     are counted beside (errors, timeouts, unfinished).";

/// What the load table's columns mean.
pub const LOAD_NOTE: &str = "offered: operations started in the window per second, whatever \
     became of them; goodput: those answered ok (within the client's timeout) per second; \
     failed: offered operations not answered ok (errors, timeouts, unfinished); unchecked: \
     their share — the client saw no answer, so their reads were not checked for anomalies; \
     busiest: the component with the highest utilization, the first to saturate — where a \
     goodput below the offered load comes from.";

/// What the load table's `saturated` column means (shown when a run was).
pub const SATURATED_NOTE: &str = "saturated: the run was stopped at that simulated instant      because its backlog (operations in flight or waiting) grew for a fifth of the measured      duration — the offered load is beyond what it completes; the operations it never served      count as failed at the client's whole wait, so its goodput and percentiles are lower      bounds, and its component figures cover only the work scheduled before the stop.";

/// Where a saturated run stopped, `at 6.0 s`, or `-`.
pub fn saturated(run: &RunResult) -> String {
    run.saturated
        .as_ref()
        .map_or("-".to_string(), |s| format!("at {:.1} s", s.at_s))
}

/// Whether some run of `results` was stopped as saturated.
pub fn any_saturated(results: &Results) -> bool {
    results.runs.iter().any(|r| r.saturated.is_some())
}

/// A run's busiest component and its utilization, `cache 61.2 %`.
pub fn busiest(run: &RunResult) -> String {
    run.busiest.as_ref().map_or("-".to_string(), |b| {
        format!("{} {:.1} %", b.name, b.utilization * 100.0)
    })
}

/// How the anomaly table counts.
pub const ANOMALY_NOTE: &str = "Rates are per 1,000 offered operations (started in the \
     window, failed ones included); `unchecked` is the share of them not answered ok, whose \
     reads could not be checked — a saturated architecture's low rates read with it beside.";

/// Offered load and goodput per run: what each architecture got done of
/// the load it was offered, and where a saturated run was stopped (that
/// column only when some run was).
pub fn load_table(results: &Results) -> Table {
    let marked = any_saturated(results);
    let mut columns = vec![
        "offered ops/s",
        "goodput ops/s",
        "goodput",
        "failed",
        "unchecked",
        "busiest",
    ];
    if marked {
        columns.push("saturated");
    }
    per_run_table(results, &columns, |run| {
        let l = run.latency.all();
        let share = |x: f64| format!("{:.1} %", x * 100.0);
        let mut row = vec![
            format!("{:.1}", run.offered_ops_per_s),
            format!("{:.1}", run.goodput_ops_per_s),
            if run.offered_ops_per_s > 0.0 {
                share(run.goodput_ops_per_s / run.offered_ops_per_s)
            } else {
                "-".to_string()
            },
            l.failed().to_string(),
            share(run.unchecked_share),
            busiest(run),
        ];
        if marked {
            row.push(saturated(run));
        }
        vec![row]
    })
}

/// A table with a block of rows per run: `architecture` (and `rep` when the
/// scenario has replications), then `columns`, filled by `cells`.
fn per_run_table(
    results: &Results,
    columns: &[&str],
    cells: impl Fn(&RunResult) -> Vec<Vec<String>>,
) -> Table {
    let replicated = results.scenario.replications > 1;
    let swept = &results.scenario.swept;
    let mut headers = vec!["architecture".to_string()];
    headers.extend(swept.iter().cloned());
    if replicated {
        headers.push("rep".into());
    }
    headers.extend(columns.iter().map(|c| c.to_string()));
    let mut rows = Vec::new();
    for run in &results.runs {
        for cells in cells(run) {
            let mut row = vec![run.architecture.clone()];
            row.extend(
                swept
                    .iter()
                    .map(|p| run.point.get(p).cloned().unwrap_or_default()),
            );
            if replicated {
                row.push(run.replication.to_string());
            }
            row.extend(cells);
            rows.push(row);
        }
    }
    Table { headers, rows }
}

/// The latency table's columns after the architecture (and swept values).
const LATENCY_COLUMNS: [&str; 11] = [
    "op",
    "count",
    "mean ms",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "p99.9 ms",
    "max ms",
    "errors",
    "timeouts",
    "unfinished",
];

/// Latency per architecture and operation kind; with replications, each
/// figure as its mean ± the 95 % confidence half-width over them.
pub fn latency_table(results: &Results) -> Table {
    if !results.summaries.is_empty() {
        return summary_latency_table(results);
    }
    per_run_table(results, &LATENCY_COLUMNS, |run| {
        run.latency
            .ordered()
            .map(|(op, l)| {
                let mut row = vec![op.to_string(), l.count.to_string()];
                for f in ["mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms"] {
                    row.push(latency_ms(l, f));
                }
                row.extend([
                    l.errors.to_string(),
                    l.timeouts.to_string(),
                    l.unfinished.to_string(),
                ]);
                row
            })
            .collect()
    })
}

/// Each fault, per architecture, over the fault and its recovery (see
/// `FaultReport`): the operations that failed (errors and timeouts), p99
/// before the fault and the worst during it and after (failures counted at
/// the client's whole wait, "≥" there), the
/// anomalies it caused, acknowledged writes lost, transactions left in doubt
/// and when a replica or a new leader took over.
pub fn fault_table(results: &Results) -> Table {
    let columns = [
        "fault",
        "until s",
        "failed",
        "p99 before ms",
        "p99 worst ms",
        "anomalies",
        "at the rate before",
        "lost writes",
        "in doubt",
        "in doubt max s",
        "takeover s",
    ];
    per_run_table(results, &columns, |run| {
        run.faults
            .iter()
            .map(|f| {
                vec![
                    f.fault.clone(),
                    format!("{:.1}", f.until_s),
                    f.failed.to_string(),
                    ms_at_least(f.p99_before_ms, run.series.at_least(f.p99_before_ms)),
                    ms_at_least(f.p99_ms, run.series.at_least(f.p99_ms)),
                    f.anomalies.to_string(),
                    f.anomalies_before_rate.to_string(),
                    f.lost_writes.to_string(),
                    f.in_doubt.to_string(),
                    format!("{:.3}", f.in_doubt_max_s),
                    f.takeover_s.map_or("-".to_string(), |t| format!("{t:.3}")),
                ]
            })
            .collect()
    })
}

/// Each leader election a fault caused (colocated Raft groups), per
/// architecture: whose leader, how long until a new one was elected
/// (detection and every round) and until it served (the old lease
/// included), the election rounds and the split votes among them. Empty
/// when no fault cost a leader.
pub fn failover_table(results: &Results) -> Table {
    let columns = [
        "fault",
        "group",
        "elected after ms",
        "serving after ms",
        "rounds",
        "split votes",
    ];
    let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
    per_run_table(results, &columns, |run| {
        run.faults
            .iter()
            .flat_map(|f| {
                f.failovers.iter().map(|o| {
                    vec![
                        f.fault.clone(),
                        o.who.clone(),
                        ms(o.elected_ms),
                        ms(o.downtime_ms),
                        o.rounds.to_string(),
                        o.split_votes.to_string(),
                    ]
                })
            })
            .collect()
    })
}

fn summary_latency_table(results: &Results) -> Table {
    let swept = &results.scenario.swept;
    let mut headers = vec!["architecture".to_string()];
    headers.extend(swept.iter().cloned());
    headers.extend(LATENCY_COLUMNS.map(String::from));
    let mut rows = Vec::new();
    for s in &results.summaries {
        let all = s.latency.get_key_value("all");
        let ops = all
            .into_iter()
            .chain(s.latency.iter().filter(|(k, _)| k.as_str() != "all"));
        for (op, l) in ops {
            let mut row = vec![s.architecture.clone()];
            row.extend(
                swept
                    .iter()
                    .map(|p| s.point.get(p).cloned().unwrap_or_default()),
            );
            row.push(op.clone());
            row.push(format!("{:.0}", l.count.mean));
            let figures = [
                ("mean_ms", l.mean_ms),
                ("p50_ms", l.p50_ms),
                ("p90_ms", l.p90_ms),
                ("p99_ms", l.p99_ms),
                ("p999_ms", l.p999_ms),
                ("max_ms", l.max_ms),
            ];
            for (field, e) in figures {
                if l.at_least.iter().any(|f| f == field) {
                    row.push(format!("≥ {}", e.text()));
                } else {
                    row.push(e.text());
                }
            }
            for e in [l.errors, l.timeouts, l.unfinished] {
                row.push(format!("{:.1}", e.mean));
            }
            rows.push(row);
        }
    }
    Table { headers, rows }
}

/// Throughput and per-component figures per architecture.
pub fn component_table(results: &Results) -> Table {
    let columns = [
        "ops/s",
        "component",
        "utilization",
        "mean queue",
        "hit ratio",
        "fsyncs/s",
        "lag mean ms",
        "lag p99 ms",
        "fan-out",
        "cross-shard",
    ];
    let dash = || "-".to_string();
    let opt = |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map(f).unwrap_or_else(dash);
    let window_s = results.scenario.duration_s;
    per_run_table(results, &columns, |run| {
        run.components
            .iter()
            .map(|(name, c)| {
                vec![
                    format!("{:.1}", run.throughput_per_s),
                    name.clone(),
                    opt(c.utilization, &|u| format!("{:.1} %", u * 100.0)),
                    opt(c.mean_queue, &|q| format!("{q:.3}")),
                    opt(c.hit_ratio, &|h| format!("{h:.3}")),
                    c.forced_writes
                        .map(|n| format!("{:.0}", n as f64 / window_s))
                        .unwrap_or_else(dash),
                    if c.lag_writes == Some(0) {
                        "none delivered".to_string()
                    } else {
                        opt(c.lag_mean_ms, &ms)
                    },
                    opt(c.lag_p99_ms, &ms),
                    opt(c.fanout_mean, &|f| format!("{f:.2}")),
                    opt(c.cross_shard_share, &|s| format!("{:.1} %", s * 100.0)),
                ]
            })
            .collect()
    })
}

/// What became of cache fills, per cache that counts stale sets (kind =
/// "single"): the fills that left an old value behind a writer's
/// invalidation, and under leases the stale fills refused, the lookups told
/// to wait for another reader's fill, the database reads that spared, and
/// the lookups that went to the database (misses less hot misses).
pub fn cache_fill_table(results: &Results) -> Table {
    let columns = [
        "component",
        "stale sets",
        "stale sets refused",
        "hot misses",
        "db reads saved",
        "to database",
    ];
    let count = |v: Option<u64>| v.map_or("-".to_string(), |n| n.to_string());
    per_run_table(results, &columns, |run| {
        run.components
            .iter()
            .filter(|(_, c)| c.stale_sets.is_some())
            .map(|(name, c)| {
                let misses = c.misses.unwrap_or(0);
                vec![
                    name.clone(),
                    count(c.stale_sets),
                    count(c.stale_sets_refused),
                    count(c.hot_misses),
                    count(c.db_reads_saved),
                    (misses - c.hot_misses.unwrap_or(0).min(misses)).to_string(),
                ]
            })
            .collect()
    })
}

/// Stale reads by application server, per architecture whose servers hold
/// caches of their own (`cache.app_servers` > 1): each server's lookups, hit
/// ratio and the stale reads its cache served, with their share of all the
/// stale reads its architecture's caches served.
pub fn app_server_table(results: &Results) -> Table {
    let columns = [
        "server cache",
        "lookups",
        "hit ratio",
        "stale reads",
        "share of stale reads",
    ];
    per_run_table(results, &columns, |run| {
        let servers = || {
            run.components
                .iter()
                .filter(|(_, c)| c.stale_reads.is_some())
        };
        let total: u64 = servers().filter_map(|(_, c)| c.stale_reads).sum();
        servers()
            .map(|(name, c)| {
                let stale = c.stale_reads.unwrap_or(0);
                let lookups = c.hits.unwrap_or(0) + c.misses.unwrap_or(0);
                vec![
                    name.clone(),
                    lookups.to_string(),
                    c.hit_ratio.map_or("-".to_string(), |h| format!("{h:.3}")),
                    stale.to_string(),
                    if total == 0 {
                        "-".to_string()
                    } else {
                        format!("{:.1} %", stale as f64 * 100.0 / total as f64)
                    },
                ]
            })
            .collect()
    })
}

/// Anomalies per architecture: each class that occurred, with its rate per
/// 1,000 offered operations and where it happened; stale reads also with
/// how old the missed data was; beside, the share of offered operations
/// that could not be checked. Classes that did not occur are left out (all
/// are in results.json).
pub fn anomaly_table(results: &Results) -> Table {
    let columns = [
        "anomaly",
        "count",
        "per 1k offered",
        "where",
        "age p50 ms",
        "age p99 ms",
        "depth max",
        "unchecked",
    ];
    per_run_table(results, &columns, |run| {
        let a = &run.anomalies;
        let unchecked = format!("{:.1} %", run.unchecked_share * 100.0);
        let per_1k = |n: u64| {
            let ops = run.latency.all().count as f64;
            if ops == 0.0 {
                "-".to_string()
            } else {
                format!("{:.3}", n as f64 * 1000.0 / ops)
            }
        };
        let wheres = |m: &std::collections::BTreeMap<String, u64>| {
            if m.is_empty() {
                "-".to_string()
            } else {
                m.iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let mut rows: Vec<Vec<String>> = a
            .classes()
            .filter(|(_, n, _)| *n > 0)
            .map(|(class, n, detail)| {
                let place = match class {
                    "divergence" => a
                        .divergence
                        .iter()
                        .filter(|(_, d)| d.older + d.phantom > 0)
                        .map(|(c, d)| format!("{c} {}", d.older + d.phantom))
                        .collect::<Vec<_>>()
                        .join(", "),
                    _ => detail.map_or("-".to_string(), |d| wheres(&d.by_served_by)),
                };
                let age = detail.and_then(|d| d.age_ms.as_ref());
                vec![
                    class.to_string(),
                    n.to_string(),
                    per_1k(n),
                    place,
                    age.map_or("-".into(), |x| ms(x.p50_ms)),
                    age.map_or("-".into(), |x| ms(x.p99_ms)),
                    detail
                        .and_then(|d| d.depth.as_ref())
                        .map_or("-".into(), |d| d.max.to_string()),
                    unchecked.clone(),
                ]
            })
            .collect();
        if rows.is_empty() {
            let mut none = ["none", "0", "0.000", "-", "-", "-", "-"]
                .map(String::from)
                .to_vec();
            none.push(unchecked);
            rows.push(none);
        }
        rows
    })
}

/// How the business table counts.
pub const BUSINESS_NOTE: &str = "A transfer is refused when the debited account holds less than \
     the amount (nothing moves), a reservation when the stock it checked was 0 or less; both are \
     correct answers, not errors. Rates are per 1,000 operations of that kind answered ok \
     (invoked in the window); failed and timed-out ones are in neither figure.";

/// Business outcomes per architecture: transfers refused for balance and
/// reservations refused for stock, among those answered ok. Runs whose
/// workload has neither are left out.
pub fn business_table(results: &Results) -> Table {
    let columns = [
        "transfers",
        "refused for balance",
        "per 1k transfers",
        "reservations",
        "refused for stock",
        "per 1k reservations",
    ];
    per_run_table(results, &columns, |run| {
        let b = &run.business;
        if b.is_empty() {
            return Vec::new();
        }
        vec![vec![
            b.transfers.to_string(),
            b.transfers_refused.to_string(),
            format!("{:.1}", b.transfers_refused_per_1000),
            b.reservations.to_string(),
            b.reservations_refused.to_string(),
            format!("{:.1}", b.reservations_refused_per_1000),
        ]]
    })
}

/// Coordination cost per operation of the workload: what keeping copies
/// and partitions consistent costs. Messages, round trips, forced writes
/// and consensus rounds are counted for every architecture; lock and
/// transaction figures by those that run transactions under locks (absent
/// figures are not counted by the architecture).
pub fn coordination_table(results: &Results) -> Table {
    let columns = [
        "msgs/op",
        "round trips/op",
        "forced writes/op",
        "consensus rounds/op",
        "lock wait ms/op",
        "distributed",
        "aborts/1k",
        "retries",
        "deadlocks",
    ];
    let dash = || "-".to_string();
    per_run_table(results, &columns, |run| {
        let c = &run.coordination;
        let Some(m) = &c.per_operation else {
            return Vec::new();
        };
        let f3 = |v: Option<f64>| v.map_or_else(dash, |v| format!("{v:.3}"));
        let n = |v: Option<u64>| v.map_or_else(dash, |v| v.to_string());
        vec![vec![
            format!("{:.3}", m.messages),
            f3(m.round_trips),
            format!("{:.3}", m.forced_writes),
            f3(m.consensus_rounds),
            f3(m.lock_wait_ms),
            c.distributed_share
                .map_or_else(dash, |d| format!("{:.1} %", d * 100.0)),
            c.aborts_per_1000.map_or_else(dash, |a| format!("{a:.2}")),
            n(c.retries),
            n(c.deadlocks),
        ]]
    })
}

/// Messages per operation by kind (`client`, `replication`, `pipeline`,
/// `quorum`, `raft`, …): who sends what over the network.
pub fn message_table(results: &Results) -> Table {
    per_run_table(results, &["message", "msgs/op"], |run| {
        run.coordination
            .per_operation
            .iter()
            .flat_map(|m| &m.messages_by_kind)
            .map(|(kind, n)| vec![kind.clone(), format!("{n:.3}")])
            .collect()
    })
}

/// What each architecture asks a team to operate: its platforms (kinds of
/// system) and nodes (servers), the servers of each platform with the
/// instance their cores need, and what they all cost per hour.
pub fn footprint_table(results: &Results) -> Table {
    per_run_table(results, &["platforms", "nodes", "servers", "$/h"], |run| {
        let f = &run.footprint;
        let servers: Vec<String> = f
            .instances
            .iter()
            .map(|i| {
                let size = i
                    .instance
                    .clone()
                    .unwrap_or_else(|| format!("{} cores, larger than any instance", i.cores));
                format!("{} {} × {size}", i.platform, i.nodes)
            })
            .collect();
        vec![vec![
            f.platforms.to_string(),
            f.nodes.to_string(),
            servers.join(", "),
            usd(f.cost_usd_per_hour),
        ]]
    })
}

/// Dollars, to the cent below $100 and whole above; "-" for no price.
pub fn usd(v: Option<f64>) -> String {
    match v {
        Some(v) if v < 100.0 => format!("${v:.2}"),
        Some(v) => format!("${}", thousands(v.round())),
        None => "-".to_string(),
    }
}

/// Cost per distributed transaction (two-phase commit, over shards or Raft
/// groups): the classic counts are 4n messages and 2n + 1 forced writes for
/// n updating participants.
pub fn transaction_table(results: &Results) -> Table {
    let columns = [
        "transactions",
        "msgs",
        "round trips",
        "forced writes",
        "on path",
        "consensus rounds",
        "lock wait ms",
        "prepared ms",
        "in doubt peak",
    ];
    per_run_table(results, &columns, |run| {
        let c = &run.coordination;
        let Some(t) = &c.per_transaction else {
            return Vec::new();
        };
        let f3 = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"));
        vec![vec![
            t.count.to_string(),
            format!("{:.2}", t.messages),
            f3(t.round_trips),
            format!("{:.2}", t.forced_writes),
            format!("{:.2}", t.critical_forced_writes),
            f3(t.consensus_rounds),
            f3(t.lock_wait_ms),
            f3(t.prepared_ms),
            c.in_doubt_peak
                .map_or_else(|| "-".to_string(), |p| p.to_string()),
        ]]
    })
}

/// The t-visibility curve per architecture: for each probe delay, the share
/// of probe reads that saw the write. Empty without probes.
pub fn visibility_table(results: &Results) -> Table {
    per_run_table(results, &["after ms", "probes", "saw the write"], |run| {
        run.visibility
            .probes
            .iter()
            .map(|p| {
                vec![
                    format!("{}", p.after_ms),
                    p.probes.to_string(),
                    format!("{:.4}", p.consistent),
                ]
            })
            .collect()
    })
}

/// How a leaderless store's reads are spread over staleness depth: the
/// share of its reads (served by a read quorum) that returned the newest
/// acknowledged version, or one, two, three, four or more versions behind
/// it. Empty without such reads.
pub fn read_depth_table(results: &Results) -> Table {
    let columns = [
        "quorum reads",
        "fresh",
        "1 behind",
        "2 behind",
        "3 behind",
        "4+ behind",
    ];
    per_run_table(results, &columns, |run| {
        let Some(d) = &run.anomalies.quorum_read_depth else {
            return Vec::new();
        };
        let mut row = vec![d.reads.to_string()];
        row.extend(
            d.counts()
                .iter()
                .map(|n| format!("{:.4}", *n as f64 / d.reads as f64)),
        );
        vec![row]
    })
}

/// Visibility lag per copy: from a write's commit at the system of record
/// to its apply at the copy.
pub fn lag_table(results: &Results) -> Table {
    per_run_table(
        results,
        &["copy", "writes", "lag p50 ms", "p99 ms", "p99.9 ms"],
        |run| {
            run.visibility
                .lag_ms
                .iter()
                .map(|(copy, l)| {
                    if l.none_delivered() {
                        return [copy.as_str(), "0", "none delivered", "-", "-"]
                            .map(String::from)
                            .to_vec();
                    }
                    vec![
                        copy.clone(),
                        l.writes.to_string(),
                        format!("{:.3}", l.p50_ms),
                        format!("{:.3}", l.p99_ms),
                        format!("{:.3}", l.p999_ms),
                    ]
                })
                .collect()
        },
    )
}

/// One line describing the run, above the tables.
pub fn heading(results: &Results) -> String {
    let s = &results.scenario;
    let warmup = if s.warmup_auto {
        let picked: Vec<f64> = results.runs.iter().filter_map(|r| r.warmup_s).collect();
        let (lo, hi) = (
            picked.iter().copied().fold(f64::INFINITY, f64::min),
            picked.iter().copied().fold(0.0, f64::max),
        );
        if (hi - lo).abs() < 1e-9 {
            format!("an automatic (MSER-5) {hi:.3} s")
        } else {
            format!("an automatic (MSER-5) {lo:.3}–{hi:.3} s")
        }
    } else {
        format!("{} s", s.warmup_s)
    };
    let rate = if s.swept.iter().any(|p| p == "workload.rate") {
        "the swept rate".to_string()
    } else {
        format!("{} ops/s", s.rate_per_s)
    };
    format!(
        "{} — seed {}, {} s measured after {} warm-up, {} offered{}",
        s.name,
        s.seed,
        s.duration_s,
        warmup,
        rate,
        if s.replications > 1 {
            format!(
                ", {} replications (latency: mean ± 95 % confidence half-width)",
                s.replications
            )
        } else {
            String::new()
        }
    )
}

/// The terminal view (stdout of `archsim run`).
pub struct TableExporter;

impl Exporter for TableExporter {
    fn file_name(&self) -> &'static str {
        "results.txt"
    }

    fn render(&self, results: &Results) -> anyhow::Result<String> {
        let saturated_note = if any_saturated(results) {
            format!("note: {SATURATED_NOTE}\n\n")
        } else {
            String::new()
        };
        let mut out = format!(
            "{}\n\n{}note: {LOAD_NOTE}\n\n{saturated_note}{}note: {LATENCY_NOTE}\n\n{}\n{}note: {ANOMALY_NOTE}\n",
            heading(results),
            load_table(results).to_text(),
            latency_table(results).to_text(),
            component_table(results).to_text(),
            anomaly_table(results).to_text()
        );
        let business = business_table(results);
        if !business.rows.is_empty() {
            out += &format!("\n{}note: {BUSINESS_NOTE}\n", business.to_text());
        }
        for table in [
            cache_fill_table(results),
            app_server_table(results),
            fault_table(results),
            failover_table(results),
            coordination_table(results),
            message_table(results),
            transaction_table(results),
            footprint_table(results),
            lag_table(results),
            visibility_table(results),
            read_depth_table(results),
        ] {
            if !table.rows.is_empty() {
                out += &format!("\n{}", table.to_text());
            }
        }
        Ok(out)
    }
}

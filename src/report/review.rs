//! The review report: `report.md` and a self-contained `report.html` (the
//! charts inline) — the scenario in words, a verdict table, the charts, and
//! for each architecture the tensions the run exposed, each with the
//! numbers that show it. Everything in it comes from the results and the
//! manifest, so it is reproduced with the run.

use super::page::{Block, Page};
use super::table::{
    BUSINESS_NOTE, LATENCY_NOTE, Table, busiest as busiest_cell, business_table, component_table,
    heading, latency_ms, latency_table, ms_at_least, usd,
};
use super::{Ladder, Manifest, Results, RunResult, indicators};
use crate::scenario::{Scenario, Slo};

/// The review: a page of blocks, rendered as Markdown or HTML.
pub struct Review {
    page: Page,
}

impl Review {
    /// The review of `results` (of `scenario`, made as `manifest` says),
    /// with the charts of stems `charts` and, for a sweep of the rate, its
    /// growth ladder.
    pub fn new(
        scenario: &Scenario,
        results: &Results,
        manifest: &Manifest,
        charts: &[&str],
        ladder: Option<&Ladder>,
    ) -> Review {
        let mut blocks = vec![
            Block::Paragraph(heading(results)),
            Block::Heading("The scenario".into()),
            Block::Paragraph(in_words(scenario)),
            Block::Heading("Verdict".into()),
            Block::Paragraph(format!(
                "One row per architecture (and sweep point); the first replication when \
                     there are several (results.json has their means and confidence intervals). \
                     Offered is the load started in the window, goodput what of it was answered \
                     ok, busiest the component with the highest utilization (the first to \
                     saturate). {LATENCY_NOTE} Anomalies count every class per 1,000 offered \
                     operations; coordination is per operation; the footprint counts the \
                     platforms (kinds of system) and nodes (servers) to run, and $/h what \
                     they cost: every node priced by its cores as an AWS r6i instance, on \
                     demand."
            )),
            Block::Table(verdict(results)),
            Block::Heading("Stage indicators".into()),
            Block::Paragraph(format!(
                "The signs that an architecture is leaving the load it was built for: database \
                 CPU above {:.0} %, a cache's hit ratio falling by {:.0} points across the sweep, \
                 a replica's or a synced copy's p99 lag beyond its freshness budget (1 s without \
                 one), a change-data-capture connector falling behind by more than {:.0} % of \
                 what it is handed, writers waiting more than {:.0} ms for a hot row's lock, \
                 more than {:.0} % of operations crossing shards, the coordinator above {:.0} % \
                 busy. Each is shown where it first fires.",
                indicators::DATABASE_CPU * 100.0,
                indicators::HIT_RATIO_DROP * 100.0,
                indicators::SYNC_BACKLOG * 100.0,
                indicators::LOCK_WAIT_MS,
                indicators::CROSS_SHARD * 100.0,
                indicators::COORDINATOR * 100.0
            )),
            Block::Table(indicator_table(results, &scenario.slo)),
        ];
        if let Some(ladder) = ladder {
            blocks.push(Block::Heading(
                "Capacity at the SLO: the growth ladder".into(),
            ));
            blocks.push(Block::Paragraph(ladder.note()));
            blocks.push(Block::Table(ladder.table()));
            let steps = ladder.step_table();
            if !steps.rows.is_empty() {
                blocks.push(Block::Paragraph(super::ladder::STEP_NOTE.into()));
                blocks.push(Block::Table(steps));
            }
        }
        let business = business_table(results);
        if !business.rows.is_empty() {
            blocks.push(Block::Heading("Business outcomes".into()));
            blocks.push(Block::Paragraph(BUSINESS_NOTE.into()));
            blocks.push(Block::Table(business));
        }
        blocks.push(Block::Heading("Latency by operation kind".into()));
        blocks.push(Block::Paragraph(LATENCY_NOTE.into()));
        blocks.push(Block::Table(latency_table(results)));
        blocks.push(Block::Heading("Components".into()));
        blocks.push(Block::Paragraph(
            "Each component's utilization (busy share of its servers) and mean queue over the \
             window, a cache's hit ratio, a log's forced writes per second, a copy's visibility \
             lag, a router's fan-out; the busiest component is the first to saturate as load \
             rises."
                .into(),
        ));
        blocks.push(Block::Table(component_table(results)));
        blocks.push(Block::Heading("Charts".into()));
        for stem in charts {
            blocks.push(Block::Chart(stem.to_string(), caption(stem).to_string()));
        }
        blocks.push(Block::Heading("What each architecture showed".into()));
        for runs in by_architecture(results) {
            let run = runs[0];
            blocks.push(Block::Subheading(format!(
                "{} ({})",
                run.architecture, run.kind
            )));
            blocks.push(Block::List(tensions(
                &runs,
                &results.scenario.swept,
                &scenario.slo,
            )));
        }
        blocks.push(Block::Heading("Reproduce".into()));
        blocks.push(Block::Paragraph(format!(
            "archsim {}, scenario `{}` (hash `{}`), seed {}: `{}`. The resolved scenario is \
             `scenario.toml` beside this report; every figure is in `results.json`.",
            manifest.archsim_version,
            manifest.scenario_file,
            &manifest.scenario_hash[..12.min(manifest.scenario_hash.len())],
            manifest.seed,
            manifest.command_line.join(" ")
        )));
        Review {
            page: Page {
                title: format!("{}: architecture review", results.scenario.name),
                blocks,
            },
        }
    }

    pub fn to_markdown(&self) -> String {
        self.page.to_markdown()
    }

    /// One HTML file: styles inline, each chart's SVG (`svg(stem)`) inline.
    pub fn to_html(&self, svg: impl Fn(&str) -> Option<String>) -> String {
        self.page.to_html(svg)
    }
}

fn caption(stem: &str) -> &'static str {
    match stem {
        "latency-percentiles" => {
            "Latency percentiles per architecture, all operations, failed and timed-out ones at \
             the client's whole wait (hollow markers: ≥, a lower bound; log scale)"
        }
        "latency-vs-parameter" => {
            "Latency against the swept parameter, failures at the client's whole wait: p99 \
             solid, p50 dashed (hollow markers: ≥) — the knee"
        }
        "anomalies" => "Consistency anomalies per 1,000 offered operations, a panel per class",
        "coordination" => {
            "Coordination cost per operation: messages, round trips, forced log writes"
        }
        "visibility" => "Share of reads that see a write, by time after its acknowledgement",
        "lag" => {
            "Visibility lag per copy from a commit to its apply (log scale): p50, p99 and p99.9; \
             with a sweep, p99 (solid) and p50 (dashed) against the swept parameter"
        }
        "capacity" => {
            "Capacity at the SLO per architecture: the highest swept or searched rate meeting \
             every budget, with what gives out first"
        }
        "goodput" => {
            "Goodput against offered load, all architectures (hollow: the run broke the SLO; \
             dashed: goodput = offered)"
        }
        "timeline" => {
            "The run over time: throughput, p99 (failures at the client's whole wait), failed \
             operations and anomalies per window (warm-up shaded)"
        }
        _ => "",
    }
}

/// The scenario in a paragraph.
fn in_words(s: &Scenario) -> String {
    let w = &s.workload;
    let mix: Vec<String> = w
        .mix
        .kinds()
        .map(|k| format!("{} {:.0} %", k.name(), w.mix.share(k) * 100.0))
        .collect();
    let archs: Vec<String> = s
        .architectures
        .iter()
        .map(|a| {
            if a.name == a.kind().name() {
                format!("`{}`", a.name)
            } else {
                format!("`{}` ({})", a.name, a.kind())
            }
        })
        .collect();
    let mut text = String::new();
    if !s.description.is_empty() {
        text += &format!(
            "{}. ",
            super::one_line(&s.description).trim_end_matches('.')
        );
    }
    text += &format!(
        "An open-loop stream of {} operations per second ({}) over {} keys{} with {} \
         popularity, from {} sessions; {:.0} % of transfers and multi-key reads stay inside \
         one of {} entity groups. The same stream runs on {}. Measured for {} after {} \
         warm-up, seed {}",
        w.rate,
        mix.join(", "),
        w.keys,
        if w.inserts > 0 {
            format!(" (and {} set aside for inserts)", w.inserts)
        } else {
            String::new()
        },
        w.popularity,
        w.sessions,
        w.locality * 100.0,
        w.groups,
        archs.join(", "),
        s.duration,
        match s.warmup {
            crate::scenario::Warmup::Auto => "an automatic (MSER-5)".to_string(),
            fixed => format!("a {fixed}"),
        },
        s.seed
    );
    if s.replications > 1 {
        text += &format!(", {} replications", s.replications);
    }
    text += ".";
    if !s.sweep.is_empty() {
        let swept: Vec<String> = s
            .sweep
            .0
            .iter()
            .map(|(p, v)| {
                let values: Vec<String> = v.iter().map(crate::scenario::display_value).collect();
                format!("`{p}` over {}", values.join(", "))
            })
            .collect();
        text += &format!(" Swept: {}.", swept.join("; "));
    }
    text
}

/// What one fault did to one architecture, in a sentence.
fn fault_sentence(f: &crate::faults::FaultReport, r: &RunResult, at: &str) -> String {
    let p99 = |v: f64| ms_at_least(v, r.series.at_least(v));
    let mut s = format!(
        "Under {}{at}, {} operations failed or timed out during the fault and its recovery, and p99 (failures counted at the client's whole wait) went from {} ms to {} ms at worst",
        f.fault,
        f.failed,
        p99(f.p99_before_ms),
        p99(f.p99_ms)
    );
    if f.in_doubt > 0 {
        let noun = if f.in_doubt == 1 {
            "transaction"
        } else {
            "transactions"
        };
        s += &format!(
            "; {} {noun} stayed in doubt holding {} locks for up to {:.1} s",
            f.in_doubt,
            if f.in_doubt == 1 { "its" } else { "their" },
            f.in_doubt_max_s
        );
    }
    if f.lost_writes > 0 {
        let was = if f.lost_writes == 1 {
            "write was"
        } else {
            "writes were"
        };
        s += &format!("; {} acknowledged {was} lost", f.lost_writes);
    }
    if let Some(t) = f.takeover_s {
        s += &format!("; takeover at {t:.1} s");
    }
    s += &format!(
        "; {} anomalies in operations invoked during it and its recovery ({} at the rate \
         before it).",
        f.anomalies, f.anomalies_before_rate
    );
    s
}

/// The verdict table: one row per run of replication 0.
fn verdict(results: &Results) -> Table {
    let swept = &results.scenario.swept;
    let mut headers = vec!["architecture".to_string()];
    headers.extend(swept.iter().cloned());
    headers.extend(
        [
            "offered ops/s",
            "goodput ops/s",
            "p50 ms",
            "p99 ms",
            "p99.9 ms",
            "failed",
            "busiest",
            "anomalies /1k offered",
            "most frequent",
            "msgs/op",
            "round trips/op",
            "forced writes/op",
            "consensus rounds/op",
            "platforms",
            "nodes",
            "$/h",
        ]
        .map(String::from),
    );
    let rows = results
        .runs
        .iter()
        .filter(|r| r.replication == 0)
        .map(|r| {
            let l = r.latency.all();
            let ops = l.count.max(1) as f64;
            let counts = r.anomalies.counts();
            let total: u64 = counts.iter().map(|c| c.1).sum();
            let top = counts
                .iter()
                .filter(|c| c.1 > 0)
                .max_by_key(|c| c.1)
                .map_or("-".to_string(), |c| c.0.to_string());
            let per_op = r.coordination.per_operation.as_ref();
            let mut row = vec![r.architecture.clone()];
            row.extend(
                swept
                    .iter()
                    .map(|p| r.point.get(p).cloned().unwrap_or_default()),
            );
            row.extend([
                format!("{:.1}", r.offered_ops_per_s),
                format!(
                    "{:.1}{}",
                    r.goodput_ops_per_s,
                    if r.saturated.is_some() {
                        " (saturated)"
                    } else {
                        ""
                    }
                ),
                latency_ms(l, "p50_ms"),
                latency_ms(l, "p99_ms"),
                latency_ms(l, "p999_ms"),
                l.failed().to_string(),
                busiest_cell(r),
                format!("{:.3}", total as f64 * 1000.0 / ops),
                top,
                per_op.map_or("-".into(), |m| format!("{:.2}", m.messages)),
                per_op
                    .and_then(|m| m.round_trips)
                    .map_or("-".into(), |v| format!("{v:.2}")),
                per_op.map_or("-".into(), |m| format!("{:.3}", m.forced_writes)),
                per_op
                    .and_then(|m| m.consensus_rounds)
                    .map_or("-".into(), |v| format!("{v:.3}")),
                r.footprint.platforms.to_string(),
                r.footprint.nodes.to_string(),
                usd(r.footprint.cost_usd_per_hour),
            ]);
            row
        })
        .collect();
    Table { headers, rows }
}

/// The tensions one architecture's runs (replication 0, every point)
/// exposed, each a sentence with its numbers.
fn tensions(runs: &[&RunResult], swept: &[String], slo: &Slo) -> Vec<String> {
    let mut out = Vec::new();
    let first = runs[0];
    let last = runs[runs.len() - 1];
    if runs.len() > 1 && !swept.is_empty() {
        let at = |r: &RunResult| {
            r.point
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        // Every figure counts the failures (at the client's whole wait):
        // a p99 is never the tail of the survivors alone.
        let p99 = |r: &RunResult| latency_ms(r.latency.all(), "p99_ms");
        let load = |r: &RunResult| {
            format!(
                "{:.0} of {:.0} ops/s offered answered ok",
                r.goodput_ops_per_s, r.offered_ops_per_s
            )
        };
        let ratio = |x: &RunResult, y: &RunResult| {
            let (a, b) = (x.latency.all().p99_ms, y.latency.all().p99_ms);
            let lower = y.latency.all().is_at_least("p99_ms");
            format!("{}{:.1}×", if lower { "≥ " } else { "" }, b / a)
        };
        let (a, b) = (first.latency.all().p99_ms, last.latency.all().p99_ms);
        if a > 0.0 && b > 0.0 {
            out.push(format!(
                "p99 goes from {} ms at {} to {} ms at {} ({}); goodput from {} to {}.",
                p99(first),
                at(first),
                p99(last),
                at(last),
                ratio(first, last),
                load(first),
                load(last)
            ));
        }
        // The knee, from the SLO: the last point that met every budget
        // and the first that broke one, with goodput beside.
        if let Some(sentence) = knee(runs, slo, &at, &load) {
            out.push(sentence);
        }
        let (busy_a, busy_b) = (busiest(first), busiest(last));
        if let (Some((na, ua)), Some((nb, ub))) = (busy_a, busy_b) {
            out.push(format!(
                "Its busiest component goes from `{na}` at {:.0} % utilization to `{nb}` at \
                 {:.0} %.",
                ua * 100.0,
                ub * 100.0
            ));
        }
    }
    for r in [last] {
        if let Some((name, u)) = busiest(r) {
            if u >= 0.7 {
                out.push(format!(
                    "`{name}` runs at {:.0} % utilization{}: queueing dominates its latency.",
                    u * 100.0,
                    where_(r, swept)
                ));
            }
        }
        if let Some(s) = &r.saturated {
            out.push(format!(
                "It is saturated{}: its backlog grew by {:.0} operations/s from {:.1} s, {:.0} % \
                 of the load arriving then, so it completes about {:.0} ops/s at most; the run \
                 was stopped at {:.1} s with {} operations held, and the {} offered after that \
                 count as timed out.",
                where_(r, swept),
                s.backlog_growth_per_s,
                s.since_s,
                s.excess_share * 100.0,
                (1.0 - s.excess_share) * r.offered_ops_per_s,
                s.at_s,
                s.backlog,
                s.unserved
            ));
        }
        let l = r.latency.all();
        if l.failed() > 0 {
            let busy = busiest(r).map_or(String::new(), |(n, u)| {
                format!(
                    "; its busiest component is `{n}` at {:.0} % utilization",
                    u * 100.0
                )
            });
            out.push(format!(
                "{} operations failed, timed out or never finished{} ({} errors, {} timeouts, \
                 {} unfinished): {:.1} % of those offered, whose reads went unchecked; goodput \
                 {:.1} of {:.1} ops/s offered{busy}.",
                l.failed(),
                where_(r, swept),
                l.errors,
                l.timeouts,
                l.unfinished,
                r.unchecked_share * 100.0,
                r.goodput_ops_per_s,
                r.offered_ops_per_s
            ));
        }
        for f in &r.faults {
            out.push(fault_sentence(f, r, &where_(r, swept)));
        }
        let ops = l.count.max(1) as f64;
        for (class, n, detail) in r.anomalies.classes().filter(|c| c.1 > 0) {
            let mut s = format!(
                "{n} {} ({:.3} per 1,000 offered operations){}",
                class.replace('_', " "),
                n as f64 * 1000.0 / ops,
                where_(r, swept)
            );
            if let Some(d) = detail {
                if !d.by_served_by.is_empty() {
                    let by: Vec<String> = d
                        .by_served_by
                        .iter()
                        .map(|(k, v)| format!("{v} at `{k}`"))
                        .collect();
                    s += &format!(", {}", by.join(", "));
                }
                if let Some(age) = &d.age_ms {
                    s += &format!("; the missed write was {:.1} ms old at p99", age.p99_ms);
                }
            }
            let sb = &r.anomalies.split_brain;
            let n = |v: u64| super::thousands(v as f64);
            if class == "split_brain" && cache_split(r) {
                s += &format!(
                    ": a write-behind cache cut off from the system of record and the system of \
                     record both accepted writes for {:.1} s in all; {} acknowledged writes are \
                     lost (the cache's flush overwrote newer writes, or a fencing token refused \
                     its stale ones), {} keys both sides wrote need manual resolution, {} keys \
                     only the cache wrote could be replayed",
                    sb.duration_ms / 1000.0,
                    n(sb.lost_acknowledged_writes),
                    n(sb.keys_diverged),
                    n(sb.keys_replayable)
                );
            } else if class == "split_brain" {
                s += &format!(
                    ": two primaries accepted writes for {:.1} s in all; the losing side's {} \
                     acknowledged writes are lost, {} keys both sides wrote need manual \
                     resolution, {} keys only the losing side wrote could be replayed",
                    sb.duration_ms / 1000.0,
                    n(sb.lost_acknowledged_writes),
                    n(sb.keys_diverged),
                    n(sb.keys_replayable)
                );
            }
            out.push(s + ".");
        }
        if let Some(t) = &r.coordination.per_transaction {
            out.push(format!(
                "{} distributed transactions{}, each {:.1} messages, {:.1} forced log writes \
                 ({:.1} on the client's path){}, prepared participants holding locks {:.3} ms.",
                t.count,
                where_(r, swept),
                t.messages,
                t.forced_writes,
                t.critical_forced_writes,
                t.consensus_rounds
                    .filter(|c| *c > 0.0)
                    .map_or(String::new(), |c| format!(", {c:.1} consensus rounds")),
                t.prepared_ms.unwrap_or(0.0)
            ));
        }
        let c = &r.coordination;
        if let Some(share) = c.distributed_share.filter(|s| *s > 0.0) {
            out.push(format!(
                "{:.1} % of operations touched more than one shard or partition{}.",
                share * 100.0,
                where_(r, swept)
            ));
        }
        if c.deadlocks.unwrap_or(0) + c.aborts.unwrap_or(0) > 0 {
            out.push(format!(
                "{} aborts ({} retried), {} deadlocks{}.",
                c.aborts.unwrap_or(0),
                c.retries.unwrap_or(0),
                c.deadlocks.unwrap_or(0),
                where_(r, swept)
            ));
        }
        if let Some(p) = r.visibility.probes.first() {
            if p.consistent < 0.99 {
                out.push(format!(
                    "Only {:.1} % of reads {} ms after a write see it.",
                    p.consistent * 100.0,
                    p.after_ms
                ));
            }
        }
        for (copy, lag) in &r.visibility.lag_ms {
            if lag.none_delivered() {
                out.push(format!(
                    "`{copy}` received none of the writes committed in the window (none \
                     delivered): it has no lag to show, only staleness."
                ));
            } else {
                out.push(format!(
                    "`{copy}` lags its source by {:.3} ms at p50 and {:.3} ms at p99.",
                    lag.p50_ms, lag.p99_ms
                ));
            }
        }
    }
    // What the stronger architectures bought: the classes their strong
    // paths rule out, when the operations that cause them ran.
    let none = |class: &str| {
        last.anomalies
            .counts()
            .iter()
            .any(|(c, n)| *c == class && *n == 0)
    };
    let risky: Vec<&str> = ["rmw", "reserve", "transfer"]
        .into_iter()
        .filter(|k| last.latency.0.get(*k).is_some_and(|l| l.count > 0))
        .collect();
    if !risky.is_empty() && none("lost_update") && none("invariant") && none("torn_transaction") {
        out.push(format!(
            "No lost update, broken invariant or torn transaction, although {} ran{}.",
            risky.join(", "),
            where_(last, swept)
        ));
    }
    let fired = indicators::firing(runs, &|r| where_(r, swept));
    if fired.is_empty() {
        out.push(match runs.iter().find(|r| !slo.met_by(r)) {
            Some(r) => format!(
                "None of the stage indicators fires, yet it breaks the SLO{}: the limit is \
                 elsewhere (see the knee above and the components table).",
                where_(r, swept)
            ),
            None => format!(
                "None of the stage indicators fires{}: the current design is still earning \
                 its keep.",
                if swept.is_empty() {
                    String::new()
                } else {
                    " at any point of the sweep".to_string()
                }
            ),
        });
    } else {
        out.push(format!("Stage indicators firing: {}.", fired.join("; ")));
    }
    out
}

/// Where `runs` (one architecture, in sweep order) stop meeting `slo`: the
/// last point before the first that breaks a budget, and what broke.
fn knee(
    runs: &[&RunResult],
    slo: &Slo,
    at: &dyn Fn(&RunResult) -> String,
    load: &dyn Fn(&RunResult) -> String,
) -> Option<String> {
    if slo.is_empty() {
        return None;
    }
    let budgets = slo.budgets().join(", ");
    let Some(i) = runs.iter().position(|r| !slo.met_by(r)) else {
        return Some(format!(
            "It meets the SLO ({budgets}) at every point of the sweep, up to {}: {}.",
            at(runs[runs.len() - 1]),
            load(runs[runs.len() - 1])
        ));
    };
    let broken: Vec<String> = slo
        .judge(runs[i])
        .into_iter()
        .filter(|j| !j.met)
        .map(|j| format!("{} against {}", j.measured, j.budget))
        .collect();
    let busy = match (&runs[i].saturated, busiest(runs[i])) {
        (Some(stop), Some((n, _))) => format!(
            "; its busiest component is `{n}`, saturated: the run was stopped at {:.1} s as its \
             backlog kept growing",
            stop.at_s
        ),
        (None, Some((n, u))) => format!("; its busiest component is `{n}` at {:.0} %", u * 100.0),
        _ => String::new(),
    };
    Some(if i == 0 {
        format!(
            "It breaks the SLO ({budgets}) already at {}: {}; {}{busy}.",
            at(runs[0]),
            broken.join(", "),
            load(runs[0])
        )
    } else {
        format!(
            "The knee, from the SLO ({budgets}): met at {} ({}), broken at {}: {}; {}{busy}.",
            at(runs[i - 1]),
            load(runs[i - 1]),
            at(runs[i]),
            broken.join(", "),
            load(runs[i])
        )
    })
}

/// Each architecture's runs of replication 0, in sweep order, the
/// architectures in the order they first appear.
fn by_architecture(results: &Results) -> Vec<Vec<&RunResult>> {
    let mut out: Vec<Vec<&RunResult>> = Vec::new();
    for run in results.runs.iter().filter(|r| r.replication == 0) {
        match out
            .iter_mut()
            .find(|g| g[0].architecture == run.architecture)
        {
            Some(group) => group.push(run),
            None => out.push(vec![run]),
        }
    }
    out
}

/// One row per architecture: the stage indicators its runs fire, or that
/// none does.
fn indicator_table(results: &Results, slo: &Slo) -> Table {
    let swept = &results.scenario.swept;
    let mut rows = Vec::new();
    for runs in by_architecture(results) {
        let run = runs[0];
        let fired = indicators::firing(&runs, &|r| where_(r, swept));
        rows.push(vec![
            run.architecture.clone(),
            if fired.is_empty() {
                match runs.iter().find(|r| !slo.met_by(r)) {
                    Some(r) => format!("none, yet the SLO breaks{}", where_(r, swept)),
                    None => "none: the current design is still earning its keep".to_string(),
                }
            } else {
                fired.join("; ")
            },
        ]);
    }
    Table {
        headers: vec![
            "architecture".to_string(),
            "stage indicators firing".to_string(),
        ],
        rows,
    }
}

/// The run's most utilized component.
fn busiest(r: &RunResult) -> Option<(&str, f64)> {
    r.busiest.as_ref().map(|b| (b.name.as_str(), b.utilization))
}

/// " at <point>" for a swept run.
fn where_(r: &RunResult, swept: &[String]) -> String {
    if swept.is_empty() {
        String::new()
    } else {
        let at: Vec<String> = r.point.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        format!(" at {}", at.join(", "))
    }
}

/// Whether the run's split brain was a write-behind cache's: a partition of
/// the cache that left clients reaching it.
fn cache_split(r: &RunResult) -> bool {
    r.anomalies.split_brain.by_served_by.contains_key("cache")
}

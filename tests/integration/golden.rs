//! Golden figures for all five architectures, and a snapshot of each export
//! format, on one short scenario that takes every common path: cache-aside
//! reads, writes, read-modify-writes, reservations, transfers (local and
//! across shards or partitions), multi-gets, probes and a write-behind cache.
//!
//! Any change to what a run computes shows up here as a snapshot diff. A
//! change that is meant to alter results updates the snapshots in the same
//! commit and says why (`cargo insta review`, or `INSTA_UPDATE=always`
//! outside CI); under `CI=true` insta writes nothing and a difference fails.

use archsim::report::{
    CsvExporter, Exporter, JsonExporter, MarkdownExporter, SummaryExporter, TableExporter,
};
use archsim::report::{Results, RunResult};

use crate::{run, scenario};

const FIVE: &str = r#"
name = "golden-five"
description = "Every architecture on one short stream"
seed = 11
duration = "1s"
warmup = "200ms"
[workload]
rate = 4000
keys = 2000
popularity = "zipf(1.1)"
groups = 40
locality = 0.7
probes = ["1ms", "20ms"]
[workload.mix]
get = 0.4
put = 0.2
rmw = 0.1
reserve = 0.1
transfer = 0.1
multi_get = 0.1
[workload.entities]
accounts = 200
[[architecture]]
kind = "single"
[architecture.replicas]
count = 1
[[architecture]]
kind = "polyglot"
[[architecture]]
kind = "sharded"
[[architecture]]
kind = "coordinator"
[architecture.cache]
capacity = 200
[architecture.coordinator]
critical = 0.5
flush = "100ms"
[[architecture]]
kind = "colocated"
"#;

fn five() -> Results {
    let mut results = run(&scenario(FIVE));
    // The snapshots pin figures, not the release they were made with.
    results.archsim_version = "VERSION".to_string();
    results
}

/// The headline figures of one run, one line each, in a fixed layout.
fn headline(r: &RunResult) -> String {
    let all = r.latency.all();
    let anomalies: Vec<String> = r
        .anomalies
        .counts()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(class, n)| format!("{class}={n}"))
        .collect();
    let cost = r.coordination.per_operation.as_ref();
    format!(
        "{:<12} ok={} p50={} p99={} p999={} max={} thr={} msgs/op={} forced/op={} events={} anomalies=[{}]",
        r.architecture,
        all.count,
        all.p50_ms,
        all.p99_ms,
        all.p999_ms,
        all.max_ms,
        r.throughput_per_s,
        cost.map_or(0.0, |c| c.messages),
        cost.map_or(0.0, |c| c.forced_writes),
        r.events,
        anomalies.join(" "),
    )
}

#[test]
fn golden_figures_of_all_five_architectures() {
    let results = five();
    assert_eq!(results.runs.len(), 5, "one run per architecture");
    let lines: Vec<String> = results.runs.iter().map(headline).collect();
    insta::assert_snapshot!("golden_five", lines.join("\n"));
}

#[test]
fn each_export_format_is_pinned() {
    let results = five();
    let exporters: [(&str, &dyn Exporter); 5] = [
        ("export_summary", &SummaryExporter),
        ("export_json", &JsonExporter),
        ("export_csv", &CsvExporter),
        ("export_markdown", &MarkdownExporter),
        ("export_table", &TableExporter),
    ];
    for (name, exporter) in exporters {
        let text = exporter.render(&results).unwrap();
        insta::assert_snapshot!(name, text);
    }
}

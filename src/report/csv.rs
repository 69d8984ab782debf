//! `results.csv`: one row per architecture × replication × sweep point, one
//! column per figure (`<op>_<figure>`, `<component>_<figure>`, then the
//! coordination cost per operation, the footprint and the busiest
//! component; business outcomes
//! `business_<figure>` as in results.json). Latency
//! figures count every operation started in the window, failures at the
//! client's whole wait; `<op>_at_least` lists the figures that fall among
//! the failures (lower bounds), separated by spaces.

use std::collections::BTreeSet;

use super::{Exporter, Results};

pub struct CsvExporter;

const LATENCY_FIELDS: [&str; 12] = [
    "count",
    "ok",
    "errors",
    "timeouts",
    "unfinished",
    "mean_ms",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "p999_ms",
    "max_ms",
    "at_least",
];

/// The business outcomes' columns, in `BusinessReport`'s order.
const BUSINESS_FIELDS: [&str; 6] = [
    "transfers",
    "transfers_refused",
    "transfers_refused_per_1000",
    "reservations",
    "reservations_refused",
    "reservations_refused_per_1000",
];

impl Exporter for CsvExporter {
    fn file_name(&self) -> &'static str {
        "results.csv"
    }

    fn render(&self, results: &Results) -> anyhow::Result<String> {
        // Columns are the union over runs, in a fixed order.
        let point_keys: BTreeSet<&str> = results
            .runs
            .iter()
            .flat_map(|r| r.point.keys().map(String::as_str))
            .collect();
        let mut ops: Vec<&str> = vec!["all"];
        let mut components: BTreeSet<(String, String)> = BTreeSet::new();
        for run in &results.runs {
            for (op, _) in run.latency.ordered() {
                if !ops.contains(&op) {
                    ops.push(op);
                }
            }
            for (name, stats) in &run.components {
                for field in figure_names(stats) {
                    components.insert((name.clone(), field));
                }
            }
        }

        let mut out = ::csv::Writer::from_writer(Vec::new());
        let mut header: Vec<String> = ["architecture", "kind", "replication", "seed"]
            .map(String::from)
            .to_vec();
        header.extend(point_keys.iter().map(|k| k.to_string()));
        header.extend(
            [
                "throughput_per_s",
                "offered_ops_per_s",
                "goodput_ops_per_s",
                "unchecked_share",
            ]
            .map(String::from),
        );
        for op in &ops {
            for f in LATENCY_FIELDS {
                header.push(format!("{op}_{f}"));
            }
        }
        header.extend(components.iter().map(|(c, f)| format!("{c}_{f}")));
        header.extend(
            [
                "messages_per_op",
                "round_trips_per_op",
                "forced_writes_per_op",
                "consensus_rounds_per_op",
                "platforms",
                "nodes",
                "cost_usd_per_hour",
                "busiest",
                "busiest_utilization",
            ]
            .map(String::from),
        );
        header.extend(BUSINESS_FIELDS.map(|f| format!("business_{f}")));
        out.write_record(&header)?;

        for run in &results.runs {
            let mut row = vec![
                run.architecture.clone(),
                run.kind.to_string(),
                run.replication.to_string(),
                run.seed.to_string(),
            ];
            row.extend(
                point_keys
                    .iter()
                    .map(|k| run.point.get(*k).cloned().unwrap_or_default()),
            );
            for v in [
                run.throughput_per_s,
                run.offered_ops_per_s,
                run.goodput_ops_per_s,
                run.unchecked_share,
            ] {
                row.push(v.to_string());
            }
            for op in &ops {
                match run.latency.0.get(*op) {
                    Some(l) => {
                        row.extend(
                            [
                                l.count as f64,
                                l.ok as f64,
                                l.errors as f64,
                                l.timeouts as f64,
                                l.unfinished as f64,
                                l.mean_ms,
                                l.p50_ms,
                                l.p90_ms,
                                l.p99_ms,
                                l.p999_ms,
                                l.max_ms,
                            ]
                            .map(|v| v.to_string()),
                        );
                        row.push(l.at_least.join(" "));
                    }
                    None => row.extend(std::iter::repeat_n(String::new(), LATENCY_FIELDS.len())),
                }
            }
            for (c, f) in &components {
                let value = run
                    .components
                    .get(c)
                    .and_then(|s| serde_json::to_value(s).ok())
                    .and_then(|v| v.get(f).map(|x| x.to_string()));
                row.push(value.unwrap_or_default());
            }
            let per_op = run.coordination.per_operation.as_ref();
            let figure = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
            row.extend([
                figure(per_op.map(|m| m.messages)),
                figure(per_op.and_then(|m| m.round_trips)),
                figure(per_op.map(|m| m.forced_writes)),
                figure(per_op.and_then(|m| m.consensus_rounds)),
                run.footprint.platforms.to_string(),
                run.footprint.nodes.to_string(),
                figure(run.footprint.cost_usd_per_hour),
                run.busiest
                    .as_ref()
                    .map(|b| b.name.clone())
                    .unwrap_or_default(),
                figure(run.busiest.as_ref().map(|b| b.utilization)),
            ]);
            let b = &run.business;
            row.extend([
                b.transfers.to_string(),
                b.transfers_refused.to_string(),
                b.transfers_refused_per_1000.to_string(),
                b.reservations.to_string(),
                b.reservations_refused.to_string(),
                b.reservations_refused_per_1000.to_string(),
            ]);
            out.write_record(&row)?;
        }
        Ok(String::from_utf8(out.into_inner()?)?)
    }
}

/// Names of the figures a component reports, as in the JSON.
fn figure_names(stats: &crate::metrics::ComponentStats) -> Vec<String> {
    match serde_json::to_value(stats) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

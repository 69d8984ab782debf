//! The terminal summary (`archsim run`'s default output): a title, one
//! short row per run that fits 100 columns, durations in human units, and a
//! line saying how each architecture's p99 compares with the first's, as
//! hyperfine says which command is faster. The full tables stay in
//! `results.md` (or `--format table`).

use super::table::Table;
use super::{Exporter, Results, RunResult};
use crate::metrics::LatencySummary;

/// The summary exporter.
pub struct SummaryExporter;

impl Exporter for SummaryExporter {
    fn file_name(&self) -> &'static str {
        "summary.txt"
    }

    fn render(&self, results: &Results) -> anyhow::Result<String> {
        let mut out = wrap(&super::table::heading(results));
        out.push('\n');
        out += &summary_table(results).to_text();
        if let Some(line) = relative_line(results) {
            out.push('\n');
            out += &wrap(&line);
        }
        if results.runs.iter().any(|r| r.saturated.is_some()) {
            out.push('\n');
            out += &wrap(
                "*: saturated — its backlog kept growing, so the run was stopped; what it never \
                 served counts as timed out.",
            );
        }
        out.push('\n');
        out += &wrap(
            "Latency over all operations, failed and timed-out ones at the client's whole wait \
             (≥: a lower bound); goodput: answered ok per second; anom/1k: anomalies per 1,000 offered \
             operations; nodes: servers to run; $/h: what they cost per hour (AWS r6i, on demand). Every table is in results.md, the review in report.md (--format table \
             prints the tables here).",
        );
        Ok(out)
    }
}

fn summary_table(results: &Results) -> Table {
    let swept = &results.scenario.swept;
    let mut headers = vec!["architecture".to_string()];
    headers.extend(swept.iter().map(|p| short(p).to_string()));
    headers.extend(
        [
            "p50", "p99", "p99.9", "goodput", "failed", "anom/1k", "msgs/op", "nodes", "$/h",
        ]
        .map(String::from),
    );
    let rows = results
        .runs
        .iter()
        .filter(|r| r.replication == 0)
        .map(|r| {
            let l = r.latency.all();
            let offered = l.count.max(1) as f64;
            let anomalies: u64 = r.anomalies.counts().iter().map(|c| c.1).sum();
            let mut row = vec![r.architecture.clone()];
            row.extend(
                swept
                    .iter()
                    .map(|p| r.point.get(p).cloned().unwrap_or_default()),
            );
            row.extend([
                latency(l, "p50_ms"),
                latency(l, "p99_ms"),
                latency(l, "p999_ms"),
                super::thousands(r.goodput_ops_per_s),
                percent(l.failed() as f64 / offered),
                format!("{:.2}", anomalies as f64 * 1000.0 / offered),
                r.coordination
                    .per_operation
                    .as_ref()
                    .map_or("-".to_string(), |c| format!("{:.1}", c.messages)),
                r.footprint.nodes.to_string(),
                super::table::usd(r.footprint.cost_usd_per_hour),
            ]);
            if r.saturated.is_some() {
                row[0] += "*";
            }
            row
        })
        .collect();
    Table { headers, rows }
}

/// How each architecture's p99 compares with the first architecture's, at
/// one load (no sweep, or the first point of a sweep).
fn relative_line(results: &Results) -> Option<String> {
    let runs: Vec<&RunResult> = results
        .runs
        .iter()
        .filter(|r| r.replication == 0 && r.point == results.runs[0].point)
        .collect();
    let (base, rest) = runs.split_first()?;
    if rest.is_empty() {
        return None;
    }
    let b = base.latency.all();
    let at = if results.scenario.swept.is_empty() {
        String::new()
    } else {
        let point: Vec<String> = base
            .point
            .iter()
            .map(|(k, v)| format!("{} = {v}", short(k)))
            .collect();
        format!(" at {}", point.join(", "))
    };
    let parts: Vec<String> = rest
        .iter()
        .map(|r| {
            let l = r.latency.all();
            let bound = b.is_at_least("p99_ms") || l.is_at_least("p99_ms");
            let (x, y) = (l.p99_ms, b.p99_ms);
            let word = if bound {
                "not comparable (a lower bound)".to_string()
            } else if x <= 0.0 || y <= 0.0 {
                "not comparable".to_string()
            } else if (x / y - 1.0).abs() < 0.005 {
                "the same".to_string()
            } else if x < y {
                format!("{:.2}× lower", y / x)
            } else {
                format!("{:.2}× higher", x / y)
            };
            format!("{} {word}", r.architecture)
        })
        .collect();
    Some(format!(
        "p99 against {}'s ({}){at}: {}.",
        base.architecture,
        human_ms(b.p99_ms),
        parts.join(", ")
    ))
}

/// The terminal's width the summary keeps to.
const WIDTH: usize = 100;

/// `text` as lines of at most [`WIDTH`] characters, broken between words.
fn wrap(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > WIDTH {
            out += &line;
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line += word;
    }
    if !line.is_empty() {
        out += &line;
        out.push('\n');
    }
    out
}

/// Notes that fit beside the summary: the first three, each wrapped to
/// [`WIDTH`] columns, and how many more `results.md` lists.
pub fn notes(notes: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut out: String = notes
        .iter()
        .take(SHOWN)
        .map(|n| wrap(&format!("note: {n}")))
        .collect();
    if notes.len() > SHOWN {
        out += &wrap(&format!(
            "note: and {} more, listed under Notes in results.md",
            notes.len() - SHOWN
        ));
    }
    out
}

/// `workload.rate` → `rate`: the last part of a swept path.
fn short(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

fn latency(l: &LatencySummary, field: &str) -> String {
    let v = l.figure(field);
    if l.is_at_least(field) {
        format!("≥ {}", human_ms(v))
    } else {
        human_ms(v)
    }
}

/// A duration given in ms, in the unit a person reads it in: `0.85 ms`,
/// `27.5 s`, `14.4 min`, `2.1 h`; three significant figures.
pub fn human_ms(ms: f64) -> String {
    let (v, unit) = if ms < 1000.0 {
        (ms, "ms")
    } else if ms < 60_000.0 {
        (ms / 1000.0, "s")
    } else if ms < 3_600_000.0 {
        (ms / 60_000.0, "min")
    } else {
        (ms / 3_600_000.0, "h")
    };
    let text = if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else if v >= 1.0 || unit != "ms" {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    format!("{text} {unit}")
}

/// A share as a percentage with at most two decimals (`0`, `1.5 %`).
fn percent(share: f64) -> String {
    if share <= 0.0 {
        "0".to_string()
    } else if share < 0.001 {
        "< 0.1 %".to_string()
    } else {
        format!("{:.1} %", share * 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_past_three_are_counted_and_every_line_fits() {
        let long = "a hit ratio that had not settled when the run ended, ".repeat(4);
        let given: Vec<String> = (0..5).map(|i| format!("{i}: {long}")).collect();
        let text = notes(&given);
        assert!(text.lines().all(|l| l.chars().count() <= WIDTH), "{text}");
        assert_eq!(text.matches("note: ").count(), 4, "{text}");
        assert!(text.ends_with("note: and 2 more, listed under Notes in results.md\n"));
    }

    #[test]
    fn durations_read_in_human_units() {
        assert_eq!(human_ms(0.854), "0.854 ms");
        assert_eq!(human_ms(2.398), "2.40 ms");
        assert_eq!(human_ms(27_500.0), "27.5 s");
        assert_eq!(human_ms(866_509.652), "14.4 min");
        assert_eq!(human_ms(1000.0), "1.00 s");
        assert_eq!(super::super::thousands(19_993.87), "19,994");
        assert_eq!(percent(0.015), "1.5 %");
    }
}

use super::table::{anomaly_table, component_table, heading, latency_table};
use super::{Exporter, Results};

/// `results.md`: the tables a review pastes.
pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn file_name(&self) -> &'static str {
        "results.md"
    }

    fn render(&self, results: &Results) -> anyhow::Result<String> {
        let mut out = format!("# {}\n\n", results.scenario.name);
        if !results.scenario.description.is_empty() {
            out += &format!("{}\n\n", results.scenario.description);
        }
        out += &format!(
            "{}. Latency is measured from each operation's intended start (open loop); \
             scenario hash `{}`, archsim {}.\n\n",
            heading(results),
            &results.scenario.hash[..12],
            results.archsim_version
        );
        out += "## Latency\n\n";
        out += &latency_table(results).to_markdown();
        out += "\n## Throughput and components\n\n";
        out += &component_table(results).to_markdown();
        out += "\n## Consistency anomalies\n\n";
        out += "A read is stale when it returns a version older than one acknowledged before \
                it was invoked; `read_your_writes` counts the stale reads that missed the \
                reader's own write.\n\n";
        out += &anomaly_table(results).to_markdown();
        Ok(out)
    }
}

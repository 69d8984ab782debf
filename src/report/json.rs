use super::{Exporter, Results};

/// `results.json`: everything, machine-readable.
pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn file_name(&self) -> &'static str {
        "results.json"
    }

    fn render(&self, results: &Results) -> anyhow::Result<String> {
        let mut text = serde_json::to_string_pretty(results)?;
        text.push('\n');
        Ok(text)
    }
}

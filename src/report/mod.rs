//! Results: their shape (a public contract), one exporter per format, and
//! the atomic writing of a results folder.

mod charts;
mod csv;
mod diagram;
mod folder;
pub mod indicators;
mod json;
pub mod ladder;
mod markdown;
pub mod page;
mod results;
mod review;
mod summary;
mod table;
mod terminal;

pub use self::csv::CsvExporter;
pub use charts::{Chart, chart_files, charts, ladder_chart_files};
pub use folder::{
    Lock, LockError, ResultsFolder, check_regular, recover, staging_path, write_file, write_folder,
};
pub use json::JsonExporter;
pub use ladder::Ladder;
pub use markdown::MarkdownExporter;
pub use results::{Footprint, Latency, Manifest, Results, RunResult, ScenarioInfo, SyncPath};
pub use review::Review;
pub use summary::{Estimate, LatencyEstimate, Summary, summarize};
pub use table::{Table, TableExporter};
pub use terminal::{SummaryExporter, human_ms, notes as terminal_notes};

/// Renders results in one format.
pub trait Exporter {
    /// File name inside a results folder.
    fn file_name(&self) -> &'static str;
    fn render(&self, results: &Results) -> anyhow::Result<String>;
}

/// `text` as one line of Markdown: control characters (newlines, tabs,
/// terminal escapes) become spaces, so a scenario's free text cannot break
/// a document's structure or reach a reader's terminal.
pub(crate) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

pub(crate) use crate::metrics::thousands;

//! Anomalies as small multiples: one panel per class that occurred, each on
//! its own scale, so 3 per 1,000 reads beside 313 instead of vanishing
//! under it. Classes are never summed: `read_your_writes` is a subset of
//! `stale_read`, `divergence` counts keys left different at the end of the
//! run and `split_brain` intervals, not operations. Each class keeps one
//! colour in every report (its place in the oracle's order); within a panel
//! the runs are bars (architecture, or architecture and point), or with a
//! numeric sweep one line per architecture against the swept parameter,
//! told apart by colour, marker and dash as in the other charts.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::PALETTE;
use super::panels::{self, Panel, shown};
use crate::report::{Results, RunResult};

/// The oracle's classes in report order: a class's colour is its place here.
const CLASSES: [&str; 13] = [
    "stale_read",
    "read_your_writes",
    "monotonic_reads",
    "lost_update",
    "fractured_read",
    "torn_transaction",
    "dirty_read",
    "invariant",
    "lost_write",
    "divergence",
    "out_of_order_apply",
    "duplicate_apply",
    "split_brain",
];

/// Panels drawn at most (3 × 3); the classes with the highest figures win.
const MOST_PANELS: usize = 9;

/// The fixed colour of `class`: the palette in turn, a lighter shade on
/// the second round.
fn color_of(class: &str) -> RGBColor {
    let i = CLASSES.iter().position(|c| *c == class).unwrap_or(0);
    let c = PALETTE[i % PALETTE.len()];
    if i >= PALETTE.len() {
        let mix = |v: u8| ((u16::from(v) + 255) / 2) as u8;
        RGBColor(mix(c.0), mix(c.1), mix(c.2))
    } else {
        c
    }
}

/// What a class's figure counts.
fn unit_of(class: &str) -> &'static str {
    match class {
        "divergence" => "keys differing at the end",
        "split_brain" => "intervals",
        _ => "per 1,000 offered ops",
    }
}

/// `class`'s figure in run `r`: a rate per 1,000 operations offered
/// (started in the window, whatever their outcome), or a count where the
/// class does not count operations.
fn figure(r: &RunResult, class: &str) -> f64 {
    let n = r
        .anomalies
        .counts()
        .into_iter()
        .find(|c| c.0 == class)
        .map_or(0, |c| c.1) as f64;
    match class {
        "divergence" | "split_brain" => n,
        _ => n * 1000.0 / r.latency.all().count.max(1) as f64,
    }
}

/// The classes that occurred in some shown run, in report order, at most
/// [`MOST_PANELS`] (those with the highest figure kept).
fn classes(results: &Results) -> Vec<&'static str> {
    let runs = shown(results);
    let top = |c: &str| runs.iter().map(|r| figure(r, c)).fold(0.0, f64::max);
    let mut occurred: Vec<&'static str> = CLASSES.into_iter().filter(|c| top(c) > 0.0).collect();
    if occurred.len() > MOST_PANELS {
        let mut by_size = occurred.clone();
        by_size.sort_by(|a, b| top(b).total_cmp(&top(a)));
        by_size.truncate(MOST_PANELS);
        occurred.retain(|c| by_size.contains(c));
    }
    occurred
}

pub fn applies(results: &Results) -> bool {
    !classes(results).is_empty()
}

pub fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    results: &Results,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let panels: Vec<Panel<'_>> = classes(results)
        .into_iter()
        .map(|class| Panel {
            title: format!("{class} ({})", unit_of(class)),
            color: color_of(class),
            figure: Box::new(move |r: &RunResult| Some(figure(r, class))),
        })
        .collect();
    panels::draw(
        root,
        results,
        &format!("{}: anomalies by class", results.scenario.name),
        "Per 1,000 operations offered (failed ones included), each panel on its own scale; \
         read_your_writes is also in stale_read.",
        &panels,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_class_keeps_its_colour_whatever_else_occurred() {
        // Not the order of appearance: its place among all classes.
        assert_eq!(color_of("fractured_read"), PALETTE[4]);
        assert_ne!(color_of("split_brain"), color_of("stale_read"));
        assert_eq!(unit_of("divergence"), "keys differing at the end");
    }
}

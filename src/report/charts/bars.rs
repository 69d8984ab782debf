//! Bar charts per run (architecture, and sweep point where there is one;
//! replication 0): coordination cost per offered operation, its figures
//! side by side.

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{FONT, PALETTE, draw_legend};
use crate::report::{Results, RunResult};

/// Runs shown: replication 0 of each architecture and point.
fn shown(results: &Results) -> Vec<&RunResult> {
    results.runs.iter().filter(|r| r.replication == 0).collect()
}

fn label(r: &RunResult) -> String {
    if r.point.is_empty() {
        r.architecture.clone()
    } else {
        let values: Vec<&str> = r.point.values().map(String::as_str).collect();
        format!("{} ({})", r.architecture, values.join(", "))
    }
}

/// Segment fills: colour, and for every other class a lighter shade, so
/// neighbours differ in grey too.
fn fill(i: usize) -> RGBColor {
    let c = PALETTE[i % PALETTE.len()];
    if i % 2 == 1 {
        let mix = |v: u8| ((u16::from(v) + 255) / 2) as u8;
        RGBColor(mix(c.0), mix(c.1), mix(c.2))
    } else {
        c
    }
}

/// The coordination figures of a run, per operation: messages, round
/// trips, forced writes, consensus rounds (absent where not counted).
fn coordination(r: &RunResult) -> Option<[Option<f64>; 4]> {
    r.coordination.per_operation.as_ref().map(|m| {
        [
            Some(m.messages),
            m.round_trips,
            Some(m.forced_writes),
            m.consensus_rounds,
        ]
    })
}

pub fn coordination_applies(results: &Results) -> bool {
    shown(results).iter().any(|r| coordination(r).is_some())
}

pub fn draw_coordination<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    results: &Results,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let runs = shown(results);
    let labels: Vec<String> = runs.iter().map(|r| label(r)).collect();
    let figures: Vec<[Option<f64>; 4]> = runs
        .iter()
        .map(|r| coordination(r).unwrap_or([None; 4]))
        .collect();
    let top = figures
        .iter()
        .flat_map(|f| f.iter().flatten().copied())
        .fold(0.0, f64::max);
    let title = format!("{}: coordination cost per operation", results.scenario.name);
    let frame = Frame {
        title: &title,
        y_desc: "per operation",
        labels: &labels,
        series: &[
            "messages",
            "round trips",
            "forced writes",
            "consensus rounds",
        ],
        top,
        note: "Per operation offered: started in the window, failed and timed-out ones included.",
    };
    bars(root, &frame, |run, k| {
        figures[run][k].map(|v| (0.0, v, k as f64 / 4.0, (k + 1) as f64 / 4.0))
    })
}

/// What a bar chart shows: its title, y axis, categories (runs), series
/// and the highest value.
struct Frame<'a> {
    title: &'a str,
    y_desc: &'a str,
    labels: &'a [String],
    series: &'a [&'a str],
    top: f64,
    /// How the chart counts, along its bottom.
    note: &'a str,
}

/// Bars for each run (a category on x) and each series `k`: `bar(run, k)`
/// gives (bottom, top, left, right), left and right as fractions of the
/// category's width.
fn bars<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    frame: &Frame<'_>,
    bar: impl Fn(usize, usize) -> Option<(f64, f64, f64, f64)>,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let wrap = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing failed: {e:?}");
    let Frame {
        title,
        y_desc,
        labels,
        series,
        top,
        note,
    } = *frame;
    root.fill(&WHITE).map_err(wrap)?;
    let root = super::with_note(&root, note).map_err(wrap)?;
    let n = labels.len() as f64;
    let top = if top > 0.0 { top * 1.25 } else { 1.0 };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 20).into_font())
        .margin(16)
        .x_label_area_size(if labels.len() > 6 { 110 } else { 44 })
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..n, 0f64..top)
        .map_err(wrap)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(labels.len() * 2 + 1)
        .x_label_formatter(&|x| super::category_label(labels, *x))
        .y_desc(y_desc)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(wrap)?;
    for (k, name) in series.iter().enumerate() {
        let color = fill(k);
        let rects: Vec<Rectangle<(f64, f64)>> = (0..labels.len())
            .filter_map(|run| {
                bar(run, k).map(|(y0, y1, l, r)| {
                    let x = run as f64 + 0.15 + 0.7 * l;
                    let w = 0.7 * (r - l);
                    Rectangle::new([(x, y0), (x + w, y1)], color.filled())
                })
            })
            .collect();
        chart
            .draw_series(rects)
            .map_err(wrap)?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], color.filled()));
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight).map_err(wrap)?;
    root.present().map_err(wrap)?;
    Ok(())
}

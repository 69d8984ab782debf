//! Bar charts per run (architecture, and sweep point where there is one;
//! replication 0): anomalies per 1,000 offered operations stacked by class,
//! and coordination cost per offered operation side by side.

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

/// Anomaly classes that occurred in some run, and each run's rate per
/// 1,000 offered operations (started in the window, whatever their outcome)
/// of them.
fn anomaly_rates(results: &Results) -> (Vec<&'static str>, Vec<Vec<f64>>) {
    let runs = shown(results);
    let classes: Vec<&'static str> = runs
        .first()
        .map(|r| {
            r.anomalies
                .counts()
                .into_iter()
                .map(|c| c.0)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .filter(|class| {
            runs.iter().any(|r| {
                r.anomalies
                    .counts()
                    .iter()
                    .any(|(c, n)| c == class && *n > 0)
            })
        })
        .collect();
    let rates = runs
        .iter()
        .map(|r| {
            let ops = r.latency.all().count.max(1) as f64;
            let counts = r.anomalies.counts();
            classes
                .iter()
                .map(|class| {
                    let n = counts.iter().find(|c| c.0 == *class).map_or(0, |c| c.1);
                    n as f64 * 1000.0 / ops
                })
                .collect()
        })
        .collect();
    (classes, rates)
}

pub fn anomalies_apply(results: &Results) -> bool {
    !anomaly_rates(results).0.is_empty()
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

pub fn draw_anomalies<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    results: &Results,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let (classes, rates) = anomaly_rates(results);
    let runs = shown(results);
    let labels: Vec<String> = runs.iter().map(|r| label(r)).collect();
    let top = rates
        .iter()
        .map(|r| r.iter().sum::<f64>())
        .fold(0.0, f64::max);
    let title = format!(
        "{}: anomalies per 1,000 offered operations",
        results.scenario.name
    );
    let frame = Frame {
        title: &title,
        y_desc: "anomalies per 1,000 offered ops (stacked)",
        labels: &labels,
        series: &classes,
        top,
        note: "Per 1,000 operations offered (failed ones included); reads not answered ok \
               could not be checked (tables: unchecked).",
    };
    bars(
        root,
        &frame,
        |run, k| {
            let below: f64 = rates[run][..k].iter().sum();
            Some((below, below + rates[run][k], 0.0, 1.0))
        },
        |run| Some(rates[run].iter().sum()),
    )
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
    bars(
        root,
        &frame,
        |run, k| figures[run][k].map(|v| (0.0, v, k as f64 / 4.0, (k + 1) as f64 / 4.0)),
        |_| None,
    )
}

/// Bars for each run (a category on x) and each series `k`: `bar(run, k)`
/// gives (bottom, top, left, right), left and right as fractions of the
/// category's width; `total(run)`, when given, is written above the run's
/// bars.
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

fn bars<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    frame: &Frame<'_>,
    bar: impl Fn(usize, usize) -> Option<(f64, f64, f64, f64)>,
    total: impl Fn(usize) -> Option<f64>,
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
    let labels_above = (0..labels.len()).filter_map(|run| {
        total(run).map(|t| {
            Text::new(
                format!("{t:.3}"),
                (run as f64 + 0.35, t + top * 0.02),
                (FONT, 14).into_font(),
            )
        })
    });
    chart.draw_series(labels_above).map_err(wrap)?;
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight).map_err(wrap)?;
    root.present().map_err(wrap)?;
    Ok(())
}

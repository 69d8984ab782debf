//! Latency at each percentile, one line per architecture; with
//! replications, the mean with its 95 % confidence whiskers; with a sweep,
//! a panel per point.

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{FONT, PALETTE, draw_lower_bounds, draw_markers, ticks_1_2_5};
use crate::report::Results;

const PERCENTILES: [&str; 5] = ["p50", "p90", "p99", "p99.9", "max"];
/// Their fields in a latency summary.
const FIELDS: [&str; 5] = ["p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms"];

/// One line: an architecture at one sweep point.
struct Line {
    /// The architecture's place in the file: its colour, marker and dash.
    arch: usize,
    /// The sweep point, in words (empty without a sweep).
    point: String,
    values: [f64; 5],
    /// Which percentiles fall among the failures (lower bounds).
    bounds: [bool; 5],
    /// With replications: the 95 % half-widths.
    whiskers: Option<[f64; 5]>,
}

fn point_label(point: &std::collections::BTreeMap<String, String>) -> String {
    point
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn lines(results: &Results) -> Vec<Line> {
    let mut archs: Vec<String> = Vec::new();
    let mut arch = |name: &str| match archs.iter().position(|a| a == name) {
        Some(i) => i,
        None => {
            archs.push(name.to_string());
            archs.len() - 1
        }
    };
    let mut out = Vec::new();
    if results.summaries.is_empty() {
        for r in results.runs.iter().filter(|r| r.replication == 0) {
            let l = r.latency.all();
            out.push(Line {
                arch: arch(&r.architecture),
                point: point_label(&r.point),
                values: [l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms],
                bounds: FIELDS.map(|f| l.is_at_least(f)),
                whiskers: None,
            });
        }
    } else {
        for s in &results.summaries {
            let l = &s.latency["all"];
            let v = [l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms];
            out.push(Line {
                arch: arch(&s.architecture),
                point: point_label(&s.point),
                values: v.map(|e| e.mean),
                bounds: FIELDS.map(|f| l.at_least.iter().any(|a| a == f)),
                whiskers: Some(v.map(|e| e.ci95)),
            });
        }
    }
    out
}

/// Latency at each percentile, one line per architecture (replication 0,
/// or the mean of the replications with 95 % whiskers; all operations), on
/// a log scale so medians and tails share one chart. With a sweep, a panel
/// per point on one scale, rather than every point's lines on one chart.
pub fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    results: &Results,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let lines = lines(results);
    let positive = lines
        .iter()
        .flat_map(|l| l.values.iter().copied())
        .filter(|v| *v > 0.0);
    let lo = positive.clone().fold(f64::INFINITY, f64::min);
    let hi = positive.fold(0.0, f64::max);
    let (lo, hi) = if lo.is_finite() {
        (lo / 1.5, hi * 2.0)
    } else {
        (0.001, 1.0)
    };
    let wrap = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing failed: {e:?}");
    root.fill(&WHITE).map_err(wrap)?;
    let root = super::with_note(&root, super::LATENCY_NOTE).map_err(wrap)?;
    let title = format!(
        "{}: latency percentiles, all operations",
        results.scenario.name
    );
    let root = root.titled(&title, (FONT, 20).into_font()).map_err(wrap)?;
    let mean = if results.summaries.is_empty() {
        String::new()
    } else {
        "means of the replications, 95 % whiskers".to_string()
    };
    let root = super::panels::draw_key(&root, results, true, &mean).map_err(wrap)?;
    let mut points: Vec<&str> = Vec::new();
    for l in &lines {
        if !points.contains(&l.point.as_str()) {
            points.push(&l.point);
        }
    }
    let cols = points.len().clamp(1, 3);
    let rows = points.len().div_ceil(cols);
    let areas = root.split_evenly((rows, cols));
    let small = points.len() > 1;
    for (point, area) in points.iter().zip(&areas) {
        let mut chart = ChartBuilder::on(area)
            .caption(*point, (FONT, 14))
            .margin(if small { 6 } else { 16 })
            .x_label_area_size(if small { 22 } else { 44 })
            .y_label_area_size(if small { 44 } else { 70 })
            .build_cartesian_2d(
                -0.3f64..4.3f64,
                (lo..hi).log_scale().with_key_points(ticks_1_2_5(lo, hi)),
            )
            .map_err(wrap)?;
        let mut mesh = chart.configure_mesh();
        mesh.x_labels(5)
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && (0.0..5.0).contains(&i) {
                    PERCENTILES[i as usize].to_string()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| format!("{v}"))
            .label_style((FONT, if small { 11 } else { 15 }))
            .axis_desc_style((FONT, 16))
            .light_line_style(RGBColor(235, 235, 235));
        if !small {
            mesh.y_desc("latency (ms, log scale)").x_desc("percentile");
        }
        mesh.draw().map_err(wrap)?;
        for line in lines.iter().filter(|l| l.point == *point) {
            let i = line.arch;
            let color = PALETTE[i % PALETTE.len()];
            let points: Vec<(f64, f64)> = line
                .values
                .iter()
                .enumerate()
                .filter(|(_, v)| **v > 0.0)
                .map(|(x, v)| (x as f64, *v))
                .collect();
            let style = ShapeStyle::from(&color).stroke_width(2);
            if i % 2 == 0 {
                chart
                    .draw_series(LineSeries::new(points.clone(), style))
                    .map_err(wrap)?;
            } else {
                chart
                    .draw_series(DashedLineSeries::new(points.clone(), 8, 5, style))
                    .map_err(wrap)?;
            }
            draw_markers(&mut chart, &points, i, color).map_err(wrap)?;
            let lower: Vec<(f64, f64)> = line
                .values
                .iter()
                .enumerate()
                .filter(|(x, v)| **v > 0.0 && line.bounds[*x])
                .map(|(x, v)| (x as f64, *v))
                .collect();
            draw_lower_bounds(&mut chart, &lower, color).map_err(wrap)?;
            if let Some(half) = &line.whiskers {
                let bars = points.iter().zip(half).map(|((x, y), h)| {
                    ErrorBar::new_vertical(
                        *x,
                        (y - h).max(lo),
                        *y,
                        y + h,
                        color.stroke_width(2),
                        10,
                    )
                });
                chart.draw_series(bars).map_err(wrap)?;
            }
        }
    }
    root.present().map_err(wrap)?;
    Ok(())
}

//! Figures against the first swept parameter, p99 (solid) and p50 (dashed)
//! on a log scale: latency per architecture — where each one's knee is
//! (with replications, the means over them) — and visibility lag per copy —
//! where a copy stops keeping up (replication 0).

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{FONT, PALETTE, draw_legend, ticks_1_2_5};
use crate::report::Results;

/// (series label, points (x, p50, p99, whether p50 and p99 are lower
/// bounds: among the failures)).
type Series = Vec<(String, Vec<(f64, f64, f64, [bool; 2])>)>;

/// Whether the results sweep a numeric parameter.
pub fn applies(results: &Results) -> bool {
    let Some(path) = results.scenario.swept.first() else {
        return false;
    };
    results
        .runs
        .iter()
        .all(|r| r.point.get(path).is_some_and(|v| v.parse::<f64>().is_ok()))
}

/// Adds a point to `out`: the series `name` (with the point's other swept
/// parameters) at the point's value of the first.
fn add(
    out: &mut Series,
    x_path: &str,
    name: &str,
    point: &std::collections::BTreeMap<String, String>,
    p50: f64,
    p99: f64,
    bounds: [bool; 2],
) {
    let rest: Vec<String> = point
        .iter()
        .filter(|(k, _)| *k != x_path)
        .map(|(k, v)| format!("{}={v}", k.rsplit('.').next().unwrap_or(k)))
        .collect();
    let label = if rest.is_empty() {
        name.to_string()
    } else {
        format!("{name} ({})", rest.join(", "))
    };
    let x: f64 = point[x_path].parse().unwrap_or(0.0);
    match out.iter_mut().find(|(l, _)| *l == label) {
        Some((_, pts)) => pts.push((x, p50, p99, bounds)),
        None => out.push((label, vec![(x, p50, p99, bounds)])),
    }
}

/// Each copy's visibility lag (writes delivered to it only) at each point,
/// replication 0.
fn lag_series(results: &Results) -> Series {
    let x_path = &results.scenario.swept[0];
    let mut out: Series = Vec::new();
    for r in results.runs.iter().filter(|r| r.replication == 0) {
        for (copy, l) in r
            .visibility
            .lag_ms
            .iter()
            .filter(|(_, l)| !l.none_delivered())
        {
            let name = format!("{}: {copy}", r.architecture);
            add(
                &mut out, x_path, &name, &r.point, l.p50_ms, l.p99_ms, [false; 2],
            );
        }
    }
    for (_, pts) in &mut out {
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    out
}

fn series(results: &Results) -> Series {
    let x_path = &results.scenario.swept[0];
    let mut out: Series = Vec::new();
    let mut add =
        |arch: &str,
         point: &std::collections::BTreeMap<String, String>,
         p50,
         p99,
         bounds: [bool; 2]| { add(&mut out, x_path, arch, point, p50, p99, bounds) };
    if results.summaries.is_empty() {
        for r in results.runs.iter().filter(|r| r.replication == 0) {
            let l = r.latency.all();
            let bounds = [l.is_at_least("p50_ms"), l.is_at_least("p99_ms")];
            add(&r.architecture, &r.point, l.p50_ms, l.p99_ms, bounds);
        }
    } else {
        for s in &results.summaries {
            let l = &s.latency["all"];
            let b = |f: &str| l.at_least.iter().any(|a| a == f);
            let bounds = [b("p50_ms"), b("p99_ms")];
            add(
                &s.architecture,
                &s.point,
                l.p50_ms.mean,
                l.p99_ms.mean,
                bounds,
            );
        }
    }
    for (_, pts) in &mut out {
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    out
}

/// Latency, all operations, against the first swept parameter.
pub fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    results: &Results,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let figure = Figure {
        what: "latency",
        y_desc: "latency, all operations (ms, log scale)",
        note: super::LATENCY_NOTE,
    };
    plot(root, results, &series(results), &figure)
}

/// Each copy's visibility lag against the first swept parameter.
pub fn draw_lag<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    results: &Results,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let figure = Figure {
        what: "visibility lag",
        y_desc: "commit \u{2192} visible at the copy (ms, log scale)",
        note: "Writes committed in the window that reached each copy; a copy that received none at a point is left out there (tables: none delivered).",
    };
    plot(root, results, &lag_series(results), &figure)
}

/// What a chart against the swept parameter shows.
struct Figure {
    /// In the caption: "<scenario>: <what> vs <parameter>".
    what: &'static str,
    y_desc: &'static str,
    /// Along the bottom: how it counts.
    note: &'static str,
}

fn plot<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    results: &Results,
    series: &Series,
    figure: &Figure,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let wrap = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing failed: {e:?}");
    let xs = series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0));
    let (x0, x1) = (
        xs.clone().fold(f64::INFINITY, f64::min),
        xs.fold(f64::NEG_INFINITY, f64::max),
    );
    let pad = ((x1 - x0) * 0.05).max(1e-9);
    let ys = series
        .iter()
        .flat_map(|(_, p)| p.iter().flat_map(|q| [q.1, q.2]))
        .filter(|v| *v > 0.0);
    let lo = ys.clone().fold(f64::INFINITY, f64::min) / 1.5;
    let hi = ys.fold(0.0, f64::max) * 2.0;
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo, hi)
    } else {
        (0.001, 1.0)
    };
    root.fill(&WHITE).map_err(wrap)?;
    let root = super::with_note(&root, figure.note).map_err(wrap)?;
    let x_path = &results.scenario.swept[0];
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "{}: {} vs {x_path} (p99 solid, p50 dashed)",
                results.scenario.name, figure.what
            ),
            (FONT, 20).into_font(),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (x0 - pad)..(x1 + pad),
            (lo..hi).log_scale().with_key_points(ticks_1_2_5(lo, hi)),
        )
        .map_err(wrap)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|v| {
            if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                format!("{v}")
            }
        })
        .y_label_formatter(&|v| format!("{v}"))
        .y_desc(figure.y_desc)
        .x_desc(x_path.as_str())
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(wrap)?;
    for (i, (name, pts)) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let style = ShapeStyle::from(&color).stroke_width(2);
        let p99: Vec<(f64, f64)> = pts
            .iter()
            .map(|q| (q.0, q.2))
            .filter(|q| q.1 > 0.0)
            .collect();
        let p50: Vec<(f64, f64)> = pts
            .iter()
            .map(|q| (q.0, q.1))
            .filter(|q| q.1 > 0.0)
            .collect();
        chart
            .draw_series(LineSeries::new(p99.clone(), style))
            .map_err(wrap)?
            .label(name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + 24, y)],
                    ShapeStyle::from(&color).stroke_width(2),
                )
            });
        chart
            .draw_series(DashedLineSeries::new(p50.clone(), 8, 5, style))
            .map_err(wrap)?;
        let filled = color.filled();
        let all: Vec<(f64, f64)> = p99.iter().chain(&p50).copied().collect();
        match i % 3 {
            0 => chart.draw_series(all.iter().map(|p| Circle::new(*p, 5, filled))),
            1 => chart.draw_series(all.iter().map(|p| TriangleMarker::new(*p, 6, filled))),
            _ => chart.draw_series(all.iter().map(|p| Cross::new(*p, 6, color.stroke_width(2)))),
        }
        .map_err(wrap)?;
        let lower: Vec<(f64, f64)> = pts
            .iter()
            .flat_map(|q| [(q.0, q.1, q.3[0]), (q.0, q.2, q.3[1])])
            .filter(|q| q.2 && q.1 > 0.0)
            .map(|q| (q.0, q.1))
            .collect();
        super::draw_lower_bounds(&mut chart, &lower, color).map_err(wrap)?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft).map_err(wrap)?;
    root.present().map_err(wrap)?;
    Ok(())
}

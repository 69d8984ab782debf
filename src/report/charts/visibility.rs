//! The t-visibility curve of probabilistically bounded staleness: for each
//! probe delay after a write's acknowledgement, the share of probe reads
//! that saw it, one line per architecture (replication 0).

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{FONT, PALETTE, draw_legend, ticks_1_2_5};
use crate::report::Results;

pub fn applies(results: &Results) -> bool {
    results.runs.iter().any(|r| !r.visibility.probes.is_empty())
}

pub fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    results: &Results,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let wrap = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing failed: {e:?}");
    root.fill(&WHITE).map_err(wrap)?;
    let root = super::with_note(
        &root,
        "Probe reads answered, per delay; a probe not answered (failed or timed out) is not in the share.",
    )
    .map_err(wrap)?;
    let runs: Vec<_> = results
        .runs
        .iter()
        .filter(|r| r.replication == 0 && !r.visibility.probes.is_empty())
        .collect();
    // Delays on a log scale; a delay of 0 is drawn at a tenth of the
    // smallest positive one.
    let positive = runs
        .iter()
        .flat_map(|r| r.visibility.probes.iter().map(|p| p.after_ms))
        .filter(|d| *d > 0.0);
    let min = positive.clone().fold(f64::INFINITY, f64::min);
    let max = positive.fold(0.0, f64::max);
    let (lo, hi) = if min.is_finite() {
        (min / 10.0, max * 2.0)
    } else {
        (0.001, 1.0)
    };
    let at = |d: f64| if d > 0.0 { d } else { lo * 2.0 };
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "{}: share of reads that see a write, by time after it",
                results.scenario.name
            ),
            (FONT, 20).into_font(),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d((lo..hi).log_scale(), 0f64..1.05f64)
        .map_err(wrap)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|v| format!("{v}"))
        .y_desc("probe reads that saw the write")
        .x_desc("time after the acknowledgement (ms, log scale)")
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(wrap)?;
    for (i, r) in runs.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let pts: Vec<(f64, f64)> = r
            .visibility
            .probes
            .iter()
            .map(|p| (at(p.after_ms), p.consistent))
            .collect();
        let style = ShapeStyle::from(&color).stroke_width(2);
        let series = if i % 2 == 0 {
            chart.draw_series(LineSeries::new(pts.clone(), style))
        } else {
            chart.draw_series(DashedLineSeries::new(pts.clone(), 8, 5, style))
        };
        series
            .map_err(wrap)?
            .label(r.architecture.as_str())
            .legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + 24, y)],
                    ShapeStyle::from(&color).stroke_width(2),
                )
            });
        let filled = color.filled();
        match i % 3 {
            0 => chart.draw_series(pts.iter().map(|p| Circle::new(*p, 5, filled))),
            1 => chart.draw_series(pts.iter().map(|p| TriangleMarker::new(*p, 6, filled))),
            _ => chart.draw_series(pts.iter().map(|p| Cross::new(*p, 6, color.stroke_width(2)))),
        }
        .map_err(wrap)?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerLeft).map_err(wrap)?;
    root.present().map_err(wrap)?;
    Ok(())
}

/// Copies with a visibility lag, per run (replication 0, first point):
/// ("architecture: copy", p50, p99, p99.9) in ms; copies that received no
/// write have no lag and are left out.
fn lags(results: &Results) -> Vec<(String, [f64; 3])> {
    let first = results
        .runs
        .first()
        .map(|r| r.point.clone())
        .unwrap_or_default();
    results
        .runs
        .iter()
        .filter(|r| r.replication == 0 && r.point == first)
        .flat_map(|r| {
            r.visibility
                .lag_ms
                .iter()
                .filter(|(_, l)| !l.none_delivered())
                .map(move |(copy, l)| {
                    (
                        format!("{}: {copy}", r.architecture),
                        [l.p50_ms, l.p99_ms, l.p999_ms],
                    )
                })
        })
        .collect()
}

pub fn lag_applies(results: &Results) -> bool {
    lags(results)
        .iter()
        .any(|(_, v)| v.iter().any(|x| *x > 0.0))
}

/// Each copy's visibility lag: p50, p99 and p99.9 on a log scale, joined by
/// a line, a copy per column.
pub fn draw_lag<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    results: &Results,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let wrap = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing failed: {e:?}");
    root.fill(&WHITE).map_err(wrap)?;
    let root = super::with_note(
        &root,
        "Writes committed in the window that reached each copy; a copy that received none is left out (tables: none delivered).",
    )
    .map_err(wrap)?;
    let copies = lags(results);
    let values = copies
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .filter(|v| *v > 0.0);
    let lo = values.clone().fold(f64::INFINITY, f64::min) / 2.0;
    let hi = values.fold(0.0, f64::max) * 2.0;
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo, hi)
    } else {
        (0.001, 1.0)
    };
    let n = copies.len() as f64;
    // Many copies' names side by side overlap: then they stand upright
    // below the axis, drawn after the mesh, which labels none.
    let many = copies.len() > 4;
    let upright: &[(String, [f64; 3])] = if many { &[] } else { &copies };
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "{}: visibility lag per copy (ms, log scale)",
                results.scenario.name
            ),
            (FONT, 20).into_font(),
        )
        .margin(16)
        .x_label_area_size(if copies.len() > 4 { 170 } else { 44 })
        .y_label_area_size(70)
        .build_cartesian_2d(
            0f64..n,
            (lo..hi).log_scale().with_key_points(ticks_1_2_5(lo, hi)),
        )
        .map_err(wrap)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(copies.len() * 2 + 1)
        .x_label_formatter(&|x| {
            let i = (x - 0.5).round();
            if (x - 0.5 - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < upright.len() {
                upright[i as usize].0.clone()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| format!("{v}"))
        .y_desc("commit → visible at the copy (ms)")
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(wrap)?;
    if many {
        let style = TextStyle::from((FONT, 14).into_font().transform(FontTransform::Rotate90))
            .pos(Pos::new(HPos::Left, VPos::Center));
        let (x0, y0) = root.get_base_pixel();
        for (c, (name, _)) in copies.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(c as f64 + 0.5, lo));
            root.draw(&Text::new(
                name.clone(),
                (x - x0 + 7, y - y0 + 8),
                style.clone(),
            ))
            .map_err(wrap)?;
        }
    }
    for (c, (_, v)) in copies.iter().enumerate() {
        let x = c as f64 + 0.5;
        let pts: Vec<(f64, f64)> = v.iter().filter(|y| **y > 0.0).map(|y| (x, *y)).collect();
        chart
            .draw_series(LineSeries::new(pts, BLACK.stroke_width(1)))
            .map_err(wrap)?;
    }
    let marks: [(&str, usize); 3] = [("p50", 0), ("p99", 1), ("p99.9", 2)];
    for (name, k) in marks {
        let color = PALETTE[k];
        let pts: Vec<(f64, f64)> = copies
            .iter()
            .enumerate()
            .filter(|(_, (_, v))| v[k] > 0.0)
            .map(|(c, (_, v))| (c as f64 + 0.5, v[k]))
            .collect();
        let filled = color.filled();
        let stroke = color.stroke_width(3);
        match k {
            0 => chart
                .draw_series(pts.iter().map(|p| Circle::new(*p, 6, filled)))
                .map_err(wrap)?
                .label(name)
                .legend(move |(x, y)| Circle::new((x + 8, y), 5, filled)),
            1 => chart
                .draw_series(pts.iter().map(|p| TriangleMarker::new(*p, 7, filled)))
                .map_err(wrap)?
                .label(name)
                .legend(move |(x, y)| TriangleMarker::new((x + 8, y), 6, filled)),
            _ => chart
                .draw_series(pts.iter().map(|p| Cross::new(*p, 7, stroke)))
                .map_err(wrap)?
                .label(name)
                .legend(move |(x, y)| Cross::new((x + 8, y), 6, stroke)),
        };
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft).map_err(wrap)?;
    root.present().map_err(wrap)?;
    Ok(())
}

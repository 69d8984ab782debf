//! Latency at each percentile, one line per architecture; with
//! replications, the mean with its 95 % confidence whiskers.

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{FONT, PALETTE, draw_legend, draw_lower_bounds, draw_markers, ticks_1_2_5};
use crate::report::Results;

const PERCENTILES: [&str; 5] = ["p50", "p90", "p99", "p99.9", "max"];
/// Their fields in a latency summary.
const FIELDS: [&str; 5] = ["p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms"];

/// Latency at each percentile, one line per architecture (replication 0;
/// all operations), on a log scale so medians and tails share one chart.
pub fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    results: &Results,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    // With replications: the means, and their 95 % half-widths as whiskers.
    let whiskers: Vec<[f64; 5]> = results
        .summaries
        .iter()
        .map(|s| {
            let l = &s.latency["all"];
            [l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms].map(|e| e.ci95)
        })
        .collect();
    // Per series, which percentiles fall among the failures (lower bounds).
    let bounds: Vec<[bool; 5]> = if !results.summaries.is_empty() {
        results
            .summaries
            .iter()
            .map(|s| FIELDS.map(|f| s.latency["all"].at_least.iter().any(|a| a == f)))
            .collect()
    } else {
        results
            .runs
            .iter()
            .filter(|r| r.replication == 0)
            .map(|r| FIELDS.map(|f| r.latency.all().is_at_least(f)))
            .collect()
    };
    let series: Vec<(String, [f64; 5])> = if !results.summaries.is_empty() {
        results
            .summaries
            .iter()
            .map(|s| {
                let l = &s.latency["all"];
                let mut label = s.architecture.clone();
                if !s.point.is_empty() {
                    let values: Vec<&str> = s.point.values().map(String::as_str).collect();
                    label += &format!(" ({})", values.join(", "));
                }
                label += &format!(", mean of {}", s.replications);
                let v = [l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms];
                (label, v.map(|e| e.mean))
            })
            .collect()
    } else {
        results
            .runs
            .iter()
            .filter(|r| r.replication == 0)
            .map(|r| {
                let l = r.latency.all();
                let mut label = r.architecture.clone();
                if !r.point.is_empty() {
                    let values: Vec<&str> = r.point.values().map(String::as_str).collect();
                    label += &format!(" ({})", values.join(", "));
                }
                (label, [l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms])
            })
            .collect()
    };
    let positive = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
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
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 22).into_font())
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(
            -0.3f64..4.3f64,
            (lo..hi).log_scale().with_key_points(ticks_1_2_5(lo, hi)),
        )
        .map_err(wrap)?;
    chart
        .configure_mesh()
        .x_labels(5)
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && (0.0..5.0).contains(&i) {
                PERCENTILES[i as usize].to_string()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| format!("{v}"))
        .y_desc("latency (ms, log scale)")
        .x_desc("percentile")
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(wrap)?;

    for (i, (name, values)) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let points: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .filter(|(_, v)| **v > 0.0)
            .map(|(x, v)| (x as f64, *v))
            .collect();
        let style = ShapeStyle::from(&color).stroke_width(2);
        let line = if i % 2 == 0 {
            chart
                .draw_series(LineSeries::new(points.clone(), style))
                .map_err(wrap)?
        } else {
            chart
                .draw_series(DashedLineSeries::new(points.clone(), 8, 5, style))
                .map_err(wrap)?
        };
        line.label(name.as_str()).legend(move |(x, y)| {
            PathElement::new(
                vec![(x, y), (x + 24, y)],
                ShapeStyle::from(&color).stroke_width(2),
            )
        });
        draw_markers(&mut chart, &points, i, color).map_err(wrap)?;
        let lower: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .filter(|(x, v)| **v > 0.0 && bounds.get(i).is_some_and(|b| b[*x]))
            .map(|(x, v)| (x as f64, *v))
            .collect();
        draw_lower_bounds(&mut chart, &lower, color).map_err(wrap)?;
        if let Some(half) = whiskers.get(i) {
            let bars = points.iter().zip(half).map(|((x, y), h)| {
                ErrorBar::new_vertical(*x, (y - h).max(lo), *y, y + h, color.stroke_width(2), 10)
            });
            chart.draw_series(bars).map_err(wrap)?;
        }
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft).map_err(wrap)?;
    root.present().map_err(wrap)?;
    Ok(())
}

//! The growth ladder's charts: goodput against offered load for every
//! architecture on one chart (runs that broke the SLO hollow), and each
//! architecture's capacity at the SLO with its confidence interval and what
//! limits it.

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{FONT, PALETTE, draw_legend};
use crate::report::{Ladder, thousands};

/// What the goodput chart counts, along its bottom.
const GOODPUT_NOTE: &str = "Goodput: operations answered ok (within the client's timeout) per \
     second. Filled: the run met the SLO; hollow: it broke it. Dashed grey: goodput = offered.";

pub fn draw_goodput<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    ladder: &Ladder,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let wrap = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing failed: {e:?}");
    let top = ladder
        .architectures
        .iter()
        .flat_map(|r| {
            r.curve
                .iter()
                .map(|p| p.offered_ops_per_s.max(p.goodput_ops_per_s))
        })
        .fold(0.0, f64::max);
    let top = if top > 0.0 { top * 1.05 } else { 1.0 };
    root.fill(&WHITE).map_err(wrap)?;
    let root = super::with_note(&root, GOODPUT_NOTE).map_err(wrap)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "{}: goodput vs offered load ({})",
                ladder.scenario.name,
                ladder.slo.join(", ")
            ),
            (FONT, 20).into_font(),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..top, 0f64..top)
        .map_err(wrap)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|v| thousands(*v))
        .y_label_formatter(&|v| thousands(*v))
        .x_desc("offered load (ops/s)")
        .y_desc("goodput (ops/s)")
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(wrap)?;
    chart
        .draw_series(DashedLineSeries::new(
            [(0.0, 0.0), (top, top)],
            6,
            6,
            ShapeStyle::from(&RGBColor(150, 150, 150)).stroke_width(1),
        ))
        .map_err(wrap)?;
    for (i, rung) in ladder.architectures.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let points: Vec<(f64, f64)> = rung
            .curve
            .iter()
            .map(|p| (p.offered_ops_per_s, p.goodput_ops_per_s))
            .collect();
        chart
            .draw_series(LineSeries::new(
                points.clone(),
                ShapeStyle::from(&color).stroke_width(2),
            ))
            .map_err(wrap)?
            .label(rung.name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + 24, y)],
                    ShapeStyle::from(&color).stroke_width(2),
                )
            });
        chart
            .draw_series(rung.curve.iter().map(|p| {
                let style = if p.met {
                    color.filled()
                } else {
                    WHITE.filled()
                };
                Circle::new((p.offered_ops_per_s, p.goodput_ops_per_s), 5, style)
            }))
            .map_err(wrap)?;
        chart
            .draw_series(rung.curve.iter().filter(|p| !p.met).map(|p| {
                Circle::new(
                    (p.offered_ops_per_s, p.goodput_ops_per_s),
                    5,
                    color.stroke_width(2),
                )
            }))
            .map_err(wrap)?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft).map_err(wrap)?;
    root.present().map_err(wrap)?;
    Ok(())
}

/// What the capacity chart shows, along its bottom.
const CAPACITY_NOTE: &str = "Solid: the highest rate tried that met every budget; light: up \
     to the lowest that broke one. Whiskers: 95 % over replications. Above: what gives out first.";

pub fn draw_capacity<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    ladder: &Ladder,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let wrap = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing failed: {e:?}");
    let rungs = &ladder.architectures;
    let n = rungs.len().max(1) as f64;
    let top = rungs
        .iter()
        .map(|r| {
            (r.capacity_ops_per_s + r.ci95_ops_per_s).max(r.first_failing_ops_per_s.unwrap_or(0.0))
        })
        .fold(0.0, f64::max);
    let top = if top > 0.0 { top * 1.25 } else { 1.0 };
    root.fill(&WHITE).map_err(wrap)?;
    let root = super::with_note(&root, CAPACITY_NOTE).map_err(wrap)?;
    let labels: Vec<String> = rungs.iter().map(|r| r.name.clone()).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "{}: capacity at {}",
                ladder.scenario.name,
                ladder.slo.join(", ")
            ),
            (FONT, 20).into_font(),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..n, 0f64..top)
        .map_err(wrap)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(labels.len() * 2 + 1)
        .x_label_formatter(&|x| super::category_label(&labels, *x))
        .y_label_formatter(&|v| thousands(*v))
        .y_desc("capacity (ops/s)")
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(wrap)?;
    for (i, r) in rungs.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let x = i as f64;
        // Between the capacity and the lowest rate that broke the SLO lies
        // the true break point: drawn light, as the search's uncertainty.
        if let Some(failing) = r.first_failing_ops_per_s {
            chart
                .draw_series([Rectangle::new(
                    [(x + 0.2, r.capacity_ops_per_s), (x + 0.8, failing)],
                    color.mix(0.25).filled(),
                )])
                .map_err(wrap)?;
        }
        chart
            .draw_series([Rectangle::new(
                [(x + 0.2, 0.0), (x + 0.8, r.capacity_ops_per_s)],
                color.filled(),
            )])
            .map_err(wrap)?;
        if r.ci95_ops_per_s > 0.0 {
            let (lo, hi) = (
                (r.capacity_ops_per_s - r.ci95_ops_per_s).max(0.0),
                r.capacity_ops_per_s + r.ci95_ops_per_s,
            );
            chart
                .draw_series([
                    PathElement::new(vec![(x + 0.5, lo), (x + 0.5, hi)], BLACK.stroke_width(2)),
                    PathElement::new(vec![(x + 0.4, lo), (x + 0.6, lo)], BLACK.stroke_width(2)),
                    PathElement::new(vec![(x + 0.4, hi), (x + 0.6, hi)], BLACK.stroke_width(2)),
                ])
                .map_err(wrap)?;
        }
        let bound = if r.first_failing_ops_per_s.is_none() {
            "≥ "
        } else {
            ""
        };
        // Two lines above the bar: the capacity, then what limits it
        // (its reason in parentheses left to the tables).
        let above = r
            .first_failing_ops_per_s
            .unwrap_or(0.0)
            .max(r.capacity_ops_per_s + r.ci95_ops_per_s);
        let limit = r.limiting.split(" (").next().unwrap_or_default();
        let lines = [
            (format!("{bound}{}", thousands(r.capacity_ops_per_s)), 0.09),
            (limit.to_string(), 0.04),
        ];
        for (text, lift) in lines {
            chart
                .draw_series([Text::new(
                    text,
                    (x + 0.2, above + top * lift),
                    (FONT, 13).into_font(),
                )])
                .map_err(wrap)?;
        }
    }
    root.present().map_err(wrap)?;
    Ok(())
}

//! The run over time, in four panels sharing the time axis: throughput,
//! p99 latency (log scale; failures and timeouts counted at the client's
//! whole wait, dotted), failed operations (errors and timeouts) and
//! anomalies per window, one line per architecture (replication 0 at the
//! first sweep point). The warm-up is shaded grey and each fault window red,
//! each named.

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{FONT, PALETTE, ticks_1_2_5};
use crate::report::{Results, RunResult};

pub fn applies(results: &Results) -> bool {
    results
        .runs
        .iter()
        .any(|r| !r.series.throughput_per_s.is_empty())
}

fn shown(results: &Results) -> Vec<&RunResult> {
    let first = results
        .runs
        .first()
        .map(|r| r.point.clone())
        .unwrap_or_default();
    results
        .runs
        .iter()
        .filter(|r| r.replication == 0 && r.point == first)
        .collect()
}

/// A shaded interval, in s, its name and colour.
type Shade = (f64, f64, String, RGBColor);

/// The warm-up and the fault windows.
fn shaded(results: &Results, runs: &[&RunResult], end: f64) -> Vec<Shade> {
    let warmup = runs
        .first()
        .and_then(|r| r.warmup_s)
        .unwrap_or(results.scenario.warmup_s);
    let mut out = Vec::new();
    if warmup > 0.0 {
        out.push((0.0, warmup, "warm-up".to_string(), RGBColor(225, 225, 225)));
    }
    if let Some(run) = runs.first() {
        for f in &run.faults {
            // An instantaneous fault (a flush) still gets a visible band.
            let to = f.to_s.max(f.from_s + end / 200.0);
            let name = f.fault.split(" at ").next().unwrap_or(&f.fault).to_string();
            out.push((f.from_s, to, name, RGBColor(250, 215, 215)));
        }
    }
    out
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
    let root = super::with_note(&root, "p99 counts failed and timed-out operations at the client's whole wait (dotted: the timeout, where they count, \u{2265}); failed ops: errors and timeouts.").map_err(wrap)?;
    let runs = shown(results);
    let root = root
        .titled(
            &format!("{}: the run over time", results.scenario.name),
            (FONT, 20).into_font(),
        )
        .map_err(wrap)?;
    let point = if results.scenario.swept.is_empty() {
        String::new()
    } else {
        "(the first sweep point)".to_string()
    };
    let rest = super::panels::draw_key(&root, results, false, &point).map_err(wrap)?;
    let panels = rest.split_evenly((4, 1));
    let end = runs
        .iter()
        .map(|r| r.series.window_s * r.series.throughput_per_s.len() as f64)
        .fold(0.0, f64::max)
        .max(1e-9);
    let shade = shaded(results, &runs, end);
    type Pick = fn(&RunResult, usize) -> f64;
    let figures: [(&str, Pick, bool); 4] = [
        ("ops/s answered", |r, i| r.series.throughput_per_s[i], false),
        ("p99 ms (log)", |r, i| r.series.p99_ms[i], true),
        ("failed ops", |r, i| r.series.errors[i] as f64, false),
        ("anomalies", |r, i| r.series.anomalies[i] as f64, false),
    ];
    for (panel, (name, pick, log)) in panels.iter().zip(figures) {
        let lines: Vec<Vec<(f64, f64)>> = runs
            .iter()
            .map(|r| {
                (0..r.series.throughput_per_s.len())
                    .map(|i| ((i as f64 + 0.5) * r.series.window_s, pick(r, i)))
                    .filter(|p| !log || p.1 > 0.0)
                    .collect()
            })
            .collect();
        let values = lines.iter().flatten().map(|p| p.1);
        let top = values.clone().fold(0.0, f64::max);
        let bottom = values.filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
        let mut builder = ChartBuilder::on(panel);
        builder
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(70);
        if log {
            let (lo, hi) = if bottom.is_finite() && top > bottom {
                (bottom / 1.5, top * 1.5)
            } else {
                (0.001, 1.0)
            };
            let mut chart = builder
                .build_cartesian_2d(
                    0f64..end,
                    (lo..hi).log_scale().with_key_points(ticks_1_2_5(lo, hi)),
                )
                .map_err(wrap)?;
            let frame = Panel {
                name,
                shade: &shade,
                lines: &lines,
            };
            panel_body(&mut chart, &frame, (lo, hi)).map_err(wrap)?;
            // Where failures and timeouts count: the client's whole wait.
            let timeout = runs.iter().find_map(|r| r.series.timeout_ms);
            if let Some(t) = timeout.filter(|t| *t > lo && *t < hi) {
                let grey = RGBColor(90, 90, 90);
                chart
                    .draw_series(DashedLineSeries::new(
                        [(0.0, t), (end, t)],
                        3,
                        4,
                        grey.stroke_width(1),
                    ))
                    .map_err(wrap)?;
                chart
                    .draw_series([Text::new(
                        format!("timeout {t} ms: failures count here (\u{2265})"),
                        (end * 0.2, t),
                        (FONT, 12).into_font().color(&grey),
                    )])
                    .map_err(wrap)?;
            }
        } else {
            let hi = if top > 0.0 { top * 1.15 } else { 1.0 };
            let mut chart = builder
                .build_cartesian_2d(0f64..end, 0f64..hi)
                .map_err(wrap)?;
            let frame = Panel {
                name,
                shade: &shade,
                lines: &lines,
            };
            panel_body(&mut chart, &frame, (0.0, hi)).map_err(wrap)?;
        }
    }
    root.present().map_err(wrap)?;
    Ok(())
}

/// What one panel shows.
struct Panel<'p> {
    name: &'p str,
    shade: &'p [Shade],
    lines: &'p [Vec<(f64, f64)>],
}

/// One panel: its mesh, shaded intervals, a line per run, the legend.
fn panel_body<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
    p: &Panel<'_>,
    (lo, hi): (f64, f64),
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    DB: DrawingBackend + 'a,
    Y: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc("s")
        .y_desc(p.name)
        .y_label_formatter(&|v| tick_label(*v))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .light_line_style(RGBColor(240, 240, 240))
        .draw()?;
    for (from, to, label, color) in p.shade {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(*from, lo), (*to, hi)],
            color.filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            label.clone(),
            (*from, hi),
            (FONT, 12).into_font(),
        )))?;
    }
    for (i, line) in p.lines.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let style = ShapeStyle::from(&color).stroke_width(2);
        if i % 2 == 0 {
            chart.draw_series(LineSeries::new(line.clone(), style))?;
        } else {
            chart.draw_series(DashedLineSeries::new(line.clone(), 6, 4, style))?;
        }
    }
    Ok(())
}

/// An axis label without float noise: whole numbers from 100 up, else at
/// most three decimals, trailing zeros dropped.
fn tick_label(v: f64) -> String {
    if v.abs() >= 100.0 {
        return format!("{v:.0}");
    }
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tick_labels_drop_float_noise() {
        assert_eq!(super::tick_label(0.799_999_999_999_999_9), "0.8");
        assert_eq!(super::tick_label(0.0), "0");
        assert_eq!(super::tick_label(12_000.000_1), "12000");
        assert_eq!(super::tick_label(0.0125), "0.013");
    }
}

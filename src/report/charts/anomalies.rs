//! Anomalies as small multiples: one panel per class that occurred, each on
//! its own scale, so 3 per 1,000 reads beside 313 instead of vanishing
//! under it. Classes are never summed: `read_your_writes` is a subset of
//! `stale_read`, `divergence` counts keys left different at the end of the
//! run and `split_brain` intervals, not operations. Each class keeps one
//! colour in every report (its place in the oracle's order); within a panel
//! the runs are bars (architecture, or architecture and point), or with a
//! numeric sweep one line per architecture against the swept parameter,
//! told apart by colour, marker and dash as in the other charts.

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{FONT, PALETTE};
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

fn shown(results: &Results) -> Vec<&RunResult> {
    results.runs.iter().filter(|r| r.replication == 0).collect()
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

/// The run's name in a bar panel.
fn label(r: &RunResult) -> String {
    if r.point.is_empty() {
        r.architecture.clone()
    } else {
        let values: Vec<&str> = r.point.values().map(String::as_str).collect();
        format!("{} ({})", r.architecture, values.join(", "))
    }
}

/// A figure as a label: three significant digits at most, no trailing
/// zeros, thousands separated.
fn short(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    if v.abs() >= 1000.0 {
        return crate::report::thousands(v);
    }
    if v.abs() < 0.001 {
        return format!("{v:.1e}");
    }
    let decimals = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
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
        "Per 1,000 operations offered (failed ones included), each panel on its own scale; \
         read_your_writes is also in stale_read.",
    )
    .map_err(wrap)?;
    let title = format!("{}: anomalies by class", results.scenario.name);
    let root = root.titled(&title, (FONT, 20).into_font()).map_err(wrap)?;
    let classes = classes(results);
    let lines = super::knee::applies(results);
    let root = if lines {
        draw_series_key(&root, results).map_err(wrap)?
    } else {
        root
    };
    let cols = classes.len().clamp(1, 3);
    let rows = classes.len().div_ceil(cols);
    let panels = root.split_evenly((rows, cols));
    for (class, area) in classes.iter().zip(&panels) {
        if lines {
            line_panel(area, results, class).map_err(wrap)?;
        } else {
            bar_panel(area, results, class).map_err(wrap)?;
        }
    }
    root.present().map_err(wrap)?;
    Ok(())
}

/// One class's figure per run, as horizontal bars, the first run on top.
fn bar_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    results: &Results,
    class: &str,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let runs = shown(results);
    let labels: Vec<String> = runs.iter().map(|r| label(r)).collect();
    let values: Vec<f64> = runs.iter().map(|r| figure(r, class)).collect();
    let top = values.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.3;
    let n = runs.len() as f64;
    let widest = labels.iter().map(String::len).max().unwrap_or(0) as u32;
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{class} ({})", unit_of(class)), (FONT, 14))
        .margin(6)
        .x_label_area_size(22)
        .y_label_area_size((widest * 7).clamp(40, 150))
        .build_cartesian_2d(0f64..top, 0f64..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(runs.len() * 2 + 1)
        .y_label_formatter(&|y| {
            // Category i sits at n − 1 − i: the first run on top.
            super::category_label(&labels, n - *y).to_string()
        })
        .x_labels(4)
        .x_label_formatter(&|v| short(*v))
        .label_style((FONT, 11))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    let color = color_of(class);
    chart.draw_series(values.iter().enumerate().map(|(i, v)| {
        let y = n - 1.0 - i as f64;
        Rectangle::new([(0.0, y + 0.2), (*v, y + 0.8)], color.filled())
    }))?;
    chart.draw_series(values.iter().enumerate().map(|(i, v)| {
        let y = n - 1.0 - i as f64;
        Text::new(
            short(*v),
            (*v + top * 0.02, y + 0.7),
            (FONT, 11).into_font(),
        )
    }))?;
    Ok(())
}

/// The architectures' lines, each a colour, marker and dash: the key the
/// line panels share, drawn once in a band under the title. Returns the
/// area below the band.
fn draw_series_key<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    results: &Results,
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (band, rest) = root.split_vertically(26);
    let mut x = 16;
    for (i, name) in architectures(results).iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let style = ShapeStyle::from(&color).stroke_width(2);
        if i % 2 == 0 {
            band.draw(&PathElement::new(vec![(x, 12), (x + 28, 12)], style))?;
        } else {
            for d in [0, 10, 20] {
                band.draw(&PathElement::new(vec![(x + d, 12), (x + d + 6, 12)], style))?;
            }
        }
        let (at, filled) = ((x + 14, 12), color.filled());
        match i % 4 {
            0 => band.draw(&Circle::new(at, 4, filled))?,
            1 => band.draw(&TriangleMarker::new(at, 5, filled))?,
            2 => band.draw(&Rectangle::new([(at.0 - 4, 8), (at.0 + 4, 16)], filled))?,
            _ => band.draw(&Cross::new(at, 5, color.stroke_width(2)))?,
        }
        band.draw(&Text::new(
            name.clone(),
            (x + 34, 5),
            (FONT, 13).into_font(),
        ))?;
        x += 46 + 8 * name.len() as i32;
    }
    let against = format!("against {}", results.scenario.swept[0]);
    band.draw(&Text::new(
        against,
        (x + 16, 5),
        (FONT, 13).into_font().color(&RGBColor(70, 70, 70)),
    ))?;
    Ok(rest)
}

/// The architectures in the file's order.
fn architectures(results: &Results) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in shown(results) {
        if !out.contains(&r.architecture) {
            out.push(r.architecture.clone());
        }
    }
    out
}

/// One class's figure against the swept parameter, a line per
/// architecture (solid and dashed in turn, a marker shape each).
fn line_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    results: &Results,
    class: &str,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let x_path = &results.scenario.swept[0];
    let x_of = |r: &RunResult| r.point[x_path].parse::<f64>().unwrap_or(0.0);
    let runs = shown(results);
    let (lo, hi) = runs
        .iter()
        .map(|r| x_of(r))
        .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    let pad = ((hi - lo) * 0.05).max(1e-9);
    let top = runs
        .iter()
        .map(|r| figure(r, class))
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.15;
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{class} ({})", unit_of(class)), (FONT, 14))
        .margin(6)
        .x_label_area_size(22)
        .y_label_area_size(44)
        .build_cartesian_2d((lo - pad)..(hi + pad), 0f64..top)?;
    chart
        .configure_mesh()
        .x_labels(4)
        .x_label_formatter(&|v| short(*v))
        .y_labels(4)
        .y_label_formatter(&|v| short(*v))
        .label_style((FONT, 11))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    for (i, arch) in architectures(results).iter().enumerate() {
        let mut pts: Vec<(f64, f64)> = runs
            .iter()
            .filter(|r| &r.architecture == arch)
            .map(|r| (x_of(r), figure(r, class)))
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let color = PALETTE[i % PALETTE.len()];
        let style = ShapeStyle::from(&color).stroke_width(2);
        if i % 2 == 0 {
            chart.draw_series(LineSeries::new(pts.clone(), style))?;
        } else {
            chart.draw_series(DashedLineSeries::new(pts.clone(), 6, 4, style))?;
        }
        let filled = color.filled();
        match i % 4 {
            0 => chart.draw_series(pts.iter().map(|p| Circle::new(*p, 4, filled)))?,
            1 => chart.draw_series(pts.iter().map(|p| TriangleMarker::new(*p, 5, filled)))?,
            2 => {
                chart
                    .draw_series(pts.iter().map(|p| {
                        EmptyElement::at(*p) + Rectangle::new([(-4, -4), (4, 4)], filled)
                    }))?
            }
            _ => chart.draw_series(pts.iter().map(|p| Cross::new(*p, 5, color.stroke_width(2))))?,
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_print_short_and_without_float_noise() {
        let cases = [
            (0.0, "0"),
            (0.30000000000000004, "0.3"),
            (2.0, "2"),
            (12.345, "12.3"),
            (377.2, "377"),
            (0.0004, "4.0e-4"),
        ];
        for (v, s) in cases {
            assert_eq!(short(v), s, "{v}");
        }
    }

    #[test]
    fn a_class_keeps_its_colour_whatever_else_occurred() {
        // Not the order of appearance: its place among all classes.
        assert_eq!(color_of("fractured_read"), PALETTE[4]);
        assert_ne!(color_of("split_brain"), color_of("stale_read"));
        assert_eq!(unit_of("divergence"), "keys differing at the end");
    }
}

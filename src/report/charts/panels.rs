//! Small multiples: one panel per figure, each on its own scale, over the
//! runs of a results file. Without a numeric sweep a panel has a bar per
//! run (architecture, or architecture and point), the first on top; with
//! one, a line per architecture against the first swept parameter, told
//! apart by colour, marker and dash (a key under the title names them), so
//! the panels read in grey print and never hide one figure under another's
//! scale.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{FONT, PALETTE};
use crate::report::{Results, RunResult};

/// A panel's figure in a run (`None` where the run has none).
pub type Figure<'a> = Box<dyn Fn(&RunResult) -> Option<f64> + 'a>;

/// One panel: its title, its bars' colour, and its figure.
pub struct Panel<'a> {
    pub title: String,
    pub color: RGBColor,
    pub figure: Figure<'a>,
}

/// The runs drawn: replication 0 of each architecture and point.
pub fn shown(results: &Results) -> Vec<&RunResult> {
    results.runs.iter().filter(|r| r.replication == 0).collect()
}

/// Draws `title`, `note` along the bottom, and `panels` in a grid of up to
/// three columns.
pub fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    results: &Results,
    title: &str,
    note: &str,
    panels: &[Panel<'_>],
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let wrap = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow::anyhow!("drawing failed: {e:?}");
    root.fill(&WHITE).map_err(wrap)?;
    let root = super::with_note(&root, note).map_err(wrap)?;
    let root = root.titled(title, (FONT, 20).into_font()).map_err(wrap)?;
    let lines = super::knee::applies(results);
    let root = if lines {
        let against = format!("against {}", results.scenario.swept[0]);
        draw_key(&root, results, true, &against).map_err(wrap)?
    } else {
        root
    };
    let cols = panels.len().clamp(1, 3);
    let rows = panels.len().div_ceil(cols);
    let areas = root.split_evenly((rows, cols));
    for (panel, area) in panels.iter().zip(&areas) {
        if lines {
            line_panel(area, results, panel).map_err(wrap)?;
        } else {
            bar_panel(area, results, panel).map_err(wrap)?;
        }
    }
    root.present().map_err(wrap)?;
    Ok(())
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

/// A panel's figure per run, as horizontal bars, the first run on top.
fn bar_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    results: &Results,
    panel: &Panel<'_>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let runs = shown(results);
    let labels: Vec<String> = runs.iter().map(|r| label(r)).collect();
    let values: Vec<f64> = runs
        .iter()
        .map(|r| (panel.figure)(r).unwrap_or(0.0))
        .collect();
    let top = values.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.3;
    let n = runs.len() as f64;
    let widest = labels.iter().map(String::len).max().unwrap_or(0) as u32;
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (FONT, 14))
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
    let color = panel.color;
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

/// The architectures' lines, each a colour and dash (and a marker, with
/// `markers`): the key a chart's panels share, drawn once in a band under
/// the title, followed by `after` in grey. Returns the area below the band.
pub(crate) fn draw_key<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    results: &Results,
    markers: bool,
    after: &str,
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
            _ if !markers => {}
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
    band.draw(&Text::new(
        after.to_string(),
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

/// A panel's figure against the swept parameter, a line per architecture
/// (solid and dashed in turn, a marker shape each).
fn line_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    results: &Results,
    panel: &Panel<'_>,
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
        .filter_map(|r| (panel.figure)(r))
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.15;
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (FONT, 14))
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
            .filter_map(|r| Some((x_of(r), (panel.figure)(r)?)))
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
}

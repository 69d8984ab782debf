//! Charts, drawn with plotters into SVG and PNG. Text uses DejaVu Sans,
//! embedded in the binary, so no system font libraries are needed. Series
//! differ by marker shape and line dash as well as colour (Okabe–Ito
//! palette), so they read in black-and-white print and for colour-blind
//! readers.

use std::sync::Once;

use anyhow::{Context as _, anyhow};
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::Results;

mod anomalies;
mod coordination;
mod knee;
mod ladder;
mod panels;
mod percentiles;
mod timeline;
mod visibility;

/// Okabe–Ito colours, distinguishable with every common colour-vision deficiency.
pub(crate) const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

const SIZE: (u32, u32) = (900, 540);
pub(crate) const FONT: &str = "sans-serif";

fn register_fonts() -> anyhow::Result<()> {
    static ONCE: Once = Once::new();
    let mut result = Ok(());
    ONCE.call_once(|| {
        result = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
            .and_then(|()| {
                plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold())
            })
            .map_err(|_| anyhow!("the embedded font could not be loaded"));
    });
    result
}

/// A chart rendered in both formats.
pub struct Chart {
    /// File stem, e.g. `latency-percentiles`.
    pub stem: &'static str,
    pub svg: String,
    pub png: Vec<u8>,
}

/// Draws one chart into an SVG string and a PNG, with `$draw(area,
/// results)`.
macro_rules! render {
    ($stem:expr, $draw:path, $results:expr) => {{
        let mut svg = String::new();
        $draw(
            SVGBackend::with_string(&mut svg, SIZE).into_drawing_area(),
            $results,
        )?;
        let mut rgb = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
        $draw(
            BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area(),
            $results,
        )?;
        Chart {
            stem: $stem,
            svg,
            png: encode_png(&rgb, SIZE)?,
        }
    }};
}

/// Every chart of a results folder; each only when the results have what
/// it shows (a sweep, probes, anomalies, coordination figures).
pub fn charts(results: &Results) -> anyhow::Result<Vec<Chart>> {
    register_fonts()?;
    let mut out = vec![render!("latency-percentiles", percentiles::draw, results)];
    if knee::applies(results) {
        out.push(render!("latency-vs-parameter", knee::draw, results));
    }
    if anomalies::applies(results) {
        out.push(render!("anomalies", anomalies::draw, results));
    }
    if coordination::applies(results) {
        out.push(render!("coordination", coordination::draw, results));
    }
    if visibility::applies(results) {
        out.push(render!("visibility", visibility::draw, results));
    }
    if visibility::lag_applies(results) {
        if knee::applies(results) {
            out.push(render!("lag", knee::draw_lag, results));
        } else {
            out.push(render!("lag", visibility::draw_lag, results));
        }
    }
    if timeline::applies(results) {
        out.push(render!("timeline", timeline::draw, results));
    }
    Ok(out)
}

fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

/// Draws the legend at `position`, boxed, in the chart font.
pub(crate) fn draw_legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    DB: DrawingBackend + 'a,
    CT: plotters::coord::CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, 15))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
}

/// What the latency charts say about failures.
pub(crate) const LATENCY_NOTE: &str = "Failed and timed-out operations count at the client's \
     whole wait (timeout × attempts); hollow markers are \u{2265}: lower bounds.";

/// Writes `note` in small type along the bottom of `root` and returns the
/// area above it, for the chart: each chart says how it counts failures.
pub(crate) fn with_note<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    note: &str,
) -> Result<DrawingArea<DB, plotters::coord::Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (_, h) = root.dim_in_pixel();
    let (main, foot) = root.split_vertically(h.saturating_sub(24));
    foot.draw(&Text::new(
        note.to_string(),
        (16, 2),
        (FONT, 13).into_font().color(&RGBColor(70, 70, 70)),
    ))?;
    Ok(main)
}

/// The label of category `i` for a tick at `x`, on an axis where category
/// `i` spans `i..i + 1` and is labelled at its middle (ticks every half).
pub(crate) fn category_label(labels: &[String], x: f64) -> String {
    let i = (x - 0.5).round();
    if (x - 0.5 - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
        labels[i as usize].clone()
    } else {
        String::new()
    }
}

/// Round tick values (1, 2, 3, 5 × 10^k) inside `lo..hi`.
pub(crate) fn ticks_1_2_5(lo: f64, hi: f64) -> Vec<f64> {
    let mut ticks = Vec::new();
    let mut decade = 10f64.powf(lo.log10().floor());
    while decade <= hi {
        for m in [1.0, 2.0, 3.0, 5.0] {
            let t = m * decade;
            if t >= lo && t <= hi {
                // Trim binary noise: 0.30000000000000004 → 0.3.
                ticks.push(format!("{t:.6}").parse().unwrap_or(t));
            }
        }
        decade *= 10.0;
    }
    ticks
}

pub(crate) type LogChart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<
        plotters::coord::types::RangedCoordf64,
        plotters::coord::combinators::WithKeyPoints<plotters::coord::combinators::LogCoord<f64>>,
    >,
>;

/// A marker shape per series: circle, triangle, square, cross, in turn.
pub(crate) fn draw_markers<DB: DrawingBackend>(
    chart: &mut LogChart<'_, DB>,
    points: &[(f64, f64)],
    series: usize,
    color: RGBColor,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let filled = color.filled();
    match series % 4 {
        0 => chart.draw_series(points.iter().map(|p| Circle::new(*p, 5, filled)))?,
        1 => chart.draw_series(points.iter().map(|p| TriangleMarker::new(*p, 6, filled)))?,
        2 => chart.draw_series(
            points
                .iter()
                .map(|p| EmptyElement::at(*p) + Rectangle::new([(-5, -5), (5, 5)], filled)),
        )?,
        _ => chart.draw_series(
            points
                .iter()
                .map(|p| Cross::new(*p, 6, color.stroke_width(2))),
        )?,
    };
    Ok(())
}

/// A ring around each point that is a lower bound (a latency among the
/// failures, "≥"): hollow, so it reads apart from the filled markers.
pub(crate) fn draw_lower_bounds<DB: DrawingBackend>(
    chart: &mut LogChart<'_, DB>,
    points: &[(f64, f64)],
    color: RGBColor,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart.draw_series(
        points
            .iter()
            .map(|p| Circle::new(*p, 10, color.stroke_width(2))),
    )?;
    chart.draw_series(points.iter().map(|p| {
        EmptyElement::at(*p) + Text::new("\u{2265}", (9, -22), (FONT, 15).into_font().color(&color))
    }))?;
    Ok(())
}

/// The growth ladder's charts: `capacity` (each architecture's capacity at
/// the SLO) and `goodput` (goodput against offered load), as files of a
/// results folder.
pub fn ladder_chart_files(ladder: &super::Ladder) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    register_fonts()?;
    let charts = [
        render!("capacity", ladder::draw_capacity, ladder),
        render!("goodput", ladder::draw_goodput, ladder),
    ];
    let mut files = Vec::new();
    for chart in charts {
        files.push((format!("{}.svg", chart.stem), chart.svg.into_bytes()));
        files.push((format!("{}.png", chart.stem), chart.png));
    }
    Ok(files)
}

/// Adds the charts' files to a results folder.
pub fn chart_files(results: &Results) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for chart in charts(results).context("cannot draw the charts")? {
        files.push((format!("{}.svg", chart.stem), chart.svg.into_bytes()));
        files.push((format!("{}.png", chart.stem), chart.png));
    }
    Ok(files)
}

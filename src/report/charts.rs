//! Charts, drawn with plotters into SVG and PNG. Text uses DejaVu Sans,
//! embedded in the binary, so no system font libraries are needed. Series
//! differ by marker shape and line dash as well as colour (Okabe–Ito
//! palette), so they read in black-and-white print and for colour-blind
//! readers.

use std::sync::Once;

use anyhow::{Context as _, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::Results;

/// Okabe–Ito colours, distinguishable with every common colour-vision deficiency.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

const SIZE: (u32, u32) = (900, 540);
const FONT: &str = "sans-serif";

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

/// Every chart of a results folder.
pub fn charts(results: &Results) -> anyhow::Result<Vec<Chart>> {
    register_fonts()?;
    let stem = "latency-percentiles";
    let mut svg = String::new();
    draw_percentiles(
        SVGBackend::with_string(&mut svg, SIZE).into_drawing_area(),
        results,
    )?;
    let mut rgb = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
    draw_percentiles(
        BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area(),
        results,
    )?;
    Ok(vec![Chart {
        stem,
        svg,
        png: encode_png(&rgb, SIZE)?,
    }])
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

const PERCENTILES: [&str; 5] = ["p50", "p90", "p99", "p99.9", "max"];

/// Latency at each percentile, one line per architecture (replication 0;
/// all operations), on a log scale so medians and tails share one chart.
fn draw_percentiles<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    results: &Results,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let series: Vec<(String, [f64; 5])> = results
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
        .collect();
    let positive = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .filter(|v| *v > 0.0);
    let lo = positive.clone().fold(f64::INFINITY, f64::min);
    let hi = positive.fold(0.0, f64::max);
    let (lo, hi) = if lo.is_finite() {
        (lo / 1.5, hi * 1.5)
    } else {
        (0.001, 1.0)
    };

    let wrap = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing failed: {e:?}");
    root.fill(&WHITE).map_err(wrap)?;
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
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FONT, 15))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(wrap)?;
    root.present().map_err(wrap)?;
    Ok(())
}

/// Round tick values (1, 2, 3, 5 × 10^k) inside `lo..hi`.
fn ticks_1_2_5(lo: f64, hi: f64) -> Vec<f64> {
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

type LogChart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<
        plotters::coord::types::RangedCoordf64,
        plotters::coord::combinators::WithKeyPoints<plotters::coord::combinators::LogCoord<f64>>,
    >,
>;

/// A marker shape per series: circle, triangle, square, cross, in turn.
fn draw_markers<DB: DrawingBackend>(
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

/// Adds the charts' files to a results folder.
pub fn chart_files(results: &Results) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for chart in charts(results).context("cannot draw the charts")? {
        files.push((format!("{}.svg", chart.stem), chart.svg.into_bytes()));
        files.push((format!("{}.png", chart.stem), chart.png));
    }
    Ok(files)
}

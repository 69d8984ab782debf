//! Coordination cost per offered operation as small multiples: messages,
//! round trips on the client's path, forced writes and consensus rounds,
//! each in its own panel on its own scale (see `panels`).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::PALETTE;
use super::panels::{self, Panel, shown};
use crate::report::{Results, RunResult};

/// How a run gives one figure.
type Of = fn(&RunResult) -> Option<f64>;

/// The figures drawn, each with its name and how a run gives it (its
/// colour is its place here).
fn figures() -> [(&'static str, Of); 4] {
    [
        ("messages", |r| {
            Some(r.coordination.per_operation.as_ref()?.messages)
        }),
        ("round trips on the client's path", |r| {
            r.coordination.per_operation.as_ref()?.round_trips
        }),
        ("forced writes", |r| {
            Some(r.coordination.per_operation.as_ref()?.forced_writes)
        }),
        ("consensus rounds", |r| {
            r.coordination.per_operation.as_ref()?.consensus_rounds
        }),
    ]
}

pub fn applies(results: &Results) -> bool {
    shown(results)
        .iter()
        .any(|r| r.coordination.per_operation.is_some())
}

pub fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    results: &Results,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let runs = shown(results);
    let panels: Vec<Panel<'_>> = figures()
        .into_iter()
        .enumerate()
        .filter(|(_, (_, figure))| runs.iter().any(|r| figure(r).is_some_and(|v| v > 0.0)))
        .map(|(i, (title, figure))| Panel {
            title: format!("{title} per operation"),
            color: PALETTE[i],
            figure: Box::new(figure),
        })
        .collect();
    panels::draw(
        root,
        results,
        &format!("{}: coordination cost per operation", results.scenario.name),
        "Per operation offered: started in the window, failed and timed-out ones included.",
        &panels,
    )
}

//! A schema change reaching the stores fed from the source of record.
//!
//! The change is one, at the source (the fault's target, "primary"), and
//! the harness carries it to every derived store the architecture feeds by
//! a pipeline (its `pipeline:<store>` roles: polyglot's and the carried
//! stores' CDC or event-bus feeds, the coordinator's read model). Each
//! store's consumer learns the new schema only when it is deployed, `for`
//! after `at`: until then its path holds the changes written in the new
//! schema (`downstream = "stall"`) or the store drops them ("reject"),
//! and the path counts them (`model::Impairment::admits`).
//!
//! What gets no window, and why:
//! - a dual-written store: the application writes it, and is deployed
//!   with the change;
//! - physical read replicas (single's, sharded's): they replay the DDL from
//!   the log in order, with no consumer of their own to deploy (the DDL's
//!   replay conflicting with queries on a replica is not modelled);
//! - a colocated consensus database: one system, whose schema change is
//!   online in it (F1's, Rae et al., VLDB 2013) — no downstream store.
//!
//! The source's own work — the online migration's backfill beside the
//! workload — reaches the source's stations as the fault's `factor` on
//! their service times (`Part::Station`).

use super::{Architecture, Part};
use crate::faults::{Fault, Role, SchemaRollout, StoreWindow};
use crate::metrics::thousands;
use crate::sim::SimTime;

/// A schema change begins now: each pipeline's window opens until the
/// fault's end.
pub(super) fn open<A: Architecture>(arch: &mut A, pipelines: &[Role], fault: &Fault, now: SimTime) {
    let (until, rejects) = (fault.until(), fault.rejects());
    for role in pipelines {
        arch.parts(role, &mut |part| {
            if let Part::Path(path) = part {
                path.open_schema(now, until, rejects);
            }
        });
    }
}

/// Fault `index` ends now: every consumer is deployed; each store's window
/// closes and what it held or dropped is reported.
pub(super) fn close<A: Architecture>(
    arch: &mut A,
    pipelines: &[Role],
    index: usize,
    fault: &Fault,
    now: SimTime,
) {
    let round = crate::metrics::round6;
    let mut stores = Vec::new();
    for role in pipelines {
        let Role::Pipeline(name) = role else {
            continue;
        };
        // A store's feed may have more than one path (a CDC connector and
        // an event bus); the changes entered by whichever it uses.
        let (mut changes, mut first) = (0, None::<SimTime>);
        arch.parts(role, &mut |part| {
            if let Part::Path(path) = part
                && let Some(w) = path.close_schema()
            {
                changes += w.changes;
                first = match (first, w.first) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
        });
        let rejects = fault.rejects();
        stores.push(StoreWindow {
            store: name.clone(),
            window_s: round((now - fault.begins()).as_secs_f64()),
            lagged: if rejects { 0 } else { changes },
            rejected: if rejects { changes } else { 0 },
            held_max_s: match first {
                Some(t) if !rejects => round((now - t).as_secs_f64()),
                _ => 0.0,
            },
            needs_backfill: rejects && changes > 0,
        });
    }
    // Reported once every consumer is deployed (the scenario's check
    // keeps that within the run).
    let rollout = SchemaRollout {
        downstream: fault.downstream.unwrap_or_default().name().to_string(),
        source_factor: fault.slowdown(),
        source_s: round((now - fault.begins()).as_secs_f64()),
        stores,
    };
    let effect = arch.harness_mut().effects.get(index);
    effect.notes.push(note(&rollout));
    effect.schema_change = Some(rollout);
}

/// The fault's note: the source's work, and each store's window.
fn note(r: &SchemaRollout) -> String {
    let source = format!(
        "the source's online migration ran {:.1} s at ×{} service times",
        r.source_s, r.source_factor
    );
    if r.stores.is_empty() {
        return format!(
            "{source}; no store is fed by a pipeline, so no deploy to coordinate and no window \
             (the change is online in one system, or replayed from the log by physical replicas)"
        );
    }
    let each: Vec<String> = r
        .stores
        .iter()
        .map(|s| {
            if r.downstream == "reject" {
                format!(
                    "{} rejected {} changes in its {:.1} s window{}",
                    s.store,
                    thousands(s.rejected as f64),
                    s.window_s,
                    if s.needs_backfill {
                        " (needs a backfill)"
                    } else {
                        ""
                    }
                )
            } else {
                format!(
                    "{} held {} changes for up to {:.1} s, then caught up",
                    s.store,
                    thousands(s.lagged as f64),
                    s.held_max_s
                )
            }
        })
        .collect();
    format!("{source}; {}", each.join("; "))
}

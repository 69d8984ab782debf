//! `archsim diagnose`: which stage a team is really in. From what the team
//! observes of its system (`Observed`), each signature of the seed stages —
//! and each cause that is not architectural — is read against its
//! threshold; the stage whose tensions fire is the stage the team is in,
//! whatever it believes. "Most teams overestimate where they are": a team
//! that declares a later stage than its indicators show gets an explicit
//! mismatch warning, with the evidence on both sides.
//!
//! The stage: the earliest stage whose tension fires (a synchronization
//! problem is not cured by the distribution of a later stage); with none
//! firing, the stage of what the team runs (its platforms, shards and
//! coordinator), which is then earning its keep. Causes that are not
//! architectural (a missing index, analytics at the peak, N+1 queries) are
//! named first: they explain a tension without a change of architecture.

pub mod calibrate;
pub mod observed;
pub mod signatures;
pub mod whatif;

use serde::Serialize;

pub use observed::Observed;
pub use signatures::Signature;

use crate::report::Table;
use crate::report::page::{Block, Page};
use crate::scenario::Slo;

/// The diagnosis of one system.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnosis {
    pub name: String,
    /// The stage whose tensions the indicators show.
    pub stage: u8,
    /// The stage the team declared.
    pub declared_stage: u8,
    /// The stage of what the team runs (platforms, shards, coordinator).
    pub system_stage: u8,
    /// Why `stage`, in one sentence.
    pub verdict: String,
    /// When `stage` differs from `declared_stage`: what the indicators say
    /// instead, with the evidence.
    pub mismatch: Option<String>,
    /// Causes that are not architectural and fired.
    pub not_architectural: Vec<String>,
    pub signatures: Vec<Signature>,
    /// Observed against simulated, for every indicator the calibration
    /// used (empty until [`Diagnosis::advise`]).
    pub calibration: Vec<calibrate::Row>,
    /// The calibrated model: its parameters, assumptions, what it leaves
    /// out, and why advice was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibrated: Option<calibrate::Calibration>,
    /// The next steps, run (empty when advice was refused).
    pub what_ifs: Vec<whatif::WhatIf>,
    /// The what-ifs' load, SLO, today's figures and the steps not modelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<whatif::WhatIfs>,
}

/// A figure to four significant decimals.
fn figure(x: f64) -> String {
    format!("{}", (x * 1e4).round() / 1e4)
}

/// Platforms of a colocated consensus database (stage 5).
const COLOCATED: &[&str] = &[
    "cockroachdb",
    "yugabytedb",
    "tidb",
    "spanner",
    "ignite",
    "gridgain",
    "hazelcast",
    "voltdb",
];
/// Platforms of a transaction coordinator (stage 4).
const COORDINATORS: &[&str] = &["coordinator", "atomikos", "narayana", "seata"];
/// Platforms that are derived stores beside a system of record (stage 2).
const DERIVED: &[&str] = &[
    "elasticsearch",
    "opensearch",
    "solr",
    "warehouse",
    "snowflake",
    "bigquery",
    "redshift",
    "clickhouse",
    "kafka",
    "debezium",
    "search",
];

/// The stage of the system the team runs.
fn system_stage(o: &Observed) -> u8 {
    let runs = |list: &[&str]| {
        o.system
            .platforms
            .iter()
            .any(|p| list.contains(&p.to_ascii_lowercase().as_str()))
    };
    if runs(COLOCATED) {
        5
    } else if runs(COORDINATORS)
        || o.indicators
            .coordinator_utilization
            .is_some_and(|u| u > 0.0)
    {
        4
    } else if o.system.shards.is_some_and(|s| s > 1) {
        3
    } else if runs(DERIVED) || o.system.sync.keys().any(|k| k != "cache") {
        2
    } else {
        1
    }
}

/// What the tension of `stage` is called.
fn tension(stage: u8) -> &'static str {
    match stage {
        1 => "one-database",
        2 => "synchronization",
        3 => "distribution",
        _ => "coordination",
    }
}

/// Diagnoses the system `o` describes.
pub fn diagnose(o: &Observed) -> Diagnosis {
    let signatures = signatures::read(o);
    let fired = |s: &Signature| s.fired == Some(true);
    let system = system_stage(o);
    let not_architectural: Vec<String> = signatures
        .iter()
        .filter(|s| s.stage == signatures::NOT_ARCHITECTURAL && fired(s))
        .map(|s| format!("{} ({})", s.says, s.evidence))
        .collect();
    let earliest = signatures
        .iter()
        .filter(|s| s.stage != signatures::NOT_ARCHITECTURAL && fired(s))
        .map(|s| s.stage)
        .min();
    let stage = earliest.unwrap_or(system);
    let evidence_of = |stage: u8, firing: bool| -> Vec<String> {
        signatures
            .iter()
            .filter(|s| s.stage == stage && s.fired == Some(firing))
            .map(|s| s.evidence.clone())
            .collect()
    };
    let verdict = match earliest {
        Some(s) => format!(
            "a stage-{s} {} problem: {}",
            tension(s),
            evidence_of(s, true).join("; ")
        ),
        None => format!("no tension fires: the stage you run (stage {system}) is earning its keep"),
    };
    let verdict = if not_architectural.is_empty() {
        verdict
    } else {
        format!(
            "{verdict}. First fix what no architecture fixes: {}",
            not_architectural.join("; ")
        )
    };
    let mismatch = (stage != o.declared_stage).then(|| {
        let against = evidence_of(o.declared_stage, false);
        let against = if against.is_empty() {
            String::new()
        } else {
            format!("; not firing for stage {}: {}", o.declared_stage, against.join("; "))
        };
        let direction = if stage < o.declared_stage {
            format!(
                " Treating a {} problem with more distribution makes it worse.",
                tension(stage)
            )
        } else {
            String::new()
        };
        format!(
            "you declared stage {}; your indicators are a stage-{stage} {} problem: {}{against}.{direction}",
            o.declared_stage,
            tension(stage),
            match evidence_of(stage, true) {
                e if e.is_empty() => format!("no tension fires, and you run a stage-{system} system"),
                e => e.join("; "),
            }
        )
    });
    Diagnosis {
        name: o.name.clone(),
        stage,
        declared_stage: o.declared_stage,
        system_stage: system,
        verdict,
        mismatch,
        not_architectural,
        signatures,
        calibration: Vec::new(),
        calibrated: None,
        what_ifs: Vec::new(),
        advice: None,
    }
}

impl Diagnosis {
    /// Calibrates a model of the system `o` describes and, when it
    /// reproduces the observations within the bounds (`calibrate`), runs
    /// the what-ifs at today's load × `growth` against `slo`. Returns why
    /// advice was refused, when it was.
    pub fn advise(&mut self, o: &Observed, growth: f64, slo: &Slo) -> Option<String> {
        let mut c = calibrate::calibrate(o, self.system_stage);
        self.calibration = std::mem::take(&mut c.rows);
        if c.refused.is_none() {
            match whatif::what_ifs(o, self, &c, growth, slo) {
                Ok(mut w) => {
                    self.what_ifs = std::mem::take(&mut w.steps);
                    self.advice = Some(w);
                }
                Err(e) => c.refused = Some(format!("the what-ifs could not run: {e}")),
            }
        }
        let refused = c.refused.clone();
        self.calibrated = Some(c);
        refused
    }

    /// The calibration and what-if sections of the page.
    fn advice_blocks(&self, blocks: &mut Vec<Block>) {
        let Some(c) = &self.calibrated else { return };
        blocks.push(Block::Heading("Calibration".into()));
        if let Some(p) = &c.parameters {
            blocks.push(Block::Paragraph(format!(
                "A `{}` model of today's system: {} ops/s, {:.0} % reads, {} keys at zipf({}), a cache of {} entries, {} database cores{} at {:.1} µs a read and {:.1} µs a write (the utilisation law), run {} s after a {} s warm-up, seed 1.",
                p.kind,
                p.rate_ops_per_s,
                p.read_share * 100.0,
                p.keys,
                p.zipf_s,
                p.cache_entries,
                p.db_cores,
                if p.shards > 1 {
                    format!(" on each of {} shards", p.shards)
                } else {
                    String::new()
                },
                p.read_us,
                p.write_us,
                calibrate::DURATION_S,
                p.warmup_s
            )));
        }
        if !self.calibration.is_empty() {
            let mut t = Table {
                headers: [
                    "indicator",
                    "observed",
                    "simulated",
                    "residual",
                    "bound",
                    "within",
                ]
                .map(String::from)
                .to_vec(),
                rows: Vec::new(),
            };
            for r in &self.calibration {
                t.rows.push(vec![
                    format!("{} ({})", r.indicator, r.unit),
                    figure(r.observed),
                    r.simulated.map_or("—".to_string(), figure),
                    r.residual.map_or("—".to_string(), |x| format!("{x:+.3}")),
                    r.bound.clone(),
                    if r.within { "yes" } else { "no" }.to_string(),
                ]);
            }
            blocks.push(Block::Table(t));
        }
        if !c.assumptions.is_empty() {
            blocks.push(Block::Paragraph(
                "Assumed for want of an observation:".into(),
            ));
            blocks.push(Block::List(c.assumptions.clone()));
        }
        if !c.not_modelled.is_empty() {
            blocks.push(Block::Paragraph("Not modelled:".into()));
            blocks.push(Block::List(c.not_modelled.clone()));
        }
        if let Some(why) = &c.refused {
            blocks.push(Block::Paragraph(format!(
                "**No advice:** {why}. The what-ifs are not run: a model that does not reproduce today's system cannot say what a change would do to it."
            )));
            return;
        }
        let Some(w) = &self.advice else { return };
        blocks.push(Block::Heading("What-ifs".into()));
        blocks.push(Block::Paragraph(format!(
            "Each step is a change to the calibrated scenario, run at today's load × {} ({:.0} ops/s) beside today's system on one operation stream; its capacity is the highest rate meeting {} (searched to {:.0} %). Today's system there: capacity {:.0} ops/s, {} nodes on {} platforms{}. Verdicts: a capacity change within {:.0} % is noise; an anomaly class that rises makes it worse; for a synchronization problem a step that leaves the sync backlog growing does not treat it. Steps that help come first, cheapest per 1,000 ops/s of capacity first.",
            w.growth,
            w.rate_ops_per_s,
            w.slo.join(", "),
            whatif::TOLERANCE * 100.0,
            w.today.capacity_ops_per_s,
            w.today.nodes,
            w.today.platforms,
            w.today
                .cost_usd_per_hour
                .map_or(String::new(), |c| format!(", ${c:.2}/h")),
            whatif::CAPACITY_MARGIN * 100.0
        )));
        let mut t = Table {
            headers: [
                "step",
                "change",
                "verdict",
                "capacity ops/s",
                "anomalies per 1,000 (today → step)",
                "platforms",
                "nodes",
                "$/h",
                "mechanism",
            ]
            .map(String::from)
            .to_vec(),
            rows: Vec::new(),
        };
        for s in &self.what_ifs {
            let anomalies: Vec<String> = s
                .anomalies
                .iter()
                .map(|a| format!("{} {:.2} → {:.2}", a.class, a.today_per_1k, a.step_per_1k))
                .collect();
            t.rows.push(vec![
                if s.tempting {
                    format!("{} (the tempting step)", s.step)
                } else {
                    s.step.clone()
                },
                s.change.clone(),
                s.verdict.as_str().to_string(),
                format!("{:.0}", s.capacity_ops_per_s),
                if anomalies.is_empty() {
                    "unchanged".to_string()
                } else {
                    anomalies.join("; ")
                },
                s.platforms.to_string(),
                s.nodes.to_string(),
                s.cost_usd_per_hour
                    .map_or("—".to_string(), |c| format!("{c:.2}")),
                s.mechanism.clone(),
            ]);
        }
        blocks.push(Block::Table(t));
        blocks.push(Block::Paragraph("Steps not modelled:".into()));
        blocks.push(Block::List(w.not_modelled.clone()));
    }

    /// The diagnosis as a page: the verdict, the mismatch, every signature,
    /// then the calibration and the what-ifs when they were run.
    pub fn page(&self) -> Page {
        let mut blocks = vec![
            Block::Heading("Where the system is".into()),
            Block::Paragraph(format!(
                "Stage {} (declared {}, running a stage-{} system): {}.",
                self.stage, self.declared_stage, self.system_stage, self.verdict
            )),
        ];
        if let Some(m) = &self.mismatch {
            blocks.push(Block::Paragraph(format!("**Mismatch:** {m}")));
        }
        blocks.push(Block::Heading("Signatures".into()));
        blocks.push(Block::Paragraph(
            "One rule per indicator of the seed stages and per cause that is not \
             architectural (stage 0), with the evidence read and its threshold; \"not read\" \
             when the observations did not give it."
                .into(),
        ));
        let mut table = Table {
            headers: ["stage", "signature", "says", "fired", "evidence"]
                .map(String::from)
                .to_vec(),
            rows: Vec::new(),
        };
        for s in &self.signatures {
            table.rows.push(vec![
                s.stage.to_string(),
                s.id.to_string(),
                s.says.to_string(),
                match s.fired {
                    Some(true) => "fired".to_string(),
                    Some(false) => "no".to_string(),
                    None => "not read".to_string(),
                },
                s.evidence.clone(),
            ]);
        }
        blocks.push(Block::Table(table));
        self.advice_blocks(&mut blocks);
        Page {
            title: format!("{}: diagnosis", self.name),
            blocks,
        }
    }
}

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

use serde::Serialize;

pub use observed::Observed;
pub use signatures::Signature;

use crate::report::Table;
use crate::report::page::{Block, Page};

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
    }
}

impl Diagnosis {
    /// The diagnosis as a page: the verdict, the mismatch, every signature.
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
        Page {
            title: format!("{}: diagnosis", self.name),
            blocks,
        }
    }
}

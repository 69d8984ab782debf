//! archsim's integration tests: one binary, one module per concern.

mod accounting;
mod analytics;
mod app_caches;
mod bad_input;
mod business;
mod cache_split_brain;
mod capacity;
mod cli;
mod coordination;
mod corpus;
mod costs;
mod determinism;
mod diagnose;
mod elections;
mod elle;
mod entities;
mod faults;
mod fuzz;
mod golden;
mod hardening;
mod indicators;
mod init;
mod layering;
mod leases;
mod like_for_like;
mod memory;
mod oracle;
mod overrides;
mod polyglot;
mod quorums;
mod replica_apply;
mod replications;
mod reshard;
mod saturation;
mod schema_change;
mod sharded;
mod single;
mod split_brain;
mod stages;
mod sweep;
mod tails;
mod theory;
mod tpcc;
mod trace;
mod txn;
mod vertical;
mod warm;
mod workload;
mod ycsb;

use std::path::{Path, PathBuf};

use std::process::{Command, Output};

use archsim::report::{Results, RunResult};

/// Per-thread allocation counts for the memory test.
#[global_allocator]
static ALLOCATOR: memory::PerThread = memory::PerThread;
use archsim::scenario::Scenario;

/// The repository root (where `scenarios/` lives).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn scenario_path(rel: &str) -> PathBuf {
    root().join("scenarios").join(rel)
}

/// A scenario from TOML text, with no overrides.
pub fn scenario(text: &str) -> Scenario {
    Scenario::from_toml(text, "test.toml", "test", &[]).unwrap_or_else(|e| panic!("{e}"))
}

pub fn run(scenario: &Scenario) -> Results {
    archsim::runner::run(scenario)
}

/// The first run (architecture, replication) of the scenario `text`.
pub fn run_one(text: &str) -> RunResult {
    run(&scenario(text)).runs.remove(0)
}

/// Whether `got` is within `margin` (a share) of `expected`.
pub fn within(got: f64, expected: f64, margin: f64) -> bool {
    (got - expected).abs() <= margin * expected
}

/// The `archsim` binary with `args`, without colour or backtraces.
pub fn archsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_archsim"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap()
}

//! archsim's integration tests: one binary, one module per concern.

pub mod bad_input;
mod cli;
mod determinism;
mod elle;
mod entities;
mod memory;
mod oracle;
mod overrides;
mod polyglot;
mod sharded;
mod single;
mod theory;
mod workload;

use std::path::{Path, PathBuf};

use archsim::report::Results;

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

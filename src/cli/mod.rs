//! The command line: `archsim run | check | list`.

mod check;
mod list;
mod run;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::scenario::Override;

#[derive(Debug, Parser)]
#[command(
    name = "archsim",
    version,
    about = "Simulate five data architectures on one operation stream: latency, anomalies, coordination cost",
    after_help = "Examples:\n  archsim run scenarios/five-architectures.toml\n  archsim run scenarios/validation/mm1-rho-0.8.toml --set workload.rate=900\n  archsim check scenarios/*.toml\n  archsim list"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios and write results/<name>/ (JSON, CSV, Markdown, resolved scenario, manifest).
    Run(RunArgs),
    /// Read and validate scenarios without running them.
    Check(ScenarioArgs),
    /// List the architectures, their parameters and defaults.
    List,
}

#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Scenario files (TOML).
    #[arg(required = true, value_name = "SCENARIO.toml")]
    pub scenarios: Vec<PathBuf>,
    /// Override a scenario field, e.g. workload.rate=30000 or architecture.single.db.cores=16 (repeatable, applied in order).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub overrides: Vec<Override>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Folder that receives <scenario name>/ with the results.
    #[arg(short, long, value_name = "DIR", default_value = "results")]
    pub output: PathBuf,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Simulations run side by side (default: one per core). Results do not depend on it.
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Print nothing on stderr but errors.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print per-run timing on stderr.
    #[arg(short, long)]
    pub verbose: bool,
    /// Write each run's client history in Jepsen/Elle JSON lines to FILE (FILE.<architecture>.<replication>.jsonl when a scenario has several runs), for Elle or adya to cross-check.
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Operations recorded per run in --history (the first ones).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 100_000,
        requires = "history"
    )]
    pub history_limit: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
}

/// Entry point of the binary: parses arguments, runs, maps errors to exit
/// codes (1 for a failed run, 2 for a usage error).
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    let result = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Check(args) => check::check(&args),
        Command::List => list::list(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let label = if use_color() {
                "\x1b[1;31mError:\x1b[0m"
            } else {
                "Error:"
            };
            eprintln!("{label} {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Colour only on a terminal, and never when `NO_COLOR` is set.
fn use_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

impl ScenarioArgs {
    /// Loads each scenario with the overrides (the seed last).
    pub fn load(&self) -> anyhow::Result<Vec<(PathBuf, crate::scenario::Scenario)>> {
        let mut overrides = self.overrides.clone();
        if let Some(seed) = self.seed {
            overrides.push(format!("seed={seed}").parse().map_err(anyhow::Error::msg)?);
        }
        self.scenarios
            .iter()
            .map(|path| {
                let scenario = crate::scenario::Scenario::load(path, &overrides)?;
                Ok((path.clone(), scenario))
            })
            .collect()
    }
}

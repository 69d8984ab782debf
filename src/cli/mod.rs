//! The command line: `archsim run | check | list`.

mod capacity;
mod chart;
mod check;
mod diagnose;
mod fit;
mod init;
mod interrupt;
mod list;
mod merge;
mod run;
mod sweep;
mod ycsb;

use std::io::IsTerminal;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report;
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
    /// Run every point of a scenario's sweep ([sweep] and --param), writing each point as it completes.
    Sweep(SweepArgs),
    /// For each architecture, the highest load it carries within the SLO, what limits it, and what the next stage costs there (the growth ladder): results/<name>/capacity.json, capacity.md and charts.
    Capacity(CapacityArgs),
    /// Join the slices of a sharded sweep (folders written by sweep --shard) into the results of the whole sweep.
    Merge(MergeArgs),
    /// Draw a results folder's charts, and its review (report.md, report.html), again from its results.json, scenario.toml and manifest.json, without running anything.
    Chart(ChartArgs),
    /// Read and validate scenarios without running them.
    Check(ScenarioArgs),
    /// List the architectures, their parameters and defaults (all, or one kind's).
    List(ListArgs),
    /// Write a commented starter scenario: every field with its documentation, default and source, the flags' choices set.
    Init(InitArgs),
    /// Print the [workload] section that generates a stream like a recorded trace's (rate, mix, sessions, keys, fitted Zipf popularity).
    Fit(FitArgs),
    /// Which stage a team is really in: read what it observes (OBSERVED.toml: load, platforms, dashboard indicators) against the seed stages' signatures, and write results/<name>/diagnosis.md, .html and .json.
    Diagnose(DiagnoseArgs),
    /// Print a shell completion script, e.g. `archsim completions bash > /etc/bash_completion.d/archsim`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `archsim man > archsim.1 && man ./archsim.1`.
    Man,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  archsim init -o my.toml\n  archsim init --stage all --rate 5000 --read-share 0.9 --working-set 50GB --cache 10GB --replicas 2 -o my.toml\n  archsim init --stage sharded > sharded.toml"
)]
pub struct InitArgs {
    /// The architectures: one stage of a growing platform, or all five side by side.
    #[arg(long, value_enum, default_value_t = Stage::Single)]
    pub stage: Stage,
    /// Offered load in operations per second (workload.rate). Default: the schema's, 10000.
    #[arg(long, value_name = "OPS_PER_S", value_parser = init::rate)]
    pub rate: Option<f64>,
    /// Share of reads (get); the rest are writes (put). Default: the schema's mix, get 0.9 and put 0.1.
    #[arg(long, value_name = "SHARE", value_parser = init::share)]
    pub read_share: Option<f64>,
    /// The data the workload touches, in bytes (e.g. 50GB; KB, MB, GB, TB are powers of 1000, KiB, MiB, GiB, TiB of 1024): workload.keys = working set / row size. Default: the schema's 100000 keys.
    #[arg(long, value_name = "SIZE", value_parser = init::bytes)]
    pub working_set: Option<u64>,
    /// App-tier cache memory in bytes (e.g. 10GB): cache.capacity = cache / row size entries. Default: no cache.
    #[arg(long, value_name = "SIZE", value_parser = init::bytes)]
    pub cache: Option<u64>,
    /// Copies besides the primary, 0 to 16: read replicas (single, sharded), Raft followers (colocated).
    #[arg(long, value_name = "N", value_parser = init::replicas)]
    pub replicas: Option<u32>,
    /// The size of one row (key and value), to turn bytes into keys and cache entries.
    #[arg(long, value_name = "SIZE", value_parser = init::row_size, default_value = "1KB")]
    pub row_size: u64,
    /// The scenario file to write (refused if it exists, unless --force); without it the scenario goes to standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the -o file if it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
}

/// `archsim init --stage`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Stage {
    Single,
    Polyglot,
    Sharded,
    Coordinator,
    Colocated,
    All,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this kind's keys, tables and fault roles.
    #[arg(value_name = "KIND", value_parser = kind)]
    pub kind: Option<crate::scenario::ArchKind>,
    /// Text for people, JSON for tools.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

/// A kind's name, from the registry.
fn kind(text: &str) -> Result<crate::scenario::ArchKind, String> {
    let kinds = &crate::arch::registry::KINDS;
    kinds
        .iter()
        .find(|k| k.name == text)
        .map(|k| k.kind)
        .ok_or_else(|| {
            let names: Vec<&str> = kinds.iter().map(|k| k.name).collect();
            format!(
                "no architecture kind \"{text}\"; the kinds are {}",
                names.join(", ")
            )
        })
}

#[derive(Debug, Args)]
pub struct FitArgs {
    /// Trace files: CSV with the header time,kind,key[,other][,session], or JSON lines (.jsonl).
    #[arg(required = true, value_name = "TRACE")]
    pub traces: Vec<PathBuf>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  archsim diagnose scenarios/diagnose/believes-distributed.toml"
)]
pub struct DiagnoseArgs {
    /// What the team observes of its system (TOML; see scenarios/diagnose/ and the README's "Diagnose" section for every field and where to read it).
    #[arg(value_name = "OBSERVED.toml")]
    pub observed: PathBuf,
    /// Directory the diagnosis folder is written under.
    #[arg(short, long, default_value = "results", value_name = "DIR")]
    pub output: PathBuf,
    /// The load the next steps are run at: today's peak × this, e.g. 2 or 2x.
    #[arg(long, default_value = "2", value_name = "FACTOR", value_parser = growth)]
    pub growth: f64,
    /// A latency budget the next steps' capacity is searched at, as `archsim capacity --slo` takes it, e.g. 'p99<=100ms' (repeatable). Default 'p99<=50ms' (a request's database budget: archsim capacity's 5 ms is below what a busy team's database serves in).
    #[arg(long = "slo", value_name = "PCT<=DURATION")]
    pub latency: Vec<crate::scenario::slo::LatencyBudget>,
    /// Diagnose only: no calibration, no what-ifs.
    #[arg(long)]
    pub no_advice: bool,
}

/// `--growth`: a factor from 1 to 100, written 2 or 2x.
fn growth(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let number = t.strip_suffix(['x', 'X', '×']).unwrap_or(t).trim();
    match number.parse::<f64>() {
        Ok(g) if (1.0..=100.0).contains(&g) => Ok(g),
        _ => Err(format!(
            "\"{text}\" is not a growth factor from 1 to 100 (e.g. 2 or 2x)"
        )),
    }
}

#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Scenario files (TOML).
    #[arg(required_unless_present = "ycsb", value_name = "SCENARIO.toml")]
    pub scenarios: Vec<PathBuf>,
    /// A YCSB workload file (workloads/workloada, or a .properties file): its recordcount, operationcount, proportions, requestdistribution and target replace the workload of the scenarios given, or run on all five architectures when none is given.
    #[arg(long, value_name = "FILE")]
    pub ycsb: Option<PathBuf>,
    /// Override a property of the --ycsb file, as YCSB's -p does, e.g. -p recordcount=100000 (repeatable, applied in order).
    #[arg(short = 'p', value_name = "KEY=VALUE", requires = "ycsb")]
    pub properties: Vec<String>,
    /// Override a scenario field, e.g. workload.rate=30000 or architecture.single.db.cores=16 (repeatable, applied in order).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub overrides: Vec<Override>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run only these architectures of the file, by name (comma-separated or repeated).
    #[arg(long, value_name = "ARCH", value_delimiter = ',')]
    pub only: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Folder that receives <scenario name>/ with the results.
    #[arg(short, long, value_name = "DIR", default_value = "results")]
    pub output: PathBuf,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Summary)]
    pub format: Format,
    /// Simulations run side by side, 1 to 1024 (default: one per core). Results do not depend on it.
    #[arg(short, long, value_name = "N", value_parser = jobs)]
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

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The scenario file (TOML).
    #[arg(required_unless_present = "ycsb", value_name = "SCENARIO.toml")]
    pub scenario: Option<PathBuf>,
    /// A YCSB workload file, as `archsim run --ycsb` takes it: the workload of the scenario given, or of all five architectures when none is. Its duration (operationcount at the rate) is fixed at the scenario's rate before the sweep, e.g. --param workload.rate=5000..20000:5000 runs each rate as long.
    #[arg(long, value_name = "FILE")]
    pub ycsb: Option<PathBuf>,
    /// Override a property of the --ycsb file, as YCSB's -p does (repeatable, applied in order).
    #[arg(short = 'p', value_name = "KEY=VALUE", requires = "ycsb")]
    pub properties: Vec<String>,
    /// A swept parameter: a range FROM..TO:STEP (workload.rate=1000..20000:1000) or a list (architecture.colocated.partition_by=group,key). Replaces the file's [sweep] values for that path (repeatable).
    #[arg(long = "param", value_name = "PATH=VALUES")]
    pub params: Vec<crate::sweep::Param>,
    /// Override a scenario field, e.g. workload.mix.put=0.2 (repeatable, applied before the sweep).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub overrides: Vec<Override>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run only these architectures of the file, by name (comma-separated or repeated).
    #[arg(long, value_name = "ARCH", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Folder that receives <scenario name>/ with the results.
    #[arg(short, long, value_name = "DIR", default_value = "results")]
    pub output: PathBuf,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Summary)]
    pub format: Format,
    /// Simulations run side by side, 1 to 1024 (default: one per core). Results do not depend on it.
    #[arg(short, long, value_name = "N", value_parser = jobs)]
    pub jobs: Option<usize>,
    /// Print nothing on stderr but errors (no progress bar).
    #[arg(short, long)]
    pub quiet: bool,
    /// Keep the points an earlier, interrupted sweep of the same scenario finished.
    #[arg(long)]
    pub resume: bool,
    /// Run only slice K of N of the points (point i belongs to slice i mod N + 1), or "auto" to read Slurm's or a Kubernetes Indexed Job's task index.
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<crate::sweep::Shard>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Budgets replace the scenario's [slo] budget on the same figure and add to the others.\n\nExamples:\n  archsim capacity scenarios/five-architectures.toml\n  archsim capacity scenarios/five-architectures.toml --slo 'p99<=5ms' --slo 'p999<=50ms' --max-failed 0.1%\n  archsim capacity scenarios/polyglot-sync.toml --freshness 'cache<=1s' --anomalies 'lost_update<=0.1/1k'"
)]
pub struct CapacityArgs {
    #[command(flatten)]
    pub scenario: OneScenarioArgs,
    /// A latency budget over all operations (failed ones at their whole wait): p50, p90, p99, p999 or max, e.g. 'p99<=5ms' (repeatable).
    #[arg(long = "slo", value_name = "PCT<=DURATION")]
    pub latency: Vec<crate::scenario::slo::LatencyBudget>,
    /// Most share of offered operations not answered ok, e.g. 0.1%.
    #[arg(long, value_name = "SHARE")]
    pub max_failed: Option<crate::scenario::slo::Share>,
    /// A freshness budget: the p99 visibility lag of the copies named so, e.g. 'cache<=1s' (repeatable).
    #[arg(long, value_name = "COPY<=DURATION")]
    pub freshness: Vec<crate::scenario::slo::FreshnessBudget>,
    /// An anomaly budget per 1,000 offered operations, e.g. 'lost_update<=0.1/1k' (repeatable).
    #[arg(long, value_name = "CLASS<=RATE/1k")]
    pub anomalies: Vec<crate::scenario::slo::AnomalyBudget>,
    /// Stop when the highest rate meeting the SLO is within this share of the lowest failing it, e.g. 2%.
    #[arg(long, value_name = "SHARE", default_value = "2%", value_parser = tolerance)]
    pub tolerance: crate::scenario::slo::Share,
    /// Folder that receives <scenario name>/ with the results (replacing an earlier one of that name).
    #[arg(short, long, value_name = "DIR", default_value = "results")]
    pub output: PathBuf,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = CapacityFormat::Table)]
    pub format: CapacityFormat,
    /// Simulations run side by side, 1 to 1024 (default: one per core). Results do not depend on it.
    #[arg(short, long, value_name = "N", value_parser = jobs)]
    pub jobs: Option<usize>,
    /// Print nothing on stderr but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

/// One scenario file and what may change in it.
#[derive(Debug, Args)]
pub struct OneScenarioArgs {
    /// The scenario file (TOML).
    #[arg(value_name = "SCENARIO.toml")]
    pub file: PathBuf,
    /// Override a scenario field, e.g. duration=20s (repeatable, applied in order).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub overrides: Vec<Override>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run only these architectures of the file, by name (comma-separated or repeated).
    #[arg(long, value_name = "ARCH", value_delimiter = ',')]
    pub only: Vec<String>,
}

impl OneScenarioArgs {
    /// The scenario with the overrides (the seed last) and `--only`.
    pub fn load(&self) -> anyhow::Result<crate::scenario::Scenario> {
        let mut overrides = self.overrides.clone();
        if let Some(seed) = self.seed {
            overrides.push(format!("seed={seed}").parse().map_err(anyhow::Error::msg)?);
        }
        only(
            crate::scenario::Scenario::load(&self.file, &overrides)?,
            &self.only,
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CapacityFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct ChartArgs {
    /// Results folders (written by archsim run, sweep or merge).
    #[arg(required = true, value_name = "RESULTS_DIR")]
    pub folders: Vec<PathBuf>,
    /// Print nothing on stderr but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Folders written by archsim sweep --shard (each with points/ and scenario.toml).
    #[arg(required = true, value_name = "DIR")]
    pub folders: Vec<PathBuf>,
    /// Folder that receives <scenario name>/ with the joined results.
    #[arg(short, long, value_name = "DIR", default_value = "results")]
    pub output: PathBuf,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Summary)]
    pub format: Format,
    /// Print nothing on stderr but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A short titled summary that fits 100 columns (the default).
    Summary,
    /// Every table (as results.md has them), in plain text.
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
    interrupt::install();
    let result = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Sweep(args) => sweep::sweep(&args),
        Command::Capacity(args) => capacity::capacity(&args),
        Command::Merge(args) => merge::merge(&args),
        Command::Chart(args) => chart::chart(&args),
        Command::Check(args) => check::check(&args),
        Command::List(args) => list::list(&args),
        Command::Fit(args) => fit::fit(&args),
        Command::Diagnose(args) => diagnose::diagnose(&args),
        Command::Completions { shell } => completions(shell),
        Command::Man => man(),
        Command::Init(args) => init::init(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let label = if use_color() {
                "\x1b[1;31mError:\x1b[0m"
            } else {
                "Error:"
            };
            note(&format!("{label} {}", elide_long_lines(&format!("{e:#}"))));
            ExitCode::FAILURE
        }
    }
}

/// The longest line of an error message: a value echoed from a hostile
/// input (a megabyte string) is shown by its two ends.
const MAX_LINE: usize = 1000;

/// `text` with every line longer than [`MAX_LINE`] characters cut in the
/// middle, keeping its beginning and its end (where the advice is).
fn elide_long_lines(text: &str) -> String {
    let half = MAX_LINE / 2;
    text.split('\n')
        .map(|line| {
            let n = line.chars().count();
            if n <= MAX_LINE {
                return line.to_string();
            }
            let head: String = line.chars().take(half).collect();
            let tail: String = line.chars().skip(n - half).collect();
            format!("{head} … ({} characters left out) … {tail}", n - MAX_LINE)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Writes `text` to stdout. A reader that went away (`| head`) ends the
/// output normally; any other failure (a full disk behind `> file`) is an
/// error, never a panic.
pub(crate) fn print_out(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(anyhow::anyhow!(
            "cannot write to standard output: {e}; redirect it somewhere with space"
        )),
        _ => Ok(()),
    }
}

/// Writes a line to stderr (progress, notes, errors). Stderr is the last
/// channel there is: when it cannot be written (closed, full) the line is
/// dropped and the exit code still tells the outcome.
pub(crate) fn note(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Takes the lock of `root/name` for this process (released on exit or
/// interruption), cleaning up after earlier writers that were killed.
fn lock(root: &std::path::Path, name: &str, quiet: bool) -> anyhow::Result<report::Lock> {
    use anyhow::Context as _;
    let lock = report::Lock::acquire(root, name)?;
    interrupt::remove_on_interrupt(lock.file().to_path_buf());
    for line in report::recover(root, name).with_context(|| {
        format!(
            "cannot clean up after an interrupted run in {}",
            root.display()
        )
    })? {
        if !quiet {
            note(&line);
        }
    }
    Ok(lock)
}

/// `archsim completions SHELL`: the shell's completion script on stdout.
fn completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    use clap::CommandFactory as _;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "archsim", &mut script);
    print_out(&String::from_utf8_lossy(&script))
}

/// `archsim man`: the manual page, in roff, on stdout.
fn man() -> anyhow::Result<()> {
    use clap::CommandFactory as _;
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    print_out(&String::from_utf8_lossy(&page))
}

/// Refuses a scenario whose runs would need more memory than the machine
/// has available, before anything is allocated (see `scenario::memory`).
fn check_memory(scenario: &crate::scenario::Scenario, jobs: Option<usize>) -> anyhow::Result<()> {
    use crate::scenario::memory;
    let threads = jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let Some(available) = memory::available() else {
        return Ok(());
    };
    let (need, keys) = memory::bytes_at_once_swept(scenario, threads);
    if need > available / 10 * 9 {
        anyhow::bail!(
            "scenario \"{}\" needs about {} of memory ({} keys, runs side by side: {}), and \
             this machine has {} available; lower workload.keys (or the entity counts), \
             drop caches or replicas, or run fewer simulations at once with -j 1",
            scenario.name,
            memory::human(need),
            keys,
            threads.min(
                scenario.architectures.len()
                    * scenario.replications as usize
                    * scenario.sweep.len()
            ),
            memory::human(available)
        );
    }
    Ok(())
}

/// `--tolerance`: 0.1 % to 50 % (finer than the runs' noise is no finer).
fn tolerance(text: &str) -> Result<crate::scenario::slo::Share, String> {
    let share: crate::scenario::slo::Share = text.parse()?;
    if (0.001..=0.5).contains(&share.0) {
        Ok(share)
    } else {
        Err(format!("\"{text}\" is not a tolerance from 0.1% to 50%"))
    }
}

/// `-j`: 1 to 1024 threads (more would only wait for each other).
fn jobs(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!("\"{text}\" is not a thread count from 1 to 1024")),
    }
}

/// Colour only on a terminal that can show it: never when `NO_COLOR` is
/// set or `TERM` is `dumb`.
fn use_color() -> bool {
    std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// A progress bar on stderr over `len` simulations, with an ETA; hidden
/// with `quiet` or when stderr is not a terminal (a pipe or a file gets no
/// progress).
fn progress(len: usize, quiet: bool) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    let bar = ProgressBar::new(len as u64);
    if quiet || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    } else {
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} {pos}/{len} simulations, {elapsed} elapsed, ETA {eta}",
            )
            .expect("a valid template"),
        );
    }
    bar
}

/// A counter of finished simulations on stderr, for work whose length is
/// found as it goes (a capacity search); hidden like [`progress`].
fn spinner(quiet: bool) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    let bar = ProgressBar::new_spinner();
    if quiet || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    } else {
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos} simulations, {elapsed} elapsed")
                .expect("a valid template"),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
    }
    bar
}

/// `scenario` with only the architectures named in `only` (all when
/// empty), its sweep checked again without the others.
fn only(
    scenario: crate::scenario::Scenario,
    only: &[String],
) -> anyhow::Result<crate::scenario::Scenario> {
    if only.is_empty() {
        return Ok(scenario);
    }
    let names: Vec<&str> = scenario
        .architectures
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    if let Some(unknown) = only.iter().find(|n| !names.contains(&n.as_str())) {
        anyhow::bail!(
            "--only {unknown}: scenario \"{}\" has no architecture named so; it has {}",
            scenario.name,
            names.join(", ")
        );
    }
    let mut kept = scenario;
    kept.architectures.retain(|a| only.contains(&a.name));
    kept.points().map_err(|e| {
        anyhow::anyhow!(
            "--only {}: {e}; the sweep needs an architecture left out",
            only.join(",")
        )
    })?;
    Ok(kept)
}

impl Format {
    /// The exporter that renders this format on stdout.
    fn exporter(self) -> &'static dyn crate::report::Exporter {
        use crate::report::{
            CsvExporter, JsonExporter, MarkdownExporter, SummaryExporter, TableExporter,
        };
        match self {
            Format::Summary => &SummaryExporter,
            Format::Table => &TableExporter,
            Format::Json => &JsonExporter,
            Format::Csv => &CsvExporter,
            Format::Markdown => &MarkdownExporter,
        }
    }
}

impl ScenarioArgs {
    /// Loads each scenario with the overrides (the seed last).
    pub fn load(&self) -> anyhow::Result<Vec<(PathBuf, crate::scenario::Scenario)>> {
        let mut overrides = self.overrides.clone();
        if let Some(seed) = self.seed {
            overrides.push(format!("seed={seed}").parse().map_err(anyhow::Error::msg)?);
        }
        if let Some(file) = &self.ycsb {
            return ycsb::load(file, &self.properties, &self.scenarios, &overrides);
        }
        self.scenarios
            .iter()
            .map(|path| {
                let scenario = crate::scenario::Scenario::load(path, &overrides)?;
                Ok((path.clone(), only(scenario, &self.only)?))
            })
            .collect()
    }
}

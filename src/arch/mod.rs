//! The architectures. Each file holds one architecture's request paths in
//! protocol order; this module maps a scenario's `kind` to its simulation.

pub mod colocated;
pub mod coordinator;
pub mod polyglot;
pub mod registry;
pub mod sharded;
pub mod single;

use std::collections::BTreeMap;

use crate::check::{DivergenceReport, LagSummary};
use crate::faults::Effects;
use crate::harness::{Architecture, Run};
use crate::metrics::{ComponentStats, CoordinationReport, Recorder, Window};
use crate::model::VersionedStore;
use crate::report::{Footprint, Latency, RunResult};
use crate::scenario::{ArchKind, ArchitectureConfig, Scenario};
use crate::sim::{self, RunOutput, SimTime, Streams};
use crate::workload::{OpKind, Workload};

/// What only the architecture knows about itself after a run; the harness
/// adds what it shares (latency, the oracle's findings, probes, fault rows).
pub trait Report {
    /// Per-component figures, keyed by component name (`db`, `cache`, …).
    fn components(&self) -> BTreeMap<String, ComponentStats>;
    /// Its systems and sync paths.
    fn footprint(&self) -> Footprint;
    /// The system of record, as the run left it.
    fn record(&self) -> &VersionedStore;
    /// How each copy (cache, replica, derived store) differs from the
    /// system of record, by copy name.
    fn divergence(&self) -> BTreeMap<String, DivergenceReport> {
        BTreeMap::new()
    }
    /// Each copy's visibility lag, by copy name.
    fn lag(&self) -> BTreeMap<String, LagSummary> {
        BTreeMap::new()
    }
    /// What coordination cost: messages, round trips, forced writes, locks.
    fn coordination(&self) -> CoordinationReport;
    /// What is still under way at `stopped_at`, the end of the measured run
    /// (or the last event, if earlier), added to `effects` (transactions
    /// still in doubt).
    fn effects_at_end(&self, _effects: &mut Effects, _stopped_at: SimTime) {}
}

/// The roles `config`'s architecture has, for faults to target.
pub fn roles(config: &ArchitectureConfig) -> crate::faults::RoleSet {
    (registry::entry(config.kind).roles)(config)
}

/// What a run records besides its figures.
#[derive(Clone, Copy, Debug, Default)]
pub struct Recording {
    /// Record the client history of the first this many operations.
    pub history_limit: Option<usize>,
    /// Keep batch means of the completions and report MSER-5's truncation
    /// point (a pilot run for `warmup = "auto"`).
    pub truncation: bool,
}

/// The warm-up MSER-5 picks for `arch` in `scenario`: a pilot run of
/// replication 0, without warm-up, over `duration`.
pub fn pilot_warmup(scenario: &Scenario, arch: &ArchitectureConfig) -> crate::sim::SimDuration {
    let mut pilot = scenario.clone();
    pilot.warmup = crate::scenario::Warmup::Fixed(crate::sim::SimDuration::ZERO);
    let recording = Recording {
        history_limit: None,
        truncation: true,
    };
    let run = simulate_recording(&pilot, arch, 0, recording);
    crate::sim::SimDuration((run.truncation_s.unwrap_or(0.0) * 1e9).round() as u64)
}

/// Runs one architecture of `scenario` for one replication.
pub fn simulate(scenario: &Scenario, arch: &ArchitectureConfig, replication: u32) -> RunResult {
    simulate_recording(scenario, arch, replication, Recording::default())
}

/// Runs one architecture of `scenario` for one replication, recording what
/// `recording` asks for.
pub fn simulate_recording(
    scenario: &Scenario,
    arch: &ArchitectureConfig,
    replication: u32,
    recording: Recording,
) -> RunResult {
    let streams = Streams::new(scenario.seed, replication);
    let window = Window::new(scenario.warmup.duration(), scenario.duration);
    let workload = Workload::new(&scenario.workload, &streams, window.end);
    run_kind(scenario, arch, replication, workload, recording)
}

/// Runs one architecture on a given operation stream (a scripted history in
/// tests); `scenario` supplies everything else.
pub fn simulate_workload(
    scenario: &Scenario,
    arch: &ArchitectureConfig,
    replication: u32,
    workload: Workload,
) -> RunResult {
    let recording = Recording {
        history_limit: Some(usize::MAX),
        truncation: false,
    };
    run_kind(scenario, arch, replication, workload, recording)
}

fn run_kind(
    scenario: &Scenario,
    arch: &ArchitectureConfig,
    replication: u32,
    workload: Workload,
    recording: Recording,
) -> RunResult {
    let streams = Streams::new(scenario.seed, replication);
    let window = Window::new(scenario.warmup.duration(), scenario.duration);
    // Streams are scoped by kind, so two variants of one kind draw the same
    // service times in the same order (common random numbers).
    let arch_streams = streams.scoped(arch.kind.name());
    // One monomorphized run loop per kind: no dynamic dispatch per event.
    macro_rules! run {
        ($system:expr) => {
            run_system(
                $system,
                scenario,
                arch,
                replication,
                workload,
                recording,
                window,
            )
        };
    }
    match arch.kind {
        ArchKind::Single => run!(single::Single::new(arch, scenario, &arch_streams, window)),
        ArchKind::Sharded => run!(sharded::Sharded::new(arch, scenario, &arch_streams, window)),
        ArchKind::Polyglot => {
            run!(polyglot::Polyglot::new(
                arch,
                scenario,
                &arch_streams,
                window
            ))
        }
        ArchKind::Coordinator => run!(coordinator::Coordinator::new(
            arch,
            scenario,
            &arch_streams,
            window
        )),
        ArchKind::Colocated => run!(colocated::Colocated::new(
            arch,
            scenario,
            &arch_streams,
            window
        )),
    }
}

fn run_system<A: Architecture + Report>(
    system: A,
    scenario: &Scenario,
    arch: &ArchitectureConfig,
    replication: u32,
    workload: Workload,
    recording: Recording,
    window: Window,
) -> RunResult {
    let mut system = Run::new(system, &scenario.faults);
    if let Some(limit) = recording.history_limit {
        system.arch.harness_mut().clients.record_history(limit);
    }
    let recorder = Recorder::new(window, scenario.workload.client_policy());
    let recorder = if recording.truncation {
        recorder.with_batches()
    } else {
        recorder
    };
    let output = sim::run(
        &mut system,
        workload,
        recorder,
        scenario.workload.client_policy().into(),
        &crate::faults::schedule(&scenario.faults),
    );
    let system = system.arch;
    let history = system.harness().clients.history(output.stopped_at);
    let mut result = collect(scenario, arch, replication, &system, output, window);
    result.history = history;
    result
}

fn collect<A: Architecture + Report>(
    scenario: &Scenario,
    arch: &ArchitectureConfig,
    replication: u32,
    system: &A,
    output: RunOutput<Recorder>,
    window: Window,
) -> RunResult {
    let recorder = &output.recorder;
    let mut latency = BTreeMap::new();
    latency.insert("all".to_string(), recorder.all().summary());
    for kind in scenario.workload.mix.kinds() {
        latency.insert(kind.name().to_string(), recorder.kind(kind).summary());
    }
    if !scenario.workload.probes.is_empty() {
        let probes = recorder.kind(OpKind::Probe).summary();
        latency.insert(OpKind::Probe.name().to_string(), probes);
    }
    let h = system.harness();
    let series = output.recorder.timeline().series(h.oracle.series());
    let mut effects = h.effects.clone();
    system.effects_at_end(&mut effects, output.stopped_at.min(window.end));
    let faults = crate::faults::report(
        &scenario.faults,
        &effects,
        &series,
        output.recorder.failed_by_start(),
        window.end,
    );
    RunResult {
        architecture: arch.name.clone(),
        kind: arch.kind,
        replication,
        seed: scenario.seed,
        point: BTreeMap::new(),
        throughput_per_s: crate::metrics::round6(recorder.throughput_per_s()),
        offered_ops_per_s: crate::metrics::round6(recorder.offered_ops_per_s()),
        goodput_ops_per_s: crate::metrics::round6(recorder.goodput_ops_per_s()),
        unchecked_share: crate::metrics::round6(recorder.unchecked_share()),
        latency: Latency(latency),
        components: system
            .components()
            .into_iter()
            .map(|(k, v)| (k, v.rounded()))
            .collect(),
        anomalies: h.anomalies(system.record(), system.divergence()),
        visibility: h.visibility(system.lag()),
        footprint: system.footprint(),
        coordination: system.coordination().per_offered(recorder.all().total()),
        series,
        faults,
        history: None,
        events: output.events,
        warmup_s: None,
        truncation_s: output
            .recorder
            .batches()
            .map(|b| b.truncation().as_nanos() as f64 / 1e9),
    }
}

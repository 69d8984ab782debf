//! The architectures. Each file holds one architecture's request paths in
//! protocol order, its `config.rs` what it reads of a scenario; the
//! registry maps a scenario's `kind` to them.

pub mod client;
pub mod colocated;
pub mod coordinator;
mod entry;
pub mod memory;
pub mod polyglot;
pub mod registry;
mod result;
pub mod sharded;
pub mod single;
mod tables;

use std::collections::BTreeMap;

use crate::check::{AnomalyReport, VisibilityReport};
use crate::faults::Fault;
use crate::metrics::{ComponentStats, CoordinationReport, Recorder, Window};
use crate::model::network::NetworkConfig;
use crate::sim::{self, OpId, RunOutput, SimDuration, Streams};
use crate::workload::{OpKind, Operation, Workload, WorkloadConfig};

pub use colocated::config::{Compute, PartitionsConfig, RaftReads};
pub use coordinator::config::CoordinatorConfig;
pub use entry::{ArchitectureConfig, COMMON_DOCS, all_keys as entry_keys};
pub use polyglot::config::{StoresConfig, Sync};
pub use registry::{ArchKind, Config};
pub use result::{Footprint, Latency, RunResult, SyncPath};
pub use sharded::config::{Delays, DocstoreConfig};
pub use tables::{
    AnalyticsOn, CacheConfig, CrossShard, DbConfig, Invalidate, Placement, ReadRouting,
    ReplicasConfig, ShardsConfig,
};

/// What a run of an architecture is built against besides its own config:
/// the scenario's seed, its measured window and the sections below `arch`.
#[derive(Clone, Copy, Debug)]
pub struct Setting<'a> {
    pub seed: u64,
    /// Simulated time before measurement starts.
    pub warmup: SimDuration,
    /// Measured simulated time, after the warm-up.
    pub duration: SimDuration,
    pub workload: &'a WorkloadConfig,
    pub network: &'a NetworkConfig,
    pub faults: &'a [Fault],
}

impl Setting<'_> {
    fn window(&self) -> Window {
        Window::new(self.warmup, self.duration)
    }
}

/// What an architecture sees while handling an arrival, an event or a
/// fault: the engine's context over the workload's operations and the
/// run's recorder.
pub type Context<'a, E> = sim::Context<'a, E, Recorder>;

/// One architecture's request paths, driven by the engine.
pub trait Architecture {
    /// The architecture's own events: small, `Copy`, usually carrying an `OpId`.
    type Event: Copy;

    /// A client issues `op` at `ctx.now()`.
    fn on_arrival(&mut self, op: OpId, ctx: &mut Context<'_, Self::Event>);

    /// One of the architecture's events fires.
    fn on_event(&mut self, event: Self::Event, ctx: &mut Context<'_, Self::Event>);

    /// Fault `index` of the scenario begins (`begins`) or ends now. The
    /// scenario has checked that the architecture has the fault's target and
    /// that the target can take the fault.
    fn on_fault(
        &mut self,
        _index: usize,
        _fault: &Fault,
        _begins: bool,
        _ctx: &mut Context<'_, Self::Event>,
    ) {
    }

    /// A hint, given shortly before `op` arrives: load what its request path
    /// will touch (per-key state) into the CPU cache. Changes no state and
    /// no result; a large key space is memory-bound without it.
    #[inline]
    fn prefetch(&self, _op: &Operation) {}
}

/// An architecture under the scenario's faults, as the engine drives it:
/// the engine delivers fault edges by index, this hands the architecture
/// the fault itself.
struct UnderFaults<'f, A> {
    arch: A,
    faults: &'f [Fault],
}

impl<A: Architecture> sim::System for UnderFaults<'_, A> {
    type Event = A::Event;
    type Outcomes = Recorder;

    #[inline]
    fn on_arrival(&mut self, op: OpId, ctx: &mut Context<'_, A::Event>) {
        self.arch.on_arrival(op, ctx);
    }

    #[inline]
    fn on_event(&mut self, event: A::Event, ctx: &mut Context<'_, A::Event>) {
        self.arch.on_event(event, ctx);
    }

    fn on_edge(&mut self, index: usize, begins: bool, ctx: &mut Context<'_, A::Event>) {
        self.arch.on_fault(index, &self.faults[index], begins, ctx);
    }

    #[inline]
    fn prefetch(&self, op: &Operation) {
        self.arch.prefetch(op);
    }
}

/// What every architecture reports about itself after a run.
pub trait Report {
    /// Its client side (history recording).
    fn clients(&mut self) -> &mut client::Clients;
    /// Per-component figures, keyed by component name (`db`, `cache`, …).
    fn components(&self) -> BTreeMap<String, ComponentStats>;
    /// Anomalies found by the architecture's oracle.
    fn anomalies(&self) -> AnomalyReport;
    /// Read and transaction anomalies per time-series window.
    fn anomalies_over_time(&self) -> Vec<u64>;
    /// Probe visibility and copies' visibility lag.
    fn visibility(&self) -> VisibilityReport;
    /// Its systems and sync paths.
    fn footprint(&self) -> Footprint;
    /// What coordination cost: messages, round trips, forced writes, locks.
    fn coordination(&self) -> CoordinationReport {
        CoordinationReport::default()
    }
    /// What each of the scenario's faults did here; what is still under
    /// way counts up to `stopped_at`, the end of the measured run (or the
    /// last event, if earlier).
    fn fault_effects(&self, stopped_at: crate::sim::SimTime) -> crate::faults::Effects;
}

/// The roles `config`'s architecture has, for faults to target.
pub fn roles(config: &ArchitectureConfig) -> crate::faults::RoleSet {
    config.roles()
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

/// The warm-up MSER-5 picks for `arch` in `setting`: a pilot run of
/// replication 0, without warm-up, over `duration`.
pub fn pilot_warmup(setting: &Setting<'_>, arch: &ArchitectureConfig) -> SimDuration {
    let pilot = Setting {
        warmup: SimDuration::ZERO,
        ..*setting
    };
    let recording = Recording {
        history_limit: None,
        truncation: true,
    };
    let run = simulate_recording(&pilot, arch, 0, recording);
    SimDuration((run.truncation_s.unwrap_or(0.0) * 1e9).round() as u64)
}

/// Runs one architecture for one replication.
pub fn simulate(setting: &Setting<'_>, arch: &ArchitectureConfig, replication: u32) -> RunResult {
    simulate_recording(setting, arch, replication, Recording::default())
}

/// Runs one architecture for one replication, recording what `recording`
/// asks for.
pub fn simulate_recording(
    setting: &Setting<'_>,
    arch: &ArchitectureConfig,
    replication: u32,
    recording: Recording,
) -> RunResult {
    let streams = Streams::new(setting.seed, replication);
    let workload = Workload::new(setting.workload, &streams, setting.window().end);
    run_kind(setting, arch, replication, workload, recording)
}

/// Runs one architecture on a given operation stream (a scripted history in
/// tests); `setting` supplies everything else.
pub fn simulate_workload(
    setting: &Setting<'_>,
    arch: &ArchitectureConfig,
    replication: u32,
    workload: Workload,
) -> RunResult {
    let recording = Recording {
        history_limit: Some(usize::MAX),
        truncation: false,
    };
    run_kind(setting, arch, replication, workload, recording)
}

fn run_kind(
    setting: &Setting<'_>,
    arch: &ArchitectureConfig,
    replication: u32,
    workload: Workload,
    recording: Recording,
) -> RunResult {
    let streams = Streams::new(setting.seed, replication);
    // Streams are scoped by kind, so two variants of one kind draw the same
    // service times in the same order (common random numbers).
    let streams = streams.scoped(arch.kind().name());
    arch.config.run(Launch {
        setting,
        arch,
        replication,
        workload,
        recording,
        streams,
    })
}

/// One run of one architecture, handed to its kind's config to build the
/// architecture: everything the constructor needs, and the run loop.
/// One monomorphized run loop per kind: no dynamic dispatch per event.
pub struct Launch<'a> {
    setting: &'a Setting<'a>,
    arch: &'a ArchitectureConfig,
    replication: u32,
    workload: Workload,
    recording: Recording,
    streams: Streams,
}

impl<'a> Launch<'a> {
    pub fn setting(&self) -> &'a Setting<'a> {
        self.setting
    }

    /// The architecture's random streams (scoped by its kind).
    pub fn streams(&self) -> &Streams {
        &self.streams
    }

    pub fn window(&self) -> Window {
        self.setting.window()
    }

    /// Runs `system`, the architecture built from this launch.
    pub fn run<A: Architecture + Report>(self, system: A) -> RunResult {
        run_system(
            system,
            self.setting,
            self.arch,
            self.replication,
            self.workload,
            self.recording,
        )
    }
}

fn run_system<A: Architecture + Report>(
    system: A,
    setting: &Setting<'_>,
    arch: &ArchitectureConfig,
    replication: u32,
    workload: Workload,
    recording: Recording,
) -> RunResult {
    let window = setting.window();
    let mut system = UnderFaults {
        arch: system,
        faults: setting.faults,
    };
    if let Some(limit) = recording.history_limit {
        system.arch.clients().record_history(limit);
    }
    let recorder = if recording.truncation {
        Recorder::new(window).with_batches()
    } else {
        Recorder::new(window)
    };
    let output = sim::run(
        &mut system,
        workload,
        recorder,
        setting.workload.client_policy().into(),
        &crate::faults::schedule(setting.faults),
    );
    let mut system = system.arch;
    let history = system.clients().history(output.stopped_at);
    let mut result = collect(setting, arch, replication, &system, output, window);
    result.history = history;
    result
}

fn collect<A: Architecture + Report>(
    setting: &Setting<'_>,
    arch: &ArchitectureConfig,
    replication: u32,
    system: &A,
    output: RunOutput<Recorder>,
    window: Window,
) -> RunResult {
    let recorder = &output.recorder;
    let mut latency = BTreeMap::new();
    latency.insert("all".to_string(), recorder.all().summary());
    for kind in setting.workload.mix.kinds() {
        latency.insert(kind.name().to_string(), recorder.kind(kind).summary());
    }
    if !setting.workload.probes.is_empty() {
        let probes = recorder.kind(OpKind::Probe).summary();
        latency.insert(OpKind::Probe.name().to_string(), probes);
    }
    let series = output
        .recorder
        .timeline()
        .series(&system.anomalies_over_time());
    let faults = crate::faults::report(
        setting.faults,
        &system.fault_effects(output.stopped_at.min(window.end)),
        &series,
        output.recorder.failed_by_start(),
        window.end,
    );
    RunResult {
        architecture: arch.name.clone(),
        kind: arch.kind(),
        replication,
        seed: setting.seed,
        point: BTreeMap::new(),
        throughput_per_s: crate::metrics::round6(recorder.throughput_per_s()),
        latency: Latency(latency),
        components: system
            .components()
            .into_iter()
            .map(|(k, v)| (k, v.rounded()))
            .collect(),
        anomalies: system.anomalies(),
        visibility: system.visibility(),
        footprint: system.footprint(),
        coordination: system.coordination(),
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

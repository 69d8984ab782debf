//! The architectures. Each file holds one architecture's request paths in
//! protocol order, its `config.rs` what it reads of a scenario; the
//! registry maps a scenario's `kind` to them.

pub mod cache;
pub mod colocated;
pub mod coordinator;
mod entry;
pub mod memory;
pub mod polyglot;
pub mod price;
pub mod registry;
mod result;
pub mod sharded;
pub mod single;
pub mod stores;
mod tables;

use std::collections::BTreeMap;

use crate::check::{DivergenceReport, LagSummary};
use crate::faults::{Effects, Fault};
use crate::harness::{Architecture, Run};
use crate::metrics::{ComponentStats, CoordinationReport, Recorder, Trend, TrendKind, Window};
use crate::model::VersionedStore;
use crate::model::network::NetworkConfig;
use crate::sim::{self, RunOutput, SimDuration, SimTime, Streams};
use crate::workload::{OpKind, Workload, WorkloadConfig};

pub use colocated::config::{Compute, PartitionsConfig, RaftReads};
pub use coordinator::config::CoordinatorConfig;
pub use entry::{ArchitectureConfig, COMMON_DOCS, all_keys as entry_keys};
pub use registry::{ArchKind, Config};
pub use result::{
    Busiest, Footprint, Indicator, IndicatorKind, Latency, RunResult, Saturation, SyncPath,
};
pub use sharded::config::{Delays, DocstoreConfig};
pub use stores::config::{StoresConfig, Sync};
pub use tables::{
    AnalyticsOn, AnalyticsScheduling, CacheConfig, CacheStart, CrossShard, DbConfig,
    ENTRY_OVERHEAD, Fencing, Invalidate, Placement, ReadRouting, ReplicasConfig, ShardsConfig,
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
    /// Stop a run whose backlog grows for a sustained window, with that
    /// verdict (`RunResult::saturated`), instead of simulating its queue to
    /// the end and draining it (see `sim::saturation`). Default true.
    pub stop_saturated: bool,
}

impl Setting<'_> {
    fn window(&self) -> Window {
        Window::new(self.warmup, self.duration)
    }

    /// The saturation rule of its runs, if they stop when saturated.
    fn saturation(&self) -> Option<sim::SaturationRule> {
        self.stop_saturated
            .then(|| sim::SaturationRule::for_duration(self.duration))
    }
}

/// What only the architecture knows about itself after a run; the harness
/// adds what it shares (latency, the oracle's findings, probes, fault rows,
/// the coordination cost it counted).
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
    /// What settles over a run, by copy name: each cache's hit ratio and
    /// each copy's visibility lag, per window over the whole run.
    fn trends(&self) -> Vec<(String, TrendKind, Trend)> {
        Vec::new()
    }
    /// Each copy's visibility lag, by copy name.
    fn lag(&self) -> BTreeMap<String, LagSummary> {
        BTreeMap::new()
    }
    /// What is still under way at `stopped_at`, the end of the measured run
    /// (or the last event, if earlier), added to `effects` (transactions
    /// still in doubt).
    fn effects_at_end(&self, _effects: &mut Effects, _stopped_at: SimTime) {}
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
/// replication 0, without warm-up, over `duration`; the latest of the
/// truncation points of its completions' latencies, of each cache's hit
/// ratio and of each copy's visibility lag, per window.
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
    let mut system = Run::new(system, setting.faults, arch.roles().pipelines());
    if let Some(limit) = recording.history_limit {
        system.arch.harness_mut().clients.record_history(limit);
    }
    let recorder = Recorder::new(window, setting.workload.client_policy());
    let recorder = if recording.truncation {
        recorder.with_batches()
    } else {
        recorder
    };
    let output = sim::run(
        &mut system,
        workload,
        recorder,
        setting.workload.client_policy().into(),
        &crate::faults::schedule(setting.faults),
        setting.saturation(),
    );
    let system = system.arch;
    let history = system.harness().clients.history(output.stopped_at);
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
    let h = system.harness();
    let components: BTreeMap<String, ComponentStats> = system
        .components()
        .into_iter()
        .map(|(k, v)| (k, v.rounded()))
        .collect();
    let series = output.recorder.timeline().series(h.oracle.series());
    let trends = system.trends();
    let mut notes = cache::ttl_notes(setting, arch);
    notes.extend(cache::unsettled(&trends, window));
    let mut effects = h.effects.clone();
    system.effects_at_end(&mut effects, output.stopped_at.min(window.end));
    let faults = crate::faults::report(
        setting.faults,
        &effects,
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
        offered_ops_per_s: crate::metrics::round6(recorder.offered_ops_per_s()),
        goodput_ops_per_s: crate::metrics::round6(recorder.goodput_ops_per_s()),
        unchecked_share: crate::metrics::round6(recorder.unchecked_share()),
        latency: Latency(latency),
        busiest: Busiest::of(&components),
        saturated: output
            .saturated
            .map(|v| Saturation::new(&v, output.unserved)),
        components,
        anomalies: h.anomalies(system.record(), system.divergence()),
        business: h.clients.business(),
        visibility: h.visibility(system.lag()),
        footprint: system.footprint(),
        coordination: CoordinationReport {
            spanning_premium_ms: recorder
                .spanning_premium_ms(h.clients.spanning())
                .map(crate::metrics::round6),
            ..h.coordination(recorder.all().total())
        },
        series,
        faults,
        history: None,
        indicators: Vec::new(),
        events: output.events,
        warmup_s: None,
        notes,
        truncation_s: output.recorder.batches().map(|b| {
            // The latest of the latencies' truncation and every hit ratio's
            // and lag's.
            let latest = trends
                .iter()
                .map(|(_, _, t)| t.truncation())
                .fold(b.truncation(), SimTime::max);
            latest.as_nanos() as f64 / 1e9
        }),
    }
}

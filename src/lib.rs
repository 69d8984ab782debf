//! archsim: a discrete-event simulator of five data architectures — a single
//! database with a cache, specialized persistence, a sharded cluster, a
//! transaction coordinator and a colocated consensus database — run on one
//! operation stream so their latency, consistency anomalies and coordination
//! cost can be compared.
//!
//! Layout: [`sim`] is the generic engine; [`dist`] the distributions;
//! [`scenario`] the TOML schema; [`workload`] the operation stream; [`model`]
//! reusable parts; [`harness`] what every architecture shares (clients,
//! oracle, probes, messages, fault delivery); [`arch`] the architectures;
//! [`metrics`] measurements; [`report`] results files; [`runner`] runs a
//! scenario; [`cli`] the command line.

pub mod arch;
pub mod capacity;
pub mod check;
pub mod cli;
pub mod diagnose;
pub mod dist;
pub mod faults;
pub mod harness;
pub mod metrics;
pub mod model;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod sim;
pub mod sweep;
pub mod workload;

/// Version written into every results file.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

//! Visibility: probe reads at fixed delays after writes give the
//! t-visibility curve of probabilistically bounded staleness (Bailis et al.,
//! VLDB 2012) — for each delay, the share of probes that saw the write or a
//! newer version — and each copy's visibility lag (apply − commit).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::metrics::{LatencyRecorder, round6};
use crate::sim::SimDuration;

/// Probe outcomes per delay.
pub(super) struct Probes {
    delays: Vec<SimDuration>,
    sent: Vec<u64>,
    saw: Vec<u64>,
}

impl Probes {
    pub fn new(delays: &[SimDuration]) -> Probes {
        Probes {
            delays: delays.to_vec(),
            sent: vec![0; delays.len()],
            saw: vec![0; delays.len()],
        }
    }

    pub fn record(&mut self, delay: usize, visible: bool) {
        self.sent[delay] += 1;
        self.saw[delay] += u64::from(visible);
    }

    pub fn report(&self) -> Vec<ProbePoint> {
        self.delays
            .iter()
            .zip(self.sent.iter().zip(&self.saw))
            .map(|(d, (sent, saw))| ProbePoint {
                after_ms: round6(d.as_millis_f64()),
                probes: *sent,
                consistent: if *sent == 0 {
                    0.0
                } else {
                    round6(*saw as f64 / *sent as f64)
                },
            })
            .collect()
    }
}

/// The `visibility` object of results.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VisibilityReport {
    /// The t-visibility curve: per probe delay, the share of probe reads
    /// that saw the write (or newer).
    pub probes: Vec<ProbePoint>,
    /// Per copy, apply − commit of the writes committed in the window.
    pub lag_ms: BTreeMap<String, LagSummary>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProbePoint {
    pub after_ms: f64,
    pub probes: u64,
    pub consistent: f64,
}

/// One copy's visibility lag (apply − commit) over the writes committed in
/// the window that reached it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LagSummary {
    /// Writes the figures are over: committed in the window and applied at
    /// the copy. 0: none delivered (a connector down, a copy cut off) —
    /// the percentiles are then 0 and mean nothing; tables print "none
    /// delivered".
    #[serde(default)]
    pub writes: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
}

impl LagSummary {
    pub fn of(lag: &LatencyRecorder) -> LagSummary {
        let s = lag.summary();
        LagSummary {
            writes: lag.count(),
            p50_ms: s.p50_ms,
            p99_ms: s.p99_ms,
            p999_ms: s.p999_ms,
        }
    }

    /// Whether no write reached the copy (its figures mean nothing).
    pub fn none_delivered(&self) -> bool {
        self.writes == 0
    }
}

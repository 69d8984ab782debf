//! Open-loop arrival instants: a Poisson process whose rate follows the
//! load profile (non-homogeneous Poisson by thinning, Lewis & Shedler 1979).

use rand::RngExt;
use rand_distr::{Distribution, Exp1};

use crate::sim::time::nearest_nanos;
use crate::sim::{SimRng, SimTime};
use crate::workload::Phase;

/// Piecewise-linear rate profile in operations per second.
#[derive(Clone, Debug)]
struct Profile {
    base: f64,
    /// (start ns, end ns, rate before, rate after) per phase.
    steps: Vec<(f64, f64, f64, f64)>,
}

impl Profile {
    fn rate_at(&self, t_ns: f64) -> f64 {
        let mut rate = self.base;
        for &(start, end, from, to) in &self.steps {
            if t_ns < start {
                break;
            }
            rate = if t_ns >= end {
                to
            } else {
                from + (to - from) * (t_ns - start) / (end - start)
            };
        }
        rate
    }
}

/// Arrival instants in `[0, end)`.
pub struct Arrivals {
    profile: Profile,
    /// Upper bound on the rate, per nanosecond, for thinning.
    max_per_ns: f64,
    /// Mean gap between candidate arrivals at that rate, in ns.
    mean_gap_ns: f64,
    homogeneous: bool,
    rng: SimRng,
    /// Exact (fractional) time of the next arrival, in ns.
    t_ns: f64,
    next: Option<SimTime>,
    end: SimTime,
}

impl Arrivals {
    pub fn new(rate: f64, phases: &[Phase], rng: SimRng, end: SimTime) -> Arrivals {
        let mut steps = Vec::with_capacity(phases.len());
        let mut before = rate;
        for p in phases {
            let start = p.at.as_nanos() as f64;
            steps.push((start, start + p.ramp.as_nanos() as f64, before, p.rate));
            before = p.rate;
        }
        let max = steps.iter().fold(rate, |m, s| m.max(s.3));
        let mut arrivals = Arrivals {
            homogeneous: steps.iter().all(|s| s.3 == rate),
            profile: Profile { base: rate, steps },
            max_per_ns: max / 1e9,
            mean_gap_ns: 1e9 / max,
            rng,
            t_ns: 0.0,
            next: None,
            end,
        };
        arrivals.advance();
        arrivals
    }

    fn advance(&mut self) {
        self.next = None;
        if self.max_per_ns <= 0.0 {
            return;
        }
        loop {
            let gap: f64 = Exp1.sample(&mut self.rng);
            self.t_ns += gap * self.mean_gap_ns;
            let at = SimTime(nearest_nanos(self.t_ns));
            if at >= self.end {
                return;
            }
            if self.homogeneous
                || self.rng.random::<f64>() * self.max_per_ns * 1e9
                    < self.profile.rate_at(self.t_ns)
            {
                self.next = Some(at);
                return;
            }
        }
    }

    #[inline]
    pub fn peek(&self) -> Option<SimTime> {
        self.next
    }

    #[inline]
    pub fn pop(&mut self) -> Option<SimTime> {
        let at = self.next?;
        self.advance();
        Some(at)
    }
}

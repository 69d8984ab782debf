//! Gunther's Universal Scalability Law on a server's cores: n cores busy
//! at once do the work of only C(n) = n / (1 + σ(n − 1) + κn(n − 1)) free
//! ones. σ (contention) is the share of the work that serializes — a log
//! insertion lock, a hot buffer partition — and caps C(n) at 1/σ as Amdahl's
//! law does; κ (coherency) is the cost of keeping the cores' views of
//! shared state in step (cache lines bouncing between sockets, lock
//! hand-offs), paid by every pair of busy cores, so past n* = √((1 − σ)/κ)
//! more cores make the server slower (N. J. Gunther, *Guerrilla Capacity
//! Planning*, Springer 2007, ch. 4–6).
//!
//! It enters the model as a stretch of each job's service: a job that
//! starts while n of the station's cores are busy (itself included) takes
//! n / C(n) = 1 + σ(n − 1) + κn(n − 1) times its service time. With every
//! core busy the station then completes C(c) jobs' worth of work per unit
//! of one core's time, the USL's throughput; with σ = κ = 0 the stretch is
//! 1 and the station is the plain M/G/c service centre, to the nanosecond.

use serde::{Deserialize, Serialize};

use crate::sim::SimDuration;

/// The Universal Scalability Law's two coefficients.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scalability {
    /// σ: the share of a job's work that serializes across cores.
    pub contention: f64,
    /// κ: the cost of coherency between every pair of busy cores.
    pub coherency: f64,
}

impl Scalability {
    /// No contention and no coherency cost: cores scale linearly.
    pub const LINEAR: Scalability = Scalability {
        contention: 0.0,
        coherency: 0.0,
    };

    /// Whether `n` busy cores do the work of `n` free ones for every `n`.
    pub fn is_linear(&self) -> bool {
        self.contention == 0.0 && self.coherency == 0.0
    }

    /// C(n): what `n` busy cores do, in cores' worth of work.
    pub fn capacity(&self, n: u32) -> f64 {
        f64::from(n) / self.stretch(n)
    }

    /// n / C(n): how much longer a job takes when `n` cores are busy.
    pub fn stretch(&self, n: u32) -> f64 {
        let n = f64::from(n);
        1.0 + self.contention * (n - 1.0) + self.coherency * n * (n - 1.0)
    }

    /// The busy-core count that gets the most work done, √((1 − σ)/κ),
    /// rounded to the better of its two neighbouring whole numbers; `None`
    /// without coherency cost (then more cores never hurt).
    pub fn peak(&self) -> Option<u32> {
        (self.coherency > 0.0).then(|| {
            let n = ((1.0 - self.contention) / self.coherency).sqrt().max(1.0);
            let (lo, hi) = (n.floor() as u32, n.ceil() as u32);
            if self.capacity(hi) > self.capacity(lo) {
                hi
            } else {
                lo
            }
        })
    }
}

/// A station's stretch of service by busy cores, tabulated once.
#[derive(Clone, Debug)]
pub(super) struct Stretch {
    /// `by_busy[n]`: the stretch with `n` cores busy (index 0 unused).
    by_busy: Vec<f64>,
}

impl Stretch {
    /// The table for `servers` cores, or `None` when it is 1 throughout (a
    /// linear law, or one core).
    pub(super) fn of(law: Scalability, servers: u32) -> Option<Stretch> {
        (!law.is_linear() && servers > 1).then(|| Stretch {
            by_busy: (0..=servers).map(|n| law.stretch(n.max(1))).collect(),
        })
    }

    /// `service` stretched for `busy` busy cores.
    #[inline]
    pub(super) fn apply(&self, service: SimDuration, busy: u32) -> SimDuration {
        let s = self.by_busy[busy as usize];
        SimDuration((service.as_nanos() as f64 * s).round() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_follows_the_law() {
        let law = Scalability {
            contention: 0.05,
            coherency: 0.002,
        };
        assert_eq!(law.capacity(1), 1.0);
        // 16 / (1 + 0.75 + 0.48)
        assert!((law.capacity(16) - 16.0 / 2.23).abs() < 1e-12);
        // n* = √(0.95 / 0.002) ≈ 21.8; C(22) > C(21).
        assert_eq!(law.peak(), Some(22));
        assert!(
            law.capacity(64) < law.capacity(22),
            "retrograde past the peak"
        );
        assert_eq!(Scalability::LINEAR.peak(), None);
        assert_eq!(Scalability::LINEAR.capacity(64), 64.0);
    }

    #[test]
    fn linear_or_single_core_needs_no_table() {
        assert!(Stretch::of(Scalability::LINEAR, 64).is_none());
        let law = Scalability {
            contention: 0.1,
            coherency: 0.0,
        };
        assert!(Stretch::of(law, 1).is_none());
        let t = Stretch::of(law, 4).unwrap();
        assert_eq!(t.apply(SimDuration(1000), 1), SimDuration(1000));
        assert_eq!(t.apply(SimDuration(1000), 4), SimDuration(1300));
    }
}

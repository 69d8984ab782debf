//! Saturation: telling a run that cannot keep up from one that is merely
//! busy, so that it can be stopped instead of simulating an ever-growing
//! queue (whose events fill the heap and whose drain takes up to an hour of
//! simulated time).
//!
//! The backlog is the number of attempts the system holds: issued and not
//! yet answered, abandoned ones included (a client that gave up does not
//! take its request back from the server's queue). In a stable system its
//! time average is L = λW (Little's law) and it returns to it; when the
//! offered load exceeds what the system completes it grows by the
//! difference, (λ − μ) per second, for as long as the load lasts.
//!
//! The rule, checked at fixed instants of simulated time (so it is
//! deterministic): the run is cut into checkpoint intervals of a twentieth
//! of the measured duration, counted from time 0. An interval *grows* when
//! the backlog rose across it by at least a tenth of the operations that
//! arrived in it, at least [`SaturationRule::min_arrivals`] arrived, and no
//! fault was on at any time in it. Four growing intervals in a row — a
//! fifth of the measured duration — declare the run saturated.
//!
//! Why these thresholds:
//! - *A tenth of the arrivals*: a system completing μ while offered λ
//!   keeps 1 − μ/λ of them, so the rule sees overloads of about 11 % and
//!   more (λ ≥ 1.11 μ); milder ones run to the end as before, at a cost
//!   close to a normal run's.
//! - *At least 2,000 arrivals per interval*: a queue at the edge of
//!   stability (ρ → 1) is a driftless random walk whose change over an
//!   interval of `a` arrivals has a standard deviation of about √(2a(1+c²))
//!   (c: the service times' coefficient of variation). A rise of a/10 is
//!   then at least 2.2 standard deviations for c ≤ 1.7 (a = 2,000), about
//!   one chance in 80 per interval, and four in a row (one in 4 × 10^7)
//!   do not happen by chance; below ρ = 1 the drift is downwards and the
//!   odds smaller still. Runs with fewer arrivals per interval are cheap
//!   and are never stopped.
//! - *A fifth of the measured duration, in four steps*: a transient (an
//!   analytics query holding the cores, a warm-up filling the system, a
//!   burst) must outlast a fifth of the run and raise the backlog in each
//!   of its steps; a steady state never does.
//! - *No fault on*: an outage builds a backlog by design and the system
//!   recovers from it after the fault; growth while a fault is on is the
//!   fault's, not saturation.
//!
//! M/M/1 at ρ = 0.95 (mean backlog 19) is never stopped: four rises of
//! 10 % of the arrivals of a twentieth of its run each would need a
//! backlog of thousands.

use super::time::{SimDuration, SimTime};

/// When a run counts as saturated (see the module's documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaturationRule {
    /// Length of one checkpoint interval.
    pub interval: SimDuration,
    /// Growing intervals in a row that declare saturation. Default 4.
    pub intervals: u32,
    /// Fewest arrivals an interval needs to be judged. Default 2,000.
    pub min_arrivals: u64,
    /// An interval grows when the backlog rose across it by at least
    /// 1/`growth_divisor` of its arrivals. Default 10.
    pub growth_divisor: u64,
}

impl SaturationRule {
    /// The rule for a run measured over `duration`: intervals of a
    /// twentieth of it.
    pub fn for_duration(duration: SimDuration) -> SaturationRule {
        SaturationRule {
            interval: SimDuration((duration.as_nanos() / 20).max(1)),
            intervals: 4,
            min_arrivals: 2_000,
            growth_divisor: 10,
        }
    }
}

/// Why a run was stopped: its backlog grew for a sustained window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The checkpoint at which the rule fired: the run stopped here.
    pub at: SimTime,
    /// The checkpoint the growth was first seen from.
    pub since: SimTime,
    /// Attempts held at `since` and at `at`.
    pub backlog_since: u64,
    pub backlog: u64,
    /// Operations that arrived between `since` and `at`.
    pub arrivals: u64,
}

/// Applies a [`SaturationRule`] as the run goes.
#[derive(Clone, Debug)]
pub(super) struct Watch {
    rule: SaturationRule,
    /// The next checkpoint.
    pub(super) next: SimTime,
    /// The last checkpoint (time 0 before the first) and the backlog there.
    last_at: SimTime,
    last: u64,
    /// Arrivals in the run up to the last checkpoint.
    arrivals_then: u64,
    /// Whether a fault was on at some time since the last checkpoint.
    faulted: bool,
    /// Growing intervals in a row, and where they began: (checkpoint,
    /// backlog there), and the arrivals since.
    streak: u32,
    from: (SimTime, u64),
    streak_arrivals: u64,
}

impl Watch {
    pub(super) fn new(rule: SaturationRule) -> Watch {
        Watch {
            rule,
            next: SimTime::ZERO + rule.interval,
            last_at: SimTime::ZERO,
            last: 0,
            arrivals_then: 0,
            faulted: false,
            streak: 0,
            from: (SimTime::ZERO, 0),
            streak_arrivals: 0,
        }
    }

    /// A fault edge was delivered, or one is still on.
    #[inline]
    pub(super) fn fault(&mut self) {
        self.faulted = true;
    }

    /// The checkpoint `self.next` is reached with `backlog` attempts held,
    /// `arrivals` operations arrived since the run began and `faults_on`
    /// still on: the verdict, if this interval completes a sustained growth.
    pub(super) fn check(
        &mut self,
        backlog: u64,
        arrivals: u64,
        faults_on: bool,
    ) -> Option<Verdict> {
        let at = self.next;
        let new = arrivals - self.arrivals_then;
        let rose = backlog.saturating_sub(self.last);
        let grew = !self.faulted
            && new >= self.rule.min_arrivals
            && rose * self.rule.growth_divisor >= new;
        if grew {
            if self.streak == 0 {
                self.from = (self.last_at, self.last);
                self.streak_arrivals = 0;
            }
            self.streak += 1;
            self.streak_arrivals += new;
        } else {
            self.streak = 0;
        }
        (self.last_at, self.last) = (at, backlog);
        self.arrivals_then = arrivals;
        self.faulted = faults_on;
        self.next = at + self.rule.interval;
        (self.streak >= self.rule.intervals).then_some(Verdict {
            at,
            since: self.from.0,
            backlog_since: self.from.1,
            backlog,
            arrivals: self.streak_arrivals,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> SaturationRule {
        SaturationRule::for_duration(SimDuration::from_secs(20))
    }

    #[test]
    fn four_growing_intervals_in_a_row_declare_saturation() {
        let mut w = Watch::new(rule());
        let mut verdict = None;
        for (i, backlog) in [100, 400, 700, 1000, 1300].into_iter().enumerate() {
            verdict = w.check(backlog, 3000 * (i as u64 + 1), false);
            assert_eq!(verdict.is_some(), i == 4, "checkpoint {i}");
        }
        let v = verdict.unwrap();
        assert_eq!(v.at, SimTime(5_000_000_000));
        assert_eq!((v.since, v.backlog_since), (SimTime(1_000_000_000), 100));
        assert_eq!((v.backlog, v.arrivals), (1300, 12_000));
    }

    #[test]
    fn a_pause_in_the_growth_a_fault_or_few_arrivals_restart_the_count() {
        let mut w = Watch::new(rule());
        let steps = [
            (300, 3000, false),
            (600, 3000, false),
            (900, 3000, false),
            (1000, 3000, false), // rose by 100 < 3000 / 10
            (1300, 3000, false),
            (1600, 3000, true), // a fault began
            (1900, 3000, false),
            (2200, 1000, false), // too few arrivals to judge
            (2500, 3000, false),
            (2800, 3000, false),
            (3100, 3000, false),
        ];
        let mut arrived = 0;
        for (backlog, arrivals, fault) in steps {
            arrived += arrivals;
            if fault {
                w.fault();
            }
            assert_eq!(w.check(backlog, arrived, false), None);
        }
        let v = w
            .check(3400, arrived + 3000, false)
            .expect("the fourth growing interval in a row");
        assert_eq!((v.backlog_since, v.backlog), (2200, 3400));
    }
}

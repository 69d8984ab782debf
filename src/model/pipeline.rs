//! How derived stores learn about writes to the system of record: a CDC
//! connector tailing the database log, an event bus, and the periodic
//! refresh of a search index or batch load of a warehouse. Each is a state
//! machine the architecture drives with events: it says when to wake it and
//! when each write reaches the store.

use std::collections::VecDeque;

use rand::RngExt;

use super::Write;
use crate::dist::Dist;
use crate::sim::{SimDuration, SimRng, SimTime, Window};

/// A change-data-capture connector (Debezium-like). It polls the log every
/// `poll` while idle; when it finds changes it takes up to `batch` of them,
/// spends `1 / throughput` per change processing them and delivers the
/// batch at the end, then goes straight on while changes remain. Below its
/// throughput the lag stays around half a poll plus a batch's processing;
/// above it the backlog, and the lag, grow without bound, as real
/// connectors do.
pub struct CdcConnector<T> {
    poll: SimDuration,
    batch: usize,
    per_change: SimDuration,
    log: VecDeque<T>,
    /// The next wake-up already scheduled, if any.
    wakes_at: Option<SimTime>,
    /// The connector is processing a batch until then.
    busy_until: SimTime,
    /// A `lag` fault: the connector down (stalled) or slowed.
    pub path: super::Impairment,
}

/// What a wake-up of the connector produced.
pub struct CdcBatch<T> {
    pub writes: Vec<T>,
    /// When the batch reaches the store.
    pub delivered_at: SimTime,
}

impl<T> CdcConnector<T> {
    /// `throughput` in changes per second.
    pub fn new(poll: SimDuration, batch: usize, throughput: f64) -> CdcConnector<T> {
        CdcConnector {
            poll,
            batch: batch.max(1),
            per_change: SimDuration((1e9 / throughput).round() as u64),
            log: VecDeque::new(),
            wakes_at: None,
            busy_until: SimTime::ZERO,
            path: super::Impairment::default(),
        }
    }

    /// A commit lands in the database log now. Returns a wake-up to
    /// schedule when the connector had none pending (the first poll).
    pub fn committed(&mut self, write: T, now: SimTime) -> Option<SimTime> {
        self.log.push_back(write);
        if self.wakes_at.is_none() {
            // The next poll, once any batch under way is delivered.
            let at = (now + self.poll).max(self.busy_until);
            self.wakes_at = Some(at);
            Some(at)
        } else {
            None
        }
    }

    /// The connector wakes now: the batch it delivers (maybe empty) and the
    /// next wake-up to schedule (none when the log is empty: the next commit
    /// schedules one).
    pub fn wake(&mut self, now: SimTime) -> (CdcBatch<T>, Option<SimTime>) {
        if let Some(until) = self.path.stalled_until().filter(|u| *u > now) {
            // Down: the log grows; the connector resumes where it stopped.
            self.wakes_at = Some(until);
            let idle = CdcBatch {
                writes: Vec::new(),
                delivered_at: now,
            };
            return (idle, Some(until));
        }
        let n = self.batch.min(self.log.len());
        let writes: Vec<T> = self.log.drain(..n).collect();
        let per_change = self.path.stretched(self.per_change);
        let delivered_at = now + SimDuration(per_change.as_nanos() * n as u64);
        self.busy_until = delivered_at;
        let next = if self.log.is_empty() {
            None
        } else {
            Some(delivered_at)
        };
        self.wakes_at = next;
        (
            CdcBatch {
                writes,
                delivered_at,
            },
            next,
        )
    }

    /// Changes waiting in the log.
    pub fn backlog(&self) -> usize {
        self.log.len()
    }
}

/// Whether a pipeline keeps up: its backlog sampled as each change is
/// handed to it over the last half of the window, averaged over the third
/// quarter and over the fourth (changes arrive as a Poisson stream, which
/// sees time averages). A pipeline that keeps up has the same mean backlog
/// in both, whatever its poll cycles; one handed λ changes a second and
/// taking μ < λ has a backlog growing by λ − μ a second, whose mean rises
/// by that times a quarter of the window. A quarter must span a few of the
/// pipeline's cycles (its polls) for their saw-tooth to average out: with
/// fewer than four, no trend is read.
#[derive(Clone, Debug)]
pub struct BacklogTrend {
    window: Window,
    /// Where the third and the fourth quarter of the window begin.
    quarters: [SimTime; 2],
    /// Whether a quarter of the window spans four cycles.
    long_enough: bool,
    /// Backlog sums and samples in the third and the fourth quarter.
    sums: [f64; 2],
    samples: [u64; 2],
}

impl BacklogTrend {
    /// A trend over `window` of a pipeline that works in cycles of `cycle`.
    pub fn new(window: Window, cycle: SimDuration) -> BacklogTrend {
        let quarter = |n: u64| window.start + SimDuration(window.length().as_nanos() / 4 * n);
        BacklogTrend {
            window,
            quarters: [quarter(2), quarter(3)],
            long_enough: window.length().as_nanos() / 4 >= 4 * cycle.as_nanos(),
            sums: [0.0; 2],
            samples: [0; 2],
        }
    }

    /// A change is handed to the pipeline now, which holds `backlog`.
    #[inline]
    pub fn handed(&mut self, backlog: usize, now: SimTime) {
        if now < self.quarters[0] || now >= self.window.end {
            return;
        }
        let q = usize::from(now >= self.quarters[1]);
        self.sums[q] += backlog as f64;
        self.samples[q] += 1;
    }

    /// How much faster the backlog grew than it was drained over the last
    /// half of the window, as a share of the changes handed over per
    /// second: 0 for a pipeline that keeps up, (λ − μ) / λ for one that
    /// does not. `None` without changes in both quarters, or in a window
    /// too short to tell.
    pub fn growth(&self) -> Option<f64> {
        if !self.long_enough || self.samples.contains(&0) {
            return None;
        }
        let quarter_s = self.window.length().as_secs_f64() / 4.0;
        let mean = |q: usize| self.sums[q] / self.samples[q] as f64;
        let handed_per_s = self.samples[1] as f64 / quarter_s;
        let growth_per_s = (mean(1) - mean(0)) / quarter_s;
        Some(growth_per_s / handed_per_s)
    }
}

/// An event bus (Kafka-like): each published write is delivered after a
/// delay drawn from `delay`; with probability `duplicate` it is delivered a
/// second time (at-least-once). With one consumer a key's events arrive in
/// publish order; with several, consumers race and a key's events may be
/// applied out of order.
pub struct EventBus {
    delay: Dist,
    duplicate: f64,
    ordered: bool,
    /// Per key, the last delivery instant (for in-order delivery).
    last: Vec<SimTime>,
    rng: SimRng,
    /// A `lag` fault: consumers stopped (stalled) or slowed.
    pub path: super::Impairment,
}

impl EventBus {
    pub fn new(delay: Dist, duplicate: f64, consumers: u32, keys: u64, rng: SimRng) -> EventBus {
        let ordered = consumers <= 1;
        EventBus {
            delay,
            duplicate,
            ordered,
            last: if ordered {
                crate::sim::table::filled(keys, SimTime::ZERO)
            } else {
                Vec::new()
            },
            rng,
            path: super::Impairment::default(),
        }
    }

    /// Publishes `write` now: the instants it is delivered (one, or two
    /// with a duplicate).
    pub fn publish(&mut self, write: &Write, now: SimTime) -> ([SimTime; 2], usize) {
        self.publish_key(write.key, now)
    }

    /// Publishes a change of `key` now (see `publish`).
    pub fn publish_key(&mut self, key: u64, now: SimTime) -> ([SimTime; 2], usize) {
        let mut at = self.path.arrival(now, self.delay.sample(&mut self.rng));
        if self.ordered {
            let last = &mut self.last[key as usize];
            at = at.max(*last);
            *last = at;
        }
        if self.duplicate > 0.0 && self.rng.random_bool(self.duplicate) {
            let again = at + self.delay.sample(&mut self.rng);
            if self.ordered {
                self.last[key as usize] = again;
            }
            ([at, again], 2)
        } else {
            ([at, at], 1)
        }
    }
}

/// The instant a write applied at `at` becomes visible in a store that
/// publishes every `interval` from the start of the run: the next multiple
/// of `interval`.
pub fn next_refresh(at: SimTime, interval: SimDuration) -> SimTime {
    let i = interval.as_nanos().max(1);
    SimTime(at.as_nanos().div_ceil(i) * i)
}

/// When a store that publishes what it received every `every` (a search
/// index's refresh, a warehouse's batch load) does so: at `phase` and every
/// `every` after it. The phase is drawn uniformly over one interval for each
/// run: a production store's cycle does not begin with the measurement, so
/// a write meets a random moment of it and its lag is the steady state's
/// (uniform on [0, every), mean every / 2), even in a run shorter than one
/// interval. A cycle begun at t = 0 would make every write of a 65 s run
/// wait for the first 15-minute load: a median lag of 866 s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Boundaries {
    every: SimDuration,
    phase: SimDuration,
}

impl Boundaries {
    /// Boundaries `every` apart, at a phase drawn from `rng`.
    pub fn new(every: SimDuration, rng: &mut SimRng) -> Boundaries {
        let every = every.max(SimDuration(1));
        Boundaries {
            every,
            phase: SimDuration(rng.random_range(0..every.as_nanos())),
        }
    }

    /// The first boundary at or after `at`.
    pub fn next(&self, at: SimTime) -> SimTime {
        let (every, phase) = (self.every.as_nanos(), self.phase.as_nanos());
        match at.as_nanos().checked_sub(phase) {
            Some(since) => SimTime(phase + since.div_ceil(every) * every),
            None => SimTime(phase),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backlog_that_keeps_up_does_not_grow_and_one_that_falls_behind_does() {
        let window = Window::new(SimDuration::ZERO, SimDuration::from_secs(8));
        let poll = SimDuration::from_millis(500);
        let mut keeps_up = BacklogTrend::new(window, poll);
        let mut behind = BacklogTrend::new(window, poll);
        // 1,000 changes a second; one connector drains to empty every
        // poll (500 changes), the other takes 800 a second of them.
        for i in 0..8_000u64 {
            let now = SimTime::ZERO + SimDuration::from_millis(i);
            keeps_up.handed((i % 500) as usize, now);
            behind.handed((i / 5) as usize, now);
        }
        assert!(keeps_up.growth().unwrap().abs() < 0.01);
        let g = behind.growth().unwrap();
        assert!((g - 0.2).abs() < 0.01, "{g}");
        assert_eq!(BacklogTrend::new(window, poll).growth(), None);
        // Two seconds a quarter are four polls; one is too short to tell.
        let mut short = BacklogTrend::new(window, SimDuration::from_millis(501));
        short.handed(1, SimTime::ZERO + SimDuration::from_secs(5));
        short.handed(1, SimTime::ZERO + SimDuration::from_secs(7));
        assert_eq!(short.growth(), None);
    }
    use crate::sim::Streams;
    use rand_distr::{Distribution, Exp};

    fn write(key: u64) -> Write {
        Write {
            key,
            version: 1,
            value: 0,
        }
    }

    /// Feeds Poisson commits at `rate`/s for `secs` through a connector of
    /// throughput 1000/s; returns (commit instant, lag) per change.
    fn cdc_lags(rate: f64, secs: u64) -> Vec<(f64, f64)> {
        let mut cdc = CdcConnector::<Write>::new(SimDuration::from_millis(500), 2048, 1000.0);
        let mut rng = Streams::new(3, 0).stream("cdc");
        let gaps = Exp::new(rate).unwrap();
        let mut commits = VecDeque::new();
        let mut wake: Option<SimTime> = None;
        let end = secs as f64;
        let mut lags = Vec::new();
        let mut next_commit = gaps.sample(&mut rng);
        loop {
            let commit_at = SimTime((next_commit * 1e9) as u64);
            match wake {
                Some(w) if w <= commit_at || next_commit >= end => {
                    let (batch, next) = cdc.wake(w);
                    for _ in &batch.writes {
                        let c: SimTime = commits.pop_front().unwrap();
                        lags.push((
                            c.as_nanos() as f64 / 1e9,
                            (batch.delivered_at - c).as_secs_f64(),
                        ));
                    }
                    wake = next;
                }
                _ if next_commit >= end => break,
                _ => {
                    next_commit += gaps.sample(&mut rng);
                    commits.push_back(commit_at);
                    if let Some(w) = cdc.committed(write(0), commit_at) {
                        wake = Some(w);
                    }
                }
            }
        }
        lags
    }

    #[test]
    fn cdc_lag_is_bounded_below_capacity() {
        let lags = cdc_lags(600.0, 60);
        let worst = lags.iter().map(|(_, l)| *l).fold(0.0, f64::max);
        let late = &lags[lags.len() / 2..];
        let mean = late.iter().map(|(_, l)| l).sum::<f64>() / late.len() as f64;
        // A poll (0.5 s) plus a full batch's processing (≤ 2.048 s) bounds it.
        assert!(worst < 2.6, "worst lag {worst} s");
        assert!(mean < 1.0, "mean lag {mean} s");
    }

    #[test]
    fn cdc_lag_grows_linearly_above_capacity() {
        // Twice the capacity: a change committed at t waits for the 2000·t
        // before it, processed at 1000/s: delivered at 2t, a lag of t.
        // Batches add up to a poll and a batch's processing on top, so the
        // check is on the slope: the mean lag around 10 s and around 30 s.
        let lags = cdc_lags(2000.0, 40);
        let mean_near = |t: f64| {
            let near: Vec<f64> = lags
                .iter()
                .filter(|(at, _)| (at - t).abs() < 1.0)
                .map(|(_, l)| *l)
                .collect();
            near.iter().sum::<f64>() / near.len() as f64
        };
        let slope = (mean_near(30.0) - mean_near(10.0)) / 20.0;
        assert!(
            (slope - 1.0).abs() < 0.05,
            "lag grows {slope:.3} s per s, expected 1"
        );
    }

    #[test]
    fn the_bus_keeps_key_order_with_one_consumer() {
        let rng = Streams::new(1, 0).stream("bus");
        let mut bus = EventBus::new(Dist::parse("exp(10ms)").unwrap(), 0.0, 1, 10, rng);
        let mut last = SimTime::ZERO;
        for i in 0..1000u64 {
            let (at, n) = bus.publish(&write(3), SimTime(i * 100_000));
            assert_eq!(n, 1);
            assert!(at[0] >= last);
            last = at[0];
        }
        let rng = Streams::new(1, 0).stream("bus");
        let mut racing = EventBus::new(Dist::parse("exp(10ms)").unwrap(), 0.5, 4, 10, rng);
        let (mut out_of_order, mut dupes, mut last) = (0, 0, SimTime::ZERO);
        for i in 0..1000u64 {
            let (at, n) = racing.publish(&write(3), SimTime(i * 100_000));
            out_of_order += u32::from(at[0] < last);
            dupes += u32::from(n == 2);
            last = at[0];
        }
        assert!(
            out_of_order > 100 && (400..600).contains(&dupes),
            "{out_of_order} {dupes}"
        );
    }

    #[test]
    fn boundaries_start_at_their_phase() {
        let b = Boundaries {
            every: SimDuration(100),
            phase: SimDuration(30),
        };
        assert_eq!(b.next(SimTime(0)), SimTime(30));
        assert_eq!(b.next(SimTime(30)), SimTime(30));
        assert_eq!(b.next(SimTime(31)), SimTime(130));
        assert_eq!(b.next(SimTime(130)), SimTime(130));
        assert_eq!(b.next(SimTime(250)), SimTime(330));
        let mut rng = Streams::new(3, 0).stream("phase");
        for _ in 0..100 {
            let b = Boundaries::new(SimDuration(100), &mut rng);
            assert!(b.phase < b.every);
        }
    }

    #[test]
    fn refresh_boundaries() {
        let s = SimDuration::from_secs(1);
        assert_eq!(next_refresh(SimTime(1), s), SimTime(1_000_000_000));
        assert_eq!(
            next_refresh(SimTime(1_000_000_000), s),
            SimTime(1_000_000_000)
        );
        assert_eq!(
            next_refresh(SimTime(1_000_000_001), s),
            SimTime(2_000_000_000)
        );
    }
}

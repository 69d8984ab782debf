//! A queueing station: `servers` identical servers (cores) taking jobs in
//! arrival order (FCFS) — the M/G/c model's service centre.
//!
//! Each job's service time is known when it arrives, so its start and end
//! follow at once from the servers' free instants (the Kiefer–Wolfowitz
//! recursion; Lindley's for one server): a job starts when it arrives or
//! when the earliest server frees up, whichever is later, and holds that
//! server for its service time. The station needs no events of its own: the
//! architecture schedules what it waits for (the start, the end) from the
//! returned `Slot`, and jobs nobody waits for cost nothing. Statistics are
//! exact integrals of each job's waiting and service intervals over the
//! measurement window.
//!
//! A database node's cores also pay for working together: with a
//! [`Scalability`] law a job's service is stretched by the cores busy when
//! it starts (see `model::scalability`), so adding cores stops paying.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::scalability::{Scalability, Stretch};
use crate::metrics::{ComponentStats, Window};
use crate::sim::{SimDuration, SimTime};

/// When a job will start service and finish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub start: SimTime,
    pub done: SimTime,
}

#[derive(Clone, Debug)]
pub struct Station {
    servers: u32,
    /// The instant each server frees up, earliest first.
    free_at: BinaryHeap<Reverse<SimTime>>,
    window: Window,
    /// ∫ busy servers dt, ∫ waiting jobs dt, ∫ jobs present dt over the
    /// window, in ns.
    busy_area: u128,
    wait_area: u128,
    present_area: u128,
    /// Jobs that finished service inside the window.
    served: u64,
    /// While slowed: the multiplier of service times, and until when.
    slow: Option<(f64, SimTime)>,
    /// Cut off from the network until then: arriving jobs are lost.
    unreachable_until: SimTime,
    /// The stretch of service by busy cores; `None` when cores scale
    /// linearly (checked once per job, nothing else done).
    stretch: Option<Stretch>,
}

impl Station {
    pub fn new(servers: u32, window: Window) -> Station {
        assert!(servers >= 1, "a station needs at least one server");
        Station {
            servers,
            free_at: (0..servers).map(|_| Reverse(SimTime::ZERO)).collect(),
            window,
            busy_area: 0,
            wait_area: 0,
            present_area: 0,
            served: 0,
            slow: None,
            unreachable_until: SimTime::ZERO,
            stretch: None,
        }
    }

    /// The same station with its cores under `law`: each job's service is
    /// stretched by n / C(n) for the n cores busy when it starts.
    pub fn scaled(mut self, law: Scalability) -> Station {
        self.stretch = Stretch::of(law, self.servers);
        self
    }

    /// The station works `factor` times slower until `until` (a `slow`
    /// fault; 1 restores it): a job's work done before `until` takes
    /// `factor` times as long, the rest its normal time, so a queue that
    /// built up during the fault drains at full speed after it. Jobs
    /// admitted before keep their times.
    fn set_factor(&mut self, factor: f64, until: SimTime) {
        self.slow = (factor != 1.0).then_some((factor, until));
    }

    /// When a job needing `service` of normal work, started at `start`, is
    /// done.
    #[inline]
    fn done(slow: Option<(f64, SimTime)>, start: SimTime, service: SimDuration) -> SimTime {
        match slow {
            Some((f, until)) if start < until => {
                let slowed = service.as_nanos() as f64 * f;
                let budget = (until - start).as_nanos() as f64;
                if slowed <= budget {
                    start + SimDuration(slowed as u64)
                } else {
                    // Work done in the slow part, the rest at full speed.
                    let rest = service.as_nanos() as f64 - budget / f;
                    until + SimDuration(rest.max(0.0) as u64)
                }
            }
            _ => start + service,
        }
    }

    /// No job starts before `until` (a crash or a partition): jobs in
    /// service finish, jobs arriving meanwhile wait in the queue for the
    /// restart. Their clients time out and retry on their own clocks.
    pub fn pause_until(&mut self, until: SimTime) {
        let held: Vec<_> = self
            .free_at
            .drain()
            .map(|Reverse(t)| Reverse(t.max(until)))
            .collect();
        self.free_at.extend(held);
    }

    /// Nothing reaches the station before `until` (a network partition):
    /// a job sent meanwhile is lost — it never starts, and its sender hears
    /// nothing (its `Slot` is at `FOREVER`) and times out. Jobs already
    /// there finish.
    pub fn unreachable_until(&mut self, until: SimTime) {
        self.unreachable_until = until;
    }

    /// A server fault begins or ends here: `slow` stretches service while
    /// it lasts; `crash` holds arriving jobs until the restart; `partition`
    /// loses them when `loses` (requests a client sends and re-sends), else
    /// holds them too (protocol messages that are retransmitted).
    pub fn on_fault(&mut self, fault: &crate::faults::Fault, begins: bool, loses: bool) {
        use crate::faults::FaultKind;
        match fault.kind {
            FaultKind::Slow | FaultKind::SchemaChange if begins => {
                self.set_factor(fault.slowdown(), fault.until())
            }
            FaultKind::Slow | FaultKind::SchemaChange => self.set_factor(1.0, fault.until()),
            FaultKind::Crash | FaultKind::Partition if begins => {
                self.down_until(fault, fault.until(), loses)
            }
            _ => {}
        }
    }

    /// A crash or partition (`fault`) takes the station out until `back`
    /// (its end, or an earlier takeover): a partition loses what arrives
    /// meanwhile when `loses`, else arrivals wait for `back`.
    pub fn down_until(&mut self, fault: &crate::faults::Fault, back: SimTime, loses: bool) {
        if loses && fault.kind == crate::faults::FaultKind::Partition {
            self.unreachable_until(back);
        } else {
            self.pause_until(back);
        }
    }

    /// Whether a job sent now reaches the station (it is not cut off).
    pub fn admits(&self, now: SimTime) -> bool {
        now >= self.unreachable_until
    }

    /// A job arrives now needing `service` of one server: when it starts and
    /// when it is done.
    #[inline]
    pub fn enter(&mut self, now: SimTime, service: SimDuration) -> Slot {
        if now < self.unreachable_until {
            let never = super::FOREVER;
            return Slot {
                start: never,
                done: never,
            };
        }
        self.serve(now, now, service, true)
    }

    /// A job that is sent again until it gets through (a replication
    /// stream) arrives now: while the station is cut off it is held and
    /// starts once the station is reachable, never lost.
    pub fn enter_held(&mut self, now: SimTime, service: SimDuration) -> Slot {
        self.serve(now, now.max(self.unreachable_until), service, true)
    }

    /// One slice of a job already at the station (a time-sliced query that
    /// gave up its core) joins the back of the queue now; `last` when the
    /// job's work ends with it. A partition cannot lose it: it is there.
    pub fn enter_slice(&mut self, now: SimTime, service: SimDuration, last: bool) -> Slot {
        self.serve(now, now, service, last)
    }

    /// A job (or the slice of one) that arrived at `now` takes the earliest
    /// server from `ready`; `finishes` when the job ends with it.
    #[inline]
    fn serve(
        &mut self,
        now: SimTime,
        ready: SimTime,
        service: SimDuration,
        finishes: bool,
    ) -> Slot {
        let service = match &self.stretch {
            None => service,
            Some(stretch) => stretch.apply(service, self.busy_at_start(ready)),
        };
        let mut earliest = self.free_at.peek_mut().expect("a station has servers");
        let start = ready.max(earliest.0);
        let done = if self.slow.is_none() {
            start + service
        } else {
            Self::done(self.slow, start, service)
        };
        earliest.0 = done;
        drop(earliest);
        self.wait_area += self.window.overlap_ns(now, start);
        self.busy_area += self.window.overlap_ns(start, done);
        self.present_area += self.window.overlap_ns(now, done);
        self.served += u64::from(finishes && self.window.contains(done));
        Slot { start, done }
    }

    /// Cores busy when a job ready at `ready` starts, itself included: all
    /// of them if it must wait for one (a queue keeps every core busy),
    /// else one more than those still serving at `ready`.
    fn busy_at_start(&self, ready: SimTime) -> u32 {
        let earliest = self.free_at.peek().expect("a station has servers").0;
        if earliest > ready {
            self.servers
        } else {
            1 + self.free_at.iter().filter(|t| t.0 > ready).count() as u32
        }
    }

    pub fn servers(&self) -> u32 {
        self.servers
    }

    /// Utilisation, mean queue (waiting) and mean number present over the
    /// measurement window.
    pub fn stats(&self) -> ComponentStats {
        let len = self.window.length().as_nanos() as f64;
        let busy = self.busy_area as f64 / len;
        ComponentStats {
            utilization: Some(busy / f64::from(self.servers)),
            mean_queue: Some(self.wait_area as f64 / len),
            mean_in_system: Some(self.present_area as f64 / len),
            throughput_per_s: Some(self.served as f64 / self.window.length().as_secs_f64()),
            ..ComponentStats::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_station_catches_up_after_the_fault() {
        let w = Window::new(SimDuration::ZERO, SimDuration(1_000_000));
        let mut s = Station::new(1, w);
        s.set_factor(10.0, SimTime(100));
        // 5 ns of work at ×10 fits before 100.
        assert_eq!(s.enter(SimTime(0), SimDuration(5)).done, SimTime(50));
        // 10 ns: 5 ns of work in the 50 slow ns left, 5 ns after.
        assert_eq!(s.enter(SimTime(0), SimDuration(10)).done, SimTime(105));
        // Started after the fault: normal speed.
        assert_eq!(s.enter(SimTime(0), SimDuration(10)).done, SimTime(115));
    }

    #[test]
    fn fcfs_on_the_earliest_free_server() {
        let w = Window::new(SimDuration::ZERO, SimDuration(1000));
        let mut s = Station::new(2, w);
        let d = SimDuration(10);
        let slot = |start, done| Slot {
            start: SimTime(start),
            done: SimTime(done),
        };
        assert_eq!(s.enter(SimTime(0), d), slot(0, 10));
        assert_eq!(s.enter(SimTime(0), d), slot(0, 10));
        assert_eq!(s.enter(SimTime(1), d), slot(10, 20), "waits for a server");
        assert_eq!(s.enter(SimTime(2), d), slot(10, 20));
        assert_eq!(
            s.enter(SimTime(50), d),
            slot(50, 60),
            "an idle server starts at once"
        );
        let stats = s.stats();
        // 5 jobs × 10 ns of service on 2 servers over 1000 ns.
        assert!((stats.utilization.unwrap() - 50.0 / 2000.0).abs() < 1e-12);
        // Waits of 9 and 8 ns.
        assert!((stats.mean_queue.unwrap() - 17.0 / 1000.0).abs() < 1e-12);
        assert!((stats.mean_in_system.unwrap() - 67.0 / 1000.0).abs() < 1e-12);
    }

    /// Jobs of `service` offered faster than any core count can serve,
    /// for `len`: completions per second of service time.
    fn saturated_rate(s: &mut Station, service: SimDuration, len: u64) -> f64 {
        let mut t = 0;
        while t < len {
            s.enter(SimTime(t), service);
            t += 10;
        }
        s.stats().throughput_per_s.unwrap() * service.as_secs_f64()
    }

    #[test]
    fn a_linear_law_changes_nothing() {
        let w = Window::new(SimDuration::ZERO, SimDuration(10_000_000));
        let mut plain = Station::new(8, w);
        let mut linear = Station::new(8, w).scaled(Scalability::LINEAR);
        let mut rng = crate::sim::Streams::new(7, 0).stream("usl");
        let service = crate::dist::Dist::parse("exp(1us)").unwrap();
        let arrivals = crate::dist::Dist::parse("exp(130ns)").unwrap();
        let mut now = SimTime::ZERO;
        for _ in 0..50_000 {
            now += arrivals.sample(&mut rng);
            let d = service.sample(&mut rng);
            assert_eq!(plain.enter(now, d), linear.enter(now, d));
        }
        assert_eq!(plain.stats(), linear.stats());
    }

    #[test]
    fn saturated_cores_complete_what_the_law_allows() {
        let law = Scalability {
            contention: 0.02,
            coherency: 0.0005,
        };
        let w = Window::new(SimDuration::ZERO, SimDuration(100_000_000));
        let service = SimDuration(10_000);
        let mut rates = Vec::new();
        for cores in [8, 16, 32, 64, 128] {
            let mut s = Station::new(cores, w).scaled(law);
            let rate = saturated_rate(&mut s, service, 100_000_000);
            let want = law.capacity(cores);
            assert!(
                (rate - want).abs() / want < 0.005,
                "{cores} cores: {rate:.3} cores' worth of work, the law says {want:.3}"
            );
            rates.push(rate);
        }
        // Peak at √(0.98 / 0.0005) ≈ 44 busy cores: 64 and 128 do less than 32.
        assert!(rates[3] < rates[2] && rates[4] < rates[3], "{rates:?}");
    }

    #[test]
    fn a_lone_job_is_not_stretched() {
        let w = Window::new(SimDuration::ZERO, SimDuration(1_000_000));
        let law = Scalability {
            contention: 0.1,
            coherency: 0.01,
        };
        let mut s = Station::new(4, w).scaled(law);
        let d = SimDuration(1000);
        assert_eq!(s.enter(SimTime(0), d).done, SimTime(1000));
        // A second job while the first runs: 2 busy, × (1 + 0.1 + 0.02).
        assert_eq!(s.enter(SimTime(10), d).done, SimTime(10 + 1120));
        // After both are done: alone again.
        assert_eq!(s.enter(SimTime(5000), d).done, SimTime(6000));
    }
}

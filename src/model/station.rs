//! A queueing station: `servers` identical servers (cores) in front of one
//! FIFO queue — the M/M/c model's service centre. The station keeps the queue
//! and its statistics; the architecture owns the clock and schedules the
//! completion event a started job returns.

use std::collections::VecDeque;

use crate::metrics::{ComponentStats, TimeAverage, Window};
use crate::sim::{SimDuration, SimTime};

/// A job that has just begun service and when it will finish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Started<J> {
    pub job: J,
    pub done_at: SimTime,
}

#[derive(Clone, Debug)]
pub struct Station<J> {
    servers: u32,
    busy: u32,
    waiting: VecDeque<(J, SimDuration)>,
    busy_servers: TimeAverage,
    queue_len: TimeAverage,
    /// Jobs that finished service inside the window.
    served: u64,
    window: Window,
}

impl<J: Copy> Station<J> {
    pub fn new(servers: u32, window: Window) -> Station<J> {
        assert!(servers >= 1, "a station needs at least one server");
        Station {
            servers,
            busy: 0,
            waiting: VecDeque::new(),
            busy_servers: TimeAverage::new(window),
            queue_len: TimeAverage::new(window),
            served: 0,
            window,
        }
    }

    /// `job` arrives needing `service` of one server. Returns it as started
    /// if a server was free; otherwise it waits its turn.
    #[inline]
    pub fn enter(&mut self, now: SimTime, job: J, service: SimDuration) -> Option<Started<J>> {
        if self.busy < self.servers {
            self.busy += 1;
            self.busy_servers.set(now, u64::from(self.busy));
            Some(Started {
                job,
                done_at: now + service,
            })
        } else {
            self.waiting.push_back((job, service));
            self.queue_len.set(now, self.waiting.len() as u64);
            None
        }
    }

    /// A job finishes service now. Returns the next waiting job, which takes
    /// over the freed server.
    #[inline]
    pub fn leave(&mut self, now: SimTime) -> Option<Started<J>> {
        debug_assert!(self.busy > 0, "leave without a job in service");
        if self.window.contains(now) {
            self.served += 1;
        }
        match self.waiting.pop_front() {
            Some((job, service)) => {
                self.queue_len.set(now, self.waiting.len() as u64);
                Some(Started {
                    job,
                    done_at: now + service,
                })
            }
            None => {
                self.busy -= 1;
                self.busy_servers.set(now, u64::from(self.busy));
                None
            }
        }
    }

    pub fn servers(&self) -> u32 {
        self.servers
    }

    /// Jobs waiting (not in service) right now.
    pub fn queued(&self) -> usize {
        self.waiting.len()
    }

    /// Utilisation, mean queue (waiting) and mean number in the station over
    /// the measurement window.
    pub fn stats(&self) -> ComponentStats {
        let busy = self.busy_servers.mean();
        let queue = self.queue_len.mean();
        ComponentStats {
            utilization: Some(busy / f64::from(self.servers)),
            mean_queue: Some(queue),
            mean_in_system: Some(busy + queue),
            throughput_per_s: Some(self.served as f64 / self.window.length().as_secs_f64()),
            ..ComponentStats::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_in_fifo_order_on_free_servers() {
        let w = Window::new(SimDuration::ZERO, SimDuration(1000));
        let mut s = Station::new(2, w);
        let d = SimDuration(10);
        assert_eq!(
            s.enter(SimTime(0), 'a', d).map(|x| x.done_at),
            Some(SimTime(10))
        );
        assert!(s.enter(SimTime(0), 'b', d).is_some());
        assert_eq!(s.enter(SimTime(1), 'c', d), None);
        assert_eq!(s.enter(SimTime(2), 'd', d), None);
        assert_eq!(s.queued(), 2);
        let next = s.leave(SimTime(10)).unwrap();
        assert_eq!((next.job, next.done_at), ('c', SimTime(20)));
        assert_eq!(s.leave(SimTime(10)).unwrap().job, 'd');
        assert_eq!(s.leave(SimTime(20)), None);
        assert_eq!(s.leave(SimTime(20)), None);
        // Two servers busy for 20 ns of 1000 ns.
        let stats = s.stats();
        assert!((stats.utilization.unwrap() - 40.0 / 2000.0).abs() < 1e-12);
    }
}

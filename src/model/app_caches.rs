//! The in-process caches of a tier of application servers: each server
//! holds a cache of its own, a request is served by one server, and a
//! writer's server invalidates its own copy at once and broadcasts the
//! invalidation to the others, where it lands after a delay or is lost —
//! "two servers out of ten are still serving the cached old email because
//! cache invalidation is lazy". One server is the shared cache of a single
//! application, and draws nothing.
//!
//! Which server a request goes to is the session's (session mod N) when
//! sessions stick, else drawn uniformly per request from a stream of its
//! own; the broadcast's delays and losses are drawn from two more, one
//! delay and one loss draw per other server and write whatever the loss
//! probability, so that a run with loss p loses a superset of the
//! broadcasts a run with a smaller p loses, and every other stream is the
//! same draws either way (common random numbers).

use rand::RngExt;

use super::Cache;
use super::streams::Stream;
use crate::dist::Dist;
use crate::sim::{OpId, SimDuration, SimRng, Streams};

/// The caches of N application servers.
pub struct AppCaches {
    /// One per server; server 0 is the only one of a single application.
    caches: Vec<Cache>,
    /// Requests go to their session's server (else one drawn per request).
    sticky: bool,
    /// Per operation slot, when requests are drawn: the server its request
    /// went to.
    server_of: Vec<u16>,
    choice_rng: SimRng,
    /// The broadcast's delay to one other server.
    delay: Dist,
    /// The probability the broadcast to one other server is lost.
    loss: f64,
    delay_rng: SimRng,
    loss_rng: SimRng,
    /// Stale reads each server's cache served in the window.
    stale_reads: Vec<u64>,
}

impl AppCaches {
    /// `caches`, one per server (at most 2^16), with requests routed by
    /// session when `sticky`, and the broadcast delayed by `delay` and lost
    /// with probability `loss`.
    pub fn new(
        caches: Vec<Cache>,
        sticky: bool,
        delay: Dist,
        loss: f64,
        streams: &Streams,
    ) -> AppCaches {
        assert!(
            !caches.is_empty() && caches.len() <= usize::from(u16::MAX) + 1,
            "1 to 2^16 application servers"
        );
        let n = caches.len();
        AppCaches {
            caches,
            sticky,
            server_of: Vec::new(),
            choice_rng: Stream::AppServerChoice.of(streams),
            delay,
            loss,
            delay_rng: Stream::InvalidationDelay.of(streams),
            loss_rng: Stream::InvalidationLoss.of(streams),
            stale_reads: vec![0; n],
        }
    }

    /// Application servers.
    pub fn servers(&self) -> usize {
        self.caches.len()
    }

    /// Whether there is one server, the cache shared by every client.
    pub fn is_shared(&self) -> bool {
        self.caches.len() == 1
    }

    /// `op` arrives at the load balancer: when requests do not stick to a
    /// session's server, one is drawn for it.
    pub fn route(&mut self, op: OpId) {
        if self.is_shared() || self.sticky {
            return;
        }
        let i = op.index();
        if i >= self.server_of.len() {
            self.server_of.resize(i + 1, 0);
        }
        self.server_of[i] = self.choice_rng.random_range(0..self.caches.len()) as u16;
    }

    /// The server serving `op` (of `session`), as `route` chose it.
    #[inline]
    pub fn server(&self, op: OpId, session: u32) -> usize {
        match self.caches.len() {
            1 => 0,
            n if self.sticky => session as usize % n,
            _ => usize::from(self.server_of[op.index()]),
        }
    }

    /// The cache of `server`.
    #[inline]
    pub fn at(&mut self, server: usize) -> &mut Cache {
        &mut self.caches[server]
    }

    /// Every server's cache, in server order.
    pub fn all(&self) -> &[Cache] {
        &self.caches
    }

    pub fn all_mut(&mut self) -> &mut [Cache] {
        &mut self.caches
    }

    /// A write's server `from` broadcasts its invalidation: `deliver(server,
    /// delay)` for each other server it reaches, in server order; the others
    /// lose it. Returns the messages sent (one per other server).
    pub fn broadcast(&mut self, from: usize, mut deliver: impl FnMut(usize, SimDuration)) -> u32 {
        let n = self.caches.len();
        for server in (0..n).filter(|&s| s != from) {
            let delay = self.delay.sample(&mut self.delay_rng);
            let lost = self.loss_rng.random::<f64>() < self.loss;
            if !lost {
                deliver(server, delay);
            }
        }
        (n - 1) as u32
    }

    /// `server`'s cache served `n` more stale reads in the window.
    pub fn stale_reads_served(&mut self, server: usize, n: u64) {
        self.stale_reads[server] += n;
    }

    /// Stale reads `server`'s cache served in the window.
    pub fn stale_reads(&self, server: usize) -> u64 {
        self.stale_reads[server]
    }

    /// Hits and misses of every server together, in the window.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        self.caches
            .iter()
            .fold((0, 0), |(h, m), c| (h + c.hits(), m + c.misses()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Window;
    use crate::sim::SimTime;

    fn caches(n: usize, sticky: bool, loss: f64) -> AppCaches {
        let w = Window::new(SimDuration::ZERO, SimDuration(1_000));
        let all = (0..n)
            .map(|_| Cache::new(10, SimDuration::ZERO, 10, w))
            .collect();
        let streams = Streams::new(7, 0);
        AppCaches::new(all, sticky, Dist::parse("1ms").unwrap(), loss, &streams)
    }

    #[test]
    fn sticky_sessions_keep_their_server() {
        let c = caches(4, true, 0.0);
        let op = OpId::new(3);
        assert_eq!(c.server(op, 9), 1);
        assert_eq!(c.server(op, 12), 0);
    }

    #[test]
    fn a_broadcast_reaches_every_other_server_unless_lost() {
        let mut c = caches(5, false, 0.0);
        let mut reached = Vec::new();
        let sent = c.broadcast(2, |s, d| reached.push((s, d)));
        assert_eq!(sent, 4);
        let ms = SimDuration::from_millis(1);
        assert_eq!(reached, vec![(0, ms), (1, ms), (3, ms), (4, ms)]);
        let mut all_lost = caches(5, false, 1.0);
        assert_eq!(all_lost.broadcast(0, |_, _| panic!("lost")), 4);
    }

    #[test]
    fn drawn_servers_cover_the_tier() {
        let mut c = caches(3, false, 0.0);
        let mut seen = [0; 3];
        for i in 0..300 {
            let op = OpId::new(i);
            c.route(op);
            seen[c.server(op, 0)] += 1;
        }
        assert!(seen.iter().all(|&n| n > 50), "{seen:?}");
        c.at(1).put(4, 1, 10, 1, SimTime(0));
        assert_eq!(c.all()[1].peek(4), Some(1));
    }
}

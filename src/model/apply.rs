//! A replica's apply of one primary's log — a read replica of the database
//! or of a shard, a follower of one Raft group: the log reaches the replica
//! as one stream, in commit order, and the replica applies it with its own
//! capacity, showing commits in commit order, so that it is a prefix of its
//! primary at every instant.
//!
//! Shipping. Each commit leaves when it commits and takes its own delay on
//! the way, but a log stream is in order (one connection): a commit arrives
//! no earlier than the one shipped before it.
//!
//! Applying. Arrived commits wait in log order for one of the replica's
//! `workers` apply workers. The first of them starts when a worker is free
//! and no commit still being applied shares a key with it (conflicting
//! commits apply one after the other, as MySQL's writeset-based parallel
//! replication schedules them); it then queues for a core of the replica's
//! node (a [`Station`], FIFO with the reads the node serves) for the apply
//! CPU of its rows. It shows — atomically — once that work is done and every
//! earlier commit shows (MySQL's `replica_preserve_commit_order`; a Raft
//! state machine applies its log in index order), and its worker stays with
//! it until then.
//!
//! With one worker (`"single"`: MySQL's single SQL applier thread,
//! PostgreSQL's startup process replaying the WAL) the replica is a FIFO
//! single-server queue behind its shipping delay: below its capacity μ
//! (commits per second its worker applies) the lag is the shipping delay
//! plus an M/G/1 sojourn; above it the backlog, and with it the lag, grows
//! by (λ/μ − 1) seconds per second of writes at rate λ, without bound.

use std::collections::VecDeque;
use std::fmt;

use serde::de::Error;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Replica, ReplicationLog, Station, Write};
use crate::sim::{SimDuration, SimTime};

/// Most apply workers one replica may run (MySQL's `replica_parallel_workers`
/// stops at 1024).
pub const MAX_WORKERS: u32 = 1024;

/// How many commits a replica applies at once: `"single"` (one worker) or a
/// number of parallel workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApplyWorkers(u32);

impl ApplyWorkers {
    /// One apply worker.
    pub const SINGLE: ApplyWorkers = ApplyWorkers(1);

    /// `n` parallel workers, 1 to [`MAX_WORKERS`].
    pub fn new(n: u32) -> Option<ApplyWorkers> {
        (1..=MAX_WORKERS).contains(&n).then_some(ApplyWorkers(n))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for ApplyWorkers {
    fn default() -> Self {
        ApplyWorkers::SINGLE
    }
}

impl fmt::Display for ApplyWorkers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => f.write_str("single"),
            n => write!(f, "{n}"),
        }
    }
}

impl Serialize for ApplyWorkers {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            1 => s.serialize_str("single"),
            n => s.serialize_u32(n),
        }
    }
}

impl<'de> Deserialize<'de> for ApplyWorkers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Workers;
        impl serde::de::Visitor<'_> for Workers {
            type Value = ApplyWorkers;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "\"single\" (one apply worker) or a number of parallel apply workers from 1 \
                     to {MAX_WORKERS}"
                )
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<ApplyWorkers, E> {
                if v == "single" {
                    Ok(ApplyWorkers::SINGLE)
                } else {
                    Err(E::custom(format!(
                        "expected \"single\" or a number of parallel apply workers from 1 to \
                         {MAX_WORKERS} (apply = 4), found \"{v}\""
                    )))
                }
            }
            fn visit_i64<E: Error>(self, v: i64) -> Result<ApplyWorkers, E> {
                u32::try_from(v)
                    .ok()
                    .and_then(ApplyWorkers::new)
                    .ok_or_else(|| {
                        E::custom(format!(
                            "expected \"single\" or a number of parallel apply workers from 1 \
                             to {MAX_WORKERS}, found {v}"
                        ))
                    })
            }
            fn visit_u64<E: Error>(self, v: u64) -> Result<ApplyWorkers, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
        }
        d.deserialize_any(Workers)
    }
}

/// One replica's apply of one primary's log: what has arrived and waits,
/// what is being applied, in log order.
///
/// A stream whose replica keeps a copy that readers see *shows* each
/// commit: the architecture schedules an event at the instant it shows and
/// calls [`shown`](Self::shown) then. A stream nobody reads (a Raft
/// follower without follower reads) only costs its replica's cores in log
/// order: its commits retire when the stream next acts after they are done,
/// and it asks to be woken only when commits wait, so an idle replica costs
/// no event of its own.
#[derive(Clone, Debug)]
pub struct ApplyStream {
    workers: usize,
    shows: bool,
    /// Commits (handles in the replication log) arrived and not started.
    waiting: VecDeque<u32>,
    /// Commits started and not yet shown (or retired), in log order, with
    /// when each shows.
    applying: VecDeque<(u32, SimTime)>,
    /// When the last commit shipped arrives, and when the last started shows.
    last_arrival: SimTime,
    last_shown: SimTime,
    /// A wake-up asked for and not yet come (a stream nobody reads).
    wake_at: Option<SimTime>,
    /// The log position of the last commit that arrived and of the last
    /// shown, to check that the stream keeps log order.
    arrived_seq: u64,
    shown_seq: u64,
}

impl ApplyStream {
    /// The stream of a replica whose copy readers see.
    pub fn new(workers: ApplyWorkers) -> ApplyStream {
        ApplyStream {
            workers: workers.get() as usize,
            shows: true,
            waiting: VecDeque::new(),
            applying: VecDeque::new(),
            last_arrival: SimTime::ZERO,
            last_shown: SimTime::ZERO,
            wake_at: None,
            arrived_seq: 0,
            shown_seq: 0,
        }
    }

    /// The stream of a replica nobody reads: its apply costs cores, in log
    /// order, and shows nothing.
    pub fn unobserved(workers: ApplyWorkers) -> ApplyStream {
        ApplyStream {
            shows: false,
            ..ApplyStream::new(workers)
        }
    }

    /// A commit shipped now would arrive at `at` after its own delay: when
    /// it arrives, behind the commits shipped before it.
    #[inline]
    pub fn ship(&mut self, at: SimTime) -> SimTime {
        self.last_arrival = self.last_arrival.max(at);
        self.last_arrival
    }

    /// `commit` arrived now: it waits behind the commits that arrived before it.
    pub fn arrived(&mut self, commit: u32, log: &ReplicationLog) {
        let seq = log.seq(commit);
        debug_assert!(seq > self.arrived_seq, "a log stream arrives in log order");
        self.arrived_seq = seq;
        self.waiting.push_back(commit);
    }

    /// Starts applying, now, every waiting commit that may start: in log
    /// order, while a worker is free and the first waiting commit shares no
    /// key with a commit being applied. Each takes a core of `station` for
    /// `service(its writes)`. On a stream that shows, `started(commit,
    /// Some(shown))` says when each will show (at the latest of its work
    /// done and the previous commit shown: call [`shown`](Self::shown)
    /// then), and a commit its primary's failover made void is dropped from
    /// the log without work: `started(commit, None)`; with `copy`, each
    /// started commit's visibility lag is recorded there. On a stream nobody
    /// reads, `started` is not called; the instant returned, if any, is when
    /// to call this again (commits wait for one being applied).
    pub fn start(
        &mut self,
        now: SimTime,
        log: &mut ReplicationLog,
        station: &mut Station,
        mut copy: Option<&mut Replica>,
        mut service: impl FnMut(&[Write]) -> SimDuration,
        mut started: impl FnMut(u32, Option<SimTime>),
    ) -> Option<SimTime> {
        if !self.shows {
            self.retire(now, log);
        }
        while self.applying.len() < self.workers {
            let &commit = self.waiting.front()?;
            if !log.current(commit) {
                self.waiting.pop_front();
                log.applied(commit);
                if self.shows {
                    started(commit, None);
                }
                continue;
            }
            let writes = log.writes(commit);
            if self.workers > 1 && self.conflicts(writes, log) {
                // It waits for the commit it conflicts with to show.
                break;
            }
            self.waiting.pop_front();
            let done = station.enter_held(now, service(writes)).done;
            self.last_shown = self.last_shown.max(done);
            if let Some(copy) = copy.as_deref_mut() {
                copy.record_lag(log.committed(commit), self.last_shown);
            }
            self.applying.push_back((commit, self.last_shown));
            if self.shows {
                started(commit, Some(self.last_shown));
            }
        }
        self.wake(now)
    }

    /// Whether `writes` share a key with a commit being applied.
    fn conflicts(&self, writes: &[Write], log: &ReplicationLog) -> bool {
        self.applying.iter().any(|&(c, _)| {
            log.writes(c)
                .iter()
                .any(|a| writes.iter().any(|w| w.key == a.key))
        })
    }

    /// On a stream nobody reads with commits waiting: when the first
    /// commit being applied is done, unless a wake-up is asked for already.
    fn wake(&mut self, now: SimTime) -> Option<SimTime> {
        if self.shows || self.waiting.is_empty() {
            return None;
        }
        if self.wake_at.is_some_and(|t| t > now) {
            return None;
        }
        let at = self.applying.front().map(|&(_, at)| at)?;
        self.wake_at = Some(at);
        Some(at)
    }

    /// On a stream nobody reads: the commits done by now leave the log.
    fn retire(&mut self, now: SimTime, log: &mut ReplicationLog) {
        while let Some(&(commit, at)) = self.applying.front() {
            if at > now {
                break;
            }
            self.applying.pop_front();
            self.check_order(commit, log);
            log.applied(commit);
        }
    }

    fn check_order(&mut self, commit: u32, log: &ReplicationLog) {
        let seq = log.seq(commit);
        debug_assert!(seq > self.shown_seq, "a replica shows commits in log order");
        self.shown_seq = seq;
    }

    /// `commit`, the first being applied on a stream that shows, shows
    /// now: it is applied to `copy` (unless void) and its worker is free.
    /// Start the next ones then.
    pub fn shown(
        &mut self,
        commit: u32,
        now: SimTime,
        log: &mut ReplicationLog,
        copy: Option<&mut Replica>,
    ) {
        let first = self.applying.pop_front().map(|(c, _)| c);
        debug_assert_eq!(first, Some(commit), "a replica shows commits in log order");
        self.check_order(commit, log);
        if let Some(copy) = copy.filter(|_| log.current(commit)) {
            copy.apply(log.writes(commit), now);
        }
        log.applied(commit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Window;
    use crate::workload::{KeySpace, WorkloadConfig};

    fn write(key: u64, version: u32) -> Write {
        Write {
            key,
            version,
            value: 0,
        }
    }

    /// Replays the events of one stream by hand: commits of `keys` (commit
    /// i writes version i + 1) with apply times `work` (µs), all arrived at 0, on `workers` workers of a
    /// station of 8 cores. Returns (commit index, shown at µs) in the order
    /// they show.
    fn replay(workers: u32, keys: &[u64], work: &[u64]) -> Vec<(usize, u64)> {
        let window = Window::new(SimDuration::ZERO, SimDuration::from_secs(1));
        let space = KeySpace::new(&WorkloadConfig {
            keys: 8,
            ..WorkloadConfig::default()
        });
        let mut copy = Replica::new(
            &space,
            crate::dist::Dist::parse("0s").unwrap(),
            crate::sim::Streams::new(1, 0).stream("t"),
            window,
        );
        let mut station = Station::new(8, window);
        let mut log = ReplicationLog::default();
        let mut stream = ApplyStream::new(ApplyWorkers::new(workers).unwrap());
        let mut index = std::collections::HashMap::new();
        for (i, &k) in keys.iter().enumerate() {
            let w = [write(k, i as u32 + 1)];
            let c = log.push(&w, SimTime::ZERO, 1);
            copy.ship_after(&mut stream, &w, SimTime::ZERO, SimDuration::ZERO);
            stream.arrived(c, &log);
            index.insert(c, i);
        }
        // A tiny event loop: (shown at, order started, commit).
        let mut events = std::collections::BTreeSet::new();
        let mut n = 0u64;
        let mut now = SimTime::ZERO;
        let mut out = Vec::new();
        loop {
            let mut started = Vec::new();
            stream.start(
                now,
                &mut log,
                &mut station,
                Some(&mut copy),
                |w| SimDuration::from_micros(work[(w[0].version - 1) as usize]),
                |c, at| started.push((c, at)),
            );
            for (c, at) in started {
                events.insert((at.unwrap(), n, c));
                n += 1;
            }
            let Some((at, _, c)) = events.pop_first() else {
                break;
            };
            now = at;
            stream.shown(c, now, &mut log, Some(&mut copy));
            out.push((index[&c], at.as_nanos() / 1000));
        }
        out
    }

    #[test]
    fn one_worker_applies_one_commit_after_another() {
        let shown = replay(1, &[0, 1, 2], &[30, 10, 20]);
        assert_eq!(shown, vec![(0, 30), (1, 40), (2, 60)]);
    }

    #[test]
    fn parallel_workers_show_in_commit_order() {
        // Commit 0 is slow; 1 and 2 finish first but show after it.
        let shown = replay(4, &[0, 1, 2], &[50, 10, 20]);
        assert_eq!(shown, vec![(0, 50), (1, 50), (2, 50)]);
    }

    #[test]
    fn commits_on_one_key_apply_one_after_another() {
        // 0 and 2 write key 5: 2 waits for 0 to show, and 1 (key 6) is
        // started before it; 3 (key 7) waits behind 2 in log order.
        let shown = replay(4, &[5, 6, 5, 7], &[50, 10, 20, 5]);
        assert_eq!(shown, vec![(0, 50), (1, 50), (2, 70), (3, 70)]);
    }

    #[test]
    fn a_stream_nobody_reads_asks_to_be_woken_only_when_commits_wait() {
        let window = Window::new(SimDuration::ZERO, SimDuration::from_secs(1));
        let mut station = Station::new(8, window);
        let mut log = ReplicationLog::default();
        let mut stream = ApplyStream::unobserved(ApplyWorkers::SINGLE);
        let us = SimDuration::from_micros;
        let mut step = |stream: &mut ApplyStream, log: &mut ReplicationLog, at: u64| {
            stream.start(
                SimTime::ZERO + us(at),
                log,
                &mut station,
                None,
                |_| us(10),
                |_, _| panic!("a stream nobody reads shows nothing"),
            )
        };
        let c0 = log.push(&[write(0, 1)], SimTime::ZERO, 1);
        stream.arrived(c0, &log);
        assert_eq!(step(&mut stream, &mut log, 0), None, "nothing waits");
        let c1 = log.push(&[write(1, 2)], SimTime::ZERO, 1);
        stream.arrived(c1, &log);
        assert_eq!(
            step(&mut stream, &mut log, 5),
            Some(SimTime::ZERO + us(10)),
            "c1 waits for c0, done at 10"
        );
        assert_eq!(step(&mut stream, &mut log, 10), None, "c1 started");
        // c0 retired: its log entry is free again.
        assert_eq!(log.push(&[write(2, 3)], SimTime::ZERO, 1), c0);
    }

    #[test]
    fn a_stream_arrives_in_order() {
        let mut s = ApplyStream::new(ApplyWorkers::SINGLE);
        assert_eq!(s.ship(SimTime(100)), SimTime(100));
        assert_eq!(s.ship(SimTime(50)), SimTime(100), "behind the one before");
        assert_eq!(s.ship(SimTime(120)), SimTime(120));
    }

    #[test]
    fn workers_read_as_single_or_a_number() {
        #[derive(Deserialize, Serialize)]
        struct T {
            apply: ApplyWorkers,
        }
        let t: T = toml::from_str("apply = \"single\"").unwrap();
        assert_eq!(t.apply, ApplyWorkers::SINGLE);
        let t: T = toml::from_str("apply = 4").unwrap();
        assert_eq!(t.apply.get(), 4);
        assert_eq!(toml::to_string(&t).unwrap().trim(), "apply = 4");
        let one = T {
            apply: ApplyWorkers::SINGLE,
        };
        assert_eq!(toml::to_string(&one).unwrap().trim(), "apply = \"single\"");
        for bad in ["apply = 0", "apply = \"many\"", "apply = 2000"] {
            let e = toml::from_str::<T>(bad).err().unwrap().to_string();
            assert!(
                e.contains("\"single\" or a number of parallel apply workers"),
                "{e}"
            );
        }
    }
}

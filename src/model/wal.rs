//! The primary's write-ahead log with group commit: a commit waits for a
//! forced write (fsync) of the log; commits that arrive while a flush is in
//! progress share the next one (PostgreSQL's WAL writer behaviour). The log
//! device is not a CPU core: flushing does not occupy the database's cores,
//! but it has limits of its own (`model::log_device`): flushes per second
//! and bytes per second.

use super::{DeviceClock, LogDevice};
use crate::dist::Dist;
use crate::metrics::{ComponentStats, Window};
use crate::sim::{OpId, SimRng, SimTime};

/// A primary's commit path: a write's commit record goes through a
/// [`GroupCommit`] log when durability waits are on (`fsync` above zero),
/// and commits at once when they are off.
pub struct CommitLog<J = OpId> {
    wal: Option<GroupCommit<J>>,
    /// The buffer `flushed` hands out, returned by `recycle`.
    spare: Vec<J>,
}

/// What became of a commit record handed to a [`CommitLog`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logged {
    /// No log: the write commits now.
    Durable,
    /// A flush started now and ends at this time.
    FlushEndsAt(SimTime),
    /// The record waits for the next flush.
    Queued,
}

impl<J: Copy> CommitLog<J> {
    pub fn new(fsync: &Dist, device: LogDevice, rng: SimRng, window: Window) -> CommitLog<J> {
        CommitLog {
            wal: (!fsync.is_zero())
                .then(|| GroupCommit::new(fsync.clone(), rng, window).on(device.clock())),
            spare: Vec::new(),
        }
    }

    /// Whether records wait for a forced write (`fsync` above zero).
    pub fn forces(&self) -> bool {
        self.wal.is_some()
    }

    pub fn submit(&mut self, op: J, now: SimTime) -> Logged {
        match self.wal.as_mut() {
            None => Logged::Durable,
            Some(wal) => wal
                .submit(op, now)
                .map_or(Logged::Queued, Logged::FlushEndsAt),
        }
    }

    /// The flush under way completes now: the writes now durable, in
    /// submission order, and when the next flush ends, if one starts. Hand
    /// the emptied list back with [`CommitLog::recycle`].
    pub fn flushed(&mut self, now: SimTime) -> (Vec<J>, Option<SimTime>) {
        let wal = self.wal.as_mut().expect("flushes come from the log");
        let mut durable = std::mem::take(&mut self.spare);
        let next = wal.flushed(now, |op| durable.push(op));
        (durable, next)
    }

    /// Takes back the list `flushed` handed out, to reuse its allocation.
    pub fn recycle(&mut self, mut durable: Vec<J>) {
        durable.clear();
        self.spare = durable;
    }

    /// Records forced to the log in the window (several share one fsync).
    pub fn records(&self) -> u64 {
        self.wal.as_ref().map_or(0, |w| w.flushed_jobs)
    }

    /// Adds the log's figures (forced writes, commits per forced write) to
    /// its station's, when there is a log.
    pub fn annotate(&self, stats: &mut ComponentStats) {
        if let Some(wal) = &self.wal {
            stats.forced_writes = Some(wal.flushes());
            stats.commits_per_forced_write = Some(wal.mean_batch());
        }
    }
}

pub struct GroupCommit<J> {
    fsync: Dist,
    rng: SimRng,
    /// The device the log is forced to.
    device: DeviceClock,
    /// Jobs in the flush under way.
    flushing: Vec<J>,
    /// Jobs waiting for the next flush.
    waiting: Vec<J>,
    in_progress: bool,
    /// The flush under way (or waiting for its device): when it begins and
    /// ends.
    begin: SimTime,
    end: SimTime,
    window: Window,
    flushes: u64,
    flushed_jobs: u64,
}

impl<J: Copy> GroupCommit<J> {
    pub fn new(fsync: Dist, rng: SimRng, window: Window) -> GroupCommit<J> {
        GroupCommit {
            fsync,
            rng,
            device: DeviceClock::default(),
            flushing: Vec::new(),
            waiting: Vec::new(),
            in_progress: false,
            begin: SimTime::ZERO,
            end: SimTime::ZERO,
            window,
            flushes: 0,
            flushed_jobs: 0,
        }
    }

    /// The same log forced to a device with limits.
    pub fn on(mut self, device: DeviceClock) -> GroupCommit<J> {
        self.device = device;
        self
    }

    /// `job` asks for its commit record to be made durable. Returns when a
    /// flush that starts now will finish; `None` if it joins the next flush.
    pub fn submit(&mut self, job: J, now: SimTime) -> Option<SimTime> {
        if self.in_progress {
            let records = self.flushing.len() + 1;
            if now < self.begin && self.device.fits(self.begin, self.end, records) {
                // The flush waits for its device: the record joins it.
                self.flushing.push(job);
                self.flushed_jobs += u64::from(self.window.contains(self.begin));
            } else {
                self.waiting.push(job);
            }
            None
        } else {
            self.flushing.push(job);
            Some(self.start(now))
        }
    }

    /// Flushes the records in `flushing`, ready now: when the flush ends
    /// (its device may make it wait, and a large one is bandwidth-bound).
    fn start(&mut self, now: SimTime) -> SimTime {
        self.in_progress = true;
        let fsync = self.fsync.sample(&mut self.rng);
        (self.begin, self.end) = self.device.flush(now, self.flushing.len(), fsync);
        if self.window.contains(self.begin) {
            self.flushes += 1;
            self.flushed_jobs += self.flushing.len() as u64;
        }
        self.end
    }

    /// The flush under way completes now. Its jobs are durable and are
    /// passed to `committed` in submission order. Returns when the next
    /// flush (of the jobs that queued meanwhile) will finish, if any.
    pub fn flushed(&mut self, now: SimTime, mut committed: impl FnMut(J)) -> Option<SimTime> {
        for job in self.flushing.drain(..) {
            committed(job);
        }
        self.in_progress = false;
        if self.waiting.is_empty() {
            None
        } else {
            std::mem::swap(&mut self.flushing, &mut self.waiting);
            Some(self.start(now))
        }
    }

    /// Forced log writes in the window.
    pub fn flushes(&self) -> u64 {
        self.flushes
    }

    /// Commits per forced write in the window (the group-commit batch size).
    pub fn mean_batch(&self) -> f64 {
        if self.flushes == 0 {
            0.0
        } else {
            self.flushed_jobs as f64 / self.flushes as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{SimDuration, Streams};

    #[test]
    fn commits_arriving_during_a_flush_share_the_next() {
        let w = Window::new(SimDuration::ZERO, SimDuration(10_000));
        let mut g = GroupCommit::new(
            Dist::parse("100ns").unwrap(),
            Streams::new(1, 0).stream("t"),
            w,
        );
        assert_eq!(g.submit('a', SimTime(0)), Some(SimTime(100)));
        assert_eq!(g.submit('b', SimTime(10)), None);
        assert_eq!(g.submit('c', SimTime(20)), None);
        let mut done = Vec::new();
        let next = g.flushed(SimTime(100), |j| done.push(j));
        assert_eq!(done, vec!['a']);
        assert_eq!(next, Some(SimTime(200)));
        assert_eq!(g.flushed(SimTime(200), |j| done.push(j)), None);
        assert_eq!(done, vec!['a', 'b', 'c']);
        assert_eq!(g.flushes(), 2);
        assert_eq!(g.mean_batch(), 1.5);
    }
}

//! Asynchronous replication from the primary's log to read replicas (and
//! from a Raft leader to the followers that serve reads): the log entries
//! kept until every replica has applied them, and each replica's copy of
//! the data.
//!
//! How commits reach a replica and when they show there — in commit order,
//! after a shipping delay, at the replica's own apply capacity — is
//! [`super::apply`]. The copy here holds, per key, the version applied and
//! the newest shipped, so that it can say how long and how much it lags.

use super::ApplyStream;
use crate::check::Version;
use crate::dist::Dist;
use crate::metrics::{LatencyRecorder, Outcome, Trend, Window};
use crate::sim::{SimDuration, SimRng, SimTime};
use crate::workload::KeySpace;

/// One write of a commit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Write {
    pub key: u64,
    pub version: Version,
    pub value: i64,
}

/// Commits on their way to the replicas, by handle; each is dropped once
/// every replica has applied it.
///
/// A failover starts a new epoch of the failed primary's scope (the whole
/// database, or one shard): commits it shipped and the replicas had not yet
/// applied are void (`current` says so), as a promoted replica refuses the
/// old primary's log after the point it took over.
#[derive(Default)]
pub struct ReplicationLog {
    entries: Vec<Shipped>,
    free: Vec<u32>,
    /// The current epoch of each scope (absent: 0).
    epochs: Vec<u32>,
    /// Commits pushed so far: the next one's position in the log.
    pushed: u64,
}

struct Shipped {
    writes: Vec<Write>,
    committed: SimTime,
    /// Replicas yet to apply it.
    remaining: u32,
    scope: u32,
    epoch: u32,
    /// Its position in the log (from 1), in commit order.
    seq: u64,
}

impl ReplicationLog {
    /// Keeps `writes`, committed at `committed`, until `replicas` replicas
    /// have applied them.
    pub fn push(&mut self, writes: &[Write], committed: SimTime, replicas: u32) -> u32 {
        self.push_scoped(writes, committed, replicas, 0)
    }

    /// [`push`](Self::push) for the primary of `scope` (a shard).
    pub fn push_scoped(
        &mut self,
        writes: &[Write],
        committed: SimTime,
        replicas: u32,
        scope: u32,
    ) -> u32 {
        let epoch = self.epochs.get(scope as usize).copied().unwrap_or(0);
        self.pushed += 1;
        let seq = self.pushed;
        match self.free.pop() {
            Some(i) => {
                let e = &mut self.entries[i as usize];
                e.writes.clear();
                e.writes.extend_from_slice(writes);
                (e.committed, e.remaining, e.scope, e.epoch, e.seq) =
                    (committed, replicas, scope, epoch, seq);
                i
            }
            None => {
                self.entries.push(Shipped {
                    writes: writes.to_vec(),
                    committed,
                    remaining: replicas,
                    scope,
                    epoch,
                    seq,
                });
                (self.entries.len() - 1) as u32
            }
        }
    }

    pub fn writes(&self, handle: u32) -> &[Write] {
        &self.entries[handle as usize].writes
    }

    /// The commit's position in the log: later commits have higher ones.
    pub fn seq(&self, handle: u32) -> u64 {
        self.entries[handle as usize].seq
    }

    /// When the commit committed at its primary.
    pub fn committed(&self, handle: u32) -> SimTime {
        self.entries[handle as usize].committed
    }

    /// Whether the commit was shipped in its scope's current epoch (since
    /// that primary's last failover).
    pub fn current(&self, handle: u32) -> bool {
        let e = &self.entries[handle as usize];
        e.epoch == self.epochs.get(e.scope as usize).copied().unwrap_or(0)
    }

    /// A replica was promoted in `scope`: what the old primary shipped is void.
    pub fn new_epoch(&mut self, scope: u32) {
        let i = scope as usize;
        if self.epochs.len() <= i {
            self.epochs.resize(i + 1, 0);
        }
        self.epochs[i] += 1;
    }

    /// One replica applied the commit; frees it after the last.
    pub fn applied(&mut self, handle: u32) {
        let e = &mut self.entries[handle as usize];
        e.remaining -= 1;
        if e.remaining == 0 {
            self.free.push(handle);
        }
    }
}

/// What a replica knows of one key, kept together (one cache line).
#[derive(Clone, Copy, Debug, Default)]
struct KeyCopy {
    value: i64,
    /// Since when the copy has lagged the primary (valid while `shipped > version`).
    behind_since: SimTime,
    /// The applied version.
    version: Version,
    /// The newest version shipped.
    shipped: Version,
}

/// One replica's copy of the data (of every shard's or partition's keys,
/// each shipped by its own primary).
pub struct Replica {
    keys: Vec<KeyCopy>,
    /// The delay of each commit on its way (one network hop by default).
    shipping: Dist,
    rng: SimRng,
    /// Visibility lag (apply − commit) of writes committed in the window.
    visibility: LatencyRecorder,
    /// Visibility lag by commit instant over the whole run, in ns.
    lag_trend: Trend,
    /// ∫ keys behind dt over the window, in ns.
    behind_ns: u128,
    window: Window,
    /// The shipping path (a `lag` fault stalls or slows it).
    pub path: super::Impairment,
}

impl Replica {
    pub fn new(space: &KeySpace, shipping: Dist, rng: SimRng, window: Window) -> Replica {
        Replica {
            keys: space.copies(|value| KeyCopy {
                value,
                ..KeyCopy::default()
            }),
            shipping,
            rng,
            visibility: LatencyRecorder::new(),
            lag_trend: Trend::new(window.end),
            behind_ns: 0,
            window,
            path: super::Impairment::default(),
        }
    }

    /// A commit of `writes` at the primary, committed at `committed`,
    /// shipped on `stream`: when it reaches this replica, after a delay
    /// drawn from `shipping` and behind the commits shipped before it.
    pub fn ship(
        &mut self,
        stream: &mut ApplyStream,
        writes: &[Write],
        committed: SimTime,
    ) -> SimTime {
        let delay = self.shipping.sample(&mut self.rng);
        self.ship_after(stream, writes, committed, delay)
    }

    /// [`ship`](Self::ship) after `delay` (drawn by the caller).
    pub fn ship_after(
        &mut self,
        stream: &mut ApplyStream,
        writes: &[Write],
        committed: SimTime,
        delay: SimDuration,
    ) -> SimTime {
        let at = stream.ship(self.path.arrival(committed, delay));
        for w in writes {
            let k = &mut self.keys[w.key as usize];
            if k.shipped == k.version {
                k.behind_since = committed;
            }
            k.shipped = w.version;
        }
        at
    }

    /// A commit made at `committed` will show here at `shown`: its
    /// visibility lag, counted when it committed in the window.
    pub(super) fn record_lag(&mut self, committed: SimTime, shown: SimTime) {
        if self.window.contains(committed) {
            self.visibility.record(shown - committed, Outcome::Ok);
        }
        self.lag_trend
            .record(committed, (shown - committed).as_nanos() as f64);
    }

    /// Applies a shipped commit now.
    pub fn apply(&mut self, writes: &[Write], now: SimTime) {
        for w in writes {
            let k = &mut self.keys[w.key as usize];
            debug_assert!(
                w.version > k.version,
                "replicas apply a key's writes in order"
            );
            k.version = w.version;
            k.value = w.value;
            if k.version == k.shipped {
                self.behind_ns += self.window.overlap_ns(k.behind_since, now);
            }
        }
    }

    /// The version and value this replica holds for `key` now.
    #[inline]
    pub fn read(&self, key: u64) -> (Version, i64) {
        let k = &self.keys[key as usize];
        (k.version, k.value)
    }

    #[inline]
    pub fn version(&self, key: u64) -> Version {
        self.keys[key as usize].version
    }

    /// Forgets the commits shipped and not yet applied of the keys `of`
    /// selects (their primary failed; they will never arrive).
    pub fn discard_unapplied(&mut self, now: SimTime, of: impl Fn(u64) -> bool) {
        for (key, k) in self.keys.iter_mut().enumerate() {
            if k.shipped > k.version && of(key as u64) {
                k.shipped = k.version;
                self.behind_ns += self.window.overlap_ns(k.behind_since, now);
            }
        }
    }

    /// The version `key` will hold once every shipped commit is applied.
    pub fn drained_version(&self, key: u64) -> Version {
        self.keys[key as usize]
            .shipped
            .max(self.keys[key as usize].version)
    }

    /// Hints that `key` will be read or shipped soon.
    #[inline]
    pub fn prefetch(&self, key: u64) {
        if let Some(k) = self.keys.get(key as usize) {
            super::prefetch::prefetch_all(k);
        }
    }

    /// Apply − commit of the writes committed in the window.
    /// Visibility lag by commit instant over the whole run.
    pub fn lag_trend(&self) -> &Trend {
        &self.lag_trend
    }

    pub fn visibility_lag(&self) -> &LatencyRecorder {
        &self.visibility
    }

    /// Share of key-time (all keys × window) this replica lagged the primary.
    pub fn behind_share(&self) -> f64 {
        let total = self.keys.len() as f64 * self.window.length().as_nanos() as f64;
        if total == 0.0 {
            0.0
        } else {
            self.behind_ns as f64 / total
        }
    }
}

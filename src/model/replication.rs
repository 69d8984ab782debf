//! Asynchronous replication from the primary's log to read replicas (and
//! from a Raft leader to the followers that serve reads).
//!
//! Each commit (one write, or a transaction's writes together) reaches a
//! replica after its own lag, drawn from the replica's `lag` distribution;
//! the commits touching one key arrive in commit order (arrival instant =
//! max(commit + lag, previous arrival of any of its keys)). Drawing each
//! commit's lag independently keeps the visibility lag a reader meets equal
//! to the configured distribution, P(visible after t) = P(L ≤ t), which is
//! what replica-staleness formulas assume. Holding every commit behind all
//! earlier commits of *other* keys as well would turn an `exp(20ms)` lag
//! into the maximum of many draws (about 100 ms at 4,000 writes/s), a burst
//! no real replica shows at steady load; across keys the lag keeps no order.
//!
//! Applying is work: an arriving commit queues for a core of the replica's
//! node (a [`Station`], FIFO with the reads it serves) for the apply CPU of
//! its rows, and becomes visible, atomically, when that work is done — and
//! not before the earlier commits of its keys, so a key's writes still
//! apply in commit order. An idle node adds only the apply time to the lag;
//! a busy one adds its queue.

use super::Station;
use crate::check::Version;
use crate::dist::Dist;
use crate::metrics::{LatencyRecorder, Outcome, Window};
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
}

struct Shipped {
    writes: Vec<Write>,
    committed: SimTime,
    /// Replicas yet to apply it.
    remaining: u32,
    scope: u32,
    epoch: u32,
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
        match self.free.pop() {
            Some(i) => {
                let e = &mut self.entries[i as usize];
                e.writes.clear();
                e.writes.extend_from_slice(writes);
                (e.committed, e.remaining, e.scope, e.epoch) = (committed, replicas, scope, epoch);
                i
            }
            None => {
                self.entries.push(Shipped {
                    writes: writes.to_vec(),
                    committed,
                    remaining: replicas,
                    scope,
                    epoch,
                });
                (self.entries.len() - 1) as u32
            }
        }
    }

    pub fn writes(&self, handle: u32) -> &[Write] {
        &self.entries[handle as usize].writes
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
    /// When the newest shipped write of the key reaches the replica, and
    /// when the newest arrived one is applied.
    arrives_at: SimTime,
    applied_at: SimTime,
    value: i64,
    /// Since when the copy has lagged the primary (valid while `shipped > version`).
    behind_since: SimTime,
    /// The applied version.
    version: Version,
    /// The newest version shipped.
    shipped: Version,
}

pub struct Replica {
    keys: Vec<KeyCopy>,
    lag: Dist,
    rng: SimRng,
    /// Visibility lag (apply − commit) of writes committed in the window.
    visibility: LatencyRecorder,
    /// ∫ keys behind dt over the window, in ns.
    behind_ns: u128,
    window: Window,
    /// The shipping path (a `lag` fault stalls or slows it).
    pub path: super::Impairment,
}

impl Replica {
    pub fn new(space: &KeySpace, lag: Dist, rng: SimRng, window: Window) -> Replica {
        Replica {
            keys: (0..space.total())
                .map(|k| KeyCopy {
                    value: space.initial_value(k),
                    ..KeyCopy::default()
                })
                .collect(),
            lag,
            rng,
            visibility: LatencyRecorder::new(),
            behind_ns: 0,
            window,
            path: super::Impairment::default(),
        }
    }

    /// A commit of `writes` at the primary: when it reaches this replica,
    /// after a lag drawn from `lag`.
    pub fn ship(&mut self, writes: &[Write], committed: SimTime) -> SimTime {
        let lag = self.lag.sample(&mut self.rng);
        self.ship_after(writes, committed, lag)
    }

    /// A commit of `writes` at the primary: when it reaches this replica,
    /// after `lag` (drawn by the caller).
    pub fn ship_after(
        &mut self,
        writes: &[Write],
        committed: SimTime,
        lag: SimDuration,
    ) -> SimTime {
        let mut at = self.path.arrival(committed, lag);
        for w in writes {
            at = at.max(self.keys[w.key as usize].arrives_at);
        }
        for w in writes {
            let k = &mut self.keys[w.key as usize];
            k.arrives_at = at;
            if k.shipped == k.version {
                k.behind_since = committed;
            }
            k.shipped = w.version;
        }
        at
    }

    /// A shipped commit of `writes`, committed at `committed`, reaches the
    /// replica now and queues on its node, `station`, for `service` of one
    /// core (its rows' apply CPU; a cut-off node holds it, as a log stream
    /// is resent). Returns when it is applied: when that work is done, and
    /// not before the earlier commits of its keys. Apply it then.
    pub fn arrive(
        &mut self,
        writes: &[Write],
        committed: SimTime,
        now: SimTime,
        station: &mut Station,
        service: SimDuration,
    ) -> SimTime {
        let mut at = station.enter_held(now, service).done;
        for w in writes {
            at = at.max(self.keys[w.key as usize].applied_at);
        }
        for w in writes {
            self.keys[w.key as usize].applied_at = at;
        }
        if self.window.contains(committed) {
            self.visibility.record(at - committed, Outcome::Ok);
        }
        at
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
            super::prefetch::prefetch(k);
        }
    }

    /// Apply − commit of the writes committed in the window.
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

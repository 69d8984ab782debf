//! A reshard: the cluster grows from N to M shards while it serves, and
//! every key whose owner changes under the placement over M shards moves.
//!
//! The migration copies the moving keys in ascending order, one every
//! 1/`rate` seconds from the reshard's start (so it takes keys/rate
//! seconds when the shards keep up). Moving a key is real work on the
//! shards' cores, competing with the workload: a read (`db.read`) at its
//! old shard, a hop, a write (`db.write`, CPU only: the copy is batched,
//! its log flushes are not charged) at its new one.
//!
//! What clients see, per key (copy, then cut-over):
//! - an operation begun before the key's copy began is served by the old
//!   owner, to its end (retries included); a write it commits there after
//!   the copy's read is copied again (`recopied`: one more read and write)
//!   so the new owner misses nothing;
//! - an operation begun after the copy began is routed to the new owner,
//!   and waits at the client until the key has landed there: the key is
//!   unavailable to it for the copy's duration (counted as `waited`).
//!
//! Nothing is lost; while old operations drain, the two owners can both
//! write the key, and the oracle counts what that does.

use crate::model::router::Router;
use crate::sim::{OpId, SimDuration, SimTime};

/// An operation held at the client until a key it touches has landed.
#[derive(Clone, Copy, Debug)]
pub struct Held {
    pub op: OpId,
    pub shard: u16,
    pub parts: u16,
    pub since: SimTime,
}

/// One reshard's migration and its account.
pub struct Migration {
    /// Which fault of the scenario it is.
    pub fault: usize,
    /// The placement over the new shard count.
    pub next: Router,
    /// The keys whose owner changes, ascending; `keys[i]` is copied from
    /// `began + i / rate`.
    pub keys: Vec<u64>,
    /// The keys the shards hold (those a reshard may move).
    pub on_shards: u64,
    /// When each key's copy began (`FOREVER`: not yet); by key id.
    moved_at: Vec<SimTime>,
    /// Keys whose copy has begun and not landed.
    pub in_flight: Vec<u64>,
    pub held: Vec<Held>,
    pub began: SimTime,
    /// Nanoseconds between two keys' copies.
    pub interval: f64,
    pub landed: u64,
    pub last_landed: SimTime,
    /// CPU spent copying, at the old owners and at the new ones.
    pub source_work: SimDuration,
    pub destination_work: SimDuration,
    pub recopied: u64,
    pub waited: u64,
    pub wait_total: SimDuration,
    pub wait_max: SimDuration,
}

impl Migration {
    pub fn new(
        fault: usize,
        old: &Router,
        next: Router,
        keys: Vec<u64>,
        (total, on_shards): (u64, u64),
        began: SimTime,
        rate: f64,
    ) -> Migration {
        debug_assert!(keys.iter().all(|&k| old.shard(k) != next.shard(k)));
        Migration {
            fault,
            next,
            keys,
            on_shards,
            moved_at: vec![crate::sim::FOREVER; total as usize],
            in_flight: Vec::new(),
            held: Vec::new(),
            began,
            interval: 1e9 / rate,
            landed: 0,
            last_landed: began,
            source_work: SimDuration::ZERO,
            destination_work: SimDuration::ZERO,
            recopied: 0,
            waited: 0,
            wait_total: SimDuration::ZERO,
            wait_max: SimDuration::ZERO,
        }
    }

    /// When key number `i`'s copy begins.
    pub fn start_of(&self, i: usize) -> SimTime {
        self.began + SimDuration((self.interval * i as f64).round() as u64)
    }

    /// Key `key`'s copy begins now.
    pub fn begin(&mut self, key: u64, now: SimTime) {
        self.moved_at[key as usize] = now;
        self.in_flight.push(key);
    }

    /// Key `key` has landed at its new owner.
    pub fn land(&mut self, key: u64, now: SimTime) {
        self.in_flight.retain(|&k| k != key);
        self.landed += 1;
        self.last_landed = now;
    }

    pub fn finished(&self) -> bool {
        self.landed == self.keys.len() as u64
    }

    /// The owner of `key` for an operation begun at `since`: the new one
    /// once its copy had begun.
    #[inline]
    pub fn owner(&self, key: u64, since: SimTime, old: &Router) -> u32 {
        match self.moved_at.get(key as usize) {
            Some(&at) if since >= at => self.next.shard(key),
            _ => old.shard(key),
        }
    }

    /// Whether an operation begun at `since` must wait for `key`: routed
    /// to its new owner, where it has not landed yet.
    pub fn blocks(&self, key: u64, since: SimTime) -> bool {
        self.in_flight.contains(&key) && since >= self.moved_at[key as usize]
    }

    /// Whether a write of `key` committed now by an operation begun at
    /// `since` reached the old owner after the key's copy had begun.
    pub fn behind_copy(&self, key: u64, since: SimTime, now: SimTime) -> bool {
        match self.moved_at.get(key as usize) {
            Some(&at) => since < at && now >= at,
            None => false,
        }
    }

    /// An operation held since `since` goes on now.
    pub fn released(&mut self, since: SimTime, now: SimTime) {
        let wait = now - since;
        self.waited += 1;
        self.wait_total = self.wait_total + wait;
        self.wait_max = self.wait_max.max(wait);
    }

    /// The migration's figures, as they stand now.
    pub fn report(&self, from: u32) -> crate::faults::Migration {
        let round = crate::metrics::round6;
        let (moved, total) = (self.keys.len() as u64, self.on_shards);
        crate::faults::Migration {
            from_shards: from,
            to_shards: self.next.shards(),
            keys_moved: moved,
            keys_on_shards: total,
            moved_share: round(moved as f64 / total.max(1) as f64),
            keys_landed: self.landed,
            migration_s: self
                .finished()
                .then(|| round((self.last_landed - self.began).as_secs_f64())),
            copy_cpu_s_old: round(self.source_work.as_secs_f64()),
            copy_cpu_s_new: round(self.destination_work.as_secs_f64()),
            recopied: self.recopied,
            waited: self.waited,
            wait_mean_ms: if self.waited == 0 {
                0.0
            } else {
                round(self.wait_total.as_secs_f64() * 1e3 / self.waited as f64)
            },
            wait_max_ms: round(self.wait_max.as_secs_f64() * 1e3),
        }
    }

    /// The fault's note: what moved, how long it took, what it cost.
    pub fn note(&self, from: u32) -> String {
        let (moved, total) = (self.keys.len() as u64, self.on_shards);
        let share = moved as f64 / total.max(1) as f64;
        let mean_wait = if self.waited == 0 {
            0.0
        } else {
            self.wait_total.as_secs_f64() * 1e3 / self.waited as f64
        };
        let status = if self.finished() {
            format!("in {:.2} s", (self.last_landed - self.began).as_secs_f64())
        } else {
            format!("unfinished at the end of the run ({} landed)", self.landed)
        };
        format!(
            "{from} → {} shards: {moved} of {total} keys moved ({:.1} %) {status}; copy work \
             {:.3} CPU-s at the old shards, {:.3} at the new; {} writes re-copied; {} requests \
             waited for a key in flight (mean {mean_wait:.3} ms, max {:.3} ms)",
            self.next.shards(),
            share * 100.0,
            self.source_work.as_secs_f64(),
            self.destination_work.as_secs_f64(),
            self.recopied,
            self.waited,
            self.wait_max.as_secs_f64() * 1e3,
        )
    }
}

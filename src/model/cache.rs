//! A cache of key versions: LRU eviction at a fixed capacity in entries and
//! an optional TTL fixed from fill, O(1) amortized per operation. Entries
//! live in a dense array indexed by key, so a lookup touches one 48-byte
//! entry rather than an index and then a slot.
//!
//! Recency is exact LRU kept by stamps: each use of an entry gives it the
//! next stamp and appends (key, stamp) to a FIFO log; the least recently
//! used entry is the one whose current stamp is the oldest in the log, found
//! by dropping from the log's front the records a later use, a removal or
//! an expiry made stale. A hit thus writes its own entry and the log's tail,
//! not two neighbours in a linked list — at 10^6 keys those are cold lines
//! at random. The log is compacted to its live records when it outgrows
//! twice the capacity, so its memory does not grow with run length;
//! compaction tells live records from stale ones by two bitmaps over the
//! keys (present, and met newest first), not by loading each entry.
//!
//! The cache holds whatever version it was given, when it was given it: a
//! fill that arrives after a newer write invalidated the key installs the
//! old value, exactly as in production (the reader-fills-old-value race).
//! Such a fill is a *stale set*: the old value stays until the TTL or the
//! key's next write.
//!
//! Leases (Nishtala et al., "Scaling Memcache at Facebook", NSDI 2013,
//! §3.2.1), when switched on: a lookup that misses is handed a lease token
//! bound to its key, and only the holder of a valid token may fill the key.
//! A writer's invalidation voids the outstanding token, so a fill that
//! raced a write is refused (no stale sets). A token is handed out at most
//! once per `lease_every` per key while it is outstanding: a reader that
//! misses meanwhile is told to wait and look again (a *hot miss*) instead of
//! going to the database, so a herd on a missing hot key costs the database
//! one read rather than one per reader. A fill, an invalidation, a flush or
//! a crash ends the outstanding token, and the next miss gets a new one.

use crate::check::{DivergenceReport, Version};
use crate::metrics::{TimeAverage, Trend, Window, round6};
use crate::sim::{SimDuration, SimTime};
use std::collections::VecDeque;

/// An entry that is not stale.
const NEVER: SimTime = SimTime::MAX;

/// Key `k`'s place in a bitmap over the keys: its word and its bit there.
fn bit_of(k: u32) -> (usize, u64) {
    (k as usize / 64, 1 << (k % 64))
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    /// When the TTL ends (`NEVER` without one).
    expires_at: SimTime,
    value: i64,
    /// Since when the entry has held an older version than the system of
    /// record (`NEVER`: it is current).
    stale_since: SimTime,
    version: Version,
    /// The newest version whose writer's invalidation reached the cache,
    /// present or not: a fill of an older one is a stale set. Kept in the
    /// entry, which the lookup before a fill has loaded, so judging the
    /// fill costs no load from memory of its own.
    invalidated: Version,
    /// Its last use (see `Cache::used`), when present.
    stamp: u64,
    present: bool,
}

impl Default for Entry {
    fn default() -> Self {
        Entry {
            expires_at: NEVER,
            value: 0,
            stale_since: NEVER,
            version: 0,
            invalidated: 0,
            stamp: 0,
            present: false,
        }
    }
}

pub struct Cache {
    capacity: usize,
    /// Zero: entries never expire.
    ttl: SimDuration,
    /// One slot per key.
    entries: Vec<Entry>,
    /// Uses in order, oldest first: (key, its stamp then). A record whose
    /// key has since been used again or removed is stale.
    used: VecDeque<(u32, u64)>,
    /// `Entry::present` again, a bit per key: compaction reads these 1/384
    /// of the entries' bytes instead of a cold entry per record.
    present_bits: Vec<u64>,
    /// Compaction's scratch, a bit per key (all clear between compactions):
    /// the keys whose last use it has met, going newest first.
    seen: Vec<u64>,
    /// The log's length past which it is compacted: twice the capacity,
    /// at least 1,024 records.
    compact_above: usize,
    /// The last stamp given.
    clock: u64,
    len: usize,
    window: Window,
    hits: u64,
    misses: u64,
    evictions: u64,
    expirations: u64,
    /// Entries present, over time (the divergence share's denominator).
    present: TimeAverage,
    /// ∫ stale entries dt over the window, in ns.
    stale_ns: u128,
    /// Crashed or unreachable: lookups miss and stores are dropped (see
    /// `set_down`).
    down: bool,
    /// Leases: `Some(every)` hands a token out at most once per `every` per
    /// key while it is outstanding; `None` (the default) lets any fill in.
    lease_every: Option<SimDuration>,
    /// The outstanding token of each key (empty without leases).
    leases: Vec<LeaseSlot>,
    /// The last token handed out (tokens are never 0).
    last_token: u32,
    /// In the window: fills that installed a stale set.
    stale_sets: u64,
    /// In the window: fills refused for want of a valid token that would
    /// have been stale sets.
    stale_sets_refused: u64,
    /// In the window: misses told to wait for another reader's fill.
    hot_misses: u64,
    /// In the window: reads that waited for a fill and then hit (a
    /// database read saved each).
    reads_saved: u64,
    /// Hits (1) and misses (0) per window over the whole run, warm-up
    /// included: the hit ratio over time.
    trend: Trend,
}

/// The outstanding lease token of a key, and when it was handed out.
#[derive(Clone, Copy, Debug, Default)]
struct LeaseSlot {
    /// 0: none outstanding.
    token: u32,
    issued: SimTime,
}

/// What a lookup that missed gets under leases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lease {
    /// The token the reader must present to fill the key (never 0).
    Granted(u32),
    /// Another reader holds a valid token: wait and look again.
    HotMiss,
    /// No token: leases are off (fill without one), or the cache is down,
    /// or the reader may wait no longer (under leases it does not fill).
    Unleased,
}

/// What became of a fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filled {
    /// Stored; `out_of_order` when it replaced a newer version.
    Stored { out_of_order: bool },
    /// Refused: its token had been voided, or it had none.
    Refused,
    /// Dropped: the cache is down or holds nothing.
    Dropped,
}

/// What a lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    Hit(Version, i64),
    Miss,
}

impl Cache {
    /// A cache of `capacity` entries over keys `0..keys` (fewer than 2^32 − 1).
    pub fn new(capacity: u64, ttl: SimDuration, keys: u64, window: Window) -> Cache {
        // The recency log keeps keys in 32 bits.
        assert!(keys < u64::from(u32::MAX), "key ids must fit in 32 bits");
        Cache {
            capacity: capacity.min(keys) as usize,
            ttl,
            entries: crate::sim::table::filled(keys, Entry::default()),
            used: VecDeque::new(),
            present_bits: vec![0; keys.div_ceil(64) as usize],
            seen: vec![0; keys.div_ceil(64) as usize],
            compact_above: 2 * (capacity.min(keys) as usize).max(512),
            clock: 0,
            len: 0,
            window,
            hits: 0,
            misses: 0,
            evictions: 0,
            expirations: 0,
            present: TimeAverage::new(window),
            stale_ns: 0,
            down: false,
            lease_every: None,
            leases: Vec::new(),
            last_token: 0,
            stale_sets: 0,
            stale_sets_refused: 0,
            hot_misses: 0,
            reads_saved: 0,
            trend: Trend::new(window.end),
        }
    }

    /// Fills the empty cache with its steady state under the reads
    /// `draw` yields, one per `gap` of time: a history of reads is replayed
    /// through the cache (LRU and TTL as in the run, each key at its initial
    /// version 0 and `value`) until `distinct` keys have been read — from
    /// then on an LRU holds exactly the most recent ones — and `more` reads
    /// after that (two TTLs' worth, for the TTL's steady state), or `most`
    /// reads in all; the history ends at t = 0, and the entries then held,
    /// with the TTLs they have left, are the cache at t = 0. Nothing of the
    /// replay is counted.
    pub fn warm(
        &mut self,
        mut draw: impl FnMut() -> u64,
        value: impl Fn(u64) -> i64,
        gap: SimDuration,
        (distinct, more, most): (u64, u64, u64),
    ) {
        debug_assert!(self.is_empty(), "a warm start fills an empty cache");
        if self.capacity == 0 {
            return;
        }
        let mut seen = vec![0u64; self.entries.len().div_ceil(64)];
        let (mut found, mut after, mut draws) = (0u64, 0u64, 0u64);
        let mut t = SimTime::ZERO;
        while draws < most && (found < distinct || after < more) {
            draws += 1;
            if found >= distinct {
                after += 1;
            }
            let key = draw();
            let (word, bit) = bit_of(key as u32);
            if seen[word] & bit == 0 {
                seen[word] |= bit;
                found += 1;
            }
            let k = key as u32;
            let e = self.entries[key as usize];
            if e.present && t < e.expires_at {
                self.touch(k);
            } else {
                // An expired entry is refilled in place, with a new stamp.
                if !e.present {
                    if self.len == self.capacity {
                        let lru = self.least_recent();
                        self.set_present(lru, false);
                    } else {
                        self.len += 1;
                    }
                }
                self.set_present(k, true);
                let e = &mut self.entries[key as usize];
                e.version = 0;
                e.value = value(key);
                e.stale_since = NEVER;
                e.expires_at = if self.ttl.is_zero() {
                    NEVER
                } else {
                    t + self.ttl
                };
                self.push_front(k);
            }
            t += gap;
        }
        // The past ends at t = 0: what has expired by then goes, the rest
        // keeps the life it has left.
        let end = t;
        self.compact();
        for i in 0..self.used.len() {
            let k = self.used[i].0;
            let e = &mut self.entries[k as usize];
            if e.expires_at != NEVER {
                if e.expires_at <= end {
                    self.set_present(k, false);
                    self.len -= 1;
                } else {
                    e.expires_at = SimTime::ZERO + (e.expires_at - end);
                }
            }
        }
        self.present.set(SimTime::ZERO, self.len as u64);
    }

    /// Entries the cache holds at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The hit ratio per window over the whole run.
    pub fn trend(&self) -> &Trend {
        &self.trend
    }

    /// Switches leases on: a token per key at most once per `every` while
    /// it is outstanding (see the module's documentation).
    pub fn with_leases(mut self, every: SimDuration) -> Cache {
        self.lease_every = Some(every);
        self.leases = crate::sim::table::filled(self.entries.len() as u64, LeaseSlot::default());
        self
    }

    /// Whether fills need a lease token.
    pub fn leases(&self) -> bool {
        self.lease_every.is_some()
    }

    /// Drops every entry now (a flush, or the memory a crash loses).
    pub fn clear(&mut self, now: SimTime) {
        while self.len > 0 {
            let k = self.least_recent();
            self.remove(k, now);
        }
        // Outstanding tokens go with the memory.
        self.leases.fill(LeaseSlot::default());
    }

    /// The cache goes down (`true`) or comes back: while down, the
    /// application treats it as absent — every lookup is a miss and every
    /// store is dropped — so reads fall through to the database.
    pub fn set_down(&mut self, down: bool) {
        self.down = down;
    }

    /// Whether the cache is down (see `set_down`).
    pub fn is_down(&self) -> bool {
        self.down
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Entry `k` (present) is used now: it becomes the most recent.
    fn push_front(&mut self, k: u32) {
        self.clock += 1;
        self.entries[k as usize].stamp = self.clock;
        self.used.push_back((k, self.clock));
        if self.used.len() > self.compact_above {
            self.compact();
        }
    }

    /// Makes a present entry the most recent, unless it is already.
    fn touch(&mut self, k: u32) {
        if self.entries[k as usize].stamp != self.clock {
            self.push_front(k);
        }
    }

    /// Whether a record of the log is an entry's last use.
    fn live(&self, (k, stamp): (u32, u64)) -> bool {
        let e = &self.entries[k as usize];
        e.present && e.stamp == stamp
    }

    /// The least recently used present entry, taken off the log (the cache
    /// holds one): the log's oldest live record. The stale records before
    /// it go, their entries loaded a few records ahead.
    fn least_recent(&mut self) -> u32 {
        loop {
            if let Some(&(ahead, _)) = self.used.get(8) {
                super::prefetch::prefetch(&self.entries[ahead as usize]);
            }
            let record = self
                .used
                .pop_front()
                .expect("a present entry is in the log");
            if self.live(record) {
                return record.0;
            }
        }
    }

    /// Drops the log's stale records, keeping the live ones in order. Going
    /// newest first, a record is live when its key is present and it is the
    /// first of that key met (its last use) — what `live` says, read from
    /// two bitmaps rather than from the entries, which at 10^6 keys would
    /// be a miss per record. The live records are moved to the log's back
    /// as they are met, and the rest dropped from its front.
    fn compact(&mut self) {
        let (seen, present) = (&mut self.seen, &self.present_bits);
        let log = self.used.make_contiguous();
        let mut kept = log.len();
        // Without branches: whether a record stays is a coin toss to the
        // processor. The slot below the kept ones is free to write.
        for i in (0..log.len()).rev() {
            let k = log[i].0;
            let (word, bit) = bit_of(k);
            let present = present[word] & bit;
            let first = present & !seen[word];
            seen[word] |= present;
            log[kept - 1] = log[i];
            kept -= usize::from(first != 0);
        }
        // The bits set are the kept records' keys.
        for &(k, _) in &log[kept..] {
            let (word, bit) = bit_of(k);
            seen[word] &= !bit;
        }
        self.used.drain(..kept);
        debug_assert!(self.used.iter().all(|&r| self.live(r)));
    }

    /// Entry `k` comes (`true`) or goes.
    fn set_present(&mut self, k: u32, present: bool) {
        self.entries[k as usize].present = present;
        let (word, bit) = bit_of(k);
        if present {
            self.present_bits[word] |= bit;
        } else {
            self.present_bits[word] &= !bit;
        }
    }

    fn remove(&mut self, k: u32, now: SimTime) {
        self.end_staleness(k, now);
        self.set_present(k, false);
        self.len -= 1;
        self.present.set(now, self.len as u64);
    }

    /// Closes a stale interval of entry `k`, if one is open.
    fn end_staleness(&mut self, k: u32, now: SimTime) {
        let e = &mut self.entries[k as usize];
        if e.stale_since != NEVER {
            self.stale_ns += self.window.overlap_ns(e.stale_since, now);
            e.stale_since = NEVER;
        }
    }

    /// Looks `key` up now; a hit refreshes its recency. An expired entry is
    /// dropped and counts as a miss. Hits and misses in the window count
    /// towards the hit ratio.
    #[inline]
    pub fn get(&mut self, key: u64, now: SimTime) -> Lookup {
        let k = key as u32;
        let e = self.entries[key as usize];
        let found = if !e.present || self.down {
            None
        } else if now >= e.expires_at {
            self.remove(k, now);
            self.expirations += 1;
            None
        } else {
            self.touch(k);
            Some((e.version, e.value))
        };
        let measured = self.window.contains(now);
        self.trend.record(now, f64::from(u8::from(found.is_some())));
        match found {
            Some((v, value)) => {
                self.hits += u64::from(measured);
                Lookup::Hit(v, value)
            }
            None => {
                self.misses += u64::from(measured);
                Lookup::Miss
            }
        }
    }

    /// Stores `version` (with `value`) for `key` now — a fill after a miss,
    /// or a set after a write — evicting the least recently used entry when
    /// full; the TTL runs from now. `current` is the system of record's
    /// version, to account divergence. Returns true when the entry held a
    /// newer version, which this older one replaced (an out-of-order apply).
    pub fn put(
        &mut self,
        key: u64,
        version: Version,
        value: i64,
        current: Version,
        now: SimTime,
    ) -> bool {
        if self.capacity == 0 || self.down {
            return false;
        }
        let k = key as u32;
        let older = if self.entries[key as usize].present {
            let replaced = self.entries[key as usize].version;
            self.end_staleness(k, now);
            self.touch(k);
            version < replaced
        } else {
            if self.len == self.capacity {
                let lru = self.least_recent();
                self.remove(lru, now);
                self.evictions += 1;
            }
            self.set_present(k, true);
            self.push_front(k);
            self.len += 1;
            self.present.set(now, self.len as u64);
            false
        };
        let e = &mut self.entries[key as usize];
        e.version = version;
        e.value = value;
        e.expires_at = if self.ttl.is_zero() {
            NEVER
        } else {
            now + self.ttl
        };
        if version < current {
            e.stale_since = now;
        }
        older
    }

    /// A lookup of `key` missed now: under leases, the reader gets a token
    /// unless another reader holds one handed out less than `lease_every`
    /// ago — a hot miss: it waits and looks again when it `may_wait`, else
    /// it reads on without a token (`Unleased`), and does not fill.
    pub fn lease(&mut self, key: u64, may_wait: bool, now: SimTime) -> Lease {
        let Some(every) = self.lease_every else {
            return Lease::Unleased;
        };
        if self.down {
            return Lease::Unleased;
        }
        let slot = &mut self.leases[key as usize];
        if slot.token != 0 && now < slot.issued + every {
            if !may_wait {
                return Lease::Unleased;
            }
            self.hot_misses += u64::from(self.window.contains(now));
            return Lease::HotMiss;
        }
        self.last_token = self.last_token.checked_add(1).unwrap_or(1);
        *slot = LeaseSlot {
            token: self.last_token,
            issued: now,
        };
        Lease::Granted(self.last_token)
    }

    /// A reader that waited out a hot miss found `key` now: one database
    /// read saved.
    pub fn read_saved(&mut self, now: SimTime) {
        self.reads_saved += u64::from(self.window.contains(now));
    }

    /// A reader's fill of `key` after a miss, with the lease `token` it was
    /// handed (0: none): under leases only the holder of the key's valid
    /// token may store, and its token is then used up; without leases
    /// every fill stores (see `put`). A stored fill older than a version
    /// whose invalidation already reached the cache is a stale set.
    pub fn fill(
        &mut self,
        key: u64,
        token: u32,
        version: Version,
        value: i64,
        current: Version,
        now: SimTime,
    ) -> Filled {
        if self.capacity == 0 || self.down {
            return Filled::Dropped;
        }
        let stale = version < self.entries[key as usize].invalidated;
        let measured = u64::from(self.window.contains(now) && stale);
        if self.lease_every.is_some() {
            let slot = &mut self.leases[key as usize];
            if token == 0 || slot.token != token {
                self.stale_sets_refused += measured;
                return Filled::Refused;
            }
            slot.token = 0;
        }
        self.stale_sets += measured;
        Filled::Stored {
            out_of_order: self.put(key, version, value, current, now),
        }
    }

    /// A writer committed `version` of `key` and invalidates its entry now:
    /// the entry is dropped and any outstanding lease token voided (lost
    /// while the cache is unreachable).
    pub fn invalidate(&mut self, key: u64, version: Version, now: SimTime) {
        if self.down {
            return;
        }
        self.written(key, version);
        self.delete(key, now);
    }

    /// A writer committed `version` of `key` and sets it now in place of
    /// the entry (invalidation by update), voiding any outstanding token.
    /// Returns true when the entry held a newer version (see `put`).
    pub fn update(
        &mut self,
        key: u64,
        version: Version,
        value: i64,
        current: Version,
        now: SimTime,
    ) -> bool {
        if self.down {
            return false;
        }
        self.written(key, version);
        if let Some(slot) = self.leases.get_mut(key as usize) {
            slot.token = 0;
        }
        self.put(key, version, value, current, now)
    }

    /// Notes that a writer's `version` of `key` reached the cache.
    fn written(&mut self, key: u64, version: Version) {
        let v = &mut self.entries[key as usize].invalidated;
        *v = (*v).max(version);
    }

    /// A fault begins or ends here: a crash empties the cache and keeps it
    /// down until it ends (it restarts empty); a partition keeps it
    /// unreachable, entries kept but blind to the invalidations it misses;
    /// a flush empties it. (`slow` is its server's.)
    pub fn on_fault(&mut self, kind: crate::faults::FaultKind, begins: bool, now: SimTime) {
        use crate::faults::FaultKind;
        match kind {
            FaultKind::Crash if begins => {
                self.clear(now);
                self.set_down(true);
            }
            FaultKind::Partition if begins => self.set_down(true),
            FaultKind::Crash | FaultKind::Partition => self.set_down(false),
            FaultKind::Flush if begins => self.clear(now),
            _ => {}
        }
    }

    /// Drops `key` now (an invalidation after a write; lost while the cache
    /// is unreachable).
    pub fn delete(&mut self, key: u64, now: SimTime) {
        if self.down {
            return;
        }
        if let Some(slot) = self.leases.get_mut(key as usize) {
            slot.token = 0;
        }
        if self.entries[key as usize].present {
            self.remove(key as u32, now);
        }
    }

    /// The system of record committed `version` of `key` now: an entry
    /// holding an older one becomes stale.
    #[inline]
    pub fn source_committed(&mut self, key: u64, version: Version, now: SimTime) {
        let e = &mut self.entries[key as usize];
        if e.present && e.version < version && e.stale_since == NEVER {
            e.stale_since = now;
        }
    }

    /// Every entry held: (key, version).
    pub fn entries(&self) -> impl Iterator<Item = (u64, Version)> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.present)
            .map(|(k, e)| (k as u64, e.version))
    }

    /// How the cache differs from the system of record after the run
    /// (`current`: the record's version of a key): entries older or newer
    /// than the record's, and the share of entry-time it held stale ones.
    pub fn divergence(&self, current: impl Fn(u64) -> Version) -> DivergenceReport {
        let mut d = DivergenceReport {
            diverged_share: round6(self.stale_share()),
            ..DivergenceReport::default()
        };
        for (key, version) in self.entries() {
            d.older += u64::from(version < current(key));
            d.phantom += u64::from(version > current(key));
        }
        d
    }

    /// Share of entry-time (entries held × time) the cache held stale
    /// entries, over the window; stale entries still held count to its end.
    pub fn stale_share(&self) -> f64 {
        let mut stale = self.stale_ns;
        for e in self
            .entries
            .iter()
            .filter(|e| e.present && e.stale_since != NEVER)
        {
            stale += self.window.overlap_ns(e.stale_since, self.window.end);
        }
        let held = self.present.mean() * self.window.length().as_nanos() as f64;
        if held == 0.0 {
            0.0
        } else {
            stale as f64 / held
        }
    }

    /// Hints that `key` will be looked up soon.
    #[inline]
    pub fn prefetch(&self, key: u64) {
        if let Some(e) = self.entries.get(key as usize) {
            super::prefetch::prefetch_all(e);
        }
    }

    /// The version cached for `key`, without touching recency or expiry.
    pub fn peek(&self, key: u64) -> Option<Version> {
        let e = &self.entries[key as usize];
        e.present.then_some(e.version)
    }

    /// Hits / lookups in the window (0 when there were none).
    pub fn hit_ratio(&self) -> f64 {
        let lookups = self.hits + self.misses;
        if lookups == 0 {
            0.0
        } else {
            self.hits as f64 / lookups as f64
        }
    }

    pub fn hits(&self) -> u64 {
        self.hits
    }

    pub fn misses(&self) -> u64 {
        self.misses
    }

    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    pub fn expirations(&self) -> u64 {
        self.expirations
    }

    /// Fills in the window that installed a version older than one whose
    /// invalidation had already reached the cache.
    pub fn stale_sets(&self) -> u64 {
        self.stale_sets
    }

    /// Fills in the window refused under leases that would have been stale
    /// sets.
    pub fn stale_sets_refused(&self) -> u64 {
        self.stale_sets_refused
    }

    /// Misses in the window told to wait for another reader's fill.
    pub fn hot_misses(&self) -> u64 {
        self.hot_misses
    }

    /// Reads in the window that waited out a hot miss and then hit.
    pub fn reads_saved(&self) -> u64 {
        self.reads_saved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(capacity: u64, ttl_ns: u64) -> Cache {
        let w = Window::new(SimDuration::ZERO, SimDuration(1_000_000));
        Cache::new(capacity, SimDuration(ttl_ns), 100, w)
    }

    #[test]
    fn a_warm_start_leaves_expiries_spread_over_the_ttl() {
        // 100 keys read uniformly, one read per ms, room for all, TTL 1 s:
        // each entry keeps the life its last fill left it, so the expiries
        // spread over the TTL instead of all falling at t = ttl.
        let mut c = cache(100, 1_000_000_000);
        let mut x = 7u64;
        let draw = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % 100
        };
        c.warm(draw, |_| 0, SimDuration(1_000_000), (100, 2_000, 100_000));
        let expiries: Vec<u64> = (0..100)
            .map(|k| c.entries[k as usize])
            .filter(|e| e.present)
            .map(|e| e.expires_at.as_nanos())
            .collect();
        assert!(expiries.len() >= 90, "{} entries", expiries.len());
        let (lo, hi) = (
            expiries.iter().min().unwrap(),
            expiries.iter().max().unwrap(),
        );
        assert!(
            *lo < 250_000_000 && *hi > 750_000_000,
            "expiries between {lo} and {hi} ns"
        );
    }

    fn put(c: &mut Cache, key: u64, version: Version, at: u64) -> bool {
        c.put(key, version, i64::from(version) * 10, version, SimTime(at))
    }

    #[test]
    fn evicts_the_least_recently_used() {
        let mut c = cache(2, 0);
        let t = SimTime(1);
        put(&mut c, 1, 1, 1);
        put(&mut c, 2, 1, 1);
        assert_eq!(c.get(1, t), Lookup::Hit(1, 10)); // 2 is now the LRU
        put(&mut c, 3, 1, 1);
        assert_eq!(c.get(2, t), Lookup::Miss);
        assert_eq!(c.get(1, t), Lookup::Hit(1, 10));
        assert_eq!(c.get(3, t), Lookup::Hit(1, 10));
        assert_eq!(c.len(), 2);
        assert_eq!(c.evictions(), 1);
    }

    proptest::proptest! {
        /// Lookups, fills, invalidations and flushes over 12 keys in a
        /// cache of 4: the same hits and the same entries after every step
        /// as a list kept in recency order, most recent last.
        #[test]
        fn evicts_exactly_as_a_recency_list(
            steps in proptest::collection::vec((0u8..8, 0u64..12), 1..600)
        ) {
            let mut c = cache(4, 0);
            // Compacted whenever the log outgrows twice the capacity.
            c.compact_above = 8;
            let mut order: Vec<u64> = Vec::new();
            for (i, (op, key)) in steps.into_iter().enumerate() {
                let t = SimTime(i as u64);
                match op {
                    0..=3 => {
                        let hit = order.contains(&key);
                        if hit {
                            order.retain(|&k| k != key);
                            order.push(key);
                        }
                        proptest::prop_assert_eq!(c.get(key, t) != Lookup::Miss, hit);
                    }
                    4..=5 => {
                        put(&mut c, key, 1, i as u64);
                        order.retain(|&k| k != key);
                        if order.len() == 4 {
                            order.remove(0);
                        }
                        order.push(key);
                    }
                    6 => {
                        c.invalidate(key, 2, t);
                        order.retain(|&k| k != key);
                    }
                    _ if key == 0 => {
                        c.clear(t);
                        order.clear();
                    }
                    _ => {}
                }
                let mut held: Vec<u64> = c.entries().map(|(k, _)| k).collect();
                let mut want = order.clone();
                held.sort_unstable();
                want.sort_unstable();
                proptest::prop_assert_eq!(held, want);
            }
        }
    }

    #[test]
    fn the_recency_log_stays_within_twice_the_capacity() {
        // A million hits on one of ten keys would be a million records
        // without compaction.
        let mut c = cache(10, 0);
        for k in 0..10 {
            put(&mut c, k, 1, 0);
        }
        for i in 0..1_000_000u64 {
            c.get(i % 10, SimTime(i));
            assert!(c.used.len() <= 2 * 512 + 1, "{} records", c.used.len());
        }
        assert_eq!(c.len(), 10);
    }

    #[test]
    fn ttl_runs_from_the_fill() {
        let mut c = cache(10, 100);
        put(&mut c, 5, 3, 0);
        assert_eq!(
            c.get(5, SimTime(99)),
            Lookup::Hit(3, 30),
            "a hit does not extend the TTL"
        );
        assert_eq!(c.get(5, SimTime(100)), Lookup::Miss);
        put(&mut c, 5, 4, 150);
        assert_eq!(c.get(5, SimTime(249)), Lookup::Hit(4, 40));
        assert_eq!(c.expirations(), 1);
    }

    #[test]
    fn a_late_fill_installs_an_old_version() {
        let mut c = cache(10, 0);
        put(&mut c, 1, 2, 0); // set after a write of v2
        c.delete(1, SimTime(1)); // the next write's invalidation
        assert!(
            !put(&mut c, 1, 2, 5),
            "a fill into an empty slot is in order"
        );
        assert_eq!(c.peek(1), Some(2));
        assert!(
            c.put(1, 1, 10, 3, SimTime(6)),
            "replacing v2 by v1 is out of order"
        );
    }

    #[test]
    fn staleness_is_accounted_while_held() {
        let mut c = cache(10, 0);
        put(&mut c, 1, 1, 0);
        c.source_committed(1, 2, SimTime(400_000)); // stale from here
        c.delete(1, SimTime(600_000));
        // Held 600 µs of which 200 µs stale.
        assert!(
            (c.stale_share() - 1.0 / 3.0).abs() < 1e-9,
            "{}",
            c.stale_share()
        );
    }

    #[test]
    fn a_lease_voided_by_a_delete_refuses_the_stale_set() {
        let mut c = cache(10, 0).with_leases(SimDuration(1_000));
        // A misses and is handed a token; B misses meanwhile: a hot miss.
        let Lease::Granted(a) = c.lease(1, true, SimTime(0)) else {
            panic!("a token")
        };
        assert_eq!(c.lease(1, true, SimTime(10)), Lease::HotMiss);
        // A writer's v1 is invalidated before A's fill of v0 lands.
        c.invalidate(1, 1, SimTime(20));
        assert_eq!(c.fill(1, a, 0, 0, 1, SimTime(30)), Filled::Refused);
        assert_eq!((c.stale_sets(), c.stale_sets_refused()), (0, 1));
        // The next miss gets a new token, and its fill of v1 stores.
        let Lease::Granted(b) = c.lease(1, true, SimTime(40)) else {
            panic!("a new token after the delete")
        };
        let stored = Filled::Stored {
            out_of_order: false,
        };
        assert_eq!(c.fill(1, b, 1, 10, 1, SimTime(50)), stored);
        assert_eq!(c.fill(1, b, 1, 10, 1, SimTime(60)), Filled::Refused);
        assert_eq!(c.hot_misses(), 1);
    }

    #[test]
    fn without_leases_the_racing_fill_is_a_stale_set() {
        let mut c = cache(10, 0);
        assert_eq!(c.lease(1, true, SimTime(0)), Lease::Unleased);
        c.invalidate(1, 1, SimTime(20));
        let stored = Filled::Stored {
            out_of_order: false,
        };
        assert_eq!(c.fill(1, 0, 0, 0, 1, SimTime(30)), stored);
        assert_eq!((c.stale_sets(), c.stale_sets_refused()), (1, 0));
    }

    #[test]
    fn a_token_is_handed_out_again_after_lease_every() {
        let mut c = cache(10, 0).with_leases(SimDuration(1_000));
        assert!(matches!(c.lease(1, true, SimTime(0)), Lease::Granted(_)));
        assert_eq!(c.lease(1, true, SimTime(999)), Lease::HotMiss);
        assert!(matches!(
            c.lease(1, true, SimTime(1_000)),
            Lease::Granted(_)
        ));
    }

    #[test]
    fn zero_capacity_caches_nothing() {
        let mut c = cache(0, 0);
        put(&mut c, 1, 1, 0);
        assert_eq!(c.get(1, SimTime(0)), Lookup::Miss);
    }
}

//! A cache of key versions: LRU eviction at a fixed capacity in entries and
//! an optional TTL fixed from fill, O(1) per operation (a dense key index
//! and an intrusive doubly linked list in a slab).
//!
//! The cache holds whatever version it was given, when it was given it: a
//! fill that arrives after a newer write invalidated the key installs the
//! old value, exactly as in production (the reader-fills-old-value race).

use crate::check::Version;
use crate::metrics::Window;
use crate::sim::{SimDuration, SimTime};

const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Entry {
    key: u64,
    version: Version,
    filled_at: SimTime,
    prev: u32,
    next: u32,
}

pub struct Cache {
    capacity: usize,
    /// Zero: entries never expire.
    ttl: SimDuration,
    /// Per key, 1 + slot index (0: absent).
    index: Vec<u32>,
    slots: Vec<Entry>,
    free: Vec<u32>,
    /// Most recently used.
    head: u32,
    /// Least recently used: evicted first.
    tail: u32,
    len: usize,
    window: Window,
    hits: u64,
    misses: u64,
    evictions: u64,
    expirations: u64,
}

/// What a lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    Hit(Version),
    Miss,
}

impl Cache {
    pub fn new(capacity: u64, ttl: SimDuration, keys: u64, window: Window) -> Cache {
        let capacity = capacity.min(keys) as usize;
        Cache {
            capacity,
            ttl,
            index: vec![0; keys as usize],
            slots: Vec::with_capacity(capacity.min(1 << 20)),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            len: 0,
            window,
            hits: 0,
            misses: 0,
            evictions: 0,
            expirations: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn slot(&self, key: u64) -> Option<u32> {
        match self.index[key as usize] {
            0 => None,
            i => Some(i - 1),
        }
    }

    fn unlink(&mut self, i: u32) {
        let Entry { prev, next, .. } = self.slots[i as usize];
        if prev == NIL {
            self.head = next;
        } else {
            self.slots[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.slots[next as usize].prev = prev;
        }
    }

    fn push_front(&mut self, i: u32) {
        self.slots[i as usize].prev = NIL;
        self.slots[i as usize].next = self.head;
        if self.head != NIL {
            self.slots[self.head as usize].prev = i;
        }
        self.head = i;
        if self.tail == NIL {
            self.tail = i;
        }
    }

    fn remove_slot(&mut self, i: u32) {
        self.unlink(i);
        let key = self.slots[i as usize].key;
        self.index[key as usize] = 0;
        self.free.push(i);
        self.len -= 1;
    }

    /// Looks `key` up now; a hit refreshes its recency. An expired entry is
    /// dropped and counts as a miss. Hits and misses in the window count
    /// towards the hit ratio.
    #[inline]
    pub fn get(&mut self, key: u64, now: SimTime) -> Lookup {
        let found = match self.slot(key) {
            Some(i) => {
                let e = self.slots[i as usize];
                if !self.ttl.is_zero() && now >= e.filled_at + self.ttl {
                    self.remove_slot(i);
                    self.expirations += 1;
                    None
                } else {
                    self.unlink(i);
                    self.push_front(i);
                    Some(e.version)
                }
            }
            None => None,
        };
        let measured = self.window.contains(now);
        match found {
            Some(v) => {
                self.hits += u64::from(measured);
                Lookup::Hit(v)
            }
            None => {
                self.misses += u64::from(measured);
                Lookup::Miss
            }
        }
    }

    /// Stores `version` for `key` now (a fill after a miss, or a set after a
    /// write), evicting the least recently used entry when full. The TTL
    /// runs from now.
    pub fn put(&mut self, key: u64, version: Version, now: SimTime) {
        if self.capacity == 0 {
            return;
        }
        if let Some(i) = self.slot(key) {
            let e = &mut self.slots[i as usize];
            e.version = version;
            e.filled_at = now;
            self.unlink(i);
            self.push_front(i);
            return;
        }
        if self.len == self.capacity {
            let lru = self.tail;
            self.remove_slot(lru);
            self.evictions += 1;
        }
        let entry = Entry {
            key,
            version,
            filled_at: now,
            prev: NIL,
            next: NIL,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = entry;
                i
            }
            None => {
                self.slots.push(entry);
                (self.slots.len() - 1) as u32
            }
        };
        self.index[key as usize] = i + 1;
        self.push_front(i);
        self.len += 1;
    }

    /// Drops `key` (an invalidation after a write).
    pub fn delete(&mut self, key: u64) {
        if let Some(i) = self.slot(key) {
            self.remove_slot(i);
        }
    }

    /// The version cached for `key`, without touching recency or expiry.
    pub fn peek(&self, key: u64) -> Option<Version> {
        self.slot(key).map(|i| self.slots[i as usize].version)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(capacity: u64, ttl_ns: u64) -> Cache {
        let w = Window::new(SimDuration::ZERO, SimDuration(1_000_000));
        Cache::new(capacity, SimDuration(ttl_ns), 100, w)
    }

    #[test]
    fn evicts_the_least_recently_used() {
        let mut c = cache(2, 0);
        let t = SimTime(1);
        c.put(1, 1, t);
        c.put(2, 1, t);
        assert_eq!(c.get(1, t), Lookup::Hit(1)); // 2 is now the LRU
        c.put(3, 1, t);
        assert_eq!(c.get(2, t), Lookup::Miss);
        assert_eq!(c.get(1, t), Lookup::Hit(1));
        assert_eq!(c.get(3, t), Lookup::Hit(1));
        assert_eq!(c.len(), 2);
        assert_eq!(c.evictions(), 1);
    }

    #[test]
    fn ttl_runs_from_the_fill() {
        let mut c = cache(10, 100);
        c.put(5, 3, SimTime(0));
        assert_eq!(
            c.get(5, SimTime(99)),
            Lookup::Hit(3),
            "a hit does not extend the TTL"
        );
        assert_eq!(c.get(5, SimTime(100)), Lookup::Miss);
        c.put(5, 4, SimTime(150));
        assert_eq!(c.get(5, SimTime(249)), Lookup::Hit(4));
        assert_eq!(c.expirations(), 1);
    }

    #[test]
    fn a_late_fill_installs_an_old_version() {
        let mut c = cache(10, 0);
        c.put(1, 2, SimTime(0)); // set after a write of v2
        c.delete(1); // the next write's invalidation
        c.put(1, 2, SimTime(5)); // a reader that missed earlier fills v2
        assert_eq!(c.peek(1), Some(2));
    }

    #[test]
    fn zero_capacity_caches_nothing() {
        let mut c = cache(0, 0);
        c.put(1, 1, SimTime(0));
        assert_eq!(c.get(1, SimTime(0)), Lookup::Miss);
    }
}

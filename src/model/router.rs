//! Shard routing: which shard owns a key, by `hash`, `range` or `directory`
//! placement of either the key itself or its entity group (`partition_by`).
//!
//! - `hash`: a fixed 64-bit mix of the partition id, modulo the shard count:
//!   even spread, no locality between neighbouring ids.
//! - `range`: contiguous slices of the partition ids: neighbouring ids share a
//!   shard, so a popular range (the newest ids, a sequential pattern) makes a
//!   hot shard.
//! - `directory`: a lookup table from partition id to shard, placed like
//!   `hash`; routing needs a lookup (a separate service, cached by clients),
//!   which the architecture charges for.

use serde::{Deserialize, Serialize};

use crate::workload::KeySpace;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ShardPlacement {
    #[default]
    Hash,
    Range,
    Directory,
}

/// What is partitioned: each key on its own, or whole entity groups.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartitionBy {
    #[default]
    Key,
    Group,
}

#[derive(Clone, Debug)]
pub struct Router {
    placement: ShardPlacement,
    partition_by: PartitionBy,
    shards: u32,
    space: KeySpace,
}

/// SplitMix64's finaliser: a fixed, well-mixed hash of an id.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Router {
    pub fn new(
        placement: ShardPlacement,
        partition_by: PartitionBy,
        shards: u32,
        space: KeySpace,
    ) -> Router {
        assert!(shards >= 1, "at least one shard");
        Router {
            placement,
            partition_by,
            shards,
            space,
        }
    }

    pub fn shards(&self) -> u32 {
        self.shards
    }

    /// The same placement over `shards` shards (a reshard's target).
    pub fn resized(&self, shards: u32) -> Router {
        Router::new(self.placement, self.partition_by, shards, self.space)
    }

    pub fn placement(&self) -> ShardPlacement {
        self.placement
    }

    /// The partition id of `key` and how many ids there are: the key itself
    /// among all keys, or its group among the groups.
    fn partition(&self, key: u64) -> (u64, u64) {
        match self.partition_by {
            PartitionBy::Key => (key, self.space.total()),
            PartitionBy::Group => (self.space.group(key), self.space.groups),
        }
    }

    /// The shard that owns `key`.
    #[inline]
    pub fn shard(&self, key: u64) -> u32 {
        let (id, ids) = self.partition(key);
        let n = u64::from(self.shards);
        let s = match self.placement {
            ShardPlacement::Hash | ShardPlacement::Directory => mix64(id) % n,
            ShardPlacement::Range => (id * n / ids.max(1)).min(n - 1),
        };
        s as u32
    }

    /// Whether routing needs a directory lookup.
    pub fn needs_lookup(&self) -> bool {
        self.placement == ShardPlacement::Directory
    }

    /// The partition id a directory lookup resolves (for caching lookups).
    pub fn directory_entry(&self, key: u64) -> u64 {
        self.partition(key).0
    }
}

/// The share of partition ids whose owner changes when `hash` placement
/// goes from `from` to `to` shards: an id stays where h mod `from` = h mod
/// `to`, which over a hash uniform modulo lcm(from, to) holds for
/// gcd(from, to)/`to` of them, so 1 − gcd/`to` move (8 → 12: 2/3; a
/// consistent-hash ring would move (to − from)/to, 1/3).
pub fn hash_moved_share(from: u32, to: u32) -> f64 {
    let (mut a, mut b) = (from, to);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    1.0 - f64::from(a) / f64::from(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::WorkloadConfig;

    fn space() -> KeySpace {
        KeySpace::new(&WorkloadConfig {
            keys: 10_000,
            groups: 100,
            ..WorkloadConfig::default()
        })
    }

    #[test]
    fn hash_spreads_evenly() {
        let r = Router::new(ShardPlacement::Hash, PartitionBy::Key, 8, space());
        let mut counts = [0u32; 8];
        for k in 0..10_000 {
            counts[r.shard(k) as usize] += 1;
        }
        assert!(
            counts.iter().all(|c| (1100..1400).contains(c)),
            "{counts:?}"
        );
    }

    #[test]
    fn range_keeps_neighbours_together() {
        let r = Router::new(ShardPlacement::Range, PartitionBy::Key, 4, space());
        assert_eq!(r.shard(0), 0);
        assert_eq!(r.shard(1), 0);
        assert_eq!(r.shard(space().total() - 1), 3);
        // The first quarter of the ids is shard 0's.
        assert_eq!(r.shard(space().total() / 4 - 1), 0);
        assert_eq!(r.shard(space().total() / 4 + 1), 1);
    }

    #[test]
    fn by_group_a_groups_keys_share_a_shard() {
        let s = space();
        let r = Router::new(ShardPlacement::Hash, PartitionBy::Group, 8, s);
        // Accounts 3 and 103 are both in group 3.
        assert_eq!(r.shard(s.account(3)), r.shard(s.account(103)));
        let by_key = Router::new(ShardPlacement::Hash, PartitionBy::Key, 8, s);
        let split =
            (0..100).filter(|i| by_key.shard(s.account(*i)) != by_key.shard(s.account(i + 100)));
        assert!(split.count() > 50, "by key, a group's accounts scatter");
    }
}

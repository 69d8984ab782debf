//! An analytics query split over the parts that hold the data, so every
//! architecture charges the same query the same work.
//!
//! A query is a fixed amount of work over all the data (`[architecture.db]
//! analytics`: the CPU time of one query over every key on one core), drawn
//! once per query. A part (a shard, a partition) holding a share s of the
//! keys scans its share: s × the query's work, on one of its cores. The
//! query answers when its last part has answered and the gathering side
//! (the client, router or coordinator that scattered it) has merged the
//! partial results: n − 1 merges of `analytics_merge` each for n parts. A
//! system holding all the data in one place (a primary, a warehouse, a read
//! model) runs the whole query and merges nothing, so one shard or one
//! partition gives the same latency as the Single System.

use super::Router;
use crate::dist::Dist;
use crate::sim::{SimDuration, SimRng};

/// How the keys are spread over the parts: keys per part, counted exactly.
#[derive(Clone, Debug)]
pub struct Split {
    keys: Vec<u64>,
    total: u64,
}

impl Split {
    /// The keys each of `router`'s shards holds, over every key id of its
    /// key space (one pass over the keys; built when the first query needs
    /// it).
    pub fn of(router: &Router, total: u64) -> Split {
        let mut keys = vec![0u64; router.shards() as usize];
        for key in 0..total {
            keys[router.shard(key) as usize] += 1;
        }
        Split { keys, total }
    }

    /// Keys held by `part`.
    pub fn keys(&self, part: u32) -> u64 {
        self.keys[part as usize]
    }

    /// `part`'s work of a query whose work over all the data is `whole`:
    /// its share of the keys times `whole` (all of it for the only part).
    pub fn work(&self, whole: SimDuration, part: u32) -> SimDuration {
        let share = u128::from(whole.as_nanos()) * u128::from(self.keys(part));
        SimDuration((share / u128::from(self.total.max(1))) as u64)
    }
}

/// What merging the partial results of `parts` parts costs the gathering
/// side: `parts − 1` draws of `merge` (nothing for one part).
pub fn merge(parts: u32, merge: &Dist, rng: &mut SimRng) -> SimDuration {
    (1..parts).fold(SimDuration::ZERO, |d, _| d + merge.sample(rng))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::router::{PartitionBy, ShardPlacement};
    use crate::workload::{KeySpace, WorkloadConfig};

    fn router(shards: u32, placement: ShardPlacement) -> (Router, u64) {
        let space = KeySpace::new(&WorkloadConfig {
            keys: 10_000,
            ..WorkloadConfig::default()
        });
        let r = Router::new(placement, PartitionBy::Key, shards, space);
        (r, space.total())
    }

    #[test]
    fn one_part_runs_the_whole_query() {
        let (r, total) = router(1, ShardPlacement::Hash);
        let split = Split::of(&r, total);
        assert_eq!(split.keys(0), total);
        let whole = SimDuration(1_234_567_891);
        assert_eq!(split.work(whole, 0), whole);
    }

    #[test]
    fn parts_run_their_share_and_together_the_whole() {
        for placement in [ShardPlacement::Hash, ShardPlacement::Range] {
            let (r, total) = router(8, placement);
            let split = Split::of(&r, total);
            assert_eq!((0..8).map(|p| split.keys(p)).sum::<u64>(), total);
            let whole = SimDuration::from_secs(8);
            let sum: u64 = (0..8).map(|p| split.work(whole, p).as_nanos()).sum();
            // Each part's share is rounded down: at most a nanosecond each.
            assert!(whole.as_nanos() - sum < 8, "{sum}");
            for p in 0..8 {
                let w = split.work(whole, p).as_secs_f64();
                assert!((w - 1.0).abs() < 0.1, "{placement:?} part {p}: {w} s");
            }
        }
    }

    #[test]
    fn merging_n_parts_takes_n_minus_one_steps() {
        let mut rng = crate::sim::Streams::new(1, 0).stream("merge");
        let step = Dist::parse("1ms").unwrap();
        assert_eq!(merge(1, &step, &mut rng), SimDuration::ZERO);
        assert_eq!(merge(16, &step, &mut rng), SimDuration::from_millis(15));
    }
}

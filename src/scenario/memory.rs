//! How much memory a run will take, estimated before anything is allocated,
//! so a scenario too large for the machine is refused with the figure
//! instead of failing halfway.
//!
//! Per-key state dominates: every run keeps the system of record and the
//! oracle's history per key, and each copy (cache, replica, derived store,
//! read model, follower) its own array. The coefficients below are measured
//! peak resident sizes per key of a release build (4 × 10^6 keys, one run),
//! rounded up.

use super::{ArchitectureConfig, Scenario};
use crate::workload::{KeySpace, OpKind};

/// Bytes per key of the system of record and the oracle.
const BASE: u64 = 32;
/// Fixed cost of a run (histograms, stations, buffers).
const FIXED: u64 = 16 << 20;

/// Estimated peak bytes of one run of `arch` in `scenario`: per key (the
/// keys set aside for inserts, `workload.inserts`, included), the system of
/// record, the oracle and the kind's copies (its
/// `bytes_per_key`, `arch::memory`), its caches' recency logs (per entry
/// they can hold), and the changes its derived stores hold between
/// refreshes or batch loads (row writes per second × the interval).
pub fn bytes_per_run(scenario: &Scenario, arch: &ArchitectureConfig) -> u64 {
    let keys = KeySpace::new(&scenario.workload).total();
    let per_key = BASE + arch.config.bytes_per_key();
    let documents = scenario.workload.entities.documents * arch.config.bytes_per_document();
    let pending = arch.config.pending_changes(row_writes_per_s(scenario));
    let pending = (pending * crate::arch::memory::PENDING_CHANGE as f64).ceil() as u64;
    let recency = arch
        .config
        .cache_entries(keys)
        .saturating_mul(crate::arch::memory::RECENCY);
    keys.saturating_mul(per_key)
        .saturating_add(documents)
        .saturating_add(recency)
        .saturating_add(pending)
        .saturating_add(FIXED)
}

/// Rows the workload writes per second, at most: a transfer writes two, a
/// txn `txn_keys`.
fn row_writes_per_s(scenario: &Scenario) -> f64 {
    let w = &scenario.workload;
    let rows = |kind: OpKind| match kind {
        OpKind::Transfer => 2.0,
        OpKind::Txn => f64::from(w.txn_keys),
        _ => 1.0,
    };
    w.mix
        .shares()
        .filter(|(kind, _)| kind.is_write())
        .map(|(kind, share)| w.rate * share * rows(kind))
        .sum()
}

/// Estimated peak bytes of a scenario run with `threads` simulations side
/// by side: the largest runs that can be under way at once.
pub fn bytes_at_once(scenario: &Scenario, threads: usize) -> u64 {
    let runs: Vec<u64> = scenario
        .architectures
        .iter()
        .map(|a| bytes_per_run(scenario, a))
        .collect();
    let total_runs = runs.len() * scenario.replications as usize * scenario.sweep.len();
    largest_at_once(runs, total_runs, threads)
}

/// What the runs that share the machine need at most: `threads` runs at a
/// time out of `total` that cycle through `runs` (the sizes of the distinct
/// runs), so the largest bound it.
fn largest_at_once(mut runs: Vec<u64>, total: usize, threads: usize) -> u64 {
    runs.sort_unstable_by(|a, b| b.cmp(a));
    let at_once = threads.clamp(1, total.max(1));
    runs.iter()
        .cycle()
        .take(at_once)
        .fold(0u64, |sum, b| sum.saturating_add(*b))
}

/// [`bytes_at_once`] over every point of the scenario's sweep (a swept key
/// count, say), with the key count of the largest run.
pub fn bytes_at_once_swept(scenario: &Scenario, threads: usize) -> (u64, u64) {
    let points = match scenario.points() {
        Ok(points) if !scenario.sweep.is_empty() => points,
        _ => {
            let keys = crate::workload::KeySpace::new(&scenario.workload).total();
            return (bytes_at_once(scenario, threads), keys);
        }
    };
    let runs: Vec<(u64, u64)> = points
        .iter()
        .flat_map(|(_, p)| {
            let keys = crate::workload::KeySpace::new(&p.workload).total();
            p.architectures
                .iter()
                .map(move |a| (bytes_per_run(p, a), keys))
        })
        .collect();
    let keys = runs.iter().max().map_or(0, |r| r.1);
    let total = runs.len() * scenario.replications as usize;
    let need = largest_at_once(runs.into_iter().map(|r| r.0).collect(), total, threads);
    (need, keys)
}

/// Memory this machine has available, from /proc/meminfo (none elsewhere).
pub fn available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// `n` bytes in GiB or MiB, one decimal.
pub fn human(n: u64) -> String {
    let gib = n as f64 / (1u64 << 30) as f64;
    if gib >= 1.0 {
        format!("{gib:.1} GiB")
    } else {
        format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_key_copies_add_up() {
        let s = Scenario::from_toml(
            "[workload]\nkeys = 1000000\n[[architecture]]\nkind = \"single\"\n\
             [architecture.cache]\ncapacity = 10\n[architecture.replicas]\ncount = 2\n\
             [[architecture]]\nkind = \"colocated\"\n",
            "t",
            "t",
            &[],
        )
        .unwrap();
        let keys = KeySpace::new(&s.workload).total();
        let single = bytes_per_run(&s, &s.architectures[0]);
        use crate::arch::memory::{CACHE, COPY, RECENCY};
        assert_eq!(
            single,
            keys * (BASE + CACHE + 2 * COPY) + 10 * RECENCY + FIXED
        );
        let colocated = bytes_per_run(&s, &s.architectures[1]);
        assert_eq!(colocated, keys * BASE + FIXED);
        // Two threads: the two runs side by side; one thread: the larger.
        assert_eq!(bytes_at_once(&s, 2), single + colocated);
        assert_eq!(bytes_at_once(&s, 1), single);
    }

    fn one_run(toml: &str) -> (u64, u64) {
        let s = Scenario::from_toml(toml, "t", "t", &[]).unwrap();
        let keys = KeySpace::new(&s.workload).total();
        (bytes_per_run(&s, &s.architectures[0]), keys)
    }

    #[test]
    fn a_cache_larger_than_the_key_space_logs_at_most_every_key() {
        use crate::arch::memory::{CACHE, RECENCY};
        let (bytes, keys) = one_run(
            "[workload]\nkeys = 1000\n[[architecture]]\nkind = \"single\"\n\
             [architecture.cache]\ncapacity = 1000000000\napp_servers = 2\nplacement = \"in-process\"\n",
        );
        assert_eq!(
            bytes,
            keys * (BASE + 2 * CACHE) + 2 * keys * RECENCY + FIXED
        );
    }

    #[test]
    fn a_directory_router_counts_its_lookup_cache() {
        use crate::arch::memory::{CACHE, RECENCY};
        let sharded = |router: &str| {
            one_run(&format!(
                "[workload]\nkeys = 1000000\n[[architecture]]\nkind = \"sharded\"\n\
                 [architecture.shards]\nrouter = \"{router}\"\n"
            ))
        };
        let (hash, keys) = sharded("hash");
        let (directory, _) = sharded("directory");
        assert_eq!(directory - hash, keys * CACHE + 10_000 * RECENCY);
    }
}

//! Caches that start at their steady state (`cache.start = "warm"`),
//! automatic warm-up that waits for hit ratios and lags, the notes a run
//! gets when its cache had not settled or its TTL caps the hit ratio, and
//! sizes in bytes (`workload.working_set`, `cache.memory`).

use archsim::arch::cache::ttl_notes;
use archsim::model::che;
use archsim::report::RunResult;
use archsim::scenario::Scenario;

use crate::{run, scenario};

/// Reads only (no write deletes an entry, so Che's approximation is the
/// steady state) of 200,000 Zipf(0.9) keys at 20,000 reads/s behind an LRU
/// of 20,000 entries without a TTL.
fn reads(start: &str, warmup: &str, duration: &str, keys: u64, capacity: u64) -> String {
    format!(
        r#"
seed = 5
warmup = "{warmup}"
duration = "{duration}"
[workload]
rate = 20000
keys = {keys}
popularity = "zipf(0.9)"
[workload.mix]
get = 1.0
[[architecture]]
kind = "single"
[architecture.cache]
capacity = {capacity}
ttl = "0s"
start = "{start}"
"#
    )
}

fn hit_ratio(r: &RunResult) -> f64 {
    r.components["cache"].hit_ratio.expect("a cache")
}

fn che_estimate(keys: u64, capacity: u64) -> f64 {
    che::hit_ratio(&che::zipf_classes(0.9, keys), capacity as f64)
}

/// Margin of a measured hit ratio around Che's: 0.02 (the approximation is
/// within about 0.01 of an LRU under independent references, and a second
/// of 20,000 reads adds ±0.01 of sampling noise at four standard errors).
const MARGIN: f64 = 0.02;

#[test]
fn a_warm_cache_hits_at_its_steady_state_from_the_first_second() {
    let expected = che_estimate(200_000, 20_000);
    let warm = hit_ratio(&run(&scenario(&reads("warm", "0s", "1s", 200_000, 20_000))).runs[0]);
    assert!(
        (warm - expected).abs() < MARGIN,
        "warm: {warm:.4} against Che's {expected:.4}"
    );
    let empty = hit_ratio(&run(&scenario(&reads("empty", "0s", "1s", 200_000, 20_000))).runs[0]);
    assert!(
        empty < expected - 0.1,
        "an empty cache is still filling: {empty:.4} against Che's {expected:.4}"
    );
}

#[test]
fn a_warm_start_with_a_ttl_holds_the_ttl_steady_state_and_no_stale_reads() {
    // With a TTL of 2 s the hit ratio is the TTL-limited estimate's, and
    // no read is stale (entries at their initial version 0).
    let text = reads("warm", "0s", "6s", 200_000, 20_000).replace("ttl = \"0s\"", "ttl = \"2s\"");
    let s = scenario(&text);
    let r = &run(&s).runs[0];
    let anomalies: u64 = r.anomalies.counts().iter().map(|(_, n)| n).sum();
    assert_eq!(anomalies, 0, "{:?}", r.anomalies.counts());
    let (_, with_ttl) =
        archsim::arch::cache::expected_hit_ratio(&s.setting(), 20_000, 2.0).unwrap();
    assert!(
        (hit_ratio(r) - with_ttl).abs() < 0.03,
        "{:.4} against the TTL-limited estimate {with_ttl:.4}",
        hit_ratio(r)
    );
    assert!(
        r.notes.iter().all(|n| !n.contains("settled")),
        "{:?}",
        r.notes
    );
}

#[test]
fn auto_warm_up_waits_for_the_hit_ratio_to_settle() {
    // An empty cache of 50,000 entries over 500,000 keys fills for
    // seconds; the latencies alone settle sooner.
    let s = scenario(&reads("empty", "auto", "20s", 500_000, 50_000));
    let results = run(&s);
    let r = &results.runs[0];
    let warmup = r.warmup_s.expect("picked");
    let expected = che_estimate(500_000, 50_000);
    assert!(
        (hit_ratio(r) - expected).abs() < MARGIN,
        "after {warmup} s of warm-up: {:.4} against Che's {expected:.4}",
        hit_ratio(r)
    );
}

#[test]
fn a_short_run_warns_when_an_empty_cache_has_not_settled() {
    let notes = |start| {
        run(&scenario(&reads(start, "0s", "10s", 1_000_000, 200_000)))
            .runs
            .remove(0)
            .notes
    };
    let empty = notes("empty");
    assert!(
        empty.iter().any(|n| n.contains("had not settled")),
        "{empty:?}"
    );
    let warm = notes("warm");
    assert!(warm.is_empty(), "{warm:?}");
}

/// The issue's case: ten million Zipf keys, a cache of a quarter of them
/// and the default TTL of 60 s.
#[test]
fn a_ttl_that_caps_the_hit_ratio_gets_a_note() {
    let text = |ttl: &str| {
        format!(
            r#"
[workload]
rate = 20000
keys = 10_000_000
[[architecture]]
kind = "single"
[architecture.cache]
capacity = 2_500_000
{ttl}
"#
        )
    };
    let s = scenario(&text(""));
    let notes = ttl_notes(&s.setting(), &s.architectures[0]);
    assert!(
        notes.len() == 1 && notes[0].contains("caps the hit ratio"),
        "{notes:?}"
    );
    let s = scenario(&text("ttl = \"0s\""));
    assert!(ttl_notes(&s.setting(), &s.architectures[0]).is_empty());
}

#[test]
fn sizes_in_bytes_become_keys_and_entries() {
    let s = scenario(
        r#"
[workload]
working_set = "50GB"
row_size = "1KB"
[[architecture]]
kind = "single"
[architecture.cache]
memory = "10GB"
"#,
    );
    assert_eq!(s.workload.keys, 50_000_000);
    // 10 GB / (1,000 B + 64 B of overhead per entry).
    let cache = s.architectures[0].cache().unwrap();
    assert_eq!(cache.capacity, 9_398_496);
    // The resolved scenario shows the counts, so a run reproduces.
    let resolved = s.to_toml();
    assert!(resolved.contains("keys = 50000000"), "{resolved}");
    assert!(resolved.contains("capacity = 9398496"), "{resolved}");
    assert!(!resolved.contains("working_set") && !resolved.contains("memory ="));
    let again = Scenario::from_toml(&resolved, "resolved.toml", "test", &[]).unwrap();
    assert_eq!(again.to_toml(), resolved);
}

/// A scenario of 50 GB of rows behind a 10 GB cache, with `sets`
/// applied as `--set` overrides.
fn sized(sets: &[&str]) -> Scenario {
    let sets: Vec<_> = sets.iter().map(|s| s.parse().unwrap()).collect();
    let text = r#"
[workload]
working_set = "50GB"
[[architecture]]
kind = "single"
name = "one"
[architecture.cache]
memory = "10GB"
"#;
    Scenario::from_toml(text, "test.toml", "test", &sets).unwrap()
}

#[test]
fn a_row_size_set_later_converts_the_sizes_again() {
    let keys_and_entries = |s: &Scenario| {
        let cache = s.architectures[0].cache().unwrap();
        (s.workload.keys, cache.capacity)
    };
    // 50 GB / 2 KB; 10 GB / (2,000 + 64 B).
    let s = sized(&["workload.row_size=2KB"]);
    assert_eq!(keys_and_entries(&s), (25_000_000, 4_844_961));
    let s = sized(&["architecture.one.cache.entry_overhead=1000B"]);
    assert_eq!(keys_and_entries(&s), (50_000_000, 5_000_000));
    // A count set instead of a size wins, and a later row size leaves it.
    let s = sized(&["workload.keys=1000", "workload.row_size=2KB"]);
    assert_eq!(keys_and_entries(&s), (1000, 4_844_961));
    let s = sized(&[
        "architecture.one.cache.capacity=10",
        "workload.row_size=2KB",
    ]);
    assert_eq!(keys_and_entries(&s), (25_000_000, 10));
    // A sweep of the row size converts at each point.
    let text = r#"
[workload]
working_set = "50GB"
[[architecture]]
kind = "single"
[architecture.cache]
memory = "10GB"
[sweep]
"workload.row_size" = ["1KB", "4KB"]
"#;
    let s = Scenario::from_toml(text, "test.toml", "test", &[]).unwrap();
    let points: Vec<_> = s
        .points()
        .unwrap()
        .iter()
        .map(|(_, p)| keys_and_entries(p))
        .collect();
    assert_eq!(points, [(50_000_000, 9_398_496), (12_500_000, 2_460_629)]);
}

#[test]
fn both_forms_of_a_size_are_refused_at_the_size() {
    let err = |text: &str| {
        Scenario::from_toml(text, "test.toml", "test", &[])
            .unwrap_err()
            .to_string()
    };
    let e = err(
        "[workload]\nkeys = 1000\nworking_set = \"1MB\"\n[[architecture]]\nkind = \"single\"\n",
    );
    assert!(e.contains("test.toml:3:") && e.contains("not both"), "{e}");
    let e = err(
        "[workload]\nkeys = 1000\n[[architecture]]\nkind = \"single\"\n[architecture.cache]\ncapacity = 10\nmemory = \"1MB\"\n",
    );
    assert!(e.contains("test.toml:7:") && e.contains("not both"), "{e}");
}

#[test]
fn a_bad_size_names_the_field() {
    let e = Scenario::from_toml(
        "[workload]\nworking_set = \"50 parsecs\"\n[[architecture]]\nkind = \"single\"\n",
        "test.toml",
        "test",
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("test.toml:2:")
            && e.contains("working_set")
            && e.contains("expected a size like \"50GB\""),
        "{e}"
    );
}

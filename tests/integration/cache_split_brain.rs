//! Split brain between a write-behind cache and the system of record: a
//! partition cuts the coordinator's boundary cache off from the write model
//! but not from a quarter of the clients. They keep writing behind into the
//! cache while the others write the write model directly; at the heal the
//! cache's flush overwrites the write model's newer writes ("none"), or is
//! refused where the key moved on ("token"), or the cache stopped taking
//! writes when its lease ran out ("lease").

use archsim::report::RunResult;

use crate::{run_one, within};

/// 2,000 ops/s, half puts, over 2,000 uniform keys, every key written
/// behind and flushed every 10 ms; the cache is cut off from 5 s to 15 s
/// with a quarter of the clients on its side.
fn split(fencing: &str, lease: &str, lasts: &str) -> RunResult {
    run_one(&format!(
        r#"
        seed = 13
        duration = "20s"
        warmup = "1s"
        [workload]
        rate = 2000
        keys = 2000
        popularity = "uniform"
        retries = 0
        [workload.mix]
        get = 0.5
        put = 0.5
        [[architecture]]
        kind = "coordinator"
        [architecture.cache]
        capacity = 2000
        fencing = "{fencing}"
        {lease}
        [architecture.coordinator]
        critical = 0
        flush = "10ms"
        [[fault]]
        at = "5s"
        for = "{lasts}"
        kind = "partition"
        target = "cache"
        clients = 0.25
        "#
    ))
}

fn lost_at_cache(run: &RunResult) -> u64 {
    let lost = &run.anomalies.lost_write.by_served_by;
    lost.get("cache").copied().unwrap_or(0)
}

/// Over K = 2,000 uniform keys, n writes touch K(1 − e^(−n/K)) keys: the
/// share of keys one side wrote in `seconds` at `per_s` puts a second.
fn touched(per_s: f64, seconds: f64) -> f64 {
    1.0 - (-per_s * seconds / 2000.0).exp()
}

#[test]
fn an_unfenced_cache_flushes_over_the_newer_writes_of_the_system_of_record() {
    let run = split("none", "", "10s");
    let sb = &run.anomalies.split_brain;
    assert_eq!(sb.count, 1);
    assert_eq!(sb.duration_ms, 10_000.0);
    // The cache's side puts 2,000 × 0.5 × 0.25 = 250 a second, the others
    // 750, for 10 s: the cache writes 0.713 of the keys, the others 0.977.
    // Diverged: 2,000 × 0.713 × 0.977 = 1,393 (margin 5 %); replayable:
    // 2,000 × 0.713 × 0.023 = 33 (margin 50 %: 3 sd of so few, and the
    // cache's unflushed writes from before the partition count on its side).
    let (cache, sor) = (touched(250.0, 10.0), touched(750.0, 10.0));
    let (diverged, replayable) = (sb.keys_diverged as f64, sb.keys_replayable as f64);
    assert!(
        within(diverged, 2000.0 * cache * sor, 0.05),
        "{diverged} keys diverged, {replayable} replayable"
    );
    assert!(
        within(replayable, 2000.0 * cache * (1.0 - sor), 0.5),
        "{replayable} keys replayable"
    );
    // Lost: the write model's writes after the cache's last write to their
    // key, overwritten by the flush. Per key, with the cache writing at
    // a = 0.125/s and the others at s = 0.375/s over T = 10 s:
    // s[(1 − e^(−aT))/a − T e^(−aT)] = 1.066, so 2,132 over the keys
    // (margin 8 %).
    let (a, s, t) = (0.125f64, 0.375, 10.0);
    let per_key = s * ((1.0 - (-a * t).exp()) / a - t * (-a * t).exp());
    let lost = sb.lost_acknowledged_writes as f64;
    assert!(
        within(lost, 2000.0 * per_key, 0.08),
        "{lost} writes lost, {} expected",
        2000.0 * per_key
    );
    assert_eq!(lost_at_cache(&run), sb.lost_acknowledged_writes);
    assert_eq!(run.faults[0].lost_writes, sb.lost_acknowledged_writes);
}

#[test]
fn a_token_refuses_every_stale_flush_and_keeps_the_system_of_records_writes() {
    let run = split("token", "", "10s");
    let sb = &run.anomalies.split_brain;
    // The cache still accepted writes beside the write model all along.
    assert_eq!(sb.count, 1);
    assert_eq!(sb.duration_ms, 10_000.0);
    // Every diverged key's flush is refused, and nothing else.
    let note = run.faults[0].notes.join(" ");
    let refused = format!(
        "refused the flush of {} keys",
        archsim::metrics::thousands(sb.keys_diverged as f64)
    );
    assert!(note.contains(&refused), "{note}");
    // What is lost is the cache's: its 2,500 writes, each to a key the
    // write model also wrote with probability 0.977: 2,441 (margin 6 %).
    let lost = sb.lost_acknowledged_writes as f64;
    let expected = 2500.0 * touched(750.0, 10.0);
    assert!(within(lost, expected, 0.06), "{lost} writes lost");
    assert_eq!(lost_at_cache(&run), sb.lost_acknowledged_writes);
    // Keys match the unfenced run's: fencing acts at the flush only.
    let none = split("none", "", "10s");
    assert_eq!(none.anomalies.split_brain.keys_diverged, sb.keys_diverged);
}

#[test]
fn a_lease_bounds_the_window_and_its_clients_puts_fail_after_it() {
    let (none, lease) = (
        split("none", "", "10s"),
        split("lease", "lease = \"2s\"", "10s"),
    );
    let sb = &lease.anomalies.split_brain;
    assert_eq!(sb.count, 1);
    assert_eq!(sb.duration_ms, 2000.0);
    // In 2 s the cache writes 0.221 of the keys: 2,000 × 0.221 × 0.977 =
    // 432 diverge (margin 10 %).
    let diverged = sb.keys_diverged as f64;
    let expected = 2000.0 * touched(250.0, 2.0) * touched(750.0, 10.0);
    assert!(within(diverged, expected, 0.1), "{diverged} keys diverged");
    // Its side's puts fail for the other 8 s: 250 × 8 = 2,000 more failed
    // operations (margin 8 %).
    let not_ok = |r: &RunResult| {
        let all = r.latency.all();
        (all.count - all.ok) as f64
    };
    let extra = not_ok(&lease) - not_ok(&none);
    assert!(within(extra, 2000.0, 0.08), "{extra} more failed");
    // The flush still overwrites the write model's writes after the
    // cache's last to the key: with the cache writing at a = 0.125/s per
    // key for L = 2 s and the others at s = 0.375/s for T = 10 s,
    // s[(1 − e^(−aL))/a − L e^(−aL) + (T − L)(1 − e^(−aL))] = 0.743 per
    // key, 1,486 in all (margin 8 %), fewer than unfenced.
    let (a, s, l, t) = (0.125f64, 0.375, 2.0, 10.0);
    let once = 1.0 - (-a * l).exp();
    let per_key = s * (once / a - l * (-a * l).exp() + (t - l) * once);
    let lost = sb.lost_acknowledged_writes as f64;
    assert!(within(lost, 2000.0 * per_key, 0.08), "{lost} writes lost");
    assert!(sb.lost_acknowledged_writes < none.anomalies.split_brain.lost_acknowledged_writes);
}

#[test]
fn without_the_partition_the_fencing_changes_nothing() {
    let run = |fencing: &str| {
        run_one(&format!(
            r#"
            seed = 13
            duration = "5s"
            [workload]
            rate = 2000
            keys = 2000
            [workload.mix]
            get = 0.5
            put = 0.5
            [[architecture]]
            kind = "coordinator"
            [architecture.cache]
            capacity = 2000
            fencing = "{fencing}"
            [architecture.coordinator]
            critical = 0
            flush = "10ms"
            "#
        ))
    };
    let (none, token) = (run("none"), run("token"));
    assert_eq!(token.anomalies, none.anomalies);
    assert_eq!(token.anomalies.split_brain.count, 0);
}

#[test]
fn the_review_says_which_split_brain_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wb.toml");
    std::fs::write(
        &file,
        r#"
        name = "wb"
        duration = "4s"
        warmup = "1s"
        [workload]
        rate = 2000
        keys = 2000
        [workload.mix]
        get = 0.5
        put = 0.5
        [[architecture]]
        kind = "coordinator"
        [architecture.cache]
        capacity = 2000
        [architecture.coordinator]
        critical = 0
        flush = "10ms"
        [[fault]]
        at = "2s"
        for = "2s"
        kind = "partition"
        target = "cache"
        clients = 0.25
        "#,
    )
    .unwrap();
    let out = dir.path().join("r");
    let args = [
        "run",
        file.to_str().unwrap(),
        "-q",
        "-o",
        out.to_str().unwrap(),
    ];
    let o = crate::archsim(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = std::fs::read_to_string(out.join("wb/report.md")).unwrap();
    assert!(
        md.contains("a write-behind cache cut off from the system of record and the system of record both accepted writes for 2.0 s"),
        "{md}"
    );
    assert!(!md.contains("two primaries"), "{md}");
}

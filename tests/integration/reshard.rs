//! Resharding: a sharded cluster grows from N to M shards under load. The
//! keys that move are those hash placement modulo the shard count sends
//! elsewhere (1 − gcd(N, M)/M of them), copied at the migration's rate; the
//! copy is work on the shards' cores, and a request for a key in flight
//! waits at the client until it lands.

use archsim::report::RunResult;

use crate::run_one;

/// A sharded cluster of `from` shards over 20,000 uniform keys, 2,000 ops/s
/// (`put` share `puts`), then `fault`'s text.
fn cluster(from: u32, puts: f64, duration: &str, fault: &str) -> RunResult {
    run_one(&format!(
        r#"
        seed = 5
        duration = "{duration}"
        warmup = "1s"
        [workload]
        rate = 2000
        keys = 20000
        popularity = "uniform"
        [workload.mix]
        get = {gets}
        put = {puts}
        [[architecture]]
        kind = "sharded"
        shards = {from}
        {fault}
        "#,
        gets = 1.0 - puts,
    ))
}

/// The cluster resharded to `to` at 5 s at `rate` keys/s.
fn reshard(from: u32, to: u32, rate: f64, puts: f64, duration: &str) -> RunResult {
    let fault = format!(
        "[[fault]]\nat = \"5s\"\nkind = \"reshard\"\ntarget = \"primary\"\nshards = {to}\nrate = {rate}"
    );
    cluster(from, puts, duration, &fault)
}

/// The reshard's migration, as results.json reports it.
fn migration(run: &RunResult) -> &archsim::faults::Migration {
    run.faults[0]
        .migration
        .as_ref()
        .unwrap_or_else(|| panic!("a migration in {:?}", run.faults[0]))
}

fn moved_share(run: &RunResult) -> f64 {
    let m = migration(run);
    m.keys_moved as f64 / m.keys_on_shards as f64
}

#[test]
fn the_moved_share_is_hash_placements_closed_form() {
    // 1 − gcd/M: 8 → 12 moves 2/3 (a consistent-hash ring would move 1/3),
    // 8 → 16 moves 1/2, 4 → 5 moves 4/5. Over ~20,000 hashed keys the
    // binomial standard deviation is under 0.4 %: a margin of 1.5 points.
    for (from, to) in [(8, 12), (8, 16), (4, 5)] {
        let run = reshard(from, to, 50_000.0, 0.2, "6s");
        let expected = archsim::model::router::hash_moved_share(from, to);
        let got = moved_share(&run);
        assert!(
            (got - expected).abs() < 0.015,
            "{from} → {to}: moved {got:.4}, closed form {expected:.4}"
        );
    }
}

#[test]
fn the_migration_takes_keys_over_rate() {
    // 8 → 12 at 5,000 keys/s: ~13,300 keys in ~2.67 s; the shards are far
    // from saturated, so the last key lands within 2 % (and a copy's few
    // hundred microseconds) of keys/rate.
    let run = reshard(8, 12, 5_000.0, 0.2, "10s");
    let m = migration(&run);
    let keys = m.keys_moved as f64;
    let took = m.migration_s.expect("finished");
    let expected = keys / 5_000.0;
    assert!(
        (took - expected).abs() < 0.02 * expected,
        "took {took} s for {keys} keys, keys/rate {expected} s"
    );
}

#[test]
fn copying_adds_its_work_to_the_shards() {
    // Over the run, the shards' busy time grows by the copies' reads and
    // writes (re-copies included): utilization summed over the shards rises
    // by that work / (cores × run length), within 10 % of that rise.
    let quiet = cluster(8, 0.2, "10s", "");
    let run = reshard(8, 12, 5_000.0, 0.2, "10s");
    let busy = |r: &RunResult, shards: std::ops::Range<usize>| -> f64 {
        shards
            .map(|i| {
                let c = (r.components.get(&format!("shard_{i}")))
                    .or_else(|| r.components.get(&format!("shard_{i:02}")))
                    .expect("a shard's stats");
                c.utilization.unwrap()
            })
            .sum::<f64>()
    };
    // The workload's work is the same in both runs, spread over 8 shards
    // or 12; the copies add theirs (a key's new owner may be an old shard).
    let rise = busy(&run, 0..12) - busy(&quiet, 0..8);
    let work = migration(&run).copy_cpu_s_old + migration(&run).copy_cpu_s_new;
    // Eight cores a shard, over the 10 s measured (the copy is inside it).
    let expected = work / (8.0 * 10.0);
    assert!(
        (rise - expected).abs() < 0.1 * expected,
        "utilization rose by {rise:.5} (summed over shards), copy work predicts {expected:.5}"
    );
}

#[test]
fn requests_for_a_key_in_flight_wait_until_it_lands() {
    // A slow copy (a slow read, its own hop, a slow write) of 10 hot keys
    // written all the time: requests begun after a key's copy began wait at
    // the client, each for at most the copy's length; nothing fails, and
    // writes that reached an old owner after the copy began are re-copied.
    let run = run_one(
        r#"
        seed = 5
        duration = "10s"
        warmup = "1s"
        [workload]
        rate = 4000
        keys = 10
        popularity = "uniform"
        [workload.mix]
        get = 0.5
        put = 0.5
        [[architecture]]
        kind = "sharded"
        shards = 2
        [architecture.db]
        read = "2ms"
        write = "2ms"
        [[fault]]
        at = "5s"
        kind = "reshard"
        target = "primary"
        shards = 3
        rate = 10
        "#,
    );
    let m = migration(&run);
    let (waited, max_ms) = (m.waited, m.wait_max_ms);
    assert!(waited >= 5, "requests waited: {waited}");
    // A copy: a 2 ms read, a hop (under a few ms), a 2 ms write, each
    // possibly behind the workload's queue.
    assert!(max_ms > 0.0 && max_ms < 50.0, "longest wait {max_ms} ms");
    assert_eq!(run.faults[0].failed, 0, "{:?}", run.faults[0].notes);
    assert!(m.recopied > 0, "writes re-copied");
}

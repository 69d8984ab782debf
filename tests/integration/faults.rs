//! Faults: each stage's signature failure appears in the numbers, client
//! timeouts and retries follow their arithmetic, and a fault changes
//! nothing before it begins.

use archsim::faults::FaultReport;
use archsim::report::RunResult;

use crate::run_one;

fn fault(run: &RunResult, i: usize) -> &FaultReport {
    &run.faults[i]
}

/// A single primary with constant 100 µs reads, no network, 1,000 gets/s;
/// its primary is down from 2 s to 5 s.
fn outage(retries: u32) -> RunResult {
    run_one(&format!(
        r#"
        seed = 3
        duration = "6s"
        warmup = "1s"
        [network]
        hop = "0s"
        [workload]
        rate = 1000
        keys = 1000
        retries = {retries}
        [workload.mix]
        get = 1.0
        [[architecture]]
        kind = "single"
        [architecture.db]
        cores = 8
        read = "100us"
        [[fault]]
        at = "2s"
        for = "3s"
        kind = "crash"
        target = "primary"
        "#
    ))
}

#[test]
fn clients_time_out_after_one_second_and_a_retry_rescues_the_last_second() {
    // Without retries, gets arriving in [2 s, 4 s) wait more than the 1 s
    // timeout for the restart at 5 s: about 2,000 time out.
    let none = outage(0);
    let t0 = none.latency.all().timeouts;
    assert!((1800..=2200).contains(&t0), "{t0} timeouts without retries");
    // With one retry, those arriving in [3 s, 4 s) retry at [4 s, 5 s) and
    // are served at 5 s, within the second attempt: about 1,000 remain.
    let one = outage(1);
    let t1 = one.latency.all().timeouts;
    assert!((850..=1150).contains(&t1), "{t1} timeouts with one retry");
    // A rescued get's latency runs from its first attempt: up to 2 s.
    let max = one.latency.all().max_ms;
    assert!(max > 1000.0 && max <= 2000.2, "max {max} ms");
    assert!(
        none.latency.all().max_ms <= 1000.2,
        "nothing ok beyond the timeout"
    );
    // The fault's row sees the timeouts and the takeover-free restart.
    let f = fault(&none, 0);
    assert_eq!(f.fault, "crash of primary at 2s for 3s");
    assert_eq!((f.from_s, f.to_s), (2.0, 5.0));
    assert_eq!(f.failed, t0);
    assert_eq!(f.takeover_s, None);
}

fn failover(lasts: &str) -> RunResult {
    run_one(&format!(
        r#"
        seed = 5
        duration = "10s"
        warmup = "1s"
        [workload]
        rate = 2000
        keys = 2000
        popularity = "uniform"
        [workload.mix]
        get = 0.5
        put = 0.5
        [[architecture]]
        kind = "single"
        [architecture.replicas]
        count = 1
        lag = "100ms"
        reads = "primary"
        failover_after = "2s"
        [[fault]]
        at = "4s"
        for = "{lasts}"
        kind = "crash"
        target = "primary"
        "#
    ))
}

#[test]
fn failover_to_an_async_replica_loses_what_it_had_not_received() {
    let run = failover("5s");
    let f = fault(&run, 0);
    assert_eq!(f.takeover_s, Some(6.0), "promoted failover_after later");
    // With a constant 100 ms lag, the replica lacked the last 100 ms of
    // commits: about 1,000 puts/s × 0.1 s, fewer where a key was written
    // twice.
    let lost = run.anomalies.lost_write.count;
    assert!((60..=130).contains(&lost), "{lost} lost writes");
    assert_eq!(f.lost_writes, lost);
    assert_eq!(run.anomalies.lost_write.by_served_by["primary"], lost);
    // Reads of those keys at the new primary return older versions than
    // their writers were told.
    let stale = &run.anomalies.stale_read;
    assert!(stale.by_served_by.get("primary").copied().unwrap_or(0) > 0);
    // Nothing is lost when the primary is back before failover is due.
    let short = failover("1s");
    assert_eq!(short.anomalies.lost_write.count, 0);
    assert_eq!(fault(&short, 0).takeover_s, None);
    assert_eq!(short.anomalies.stale_read.count, 0, "reads at the primary");
}

#[test]
fn a_shard_fails_over_alone() {
    let run = run_one(
        r#"
        seed = 8
        duration = "8s"
        warmup = "1s"
        [workload]
        rate = 4000
        keys = 4000
        popularity = "uniform"
        [workload.mix]
        get = 0.5
        put = 0.5
        [[architecture]]
        kind = "sharded"
        [architecture.shards]
        count = 4
        [architecture.replicas]
        count = 1
        lag = "100ms"
        reads = "primary"
        failover_after = "1s"
        [[fault]]
        at = "3s"
        for = "4s"
        kind = "crash"
        target = "shard:2"
        "#,
    );
    let f = fault(&run, 0);
    assert_eq!(f.takeover_s, Some(4.0));
    assert!(f.lost_writes > 0, "{f:?}");
    assert_eq!(f.notes.len(), 1, "one shard promoted: {:?}", f.notes);
    assert!(
        f.notes[0].starts_with("shard 2's replica 1 promoted"),
        "{:?}",
        f.notes
    );
    // Shard 2's operations wait out the second before the takeover.
    assert!(f.p99_ms > 500.0, "{f:?}");
}

#[test]
fn a_dead_coordinator_leaves_prepared_transactions_in_doubt() {
    let run = run_one(
        r#"
        seed = 11
        duration = "6s"
        warmup = "1s"
        [network]
        hop = "200us"
        [workload]
        rate = 500
        locality = 0.0
        popularity = "uniform"
        [workload.entities]
        accounts = 50000
        [workload.mix]
        transfer = 1.0
        [[architecture]]
        kind = "coordinator"
        [architecture.db]
        fsync = "5ms"
        [[fault]]
        at = "3s"
        for = "2s"
        kind = "crash"
        target = "coordinator"
        "#,
    );
    let f = fault(&run, 0);
    // Cross-shard transfers prepared when it died vote into the void and
    // keep their locks until it is back: 500/s × ≈ 6 ms prepare window.
    assert!(f.in_doubt >= 1, "{f:?}");
    assert!(f.p99_before_ms < 50.0, "no queue before: {f:?}");
    assert!(
        f.in_doubt_max_s > 1.9 && f.in_doubt_max_s < 2.1,
        "held for the outage: {f:?}"
    );
    assert!(f.failed > 400, "requests wait for the coordinator: {f:?}");
    assert_eq!(f.lost_writes, 0);
}

#[test]
fn a_write_behind_cache_crash_loses_acknowledged_writes_and_write_through_does_not() {
    let results = crate::run(&crate::scenario(
        r#"
        seed = 13
        duration = "6s"
        warmup = "1s"
        [workload]
        rate = 2000
        keys = 10000
        [workload.mix]
        get = 0.5
        put = 0.5
        [[architecture]]
        kind = "coordinator"
        name = "through"
        [architecture.cache]
        capacity = 5000
        [[architecture]]
        kind = "coordinator"
        name = "behind"
        [architecture.cache]
        capacity = 5000
        [architecture.coordinator]
        critical = 0.0
        flush = "2s"
        [[fault]]
        at = "3s"
        for = "500ms"
        kind = "crash"
        target = "cache"
        "#,
    ));
    let [through, behind] = &results.runs[..] else {
        panic!("two runs")
    };
    assert_eq!(through.anomalies.lost_write.count, 0);
    assert_eq!(fault(through, 0).lost_writes, 0);
    // Flushes at 2 s and 4 s: the puts acknowledged in (2 s, 3 s] die with
    // the cache (about 1,000), and those the flush at 2 s held back because
    // their key's previous flush was still under way.
    let lost = behind.anomalies.lost_write.count;
    assert!((900..=2100).contains(&lost), "{lost} lost writes");
    assert_eq!(fault(behind, 0).lost_writes, lost);
    assert_eq!(behind.anomalies.lost_write.by_served_by["cache"], lost);
}

#[test]
fn a_raft_leader_loss_stalls_its_partition_without_anomalies() {
    let run = run_one(
        r#"
        seed = 17
        duration = "6s"
        warmup = "1s"
        [workload]
        rate = 2000
        [workload.mix]
        get = 0.6
        put = 0.3
        transfer = 0.1
        [[architecture]]
        kind = "colocated"
        [architecture.partitions]
        lease = "2s"
        [[fault]]
        at = "3s"
        for = "3s"
        kind = "crash"
        target = "leader:0"
        "#,
    );
    let f = fault(&run, 0);
    assert_eq!(f.takeover_s, Some(5.0), "the old lease ran out");
    assert!(f.failed > 0 && f.p99_ms > 500.0, "{f:?}");
    let counts: u64 = run.anomalies.counts().iter().map(|c| c.1).sum();
    assert_eq!(counts, 0, "{:?}", run.anomalies.counts());
    assert_eq!(f.anomalies, 0);
}

fn search(fault: &str) -> RunResult {
    run_one(&format!(
        r#"
        seed = 19
        duration = "8s"
        warmup = "1s"
        [workload]
        rate = 2000
        keys = 2000
        [workload.mix]
        get = 0.45
        put = 0.5
        search = 0.05
        [[architecture]]
        kind = "polyglot"
        {fault}
        "#
    ))
}

#[test]
fn a_stalled_cdc_connector_leaves_the_index_behind() {
    let calm = search("");
    let down = search(
        "[[fault]]\nat = \"3s\"\nfor = \"3s\"\nkind = \"lag\"\ntarget = \"pipeline:search\"",
    );
    // Searches are stale by a refresh and a poll anyway; during the stall
    // what they miss gets seconds old.
    let age = |r: &RunResult| r.anomalies.stale_read.age_ms.as_ref().unwrap().max_ms;
    assert!(age(&calm) < 2500.0, "{}", age(&calm));
    assert!(age(&down) > 3000.0, "{}", age(&down));
    let lag = |r: &RunResult| r.visibility.lag_ms["search"].p999_ms;
    assert!(
        lag(&down) > 3000.0,
        "the backlog waited out the stall: {}",
        lag(&down)
    );
    assert!(lag(&calm) < 3000.0);
    // The database did not notice.
    assert_eq!(down.latency.0["put"].timeouts, 0);
}

fn cached(fault: &str) -> RunResult {
    run_one(&format!(
        r#"
        seed = 23
        duration = "6s"
        warmup = "1s"
        [workload]
        rate = 2000
        keys = 5000
        [workload.mix]
        get = 0.9
        put = 0.1
        [[architecture]]
        kind = "single"
        [architecture.cache]
        capacity = 5000
        {fault}
        "#
    ))
}

#[test]
fn a_flushed_cache_misses_and_a_fault_changes_nothing_before_it() {
    let calm = cached("");
    let flushed = cached("[[fault]]\nat = \"4s\"\nkind = \"flush\"\ntarget = \"cache\"");
    let misses = |r: &RunResult| r.components["cache"].misses.unwrap();
    assert!(
        misses(&flushed) > misses(&calm) + 500,
        "{} vs {}",
        misses(&flushed),
        misses(&calm)
    );
    // Before 4 s the two runs are the same run.
    let before = |r: &RunResult| r.series.p99_ms[..6].to_vec();
    assert_eq!(before(&calm), before(&flushed));
    assert_eq!(fault(&flushed, 0).fault, "flush of cache at 4s");
}

#[test]
fn slow_multiplies_service_times() {
    let run = |fault: &str| {
        run_one(&format!(
            r#"
            seed = 29
            duration = "4s"
            warmup = "1s"
            [network]
            hop = "0s"
            [workload]
            rate = 100
            [workload.mix]
            get = 1.0
            [[architecture]]
            kind = "single"
            [architecture.db]
            cores = 64
            contention = 0.0
            coherency = 0.0
            read = "100us"
            {fault}
            "#
        ))
    };
    assert_eq!(run("").latency.all().p50_ms, 0.1);
    let slow = run("[[fault]]\nat = \"0s\"\nkind = \"slow\"\nfactor = 10\ntarget = \"primary\"");
    assert_eq!(slow.latency.all().p50_ms, 1.0);
    assert_eq!(slow.latency.all().max_ms, 1.0, "64 cores: nobody queues");
}

/// A single primary of 8 cores, constant 100 µs reads at 1,000/s, with
/// `fault` from 2 s to 4 s.
fn primary_under(fault: &str) -> RunResult {
    run_one(&format!(
        r#"
        seed = 31
        duration = "8s"
        warmup = "1s"
        [network]
        hop = "0s"
        [workload]
        rate = 1000
        keys = 1000
        [workload.mix]
        get = 1.0
        [[architecture]]
        kind = "single"
        [architecture.db]
        cores = 8
        read = "100us"
        [[fault]]
        at = "2s"
        for = "2s"
        target = "primary"
        {fault}
        "#
    ))
}

#[test]
fn a_partition_loses_requests_where_a_crash_holds_them() {
    // Crashed: gets wait for the restart at 4 s; those sent in its last
    // second are served then, within their timeout.
    let crash = primary_under("kind = \"crash\"");
    // Cut off: every get sent during the 2 s is lost and times out.
    let cut = primary_under("kind = \"partition\"");
    let (tc, tp) = (crash.latency.all().timeouts, cut.latency.all().timeouts);
    assert!((900..=1100).contains(&tc), "{tc}");
    assert!((1850..=2150).contains(&tp), "{tp}");
    // Nothing answered late: the answers came at once, and the slowest
    // operations are the timed-out ones, at their whole wait.
    let all = cut.latency.all();
    assert!(all.p50_ms < 1.0, "{all:?}");
    assert!(all.max_ms == 1000.0 && all.is_at_least("max_ms"), "{all:?}");
}

#[test]
fn a_slowed_station_is_back_to_speed_when_the_fault_ends() {
    // 8 cores at 100 µs per get and 1,000 gets/s are 1 % busy; ×1000 for
    // 2 s they fall behind by far, and the backlog, served at full speed
    // after 4 s, is gone within a second.
    let slow = primary_under("kind = \"slow\"\nfactor = 1000");
    let series = &slow.series;
    let after: f64 = (0..series.p99_ms.len())
        .filter(|&i| (i as f64 + 0.5) * series.window_s > 5.5)
        .map(|i| series.p99_ms[i])
        .fold(0.0, f64::max);
    assert!(after < 1.0, "p99 {after} ms after the backlog");
    // At ×1000 the 8 cores serve 80 gets/s: most of those sent in the
    // fault's first second wait past their timeout; the rest are served at
    // 4 s.
    assert!(
        (800..=1000).contains(&slow.faults[0].failed),
        "{:?}",
        slow.faults[0]
    );
}

#[test]
fn a_down_write_behind_cache_is_bypassed_not_trusted() {
    let run = run_one(
        r#"
        seed = 37
        duration = "6s"
        warmup = "1s"
        [workload]
        rate = 2000
        keys = 10000
        [workload.mix]
        get = 0.5
        put = 0.5
        [[architecture]]
        kind = "coordinator"
        [architecture.cache]
        capacity = 5000
        [architecture.coordinator]
        critical = 0.0
        flush = "2s"
        [[fault]]
        at = "3s"
        for = "2s"
        kind = "crash"
        target = "cache"
        "#,
    );
    // Lost: what it held at the crash (the puts since the flush at 2 s),
    // not the puts of the outage, which went through to the shards.
    let lost = run.faults[0].lost_writes;
    assert!((700..=2100).contains(&lost), "{lost}");
    let behind = run.visibility.lag_ms["write_model"].p50_ms;
    assert!(
        behind > 100.0,
        "the other puts are still written behind: {behind}"
    );
}

#[test]
fn raft_commits_nothing_without_a_majority() {
    let run = run_one(
        r#"
        seed = 41
        duration = "8s"
        warmup = "1s"
        [workload]
        rate = 2000
        [workload.mix]
        put = 1.0
        [[architecture]]
        kind = "colocated"
        [architecture.partitions]
        lease = "1s"
        [[fault]]
        at = "3s"
        for = "2s"
        kind = "crash"
        target = "node:0"
        [[fault]]
        at = "3s"
        for = "2s"
        kind = "crash"
        target = "node:1"
        "#,
    );
    // Two of three nodes down: no partition has a majority until 5 s.
    let s = &run.series;
    let during: f64 = (0..s.throughput_per_s.len())
        .filter(|&i| {
            let t = i as f64 * s.window_s;
            t >= 3.1 && t + s.window_s <= 5.0
        })
        .map(|i| s.throughput_per_s[i])
        .sum();
    assert_eq!(during, 0.0, "{:?}", s.throughput_per_s);
    // Both rows know of both crashes, though they begin at one instant:
    // the elections end only after the nodes are back at 5 s, within an
    // election timeout (150–300 ms) and a vote's round trip.
    for f in &run.faults {
        let t = f.takeover_s.expect("a takeover");
        assert!(t > 5.0 && t < 5.35, "{f:?}");
        assert!(f.failovers.iter().all(|o| o.split_votes > 0), "{f:?}");
    }
    let counts: u64 = run.anomalies.counts().iter().map(|c| c.1).sum();
    assert_eq!(counts, 0);
}

#[test]
fn a_fault_that_never_ends_finishes_the_run_and_owns_its_failures() {
    let run = run_one(
        r#"
        seed = 43
        duration = "10s"
        warmup = "1s"
        [workload]
        rate = 1000
        [workload.mix]
        put = 1.0
        [[architecture]]
        kind = "polyglot"
        [[fault]]
        at = "5s"
        kind = "crash"
        target = "primary"
        "#,
    );
    let all = run.latency.all();
    assert!(all.timeouts > 5000, "{all:?}");
    assert_eq!(
        run.faults[0].failed,
        all.timeouts + all.errors + all.unfinished
    );
}

#[test]
fn rows_of_successive_faults_stay_apart_and_the_warm_up_is_not_measured() {
    let run = run_one(
        r#"
        seed = 47
        duration = "10s"
        warmup = "3s"
        [workload]
        rate = 2000
        keys = 2000
        popularity = "uniform"
        [workload.mix]
        get = 0.5
        put = 0.5
        [[architecture]]
        kind = "single"
        [architecture.replicas]
        count = 1
        lag = "100ms"
        reads = "primary"
        failover_after = "500ms"
        [[fault]]
        at = "1s"
        for = "1s"
        kind = "crash"
        target = "primary"
        [[fault]]
        at = "6s"
        for = "2s"
        kind = "crash"
        target = "primary"
        "#,
    );
    let (warm, measured) = (&run.faults[0], &run.faults[1]);
    assert_eq!(warm.lost_writes, 0, "failed over in the warm-up: {warm:?}");
    assert_eq!(warm.failed, 0, "its operations are not measured");
    assert!(measured.lost_writes > 0, "{measured:?}");
    assert_eq!(run.anomalies.lost_write.count, measured.lost_writes);
    assert!(warm.until_s <= 6.0, "ends where the next begins: {warm:?}");
}

#[test]
fn a_crashed_replica_applies_nothing_until_it_restarts() {
    let lag = |fault: &str| {
        let run = run_one(&format!(
            r#"
            seed = 53
            duration = "10s"
            warmup = "1s"
            [workload]
            rate = 2000
            [[architecture]]
            kind = "single"
            [architecture.replicas]
            count = 1
            {fault}
            "#
        ));
        run.visibility.lag_ms["replica_1"].p99_ms
    };
    let calm = lag("");
    let down = lag("[[fault]]\nat = \"3s\"\nfor = \"3s\"\nkind = \"crash\"\ntarget = \"replica\"");
    assert!(calm < 500.0, "{calm}");
    assert!(
        down > 2000.0,
        "the writes of the outage wait for the restart: {down}"
    );
}

/// A write-behind cache cut off while its unflushed writes are on their
/// way: writes go past it to the coordinator and commit first. They take
/// versions after every one the cache issued (never the same number), and
/// a flushed write that lands behind a newer one is a lost write, not a
/// second commit of one version. (Before, the checked build stopped on
/// "a key's flushes commit in order".)
#[test]
fn writes_past_a_cut_off_write_behind_cache_never_reuse_its_versions() {
    let run = crate::run_one(
        r#"
        duration = "2s"
        warmup = "0s"
        [workload]
        rate = 300
        keys = 500
        [workload.mix]
        get = 0.6
        put = 0.3
        transfer = 0.1
        [[architecture]]
        kind = "coordinator"
        [architecture.cache]
        capacity = 100
        [architecture.coordinator]
        critical = 0.5
        flush = "200ms"
        [[fault]]
        at = "0ms"
        kind = "crash"
        target = "shard:0"
        for = "1000ms"
        [[fault]]
        at = "237ms"
        kind = "partition"
        target = "cache"
        "#,
    );
    assert_eq!(run.anomalies.lost_write.by_served_by.get("cache"), Some(&1));
}

/// The directory of a directory-routed cluster is a single point of
/// failure for every key its clients have not cached: while it is down,
/// the share of operations that fail is the clients' miss ratio on their
/// directory cache (held lookups time out), between half and all of the
/// whole run's miss ratio (the caches are warmer during the outage than
/// over the whole run, and misses do not fill them then); a cache of every
/// key loses fewer; nothing fails before the outage. A cluster routed by
/// hash has no directory to take a fault.
#[test]
fn a_directory_outage_fails_the_lookups_clients_had_not_cached() {
    let path = crate::scenario_path("faults/stage3-directory-down.toml");
    let scenario = archsim::scenario::Scenario::load(&path, &[]).unwrap();
    let results = crate::run(&scenario);
    let mut failed = Vec::new();
    for run in &results.runs {
        let f = fault(run, 0);
        let miss = 1.0 - run.components["directory"].hit_ratio.unwrap();
        let share = f.failed as f64 / (5_000.0 * 10.0);
        assert!(
            share > 0.5 * miss && share < miss,
            "{}: {share} failed against a miss ratio of {miss}",
            run.architecture
        );
        // The first 10 s of windows end before the fault, whether the
        // series starts at 0 or after the 3 s warm-up.
        let windows = (10.0 / run.series.window_s) as usize;
        let before: u64 = run.series.errors.iter().take(windows).sum();
        assert_eq!(before, 0, "{}", run.architecture);
        failed.push(f.failed);
    }
    assert!(failed[1] < failed[0], "{failed:?}");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("router = \"directory\"", "router = \"hash\"");
    let e = archsim::scenario::Scenario::from_toml(&text, "d.toml", "d", &[]).unwrap_err();
    assert!(e.to_string().contains("it has no directory"), "{e}");
}

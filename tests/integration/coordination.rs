//! The coordinator and colocated architectures against the closed forms of
//! their protocols (two-phase commit, Raft, 2PC over Raft groups), and the
//! trade-offs they exist to show: consistency on the strong paths at a
//! measurable coordination cost, write-behind staleness, deadlocks resolved
//! by timeouts, and coordination returning as locality falls.

use archsim::report::RunResult;
use archsim::scenario::Scenario;

use crate::{run, run_one, scenario, scenario_path};

fn validation(file: &str) -> RunResult {
    let s = Scenario::load(&scenario_path(&format!("validation/{file}")), &[]).unwrap();
    run(&s).runs.remove(0)
}

/// Every latency figure of `op` equals `ms` (to the nanosecond).
fn assert_constant(r: &RunResult, op: &str, ms: f64) {
    let l = &r.latency.0[op];
    for (name, v) in [
        ("mean", l.mean_ms),
        ("p50", l.p50_ms),
        ("p99", l.p99_ms),
        ("p99.9", l.p999_ms),
        ("max", l.max_ms),
    ] {
        assert!((v - ms).abs() < 1e-6, "{op} {name} {v} ms, theory {ms} ms");
    }
}

#[test]
fn two_phase_commit_acknowledges_after_2d_plus_2f() {
    // d = 0.1 ms, f = 1 ms, n = 2 participants (see the scenario file).
    let r = validation("2pc-constant.toml");
    assert!(r.latency.0["transfer"].count > 900);
    assert_constant(&r, "transfer", 2.0 * 0.1 + 2.0 * 1.0);
    let t = r.coordination.per_transaction.as_ref().unwrap();
    assert_eq!(t.count, r.latency.0["transfer"].count);
    assert_eq!((t.messages, t.forced_writes), (8.0, 5.0), "4n and 2n + 1");
    assert_eq!(t.critical_forced_writes, 2.0, "prepare and decision");
    assert_eq!(t.round_trips, Some(1.0));
    // Each participant holds its locks from its prepare record until its
    // commit record: VOTE d + decision f + COMMIT d + commit f.
    assert!((t.prepared_ms.unwrap() - 2.0 * 2.2).abs() < 1e-6);
    assert_eq!(r.anomalies.counts().iter().map(|c| c.1).sum::<u64>(), 0);
}

/// A `txn` over three accounts, each in its own group on its own shard
/// (groups = shards = 3, range placement: group g on shard g; locality 0
/// spreads every txn over three groups), with the constants of
/// `2pc-constant.toml`: d = 0.1 ms per message, f = 1 ms per forced write.
fn txn_over_three_shards() -> String {
    txn_over_three_groups(
        r#"
    [[architecture]]
    kind = "coordinator"
    shards = 3
    router = "range"
    partition_by = "group"
    [architecture.db]
    write = "0s"
    fsync = "1ms"
    [architecture.coordinator]
    service = "0s"
"#,
    )
}

/// One `txn` every 5 s over three accounts in three groups (locality 0:
/// every txn spans the three), d = 0.1 ms per message, then `architecture`.
fn txn_over_three_groups(architecture: &str) -> String {
    format!(
        r#"
    seed = 1
    duration = "2000s"
    warmup = "10s"
    [workload]
    rate = 0.2
    keys = 1000
    groups = 3
    locality = 0.0
    txn_keys = 3
    [workload.mix]
    txn = 1.0
    [workload.entities]
    accounts = 3
    balance = 1_000_000
    [network]
    hop = "100us"
    client_hop = "0s"
{architecture}"#
    )
}

#[test]
fn two_phase_commit_over_three_shards_costs_12_messages_and_7_forced_writes() {
    // Presumed abort with n = 3 updating participants: PREPARE, VOTE,
    // COMMIT and ACK to and from each, 4n = 12 messages; a prepare and a
    // commit record at each participant and the coordinator's decision,
    // 2n + 1 = 7 forced writes. The participants prepare in parallel, so
    // the answer still comes after 2d + 2f whatever n.
    let r = run_one(&txn_over_three_shards());
    assert!(r.latency.0["txn"].count > 150);
    assert_constant(&r, "txn", 2.0 * 0.1 + 2.0 * 1.0);
    let t = r.coordination.per_transaction.as_ref().unwrap();
    assert_eq!(t.count, r.latency.0["txn"].count);
    assert_eq!((t.messages, t.forced_writes), (12.0, 7.0), "4n and 2n + 1");
    assert_eq!(t.critical_forced_writes, 2.0, "prepare and decision");
    assert!((t.prepared_ms.unwrap() - 3.0 * 2.2).abs() < 1e-6);
    assert_eq!(r.anomalies.counts().iter().map(|c| c.1).sum::<u64>(), 0);
}

#[test]
fn raft_commits_after_2d_plus_f_and_2pc_over_raft_after_6d_plus_2f() {
    let r = validation("raft-constant.toml");
    assert_constant(&r, "put", 2.0 * 0.1 + 1.0);
    assert_constant(&r, "transfer", 6.0 * 0.1 + 2.0 * 1.0);
    // Each transfer: two intent rounds, the outcome round and two
    // resolution rounds, 4 messages each, plus the intent, vote and
    // resolution to the remote partition.
    let t = r.coordination.per_transaction.as_ref().unwrap();
    assert_eq!(t.consensus_rounds, Some(5.0));
    assert_eq!(t.messages, 5.0 * 4.0 + 3.0);
    assert_eq!(t.forced_writes, 5.0 * 3.0);
    // Per operation: a put costs one round of 4 messages, a transfer 23.
    let m = r.coordination.per_operation.as_ref().unwrap();
    let puts = r.latency.0["put"].count as f64;
    let transfers = r.latency.0["transfer"].count as f64;
    let want = (4.0 * puts + 23.0 * transfers) / (puts + transfers);
    assert!((m.messages - want).abs() < 1e-3, "{} vs {want}", m.messages);
}

/// A `txn` over three accounts in three groups, each group on its own
/// partition (of four, by hash: groups 0, 1, 2 on partitions 0, 1, 2;
/// Raft groups of three replicas), constant d = 0.1 ms and f = 1 ms, the
/// coordinator at the first participant's leader.
fn txn_over_three_partitions() -> String {
    txn_over_three_groups(
        r#"
    [[architecture]]
    kind = "colocated"
    partition_by = "group"
    [architecture.db]
    write = "0s"
    fsync = "1ms"
    [architecture.partitions]
    count = 4
"#,
    )
}

#[test]
fn two_phase_commit_over_three_raft_groups() {
    // p = 3 participants, r = 3 replicas: a write-intent round in each
    // group, the outcome round in the commit partition and a resolution
    // round in each, 2p + 1 = 7 consensus rounds of 2(r − 1) = 4 messages
    // and r = 3 forced writes; between leaders, the intent, the vote and
    // the resolution to each of the p − 1 remote participants: 7 × 4 +
    // 3 × 2 = 34 messages and 21 forced writes. The answer comes after the
    // intents (d + 2d + f, in parallel), the vote (d) and the outcome round
    // (2d + f): 6d + 2f, as for a transfer.
    let r = run_one(&txn_over_three_partitions());
    assert!(r.latency.0["txn"].count > 150);
    assert_constant(&r, "txn", 6.0 * 0.1 + 2.0 * 1.0);
    let t = r.coordination.per_transaction.as_ref().unwrap();
    assert_eq!(t.consensus_rounds, Some(7.0));
    assert_eq!(t.messages, 7.0 * 4.0 + 3.0 * 2.0);
    assert_eq!(t.forced_writes, 7.0 * 3.0);
    assert_eq!(r.anomalies.counts().iter().map(|c| c.1).sum::<u64>(), 0);
}

#[test]
fn a_separate_coordinator_group_costs_3p_leader_messages() {
    // The coordinator in a Raft group of its own: every participant is
    // remote. Rounds: p intents + the decision (now in the coordinator's
    // group) + p resolutions = 2p + 1, each 2(r − 1) messages; between
    // leaders, intent, vote and resolution to each of the p participants:
    // (2p + 1) · 2(r − 1) + 3p = 7 × 4 + 9 = 37 for p = 3, r = 3. (A
    // count of 40 = 28 + 4p would add an ACK from each participant; here,
    // as in the colocated placement, participants resolve their intents
    // through their own Raft round and do not acknowledge.) The intents
    // still leave in parallel one hop after the request: 6d + 2f.
    let separate = txn_over_three_partitions()
        .replace("count = 4", "count = 4\n    coordinator = \"separate\"");
    let r = run_one(&separate);
    assert!(r.latency.0["txn"].count > 150);
    assert_constant(&r, "txn", 6.0 * 0.1 + 2.0 * 1.0);
    let t = r.coordination.per_transaction.as_ref().unwrap();
    assert_eq!(t.consensus_rounds, Some(7.0));
    let (p, replicas) = (3.0, 3.0);
    let formula = (2.0 * p + 1.0) * 2.0 * (replicas - 1.0) + 3.0 * p;
    assert_eq!((t.messages, formula), (37.0, 37.0));
    assert_eq!(t.forced_writes, 7.0 * 3.0);
    assert_eq!(r.anomalies.counts().iter().map(|c| c.1).sum::<u64>(), 0);
}

#[test]
fn raft_commit_with_exponential_delays_averages_f_plus_1_25_d() {
    // The commit waits for the faster of two followers, each d1 + f + d2
    // with d exponential of mean 0.1 ms: E[min of two Erlang(2)] = 1.25 d.
    let r = run_one(
        r#"
        duration = "2000s"
        warmup = "10s"
        [workload]
        rate = 5
        [workload.mix]
        put = 1.0
        [network]
        hop = "exp(100us)"
        client_hop = "0s"
        [[architecture]]
        kind = "colocated"
        [architecture.db]
        write = "0s"
        fsync = "1ms"
        "#,
    );
    let mean = r.latency.0["put"].mean_ms;
    let want = 1.0 + 1.25 * 0.1;
    assert!(
        (mean - want).abs() / want < 0.01,
        "mean {mean:.4} ms, theory {want:.4} ms"
    );
}

/// Hot counters, items and accounts under both a coordinator and plain
/// shards: the same operation stream.
const CONTENDED: &str = r#"
    seed = 3
    duration = "20s"
    warmup = "2s"
    [workload]
    rate = 4000
    popularity = "zipf(1.1)"
    [workload.mix]
    get = 0.2
    rmw = 0.3
    reserve = 0.2
    transfer = 0.2
    multi_get = 0.1
    [workload.entities]
    accounts = 50
    counters = 20
    items = 50
    stock = 100000
    [[architecture]]
    kind = "coordinator"
    shards = 4
    [[architecture]]
    kind = "sharded"
    shards = 4
"#;

#[test]
fn the_coordinator_has_no_anomalies_on_its_strong_paths() {
    let results = run(&scenario(CONTENDED));
    let (coordinator, sharded) = (&results.runs[0], &results.runs[1]);
    let a = &coordinator.anomalies;
    assert_eq!(a.lost_update.count, 0, "rmw under the shard's lock");
    assert_eq!(a.invariant.count, 0, "transfers and reservations");
    assert_eq!(a.torn_transaction.count, 0, "two-phase commit");
    // The same stream on plain shards: every statement is as safe on its
    // shard (the same row locks), and no more.
    assert_eq!(sharded.anomalies.lost_update.count, 0);
    assert_eq!(sharded.anomalies.invariant.oversold_units, 0);
    // What it costs: every write passes the coordinator, cross-shard
    // transfers run 2PC, and hot keys wait for locks.
    let c = &coordinator.coordination;
    let per_op = c.per_operation.as_ref().unwrap();
    assert!(per_op.lock_wait_ms.unwrap() > 0.0);
    assert!(c.per_transaction.as_ref().unwrap().count > 1000);
    assert!(
        per_op.messages
            > sharded
                .coordination
                .per_operation
                .as_ref()
                .unwrap()
                .messages
    );
    // Reads that are not strong go to the read model and can be stale.
    assert!(
        a.stale_read
            .by_served_by
            .get("read_model")
            .copied()
            .unwrap_or(0)
            > 0
    );
    assert!(a.stale_read.by_served_by.keys().all(|k| k == "read_model"));
}

#[test]
fn read_modify_writes_in_the_application_lose_updates_on_both() {
    // The same stream with `rmw` and `reserve` run by the application (a
    // read, then a blind write): the coordinator reads its read model and
    // the shards their primaries, and both lose increments.
    let results = run(&scenario(
        &CONTENDED.replace("[workload]\n", "[workload]\n    rmw = \"client\"\n"),
    ));
    for r in &results.runs {
        assert!(r.anomalies.lost_update.count > 100, "{}", r.architecture);
    }
}

#[test]
fn crossed_transfers_deadlock_and_the_lock_timeout_breaks_them() {
    // Two accounts on two shards, transfers both ways at a high rate: each
    // transaction locks one account at each shard, so crossing PREPAREs
    // wait for each other until `lock_timeout`; the aborted one is retried.
    let r = run_one(
        r#"
        seed = 5
        duration = "10s"
        warmup = "1s"
        [workload]
        rate = 400
        groups = 2
        locality = 0.0
        [workload.mix]
        transfer = 1.0
        [workload.entities]
        accounts = 2
        balance = 1_000_000_000
        [[architecture]]
        kind = "coordinator"
        shards = 2
        partition_by = "group"
        [architecture.coordinator]
        lock_timeout = "20ms"
        retries = 1
        "#,
    );
    let c = &r.coordination;
    assert!(c.deadlocks.unwrap() > 10, "{c:?}");
    assert!(c.aborts.unwrap() >= c.deadlocks.unwrap());
    assert!(c.retries.unwrap() > 0);
    // Retries run out for some: the client gets an error, never a wrong answer.
    assert!(r.latency.0["transfer"].errors > 0);
    assert_eq!(r.anomalies.invariant.count, 0);
    assert_eq!(r.anomalies.torn_transaction.count, 0);
}

#[test]
fn write_behind_acknowledges_at_once_and_the_read_model_lags_until_the_flush() {
    let run_with = |critical: f64| {
        run_one(&format!(
            r#"
            seed = 9
            duration = "20s"
            warmup = "2s"
            [workload]
            rate = 2000
            keys = 1000
            [workload.mix]
            get = 0.7
            put = 0.3
            [[architecture]]
            kind = "coordinator"
            [architecture.cache]
            capacity = 100
            [architecture.coordinator]
            critical = {critical}
            flush = "1s"
            "#
        ))
    };
    let (through, behind) = (run_with(1.0), run_with(0.0));
    // Written behind, a put is answered by the cache alone.
    assert!(behind.latency.0["put"].p99_ms < through.latency.0["put"].p50_ms);
    // Reads that miss the small cache find the read model up to a flush
    // behind: far more stale reads, far older.
    let stale = |r: &RunResult| r.anomalies.stale_read.count;
    assert!(
        stale(&behind) > 10 * stale(&through).max(1),
        "{} vs {}",
        stale(&behind),
        stale(&through)
    );
    let age = |r: &RunResult| r.anomalies.stale_read.age_ms.as_ref().unwrap().p99_ms;
    assert!(age(&behind) > 500.0, "p99 age {} ms", age(&behind));
    // Every acknowledged write reaches the write model in the end.
    assert_eq!(behind.anomalies.lost_write.count, 0);
    assert_eq!(behind.anomalies.divergence["read_model"].older, 0);
}

#[test]
fn colocation_falls_and_coordination_returns() {
    let run_at = |locality: f64| {
        run_one(&format!(
            r#"
            seed = 11
            duration = "20s"
            warmup = "2s"
            [workload]
            rate = 4000
            groups = 100
            locality = {locality}
            [workload.mix]
            get = 0.5
            transfer = 0.5
            [[architecture]]
            kind = "colocated"
            partition_by = "group"
            "#
        ))
    };
    let (local, half) = (run_at(1.0), run_at(0.5));
    let share = |r: &RunResult| r.coordination.distributed_share.unwrap();
    assert_eq!(share(&local), 0.0, "every transfer inside its group");
    assert!((share(&half) - 0.25).abs() < 0.02, "{}", share(&half));
    let rounds = |r: &RunResult| {
        r.coordination
            .per_operation
            .as_ref()
            .unwrap()
            .consensus_rounds
            .unwrap()
    };
    assert!(rounds(&half) > 1.5 * rounds(&local));
    let p99 = |r: &RunResult| r.latency.0["transfer"].p99_ms;
    assert!(
        p99(&half) > 1.5 * p99(&local),
        "{} vs {}",
        p99(&half),
        p99(&local)
    );
    assert!(local.coordination.per_transaction.is_none());
}

#[test]
fn follower_reads_are_bounded_stale_and_leader_reads_are_not() {
    let run_with = |reads: &str| {
        run_one(&format!(
            r#"
            seed = 13
            duration = "20s"
            warmup = "2s"
            [workload]
            rate = 5000
            keys = 1000
            popularity = "zipf(1.0)"
            [workload.mix]
            get = 0.7
            put = 0.3
            [[architecture]]
            kind = "colocated"
            [architecture.partitions]
            reads = "{reads}"
            "#
        ))
    };
    let (leader, follower) = (run_with("leader"), run_with("follower"));
    assert_eq!(leader.anomalies.stale_read.count, 0);
    let s = &follower.anomalies.stale_read;
    assert!(s.count > 0);
    assert_eq!(s.by_served_by.keys().collect::<Vec<_>>(), ["follower"]);
    // A follower learns of a commit one hop after the leader: the staleness
    // is bounded by the hop (lognormal, p99 0.5 ms).
    assert!(s.age_ms.as_ref().unwrap().max_ms < 5.0);
}

#[test]
fn computing_next_to_the_data_saves_messages_and_pulling_rows() {
    let run_with = |compute: &str, op: &str| {
        // Analytics queries are rare: each takes seconds of CPU.
        let rate = if op == "analytics" { 0.2 } else { 20.0 };
        run_one(&format!(
            r#"
            seed = 17
            duration = "600s"
            warmup = "2s"
            [workload]
            rate = {rate}
            keys = 100000
            multi_get_keys = 10
            [workload.mix]
            {op} = 1.0
            [[architecture]]
            kind = "colocated"
            partition_by = "group"
            [architecture.partitions]
            compute = "{compute}"
            "#
        ))
    };
    let mean = |compute: &str, op: &str| run_with(compute, op).latency.0[op].mean_ms;
    // A group's 10 accounts: one request to their partition, or 10 requests
    // in parallel from the client, one per account. One round trip either
    // way; the client sends a request per key.
    let (near, far) = (
        run_with("colocated", "multi_get"),
        run_with("client", "multi_get"),
    );
    let cost = |r: &RunResult| r.coordination.per_operation.clone().unwrap();
    let (near_cost, far_cost) = (cost(&near), cost(&far));
    assert_eq!(
        (near_cost.round_trips, far_cost.round_trips),
        (Some(1.0), Some(1.0))
    );
    // Ten keys, a request and an answer each; a group's keys share a
    // partition (95 % of multi_gets stay in one group).
    assert_eq!(far_cost.messages, 20.0);
    assert!(near_cost.messages < 3.0, "{near_cost:?}");
    // Each key costs the database's read either way: next to the data one
    // core reads the ten in turn, from the client ten requests spread over
    // the leader's cores. The latencies stay close; the messages do not.
    let (near, far) = (
        near.latency.0["multi_get"].mean_ms,
        far.latency.0["multi_get"].mean_ms,
    );
    assert!(
        far < 2.0 * near && near < 2.0 * far,
        "client {far} ms, colocated {near} ms"
    );
    // Analytics split over 16 partitions' leaders, or every row pulled in
    // pages and the whole query run on the client.
    let (near, far) = (mean("colocated", "analytics"), mean("client", "analytics"));
    assert!(far > 5.0 * near, "client {far} ms, colocated {near} ms");
}

#[test]
fn a_sweep_runs_every_point_on_the_same_seed() {
    let s = scenario(
        r#"
        duration = "2s"
        warmup = "200ms"
        [workload]
        rate = 1000
        [workload.mix]
        get = 0.5
        transfer = 0.5
        [[architecture]]
        kind = "colocated"
        partition_by = "group"
        [[architecture]]
        kind = "single"
        [sweep]
        "workload.locality" = [1.0, 0.5]
        "workload.rate" = [500, 1000, 2000]
        "#,
    );
    let results = run(&s);
    assert_eq!(results.runs.len(), 2 * 3 * 2);
    let points: Vec<(String, String, String)> = results
        .runs
        .iter()
        .map(|r| {
            (
                r.point["workload.locality"].clone(),
                r.point["workload.rate"].clone(),
                r.architecture.clone(),
            )
        })
        .collect();
    assert_eq!(points[0], ("1.0".into(), "500".into(), "colocated".into()));
    assert_eq!(points[1], ("1.0".into(), "500".into(), "single".into()));
    assert_eq!(points[2], ("1.0".into(), "1000".into(), "colocated".into()));
    assert_eq!(points[11], ("0.5".into(), "2000".into(), "single".into()));
    // Throughput follows the swept rate.
    let single_2000 = &results.runs[11];
    assert!((single_2000.throughput_per_s - 2000.0).abs() < 150.0);
}

#[test]
fn a_reservation_read_from_the_read_model_can_oversell() {
    // `reserve` run by the application: the stock is read from the lagging
    // read model, and the decrement follows as a blind write. Sold-out
    // answers come from the read model too.
    let r = run_one(
        r#"
        duration = "1s"
        warmup = "0s"
        [workload]
        rate = 1000
        rmw = "client"
        [workload.mix]
        reserve = 1.0
        [workload.entities]
        items = 1
        stock = 3
        [[architecture]]
        kind = "coordinator"
        "#,
    );
    assert!(r.latency.0["reserve"].count > 900);
    assert!(r.anomalies.invariant.oversold_units > 0);
}

#[test]
fn wait_die_under_hot_accounts_aborts_and_never_hangs() {
    // Four accounts, transfers only, across partitions: conflicts
    // everywhere. Younger transactions die (and without retries fail),
    // older ones wait; none is left waiting forever, and nothing breaks.
    let r = run_one(
        r#"
        duration = "5s"
        warmup = "1s"
        [workload]
        rate = 5000
        popularity = "zipf(1.2)"
        locality = 0.0
        [workload.mix]
        transfer = 1.0
        [workload.entities]
        accounts = 4
        balance = 2
        [[architecture]]
        kind = "colocated"
        [architecture.partitions]
        count = 4
        retries = 0
        "#,
    );
    let l = &r.latency.0["transfer"];
    assert_eq!(l.unfinished, 0);
    assert!(l.errors > 1000 && l.count > 1000, "{l:?}");
    assert_eq!(r.anomalies.invariant.count, 0);
    assert_eq!(r.anomalies.torn_transaction.count, 0);
    assert_eq!(r.coordination.deadlocks, Some(0));
}

#[test]
fn a_colocated_store_that_queues_on_locks_breaks_crossed_waits_by_timeout() {
    // The same crossing transfers over two partitions, with colocated's
    // locks queued (`conflict = "wait"`) instead of wait-die: the crossed
    // waits are deadlocks no partition sees alone, and `lock_timeout`
    // breaks them.
    let r = run_one(
        r#"
        seed = 5
        duration = "10s"
        warmup = "1s"
        [workload]
        rate = 400
        groups = 2
        locality = 0.0
        [workload.mix]
        transfer = 1.0
        [workload.entities]
        accounts = 2
        balance = 1_000_000_000
        [[architecture]]
        kind = "colocated"
        partition_by = "group"
        [architecture.partitions]
        count = 2
        conflict = "wait"
        lock_timeout = "20ms"
        retries = 1
        "#,
    );
    let c = &r.coordination;
    assert!(c.deadlocks.unwrap() > 10, "{c:?}");
    assert!(c.retries.unwrap() > 0);
    assert_eq!(
        r.latency.0["transfer"].timeouts, 0,
        "every wait ends by its timeout"
    );
    assert_eq!(r.anomalies.invariant.count, 0);
    assert_eq!(r.anomalies.torn_transaction.count, 0);
}

/// Mean `txn` latency on the coordinator with `n` participants, each on
/// its own shard (16 groups on 16 shards by range; locality 0), no lock
/// conflicts (a transaction every 200 ms on average), d = 0.1 ms, forced
/// writes lognormal (p50 1 ms, p99 4 ms), and a coordinator of one core
/// spending 0.5 ms on each message it handles.
fn txn_mean_ms(n: u32) -> f64 {
    let r = run_one(&format!(
        r#"
        seed = 5
        duration = "400s"
        warmup = "5s"
        [workload]
        rate = 5
        groups = 16
        locality = 0.0
        popularity = "uniform"
        txn_keys = {n}
        [workload.mix]
        txn = 1.0
        [workload.entities]
        accounts = 1600
        balance = 1_000_000
        [network]
        hop = "100us"
        client_hop = "0s"
        [[architecture]]
        kind = "coordinator"
        shards = 16
        router = "range"
        partition_by = "group"
        [architecture.db]
        write = "0s"
        fsync = "lognormal(p50=1ms, p99=4ms)"
        [architecture.coordinator]
        cores = 1
        service = "500us"
        "#
    ));
    r.latency.0["txn"].mean_ms
}

#[test]
fn commit_latency_grows_slowly_with_participants_then_linearly() {
    // The shape of Spanner's Table 4 (Corbett et al., OSDI 2012): mean 2PC
    // commit latency 17.0 ms at 1 participant, 24.5 at 2, 31.5 at 5, 30.0 at
    // 10, 35.5 at 25, then 71.4 at 100 and 150.5 at 200. While participants
    // prepare in parallel, one more adds only the growth of the slowest
    // prepare (the maximum of n forced writes) and the coordinator's core
    // handles each vote as it comes; once the votes arrive faster than the
    // core handles them, each adds its handling time, s = 0.5 ms.
    let (l2, l4, l8, l16) = (
        txn_mean_ms(2),
        txn_mean_ms(4),
        txn_mean_ms(8),
        txn_mean_ms(16),
    );
    let (early, late) = ((l4 - l2) / 2.0, (l16 - l8) / 8.0);
    eprintln!(
        "mean ms: n=2 {l2:.3}, 4 {l4:.3}, 8 {l8:.3}, 16 {l16:.3}; per participant {early:.3} then {late:.3}"
    );
    assert!(l2 < l4 && l4 < l8 && l8 < l16);
    // Margins: the late slope within 25 % of s, and the early one below 80 %
    // of the late one.
    assert!(
        (late - 0.5).abs() < 0.125,
        "late slope {late:.3} ms per participant"
    );
    assert!(early < 0.8 * late, "early {early:.3} vs late {late:.3}");
}

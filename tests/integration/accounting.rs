//! One accounting for all five architectures: the network counts every
//! message any component sends (client legs, replication, pipeline
//! deliveries, dual writes, quorum legs, Raft, two-phase commit,
//! invalidations, fills), every architecture reports messages, round trips
//! on the client's path, forced writes and consensus rounds per operation,
//! and the footprint counts platforms and nodes apart.

use archsim::metrics::MeanCost;
use archsim::report::RunResult;
use archsim::scenario::Scenario;

use crate::{run, run_one, scenario_path};

/// The cost per operation of `r`.
fn per_op(r: &RunResult) -> &MeanCost {
    r.coordination
        .per_operation
        .as_ref()
        .unwrap_or_else(|| panic!("{}: no cost per operation", r.architecture))
}

/// Messages of `kind` per operation of `r` (0 when none was sent).
fn sent(r: &RunResult, kind: &str) -> f64 {
    per_op(r).messages_by_kind.get(kind).copied().unwrap_or(0.0)
}

/// One architecture on a light load (nothing queues, nothing times out):
/// the operations of `mix`, with `arch` the `[[architecture]]` table.
fn light(mix: &str, arch: &str) -> RunResult {
    light_with("", mix, arch)
}

/// The same, with `workload` more keys of the `[workload]` table.
fn light_with(workload: &str, mix: &str, arch: &str) -> RunResult {
    let r = run_one(&format!(
        r#"
        seed = 3
        duration = "5s"
        warmup = "500ms"
        [workload]
        rate = 200
        keys = 1000
        {workload}
        [workload.mix]
        {mix}
        [[architecture]]
        {arch}
        "#
    ));
    assert_eq!(r.latency.all().failed(), 0, "{}", r.architecture);
    r
}

/// `figure` per operation is `want` (counted exactly, reported to six
/// decimals).
fn assert_per_op(r: &RunResult, figure: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() < 1e-6,
        "{}: {figure} {got} per operation, want {want} ({:?})",
        r.architecture,
        per_op(r)
    );
}

#[test]
fn replicas_cost_one_message_per_commit_each() {
    let with = |replicas: u32| {
        light(
            "get = 0.5\nput = 0.5",
            &format!("kind = \"single\"\n[architecture.replicas]\ncount = {replicas}"),
        )
    };
    let (none, two) = (with(0), with(2));
    assert!(
        per_op(&two).messages > per_op(&none).messages,
        "{} vs {}",
        per_op(&two).messages,
        per_op(&none).messages
    );
    assert_eq!(sent(&none, "replication"), 0.0);
    // Every put commits once and ships to each replica; reads go to the
    // primary, so the rest is the same.
    let puts = two.latency.0["put"].count as f64 / two.latency.all().count as f64;
    assert_per_op(&two, "replication", sent(&two, "replication"), 2.0 * puts);
    assert_per_op(&two, "client", sent(&two, "client"), sent(&none, "client"));
}

#[test]
fn a_quorum_of_three_sends_quorum_legs_and_one_replica_none() {
    let docstore = |n: u32, mix: &str| {
        light(
            mix,
            &format!("kind = \"sharded\"\n[architecture.docstore]\nn = {n}\nr = 1\nw = 1"),
        )
    };
    let (one, three) = (docstore(1, "doc_put = 1.0"), docstore(3, "doc_put = 1.0"));
    // A write goes to every replica and each acknowledges: the first
    // replica's legs are the client's own, the others' the quorum's.
    assert_per_op(&one, "client", sent(&one, "client"), 2.0);
    assert_eq!(sent(&one, "quorum"), 0.0);
    assert!(!per_op(&one).messages_by_kind.contains_key("quorum"));
    assert_per_op(&three, "client", sent(&three, "client"), 2.0);
    assert_per_op(&three, "quorum", sent(&three, "quorum"), 4.0);
    // Sent in parallel: one round trip; a quorum write is not consensus.
    assert_per_op(
        &three,
        "round trips",
        per_op(&three).round_trips.unwrap(),
        1.0,
    );
    assert_eq!(per_op(&three).consensus_rounds, Some(0.0));
    // A read asks all three and each replies, though with r = 1 the
    // client waits only for the first reply.
    let reads = docstore(3, "doc_get = 1.0");
    assert_per_op(&reads, "client", sent(&reads, "client"), 2.0);
    assert_per_op(&reads, "quorum", sent(&reads, "quorum"), 4.0);
}

#[test]
fn each_request_the_client_waits_for_is_a_round_trip() {
    // No cache: a read is one request to the primary and its answer.
    let r = light("get = 1.0", "kind = \"single\"");
    assert_per_op(&r, "messages", per_op(&r).messages, 2.0);
    assert_per_op(&r, "round trips", per_op(&r).round_trips.unwrap(), 1.0);
    assert_per_op(&r, "forced writes", per_op(&r).forced_writes, 0.0);
    // A read-modify-write is one statement at the primary: one round
    // trip, one commit record forced. Run by the application, it reads,
    // then writes: two round trips.
    let r = light("rmw = 1.0", "kind = \"single\"");
    assert_per_op(&r, "messages", per_op(&r).messages, 2.0);
    assert_per_op(&r, "round trips", per_op(&r).round_trips.unwrap(), 1.0);
    assert_per_op(&r, "forced writes", per_op(&r).forced_writes, 1.0);
    let r = light_with("rmw = \"client\"", "rmw = 1.0", "kind = \"single\"");
    assert_per_op(&r, "messages", per_op(&r).messages, 4.0);
    assert_per_op(&r, "round trips", per_op(&r).round_trips.unwrap(), 2.0);
    assert_per_op(&r, "forced writes", per_op(&r).forced_writes, 1.0);
    // With a remote cache, the writer waits for its invalidation.
    let r = light(
        "put = 1.0",
        "kind = \"single\"\n[architecture.cache]\ncapacity = 100",
    );
    assert_per_op(&r, "round trips", per_op(&r).round_trips.unwrap(), 2.0);
    assert_per_op(&r, "invalidation", sent(&r, "invalidation"), 2.0);
    // The coordinator: client to coordinator, coordinator to the shard;
    // the commit goes to the read model by the event log.
    let r = light("put = 1.0", "kind = \"coordinator\"");
    assert_per_op(&r, "round trips", per_op(&r).round_trips.unwrap(), 2.0);
    assert_per_op(&r, "client", sent(&r, "client"), 2.0);
    assert_per_op(&r, "server", sent(&r, "server"), 2.0);
    assert_per_op(&r, "pipeline", sent(&r, "pipeline"), 1.0);
    assert_per_op(&r, "forced writes", per_op(&r).forced_writes, 1.0);
    // A colocated put: one request to the leader, one Raft round of
    // 2(n − 1) = 4 messages with 3 replicas.
    let r = light("put = 1.0", "kind = \"colocated\"");
    // (A put that dies under wait-die is retried: one more request.)
    let retries = r.coordination.retries.unwrap() as f64 / per_op(&r).count as f64;
    assert_per_op(
        &r,
        "round trips",
        per_op(&r).round_trips.unwrap(),
        1.0 + retries,
    );
    assert_per_op(&r, "raft", sent(&r, "raft"), 4.0);
    assert_per_op(&r, "consensus", per_op(&r).consensus_rounds.unwrap(), 1.0);
    // Polyglot: the search index and the warehouse learn of each put by
    // change data capture; a cache kept by dual writes is one more
    // request the client waits for.
    let r = light(
        "put = 1.0",
        "kind = \"polyglot\"\n[architecture.cache]\ncapacity = 100",
    );
    assert_per_op(&r, "pipeline", sent(&r, "pipeline"), 2.0);
    assert_per_op(&r, "dual_write", sent(&r, "dual_write"), 2.0);
    assert_per_op(&r, "round trips", per_op(&r).round_trips.unwrap(), 2.0);
}

#[test]
fn no_network_no_messages() {
    // Every leg "0s": local calls, no messages, no round trips.
    let r = run_one(
        r#"
        duration = "2s"
        warmup = "0s"
        [workload]
        rate = 200
        [workload.mix]
        get = 0.5
        put = 0.5
        [network]
        hop = "0s"
        [[architecture]]
        kind = "single"
        [architecture.replicas]
        count = 1
        "#,
    );
    assert_eq!(per_op(&r).messages, 0.0);
    assert_eq!(per_op(&r).round_trips, Some(0.0));
    assert!(per_op(&r).forced_writes > 0.0);
}

/// The default comparison, shortened.
fn five() -> Vec<RunResult> {
    let s = Scenario::load(
        &scenario_path("five-architectures.toml"),
        &["duration=2s".parse().unwrap(), "warmup=1s".parse().unwrap()],
    )
    .unwrap();
    run(&s).runs
}

#[test]
fn every_architecture_reports_the_same_figures_on_the_default_comparison() {
    let runs = five();
    assert_eq!(runs.len(), 5);
    for r in &runs {
        let m = per_op(r);
        assert_eq!(m.count, r.latency.all().count, "{}", r.architecture);
        assert!(m.messages > 1.0, "{}: {m:?}", r.architecture);
        let by_kind: f64 = m.messages_by_kind.values().sum();
        assert!(
            (by_kind - m.messages).abs() < 1e-4,
            "{}: {m:?}",
            r.architecture
        );
        assert!(m.round_trips.unwrap() >= 1.0, "{}: {m:?}", r.architecture);
        let rounds = m.consensus_rounds.unwrap();
        match r.architecture.as_str() {
            "colocated" => assert!(rounds > 0.0),
            _ => assert_eq!(rounds, 0.0, "{}", r.architecture),
        }
        if r.architecture != "colocated" {
            // Every write's commit record is forced (the colocated store
            // is memory-first by default).
            assert!(m.forced_writes > 0.0, "{}: {m:?}", r.architecture);
        }
    }
}

#[test]
fn the_footprint_counts_platforms_and_nodes_apart() {
    let runs = five();
    let footprint = |name: &str| {
        let r = runs.iter().find(|r| r.architecture == name).unwrap();
        let f = &r.footprint;
        assert_eq!(f.platforms as usize, f.by_platform.len(), "{name}");
        assert_eq!(f.nodes, f.by_platform.values().sum::<u32>(), "{name}");
        (f.platforms, f.nodes)
    };
    // A primary and its remote cache.
    assert_eq!(footprint("single"), (2, 2));
    // Database, cache, search, warehouse, session store, and the CDC
    // connector that feeds three of them.
    assert_eq!(footprint("polyglot"), (6, 6));
    // Eight shards and a four-node cache grid: two platforms.
    assert_eq!(footprint("sharded"), (2, 12));
    // The same shards, the coordinator, the read model, its event log and
    // the boundary cache.
    assert_eq!(footprint("coordinator"), (5, 12));
    // One store on three nodes.
    assert_eq!(footprint("colocated"), (1, 3));
}

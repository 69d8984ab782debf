//! Stages as a path: sharded and coordinator carry polyglot's specialized
//! stores (`[architecture.stores]`), the same part with the same sync
//! paths, so sharding a polyglot system removes its database bottleneck and
//! keeps its synchronization anomalies.

use archsim::report::RunResult;

use crate::{archsim, run, scenario};

/// The stores every architecture below carries: the index fed by an event
/// bus with four consumers (out-of-order applies), the cache dual-written.
const STORES: &str =
    "[architecture.stores]\nsearch_sync = \"event-bus\"\nconsumers = 4\ncores = 16";

/// A stage-2 platform's stream at `rate` ops/s on `architectures`.
fn stage_two(rate: u32, architectures: &str) -> String {
    format!(
        r#"
        seed = 5
        duration = "6s"
        warmup = "1s"
        [workload]
        rate = {rate}
        keys = 20_000
        popularity = "zipf(0.9)"
        [workload.mix]
        get = 0.6
        put = 0.25
        search = 0.01
        session_get = 0.07
        session_put = 0.07
        {architectures}
        "#
    )
}

/// Polyglot on one database core, and the same system over eight shards
/// of one core each.
fn polyglot_and_sharded() -> String {
    format!(
        "[[architecture]]\nkind = \"polyglot\"\n[architecture.db]\ncores = 1\n\
         [architecture.cache]\ncapacity = 5_000\n{STORES}\n\
         [[architecture]]\nkind = \"sharded\"\nname = \"polyglot-sharded\"\nshards = 8\n\
         [architecture.db]\ncores = 1\n[architecture.cache]\ncapacity = 1_250\nnodes = 4\n{STORES}"
    )
}

fn index_stale_per_1k(r: &RunResult) -> f64 {
    let stale = &r.anomalies.stale_read;
    let by_index = stale.by_served_by.get("index").copied().unwrap_or(0);
    by_index as f64 * 1000.0 / r.latency.0["all"].count as f64
}

fn search_out_of_order(r: &RunResult) -> u64 {
    let o = &r.anomalies.out_of_order_apply;
    o.by_served_by.get("search").copied().unwrap_or(0)
}

#[test]
fn sharding_a_polyglot_system_keeps_its_synchronization_anomalies() {
    // Below the database's capacity: the same pipelines, their delays drawn
    // from the same streams, so the index serves about as many stale reads
    // and applies about as many changes out of order either way. The
    // counts differ only by when commits happen (one log or eight); a
    // sharded system that had dropped its stores would show none.
    let results = run(&scenario(&stage_two(4_000, &polyglot_and_sharded())));
    let (polyglot, sharded) = (&results.runs[0], &results.runs[1]);
    let (p, s) = (index_stale_per_1k(polyglot), index_stale_per_1k(sharded));
    assert!(p > 3.0, "polyglot's index serves stale reads: {p} per 1k");
    assert!(
        s >= 0.6 * p && s <= 1.6 * p,
        "sharded keeps them: {s} per 1k against polyglot's {p}"
    );
    let (p, s) = (search_out_of_order(polyglot), search_out_of_order(sharded));
    assert!(p > 20, "the bus's consumers reorder changes: {p}");
    assert!(
        s as f64 >= 0.6 * p as f64,
        "sharded keeps them: {s} against polyglot's {p}"
    );
    for r in [polyglot, sharded] {
        for copy in ["search", "warehouse", "cache"] {
            let lag = &r.visibility.lag_ms[copy];
            assert!(lag.writes > 5_000, "{} {copy}: {lag:?}", r.architecture);
        }
    }
}

#[test]
fn sharding_a_polyglot_system_removes_its_database_bottleneck() {
    // At 30,000 ops/s one database core is past its capacity; eight are
    // not. The stores' anomalies do not go with the bottleneck.
    let results = run(&scenario(&stage_two(30_000, &polyglot_and_sharded())));
    let (polyglot, sharded) = (&results.runs[0], &results.runs[1]);
    let db = polyglot.components["db"].utilization.unwrap();
    assert!(
        polyglot.saturated.is_some() || db > 0.9,
        "polyglot's database is the bottleneck: {db}"
    );
    let busiest_shard = sharded
        .components
        .iter()
        .filter(|(n, _)| n.starts_with("shard_"))
        .map(|(_, c)| c.utilization.unwrap())
        .fold(0.0, f64::max);
    assert!(busiest_shard < 0.5, "no shard is: {busiest_shard}");
    assert!(sharded.saturated.is_none());
    let all = &sharded.latency.0["all"];
    assert!(all.ok as f64 >= 0.99 * all.count as f64, "{all:?}");
    assert!(index_stale_per_1k(sharded) > 3.0);
    assert!(search_out_of_order(sharded) > 100);
}

#[test]
fn a_polyglot_system_on_one_shard_is_polyglot() {
    // One shard, one grid node of the same capacity, the same stores: the
    // same statements, log, cache and pipelines as polyglot's. Each
    // architecture draws from its own streams, so every kind's latency
    // agrees within their sampling noise (4 %; 8 % at p99, for kinds with
    // enough draws to estimate it: 5,000 or more), and each
    // anomaly count within three standard deviations of the difference of
    // two Poisson counts. (Searches, a hundred heavy-tailed draws that never
    // touch the shards, are left out of the stream.)
    let stores = "[architecture.stores]\nsearch_sync = \"event-bus\"\nconsumers = 4";
    let text = stage_two(
        2_000,
        &format!(
            "[[architecture]]\nkind = \"polyglot\"\n[architecture.db]\ncores = 1\n\
             [architecture.cache]\ncapacity = 5_000\n{stores}\n\
             [[architecture]]\nkind = \"sharded\"\nshards = 1\n[architecture.db]\ncores = 1\n\
             [architecture.cache]\ncapacity = 5_000\n{stores}"
        ),
    )
    .replace("get = 0.6\n", "get = 0.61\n")
    .replace("search = 0.01\n", "");
    let results = run(&scenario(&text));
    let (base, r) = (&results.runs[0], &results.runs[1]);
    for (kind, b) in &base.latency.0 {
        let o = &r.latency.0[kind];
        assert_eq!((o.count, o.ok), (b.count, b.ok), "{kind}");
        let p99 = if b.count >= 5_000 {
            0.08
        } else {
            f64::INFINITY
        };
        for (name, x, y, margin) in [
            ("mean", b.mean_ms, o.mean_ms, 0.04),
            ("p50", b.p50_ms, o.p50_ms, 0.04),
            ("p90", b.p90_ms, o.p90_ms, 0.04),
            ("p99", b.p99_ms, o.p99_ms, p99),
        ] {
            assert!(
                (y - x).abs() <= margin * x,
                "{kind} {name}: {y} ms against polyglot's {x} ms"
            );
        }
    }
    for ((class, b), (_, o)) in base
        .anomalies
        .counts()
        .into_iter()
        .zip(r.anomalies.counts())
    {
        let (b, o) = (b as f64, o as f64);
        assert!(
            (o - b).abs() <= 3.0 * (b + o).sqrt(),
            "{class}: {o} against polyglot's {b}"
        );
    }
    assert_eq!(
        base.footprint.sync.len(),
        r.footprint.sync.len(),
        "the same sync paths"
    );
}

#[test]
fn a_coordinator_carries_the_stores_beside_its_read_model() {
    let text = stage_two(
        4_000,
        "[[architecture]]\nkind = \"coordinator\"\nshards = 8\n[architecture.stores]\n\
         consumers = 4\ncores = 16\nsearch_sync = \"dual-write\"",
    );
    let r = &run(&scenario(&text)).runs[0];
    // Searches at the index, sessions at the session store, both counted.
    assert!(r.latency.0["search"].ok > 100);
    assert!(r.latency.0["session_put"].ok > 1_000);
    assert!(r.components["session_store"].utilization.unwrap() > 0.0);
    // Dual writes on the client's path: one per write to the index.
    let per_op = r.coordination.per_operation.as_ref().unwrap();
    let dual = per_op.messages_by_kind.get("dual_write").copied();
    assert!(dual.unwrap_or(0.0) > 0.2, "{dual:?}");
    assert!(r.footprint.systems.contains(&"search".to_string()));
    assert!(r.visibility.lag_ms["search"].writes > 5_000);
}

#[test]
fn the_stores_are_fault_targets_when_carried() {
    // A connector stalled for 2 s: the index's p99 lag takes the stall.
    let text = stage_two(
        2_000,
        &format!(
            "[[architecture]]\nkind = \"sharded\"\nshards = 4\n{}\n\
             [[fault]]\nat = \"2s\"\nfor = \"2s\"\nkind = \"lag\"\ntarget = \"pipeline:search\"",
            STORES.replace("event-bus", "cdc")
        ),
    );
    let r = &run(&scenario(&text)).runs[0];
    let lag = &r.visibility.lag_ms["search"];
    assert!(lag.p99_ms > 2_000.0, "{lag:?}");
}

#[test]
fn what_only_the_stores_serve_is_refused_without_them_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        stage_two(1_000, "[[architecture]]\nkind = \"sharded\"\nshards = 4"),
    )
    .unwrap();
    let out = archsim(&["check", path.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("s.toml:13:"), "{err}");
    assert!(err.contains("no store for session_get"), "{err}");
    assert!(err.contains("[architecture.stores]"), "{err}");
}

#[test]
fn a_write_behind_coordinator_cannot_dual_write_its_stores() {
    let text = stage_two(
        1_000,
        "[[architecture]]\nkind = \"coordinator\"\nshards = 4\n[architecture.cache]\n\
         capacity = 100\n[architecture.coordinator]\ncritical = 0.5\n[architecture.stores]\n\
         warehouse_sync = \"dual-write\"",
    );
    let err = archsim::scenario::Scenario::from_toml(&text, "w.toml", "w", &[])
        .expect_err("refused")
        .to_string();
    assert!(err.contains("warehouse_sync"), "{err}");
    assert!(err.contains("write-behind"), "{err}");
    assert!(err.contains("w.toml:"), "{err}");
}

#[test]
fn a_starter_sharded_scenario_offers_the_stores_without_carrying_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    let out = archsim(&["init", "--stage", "sharded", "-o", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\n# [architecture.stores]\n"), "{text}");
    let s = scenario(&text);
    let archsim::arch::Config::Sharded(c) = &s.architectures[0].config else {
        panic!("a sharded architecture")
    };
    assert_eq!(c.stores, None);
}

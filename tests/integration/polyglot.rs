//! Specialized persistence: how each sync path behaves — dual writes that
//! fail leave permanent divergence, a CDC connector above its throughput
//! falls behind without bound, an event bus duplicates and (with several
//! consumers) reorders, an index shows changes at its next refresh.

use archsim::report::RunResult;

use crate::{run, run_one, scenario};

/// Writes (puts) over uniform keys, with a cache big enough for all of them.
fn polyglot(stores: &str, rate: u32, secs: u32) -> RunResult {
    run_one(&format!(
        r#"
        duration = "{secs}s"
        warmup = "1s"
        [workload]
        rate = {rate}
        keys = 10000
        popularity = "uniform"
        [workload.mix]
        get = 0.5
        put = 0.5
        [network]
        hop = "0s"
        [[architecture]]
        kind = "polyglot"
        [architecture.db]
        cores = 64
        read = "1us"
        write = "1us"
        fsync = "0s"
        [architecture.cache]
        capacity = 100000
        service = "1us"
        cores = 64
        [architecture.stores]
        search = "1us"
        cores = 64
        {stores}
        "#
    ))
}

#[test]
fn failed_dual_writes_diverge_until_the_key_is_written_again() {
    // Every key is written many times; a store is left behind on a key when
    // the dual write of that key's last write failed: 5 % of the keys.
    let r = polyglot(
        "cache_sync = \"dual-write\"\nsearch_sync = \"dual-write\"\nfail = 0.05",
        4000,
        30,
    );
    for store in ["cache", "search"] {
        let d = &r.anomalies.divergence[store];
        assert!(
            (d.older as f64 - 500.0).abs() < 90.0,
            "{store}: {} keys behind, expected about 500",
            d.older
        );
        assert_eq!(d.phantom, 0);
    }
}

#[test]
fn cdc_falls_behind_above_its_throughput() {
    let below = polyglot("search_sync = \"cdc\"\nthroughput = 8000", 4000, 20);
    let above = polyglot("search_sync = \"cdc\"\nthroughput = 1000", 4000, 20);
    let lag = |r: &RunResult| r.visibility.lag_ms["search"].p99_ms;
    // Below: a poll, a batch and the next refresh (1 s) bound the lag.
    assert!(
        lag(&below) < 3_000.0,
        "below capacity p99 lag {} ms",
        lag(&below)
    );
    // Above: 2,000 changes/s against 1,000/s; after 20 s the newest waits
    // about 20 s.
    assert!(
        lag(&above) > 10_000.0,
        "above capacity p99 lag {} ms",
        lag(&above)
    );
    // The run drains the pipelines before comparing: even the overloaded
    // index catches up once writes stop, and ends equal to the database.
    assert_eq!(below.anomalies.divergence["search"].older, 0);
    assert_eq!(above.anomalies.divergence["search"].older, 0);
}

#[test]
fn an_event_bus_duplicates_and_with_several_consumers_reorders() {
    let ordered = polyglot(
        "search_sync = \"event-bus\"\nduplicate = 0.02\nconsumers = 1",
        4000,
        10,
    );
    let racing = polyglot(
        "search_sync = \"event-bus\"\nduplicate = 0.02\nconsumers = 4",
        4000,
        10,
    );
    // About 2 % of ~2,000 writes/s over 11 s are delivered twice.
    let dupes = ordered.anomalies.duplicate_apply.by_served_by["search"] as f64;
    assert!(
        (dupes - 0.02 * 22_000.0).abs() < 120.0,
        "{dupes} duplicates"
    );
    assert_eq!(
        ordered.anomalies.out_of_order_apply.count, 0,
        "one consumer keeps key order"
    );
    assert!(racing.anomalies.out_of_order_apply.by_served_by["search"] > 0);
}

#[test]
fn the_index_shows_changes_at_its_next_refresh() {
    // With an instant bus, a change waits for the next 1 s refresh: the
    // lag is uniform on [0, 1 s), mean 0.5 s.
    let r = polyglot(
        "search_sync = \"event-bus\"\nbus_delay = \"0s\"\nrefresh = \"1s\"",
        2000,
        30,
    );
    let lag = &r.components["search"];
    assert!(
        (lag.lag_mean_ms.unwrap() - 500.0).abs() < 15.0,
        "{:?}",
        lag.lag_mean_ms
    );
    assert!(lag.lag_p99_ms.unwrap() > 980.0 && lag.lag_p99_ms.unwrap() <= 1000.0);
}

#[test]
fn warehouse_loads_are_in_steady_state_however_short_the_run() {
    // Loads every 10 s, runs of 2 s. Were the cycle to begin with the run,
    // every write would wait for the load at 10 s: a mean lag of 9 s. Each
    // run draws where in its cycle the warehouse is, so a write meets a
    // uniform moment of it and the mean lag over runs is load_every / 2 =
    // 5 s (a load takes no time here, nor does the bus). 400 runs: standard
    // error about 0.15 s.
    let s = scenario(
        r#"
        duration = "2s"
        warmup = "0s"
        replications = 400
        [workload]
        rate = 200
        keys = 1000
        popularity = "uniform"
        [workload.mix]
        get = 0.5
        put = 0.5
        [network]
        hop = "0s"
        [[architecture]]
        kind = "polyglot"
        [architecture.stores]
        warehouse_sync = "event-bus"
        bus_delay = "0s"
        load_every = "10s"
        "#,
    );
    let runs = run(&s).runs;
    let mean = runs
        .iter()
        .map(|r| r.components["warehouse"].lag_mean_ms.unwrap())
        .sum::<f64>()
        / runs.len() as f64;
    assert!(
        (mean - 5_000.0).abs() < 500.0,
        "mean warehouse lag over {} runs: {mean:.0} ms, load_every / 2 = 5000 ms",
        runs.len()
    );
}

#[test]
fn one_sync_for_every_store() {
    let short = crate::scenario(
        "[[architecture]]\nkind = \"polyglot\"\nsync = \"event-bus\"\n\
         [architecture.stores]\nsearch_sync = \"dual-write\"\ninterval = \"5m\"\n",
    );
    let long = crate::scenario(
        "[[architecture]]\nkind = \"polyglot\"\n[architecture.stores]\n\
         cache_sync = \"event-bus\"\nsearch_sync = \"dual-write\"\n\
         warehouse_sync = \"event-bus\"\nload_every = \"5m\"\n",
    );
    assert_eq!(short, long);
    let in_table = crate::scenario(
        "[[architecture]]\nkind = \"polyglot\"\n[architecture.stores]\nsync = \"cdc\"\n",
    );
    let archsim::arch::Config::Polyglot(polyglot) = &in_table.architectures[0].config else {
        panic!("a polyglot architecture")
    };
    let stores = &polyglot.stores;
    assert_eq!(
        [stores.cache_sync, stores.search_sync, stores.warehouse_sync].map(|s| format!("{s:?}")),
        ["Cdc", "Cdc", "Cdc"]
    );
}

#[test]
fn visibility_lag_per_store_is_reported_with_its_percentiles() {
    // An instant bus into a 1 s refresh: lag uniform on [0, 1 s), so its
    // p50 is 500 ms and its p99.9 999 ms.
    let s = scenario(
        r#"
        duration = "30s"
        warmup = "1s"
        [workload]
        rate = 2000
        [workload.mix]
        get = 0.5
        put = 0.5
        [[architecture]]
        kind = "polyglot"
        [architecture.stores]
        search_sync = "event-bus"
        bus_delay = "0s"
        refresh = "1s"
        "#,
    );
    let results = run(&s);
    let lag = &results.runs[0].visibility.lag_ms["search"];
    assert!((lag.p50_ms - 500.0).abs() < 20.0, "{lag:?}");
    assert!((lag.p999_ms - 999.0).abs() < 5.0, "{lag:?}");
    use archsim::report::{Exporter, MarkdownExporter};
    let md = MarkdownExporter.render(&results).unwrap();
    let row = format!(
        "| polyglot | search | {} | {:.3} | {:.3} | {:.3} |",
        lag.writes, lag.p50_ms, lag.p99_ms, lag.p999_ms
    );
    assert!(
        md.contains("## Visibility lag") && md.contains(&row),
        "{md}"
    );
}

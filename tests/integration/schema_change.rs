//! A schema change at the source of record: every derived store fed by a
//! pipeline cannot apply changes in the new schema until its consumer is
//! deployed, `for` after `at`. Its pipeline holds them (stall) or the
//! store drops them (reject); a colocated cluster has no such store.

use archsim::faults::{SchemaRollout, StoreWindow};
use archsim::report::RunResult;

use crate::bad_input::assert_rejected;
use crate::run_one;

/// Over 5,000 uniform keys.
const KEYS: f64 = 5_000.0;

/// A quarter `put`s (which reach the derived stores), a quarter
/// `session_put`s (which live in the session store and reach none).
const WITH_SESSIONS: &str = "get = 0.5\nput = 0.25\nsession_put = 0.25";

/// 2,000 ops/s over `KEYS` uniform keys for 8 s after 1 s of warm-up, the
/// stores' mix, then `arch`'s and `fault`'s text.
fn run(arch: &str, fault: &str) -> RunResult {
    run_mix(WITH_SESSIONS, arch, fault)
}

/// As `run`, with `mix`.
fn run_mix(mix: &str, arch: &str, fault: &str) -> RunResult {
    run_one(&format!(
        r#"
        seed = 11
        duration = "8s"
        warmup = "1s"
        [workload]
        rate = 2000
        keys = {KEYS}
        popularity = "uniform"
        [workload.mix]
        {mix}
        {arch}
        {fault}
        "#
    ))
}

/// A polyglot system whose cache, search index and warehouse are all fed
/// by CDC.
const POLYGLOT: &str = "[[architecture]]\nkind = \"polyglot\"\n[architecture.cache]\n\
                        capacity = 5000\n[architecture.stores]\ncache_sync = \"cdc\"\n";

/// A schema change at 3 s whose consumers are deployed 4 s later.
fn change(downstream: &str) -> String {
    format!(
        "[[fault]]\nat = \"3s\"\nfor = \"4s\"\nkind = \"schema_change\"\ntarget = \"primary\"\n\
         downstream = \"{downstream}\"\n"
    )
}

fn rollout(run: &RunResult) -> &SchemaRollout {
    run.faults[0]
        .schema_change
        .as_ref()
        .unwrap_or_else(|| panic!("a schema change in {:?}", run.faults[0]))
}

fn store<'a>(r: &'a SchemaRollout, name: &str) -> &'a StoreWindow {
    r.stores
        .iter()
        .find(|s| s.store == name)
        .unwrap_or_else(|| panic!("{name} in {:?}", r.stores))
}

#[test]
fn each_store_lags_for_the_window_what_the_source_wrote_in_it() {
    let stalled = run(POLYGLOT, &change("stall"));
    let r = rollout(&stalled);
    let names: Vec<&str> = r.stores.iter().map(|s| s.store.as_str()).collect();
    assert_eq!(names, ["cache", "search", "warehouse"]);
    // Puts feeding the stores: 2,000 × 0.25 = 500/s, for 4 s: 2,000
    // changes (Poisson, σ ≈ 45); session puts feed none. 10 %: 200.
    for s in &r.stores {
        assert_eq!(s.window_s, 4.0, "{}: the window is `for`", s.store);
        assert!(
            (s.lagged as f64 - 2_000.0).abs() < 200.0,
            "{}: lagged {}, expected 500/s × 4 s",
            s.store,
            s.lagged
        );
        assert_eq!((s.rejected, s.needs_backfill), (0, false));
        // The first held change comes within a few inter-arrival times
        // (2 ms) of the change: held almost the whole window.
        assert!(
            s.held_max_s > 3.95 && s.held_max_s <= 4.0,
            "{}: held {} s",
            s.store,
            s.held_max_s
        );
    }
    assert_eq!(r.downstream, "stall");
    assert_eq!((r.source_factor, r.source_s), (1.25, 4.0));
    // The cache's reads go stale while its pipeline is held: far more than
    // without the change (its CDC lag alone, half a poll).
    let quiet = run(POLYGLOT, "");
    let stale = |run: &RunResult| run.anomalies.stale_read.by_served_by.get("cache").copied();
    let (with, without) = (stale(&stalled).unwrap_or(0), stale(&quiet).unwrap_or(0));
    assert!(
        with > 2 * without + 100,
        "stale cache reads: {with} with the change, {without} without"
    );
    // What was held was delivered at the deploy: nothing left behind.
    assert_eq!(stalled.anomalies.divergence["search"].older, 0);
}

#[test]
fn a_rejecting_store_counts_what_it_dropped_and_needs_a_backfill() {
    let rejected = run(POLYGLOT, &change("reject"));
    let r = rollout(&rejected);
    for s in &r.stores {
        assert_eq!(s.window_s, 4.0);
        assert_eq!(s.lagged, 0, "{}: nothing held", s.store);
        assert!(
            (s.rejected as f64 - 2_000.0).abs() < 200.0,
            "{}: rejected {}, expected 500/s × 4 s",
            s.store,
            s.rejected
        );
        assert!(s.needs_backfill, "{}", s.store);
    }
    // The search index keeps what it had for the keys written in the
    // window and never after: over K uniform keys, W writes dropped in the
    // window and A = 500/s × 2 s after it, K (1 − e^(−W/K)) e^(−A/K) —
    // about 1,650 × 0.82 ≈ 1,350 of the 5,000. Poisson and the pipeline's
    // last poll: 10 %.
    let older = rejected.anomalies.divergence["search"].older as f64;
    let dropped = store(r, "search").rejected as f64;
    let expected = KEYS * (1.0 - (-dropped / KEYS).exp()) * (-1_000.0 / KEYS).exp();
    assert!(
        (older - expected).abs() < 0.1 * expected,
        "search older {older}, closed form {expected:.0} of {dropped} dropped"
    );
    assert!(rejected.faults[0].notes[0].contains("needs a backfill"));
}

#[test]
fn the_read_model_and_carried_stores_get_windows_but_replicas_and_a_colocated_cluster_none() {
    let coordinator = run(
        "[[architecture]]\nkind = \"coordinator\"\nshards = 4\n[architecture.stores]\n\
         search_sync = \"event-bus\"\n",
        &change("stall"),
    );
    let r = rollout(&coordinator);
    let read_model = store(r, "read_model");
    assert!((read_model.lagged as f64 - 2_000.0).abs() < 200.0);
    // An event bus counts each change once, as the CDC connector does.
    assert_eq!(store(r, "search").lagged, read_model.lagged);
    // Physical replicas replay the DDL from the log; a colocated database
    // changes its schema online in one system: no window, no store.
    for arch in [
        "[[architecture]]\nkind = \"single\"\n[architecture.replicas]\ncount = 1\n",
        "[[architecture]]\nkind = \"colocated\"\n",
    ] {
        let run = run_mix("get = 0.75\nput = 0.25", arch, &change("reject"));
        let r = rollout(&run);
        assert!(r.stores.is_empty(), "{arch}: {:?}", r.stores);
        assert!(run.faults[0].notes[0].contains("no window"));
        assert!(run.anomalies.divergence.values().all(|d| d.older == 0));
    }
}

#[test]
fn schema_changes_are_checked_on_their_line() {
    let sharded = "[workload]\nrate = 100\n[[architecture]]\nkind = \"sharded\"\nshards = 4\n";
    assert_rejected(
        &format!(
            "{sharded}[[fault]]\nat = \"5s\"\nfor = \"5s\"\nkind = \"schema_change\"\n\
             target = \"shard:1\"\n"
        ),
        "10:1",
        "a \"schema_change\" begins at the source of record: target = \"primary\"",
    );
    assert_rejected(
        &format!(
            "{sharded}[[fault]]\nat = \"5s\"\nkind = \"schema_change\"\ntarget = \"primary\"\n"
        ),
        "8:1",
        "a \"schema_change\" needs `for`",
    );
    assert_rejected(
        &format!(
            "{sharded}[[fault]]\nat = \"5s\"\nfor = \"5s\"\nkind = \"schema_change\"\n\
             target = \"primary\"\nrate = 100\n"
        ),
        "11:1",
        "`rate` is for a \"reshard\"",
    );
    assert_rejected(
        &format!(
            "{sharded}[[fault]]\nat = \"5s\"\nfor = \"5s\"\nkind = \"crash\"\n\
             target = \"primary\"\ndownstream = \"reject\"\n"
        ),
        "11:1",
        "`downstream` is for a \"schema_change\"",
    );
    assert_rejected(
        &format!(
            "{sharded}[[fault]]\nat = \"5s\"\nfor = \"5s\"\nkind = \"schema_change\"\n\
             target = \"primary\"\ndownstream = \"drop\"\n"
        ),
        "11:14",
        "unknown variant `drop`, expected `stall` or `reject`",
    );
    assert_rejected(
        "duration = \"10s\"\n[workload]\nrate = 100\n[[architecture]]\nkind = \"single\"\n\
         [[fault]]\nat = \"8s\"\nfor = \"9s\"\nkind = \"schema_change\"\ntarget = \"primary\"\n",
        "8:1",
        "its windows must close within the run",
    );
}

#[test]
fn the_sources_migration_stretches_its_service_for_the_window() {
    // `factor` 1.25 (the default) for 4 s of the 8 s measured: the
    // source's busy time rises by 0.25 × 4/8 = 12.5 % at the same load
    // (light load: the work done is the work offered). 3 points.
    for (arch, source) in [
        ("[[architecture]]\nkind = \"single\"\n", "db"),
        ("[[architecture]]\nkind = \"polyglot\"\n", "db"),
        ("[[architecture]]\nkind = \"colocated\"\n", "node_0"),
    ] {
        let mix = "get = 0.75\nput = 0.25";
        let busy = |run: &RunResult| run.components[source].utilization.expect("a station");
        let with = busy(&run_mix(mix, arch, &change("stall")));
        let without = busy(&run_mix(mix, arch, ""));
        let rise = with / without - 1.0;
        assert!(
            (rise - 0.125).abs() < 0.03,
            "{source}: busy {with:.5} with the change, {without:.5} without (+{:.1} %)",
            rise * 100.0
        );
    }
}

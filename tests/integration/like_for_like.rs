//! The comparison is like for like: the five architectures run one
//! transaction model, so a difference between them comes from the
//! architecture, not from the semantics one of them got.

use crate::{run, scenario, scenario_path};

/// Every architecture on hot counters and items: the same operation stream.
fn contended(rmw: &str) -> String {
    format!(
        r#"
        seed = 11
        duration = "4s"
        warmup = "500ms"
        [workload]
        rate = 4000
        rmw = "{rmw}"
        [workload.mix]
        get = 0.4
        rmw = 0.3
        reserve = 0.3
        [workload.entities]
        counters = 10
        items = 10
        stock = 1_000_000
        [[architecture]]
        kind = "single"
        [architecture.cache]
        capacity = 1000
        [[architecture]]
        kind = "polyglot"
        [[architecture]]
        kind = "sharded"
        shards = 4
        [[architecture]]
        kind = "coordinator"
        shards = 4
        [[architecture]]
        kind = "colocated"
        "#
    )
}

#[test]
fn read_modify_write_in_the_application_loses_updates_on_every_architecture() {
    let results = run(&scenario(&contended("client")));
    assert_eq!(results.runs.len(), 5);
    for r in &results.runs {
        assert!(
            r.anomalies.lost_update.count > 10,
            "{}: {} lost updates",
            r.architecture,
            r.anomalies.lost_update.count
        );
    }
}

#[test]
fn one_statement_under_the_row_lock_loses_nothing_on_any_architecture() {
    let results = run(&scenario(&contended("server")));
    for r in &results.runs {
        let a = &r.anomalies;
        assert_eq!(a.lost_update.count, 0, "{}", r.architecture);
        assert_eq!(a.invariant.oversold_units, 0, "{}", r.architecture);
    }
}

#[test]
fn the_default_comparison_shows_a_single_database_as_transactional() {
    // The shipped comparison, shortened: its single database loses no
    // update and oversells nothing.
    let text = std::fs::read_to_string(scenario_path("five-architectures.toml")).unwrap();
    let text = text.replace("duration = \"60s\"", "duration = \"3s\"");
    let mut s = scenario(&text);
    s.architectures.truncate(1);
    let r = &run(&s).runs[0];
    assert_eq!(r.architecture, "single");
    assert_eq!(r.anomalies.lost_update.count, 0);
    assert_eq!(r.anomalies.invariant.oversold_units, 0);
    assert_eq!(r.anomalies.invariant.negative_balances, 0);
}

//! The stage indicators as figures of each run: the cross-part latency
//! premium, the cross-shard share of a sharded cluster, and a hit ratio
//! judged against the first point of a sweep.

use archsim::arch::{Indicator, IndicatorKind};
use archsim::report::RunResult;

fn find(run: &RunResult, kind: IndicatorKind) -> Option<&Indicator> {
    run.indicators.iter().find(|i| i.indicator == kind)
}

/// Transfers alone on a sharded cluster: a cross-shard transfer runs its
/// two legs one after the other, so it takes about one single-shard
/// transfer longer than one that stays on a shard.
fn transfers(shards: u32) -> String {
    format!(
        r#"
        duration = "10s"
        warmup = "1s"
        [workload]
        rate = 500
        [workload.mix]
        transfer = 1.0
        [workload.entities]
        accounts = 1000
        balance = 1000000
        [[architecture]]
        kind = "sharded"
        [architecture.shards]
        count = {shards}
        partition_by = "key"
        "#
    )
}

#[test]
fn a_cross_shard_transfer_costs_about_one_more_leg_and_the_share_fires_the_indicator() {
    let results = crate::run(&crate::scenario(&transfers(8)));
    let run = &results.runs[0];
    let share = run.coordination.distributed_share.expect("a share");
    // Two accounts of 1,000 hashed over 8 shards: 7/8 of the transfers cross.
    assert!((share - 7.0 / 8.0).abs() < 0.03, "{share}");
    let premium = run.coordination.spanning_premium_ms.expect("a premium");
    // The operations on one shard are the transfers that stay, one leg:
    // their mean is the overall mean less the premium the crossing share
    // adds to it.
    let stay_mean = run.latency.all().mean_ms - premium * share;
    assert!(
        premium > 0.7 * stay_mean && premium < 1.3 * stay_mean,
        "premium {premium} ms against {stay_mean} ms for one leg"
    );
    let cross = find(run, IndicatorKind::CrossShard).expect("the cross-shard indicator");
    assert_eq!(
        (cross.threshold, cross.fired),
        (Some(0.1), true),
        "{cross:?}"
    );
    assert!(
        cross.note.as_deref().unwrap().contains("longer"),
        "{cross:?}"
    );
}

#[test]
fn one_shard_has_nothing_to_cross() {
    let run = crate::run_one(&transfers(1));
    assert_eq!(run.coordination.distributed_share, None);
    assert_eq!(run.coordination.spanning_premium_ms, None);
    assert!(find(&run, IndicatorKind::CrossShard).is_none());
}

#[test]
fn a_hit_ratio_falls_against_the_first_point_of_a_sweep_of_keys() {
    let s = crate::scenario(
        r#"
        duration = "10s"
        warmup = "5s"
        [workload]
        rate = 2000
        popularity = "zipf(0.99)"
        [workload.mix]
        get = 1.0
        [[architecture]]
        kind = "single"
        [architecture.cache]
        capacity = 1000
        ttl = "0s"
        [sweep]
        "workload.keys" = [2000, 200000]
        "#,
    );
    let results = crate::run(&s);
    let (small, large) = (&results.runs[0], &results.runs[1]);
    let first = find(small, IndicatorKind::HitRatio).expect("a hit ratio");
    // The first point is the baseline: nothing to judge it against.
    assert_eq!((first.threshold, first.fired), (None, false), "{first:?}");
    let later = find(large, IndicatorKind::HitRatio).expect("a hit ratio");
    let from = first.value.unwrap();
    assert_eq!(later.threshold, Some(from - 0.05), "{later:?}");
    assert!(
        later.value.unwrap() < from - 0.05 && later.fired,
        "{later:?}"
    );
    let fired = archsim::report::indicators::firing(&[small, large], &|_| String::new());
    assert!(
        fired
            .iter()
            .any(|f| f.starts_with("hit ratio falling: `cache` from")),
        "{fired:?}"
    );
}

/// Puts alone at `rate` on polyglot, the index fed by a CDC connector that
/// takes 1,000 changes a second in batches of 100 (a cycle of its poll,
/// 500 ms: a quarter of the window spans six).
fn connector_at(rate: u32) -> String {
    format!(
        r#"
        duration = "12s"
        warmup = "1s"
        [workload]
        rate = {rate}
        keys = 10_000
        [workload.mix]
        put = 1.0
        [[architecture]]
        kind = "polyglot"
        [architecture.stores]
        throughput = 1000
        batch = 100
        "#
    )
}

#[test]
fn a_connector_handed_more_than_it_takes_fires_the_sync_backlog_indicator() {
    // Handed λ = 1,250 changes a second and taking μ = 1,000, the backlog
    // grows by λ − μ a second: a fifth of what it is handed. At 800 a
    // second it keeps up. (The warehouse has a connector of its own, set
    // alike: it falls behind alike.)
    let behind = crate::run_one(&connector_at(1_250));
    let g = behind.components["search"].backlog_growth.expect("a trend");
    assert!((g - 0.2).abs() < 0.03, "{g}");
    let fired: Vec<_> = behind
        .indicators
        .iter()
        .filter(|i| i.indicator == IndicatorKind::SyncBacklog)
        .map(|i| (i.of.clone().unwrap(), i.fired))
        .collect();
    assert_eq!(
        fired,
        [
            ("search".to_string(), true),
            ("warehouse".to_string(), true)
        ]
    );
    let keeps_up = crate::run_one(&connector_at(800));
    let g = keeps_up.components["search"].backlog_growth.unwrap();
    assert!(g.abs() < 0.05, "{g}");
    assert!(!find(&keeps_up, IndicatorKind::SyncBacklog).unwrap().fired);
}

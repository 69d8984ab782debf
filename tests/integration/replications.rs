//! Replications: independent seeds per architecture and point, summarised
//! as a mean and a 95 % confidence interval (Student's t).

use crate::{run, scenario};

fn mm1(replications: u32) -> archsim::report::Results {
    run(&scenario(&format!(
        r#"
        duration = "20s"
        warmup = "5s"
        replications = {replications}
        [workload]
        rate = 800
        popularity = "uniform"
        [workload.mix]
        get = 1.0
        [network]
        hop = "0s"
        [[architecture]]
        kind = "single"
        [architecture.db]
        cores = 1
        read = "exp(1ms)"
        "#
    )))
}

#[test]
fn confidence_intervals_shrink_as_replications_grow() {
    let (few, many) = (mm1(4), mm1(16));
    let half = |r: &archsim::report::Results| r.summaries[0].latency["all"].mean_ms.ci95;
    // Half-width ∝ t(0.975, n − 1) / √n: 3.182/2 at n = 4, 2.131/4 at 16.
    let ratio = half(&many) / half(&few);
    assert!(
        (0.15..0.7).contains(&ratio),
        "half-widths {} → {}",
        half(&few),
        half(&many)
    );
    // M/M/1 at ρ = 0.8: mean sojourn 5 ms, inside the interval.
    let e = many.summaries[0].latency["all"].mean_ms;
    assert!((e.mean - 5.0).abs() < e.ci95, "{e:?}");
    assert_eq!(many.summaries[0].replications, 16);
    // Every figure has its interval, component figures too.
    let u = many.summaries[0].components["db"]["utilization"];
    assert!(
        (u.mean - 0.8).abs() < 0.01 && u.ci95 > 0.0 && u.ci95 < 0.01,
        "{u:?}"
    );
    assert_eq!(many.runs.len(), 16);
}

#[test]
fn replications_draw_independent_operation_streams() {
    let r = mm1(3);
    let counts: Vec<u64> = r.runs.iter().map(|x| x.latency.all().count).collect();
    assert!(
        counts[0] != counts[1] && counts[1] != counts[2],
        "{counts:?}"
    );
    // One run is its own summary: no summaries in the results.
    assert!(mm1(1).summaries.is_empty());
}

#[test]
fn an_automatic_warm_up_is_picked_from_a_pilot_run() {
    // M/M/1 at ρ = 0.95 starts empty: its queue takes seconds to fill.
    let s = scenario(
        r#"
        duration = "200s"
        warmup = "auto"
        [workload]
        rate = 950
        popularity = "uniform"
        [workload.mix]
        get = 1.0
        [network]
        hop = "0s"
        [[architecture]]
        kind = "single"
        [architecture.db]
        cores = 1
        read = "exp(1ms)"
        [[architecture]]
        kind = "single"
        name = "twin"
        [architecture.db]
        cores = 1
        read = "exp(1ms)"
        "#,
    );
    let r = run(&s);
    assert!(r.scenario.warmup_auto);
    let picked: Vec<f64> = r.runs.iter().map(|x| x.warmup_s.unwrap()).collect();
    // One warm-up for every architecture, longer than nothing, shorter
    // than half the run.
    assert_eq!(picked[0], picked[1]);
    assert!(picked[0] > 0.1 && picked[0] < 100.0, "{picked:?}");
}

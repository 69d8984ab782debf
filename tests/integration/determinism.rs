//! Same scenario and seed → the same results, byte for byte, at any thread
//! count; golden figures pin one run so an accidental change to the engine,
//! the streams or a distribution is caught.

use archsim::report::{Exporter, JsonExporter};

use crate::{run, scenario};

const SMALL: &str = r#"
name = "golden"
seed = 42
duration = "2s"
warmup = "200ms"
[workload]
rate = 20000
keys = 10000
popularity = "zipf(0.99)"
[workload.mix]
get = 0.8
put = 0.2
[[architecture]]
kind = "single"
[architecture.db]
cores = 2
[[architecture]]
kind = "single"
name = "single-4-cores"
[architecture.db]
cores = 4
"#;

fn json(threads: usize) -> String {
    let s = scenario(SMALL);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let results = pool.install(|| run(&s));
    JsonExporter.render(&results).unwrap()
}

#[test]
fn same_seed_same_bytes_at_any_thread_count() {
    let one = json(1);
    assert_eq!(one, json(1));
    assert_eq!(one, json(2));
    assert_eq!(one, json(4));
}

#[test]
fn another_seed_changes_the_numbers() {
    let s = scenario(SMALL);
    let mut other = s.clone();
    other.seed = 43;
    let a = run(&s);
    let b = run(&other);
    assert_ne!(
        a.runs[0].latency.all().mean_ms,
        b.runs[0].latency.all().mean_ms
    );
}

#[test]
fn architectures_see_the_same_operation_stream() {
    // Both variants receive the identical operations: same counts per kind.
    let r = run(&scenario(SMALL));
    for kind in ["all", "get", "put"] {
        assert_eq!(
            r.runs[0].latency.0[kind].count, r.runs[1].latency.0[kind].count,
            "{kind}"
        );
    }
    // …and only the architecture differs: four cores queue less than two.
    assert!(r.runs[1].latency.all().p99_ms < r.runs[0].latency.all().p99_ms);
}

#[test]
fn golden_figures() {
    let r = run(&scenario(SMALL));
    let all = r.runs[0].latency.all();
    let got = (
        all.count,
        all.mean_ms,
        all.p50_ms,
        all.p99_ms,
        all.max_ms,
        r.runs[0].throughput_per_s,
    );
    assert_eq!(got, GOLDEN, "the figures of the pinned run changed");
}

const GOLDEN: (u64, f64, f64, f64, f64, f64) =
    (39955, 0.607182, 0.488959, 2.084863, 5.751264, 19979.5);

/// Every architecture, with locks, retries, write-behind and a sweep.
const ALL_FIVE: &str = r#"
name = "five"
seed = 7
duration = "1s"
warmup = "100ms"
[workload]
rate = 5000
keys = 1000
popularity = "zipf(1.1)"
probes = ["1ms"]
[workload.mix]
get = 0.4
put = 0.2
rmw = 0.1
reserve = 0.1
transfer = 0.1
multi_get = 0.1
[workload.entities]
accounts = 20
[[architecture]]
kind = "single"
[[architecture]]
kind = "polyglot"
[[architecture]]
kind = "sharded"
[[architecture]]
kind = "coordinator"
[architecture.cache]
capacity = 100
[architecture.coordinator]
critical = 0.5
flush = "100ms"
[[architecture]]
kind = "colocated"
[sweep]
"workload.locality" = [1.0, 0.5]
"#;

#[test]
fn all_five_architectures_give_the_same_bytes_at_any_thread_count() {
    let s = scenario(ALL_FIVE);
    let at = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        JsonExporter.render(&pool.install(|| run(&s))).unwrap()
    };
    let one = at(1);
    assert_eq!(one, at(2));
    assert_eq!(one, at(3));
}

/// One random stream per component and purpose: two coordinators that
/// differ only in the coordinator's own cost draw the same read-model
/// service times, so their reads (served by the read model, which the
/// coordinator never touches) have the same latencies to the nanosecond.
#[test]
fn variants_see_the_same_draws_where_they_share_a_component() {
    let s = scenario(
        r#"
        duration = "1s"
        warmup = "100ms"
        [workload]
        rate = 4000
        keys = 1000
        [workload.mix]
        get = 0.5
        put = 0.5
        [network]
        hop = "0s"
        [[architecture]]
        kind = "coordinator"
        name = "cheap"
        [architecture.coordinator]
        service = "10us"
        [[architecture]]
        kind = "coordinator"
        name = "costly"
        [architecture.coordinator]
        service = "exp(60us)"
        "#,
    );
    let r = run(&s);
    let (cheap, costly) = (&r.runs[0], &r.runs[1]);
    assert_ne!(
        cheap.latency.0["put"].p99_ms, costly.latency.0["put"].p99_ms,
        "writes pass the coordinator and differ"
    );
    let gets = |run: &archsim::report::RunResult| {
        let g = &run.latency.0["get"];
        (g.count, g.mean_ms, g.p50_ms, g.p99_ms, g.max_ms)
    };
    assert_eq!(
        gets(cheap),
        gets(costly),
        "reads never meet the coordinator"
    );
}

//! A replica's apply of its primary's log (`model::apply`) against queueing
//! theory: one apply worker is a FIFO single server behind the shipping
//! delay, so below its capacity the lag is the shipping delay plus an M/M/1
//! or M/D/1 sojourn, and above it the lag grows as (λ/μ − 1)·t; N workers
//! are an M/D/N queue while commits share no key, and one worker when they
//! all do; showing commits in commit order holds parallel workers back; a
//! Raft follower applies through the same part as a read replica.
//!
//! Every run: Poisson puts on uniform keys, one replica, and a primary fast
//! enough (1 µs per write on 64 cores, no forced log, no network hop) that
//! its commits are the Poisson arrivals themselves. Tolerances: means within
//! 3 % (about three standard errors at these lengths), p99 within 5 %,
//! slopes within 5 %.

use archsim::report::RunResult;

use crate::run_one;

/// One `single` with one replica: `rate` puts/s on `keys` uniform keys for
/// `secs` (after `warmup` s), each commit shipped after `shipping` and
/// applied in `apply` (one row) by `workers` apply workers.
fn replica(rate: u32, keys: u64, secs: u32, warmup: u32, apply: &str, workers: &str) -> RunResult {
    run_one(&format!(
        r#"
        duration = "{secs}s"
        warmup = "{warmup}s"
        [workload]
        rate = {rate}
        keys = {keys}
        popularity = "uniform"
        [workload.mix]
        put = 1.0
        [network]
        hop = "0s"
        [[architecture]]
        kind = "single"
        [architecture.db]
        cores = 64
        write = "1us"
        apply = "{apply}"
        fsync = "0s"
        # The queueing closed forms hold for cores that do not slow each
        # other down: the scalability law off.
        contention = 0.0
        coherency = 0.0
        [architecture.replicas]
        count = 1
        shipping = "1ms"
        apply = {workers}
        "#
    ))
}

/// The replica's mean and p99 visibility lag, in ms.
fn lag(r: &RunResult) -> (f64, f64) {
    let c = &r.components["replica_1"];
    (c.lag_mean_ms.unwrap(), c.lag_p99_ms.unwrap())
}

fn within(what: &str, got: f64, want: f64, relative: f64) {
    assert!(
        (got - want).abs() <= want * relative,
        "{what}: got {got:.4}, theory {want:.4} (tolerance ±{:.0} %)",
        relative * 100.0
    );
}

/// Erlang C: the probability that an arrival waits in an M/M/c queue
/// offered `a` erlangs.
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0;
    let mut below = 0.0;
    for k in 0..c {
        below += term;
        term *= a / f64::from(k + 1);
    }
    let top = term * f64::from(c) / (f64::from(c) - a);
    top / (below + top)
}

#[test]
fn one_worker_below_capacity_is_an_mm1_queue_behind_the_shipping_delay() {
    // λ = 1000/s, exponential apply of mean 0.7 ms (μ ≈ 1429/s, ρ = 0.7):
    // the sojourn is exponential with rate μ − λ, mean 2.333 ms, p99
    // ln(100)/(μ − λ) = 10.745 ms; plus 1 ms of shipping.
    let (mean, p99) = lag(&replica(1000, 100_000, 600, 2, "exp(700us)", "\"single\""));
    let gap = 1.0 / 0.7 - 1.0; // μ − λ, per ms
    within("M/M/1 mean lag, ms", mean, 1.0 + 1.0 / gap, 0.03);
    within("M/M/1 p99 lag, ms", p99, 1.0 + 100f64.ln() / gap, 0.05);
}

#[test]
fn one_worker_with_constant_apply_is_an_md1_queue() {
    // Pollaczek–Khinchine for a constant apply S = 0.7 ms at ρ = 0.7:
    // sojourn S + ρS / (2(1 − ρ)) = 1.517 ms; plus 1 ms of shipping.
    let (mean, _) = lag(&replica(1000, 100_000, 600, 2, "700us", "\"single\""));
    within(
        "M/D/1 mean lag, ms",
        mean,
        1.0 + 0.7 + 0.7 * 0.7 / 0.6,
        0.03,
    );
}

/// The slope of the lag over commit time in a run from t = 0 to `secs`:
/// lag(t) = k·t, so over commits uniform in time p99 − p50 = 0.49·k·secs.
fn slope(r: &RunResult, secs: f64) -> f64 {
    let l = &r.visibility.lag_ms["replica_1"];
    (l.p99_ms - l.p50_ms) / 1e3 / (0.49 * secs)
}

#[test]
fn above_capacity_the_lag_grows_at_the_excess_rate() {
    // One worker applying 1 ms per commit (μ = 1000/s) from an empty queue
    // at t = 0: a commit at t waits behind (λ − μ)·t commits, so its lag is
    // (λ/μ − 1)·t, growing without bound: 0.5 and 1 s per s at λ = 1500 and
    // 2000/s, and a mean over the 30 s of (λ/μ − 1)·15 s.
    for (rate, k) in [(1500, 0.5), (2000, 1.0)] {
        let r = replica(rate, 100_000, 30, 0, "1ms", "\"single\"");
        within(
            &format!("lag slope at {rate}/s, s per s"),
            slope(&r, 30.0),
            k,
            0.05,
        );
        within(
            &format!("mean lag at {rate}/s, ms"),
            lag(&r).0,
            k * 15_000.0,
            0.05,
        );
    }
}

#[test]
fn parallel_workers_apply_what_one_cannot() {
    // λ = 3000/s of 1 ms applies: one worker falls behind at 2 s per s; four
    // are an M/D/4 queue at ρ = 0.75, whose mean wait is about half the
    // M/M/4 one (Erlang C: 0.509 ms), corrected by Cosmetatos'
    // approximation (accurate to a few percent here): 0.266 ms. Commits on
    // distinct keys with equal apply times finish in the order they
    // started, so commit order holds no worker back.
    let single = replica(3000, 100_000, 10, 0, "1ms", "\"single\"");
    within(
        "one worker's slope, s per s",
        slope(&single, 10.0),
        2.0,
        0.05,
    );
    let four = replica(3000, 100_000, 120, 2, "1ms", "4");
    let (c, rho): (f64, f64) = (4.0, 0.75);
    let mmc_wait = erlang_c(4, 3.0) / (4000.0 - 3000.0) * 1e3;
    let cosmetatos =
        1.0 + (1.0 - rho) * (c - 1.0) * ((4.0 + 5.0 * c).sqrt() - 2.0) / (16.0 * rho * c);
    let md4_wait = 0.5 * mmc_wait * cosmetatos;
    within(
        "M/D/4 mean lag, ms",
        lag(&four).0,
        1.0 + 1.0 + md4_wait,
        0.03,
    );
}

#[test]
fn commits_on_one_key_apply_one_after_another() {
    // Every put on one key: each commit conflicts with the one before, so
    // four workers apply one at a time, and the lag grows as with one.
    let r = replica(1500, 1, 30, 0, "1ms", "4");
    within(
        "slope with four workers on one key, s per s",
        slope(&r, 30.0),
        0.5,
        0.05,
    );
}

#[test]
fn commits_show_in_commit_order() {
    // Four workers, exponential applies at λ = 2000/s, μ = 1000/s each.
    // Were each commit to show when its own apply ends, this would be an
    // M/M/4 queue (mean sojourn 1 ms + Erlang C wait = 1.087 ms); showing
    // in commit order, a commit also waits for every earlier one, and its
    // worker with it (replica_preserve_commit_order), so the lag is well
    // above that. (The checked build also asserts the order itself.)
    let r = replica(2000, 100_000, 60, 2, "exp(1ms)", "4");
    let mm4 = 1.0 + erlang_c(4, 2.0) / (4000.0 - 2000.0) * 1e3;
    let (mean, _) = lag(&r);
    assert!(
        mean - 1.0 > 1.5 * mm4,
        "mean lag {mean:.3} ms: 1 ms of shipping + more than 1.5 × the M/M/4 sojourn {mm4:.3} ms"
    );
}

#[test]
fn a_raft_follower_applies_as_a_read_replica_does() {
    // The same load and apply cost on a replica of `single` and on the
    // follower of a one-partition Raft group: both apply through
    // `model::apply` with one worker, after one (zero) hop: an M/M/1 queue
    // with λ = 2000/s, μ = 1/0.35 ms, mean sojourn 1.167 ms.
    let text = |arch: &str| {
        format!(
            r#"
            duration = "300s"
            warmup = "2s"
            [workload]
            rate = 2000
            keys = 100000
            popularity = "uniform"
            [workload.mix]
            put = 1.0
            [network]
            hop = "0s"
            [[architecture]]
            {arch}
            [architecture.db]
            cores = 64
            write = "1us"
            apply = "exp(350us)"
            fsync = "0s"
            "#
        )
    };
    let replica = run_one(&text(
        "kind = \"single\"\n[architecture.replicas]\ncount = 1\nshipping = \"0s\"",
    ));
    let follower = run_one(&text(
        "kind = \"colocated\"\n[architecture.partitions]\nnodes = 2\ncount = 1\nreplication = 2\nreads = \"follower\"",
    ));
    let want = 0.35 / (1.0 - 0.7);
    within(
        "replica mean lag, ms",
        replica.components["replica_1"].lag_mean_ms.unwrap(),
        want,
        0.03,
    );
    within(
        "follower mean lag, ms",
        follower.components["follower_1"].lag_mean_ms.unwrap(),
        want,
        0.03,
    );
}

#[test]
fn a_follower_costs_its_node_the_same_whether_read_or_not() {
    // Writes only, so follower reads change nothing but whether the
    // followers keep a copy: their apply, in log order (each follower's
    // worker 60 % busy, so entries often wait), takes the same cores at the
    // same instants either way — a follower nobody reads retires its
    // entries lazily instead of with one event each.
    let text = |reads: &str| {
        format!(
            r#"
            duration = "20s"
            warmup = "1s"
            [workload]
            rate = 12000
            keys = 1000
            [workload.mix]
            put = 1.0
            [[architecture]]
            kind = "colocated"
            [architecture.db]
            cores = 4
            apply = "exp(200us)"
            [architecture.partitions]
            nodes = 3
            count = 4
            reads = "{reads}"
            "#
        )
    };
    let (read, unread) = (run_one(&text("follower")), run_one(&text("leader")));
    for node in ["node_0", "node_1", "node_2"] {
        let (a, b) = (&read.components[node], &unread.components[node]);
        assert_eq!(a.utilization, b.utilization, "{node}");
        assert_eq!(a.mean_queue, b.mean_queue, "{node}");
    }
    assert_eq!(read.latency.all().p99_ms, unread.latency.all().p99_ms);
    assert!(
        unread.events < read.events,
        "{} events without follower reads, {} with",
        unread.events,
        read.events
    );
}

#[test]
fn an_old_scenario_s_lag_is_read_as_the_shipping_delay() {
    // `lag` was the whole replica lag, drawn per write; it is now the
    // shipping delay, to which the apply queue is added.
    let read = |replicas: &str| {
        let s = crate::scenario(&format!(
            "[[architecture]]\nkind = \"single\"\n[architecture.replicas]\ncount = 1\n{replicas}"
        ));
        let archsim::arch::Config::Single(single) = &s.architectures[0].config else {
            panic!("a single architecture")
        };
        single.replicas.clone()
    };
    assert_eq!(read("lag = \"7ms\""), read("shipping = \"7ms\""));
    let default = read("");
    assert_eq!(default.shipping, None, "one network hop");
    assert_eq!(default.apply.to_string(), "single");
}

//! Entity workloads on the Single System, end to end: an `rmw` run by the
//! application (read, then a blind write: `[workload] rmw = "client"`)
//! loses updates, and one statement under the row lock does not; a
//! `reserve` checked against a lagging replica oversells, a `transfer` is one local transaction; probes against an
//! asynchronous replica follow P(visible at t) = P(L ≤ t).

use archsim::arch::simulate_workload;
use archsim::report::RunResult;
use archsim::sim::SimTime;
use archsim::workload::{KeySpace, OpKind, Operation, Workload};

use crate::{run, scenario};

/// Constant delays: hop 100 µs, read 1 ms, write 100 µs, no fsync; 2
/// accounts of 100, 1 item with 1 unit, 1 counter.
const BASE: &str = r#"
duration = "1s"
warmup = "0s"
[workload]
keys = 10
groups = 1
[workload.entities]
accounts = 2
balance = 100
items = 1
stock = 1
counters = 1
[network]
hop = "100us"
[[architecture]]
kind = "single"
[architecture.db]
read = "1ms"
write = "100us"
fsync = "0s"
"#;

fn scripted(extra: &str, ops: &[(OpKind, u64, u64, u32, u64)]) -> RunResult {
    scripted_in(BASE, extra, ops)
}

/// The same, with `rmw` and `reserve` run by the application: a read, then
/// a blind write of the value it computed.
fn scripted_client(extra: &str, ops: &[(OpKind, u64, u64, u32, u64)]) -> RunResult {
    let base = BASE.replace("[workload]\n", "[workload]\nrmw = \"client\"\n");
    scripted_in(&base, extra, ops)
}

fn scripted_in(base: &str, extra: &str, ops: &[(OpKind, u64, u64, u32, u64)]) -> RunResult {
    let s = scenario(&format!("{base}{extra}"));
    let ops = ops
        .iter()
        .map(|&(kind, key, other, session, at_us)| Operation {
            kind,
            key,
            other,
            session,
            start: SimTime(at_us * 1_000),
        })
        .collect();
    simulate_workload(
        &s.setting(),
        &s.architectures[0],
        0,
        Workload::scripted(ops),
    )
}

fn space() -> KeySpace {
    KeySpace::new(&scenario(BASE).workload)
}

fn found(r: &RunResult) -> Vec<(&'static str, u64)> {
    r.anomalies
        .counts()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[test]
fn concurrent_rmws_without_a_lock_lose_an_update() {
    let c = space().counter(0);
    // Both read the counter at 0 before either writes 1.
    let together = [(OpKind::Rmw, c, 0, 1, 0), (OpKind::Rmw, c, 0, 2, 50)];
    let r = scripted_client("", &together);
    assert_eq!(found(&r), vec![("lost_update", 1)]);
    assert_eq!(r.anomalies.lost_update.lost_increments, 1);
    // One after the other, nothing is lost.
    let r = scripted_client(
        "",
        &[(OpKind::Rmw, c, 0, 1, 0), (OpKind::Rmw, c, 0, 2, 5_000)],
    );
    assert_eq!(found(&r), vec![]);
    // One statement each at the primary: the second waits for the first's
    // row lock and increments what it committed.
    let r = scripted("", &together);
    assert_eq!(found(&r), vec![]);
    let db = &r.components["db"];
    assert_eq!(db.lock_waits, Some(1));
    // It arrived 50 µs after the first, which holds the lock for its
    // 100 µs of CPU (no fsync here).
    assert_eq!(db.lock_wait_mean_ms, Some(0.05), "{db:?}");
}

#[test]
fn a_reserve_checked_against_a_lagging_replica_oversells() {
    let item = space().item(0);
    let replica = "[architecture.replicas]\ncount = 1\nlag = \"50ms\"\n";
    // The first reserve takes the only unit (ok at about 1.5 ms); the second
    // checks the replica, which still shows 1 unit, and takes stock to −1.
    let r = scripted_client(
        replica,
        &[
            (OpKind::Reserve, item, 0, 1, 0),
            (OpKind::Reserve, item, 0, 2, 5_000),
        ],
    );
    assert_eq!(found(&r), vec![("stale_read", 1), ("invariant", 1)]);
    assert_eq!(r.anomalies.invariant.negative_stock_commits, 1);
    assert_eq!(r.anomalies.invariant.oversold_units, 1);
    // Checked against the primary, the second reserve sees it sold out;
    // run as one statement, it does so whatever the replicas show.
    let r = scripted(
        replica,
        &[
            (OpKind::Reserve, item, 0, 1, 0),
            (OpKind::Reserve, item, 0, 2, 5_000),
        ],
    );
    assert_eq!(found(&r), vec![]);
    let r = scripted_client(
        "",
        &[
            (OpKind::Reserve, item, 0, 1, 0),
            (OpKind::Reserve, item, 0, 2, 5_000),
        ],
    );
    assert_eq!(found(&r), vec![]);
}

#[test]
fn transfers_are_local_transactions() {
    let s = space();
    let (a, b) = (s.account(0), s.account(1));
    let mut ops = Vec::new();
    for i in 0..200u64 {
        let (from, to) = if i % 3 == 0 { (b, a) } else { (a, b) };
        ops.push((OpKind::Transfer, from, to, (i % 4) as u32, i * 7));
        ops.push((OpKind::MultiGet, a, 0, 3, i * 7 + 3));
    }
    let r = scripted("", &ops);
    assert_eq!(found(&r), vec![]);
    assert_eq!(r.anomalies.invariant.bank_total_final, 200);
    // Every multi_get read both accounts in one snapshot: a consistent
    // observation whose total the oracle checked.
    assert_eq!(r.anomalies.invariant.wrong_total_observations, 0);
}

#[test]
fn transfers_refuse_overdrafts() {
    let s = space();
    let (a, b) = (s.account(0), s.account(1));
    let ops: Vec<_> = (0..150u64)
        .map(|i| (OpKind::Transfer, a, b, 0, i * 500))
        .collect();
    let r = scripted("", &ops);
    assert_eq!(found(&r), vec![]);
    assert_eq!(r.anomalies.invariant.negative_balances, 0);
}

#[test]
fn probes_on_an_asynchronous_replica_follow_the_lag_distribution() {
    // Writes to many keys; probes read the replica at fixed delays after
    // each ok. The replica's one apply worker applies Poisson commits
    // (λ = 1000/s) in exponential time (μ = 2000/s), in order: an M/M/1
    // queue, so the lag is exponential with rate μ − λ and
    // P(visible after t) = 1 − e^{−t / 1 ms}.
    let s = scenario(
        r#"
        duration = "60s"
        warmup = "2s"
        [workload]
        rate = 2000
        keys = 100000
        popularity = "uniform"
        probes = ["0ms", "0.5ms", "1ms", "3ms"]
        probe_share = 1.0
        [workload.mix]
        get = 0.5
        put = 0.5
        [network]
        hop = "0s"
        [[architecture]]
        kind = "single"
        [architecture.db]
        cores = 64
        read = "1us"
        write = "1us"
        apply = "exp(500us)"
        fsync = "0s"
        [architecture.replicas]
        count = 1
        shipping = "0s"
        "#,
    );
    let r = run(&s).runs.remove(0);
    for p in &r.visibility.probes {
        let want = 1.0 - (-p.after_ms).exp();
        assert!(
            (p.consistent - want).abs() <= 0.01,
            "after {} ms: {} of probes saw the write, P(L ≤ t) = {want:.4}",
            p.after_ms,
            p.consistent
        );
        assert!(p.probes > 10_000);
    }
    assert!(r.visibility.lag_ms.contains_key("replica_1"));
}

#[test]
fn anomaly_counts_do_not_depend_on_threads() {
    let s = scenario(
        r#"
        duration = "3s"
        [workload]
        rate = 20000
        keys = 1000
        probes = ["1ms"]
        [workload.mix]
        get = 0.4
        put = 0.1
        rmw = 0.1
        transfer = 0.2
        reserve = 0.1
        multi_get = 0.1
        [[architecture]]
        kind = "single"
        [architecture.cache]
        capacity = 500
        [architecture.replicas]
        count = 2
        [[architecture]]
        kind = "single"
        name = "plain"
        "#,
    );
    let json = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let results = pool.install(|| run(&s));
        serde_json::to_string(
            &results
                .runs
                .iter()
                .map(|r| &r.anomalies)
                .collect::<Vec<_>>(),
        )
        .unwrap()
    };
    let one = json(1);
    assert_eq!(one, json(2));
    assert!(one.contains("\"stale_read\":{\"count\":"), "{one}");
}

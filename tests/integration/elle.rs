//! Cross-checks on exported client histories (`--history`, Elle JSON):
//! the oracle's verdicts against the `adya` crate (an independent Elle-style
//! checker) and against a brute-force linearizability search, on small
//! random histories.

use archsim::arch::simulate_workload;
use archsim::report::RunResult;
use archsim::sim::{SimRng, SimTime, Streams};
use archsim::workload::{KeySpace, OpKind, Operation, Workload};
use rand::RngExt;

use crate::scenario;

/// Constant hops and service times, so the random part is the history.
fn base(extra: &str) -> String {
    format!(
        r#"
        duration = "1s"
        warmup = "0s"
        [workload]
        keys = 2
        groups = 1
        sessions = 4
        [workload.entities]
        accounts = 2
        items = 1
        counters = 2
        [network]
        hop = "100us"
        [[architecture]]
        kind = "single"
        [architecture.db]
        read = "300us"
        write = "100us"
        fsync = "0s"
        {extra}
        "#
    )
}

/// A random history of `n` operations of `kinds` on the keys `keys`,
/// invoked within `span_us`.
fn random_ops(
    rng: &mut SimRng,
    n: usize,
    kinds: &[OpKind],
    keys: &[u64],
    span_us: u64,
) -> Vec<Operation> {
    (0..n)
        .map(|_| Operation {
            kind: kinds[rng.random_range(0..kinds.len())],
            key: keys[rng.random_range(0..keys.len())],
            other: 0,
            session: rng.random_range(0..4),
            start: SimTime(rng.random_range(0..span_us) * 1_000),
        })
        .collect()
}

fn run(extra: &str, ops: Vec<Operation>) -> RunResult {
    run_scenario(&base(extra), ops)
}

/// The same, with `rmw` run by the application: a read, then a blind write.
fn run_client(ops: Vec<Operation>) -> RunResult {
    let s = base("").replace("[workload]\n", "[workload]\n        rmw = \"client\"\n");
    run_scenario(&s, ops)
}

fn run_scenario(text: &str, ops: Vec<Operation>) -> RunResult {
    let s = scenario(text);
    simulate_workload(
        &s.setting(),
        &s.architectures[0],
        0,
        Workload::scripted(ops),
    )
}

/// adya's anomaly types for an exported history, checked against
/// repeatable read. How adya learns each key's version order: from real
/// time (`linearizable`, sound when every read sees the latest write), or
/// from transactions writing what they read (write-follows-read).
fn adya_anomalies_with(history: &str, linearizable: bool) -> Vec<String> {
    let h = adya::History::from_json(history).expect("the export parses as an Elle history");
    let opts = adya::Opts {
        models: vec!["repeatable-read".into()],
        linearizable_keys: linearizable,
        wfr_keys: !linearizable,
        ..adya::Opts::default()
    };
    adya::check(&h, adya::Workload::RwRegister, &opts).anomaly_types
}

fn adya_anomalies(history: &str) -> Vec<String> {
    adya_anomalies_with(history, true)
}

#[test]
fn lost_updates_agree_with_adya() {
    // Read-modify-writes on the primary: linearizable per key, so adya may
    // take real-time order as version order; the only anomaly is the lost
    // update of two increments that read the same version.
    let space = KeySpace::new(&scenario(&base("")).workload);
    let counters = [space.counter(0), space.counter(1)];
    let mut rng = Streams::new(7, 0).stream("histories");
    let (mut with, mut without) = (0, 0);
    for _ in 0..150 {
        let ops = random_ops(&mut rng, 6, &[OpKind::Rmw], &counters, 12_000);
        let r = run_client(ops);
        let history = r.history.as_deref().unwrap();
        let ours = r.anomalies.lost_update.count > 0;
        let theirs = adya_anomalies(history);
        assert_eq!(
            ours,
            theirs.iter().any(|a| a == "lost-update"),
            "oracle lost_update {} vs adya {theirs:?} on\\n{history}",
            r.anomalies.lost_update.count
        );
        // Nothing here reads uncommitted data (adya's G1a, our dirty_read).
        assert!(!theirs.iter().any(|a| a == "G1a") && r.anomalies.dirty_read.count == 0);
        if ours { with += 1 } else { without += 1 }
    }
    assert!(
        with > 10 && without > 10,
        "both verdicts occur: {with} with, {without} without"
    );
}

#[test]
fn read_modify_writes_under_the_row_lock_lose_nothing() {
    // The same kind of histories, each increment one statement at the
    // primary under the row lock (`rmw = "server"`, the default): neither
    // the oracle nor adya finds a lost update.
    let space = KeySpace::new(&scenario(&base("")).workload);
    let counters = [space.counter(0), space.counter(1)];
    let mut rng = Streams::new(7, 0).stream("histories");
    for _ in 0..60 {
        let ops = random_ops(&mut rng, 6, &[OpKind::Rmw], &counters, 12_000);
        let r = run("", ops);
        let history = r.history.as_deref().unwrap();
        let theirs = adya_anomalies(history);
        assert_eq!(r.anomalies.lost_update.count, 0, "{history}");
        assert!(!theirs.iter().any(|a| a == "lost-update"), "{theirs:?}");
    }
}

/// One register operation of an exported history.
#[derive(Clone, Copy, Debug)]
struct RegisterOp {
    invoke: u64,
    complete: u64,
    write: bool,
    /// Version written or read (0: the initial value).
    value: u32,
}

/// The completed single-key operations of `key` in an Elle history.
fn register_ops(history: &str, key: u64) -> Vec<RegisterOp> {
    let mut open: std::collections::HashMap<u64, u64> = Default::default();
    let mut ops = Vec::new();
    for line in history.lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        let process = e["process"].as_u64().unwrap();
        let time = e["time"].as_u64().unwrap();
        match e["type"].as_str().unwrap() {
            "invoke" => {
                open.insert(process, time);
            }
            "ok" => {
                let invoke = open.remove(&process).unwrap();
                let mops = e["value"].as_array().unwrap();
                if mops.len() != 1 || mops[0][1].as_u64() != Some(key) {
                    continue;
                }
                ops.push(RegisterOp {
                    invoke,
                    complete: time,
                    write: mops[0][0] == "w",
                    value: mops[0][2].as_u64().unwrap_or(0) as u32,
                });
            }
            _ => {}
        }
    }
    ops
}

/// Wing & Gong's search: is there a total order of `ops`, consistent with
/// real time and with the store's version order (the values are versions:
/// the write of v follows the write of v − 1), in which every read returns
/// the latest write before it?
fn linearizable(ops: &[RegisterOp]) -> bool {
    fn search(ops: &[RegisterOp], done: &mut Vec<bool>, value: u32) -> bool {
        if done.iter().all(|d| *d) {
            return true;
        }
        // Candidates: pending operations no other pending one finished before.
        let earliest_end = ops
            .iter()
            .zip(done.iter())
            .filter(|(_, d)| !**d)
            .map(|(o, _)| o.complete)
            .min()
            .unwrap();
        for i in 0..ops.len() {
            let o = ops[i];
            if done[i] || o.invoke > earliest_end {
                continue;
            }
            if o.value != value + u32::from(o.write) {
                continue;
            }
            done[i] = true;
            if search(ops, done, if o.write { o.value } else { value }) {
                return true;
            }
            done[i] = false;
        }
        false
    }
    search(ops, &mut vec![false; ops.len()], 0)
}

#[test]
fn every_stale_read_breaks_linearizability() {
    // Reads from a replica that lags a random 0–3 ms: some histories have
    // stale reads. A stale read (a version older than one acknowledged
    // before the read began) must make the key's history non-linearizable;
    // a history with no stale read from the primary alone is linearizable.
    let key = 0;
    let mut rng = Streams::new(11, 0).stream("histories");
    let replica = "[architecture.replicas]\ncount = 1\nlag = \"uniform(0ms, 3ms)\"\n";
    let (mut stale_runs, mut clean_runs) = (0, 0);
    for _ in 0..200 {
        let ops = random_ops(&mut rng, 7, &[OpKind::Get, OpKind::Put], &[key], 5_000);
        let r = run(replica, ops.clone());
        let history = r.history.as_deref().unwrap();
        let register = register_ops(history, key);
        if r.anomalies.stale_read.count > 0 {
            stale_runs += 1;
            assert!(
                !linearizable(&register),
                "stale read but linearizable ({:?}):\n{history}",
                r.anomalies.stale_read
            );
        } else {
            clean_runs += 1;
        }
        // The same operations on the primary alone: linearizable, no stale read.
        let r = run("", ops);
        assert_eq!(r.anomalies.stale_read.count, 0);
        assert!(linearizable(&register_ops(
            r.history.as_deref().unwrap(),
            key
        )));
    }
    assert!(
        stale_runs > 20 && clean_runs > 20,
        "{stale_runs} stale, {clean_runs} clean"
    );
}

#[test]
fn the_brute_force_checker_knows_a_stale_read() {
    // w1 completes at 10; a read invoked at 20 returns the initial value.
    let ops = [
        RegisterOp {
            invoke: 0,
            complete: 10,
            write: true,
            value: 1,
        },
        RegisterOp {
            invoke: 20,
            complete: 30,
            write: false,
            value: 0,
        },
    ];
    assert!(!linearizable(&ops));
    // Invoked at 5, concurrent with the write: either order is fine.
    let ops = [
        ops[0],
        RegisterOp {
            invoke: 5,
            ..ops[1]
        },
    ];
    assert!(linearizable(&ops));
}

#[test]
fn fractured_reads_are_g_single_for_adya() {
    // Transfers between two accounts and multi_gets of both. On the primary
    // alone every multi_get is one snapshot: no fractured read, and adya
    // finds no G-single or G2. Through a cache that holds the accounts at
    // different ages, a multi_get can see a transfer on one account and not
    // on the other — our fractured_read, a G-single cycle for adya
    // (T wr→ R on one key, R rw→ T on the other).
    let space = KeySpace::new(&scenario(&base("")).workload);
    let (a, b) = (space.account(0), space.account(1));
    let mut rng = Streams::new(13, 0).stream("histories");
    let cache = "[architecture.cache]\ncapacity = 10\nplacement = \"in-process\"\n";
    let mut fractured_runs = 0;
    for _ in 0..300 {
        let kinds = [OpKind::Transfer, OpKind::MultiGet, OpKind::Get];
        let mut ops = random_ops(&mut rng, 8, &kinds, &[a, b], 6_000);
        for o in &mut ops {
            match o.kind {
                OpKind::Transfer => {
                    (o.key, o.other) = if rng.random_bool(0.5) { (a, b) } else { (b, a) }
                }
                OpKind::MultiGet => (o.key, o.other) = (a, 1),
                _ => {}
            }
        }
        let g_single = |anomalies: &[String]| {
            anomalies
                .iter()
                .any(|x| x.starts_with("G-single") || x.starts_with("G2"))
        };
        let r = run("", ops.clone());
        assert_eq!(r.anomalies.fractured_read.count, 0);
        let theirs = adya_anomalies(r.history.as_deref().unwrap());
        assert!(!g_single(&theirs), "{theirs:?}");

        let r = run(cache, ops);
        if r.anomalies.fractured_read.count > 0 {
            fractured_runs += 1;
            let theirs = adya_anomalies_with(r.history.as_deref().unwrap(), false);
            assert!(g_single(&theirs), "fractured read, adya says {theirs:?}");
        }
    }
    assert!(
        fractured_runs >= 10,
        "{fractured_runs} runs with a fractured read"
    );
}

//! The oracle on hand-built histories: each yields exactly its class (and
//! count) and nothing else; a clean history yields nothing.

use std::collections::BTreeMap;

use archsim::check::{
    AnomalyReport, Commit, DivergenceReport, Oracle, Partner, ReadCheck, ServedBy, Version,
};
use archsim::metrics::Window;
use archsim::scenario::WorkloadConfig;
use archsim::sim::{SimDuration, SimTime};
use archsim::workload::KeySpace;

/// 10 plain keys, 4 accounts of 100, 2 items of 5, 2 counters.
fn space() -> KeySpace {
    let mut w = WorkloadConfig {
        keys: 10,
        groups: 2,
        ..WorkloadConfig::default()
    };
    w.entities.accounts = 4;
    w.entities.balance = 100;
    w.entities.items = 2;
    w.entities.stock = 5;
    w.entities.counters = 2;
    KeySpace::new(&w)
}

fn oracle() -> Oracle {
    let window = Window::new(SimDuration::ZERO, SimDuration::from_secs(10));
    Oracle::new(space(), 4, &[], window)
}

fn t(us: u64) -> SimTime {
    SimTime(us * 1_000)
}

/// The system of record's final state: every key at `versions` (default
/// 0) with its initial value unless `values` says otherwise.
struct Final {
    versions: BTreeMap<u64, Version>,
    values: BTreeMap<u64, i64>,
}

impl Final {
    fn initial() -> Final {
        Final {
            versions: BTreeMap::new(),
            values: BTreeMap::new(),
        }
    }
    fn with(mut self, key: u64, version: Version, value: i64) -> Final {
        self.versions.insert(key, version);
        self.values.insert(key, value);
        self
    }
}

fn report(o: &Oracle, f: &Final) -> AnomalyReport {
    report_with(o, f, BTreeMap::new())
}

fn report_with(
    o: &Oracle,
    f: &Final,
    divergence: BTreeMap<String, DivergenceReport>,
) -> AnomalyReport {
    let s = space();
    o.report(
        |k| {
            (
                f.versions.get(&k).copied().unwrap_or(0),
                f.values.get(&k).copied().unwrap_or(s.initial_value(k)),
            )
        },
        divergence,
    )
}

/// Every class with a non-zero count.
fn found(r: &AnomalyReport) -> Vec<(&'static str, u64)> {
    r.counts().into_iter().filter(|(_, n)| *n > 0).collect()
}

fn read(
    key: u64,
    session: u32,
    invoked: SimTime,
    floor: Version,
    returned: Version,
    by: ServedBy,
) -> ReadCheck {
    ReadCheck {
        key,
        session,
        invoked,
        completed: invoked,
        floor,
        returned,
        served_by: by,
    }
}

fn commit(key: u64, version: Version, value: i64, invoked: SimTime) -> Commit {
    Commit {
        key,
        version,
        value,
        partner: None,
        rmw_read: None,
        invoked,
    }
}

#[test]
fn a_clean_history_yields_nothing() {
    let mut o = oracle();
    o.operation(t(0));
    o.committed(commit(1, 1, 1, t(0)));
    o.acknowledged(1, 1, 0, t(10));
    let floor = o.read_invoked(1);
    o.read_returned(read(1, 1, t(20), floor, 1, ServedBy::Replica));
    let r = report(&o, &Final::initial().with(1, 1, 1));
    assert_eq!(found(&r), vec![]);
    assert_eq!(r.reads_checked, 1);
}

#[test]
fn stale_read_only() {
    let mut o = oracle();
    o.committed(commit(1, 1, 1, t(0)));
    o.acknowledged(1, 1, 0, t(10));
    let floor = o.read_invoked(1);
    o.read_returned(read(1, 1, t(20), floor, 0, ServedBy::Cache));
    let r = report(&o, &Final::initial().with(1, 1, 1));
    assert_eq!(found(&r), vec![("stale_read", 1)]);
    assert_eq!(r.stale_read.by_served_by["cache"], 1);
}

#[test]
fn read_your_writes_comes_with_its_stale_read() {
    let mut o = oracle();
    o.committed(commit(1, 1, 1, t(0)));
    o.acknowledged(1, 1, 2, t(10));
    let floor = o.read_invoked(1);
    o.read_returned(read(1, 2, t(20), floor, 0, ServedBy::Replica));
    let r = report(&o, &Final::initial().with(1, 1, 1));
    assert_eq!(found(&r), vec![("stale_read", 1), ("read_your_writes", 1)]);
}

#[test]
fn monotonic_reads_only() {
    // v1 is committed but not yet acknowledged: both reads are legal alone,
    // but the session goes back from v1 to v0.
    let mut o = oracle();
    o.committed(commit(1, 1, 1, t(0)));
    o.read_returned(read(1, 3, t(5), 0, 1, ServedBy::Primary));
    o.read_returned(read(1, 3, t(6), 0, 0, ServedBy::Replica));
    o.acknowledged(1, 1, 0, t(10));
    let r = report(&o, &Final::initial().with(1, 1, 1));
    assert_eq!(found(&r), vec![("monotonic_reads", 1)]);
    assert_eq!(r.monotonic_reads.by_served_by["replica"], 1);
}

#[test]
fn lost_update_only() {
    let s = space();
    let c = s.counter(0);
    let mut o = oracle();
    // Two read-modify-writes both read v0 (value 0) and write 1.
    for (version, session) in [(1, 0), (2, 1)] {
        o.committed(Commit {
            rmw_read: Some(0),
            ..commit(c, version, 1, t(0))
        });
        o.acknowledged(c, version, session, t(10));
        o.increment_acknowledged(c);
    }
    let r = report(&o, &Final::initial().with(c, 2, 1));
    assert_eq!(found(&r), vec![("lost_update", 1)]);
    assert_eq!(
        r.lost_update.lost_increments, 1,
        "two increments acknowledged, counter at 1"
    );
}

#[test]
fn fractured_read_only() {
    let s = space();
    let (a, b) = (s.account(0), s.account(1));
    let mut o = oracle();
    // T moves 10 from a to b: a@1 = 90, b@1 = 110.
    o.committed(Commit {
        partner: Some(Partner { key: b, version: 1 }),
        ..commit(a, 1, 90, t(0))
    });
    o.committed(Commit {
        partner: Some(Partner { key: a, version: 1 }),
        ..commit(b, 1, 110, t(0))
    });
    // A multi-key read, invoked before T's ok, sees T on a but not on b.
    o.multi_read_returned(&[
        read(a, 1, t(5), 0, 1, ServedBy::Cache),
        read(b, 1, t(5), 0, 0, ServedBy::Cache),
    ]);
    o.acknowledged(a, 1, 0, t(10));
    o.acknowledged(b, 1, 0, t(10));
    let r = report(&o, &Final::initial().with(a, 1, 90).with(b, 1, 110));
    assert_eq!(found(&r), vec![("fractured_read", 1)]);
}

#[test]
fn torn_transaction_only() {
    let mut o = oracle();
    o.transaction_ended(true, 1, 2, t(0));
    o.transaction_ended(true, 2, 2, t(0));
    o.transaction_ended(false, 1, 2, t(0)); // not acknowledged: not torn
    let r = report(&o, &Final::initial());
    assert_eq!(found(&r), vec![("torn_transaction", 1)]);
}

#[test]
fn dirty_read_only() {
    let mut o = oracle();
    o.write_failed(2, 1);
    o.read_returned(read(2, 1, t(5), 0, 1, ServedBy::Cache));
    let r = report(&o, &Final::initial());
    assert_eq!(found(&r), vec![("dirty_read", 1)]);
}

#[test]
fn invariant_bank_total_and_negative_balance() {
    let s = space();
    let a = s.account(0);
    let mut o = oracle();
    // A non-atomic transfer of 150: a debited (−50), b never credited.
    o.committed(commit(a, 1, -50, t(0)));
    o.acknowledged(a, 1, 0, t(10));
    let r = report(&o, &Final::initial().with(a, 1, -50));
    assert_eq!(found(&r), vec![("invariant", 2)]);
    assert_eq!(r.invariant.bank_total_final, 250);
    assert_eq!(r.invariant.negative_balances, 1);
}

#[test]
fn invariant_wrong_total_observed() {
    let mut o = oracle();
    o.bank_observed(399, t(5));
    o.bank_observed(400, t(6));
    let r = report(&o, &Final::initial());
    assert_eq!(found(&r), vec![("invariant", 1)]);
    assert_eq!(r.invariant.wrong_total_observations, 1);
}

#[test]
fn invariant_oversold_stock() {
    let s = space();
    let item = s.item(0);
    let mut o = oracle();
    // Stock 5; reserves checked against stale copies take it to −2.
    for v in 1..=7u32 {
        o.committed(commit(item, v, 5 - i64::from(v), t(0)));
        o.acknowledged(item, v, 0, t(10));
    }
    let r = report(&o, &Final::initial().with(item, 7, -2));
    assert_eq!(found(&r), vec![("invariant", 2)]);
    assert_eq!(r.invariant.negative_stock_commits, 2);
    assert_eq!(r.invariant.oversold_units, 2);
}

#[test]
fn lost_write_only() {
    let mut o = oracle();
    o.committed(commit(3, 1, 1, t(0)));
    o.acknowledged(3, 1, 0, t(10));
    o.committed(commit(3, 2, 2, t(20)));
    o.acknowledged(3, 2, 0, t(30));
    // A failover lost v2: the system of record ends at v1.
    let r = report(&o, &Final::initial().with(3, 1, 1));
    assert_eq!(found(&r), vec![("lost_write", 1)]);
}

#[test]
fn divergence_only() {
    let o = oracle();
    let divergence = BTreeMap::from([(
        "search".to_string(),
        DivergenceReport {
            older: 3,
            phantom: 1,
            diverged_share: 0.25,
        },
    )]);
    let r = report_with(&o, &Final::initial(), divergence);
    assert_eq!(found(&r), vec![("divergence", 4)]);
}

#[test]
fn out_of_order_duplicate_and_split_brain() {
    let mut o = oracle();
    o.out_of_order_apply("read_model");
    assert_eq!(
        found(&report(&o, &Final::initial())),
        vec![("out_of_order_apply", 1)]
    );
    let mut o = oracle();
    o.duplicate_apply("search");
    o.duplicate_apply("search");
    assert_eq!(
        found(&report(&o, &Final::initial())),
        vec![("duplicate_apply", 2)]
    );
    let mut o = oracle();
    o.split_brain("primary", SimDuration::from_secs(2), 7, 3, 2);
    let r = report(&o, &Final::initial());
    assert_eq!(found(&r), vec![("split_brain", 1)]);
    assert_eq!(r.split_brain.lost_acknowledged_writes, 7);
    assert_eq!(r.split_brain.duration_ms, 2000.0);
    assert_eq!(
        (r.split_brain.keys_diverged, r.split_brain.keys_replayable),
        (3, 2)
    );
}

#[test]
fn reads_outside_the_window_are_not_counted() {
    let window = Window::new(SimDuration::from_secs(1), SimDuration::from_secs(1));
    let mut o = Oracle::new(space(), 4, &[], window);
    o.committed(commit(1, 1, 1, t(0)));
    o.acknowledged(1, 1, 0, t(10));
    o.read_returned(read(1, 1, t(20), 1, 0, ServedBy::Cache)); // in warm-up
    let r = report(&o, &Final::initial().with(1, 1, 1));
    assert_eq!(found(&r), vec![]);
    assert_eq!(r.reads_checked, 0);
}

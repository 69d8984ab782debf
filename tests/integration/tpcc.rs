//! The TPC-C preset (`[workload] tpcc = true`): its mix, the shapes of its
//! transactions, and the share of distributed transactions TPC-C is known
//! for with one warehouse per shard, 10.7 % (0.45 × 9.5 % of New-Orders +
//! 0.43 × 15 % of Payments).

use archsim::scenario::Scenario;
use archsim::sim::{SimDuration, SimTime, Streams};
use archsim::workload::{KeySpace, OpKind, Popularity, TxnShape, Workload, tpcc};

use crate::{run, scenario, scenario_path};

fn load(text: &str) -> Result<Scenario, String> {
    Scenario::from_toml(text, "t.toml", "t", &[]).map_err(|e| e.to_string())
}

const WAREHOUSES: &str = "[workload]\ntpcc = true\ngroups = 16\n[workload.entities]\naccounts = 1600\nbalance = 100000\n";

/// The preset sets TPC-C's mix, Payment's locality and uniform popularity;
/// the operations drawn follow them, New-Orders have 6–16 rows (the
/// district and 5–15 lines) with a line remote 1 % of the time, Deliveries
/// 10 local rows, and reads stay in their warehouse.
#[test]
fn the_preset_draws_tpccs_transactions() {
    let s = scenario(&format!(
        "{WAREHOUSES}[[architecture]]\nkind = \"single\"\n"
    ));
    let w = &s.workload;
    assert_eq!(w.popularity, Popularity::Uniform);
    assert_eq!(w.locality, 0.85);
    assert_eq!(w.mix.share(OpKind::Txn), 0.49);
    let space = KeySpace::new(w);
    let end = SimTime::ZERO + SimDuration::from_secs(20);
    let mut ops = Workload::new(w, &Streams::new(5, 0), end);
    let (mut n, mut new_orders, mut deliveries, mut lines, mut remote_lines) = (0.0, 0, 0, 0, 0);
    let (mut payments, mut remote_payments, mut reads) = (0, 0, 0);
    while let Some(o) = ops.next_op() {
        n += 1.0;
        match o.kind {
            OpKind::Txn => {
                let shape = TxnShape::decode(o.other);
                let keys = space.txn_keys(&o);
                let home = space.group(o.key);
                let away = keys
                    .keys()
                    .iter()
                    .filter(|&&k| space.group(k) != home)
                    .count();
                if shape.keys == tpcc::DISTRICTS && shape.remote == 0 && away == 0 {
                    deliveries += 1;
                }
                if shape.keys != tpcc::DISTRICTS || shape.remote != 0 {
                    assert!((6..=16).contains(&shape.keys), "{shape:?}");
                    new_orders += 1;
                    lines += shape.keys - 1;
                    remote_lines += shape.remote.count_ones();
                    assert_eq!(away as u32, shape.remote.count_ones(), "{shape:?}");
                }
            }
            OpKind::Transfer => {
                payments += 1;
                remote_payments += u32::from(space.group(o.key) != space.group(o.other));
            }
            OpKind::MultiGet => {
                reads += 1;
                assert_eq!(o.other, 1, "Order-Status and Stock-Level stay home");
            }
            kind => panic!("TPC-C draws no {kind}"),
        }
    }
    assert!(n > 35_000.0, "{n}");
    let share = |k: u32| f64::from(k) / n;
    // Standard errors of these shares at 40,000 draws are 0.001–0.0025;
    // the margins are four of them. New-Orders of exactly 9 lines with no
    // remote line count as Deliveries here (1/11 of New-Orders' 0.45 share
    // would be 0.04, too much to miss): the bound below accounts for it.
    assert!(
        (share(payments) - tpcc::PAYMENT).abs() < 0.01,
        "{}",
        share(payments)
    );
    assert!((share(reads) - 0.08).abs() < 0.006, "{}", share(reads));
    assert!((share(new_orders + deliveries) - 0.49).abs() < 0.01);
    let remote = f64::from(remote_lines) / f64::from(lines);
    assert!((remote - tpcc::REMOTE_LINE).abs() < 0.0015, "{remote}");
    let remote = f64::from(remote_payments) / f64::from(payments);
    assert!((remote - tpcc::REMOTE_PAYMENT).abs() < 0.008, "{remote}");
}

/// 16 warehouses on 16 shards, range-placed by warehouse: the coordinator
/// (2PC) and best-effort shards both see TPC-C's 10.7 % of operations span
/// warehouses, within 0.6 points (four standard errors at 40,000
/// operations). One warehouse gives none.
#[test]
fn one_warehouse_per_shard_gives_tpccs_distributed_share() {
    let s = Scenario::load(&scenario_path("tpcc.toml"), &[]).unwrap();
    let results = run(&s);
    for r in results.runs.iter().filter(|r| r.architecture != "single") {
        let share = r.coordination.distributed_share.expect("a share");
        assert!(
            (share - tpcc::distributed_share()).abs() < 0.006,
            "{}: {share}",
            r.architecture
        );
    }
    let one = scenario(&format!(
        "duration = \"5s\"\n{}[[architecture]]\nkind = \"coordinator\"\n[architecture.shards]\ncount = 4\nrouter = \"range\"\npartition_by = \"group\"\n",
        WAREHOUSES.replace("groups = 16", "groups = 1")
    ));
    let r = &run(&one).runs[0];
    assert_eq!(r.coordination.distributed_share.unwrap_or(0.0), 0.0);
}

#[test]
fn the_preset_refuses_what_it_sets() {
    let text = WAREHOUSES.replace("groups = 16\n", "groups = 16\nlocality = 0.5\n");
    let e = load(&format!("{text}[[architecture]]\nkind = \"single\"\n")).unwrap_err();
    assert!(
        e.contains("t.toml:") && e.contains("tpcc = true sets locality"),
        "{e}"
    );
    let e = load("[workload]\ntpcc = true\nycsb = \"a\"\n[[architecture]]\nkind = \"single\"\n")
        .unwrap_err();
    assert!(e.contains("either `ycsb` or `tpcc`"), "{e}");
    let path = scenario_path("tpcc.toml");
    let e = Scenario::load(&path, &["workload.mix.get=1".parse().unwrap()]).unwrap_err();
    assert!(e.to_string().contains("tpcc = true sets mix"), "{e}");
    // The resolved scenario reads back the same.
    let s = Scenario::load(&path, &[]).unwrap();
    assert_eq!(load(&s.to_toml()).unwrap().workload, s.workload);
}

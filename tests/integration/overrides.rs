//! `--set` overrides: same paths as the file, checked like the file.

use archsim::arch::{ArchitectureConfig, Config, single};
use archsim::scenario::{Override, Scenario, ScenarioError};

/// The settings of a `kind = "single"` architecture.
fn single(arch: Option<&ArchitectureConfig>) -> &single::config::Config {
    match arch.map(|a| &a.config) {
        Some(Config::Single(c)) => c,
        other => panic!("not a single architecture: {other:?}"),
    }
}

const BASE: &str = r#"
[workload]
rate = 1000
[[architecture]]
kind = "single"
[[architecture]]
kind = "single"
name = "big"
[architecture.db]
cores = 32
"#;

fn load(sets: &[&str]) -> Result<Scenario, ScenarioError> {
    let overrides: Vec<Override> = sets.iter().map(|s| s.parse().unwrap()).collect();
    Scenario::from_toml(BASE, "base.toml", "base", &overrides)
}

#[test]
fn sets_fields_by_path() {
    let s = load(&[
        "workload.rate=30000",
        "architecture.big.db.cores=16",
        "architecture.single.db.read=exp(0.2ms)",
        "network.hop=\"0s\"",
        "seed=9",
    ])
    .unwrap();
    assert_eq!(s.workload.rate, 30000.0);
    assert_eq!(single(s.architecture("big")).db.cores, 16);
    assert_eq!(
        single(s.architecture("single")).db.cores,
        8,
        "other architectures keep theirs"
    );
    assert_eq!(
        single(s.architecture("single")).db.read.to_string(),
        "exp(200us)"
    );
    assert_eq!(s.network.hop.to_string(), "0s");
    assert_eq!(s.seed, 9);
}

#[test]
fn later_overrides_win() {
    let s = load(&["workload.rate=5", "workload.rate=7"]).unwrap();
    assert_eq!(s.workload.rate, 7.0);
}

#[test]
fn a_mix_can_be_replaced_as_a_whole() {
    let s = load(&["workload.mix={get = 0.5, put = 0.5}"]).unwrap();
    assert_eq!(s.workload.mix.share(archsim::workload::OpKind::Put), 0.5);
}

fn message(sets: &[&str]) -> String {
    load(sets).unwrap_err().to_string()
}

#[test]
fn unknown_paths_and_bad_values_are_named() {
    let m = message(&["workload.ratee=5"]);
    assert!(
        m.starts_with("--set workload.ratee=5:") && m.contains("unknown field `ratee`"),
        "{m}"
    );
    let m = message(&["architecture.nope.db.cores=4"]);
    assert!(
        m.contains("no architecture named \"nope\"; this scenario has single, big"),
        "{m}"
    );
    let m = message(&["workload.rate=-1"]);
    assert!(m.contains("greater than 0"), "{m}");
    let m = message(&["workload.mix.get=1.5"]);
    assert!(m.contains("shares are from 0 to 1"), "{m}");
    let m = message(&["workload.mix.get=0.7", "workload.mix.put=0.5"]);
    assert!(m.contains("sum to 1.2, more than 1"), "{m}");
    let m = message(&["architecture.single.db.read=exp(2mz)"]);
    assert!(m.contains("unknown time unit \"mz\""), "{m}");
    let m = message(&["workload.rate.x=1"]);
    assert!(m.contains("workload.rate is a value"), "{m}");
}

#[test]
fn a_value_cannot_smuggle_in_other_keys() {
    // Read as one string, so the scenario gains no [evil] table.
    let o: Override = "description=x\n[evil]\nkey = 1".parse().unwrap();
    assert!(matches!(o.value, toml::Value::String(_)));
    let s = Scenario::from_toml(BASE, "base.toml", "base", &[o]).unwrap();
    assert!(s.description.contains("[evil]"));
}

#[test]
fn not_path_value() {
    assert!("workload.rate".parse::<Override>().is_err());
    assert!("workload..rate=1".parse::<Override>().is_err());
}

#[test]
fn overrides_are_checked_together_in_any_order() {
    // Each alone would leave replica reads without replicas; together they
    // are consistent, whichever comes first.
    let text = "[[architecture]]\nkind = \"single\"\n[architecture.replicas]\ncount = 2\n\
                reads = \"replicas\"\n";
    let sets = [
        "architecture.single.replicas.count=0",
        "architecture.single.replicas.reads=primary",
    ];
    for order in [[0, 1], [1, 0]] {
        let overrides: Vec<Override> = order.iter().map(|&i| sets[i].parse().unwrap()).collect();
        let s = Scenario::from_toml(text, "r.toml", "r", &overrides).unwrap();
        assert_eq!(single(s.architectures.first()).replicas.count, 0);
    }
}

#[test]
fn shorthands_are_overridden_by_their_own_paths() {
    let text = "[[architecture]]\nkind = \"sharded\"\n[architecture.shards]\nrouter = \"range\"\n";
    let overrides: Vec<Override> = [
        "architecture.sharded.router=directory",
        "architecture.sharded.shards=4",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    let s = Scenario::from_toml(text, "s.toml", "s", &overrides).unwrap();
    let Config::Sharded(sharded) = &s.architectures[0].config else {
        panic!("a sharded architecture")
    };
    let shards = &sharded.shards;
    assert_eq!(shards.count, 4);
    assert_eq!(format!("{:?}", shards.router), "Directory");
}

/// One share set on the command line: the kinds not named keep their
/// proportions and fill the rest, with no float noise.
#[test]
fn a_mix_share_rescales_the_others() {
    let text =
        "[workload.mix]\nget = 0.6\nput = 0.1\nrmw = 0.3\n[[architecture]]\nkind = \"single\"\n";
    let set = |sets: &[&str]| {
        let o: Vec<Override> = sets.iter().map(|s| s.parse().unwrap()).collect();
        Scenario::from_toml(text, "m.toml", "m", &o).unwrap()
    };
    let s = set(&["workload.mix.put=0.2"]);
    let share = |s: &Scenario, k| s.workload.mix.share(k);
    use archsim::workload::OpKind::{Get, Put, Rmw};
    assert_eq!(share(&s, Put), 0.2);
    assert_eq!(share(&s, Get), 0.533333333333);
    assert_eq!(share(&s, Rmw), 0.266666666667);
    // Two shares set: both kept, the third takes the rest.
    let s = set(&["workload.mix.get=0.5", "workload.mix.put=0.3"]);
    assert_eq!(
        (share(&s, Get), share(&s, Put), share(&s, Rmw)),
        (0.5, 0.3, 0.2)
    );
    assert!(!s.to_toml().contains("0000000000"), "{}", s.to_toml());
}

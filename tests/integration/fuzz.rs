//! Scenario parsing and checking against generated input: well-formed TOML
//! with every known field set to values of every shape, and arbitrary
//! text. Whatever comes in, reading a scenario returns a scenario or an
//! error — it never panics — and an accepted scenario expands its sweep.

use archsim::scenario::Scenario;
use proptest::prelude::*;

/// Fields of each section, as `(section, field)`; "" is the top level.
const FIELDS: &[(&str, &str)] = &[
    ("", "seed"),
    ("", "duration"),
    ("", "warmup"),
    ("", "replications"),
    ("", "name"),
    ("workload", "rate"),
    ("workload", "keys"),
    ("workload", "popularity"),
    ("workload", "sessions"),
    ("workload", "groups"),
    ("workload", "locality"),
    ("workload", "multi_get_keys"),
    ("workload", "transfer_amount"),
    ("workload", "probes"),
    ("workload", "probe_share"),
    ("workload.mix", "get"),
    ("workload.mix", "put"),
    ("workload.mix", "transfer"),
    ("workload.mix", "rmw"),
    ("workload.entities", "accounts"),
    ("workload.entities", "stock"),
    ("network", "hop"),
    ("network", "client_hop"),
    ("architecture.db", "cores"),
    ("architecture.db", "read"),
    ("architecture.db", "fsync"),
    ("architecture.cache", "capacity"),
    ("architecture.cache", "ttl"),
    ("architecture.cache", "nodes"),
    ("architecture.replicas", "count"),
    ("architecture.replicas", "lag"),
    ("architecture.replicas", "shipping"),
    ("architecture.replicas", "apply"),
    ("architecture.shards", "count"),
    ("architecture.shards", "router"),
    ("architecture.docstore", "r"),
    ("architecture.docstore", "w"),
    ("architecture.docstore", "propagate"),
    ("architecture.docstore", "handoff"),
    ("architecture.coordinator", "cores"),
    ("architecture.coordinator", "critical"),
    ("architecture.coordinator", "strong"),
    ("architecture.coordinator", "flush"),
    ("architecture.partitions", "nodes"),
    ("architecture.partitions", "replication"),
    ("architecture.partitions", "count"),
    ("architecture.partitions", "reads"),
    ("architecture.partitions", "apply"),
    ("sweep", "\"workload.rate\""),
    ("sweep", "\"architecture.single.db.cores\""),
];

/// Values of every shape: numbers at and beyond the edges, durations and
/// distributions good and bad, strings, lists, tables.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("1".to_string()),
        Just("4294967296".to_string()),
        Just("9223372036854775807".to_string()),
        Just("1e308".to_string()),
        Just("nan".to_string()),
        Just("inf".to_string()),
        Just("0.5".to_string()),
        Just("1.0000001".to_string()),
        Just("true".to_string()),
        Just("\"\"".to_string()),
        Just("\"0s\"".to_string()),
        Just("\"1ns\"".to_string()),
        Just("\"auto\"".to_string()),
        Just("\"exp(1ms)\"".to_string()),
        Just("\"lognormal(p50=1ms, p99=0.5ms)\"".to_string()),
        Just("\"mix(0.5: 1ms, 0.7: 2ms)\"".to_string()),
        Just("\"zipf(0)\"".to_string()),
        Just("\"zipf(-3)\"".to_string()),
        Just("\"hotspot(2, 0.5)\"".to_string()),
        Just("\"group\"".to_string()),
        Just("\"follower\"".to_string()),
        Just("\"single\"".to_string()),
        Just("\"quorum\"".to_string()),
        Just("\"off\"".to_string()),
        Just("[]".to_string()),
        Just("[1, 2, 3]".to_string()),
        Just("[\"get\", \"multi_get\"]".to_string()),
        Just("{}".to_string()),
        (0u64..100_000).prop_map(|n| n.to_string()),
        (-1e6f64..1e6).prop_map(|x| format!("{x}")),
        "[a-z0-9()=., ]{0,12}".prop_map(|s| format!("\"{s}\"")),
    ]
}

const KINDS: &[&str] = &[
    "single",
    "polyglot",
    "sharded",
    "coordinator",
    "colocated",
    "x",
];

const FAULT_KINDS: &[&str] = &["crash", "partition", "slow", "lag", "flush", "boom"];

const ROLES: &[&str] = &[
    "primary",
    "replica",
    "cache",
    "shard:0",
    "shard:99",
    "coordinator",
    "node:1",
    "leader:3",
    "pipeline:search",
    "pipeline:read_model",
    "pipeline:",
    "index",
    "warehouse",
    "session_store",
    "shard:-1",
    "",
];

/// A `[[fault]]`: every field present or not, of any shape.
fn fault() -> impl Strategy<Value = String> {
    (
        prop::option::of(value()),
        prop::option::of(value()),
        prop::sample::select(FAULT_KINDS),
        prop::sample::select(ROLES),
        prop::option::of(value()),
    )
        .prop_map(|(at, lasts, kind, target, factor)| {
            let mut f = format!("[[fault]]\nkind = \"{kind}\"\ntarget = \"{target}\"\n");
            for (name, v) in [("at", at), ("for", lasts), ("factor", factor)] {
                if let Some(v) = v {
                    f += &format!("{name} = {v}\n");
                }
            }
            f
        })
}

/// A scenario: some fields set, in sections, with one architecture of a
/// random kind (sections may repeat: duplicate keys are errors too), and
/// some faults.
fn scenario() -> impl Strategy<Value = String> {
    (
        prop::sample::select(KINDS),
        prop::collection::vec((prop::sample::select(FIELDS), value()), 0..12),
        prop::collection::vec(fault(), 0..3),
    )
        .prop_map(|(kind, fields, faults)| {
            let mut top = String::new();
            let mut sections = String::new();
            for ((section, field), v) in fields {
                let line = format!("{field} = {v}\n");
                match section {
                    "" => top += &line,
                    s if s.starts_with("architecture.") => {
                        sections += &format!("[[architecture]]\nkind = \"{kind}\"\n[{s}]\n{line}");
                    }
                    s => sections += &format!("[{s}]\n{line}"),
                }
            }
            let faults = faults.concat();
            format!("{top}{sections}[[architecture]]\nkind = \"{kind}\"\nname = \"last\"\n{faults}")
        })
}

/// A small run of one architecture with up to three faults on roles it
/// has, at random instants, of random lengths and factors.
fn faulty_run() -> impl Strategy<Value = String> {
    let kind = prop::sample::select(&KINDS[..5]);
    let one = (
        0u64..2500,
        prop::option::of(1u64..3000),
        prop::sample::select(&FAULT_KINDS[..5]),
        prop::sample::select(&ROLES[..10]),
        1.5f64..1000.0,
    );
    (kind, prop::collection::vec(one, 1..4)).prop_map(|(kind, faults)| {
        let mut text = format!(
            "duration = \"2s\"\nwarmup = \"500ms\"\n[workload]\nrate = 300\nkeys = 500\n\
             [workload.mix]\nget = 0.6\nput = 0.3\ntransfer = 0.1\n\
             [[architecture]]\nkind = \"{kind}\"\n"
        );
        if matches!(kind, "single" | "sharded") {
            text += "[architecture.replicas]\ncount = 1\nfailover_after = \"300ms\"\n";
        }
        if kind != "colocated" {
            text += "[architecture.cache]\ncapacity = 100\n";
        }
        if kind == "coordinator" {
            text += "[architecture.coordinator]\ncritical = 0.5\nflush = \"200ms\"\n";
        }
        for (at, lasts, fk, role, factor) in faults {
            text += &format!("[[fault]]\nat = \"{at}ms\"\nkind = \"{fk}\"\ntarget = \"{role}\"\n");
            if fk != "flush" {
                if let Some(l) = lasts {
                    text += &format!("for = \"{l}ms\"\n");
                }
            }
            if fk == "slow" || (fk == "lag" && at % 2 == 0) {
                text += &format!("factor = {factor}\n");
            }
        }
        text
    })
}

/// `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The generator's seed: `PROPTEST_RNG_SEED` when set (to search new
/// inputs), else a fixed one, so that a run of the suite — CI's included —
/// tries the same inputs every time and passes or fails for a reason
/// (failures found are kept in `tests/proptest-regressions` and tried
/// first).
fn seed() -> proptest::test_runner::RngSeed {
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x0a5c_5eed);
    proptest::test_runner::RngSeed::Fixed(seed)
}

fn read(text: &str) {
    if let Ok(s) = Scenario::from_toml(text, "fuzz.toml", "fuzz", &[]) {
        let _ = s.points();
        let _ = s.to_toml();
    }
}

proptest! {
    // 3000 cases per test run; set PROPTEST_CASES for a longer search.
    #![proptest_config(ProptestConfig { cases: cases(3000), rng_seed: seed(), ..ProptestConfig::default() })]

    #[test]
    fn generated_scenarios_are_read_or_refused(text in scenario()) {
        read(&text);
    }

    #[test]
    fn arbitrary_text_is_refused_without_panicking(text in "(?s).{0,400}") {
        read(&text);
    }
}

proptest! {
    // Each case is a short simulation: 48 per test run (PROPTEST_CASES for more).
    #![proptest_config(ProptestConfig { cases: cases(48), rng_seed: seed(), ..ProptestConfig::default() })]

    /// Any fault an architecture accepts, at any instant, runs to the end:
    /// no panic, and every operation is accounted for.
    #[test]
    fn accepted_faults_run_to_the_end(text in faulty_run()) {
        // A fault on a role the architecture lacks, or two on one target at
        // once, is refused; the rest run.
        let s = match Scenario::from_toml(&text, "fuzz.toml", "fuzz", &[]) {
            Ok(s) => s,
            Err(e) => {
                let m = e.to_string();
                let expected = ["has no", "cannot take", "does not exist", "overlaps"];
                prop_assert!(expected.iter().any(|p| m.contains(p)), "{m}\n{text}");
                return Ok(());
            }
        };
        let results = archsim::runner::run(&s);
        for run in &results.runs {
            let l = run.latency.all();
            prop_assert!(l.count + l.errors + l.timeouts > 0, "{text}");
            prop_assert_eq!(run.faults.len(), s.faults.len());
        }
    }
}

/// A sweep over more points than allowed is refused before it is expanded.
#[test]
fn an_oversized_sweep_is_refused_before_expanding() {
    let ten = "[1,2,3,4,5,6,7,8,9,10]";
    let text = format!(
        "[sweep]\n\"workload.rate\" = {ten}\n\"workload.keys\" = {ten}\n\"seed\" = {ten}\n\
         \"workload.sessions\" = [1,2,3,4,5,6,7,8,9,10,11]\n[[architecture]]\nkind = \"single\"\n"
    );
    let e = Scenario::from_toml(&text, "fuzz.toml", "fuzz", &[]).unwrap_err();
    assert!(e.to_string().contains("the sweep has 11000 points"), "{e}");
}

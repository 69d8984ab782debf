//! Bad input: a one-paragraph error with file, line and column, exit code 1,
//! no results folder touched.

use std::process::Output;

use crate::archsim;

const GOOD_TAIL: &str = "\n[[architecture]]\nkind = \"single\"\n";

/// Runs `archsim run` on `text` written to a scenario file in a fresh folder;
/// returns the output and whether a results folder appeared.
fn run_bad(text: &str) -> (Output, bool) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, text).unwrap();
    let out_dir = dir.path().join("results");
    let output = archsim(&[
        "run",
        file.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
    ]);
    (output, out_dir.exists())
}

/// Asserts exit 1, the position `line:column` in the message, the phrase,
/// no panic or backtrace, and no results folder.
pub(crate) fn assert_rejected(text: &str, line_col: &str, phrase: &str) {
    let (out, wrote) = run_bad(text);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "exit code; stderr:\n{stderr}");
    assert!(stderr.starts_with("Error: "), "{stderr}");
    assert!(
        stderr.contains(&format!("bad.toml:{line_col}: ")),
        "position {line_col} in:\n{stderr}"
    );
    assert!(stderr.contains(phrase), "\"{phrase}\" in:\n{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    assert!(!wrote, "a results folder was created");
    assert!(out.stdout.is_empty(), "nothing on stdout");
}

#[test]
fn typo_in_a_field_name() {
    assert_rejected(
        &format!("[workload]\nrate = 100\nkeyz = 10\n{GOOD_TAIL}"),
        "3:1",
        "unknown field `keyz`; did you mean `keys`?",
    );
}

#[test]
fn apply_workers_are_single_or_a_count() {
    let replicas = "[[architecture]]\nkind = \"single\"\n[architecture.replicas]\ncount = 1\n";
    assert_rejected(
        &format!("{replicas}apply = 0\n"),
        "5:9",
        "expected \"single\" or a number of parallel apply workers from 1 to 1024, found 0",
    );
    assert_rejected(
        &format!("{replicas}apply = \"two\"\n"),
        "5:9",
        "found \"two\"",
    );
}

#[test]
fn negative_rate() {
    assert_rejected(
        &format!("[workload]\nrate = -5\n{GOOD_TAIL}"),
        "2:8",
        "expected a number greater than 0, found -5",
    );
}

#[test]
fn mix_that_does_not_sum_to_one() {
    assert_rejected(
        &format!("[workload.mix]\nget = 0.7\nput = 0.2\n{GOOD_TAIL}"),
        "1:1",
        "operation shares sum to 0.9 (get 0.7 + put 0.2); they must sum to 1",
    );
}

#[test]
fn malformed_distribution_points_inside_the_string() {
    // Column 24 is the "x" of "2xs", inside the string: the unit is wrong.
    assert_rejected(
        &format!("{GOOD_TAIL}[architecture.db]\nread = \"lognormal(p50=2xs, p99=9ms)\"\n"),
        "5:24",
        "unknown time unit \"xs\"",
    );
    assert_rejected(
        &format!("{GOOD_TAIL}[architecture.db]\nwrite = \"expo(1ms)\"\n"),
        "5:10",
        "unknown distribution \"expo\"",
    );
}

#[test]
fn wrong_type() {
    assert_rejected(
        &format!("seed = \"abc\"\n{GOOD_TAIL}"),
        "1:8",
        "expected a whole number, 0 or more; found the string \"abc\"",
    );
}

#[test]
fn unknown_kind() {
    assert_rejected(
        "[[architecture]]\nkind = \"mainframe\"\n",
        "2:8",
        "unknown architecture kind",
    );
}

#[test]
fn toml_syntax_error() {
    assert_rejected("[workload\nrate = 1\n", "1:10", "");
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = archsim(&[
        "run",
        "does-not-exist.toml",
        "-o",
        dir.path().join("r").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("cannot read scenario does-not-exist.toml: No such file"),
        "{stderr}"
    );
    assert!(!dir.path().join("r").exists());
}

#[test]
fn unknown_set_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ok.toml");
    std::fs::write(&file, GOOD_TAIL).unwrap();
    let out_dir = dir.path().join("r");
    let out = archsim(&[
        "run",
        file.to_str().unwrap(),
        "--set",
        "workload.rat=5",
        "-o",
        out_dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--set workload.rat=5: unknown field `rat`"),
        "{stderr}"
    );
    assert!(!out_dir.exists());
}

#[test]
fn usage_errors_exit_2() {
    let out = archsim(&["run"]);
    assert_eq!(out.status.code(), Some(2));
    let out = archsim(&["run", "x.toml", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let out = archsim(&["run", "x.toml", "--set", "no-equals-sign"]);
    assert_eq!(out.status.code(), Some(2));
    let out = archsim(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_earlier_results_folder_survives_a_failed_run() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("r");
    let previous = out_dir.join("bad");
    std::fs::create_dir_all(&previous).unwrap();
    std::fs::write(previous.join("results.json"), "{}").unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "rate = 1\n").unwrap();
    let out = archsim(&[
        "run",
        file.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(previous.join("results.json")).unwrap(),
        "{}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&out_dir).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary folders left behind");
}

#[test]
fn contradicting_settings_are_placed_on_their_line() {
    assert_rejected(
        "[[architecture]]\nkind = \"single\"\n[architecture.replicas]\nreads = \"replicas\"\n",
        "4:1",
        "architecture \"single\": reads = \"replicas\" needs read replicas",
    );
    assert_rejected(
        "[[architecture]]\nkind = \"single\"\nanalytics_on = \"replica\"\n",
        "3:1",
        "analytics_on = \"replica\" needs a read replica",
    );
}

#[test]
fn cache_fencing_is_refused_where_it_does_not_act() {
    let cache = "[architecture.cache]\ncapacity = 100\nfencing = \"token\"\n";
    assert_rejected(
        &format!("[[architecture]]\nkind = \"single\"\n{cache}"),
        "5:1",
        "cache fencing acts on a write-behind cache's flushes",
    );
    // A coordinator that writes every key through has nothing to flush.
    assert_rejected(
        &format!("[[architecture]]\nkind = \"coordinator\"\n{cache}"),
        "5:1",
        "simulated for kind = \"coordinator\" with coordinator.critical below 1",
    );
    assert_rejected(
        "[[architecture]]\nkind = \"coordinator\"\n[architecture.cache]\ncapacity = 100\n\
         lease = \"2s\"\n[architecture.coordinator]\ncritical = 0\n",
        "5:1",
        "set fencing = \"lease\" or remove lease",
    );
    assert_rejected(
        "[[architecture]]\nkind = \"coordinator\"\n[architecture.cache]\ncapacity = 100\n\
         [architecture.coordinator]\ncritical = 0\n[[fault]]\nat = \"1s\"\nkind = \"partition\"\n\
         target = \"cache\"\nclients = 2\n",
        "11:11",
        "expected a share of clients from 0 to below 1",
    );
    // A split of the cache needs one that writes behind, of kind coordinator.
    let split = "[[fault]]\nat = \"1s\"\nkind = \"partition\"\ntarget = \"cache\"\nclients = 0.3\n";
    assert_rejected(
        &format!(
            "[[architecture]]\nkind = \"coordinator\"\n[architecture.cache]\ncapacity = 100\n{split}"
        ),
        "9:1",
        "splits the cache from the write model only when the cache writes behind",
    );
    assert_rejected(
        &format!(
            "[[architecture]]\nkind = \"single\"\n[architecture.cache]\ncapacity = 100\n{split}"
        ),
        "9:1",
        "the cut-off write-behind cache's side (split brain) is modelled for kind coordinator only",
    );
}

#[test]
fn unknown_enum_values_list_the_choices() {
    assert_rejected(
        "[[architecture]]\nkind = \"single\"\n[architecture.cache]\nplacement = \"nearby\"\n",
        "4:13",
        "unknown variant `nearby`, expected `in-process` or `remote`",
    );
    assert_rejected(
        "[workload]\nkeys = 0\n[[architecture]]\nkind = \"single\"\n",
        "2:8",
        "expected a key count from 1 to 4000000000, found 0",
    );
}

#[test]
fn entity_settings_are_checked() {
    assert_rejected(
        "[workload.mix]\nget = 0.5\ntransfer = 0.5\n[workload.entities]\naccounts = 1\n[[architecture]]\nkind = \"single\"\n",
        "5:1",
        "transfers need at least 2 accounts",
    );
    assert_rejected(
        "[workload.mix]\nget = 0.5\nprobe = 0.5\n[[architecture]]\nkind = \"single\"\n",
        "1:1",
        "probe reads are not part of the mix",
    );
    assert_rejected(
        "[workload]\nlocality = 1.5\n[[architecture]]\nkind = \"single\"\n",
        "2:12",
        "expected a share between 0 and 1, found 1.5",
    );
}

#[test]
fn operations_an_architecture_has_no_store_for() {
    for (kind, op) in [
        ("single", "search"),
        ("single", "session_put"),
        ("single", "doc_get"),
        ("sharded", "session_get"),
        ("polyglot", "doc_put"),
    ] {
        assert_rejected(
            &format!(
                "[workload.mix]\nget = 0.9\n{op} = 0.1\n[[architecture]]\nkind = \"{kind}\"\n"
            ),
            "3:1",
            &format!(
                "architecture \"{kind}\" (kind {kind}) has no store for {op} operations; \
                 remove {op} from the mix"
            ),
        );
    }
}

#[test]
fn shard_and_node_counts_are_bounded() {
    assert_rejected(
        "[[architecture]]\nkind = \"sharded\"\nshards = 100000\n",
        "3:10",
        "expected from 1 to 10000, found 100000",
    );
    assert_rejected(
        "[[architecture]]\nkind = \"sharded\"\n[architecture.shards]\ncount = 0\n",
        "4:9",
        "expected from 1 to 10000, found 0",
    );
    assert_rejected(
        "[[architecture]]\nkind = \"sharded\"\nshards = \"many\"\n",
        "3:10",
        "expected a shard count (shards = 16) or a table ([architecture.shards])",
    );
}

#[test]
fn colocated_costs_moved_to_the_database_table_say_where() {
    for (key, value) in [
        ("cores", "16"),
        ("read", "\"5us\""),
        ("write", "\"10us\""),
        ("fsync", "\"0s\""),
    ] {
        assert_rejected(
            &format!(
                "[[architecture]]\nkind = \"colocated\"\n[architecture.partitions]\n{key} = {value}\n"
            ),
            &format!("4:{}", key.len() + 4),
            &format!("partitions.{key} has moved to [architecture.db]"),
        );
    }
    // Where they went, they are read.
    let (out, _) = run_bad(
        "duration = \"1s\"\nwarmup = \"0s\"\n[workload]\nrate = 100\n[[architecture]]\nkind = \"colocated\"\n[architecture.db]\ncores = 16\nread = \"5us\"\nwrite = \"10us\"\nfsync = \"0s\"\n",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn coordinator_and_colocated_settings_are_checked() {
    assert_rejected(
        "[[architecture]]\nkind = \"colocated\"\n[architecture.partitions]\nnodes = 2\n",
        "4:1",
        "replication = 3 needs at least as many nodes, and there are 2",
    );
    assert_rejected(
        "[[architecture]]\nkind = \"coordinator\"\n[architecture.coordinator]\nstrong = [\"multi_get\"]\n",
        "4:1",
        "strong lists multi_get",
    );
    assert_rejected(
        "[[architecture]]\nkind = \"coordinator\"\n[architecture.coordinator]\nstrong = [\"rmw\"]\n",
        "4:1",
        "rmw and reserve run where [workload] rmw says",
    );
    assert_rejected(
        "[workload]\nrmw = \"app\"\n",
        "2:7",
        "expected `server` or `client`",
    );
    assert_rejected(
        "[[architecture]]\nkind = \"sharded\"\n[architecture.partitions]\nnodes = 5\n",
        "3:15",
        "[architecture.partitions] applies to kind = \"colocated\" only",
    );
    assert_rejected(
        "[[architecture]]\nkind = \"colocated\"\n[architecture.cache]\ncapacity = 10\n",
        "3:15",
        "has no separate cache",
    );
    assert_rejected(
        "[[architecture]]\nkind = \"coordinator\"\n[architecture.coordinator]\ncritical = 2\n",
        "4:12",
        "expected a share between 0 and 1",
    );
    assert_rejected(
        "[workload.mix]\nget = 0.9\nsearch = 0.1\n[[architecture]]\nkind = \"colocated\"\n",
        "3:1",
        "has no store for search operations",
    );
}

#[test]
fn election_timings_are_checked_on_their_line() {
    let partitions = "[[architecture]]\nkind = \"colocated\"\n[architecture.partitions]\n";
    assert_rejected(
        &format!("{partitions}election_timeout = \"300ms..150ms\"\n"),
        "4:20",
        "write \"150ms..300ms\"",
    );
    assert_rejected(
        &format!("{partitions}election_timeout = \"exp(150ms)\"\n"),
        "4:20",
        "expected an election timeout range such as \"150ms..300ms\"",
    );
    assert_rejected(
        &format!("{partitions}election_timeout = \"0s\"\n"),
        "4:20",
        "expected an election timeout longer than 0",
    );
    assert_rejected(
        &format!("{partitions}heartbeat = \"150ms\"\n"),
        "4:1",
        "is not shorter than the shortest election timeout (150ms)",
    );
}

#[test]
fn sweep_values_are_checked_on_their_line() {
    assert_rejected(
        &format!("{GOOD_TAIL}[sweep]\n\"workload.rate\" = [100, -5]\n"),
        &format!("{}:1", GOOD_TAIL.lines().count() + 2),
        "sweep \"workload.rate\" = -5",
    );
    assert_rejected(
        &format!("{GOOD_TAIL}[sweep]\n\"workload.rat\" = [100]\n"),
        &format!("{}:1", GOOD_TAIL.lines().count() + 2),
        "sweep \"workload.rat\" = 100: unknown field `rat`",
    );
    assert_rejected(
        &format!("{GOOD_TAIL}[sweep]\n\"workload.rate\" = 100\n"),
        &format!("{}:1", GOOD_TAIL.lines().count() + 1),
        "expected a list of values",
    );
}

#[test]
fn a_scenario_larger_than_the_memory_is_refused_before_allocating() {
    let need = 4_000_000_000u64 * 32;
    let available = archsim::scenario::memory::available();
    if available.is_none_or(|a| a > need) {
        return; // Not Linux, or a machine with over 119 GiB free.
    }
    let (out, wrote) =
        run_bad("[workload]\nkeys = 4_000_000_000\n[[architecture]]\nkind = \"single\"\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("needs about 119.") && stderr.contains("GiB"),
        "{stderr}"
    );
    assert!(stderr.contains("lower workload.keys"), "{stderr}");
    assert!(!wrote);
}

/// `GOOD_TAIL` then one `[[fault]]` (line 4) with `fields` (from line 5).
fn with_fault(fields: &str) -> String {
    format!("{GOOD_TAIL}[[fault]]\n{fields}\n")
}

#[test]
fn faults_are_checked_on_their_line() {
    assert_rejected(
        &with_fault("at = \"1s\"\nkind = \"crash\"\ntarget = \"primry\""),
        "7:10",
        "unknown role \"primry\"; expected a role: primary, replica, cache, shard:<i>",
    );
    assert_rejected(
        &with_fault("at = \"1s\"\nkind = \"crash\"\ntarget = \"coordinator\""),
        "7:1",
        "architecture \"single\" (kind single): it has no coordinator; its roles are primary",
    );
    assert_rejected(
        &with_fault("at = \"1s\"\nkind = \"explode\"\ntarget = \"primary\""),
        "6:8",
        "unknown variant `explode`, expected one of `crash`, `partition`, `slow`, `lag`, `flush`",
    );
    assert_rejected(
        &with_fault("at = \"1s\"\nkind = \"flush\"\ntarget = \"primary\""),
        "7:1",
        "the primary cannot take a \"flush\" fault; it can take crash, partition, slow",
    );
    assert_rejected(
        &with_fault("at = \"1s\"\nkind = \"slow\"\ntarget = \"primary\""),
        "6:1",
        "a \"slow\" fault needs `factor`",
    );
    assert_rejected(
        &with_fault("at = \"1s\"\nkind = \"slow\"\nfactor = 0.5\ntarget = \"primary\""),
        "7:10",
        "expected a factor above 1",
    );
    assert_rejected(
        &with_fault("at = \"1s\"\nfor = \"0s\"\nkind = \"crash\"\ntarget = \"primary\""),
        "6:7",
        "expected a duration longer than 0",
    );
    assert_rejected(
        &with_fault("at = \"1h\"\nkind = \"crash\"\ntarget = \"primary\""),
        "5:1",
        "the fault begins at 1h but the run ends at 65s",
    );
    assert_rejected(
        &with_fault("at = \"-1s\"\nkind = \"crash\"\ntarget = \"primary\""),
        "5:7",
        "expected a duration",
    );
    assert_rejected(
        &with_fault("kind = \"crash\"\ntarget = \"primary\""),
        "4:1",
        "missing field `at`",
    );
    assert_rejected(
        &with_fault("at = \"1s\"\nkind = \"crash\"\ntarget = \"primary\"\nclients = 0.3"),
        "8:1",
        "`clients` is for a \"partition\" of \"primary\" or \"cache\"",
    );
    assert_rejected(
        &with_fault("at = \"1s\"\nkind = \"partition\"\ntarget = \"primary\"\nclients = 1"),
        "8:11",
        "expected a share of clients from 0 to below 1",
    );
    assert_rejected(
        "[[architecture]]\nkind = \"sharded\"\n[[fault]]\nat = \"1s\"\nkind = \"partition\"\ntarget = \"primary\"\nclients = 0.3\n",
        "7:1",
        "(split brain) is modelled for kind single only",
    );
}

#[test]
fn fault_targets_must_exist_in_every_architecture() {
    assert_rejected(
        "[[architecture]]\nkind = \"sharded\"\n[[fault]]\nat = \"1s\"\nkind = \"crash\"\ntarget = \"shard:8\"\n",
        "6:1",
        "it has 8 shards, numbered from 0: shard:8 does not exist",
    );
    assert_rejected(
        "[[architecture]]\nkind = \"colocated\"\n[[fault]]\nat = \"1s\"\nkind = \"crash\"\ntarget = \"cache\"\n",
        "6:1",
        "architecture \"colocated\" (kind colocated): it has no cache; its roles are primary, leader:0..15, node:0..2",
    );
    assert_rejected(
        "[[architecture]]\nkind = \"polyglot\"\n[[fault]]\nat = \"1s\"\nkind = \"lag\"\ntarget = \"pipeline:cache\"\n",
        "6:1",
        "it has no pipeline:cache",
    );
}

#[test]
fn overlapping_faults_on_one_target_contradict_each_other() {
    assert_rejected(
        &format!(
            "{GOOD_TAIL}[[fault]]\nat = \"10s\"\nfor = \"10s\"\nkind = \"crash\"\ntarget = \"primary\"\n\
             [[fault]]\nat = \"15s\"\nkind = \"slow\"\nfactor = 4\ntarget = \"primary\"\n"
        ),
        "10:1",
        "slow of primary at 15s until the end (×4) overlaps crash of primary at 10s for 10s on \
         the same component",
    );
    assert_rejected(
        &with_fault("at = \"1s\"\nfor = \"1s\"\nkind = \"flush\"\ntarget = \"primary\""),
        "6:1",
        "a \"flush\" is instantaneous",
    );
}

#[test]
fn reshards_are_checked_on_their_line() {
    let sharded = "[workload]\nrate = 100\n[[architecture]]\nkind = \"sharded\"\nshards = 8\n";
    assert_rejected(
        &format!(
            "{sharded}[[fault]]\nat = \"5s\"\nkind = \"reshard\"\ntarget = \"primary\"\nshards = 6\n"
        ),
        "10:1",
        "a reshard adds shards: it has 8, so `shards` must be above 8",
    );
    assert_rejected(
        &format!("{sharded}[[fault]]\nat = \"5s\"\nkind = \"reshard\"\ntarget = \"primary\"\n"),
        "8:1",
        "a \"reshard\" needs `shards`",
    );
    assert_rejected(
        "[workload]\nrate = 100\n[[architecture]]\nkind = \"single\"\n[[fault]]\nat = \"5s\"\n\
         kind = \"reshard\"\ntarget = \"primary\"\nshards = 12\n",
        "7:1",
        "has no shards to add: a reshard is for kind sharded",
    );
    assert_rejected(
        "[workload]\nrate = 100\n[[architecture]]\nkind = \"sharded\"\n[architecture.shards]\n\
         count = 4\nrouter = \"directory\"\n[[fault]]\nat = \"5s\"\nkind = \"reshard\"\n\
         target = \"primary\"\nshards = 12\n",
        "10:1",
        "a reshard is modelled for hash and range placement",
    );
}

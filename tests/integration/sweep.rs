//! `archsim sweep` and `archsim merge`: the same bytes for any --jobs, for
//! a sharded sweep joined again, and for a sweep resumed after an
//! interruption; --param over the file's [sweep].

use std::fs;
use std::path::{Path, PathBuf};

use crate::archsim;

const SCENARIO: &str = r#"
name = "tiny-sweep"
duration = "1s"
warmup = "100ms"
[workload]
rate = 2000
groups = 10
[workload.mix]
get = 0.5
transfer = 0.5
[[architecture]]
kind = "colocated"
partition_by = "group"
[[architecture]]
kind = "coordinator"
[sweep]
"workload.locality" = [1.0, 0.8, 0.6, 0.4]
"#;

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tiny.toml");
    fs::write(&file, SCENARIO).unwrap();
    (dir, file)
}

fn sweep(file: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "sweep",
        file.to_str().unwrap(),
        "-q",
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    let o = archsim(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn results(out: &Path) -> String {
    fs::read_to_string(out.join("tiny-sweep/results.json")).unwrap()
}

#[test]
fn any_jobs_count_gives_the_same_bytes() {
    let (dir, file) = setup();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    sweep(&file, &one, &["-j", "1"]);
    sweep(&file, &two, &["-j", "2"]);
    assert_eq!(results(&one), results(&two));
    // One file per point, kept beside the results.
    let points = fs::read_dir(one.join("tiny-sweep/points")).unwrap().count();
    assert_eq!(points, 4);
    // The same as `archsim run` on the file.
    let run = dir.path().join("run");
    let o = archsim(&[
        "run",
        file.to_str().unwrap(),
        "-q",
        "-o",
        run.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert_eq!(results(&one), results(&run));
}

#[test]
fn shards_merge_into_the_unsharded_results() {
    let (dir, file) = setup();
    let whole = dir.path().join("whole");
    sweep(&file, &whole, &[]);
    let slices = dir.path().join("slices");
    for k in ["1/3", "2/3", "3/3"] {
        sweep(&file, &slices, &["--shard", k]);
    }
    let folders: Vec<String> = (1..=3)
        .map(|k| {
            slices
                .join(format!("tiny-sweep.shard-{k}-of-3"))
                .display()
                .to_string()
        })
        .collect();
    let merged = dir.path().join("merged");
    let mut args = vec!["merge", "-q", "-o", merged.to_str().unwrap()];
    args.extend(folders.iter().map(String::as_str));
    let o = archsim(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(results(&merged), results(&whole));
    // A missing slice is named.
    let o = archsim(&["merge", "-q", "-o", merged.to_str().unwrap(), &folders[0]]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("2 of 4 points are missing"));
}

#[test]
fn a_resumed_sweep_equals_an_uninterrupted_one() {
    let (dir, file) = setup();
    let whole = dir.path().join("whole");
    sweep(&file, &whole, &[]);
    // An interrupted sweep: half its points finished in the staging folder.
    let out = dir.path().join("out");
    sweep(&file, &out, &["--shard", "1/2"]);
    let staging = out.join(".tiny-sweep.sweep/points");
    fs::create_dir_all(&staging).unwrap();
    for entry in fs::read_dir(out.join("tiny-sweep.shard-1-of-2/points")).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, staging.join(path.file_name().unwrap())).unwrap();
    }
    let o = archsim(&[
        "sweep",
        file.to_str().unwrap(),
        "--resume",
        "-o",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("2 of 4 points, 2 already done"), "{stderr}");
    assert_eq!(results(&out), results(&whole));
}

#[test]
fn params_replace_or_extend_the_files_sweep() {
    let (dir, file) = setup();
    let out = dir.path().join("out");
    sweep(
        &file,
        &out,
        &[
            "--param",
            "workload.locality=1.0,0.5",
            "--param",
            "workload.rate=1000..3000:1000",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&results(&out)).unwrap();
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(
        runs.len(),
        2 * 3 * 2,
        "2 localities × 3 rates × 2 architectures"
    );
    assert_eq!(runs[0]["point"]["workload.locality"], "1.0");
    assert_eq!(runs[0]["point"]["workload.rate"], "1000");
    assert_eq!(
        json["scenario"]["swept"],
        serde_json::json!(["workload.locality", "workload.rate"])
    );
    // A path that is not a field is refused, saying which.
    let o = archsim(&[
        "sweep",
        file.to_str().unwrap(),
        "--param",
        "workload.rat=1..2:1",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("sweep \"workload.rat\" = 1") && stderr.contains("rat"),
        "{stderr}"
    );
}

#[test]
fn set_applies_to_every_point_and_the_sweep_wins_on_its_own_paths() {
    let (dir, file) = setup();
    let out = dir.path().join("out");
    sweep(
        &file,
        &out,
        &[
            "--set",
            "workload.rate=500",
            "--set",
            "workload.locality=0.1",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&results(&out)).unwrap();
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4 * 2);
    for r in runs {
        // Every point runs at the --set rate…
        let tput = r["throughput_per_s"].as_f64().unwrap();
        assert!((tput - 500.0).abs() < 100.0, "{tput}");
    }
    // …and at its own swept locality, not the --set one.
    assert_eq!(runs[0]["point"]["workload.locality"], "1.0");
    assert_eq!(runs[7]["point"]["workload.locality"], "0.4");
}

#[test]
fn shards_run_at_once_into_one_folder_keep_their_own_points() {
    let (dir, file) = setup();
    let whole = dir.path().join("whole");
    sweep(&file, &whole, &[]);
    let shared = dir.path().join("shared");
    let children: Vec<_> = ["1/3", "2/3", "3/3"]
        .into_iter()
        .map(|k| {
            std::process::Command::new(env!("CARGO_BIN_EXE_archsim"))
                .args(["sweep", file.to_str().unwrap(), "-q", "--shard", k, "-o"])
                .arg(&shared)
                .env_remove("RUST_BACKTRACE")
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let folders: Vec<String> = (1..=3)
        .map(|k| {
            shared
                .join(format!("tiny-sweep.shard-{k}-of-3"))
                .display()
                .to_string()
        })
        .collect();
    let merged = dir.path().join("merged");
    let mut args = vec!["merge", "-q", "-o", merged.to_str().unwrap()];
    args.extend(folders.iter().map(String::as_str));
    let o = archsim(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(results(&merged), results(&whole));
}

#[test]
fn usage_mistakes_are_named() {
    let (dir, file) = setup();
    let out = dir.path().join("out");
    let o = archsim(&[
        "sweep",
        file.to_str().unwrap(),
        "--param",
        "workload.rate=1000",
        "--param",
        "workload.rate=2000",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--param workload.rate is given twice"));
    for bad in [
        ["--shard", "4/3"],
        ["--shard", "abc"],
        ["-j", "0"],
        ["-j", "100000"],
    ] {
        let o = archsim(&["sweep", file.to_str().unwrap(), bad[0], bad[1]]);
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
    }
}

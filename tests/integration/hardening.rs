//! What a hostile user tried (issue 19): output targets that are not
//! files, concurrent writers of one results folder, signals, hand-edited
//! point and results files, full outputs. Nothing is lost or destroyed,
//! nothing panics, every refusal says what to do.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{archsim, scenario_path};

fn tiny() -> PathBuf {
    scenario_path("validation/mm1-rho-0.5.toml")
}

/// `archsim run` of the M/M/1 scenario, one second long, into `out`.
fn run_tiny(out: &Path, extra: &[&str]) -> std::process::Output {
    let file = tiny();
    let mut args = vec![
        "run",
        file.to_str().unwrap(),
        "--set",
        "duration=1s",
        "--set",
        "warmup=100ms",
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    archsim(&args)
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn history_replaces_only_regular_files_and_leaves_its_neighbours_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let fifo = dir.path().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let link = dir.path().join("link.jsonl");
    fs::write(dir.path().join("real.jsonl"), "keep").unwrap();
    std::os::unix::fs::symlink(dir.path().join("real.jsonl"), &link).unwrap();
    for target in [fifo.as_path(), link.as_path(), Path::new("/dev/null")] {
        let o = run_tiny(&out, &["--history", target.to_str().unwrap()]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{}: {e}", target.display());
        assert!(e.contains("not a regular file"), "{e}");
        assert!(!out.exists(), "refused before anything is written");
    }
    assert_eq!(
        fs::read_to_string(dir.path().join("real.jsonl")).unwrap(),
        "keep"
    );
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // A regular file is replaced whole; a `.tmp` beside it is someone
    // else's. A stale lock and a swap cut short by a kill are recovered.
    let mine = dir.path().join("mine.jsonl");
    fs::write(dir.path().join("mine.tmp"), "not archsim's").unwrap();
    fs::create_dir_all(out.join(".mm1-rho-0.5.old-4194999")).unwrap();
    fs::write(out.join(".mm1-rho-0.5.old-4194999/results.json"), "{}").unwrap();
    fs::write(out.join(".mm1-rho-0.5.lock"), "4194998\n").unwrap();
    let o = run_tiny(&out, &["--history", mine.to_str().unwrap()]);
    let e = stderr(&o);
    assert!(o.status.success(), "{e}");
    assert!(e.contains("restored"), "{e}");
    assert!(fs::read_to_string(&mine).unwrap().contains("\"type\""));
    assert_eq!(
        fs::read_to_string(dir.path().join("mine.tmp")).unwrap(),
        "not archsim's"
    );
    assert_eq!(
        names(dir.path()),
        [
            "fifo",
            "link.jsonl",
            "mine.jsonl",
            "mine.tmp",
            "out",
            "real.jsonl"
        ]
    );
    assert_eq!(names(&out), ["mm1-rho-0.5"], "no leftovers");
}

const LONG: &str = r#"
name = "long"
duration = "3600s"
warmup = "1s"
[workload]
rate = 5000
[[architecture]]
kind = "single"
"#;

/// Waits until `path` exists (the lock file: the child got past its checks).
fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_second_writer_is_refused_and_sigterm_leaves_the_earlier_results() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long.toml");
    fs::write(&file, LONG).unwrap();
    let out = dir.path().join("out");
    fs::create_dir_all(out.join("long")).unwrap();
    fs::write(out.join("long/results.json"), "earlier").unwrap();
    let mut first = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .args(["run", file.to_str().unwrap(), "-j", "1", "-o"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(&out.join(".long.lock"));
    for command in ["run", "sweep"] {
        let o = archsim(&[command, file.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{e}");
        assert!(
            e.contains(&format!("another archsim (pid {})", first.id())),
            "{e}"
        );
    }
    let killed = Command::new("kill")
        .args(["-TERM", &first.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = first.wait().unwrap();
    let mut e = String::new();
    std::io::Read::read_to_string(first.stderr.as_mut().unwrap(), &mut e).unwrap();
    assert_eq!(status.code(), Some(130), "{e}");
    assert!(
        e.contains("Interrupted: ") && e.contains("is as it was"),
        "{e}"
    );
    assert_eq!(
        fs::read_to_string(out.join("long/results.json")).unwrap(),
        "earlier"
    );
    assert_eq!(names(&out), ["long"], "staging and lock removed");
}

const SWEEP: &str = r#"
name = "tiny-sweep"
duration = "500ms"
warmup = "100ms"
[workload]
rate = 1000
[[architecture]]
kind = "single"
[[architecture]]
kind = "colocated"
[sweep]
"workload.locality" = [1.0, 0.5]
"#;

#[test]
fn resume_refuses_point_files_that_are_not_this_sweeps() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tiny.toml");
    fs::write(&file, SWEEP).unwrap();
    let out = dir.path().join("out");
    let o = archsim(&[
        "sweep",
        file.to_str().unwrap(),
        "-q",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let good = fs::read_to_string(out.join("tiny-sweep/points/00000.json")).unwrap();
    let point: serde_json::Value = serde_json::from_str(&good).unwrap();
    let staging = out.join(".tiny-sweep.sweep/points");
    type Edit = fn(&mut serde_json::Value);
    let edits: [(&str, Edit); 4] = [
        ("is point 7 of a sweep of 2 points", |p| {
            p["index"] = 7.into()
        }),
        ("holds 0 runs; a point has 2", |p| {
            p["runs"] = serde_json::json!([])
        }),
        ("holds a run labelled", |p| {
            p["runs"][1]["point"]["workload.locality"] = "0.5".into()
        }),
        ("holds a run of \"single\" replication 0 where", |p| {
            p["runs"][1] = p["runs"][0].clone()
        }),
    ];
    for (phrase, edit) in edits {
        let mut bad = point.clone();
        edit(&mut bad);
        fs::create_dir_all(&staging).unwrap();
        fs::write(staging.join("00000.json"), bad.to_string()).unwrap();
        let o = archsim(&[
            "sweep",
            file.to_str().unwrap(),
            "--resume",
            "-o",
            out.to_str().unwrap(),
        ]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{e}");
        assert!(
            e.contains(phrase) && e.contains("not a point of this sweep"),
            "{e}"
        );
    }
}

#[test]
fn scenario_files_and_echoed_lines_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let o = archsim(&["check", "/dev/zero"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("larger than 1024 KiB"), "{e}");
    // A long one-line file: the error shows the line around its column.
    let long = dir.path().join("long.toml");
    let value = "x".repeat(500_000);
    fs::write(&long, format!("name = \"{value}\"\n")).unwrap();
    let o = archsim(&["check", long.to_str().unwrap()]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.len() < 3000, "{} bytes of error", e.len());
    assert!(e.contains("long.toml:1:8: ") && e.contains("…"), "{e}");
}

/// `n` faults on the cache, one second apart, each lasting `lasts`.
fn faults(n: usize, lasts: &str) -> String {
    let mut text = String::from(
        "duration = \"3600s\"\n[[architecture]]\nkind = \"single\"\n[architecture.cache]\ncapacity = 100\n",
    );
    for i in 0..n {
        text += &format!(
            "[[fault]]\nat = \"{}s\"\nfor = \"{lasts}\"\nkind = \"crash\"\ntarget = \"cache\"\n",
            i + 1
        );
    }
    text
}

#[test]
fn fault_checks_are_linear_and_capped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("faults.toml");
    fs::write(&file, faults(1000, "500ms")).unwrap();
    let started = Instant::now();
    let o = archsim(&["check", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(started.elapsed() < Duration::from_secs(10));
    // The overlap found is placed on the later fault.
    fs::write(&file, faults(1000, "1500ms")).unwrap();
    let o = archsim(&["check", file.to_str().unwrap()]);
    let e = stderr(&o);
    assert!(
        e.contains("faults.toml:12:1: ") && e.contains("overlaps"),
        "{e}"
    );
    fs::write(&file, faults(1001, "500ms")).unwrap();
    let o = archsim(&["check", file.to_str().unwrap()]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("at most 1000 are allowed"), "{e}");
}

#[test]
fn setup_and_faults_count_in_the_work_estimate() {
    let dir = tempfile::tempdir().unwrap();
    // 1,000 replications of 10^8 keys: little traffic, hours of setup.
    let o = run_tiny(
        dir.path(),
        &[
            "--set",
            "replications=1000",
            "--set",
            "workload.keys=100000000",
        ],
    );
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("to set up the keys") && e.contains("over all 1000 runs"),
        "{e}"
    );
    assert_eq!(names(dir.path()).len(), 0, "{e}");
}

/// `archsim ARGS` with stdout and stderr sent to the given files.
fn archsim_to(args: &[&str], out: Stdio, err: Stdio) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_archsim"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(out)
        .stderr(err)
        .output()
        .unwrap()
}

#[test]
fn full_or_closed_outputs_end_the_command_without_a_panic() {
    let full = || {
        Stdio::from(
            fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
    };
    let o = archsim_to(&["list"], full(), Stdio::piped());
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("cannot write to standard output") && !e.contains("panicked"),
        "{e}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = tiny();
    let args = [
        "run",
        file.to_str().unwrap(),
        "--set",
        "duration=1s",
        "-o",
        dir.path().to_str().unwrap(),
    ];
    let o = archsim_to(&args, full(), Stdio::piped());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // Stderr full: nothing can be said, the results are written.
    let o = archsim_to(&args, Stdio::null(), full());
    assert_eq!(o.status.code(), Some(0));
    assert!(dir.path().join("mm1-rho-0.5/results.json").exists());
    // A reader that goes away is a normal end.
    let mut child = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .arg("list")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn chart_refuses_a_hand_edited_results_file_it_cannot_draw() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_tiny(dir.path(), &["--set", "description=two\nlines \u{1b}[31m"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let folder = dir.path().join("mm1-rho-0.5");
    let md = fs::read_to_string(folder.join("results.md")).unwrap();
    assert!(
        md.contains("two lines  [31m") && !md.contains('\u{1b}'),
        "{md}"
    );
    let original: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(folder.join("results.json")).unwrap()).unwrap();
    type Edit = fn(&mut serde_json::Value);
    let edits: [(&str, Edit); 6] = [
        ("runs[0].series", |r| {
            r["runs"][0]["series"]["p99_ms"]
                .as_array_mut()
                .unwrap()
                .pop();
        }),
        ("runs[0].series.window_s", |r| {
            r["runs"][0]["series"]["window_s"] = 1e308.into()
        }),
        ("runs[0].latency.all.p99_ms", |r| {
            r["runs"][0]["latency"]["all"]["p99_ms"] = 1e-310.into()
        }),
        ("scenario.name", |r| {
            r["scenario"]["name"] = "n".repeat(1 << 20).into()
        }),
        ("not a finite number", |r| {
            r["runs"][0]["point"] = serde_json::json!({"workload.rate": "NaN"})
        }),
        ("no \"all\" summary", |r| {
            r["runs"][0]["latency"]
                .as_object_mut()
                .unwrap()
                .remove("all");
        }),
    ];
    for (phrase, edit) in edits {
        let mut bad = original.clone();
        edit(&mut bad);
        fs::write(folder.join("results.json"), bad.to_string()).unwrap();
        let started = Instant::now();
        let o = archsim(&["chart", folder.to_str().unwrap()]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{phrase}: {e}");
        assert!(
            e.contains(phrase) && e.contains("cannot be drawn from"),
            "{e}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}

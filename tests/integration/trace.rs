//! Trace replay (`[workload] trace`) and `archsim fit`: a recorded stream is
//! replayed exactly, at its instants or faster; bad rows are placed on their
//! line; a fitted popularity recovers the exponent that generated the trace.

use std::fmt::Write as _;

use archsim::scenario::Scenario;
use archsim::workload::{Fit, KeyChooser, Popularity, Trace};

use crate::archsim;

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A scenario beside `trace.csv` in `dir`, replaying it on one `single`.
fn scenario_with(dir: &tempfile::TempDir, trace: &str, extra: &str) -> Result<Scenario, String> {
    write(dir, "trace.csv", trace);
    let path = write(
        dir,
        "replay.toml",
        &format!(
            r#"
            duration = "1s"
            warmup = "0s"
            [workload]
            trace = "trace.csv"
            keys = 100
            sessions = 10
            {extra}
            [[architecture]]
            kind = "single"
            "#
        ),
    );
    Scenario::load(&path, &[]).map_err(|e| e.to_string())
}

/// 1,000 gets and puts, one every millisecond.
fn steady_trace() -> String {
    let mut text = String::from("time,kind,key,session\n");
    for i in 0..1000 {
        let kind = if i % 4 == 0 { "put" } else { "get" };
        writeln!(
            text,
            "{},{kind},{},{}",
            f64::from(i) / 1000.0,
            i % 100,
            i % 10
        )
        .unwrap();
    }
    text
}

#[test]
fn a_trace_replays_every_operation_at_its_instant() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario_with(&dir, &steady_trace(), "").unwrap();
    assert_eq!(s.workload.rate, 1001.0, "1,000 operations over 0.999 s");
    let run = crate::run(&s).runs.remove(0);
    assert_eq!(run.latency.all().count, 1000, "every row, once");
    assert_eq!(run.latency.0["put"].count, 250);
    assert_eq!(run.latency.0["get"].count, 750);
    assert!(
        !run.latency.0.contains_key("transfer"),
        "kinds come from the trace"
    );
}

#[test]
fn speed_replays_faster_and_the_run_end_cuts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario_with(&dir, &steady_trace(), "speed = 4.0\n").unwrap();
    assert_eq!(s.workload.rate, 4004.0);
    // Four times as fast: all 1,000 in the first quarter second.
    let run = crate::run(&s).runs.remove(0);
    assert_eq!(run.latency.all().count, 1000);
    let slow = scenario_with(&dir, &steady_trace(), "speed = 0.5\n").unwrap();
    let run = crate::run(&slow).runs.remove(0);
    assert_eq!(
        run.latency.all().count,
        500,
        "half the trace fits in 1 s at half speed"
    );
}

#[test]
fn bad_rows_and_keys_past_the_key_space_are_refused_on_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let e = scenario_with(&dir, "time,kind,key\n0.001,get,1\n0.002,gett,1\n", "").unwrap_err();
    assert!(
        e.contains("trace.csv:3:7:") && e.contains("unknown operation kind"),
        "{e}"
    );
    let e = scenario_with(&dir, "time,kind,key\n0.001,get,1\n0.002,put,100\n", "").unwrap_err();
    assert!(
        e.contains("trace.csv:3") && e.contains("raise workload.keys to at least 101"),
        "{e}"
    );
    let e = scenario_with(&dir, "time,kind,key,session\n0.001,get,1,10\n", "").unwrap_err();
    assert!(e.contains("raise workload.sessions to at least 11"), "{e}");
    // As a user meets it: exit 1, the place, nothing written.
    let out = dir.path().join("out");
    let run = archsim(&[
        "run",
        dir.path().join("replay.toml").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("trace.csv:2"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn rate_and_mix_cannot_be_swept_with_a_trace() {
    let dir = tempfile::tempdir().unwrap();
    let e = scenario_with(&dir, &steady_trace(), "").and_then(|_| {
        std::fs::write(
            dir.path().join("replay.toml"),
            "duration = \"1s\"\nwarmup = \"0s\"\n[workload]\ntrace = \"trace.csv\"\nkeys = 100\n\
             sessions = 10\n[[architecture]]\nkind = \"single\"\n[sweep]\n\"workload.rate\" = [1, 2]\n",
        )
        .unwrap();
        Scenario::load(&dir.path().join("replay.toml"), &[]).map_err(|e| e.to_string())
    });
    let e = e.unwrap_err();
    assert!(e.contains("sweep workload.speed"), "{e}");
}

#[test]
fn fit_recovers_the_exponent_that_generated_a_trace() {
    let keys = 10_000;
    let mut chooser = KeyChooser::new(Popularity::Zipf(0.9), keys);
    let mut rng = archsim::sim::Streams::new(3, 0).stream("keys");
    let mut text = String::from("time,kind,key\n");
    for i in 0..200_000u32 {
        let key = chooser.sample(&mut rng);
        writeln!(text, "{},get,{key}", f64::from(i) / 100_000.0).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "zipf.csv", &text);
    let fit = Fit::of(&Trace::read(&path).unwrap());
    let s = fit.zipf.unwrap();
    assert!(
        (s - 0.9).abs() < 0.05,
        "fitted zipf({s}), generated zipf(0.9)"
    );
    assert!((fit.rate - 100_000.0).abs() < 1.0);

    let out = archsim(&["fit", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("popularity = \"zipf(0.9"), "{stdout}");
    assert!(stdout.contains("get = 1"), "{stdout}");
}

#[test]
fn the_shipped_trace_scenario_runs_and_its_trace_fits() {
    let s = Scenario::load(&crate::scenario_path("trace-replay.toml"), &[]).unwrap();
    assert_eq!(s.architectures.len(), 5);
    let fit = Fit::of(&Trace::read(&crate::scenario_path("traces/checkout.csv")).unwrap());
    let s_fit = fit.zipf.unwrap();
    assert!(
        (0.8..1.0).contains(&s_fit),
        "generated with zipf(0.9): {s_fit}"
    );
}

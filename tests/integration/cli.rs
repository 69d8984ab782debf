//! The command line as a user runs it.

use crate::archsim;
use crate::scenario_path;

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn run_writes_every_results_file_and_prints_the_table() {
    let dir = tmp();
    let file = scenario_path("validation/mm1-rho-0.5.toml");
    let out = archsim(&[
        "run",
        file.to_str().unwrap(),
        "--set",
        "duration=5s",
        "--set",
        "warmup=1s",
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // The summary: titled, in human units, within 100 columns.
    assert!(
        stdout.starts_with("mm1-rho-0.5 — seed")
            && stdout.contains("p99")
            && stdout.contains(" ms"),
        "{stdout}"
    );
    assert!(stdout.lines().all(|l| l.chars().count() <= 100), "{stdout}");
    assert!(
        stderr.contains("wrote "),
        "chatter goes to stderr: {stderr}"
    );
    let folder = dir.path().join("mm1-rho-0.5");
    for f in [
        "results.json",
        "results.csv",
        "results.md",
        "scenario.toml",
        "manifest.json",
    ] {
        assert!(folder.join(f).is_file(), "{f} missing");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("results.json")).unwrap())
            .unwrap();
    // The public contract's names.
    let run = &json["runs"][0];
    for key in [
        "architecture",
        "kind",
        "replication",
        "seed",
        "point",
        "throughput_per_s",
        "latency",
        "components",
    ] {
        assert!(!run[key].is_null(), "runs[0].{key}");
    }
    for key in [
        "count", "mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms",
    ] {
        assert!(run["latency"]["all"][key].is_number(), "latency.all.{key}");
    }
    assert!(run["components"]["db"]["utilization"].is_number());
    assert!(run["components"]["db"]["mean_queue"].is_number());
    assert_eq!(json["scenario"]["name"], "mm1-rho-0.5");
    let md = std::fs::read_to_string(folder.join("results.md")).unwrap();
    assert!(
        md.contains("## Footprint\n\n")
            && md.contains("| single | 1 | 1 | database 1 × r6i.large | $0.13 |\n")
            && md.contains("- **single**: db\n")
            && md.contains(
                "```mermaid\nflowchart LR\n  subgraph a0[\"single\"]\n    a0n0[\"db\"]\n  end\n```"
            ),
        "{md}"
    );
    assert_eq!(json["scenario"]["hash"].as_str().unwrap().len(), 64);

    // The resolved scenario runs again to the same results.
    let again = tmp();
    let out = archsim(&[
        "run",
        folder.join("scenario.toml").to_str().unwrap(),
        "-o",
        again.path().to_str().unwrap(),
        "-q",
    ]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read(folder.join("results.json")).unwrap(),
        std::fs::read(again.path().join("mm1-rho-0.5/results.json")).unwrap()
    );

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["scenario_hash"], json["scenario"]["hash"]);
    assert!(manifest["command_line"].as_array().unwrap().len() > 3);
}

#[test]
fn the_main_jobs_swept_summary_fits_100_columns() {
    // The README's main job, shortened: every architecture at every rate of
    // the growth ladder, the widest figures the summary shows.
    let dir = tmp();
    let file = scenario_path("growth.toml");
    let out = archsim(&[
        "run",
        file.to_str().unwrap(),
        "--set",
        "duration=0.3s",
        "--set",
        "warmup=0.1s",
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("200000"), "{stdout}");
    let wide: Vec<&str> = stdout.lines().filter(|l| l.chars().count() > 100).collect();
    assert!(wide.is_empty(), "lines over 100 columns: {wide:#?}");
}

#[test]
fn two_runs_give_identical_results_json() {
    let (a, b) = (tmp(), tmp());
    let file = scenario_path("five-architectures.toml");
    for (dir, jobs) in [(&a, "1"), (&b, "2")] {
        let out = archsim(&[
            "run",
            file.to_str().unwrap(),
            "--set",
            "duration=2s",
            "-j",
            jobs,
            "-q",
            "-o",
            dir.path().to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let name = "five-architectures/results.json";
    assert_eq!(
        std::fs::read(a.path().join(name)).unwrap(),
        std::fs::read(b.path().join(name)).unwrap()
    );
}

#[test]
fn formats_on_stdout() {
    let dir = tmp();
    let file = scenario_path("validation/md1-rho-0.8.toml");
    let base = [
        "run",
        file.to_str().unwrap(),
        "--set",
        "duration=2s",
        "-q",
        "-o",
        dir.path().to_str().unwrap(),
    ];
    let stdout = |format: &str| {
        let mut args = base.to_vec();
        args.extend(["--format", format]);
        let out = archsim(&args);
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(serde_json::from_str::<serde_json::Value>(&stdout("json")).is_ok());
    assert!(stdout("csv").starts_with(
        "architecture,kind,replication,seed,throughput_per_s,offered_ops_per_s,\
             goodput_ops_per_s,unchecked_share,all_count"
    ));
    assert!(stdout("markdown").contains("| architecture | op | count |"));
}

#[test]
fn quiet_prints_nothing_on_stderr() {
    let dir = tmp();
    let file = scenario_path("validation/md1-rho-0.8.toml");
    let out = archsim(&[
        "run",
        file.to_str().unwrap(),
        "--set",
        "duration=1s",
        "-q",
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(out.stderr.is_empty());
    // A run with notes (a TTL that caps the hit ratio) keeps them in its
    // results but prints none.
    let file = scenario_path("checkout-warm-cache.toml");
    let noted = |quiet: bool| {
        let mut args = vec![
            "run",
            file.to_str().unwrap(),
            "--set",
            "duration=1s",
            "--set",
            "warmup=0.5s",
            "--only",
            "empty",
            "-o",
            dir.path().to_str().unwrap(),
        ];
        if quiet {
            args.push("-q");
        }
        archsim(&args)
    };
    let loud = noted(false);
    assert!(String::from_utf8_lossy(&loud.stderr).contains("note: "));
    let quiet = noted(true);
    assert!(quiet.status.success());
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
}

#[test]
fn check_validates_without_writing() {
    let out = archsim(&[
        "check",
        scenario_path("five-architectures.toml").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(": ok"),
        "the verdict goes to stdout: {stdout}"
    );
    assert!(
        stdout.contains("of memory") && stdout.contains("core(s)"),
        "with the memory and time a run would take: {stdout}"
    );
}

#[test]
fn only_runs_the_named_architectures() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_path("five-architectures.toml");
    let out = archsim(&[
        "run",
        file.to_str().unwrap(),
        "--only",
        "single,colocated",
        "--set",
        "duration=1s",
        "--format",
        "json",
        "-q",
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: archsim::report::Results = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = results
        .runs
        .iter()
        .map(|r| r.architecture.as_str())
        .collect();
    assert_eq!(names, ["single", "colocated"]);

    let out = archsim(&["check", file.to_str().unwrap(), "--only", "singel"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--only singel") && stderr.contains("it has single"),
        "{stderr}"
    );
}

#[test]
fn colour_only_on_a_terminal_that_shows_it() {
    // Not a terminal here, so never colour; TERM=dumb is checked in the
    // same place (cli::use_color).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_archsim"))
        .args(["check", "missing.toml"])
        .env("TERM", "dumb")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains('\x1b'));
}

#[test]
fn every_shipped_scenario_checks() {
    let mut files = Vec::new();
    for dir in ["", "validation", "faults"] {
        for entry in std::fs::read_dir(scenario_path(dir)).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "toml") {
                files.push(p);
            }
        }
    }
    assert!(files.len() >= 8);
    let mut args = vec!["check".to_string()];
    args.extend(files.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = archsim(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn list_shows_parameters_and_defaults() {
    let out = archsim(&["list"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for needle in [
        "single",
        "colocated",
        "cores = 8",
        "read = \"lognormal(p50=50us, p99=300us)\"",
        "rate = 10000",
        "hop =",
    ] {
        assert!(stdout.contains(needle), "{needle} in:\n{stdout}");
    }
    // State kept beside the options is not one.
    for internal in ["  replay\n", "working_set_given", "memory_given"] {
        assert!(!stdout.contains(internal), "{internal} in:\n{stdout}");
    }
}

#[test]
fn charts_are_drawn_and_drawn_again_from_the_results() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(
        &file,
        r#"
        name = "c"
        duration = "1s"
        warmup = "100ms"
        [workload]
        rate = 2000
        probes = ["1ms", "10ms"]
        rmw = "client"
        [workload.mix]
        get = 0.5
        rmw = 0.3
        transfer = 0.2
        [[architecture]]
        kind = "single"
        [[architecture]]
        kind = "colocated"
        [sweep]
        "workload.rate" = [1000, 2000]
        "#,
    )
    .unwrap();
    let out = dir.path().join("r");
    let o = archsim(&[
        "run",
        file.to_str().unwrap(),
        "-q",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let folder = out.join("c");
    for stem in [
        "latency-percentiles",
        "latency-vs-parameter",
        "anomalies",
        "coordination",
        "visibility",
        "timeline",
    ] {
        let svg = std::fs::read_to_string(folder.join(format!("{stem}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("</svg>"), "{stem}");
        // Every architecture is named in the legend.
        assert!(
            svg.contains("single") && svg.contains("colocated"),
            "{stem}"
        );
        let png = std::fs::read(folder.join(format!("{stem}.png"))).unwrap();
        assert_eq!(&png[1..4], b"PNG", "{stem}");
    }
    let knee = std::fs::read_to_string(folder.join("latency-vs-parameter.svg")).unwrap();
    assert!(knee.contains("workload.rate"));
    // Drawn again from the folder alone: the same bytes, the review with
    // its inline charts included.
    let files = ["anomalies.svg", "report.md", "report.html"];
    let before: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(folder.join(f)).unwrap())
        .collect();
    for f in files {
        std::fs::remove_file(folder.join(f)).unwrap();
    }
    let o = archsim(&["chart", "-q", folder.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (f, b) in files.iter().zip(&before) {
        assert_eq!(&std::fs::read(folder.join(f)).unwrap(), b, "{f}");
    }
}

#[test]
fn the_review_report_renders_in_markdown_and_html() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rv.toml");
    std::fs::write(
        &file,
        r#"
        name = "rv"
        description = "Two stages compared"
        duration = "1s"
        warmup = "100ms"
        [workload]
        rate = 2000
        [workload.mix]
        get = 0.5
        rmw = 0.3
        transfer = 0.2
        [[architecture]]
        kind = "single"
        [[architecture]]
        kind = "coordinator"
        "#,
    )
    .unwrap();
    let out = dir.path().join("r");
    let o = archsim(&[
        "run",
        file.to_str().unwrap(),
        "-q",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = std::fs::read_to_string(out.join("rv/report.md")).unwrap();
    for part in [
        "# rv: architecture review",
        "Two stages compared",
        "## Verdict",
        "| architecture | offered ops/s | goodput ops/s | p50 ms |",
        "![Latency percentiles",
        "### single (single)",
        "lost update",
        "### coordinator (coordinator)",
        "No lost update, broken invariant or torn transaction",
        "## Latency by operation kind",
        "| architecture | op | count | mean ms |",
        "## Components",
        "| architecture | ops/s | component | utilization |",
        "## Reproduce",
    ] {
        assert!(md.contains(part), "{part:?} in:\n{md}");
    }
    let html = std::fs::read_to_string(out.join("rv/report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    // Readable on a narrow screen: the page scales to the device, and wide
    // tables scroll inside themselves.
    assert!(html.contains("<meta name=\"viewport\" content=\"width=device-width"));
    assert!(html.contains("overflow-x: auto"));
    assert!(
        html.contains("<h2>Latency by operation kind</h2>"),
        "{html}"
    );
    // Self-contained: the charts are inline, nothing is fetched.
    assert!(html.matches("<svg").count() >= 3, "inline charts");
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
}

/// Ctrl-C during a run: exit 130, a message saying what survived, and the
/// earlier results folder untouched.
#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_earlier_results_and_says_so() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long.toml");
    std::fs::write(
        &file,
        "name = \"long\"\nduration = \"1h\"\n[workload]\nrate = 50000\n[[architecture]]\nkind = \"single\"\n",
    )
    .unwrap();
    let out = dir.path().join("results");
    std::fs::create_dir_all(out.join("long")).unwrap();
    std::fs::write(out.join("long").join("marker"), "earlier").unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_archsim"))
        .args(["run", file.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.starts_with("running long"), "{line}");
    let pid = child.id().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(
        rest.contains("Interrupted: ") && rest.contains("is as it was before this run"),
        "{rest}"
    );
    let marker = std::fs::read_to_string(out.join("long").join("marker")).unwrap();
    assert_eq!(marker, "earlier");
    let hidden: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(hidden, ["long"], "no staging folder left behind");
}

#[test]
fn completions_and_the_manual_page_are_printed() {
    let out = archsim(&["completions", "bash"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("archsim"));
    let out = archsim(&["man"]);
    assert!(out.status.success());
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(
        page.contains(".TH archsim") && page.contains("sweep"),
        "{page}"
    );
    assert_eq!(archsim(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn list_one_kind_and_as_json() {
    let out = archsim(&["list", "colocated"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("kind = \"colocated\"") && text.contains("[architecture.partitions]"));
    assert!(
        !text.contains("[architecture.stores]"),
        "only colocated's tables: {text}"
    );
    let out = archsim(&["list", "--format", "json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["architectures"].as_array().unwrap().len(), 5);
    let db = &json["tables"][0];
    assert_eq!(db["key"], "architecture.db");
    assert!(
        db["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["key"] == "cores")
    );
    assert_eq!(archsim(&["list", "nope"]).status.code(), Some(2));
}

/// One cost table: every kind reads `[architecture.db]` (colocated's nodes
/// too), which holds the apply cost of copies; the partitions table keeps
/// placement and Raft only; a remote cache has 4 cores.
#[test]
fn list_shows_one_cost_table_for_every_kind() {
    let out = archsim(&["list", "--format", "json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let table = |key: &str| {
        json["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["key"] == format!("architecture.{key}"))
            .unwrap()
            .clone()
    };
    let keys = |t: &serde_json::Value| -> Vec<String> {
        t["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["key"].as_str().unwrap().to_string())
            .collect()
    };
    let field = |t: &serde_json::Value, key: &str| {
        t["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap()
            .clone()
    };
    let db = table("db");
    assert!(db.get("kinds").is_none(), "every kind reads it: {db}");
    assert_eq!(
        keys(&db),
        [
            "cores",
            "read",
            "write",
            "fsync",
            "analytics",
            "analytics_merge",
            "apply",
            "contention",
            "coherency",
            "log_iops",
            "log_mib_per_s",
            "log_record_bytes",
            "analytics_scheduling",
            "analytics_quantum"
        ]
    );
    assert!(
        field(&db, "apply")["doc"]
            .as_str()
            .unwrap()
            .contains("Default: `write`")
    );
    let partitions = keys(&table("partitions"));
    for moved in ["cores", "read", "write", "fsync"] {
        assert!(!partitions.contains(&moved.to_string()), "{partitions:?}");
    }
    let cache = table("cache");
    assert_eq!(field(&cache, "cores")["default"], "4");
    assert!(
        field(&cache, "cores")["doc"]
            .as_str()
            .unwrap()
            .contains("memcached")
    );
    let text = String::from_utf8_lossy(&archsim(&["list", "colocated"]).stdout).to_string();
    assert!(
        text.contains("[architecture.db] —") && text.contains("fsync = \"lognormal(p50=300us"),
        "{text}"
    );
}

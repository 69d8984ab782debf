//! The malformed-scenario corpus (`tests/corpus/malformed/`): each file
//! starts with `# expect: LINE:COLUMN phrase` (or `- phrase` for an error
//! about the whole scenario) and must be refused by `archsim run` with that
//! position and phrase, exit code 1, no panic, nothing on stdout and no
//! results folder. Add a file here for every input that ever misbehaved.

use crate::{archsim, root};

#[test]
fn every_malformed_scenario_is_refused_with_its_position() {
    let dir = root().join("tests/corpus/malformed");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "{} files", files.len());
    let out = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{} has no `# expect:` line", file.display()));
        let (position, phrase) = expect.split_once(' ').unwrap();
        let results = out.path().join("results");
        let output = archsim(&[
            "run",
            file.to_str().unwrap(),
            "-o",
            results.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let name = file.display().to_string();
        let mut wrong = Vec::new();
        if output.status.code() != Some(1) {
            wrong.push(format!("exit {:?}", output.status.code()));
        }
        if !stderr.starts_with("Error: ") || stderr.contains("panicked") {
            wrong.push("not a one-paragraph error".to_string());
        }
        if position != "-" && !stderr.contains(&format!("{name}:{position}: ")) {
            wrong.push(format!("no position {position}"));
        }
        if !stderr.contains(phrase) {
            wrong.push(format!("no \"{phrase}\""));
        }
        if !output.stdout.is_empty() || results.exists() {
            wrong.push("wrote something".to_string());
        }
        if !wrong.is_empty() {
            failures.push(format!("{name}: {}\n{stderr}", wrong.join(", ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

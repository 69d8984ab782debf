//! The layering of the code: a top-level module may refer (`crate::X`) only
//! to modules below it in [`LAYERS`], so there are no cycles between them.
//! An edge that must point up would be listed in [`KNOWN_UPWARD`] (the
//! list is empty); the test fails on a new one and on a listed one that has
//! gone (so the list only shrinks). See README, "Architecture of the code".

use std::collections::BTreeSet;
use std::path::Path;

use crate::root;

/// Top-level modules, bottom first.
const LAYERS: [&str; 16] = [
    "sim", "dist", "workload", "metrics", "check", "faults", "model", "harness", "arch",
    "scenario", "report", "runner", "sweep", "capacity", "diagnose", "cli",
];

/// Upward edges still in the code: (from, to). None: every section config
/// lives next to what reads it, and a new upward edge fails the test.
const KNOWN_UPWARD: [(&str, &str); 0] = [];

/// Every `crate::X` reference of the `.rs` files under `dir`, as (X, file).
fn references(dir: &Path, out: &mut Vec<(String, String, String)>, src: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            references(&path, out, src);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path
            .strip_prefix(src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let top = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, _) in text.match_indices("crate::") {
            let after = &text[i + "crate::".len()..];
            let names: Vec<String> = if let Some(group) = after.strip_prefix('{') {
                // `use crate::{a::B, c};`: the first segment of each item.
                let group = &group[..group.find(';').unwrap_or(group.len())];
                let mut depth = 0;
                let mut item_start = true;
                let mut names = Vec::new();
                let mut word = String::new();
                for c in group.chars() {
                    if c.is_alphanumeric() || c == '_' {
                        word.push(c);
                        continue;
                    }
                    if item_start && depth == 0 && !word.is_empty() {
                        names.push(std::mem::take(&mut word));
                        item_start = false;
                    }
                    word.clear();
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => item_start = true,
                        _ => {}
                    }
                }
                names
            } else {
                let word: String = after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                vec![word]
            };
            for name in names {
                out.push((top.clone(), name, rel.clone()));
            }
        }
    }
}

#[test]
fn modules_refer_only_to_layers_below_them() {
    let src = root().join("src");
    let mut refs = Vec::new();
    references(&src, &mut refs, &src);
    assert!(refs.len() > 100, "{} references found", refs.len());
    let rank = |m: &str| LAYERS.iter().position(|l| *l == m);
    let mut upward = BTreeSet::new();
    let mut wrong = Vec::new();
    for (from, to, file) in &refs {
        let (Some(a), Some(b)) = (rank(from), rank(to)) else {
            continue; // the crate root (main.rs, lib.rs) or a root item
        };
        if a >= b {
            continue;
        }
        if KNOWN_UPWARD.contains(&(from.as_str(), to.as_str())) {
            upward.insert((from.clone(), to.clone()));
        } else {
            wrong.push(format!("{file}: {from} refers to {to}, a layer above it"));
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for (from, to) in KNOWN_UPWARD {
        assert!(
            upward.contains(&(from.to_string(), to.to_string())),
            "{from} no longer refers to {to}: remove it from KNOWN_UPWARD"
        );
    }
    // Every top-level module has its layer.
    for entry in std::fs::read_dir(&src).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let module = name.trim_end_matches(".rs");
        if module != "main" && module != "lib" {
            assert!(rank(module).is_some(), "src/{name} has no layer in LAYERS");
        }
    }
}

#[test]
fn the_engine_is_a_leaf() {
    let src = root().join("src");
    let mut refs = Vec::new();
    references(&src.join("sim"), &mut refs, &src);
    let others: Vec<_> = refs.iter().filter(|(_, to, _)| to != "sim").collect();
    assert!(others.is_empty(), "{others:?}");
}

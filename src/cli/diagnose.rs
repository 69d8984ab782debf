//! `archsim diagnose OBSERVED.toml`: which stage a team is really in;
//! written as `results/<name>/diagnosis.md`, `.html` and `.json`, each file
//! whole or not at all, and the verdict printed.

use std::io::Write as _;

use anyhow::Context as _;

use super::DiagnoseArgs;
use crate::diagnose::{self, Observed};
use crate::report::write_file;
use crate::scenario::Slo;

/// The latency budget of the what-ifs' capacity when `--slo` gives none.
pub const DEFAULT_SLO: &str = "p99<=50ms";

pub fn diagnose(args: &DiagnoseArgs) -> anyhow::Result<()> {
    let origin = args.observed.display().to_string();
    // The reader names its file a scenario; this one is a team's observations.
    let text = crate::scenario::read_capped(&args.observed).map_err(|e| {
        anyhow::anyhow!(
            "{}",
            e.to_string()
                .replacen("scenario ", "observations ", 1)
                .replace(
                    " (the shipped scenarios are in scenarios/)",
                    " (examples are in scenarios/diagnose/)"
                )
                .replace(
                    "a scenario is a short TOML file",
                    "observations are a short TOML file"
                )
        )
    })?;
    let observed = Observed::from_toml(&text, &origin)?;
    let mut d = diagnose::diagnose(&observed);
    let slo = Slo {
        latency: vec![DEFAULT_SLO.parse().expect("a budget")],
        ..Slo::default()
    }
    .overridden_by(&Slo {
        latency: args.latency.clone(),
        ..Slo::default()
    });
    if !args.no_advice {
        super::note(&format!(
            "calibrating {} and running its next steps at {}× today's load ({})…",
            d.name,
            args.growth,
            slo.budgets().join(", ")
        ));
        if let Some(why) = d.advise(&observed, args.growth, &slo) {
            super::note(&format!("no advice for {}: {why}", d.name));
        }
    }
    let _lock = super::lock(&args.output, &d.name, true)?;
    let folder = args.output.join(&d.name);
    std::fs::create_dir_all(&folder).with_context(|| {
        format!(
            "cannot create {}; check the path and its permissions",
            folder.display()
        )
    })?;
    let page = d.page();
    let json = serde_json::to_string_pretty(&d).context("cannot write the diagnosis as JSON")?;
    for (file, body) in [
        ("diagnosis.md", page.to_markdown()),
        ("diagnosis.html", page.to_html(|_| None)),
        ("diagnosis.json", json + "\n"),
    ] {
        let path = folder.join(file);
        write_file(&path, body.as_bytes()).with_context(|| {
            format!(
                "cannot write {}; check the path and its permissions",
                path.display()
            )
        })?;
    }
    let mut out = format!(
        "{}: stage {} (declared {}): {}.\n",
        d.name, d.stage, d.declared_stage, d.verdict
    );
    if let Some(m) = &d.mismatch {
        out += &format!("mismatch: {m}\n");
    }
    for r in &d.calibration {
        let figure = |v: f64| format!("{} {}", significant(v), r.unit);
        out += &format!(
            "calibration: {} observed {} simulated {} ({} {})\n",
            r.indicator,
            figure(r.observed),
            r.simulated.map_or("none".to_string(), figure),
            if r.within { "within" } else { "outside" },
            r.bound
        );
    }
    for w in &d.what_ifs {
        out += &format!(
            "what-if {}: {} (capacity {} ops/s): {}\n",
            w.step,
            w.verdict.as_str(),
            crate::report::thousands(w.capacity_ops_per_s),
            w.mechanism
        );
    }
    out += &format!("wrote {}/\n", folder.display());
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(out.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

/// `v` to four significant figures, without trailing zeros ("0.6274",
/// "38.96", "12,000").
fn significant(v: f64) -> String {
    if v.abs() >= 1000.0 || v == 0.0 {
        return crate::report::thousands(v.round());
    }
    let decimals = (3 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

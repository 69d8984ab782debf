//! `archsim fit TRACE`: the `[workload]` section that generates a stream
//! like a recorded trace's (rate, mix, sessions, keys, fitted popularity).

use std::io::Write as _;

use anyhow::Context as _;

use crate::workload::{Fit, Trace};

pub fn fit(args: &super::FitArgs) -> anyhow::Result<()> {
    let mut out = String::new();
    for path in &args.traces {
        let trace = Trace::read(path)?;
        let fit = Fit::of(&trace);
        out += &format!("# {} — fitted by archsim fit\n", path.display());
        out += &fit.to_toml();
        out.push('\n');
    }
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(out.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

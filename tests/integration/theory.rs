//! The engine against queueing theory, on the shipped validation scenarios.
//!
//! Tolerances: mean sojourn within 3 %, p99 within 4 %, utilisation within
//! 1 % (relative), Little's law within 1 %. Each scenario is long enough that
//! its batch-means standard error is about a third of the tolerance or less
//! (at ρ = 0.95 that takes millions of customers), so a pass is not luck and a
//! modelling error of a few percent fails.

use archsim::scenario::Scenario;

use crate::{run, scenario_path};

/// Erlang C: probability that an arrival waits in an M/M/c queue with
/// offered load `a = λ/μ`.
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / f64::from(k);
        }
        sum += term;
    }
    let top = term * a / f64::from(c) * f64::from(c) / (f64::from(c) - a);
    top / (sum + top)
}

/// Mean and p99 of the M/M/c FCFS sojourn time (wait + service), service
/// rate `mu` per ms, arrival rate `lambda` per ms; results in ms.
///
/// The wait is 0 with probability 1 − C and Exp(cμ − λ) otherwise, so
/// P(T > t) = (1 − C)e^{−μt} + C·P(Exp(θ) + Exp(μ) > t), θ = cμ − λ.
pub(crate) fn mmc(c: u32, lambda: f64, mu: f64) -> (f64, f64) {
    let pw = erlang_c(c, lambda / mu);
    let theta = f64::from(c) * mu - lambda;
    let mean = pw / theta + 1.0 / mu;
    let ccdf = |t: f64| {
        let hypo = if (theta - mu).abs() < 1e-12 {
            (-mu * t).exp() * (1.0 + mu * t)
        } else {
            (theta * (-mu * t).exp() - mu * (-theta * t).exp()) / (theta - mu)
        };
        (1.0 - pw) * (-mu * t).exp() + pw * hypo
    };
    let (mut lo, mut hi) = (0.0, 1e6);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if ccdf(mid) > 0.01 { lo = mid } else { hi = mid }
    }
    (mean, lo)
}

struct Measured {
    mean_ms: f64,
    p99_ms: f64,
    utilization: f64,
    mean_in_system: f64,
    throughput: f64,
}

fn measure(file: &str) -> (Scenario, Measured) {
    let s = Scenario::load(&scenario_path(file), &[]).unwrap();
    let results = run(&s);
    let r = &results.runs[0];
    let db = &r.components["db"];
    let m = Measured {
        mean_ms: r.latency.all().mean_ms,
        p99_ms: r.latency.all().p99_ms,
        utilization: db.utilization.unwrap(),
        mean_in_system: db.mean_in_system.unwrap(),
        throughput: r.throughput_per_s,
    };
    (s, m)
}

fn within(what: &str, got: f64, want: f64, rel: f64) {
    let err = (got - want).abs() / want;
    assert!(
        err <= rel,
        "{what}: got {got:.4}, theory {want:.4} ({:.2} % off, tolerance {:.1} %)",
        err * 100.0,
        rel * 100.0
    );
}

/// Checks an M/M/c (c = 1 included) scenario with exp(1 ms) service.
fn check_mmc(file: &str) {
    let (s, m) = measure(file);
    let archsim::arch::Config::Single(single) = &s.architectures[0].config else {
        panic!("{file}: a single architecture")
    };
    let c = single.db.cores;
    let lambda = s.workload.rate / 1000.0; // per ms
    let (mean, p99) = mmc(c, lambda, 1.0);
    within(&format!("{file} mean"), m.mean_ms, mean, 0.03);
    within(&format!("{file} p99"), m.p99_ms, p99, 0.04);
    within(
        &format!("{file} utilization"),
        m.utilization,
        lambda / f64::from(c),
        0.01,
    );
    // Little's law on the same run: L = λ W.
    within(
        &format!("{file} Little"),
        m.mean_in_system,
        m.throughput * m.mean_ms / 1000.0,
        0.01,
    );
}

#[test]
fn mm1_at_50_percent() {
    check_mmc("validation/mm1-rho-0.5.toml");
}

#[test]
fn mm1_at_80_percent() {
    check_mmc("validation/mm1-rho-0.8.toml");
}

#[test]
fn mm1_at_95_percent() {
    check_mmc("validation/mm1-rho-0.95.toml");
}

#[test]
fn mmc_4_cores_at_90_percent() {
    check_mmc("validation/mmc-4-rho-0.9.toml");
}

#[test]
fn mmc_16_cores_at_70_percent() {
    check_mmc("validation/mmc-16-rho-0.7.toml");
}

#[test]
fn mmc_16_cores_at_95_percent() {
    check_mmc("validation/mmc-16-rho-0.95.toml");
}

#[test]
fn md1_pollaczek_khinchine() {
    let (s, m) = measure("validation/md1-rho-0.8.toml");
    let rho = s.workload.rate / 1000.0;
    // P-K with deterministic service (C_s² = 0): W = S + ρS / (2(1 − ρ)).
    let mean = 1.0 + rho / (2.0 * (1.0 - rho));
    within("M/D/1 mean", m.mean_ms, mean, 0.03);
    within("M/D/1 utilization", m.utilization, rho, 0.01);
    within(
        "M/D/1 Little",
        m.mean_in_system,
        m.throughput * m.mean_ms / 1000.0,
        0.01,
    );
}

#[test]
fn erlang_c_reference_values() {
    // Published table values: c = 2, a = 1 → 1/3; c = 1 reduces to ρ.
    assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
    assert!((erlang_c(1, 0.8) - 0.8).abs() < 1e-12);
    let (mean, p99) = mmc(1, 0.8, 1.0);
    assert!((mean - 5.0).abs() < 1e-9 && (p99 - 5.0 * 100f64.ln()).abs() < 1e-6);
}

#[test]
fn network_hops_add_their_mean_twice() {
    // A constant 150 µs hop each way around an M/M/1 at ρ = 0.5.
    let s = crate::scenario(
        r#"
        duration = "200s"
        warmup = "10s"
        [workload]
        rate = 500
        [workload.mix]
        get = 1.0
        [network]
        hop = "150us"
        [[architecture]]
        kind = "single"
        [architecture.db]
        cores = 1
        read = "exp(1ms)"
        "#,
    );
    let r = run(&s);
    within(
        "M/M/1 + 2 hops",
        r.runs[0].latency.all().mean_ms,
        2.0 + 0.3,
        0.03,
    );
}

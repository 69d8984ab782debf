//! Service-time and delay distributions, and their string syntax.
//!
//! | syntax | meaning |
//! |---|---|
//! | `"2ms"` | constant |
//! | `"exp(2ms)"` | exponential with mean 2 ms |
//! | `"uniform(1ms, 3ms)"` | uniform between the bounds |
//! | `"lognormal(p50=1ms, p99=8ms)"` | lognormal fitted to two percentiles |
//! | `"lognormal(mean=1ms, sigma=0.5)"` | lognormal with that mean and log-sd |
//! | `"pareto(xm=1ms, alpha=2.5)"` | Pareto with scale and shape |
//! | `"normal(1ms, 0.2ms)"` | normal, truncated at 0 (negative draws are redrawn) |
//! | `"erlang(4, 2ms)"` | sum of 4 exponentials, total mean 2 ms |
//! | `"mix(0.99: 1ms, 0.01: exp(1s))"` | one of the parts with those probabilities |
//!
//! Every distribution yields non-negative durations in whole nanoseconds.

pub mod checks;
mod parse;
pub mod size;

use std::fmt;

use rand::Rng;
use rand_distr::Distribution;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::sim::time::{SimDuration, format_nanos, nearest_nanos};

pub use parse::DistError;

/// z such that Φ(z) = 0.99: fits a lognormal to its p50 and p99.
const Z99: f64 = 2.326_347_874_040_840_8;

/// A parsed distribution of durations (parameters in nanoseconds).
#[derive(Clone, Debug, PartialEq)]
pub enum Spec {
    Constant(f64),
    Exp { mean: f64 },
    Uniform { low: f64, high: f64 },
    LogNormalPercentiles { p50: f64, p99: f64 },
    LogNormal { mean: f64, sigma: f64 },
    Pareto { xm: f64, alpha: f64 },
    Normal { mean: f64, sd: f64 },
    Erlang { k: u32, mean: f64 },
    Mix(Vec<(f64, Spec)>),
}

impl Spec {
    /// Mean in nanoseconds (infinite for a Pareto with alpha ≤ 1). For the
    /// truncated normal this is the mean of the truncated law.
    pub fn mean(&self) -> f64 {
        match self {
            Spec::Constant(v) => *v,
            Spec::Exp { mean } | Spec::Erlang { mean, .. } => *mean,
            Spec::Uniform { low, high } => (low + high) / 2.0,
            Spec::LogNormalPercentiles { p50, p99 } => {
                let sigma = (p99 / p50).ln() / Z99;
                p50 * (sigma * sigma / 2.0).exp()
            }
            Spec::LogNormal { mean, .. } => *mean,
            Spec::Pareto { xm, alpha } => {
                if *alpha <= 1.0 {
                    f64::INFINITY
                } else {
                    alpha * xm / (alpha - 1.0)
                }
            }
            Spec::Normal { mean, sd } => {
                if *sd == 0.0 {
                    return *mean;
                }
                let a = -mean / sd;
                let pdf = (-a * a / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
                mean + sd * pdf / (1.0 - normal_cdf(a))
            }
            Spec::Mix(parts) => parts.iter().map(|(p, s)| p * s.mean()).sum(),
        }
    }
}

/// Standard normal CDF (Abramowitz–Stegun 7.1.26 through erf, |error| < 1.5e-7).
fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-z * z).exp();
    if x >= 0.0 {
        0.5 * (1.0 + y)
    } else {
        0.5 * (1.0 - y)
    }
}

impl fmt::Display for Spec {
    /// The canonical string form, which parses back to an equal `Spec`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = |ns: f64| format_nanos(ns);
        match self {
            Spec::Constant(v) => write!(f, "{}", d(*v)),
            Spec::Exp { mean } => write!(f, "exp({})", d(*mean)),
            Spec::Uniform { low, high } => write!(f, "uniform({}, {})", d(*low), d(*high)),
            Spec::LogNormalPercentiles { p50, p99 } => {
                write!(f, "lognormal(p50={}, p99={})", d(*p50), d(*p99))
            }
            Spec::LogNormal { mean, sigma } => {
                write!(f, "lognormal(mean={}, sigma={sigma})", d(*mean))
            }
            Spec::Pareto { xm, alpha } => write!(f, "pareto(xm={}, alpha={alpha})", d(*xm)),
            Spec::Normal { mean, sd } => write!(f, "normal({}, {})", d(*mean), d(*sd)),
            Spec::Erlang { k, mean } => write!(f, "erlang({k}, {})", d(*mean)),
            Spec::Mix(parts) => {
                f.write_str("mix(")?;
                for (i, (p, s)) in parts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{p}: {s}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// The sampler compiled from a [`Spec`].
#[derive(Clone, Debug)]
enum Sampler {
    Constant(u64),
    Exp(rand_distr::Exp<f64>),
    Uniform(rand_distr::Uniform<f64>),
    LogNormal(rand_distr::LogNormal<f64>),
    Pareto(rand_distr::Pareto<f64>),
    Normal(rand_distr::Normal<f64>),
    Gamma(rand_distr::Gamma<f64>),
    /// Cumulative probabilities and their parts.
    Mix(Vec<(f64, Sampler)>),
}

impl Sampler {
    fn compile(spec: &Spec) -> Sampler {
        // Parameters were range-checked by the parser, so construction cannot fail.
        match spec {
            Spec::Constant(v) => Sampler::Constant(nearest_nanos(*v)),
            Spec::Exp { mean } if *mean == 0.0 => Sampler::Constant(0),
            Spec::Exp { mean } => Sampler::Exp(rand_distr::Exp::new(1.0 / mean).expect("checked")),
            Spec::Uniform { low, high } if low == high => Sampler::Constant(nearest_nanos(*low)),
            Spec::Uniform { low, high } => {
                Sampler::Uniform(rand_distr::Uniform::new(*low, *high).expect("checked"))
            }
            Spec::LogNormalPercentiles { p50, p99 } => {
                let sigma = (p99 / p50).ln() / Z99;
                Sampler::LogNormal(rand_distr::LogNormal::new(p50.ln(), sigma).expect("checked"))
            }
            Spec::LogNormal { mean, sigma } => {
                let mu = mean.ln() - sigma * sigma / 2.0;
                Sampler::LogNormal(rand_distr::LogNormal::new(mu, *sigma).expect("checked"))
            }
            Spec::Pareto { xm, alpha } => {
                Sampler::Pareto(rand_distr::Pareto::new(*xm, *alpha).expect("checked"))
            }
            Spec::Normal { mean, sd } => {
                Sampler::Normal(rand_distr::Normal::new(*mean, *sd).expect("checked"))
            }
            Spec::Erlang { mean, .. } if *mean == 0.0 => Sampler::Constant(0),
            Spec::Erlang { k, mean } => Sampler::Gamma(
                rand_distr::Gamma::new(f64::from(*k), mean / f64::from(*k)).expect("checked"),
            ),
            Spec::Mix(parts) => {
                let mut acc = 0.0;
                Sampler::Mix(
                    parts
                        .iter()
                        .map(|(p, s)| {
                            acc += p;
                            (acc, Sampler::compile(s))
                        })
                        .collect(),
                )
            }
        }
    }

    fn sample_ns<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Sampler::Constant(v) => *v as f64,
            Sampler::Exp(d) => d.sample(rng),
            Sampler::Uniform(d) => d.sample(rng),
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Pareto(d) => d.sample(rng),
            Sampler::Normal(d) => loop {
                let x = d.sample(rng);
                if x >= 0.0 {
                    break x;
                }
            },
            Sampler::Gamma(d) => d.sample(rng),
            Sampler::Mix(parts) => {
                let u: f64 = rand::RngExt::random(rng);
                let last = parts.len() - 1;
                let i = parts.iter().position(|(c, _)| u < *c).unwrap_or(last);
                parts[i].1.sample_ns(rng)
            }
        }
    }
}

/// A distribution of durations: its spec (for display and analysis) and a
/// ready sampler. Deserializes from the string syntax; a parse error names the
/// offending part of the string.
#[derive(Clone, Debug)]
pub struct Dist {
    spec: Spec,
    sampler: Sampler,
}

impl Dist {
    pub fn new(spec: Spec) -> Dist {
        let sampler = Sampler::compile(&spec);
        Dist { spec, sampler }
    }

    pub fn constant(d: SimDuration) -> Dist {
        Dist::new(Spec::Constant(d.as_nanos() as f64))
    }

    pub fn parse(text: &str) -> Result<Dist, DistError> {
        parse::parse(text).map(Dist::new)
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Mean in nanoseconds.
    pub fn mean_ns(&self) -> f64 {
        self.spec.mean()
    }

    /// True when every draw is zero (no random numbers are consumed).
    pub fn is_zero(&self) -> bool {
        matches!(self.sampler, Sampler::Constant(0))
    }

    /// One draw, rounded to whole nanoseconds.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SimDuration {
        match self.sampler {
            Sampler::Constant(v) => SimDuration(v),
            _ => SimDuration(nearest_nanos(self.sampler.sample_ns(rng))),
        }
    }
}

impl PartialEq for Dist {
    fn eq(&self, other: &Self) -> bool {
        self.spec == other.spec
    }
}

impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.spec.fmt(f)
    }
}

impl std::str::FromStr for Dist {
    type Err = DistError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dist::parse(s)
    }
}

impl Serialize for Dist {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Dist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Dist::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::Streams;

    fn sample_mean(d: &Dist, n: usize) -> f64 {
        let mut rng = Streams::new(7, 0).stream("test");
        (0..n)
            .map(|_| d.sample(&mut rng).as_nanos() as f64)
            .sum::<f64>()
            / n as f64
    }

    #[test]
    fn sample_means_match_spec_means() {
        for text in [
            "exp(2ms)",
            "uniform(1ms, 3ms)",
            "lognormal(p50=1ms, p99=8ms)",
            "lognormal(mean=1ms, sigma=0.5)",
            "pareto(xm=1ms, alpha=3)",
            "normal(1ms, 0.5ms)",
            "erlang(4, 2ms)",
            "mix(0.9: 1ms, 0.1: exp(10ms))",
        ] {
            let d = Dist::parse(text).unwrap();
            let m = sample_mean(&d, 200_000);
            let rel = (m - d.mean_ns()).abs() / d.mean_ns();
            assert!(rel < 0.02, "{text}: sample mean {m} vs {}", d.mean_ns());
        }
    }

    #[test]
    fn lognormal_percentiles_are_honoured() {
        let d = Dist::parse("lognormal(p50=50us, p99=300us)").unwrap();
        let mut rng = Streams::new(1, 0).stream("test");
        let mut xs: Vec<u64> = (0..100_000)
            .map(|_| d.sample(&mut rng).as_nanos())
            .collect();
        xs.sort_unstable();
        let p50 = xs[50_000] as f64;
        let p99 = xs[99_000] as f64;
        assert!((p50 / 50_000.0 - 1.0).abs() < 0.02, "p50 {p50}");
        assert!((p99 / 300_000.0 - 1.0).abs() < 0.05, "p99 {p99}");
    }

    #[test]
    fn canonical_form_round_trips() {
        for text in [
            "2ms",
            "exp(150us)",
            "uniform(1ms, 3ms)",
            "lognormal(p50=50us, p99=300us)",
            "lognormal(mean=1ms, sigma=0.5)",
            "pareto(xm=1ms, alpha=2.5)",
            "normal(1ms, 200us)",
            "erlang(3, 1.5ms)",
            "mix(0.99: 1ms, 0.01: exp(1s))",
        ] {
            let d = Dist::parse(text).unwrap();
            assert_eq!(d.to_string(), text);
            assert_eq!(Dist::parse(&d.to_string()).unwrap(), d);
        }
    }
}

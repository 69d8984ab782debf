//! The service-level objective a scenario is judged by: budgets on latency
//! percentiles, on the share of failed operations, on how fresh copies are
//! and on anomaly rates. `archsim capacity` searches the highest load that
//! meets every budget; the growth ladder and the review's knee sentence read
//! the same budgets, so "breaks" means one thing everywhere.
//!
//! Every budget is judged on figures that hide nothing: latency percentiles
//! count failed and timed-out operations at the client's whole wait, and
//! rates are per *offered* operation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::arch::RunResult;
use crate::sim::SimDuration;

/// The budgets one run must meet. The default is `p99<=5ms` and nothing
/// else: an interactive service's budget; state your own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, documented::DocumentedFields)]
#[serde(deny_unknown_fields)]
pub struct Slo {
    /// Client-observed latency over all operations, e.g. "p99<=5ms": a percentile (p50, p90, p99, p999) or max, at most a duration. Failed and timed-out operations count at their whole wait, so a run where more than 1 % of operations time out fails a p99 budget. Default ["p99<=5ms"].
    #[serde(default = "default_latency")]
    pub latency: Vec<LatencyBudget>,
    /// Most share of offered operations not answered ok (errors, timeouts, unfinished), e.g. "0.1%". Default: no budget of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<Share>,
    /// Freshness of copies, e.g. "cache<=1s": the p99 visibility lag (apply − commit) of every copy whose name is or starts with the given one (`cache`, `replica`, `search`, `warehouse`, `read_model`…). An architecture without such a copy is not judged by it. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub freshness: Vec<FreshnessBudget>,
    /// Anomaly rates per 1,000 offered operations, e.g. "lost_update<=0.1/1k"; the classes are those of the anomaly table (`stale_read`, `lost_update`, `invariant`…). Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anomalies: Vec<AnomalyBudget>,
}

fn default_latency() -> Vec<LatencyBudget> {
    vec![LatencyBudget {
        quantile: Quantile::P99,
        limit: SimDuration::from_millis(5),
    }]
}

impl Default for Slo {
    fn default() -> Slo {
        Slo {
            latency: default_latency(),
            failed: None,
            freshness: Vec::new(),
            anomalies: Vec::new(),
        }
    }
}

impl Slo {
    pub fn is_default(&self) -> bool {
        *self == Slo::default()
    }

    /// An objective with no budget at all.
    pub fn none() -> Slo {
        Slo {
            latency: Vec::new(),
            failed: None,
            freshness: Vec::new(),
            anomalies: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Slo::none()
    }

    /// Every budget, as its text (`p99<=5ms`, `failed<=0.1%`, …).
    pub fn budgets(&self) -> Vec<String> {
        let mut all: Vec<String> = self.latency.iter().map(ToString::to_string).collect();
        all.extend(self.failed.iter().map(|s| format!("failed<={s}")));
        all.extend(self.freshness.iter().map(ToString::to_string));
        all.extend(self.anomalies.iter().map(ToString::to_string));
        all
    }

    /// How `run` fares against every budget, in [`Slo::budgets`] order
    /// (budgets that do not apply to its architecture left out).
    pub fn judge(&self, run: &RunResult) -> Vec<Judgement> {
        let all = run.latency.all();
        let offered = all.count.max(1) as f64;
        let mut out = Vec::new();
        for b in &self.latency {
            let v = b.quantile.of(all);
            out.push(Judgement {
                budget: b.to_string(),
                kind: BudgetKind::Latency,
                measured: format!(
                    "{} {}{}",
                    b.quantile,
                    if all.is_at_least(b.quantile.field()) {
                        "≥ "
                    } else {
                        ""
                    },
                    ms(v)
                ),
                // A percentile that falls on a failed operation is not met,
                // however short the client's timeout made that wait.
                met: v <= b.limit.as_millis_f64() && !all.is_at_least(b.quantile.field()),
            });
        }
        if let Some(share) = self.failed {
            let failed = all.failed() as f64 / offered;
            out.push(Judgement {
                budget: format!("failed<={share}"),
                kind: BudgetKind::Failed,
                measured: format!("failed {}", Share(failed)),
                met: failed <= share.0,
            });
        }
        for b in &self.freshness {
            for (copy, lag) in &run.visibility.lag_ms {
                if !b.covers(copy) {
                    continue;
                }
                let (met, measured) = if lag.writes == 0 {
                    (false, format!("{copy}: no write delivered"))
                } else {
                    (
                        lag.p99_ms <= b.limit.as_millis_f64(),
                        format!("{copy} lag p99 {}", ms(lag.p99_ms)),
                    )
                };
                out.push(Judgement {
                    budget: b.to_string(),
                    kind: BudgetKind::Freshness(copy.clone()),
                    measured,
                    met,
                });
            }
        }
        for b in &self.anomalies {
            let count = run
                .anomalies
                .counts()
                .into_iter()
                .find(|(name, _)| *name == b.class)
                .map_or(0, |(_, n)| n);
            let per_1k = count as f64 * 1000.0 / offered;
            out.push(Judgement {
                budget: b.to_string(),
                kind: BudgetKind::Anomalies(b.class.clone()),
                measured: format!("{} {per_1k:.3}/1k", b.class),
                met: per_1k <= b.per_1k,
            });
        }
        out
    }

    /// Whether `run` meets every budget.
    pub fn met_by(&self, run: &RunResult) -> bool {
        self.judge(run).iter().all(|j| j.met)
    }

    /// `self` with the budgets of `other` added; a budget on the same
    /// figure (the same percentile, copy or class; the failed share)
    /// replaces this one's.
    pub fn overridden_by(&self, other: &Slo) -> Slo {
        let mut out = self.clone();
        for b in &other.latency {
            out.latency.retain(|a| a.quantile != b.quantile);
            out.latency.push(*b);
        }
        if other.failed.is_some() {
            out.failed = other.failed;
        }
        for b in &other.freshness {
            out.freshness.retain(|a| a.copy != b.copy);
            out.freshness.push(b.clone());
        }
        for b in &other.anomalies {
            out.anomalies.retain(|a| a.class != b.class);
            out.anomalies.push(b.clone());
        }
        out
    }
}

/// One budget's verdict on one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    /// The budget, as written (`p99<=5ms`).
    pub budget: String,
    #[serde(skip)]
    pub kind: BudgetKind,
    /// What the run showed (`p99 7.2 ms`, `cache lag p99 14.9 s`).
    pub measured: String,
    pub met: bool,
}

/// What a budget bounds: latency and failures point at the busiest
/// component; freshness at a copy; anomalies at a class.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum BudgetKind {
    #[default]
    Latency,
    Failed,
    Freshness(String),
    Anomalies(String),
}

/// A share written as a percentage (`0.1%`) or a fraction (`0.001`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Share(pub f64);

impl FromStr for Share {
    type Err = String;
    fn from_str(text: &str) -> Result<Share, String> {
        let t = text.trim();
        let (number, scale) = match t.strip_suffix('%') {
            Some(n) => (n.trim(), 0.01),
            None => (t, 1.0),
        };
        let v: f64 = number.parse().map_err(|_| {
            format!("\"{text}\" is not a share: write a percentage (0.1%) or a fraction (0.001)")
        })?;
        let v = v * scale;
        if !(0.0..=1.0).contains(&v) || !v.is_finite() {
            return Err(format!("\"{text}\" is not a share from 0 % to 100 %"));
        }
        Ok(Share(v))
    }
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = self.0 * 100.0;
        let text = format!("{pct:.4}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        write!(f, "{text}%")
    }
}

/// A latency figure of the latency table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantile {
    P50,
    P90,
    P99,
    P999,
    Max,
}

impl Quantile {
    const ALL: [(Quantile, &'static str); 5] = [
        (Quantile::P50, "p50"),
        (Quantile::P90, "p90"),
        (Quantile::P99, "p99"),
        (Quantile::P999, "p999"),
        (Quantile::Max, "max"),
    ];

    /// This figure of `latency`, in ms.
    pub fn of(self, latency: &crate::metrics::LatencySummary) -> f64 {
        latency.figure(self.field())
    }

    /// Its field in the latency summary (`p99_ms`).
    pub fn field(self) -> &'static str {
        match self {
            Quantile::P50 => "p50_ms",
            Quantile::P90 => "p90_ms",
            Quantile::P99 => "p99_ms",
            Quantile::P999 => "p999_ms",
            Quantile::Max => "max_ms",
        }
    }

    fn name(self) -> &'static str {
        Quantile::ALL
            .iter()
            .find(|(q, _)| *q == self)
            .map(|(_, n)| *n)
            .expect("every quantile is named")
    }
}

impl fmt::Display for Quantile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `p99<=5ms`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatencyBudget {
    pub quantile: Quantile,
    pub limit: SimDuration,
}

/// `cache<=1s`: the p99 visibility lag of the copies named so.
#[derive(Clone, Debug, PartialEq)]
pub struct FreshnessBudget {
    pub copy: String,
    pub limit: SimDuration,
}

impl FreshnessBudget {
    /// Whether copy `name` (`cache`, `replica_1`) is one this budget bounds.
    pub fn covers(&self, name: &str) -> bool {
        name == self.copy
            || name
                .strip_prefix(self.copy.as_str())
                .is_some_and(|rest| rest.starts_with('_'))
    }
}

/// `lost_update<=0.1/1k`: anomalies of a class per 1,000 offered operations.
#[derive(Clone, Debug, PartialEq)]
pub struct AnomalyBudget {
    pub class: String,
    pub per_1k: f64,
}

/// `NAME<=VALUE`, with what a budget of this kind looks like when it is not.
fn split<'a>(text: &'a str, example: &str) -> Result<(&'a str, &'a str), String> {
    let (name, value) = text
        .split_once("<=")
        .ok_or_else(|| format!("\"{text}\" is not a budget like {example}"))?;
    Ok((name.trim(), value.trim()))
}

fn duration(text: &str, value: &str, example: &str) -> Result<SimDuration, String> {
    let d: SimDuration = value
        .parse()
        .map_err(|e| format!("\"{text}\": {e} (a budget like {example})"))?;
    if d.is_zero() {
        return Err(format!("\"{text}\": a budget of 0 can never be met"));
    }
    Ok(d)
}

impl FromStr for LatencyBudget {
    type Err = String;
    fn from_str(text: &str) -> Result<LatencyBudget, String> {
        const EXAMPLE: &str = "p99<=5ms";
        let (name, value) = split(text, EXAMPLE)?;
        let quantile = Quantile::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(q, _)| *q)
            .ok_or_else(|| {
                format!("\"{text}\": \"{name}\" is not p50, p90, p99, p999 or max ({EXAMPLE})")
            })?;
        Ok(LatencyBudget {
            quantile,
            limit: duration(text, value, EXAMPLE)?,
        })
    }
}

impl FromStr for FreshnessBudget {
    type Err = String;
    fn from_str(text: &str) -> Result<FreshnessBudget, String> {
        const EXAMPLE: &str = "cache<=1s";
        let (copy, value) = split(text, EXAMPLE)?;
        if copy.is_empty() || !copy.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "\"{text}\": \"{copy}\" is not a copy's name (cache, replica, search, warehouse, read_model…)"
            ));
        }
        Ok(FreshnessBudget {
            copy: copy.to_string(),
            limit: duration(text, value, EXAMPLE)?,
        })
    }
}

impl FromStr for AnomalyBudget {
    type Err = String;
    fn from_str(text: &str) -> Result<AnomalyBudget, String> {
        const EXAMPLE: &str = "lost_update<=0.1/1k";
        let (class, value) = split(text, EXAMPLE)?;
        let classes: Vec<&str> = crate::check::AnomalyReport::default()
            .counts()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        if !classes.contains(&class) {
            return Err(format!(
                "\"{text}\": \"{class}\" is not an anomaly class; the classes are {}",
                classes.join(", ")
            ));
        }
        let number = value.strip_suffix("/1k").ok_or_else(|| {
            format!("\"{text}\": write the rate per 1,000 operations, e.g. {EXAMPLE}")
        })?;
        let per_1k: f64 = number
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("\"{text}\": \"{number}\" is not a rate ≥ 0 ({EXAMPLE})"))?;
        Ok(AnomalyBudget {
            class: class.to_string(),
            per_1k,
        })
    }
}

impl fmt::Display for LatencyBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}<={}", self.quantile, self.limit)
    }
}

impl fmt::Display for FreshnessBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}<={}", self.copy, self.limit)
    }
}

impl fmt::Display for AnomalyBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}<={}/1k", self.class, self.per_1k)
    }
}

/// `v` ms as a person reads it: `7.234 ms`, `14.90 s`.
fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else {
        format!("{v:.3} ms")
    }
}

/// Serialized as its text, read back through `FromStr`.
macro_rules! text_serde {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}
text_serde!(LatencyBudget, FreshnessBudget, AnomalyBudget, Share);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_read_and_print_back() {
        let l: LatencyBudget = "p999<=50ms".parse().unwrap();
        assert_eq!(l.quantile, Quantile::P999);
        assert_eq!(l.to_string(), "p999<=50ms");
        let f: FreshnessBudget = "cache<=1s".parse().unwrap();
        assert!(f.covers("cache") && !f.covers("cache2") && !f.covers("search"));
        let r: FreshnessBudget = "replica<=200ms".parse().unwrap();
        assert!(r.covers("replica_1"));
        let a: AnomalyBudget = "lost_update<=0.1/1k".parse().unwrap();
        assert_eq!((a.class.as_str(), a.per_1k), ("lost_update", 0.1));
        assert_eq!(a.to_string(), "lost_update<=0.1/1k");
        assert_eq!("0.1%".parse::<Share>().unwrap().to_string(), "0.1%");
        assert_eq!("0.25".parse::<Share>().unwrap().to_string(), "25%");
    }

    #[test]
    fn bad_budgets_say_what_is_expected() {
        let e = "p98<=5ms".parse::<LatencyBudget>().unwrap_err();
        assert!(e.contains("p50, p90, p99, p999 or max"), "{e}");
        let e = "p99=5ms".parse::<LatencyBudget>().unwrap_err();
        assert!(e.contains("p99<=5ms"), "{e}");
        let e = "p99<=0ms".parse::<LatencyBudget>().unwrap_err();
        assert!(e.contains("never be met"), "{e}");
        let e = "lost_updates<=1/1k".parse::<AnomalyBudget>().unwrap_err();
        assert!(e.contains("stale_read"), "{e}");
        let e = "lost_update<=1".parse::<AnomalyBudget>().unwrap_err();
        assert!(e.contains("/1k"), "{e}");
        assert!("150%".parse::<Share>().is_err() && "x".parse::<Share>().is_err());
    }

    #[test]
    fn a_later_budget_on_the_same_figure_replaces_the_earlier() {
        let file = Slo {
            freshness: vec!["cache<=1s".parse().unwrap()],
            ..Slo::default()
        };
        let cli = Slo {
            latency: vec!["p99<=3ms".parse().unwrap(), "p999<=40ms".parse().unwrap()],
            ..Slo::none()
        };
        assert_eq!(
            file.overridden_by(&cli).budgets(),
            ["p99<=3ms", "p999<=40ms", "cache<=1s"]
        );
    }
}

//! What a trace says about its workload, in the `[workload]` fields that
//! would generate a stream like it: rate, mix, sessions, key counts and a
//! Zipf exponent fitted to the key popularity.

use std::collections::HashMap;

use super::{OpKind, Trace};

/// The `[workload]` figures of a trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    pub operations: usize,
    /// Recorded seconds from the first operation to the last.
    pub span_s: f64,
    /// Operations per second.
    pub rate: f64,
    /// Each kind's share, in kind order.
    pub mix: Vec<(OpKind, f64)>,
    /// Highest session + 1.
    pub sessions: u64,
    /// Highest plain key + 1 (get, put, search, analytics), 0 if none.
    pub keys: u64,
    /// Distinct plain keys accessed.
    pub distinct: u64,
    /// Zipf exponent s of the plain keys' popularity (maximum likelihood
    /// over the keys ranked by their access counts); `None` without plain
    /// keys.
    pub zipf: Option<f64>,
    /// Share of plain-key accesses that go to the most accessed 1 % of
    /// the keys.
    pub top_1pct_share: Option<f64>,
}

impl Fit {
    pub fn of(trace: &Trace) -> Fit {
        let mut counts: HashMap<u64, u64> = HashMap::new();
        let mut sessions = 0;
        for r in &trace.rows {
            sessions = sessions.max(u64::from(r.session) + 1);
            if matches!(
                r.kind,
                OpKind::Get | OpKind::Put | OpKind::Search | OpKind::Analytics
            ) {
                *counts.entry(r.key).or_default() += 1;
            }
        }
        let keys = counts.keys().max().map_or(0, |k| k + 1);
        let mut ranked: Vec<u64> = counts.into_values().collect();
        ranked.sort_unstable_by(|a, b| b.cmp(a));
        let total: u64 = ranked.iter().sum();
        let top = (keys as f64 / 100.0).ceil() as usize;
        Fit {
            operations: trace.rows.len(),
            span_s: trace.span().as_secs_f64(),
            rate: trace.rate(1.0),
            mix: trace.shares().to_vec(),
            sessions,
            keys,
            distinct: ranked.len() as u64,
            zipf: (total > 0).then(|| zipf_exponent(&ranked, keys)),
            top_1pct_share: (total > 0)
                .then(|| ranked.iter().take(top).sum::<u64>() as f64 / total as f64),
        }
    }

    /// A `[workload]` section that generates a stream like the trace's.
    pub fn to_toml(&self) -> String {
        let line = |field: String, comment: String| {
            if comment.is_empty() {
                format!("{field}\n")
            } else {
                format!("{field:<34}# {comment}\n")
            }
        };
        let mut out = String::from("[workload]\n");
        out += &line(
            format!("rate = {:.0}", self.rate),
            format!("{} operations over {:.3} s", self.operations, self.span_s),
        );
        if self.keys > 0 {
            out += &line(
                format!("keys = {}", self.keys),
                format!("{} distinct plain keys accessed", self.distinct),
            );
        }
        if let (Some(s), Some(top)) = (self.zipf, self.top_1pct_share) {
            out += &line(
                format!("popularity = \"zipf({s:.2})\""),
                format!(
                    "fitted; the top 1 % of keys took {:.1} % of accesses",
                    top * 100.0
                ),
            );
        }
        out += &line(
            format!("sessions = {}", self.sessions.max(1)),
            String::new(),
        );
        out += "[workload.mix]\n";
        for (kind, share) in &self.mix {
            out += &line(format!("{kind} = {}", round4(*share)), String::new());
        }
        out
    }
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// The exponent s maximising the likelihood of access counts `ranked`
/// (highest first) under Zipf(s) over `keys` ranks: log L(s) = −s Σ c_r ln r
/// − n ln H(keys, s), concave in s, maximised by golden-section search on
/// [0, 4].
pub fn zipf_exponent(ranked: &[u64], keys: u64) -> f64 {
    let n: f64 = ranked.iter().sum::<u64>() as f64;
    let weighted_log_rank: f64 = ranked
        .iter()
        .enumerate()
        .map(|(i, &c)| c as f64 * ((i + 1) as f64).ln())
        .sum();
    let log_likelihood = |s: f64| -s * weighted_log_rank - n * harmonic(keys, s).ln();
    let (mut lo, mut hi) = (0.0f64, 4.0f64);
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..80 {
        let a = hi - phi * (hi - lo);
        let b = lo + phi * (hi - lo);
        if log_likelihood(a) < log_likelihood(b) {
            lo = a;
        } else {
            hi = b;
        }
    }
    (lo + hi) / 2.0
}

/// H(n, s) = Σ_{r=1..n} r^−s: the first 10,000 terms summed, the rest by
/// the midpoint integral (relative error below 10^−8 for s ≤ 4).
fn harmonic(n: u64, s: f64) -> f64 {
    const EXACT: u64 = 10_000;
    let head: f64 = (1..=n.min(EXACT)).map(|r| (r as f64).powf(-s)).sum();
    if n <= EXACT {
        return head;
    }
    let (a, b) = (EXACT as f64 + 0.5, n as f64 + 0.5);
    let tail = if (s - 1.0).abs() < 1e-12 {
        (b / a).ln()
    } else {
        (b.powf(1.0 - s) - a.powf(1.0 - s)) / (1.0 - s)
    };
    head + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_harmonic_tail_matches_the_sum() {
        for s in [0.0, 0.5, 0.99, 1.0, 1.5] {
            let exact: f64 = (1..=200_000u64).map(|r| (r as f64).powf(-s)).sum();
            let got = harmonic(200_000, s);
            assert!(
                (got / exact - 1.0).abs() < 1e-8,
                "s = {s}: {got} vs {exact}"
            );
        }
    }

    #[test]
    fn exact_zipf_counts_give_back_their_exponent() {
        for s in [0.6, 0.99, 1.3] {
            let keys = 5_000u64;
            let ranked: Vec<u64> = (1..=keys)
                .map(|r| (1e7 * (r as f64).powf(-s)).round() as u64)
                .collect();
            let fitted = zipf_exponent(&ranked, keys);
            assert!((fitted - s).abs() < 0.01, "s = {s}: fitted {fitted}");
        }
    }
}

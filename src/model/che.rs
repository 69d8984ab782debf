//! Che's approximation of an LRU cache's hit ratio under independent
//! references (Che, Tung and Wang, IEEE JSAC 2002): the characteristic time
//! T (in references) solves Σ nᵢ (1 − e^{−pᵢ T}) = C, and the hit ratio is
//! Σ nᵢ pᵢ (1 − e^{−pᵢ T}). The suite checks the cache against it; the
//! diagnosis inverts it to find the popularity behind an observed hit
//! ratio.
//!
//! Keys come in classes of equal probability — (probability of one key,
//! number of keys) — so a long tail can be summed in buckets rather than
//! key by key.

/// Che's characteristic time, in references, of an LRU cache of
/// `capacity` entries over `classes` (each: one key's probability, the
/// number of such keys). Infinite when the cache holds every key.
pub fn characteristic_time(classes: &[(f64, f64)], capacity: f64) -> f64 {
    let keys: f64 = classes.iter().map(|(_, n)| n).sum();
    if capacity >= keys {
        return f64::INFINITY;
    }
    let filled = |t: f64| {
        classes
            .iter()
            .map(|(p, n)| n * (1.0 - (-p * t).exp()))
            .sum::<f64>()
    };
    let (mut lo, mut hi) = (0.0, 1.0);
    while filled(hi) < capacity {
        hi *= 2.0;
    }
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if filled(mid) < capacity {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Che's hit ratio, 0..1, of an LRU cache of `capacity` entries over
/// `classes` (each: one key's probability, the number of such keys).
pub fn hit_ratio(classes: &[(f64, f64)], capacity: f64) -> f64 {
    let t = characteristic_time(classes, capacity);
    if t.is_infinite() {
        return classes.iter().map(|(p, n)| p * n).sum();
    }
    classes
        .iter()
        .map(|(p, n)| n * p * (1.0 - (-p * t).exp()))
        .sum()
}

/// Zipf(`s`) over `keys` keys (rank r has probability ∝ r^−s) as classes:
/// the first 1,000 ranks one by one, the rest in buckets 1 % wide whose
/// keys share the bucket's mean probability (the bucketing error is below
/// 10⁻⁴ in the hit ratio).
pub fn zipf_classes(s: f64, keys: u64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    let exact = keys.min(1_000);
    for r in 1..=exact {
        out.push(((r as f64).powf(-s), 1.0));
    }
    let mut start = exact + 1;
    while start <= keys {
        let end = ((start as f64 * 1.01).ceil() as u64).clamp(start, keys);
        let n = (end - start + 1) as f64;
        let sum: f64 = if n <= 64.0 {
            (start..=end).map(|r| (r as f64).powf(-s)).sum()
        } else {
            // The integral of x^−s over the bucket, by the midpoint of each
            // of its ranks.
            integral(s, start as f64 - 0.5, end as f64 + 0.5)
        };
        out.push((sum / n, n));
        start = end + 1;
    }
    let total: f64 = out.iter().map(|(p, n)| p * n).sum();
    for (p, _) in &mut out {
        *p /= total;
    }
    out
}

/// ∫ x^−s dx from `a` to `b`.
fn integral(s: f64, a: f64, b: f64) -> f64 {
    if (s - 1.0).abs() < 1e-12 {
        (b / a).ln()
    } else {
        (b.powf(1.0 - s) - a.powf(1.0 - s)) / (1.0 - s)
    }
}

/// Share of references that go to the most popular `share` of the keys of
/// `classes` (classes most popular first, as [`zipf_classes`] gives them).
pub fn top_share(classes: &[(f64, f64)], share: f64) -> f64 {
    let keys: f64 = classes.iter().map(|(_, n)| n).sum();
    let mut left = (keys * share).max(1.0);
    let mut got = 0.0;
    for (p, n) in classes {
        let take = n.min(left);
        got += p * take;
        left -= take;
        if left <= 0.0 {
            break;
        }
    }
    got
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_agree_with_the_key_by_key_sum() {
        let keys = 200_000u64;
        let s = 0.9;
        let exact: Vec<(f64, f64)> = {
            let w: Vec<f64> = (1..=keys).map(|r| (r as f64).powf(-s)).collect();
            let h: f64 = w.iter().sum();
            w.iter().map(|x| (x / h, 1.0)).collect()
        };
        let bucketed = zipf_classes(s, keys);
        for c in [100.0, 5_000.0, 50_000.0] {
            let (a, b) = (hit_ratio(&exact, c), hit_ratio(&bucketed, c));
            assert!((a - b).abs() < 1e-3, "C={c}: {a} against {b}");
        }
        assert!((top_share(&exact, 0.01) - top_share(&bucketed, 0.01)).abs() < 1e-3);
    }

    #[test]
    fn uniform_popularity_hits_c_over_n() {
        let h = hit_ratio(&[(1e-4, 10_000.0)], 2_000.0);
        assert!((h - 0.2).abs() < 1e-9, "{h}");
    }
}

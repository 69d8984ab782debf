//! What a run's notes say about its caches and copies: a TTL that caps the
//! hit ratio well below what the capacity would give (Che's approximation),
//! and a hit ratio or lag that had not settled when the run ended.

use super::{ArchitectureConfig, Setting};
use crate::metrics::{HIT_RATIO_TOLERANCE, LAG_FLOOR_MS, LAG_GROWTH, Trend, TrendKind, Window};
use crate::model::che;
use crate::workload::{OpKind, Popularity};

/// A TTL caps the hit ratio when it costs more than this (0.05: five
/// points) against the capacity alone.
pub const TTL_CAP: f64 = 0.05;

/// The plain keys' popularity as Che's classes (one key's probability,
/// the number of such keys), most popular first; `None` where it has no
/// fixed per-key form (scrambled Zipf, latest, sequential, exponential).
fn classes(popularity: Popularity, keys: u64) -> Option<Vec<(f64, f64)>> {
    let n = keys as f64;
    Some(match popularity {
        Popularity::Uniform | Popularity::Zipf(0.0) => vec![(1.0 / n, n)],
        Popularity::Zipf(s) => che::zipf_classes(s, keys),
        Popularity::Hotspot {
            hot_fraction,
            hot_share,
        } => {
            let hot = ((n * hot_fraction).round()).clamp(1.0, n);
            let mut c = vec![(hot_share / hot, hot)];
            if n > hot {
                c.push(((1.0 - hot_share) / (n - hot), n - hot));
            }
            c
        }
        _ => return None,
    })
}

/// The expected steady-state hit ratio of an LRU cache of `capacity`
/// entries over the plain keys of `setting`'s workload, by Che's
/// approximation: (capacity alone, with the TTL as well). With a TTL
/// counted from the fill, a key read at rate λ hits λT / (1 + λT) of its
/// reads (each fill starts a TTL of hits; the first read after it misses),
/// and a key hits no more than either limit allows. `None` for a
/// popularity without per-key probabilities.
pub fn expected_hit_ratio(setting: &Setting<'_>, capacity: u64, ttl_s: f64) -> Option<(f64, f64)> {
    let w = setting.workload;
    let classes = classes(w.popularity, w.keys)?;
    let reads_per_s = w.rate * w.mix.share(OpKind::Get);
    let t = che::characteristic_time(&classes, capacity as f64);
    let lru = |p: f64| {
        if t.is_infinite() {
            1.0
        } else {
            1.0 - (-p * t).exp()
        }
    };
    let ttl = |p: f64| {
        let lt = p * reads_per_s * ttl_s;
        if ttl_s <= 0.0 { 1.0 } else { lt / (1.0 + lt) }
    };
    let capacity_only = che::hit_ratio(&classes, capacity as f64);
    let with_ttl = classes
        .iter()
        .map(|(p, n)| n * p * lru(*p).min(ttl(*p)))
        .sum();
    Some((capacity_only, with_ttl))
}

/// A note when `arch`'s cache TTL caps its hit ratio more than [`TTL_CAP`]
/// below what its capacity alone would give.
pub fn ttl_notes(setting: &Setting<'_>, arch: &ArchitectureConfig) -> Vec<String> {
    let Some(c) = arch.cache() else {
        return Vec::new();
    };
    if c.capacity == 0 || c.ttl.is_zero() {
        return Vec::new();
    }
    let capacity = c.capacity * u64::from(c.nodes);
    let Some((alone, with_ttl)) = expected_hit_ratio(setting, capacity, c.ttl.as_secs_f64()) else {
        return Vec::new();
    };
    if alone - with_ttl <= TTL_CAP {
        return Vec::new();
    }
    vec![format!(
        "cache: its TTL of {} caps the hit ratio at about {with_ttl:.2} where its capacity of \
         {capacity} entries alone would give {alone:.2} (Che's approximation over the plain keys' \
         popularity at {:.0} gets/s): keys read less often than once per TTL expire before their \
         next read — a longer cache.ttl, or ttl = \"0s\", lets the capacity count",
        c.ttl,
        setting.workload.rate * setting.workload.mix.share(OpKind::Get),
    )]
}

/// A note for each hit ratio or lag among `trends` that had not settled by
/// the end of `window` (see `Trend::unsettled`).
pub fn unsettled(trends: &[(String, TrendKind, Trend)], window: Window) -> Vec<String> {
    trends
        .iter()
        .filter_map(|(name, kind, trend)| {
            let (third, last) = trend.unsettled(*kind, window)?;
            Some(match kind {
                TrendKind::HitRatio => format!(
                    "{name}: the hit ratio had not settled when the run ended ({third:.3} in the \
                     third quarter of the measured window, {last:.3} in the last; settled is \
                     within {HIT_RATIO_TOLERANCE}) — the figures mix the cache's filling with \
                     its steady state: lengthen warmup (or warmup = \"auto\"), or start it warm \
                     (cache.start = \"warm\")"
                ),
                TrendKind::Lag => format!(
                    "{name}: the visibility lag was still growing when the run ended (mean \
                     {:.2} ms in the third quarter of the measured window, {:.2} ms in the last; \
                     growing is more than {}× and {LAG_FLOOR_MS} ms more) — the copy does not \
                     keep up, or the run is too short to show where its lag settles",
                    third / 1e6,
                    last / 1e6,
                    LAG_GROWTH
                ),
            })
        })
        .collect()
}

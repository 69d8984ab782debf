//! Which key an operation touches.

use std::fmt;
use std::str::FromStr;

use rand::{Rng, RngExt};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::zipf::ZipfTable;

/// Key popularity, written as `"uniform"`, `"zipf(0.99)"`,
/// `"scrambled_zipf"`, `"hotspot(0.01, 0.9)"` (1 % of the keys receive 90 %
/// of the accesses), `"latest(0.99)"`, `"exponential(95, 0.8571428571)"` or
/// `"sequential"`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Popularity {
    Uniform,
    /// Recent keys are popular (YCSB's "latest"): a head moves one key
    /// forward with every draw, like auto-increment ids or timestamps, and a
    /// draw picks the key `rank` behind it, rank ~ Zipf(`s`) from 0. With
    /// range routing the head's shard is hot, and the hot shard moves.
    /// With inserts in the mix the head is the newest key inserted instead,
    /// moving with each insert as YCSB's does (see `workload::Growth`).
    Latest(f64),
    /// Every draw takes the next key, 0, 1, 2, … wrapping at the end: an
    /// append-only stream (logs, events, time series).
    Sequential,
    /// Zipf with exponent `s` over ranks; key 0 is the most popular.
    Zipf(f64),
    /// YCSB's `requestdistribution=zipfian`, exactly as YCSB draws it
    /// (`ScrambledZipfianGenerator`): a Zipf(0.99) rank over 10^10 items by
    /// Gray et al.'s method, hashed with 64-bit FNV-1a-style `fnvhash64` and
    /// folded onto the key count. Folding mixes the head with the tail, so
    /// it is far less skewed than `zipf(0.99)` over the same keys: with
    /// 1,000 keys and an LRU cache of 200 entries, `zipf(0.99)` hits about
    /// 0.69 of reads and `scrambled_zipf` about 0.31.
    ScrambledZipf,
    /// A share `hot_share` of accesses goes uniformly to the first
    /// `hot_fraction` of the keys, the rest uniformly to the others.
    Hotspot {
        hot_fraction: f64,
        hot_share: f64,
    },
    /// YCSB's `requestdistribution=exponential` (`ExponentialGenerator`):
    /// a rank behind the last key, exponential with `percentile` % of draws
    /// within the last `frac` of the keys (YCSB's `exponential.percentile`,
    /// default 95, and `exponential.frac`, default 0.8571428571); a rank
    /// past the first key is drawn again, as YCSB does. The last key is
    /// the most popular.
    Exponential {
        percentile: f64,
        frac: f64,
    },
}

/// YCSB's defaults for `exponential`: 95 % of draws within the last
/// 0.8571428571 (6/7) of the records.
pub const EXPONENTIAL_PERCENTILE: f64 = 95.0;
pub const EXPONENTIAL_FRAC: f64 = 0.8571428571;
pub const EXPONENTIAL: Popularity = Popularity::Exponential {
    percentile: EXPONENTIAL_PERCENTILE,
    frac: EXPONENTIAL_FRAC,
};

impl Default for Popularity {
    /// `zipf(0.99)`: the YCSB default skew.
    fn default() -> Self {
        Popularity::Zipf(0.99)
    }
}

impl fmt::Display for Popularity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Popularity::Uniform => f.write_str("uniform"),
            Popularity::Sequential => f.write_str("sequential"),
            Popularity::ScrambledZipf => f.write_str("scrambled_zipf"),
            Popularity::Latest(s) => write!(f, "latest({s})"),
            Popularity::Zipf(s) => write!(f, "zipf({s})"),
            Popularity::Exponential { percentile, frac } => {
                write!(f, "exponential({percentile}, {frac})")
            }
            Popularity::Hotspot {
                hot_fraction,
                hot_share,
            } => write!(f, "hotspot({hot_fraction}, {hot_share})"),
        }
    }
}

impl FromStr for Popularity {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = "expected \"uniform\", \"zipf(s)\" with s ≥ 0, \
                     \"scrambled_zipf\" (YCSB's zipfian), \
                     \"hotspot(hot_fraction, hot_share)\" with both in (0, 1), \
                     \"latest(s)\" with s ≥ 0, \"exponential\" (YCSB's) or \
                     \"exponential(percentile, frac)\" with percentile in (0, 100) and frac \
                     in (0, 1], or \"sequential\"";
        let t = text.trim();
        match t {
            "uniform" => return Ok(Popularity::Uniform),
            "sequential" => return Ok(Popularity::Sequential),
            "scrambled_zipf" => return Ok(Popularity::ScrambledZipf),
            "exponential" => return Ok(EXPONENTIAL),
            _ => {}
        }
        let (name, args) = t
            .strip_suffix(')')
            .and_then(|t| t.split_once('('))
            .ok_or_else(|| format!("unknown popularity \"{text}\"; {usage}"))?;
        let nums: Result<Vec<f64>, _> = args.split(',').map(|a| a.trim().parse::<f64>()).collect();
        let nums = nums.map_err(|_| format!("\"{text}\": arguments must be numbers; {usage}"))?;
        match (name.trim(), nums.as_slice()) {
            ("zipf", [s]) if s.is_finite() && *s >= 0.0 && *s <= 100.0 => Ok(Popularity::Zipf(*s)),
            ("latest", [s]) if s.is_finite() && *s >= 0.0 && *s <= 100.0 => {
                Ok(Popularity::Latest(*s))
            }
            ("exponential", [p, f]) if *p > 0.0 && *p < 100.0 && *f > 0.0 && *f <= 1.0 => {
                Ok(Popularity::Exponential {
                    percentile: *p,
                    frac: *f,
                })
            }
            ("hotspot", [f, h]) if *f > 0.0 && *f < 1.0 && *h > 0.0 && *h < 1.0 => {
                Ok(Popularity::Hotspot {
                    hot_fraction: *f,
                    hot_share: *h,
                })
            }
            _ => Err(format!("invalid popularity \"{text}\"; {usage}")),
        }
    }
}

impl Serialize for Popularity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Popularity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Draws key ids in `0..keys` with a given popularity; O(1) per draw at any
/// key count (Zipf exact, from a table of the most popular ranks and
/// rejection past it, see [`ZipfTable`]).
#[derive(Clone, Debug)]
pub enum KeyChooser {
    Uniform {
        keys: u64,
    },
    Zipf {
        table: ZipfTable,
        keys: u64,
        s: f64,
    },
    Hotspot {
        hot: u64,
        keys: u64,
        hot_share: f64,
    },
    /// Draws a rank behind `head` from `rank`, then moves the head on.
    Latest {
        rank: Box<KeyChooser>,
        head: u64,
        keys: u64,
    },
    Sequential {
        next: u64,
        keys: u64,
    },
    ScrambledZipf {
        keys: u64,
    },
    /// Rank `⌊−ln U / gamma⌋` behind the last key, drawn again past the
    /// first.
    Exponential {
        gamma: f64,
        keys: u64,
    },
}

/// YCSB's scrambled zipfian (`ScrambledZipfianGenerator` over
/// `ZipfianGenerator`, Gray et al., SIGMOD 1994): constants as YCSB has them.
mod ycsb {
    /// Items the underlying Zipf ranks range over (`ITEM_COUNT`; the
    /// generator spans 0..=ITEM_COUNT).
    const ITEM_COUNT: u64 = 10_000_000_000;
    /// ζ(ITEM_COUNT, 0.99), precomputed by YCSB (`ZETAN`).
    const ZETAN: f64 = 26.469_028_201_783_02;
    const THETA: f64 = 0.99;

    /// A rank from Gray et al.'s approximate Zipf(0.99) for uniform `u` in
    /// [0, 1); rank 0 is the most popular.
    pub fn rank(u: f64) -> u64 {
        let items = (ITEM_COUNT + 1) as f64;
        let zeta2 = 1.0 + 0.5f64.powf(THETA);
        let alpha = 1.0 / (1.0 - THETA);
        let eta = (1.0 - (2.0 / items).powf(1.0 - THETA)) / (1.0 - zeta2 / ZETAN);
        let uz = u * ZETAN;
        if uz < 1.0 {
            0
        } else if uz < zeta2 {
            1
        } else {
            (items * (eta * u - eta + 1.0).powf(alpha)) as u64
        }
    }

    /// YCSB's `Utils.fnvhash64`: FNV over the value's 8 bytes, low byte
    /// first, as an absolute value (Java's `Math.abs`; the one value whose
    /// absolute value overflows folds as 2^63 here).
    pub fn fnvhash64(mut value: u64) -> u64 {
        let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
        for _ in 0..8 {
            hash ^= value & 0xff;
            hash = hash.wrapping_mul(1_099_511_628_211);
            value >>= 8;
        }
        (hash as i64).unsigned_abs()
    }
}

impl KeyChooser {
    pub fn new(popularity: Popularity, keys: u64) -> KeyChooser {
        match popularity {
            Popularity::Uniform => KeyChooser::Uniform { keys },
            Popularity::Sequential => KeyChooser::Sequential { next: 0, keys },
            Popularity::ScrambledZipf => KeyChooser::ScrambledZipf { keys },
            Popularity::Latest(s) => KeyChooser::Latest {
                rank: Box::new(KeyChooser::new(Popularity::Zipf(s), keys)),
                head: 0,
                keys,
            },
            Popularity::Exponential { percentile, frac } => KeyChooser::Exponential {
                gamma: -(1.0 - percentile / 100.0).ln() / (keys as f64 * frac),
                keys,
            },
            Popularity::Zipf(0.0) => KeyChooser::Uniform { keys },
            Popularity::Zipf(s) => KeyChooser::Zipf {
                table: ZipfTable::new(keys, s),
                keys,
                s,
            },
            Popularity::Hotspot {
                hot_fraction,
                hot_share,
            } => {
                let hot = ((keys as f64 * hot_fraction).round() as u64).clamp(1, keys);
                KeyChooser::Hotspot {
                    hot,
                    keys,
                    hot_share,
                }
            }
        }
    }

    /// Probability that the next draw returns `key` (used by analytic
    /// checks; for `latest` and `sequential` it moves with every draw).
    /// `None` for `scrambled_zipf`, whose per-key mass sums over 10^10
    /// hashed ranks: estimate it by sampling.
    pub fn probability(&self, key: u64) -> Option<f64> {
        Some(match self {
            KeyChooser::ScrambledZipf { .. } => return None,
            KeyChooser::Sequential { next, .. } => f64::from(u8::from(key == *next)),
            KeyChooser::Latest { rank, head, keys } => {
                return rank.probability((head + keys - key % keys) % keys);
            }
            KeyChooser::Uniform { keys } => 1.0 / *keys as f64,
            KeyChooser::Exponential { gamma, keys } => {
                let r = (keys - 1 - key) as f64;
                let mass = |r: f64| (-gamma * r).exp();
                (mass(r) - mass(r + 1.0)) / (1.0 - mass(*keys as f64))
            }
            KeyChooser::Zipf { keys, s, .. } => {
                // O(keys) normaliser: meant for analytic checks, not the hot path.
                let h: f64 = (1..=*keys).map(|r| (r as f64).powf(-s)).sum();
                ((key + 1) as f64).powf(-s) / h
            }
            KeyChooser::Hotspot {
                hot,
                keys,
                hot_share,
            } => {
                if key < *hot {
                    hot_share / *hot as f64
                } else if keys > hot {
                    (1.0 - hot_share) / (keys - hot) as f64
                } else {
                    0.0
                }
            }
        })
    }

    #[inline]
    pub fn sample<R: Rng + ?Sized>(&mut self, rng: &mut R) -> u64 {
        match self {
            KeyChooser::Sequential { next, keys } => {
                let key = *next;
                *next = (key + 1) % *keys;
                key
            }
            KeyChooser::Latest { rank, head, keys } => {
                let behind = rank.sample(rng);
                let key = (*head + *keys - behind) % *keys;
                *head = (*head + 1) % *keys;
                key
            }
            KeyChooser::Uniform { keys } => rng.random_range(0..*keys),
            KeyChooser::Exponential { gamma, keys } => loop {
                let u: f64 = rng.random();
                let rank = (-(1.0 - u).ln() / *gamma) as u64;
                if rank < *keys {
                    break *keys - 1 - rank;
                }
            },
            KeyChooser::ScrambledZipf { keys } => {
                ycsb::fnvhash64(ycsb::rank(rng.random::<f64>())) % *keys
            }
            KeyChooser::Zipf { table, .. } => table.sample(rng),
            KeyChooser::Hotspot {
                hot,
                keys,
                hot_share,
            } => {
                if hot == keys || rng.random_bool(*hot_share) {
                    rng.random_range(0..*hot)
                } else {
                    rng.random_range(*hot..*keys)
                }
            }
        }
    }
}

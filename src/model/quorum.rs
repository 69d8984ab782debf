//! Sloppy quorums for a leaderless, quorum-replicated store: which replicas
//! a write is sent to, and when the replicas it skipped learn of it.
//!
//! Under `propagate = "all"` (Dynamo with every replica up) a write is sent
//! to all `n` replicas at once and succeeds at the `w`-th acknowledgement.
//! Under `"quorum"` it is sent to `w` replicas chosen uniformly at random per
//! write and succeeds when all of them acknowledge; each of the other
//! `n − w` learns of it by hinted handoff or anti-entropy, a `handoff` delay
//! after the write was sent — or never, with `handoff = "off"`. With
//! propagation off this is the model of Bailis et al., "Probabilistically
//! Bounded Staleness for Practical Partial Quorums" (PVLDB 5(8), 2012): a
//! read of `r` replicas returns one of the last `k` versions with
//! probability 1 − (C(n − w, r) / C(n, r))^k.

use std::fmt;

use rand::RngExt;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::dist::Dist;
use crate::sim::{SimDuration, SimRng};

/// How a write reaches its replicas (`docstore.propagate`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Propagate {
    /// To all `n` replicas at once; it succeeds at the `w`-th
    /// acknowledgement. The default.
    #[default]
    All,
    /// To `w` replicas chosen at random per write; the others learn of it
    /// after the handoff delay.
    Quorum,
}

impl Propagate {
    /// Whether this is the default, "all" (a resolved scenario leaves it
    /// out, so scenarios written before sloppy quorums keep their hash).
    pub fn is_all(&self) -> bool {
        *self == Propagate::All
    }
}

/// When a replica a write skipped learns of it (`docstore.handoff`),
/// counted from the write's send: a delay distribution, or never (`"off"`,
/// an infinite delay). The distribution is boxed to keep the architecture
/// configs, which hold one, small.
#[derive(Clone, Debug, PartialEq)]
pub enum Handoff {
    After(Box<Dist>),
    Off,
}

impl Handoff {
    /// The default: uniform over 0 to 10 s, an estimate. A hint waits for
    /// the next dispatch round: Cassandra's hint service looks for hints to
    /// deliver every 10 s (`HintsService.startDispatch`), so a hint written
    /// at a random instant goes out within 10 s when its replica is up.
    pub fn estimate() -> Handoff {
        Handoff::After(Box::new(
            Dist::parse("uniform(0s, 10s)").expect("valid default"),
        ))
    }
}

impl Handoff {
    /// Whether this is the default delay (left out of a resolved scenario,
    /// like `propagate = "all"`).
    pub fn is_estimate(&self) -> bool {
        *self == Handoff::estimate()
    }
}

impl Default for Handoff {
    fn default() -> Self {
        Handoff::estimate()
    }
}

impl fmt::Display for Handoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Handoff::After(d) => d.fmt(f),
            Handoff::Off => f.write_str("off"),
        }
    }
}

impl Serialize for Handoff {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Handoff {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text.trim() == "off" {
            return Ok(Handoff::Off);
        }
        Dist::parse(&text)
            .map(|d| Handoff::After(Box::new(d)))
            .map_err(|e| {
                serde::de::Error::custom(format!(
                    "expected \"off\" or a delay distribution such as \"uniform(0s, 10s)\": {e}"
                ))
            })
    }
}

/// Where each write of a store goes: the replicas it is sent to and the
/// handoff delays of the others, each drawn from a stream of its own so
/// that the store's leg delays are the same draws whatever the placement.
pub struct Placement {
    propagate: Propagate,
    handoff: Handoff,
    /// Which `w` replicas a write is sent to under "quorum".
    choice: SimRng,
    /// The handoff delays.
    delays: SimRng,
}

/// A set of replicas, bit `i` for replica `i` (at most 32).
pub type Replicas = u32;

impl Placement {
    pub fn new(
        propagate: Propagate,
        handoff: Handoff,
        choice: SimRng,
        delays: SimRng,
    ) -> Placement {
        Placement {
            propagate,
            handoff,
            choice,
            delays,
        }
    }

    pub fn propagate(&self) -> Propagate {
        self.propagate
    }

    /// The replicas of `n` a new write is sent to now, for a write quorum
    /// of `w`: all of them, or `w` drawn uniformly without replacement.
    /// Draws nothing under "all".
    pub fn targets(&mut self, n: usize, w: usize) -> Replicas {
        debug_assert!(w <= n && n <= 32);
        let all = if n == 32 { u32::MAX } else { (1 << n) - 1 };
        if self.propagate == Propagate::All || w >= n {
            return all;
        }
        // A partial Fisher–Yates shuffle: the first w places of a random
        // permutation of the replicas.
        let mut order: [u8; 32] = std::array::from_fn(|i| i as u8);
        let mut chosen = 0;
        for i in 0..w {
            let j = self.choice.random_range(i..n);
            order.swap(i, j);
            chosen |= 1 << order[i];
        }
        chosen
    }

    /// When a replica the write skipped learns of it, after the write's
    /// send; `None` when propagation is off.
    pub fn handoff(&mut self) -> Option<SimDuration> {
        match &self.handoff {
            Handoff::After(d) => Some(d.sample(&mut self.delays)),
            Handoff::Off => None,
        }
    }

    /// How writes reach the replicas, for the footprint's sync path.
    pub fn describe(&self, n: usize, w: u16) -> String {
        match (self.propagate, &self.handoff) {
            (Propagate::All, _) => {
                format!("leaderless: the client writes all {n}, waits for w = {w}")
            }
            (Propagate::Quorum, Handoff::Off) => format!(
                "sloppy quorum: the client writes {w} of {n} at random; the others never learn \
                 of it"
            ),
            (Propagate::Quorum, Handoff::After(d)) => format!(
                "sloppy quorum: the client writes {w} of {n} at random; the others learn of it \
                 by hinted handoff after {d}"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Streams;

    fn placement(propagate: Propagate) -> Placement {
        let s = Streams::new(3, 0);
        Placement::new(
            propagate,
            Handoff::Off,
            s.stream("choice"),
            s.stream("delays"),
        )
    }

    #[test]
    fn all_sends_to_every_replica() {
        assert_eq!(placement(Propagate::All).targets(3, 1), 0b111);
    }

    #[test]
    fn quorum_sends_to_w_replicas_each_equally_often() {
        let mut p = placement(Propagate::Quorum);
        let mut hits = [0u32; 5];
        let draws = 50_000;
        for _ in 0..draws {
            let t = p.targets(5, 2);
            assert_eq!(t.count_ones(), 2);
            assert_eq!(t >> 5, 0);
            for (i, h) in hits.iter_mut().enumerate() {
                *h += (t >> i) & 1;
            }
        }
        // Each replica is in a write quorum with probability w/n = 0.4.
        for h in hits {
            let share = f64::from(h) / f64::from(draws);
            assert!((share - 0.4).abs() < 0.01, "share {share}");
        }
    }

    #[test]
    fn handoff_reads_off_or_a_distribution() {
        let off: Handoff = serde_json::from_str("\"off\"").unwrap();
        assert_eq!(off, Handoff::Off);
        let d: Handoff = serde_json::from_str("\"exp(1s)\"").unwrap();
        assert_eq!(d.to_string(), "exp(1s)");
        let bad = serde_json::from_str::<Handoff>("\"soon\"").unwrap_err();
        assert!(bad.to_string().contains("expected \"off\""), "{bad}");
    }
}

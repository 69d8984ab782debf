//! `warmup`: simulated time before measurement starts — a duration, or
//! `"auto"`: a pilot run of each architecture without warm-up, whose
//! completions' latencies MSER-5 truncates (see `metrics::BatchMeans`); the
//! longest truncation of the architectures is the warm-up of all of them,
//! so every architecture is measured over the same window.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::sim::SimDuration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Warmup {
    Fixed(SimDuration),
    Auto,
}

impl Warmup {
    /// The warm-up's length; zero while `auto` is not yet resolved.
    pub fn duration(self) -> SimDuration {
        match self {
            Warmup::Fixed(d) => d,
            Warmup::Auto => SimDuration::ZERO,
        }
    }
}

impl fmt::Display for Warmup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warmup::Fixed(d) => write!(f, "{d}"),
            Warmup::Auto => f.write_str("auto"),
        }
    }
}

impl Serialize for Warmup {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Warmup::Fixed(d) => d.serialize(s),
            Warmup::Auto => s.serialize_str("auto"),
        }
    }
}

impl<'de> Deserialize<'de> for Warmup {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text == "auto" {
            return Ok(Warmup::Auto);
        }
        text.parse().map(Warmup::Fixed).map_err(|e| {
            serde::de::Error::custom(format!(
                "{e}; or \"auto\" to pick it from a pilot run (MSER-5)"
            ))
        })
    }
}

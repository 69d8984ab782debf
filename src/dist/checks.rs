//! Range checks run while a scenario is deserialized, so a bad value is
//! reported with the line and column of that value.

use serde::de::{Deserialize, Deserializer, Error};

use crate::sim::SimDuration;

/// A finite number greater than zero.
pub fn positive_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(D::Error::custom(format!(
            "expected a number greater than 0, found {v}"
        )))
    }
}

/// A finite number that is zero or more.
pub fn non_negative_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(D::Error::custom(format!(
            "expected a number of 0 or more, found {v}"
        )))
    }
}

/// A coefficient of the Universal Scalability Law: 0 to 1 (σ = 1 is a
/// station whose every core waits for one; κ beyond 1 makes two cores
/// slower than one).
pub fn usl_coefficient<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(D::Error::custom(format!(
            "expected a coefficient from 0 (cores scale linearly) to 1, found {v}"
        )))
    }
}

/// A probability or share, in [0, 1].
pub fn unit_interval<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(D::Error::custom(format!(
            "expected a share between 0 and 1, found {v}"
        )))
    }
}

/// A duration longer than zero.
pub fn positive_duration<'de, D: Deserializer<'de>>(d: D) -> Result<SimDuration, D::Error> {
    let v = SimDuration::deserialize(d)?;
    if v.is_zero() {
        Err(D::Error::custom("expected a duration longer than 0"))
    } else {
        Ok(v)
    }
}

/// The shortest client timeout: below it the engine's deadline scans (one
/// every half timeout) outnumber the operations, and a run of seconds takes
/// hours; and no request waits less than a round trip in a data centre.
pub const MIN_TIMEOUT: SimDuration = SimDuration::from_micros(100);

/// A client timeout: at least [`MIN_TIMEOUT`].
pub fn client_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<SimDuration, D::Error> {
    let v = SimDuration::deserialize(d)?;
    if v < MIN_TIMEOUT {
        Err(D::Error::custom(format!(
            "expected a timeout of at least {MIN_TIMEOUT} (no request answers faster than a \
             network round trip, and shorter timeouts make the run crawl), found {v}"
        )))
    } else {
        Ok(v)
    }
}

/// The largest initial balance, stock or transfer amount: with the most
/// keys a scenario may have, the bank's total still fits in 64 bits.
pub const MAX_ENTITY_VALUE: i64 = 1_000_000_000;

/// An initial balance or stock: 0 to [`MAX_ENTITY_VALUE`]. A negative one
/// would be reported as an invariant violation the input made, not the
/// architecture.
pub fn entity_value<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let v = i64::deserialize(d)?;
    if (0..=MAX_ENTITY_VALUE).contains(&v) {
        Ok(v)
    } else {
        Err(D::Error::custom(format!(
            "expected a value from 0 to {MAX_ENTITY_VALUE} (negative ones would be counted as \
             violations the architecture did not cause; larger ones overflow the totals), \
             found {v}"
        )))
    }
}

/// Most keys a scenario may have: key ids travel in 32 bits inside events.
pub const MAX_KEYS: i64 = 4_000_000_000;

/// A key count from 1 to `MAX_KEYS`.
pub fn key_count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = i64::deserialize(d)?;
    if (1..=MAX_KEYS).contains(&v) {
        Ok(v as u64)
    } else {
        Err(D::Error::custom(format!(
            "expected a key count from 1 to {MAX_KEYS}, found {v}"
        )))
    }
}

/// A whole number from 1 to `u32::MAX` (cores, sessions, replications).
pub fn at_least_one_u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    u32_in(d, 1..=i64::from(u32::MAX), |v| {
        format!("expected a whole number of at least 1, found {v}")
    })
}

/// An optional bound on retries: a whole number from 0 to `u32::MAX`.
pub fn optional_retry_bound<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    u32_in(d, 0..=i64::from(u32::MAX), |v| {
        format!("expected a whole number of retries, 0 or more, found {v}")
    })
    .map(Some)
}

/// Most shards or cache nodes one architecture may have: beyond it a
/// results table is unreadable and shard ids leave their 16-bit range.
pub const MAX_NODES: u32 = 10_000;

/// A count of shards or nodes: 1 to [`MAX_NODES`].
pub fn node_count<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = i64::deserialize(d)?;
    node_count_of(v).map_err(D::Error::custom)
}

/// An optional count of shards or nodes.
pub fn optional_node_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    node_count(d).map(Some)
}

pub fn node_count_of(v: i64) -> Result<u32, String> {
    if (1..=i64::from(MAX_NODES)).contains(&v) {
        Ok(v as u32)
    } else {
        Err(format!("expected from 1 to {MAX_NODES}, found {v}"))
    }
}

/// A whole number in `range`; outside it, the error `refusal(found)`.
pub fn u32_in<'de, D: Deserializer<'de>>(
    d: D,
    range: std::ops::RangeInclusive<i64>,
    refusal: impl FnOnce(i64) -> String,
) -> Result<u32, D::Error> {
    let v = i64::deserialize(d)?;
    if range.contains(&v) {
        Ok(v as u32)
    } else {
        Err(D::Error::custom(refusal(v)))
    }
}

/// Most cores one server may have (the largest machines have a few hundred).
pub const MAX_CORES: i64 = 1024;

/// A core count from 1 to `MAX_CORES`.
pub fn core_count<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    u32_in(d, 1..=MAX_CORES, |v| {
        format!("expected a number of cores from 1 to {MAX_CORES}, found {v}")
    })
}

pub fn optional_core_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    core_count(d).map(Some)
}

/// A read-replica count from 0 to 16.
pub fn read_replica_count<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    u32_in(d, 0..=16, |v| {
        format!("expected a number of replicas from 0 to 16, found {v}")
    })
}

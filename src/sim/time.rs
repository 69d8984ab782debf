//! Simulated time: integer nanoseconds, so that event order never depends on
//! floating-point rounding and a run replays bit for bit.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant of simulated time, in nanoseconds since the start of the run
/// (warm-up included).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

/// Far enough to mean "until the end of the run", near enough that adding a
/// delay to it cannot overflow.
pub const FOREVER: SimTime = SimTime(1 << 62);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub fn as_nanos(self) -> u64 {
        self.0
    }

    /// Time elapsed since `earlier`; zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);

    pub const fn from_nanos(ns: u64) -> Self {
        SimDuration(ns)
    }
    pub const fn from_micros(us: u64) -> Self {
        SimDuration(us * 1_000)
    }
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms * 1_000_000)
    }
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * 1_000_000_000)
    }
    pub fn as_nanos(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

/// `later - earlier` where `earlier` cannot be later: a negative span is a
/// bug in the model, caught by the test profile's debug assertions. Use
/// [`SimTime::since`] where an earlier instant may legitimately be later.
impl Sub for SimTime {
    type Output = SimDuration;
    fn sub(self, earlier: SimTime) -> SimDuration {
        debug_assert!(
            earlier <= self,
            "negative time span: {earlier:?} is after {self:?}"
        );
        self.since(earlier)
    }
}

/// Units accepted in duration strings, with their length in nanoseconds.
pub const UNITS: &[(&str, f64)] = &[
    ("ns", 1.0),
    ("us", 1e3),
    ("µs", 1e3),
    ("ms", 1e6),
    ("s", 1e9),
    ("m", 60e9),
    ("h", 3600e9),
];

/// Why a duration string was rejected; `at` is the byte offset of the culprit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct DurationError {
    pub message: String,
    pub at: usize,
}

/// Parses `"250us"`, `"1.5ms"`, `"2s"`, `"1m"` into (possibly fractional)
/// nanoseconds. A unit is required: a bare number is ambiguous.
pub fn parse_nanos(text: &str) -> Result<f64, DurationError> {
    let t = text.trim_end();
    let lead = t.len() - t.trim_start().len();
    let t = t.trim_start();
    let split = t
        .char_indices()
        .find(|&(i, c)| {
            let exponent_sign =
                (c == '-' || c == '+') && i > 0 && matches!(t.as_bytes()[i - 1], b'e' | b'E');
            !(c.is_ascii_digit() || c == '.' || c == '_' || c == 'e' || c == 'E' || exponent_sign)
        })
        .map_or(t.len(), |(i, _)| i);
    // "1e3ms" is fine, but an exponent marker must not swallow a unit's first letter.
    let (num, unit) = t.split_at(split);
    if num.is_empty() {
        return Err(DurationError {
            message: format!("expected a duration such as \"2ms\", found \"{t}\""),
            at: lead,
        });
    }
    let value: f64 = num.replace('_', "").parse().map_err(|_| DurationError {
        message: format!("\"{num}\" is not a number"),
        at: lead,
    })?;
    if unit.is_empty() {
        return Err(DurationError {
            message: format!(
                "\"{num}\" has no unit; write it with one of ns, us, ms, s, m, h (for example \"{num}ms\")"
            ),
            at: lead + num.len(),
        });
    }
    let scale = UNITS
        .iter()
        .find(|(u, _)| *u == unit)
        .map(|(_, s)| *s)
        .ok_or_else(|| DurationError {
            message: format!("unknown time unit \"{unit}\"; expected one of ns, us, ms, s, m, h"),
            at: lead + num.len(),
        })?;
    let ns = value * scale;
    if !ns.is_finite() || ns < 0.0 {
        return Err(DurationError {
            message: format!("duration \"{t}\" is out of range"),
            at: lead,
        });
    }
    if ns > MAX_DURATION_NS {
        return Err(DurationError {
            message: format!(
                "duration \"{t}\" is longer than the 365 days any simulated time may last"
            ),
            at: lead,
        });
    }
    Ok(ns)
}

/// The longest duration a scenario may name: a year of simulated time.
pub const MAX_DURATION_NS: f64 = 365.0 * 86_400.0 * 1e9;

/// Formats nanoseconds in the largest unit that keeps the figure short and
/// exact (`1500000` → `"1.5ms"`), so that a formatted value parses back to
/// itself.
pub fn format_nanos(ns: f64) -> String {
    if ns == 0.0 {
        return "0s".to_string();
    }
    for (unit, scale) in [
        ("h", 3600e9),
        ("m", 60e9),
        ("s", 1e9),
        ("ms", 1e6),
        ("us", 1e3),
    ] {
        let v = ns / scale;
        if v >= 1.0 {
            let rounded = (v * 1e6).round() / 1e6;
            if (rounded * scale - ns).abs() <= 1e-6 * ns.abs().max(1.0)
                && (unit != "h" && unit != "m" || v.fract() == 0.0)
            {
                return format!("{}{unit}", rounded);
            }
        }
    }
    format!("{}ns", (ns * 1e3).round() / 1e3)
}

/// Nearest whole nanosecond of a non-negative duration (saturating). Cheaper
/// than `f64::round`, which is a library call on baseline x86-64; halves
/// round up.
#[inline]
pub fn nearest_nanos(ns: f64) -> u64 {
    (ns + 0.5) as u64
}

impl FromStr for SimDuration {
    type Err = DurationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The clock ticks in whole nanoseconds; finer fractions are rounded.
        Ok(SimDuration(nearest_nanos(parse_nanos(s)?)))
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_nanos(self.0 as f64))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}", format_nanos(self.0 as f64))
    }
}

impl Serialize for SimDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for SimDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs under the test profile (`--profile checked`), whose debug
    /// assertions are on.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "negative time span")]
    fn a_negative_span_is_a_bug() {
        let _ = SimTime(1) - SimTime(2);
    }

    #[test]
    fn parses_units() {
        assert_eq!(
            "250us".parse::<SimDuration>().unwrap(),
            SimDuration(250_000)
        );
        assert_eq!(
            "1.5ms".parse::<SimDuration>().unwrap(),
            SimDuration(1_500_000)
        );
        assert_eq!(
            "2s".parse::<SimDuration>().unwrap(),
            SimDuration::from_secs(2)
        );
        assert_eq!(
            "1m".parse::<SimDuration>().unwrap(),
            SimDuration::from_secs(60)
        );
        assert_eq!("0s".parse::<SimDuration>().unwrap(), SimDuration::ZERO);
    }

    #[test]
    fn rejects_missing_and_unknown_units() {
        let e = "5".parse::<SimDuration>().unwrap_err();
        assert!(e.message.contains("no unit"), "{e}");
        assert_eq!(e.at, 1);
        let e = "5mz".parse::<SimDuration>().unwrap_err();
        assert!(e.message.contains("unknown time unit \"mz\""), "{e}");
        assert!("-5ms".parse::<SimDuration>().is_err());
    }

    #[test]
    fn formats_round_trip() {
        for ns in [
            1u64,
            999,
            1_000,
            150_000,
            1_500_000,
            2_000_000_000,
            60_000_000_000,
            90_000_000_000,
        ] {
            let d = SimDuration(ns);
            assert_eq!(d.to_string().parse::<SimDuration>().unwrap(), d, "{d}");
        }
        assert_eq!(SimDuration(1_500_000).to_string(), "1.5ms");
        assert_eq!(SimDuration(90_000_000_000).to_string(), "90s");
    }
}

//! Sizes in bytes, as scenarios and `archsim init` write them: "50GB",
//! "1KB", "512MiB", "1000" (bytes). KB, MB, GB and TB are powers of 1000;
//! KiB, MiB, GiB and TiB powers of 1024. One parser for every field that
//! takes a size (`workload.working_set`, `workload.row_size`,
//! `cache.memory`, `cache.entry_overhead`) and for `archsim init`'s flags.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Serialize, Serializer};

/// A size in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Bytes(pub u64);

/// The largest size taken: 10^18 bytes (an exabyte).
const MAX_BYTES: f64 = 1e18;

/// Reads a size: a number, then an optional unit (B, KB, MB, GB, TB, KiB,
/// MiB, GiB, TiB; case-insensitive, a space allowed before it).
pub fn bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let num: f64 = num.replace('_', "").parse().map_err(|_| {
        format!("\"{text}\" is not a size; write a number and a unit, e.g. 50GB, 1KB or 512MiB")
    })?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "tb" | "t" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "\"{text}\": unknown unit \"{other}\"; use B, KB, MB, GB, TB (powers of 1000) \
                 or KiB, MiB, GiB, TiB (powers of 1024)"
            ));
        }
    };
    let bytes = num * scale;
    if !bytes.is_finite() || bytes > MAX_BYTES {
        return Err(format!("\"{text}\" is too large a size"));
    }
    Ok(bytes.round() as u64)
}

/// A positive size (a row's).
pub fn row_size(text: &str) -> Result<u64, String> {
    match bytes(text)? {
        0 => Err(format!("\"{text}\": a row has at least 1 byte")),
        n => Ok(n),
    }
}

/// Bytes the way sizes are written: "50GB", "1.5KB", "999B" (powers of
/// 1000, to two decimals; exact only where that is round).
pub fn human(n: u64) -> String {
    for (unit, size) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)] {
        let v = n as f64 / size;
        if v >= 1.0 {
            let text = format!("{v:.2}");
            let text = text.trim_end_matches('0').trim_end_matches('.');
            return format!("{text}{unit}");
        }
    }
    format!("{n}B")
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Exact: a size written back reads as the same number of bytes.
        if bytes(&human(self.0)) == Ok(self.0) {
            f.write_str(&human(self.0))
        } else {
            write!(f, "{}B", self.0)
        }
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// A size field: `what` names what a plain number would have been, for the
/// message ("a whole number of keys").
pub fn size_or<'de, D: Deserializer<'de>>(d: D, instead: &'static str) -> Result<Bytes, D::Error> {
    struct Size(&'static str);
    impl Visitor<'_> for Size {
        type Value = Bytes;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a size like \"50GB\"{}", self.0)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Bytes, E> {
            bytes(v).map(Bytes).map_err(|why| {
                E::custom(format!(
                    "expected a size like \"50GB\"{}; found {why}",
                    self.0
                ))
            })
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Bytes, E> {
            Err(E::custom(format!(
                "expected a size like \"50GB\" (a quoted number with a unit){}; found {v}",
                self.0
            )))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Bytes, E> {
            self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Bytes, E> {
            Err(E::custom(format!(
                "expected a size like \"50GB\"{}; found {v}",
                self.0
            )))
        }
    }
    d.deserialize_any(Size(instead))
}

/// `workload.working_set`.
pub fn working_set<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Bytes>, D::Error> {
    size_or(d, " or, as `keys`, a whole number of keys").map(Some)
}

/// `cache.memory`.
pub fn cache_memory<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Bytes>, D::Error> {
    size_or(d, " or, as `capacity`, a whole number of entries").map(Some)
}

/// A positive size (`workload.row_size`).
pub fn positive_size<'de, D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
    let b = size_or(d, "")?;
    if b.0 == 0 {
        return Err(de::Error::custom(
            "expected a size of at least 1 byte, found 0",
        ));
    }
    Ok(b)
}

/// A size, zero allowed (`cache.entry_overhead`).
pub fn any_size<'de, D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
    size_or(d, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(bytes("50GB"), Ok(50_000_000_000));
        assert_eq!(bytes("1 KB"), Ok(1000));
        assert_eq!(bytes("1KiB"), Ok(1024));
        assert_eq!(bytes("1.5mb"), Ok(1_500_000));
        assert_eq!(bytes("4096"), Ok(4096));
        assert!(bytes("lots").is_err());
        assert!(bytes("3 parsecs").is_err());
        assert!(row_size("0").is_err());
        assert_eq!(human(50_000_000_000), "50GB");
        assert_eq!(human(1000), "1KB");
        assert_eq!(Bytes(1024).to_string(), "1024B");
        assert_eq!(Bytes(10_000_000_000).to_string(), "10GB");
    }
}

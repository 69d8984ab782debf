//! YCSB's core workloads in archsim's terms: the `[workload] ycsb` presets
//! (workloads A to F) and YCSB `.properties` files with `-p` overrides, as
//! `archsim run --ycsb FILE -p key=value` reads them.
//!
//! YCSB's operations map onto archsim's: read → `get`, update → `put`,
//! readmodifywrite → `rmw`, insert → `insert` (a `put` of the next new key:
//! the key space grows, see `workload::Growth`), scan → `scan` (a range read
//! of consecutive keys, routed as a `multi_get`); `requestdistribution` =
//! zipfian → `scrambled_zipf` (YCSB's own generator, exactly), uniform →
//! `uniform`, hotspot → `hotspot(hotspotdatafraction, hotspotopnfraction)`,
//! latest → `latest(0.99)` (with inserts, YCSB's `SkewedLatestGenerator`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{OpKind, Popularity};
use crate::sim::SimDuration;

use super::config::{MAX_SCAN_LENGTH, ScanLengths};

/// A YCSB core workload archsim can run (`[workload] ycsb = "a"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// Update heavy: read 0.5, update 0.5.
    A,
    /// Read mostly: read 0.95, update 0.05.
    B,
    /// Read only: read 1.0.
    C,
    /// Read latest: read 0.95, insert 0.05, reads of the newest records
    /// (`requestdistribution=latest`).
    D,
    /// Short ranges: scan 0.95 (1 to 100 records, uniform), insert 0.05.
    E,
    /// Read-modify-write: read 0.5, readmodifywrite 0.5.
    F,
}

impl Preset {
    pub const ALL: [Preset; 6] = [
        Preset::A,
        Preset::B,
        Preset::C,
        Preset::D,
        Preset::E,
        Preset::F,
    ];

    pub fn letter(self) -> &'static str {
        match self {
            Preset::A => "a",
            Preset::B => "b",
            Preset::C => "c",
            Preset::D => "d",
            Preset::E => "e",
            Preset::F => "f",
        }
    }

    /// The operation shares of the workload, in archsim's kinds.
    pub fn mix(self) -> BTreeMap<OpKind, f64> {
        let shares: &[(OpKind, f64)] = match self {
            Preset::A => &[(OpKind::Get, 0.5), (OpKind::Put, 0.5)],
            Preset::B => &[(OpKind::Get, 0.95), (OpKind::Put, 0.05)],
            Preset::C => &[(OpKind::Get, 1.0)],
            Preset::D => &[(OpKind::Get, 0.95), (OpKind::Insert, 0.05)],
            Preset::E => &[(OpKind::Scan, 0.95), (OpKind::Insert, 0.05)],
            Preset::F => &[(OpKind::Get, 0.5), (OpKind::Rmw, 0.5)],
        };
        shares.iter().copied().collect()
    }

    /// D reads with `requestdistribution=latest`, the others with zipfian.
    pub fn popularity(self) -> Popularity {
        match self {
            Preset::D => Popularity::Latest(0.99),
            _ => Popularity::ScrambledZipf,
        }
    }

    /// The workload fields the preset sets (as scenario paths), which a
    /// scenario must not also write: the mix and the popularity, and for F
    /// `entities.counters` (as many counters, the keys of `rmw`, as plain
    /// keys).
    pub fn fields(self) -> &'static [&'static [&'static str]] {
        match self {
            Preset::F => &[
                &["workload", "mix"],
                &["workload", "popularity"],
                &["workload", "entities", "counters"],
            ],
            _ => &[&["workload", "mix"], &["workload", "popularity"]],
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.letter())
    }
}

impl std::str::FromStr for Preset {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "a" => Ok(Preset::A),
            "b" => Ok(Preset::B),
            "c" => Ok(Preset::C),
            "d" => Ok(Preset::D),
            "e" => Ok(Preset::E),
            "f" => Ok(Preset::F),
            _ => Err(format!(
                "unknown YCSB workload \"{text}\"; expected \"a\", \"b\", \"c\", \"d\", \"e\" \
                 or \"f\""
            )),
        }
    }
}

impl Serialize for Preset {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.letter())
    }
}

impl<'de> Deserialize<'de> for Preset {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A YCSB properties file that cannot be read or used.
#[derive(Debug, thiserror::Error)]
pub enum YcsbError {
    #[error("cannot read YCSB properties {}: {cause}; check the path (YCSB's are workloads/workloada …)", path.display())]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(
        "YCSB properties {} are larger than {} KiB; a workload file is a few lines — is it the \
         right file?",
        path.display(),
        MAX_BYTES / 1024
    )]
    TooLarge { path: PathBuf },
    /// `place` is `file:line` or `-p key=value`.
    #[error("{place}: {message}")]
    At { place: String, message: String },
}

/// The most records: `workload.keys`'s bound.
const MAX_RECORDS: u64 = 4_000_000_000;

/// The largest properties file read.
pub const MAX_BYTES: u64 = 1 << 20;

/// Properties archsim maps onto a scenario.
const READ: [&str; 16] = [
    "recordcount",
    "operationcount",
    "maxexecutiontime",
    "target",
    "readproportion",
    "updateproportion",
    "insertproportion",
    "scanproportion",
    "readmodifywriteproportion",
    "requestdistribution",
    "hotspotdatafraction",
    "hotspotopnfraction",
    "exponential.percentile",
    "exponential.frac",
    "maxscanlength",
    "scanlengthdistribution",
];

/// YCSB properties that change nothing archsim simulates (record layout,
/// client threads, measurement, load-phase order): accepted and not used.
const NOT_MODELED: [&str; 21] = [
    "workload",
    "db",
    "fieldcount",
    "fieldlength",
    "minfieldlength",
    "fieldlengthdistribution",
    "fieldnameprefix",
    "readallfields",
    "readallfieldsbyname",
    "writeallfields",
    "dataintegrity",
    "insertorder",
    "insertstart",
    "insertcount",
    "zeropadding",
    "threadcount",
    "measurementtype",
    "histogram.buckets",
    "exporter",
    "exportfile",
    "table",
];

/// One property with where it was set.
#[derive(Clone, Debug, PartialEq)]
struct Entry {
    value: String,
    place: String,
}

/// A YCSB workload file and `-p` overrides: later settings win, as in YCSB.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Properties {
    entries: BTreeMap<String, Entry>,
}

impl Properties {
    /// Reads a properties file (`key=value`, `key: value` or `key value`
    /// lines; `#` and `!` comments; `\` continues a line).
    pub fn read(path: &Path) -> Result<Properties, YcsbError> {
        use std::io::Read as _;
        let read = |cause| YcsbError::Read {
            path: path.to_path_buf(),
            cause,
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_BYTES + 1).read_to_end(&mut bytes))
            .map_err(read)?;
        if bytes.len() as u64 > MAX_BYTES {
            return Err(YcsbError::TooLarge {
                path: path.to_path_buf(),
            });
        }
        let text = String::from_utf8(bytes)
            .map_err(|e| read(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        Properties::parse(&text, &path.display().to_string())
    }

    /// Parses properties text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Properties, YcsbError> {
        let mut props = Properties::default();
        let mut lines = text.lines().enumerate();
        while let Some((i, raw)) = lines.next() {
            let mut line = raw.trim_start().to_string();
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            // A line ending in an odd number of backslashes continues.
            while line.ends_with('\\') && (line.len() - line.trim_end_matches('\\').len()) % 2 == 1
            {
                line.pop();
                match lines.next() {
                    Some((_, next)) => line.push_str(next.trim_start()),
                    None => break,
                }
            }
            props.set_at(&line, format!("{origin}:{}", i + 1))?;
        }
        Ok(props)
    }

    /// Applies `-p key=value`.
    pub fn set(&mut self, arg: &str) -> Result<(), YcsbError> {
        if !arg.contains('=') {
            return Err(YcsbError::At {
                place: format!("-p {arg}"),
                message: "expected key=value, e.g. -p recordcount=100000".to_string(),
            });
        }
        self.set_at(arg, format!("-p {arg}"))
    }

    fn set_at(&mut self, line: &str, place: String) -> Result<(), YcsbError> {
        let split = line
            .find(|c: char| c == '=' || c == ':' || c.is_whitespace())
            .unwrap_or(line.len());
        let key = line[..split].trim();
        let mut rest = line[split..].trim_start();
        if let Some(r) = rest.strip_prefix(['=', ':']) {
            rest = r;
        }
        let value = rest.trim();
        let bad = |message: String| YcsbError::At {
            place: place.clone(),
            message,
        };
        if key.is_empty() {
            return Err(bad(
                "a property line is key=value; this one has no key".to_string()
            ));
        }
        let known = READ.contains(&key) || NOT_MODELED.contains(&key) || key.contains('.');
        if !known {
            let hint = READ
                .iter()
                .find(|k| k.eq_ignore_ascii_case(key))
                .map(|k| format!(" (property names are case-sensitive: \"{k}\")"))
                .unwrap_or_default();
            return Err(bad(format!(
                "unknown property \"{key}\"{hint}; archsim reads {} and accepts YCSB's record \
                 layout, client and measurement properties without using them — remove the \
                 line or correct its name",
                READ.join(", ")
            )));
        }
        if value.is_empty() && READ.contains(&key) {
            return Err(bad(format!(
                "\"{key}\" has no value; give one or remove the line"
            )));
        }
        self.entries.insert(
            key.to_string(),
            Entry {
                value: value.to_string(),
                place,
            },
        );
        Ok(())
    }

    fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// A number from a property, checked against `valid`.
    fn number<T: std::str::FromStr + Copy>(
        &self,
        key: &str,
        expected: &str,
        valid: impl Fn(T) -> bool,
    ) -> Result<Option<(T, &Entry)>, YcsbError> {
        let Some(e) = self.get(key) else {
            return Ok(None);
        };
        match e.value.parse::<T>() {
            Ok(v) if valid(v) => Ok(Some((v, e))),
            _ => Err(YcsbError::At {
                place: e.place.clone(),
                message: format!("{key} = \"{}\": expected {expected}", e.value),
            }),
        }
    }

    /// The workload these properties describe.
    pub fn workload(&self) -> Result<YcsbWorkload, YcsbError> {
        let share = |key: &str, default: f64| {
            self.number::<f64>(key, "a proportion from 0 to 1", |v| {
                (0.0..=1.0).contains(&v)
            })
            .map(|v| v.map_or((default, None), |(v, e)| (v, Some(e))))
        };
        let (read, _) = share("readproportion", 0.95)?;
        let (update, _) = share("updateproportion", 0.05)?;
        let (rmw, _) = share("readmodifywriteproportion", 0.0)?;
        let (insert, _) = share("insertproportion", 0.0)?;
        let (scan, _) = share("scanproportion", 0.0)?;
        let total = read + update + rmw + insert + scan;
        if total <= 0.0 {
            let place = [
                "readproportion",
                "updateproportion",
                "readmodifywriteproportion",
                "insertproportion",
                "scanproportion",
            ]
            .iter()
            .find_map(|k| self.get(k))
            .map_or_else(|| "the properties".to_string(), |e| e.place.clone());
            return Err(YcsbError::At {
                place,
                message: "readproportion, updateproportion, readmodifywriteproportion, \
                          insertproportion and scanproportion are all 0; give at least one a \
                          share"
                    .to_string(),
            });
        }
        // YCSB draws operations by weight: shares that do not sum to 1 are
        // scaled to.
        let mix: BTreeMap<OpKind, f64> = [
            (OpKind::Get, read),
            (OpKind::Put, update),
            (OpKind::Rmw, rmw),
            (OpKind::Insert, insert),
            (OpKind::Scan, scan),
        ]
        .into_iter()
        .filter(|(_, s)| *s > 0.0)
        .map(|(k, s)| (k, s / total))
        .collect();

        let fraction = |key: &str, default: f64| {
            self.number::<f64>(key, "a fraction strictly between 0 and 1", |v| {
                v > 0.0 && v < 1.0
            })
            .map(|v| v.map_or(default, |(v, _)| v))
        };
        let popularity = match self.get("requestdistribution") {
            None => Popularity::Uniform,
            Some(e) => match e.value.as_str() {
                "zipfian" => Popularity::ScrambledZipf,
                "uniform" => Popularity::Uniform,
                "latest" => Popularity::Latest(0.99),
                "hotspot" => Popularity::Hotspot {
                    hot_fraction: fraction("hotspotdatafraction", 0.2)?,
                    hot_share: fraction("hotspotopnfraction", 0.8)?,
                },
                "exponential" => {
                    let p = self.number::<f64>(
                        "exponential.percentile",
                        "a percentile strictly between 0 and 100",
                        |v| v > 0.0 && v < 100.0,
                    )?;
                    let f = self.number::<f64>(
                        "exponential.frac",
                        "a fraction of the records, more than 0 and at most 1",
                        |v| v > 0.0 && v <= 1.0,
                    )?;
                    use super::popularity::{EXPONENTIAL_FRAC, EXPONENTIAL_PERCENTILE};
                    Popularity::Exponential {
                        percentile: p.map_or(EXPONENTIAL_PERCENTILE, |(v, _)| v),
                        frac: f.map_or(EXPONENTIAL_FRAC, |(v, _)| v),
                    }
                }
                other => {
                    return Err(YcsbError::At {
                        place: e.place.clone(),
                        message: format!(
                            "requestdistribution = \"{other}\": expected zipfian, uniform, \
                             hotspot, latest or exponential"
                        ),
                    });
                }
            },
        };
        let scan_length = self
            .number::<u32>(
                "maxscanlength",
                &format!("a whole number of records from 1 to {MAX_SCAN_LENGTH}"),
                |v| (1..=MAX_SCAN_LENGTH).contains(&v),
            )?
            .map(|(v, _)| v);
        let scan_lengths = match self.get("scanlengthdistribution") {
            None => None,
            Some(e) => Some(match e.value.as_str() {
                "uniform" => ScanLengths::Uniform,
                "zipfian" => ScanLengths::Zipfian,
                other => {
                    return Err(YcsbError::At {
                        place: e.place.clone(),
                        message: format!(
                            "scanlengthdistribution = \"{other}\": expected uniform or zipfian"
                        ),
                    });
                }
            }),
        };
        let records = self
            .number::<u64>("recordcount", "a record count from 1 to 4000000000", |v| {
                (1..=MAX_RECORDS).contains(&v)
            })?
            .map(|(v, _)| v);
        let operations = self
            .number::<u64>("operationcount", "a whole number of operations", |_| true)?
            .map(|(v, _)| v)
            .filter(|v| *v > 0);
        let max_time = self
            .number::<u64>("maxexecutiontime", "a whole number of seconds", |_| true)?
            .map(|(v, _)| v)
            .filter(|v| *v > 0)
            .map(SimDuration::from_secs);
        let target = self
            .number::<f64>("target", "operations per second, 0 or more", |v| {
                v.is_finite() && v >= 0.0
            })?
            .map(|(v, _)| v)
            .filter(|v| *v > 0.0);
        Ok(YcsbWorkload {
            records,
            operations,
            max_time,
            target,
            mix,
            popularity,
            scan_length,
            scan_lengths,
        })
    }
}

/// A YCSB workload in archsim's terms.
#[derive(Clone, Debug, PartialEq)]
pub struct YcsbWorkload {
    /// `recordcount`: the keys.
    pub records: Option<u64>,
    /// `operationcount` (0 or absent: none).
    pub operations: Option<u64>,
    /// `maxexecutiontime`, in seconds (0 or absent: none).
    pub max_time: Option<SimDuration>,
    /// `target`: the open-loop rate (0 or absent: the scenario's rate).
    pub target: Option<f64>,
    pub mix: BTreeMap<OpKind, f64>,
    pub popularity: Popularity,
    /// `maxscanlength`: the longest scan (absent: archsim's default, 100).
    pub scan_length: Option<u32>,
    /// `scanlengthdistribution` (absent: uniform).
    pub scan_lengths: Option<ScanLengths>,
}

impl YcsbWorkload {
    /// The scenario fields these properties set, as `--set` paths and
    /// values, in order.
    pub fn fields(&self) -> Vec<(String, toml::Value)> {
        let mut out = Vec::new();
        if let Some(n) = self.records {
            out.push(("workload.keys".to_string(), toml::Value::Integer(n as i64)));
        }
        if let Some(rate) = self.target {
            out.push(("workload.rate".to_string(), toml::Value::Float(rate)));
        }
        let mix: toml::Table = self
            .mix
            .iter()
            .map(|(k, s)| (k.name().to_string(), toml::Value::Float(*s)))
            .collect();
        out.push(("workload.mix".to_string(), toml::Value::Table(mix)));
        out.push((
            "workload.popularity".to_string(),
            toml::Value::String(self.popularity.to_string()),
        ));
        if let Some(n) = self.scan_length {
            out.push((
                "workload.scan_length".to_string(),
                toml::Value::Integer(i64::from(n)),
            ));
        }
        if let Some(d) = self.scan_lengths {
            let name = match d {
                ScanLengths::Uniform => "uniform",
                ScanLengths::Zipfian => "zipfian",
            };
            out.push((
                "workload.scan_lengths".to_string(),
                toml::Value::String(name.to_string()),
            ));
        }
        out
    }

    /// The measured duration at `rate`: `operationcount` operations, or
    /// `maxexecutiontime`, whichever ends first; `None` when neither is set.
    pub fn duration(&self, rate: f64) -> Option<SimDuration> {
        let by_count = self.operations.map(|n| {
            // Whole milliseconds, at least one.
            let ms = (n as f64 / rate * 1000.0).ceil().max(1.0);
            SimDuration::from_nanos((ms * 1e6) as u64)
        });
        match (by_count, self.max_time) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether read-modify-writes are part of the mix (they need counters).
    pub fn has_rmw(&self) -> bool {
        self.mix.contains_key(&OpKind::Rmw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_have_ycsb_shares() {
        for p in Preset::ALL {
            let total: f64 = p.mix().values().sum();
            assert!((total - 1.0).abs() < 1e-12, "{p}");
            assert_eq!(p.letter().parse::<Preset>(), Ok(p));
        }
        assert!("g".parse::<Preset>().unwrap_err().contains("\"e\""));
    }

    #[test]
    fn properties_lines_and_continuations() {
        let p = Properties::parse(
            "# c\n! c\nrecordcount=10\noperationcount : 20\ntarget 30\nread\\\nproportion=1\n",
            "w",
        )
        .unwrap();
        let w = p.workload().unwrap();
        assert_eq!(w.records, Some(10));
        assert_eq!(w.operations, Some(20));
        assert_eq!(w.target, Some(30.0));
        // update keeps YCSB's default 0.05; shares are scaled to sum to 1.
        assert!((w.mix[&OpKind::Get] - 1.0 / 1.05).abs() < 1e-12);
        assert_eq!(w.popularity, Popularity::Uniform);
        assert_eq!(w.duration(10.0), Some(SimDuration::from_secs(2)));
    }

    #[test]
    fn bad_lines_are_placed() {
        let e = Properties::parse("recordcount=10\nreadproportion=x\n", "w.properties")
            .unwrap()
            .workload()
            .unwrap_err();
        assert!(e.to_string().starts_with("w.properties:2: "), "{e}");
        let e = Properties::parse("\n\nreadproportoin=1\n", "w").unwrap_err();
        assert!(e.to_string().starts_with("w:3: unknown property"), "{e}");
    }
}

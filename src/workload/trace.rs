//! Trace replay: an operation stream recorded from a real system (or written
//! by hand), replayed open loop at its recorded instants.
//!
//! A trace is CSV with a header row, or JSON lines (`.jsonl`, one object per
//! line), with these columns:
//!
//! | column    | meaning                                                                 |
//! |-----------|-------------------------------------------------------------------------|
//! | `time`    | when the operation starts: seconds (`0.0125`) or a duration (`12.5ms`)   |
//! | `kind`    | an operation kind: `get`, `put`, `rmw`, `transfer`, `reserve`, …         |
//! | `key`     | the key's index within its kind's range (plain keys for get/put/search/analytics, accounts for transfer/multi_get, items for reserve, counters for rmw, documents for doc_get/doc_put; ignored by session_get/session_put) |
//! | `other`   | optional: a transfer's credited account; for multi_get 1 if its accounts share a group, 0 if not (default 1); ignored otherwise |
//! | `session` | optional: the client session, from 0 (default 0)                          |
//!
//! Rows need not be in time order (traces merged from several servers rarely
//! are): they are sorted by time, ties kept in file order. Every row is
//! checked, and a bad one is reported with its file, line and column.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::OpKind;
use crate::sim::{SimDuration, SimTime};

/// At most this many rows: a trace is held in memory (40 bytes a row),
/// once, shared by every run.
pub const MAX_ROWS: usize = 20_000_000;

/// At most this many bytes of trace file (read whole before parsing).
pub const MAX_BYTES: u64 = 1 << 30;

/// One recorded operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceRow {
    pub at: SimTime,
    pub kind: OpKind,
    pub key: u64,
    pub other: u64,
    pub session: u32,
    /// The row's line in its file, for errors found after reading.
    pub line: u32,
}

/// A trace, read and sorted by time, with what checks and the workload's
/// figures need of it computed once (a trace may hold millions of rows, and
/// a sweep checks every point).
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    pub path: PathBuf,
    pub rows: Vec<TraceRow>,
    /// Each kind's share of the rows, in kind order.
    shares: Vec<(OpKind, f64)>,
    /// Per kind, the highest key index a row of it names (a transfer's
    /// credited account included) and that row's line; `None` for kinds
    /// the trace does not hold.
    highest_key: [Option<(u64, u32)>; OpKind::COUNT],
    /// The highest session and its row's line.
    highest_session: (u32, u32),
}

/// Why a trace cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("cannot read trace {}: {cause}; check the path (relative paths start at the scenario's folder)", path.display())]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Row {
        path: PathBuf,
        line: u64,
        column: u64,
        message: String,
    },
    #[error("{}: {message}", path.display())]
    Whole { path: PathBuf, message: String },
}

/// The fields of one row as written, before checking.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    time: RawTime,
    kind: String,
    key: u64,
    #[serde(default)]
    other: Option<u64>,
    #[serde(default)]
    session: u32,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawTime {
    Seconds(f64),
    Text(String),
}

impl Trace {
    /// Reads `path`: JSON lines if its name ends in `.jsonl` or `.ndjson`,
    /// CSV otherwise.
    pub fn read(path: &Path) -> Result<Trace, TraceError> {
        use std::io::Read as _;
        let read_error = |cause| TraceError::Read {
            path: path.to_path_buf(),
            cause,
        };
        let whole = |message: String| TraceError::Whole {
            path: path.to_path_buf(),
            message,
        };
        let file = std::fs::File::open(path).map_err(read_error)?;
        let meta = file.metadata().map_err(read_error)?;
        if !meta.is_file() {
            return Err(whole(
                "is not a regular file; give the path of a CSV or JSON-lines file".to_string(),
            ));
        }
        let mut bytes = Vec::new();
        file.take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(read_error)?;
        if bytes.len() as u64 > MAX_BYTES {
            return Err(whole(format!(
                "is larger than {} MiB; replay a sample or a slice of it",
                MAX_BYTES >> 20
            )));
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            whole(format!(
                "is not UTF-8 text (byte {})",
                e.utf8_error().valid_up_to()
            ))
        })?;
        let jsonl = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("jsonl" | "ndjson")
        );
        let mut rows = if jsonl {
            read_jsonl(path, &text)?
        } else {
            read_csv(path, &text)?
        };
        if rows.is_empty() {
            return Err(TraceError::Whole {
                path: path.to_path_buf(),
                message: "the trace has no operations; add rows under the header \
                          (time,kind,key[,other][,session])"
                    .to_string(),
            });
        }
        rows.sort_by_key(|r| r.at);
        let mut counts = [0u64; OpKind::COUNT];
        let mut highest_key = [None; OpKind::COUNT];
        let mut highest_session = (0, 0);
        for r in &rows {
            let k = r.kind as usize;
            counts[k] += 1;
            let key = if r.kind == OpKind::Transfer {
                r.key.max(r.other)
            } else {
                r.key
            };
            if highest_key[k].is_none_or(|(h, _)| key > h) {
                highest_key[k] = Some((key, r.line));
            }
            if r.session > highest_session.0 {
                highest_session = (r.session, r.line);
            }
        }
        let total = rows.len() as f64;
        let shares = OpKind::ALL
            .iter()
            .filter(|k| counts[**k as usize] > 0)
            .map(|k| (*k, counts[*k as usize] as f64 / total))
            .collect();
        Ok(Trace {
            path: path.to_path_buf(),
            rows,
            shares,
            highest_key,
            highest_session,
        })
    }

    /// The highest key index rows of `kind` name, with the line of the row
    /// that names it.
    pub fn highest_key(&self, kind: OpKind) -> Option<(u64, u32)> {
        self.highest_key[kind as usize]
    }

    /// The highest session a row names, with its line.
    pub fn highest_session(&self) -> (u32, u32) {
        self.highest_session
    }

    /// Recorded time from the first operation to the last, at least 1 µs.
    pub fn span(&self) -> SimDuration {
        let first = self.rows.first().map_or(SimTime::ZERO, |r| r.at);
        let last = self.rows.last().map_or(SimTime::ZERO, |r| r.at);
        SimDuration((last - first).as_nanos().max(1_000))
    }

    /// Mean arrival rate, operations per second, replayed at `speed`.
    pub fn rate(&self, speed: f64) -> f64 {
        self.rows.len() as f64 / self.span().as_secs_f64() * speed
    }

    /// Each kind's share of the rows, in kind order.
    pub fn shares(&self) -> &[(OpKind, f64)] {
        &self.shares
    }
}

fn row_error(path: &Path, line: u64, column: u64, message: impl Into<String>) -> TraceError {
    TraceError::Row {
        path: path.to_path_buf(),
        line,
        column,
        message: message.into(),
    }
}

fn read_csv(path: &Path, text: &str) -> Result<Vec<TraceRow>, TraceError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| row_error(path, 1, 1, format!("unreadable header: {e}")))?
        .clone();
    for (i, name) in headers.iter().enumerate() {
        if !["time", "kind", "key", "other", "session"].contains(&name) {
            let column = column_of(&headers, i);
            return Err(row_error(
                path,
                1,
                column,
                format!(
                    "unknown column \"{name}\"; the header names time, kind, key and \
                     optionally other and session"
                ),
            ));
        }
    }
    for required in ["time", "kind", "key"] {
        if !headers.iter().any(|h| h == required) {
            return Err(row_error(
                path,
                1,
                1,
                format!(
                    "the header has no \"{required}\" column; write time,kind,key[,other][,session]"
                ),
            ));
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            row_error(path, line, 1, format!("unreadable row: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        check_size(path, line, rows.len())?;
        let raw: RawRow = record.deserialize(Some(&headers)).map_err(|e| {
            let (field, message) = match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => (err.field(), err.kind().to_string()),
                other => (None, format!("{other:?}")),
            };
            let column = field.map_or(1, |f| column_of(&record, f as usize));
            let name = field
                .and_then(|f| headers.get(f as usize))
                .map_or(String::new(), |h| format!("column \"{h}\": "));
            row_error(path, line, column, format!("{name}{message}"))
        })?;
        let at = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .map_or(1, |i| column_of(&record, i))
        };
        rows.push(check_row(raw, line, &|name, message| {
            row_error(path, line, at(name), message)
        })?);
    }
    Ok(rows)
}

/// 1-based column where field `i` of `record` starts.
fn column_of(record: &csv::StringRecord, i: usize) -> u64 {
    (record.iter().take(i).map(|f| f.len() + 1).sum::<usize>() + 1) as u64
}

fn read_jsonl(path: &Path, text: &str) -> Result<Vec<TraceRow>, TraceError> {
    let mut rows = Vec::new();
    for (i, source) in text.lines().enumerate() {
        let line = i as u64 + 1;
        if source.trim().is_empty() {
            continue;
        }
        check_size(path, line, rows.len())?;
        let raw: RawRow = serde_json::from_str(source).map_err(|e| {
            row_error(
                path,
                line,
                e.column() as u64,
                format!(
                    "{e}; expected an object like {{\"time\": 0.001, \"kind\": \"get\", \"key\": 7}}"
                ),
            )
        })?;
        let column = |name: &str| {
            source
                .find(&format!("\"{name}\""))
                .map_or(1, |c| c as u64 + 1)
        };
        rows.push(check_row(raw, line, &|name, message| {
            row_error(path, line, column(name), message)
        })?);
    }
    Ok(rows)
}

fn check_size(path: &Path, line: u64, rows: usize) -> Result<(), TraceError> {
    if rows >= MAX_ROWS {
        return Err(row_error(
            path,
            line,
            1,
            format!(
                "the trace has more than {MAX_ROWS} operations; replay a sample or a slice \
                 of it (e.g. the busiest minutes)"
            ),
        ));
    }
    Ok(())
}

/// A row's fields, checked; `error(column name, message)` places a problem.
fn check_row(
    raw: RawRow,
    line: u64,
    error: &dyn Fn(&str, String) -> TraceError,
) -> Result<TraceRow, TraceError> {
    let at = match raw.time {
        RawTime::Seconds(s) if s.is_finite() && (0.0..=3.2e7).contains(&s) => {
            SimTime((s * 1e9).round() as u64)
        }
        RawTime::Seconds(s) => {
            return Err(error(
                "time",
                format!("time {s} is not from 0 to a year in seconds"),
            ));
        }
        RawTime::Text(t) => match t.parse::<f64>() {
            Ok(s) if s.is_finite() && (0.0..=3.2e7).contains(&s) => {
                SimTime((s * 1e9).round() as u64)
            }
            _ => SimTime(
                t.parse::<SimDuration>()
                    .map_err(|e| error("time", format!("time \"{t}\": {e}")))?
                    .as_nanos(),
            ),
        },
    };
    let kind: OpKind = raw.kind.parse().map_err(|e: String| error("kind", e))?;
    if kind == OpKind::Probe {
        return Err(error(
            "kind",
            "probe reads are not replayed; list their delays in workload.probes".to_string(),
        ));
    }
    if kind == OpKind::Txn {
        return Err(error(
            "kind",
            "txn operations are not replayed (a row names at most two keys); generate them \
             with [workload.mix] txn and [workload] txn_keys"
                .to_string(),
        ));
    }
    let other = match kind {
        OpKind::Transfer => raw.other.ok_or_else(|| {
            error(
                "other",
                "a transfer needs the credited account in column \"other\"".to_string(),
            )
        })?,
        OpKind::MultiGet => match raw.other.unwrap_or(1) {
            v @ (0 | 1) => v,
            v => {
                return Err(error(
                    "other",
                    format!("multi_get's \"other\" is 1 (one group) or 0, found {v}"),
                ));
            }
        },
        _ => 0,
    };
    if kind == OpKind::Transfer && other == raw.key {
        return Err(error(
            "other",
            format!(
                "a transfer from account {0} to account {0}; give two accounts",
                raw.key
            ),
        ));
    }
    Ok(TraceRow {
        at,
        kind,
        key: raw.key,
        other,
        session: raw.session,
        line: u32::try_from(line).unwrap_or(u32::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn csv_rows_are_read_and_sorted() {
        let (_d, p) = write(
            "t.csv",
            "time,kind,key,other,session\n0.002,put,3,,1\n1ms,get,3,,2\n0.003,transfer,1,2,0\n",
        );
        let t = Trace::read(&p).unwrap();
        let kinds: Vec<_> = t.rows.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, [OpKind::Get, OpKind::Put, OpKind::Transfer]);
        assert_eq!(t.rows[0].at, SimTime(1_000_000));
        assert_eq!(t.rows[2].other, 2);
        assert_eq!(t.rows[0].line, 3);
    }

    #[test]
    fn jsonl_rows_are_read() {
        let (_d, p) = write(
            "t.jsonl",
            "{\"time\": 0.5, \"kind\": \"get\", \"key\": 1}\n\n{\"time\": \"1s\", \"kind\": \"rmw\", \"key\": 0, \"session\": 4}\n",
        );
        let t = Trace::read(&p).unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1].session, 4);
        assert!((t.rate(1.0) - 4.0).abs() < 1e-9, "2 rows over 0.5 s");
    }

    #[test]
    fn bad_rows_are_placed() {
        for (text, line, column, phrase) in [
            ("time,kind,key\n0.1,gett,1\n", 2, 5, "unknown operation"),
            ("time,kind,key\n0.1,get,x\n", 2, 9, "column \"key\""),
            ("time,kind,key\n0.1,transfer,1\n", 2, 1, "credited account"),
            ("time,kind,key\n-1,get,1\n", 2, 1, "not from 0"),
            ("time,kind,kye\n0.1,get,1\n", 1, 11, "unknown column"),
        ] {
            let (_d, p) = write("t.csv", text);
            let e = Trace::read(&p).unwrap_err().to_string();
            assert!(
                e.contains(&format!("t.csv:{line}:{column}:")) && e.contains(phrase),
                "{text:?}: {e}"
            );
        }
        let e = Trace::read(Path::new("/dev/zero")).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        let (_d, p) = write("t.jsonl", "{\"time\": 1, \"kind\": \"get\"}\n");
        let e = Trace::read(&p).unwrap_err().to_string();
        assert!(e.contains("t.jsonl:1:") && e.contains("key"), "{e}");
    }
}

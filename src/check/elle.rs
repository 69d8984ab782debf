//! The client history in Jepsen/Elle JSON (one object per line), so Elle or
//! the `adya` crate can cross-check a run: every operation is an `invoke`
//! then an `ok` (or `info` if it never finished), with rw-register
//! micro-operations `["r", key, version]` and `["w", key, version]`. The
//! version is the value: unique per key, `null` for the initial one.
//!
//! `process` is the client slot that ran the operation: a slot runs one
//! operation at a time, as Elle requires of a process. At most `limit`
//! operations are recorded (the first ones), so memory stays bounded.

use serde::Serialize;

use super::history::Version;
use crate::sim::SimTime;

/// One micro-operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MicroOp {
    Read(u64, Option<Version>),
    Write(u64, Version),
}

impl Serialize for MicroOp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let nonzero = |v: Version| (v > 0).then_some(v);
        match *self {
            MicroOp::Read(k, v) => ("r", k, v.and_then(nonzero)).serialize(s),
            MicroOp::Write(k, v) => ("w", k, nonzero(v)).serialize(s),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
struct Entry {
    #[serde(rename = "type")]
    kind: &'static str,
    f: &'static str,
    process: u32,
    /// Simulated time, ns.
    time: u64,
    value: Vec<MicroOp>,
}

/// Records the first `limit` operations.
pub struct HistoryLog {
    limit: usize,
    entries: Vec<Entry>,
    /// Per process: the index of its invoke entry while it runs.
    open: Vec<Option<usize>>,
    recorded: usize,
}

impl HistoryLog {
    pub fn new(limit: usize) -> HistoryLog {
        HistoryLog {
            limit,
            entries: Vec::new(),
            open: Vec::new(),
            recorded: 0,
        }
    }

    /// An operation starts on `process` with these micro-ops (writes'
    /// versions are filled in when it completes).
    pub fn invoke(&mut self, process: u32, at: SimTime, ops: Vec<MicroOp>) {
        if self.recorded >= self.limit {
            return;
        }
        self.recorded += 1;
        let p = process as usize;
        if p >= self.open.len() {
            self.open.resize(p + 1, None);
        }
        self.open[p] = Some(self.entries.len());
        self.entries.push(Entry {
            kind: "invoke",
            f: "txn",
            process,
            time: at.as_nanos(),
            value: ops,
        });
    }

    /// The operation on `process` completed ok with these micro-ops.
    pub fn ok(&mut self, process: u32, at: SimTime, ops: Vec<MicroOp>) {
        let Some(Some(i)) = self.open.get_mut(process as usize).map(Option::take) else {
            return;
        };
        // The invoke carries the values the writes installed.
        for (inv, done) in self.entries[i].value.iter_mut().zip(&ops) {
            if let (MicroOp::Write(..), MicroOp::Write(..)) = (*inv, *done) {
                *inv = *done;
            }
        }
        self.entries.push(Entry {
            kind: "ok",
            f: "txn",
            process,
            time: at.as_nanos(),
            value: ops,
        });
    }

    /// JSON lines; operations still open end as `info` (outcome unknown).
    pub fn to_json_lines(&self, end: SimTime) -> String {
        let mut out = String::new();
        let mut entries = self.entries.clone();
        for (p, open) in self.open.iter().enumerate() {
            if let Some(i) = open {
                entries.push(Entry {
                    kind: "info",
                    process: p as u32,
                    time: end.as_nanos(),
                    ..entries[*i].clone()
                });
            }
        }
        for e in &entries {
            out += &serde_json::to_string(e).expect("history entries serialize");
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_carry_their_versions_into_the_invoke() {
        let mut h = HistoryLog::new(10);
        h.invoke(
            0,
            SimTime(1),
            vec![MicroOp::Read(5, None), MicroOp::Write(5, 0)],
        );
        h.invoke(1, SimTime(2), vec![MicroOp::Read(6, None)]);
        h.ok(
            0,
            SimTime(3),
            vec![MicroOp::Read(5, Some(0)), MicroOp::Write(5, 1)],
        );
        let text = h.to_json_lines(SimTime(9));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            r#"{"type":"invoke","f":"txn","process":0,"time":1,"value":[["r",5,null],["w",5,1]]}"#
        );
        assert_eq!(
            lines[2],
            r#"{"type":"ok","f":"txn","process":0,"time":3,"value":[["r",5,null],["w",5,1]]}"#
        );
        assert!(lines[3].starts_with(r#"{"type":"info","f":"txn","process":1,"time":9"#));
    }

    #[test]
    fn records_at_most_the_limit() {
        let mut h = HistoryLog::new(1);
        h.invoke(0, SimTime(1), vec![MicroOp::Read(1, None)]);
        h.invoke(1, SimTime(2), vec![MicroOp::Read(2, None)]);
        h.ok(1, SimTime(3), vec![MicroOp::Read(2, Some(4))]);
        h.ok(0, SimTime(4), vec![MicroOp::Read(1, Some(4))]);
        assert_eq!(h.to_json_lines(SimTime(9)).lines().count(), 2);
    }
}

//! The `[workload]` section: what the clients do.

use std::collections::BTreeMap;

use documented::DocumentedFields;
use serde::de::Error;
use serde::{Deserialize, Deserializer, Serialize};

use crate::dist::checks::{
    at_least_one_u32, key_count, non_negative_f64, positive_f64, unit_interval,
};
use crate::dist::size::Bytes;
use crate::sim::SimDuration;
use crate::workload::{OpKind, Popularity};

/// The operation stream every architecture of a scenario receives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct WorkloadConfig {
    /// Mean arrival rate in operations per second, open loop (Poisson). Default 10000.
    #[serde(deserialize_with = "positive_f64")]
    pub rate: f64,
    /// Number of distinct keys, from 1 to 4,000,000,000 (each architecture keeps a few bytes per key). Default 100000.
    #[serde(deserialize_with = "key_count")]
    pub keys: u64,
    /// The data the workload touches, in bytes, instead of `keys` (give one or the other): a size like "50GB" (KB, MB, GB, TB are powers of 1000, KiB, MiB, GiB, TiB of 1024), turned into keys = working set / `row_size`, rounded up; the resolved scenario shows the `keys` it came to. Default: none (`keys` counts).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::dist::size::working_set"
    )]
    pub working_set: Option<Bytes>,
    /// Bytes of one row (key and value), to turn `working_set` into keys and `cache.memory` into entries; not simulated otherwise (service times do not depend on it). Default "1KB" (as `archsim init --row-size`; estimate: a catalogue or order row of a few columns with its index entries).
    #[serde(
        deserialize_with = "crate::dist::size::positive_size",
        skip_serializing_if = "is_default_row"
    )]
    pub row_size: Bytes,
    /// Plain keys set aside past `keys` for `insert`s (YCSB's insertproportion): inserts write keys `keys`, `keys + 1`, … in turn, and reads and puts choose only among the keys inserted so far. Set from the arrival rate, the warm-up plus the measured duration and the insert share when the mix has inserts (see `insert_slots`); 0 without inserts. Default 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub inserts: u64,
    /// The most keys one `scan` reads (YCSB's maxscanlength), 1 to 10,000. Default 100.
    #[serde(deserialize_with = "scan_length", skip_serializing_if = "is_hundred")]
    pub scan_length: u32,
    /// How a `scan`'s length is drawn from 1 to `scan_length` (YCSB's scanlengthdistribution): "uniform", or "zipfian" (Zipf(0.99) over the lengths, short scans the most common). A scan past the last key inserted so far reads fewer keys, as YCSB's does. Default "uniform".
    #[serde(skip_serializing_if = "ScanLengths::is_uniform")]
    pub scan_lengths: ScanLengths,
    /// Key popularity: "uniform", "zipf(s)" (true Zipf: key 0 the most popular), "scrambled_zipf" (YCSB's `requestdistribution=zipfian`, exactly as YCSB draws it: Zipf(0.99) over 10^10 items hashed onto the keys, far less skewed than "zipf(0.99)" on the same keys), "hotspot(hot_fraction, hot_share)", "latest(s)" (recent keys popular: Zipf ranks behind a head that moves one key per draw; with inserts in the mix, behind the newest key inserted, YCSB's latest), "exponential" or "exponential(percentile, frac)" (YCSB's exponential: an exponential rank behind the last key, percentile % of draws within its last frac of the keys; defaults 95, 0.8571428571) or "sequential" (0, 1, 2, …). Default "zipf(0.99)" (YCSB's skew).
    pub popularity: Popularity,
    /// Number of client sessions; each operation belongs to one, drawn uniformly. Default 1000.
    #[serde(deserialize_with = "at_least_one_u32")]
    pub sessions: u32,
    /// Shares of operation kinds (get, put, analytics, rmw, transfer, reserve, multi_get, txn, insert, scan); they must sum to 1. Default get 0.9, put 0.1.
    pub mix: Mix,
    /// Entity groups (merchants, tenants), the natural partition key: a key's group is its index within its kind modulo `groups`. Default 100 (10 of the default 1000 accounts per group).
    #[serde(deserialize_with = "at_least_one_u32")]
    pub groups: u32,
    /// Share of transfers, multi_gets and txns whose keys stay inside one group. Default 0.95.
    #[serde(deserialize_with = "unit_interval")]
    pub locality: f64,
    /// Accounts read by one multi_get, 1 to 64. Default 4.
    #[serde(deserialize_with = "multi_get_keys")]
    pub multi_get_keys: u32,
    /// Accounts one `txn` writes, 1 to 16: one of them, drawn uniformly, pays `transfer_amount` to each of the others in one atomic transaction; they lie in one group with probability `locality`, else in as many consecutive groups (so over up to `txn_keys` shards or partitions when partitioned by group). Default 3.
    #[serde(deserialize_with = "txn_keys", skip_serializing_if = "is_three")]
    pub txn_keys: u32,
    /// Units one transfer moves (and one txn moves to each account it pays). Default 1.
    #[serde(deserialize_with = "positive_amount")]
    pub transfer_amount: i64,
    /// Where `rmw` and `reserve` run, the same on every architecture: "server" runs each as one statement at the system of record under the key's row lock, held until the commit is durable (`UPDATE counters SET n = n + 1`, `UPDATE stock SET n = n - 1 WHERE n > 0`); "client" is the application doing read-modify-write in code: it reads the key where that architecture serves reads (a cache, a replica, a read model, a follower), then writes the value it computed blind, with no lock held in between, so concurrent increments are lost and stock checked on a stale copy is oversold. Default "server".
    pub rmw: RmwAt,
    /// Delays after each write's acknowledgement at which a probe read of the key checks whether the write is visible (the t-visibility curve), e.g. ["0ms", "1ms", "10ms", "100ms"]. Default none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<SimDuration>,
    /// Who sends probe reads: the writer's "same" session or an "other" one. Default "other".
    pub probe_session: ProbeSession,
    /// Share of acknowledged writes that get probed (probes are real reads and add load). Default 0.1.
    #[serde(deserialize_with = "unit_interval")]
    pub probe_share: f64,
    /// How long a client waits for one attempt of an operation before giving it up (the attempt may still complete at the server, unseen). Default "1s" (a common application-side statement/request timeout; estimate).
    #[serde(deserialize_with = "crate::dist::checks::client_timeout")]
    pub timeout: SimDuration,
    /// The same for analytics queries, which run for seconds. Default "10m" (BI tools' query timeouts are minutes; estimate).
    #[serde(deserialize_with = "crate::dist::checks::client_timeout")]
    pub analytics_timeout: SimDuration,
    /// Attempts a client makes after a timed-out one, at once, each with the full `timeout`; an operation whose every attempt times out counts as timed out. A retried write may apply twice. Default 0.
    #[serde(deserialize_with = "at_most_ten")]
    pub retries: u32,
    /// Accounts, items and counters, and their initial values.
    pub entities: EntitiesConfig,
    /// Load profile: from `at` (measured from the start of the run, warm-up included) the rate moves to `rate`, in a step or over `ramp`. Default: none (constant `rate`).
    #[serde(
        rename = "phase",
        deserialize_with = "ordered_phases",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub phases: Vec<Phase>,
    /// A recorded operation stream to replay instead of generating one: a CSV file with the header time,kind,key[,other][,session] or JSON lines (`.jsonl`) with those fields; a relative path starts at the scenario's folder. `rate` and `mix` then come from the trace (the resolved scenario shows them) and `popularity` is not used. Default: none (generated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<std::path::PathBuf>,
    /// Replay speed of a trace: 2.0 replays it twice as fast (twice the rate). Default 1.0.
    #[serde(deserialize_with = "positive_f64", skip_serializing_if = "is_one")]
    pub speed: f64,
    /// A YCSB core workload: "a" (get 0.5, put 0.5), "b" (get 0.95, put 0.05), "c" (get 1.0), "d" (get 0.95, insert 0.05, popularity "latest(0.99)": reads favour the newest inserts), "e" (scan 0.95, insert 0.05: scans of 1 to `scan_length` keys) or "f" (get 0.5, rmw 0.5), all but "d" with popularity "scrambled_zipf" (YCSB's requestdistribution=zipfian): it sets `mix` and `popularity`, which the section then must not give (for "f" also `entities.counters` = `keys`: the read-modify-writes go to a range of counters as large as the keys, beside them, not to the same records). With inserts, `keys` is YCSB's recordcount and `inserts` keys are set aside past it. A YCSB properties file runs with `archsim run --ycsb FILE`. Default: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ycsb: Option<crate::workload::ycsb::Preset>,
    /// TPC-C's five transactions over warehouses, the entity groups (`groups` = warehouses; give each at least 16 accounts): New-Order 45 % (a `txn` over the district row and 5–15 order lines, each line's stock in another warehouse with probability 1 %), Payment 43 % (a `transfer` to a customer of another warehouse with probability 15 %), Delivery 4 % (a `txn` over the warehouse's 10 districts), Order-Status and Stock-Level 4 % each (`multi_get`s in the warehouse). It sets `mix`, `locality` (0.85, Payment's) and `popularity` ("uniform"), which the section then must not give. One warehouse per partition gives 10.7 % distributed transactions. Shares and probabilities: TPC-C 5.11, §2.4.1, §2.5.1, §5.2.3. Default false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tpcc: bool,
    // The trace's rows, read when the scenario is loaded (not an option:
    // no doc, so `archsim list` leaves it out).
    #[serde(skip)]
    #[documented_fields(default = "")]
    pub replay: Option<std::sync::Arc<crate::workload::Trace>>,
    // The `working_set` the scenario gave, kept once it is turned into
    // `keys` (which the resolved scenario shows instead), so that a
    // `--set` or sweep of `row_size` turns it into keys again.
    #[serde(skip)]
    #[documented_fields(default = "")]
    pub working_set_given: Option<Bytes>,
}

impl Default for WorkloadConfig {
    fn default() -> Self {
        WorkloadConfig {
            rate: 10_000.0,
            keys: 100_000,
            working_set: None,
            row_size: Bytes(ROW_SIZE),
            inserts: 0,
            scan_length: 100,
            scan_lengths: ScanLengths::Uniform,
            popularity: Popularity::default(),
            sessions: 1000,
            mix: Mix::default(),
            groups: 100,
            locality: 0.95,
            multi_get_keys: 4,
            txn_keys: 3,
            transfer_amount: 1,
            rmw: RmwAt::Server,
            probes: Vec::new(),
            probe_session: ProbeSession::Other,
            probe_share: 0.1,
            entities: EntitiesConfig::default(),
            phases: Vec::new(),
            timeout: SimDuration::from_secs(1),
            analytics_timeout: SimDuration::from_secs(600),
            retries: 0,
            trace: None,
            speed: 1.0,
            ycsb: None,
            tpcc: false,
            replay: None,
            working_set_given: None,
        }
    }
}

/// `row_size`'s default, 1 KB.
pub const ROW_SIZE: u64 = 1000;

fn is_default_row(b: &Bytes) -> bool {
    b.0 == ROW_SIZE
}

fn is_hundred(n: &u32) -> bool {
    *n == 100
}

fn scan_length<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    crate::dist::checks::u32_in(d, 1..=MAX_SCAN_LENGTH as i64, |v| {
        format!("expected from 1 to {MAX_SCAN_LENGTH} keys per scan, found {v}")
    })
}

/// The longest `scan` (`workload.scan_length`).
pub const MAX_SCAN_LENGTH: u32 = 10_000;

/// How scan lengths are drawn (`[workload] scan_lengths`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScanLengths {
    /// Every length from 1 to `scan_length` equally likely.
    #[default]
    Uniform,
    /// Length 1 + rank, rank ~ Zipf(0.99) over `scan_length` ranks.
    Zipfian,
}

impl ScanLengths {
    fn is_uniform(&self) -> bool {
        *self == ScanLengths::Uniform
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The keys to set aside for inserts arriving at `rate` operations per
/// second for `time` with `share` of them inserts: the mean, rate × time ×
/// share, rounded up, plus four standard deviations of its Poisson count
/// (so the arrivals' randomness runs past it about once in 30,000 runs;
/// an insert past the last slot writes that slot again).
pub fn insert_slots(rate: f64, time: crate::sim::SimDuration, share: f64) -> u64 {
    let mean = rate * time.as_nanos() as f64 / 1e9 * share;
    if mean <= 0.0 {
        return 0;
    }
    (mean + 4.0 * mean.sqrt()).ceil() as u64 + 1
}

fn is_one(x: &f64) -> bool {
    *x == 1.0
}

/// The default `txn_keys`, left out of the resolved scenario (whose hash
/// scenarios without txns keep).
fn is_three(n: &u32) -> bool {
    *n == 3
}

impl WorkloadConfig {
    /// Reads the trace, if the section names one, from `folder` (the
    /// scenario's), and takes the rate and mix from it.
    pub fn load_trace(&mut self, folder: &std::path::Path) -> Result<(), String> {
        let Some(path) = &self.trace else {
            return Ok(());
        };
        let trace = crate::workload::Trace::read(&folder.join(path)).map_err(|e| e.to_string())?;
        self.replay = Some(std::sync::Arc::new(trace));
        self.follow_trace();
        Ok(())
    }

    /// With a trace: its rate (at `speed`) and its mix of kinds.
    pub fn follow_trace(&mut self) {
        if let Some(trace) = &self.replay {
            // To 0.1 ops/s: the rate is a figure in headings, not a draw.
            self.rate = (trace.rate(self.speed) * 10.0).round() / 10.0;
            self.mix = Mix(trace.shares().iter().copied().collect());
        }
    }

    /// The trace's keys and sessions fit the key space and the sessions;
    /// a trace has no load phases.
    pub fn check_trace(&self) -> Result<(), String> {
        let Some(trace) = &self.replay else {
            return Ok(());
        };
        if !self.phases.is_empty() {
            return Err(
                "a trace sets its own load; remove the [[workload.phase]] tables \
                        (or change `speed`)"
                    .to_string(),
            );
        }
        let e = &self.entities;
        let where_ = |line: u32| format!("{}:{line}", trace.path.display());
        for kind in OpKind::ALL {
            let Some((key, line)) = trace.highest_key(kind) else {
                continue;
            };
            use OpKind::*;
            let (range, name, field) = match kind {
                Get | Put | Insert | Scan | Analytics | Search | Probe => {
                    (self.keys, "plain keys", "workload.keys")
                }
                Transfer | MultiGet | Txn => (e.accounts, "accounts", "workload.entities.accounts"),
                Reserve => (e.items, "items", "workload.entities.items"),
                Rmw => (e.counters, "counters", "workload.entities.counters"),
                DocGet | DocPut => (e.documents, "documents", "workload.entities.documents"),
                SessionGet | SessionPut => continue,
            };
            if key >= range {
                return Err(format!(
                    "{}: {kind} key {key} is past the {range} {name}; raise {field} to at least {}",
                    where_(line),
                    key + 1
                ));
            }
        }
        let (session, line) = trace.highest_session();
        if session >= self.sessions {
            return Err(format!(
                "{}: session {session} is past the {} sessions; raise workload.sessions to at \
                 least {}",
                where_(line),
                self.sessions,
                u64::from(session) + 1
            ));
        }
        Ok(())
    }
}

/// Where read-modify-writes (`rmw`, `reserve`) run (`[workload] rmw`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RmwAt {
    /// One statement at the system of record, under the row lock.
    #[default]
    Server,
    /// A read where reads are served, then a blind write of the computed value.
    Client,
}

/// Who sends the probe reads after a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeSession {
    Same,
    Other,
}

/// The entities behind `transfer`, `multi_get`, `reserve` and `rmw`
/// (`[workload.entities]`), each a range of keys after the plain ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct EntitiesConfig {
    /// Bank accounts (transfer, multi_get). Default 1000.
    #[serde(deserialize_with = "key_count")]
    pub accounts: u64,
    /// Initial balance of each account, 0 to 1,000,000,000. Default 100.
    #[serde(deserialize_with = "crate::dist::checks::entity_value")]
    pub balance: i64,
    /// Inventory items (reserve). Default 1000.
    #[serde(deserialize_with = "key_count")]
    pub items: u64,
    /// Initial stock of each item, 0 to 1,000,000,000. Default 100.
    #[serde(deserialize_with = "crate::dist::checks::entity_value")]
    pub stock: i64,
    /// Counters (rmw), starting at 0. Default 1000.
    #[serde(deserialize_with = "key_count")]
    pub counters: u64,
    /// Documents (doc_get, doc_put) in a document store. Default 1000.
    #[serde(deserialize_with = "key_count")]
    pub documents: u64,
}

impl Default for EntitiesConfig {
    fn default() -> Self {
        EntitiesConfig {
            accounts: 1000,
            balance: 100,
            items: 1000,
            stock: 100,
            counters: 1000,
            documents: 1000,
        }
    }
}

fn multi_get_keys<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    crate::dist::checks::u32_in(d, 1..=64, |v| {
        format!("expected from 1 to 64 keys per multi_get, found {v}")
    })
}

fn txn_keys<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let most = crate::workload::MAX_TXN_KEYS as i64;
    crate::dist::checks::u32_in(d, 1..=most, |v| {
        format!("expected from 1 to {most} keys per txn, found {v}")
    })
}

fn positive_amount<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let v = i64::deserialize(d)?;
    if (1..=crate::dist::checks::MAX_ENTITY_VALUE).contains(&v) {
        Ok(v)
    } else {
        Err(D::Error::custom(format!(
            "expected a transfer amount from 1 to {}, found {v}",
            crate::dist::checks::MAX_ENTITY_VALUE
        )))
    }
}

/// One step of a load profile (`[[workload.phase]]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    /// When the change starts, from the start of the run (warm-up included).
    pub at: SimDuration,
    /// The arrival rate reached, in operations per second (0 pauses arrivals).
    #[serde(deserialize_with = "non_negative_f64")]
    pub rate: f64,
    /// How long the rate takes to move linearly to `rate`. Default "0s" (a step).
    #[serde(default)]
    pub ramp: SimDuration,
}

fn ordered_phases<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Phase>, D::Error> {
    let phases = Vec::<Phase>::deserialize(d)?;
    for pair in phases.windows(2) {
        if pair[1].at < pair[0].at + pair[0].ramp {
            return Err(D::Error::custom(format!(
                "phases must be in time order and not overlap: a phase at {} follows one at {} \
                 whose ramp ends at {}",
                pair[1].at,
                pair[0].at,
                pair[0].at + pair[0].ramp
            )));
        }
    }
    Ok(phases)
}

/// Shares of operation kinds (`[workload.mix]`), summing to 1.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Mix(BTreeMap<OpKind, f64>);

impl Mix {
    /// Allowed slack when checking that shares sum to 1.
    pub const TOLERANCE: f64 = 1e-6;

    pub fn new(shares: BTreeMap<OpKind, f64>) -> Result<Mix, String> {
        if shares.contains_key(&OpKind::Probe) {
            return Err("probe reads are not part of the mix; list their delays in \
                        workload.probes, e.g. probes = [\"0ms\", \"10ms\"]"
                .to_string());
        }
        for (kind, share) in &shares {
            if !(0.0..=1.0).contains(share) {
                return Err(format!(
                    "the share of {kind} is {share}; shares must be between 0 and 1"
                ));
            }
        }
        if shares.is_empty() {
            return Err(
                "the mix is empty; give each operation kind its share, e.g. get = 0.9 \
                        and put = 0.1"
                    .to_string(),
            );
        }
        let total: f64 = shares.values().sum();
        if (total - 1.0).abs() > Self::TOLERANCE {
            let terms: Vec<String> = shares.iter().map(|(k, s)| format!("{k} {s}")).collect();
            return Err(format!(
                "operation shares sum to {} ({}); they must sum to 1 (a --set of one share \
                 rescales the others to fit)",
                (total * 1e12).round() / 1e12,
                terms.join(" + ")
            ));
        }
        Ok(Mix(shares))
    }

    pub fn share(&self, kind: OpKind) -> f64 {
        self.0.get(&kind).copied().unwrap_or(0.0)
    }

    /// Every kind with its share, in `OpKind` order.
    pub fn shares(&self) -> impl Iterator<Item = (OpKind, f64)> + '_ {
        self.0.iter().map(|(k, s)| (*k, *s))
    }

    /// Kinds with a share above zero, in `OpKind` order.
    pub fn kinds(&self) -> impl Iterator<Item = OpKind> + '_ {
        self.0.iter().filter(|(_, s)| **s > 0.0).map(|(k, _)| *k)
    }
}

impl Default for Mix {
    fn default() -> Self {
        Mix(BTreeMap::from([(OpKind::Get, 0.9), (OpKind::Put, 0.1)]))
    }
}

impl<'de> Deserialize<'de> for Mix {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Mix::new(BTreeMap::deserialize(d)?).map_err(D::Error::custom)
    }
}

fn at_most_ten<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    crate::dist::checks::u32_in(d, 0..=10, |v| {
        format!("expected a number of retries from 0 to 10, found {v}")
    })
}

impl WorkloadConfig {
    /// How the clients wait and retry.
    pub fn client_policy(&self) -> crate::workload::ClientPolicy {
        crate::workload::ClientPolicy {
            timeout: Some(self.timeout),
            analytics_timeout: Some(self.analytics_timeout),
            retries: self.retries,
        }
    }
}

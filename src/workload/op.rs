//! Operations: what a client asks of the data platform.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::sim::SimTime;

/// Kinds of operation. The contract of each, for every architecture:
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OpKind {
    /// Read one plain key.
    Get,
    /// Write one plain key: a blind write of a new version.
    Put,
    /// A long analytical query (seconds of one core), touching no single key.
    Analytics,
    /// Read-modify-write increment of a counter: the application reads the
    /// counter, adds one and writes the sum back, with no lock unless the
    /// architecture provides one.
    Rmw,
    /// Move `transfer_amount` from one account to another (refused, and
    /// nothing written, when the balance read is short). The two accounts lie
    /// in one entity group with probability `locality`.
    Transfer,
    /// Check an item's stock and, if some is left, take one unit: check
    /// then decrement. Sold out is an ordinary answer, not an error.
    Reserve,
    /// Read `multi_get_keys` accounts (of one group with probability
    /// `locality`) as one logical read.
    MultiGet,
    /// Read a document from a document store (a quorum read where the
    /// store is leaderless).
    DocGet,
    /// Write a document (a quorum write where the store is leaderless).
    DocPut,
    /// A search query: finds one plain key through a search index where
    /// an architecture has one.
    Search,
    /// Read the client's session (in a session store where there is one).
    SessionGet,
    /// Write the client's session.
    SessionPut,
    /// A multi-key transaction over `txn_keys` accounts (in one entity group
    /// with probability `locality`, else spread over the next groups, as a
    /// `multi_get` picks them): one of them, drawn uniformly, pays
    /// `transfer_amount` to each of the others, all or nothing (refused, and
    /// nothing written, when its balance is short). Every key is written,
    /// the bank's total is unchanged, and a reader must never see some of
    /// its writes and miss others.
    Txn,
    /// A read of a key at a fixed delay after a write of it (`probes`): not
    /// in the mix, and kept out of the workload's latency figures.
    Probe,
    /// YCSB's insert: a blind write of the next new plain key, past the
    /// keys inserted so far (`workload.inserts` keys are set aside for
    /// them); routed as a `put` on every architecture.
    Insert,
    /// YCSB's scan: a range read of `other` consecutive plain keys from
    /// `key` (1 to `workload.scan_length`), routed as a `multi_get` of
    /// those keys: on one shard under range placement when the range fits
    /// in it, scattered under hash placement.
    Scan,
}

impl OpKind {
    pub const ALL: [OpKind; 16] = [
        OpKind::Get,
        OpKind::Put,
        OpKind::Analytics,
        OpKind::Rmw,
        OpKind::Transfer,
        OpKind::Reserve,
        OpKind::MultiGet,
        OpKind::DocGet,
        OpKind::DocPut,
        OpKind::Search,
        OpKind::SessionGet,
        OpKind::SessionPut,
        OpKind::Txn,
        OpKind::Probe,
        OpKind::Insert,
        OpKind::Scan,
    ];
    pub const COUNT: usize = Self::ALL.len();

    pub fn name(self) -> &'static str {
        match self {
            OpKind::Get => "get",
            OpKind::Put => "put",
            OpKind::Analytics => "analytics",
            OpKind::Rmw => "rmw",
            OpKind::Transfer => "transfer",
            OpKind::Reserve => "reserve",
            OpKind::MultiGet => "multi_get",
            OpKind::DocGet => "doc_get",
            OpKind::DocPut => "doc_put",
            OpKind::Search => "search",
            OpKind::SessionGet => "session_get",
            OpKind::SessionPut => "session_put",
            OpKind::Txn => "txn",
            OpKind::Probe => "probe",
            OpKind::Insert => "insert",
            OpKind::Scan => "scan",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// Kinds that may install new versions.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            OpKind::Put
                | OpKind::Insert
                | OpKind::Rmw
                | OpKind::Transfer
                | OpKind::Reserve
                | OpKind::DocPut
                | OpKind::SessionPut
                | OpKind::Txn
        )
    }

    /// Kinds counted in the workload's own figures (probes are not).
    pub fn is_workload(self) -> bool {
        self != OpKind::Probe
    }
}

impl fmt::Display for OpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OpKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OpKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = OpKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown operation kind \"{s}\"; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

impl Serialize for OpKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for OpKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// One client operation, as generated by the workload. Architectures keep
/// their own per-operation state keyed by the engine's `OpId`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation {
    pub kind: OpKind,
    /// The key (see `KeySpace`): a plain key, the counter, the item, the
    /// account debited, or the first account read; the most popular first.
    pub key: u64,
    /// `transfer`: the account credited. `scan`: the keys it reads. `multi_get`: 1 when its accounts
    /// are of one group, 0 when they spread over groups. `txn`: its shape
    /// ([`TxnShape`]: keys, one group or spread, which one pays). `probe`:
    /// the version whose visibility it checks. Otherwise 0.
    pub other: u64,
    /// Client session in `0..workload.sessions`.
    pub session: u32,
    /// Intended start: latency is measured from here, whatever the system
    /// does, so a stall cannot hide its queue (no coordinated omission).
    pub start: SimTime,
}

/// The most keys one `txn` writes (`[workload] txn_keys`): it bounds the
/// inline storage of a transaction's writes and participants.
pub const MAX_TXN_KEYS: usize = 16;

/// What a `txn` operation's `other` field says of it: how many accounts
/// it writes, whether they are of one group, and which of them pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxnShape {
    /// Accounts asked for, 1 to [`MAX_TXN_KEYS`] (fewer are written when
    /// the group has fewer members).
    pub keys: u32,
    pub same_group: bool,
    /// Index of the paying account among the accounts, in the order
    /// `KeySpace::multi_get_keys` lists them (taken modulo their number).
    pub payer: u32,
    /// Bit j set: the j-th account is taken from another group instead
    /// (a TPC-C order line supplied by a remote warehouse); 0 for every
    /// `txn` outside the `tpcc` preset.
    pub remote: u16,
}

impl TxnShape {
    pub fn encode(self) -> u64 {
        u64::from(self.same_group)
            | u64::from(self.keys) << 1
            | u64::from(self.payer & 0xff) << 8
            | u64::from(self.remote) << 16
    }

    pub fn decode(other: u64) -> TxnShape {
        TxnShape {
            same_group: other & 1 == 1,
            keys: ((other >> 1) & 0x7f) as u32,
            payer: ((other >> 8) & 0xff) as u32,
            remote: (other >> 16) as u16,
        }
    }
}

impl crate::sim::Request for Operation {
    #[inline]
    fn start(&self) -> SimTime {
        self.start
    }

    #[inline]
    fn set_start(&mut self, at: SimTime) {
        self.start = at;
    }

    /// Analytics queries have their own timeout (`analytics_timeout`).
    #[inline]
    fn timeout_class(&self) -> usize {
        usize::from(self.kind == OpKind::Analytics)
    }
}

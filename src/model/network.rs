//! The network between components, and the one place where messages are
//! counted. Every message any component sends goes through [`Network`]:
//! [`Network::message`] draws its one-way delay — from `client_hop` for the
//! legs the client (the application) sends or receives, from `hop` for
//! those between servers — and counts it; [`Network::sent`] counts a
//! message whose delay its sender draws from a distribution of its own (a
//! replica's lag, a pipeline's delay, a document-store leg, a Raft round's
//! hops). Delays come from one random stream, in send order; counting
//! draws nothing and schedules nothing, so counts never change what a run
//! computes.
//!
//! A message is charged to the operation that caused it (also after its
//! answer: a commit shipped to a replica, a change delivered to a derived
//! store) when that operation is one of the workload's (not a probe read)
//! and was invoked inside the measurement window; per operation, the
//! counts are divided by the operations offered there. A leg whose delay
//! is "0s" is a local call, not a network message, and is not counted: the
//! client's legs when `client_hop` is "0s", the others when `hop` is. The
//! network also counts the round trips on the client's path
//! ([`Network::round_trip`]).

use documented::DocumentedFields;
use serde::{Deserialize, Serialize};

use crate::dist::Dist;
use crate::sim::{SimDuration, SimRng, Window};
use crate::workload::Operation;

/// `[network]`: delays between components.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkConfig {
    /// One-way delay of one message inside a zone. Default "lognormal(p50=150us, p99=500us)" (RTT p50 ≈ 0.3 ms: etcd performance guide; Redis latency docs). Use "0s" to study a database station alone.
    pub hop: Dist,
    /// One-way delay between a client (the application) and the first server it talks to: a cache, a database or shard, the coordinator, a partition's leader. Default: `hop`. "0s" puts the client next to that server (an embedded client, an in-process transaction manager), as the closed-form commit latencies assume. In single, polyglot and sharded every message is such a client leg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_hop: Option<Dist>,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            hop: Dist::parse("lognormal(p50=150us, p99=500us)").expect("valid default"),
            client_hop: None,
        }
    }
}

/// What a message is for, as the results break messages down (`messages_by_kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Message {
    /// A request from the client (the application) to a server — a cache,
    /// a database or shard, the directory, the coordinator, a partition's
    /// leader, a document's first replica — or its answer.
    Client,
    /// A request from one server to another on a client's behalf (the
    /// coordinator to a shard, a write-through cache to the coordinator, a
    /// write-behind flush to a shard), or its answer.
    Server,
    /// A commit shipped from a primary to one read replica.
    Replication,
    /// A change delivered to a derived store — by change data capture, an
    /// event bus (duplicates included) or an event log to a read model —
    /// one per change per store.
    Pipeline,
    /// The application's write of a derived store after a commit (a dual
    /// write), or its answer.
    DualWrite,
    /// A quorum store's request to one of a document's replicas beyond the
    /// first, or its answer: what replicating by quorum adds over one copy,
    /// 2(n − 1) per read or write (every replica answers, though the
    /// client waits only for r or w of them). A sloppy quorum's write
    /// sends 2(w − 1), and one per hint handed off to the other replicas.
    Quorum,
    /// AppendEntries and their answers: 2(n − 1) per Raft round.
    Raft,
    /// Two-phase commit: PREPARE (or a write intent), VOTE, COMMIT or
    /// ABORT, and ACK.
    TwoPhaseCommit,
    /// The writer's delete or update of cache entries, or its answer.
    Invalidation,
    /// A reader's fill of a cache after a miss (one way: nobody waits).
    Fill,
}

impl Message {
    pub const COUNT: usize = 10;
    pub const ALL: [Message; Message::COUNT] = [
        Message::Client,
        Message::Server,
        Message::Replication,
        Message::Pipeline,
        Message::DualWrite,
        Message::Quorum,
        Message::Raft,
        Message::TwoPhaseCommit,
        Message::Invalidation,
        Message::Fill,
    ];

    /// Whether the client (the application) sends or receives it: its
    /// delay is `client_hop`, and it is a local call when that is "0s".
    pub fn from_client(self) -> bool {
        matches!(
            self,
            Message::Client
                | Message::DualWrite
                | Message::Quorum
                | Message::Invalidation
                | Message::Fill
        )
    }

    /// Its name in the results.
    pub fn name(self) -> &'static str {
        match self {
            Message::Client => "client",
            Message::Server => "server",
            Message::Replication => "replication",
            Message::Pipeline => "pipeline",
            Message::DualWrite => "dual_write",
            Message::Quorum => "quorum",
            Message::Raft => "raft",
            Message::TwoPhaseCommit => "two_phase_commit",
            Message::Invalidation => "invalidation",
            Message::Fill => "fill",
        }
    }
}

/// The network: the delays of its legs, and the messages sent over it.
#[derive(Clone, Debug)]
pub struct Network {
    hop: Dist,
    client_hop: Dist,
    /// The client sits next to the servers it calls ("0s"), and servers
    /// next to each other.
    client_local: bool,
    local: bool,
    rng: SimRng,
    /// Operations invoked in this window are charged.
    window: Window,
    /// Messages charged to the window's operations, by kind.
    messages: [u64; Message::COUNT],
    /// Round trips on the client's path charged to them.
    round_trips: u64,
}

impl Network {
    /// The network `config` describes, drawing its delays from `rng`,
    /// charging messages to the operations invoked in `window`.
    pub fn new(config: &NetworkConfig, rng: SimRng, window: Window) -> Network {
        let client_hop = config
            .client_hop
            .clone()
            .unwrap_or_else(|| config.hop.clone());
        Network {
            local: config.hop.is_zero(),
            client_local: client_hop.is_zero(),
            hop: config.hop.clone(),
            client_hop,
            rng,
            window,
            messages: [0; Message::COUNT],
            round_trips: 0,
        }
    }

    /// Sends one message of kind `kind` for operation `o`: counted, and
    /// its one-way delay (`client_hop` for the client's legs, `hop` for the
    /// others).
    #[inline]
    pub fn message(&mut self, kind: Message, o: &Operation) -> SimDuration {
        self.sent(kind, 1, o);
        self.delay(kind)
    }

    /// Sends the request of a request–answer exchange that `o`'s answer
    /// waits for: one message and one round trip counted (see
    /// [`Network::round_trip`]), and its one-way delay.
    #[inline]
    pub fn request(&mut self, kind: Message, o: &Operation) -> SimDuration {
        if self.charged(kind, o) {
            self.round_trips += 1;
            self.messages[kind as usize] += 1;
        }
        self.delay(kind)
    }

    /// The one-way delay of a message of kind `kind`, drawn now.
    #[inline]
    fn delay(&mut self, kind: Message) -> SimDuration {
        if kind.from_client() {
            self.client_hop.sample(&mut self.rng)
        } else {
            self.hop.sample(&mut self.rng)
        }
    }

    /// A request–answer exchange that operation `o`'s answer waits for
    /// starts now, its request a leg of kind `kind` (what counts is told at
    /// `metrics::MeanCost::round_trips`): counted unless the leg is a local
    /// call. Requests sent in parallel are one round trip: say so once.
    #[inline]
    pub fn round_trip(&mut self, kind: Message, o: &Operation) {
        if self.charged(kind, o) {
            self.round_trips += 1;
        }
    }

    /// Whether a message of kind `kind` for `o` is charged: a network
    /// message (not a local call) for an operation of the workload invoked
    /// in the window.
    #[inline]
    fn charged(&self, kind: Message, o: &Operation) -> bool {
        let local = if kind.from_client() {
            self.client_local
        } else {
            self.local
        };
        !local && o.kind.is_workload() && self.window.contains(o.start)
    }

    /// `n` messages of kind `kind` are sent now for operation `o`, whose
    /// delays their sender draws (a replica's lag, a pipeline's delay, a
    /// document-store leg, a Raft round's hops): counted, nothing drawn.
    #[inline]
    pub fn sent(&mut self, kind: Message, n: u32, o: &Operation) {
        if self.charged(kind, o) {
            self.messages[kind as usize] += u64::from(n);
        }
    }

    /// Whether client legs are local calls (not messages).
    pub fn client_local(&self) -> bool {
        self.client_local
    }

    /// Whether server legs are local calls (not messages).
    pub fn local(&self) -> bool {
        self.local
    }

    /// Round trips on the client's path charged to the window's operations.
    pub fn round_trips(&self) -> u64 {
        self.round_trips
    }

    /// Messages charged to the window's operations, by kind (kinds with
    /// none left out).
    pub fn messages(&self) -> impl Iterator<Item = (Message, u64)> + '_ {
        Message::ALL
            .into_iter()
            .map(|kind| (kind, self.messages[kind as usize]))
            .filter(|(_, n)| *n > 0)
    }
}

//! The random streams of the model's parts, named here and nowhere else.
//!
//! Each component draws each purpose from a stream of its own (derived from
//! the seed, the replication, the architecture's kind and the name below;
//! see `sim::rng`). So two variants of an architecture that share a
//! component see the same draws there, whatever else differs: a coordinator
//! with a different per-message cost leaves the shards' service times
//! unchanged, and a retry's backoff shifts no one's service time (common
//! random numbers). Adding a draw to a part means adding its stream here.

use crate::sim::{SimRng, Streams};

/// One component's stream for one purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream<'a> {
    /// Service times of a station (`db`, `cache`, `search`, `warehouse`,
    /// `session_store`, `read_model`, `coordinator`, `directory`, `node`).
    Service(&'a str),
    /// Forced-write latencies of a log (`db`, `coordinator`).
    Fsync(&'a str),
    /// Forced-write latencies of shard `i`'s log.
    ShardFsync(u32),
    /// Shipping delays of read replica `i`.
    ReplicaLag(u32),
    /// Commit delays of Raft follower `i`.
    FollowerCommit(u32),
    /// Apply CPU times at copy `i`: read replica `i`, or Raft follower `i`
    /// of every partition.
    Apply(u32),
    /// Delivery delays of event-bus consumer `i`.
    BusDelay(u32),
    /// Where in its cycle a periodic store (`search`, `warehouse`) is when
    /// the run starts.
    Phase(&'a str),
    /// The coordinator's event log's delivery delays.
    EventLog,
    /// Which read replica serves a read.
    ReplicaChoice,
    /// Which Raft follower serves a follower read.
    FollowerChoice,
    /// Which application server a request goes to, when sessions do not
    /// stick to one.
    AppServerChoice,
    /// Delays of the invalidation broadcast between application servers.
    InvalidationDelay,
    /// Whether the invalidation broadcast to one application server is
    /// lost.
    InvalidationLoss,
    /// Raft message delays and followers' forced writes.
    Raft,
    /// Randomised election timeouts.
    Election,
    /// A retried transaction's backoff.
    Backoff,
    /// The leaderless document store's replica delays.
    Docstore,
    /// Which replicas a document write is sent to under a sloppy quorum.
    QuorumChoice,
    /// When the replicas a document write skipped learn of it (hinted
    /// handoff).
    Handoff,
    /// Whether the application fails between the legs of a best-effort
    /// cross-shard transfer.
    LegFailure,
    /// A reshard's copies: their service times and hops.
    Migration,
    /// Whether a dual write to a derived store fails.
    DualWriteFailure,
    /// One-way network delays of every message.
    Network,
    /// Which writes get probed after their acknowledgement.
    Probes,
    /// The requests a warm cache's starting entries are drawn from, and
    /// their remaining TTLs (`cache.start = "warm"`).
    CacheWarm,
}

impl Stream<'_> {
    /// The stream's name, as `sim::Streams` derives it.
    pub fn name(&self) -> String {
        match self {
            Stream::Service(component) => format!("{component}/service"),
            Stream::Fsync(component) => format!("{component}/fsync"),
            Stream::ShardFsync(i) => format!("shard_{i}/fsync"),
            Stream::ReplicaLag(i) => format!("replica_{i}/lag"),
            Stream::FollowerCommit(i) => format!("follower_{i}/commit"),
            Stream::Apply(i) => format!("copy_{i}/apply"),
            Stream::BusDelay(i) => format!("bus/{i}"),
            Stream::Phase(component) => format!("{component}/phase"),
            Stream::EventLog => "event-log".to_string(),
            Stream::ReplicaChoice => "replica-choice".to_string(),
            Stream::FollowerChoice => "follower-choice".to_string(),
            Stream::AppServerChoice => "app-server-choice".to_string(),
            Stream::InvalidationDelay => "cache/invalidation-delay".to_string(),
            Stream::InvalidationLoss => "cache/invalidation-loss".to_string(),
            Stream::Raft => "raft".to_string(),
            Stream::Election => "election".to_string(),
            Stream::Backoff => "backoff".to_string(),
            Stream::Docstore => "docstore".to_string(),
            Stream::QuorumChoice => "docstore/choice".to_string(),
            Stream::Handoff => "docstore/handoff".to_string(),
            Stream::LegFailure => "leg-failure".to_string(),
            Stream::Migration => "migration".to_string(),
            Stream::DualWriteFailure => "dual-write-failure".to_string(),
            Stream::Network => "network".to_string(),
            Stream::Probes => "probes".to_string(),
            Stream::CacheWarm => "cache/warm".to_string(),
        }
    }

    /// The generator of this stream in `streams`.
    pub fn of(&self, streams: &Streams) -> SimRng {
        streams.stream(&self.name())
    }
}

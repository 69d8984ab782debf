//! Reusable parts that architectures compose: queueing stations, the
//! network, caches, replicas and the write-ahead log. Later parts (Raft,
//! locks, 2PC, routers, pipelines) live here too.

pub mod cache;
pub mod derived;
pub mod network;
pub mod pipeline;
pub mod prefetch;
pub mod replication;
pub mod router;
pub mod station;
pub mod store;
pub mod transaction;
pub mod wal;

pub use cache::{Cache, Lookup};
pub use derived::{Applied, DerivedStore};
pub use network::Network;
pub use pipeline::{CdcBatch, CdcConnector, EventBus, next_refresh};
pub use replication::{Replica, ReplicationLog, Write};
pub use router::{PartitionBy, Router};
pub use station::{Slot, Station};
pub use store::VersionedStore;
pub use wal::{CommitLog, GroupCommit, Logged};

//! Reusable parts that architectures compose: queueing stations, the
//! network, caches, replicas and their apply of the log, the write-ahead
//! log, routers, pipelines, the row locks of a system of record, the lock
//! table of distributed transactions, two-phase commit and Raft groups.

pub mod analytics;
pub mod app_caches;
pub mod apply;
pub mod cache;
pub mod che;
pub mod derived;
pub mod election;
pub mod failover;
pub mod impairment;
pub mod locks;
pub mod log_device;
pub mod network;
pub mod participant;
pub mod pipeline;
pub mod quorum;
pub mod raft;
pub mod replication;
pub mod router;
pub mod row_locks;
pub mod scalability;
pub mod station;
pub mod store;
pub mod streams;
pub mod timeslice;
pub mod transaction;
pub mod twopc;
pub mod txn;
pub mod wal;

pub use crate::sim::{FOREVER, prefetch};
pub use app_caches::AppCaches;
pub use apply::{ApplyStream, ApplyWorkers};
pub use cache::{Cache, Filled, Lease, Lookup};
pub use derived::{Applied, DerivedStore};
pub use impairment::Impairment;
pub use log_device::{DeviceClock, LogDevice};
pub use network::Network;
pub use pipeline::{BacklogTrend, Boundaries, CdcBatch, CdcConnector, EventBus, next_refresh};
pub use replication::{Replica, ReplicationLog, Write};
pub use router::{PartitionBy, Router};
pub use row_locks::{RowKeys, RowLocks};
pub use scalability::Scalability;
pub use station::{Slot, Station};
pub use store::VersionedStore;
pub use timeslice::{Step, TimeSlicer};
pub use wal::{CommitLog, GroupCommit, Logged};

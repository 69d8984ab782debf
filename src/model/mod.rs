//! Reusable parts that architectures compose: queueing stations and the
//! network. Later parts (cache, versioned store, replication, Raft, locks,
//! 2PC, routers, pipelines) live here too.

pub mod network;
pub mod station;

pub use network::Network;
pub use station::{Started, Station};

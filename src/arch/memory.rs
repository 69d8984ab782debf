//! Memory per key of the copies an architecture keeps, for the estimate
//! made before a run (`scenario::memory`). The coefficients are measured
//! peak resident sizes per key of a release build (4 × 10^6 keys, one run),
//! rounded up; each kind's `bytes_per_key` adds up its own copies.

/// Bytes per key of a cache's index (entries are sized by the key space:
/// an entry is 48 bytes, and two bits per key mark the present entries and
/// serve the recency log's compaction).
pub const CACHE: u64 = 49;
/// Bytes per entry a cache can hold, for its recency log: a 16-byte record
/// per use, the log compacted to its live records when it outgrows twice
/// the capacity, in a queue that grows by doubling — at most four records
/// per entry.
pub const RECENCY: u64 = 64;
/// Bytes per key of a cache's lease slots under leases: the outstanding
/// token and when it was handed out.
pub const LEASE: u64 = 16;
/// Bytes per key of one replica, derived store, read model or follower
/// (a replica's key record is 24 bytes — its value, since when it lags, its
/// applied and newest shipped versions —, a derived store's about as much;
/// measured when a replica's record also held two instants).
pub const COPY: u64 = 40;
/// Bytes per key of a derived store that shows changes at its refresh or
/// batch load, for what it holds until then (`model::derived`'s batch):
/// the key's newest delivered version and value with the batch's stamp
/// (16 bytes), and its place in the list of keys delivered (8).
pub const BATCH: u64 = 24;
/// Bytes per change such a store holds until its next boundary: the commit
/// instant of a change that applies in order (8 bytes), in a list that
/// grows by doubling.
pub const PENDING_CHANGE: u64 = 16;

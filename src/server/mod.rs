//! Executors, core pinning, listeners, the connection loop, shard routing and multi-shard
//! transactions.

pub mod client;
pub mod runtime;
pub mod shards;

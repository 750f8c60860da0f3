//! Executors, core pinning, listeners, the connection loop, shard routing and multi-shard
//! transactions.

pub mod allocator;
pub mod blocking;
pub mod bulk_load;
pub mod client;
pub mod connection;
pub mod dispatch;
pub mod doorbell;
pub mod expiry;
pub mod gate;
pub mod idle_clients;
pub mod info;
pub mod key_events;
pub mod net;
pub mod pipeline;
pub mod prefetch;
pub mod probes;
pub mod process;
pub mod pubsub;
pub mod runtime;
pub mod shards;
pub mod shared;
pub mod signals;
pub mod split;
pub mod stats;
pub mod switches;
pub mod timers;
pub mod transaction;
pub mod watch;

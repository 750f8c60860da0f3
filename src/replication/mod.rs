//! Replication: Tessera as a replica of a Redis 7 master (or of another Tessera), and the role
//! changes around it.
//!
//! The replica side, in the order a sync goes: `link` (a thread owning the socket to the master:
//! connect, `handshake`, `full_sync` of the master's RDB straight into the shards, then the
//! stream cut into commands by `framing`, ACKs and timeouts), `inbox` (the ordered queue from
//! the link to the applier), `staging` (the master's dataset loaded aside until the switch),
//! `applier` (the master client on shard 0: every command through the
//! normal dispatcher, the offset, the backlog, the changes of role). Around it: `state` (ids,
//! offsets, link state), `backlog`, `gate` (what clients of a replica are refused), `control`
//! (REPLICAOF), `report` (INFO replication and ROLE), `serve` (this server's own replicas: PSYNC,
//! the relayed stream) with `dataset_rdb` (the RDB image such a replica gets on a full sync).
//!
//! Must not: be on a client's hot path. The only per-command cost outside this module is the
//! gate's atomic load in the dispatcher.

pub mod applier;
pub mod backlog;
pub mod control;
pub mod dataset_rdb;
pub mod framing;
pub mod full_resync;
pub mod full_sync;
pub mod gate;
pub mod handshake;
pub mod inbox;
pub mod link;
pub mod master_stream;
pub mod outputs;
pub mod propagate;
pub mod report;
pub mod serve;
pub mod staging;
pub mod state;
pub mod wire;

pub use gate::{is_replica, loading};

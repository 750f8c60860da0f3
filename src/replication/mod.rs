//! Replication: Tessera as a replica of a Redis 7 master (or of another Tessera), as a master of
//! its own replicas, and the role changes around it.
//!
//! The replica side, in the order a sync goes: `link` (a thread owning the socket to the master:
//! connect, `handshake`, `full_sync` of the master's RDB straight into the shards, then the
//! stream cut into commands by `framing`, ACKs and timeouts), `inbox` (the ordered queue from
//! the link to the applier), `staging` (the master's dataset loaded aside until the switch),
//! `applier` (the master client on shard 0: every command through the
//! normal dispatcher, the offset, the backlog, the changes of role).
//!
//! The master side: `propagate` (where each write's propagation record goes: a shard's slice
//! of the stream, a transaction's unit), `master_stream` (the encoding, SELECT and MULTI/EXEC,
//! appended under the state's mutex), `outputs` (each replica's pending bytes and their
//! delivery to its connection), `serve` (the registry of this server's replicas, REPLCONF),
//! `full_resync` (a replica's full sync: the sync point at a barrier, the dataset from a forked
//! child or `dataset_rdb`). A replica passes its master's stream on through the same outputs.
//!
//! Around both: `state` (ids, offsets, link state), `backlog`, `gate` (what clients of a
//! replica are refused), `control` (REPLICAOF), `report` (INFO replication and ROLE).
//!
//! Must not: be on a client's hot path beyond one atomic load per command (the gate) and per
//! write (`propagate::active`) while no replica ever attached.

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

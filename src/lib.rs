//! Tessera: a Redis-compatible in-memory server, thread-per-core on io_uring.
//!
//! The crate is both the `tessera-server` binary's body and a library, so that benchmarks and
//! tests can reach the parser, the codecs and the keyspace directly.

pub mod commands;
pub mod config;
pub mod persistence;
pub mod protocol;
pub mod rdb;
pub mod replication;
pub mod server;
pub mod storage;

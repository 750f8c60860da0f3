//! Shared harness for the integration tests: start a server, talk to it, compare replies.
//!
//! Every test file pulls this in with `mod common;`. A test starts its own server on a free
//! loopback port in its own temp dir, so tests run in parallel. The guard kills the process by
//! pid when it is dropped, also when the test panics.
//!
//! Which server runs is chosen by the environment: `TESSERA_TEST_TARGET=redis` starts stock
//! `redis-server` (to prove that an expectation is Redis's own), anything else starts the built
//! `tessera-server`.
//!
//! - `server`: the `TestServer` guard and its builder.
//! - `reply`: `run(&mut c, "SET k v")` and the `ok()`, `err(..)`, `bulk(..)`, `int(..)`, `nil()`
//!   constructors it is compared with.
//! - `raw`: a raw socket for protocol tests, which sends bytes and expects exact bytes back.
//! - `tools`: `redis-cli` and `redis-benchmark` with a deadline.
//! - `slots`: the Redis Cluster key slot and the shard Tessera gives a key.
//! - `dataset`: a dataset of every type (`populate`), and two servers' datasets compared key by
//!   key (TYPE, value, expiry time, and OBJECT ENCODING where asked).
//! - `writes`: seeded random write loads for the replication tests.

// Each test file uses a different part of the harness.
#![allow(dead_code, unused_imports)]

mod dataset;
mod raw;
mod reply;
mod server;
mod slots;
mod tools;
mod writes;

pub use dataset::{
    assert_same_dataset, dataset, dataset_diff, dataset_with_encodings, must, populate,
    wait_same_dataset, Dataset, KeyState,
};
pub use raw::{encode_command, show, RawConn};
pub use reply::{
    array, assert_between, bulk, bulks, double, err, info, info_field, info_section, int, nil, ok,
    run, run_args, status, wait_until, Reply,
};
pub use server::{follow, reserve_port, target, ServerBuilder, Target, TestServer};
pub use slots::{key_slot, keys_on_each_shard, shard_of};
pub use tools::{benchmark, cli, run_tool, ToolOutput};
pub use writes::{random_write, random_writes, random_writes_of, Mix, Rng};

/// The wall clock in Unix milliseconds, for absolute expiry times.
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.unwrap().as_millis() as i64
}

/// The wall clock in Unix seconds.
pub fn unix_secs() -> i64 {
    now_ms() / 1000
}

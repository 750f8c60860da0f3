//! State every executor can read: settings, the command table, identity, the doorbells.
//!
//! Owns: the process-wide `Shared` value, built once at start-up before any executor runs and
//! read-only afterwards (mutable settings live behind their own lock or atomics). Holds no part of
//! the keyspace.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{OnceLock, RwLock};
use std::time::Instant;

use super::doorbell::Doorbell;
use crate::commands::table::CommandTable;
use crate::config::Config;
use crate::storage::clock::UnixMillis;

/// Process-wide, read-mostly server state.
pub struct Shared {
    /// The configuration; CONFIG SET writes it, everything else reads it.
    pub config: RwLock<Config>,
    /// Every command the server knows.
    pub table: CommandTable,
    /// Number of shard executors.
    pub nr_shards: usize,
    /// Number of databases.
    pub databases: usize,
    /// One doorbell per shard.
    pub doorbells: Vec<Doorbell>,
    /// 40 hex characters identifying this run (INFO run_id).
    pub run_id: String,
    /// Monotonic start instant (uptime).
    pub started: Instant,
    /// Wall-clock start.
    pub started_wall: UnixMillis,
    /// Source of client ids.
    pub next_client_id: AtomicU64,
    /// Set when SHUTDOWN or a signal asked the server to stop.
    pub shutting_down: AtomicBool,
    /// Last successful save (LASTSAVE), Unix seconds.
    pub last_save: AtomicU64,
    /// The TCP port actually listened on.
    pub port: u16,
    /// Client connections open now, over all executors (maxclients).
    pub clients: AtomicU64,
}

static SHARED: OnceLock<Shared> = OnceLock::new();

/// The process-wide state. Panics if called before `install`.
pub fn shared() -> &'static Shared {
    SHARED
        .get()
        .expect("server state installed before executors start")
}

/// Installs the process-wide state once, at start-up.
pub fn install(s: Shared) -> &'static Shared {
    if SHARED.set(s).is_err() {
        panic!("server state installed twice");
    }
    shared()
}

impl Shared {
    /// A fresh client id.
    pub fn new_client_id(&self) -> u64 {
        self.next_client_id.fetch_add(1, Ordering::Relaxed)
    }

    /// A random 40-hex-character run id.
    pub fn random_run_id() -> String {
        use rand::RngCore;
        let mut b = [0u8; 20];
        rand::thread_rng().fill_bytes(&mut b);
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}

//! Snapshots without stopping the world: one fork, taken at a barrier between two commands.
//!
//! # API (BGSAVE, the `save` rules, and replication's full sync)
//!
//! ```text
//! let child: ChildHandle = fork_snapshot(target, async |tx| replication_info(tx).await).await?;
//! child.pid();                          // the child's process id
//! let outcome: ChildOutcome = child.wait().await;   // Done | Failed(why) | Killed(signal)
//! ```
//!
//! - [`SnapshotTarget::File`]`(path)`: the child writes `temp-<child pid>.rdb` beside `path`
//!   with direct I/O, fdatasyncs it and renames it over `path` (a crash leaves the old file or
//!   the new one). A file snapshot is a background save for INFO, LASTSAVE and
//!   `rdb_changes_since_last_save`, whoever asked for it (as a disk-based full sync is in Redis).
//! - [`SnapshotTarget::Fd`]`{ fd, prefix, suffix }`: the child writes `prefix`, the RDB, then
//!   `suffix` to `fd` (a socket or a pipe; e.g. `$EOF:<mark>\r\n` and `<mark>` for a diskless
//!   sync). The parent's copy of `fd` is closed when `fork_snapshot` returns.
//! - `at_barrier` runs while every shard is held (`tx` holds them all: `tx.run(shard, ..)` reads
//!   a shard's state), just before the fork: the dataset is exactly what it was after the last
//!   write it returns an offset for. Return the replication id, offset and selected DB to write
//!   them as AUX fields (`repl-id`, `repl-offset`, `repl-stream-db`), or `None`. When it is
//!   `None` for a file, the provider installed with [`set_replication_aux_provider`] is asked
//!   (so that BGSAVE on a master with replicas records where replication stood).
//! - One child at a time, as in Redis: a second snapshot gets [`SnapshotError::InProgress`].
//!   Whoever needs one waits for the running child (its handle, or [`super::child_active`]).
//! - The outcome arrives on the executor that called `fork_snapshot`. Dropping the handle is
//!   fine: the child is reaped and accounted for either way (by `cron` on shard 0).
//!   [`super::kill_snapshot_child`] ends it early (SIGUSR1; its temp file is removed).
//! - While it runs, INFO shows its progress (`rdb_bgsave_in_progress`, `current_save_keys_*`,
//!   `current_cow_*`); the fork's own cost is `latest_fork_usec`.
//!
//! # How
//!
//! The calling executor takes every shard's lock (`MultiShard::lock_all`: no shard runs a
//! command or touches its keyspace while it is held), reads each shard's dirty count and sizes,
//! forks, and releases the locks as soon as `fork` returns in the parent: the pause is the
//! lock round trip plus the fork itself (INFO `latest_fork_usec`). The child (`child.rs`) reads
//! every shard's keyspace from its copy-on-write image.
//!
//! Owns: the public API above and the parent's side of the fork. Runs on: a shard executor.

use std::io;
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::OnceLock;
use std::time::Instant;

use futures_channel::oneshot;

use super::child::{self, ChildJob, ChildSink};
use super::direct_io::{AlignedBuf, BUFFER};
use super::report::ChildReport;
use super::serialize::db_sizes;
use super::settings::{temp_path, SaveSettings};
use super::status::{status, unix_now, ChildSlot, DiskSave, RunningChild, BGSAVE_FAILED};
use crate::rdb::AuxFields;
use crate::server::runtime::keyspace_registry;
use crate::server::shards::{this_shard, MultiShard};

/// Where a snapshot goes.
pub enum SnapshotTarget {
    /// An RDB file at this path (written beside it, then renamed over it).
    File(PathBuf),
    /// An open socket or pipe, framed by `prefix` and `suffix`.
    Fd {
        /// The descriptor; the parent's copy is closed once the child is forked.
        fd: OwnedFd,
        /// Bytes written before the RDB.
        prefix: Vec<u8>,
        /// Bytes written after the RDB's checksum.
        suffix: Vec<u8>,
    },
}

/// Where replication stood at the barrier, written as AUX fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationAux {
    /// `repl-stream-db`: the DB the replication stream has selected.
    pub stream_db: i64,
    /// `repl-id`: 40 hex characters.
    pub repl_id: String,
    /// `repl-offset`: the offset of the last byte the snapshot includes.
    pub offset: i64,
}

/// How a snapshot child ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildOutcome {
    /// Everything was written (and, for a file, synced and renamed into place).
    Done,
    /// The child gave up; the reason, as it reported it.
    Failed(String),
    /// A signal ended the child (SIGUSR1 when the server killed it on purpose).
    Killed(i32),
}

/// Why a snapshot did not start.
#[derive(Debug)]
pub enum SnapshotError {
    /// A snapshot child already runs.
    InProgress,
    /// Preparing (mapping the report page) or forking failed.
    Fork(io::Error),
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapshotError::InProgress => f.write_str("a snapshot child is already running"),
            SnapshotError::Fork(e) => write!(f, "fork: {e}"),
        }
    }
}

/// A running snapshot child.
pub struct ChildHandle {
    pid: libc::pid_t,
    outcome: oneshot::Receiver<ChildOutcome>,
}

impl ChildHandle {
    /// The child's process id.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Waits until the child is reaped. Must be awaited on the executor that forked it.
    pub async fn wait(self) -> ChildOutcome {
        // The sender lives in the child slot until the child is reaped, killed or lost.
        self.outcome
            .await
            .unwrap_or_else(|_| ChildOutcome::Failed("the snapshot child was lost".into()))
    }
}

/// A function that says where replication stands, for file snapshots that did not bring their
/// own (see the module documentation).
pub type ReplicationAuxProvider = fn() -> Option<ReplicationAux>;

static REPLICATION_AUX: OnceLock<ReplicationAuxProvider> = OnceLock::new();

/// Installs the provider asked for replication AUX fields at every file snapshot's barrier.
/// Once per process; later calls are ignored.
pub fn set_replication_aux_provider(f: ReplicationAuxProvider) {
    let _ = REPLICATION_AUX.set(f);
}

/// Frees the child slot if the snapshot gives up before its child exists.
struct Reservation {
    armed: bool,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.armed {
            let mut s = status();
            if matches!(s.child, ChildSlot::Forking) {
                s.child = ChildSlot::None;
            }
        }
    }
}

fn reserve() -> Result<Reservation, SnapshotError> {
    let mut s = status();
    if !matches!(s.child, ChildSlot::None) {
        return Err(SnapshotError::InProgress);
    }
    s.child = ChildSlot::Forking;
    Ok(Reservation { armed: true })
}

/// The CPU the snapshot child runs on: the last one the process may use. Shards take the
/// first CPUs, so with fewer shards than CPUs the child gets a core of its own.
fn snapshot_cpu() -> Option<usize> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity writes at most its size into it. The
    // main thread's id is the process id, and the main thread is never pinned.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        let pid = libc::getpid();
        if libc::sched_getaffinity(pid, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return None;
        }
        (0..libc::CPU_SETSIZE as usize)
            .rev()
            .find(|&c| libc::CPU_ISSET(c, &set))
    }
}

/// Forks a child that writes the whole dataset, as of now, to `target`. See the module
/// documentation. Must run on a shard executor, outside any multi-shard transaction.
pub async fn fork_snapshot(
    target: SnapshotTarget,
    at_barrier: impl AsyncFnOnce(&MultiShard) -> Option<ReplicationAux>,
) -> Result<ChildHandle, SnapshotError> {
    let mut reservation = reserve()?;
    let settings = SaveSettings::current();
    let used_mem = crate::server::probes::memory().allocated;
    let report = ChildReport::new().map_err(SnapshotError::Fork)?;
    let (sink, file_path) = match target {
        SnapshotTarget::File(path) => (
            ChildSink::File {
                path: path.clone(),
                buf: AlignedBuf::new(BUFFER),
            },
            Some(path),
        ),
        SnapshotTarget::Fd { fd, prefix, suffix } => (ChildSink::Fd { fd, prefix, suffix }, None),
    };
    let cpu = snapshot_cpu();
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };

    // The barrier: from here until the fork, no shard runs anything else.
    let barrier = Instant::now();
    let tx = MultiShard::lock_all().await;
    let locked = Instant::now();
    let per_shard = tx.run_each(|ks| (db_sizes(ks), ks.stats.dirty)).await;
    let keyspaces = match keyspace_registry() {
        Some(k) => k,
        None => {
            return Err(SnapshotError::Fork(io::Error::other(
                "the shards are not all started",
            )))
        }
    };
    let repl = at_barrier(&tx).await.or_else(|| {
        file_path
            .as_ref()
            .and_then(|_| REPLICATION_AUX.get().and_then(|f| f()))
    });
    let mut aux = AuxFields::for_save(unix_now() as i64, used_mem);
    if let Some(r) = &repl {
        aux = aux.with_replication(r.stream_db, &r.repl_id, r.offset);
    }
    let keys_total: u64 = per_shard
        .iter()
        .flat_map(|(sizes, _)| sizes.iter().map(|s| s.0))
        .sum();
    let job = ChildJob {
        keyspaces,
        sink,
        options: settings.options,
        aux,
        key_delay: settings.key_delay,
        report: &report,
        cpu,
        parent,
    };
    let started = Instant::now();
    // SAFETY: fork copies only this thread. The child runs `child::run`, which never returns:
    // it touches no lock, executor or ring that other threads of this process own, and ends
    // with _exit (see child.rs). Every shard is held by `tx`, so no thread is inside a keyspace.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        child::run(job);
    }
    let fork_usec = started.elapsed().as_micros() as u64;
    drop(tx);
    // How long the shards stood still: from holding the last lock to releasing them all.
    let pause_usec = locked.elapsed().as_micros() as u64;
    let lock_usec = locked.duration_since(barrier).as_micros() as u64;
    // The parent's copies of the write buffer and the descriptor go now.
    drop(job);
    if pid < 0 {
        let e = io::Error::last_os_error();
        if file_path.is_some() {
            tracing::warn!(error = %e, "Can't save in background: fork");
            BGSAVE_FAILED.store(true, Ordering::Relaxed);
            status().last_bgsave_try = unix_now();
        }
        return Err(SnapshotError::Fork(e));
    }
    let (notify, outcome) = oneshot::channel();
    let disk = file_path.as_ref().map(|p| DiskSave {
        temp: temp_path(p, pid as u32),
        dirty_at_fork: per_shard.iter().map(|(_, d)| *d).collect(),
    });
    {
        let mut s = status();
        s.latest_fork_usec = fork_usec;
        s.total_forks += 1;
        s.cow_peak = 0;
        if disk.is_some() {
            s.rdb_saves += 1;
            s.last_bgsave_try = unix_now();
        }
        s.child = ChildSlot::Running(RunningChild {
            pid,
            started_unix: unix_now(),
            report,
            keys_total,
            disk,
            notify: Some((this_shard(), notify)),
        });
    }
    reservation.armed = false;
    match &file_path {
        Some(_) => tracing::info!(
            pid,
            fork_usec,
            pause_usec,
            lock_usec,
            "Background saving started by pid {pid}"
        ),
        None => tracing::info!(
            pid,
            fork_usec,
            pause_usec,
            lock_usec,
            "Background RDB transfer started by pid {pid}"
        ),
    }
    Ok(ChildHandle { pid, outcome })
}

//! The persistence state of the whole process: the snapshot child (at most one), the outcome
//! and counters of past saves, start-up loading, and the flags the dispatcher reads per command.
//!
//! Owns: `Status` behind one mutex (held for a few instructions, never across an await), the
//! lock-free flags `LOADING` and `BGSAVE_FAILED` (read on every command), the loading progress
//! counters (written by the loader thread), and `info_facts`, the persistence part of INFO.
//! Lives on: any thread. Must not: touch a keyspace (the dirty counters belong to the shards).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use futures_channel::oneshot;

use super::report::ChildReport;
use super::snapshot::ChildOutcome;
use crate::server::shards::ShardId;
use crate::server::shared::shared;

/// True while the dataset loads at start-up: commands without the `loading` flag are refused.
pub(crate) static LOADING: AtomicBool = AtomicBool::new(false);
/// True when the last background save failed (`rdb_last_bgsave_status:err`).
pub(crate) static BGSAVE_FAILED: AtomicBool = AtomicBool::new(false);

/// Progress of the load in progress (valid while `LOADING`).
pub(crate) struct LoadProgress {
    /// Unix seconds when it started.
    pub start_time: AtomicU64,
    /// Size of the file.
    pub total_bytes: AtomicU64,
    /// Bytes read so far.
    pub loaded_bytes: AtomicU64,
}

pub(crate) static LOAD_PROGRESS: LoadProgress = LoadProgress {
    start_time: AtomicU64::new(0),
    total_bytes: AtomicU64::new(0),
    loaded_bytes: AtomicU64::new(0),
};

/// A save to a file by the child: what to undo or apply when it ends.
pub(crate) struct DiskSave {
    /// The temp file it writes (removed if the child is killed).
    pub temp: PathBuf,
    /// Each shard's dirty count at the fork, subtracted on success.
    pub dirty_at_fork: Vec<u64>,
}

/// The snapshot child while it runs.
pub(crate) struct RunningChild {
    /// Its process id.
    pub pid: libc::pid_t,
    /// Unix seconds when it was forked.
    pub started_unix: u64,
    /// Its progress page.
    pub report: ChildReport,
    /// Keys in the dataset at the fork.
    pub keys_total: u64,
    /// Set for a save to a file (BGSAVE, the `save` rules); `None` for a descriptor.
    pub disk: Option<DiskSave>,
    /// Who waits for the outcome: the shard to complete it on, and the sender.
    pub notify: Option<(ShardId, oneshot::Sender<ChildOutcome>)>,
}

/// The child slot: at most one snapshot child at a time, as in Redis.
#[derive(Default)]
pub(crate) enum ChildSlot {
    /// No child.
    #[default]
    None,
    /// Reserved by a snapshot that is locking the shards and forking.
    Forking,
    /// A child runs.
    Running(RunningChild),
}

/// Outcomes and counters of saves and loads.
pub(crate) struct Status {
    /// The snapshot child.
    pub child: ChildSlot,
    /// Unix seconds of the last BGSAVE attempt (a failed one is retried after 5 s).
    pub last_bgsave_try: u64,
    /// A BGSAVE waits for the child slot (BGSAVE SCHEDULE, or BGSAVE inside MULTI).
    pub bgsave_scheduled: bool,
    /// Seconds the last background save took; -1 before the first.
    pub save_time_last: i64,
    /// Saves started (SAVE and background), `rdb_saves`.
    pub rdb_saves: u64,
    /// Copy-on-write bytes of the last successful child.
    pub last_cow_size: u64,
    /// Highest copy-on-write size reported by the running child.
    pub cow_peak: u64,
    /// Microseconds the last fork took.
    pub latest_fork_usec: u64,
    /// Forks done.
    pub total_forks: u64,
    /// Keys the last start-up load stored.
    pub last_load_keys_loaded: u64,
    /// Keys the last start-up load dropped as expired.
    pub last_load_keys_expired: u64,
}

static STATUS: Mutex<Status> = Mutex::new(Status {
    child: ChildSlot::None,
    last_bgsave_try: 0,
    bgsave_scheduled: false,
    save_time_last: -1,
    rdb_saves: 0,
    last_cow_size: 0,
    cow_peak: 0,
    latest_fork_usec: 0,
    total_forks: 0,
    last_load_keys_loaded: 0,
    last_load_keys_expired: 0,
});

/// Locks the status. Hold it briefly and never across an await.
pub(crate) fn status() -> MutexGuard<'static, Status> {
    STATUS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Unix seconds now.
pub(crate) fn unix_now() -> u64 {
    crate::storage::clock::UnixMillis::now().as_secs()
}

/// True while the dataset is loading.
pub fn is_loading() -> bool {
    LOADING.load(Ordering::Relaxed)
}

/// True while a snapshot child runs (or is being forked).
pub fn child_active() -> bool {
    !matches!(status().child, ChildSlot::None)
}

/// True while a snapshot child runs (not while one is being forked).
pub(crate) fn child_running() -> bool {
    matches!(status().child, ChildSlot::Running(_))
}

/// Zeroes the counters CONFIG RESETSTAT resets: `latest_fork_usec`, `total_forks`,
/// `rdb_saves`.
pub fn reset_stats() {
    let mut s = status();
    s.latest_fork_usec = 0;
    s.total_forks = 0;
    s.rdb_saves = 0;
}

/// Records the outcome of a save: the time of the last success (LASTSAVE) and whether the last
/// one failed (`rdb_last_bgsave_status`, which also decides MISCONF).
pub(crate) fn record_save_result(ok: bool) {
    if ok {
        shared().last_save.store(unix_now(), Ordering::Relaxed);
    }
    BGSAVE_FAILED.store(!ok, Ordering::Relaxed);
}

/// INFO's persistence facts, and the fork counters of its stats section.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersistenceFacts {
    /// Writes since the last save.
    pub changes_since_last_save: u64,
    /// Unix seconds of the last successful save.
    pub last_save_time: u64,
    /// A background save runs.
    pub bgsave_in_progress: bool,
    /// The last background save failed.
    pub last_bgsave_failed: bool,
    /// Seconds the last background save took; -1 before the first.
    pub last_bgsave_time_sec: i64,
    /// Seconds the current background save has run; -1 when none runs.
    pub current_bgsave_time_sec: i64,
    /// Saves started.
    pub rdb_saves: u64,
    /// Copy-on-write bytes of the last successful child.
    pub last_cow_size: u64,
    /// The running child's copy-on-write size, its peak, and seconds since it was measured.
    pub current_cow: (u64, u64, u64),
    /// The running child's keys written and the keys it has to write.
    pub current_save_keys: (u64, u64),
    /// Keys the last load stored and dropped as expired.
    pub last_load_keys: (u64, u64),
    /// Microseconds the last fork took.
    pub latest_fork_usec: u64,
    /// Forks done.
    pub total_forks: u64,
    /// Set while loading.
    pub loading: Option<LoadingFacts>,
}

/// INFO's `loading_*` fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadingFacts {
    /// Unix seconds when loading started.
    pub start_time: u64,
    /// Size of the file.
    pub total_bytes: u64,
    /// Bytes read so far.
    pub loaded_bytes: u64,
    /// Percent read.
    pub loaded_perc: f64,
    /// Seconds left at the current pace (1 during the first second).
    pub eta_seconds: u64,
}

/// Gathers the persistence facts; `dirty` is the shards' summed dirty count.
pub fn info_facts(dirty: u64) -> PersistenceFacts {
    let now = unix_now();
    let now_ms = crate::storage::clock::UnixMillis::now().0;
    let s = status();
    let mut f = PersistenceFacts {
        changes_since_last_save: dirty,
        last_save_time: shared().last_save.load(Ordering::Relaxed),
        last_bgsave_failed: BGSAVE_FAILED.load(Ordering::Relaxed),
        last_bgsave_time_sec: s.save_time_last,
        current_bgsave_time_sec: -1,
        rdb_saves: s.rdb_saves,
        last_cow_size: s.last_cow_size,
        last_load_keys: (s.last_load_keys_loaded, s.last_load_keys_expired),
        latest_fork_usec: s.latest_fork_usec,
        total_forks: s.total_forks,
        ..PersistenceFacts::default()
    };
    if let ChildSlot::Running(c) = &s.child {
        f.bgsave_in_progress = true;
        f.current_bgsave_time_sec = now.saturating_sub(c.started_unix) as i64;
        let (cow, at_ms) = c.report.cow();
        let age = if at_ms == 0 {
            0
        } else {
            now_ms.saturating_sub(at_ms) / 1000
        };
        f.current_cow = (cow, s.cow_peak.max(cow), age);
        f.current_save_keys = (c.report.keys_processed(), c.keys_total);
    }
    drop(s);
    if is_loading() {
        let p = &LOAD_PROGRESS;
        let start = p.start_time.load(Ordering::Relaxed);
        let total = p.total_bytes.load(Ordering::Relaxed);
        let loaded = p.loaded_bytes.load(Ordering::Relaxed);
        let (perc, remaining) = if total > 0 {
            (
                loaded as f64 * 100.0 / total as f64,
                total.saturating_sub(loaded),
            )
        } else {
            (0.0, 1)
        };
        let elapsed = now.saturating_sub(start);
        let eta = if elapsed == 0 {
            1
        } else {
            elapsed * remaining / (loaded + 1)
        };
        f.loading = Some(LoadingFacts {
            start_time: start,
            total_bytes: total,
            loaded_bytes: loaded,
            loaded_perc: perc,
            eta_seconds: eta,
        });
    }
    f
}

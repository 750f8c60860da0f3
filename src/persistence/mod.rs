//! RDB persistence around the file format: snapshots, the save rules, the final save at
//! shutdown, loading at start-up, and the persistence state INFO reports.
//!
//! Owns the machinery; `crate::rdb` owns the bytes. Files, one idea each:
//! - `snapshot`: the public API to fork a snapshot child (file or descriptor), also used by
//!   replication's full sync; read its top comment first.
//! - `child`: what the forked child runs. `reap`: the child's end and its bookkeeping.
//! - `save`: the foreground save (SAVE, SHUTDOWN, FLUSHALL), shard by shard under a lock.
//! - `serialize`: the key-walking loop both write with. `direct_io`: O_DIRECT files,
//!   descriptors, and the rename that publishes a finished file. `report`: the page the child
//!   shares with its parent.
//! - `cron`: shard 0's timer task (reaping, save rules, signalled shutdowns).
//! - `shutdown`: SHUTDOWN and SIGTERM. `load`: start-up loading. `admission`: the LOADING and
//!   MISCONF refusals. `status`: the process-wide state and INFO's facts. `settings`: the
//!   directives a save reads.
//!
//! Start-up (`main`): `load::prepare` before the executors start, then [`on_shard_start`] in
//! each shard's body.

pub mod admission;
mod child;
pub mod cron;
pub mod direct_io;
pub mod load;
mod reap;
pub mod report;
pub mod save;
pub mod serialize;
pub mod settings;
pub mod shutdown;
pub mod snapshot;
pub mod status;

pub use reap::kill_child as kill_snapshot_child;
pub use shutdown::{abort_shutdown, prepare_for_shutdown, ShutdownFlags};
pub use snapshot::{
    fork_snapshot, set_replication_aux_provider, ChildHandle, ChildOutcome, ReplicationAux,
    SnapshotError, SnapshotTarget,
};
pub use status::{child_active, info_facts, is_loading, LoadingFacts, PersistenceFacts};

use crate::server::shards::{MultiShard, ShardId};

/// Starts what persistence runs on shard `id`: on shard 0, the cron and the pending load.
/// Call from each shard's body, once its executor runs.
pub fn on_shard_start(id: ShardId) {
    if id == 0 {
        glommio::spawn_local(cron::run()).detach();
        load::start();
    }
}

/// Starts a background save to `dir/dbfilename` (BGSAVE, the save rules). Returns the child's
/// pid.
pub async fn bgsave() -> Result<i32, SnapshotError> {
    let path = settings::SaveSettings::current().path;
    let child = fork_snapshot(SnapshotTarget::File(path), async |_| None).await?;
    Ok(child.pid())
}

/// Asks the cron to start a background save as soon as no child runs (BGSAVE SCHEDULE, BGSAVE
/// inside MULTI).
pub fn schedule_bgsave() {
    status::status().bgsave_scheduled = true;
}

/// SAVE: holds every shard and writes the dataset now. Counts in `rdb_saves`.
pub async fn save() -> Result<(), String> {
    status::status().rdb_saves += 1;
    let tx = MultiShard::lock_all().await;
    save::save_locked(&tx).await
}

/// What FLUSHALL adds, as in Redis, while the caller still holds every shard (`tx`): a running
/// snapshot child is killed (its image predates the flush), and with save points configured the
/// now empty dataset is saved at once, so a restart does not bring the flushed keys back.
pub async fn after_flushall(tx: &MultiShard) {
    if is_loading() {
        return;
    }
    reap::kill_child().await;
    if !settings::save_points().is_empty() {
        let _ = save::save_locked(tx).await;
    }
}

//! The foreground save: SAVE, SHUTDOWN's final save and FLUSHALL's, written by the server
//! itself while every shard is held.
//!
//! Owns: `save_locked`. The file is the same as a background save's (same writer, same direct
//! I/O, same temp-file-then-rename), but no child is forked: the writer travels from shard to
//! shard inside the caller's multi-shard transaction, and each shard writes its own part of each
//! database on its own thread, so no keyspace is ever read by another thread. The dataset
//! cannot change meanwhile: every shard is held. On success the shards' dirty counts go to 0,
//! LASTSAVE moves and the save status is `ok`, as after Redis's `rdbSave`.
//! Runs on: a shard executor, inside a transaction holding every shard.

use std::io;

use super::direct_io::{publish, AlignedBuf, DirectFile, BUFFER};
use super::serialize::{db_sizes, sum_sizes, write_db_part, Progress};
use super::settings::{temp_path, SaveSettings};
use super::status::{record_save_result, unix_now};
use crate::rdb::{AuxFields, RdbWriter};
use crate::server::shards::MultiShard;

/// Saves the dataset to `dir/dbfilename` now. `tx` must hold every shard. On failure the
/// reason is logged (and returned); the old file is left as it was.
pub async fn save_locked(tx: &MultiShard) -> Result<(), String> {
    let settings = SaveSettings::current();
    let started = std::time::Instant::now();
    let temp = temp_path(&settings.path, std::process::id());
    let r = write_file(tx, &settings, &temp).await;
    let r = r
        .map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            format!("Write error saving DB on disk: {e}")
        })
        .and_then(|keys| {
            publish(&temp, &settings.path).map_err(|e| {
                format!(
                    "Error moving temp DB file {} on the final destination {}: {e}",
                    temp.display(),
                    settings.path.display()
                )
            })?;
            Ok(keys)
        });
    match r {
        Ok(keys) => {
            tx.run_each(|ks| ks.stats.dirty = 0).await;
            record_save_result(true);
            tracing::info!(
                keys,
                ms = started.elapsed().as_millis() as u64,
                "DB saved on disk"
            );
            Ok(())
        }
        Err(why) => {
            tracing::warn!("{why}");
            Err(why)
        }
    }
}

/// Writes the temp file and syncs it. Returns the keys written.
async fn write_file(
    tx: &MultiShard,
    settings: &SaveSettings,
    temp: &std::path::Path,
) -> io::Result<u64> {
    let sizes = tx.run_each(|ks| db_sizes(ks)).await;
    let totals = sum_sizes(&sizes);
    let used_mem = crate::server::probes::memory().allocated;
    let aux = AuxFields::for_save(unix_now() as i64, used_mem);
    let file = DirectFile::create(temp, AlignedBuf::new(BUFFER))?;
    let mut rdb = RdbWriter::new(file, settings.options, &aux)?;
    let mut keys = 0;
    let delay = settings.key_delay;
    for (db, &(n, volatile)) in totals.iter().enumerate() {
        if n == 0 {
            continue;
        }
        rdb.select_db(db as u64, n, volatile)?;
        for (i, &shard) in tx.shards().iter().enumerate() {
            if sizes[i].get(db).is_none_or(|s| s.0 == 0) {
                continue;
            }
            // The writer hops to the shard, which writes its own keys of this database.
            let (back, result) = tx
                .run(shard, move |ks| {
                    let mut tick = |_| {};
                    let mut progress = Progress::new(delay, &mut tick);
                    let r = write_db_part(&mut rdb, &ks.dbs[db], &mut progress)
                        .map(|()| progress.keys());
                    (rdb, r)
                })
                .await;
            rdb = back;
            keys += result?;
        }
    }
    rdb.finish()?.finish()?;
    Ok(keys)
}

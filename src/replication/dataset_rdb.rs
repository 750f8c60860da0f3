//! An RDB image of the whole dataset, for a replica of this server that needs a full sync.
//!
//! Owns: writing it while the caller holds every shard (one writer travels from shard to shard
//! through the transaction's hops, each shard adding its own keys of every DB), so the image is
//! one consistent moment: the caller takes the replication offset in the same transaction. The
//! RDB format allows a DB's keys in several SELECTDB runs, so shards need not merge their keys.
//! The image is built in memory while the shards wait: the fallback of `full_resync` when no
//! snapshot child can be forked, or the replica needs a sized payload.

use crate::rdb::{AuxFields, RdbWriter, WriteOptions};
use crate::server::shards::MultiShard;

/// The dataset as an RDB file whose AUX fields say where replication stood: `stream_db`, the DB
/// the stream had selected, `replid` and `offset`. `tx` must hold every shard. `None` if
/// writing failed (it writes to memory, so only a bug can make it fail).
pub async fn dataset_rdb(
    tx: &MultiShard,
    stream_db: usize,
    replid: &str,
    offset: i64,
) -> Option<Vec<u8>> {
    let now = crate::storage::clock::UnixMillis::now();
    let aux = AuxFields::for_save(now.as_secs() as i64, 0).with_replication(
        stream_db as i64,
        replid,
        offset,
    );
    let opts = WriteOptions {
        compression: crate::commands::settings::rdbcompression(),
        checksum: true,
    };
    let mut writer = RdbWriter::new(Vec::new(), opts, &aux).ok()?;
    for shard in tx.shards().to_vec() {
        writer = tx
            .run(shard, move |ks| {
                for (i, db) in ks.dbs.iter().enumerate() {
                    writer.write_db(i as u64, &[db])?;
                }
                Ok::<_, std::io::Error>(writer)
            })
            .await
            .ok()?;
    }
    writer.finish().ok()
}

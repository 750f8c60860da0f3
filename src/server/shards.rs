//! The shard mesh: which shard owns a key, and how a task on one executor runs code on another.
//!
//! Vocabulary: a *hop* is one message to another shard and its answer. `hop` awaits the answer.
//! Rules: a closure sent on a hop runs on the target executor between two commands, must not
//! block, and keeps no reference into the target's keyspace after it returns.

use bytes::Bytes;

use crate::storage::keyspace::Keyspace;

/// Index of a shard executor, `0..nr_shards()`.
pub type ShardId = usize;

/// Number of shard executors.
pub fn nr_shards() -> usize {
    super::runtime::nr_shards()
}

/// The shard the calling executor owns.
pub fn this_shard() -> ShardId {
    super::runtime::this_shard()
}

/// The hash slot of `key` as Redis Cluster computes it: CRC16 (XMODEM) of the key, or of its
/// `{hash tag}` when the key has a non-empty one, modulo 16384.
pub fn key_slot(key: &[u8]) -> u16 {
    // A static, not a const: a const would copy the table at every call. Slice-by-16 rather
    // than a byte at a time: with two shards every command computes its key's slot, and the
    // bytewise loop was 7 % of the CPU of GET -P 16 (16-byte keys).
    static CRC16: crc::Crc<u16, crc::Table<16>> =
        crc::Crc::<u16, crc::Table<16>>::new(&crc::CRC_16_XMODEM);
    CRC16.checksum(hash_tag(key)) & 0x3FFF
}

/// The part of `key` that decides its slot: the bytes between the first `{` and the next `}`,
/// when that is non-empty; else the whole key.
pub fn hash_tag(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

/// The shard that owns `key`: its slot spread evenly over the shards.
pub fn owner_of(key: &[u8]) -> ShardId {
    match nr_shards() {
        1 => 0,
        n => owner_of_slot(key_slot(key), n),
    }
}

/// The shard owning `slot` among `nr` shards.
pub fn owner_of_slot(slot: u16, nr: usize) -> ShardId {
    slot as usize * nr / 16384
}

/// Runs `f` on this executor's keyspace. Must not be called while another borrow is live (never
/// from inside a hop closure).
pub fn with_keyspace<R>(f: impl FnOnce(&mut Keyspace) -> R) -> R {
    super::runtime::with_keyspace(f)
}

/// Runs `f` on `shard`'s keyspace and returns its result. Runs inline when `shard` is this one.
/// Waits while the shard is held by a multi-shard transaction.
pub async fn hop<R, F>(shard: ShardId, f: F) -> R
where
    R: Send + 'static,
    F: FnOnce(&mut Keyspace) -> R + Send + 'static,
{
    super::runtime::hop(shard, f).await
}

/// Runs `f` on every shard, one after the other in shard order, each at its own moment (not
/// atomic across shards). Results come back in shard order.
pub async fn on_all_shards<R, F>(f: F) -> Vec<R>
where
    R: Send + 'static,
    F: Fn(&mut Keyspace) -> R + Send + Clone + 'static,
{
    let mut out = Vec::with_capacity(nr_shards());
    for s in 0..nr_shards() {
        out.push(hop(s, f.clone()).await);
    }
    out
}

/// A multi-shard transaction: while it lives, the shards it locked run nothing but its own hops,
/// so no client observes half of a command that spans them. Shards are locked in ascending order,
/// which keeps concurrent transactions free of deadlock.
pub struct MultiShard {
    shards: Vec<ShardId>,
    inner: super::runtime::TxHandle,
    /// Borrowed from the ambient transaction (inside EXEC): its owner releases the locks.
    borrowed: bool,
}

impl MultiShard {
    /// Locks `shards` (duplicates and order do not matter), waiting for earlier holders.
    pub async fn lock(mut shards: Vec<ShardId>) -> MultiShard {
        shards.sort_unstable();
        shards.dedup();
        if let Some(inner) = super::runtime::ambient_covering(&shards) {
            return MultiShard {
                shards,
                inner,
                borrowed: true,
            };
        }
        let parts = shards
            .iter()
            .map(|&shard| super::runtime::LockPart {
                shard,
                keys: None,
                on_grant: None,
            })
            .collect();
        let (inner, _) = super::runtime::tx_lock(parts).await;
        MultiShard {
            shards,
            inner,
            borrowed: false,
        }
    }

    /// Locks the keys of `work` on their shards and runs each shard's job there as its lock is
    /// granted, in one message per shard; the answers come back in shard order. Each job must
    /// touch its shard's keys only (the locks cover nothing else). The locks are released when
    /// it returns.
    pub async fn lock_keys_and_run<R, F>(
        mut work: Vec<(ShardId, Vec<super::gate::KeyId>, F)>,
    ) -> Vec<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut Keyspace) -> R + Send + 'static,
    {
        work.sort_by_key(|(s, _, _)| *s);
        let shards: Vec<ShardId> = work.iter().map(|(s, _, _)| *s).collect();
        debug_assert!(shards.windows(2).all(|w| w[0] < w[1]), "one job per shard");
        if let Some(inner) = super::runtime::ambient_covering(&shards) {
            let tx = MultiShard {
                shards,
                inner,
                borrowed: true,
            };
            let mut out = Vec::with_capacity(work.len());
            for (s, _, f) in work {
                out.push(tx.run(s, f).await);
            }
            return out;
        }
        let visible = crate::storage::db::expired_visible();
        let mut answers = Vec::with_capacity(work.len());
        let mut jobs = Vec::with_capacity(work.len());
        for (shard, keys, f) in work {
            let (tx, rx) = futures_channel::oneshot::channel();
            answers.push(rx);
            jobs.push(super::runtime::LockPart {
                shard,
                keys: Some(keys),
                on_grant: Some(Box::new(move || {
                    let r = super::runtime::with_keyspace_as(visible, f);
                    Some(Box::new(move || {
                        let _ = tx.send(r);
                    }))
                })),
            });
        }
        let (inner, held) = super::runtime::tx_lock(jobs).await;
        super::runtime::tx_release(&inner, &held);
        let mut out = Vec::with_capacity(answers.len());
        for rx in answers {
            out.push(rx.await.expect("a locked shard ran its job"));
        }
        out
    }

    /// Locks every shard.
    pub async fn lock_all() -> MultiShard {
        MultiShard::lock((0..nr_shards()).collect()).await
    }

    /// The locked shards, ascending.
    pub fn shards(&self) -> &[ShardId] {
        &self.shards
    }

    /// Runs `f` on `shard`, which must be one of the locked shards.
    pub async fn run<R, F>(&self, shard: ShardId, f: F) -> R
    where
        R: Send + 'static,
        F: FnOnce(&mut Keyspace) -> R + Send + 'static,
    {
        debug_assert!(self.shards.contains(&shard), "shard {shard} is not locked");
        super::runtime::tx_run(&self.inner, shard, f).await
    }

    /// Runs `f` on every locked shard, in shard order.
    pub async fn run_each<R, F>(&self, f: F) -> Vec<R>
    where
        R: Send + 'static,
        F: Fn(&mut Keyspace) -> R + Send + Clone + 'static,
    {
        let mut out = Vec::with_capacity(self.shards.len());
        for &s in &self.shards {
            out.push(self.run(s, f.clone()).await);
        }
        out
    }

    /// Sends `argv` (run in `db`) to replicas as part of this transaction's unit: the way a
    /// command spread over shards sends itself as a whole, once it knows it wrote. Call before
    /// the transaction is released.
    pub fn propagate(&self, db: usize, argv: Vec<Bytes>) {
        crate::replication::propagate::in_unit(self.inner.id(), db, argv);
    }

    /// Releases the locks. Dropping a `MultiShard` releases them too.
    pub fn release(self) {}

    /// Runs `f` inside this transaction: the hops and multi-shard locks it takes on the locked
    /// shards run under this transaction's locks instead of waiting for them.
    pub async fn within<F: std::future::Future>(&self, f: F) -> F::Output {
        super::runtime::InTx::new(&self.inner, &self.shards, f).await
    }
}

impl Drop for MultiShard {
    fn drop(&mut self) {
        if !self.borrowed {
            super::runtime::tx_release(&self.inner, &self.shards);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_redis_cluster() {
        // Values from CLUSTER KEYSLOT on stock Redis.
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"foo{}{bar}"), key_slot(b"foo{}{bar}"));
        assert_eq!(hash_tag(b"foo{}{bar}"), b"foo{}{bar}");
        assert_eq!(hash_tag(b"foo{{bar}}zap"), b"{bar");
    }

    #[test]
    fn slots_spread_evenly_over_shards() {
        assert_eq!(owner_of_slot(0, 2), 0);
        assert_eq!(owner_of_slot(8191, 2), 0);
        assert_eq!(owner_of_slot(8192, 2), 1);
        assert_eq!(owner_of_slot(16383, 3), 2);
    }
}

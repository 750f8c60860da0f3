//! Placeholder for the executor runtime.

use super::shards::ShardId;
use crate::storage::keyspace::Keyspace;

pub(crate) fn nr_shards() -> usize {
    1
}

pub(crate) fn this_shard() -> ShardId {
    0
}

pub(crate) fn with_keyspace<R>(_f: impl FnOnce(&mut Keyspace) -> R) -> R {
    unimplemented!()
}

pub(crate) async fn hop<R, F>(_shard: ShardId, f: F) -> R
where
    R: Send + 'static,
    F: FnOnce(&mut Keyspace) -> R + Send + 'static,
{
    with_keyspace(f)
}

/// Identifies a multi-shard transaction's locks.
pub struct TxHandle;

pub(crate) async fn tx_lock(_shards: &[ShardId]) -> TxHandle {
    TxHandle
}

pub(crate) async fn tx_run<R, F>(_tx: &TxHandle, shard: ShardId, f: F) -> R
where
    R: Send + 'static,
    F: FnOnce(&mut Keyspace) -> R + Send + 'static,
{
    hop(shard, f).await
}

pub(crate) fn tx_release(_tx: &TxHandle, _shards: &[ShardId]) {}

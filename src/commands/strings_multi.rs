//! The string commands over many keys: MGET, MSET, MSETNX.
//!
//! Owns: their per-shard handlers, and MSETNX's own cross-shard protocol (MGET and MSET are split
//! and merged by the dispatcher). Runs on: the executor owning the keys, except
//! `msetnx_spread`, which runs on the caller's executor and reaches the shards through hops.

use std::collections::BTreeMap;

use bytes::Bytes;
use futures_lite::future::BoxedLocal;

use super::ctx::{AsyncCtx, ShardCtx};
use super::table::CmdResult;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::shards::{owner_of, MultiShard, ShardId};
use crate::storage::clock::UnixMillis;
use crate::storage::keyspace::Keyspace;

/// MGET key [key ...]
///
/// One reply per key: its value, or nil when it is absent or holds another type (MGET never
/// fails on a type).
pub(super) fn mget(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let values = args[1..]
        .iter()
        .map(|key| match cx.lookup_read(key).map(|e| e.value.as_str()) {
            Some(Some(v)) => Reply::bulk_str(v),
            _ => Reply::Nil,
        })
        .collect();
    Ok(Reply::Array(values))
}

/// MSET key value [key value ...]
///
/// Stores every pair, clearing any TTL. A key given twice ends with its last value.
pub(super) fn mset(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    check_pairs(args, "mset")?;
    store_pairs(cx, &args[1..]);
    Ok(Reply::Ok)
}

/// MSETNX key value [key value ...]
///
/// Stores every pair when none of the keys exists (1), else stores nothing (0).
pub(super) fn msetnx(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    check_pairs(args, "msetnx")?;
    if any_exists(cx, args[1..].iter().step_by(2)) {
        cx.out.suppress();
        return Ok(Reply::Int(0));
    }
    store_pairs(cx, &args[1..]);
    Ok(Reply::Int(1))
}

/// MSETNX whose keys live on several shards. Locks those shards (so no client sees a half-done
/// MSETNX), asks each whether one of its keys exists, and only when none does, stores each
/// shard's pairs. Each shard's part is the same work `msetnx` does on one shard.
pub(super) fn msetnx_spread(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        check_pairs(&argv, "msetnx")?;
        let mut by_shard: BTreeMap<ShardId, Vec<Bytes>> = BTreeMap::new();
        for pair in argv[1..].chunks_exact(2) {
            by_shard
                .entry(owner_of(&pair[0]))
                .or_default()
                .extend_from_slice(pair);
        }
        let tx = MultiShard::lock(by_shard.keys().copied().collect()).await;
        let (db, now) = (cx.db, UnixMillis::now());
        for (&shard, pairs) in &by_shard {
            let keys: Vec<Bytes> = pairs.iter().step_by(2).cloned().collect();
            let taken = tx
                .run(shard, move |ks| {
                    on_shard(ks, db, now, |cx| any_exists(cx, keys.iter()))
                })
                .await;
            if taken {
                return Ok(Reply::Int(0));
            }
        }
        for (shard, pairs) in by_shard {
            tx.run(shard, move |ks| {
                on_shard(ks, db, now, |cx| store_pairs(cx, &pairs))
            })
            .await;
        }
        tx.propagate(db, argv);
        Ok(Reply::Int(1))
    })
}

/// Runs `f` with a context on one shard's keyspace, from inside a hop.
fn on_shard<R>(
    ks: &mut Keyspace,
    db: usize,
    now: UnixMillis,
    f: impl FnOnce(&mut ShardCtx<'_>) -> R,
) -> R {
    super::keys::with_shard_ctx(ks, db, now, f)
}

/// Pairs need an odd argc (the name plus key/value pairs); the table's arity cannot say so.
fn check_pairs(args: &[Bytes], name: &'static str) -> Result<(), CmdError> {
    if args.len().is_multiple_of(2) {
        return Err(CmdError::WrongArity(name.into()));
    }
    Ok(())
}

/// True when one of `keys` exists (expired keys count as absent and are reclaimed).
fn any_exists<'k>(cx: &mut ShardCtx<'_>, mut keys: impl Iterator<Item = &'k Bytes>) -> bool {
    keys.any(|k| cx.lookup_write(k).is_some())
}

/// Stores each key/value pair of `pairs`, without TTL. Counts one change per pair.
fn store_pairs(cx: &mut ShardCtx<'_>, pairs: &[Bytes]) {
    for pair in pairs.chunks_exact(2) {
        cx.db().insert_str(&pair[0], &pair[1], None);
    }
    cx.dirty((pairs.len() / 2) as u64);
}

#[cfg(test)]
mod tests {
    use super::super::strings::testing::*;
    use super::*;
    use crate::commands::propagation::Propagation;

    #[test]
    fn mget_answers_nil_for_missing_keys() {
        let mut s = Session::new();
        s.run("SET a 1");
        s.run("SET c 3");
        assert_eq!(
            s.run("MGET a b c a"),
            Reply::Array(vec![bulk("1"), nil(), bulk("3"), bulk("1")])
        );
        assert_eq!(s.ks.stats.hits, 3);
        assert_eq!(s.ks.stats.misses, 1);
    }

    #[test]
    fn mset_stores_every_pair_and_clears_ttls() {
        let mut s = Session::new();
        s.run("SET a old EX 100");
        let dirty = s.ks.stats.dirty;
        assert_eq!(s.run("MSET a 1 b 2 a 3"), ok());
        assert_eq!(s.out, Propagation::AsIs);
        assert_eq!(s.ks.stats.dirty, dirty + 3);
        assert_eq!(s.run("MGET a b"), Reply::Array(vec![bulk("3"), bulk("2")]));
        assert_eq!(s.deadline("a"), None);
        assert_eq!(
            s.run("MSET a 1 b"),
            err("ERR wrong number of arguments for 'mset' command")
        );
        assert_eq!(s.run("GET a"), bulk("3"));
    }

    #[test]
    fn msetnx_stores_all_or_nothing() {
        let mut s = Session::new();
        assert_eq!(s.run("MSETNX a 1 b 2"), int(1));
        assert_eq!(s.out, Propagation::AsIs);
        assert_eq!(s.run("MSETNX c 3 b 9"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(
            s.run("MGET a b c"),
            Reply::Array(vec![bulk("1"), bulk("2"), nil()])
        );
        assert_eq!(
            s.run("MSETNX c 3 d"),
            err("ERR wrong number of arguments for 'msetnx' command")
        );
        assert_eq!(s.run("MSETNX c 3 c 4"), int(1));
        assert_eq!(s.run("GET c"), bulk("4"));
    }

    #[test]
    fn msetnx_treats_an_expired_key_as_absent() {
        let mut s = Session::new();
        s.run("SET a 1 PX 10");
        s.now.0 += 11;
        assert_eq!(s.run("MSETNX a 2"), int(1));
        assert_eq!(s.run("GET a"), bulk("2"));
        assert_eq!(s.deadline("a"), None);
    }

    #[test]
    fn each_shard_part_of_a_spread_msetnx_works_alone() {
        let mut ks = Keyspace::new(16);
        let now = UnixMillis(1_000);
        let keys = [Bytes::from("a"), Bytes::from("b")];
        assert!(!on_shard(&mut ks, 3, now, |cx| any_exists(cx, keys.iter())));
        let pairs = [Bytes::from("a"), Bytes::from("1")];
        on_shard(&mut ks, 3, now, |cx| store_pairs(cx, &pairs));
        assert!(on_shard(&mut ks, 3, now, |cx| any_exists(cx, keys.iter())));
        assert!(!on_shard(&mut ks, 0, now, |cx| any_exists(cx, keys.iter())));
        assert_eq!(ks.stats.dirty, 1);
    }
}

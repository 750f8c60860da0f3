//! SMOVE: moving one member from a set to another.
//!
//! Owns: the handler and its steps, which serve both the one-shard form and the form whose two
//! keys live on different shards (one hop per step there, inside a `MultiShard` transaction that
//! keeps both shards still, so no client sees the member in both sets or in neither).

use bytes::Bytes;
use futures_lite::future::BoxedLocal;

use super::{delete_if_empty, store_set};
use crate::commands::ctx::{AsyncCtx, ShardCtx};
use crate::commands::keys::with_shard_ctx;
use crate::commands::table::CmdResult;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::shards::{owner_of, MultiShard};
use crate::storage::clock::UnixMillis;
use crate::storage::set::SetValue;
use crate::storage::value::Value;

/// SMOVE source destination member
///
/// Moves `member` from the set at `source` to the set at `destination` (created when absent).
/// Replies 1 when it was in `source`, else 0. The checks come in Redis's order: an absent
/// `source` replies 0 before any type is checked; then `source`, then `destination`, must hold a
/// set. With `source` = `destination` nothing changes, and the reply says whether `member` is
/// there.
pub(super) fn smove(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let (src, dst, member) = (&argv[1], &argv[2], &argv[3]);
    let present = match check_source(cx, src, member)? {
        Some(present) => present,
        None => {
            cx.out.suppress();
            return Ok(Reply::Int(0));
        }
    };
    check_dest(cx, dst)?;
    if src == dst || !present {
        cx.out.suppress();
        return Ok(Reply::Int(present as i64));
    }
    take(cx, src, member);
    put(cx, dst, member);
    Ok(Reply::Int(1))
}

/// Step one, on the source's shard: whether `member` is in the set at `src`; `None` when `src`
/// is absent, `WrongType` when it holds another type.
fn check_source(
    cx: &mut ShardCtx<'_>,
    src: &[u8],
    member: &[u8],
) -> Result<Option<bool>, CmdError> {
    Ok(cx
        .write_typed(src, Value::as_set_mut)?
        .map(|s| s.contains(member)))
}

/// Step two, on the destination's shard: `WrongType` unless `dst` is absent or holds a set.
fn check_dest(cx: &mut ShardCtx<'_>, dst: &[u8]) -> Result<(), CmdError> {
    cx.write_typed(dst, Value::as_set_mut).map(|_| ())
}

/// Removes `member` from the set at `src`, deleting the key when the set empties. Counts one
/// change. Requires: both checks passed in this atomic step or transaction, and `member` is in
/// the set.
fn take(cx: &mut ShardCtx<'_>, src: &[u8], member: &[u8]) {
    if let Ok(Some(set)) = cx.write_typed(src, Value::as_set_mut) {
        set.remove(member);
    }
    delete_if_empty(cx, src);
    cx.dirty(1);
}

/// Adds `member` to the set at `dst`, creating it when absent. Counts one change when the member
/// is new there. Requires: `check_dest` passed in this atomic step or transaction.
fn put(cx: &mut ShardCtx<'_>, dst: &Bytes, member: &[u8]) {
    let added = match cx.write_typed(dst, Value::as_set_mut) {
        Ok(Some(set)) => set.insert(member),
        _ => {
            let mut set = SetValue::new();
            set.insert(member);
            store_set(cx, dst.clone(), set);
            true
        }
    };
    if added {
        cx.dirty(1);
    }
}

/// SMOVE whose two keys live on different shards.
pub(super) fn smove_spread(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(smove_across(cx, argv))
}

/// `smove` for two keys on two shards, under a transaction on both: checks the source, then the
/// destination (adding the member there when it moves), then removes it from the source. The
/// keys differ, so the same-key rule never applies.
async fn smove_across(cx: AsyncCtx, argv: Vec<Bytes>) -> CmdResult {
    let (src, dst, member) = (argv[1].clone(), argv[2].clone(), argv[3].clone());
    let (from, to) = (owner_of(&src), owner_of(&dst));
    let (db, now) = (cx.db, UnixMillis::now());
    let tx = MultiShard::lock(vec![from, to]).await;

    let (key, m) = (src.clone(), member.clone());
    let present = tx
        .run(from, move |ks| {
            with_shard_ctx(ks, db, now, |cx| check_source(cx, &key, &m))
        })
        .await?;
    let Some(present) = present else {
        return Ok(Reply::Int(0));
    };
    let m = member.clone();
    tx.run(to, move |ks| {
        with_shard_ctx(ks, db, now, |cx| {
            check_dest(cx, &dst)?;
            if present {
                put(cx, &dst, &m);
            }
            Ok::<_, CmdError>(())
        })
    })
    .await?;
    if !present {
        return Ok(Reply::Int(0));
    }
    tx.run(from, move |ks| {
        with_shard_ctx(ks, db, now, |cx| take(cx, &src, &member))
    })
    .await;
    tx.propagate(db, argv);
    Ok(Reply::Int(1))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::commands::propagation::Propagation;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    #[test]
    fn smove_moves_one_member() {
        let mut s = Session::new();
        s.run("SADD src a b");
        assert_eq!(s.run("SMOVE src dst a"), int(1));
        assert_eq!(s.out, Propagation::AsIs);
        assert_eq!(sorted(s.run("SMEMBERS src")), ["b"]);
        assert_eq!(sorted(s.run("SMEMBERS dst")), ["a"]);
        assert_eq!(s.run("SMOVE src dst a"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("SMOVE src dst b"), int(1));
        assert!(!s.stored(0, "src"), "an emptied source is deleted");
        assert_eq!(s.run("SMOVE nope dst a"), int(0));
    }

    #[test]
    fn smove_onto_itself_only_answers_membership() {
        let mut s = Session::new();
        s.run("SADD k a");
        assert_eq!(s.run("SMOVE k k a"), int(1));
        assert_eq!(s.run("SMOVE k k b"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(sorted(s.run("SMEMBERS k")), ["a"]);
    }

    #[test]
    fn smove_checks_types_in_redis_order() {
        let mut s = Session::new();
        s.set("str", "v");
        assert_eq!(s.run("SMOVE nope str a"), int(0), "absent source first");
        assert_eq!(s.run("SMOVE str nope a"), err(WRONGTYPE));
        s.run("SADD k a");
        assert_eq!(s.run("SMOVE k str a"), err(WRONGTYPE));
        assert_eq!(s.run("SMOVE k str zzz"), err(WRONGTYPE));
        assert_eq!(sorted(s.run("SMEMBERS k")), ["a"]);
    }

    #[test]
    fn smove_of_a_present_member_counts_changes() {
        let mut s = Session::new();
        s.run("SADD src a b");
        s.run("SADD dst a");
        let dirty = s.ks.stats.dirty;
        assert_eq!(s.run("SMOVE src dst a"), int(1));
        assert_eq!(s.ks.stats.dirty, dirty + 1, "only the source changed");
    }
}

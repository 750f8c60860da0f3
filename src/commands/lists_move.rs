//! The list commands that move elements between keys: LMOVE, RPOPLPUSH and LMPOP.
//!
//! Owns: their handlers for keys on one shard, and their cross-shard halves. An LMOVE or
//! RPOPLPUSH whose two keys live on different shards runs in one `MultiShard` transaction on both;
//! LMPOP finds the shards of its keys itself (they follow its numkeys argument) and tries them in
//! the order given. Runs on: the executor owning the keys, except the `*_spread` functions and
//! `lmpop`, which run on the caller's executor and reach the shards through hops.

use bytes::Bytes;
use futures_lite::future::BoxedLocal;

use super::args::parse_i64;
use super::ctx::{AsyncCtx, ShardCtx};
use super::keys::with_shard_ctx;
use super::lists::{
    delete_if_empty, errors, fill, int_bytes, list_mut, parse_end, store_new, write_list,
};
use super::table::CmdResult;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::shards::{hop, owner_of, MultiShard, ShardId};
use crate::storage::clock::UnixMillis;
use crate::storage::list::{End, ListValue};

// ---------------------------------------------------------------------------------------------
// LMOVE, RPOPLPUSH

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
pub(super) fn parse_lmove(argv: &[Bytes]) -> Result<(End, End), CmdError> {
    Ok((parse_end(&argv[3])?, parse_end(&argv[4])?))
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
///
/// Pops an element from one end of `source`, pushes it at one end of `destination` and replies
/// with it; nil when `source` is absent. Both ends are parsed before any key is looked up.
pub(super) fn lmove(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let (from, to) = parse_lmove(argv)?;
    move_generic(cx, &argv[1], &argv[2], from, to)
}

/// RPOPLPUSH source destination
///
/// LMOVE source destination RIGHT LEFT.
pub(super) fn rpoplpush(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    move_generic(cx, &argv[1], &argv[2], End::Tail, End::Head)
}

/// Moves one element when both keys live on this shard. Serves LMOVE and RPOPLPUSH (both
/// propagate as they are). Order, as Redis checks it: the source (WRONGTYPE, or nil when absent),
/// then the destination's type, and only then a change. The element is pushed before it is
/// popped, so a list moved onto itself is never empty in between and keeps its deadline.
/// `move_across` runs the same three steps on two shards.
pub(super) fn move_generic(
    cx: &mut ShardCtx<'_>,
    src: &Bytes,
    dst: &Bytes,
    from: End,
    to: End,
) -> CmdResult {
    let Some(value) = move_peek_source(cx, src, from)? else {
        cx.out.suppress();
        return Ok(Reply::Nil);
    };
    move_push_dest(cx, dst, &value, to)?;
    move_pop_source(cx, src, from);
    Ok(Reply::Bulk(value))
}

/// Step one of a move, on the source's shard: the element at `from` of the list at `src`,
/// without removing it; `None` when `src` is absent.
fn move_peek_source(
    cx: &mut ShardCtx<'_>,
    src: &[u8],
    from: End,
) -> Result<Option<Bytes>, CmdError> {
    let index = if from == End::Head { 0 } else { -1 };
    Ok(write_list(cx, src)?.and_then(|l| l.get(index)))
}

/// Step two, on the destination's shard: WRONGTYPE when `dst` holds another type, else pushes
/// `value` at `to`, creating the list when absent.
pub(super) fn move_push_dest(
    cx: &mut ShardCtx<'_>,
    dst: &Bytes,
    value: &[u8],
    to: End,
) -> Result<(), CmdError> {
    let fill = fill();
    match write_list(cx, dst)? {
        Some(list) => list.push(to, value, fill),
        None => {
            let mut list = ListValue::new();
            list.push(to, value, fill);
            store_new(cx, dst, list);
        }
    }
    Ok(())
}

/// Step three, on the source's shard: removes the element step one read, deleting the key if
/// that empties it, and counts the move as one change. Requires: steps one and two ran in the
/// same atomic step or transaction.
fn move_pop_source(cx: &mut ShardCtx<'_>, src: &[u8], from: End) {
    let fill = fill();
    if let Some(list) = cx.lookup_write(src).and_then(|e| list_mut(e).ok()) {
        list.pop(from, fill);
    }
    delete_if_empty(cx, src);
    cx.dirty(1);
}

/// LMOVE whose two keys live on different shards.
pub(super) fn lmove_spread(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let (from, to) = parse_lmove(&argv)?;
        move_across(cx, argv, from, to).await
    })
}

/// RPOPLPUSH whose two keys live on different shards.
pub(super) fn rpoplpush_spread(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(move_across(cx, argv, End::Tail, End::Head))
}

/// `move_generic` for two keys on two shards, atomic under a transaction on both: one hop reads
/// the element, one checks the destination and pushes, one pops. No client sees the element in
/// both lists or in neither.
pub(super) async fn move_across(cx: AsyncCtx, argv: Vec<Bytes>, from: End, to: End) -> CmdResult {
    let (src, dst) = (argv[1].clone(), argv[2].clone());
    let (src_shard, dst_shard) = (owner_of(&src), owner_of(&dst));
    let (db, now) = (cx.db, UnixMillis::now());
    let tx = MultiShard::lock(vec![src_shard, dst_shard]).await;

    let key = src.clone();
    let peeked = tx
        .run(src_shard, move |ks| {
            with_shard_ctx(ks, db, now, |cx| move_peek_source(cx, &key, from))
        })
        .await?;
    let Some(value) = peeked else {
        return Ok(Reply::Nil);
    };

    let v = value.clone();
    tx.run(dst_shard, move |ks| {
        with_shard_ctx(ks, db, now, |cx| move_push_dest(cx, &dst, &v, to))
    })
    .await?;

    tx.run(src_shard, move |ks| {
        with_shard_ctx(ks, db, now, |cx| move_pop_source(cx, &src, from))
    })
    .await;
    tx.propagate(db, lmove_argv(&argv[1], &argv[2], from, to));
    Ok(Reply::Bulk(value))
}

/// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`: how every move between two lists is
/// replicated (RPOPLPUSH, BLMOVE and BRPOPLPUSH included, as Redis sends the blocking ones).
pub(super) fn lmove_argv(src: &Bytes, dst: &Bytes, from: End, to: End) -> Vec<Bytes> {
    let side = |e: End| Bytes::from_static(if e == End::Head { b"LEFT" } else { b"RIGHT" });
    vec![
        Bytes::from_static(b"LMOVE"),
        src.clone(),
        dst.clone(),
        side(from),
        side(to),
    ]
}

// ---------------------------------------------------------------------------------------------
// LMPOP

/// The arguments of LMPOP after its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LmpopArgs {
    /// The keys, in the order they are tried.
    pub(super) keys: Vec<Bytes>,
    /// The end elements are popped from.
    pub(super) end: End,
    /// At most this many elements are popped (1 by default).
    pub(super) count: usize,
}

impl LmpopArgs {
    /// Parses `numkeys key [key ...] LEFT|RIGHT [COUNT count]`, in Redis's order: numkeys, then
    /// whether the end word is there, then the end word, then the options.
    pub(super) fn parse(argv: &[Bytes]) -> Result<LmpopArgs, CmdError> {
        let numkeys = parse_i64(&argv[1])
            .filter(|&n| n >= 1)
            .ok_or_else(errors::numkeys)?;
        let end_at = usize::try_from(numkeys)
            .ok()
            .and_then(|n| n.checked_add(2))
            .filter(|&i| i < argv.len())
            .ok_or(CmdError::Syntax)?;
        let end = parse_end(&argv[end_at])?;
        let mut count = None;
        let mut i = end_at + 1;
        while i < argv.len() {
            if count.is_none() && argv[i].eq_ignore_ascii_case(b"count") && i + 1 < argv.len() {
                let n = parse_i64(&argv[i + 1])
                    .filter(|&n| n >= 1)
                    .ok_or_else(errors::count_not_positive)?;
                count = Some(usize::try_from(n).unwrap_or(usize::MAX));
                i += 2;
            } else {
                return Err(CmdError::Syntax);
            }
        }
        Ok(LmpopArgs {
            keys: argv[2..end_at].to_vec(),
            end,
            count: count.unwrap_or(1),
        })
    }
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
///
/// Pops up to `count` elements from the first of the keys that holds a list and replies with
/// `[key, [elements]]`, or a nil array when none does. A key of another type met before that
/// list is WRONGTYPE. Keys on several shards are tried in order under one transaction on all of
/// them, so the answer is the one a single shard would give.
pub(super) fn lmpop(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let req = LmpopArgs::parse(&argv)?;
        let (db, now) = (cx.db, UnixMillis::now());
        let mut shards: Vec<ShardId> = req.keys.iter().map(|k| owner_of(k)).collect();
        shards.sort_unstable();
        shards.dedup();
        if let [only] = shards[..] {
            return hop(only, move |ks| {
                with_shard_ctx(ks, db, now, |cx| {
                    mpop_keys(cx, &req.keys, req.end, req.count).map(mpop_reply)
                })
            })
            .await;
        }
        let tx = MultiShard::lock(shards).await;
        for key in req.keys {
            let (end, count) = (req.end, req.count);
            let popped = tx
                .run(owner_of(&key), move |ks| {
                    with_shard_ctx(ks, db, now, |cx| {
                        mpop_keys(cx, std::slice::from_ref(&key), end, count)
                    })
                })
                .await?;
            if popped.is_some() {
                return Ok(mpop_reply(popped));
            }
        }
        Ok(Reply::NilArray)
    })
}

/// `[key, [elements]]`, or a nil array when nothing was popped.
pub(super) fn mpop_reply(popped: Option<(Bytes, Vec<Bytes>)>) -> Reply {
    match popped {
        Some((key, items)) => Reply::Array(vec![Reply::Bulk(key), Reply::bulk_array(items)]),
        None => Reply::NilArray,
    }
}

/// Pops up to `count` elements at `end` from the first of `keys` (all on this shard) that
/// exists, stopping with WRONGTYPE at a key of another type met first. Propagates as
/// `LPOP|RPOP key n` with the number popped, so replicas pop from the same key whatever their
/// own lists hold.
pub(super) fn mpop_keys(
    cx: &mut ShardCtx<'_>,
    keys: &[Bytes],
    end: End,
    count: usize,
) -> Result<Option<(Bytes, Vec<Bytes>)>, CmdError> {
    let fill = fill();
    for key in keys {
        let Some(list) = write_list(cx, key)? else {
            continue;
        };
        let items = list.pop_many(end, count, fill);
        let n = items.len();
        delete_if_empty(cx, key);
        cx.dirty(n as u64);
        let verb = if end == End::Head { "LPOP" } else { "RPOP" };
        cx.out.replace(vec![
            Bytes::from_static(verb.as_bytes()),
            key.clone(),
            int_bytes(n),
        ]);
        return Ok(Some((key.clone(), items)));
    }
    cx.out.suppress();
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::super::lists::testing::*;
    use super::*;
    use crate::commands::propagation::Propagation;
    use crate::storage::keyspace::Keyspace;

    #[test]
    fn lmove_between_two_lists() {
        let mut s = Session::new();
        s.run("RPUSH src a b c");
        assert_eq!(s.run("LMOVE src dst LEFT RIGHT"), bulk("a"));
        assert_eq!(s.out, Propagation::AsIs);
        assert_eq!(s.run("LMOVE src dst right left"), bulk("c"));
        assert_eq!(s.run("RPOPLPUSH src dst"), bulk("b"));
        assert_eq!(s.run("EXISTS src"), int(0));
        assert_eq!(s.run("LRANGE dst 0 -1"), bulks(&["b", "c", "a"]));
        assert_eq!(s.run("LMOVE src dst left left"), Reply::Nil);
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.ks.stats.dirty, 3 + 3);
    }

    #[test]
    fn lmove_onto_itself_rotates_and_keeps_the_deadline() {
        let mut s = Session::new();
        s.run("RPUSH l a b c");
        s.run("PEXPIRE l 100000");
        assert_eq!(s.run("LMOVE l l LEFT RIGHT"), bulk("a"));
        assert_eq!(s.run("LRANGE l 0 -1"), bulks(&["b", "c", "a"]));
        assert_eq!(s.run("RPOPLPUSH l l"), bulk("a"));
        assert_eq!(s.run("LMOVE l l LEFT LEFT"), bulk("a"));
        assert_eq!(s.run("LRANGE l 0 -1"), bulks(&["a", "b", "c"]));
        s.run("RPUSH one x");
        s.run("PEXPIRE one 100000");
        assert_eq!(s.run("LMOVE one one LEFT RIGHT"), bulk("x"));
        assert_eq!(s.deadline("one"), Some(NOW + 100000));
    }

    #[test]
    fn lmove_checks_ends_then_source_then_destination() {
        let mut s = Session::new();
        s.set("str", "v");
        s.run("RPUSH l a");
        assert_eq!(s.run("LMOVE str l up left"), err("ERR syntax error"));
        assert_eq!(s.run("LMOVE nope str left left"), Reply::Nil);
        assert_eq!(s.run("LMOVE str l left left"), err(WRONGTYPE));
        assert_eq!(s.run("LMOVE l str left left"), err(WRONGTYPE));
        assert_eq!(s.run("LRANGE l 0 -1"), bulks(&["a"]));
    }

    #[test]
    fn lmove_across_shards_runs_step_by_step() {
        let (mut a, mut b) = (Keyspace::new(16), Keyspace::new(16));
        let now = UnixMillis(NOW);
        let (src, dst) = (Bytes::from("src"), Bytes::from("dst"));
        with_shard_ctx(&mut a, 0, now, |cx| {
            let mut l = ListValue::new();
            l.push_all(End::Tail, &[Bytes::from("x"), Bytes::from("y")], fill());
            store_new(cx, &src, l);
        });
        let v = with_shard_ctx(&mut a, 0, now, |cx| move_peek_source(cx, &src, End::Tail))
            .unwrap()
            .unwrap();
        assert_eq!(v, "y");
        with_shard_ctx(&mut b, 0, now, |cx| move_push_dest(cx, &dst, &v, End::Head)).unwrap();
        with_shard_ctx(&mut a, 0, now, |cx| move_pop_source(cx, &src, End::Tail));
        assert_eq!(a.stats.dirty, 1);
        let moved = with_shard_ctx(&mut b, 0, now, |cx| {
            write_list(cx, &dst).unwrap().unwrap().get(0)
        });
        assert_eq!(moved, Some(Bytes::from("y")));
        let left = with_shard_ctx(&mut a, 0, now, |cx| {
            write_list(cx, &src).unwrap().unwrap().len()
        });
        assert_eq!(left, 1);
    }

    fn parse(line: &str) -> Result<LmpopArgs, CmdError> {
        LmpopArgs::parse(&args(line))
    }

    #[test]
    fn lmpop_arguments_and_their_errors() {
        assert_eq!(
            parse("LMPOP 2 a b RIGHT COUNT 3"),
            Ok(LmpopArgs {
                keys: vec![Bytes::from("a"), Bytes::from("b")],
                end: End::Tail,
                count: 3
            })
        );
        assert_eq!(parse("LMPOP 1 a left").unwrap().count, 1);
        assert_eq!(parse("LMPOP 0 a left"), Err(errors::numkeys()));
        assert_eq!(parse("LMPOP x a left"), Err(errors::numkeys()));
        assert_eq!(parse("LMPOP 2 a left"), Err(CmdError::Syntax));
        assert_eq!(
            parse("LMPOP 9223372036854775807 a left"),
            Err(CmdError::Syntax)
        );
        assert_eq!(parse("LMPOP 1 a up"), Err(CmdError::Syntax));
        assert_eq!(
            parse("LMPOP 1 a left COUNT 0"),
            Err(errors::count_not_positive())
        );
        assert_eq!(parse("LMPOP 1 a left COUNT"), Err(CmdError::Syntax));
        assert_eq!(
            parse("LMPOP 1 a left COUNT 1 COUNT 1"),
            Err(CmdError::Syntax)
        );
    }

    #[test]
    fn mpop_takes_from_the_first_list_and_propagates_a_pop() {
        let mut s = Session::new();
        s.run("RPUSH b 1 2 3");
        s.run("RPUSH c x");
        let keys = args("a b c");
        let mut out = Propagation::default();
        let mut cx = ShardCtx::new(&mut s.ks, 0, s.now, &mut out);
        let got = mpop_keys(&mut cx, &keys, End::Tail, 2).unwrap();
        assert_eq!(
            mpop_reply(got),
            Reply::Array(vec![bulk("b"), bulks(&["3", "2"])])
        );
        assert_eq!(out, propagated("RPOP b 2"));
        let mut cx = ShardCtx::new(&mut s.ks, 0, s.now, &mut out);
        let got = mpop_keys(&mut cx, &keys, End::Head, 10).unwrap();
        assert_eq!(
            mpop_reply(got),
            Reply::Array(vec![bulk("b"), bulks(&["1"])])
        );
        assert_eq!(s.run("EXISTS b"), int(0));
        s.set("str", "v");
        let mut cx = ShardCtx::new(&mut s.ks, 0, s.now, &mut out);
        assert_eq!(
            mpop_keys(&mut cx, &args("a str c"), End::Head, 1),
            Err(CmdError::WrongType)
        );
        let mut cx = ShardCtx::new(&mut s.ks, 0, s.now, &mut out);
        assert_eq!(mpop_keys(&mut cx, &args("zz yy"), End::Head, 1), Ok(None));
        assert_eq!(out, Propagation::Nothing);
    }
}

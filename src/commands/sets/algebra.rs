//! Set algebra over several keys: SINTER, SUNION, SDIFF, their STORE forms, and SINTERCARD.
//!
//! Owns: the three operations over borrowed sets (`intersect`, `union`, `diff`), the one-shard
//! handlers, and the cross-shard forms. On one shard a command reads the sets where they are.
//! When its keys span shards it locks every shard involved, copies each source set out of its
//! shard in one hop per shard, computes on the caller's executor, and writes the destination in
//! one more hop; the lock makes the whole command atomic. In every form an absent key is an
//! empty set, and a key of another type fails the command before anything is written.

use std::collections::BTreeMap;

use bytes::Bytes;
use futures_lite::future::BoxedLocal;

use super::{errors, member_set, store_set};
use crate::commands::args::parse_i64;
use crate::commands::ctx::{AsyncCtx, ShardCtx};
use crate::commands::keys::with_shard_ctx;
use crate::commands::table::CmdResult;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::shards::{hop, owner_of, MultiShard, ShardId};
use crate::storage::clock::UnixMillis;
use crate::storage::set::{Member, SetLimits, SetValue};
use crate::storage::value::Value;

/// Which operation a command applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SetOp {
    /// Members in every set.
    Inter,
    /// Members in any set.
    Union,
    /// Members of the first set in none of the others.
    Diff,
}

// ---------------------------------------------------------------------------------------------
// The operations, over borrowed sets (`None` = an absent key)

/// The members every set holds, at most `limit` of them (0 = no limit), in the order of the
/// smallest set. Empty as soon as one key is absent.
pub(super) fn intersect<'a>(sets: &[Option<&'a SetValue>], limit: usize) -> Vec<Member<'a>> {
    let Some(mut sets) = sets.iter().copied().collect::<Option<Vec<&SetValue>>>() else {
        return Vec::new();
    };
    sets.sort_by_key(|s| s.len());
    let (smallest, others) = sets.split_first().expect("at least one key");
    let mut out = Vec::new();
    for m in smallest.iter() {
        let everywhere = others
            .iter()
            .all(|s| std::ptr::eq(*s, *smallest) || s.contains_member(m));
        if everywhere {
            out.push(m);
            if out.len() == limit {
                break;
            }
        }
    }
    out
}

/// The members any set holds, as a new set.
pub(super) fn union(sets: &[Option<&SetValue>], limits: SetLimits) -> SetValue {
    let mut out = SetValue::new();
    for set in sets.iter().flatten() {
        for m in set.iter() {
            out.insert_member(m, limits);
        }
    }
    out
}

/// The members of the first set that no other set holds, as a new set.
///
/// Two ways, chosen by estimated work as Redis chooses: test each member of the first set
/// against the others (about |first| × sets, counted at half price since it stops early), or
/// copy the first set and remove every member of the others (about the sum of their sizes). The
/// members are the same either way; the result's encoding may not be, since a copy of a large
/// first set has already converted to a `hashtable` when the removals start.
pub(super) fn diff(sets: &[Option<&SetValue>], limits: SetLimits) -> SetValue {
    let mut out = SetValue::new();
    let Some(first) = sets[0] else {
        return out;
    };
    let present = || sets.iter().flatten();
    let test_work = present().count() * first.len() / 2;
    let remove_work: usize = present().map(|s| s.len()).sum();
    if test_work <= remove_work {
        for m in first.iter() {
            if !sets[1..].iter().flatten().any(|s| s.contains_member(m)) {
                out.insert_member(m, limits);
            }
        }
    } else {
        for m in first.iter() {
            out.insert_member(m, limits);
        }
        for s in sets[1..].iter().flatten() {
            for m in s.iter() {
                out.remove(&m.to_bytes());
            }
            if out.is_empty() {
                break;
            }
        }
    }
    out
}

/// What a command does with its result.
enum Outcome {
    /// Reply with the members (SINTER, SUNION, SDIFF).
    Members(Reply),
    /// Store them at the destination, or delete it when there are none (the STORE forms).
    Store(Option<SetValue>),
}

/// Applies `op` to `sets` for a command that replies (`store` false) or stores (`store` true).
fn compute(op: SetOp, sets: &[Option<&SetValue>], store: bool) -> Outcome {
    let limits = SetLimits::current();
    let result = match op {
        SetOp::Inter => {
            let members = intersect(sets, 0);
            if !store {
                return Outcome::Members(member_set(members));
            }
            SetValue::from_members(members, limits)
        }
        SetOp::Union => union(sets, limits),
        SetOp::Diff => diff(sets, limits),
    };
    if store {
        Outcome::Store((!result.is_empty()).then_some(result))
    } else {
        Outcome::Members(member_set(result.iter()))
    }
}

// ---------------------------------------------------------------------------------------------
// Steps that run on the shard owning the keys

/// Looks each of `keys` up for reading, in order (lazy expiry, a hit or a miss each), and fails
/// with `WrongType` at the first that holds something other than a set.
fn check_sources(cx: &mut ShardCtx<'_>, keys: &[Bytes]) -> Result<(), CmdError> {
    for key in keys {
        if let Some(e) = cx.lookup_read(key) {
            if !matches!(e.value, Value::Set(_)) {
                return Err(CmdError::WrongType);
            }
        }
    }
    Ok(())
}

/// The set stored at each of `keys` on this shard, borrowed. Requires: `check_sources` passed.
fn borrow_sets<'c>(cx: &'c ShardCtx<'_>, keys: &[Bytes]) -> Vec<Option<&'c SetValue>> {
    let db = &cx.ks.dbs[cx.db];
    keys.iter()
        .map(|k| match db.peek(k, cx.now).map(|e| &e.value) {
            Some(Value::Set(s)) => Some(&**s),
            _ => None,
        })
        .collect()
}

/// The last step of a STORE form, on the destination's shard: stores `result` at `dst`, or
/// deletes `dst` when there is no result. Replies with the size stored. Counts one change when
/// it stored or deleted; propagates nothing when it did neither.
fn store_result(cx: &mut ShardCtx<'_>, dst: &Bytes, result: Option<SetValue>) -> CmdResult {
    match result {
        Some(set) => {
            let n = set.len();
            store_set(cx, dst.clone(), set);
            cx.dirty(1);
            Ok(Reply::Int(n as i64))
        }
        None => {
            if cx.lookup_write(dst).is_some() {
                cx.db().remove(dst);
                cx.dirty(1);
            } else {
                cx.out.suppress();
            }
            Ok(Reply::Int(0))
        }
    }
}

/// Runs `op` over `keys` on this shard, then replies with the members or, given `dst`, stores
/// them there. Serves SINTER, SUNION, SDIFF (`dst` = `None`) and SINTERSTORE, SUNIONSTORE,
/// SDIFFSTORE. The destination may be one of the sources: the result is complete before it is
/// written.
fn combine(cx: &mut ShardCtx<'_>, op: SetOp, dst: Option<&Bytes>, keys: &[Bytes]) -> CmdResult {
    check_sources(cx, keys)?;
    let outcome = compute(op, &borrow_sets(cx, keys), dst.is_some());
    match (outcome, dst) {
        (Outcome::Members(reply), _) => Ok(reply),
        (Outcome::Store(result), Some(dst)) => store_result(cx, dst, result),
        (Outcome::Store(_), None) => unreachable!("only a STORE form stores"),
    }
}

/// SINTER key [key ...]
pub(super) fn sinter(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    combine(cx, SetOp::Inter, None, &argv[1..])
}

/// SUNION key [key ...]
pub(super) fn sunion(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    combine(cx, SetOp::Union, None, &argv[1..])
}

/// SDIFF key [key ...]
pub(super) fn sdiff(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    combine(cx, SetOp::Diff, None, &argv[1..])
}

/// SINTERSTORE destination key [key ...]
pub(super) fn sinterstore(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    combine(cx, SetOp::Inter, Some(&argv[1]), &argv[2..])
}

/// SUNIONSTORE destination key [key ...]
pub(super) fn sunionstore(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    combine(cx, SetOp::Union, Some(&argv[1]), &argv[2..])
}

/// SDIFFSTORE destination key [key ...]
pub(super) fn sdiffstore(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    combine(cx, SetOp::Diff, Some(&argv[1]), &argv[2..])
}

// ---------------------------------------------------------------------------------------------
// Keys on several shards

/// SINTER whose keys live on several shards.
pub(super) fn sinter_spread(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(combine_across(cx, argv, SetOp::Inter, false))
}

/// SUNION whose keys live on several shards.
pub(super) fn sunion_spread(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(combine_across(cx, argv, SetOp::Union, false))
}

/// SDIFF whose keys live on several shards.
pub(super) fn sdiff_spread(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(combine_across(cx, argv, SetOp::Diff, false))
}

/// SINTERSTORE whose keys live on several shards.
pub(super) fn sinterstore_spread(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(combine_across(cx, argv, SetOp::Inter, true))
}

/// SUNIONSTORE whose keys live on several shards.
pub(super) fn sunionstore_spread(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(combine_across(cx, argv, SetOp::Union, true))
}

/// SDIFFSTORE whose keys live on several shards.
pub(super) fn sdiffstore_spread(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(combine_across(cx, argv, SetOp::Diff, true))
}

/// Copies the set at each of `keys` out of the shard that owns it, inside `tx`: one hop per
/// shard, which checks the types of its keys (see `check_sources`) and clones its sets. The
/// result is in key order; `None` is an absent key.
async fn gather(
    tx: &MultiShard,
    db: usize,
    now: UnixMillis,
    keys: &[Bytes],
) -> Result<Vec<Option<SetValue>>, CmdError> {
    let mut by_shard: BTreeMap<ShardId, Vec<(usize, Bytes)>> = BTreeMap::new();
    for (i, key) in keys.iter().enumerate() {
        by_shard
            .entry(owner_of(key))
            .or_default()
            .push((i, key.clone()));
    }
    let mut out: Vec<Option<SetValue>> = vec![None; keys.len()];
    for (shard, part) in by_shard {
        let copies = tx
            .run(shard, move |ks| {
                with_shard_ctx(ks, db, now, |cx| {
                    let keys: Vec<Bytes> = part.iter().map(|(_, k)| k.clone()).collect();
                    check_sources(cx, &keys)?;
                    let sets = borrow_sets(cx, &keys);
                    let copies: Vec<(usize, Option<SetValue>)> = part
                        .iter()
                        .zip(sets)
                        .map(|((i, _), s)| (*i, s.cloned()))
                        .collect();
                    Ok::<_, CmdError>(copies)
                })
            })
            .await?;
        for (i, set) in copies {
            out[i] = set;
        }
    }
    Ok(out)
}

/// `combine` for keys on several shards: the sources (`argv[1..]`, or `argv[2..]` for a STORE
/// form, whose destination is `argv[1]`) are copied out under a lock on every shard involved,
/// and the destination is written before the lock is released.
async fn combine_across(cx: AsyncCtx, argv: Vec<Bytes>, op: SetOp, store: bool) -> CmdResult {
    let (db, now) = (cx.db, UnixMillis::now());
    let tx = MultiShard::lock(argv[1..].iter().map(|k| owner_of(k)).collect()).await;
    let keys = if store { &argv[2..] } else { &argv[1..] };
    let sets = gather(&tx, db, now, keys).await?;
    let refs: Vec<Option<&SetValue>> = sets.iter().map(Option::as_ref).collect();
    let result = match compute(op, &refs, store) {
        Outcome::Members(reply) => return Ok(reply),
        Outcome::Store(result) => result,
    };
    drop(refs);
    drop(sets);
    let dst = argv[1].clone();
    let r = tx
        .run(owner_of(&dst), move |ks| {
            with_shard_ctx(ks, db, now, |cx| store_result(cx, &dst, result))
        })
        .await;
    tx.propagate(db, argv);
    r
}

// ---------------------------------------------------------------------------------------------
// SINTERCARD

/// SINTERCARD's arguments: `numkeys key [key ...] [LIMIT limit]`.
#[derive(Debug, Clone, PartialEq)]
struct InterCardArgs {
    keys: Vec<Bytes>,
    /// Stop counting here; 0 = no limit.
    limit: usize,
}

impl InterCardArgs {
    /// Parses `argv[1..]`: `numkeys` must be a positive integer no larger than the arguments
    /// after it, and after the keys only `LIMIT n` (n ≥ 0) may follow, any number of times.
    fn parse(argv: &[Bytes]) -> Result<InterCardArgs, CmdError> {
        let numkeys = parse_i64(&argv[1])
            .filter(|&n| n > 0)
            .ok_or_else(errors::numkeys_not_positive)?;
        let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
        if numkeys > argv.len() - 2 {
            return Err(errors::numkeys_past_args());
        }
        let mut limit = 0;
        let mut i = 2 + numkeys;
        while i < argv.len() {
            match argv.get(i + 1) {
                Some(v) if argv[i].eq_ignore_ascii_case(b"limit") => {
                    let n = parse_i64(v)
                        .filter(|&n| n >= 0)
                        .ok_or_else(errors::limit_negative)?;
                    limit = usize::try_from(n).unwrap_or(usize::MAX);
                }
                _ => return Err(CmdError::Syntax),
            }
            i += 2;
        }
        Ok(InterCardArgs {
            keys: argv[2..2 + numkeys].to_vec(),
            limit,
        })
    }
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
///
/// The size of the intersection, counting stops at `limit` when it is not 0. The arguments are
/// checked before any key. Keys on one shard are read in place in one hop; keys on several are
/// copied out under a lock on those shards.
pub(super) fn sintercard(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let req = InterCardArgs::parse(&argv)?;
        let (db, now) = (cx.db, UnixMillis::now());
        let shards: Vec<ShardId> = req.keys.iter().map(|k| owner_of(k)).collect();
        if shards.iter().all(|&s| s == shards[0]) {
            return hop(shards[0], move |ks| {
                with_shard_ctx(ks, db, now, |cx| intercard_here(cx, &req.keys, req.limit))
            })
            .await;
        }
        let tx = MultiShard::lock(shards).await;
        let sets = gather(&tx, db, now, &req.keys).await?;
        let refs: Vec<Option<&SetValue>> = sets.iter().map(Option::as_ref).collect();
        Ok(Reply::Int(intersect(&refs, req.limit).len() as i64))
    })
}

/// SINTERCARD's work when every key lives on this shard.
fn intercard_here(cx: &mut ShardCtx<'_>, keys: &[Bytes], limit: usize) -> CmdResult {
    check_sources(cx, keys)?;
    Ok(Reply::Int(
        intersect(&borrow_sets(cx, keys), limit).len() as i64
    ))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::commands::propagation::Propagation;
    use crate::storage::keyspace::Keyspace;

    use crate::commands::session::args as argv;

    #[test]
    fn sinter_sunion_sdiff_on_one_shard() {
        let mut s = Session::new();
        s.run("SADD a 1 2 3 x");
        s.run("SADD b 2 3 4 x");
        s.run("SADD c 3 x y");
        assert_eq!(sorted(s.run("SINTER a b c")), ["3", "x"]);
        assert_eq!(
            sorted(s.run("SUNION a b c")),
            ["1", "2", "3", "4", "x", "y"]
        );
        assert_eq!(sorted(s.run("SDIFF a b c")), ["1"]);
        assert_eq!(sorted(s.run("SDIFF a")), ["1", "2", "3", "x"]);
        assert_eq!(s.run("SINTER a nope"), Reply::Set(vec![]));
        assert_eq!(sorted(s.run("SUNION nope c")), ["3", "x", "y"]);
        assert_eq!(s.run("SDIFF nope a"), Reply::Set(vec![]));
        assert_eq!(s.run("SDIFF a a"), Reply::Set(vec![]));
    }

    #[test]
    fn store_forms_write_or_delete_the_destination() {
        let mut s = Session::new();
        s.run("SADD a 1 2 3");
        s.run("SADD b 2 3 4");
        s.set_until("d", "old", NOW + 1000);
        assert_eq!(s.run("SINTERSTORE d a b"), int(2));
        assert_eq!(s.deadline("d"), None);
        assert_eq!(sorted(s.run("SMEMBERS d")), ["2", "3"]);
        assert_eq!(encoding(&mut s, "d"), bulk("intset"));
        assert_eq!(s.run("SUNIONSTORE d a b"), int(4));
        assert_eq!(s.run("SDIFFSTORE d a b"), int(1));
        assert_eq!(sorted(s.run("SMEMBERS d")), ["1"]);
        let dirty = s.ks.stats.dirty;
        assert_eq!(s.run("SINTERSTORE d a nope"), int(0));
        assert!(!s.stored(0, "d"));
        assert_eq!(s.ks.stats.dirty, dirty + 1);
        assert_eq!(s.run("SINTERSTORE d a nope"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(
            s.run("SUNIONSTORE a a b"),
            int(4),
            "a source may be the destination"
        );
    }

    #[test]
    fn a_wrong_type_fails_before_anything_is_written() {
        let mut s = Session::new();
        s.run("SADD a 1");
        s.set("str", "v");
        assert_eq!(
            s.run("SUNIONSTORE d a str"),
            err("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
        assert!(!s.stored(0, "d"));
        assert_eq!(
            s.run("SINTER nope str"),
            err("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
        assert_eq!(
            s.run("SUNIONSTORE str a"),
            int(1),
            "a destination of any type is replaced"
        );
        assert_eq!(s.run("TYPE str"), status("set"));
    }

    #[test]
    fn diff_takes_either_way_to_the_same_members() {
        let limits = SetLimits {
            max_intset_entries: 512,
        };
        let big = SetValue::from_members((0..1000).map(Member::Int), limits);
        let small = SetValue::from_members((0..10).map(Member::Int), limits);
        let got = diff(&[Some(&big), Some(&small)], limits);
        assert_eq!(got.len(), 990);
        let tiny = SetValue::from_members((5..7).map(Member::Int), limits);
        let got = diff(&[Some(&tiny), Some(&big), Some(&small), None], limits);
        assert!(got.is_empty());
        let got = diff(&[Some(&small), None, Some(&tiny)], limits);
        assert_eq!(got.len(), 8);
    }

    #[test]
    fn intersect_stops_at_the_limit() {
        let limits = SetLimits {
            max_intset_entries: 512,
        };
        let a = SetValue::from_members((0..100).map(Member::Int), limits);
        let b = SetValue::from_members((50..300).map(Member::Int), limits);
        assert_eq!(intersect(&[Some(&a), Some(&b)], 0).len(), 50);
        assert_eq!(intersect(&[Some(&a), Some(&b)], 7).len(), 7);
        assert_eq!(intersect(&[Some(&a), Some(&a)], 0).len(), 100);
        assert!(intersect(&[Some(&a), None], 0).is_empty());
    }

    #[test]
    fn sintercard_arguments_fail_in_redis_order() {
        let e = |line: &str| InterCardArgs::parse(&argv(line)).unwrap_err().message();
        assert_eq!(e("SINTERCARD 0 k"), "ERR numkeys should be greater than 0");
        assert_eq!(e("SINTERCARD x k"), "ERR numkeys should be greater than 0");
        assert_eq!(
            e("SINTERCARD 3 a b"),
            "ERR Number of keys can't be greater than number of args"
        );
        assert_eq!(e("SINTERCARD 1 k LIMIT -1"), "ERR LIMIT can't be negative");
        assert_eq!(e("SINTERCARD 1 k LIMIT x"), "ERR LIMIT can't be negative");
        assert_eq!(e("SINTERCARD 1 k LIMIT"), "ERR syntax error");
        assert_eq!(e("SINTERCARD 1 k FOO 1"), "ERR syntax error");
        let ok = InterCardArgs::parse(&argv("SINTERCARD 2 a b limit 3")).unwrap();
        assert_eq!((ok.keys.len(), ok.limit), (2, 3));
    }

    #[test]
    fn sintercard_counts_on_one_shard() {
        let mut s = Session::new();
        s.run("SADD a 1 2 3 4");
        s.run("SADD b 2 3 4 5");
        s.set("str", "v");
        let mut ks = std::mem::replace(&mut s.ks, Keyspace::new(16));
        let now = UnixMillis(NOW);
        let card = |ks: &mut Keyspace, keys: &str, limit| {
            with_shard_ctx(ks, 0, now, |cx| intercard_here(cx, &argv(keys), limit))
        };
        assert_eq!(card(&mut ks, "a b", 0), Ok(Reply::Int(3)));
        assert_eq!(card(&mut ks, "a b", 2), Ok(Reply::Int(2)));
        assert_eq!(card(&mut ks, "a nope", 0), Ok(Reply::Int(0)));
        assert_eq!(card(&mut ks, "a str", 0), Err(CmdError::WrongType));
    }
}

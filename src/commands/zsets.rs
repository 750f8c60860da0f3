//! The sorted-set family's command table, its single-member commands, and the helpers its
//! files share.
//!
//! The commands live here and next door, one idea per file: this file (ZADD, ZINCRBY, ZREM,
//! ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK), `zsets_range` (the ZRANGE family, ZRANGESTORE,
//! ZCOUNT, ZLEXCOUNT, ZREMRANGEBY*), `zsets_pop` (ZPOPMIN, ZPOPMAX, ZMPOP, ZRANDMEMBER, ZSCAN)
//! and `zsets_ops` (ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD).
//!
//! Runs on: the executor owning the key(s). Must not: await, or reach another shard; commands
//! whose keys may span shards (ZRANGESTORE, ZMPOP, the set operations) do that in their own
//! async functions. An empty zset is never stored: a command that empties one deletes its key.

use bytes::Bytes;

use super::args::{parse_f64, ArgCursor};
use super::ctx::ShardCtx;
use super::table::flags::{BLOCKING, DENYOOM, FAST, MOVABLEKEYS, NOSCRIPT, READONLY, WRITE};
use super::table::{CmdResult, CommandTable, CrossShard, Handler, KeySpec};
use super::zsets_blocking::{bzmpop, bzpopmax, bzpopmin};
use super::zsets_ops::{zdiff, zdiffstore, zinter, zintercard, zinterstore, zunion, zunionstore};
use super::zsets_pop::{zmpop, zpopmax, zpopmin, zrandmember, zscan};
use super::zsets_range::{
    zcount, zlexcount, zrange, zrangebylex, zrangebyscore, zrangestore, zrangestore_spread,
    zremrangebylex, zremrangebyrank, zremrangebyscore, zrevrange, zrevrangebylex, zrevrangebyscore,
};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::storage::db::Entry;
use crate::storage::value::Value;
use crate::storage::zset::{Limits, ZSetValue};

/// Registers the sorted-set family. Arity, flags and key positions are those `COMMAND INFO`
/// shows on Redis 7.0. The commands that find their keys through a `numkeys` argument run as
/// async commands, which route themselves.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    use Handler::{Async, Shard};
    const ONE: KeySpec = KeySpec::range(1, 1, 1);
    const TWO: KeySpec = KeySpec::range(1, 2, 1);
    const NONE: KeySpec = KeySpec::NONE;

    //     name                 arity  flags                             keys  handler
    t.add("zadd",                 -4,  WRITE | DENYOOM | FAST,           ONE,  Shard(zadd));
    t.add("zincrby",               4,  WRITE | DENYOOM | FAST,           ONE,  Shard(zincrby));
    t.add("zrem",                 -3,  WRITE | FAST,                     ONE,  Shard(zrem));
    t.add("zcard",                 2,  READONLY | FAST,                  ONE,  Shard(zcard));
    t.add("zscore",                3,  READONLY | FAST,                  ONE,  Shard(zscore));
    t.add("zmscore",              -3,  READONLY | FAST,                  ONE,  Shard(zmscore));
    t.add("zrank",                 3,  READONLY | FAST,                  ONE,  Shard(zrank));
    t.add("zrevrank",              3,  READONLY | FAST,                  ONE,  Shard(zrevrank));
    t.add("zcount",                4,  READONLY | FAST,                  ONE,  Shard(zcount));
    t.add("zlexcount",             4,  READONLY | FAST,                  ONE,  Shard(zlexcount));
    t.add("zrange",               -4,  READONLY,                         ONE,  Shard(zrange));
    t.add("zrevrange",            -4,  READONLY,                         ONE,  Shard(zrevrange));
    t.add("zrangebyscore",        -4,  READONLY,                         ONE,  Shard(zrangebyscore));
    t.add("zrevrangebyscore",     -4,  READONLY,                         ONE,  Shard(zrevrangebyscore));
    t.add("zrangebylex",          -4,  READONLY,                         ONE,  Shard(zrangebylex));
    t.add("zrevrangebylex",       -4,  READONLY,                         ONE,  Shard(zrevrangebylex));
    t.add("zremrangebyrank",       4,  WRITE,                            ONE,  Shard(zremrangebyrank));
    t.add("zremrangebyscore",      4,  WRITE,                            ONE,  Shard(zremrangebyscore));
    t.add("zremrangebylex",        4,  WRITE,                            ONE,  Shard(zremrangebylex));
    t.add("zpopmin",              -2,  WRITE | FAST,                     ONE,  Shard(zpopmin));
    t.add("zpopmax",              -2,  WRITE | FAST,                     ONE,  Shard(zpopmax));
    t.add("zrandmember",          -2,  READONLY,                         ONE,  Shard(zrandmember));
    t.add("zscan",                -3,  READONLY,                         ONE,  Shard(zscan));
    t.add("zmpop",                -4,  WRITE | MOVABLEKEYS,              NONE, Async(zmpop));
    t.add("zunion",               -3,  READONLY | MOVABLEKEYS,           NONE, Async(zunion));
    t.add("zinter",               -3,  READONLY | MOVABLEKEYS,           NONE, Async(zinter));
    t.add("zdiff",                -3,  READONLY | MOVABLEKEYS,           NONE, Async(zdiff));
    t.add("zintercard",           -3,  READONLY | MOVABLEKEYS,           NONE, Async(zintercard));
    t.add("zunionstore",          -4,  WRITE | DENYOOM | MOVABLEKEYS,    ONE,  Async(zunionstore));
    t.add("zinterstore",          -4,  WRITE | DENYOOM | MOVABLEKEYS,    ONE,  Async(zinterstore));
    t.add("zdiffstore",           -4,  WRITE | DENYOOM | MOVABLEKEYS,    ONE,  Async(zdiffstore));

    //           name           arity  flags              keys  handler             keys on several shards
    t.add_cross("zrangestore",    -5,  WRITE | DENYOOM,   TWO,  Shard(zrangestore), CrossShard::Custom(zrangestore_spread));

    // The blocking forms find their keys' shards themselves, and may wait.
    const BLOCK: u32 = WRITE | NOSCRIPT | BLOCKING;
    t.add("bzpopmin",             -3,  BLOCK | FAST,  KeySpec::range(1, -2, 1),  Async(bzpopmin));
    t.add("bzpopmax",             -3,  BLOCK | FAST,  KeySpec::range(1, -2, 1),  Async(bzpopmax));
    t.add("bzmpop",               -5,  WRITE | BLOCKING | MOVABLEKEYS,  NONE,    Async(bzmpop));
}

// ---------------------------------------------------------------------------------------------
// Helpers the family shares

/// The zset an entry holds; `WrongType` when it holds another type.
pub(super) fn as_zset(e: &Entry) -> Result<&ZSetValue, CmdError> {
    match &e.value {
        Value::ZSet(z) => Ok(z),
        _ => Err(CmdError::WrongType),
    }
}

/// Deletes `key` when the zset it holds became empty. Requires: `key` holds a zset.
pub(super) fn delete_if_empty(cx: &mut ShardCtx<'_>, key: &[u8]) {
    let empty = cx
        .lookup_write(key)
        .is_some_and(|e| as_zset(e).is_ok_and(|z| z.is_empty()));
    if empty {
        cx.db().remove(key);
    }
}

/// Stores `z` under `key`, replacing whatever was there (value and deadline), or deletes `key`
/// when `z` is empty. Returns the size stored. The STORE commands' last step.
pub(super) fn store_zset(cx: &mut ShardCtx<'_>, key: &Bytes, z: ZSetValue) -> usize {
    let n = z.len();
    if n == 0 {
        cx.db().remove(key);
    } else {
        cx.db()
            .insert(key.clone(), Entry::new(Value::ZSet(Box::new(z))));
    }
    n
}

/// Parses a score or increment argument the way Redis's `getDoubleFromObject` does: no
/// surrounding spaces, no NaN, and no finite text that overflows to infinity.
pub(super) fn parse_score(b: &[u8]) -> Result<f64, CmdError> {
    let v = parse_f64(b).ok_or(CmdError::NotFloat)?;
    if v.is_infinite() && !b.iter().any(|c| c.eq_ignore_ascii_case(&b'i')) {
        return Err(CmdError::NotFloat);
    }
    Ok(v)
}

/// One `member, score` pair of a reply.
pub(super) fn pair(member: Bytes, score: f64) -> (Reply, Reply) {
    (Reply::Bulk(member), Reply::Double(score))
}

// ---------------------------------------------------------------------------------------------
// ZADD, ZINCRBY

/// ZADD's options and pairs.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct AddArgs<'a> {
    /// Only add new members.
    nx: bool,
    /// Only update existing members.
    xx: bool,
    /// Only update when the new score is greater.
    gt: bool,
    /// Only update when the new score is less.
    lt: bool,
    /// Reply with added + changed rather than added.
    ch: bool,
    /// Add the score to the current one and reply with the result (ZINCRBY).
    incr: bool,
    /// `(score, member)` pairs, scores already parsed.
    pairs: Vec<(f64, &'a Bytes)>,
}

impl<'a> AddArgs<'a> {
    /// Parses `argv[2..]`: options, then pairs. Errors in Redis's order: an odd or empty pair
    /// list (syntax), NX with XX, GT/LT with NX or each other, INCR with several pairs, then the
    /// first score that is not a float. All before the key is looked at.
    fn parse(argv: &'a [Bytes], incr: bool) -> Result<AddArgs<'a>, CmdError> {
        let mut req = AddArgs {
            nx: false,
            xx: false,
            gt: false,
            lt: false,
            ch: false,
            incr,
            pairs: Vec::new(),
        };
        let mut c = ArgCursor::new(argv, 2);
        loop {
            if c.eat_keyword("nx") {
                req.nx = true;
            } else if c.eat_keyword("xx") {
                req.xx = true;
            } else if c.eat_keyword("ch") {
                req.ch = true;
            } else if c.eat_keyword("incr") {
                req.incr = true;
            } else if c.eat_keyword("gt") {
                req.gt = true;
            } else if c.eat_keyword("lt") {
                req.lt = true;
            } else {
                break;
            }
        }
        let rest = c.rest();
        if rest.is_empty() || !rest.len().is_multiple_of(2) {
            return Err(CmdError::Syntax);
        }
        if req.nx && req.xx {
            return Err(CmdError::custom(
                "ERR XX and NX options at the same time are not compatible",
            ));
        }
        if ((req.gt || req.lt) && req.nx) || (req.gt && req.lt) {
            return Err(CmdError::custom(
                "ERR GT, LT, and/or NX options at the same time are not compatible",
            ));
        }
        if req.incr && rest.len() > 2 {
            return Err(CmdError::custom(
                "ERR INCR option supports a single increment-element pair",
            ));
        }
        for p in rest.chunks(2) {
            req.pairs.push((parse_score(&p[0])?, &p[1]));
        }
        Ok(req)
    }
}

/// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
pub(super) fn zadd(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let req = AddArgs::parse(argv, false)?;
    zadd_generic(cx, &argv[1], req)
}

/// ZINCRBY key increment member
pub(super) fn zincrby(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let req = AddArgs::parse(argv, true)?;
    zadd_generic(cx, &argv[1], req)
}

/// What one pair of a ZADD did.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Added {
    /// A new member.
    New(f64),
    /// An existing member's score changed.
    Changed(f64),
    /// The member was looked at and left as it was (its score came out the same).
    Same(f64),
    /// The options ruled the member out (NX on an existing member, XX on a new one, GT/LT).
    Skipped,
}

/// Adds or updates the pairs of `req` in the zset at `key`, creating it unless XX is given;
/// the routine behind ZADD and ZINCRBY. Replies with the number of new members (with CH, new
/// plus changed), or with INCR the member's new score (nil when the options ruled it out).
/// An INCR whose sum is NaN (inf + -inf) fails with nothing changed. Propagated as is: the
/// same doubles added in the same order give the same result on a replica.
fn zadd_generic(cx: &mut ShardCtx<'_>, key: &Bytes, req: AddArgs<'_>) -> CmdResult {
    let limits = Limits::live();
    let exists = cx.write_typed(key, Value::as_zset_mut)?.is_some();
    if !exists {
        if req.xx {
            cx.out.suppress();
            return Ok(if req.incr { Reply::Nil } else { Reply::Int(0) });
        }
        cx.db()
            .insert(key.clone(), Entry::new(Value::ZSet(Box::default())));
    }
    let z = cx
        .write_typed(key, Value::as_zset_mut)?
        .expect("created above");
    let (mut added, mut changed) = (0u64, 0u64);
    let mut last = Added::Skipped;
    for &(score, member) in &req.pairs {
        last = match add_one(z, member, score, &req, limits) {
            Ok(done) => done,
            Err(e) => {
                delete_if_empty(cx, key);
                return Err(e);
            }
        };
        match last {
            Added::New(_) => added += 1,
            Added::Changed(_) => changed += 1,
            Added::Same(_) | Added::Skipped => {}
        }
    }
    if added + changed == 0 {
        cx.out.suppress();
    }
    cx.dirty(added + changed);
    if req.incr {
        return Ok(match last {
            Added::New(s) | Added::Changed(s) | Added::Same(s) => Reply::Double(s),
            Added::Skipped => Reply::Nil,
        });
    }
    let n = if req.ch { added + changed } else { added };
    Ok(Reply::Int(n as i64))
}

/// Applies one pair of a ZADD to `z` under the options of `req`.
fn add_one(
    z: &mut ZSetValue,
    member: &[u8],
    score: f64,
    req: &AddArgs<'_>,
    limits: Limits,
) -> Result<Added, CmdError> {
    let Some(cur) = z.score(member) else {
        if req.xx {
            return Ok(Added::Skipped);
        }
        z.insert_new(member, score, limits);
        return Ok(Added::New(score));
    };
    if req.nx {
        return Ok(Added::Skipped);
    }
    let new = if req.incr { cur + score } else { score };
    if new.is_nan() {
        return Err(CmdError::custom(
            "ERR resulting score is not a number (NaN)",
        ));
    }
    if (req.lt && new >= cur) || (req.gt && new <= cur) {
        return Ok(Added::Skipped);
    }
    if new == cur {
        return Ok(Added::Same(new));
    }
    z.change_score(member, cur, new, limits);
    Ok(Added::Changed(new))
}

// ---------------------------------------------------------------------------------------------
// ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK

/// ZREM key member [member ...]
///
/// Replies with how many members it removed; deletes the key when it empties.
pub(super) fn zrem(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let key = &argv[1];
    let Some(z) = cx.write_typed(key, Value::as_zset_mut)? else {
        cx.out.suppress();
        return Ok(Reply::Int(0));
    };
    let mut removed = 0u64;
    for m in &argv[2..] {
        if z.remove(m).is_some() {
            removed += 1;
        }
        if z.is_empty() {
            break;
        }
    }
    delete_if_empty(cx, key);
    if removed == 0 {
        cx.out.suppress();
    }
    cx.dirty(removed);
    Ok(Reply::Int(removed as i64))
}

/// ZCARD key
pub(super) fn zcard(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let n = cx
        .read_typed(&argv[1], Value::as_zset_mut)?
        .map_or(0, |z| z.len());
    Ok(Reply::Int(n as i64))
}

/// ZSCORE key member
pub(super) fn zscore(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let score = cx
        .read_typed(&argv[1], Value::as_zset_mut)?
        .and_then(|z| z.score(&argv[2]));
    Ok(score.map_or(Reply::Nil, Reply::Double))
}

/// ZMSCORE key member [member ...]
///
/// One score (or nil) per member, in order; a missing key gives all nils.
pub(super) fn zmscore(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let z = cx.read_typed(&argv[1], Value::as_zset_mut)?.map(|z| &*z);
    let scores = argv[2..]
        .iter()
        .map(|m| z.and_then(|z| z.score(m)).map_or(Reply::Nil, Reply::Double))
        .collect();
    Ok(Reply::Array(scores))
}

/// ZRANK key member
pub(super) fn zrank(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    rank_generic(cx, argv, false)
}

/// ZREVRANK key member
pub(super) fn zrevrank(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    rank_generic(cx, argv, true)
}

/// The 0-based rank of a member, from the lowest score (ZRANK) or the highest (ZREVRANK); nil
/// when the key or the member is missing.
fn rank_generic(cx: &mut ShardCtx<'_>, argv: &[Bytes], rev: bool) -> CmdResult {
    let Some(z) = cx.read_typed(&argv[1], Value::as_zset_mut)? else {
        return Ok(Reply::Nil);
    };
    Ok(match z.rank(&argv[2]) {
        Some(r) if rev => Reply::Int((z.len() - 1 - r) as i64),
        Some(r) => Reply::Int(r as i64),
        None => Reply::Nil,
    })
}

/// What the family's tests use.
#[cfg(test)]
pub(super) mod testing {
    pub use crate::commands::session::*;
    use crate::protocol::reply::Reply;

    pub fn bulk(s: &str) -> Reply {
        Reply::bulk_copy(s.as_bytes())
    }

    pub fn d(v: f64) -> Reply {
        Reply::Double(v)
    }

    pub fn bulks(items: &[&str]) -> Reply {
        Reply::Array(items.iter().map(|s| bulk(s)).collect())
    }

    /// `member score` pairs, as WITHSCORES replies carry them.
    pub fn pairs(items: &[(&str, f64)]) -> Reply {
        Reply::Pairs(items.iter().map(|(m, s)| (bulk(m), d(*s))).collect())
    }

    pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use crate::commands::propagation::Propagation;
    use crate::commands::table::flags::*;

    #[test]
    fn the_table_matches_redis_command_info() {
        let info = |name: &str| crate::commands::session::declared(super::register, name);
        assert_eq!(info("zadd"), (-4, WRITE | DENYOOM | FAST, 1, 1, 1));
        assert_eq!(info("zrangestore"), (-5, WRITE | DENYOOM, 1, 2, 1));
        assert_eq!(info("zmpop"), (-4, WRITE | MOVABLEKEYS, 0, 0, 0));
        assert_eq!(
            info("zunionstore"),
            (-4, WRITE | DENYOOM | MOVABLEKEYS, 1, 1, 1)
        );
        assert_eq!(info("zrange"), (-4, READONLY, 1, 1, 1));
        assert_eq!(
            info("bzpopmin"),
            (-3, WRITE | NOSCRIPT | BLOCKING | FAST, 1, -2, 1)
        );
        assert_eq!(
            info("bzmpop"),
            (-5, WRITE | BLOCKING | MOVABLEKEYS, 0, 0, 0)
        );
        assert_eq!(crate::commands::session::registered(super::register), 35);
    }

    #[test]
    fn zadd_counts_new_members_and_ch_counts_changes() {
        let mut s = Session::new();
        assert_eq!(s.run("ZADD z 1 a 2 b"), int(2));
        assert_eq!(s.run("ZADD z 1 a 3 b 4 c"), int(1));
        assert_eq!(s.run("ZADD z CH 1 a 5 b 4 c 6 d"), int(2));
        assert_eq!(s.run("ZCARD z"), int(4));
        assert_eq!(s.run("ZSCORE z b"), d(5.0));
        assert_eq!(s.ks.stats.dirty, 2 + 2 + 2);
    }

    #[test]
    fn zadd_options_pick_which_members_change() {
        let mut s = Session::new();
        assert_eq!(s.run("ZADD z XX 1 a"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("EXISTS z"), int(0));
        s.run("ZADD z 5 a");
        assert_eq!(s.run("ZADD z NX 1 a 1 b"), int(1));
        assert_eq!(s.run("ZSCORE z a"), d(5.0));
        assert_eq!(s.run("ZADD z GT CH 4 a"), int(0));
        assert_eq!(s.run("ZADD z GT CH 6 a"), int(1));
        assert_eq!(s.run("ZADD z LT CH 7 a"), int(0));
        assert_eq!(s.run("ZADD z XX LT CH 2 a 0 new"), int(1));
        assert_eq!(s.run("ZSCORE z a"), d(2.0));
        assert_eq!(s.run("ZSCORE z new"), Reply::Nil);
        assert_eq!(
            s.run("ZADD z GT 9 fresh"),
            int(1),
            "GT still adds new members"
        );
    }

    #[test]
    fn zadd_errors_come_in_redis_order() {
        let mut s = Session::new();
        s.set("str", "v");
        assert_eq!(s.run("ZADD z 1 a 2"), err("ERR syntax error"));
        assert_eq!(s.run("ZADD z NX XX"), err("ERR syntax error"));
        assert_eq!(
            s.run("ZADD z NX XX 1 a"),
            err("ERR XX and NX options at the same time are not compatible")
        );
        assert_eq!(
            s.run("ZADD z GT LT 1 a"),
            err("ERR GT, LT, and/or NX options at the same time are not compatible")
        );
        assert_eq!(
            s.run("ZADD z INCR 1 a 2 b"),
            err("ERR INCR option supports a single increment-element pair")
        );
        assert_eq!(
            s.run("ZADD z 1 a x b"),
            err("ERR value is not a valid float")
        );
        assert_eq!(s.run("ZADD z nan a"), err("ERR value is not a valid float"));
        assert_eq!(s.run("ZADD str x a"), err("ERR value is not a valid float"));
        assert_eq!(s.run("ZADD str 1 a"), err(WRONGTYPE));
        assert_eq!(s.run("EXISTS z"), int(0));
    }

    #[test]
    fn incr_replies_with_the_new_score_or_nil() {
        let mut s = Session::new();
        assert_eq!(s.run("ZINCRBY z 2.5 a"), d(2.5));
        assert_eq!(s.run("ZADD z INCR 1 a"), d(3.5));
        assert_eq!(s.run("ZADD z INCR NX 1 a"), Reply::Nil);
        assert_eq!(s.run("ZADD z INCR GT -1 a"), Reply::Nil);
        assert_eq!(s.run("ZADD z INCR XX 1 b"), Reply::Nil);
        assert_eq!(s.run("ZINCRBY z 0 a"), d(3.5));
        s.run("ZADD z +inf i");
        assert_eq!(
            s.run("ZINCRBY z -inf i"),
            err("ERR resulting score is not a number (NaN)")
        );
        assert_eq!(s.run("ZSCORE z i"), d(f64::INFINITY));
        assert_eq!(
            s.run("ZINCRBY z x a"),
            err("ERR value is not a valid float")
        );
    }

    #[test]
    fn zrem_deletes_the_key_when_it_empties() {
        let mut s = Session::new();
        s.run("ZADD z 1 a 2 b");
        assert_eq!(s.run("ZREM z a x"), int(1));
        assert_eq!(s.run("ZREM z x"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("ZREM z b a"), int(1));
        assert_eq!(s.run("EXISTS z"), int(0));
        assert_eq!(s.run("ZREM z b"), int(0));
    }

    #[test]
    fn ranks_and_scores_read_both_ways() {
        let mut s = Session::new();
        s.run("ZADD z 1 a 2 b 3 c");
        assert_eq!(s.run("ZRANK z a"), int(0));
        assert_eq!(s.run("ZREVRANK z a"), int(2));
        assert_eq!(s.run("ZRANK z x"), Reply::Nil);
        assert_eq!(s.run("ZRANK nokey x"), Reply::Nil);
        assert_eq!(
            s.run("ZMSCORE z a x c"),
            Reply::Array(vec![d(1.0), Reply::Nil, d(3.0)])
        );
        assert_eq!(s.run("ZMSCORE nokey a"), Reply::Array(vec![Reply::Nil]));
        s.set("str", "v");
        assert_eq!(s.run("ZSCORE str a"), err(WRONGTYPE));
        assert_eq!(s.run("ZCARD str"), err(WRONGTYPE));
        assert_eq!(s.run("ZCARD nokey"), int(0));
    }

    use crate::protocol::reply::Reply;
}

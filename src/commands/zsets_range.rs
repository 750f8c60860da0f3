//! Sorted-set ranges: the ZRANGE family (ZRANGE, ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE,
//! ZRANGEBYLEX, ZREVRANGEBYLEX), ZRANGESTORE, ZCOUNT, ZLEXCOUNT and ZREMRANGEBYRANK / SCORE /
//! LEX.
//!
//! Owns: parsing ranges (ranks, `(`-open scores and `-inf`/`+inf`, `[`/`(` lex items and
//! `-`/`+`) and turning a range, a direction and a LIMIT into the ranks it selects. Every range
//! becomes a span of ranks first ([`ZSetValue::score_span`], [`ZSetValue::lex_span`]), so
//! counting is O(log n) and reading is O(log n + m).
//!
//! Runs on: the executor owning the key(s); ZRANGESTORE across two shards runs in
//! `zrangestore_across` under a transaction on both.

use bytes::Bytes;
use futures_lite::future::BoxedLocal;

use super::args::{parse_i64, rank_span};
use super::ctx::{AsyncCtx, ShardCtx};
use super::keys::with_shard_ctx;
use super::table::CmdResult;
use super::zsets::{delete_if_empty, pair, store_zset};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::shards::{owner_of, MultiShard};
use crate::storage::clock::UnixMillis;
use crate::storage::value::Value;
use crate::storage::zset::{LexBound, LexRange, Limits, ScoreRange, ZSetValue};

// ---------------------------------------------------------------------------------------------
// Parsing ranges

/// Error of a score range that does not parse.
fn not_float_range() -> CmdError {
    CmdError::custom("ERR min or max is not a float")
}

/// Error of a lex range that does not parse.
fn not_lex_range() -> CmdError {
    CmdError::custom("ERR min or max not valid string range item")
}

/// Parses a whole argument as C's `strtod` would accept it with nothing left over: leading
/// white space allowed, `inf`/`infinity` in any case, no NaN. The empty string reads as 0
/// (strtod converts nothing and stops at the end), which Redis accepts too.
fn strtod_whole(b: &[u8]) -> Option<f64> {
    if b.is_empty() {
        return Some(0.0);
    }
    let start = b.iter().position(|c| !matches!(c, b' ' | b'\t'..=b'\r'))?;
    let s = std::str::from_utf8(&b[start..]).ok()?;
    let (neg, body) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let v = if body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("infinity") {
        f64::INFINITY
    } else {
        let plain = body
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
        if !plain || body.is_empty() {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// Parses one end of a score range: a float, or `(` and a float for an open end.
fn parse_score_bound(b: &[u8]) -> Option<(f64, bool)> {
    match b.first() {
        Some(b'(') => strtod_whole(&b[1..]).map(|v| (v, true)),
        _ => strtod_whole(b).map(|v| (v, false)),
    }
}

/// Parses a score range (`min max`); "min or max is not a float" when either end is bad.
pub(super) fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
    let (min, min_open) = parse_score_bound(min).ok_or_else(not_float_range)?;
    let (max, max_open) = parse_score_bound(max).ok_or_else(not_float_range)?;
    Ok(ScoreRange {
        min,
        min_open,
        max,
        max_open,
    })
}

/// Parses one end of a lex range: `-`, `+`, `[member` or `(member`.
fn parse_lex_bound(b: &Bytes) -> Option<LexBound> {
    match b.first()? {
        b'-' if b.len() == 1 => Some(LexBound::Least),
        b'+' if b.len() == 1 => Some(LexBound::Greatest),
        b'[' => Some(LexBound::Closed(b.slice(1..))),
        b'(' => Some(LexBound::Open(b.slice(1..))),
        _ => None,
    }
}

/// Parses a lex range (`min max`); "min or max not valid string range item" when either end
/// is bad.
pub(super) fn parse_lex_range(min: &Bytes, max: &Bytes) -> Result<LexRange, CmdError> {
    Ok(LexRange {
        min: parse_lex_bound(min).ok_or_else(not_lex_range)?,
        max: parse_lex_bound(max).ok_or_else(not_lex_range)?,
    })
}

/// What a range selects by.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Range {
    /// Ranks, negative counting from the end (`start stop`).
    Rank(i64, i64),
    /// Scores.
    Score(ScoreRange),
    /// Members (for equal scores).
    Lex(LexRange),
}

/// The kind of range a command fixes, or `None` for ZRANGE, where BYSCORE / BYLEX choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Ranks.
    Rank,
    /// Scores.
    Score,
    /// Members.
    Lex,
}

/// A parsed ZRANGE-family call.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct RangeReq {
    /// What to select.
    pub(super) range: Range,
    /// From the highest score down.
    pub(super) rev: bool,
    /// Reply with scores.
    pub(super) withscores: bool,
    /// LIMIT offset (0 without LIMIT).
    pub(super) offset: i64,
    /// LIMIT count (-1 without LIMIT: no limit).
    pub(super) limit: i64,
}

impl RangeReq {
    /// Parses `src min max [BYSCORE | BYLEX] [REV] [WITHSCORES] [LIMIT offset count]` starting
    /// at `argv[src]`, for a command that may fix the kind (`kind`) and direction (`rev`).
    /// A STORE form (`store`) takes no WITHSCORES. Errors in Redis's order: unknown options
    /// and LIMIT values first, then LIMIT without BYSCORE/BYLEX, WITHSCORES with BYLEX, then
    /// the range itself. All before the key is looked at.
    pub(super) fn parse(
        argv: &[Bytes],
        src: usize,
        store: bool,
        kind: Option<Kind>,
        rev: Option<bool>,
    ) -> Result<RangeReq, CmdError> {
        let (mut kind_set, mut rev_set) = (kind, rev);
        let (mut withscores, mut offset, mut limit) = (false, 0i64, -1i64);
        let mut j = src + 3;
        while j < argv.len() {
            let a = &argv[j];
            let left = argv.len() - j - 1;
            if !store && a.eq_ignore_ascii_case(b"withscores") {
                withscores = true;
            } else if a.eq_ignore_ascii_case(b"limit") && left >= 2 {
                offset = parse_i64(&argv[j + 1]).ok_or(CmdError::NotInteger)?;
                limit = parse_i64(&argv[j + 2]).ok_or(CmdError::NotInteger)?;
                j += 2;
            } else if rev_set.is_none() && a.eq_ignore_ascii_case(b"rev") {
                rev_set = Some(true);
            } else if kind_set.is_none() && a.eq_ignore_ascii_case(b"bylex") {
                kind_set = Some(Kind::Lex);
            } else if kind_set.is_none() && a.eq_ignore_ascii_case(b"byscore") {
                kind_set = Some(Kind::Score);
            } else {
                return Err(CmdError::Syntax);
            }
            j += 1;
        }
        let kind = kind_set.unwrap_or(Kind::Rank);
        let rev = rev_set.unwrap_or(false);
        if limit != -1 && kind == Kind::Rank {
            return Err(CmdError::custom(
                "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
            ));
        }
        if withscores && kind == Kind::Lex {
            return Err(CmdError::custom(
                "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
            ));
        }
        // A reversed score or lex range is written max first.
        let (lo, hi) = if rev && kind != Kind::Rank {
            (&argv[src + 2], &argv[src + 1])
        } else {
            (&argv[src + 1], &argv[src + 2])
        };
        let range = match kind {
            Kind::Rank => Range::Rank(
                parse_i64(lo).ok_or(CmdError::NotInteger)?,
                parse_i64(hi).ok_or(CmdError::NotInteger)?,
            ),
            Kind::Score => Range::Score(parse_score_range(lo, hi)?),
            Kind::Lex => Range::Lex(parse_lex_range(lo, hi)?),
        };
        Ok(RangeReq {
            range,
            rev,
            withscores,
            offset,
            limit,
        })
    }
}

/// The elements `req` selects from `z`, in reply order.
pub(super) fn select(z: &ZSetValue, req: &RangeReq) -> Vec<(Bytes, f64)> {
    let len = z.len();
    let span = match &req.range {
        Range::Rank(start, stop) => {
            let Some((a, b)) = rank_span(*start, *stop, len) else {
                return Vec::new();
            };
            return if req.rev {
                z.range(len - 1 - b, len - 1 - a, true)
            } else {
                z.range(a, b, false)
            };
        }
        Range::Score(r) => z.score_span(r),
        Range::Lex(r) => z.lex_span(r),
    };
    let Some((a, b)) = span else {
        return Vec::new();
    };
    // A negative offset skips everything, as Redis's skip loop never ends before the list
    // does; a zero count selects nothing; a negative count is no limit.
    if req.offset < 0 || req.limit == 0 {
        return Vec::new();
    }
    let offset = req.offset as u64;
    let inside = (b - a + 1) as u64;
    if offset >= inside {
        return Vec::new();
    }
    let n = if req.limit < 0 {
        inside - offset
    } else {
        (req.limit as u64).min(inside - offset)
    } as usize;
    let offset = offset as usize;
    if req.rev {
        let hi = b - offset;
        z.range(hi + 1 - n, hi, true)
    } else {
        z.range(a + offset, a + offset + n - 1, false)
    }
}

/// The reply for selected elements: members, or member/score pairs with WITHSCORES.
fn range_reply(items: Vec<(Bytes, f64)>, withscores: bool) -> Reply {
    if withscores {
        Reply::Pairs(items.into_iter().map(|(m, s)| pair(m, s)).collect())
    } else {
        Reply::Array(items.into_iter().map(|(m, _)| Reply::Bulk(m)).collect())
    }
}

// ---------------------------------------------------------------------------------------------
// ZRANGE and its older forms

/// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
pub(super) fn zrange(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    range_generic(cx, argv, None, None)
}

/// ZREVRANGE key start stop [WITHSCORES]
pub(super) fn zrevrange(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    range_generic(cx, argv, Some(Kind::Rank), Some(true))
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
pub(super) fn zrangebyscore(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    range_generic(cx, argv, Some(Kind::Score), Some(false))
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
pub(super) fn zrevrangebyscore(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    range_generic(cx, argv, Some(Kind::Score), Some(true))
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
pub(super) fn zrangebylex(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    range_generic(cx, argv, Some(Kind::Lex), Some(false))
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
pub(super) fn zrevrangebylex(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    range_generic(cx, argv, Some(Kind::Lex), Some(true))
}

/// Reads a range of the zset at `argv[1]`; the routine behind ZRANGE and its older forms, which
/// fix the kind and direction that ZRANGE takes as options. A missing key is an empty array.
fn range_generic(
    cx: &mut ShardCtx<'_>,
    argv: &[Bytes],
    kind: Option<Kind>,
    rev: Option<bool>,
) -> CmdResult {
    let req = RangeReq::parse(argv, 1, false, kind, rev)?;
    let items = match cx.read_typed(&argv[1], Value::as_zset_mut)? {
        Some(z) => select(z, &req),
        None => Vec::new(),
    };
    Ok(range_reply(items, req.withscores))
}

// ---------------------------------------------------------------------------------------------
// ZRANGESTORE

/// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
///
/// Stores the selected elements at `dst` (replacing it, deadline dropped) and replies with how
/// many; an empty selection deletes `dst`. Propagated as is, unless it changed nothing.
pub(super) fn zrangestore(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let req = RangeReq::parse(argv, 2, true, None, None)?;
    let items = rangestore_read(cx, &argv[2], &req)?;
    let changed = rangestore_write(cx, &argv[1], items);
    if !changed.1 {
        cx.out.suppress();
    }
    Ok(Reply::Int(changed.0 as i64))
}

/// Step one of ZRANGESTORE, on the source's shard: the selected elements.
fn rangestore_read(
    cx: &mut ShardCtx<'_>,
    src: &[u8],
    req: &RangeReq,
) -> Result<Vec<(Bytes, f64)>, CmdError> {
    Ok(cx
        .read_typed(src, Value::as_zset_mut)?
        .map_or_else(Vec::new, |z| select(z, req)))
}

/// Step two of ZRANGESTORE, on the destination's shard: stores `items` (or deletes `dst` when
/// there are none). Returns how many it stored and whether the dataset changed.
fn rangestore_write(cx: &mut ShardCtx<'_>, dst: &Bytes, items: Vec<(Bytes, f64)>) -> (usize, bool) {
    let existed = cx.lookup_write(dst).is_some();
    let n = store_zset(cx, dst, ZSetValue::from_pairs(items, Limits::live()));
    let changed = n > 0 || existed;
    if changed {
        cx.dirty(1);
    }
    (n, changed)
}

/// ZRANGESTORE whose two keys live on different shards.
pub(super) fn zrangestore_spread(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(zrangestore_across(cx, argv))
}

/// `zrangestore` for two keys on two shards, atomic under a transaction on both: the selection
/// is copied out of the source's shard and stored on the destination's.
async fn zrangestore_across(cx: AsyncCtx, argv: Vec<Bytes>) -> CmdResult {
    let req = RangeReq::parse(&argv, 2, true, None, None)?;
    let (dst, src) = (argv[1].clone(), argv[2].clone());
    let (from, to) = (owner_of(&src), owner_of(&dst));
    let (db, now) = (cx.db, UnixMillis::now());
    let tx = MultiShard::lock(vec![from, to]).await;
    let items = tx
        .run(from, move |ks| {
            with_shard_ctx(ks, db, now, |cx| rangestore_read(cx, &src, &req))
        })
        .await?;
    let (n, _) = tx
        .run(to, move |ks| {
            with_shard_ctx(ks, db, now, |cx| rangestore_write(cx, &dst, items))
        })
        .await;
    tx.propagate(db, argv);
    Ok(Reply::Int(n as i64))
}

// ---------------------------------------------------------------------------------------------
// ZCOUNT, ZLEXCOUNT

/// ZCOUNT key min max
pub(super) fn zcount(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let r = parse_score_range(&argv[2], &argv[3])?;
    let span = cx
        .read_typed(&argv[1], Value::as_zset_mut)?
        .and_then(|z| z.score_span(&r));
    Ok(Reply::Int(span.map_or(0, |(a, b)| (b - a + 1) as i64)))
}

/// ZLEXCOUNT key min max
pub(super) fn zlexcount(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let r = parse_lex_range(&argv[2], &argv[3])?;
    let span = cx
        .read_typed(&argv[1], Value::as_zset_mut)?
        .and_then(|z| z.lex_span(&r));
    Ok(Reply::Int(span.map_or(0, |(a, b)| (b - a + 1) as i64)))
}

// ---------------------------------------------------------------------------------------------
// ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX

/// ZREMRANGEBYRANK key start stop
pub(super) fn zremrangebyrank(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let start = parse_i64(&argv[2]).ok_or(CmdError::NotInteger)?;
    let stop = parse_i64(&argv[3]).ok_or(CmdError::NotInteger)?;
    remrange_generic(cx, &argv[1], Range::Rank(start, stop))
}

/// ZREMRANGEBYSCORE key min max
pub(super) fn zremrangebyscore(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let r = parse_score_range(&argv[2], &argv[3])?;
    remrange_generic(cx, &argv[1], Range::Score(r))
}

/// ZREMRANGEBYLEX key min max
pub(super) fn zremrangebylex(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let r = parse_lex_range(&argv[2], &argv[3])?;
    remrange_generic(cx, &argv[1], Range::Lex(r))
}

/// Removes the elements of `range` from the zset at `key` and replies with how many; the
/// routine behind ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX. The range was parsed
/// before the lookup, so a bad range wins over a wrong type. Deletes the key when it empties.
fn remrange_generic(cx: &mut ShardCtx<'_>, key: &[u8], range: Range) -> CmdResult {
    let Some(z) = cx.write_typed(key, Value::as_zset_mut)? else {
        cx.out.suppress();
        return Ok(Reply::Int(0));
    };
    let span = match &range {
        Range::Rank(start, stop) => rank_span(*start, *stop, z.len()),
        Range::Score(r) => z.score_span(r),
        Range::Lex(r) => z.lex_span(r),
    };
    let removed = span.map_or(0, |(a, b)| z.remove_range(a, b).len());
    delete_if_empty(cx, key);
    if removed == 0 {
        cx.out.suppress();
    }
    cx.dirty(removed as u64);
    Ok(Reply::Int(removed as i64))
}

#[cfg(test)]
mod tests {
    use super::super::zsets::testing::*;
    use super::*;

    fn scores(s: &mut Session) {
        s.run("ZADD z 1 a 2 b 3 c 4 d 5 e");
    }

    #[test]
    fn ranks_count_from_either_end() {
        let mut s = Session::new();
        scores(&mut s);
        assert_eq!(s.run("ZRANGE z 0 -1"), bulks(&["a", "b", "c", "d", "e"]));
        assert_eq!(s.run("ZRANGE z -2 100"), bulks(&["d", "e"]));
        assert_eq!(s.run("ZRANGE z 3 1"), bulks(&[]));
        assert_eq!(s.run("ZREVRANGE z 0 1"), bulks(&["e", "d"]));
        assert_eq!(
            s.run("ZRANGE z 0 1 REV WITHSCORES"),
            pairs(&[("e", 5.0), ("d", 4.0)])
        );
        assert_eq!(s.run("ZRANGE nokey 0 -1"), bulks(&[]));
    }

    #[test]
    fn score_ranges_take_open_ends_infinities_and_limits() {
        let mut s = Session::new();
        scores(&mut s);
        assert_eq!(s.run("ZRANGEBYSCORE z (1 3"), bulks(&["b", "c"]));
        assert_eq!(
            s.run("ZRANGEBYSCORE z -inf +inf LIMIT 1 2"),
            bulks(&["b", "c"])
        );
        assert_eq!(
            s.run("ZREVRANGEBYSCORE z +inf (2 LIMIT 1 10"),
            bulks(&["d", "c"])
        );
        assert_eq!(s.run("ZRANGE z (4 +inf BYSCORE"), bulks(&["e"]));
        assert_eq!(
            s.run("ZRANGE z 5 0 BYSCORE REV LIMIT 0 2"),
            bulks(&["e", "d"])
        );
        assert_eq!(s.run("ZRANGEBYSCORE z -inf +inf LIMIT -1 2"), bulks(&[]));
        assert_eq!(
            s.run("ZRANGEBYSCORE z -inf +inf LIMIT 3 -1"),
            bulks(&["d", "e"])
        );
        assert_eq!(s.run("ZCOUNT z (1 +inf"), int(4));
        assert_eq!(s.run("ZCOUNT z 3 2"), int(0));
        assert_eq!(
            s.run("ZRANGEBYSCORE z x 1"),
            err("ERR min or max is not a float")
        );
        assert_eq!(
            s.run("ZCOUNT z 1 nan"),
            err("ERR min or max is not a float")
        );
    }

    #[test]
    fn lex_ranges_take_brackets_and_infinities() {
        let mut s = Session::new();
        s.run("ZADD z 0 a 0 b 0 c 0 d");
        assert_eq!(s.run("ZRANGEBYLEX z [b (d"), bulks(&["b", "c"]));
        assert_eq!(s.run("ZREVRANGEBYLEX z + - LIMIT 0 2"), bulks(&["d", "c"]));
        assert_eq!(s.run("ZLEXCOUNT z - +"), int(4));
        assert_eq!(
            s.run("ZRANGEBYLEX z b d"),
            err("ERR min or max not valid string range item")
        );
        assert_eq!(
            s.run("ZRANGE z - + BYLEX WITHSCORES"),
            err("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
        );
        assert_eq!(
            s.run("ZRANGE z 0 1 LIMIT 0 1"),
            err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
        );
        assert_eq!(s.run("ZRANGEBYSCORE z 0 1 REV"), err("ERR syntax error"));
        assert_eq!(s.run("ZRANGE z 0 1 REV REV"), err("ERR syntax error"));
        assert_eq!(s.run("ZRANGE z 0 1 BYSCORE BYLEX"), err("ERR syntax error"));
    }

    #[test]
    fn remrange_removes_and_deletes_the_empty_key() {
        let mut s = Session::new();
        scores(&mut s);
        assert_eq!(s.run("ZREMRANGEBYRANK z 0 1"), int(2));
        assert_eq!(s.run("ZREMRANGEBYSCORE z (3 4"), int(1));
        assert_eq!(s.run("ZRANGE z 0 -1"), bulks(&["c", "e"]));
        assert_eq!(s.run("ZREMRANGEBYLEX z - +"), int(2));
        assert_eq!(s.run("EXISTS z"), int(0));
        s.set("str", "v");
        assert_eq!(
            s.run("ZREMRANGEBYSCORE str x 1"),
            err("ERR min or max is not a float")
        );
        assert_eq!(s.run("ZREMRANGEBYSCORE str 0 1"), err(WRONGTYPE));
    }

    #[test]
    fn zrangestore_stores_the_selection() {
        let mut s = Session::new();
        scores(&mut s);
        assert_eq!(s.run("ZRANGESTORE dst z 1 3"), int(3));
        assert_eq!(
            s.run("ZRANGE dst 0 -1 WITHSCORES"),
            pairs(&[("b", 2.0), ("c", 3.0), ("d", 4.0)])
        );
        assert_eq!(s.run("ZRANGESTORE dst z 10 20"), int(0));
        assert_eq!(s.run("EXISTS dst"), int(0));
        assert_eq!(
            s.run("ZRANGESTORE dst z 0 1 WITHSCORES"),
            err("ERR syntax error")
        );
    }

    #[test]
    fn strtod_accepts_what_redis_accepts() {
        assert_eq!(strtod_whole(b""), Some(0.0));
        assert_eq!(strtod_whole(b" 1.5"), Some(1.5));
        assert_eq!(strtod_whole(b"1.5 "), None);
        assert_eq!(strtod_whole(b"-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(strtod_whole(b"nan"), None);
        assert_eq!(strtod_whole(b" "), None);
        assert_eq!(strtod_whole(b"1e3"), Some(1000.0));
    }
}

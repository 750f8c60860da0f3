//! The list family's command table, its single-key commands, and the helpers its files share.
//!
//! Commands here: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE, LINDEX, LSET, LINSERT,
//! LREM, LTRIM and LPOS. The commands that move elements between keys (LMOVE, RPOPLPUSH, LMPOP)
//! and may span shards are in `lists_move`. The list itself and its encodings are
//! `storage::list`.
//!
//! Runs on: the executor owning the key. Must not: await, or reach another shard.

use bytes::Bytes;

use super::args::parse_i64;
use super::args::rank_span;
use super::ctx::ShardCtx;
use super::lists_blocking::{blmove, blmpop, blpop, brpop, brpoplpush};
use super::lists_move::{lmove, lmove_spread, lmpop, rpoplpush, rpoplpush_spread};
use super::table::flags::{BLOCKING, DENYOOM, FAST, MOVABLEKEYS, NOSCRIPT, READONLY, WRITE};
use super::table::{CmdResult, CommandTable, CrossShard, Handler, KeySpec};
use crate::config::live::{threshold, Threshold};
use crate::protocol::encoder;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::storage::db::Entry;
use crate::storage::list::{Elem, End, Fill, ListValue};
use crate::storage::value::Value;

/// Registers the list family. Arity, flags and key positions are those `COMMAND INFO` shows on
/// Redis 7.0.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    use CrossShard::Custom;
    use Handler::{Async, Shard};
    const ONE: KeySpec = KeySpec::range(1, 1, 1);
    const TWO: KeySpec = KeySpec::range(1, 2, 1);

    //     name        arity  flags                      keys   handler
    t.add("lpush",        -3, WRITE | DENYOOM | FAST,    ONE,   Shard(lpush));
    t.add("rpush",        -3, WRITE | DENYOOM | FAST,    ONE,   Shard(rpush));
    t.add("lpushx",       -3, WRITE | DENYOOM | FAST,    ONE,   Shard(lpushx));
    t.add("rpushx",       -3, WRITE | DENYOOM | FAST,    ONE,   Shard(rpushx));
    t.add("linsert",       5, WRITE | DENYOOM,           ONE,   Shard(linsert));
    t.add("llen",          2, READONLY | FAST,           ONE,   Shard(llen));
    t.add("lindex",        3, READONLY,                  ONE,   Shard(lindex));
    t.add("lset",          4, WRITE | DENYOOM,           ONE,   Shard(lset));
    t.add("lpop",         -2, WRITE | FAST,              ONE,   Shard(lpop));
    t.add("rpop",         -2, WRITE | FAST,              ONE,   Shard(rpop));
    t.add("lrange",        4, READONLY,                  ONE,   Shard(lrange));
    t.add("ltrim",         4, WRITE,                     ONE,   Shard(ltrim));
    t.add("lpos",         -3, READONLY,                  ONE,   Shard(lpos));
    t.add("lrem",          4, WRITE,                     ONE,   Shard(lrem));

    //           name        arity  flags                keys   handler           keys on several shards
    t.add_cross("rpoplpush",     3, WRITE | DENYOOM,     TWO,   Shard(rpoplpush), Custom(rpoplpush_spread));
    t.add_cross("lmove",         5, WRITE | DENYOOM,     TWO,   Shard(lmove),     Custom(lmove_spread));
    // The keys of LMPOP follow its numkeys argument, so it finds their shards itself.
    t.add(      "lmpop",        -4, WRITE | MOVABLEKEYS, KeySpec::NONE, Async(lmpop));

    // The blocking forms find their keys' shards themselves, and may wait.
    const BLOCK: u32 = WRITE | NOSCRIPT | BLOCKING;
    t.add("blpop",      -3, BLOCK,                        KeySpec::range(1, -2, 1), Async(blpop));
    t.add("brpop",      -3, BLOCK,                        KeySpec::range(1, -2, 1), Async(brpop));
    t.add("brpoplpush",  4, BLOCK | DENYOOM,              TWO,                      Async(brpoplpush));
    t.add("blmove",      6, BLOCK | DENYOOM,              TWO,                      Async(blmove));
    t.add("blmpop",     -5, WRITE | BLOCKING | MOVABLEKEYS, KeySpec::NONE,          Async(blmpop));
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

/// The node limit writes obey now (`list-max-listpack-size`).
pub(super) fn fill() -> Fill {
    Fill(threshold(Threshold::ListMaxListpackSize))
}

/// The list an entry holds; `WrongType` when it holds another type.
pub(super) fn list_mut(e: &mut Entry) -> Result<&mut ListValue, CmdError> {
    match &mut e.value {
        Value::List(l) => Ok(l),
        _ => Err(CmdError::WrongType),
    }
}

/// The list at `key` for a read command (hit/miss counted): `Ok(None)` when absent.
fn read_list<'c>(cx: &'c mut ShardCtx<'_>, key: &[u8]) -> Result<Option<&'c ListValue>, CmdError> {
    match cx.lookup_read(key) {
        None => Ok(None),
        Some(e) => list_mut(e).map(|l| Some(&*l)),
    }
}

/// The list at `key` for a write command: `Ok(None)` when absent.
pub(super) fn write_list<'c>(
    cx: &'c mut ShardCtx<'_>,
    key: &[u8],
) -> Result<Option<&'c mut ListValue>, CmdError> {
    match cx.lookup_write(key) {
        None => Ok(None),
        Some(e) => list_mut(e).map(Some),
    }
}

/// Deletes `key` when the write that just ran left its list empty (an empty list is never
/// stored). Requires: `key` holds a list.
pub(super) fn delete_if_empty(cx: &mut ShardCtx<'_>, key: &[u8]) {
    let empty = cx
        .lookup_write(key)
        .is_some_and(|e| matches!(&e.value, Value::List(l) if l.is_empty()));
    if empty {
        cx.db().remove(key);
    }
}

/// Stores a new list under `key`. Requires: `key` is absent and `list` is not empty.
pub(super) fn store_new(cx: &mut ShardCtx<'_>, key: &Bytes, list: ListValue) {
    cx.db()
        .insert(key.clone(), Entry::new(Value::List(Box::new(list))));
}

/// Counts `n` changes, and propagates nothing when there were none.
fn changed(cx: &mut ShardCtx<'_>, n: usize) {
    if n == 0 {
        cx.out.suppress();
    }
    cx.dirty(n as u64);
}

/// LEFT or RIGHT, as LMOVE and LMPOP spell an end.
pub(super) fn parse_end(arg: &[u8]) -> Result<End, CmdError> {
    if arg.eq_ignore_ascii_case(b"left") {
        Ok(End::Head)
    } else if arg.eq_ignore_ascii_case(b"right") {
        Ok(End::Tail)
    } else {
        Err(CmdError::Syntax)
    }
}

/// The decimal form of `n`, for a propagated argv.
pub(super) fn int_bytes(n: usize) -> Bytes {
    Bytes::copy_from_slice(itoa::Buffer::new().format(n).as_bytes())
}

/// An index or count argument: any i64, else "value is not an integer".
fn parse_index(arg: &[u8]) -> Result<i64, CmdError> {
    parse_i64(arg).ok_or(CmdError::NotInteger)
}

/// A non-negative integer argument; `err` both when it is not an integer and when it is negative
/// (Redis gives one message for both).
fn parse_non_negative(arg: &[u8], err: fn() -> CmdError) -> Result<u64, CmdError> {
    parse_i64(arg)
        .filter(|&n| n >= 0)
        .map(|n| n as u64)
        .ok_or_else(err)
}

/// The error texts particular to lists.
pub(super) mod errors {
    use crate::protocol::error::CmdError;

    /// LSET past either end.
    pub fn index_out_of_range() -> CmdError {
        CmdError::custom("ERR index out of range")
    }

    /// LPOS RANK 0.
    pub fn rank_zero() -> CmdError {
        CmdError::custom(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... \
             or use negative to start from the end of the list",
        )
    }

    /// LPOS COUNT that is negative or not an integer.
    pub fn count_negative() -> CmdError {
        CmdError::custom("ERR COUNT can't be negative")
    }

    /// LPOS MAXLEN that is negative or not an integer.
    pub fn maxlen_negative() -> CmdError {
        CmdError::custom("ERR MAXLEN can't be negative")
    }

    /// LMPOP numkeys below 1 or not an integer.
    pub fn numkeys() -> CmdError {
        CmdError::custom("ERR numkeys should be greater than 0")
    }

    /// LMPOP COUNT below 1 or not an integer.
    pub fn count_not_positive() -> CmdError {
        CmdError::custom("ERR count should be greater than 0")
    }

    /// A pop count below 0 or not an integer (LPOP, RPOP).
    pub fn must_be_positive() -> CmdError {
        CmdError::MustBePositive
    }
}

// ---------------------------------------------------------------------------------------------
// LPUSH, RPUSH, LPUSHX, RPUSHX

/// LPUSH key element [element ...]
fn lpush(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    push_generic(cx, argv, End::Head, false)
}

/// RPUSH key element [element ...]
fn rpush(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    push_generic(cx, argv, End::Tail, false)
}

/// LPUSHX key element [element ...]
fn lpushx(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    push_generic(cx, argv, End::Head, true)
}

/// RPUSHX key element [element ...]
fn rpushx(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    push_generic(cx, argv, End::Tail, true)
}

/// Pushes `argv[2..]` one by one at `end` of the list at `argv[1]` and replies with its new
/// length. Serves LPUSH and RPUSH (`xx` false: creates the list when absent) and LPUSHX and RPUSHX
/// (`xx` true: replies 0 and changes nothing when absent).
fn push_generic(cx: &mut ShardCtx<'_>, argv: &[Bytes], end: End, xx: bool) -> CmdResult {
    let (key, items) = (&argv[1], &argv[2..]);
    let fill = fill();
    let len = match write_list(cx, key)? {
        Some(list) => {
            list.push_all(end, items, fill);
            list.len()
        }
        None if xx => {
            cx.out.suppress();
            return Ok(Reply::Int(0));
        }
        None => {
            let mut list = ListValue::new();
            list.push_all(end, items, fill);
            let len = list.len();
            store_new(cx, key, list);
            len
        }
    };
    changed(cx, items.len());
    Ok(Reply::Int(len as i64))
}

// ---------------------------------------------------------------------------------------------
// LPOP, RPOP

/// LPOP key [count]
fn lpop(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    pop_generic(cx, argv, End::Head)
}

/// RPOP key [count]
fn rpop(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    pop_generic(cx, argv, End::Tail)
}

/// Pops from `end` of the list at `argv[1]`. Without a count: one element, or nil when the key is
/// absent. With a count: an array of up to `count` elements (empty for 0), or a nil array when
/// the key is absent. The count is checked before the key; a count of 0 still checks the type.
/// Serves LPOP and RPOP.
fn pop_generic(cx: &mut ShardCtx<'_>, argv: &[Bytes], end: End) -> CmdResult {
    let name = if end == End::Head { "lpop" } else { "rpop" };
    let count = match argv.len() {
        2 => None,
        3 => Some(parse_non_negative(&argv[2], errors::must_be_positive)?),
        _ => return Err(CmdError::WrongArity(name.into())),
    };
    let key = &argv[1];
    let fill = fill();
    let Some(list) = write_list(cx, key)? else {
        cx.out.suppress();
        return Ok(if count.is_some() {
            Reply::NilArray
        } else {
            Reply::Nil
        });
    };
    let reply = match count {
        Some(0) => {
            cx.out.suppress();
            return Ok(Reply::Array(Vec::new()));
        }
        Some(n) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            Reply::bulk_array(list.pop_many(end, n, fill))
        }
        None => Reply::Bulk(list.pop(end, fill).expect("stored lists are not empty")),
    };
    let n = match &reply {
        Reply::Array(v) => v.len(),
        _ => 1,
    };
    delete_if_empty(cx, key);
    changed(cx, n);
    Ok(reply)
}

// ---------------------------------------------------------------------------------------------
// LLEN, LINDEX, LRANGE, LPOS

/// LLEN key
fn llen(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let len = read_list(cx, &argv[1])?.map_or(0, ListValue::len);
    Ok(Reply::Int(len as i64))
}

/// LINDEX key index
///
/// The key is looked up (and its type checked) before the index is parsed.
fn lindex(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let Some(list) = read_list(cx, &argv[1])? else {
        return Ok(Reply::Nil);
    };
    let index = parse_index(&argv[2])?;
    Ok(list.get(index).map_or(Reply::Nil, Reply::Bulk))
}

/// `start` and `stop` clamped to a list of `len`: the first index and the number of elements,
/// or `None` for an empty range. Serves LRANGE and LTRIM.
fn clamp_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    rank_span(start, stop, len).map(|(first, last)| (first, last - first + 1))
}

/// LRANGE key start stop
///
/// The indexes are parsed before the key is looked up.
fn lrange(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let start = parse_index(&argv[2])?;
    let stop = parse_index(&argv[3])?;
    let reply_to = cx.reply_to.take();
    let Some(list) = read_list(cx, &argv[1])? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let Some((first, n)) = clamp_range(start, stop, list.len()) else {
        return Ok(Reply::Array(Vec::new()));
    };
    // Written straight from the list when the connection's output is at hand: building a reply
    // of n strings first costs an allocation and a copy per element.
    let Some(to) = reply_to else {
        return Ok(Reply::bulk_array(list.range(first, n, false)));
    };
    encoder::write_array_len(to.out, n);
    list.for_each_in_range(first, n, false, |e| match e {
        Elem::Int(i) => encoder::write_bulk_int(to.out, i),
        Elem::Str(b) => encoder::write_bulk(to.out, b),
    });
    Ok(Reply::Written)
}

/// The options of LPOS: `[RANK rank] [COUNT num-matches] [MAXLEN len]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LposArgs {
    /// Which end the scan starts from (a negative RANK scans from the tail).
    from: End,
    /// Which match is the first reported, counting from 1.
    rank: u64,
    /// How many matches to report (0 = all); `None` when COUNT was not given.
    count: Option<u64>,
    /// How many elements to look at (0 = all).
    maxlen: u64,
}

impl LposArgs {
    /// Parses `argv[3..]` in order; the first bad option decides the error.
    fn parse(argv: &[Bytes]) -> Result<LposArgs, CmdError> {
        let mut req = LposArgs {
            from: End::Head,
            rank: 1,
            count: None,
            maxlen: 0,
        };
        let mut i = 3;
        while i < argv.len() {
            let opt = &argv[i];
            let has_value = i + 1 < argv.len();
            if opt.eq_ignore_ascii_case(b"rank") && has_value {
                let rank = parse_index(&argv[i + 1])?;
                if rank == 0 {
                    return Err(errors::rank_zero());
                }
                req.from = if rank < 0 { End::Tail } else { End::Head };
                req.rank = rank.unsigned_abs();
            } else if opt.eq_ignore_ascii_case(b"count") && has_value {
                req.count = Some(parse_non_negative(&argv[i + 1], errors::count_negative)?);
            } else if opt.eq_ignore_ascii_case(b"maxlen") && has_value {
                req.maxlen = parse_non_negative(&argv[i + 1], errors::maxlen_negative)?;
            } else {
                return Err(CmdError::Syntax);
            }
            i += 2;
        }
        Ok(req)
    }
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
///
/// Without COUNT: the index of the match, or nil. With COUNT: an array of indexes (empty when
/// none, also when the key is absent). Options are parsed before the key is looked up.
fn lpos(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let req = LposArgs::parse(argv)?;
    let Some(list) = read_list(cx, &argv[1])? else {
        return Ok(match req.count {
            Some(_) => Reply::Array(Vec::new()),
            None => Reply::Nil,
        });
    };
    let found = list.positions(
        &argv[2],
        req.from,
        req.rank,
        req.count.unwrap_or(1),
        req.maxlen,
    );
    Ok(match req.count {
        Some(_) => Reply::Array(found.into_iter().map(|i| Reply::Int(i as i64)).collect()),
        None => found.first().map_or(Reply::Nil, |&i| Reply::Int(i as i64)),
    })
}

// ---------------------------------------------------------------------------------------------
// LSET, LINSERT, LREM, LTRIM

/// LSET key index element
///
/// "no such key" when the key is absent; the key is checked before the index is parsed.
fn lset(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let fill = fill();
    let list = write_list(cx, &argv[1])?.ok_or(CmdError::NoSuchKey)?;
    let index = parse_index(&argv[2])?;
    if !list.set(index, &argv[3], fill) {
        return Err(errors::index_out_of_range());
    }
    changed(cx, 1);
    Ok(Reply::Ok)
}

/// LINSERT key BEFORE|AFTER pivot element
///
/// The new length, -1 when no element equals the pivot, 0 when the key is absent. BEFORE/AFTER
/// is checked before the key.
fn linsert(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let after = if argv[2].eq_ignore_ascii_case(b"after") {
        true
    } else if argv[2].eq_ignore_ascii_case(b"before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let fill = fill();
    let Some(list) = write_list(cx, &argv[1])? else {
        cx.out.suppress();
        return Ok(Reply::Int(0));
    };
    if !list.insert(&argv[3], &argv[4], after, fill) {
        cx.out.suppress();
        return Ok(Reply::Int(-1));
    }
    let len = list.len();
    changed(cx, 1);
    Ok(Reply::Int(len as i64))
}

/// LREM key count element
///
/// Removes the first `count` elements equal to `element` (the last `-count` when negative, all
/// when 0) and replies with how many it removed. The count is parsed before the key.
fn lrem(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let count = parse_index(&argv[2])?;
    let fill = fill();
    let key = &argv[1];
    let Some(list) = write_list(cx, key)? else {
        cx.out.suppress();
        return Ok(Reply::Int(0));
    };
    let removed = list.remove(&argv[3], count, fill);
    delete_if_empty(cx, key);
    changed(cx, removed);
    Ok(Reply::Int(removed as i64))
}

/// LTRIM key start stop
///
/// Keeps only the elements from `start` to `stop` (inclusive, negative from the tail); an empty
/// range deletes the key. Replies OK, also when the key is absent. The indexes are parsed before
/// the key.
fn ltrim(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let start = parse_index(&argv[2])?;
    let stop = parse_index(&argv[3])?;
    let fill = fill();
    let key = &argv[1];
    let Some(list) = write_list(cx, key)? else {
        cx.out.suppress();
        return Ok(Reply::Ok);
    };
    let len = list.len();
    let (ltrim, rtrim) = match clamp_range(start, stop, len) {
        Some((first, n)) => (first, len - first - n),
        None => (len, 0),
    };
    list.trim(ltrim, rtrim, fill);
    delete_if_empty(cx, key);
    changed(cx, ltrim + rtrim);
    Ok(Reply::Ok)
}

/// What the family's tests share.
#[cfg(test)]
pub(super) mod testing {
    pub use crate::commands::session::*;
    use crate::protocol::reply::Reply;

    pub fn bulk(s: &str) -> Reply {
        Reply::bulk_copy(s.as_bytes())
    }

    pub fn bulks(items: &[&str]) -> Reply {
        Reply::Array(items.iter().map(|s| bulk(s)).collect())
    }

    pub fn ints(items: &[i64]) -> Reply {
        Reply::Array(items.iter().map(|&n| Reply::Int(n)).collect())
    }

    pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use crate::commands::propagation::Propagation;

    #[test]
    fn the_table_matches_redis_command_info() {
        let mut t = CommandTable::new();
        register(&mut t);
        let info = |name: &str| {
            let c = t.get(name.as_bytes()).unwrap();
            (c.arity, c.flags, c.keys.first, c.keys.last, c.keys.step)
        };
        assert_eq!(info("lpush"), (-3, WRITE | DENYOOM | FAST, 1, 1, 1));
        assert_eq!(info("linsert"), (5, WRITE | DENYOOM, 1, 1, 1));
        assert_eq!(info("lindex"), (3, READONLY, 1, 1, 1));
        assert_eq!(info("lpop"), (-2, WRITE | FAST, 1, 1, 1));
        assert_eq!(info("lpos"), (-3, READONLY, 1, 1, 1));
        assert_eq!(info("lmove"), (5, WRITE | DENYOOM, 1, 2, 1));
        assert_eq!(info("rpoplpush"), (3, WRITE | DENYOOM, 1, 2, 1));
        assert_eq!(info("lmpop"), (-4, WRITE | MOVABLEKEYS, 0, 0, 0));
        assert_eq!(info("blpop"), (-3, WRITE | NOSCRIPT | BLOCKING, 1, -2, 1));
        assert_eq!(
            info("blmove"),
            (6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, 1, 2, 1)
        );
        assert_eq!(
            info("blmpop"),
            (-5, WRITE | BLOCKING | MOVABLEKEYS, 0, 0, 0)
        );
        assert_eq!(t.len(), 22);
    }

    #[test]
    fn push_then_range() {
        let mut s = Session::new();
        assert_eq!(s.run("RPUSH l a b c"), int(3));
        assert_eq!(s.run("LPUSH l x y"), int(5));
        assert_eq!(s.run("LRANGE l 0 -1"), bulks(&["y", "x", "a", "b", "c"]));
        assert_eq!(s.run("LRANGE l -2 100"), bulks(&["b", "c"]));
        assert_eq!(s.run("LRANGE l 3 1"), bulks(&[]));
        assert_eq!(s.run("LRANGE nope 0 -1"), bulks(&[]));
        assert_eq!(s.run("LLEN l"), int(5));
        assert_eq!(s.ks.stats.dirty, 5);
    }

    #[test]
    fn pushx_needs_an_existing_list() {
        let mut s = Session::new();
        assert_eq!(s.run("LPUSHX l a"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("EXISTS l"), int(0));
        s.run("RPUSH l a");
        assert_eq!(s.run("RPUSHX l b c"), int(3));
        assert_eq!(s.run("LPUSHX l z"), int(4));
        assert_eq!(s.run("LRANGE l 0 -1"), bulks(&["z", "a", "b", "c"]));
    }

    #[test]
    fn pops_with_and_without_count() {
        let mut s = Session::new();
        s.run("RPUSH l a b c d");
        assert_eq!(s.run("LPOP l"), bulk("a"));
        assert_eq!(s.run("RPOP l 2"), bulks(&["d", "c"]));
        assert_eq!(s.run("LPOP l 0"), bulks(&[]));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("LPOP l 5"), bulks(&["b"]));
        assert_eq!(s.run("EXISTS l"), int(0));
        assert_eq!(s.run("LPOP l"), Reply::Nil);
        assert_eq!(s.run("LPOP l 1"), Reply::NilArray);
        assert_eq!(s.run("LPOP l 0"), Reply::NilArray);
    }

    #[test]
    fn pop_counts_are_checked_before_the_key() {
        let mut s = Session::new();
        s.set("str", "v");
        let positive = "ERR value is out of range, must be positive";
        assert_eq!(s.run("LPOP str -1"), err(positive));
        assert_eq!(s.run("LPOP str x"), err(positive));
        assert_eq!(s.run("LPOP str 0"), err(WRONGTYPE));
        assert_eq!(s.run("RPOP str"), err(WRONGTYPE));
        assert_eq!(
            s.run("LPOP str 1 2"),
            err("ERR wrong number of arguments for 'lpop' command")
        );
    }

    #[test]
    fn lindex_and_lset() {
        let mut s = Session::new();
        s.run("RPUSH l a b c");
        assert_eq!(s.run("LINDEX l 1"), bulk("b"));
        assert_eq!(s.run("LINDEX l -1"), bulk("c"));
        assert_eq!(s.run("LINDEX l 3"), Reply::Nil);
        assert_eq!(s.run("LINDEX nope x"), Reply::Nil);
        assert_eq!(
            s.run("LINDEX l x"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(s.run("LSET l -3 A"), ok());
        assert_eq!(s.run("LINDEX l 0"), bulk("A"));
        assert_eq!(s.run("LSET l 3 x"), err("ERR index out of range"));
        assert_eq!(s.run("LSET nope x x"), err("ERR no such key"));
        s.set("str", "v");
        assert_eq!(s.run("LSET str x x"), err(WRONGTYPE));
        assert_eq!(s.run("LINDEX str x"), err(WRONGTYPE));
    }

    #[test]
    fn linsert_reports_length_or_why_not() {
        let mut s = Session::new();
        s.run("RPUSH l a c");
        assert_eq!(s.run("LINSERT l BEFORE c b"), int(3));
        assert_eq!(s.run("LINSERT l after c d"), int(4));
        assert_eq!(s.run("LINSERT l after zz d"), int(-1));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("LINSERT nope after a b"), int(0));
        assert_eq!(s.run("LINSERT nope middle a b"), err("ERR syntax error"));
        assert_eq!(s.run("LRANGE l 0 -1"), bulks(&["a", "b", "c", "d"]));
    }

    #[test]
    fn lrem_and_ltrim_delete_emptied_keys() {
        let mut s = Session::new();
        s.run("RPUSH l x a x b x");
        assert_eq!(s.run("LREM l -2 x"), int(2));
        assert_eq!(s.run("LRANGE l 0 -1"), bulks(&["x", "a", "b"]));
        assert_eq!(s.run("LREM l 0 zz"), int(0));
        assert_eq!(s.run("LTRIM l 1 -1"), ok());
        assert_eq!(s.run("LRANGE l 0 -1"), bulks(&["a", "b"]));
        assert_eq!(s.run("LTRIM l 5 10"), ok());
        assert_eq!(s.run("EXISTS l"), int(0));
        assert_eq!(s.run("LTRIM l 0 1"), ok());
        s.run("RPUSH m y y");
        assert_eq!(s.run("LREM m 0 y"), int(2));
        assert_eq!(s.run("EXISTS m"), int(0));
    }

    #[test]
    fn lpos_options_and_errors() {
        let mut s = Session::new();
        s.run("RPUSH l a b c 1 2 3 c c");
        assert_eq!(s.run("LPOS l c"), int(2));
        assert_eq!(s.run("LPOS l c RANK 2"), int(6));
        assert_eq!(s.run("LPOS l c RANK -1"), int(7));
        assert_eq!(s.run("LPOS l c COUNT 0"), ints(&[2, 6, 7]));
        assert_eq!(s.run("LPOS l c RANK -1 COUNT 2"), ints(&[7, 6]));
        assert_eq!(s.run("LPOS l c COUNT 0 MAXLEN 3"), ints(&[2]));
        assert_eq!(s.run("LPOS l zz"), Reply::Nil);
        assert_eq!(s.run("LPOS l zz COUNT 1"), ints(&[]));
        assert_eq!(s.run("LPOS nope a COUNT 1"), ints(&[]));
        assert_eq!(s.run("LPOS nope a"), Reply::Nil);
        assert_eq!(
            s.run("LPOS l c RANK 0"),
            err(&errors::rank_zero().message())
        );
        assert_eq!(
            s.run("LPOS l c COUNT -1"),
            err("ERR COUNT can't be negative")
        );
        assert_eq!(
            s.run("LPOS l c COUNT x"),
            err("ERR COUNT can't be negative")
        );
        assert_eq!(
            s.run("LPOS l c MAXLEN -1"),
            err("ERR MAXLEN can't be negative")
        );
        assert_eq!(s.run("LPOS l c RANK"), err("ERR syntax error"));
        assert_eq!(s.run("LPOS l c FOO 1"), err("ERR syntax error"));
    }

    #[test]
    fn a_string_key_is_wrongtype_for_every_list_command() {
        let mut s = Session::new();
        s.set("k", "v");
        for line in [
            "LPUSH k a",
            "RPUSHX k a",
            "LLEN k",
            "LRANGE k 0 -1",
            "LTRIM k 0 1",
            "LREM k 0 a",
            "LINSERT k before a b",
            "LPOS k a",
            "LMOVE k d left left",
            "RPOPLPUSH k d",
        ] {
            assert_eq!(s.run(line), err(WRONGTYPE), "{line}");
        }
        assert_eq!(s.run("GET k"), bulk("v"));
    }

    fn encoding(s: &Session, key: &str) -> &'static str {
        let e = s.ks.dbs[s.db]
            .peek(key.as_bytes(), s.now)
            .expect("key exists");
        match &e.value {
            Value::List(l) if l.node_count() == 1 => "listpack",
            Value::List(_) => "quicklist",
            _ => panic!("not a list"),
        }
    }

    #[test]
    fn the_encoding_follows_the_configured_size() {
        let mut s = Session::new();
        s.run("RPUSH l a b c");
        assert_eq!(encoding(&s, "l"), "listpack");
        let big = "x".repeat(9000);
        s.run(&format!("RPUSH l {big}"));
        assert_eq!(encoding(&s, "l"), "quicklist");
        assert_eq!(s.run("LINDEX l -1"), bulk(&big));
    }
}

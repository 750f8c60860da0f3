//! The stream family's command table, the helpers its files share, and the plain entry
//! commands: XLEN, XRANGE, XREVRANGE, XDEL.
//!
//! The other commands live next door, one idea per file: `streams_add` (XADD, XTRIM, XSETID),
//! `streams_read` (XREAD, XREADGROUP), `streams_groups` (XGROUP, XACK), `streams_claim`
//! (XPENDING, XCLAIM, XAUTOCLAIM) and `streams_info` (XINFO).
//!
//! Runs on: the executor owning the key. XREAD and XREADGROUP route themselves, since their
//! keys follow a STREAMS keyword. Must not: await, or reach another shard. Unlike the other
//! aggregates, a stream is kept when it becomes empty.

use std::borrow::Cow;

use bytes::Bytes;

use super::args::parse_i64;
use super::ctx::ShardCtx;
use super::streams_add::{xadd, xsetid, xtrim};
use super::streams_claim::{xautoclaim, xclaim, xpending};
use super::streams_groups::{
    xack, xgroup_create, xgroup_createconsumer, xgroup_delconsumer, xgroup_destroy, xgroup_help,
    xgroup_setid,
};
use super::streams_info::{xinfo_consumers, xinfo_groups, xinfo_help, xinfo_stream};
use super::streams_read::{xread, xreadgroup};
use super::table::flags::{BLOCKING, DENYOOM, FAST, LOADING, MOVABLEKEYS, READONLY, STALE, WRITE};
use super::table::{sub, CmdResult, CommandTable, Handler, KeySpec};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::storage::stream::{parse_id, EntryRef, StreamId};
use crate::storage::value::Value;

/// Registers the stream family. Arity, flags and key positions are those `COMMAND INFO` shows
/// on Redis 7.0.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    use Handler::{Async, Shard};
    const ONE: KeySpec = KeySpec::range(1, 1, 1);
    const SUB: KeySpec = KeySpec::range(2, 2, 1);
    const NONE: KeySpec = KeySpec::NONE;

    //     name              arity  flags                              keys  handler
    t.add("xadd",              -5,  WRITE | DENYOOM | FAST,            ONE,  Shard(xadd));
    t.add("xlen",               2,  READONLY | FAST,                   ONE,  Shard(xlen));
    t.add("xrange",            -4,  READONLY,                          ONE,  Shard(xrange));
    t.add("xrevrange",         -4,  READONLY,                          ONE,  Shard(xrevrange));
    t.add("xdel",              -3,  WRITE | FAST,                      ONE,  Shard(xdel));
    t.add("xtrim",             -4,  WRITE,                             ONE,  Shard(xtrim));
    t.add("xsetid",            -3,  WRITE | DENYOOM | FAST,            ONE,  Shard(xsetid));
    t.add("xread",             -4,  READONLY | BLOCKING | MOVABLEKEYS, NONE, Async(xread));
    t.add("xreadgroup",        -7,  WRITE | BLOCKING | MOVABLEKEYS,    NONE, Async(xreadgroup));
    t.add("xack",              -4,  WRITE | FAST,                      ONE,  Shard(xack));
    t.add("xpending",          -3,  READONLY,                          ONE,  Shard(xpending));
    t.add("xclaim",            -6,  WRITE | FAST,                      ONE,  Shard(xclaim));
    t.add("xautoclaim",        -6,  WRITE | FAST,                      ONE,  Shard(xautoclaim));
    t.add("xgroup",            -2,  0,                                 NONE, Shard(xgroup));
    t.add("xinfo",             -2,  0,                                 NONE, Shard(xinfo));
    for s in [
        sub("xgroup|create",         -5,  WRITE | DENYOOM,     SUB,  Shard(xgroup_create)),
        sub("xgroup|setid",          -5,  WRITE,               SUB,  Shard(xgroup_setid)),
        sub("xgroup|destroy",         4,  WRITE,               SUB,  Shard(xgroup_destroy)),
        sub("xgroup|createconsumer",  5,  WRITE | DENYOOM,     SUB,  Shard(xgroup_createconsumer)),
        sub("xgroup|delconsumer",     5,  WRITE,               SUB,  Shard(xgroup_delconsumer)),
        sub("xgroup|help",            2,  LOADING | STALE,     NONE, Shard(xgroup_help)),
    ] {
        t.add_sub("xgroup", s);
    }
    for s in [
        sub("xinfo|stream",          -3,  READONLY,            SUB,  Shard(xinfo_stream)),
        sub("xinfo|groups",           3,  READONLY,            SUB,  Shard(xinfo_groups)),
        sub("xinfo|consumers",        4,  READONLY,            SUB,  Shard(xinfo_consumers)),
        sub("xinfo|help",             2,  LOADING | STALE,     NONE, Shard(xinfo_help)),
    ] {
        t.add_sub("xinfo", s);
    }
}

/// Only reached for a subcommand the table does not hold, which the dispatcher answers first.
fn xgroup(_cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    Err(CmdError::UnknownSubcommand(args[1].clone(), "XGROUP"))
}

/// Only reached for a subcommand the table does not hold, which the dispatcher answers first.
fn xinfo(_cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    Err(CmdError::UnknownSubcommand(args[1].clone(), "XINFO"))
}

/// The family's error texts, as Redis 7.0 words them. Texts that name a key or a group are
/// built by the functions below.
pub(super) mod errors {
    pub const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";
    pub const INVALID_START: &str = "ERR invalid start ID for the interval";
    pub const INVALID_END: &str = "ERR invalid end ID for the interval";
    pub const ID_NOT_GREATER: &str =
        "ERR The ID specified in XADD is equal or smaller than the target stream top item";
    pub const ID_ZERO: &str = "ERR The ID specified in XADD must be greater than 0-0";
    pub const TOO_LARGE: &str = "ERR Elements are too large to be stored";
    pub const EXHAUSTED: &str =
        "ERR The stream has exhausted the last possible ID, unable to add more items";
    pub const MAXLEN_AND_MINID: &str =
        "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
    pub const MAXLEN_NEGATIVE: &str = "ERR The MAXLEN argument must be >= 0.";
    pub const LIMIT_NEGATIVE: &str = "ERR The LIMIT argument must be >= 0.";
    pub const LIMIT_WITHOUT_STRATEGY: &str =
        "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy";
    pub const XTRIM_WITHOUT_STRATEGY: &str =
        "ERR syntax error, XTRIM must be called with a trimming strategy";
    pub const LIMIT_WITHOUT_TILDE: &str =
        "ERR syntax error, LIMIT cannot be used without the special ~ option";
    pub const ENTRIES_ADDED_NEGATIVE: &str = "ERR entries_added must be positive";
    pub const SETID_BELOW_MAX_DELETED: &str =
        "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id";
    pub const SETID_BELOW_TOP: &str =
        "ERR The ID specified in XSETID is smaller than the target stream top item";
    pub const SETID_ADDED_BELOW_LENGTH: &str =
        "ERR The entries_added specified in XSETID is smaller than the target stream length";
    pub const ENTRIES_READ_NEGATIVE: &str = "ERR value for ENTRIESREAD must be positive or -1";
    pub const XGROUP_NO_KEY: &str = "ERR The XGROUP subcommand requires the key to exist. Note \
        that for CREATE you may want to use the MKSTREAM option to create an empty stream \
        automatically.";
    pub const BUSYGROUP: &str = "BUSYGROUP Consumer Group name already exists";
    pub const TIMEOUT_NOT_INTEGER: &str = "ERR timeout is not an integer or out of range";
    pub const TIMEOUT_NEGATIVE: &str = "ERR timeout is negative";
    pub const UNBALANCED: &str = "ERR Unbalanced XREAD list of streams: for each stream key an \
        ID or '$' must be specified.";
    pub const GROUP_IN_XREAD: &str =
        "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.";
    pub const NOACK_IN_XREAD: &str =
        "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.";
    pub const MISSING_GROUP: &str = "ERR Missing GROUP option for XREADGROUP";
    pub const DOLLAR_IN_XREADGROUP: &str = "ERR The $ ID is meaningless in the context of \
        XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or \
        use the > ID to get new messages. The $ ID would just return an empty result set.";
    pub const GT_IN_XREAD: &str = "ERR The > ID can be specified only when calling XREADGROUP \
        using the GROUP <group> <consumer> option.";
    pub const XCLAIM_MIN_IDLE: &str = "ERR Invalid min-idle-time argument for XCLAIM";
    pub const XCLAIM_IDLE: &str = "ERR Invalid IDLE option argument for XCLAIM";
    pub const XCLAIM_TIME: &str = "ERR Invalid TIME option argument for XCLAIM";
    pub const XCLAIM_RETRYCOUNT: &str = "ERR Invalid RETRYCOUNT option argument for XCLAIM";
    pub const XAUTOCLAIM_MIN_IDLE: &str = "ERR Invalid min-idle-time argument for XAUTOCLAIM";
    pub const XAUTOCLAIM_COUNT: &str = "ERR COUNT must be > 0";
    pub const XAUTOCLAIM_MEMORY: &str =
        "ERR Insufficient memory, failed allocating transient memory, COUNT too high.";
}

/// Text for an error reply, with CR and LF turned into spaces as Redis does to keep one error
/// on one line.
fn one_line(s: String) -> Cow<'static, str> {
    Cow::Owned(s.replace(['\r', '\n'], " "))
}

/// `NOGROUP No such key '<key>' or consumer group '<group>'<suffix>`: XPENDING, XCLAIM and
/// XAUTOCLAIM (no suffix) and XREADGROUP (` in XREADGROUP with GROUP option`).
pub(super) fn no_key_or_group(key: &[u8], group: &[u8], suffix: &str) -> CmdError {
    CmdError::Custom(one_line(format!(
        "NOGROUP No such key '{}' or consumer group '{}'{suffix}",
        c_text(key),
        c_text(group)
    )))
}

/// `NOGROUP No such consumer group '<group>' for key name '<key>'`: XGROUP and XINFO.
pub(super) fn no_group(key: &[u8], group: &[u8]) -> CmdError {
    CmdError::Custom(one_line(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        c_text(group),
        c_text(key)
    )))
}

/// An argument as Redis's `%s` prints it: up to its first NUL byte.
pub(super) fn c_text(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// True when `arg`, read as a C string, equals `word` ignoring ASCII case (Redis compares
/// options with `strcasecmp`).
pub(super) fn is_word(arg: &[u8], word: &str) -> bool {
    crate::storage::stream::until_nul(arg).eq_ignore_ascii_case(word.as_bytes())
}

/// An ID argument where `-` and `+` are not IDs (Redis's `streamParseStrictIDOrReply`).
pub(super) fn strict_id(arg: &[u8]) -> Result<StreamId, CmdError> {
    parse_id(arg, 0, true).ok_or(CmdError::custom(errors::INVALID_ID))
}

/// An ID argument where `-` and `+` stand for the smallest and largest IDs.
pub(super) fn any_id(arg: &[u8]) -> Result<StreamId, CmdError> {
    parse_id(arg, 0, false).ok_or(CmdError::custom(errors::INVALID_ID))
}

/// The start of an ID interval: `(id` is exclusive. A bare `<ms>` starts at sequence 0.
pub(super) fn interval_start(arg: &[u8]) -> Result<StreamId, CmdError> {
    let (id, exclusive) = interval_id(arg, 0)?;
    if !exclusive {
        return Ok(id);
    }
    id.next().ok_or(CmdError::custom(errors::INVALID_START))
}

/// The end of an ID interval: `(id` is exclusive. A bare `<ms>` ends at the last sequence.
pub(super) fn interval_end(arg: &[u8]) -> Result<StreamId, CmdError> {
    let (id, exclusive) = interval_id(arg, u64::MAX)?;
    if !exclusive {
        return Ok(id);
    }
    id.prev().ok_or(CmdError::custom(errors::INVALID_END))
}

/// An interval bound and whether it is exclusive (Redis's `streamParseIntervalIDOrReply`).
fn interval_id(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), CmdError> {
    let id = if arg.len() > 1 && arg[0] == b'(' {
        parse_id(&arg[1..], missing_seq, true).map(|id| (id, true))
    } else {
        parse_id(arg, missing_seq, false).map(|id| (id, false))
    };
    id.ok_or(CmdError::custom(errors::INVALID_ID))
}

/// An ID as a reply.
pub(super) fn id_reply(id: StreamId) -> Reply {
    Reply::Bulk(id.to_bytes())
}

/// One entry as a reply: `[id, [field, value, ...]]`.
pub(super) fn entry_reply(e: EntryRef<'_>) -> Reply {
    let mut fields = Vec::with_capacity(e.pair_count() * 2);
    for (f, v) in e.pairs() {
        fields.push(Reply::bulk_copy(f));
        fields.push(Reply::bulk_copy(v));
    }
    Reply::Array(vec![id_reply(e.id), Reply::Array(fields)])
}

/// The entries of `it` as a reply array.
pub(super) fn entries_reply<'a>(it: impl Iterator<Item = EntryRef<'a>>) -> Reply {
    Reply::Array(it.map(entry_reply).collect())
}

/// An argument that must be an integer, or `msg` as the error.
pub(super) fn int_or(arg: &[u8], msg: &'static str) -> Result<i64, CmdError> {
    parse_i64(arg).ok_or(CmdError::custom(msg))
}

// ---------------------------------------------------------------------------------------------
// XLEN, XRANGE, XREVRANGE, XDEL

/// XLEN key
///
/// The number of entries; 0 for a missing key.
fn xlen(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    Ok(Reply::Int(
        cx.read_typed(&args[1], Value::as_stream_mut)?
            .map_or(0, |s| s.len() as i64),
    ))
}

/// XRANGE key start end [COUNT count]
fn xrange(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    range_generic(cx, args, false)
}

/// XREVRANGE key end start [COUNT count]
fn xrevrange(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    range_generic(cx, args, true)
}

/// Serves XRANGE and XREVRANGE. `-` and `+` are the smallest and largest IDs; a bare `<ms>`
/// starts at its sequence 0 and ends at its last sequence; `(` makes a bound exclusive. The
/// bounds are parsed first (the start first, which is the last argument of XREVRANGE), then
/// COUNT, then the key is looked up. A COUNT of 0 or below answers a null array.
fn range_generic(cx: &mut ShardCtx<'_>, args: &[Bytes], rev: bool) -> CmdResult {
    let (start_arg, end_arg) = if rev {
        (&args[3], &args[2])
    } else {
        (&args[2], &args[3])
    };
    let start = interval_start(start_arg)?;
    let end = interval_end(end_arg)?;
    let mut count: Option<usize> = None;
    let mut j = 4;
    while j < args.len() {
        if is_word(&args[j], "COUNT") && j + 1 < args.len() {
            let n = parse_i64(&args[j + 1]).ok_or(CmdError::NotInteger)?;
            count = Some(n.max(0) as usize);
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let Some(s) = cx.read_typed(&args[1], Value::as_stream_mut)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let limit = match count {
        Some(0) => return Ok(Reply::NilArray),
        Some(n) => n,
        None => usize::MAX,
    };
    Ok(if rev {
        entries_reply(s.rev_range(start, end).take(limit))
    } else {
        entries_reply(s.range(start, end).take(limit))
    })
}

/// XDEL key id [id ...]
///
/// Deletes the entries and answers how many existed. A missing key answers 0 before the IDs
/// are read, as in Redis; otherwise every ID is checked before anything is deleted.
fn xdel(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let Some(s) = cx.write_typed(&args[1], Value::as_stream_mut)? else {
        cx.out.suppress();
        return Ok(Reply::Int(0));
    };
    let ids = args[2..]
        .iter()
        .map(|a| strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let deleted = ids.into_iter().filter(|&id| s.delete(id)).count() as u64;
    if deleted == 0 {
        cx.out.suppress();
    }
    cx.dirty(deleted);
    Ok(Reply::Int(deleted as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::session::{declared, err, int, Session};

    #[test]
    fn the_table_matches_redis_command_info() {
        assert_eq!(
            declared(register, "xadd"),
            (-5, WRITE | DENYOOM | FAST, 1, 1, 1)
        );
        assert_eq!(
            declared(register, "xread"),
            (-4, READONLY | BLOCKING | MOVABLEKEYS, 0, 0, 0)
        );
        assert_eq!(
            declared(register, "xreadgroup"),
            (-7, WRITE | BLOCKING | MOVABLEKEYS, 0, 0, 0)
        );
        assert_eq!(declared(register, "xtrim"), (-4, WRITE, 1, 1, 1));
    }

    #[test]
    fn interval_bounds_parse_like_redis() {
        assert_eq!(interval_start(b"5").unwrap(), StreamId::new(5, 0));
        assert_eq!(interval_end(b"5").unwrap(), StreamId::new(5, u64::MAX));
        assert_eq!(interval_start(b"(5-1").unwrap(), StreamId::new(5, 2));
        assert_eq!(interval_end(b"(5-0").unwrap(), StreamId::new(4, u64::MAX));
        assert_eq!(
            interval_end(b"(0-0").unwrap_err(),
            CmdError::custom(errors::INVALID_END)
        );
        assert_eq!(
            interval_start(b"(+").unwrap_err(),
            CmdError::custom(errors::INVALID_ID)
        );
        assert_eq!(interval_start(b"-").unwrap(), StreamId::MIN);
        assert_eq!(
            interval_start(b"(").unwrap_err(),
            CmdError::custom(errors::INVALID_ID)
        );
    }

    #[test]
    fn xdel_and_xlen_on_a_session() {
        let mut s = Session::new();
        assert_eq!(s.run("XDEL s bad"), int(0));
        s.run("XADD s 1-1 f v");
        s.run("XADD s 2-1 f v");
        assert_eq!(
            s.run("XDEL s 1-1 bad"),
            err("ERR Invalid stream ID specified as stream command argument")
        );
        assert_eq!(s.run("XLEN s"), int(2));
        assert_eq!(s.run("XDEL s 1-1 1-1 3-0"), int(1));
        assert_eq!(s.run("XLEN s"), int(1));
        assert_eq!(s.run("XRANGE s - + COUNT 0"), Reply::NilArray);
        s.set("str", "x");
        assert_eq!(
            s.run("XLEN str"),
            err("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
    }
}

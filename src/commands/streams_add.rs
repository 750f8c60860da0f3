//! Writing entries and trimming: XADD, XTRIM, and XSETID, which sets a stream's counters.
//!
//! Owns: the MAXLEN / MINID / LIMIT options XADD and XTRIM share, and how each command is
//! rewritten for replicas: an auto-generated ID is sent as the ID it became, and an
//! approximate trim as the exact trim it turned out to be (`= <length>` or `= <first id>`),
//! so that a replica ends with the same entries.
//!
//! Runs on: the executor owning the key. Must not: await, or reach another shard.

use bytes::Bytes;

use super::args::parse_i64;
use super::ctx::ShardCtx;
use super::streams::{errors, is_word, strict_id};
use super::table::CmdResult;
use crate::config::live::{threshold, Threshold};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::storage::db::Entry;
use crate::storage::stream::{
    parse_xadd_id, until_nul, AppendError, NewId, NodeLimits, SeqPart, StreamId, StreamValue, Trim,
    TrimTo,
};
use crate::storage::value::Value;

/// XADD's ID argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdArg {
    /// `*`.
    Auto,
    /// `<ms>-*`.
    AutoSeq(u64),
    /// An explicit ID.
    Exact(StreamId),
}

/// The options XADD and XTRIM share, plus XADD's own.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AddTrimArgs {
    /// The trimming asked for, if any.
    trim: Option<Trim>,
    /// Where the MAXLEN count or MINID ID is in argv (the `~` or `=` is just before it when
    /// given), for the rewrite sent to replicas.
    trim_arg: usize,
    /// XADD NOMKSTREAM.
    no_mkstream: bool,
    /// XADD's ID and its position in argv.
    id: IdArg,
    id_pos: usize,
}

impl AddTrimArgs {
    /// Parses the options from argv[2] on, as Redis's `streamParseAddOrTrimArgsOrReply` does:
    /// for XADD, until the ID (`*` or the first argument that is not an option); for XTRIM,
    /// to the end. The default LIMIT of an approximate trim is 100 nodes' worth of entries.
    fn parse(args: &[Bytes], xadd: bool) -> Result<AddTrimArgs, CmdError> {
        let mut out = AddTrimArgs {
            trim: None,
            trim_arg: 0,
            no_mkstream: false,
            id: IdArg::Auto,
            id_pos: args.len(),
        };
        let mut limit: Option<i64> = None;
        let mut i = 2;
        while i < args.len() {
            let more = args.len() - 1 - i;
            let opt = &args[i];
            if xadd && until_nul(opt) == b"*" {
                out.id_pos = i;
                break;
            } else if (is_word(opt, "MAXLEN") || is_word(opt, "MINID")) && more > 0 {
                if out.trim.is_some() {
                    return Err(CmdError::custom(errors::MAXLEN_AND_MINID));
                }
                let mut approx = false;
                let next = until_nul(&args[i + 1]);
                if more >= 2 && next == b"~" {
                    approx = true;
                    i += 1;
                } else if more >= 2 && next == b"=" {
                    i += 1;
                }
                let value = &args[i + 1];
                let to = if is_word(opt, "MAXLEN") {
                    let n = parse_i64(value).ok_or(CmdError::NotInteger)?;
                    if n < 0 {
                        return Err(CmdError::custom(errors::MAXLEN_NEGATIVE));
                    }
                    TrimTo::MaxLen(n as u64)
                } else {
                    TrimTo::MinId(strict_id(value)?)
                };
                i += 1;
                out.trim = Some(Trim {
                    to,
                    approx,
                    limit: 0,
                });
                out.trim_arg = i;
            } else if is_word(opt, "LIMIT") && more > 0 {
                let n = parse_i64(&args[i + 1]).ok_or(CmdError::NotInteger)?;
                if n < 0 {
                    return Err(CmdError::custom(errors::LIMIT_NEGATIVE));
                }
                limit = Some(n);
                i += 1;
            } else if xadd && is_word(opt, "NOMKSTREAM") {
                out.no_mkstream = true;
            } else if xadd {
                let (ms, seq) = parse_xadd_id(opt).ok_or(CmdError::custom(errors::INVALID_ID))?;
                out.id = match seq {
                    SeqPart::Given(seq) => IdArg::Exact(StreamId::new(ms, seq)),
                    SeqPart::Auto => IdArg::AutoSeq(ms),
                };
                out.id_pos = i;
                break;
            } else {
                return Err(CmdError::Syntax);
            }
            i += 1;
        }
        if limit.is_some_and(|l| l != 0) && out.trim.is_none() {
            return Err(CmdError::custom(errors::LIMIT_WITHOUT_STRATEGY));
        }
        let Some(trim) = &mut out.trim else {
            if !xadd {
                return Err(CmdError::custom(errors::XTRIM_WITHOUT_STRATEGY));
            }
            return Ok(out);
        };
        trim.limit = match limit {
            Some(_) if !trim.approx => {
                return Err(CmdError::custom(errors::LIMIT_WITHOUT_TILDE));
            }
            Some(l) => l as u64,
            None if trim.approx => {
                let per_node = threshold(Threshold::StreamNodeMaxEntries);
                let l = per_node.saturating_mul(100);
                if l <= 0 {
                    10_000
                } else {
                    l.min(1_000_000) as u64
                }
            }
            None => 0,
        };
        Ok(out)
    }
}

/// Records, for replicas, the exact trim an approximate one turned out to be: `~` becomes `=`
/// and the count or ID becomes the stream's length or first ID (tombstones included).
fn rewrite_trim(argv: &mut [Bytes], a: &AddTrimArgs, s: &StreamValue) {
    let Some(t) = a.trim.filter(|t| t.approx) else {
        return;
    };
    argv[a.trim_arg - 1] = Bytes::from_static(b"=");
    argv[a.trim_arg] = match t.to {
        TrimTo::MaxLen(_) => Bytes::from(s.len().to_string()),
        TrimTo::MinId(_) => s.first_slot_id().to_bytes(),
    };
}

/// XADD key [NOMKSTREAM] [MAXLEN | MINID [= | ~] threshold [LIMIT count]] * | id field value
/// [field value ...]
///
/// Adds an entry and answers its ID, creating the stream unless NOMKSTREAM is given (a
/// missing key then answers nil). Errors, in Redis's order: the options and the ID, the
/// field-value count (as a wrong number of arguments), an explicit 0-0, the key's type, an
/// exhausted stream, and an ID not above the last one. Then the trim options apply.
/// Propagates the concrete ID, and an approximate trim as the exact one it did.
pub(super) fn xadd(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let a = AddTrimArgs::parse(args, true)?;
    let field_pos = a.id_pos + 1;
    if field_pos > args.len() || args.len() - field_pos < 2 || (args.len() - field_pos) % 2 == 1 {
        return Err(CmdError::WrongArity("xadd".into()));
    }
    if a.id == IdArg::Exact(StreamId::MIN) {
        return Err(CmdError::custom(errors::ID_ZERO));
    }
    let key = &args[1];
    if cx.write_typed(key, Value::as_stream_mut)?.is_none() {
        if a.no_mkstream {
            cx.out.suppress();
            return Ok(Reply::Nil);
        }
        let empty = Value::Stream(Box::default());
        cx.db().insert(key.clone(), Entry::new(empty));
    }
    let now = cx.now;
    let s = cx
        .write_typed(key, Value::as_stream_mut)?
        .expect("the stream exists");
    if s.last_id() == StreamId::MAX {
        return Err(CmdError::custom(errors::EXHAUSTED));
    }
    let new = match a.id {
        IdArg::Auto => NewId::Auto(now),
        IdArg::AutoSeq(ms) => NewId::AutoSeq(ms),
        IdArg::Exact(id) => NewId::Exact(id),
    };
    let id = s
        .append(new, &args[field_pos..], NodeLimits::live())
        .map_err(|e| match e {
            AppendError::NotGreater => CmdError::custom(errors::ID_NOT_GREATER),
            AppendError::TooLarge => CmdError::custom(errors::TOO_LARGE),
        })?;
    if let Some(t) = &a.trim {
        s.trim(t);
    }
    let generated = !matches!(a.id, IdArg::Exact(_));
    if generated || a.trim.is_some_and(|t| t.approx) {
        let mut argv = args.to_vec();
        rewrite_trim(&mut argv, &a, s);
        if generated {
            argv[a.id_pos] = id.to_bytes();
        }
        cx.out.replace(argv);
    }
    cx.dirty(1);
    Ok(Reply::Bulk(id.to_bytes()))
}

/// XTRIM key MAXLEN | MINID [= | ~] threshold [LIMIT count]
///
/// Trims the stream and answers how many entries it deleted; 0 for a missing key. The options
/// are checked before the key. Propagated only when it deleted something, an approximate trim
/// as the exact one it did.
pub(super) fn xtrim(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let a = AddTrimArgs::parse(args, false)?;
    let trim = a.trim.expect("XTRIM parsing requires a strategy");
    let Some(s) = cx.write_typed(&args[1], Value::as_stream_mut)? else {
        cx.out.suppress();
        return Ok(Reply::Int(0));
    };
    let deleted = s.trim(&trim);
    if deleted == 0 {
        cx.out.suppress();
        return Ok(Reply::Int(0));
    }
    if trim.approx {
        let mut argv = args.to_vec();
        rewrite_trim(&mut argv, &a, s);
        cx.out.replace(argv);
    }
    cx.dirty(deleted);
    Ok(Reply::Int(deleted as i64))
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
///
/// Sets the stream's last ID, and optionally its added-entries counter and greatest deleted
/// ID. The arguments are checked before the key; a missing key is an error. The last ID may
/// not go below the greatest live entry, nor the counter below the length.
pub(super) fn xsetid(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let id = strict_id(&args[2])?;
    let mut entries_added: Option<u64> = None;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < args.len() {
        let more = i + 1 < args.len();
        if is_word(&args[i], "ENTRIESADDED") && more {
            let n = parse_i64(&args[i + 1]).ok_or(CmdError::NotInteger)?;
            if n < 0 {
                return Err(CmdError::custom(errors::ENTRIES_ADDED_NEGATIVE));
            }
            entries_added = Some(n as u64);
        } else if is_word(&args[i], "MAXDELETEDID") && more {
            max_deleted = strict_id(&args[i + 1])?;
            if id < max_deleted {
                return Err(CmdError::custom(errors::SETID_BELOW_MAX_DELETED));
            }
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let s = cx
        .write_typed(&args[1], Value::as_stream_mut)?
        .ok_or(CmdError::NoSuchKey)?;
    if !s.is_empty() {
        if s.last_live().is_some_and(|top| id < top) {
            return Err(CmdError::custom(errors::SETID_BELOW_TOP));
        }
        if entries_added.is_some_and(|n| n < s.len()) {
            return Err(CmdError::custom(errors::SETID_ADDED_BELOW_LENGTH));
        }
    }
    let added = entries_added.unwrap_or(s.entries_added());
    let max_del = if max_deleted.is_zero() {
        s.max_deleted_entry_id()
    } else {
        max_deleted
    };
    s.set_meta(id, added, max_del);
    cx.dirty(1);
    Ok(Reply::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::propagation::Propagation;
    use crate::commands::session::{args, err, int, propagated, Session};

    fn parse(line: &str, xadd: bool) -> Result<AddTrimArgs, CmdError> {
        AddTrimArgs::parse(&args(line), xadd)
    }

    #[test]
    fn trim_options_parse_in_redis_order() {
        let a = parse("XADD s MAXLEN ~ 10 LIMIT 5 * f v", true).unwrap();
        assert_eq!(
            a.trim,
            Some(Trim {
                to: TrimTo::MaxLen(10),
                approx: true,
                limit: 5
            })
        );
        assert_eq!((a.trim_arg, a.id_pos, a.id), (4, 7, IdArg::Auto));
        let a = parse("XADD s NOMKSTREAM MINID = 5 7-*", true).unwrap();
        assert!(a.no_mkstream);
        assert_eq!(a.id, IdArg::AutoSeq(7));
        assert_eq!(a.trim.unwrap().to, TrimTo::MinId(StreamId::new(5, 0)));
        let e = |t: &str| CmdError::custom(t.to_owned());
        assert_eq!(
            parse("XADD s MAXLEN 1 MINID 1 * f v", true).unwrap_err(),
            e(errors::MAXLEN_AND_MINID)
        );
        assert_eq!(
            parse("XADD s LIMIT 5 * f v", true).unwrap_err(),
            e(errors::LIMIT_WITHOUT_STRATEGY)
        );
        assert_eq!(
            parse("XADD s MAXLEN 5 LIMIT 5 * f v", true).unwrap_err(),
            e(errors::LIMIT_WITHOUT_TILDE)
        );
        assert_eq!(
            parse("XADD s MAXLEN -1 * f v", true).unwrap_err(),
            e(errors::MAXLEN_NEGATIVE)
        );
        assert_eq!(
            parse("XTRIM s LIMIT 0", false).unwrap_err(),
            e(errors::XTRIM_WITHOUT_STRATEGY)
        );
        assert_eq!(parse("XTRIM s FOO", false).unwrap_err(), CmdError::Syntax);
        assert_eq!(
            parse("XTRIM s MAXLEN ~ 1", false)
                .unwrap()
                .trim
                .unwrap()
                .limit,
            10_000
        );
    }

    #[test]
    fn xadd_propagates_the_id_it_generated() {
        let mut s = Session::new();
        let reply = s.run("XADD s * f v");
        assert_eq!(reply, Reply::Bulk(Bytes::from(format!("{}-0", s.now.0))));
        assert_eq!(s.out, propagated(&format!("XADD s {}-0 f v", s.now.0)));
        s.run("XADD s 5-* f v");
        assert_eq!(
            s.run("XADD s 1-1 f v"),
            err("ERR The ID specified in XADD is equal or smaller than the target stream top item")
        );
        assert_eq!(s.run("XADD t NOMKSTREAM * f v"), Reply::Nil);
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(
            s.run("XADD t * f"),
            err("ERR wrong number of arguments for 'xadd' command")
        );
    }

    #[test]
    fn approximate_trims_propagate_as_exact_ones() {
        let mut s = Session::new();
        for i in 1..=250 {
            s.run(&format!("XADD s {i}-1 f v"));
        }
        assert_eq!(s.run("XTRIM s MAXLEN ~ 120"), int(100));
        assert_eq!(s.out, propagated("XTRIM s MAXLEN = 150"));
        assert_eq!(s.run("XTRIM s MINID ~ 240"), int(100));
        assert_eq!(s.out, propagated("XTRIM s MINID = 201-1"));
        assert_eq!(s.run("XTRIM s MAXLEN 60"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("XTRIM s MAXLEN 40"), int(10));
        assert_eq!(s.out, Propagation::AsIs);
    }

    #[test]
    fn xsetid_guards_the_stream_counters() {
        let mut s = Session::new();
        assert_eq!(s.run("XSETID s 1-1"), err("ERR no such key"));
        s.run("XADD s 5-1 f v");
        assert_eq!(
            s.run("XSETID s 5-0"),
            err("ERR The ID specified in XSETID is smaller than the target stream top item")
        );
        assert_eq!(
            s.run("XSETID s 9-0 ENTRIESADDED 0"),
            err("ERR The entries_added specified in XSETID is smaller than the target stream length")
        );
        assert_eq!(
            s.run("XSETID s 9-0 MAXDELETEDID 10-0"),
            err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
        );
        assert_eq!(
            s.run("XSETID s 9-0 ENTRIESADDED 7 MAXDELETEDID 2-0"),
            Reply::Ok
        );
        assert_eq!(s.run("XADD s 9-* f v"), Reply::Bulk(Bytes::from("9-1")));
    }
}

//! Managing consumer groups: the XGROUP subcommands (CREATE, SETID, DESTROY, CREATECONSUMER,
//! DELCONSUMER, HELP) and XACK.
//!
//! Owns: XGROUP's shared checks, in Redis's order: the CREATE/SETID options first, then the
//! key's type, then (unless MKSTREAM) that the key exists, then that the group exists for the
//! subcommands that need one.
//!
//! Runs on: the executor owning the key (argument 2 of XGROUP, 1 of XACK).

use bytes::Bytes;

use super::args::parse_i64;
use super::ctx::ShardCtx;
use super::help::help_reply;
use super::streams::{any_id, errors, is_word, no_group, strict_id};
use super::table::CmdResult;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::storage::db::Entry;
use crate::storage::stream::{until_nul, StreamId, StreamValue};
use crate::storage::value::Value;

/// What XGROUP read before its subcommand runs.
struct GroupCall {
    /// MKSTREAM was given (CREATE only).
    mkstream: bool,
    /// ENTRIESREAD, when given and not -1.
    entries_read: Option<i64>,
}

/// The checks every keyed XGROUP subcommand shares (Redis runs them before it even looks at
/// which subcommand it got): options from argv[5] on, the key's type, the key's existence
/// unless MKSTREAM, and the group's existence for `needs_group`. Returns the options and
/// whether the key exists.
fn prepare(
    cx: &mut ShardCtx<'_>,
    args: &[Bytes],
    needs_group: bool,
) -> Result<(GroupCall, bool), CmdError> {
    let create = is_word(&args[1], "CREATE");
    let setid = is_word(&args[1], "SETID");
    let mut call = GroupCall {
        mkstream: false,
        entries_read: None,
    };
    let mut i = 5;
    while i < args.len() {
        if create && is_word(&args[i], "MKSTREAM") {
            call.mkstream = true;
            i += 1;
        } else if (create || setid) && is_word(&args[i], "ENTRIESREAD") && i + 1 < args.len() {
            let n = parse_i64(&args[i + 1]).ok_or(CmdError::NotInteger)?;
            if n < -1 {
                return Err(CmdError::custom(errors::ENTRIES_READ_NEGATIVE));
            }
            call.entries_read = (n != -1).then_some(n);
            i += 2;
        } else {
            return Err(subcommand_syntax(args));
        }
    }
    let (key, group) = (&args[2], &args[3]);
    let exists = match cx.write_typed(key, Value::as_stream_mut)? {
        Some(s) => {
            if needs_group && s.group(group).is_none() && !call.mkstream {
                return Err(no_group(key, group));
            }
            true
        }
        None if call.mkstream => false,
        None => return Err(CmdError::custom(errors::XGROUP_NO_KEY)),
    };
    Ok((call, exists))
}

fn subcommand_syntax(args: &[Bytes]) -> CmdError {
    CmdError::SubcommandSyntax(args[1].clone(), "XGROUP")
}

/// The stream at `args[2]`, which [`prepare`] found.
fn stream<'c>(cx: &'c mut ShardCtx<'_>, args: &[Bytes]) -> &'c mut StreamValue {
    cx.write_typed(&args[2], Value::as_stream_mut)
        .ok()
        .flatten()
        .expect("checked by prepare")
}

/// XGROUP CREATE key group id | $ [MKSTREAM] [ENTRIESREAD entries-read]
///
/// Creates a group that has read up to `id` (`$`: the stream's last ID). MKSTREAM creates an
/// empty stream when the key is missing.
pub(super) fn xgroup_create(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let (call, exists) = prepare(cx, args, false)?;
    if args.len() > 8 {
        return Err(subcommand_syntax(args));
    }
    let id = if until_nul(&args[4]) == b"$" {
        if exists {
            stream(cx, args).last_id()
        } else {
            StreamId::MIN
        }
    } else {
        strict_id(&args[4])?
    };
    if !exists {
        let empty = Value::Stream(Box::default());
        cx.db().insert(args[2].clone(), Entry::new(empty));
    }
    if !stream(cx, args).create_group(&args[3], id, call.entries_read) {
        return Err(CmdError::custom(errors::BUSYGROUP));
    }
    cx.dirty(1);
    Ok(Reply::Ok)
}

/// XGROUP SETID key group id | $ [ENTRIESREAD entries-read]
///
/// Moves the group to `id` (here `-` and `+` are accepted) and sets its read counter (unknown
/// unless ENTRIESREAD gives it).
pub(super) fn xgroup_setid(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let (call, _) = prepare(cx, args, true)?;
    if args.len() != 5 && args.len() != 7 {
        return Err(subcommand_syntax(args));
    }
    let s = stream(cx, args);
    let id = if until_nul(&args[4]) == b"$" {
        s.last_id()
    } else {
        any_id(&args[4])?
    };
    let g = s.group_mut(&args[3]).expect("checked by prepare");
    g.last_id = id;
    g.entries_read = call.entries_read;
    cx.dirty(1);
    Ok(Reply::Ok)
}

/// XGROUP DESTROY key group
///
/// Deletes the group, its consumers and its pending entries; answers 1, or 0 when it did not
/// exist.
pub(super) fn xgroup_destroy(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    prepare(cx, args, false)?;
    if !stream(cx, args).destroy_group(&args[3]) {
        cx.out.suppress();
        return Ok(Reply::Int(0));
    }
    cx.dirty(1);
    Ok(Reply::Int(1))
}

/// XGROUP CREATECONSUMER key group consumer
///
/// Creates the consumer; answers 1, or 0 when it existed.
pub(super) fn xgroup_createconsumer(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    prepare(cx, args, true)?;
    let now = cx.now;
    let g = stream(cx, args)
        .group_mut(&args[3])
        .expect("checked by prepare");
    if !g.create_consumer(&args[4], now) {
        cx.out.suppress();
        return Ok(Reply::Int(0));
    }
    cx.dirty(1);
    Ok(Reply::Int(1))
}

/// XGROUP DELCONSUMER key group consumer
///
/// Deletes the consumer and its pending entries; answers how many were pending (0 when the
/// consumer did not exist).
pub(super) fn xgroup_delconsumer(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    prepare(cx, args, true)?;
    let g = stream(cx, args)
        .group_mut(&args[3])
        .expect("checked by prepare");
    let Some(pending) = g.delete_consumer(&args[4]) else {
        cx.out.suppress();
        return Ok(Reply::Int(0));
    };
    cx.dirty(1);
    Ok(Reply::Int(pending as i64))
}

/// XGROUP HELP
pub(super) fn xgroup_help(_cx: &mut ShardCtx<'_>, _args: &[Bytes]) -> CmdResult {
    Ok(help_reply(
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    ))
}

/// XACK key group id [id ...]
///
/// Removes the IDs from the group's pending entries and answers how many were pending. A
/// missing key or group answers 0 before the IDs are read; otherwise every ID is checked
/// before anything changes.
pub(super) fn xack(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let group = &args[2];
    let Some(g) = cx
        .read_typed(&args[1], Value::as_stream_mut)?
        .and_then(|s| s.group_mut(group))
    else {
        cx.out.suppress();
        return Ok(Reply::Int(0));
    };
    let ids = args[3..]
        .iter()
        .map(|a| strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let acked = ids.into_iter().filter(|&id| g.ack(id)).count() as u64;
    if acked == 0 {
        cx.out.suppress();
    }
    cx.dirty(acked);
    Ok(Reply::Int(acked as i64))
}

//! XINFO: what a stream, its groups and a group's consumers look like from inside.
//!
//! Owns: the XINFO subcommands (STREAM, with its FULL form; GROUPS; CONSUMERS; HELP) and their
//! maps, field for field as Redis 7.0 answers them (7.0 reports a consumer's `seen-time` and
//! `idle`, not the `active-time` and `inactive` of later versions).
//!
//! Runs on: the executor owning the key (argument 2).

use bytes::Bytes;

use super::args::parse_i64;
use super::ctx::ShardCtx;
use super::help::help_reply;
use super::streams::{entries_reply, entry_reply, id_reply, is_word, no_group};
use super::table::CmdResult;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::storage::clock::UnixMillis;
use crate::storage::stream::{ConsumerGroup, StreamId, StreamValue};
use crate::storage::value::Value;

/// A map key.
fn k(name: &'static str) -> Reply {
    Reply::Bulk(Bytes::from_static(name.as_bytes()))
}

/// The stream at `args[2]`: a missing key is an error here.
fn stream<'c>(cx: &'c mut ShardCtx<'_>, args: &[Bytes]) -> Result<&'c mut StreamValue, CmdError> {
    cx.read_typed(&args[2], Value::as_stream_mut)?
        .ok_or(CmdError::NoSuchKey)
}

/// XINFO STREAM key [FULL [COUNT count]]
///
/// The stream's counters and first and last entries; with FULL, up to COUNT entries (10 by
/// default, 0 for all) and every group with up to COUNT pending entries and its consumers. The
/// key is looked up before the options are read.
pub(super) fn xinfo_stream(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let s = stream(cx, args)?;
    let opts = &args[3..];
    let full = match opts.len() {
        0 => None,
        1 | 3 if is_word(&opts[0], "FULL") => {
            if opts.len() == 1 {
                Some(10)
            } else if is_word(&opts[1], "COUNT") {
                let n = parse_i64(&opts[2]).ok_or(CmdError::NotInteger)?;
                Some(if n < 0 { 10 } else { n as usize })
            } else {
                return Err(CmdError::SubcommandSyntax(args[1].clone(), "XINFO"));
            }
        }
        _ => return Err(CmdError::SubcommandSyntax(args[1].clone(), "XINFO")),
    };
    let mut m = vec![
        (k("length"), Reply::Int(s.len() as i64)),
        (k("radix-tree-keys"), Reply::Int(s.node_count() as i64)),
        (k("radix-tree-nodes"), Reply::Int(s.rax_node_count() as i64)),
        (k("last-generated-id"), id_reply(s.last_id())),
        (
            k("max-deleted-entry-id"),
            id_reply(s.max_deleted_entry_id()),
        ),
        (k("entries-added"), Reply::Int(s.entries_added() as i64)),
        (k("recorded-first-entry-id"), id_reply(s.first_id())),
    ];
    let Some(count) = full else {
        m.push((k("groups"), Reply::Int(s.groups().len() as i64)));
        let first = s.range(StreamId::MIN, StreamId::MAX).next();
        let last = s.rev_range(StreamId::MIN, StreamId::MAX).next();
        m.push((k("first-entry"), first.map_or(Reply::Nil, entry_reply)));
        m.push((k("last-entry"), last.map_or(Reply::Nil, entry_reply)));
        return Ok(Reply::Map(m));
    };
    let limit = if count == 0 { usize::MAX } else { count };
    m.push((
        k("entries"),
        entries_reply(s.range(StreamId::MIN, StreamId::MAX).take(limit)),
    ));
    let groups = s
        .groups()
        .iter()
        .map(|(name, g)| full_group(s, name, g, limit))
        .collect();
    m.push((k("groups"), Reply::Array(groups)));
    Ok(Reply::Map(m))
}

/// One group of XINFO STREAM FULL, with up to `limit` pending entries for it and for each of
/// its consumers.
fn full_group(s: &StreamValue, name: &Bytes, g: &ConsumerGroup, limit: usize) -> Reply {
    let pending = g
        .pel()
        .iter()
        .take(limit)
        .map(|(id, p)| {
            Reply::Array(vec![
                id_reply(*id),
                Reply::Bulk(p.consumer.clone()),
                Reply::Int(p.delivery_time.0 as i64),
                Reply::Int(p.delivery_count as i64),
            ])
        })
        .collect();
    let consumers = g
        .consumers()
        .iter()
        .map(|(cname, c)| {
            let pending = c
                .pending()
                .iter()
                .take(limit)
                .map(|id| {
                    let p = &g.pel()[id];
                    Reply::Array(vec![
                        id_reply(*id),
                        Reply::Int(p.delivery_time.0 as i64),
                        Reply::Int(p.delivery_count as i64),
                    ])
                })
                .collect();
            Reply::Map(vec![
                (k("name"), Reply::Bulk(cname.clone())),
                (k("seen-time"), Reply::Int(c.seen_time.0 as i64)),
                (k("pel-count"), Reply::Int(c.pending().len() as i64)),
                (k("pending"), Reply::Array(pending)),
            ])
        })
        .collect();
    Reply::Map(vec![
        (k("name"), Reply::Bulk(name.clone())),
        (k("last-delivered-id"), id_reply(g.last_id)),
        (k("entries-read"), opt_int(g.entries_read)),
        (k("lag"), opt_int(s.group_lag(g))),
        (k("pel-count"), Reply::Int(g.pel().len() as i64)),
        (k("pending"), Reply::Array(pending)),
        (k("consumers"), Reply::Array(consumers)),
    ])
}

/// An integer, or nil when unknown.
fn opt_int(n: Option<i64>) -> Reply {
    n.map_or(Reply::Nil, Reply::Int)
}

/// XINFO GROUPS key
///
/// Each group's name, consumer count, pending count, last delivered ID, read counter and lag.
pub(super) fn xinfo_groups(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let s = stream(cx, args)?;
    let groups = s
        .groups()
        .iter()
        .map(|(name, g)| {
            Reply::Map(vec![
                (k("name"), Reply::Bulk(name.clone())),
                (k("consumers"), Reply::Int(g.consumers().len() as i64)),
                (k("pending"), Reply::Int(g.pel().len() as i64)),
                (k("last-delivered-id"), id_reply(g.last_id)),
                (k("entries-read"), opt_int(g.entries_read)),
                (k("lag"), opt_int(s.group_lag(g))),
            ])
        })
        .collect();
    Ok(Reply::Array(groups))
}

/// XINFO CONSUMERS key group
///
/// Each consumer's name, pending count and milliseconds since it was last seen.
pub(super) fn xinfo_consumers(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let now: UnixMillis = cx.now;
    let s = stream(cx, args)?;
    let g = s
        .group(&args[3])
        .ok_or_else(|| no_group(&args[2], &args[3]))?;
    let consumers = g
        .consumers()
        .iter()
        .map(|(name, c)| {
            let idle = (now.0 as i64).wrapping_sub(c.seen_time.0 as i64).max(0);
            Reply::Map(vec![
                (k("name"), Reply::Bulk(name.clone())),
                (k("pending"), Reply::Int(c.pending().len() as i64)),
                (k("idle"), Reply::Int(idle)),
            ])
        })
        .collect();
    Ok(Reply::Array(consumers))
}

/// XINFO HELP
pub(super) fn xinfo_help(_cx: &mut ShardCtx<'_>, _args: &[Bytes]) -> CmdResult {
    Ok(help_reply(
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    ))
}

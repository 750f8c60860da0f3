//! The blocking list commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH and BLMPOP.
//!
//! Owns: how each of them tries one key and what it replies, on top of `blocking::block_on`.
//! A BLMOVE whose two keys share a shard moves the element in the serving step itself; one
//! whose keys live on two shards is served by popping the source and then pushing onto the
//! destination from the waiting client's executor.

use bytes::Bytes;
use futures_lite::future::BoxedLocal;
use std::sync::Arc;

use super::blocking::{block_on, parse_timeout, TryKey};
use super::ctx::AsyncCtx;
use super::keys::with_shard_ctx;
use super::lists::{delete_if_empty, fill, write_list};
use super::lists_move::{
    lmove_argv, move_across, move_generic, move_push_dest, mpop_keys, mpop_reply, parse_lmove,
    LmpopArgs,
};
use super::propagation::Propagation;
use super::table::CmdResult;
use crate::protocol::reply::Reply;
use crate::server::blocking::Served;
use crate::server::shards::{hop, owner_of};
use crate::storage::clock::UnixMillis;
use crate::storage::list::End;

/// LPOP or RPOP, for popping at `end`.
fn pop_verb(end: End) -> Bytes {
    Bytes::from_static(if end == End::Head { b"LPOP" } else { b"RPOP" })
}

/// LPUSH or RPUSH, for pushing at `end`.
fn push_verb(end: End) -> Bytes {
    Bytes::from_static(if end == End::Head { b"LPUSH" } else { b"RPUSH" })
}

fn served(reply: Reply) -> Served {
    Served {
        reply: Ok(reply),
        wrote: None,
        carry: None,
    }
}

/// BLPOP key [key ...] timeout
pub(super) fn blpop(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(bpop(cx, argv, End::Head))
}

/// BRPOP key [key ...] timeout
pub(super) fn brpop(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(bpop(cx, argv, End::Tail))
}

/// Pops one element from `end` of the first non-empty list among the keys and replies
/// `[key, element]`; a null array on timeout.
async fn bpop(cx: AsyncCtx, argv: Vec<Bytes>, end: End) -> CmdResult {
    let timeout = parse_timeout(&argv[argv.len() - 1])?;
    let keys = argv[1..argv.len() - 1].to_vec();
    let try_key: TryKey = Arc::new(move |cx, key| {
        let Some(list) = write_list(cx, key)? else {
            return Ok(None);
        };
        let item = list.pop(end, fill()).expect("stored lists are not empty");
        delete_if_empty(cx, key);
        cx.dirty(1);
        // Replicated as the pop it was, as Redis sends a served BLPOP.
        cx.out.replace(vec![pop_verb(end), key.clone()]);
        Ok(Some(served(Reply::Array(vec![
            Reply::Bulk(key.clone()),
            Reply::Bulk(item),
        ]))))
    });
    Ok(match block_on(&cx, keys, timeout, try_key).await? {
        Some(s) => s.reply?,
        None => Reply::NilArray,
    })
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub(super) fn blmpop(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        // The arguments after the timeout are LMPOP's, checked before the timeout.
        let req = LmpopArgs::parse(&argv[1..])?;
        let timeout = parse_timeout(&argv[1])?;
        let (end, count) = (req.end, req.count);
        let try_key: TryKey = Arc::new(move |cx, key| {
            Ok(mpop_keys(cx, std::slice::from_ref(key), end, count)?
                .map(|popped| served(mpop_reply(Some(popped)))))
        });
        Ok(match block_on(&cx, req.keys, timeout, try_key).await? {
            Some(s) => s.reply?,
            None => Reply::NilArray,
        })
    })
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
pub(super) fn blmove(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let (from, to) = parse_lmove(&argv)?;
        let timeout = parse_timeout(&argv[5])?;
        bmove(cx, argv, from, to, timeout).await
    })
}

/// BRPOPLPUSH source destination timeout
pub(super) fn brpoplpush(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let timeout = parse_timeout(&argv[3])?;
        bmove(cx, argv, End::Tail, End::Head, timeout).await
    })
}

/// What BLMOVE answers when it moved nothing: a null array when it timed out (as every blocking
/// command does), a null bulk inside EXEC (as LMOVE would).
fn not_moved(cx: &AsyncCtx) -> Reply {
    if cx.in_exec {
        Reply::Nil
    } else {
        Reply::NilArray
    }
}

/// Moves one element from `from` of the source to `to` of the destination and replies with
/// it.
async fn bmove(
    cx: AsyncCtx,
    argv: Vec<Bytes>,
    from: End,
    to: End,
    timeout: Option<std::time::Duration>,
) -> CmdResult {
    let (src, dst) = (argv[1].clone(), argv[2].clone());
    let dst_shard = owner_of(&dst);
    if owner_of(&src) == dst_shard {
        let try_key: TryKey = Arc::new(move |cx, key| {
            let r = move_generic(cx, key, &dst, from, to)?;
            if r == Reply::Nil {
                return Ok(None);
            }
            // Replicated as the LMOVE it was, whatever the blocking form.
            *cx.out = Propagation::Replace(vec![lmove_argv(key, &dst, from, to)]);
            Ok(Some(Served {
                reply: Ok(r),
                wrote: Some(dst.clone()),
                carry: None,
            }))
        });
        return Ok(match block_on(&cx, vec![src], timeout, try_key).await? {
            Some(s) => s.reply?,
            None => not_moved(&cx),
        });
    }
    let moved = move_across(cx.clone(), argv, from, to).await?;
    if moved != Reply::Nil {
        return Ok(moved);
    }
    // Served by popping the source; the element then travels to the destination's shard.
    let try_key: TryKey = Arc::new(move |cx, key| {
        let Some(list) = write_list(cx, key)? else {
            return Ok(None);
        };
        let item = list.pop(from, fill()).expect("stored lists are not empty");
        delete_if_empty(cx, key);
        cx.dirty(1);
        // The element is in flight between the two shards: replicas pop it here, and push it
        // there when it lands.
        cx.out.replace(vec![pop_verb(from), key.clone()]);
        Ok(Some(Served {
            reply: Ok(Reply::Bulk(item.clone())),
            wrote: None,
            carry: Some(item),
        }))
    });
    let Some(s) = block_on(&cx, vec![src], timeout, try_key).await? else {
        return Ok(not_moved(&cx));
    };
    if let Some(item) = s.carry {
        let db = cx.db;
        hop(dst_shard, move |ks| {
            let dirty = ks.stats.dirty;
            let r = with_shard_ctx(ks, db, UnixMillis::now(), |cx| {
                let r = move_push_dest(cx, &dst, &item, to);
                cx.dirty(1);
                if r.is_ok() {
                    cx.out
                        .replace(vec![push_verb(to), dst.clone(), item.clone()]);
                }
                r
            });
            crate::server::key_events::after_command(
                ks,
                db,
                dirty,
                crate::server::key_events::Changed::Keys(&mut std::iter::once(&dst)),
            );
            r
        })
        .await?;
    }
    s.reply
}

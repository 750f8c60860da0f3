//! The blocking sorted-set commands: BZPOPMIN, BZPOPMAX and BZMPOP.
//!
//! Owns: how each of them tries one key and what it replies, on top of `blocking::block_on`.

use bytes::Bytes;
use futures_lite::future::BoxedLocal;
use std::sync::Arc;

use super::blocking::{block_on, parse_timeout, TryKey};
use super::ctx::AsyncCtx;
use super::table::CmdResult;
use super::zsets_pop::{mpop_reply, pop_generic, MpopArgs};
use crate::protocol::reply::Reply;
use crate::server::blocking::Served;

/// BZPOPMIN key [key ...] timeout
pub(super) fn bzpopmin(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(bzpop(cx, argv, false))
}

/// BZPOPMAX key [key ...] timeout
pub(super) fn bzpopmax(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(bzpop(cx, argv, true))
}

/// Pops the lowest (or highest) member of the first non-empty zset among the keys and replies
/// `[key, member, score]`; a null array on timeout.
async fn bzpop(cx: AsyncCtx, argv: Vec<Bytes>, max: bool) -> CmdResult {
    let timeout = parse_timeout(&argv[argv.len() - 1])?;
    let keys = argv[1..argv.len() - 1].to_vec();
    let try_key: TryKey = Arc::new(move |cx, key| {
        let popped = pop_generic(cx, key, 1, max)?.unwrap_or_default();
        Ok(popped.into_iter().next().map(|(member, score)| Served {
            reply: Ok(Reply::Array(vec![
                Reply::Bulk(key.clone()),
                Reply::Bulk(member),
                Reply::Double(score),
            ])),
            wrote: None,
            carry: None,
        }))
    });
    Ok(match block_on(&cx, keys, timeout, try_key).await? {
        Some(s) => s.reply?,
        None => Reply::NilArray,
    })
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
pub(super) fn bzmpop(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        // The arguments after the timeout are ZMPOP's, checked before the timeout.
        let req = MpopArgs::parse(&argv[1..])?;
        let timeout = parse_timeout(&argv[1])?;
        let (max, count) = (req.max, req.count);
        let try_key: TryKey = Arc::new(move |cx, key| {
            let popped = pop_generic(cx, key, count, max)?.filter(|p| !p.is_empty());
            Ok(popped.map(|p| Served {
                reply: Ok(mpop_reply(Some((key.clone(), p)))),
                wrote: None,
                carry: None,
            }))
        });
        Ok(match block_on(&cx, req.keys, timeout, try_key).await? {
            Some(s) => s.reply?,
            None => Reply::NilArray,
        })
    })
}

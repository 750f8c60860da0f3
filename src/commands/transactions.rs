//! MULTI, EXEC, DISCARD, WATCH and UNWATCH.
//!
//! Owns: their registration and the parts that only touch the connection. Queuing happens in
//! the dispatcher (it must see every command of a client in MULTI), and EXEC itself lives in
//! `server::transaction`, which the dispatcher calls: these handlers never see a queued command.

use bytes::Bytes;
use futures_lite::future::BoxedLocal;

use super::ctx::{AsyncCtx, ConnCtx};
use super::table::flags::{ALLOW_BUSY, FAST, LOADING, NOSCRIPT, STALE};
use super::table::{CmdResult, CommandTable, Handler, KeySpec};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::transaction::{unwatch_all, watch_keys, Queued};

/// Registers the transaction family, with the flags `COMMAND INFO` shows on Redis 7.0.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    use Handler::{Async, Conn};
    const QUICK: u32 = NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY;
    t.add("multi",    1, QUICK,                     KeySpec::NONE,            Conn(multi));
    t.add("exec",     1, NOSCRIPT | LOADING | STALE, KeySpec::NONE,           Conn(exec_outside_multi));
    t.add("discard",  1, QUICK,                     KeySpec::NONE,            Conn(discard));
    t.add("watch",   -2, QUICK,                     KeySpec::range(1, -1, 1), Async(watch));
    t.add("unwatch",  1, QUICK,                     KeySpec::NONE,            Conn(unwatch));
}

/// MULTI
fn multi(cx: &mut ConnCtx<'_>, _argv: &[Bytes]) -> CmdResult {
    if cx.client.multi.is_some() {
        return Err(CmdError::custom("ERR MULTI calls can not be nested"));
    }
    cx.client.multi = Some(Queued::default());
    Ok(Reply::Ok)
}

/// EXEC reaches its handler only when the client is not in MULTI (the dispatcher runs a real
/// EXEC itself).
fn exec_outside_multi(_cx: &mut ConnCtx<'_>, _argv: &[Bytes]) -> CmdResult {
    Err(CmdError::custom("ERR EXEC without MULTI"))
}

/// DISCARD
fn discard(cx: &mut ConnCtx<'_>, _argv: &[Bytes]) -> CmdResult {
    if cx.client.multi.take().is_none() {
        return Err(CmdError::custom("ERR DISCARD without MULTI"));
    }
    unwatch_all(cx.client.id);
    Ok(Reply::Ok)
}

/// WATCH key [key ...]
fn watch(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        watch_keys(cx.client_id, cx.db, argv[1..].to_vec()).await;
        Ok(Reply::Ok)
    })
}

/// UNWATCH
fn unwatch(cx: &mut ConnCtx<'_>, _argv: &[Bytes]) -> CmdResult {
    unwatch_all(cx.client.id);
    Ok(Reply::Ok)
}

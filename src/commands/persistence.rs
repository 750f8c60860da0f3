//! The snapshot commands: SAVE and BGSAVE. (LASTSAVE and SHUTDOWN are in `server`.)
//!
//! Owns: parsing and replies only; the saving itself is `crate::persistence`.

use bytes::Bytes;
use futures_lite::future::BoxedLocal;

use super::ctx::AsyncCtx;
use super::table::flags::*;
use super::table::{CmdResult, CommandTable, Handler, KeySpec};
use crate::persistence::{self, SnapshotError};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;

/// Registers SAVE and BGSAVE.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    use Handler::Async;
    //     name      arity  flags                                             keys           handler
    t.add("save",       1,  ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,  KeySpec::NONE, Async(save));
    t.add("bgsave",    -1,  ADMIN | NOSCRIPT | NO_ASYNC_LOADING,             KeySpec::NONE, Async(bgsave));
}

/// SAVE
///
/// Writes the dataset to `dir/dbfilename` now, holding every shard until the file is synced
/// and renamed into place. `ERR Background save already in progress` while a snapshot child
/// runs; a bare `ERR` when the save fails (the log says why).
fn save(_cx: AsyncCtx, _args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        if persistence::child_active() {
            return Err(CmdError::BgsaveInProgress);
        }
        persistence::save()
            .await
            .map(|()| Reply::Ok)
            .map_err(|_| CmdError::SaveFailed)
    })
}

/// BGSAVE [SCHEDULE]
///
/// Forks a child that writes the dataset as of now: `Background saving started`. While a
/// child runs: `ERR Background save already in progress` (SCHEDULE included, as in Redis).
/// Inside MULTI the save is scheduled instead (`Background saving scheduled`) and starts once
/// the transaction is over.
fn bgsave(cx: AsyncCtx, args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let schedule = match &args[1..] {
            [] => false,
            [word] if word.eq_ignore_ascii_case(b"schedule") => true,
            _ => return Err(CmdError::Syntax),
        };
        if persistence::child_active() {
            return Err(CmdError::BgsaveInProgress);
        }
        if cx.in_exec {
            persistence::schedule_bgsave();
            return Ok(Reply::status("Background saving scheduled"));
        }
        // SCHEDULE matters only while a child of another kind (an AOF rewrite) runs, and
        // Tessera forks no other kind.
        let _ = schedule;
        match persistence::bgsave().await {
            Ok(_) => Ok(Reply::status("Background saving started")),
            Err(SnapshotError::InProgress) => Err(CmdError::BgsaveInProgress),
            Err(SnapshotError::Fork(_)) => Err(CmdError::SaveFailed),
        }
    })
}

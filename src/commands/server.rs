//! The server family's small commands: TIME, LASTSAVE and SHUTDOWN.
//!
//! Owns: the server clock as clients see it and the start of an orderly stop. The larger server
//! commands have files of their own: `info`, `config_cmd`, `command_cmd`, `debug`, `object`.

use bytes::Bytes;
use futures_lite::future::BoxedLocal;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use super::ctx::{AsyncCtx, ConnCtx};
use super::table::flags::*;
use super::table::{CmdResult, CommandTable, Handler, KeySpec};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::shared::shared;

/// Registers the family's commands.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    use Handler::{Async, Conn};
    const STOP: u32 = ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY;
    //     name        arity  flags                    keys           handler
    t.add("time",         1,  LOADING | STALE | FAST,  KeySpec::NONE, Conn(time));
    t.add("lastsave",     1,  LOADING | STALE | FAST,  KeySpec::NONE, Conn(lastsave));
    t.add("shutdown",    -1,  STOP,                    KeySpec::NONE, Async(shutdown));
}

/// TIME
///
/// The server's wall clock: an array of the Unix seconds and the microseconds within the second,
/// both as bulk strings.
fn time(_cx: &mut ConnCtx<'_>, _args: &[Bytes]) -> CmdResult {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Ok(Reply::Array(vec![
        Reply::bulk_int(now.as_secs() as i64),
        Reply::bulk_int(now.subsec_micros() as i64),
    ]))
}

/// LASTSAVE
///
/// The Unix time of the last successful save (the start time until one happens).
fn lastsave(_cx: &mut ConnCtx<'_>, _args: &[Bytes]) -> CmdResult {
    Ok(Reply::Int(shared().last_save.load(Ordering::Relaxed) as i64))
}

/// What SHUTDOWN was asked to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShutdownArgs {
    /// NOSAVE: do not save even when save points are configured.
    pub nosave: bool,
    /// SAVE: save even when no save point is configured.
    pub save: bool,
    /// NOW: do not wait for lagging replicas.
    pub now: bool,
    /// FORCE: stop even if the final save fails.
    pub force: bool,
    /// ABORT: cancel a shutdown in progress.
    pub abort: bool,
}

impl ShutdownArgs {
    /// Parses `SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]`, each word at most once in effect
    /// and in any order. ABORT excludes every other word, and NOSAVE excludes SAVE.
    pub fn parse(args: &[Bytes]) -> Result<ShutdownArgs, CmdError> {
        let mut a = ShutdownArgs::default();
        for word in &args[1..] {
            let w = word.to_ascii_lowercase();
            match &w[..] {
                b"nosave" => a.nosave = true,
                b"save" => a.save = true,
                b"now" => a.now = true,
                b"force" => a.force = true,
                b"abort" => a.abort = true,
                _ => return Err(CmdError::Syntax),
            }
        }
        let others = a.nosave || a.save || a.now || a.force;
        if (a.abort && others) || (a.nosave && a.save) {
            return Err(CmdError::Syntax);
        }
        Ok(a)
    }
}

/// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]
///
/// Stops the server: a running snapshot child is killed, the dataset is saved when SAVE is
/// given or save points are configured (unless NOSAVE, or while loading), then every executor
/// leaves its network loop and the process exits, closing every connection. On success the
/// caller gets no reply at all, only the closed connection, which is what clients expect. When
/// the final save fails the server keeps running and answers `ERR Errors trying to SHUTDOWN.
/// Check logs.`, unless FORCE. ABORT cancels a shutdown a signal asked for and that has not run
/// yet.
fn shutdown(_cx: AsyncCtx, args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let req = ShutdownArgs::parse(&args)?;
        if req.abort {
            return if crate::persistence::abort_shutdown() {
                Ok(Reply::Ok)
            } else {
                Err(CmdError::NoShutdownInProgress)
            };
        }
        let flags = crate::persistence::ShutdownFlags {
            nosave: req.nosave,
            save: req.save,
            now: req.now,
            force: req.force,
        };
        if crate::persistence::prepare_for_shutdown(flags)
            .await
            .is_err()
        {
            return Err(CmdError::ShutdownFailed);
        }
        // No reply: the connection stays silent until the process exits and closes it.
        futures_lite::future::pending::<CmdResult>().await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::commands::session::args as argv;

    #[test]
    fn shutdown_words_combine_as_in_redis() {
        let a = ShutdownArgs::parse(&argv("SHUTDOWN nosave NOW force")).unwrap();
        assert!(a.nosave && a.now && a.force && !a.save && !a.abort);
        assert_eq!(
            ShutdownArgs::parse(&argv("SHUTDOWN")),
            Ok(ShutdownArgs::default())
        );
        assert!(ShutdownArgs::parse(&argv("SHUTDOWN ABORT")).unwrap().abort);
        for bad in [
            "SHUTDOWN SAVE NOSAVE",
            "SHUTDOWN ABORT NOW",
            "SHUTDOWN NOSAVE ABORT",
            "SHUTDOWN LATER",
        ] {
            assert_eq!(
                ShutdownArgs::parse(&argv(bad)),
                Err(CmdError::Syntax),
                "{bad}"
            );
        }
    }
}

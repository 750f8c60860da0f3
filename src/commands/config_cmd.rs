//! CONFIG: reading and changing the configuration at run time, writing it back to its file, and
//! resetting the statistics.
//!
//! Owns: the commands only. What a directive accepts, how its value prints and every CONFIG
//! error text belong to `crate::config`; this file takes the lock, calls it, applies what the
//! running server must notice at once, and shapes the reply.

use bytes::Bytes;
use futures_lite::future::BoxedLocal;

use super::ctx::{AsyncCtx, ConnCtx};
use super::help::help_reply;
use super::settings::is_local;
use super::table::flags::*;
use super::table::{sub, CmdResult, CommandTable, Handler, KeySpec};
use crate::config::Config;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::info::{reset_process_stats, reset_shard_stats};
use crate::server::shards::on_all_shards;
use crate::server::shared::shared;

/// Registers CONFIG and its subcommands.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    use Handler::{Async, Conn};
    const F: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
    t.add("config", -2, 0, KeySpec::NONE, Conn(container));
    for s in [
        //   name                 arity  flags            keys           handler
        sub("config|get",           -3,  F,               KeySpec::NONE, Conn(get)),
        sub("config|set",           -4,  F,               KeySpec::NONE, Conn(set)),
        sub("config|resetstat",      2,  F,               KeySpec::NONE, Async(resetstat)),
        sub("config|rewrite",        2,  F,               KeySpec::NONE, Conn(rewrite)),
        sub("config|help",           2,  LOADING | STALE, KeySpec::NONE, Conn(help)),
    ] {
        t.add_sub("config", s);
    }
}

/// Only reached for a subcommand the table does not hold, which the dispatcher answers first.
fn container(_cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    Err(CmdError::UnknownSubcommand(args[1].clone(), "CONFIG"))
}

fn read_config() -> std::sync::RwLockReadGuard<'static, Config> {
    shared()
        .config
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// CONFIG GET parameter [parameter ...]
///
/// A map from each matching directive to its value; patterns may use glob characters.
fn get(_cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    let patterns: Vec<&[u8]> = args[2..].iter().map(|a| &a[..]).collect();
    let pairs = read_config().get_many(&patterns);
    Ok(get_reply(pairs))
}

/// The CONFIG GET reply for `pairs`: a map of bulk strings.
pub fn get_reply(pairs: Vec<(String, String)>) -> Reply {
    Reply::Map(
        pairs
            .into_iter()
            .map(|(n, v)| (Reply::bulk(n), Reply::bulk(v)))
            .collect(),
    )
}

/// One `name value` pair of CONFIG SET.
pub type SetPair = (Vec<u8>, Vec<u8>);

/// Splits `CONFIG SET name value [name value ...]` into its pairs. A name without a value is a
/// syntax error, as in Redis.
pub fn set_pairs(args: &[Bytes]) -> Result<Vec<SetPair>, CmdError> {
    if !args.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    Ok(args[2..]
        .chunks(2)
        .map(|p| (p[0].to_vec(), p[1].to_vec()))
        .collect())
}

/// CONFIG SET parameter value [parameter value ...]
///
/// Changes every named directive or none. Protected directives may change only where
/// `enable-protected-configs` allows it for this client (`local`: loopback clients only). Once
/// stored, the log level takes effect at once; the other values are read where they are used.
fn set(cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    let pairs = set_pairs(args)?;
    let loglevel = {
        let mut c = shared()
            .config
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        c.set_from(&pairs, is_local(cx.client.addr))
            .map_err(CmdError::custom)?;
        c.loglevel()
    };
    if pairs
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case(b"loglevel"))
    {
        if let Err(e) = crate::server::process::set_log_level(loglevel) {
            tracing::warn!(error = %e, "cannot apply the new log level");
        }
    }
    Ok(Reply::Ok)
}

/// CONFIG RESETSTAT
///
/// Zeroes the counters INFO reports, on every shard.
fn resetstat(_cx: AsyncCtx, _args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        on_all_shards(reset_shard_stats).await;
        reset_process_stats();
        Ok(Reply::Ok)
    })
}

/// CONFIG REWRITE
///
/// Writes the running configuration into the file the server started from.
fn rewrite(_cx: &mut ConnCtx<'_>, _args: &[Bytes]) -> CmdResult {
    read_config().rewrite().map_err(CmdError::custom)?;
    tracing::info!("CONFIG REWRITE executed with success");
    Ok(Reply::Ok)
}

/// CONFIG HELP
fn help(_cx: &mut ConnCtx<'_>, _args: &[Bytes]) -> CmdResult {
    Ok(help_reply(
        "CONFIG",
        &[
            "GET <pattern> [<pattern> ...]",
            "    Return the directives matching the glob-like patterns, with their values.",
            "SET <directive> <value> [<directive> <value> ...]",
            "    Change directives; either all change or none does.",
            "RESETSTAT",
            "    Zero the statistics INFO reports.",
            "REWRITE",
            "    Write the running configuration back to the configuration file.",
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::commands::session::args as argv;

    #[test]
    fn set_takes_pairs_and_a_name_without_value_is_a_syntax_error() {
        assert_eq!(
            set_pairs(&argv("CONFIG SET hz 20 maxmemory 1mb")),
            Ok(vec![
                (b"hz".to_vec(), b"20".to_vec()),
                (b"maxmemory".to_vec(), b"1mb".to_vec())
            ])
        );
        assert_eq!(
            set_pairs(&argv("CONFIG SET hz 20 maxmemory")),
            Err(CmdError::Syntax)
        );
    }

    #[test]
    fn get_answers_a_map_of_bulk_strings() {
        let c = Config::default();
        let r = get_reply(c.get_many(&[b"hz", b"maxmemory-p*"]));
        assert_eq!(
            r,
            Reply::Map(vec![
                (Reply::bulk("hz"), Reply::bulk("10")),
                (Reply::bulk("maxmemory-policy"), Reply::bulk("noeviction")),
            ])
        );
    }
}

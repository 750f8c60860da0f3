//! The replication commands: REPLICAOF (and its old name SLAVEOF) and ROLE.
//!
//! Owns: parsing and replies only; the replication itself is `crate::replication`.

use bytes::Bytes;
use futures_lite::future::BoxedLocal;

use super::ctx::{AsyncCtx, ConnCtx};
use super::table::flags::*;
use super::table::{CmdResult, CommandTable, Handler, KeySpec};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::replication::control::{self, Followed};
use crate::replication::report;

/// Registers the family's commands.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    use Handler::{Async, Conn};
    //     name        arity  flags                          keys           handler
    t.add("replicaof",    3,  ADMIN | NOSCRIPT | STALE,      KeySpec::NONE, Async(replicaof));
    t.add("slaveof",      3,  ADMIN | NOSCRIPT | STALE,      KeySpec::NONE, Async(replicaof)); // alias of REPLICAOF
    t.add("role",         1,  NOSCRIPT | LOADING | STALE | FAST, KeySpec::NONE, Conn(role));
}

/// What REPLICAOF was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplicaofArgs {
    /// `REPLICAOF NO ONE`.
    NoOne,
    /// `REPLICAOF host port`.
    Master(String, u16),
}

impl ReplicaofArgs {
    /// Parses `REPLICAOF host port | NO ONE`. A port that is not an integer in 0..=65535 is
    /// `ERR Invalid master port`, as in Redis.
    pub fn parse(args: &[Bytes]) -> Result<ReplicaofArgs, CmdError> {
        if args[1].eq_ignore_ascii_case(b"no") && args[2].eq_ignore_ascii_case(b"one") {
            return Ok(ReplicaofArgs::NoOne);
        }
        let port = std::str::from_utf8(&args[2])
            .ok()
            .and_then(|p| p.parse::<i64>().ok())
            .filter(|p| (0..=65535).contains(p))
            .ok_or_else(|| CmdError::custom("ERR Invalid master port"))?;
        Ok(ReplicaofArgs::Master(
            String::from_utf8_lossy(&args[1]).into_owned(),
            port as u16,
        ))
    }
}

/// REPLICAOF host port | NO ONE
///
/// Follows the master at `host:port`: the link connects in the background and the dataset is
/// replaced by the master's (a partial resync keeps it when the histories match). `NO ONE` stops
/// following: the dataset stays and the server becomes a master with a new replication id.
/// Following the master already followed answers `+OK Already connected to specified master`.
fn replicaof(cx: AsyncCtx, args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        match ReplicaofArgs::parse(&args)? {
            ReplicaofArgs::NoOne => {
                control::promote(cx.shard).await?;
                Ok(Reply::Ok)
            }
            ReplicaofArgs::Master(host, port) => {
                match control::follow(host, port, cx.shard).await? {
                    Followed::Started => Ok(Reply::Ok),
                    Followed::AlreadyConnected => {
                        Ok(Reply::status("OK Already connected to specified master"))
                    }
                }
            }
        }
    })
}

/// ROLE
///
/// `master, offset, [[ip, port, offset], ...]` on a master; `slave, host, port, state, offset`
/// on a replica, where state is connect, connecting, handshake, sync or connected.
fn role(_cx: &mut ConnCtx<'_>, _args: &[Bytes]) -> CmdResult {
    Ok(report::role_reply(&report::facts()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::session::args as argv;

    #[test]
    fn replicaof_arguments_read_as_in_redis() {
        assert_eq!(
            ReplicaofArgs::parse(&argv("REPLICAOF no ONE")),
            Ok(ReplicaofArgs::NoOne)
        );
        assert_eq!(
            ReplicaofArgs::parse(&argv("REPLICAOF 127.0.0.1 6380")),
            Ok(ReplicaofArgs::Master("127.0.0.1".into(), 6380))
        );
        for bad in ["REPLICAOF h abc", "REPLICAOF h 70000", "REPLICAOF h -1"] {
            assert_eq!(
                ReplicaofArgs::parse(&argv(bad)),
                Err(CmdError::custom("ERR Invalid master port")),
                "{bad}"
            );
        }
    }
}

//! The replication commands: REPLICAOF (and its old name SLAVEOF) and ROLE for users; REPLCONF,
//! PSYNC and SYNC for replicas of this server.
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
use crate::replication::inbox::inbox;
use crate::replication::report;
use crate::replication::serve::{self, SyncRequest};
use crate::server::connection;

/// Registers the family's commands.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    use Handler::{Async, Conn};
    //     name        arity  flags                          keys           handler
    t.add("replicaof",    3,  ADMIN | NOSCRIPT | STALE,      KeySpec::NONE, Async(replicaof));
    t.add("slaveof",      3,  ADMIN | NOSCRIPT | STALE,      KeySpec::NONE, Async(replicaof)); // alias of REPLICAOF
    t.add("role",         1,  NOSCRIPT | LOADING | STALE | FAST, KeySpec::NONE, Conn(role));
    t.add("replconf",    -1,  ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY, KeySpec::NONE, Conn(replconf));
    t.add("psync",       -3,  ADMIN | NOSCRIPT | NO_MULTI,   KeySpec::NONE, Async(psync));
    t.add("sync",         1,  ADMIN | NOSCRIPT | NO_MULTI,   KeySpec::NONE, Async(sync));
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

/// REPLCONF option value [option value ...]
///
/// What a replica says about itself before PSYNC (`listening-port`, `ip-address`, `capa`), and
/// its acknowledgements afterwards (`ACK <offset>`, which gets no reply at all).
fn replconf(cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    if args.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let id = cx.client.id;
    for pair in args[1..].chunks(2) {
        let (opt, val) = (&pair[0], &pair[1]);
        match opt.to_ascii_lowercase().as_slice() {
            b"listening-port" => {
                let port = std::str::from_utf8(val)
                    .ok()
                    .and_then(|v| v.parse::<i64>().ok())
                    .ok_or(CmdError::NotInteger)?;
                serve::announce_port(id, port.clamp(0, 65535) as u16);
            }
            b"ip-address" => {
                if val.len() >= 46 {
                    return Err(CmdError::custom(format!(
                        "ERR REPLCONF ip-address provided by replica instance is too long: {} \
                         bytes",
                        val.len()
                    )));
                }
                serve::announce_ip(id, String::from_utf8_lossy(val).into_owned());
            }
            b"capa" => {
                if val.eq_ignore_ascii_case(b"psync2") {
                    serve::announce_psync2(id);
                } else if val.eq_ignore_ascii_case(b"eof") {
                    serve::announce_eof(id);
                }
            }
            b"ack" => {
                if let Some(off) = std::str::from_utf8(val)
                    .ok()
                    .and_then(|v| v.parse::<i64>().ok())
                {
                    serve::ack(id, off);
                }
                return Ok(Reply::Sequence(Vec::new()));
            }
            // Only the master link's GETACK is answered (by the replication applier).
            b"getack" => return Ok(Reply::Sequence(Vec::new())),
            b"rdb-only" | b"rdb-filter-only" => {}
            _ => {
                return Err(CmdError::custom(format!(
                    "ERR Unrecognized REPLCONF option: {}",
                    String::from_utf8_lossy(opt)
                )))
            }
        }
    }
    Ok(Reply::Ok)
}

/// PSYNC replicationid offset
///
/// A replica of this server asks for the stream from `offset` of history `replicationid` (`?`
/// and -1 for everything): `+CONTINUE` and the missing bytes, or `+FULLRESYNC`, an RDB and the
/// stream.
fn psync(cx: AsyncCtx, args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let offset = std::str::from_utf8(&args[2])
            .ok()
            .and_then(|v| v.parse::<i64>().ok())
            .ok_or(CmdError::NotInteger)?;
        let replid = String::from_utf8_lossy(&args[1]).into_owned();
        start_sync(&cx, replid, offset, false)
    })
}

/// SYNC
///
/// The legacy form of PSYNC: always the whole dataset, without a `+FULLRESYNC` line.
fn sync(cx: AsyncCtx, _args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move { start_sync(&cx, "?".into(), -1, true) })
}

/// Turns the caller's connection into a replica connection and queues its request; the answer
/// goes out on the connection in order with the stream, so the command itself replies nothing.
fn start_sync(cx: &AsyncCtx, replid: String, offset: i64, legacy: bool) -> CmdResult {
    if serve::is_replica_client(cx.client_id) {
        return Ok(Reply::Sequence(Vec::new()));
    }
    let Some(conn) = connection::find(cx.client_id) else {
        return Ok(Reply::Sequence(Vec::new()));
    };
    let peer_ip = {
        let mut c = conn.borrow_mut();
        c.client.flags = "S";
        c.client
            .addr
            .map(|a| a.ip().to_string())
            .unwrap_or_default()
    };
    inbox().push_serve(SyncRequest {
        client_id: cx.client_id,
        shard: cx.shard,
        peer_ip,
        replid,
        offset,
        legacy,
    });
    Ok(Reply::Sequence(Vec::new()))
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

//! BITOP: combines strings bit by bit into a destination key.
//!
//! Owns: BITOP's parsing, its one-shard form and its spread form (sources and destination on
//! several shards, read and written under one `MultiShard` transaction).

use bytes::Bytes;
use futures_lite::future::BoxedLocal;

use super::bits::{bitop as combine, BitOp};
use super::errors;
use crate::commands::ctx::{AsyncCtx, ShardCtx};
use crate::commands::keys::with_shard_ctx;
use crate::commands::table::CmdResult;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::shards::{owner_of, MultiShard};
use crate::storage::clock::UnixMillis;
use crate::storage::db::Entry;
use crate::storage::value::Value;

/// Parses the operation word and checks that NOT has exactly one source. Runs before any key is
/// looked at, as in Redis.
fn parse_op(args: &[Bytes]) -> Result<BitOp, CmdError> {
    let w = &args[1];
    let op = if w.eq_ignore_ascii_case(b"and") {
        BitOp::And
    } else if w.eq_ignore_ascii_case(b"or") {
        BitOp::Or
    } else if w.eq_ignore_ascii_case(b"xor") {
        BitOp::Xor
    } else if w.eq_ignore_ascii_case(b"not") {
        BitOp::Not
    } else {
        return Err(CmdError::Syntax);
    };
    if op == BitOp::Not && args.len() != 4 {
        return Err(CmdError::custom(errors::BITOP_NOT));
    }
    Ok(op)
}

/// Stores `result` at `dest` (dropping its TTL), or deletes `dest` when `result` is empty, and
/// answers the result's length.
fn store(cx: &mut ShardCtx<'_>, dest: &Bytes, result: Vec<u8>) -> Reply {
    let len = result.len();
    if len == 0 {
        cx.lookup_write(dest);
        cx.db().remove(dest);
    } else {
        // BITOP builds its result as a raw string.
        let mut entry = Entry::new(Value::Str(result.into()));
        entry.str_form = crate::storage::value::StrForm::Edited;
        cx.db().insert(dest.clone(), entry);
    }
    cx.dirty(1);
    Reply::Int(len as i64)
}

/// BITOP AND | OR | XOR | NOT destkey key [key ...]
///
/// Combines the source strings (missing keys read as empty, shorter ones as zero-padded) and
/// stores the result at `destkey`, answering its length. An empty result deletes `destkey`.
/// Checks, in Redis's order: the operation, NOT's single source, then each source's type.
pub(super) fn bitop(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let op = parse_op(args)?;
    let mut sources = Vec::with_capacity(args.len() - 3);
    for key in &args[3..] {
        sources.push(cx.read_str_bytes(key)?.unwrap_or_default());
    }
    let refs: Vec<&[u8]> = sources.iter().map(|s| &s[..]).collect();
    let result = combine(op, &refs);
    Ok(store(cx, &args[2], result))
}

/// BITOP whose keys live on several shards.
pub(super) fn bitop_spread(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(bitop_across(cx, argv))
}

/// `bitop` under a transaction on every shard involved: one hop per source reads an owned copy
/// (stopping at the first WRONGTYPE), then one hop stores the result on the destination's shard.
async fn bitop_across(cx: AsyncCtx, argv: Vec<Bytes>) -> CmdResult {
    let op = parse_op(&argv)?;
    let (db, now) = (cx.db, UnixMillis::now());
    let shards = argv[2..].iter().map(|k| owner_of(k)).collect();
    let tx = MultiShard::lock(shards).await;
    let mut sources = Vec::with_capacity(argv.len() - 3);
    for key in &argv[3..] {
        let key = key.clone();
        let s = tx
            .run(owner_of(&key), move |ks| {
                with_shard_ctx(ks, db, now, |cx| cx.read_str_bytes(&key))
            })
            .await?;
        sources.push(s.unwrap_or_default());
    }
    let refs: Vec<&[u8]> = sources.iter().map(|s| &s[..]).collect();
    let result = combine(op, &refs);
    let dest = argv[2].clone();
    let reply = tx
        .run(owner_of(&dest), move |ks| {
            with_shard_ctx(ks, db, now, |cx| store(cx, &dest, result))
        })
        .await;
    tx.propagate(db, argv);
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use crate::commands::session::*;
    use crate::protocol::reply::Reply;

    #[test]
    fn bitop_combines_and_pads() {
        let mut s = Session::new();
        s.set("a", "\u{7f}");
        s.set("b", "ab");
        assert_eq!(s.run("BITOP AND d a b"), int(2));
        assert_eq!(s.run("GET d"), Reply::bulk_copy(b"\x61\x00"));
        assert_eq!(s.run("BITOP or d a b missing"), int(2));
        assert_eq!(s.run("GET d"), Reply::bulk_copy(b"\x7f\x62"));
        assert_eq!(s.run("BITOP XOR d a"), int(1));
        assert_eq!(s.run("BITOP NOT d a"), int(1));
        assert_eq!(s.run("GET d"), Reply::bulk_copy(b"\x80"));
    }

    #[test]
    fn bitop_checks_op_then_not_then_types() {
        let mut s = Session::new();
        s.run("LPUSH l x");
        assert_eq!(s.run("BITOP NAND d l"), err("ERR syntax error"));
        assert_eq!(
            s.run("BITOP NOT d l l"),
            err("ERR BITOP NOT must be called with a single source key.")
        );
        assert_eq!(
            s.run("BITOP AND d l"),
            err("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
    }

    #[test]
    fn an_empty_result_deletes_the_destination() {
        let mut s = Session::new();
        s.set("d", "x");
        assert_eq!(s.run("BITOP OR d m1 m2"), int(0));
        assert_eq!(s.run("EXISTS d"), int(0));
    }
}

//! Reading several streams at once: XREAD and XREADGROUP.
//!
//! Owns: their arguments, the two passes Redis makes over the keys (first every key is
//! checked: its type, its group, its ID; then each stream that has something to give is
//! served), and the reply: an array of `[key, entries]` pairs in RESP2, a map in RESP3, a null
//! array when no stream had anything.
//!
//! Keys follow the STREAMS keyword, so the commands route themselves: keys on one shard run
//! in one hop; keys on several run under a transaction over those shards, key by key in the
//! caller's order, so the read is atomic as in Redis.
//!
//! With BLOCK and nothing to read, the reader waits (see `blocking`) with every ID resolved as
//! it was when the command arrived (`$` included), and is served from whichever key gets
//! something first, with that key's entries alone; a null array when the time runs out.
//! Inside EXEC it never waits.
//!
//! Runs on: the caller's executor (the orchestration) and the owners of the keys.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_lite::future::BoxedLocal;

use super::args::parse_i64;
use super::blocking::{block_on, TryKey};
use super::ctx::{AsyncCtx, ShardCtx};
use super::keys::with_shard_ctx;
use super::streams::{
    entries_reply, entry_reply, errors, id_reply, is_word, no_key_or_group, strict_id,
};
use super::streams_claim::setid_argv;
use super::table::CmdResult;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::blocking::Served;
use crate::server::shards::{hop, owner_of, MultiShard, ShardId};
use crate::storage::clock::UnixMillis;
use crate::storage::stream::{until_nul, ConsumerGroup, StreamId, StreamValue};
use crate::storage::value::Value;

/// A parsed XREAD or XREADGROUP.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ReadReq {
    /// XREADGROUP's group and consumer.
    group: Option<(Bytes, Bytes)>,
    /// XREADGROUP NOACK.
    noack: bool,
    /// Entries per stream at most; 0 = all.
    count: usize,
    /// BLOCK's timeout in ms (0 = forever), when given.
    block: Option<i64>,
    /// The keys, in the caller's order, and the ID argument of each.
    keys: Vec<Bytes>,
    ids: Vec<Bytes>,
}

impl ReadReq {
    /// Parses the options before STREAMS and splits what follows into keys and IDs. The IDs
    /// are read later, key by key, since `$` depends on the stream.
    fn parse(args: &[Bytes], xreadgroup: bool) -> Result<ReadReq, CmdError> {
        let mut req = ReadReq {
            group: None,
            noack: false,
            count: 0,
            block: None,
            keys: Vec::new(),
            ids: Vec::new(),
        };
        let mut streams_at = None;
        let mut i = 1;
        while i < args.len() {
            let more = args.len() - i - 1;
            let o = &args[i];
            if is_word(o, "BLOCK") && more > 0 {
                i += 1;
                let t = parse_i64(&args[i]).ok_or(CmdError::custom(errors::TIMEOUT_NOT_INTEGER))?;
                if t < 0 {
                    return Err(CmdError::custom(errors::TIMEOUT_NEGATIVE));
                }
                req.block = Some(t);
            } else if is_word(o, "COUNT") && more > 0 {
                i += 1;
                req.count = parse_i64(&args[i]).ok_or(CmdError::NotInteger)?.max(0) as usize;
            } else if is_word(o, "STREAMS") && more > 0 {
                if !(args.len() - i - 1).is_multiple_of(2) {
                    return Err(CmdError::custom(errors::UNBALANCED));
                }
                streams_at = Some(i + 1);
                break;
            } else if is_word(o, "GROUP") && more >= 2 {
                if !xreadgroup {
                    return Err(CmdError::custom(errors::GROUP_IN_XREAD));
                }
                req.group = Some((args[i + 1].clone(), args[i + 2].clone()));
                i += 2;
            } else if is_word(o, "NOACK") {
                if !xreadgroup {
                    return Err(CmdError::custom(errors::NOACK_IN_XREAD));
                }
                req.noack = true;
            } else {
                return Err(CmdError::Syntax);
            }
            i += 1;
        }
        let Some(at) = streams_at else {
            return Err(CmdError::Syntax);
        };
        if xreadgroup && req.group.is_none() {
            return Err(CmdError::custom(errors::MISSING_GROUP));
        }
        let n = (args.len() - at) / 2;
        req.keys = args[at..at + n].to_vec();
        req.ids = args[at + n..].to_vec();
        Ok(req)
    }
}

/// Where the read of one key starts, once its ID argument was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFrom {
    /// XREAD: entries after this ID (`$` resolved to the stream's last ID).
    After(StreamId),
    /// XREADGROUP `>`: entries the group was never given.
    NewForGroup,
    /// XREADGROUP with an ID: the consumer's pending entries after this ID.
    History(StreamId),
}

/// True when a read of `s` from `from` would answer with this stream now (for XREADGROUP,
/// `group` is the group read through). History reads always answer, an empty list at worst.
/// This is the test a reader blocked on the stream repeats when the stream changes.
pub fn read_would_return_data(
    s: &StreamValue,
    from: ReadFrom,
    group: Option<&ConsumerGroup>,
) -> bool {
    let newer_than =
        |after: StreamId| !s.is_empty() && s.last_live().is_some_and(|top| top > after);
    match (from, group) {
        (ReadFrom::History(_), _) => true,
        (ReadFrom::NewForGroup, Some(g)) => newer_than(g.last_id),
        (ReadFrom::NewForGroup, None) => false,
        (ReadFrom::After(id), _) => newer_than(id),
    }
}

/// First pass over one key: its type, its group (XREADGROUP), its ID argument.
fn resolve(cx: &mut ShardCtx<'_>, req: &ReadReq, i: usize) -> Result<ReadFrom, CmdError> {
    let key = &req.keys[i];
    let s = cx.read_typed(key, Value::as_stream_mut)?;
    if let Some((group, _)) = &req.group {
        if s.as_ref().is_none_or(|s| s.group(group).is_none()) {
            return Err(no_key_or_group(
                key,
                group,
                " in XREADGROUP with GROUP option",
            ));
        }
    }
    let arg = &req.ids[i];
    match until_nul(arg) {
        b"$" if req.group.is_some() => Err(CmdError::custom(errors::DOLLAR_IN_XREADGROUP)),
        b"$" => Ok(ReadFrom::After(s.map_or(StreamId::MIN, |s| s.last_id()))),
        b">" if req.group.is_none() => Err(CmdError::custom(errors::GT_IN_XREAD)),
        b">" => Ok(ReadFrom::NewForGroup),
        _ => {
            let id = strict_id(arg)?;
            Ok(if req.group.is_some() {
                ReadFrom::History(id)
            } else {
                ReadFrom::After(id)
            })
        }
    }
}

/// Second pass over one key: its entries when it has some to give, `None` otherwise. For
/// XREADGROUP this creates the consumer if needed, moves the group and fills its PEL, and
/// records the XCLAIM / XGROUP commands that replay that on a replica.
fn serve(cx: &mut ShardCtx<'_>, req: &ReadReq, i: usize, from: ReadFrom) -> Option<Reply> {
    let now = cx.now;
    let key = &req.keys[i];
    let s = cx.read_typed(key, Value::as_stream_mut).ok()??;
    let Some((group, consumer)) = &req.group else {
        if !read_would_return_data(s, from, None) {
            return None;
        }
        let ReadFrom::After(after) = from else {
            return None;
        };
        let start = after.next().unwrap_or(StreamId::MIN);
        let limit = if req.count == 0 {
            usize::MAX
        } else {
            req.count
        };
        return Some(entries_reply(s.range(start, StreamId::MAX).take(limit)));
    };
    if !read_would_return_data(s, from, s.group(group)) {
        return None;
    }
    let g = s.group_mut(group)?;
    let created = g.touch_or_create_consumer(consumer, now);
    let mut propagate = Vec::new();
    if created && req.noack {
        propagate.push(vec![
            Bytes::from_static(b"XGROUP"),
            Bytes::from_static(b"CREATECONSUMER"),
            key.clone(),
            group.clone(),
            consumer.clone(),
        ]);
    }
    let reply = match from {
        ReadFrom::History(after) => {
            let start = after.next().unwrap_or(StreamId::MIN);
            let items = s.deliver_history(group, consumer, start, req.count, now);
            let items = items
                .into_iter()
                .map(|(id, exists)| match s.get(id).filter(|_| exists) {
                    Some(e) => entry_reply(e),
                    None => Reply::Array(vec![id_reply(id), Reply::NilArray]),
                })
                .collect();
            Reply::Array(items)
        }
        _ => {
            let before = s.group(group).map(|g| g.last_id);
            let ids = s.deliver_new(group, consumer, req.count, req.noack, now);
            let g = s.group(group).expect("exists");
            if !req.noack {
                // Each entry's XCLAIM carries the group's position right after that entry.
                for &id in &ids {
                    let p = &g.pel()[&id];
                    propagate.push(xclaim_for_read(key, group, id, p));
                }
            }
            // Then the group's position with its read counter, which XCLAIM does not carry:
            // Redis 7.0 sends it only with NOACK, and its replicas lose `entries-read`; 7.2
            // sends it always, and so does Tessera.
            if before != Some(g.last_id) {
                propagate.push(setid_argv(key, group, g));
            }
            Reply::Array(
                ids.iter()
                    .filter_map(|&id| s.get(id))
                    .map(entry_reply)
                    .collect(),
            )
        }
    };
    for argv in propagate {
        cx.out.replace(argv);
    }
    cx.dirty(1 + u64::from(created));
    Some(reply)
}

/// The XCLAIM that gives a replica the pending entry `id` a read created, moving the group
/// to `id` too.
fn xclaim_for_read(
    key: &Bytes,
    group: &Bytes,
    id: StreamId,
    p: &crate::storage::stream::Pending,
) -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"XCLAIM"),
        key.clone(),
        group.clone(),
        p.consumer.clone(),
        Bytes::from_static(b"0"),
        id.to_bytes(),
        Bytes::from_static(b"TIME"),
        Bytes::from(p.delivery_time.0.to_string()),
        Bytes::from_static(b"RETRYCOUNT"),
        Bytes::from(p.delivery_count.to_string()),
        Bytes::from_static(b"FORCE"),
        Bytes::from_static(b"JUSTID"),
        Bytes::from_static(b"LASTID"),
        id.to_bytes(),
    ]
}

/// Both passes over every key, on one shard: where each read starts, and what was served.
type Passes = (Vec<ReadFrom>, Vec<(usize, Reply)>);

/// Both passes over every key, on one shard.
fn read_here(cx: &mut ShardCtx<'_>, req: &ReadReq) -> Result<Passes, CmdError> {
    let mut froms = Vec::with_capacity(req.keys.len());
    for i in 0..req.keys.len() {
        froms.push(resolve(cx, req, i)?);
    }
    let mut served = Vec::new();
    for (i, &from) in froms.iter().enumerate() {
        if let Some(r) = serve(cx, req, i, from) {
            served.push((i, r));
        }
    }
    Ok((froms, served))
}

/// Runs a parsed read: one hop when every key is on one shard, else a transaction over the
/// shards, each pass key by key. What [`serve`] records for replicas stays in the hop's
/// context, which `with_shard_ctx` drops, as for every command that routes itself; carrying
/// it back is the replication stream's job.
async fn read(cx: AsyncCtx, req: ReadReq) -> CmdResult {
    let (db, now) = (cx.db, UnixMillis::now());
    let req = Arc::new(req);
    let mut shards: Vec<ShardId> = req.keys.iter().map(|k| owner_of(k)).collect();
    shards.sort_unstable();
    shards.dedup();
    let (froms, served) = if shards.len() == 1 {
        let r = req.clone();
        hop(shards[0], move |ks| {
            with_shard_ctx(ks, db, now, |sc| read_here(sc, &r))
        })
        .await?
    } else {
        let tx = MultiShard::lock(shards).await;
        let mut froms = Vec::with_capacity(req.keys.len());
        for i in 0..req.keys.len() {
            let r = req.clone();
            let from = tx
                .run(owner_of(&req.keys[i]), move |ks| {
                    with_shard_ctx(ks, db, now, |sc| resolve(sc, &r, i))
                })
                .await?;
            froms.push(from);
        }
        let mut served = Vec::new();
        for (i, &from) in froms.iter().enumerate() {
            let r = req.clone();
            let got = tx
                .run(owner_of(&req.keys[i]), move |ks| {
                    with_shard_ctx(ks, db, now, |sc| serve(sc, &r, i, from))
                })
                .await;
            if let Some(reply) = got {
                served.push((i, reply));
            }
        }
        (froms, served)
    };
    if !served.is_empty() {
        return Ok(keyed_reply(&cx, &req, served));
    }
    let Some(block_ms) = req.block else {
        return Ok(Reply::NilArray);
    };
    let timeout = (block_ms > 0).then(|| Duration::from_millis(block_ms as u64));
    let (r, f) = (req.clone(), Arc::new(froms));
    let try_key: TryKey = Arc::new(move |sc, key| {
        let Some(i) = r.keys.iter().position(|k| k == key) else {
            return Ok(None);
        };
        Ok(serve(sc, &r, i, f[i]).map(|entries| Served {
            reply: Ok(Reply::Array(vec![Reply::Array(vec![
                Reply::Bulk(key.clone()),
                entries,
            ])])),
            wrote: None,
            carry: None,
        }))
    });
    match block_on(&cx, req.keys.clone(), timeout, try_key).await? {
        // Served from one key: `[[key, entries]]`, a map of one in RESP3.
        Some(s) => match s.reply? {
            Reply::Array(mut one) if cx.resp >= 3 => match one.pop() {
                Some(Reply::Array(mut kv)) if kv.len() == 2 => {
                    let entries = kv.pop().expect("two items");
                    let key = kv.pop().expect("two items");
                    Ok(Reply::Map(vec![(key, entries)]))
                }
                other => Ok(Reply::Array(other.into_iter().collect())),
            },
            r => Ok(r),
        },
        None => Ok(Reply::NilArray),
    }
}

/// The reply for the keys served: `[key, entries]` pairs in RESP2, a map in RESP3.
fn keyed_reply(cx: &AsyncCtx, req: &ReadReq, served: Vec<(usize, Reply)>) -> Reply {
    let pairs = served
        .into_iter()
        .map(|(i, entries)| (Reply::Bulk(req.keys[i].clone()), entries));
    if cx.resp >= 3 {
        Reply::Map(pairs.collect())
    } else {
        Reply::Array(pairs.map(|(k, v)| Reply::Array(vec![k, v])).collect())
    }
}

/// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
///
/// The entries after each ID (`$`: the stream's last ID), up to COUNT per stream, for the
/// streams that have some; a null array when none has.
pub(super) fn xread(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let req = ReadReq::parse(&argv, false)?;
        read(cx, req).await
    })
}

/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key
/// [key ...] id [id ...]
///
/// With `>`: entries the group never delivered, which become pending for `consumer` (unless
/// NOACK) and move the group forward. With an ID: `consumer`'s own pending entries after it
/// (a deleted one comes back as `[id, nil]`). The consumer is created on first use.
pub(super) fn xreadgroup(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let req = ReadReq::parse(&argv, true)?;
        read(cx, req).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::session::{args, Session};
    use crate::storage::stream::NodeLimits;

    fn parse(line: &str, group: bool) -> Result<ReadReq, CmdError> {
        ReadReq::parse(&args(line), group)
    }

    #[test]
    fn options_parse_in_redis_order() {
        let r = parse("XREAD COUNT 5 BLOCK 0 STREAMS a b 0 $", false).unwrap();
        assert_eq!((r.count, r.block), (5, Some(0)));
        assert_eq!(r.keys, args("a b"));
        assert_eq!(r.ids, args("0 $"));
        let e = |t: &str| CmdError::custom(t.to_owned());
        assert_eq!(
            parse("XREAD STREAMS a b 0", false).unwrap_err(),
            e(errors::UNBALANCED)
        );
        assert_eq!(
            parse("XREAD GROUP g c STREAMS a 0", false).unwrap_err(),
            e(errors::GROUP_IN_XREAD)
        );
        assert_eq!(
            parse("XREADGROUP STREAMS a 0", true).unwrap_err(),
            e(errors::MISSING_GROUP)
        );
        assert_eq!(
            parse("XREAD BLOCK -1 STREAMS a 0", false).unwrap_err(),
            e(errors::TIMEOUT_NEGATIVE)
        );
        assert_eq!(
            parse("XREAD COUNT 1 a 0", false).unwrap_err(),
            CmdError::Syntax
        );
        let r = parse("XREADGROUP GROUP g c NOACK STREAMS a >", true).unwrap();
        assert!(r.noack);
        assert_eq!(r.group, Some((Bytes::from("g"), Bytes::from("c"))));
    }

    #[test]
    fn reads_report_whether_data_is_there() {
        let mut s = StreamValue::new();
        let after = |ms| ReadFrom::After(StreamId::new(ms, 0));
        assert!(!read_would_return_data(&s, after(0), None));
        let p = args("f v");
        s.append(
            crate::storage::stream::NewId::Exact(StreamId::new(5, 0)),
            &p,
            NodeLimits::DEFAULT,
        )
        .unwrap();
        assert!(read_would_return_data(&s, after(4), None));
        assert!(!read_would_return_data(&s, after(5), None));
        s.create_group(b"g", StreamId::MIN, None);
        let g = s.group(b"g");
        assert!(read_would_return_data(&s, ReadFrom::NewForGroup, g));
        assert!(read_would_return_data(
            &s,
            ReadFrom::History(StreamId::MAX),
            g
        ));
    }

    #[test]
    fn one_shard_reads_serve_each_key_in_order() {
        let mut sess = Session::new();
        sess.run("XADD a 1-1 f v");
        sess.run("XADD b 2-1 g w");
        let mut out = crate::commands::propagation::Propagation::default();
        let mut cx = ShardCtx::new(&mut sess.ks, 0, sess.now, &mut out);
        let req = parse("XREAD STREAMS a b nokey 0 2-1 0", false).unwrap();
        let (_, served) = read_here(&mut cx, &req).unwrap();
        assert_eq!(served.len(), 1);
        assert_eq!(served[0].0, 0);
        let req = parse("XREADGROUP GROUP g c STREAMS a >", true).unwrap();
        assert_eq!(
            read_here(&mut cx, &req).unwrap_err().message(),
            "NOGROUP No such key 'a' or consumer group 'g' in XREADGROUP with GROUP option"
        );
    }
}

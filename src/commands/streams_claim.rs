//! Pending entries: XPENDING (the summary and the detailed list), XCLAIM and XAUTOCLAIM.
//!
//! Owns: the arguments of these commands and their replies, and what the claims send to
//! replicas. Like Redis, a claim is not propagated as sent: each pending entry it changed (or
//! dropped, its entry being deleted) goes as an idempotent `XCLAIM key group consumer 0 id TIME
//! ms RETRYCOUNT n FORCE JUSTID LASTID id`, and a LASTID that moved the group with no such
//! XCLAIM to carry it goes as `XGROUP SETID`.
//!
//! Runs on: the executor owning the key.

use bytes::Bytes;

use super::args::parse_i64;
use super::ctx::ShardCtx;
use super::streams::{
    entry_reply, errors, id_reply, int_or, interval_end, interval_start, is_word, no_key_or_group,
    strict_id,
};
use super::table::CmdResult;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::storage::clock::UnixMillis;
use crate::storage::stream::{parse_id, Claim, ClaimEvent, ConsumerGroup, StreamId, StreamValue};
use crate::storage::value::Value;

/// The stream at `key` and its group `group`, for XPENDING, XCLAIM and XAUTOCLAIM: the key's
/// type is checked first, then a missing key or group is a NOGROUP error.
fn stream_with_group<'c>(
    cx: &'c mut ShardCtx<'_>,
    key: &[u8],
    group: &[u8],
) -> Result<&'c mut StreamValue, CmdError> {
    match cx.read_typed(key, Value::as_stream_mut)? {
        Some(s) if s.group(group).is_some() => Ok(s),
        _ => Err(no_key_or_group(key, group, "")),
    }
}

/// The argv that replays one claim event on a replica.
fn xclaim_argv(key: &Bytes, group: &Bytes, g: &ConsumerGroup, e: &ClaimEvent) -> Vec<Bytes> {
    let int = |n: u64| Bytes::from(n.to_string());
    vec![
        Bytes::from_static(b"XCLAIM"),
        key.clone(),
        group.clone(),
        e.pending.consumer.clone(),
        Bytes::from_static(b"0"),
        e.id.to_bytes(),
        Bytes::from_static(b"TIME"),
        int(e.pending.delivery_time.0),
        Bytes::from_static(b"RETRYCOUNT"),
        int(e.pending.delivery_count),
        Bytes::from_static(b"FORCE"),
        Bytes::from_static(b"JUSTID"),
        Bytes::from_static(b"LASTID"),
        g.last_id.to_bytes(),
    ]
}

/// The argv that sets a group's position on a replica: `XGROUP SETID key group id
/// ENTRIESREAD n` (-1 for an unknown counter).
pub(super) fn setid_argv(key: &Bytes, group: &Bytes, g: &ConsumerGroup) -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"XGROUP"),
        Bytes::from_static(b"SETID"),
        key.clone(),
        group.clone(),
        g.last_id.to_bytes(),
        Bytes::from_static(b"ENTRIESREAD"),
        Bytes::from(g.entries_read.unwrap_or(-1).to_string()),
    ]
}

/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
///
/// Without a range: `[count, smallest ID, greatest ID, [[consumer, count], ...]]` (nils and a
/// null array when nothing is pending). With one: `[[id, consumer, idle ms, deliveries], ...]`
/// for up to `count` pending entries in the range, of one consumer when named, idle at least
/// IDLE ms. The arguments are checked before the key.
pub(super) fn xpending(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let argc = args.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(CmdError::Syntax);
    }
    let mut range = None;
    if argc >= 6 {
        let mut at = 3;
        let mut min_idle = 0i64;
        if is_word(&args[3], "IDLE") {
            min_idle = parse_i64(&args[4]).ok_or(CmdError::NotInteger)?;
            if argc < 8 {
                return Err(CmdError::Syntax);
            }
            at += 2;
        }
        let count = parse_i64(&args[at + 2]).ok_or(CmdError::NotInteger)?.max(0);
        let start = interval_start(&args[at])?;
        let end = interval_end(&args[at + 1])?;
        let consumer = args.get(at + 3);
        range = Some((min_idle, start, end, count as usize, consumer));
    }
    let now = cx.now;
    let s = stream_with_group(cx, &args[1], &args[2])?;
    let g = s.group(&args[2]).expect("checked");
    let Some((min_idle, start, end, count, consumer)) = range else {
        return Ok(pending_summary(g));
    };
    let ids: Box<dyn Iterator<Item = &StreamId>> = match consumer {
        Some(name) => match g.consumer(name) {
            Some(c) => Box::new(c.pending().range(start..)),
            None => return Ok(Reply::Array(Vec::new())),
        },
        None => Box::new(g.pel().range(start..).map(|(id, _)| id)),
    };
    let mut out = Vec::new();
    for &id in ids.take_while(|&&id| id <= end) {
        if out.len() >= count {
            break;
        }
        let p = &g.pel()[&id];
        let idle = (now.0 as i64).wrapping_sub(p.delivery_time.0 as i64);
        if min_idle != 0 && idle < min_idle {
            continue;
        }
        out.push(Reply::Array(vec![
            id_reply(id),
            Reply::Bulk(p.consumer.clone()),
            Reply::Int(idle.max(0)),
            Reply::Int(p.delivery_count as i64),
        ]));
    }
    Ok(Reply::Array(out))
}

/// XPENDING's summary form.
fn pending_summary(g: &ConsumerGroup) -> Reply {
    let pel = g.pel();
    let (Some((first, _)), Some((last, _))) = (pel.first_key_value(), pel.last_key_value()) else {
        return Reply::Array(vec![Reply::Int(0), Reply::Nil, Reply::Nil, Reply::NilArray]);
    };
    let consumers = g
        .consumers()
        .iter()
        .filter(|(_, c)| !c.pending().is_empty())
        .map(|(name, c)| {
            Reply::Array(vec![
                Reply::Bulk(name.clone()),
                Reply::bulk_int(c.pending().len() as i64),
            ])
        })
        .collect();
    Reply::Array(vec![
        Reply::Int(pel.len() as i64),
        id_reply(*first),
        id_reply(*last),
        Reply::Array(consumers),
    ])
}

/// The reply entries of the claimed events: IDs with JUSTID, else the entries themselves.
fn claimed_reply(s: &StreamValue, events: &[ClaimEvent], justid: bool) -> Vec<Reply> {
    events
        .iter()
        .filter(|e| e.outcome == crate::storage::stream::ClaimOutcome::Claimed)
        .map(|e| {
            if justid {
                id_reply(e.id)
            } else {
                entry_reply(s.get(e.id).expect("a claimed entry exists"))
            }
        })
        .collect()
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds]
/// [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
///
/// Hands the pending entries idle at least `min-idle-time` ms over to `consumer` (created if
/// needed) and answers them (their IDs with JUSTID). IDs run until the first argument that is
/// not one; options follow. IDLE or TIME set the delivery time (now by default; a time in the
/// future or before the epoch becomes now), RETRYCOUNT the delivery count (else it grows by
/// one, unless JUSTID), FORCE creates pending entries for live entries nobody has pending, and
/// LASTID moves the group forward. Pending entries whose entry was deleted are dropped.
pub(super) fn xclaim(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let (key, group, consumer) = (&args[1], &args[2], &args[3]);
    let now = cx.now;
    stream_with_group(cx, key, group)?;
    let min_idle = int_or(&args[4], errors::XCLAIM_MIN_IDLE)?.max(0);
    let mut j = 5;
    let mut ids = Vec::new();
    while j < args.len() {
        match parse_id(&args[j], 0, true) {
            Some(id) => ids.push(id),
            None => break,
        }
        j += 1;
    }
    let mut delivery: Option<i64> = None;
    let mut retry: i64 = -1;
    let (mut force, mut justid) = (false, false);
    let mut last_id = StreamId::MIN;
    while j < args.len() {
        let opt = &args[j];
        let more = j + 1 < args.len();
        if is_word(opt, "FORCE") {
            force = true;
        } else if is_word(opt, "JUSTID") {
            justid = true;
        } else if is_word(opt, "IDLE") && more {
            j += 1;
            let idle = int_or(&args[j], errors::XCLAIM_IDLE)?;
            delivery = Some((now.0 as i64).wrapping_sub(idle));
        } else if is_word(opt, "TIME") && more {
            j += 1;
            delivery = Some(int_or(&args[j], errors::XCLAIM_TIME)?);
        } else if is_word(opt, "RETRYCOUNT") && more {
            j += 1;
            retry = int_or(&args[j], errors::XCLAIM_RETRYCOUNT)?;
        } else if is_word(opt, "LASTID") && more {
            j += 1;
            last_id = strict_id(&args[j])?;
        } else {
            return Err(CmdError::Custom(
                format!(
                    "ERR Unrecognized XCLAIM option '{}'",
                    super::streams::c_text(opt)
                )
                .replace(['\r', '\n'], " ")
                .into(),
            ));
        }
        j += 1;
    }
    let s = cx.read_typed(key, Value::as_stream_mut)?.expect("checked");
    let g = s.group_mut(group).expect("checked");
    let mut moved = false;
    if last_id > g.last_id {
        g.last_id = last_id;
        moved = true;
    }
    let delivery_time = match delivery {
        Some(t) if t >= 0 && t <= now.0 as i64 => UnixMillis(t as u64),
        _ => now,
    };
    let claim = Claim {
        consumer,
        min_idle,
        delivery_time,
        retry_count: (retry >= 0).then_some(retry as u64),
        force,
        justid,
        now,
    };
    let events = s.claim(group, &ids, &claim);
    let g = s.group(group).expect("checked");
    let mut out = Vec::new();
    for e in &events {
        out.push(xclaim_argv(key, group, g, e));
    }
    let mut dirty = events.len() as u64;
    if moved && events.is_empty() {
        out.push(setid_argv(key, group, g));
        dirty += 1;
    }
    let reply = claimed_reply(s, &events, justid);
    if out.is_empty() {
        cx.out.suppress();
    }
    for argv in out {
        cx.out.replace(argv);
    }
    cx.dirty(dirty);
    Ok(Reply::Array(reply))
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
///
/// Walks the group's pending entries from `start` and hands those idle at least
/// `min-idle-time` ms over to `consumer`, up to COUNT (100 by default) entries handled or ten
/// times as many looked at. Answers `[next start (0-0 when done), claimed entries (IDs with
/// JUSTID), IDs of the deleted entries it dropped from the PEL]`. The arguments are checked
/// before the key.
pub(super) fn xautoclaim(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let (key, group, consumer) = (&args[1], &args[2], &args[3]);
    let min_idle = int_or(&args[4], errors::XAUTOCLAIM_MIN_IDLE)?.max(0);
    let start = interval_start(&args[5])?;
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < args.len() {
        if is_word(&args[j], "COUNT") && j + 1 < args.len() {
            count = int_or(&args[j + 1], errors::XAUTOCLAIM_COUNT)?;
            if !(1..=i64::MAX / 16).contains(&count) {
                return Err(CmdError::custom(errors::XAUTOCLAIM_COUNT));
            }
            j += 1;
        } else if is_word(&args[j], "JUSTID") {
            justid = true;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let now = cx.now;
    let s = stream_with_group(cx, key, group)?;
    // Redis allocates 16 bytes per `count` up front; more than a 47-bit address space (what
    // x86-64 and arm64 give a process) fails there, so it fails here too.
    if count > (1 << 43) {
        return Err(CmdError::custom(errors::XAUTOCLAIM_MEMORY));
    }
    let claim = Claim {
        consumer,
        min_idle,
        delivery_time: now,
        retry_count: None,
        force: false,
        justid,
        now,
    };
    let (events, next) = s.autoclaim(group, start, count as u64, &claim);
    let g = s.group(group).expect("checked");
    let propagate: Vec<Vec<Bytes>> = events
        .iter()
        .map(|e| xclaim_argv(key, group, g, e))
        .collect();
    let deleted: Vec<Reply> = events
        .iter()
        .filter(|e| e.outcome == crate::storage::stream::ClaimOutcome::Removed)
        .map(|e| id_reply(e.id))
        .collect();
    let claimed = claimed_reply(s, &events, justid);
    if propagate.is_empty() {
        cx.out.suppress();
    }
    cx.dirty(propagate.len() as u64);
    for argv in propagate {
        cx.out.replace(argv);
    }
    Ok(Reply::Array(vec![
        id_reply(next),
        Reply::Array(claimed),
        Reply::Array(deleted),
    ]))
}

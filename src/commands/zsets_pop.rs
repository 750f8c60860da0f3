//! Taking elements out of sorted sets, or sampling them: ZPOPMIN, ZPOPMAX, ZMPOP, ZRANDMEMBER
//! and ZSCAN.
//!
//! Owns: popping from either end (one routine for ZPOPMIN, ZPOPMAX and ZMPOP), random
//! sampling with and without repetition, and the ZSCAN cursor walk. ZMPOP finds its keys
//! through `numkeys`, so it routes itself: one hop when its keys share a shard, otherwise a
//! transaction over their shards that tries each key in order.
//!
//! Runs on: the executor owning the key(s). The blocking forms are not here.

use crate::commands::args::parse_cursor;
use bytes::Bytes;
use futures_lite::future::BoxedLocal;
use rand::Rng;

use super::args::parse_i64;
use super::ctx::{AsyncCtx, ShardCtx};
use super::glob::glob_match;
use super::keys::with_shard_ctx;
use super::table::CmdResult;
use super::zsets::{delete_if_empty, pair};
use crate::protocol::encoder::write_double;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::shards::{hop, owner_of, MultiShard};
use crate::storage::clock::UnixMillis;
use crate::storage::value::Value;

// ---------------------------------------------------------------------------------------------
// ZPOPMIN, ZPOPMAX, ZMPOP

/// ZPOPMIN key [count]
pub(super) fn zpopmin(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    zpop_command(cx, argv, false)
}

/// ZPOPMAX key [count]
pub(super) fn zpopmax(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    zpop_command(cx, argv, true)
}

/// Pops from the low end (ZPOPMIN) or the high end (ZPOPMAX). Without a count the reply is a
/// flat `[member, score]` (empty when the key is missing); with one it is pairs, which RESP3
/// nests. The count is checked before the key: anything but a non-negative integer is "out
/// of range, must be positive". Propagated as `ZPOPMIN|ZPOPMAX key n` (see `pop_generic`):
/// popping as many from the same zset pops the same members.
fn zpop_command(cx: &mut ShardCtx<'_>, argv: &[Bytes], max: bool) -> CmdResult {
    if argv.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = match argv.get(2) {
        Some(a) => {
            let n = parse_i64(a).ok_or(CmdError::MustBePositive)?;
            Some(u64::try_from(n).map_err(|_| CmdError::MustBePositive)?)
        }
        None => None,
    };
    let popped = pop_generic(cx, &argv[1], count.unwrap_or(1), max)?.unwrap_or_default();
    if popped.is_empty() {
        cx.out.suppress();
    }
    Ok(match count {
        None => Reply::Array(
            popped
                .into_iter()
                .flat_map(|(m, s)| [Reply::Bulk(m), Reply::Double(s)])
                .collect(),
        ),
        Some(_) => Reply::Pairs(popped.into_iter().map(|(m, s)| pair(m, s)).collect()),
    })
}

/// Removes up to `count` elements from one end of the zset at `key` and returns them in pop
/// order; `None` when the key is missing. Deletes the key when it empties; counts one change
/// per element. Propagates as `ZPOPMIN|ZPOPMAX key n`, `n` the number popped.
pub(super) fn pop_generic(
    cx: &mut ShardCtx<'_>,
    key: &[u8],
    count: u64,
    max: bool,
) -> Result<Option<Vec<(Bytes, f64)>>, CmdError> {
    let Some(z) = cx.write_typed(key, Value::as_zset_mut)? else {
        return Ok(None);
    };
    let n = usize::try_from(count).unwrap_or(usize::MAX).min(z.len());
    if n == 0 {
        return Ok(Some(Vec::new()));
    }
    let mut popped = if max {
        z.remove_range(z.len() - n, z.len() - 1)
    } else {
        z.remove_range(0, n - 1)
    };
    if max {
        popped.reverse();
    }
    delete_if_empty(cx, key);
    cx.dirty(n as u64);
    // Replicas pop as many from the same end, whichever command popped (ZMPOP and the blocking
    // pops included, as Redis sends them).
    cx.out.replace(vec![
        Bytes::from_static(if max { b"ZPOPMAX" } else { b"ZPOPMIN" }),
        Bytes::copy_from_slice(key),
        Bytes::from(n.to_string()),
    ]);
    Ok(Some(popped))
}

/// ZMPOP's arguments after the name.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct MpopArgs {
    pub(super) keys: Vec<Bytes>,
    pub(super) max: bool,
    pub(super) count: u64,
}

impl MpopArgs {
    /// Parses `numkeys key [key ...] MIN | MAX [COUNT count]`, with Redis's errors: a numkeys
    /// below 1 (or not a number), a missing or unknown MIN/MAX, a COUNT below 1.
    pub(super) fn parse(argv: &[Bytes]) -> Result<MpopArgs, CmdError> {
        let numkeys = parse_i64(&argv[1])
            .filter(|&n| n >= 1)
            .ok_or_else(|| CmdError::custom("ERR numkeys should be greater than 0"))?;
        let where_at = usize::try_from(numkeys)
            .ok()
            .and_then(|n| n.checked_add(2))
            .filter(|&w| w < argv.len())
            .ok_or(CmdError::Syntax)?;
        let max = if argv[where_at].eq_ignore_ascii_case(b"min") {
            false
        } else if argv[where_at].eq_ignore_ascii_case(b"max") {
            true
        } else {
            return Err(CmdError::Syntax);
        };
        let mut count = None;
        let mut j = where_at + 1;
        while j < argv.len() {
            if count.is_none() && argv[j].eq_ignore_ascii_case(b"count") && j + 1 < argv.len() {
                let n = parse_i64(&argv[j + 1])
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| CmdError::custom("ERR count should be greater than 0"))?;
                count = Some(n as u64);
                j += 2;
            } else {
                return Err(CmdError::Syntax);
            }
        }
        Ok(MpopArgs {
            keys: argv[2..where_at].to_vec(),
            max,
            count: count.unwrap_or(1),
        })
    }
}

/// What ZMPOP found on one shard: the key it popped from and the elements, or nothing.
pub(super) type Mpopped = Option<(Bytes, Vec<(Bytes, f64)>)>;

/// Pops from the first of `keys` (all on this shard) that holds a zset. A key holding another
/// type, met before that, is an error.
fn mpop_on(
    cx: &mut ShardCtx<'_>,
    keys: &[Bytes],
    max: bool,
    count: u64,
) -> Result<Mpopped, CmdError> {
    for key in keys {
        if let Some(popped) = pop_generic(cx, key, count, max)? {
            return Ok(Some((key.clone(), popped)));
        }
    }
    Ok(None)
}

/// ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]
///
/// Pops up to `count` elements from the first non-empty zset among the keys; replies
/// `[key, [[member, score], ...]]`, or a null array when every key is missing. Keys on several
/// shards are tried in order under a transaction on all of them, so the choice of key is
/// atomic.
pub(super) fn zmpop(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let req = MpopArgs::parse(&argv)?;
        let (db, now) = (cx.db, UnixMillis::now());
        let mut shards: Vec<_> = req.keys.iter().map(|k| owner_of(k)).collect();
        shards.sort_unstable();
        shards.dedup();
        let found = if shards.len() == 1 {
            hop(shards[0], move |ks| {
                with_shard_ctx(ks, db, now, |cx| mpop_on(cx, &req.keys, req.max, req.count))
            })
            .await?
        } else {
            let tx = MultiShard::lock(shards).await;
            let mut found = None;
            for key in req.keys {
                let (max, count) = (req.max, req.count);
                let r = tx
                    .run(owner_of(&key), move |ks| {
                        with_shard_ctx(ks, db, now, |cx| mpop_on(cx, &[key], max, count))
                    })
                    .await?;
                if r.is_some() {
                    found = r;
                    break;
                }
            }
            found
        };
        Ok(mpop_reply(found))
    })
}

/// `[key, [[member, score], ...]]`, or a null array when nothing was popped.
pub(super) fn mpop_reply(found: Mpopped) -> Reply {
    match found {
        None => Reply::NilArray,
        Some((key, popped)) => Reply::Array(vec![
            Reply::Bulk(key),
            Reply::Array(
                popped
                    .into_iter()
                    .map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]))
                    .collect(),
            ),
        ]),
    }
}

// ---------------------------------------------------------------------------------------------
// ZRANDMEMBER

/// ZRANDMEMBER key [count [WITHSCORES]]
///
/// Without a count: one random member, nil when the key is missing. A positive count gives
/// that many distinct members (all of them, highest score first, when the zset is not
/// larger); a negative
/// one gives |count| members that may repeat. Arguments are checked before the key: the count
/// must be an integer above i64::MIN, WITHSCORES is the only option, and with it |count| must
/// be at most i64::MAX / 2.
pub(super) fn zrandmember(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    if argv.len() == 2 {
        let Some(z) = cx.read_typed(&argv[1], Value::as_zset_mut)? else {
            return Ok(Reply::Nil);
        };
        let i = rand::thread_rng().gen_range(0..z.len());
        return Ok(Reply::Bulk(z.at(i).expect("rank below len").0.clone()));
    }
    let count = parse_i64(&argv[2]).ok_or(CmdError::NotInteger)?;
    if count == i64::MIN {
        return Err(CmdError::custom(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let withscores = match argv.get(3) {
        None => false,
        Some(a) if argv.len() == 4 && a.eq_ignore_ascii_case(b"withscores") => true,
        Some(_) => return Err(CmdError::Syntax),
    };
    if withscores && count.unsigned_abs() > (i64::MAX / 2) as u64 {
        return Err(CmdError::custom("ERR value is out of range"));
    }
    let Some(z) = cx.read_typed(&argv[1], Value::as_zset_mut)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let len = z.len();
    let mut rng = rand::thread_rng();
    let picks: Vec<(Bytes, f64)> = if count < 0 {
        (0..count.unsigned_abs())
            .map(|_| {
                let (m, s) = z.at(rng.gen_range(0..len)).expect("rank below len");
                (m.clone(), s)
            })
            .collect()
    } else if count as u64 >= len as u64 {
        // The whole zset, from the highest score down, as Redis walks it.
        z.range(0, len - 1, true)
    } else {
        rand::seq::index::sample(&mut rng, len, count as usize)
            .into_iter()
            .map(|i| {
                let (m, s) = z.at(i).expect("rank below len");
                (m.clone(), s)
            })
            .collect()
    };
    Ok(if withscores {
        Reply::Pairs(picks.into_iter().map(|(m, s)| pair(m, s)).collect())
    } else {
        Reply::Array(picks.into_iter().map(|(m, _)| Reply::Bulk(m)).collect())
    })
}

// ---------------------------------------------------------------------------------------------
// ZSCAN

/// A score as text, the way Redis writes it into a ZSCAN reply (`%.17g`; `inf`, `-inf`).
fn score_text(score: f64) -> Bytes {
    let mut buf = Vec::with_capacity(32);
    write_double(&mut buf, score, 2);
    // RESP2 writes a double as the bulk string `$<len>\r\n<text>\r\n`.
    let start = buf.iter().position(|&c| c == b'\n').map_or(0, |p| p + 1);
    Bytes::copy_from_slice(&buf[start..buf.len() - 2])
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]
///
/// The cursor is checked first, then the key (a missing key is an empty, finished scan), then
/// the options, as Redis does. A listpack zset is returned whole with cursor 0; a skiplist
/// keeps SCAN's guarantee (every member present throughout is returned at least once).
pub(super) fn zscan(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let cursor = parse_cursor(&argv[2]).ok_or_else(|| CmdError::custom("ERR invalid cursor"))?;
    let done = |cursor: u64, items: Vec<Reply>| {
        Reply::Array(vec![
            Reply::Bulk(Bytes::copy_from_slice(
                itoa::Buffer::new().format(cursor).as_bytes(),
            )),
            Reply::Array(items),
        ])
    };
    let Some(z) = cx.read_typed(&argv[1], Value::as_zset_mut)? else {
        return Ok(done(0, Vec::new()));
    };
    let (mut count, mut pattern) = (10usize, None);
    let mut j = 3;
    while j < argv.len() {
        match argv.get(j + 1) {
            Some(v) if argv[j].eq_ignore_ascii_case(b"count") => {
                let n = parse_i64(v).ok_or(CmdError::NotInteger)?;
                if n < 1 {
                    return Err(CmdError::Syntax);
                }
                count = usize::try_from(n).unwrap_or(usize::MAX);
            }
            Some(v) if argv[j].eq_ignore_ascii_case(b"match") => {
                pattern = (&v[..] != b"*").then(|| v.clone());
            }
            _ => return Err(CmdError::Syntax),
        }
        j += 2;
    }
    let mut items = Vec::new();
    let next = z.scan(cursor, count, |m, s| {
        if pattern.as_ref().is_none_or(|p| glob_match(p, m, false)) {
            items.push(Reply::bulk_copy(m));
            items.push(Reply::Bulk(score_text(s)));
        }
    });
    Ok(done(next, items))
}

#[cfg(test)]
mod tests {
    use super::super::zsets::testing::*;
    use super::*;

    #[test]
    fn pops_come_from_either_end() {
        let mut s = Session::new();
        s.run("ZADD z 1 a 2 b 3 c");
        assert_eq!(s.run("ZPOPMIN z"), Reply::Array(vec![bulk("a"), d(1.0)]));
        assert_eq!(s.run("ZPOPMAX z 5"), pairs(&[("c", 3.0), ("b", 2.0)]));
        assert_eq!(s.run("EXISTS z"), int(0));
        assert_eq!(s.run("ZPOPMIN z"), Reply::Array(vec![]));
        assert_eq!(
            s.run("ZPOPMIN z -1"),
            err("ERR value is out of range, must be positive")
        );
        assert_eq!(s.run("ZPOPMIN z 1 2"), err("ERR syntax error"));
        s.set("str", "v");
        assert_eq!(s.run("ZPOPMIN str 0"), err(WRONGTYPE));
    }

    #[test]
    fn mpop_arguments_are_checked_in_redis_order() {
        let a = |line: &str| MpopArgs::parse(&args(line));
        let e = |t: &str| Err(CmdError::custom(t.to_owned()));
        assert_eq!(
            a("ZMPOP 0 k MIN"),
            e("ERR numkeys should be greater than 0")
        );
        assert_eq!(
            a("ZMPOP x k MIN"),
            e("ERR numkeys should be greater than 0")
        );
        assert_eq!(a("ZMPOP 2 k MIN"), Err(CmdError::Syntax));
        assert_eq!(a("ZMPOP 1 k MID"), Err(CmdError::Syntax));
        assert_eq!(
            a("ZMPOP 1 k MIN COUNT 0"),
            e("ERR count should be greater than 0")
        );
        assert_eq!(a("ZMPOP 1 k MIN COUNT 1 COUNT 1"), Err(CmdError::Syntax));
        let ok = a("ZMPOP 2 k1 k2 max COUNT 3").unwrap();
        assert_eq!((ok.keys.len(), ok.max, ok.count), (2, true, 3));
    }

    #[test]
    fn mpop_takes_the_first_zset_among_the_keys() {
        let mut s = Session::new();
        s.run("ZADD z2 1 a 2 b");
        let mut out = Default::default();
        let mut cx = ShardCtx::new(&mut s.ks, 0, s.now, &mut out);
        let keys = args("z1 z2");
        let got = mpop_on(&mut cx, &keys, true, 5).unwrap().unwrap();
        assert_eq!(got.0, Bytes::from("z2"));
        assert_eq!(got.1.len(), 2);
        assert_eq!(mpop_on(&mut cx, &keys, true, 5).unwrap(), None);
    }

    #[test]
    fn randmember_counts_pick_distinct_or_repeated_members() {
        let mut s = Session::new();
        s.run("ZADD z 1 a 2 b 3 c");
        assert_eq!(s.run("ZRANDMEMBER z 10"), bulks(&["c", "b", "a"]));
        assert_eq!(s.run("ZRANDMEMBER z -5").items_len(), 5);
        assert_eq!(s.run("ZRANDMEMBER z 2 WITHSCORES").items_len(), 2);
        assert_eq!(s.run("ZRANDMEMBER z 0"), bulks(&[]));
        assert_eq!(s.run("ZRANDMEMBER nokey"), Reply::Nil);
        assert_eq!(s.run("ZRANDMEMBER nokey 1"), bulks(&[]));
        assert_eq!(s.run("ZRANDMEMBER z 1 x"), err("ERR syntax error"));
    }

    #[test]
    fn zscan_returns_a_listpack_whole_with_scores_as_text() {
        let mut s = Session::new();
        s.run("ZADD z 1 a 2.5 b 0.1 c");
        let reply = s.run("ZSCAN z 0 MATCH [ab]");
        assert_eq!(
            reply,
            Reply::Array(vec![
                bulk("0"),
                Reply::Array(vec![bulk("a"), bulk("1"), bulk("b"), bulk("2.5")])
            ])
        );
        assert_eq!(score_text(0.1), Bytes::from("0.10000000000000001"));
        assert_eq!(score_text(f64::NEG_INFINITY), Bytes::from("-inf"));
        assert_eq!(s.run("ZSCAN z x"), err("ERR invalid cursor"));
        assert_eq!(s.run("ZSCAN z 0 COUNT 0"), err("ERR syntax error"));
        assert_eq!(
            s.run("ZSCAN nokey 0 COUNT x"),
            Reply::Array(vec![bulk("0"), Reply::Array(vec![])])
        );
    }

    trait Len {
        fn items_len(&self) -> usize;
    }

    impl Len for Reply {
        fn items_len(&self) -> usize {
            match self {
                Reply::Array(v) => v.len(),
                Reply::Pairs(v) => v.len(),
                _ => panic!("not an array: {self:?}"),
            }
        }
    }
}

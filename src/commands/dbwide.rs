//! Commands over a whole DB, or all of them, on every shard: KEYS, SCAN, RANDOMKEY, DBSIZE,
//! FLUSHDB and FLUSHALL.
//!
//! Owns: the per-shard step of each (`keys_shard`, `scan_shard`, `random_key_shard`,
//! `flush_shard`: plain functions over one `Keyspace`) and the thin async wrappers that hop over
//! the shards and merge. KEYS, DBSIZE and the flushes hold every shard (`MultiShard::lock_all`), so
//! they see or leave one consistent state, as a single-threaded Redis would; SCAN and RANDOMKEY
//! make plain hops, since neither promises a snapshot.
//! Must not: keep anything from a shard's keyspace beyond the hop that read it.

use bytes::Bytes;
use futures_lite::future::BoxedLocal;
use rand::Rng;

use super::args::{parse_cursor, parse_i64};
use super::ctx::AsyncCtx;
use super::glob::glob_match;
use super::keys::with_shard_ctx;
use super::table::flags::{FAST, READONLY, WRITE};
use super::table::{CmdResult, CommandTable, Handler, KeySpec};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::shards::{hop, nr_shards, MultiShard, ShardId};
use crate::storage::clock::UnixMillis;
use crate::storage::keyspace::Keyspace;

/// Registers KEYS, SCAN, RANDOMKEY, DBSIZE, FLUSHDB and FLUSHALL.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    use Handler::Async;
    //     name         arity  flags              keys           handler
    t.add("keys",          2,  READONLY,          KeySpec::NONE, Async(keys));
    t.add("scan",         -2,  READONLY,          KeySpec::NONE, Async(scan));
    t.add("randomkey",     1,  READONLY,          KeySpec::NONE, Async(randomkey));
    t.add("dbsize",        1,  READONLY | FAST,   KeySpec::NONE, Async(dbsize));
    t.add("flushdb",      -1,  WRITE,             KeySpec::NONE, Async(flushdb));
    t.add("flushall",     -1,  WRITE,             KeySpec::NONE, Async(flushall));
}

// ---------------------------------------------------------------------------------------------
// KEYS

/// KEYS pattern
///
/// Every live key of the selected DB matching the glob `pattern`, shard after shard. Expired keys
/// are left out but not deleted.
fn keys(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let (db, now, pattern) = (cx.db, UnixMillis::now(), argv[1].clone());
        let tx = MultiShard::lock_all().await;
        let found = tx
            .run_each(move |ks| keys_shard(ks, db, &pattern, now))
            .await;
        Ok(Reply::bulk_array(found.into_iter().flatten()))
    })
}

/// The live keys of DB `db` on this shard that match `pattern` (`*` matches all without a test).
pub(crate) fn keys_shard(ks: &Keyspace, db: usize, pattern: &[u8], now: UnixMillis) -> Vec<Bytes> {
    let all = pattern == b"*";
    ks.dbs[db]
        .iter()
        .filter(|(k, e)| !e.is_expired(now) && (all || glob_match(pattern, k, false)))
        .map(|(k, _)| Bytes::copy_from_slice(k))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// SCAN

/// Bits of a SCAN cursor below the shard index: the position inside one shard's DB.
const SHARD_SHIFT: u32 = 56;
const POS_MASK: u64 = (1 << SHARD_SHIFT) - 1;

/// Splits a SCAN cursor into the shard it is in (top 8 bits) and the position in that shard's DB.
fn split_cursor(cursor: u64) -> (ShardId, u64) {
    ((cursor >> SHARD_SHIFT) as ShardId, cursor & POS_MASK)
}

/// The SCAN cursor for position `pos` of `shard`'s DB. Requires: `pos` < 2^56.
fn join_cursor(shard: ShardId, pos: u64) -> u64 {
    ((shard as u64) << SHARD_SHIFT) | pos
}

/// Which keys a SCAN reports: MATCH and TYPE.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ScanFilter {
    /// A glob the key must match; `None` for no MATCH or `MATCH *`.
    pattern: Option<Bytes>,
    /// A type name the value must have, compared without regard to ASCII case.
    type_name: Option<Bytes>,
}

/// SCAN's arguments: `cursor [MATCH pattern] [COUNT count] [TYPE type]`.
#[derive(Debug, Clone, PartialEq)]
struct ScanArgs {
    cursor: u64,
    /// How many keys to look at, a hint (COUNT, 10 by default).
    count: usize,
    filter: ScanFilter,
}

impl ScanArgs {
    /// Parses the cursor, then the options in order (each takes one value; a later one wins).
    fn parse(argv: &[Bytes]) -> Result<ScanArgs, CmdError> {
        let cursor = parse_cursor(&argv[1]).ok_or(CmdError::custom("ERR invalid cursor"))?;
        let mut req = ScanArgs {
            cursor,
            count: 10,
            filter: ScanFilter::default(),
        };
        let mut i = 2;
        while i < argv.len() {
            let (opt, value) = (&argv[i], argv.get(i + 1));
            match value {
                Some(v) if opt.eq_ignore_ascii_case(b"count") => {
                    let n = parse_i64(v).ok_or(CmdError::NotInteger)?;
                    if n < 1 {
                        return Err(CmdError::Syntax);
                    }
                    req.count = usize::try_from(n).unwrap_or(usize::MAX);
                }
                Some(v) if opt.eq_ignore_ascii_case(b"match") => {
                    req.filter.pattern = (&v[..] != b"*").then(|| v.clone());
                }
                Some(v) if opt.eq_ignore_ascii_case(b"type") => {
                    req.filter.type_name = Some(v.clone());
                }
                _ => return Err(CmdError::Syntax),
            }
            i += 2;
        }
        Ok(req)
    }
}

/// What one shard's part of a SCAN call found.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ShardScan {
    /// The keys to report.
    keys: Vec<Bytes>,
    /// Where this shard's DB continues; 0 when it is done.
    next: u64,
    /// How many keys were looked at (reported or not).
    visited: usize,
}

/// Looks at about `count` keys of DB `db` on this shard from position `pos`, and keeps those that
/// pass `filter` and are live. Side effects, as in Redis: an expired key met is deleted (and
/// counted in `expired`); with TYPE, each key whose type is checked counts as a hit or a miss.
pub(crate) fn scan_shard(
    ks: &mut Keyspace,
    db: usize,
    pos: u64,
    count: usize,
    filter: &ScanFilter,
    now: UnixMillis,
) -> ShardScan {
    let mut candidates = Vec::new();
    let mut visited = 0;
    let next = ks.dbs[db].scan(pos, count, |k, _| {
        visited += 1;
        if filter
            .pattern
            .as_ref()
            .is_none_or(|p| glob_match(p, k, false))
        {
            candidates.push(Bytes::copy_from_slice(k));
        }
    });
    let keys = with_shard_ctx(ks, db, now, |cx| {
        candidates.retain(|k| match &filter.type_name {
            Some(t) => cx
                .lookup_read(k)
                .is_some_and(|e| e.value.type_name().as_bytes().eq_ignore_ascii_case(t)),
            None => cx.lookup_write(k).is_some(),
        });
        candidates
    });
    ShardScan {
        keys,
        next,
        visited,
    }
}

/// Where a SCAN call goes after shard `shard` answered `next`, with `budget` keys still to look
/// at: on to the next shard (`Ok`), or back to the client with this cursor (`Err`).
fn scan_advance(shard: ShardId, next: u64, budget: usize, nr: usize) -> Result<ShardId, u64> {
    if next != 0 {
        Err(join_cursor(shard, next))
    } else if shard + 1 >= nr {
        Err(0)
    } else if budget == 0 {
        Err(join_cursor(shard + 1, 0))
    } else {
        Ok(shard + 1)
    }
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
///
/// Walks the selected DB shard after shard: the cursor holds the shard index in its top 8 bits
/// and that shard's own position below. One call looks at about COUNT keys, moving on to the next
/// shard when one is done, and replies `[next cursor, keys]`; cursor 0 ends the walk. A cursor
/// naming a shard that does not exist ends it too.
fn scan(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let req = ScanArgs::parse(&argv)?;
        let (db, now, nr) = (cx.db, UnixMillis::now(), nr_shards());
        let (mut shard, mut pos) = split_cursor(req.cursor);
        let mut keys = Vec::new();
        let mut budget = req.count;
        let cursor = loop {
            if shard >= nr {
                break 0;
            }
            let filter = req.filter.clone();
            let part = hop(shard, move |ks| {
                scan_shard(ks, db, pos, budget, &filter, now)
            })
            .await;
            keys.extend(part.keys);
            budget = budget.saturating_sub(part.visited);
            match scan_advance(shard, part.next, budget, nr) {
                Ok(s) => (shard, pos) = (s, 0),
                Err(cursor) => break cursor,
            }
        };
        Ok(scan_reply(cursor, keys))
    })
}

/// `[cursor as a bulk string, [keys]]`.
fn scan_reply(cursor: u64, keys: Vec<Bytes>) -> Reply {
    let mut buf = itoa::Buffer::new();
    Reply::Array(vec![
        Reply::bulk_copy(buf.format(cursor).as_bytes()),
        Reply::bulk_array(keys),
    ])
}

// ---------------------------------------------------------------------------------------------
// RANDOMKEY

/// A random live key of DB `db` on this shard, or `None` when it has none. Expired keys met on
/// the way are deleted and counted in `expired`.
pub(crate) fn random_key_shard(ks: &mut Keyspace, db: usize, now: UnixMillis) -> Option<Bytes> {
    let d = &mut ks.dbs[db];
    let before = d.volatile_len();
    let key = d.random_key(now);
    let reclaimed = before.saturating_sub(d.volatile_len());
    ks.stats.expired += reclaimed as u64;
    key
}

/// RANDOMKEY
///
/// A random key of the selected DB, or nil when it is empty. Starts at a random shard and moves
/// on while shards are empty: shards hold similar numbers of keys, so the pick is close to fair
/// and costs one hop on a populated DB.
fn randomkey(cx: AsyncCtx, _argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let (db, now, nr) = (cx.db, UnixMillis::now(), nr_shards());
        let start = rand::thread_rng().gen_range(0..nr);
        for shard in (0..nr).map(|i| (start + i) % nr) {
            if let Some(key) = hop(shard, move |ks| random_key_shard(ks, db, now)).await {
                return Ok(Reply::Bulk(key));
            }
        }
        Ok(Reply::Nil)
    })
}

// ---------------------------------------------------------------------------------------------
// DBSIZE, FLUSHDB, FLUSHALL

/// DBSIZE
///
/// The number of keys in the selected DB over all shards, counting expired keys not yet
/// reclaimed, as Redis does.
fn dbsize(cx: AsyncCtx, _argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let db = cx.db;
        let tx = MultiShard::lock_all().await;
        let sizes = tx.run_each(move |ks| ks.dbs[db].len()).await;
        Ok(Reply::Int(sizes.into_iter().sum::<usize>() as i64))
    })
}

/// How a flush frees memory, as asked: `[ASYNC | SYNC]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FlushMode {
    /// No argument: `lazyfree-lazy-user-flush` decides.
    Default,
    /// SYNC.
    Sync,
    /// ASYNC.
    Async,
}

/// Parses FLUSHDB's and FLUSHALL's only optional argument; anything else is a syntax error.
fn parse_flush_mode(argv: &[Bytes]) -> Result<FlushMode, CmdError> {
    match argv {
        [_] => Ok(FlushMode::Default),
        [_, m] if m.eq_ignore_ascii_case(b"sync") => Ok(FlushMode::Sync),
        [_, m] if m.eq_ignore_ascii_case(b"async") => Ok(FlushMode::Async),
        _ => Err(CmdError::Syntax),
    }
}

/// Deletes every key of DB `db` (`Some`) or of every DB (`None`) on this shard, and counts each
/// deleted key as a change, as Redis does. Returns how many keys it deleted.
pub(crate) fn flush_shard(ks: &mut Keyspace, db: Option<usize>) -> u64 {
    crate::server::watch::touch_existing(ks, db);
    let mut removed = 0;
    for (i, d) in ks.dbs.iter_mut().enumerate() {
        if db.is_none_or(|db| db == i) {
            removed += d.len() as u64;
            d.clear();
        }
    }
    ks.stats.dirty += removed;
    removed
}

/// FLUSHDB [ASYNC | SYNC]
///
/// Deletes every key of the selected DB on every shard, atomically. Always propagated, even when
/// the DB was empty.
fn flushdb(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(flush(argv, Some(cx.db), cx.db))
}

/// FLUSHALL [ASYNC | SYNC]
///
/// Deletes every key of every DB on every shard, atomically. Always propagated, even when the
/// dataset was empty. As in Redis, a running snapshot child is killed and, with save points
/// configured, the empty dataset is saved before the shards are released.
fn flushall(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(flush(argv, None, cx.db))
}

/// Serves FLUSHDB (`db` is the selected DB) and FLUSHALL (`db` is `None`); `selected` is the
/// caller's DB. ASYNC is accepted and frees like SYNC: each shard frees its own keys inline
/// while every shard is held, so no client sees a half-flushed dataset. Propagated as sent.
async fn flush(argv: Vec<Bytes>, db: Option<usize>, selected: usize) -> CmdResult {
    let _mode = parse_flush_mode(&argv)?;
    let tx = MultiShard::lock_all().await;
    tx.run_each(move |ks| flush_shard(ks, db)).await;
    tx.propagate(db.unwrap_or(selected), argv);
    if db.is_none() {
        crate::persistence::after_flushall(&tx).await;
    }
    Ok(Reply::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::session::{args, NOW};
    use crate::storage::clock::Deadline;
    use crate::storage::db::Entry;
    use crate::storage::value::Value;

    fn shard_with(keys: &[&str]) -> Keyspace {
        let mut ks = Keyspace::new(16);
        for k in keys {
            ks.dbs[0].insert(
                Bytes::copy_from_slice(k.as_bytes()),
                Entry::new(Value::Str(Bytes::from_static(b"v").into())),
            );
        }
        ks
    }

    fn expire_now(ks: &mut Keyspace, key: &str) {
        ks.dbs[0].set_deadline(key.as_bytes(), Some(Deadline::at_ms(NOW - 1)));
    }

    fn sorted(mut v: Vec<Bytes>) -> Vec<Bytes> {
        v.sort();
        v
    }

    #[test]
    fn keys_match_the_glob_and_skip_expired_keys() {
        let mut ks = shard_with(&["one", "two", "three", "old"]);
        expire_now(&mut ks, "old");
        let now = UnixMillis(NOW);
        assert_eq!(sorted(keys_shard(&ks, 0, b"t*", now)), args("three two"));
        assert_eq!(keys_shard(&ks, 0, b"*", now).len(), 3);
        assert_eq!(keys_shard(&ks, 0, b"o?d", now), Vec::<Bytes>::new());
        assert_eq!(ks.dbs[0].len(), 4, "KEYS does not delete");
        assert!(keys_shard(&ks, 1, b"*", now).is_empty());
    }

    #[test]
    fn cursor_parsing_follows_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"007"), Some(7));
        assert_eq!(parse_cursor(b"+5"), Some(5));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_cursor(b" 1"), None);
        assert_eq!(parse_cursor(b"1 "), None);
        assert_eq!(parse_cursor(b"-"), None);
        assert_eq!(parse_cursor(b"0x10"), None);
        assert_eq!(parse_cursor(b"12\0junk"), Some(12));
    }

    #[test]
    fn cursors_carry_the_shard_in_the_top_byte() {
        assert_eq!(split_cursor(join_cursor(3, 12345)), (3, 12345));
        assert_eq!(join_cursor(0, 0), 0);
        assert_eq!(split_cursor(u64::MAX), (255, POS_MASK));
    }

    #[test]
    fn scan_options_parse_in_order() {
        let req = ScanArgs::parse(&args("SCAN 5 MATCH a* COUNT 100 TYPE string")).unwrap();
        assert_eq!(req.cursor, 5);
        assert_eq!(req.count, 100);
        assert_eq!(req.filter.pattern.as_deref(), Some(&b"a*"[..]));
        assert_eq!(req.filter.type_name.as_deref(), Some(&b"string"[..]));
        let req = ScanArgs::parse(&args("SCAN 0 match *")).unwrap();
        assert_eq!((req.count, req.filter), (10, ScanFilter::default()));

        let err = |line: &str| ScanArgs::parse(&args(line)).unwrap_err().message();
        assert_eq!(err("SCAN x COUNT 0"), "ERR invalid cursor");
        assert_eq!(err("SCAN 0 COUNT 0"), "ERR syntax error");
        assert_eq!(err("SCAN 0 COUNT -1"), "ERR syntax error");
        assert_eq!(
            err("SCAN 0 COUNT x"),
            "ERR value is not an integer or out of range"
        );
        assert_eq!(err("SCAN 0 COUNT"), "ERR syntax error");
        assert_eq!(err("SCAN 0 MATCH"), "ERR syntax error");
        assert_eq!(err("SCAN 0 FOO bar"), "ERR syntax error");
    }

    /// Drives a whole SCAN over several shards the way the async wrapper does.
    fn scan_all(shards: &mut [Keyspace], count: usize, filter: &ScanFilter) -> (Vec<Bytes>, usize) {
        let (mut cursor, mut calls, mut out) = (0u64, 0, Vec::new());
        loop {
            calls += 1;
            let (mut shard, mut pos) = split_cursor(cursor);
            let mut budget = count;
            cursor = loop {
                let part = scan_shard(&mut shards[shard], 0, pos, budget, filter, UnixMillis(NOW));
                out.extend(part.keys);
                budget = budget.saturating_sub(part.visited);
                match scan_advance(shard, part.next, budget, shards.len()) {
                    Ok(s) => (shard, pos) = (s, 0),
                    Err(c) => break c,
                }
            };
            if cursor == 0 {
                return (sorted(out), calls);
            }
        }
    }

    #[test]
    fn scan_visits_every_shard_once() {
        let mut shards = vec![
            shard_with(&["a1", "a2", "a3"]),
            shard_with(&[]),
            shard_with(&["c1", "c2"]),
        ];
        let (keys, calls) = scan_all(&mut shards, 2, &ScanFilter::default());
        assert_eq!(keys, args("a1 a2 a3 c1 c2"));
        assert!(calls >= 2, "COUNT 2 needs more than one call for five keys");
        let (keys, calls) = scan_all(&mut shards, 100, &ScanFilter::default());
        assert_eq!(keys.len(), 5);
        assert_eq!(calls, 1, "a large COUNT crosses shards in one call");
    }

    #[test]
    fn scan_filters_by_pattern_type_and_expiry() {
        let mut shards = vec![shard_with(&["a1", "b1", "old"]), shard_with(&["a2"])];
        expire_now(&mut shards[0], "old");
        let filter = ScanFilter {
            pattern: Some(Bytes::from_static(b"a*")),
            type_name: None,
        };
        assert_eq!(scan_all(&mut shards, 10, &filter).0, args("a1 a2"));
        let filter = ScanFilter {
            pattern: None,
            type_name: Some(Bytes::from_static(b"STRING")),
        };
        assert_eq!(scan_all(&mut shards, 10, &filter).0, args("a1 a2 b1"));
        assert_eq!(shards[0].stats.expired, 1, "the expired key was reclaimed");
        assert_eq!(shards[0].dbs[0].len(), 2);
        let filter = ScanFilter {
            pattern: None,
            type_name: Some(Bytes::from_static(b"list")),
        };
        assert!(scan_all(&mut shards, 10, &filter).0.is_empty());
    }

    #[test]
    fn scan_advances_across_shards() {
        assert_eq!(scan_advance(0, 7, 5, 2), Err(join_cursor(0, 7)));
        assert_eq!(scan_advance(0, 0, 5, 2), Ok(1));
        assert_eq!(scan_advance(0, 0, 0, 2), Err(join_cursor(1, 0)));
        assert_eq!(scan_advance(1, 0, 5, 2), Err(0));
    }

    #[test]
    fn scan_reply_is_cursor_then_keys() {
        assert_eq!(
            scan_reply(u64::MAX, vec![Bytes::from_static(b"k")]),
            Reply::Array(vec![
                Reply::bulk_copy(b"18446744073709551615"),
                Reply::bulk_array(vec![Bytes::from_static(b"k")]),
            ])
        );
    }

    #[test]
    fn random_key_skips_and_reclaims_expired_keys() {
        let mut ks = shard_with(&["live", "old"]);
        expire_now(&mut ks, "old");
        for _ in 0..20 {
            assert_eq!(
                random_key_shard(&mut ks, 0, UnixMillis(NOW)).as_deref(),
                Some(&b"live"[..])
            );
        }
        assert!(random_key_shard(&mut ks, 1, UnixMillis(NOW)).is_none());
        let mut ks = shard_with(&["old"]);
        expire_now(&mut ks, "old");
        assert!(random_key_shard(&mut ks, 0, UnixMillis(NOW)).is_none());
        assert_eq!(ks.stats.expired, 1);
    }

    #[test]
    fn flush_modes_are_sync_async_or_nothing() {
        assert_eq!(parse_flush_mode(&args("FLUSHALL")), Ok(FlushMode::Default));
        assert_eq!(
            parse_flush_mode(&args("FLUSHALL sync")),
            Ok(FlushMode::Sync)
        );
        assert_eq!(
            parse_flush_mode(&args("FLUSHDB ASYNC")),
            Ok(FlushMode::Async)
        );
        assert_eq!(
            parse_flush_mode(&args("FLUSHDB LAZY")),
            Err(CmdError::Syntax)
        );
        assert_eq!(
            parse_flush_mode(&args("FLUSHDB ASYNC ASYNC")),
            Err(CmdError::Syntax)
        );
    }

    #[test]
    fn flushdb_clears_one_db_and_flushall_every_db() {
        let mut ks = shard_with(&["a", "b"]);
        ks.dbs[3].insert(
            Bytes::from_static(b"c"),
            Entry::new(Value::Str(Bytes::from_static(b"v").into())),
        );
        assert_eq!(flush_shard(&mut ks, Some(0)), 2);
        assert_eq!((ks.dbs[0].len(), ks.dbs[3].len()), (0, 1));
        assert_eq!(flush_shard(&mut ks, None), 1);
        assert_eq!(ks.dbs[3].len(), 0);
        assert_eq!(ks.stats.dirty, 3);
        assert_eq!(flush_shard(&mut ks, None), 0);
    }
}

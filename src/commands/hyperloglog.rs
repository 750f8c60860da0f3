//! The HyperLogLog family: PFADD, PFCOUNT, PFMERGE.
//!
//! An HLL is a string in Redis's own format (`hyperloglog/hll`), so values move between Tessera
//! and Redis unchanged. This file holds the table and the commands; PFCOUNT over several keys and
//! PFMERGE may span shards, and then read owned copies of every key under one `MultiShard`
//! transaction before the destination is written.
//!
//! Runs on: the executor owning the key(s). Must not: await, or reach another shard outside the
//! spread forms' transaction.

mod hll;

use bytes::Bytes;
use futures_lite::future::BoxedLocal;

use self::hll::HllError;
use super::ctx::{AsyncCtx, ShardCtx};
use super::keys::with_shard_ctx;
use super::table::flags::{DENYOOM, FAST, READONLY, WRITE};
use super::table::{CmdResult, CommandTable, CrossShard, Handler, KeySpec};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::shards::{owner_of, MultiShard};
use crate::storage::clock::UnixMillis;
use crate::storage::db::Entry;
use crate::storage::str_value::StrValue;
use crate::storage::value::Value;

/// Registers the HyperLogLog family. Arity, flags and key positions are those `COMMAND INFO`
/// shows on Redis 7.0.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    use CrossShard::Custom;
    use Handler::Shard;
    const ALL: KeySpec = KeySpec::range(1, -1, 1);

    //           name      arity  flags                          keys                      handler         keys on several shards
    t.add("pfadd",            -2, WRITE | DENYOOM | FAST,        KeySpec::range(1, 1, 1),  Shard(pfadd));
    t.add_cross("pfcount",    -2, READONLY,                      ALL,                      Shard(pfcount), Custom(pfcount_spread));
    t.add_cross("pfmerge",    -2, WRITE | DENYOOM,               ALL,                      Shard(pfmerge), Custom(pfmerge_spread));
}

/// The family's error texts, as Redis 7.0 words them.
mod errors {
    pub const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
    pub const CORRUPT: &str = "INVALIDOBJ Corrupted HLL object detected";
}

impl From<HllError> for CmdError {
    fn from(e: HllError) -> CmdError {
        match e {
            HllError::NotHll => CmdError::custom(errors::NOT_HLL),
            HllError::Corrupt => CmdError::custom(errors::CORRUPT),
        }
    }
}

/// The HLL string an entry holds, taken out for editing (the entry keeps an empty string until
/// [`put_back`] runs). `WrongType` for another type, the not-an-HLL error for a string that is
/// not one.
fn take_hll(e: &mut Entry) -> Result<Vec<u8>, CmdError> {
    let Value::Str(s) = &mut e.value else {
        return Err(CmdError::WrongType);
    };
    hll::validate(s)?;
    Ok(Vec::from(s.take()))
}

/// Stores an edited HLL back at `key` (keeping the TTL).
fn put_back(cx: &mut ShardCtx<'_>, key: &[u8], s: Vec<u8>) {
    if let Some(e) = cx.lookup_write(key) {
        e.value = Value::Str(s.into());
        // Redis edits an HLL in a private raw string: OBJECT ENCODING says `raw` from then on.
        e.str_form = crate::storage::value::StrForm::Edited;
    }
}

/// PFADD key [element ...]
///
/// Adds the elements to the HLL at `key`, creating an empty one when missing. Answers 1 when a
/// register changed (or the key was created), 0 otherwise.
fn pfadd(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let (mut s, mut updated) = match cx.lookup_write(key) {
        Some(e) => (take_hll(e)?, 0u64),
        None => {
            let s = hll::new_sparse();
            cx.db()
                .insert(key.clone(), Entry::new(Value::Str(StrValue::default())));
            (s, 1)
        }
    };
    let mut failed = None;
    for el in &args[2..] {
        match hll::add(&mut s, el) {
            Ok(true) => updated += 1,
            Ok(false) => {}
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    if updated > 0 && failed.is_none() {
        hll::invalidate_cache(&mut s);
    }
    put_back(cx, key, s);
    if let Some(e) = failed {
        return Err(e.into());
    }
    if updated == 0 {
        cx.out.suppress();
    }
    cx.dirty(updated);
    Ok(Reply::Int((updated > 0) as i64))
}

/// PFCOUNT key [key ...]
///
/// The estimated number of distinct elements added to the HLL at `key`, or to the union of
/// several. With one key the estimate is cached in the value's header (a write, counted as a
/// change); with several, nothing is written. Missing keys count as empty HLLs.
fn pfcount(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    if args.len() > 2 {
        let mut values = Vec::with_capacity(args.len() - 1);
        for key in &args[1..] {
            values.push(cx.read_str_bytes(key));
        }
        let (max, _) = union(values)?;
        return Ok(Reply::Int(hll::estimate(&hll::raw_histogram(&max)) as i64));
    }
    let key = &args[1];
    let Some(e) = cx.lookup_read(key) else {
        return Ok(Reply::Int(0));
    };
    let mut s = take_hll(e)?;
    if let Some(n) = hll::cached_count(&s) {
        put_back(cx, key, s);
        cx.out.suppress();
        return Ok(Reply::Int(n as i64));
    }
    let n = match hll::histogram(&s) {
        Ok(h) => hll::estimate(&h),
        Err(err) => {
            put_back(cx, key, s);
            return Err(err.into());
        }
    };
    hll::set_cached_count(&mut s, n);
    put_back(cx, key, s);
    cx.dirty(1);
    Ok(Reply::Int(n as i64))
}

/// The union of HLL values read in key order (missing keys skipped): one byte per register, and
/// whether any value was dense. The first bad value, in key order, decides the error.
fn union(values: Vec<Result<Option<Bytes>, CmdError>>) -> Result<(Vec<u8>, bool), CmdError> {
    let mut max = vec![0u8; hll::REGISTERS];
    let mut dense = false;
    for v in values {
        let Some(s) = v? else { continue };
        hll::validate(&s)?;
        dense |= hll::is_dense(&s);
        hll::merge_into(&mut max, &s)?;
    }
    Ok((max, dense))
}

/// Writes a union into the HLL at `dest` (creating it), turning it dense first when a source was
/// dense, and marks its cache stale. `dest` was among the sources, so it is an HLL or missing.
fn store_union(cx: &mut ShardCtx<'_>, dest: &Bytes, max: &[u8], dense: bool) -> CmdResult {
    let mut s = match cx.lookup_write(dest) {
        Some(e) => take_hll(e)?,
        None => {
            cx.db()
                .insert(dest.clone(), Entry::new(Value::Str(StrValue::default())));
            hll::new_sparse()
        }
    };
    let mut result = Ok(());
    if dense {
        result = hll::sparse_to_dense(&mut s);
    }
    if result.is_ok() {
        for (i, &v) in max.iter().enumerate() {
            if v > 0 {
                if let Err(e) = hll::set_register(&mut s, i, v, hll::SPARSE_MAX_BYTES) {
                    result = Err(e);
                    break;
                }
            }
        }
        hll::invalidate_cache(&mut s);
    }
    put_back(cx, dest, s);
    result?;
    cx.dirty(1);
    Ok(Reply::Ok)
}

/// PFMERGE destkey [sourcekey ...]
///
/// Stores at `destkey` the union of its own HLL (if any) and the sources' HLLs. The destination
/// is sparse unless a source (or itself) was dense, or it outgrows the sparse limit.
fn pfmerge(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let mut values = Vec::with_capacity(args.len() - 1);
    for key in &args[1..] {
        values.push(cx.read_str_bytes(key));
    }
    let (max, dense) = union(values)?;
    store_union(cx, &args[1], &max, dense)
}

/// Reads every key of `keys` (for reading: hits and misses counted) under `tx`, in order.
async fn read_all(
    tx: &MultiShard,
    db: usize,
    now: UnixMillis,
    keys: &[Bytes],
) -> Vec<Result<Option<Bytes>, CmdError>> {
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let key = key.clone();
        let v = tx
            .run(owner_of(&key), move |ks| {
                with_shard_ctx(ks, db, now, |cx| cx.read_str_bytes(&key))
            })
            .await;
        out.push(v);
    }
    out
}

/// PFCOUNT over keys on several shards: a union of owned copies, nothing written.
fn pfcount_spread(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let (db, now) = (cx.db, UnixMillis::now());
        let tx = MultiShard::lock(argv[1..].iter().map(|k| owner_of(k)).collect()).await;
        let values = read_all(&tx, db, now, &argv[1..]).await;
        drop(tx);
        let (max, _) = union(values)?;
        Ok(Reply::Int(hll::estimate(&hll::raw_histogram(&max)) as i64))
    })
}

/// PFMERGE over keys on several shards: reads owned copies of every key, then writes the
/// destination on its shard, all under one transaction.
fn pfmerge_spread(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let (db, now) = (cx.db, UnixMillis::now());
        let tx = MultiShard::lock(argv[1..].iter().map(|k| owner_of(k)).collect()).await;
        let values = read_all(&tx, db, now, &argv[1..]).await;
        let (max, dense) = union(values)?;
        let dest = argv[1].clone();
        let r = tx
            .run(owner_of(&dest), move |ks| {
                with_shard_ctx(ks, db, now, |cx| store_union(cx, &dest, &max, dense))
            })
            .await;
        if r.is_ok() {
            tx.propagate(db, argv);
        }
        r
    })
}

#[cfg(test)]
mod tests {
    use crate::commands::session::*;
    use crate::commands::table::flags::*;
    use crate::protocol::reply::Reply;

    #[test]
    fn the_table_matches_redis_command_info() {
        let info = |name: &str| declared(super::register, name);
        assert_eq!(info("pfadd"), (-2, WRITE | DENYOOM | FAST, 1, 1, 1));
        assert_eq!(info("pfcount"), (-2, READONLY, 1, -1, 1));
        assert_eq!(info("pfmerge"), (-2, WRITE | DENYOOM, 1, -1, 1));
        assert_eq!(registered(super::register), 3);
    }

    #[test]
    fn pfadd_pfcount_and_pfmerge() {
        let mut s = Session::new();
        assert_eq!(s.run("PFADD h a b c"), int(1));
        assert_eq!(s.run("PFADD h a b"), int(0));
        assert_eq!(s.run("PFADD e"), int(1));
        assert_eq!(s.run("PFADD e"), int(0));
        assert_eq!(s.run("PFCOUNT h"), int(3));
        assert_eq!(s.run("PFCOUNT h"), int(3));
        assert_eq!(s.run("PFADD g c d"), int(1));
        assert_eq!(s.run("PFCOUNT h g missing"), int(4));
        assert_eq!(s.run("PFMERGE m h g"), Reply::Ok);
        assert_eq!(s.run("PFCOUNT m"), int(4));
        assert_eq!(s.run("PFCOUNT missing"), int(0));
    }

    #[test]
    fn non_hll_values_are_refused() {
        let mut s = Session::new();
        s.set("str", "hello");
        s.run("LPUSH l x");
        let not_hll = err("WRONGTYPE Key is not a valid HyperLogLog string value.");
        assert_eq!(s.run("PFADD str a"), not_hll);
        assert_eq!(s.run("PFCOUNT str"), not_hll);
        assert_eq!(s.run("PFCOUNT missing str"), not_hll);
        assert_eq!(s.run("PFMERGE d str"), not_hll);
        assert_eq!(
            s.run("PFADD l a"),
            err("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
        assert_eq!(s.run("GET str"), Reply::bulk_copy(b"hello"));
    }
}

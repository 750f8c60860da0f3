//! Commands on named keys of any type: DEL, UNLINK, EXISTS, TOUCH, TYPE, RENAME, RENAMENX, COPY
//! and MOVE.
//!
//! Owns: those handlers, run on the shard that owns their keys, and the cross-shard halves of
//! RENAME, RENAMENX and COPY, which move a value and its deadline between two shards inside one
//! `MultiShard` transaction. Commands over a whole DB (KEYS, SCAN, RANDOMKEY, DBSIZE, FLUSHDB,
//! FLUSHALL) are in `dbwide`; deadlines are in `expire`.
//! Must not: reach another shard's keyspace outside a `MultiShard` transaction.

use bytes::Bytes;
use futures_lite::future::BoxedLocal;

use super::args::parse_i64;
use super::ctx::{AsyncCtx, ShardCtx};
use super::propagation::Propagation;
use super::table::flags::{DENYOOM, FAST, READONLY, WRITE};
use super::table::{CmdResult, CommandTable, CrossShard, Handler, KeySpec};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::shards::{owner_of, MultiShard};
use crate::storage::clock::UnixMillis;
use crate::storage::db::Entry;
use crate::storage::keyspace::Keyspace;

/// Registers DEL, UNLINK, EXISTS, TOUCH, TYPE, RENAME, RENAMENX, COPY and MOVE, then the DB-wide
/// commands of `dbwide`.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    use CrossShard::{Custom, SumInts};
    use Handler::Shard;
    //            name        arity  flags               keys: first, last, step  handler                 spread keys
    t.add_cross("del",         -2,  WRITE,              KeySpec::range(1, -1, 1), Shard(del),             SumInts);
    t.add_cross("unlink",      -2,  WRITE | FAST,       KeySpec::range(1, -1, 1), Shard(unlink),          SumInts);
    t.add_cross("exists",      -2,  READONLY | FAST,    KeySpec::range(1, -1, 1), Shard(exists),          SumInts);
    t.add_cross("touch",       -2,  READONLY | FAST,    KeySpec::range(1, -1, 1), Shard(touch),           SumInts);
    t.add(      "type",         2,  READONLY | FAST,    KeySpec::range(1, 1, 1),  Shard(type_of));
    t.add_cross("rename",       3,  WRITE,              KeySpec::range(1, 2, 1),  Shard(rename),          Custom(rename_spread));
    t.add_cross("renamenx",     3,  WRITE | FAST,       KeySpec::range(1, 2, 1),  Shard(renamenx),        Custom(renamenx_spread));
    t.add_cross("copy",        -3,  WRITE | DENYOOM,    KeySpec::range(1, 2, 1),  Shard(copy),            Custom(copy_spread));
    t.add(      "move",         3,  WRITE | FAST,       KeySpec::range(1, 1, 1),  Shard(move_key));
    super::dbwide::register(t);
}

/// The error Redis calls `sameobjecterr` (MOVE to the same DB, COPY onto itself).
pub(crate) fn same_object() -> CmdError {
    CmdError::custom("ERR source and destination objects are the same")
}

/// Parses a DB index argument (MOVE, COPY … DB): an integer in C `int` range, else "value is not
/// an integer", then below `databases`, else "DB index is out of range".
pub(crate) fn parse_db_index(arg: &[u8], databases: usize) -> Result<usize, CmdError> {
    let id = parse_i64(arg)
        .and_then(|n| i32::try_from(n).ok())
        .ok_or(CmdError::NotInteger)?;
    usize::try_from(id)
        .ok()
        .filter(|&id| id < databases)
        .ok_or(CmdError::DbIndexOutOfRange)
}

/// Runs `f` with a `ShardCtx` over `ks`, for the closures of a command that routes itself:
/// lookups there get the same lazy expiry and statistics as on the single-shard path. Only what
/// `f` records explicitly (`cx.out.replace`) goes to replicas, from here; the piece has no argv
/// of its own, so a command whose pieces record nothing sends itself as a whole from its
/// coordinator (`MultiShard::propagate`).
pub(crate) fn with_shard_ctx<R>(
    ks: &mut Keyspace,
    db: usize,
    now: UnixMillis,
    f: impl FnOnce(&mut ShardCtx<'_>) -> R,
) -> R {
    let dirty = ks.stats.dirty;
    let mut out = Propagation::default();
    let r = f(&mut ShardCtx::new(ks, db, now, &mut out));
    crate::replication::propagate::recorded(db, &out);
    // Which keys `f` changed is not known here; watchers and waiters of the DB take it that
    // any of theirs may have.
    crate::server::key_events::after_command(
        ks,
        db,
        dirty,
        crate::server::key_events::Changed::SomeOf,
    );
    r
}

/// Looks `key` up for writing in DB `db` instead of the selected one (MOVE, COPY … DB): lazy
/// expiry, no hit or miss counted. Returns whether it exists.
fn exists_for_write_in(cx: &mut ShardCtx<'_>, db: usize, key: &[u8]) -> bool {
    let selected = cx.db;
    cx.db = db;
    let found = cx.lookup_write(key).is_some();
    cx.db = selected;
    found
}

// ---------------------------------------------------------------------------------------------
// DEL, UNLINK, EXISTS, TOUCH, TYPE

/// DEL key [key ...]
fn del(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    del_generic(cx, &argv[1..])
}

/// UNLINK key [key ...]
///
/// Same effect and reply as DEL. Redis frees the values on a background thread; a shard frees
/// them inline, which costs the same as DEL.
fn unlink(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    del_generic(cx, &argv[1..])
}

/// Deletes each of `keys` that exists (an expired key counts as absent) and replies with how
/// many it deleted; a key named twice counts once. Serves DEL and UNLINK. Propagates the argv
/// as sent when it deleted anything, nothing otherwise.
fn del_generic(cx: &mut ShardCtx<'_>, keys: &[Bytes]) -> CmdResult {
    let mut deleted = 0;
    for key in keys {
        if cx.lookup_write(key).is_some() {
            cx.db().remove(key);
            deleted += 1;
        }
    }
    if deleted == 0 {
        cx.out.suppress();
    }
    cx.dirty(deleted);
    Ok(Reply::Int(deleted as i64))
}

/// EXISTS key [key ...]
///
/// Counts the keys that exist; a key named twice counts twice.
fn exists(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    Ok(Reply::Int(count_existing(cx, &argv[1..])))
}

/// TOUCH key [key ...]
///
/// Counts the keys that exist. Redis also refreshes their access time; Tessera keeps none yet,
/// so the lookup (lazy expiry, hit and miss statistics) is the whole effect.
fn touch(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    Ok(Reply::Int(count_existing(cx, &argv[1..])))
}

/// Looks each key up for reading and counts those found. Serves EXISTS and TOUCH.
fn count_existing(cx: &mut ShardCtx<'_>, keys: &[Bytes]) -> i64 {
    let mut n = 0;
    for key in keys {
        if cx.lookup_read(key).is_some() {
            n += 1;
        }
    }
    n
}

/// TYPE key
///
/// Replies with the type name as a status (`+string`), or `+none` when the key does not exist.
fn type_of(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let name = cx
        .lookup_read(&argv[1])
        .map_or("none", |e| e.value.type_name());
    Ok(Reply::status(name))
}

// ---------------------------------------------------------------------------------------------
// RENAME, RENAMENX

/// RENAME key newkey
fn rename(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    rename_generic(cx, &argv[1], &argv[2], false)
}

/// RENAMENX key newkey
fn renamenx(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    rename_generic(cx, &argv[1], &argv[2], true)
}

/// The reply of a rename that happened: OK for RENAME, 1 for RENAMENX.
fn renamed(nx: bool) -> Reply {
    if nx {
        Reply::Int(1)
    } else {
        Reply::Ok
    }
}

/// Moves `src`'s value and deadline to `dst` when both live on this shard. Serves RENAME
/// (`nx` false: replaces `dst`, replies OK) and RENAMENX (`nx` true: replies 0 and changes nothing
/// when `dst` exists, else 1). A missing `src` is "no such key" even when `src` == `dst`; renaming
/// an existing key to itself changes nothing and replies OK (RENAME) or 0 (RENAMENX).
/// `rename_across` is the same sequence when the two keys live on different shards.
fn rename_generic(cx: &mut ShardCtx<'_>, src: &Bytes, dst: &Bytes, nx: bool) -> CmdResult {
    rename_check_source(cx, src)?;
    if src == dst {
        cx.out.suppress();
        return Ok(if nx { Reply::Int(0) } else { Reply::Ok });
    }
    // RENAME looks the destination up too, for its lazy expiry, before replacing it.
    if rename_check_dest(cx, dst, nx) {
        cx.out.suppress();
        return Ok(Reply::Int(0));
    }
    let entry = take_entry(cx, src);
    put_entry(cx, dst.clone(), entry);
    Ok(renamed(nx))
}

/// Step one of a rename, on the source's shard: "no such key" unless `src` exists.
fn rename_check_source(cx: &mut ShardCtx<'_>, src: &[u8]) -> Result<(), CmdError> {
    cx.lookup_write(src).map(|_| ()).ok_or(CmdError::NoSuchKey)
}

/// Step two of a rename, on the destination's shard: looks `dst` up (lazy expiry) and returns
/// true when the rename must stop there, i.e. RENAMENX and `dst` exists.
fn rename_check_dest(cx: &mut ShardCtx<'_>, dst: &[u8], nx: bool) -> bool {
    let exists = cx.lookup_write(dst).is_some();
    nx && exists
}

/// Removes `key` and returns its entry. Requires: `key` exists and is live (looked up just before,
/// in the same atomic step or transaction).
fn take_entry(cx: &mut ShardCtx<'_>, key: &[u8]) -> Entry {
    cx.db()
        .remove(key)
        .expect("the key was looked up in this transaction")
}

/// Stores `entry` (value and deadline) under `key` in the selected DB, replacing what was there,
/// and counts one change.
fn put_entry(cx: &mut ShardCtx<'_>, key: Bytes, entry: Entry) {
    cx.db().insert(key, entry);
    cx.dirty(1);
}

/// RENAME whose two keys live on different shards.
fn rename_spread(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(rename_across(cx, argv, false))
}

/// RENAMENX whose two keys live on different shards.
fn renamenx_spread(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(rename_across(cx, argv, true))
}

/// `rename_generic` for two keys on two shards, atomic under a transaction on both. The value and
/// its deadline leave the source shard in one hop and land on the destination's in the next.
/// RENAMENX checks the destination before it takes the source, so a refusal changes nothing.
/// The two keys differ (they hash to different shards), so the same-key rule never applies.
async fn rename_across(cx: AsyncCtx, argv: Vec<Bytes>, nx: bool) -> CmdResult {
    let (src, dst) = (argv[1].clone(), argv[2].clone());
    let (from, to) = (owner_of(&src), owner_of(&dst));
    let (db, now) = (cx.db, UnixMillis::now());
    let tx = MultiShard::lock(vec![from, to]).await;

    let key = src.clone();
    let taken = tx
        .run(from, move |ks| {
            with_shard_ctx(ks, db, now, |cx| {
                rename_check_source(cx, &key)?;
                Ok::<_, CmdError>((!nx).then(|| take_entry(cx, &key)))
            })
        })
        .await?;

    let key = dst.clone();
    let stop = tx
        .run(to, move |ks| {
            with_shard_ctx(ks, db, now, |cx| rename_check_dest(cx, &key, nx))
        })
        .await;
    if stop {
        return Ok(Reply::Int(0));
    }

    let entry = match taken {
        Some(entry) => entry,
        None => {
            tx.run(from, move |ks| {
                with_shard_ctx(ks, db, now, |cx| take_entry(cx, &src))
            })
            .await
        }
    };
    tx.run(to, move |ks| {
        with_shard_ctx(ks, db, now, |cx| put_entry(cx, dst, entry))
    })
    .await;
    tx.propagate(db, argv);
    Ok(renamed(nx))
}

// ---------------------------------------------------------------------------------------------
// COPY, MOVE

/// The options of COPY: `[DB destination-db] [REPLACE]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CopyArgs {
    /// The DB the copy lands in; the selected one by default.
    dst_db: usize,
    /// Overwrite an existing destination.
    replace: bool,
}

impl CopyArgs {
    /// Parses `argv[3..]` in order, so the first bad option decides the error: a DB index is
    /// checked (integer, then range) as soon as it is read.
    fn parse(argv: &[Bytes], selected: usize, databases: usize) -> Result<CopyArgs, CmdError> {
        let mut req = CopyArgs {
            dst_db: selected,
            replace: false,
        };
        let mut i = 3;
        while i < argv.len() {
            let opt = &argv[i];
            if opt.eq_ignore_ascii_case(b"replace") {
                req.replace = true;
            } else if opt.eq_ignore_ascii_case(b"db") && i + 1 < argv.len() {
                req.dst_db = parse_db_index(&argv[i + 1], databases)?;
                i += 1;
            } else {
                return Err(CmdError::Syntax);
            }
            i += 1;
        }
        Ok(req)
    }
}

/// COPY source destination [DB destination-db] [REPLACE]
///
/// Copies the value and deadline of `source` to `destination` (in the selected DB or in
/// `destination-db`). Replies 1 when it copied, 0 when `source` is missing or `destination`
/// exists without REPLACE. Copying a key onto itself in the same DB is an error.
fn copy(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let req = CopyArgs::parse(argv, cx.db, cx.ks.dbs.len())?;
    let (src, dst) = (&argv[1], &argv[2]);
    if req.dst_db == cx.db && src == dst {
        return Err(same_object());
    }
    let Some(entry) = copy_read_source(cx, src) else {
        cx.out.suppress();
        return Ok(Reply::Int(0));
    };
    let copied = copy_put(cx, req, dst.clone(), entry);
    if !copied {
        cx.out.suppress();
    }
    Ok(Reply::Int(copied as i64))
}

/// Step one of COPY, on the source's shard: a copy of the source's entry, or `None`. A read
/// lookup, as Redis does it (counts a hit or a miss).
fn copy_read_source(cx: &mut ShardCtx<'_>, src: &[u8]) -> Option<Entry> {
    cx.lookup_read(src).map(|e| e.clone())
}

/// Step two of COPY, on the destination's shard: stores `entry` under `dst` in `req.dst_db`
/// unless `dst` exists there and REPLACE is absent. Returns whether it stored.
fn copy_put(cx: &mut ShardCtx<'_>, req: CopyArgs, dst: Bytes, entry: Entry) -> bool {
    if exists_for_write_in(cx, req.dst_db, &dst) && !req.replace {
        return false;
    }
    cx.ks.dbs[req.dst_db].insert(dst, entry);
    cx.dirty(1);
    true
}

/// COPY whose two keys live on different shards.
fn copy_spread(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(copy_across(cx, argv))
}

/// `copy` for two keys on two shards, atomic under a transaction on both. The options are parsed
/// in the first hop, where the number of DBs is known; the keys differ, so the same-object rule
/// never applies.
async fn copy_across(cx: AsyncCtx, argv: Vec<Bytes>) -> CmdResult {
    let (from, to) = (owner_of(&argv[1]), owner_of(&argv[2]));
    let (db, now) = (cx.db, UnixMillis::now());
    let dst = argv[2].clone();
    let tx = MultiShard::lock(vec![from, to]).await;

    let whole = argv.clone();
    let (req, entry) = tx
        .run(from, move |ks| {
            let req = CopyArgs::parse(&argv, db, ks.dbs.len())?;
            let entry = with_shard_ctx(ks, db, now, |cx| copy_read_source(cx, &argv[1]));
            Ok::<_, CmdError>((req, entry))
        })
        .await?;
    let Some(entry) = entry else {
        return Ok(Reply::Int(0));
    };
    let copied = tx
        .run(to, move |ks| {
            with_shard_ctx(ks, db, now, |cx| copy_put(cx, req, dst, entry))
        })
        .await;
    if copied {
        tx.propagate(db, whole);
    }
    Ok(Reply::Int(copied as i64))
}

/// MOVE key db
///
/// Moves `key` with its deadline from the selected DB to DB `db` of the same shard. Replies 1 when
/// it moved, 0 when `key` is missing or already exists in `db`. The index is checked before the
/// key: not an integer, out of range, then the same DB as the selected one are errors.
fn move_key(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let key = &argv[1];
    let dst_db = parse_db_index(&argv[2], cx.ks.dbs.len())?;
    if dst_db == cx.db {
        return Err(same_object());
    }
    if cx.lookup_write(key).is_none() || exists_for_write_in(cx, dst_db, key) {
        cx.out.suppress();
        return Ok(Reply::Int(0));
    }
    let entry = take_entry(cx, key);
    cx.ks.dbs[dst_db].insert(key.clone(), entry);
    cx.dirty(1);
    Ok(Reply::Int(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::session::*;
    use crate::storage::value::Value;

    #[test]
    fn del_counts_each_existing_key_once() {
        let mut s = Session::new();
        s.set("a", "1");
        s.set("b", "2");
        assert_eq!(s.run("DEL a b c a"), int(2));
        assert_eq!(s.out, Propagation::AsIs);
        assert_eq!(s.run("EXISTS a b"), int(0));
        assert_eq!(s.ks.stats.dirty, 2);
    }

    #[test]
    fn del_of_nothing_propagates_nothing() {
        let mut s = Session::new();
        assert_eq!(s.run("DEL nope"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("UNLINK nope"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.ks.stats.dirty, 0);
    }

    #[test]
    fn del_treats_an_expired_key_as_absent() {
        let mut s = Session::new();
        s.set_until("k", "v", NOW - 1);
        assert_eq!(s.run("DEL k"), int(0));
        assert_eq!(s.ks.stats.expired, 1);
        assert!(!s.stored(0, "k"));
    }

    #[test]
    fn unlink_deletes_like_del() {
        let mut s = Session::new();
        s.set("a", "1");
        assert_eq!(s.run("UNLINK a"), int(1));
        assert_eq!(s.run("TYPE a"), status("none"));
    }

    #[test]
    fn exists_counts_repeats_and_hits() {
        let mut s = Session::new();
        s.set("a", "1");
        assert_eq!(s.run("EXISTS a a b"), int(2));
        assert_eq!((s.ks.stats.hits, s.ks.stats.misses), (2, 1));
        assert_eq!(s.run("TOUCH a b"), int(1));
    }

    #[test]
    fn type_names_the_value_or_none() {
        let mut s = Session::new();
        s.set("a", "1");
        assert_eq!(s.run("TYPE a"), status("string"));
        assert_eq!(s.run("TYPE b"), status("none"));
        s.set_until("old", "v", NOW - 5);
        assert_eq!(s.run("TYPE old"), status("none"));
        assert_eq!(
            s.run("TYPE a b"),
            err("ERR wrong number of arguments for 'type' command")
        );
    }

    #[test]
    fn rename_moves_value_and_deadline() {
        let mut s = Session::new();
        s.set_until("a", "1", NOW + 5000);
        s.set("b", "old");
        assert_eq!(s.run("RENAME a b"), ok());
        assert_eq!(s.out, Propagation::AsIs);
        assert_eq!(s.run("EXISTS a"), int(0));
        assert_eq!(s.deadline("b"), Some(NOW + 5000));
        assert_eq!(s.ks.stats.dirty, 1);
    }

    #[test]
    fn rename_drops_the_destination_deadline() {
        let mut s = Session::new();
        s.set("a", "1");
        s.set_until("b", "2", NOW + 5000);
        assert_eq!(s.run("RENAME a b"), ok());
        assert_eq!(s.deadline("b"), None);
    }

    #[test]
    fn rename_of_a_missing_key_is_an_error_even_onto_itself() {
        let mut s = Session::new();
        assert_eq!(s.run("RENAME a b"), err("ERR no such key"));
        assert_eq!(s.run("RENAME a a"), err("ERR no such key"));
        assert_eq!(s.run("RENAMENX a b"), err("ERR no such key"));
        s.set_until("gone", "v", NOW - 1);
        assert_eq!(s.run("RENAME gone b"), err("ERR no such key"));
    }

    #[test]
    fn rename_onto_itself_changes_nothing() {
        let mut s = Session::new();
        s.set("a", "1");
        assert_eq!(s.run("RENAME a a"), ok());
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("RENAMENX a a"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("EXISTS a"), int(1));
        assert_eq!(s.ks.stats.dirty, 0);
    }

    #[test]
    fn renamenx_refuses_an_existing_destination() {
        let mut s = Session::new();
        s.set("a", "1");
        s.set("b", "2");
        assert_eq!(s.run("RENAMENX a b"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("EXISTS a b"), int(2));
        assert_eq!(s.run("RENAMENX a c"), int(1));
        assert_eq!(s.run("EXISTS a c"), int(1));
    }

    #[test]
    fn renamenx_over_an_expired_destination_succeeds() {
        let mut s = Session::new();
        s.set("a", "1");
        s.set_until("b", "2", NOW - 1);
        assert_eq!(s.run("RENAMENX a b"), int(1));
        assert_eq!(s.deadline("b"), None);
    }

    /// The cross-shard sequence, run step by step on two bare shards.
    fn rename_between(a: &mut Keyspace, b: &mut Keyspace, nx: bool) -> CmdResult {
        let now = UnixMillis(NOW);
        let (src, dst) = (Bytes::from("src"), Bytes::from("dst"));
        let taken = with_shard_ctx(a, 0, now, |cx| {
            rename_check_source(cx, &src)?;
            Ok::<_, CmdError>((!nx).then(|| take_entry(cx, &src)))
        })?;
        if with_shard_ctx(b, 0, now, |cx| rename_check_dest(cx, &dst, nx)) {
            return Ok(Reply::Int(0));
        }
        let entry = taken.unwrap_or_else(|| with_shard_ctx(a, 0, now, |cx| take_entry(cx, &src)));
        with_shard_ctx(b, 0, now, |cx| put_entry(cx, dst, entry));
        Ok(renamed(nx))
    }

    fn string(v: &str) -> Entry {
        Entry::new(Value::Str(Bytes::copy_from_slice(v.as_bytes()).into()))
    }

    #[test]
    fn rename_across_shards_moves_the_entry() {
        let (mut a, mut b) = (Keyspace::new(16), Keyspace::new(16));
        let mut e = string("v");
        e.deadline = Some(crate::storage::clock::Deadline::at_ms(NOW + 10));
        a.dbs[0].insert(Bytes::from("src"), e.clone());
        assert_eq!(rename_between(&mut a, &mut b, false), Ok(Reply::Ok));
        assert!(a.dbs[0].is_empty());
        assert_eq!(b.dbs[0].peek(b"dst", UnixMillis(NOW)), Some(&e));
        assert_eq!((a.stats.dirty, b.stats.dirty), (0, 1));
        assert_eq!(
            rename_between(&mut a, &mut b, false),
            Err(CmdError::NoSuchKey)
        );
    }

    #[test]
    fn renamenx_across_shards_leaves_both_when_refused() {
        let (mut a, mut b) = (Keyspace::new(16), Keyspace::new(16));
        a.dbs[0].insert(Bytes::from("src"), string("1"));
        b.dbs[0].insert(Bytes::from("dst"), string("2"));
        assert_eq!(rename_between(&mut a, &mut b, true), Ok(Reply::Int(0)));
        assert_eq!(a.dbs[0].len() + b.dbs[0].len(), 2);
        b.dbs[0].clear();
        assert_eq!(rename_between(&mut a, &mut b, true), Ok(Reply::Int(1)));
        assert!(a.dbs[0].is_empty());
    }

    #[test]
    fn copy_duplicates_value_and_deadline() {
        let mut s = Session::new();
        s.set_until("a", "1", NOW + 100);
        assert_eq!(s.run("COPY a b"), int(1));
        assert_eq!(s.out, Propagation::AsIs);
        assert_eq!(s.deadline("b"), Some(NOW + 100));
        assert_eq!(s.run("EXISTS a b"), int(2));
    }

    #[test]
    fn copy_needs_replace_to_overwrite() {
        let mut s = Session::new();
        s.set("a", "1");
        s.set_until("b", "2", NOW + 100);
        assert_eq!(s.run("COPY a b"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("COPY a b replace"), int(1));
        assert_eq!(s.deadline("b"), None);
        assert_eq!(s.run("COPY nope b REPLACE"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
    }

    #[test]
    fn copy_to_another_db() {
        let mut s = Session::new();
        s.set("a", "1");
        assert_eq!(s.run("COPY a a DB 3"), int(1));
        assert!(s.stored(3, "a"));
        assert_eq!(s.run("COPY a a DB 3"), int(0));
        assert_eq!(s.run("COPY a a db 3 REPLACE"), int(1));
    }

    #[test]
    fn copy_errors_follow_argument_order() {
        let mut s = Session::new();
        s.set("a", "1");
        assert_eq!(
            s.run("COPY a a"),
            err("ERR source and destination objects are the same")
        );
        assert_eq!(
            s.run("COPY a a DB 0"),
            err("ERR source and destination objects are the same")
        );
        assert_eq!(s.run("COPY a b DB 16"), err("ERR DB index is out of range"));
        assert_eq!(s.run("COPY a b DB -1"), err("ERR DB index is out of range"));
        assert_eq!(
            s.run("COPY a b DB x"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            s.run("COPY a b DB 4294967296"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(s.run("COPY a b DB"), err("ERR syntax error"));
        assert_eq!(s.run("COPY a b FOO DB 99"), err("ERR syntax error"));
        assert_eq!(
            s.run("COPY a b DB 99 FOO"),
            err("ERR DB index is out of range")
        );
        assert_eq!(
            s.run("COPY a"),
            err("ERR wrong number of arguments for 'copy' command")
        );
    }

    #[test]
    fn move_goes_between_dbs_of_the_shard() {
        let mut s = Session::new();
        s.set_until("k", "v", NOW + 100);
        assert_eq!(s.run("MOVE k 1"), int(1));
        assert!(!s.stored(0, "k"));
        s.db = 1;
        assert_eq!(s.deadline("k"), Some(NOW + 100));
        assert_eq!(s.ks.stats.dirty, 1);
    }

    #[test]
    fn move_refuses_when_missing_or_taken() {
        let mut s = Session::new();
        assert_eq!(s.run("MOVE k 1"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        s.set("k", "v");
        s.db = 1;
        s.set("k", "other");
        s.db = 0;
        assert_eq!(s.run("MOVE k 1"), int(0));
        assert!(s.stored(0, "k"));
    }

    #[test]
    fn move_checks_the_index_before_the_key() {
        let mut s = Session::new();
        assert_eq!(
            s.run("MOVE k 0"),
            err("ERR source and destination objects are the same")
        );
        assert_eq!(s.run("MOVE k 16"), err("ERR DB index is out of range"));
        assert_eq!(
            s.run("MOVE k one"),
            err("ERR value is not an integer or out of range")
        );
    }

    #[test]
    fn db_indexes_are_c_ints_below_databases() {
        assert_eq!(parse_db_index(b"15", 16), Ok(15));
        assert_eq!(parse_db_index(b"16", 16), Err(CmdError::DbIndexOutOfRange));
        assert_eq!(
            parse_db_index(b"-2147483648", 16),
            Err(CmdError::DbIndexOutOfRange)
        );
        assert_eq!(parse_db_index(b"2147483648", 16), Err(CmdError::NotInteger));
        assert_eq!(parse_db_index(b" 1", 16), Err(CmdError::NotInteger));
    }
}

//! The hash family's command table, its read commands, and the helpers its files share.
//!
//! The commands that write live in `hashes_write` (HSET, HMSET, HSETNX, HDEL, HINCRBY,
//! HINCRBYFLOAT), the ones that walk a hash in `hashes_walk` (HRANDFIELD, HSCAN), and the long
//! double arithmetic HINCRBYFLOAT needs in `long_double`. The value type and its encodings
//! are `storage::hash`.
//!
//! Runs on: the executor owning the key. Must not: await, or reach another shard; every hash
//! command has one key.

use bytes::Bytes;

use super::ctx::ShardCtx;
use super::hashes_walk::{hrandfield, hscan};
use super::hashes_write::{hdel, hincrby, hincrbyfloat, hmset, hset, hsetnx};
use super::table::flags::{DENYOOM, FAST, READONLY, WRITE};
use super::table::{CmdResult, CommandTable, Handler, KeySpec};
use crate::protocol::encoder;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::storage::db::Entry;
use crate::storage::hash::HashValue;
use crate::storage::value::Value;

/// Registers the hash family. Arity, flags and key positions are those `COMMAND INFO` shows on
/// Redis 7.0.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    use Handler::Shard;
    const KEY: KeySpec = KeySpec::range(1, 1, 1);

    //     name            arity  flags                      keys  handler
    t.add("hset",            -4, WRITE | DENYOOM | FAST,    KEY,  Shard(hset));
    t.add("hmset",           -4, WRITE | DENYOOM | FAST,    KEY,  Shard(hmset));
    t.add("hsetnx",           4, WRITE | DENYOOM | FAST,    KEY,  Shard(hsetnx));
    t.add("hget",             3, READONLY | FAST,           KEY,  Shard(hget));
    t.add("hmget",           -3, READONLY | FAST,           KEY,  Shard(hmget));
    t.add("hdel",            -3, WRITE | FAST,              KEY,  Shard(hdel));
    t.add("hlen",             2, READONLY | FAST,           KEY,  Shard(hlen));
    t.add("hstrlen",          3, READONLY | FAST,           KEY,  Shard(hstrlen));
    t.add("hexists",          3, READONLY | FAST,           KEY,  Shard(hexists));
    t.add("hkeys",            2, READONLY,                  KEY,  Shard(hkeys));
    t.add("hvals",            2, READONLY,                  KEY,  Shard(hvals));
    t.add("hgetall",          2, READONLY,                  KEY,  Shard(hgetall));
    t.add("hincrby",          4, WRITE | DENYOOM | FAST,    KEY,  Shard(hincrby));
    t.add("hincrbyfloat",     4, WRITE | DENYOOM | FAST,    KEY,  Shard(hincrbyfloat));
    t.add("hrandfield",      -2, READONLY,                  KEY,  Shard(hrandfield));
    t.add("hscan",           -3, READONLY,                  KEY,  Shard(hscan));
}

/// The hash at `key` for a read command: `Ok(None)` when absent, `WrongType` when the key holds
/// another type. Counts a keyspace hit or miss.
pub(super) fn read_hash<'c>(
    cx: &'c mut ShardCtx<'_>,
    key: &[u8],
) -> Result<Option<&'c HashValue>, CmdError> {
    match cx.lookup_read(key) {
        None => Ok(None),
        Some(Entry {
            value: Value::Hash(h),
            ..
        }) => Ok(Some(h)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// Runs `f` on the hash at `key` for a write command; the routine every hash write goes through.
///
/// An absent key is created as an empty hash when `create` is set, and `f` gets `None` when it
/// is not. `WrongType` when the key holds another type (checked before `f` runs). Side effect:
/// a hash that `f` leaves empty (all its fields deleted, or a new one `f` did not fill because it
/// failed) is deleted with its key, so an empty hash is never stored.
pub(super) fn write_hash<T>(
    cx: &mut ShardCtx<'_>,
    key: &Bytes,
    create: bool,
    f: impl FnOnce(Option<&mut HashValue>) -> Result<T, CmdError>,
) -> Result<T, CmdError> {
    let exists = match cx.lookup_write(key) {
        Some(Entry {
            value: Value::Hash(_),
            ..
        }) => true,
        Some(_) => return Err(CmdError::WrongType),
        None => false,
    };
    if !exists {
        if !create {
            return f(None);
        }
        cx.db()
            .insert(key.clone(), Entry::new(Value::Hash(HashValue::new())));
    }
    let Some(Entry {
        value: Value::Hash(h),
        ..
    }) = cx.lookup_write(key)
    else {
        unreachable!("the hash was found or created above");
    };
    let result = f(Some(h));
    if h.is_empty() {
        cx.db().remove(key);
    }
    result
}

/// HGET key field
fn hget(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    Ok(
        match read_hash(cx, &args[1])?.and_then(|h| h.get(&args[2])) {
            Some(v) => Reply::bulk_slice(v),
            None => Reply::Nil,
        },
    )
}

/// HMGET key field [field ...]
///
/// One reply per field, nil for a missing field or key.
fn hmget(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let h = read_hash(cx, &args[1])?;
    Ok(Reply::Array(
        args[2..]
            .iter()
            .map(|f| match h.and_then(|h| h.get(f)) {
                Some(v) => Reply::bulk_slice(v),
                None => Reply::Nil,
            })
            .collect(),
    ))
}

/// HLEN key
fn hlen(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let n = read_hash(cx, &args[1])?.map_or(0, HashValue::len);
    Ok(Reply::Int(n as i64))
}

/// HSTRLEN key field
///
/// The length of the field's value; 0 for a missing field or key.
fn hstrlen(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let n = read_hash(cx, &args[1])?
        .and_then(|h| h.get(&args[2]))
        .map_or(0, <[u8]>::len);
    Ok(Reply::Int(n as i64))
}

/// HEXISTS key field
fn hexists(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let found = read_hash(cx, &args[1])?.is_some_and(|h| h.contains(&args[2]));
    Ok(Reply::Int(i64::from(found)))
}

/// HKEYS key
fn hkeys(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    reply_whole_hash(cx, &args[1], Part::Fields)
}

/// HVALS key
fn hvals(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    reply_whole_hash(cx, &args[1], Part::Values)
}

/// HGETALL key
///
/// A map of every field to its value (a flat array in RESP2); an empty map for a missing key.
fn hgetall(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    reply_whole_hash(cx, &args[1], Part::Both)
}

/// What of every pair a whole-hash read answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Fields,
    Values,
    Both,
}

/// The reply of HKEYS, HVALS or HGETALL for the hash at `key`. Written straight from the hash
/// when the connection's output is at hand (see LRANGE): a reply holding a copy of every field
/// and value costs an allocation for each.
fn reply_whole_hash(cx: &mut ShardCtx<'_>, key: &[u8], part: Part) -> CmdResult {
    let reply_to = cx.reply_to.take();
    let h = read_hash(cx, key)?;
    let pairs = h.into_iter().flat_map(|h| h.iter());
    let Some(to) = reply_to else {
        return Ok(match part {
            Part::Both => Reply::Map(
                pairs
                    .map(|(f, v)| (Reply::bulk_slice(f), Reply::bulk_slice(v)))
                    .collect(),
            ),
            Part::Fields => Reply::bulk_array(pairs.map(|(f, _)| Bytes::copy_from_slice(f))),
            Part::Values => Reply::bulk_array(pairs.map(|(_, v)| Bytes::copy_from_slice(v))),
        });
    };
    let n = h.map_or(0, |h| h.len());
    match part {
        Part::Both => encoder::write_map_len(to.out, n, to.resp),
        Part::Fields | Part::Values => encoder::write_array_len(to.out, n),
    }
    for (f, v) in pairs {
        if part != Part::Values {
            encoder::write_bulk(to.out, f);
        }
        if part != Part::Fields {
            encoder::write_bulk(to.out, v);
        }
    }
    Ok(Reply::Written)
}

/// What the family's tests use: the shared [`Session`](super::session::Session), reply
/// builders, and a way to read a key's encoding.
#[cfg(test)]
pub(super) mod testing {
    pub use crate::commands::session::*;
    use crate::protocol::reply::Reply;

    pub fn bulk(s: &str) -> Reply {
        Reply::bulk_copy(s.as_bytes())
    }

    pub fn nil() -> Reply {
        Reply::Nil
    }

    pub fn bulks(items: &[&str]) -> Reply {
        Reply::Array(items.iter().map(|s| bulk(s)).collect())
    }

    pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use crate::commands::table::flags::*;
    use crate::protocol::reply::Reply;

    #[test]
    fn the_table_matches_redis_command_info() {
        let info = |name: &str| crate::commands::session::declared(super::register, name);
        assert_eq!(info("HSET"), (-4, WRITE | DENYOOM | FAST, 1, 1, 1));
        assert_eq!(info("hdel"), (-3, WRITE | FAST, 1, 1, 1));
        assert_eq!(info("hgetall"), (2, READONLY, 1, 1, 1));
        assert_eq!(info("hmget"), (-3, READONLY | FAST, 1, 1, 1));
        assert_eq!(info("hscan"), (-3, READONLY, 1, 1, 1));
        assert_eq!(info("hrandfield"), (-2, READONLY, 1, 1, 1));
        assert_eq!(crate::commands::session::registered(super::register), 16);
    }

    #[test]
    fn reads_of_a_missing_key_are_empty() {
        let mut s = Session::new();
        assert_eq!(s.run("HGET h f"), nil());
        assert_eq!(s.run("HMGET h a b"), Reply::Array(vec![nil(), nil()]));
        assert_eq!(s.run("HLEN h"), int(0));
        assert_eq!(s.run("HSTRLEN h f"), int(0));
        assert_eq!(s.run("HEXISTS h f"), int(0));
        assert_eq!(s.run("HKEYS h"), bulks(&[]));
        assert_eq!(s.run("HVALS h"), bulks(&[]));
        assert_eq!(s.run("HGETALL h"), Reply::Map(vec![]));
        assert_eq!(s.ks.stats.misses, 8);
    }

    #[test]
    fn reads_see_what_hset_wrote() {
        let mut s = Session::new();
        assert_eq!(s.run("HSET h a 1 b 22"), int(2));
        assert_eq!(s.run("HGET h b"), bulk("22"));
        assert_eq!(
            s.run("HMGET h a x b"),
            Reply::Array(vec![bulk("1"), nil(), bulk("22")])
        );
        assert_eq!(s.run("HLEN h"), int(2));
        assert_eq!(s.run("HSTRLEN h b"), int(2));
        assert_eq!(s.run("HEXISTS h a"), int(1));
        assert_eq!(s.run("HKEYS h"), bulks(&["a", "b"]));
        assert_eq!(s.run("HVALS h"), bulks(&["1", "22"]));
        assert_eq!(
            s.run("HGETALL h"),
            Reply::Map(vec![(bulk("a"), bulk("1")), (bulk("b"), bulk("22"))])
        );
    }

    #[test]
    fn every_command_refuses_a_string_key() {
        let mut s = Session::new();
        s.set("k", "v");
        for line in [
            "HGET k f",
            "HMGET k f",
            "HLEN k",
            "HSTRLEN k f",
            "HEXISTS k f",
            "HKEYS k",
            "HVALS k",
            "HGETALL k",
            "HSET k f v",
            "HMSET k f v",
            "HSETNX k f v",
            "HDEL k f",
            "HINCRBY k f 1",
            "HINCRBYFLOAT k f 1",
            "HRANDFIELD k",
            "HRANDFIELD k 2",
            "HSCAN k 0",
        ] {
            assert_eq!(s.run(line), err(WRONGTYPE), "{line}");
        }
        assert_eq!(s.ks.stats.dirty, 0);
    }
}

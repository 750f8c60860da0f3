//! The set family's command table, its one-key commands, and the helpers its files share.
//!
//! The other commands live next door, one idea per file: `sets/random` (SPOP, SRANDMEMBER),
//! `sets/scan` (SSCAN), `sets/algebra` (SINTER, SUNION, SDIFF, their STORE forms and
//! SINTERCARD) and `sets/smove` (SMOVE).
//!
//! Runs on: the executor owning the key(s). Must not: await, or reach another shard; the commands
//! whose keys may span shards do that in their own async functions, inside a `MultiShard`
//! transaction.

mod algebra;
mod random;
mod scan;
mod smove;

use bytes::Bytes;

use super::ctx::ShardCtx;
use super::table::flags::{DENYOOM, FAST, MOVABLEKEYS, READONLY, WRITE};
use super::table::{CmdResult, CommandTable, CrossShard, Handler, KeySpec};
use crate::protocol::encoder;
use crate::protocol::reply::Reply;
use crate::storage::db::Entry;
use crate::storage::set::{Member, SetValue};
use crate::storage::value::Value;

/// Registers the set family. Arity, flags and key positions are those `COMMAND INFO` shows on
/// Redis 7.0. SINTERCARD finds its keys from its `numkeys` argument, which the key spec cannot
/// say, so it runs as an async command that routes itself.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    use algebra::{
        sdiff, sdiffstore, sinter, sinter_spread, sintercard, sinterstore, sinterstore_spread,
        sdiff_spread, sdiffstore_spread, sunion, sunion_spread, sunionstore, sunionstore_spread,
    };
    use random::{spop, srandmember};
    use scan::sscan;
    use smove::{smove, smove_spread};
    use CrossShard::Custom;
    use Handler::{Async, Shard};
    const ONE: KeySpec = KeySpec::range(1, 1, 1);
    const ALL: KeySpec = KeySpec::range(1, -1, 1);
    const TWO: KeySpec = KeySpec::range(1, 2, 1);

    //     name          arity  flags                    keys           handler
    t.add("sadd",           -3, WRITE | DENYOOM | FAST,  ONE,           Shard(sadd));
    t.add("srem",           -3, WRITE | FAST,            ONE,           Shard(srem));
    t.add("scard",           2, READONLY | FAST,         ONE,           Shard(scard));
    t.add("sismember",       3, READONLY | FAST,         ONE,           Shard(sismember));
    t.add("smismember",     -3, READONLY | FAST,         ONE,           Shard(smismember));
    t.add("smembers",        2, READONLY,                ONE,           Shard(smembers));
    t.add("spop",           -2, WRITE | FAST,            ONE,           Shard(spop));
    t.add("srandmember",    -2, READONLY,                ONE,           Shard(srandmember));
    t.add("sscan",          -3, READONLY,                ONE,           Shard(sscan));
    t.add("sintercard",     -3, READONLY | MOVABLEKEYS,  KeySpec::NONE, Async(sintercard));

    //           name         arity  flags               keys  handler             keys on several shards
    t.add_cross("smove",          4, WRITE | FAST,       TWO,  Shard(smove),       Custom(smove_spread));
    t.add_cross("sinter",        -2, READONLY,           ALL,  Shard(sinter),      Custom(sinter_spread));
    t.add_cross("sunion",        -2, READONLY,           ALL,  Shard(sunion),      Custom(sunion_spread));
    t.add_cross("sdiff",         -2, READONLY,           ALL,  Shard(sdiff),       Custom(sdiff_spread));
    t.add_cross("sinterstore",   -3, WRITE | DENYOOM,    ALL,  Shard(sinterstore), Custom(sinterstore_spread));
    t.add_cross("sunionstore",   -3, WRITE | DENYOOM,    ALL,  Shard(sunionstore), Custom(sunionstore_spread));
    t.add_cross("sdiffstore",    -3, WRITE | DENYOOM,    ALL,  Shard(sdiffstore),  Custom(sdiffstore_spread));
}

// ---------------------------------------------------------------------------------------------
// Helpers the family's files share

/// Deletes `key` when the set it holds has become empty: an empty set is never stored.
pub(super) fn delete_if_empty(cx: &mut ShardCtx<'_>, key: &[u8]) {
    let now = cx.now;
    let empty = cx
        .db()
        .get(key, now)
        .is_some_and(|e| matches!(&e.value, Value::Set(s) if s.is_empty()));
    if empty {
        cx.db().remove(key);
    }
}

/// Stores `set` under `key`, replacing whatever was there (value and deadline). Requires: `set`
/// is not empty.
pub(super) fn store_set(cx: &mut ShardCtx<'_>, key: Bytes, set: SetValue) {
    debug_assert!(!set.is_empty());
    cx.db().insert(key, Entry::new(Value::Set(Box::new(set))));
}

/// A bulk reply per member, as an array (RESP3 too).
pub(super) fn member_array<'a>(members: impl IntoIterator<Item = Member<'a>>) -> Reply {
    Reply::Array(
        members
            .into_iter()
            .map(|m| Reply::Bulk(m.to_bytes()))
            .collect(),
    )
}

/// A bulk reply per member, as a set (an array in RESP2, `~` in RESP3).
pub(super) fn member_set<'a>(members: impl IntoIterator<Item = Member<'a>>) -> Reply {
    Reply::Set(
        members
            .into_iter()
            .map(|m| Reply::Bulk(m.to_bytes()))
            .collect(),
    )
}

/// A command word for a propagated argv (`SREM`, `DEL`).
pub(super) fn word(w: &'static str) -> Bytes {
    Bytes::from_static(w.as_bytes())
}

/// The set family's error replies that have no `CmdError` variant of their own. Each is built
/// here once, so no handler spells an error out.
pub(super) mod errors {
    use crate::protocol::error::CmdError;

    /// SINTERCARD with a `numkeys` that is not a positive integer.
    pub fn numkeys_not_positive() -> CmdError {
        CmdError::custom("ERR numkeys should be greater than 0")
    }

    /// SINTERCARD with a `numkeys` larger than the arguments that follow it.
    pub fn numkeys_past_args() -> CmdError {
        CmdError::custom("ERR Number of keys can't be greater than number of args")
    }

    /// SINTERCARD with a LIMIT that is not a non-negative integer.
    pub fn limit_negative() -> CmdError {
        CmdError::custom("ERR LIMIT can't be negative")
    }

    /// SRANDMEMBER with a count of `i64::MIN`, whose opposite is no `i64`.
    pub fn count_out_of_range() -> CmdError {
        CmdError::custom(
            "ERR value is out of range, value must between -9223372036854775807 and \
             9223372036854775807",
        )
    }

    /// SSCAN with a cursor that is not an unsigned integer.
    pub fn invalid_cursor() -> CmdError {
        CmdError::custom("ERR invalid cursor")
    }
}

// ---------------------------------------------------------------------------------------------
// SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS

/// SADD key member [member ...]
///
/// Adds the members, creating the set when the key is absent; replies with how many were new.
/// Propagates nothing when none was.
fn sadd(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let (key, members) = (&argv[1], &argv[2..]);
    let added = match cx.write_typed(key, Value::as_set_mut)? {
        Some(set) => members.iter().filter(|m| set.insert(m)).count(),
        None => {
            let mut set = SetValue::new();
            let added = members.iter().filter(|m| set.insert(m)).count();
            store_set(cx, key.clone(), set);
            added
        }
    };
    if added == 0 {
        cx.out.suppress();
    }
    cx.dirty(added as u64);
    Ok(Reply::Int(added as i64))
}

/// SREM key member [member ...]
///
/// Removes the members; replies with how many were there. Deletes the key once the set is empty.
fn srem(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let (key, members) = (&argv[1], &argv[2..]);
    let Some(set) = cx.write_typed(key, Value::as_set_mut)? else {
        cx.out.suppress();
        return Ok(Reply::Int(0));
    };
    let mut removed = 0;
    for m in members {
        if set.remove(m) {
            removed += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    delete_if_empty(cx, key);
    if removed == 0 {
        cx.out.suppress();
    }
    cx.dirty(removed);
    Ok(Reply::Int(removed as i64))
}

/// SCARD key
///
/// The number of members; 0 when the key is absent.
fn scard(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let n = cx
        .read_typed(&argv[1], Value::as_set_mut)?
        .map_or(0, |s| s.len());
    Ok(Reply::Int(n as i64))
}

/// SISMEMBER key member
///
/// 1 when `member` belongs to the set, else 0 (also when the key is absent).
fn sismember(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let found = cx
        .read_typed(&argv[1], Value::as_set_mut)?
        .is_some_and(|s| s.contains(&argv[2]));
    Ok(Reply::Int(found as i64))
}

/// SMISMEMBER key member [member ...]
///
/// One 1 or 0 per member, in order; an absent key is an empty set.
fn smismember(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let set = cx.read_typed(&argv[1], Value::as_set_mut)?;
    let flags = argv[2..]
        .iter()
        .map(|m| Reply::Int(set.as_ref().is_some_and(|s| s.contains(m)) as i64))
        .collect();
    Ok(Reply::Array(flags))
}

/// SMEMBERS key
///
/// Every member, as a set reply: integers of an `intset` in ascending order, others in no
/// particular order. Empty when the key is absent.
fn smembers(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let reply_to = cx.reply_to.take();
    let Some(set) = cx.read_typed(&argv[1], Value::as_set_mut)? else {
        return Ok(Reply::Set(Vec::new()));
    };
    // Written straight from the set when the connection's output is at hand (see LRANGE).
    let Some(to) = reply_to else {
        return Ok(member_set(set.iter()));
    };
    encoder::write_set_len(to.out, set.len(), to.resp);
    for m in set.iter() {
        match m {
            Member::Int(i) => encoder::write_bulk_int(to.out, i),
            Member::Str(b) => encoder::write_bulk(to.out, b),
        }
    }
    Ok(Reply::Written)
}

/// What the family's tests use: the shared [`Session`](super::session::Session) and reply
/// builders, plus set-specific ones.
#[cfg(test)]
pub(super) mod testing {
    pub use crate::commands::session::*;
    use crate::protocol::reply::Reply;

    /// The bulk strings of an array or set reply, sorted, for comparing unordered members.
    pub fn sorted(r: Reply) -> Vec<String> {
        let items = match r {
            Reply::Array(v) | Reply::Set(v) => v,
            other => panic!("not an array: {other:?}"),
        };
        let mut out: Vec<String> = items
            .into_iter()
            .map(|i| match i {
                Reply::Bulk(b) => String::from_utf8(b.to_vec()).unwrap(),
                other => panic!("not a bulk string: {other:?}"),
            })
            .collect();
        out.sort();
        out
    }

    /// A bulk string reply.
    pub fn bulk(s: &str) -> Reply {
        Reply::bulk_copy(s.as_bytes())
    }

    /// What OBJECT ENCODING says of `key` (the session runs no subcommands, so it asks the
    /// stored value directly).
    pub fn encoding(s: &mut Session, key: &str) -> Reply {
        let db = &s.ks.dbs[s.db];
        let (_, e) = db
            .iter()
            .find(|(k, _)| &k[..] == key.as_bytes())
            .expect("the key is stored");
        bulk(e.value.encoding_name())
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use crate::commands::propagation::Propagation;
    use crate::commands::table::flags::*;
    use crate::protocol::reply::Reply;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    #[test]
    fn the_table_matches_redis_command_info() {
        let info = |name: &str| crate::commands::session::declared(super::register, name);
        assert_eq!(info("sadd"), (-3, WRITE | DENYOOM | FAST, 1, 1, 1));
        assert_eq!(info("smembers"), (2, READONLY, 1, 1, 1));
        assert_eq!(info("sintercard"), (-3, READONLY | MOVABLEKEYS, 0, 0, 0));
        assert_eq!(info("smove"), (4, WRITE | FAST, 1, 2, 1));
        assert_eq!(info("sdiffstore"), (-3, WRITE | DENYOOM, 1, -1, 1));
        assert_eq!(info("sunion"), (-2, READONLY, 1, -1, 1));
        assert_eq!(info("sscan"), (-3, READONLY, 1, 1, 1));
        assert_eq!(crate::commands::session::registered(super::register), 17);
    }

    #[test]
    fn sadd_counts_new_members_and_creates_the_key() {
        let mut s = Session::new();
        assert_eq!(s.run("SADD k a b a"), int(2));
        assert_eq!(s.out, Propagation::AsIs);
        assert_eq!(s.run("SADD k a"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("SCARD k"), int(2));
        assert_eq!(s.ks.stats.dirty, 2);
        assert_eq!(sorted(s.run("SMEMBERS k")), ["a", "b"]);
    }

    #[test]
    fn srem_deletes_the_key_when_the_set_empties() {
        let mut s = Session::new();
        s.run("SADD k 1 2 3");
        assert_eq!(s.run("SREM k 1 9"), int(1));
        assert_eq!(s.run("SREM k 9"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("SREM k 2 3 2"), int(2));
        assert!(!s.stored(0, "k"));
        assert_eq!(s.run("SREM k 2"), int(0));
    }

    #[test]
    fn membership_on_missing_keys_is_empty() {
        let mut s = Session::new();
        assert_eq!(s.run("SISMEMBER k a"), int(0));
        assert_eq!(s.run("SCARD k"), int(0));
        assert_eq!(
            s.run("SMISMEMBER k a b"),
            Reply::Array(vec![int(0), int(0)])
        );
        assert_eq!(s.run("SMEMBERS k"), Reply::Set(vec![]));
        s.run("SADD k a 1");
        assert_eq!(s.run("SISMEMBER k 1"), int(1));
        assert_eq!(
            s.run("SMISMEMBER k x a 1"),
            Reply::Array(vec![int(0), int(1), int(1)])
        );
    }

    #[test]
    fn every_command_refuses_another_type() {
        let mut s = Session::new();
        s.set("str", "v");
        for line in [
            "SADD str a",
            "SREM str a",
            "SCARD str",
            "SISMEMBER str a",
            "SMISMEMBER str a",
            "SMEMBERS str",
            "SPOP str",
            "SPOP str 2",
            "SRANDMEMBER str",
            "SRANDMEMBER str -2",
            "SSCAN str 0",
            "SINTER str",
            "SUNION str",
            "SDIFF str",
            "SINTERSTORE d str",
            "SMOVE str d a",
        ] {
            assert_eq!(s.run(line), err(WRONGTYPE), "{line}");
        }
    }

    #[test]
    fn encodings_follow_the_members() {
        let mut s = Session::new();
        s.run("SADD ints 1 2 3");
        assert_eq!(encoding(&mut s, "ints"), bulk("intset"));
        s.run("SADD ints x");
        assert_eq!(encoding(&mut s, "ints"), bulk("hashtable"));
        s.run("SADD strs a");
        assert_eq!(encoding(&mut s, "strs"), bulk("hashtable"));
        let many: Vec<String> = (0..513).map(|i| i.to_string()).collect();
        s.run(&format!("SADD big {}", many[..512].join(" ")));
        assert_eq!(encoding(&mut s, "big"), bulk("intset"));
        s.run("SADD big 512");
        assert_eq!(encoding(&mut s, "big"), bulk("hashtable"));
    }

    #[test]
    fn intset_members_come_back_sorted() {
        let mut s = Session::new();
        s.run("SADD k 30 -5 100000 2");
        assert_eq!(
            s.run("SMEMBERS k"),
            Reply::Set(vec![bulk("-5"), bulk("2"), bulk("30"), bulk("100000")])
        );
    }
}

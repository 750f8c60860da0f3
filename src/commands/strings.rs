//! The string family's command table, and the helpers its files share.
//!
//! The commands live next door, one idea per file: `strings_set` (GET, SET, SETNX, SETEX, PSETEX,
//! GETSET, GETEX, GETDEL), `strings_multi` (MGET, MSET, MSETNX), `strings_counters` (INCR, DECR,
//! INCRBY, DECRBY, INCRBYFLOAT), `strings_ranges` (APPEND, STRLEN, GETRANGE, SUBSTR, SETRANGE)
//! and `strings_lcs` (LCS).
//!
//! Runs on: the executor owning the key(s). Must not: await, or reach another shard; the two
//! commands that may span shards (MSETNX, LCS) do that in their own async functions.

use bytes::Bytes;

use super::strings_counters::{decr, decrby, incr, incrby, incrbyfloat};
use super::strings_lcs::{lcs, lcs_spread};
use super::strings_multi::{mget, mset, msetnx, msetnx_spread};
use super::strings_ranges::{append, getrange, setrange, strlen};
use super::strings_set::{get, getdel, getex, getset, psetex, set, setex, setnx};
use super::table::flags::{DENYOOM, FAST, READONLY, WRITE};
use super::table::{CommandTable, CrossShard, Handler, KeySpec};
use crate::protocol::error::CmdError;
use crate::storage::db::Entry;
use crate::storage::str_value::StrValue;
use crate::storage::value::Value;

/// Registers the string family. Arity, flags and key positions are those `COMMAND INFO` shows on
/// Redis 7.0.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    use CrossShard::{AllOk, ArrayInKeyOrder, Custom};
    use Handler::Shard;
    const ONE: KeySpec = KeySpec::range(1, 1, 1);
    const ALL: KeySpec = KeySpec::range(1, -1, 1);
    const PAIRS: KeySpec = KeySpec::range(1, -1, 2);
    const TWO: KeySpec = KeySpec::range(1, 2, 1);

    //     name         arity  flags                      keys   handler
    t.add("get",            2, READONLY | FAST,           ONE,   Shard(get));
    t.add("set",           -3, WRITE | DENYOOM,           ONE,   Shard(set));
    t.add("setnx",          3, WRITE | DENYOOM | FAST,    ONE,   Shard(setnx));
    t.add("setex",          4, WRITE | DENYOOM,           ONE,   Shard(setex));
    t.add("psetex",         4, WRITE | DENYOOM,           ONE,   Shard(psetex));
    t.add("getset",         3, WRITE | DENYOOM | FAST,    ONE,   Shard(getset));
    t.add("getdel",         2, WRITE | FAST,              ONE,   Shard(getdel));
    t.add("getex",         -2, WRITE | FAST,              ONE,   Shard(getex));
    t.add("incr",           2, WRITE | DENYOOM | FAST,    ONE,   Shard(incr));
    t.add("decr",           2, WRITE | DENYOOM | FAST,    ONE,   Shard(decr));
    t.add("incrby",         3, WRITE | DENYOOM | FAST,    ONE,   Shard(incrby));
    t.add("decrby",         3, WRITE | DENYOOM | FAST,    ONE,   Shard(decrby));
    t.add("incrbyfloat",    3, WRITE | DENYOOM | FAST,    ONE,   Shard(incrbyfloat));
    t.add("append",         3, WRITE | DENYOOM | FAST,    ONE,   Shard(append));
    t.add("strlen",         2, READONLY | FAST,           ONE,   Shard(strlen));
    t.add("getrange",       4, READONLY,                  ONE,   Shard(getrange));
    t.add("substr",         4, READONLY,                  ONE,   Shard(getrange)); // alias of GETRANGE
    t.add("setrange",       4, WRITE | DENYOOM,           ONE,   Shard(setrange));

    //           name       arity  flags                  keys   handler         keys on several shards
    t.add_cross("mget",       -2, READONLY | FAST,        ALL,   Shard(mget),    ArrayInKeyOrder);
    t.add_cross("mset",       -3, WRITE | DENYOOM,        PAIRS, Shard(mset),    AllOk);
    t.add_cross("msetnx",     -3, WRITE | DENYOOM,        PAIRS, Shard(msetnx),  Custom(msetnx_spread));
    t.add_cross("lcs",        -3, READONLY,               TWO,   Shard(lcs),     Custom(lcs_spread));
}

/// The string an entry holds, for an in-place edit; `WrongType` when it holds another type.
pub(super) fn string_mut(e: &mut Entry) -> Result<&mut StrValue, CmdError> {
    match &mut e.value {
        Value::Str(b) => Ok(b),
        _ => Err(CmdError::WrongType),
    }
}

/// A command word for a propagated argv (`SET`, `PXAT`, `DEL`…).
pub(super) fn word(w: &'static str) -> Bytes {
    Bytes::from_static(w.as_bytes())
}

/// The decimal form of `n`, as stored or propagated.
pub(super) fn int_bytes(n: i64) -> Bytes {
    Bytes::copy_from_slice(itoa::Buffer::new().format(n).as_bytes())
}

/// What the family's tests use: the shared [`Session`](super::session::Session) and reply
/// builders, plus the two reply shapes string commands answer most.
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
}

#[cfg(test)]
mod tests {
    use crate::commands::table::flags::*;

    #[test]
    fn the_table_matches_redis_command_info() {
        let info = |name: &str| crate::commands::session::declared(super::register, name);
        assert_eq!(info("GET"), (2, READONLY | FAST, 1, 1, 1));
        assert_eq!(info("set"), (-3, WRITE | DENYOOM, 1, 1, 1));
        assert_eq!(info("getex"), (-2, WRITE | FAST, 1, 1, 1));
        assert_eq!(info("getdel"), (2, WRITE | FAST, 1, 1, 1));
        assert_eq!(info("mget"), (-2, READONLY | FAST, 1, -1, 1));
        assert_eq!(info("msetnx"), (-3, WRITE | DENYOOM, 1, -1, 2));
        assert_eq!(info("substr"), (4, READONLY, 1, 1, 1));
        assert_eq!(info("lcs"), (-3, READONLY, 1, 2, 1));
        assert_eq!(info("incrbyfloat"), (3, WRITE | DENYOOM | FAST, 1, 1, 1));
        assert_eq!(crate::commands::session::registered(super::register), 22);
    }
}

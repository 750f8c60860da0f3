//! OBJECT: what the server knows about the value stored at a key.
//!
//! Owns: the OBJECT subcommands. Each runs on the shard owning its key (the key is argument 2)
//! and leaves the key's last access time alone. IDLETIME comes from the access time each entry
//! keeps (in seconds); access frequencies are not tracked, so FREQ answers 0 where Redis would
//! answer its estimate.

use bytes::Bytes;

use super::ctx::ShardCtx;
use super::help::help_reply;
use super::settings;
use super::table::flags::*;
use super::table::{sub, CmdResult, CommandTable, Handler::Shard, KeySpec};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::storage::db::Entry;
use crate::storage::value::Value;

/// Registers OBJECT and its subcommands.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    const KEY: KeySpec = KeySpec::range(2, 2, 1);
    t.add("object", -2, 0, KeySpec::NONE, Shard(container));
    for s in [
        //   name               arity  flags             keys           handler
        sub("object|encoding",     3,  READONLY,         KEY,           Shard(encoding)),
        sub("object|refcount",     3,  READONLY,         KEY,           Shard(refcount)),
        sub("object|idletime",     3,  READONLY,         KEY,           Shard(idletime)),
        sub("object|freq",         3,  READONLY,         KEY,           Shard(freq)),
        sub("object|help",         2,  LOADING | STALE,  KeySpec::NONE, Shard(help)),
    ] {
        t.add_sub("object", s);
    }
}

/// Only reached for a subcommand the table does not hold, which the dispatcher answers first.
fn container(_cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    Err(CmdError::UnknownSubcommand(args[1].clone(), "OBJECT"))
}

/// Runs `f` on the value at `args[2]`, read as a lookup that counts a hit or a miss; a missing
/// key answers nil.
fn with_value(
    cx: &mut ShardCtx<'_>,
    args: &[Bytes],
    f: impl FnOnce(&Value) -> CmdResult,
) -> CmdResult {
    match lookup_untouched(cx, &args[2]) {
        Some(e) => f(&e.value),
        None => Ok(Reply::Nil),
    }
}

/// A read lookup (lazy expiry, hit or miss counted) that leaves the key's last access time
/// alone: OBJECT looks at a key without using it, as in Redis.
fn lookup_untouched<'c>(cx: &'c mut ShardCtx<'_>, key: &[u8]) -> Option<&'c mut Entry> {
    let now = cx.now;
    let before = cx.db().peek(key, now).map(|e| e.touched);
    let e = cx.lookup_read(key)?;
    if let Some(t) = before {
        e.touched = t;
    }
    Some(e)
}

/// OBJECT ENCODING key
fn encoding(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    match lookup_untouched(cx, &args[2]) {
        Some(e) => Ok(Reply::Bulk(Bytes::from_static(
            e.encoding_name().as_bytes(),
        ))),
        None => Ok(Reply::Nil),
    }
}

/// OBJECT REFCOUNT key
///
/// 1, except for what Redis keeps as one of its shared integers (0 to 9999 stored with the
/// `int` encoding while no maxmemory limit asks for unshared values), which report INT_MAX.
fn refcount(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    match lookup_untouched(cx, &args[2]) {
        Some(e) => {
            let shared = e.encoding_name() == "int"
                && (settings::maxmemory() == 0 || !settings::lfu_or_lru_policy())
                && e.value
                    .as_str()
                    .and_then(|b| crate::storage::value::parse_canonical_i64(b))
                    .is_some_and(|n| (0..10_000).contains(&n));
            Ok(Reply::Int(if shared { i32::MAX as i64 } else { 1 }))
        }
        None => Ok(Reply::Nil),
    }
}

/// OBJECT IDLETIME key
///
/// Seconds since the key was last read or written (this lookup does not count as one).
/// Refused under an LFU eviction policy, as in Redis.
fn idletime(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let now = cx.now;
    let idle = cx.db().peek(&args[2], now).map(|e| e.idle_secs(now));
    with_value(cx, args, |_| {
        if settings::lfu_policy() {
            Err(CmdError::LfuSelected)
        } else {
            Ok(Reply::Int(idle.unwrap_or(0) as i64))
        }
    })
}

/// OBJECT FREQ key
///
/// Refused unless the eviction policy is an LFU one, as in Redis; then 0, since access
/// frequencies are not tracked.
fn freq(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    with_value(cx, args, |_| {
        if settings::lfu_policy() {
            Ok(Reply::Int(0))
        } else {
            Err(CmdError::LfuNotSelected)
        }
    })
}

/// OBJECT HELP
fn help(_cx: &mut ShardCtx<'_>, _args: &[Bytes]) -> CmdResult {
    Ok(help_reply(
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the internal representation of the value stored at <key>.",
            "FREQ <key>",
            "    Return the access frequency of <key> (LFU eviction policies only).",
            "IDLETIME <key>",
            "    Return the seconds since <key> was last accessed (not under LFU policies).",
            "REFCOUNT <key>",
            "    Return the number of references to the value stored at <key>.",
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::propagation::Propagation;
    use crate::storage::clock::UnixMillis;
    use crate::storage::db::Entry;
    use crate::storage::keyspace::Keyspace;

    fn run(
        ks: &mut Keyspace,
        f: fn(&mut ShardCtx<'_>, &[Bytes]) -> CmdResult,
        line: &str,
    ) -> CmdResult {
        let args: Vec<Bytes> = line
            .split(' ')
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect();
        let mut out = Propagation::default();
        let mut cx = ShardCtx::new(ks, 0, UnixMillis(1_000), &mut out);
        f(&mut cx, &args)
    }

    #[test]
    fn encoding_names_the_representation_and_counts_a_hit() {
        let mut ks = Keyspace::new(1);
        ks.dbs[0].insert(
            Bytes::from("n"),
            Entry::new(Value::Str(Bytes::from("12").into())),
        );
        ks.dbs[0].insert(
            Bytes::from("s"),
            Entry::new(Value::Str(Bytes::from("hello").into())),
        );
        assert_eq!(
            run(&mut ks, encoding, "OBJECT ENCODING n"),
            Ok(Reply::bulk("int"))
        );
        assert_eq!(
            run(&mut ks, encoding, "OBJECT ENCODING s"),
            Ok(Reply::bulk("embstr"))
        );
        assert_eq!(
            run(&mut ks, encoding, "OBJECT ENCODING nokey"),
            Ok(Reply::Nil)
        );
        assert_eq!((ks.stats.hits, ks.stats.misses), (2, 1));
    }

    #[test]
    fn refcount_is_one_and_missing_keys_are_nil() {
        let mut ks = Keyspace::new(1);
        ks.dbs[0].insert(
            Bytes::from("k"),
            Entry::new(Value::Str(Bytes::from("v").into())),
        );
        assert_eq!(
            run(&mut ks, refcount, "OBJECT REFCOUNT k"),
            Ok(Reply::Int(1))
        );
        assert_eq!(run(&mut ks, refcount, "OBJECT REFCOUNT x"), Ok(Reply::Nil));
    }
}

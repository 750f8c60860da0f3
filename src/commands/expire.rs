//! Key deadlines: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME and
//! PERSIST.
//!
//! Owns: setting, reading and clearing one key's deadline, on the shard that owns the key, and
//! the rewrite that sends every deadline change to replicas as an absolute PEXPIREAT (or as a DEL
//! when the new deadline is already past).
//! Must not: delete keys whose deadline passes later; that is the keyspace's lazy and active
//! expiry (`storage::db`).

use bytes::Bytes;

use super::args::parse_i64;
use super::ctx::ShardCtx;
use super::table::flags::{FAST, READONLY, WRITE};
use super::table::{CmdResult, CommandTable, Handler, KeySpec};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::storage::clock::Deadline;

/// Registers the deadline commands.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    use Handler::Shard;
    //     name           arity  flags              keys: first, last, step  handler
    t.add("expire",         -3,  WRITE | FAST,      KeySpec::range(1, 1, 1), Shard(expire));
    t.add("pexpire",        -3,  WRITE | FAST,      KeySpec::range(1, 1, 1), Shard(pexpire));
    t.add("expireat",       -3,  WRITE | FAST,      KeySpec::range(1, 1, 1), Shard(expireat));
    t.add("pexpireat",      -3,  WRITE | FAST,      KeySpec::range(1, 1, 1), Shard(pexpireat));
    t.add("ttl",             2,  READONLY | FAST,   KeySpec::range(1, 1, 1), Shard(ttl));
    t.add("pttl",            2,  READONLY | FAST,   KeySpec::range(1, 1, 1), Shard(pttl));
    t.add("expiretime",      2,  READONLY | FAST,   KeySpec::range(1, 1, 1), Shard(expiretime));
    t.add("pexpiretime",     2,  READONLY | FAST,   KeySpec::range(1, 1, 1), Shard(pexpiretime));
    t.add("persist",         2,  WRITE | FAST,      KeySpec::range(1, 1, 1), Shard(persist));
}

// ---------------------------------------------------------------------------------------------
// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT

/// How one member of the EXPIRE family reads its time argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ExpireKind {
    /// The lowercase command name, for "invalid expire time in '…' command".
    name: &'static str,
    /// The argument is in seconds (EXPIRE, EXPIREAT), not milliseconds.
    seconds: bool,
    /// The argument counts from now (EXPIRE, PEXPIRE), not from the Unix epoch.
    relative: bool,
}

const EXPIRE: ExpireKind = ExpireKind {
    name: "expire",
    seconds: true,
    relative: true,
};
const PEXPIRE: ExpireKind = ExpireKind {
    name: "pexpire",
    seconds: false,
    relative: true,
};
const EXPIREAT: ExpireKind = ExpireKind {
    name: "expireat",
    seconds: true,
    relative: false,
};
const PEXPIREAT: ExpireKind = ExpireKind {
    name: "pexpireat",
    seconds: false,
    relative: false,
};

/// The condition a new deadline must meet: `[NX | XX | GT | LT]`. A key without a deadline
/// counts as one infinitely far away, so GT never applies to it and LT always does.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct ExpireCondition {
    /// Only when the key has no deadline.
    nx: bool,
    /// Only when the key has a deadline.
    xx: bool,
    /// Only when the new deadline is later than the current one.
    gt: bool,
    /// Only when the new deadline is earlier than the current one.
    lt: bool,
}

impl ExpireCondition {
    /// Parses the options after the time argument, in any order and repeated, then rejects the
    /// combinations Redis rejects.
    fn parse(opts: &[Bytes]) -> Result<ExpireCondition, CmdError> {
        let mut c = ExpireCondition::default();
        for opt in opts {
            match opt.to_ascii_lowercase().as_slice() {
                b"nx" => c.nx = true,
                b"xx" => c.xx = true,
                b"gt" => c.gt = true,
                b"lt" => c.lt = true,
                _ => return Err(unsupported_option(opt)),
            }
        }
        if c.nx && (c.xx || c.gt || c.lt) {
            return Err(CmdError::custom(
                "ERR NX and XX, GT or LT options at the same time are not compatible",
            ));
        }
        if c.gt && c.lt {
            return Err(CmdError::custom(
                "ERR GT and LT options at the same time are not compatible",
            ));
        }
        Ok(c)
    }

    /// Whether a key whose deadline is `current` (Unix ms, `None` = persistent) may take
    /// `when`.
    fn allows(self, current: Option<i64>, when: i64) -> bool {
        !(self.nx && current.is_some()
            || self.xx && current.is_none()
            || self.gt && current.is_none_or(|c| when <= c)
            || self.lt && current.is_some_and(|c| when >= c))
    }
}

/// "Unsupported option …", naming the option as sent (up to a NUL byte, line breaks blanked, as
/// Redis's formatted errors do).
fn unsupported_option(opt: &[u8]) -> CmdError {
    let opt = opt.split(|&b| b == 0).next().unwrap_or_default();
    let text = String::from_utf8_lossy(opt).replace(['\r', '\n'], " ");
    CmdError::custom(format!("ERR Unsupported option {text}"))
}

/// The parsed arguments of the EXPIRE family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ExpireArgs {
    /// The new deadline in Unix milliseconds; negative or past means "delete now".
    when_ms: i64,
    cond: ExpireCondition,
}

impl ExpireArgs {
    /// Parses `key time [options]` for `kind` at `now_ms`. The options are checked before the
    /// time, as in Redis; the time must be an integer whose conversion to milliseconds and
    /// addition to `now_ms` (for the relative forms) stays within i64, else "invalid expire time".
    fn parse(argv: &[Bytes], kind: ExpireKind, now_ms: i64) -> Result<ExpireArgs, CmdError> {
        let cond = ExpireCondition::parse(&argv[3..])?;
        let mut when = parse_i64(&argv[2]).ok_or(CmdError::NotInteger)?;
        let invalid = CmdError::InvalidExpireTime(kind.name);
        if kind.seconds {
            when = when.checked_mul(1000).ok_or(invalid.clone())?;
        }
        if kind.relative {
            when = when.checked_add(now_ms).ok_or(invalid)?;
        }
        Ok(ExpireArgs {
            when_ms: when,
            cond,
        })
    }
}

/// EXPIRE key seconds [NX | XX | GT | LT]
fn expire(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    expire_generic(cx, argv, EXPIRE)
}

/// PEXPIRE key milliseconds [NX | XX | GT | LT]
fn pexpire(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    expire_generic(cx, argv, PEXPIRE)
}

/// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
fn expireat(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    expire_generic(cx, argv, EXPIREAT)
}

/// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
fn pexpireat(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    expire_generic(cx, argv, PEXPIREAT)
}

/// Sets `argv[1]`'s deadline. Serves EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT; `kind` says how
/// the time argument reads. Replies 0 when the key is missing or the condition refuses, and
/// changes nothing then. Otherwise replies 1 and:
/// - a deadline not after now deletes the key, propagated as `DEL key`;
/// - a later one is stored, propagated as `PEXPIREAT key <ms> [options]`, because a relative
///   time would land later on a replica that applies it later.
///
/// Each path that changes the key counts one change.
fn expire_generic(cx: &mut ShardCtx<'_>, argv: &[Bytes], kind: ExpireKind) -> CmdResult {
    let now_ms = i64::try_from(cx.now.0).unwrap_or(i64::MAX);
    let req = ExpireArgs::parse(argv, kind, now_ms)?;
    let key = &argv[1];
    let Some(entry) = cx.lookup_write(key) else {
        cx.out.suppress();
        return Ok(Reply::Int(0));
    };
    let current = entry.deadline.map(deadline_ms);
    if !req.cond.allows(current, req.when_ms) {
        cx.out.suppress();
        return Ok(Reply::Int(0));
    }
    if req.when_ms <= now_ms {
        cx.db().remove(key);
        cx.out
            .replace(vec![Bytes::from_static(b"DEL"), key.clone()]);
    } else {
        let at = Deadline::at_ms(req.when_ms as u64);
        cx.db().set_deadline(key, Some(at));
        if kind != PEXPIREAT {
            let mut buf = itoa::Buffer::new();
            let mut out = vec![
                Bytes::from_static(b"PEXPIREAT"),
                key.clone(),
                Bytes::copy_from_slice(buf.format(req.when_ms).as_bytes()),
            ];
            out.extend_from_slice(&argv[3..]);
            cx.out.replace(out);
        }
    }
    cx.dirty(1);
    Ok(Reply::Int(1))
}

/// A stored deadline as signed Unix milliseconds.
fn deadline_ms(d: Deadline) -> i64 {
    i64::try_from(d.ms()).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------------------------------------
// TTL, PTTL, EXPIRETIME, PEXPIRETIME

/// TTL key
fn ttl(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    ttl_generic(cx, &argv[1], false, false)
}

/// PTTL key
fn pttl(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    ttl_generic(cx, &argv[1], true, false)
}

/// EXPIRETIME key
fn expiretime(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    ttl_generic(cx, &argv[1], false, true)
}

/// PEXPIRETIME key
fn pexpiretime(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    ttl_generic(cx, &argv[1], true, true)
}

/// Reports `key`'s deadline. Serves TTL (`ms` false, `absolute` false: seconds left), PTTL
/// (milliseconds left), EXPIRETIME (Unix seconds) and PEXPIRETIME (Unix milliseconds). Replies
/// -2 when the key is missing and -1 when it has no deadline. Seconds are rounded to the nearest
/// one, and a time left never goes below 0. A read lookup: counts a hit or a miss.
fn ttl_generic(cx: &mut ShardCtx<'_>, key: &[u8], ms: bool, absolute: bool) -> CmdResult {
    let now_ms = i64::try_from(cx.now.0).unwrap_or(i64::MAX);
    let Some(entry) = cx.lookup_read(key) else {
        return Ok(Reply::Int(-2));
    };
    let Some(deadline) = entry.deadline else {
        return Ok(Reply::Int(-1));
    };
    let at = deadline_ms(deadline);
    let t = if absolute { at } else { at - now_ms }.max(0);
    Ok(Reply::Int(if ms {
        t
    } else {
        t.saturating_add(500) / 1000
    }))
}

// ---------------------------------------------------------------------------------------------
// PERSIST

/// PERSIST key
///
/// Removes `key`'s deadline. Replies 1 when it had one, 0 when the key is missing or persistent
/// (and then propagates nothing).
fn persist(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let key = &argv[1];
    let had = cx.lookup_write(key).is_some_and(|e| e.deadline.is_some());
    if !had {
        cx.out.suppress();
        return Ok(Reply::Int(0));
    }
    cx.db().set_deadline(key, None);
    cx.dirty(1);
    Ok(Reply::Int(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::propagation::Propagation;
    use crate::commands::session::*;

    #[test]
    fn expire_sets_a_deadline_and_propagates_pexpireat() {
        let mut s = Session::new();
        s.set("k", "v");
        assert_eq!(s.run("EXPIRE k 100"), int(1));
        assert_eq!(s.deadline("k"), Some(NOW + 100_000));
        assert_eq!(s.out, propagated("PEXPIREAT k 1700000100000"));
        assert_eq!(s.ks.stats.dirty, 1);
        assert_eq!(s.run("TTL k"), int(100));
        assert_eq!(s.run("PTTL k"), int(100_000));
    }

    #[test]
    fn each_form_reads_its_own_unit_and_base() {
        let mut s = Session::new();
        s.set("k", "v");
        assert_eq!(s.run("PEXPIRE k 1500"), int(1));
        assert_eq!(s.deadline("k"), Some(NOW + 1500));
        assert_eq!(s.out, propagated("PEXPIREAT k 1700000001500"));
        assert_eq!(s.run("EXPIREAT k 1800000000"), int(1));
        assert_eq!(s.deadline("k"), Some(1_800_000_000_000));
        assert_eq!(s.out, propagated("PEXPIREAT k 1800000000000"));
        assert_eq!(s.run("PEXPIREAT k 1800000000123"), int(1));
        assert_eq!(s.deadline("k"), Some(1_800_000_000_123));
        assert_eq!(s.out, Propagation::AsIs);
    }

    #[test]
    fn the_rewrite_keeps_the_options() {
        let mut s = Session::new();
        s.set_until("k", "v", NOW + 10);
        assert_eq!(s.run("EXPIRE k 100 xx GT"), int(1));
        assert_eq!(s.out, propagated("PEXPIREAT k 1700000100000 xx GT"));
    }

    #[test]
    fn expire_on_a_missing_key_does_nothing() {
        let mut s = Session::new();
        assert_eq!(s.run("EXPIRE k 100"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        s.set_until("old", "v", NOW - 1);
        assert_eq!(s.run("PEXPIRE old 100"), int(0));
        assert_eq!(s.ks.stats.expired, 1);
        assert_eq!(s.ks.stats.dirty, 0);
    }

    #[test]
    fn a_deadline_in_the_past_deletes_and_propagates_del() {
        let mut s = Session::new();
        s.set("k", "v");
        assert_eq!(s.run("EXPIRE k -1"), int(1));
        assert!(!s.stored(0, "k"));
        assert_eq!(s.out, propagated("DEL k"));
        s.set("k", "v");
        assert_eq!(s.run("PEXPIRE k 0"), int(1));
        assert_eq!(s.out, propagated("DEL k"));
        s.set("k", "v");
        assert_eq!(s.run("PEXPIREAT k 1700000000000"), int(1));
        assert_eq!(s.out, propagated("DEL k"));
        s.set("k", "v");
        assert_eq!(s.run("EXPIREAT k -100"), int(1));
        assert_eq!(s.run("EXISTS k"), int(0));
        assert_eq!(s.ks.stats.dirty, 4);
    }

    #[test]
    fn nx_and_xx_look_at_whether_a_deadline_exists() {
        let mut s = Session::new();
        s.set("k", "v");
        assert_eq!(s.run("EXPIRE k 100 XX"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("EXPIRE k 100 NX"), int(1));
        assert_eq!(s.run("EXPIRE k 200 NX"), int(0));
        assert_eq!(s.run("EXPIRE k 200 xx"), int(1));
        assert_eq!(s.run("TTL k"), int(200));
    }

    #[test]
    fn gt_never_applies_to_a_persistent_key() {
        let mut s = Session::new();
        s.set("k", "v");
        assert_eq!(s.run("EXPIRE k 100 GT"), int(0));
        assert_eq!(s.run("TTL k"), int(-1));
        s.set_until("k", "v", NOW + 50_000);
        assert_eq!(s.run("EXPIRE k 50 GT"), int(0));
        assert_eq!(s.run("EXPIRE k 51 GT"), int(1));
        assert_eq!(s.run("TTL k"), int(51));
    }

    #[test]
    fn lt_always_applies_to_a_persistent_key() {
        let mut s = Session::new();
        s.set("k", "v");
        assert_eq!(s.run("EXPIRE k 100 LT"), int(1));
        assert_eq!(s.run("EXPIRE k 100 LT"), int(0));
        assert_eq!(s.run("EXPIRE k 101 lt"), int(0));
        assert_eq!(s.run("EXPIRE k 99 LT XX"), int(1));
        assert_eq!(s.run("TTL k"), int(99));
        s.set("p", "v");
        assert_eq!(s.run("EXPIRE p -5 LT"), int(1));
        assert_eq!(s.out, propagated("DEL p"));
    }

    #[test]
    fn option_conflicts_and_unknown_options() {
        let mut s = Session::new();
        s.set("k", "v");
        let nx_err = err("ERR NX and XX, GT or LT options at the same time are not compatible");
        assert_eq!(s.run("EXPIRE k 100 NX XX"), nx_err);
        assert_eq!(s.run("EXPIRE k 100 GT NX"), nx_err);
        assert_eq!(s.run("PEXPIRE k 100 NX LT"), nx_err);
        assert_eq!(
            s.run("EXPIRE k 100 GT LT"),
            err("ERR GT and LT options at the same time are not compatible")
        );
        assert_eq!(
            s.run("EXPIRE k 100 GT foo"),
            err("ERR Unsupported option foo")
        );
        assert_eq!(s.run("EXPIRE k 100 NX NX"), int(1));
        assert_eq!(
            s.run("EXPIRE k"),
            err("ERR wrong number of arguments for 'expire' command")
        );
    }

    #[test]
    fn options_are_checked_before_the_time() {
        let mut s = Session::new();
        assert_eq!(s.run("EXPIRE k abc foo"), err("ERR Unsupported option foo"));
        assert_eq!(
            s.run("EXPIRE k abc"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            s.run("EXPIRE k 1.5"),
            err("ERR value is not an integer or out of range")
        );
    }

    #[test]
    fn overflowing_times_are_invalid() {
        let mut s = Session::new();
        s.set("k", "v");
        assert_eq!(
            s.run("EXPIRE k 9223372036854775"),
            err("ERR invalid expire time in 'expire' command")
        );
        assert_eq!(
            s.run("EXPIREAT k 9223372036854776"),
            err("ERR invalid expire time in 'expireat' command")
        );
        assert_eq!(
            s.run("EXPIREAT k -9223372036854776"),
            err("ERR invalid expire time in 'expireat' command")
        );
        assert_eq!(
            s.run("PEXPIRE k 9223372036854775807"),
            err("ERR invalid expire time in 'pexpire' command")
        );
        assert_eq!(s.run("EXPIREAT k 9223372036854775"), int(1));
        assert_eq!(s.run("PEXPIREAT k 9223372036854775807"), int(1));
        assert_eq!(s.run("PTTL k"), int(9223372036854775807 - NOW as i64));
        assert_eq!(s.run("PEXPIRE k -9223372036854775808"), int(1));
        assert_eq!(s.run("EXISTS k"), int(0));
    }

    #[test]
    fn ttl_family_reports_missing_persistent_and_rounded() {
        let mut s = Session::new();
        assert_eq!(s.run("TTL k"), int(-2));
        assert_eq!(s.run("PEXPIRETIME k"), int(-2));
        s.set("k", "v");
        assert_eq!(s.run("TTL k"), int(-1));
        assert_eq!(s.run("EXPIRETIME k"), int(-1));
        s.set_until("k", "v", NOW + 1499);
        assert_eq!(s.run("TTL k"), int(1));
        assert_eq!(s.run("PTTL k"), int(1499));
        s.set_until("k", "v", NOW + 1500);
        assert_eq!(s.run("TTL k"), int(2));
        assert_eq!(s.run("EXPIRETIME k"), int(1_700_000_002));
        assert_eq!(s.run("PEXPIRETIME k"), int(1_700_000_001_500));
    }

    #[test]
    fn ttl_of_a_key_due_now_is_zero() {
        let mut s = Session::new();
        s.set_until("k", "v", NOW);
        assert_eq!(s.run("PTTL k"), int(0));
        assert_eq!(s.run("TTL k"), int(0));
        s.set_until("k", "v", NOW - 1);
        assert_eq!(s.run("TTL k"), int(-2));
        assert_eq!(s.ks.stats.expired, 1);
    }

    #[test]
    fn persist_clears_a_deadline_once() {
        let mut s = Session::new();
        assert_eq!(s.run("PERSIST k"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        s.set("k", "v");
        assert_eq!(s.run("PERSIST k"), int(0));
        s.set_until("k", "v", NOW + 10);
        assert_eq!(s.run("PERSIST k"), int(1));
        assert_eq!(s.out, Propagation::AsIs);
        assert_eq!(s.run("TTL k"), int(-1));
        assert_eq!(s.ks.stats.dirty, 1);
    }

    #[test]
    fn condition_truth_table() {
        let c = |opts: &str| ExpireCondition::parse(&args(opts)).unwrap();
        assert!(c("GT").allows(Some(10), 11));
        assert!(!c("GT").allows(Some(10), 10));
        assert!(!c("GT").allows(None, i64::MAX));
        assert!(c("LT").allows(None, i64::MIN));
        assert!(!c("LT").allows(Some(10), 10));
        assert!(!c("XX LT").allows(None, 5));
        assert!(c("NX").allows(None, 5));
        assert!(ExpireCondition::default().allows(Some(10), -1));
    }
}

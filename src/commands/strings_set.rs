//! Storing and reading one string: GET, SET and its variants (SETNX, SETEX, PSETEX, GETSET),
//! GETEX and GETDEL.
//!
//! Owns: the SET machinery (`SetArgs`, `set_generic`) and the expiry options SET and GETEX share.
//! Runs on: the executor owning the key. Must not: await, or reach another shard.

use bytes::Bytes;

use super::args::{parse_i64, ArgCursor};
use super::ctx::ShardCtx;
use super::strings::{int_bytes, word};
use super::table::CmdResult;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::storage::clock::{Deadline, UnixMillis};

/// Which expiry option the user gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExpireForm {
    /// `EX seconds`, relative.
    Ex,
    /// `PX milliseconds`, relative.
    Px,
    /// `EXAT unix-seconds`, absolute.
    ExAt,
    /// `PXAT unix-milliseconds`, absolute.
    PxAt,
}

/// An expiry option as the user gave it. The argument stays unparsed until the command decides
/// it is time to check it: SET checks it before touching the key, GETEX only after finding the
/// key, and the two orders give different errors on a missing key.
#[derive(Debug, Clone, PartialEq)]
struct ExpireArg {
    form: ExpireForm,
    raw: Bytes,
}

impl ExpireArg {
    /// The absolute deadline in Unix milliseconds. Errors, in Redis's order: not an integer
    /// (`NotInteger`); zero, negative, or overflowing once converted to absolute milliseconds
    /// (`InvalidExpireTime` naming `cmd`). An absolute deadline in the past is accepted.
    fn deadline_ms(&self, now: UnixMillis, cmd: &'static str) -> Result<i64, CmdError> {
        let n = parse_i64(&self.raw).ok_or(CmdError::NotInteger)?;
        let invalid = CmdError::InvalidExpireTime(cmd);
        if n <= 0 {
            return Err(invalid);
        }
        let ms = match self.form {
            ExpireForm::Ex | ExpireForm::ExAt => n.checked_mul(1000).ok_or(invalid.clone())?,
            ExpireForm::Px | ExpireForm::PxAt => n,
        };
        match self.form {
            ExpireForm::Ex | ExpireForm::Px => ms.checked_add(now.0 as i64).ok_or(invalid),
            ExpireForm::ExAt | ExpireForm::PxAt => Ok(ms),
        }
    }

    fn is_absolute(&self) -> bool {
        matches!(self.form, ExpireForm::ExAt | ExpireForm::PxAt)
    }
}

/// SET's NX / XX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetCond {
    /// Neither: always set.
    Always,
    /// NX: only when the key is absent.
    IfAbsent,
    /// XX: only when the key exists.
    IfPresent,
}

/// The options SET and GETEX share, checked against each other as Redis checks them.
#[derive(Debug, Default)]
struct StringOptions {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expire: Option<ExpireArg>,
}

impl StringOptions {
    /// Reads the options left in `args`. `for_set` admits NX, XX, GET and KEEPTTL; otherwise
    /// (GETEX) PERSIST. Rules, each a syntax error when broken: NX and XX exclude each other;
    /// KEEPTTL, PERSIST and the four expiry forms exclude each other, except that one expiry
    /// form may repeat (the last one wins); an expiry form needs an argument after it.
    /// Repeating NX, XX, GET, KEEPTTL or PERSIST is allowed.
    fn parse(mut args: ArgCursor<'_>, for_set: bool) -> Result<StringOptions, CmdError> {
        let mut o = StringOptions::default();
        while let Ok(opt) = args.next_bytes() {
            let form = if opt.eq_ignore_ascii_case(b"EX") {
                Some(ExpireForm::Ex)
            } else if opt.eq_ignore_ascii_case(b"PX") {
                Some(ExpireForm::Px)
            } else if opt.eq_ignore_ascii_case(b"EXAT") {
                Some(ExpireForm::ExAt)
            } else if opt.eq_ignore_ascii_case(b"PXAT") {
                Some(ExpireForm::PxAt)
            } else {
                None
            };
            let other_form = |f: ExpireForm| o.expire.as_ref().is_some_and(|e| e.form != f);
            match form {
                Some(f) if !o.keep_ttl && !o.persist && !other_form(f) => {
                    let raw = args.next_bytes()?.clone();
                    o.expire = Some(ExpireArg { form: f, raw });
                }
                Some(_) => return Err(CmdError::Syntax),
                None if for_set && opt.eq_ignore_ascii_case(b"NX") && !o.xx => o.nx = true,
                None if for_set && opt.eq_ignore_ascii_case(b"XX") && !o.nx => o.xx = true,
                None if for_set && opt.eq_ignore_ascii_case(b"GET") => o.get = true,
                None if for_set && opt.eq_ignore_ascii_case(b"KEEPTTL") && o.expire.is_none() => {
                    o.keep_ttl = true
                }
                None if !for_set && opt.eq_ignore_ascii_case(b"PERSIST") && o.expire.is_none() => {
                    o.persist = true
                }
                None => return Err(CmdError::Syntax),
            }
        }
        Ok(o)
    }
}

/// What SET does to the key's time to live.
#[derive(Debug, Clone, PartialEq)]
enum TtlChange {
    /// The new value has none (the default).
    Clear,
    /// KEEPTTL: the new value keeps the old one's.
    Keep,
    /// EX / PX / EXAT / PXAT.
    Expire(ExpireArg),
}

/// A parsed SET, or a SETNX, SETEX, PSETEX or GETSET translated into one.
#[derive(Debug, Clone, PartialEq)]
struct SetArgs {
    key: Bytes,
    value: Bytes,
    cond: SetCond,
    /// GET: reply with the old value (nil when absent) instead of `done` / `skipped`.
    get: bool,
    ttl: TtlChange,
    /// The reply when the value was stored (SET: OK; SETNX: 1).
    done: Reply,
    /// The reply when NX / XX kept it from being stored (SET: nil; SETNX: 0).
    skipped: Reply,
    /// The name `invalid expire time in '…' command` shows.
    cmd: &'static str,
    /// With GET and no expiry: what to propagate instead of the call, namely the call without its
    /// GET (a replica needs no reply) or, for GETSET, a plain SET.
    replay: Option<Vec<Bytes>>,
}

impl SetArgs {
    /// Parses `SET key value [options]`. Reads argv only; the expiry argument is checked later
    /// (see [`ExpireArg`]).
    fn parse(args: &[Bytes]) -> Result<SetArgs, CmdError> {
        // Most SETs have no option; skip the option loop for them.
        let o = if args.len() == 3 {
            StringOptions::default()
        } else {
            StringOptions::parse(ArgCursor::new(args, 3), true)?
        };
        let replay = (o.get && o.expire.is_none()).then(|| {
            let is_get = |a: &Bytes| a.eq_ignore_ascii_case(b"GET");
            let opts = args[3..].iter().filter(|a| !is_get(a));
            args[..3].iter().chain(opts).cloned().collect()
        });
        Ok(SetArgs {
            cond: match (o.nx, o.xx) {
                (true, _) => SetCond::IfAbsent,
                (_, true) => SetCond::IfPresent,
                _ => SetCond::Always,
            },
            get: o.get,
            ttl: match (o.expire, o.keep_ttl) {
                (Some(e), _) => TtlChange::Expire(e),
                (None, true) => TtlChange::Keep,
                (None, false) => TtlChange::Clear,
            },
            replay,
            ..SetArgs::plain(&args[1], &args[2], "set")
        })
    }

    /// `SET key value` with no option.
    fn plain(key: &Bytes, value: &Bytes, cmd: &'static str) -> SetArgs {
        SetArgs {
            key: key.clone(),
            value: value.clone(),
            cond: SetCond::Always,
            get: false,
            ttl: TtlChange::Clear,
            done: Reply::Ok,
            skipped: Reply::Nil,
            cmd,
            replay: None,
        }
    }

    /// `SETEX`/`PSETEX key ttl value`: a SET with a relative expiry.
    fn with_ttl(args: &[Bytes], form: ExpireForm, cmd: &'static str) -> SetArgs {
        SetArgs {
            ttl: TtlChange::Expire(ExpireArg {
                form,
                raw: args[2].clone(),
            }),
            ..SetArgs::plain(&args[1], &args[3], cmd)
        }
    }
}

/// Stores a string value under a key; the one routine behind SET, SETNX, SETEX, PSETEX and
/// GETSET. Steps, in Redis's order (each decides which error wins):
/// 1. the expiry argument is checked and made absolute (SETEX, PSETEX, SET EX/PX/EXAT/PXAT);
/// 2. with GET (SET GET, GETSET), the old value is read like GET reads it: a key of another type
///    fails here with WRONGTYPE and nothing is stored;
/// 3. NX / XX (SET NX/XX, SETNX) may skip the store, leaving the dataset untouched;
/// 4. the value is stored; its TTL is cleared, kept (KEEPTTL) or set from step 1.
///
/// Propagation: an expiry goes out as `SET key value PXAT <ms>`, since a relative one would land
/// later on a replica; a GET without expiry goes out as `req.replay`; anything else as the call
/// itself. A skipped store propagates nothing.
fn set_generic(cx: &mut ShardCtx<'_>, req: SetArgs) -> CmdResult {
    let expire_at = match &req.ttl {
        TtlChange::Expire(e) => Some(e.deadline_ms(cx.now, req.cmd)?),
        _ => None,
    };
    let old = if req.get {
        Some(cx.read_str_reply(&req.key)?)
    } else {
        None
    };
    let existing = cx.lookup_write(&req.key).map(|e| e.deadline);
    let skip = match req.cond {
        SetCond::Always => false,
        SetCond::IfAbsent => existing.is_some(),
        SetCond::IfPresent => existing.is_none(),
    };
    if skip {
        cx.out.suppress();
        return Ok(old.unwrap_or(req.skipped));
    }
    let deadline = match (expire_at, &req.ttl) {
        (Some(ms), _) => Some(Deadline::at_ms(ms as u64)),
        (None, TtlChange::Keep) => existing.flatten(),
        (None, _) => None,
    };
    if existing.is_some() {
        cx.db().set_str(&req.key, &req.value, deadline);
    } else {
        cx.db().insert_str(&req.key, &req.value, deadline);
    }
    cx.dirty(1);
    if let Some(ms) = expire_at {
        cx.out.replace(vec![
            word("SET"),
            req.key,
            req.value,
            word("PXAT"),
            int_bytes(ms),
        ]);
    } else if let Some(argv) = req.replay {
        cx.out.replace(argv);
    }
    Ok(old.unwrap_or(req.done))
}

/// GET key
pub(super) fn get(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    cx.reply_str(&args[1])
}

/// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
/// PXAT unix-time-milliseconds | KEEPTTL]
pub(super) fn set(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let req = SetArgs::parse(args)?;
    set_generic(cx, req)
}

/// SETNX key value
pub(super) fn setnx(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let req = SetArgs {
        cond: SetCond::IfAbsent,
        done: Reply::Int(1),
        skipped: Reply::Int(0),
        ..SetArgs::plain(&args[1], &args[2], "setnx")
    };
    set_generic(cx, req)
}

/// SETEX key seconds value
pub(super) fn setex(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    set_generic(cx, SetArgs::with_ttl(args, ExpireForm::Ex, "setex"))
}

/// PSETEX key milliseconds value
pub(super) fn psetex(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    set_generic(cx, SetArgs::with_ttl(args, ExpireForm::Px, "psetex"))
}

/// GETSET key value
pub(super) fn getset(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let req = SetArgs {
        get: true,
        replay: Some(vec![word("SET"), args[1].clone(), args[2].clone()]),
        ..SetArgs::plain(&args[1], &args[2], "getset")
    };
    set_generic(cx, req)
}

/// What GETEX does to the TTL.
#[derive(Debug, Clone, PartialEq)]
enum GetexTtl {
    /// No option: behaves as GET.
    Unchanged,
    /// PERSIST.
    Persist,
    /// EX / PX / EXAT / PXAT.
    Expire(ExpireArg),
}

/// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds |
/// PERSIST]
///
/// Replies with the value, then changes the TTL. The expiry argument is checked only once the key
/// is found to hold a string (a missing key answers nil whatever the argument). Propagation: an
/// expiry as `PEXPIREAT key <ms>`, an absolute one already past as `DEL key` (the key is deleted
/// here), PERSIST as `PERSIST key` when there was a TTL to remove; nothing otherwise.
pub(super) fn getex(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let o = StringOptions::parse(ArgCursor::new(args, 2), false)?;
    let ttl = match (o.expire, o.persist) {
        (Some(e), _) => GetexTtl::Expire(e),
        (None, true) => GetexTtl::Persist,
        (None, false) => GetexTtl::Unchanged,
    };
    let key = &args[1];
    let value = cx.read_str_reply(key)?;
    if matches!(value, Reply::Nil) {
        cx.out.suppress();
        return Ok(value);
    }
    match ttl {
        GetexTtl::Unchanged => cx.out.suppress(),
        GetexTtl::Persist => {
            let had_ttl = cx.lookup_write(key).is_some_and(|e| e.deadline.is_some());
            if had_ttl {
                cx.db().set_deadline(key, None);
                cx.dirty(1);
                cx.out.replace(vec![word("PERSIST"), key.clone()]);
            } else {
                cx.out.suppress();
            }
        }
        GetexTtl::Expire(e) => {
            let ms = e.deadline_ms(cx.now, "getex")?;
            if e.is_absolute() && ms <= cx.now.0 as i64 {
                cx.db().remove(key);
                cx.out.replace(vec![word("DEL"), key.clone()]);
            } else {
                cx.db().set_deadline(key, Some(Deadline::at_ms(ms as u64)));
                cx.out
                    .replace(vec![word("PEXPIREAT"), key.clone(), int_bytes(ms)]);
            }
            cx.dirty(1);
        }
    }
    Ok(value)
}

/// GETDEL key
///
/// Replies with the value and deletes the key; propagated as `DEL key`.
pub(super) fn getdel(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let value = cx.read_str_reply(key)?;
    if matches!(value, Reply::Nil) {
        cx.out.suppress();
        return Ok(value);
    }
    cx.db().remove(key);
    cx.dirty(1);
    cx.out.replace(vec![word("DEL"), key.clone()]);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::super::strings::testing::*;
    use crate::commands::propagation::Propagation;

    const SYNTAX: &str = "ERR syntax error";
    const NOT_INT: &str = "ERR value is not an integer or out of range";

    #[test]
    fn get_returns_what_set_stored() {
        let mut s = Session::new();
        assert_eq!(s.run("GET k"), nil());
        assert_eq!(s.run("SET k v"), ok());
        assert_eq!(s.out, Propagation::AsIs);
        assert_eq!(s.run("GET k"), bulk("v"));
        assert_eq!(s.run("set e "), ok());
        assert_eq!(s.run("GET e"), bulk(""));
        assert_eq!(s.ks.stats.dirty, 2);
    }

    #[test]
    fn nx_and_xx_decide_whether_set_stores() {
        let mut s = Session::new();
        assert_eq!(s.run("SET k v XX"), nil());
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("GET k"), nil());
        assert_eq!(s.run("SET k v NX"), ok());
        assert_eq!(s.run("SET k w NX"), nil());
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("SET k w xx"), ok());
        assert_eq!(s.run("GET k"), bulk("w"));
        assert_eq!(s.run("SET k x NX NX"), nil());
    }

    #[test]
    fn conflicting_set_options_are_a_syntax_error() {
        let mut s = Session::new();
        for line in [
            "SET k v NX XX",
            "SET k v XX NX",
            "SET k v EX 10 PX 100",
            "SET k v PX 100 EXAT 10",
            "SET k v EX 10 KEEPTTL",
            "SET k v KEEPTTL PXAT 10",
            "SET k v EX",
            "SET k v PERSIST",
            "SET k v FOO",
            "SET k v EX abc NX XX",
        ] {
            assert_eq!(s.run(line), err(SYNTAX), "{line}");
        }
        assert_eq!(s.run("GET k"), nil());
        assert_eq!(s.run("SET k v EX 10 EX 20 KEEPTTL"), err(SYNTAX));
        assert_eq!(s.run("SET k v EX 10 ex 20"), ok());
        assert_eq!(s.deadline("k"), Some(NOW + 20_000));
    }

    #[test]
    fn set_rejects_bad_expire_times_naming_set() {
        let mut s = Session::new();
        let invalid = err("ERR invalid expire time in 'set' command");
        assert_eq!(s.run("SET k v EX 0"), invalid);
        assert_eq!(s.run("SET k v PX -1"), invalid);
        assert_eq!(s.run("SET k v EXAT 0"), invalid);
        assert_eq!(s.run("SET k v EX 9223372036854776"), invalid);
        assert_eq!(s.run("SET k v PX 9223372036854775807"), invalid);
        assert_eq!(s.run("SET k v EX 1.5"), err(NOT_INT));
        assert_eq!(s.run("SET k v PX 99999999999999999999"), err(NOT_INT));
        assert_eq!(s.run("GET k"), nil());
        assert_eq!(s.ks.stats.dirty, 0);
    }

    #[test]
    fn set_with_a_relative_expiry_propagates_pxat() {
        let mut s = Session::new();
        assert_eq!(s.run("set k v ex 10"), ok());
        assert_eq!(s.out, propagated(&format!("SET k v PXAT {}", NOW + 10_000)));
        assert_eq!(s.deadline("k"), Some(NOW + 10_000));
        assert_eq!(s.run("SET k v PX 1500 XX GET"), bulk("v"));
        assert_eq!(s.out, propagated(&format!("SET k v PXAT {}", NOW + 1_500)));
        assert_eq!(s.run("SET k v EXAT 1800000000"), ok());
        assert_eq!(s.out, propagated("SET k v PXAT 1800000000000"));
        assert_eq!(s.run("SET k v PXAT 1800000000001"), ok());
        assert_eq!(s.deadline("k"), Some(1_800_000_000_001));
    }

    #[test]
    fn a_key_lives_until_its_deadline_passes() {
        let mut s = Session::new();
        s.run("SET k v PX 100");
        s.now.0 += 100;
        assert_eq!(s.run("GET k"), bulk("v"));
        s.now.0 += 1;
        assert_eq!(s.run("GET k"), nil());
        // An absolute deadline already past is stored as is and the key reads as gone.
        assert_eq!(s.run("SET p v PXAT 1000"), ok());
        assert_eq!(s.run("GET p"), nil());
    }

    #[test]
    fn set_clears_the_ttl_unless_keepttl() {
        let mut s = Session::new();
        s.set_until("k", "v", NOW + 100_000);
        assert_eq!(s.run("SET k w KEEPTTL"), ok());
        assert_eq!(s.out, Propagation::AsIs);
        assert_eq!(s.deadline("k"), Some(NOW + 100_000));
        assert_eq!(s.run("SET k w"), ok());
        assert_eq!(s.deadline("k"), None);
        assert_eq!(s.run("SET n v KEEPTTL"), ok());
        assert_eq!(s.deadline("n"), None);
    }

    #[test]
    fn set_get_answers_the_old_value_and_propagates_without_get() {
        let mut s = Session::new();
        assert_eq!(s.run("SET k v GET"), nil());
        assert_eq!(s.out, propagated("SET k v"));
        assert_eq!(s.run("set k w get keepttl GET"), bulk("v"));
        assert_eq!(s.out, propagated("set k w keepttl"));
        // NX with GET (allowed since 7.0): the old value comes back and nothing is stored.
        assert_eq!(s.run("SET k x NX GET"), bulk("w"));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("GET k"), bulk("w"));
        assert_eq!(s.run("SET m x NX GET"), nil());
        assert_eq!(s.run("GET m"), bulk("x"));
        assert_eq!(s.run("SET z x XX GET"), nil());
        assert_eq!(s.run("GET z"), nil());
    }

    #[test]
    fn set_checks_the_expiry_before_reading_the_old_value() {
        let mut s = Session::new();
        s.run("SET k v");
        assert_eq!(
            s.run("SET k w GET EX 0"),
            err("ERR invalid expire time in 'set' command")
        );
        assert_eq!(s.run("GET k"), bulk("v"));
    }

    #[test]
    fn setnx_answers_one_or_zero() {
        let mut s = Session::new();
        assert_eq!(s.run("SETNX k v"), int(1));
        assert_eq!(s.out, Propagation::AsIs);
        assert_eq!(s.run("SETNX k w"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("GET k"), bulk("v"));
        assert_eq!(
            s.run("SETNX k"),
            err("ERR wrong number of arguments for 'setnx' command")
        );
    }

    #[test]
    fn setex_and_psetex_store_with_a_ttl_and_name_themselves_in_errors() {
        let mut s = Session::new();
        assert_eq!(s.run("SETEX k 10 v"), ok());
        assert_eq!(s.out, propagated(&format!("SET k v PXAT {}", NOW + 10_000)));
        assert_eq!(s.run("GET k"), bulk("v"));
        assert_eq!(s.run("PSETEX p 250 v"), ok());
        assert_eq!(s.out, propagated(&format!("SET p v PXAT {}", NOW + 250)));
        assert_eq!(s.deadline("p"), Some(NOW + 250));
        assert_eq!(
            s.run("SETEX k 0 v"),
            err("ERR invalid expire time in 'setex' command")
        );
        assert_eq!(
            s.run("PSETEX k -5 v"),
            err("ERR invalid expire time in 'psetex' command")
        );
        assert_eq!(s.run("SETEX k ten v"), err(NOT_INT));
        assert_eq!(s.deadline("k"), Some(NOW + 10_000));
    }

    #[test]
    fn getset_swaps_the_value_and_drops_the_ttl() {
        let mut s = Session::new();
        assert_eq!(s.run("GETSET k v"), nil());
        assert_eq!(s.out, propagated("SET k v"));
        s.run("SET k v EX 100");
        assert_eq!(s.run("getset k w"), bulk("v"));
        assert_eq!(s.out, propagated("SET k w"));
        assert_eq!(s.deadline("k"), None);
        assert_eq!(s.run("GET k"), bulk("w"));
    }

    #[test]
    fn getdel_returns_the_value_and_deletes_the_key() {
        let mut s = Session::new();
        assert_eq!(s.run("GETDEL k"), nil());
        assert_eq!(s.out, Propagation::Nothing);
        s.run("SET k v");
        assert_eq!(s.run("GETDEL k"), bulk("v"));
        assert_eq!(s.out, propagated("DEL k"));
        assert!(!s.stored(0, "k"));
    }

    #[test]
    fn getex_without_options_is_a_get_that_propagates_nothing() {
        let mut s = Session::new();
        assert_eq!(s.run("GETEX k"), nil());
        s.run("SET k v EX 100");
        let dirty = s.ks.stats.dirty;
        assert_eq!(s.run("GETEX k"), bulk("v"));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.ks.stats.dirty, dirty);
        assert_eq!(s.deadline("k"), Some(NOW + 100_000));
    }

    #[test]
    fn getex_sets_the_ttl_and_propagates_pexpireat() {
        let mut s = Session::new();
        s.run("SET k v");
        assert_eq!(s.run("GETEX k EX 10"), bulk("v"));
        assert_eq!(s.out, propagated(&format!("PEXPIREAT k {}", NOW + 10_000)));
        assert_eq!(s.deadline("k"), Some(NOW + 10_000));
        assert_eq!(s.run("getex k px 5"), bulk("v"));
        assert_eq!(s.deadline("k"), Some(NOW + 5));
        assert_eq!(s.run("GETEX k EXAT 1800000000"), bulk("v"));
        assert_eq!(s.out, propagated("PEXPIREAT k 1800000000000"));
        assert_eq!(s.run("GETEX k PXAT 1800000000123"), bulk("v"));
        assert_eq!(s.deadline("k"), Some(1_800_000_000_123));
    }

    #[test]
    fn getex_with_a_past_deadline_deletes_the_key() {
        let mut s = Session::new();
        s.run("SET k v");
        assert_eq!(s.run("GETEX k PXAT 1000"), bulk("v"));
        assert_eq!(s.out, propagated("DEL k"));
        assert!(!s.stored(0, "k"));
        s.run("SET k v");
        assert_eq!(s.run(&format!("GETEX k PXAT {NOW}")), bulk("v"));
        assert_eq!(s.run("GET k"), nil());
    }

    #[test]
    fn getex_persist_removes_a_ttl_and_only_then_propagates() {
        let mut s = Session::new();
        s.run("SET k v EX 100");
        assert_eq!(s.run("GETEX k PERSIST"), bulk("v"));
        assert_eq!(s.out, propagated("PERSIST k"));
        assert_eq!(s.deadline("k"), None);
        assert_eq!(s.run("GETEX k persist"), bulk("v"));
        assert_eq!(s.out, Propagation::Nothing);
    }

    #[test]
    fn getex_checks_options_first_and_the_expiry_last() {
        let mut s = Session::new();
        for line in [
            "GETEX k EX 10 PERSIST",
            "GETEX k PERSIST PX 10",
            "GETEX k NX",
            "GETEX k KEEPTTL",
            "GETEX k GET",
            "GETEX k EX",
            "GETEX k EX 1 PX 1",
        ] {
            assert_eq!(s.run(line), err(SYNTAX), "{line}");
        }
        // A missing key answers nil before the expiry is looked at.
        assert_eq!(s.run("GETEX k EX 0"), nil());
        assert_eq!(s.run("GETEX k EX abc"), nil());
        s.run("SET k v");
        assert_eq!(
            s.run("GETEX k EX 0"),
            err("ERR invalid expire time in 'getex' command")
        );
        assert_eq!(s.run("GETEX k PX abc"), err(NOT_INT));
        assert_eq!(s.deadline("k"), None);
        assert_eq!(
            s.run("GETEX"),
            err("ERR wrong number of arguments for 'getex' command")
        );
    }
}

//! DUMP and RESTORE: a key's value as an opaque, checksummed payload, and back.
//!
//! Owns: the two handlers, which run on the shard that owns their key. The payload is the value
//! in its RDB encoding with an RDB version and a CRC-64 after it (`rdb::dump_payload`), the
//! same bytes Redis 7.0 writes, so payloads move between Tessera and stock Redis both ways.
//!
//! RESTORE accepts payloads up to RDB version 11 (Redis 7.2), one more than Redis 7.0, which
//! refuses anything newer than its own version 10: a 7.2 payload of a type Tessera knows loads
//! here rather than failing. Payloads are always validated completely, as Redis does with
//! `sanitize-dump-payload yes`. IDLETIME and FREQ are checked and then ignored: Tessera keeps no
//! access times or frequencies.

use bytes::Bytes;
use tracing::debug;

use super::args::parse_i64;
use super::ctx::ShardCtx;
use super::settings;
use super::table::flags::{DENYOOM, READONLY, WRITE};
use super::table::{CmdResult, CommandTable, Handler::Shard, KeySpec};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::rdb::format::MAX_READ_VERSION;
use crate::rdb::{dump_payload, restore_payload, Payload, RestoreError};
use crate::storage::clock::Deadline;
use crate::storage::db::Entry;
use crate::storage::value::Value;

/// Registers DUMP and RESTORE.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    //     name        arity  flags              keys: first, last, step   handler
    t.add("dump",         2,  READONLY,          KeySpec::range(1, 1, 1),  Shard(dump));
    t.add("restore",     -4,  WRITE | DENYOOM,   KeySpec::range(1, 1, 1),  Shard(restore));
}

/// DUMP key
///
/// The payload of the value at `key`, or nil when there is none. Long strings are compressed
/// when `rdbcompression` is on, as Redis does.
fn dump(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    dump_with(cx, &argv[1], settings::rdbcompression())
}

/// DUMP of `key`, compressing long strings when `compression` is set. A read lookup: lazy
/// expiry, a hit or a miss.
fn dump_with(cx: &mut ShardCtx<'_>, key: &[u8], compression: bool) -> CmdResult {
    match cx.lookup_read(key) {
        None => Ok(Reply::Nil),
        Some(e) => Ok(Reply::Bulk(Bytes::from(dump_payload(
            &e.value,
            compression,
        )))),
    }
}

/// RESTORE's options, parsed from argv before the key is looked at.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct RestoreArgs {
    /// REPLACE: overwrite an existing key.
    replace: bool,
    /// ABSTTL: the TTL is a Unix time in milliseconds.
    absttl: bool,
    /// IDLETIME seconds (checked, not kept).
    idle: Option<i64>,
    /// FREQ counter (checked, not kept).
    freq: Option<i64>,
}

impl RestoreArgs {
    /// Parses the options after `key ttl payload`. As in Redis, IDLETIME and FREQ exclude each
    /// other (the second is a syntax error), and their values are checked as they are met.
    fn parse(argv: &[Bytes]) -> Result<RestoreArgs, CmdError> {
        let mut a = RestoreArgs::default();
        let mut j = 4;
        while j < argv.len() {
            let opt = &argv[j];
            let has_value = j + 1 < argv.len();
            if opt.eq_ignore_ascii_case(b"replace") {
                a.replace = true;
            } else if opt.eq_ignore_ascii_case(b"absttl") {
                a.absttl = true;
            } else if opt.eq_ignore_ascii_case(b"idletime") && has_value && a.freq.is_none() {
                let n = parse_i64(&argv[j + 1]).ok_or(CmdError::NotInteger)?;
                if n < 0 {
                    return Err(CmdError::InvalidIdleTime);
                }
                a.idle = Some(n);
                j += 1;
            } else if opt.eq_ignore_ascii_case(b"freq") && has_value && a.idle.is_none() {
                let n = parse_i64(&argv[j + 1]).ok_or(CmdError::NotInteger)?;
                if !(0..=255).contains(&n) {
                    return Err(CmdError::InvalidFreq);
                }
                a.freq = Some(n);
                j += 1;
            } else {
                return Err(CmdError::Syntax);
            }
            j += 1;
        }
        Ok(a)
    }
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
///
/// Checks, in Redis's order: the options; the key (BUSYKEY unless REPLACE); the TTL (an
/// integer, not negative); the payload's version and CRC; its value. Then replaces the key.
/// A TTL of 0 means no expiry; otherwise it is relative unless ABSTTL. A deadline already past
/// creates nothing and answers OK; if REPLACE deleted a key, `DEL key` is propagated. A
/// relative TTL is propagated as an absolute one, with ABSTTL appended.
fn restore(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let req = RestoreArgs::parse(argv)?;
    let key = &argv[1];
    if !req.replace && cx.lookup_write(key).is_some() {
        return Err(CmdError::BusyKey);
    }
    let ttl = parse_i64(&argv[2]).ok_or(CmdError::NotInteger)?;
    if ttl < 0 {
        return Err(CmdError::InvalidTtl);
    }
    let value = decode(&argv[3])?;
    let deleted = req.replace && cx.lookup_write(key).is_some();
    if deleted {
        cx.db().remove(key);
    }
    let now_ms = i64::try_from(cx.now.0).unwrap_or(i64::MAX);
    // Redis adds without an overflow check; a wrapped sum is in the past, as there.
    let when = if ttl != 0 && !req.absttl {
        ttl.wrapping_add(now_ms)
    } else {
        ttl
    };
    if when != 0 && when <= now_ms {
        if deleted {
            cx.out
                .replace(vec![Bytes::from_static(b"DEL"), key.clone()]);
            cx.dirty(1);
        } else {
            cx.out.suppress();
        }
        return Ok(Reply::Ok);
    }
    let mut entry = Entry::new(value);
    if when != 0 {
        entry.deadline = Some(Deadline::at_ms(when as u64));
        if !req.absttl {
            let mut v = argv.to_vec();
            v[2] = Bytes::copy_from_slice(itoa::Buffer::new().format(when).as_bytes());
            v.push(Bytes::from_static(b"ABSTTL"));
            cx.out.replace(v);
        }
    }
    cx.db().insert(key.clone(), entry);
    cx.dirty(1);
    Ok(Reply::Ok)
}

/// The value in a RESTORE payload, or the error Redis gives for it.
fn decode(payload: &[u8]) -> Result<Value, CmdError> {
    match restore_payload(payload, MAX_READ_VERSION) {
        Ok(Payload::Value(v)) => Ok(v),
        Ok(Payload::Stream(s)) => crate::rdb::stream_from_data(*s)
            .map(|v| Value::Stream(Box::new(v)))
            .ok_or(CmdError::BadDataFormat),
        Err(RestoreError::VersionOrChecksum) => Err(CmdError::DumpPayloadInvalid),
        Err(RestoreError::BadData(e)) => {
            debug!(error = %e, "RESTORE payload refused");
            Err(CmdError::BadDataFormat)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::propagation::Propagation;
    use crate::commands::session::*;
    use crate::storage::clock::UnixMillis;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    /// Runs RESTORE with `argv` (binary-safe) in `s`, the way the session would.
    fn restore_in(s: &mut Session, argv: &[Bytes]) -> Reply {
        s.out = Propagation::default();
        let mut cx = ShardCtx::new(&mut s.ks, s.db, s.now, &mut s.out);
        match restore(&mut cx, argv) {
            Ok(r) => r,
            Err(e) => err(&e.message()),
        }
    }

    fn dump_in(s: &mut Session, key: &str) -> Option<Bytes> {
        let mut out = Propagation::default();
        let mut cx = ShardCtx::new(&mut s.ks, s.db, s.now, &mut out);
        match dump_with(&mut cx, key.as_bytes(), true).unwrap() {
            Reply::Bulk(p) => Some(p),
            Reply::Nil => None,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn dump_then_restore_copies_a_value() {
        let mut s = Session::new();
        s.run("RPUSH l a b 1");
        let p = dump_in(&mut s, "l").unwrap();
        assert_eq!(
            &p[..],
            b"\x12\x01\x02\x0f\x0f\x00\x00\x00\x03\x00\x81a\x02\x81b\x02\x01\x01\xff\n\x00\xe0\x1b\xabJG\xceY\"",
            "byte for byte what Redis 7.0 dumps"
        );
        assert_eq!(
            restore_in(&mut s, &[b("RESTORE"), b("l2"), b("0"), p.clone()]),
            ok()
        );
        assert_eq!(s.out, Propagation::AsIs);
        assert_eq!(s.run("LRANGE l2 0 -1"), s.run("LRANGE l 0 -1"));
        assert_eq!(s.run("TTL l2"), int(-1));
        assert_eq!(dump_in(&mut s, "nope"), None);
    }

    #[test]
    fn restore_checks_in_redis_order() {
        let mut s = Session::new();
        s.set("k", "v");
        let p = dump_in(&mut s, "k").unwrap();
        let mut bad_crc = p.to_vec();
        bad_crc[1] ^= 1;
        let cases: Vec<(Vec<Bytes>, &str)> = vec![
            (
                vec![b("RESTORE"), b("k"), b("x"), b("junk"), b("BOGUS")],
                "ERR syntax error",
            ),
            (
                vec![b("RESTORE"), b("n"), b("0"), p.clone(), b("IDLETIME")],
                "ERR syntax error",
            ),
            (
                vec![
                    b("RESTORE"),
                    b("n"),
                    b("0"),
                    p.clone(),
                    b("IDLETIME"),
                    b("-1"),
                ],
                "ERR Invalid IDLETIME value, must be >= 0",
            ),
            (
                vec![b("RESTORE"), b("n"), b("0"), p.clone(), b("FREQ"), b("256")],
                "ERR Invalid FREQ value, must be >= 0 and <= 255",
            ),
            (
                vec![b("RESTORE"), b("n"), b("0"), p.clone(), b("FREQ"), b("x")],
                "ERR value is not an integer or out of range",
            ),
            (
                vec![
                    b("RESTORE"),
                    b("n"),
                    b("0"),
                    p.clone(),
                    b("FREQ"),
                    b("1"),
                    b("IDLETIME"),
                    b("1"),
                ],
                "ERR syntax error",
            ),
            (
                vec![b("RESTORE"), b("k"), b("x"), b("junk")],
                "BUSYKEY Target key name already exists.",
            ),
            (
                vec![b("RESTORE"), b("n"), b("x"), b("junk")],
                "ERR value is not an integer or out of range",
            ),
            (
                vec![b("RESTORE"), b("n"), b("-1"), b("junk")],
                "ERR Invalid TTL value, must be >= 0",
            ),
            (
                vec![b("RESTORE"), b("n"), b("0"), b("junk")],
                "ERR DUMP payload version or checksum are wrong",
            ),
            (
                vec![b("RESTORE"), b("n"), b("0"), Bytes::from(bad_crc)],
                "ERR DUMP payload version or checksum are wrong",
            ),
        ];
        for (argv, want) in cases {
            assert_eq!(restore_in(&mut s, &argv), err(want), "{argv:?}");
        }
        assert!(!s.stored(0, "n"));
    }

    #[test]
    fn replace_ttl_and_absttl() {
        let mut s = Session::new();
        s.set("k", "old");
        s.set("src", "new");
        let p = dump_in(&mut s, "src").unwrap();
        let r = restore_in(
            &mut s,
            &[b("RESTORE"), b("k"), b("5000"), p.clone(), b("REPLACE")],
        );
        assert_eq!(r, ok());
        assert_eq!(s.deadline("k"), Some(NOW + 5000));
        let abs = (NOW + 5000).to_string();
        assert_eq!(
            s.out,
            Propagation::Replace(vec![vec![
                b("RESTORE"),
                b("k"),
                b(&abs),
                p.clone(),
                b("REPLACE"),
                b("ABSTTL")
            ]])
        );
        assert_eq!(s.run("GET k"), Reply::bulk("new"));
        let at = (NOW + 9000).to_string();
        let r = restore_in(
            &mut s,
            &[
                b("RESTORE"),
                b("a"),
                b(&at),
                p.clone(),
                b("absttl"),
                b("IDLETIME"),
                b("10"),
            ],
        );
        assert_eq!(r, ok());
        assert_eq!(s.out, Propagation::AsIs);
        assert_eq!(s.deadline("a"), Some(NOW + 9000));
    }

    #[test]
    fn a_deadline_in_the_past_creates_nothing() {
        let mut s = Session::new();
        s.set("src", "v");
        let p = dump_in(&mut s, "src").unwrap();
        let past = (NOW - 1).to_string();
        assert_eq!(
            restore_in(
                &mut s,
                &[b("RESTORE"), b("x"), b(&past), p.clone(), b("ABSTTL")]
            ),
            ok()
        );
        assert!(!s.stored(0, "x"));
        assert_eq!(s.out, Propagation::Nothing);
        s.set("y", "old");
        let r = restore_in(
            &mut s,
            &[
                b("RESTORE"),
                b("y"),
                b(&NOW.to_string()),
                p.clone(),
                b("ABSTTL"),
                b("REPLACE"),
            ],
        );
        assert_eq!(r, ok());
        assert!(!s.stored(0, "y"));
        assert_eq!(s.out, propagated("DEL y"));
        let huge = i64::MAX.to_string();
        assert_eq!(
            restore_in(&mut s, &[b("RESTORE"), b("z"), b(&huge), p]),
            ok()
        );
        assert!(!s.stored(0, "z"), "a wrapped deadline is in the past");
    }

    #[test]
    fn bad_values_are_bad_data_and_streams_restore() {
        let mut s = Session::new();
        let seal = |body: &[u8], version: u16| {
            let mut p = body.to_vec();
            p.extend_from_slice(&version.to_le_bytes());
            let crc = crate::rdb::crc64(&p);
            p.extend_from_slice(&crc.to_le_bytes());
            Bytes::from(p)
        };
        let bad = seal(b"\x02\x00", 10);
        assert_eq!(
            restore_in(&mut s, &[b("RESTORE"), b("k"), b("0"), bad]),
            err("ERR Bad data format")
        );
        let v12 = seal(b"\x00\x01a", 12);
        assert_eq!(
            restore_in(&mut s, &[b("RESTORE"), b("k"), b("0"), v12]),
            err("ERR DUMP payload version or checksum are wrong")
        );
        let v11 = seal(b"\x00\x01a", 11);
        assert_eq!(
            restore_in(&mut s, &[b("RESTORE"), b("k"), b("0"), v11]),
            ok()
        );
        // An empty stream (no nodes, no groups) is a valid value.
        let stream = seal(b"\x13\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 10);
        assert_eq!(
            restore_in(&mut s, &[b("RESTORE"), b("s"), b("0"), stream]),
            ok()
        );
        s.now = UnixMillis(NOW);
    }

    #[test]
    fn declared_like_redis() {
        assert_eq!(declared(register, "dump"), (2, READONLY, 1, 1, 1));
        assert_eq!(
            declared(register, "restore"),
            (-4, WRITE | DENYOOM, 1, 1, 1)
        );
    }
}

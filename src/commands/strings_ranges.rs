//! Strings as byte arrays: APPEND, STRLEN, GETRANGE (and its alias SUBSTR), SETRANGE.
//!
//! Owns: byte-range arithmetic and in-place edits of a stored string, bounded by
//! `proto-max-bulk-len`. Runs on: the executor owning the key. Edits keep the key's TTL.

use std::ops::Range;

use bytes::{Bytes, BytesMut};

use super::args::parse_i64;
use super::ctx::ShardCtx;
use super::strings::string_mut;
use super::table::CmdResult;
use crate::config::live::proto_max_bulk_len;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::storage::db::Entry;
use crate::storage::str_value::StrValue;
use crate::storage::value::{StrForm, Value};

/// APPEND key value
///
/// Appends to the string at `key` (creating it) and answers the new length. Appending to an
/// existing string fails with `StringTooLong` past `proto-max-bulk-len`.
pub(super) fn append(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let (key, tail) = (&args[1], &args[2]);
    let len = match cx.lookup_write(key) {
        Some(e) => {
            let s = string_mut(e)?;
            check_length(s.len() as u64, tail.len() as u64)?;
            let mut buf = s.take_mut();
            buf.extend_from_slice(tail);
            *s = StrValue::from(buf.freeze());
            let len = s.len();
            e.str_form = StrForm::Edited;
            len
        }
        None => {
            cx.db()
                .insert(key, Entry::new(Value::Str(StrValue::stored(tail))));
            tail.len()
        }
    };
    cx.dirty(1);
    Ok(Reply::Int(len as i64))
}

/// STRLEN key
pub(super) fn strlen(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let len = cx.read_str(&args[1])?.map_or(0, |s| s.len());
    Ok(Reply::Int(len as i64))
}

/// GETRANGE key start end (also SUBSTR key start end)
///
/// The bytes from `start` to `end`, both included; negative offsets count from the end. The
/// offsets are checked before the key is looked at. A missing key reads as the empty string.
pub(super) fn getrange(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let start = parse_i64(&args[2]).ok_or(CmdError::NotInteger)?;
    let end = parse_i64(&args[3]).ok_or(CmdError::NotInteger)?;
    let part = match cx.read_str(&args[1])? {
        Some(s) => byte_range(s.len(), start, end).map_or_else(Bytes::new, |r| s.slice(r)),
        None => Bytes::new(),
    };
    Ok(Reply::Bulk(part))
}

/// The bytes GETRANGE returns from a string of `len` bytes, as Redis computes them: offsets below
/// `-len` clamp to the start, offsets past the end clamp to the last byte, and two negative
/// offsets in the wrong order give nothing.
fn byte_range(len: usize, start: i64, end: i64) -> Option<Range<usize>> {
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let len = len as i64;
    let from_end = |i: i64| if i < 0 { (len + i).max(0) } else { i };
    let start = from_end(start);
    let end = from_end(end).min(len - 1);
    (len > 0 && start <= end).then(|| start as usize..end as usize + 1)
}

/// SETRANGE key offset value
///
/// Overwrites the string at `key` from byte `offset` with `value`, padding with zero bytes when
/// the string is shorter, and answers the new length. Checks, in Redis's order: `offset` is an
/// integer (`NotInteger`) and not negative (`OffsetOutOfRange`); the key holds a string; an empty
/// `value` changes nothing (a missing key stays missing and answers 0); `offset + len(value)`
/// fits in `proto-max-bulk-len` (`StringTooLong`).
pub(super) fn setrange(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let (key, value) = (&args[1], &args[3]);
    let offset = parse_i64(&args[2]).ok_or(CmdError::NotInteger)?;
    if offset < 0 {
        return Err(CmdError::OffsetOutOfRange);
    }
    let len = match cx.lookup_write(key) {
        Some(e) => {
            let s = string_mut(e)?;
            if value.is_empty() {
                let len = s.len();
                cx.out.suppress();
                return Ok(Reply::Int(len as i64));
            }
            check_length(offset as u64, value.len() as u64)?;
            let mut buf = s.take_mut();
            overwrite(&mut buf, offset as usize, value);
            *s = StrValue::from(buf.freeze());
            let len = s.len();
            e.str_form = StrForm::Edited;
            len
        }
        None => {
            if value.is_empty() {
                cx.out.suppress();
                return Ok(Reply::Int(0));
            }
            check_length(offset as u64, value.len() as u64)?;
            let mut buf = BytesMut::new();
            overwrite(&mut buf, offset as usize, value);
            let len = buf.len();
            let entry = Entry {
                str_form: StrForm::Edited,
                ..Entry::new(Value::Str(StrValue::from(buf.freeze())))
            };
            cx.db().insert(key.clone(), entry);
            len
        }
    };
    cx.dirty(1);
    Ok(Reply::Int(len as i64))
}

/// Copies `value` into `buf` at `offset`, growing `buf` with zero bytes as needed.
fn overwrite(buf: &mut BytesMut, offset: usize, value: &[u8]) {
    let end = offset + value.len();
    if buf.len() < end {
        buf.resize(end, 0);
    }
    buf[offset..end].copy_from_slice(value);
}

/// Fails with `StringTooLong` when a string of `len` bytes growing by `extra` would pass
/// `proto-max-bulk-len`.
fn check_length(len: u64, extra: u64) -> Result<(), CmdError> {
    match len.checked_add(extra) {
        Some(total) if total <= proto_max_bulk_len() => Ok(()),
        _ => Err(CmdError::StringTooLong),
    }
}

#[cfg(test)]
mod tests {
    use super::super::strings::testing::*;
    use super::*;
    use crate::commands::propagation::Propagation;

    #[test]
    fn edits_in_place_leave_a_raw_string_as_in_redis() {
        let mut s = Session::new();
        s.run("APPEND whole 12");
        assert_eq!(s.encoding("whole"), "int");
        s.run("APPEND whole 3");
        assert_eq!(s.encoding("whole"), "raw");
        s.run("SETRANGE new 0 7");
        assert_eq!(s.encoding("new"), "raw");
        s.run("SET old abc");
        s.run("SETRANGE old 1 x");
        assert_eq!(s.encoding("old"), "raw");
        s.run("SET old abc");
        assert_eq!(s.encoding("old"), "embstr");
    }

    #[test]
    fn append_creates_and_extends_keeping_the_ttl() {
        let mut s = Session::new();
        assert_eq!(s.run("APPEND k Hello"), int(5));
        assert_eq!(s.run("APPEND k World"), int(10));
        assert_eq!(s.out, Propagation::AsIs);
        assert_eq!(s.run("GET k"), bulk("HelloWorld"));
        s.run("SET t 1 EX 100");
        assert_eq!(s.run("APPEND t "), int(1));
        assert_eq!(s.run("APPEND t 2"), int(2));
        assert_eq!(s.deadline("t"), Some(NOW + 100_000));
        assert_eq!(s.run("INCR t"), int(13));
        assert_eq!(s.ks.stats.dirty, 6);
    }

    #[test]
    fn strlen_counts_bytes() {
        let mut s = Session::new();
        assert_eq!(s.run("STRLEN k"), int(0));
        s.run("SET k héllo");
        assert_eq!(s.run("STRLEN k"), int(6));
    }

    #[test]
    fn getrange_follows_redis_offsets() {
        let mut s = Session::new();
        assert_eq!(s.run("GETRANGE k 0 -1"), bulk(""));
        s.run("SET k Hello_World");
        for (range, want) in [
            ("0 3", "Hell"),
            ("0 -1", "Hello_World"),
            ("-4 -1", "orld"),
            ("5 3", ""),
            ("5 5000", "_World"),
            ("-5000 10000", "Hello_World"),
            ("-1 -5", ""),
            ("0 4294967297", "Hello_World"),
            ("-1 0", ""),
            ("20 30", ""),
        ] {
            assert_eq!(s.run(&format!("GETRANGE k {range}")), bulk(want), "{range}");
        }
        assert_eq!(s.run("SUBSTR k 6 -1"), bulk("World"));
        assert_eq!(
            s.run("GETRANGE k 0 x"),
            err("ERR value is not an integer or out of range")
        );
    }

    #[test]
    fn setrange_pads_with_zero_bytes() {
        let mut s = Session::new();
        assert_eq!(s.run("SETRANGE k 1 b"), int(2));
        assert_eq!(s.run("GET k"), Reply::bulk_copy(b"\0b"));
        s.run("SET k Hello_World EX 100");
        assert_eq!(s.run("SETRANGE k 6 Redis"), int(11));
        assert_eq!(s.run("GET k"), bulk("Hello_Redis"));
        assert_eq!(s.run("SETRANGE k 9 dish"), int(13));
        assert_eq!(s.run("GET k"), bulk("Hello_Reddish"));
        assert_eq!(s.deadline("k"), Some(NOW + 100_000));
        assert_eq!(s.out, Propagation::AsIs);
    }

    #[test]
    fn setrange_with_an_empty_value_changes_nothing() {
        let mut s = Session::new();
        assert_eq!(s.run("SETRANGE k 5 "), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("GET k"), nil());
        s.run("SET k abc");
        let dirty = s.ks.stats.dirty;
        assert_eq!(s.run("SETRANGE k 100 "), int(3));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.ks.stats.dirty, dirty);
    }

    #[test]
    fn setrange_refuses_bad_offsets_and_huge_strings() {
        let mut s = Session::new();
        assert_eq!(s.run("SETRANGE k -1 x"), err("ERR offset is out of range"));
        assert_eq!(
            s.run("SETRANGE k x x"),
            err("ERR value is not an integer or out of range")
        );
        let too_long = err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        let max = proto_max_bulk_len();
        assert_eq!(s.run(&format!("SETRANGE k {} ab", max - 1)), too_long);
        assert_eq!(s.run("SETRANGE k 9223372036854775807 A"), too_long);
        s.run("SET k abc");
        assert_eq!(s.run(&format!("SETRANGE k {max} x")), too_long);
        assert_eq!(s.run("GET k"), bulk("abc"));
    }

    #[test]
    fn append_refuses_to_grow_past_the_limit() {
        assert_eq!(check_length(1, 2), Ok(()));
        assert_eq!(check_length(proto_max_bulk_len(), 0), Ok(()));
        assert_eq!(
            check_length(proto_max_bulk_len(), 1),
            Err(CmdError::StringTooLong)
        );
        assert_eq!(check_length(u64::MAX, 1), Err(CmdError::StringTooLong));
    }
}

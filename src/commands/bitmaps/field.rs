//! BITFIELD and BITFIELD_RO: integers of any width from 1 to 64 bits at any bit offset.
//!
//! Owns: parsing the list of sub-operations (`BitfieldOp`), then running them in order against
//! one string. Every argument is checked before the key is looked at.

use bytes::Bytes;

use super::bits::{FieldType, Overflow};
use super::{edit_bits, errors, parse_bit_offset};
use crate::commands::args::parse_i64;
use crate::commands::ctx::ShardCtx;
use crate::commands::table::CmdResult;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;

/// What one sub-operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// GET: read the field.
    Get,
    /// SET value: store `value`, answer the previous one.
    Set(i64),
    /// INCRBY increment: add, answer the new value.
    IncrBy(i64),
}

/// One GET, SET or INCRBY, with the OVERFLOW mode in force where it appeared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BitfieldOp {
    action: Action,
    ty: FieldType,
    offset: u64,
    overflow: Overflow,
}

/// Parses a field type: `i1`..`i64` or `u1`..`u63`, either case.
fn parse_type(arg: &[u8]) -> Result<FieldType, CmdError> {
    let bad = || CmdError::custom(errors::FIELD_TYPE);
    let signed = match arg.first() {
        Some(b'i' | b'I') => true,
        Some(b'u' | b'U') => false,
        _ => return Err(bad()),
    };
    let bits = parse_i64(&arg[1..]).ok_or_else(bad)?;
    let max = if signed { 64 } else { 63 };
    if !(1..=max).contains(&bits) {
        return Err(bad());
    }
    Ok(FieldType {
        signed,
        bits: bits as u32,
    })
}

/// Parses `argv[2..]` into sub-operations, left to right; the first bad one decides the error.
fn parse_ops(args: &[Bytes]) -> Result<Vec<BitfieldOp>, CmdError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::default();
    let mut j = 2;
    while j < args.len() {
        let word = &args[j];
        let left = args.len() - j - 1;
        let is = |w: &str| word.eq_ignore_ascii_case(w.as_bytes());
        let takes_value = if is("get") && left >= 2 {
            false
        } else if (is("set") || is("incrby")) && left >= 3 {
            true
        } else if is("overflow") && left >= 1 {
            let mode = &args[j + 1];
            overflow = if mode.eq_ignore_ascii_case(b"wrap") {
                Overflow::Wrap
            } else if mode.eq_ignore_ascii_case(b"sat") {
                Overflow::Sat
            } else if mode.eq_ignore_ascii_case(b"fail") {
                Overflow::Fail
            } else {
                return Err(CmdError::custom(errors::FIELD_OVERFLOW));
            };
            j += 2;
            continue;
        } else {
            return Err(CmdError::Syntax);
        };
        let ty = parse_type(&args[j + 1])?;
        let offset = parse_bit_offset(&args[j + 2], Some(ty.bits))?;
        let action = if !takes_value {
            Action::Get
        } else {
            let v = parse_i64(&args[j + 3]).ok_or(CmdError::NotInteger)?;
            if is("set") {
                Action::Set(v)
            } else {
                Action::IncrBy(v)
            }
        };
        ops.push(BitfieldOp {
            action,
            ty,
            offset,
            overflow,
        });
        j += if takes_value { 4 } else { 3 };
    }
    Ok(ops)
}

/// BITFIELD key [GET type offset | [OVERFLOW WRAP | SAT | FAIL] SET type offset value |
/// INCRBY type offset increment ...]
///
/// Runs the sub-operations in order and answers one reply each: GET the field, SET the previous
/// value, INCRBY the new one, or nil where OVERFLOW FAIL refused a write. An offset `#n` means the
/// n-th field of the type's width. A call with a write grows the string to its farthest field
/// first (creating the key even when every write then fails).
pub(super) fn bitfield(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let ops = parse_ops(args)?;
    run_ops(cx, &args[1], &ops)
}

/// BITFIELD_RO key [GET type offset ...]
///
/// BITFIELD limited to GET. Every argument is parsed first, so a bad type or offset wins over
/// the read-only error.
pub(super) fn bitfield_ro(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let ops = parse_ops(args)?;
    if ops.iter().any(|op| op.action != Action::Get) {
        return Err(CmdError::custom(errors::FIELD_RO));
    }
    run_ops(cx, &args[1], &ops)
}

/// Runs parsed sub-operations against `key`: a read when all are GETs, otherwise a write.
fn run_ops(cx: &mut ShardCtx<'_>, key: &Bytes, ops: &[BitfieldOp]) -> CmdResult {
    let writes = ops.iter().any(|op| op.action != Action::Get);
    if !writes {
        let s = cx.read_str_bytes(key)?.unwrap_or_default();
        let replies = ops
            .iter()
            .map(|op| Reply::Int(op.ty.read(&s, op.offset)))
            .collect();
        return Ok(Reply::Array(replies));
    }
    let last_bit = ops
        .iter()
        .filter(|op| op.action != Action::Get)
        .map(|op| op.offset + op.ty.bits as u64 - 1)
        .max()
        .unwrap_or(0);
    let (replies, changes) = edit_bits(cx, key, (last_bit >> 3) as usize + 1, |s| {
        let mut changes = 0u64;
        let replies: Vec<Reply> = ops.iter().map(|op| apply(s, op, &mut changes)).collect();
        (replies, changes)
    })?
    .0;
    if changes == 0 {
        cx.out.suppress();
    }
    cx.dirty(changes);
    Ok(Reply::Array(replies))
}

/// Runs one sub-operation on `s`, counting writes in `changes`.
fn apply(s: &mut [u8], op: &BitfieldOp, changes: &mut u64) -> Reply {
    let old = op.ty.read(s, op.offset);
    let (new, answer) = match op.action {
        Action::Get => return Reply::Int(old),
        Action::Set(v) => (op.ty.fit(v, 0, op.overflow), old),
        Action::IncrBy(d) => match op.ty.fit(old, d, op.overflow) {
            Some(n) => (Some(n), n),
            None => (None, 0),
        },
    };
    *changes += 1;
    match new {
        Some(n) => {
            super::bits::set_field(s, op.offset, op.ty.bits, n as u64);
            Reply::Int(answer)
        }
        None => Reply::Nil,
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::session::*;
    use crate::protocol::reply::Reply;

    fn ints(v: &[i64]) -> Reply {
        Reply::Array(v.iter().map(|&n| Reply::Int(n)).collect())
    }

    #[test]
    fn set_get_and_incrby_with_each_overflow_mode() {
        let mut s = Session::new();
        assert_eq!(s.run("BITFIELD k SET u8 0 255 GET u8 0"), ints(&[0, 255]));
        assert_eq!(s.run("BITFIELD k INCRBY u8 0 10"), ints(&[9]));
        assert_eq!(
            s.run("BITFIELD k OVERFLOW SAT INCRBY u8 0 300"),
            ints(&[255])
        );
        assert_eq!(
            s.run("BITFIELD k OVERFLOW FAIL INCRBY u8 0 1 GET u8 0"),
            Reply::Array(vec![Reply::Nil, Reply::Int(255)])
        );
        assert_eq!(
            s.run("BITFIELD k SET i8 #1 -128 GET i8 8"),
            ints(&[0, -128])
        );
        assert_eq!(
            s.run("BITFIELD k GET u4 0 GET i64 0"),
            ints(&[15, -36028797018963968])
        );
        assert_eq!(s.run("BITFIELD_RO k GET u16 0"), ints(&[65408]));
        assert_eq!(s.run("BITFIELD missing GET i8 0"), ints(&[0]));
        assert_eq!(s.run("BITFIELD k"), ints(&[]));
    }

    #[test]
    fn arguments_are_checked_before_the_key() {
        let mut s = Session::new();
        s.run("LPUSH l x");
        let ty = err("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.");
        assert_eq!(s.run("BITFIELD l GET u64 0"), ty);
        assert_eq!(s.run("BITFIELD l GET i65 0"), ty);
        assert_eq!(s.run("BITFIELD l GET x8 0"), ty);
        assert_eq!(
            s.run("BITFIELD l GET u8 -1"),
            err("ERR bit offset is not an integer or out of range")
        );
        assert_eq!(
            s.run("BITFIELD l OVERFLOW NONE"),
            err("ERR Invalid OVERFLOW type specified")
        );
        assert_eq!(s.run("BITFIELD l GET u8"), err("ERR syntax error"));
        assert_eq!(
            s.run("BITFIELD l SET u8 0 x"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            s.run("BITFIELD_RO l SET u8 0 1"),
            err("ERR BITFIELD_RO only supports the GET subcommand")
        );
        assert_eq!(
            s.run("BITFIELD l GET u8 0"),
            err("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
    }
}

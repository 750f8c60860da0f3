//! The bitmap family: strings used as arrays of bits.
//!
//! This file holds the table, the one-bit commands (SETBIT, GETBIT) and the range commands
//! (BITCOUNT, BITPOS). Next door: `bitmaps/bits` (the pure bit arithmetic), `bitmaps/op` (BITOP,
//! whose keys may span shards) and `bitmaps/field` (BITFIELD, BITFIELD_RO).
//!
//! Runs on: the executor owning the key(s). Must not: await, or reach another shard; BITOP does
//! that in its own async function, inside a `MultiShard` transaction.

mod bits;
mod field;
mod op;

use bytes::Bytes;

use super::args::parse_i64;
use super::ctx::ShardCtx;
use super::table::flags::{DENYOOM, FAST, READONLY, WRITE};
use super::table::{CmdResult, CommandTable, CrossShard, Handler, KeySpec};
use crate::config::live::proto_max_bulk_len;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::storage::db::Entry;
use crate::storage::str_value::StrValue;
use crate::storage::value::{StrForm, Value};

/// Registers the bitmap family. Arity, flags and key positions are those `COMMAND INFO` shows on
/// Redis 7.0.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    use Handler::Shard;
    const ONE: KeySpec = KeySpec::range(1, 1, 1);

    //     name            arity  flags                keys   handler
    t.add("setbit",            4, WRITE | DENYOOM,     ONE,   Shard(setbit));
    t.add("getbit",            3, READONLY | FAST,     ONE,   Shard(getbit));
    t.add("bitcount",         -2, READONLY,            ONE,   Shard(bitcount));
    t.add("bitpos",           -3, READONLY,            ONE,   Shard(bitpos));
    t.add("bitfield",         -2, WRITE | DENYOOM,     ONE,   Shard(field::bitfield));
    t.add("bitfield_ro",      -2, READONLY | FAST,     ONE,   Shard(field::bitfield_ro));

    //           name      arity  flags                keys                      handler          keys on several shards
    t.add_cross("bitop",      -4, WRITE | DENYOOM,     KeySpec::range(2, -1, 1), Shard(op::bitop), CrossShard::Custom(op::bitop_spread));
}

/// The family's error texts, as Redis 7.0 words them.
mod errors {
    pub const BIT_OFFSET: &str = "ERR bit offset is not an integer or out of range";
    pub const BIT_VALUE: &str = "ERR bit is not an integer or out of range";
    pub const BITPOS_BIT: &str = "ERR The bit argument must be 1 or 0.";
    pub const BITOP_NOT: &str = "ERR BITOP NOT must be called with a single source key.";
    pub const FIELD_TYPE: &str = "ERR Invalid bitfield type. Use something like i16 u8. \
                                  Note that u64 is not supported but i64 is.";
    pub const FIELD_OVERFLOW: &str = "ERR Invalid OVERFLOW type specified";
    pub const FIELD_RO: &str = "ERR BITFIELD_RO only supports the GET subcommand";
}

/// Parses a bit offset. With `field_bits` set, a `#n` offset means the n-th field of that width.
/// Fails with the bit-offset error when it is not an integer, is negative, or points past
/// `proto-max-bulk-len` bytes.
fn parse_bit_offset(arg: &[u8], field_bits: Option<u32>) -> Result<u64, CmdError> {
    let bad = || CmdError::custom(errors::BIT_OFFSET);
    let (digits, times) = match (arg.first(), field_bits) {
        (Some(b'#'), Some(bits)) => (&arg[1..], bits as i64),
        _ => (arg, 1),
    };
    let n = parse_i64(digits).ok_or_else(bad)?.wrapping_mul(times);
    if n < 0 || (n as u64 >> 3) >= proto_max_bulk_len() {
        return Err(bad());
    }
    Ok(n as u64)
}

/// Runs `edit` on the string at `key`, grown with zero bytes to at least `min_len` bytes
/// (created when missing). Keeps the key's TTL. Fails with `WrongType` when `key` holds another
/// type. Returns what `edit` returns, and whether the key was created or grew.
fn edit_bits<R>(
    cx: &mut ShardCtx<'_>,
    key: &Bytes,
    min_len: usize,
    edit: impl FnOnce(&mut [u8]) -> R,
) -> Result<(R, bool), CmdError> {
    match cx.lookup_write(key) {
        Some(e) => {
            let Value::Str(s) = &mut e.value else {
                return Err(CmdError::WrongType);
            };
            let mut buf = s.take_mut();
            let grew = buf.len() < min_len;
            if grew {
                buf.resize(min_len, 0);
            }
            let r = edit(&mut buf);
            *s = StrValue::from(buf.freeze());
            // A string edited bit by bit is a raw string in Redis from then on.
            e.str_form = StrForm::Edited;
            Ok((r, grew))
        }
        None => {
            let mut buf = vec![0u8; min_len];
            let r = edit(&mut buf);
            let mut entry = Entry::new(Value::Str(buf.into()));
            entry.str_form = StrForm::Edited;
            cx.db().insert(key.clone(), entry);
            Ok((r, true))
        }
    }
}

/// The string at `key` for a read command, missing keys reading as empty.
fn read_bits(cx: &mut ShardCtx<'_>, key: &[u8]) -> Result<Bytes, CmdError> {
    Ok(cx.read_str_bytes(key)?.unwrap_or_default())
}

/// Parses an optional `BYTE | BIT` unit: true for BIT.
fn parse_unit(arg: Option<&Bytes>) -> Result<bool, CmdError> {
    match arg {
        None => Ok(false),
        Some(a) if a.eq_ignore_ascii_case(b"bit") => Ok(true),
        Some(a) if a.eq_ignore_ascii_case(b"byte") => Ok(false),
        Some(_) => Err(CmdError::Syntax),
    }
}

/// SETBIT key offset value
///
/// Sets or clears the bit at `offset`, growing the string with zero bytes (or creating it), and
/// answers the bit's previous value. The offset is checked first, then the value (0 or 1), then
/// the key's type.
fn setbit(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let offset = parse_bit_offset(&args[2], None)?;
    let on = match parse_i64(&args[3]) {
        Some(0) => false,
        Some(1) => true,
        _ => return Err(CmdError::custom(errors::BIT_VALUE)),
    };
    let (old, _) = edit_bits(cx, &args[1], (offset >> 3) as usize + 1, |s| {
        bits::set_bit(s, offset, on)
    })?;
    cx.dirty(1);
    Ok(Reply::Int(old as i64))
}

/// GETBIT key offset
///
/// The bit at `offset`; bits past the end of the string, and of a missing key, are 0.
fn getbit(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let offset = parse_bit_offset(&args[2], None)?;
    let s = read_bits(cx, &args[1])?;
    Ok(Reply::Int(bits::get_bit(&s, offset) as i64))
}

/// BITCOUNT key [start end [BYTE | BIT]]
///
/// The number of set bits in the string, or in the range `start..=end` (bytes unless BIT).
/// As in Redis, the key is looked up first: a missing key answers 0 whatever the arguments.
fn bitcount(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let Some(s) = cx.read_str_bytes(&args[1])? else {
        return Ok(Reply::Int(0));
    };
    let range = match args.len() {
        2 => bits::bit_range(s.len() as u64, 0, -1, false),
        4 | 5 => {
            let start = parse_i64(&args[2]).ok_or(CmdError::NotInteger)?;
            let end = parse_i64(&args[3]).ok_or(CmdError::NotInteger)?;
            let in_bits = parse_unit(args.get(4))?;
            // Redis 7.0 answers 0 for two negative offsets in the wrong order before it
            // clamps them (clamping could turn them into a one-byte range).
            if start < 0 && end < 0 && start > end {
                return Ok(Reply::Int(0));
            }
            bits::bit_range(s.len() as u64, start, end, in_bits)
        }
        _ => return Err(CmdError::Syntax),
    };
    let n = range.map_or(0, |(a, b)| bits::count_bits(&s, a, b));
    Ok(Reply::Int(n as i64))
}

/// BITPOS key bit [start [end [BYTE | BIT]]]
///
/// The position of the first bit equal to `bit` in the range (bytes unless BIT), or -1. A
/// missing key is an endless run of 0 bits. Looking for a 0 without an explicit `end` treats the
/// string as zero-padded on the right, so an all-ones range answers the first bit past it; with
/// an explicit `end` it answers -1. Checks the bit argument before the key, and the offsets
/// after it.
fn bitpos(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let bit = match parse_i64(&args[2]).ok_or(CmdError::NotInteger)? {
        b @ (0 | 1) => b as u8,
        _ => return Err(CmdError::custom(errors::BITPOS_BIT)),
    };
    let Some(s) = cx.read_str_bytes(&args[1])? else {
        return Ok(Reply::Int(if bit == 1 { -1 } else { 0 }));
    };
    let len = s.len() as u64;
    let (range, end_given) = match args.len() {
        3 => (bits::bit_range(len, 0, -1, false), false),
        4..=6 => {
            let start = parse_i64(&args[3]).ok_or(CmdError::NotInteger)?;
            let in_bits = parse_unit(args.get(5))?;
            let end = match args.get(4) {
                Some(a) => parse_i64(a).ok_or(CmdError::NotInteger)?,
                None => -1,
            };
            (bits::bit_range(len, start, end, in_bits), args.len() >= 5)
        }
        _ => return Err(CmdError::Syntax),
    };
    let Some((first, last)) = range else {
        return Ok(Reply::Int(-1));
    };
    let pos = match bits::find_bit(&s, first, last, bit) {
        Some(p) => p as i64,
        None if bit == 0 && !end_given => last as i64 + 1,
        None => -1,
    };
    Ok(Reply::Int(pos))
}

#[cfg(test)]
mod tests {
    use crate::commands::session::*;
    use crate::commands::table::flags::*;
    use crate::protocol::reply::Reply;

    #[test]
    fn the_table_matches_redis_command_info() {
        let info = |name: &str| declared(super::register, name);
        assert_eq!(info("setbit"), (4, WRITE | DENYOOM, 1, 1, 1));
        assert_eq!(info("getbit"), (3, READONLY | FAST, 1, 1, 1));
        assert_eq!(info("bitcount"), (-2, READONLY, 1, 1, 1));
        assert_eq!(info("bitpos"), (-3, READONLY, 1, 1, 1));
        assert_eq!(info("bitop"), (-4, WRITE | DENYOOM, 2, -1, 1));
        assert_eq!(info("bitfield"), (-2, WRITE | DENYOOM, 1, 1, 1));
        assert_eq!(info("bitfield_ro"), (-2, READONLY | FAST, 1, 1, 1));
        assert_eq!(registered(super::register), 7);
    }

    #[test]
    fn setbit_grows_the_string_and_answers_the_old_bit() {
        let mut s = Session::new();
        assert_eq!(s.run("SETBIT k 7 1"), int(0));
        assert_eq!(s.run("SETBIT k 7 1"), int(1));
        assert_eq!(s.run("GET k"), Reply::bulk_copy(b"\x01"));
        assert_eq!(s.run("SETBIT k 17 1"), int(0));
        assert_eq!(s.run("GET k"), Reply::bulk_copy(b"\x01\x00\x40"));
        assert_eq!(s.run("GETBIT k 17"), int(1));
        assert_eq!(s.run("GETBIT k 1000"), int(0));
        assert_eq!(s.run("GETBIT missing 0"), int(0));
    }

    #[test]
    fn setbit_checks_offset_then_value_then_type() {
        let mut s = Session::new();
        let offset = err("ERR bit offset is not an integer or out of range");
        let value = err("ERR bit is not an integer or out of range");
        assert_eq!(s.run("SETBIT k -1 1"), offset);
        assert_eq!(s.run("SETBIT k 4294967296 1"), offset);
        assert_eq!(s.run("SETBIT k x 2"), offset);
        assert_eq!(s.run("SETBIT k 0 2"), value);
        assert_eq!(s.run("SETBIT k 0 -1"), value);
        s.run("LPUSH l a");
        assert_eq!(s.run("SETBIT l 0 2"), value);
        assert_eq!(
            s.run("SETBIT l 0 1"),
            err("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
    }

    #[test]
    fn bitcount_and_bitpos_follow_redis_ranges() {
        let mut s = Session::new();
        s.set("k", "foobar");
        assert_eq!(s.run("BITCOUNT k"), int(26));
        assert_eq!(s.run("BITCOUNT k 1 1"), int(6));
        assert_eq!(s.run("BITCOUNT k 5 30 BIT"), int(17));
        assert_eq!(s.run("BITCOUNT k 0"), err("ERR syntax error"));
        assert_eq!(s.run("BITCOUNT k 0 1 bits"), err("ERR syntax error"));
        assert_eq!(s.run("BITCOUNT nokey 0 x"), int(0));
        s.run("SETBIT z 0 0");
        s.run("SETBIT ones 23 0");
        s.run("BITOP NOT ones ones");
        assert_eq!(s.run("BITPOS ones 0"), int(24));
        assert_eq!(s.run("BITPOS ones 0 0 -1"), int(-1));
        assert_eq!(s.run("BITPOS ones 1 1"), int(8));
        assert_eq!(s.run("BITPOS nokey 0"), int(0));
        assert_eq!(s.run("BITPOS nokey 1"), int(-1));
        assert_eq!(
            s.run("BITPOS k 2"),
            err("ERR The bit argument must be 1 or 0.")
        );
        assert_eq!(s.run("BITPOS k 1 2 -1 BIT"), int(2));
    }
}

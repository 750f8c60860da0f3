//! One value written as its RDB type byte and payload, as Redis 7.0 writes it.
//!
//! Owns: the choice of RDB type per value and the payload encoders. The type follows the
//! value's in-memory encoding, as Redis's `rdbSaveObjectType` does, so small values get compact
//! forms and large ones plain forms:
//!
//! | value                  | type                                   |
//! |------------------------|----------------------------------------|
//! | string                 | 0 (integer-encoded or LZF when it pays)|
//! | list                   | 18, one packed listpack node per node  |
//! | set, `intset`          | 11                                     |
//! | set, `hashtable`       | 2                                      |
//! | zset, `listpack`       | 17 (sorted by score, then member)      |
//! | zset, `skiplist`       | 5, highest score first                 |
//! | hash, `listpack`       | 16                                     |
//! | hash, `hashtable`      | 4                                      |
//!
//! Type 20 (a set as a listpack) is never written: Redis 7.0 cannot read it.
//! Must not: read the configuration (the caller says whether to compress).

use std::io::{self, Write};

use super::format::{container, types};
use super::intset;
use super::listpack::ListpackBuilder;
use super::output::Output;
use crate::protocol::encoder::write_double;
use crate::storage::hash::HashValue;
use crate::storage::list::ListValue;
use crate::storage::set::{Member, SetValue};
use crate::storage::value::Value;
use crate::storage::zset::ZSetValue;

/// Elements copied out of a skiplist at a time while writing it.
const ZSET_CHUNK: usize = 1024;

/// The RDB type byte `v` is written with.
pub fn value_type(v: &Value) -> u8 {
    match v {
        Value::Str(_) => types::STRING,
        Value::List(_) => types::LIST_QUICKLIST_2,
        Value::Set(s) if s.intset_width().is_some() => types::SET_INTSET,
        Value::Set(_) => types::SET,
        Value::ZSet(z) if z.encoding_name() == "listpack" => types::ZSET_LISTPACK,
        Value::ZSet(_) => types::ZSET_2,
        Value::Hash(h) if h.encoding_name() == "listpack" => types::HASH_LISTPACK,
        Value::Hash(_) => types::HASH,
        Value::Stream(_) => types::STREAM_LISTPACKS_2,
    }
}

/// Writes `v` as its type byte followed by its payload.
pub fn write_value<W: Write>(out: &mut Output<W>, v: &Value) -> io::Result<()> {
    out.u8(value_type(v))?;
    write_payload(out, v)
}

/// Writes the payload of `v` (what follows the type byte, and the key in a file).
pub fn write_payload<W: Write>(out: &mut Output<W>, v: &Value) -> io::Result<()> {
    let t = value_type(v);
    match v {
        Value::Str(b) => out.string(b),
        Value::List(l) => write_list(out, l),
        Value::Set(s) => write_set(out, s, t),
        Value::ZSet(z) => write_zset(out, z, t),
        Value::Hash(h) => write_hash(out, h, t),
        Value::Stream(st) => {
            super::stream_write::write_stream(out, &super::stream_convert::to_data(st))
        }
    }
}

fn write_list<W: Write>(out: &mut Output<W>, l: &ListValue) -> io::Result<()> {
    let nodes = l.packed_nodes();
    out.len(nodes.len() as u64)?;
    for (count, entries) in nodes {
        out.len(container::PACKED)?;
        let mut lp = ListpackBuilder::new();
        lp.push_raw_entries(entries, count);
        out.string(&lp.finish())?;
    }
    Ok(())
}

fn write_set<W: Write>(out: &mut Output<W>, s: &SetValue, t: u8) -> io::Result<()> {
    if t == types::SET_INTSET {
        let width = s.intset_width().unwrap_or(8);
        let members = s.iter().map(|m| match m {
            Member::Int(n) => n,
            Member::Str(_) => unreachable!("an intset holds integers"),
        });
        let ints: Vec<i64> = members.collect();
        return out.string(&intset::encode(ints.into_iter(), width));
    }
    out.len(s.len() as u64)?;
    for m in s.iter() {
        match m {
            Member::Str(b) => out.string(b)?,
            Member::Int(n) => out.string(itoa::Buffer::new().format(n).as_bytes())?,
        }
    }
    Ok(())
}

fn write_zset<W: Write>(out: &mut Output<W>, z: &ZSetValue, t: u8) -> io::Result<()> {
    if t == types::ZSET_LISTPACK {
        let mut lp = ListpackBuilder::new();
        for (m, score) in z.iter() {
            lp.push_str(m);
            push_score(&mut lp, score);
        }
        return out.string(&lp.finish());
    }
    let len = z.len();
    out.len(len as u64)?;
    // Highest score first, as Redis writes a skiplist: its loader then inserts at the head.
    let mut end = len;
    while end > 0 {
        let start = end.saturating_sub(ZSET_CHUNK);
        for (m, score) in z.range(start, end - 1, true) {
            out.string(&m)?;
            out.binary_double(score)?;
        }
        end = start;
    }
    Ok(())
}

fn write_hash<W: Write>(out: &mut Output<W>, h: &HashValue, t: u8) -> io::Result<()> {
    if t == types::HASH_LISTPACK {
        let mut lp = ListpackBuilder::new();
        for (f, v) in h.iter() {
            lp.push_str(f);
            lp.push_str(v);
        }
        return out.string(&lp.finish());
    }
    out.len(h.len() as u64)?;
    for (f, v) in h.iter() {
        out.string(f)?;
        out.string(v)?;
    }
    Ok(())
}

/// Appends a zset score as Redis's `zzlInsertAt` stores it: an integer entry when the score is
/// integral and within ±2^62 (`double2ll`), else its `%.17g` text (`inf`, `-inf` for the
/// infinities).
fn push_score(lp: &mut ListpackBuilder, score: f64) {
    match double_to_i64(score) {
        Some(n) => lp.push_int(n),
        None => {
            let mut buf = Vec::with_capacity(40);
            write_double(&mut buf, score, 2);
            // RESP2 gives `$<len>\r\n<text>\r\n`: keep the text.
            let start = buf.iter().position(|&c| c == b'\n').map_or(0, |p| p + 1);
            lp.push_str(&buf[start..buf.len() - 2]);
        }
    }
}

/// `d` as an i64 when it is integral and within ±(i64::MAX / 2), Redis's `double2ll`.
fn double_to_i64(d: f64) -> Option<i64> {
    let limit = (i64::MAX / 2) as f64;
    if !(-limit..=limit).contains(&d) {
        return None;
    }
    let n = d as i64;
    (n as f64 == d).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_scores_are_integers_within_the_safe_range() {
        assert_eq!(double_to_i64(3.0), Some(3));
        assert_eq!(double_to_i64(-0.0), Some(0));
        assert_eq!(double_to_i64(1.5), None);
        assert_eq!(double_to_i64(f64::NAN), None);
        assert_eq!(double_to_i64(f64::INFINITY), None);
        assert_eq!(double_to_i64(1e19), None);
        let mut lp = ListpackBuilder::new();
        push_score(&mut lp, 1.1);
        push_score(&mut lp, f64::NEG_INFINITY);
        let blob = lp.finish();
        let elems = super::super::listpack::decode(&blob).unwrap();
        let texts: Vec<_> = elems.into_iter().map(|e| e.to_bytes()).collect();
        assert_eq!(texts, ["1.1000000000000001", "-inf"]);
    }
}

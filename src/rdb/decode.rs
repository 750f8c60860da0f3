//! One value read from its RDB payload into the server's own representation.
//!
//! Owns: `read_value`, which takes a type byte and the payload after it and builds the value the
//! way a fresh build of the same data would: through the value types' own constructors, so the
//! encoding thresholds of the live configuration (`list-max-listpack-size`,
//! `hash-max-listpack-*`, `set-max-intset-entries`, `zset-max-listpack-*`) decide the
//! in-memory encoding, whatever encoding the file used. Every compact blob is fully validated
//! first; duplicates, NaN scores and other impossible contents are corruption, as in Redis.
//! Must not: touch a keyspace, or know about files (opcodes, expiries, the CRC).

use std::collections::HashSet;
use std::io::BufRead;

use bytes::Bytes;

use super::format::{container, types};
use super::input::{parse_score, Input, Result};
use super::listpack::{self, LpElem};
use super::stream::StreamData;
use super::{intset, module, ziplist, zipmap};
use crate::config::live::{threshold, Threshold};
use crate::storage::hash::HashValue;
use crate::storage::list::{End, Fill, ListValue};
use crate::storage::set::{Member, SetLimits, SetValue};
use crate::storage::value::Value;
use crate::storage::zset::{Limits as ZSetLimits, ZSetValue};

/// Elements pushed onto a list at a time while loading it.
const LIST_BATCH: usize = 1024;
/// Most items reserved ahead from a count read from the stream.
const RESERVE_CAP: usize = 4096;

/// What a key holds, as read from an RDB.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A value of a type the server has.
    Value(Value),
    /// A stream, in the RDB's own terms (the server has no stream type yet).
    Stream(Box<StreamData>),
}

/// What reading one value gave.
#[derive(Debug)]
pub enum Decoded {
    /// A value to store.
    Payload(Payload),
    /// An empty aggregate: Redis skips such keys with a warning.
    Empty,
    /// A module value, skipped; holds the module type's name.
    Module(String),
}

/// True when `t` is a value type byte this reader knows (7.2's included).
pub fn is_value_type(t: u8) -> bool {
    t <= types::MODULE_2 || (types::HASH_ZIPMAP..=types::STREAM_LISTPACKS_3).contains(&t)
}

/// Reads the payload of a value of type `rdb_type`.
pub fn read_value<R: BufRead>(input: &mut Input<R>, rdb_type: u8) -> Result<Decoded> {
    let at = input.offset();
    let value = match rdb_type {
        types::STRING => Value::Str(input.string()?.into()),
        types::LIST => {
            let n = input.len()?;
            let mut list = ListLoader::new();
            for _ in 0..n {
                list.push(Bytes::from(input.string()?));
            }
            return Ok(list.finish());
        }
        types::LIST_ZIPLIST => {
            let blob = input.string()?;
            let elems = ziplist::decode(&blob).map_err(|e| e.at_offset(at))?;
            let mut list = ListLoader::new();
            elems.into_iter().for_each(|e| list.push(e.to_bytes()));
            return Ok(list.finish());
        }
        types::LIST_QUICKLIST | types::LIST_QUICKLIST_2 => return read_quicklist(input, rdb_type),
        types::SET => {
            let n = input.len()?;
            let mut set = SetLoader::new();
            for _ in 0..n {
                let at = input.offset();
                let m = input.string()?;
                set.insert(&m).map_err(|what| input.corrupt_at(at, what))?;
            }
            return Ok(set.finish());
        }
        types::SET_INTSET => {
            let blob = input.string()?;
            let members = intset::decode(&blob).map_err(|e| e.at_offset(at))?;
            let limits = SetLimits::current();
            let mut set = SetValue::new();
            for m in members {
                set.insert_member(Member::Int(m), limits);
            }
            Value::Set(Box::new(set))
        }
        types::SET_LISTPACK => {
            let blob = input.string()?;
            let elems = listpack::decode(&blob).map_err(|e| e.at_offset(at))?;
            let mut set = SetLoader::new();
            for e in elems {
                set.insert(&e.to_bytes())
                    .map_err(|what| input.corrupt_at(at, what))?;
            }
            return Ok(set.finish());
        }
        types::ZSET | types::ZSET_2 => {
            let n = input.len()?;
            let mut pairs = Vec::with_capacity((n as usize).min(RESERVE_CAP));
            for _ in 0..n {
                let m = Bytes::from(input.string()?);
                let score = if rdb_type == types::ZSET_2 {
                    input.binary_double()?
                } else {
                    input.text_double()?
                };
                pairs.push((m, score));
            }
            return zset_from(pairs).map_err(|what| input.corrupt_at(at, what));
        }
        types::ZSET_ZIPLIST | types::ZSET_LISTPACK => {
            let blob = input.string()?;
            let elems = if rdb_type == types::ZSET_ZIPLIST {
                ziplist::decode(&blob)
            } else {
                listpack::decode(&blob)
            }
            .map_err(|e| e.at_offset(at))?;
            let pairs = pairs_of(&elems).map_err(|what| input.corrupt_at(at, what))?;
            let mut scored = Vec::with_capacity(pairs.len());
            for (m, s) in pairs {
                let score = match s {
                    LpElem::Int(n) => n as f64,
                    LpElem::Str(t) => parse_score(t)
                        .ok_or_else(|| input.corrupt_at(at, "zset score is not a number"))?,
                };
                scored.push((m.to_bytes(), score));
            }
            return zset_from(scored).map_err(|what| input.corrupt_at(at, what));
        }
        types::HASH => {
            let n = input.len()?;
            let mut hash = HashLoader::new();
            for _ in 0..n {
                let at = input.offset();
                let f = Bytes::from(input.string()?);
                let v = Bytes::from(input.string()?);
                hash.set(f, v).map_err(|what| input.corrupt_at(at, what))?;
            }
            return Ok(hash.finish());
        }
        types::HASH_ZIPMAP => {
            let blob = input.string()?;
            let pairs = zipmap::decode(&blob).map_err(|e| e.at_offset(at))?;
            let mut hash = HashLoader::new();
            for (f, v) in pairs {
                hash.set(Bytes::copy_from_slice(f), Bytes::copy_from_slice(v))
                    .map_err(|what| input.corrupt_at(at, what))?;
            }
            return Ok(hash.finish());
        }
        types::HASH_ZIPLIST | types::HASH_LISTPACK => {
            let blob = input.string()?;
            let elems = if rdb_type == types::HASH_ZIPLIST {
                ziplist::decode(&blob)
            } else {
                listpack::decode(&blob)
            }
            .map_err(|e| e.at_offset(at))?;
            let pairs = pairs_of(&elems).map_err(|what| input.corrupt_at(at, what))?;
            let mut hash = HashLoader::new();
            for (f, v) in pairs {
                hash.set(f.to_bytes(), v.to_bytes())
                    .map_err(|what| input.corrupt_at(at, what))?;
            }
            return Ok(hash.finish());
        }
        types::STREAM_LISTPACKS | types::STREAM_LISTPACKS_2 | types::STREAM_LISTPACKS_3 => {
            let s = StreamData::read(input, rdb_type)?;
            return Ok(Decoded::Payload(Payload::Stream(Box::new(s))));
        }
        types::MODULE_2 => return Ok(Decoded::Module(module::skip_value(input)?)),
        types::MODULE_PRE_GA => {
            return Err(super::error::RdbError::new(
                at,
                super::error::RdbErrorKind::Unsupported(
                    "pre-GA module value (type 6) cannot be skipped".into(),
                ),
            ))
        }
        t => return Err(input.corrupt_at(at.saturating_sub(1), format!("unknown value type {t}"))),
    };
    Ok(Decoded::Payload(Payload::Value(value)))
}

/// Reads a quicklist (type 14: ziplist nodes; type 18: containers and listpack or plain nodes).
fn read_quicklist<R: BufRead>(input: &mut Input<R>, rdb_type: u8) -> Result<Decoded> {
    let nodes = input.len()?;
    let mut list = ListLoader::new();
    for _ in 0..nodes {
        let mut kind = container::PACKED;
        if rdb_type == types::LIST_QUICKLIST_2 {
            let at = input.offset();
            kind = input.len()?;
            if kind != container::PACKED && kind != container::PLAIN {
                return Err(input.corrupt_at(at, "unknown quicklist node container"));
            }
        }
        let at = input.offset();
        let blob = input.string()?;
        if blob.is_empty() {
            return Err(input.corrupt_at(at, "empty quicklist node"));
        }
        if kind == container::PLAIN {
            list.push(Bytes::from(blob));
            continue;
        }
        let elems = if rdb_type == types::LIST_QUICKLIST {
            ziplist::decode(&blob)
        } else {
            listpack::decode(&blob)
        }
        .map_err(|e| e.at_offset(at))?;
        // Empty nodes are skipped, as Redis does; an all-empty list is an empty key.
        elems.into_iter().for_each(|e| list.push(e.to_bytes()));
    }
    Ok(list.finish())
}

/// The elements of a field/value (or member/score) blob as pairs.
fn pairs_of<'a>(
    elems: &'a [LpElem<'a>],
) -> std::result::Result<Vec<(LpElem<'a>, LpElem<'a>)>, &'static str> {
    if !elems.len().is_multiple_of(2) {
        return Err("odd number of elements in a blob of pairs");
    }
    Ok(elems.chunks_exact(2).map(|p| (p[0], p[1])).collect())
}

/// A zset of `pairs`, refusing NaN scores and repeated members.
fn zset_from(pairs: Vec<(Bytes, f64)>) -> std::result::Result<Decoded, &'static str> {
    if pairs.is_empty() {
        return Ok(Decoded::Empty);
    }
    if pairs.iter().any(|(_, s)| s.is_nan()) {
        return Err("zset with a NaN score");
    }
    let mut seen = HashSet::with_capacity(pairs.len());
    if !pairs.iter().all(|(m, _)| seen.insert(&m[..])) {
        return Err("duplicate zset members");
    }
    drop(seen);
    let z = ZSetValue::from_pairs(pairs, ZSetLimits::live());
    Ok(Decoded::Payload(Payload::Value(Value::ZSet(Box::new(z)))))
}

/// Builds a list from elements arriving one at a time, pushed in batches.
struct ListLoader {
    list: ListValue,
    pending: Vec<Bytes>,
    fill: Fill,
}

impl ListLoader {
    fn new() -> ListLoader {
        ListLoader {
            list: ListValue::new(),
            pending: Vec::new(),
            fill: Fill(threshold(Threshold::ListMaxListpackSize)),
        }
    }

    fn push(&mut self, e: Bytes) {
        self.pending.push(e);
        if self.pending.len() == LIST_BATCH {
            self.list.push_all(End::Tail, &self.pending, self.fill);
            self.pending.clear();
        }
    }

    fn finish(mut self) -> Decoded {
        self.list.push_all(End::Tail, &self.pending, self.fill);
        if self.list.is_empty() {
            Decoded::Empty
        } else {
            Decoded::Payload(Payload::Value(Value::List(Box::new(self.list))))
        }
    }
}

/// Builds a set member by member, refusing repeats.
struct SetLoader {
    set: SetValue,
    limits: SetLimits,
}

impl SetLoader {
    fn new() -> SetLoader {
        SetLoader {
            set: SetValue::new(),
            limits: SetLimits::current(),
        }
    }

    fn insert(&mut self, m: &[u8]) -> std::result::Result<(), &'static str> {
        if self.set.insert_with(m, self.limits) {
            Ok(())
        } else {
            Err("duplicate set members")
        }
    }

    fn finish(self) -> Decoded {
        if self.set.is_empty() {
            Decoded::Empty
        } else {
            Decoded::Payload(Payload::Value(Value::Set(Box::new(self.set))))
        }
    }
}

/// Builds a hash pair by pair, refusing repeated fields. Pairs a listpack can hold are kept
/// aside and packed once at the end: packed one by one, each would copy the buffer.
enum HashLoader {
    /// Every pair so far, while a listpack holds them.
    Pairs(Vec<(Bytes, Bytes)>),
    /// Past the listpack thresholds: a hashtable.
    Hash(HashValue),
}

impl HashLoader {
    fn new() -> HashLoader {
        HashLoader::Pairs(Vec::new())
    }

    fn set(&mut self, f: Bytes, v: Bytes) -> std::result::Result<(), &'static str> {
        const DUPLICATE: &str = "duplicate hash fields";
        match self {
            HashLoader::Pairs(pairs) => {
                if pairs.iter().any(|(g, _)| *g == f) {
                    return Err(DUPLICATE);
                }
                let longest = f.len().max(v.len());
                pairs.push((f, v));
                if !HashValue::listpack_holds(pairs.len(), longest) {
                    *self = HashLoader::Hash(HashValue::from_distinct_pairs(pairs));
                }
                Ok(())
            }
            HashLoader::Hash(h) => h.set(&f, &v).then_some(()).ok_or(DUPLICATE),
        }
    }

    fn finish(self) -> Decoded {
        let hash = match self {
            HashLoader::Pairs(pairs) => HashValue::from_distinct_pairs(&pairs),
            HashLoader::Hash(h) => h,
        };
        if hash.is_empty() {
            Decoded::Empty
        } else {
            Decoded::Payload(Payload::Value(Value::Hash(hash)))
        }
    }
}

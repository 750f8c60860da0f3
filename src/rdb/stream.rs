//! Streams as the RDB holds them (types 15, 19 and 21), read into a plain structure.
//!
//! Owns: `StreamData` and its parts (entries, consumer groups, pending entries, consumers), and
//! the reader that fills them from the RDB layout, checking it as Redis's deep sanitisation
//! does. Turning a `StreamData` into the server's stream value is the stream type's business,
//! not this file's: until that type exists, the reader skips streams with a warning.
//!
//! ```text
//! length nodes; per node: string key (master ID: u64 BE ms, u64 BE seq), string listpack
//! length entries, length last_id.ms, length last_id.seq
//! [19, 21] length first_id.ms/.seq, length max_deleted_id.ms/.seq, length entries_added
//! length groups; per group: string name, length last_delivered.ms/.seq, [19, 21] length
//!   entries_read, length PEL size, per entry: 16 raw bytes ID (BE), i64 LE delivery time,
//!   length delivery count; length consumers, per consumer: string name, i64 LE seen time,
//!   [21] i64 LE active time, length PEL size, per entry: 16 raw bytes ID
//! ```
//!
//! A node's listpack: `count deleted num-fields field… 0` (the master entry), then per entry
//! `flags ms-delta seq-delta [num-fields (field value)… | value…] lp-count`, flags 1 = deleted,
//! 2 = same fields as the master entry.

use std::collections::{HashMap, HashSet};
use std::io::BufRead;

use bytes::Bytes;

use super::format::types;
use super::input::{Input, Result};
use super::listpack::{self, LpElem};

/// Entry flag: the entry is deleted (a tombstone kept in its node).
const FLAG_DELETED: i64 = 1;
/// Entry flag: the entry has the master entry's fields, so only its values are stored.
const FLAG_SAMEFIELDS: i64 = 2;
/// Most items reserved ahead from a count read from the stream.
const RESERVE_CAP: usize = 1024;

/// A stream entry ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    /// Milliseconds part.
    pub ms: u64,
    /// Sequence part.
    pub seq: u64,
}

impl StreamId {
    /// The ID as the 16 big-endian bytes used for node keys and PEL entries.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.ms.to_be_bytes());
        b[8..].copy_from_slice(&self.seq.to_be_bytes());
        b
    }

    /// The ID held in 16 big-endian bytes.
    pub fn from_be_bytes(b: [u8; 16]) -> StreamId {
        StreamId {
            ms: u64::from_be_bytes(b[..8].try_into().expect("eight bytes")),
            seq: u64::from_be_bytes(b[8..].try_into().expect("eight bytes")),
        }
    }
}

/// One live stream entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEntry {
    /// Its ID.
    pub id: StreamId,
    /// Its field/value pairs, in order.
    pub fields: Vec<(Bytes, Bytes)>,
}

/// One entry of a consumer group's pending entries list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEntry {
    /// The entry's ID.
    pub id: StreamId,
    /// When it was last delivered, Unix milliseconds.
    pub delivery_time_ms: i64,
    /// How many times it was delivered.
    pub delivery_count: u64,
}

/// One consumer of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamConsumer {
    /// Its name.
    pub name: Bytes,
    /// When it was last seen, Unix milliseconds.
    pub seen_time_ms: i64,
    /// When it last read or claimed successfully (type 21 only; Redis 7.0 has no such time and
    /// 7.2 takes the seen time for older files).
    pub active_time_ms: Option<i64>,
    /// The IDs of the group's pending entries it owns, ascending.
    pub pending: Vec<StreamId>,
}

/// One consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerGroup {
    /// Its name.
    pub name: Bytes,
    /// The last ID delivered to the group.
    pub last_delivered_id: StreamId,
    /// Entries the group has read (its lag base), as stored: -1 means "invalid, estimate".
    /// `None` for type 15, which predates the field: the stream type estimates it.
    pub entries_read: Option<i64>,
    /// The pending entries list, ascending by ID.
    pub pending: Vec<PendingEntry>,
    /// The consumers, in file order.
    pub consumers: Vec<StreamConsumer>,
}

/// A whole stream as the RDB holds it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamData {
    /// The live entries, ascending by ID (deleted entries are left out).
    pub entries: Vec<StreamEntry>,
    /// The stream's length as stored (live entries).
    pub length: u64,
    /// The last ID ever added.
    pub last_id: StreamId,
    /// The first live ID (for type 15, taken from the entries; 0-0 when empty).
    pub first_id: StreamId,
    /// The largest ID ever deleted (0-0 for type 15).
    pub max_deleted_entry_id: StreamId,
    /// Entries ever added (for type 15, the length).
    pub entries_added: u64,
    /// The consumer groups, in file order.
    pub groups: Vec<ConsumerGroup>,
}

impl StreamData {
    /// Reads a stream of `rdb_type` (15, 19 or 21).
    pub fn read<R: BufRead>(input: &mut Input<R>, rdb_type: u8) -> Result<StreamData> {
        let mut s = StreamData::default();
        let nodes = input.len()?;
        let mut last_key: Option<StreamId> = None;
        for _ in 0..nodes {
            let at = input.offset();
            let key = input.string()?;
            let key: [u8; 16] = key
                .try_into()
                .map_err(|_| input.corrupt_at(at, "stream node key is not the size of an ID"))?;
            let master = StreamId::from_be_bytes(key);
            if last_key.is_some_and(|k| k >= master) {
                return Err(input.corrupt_at(at, "stream node keys out of order or repeated"));
            }
            last_key = Some(master);
            let at = input.offset();
            let blob = input.string()?;
            let elems = listpack::decode(&blob).map_err(|e| e.at_offset(at))?;
            if elems.is_empty() {
                return Err(input.corrupt_at(at, "empty listpack inside stream"));
            }
            read_node(master, &elems, &mut s.entries).map_err(|what| input.corrupt_at(at, what))?;
        }
        s.length = input.len()?;
        s.last_id = read_id(input)?;
        if rdb_type == types::STREAM_LISTPACKS {
            s.entries_added = s.length;
            s.first_id = s.entries.first().map(|e| e.id).unwrap_or_default();
        } else {
            s.first_id = read_id(input)?;
            s.max_deleted_entry_id = read_id(input)?;
            s.entries_added = input.len()?;
        }
        if s.length > 0 && nodes == 0 {
            return Err(
                input.corrupt_at(input.offset(), "stream length inconsistent with its nodes")
            );
        }
        let groups = input.len()?;
        let mut names = HashSet::new();
        for _ in 0..groups {
            let at = input.offset();
            let g = read_group(input, rdb_type)?;
            if !names.insert(g.name.clone()) {
                return Err(input.corrupt_at(at, "duplicated consumer group name"));
            }
            s.groups.push(g);
        }
        Ok(s)
    }
}

/// An ID as two lengths, ms then seq.
fn read_id<R: BufRead>(input: &mut Input<R>) -> Result<StreamId> {
    Ok(StreamId {
        ms: input.len()?,
        seq: input.len()?,
    })
}

/// An ID as 16 raw big-endian bytes (PEL entries).
fn read_raw_id<R: BufRead>(input: &mut Input<R>) -> Result<StreamId> {
    let mut b = [0u8; 16];
    input.exact(&mut b)?;
    Ok(StreamId::from_be_bytes(b))
}

fn read_group<R: BufRead>(input: &mut Input<R>, rdb_type: u8) -> Result<ConsumerGroup> {
    let name = Bytes::from(input.string()?);
    let last_delivered_id = read_id(input)?;
    let entries_read = if rdb_type == types::STREAM_LISTPACKS {
        None
    } else {
        Some(input.len()? as i64)
    };
    let pel_len = input.len()?;
    let mut pending = Vec::with_capacity((pel_len as usize).min(RESERVE_CAP));
    let mut owner: HashMap<StreamId, bool> = HashMap::new();
    for _ in 0..pel_len {
        let at = input.offset();
        let id = read_raw_id(input)?;
        let delivery_time_ms = input.i64_le()?;
        let delivery_count = input.len()?;
        if owner.insert(id, false).is_some() {
            return Err(input.corrupt_at(at, "duplicated global PEL entry in a consumer group"));
        }
        pending.push(PendingEntry {
            id,
            delivery_time_ms,
            delivery_count,
        });
    }
    pending.sort_by_key(|p| p.id);
    let consumers_len = input.len()?;
    let mut consumers = Vec::with_capacity((consumers_len as usize).min(RESERVE_CAP));
    let mut names = HashSet::new();
    for _ in 0..consumers_len {
        let at = input.offset();
        let name = Bytes::from(input.string()?);
        if !names.insert(name.clone()) {
            return Err(input.corrupt_at(at, "duplicate stream consumer"));
        }
        let seen_time_ms = input.i64_le()?;
        let active_time_ms = if rdb_type == types::STREAM_LISTPACKS_3 {
            Some(input.i64_le()?)
        } else {
            None
        };
        let n = input.len()?;
        let mut mine = Vec::with_capacity((n as usize).min(RESERVE_CAP));
        let mut seen = HashSet::new();
        for _ in 0..n {
            let at = input.offset();
            let id = read_raw_id(input)?;
            match owner.get_mut(&id) {
                None => return Err(input.corrupt_at(at, "consumer PEL entry not in the group PEL")),
                Some(owned) => *owned = true,
            }
            if !seen.insert(id) {
                return Err(input.corrupt_at(at, "duplicated consumer PEL entry"));
            }
            mine.push(id);
        }
        mine.sort();
        consumers.push(StreamConsumer {
            name,
            seen_time_ms,
            active_time_ms,
            pending: mine,
        });
    }
    if owner.values().any(|owned| !owned) {
        return Err(input.corrupt_at(input.offset(), "group PEL entry without a consumer"));
    }
    Ok(ConsumerGroup {
        name,
        last_delivered_id,
        entries_read,
        pending,
        consumers,
    })
}

/// The next element as an integer, or an error naming `what` was expected.
fn next_int<'a>(
    it: &mut impl Iterator<Item = LpElem<'a>>,
    what: &str,
) -> std::result::Result<i64, String> {
    it.next()
        .and_then(LpElem::as_i64)
        .ok_or_else(|| format!("stream listpack: {what} missing or not an integer"))
}

/// Walks one node's listpack, appending its live entries to `out`.
fn read_node(
    master: StreamId,
    elems: &[LpElem<'_>],
    out: &mut Vec<StreamEntry>,
) -> std::result::Result<(), String> {
    let mut it = elems.iter().copied();
    let count = next_int(&mut it, "entry count")?;
    let deleted = next_int(&mut it, "deleted count")?;
    let master_fields = next_int(&mut it, "master field count")?;
    if count < 0 || deleted < 0 || master_fields < 0 || master_fields as usize > elems.len() {
        return Err("stream listpack: negative or impossible counts".into());
    }
    let fields: Vec<Bytes> = it
        .by_ref()
        .take(master_fields as usize)
        .map(LpElem::to_bytes)
        .collect();
    if fields.len() != master_fields as usize || it.next().and_then(LpElem::as_i64) != Some(0) {
        return Err("stream listpack: master entry not terminated by 0".into());
    }
    let total = count
        .checked_add(deleted)
        .ok_or("stream listpack: counts overflow")?;
    let mut last: Option<StreamId> = None;
    for _ in 0..total {
        let flags = next_int(&mut it, "entry flags")?;
        let ms = next_int(&mut it, "entry ID")?;
        let seq = next_int(&mut it, "entry ID")?;
        let id = StreamId {
            ms: master.ms.wrapping_add(ms as u64),
            seq: master.seq.wrapping_add(seq as u64),
        };
        let mut pairs = Vec::new();
        let extra = if flags & FLAG_SAMEFIELDS != 0 {
            for f in &fields {
                let v = it.next().ok_or("stream listpack: entry values missing")?;
                pairs.push((f.clone(), v.to_bytes()));
            }
            3
        } else {
            let n = next_int(&mut it, "entry field count")?;
            if n < 0 || n as usize > elems.len() {
                return Err("stream listpack: impossible field count".into());
            }
            for _ in 0..n {
                let (Some(f), Some(v)) = (it.next(), it.next()) else {
                    return Err("stream listpack: entry fields missing".into());
                };
                pairs.push((f.to_bytes(), v.to_bytes()));
            }
            n + 4
        };
        let lp_count = it.next().and_then(LpElem::as_i64);
        if lp_count != Some(pairs.len() as i64 + extra) {
            return Err("stream listpack: entry lp-count does not match".into());
        }
        if last.is_some_and(|l| l >= id) {
            return Err("stream listpack: entry IDs not ascending".into());
        }
        last = Some(id);
        if flags & FLAG_DELETED == 0 {
            out.push(StreamEntry { id, fields: pairs });
        }
    }
    if it.next().is_some() {
        return Err("stream listpack: elements after the last entry".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_big_endian_on_disk() {
        let id = StreamId { ms: 1, seq: 2 };
        let b = id.to_be_bytes();
        assert_eq!(b[7], 1);
        assert_eq!(b[15], 2);
        assert_eq!(StreamId::from_be_bytes(b), id);
    }

    #[test]
    fn a_node_with_same_fields_deleted_and_different_entries() {
        let mut lp = listpack::ListpackBuilder::new();
        // master entry: 2 live, 1 deleted, fields [a, b]
        for e in [&b"2"[..], b"1", b"2", b"a", b"b", b"0"] {
            lp.push_str(e);
        }
        // 100-0: same fields, values 1 2
        for e in [&b"2"[..], b"0", b"0", b"1", b"2", b"5"] {
            lp.push_str(e);
        }
        // 100-1: deleted, same fields
        for e in [&b"3"[..], b"0", b"1", b"x", b"y", b"5"] {
            lp.push_str(e);
        }
        // 101-0: other fields: c=3
        for e in [&b"0"[..], b"1", b"0", b"1", b"c", b"3", b"6"] {
            lp.push_str(e);
        }
        let blob = lp.finish();
        let elems = listpack::decode(&blob).unwrap();
        let mut out = Vec::new();
        read_node(StreamId { ms: 100, seq: 0 }, &elems, &mut out).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].id, StreamId { ms: 100, seq: 0 });
        assert_eq!(
            out[0].fields,
            vec![
                (Bytes::from("a"), Bytes::from("1")),
                ("b".into(), "2".into())
            ]
        );
        assert_eq!(out[1].id, StreamId { ms: 101, seq: 0 });
        assert_eq!(out[1].fields, vec![(Bytes::from("c"), Bytes::from("3"))]);

        let mut bad = elems.clone();
        bad[11] = LpElem::Int(9);
        let e = read_node(StreamId { ms: 100, seq: 0 }, &bad, &mut Vec::new()).unwrap_err();
        assert!(e.contains("lp-count"), "{e}");
    }
}

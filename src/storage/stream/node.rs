//! One stream node: a run of consecutive entries, grouped exactly as Redis groups them in one
//! listpack of its radix tree.
//!
//! Owns: the entries of one node, their compact storage, and the node's size as Redis would
//! count it. Redis opens a new node when the tail one reaches `stream-node-max-entries`
//! entries (deleted ones included) or `stream-node-max-bytes` bytes; approximate trimming
//! drops whole nodes only, and a deleted entry stays in its node as a tombstone until the node
//! is dropped. Keeping the same nodes and tombstones makes XADD/XTRIM with `~`, XINFO STREAM
//! and the consumer-group read counters answer as Redis does.
//!
//! Storage: the node's first entry fixes the *master fields*; an entry with exactly those field
//! names stores only its values. Each entry's strings are packed into one buffer, each string
//! preceded by its length as a LEB128 varint. A tombstone keeps its ID and its strings, as the
//! listpack does, so that an RDB writer can write the node Redis would have.

use bytes::Bytes;

use super::lp_size;
use super::StreamId;

/// Entry flag: deleted (a tombstone).
const DELETED: u8 = 1;
/// Entry flag: the entry has the master fields and stores only values.
const SAME_FIELDS: u8 = 2;

/// One entry, live or a tombstone.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Slot {
    id: StreamId,
    flags: u8,
    /// Packed strings: values only with `SAME_FIELDS`, else field, value, field, value…
    data: Box<[u8]>,
}

/// A run of consecutive entries of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Packed field names of the node's first entry.
    master_fields: Box<[u8]>,
    master_count: usize,
    slots: Vec<Slot>,
    live: u64,
    deleted: u64,
    /// The listpack's bytes, less its two counters (live and deleted entries).
    body_bytes: u64,
}

/// An entry (live, unless reached through [`SlotRef`]), borrowed from its node.
#[derive(Debug, Clone, Copy)]
pub struct EntryRef<'a> {
    /// The entry's ID.
    pub id: StreamId,
    node: &'a Node,
    slot: &'a Slot,
}

impl<'a> EntryRef<'a> {
    /// The number of field-value pairs.
    pub fn pair_count(&self) -> usize {
        if self.slot.flags & SAME_FIELDS != 0 {
            self.node.master_count
        } else {
            unpack(&self.slot.data).count() / 2
        }
    }

    /// The field-value pairs, in the order they were added.
    pub fn pairs(&self) -> Pairs<'a> {
        Pairs {
            names: (self.slot.flags & SAME_FIELDS != 0).then(|| unpack(&self.node.master_fields)),
            data: unpack(&self.slot.data),
        }
    }
}

/// The field-value pairs of one entry.
pub struct Pairs<'a> {
    names: Option<Unpack<'a>>,
    data: Unpack<'a>,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let field = match &mut self.names {
            Some(names) => names.next()?,
            None => self.data.next()?,
        };
        Some((field, self.data.next()?))
    }
}

/// One entry of a node as an RDB writer sees it, tombstones included.
#[derive(Debug, Clone, Copy)]
pub struct SlotRef<'a> {
    /// The entry's ID.
    pub id: StreamId,
    /// True for a tombstone.
    pub deleted: bool,
    /// The entry's pairs (a tombstone keeps them, as Redis's listpack does).
    pub entry: EntryRef<'a>,
}

impl Node {
    /// A node whose first entry will have the fields of `pairs` (field, value, field, value…).
    fn new(pairs: &[Bytes]) -> Node {
        let names = pairs.iter().step_by(2).map(|b| &b[..]);
        let mut body_bytes = lp_size::EMPTY + lp_size::int(pairs.len() as i64 / 2);
        body_bytes += names.clone().map(lp_size::string).sum::<u64>();
        body_bytes += lp_size::int(0);
        Node {
            master_fields: pack(names),
            master_count: pairs.len() / 2,
            slots: Vec::new(),
            live: 0,
            deleted: 0,
            body_bytes,
        }
    }

    /// A node holding `id` as its first entry, with `pairs`.
    pub(super) fn first(id: StreamId, pairs: &[Bytes]) -> Node {
        let mut n = Node::new(pairs);
        n.push(id, id, pairs, false);
        n
    }

    /// Builds a node from what an RDB holds: the master fields and every entry in ID order as
    /// `(id, deleted, pairs)`, tombstones included.
    pub fn load(
        master_id: StreamId,
        master_fields: &[Bytes],
        entries: &[(StreamId, bool, Vec<Bytes>)],
    ) -> Node {
        let as_pairs: Vec<Bytes> = master_fields
            .iter()
            .flat_map(|f| [f.clone(), Bytes::new()])
            .collect();
        let mut n = Node::new(&as_pairs);
        for (id, deleted, pairs) in entries {
            n.push(master_id, *id, pairs, *deleted);
        }
        n
    }

    /// Appends entry `id` with `pairs`; `master_id` is the node's key (its first entry's ID).
    pub(super) fn push(
        &mut self,
        master_id: StreamId,
        id: StreamId,
        pairs: &[Bytes],
        deleted: bool,
    ) {
        let n = pairs.len() / 2;
        let same = n == self.master_count
            && unpack(&self.master_fields).eq(pairs.iter().step_by(2).map(|b| &b[..]));
        let mut bytes = lp_size::int(i64::from(if same { SAME_FIELDS } else { 0 }));
        bytes += lp_size::int(id.ms.wrapping_sub(master_id.ms) as i64);
        bytes += lp_size::int(id.seq.wrapping_sub(master_id.seq) as i64);
        let mut lp_count = n as i64 + 3;
        if !same {
            bytes += lp_size::int(n as i64);
            lp_count += n as i64 + 1;
        }
        for (i, s) in pairs.iter().enumerate() {
            if i % 2 == 1 || !same {
                bytes += lp_size::string(s);
            }
        }
        bytes += lp_size::int(lp_count);
        self.body_bytes += bytes;
        let data = if same {
            pack(pairs.iter().skip(1).step_by(2).map(|b| &b[..]))
        } else {
            pack(pairs.iter().map(|b| &b[..]))
        };
        let mut flags = if same { SAME_FIELDS } else { 0 };
        if deleted {
            flags |= DELETED;
            self.deleted += 1;
        } else {
            self.live += 1;
        }
        self.slots.push(Slot { id, flags, data });
    }

    /// The listpack's size in bytes, as Redis's `lpBytes` would report it.
    pub fn lp_bytes(&self) -> u64 {
        self.body_bytes + lp_size::int(self.live as i64) + lp_size::int(self.deleted as i64)
    }

    /// Live entries.
    pub fn live(&self) -> u64 {
        self.live
    }

    /// Tombstones.
    pub fn deleted(&self) -> u64 {
        self.deleted
    }

    /// The master field names.
    pub fn master_fields(&self) -> impl Iterator<Item = &[u8]> {
        unpack(&self.master_fields)
    }

    /// Every entry, tombstones included, in ID order.
    pub fn slots(&self) -> impl DoubleEndedIterator<Item = SlotRef<'_>> {
        self.slots.iter().map(move |s| SlotRef {
            id: s.id,
            deleted: s.flags & DELETED != 0,
            entry: EntryRef {
                id: s.id,
                node: self,
                slot: s,
            },
        })
    }

    /// The live entries, in ID order.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = EntryRef<'_>> {
        self.slots().filter(|s| !s.deleted).map(|s| s.entry)
    }

    /// The ID of the last entry, tombstone or not.
    pub(super) fn last_slot_id(&self) -> Option<StreamId> {
        self.slots.last().map(|s| s.id)
    }

    /// The position of the live entry `id`.
    pub(super) fn find(&self, id: StreamId) -> Option<usize> {
        let i = self.slots.binary_search_by_key(&id, |s| s.id).ok()?;
        (self.slots[i].flags & DELETED == 0).then_some(i)
    }

    /// The live entry `id`.
    pub(super) fn get(&self, id: StreamId) -> Option<EntryRef<'_>> {
        let i = self.find(id)?;
        Some(EntryRef {
            id,
            node: self,
            slot: &self.slots[i],
        })
    }

    /// Turns the live entry at `i` into a tombstone.
    pub(super) fn mark_deleted(&mut self, i: usize) {
        let s = &mut self.slots[i];
        debug_assert!(s.flags & DELETED == 0);
        s.flags |= DELETED;
        self.live -= 1;
        self.deleted += 1;
    }

    /// Turns live entries into tombstones from the start of the node while `more(id, n)` holds,
    /// `n` being the entries deleted so far (exact trimming inside a node). Returns how many it
    /// deleted.
    pub(super) fn delete_while(&mut self, mut more: impl FnMut(StreamId, u64) -> bool) -> u64 {
        let mut n = 0;
        for i in 0..self.slots.len() {
            if !more(self.slots[i].id, n) {
                break;
            }
            if self.slots[i].flags & DELETED == 0 {
                self.mark_deleted(i);
                n += 1;
            }
        }
        n
    }
}

/// Packs strings into one buffer, each after its LEB128 length.
fn pack<'a>(items: impl Iterator<Item = &'a [u8]> + Clone) -> Box<[u8]> {
    let total: usize = items.clone().map(|s| s.len() + 5).sum();
    let mut out = Vec::with_capacity(total);
    for s in items {
        let mut n = s.len();
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                break;
            }
            out.push(b | 0x80);
        }
        out.extend_from_slice(s);
    }
    out.into_boxed_slice()
}

/// The strings of a packed buffer.
#[derive(Clone)]
struct Unpack<'a> {
    rest: &'a [u8],
}

fn unpack(data: &[u8]) -> Unpack<'_> {
    Unpack { rest: data }
}

impl<'a> Iterator for Unpack<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let mut n = 0usize;
        let mut shift = 0;
        let mut i = 0;
        loop {
            let b = self.rest[i];
            n |= usize::from(b & 0x7f) << shift;
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        let (s, rest) = self.rest[i..].split_at(n);
        self.rest = rest;
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(items: &[&str]) -> Vec<Bytes> {
        items
            .iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    fn pairs_of(e: EntryRef<'_>) -> Vec<(String, String)> {
        e.pairs()
            .map(|(f, v)| {
                (
                    String::from_utf8_lossy(f).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn packing_round_trips_long_and_empty_strings() {
        let long = "x".repeat(300);
        let items = ["", "a", long.as_str()];
        let packed = pack(items.iter().map(|s| s.as_bytes()));
        let back: Vec<&[u8]> = unpack(&packed).collect();
        assert_eq!(back, items.map(|s| s.as_bytes()));
    }

    #[test]
    fn entries_with_the_master_fields_store_values_only() {
        let m = StreamId::new(1, 0);
        let mut n = Node::first(m, &b(&["a", "1", "b", "2"]));
        n.push(m, StreamId::new(1, 1), &b(&["a", "3", "b", "4"]), false);
        n.push(m, StreamId::new(2, 0), &b(&["c", "5"]), false);
        let all: Vec<_> = n.entries().map(pairs_of).collect();
        assert_eq!(all[1], [("a".into(), "3".into()), ("b".into(), "4".into())]);
        assert_eq!(all[2], [("c".into(), "5".into())]);
        assert_eq!(n.slots[1].flags, SAME_FIELDS);
        assert_eq!(n.slots[2].flags, 0);
        assert_eq!(n.get(StreamId::new(1, 1)).unwrap().pair_count(), 2);
        n.mark_deleted(1);
        assert!(n.get(StreamId::new(1, 1)).is_none());
        assert_eq!((n.live(), n.deleted()), (2, 1));
    }

    #[test]
    fn node_size_matches_a_redis_listpack() {
        // XADD s 1-0 f v: header and end 7; master entry (count 1, deleted 0, 1 field, "f",
        // 0) 2+2+2+3+2; the entry (flags, ms and seq deltas, "v", lp-count 4) 2+2+2+3+2.
        let n = Node::first(StreamId::new(1, 0), &b(&["f", "v"]));
        assert_eq!(n.lp_bytes(), 7 + 11 + 11);
    }
}

//! The stream value type: entries ordered by ID, and the consumer groups reading them.
//!
//! Owns: `StreamValue` (its entries, `last_id`, `max_deleted_entry_id`, `entries_added`, the
//! recorded first ID, its consumer groups) and the operations on entries (append, range,
//! delete, trim). Entries live in nodes keyed by their first ID in a `BTreeMap`, so finding an
//! ID is O(log n); the nodes are the ones Redis would have (`node.rs` says why).
//!
//! Submodules, one idea each: `id` (IDs and their text), `node` (one node's entries and size),
//! `lp_size` (listpack byte sizes), `rax_size` (Redis's radix tree node count), `group`
//! (consumer groups), `counters` (read counters and lag), `delivery` (what XREADGROUP, XCLAIM
//! and XAUTOCLAIM do to the groups).
//!
//! An RDB writer reads a stream through [`StreamValue::nodes`] (or [`StreamValue::range`] for
//! live entries only), the scalar accessors and [`StreamValue::groups`]; a reader rebuilds it
//! with [`StreamValue::load_node`], [`StreamValue::set_meta`] and
//! [`StreamValue::load_group`].
//!
//! Runs on: the owning shard's executor. Must not: format replies or parse arguments.

mod counters;
mod delivery;
mod group;
mod id;
mod lp_size;
mod node;
mod rax_size;

use std::collections::BTreeMap;

use bytes::Bytes;

pub use delivery::{Claim, ClaimEvent, ClaimOutcome};
pub use group::{Consumer, ConsumerGroup, Pending};
pub use id::{parse_id, parse_xadd_id, until_nul, SeqPart, StreamId};
pub use node::{EntryRef, Node, Pairs, SlotRef};

use crate::config::live::{threshold, Threshold};
use crate::storage::clock::UnixMillis;

/// The most bytes a node's listpack may hold whatever the configuration says (Redis's
/// `STREAM_LISTPACK_MAX_SIZE`); also the most bytes one entry's strings may add up to.
const MAX_NODE_BYTES: u64 = 1 << 30;

/// When a new node starts: `stream-node-max-bytes` and `stream-node-max-entries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeLimits {
    /// Bytes; 0 = no limit but [`MAX_NODE_BYTES`].
    pub max_bytes: u64,
    /// Entries, tombstones included; 0 = no limit.
    pub max_entries: u64,
}

impl NodeLimits {
    /// Redis's defaults: 4096 bytes, 100 entries.
    pub const DEFAULT: NodeLimits = NodeLimits {
        max_bytes: 4096,
        max_entries: 100,
    };

    /// The limits the configuration holds now.
    pub fn live() -> NodeLimits {
        NodeLimits {
            max_bytes: threshold(Threshold::StreamNodeMaxBytes).max(0) as u64,
            max_entries: threshold(Threshold::StreamNodeMaxEntries).max(0) as u64,
        }
    }
}

/// The ID of an entry being added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewId {
    /// `*`: the time now, or the last ID plus one when the clock is behind it.
    Auto(UnixMillis),
    /// `<ms>-*`: `ms` with the next free sequence.
    AutoSeq(u64),
    /// An explicit ID.
    Exact(StreamId),
}

/// Why an entry could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendError {
    /// The ID is not greater than the last one.
    NotGreater,
    /// The strings are too large for a node, or `<ms>-*` found no free sequence (Redis reports
    /// both the same way).
    TooLarge,
}

/// What a trim keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrimTo {
    /// At most this many entries (MAXLEN).
    MaxLen(u64),
    /// No entry below this ID (MINID).
    MinId(StreamId),
}

/// A trim request (XTRIM, XADD's trimming options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trim {
    /// What to keep.
    pub to: TrimTo,
    /// `~`: drop whole nodes only.
    pub approx: bool,
    /// Stop before deleting more than this many entries; 0 = no limit.
    pub limit: u64,
}

/// A stream.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StreamValue {
    /// Nodes keyed by their first entry's ID.
    nodes: BTreeMap<StreamId, Node>,
    length: u64,
    last_id: StreamId,
    first_id: StreamId,
    max_deleted_entry_id: StreamId,
    entries_added: u64,
    groups: BTreeMap<Bytes, ConsumerGroup>,
}

impl StreamValue {
    /// An empty stream.
    pub fn new() -> StreamValue {
        StreamValue::default()
    }

    /// The name `OBJECT ENCODING` reports.
    pub fn encoding_name(&self) -> &'static str {
        "stream"
    }

    /// Number of live entries (XLEN).
    pub fn len(&self) -> u64 {
        self.length
    }

    /// True when no live entry remains.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// The greatest ID ever added or set (`last-generated-id`).
    pub fn last_id(&self) -> StreamId {
        self.last_id
    }

    /// The first live entry's ID, 0-0 when empty (`recorded-first-entry-id`).
    pub fn first_id(&self) -> StreamId {
        self.first_id
    }

    /// The greatest ID XDEL removed (`max-deleted-entry-id`).
    pub fn max_deleted_entry_id(&self) -> StreamId {
        self.max_deleted_entry_id
    }

    /// Entries ever added (`entries-added`).
    pub fn entries_added(&self) -> u64 {
        self.entries_added
    }

    /// Sets the stream's counters (XSETID, an RDB load). `first_id` is not taken: it is always
    /// the first live entry's.
    pub fn set_meta(&mut self, last_id: StreamId, entries_added: u64, max_deleted: StreamId) {
        self.last_id = last_id;
        self.entries_added = entries_added;
        self.max_deleted_entry_id = max_deleted;
    }

    /// The nodes, keyed by their first entry's ID, as Redis's radix tree holds them.
    pub fn nodes(&self) -> &BTreeMap<StreamId, Node> {
        &self.nodes
    }

    /// Adds a node read from an RDB, after any node added before. Updates the length and the
    /// first ID; the other counters come from [`StreamValue::set_meta`].
    pub fn load_node(&mut self, master_id: StreamId, node: Node) {
        self.length += node.live();
        self.nodes.insert(master_id, node);
        self.first_id = self.first_live().unwrap_or(StreamId::MIN);
    }

    /// Number of nodes (`radix-tree-keys`).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Number of nodes Redis's radix tree would have (`radix-tree-nodes`).
    pub fn rax_node_count(&self) -> u64 {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|k| k.to_be_bytes()).collect();
        rax_size::rax_nodes(&keys)
    }

    /// Adds an entry with `pairs` (field, value, field, value…; at least one pair). Returns its
    /// ID. Side effects: the length, `entries_added` and `last_id` grow; a new node starts when
    /// the tail one is full by `limits`.
    pub fn append(
        &mut self,
        new: NewId,
        pairs: &[Bytes],
        limits: NodeLimits,
    ) -> Result<StreamId, AppendError> {
        let last = self.last_id;
        let id = match new {
            NewId::Exact(id) => id,
            NewId::AutoSeq(ms) if ms == last.ms => match last.seq.checked_add(1) {
                Some(seq) => StreamId::new(ms, seq),
                None => return Err(AppendError::TooLarge),
            },
            NewId::AutoSeq(ms) => StreamId::new(ms, 0),
            NewId::Auto(now) if now.0 > last.ms => StreamId::new(now.0, 0),
            NewId::Auto(_) => last.next().unwrap_or(StreamId::MIN),
        };
        if id <= last {
            return Err(AppendError::NotGreater);
        }
        let total: u64 = pairs.iter().map(|p| p.len() as u64).sum();
        if total > MAX_NODE_BYTES {
            return Err(AppendError::TooLarge);
        }
        let max_bytes = match limits.max_bytes {
            0 => MAX_NODE_BYTES,
            b => b.min(MAX_NODE_BYTES),
        };
        let appended = match self.nodes.last_entry() {
            Some(mut tail) => {
                let n = tail.get();
                let full = n.lp_bytes() + total >= max_bytes
                    || (limits.max_entries > 0 && n.live() + n.deleted() >= limits.max_entries);
                if !full {
                    let master = *tail.key();
                    tail.get_mut().push(master, id, pairs, false);
                }
                !full
            }
            None => false,
        };
        if !appended {
            self.nodes.insert(id, Node::first(id, pairs));
        }
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// The live entry `id`.
    pub fn get(&self, id: StreamId) -> Option<EntryRef<'_>> {
        let (_, node) = self.nodes.range(..=id).next_back()?;
        node.get(id)
    }

    /// True when `id` is a live entry.
    pub fn contains(&self, id: StreamId) -> bool {
        self.get(id).is_some()
    }

    /// The live entries from `start` to `end` (both included), in ID order.
    pub fn range(&self, start: StreamId, end: StreamId) -> impl Iterator<Item = EntryRef<'_>> {
        let from = self
            .nodes
            .range(..=start)
            .next_back()
            .map_or(StreamId::MIN, |(k, _)| *k);
        self.nodes
            .range(from..)
            .flat_map(|(_, n)| n.entries())
            .skip_while(move |e| e.id < start)
            .take_while(move |e| e.id <= end)
    }

    /// The live entries from `end` down to `start` (both included), in reverse ID order.
    pub fn rev_range(&self, start: StreamId, end: StreamId) -> impl Iterator<Item = EntryRef<'_>> {
        self.nodes
            .range(..=end)
            .rev()
            .flat_map(|(_, n)| n.entries().rev())
            .skip_while(move |e| e.id > end)
            .take_while(move |e| e.id >= start)
    }

    /// The greatest live ID (Redis's `streamLastValidID`), `None` when empty.
    pub fn last_live(&self) -> Option<StreamId> {
        self.rev_range(StreamId::MIN, StreamId::MAX)
            .next()
            .map(|e| e.id)
    }

    /// The smallest live ID, `None` when empty.
    fn first_live(&self) -> Option<StreamId> {
        self.range(StreamId::MIN, StreamId::MAX)
            .next()
            .map(|e| e.id)
    }

    /// The first ID of the stream counting tombstones (what a rewritten MINID names).
    pub fn first_slot_id(&self) -> StreamId {
        self.nodes
            .values()
            .flat_map(|n| n.slots())
            .next()
            .map_or(StreamId::MAX, |s| s.id)
    }

    /// Deletes the live entry `id` (XDEL). Returns whether it existed. Side effects: the entry
    /// becomes a tombstone (its node goes when it was the node's last live entry), and
    /// `max_deleted_entry_id` and the first ID follow.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&key, node)) = self.nodes.range_mut(..=id).next_back() else {
            return false;
        };
        let Some(i) = node.find(id) else {
            return false;
        };
        if node.live() == 1 {
            self.nodes.remove(&key);
        } else {
            node.mark_deleted(i);
        }
        self.length -= 1;
        if id > self.max_deleted_entry_id {
            self.max_deleted_entry_id = id;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if id == self.first_id {
            self.first_id = self.first_live().unwrap_or(StreamId::MIN);
        }
        true
    }

    /// Trims the stream (XTRIM, XADD's trimming options) the way Redis's `streamTrim` does:
    /// whole nodes go from the head while the rule allows; with `approx` it stops at the first
    /// node it cannot drop whole, otherwise it turns that node's leading entries into
    /// tombstones. `limit` caps the entries deleted (checked before each node). Returns the
    /// number of entries deleted. `max_deleted_entry_id` is not changed, as in Redis.
    pub fn trim(&mut self, t: &Trim) -> u64 {
        let mut deleted = 0u64;
        while let Some(mut first) = self.nodes.first_entry() {
            if let TrimTo::MaxLen(max) = t.to {
                if self.length <= max {
                    break;
                }
            }
            let entries = first.get().live();
            if t.limit > 0 && deleted + entries > t.limit {
                break;
            }
            let whole = match t.to {
                TrimTo::MaxLen(max) => self.length - entries >= max,
                TrimTo::MinId(min) => first.get().last_slot_id().is_some_and(|l| l < min),
            };
            if whole {
                first.remove();
                self.length -= entries;
                deleted += entries;
                continue;
            }
            if t.approx {
                break;
            }
            let length = self.length;
            let n = first.get_mut().delete_while(|id, done| match t.to {
                TrimTo::MaxLen(max) => length - done > max,
                TrimTo::MinId(min) => id < min,
            });
            self.length -= n;
            deleted += n;
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.first_id = self.first_live().unwrap_or(StreamId::MIN);
        }
        deleted
    }

    /// The consumer groups, by name.
    pub fn groups(&self) -> &BTreeMap<Bytes, ConsumerGroup> {
        &self.groups
    }

    /// The group called `name`.
    pub fn group(&self, name: &[u8]) -> Option<&ConsumerGroup> {
        self.groups.get(name)
    }

    /// The group called `name`, for an edit.
    pub fn group_mut(&mut self, name: &[u8]) -> Option<&mut ConsumerGroup> {
        self.groups.get_mut(name)
    }

    /// Creates the group `name` (XGROUP CREATE). Returns false when it exists.
    pub fn create_group(
        &mut self,
        name: &[u8],
        last_id: StreamId,
        entries_read: Option<i64>,
    ) -> bool {
        if self.groups.contains_key(name) {
            return false;
        }
        self.groups.insert(
            Bytes::copy_from_slice(name),
            ConsumerGroup::new(last_id, entries_read),
        );
        true
    }

    /// Deletes the group `name` (XGROUP DESTROY). Returns whether it existed.
    pub fn destroy_group(&mut self, name: &[u8]) -> bool {
        self.groups.remove(name).is_some()
    }

    /// Adds a group read from an RDB, replacing one of the same name.
    pub fn load_group(&mut self, name: Bytes, group: ConsumerGroup) {
        self.groups.insert(name, group);
    }
}

#[cfg(test)]
mod tests;

//! A key table whose SCAN order survives growth: extendible hashing over hashbrown segments.
//!
//! Owns: the keys and values of one database, laid out by the top bits of each key's hash. A
//! directory indexed by the top `depth` bits of a hash names a segment for every prefix; each
//! segment is a hashbrown `HashTable` holding the keys of one prefix. A full segment splits in
//! two by its next hash bit, and segments never merge, so a boundary in hash space, once drawn,
//! stays drawn. That is what lets a SCAN cursor be a plain position in hash space: growth moves
//! keys between segments but never across a position a cursor has already passed.
//!
//! A hashbrown bucket is one pointer to a [`Slot`] holding the key and its value together. A
//! bucket of the key and value themselves would cost their size at every empty bucket too, and
//! segments fill and split in step under uniform hashing, so at some sizes nearly half of all
//! buckets are empty (measured at 1M keys: 0.48 full). A slot also puts a short key
//! ([`SmallBytes`]) and its value in one allocation, so a lookup reads the control bytes, then
//! one slot; before, the key bytes and the value lived apart.
//!
//! Runs on: the owning shard's executor only. Must not: know what values mean (expiry is `db`'s);
//! it only counts, per segment, the values a [`Mark`] picks out.

use std::marker::PhantomData;
use std::sync::OnceLock;

use hashbrown::HashTable;
use rand::Rng;

use super::cache_hint::prefetch;
use super::small_bytes::SmallBytes;

/// Bits in a SCAN position: the top 56 bits of a key's hash. The 8 bits above are left to the
/// caller, which puts a shard index there in the cursor a client sees.
pub const POSITION_BITS: u32 = 56;

/// The largest SCAN position.
pub const POSITION_MAX: u64 = (1 << POSITION_BITS) - 1;

/// Buckets in a segment's hashbrown table once it has split.
///
/// A segment splits when it reaches hashbrown's load limit for this many buckets (7/8), and both
/// halves start in fresh tables of this size, so a split segment never rehashes inside hashbrown.
/// Memory per key is the same as one big hashbrown table's whatever the size (both double; here
/// a segment at a time). Measured on 1M keys (benches/keyspace.rs): lookups and inserts do not
/// move between 512 and 4096 buckets beyond noise, while RANDOMKEY and the shortest SCAN call,
/// which are O(segment), grow with it (0.8, 1.2, 1.5, 2.8 µs for RANDOMKEY). 1024 keeps the
/// directory small (2K slots at 1M keys) with those under a couple of microseconds.
const SEGMENT_BUCKETS: usize = 1024;

/// Entries at which a segment splits.
const SPLIT_AT: usize = SEGMENT_BUCKETS / 8 * 7;

/// The deepest a segment may go. Past 56 bits two segments could start at the same SCAN position,
/// and a cursor could no longer name the boundary between them. A segment this deep can only
/// come from keys whose hashes agree in 56 bits; it grows instead of splitting.
const MAX_DEPTH: u32 = POSITION_BITS;

/// Directory probes [`KeyTable::random`] makes before it falls back to walking the segments.
const RANDOM_TRIES: usize = 32;

/// The hasher every table uses, seeded once per process so that a key's hash, and so its SCAN
/// position, never changes while the process lives.
fn process_hasher() -> &'static ahash::RandomState {
    static HASHER: OnceLock<ahash::RandomState> = OnceLock::new();
    HASHER.get_or_init(ahash::RandomState::new)
}

/// The 64-bit hash of `key`, the same in every table for the life of the process.
pub fn key_hash(key: &[u8]) -> u64 {
    process_hasher().hash_one(key)
}

/// Where `key` sits in SCAN order: the top 56 bits of its hash.
pub fn position_of(key: &[u8]) -> u64 {
    key_hash(key) >> (64 - POSITION_BITS)
}

/// Picks out the values a table counts per segment, so that a walk over them can skip segments
/// that hold none.
///
/// `db` marks keys that have a deadline, which makes active expiry cost in proportion to those
/// keys rather than to the whole table.
pub trait Mark<V> {
    /// True when `value` is counted.
    fn is_marked(value: &V) -> bool;
}

/// Counts nothing; the default [`Mark`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMark;

impl<V> Mark<V> for NoMark {
    fn is_marked(_: &V) -> bool {
        false
    }
}

/// Where a walk over marked entries stands (see [`KeyTable::walk_marked`]). The default starts
/// at the beginning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MarkCursor {
    /// Index of the segment to resume in. Segments keep their index for the table's life (a
    /// split appends the new half), so the index stays meaningful across calls.
    segment: usize,
    /// Marked entries of that segment, in its iteration order, already looked at and kept.
    skip: usize,
}

/// A stored key and its value, in one allocation that a hashbrown bucket points to.
struct Slot<V> {
    key: SmallBytes,
    value: V,
}

impl<V> Slot<V> {
    #[inline]
    fn key(&self) -> &[u8] {
        self.key.as_slice()
    }

    fn pair(&self) -> (&[u8], &V) {
        (self.key.as_slice(), &self.value)
    }
}

/// The keys sharing one hash prefix.
struct Segment<V> {
    entries: HashTable<Box<Slot<V>>>,
    /// Leading hash bits every key here shares.
    depth: u32,
    /// Entries for which the table's `Mark` holds.
    marked: usize,
}

impl<V> Segment<V> {
    fn new(depth: u32, entries: HashTable<Box<Slot<V>>>) -> Segment<V> {
        Segment {
            entries,
            depth,
            marked: 0,
        }
    }
}

/// A hash table of keys to `V` that a cursor can walk while it grows (SCAN), and that counts the
/// values `M` marks per segment.
///
/// Keys go in and come out as `&[u8]`; a caller that needs its own copy of a stored key makes
/// it. Iteration order is by segment, which is neither insertion order nor SCAN order.
pub struct KeyTable<V, M = NoMark> {
    /// Indexed by the top `depth` bits of a hash. A segment of depth `d` fills the
    /// `2^(depth - d)` consecutive slots that share its prefix.
    dir: Vec<u32>,
    segments: Vec<Segment<V>>,
    /// Hash bits the directory is indexed by (`global depth`); at most `MAX_DEPTH`.
    depth: u32,
    len: usize,
    marked: usize,
    /// A copy of the process hasher, so a lookup does not go through the `OnceLock`.
    hasher: ahash::RandomState,
    mark: PhantomData<fn() -> M>,
}

/// A stored key found by [`KeyTable::occupied`].
pub struct Occupied<'a, V, M> {
    entry: hashbrown::hash_table::OccupiedEntry<'a, Box<Slot<V>>>,
    segment_marked: &'a mut usize,
    table_marked: &'a mut usize,
    table_len: &'a mut usize,
    mark: PhantomData<fn() -> M>,
}

impl<'a, V, M: Mark<V>> Occupied<'a, V, M> {
    /// The stored key.
    pub fn key(&self) -> &[u8] {
        self.entry.get().key()
    }

    /// The value.
    pub fn get(&self) -> &V {
        &self.entry.get().value
    }

    /// The value, borrowed for as long as the table was. Same precondition as
    /// [`KeyTable::get_mut`]: leave `M::is_marked` as it was.
    pub fn into_mut(self) -> &'a mut V {
        &mut self.entry.into_mut().value
    }

    /// Removes the entry, returning the stored key and its value.
    pub fn remove(self) -> (SmallBytes, V) {
        let (slot, _) = self.entry.remove();
        let Slot { key, value } = *slot;
        *self.table_len -= 1;
        if M::is_marked(&value) {
            *self.segment_marked = self.segment_marked.saturating_sub(1);
            *self.table_marked = self.table_marked.saturating_sub(1);
        }
        (key, value)
    }
}

impl<V, M: Mark<V>> Default for KeyTable<V, M> {
    fn default() -> Self {
        KeyTable::new()
    }
}

/// The hash hashbrown sees for a key whose hash is `hash`.
///
/// Every key of a segment shares its top bits, and hashbrown takes its 7-bit tag from the top
/// bits: fed the plain hash, all tags of a deep segment would be equal and every probe would
/// compare keys (measured on 1M keys: a missing key took 196 ns instead of 32 ns). Rotating
/// moves the low 7 bits into the tag and leaves bucket selection on bits 7 and up, none of which
/// a segment's keys share.
fn in_segment(hash: u64) -> u64 {
    hash.rotate_right(7)
}

/// First hash of the prefix of `depth` bits that `hash` falls in.
fn prefix_start(hash: u64, depth: u32) -> u64 {
    hash & !(u64::MAX >> depth)
}

/// First hash past the prefix of `depth` bits starting at `start`; `None` past the last prefix.
fn prefix_end(start: u64, depth: u32) -> Option<u64> {
    start.checked_add(1u64.checked_shl(64 - depth)?)
}

impl<V, M: Mark<V>> KeyTable<V, M> {
    /// An empty table. It allocates nothing until the first insert.
    pub fn new() -> Self {
        KeyTable {
            dir: vec![0],
            segments: vec![Segment::new(0, HashTable::new())],
            depth: 0,
            len: 0,
            marked: 0,
            hasher: process_hasher().clone(),
            mark: PhantomData,
        }
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the table holds no key.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of keys whose value `M` marks.
    pub fn marked_len(&self) -> usize {
        self.marked
    }

    /// Bytes the table itself has allocated: directory, segment list, hashbrown tables and slots.
    /// Long keys' byte buffers and whatever `V` points to are not counted.
    pub fn approx_heap_bytes(&self) -> usize {
        self.dir.capacity() * size_of::<u32>()
            + self.segments.capacity() * size_of::<Segment<V>>()
            + self.len * size_of::<Slot<V>>()
            + self
                .segments
                .iter()
                .map(|s| s.entries.allocation_size())
                .sum::<usize>()
    }

    /// The value stored under `key`.
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.get_key_value(key).map(|(_, v)| v)
    }

    /// The stored key equal to `key` and its value.
    pub fn get_key_value(&self, key: &[u8]) -> Option<(&[u8], &V)> {
        let hash = self.hash(key);
        self.segments[self.segment_of(hash)]
            .entries
            .find(in_segment(hash), |s| s.key() == key)
            .map(|s| s.pair())
    }

    /// Asks the cache for the slot of every entry whose hash bits match `key`'s, without
    /// reading the slots: a lookup of `key` soon after finds its slot in cache.
    pub fn prefetch_slot(&self, key: &[u8]) {
        let hash = self.hash(key);
        for s in self.segments[self.segment_of(hash)]
            .entries
            .iter_hash(in_segment(hash))
        {
            prefetch(&**s as *const Slot<V>);
        }
    }

    /// True when `key` is stored.
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get_key_value(key).is_some()
    }

    /// The value stored under `key`, for changing in place.
    ///
    /// Precondition: the change leaves `M::is_marked` as it was; otherwise the marked counts go
    /// stale. Use [`KeyTable::update`] for a change that may flip it.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        let hash = self.hash(key);
        let seg = self.segment_of(hash);
        self.segments[seg]
            .entries
            .find_mut(in_segment(hash), |s| s.key() == key)
            .map(|s| &mut s.value)
    }

    /// The entry stored under `key`, to read and then either keep (borrowing its value for as long
    /// as the table) or remove, with a single lookup.
    pub fn occupied(&mut self, key: &[u8]) -> Option<Occupied<'_, V, M>> {
        let hash = self.hash(key);
        let seg = self.segment_of(hash);
        let Segment {
            entries, marked, ..
        } = &mut self.segments[seg];
        let entry = entries
            .find_entry(in_segment(hash), |s| s.key() == key)
            .ok()?;
        Some(Occupied {
            entry,
            segment_marked: marked,
            table_marked: &mut self.marked,
            table_len: &mut self.len,
            mark: PhantomData,
        })
    }

    /// Runs `f` on the value stored under `key` and keeps the marked counts right whatever `f`
    /// changes. Returns `f`'s result, or `None` (without calling `f`) when `key` is absent.
    pub fn update<R>(&mut self, key: &[u8], f: impl FnOnce(&mut V) -> R) -> Option<R> {
        let hash = self.hash(key);
        let seg = self.segment_of(hash);
        let value = &mut self.segments[seg]
            .entries
            .find_mut(in_segment(hash), |s| s.key() == key)?
            .value;
        let was = M::is_marked(value);
        let out = f(value);
        let is = M::is_marked(value);
        self.adjust_marked(seg, was, is);
        Some(out)
    }

    /// Stores `value` under a copy of `key`. Returns the value it replaced, if any; the stored
    /// key is kept.
    ///
    /// Side effect: may split the key's segment, which moves about half its keys to a new
    /// segment. No key ever crosses a SCAN position that was a segment boundary.
    pub fn insert(&mut self, key: &[u8], value: V) -> Option<V> {
        let hash = self.hash(key);
        let mut seg = self.segment_of(hash);
        if let Some(slot) = self.segments[seg]
            .entries
            .find_mut(in_segment(hash), |s| s.key() == key)
        {
            let is = M::is_marked(&value);
            let old = std::mem::replace(&mut slot.value, value);
            self.adjust_marked(seg, M::is_marked(&old), is);
            return Some(old);
        }
        // Split before inserting: inserting first would make hashbrown double a table that is
        // about to give half its keys away.
        if self.segments[seg].entries.len() >= SPLIT_AT && self.segments[seg].depth < MAX_DEPTH {
            self.split(seg, hash);
            seg = self.segment_of(hash);
        }
        let marked = M::is_marked(&value);
        let hasher = &self.hasher;
        let segment = &mut self.segments[seg];
        let slot = Box::new(Slot {
            key: SmallBytes::from_slice(key),
            value,
        });
        segment.entries.insert_unique(in_segment(hash), slot, |s| {
            in_segment(hasher.hash_one(s.key()))
        });
        self.len += 1;
        if marked {
            segment.marked += 1;
            self.marked += 1;
        }
        None
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        self.remove_entry(key).map(|(_, v)| v)
    }

    /// Removes `key`, returning the stored key and its value. Segments never shrink or merge.
    pub fn remove_entry(&mut self, key: &[u8]) -> Option<(SmallBytes, V)> {
        self.occupied(key).map(Occupied::remove)
    }

    /// Removes every key and frees the segments. A SCAN cursor from before stays valid: it
    /// resumes at its position.
    pub fn clear(&mut self) {
        *self = KeyTable::new();
    }

    /// Every key and value, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> + '_ {
        self.segments
            .iter()
            .flat_map(|s| s.entries.iter().map(|s| s.pair()))
    }

    /// SCAN step: calls `f` on every key whose position ([`position_of`]) is at least `cursor`,
    /// segment by segment in position order, until at least `count` keys were visited (at least
    /// one segment is always visited). Returns the cursor to pass next: the position where the
    /// first unvisited segment starts, or 0 once the end was reached.
    ///
    /// Guarantee: a scan started at cursor 0 and continued with each returned cursor visits every
    /// key present for the whole scan, exactly once, however much the table grew or shrank in
    /// between. Why: a returned cursor is a segment boundary, and boundaries survive splits, so
    /// each call visits whole position ranges `[cursor, next)` and the ranges of successive calls
    /// tile the position space. A key is never visited twice in one scan; keys inserted or
    /// removed during the scan may or may not be visited. A cursor that is not a boundary (one
    /// made up by a client, or one from before a `clear`) works too: positions below it are
    /// skipped, at the cost of hashing the first segment's keys. A cursor above
    /// [`POSITION_MAX`] visits nothing and returns 0.
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&[u8], &V)) -> u64 {
        if cursor > POSITION_MAX {
            return 0;
        }
        let mut from = cursor << (64 - POSITION_BITS);
        let mut visited = 0;
        loop {
            let seg = &self.segments[self.segment_of(from)];
            let start = prefix_start(from, seg.depth);
            if start == from {
                seg.entries.iter().for_each(|s| f(s.key(), &s.value));
                visited += seg.entries.len();
            } else {
                for s in seg.entries.iter() {
                    if self.hash(s.key()) >= from {
                        f(s.key(), &s.value);
                        visited += 1;
                    }
                }
            }
            let Some(end) = prefix_end(start, seg.depth) else {
                return 0;
            };
            if visited >= count {
                return end >> (64 - POSITION_BITS);
            }
            from = end;
        }
    }

    /// Visits up to `budget` marked entries, going on from `cursor` and wrapping around the
    /// table. Walks segments in their storage order, skipping a segment without marked entries
    /// in O(1), and stops early after one full round, so an entry is looked at once per call at
    /// most. `f` returns true when the caller keeps the entry and false when it will remove it
    /// before the next call; the returned cursor counts on that to resume inside a segment.
    ///
    /// Within a segment the walk follows hashbrown's order, which an insert that grows or splits
    /// the segment reshuffles; a split also moves entries to a segment the round may not have
    /// reached. The next call may then pass over or repeat a few entries. Fine for sampling
    /// (active expiry), which comes round again.
    pub fn walk_marked(
        &self,
        cursor: MarkCursor,
        budget: usize,
        mut f: impl FnMut(&[u8], &V) -> bool,
    ) -> MarkCursor {
        if self.marked == 0 || budget == 0 {
            return cursor;
        }
        let count = self.segments.len();
        // A cursor from before a `clear` may point past the end.
        let (first, mut skip) = if cursor.segment < count {
            (cursor.segment, cursor.skip)
        } else {
            (0, 0)
        };
        let mut left = budget;
        for step in 0..count {
            let index = (first + step) % count;
            let seg = &self.segments[index];
            if seg.marked > skip {
                let mut passed = 0;
                let mut kept = 0;
                for s in seg.entries.iter().filter(|s| M::is_marked(&s.value)) {
                    if passed < skip {
                        passed += 1;
                        continue;
                    }
                    if left == 0 {
                        return MarkCursor {
                            segment: index,
                            skip: skip + kept,
                        };
                    }
                    left -= 1;
                    kept += usize::from(f(s.key(), &s.value));
                }
            }
            skip = 0;
            if left == 0 {
                return MarkCursor {
                    segment: (index + 1) % count,
                    skip: 0,
                };
            }
        }
        MarkCursor {
            segment: first,
            skip: 0,
        }
    }

    /// A key and value picked uniformly at random (RANDOMKEY), or `None` when empty.
    ///
    /// Picks a directory slot and accepts its segment with probability proportional to the
    /// segment's keys per slot, which makes every key equally likely; then picks within the
    /// segment in O(segment), since hashbrown offers no indexed access. After `RANDOM_TRIES`
    /// rejections (a sparse table, after many removals) it falls back to an exact O(segments)
    /// walk.
    pub fn random<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<(&[u8], &V)> {
        if self.len == 0 {
            return None;
        }
        for _ in 0..RANDOM_TRIES {
            let seg = &self.segments[self.dir[rng.gen_range(0..self.dir.len())] as usize];
            let slots = 1usize << (self.depth - seg.depth);
            let n = seg.entries.len();
            if rng.gen_range(0..slots.saturating_mul(n.max(SPLIT_AT))) < n {
                return Self::nth(seg, rng.gen_range(0..n));
            }
        }
        let mut pick = rng.gen_range(0..self.len);
        for seg in &self.segments {
            if pick < seg.entries.len() {
                return Self::nth(seg, pick);
            }
            pick -= seg.entries.len();
        }
        None
    }

    fn nth(seg: &Segment<V>, n: usize) -> Option<(&[u8], &V)> {
        seg.entries.iter().nth(n).map(|s| s.pair())
    }

    fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    /// Index of the segment holding `hash`. Shifting twice keeps depth 0 from shifting by 64.
    fn segment_of(&self, hash: u64) -> usize {
        self.dir[((hash >> 1) >> (63 - self.depth)) as usize] as usize
    }

    fn adjust_marked(&mut self, seg: usize, was: bool, is: bool) {
        let count = &mut self.segments[seg].marked;
        // Saturating: a caller breaking `get_mut`'s precondition must get stale counts, not a
        // panic.
        match (was, is) {
            (false, true) => {
                *count += 1;
                self.marked += 1;
            }
            (true, false) => {
                *count = count.saturating_sub(1);
                self.marked = self.marked.saturating_sub(1);
            }
            _ => {}
        }
    }

    /// Splits segment `seg` (which holds `hash`) by its next hash bit: keys with the bit set move
    /// to a new segment that takes over the upper half of the old one's directory slots. Doubles
    /// the directory first when the segment is as deep as it.
    fn split(&mut self, seg: usize, hash: u64) {
        let depth = self.segments[seg].depth;
        if depth == self.depth {
            self.dir = self.dir.iter().flat_map(|&s| [s, s]).collect();
            self.depth += 1;
        }
        let bit = 1u64 << (63 - depth);
        let hasher = &self.hasher;
        let old = &mut self.segments[seg];
        // Both halves go into fresh tables. Extracting half the entries in place would leave
        // tombstones, and hashbrown doubles a table with tombstones and more than half its
        // capacity used rather than clean it: the kept half would end up in twice the memory.
        let whole = std::mem::replace(&mut old.entries, HashTable::with_capacity(SPLIT_AT));
        let mut upper = HashTable::with_capacity(SPLIT_AT);
        let mut upper_marked = 0;
        for entry in whole {
            let hash = hasher.hash_one(entry.key());
            let half = if hash & bit == 0 {
                &mut old.entries
            } else {
                upper_marked += usize::from(M::is_marked(&entry.value));
                &mut upper
            };
            half.insert_unique(in_segment(hash), entry, |s| {
                in_segment(hasher.hash_one(s.key()))
            });
        }
        old.depth = depth + 1;
        old.marked = old.marked.saturating_sub(upper_marked);
        let mut new = Segment::new(depth + 1, upper);
        new.marked = upper_marked;
        let new_index = u32::try_from(self.segments.len()).expect("fewer than 2^32 segments");
        self.segments.push(new);
        let first = (prefix_start(hash, depth) >> (64 - self.depth)) as usize;
        let slots = 1usize << (self.depth - depth);
        self.dir[first + slots / 2..first + slots].fill(new_index);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use bytes::Bytes;

    use super::*;

    /// Marks odd values, to exercise the per-segment counts.
    struct Odd;
    impl Mark<u64> for Odd {
        fn is_marked(v: &u64) -> bool {
            v % 2 == 1
        }
    }

    fn key(s: impl std::fmt::Display) -> Bytes {
        Bytes::from(s.to_string())
    }

    /// Checks the directory and segment invariants and the counts against a full recount.
    fn assert_consistent<V, M: Mark<V>>(t: &KeyTable<V, M>) {
        assert_eq!(t.dir.len(), 1 << t.depth);
        let mut slots_of = vec![0usize; t.segments.len()];
        let mut i = 0;
        while i < t.dir.len() {
            let seg = t.dir[i] as usize;
            let span = 1usize << (t.depth - t.segments[seg].depth);
            assert_eq!(i % span, 0, "segment {seg} misaligned in the directory");
            assert!(t.dir[i..i + span].iter().all(|&s| s as usize == seg));
            slots_of[seg] += span;
            i += span;
        }
        assert!(
            slots_of.iter().all(|&n| n > 0),
            "a segment nobody points to"
        );
        let (mut len, mut marked) = (0, 0);
        for (index, seg) in t.segments.iter().enumerate() {
            let seg_marked = seg
                .entries
                .iter()
                .filter(|s| M::is_marked(&s.value))
                .count();
            assert_eq!(seg.marked, seg_marked);
            for s in seg.entries.iter() {
                assert_eq!(
                    t.segment_of(t.hash(s.key())),
                    index,
                    "key in the wrong segment"
                );
            }
            len += seg.entries.len();
            marked += seg_marked;
        }
        assert_eq!(t.len(), len);
        assert_eq!(t.marked_len(), marked);
    }

    fn scan_all<V, M: Mark<V>>(t: &KeyTable<V, M>, count: usize) -> Vec<Bytes> {
        let mut out = Vec::new();
        let mut cursor = 0;
        loop {
            cursor = t.scan(cursor, count, |k, _| out.push(Bytes::copy_from_slice(k)));
            if cursor == 0 {
                return out;
            }
        }
    }

    #[test]
    fn insert_get_remove_behave_like_a_map() {
        let mut t: KeyTable<u64> = KeyTable::new();
        assert!(t.is_empty());
        assert_eq!(t.insert(&key("a"), 1), None);
        assert_eq!(t.insert(&key("b"), 2), None);
        assert_eq!(t.insert(&key("a"), 3), Some(1));
        assert_eq!(t.len(), 2);
        assert_eq!(t.get(b"a"), Some(&3));
        assert!(t.contains_key(b"b"));
        assert_eq!(t.get(b"zz"), None);
        *t.get_mut(b"b").unwrap() += 10;
        assert_eq!(t.get_key_value(b"b"), Some((&b"b"[..], &12)));
        assert_eq!(t.remove(b"a"), Some(3));
        assert_eq!(t.remove(b"a"), None);
        assert_eq!(
            t.remove_entry(b"b"),
            Some((SmallBytes::from_slice(b"b"), 12))
        );
        assert!(t.is_empty());
    }

    #[test]
    fn an_occupied_entry_is_kept_or_removed_with_its_counts() {
        let mut t: KeyTable<u64, Odd> = KeyTable::new();
        t.insert(&key("a"), 1);
        t.insert(&key("b"), 3);
        assert!(t.occupied(b"zz").is_none());
        let found = t.occupied(b"a").unwrap();
        assert_eq!((found.key(), found.get()), (&b"a"[..], &1));
        *found.into_mut() += 2;
        assert_eq!(t.get(b"a"), Some(&3));
        assert_eq!(
            t.occupied(b"b").unwrap().remove(),
            (SmallBytes::from_slice(b"b"), 3)
        );
        assert_eq!((t.len(), t.marked_len()), (1, 1));
        assert_consistent(&t);
    }

    #[test]
    fn an_empty_table_allocates_only_its_directory() {
        let t: KeyTable<u64> = KeyTable::new();
        assert!(t.approx_heap_bytes() < 128);
        assert_eq!(t.scan(0, 10, |_, _| panic!("empty")), 0);
    }

    #[test]
    fn growth_splits_segments_and_keeps_every_key() {
        let mut t: KeyTable<u64> = KeyTable::new();
        for i in 0..20_000 {
            t.insert(&key(i), i);
        }
        assert!(t.segments.len() > 16);
        assert_consistent(&t);
        for i in 0..20_000 {
            assert_eq!(t.get(key(i).as_ref()), Some(&i));
        }
        assert!(t.approx_heap_bytes() > 20_000 * size_of::<(Bytes, u64)>());
    }

    #[test]
    fn clear_empties_and_shrinks_the_table() {
        let mut t: KeyTable<u64, Odd> = KeyTable::new();
        for i in 0..5_000 {
            t.insert(&key(i), i);
        }
        t.clear();
        assert_eq!((t.len(), t.marked_len(), t.depth), (0, 0, 0));
        assert_eq!(t.iter().count(), 0);
        t.insert(&key("x"), 1);
        assert_eq!(t.get(b"x"), Some(&1));
    }

    #[test]
    fn random_inserts_and_removes_match_a_std_hashmap() {
        let mut rng = StdRng::seed_from_u64(0x5eed);
        let mut t: KeyTable<u64, Odd> = KeyTable::new();
        let mut model: HashMap<Bytes, u64> = HashMap::new();
        for step in 0..300_000u64 {
            let k = key(rng.gen_range(0..40_000u32));
            match rng.gen_range(0..10) {
                0..=5 => assert_eq!(t.insert(&k, step), model.insert(k, step)),
                6..=7 => assert_eq!(t.remove(&k), model.remove(&k)),
                8 => assert_eq!(
                    t.update(&k, |v| {
                        *v += 1;
                        *v
                    }),
                    model.get_mut(&k).map(|v| {
                        *v += 1;
                        *v
                    })
                ),
                _ => assert_eq!(t.get(&k), model.get(&k)),
            }
            if step % 50_000 == 0 {
                assert_consistent(&t);
            }
        }
        assert_consistent(&t);
        let ours: HashMap<Bytes, u64> = t
            .iter()
            .map(|(k, v)| (Bytes::copy_from_slice(k), *v))
            .collect();
        assert_eq!(ours, model);
    }

    #[test]
    fn scan_of_a_still_table_visits_each_key_once_in_position_order() {
        let mut t: KeyTable<u64> = KeyTable::new();
        for i in 0..10_000 {
            t.insert(&key(i), i);
        }
        let keys = scan_all(&t, 10);
        assert_eq!(keys.len(), 10_000);
        assert_eq!(keys.iter().collect::<HashSet<_>>().len(), 10_000);
        // Segments come in position order, so each key is at or past the cursor it came from.
        let mut cursor = 0;
        loop {
            let mut lowest = u64::MAX;
            let next = t.scan(cursor, 1, |k, _| lowest = lowest.min(position_of(k)));
            assert!(lowest >= cursor);
            if next == 0 {
                break;
            }
            assert!(next > cursor);
            cursor = next;
        }
    }

    #[test]
    fn scan_returns_whole_segments_until_count_is_reached() {
        let mut t: KeyTable<u64> = KeyTable::new();
        for i in 0..10_000 {
            t.insert(&key(i), i);
        }
        let mut n = 0;
        let next = t.scan(0, 1, |_, _| n += 1);
        assert_eq!(n, t.segments[t.dir[0] as usize].entries.len());
        assert_ne!(next, 0);
        let mut all = 0;
        assert_eq!(t.scan(0, usize::MAX, |_, _| all += 1), 0);
        assert_eq!(all, 10_000);
    }

    #[test]
    fn scan_from_a_made_up_cursor_visits_exactly_the_positions_above_it() {
        let mut t: KeyTable<u64> = KeyTable::new();
        for i in 0..10_000 {
            t.insert(&key(i), i);
        }
        let cursor = POSITION_MAX / 3 + 12_345;
        let expected: HashSet<Bytes> = t
            .iter()
            .filter(|(k, _)| position_of(k) >= cursor)
            .map(|(k, _)| Bytes::copy_from_slice(k))
            .collect();
        let mut seen = HashSet::new();
        let mut c = cursor;
        loop {
            c = t.scan(c, 100, |k, _| {
                assert!(seen.insert(Bytes::copy_from_slice(k)))
            });
            if c == 0 {
                break;
            }
        }
        assert_eq!(seen, expected);
        assert_eq!(
            t.scan(POSITION_MAX + 1, 10, |_, _| panic!("past the end")),
            0
        );
    }

    #[test]
    fn scan_returns_every_lasting_key_once_while_the_table_grows() {
        for seed in 0..4 {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut t: KeyTable<u64> = KeyTable::new();
            let lasting: Vec<Bytes> = (0..3_000).map(|i| key(format!("keep:{i}"))).collect();
            for k in &lasting {
                t.insert(k, 0);
            }
            let depth_before = t.depth;
            let mut seen: HashMap<Bytes, usize> = HashMap::new();
            let mut added = 0u64;
            let mut cursor = 0;
            loop {
                cursor = t.scan(cursor, 20, |k, _| {
                    *seen.entry(Bytes::copy_from_slice(k)).or_default() += 1
                });
                // Between calls: grow by a few hundred keys (forcing splits, including of the
                // segment at the cursor) and drop some of the newcomers again.
                for _ in 0..rng.gen_range(500..3_000) {
                    t.insert(&key(format!("grow:{added}")), added);
                    added += 1;
                }
                for _ in 0..50 {
                    t.remove(key(format!("grow:{}", rng.gen_range(0..added))).as_ref());
                }
                if cursor == 0 {
                    break;
                }
            }
            assert!(
                t.depth >= depth_before + 3,
                "grew only to depth {}",
                t.depth
            );
            for k in &lasting {
                assert_eq!(seen.get(k), Some(&1), "{k:?} seen {:?} times", seen.get(k));
            }
            assert!(seen.values().all(|&n| n == 1));
        }
    }

    #[test]
    fn scan_cursor_from_before_a_clear_still_works() {
        let mut t: KeyTable<u64> = KeyTable::new();
        for i in 0..5_000 {
            t.insert(&key(i), i);
        }
        let cursor = t.scan(0, 1_000, |_, _| {});
        t.clear();
        for i in 0..5_000 {
            t.insert(&key(i), i);
        }
        let mut seen = 0;
        let mut c = cursor;
        while c != 0 {
            c = t.scan(c, 100, |k, _| {
                assert!(position_of(k) >= cursor);
                seen += 1;
            });
        }
        let expected = t.iter().filter(|(k, _)| position_of(k) >= cursor).count();
        assert_eq!(seen, expected);
    }

    #[test]
    fn random_picks_every_key_about_equally_often() {
        let mut rng = StdRng::seed_from_u64(42);
        let mut t: KeyTable<u64> = KeyTable::new();
        assert!(t.random(&mut rng).is_none());
        for i in 0..4_000u64 {
            t.insert(&key(i), i);
        }
        // Thin out one segment so that segments differ a lot in size: picking a segment by its
        // directory slots alone would then favour the keys left in it.
        let thinned: Vec<Bytes> = t.segments[0]
            .entries
            .iter()
            .map(|s| Bytes::copy_from_slice(s.key()))
            .collect();
        for k in thinned.iter().skip(50) {
            t.remove(k);
        }
        let n = t.len();
        let mut hits: HashMap<u64, u32> = HashMap::new();
        let draws = 30 * n as u32;
        for _ in 0..draws {
            *hits.entry(*t.random(&mut rng).unwrap().1).or_default() += 1;
        }
        assert_eq!(hits.len(), n);
        for seg in &t.segments {
            let got: u32 = seg.entries.iter().map(|s| hits[&s.value]).sum();
            let expected = 30.0 * seg.entries.len() as f64;
            assert!(
                (got as f64 - expected).abs() < 0.1 * expected + 30.0,
                "{got} vs {expected}"
            );
        }
        // Chi-square over keys: n - 1 degrees of freedom, so mean ~n and sd ~sqrt(2n).
        let chi2: f64 = hits
            .values()
            .map(|&h| (h as f64 - 30.0).powi(2) / 30.0)
            .sum();
        assert!(
            chi2 < n as f64 + 5.0 * (2.0 * n as f64).sqrt(),
            "chi-square {chi2}, {n} keys"
        );
    }

    #[test]
    fn random_finds_the_last_keys_of_a_mostly_emptied_table() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut t: KeyTable<u64> = KeyTable::new();
        for i in 0..50_000 {
            t.insert(&key(i), i);
        }
        for i in 0..50_000 {
            if i != 777 && i != 31_337 {
                t.remove(key(i).as_ref());
            }
        }
        let mut seen = HashSet::new();
        for _ in 0..200 {
            seen.insert(*t.random(&mut rng).unwrap().1);
        }
        assert_eq!(seen, HashSet::from([777, 31_337]));
    }

    #[test]
    fn marked_counts_follow_inserts_updates_removes_and_splits() {
        let mut t: KeyTable<u64, Odd> = KeyTable::new();
        for i in 0..10_000 {
            t.insert(&key(i), i);
        }
        assert_eq!(t.marked_len(), 5_000);
        t.insert(&key(1), 2); // odd -> even
        t.insert(&key(2), 3); // even -> odd
        t.insert(&key(4), 6); // even -> even
        assert_eq!(t.marked_len(), 5_000);
        t.update(b"6", |v| *v = 7);
        assert_eq!(t.marked_len(), 5_001);
        t.remove(b"3");
        t.remove(b"8");
        assert_eq!(t.marked_len(), 5_000);
        assert_consistent(&t);
    }

    #[test]
    fn walk_marked_visits_each_marked_entry_once_per_round_within_budget() {
        let mut t: KeyTable<u64, Odd> = KeyTable::new();
        for i in 0..20_000 {
            t.insert(&key(i), i * 2 + u64::from(i % 7 == 0));
        }
        let total = t.marked_len();
        let mut seen = HashSet::new();
        let mut cursor = MarkCursor::default();
        while seen.len() < total {
            let mut n = 0;
            cursor = t.walk_marked(cursor, 37, |k, v| {
                assert_eq!(v % 2, 1);
                // The last call may run into the next round; only the first round must be exact.
                if seen.len() < total {
                    assert!(seen.insert(k.to_vec()), "{k:?} twice in one round");
                }
                n += 1;
                true
            });
            assert!(n <= 37);
        }
    }

    #[test]
    fn walk_marked_stops_after_one_round_and_resumes_after_removals() {
        let mut t: KeyTable<u64, Odd> = KeyTable::new();
        for i in 0..5_000 {
            t.insert(&key(i), i * 2);
        }
        for i in 0..10 {
            t.insert(&key(i * 100), 1);
        }
        let mut n = 0;
        let cursor = t.walk_marked(MarkCursor::default(), 1_000, |_, _| {
            n += 1;
            true
        });
        assert_eq!(n, 10, "one round looks at each marked entry once");
        // Remove what is visited: successive calls drain the marked entries exactly.
        let mut cursor = cursor;
        let mut removed = 0;
        while t.marked_len() > 0 {
            let mut gone = Vec::new();
            cursor = t.walk_marked(cursor, 3, |k, _| {
                gone.push(k.to_vec());
                false
            });
            removed += gone.len();
            for k in gone {
                t.remove(&k);
            }
        }
        assert_eq!(removed, 10);
        assert_eq!(t.len(), 4_990);
    }
}

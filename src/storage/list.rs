//! The list value type and its two encodings.
//!
//! Owns: `ListValue`, the in-memory form of a list, as a deque of packed nodes (`list::packed`).
//! A small list is one node and reports the `listpack` encoding; when a write would take it past
//! `list-max-listpack-size` it becomes a `quicklist`: a deque of nodes, each kept within that
//! limit, so pushes and pops at either end touch one small node and an index walks node counts
//! before it walks entries. A quicklist that shrinks back to one node of at most half the limit
//! is a listpack again, the way Redis 7.2 converts both ways.
//!
//! Must not: format replies or read argv. The fill limit is passed in by the caller ([`Fill`]), so
//! this file never reads the configuration.

mod packed;

use std::collections::VecDeque;

use bytes::Bytes;

use packed::{entry_size, Packed};
pub use packed::{Elem, Needle};

/// Largest node of a positive (count) fill, in bytes: a node past it takes no more entries.
const SIZE_SAFETY_LIMIT: usize = 8192;

/// Byte limits of the negative fills -1 to -5.
const NEG_FILL_BYTES: [usize; 5] = [4096, 8192, 16384, 32768, 65536];

/// The `list-max-listpack-size` value a write obeys: positive = at most that many entries per
/// node, negative = at most 4 KiB (-1), 8 KiB (-2), … 64 KiB (-5 and below) per node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill(pub i64);

impl Fill {
    /// (byte limit, entry limit) of one node; `usize::MAX` where there is none.
    fn limits(self) -> (usize, usize) {
        if self.0 >= 0 {
            (usize::MAX, (self.0 as usize).max(1))
        } else {
            let i = ((-self.0 - 1) as usize).min(NEG_FILL_BYTES.len() - 1);
            (NEG_FILL_BYTES[i], usize::MAX)
        }
    }

    /// True when a node of `bytes` bytes and `count` entries would be past the limit.
    fn exceeded_by(self, bytes: usize, count: usize) -> bool {
        let (max_bytes, max_count) = self.limits();
        if max_bytes != usize::MAX {
            bytes > max_bytes
        } else {
            bytes > SIZE_SAFETY_LIMIT || count > max_count
        }
    }
}

/// Which end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The head (LEFT, index 0).
    Head,
    /// The tail (RIGHT, index -1).
    Tail,
}

/// How a list is stored: one compact node, or a quicklist of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Encoding {
    /// One node without a limit of its own.
    #[default]
    Listpack,
    /// Nodes each within the fill limit.
    Quicklist,
}

/// A list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListValue {
    /// Never holds an empty node, except transiently inside an operation.
    nodes: VecDeque<Packed>,
    len: usize,
    encoding: Encoding,
}

/// A position in a list: a node and the offset of an entry in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pos {
    node: usize,
    off: usize,
}

impl ListValue {
    /// An empty list (listpack encoded). Store it only once it holds an element.
    pub fn new() -> ListValue {
        ListValue::default()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty (an empty list is never stored: the key is deleted).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The name `OBJECT ENCODING` reports.
    ///
    /// Always "quicklist": Redis 7.0 reports every list so, even one held in a single compact
    /// node (which is what `Encoding::Listpack` is here).
    pub fn encoding_name(&self) -> &'static str {
        "quicklist"
    }

    /// Number of nodes (1 for a listpack that holds elements).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes, head to tail, each as (its element count, its entries back to back in the
    /// listpack entry encoding, back-lengths included, without the listpack header and end
    /// byte). What the RDB writer stores as one packed quicklist node each.
    pub fn packed_nodes(&self) -> impl ExactSizeIterator<Item = (usize, &[u8])> + '_ {
        self.nodes.iter().map(|n| (n.len(), n.entries()))
    }

    // -----------------------------------------------------------------------------------------
    // Reading

    /// The elements, head to tail.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Elem<'_>> + '_ {
        self.nodes.iter().flat_map(|n| n.iter())
    }

    /// The element at `index` (negative counts from the tail, -1 = last), if in range.
    pub fn get(&self, index: i64) -> Option<Bytes> {
        let i = self.resolve(index)?;
        let p = self.locate(i);
        Some(self.nodes[p.node].get(p.off).to_bytes())
    }

    /// The `n` elements from index `start` (in range) towards the tail, or, when `reverse`,
    /// from index `start` towards the head.
    pub fn range(&self, start: usize, n: usize, reverse: bool) -> Vec<Bytes> {
        let mut out = Vec::with_capacity(n);
        self.for_each_in_range(start, n, reverse, |e| out.push(e.to_bytes()));
        out
    }

    /// Calls `f` with up to `n` elements from index `start` on (towards the head when
    /// `reverse`), in that order. For a reply written straight from the list.
    pub fn for_each_in_range(
        &self,
        start: usize,
        n: usize,
        reverse: bool,
        mut f: impl FnMut(Elem<'_>),
    ) {
        if n == 0 || start >= self.len {
            return;
        }
        let mut p = Some(self.locate(start));
        let mut done = 0;
        while let Some(pos) = p {
            if done == n {
                break;
            }
            f(self.nodes[pos.node].get(pos.off));
            done += 1;
            p = if reverse {
                self.prev(pos)
            } else {
                self.next(pos)
            };
        }
    }

    /// Indexes (counted from the head) of elements equal to `v`, scanning from `from`: skips the
    /// first `rank - 1` matches, then collects up to `count` (0 = all), looking at no more than
    /// `maxlen` elements (0 = all). Serves LPOS.
    pub fn positions(&self, v: &[u8], from: End, rank: u64, count: u64, maxlen: u64) -> Vec<usize> {
        let mut out = Vec::new();
        let mut matches = 0u64;
        let v = Needle::new(v);
        let elems: Box<dyn Iterator<Item = Elem<'_>>> = match from {
            End::Head => Box::new(self.iter()),
            End::Tail => Box::new(self.iter().rev()),
        };
        for (seen, e) in elems.enumerate() {
            if maxlen != 0 && seen as u64 >= maxlen {
                break;
            }
            if !v.matches(e) {
                continue;
            }
            matches += 1;
            if matches < rank {
                continue;
            }
            out.push(match from {
                End::Head => seen,
                End::Tail => self.len - seen - 1,
            });
            if count != 0 && out.len() as u64 >= count {
                break;
            }
        }
        out
    }

    // -----------------------------------------------------------------------------------------
    // Writing

    /// Pushes each of `items` at `end`, in order (LPUSH a b leaves b first).
    pub fn push_all(&mut self, end: End, items: &[Bytes], fill: Fill) {
        let added: usize = items.iter().map(|i| i.len()).sum();
        self.grow_check(added, items.len(), fill);
        for item in items {
            self.push_one(end, item, fill);
        }
    }

    /// Pushes `v` at `end`.
    pub fn push(&mut self, end: End, v: &[u8], fill: Fill) {
        self.grow_check(v.len(), 1, fill);
        self.push_one(end, v, fill);
    }

    /// Pops up to `n` elements from `end`, in pop order.
    pub fn pop_many(&mut self, end: End, n: usize, fill: Fill) -> Vec<Bytes> {
        let n = n.min(self.len);
        let out = match end {
            End::Head => self.range(0, n, false),
            End::Tail => self.range(self.len.saturating_sub(1), n, true),
        };
        match end {
            End::Head => self.delete_range(0, n),
            End::Tail => self.delete_range(self.len - n, n),
        }
        self.shrink_check(fill);
        out
    }

    /// Pops one element from `end`.
    pub fn pop(&mut self, end: End, fill: Fill) -> Option<Bytes> {
        // The end node alone, without `pop_many`'s vector and index walks: LPOP/RPOP are the
        // common case.
        let node = match end {
            End::Head => self.nodes.front_mut()?,
            End::Tail => self.nodes.back_mut()?,
        };
        let (off, index) = match end {
            End::Head => (0, 0),
            End::Tail => (node.last()?, node.len() - 1),
        };
        let v = node.get(off).to_bytes();
        node.remove_range(index, 1);
        if node.is_empty() {
            match end {
                End::Head => self.nodes.pop_front(),
                End::Tail => self.nodes.pop_back(),
            };
        }
        self.len -= 1;
        self.shrink_check(fill);
        Some(v)
    }

    /// Replaces the element at `index` (negative counts from the tail). False when out of range.
    pub fn set(&mut self, index: i64, v: &[u8], fill: Fill) -> bool {
        self.grow_check(v.len(), 1, fill);
        let Some(i) = self.resolve(index) else {
            return false;
        };
        let p = self.locate(i);
        let node = &mut self.nodes[p.node];
        node.replace_at(p.off, v);
        if self.encoding == Encoding::Quicklist
            && node.len() > 1
            && fill.exceeded_by(node.bytes(), node.len())
        {
            // Give the new element a node of its own, between the entries before and after it.
            let at = self.index_in_node(p);
            let node = &mut self.nodes[p.node];
            let mut rest = node.split_off(at);
            let after = rest.split_off(1);
            let mut k = p.node + 1;
            for part in [rest, after] {
                if !part.is_empty() {
                    self.nodes.insert(k, part);
                    k += 1;
                }
            }
            if self.nodes[p.node].is_empty() {
                self.nodes.remove(p.node);
            }
        }
        self.shrink_check(fill);
        true
    }

    /// Inserts `v` before (or, when `after`, after) the first element equal to `pivot`, scanning
    /// from the head. Returns false when no element equals `pivot`. Like Redis, checks whether
    /// the list must become a quicklist before it looks for the pivot.
    pub fn insert(&mut self, pivot: &[u8], v: &[u8], after: bool, fill: Fill) -> bool {
        self.grow_check(v.len(), 1, fill);
        let pivot = Needle::new(pivot);
        let mut p = self.first_pos();
        while let Some(pos) = p {
            if pivot.matches(self.nodes[pos.node].get(pos.off)) {
                self.insert_at(pos, v, after, fill);
                return true;
            }
            p = self.next(pos);
        }
        false
    }

    /// Removes elements equal to `v`: the first `count` from the head when `count` > 0, the last
    /// `-count` from the tail when `count` < 0, all when 0. Returns how many it removed.
    pub fn remove(&mut self, v: &[u8], count: i64, fill: Fill) -> usize {
        let mut left = if count == 0 {
            usize::MAX
        } else {
            count.unsigned_abs().try_into().unwrap_or(usize::MAX)
        };
        let mut removed = 0;
        let needle = Needle::new(v);
        let order: Vec<usize> = if count < 0 {
            (0..self.nodes.len()).rev().collect()
        } else {
            (0..self.nodes.len()).collect()
        };
        for k in order {
            if left == 0 {
                break;
            }
            let node = &mut self.nodes[k];
            let hits = node.iter().filter(|&e| needle.matches(e)).count();
            if hits == 0 {
                continue;
            }
            let take = hits.min(left);
            // Which of the node's matches go: the first `take` from the head, or the last
            // `take` when removing from the tail.
            let skip = if count < 0 { hits - take } else { 0 };
            let mut seen = 0;
            node.retain(|e| {
                if !needle.matches(e) {
                    return true;
                }
                seen += 1;
                seen <= skip || seen > skip + take
            });
            removed += take;
            left -= take;
        }
        self.len -= removed;
        self.nodes.retain(|n| !n.is_empty());
        self.shrink_check(fill);
        removed
    }

    /// Removes `ltrim` elements from the head and `rtrim` from the tail (LTRIM).
    pub fn trim(&mut self, ltrim: usize, rtrim: usize, fill: Fill) {
        let ltrim = ltrim.min(self.len);
        self.delete_range(0, ltrim);
        let rtrim = rtrim.min(self.len);
        self.delete_range(self.len - rtrim, rtrim);
        self.shrink_check(fill);
    }

    // -----------------------------------------------------------------------------------------
    // Encodings

    /// Before a write adds `count` elements of `bytes` raw bytes in all: a listpack that would
    /// pass the limit becomes a quicklist whose first node is the listpack.
    fn grow_check(&mut self, bytes: usize, count: usize, fill: Fill) {
        if self.encoding != Encoding::Listpack {
            return;
        }
        let (size, len) = self.nodes.front().map_or((7, 0), |n| (n.bytes(), n.len()));
        if fill.exceeded_by(size + bytes, len + count) {
            self.encoding = Encoding::Quicklist;
        }
    }

    /// After a write removed elements: a quicklist down to one node within half the limit
    /// becomes a listpack.
    fn shrink_check(&mut self, fill: Fill) {
        if self.encoding != Encoding::Quicklist || self.nodes.len() != 1 {
            return;
        }
        let (max_bytes, max_count) = fill.limits();
        let n = &self.nodes[0];
        if n.bytes() <= max_bytes / 2 && n.len() <= max_count / 2 {
            self.encoding = Encoding::Listpack;
        }
    }

    /// True when `node` may take one more entry of `v` without passing the fill limit.
    fn fits(&self, node: &Packed, v: &[u8], fill: Fill) -> bool {
        self.encoding == Encoding::Listpack
            || !fill.exceeded_by(node.bytes() + entry_size(v), node.len() + 1)
    }

    // -----------------------------------------------------------------------------------------
    // Positions and structure

    /// `index` (negative from the tail) as an index from the head, if in range.
    fn resolve(&self, index: i64) -> Option<usize> {
        let len = self.len as i64;
        let i = if index < 0 { len + index } else { index };
        (0..len).contains(&i).then_some(i as usize)
    }

    /// The position of the element at `index` (< len): node counts are walked from the nearer
    /// end, then entries inside the node.
    fn locate(&self, index: usize) -> Pos {
        debug_assert!(index < self.len);
        if index < self.len / 2 {
            let mut i = index;
            for (k, n) in self.nodes.iter().enumerate() {
                if i < n.len() {
                    return Pos {
                        node: k,
                        off: n.offset_of(i),
                    };
                }
                i -= n.len();
            }
        } else {
            let mut from_tail = self.len - 1 - index;
            for (k, n) in self.nodes.iter().enumerate().rev() {
                if from_tail < n.len() {
                    return Pos {
                        node: k,
                        off: n.offset_of(n.len() - 1 - from_tail),
                    };
                }
                from_tail -= n.len();
            }
        }
        unreachable!("index {index} within length {}", self.len)
    }

    /// The index inside its node of the entry at `p`.
    fn index_in_node(&self, p: Pos) -> usize {
        let n = &self.nodes[p.node];
        let mut i = 0;
        let mut off = n.first();
        while off != Some(p.off) {
            off = off.and_then(|o| n.next(o));
            i += 1;
        }
        i
    }

    fn first_pos(&self) -> Option<Pos> {
        let n = self.nodes.front()?;
        n.first().map(|off| Pos { node: 0, off })
    }

    fn next(&self, p: Pos) -> Option<Pos> {
        if let Some(off) = self.nodes[p.node].next(p.off) {
            return Some(Pos { node: p.node, off });
        }
        let node = p.node + 1;
        let off = self.nodes.get(node)?.first()?;
        Some(Pos { node, off })
    }

    fn prev(&self, p: Pos) -> Option<Pos> {
        if let Some(off) = self.nodes[p.node].prev(p.off) {
            return Some(Pos { node: p.node, off });
        }
        let node = p.node.checked_sub(1)?;
        let off = self.nodes[node].last()?;
        Some(Pos { node, off })
    }

    /// Pushes one element at `end`, opening a new end node when the current one is full.
    fn push_one(&mut self, end: End, v: &[u8], fill: Fill) {
        let room = match end {
            End::Head => self.nodes.front(),
            End::Tail => self.nodes.back(),
        }
        .is_some_and(|n| self.fits(n, v, fill));
        if !room {
            match end {
                End::Head => self.nodes.push_front(Packed::new()),
                End::Tail => self.nodes.push_back(Packed::new()),
            }
        }
        match end {
            End::Head => self.nodes.front_mut().expect("a node").push_front(v),
            End::Tail => self.nodes.back_mut().expect("a node").push_back(v),
        }
        self.len += 1;
    }

    /// Inserts `v` next to the element at `p`: into its node when it fits, else at the near end
    /// of the neighbouring node, else into a node split at that point.
    fn insert_at(&mut self, p: Pos, v: &[u8], after: bool, fill: Fill) {
        self.len += 1;
        let node = &self.nodes[p.node];
        let at = if after {
            node.next(p.off).unwrap_or(node.end())
        } else {
            p.off
        };
        if self.fits(node, v, fill) {
            self.nodes[p.node].insert_at(at, v);
            return;
        }
        let at_tail = at == node.end();
        let at_head = at == 0;
        if at_tail {
            let next_fits = self
                .nodes
                .get(p.node + 1)
                .is_some_and(|n| self.fits(n, v, fill));
            if !next_fits {
                self.nodes.insert(p.node + 1, Packed::new());
            }
            self.nodes[p.node + 1].push_front(v);
        } else if at_head {
            let prev_fits = p
                .node
                .checked_sub(1)
                .is_some_and(|k| self.fits(&self.nodes[k], v, fill));
            if prev_fits {
                self.nodes[p.node - 1].push_back(v);
            } else {
                let mut fresh = Packed::new();
                fresh.push_back(v);
                self.nodes.insert(p.node, fresh);
            }
        } else {
            let i = self.index_in_node(Pos {
                node: p.node,
                off: at,
            });
            let mut rest = self.nodes[p.node].split_off(i);
            if self.fits(&self.nodes[p.node], v, fill) {
                self.nodes[p.node].push_back(v);
            } else {
                rest.push_front(v);
            }
            self.nodes.insert(p.node + 1, rest);
        }
    }

    /// Removes the `n` elements from index `start` on, dropping nodes left empty.
    fn delete_range(&mut self, start: usize, n: usize) {
        if n == 0 || start >= self.len {
            return;
        }
        // Find the first node from the nearer end and touch only the nodes in the range, so
        // removing at either end of a long quicklist costs the nodes removed from, not a walk
        // over all of them.
        let (mut k, mut skip) = if start < self.len / 2 {
            let mut k = 0;
            let mut skip = start;
            while skip >= self.nodes[k].len() {
                skip -= self.nodes[k].len();
                k += 1;
            }
            (k, skip)
        } else {
            let mut k = self.nodes.len();
            let mut before = self.len;
            while before > start {
                k -= 1;
                before -= self.nodes[k].len();
            }
            (k, start - before)
        };
        let mut left = n;
        // Nodes emptied by the range are next to each other: all of them lie between its first
        // and its last node.
        let mut emptied: Option<(usize, usize)> = None;
        while left > 0 && k < self.nodes.len() {
            let node = &mut self.nodes[k];
            let len = node.len();
            let take = (len - skip).min(left);
            if take == len {
                *node = Packed::new();
                emptied = Some((emptied.map_or(k, |(a, _)| a), k + 1));
            } else {
                node.remove_range(skip, take);
            }
            left -= take;
            skip = 0;
            k += 1;
        }
        self.len -= n - left;
        if let Some((a, b)) = emptied {
            self.nodes.drain(a..b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: Fill = Fill(-2);

    fn list(items: &[&str], fill: Fill) -> ListValue {
        let mut l = ListValue::new();
        let items: Vec<Bytes> = items.iter().map(|s| Bytes::from(s.to_string())).collect();
        l.push_all(End::Tail, &items, fill);
        l
    }

    fn all(l: &ListValue) -> Vec<String> {
        l.iter()
            .map(|e| String::from_utf8(e.to_bytes().to_vec()).unwrap())
            .collect()
    }

    fn numbers(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("e{i}")).collect()
    }

    fn check_nodes(l: &ListValue) {
        assert_eq!(l.nodes.iter().map(Packed::len).sum::<usize>(), l.len());
        assert!(l.nodes.iter().all(|n| !n.is_empty()));
    }

    #[test]
    fn pushes_and_pops_at_both_ends() {
        let mut l = ListValue::new();
        l.push(End::Tail, b"b", DEFAULT);
        l.push(End::Head, b"a", DEFAULT);
        l.push(End::Tail, b"3", DEFAULT);
        assert_eq!(all(&l), ["a", "b", "3"]);
        assert_eq!(l.pop(End::Tail, DEFAULT), Some(Bytes::from("3")));
        assert_eq!(l.pop(End::Head, DEFAULT), Some(Bytes::from("a")));
        assert_eq!(l.len(), 1);
        assert_eq!(l.pop_many(End::Head, 5, DEFAULT), vec![Bytes::from("b")]);
        assert!(l.is_empty());
        assert_eq!(l.pop(End::Head, DEFAULT), None);
    }

    #[test]
    fn pops_across_nodes_match_a_deque() {
        let fill = Fill(3);
        let mut l = ListValue::new();
        let mut model = std::collections::VecDeque::new();
        for i in 0..40 {
            let v = format!("v{i}");
            l.push(End::Tail, v.as_bytes(), fill);
            model.push_back(v);
        }
        let mut step = 0;
        while !model.is_empty() {
            let (end, n) = [
                (End::Head, 1),
                (End::Tail, 1),
                (End::Tail, 4),
                (End::Head, 5),
            ][step % 4];
            step += 1;
            let want: Vec<Bytes> = (0..n)
                .map_while(|_| match end {
                    End::Head => model.pop_front(),
                    End::Tail => model.pop_back(),
                })
                .map(Bytes::from)
                .collect();
            let got = if n == 1 {
                l.pop(end, fill).into_iter().collect()
            } else {
                l.pop_many(end, n, fill)
            };
            assert_eq!(got, want);
            assert_eq!(all(&l), model.iter().cloned().collect::<Vec<_>>());
            check_nodes(&l);
        }
        assert_eq!(l.node_count(), 0);
    }

    #[test]
    fn small_lists_are_listpacks_until_the_limit() {
        let fill = Fill(4);
        let mut l = list(&["a", "b", "c", "d"], fill);
        assert_eq!(l.encoding, Encoding::Listpack);
        l.push(End::Tail, b"e", fill);
        assert_eq!(l.encoding, Encoding::Quicklist);
        let items: Vec<String> = numbers(10);
        let refs: Vec<&str> = items.iter().map(String::as_str).collect();
        let q = list(&refs, fill);
        assert_eq!(q.encoding, Encoding::Quicklist);
        assert_eq!(q.node_count(), 3);
        assert_eq!(all(&q), items);
    }

    #[test]
    fn byte_limits_convert_on_size() {
        let big = "x".repeat(9000);
        let l = list(&[&big], DEFAULT);
        assert_eq!(l.encoding, Encoding::Quicklist);
        let l = list(&["a"; 100], DEFAULT);
        assert_eq!(l.encoding, Encoding::Listpack);
        let mut l = list(&["a"; 100], Fill(-1));
        l.push(End::Tail, &[b'y'; 4000], Fill(-1));
        assert_eq!(l.encoding, Encoding::Quicklist);
        check_nodes(&l);
    }

    #[test]
    fn a_shrunk_quicklist_is_a_listpack_again() {
        let fill = Fill(4);
        let mut l = list(&["a", "b", "c", "d", "e"], fill);
        assert_eq!(l.encoding, Encoding::Quicklist);
        l.pop_many(End::Tail, 2, fill);
        assert_eq!(l.encoding, Encoding::Quicklist);
        l.pop(End::Tail, fill);
        assert_eq!(l.encoding, Encoding::Listpack);
        assert_eq!(all(&l), ["a", "b"]);
    }

    #[test]
    fn indexes_walk_nodes_from_either_end() {
        let fill = Fill(3);
        let items = numbers(20);
        let refs: Vec<&str> = items.iter().map(String::as_str).collect();
        let l = list(&refs, fill);
        for (i, want) in items.iter().enumerate() {
            assert_eq!(l.get(i as i64), Some(Bytes::from(want.clone())));
            assert_eq!(l.get(i as i64 - 20), Some(Bytes::from(want.clone())));
        }
        assert_eq!(l.get(20), None);
        assert_eq!(l.get(-21), None);
        assert_eq!(l.range(5, 4, false), ["e5", "e6", "e7", "e8"]);
        assert_eq!(l.range(5, 4, true), ["e5", "e4", "e3", "e2"]);
        assert_eq!(l.range(18, 10, false), ["e18", "e19"]);
    }

    #[test]
    fn set_replaces_and_splits_an_overfull_node() {
        let fill = Fill(-1);
        let mut l = list(&["a", "b", "c"], Fill(1));
        assert_eq!(l.encoding, Encoding::Quicklist);
        assert!(l.set(1, b"B", fill));
        assert!(l.set(-1, b"C", fill));
        assert!(!l.set(3, b"x", fill));
        assert_eq!(all(&l), ["a", "B", "C"]);
        let mut l = list(&["a"; 50], fill);
        l.push(End::Tail, &[b'z'; 4000], fill);
        assert_eq!(l.encoding, Encoding::Quicklist);
        let big = vec![b'q'; 3000];
        assert!(l.set(10, &big, fill));
        check_nodes(&l);
        assert_eq!(l.get(10), Some(Bytes::from(big)));
        assert_eq!(l.len(), 51);
    }

    #[test]
    fn insert_finds_the_first_pivot() {
        let mut l = list(&["a", "b", "a"], DEFAULT);
        assert!(l.insert(b"a", b"x", false, DEFAULT));
        assert!(l.insert(b"b", b"y", true, DEFAULT));
        assert!(!l.insert(b"zz", b"y", true, DEFAULT));
        assert_eq!(all(&l), ["x", "a", "b", "y", "a"]);
    }

    #[test]
    fn insert_into_full_nodes_splits_or_spills() {
        let fill = Fill(2);
        for pivot in 0..8 {
            for after in [false, true] {
                let items = numbers(8);
                let refs: Vec<&str> = items.iter().map(String::as_str).collect();
                let mut l = list(&refs, fill);
                let p = format!("e{pivot}");
                assert!(l.insert(p.as_bytes(), b"new", after, fill));
                let mut want = items.clone();
                want.insert(pivot + after as usize, "new".into());
                assert_eq!(all(&l), want, "pivot {pivot} after {after}");
                check_nodes(&l);
                assert!(l.nodes.iter().all(|n| n.len() <= 2));
            }
        }
    }

    #[test]
    fn remove_counts_from_either_end() {
        let fill = Fill(2);
        let src = ["a", "x", "b", "x", "c", "x", "x"];
        let mut l = list(&src, fill);
        assert_eq!(l.remove(b"x", 2, fill), 2);
        assert_eq!(all(&l), ["a", "b", "c", "x", "x"]);
        let mut l = list(&src, fill);
        assert_eq!(l.remove(b"x", -3, fill), 3);
        assert_eq!(all(&l), ["a", "x", "b", "c"]);
        check_nodes(&l);
        let mut l = list(&src, fill);
        assert_eq!(l.remove(b"x", 0, fill), 4);
        assert_eq!(l.remove(b"nope", 0, fill), 0);
        assert_eq!(all(&l), ["a", "b", "c"]);
    }

    #[test]
    fn trim_drops_both_ends() {
        let fill = Fill(3);
        let items = numbers(10);
        let refs: Vec<&str> = items.iter().map(String::as_str).collect();
        let mut l = list(&refs, fill);
        l.trim(2, 3, fill);
        assert_eq!(all(&l), ["e2", "e3", "e4", "e5", "e6"]);
        check_nodes(&l);
        l.trim(5, 0, fill);
        assert!(l.is_empty());
        assert_eq!(l.node_count(), 0);
    }

    #[test]
    fn positions_follow_rank_count_and_maxlen() {
        let l = list(&["a", "b", "c", "1", "2", "3", "c", "c"], Fill(2));
        assert_eq!(l.positions(b"c", End::Head, 1, 1, 0), [2]);
        assert_eq!(l.positions(b"c", End::Head, 2, 0, 0), [6, 7]);
        assert_eq!(l.positions(b"c", End::Tail, 1, 2, 0), [7, 6]);
        assert_eq!(l.positions(b"c", End::Head, 1, 0, 3), [2]);
        assert_eq!(l.positions(b"3", End::Head, 1, 0, 0), [5]);
        assert_eq!(l.positions(b"c", End::Head, 4, 0, 0), Vec::<usize>::new());
    }

    #[test]
    fn integers_and_strings_read_back_alike() {
        let l = list(
            &["-1", "0", "100000", "9223372036854775807", "01", "-0"],
            DEFAULT,
        );
        assert_eq!(
            all(&l),
            ["-1", "0", "100000", "9223372036854775807", "01", "-0"]
        );
    }
}

//! The ordered index of a large zset: a B+tree whose inner nodes count their subtrees.
//!
//! Owns: the `(score, member)` order of a `skiplist`-encoded zset (the encoding keeps Redis's
//! name). Each inner node records how many elements every child holds, so the rank of an
//! element, the element at a rank and the boundary of a score or lex range are all found in one
//! walk down a few levels.
//!
//! Why not a skip list, as Redis has: a skip list's walk takes a cache miss per step on its
//! lower levels, about fifteen per insert into 100k elements, and an update walks twice. That
//! walk was 48 % of ZADD's CPU (`perf/NOTES.md`). Here a walk reads a handful of nodes, each a
//! run of scores searched in place; members are read only when scores tie.
//!
//! Layout: leaves and inner nodes live in two arenas and link by index, which keeps the code
//! free of `unsafe`. A leaf holds up to `LEAF_CAP` elements, its scores in one array and its
//! members in another, and links to its neighbours for walks in either direction. An inner node
//! holds up to `INNER_CAP` children, their element counts and, for each child but the first, a
//! separator: every element of the child before it sorts below it, every element of the child
//! at or above it. Separators are bounds, not copies of first elements, so a removal never
//! rewrites one. A node that falls below a quarter full merges with a neighbour when the two
//! fit in one, and a root with a single child hands the root to it.
//!
//! Must not: know about members' scores outside the order (the member → score map is
//! `ZSetValue`'s), or look anything up by member alone.

use bytes::Bytes;

/// Elements per leaf, at most.
const LEAF_CAP: usize = 32;

/// Children per inner node, at most.
const INNER_CAP: usize = 32;

/// A node below this many entries merges with a neighbour when both fit in one.
const MERGE_BELOW: usize = LEAF_CAP / 4;

/// No node.
const NIL: u32 = u32::MAX;

/// True when `(score, member)` sorts before `(s, m)`: by score, then by member bytes.
fn before(score: f64, member: &[u8], s: f64, m: &[u8]) -> bool {
    score < s || (score == s && member < m)
}

#[derive(Debug, Clone)]
struct Leaf {
    len: usize,
    scores: [f64; LEAF_CAP],
    members: [Bytes; LEAF_CAP],
    prev: u32,
    next: u32,
}

impl Leaf {
    fn new() -> Leaf {
        Leaf {
            len: 0,
            scores: [0.0; LEAF_CAP],
            members: std::array::from_fn(|_| Bytes::new()),
            prev: NIL,
            next: NIL,
        }
    }

    /// How many of its elements satisfy `pred`, a prefix of them.
    fn partition_point(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        bisect(0, self.len, |i| pred(self.scores[i], &self.members[i]))
    }

    fn insert(&mut self, at: usize, score: f64, member: Bytes) {
        self.scores.copy_within(at..self.len, at + 1);
        self.members[at..=self.len].rotate_right(1);
        self.scores[at] = score;
        self.members[at] = member;
        self.len += 1;
    }

    fn remove(&mut self, at: usize) -> Bytes {
        let member = std::mem::take(&mut self.members[at]);
        self.scores.copy_within(at + 1..self.len, at);
        self.members[at..self.len].rotate_left(1);
        self.len -= 1;
        member
    }

    /// Moves its elements from `from` on to the end of `to`.
    fn move_tail(&mut self, from: usize, to: &mut Leaf) {
        for i in from..self.len {
            to.scores[to.len] = self.scores[i];
            to.members[to.len] = std::mem::take(&mut self.members[i]);
            to.len += 1;
        }
        self.len = from;
    }
}

#[derive(Debug, Clone)]
struct Inner {
    len: usize,
    children: [u32; INNER_CAP],
    counts: [u32; INNER_CAP],
    /// `sep_*[i]` bounds child `i` from below; `[0]` is unused.
    sep_scores: [f64; INNER_CAP],
    sep_members: [Bytes; INNER_CAP],
}

impl Inner {
    fn new() -> Inner {
        Inner {
            len: 0,
            children: [NIL; INNER_CAP],
            counts: [0; INNER_CAP],
            sep_scores: [0.0; INNER_CAP],
            sep_members: std::array::from_fn(|_| Bytes::new()),
        }
    }

    /// The child whose range holds the boundary of `pred`: the last one whose separator
    /// satisfies it (the first child when none does).
    fn child_for(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        bisect(1, self.len, |i| {
            pred(self.sep_scores[i], &self.sep_members[i])
        }) - 1
    }

    fn insert(&mut self, at: usize, child: u32, count: u32, sep: (f64, Bytes)) {
        self.children.copy_within(at..self.len, at + 1);
        self.counts.copy_within(at..self.len, at + 1);
        self.sep_scores.copy_within(at..self.len, at + 1);
        self.sep_members[at..=self.len].rotate_right(1);
        self.children[at] = child;
        self.counts[at] = count;
        self.sep_scores[at] = sep.0;
        self.sep_members[at] = sep.1;
        self.len += 1;
    }

    fn remove(&mut self, at: usize) {
        self.children.copy_within(at + 1..self.len, at);
        self.counts.copy_within(at + 1..self.len, at);
        self.sep_scores.copy_within(at + 1..self.len, at);
        self.sep_members[at] = Bytes::new();
        self.sep_members[at..self.len].rotate_left(1);
        self.len -= 1;
    }

    /// Moves its children from `from` on to the end of `to`; the first one moved takes
    /// `first_sep` as its separator there.
    fn move_tail(&mut self, from: usize, to: &mut Inner, first_sep: (f64, Bytes)) {
        let mut first_sep = Some(first_sep);
        for i in from..self.len {
            let at = to.len;
            let (score, member) = match first_sep.take() {
                Some(sep) => sep,
                None => (self.sep_scores[i], std::mem::take(&mut self.sep_members[i])),
            };
            to.children[at] = self.children[i];
            to.counts[at] = self.counts[i];
            to.sep_scores[at] = score;
            to.sep_members[at] = member;
            to.len += 1;
        }
        for m in &mut self.sep_members[from..self.len] {
            *m = Bytes::new();
        }
        self.len = from;
    }

    fn total(&self) -> u32 {
        self.counts[..self.len].iter().sum()
    }
}

/// What a node that split hands its parent: the new right node, its count and its separator.
struct Split {
    sep: (f64, Bytes),
    node: u32,
    count: u32,
}

/// A B+tree of `(member, score)` in `(score, member)` order.
#[derive(Debug, Clone)]
pub(super) struct OrderTree {
    leaves: Arena<Leaf>,
    inners: Arena<Inner>,
    root: u32,
    /// Levels of inner nodes above the leaves (0: the root is a leaf).
    height: usize,
    len: usize,
    first_leaf: u32,
    last_leaf: u32,
}

impl OrderTree {
    /// An empty tree.
    pub(super) fn new() -> OrderTree {
        OrderTree {
            leaves: Arena {
                nodes: vec![Leaf::new()],
                free: Vec::new(),
            },
            inners: Arena::default(),
            root: 0,
            height: 0,
            len: 0,
            first_leaf: 0,
            last_leaf: 0,
        }
    }

    /// Number of elements.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Inserts `(member, score)`. Requires: `member` is not in the tree.
    pub(super) fn insert(&mut self, member: Bytes, score: f64) {
        if let Some(split) = self.insert_into(self.root, self.height, score, member) {
            let root = self.inners.alloc();
            let left_count = (self.len - split.count as usize) as u32;
            let old_root = self.root;
            let r = &mut self.inners[root as usize];
            r.insert(0, old_root, left_count, (0.0, Bytes::new()));
            r.insert(1, split.node, split.count, split.sep);
            self.root = root;
            self.height += 1;
        }
    }

    /// Inserts into the subtree at `node`, `height` levels above the leaves. The element is
    /// counted in `self.len` before the split, if any, is returned.
    fn insert_into(
        &mut self,
        node: u32,
        height: usize,
        score: f64,
        member: Bytes,
    ) -> Option<Split> {
        if height == 0 {
            return self.insert_into_leaf(node, score, member);
        }
        let inner = &self.inners[node as usize];
        let i = inner.child_for(|s, m| !before(score, &member, s, m));
        let child = inner.children[i];
        let split = self.insert_into(child, height - 1, score, member);
        let inner = &mut self.inners[node as usize];
        inner.counts[i] += 1;
        let split = split?;
        inner.counts[i] -= split.count;
        if inner.len < INNER_CAP {
            inner.insert(i + 1, split.node, split.count, split.sep);
            return None;
        }
        // Full: the upper half moves to a new node, then the new child goes where it belongs.
        let half = INNER_CAP / 2;
        let right = self.inners.alloc();
        let (left_node, right_node) = self.inners.pair_mut(node, right);
        let promoted = (
            left_node.sep_scores[half],
            std::mem::take(&mut left_node.sep_members[half]),
        );
        left_node.move_tail(half, right_node, (0.0, Bytes::new()));
        if i < half {
            left_node.insert(i + 1, split.node, split.count, split.sep);
        } else {
            right_node.insert(i + 1 - half, split.node, split.count, split.sep);
        }
        Some(Split {
            sep: promoted,
            node: right,
            count: right_node.total(),
        })
    }

    fn insert_into_leaf(&mut self, node: u32, score: f64, member: Bytes) -> Option<Split> {
        self.len += 1;
        let leaf = &mut self.leaves[node as usize];
        let at = leaf.partition_point(|s, m| before(s, m, score, &member));
        if leaf.len < LEAF_CAP {
            leaf.insert(at, score, member);
            return None;
        }
        // Where to cut the full leaf. In half, except at either end of the order: elements that
        // arrive in order (an RDB load, highest score first; a stored result, lowest first)
        // then leave every leaf full instead of half full.
        let cut = match at {
            LEAF_CAP if node == self.last_leaf => LEAF_CAP,
            0 if node == self.first_leaf => 0,
            _ => LEAF_CAP / 2,
        };
        let right = self.leaves.alloc();
        let (left_leaf, right_leaf) = self.leaves.pair_mut(node, right);
        left_leaf.move_tail(cut, right_leaf);
        if at <= cut && cut < LEAF_CAP {
            left_leaf.insert(at, score, member);
        } else {
            right_leaf.insert(at - cut, score, member);
        }
        right_leaf.prev = node;
        right_leaf.next = left_leaf.next;
        left_leaf.next = right;
        let sep = (right_leaf.scores[0], right_leaf.members[0].clone());
        let count = right_leaf.len as u32;
        match self.leaves[right as usize].next {
            NIL => self.last_leaf = right,
            next => self.leaves[next as usize].prev = right,
        }
        Some(Split {
            sep,
            node: right,
            count,
        })
    }

    /// Removes `(member, score)`; returns false when it is not in the tree.
    pub(super) fn remove(&mut self, member: &[u8], score: f64) -> bool {
        self.take(member, score).is_some()
    }

    /// Removes `(member, score)` and hands its member back, when it is in the tree.
    fn take(&mut self, member: &[u8], score: f64) -> Option<Bytes> {
        let removed = self.remove_from(self.root, self.height, score, member)?;
        self.len -= 1;
        if self.len == 0 {
            *self = OrderTree::new();
            return Some(removed);
        }
        while self.height > 0 && self.inners[self.root as usize].len == 1 {
            let old = self.root;
            self.root = self.inners[old as usize].children[0];
            self.inners.release(old);
            self.height -= 1;
        }
        Some(removed)
    }

    /// Takes leaf `node` out of the chain of leaves and frees it.
    fn unchain_leaf(&mut self, node: u32) {
        let (prev, next) = {
            let l = &self.leaves[node as usize];
            (l.prev, l.next)
        };
        match prev {
            NIL => self.first_leaf = next,
            p => self.leaves[p as usize].next = next,
        }
        match next {
            NIL => self.last_leaf = prev,
            n => self.leaves[n as usize].prev = prev,
        }
        self.leaves.release(node);
    }

    /// Removes from the subtree at `node`; `Some(member)` when found.
    fn remove_from(
        &mut self,
        node: u32,
        height: usize,
        score: f64,
        member: &[u8],
    ) -> Option<Bytes> {
        if height == 0 {
            let leaf = &mut self.leaves[node as usize];
            let at = leaf.partition_point(|s, m| before(s, m, score, member));
            if at == leaf.len || leaf.scores[at] != score || leaf.members[at] != member {
                return None;
            }
            return Some(leaf.remove(at));
        }
        let inner = &self.inners[node as usize];
        let i = inner.child_for(|s, m| !before(score, member, s, m));
        let child = inner.children[i];
        let removed = self.remove_from(child, height - 1, score, member)?;
        self.inners[node as usize].counts[i] -= 1;
        self.rebalance(node, i, height - 1);
        Some(removed)
    }

    /// Tidies child `i` of `node` (`height` levels above the leaves) after a removal under it:
    /// drops it when empty, and merges it with a neighbour when it has fallen below a quarter
    /// full and the two fit in one node.
    fn rebalance(&mut self, node: u32, i: usize, height: usize) {
        let size = |t: &OrderTree, c: u32| match height {
            0 => t.leaves[c as usize].len,
            _ => t.inners[c as usize].len,
        };
        let inner = &self.inners[node as usize];
        let child = inner.children[i];
        let n = size(self, child);
        if n == 0 {
            // Its parent may be left empty too: the level above drops that one in turn.
            if height == 0 {
                self.unchain_leaf(child);
            } else {
                self.inners.release(child);
            }
            self.inners[node as usize].remove(i);
            return;
        }
        if inner.len < 2 || n >= MERGE_BELOW {
            return;
        }
        // Merge the pair (i - 1, i) or (i, i + 1) into its left node.
        let left = if i + 1 < inner.len { i } else { i - 1 };
        let (l, r) = (inner.children[left], inner.children[left + 1]);
        let cap = if height == 0 { LEAF_CAP } else { INNER_CAP };
        if size(self, l) + size(self, r) > cap {
            return;
        }
        if height == 0 {
            let (ll, rl) = self.leaves.pair_mut(l, r);
            rl.move_tail(0, ll);
            self.unchain_leaf(r);
        } else {
            let sep = (
                inner.sep_scores[left + 1],
                inner.sep_members[left + 1].clone(),
            );
            let (li, ri) = self.inners.pair_mut(l, r);
            ri.move_tail(0, li, sep);
            self.inners.release(r);
        }
        let inner = &mut self.inners[node as usize];
        inner.counts[left] += inner.counts[left + 1];
        inner.remove(left + 1);
    }

    /// Moves `member` from `old` to `new`. Requires: `(member, old)` is in the tree. A score
    /// that keeps the element between its neighbours in its leaf is written in place, as
    /// Redis's `zslUpdateScore` does; otherwise the element moves, keeping its member.
    pub(super) fn update_score(&mut self, member: &[u8], old: f64, new: f64) {
        if let Some((leaf, at)) = self.find(member, old) {
            let l = &self.leaves[leaf as usize];
            if at > 0
                && at + 1 < l.len
                && before(l.scores[at - 1], &l.members[at - 1], new, member)
                && before(new, member, l.scores[at + 1], &l.members[at + 1])
            {
                self.leaves[leaf as usize].scores[at] = new;
                return;
            }
        }
        let m = self.take(member, old);
        debug_assert!(m.is_some(), "update of an element not in the tree");
        let m = m.unwrap_or_else(|| Bytes::copy_from_slice(member));
        self.insert(m, new);
    }

    /// The leaf and position of `(member, score)`, when it is in the tree.
    fn find(&self, member: &[u8], score: f64) -> Option<(u32, usize)> {
        let (leaf, at, _) = self.descend(|s, m| before(s, m, score, member));
        let l = &self.leaves[leaf as usize];
        (at < l.len && l.scores[at] == score && l.members[at] == member).then_some((leaf, at))
    }

    /// Walks down to the boundary of `pred`: the leaf and position of the first element that
    /// fails it, and the number of elements before it.
    fn descend(&self, pred: impl Fn(f64, &[u8]) -> bool) -> (u32, usize, usize) {
        let mut node = self.root;
        let mut before_it = 0usize;
        for _ in 0..self.height {
            let inner = &self.inners[node as usize];
            let i = inner.child_for(&pred);
            before_it += inner.counts[..i].iter().sum::<u32>() as usize;
            node = inner.children[i];
        }
        let at = self.leaves[node as usize].partition_point(&pred);
        (node, at, before_it + at)
    }

    /// How many elements, from the first, satisfy `pred`. Requires: `pred` holds for a prefix
    /// of the order and fails for the rest (a partition, as `slice::partition_point` needs).
    pub(super) fn partition_point(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        self.descend(pred).2
    }

    /// The 0-based rank of `(member, score)`, which must be in the tree.
    pub(super) fn rank(&self, member: &[u8], score: f64) -> usize {
        self.partition_point(|s, m| before(s, m, score, member))
    }

    /// The leaf and position of the element at 0-based `rank`. Requires: `rank < len`.
    fn locate(&self, mut rank: usize) -> (u32, usize) {
        let mut node = self.root;
        for _ in 0..self.height {
            let inner = &self.inners[node as usize];
            let mut i = 0;
            while i + 1 < inner.len && rank >= inner.counts[i] as usize {
                rank -= inner.counts[i] as usize;
                i += 1;
            }
            node = inner.children[i];
        }
        (node, rank)
    }

    /// The element at 0-based `rank`.
    pub(super) fn at(&self, rank: usize) -> Option<(&Bytes, f64)> {
        if rank >= self.len {
            return None;
        }
        let (leaf, at) = self.locate(rank);
        let l = &self.leaves[leaf as usize];
        Some((&l.members[at], l.scores[at]))
    }

    /// The elements from 0-based `rank` on, ascending.
    pub(super) fn iter_from(&self, rank: usize) -> Iter<'_> {
        let (leaf, at) = if rank < self.len {
            self.locate(rank)
        } else {
            (NIL, 0)
        };
        Iter {
            tree: self,
            leaf,
            at,
            back: false,
        }
    }

    /// The elements from 0-based `rank` down to the first, descending.
    pub(super) fn iter_back_from(&self, rank: usize) -> Iter<'_> {
        let (leaf, at) = match self.len {
            0 => (NIL, 0),
            len => self.locate(rank.min(len - 1)),
        };
        Iter {
            tree: self,
            leaf,
            at,
            back: true,
        }
    }

    /// Checks every invariant: counts add up, separators bound their children, leaves chain
    /// in order, the order is strict, no node is empty. Test-only.
    #[cfg(test)]
    pub(super) fn check(&self) {
        let total = self.check_node(self.root, self.height, None, None);
        assert_eq!(total, self.len);
        let mut leaf = self.first_leaf;
        let mut prev = NIL;
        let mut seen = 0;
        let mut last: Option<(f64, Bytes)> = None;
        while leaf != NIL {
            let l = &self.leaves[leaf as usize];
            assert_eq!(l.prev, prev);
            assert!(l.len > 0 || self.len == 0, "an empty leaf");
            for k in 0..l.len {
                if let Some((s, m)) = &last {
                    assert!(before(*s, m, l.scores[k], &l.members[k]));
                }
                last = Some((l.scores[k], l.members[k].clone()));
                assert_eq!(self.rank(&l.members[k], l.scores[k]), seen);
                seen += 1;
            }
            prev = leaf;
            leaf = l.next;
        }
        assert_eq!(self.last_leaf, prev);
        assert_eq!(seen, self.len);
    }

    #[cfg(test)]
    fn check_node(
        &self,
        node: u32,
        height: usize,
        low: Option<(f64, &Bytes)>,
        high: Option<(f64, &Bytes)>,
    ) -> usize {
        let inside = |s: f64, m: &Bytes| {
            low.is_none_or(|(ls, lm)| !before(s, m, ls, lm))
                && high.is_none_or(|(hs, hm)| before(s, m, hs, hm))
        };
        if height == 0 {
            let l = &self.leaves[node as usize];
            for k in 0..l.len {
                assert!(
                    inside(l.scores[k], &l.members[k]),
                    "a separator out of order"
                );
            }
            return l.len;
        }
        let inner = &self.inners[node as usize];
        assert!(inner.len >= 2 || node != self.root, "a root with one child");
        assert!(inner.len >= 1);
        let mut total = 0;
        for i in 0..inner.len {
            let lo = if i == 0 {
                low
            } else {
                Some((inner.sep_scores[i], &inner.sep_members[i]))
            };
            let hi = if i + 1 < inner.len {
                Some((inner.sep_scores[i + 1], &inner.sep_members[i + 1]))
            } else {
                high
            };
            let n = self.check_node(inner.children[i], height - 1, lo, hi);
            assert_eq!(n, inner.counts[i] as usize, "a child's count");
            total += n;
        }
        total
    }
}

/// The first index in `lo..hi` where `holds` fails, `hi` when it never does. Requires: `holds`
/// is true for a prefix of the range and false for the rest.
fn bisect(mut lo: usize, mut hi: usize, holds: impl Fn(usize) -> bool) -> usize {
    while lo < hi {
        let mid = (lo + hi) / 2;
        if holds(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// A node kind's empty value, for fresh and freed arena slots.
trait Blank {
    fn blank() -> Self;
}

impl Blank for Leaf {
    fn blank() -> Leaf {
        Leaf::new()
    }
}

impl Blank for Inner {
    fn blank() -> Inner {
        Inner::new()
    }
}

/// Nodes of one kind by index, with the indices of freed ones for reuse.
#[derive(Debug, Clone)]
struct Arena<T> {
    nodes: Vec<T>,
    free: Vec<u32>,
}

impl<T> Default for Arena<T> {
    fn default() -> Arena<T> {
        Arena {
            nodes: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T: Blank> Arena<T> {
    /// A blank node's index.
    fn alloc(&mut self) -> u32 {
        match self.free.pop() {
            Some(i) => i,
            None => {
                self.nodes.push(T::blank());
                (self.nodes.len() - 1) as u32
            }
        }
    }

    /// Frees node `i`, dropping what it held.
    fn release(&mut self, i: u32) {
        self.nodes[i as usize] = T::blank();
        self.free.push(i);
    }

    /// Mutable references to two different nodes.
    fn pair_mut(&mut self, a: u32, b: u32) -> (&mut T, &mut T) {
        let (a, b) = (a as usize, b as usize);
        assert_ne!(a, b);
        if a < b {
            let (x, y) = self.nodes.split_at_mut(b);
            (&mut x[a], &mut y[0])
        } else {
            let (x, y) = self.nodes.split_at_mut(a);
            (&mut y[0], &mut x[b])
        }
    }

    #[cfg(test)]
    fn live(&self) -> usize {
        self.nodes.len() - self.free.len()
    }
}

impl<T> std::ops::Index<usize> for Arena<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.nodes[i]
    }
}

impl<T> std::ops::IndexMut<usize> for Arena<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.nodes[i]
    }
}

/// Walks the tree one way from an element.
pub(super) struct Iter<'a> {
    tree: &'a OrderTree,
    leaf: u32,
    at: usize,
    back: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Bytes, f64);

    fn next(&mut self) -> Option<Self::Item> {
        if self.leaf == NIL {
            return None;
        }
        let l = &self.tree.leaves[self.leaf as usize];
        let item = (&l.members[self.at], l.scores[self.at]);
        if self.back {
            if self.at == 0 {
                self.leaf = l.prev;
                if self.leaf != NIL {
                    self.at = self.tree.leaves[self.leaf as usize].len - 1;
                }
            } else {
                self.at -= 1;
            }
        } else if self.at + 1 < l.len {
            self.at += 1;
        } else {
            self.leaf = l.next;
            self.at = 0;
        }
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    /// Random inserts, updates and removals over enough elements for three levels, checked
    /// against a sorted vector after every batch, then drained to empty.
    #[test]
    fn random_operations_match_a_sorted_vec_model() {
        let mut rng = SmallRng::seed_from_u64(11);
        let mut t = OrderTree::new();
        let mut model: Vec<(f64, Bytes)> = Vec::new();
        let key = |e: &(f64, Bytes)| (e.0, e.1.clone());
        let sort = |m: &mut Vec<(f64, Bytes)>| {
            m.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)))
        };
        for step in 0..60_000usize {
            let member = Bytes::from(format!("m{}", rng.gen_range(0..40_000)));
            let score = rng.gen_range(0..500) as f64;
            let found = model.iter().position(|(_, m)| *m == member);
            match (rng.gen_range(0..10), found) {
                (0..=5, None) => {
                    t.insert(member.clone(), score);
                    model.push((score, member));
                }
                (0..=5, Some(i)) => {
                    t.update_score(&member, model[i].0, score);
                    model[i].0 = score;
                }
                (_, Some(i)) => {
                    assert!(t.remove(&member, model[i].0));
                    model.swap_remove(i);
                }
                (_, None) => assert!(!t.remove(&member, score)),
            }
            if step.is_multiple_of(10_000) {
                sort(&mut model);
                t.check();
                let all: Vec<_> = t.iter_from(0).map(|(m, s)| (s, m.clone())).collect();
                assert_eq!(all, model);
                for _ in 0..50.min(model.len()) {
                    let i = rng.gen_range(0..model.len());
                    assert_eq!(t.rank(&model[i].1, model[i].0), i);
                    assert_eq!(t.at(i).map(|(m, s)| (s, m.clone())), Some(key(&model[i])));
                    let back: Vec<_> = t.iter_back_from(i).map(|(m, s)| (s, m.clone())).collect();
                    let want: Vec<_> = model[..=i].iter().rev().cloned().collect();
                    assert_eq!(back, want);
                }
            }
        }
        assert!(t.height >= 2, "the test reached {} levels", t.height);
        sort(&mut model);
        while let Some((s, m)) = model.pop() {
            assert!(t.remove(&m, s));
            if model.len().is_multiple_of(3000) {
                t.check();
            }
        }
        t.check();
        assert_eq!((t.len(), t.height), (0, 0));
        t.insert(Bytes::from_static(b"again"), 1.0);
        t.check();
    }

    /// Elements inserted in order, either way, fill their leaves.
    #[test]
    fn ordered_inserts_fill_their_leaves() {
        for descending in [false, true] {
            let mut t = OrderTree::new();
            for i in 0..10_000u32 {
                let score = if descending { -(i as f64) } else { i as f64 };
                t.insert(Bytes::from(format!("m{i}")), score);
            }
            t.check();
            let leaves = t.leaves.live();
            assert!(
                leaves <= 10_000 / LEAF_CAP + 2,
                "{leaves} leaves for 10000 elements"
            );
        }
    }
}

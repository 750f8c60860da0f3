//! The ordered index of a large zset: a skip list whose links carry spans.
//!
//! Owns: the `(score, member)` order of a `skiplist`-encoded zset. Every link records how many
//! elements it jumps over, so the rank of an element, the element at a rank and the boundary
//! of a score or lex range are all found in O(log n) by one walk down the levels.
//!
//! Nodes live in one arena (`Vec<Node>`) and link to each other by index, which keeps the code
//! free of `unsafe` and of reference counting. A removed node's slot goes on a free list and is
//! reused by the next insert. Node 0 is the head: it holds no element and has every level.
//!
//! Must not: know about members' scores outside the order (the member → score map is
//! `ZSetValue`'s), or look anything up by member alone.

use bytes::Bytes;
use smallvec::SmallVec;

/// The most levels a node can have. With a promotion chance of 1/4 this covers 2^64 elements.
const MAX_LEVEL: usize = 32;

/// A link that points nowhere.
const NIL: u32 = u32::MAX;

/// The head node's index.
const HEAD: u32 = 0;

/// One level of a node: the next node at that level and how many elements the link passes
/// (the next node included). A link to `NIL` counts the elements left after its node.
#[derive(Debug, Clone, Copy)]
struct Link {
    next: u32,
    span: u32,
}

/// One element (or the head).
#[derive(Debug, Clone)]
struct Node {
    member: Bytes,
    score: f64,
    /// The previous node at level 0; `NIL` for the first element (and the head).
    prev: u32,
    links: SmallVec<[Link; 2]>,
}

/// True when `(score, member)` sorts before `(s, m)`: by score, then by member bytes.
fn before(score: f64, member: &[u8], s: f64, m: &[u8]) -> bool {
    score < s || (score == s && member < m)
}

/// A skip list of `(member, score)` in `(score, member)` order.
#[derive(Debug, Clone)]
pub(super) struct SkipList {
    nodes: Vec<Node>,
    free: Vec<u32>,
    /// Levels in use (at least 1).
    level: usize,
    len: usize,
    /// The last element; `NIL` when empty.
    tail: u32,
    /// State of the xorshift generator that picks node levels.
    seed: u64,
}

impl SkipList {
    /// An empty list.
    pub(super) fn new() -> SkipList {
        let head = Node {
            member: Bytes::new(),
            score: 0.0,
            prev: NIL,
            links: SmallVec::from_elem(Link { next: NIL, span: 0 }, MAX_LEVEL),
        };
        SkipList {
            nodes: vec![head],
            free: Vec::new(),
            level: 1,
            len: 0,
            tail: NIL,
            seed: rand::random::<u64>() | 1,
        }
    }

    /// Number of elements.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// A level between 1 and `MAX_LEVEL`, each level above 1 with a chance of 1/4.
    fn random_level(&mut self) -> usize {
        let mut x = self.seed;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed = x;
        // Two bits per level: a level is added while both bits are zero (chance 1/4).
        let level = 1 + ((x | (1 << 62)).trailing_zeros() / 2) as usize;
        level.min(MAX_LEVEL)
    }

    /// For each level, the last node before `(score, member)` and the rank (elements passed)
    /// at that node.
    fn predecessors(&self, score: f64, member: &[u8]) -> ([u32; MAX_LEVEL], [u32; MAX_LEVEL]) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i + 1 == self.level { 0 } else { rank[i + 1] };
            loop {
                let l = self.nodes[x as usize].links[i];
                if l.next == NIL {
                    break;
                }
                let n = &self.nodes[l.next as usize];
                if !before(n.score, &n.member, score, member) {
                    break;
                }
                rank[i] += l.span;
                x = l.next;
            }
            update[i] = x;
        }
        (update, rank)
    }

    /// Inserts `(member, score)`. Requires: `member` is not in the list.
    pub(super) fn insert(&mut self, member: Bytes, score: f64) {
        let (mut update, mut rank) = self.predecessors(score, &member);
        let level = self.random_level();
        if level > self.level {
            for i in self.level..level {
                rank[i] = 0;
                update[i] = HEAD;
                self.nodes[HEAD as usize].links[i].span = self.len as u32;
            }
            self.level = level;
        }
        let node = Node {
            member,
            score,
            prev: if update[0] == HEAD { NIL } else { update[0] },
            links: SmallVec::from_elem(Link { next: NIL, span: 0 }, level),
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.nodes[id as usize] = node;
                id
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        for i in 0..level {
            let up = self.nodes[update[i] as usize].links[i];
            let passed = rank[0] - rank[i];
            self.nodes[id as usize].links[i] = Link {
                next: up.next,
                span: up.span - passed,
            };
            self.nodes[update[i] as usize].links[i] = Link {
                next: id,
                span: passed + 1,
            };
        }
        for (i, &up) in update.iter().enumerate().take(self.level).skip(level) {
            self.nodes[up as usize].links[i].span += 1;
        }
        match self.nodes[id as usize].links[0].next {
            NIL => self.tail = id,
            next => self.nodes[next as usize].prev = id,
        }
        self.len += 1;
    }

    /// Removes `(member, score)`; returns false when it is not in the list.
    pub(super) fn remove(&mut self, member: &[u8], score: f64) -> bool {
        self.take(member, score).is_some()
    }

    /// Moves `member` from `old` to `new`. Requires: `(member, old)` is in the list. Like
    /// Redis's `zslUpdateScore`, a score that keeps the element between its neighbours is
    /// written in place; otherwise the element is unlinked and relinked with the member it
    /// already holds, so an update allocates nothing.
    pub(super) fn update_score(&mut self, member: &[u8], old: f64, new: f64) {
        let (update, _) = self.predecessors(old, member);
        let x = self.nodes[update[0] as usize].links[0].next;
        debug_assert!(x != NIL && self.nodes[x as usize].member == member);
        let n = &self.nodes[x as usize];
        let after_prev = n.prev == NIL || {
            let p = &self.nodes[n.prev as usize];
            before(p.score, &p.member, new, member)
        };
        let before_next = n.links[0].next == NIL || {
            let q = &self.nodes[n.links[0].next as usize];
            before(new, member, q.score, &q.member)
        };
        if after_prev && before_next {
            self.nodes[x as usize].score = new;
            return;
        }
        let held = self.unlink(x, &update);
        self.insert(held, new);
    }

    /// Removes `(member, score)` and hands back the member it held, if it was in the list.
    fn take(&mut self, member: &[u8], score: f64) -> Option<Bytes> {
        let (update, _) = self.predecessors(score, member);
        let x = self.nodes[update[0] as usize].links[0].next;
        if x == NIL {
            return None;
        }
        let n = &self.nodes[x as usize];
        if n.score != score || n.member != member {
            return None;
        }
        Some(self.unlink(x, &update))
    }

    /// Unlinks node `x`, whose predecessors at each level are `update`; returns its member.
    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) -> Bytes {
        for (i, &up) in update.iter().enumerate().take(self.level) {
            let gone = if i < self.nodes[x as usize].links.len() {
                Some(self.nodes[x as usize].links[i])
            } else {
                None
            };
            let link = &mut self.nodes[up as usize].links[i];
            match gone {
                Some(g) if link.next == x => {
                    link.span = link.span + g.span - 1;
                    link.next = g.next;
                }
                _ => link.span -= 1,
            }
        }
        let (prev, next) = (
            self.nodes[x as usize].prev,
            self.nodes[x as usize].links[0].next,
        );
        match next {
            NIL => self.tail = prev,
            next => self.nodes[next as usize].prev = prev,
        }
        while self.level > 1 && self.nodes[HEAD as usize].links[self.level - 1].next == NIL {
            self.level -= 1;
        }
        let dead = &mut self.nodes[x as usize];
        let member = std::mem::take(&mut dead.member);
        dead.links = SmallVec::new();
        self.free.push(x);
        self.len -= 1;
        if self.len == 0 {
            *self = SkipList {
                seed: self.seed,
                ..SkipList::new()
            };
        }
        member
    }

    /// How many elements, from the first, satisfy `pred`. Requires: `pred` holds for a prefix
    /// of the order and fails for the rest (a partition, as `slice::partition_point` needs).
    pub(super) fn partition_point(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut x = HEAD;
        let mut rank = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.nodes[x as usize].links[i];
                if l.next == NIL {
                    break;
                }
                let n = &self.nodes[l.next as usize];
                if !pred(n.score, &n.member) {
                    break;
                }
                rank += l.span as usize;
                x = l.next;
            }
        }
        rank
    }

    /// The 0-based rank of `(member, score)`, which must be in the list.
    pub(super) fn rank(&self, member: &[u8], score: f64) -> usize {
        self.partition_point(|s, m| before(s, m, score, member))
    }

    /// The node at 0-based `rank`, or `NIL`.
    fn node_at(&self, rank: usize) -> u32 {
        if rank >= self.len {
            return NIL;
        }
        let target = rank + 1;
        let mut x = HEAD;
        let mut passed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.nodes[x as usize].links[i];
                if l.next == NIL || passed + l.span as usize > target {
                    break;
                }
                passed += l.span as usize;
                x = l.next;
            }
            if passed == target {
                return x;
            }
        }
        NIL
    }

    /// The element at 0-based `rank`.
    pub(super) fn at(&self, rank: usize) -> Option<(&Bytes, f64)> {
        match self.node_at(rank) {
            NIL => None,
            x => {
                let n = &self.nodes[x as usize];
                Some((&n.member, n.score))
            }
        }
    }

    /// The elements from 0-based `rank` on, ascending.
    pub(super) fn iter_from(&self, rank: usize) -> Iter<'_> {
        Iter {
            list: self,
            at: self.node_at(rank),
            back: false,
        }
    }

    /// The elements from 0-based `rank` down to the first, descending.
    pub(super) fn iter_back_from(&self, rank: usize) -> Iter<'_> {
        let at = if rank + 1 >= self.len {
            self.tail
        } else {
            self.node_at(rank)
        };
        Iter {
            list: self,
            at,
            back: true,
        }
    }

    /// Checks every invariant: spans add up to ranks, back links mirror level 0, the order is
    /// strict. Test-only.
    #[cfg(test)]
    pub(super) fn check(&self) {
        let mut x = self.nodes[HEAD as usize].links[0].next;
        let mut prev = NIL;
        let mut seen = 0;
        while x != NIL {
            let n = &self.nodes[x as usize];
            assert_eq!(n.prev, prev);
            if prev != NIL {
                let p = &self.nodes[prev as usize];
                assert!(before(p.score, &p.member, n.score, &n.member));
            }
            seen += 1;
            assert_eq!(self.rank(&n.member, n.score), seen - 1);
            prev = x;
            x = n.links[0].next;
        }
        assert_eq!(seen, self.len);
        assert_eq!(self.tail, prev);
        for i in 0..self.level {
            let mut x = HEAD;
            let mut passed = 0usize;
            loop {
                let l = self.nodes[x as usize].links[i];
                if l.next == NIL {
                    break;
                }
                passed += l.span as usize;
                assert_eq!(self.node_at(passed - 1), l.next, "level {i}");
                x = l.next;
            }
        }
    }
}

/// Walks the list one way from a node.
pub(super) struct Iter<'a> {
    list: &'a SkipList,
    at: u32,
    back: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Bytes, f64);

    fn next(&mut self) -> Option<Self::Item> {
        if self.at == NIL {
            return None;
        }
        let n = &self.list.nodes[self.at as usize];
        self.at = if self.back { n.prev } else { n.links[0].next };
        Some((&n.member, n.score))
    }
}

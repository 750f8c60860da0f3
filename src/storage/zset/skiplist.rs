//! The ordered index of a large zset: a skip list whose links carry spans.
//!
//! Owns: the `(score, member)` order of a `skiplist`-encoded zset. Every link records how many
//! elements it jumps over, so the rank of an element, the element at a rank and the boundary
//! of a score or lex range are all found in O(log n) by one walk down the levels.
//!
//! Layout: a node is a run of 8-byte words in one arena, as Redis lays a node out in one
//! allocation: its score, then its back link and member slot, then one word per level (next
//! node and span). A walk reads the next node's score and, when it moves there, that node's
//! link in the same run, so each step costs one cache miss. (Nodes whose links lived in a
//! separate allocation cost two misses per step on the upper levels, which made a walk over
//! 100k elements ~1.5x slower than Redis's.) Members sit in their own vector, read only when
//! two scores tie. Nodes link by word index, which keeps the code free of `unsafe`; a removed
//! node's run goes on a free list for its level count and is reused by the next insert of
//! that height. The head is the run at 0: it holds no element and has every level.
//!
//! Must not: know about members' scores outside the order (the member → score map is
//! `ZSetValue`'s), or look anything up by member alone.

use bytes::Bytes;

/// The most levels a node can have. With a promotion chance of 1/4 this covers 2^64 elements.
const MAX_LEVEL: usize = 32;

/// A link or slot that points nowhere.
const NIL: u32 = u32::MAX;

/// The head node's index.
const HEAD: u32 = 0;

/// Words before a node's links: its score, then its back link and member slot.
const HEADER_WORDS: usize = 2;

/// One level of a node: the next node at that level and how many elements the link passes
/// (the next node included). A link to `NIL` counts the elements left after its node.
#[derive(Debug, Clone, Copy)]
struct Link {
    next: u32,
    span: u32,
}

impl Link {
    fn pack(self) -> u64 {
        self.next as u64 | (self.span as u64) << 32
    }

    fn unpack(w: u64) -> Link {
        Link {
            next: w as u32,
            span: (w >> 32) as u32,
        }
    }
}

/// True when `(score, member)` sorts before `(s, m)`: by score, then by member bytes.
fn before(score: f64, member: &[u8], s: f64, m: &[u8]) -> bool {
    score < s || (score == s && member < m)
}

/// A skip list of `(member, score)` in `(score, member)` order.
#[derive(Debug, Clone)]
pub(super) struct SkipList {
    /// Every node's words (see the module comment).
    words: Vec<u64>,
    /// Members, by slot.
    members: Vec<Bytes>,
    free_members: Vec<u32>,
    /// Runs of removed nodes, by their number of levels.
    free_runs: Vec<Vec<u32>>,
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
        let mut words = vec![0u64; HEADER_WORDS + MAX_LEVEL];
        words[1] = NIL as u64 | (NIL as u64) << 32;
        for w in &mut words[HEADER_WORDS..] {
            *w = Link { next: NIL, span: 0 }.pack();
        }
        SkipList {
            words,
            members: Vec::new(),
            free_members: Vec::new(),
            free_runs: vec![Vec::new(); MAX_LEVEL + 1],
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

    fn score(&self, x: u32) -> f64 {
        f64::from_bits(self.words[x as usize])
    }

    fn set_score(&mut self, x: u32, score: f64) {
        self.words[x as usize] = score.to_bits();
    }

    fn prev(&self, x: u32) -> u32 {
        self.words[x as usize + 1] as u32
    }

    fn set_prev(&mut self, x: u32, prev: u32) {
        let w = &mut self.words[x as usize + 1];
        *w = (*w & !0xFFFF_FFFF) | prev as u64;
    }

    fn member_slot(&self, x: u32) -> u32 {
        (self.words[x as usize + 1] >> 32) as u32
    }

    fn member(&self, x: u32) -> &Bytes {
        &self.members[self.member_slot(x) as usize]
    }

    fn link(&self, x: u32, i: usize) -> Link {
        Link::unpack(self.words[x as usize + HEADER_WORDS + i])
    }

    fn set_link(&mut self, x: u32, i: usize, l: Link) {
        self.words[x as usize + HEADER_WORDS + i] = l.pack();
    }

    /// True when node `x` sorts before `(score, member)`.
    fn node_before(&self, x: u32, score: f64, member: &[u8]) -> bool {
        let s = self.score(x);
        s < score || (s == score && self.member(x).as_ref() < member)
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
                let l = self.link(x, i);
                if l.next == NIL || !self.node_before(l.next, score, member) {
                    break;
                }
                rank[i] += l.span;
                x = l.next;
            }
            update[i] = x;
        }
        (update, rank)
    }

    /// A node run of `level` links holding `member` and `score`, unlinked.
    fn new_node(&mut self, member: Bytes, score: f64, level: usize) -> u32 {
        let slot = match self.free_members.pop() {
            Some(s) => {
                self.members[s as usize] = member;
                s
            }
            None => {
                self.members.push(member);
                (self.members.len() - 1) as u32
            }
        };
        let x = match self.free_runs[level].pop() {
            Some(x) => x,
            None => {
                let x = self.words.len();
                assert!(
                    x + HEADER_WORDS + level < NIL as usize,
                    "skip list arena full"
                );
                self.words.resize(x + HEADER_WORDS + level, 0);
                x as u32
            }
        };
        self.words[x as usize + 1] = NIL as u64 | (slot as u64) << 32;
        self.set_score(x, score);
        x
    }

    /// Inserts `(member, score)`. Requires: `member` is not in the list.
    pub(super) fn insert(&mut self, member: Bytes, score: f64) {
        let (update, rank) = self.predecessors(score, &member);
        let level = self.random_level();
        let id = self.new_node(member, score, level);
        self.link_node(id, level, update, rank);
    }

    /// Links the unlinked node `id` of `level` links after its predecessors `update`, whose
    /// ranks are `rank` (as `predecessors` found them).
    fn link_node(
        &mut self,
        id: u32,
        level: usize,
        mut update: [u32; MAX_LEVEL],
        mut rank: [u32; MAX_LEVEL],
    ) {
        if level > self.level {
            for i in self.level..level {
                rank[i] = 0;
                update[i] = HEAD;
                let span = self.len as u32;
                self.set_link(HEAD, i, Link { next: NIL, span });
            }
            self.level = level;
        }
        for i in 0..level {
            let up = self.link(update[i], i);
            let passed = rank[0] - rank[i];
            self.set_link(
                id,
                i,
                Link {
                    next: up.next,
                    span: up.span - passed,
                },
            );
            self.set_link(
                update[i],
                i,
                Link {
                    next: id,
                    span: passed + 1,
                },
            );
        }
        for (i, &up) in update.iter().enumerate().take(self.level).skip(level) {
            let mut l = self.link(up, i);
            l.span += 1;
            self.set_link(up, i, l);
        }
        self.set_prev(id, if update[0] == HEAD { NIL } else { update[0] });
        match self.link(id, 0).next {
            NIL => self.tail = id,
            next => self.set_prev(next, id),
        }
        self.len += 1;
    }

    /// Removes `(member, score)`; returns false when it is not in the list.
    pub(super) fn remove(&mut self, member: &[u8], score: f64) -> bool {
        let (update, _) = self.predecessors(score, member);
        let x = self.link(update[0], 0).next;
        if x == NIL || self.score(x) != score || self.member(x).as_ref() != member {
            return false;
        }
        let level = self.unlink(x, &update);
        let slot = self.member_slot(x);
        self.members[slot as usize] = Bytes::new();
        self.free_members.push(slot);
        self.free_runs[level].push(x);
        if self.len == 0 {
            *self = SkipList {
                seed: self.seed,
                ..SkipList::new()
            };
        }
        true
    }

    /// Moves `member` from `old` to `new`. Requires: `(member, old)` is in the list. Like
    /// Redis's `zslUpdateScore`, a score that keeps the element between its neighbours is
    /// written in place; otherwise the node is unlinked and relinked where `new` belongs,
    /// keeping its member and its run, so an update allocates nothing.
    pub(super) fn update_score(&mut self, member: &[u8], old: f64, new: f64) {
        let (update, _) = self.predecessors(old, member);
        let x = self.link(update[0], 0).next;
        debug_assert!(x != NIL && self.member(x).as_ref() == member);
        let prev = self.prev(x);
        let after_prev = prev == NIL || self.node_before(prev, new, member);
        let next = self.link(x, 0).next;
        let before_next = next == NIL || {
            let (s, m) = (self.score(next), self.member(next));
            before(new, member, s, m)
        };
        self.set_score(x, new);
        if after_prev && before_next {
            return;
        }
        let level = self.unlink(x, &update);
        // The walk compares against `x`'s own member and the new score; `x` is out of the list.
        let (update, rank) = self.predecessors(new, member);
        self.link_node(x, level, update, rank);
    }

    /// Unlinks node `x`, whose predecessors at each level are `update`; returns its number of
    /// levels. The node's run and member stay as they are.
    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) -> usize {
        let mut level = 0;
        for (i, &up) in update.iter().enumerate().take(self.level) {
            let mut link = self.link(up, i);
            if link.next == x {
                let gone = self.link(x, i);
                link.span = link.span + gone.span - 1;
                link.next = gone.next;
                level = i + 1;
            } else {
                link.span -= 1;
            }
            self.set_link(up, i, link);
        }
        let (prev, next) = (self.prev(x), self.link(x, 0).next);
        match next {
            NIL => self.tail = prev,
            next => self.set_prev(next, prev),
        }
        while self.level > 1 && self.link(HEAD, self.level - 1).next == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        level
    }

    /// How many elements, from the first, satisfy `pred`. Requires: `pred` holds for a prefix
    /// of the order and fails for the rest (a partition, as `slice::partition_point` needs).
    pub(super) fn partition_point(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut x = HEAD;
        let mut rank = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.link(x, i);
                if l.next == NIL || !pred(self.score(l.next), self.member(l.next)) {
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
                let l = self.link(x, i);
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
            x => Some((self.member(x), self.score(x))),
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
    /// strict, free runs and slots are not in use. Test-only.
    #[cfg(test)]
    pub(super) fn check(&self) {
        let mut x = self.link(HEAD, 0).next;
        let mut prev = NIL;
        let mut seen = 0;
        let mut slots = std::collections::HashSet::new();
        while x != NIL {
            assert_eq!(self.prev(x), prev);
            if prev != NIL {
                assert!(before(
                    self.score(prev),
                    self.member(prev),
                    self.score(x),
                    self.member(x)
                ));
            }
            assert!(
                slots.insert(self.member_slot(x)),
                "a member slot used twice"
            );
            seen += 1;
            assert_eq!(self.rank(self.member(x), self.score(x)), seen - 1);
            prev = x;
            x = self.link(x, 0).next;
        }
        assert_eq!(seen, self.len);
        assert_eq!(self.tail, prev);
        for s in &self.free_members {
            assert!(!slots.contains(s), "a free member slot in use");
        }
        for i in 0..self.level {
            let mut x = HEAD;
            let mut passed = 0usize;
            loop {
                let l = self.link(x, i);
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
        let (list, x) = (self.list, self.at);
        self.at = if self.back {
            list.prev(x)
        } else {
            list.link(x, 0).next
        };
        Some((list.member(x), list.score(x)))
    }
}

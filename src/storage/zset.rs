//! The zset value type and its encodings.
//!
//! Owns: `ZSetValue`, the in-memory form of a sorted set, and the score and lex ranges its
//! commands select by. Elements are ordered by score, then by member bytes.
//!
//! Two encodings, named as `OBJECT ENCODING` names them:
//! - `listpack`: one sorted vector of `(member, score)`. Lookups by member scan it, as Redis's
//!   listpack does; kept while the zset has at most `zset-max-listpack-entries` elements and
//!   no member longer than `zset-max-listpack-value` bytes.
//! - `skiplist`: a member → score hash table (the same segmented table as a keyspace, so ZSCAN
//!   keeps SCAN's guarantees) beside a B+tree that counts its subtrees (`order_tree.rs`) for
//!   rank and range queries in O(log n). The name is Redis's, whose ordered half is a skip list.
//!
//! A listpack converts when an insert would cross a limit; a skiplist never converts back
//! (only a stored result is built afresh, see [`ZSetValue::from_pairs`]), as in Redis.
//!
//! Runs on: the owning shard's executor. Must not: format replies or parse arguments.

mod order_tree;

use std::cmp::Ordering;

use bytes::Bytes;

use super::table::KeyTable;
use crate::config::live::{threshold, Threshold};
use order_tree::OrderTree;

/// The encoding limits of a listpack zset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `zset-max-listpack-entries`.
    pub max_entries: usize,
    /// `zset-max-listpack-value`, in bytes.
    pub max_value: usize,
}

impl Limits {
    /// The limits the configuration holds now.
    pub fn live() -> Limits {
        let get = |t| usize::try_from(threshold(t)).unwrap_or(0);
        Limits {
            max_entries: get(Threshold::ZsetMaxListpackEntries),
            max_value: get(Threshold::ZsetMaxListpackValue),
        }
    }
}

/// A score interval: `min` to `max`, each end open or closed (`(1.5` is open).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRange {
    /// Lower end.
    pub min: f64,
    /// True when `min` itself is outside.
    pub min_open: bool,
    /// Upper end.
    pub max: f64,
    /// True when `max` itself is outside.
    pub max_open: bool,
}

impl ScoreRange {
    /// True when `s` is at or past the lower end.
    pub fn above_min(&self, s: f64) -> bool {
        if self.min_open {
            s > self.min
        } else {
            s >= self.min
        }
    }

    /// True when `s` is at or before the upper end.
    pub fn below_max(&self, s: f64) -> bool {
        if self.max_open {
            s < self.max
        } else {
            s <= self.max
        }
    }

    /// True when no score can be inside.
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.min_open || self.max_open))
    }
}

/// One end of a lex interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: before every string.
    Least,
    /// `+`: after every string.
    Greatest,
    /// `[s`: `s` itself is inside.
    Closed(Bytes),
    /// `(s`: `s` itself is outside.
    Open(Bytes),
}

impl LexBound {
    /// Where `m` sorts against this bound's string (`Least` and `Greatest` are infinitely
    /// small and large).
    fn cmp_member(&self, m: &[u8]) -> Ordering {
        match self {
            LexBound::Least => Ordering::Greater,
            LexBound::Greatest => Ordering::Less,
            LexBound::Closed(s) | LexBound::Open(s) => m.cmp(s),
        }
    }

    /// True for an open end (`(`, and `-`/`+`, which no string equals).
    fn is_open(&self) -> bool {
        !matches!(self, LexBound::Closed(_))
    }

    /// The rank of a bound among bounds: `Least` < strings < `Greatest`.
    fn cmp_bound(&self, other: &LexBound) -> Ordering {
        use LexBound::*;
        match (self, other) {
            (Least, Least) | (Greatest, Greatest) => Ordering::Equal,
            (Least, _) | (_, Greatest) => Ordering::Less,
            (Greatest, _) | (_, Least) => Ordering::Greater,
            (Closed(a) | Open(a), Closed(b) | Open(b)) => a.cmp(b),
        }
    }
}

/// A lex interval over members (meaningful when all scores are equal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexRange {
    /// Lower end.
    pub min: LexBound,
    /// Upper end.
    pub max: LexBound,
}

impl LexRange {
    /// True when `m` is at or past the lower end.
    pub fn above_min(&self, m: &[u8]) -> bool {
        match self.min.cmp_member(m) {
            Ordering::Greater => true,
            Ordering::Equal => !self.min.is_open(),
            Ordering::Less => false,
        }
    }

    /// True when `m` is at or before the upper end.
    pub fn below_max(&self, m: &[u8]) -> bool {
        match self.max.cmp_member(m) {
            Ordering::Less => true,
            Ordering::Equal => !self.max.is_open(),
            Ordering::Greater => false,
        }
    }

    /// True when no member can be inside.
    pub fn is_empty(&self) -> bool {
        match self.min.cmp_bound(&self.max) {
            Ordering::Greater => true,
            Ordering::Equal => self.min.is_open() || self.max.is_open(),
            Ordering::Less => false,
        }
    }
}

/// The two encodings.
#[derive(Debug)]
enum Encoding {
    /// Sorted by `(score, member)`.
    Listpack(Vec<(Bytes, f64)>),
    /// Member → score, plus the order.
    Skiplist(Box<Skiplist>),
}

/// The `skiplist` encoding's two halves. They always hold the same elements.
struct Skiplist {
    dict: KeyTable<f64>,
    order: OrderTree,
}

impl std::fmt::Debug for Skiplist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.order.iter_from(0)).finish()
    }
}

/// A sorted set: unique members, each with a score.
#[derive(Debug)]
pub struct ZSetValue {
    enc: Encoding,
}

impl Default for ZSetValue {
    fn default() -> Self {
        ZSetValue::new()
    }
}

impl Clone for ZSetValue {
    fn clone(&self) -> Self {
        match &self.enc {
            Encoding::Listpack(v) => ZSetValue {
                enc: Encoding::Listpack(v.clone()),
            },
            Encoding::Skiplist(s) => {
                let mut dict = KeyTable::new();
                for (m, sc) in s.order.iter_from(0) {
                    dict.insert(m, sc);
                }
                ZSetValue {
                    enc: Encoding::Skiplist(Box::new(Skiplist {
                        dict,
                        order: s.order.clone(),
                    })),
                }
            }
        }
    }
}

impl PartialEq for ZSetValue {
    /// Equal when they hold the same elements in the same encoding.
    fn eq(&self, other: &Self) -> bool {
        self.encoding_name() == other.encoding_name()
            && self.len() == other.len()
            && self.iter().eq(other.iter())
    }
}

/// Ascending iteration over a zset's elements.
pub struct Iter<'a>(IterInner<'a>);

enum IterInner<'a> {
    Listpack(std::slice::Iter<'a, (Bytes, f64)>),
    Skiplist(order_tree::Iter<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Bytes, f64);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterInner::Listpack(it) => it.next().map(|(m, s)| (m, *s)),
            IterInner::Skiplist(it) => it.next(),
        }
    }
}

/// The score a listpack keeps for `score`. Redis's listpack writes a score as text and reads a
/// zero back without its sign, so `-0` is stored (and reported) as `0` there, while a skiplist
/// keeps the sign.
fn listpack_score(score: f64) -> f64 {
    if score == 0.0 {
        0.0
    } else {
        score
    }
}

/// Sorts `(score, member)` pairs.
fn cmp_elem(a: (f64, &[u8]), b: (f64, &[u8])) -> Ordering {
    a.0.partial_cmp(&b.0)
        .unwrap_or(Ordering::Equal)
        .then_with(|| a.1.cmp(b.1))
}

impl ZSetValue {
    /// An empty zset in the `listpack` encoding.
    pub fn new() -> ZSetValue {
        ZSetValue {
            enc: Encoding::Listpack(Vec::new()),
        }
    }

    /// An empty zset in the `skiplist` encoding.
    fn new_skiplist() -> ZSetValue {
        ZSetValue {
            enc: Encoding::Skiplist(Box::new(Skiplist {
                dict: KeyTable::new(),
                order: OrderTree::new(),
            })),
        }
    }

    /// A zset holding `pairs` (members unique), in the encoding a fresh value of that size
    /// gets: `listpack` when it fits `limits`, else `skiplist`. Used for stored results
    /// (ZRANGESTORE, ZUNIONSTORE…), which Redis builds anew rather than converting.
    pub fn from_pairs(pairs: Vec<(Bytes, f64)>, limits: Limits) -> ZSetValue {
        let fits = pairs.len() <= limits.max_entries
            && pairs.iter().all(|(m, _)| m.len() <= limits.max_value);
        let mut z = if fits {
            ZSetValue::new()
        } else {
            ZSetValue::new_skiplist()
        };
        match &mut z.enc {
            Encoding::Listpack(v) => {
                *v = pairs
                    .into_iter()
                    .map(|(m, s)| (Bytes::copy_from_slice(&m), listpack_score(s)))
                    .collect();
                v.sort_by(|a, b| cmp_elem((a.1, &a.0), (b.1, &b.0)));
            }
            Encoding::Skiplist(sl) => {
                for (m, s) in pairs {
                    let m = Bytes::copy_from_slice(&m);
                    sl.dict.insert(&m, s);
                    sl.order.insert(m, s);
                }
            }
        }
        z
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.enc {
            Encoding::Listpack(v) => v.len(),
            Encoding::Skiplist(s) => s.order.len(),
        }
    }

    /// True when empty (an empty zset is never stored: the key is deleted).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name `OBJECT ENCODING` reports.
    pub fn encoding_name(&self) -> &'static str {
        match &self.enc {
            Encoding::Listpack(_) => "listpack",
            Encoding::Skiplist(_) => "skiplist",
        }
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.enc {
            Encoding::Listpack(v) => v.iter().find(|(m, _)| m == member).map(|(_, s)| *s),
            Encoding::Skiplist(s) => s.dict.get(member).copied(),
        }
    }

    /// Sets the score of `member`, adding it when absent; returns its previous score. Requires:
    /// `score` is not NaN. Side effect: a listpack that would grow past `limits` (one more
    /// element than `max_entries`, or a new member longer than `max_value`) becomes a skiplist
    /// first. Stores its own copy of a new member.
    pub fn insert(&mut self, member: &[u8], score: f64, limits: Limits) -> Option<f64> {
        let old = self.score(member);
        if let Some(old) = old {
            if old != score {
                self.change_score(member, old, score, limits);
            }
            return Some(old);
        }
        self.insert_new(member, score, limits);
        None
    }

    /// Moves `member` from score `old` to `new`. Requires: `member` is in the zset with score
    /// `old`, and `new` is not NaN. What [`ZSetValue::insert`] does for a present member, for
    /// a caller that has already read `old`.
    pub fn change_score(&mut self, member: &[u8], old: f64, new: f64, limits: Limits) {
        match &mut self.enc {
            Encoding::Listpack(_) => {
                self.remove(member);
                self.insert_new(member, new, limits);
            }
            Encoding::Skiplist(s) => {
                // One dict lookup and no copy of the member: updates are common (ZADD of random
                // members and scores updates about half the time), and a remove plus an insert
                // costs three lookups and an allocation.
                if let Some(sc) = s.dict.get_mut(member) {
                    *sc = new;
                }
                s.order.update_score(member, old, new);
            }
        }
    }

    /// Adds a member known to be absent. Side effect: the conversion
    /// [`ZSetValue::insert`] describes. For a caller that has already looked `member` up.
    pub fn insert_new(&mut self, member: &[u8], score: f64, limits: Limits) {
        if let Encoding::Listpack(v) = &self.enc {
            if v.len() + 1 > limits.max_entries || member.len() > limits.max_value {
                self.convert_to_skiplist();
            }
        }
        let member = Bytes::copy_from_slice(member);
        match &mut self.enc {
            Encoding::Listpack(v) => {
                let score = listpack_score(score);
                let at = v.partition_point(|(m, s)| cmp_elem((*s, m), (score, &member)).is_lt());
                v.insert(at, (member, score));
            }
            Encoding::Skiplist(s) => {
                s.dict.insert(&member, score);
                s.order.insert(member, score);
            }
        }
    }

    /// Moves every element into the `skiplist` encoding (also SORT's doing, as in Redis).
    pub fn convert_to_skiplist(&mut self) {
        let Encoding::Listpack(v) = &mut self.enc else {
            return;
        };
        let v = std::mem::take(v);
        let mut z = ZSetValue::new_skiplist();
        if let Encoding::Skiplist(s) = &mut z.enc {
            for (m, sc) in v {
                s.dict.insert(&m, sc);
                s.order.insert(m, sc);
            }
        }
        *self = z;
    }

    /// Removes `member`; returns its score when it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.enc {
            Encoding::Listpack(v) => {
                let at = v.iter().position(|(m, _)| m == member)?;
                Some(v.remove(at).1)
            }
            Encoding::Skiplist(s) => {
                let score = s.dict.remove(member)?;
                s.order.remove(member, score);
                Some(score)
            }
        }
    }

    /// The 0-based ascending rank of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.enc {
            Encoding::Listpack(v) => v.iter().position(|(m, _)| m == member),
            Encoding::Skiplist(s) => {
                let score = *s.dict.get(member)?;
                Some(s.order.rank(member, score))
            }
        }
    }

    /// The element at 0-based ascending `rank`.
    pub fn at(&self, rank: usize) -> Option<(&Bytes, f64)> {
        match &self.enc {
            Encoding::Listpack(v) => v.get(rank).map(|(m, s)| (m, *s)),
            Encoding::Skiplist(s) => s.order.at(rank),
        }
    }

    /// Every element, ascending.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0)
    }

    /// The elements from 0-based `rank` on, ascending.
    pub fn iter_from(&self, rank: usize) -> Iter<'_> {
        match &self.enc {
            Encoding::Listpack(v) => Iter(IterInner::Listpack(
                v.get(rank..).unwrap_or_default().iter(),
            )),
            Encoding::Skiplist(s) => Iter(IterInner::Skiplist(s.order.iter_from(rank))),
        }
    }

    /// Copies of the elements at ranks `start..=end` (0-based, ascending; `end` clamped to the
    /// last), ascending, or descending when `rev`.
    pub fn range(&self, start: usize, end: usize, rev: bool) -> Vec<(Bytes, f64)> {
        let len = self.len();
        if start >= len || start > end {
            return Vec::new();
        }
        let end = end.min(len - 1);
        let n = end - start + 1;
        let copy = |(m, s): (&Bytes, f64)| (m.clone(), s);
        match (&self.enc, rev) {
            (_, false) => self.iter_from(start).take(n).map(copy).collect(),
            (Encoding::Listpack(v), true) => v[start..=end]
                .iter()
                .rev()
                .map(|(m, s)| (m.clone(), *s))
                .collect(),
            (Encoding::Skiplist(s), true) => {
                s.order.iter_back_from(end).take(n).map(copy).collect()
            }
        }
    }

    /// How many elements, from the first, satisfy `pred`, which must hold for a prefix of the
    /// order and fail for the rest.
    fn partition_point(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        match &self.enc {
            Encoding::Listpack(v) => v.partition_point(|(m, s)| pred(*s, m)),
            Encoding::Skiplist(s) => s.order.partition_point(pred),
        }
    }

    /// The ranks (0-based, inclusive) of the first and last elements whose score is in `r`;
    /// `None` when there is none. O(log n) for a skiplist.
    pub fn score_span(&self, r: &ScoreRange) -> Option<(usize, usize)> {
        if r.is_empty() {
            return None;
        }
        let first = self.partition_point(|s, _| !r.above_min(s));
        let past = self.partition_point(|s, _| r.below_max(s));
        (first < past).then(|| (first, past - 1))
    }

    /// The ranks (0-based, inclusive) of the first and last elements whose member is in `r`;
    /// `None` when there is none. Assumes equal scores, as ZRANGEBYLEX does.
    pub fn lex_span(&self, r: &LexRange) -> Option<(usize, usize)> {
        if r.is_empty() {
            return None;
        }
        let first = self.partition_point(|_, m| !r.above_min(m));
        let past = self.partition_point(|_, m| r.below_max(m));
        (first < past).then(|| (first, past - 1))
    }

    /// Removes the elements at ranks `start..=end` (0-based, ascending) and returns them,
    /// ascending.
    pub fn remove_range(&mut self, start: usize, end: usize) -> Vec<(Bytes, f64)> {
        let gone = self.range(start, end, false);
        match &mut self.enc {
            Encoding::Listpack(v) => {
                v.drain(start..start + gone.len());
            }
            Encoding::Skiplist(s) => {
                for (m, sc) in &gone {
                    s.dict.remove(m);
                    s.order.remove(m, *sc);
                }
            }
        }
        gone
    }

    /// ZSCAN step: calls `f` on elements from `cursor` on and returns the next cursor, 0 when
    /// done. A listpack passes all its elements in one call, as Redis does; a skiplist walks its
    /// member table with the keyspace's SCAN guarantees.
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&[u8], f64)) -> u64 {
        match &self.enc {
            Encoding::Listpack(v) => {
                v.iter().for_each(|(m, s)| f(m, *s));
                0
            }
            Encoding::Skiplist(s) => s.dict.scan(cursor, count, |m, sc| f(m, *sc)),
        }
    }

    /// Checks that both halves of a skiplist agree. Test-only.
    #[cfg(test)]
    fn check(&self) {
        match &self.enc {
            Encoding::Listpack(v) => {
                assert!(v
                    .windows(2)
                    .all(|w| cmp_elem((w[0].1, &w[0].0), (w[1].1, &w[1].0)).is_lt()));
            }
            Encoding::Skiplist(s) => {
                s.order.check();
                assert_eq!(s.dict.len(), s.order.len());
                for (m, sc) in s.order.iter_from(0) {
                    assert_eq!(s.dict.get(m), Some(&sc));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    const SMALL: Limits = Limits {
        max_entries: 128,
        max_value: 64,
    };

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn members(v: &[(Bytes, f64)]) -> Vec<String> {
        v.iter()
            .map(|(m, _)| String::from_utf8_lossy(m).into_owned())
            .collect()
    }

    #[test]
    fn a_zset_orders_by_score_then_member() {
        let mut z = ZSetValue::new();
        for (m, s) in [("c", 1.0), ("b", 1.0), ("a", 2.0), ("d", -1.0)] {
            assert_eq!(z.insert(m.as_bytes(), s, SMALL), None);
        }
        assert_eq!(members(&z.range(0, 10, false)), ["d", "b", "c", "a"]);
        assert_eq!(members(&z.range(1, 2, true)), ["c", "b"]);
        assert_eq!(z.insert(b"d", 5.0, SMALL), Some(-1.0));
        assert_eq!(z.rank(b"d"), Some(3));
        assert_eq!(z.score(b"a"), Some(2.0));
        assert_eq!(z.remove(b"a"), Some(2.0));
        assert_eq!(z.remove(b"a"), None);
        assert_eq!(z.len(), 3);
        z.check();
    }

    #[test]
    fn a_listpack_converts_past_either_limit_and_never_back() {
        let limits = Limits {
            max_entries: 3,
            max_value: 5,
        };
        let mut z = ZSetValue::new();
        for m in ["a", "b", "c"] {
            z.insert(m.as_bytes(), 1.0, limits);
        }
        assert_eq!(z.encoding_name(), "listpack");
        z.insert(b"d", 1.0, limits);
        assert_eq!(z.encoding_name(), "skiplist");
        z.check();
        z.remove(b"d");
        z.remove(b"c");
        assert_eq!(z.encoding_name(), "skiplist");

        let mut z = ZSetValue::new();
        z.insert(b"12345", 1.0, limits);
        assert_eq!(z.encoding_name(), "listpack");
        z.insert(b"123456", 1.0, limits);
        assert_eq!(z.encoding_name(), "skiplist");
        assert_eq!(members(&z.range(0, 5, false)), ["12345", "123456"]);
    }

    #[test]
    fn spans_select_score_and_lex_ranges() {
        for limits in [
            SMALL,
            Limits {
                max_entries: 0,
                max_value: 0,
            },
        ] {
            let mut z = ZSetValue::new();
            for (i, m) in ["a", "b", "c", "d", "e"].iter().enumerate() {
                z.insert(m.as_bytes(), i as f64, limits);
            }
            let r = |min, min_open, max, max_open| ScoreRange {
                min,
                min_open,
                max,
                max_open,
            };
            assert_eq!(z.score_span(&r(1.0, false, 3.0, false)), Some((1, 3)));
            assert_eq!(z.score_span(&r(1.0, true, 3.0, true)), Some((2, 2)));
            assert_eq!(
                z.score_span(&r(f64::NEG_INFINITY, false, f64::INFINITY, false)),
                Some((0, 4))
            );
            assert_eq!(z.score_span(&r(2.0, true, 2.0, false)), None);
            assert_eq!(z.score_span(&r(9.0, false, 10.0, false)), None);

            let mut z = ZSetValue::new();
            for m in ["a", "b", "c", "d", "e"] {
                z.insert(m.as_bytes(), 0.0, limits);
            }
            let lr = |min, max| LexRange { min, max };
            use LexBound::*;
            assert_eq!(z.lex_span(&lr(Least, Greatest)), Some((0, 4)));
            assert_eq!(z.lex_span(&lr(Closed(b("b")), Open(b("d")))), Some((1, 2)));
            assert_eq!(z.lex_span(&lr(Open(b("b")), Closed(b("d")))), Some((2, 3)));
            assert_eq!(z.lex_span(&lr(Greatest, Least)), None);
            assert_eq!(z.lex_span(&lr(Closed(b("c")), Open(b("c")))), None);
            assert_eq!(
                z.lex_span(&lr(Closed(b("c")), Closed(b("c")))),
                Some((2, 2))
            );
        }
    }

    /// Random inserts, updates and removals against a sorted `Vec`, checking ranks, ranges and
    /// spans after each step, in both encodings.
    #[test]
    fn random_operations_match_a_sorted_vec_model() {
        for limits in [
            SMALL,
            Limits {
                max_entries: 0,
                max_value: 0,
            },
        ] {
            let mut rng = SmallRng::seed_from_u64(7);
            let mut z = ZSetValue::new();
            let mut model: Vec<(Bytes, f64)> = Vec::new();
            for step in 0..4000 {
                let m = b(&format!("m{}", rng.gen_range(0..300)));
                match rng.gen_range(0..10) {
                    0..=5 => {
                        let s = rng.gen_range(-20..20) as f64 / 2.0;
                        let old = model
                            .iter()
                            .position(|(x, _)| *x == m)
                            .map(|i| model.remove(i).1);
                        model.push((m.clone(), s));
                        assert_eq!(z.insert(&m, s, limits), old);
                    }
                    6..=8 => {
                        let old = model
                            .iter()
                            .position(|(x, _)| *x == m)
                            .map(|i| model.remove(i).1);
                        assert_eq!(z.remove(&m), old);
                    }
                    _ => {
                        if model.len() > 4 {
                            let a = rng.gen_range(0..model.len());
                            let e = (a + rng.gen_range(0..4)).min(model.len() - 1);
                            model.sort_by(|x, y| cmp_elem((x.1, &x.0), (y.1, &y.0)));
                            let expect: Vec<_> = model.drain(a..=e).collect();
                            assert_eq!(z.remove_range(a, e), expect);
                        }
                    }
                }
                model.sort_by(|x, y| cmp_elem((x.1, &x.0), (y.1, &y.0)));
                assert_eq!(z.len(), model.len());
                if step % 50 == 0 {
                    z.check();
                    let all: Vec<_> = z.iter().map(|(m, s)| (m.clone(), s)).collect();
                    assert_eq!(all, model);
                }
                if model.is_empty() {
                    continue;
                }
                let i = rng.gen_range(0..model.len());
                assert_eq!(z.rank(&model[i].0), Some(i));
                assert_eq!(z.at(i).map(|(m, s)| (m.clone(), s)), Some(model[i].clone()));
                let j = rng.gen_range(i..model.len());
                assert_eq!(z.range(i, j, false), model[i..=j].to_vec());
                let rev: Vec<_> = model[i..=j].iter().rev().cloned().collect();
                assert_eq!(z.range(i, j, true), rev);
                let r = ScoreRange {
                    min: rng.gen_range(-12..12) as f64 / 2.0,
                    min_open: rng.gen(),
                    max: rng.gen_range(-12..12) as f64 / 2.0,
                    max_open: rng.gen(),
                };
                let inside: Vec<usize> = (0..model.len())
                    .filter(|&k| r.above_min(model[k].1) && r.below_max(model[k].1))
                    .collect();
                let expect = inside.first().map(|&f| (f, *inside.last().unwrap()));
                assert_eq!(z.score_span(&r), expect, "{r:?}");
            }
            z.check();
        }
    }

    #[test]
    fn scan_passes_every_member_of_a_skiplist() {
        let none = Limits {
            max_entries: 0,
            max_value: 0,
        };
        let mut z = ZSetValue::new();
        for i in 0..3000 {
            z.insert(format!("m{i}").as_bytes(), i as f64, none);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        loop {
            cursor = z.scan(cursor, 10, |m, _| assert!(seen.insert(m.to_vec())));
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 3000);
        let copy = z.clone();
        assert_eq!(copy, z);
        copy.check();
    }

    #[test]
    fn only_a_skiplist_keeps_the_sign_of_a_zero_score() {
        let mut z = ZSetValue::new();
        z.insert(b"a", -0.0, SMALL);
        assert!(z.score(b"a").unwrap().is_sign_positive());
        let none = Limits {
            max_entries: 0,
            max_value: 0,
        };
        let mut z = ZSetValue::new();
        z.insert(b"a", -0.0, none);
        assert!(z.score(b"a").unwrap().is_sign_negative());
    }

    #[test]
    fn stored_results_pick_their_encoding_by_size() {
        let pairs = vec![(b("b"), 2.0), (b("a"), 1.0)];
        let z = ZSetValue::from_pairs(pairs.clone(), SMALL);
        assert_eq!(z.encoding_name(), "listpack");
        assert_eq!(members(&z.range(0, 1, false)), ["a", "b"]);
        let z = ZSetValue::from_pairs(
            pairs,
            Limits {
                max_entries: 1,
                max_value: 64,
            },
        );
        assert_eq!(z.encoding_name(), "skiplist");
        z.check();
    }
}

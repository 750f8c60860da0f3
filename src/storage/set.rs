//! The set value type and its encodings.
//!
//! Owns: `SetValue`, the in-memory form of a set, in Redis 7.0's two encodings:
//! - `intset` ([`intset::IntSet`]): a sorted array of integers, while every member is an integer
//!   in canonical form and there are at most `set-max-intset-entries` of them;
//! - `hashtable`: a [`KeyTable`] of members (hashbrown segments hashed with ahash), whose SCAN
//!   order survives growth, so an SSCAN cursor stays valid while the set changes.
//!
//! A set converts from `intset` to `hashtable` when an insert breaks one of the two conditions,
//! and never back, except where a command builds a new set (SPOP of most members, the STORE
//! commands), which starts again as an `intset`, as in Redis.
//!
//! Must not: format replies or read arguments; commands live in `commands::sets`.

mod intset;

use bytes::Bytes;
use rand::seq::index;
use rand::Rng;

use super::table::KeyTable;
use super::value::parse_canonical_i64;
use crate::config::live::{threshold, Threshold};
use intset::IntSet;

/// Redis caps `set-max-intset-entries` at 2^30 whatever the configuration says.
const MAX_INTSET_CAP: usize = 1 << 30;

/// Above about this many members per random pick, one pass over a hash table is cheaper than
/// picking members one at a time: a pick costs up to a table segment (about a thousand entries),
/// since segments offer no indexed access.
const PICK_COST: usize = 1024;

/// One member of a set, as its encoding holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member<'a> {
    /// A member of an `intset`.
    Int(i64),
    /// A member of a `hashtable` (which may look like an integer too).
    Str(&'a [u8]),
}

impl Member<'_> {
    /// The member's bytes: the decimal form of an integer, or the stored string.
    pub fn to_bytes(self) -> Bytes {
        match self {
            Member::Int(n) => Bytes::copy_from_slice(itoa::Buffer::new().format(n).as_bytes()),
            Member::Str(b) => Bytes::copy_from_slice(b),
        }
    }
}

/// The thresholds that decide a set's encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetLimits {
    /// Most members an `intset` holds (`set-max-intset-entries`).
    pub max_intset_entries: usize,
}

impl SetLimits {
    /// The limits the live configuration sets now.
    pub fn current() -> SetLimits {
        let n = threshold(Threshold::SetMaxIntsetEntries).max(0) as u64;
        SetLimits {
            max_intset_entries: usize::try_from(n)
                .unwrap_or(MAX_INTSET_CAP)
                .min(MAX_INTSET_CAP),
        }
    }
}

enum Encoding {
    Ints(IntSet),
    Table(KeyTable<()>),
}

/// A set of byte strings.
pub struct SetValue {
    enc: Encoding,
}

impl Default for SetValue {
    fn default() -> SetValue {
        SetValue::new()
    }
}

impl SetValue {
    /// An empty set, encoded as an `intset` until a member needs otherwise.
    pub fn new() -> SetValue {
        SetValue {
            enc: Encoding::Ints(IntSet::new()),
        }
    }

    /// A new set of `members`, encoded as building it member by member would leave it.
    pub fn from_members<'a>(
        members: impl IntoIterator<Item = Member<'a>>,
        limits: SetLimits,
    ) -> SetValue {
        let mut set = SetValue::new();
        for m in members {
            set.insert_member(m, limits);
        }
        set
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.enc {
            Encoding::Ints(s) => s.len(),
            Encoding::Table(t) => t.len(),
        }
    }

    /// True when empty (an empty set is never stored: the key is deleted).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name `OBJECT ENCODING` reports.
    pub fn encoding_name(&self) -> &'static str {
        match &self.enc {
            Encoding::Ints(_) => "intset",
            Encoding::Table(_) => "hashtable",
        }
    }

    /// The width in bytes (2, 4 or 8) of an `intset`'s members, `None` for a `hashtable`. As in
    /// Redis, the width only grows: removing the one wide member leaves the set wide.
    pub fn intset_width(&self) -> Option<usize> {
        match &self.enc {
            Encoding::Ints(s) => Some(s.width()),
            Encoding::Table(_) => None,
        }
    }

    /// True when `member` belongs to the set.
    pub fn contains(&self, member: &[u8]) -> bool {
        match &self.enc {
            Encoding::Ints(s) => parse_canonical_i64(member).is_some_and(|n| s.contains(n)),
            Encoding::Table(t) => t.contains_key(member),
        }
    }

    /// True when `member`, taken from another set, belongs to this one. Two integers compare
    /// without formatting either.
    pub fn contains_member(&self, member: Member<'_>) -> bool {
        match (member, &self.enc) {
            (Member::Int(n), Encoding::Ints(s)) => s.contains(n),
            (Member::Int(n), Encoding::Table(t)) => {
                t.contains_key(itoa::Buffer::new().format(n).as_bytes())
            }
            (Member::Str(b), _) => self.contains(b),
        }
    }

    /// Adds `member` under the live limits; false when it was already there. The stored copy
    /// owns its bytes (it never keeps a request buffer alive).
    pub fn insert(&mut self, member: &[u8]) -> bool {
        self.insert_with(member, SetLimits::current())
    }

    /// Adds `member` under `limits`. Side effect: converts an `intset` to a `hashtable` when
    /// `member` is not a canonical integer or the set grows past `limits.max_intset_entries`.
    pub fn insert_with(&mut self, member: &[u8], limits: SetLimits) -> bool {
        match parse_canonical_i64(member) {
            Some(n) => self.insert_member(Member::Int(n), limits),
            None => {
                self.convert_to_table();
                self.table_insert(member)
            }
        }
    }

    /// Adds a member taken from another set under `limits` (see [`SetValue::insert_with`]).
    pub fn insert_member(&mut self, member: Member<'_>, limits: SetLimits) -> bool {
        let n = match member {
            Member::Int(n) => n,
            Member::Str(b) => return self.insert_with(b, limits),
        };
        match &mut self.enc {
            Encoding::Ints(s) => {
                if !s.insert(n) {
                    return false;
                }
                if s.len() > limits.max_intset_entries {
                    self.convert_to_table();
                }
                true
            }
            Encoding::Table(_) => self.table_insert(itoa::Buffer::new().format(n).as_bytes()),
        }
    }

    /// Removes `member`; false when it was not there. The encoding stays.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.enc {
            Encoding::Ints(s) => parse_canonical_i64(member).is_some_and(|n| s.remove(n)),
            Encoding::Table(t) => t.remove(member).is_some(),
        }
    }

    /// Every member: in ascending order for an `intset`, in no particular order otherwise.
    pub fn iter(&self) -> Iter<'_> {
        match &self.enc {
            Encoding::Ints(s) => Iter(IterInner::Ints(s, 0)),
            Encoding::Table(t) => Iter(IterInner::Table(Box::new(t.iter().map(|(k, _)| k)))),
        }
    }

    /// A member picked uniformly at random, or `None` when the set is empty.
    pub fn random<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<Member<'_>> {
        match &self.enc {
            Encoding::Ints(s) if s.is_empty() => None,
            Encoding::Ints(s) => Some(Member::Int(s.get(rng.gen_range(0..s.len())))),
            Encoding::Table(t) => t.random(rng).map(|(k, _)| Member::Str(k)),
        }
    }

    /// `count` distinct members picked at random, in no particular order; every member when
    /// `count` is at least the size of the set.
    pub fn sample_distinct<R: Rng + ?Sized>(&self, count: usize, rng: &mut R) -> Vec<Member<'_>> {
        let len = self.len();
        if count >= len {
            return self.iter().collect();
        }
        match &self.enc {
            Encoding::Table(t) if count.saturating_mul(PICK_COST) < len => {
                let mut picked: hashbrown::HashSet<&[u8], ahash::RandomState> =
                    hashbrown::HashSet::with_capacity_and_hasher(count, Default::default());
                while picked.len() < count {
                    if let Some((k, _)) = t.random(rng) {
                        picked.insert(k);
                    }
                }
                picked.into_iter().map(Member::Str).collect()
            }
            _ => {
                let mut at = index::sample(rng, len, count).into_vec();
                at.sort_unstable();
                let mut at = at.into_iter().peekable();
                let mut out = Vec::with_capacity(count);
                for (i, m) in self.iter().enumerate() {
                    match at.peek() {
                        Some(&next) if next == i => {
                            out.push(m);
                            at.next();
                        }
                        Some(_) => {}
                        None => break,
                    }
                }
                out
            }
        }
    }

    /// `count` members picked at random, each pick independent of the others (a member may come
    /// more than once). Empty when the set is.
    pub fn sample_with_repeats<R: Rng + ?Sized>(
        &self,
        count: usize,
        rng: &mut R,
    ) -> Vec<Member<'_>> {
        let len = self.len();
        if len == 0 {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(count.min(1 << 20));
        match &self.enc {
            Encoding::Table(_) if count.saturating_mul(PICK_COST) >= len => {
                let all: Vec<Member<'_>> = self.iter().collect();
                out.extend((0..count).map(|_| all[rng.gen_range(0..len)]));
            }
            _ => out.extend((0..count).filter_map(|_| self.random(rng))),
        }
        out
    }

    /// SSCAN step: calls `f` on members from `cursor` on until about `count` were passed, and
    /// returns the cursor to pass next (0 when done). An `intset` is small by construction, so
    /// it passes every member in one call whatever the cursor, and returns 0, as Redis does. A
    /// `hashtable` gives the guarantee of [`KeyTable::scan`]: a member present for the whole
    /// iteration is passed exactly once.
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(Member<'_>)) -> u64 {
        match &self.enc {
            Encoding::Ints(s) => {
                s.iter().for_each(|n| f(Member::Int(n)));
                0
            }
            Encoding::Table(t) => t.scan(cursor, count, |k, _| f(Member::Str(k))),
        }
    }

    /// Converts an `intset` to a `hashtable`; does nothing to a `hashtable`.
    fn convert_to_table(&mut self) {
        let Encoding::Ints(s) = &self.enc else {
            return;
        };
        let mut t = KeyTable::new();
        for n in s.iter() {
            t.insert(itoa::Buffer::new().format(n).as_bytes(), ());
        }
        self.enc = Encoding::Table(t);
    }

    /// Adds `member` to a set already converted to a `hashtable`.
    fn table_insert(&mut self, member: &[u8]) -> bool {
        match &mut self.enc {
            Encoding::Table(t) => t.insert(member, ()).is_none(),
            Encoding::Ints(_) => unreachable!("converted just before"),
        }
    }
}

impl Clone for SetValue {
    /// A copy with the same encoding and members.
    fn clone(&self) -> SetValue {
        match &self.enc {
            Encoding::Ints(s) => SetValue {
                enc: Encoding::Ints(s.clone()),
            },
            Encoding::Table(t) => {
                let mut copy = KeyTable::new();
                for (k, _) in t.iter() {
                    copy.insert(k, ());
                }
                SetValue {
                    enc: Encoding::Table(copy),
                }
            }
        }
    }
}

impl PartialEq for SetValue {
    /// Two sets are equal when they hold the same members, whatever their encodings.
    fn eq(&self, other: &SetValue) -> bool {
        self.len() == other.len() && self.iter().all(|m| other.contains_member(m))
    }
}

impl std::fmt::Debug for SetValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetValue")
            .field("encoding", &self.encoding_name())
            .field("len", &self.len())
            .finish()
    }
}

/// The members of a set (see [`SetValue::iter`]).
pub struct Iter<'a>(IterInner<'a>);

enum IterInner<'a> {
    /// Through an `intset`, by index.
    Ints(&'a IntSet, usize),
    /// Through a `hashtable`.
    Table(Box<dyn Iterator<Item = &'a [u8]> + 'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Member<'a>;

    fn next(&mut self) -> Option<Member<'a>> {
        match &mut self.0 {
            IterInner::Ints(s, i) => {
                let n = (*i < s.len()).then(|| s.get(*i))?;
                *i += 1;
                Some(Member::Int(n))
            }
            IterInner::Table(it) => it.next().map(Member::Str),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: SetLimits = SetLimits {
        max_intset_entries: 4,
    };

    fn set_of(members: &[&str], limits: SetLimits) -> SetValue {
        let mut s = SetValue::new();
        for m in members {
            s.insert_with(m.as_bytes(), limits);
        }
        s
    }

    fn bytes_of(s: &SetValue) -> Vec<Bytes> {
        let mut v: Vec<Bytes> = s.iter().map(Member::to_bytes).collect();
        v.sort();
        v
    }

    #[test]
    fn integers_stay_an_intset_and_read_back_in_order() {
        let s = set_of(&["3", "-1", "2", "3"], SMALL);
        assert_eq!(s.encoding_name(), "intset");
        assert_eq!(s.len(), 3);
        let members: Vec<Bytes> = s.iter().map(Member::to_bytes).collect();
        assert_eq!(members, vec!["-1", "2", "3"]);
        assert!(s.contains(b"2"));
        assert!(!s.contains(b"02"), "only the canonical form is the integer");
    }

    #[test]
    fn a_string_member_converts_to_a_hashtable() {
        let mut s = set_of(&["1", "2"], SMALL);
        assert!(s.insert_with(b"a", SMALL));
        assert_eq!(s.encoding_name(), "hashtable");
        assert!(s.contains(b"1") && s.contains(b"a"));
        assert!(!s.insert_with(b"1", SMALL));
        assert_eq!(bytes_of(&s), vec!["1", "2", "a"]);
    }

    #[test]
    fn non_canonical_integers_are_strings() {
        for m in ["007", "+1", " 1", "-0", "1.0", "9223372036854775808"] {
            let s = set_of(&[m], SMALL);
            assert_eq!(s.encoding_name(), "hashtable", "{m}");
        }
    }

    #[test]
    fn too_many_integers_convert_and_never_convert_back() {
        let mut s = set_of(&["1", "2", "3", "4"], SMALL);
        assert_eq!(s.encoding_name(), "intset");
        s.insert_with(b"5", SMALL);
        assert_eq!(s.encoding_name(), "hashtable");
        s.remove(b"5");
        s.remove(b"4");
        assert_eq!(s.encoding_name(), "hashtable");
        assert_eq!(bytes_of(&s), vec!["1", "2", "3"]);
        let zero = SetLimits {
            max_intset_entries: 0,
        };
        assert_eq!(set_of(&["1"], zero).encoding_name(), "hashtable");
    }

    #[test]
    fn removal_answers_whether_the_member_was_there() {
        let mut s = set_of(&["1", "x"], SMALL);
        assert!(s.remove(b"x"));
        assert!(!s.remove(b"x"));
        assert!(s.remove(b"1"));
        assert!(s.is_empty());
        let mut ints = set_of(&["1"], SMALL);
        assert!(!ints.remove(b"one"));
        assert!(!ints.remove(b"01"));
    }

    #[test]
    fn members_compare_across_encodings() {
        let ints = set_of(&["1", "2"], SMALL);
        let table = set_of(&["2", "b"], SMALL);
        assert!(table.contains_member(Member::Int(2)));
        assert!(!table.contains_member(Member::Int(1)));
        let two = Bytes::from_static(b"2");
        assert!(ints.contains_member(Member::Str(&two)));
        assert_eq!(
            ints,
            set_of(
                &["2", "1"],
                SetLimits {
                    max_intset_entries: 0
                }
            )
        );
        assert_ne!(ints, table);
    }

    #[test]
    fn from_members_starts_again_as_an_intset() {
        let big = set_of(&["1", "2", "3", "4", "5"], SMALL);
        assert_eq!(big.encoding_name(), "hashtable");
        let small = SetValue::from_members(big.iter().filter(|m| m.to_bytes() != "5"), SMALL);
        assert_eq!(small.encoding_name(), "intset");
        assert_eq!(bytes_of(&small), vec!["1", "2", "3", "4"]);
    }

    #[test]
    fn samples_are_distinct_members_or_everything() {
        let limits = SetLimits {
            max_intset_entries: 512,
        };
        let names: Vec<String> = (0..3000).map(|i| format!("m{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut rng = rand::thread_rng();
        for set in [
            set_of(&refs[..300], limits),
            set_of(&["1", "2", "3"], limits),
        ] {
            for count in [0, 1, 2, 3, 100, 299, 300, 5000] {
                let picked = set.sample_distinct(count, &mut rng);
                assert_eq!(picked.len(), count.min(set.len()));
                let mut bytes: Vec<Bytes> = picked.iter().map(|m| m.to_bytes()).collect();
                bytes.sort();
                bytes.dedup();
                assert_eq!(bytes.len(), picked.len(), "distinct");
                assert!(picked.iter().all(|m| set.contains_member(*m)));
            }
        }
        let big = set_of(&refs, limits);
        assert_eq!(big.sample_distinct(2, &mut rng).len(), 2);
    }

    #[test]
    fn samples_with_repeats_have_the_count_asked() {
        let mut rng = rand::thread_rng();
        let s = set_of(&["a", "b"], SMALL);
        let picked = s.sample_with_repeats(50, &mut rng);
        assert_eq!(picked.len(), 50);
        assert!(picked.iter().all(|m| s.contains_member(*m)));
        assert!(SetValue::new().sample_with_repeats(5, &mut rng).is_empty());
        let ints = set_of(&["7"], SMALL);
        assert_eq!(ints.random(&mut rng), Some(Member::Int(7)));
    }

    #[test]
    fn scan_passes_every_member_once() {
        let limits = SetLimits {
            max_intset_entries: 512,
        };
        let names: Vec<String> = (0..5000).map(|i| format!("m{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let s = set_of(&refs, limits);
        let mut seen = Vec::new();
        let mut cursor = 0;
        loop {
            cursor = s.scan(cursor, 10, |m| seen.push(m.to_bytes()));
            if cursor == 0 {
                break;
            }
        }
        seen.sort();
        let before = seen.len();
        seen.dedup();
        assert_eq!((before, seen.len()), (5000, 5000));

        let ints = set_of(&["3", "1"], limits);
        let mut all = Vec::new();
        assert_eq!(ints.scan(12345, 1, |m| all.push(m.to_bytes())), 0);
        assert_eq!(all, vec!["1", "3"]);
    }

    #[test]
    fn clones_keep_the_encoding() {
        let s = set_of(&["1", "x"], SMALL);
        let c = s.clone();
        assert_eq!(c.encoding_name(), "hashtable");
        assert_eq!(c, s);
        let i = set_of(&["1"], SMALL).clone();
        assert_eq!(i.encoding_name(), "intset");
    }
}

//! The hash value type and its two encodings.
//!
//! Owns: `HashValue`, the in-memory form of a hash, and the rule that picks its encoding. A small
//! hash is a *listpack*: its pairs packed in insertion order in one buffer ([`PackedPairs`]),
//! searched linearly, which is compact and fast while short. It converts, once and for good, to a
//! *hashtable* ([`KeyTable`]: hashbrown segments hashed with ahash) when it passes
//! `hash-max-listpack-entries` pairs or holds a field or value longer than
//! `hash-max-listpack-value` bytes, the thresholds Redis uses. The thresholds are read at each
//! write, so a CONFIG SET applies to the next write of every hash.
//!
//! A `HashValue` is 16 bytes (either encoding is one pointer and the tag shares the packed
//! buffer's null niche), so a key's `Value` holds it without a box of its own.
//!
//! Must not: format replies or know about commands; callers get plain bytes and counts.

mod packed;

use bytes::Bytes;
use rand::seq::index::sample;
use rand::Rng;

use super::str_value::StrValue;
use super::table::KeyTable;
use crate::config::live::{threshold, Threshold};
pub use packed::{PackedPairs, Pairs};

/// A hash: fields mapped to values, both binary strings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HashValue {
    repr: Repr,
}

const _: () = assert!(size_of::<HashValue>() == 16);

/// How a hash is stored.
enum Repr {
    /// Pairs in insertion order; every field and value within the listpack value limit.
    Listpack(PackedPairs),
    /// Fields hashed into a table whose SCAN cursor survives growth.
    Table(Box<KeyTable<StrValue>>),
}

impl Default for Repr {
    fn default() -> Repr {
        Repr::Listpack(PackedPairs::new())
    }
}

impl Clone for Repr {
    fn clone(&self) -> Repr {
        match self {
            Repr::Listpack(pairs) => Repr::Listpack(pairs.clone()),
            Repr::Table(t) => {
                let mut copy = KeyTable::new();
                for (f, v) in t.iter() {
                    copy.insert(f, v.clone());
                }
                Repr::Table(Box::new(copy))
            }
        }
    }
}

impl std::fmt::Debug for Repr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (name, len) = match self {
            Repr::Listpack(p) => ("listpack", p.len()),
            Repr::Table(t) => ("hashtable", t.len()),
        };
        write!(f, "{name}({len} fields)")
    }
}

/// Two hashes are equal when they map the same fields to the same values, whatever their
/// encodings and orders.
impl PartialEq for Repr {
    fn eq(&self, other: &Repr) -> bool {
        let (a, b) = (HashRef(self), HashRef(other));
        a.len() == b.len() && a.iter().all(|(f, v)| b.get(f) == Some(v))
    }
}

/// Read access shared by `HashValue` and the `PartialEq` above.
struct HashRef<'a>(&'a Repr);

impl<'a> HashRef<'a> {
    fn len(&self) -> usize {
        match self.0 {
            Repr::Listpack(p) => p.len(),
            Repr::Table(t) => t.len(),
        }
    }

    fn get(&self, field: &[u8]) -> Option<&'a [u8]> {
        match self.0 {
            Repr::Listpack(p) => p.get(field),
            Repr::Table(t) => t.get(field).map(StrValue::as_slice),
        }
    }

    fn iter(&self) -> Iter<'a> {
        match self.0 {
            Repr::Listpack(p) => Iter::Packed(p.iter()),
            Repr::Table(t) => Iter::Table(Box::new(t.iter())),
        }
    }
}

/// The pairs of a hash, as [`HashValue::iter`] walks them.
pub enum Iter<'a> {
    /// Through a listpack, in order.
    Packed(Pairs<'a>),
    /// Through a hashtable.
    Table(Box<dyn Iterator<Item = (&'a [u8], &'a StrValue)> + 'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<(&'a [u8], &'a [u8])> {
        match self {
            Iter::Packed(p) => p.next(),
            Iter::Table(t) => t.next().map(|(f, v)| (f, v.as_slice())),
        }
    }
}

/// The longest field or value, in bytes, a listpack may hold.
fn max_listpack_value() -> usize {
    usize::try_from(threshold(Threshold::HashMaxListpackValue)).unwrap_or(0)
}

/// The most pairs a listpack may hold.
fn max_listpack_entries() -> usize {
    usize::try_from(threshold(Threshold::HashMaxListpackEntries)).unwrap_or(0)
}

impl HashValue {
    /// An empty hash in the listpack encoding. Callers store it only once it holds a field.
    pub fn new() -> HashValue {
        HashValue::default()
    }

    /// A hash of `pairs`, encoded as setting them one by one would leave it, but packed or
    /// hashed in one pass (pair by pair, a listpack copies its buffer at every pair). Every
    /// field and value is copied, as [`HashValue::set`] copies them. Precondition: no field
    /// repeats.
    pub fn from_distinct_pairs(pairs: &[(Bytes, Bytes)]) -> HashValue {
        let longest = pairs.iter().map(|(f, v)| f.len().max(v.len())).max();
        if HashValue::listpack_holds(pairs.len(), longest.unwrap_or(0)) {
            let packed = PackedPairs::from_distinct(pairs.iter().map(|(f, v)| (&f[..], &v[..])));
            return HashValue {
                repr: Repr::Listpack(packed),
            };
        }
        let mut h = HashValue::new();
        h.convert();
        for (f, v) in pairs {
            h.set(f, v);
        }
        h
    }

    /// True when the listpack encoding may hold `pairs` pairs whose longest field or value is
    /// `longest` bytes, under the live thresholds.
    pub fn listpack_holds(pairs: usize, longest: usize) -> bool {
        pairs <= max_listpack_entries() && longest <= max_listpack_value()
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        HashRef(&self.repr).len()
    }

    /// True when empty (an empty hash is never stored: the key is deleted).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name `OBJECT ENCODING` reports: `listpack` or `hashtable`.
    pub fn encoding_name(&self) -> &'static str {
        match self.repr {
            Repr::Listpack(_) => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    /// The value of `field`, if present.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        HashRef(&self.repr).get(field)
    }

    /// True when `field` is present.
    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Every field and its value: in insertion order for a listpack, in no particular order for
    /// a hashtable.
    pub fn iter(&self) -> Iter<'_> {
        HashRef(&self.repr).iter()
    }

    /// Converts a listpack to a hashtable ahead of a write of `n` more byte strings as long as
    /// the longest in `sizes`, when any passes `hash-max-listpack-value` (Redis checks a
    /// command's arguments before it writes any of them). Does nothing to a hashtable.
    pub fn convert_for_lengths(&mut self, sizes: impl IntoIterator<Item = usize>) {
        if matches!(self.repr, Repr::Listpack(_)) {
            let limit = max_listpack_value();
            if sizes.into_iter().any(|n| n > limit) {
                self.convert();
            }
        }
    }

    /// Sets `field` to `value`. Returns true when the field is new, false when it was updated.
    ///
    /// Side effect: a listpack becomes a hashtable when `field` or `value` is longer than
    /// `hash-max-listpack-value`, or when the hash now has more than
    /// `hash-max-listpack-entries` fields. A hashtable never converts back.
    ///
    /// Both are copied, except a hashtable's long values (see [`DETACH_BELOW`]).
    pub fn set(&mut self, field: &[u8], value: &Bytes) -> bool {
        self.convert_for_lengths([field.len(), value.len()]);
        match &mut self.repr {
            Repr::Listpack(pairs) => {
                if !pairs.set(field, value) {
                    return false;
                }
                if pairs.len() > max_listpack_entries() {
                    self.convert();
                }
                true
            }
            Repr::Table(t) => t.insert(field, StrValue::stored(value)).is_none(),
        }
    }

    /// Removes `field`. Returns true when it was present.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Listpack(pairs) => pairs.remove(field),
            Repr::Table(t) => t.remove(field).is_some(),
        }
    }

    /// Moves every pair into a hashtable.
    fn convert(&mut self) {
        if let Repr::Listpack(pairs) = &self.repr {
            let mut table = KeyTable::new();
            for (f, v) in pairs.iter() {
                table.insert(f, StrValue::from_slice(v));
            }
            self.repr = Repr::Table(Box::new(table));
        }
    }

    /// One field and its value picked uniformly at random, or `None` when empty.
    pub fn random<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<(&[u8], &[u8])> {
        match &self.repr {
            Repr::Listpack(pairs) if pairs.is_empty() => None,
            Repr::Listpack(pairs) => pairs.iter().nth(rng.gen_range(0..pairs.len())),
            Repr::Table(t) => t.random(rng).map(|(f, v)| (f, v.as_slice())),
        }
    }

    /// Passes `count` pairs picked at random to `f`, each pick independent of the others (a pair
    /// may come more than once). A listpack is walked once, not once a pick.
    pub fn random_with_repeats<'a, R: Rng + ?Sized>(
        &'a self,
        rng: &mut R,
        count: usize,
        mut f: impl FnMut((&'a [u8], &'a [u8])),
    ) {
        match &self.repr {
            Repr::Listpack(pairs) if pairs.is_empty() => {}
            Repr::Table(t) if t.is_empty() => {}
            Repr::Listpack(pairs) => {
                let all: Vec<_> = pairs.iter().collect();
                (0..count).for_each(|_| f(all[rng.gen_range(0..all.len())]));
            }
            Repr::Table(t) => (0..count).for_each(|_| {
                let (k, v) = t.random(rng).expect("the table is not empty");
                f((k, v.as_slice()))
            }),
        }
    }

    /// `count` distinct pairs picked at random (all of them when `count` reaches the length), in
    /// no particular order.
    pub fn random_distinct<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        count: usize,
    ) -> Vec<(&[u8], &[u8])> {
        let len = self.len();
        if count >= len {
            return self.iter().collect();
        }
        match &self.repr {
            Repr::Listpack(pairs) => {
                let all: Vec<_> = pairs.iter().collect();
                sample(rng, len, count)
                    .into_iter()
                    .map(|i| all[i])
                    .collect()
            }
            // A large share of the table: walking it once beats rejecting repeats.
            Repr::Table(_) if count * 3 > len => {
                let all: Vec<_> = self.iter().collect();
                sample(rng, len, count)
                    .into_iter()
                    .map(|i| all[i])
                    .collect()
            }
            Repr::Table(t) => {
                let mut seen = hashbrown::HashSet::with_capacity(count);
                let mut out = Vec::with_capacity(count);
                while out.len() < count {
                    let (f, v) = t.random(rng).expect("the table is not empty");
                    if seen.insert(f) {
                        out.push((f, v.as_slice()));
                    }
                }
                out
            }
        }
    }

    /// HSCAN step: calls `f` on pairs from `cursor` on and returns the cursor to pass next, 0
    /// when done. A listpack is passed whole and always returns 0, whatever the cursor, as Redis
    /// does. A hashtable passes whole position ranges until at least `count` pairs were passed;
    /// every pair present for a whole scan is passed exactly once, however the hash grows in
    /// between (see [`KeyTable::scan`]).
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&[u8], &[u8])) -> u64 {
        match &self.repr {
            Repr::Listpack(pairs) => {
                pairs.iter().for_each(|(k, v)| f(k, v));
                0
            }
            Repr::Table(t) => t.scan(cursor, count, |k, v| f(k, v.as_slice())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    /// A hash forced into the hashtable encoding, whatever the thresholds.
    fn table_of(n: usize) -> HashValue {
        let mut h = HashValue::new();
        h.convert();
        for i in 0..n {
            h.set(&b(&format!("f{i}")), &b(&format!("v{i}")));
        }
        h
    }

    #[test]
    fn set_get_and_remove_on_a_listpack() {
        let mut h = HashValue::new();
        assert!(h.is_empty());
        assert!(h.set(&b("a"), &b("1")));
        assert!(h.set(&b("b"), &b("2")));
        assert!(!h.set(&b("a"), &b("3")), "an update is not an add");
        assert_eq!(h.len(), 2);
        assert_eq!(h.get(b"a"), Some(&b"3"[..]));
        assert_eq!(h.get(b"zz"), None);
        assert_eq!(h.encoding_name(), "listpack");
        let order: Vec<_> = h
            .iter()
            .map(|(f, _)| b(std::str::from_utf8(f).unwrap()))
            .collect();
        assert_eq!(order, vec![b("a"), b("b")], "insertion order");
        assert!(h.remove(b"a"));
        assert!(!h.remove(b"a"));
        assert!(h.contains(b"b"));
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn a_long_value_converts_the_listpack_for_good() {
        let mut h = HashValue::new();
        h.set(&b("a"), &b("1"));
        h.set(b"long", &Bytes::from(vec![b'x'; 65]));
        assert_eq!(h.encoding_name(), "hashtable");
        assert!(h.remove(b"long"));
        assert_eq!(h.encoding_name(), "hashtable", "no way back");
        assert_eq!(h.get(b"a"), Some(&b"1"[..]));
        let mut h = HashValue::new();
        h.convert_for_lengths([64, 10]);
        assert_eq!(h.encoding_name(), "listpack", "64 bytes still fit");
        h.convert_for_lengths([65]);
        assert_eq!(h.encoding_name(), "hashtable");
    }

    #[test]
    fn passing_the_entry_limit_converts_and_keeps_every_pair() {
        let limit = max_listpack_entries();
        let mut h = HashValue::new();
        for i in 0..limit {
            h.set(&b(&format!("f{i}")), &b(&i.to_string()));
        }
        assert_eq!(h.encoding_name(), "listpack");
        let before = h.clone();
        h.set(&b("one-more"), &b("x"));
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!(h.len(), limit + 1);
        for (f, v) in before.iter() {
            assert_eq!(h.get(f), Some(v));
        }
        assert!(h.remove(b"one-more"));
        assert_eq!(h, before, "equality ignores the encoding");
    }

    #[test]
    fn a_listpack_scan_is_one_call() {
        let mut h = HashValue::new();
        h.set(&b("a"), &b("1"));
        h.set(&b("b"), &b("2"));
        let mut seen = Vec::new();
        assert_eq!(
            h.scan(12345, 1, |f, v| seen.push((f.to_vec(), v.to_vec()))),
            0
        );
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn a_table_scan_passes_each_pair_once_while_it_grows() {
        let mut h = table_of(5_000);
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut calls = 0;
        loop {
            cursor = h.scan(cursor, 10, |f, _| assert!(seen.insert(f.to_vec())));
            calls += 1;
            if calls == 20 {
                for i in 5_000..20_000 {
                    h.set(&b(&format!("f{i}")), &b("x"));
                }
            }
            if cursor == 0 {
                break;
            }
        }
        assert!(calls > 1);
        assert!((0..5_000).all(|i| seen.contains(format!("f{i}").as_bytes())));
    }

    #[test]
    fn random_picks_come_from_the_hash() {
        let mut rng = SmallRng::seed_from_u64(7);
        assert!(HashValue::new().random(&mut rng).is_none());
        for h in [table_of(50), {
            let mut l = HashValue::new();
            for i in 0..50 {
                l.set(&b(&format!("f{i}")), &b(&format!("v{i}")));
            }
            l
        }] {
            let (f, v) = h.random(&mut rng).unwrap();
            assert_eq!(h.get(f), Some(v));
            for count in [1, 10, 20, 49, 50, 80] {
                let mut repeats = Vec::new();
                h.random_with_repeats(&mut rng, count, |p| repeats.push(p));
                assert_eq!(repeats.len(), count);
                assert!(repeats.iter().all(|(f, v)| h.get(f) == Some(*v)));
                let picks = h.random_distinct(&mut rng, count);
                assert_eq!(picks.len(), count.min(50));
                let distinct: std::collections::HashSet<_> = picks.iter().map(|p| p.0).collect();
                assert_eq!(distinct.len(), picks.len());
                assert!(picks.iter().all(|(f, v)| h.get(f) == Some(*v)));
            }
        }
    }
}

//! The listpack encoding of a small hash: its pairs back to back in one exact-size buffer.
//!
//! Owns: `PackedPairs`. The buffer holds the number of pairs, then each field and its value, in
//! insertion order, every one prefixed with its length; counts and lengths are LEB128 varints (one
//! byte below 128). A 3-field hash of short strings takes about 25 bytes in one allocation, where
//! a vector of `Bytes` pairs took 64 bytes a pair plus one allocation per field and value.
//!
//! A write rebuilds the buffer at its new exact size (one allocation and a copy of a few dozen
//! bytes, as Redis's listpack reallocates on every insert); a value rewritten at the same length
//! is overwritten in place. Lookups walk the pairs, which the conversion thresholds keep few and
//! short.

/// The pairs of a small hash, packed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PackedPairs {
    /// The pair count, then each field and value, each as a varint length and the bytes.
    /// Empty for no pair (no allocation).
    buf: Box<[u8]>,
}

impl PackedPairs {
    /// No pair.
    pub fn new() -> PackedPairs {
        PackedPairs::default()
    }

    /// `pairs` packed in one go. Precondition: no field repeats.
    pub fn from_distinct<'a>(
        pairs: impl Iterator<Item = (&'a [u8], &'a [u8])> + Clone,
    ) -> PackedPairs {
        let (mut count, mut size) = (0, 0);
        for (f, v) in pairs.clone() {
            count += 1;
            size += varint_len(f.len()) + f.len() + varint_len(v.len()) + v.len();
        }
        if count == 0 {
            return PackedPairs::new();
        }
        let mut out = Vec::with_capacity(varint_len(count) + size);
        write_varint(&mut out, count);
        for (f, v) in pairs {
            write_varint(&mut out, f.len());
            out.extend_from_slice(f);
            write_varint(&mut out, v.len());
            out.extend_from_slice(v);
        }
        PackedPairs {
            buf: out.into_boxed_slice(),
        }
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        if self.buf.is_empty() {
            0
        } else {
            read_varint(&self.buf, 0).0
        }
    }

    /// True when it holds no pair.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Every field and its value, in insertion order.
    pub fn iter(&self) -> Pairs<'_> {
        let at = if self.buf.is_empty() {
            0
        } else {
            read_varint(&self.buf, 0).1
        };
        Pairs { buf: &self.buf, at }
    }

    /// The value of `field`, if present.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        self.find(field).map(|span| &self.buf[span.value])
    }

    /// Sets `field` to `value`. Returns true when the field is new, false when it was updated.
    pub fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        match self.find(field) {
            Some(span) => {
                if span.value.len() == value.len() {
                    self.buf[span.value].copy_from_slice(value);
                } else {
                    let len = self.len();
                    self.rebuild(len, span.start..span.end, &[(field, value)]);
                }
                false
            }
            None => {
                let len = self.len();
                let end = self.buf.len();
                self.rebuild(len + 1, end..end, &[(field, value)]);
                true
            }
        }
    }

    /// Removes `field`. Returns true when it was present.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        let Some(span) = self.find(field) else {
            return false;
        };
        let len = self.len();
        if len == 1 {
            self.buf = Box::default();
        } else {
            self.rebuild(len - 1, span.start..span.end, &[]);
        }
        true
    }

    /// Where the pair of `field` sits in the buffer. Compares lengths before bytes: the walk
    /// is what HGET costs.
    fn find(&self, field: &[u8]) -> Option<PairSpan> {
        let buf = &self.buf[..];
        let mut at = self.iter().at;
        while at < buf.len() {
            let (field_len, field_start) = read_varint(buf, at);
            let field_end = field_start + field_len;
            let (value_len, value_start) = read_varint(buf, field_end);
            let end = value_start + value_len;
            if field_len == field.len() && buf[field_start..field_end] == *field {
                return Some(PairSpan {
                    start: at,
                    value: value_start..end,
                    end,
                });
            }
            at = end;
        }
        None
    }

    /// Replaces the buffer by one counting `count` pairs, with the bytes in `cut` replaced by
    /// `insert`.
    fn rebuild(&mut self, count: usize, cut: std::ops::Range<usize>, insert: &[(&[u8], &[u8])]) {
        let body = if self.buf.is_empty() {
            0
        } else {
            read_varint(&self.buf, 0).1
        };
        let added: usize = insert
            .iter()
            .map(|(f, v)| varint_len(f.len()) + f.len() + varint_len(v.len()) + v.len())
            .sum();
        let size = varint_len(count) + self.buf.len() - body - cut.len() + added;
        let mut out = Vec::with_capacity(size);
        write_varint(&mut out, count);
        out.extend_from_slice(&self.buf[body..cut.start]);
        for (f, v) in insert {
            write_varint(&mut out, f.len());
            out.extend_from_slice(f);
            write_varint(&mut out, v.len());
            out.extend_from_slice(v);
        }
        out.extend_from_slice(&self.buf[cut.end..]);
        debug_assert_eq!(out.len(), size);
        self.buf = out.into_boxed_slice();
    }
}

impl std::fmt::Debug for PackedPairs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, v)| {
                (
                    bytes::Bytes::copy_from_slice(k),
                    bytes::Bytes::copy_from_slice(v),
                )
            }))
            .finish()
    }
}

/// Where one pair sits: from its field's length to the end of its value, and its value's bytes.
struct PairSpan {
    start: usize,
    value: std::ops::Range<usize>,
    end: usize,
}

/// The pairs of a [`PackedPairs`], in order.
#[derive(Clone)]
pub struct Pairs<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<(&'a [u8], &'a [u8])> {
        if self.at >= self.buf.len() {
            return None;
        }
        let field = self.string();
        let value = self.string();
        Some((field, value))
    }
}

impl<'a> Pairs<'a> {
    /// The next length-prefixed string.
    fn string(&mut self) -> &'a [u8] {
        let (len, start) = read_varint(self.buf, self.at);
        self.at = start + len;
        &self.buf[start..self.at]
    }
}

/// Bytes `n` takes as a varint.
fn varint_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

fn write_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// The varint at `at`, and the offset just past it.
#[inline]
fn read_varint(buf: &[u8], at: usize) -> (usize, usize) {
    let first = buf[at];
    if first < 0x80 {
        return (usize::from(first), at + 1);
    }
    read_long_varint(buf, at)
}

/// [`read_varint`] past its one-byte case.
#[cold]
fn read_long_varint(buf: &[u8], mut at: usize) -> (usize, usize) {
    let mut n = 0;
    let mut shift = 0;
    loop {
        let b = buf[at];
        at += 1;
        n |= usize::from(b & 0x7f) << shift;
        if b < 0x80 {
            return (n, at);
        }
        shift += 7;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &PackedPairs) -> Vec<(Vec<u8>, Vec<u8>)> {
        p.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
    }

    #[test]
    fn pairs_keep_insertion_order_through_updates_and_removals() {
        let mut p = PackedPairs::new();
        assert!(p.is_empty());
        assert!(p.set(b"name", b"abc"));
        assert!(p.set(b"age", b"7"));
        assert!(p.set(b"city", b"xyz"));
        assert_eq!(p.len(), 3);
        assert!(!p.set(b"age", b"8"), "same length: in place");
        assert!(!p.set(b"age", b"-2"));
        assert_eq!(p.get(b"age"), Some(&b"-2"[..]));
        assert!(!p.set(b"age", b"8"));
        assert!(!p.set(b"name", b"a longer name"));
        assert_eq!(p.get(b"age"), Some(&b"8"[..]));
        assert_eq!(p.get(b"name"), Some(&b"a longer name"[..]));
        assert_eq!(p.get(b"nope"), None);
        assert_eq!(
            pairs(&p),
            vec![
                (b"name".to_vec(), b"a longer name".to_vec()),
                (b"age".to_vec(), b"8".to_vec()),
                (b"city".to_vec(), b"xyz".to_vec()),
            ]
        );
        assert!(p.remove(b"age"));
        assert!(!p.remove(b"age"));
        assert_eq!(p.len(), 2);
        assert!(p.remove(b"name"));
        assert!(p.remove(b"city"));
        assert!(p.is_empty());
        assert_eq!(p, PackedPairs::new());
    }

    #[test]
    fn three_short_fields_take_one_small_buffer() {
        let mut p = PackedPairs::new();
        p.set(b"name", b"abc");
        p.set(b"age", b"42");
        p.set(b"city", b"xyz");
        assert_eq!(p.buf.len(), 1 + 6 + 4 + 3 + 3 + 2 + 4 + 3);
    }

    #[test]
    fn long_strings_and_many_pairs_take_multi_byte_lengths() {
        let mut p = PackedPairs::new();
        let long = vec![b'v'; 300];
        for i in 0..200 {
            assert!(p.set(format!("f{i}").as_bytes(), &long[..i]));
        }
        assert_eq!(p.len(), 200);
        p.set(b"f150", &long);
        for i in 0..200 {
            let want = if i == 150 { &long[..] } else { &long[..i] };
            assert_eq!(p.get(format!("f{i}").as_bytes()), Some(want));
        }
        for i in (0..200).step_by(2) {
            assert!(p.remove(format!("f{i}").as_bytes()));
        }
        assert_eq!(p.len(), 100);
        assert_eq!(p.iter().count(), 100);
        assert_eq!(p.get(b"f151"), Some(&long[..151]));
    }

    #[test]
    fn packing_at_once_equals_packing_pair_by_pair() {
        let items: Vec<(Vec<u8>, Vec<u8>)> = (0..150)
            .map(|i| (format!("field{i}").into_bytes(), vec![b'v'; i]))
            .collect();
        let mut one_by_one = PackedPairs::new();
        for (f, v) in &items {
            one_by_one.set(f, v);
        }
        let at_once = PackedPairs::from_distinct(items.iter().map(|(f, v)| (&f[..], &v[..])));
        assert_eq!(at_once, one_by_one);
        assert_eq!(
            PackedPairs::from_distinct(std::iter::empty()),
            PackedPairs::new()
        );
    }

    #[test]
    fn empty_fields_and_values_are_pairs_too() {
        let mut p = PackedPairs::new();
        assert!(p.set(b"", b""));
        assert!(p.set(b"k", b""));
        assert_eq!(p.get(b""), Some(&b""[..]));
        assert_eq!(p.len(), 2);
        assert!(p.remove(b""));
        assert_eq!(pairs(&p), vec![(b"k".to_vec(), Vec::new())]);
    }
}

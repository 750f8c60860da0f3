//! One packed node of a list: its elements back to back in the listpack entry format.
//!
//! Owns: `Packed`, a byte buffer of listpack entries (each one an encoding byte or bytes, the
//! data, and a back-length so the buffer can be walked from either end), and its element count.
//! Integers in canonical decimal form are stored as integers, as Redis stores them, so a node
//! costs what Redis's own listpack costs. The 6-byte header and the end byte are not stored; they
//! are counted in [`Packed::bytes`], which is what the size limits of `list-max-listpack-size`
//! are compared with. The bytes of each entry come from the shared encoder in `lp_entry`.

use bytes::Bytes;

pub use crate::storage::lp_entry::entry_size;
use crate::storage::lp_entry::{self, backlen_size};
use crate::storage::value::parse_canonical_i64;

/// Bytes of a listpack's header (total bytes, element count) and end marker.
const OVERHEAD: usize = 7;

/// One element as stored: an integer, or a string borrowed from the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem<'a> {
    /// An element whose bytes are the canonical decimal form of this integer.
    Int(i64),
    /// Any other element.
    Str(&'a [u8]),
}

impl Elem<'_> {
    /// The element's bytes, as a reply carries them.
    pub fn to_bytes(self) -> Bytes {
        self.with_bytes(Bytes::copy_from_slice)
    }

    /// Calls `f` with the element's bytes, an integer's written out on the stack.
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Elem::Int(n) => f(itoa::Buffer::new().format(n).as_bytes()),
            Elem::Str(s) => f(s),
        }
    }
}

/// A value looked for among elements (LPOS, LREM, LINSERT's pivot): its bytes, and the integer
/// they spell canonically, read once rather than once per element compared.
#[derive(Debug, Clone, Copy)]
pub struct Needle<'a> {
    bytes: &'a [u8],
    int: Option<i64>,
}

impl<'a> Needle<'a> {
    /// The needle for `v`.
    pub fn new(v: &'a [u8]) -> Needle<'a> {
        let int = if v.len() <= 20 {
            parse_canonical_i64(v)
        } else {
            None
        };
        Needle { bytes: v, int }
    }

    /// True when `e` holds the needle's bytes.
    pub fn matches(self, e: Elem<'_>) -> bool {
        match e {
            // A stored string never parses as a canonical integer (it would be stored as one),
            // so comparing integers is comparing bytes.
            Elem::Int(n) => self.int == Some(n),
            Elem::Str(s) => s == self.bytes,
        }
    }
}

/// The elements of one node, packed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Packed {
    buf: Vec<u8>,
    count: usize,
}

impl Packed {
    /// An empty node.
    pub fn new() -> Packed {
        Packed::default()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when the node holds no element.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The size of the node as a listpack, header and end byte included.
    pub fn bytes(&self) -> usize {
        self.buf.len() + OVERHEAD
    }

    /// The entries back to back, in the listpack entry encoding (no header, no end byte).
    pub fn entries(&self) -> &[u8] {
        &self.buf
    }

    /// Offset one past the last entry (where an append goes).
    pub fn end(&self) -> usize {
        self.buf.len()
    }

    /// Appends `v`.
    pub fn push_back(&mut self, v: &[u8]) {
        let at = self.buf.len();
        self.insert_at(at, v);
    }

    /// Prepends `v`.
    pub fn push_front(&mut self, v: &[u8]) {
        self.insert_at(0, v);
    }

    /// Inserts `v` as the entry starting at `off` (an entry's offset, or `end()`).
    pub fn insert_at(&mut self, off: usize, v: &[u8]) {
        let mut enc = Vec::with_capacity(v.len() + 10);
        lp_entry::push(v, &mut enc);
        self.buf.splice(off..off, enc);
        self.count += 1;
    }

    /// Replaces the entry at `off` by `v`.
    pub fn replace_at(&mut self, off: usize, v: &[u8]) {
        let mut enc = Vec::with_capacity(v.len() + 10);
        lp_entry::push(v, &mut enc);
        let old = off + self.entry_size(off);
        self.buf.splice(off..old, enc);
    }

    /// Removes the `n` entries starting with the one at index `first`.
    pub fn remove_range(&mut self, first: usize, n: usize) {
        if n == 0 {
            return;
        }
        let from = self.offset_of(first);
        let to = if first + n >= self.count {
            self.buf.len()
        } else {
            self.offset_of(first + n)
        };
        self.buf.drain(from..to);
        self.count -= n.min(self.count - first);
    }

    /// Keeps the entries for which `keep` is true, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(Elem<'_>) -> bool) {
        let mut out = Vec::with_capacity(self.buf.len());
        let mut count = 0;
        let mut off = 0;
        while off < self.buf.len() {
            let size = self.entry_size(off);
            if keep(self.get(off)) {
                out.extend_from_slice(&self.buf[off..off + size]);
                count += 1;
            }
            off += size;
        }
        self.buf = out;
        self.count = count;
    }

    /// Moves the entries from index `at` on into a new node.
    pub fn split_off(&mut self, at: usize) -> Packed {
        if at >= self.count {
            return Packed::new();
        }
        let off = self.offset_of(at);
        let tail = self.buf.split_off(off);
        let moved = self.count - at;
        self.count = at;
        Packed {
            buf: tail,
            count: moved,
        }
    }

    /// The element whose entry starts at `off`.
    pub fn get(&self, off: usize) -> Elem<'_> {
        let b = &self.buf[off..];
        let b0 = b[0];
        match b0 {
            0x00..=0x7f => Elem::Int(b0 as i64),
            0x80..=0xbf => {
                let len = (b0 & 0x3f) as usize;
                Elem::Str(&b[1..1 + len])
            }
            0xc0..=0xdf => {
                let u = (((b0 & 0x1f) as i64) << 8) | b[1] as i64;
                Elem::Int(if u >= 1 << 12 { u - (1 << 13) } else { u })
            }
            0xe0..=0xef => {
                let len = (((b0 & 0x0f) as usize) << 8) | b[1] as usize;
                Elem::Str(&b[2..2 + len])
            }
            0xf0 => {
                let len = u32::from_le_bytes([b[1], b[2], b[3], b[4]]) as usize;
                Elem::Str(&b[5..5 + len])
            }
            0xf1 => Elem::Int(i16::from_le_bytes([b[1], b[2]]) as i64),
            0xf2 => Elem::Int(((i32::from_le_bytes([0, b[1], b[2], b[3]])) >> 8) as i64),
            0xf3 => Elem::Int(i32::from_le_bytes([b[1], b[2], b[3], b[4]]) as i64),
            0xf4 => Elem::Int(i64::from_le_bytes(b[1..9].try_into().expect("8 bytes"))),
            _ => unreachable!("not an entry encoding: {b0:#x}"),
        }
    }

    /// The offset of the entry after the one at `off`, if any.
    pub fn next(&self, off: usize) -> Option<usize> {
        let n = off + self.entry_size(off);
        (n < self.buf.len()).then_some(n)
    }

    /// The offset of the entry before the one at `off` (or before `end()`), if any.
    pub fn prev(&self, off: usize) -> Option<usize> {
        if off == 0 {
            return None;
        }
        let (len, back) = decode_backlen(&self.buf[..off]);
        Some(off - back - len)
    }

    /// The offset of the first entry, if any.
    pub fn first(&self) -> Option<usize> {
        (self.count > 0).then_some(0)
    }

    /// The offset of the last entry, if any.
    pub fn last(&self) -> Option<usize> {
        self.prev(self.buf.len())
    }

    /// The offset of the entry at `index` (< len), walking from the nearer end.
    pub fn offset_of(&self, index: usize) -> usize {
        debug_assert!(index < self.count);
        if index <= self.count / 2 {
            let mut off = 0;
            for _ in 0..index {
                off += self.entry_size(off);
            }
            off
        } else {
            let mut off = self.buf.len();
            for _ in index..self.count {
                off = self.prev(off).expect("entry exists");
            }
            off
        }
    }

    /// The elements, first to last.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Elem<'_>> + '_ {
        let mut offs = Vec::with_capacity(self.count);
        let mut off = 0;
        while off < self.buf.len() {
            offs.push(off);
            off += self.entry_size(off);
        }
        offs.into_iter().map(move |o| self.get(o))
    }

    /// Bytes taken by the whole entry at `off`: encoding, data and back-length.
    fn entry_size(&self, off: usize) -> usize {
        let len = encoded_len_at(&self.buf[off..]);
        len + backlen_size(len)
    }
}

/// Bytes of the encoding and data of the entry at the start of `b`.
fn encoded_len_at(b: &[u8]) -> usize {
    match b[0] {
        0x00..=0x7f => 1,
        b0 @ 0x80..=0xbf => 1 + (b0 & 0x3f) as usize,
        0xc0..=0xdf => 2,
        b0 @ 0xe0..=0xef => 2 + ((((b0 & 0x0f) as usize) << 8) | b[1] as usize),
        0xf0 => 5 + u32::from_le_bytes([b[1], b[2], b[3], b[4]]) as usize,
        0xf1 => 3,
        0xf2 => 4,
        0xf3 => 5,
        0xf4 => 9,
        b0 => unreachable!("not an entry encoding: {b0:#x}"),
    }
}

/// Reads the back-length that ends `b`: (the entry's encoding-and-data length, the back-length's
/// own size).
fn decode_backlen(b: &[u8]) -> (usize, usize) {
    let mut val = 0usize;
    let mut shift = 0;
    let mut p = b.len();
    loop {
        p -= 1;
        let byte = b[p];
        val |= ((byte & 127) as usize) << shift;
        if byte & 128 == 0 {
            break;
        }
        shift += 7;
    }
    (val, b.len() - p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(items: &[&[u8]]) -> Packed {
        let mut p = Packed::new();
        for i in items {
            p.push_back(i);
        }
        p
    }

    fn all(p: &Packed) -> Vec<Bytes> {
        p.iter().map(Elem::to_bytes).collect()
    }

    #[test]
    fn every_encoding_reads_back() {
        let big = vec![b'x'; 5000];
        let mid = vec![b'y'; 300];
        let items: Vec<&[u8]> = vec![
            b"0",
            b"127",
            b"128",
            b"-1",
            b"-4096",
            b"4095",
            b"-4097",
            b"32767",
            b"-32769",
            b"8388607",
            b"-8388609",
            b"2147483647",
            b"-9223372036854775808",
            b"9223372036854775807",
            b"",
            b"abc",
            b"007",
            b"-0",
            b"+1",
            &mid,
            &big,
        ];
        let p = node(&items);
        assert_eq!(p.len(), items.len());
        let got = all(&p);
        let want: Vec<Bytes> = items.iter().map(|i| Bytes::copy_from_slice(i)).collect();
        assert_eq!(got, want);
        let back: Vec<Bytes> = p.iter().rev().map(Elem::to_bytes).collect();
        assert_eq!(back, want.iter().rev().cloned().collect::<Vec<_>>());
        assert_eq!(p.get(p.offset_of(1)), Elem::Int(127));
        assert_eq!(p.get(p.offset_of(16)), Elem::Str(b"007"));
    }

    #[test]
    fn sizes_match_redis_listpacks() {
        // LPUSH of "a" and "1" into an empty list gives a 7 + 3 + 2 byte listpack in Redis.
        let p = node(&[b"a", b"1"]);
        assert_eq!(p.bytes(), 12);
        assert_eq!(entry_size(b"a"), 3);
        assert_eq!(entry_size(b"1"), 2);
        assert_eq!(entry_size(&[b'z'; 200]), 200 + 2 + 2);
        assert_eq!(entry_size(b"100000"), 4 + 1);
    }

    #[test]
    fn edits_keep_both_directions_walkable() {
        let mut p = node(&[b"a", b"b", b"c"]);
        p.push_front(b"12");
        p.insert_at(p.offset_of(2), b"mid");
        p.replace_at(p.offset_of(0), &[b'q'; 200]);
        p.remove_range(1, 1);
        assert_eq!(
            all(&p),
            vec![
                Bytes::from(vec![b'q'; 200]),
                "mid".into(),
                "b".into(),
                "c".into()
            ]
        );
        let back: Vec<Bytes> = p.iter().rev().map(Elem::to_bytes).collect();
        assert_eq!(back[0], "c");
        let tail = p.split_off(2);
        assert_eq!(all(&tail), vec![Bytes::from("b"), "c".into()]);
        assert_eq!(p.len(), 2);
        let mid = Needle::new(b"mid");
        p.retain(|e| !mid.matches(e));
        assert_eq!(p.len(), 1);
        let mut r = node(&[b"1", b"2", b"3", b"4", b"5"]);
        r.remove_range(1, 3);
        assert_eq!(all(&r), vec![Bytes::from("1"), "5".into()]);
        r.remove_range(0, 2);
        assert!(r.is_empty());
        assert_eq!(r.bytes(), 7);
    }

    #[test]
    fn integers_match_only_their_canonical_form() {
        assert!(Needle::new(b"12").matches(Elem::Int(12)));
        assert!(!Needle::new(b"012").matches(Elem::Int(12)));
        assert!(!Needle::new(b"-0").matches(Elem::Int(0)));
        assert!(Needle::new(b"x").matches(Elem::Str(b"x")));
    }
}

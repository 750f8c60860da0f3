//! Listpacks: the compact container of hashes, sorted sets, list nodes, streams and (7.2) sets.
//!
//! Owns: a validating decoder of the listpack byte format, and a builder of whole listpacks
//! (header, entries, end marker) over the entry encoder in `storage::lp_entry`.
//!
//! ```text
//! u32 LE total bytes | u16 LE element count (65535 = unknown) | entries… | 0xFF
//! entry = encoding and data | back-length (the size of encoding and data, 1-5 bytes, readable
//!         right to left: 7 bits a byte, most significant first, every byte but the first with
//!         its high bit set)
//! ```
//!
//! The decoder checks everything Redis's deep sanitisation checks (sizes against the blob, each
//! entry's back-length, the end marker, the count), whatever `sanitize-dump-payload` says, so a
//! corrupt blob is an error here and never a crash later. The encoder writes strings that are
//! canonical decimal integers as integers, in the smallest form, as Redis's `lpAppend` does.

use bytes::Bytes;

use super::error::BlobError;
use crate::storage::lp_entry;
use crate::storage::value::parse_canonical_i64;

/// Header size: total bytes and element count.
const HEADER: usize = 6;
/// The end marker.
const EOF: u8 = 0xff;
/// The count header's "too many to count" value.
const COUNT_UNKNOWN: u16 = u16::MAX;

/// One listpack element: an integer or a string borrowed from the blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LpElem<'a> {
    /// An integer entry.
    Int(i64),
    /// A string entry.
    Str(&'a [u8]),
}

impl LpElem<'_> {
    /// The element's bytes (an integer in decimal).
    pub fn to_bytes(self) -> Bytes {
        match self {
            LpElem::Int(n) => Bytes::copy_from_slice(itoa::Buffer::new().format(n).as_bytes()),
            LpElem::Str(s) => Bytes::copy_from_slice(s),
        }
    }

    /// The element as an integer: an integer entry, or a string that is a canonical integer
    /// (what Redis's `lpGetIntegerIfValid` accepts).
    pub fn as_i64(self) -> Option<i64> {
        match self {
            LpElem::Int(n) => Some(n),
            LpElem::Str(s) => parse_canonical_i64(s),
        }
    }
}

fn err(at: usize, what: &'static str) -> BlobError {
    BlobError::new("listpack", at, what)
}

/// Validates `lp` and returns its elements in order.
pub fn decode(lp: &[u8]) -> Result<Vec<LpElem<'_>>, BlobError> {
    if lp.len() < HEADER + 1 {
        return Err(err(0, "shorter than a listpack header"));
    }
    let total = u32::from_le_bytes([lp[0], lp[1], lp[2], lp[3]]) as usize;
    if total != lp.len() {
        return Err(err(0, "total-bytes header does not match the blob size"));
    }
    let last = lp.len() - 1;
    if lp[last] != EOF {
        return Err(err(last, "missing end marker"));
    }
    let count = u16::from_le_bytes([lp[4], lp[5]]);
    // Every entry takes at least two bytes, which bounds the reservation by the blob's size.
    let mut out = Vec::with_capacity(usize::from(count).min(lp.len() / 2));
    let mut p = HEADER;
    while p < last {
        let (size, elem) = entry_at(lp, p, last)?;
        let (want, back) = lp_entry::backlen(size);
        let end = p + size + back;
        if end > last {
            return Err(err(p, "entry runs past the end marker"));
        }
        if lp[p + size..end] != want[..back] {
            return Err(err(p + size, "back-length does not match the entry"));
        }
        out.push(elem);
        p = end;
    }
    if count != COUNT_UNKNOWN && usize::from(count) != out.len() {
        return Err(err(4, "element-count header does not match the entries"));
    }
    Ok(out)
}

/// Decodes the entry at `p`: the size of its encoding and data, and its element. Nothing of it
/// may reach `last` (the end marker).
fn entry_at(lp: &[u8], p: usize, last: usize) -> Result<(usize, LpElem<'_>), BlobError> {
    // The bytes p..p+n, when they end before the end marker.
    let take = |n: usize| -> Result<&[u8], BlobError> {
        p.checked_add(n)
            .filter(|&end| end <= last)
            .map(|end| &lp[p..end])
            .ok_or_else(|| err(p, "entry runs past the end marker"))
    };
    let b0 = lp[p];
    Ok(match b0 {
        0x00..=0x7f => (1, LpElem::Int(i64::from(b0))),
        0x80..=0xbf => {
            let len = usize::from(b0 & 0x3f);
            (1 + len, LpElem::Str(&take(1 + len)?[1..]))
        }
        0xc0..=0xdf => {
            let b = take(2)?;
            let u = (i64::from(b0 & 0x1f) << 8) | i64::from(b[1]);
            (2, LpElem::Int(if u >= 1 << 12 { u - (1 << 13) } else { u }))
        }
        0xe0..=0xef => {
            let len = (usize::from(b0 & 0x0f) << 8) | usize::from(take(2)?[1]);
            (2 + len, LpElem::Str(&take(2 + len)?[2..]))
        }
        0xf0 => {
            let h = take(5)?;
            let len = u32::from_le_bytes([h[1], h[2], h[3], h[4]]) as usize;
            let size = len
                .checked_add(5)
                .ok_or_else(|| err(p, "string length overflows"))?;
            (size, LpElem::Str(&take(size)?[5..]))
        }
        0xf1 => {
            let b = take(3)?;
            (3, LpElem::Int(i64::from(i16::from_le_bytes([b[1], b[2]]))))
        }
        0xf2 => {
            let b = take(4)?;
            (
                4,
                LpElem::Int(i64::from(i32::from_le_bytes([0, b[1], b[2], b[3]]) >> 8)),
            )
        }
        0xf3 => {
            let b = take(5)?;
            (
                5,
                LpElem::Int(i64::from(i32::from_le_bytes([b[1], b[2], b[3], b[4]]))),
            )
        }
        0xf4 => {
            let b = take(9)?;
            let v = i64::from_le_bytes(b[1..9].try_into().expect("eight bytes"));
            (9, LpElem::Int(v))
        }
        EOF => return Err(err(p, "end marker before the last byte")),
        _ => return Err(err(p, "invalid entry encoding")),
    })
}

/// Builds a listpack entry by entry.
#[derive(Debug, Clone)]
pub struct ListpackBuilder {
    buf: Vec<u8>,
    count: usize,
}

impl Default for ListpackBuilder {
    fn default() -> ListpackBuilder {
        ListpackBuilder::new()
    }
}

impl ListpackBuilder {
    /// An empty listpack.
    pub fn new() -> ListpackBuilder {
        let mut buf = Vec::with_capacity(64);
        buf.resize(HEADER, 0);
        ListpackBuilder { buf, count: 0 }
    }

    /// Appends `s`: as an integer entry when it is a canonical decimal integer, else as a string.
    pub fn push_str(&mut self, s: &[u8]) {
        lp_entry::push(s, &mut self.buf);
        self.count += 1;
    }

    /// Appends the integer `n` in the smallest encoding that holds it.
    pub fn push_int(&mut self, n: i64) {
        lp_entry::push_int(n, &mut self.buf);
        self.count += 1;
    }

    /// Appends `count` entries already in listpack entry encoding (back-lengths included).
    pub fn push_raw_entries(&mut self, entries: &[u8], count: usize) {
        self.buf.extend_from_slice(entries);
        self.count += count;
    }

    /// The finished listpack: header filled in, end marker appended.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(EOF);
        let total = self.buf.len() as u32;
        self.buf[..4].copy_from_slice(&total.to_le_bytes());
        let count = u16::try_from(self.count)
            .ok()
            .filter(|&c| c < COUNT_UNKNOWN)
            .unwrap_or(COUNT_UNKNOWN);
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(items: &[&[u8]]) -> Vec<u8> {
        let mut b = ListpackBuilder::new();
        for i in items {
            b.push_str(i);
        }
        b.finish()
    }

    #[test]
    fn matches_a_listpack_written_by_redis() {
        // RPUSH l a b 1 on Redis 7.0, as its DUMP shows the node.
        let redis = b"\x0f\x00\x00\x00\x03\x00\x81a\x02\x81b\x02\x01\x01\xff";
        assert_eq!(build(&[b"a", b"b", b"1"]), redis);
        assert_eq!(
            decode(redis).unwrap(),
            [LpElem::Str(b"a"), LpElem::Str(b"b"), LpElem::Int(1)]
        );
    }

    #[test]
    fn every_encoding_round_trips() {
        let mid = vec![b'm'; 300];
        let big = vec![b'b'; 70_000];
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
            b"-2147483649",
            b"-9223372036854775808",
            b"9223372036854775807",
            b"",
            b"abc",
            b"007",
            b"-0",
            &mid,
            &big,
        ];
        let lp = build(&items);
        let got: Vec<Bytes> = decode(&lp)
            .unwrap()
            .into_iter()
            .map(LpElem::to_bytes)
            .collect();
        let want: Vec<Bytes> = items.iter().map(|i| Bytes::copy_from_slice(i)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn an_unknown_count_is_counted() {
        let mut lp = build(&[b"x", b"y"]);
        lp[4] = 0xff;
        lp[5] = 0xff;
        assert_eq!(decode(&lp).unwrap().len(), 2);
    }

    #[test]
    fn corruptions_are_located() {
        let good = build(&[b"hello", b"12", b"world"]);
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (good[..5].to_vec(), "shorter than a listpack header"),
            (
                {
                    let mut b = good.clone();
                    b[0] += 1;
                    b
                },
                "total-bytes header",
            ),
            (
                {
                    let mut b = good.clone();
                    *b.last_mut().unwrap() = 0;
                    b
                },
                "missing end marker",
            ),
            (
                {
                    let mut b = good.clone();
                    b[4] = 5;
                    b
                },
                "element-count header",
            ),
            (
                {
                    let mut b = good.clone();
                    b[6] = 0x8f; // "hello" claims 15 bytes
                    b
                },
                "runs past the end marker",
            ),
            (
                {
                    let mut b = good.clone();
                    b[6] = 0x84; // "hello" claims 4 bytes
                    b
                },
                "back-length does not match",
            ),
            (
                {
                    let mut b = good.clone();
                    b[6] = 0xf7;
                    b
                },
                "invalid entry encoding",
            ),
            (
                {
                    let mut b = good.clone();
                    b[6] = 0xbe; // 62 bytes: past the end
                    b
                },
                "runs past the end marker",
            ),
            (
                {
                    let mut b = good.clone();
                    b[12] = 0x07; // the back-length of "hello" says 7 bytes
                    b
                },
                "back-length does not match",
            ),
            (
                {
                    let mut b = good.clone();
                    b[6] = 0xff;
                    b
                },
                "end marker before the last byte",
            ),
        ];
        for (blob, what) in cases {
            let e = decode(&blob).unwrap_err();
            assert!(e.to_string().contains(what), "{e} (wanted {what})");
        }
    }

    #[test]
    fn large_counts_write_the_unknown_marker() {
        let mut b = ListpackBuilder::new();
        for i in 0..70_000 {
            b.push_int(i);
        }
        let lp = b.finish();
        assert_eq!(&lp[4..6], &[0xff, 0xff]);
        assert_eq!(decode(&lp).unwrap().len(), 70_000);
    }
}

//! Stream entry IDs: `<ms>-<seq>`, two u64 that order as one 128-bit number, and their text
//! forms.
//!
//! Owns: `StreamId`, its successor and predecessor, and the parsing rules Redis applies to an ID
//! argument (`-`, `+`, a bare `<ms>`, `<ms>-*`). Must not: know about streams or replies.

use std::fmt;

use bytes::Bytes;

/// The ID of a stream entry. Orders by `ms`, then `seq`: the order of the 16 big-endian bytes
/// Redis keys its radix tree with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    /// The milliseconds part.
    pub ms: u64,
    /// The sequence part.
    pub seq: u64,
}

impl StreamId {
    /// `0-0`, the smallest ID (`-`).
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// The largest ID (`+`).
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    /// The ID `ms-seq`.
    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// True for `0-0`.
    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// The next ID, or `None` after the largest one (Redis's `streamIncrID` fails there).
    pub fn next(self) -> Option<StreamId> {
        if self.seq < u64::MAX {
            Some(StreamId::new(self.ms, self.seq + 1))
        } else if self.ms < u64::MAX {
            Some(StreamId::new(self.ms + 1, 0))
        } else {
            None
        }
    }

    /// The previous ID, or `None` before `0-0` (Redis's `streamDecrID` fails there).
    pub fn prev(self) -> Option<StreamId> {
        if self.seq > 0 {
            Some(StreamId::new(self.ms, self.seq - 1))
        } else if self.ms > 0 {
            Some(StreamId::new(self.ms - 1, u64::MAX))
        } else {
            None
        }
    }

    /// The ID as the 16 big-endian bytes Redis uses as its radix tree key.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.ms.to_be_bytes());
        b[8..].copy_from_slice(&self.seq.to_be_bytes());
        b
    }

    /// The ID in its reply form, `ms-seq`.
    pub fn to_bytes(self) -> Bytes {
        let mut a = itoa::Buffer::new();
        let mut b = itoa::Buffer::new();
        let (ms, seq) = (a.format(self.ms), b.format(self.seq));
        let mut v = Vec::with_capacity(ms.len() + 1 + seq.len());
        v.extend_from_slice(ms.as_bytes());
        v.push(b'-');
        v.extend_from_slice(seq.as_bytes());
        Bytes::from(v)
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// The sequence part of an XADD ID argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqPart {
    /// Given (`5-3`), or implied as 0 (`5`).
    Given(u64),
    /// `<ms>-*`: the stream picks it.
    Auto,
}

/// Reads an ID argument the way Redis's `streamGenericParseIDOrReply` does: `-` and `+` (unless
/// `strict`), `<ms>` (the sequence is then `missing_seq`) or `<ms>-<seq>`. `None` when it is not
/// an ID. The text ends at its first NUL byte, as the C string Redis reads does.
pub fn parse_id(arg: &[u8], missing_seq: u64, strict: bool) -> Option<StreamId> {
    match parse_generic(arg, missing_seq, strict, false)? {
        (ms, SeqPart::Given(seq)) => Some(StreamId::new(ms, seq)),
        (_, SeqPart::Auto) => None,
    }
}

/// Reads XADD's explicit ID argument: strict (no `-` or `+`), and `<ms>-*` is allowed. A bare
/// `<ms>` has sequence 0, given.
pub fn parse_xadd_id(arg: &[u8]) -> Option<(u64, SeqPart)> {
    parse_generic(arg, 0, true, true)
}

fn parse_generic(
    arg: &[u8],
    missing_seq: u64,
    strict: bool,
    auto_seq: bool,
) -> Option<(u64, SeqPart)> {
    if arg.len() > 127 {
        return None;
    }
    let s = until_nul(arg);
    match s {
        b"-" if !strict => return Some((0, SeqPart::Given(0))),
        b"+" if !strict => return Some((u64::MAX, SeqPart::Given(u64::MAX))),
        b"-" | b"+" => return None,
        _ => {}
    }
    match s.iter().position(|&b| b == b'-') {
        None => Some((string_to_u64(s)?, SeqPart::Given(missing_seq))),
        Some(dash) => {
            let ms = string_to_u64(&s[..dash])?;
            let seq = &s[dash + 1..];
            if auto_seq && seq == b"*" {
                Some((ms, SeqPart::Auto))
            } else {
                Some((ms, SeqPart::Given(string_to_u64(seq)?)))
            }
        }
    }
}

/// The bytes before the first NUL.
pub fn until_nul(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&b| b == 0) {
        Some(n) => &arg[..n],
        None => arg,
    }
}

/// Redis's `string2ull`: a canonical non-negative i64, or else what C's `strtoull` accepts in
/// full (leading white space, a sign, leading zeros; a minus wraps around), without overflow.
fn string_to_u64(s: &[u8]) -> Option<u64> {
    if let Some(v) = crate::storage::value::parse_canonical_i64(s) {
        return u64::try_from(v).ok();
    }
    let mut rest = s;
    while let [b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r', tail @ ..] = rest {
        rest = tail;
    }
    let (neg, digits) = match rest {
        [b'-', tail @ ..] => (true, tail),
        [b'+', tail @ ..] => (false, tail),
        _ => (false, rest),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId::new(ms, seq)
    }

    #[test]
    fn ids_order_as_128_bit_numbers() {
        assert!(id(1, u64::MAX) < id(2, 0));
        assert!(id(1, 1) < id(1, 2));
        assert_eq!(id(1, u64::MAX).next(), Some(id(2, 0)));
        assert_eq!(StreamId::MAX.next(), None);
        assert_eq!(id(2, 0).prev(), Some(id(1, u64::MAX)));
        assert_eq!(StreamId::MIN.prev(), None);
        assert_eq!(id(12, 3).to_bytes(), "12-3");
        assert!(id(1, 2).to_be_bytes() < id(1, 3).to_be_bytes());
    }

    #[test]
    fn ids_parse_like_redis() {
        assert_eq!(parse_id(b"5", 0, false), Some(id(5, 0)));
        assert_eq!(parse_id(b"5", u64::MAX, false), Some(id(5, u64::MAX)));
        assert_eq!(parse_id(b"5-3", 0, false), Some(id(5, 3)));
        assert_eq!(parse_id(b"-", 0, false), Some(StreamId::MIN));
        assert_eq!(parse_id(b"+", 0, false), Some(StreamId::MAX));
        assert_eq!(parse_id(b"-", 0, true), None);
        assert_eq!(parse_id(b"", 0, false), None);
        assert_eq!(parse_id(b"5-", 0, false), None);
        assert_eq!(parse_id(b"-5", 0, false), None);
        assert_eq!(parse_id(b"5-x", 0, false), None);
        assert_eq!(parse_id(b"5-*", 0, false), None);
        assert_eq!(parse_id(b"5-1-1", 0, false), None);
        // strtoull's leniency, which Redis inherits.
        assert_eq!(parse_id(b"007", 0, false), Some(id(7, 0)));
        assert_eq!(parse_id(b" 7", 0, false), Some(id(7, 0)));
        assert_eq!(parse_id(b"+7", 0, false), Some(id(7, 0)));
        assert_eq!(parse_id(b"1--01", 0, false), Some(id(1, u64::MAX)));
        assert_eq!(parse_id(b"1--1", 0, false), None);
        assert_eq!(parse_id(b"18446744073709551616", 0, false), None);
        assert_eq!(
            parse_id(b"18446744073709551615", 0, false),
            Some(id(u64::MAX, 0))
        );
        assert_eq!(parse_id(b"3\0junk", 0, false), Some(id(3, 0)));
        assert_eq!(parse_id(&[b'1'; 128], 0, false), None);
        assert_eq!(parse_xadd_id(b"5-*"), Some((5, SeqPart::Auto)));
        assert_eq!(parse_xadd_id(b"5"), Some((5, SeqPart::Given(0))));
        assert_eq!(parse_xadd_id(b"*"), None);
    }
}

//! The byte size Redis's listpack encoding gives each element of a stream node.
//!
//! Owns: the stream's view of listpack sizes, in the `u64` its byte counts use; the arithmetic
//! itself is `lp_entry`'s. Redis closes a stream node once its listpack reaches
//! `stream-node-max-bytes`, and the nodes decide which entries approximate trimming may drop and
//! what XINFO STREAM counts; Tessera keeps its entries in the same nodes, so it needs the same
//! byte counts.

use crate::storage::lp_entry;

/// The listpack header (total bytes, element count) plus its end byte.
pub const EMPTY: u64 = 6 + 1;

/// Bytes of an integer element: its encoding plus its back-length.
pub fn int(v: i64) -> u64 {
    lp_entry::int_entry_size(v) as u64
}

/// Bytes of a string element. A string that reads as a canonical i64 is stored as that integer.
pub fn string(s: &[u8]) -> u64 {
    lp_entry::entry_size(s) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_listpack_encodings() {
        assert_eq!(int(0), 2);
        assert_eq!(int(127), 2);
        assert_eq!(int(128), 3);
        assert_eq!(int(-1), 3);
        assert_eq!(int(40_000), 5);
        assert_eq!(int(i64::MIN), 10);
        assert_eq!(string(b"12"), 2);
        assert_eq!(string(b"012"), 5);
        assert_eq!(string(b""), 2);
        assert_eq!(string(&[b'a'; 63]), 65);
        assert_eq!(string(&[b'a'; 64]), 67);
        assert_eq!(string(&[b'a'; 126]), 130);
        assert_eq!(string(&[b'a'; 4096]), 4101 + 2);
    }
}

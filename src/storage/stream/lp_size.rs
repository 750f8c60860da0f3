//! The byte size Redis's listpack encoding gives each element of a stream node.
//!
//! Owns: the size arithmetic of `listpack.c` (integer and string encodings, the back-length),
//! nothing else. Redis closes a stream node once its listpack reaches `stream-node-max-bytes`,
//! and the nodes decide which entries approximate trimming may drop and what XINFO STREAM
//! counts; Tessera keeps its entries in the same nodes, so it needs the same byte counts.

use crate::storage::value::parse_canonical_i64;

/// The listpack header (total bytes, element count) plus its end byte.
pub const EMPTY: u64 = 6 + 1;

/// Bytes of an integer element: its encoding plus its back-length byte.
pub fn int(v: i64) -> u64 {
    let enc: u64 = match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8_388_608..=8_388_607 => 4,
        -2_147_483_648..=2_147_483_647 => 5,
        _ => 9,
    };
    enc + backlen(enc)
}

/// Bytes of a string element. A string that reads as a canonical i64 is stored as that integer.
pub fn string(s: &[u8]) -> u64 {
    if let Some(v) = parse_canonical_i64(s) {
        return int(v);
    }
    let len = s.len() as u64;
    let enc = match len {
        0..=63 => 1 + len,
        64..=4095 => 2 + len,
        _ => 5 + len,
    };
    enc + backlen(enc)
}

/// Bytes of the back-length that follows an element whose encoding takes `l` bytes.
fn backlen(l: u64) -> u64 {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
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

//! One listpack entry as bytes: how Redis's `listpack.c` encodes an element.
//!
//! Owns: the integer and string entry encodings, the back-length, and the sizes they take.
//! Packed list nodes, the RDB listpack writer and the stream node byte counts all need the same
//! bytes Redis writes, so they share this one encoder rather than each keeping a copy.

use super::value::parse_canonical_i64;

/// Bytes of the back-length of an entry whose encoding and data take `len` bytes.
#[inline]
pub fn backlen_size(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16_382 => 2,
        16_383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// The back-length of `len` (7 bits a byte, most significant first, every byte but the first
/// with its high bit set, so it reads right to left): the bytes and how many of them are used.
#[inline]
pub fn backlen(len: usize) -> ([u8; 5], usize) {
    let n = backlen_size(len);
    let mut out = [0u8; 5];
    for (k, i) in (0..n).rev().enumerate() {
        let seven = ((len >> (7 * i)) & 127) as u8;
        out[k] = if k == 0 { seven } else { seven | 128 };
    }
    (out, n)
}

/// Bytes of the encoding and data of an integer entry.
#[inline]
pub fn int_len(n: i64) -> usize {
    match n {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32_768..=32_767 => 3,
        -8_388_608..=8_388_607 => 4,
        -2_147_483_648..=2_147_483_647 => 5,
        _ => 9,
    }
}

/// Bytes of the encoding of a string of `len` bytes (its data not counted).
#[inline]
pub fn str_header_len(len: usize) -> usize {
    if len < 64 {
        1
    } else if len < 4096 {
        2
    } else {
        5
    }
}

/// The whole entry size of `v` (encoding, data, back-length), stored as Redis stores it: as an
/// integer when it is a canonical decimal integer.
#[inline]
pub fn entry_size(v: &[u8]) -> usize {
    let len = match parse_canonical_i64(v) {
        Some(n) => int_len(n),
        None => str_header_len(v.len()) + v.len(),
    };
    len + backlen_size(len)
}

/// The whole entry size of the integer `n`.
#[inline]
pub fn int_entry_size(n: i64) -> usize {
    let len = int_len(n);
    len + backlen_size(len)
}

/// Appends the entry for `v`: as an integer entry when it is a canonical decimal integer (as
/// Redis's `lpAppend` does), else as a string.
#[inline]
pub fn push(v: &[u8], out: &mut Vec<u8>) {
    match parse_canonical_i64(v) {
        Some(n) => push_int(n, out),
        None => push_str(v, out),
    }
}

/// Appends a string entry for `s`, whatever its bytes.
#[inline]
pub fn push_str(s: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    let len = s.len();
    if len < 64 {
        out.push(0x80 | len as u8);
    } else if len < 4096 {
        out.push(0xe0 | (len >> 8) as u8);
        out.push(len as u8);
    } else {
        out.push(0xf0);
        out.extend_from_slice(&(len as u32).to_le_bytes());
    }
    out.extend_from_slice(s);
    end_entry(start, out);
}

/// Appends an integer entry for `n`, in the smallest encoding that holds it.
#[inline]
pub fn push_int(n: i64, out: &mut Vec<u8>) {
    let start = out.len();
    match n {
        0..=127 => out.push(n as u8),
        -4096..=4095 => {
            let u = if n < 0 { (1 << 13) + n } else { n } as u16;
            out.push(0xc0 | (u >> 8) as u8);
            out.push(u as u8);
        }
        -32_768..=32_767 => {
            out.push(0xf1);
            out.extend_from_slice(&(n as i16).to_le_bytes());
        }
        -8_388_608..=8_388_607 => {
            out.push(0xf2);
            out.extend_from_slice(&(n as i32).to_le_bytes()[..3]);
        }
        -2_147_483_648..=2_147_483_647 => {
            out.push(0xf3);
            out.extend_from_slice(&(n as i32).to_le_bytes());
        }
        _ => {
            out.push(0xf4);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
    end_entry(start, out);
}

/// Appends the back-length of the entry that starts at `start` and runs to the end of `out`.
#[inline]
fn end_entry(start: usize, out: &mut Vec<u8>) {
    let (back, n) = backlen(out.len() - start);
    out.extend_from_slice(&back[..n]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_agree_with_the_bytes_written() {
        let long = vec![b'z'; 5000];
        let items: [&[u8]; 9] = [
            b"0",
            b"-1",
            b"40000",
            b"-9223372036854775808",
            b"",
            b"007",
            &[b'a'; 64],
            &[b'a'; 200],
            &long,
        ];
        for v in items {
            let mut out = Vec::new();
            push(v, &mut out);
            assert_eq!(out.len(), entry_size(v), "{:?}", &v[..v.len().min(8)]);
        }
        assert_eq!(int_entry_size(i64::MIN), 10);
    }

    #[test]
    fn back_lengths_read_right_to_left() {
        assert_eq!(backlen(5), ([5, 0, 0, 0, 0], 1));
        assert_eq!(backlen(200), ([1, 72 | 128, 0, 0, 0], 2));
    }
}

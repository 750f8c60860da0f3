//! Bit arithmetic on byte strings, the way Redis numbers bits: bit 0 is the most significant bit
//! of byte 0.
//!
//! Owns: reading and writing single bits and bit fields, counting and searching bit ranges, the
//! BITOP combinators and BITFIELD's overflow rules. Pure functions over slices: no keyspace, no
//! replies.

/// The bit at `offset`, reading past the end as 0.
pub fn get_bit(s: &[u8], offset: u64) -> u8 {
    let byte = (offset >> 3) as usize;
    match s.get(byte) {
        Some(b) => (b >> (7 - (offset & 7))) & 1,
        None => 0,
    }
}

/// Sets the bit at `offset` to `on` and returns its previous value.
///
/// Precondition: `s` holds at least `offset / 8 + 1` bytes.
pub fn set_bit(s: &mut [u8], offset: u64, on: bool) -> u8 {
    let byte = (offset >> 3) as usize;
    let mask = 1u8 << (7 - (offset & 7));
    let old = (s[byte] & mask != 0) as u8;
    if on {
        s[byte] |= mask;
    } else {
        s[byte] &= !mask;
    }
    old
}

/// The inclusive bit range that a BITCOUNT or BITPOS `start end` selects in a string of `len`
/// bytes, or `None` when it is empty. In BYTE mode the offsets count bytes and the range covers
/// whole bytes; in BIT mode they count bits. Negative offsets count from the end, and both ends
/// are clamped to the string.
pub fn bit_range(len: u64, start: i64, end: i64, in_bits: bool) -> Option<(u64, u64)> {
    let total = if in_bits { len as i64 * 8 } else { len as i64 };
    let clamp = |i: i64| if i < 0 { (total + i).max(0) } else { i };
    let start = clamp(start);
    let end = clamp(end).min(total - 1);
    if start > end {
        return None;
    }
    if in_bits {
        Some((start as u64, end as u64))
    } else {
        Some((start as u64 * 8, end as u64 * 8 + 7))
    }
}

/// The number of set bits in the inclusive bit range `first..=last` of `s`.
///
/// Precondition: `last / 8 < s.len()`.
pub fn count_bits(s: &[u8], first: u64, last: u64) -> u64 {
    let (fb, lb) = ((first >> 3) as usize, (last >> 3) as usize);
    let mut n: u64 = s[fb..=lb].iter().map(|b| b.count_ones() as u64).sum();
    // Take away the bits of the edge bytes that lie outside the range.
    let head = s[fb] & !(0xFFu8 >> (first & 7));
    let tail = s[lb] & (0xFFu16 >> ((last & 7) + 1)) as u8;
    n -= head.count_ones() as u64 + tail.count_ones() as u64;
    n
}

/// The first bit equal to `bit` in the inclusive range `first..=last` of `s`, if any.
///
/// Precondition: `last / 8 < s.len()`.
pub fn find_bit(s: &[u8], first: u64, last: u64, bit: u8) -> Option<u64> {
    let skip = if bit == 1 { 0x00 } else { 0xFF };
    let mut pos = first;
    while pos <= last {
        if pos & 7 == 0 && pos + 7 <= last && s[(pos >> 3) as usize] == skip {
            pos += 8;
            continue;
        }
        if get_bit(s, pos) == bit {
            return Some(pos);
        }
        pos += 1;
    }
    None
}

/// A BITOP operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitOp {
    /// Bitwise AND of every source.
    And,
    /// Bitwise OR of every source.
    Or,
    /// Bitwise XOR of every source.
    Xor,
    /// Bitwise NOT of the single source.
    Not,
}

/// Combines `sources` with `op`. Shorter sources read as zero-padded to the longest one, so the
/// result is as long as the longest source.
pub fn bitop(op: BitOp, sources: &[&[u8]]) -> Vec<u8> {
    let len = sources.iter().map(|s| s.len()).max().unwrap_or(0);
    let byte = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    (0..len)
        .map(|i| {
            let mut it = sources.iter().map(|s| byte(s, i));
            let first = it.next().unwrap_or(0);
            match op {
                BitOp::And => it.fold(first, |a, b| a & b),
                BitOp::Or => it.fold(first, |a, b| a | b),
                BitOp::Xor => it.fold(first, |a, b| a ^ b),
                BitOp::Not => !first,
            }
        })
        .collect()
}

/// A BITFIELD integer type: signed up to 64 bits (`i1`..`i64`), unsigned up to 63 (`u1`..`u63`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldType {
    /// `i` rather than `u`.
    pub signed: bool,
    /// Width in bits.
    pub bits: u32,
}

/// What BITFIELD does when a SET or INCRBY does not fit its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overflow {
    /// Keep the low bits (two's complement wrap around).
    #[default]
    Wrap,
    /// Clamp to the type's minimum or maximum.
    Sat,
    /// Change nothing and answer nil.
    Fail,
}

/// Reads the `bits`-wide field at bit `offset` as an unsigned number, most significant bit
/// first; bits past the end read as 0.
pub fn get_field(s: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for i in 0..bits as u64 {
        v = (v << 1) | get_bit(s, offset + i) as u64;
    }
    v
}

/// Writes the low `bits` bits of `value` at bit `offset`, most significant bit first.
///
/// Precondition: `s` reaches bit `offset + bits - 1`.
pub fn set_field(s: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..bits as u64 {
        let on = (value >> (bits as u64 - 1 - i)) & 1 == 1;
        set_bit(s, offset + i, on);
    }
}

impl FieldType {
    /// Reads this field at `offset` as the number it holds (sign-extended when signed).
    pub fn read(self, s: &[u8], offset: u64) -> i64 {
        let raw = get_field(s, offset, self.bits);
        if self.signed && self.bits < 64 && raw >> (self.bits - 1) & 1 == 1 {
            (raw | (u64::MAX << self.bits)) as i64
        } else {
            raw as i64
        }
    }

    /// The value to store for `value + incr`, or `None` when it overflows under `Fail`.
    /// A SET checks its value with `incr` 0.
    pub fn fit(self, value: i64, incr: i64, mode: Overflow) -> Option<i64> {
        let (overflow, limit) = if self.signed {
            signed_overflow(value, incr, self.bits)
        } else {
            unsigned_overflow(value as u64, incr, self.bits)
        };
        match (overflow, mode) {
            (None, _) => Some(value.wrapping_add(incr)),
            (Some(_), Overflow::Fail) => None,
            (Some(_), Overflow::Sat) => Some(limit),
            (Some(wrapped), Overflow::Wrap) => Some(wrapped),
        }
    }
}

/// For an unsigned field: `(Some(wrapped), saturated)` when `value + incr` leaves `0..2^bits`,
/// `(None, _)` when it fits. `value` may itself be out of range (a SET of a negative number).
fn unsigned_overflow(value: u64, incr: i64, bits: u32) -> (Option<i64>, i64) {
    let max = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let wrapped = || (value.wrapping_add(incr as u64) & max) as i64;
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = value.wrapping_neg() as i64;
    if value > max || (incr > 0 && incr > max_incr) {
        (Some(wrapped()), max as i64)
    } else if incr < 0 && incr < min_incr {
        (Some(wrapped()), 0)
    } else {
        (None, 0)
    }
}

/// For a signed field: `(Some(wrapped), saturated)` when `value + incr` leaves the range of a
/// `bits`-wide two's complement number, `(None, _)` when it fits.
fn signed_overflow(value: i64, incr: i64, bits: u32) -> (Option<i64>, i64) {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let wrapped = || {
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & (1u64 << (bits - 1)) != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr)
    {
        (Some(wrapped()), max)
    } else if value < min
        || (bits != 64 && incr < min_incr)
        || (value < 0 && incr < 0 && incr < min_incr)
    {
        (Some(wrapped()), min)
    } else {
        (None, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const I8: FieldType = FieldType {
        signed: true,
        bits: 8,
    };
    const U8: FieldType = FieldType {
        signed: false,
        bits: 8,
    };

    #[test]
    fn bits_are_numbered_from_the_most_significant() {
        let mut s = vec![0u8; 2];
        assert_eq!(set_bit(&mut s, 1, true), 0);
        assert_eq!(set_bit(&mut s, 15, true), 0);
        assert_eq!(s, vec![0x40, 0x01]);
        assert_eq!(get_bit(&s, 1), 1);
        assert_eq!(get_bit(&s, 100), 0);
        assert_eq!(set_bit(&mut s, 1, false), 1);
    }

    #[test]
    fn counting_respects_partial_edge_bytes() {
        let s = b"foobar";
        assert_eq!(count_bits(s, 0, 47), 26);
        let (a, b) = bit_range(6, 1, 1, false).unwrap();
        assert_eq!(count_bits(s, a, b), 6);
        let (a, b) = bit_range(6, 5, 30, true).unwrap();
        assert_eq!(count_bits(s, a, b), 17);
        assert_eq!(bit_range(6, 5, 1, false), None);
        assert_eq!(bit_range(0, 0, -1, false), None);
        assert_eq!(bit_range(6, -100, 100, false), Some((0, 47)));
    }

    #[test]
    fn searching_finds_the_first_matching_bit() {
        let s = [0xFFu8, 0xF0, 0x00];
        assert_eq!(find_bit(&s, 0, 23, 0), Some(12));
        assert_eq!(find_bit(&s, 0, 23, 1), Some(0));
        assert_eq!(find_bit(&s, 16, 23, 1), None);
        assert_eq!(find_bit(&s, 3, 7, 0), None);
    }

    #[test]
    fn bitop_pads_short_sources_with_zeros() {
        let (a, b): (&[u8], &[u8]) = (b"\xff\x0f", b"\x0f");
        assert_eq!(bitop(BitOp::And, &[a, b]), vec![0x0f, 0x00]);
        assert_eq!(bitop(BitOp::Or, &[a, b]), vec![0xff, 0x0f]);
        assert_eq!(bitop(BitOp::Xor, &[a, b]), vec![0xf0, 0x0f]);
        assert_eq!(bitop(BitOp::Not, &[a]), vec![0x00, 0xf0]);
    }

    #[test]
    fn fields_read_and_write_across_bytes() {
        let mut s = vec![0u8; 3];
        set_field(&mut s, 4, 12, 0xABC);
        assert_eq!(s, vec![0x0A, 0xBC, 0x00]);
        assert_eq!(get_field(&s, 4, 12), 0xABC);
        let t = FieldType {
            signed: true,
            bits: 4,
        };
        assert_eq!(t.read(&s, 8), -5);
        assert_eq!(I8.read(&[0x80], 0), -128);
        assert_eq!(U8.read(&[0x80], 0), 128);
    }

    #[test]
    fn overflow_modes_wrap_saturate_or_fail() {
        assert_eq!(U8.fit(250, 10, Overflow::Wrap), Some(4));
        assert_eq!(U8.fit(250, 10, Overflow::Sat), Some(255));
        assert_eq!(U8.fit(250, 10, Overflow::Fail), None);
        assert_eq!(U8.fit(5, -10, Overflow::Sat), Some(0));
        assert_eq!(U8.fit(5, -10, Overflow::Wrap), Some(251));
        assert_eq!(U8.fit(-1, 0, Overflow::Sat), Some(255));
        assert_eq!(I8.fit(120, 10, Overflow::Wrap), Some(-126));
        assert_eq!(I8.fit(120, 10, Overflow::Sat), Some(127));
        assert_eq!(I8.fit(-120, -10, Overflow::Sat), Some(-128));
        assert_eq!(I8.fit(-120, -10, Overflow::Fail), None);
        assert_eq!(I8.fit(100, 20, Overflow::Fail), Some(120));
        let i64t = FieldType {
            signed: true,
            bits: 64,
        };
        assert_eq!(i64t.fit(i64::MAX, 1, Overflow::Wrap), Some(i64::MIN));
        assert_eq!(i64t.fit(i64::MAX, 1, Overflow::Sat), Some(i64::MAX));
        assert_eq!(i64t.fit(i64::MIN, -1, Overflow::Sat), Some(i64::MIN));
    }
}

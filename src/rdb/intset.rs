//! Intsets: the blob of a set of integers (type 11).
//!
//! Owns: a validating decoder and an encoder of the intset byte format.
//!
//! ```text
//! u32 LE width (2, 4 or 8) | u32 LE count | count integers of that width, LE, strictly ascending
//! ```

use super::error::BlobError;

fn err(at: usize, what: &'static str) -> BlobError {
    BlobError::new("intset", at, what)
}

/// Validates `blob` and returns its members, ascending.
pub fn decode(blob: &[u8]) -> Result<Vec<i64>, BlobError> {
    if blob.len() < 8 {
        return Err(err(0, "shorter than an intset header"));
    }
    let width = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err(err(0, "invalid integer width"));
    }
    let count = u32::from_le_bytes([blob[4], blob[5], blob[6], blob[7]]) as usize;
    if count.checked_mul(width).and_then(|b| b.checked_add(8)) != Some(blob.len()) {
        return Err(err(4, "count does not match the blob size"));
    }
    if count == 0 {
        return Err(err(4, "empty intset"));
    }
    let mut out: Vec<i64> = Vec::with_capacity(count);
    for (i, c) in blob[8..].chunks_exact(width).enumerate() {
        let v = match width {
            2 => i64::from(i16::from_le_bytes([c[0], c[1]])),
            4 => i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            _ => i64::from_le_bytes(c.try_into().expect("eight bytes")),
        };
        if out.last().is_some_and(|&prev| prev >= v) {
            return Err(err(
                8 + i * width,
                "members not in strictly ascending order",
            ));
        }
        out.push(v);
    }
    Ok(out)
}

/// The intset of `members` (ascending, distinct) at `width` bytes each (2, 4 or 8, wide
/// enough for every member).
pub fn encode(members: impl ExactSizeIterator<Item = i64>, width: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + members.len() * width);
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(members.len() as u32).to_le_bytes());
    for m in members {
        match width {
            2 => out.extend_from_slice(&(m as i16).to_le_bytes()),
            4 => out.extend_from_slice(&(m as i32).to_le_bytes()),
            _ => out.extend_from_slice(&m.to_le_bytes()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_at_each_width() {
        for (members, width) in [
            (vec![-3, 0, 7], 2),
            (vec![-70_000, 1, 70_000], 4),
            (vec![i64::MIN, 0, i64::MAX], 8),
        ] {
            let blob = encode(members.iter().copied(), width);
            assert_eq!(blob.len(), 8 + members.len() * width);
            assert_eq!(decode(&blob).unwrap(), members);
        }
    }

    #[test]
    fn corruptions_are_located() {
        let good = encode([1i64, 2, 3].into_iter(), 2);
        let mutate = |i: usize, v: u8| {
            let mut b = good.clone();
            b[i] = v;
            b
        };
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (good[..6].to_vec(), "shorter than an intset header"),
            (mutate(0, 3), "invalid integer width"),
            (mutate(4, 4), "count does not match"),
            (good[..13].to_vec(), "count does not match"),
            (mutate(10, 1), "strictly ascending"),
            (encode(std::iter::empty(), 2), "empty intset"),
        ];
        for (blob, what) in cases {
            let e = decode(&blob).unwrap_err();
            assert!(e.to_string().contains(what), "{e} (wanted {what})");
        }
    }
}

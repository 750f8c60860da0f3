//! Zipmaps: the hash blob of Redis 2.x files (type 9). Read only.
//!
//! Owns: a validating decoder of the zipmap byte format.
//!
//! ```text
//! zmlen (1 byte; 254 or more = unknown) | entries… | 0xFF
//! entry = len field | field | len value | free (1 byte) | value | free bytes
//! len = 1 byte when < 254, else 0xFE + u32 (host order, little-endian in practice)
//! ```

use super::error::BlobError;

/// A field and its value, borrowed from the blob.
pub type Pair<'a> = (&'a [u8], &'a [u8]);

/// The "too many to count" length byte.
const BIGLEN: u8 = 254;
/// The end marker.
const END: u8 = 0xff;

fn err(at: usize, what: &'static str) -> BlobError {
    BlobError::new("zipmap", at, what)
}

/// Validates `zm` and returns its field/value pairs in order.
pub fn decode(zm: &[u8]) -> Result<Vec<Pair<'_>>, BlobError> {
    if zm.len() < 2 {
        return Err(err(0, "shorter than a zipmap"));
    }
    let last = zm.len() - 1;
    if zm[last] != END {
        return Err(err(last, "missing end marker"));
    }
    let mut out = Vec::new();
    let mut p = 1;
    while zm[p] != END {
        let (flen, at) = length_at(zm, p, last)?;
        let field = slice(zm, at, flen, last)?;
        p = at + flen;
        let (vlen, at) = length_at(zm, p, last)?;
        if at >= last {
            return Err(err(p, "entry runs past the end marker"));
        }
        let free = usize::from(zm[at]);
        let value = slice(zm, at + 1, vlen, last)?;
        p = at + 1 + vlen;
        if p.checked_add(free).filter(|&e| e <= last).is_none() {
            return Err(err(at, "free space runs past the end marker"));
        }
        p += free;
        out.push((field, value));
    }
    if out.is_empty() {
        return Err(err(0, "empty zipmap"));
    }
    if zm[0] != BIGLEN && usize::from(zm[0]) != out.len() {
        return Err(err(0, "zmlen header does not match the entries"));
    }
    Ok(out)
}

/// The length field at `p`: its value and where the data after it starts.
fn length_at(zm: &[u8], p: usize, last: usize) -> Result<(usize, usize), BlobError> {
    match zm[p] {
        b if b < BIGLEN => Ok((usize::from(b), p + 1)),
        BIGLEN if p + 5 <= last => {
            let v = u32::from_le_bytes([zm[p + 1], zm[p + 2], zm[p + 3], zm[p + 4]]);
            Ok((v as usize, p + 5))
        }
        BIGLEN => Err(err(p, "length runs past the end marker")),
        _ => Err(err(p, "end marker inside an entry")),
    }
}

/// `zm[at..at + len]`, when it ends before the end marker.
fn slice(zm: &[u8], at: usize, len: usize, last: usize) -> Result<&[u8], BlobError> {
    at.checked_add(len)
        .filter(|&end| end <= last)
        .map(|end| &zm[at..end])
        .ok_or_else(|| err(at, "entry runs past the end marker"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A zipmap of `pairs` as Redis 2.x writes one (one free byte after each value).
    pub(crate) fn build(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut zm = vec![pairs.len().min(254) as u8];
        let len = |zm: &mut Vec<u8>, n: usize| {
            if n < 254 {
                zm.push(n as u8);
            } else {
                zm.push(BIGLEN);
                zm.extend_from_slice(&(n as u32).to_le_bytes());
            }
        };
        for (f, v) in pairs {
            len(&mut zm, f.len());
            zm.extend_from_slice(f);
            len(&mut zm, v.len());
            zm.push(1);
            zm.extend_from_slice(v);
            zm.push(0);
        }
        zm.push(END);
        zm
    }

    #[test]
    fn pairs_round_trip() {
        let long = vec![b'v'; 300];
        let zm = build(&[(b"a", b"1"), (b"field", &long)]);
        assert_eq!(
            decode(&zm).unwrap(),
            [(&b"a"[..], &b"1"[..]), (b"field", &long)]
        );
    }

    #[test]
    fn corruptions_are_located() {
        let good = build(&[(b"a", b"1")]);
        let mutate = |i: usize, v: u8| {
            let mut b = good.clone();
            b[i] = v;
            b
        };
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![0], "shorter than a zipmap"),
            (mutate(good.len() - 1, 0), "missing end marker"),
            (mutate(0, 3), "zmlen header"),
            (mutate(1, 40), "runs past the end marker"),
            (mutate(4, 9), "free space runs past"),
            (vec![0, END], "empty zipmap"),
        ];
        for (blob, what) in cases {
            let e = decode(&blob).unwrap_err();
            assert!(e.to_string().contains(what), "{e} (wanted {what})");
        }
    }
}

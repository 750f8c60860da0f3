//! Ziplists: the compact container of Redis before 7.0 (list, hash and sorted-set types 10, 12,
//! 13, and the nodes of type 14). Read only: Redis 7 never writes them, and neither does Tessera.
//!
//! Owns: a validating decoder of the ziplist byte format.
//!
//! ```text
//! u32 LE zlbytes | u32 LE zltail (offset of the last entry) | u16 LE zllen (0xFFFF = unknown)
//! entries… | 0xFF
//! entry = prevlen (1 byte if < 254, else 0xFE + u32 LE) | encoding | data
//! encoding: 00pppppp, 01pppppp qqqqqqqq (big-endian), 10xxxxxx + u32 BE: strings;
//!           0xC0 i16, 0xD0 i32, 0xE0 i64, 0xF0 i24, 0xFE i8 (LE); 0xF1..0xFD immediate 0..12
//! ```
//!
//! Everything Redis's deep sanitisation checks is checked: sizes, each prevlen against the
//! previous entry, the tail offset, the end marker and the count.

use super::error::BlobError;
use super::listpack::LpElem;

/// Header size: zlbytes, zltail, zllen.
const HEADER: usize = 10;
/// The end marker.
const END: u8 = 0xff;

fn err(at: usize, what: &'static str) -> BlobError {
    BlobError::new("ziplist", at, what)
}

/// Validates `zl` and returns its elements in order.
pub fn decode(zl: &[u8]) -> Result<Vec<LpElem<'_>>, BlobError> {
    if zl.len() < HEADER + 1 {
        return Err(err(0, "shorter than a ziplist header"));
    }
    let word = |i: usize| u32::from_le_bytes([zl[i], zl[i + 1], zl[i + 2], zl[i + 3]]) as usize;
    if word(0) != zl.len() {
        return Err(err(0, "zlbytes header does not match the blob size"));
    }
    let last = zl.len() - 1;
    if zl[last] != END {
        return Err(err(last, "missing end marker"));
    }
    let tail = word(4);
    if tail > last {
        return Err(err(4, "tail offset past the end"));
    }
    let count = u16::from_le_bytes([zl[8], zl[9]]);
    let mut out = Vec::with_capacity(usize::from(count).min(zl.len() / 2));
    let mut p = HEADER;
    let mut prev_size = 0;
    let mut prev_at = None;
    while zl[p] != END {
        let (size, elem) = entry_at(zl, p, last)?;
        let (prevlen, _) = prevlen_at(zl, p, last)?;
        if prevlen != prev_size {
            return Err(err(p, "prevlen does not match the previous entry"));
        }
        out.push(elem);
        prev_size = size;
        prev_at = Some(p);
        p += size;
    }
    if p != last {
        return Err(err(p, "end marker before the last byte"));
    }
    if let Some(at) = prev_at {
        if at != tail {
            return Err(err(4, "tail offset does not point at the last entry"));
        }
    }
    if count != u16::MAX && usize::from(count) != out.len() {
        return Err(err(8, "zllen header does not match the entries"));
    }
    Ok(out)
}

/// The prevlen field at `p`: its value and its size.
fn prevlen_at(zl: &[u8], p: usize, last: usize) -> Result<(usize, usize), BlobError> {
    if zl[p] < 0xfe {
        return Ok((usize::from(zl[p]), 1));
    }
    if p + 5 > last {
        return Err(err(p, "entry header runs past the end"));
    }
    let v = u32::from_le_bytes([zl[p + 1], zl[p + 2], zl[p + 3], zl[p + 4]]);
    Ok((v as usize, 5))
}

/// Decodes the entry at `p`: its whole size (prevlen, encoding and data) and its element.
fn entry_at(zl: &[u8], p: usize, last: usize) -> Result<(usize, LpElem<'_>), BlobError> {
    let (_, pl) = prevlen_at(zl, p, last)?;
    let e = p + pl;
    if e >= last {
        return Err(err(p, "entry header runs past the end"));
    }
    let enc = zl[e];
    // (bytes of the encoding field, bytes of data, is it a string)
    let (enc_len, data_len, string) = match enc >> 6 {
        0 => (1, usize::from(enc & 0x3f), true),
        1 => {
            if e + 2 > last {
                return Err(err(e, "entry header runs past the end"));
            }
            (
                2,
                (usize::from(enc & 0x3f) << 8) | usize::from(zl[e + 1]),
                true,
            )
        }
        2 => {
            if e + 5 > last {
                return Err(err(e, "entry header runs past the end"));
            }
            let n = u32::from_be_bytes([zl[e + 1], zl[e + 2], zl[e + 3], zl[e + 4]]);
            (5, n as usize, true)
        }
        _ => match enc {
            0xc0 => (1, 2, false),
            0xd0 => (1, 4, false),
            0xe0 => (1, 8, false),
            0xf0 => (1, 3, false),
            0xfe => (1, 1, false),
            0xf1..=0xfd => (1, 0, false),
            _ => return Err(err(e, "invalid entry encoding")),
        },
    };
    let data = e + enc_len;
    let end = data
        .checked_add(data_len)
        .filter(|&end| end <= last)
        .ok_or_else(|| err(p, "entry runs past the end marker"))?;
    let d = &zl[data..end];
    let elem = if string {
        LpElem::Str(d)
    } else {
        LpElem::Int(match enc {
            0xc0 => i64::from(i16::from_le_bytes([d[0], d[1]])),
            0xd0 => i64::from(i32::from_le_bytes([d[0], d[1], d[2], d[3]])),
            0xe0 => i64::from_le_bytes(d.try_into().expect("eight bytes")),
            0xf0 => i64::from(i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8),
            0xfe => i64::from(d[0] as i8),
            imm => i64::from(imm & 0x0f) - 1,
        })
    };
    Ok((end - p, elem))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A ziplist of `items` as Redis 6 builds one (strings that are integers stored as integers
    /// in the smallest form), for tests of the ziplist types.
    pub(crate) fn build(items: &[&[u8]]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        let mut tail = HEADER;
        for item in items {
            let start = body.len();
            tail = HEADER + start;
            if prev < 254 {
                body.push(prev as u8);
            } else {
                body.push(0xfe);
                body.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            match crate::storage::value::parse_canonical_i64(item) {
                Some(n @ 0..=12) => body.push(0xf1 + n as u8),
                Some(n) if i8::try_from(n).is_ok() => body.extend_from_slice(&[0xfe, n as u8]),
                Some(n) if i16::try_from(n).is_ok() => {
                    body.push(0xc0);
                    body.extend_from_slice(&(n as i16).to_le_bytes());
                }
                Some(n) if (-(1 << 23)..1 << 23).contains(&n) => {
                    body.push(0xf0);
                    body.extend_from_slice(&(n as i32).to_le_bytes()[..3]);
                }
                Some(n) if i32::try_from(n).is_ok() => {
                    body.push(0xd0);
                    body.extend_from_slice(&(n as i32).to_le_bytes());
                }
                Some(n) => {
                    body.push(0xe0);
                    body.extend_from_slice(&n.to_le_bytes());
                }
                None if item.len() < 64 => {
                    body.push(item.len() as u8);
                    body.extend_from_slice(item);
                }
                None if item.len() < 16384 => {
                    body.push(0x40 | (item.len() >> 8) as u8);
                    body.push(item.len() as u8);
                    body.extend_from_slice(item);
                }
                None => {
                    body.push(0x80);
                    body.extend_from_slice(&(item.len() as u32).to_be_bytes());
                    body.extend_from_slice(item);
                }
            }
            prev = body.len() - start;
        }
        let mut zl = Vec::new();
        zl.extend_from_slice(&((HEADER + body.len() + 1) as u32).to_le_bytes());
        zl.extend_from_slice(&(tail as u32).to_le_bytes());
        zl.extend_from_slice(&(items.len().min(65535) as u16).to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(END);
        zl
    }

    #[test]
    fn reads_the_example_from_the_format_notes() {
        let zl = [
            0x0f, 0, 0, 0, 0x0c, 0, 0, 0, 0x02, 0, 0x00, 0xf3, 0x02, 0xf6, 0xff,
        ];
        assert_eq!(decode(&zl).unwrap(), [LpElem::Int(2), LpElem::Int(5)]);
    }

    #[test]
    fn every_encoding_round_trips() {
        let long = vec![b'L'; 300];
        let huge = vec![b'H'; 20_000];
        let items: Vec<&[u8]> = vec![
            b"0",
            b"12",
            b"13",
            b"-128",
            b"1000",
            b"-70000",
            b"8388608",
            b"3000000000",
            b"abc",
            b"",
            &long,
            &huge,
            b"x",
        ];
        let zl = build(&items);
        let got: Vec<bytes::Bytes> = decode(&zl)
            .unwrap()
            .into_iter()
            .map(LpElem::to_bytes)
            .collect();
        let want: Vec<bytes::Bytes> = items
            .iter()
            .map(|i| bytes::Bytes::copy_from_slice(i))
            .collect();
        assert_eq!(got, want);
        assert!(decode(&build(&[])).unwrap().is_empty());
    }

    #[test]
    fn corruptions_are_located() {
        let good = build(&[b"hello", b"7", b"world"]);
        let mutate = |i: usize, v: u8| {
            let mut b = good.clone();
            b[i] = v;
            b
        };
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (good[..8].to_vec(), "shorter than a ziplist header"),
            (mutate(0, 99), "zlbytes header"),
            (mutate(good.len() - 1, 0), "missing end marker"),
            (mutate(4, 200), "tail offset past the end"),
            (mutate(4, 10), "tail offset does not point"),
            (mutate(8, 9), "zllen header"),
            (mutate(17, 3), "prevlen does not match"),
            (mutate(11, 0x3f), "runs past the end marker"),
            (mutate(11, 0xc5), "invalid entry encoding"),
        ];
        for (blob, what) in cases {
            let e = decode(&blob).unwrap_err();
            assert!(e.to_string().contains(what), "{e} (wanted {what})");
        }
    }
}

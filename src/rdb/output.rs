//! The byte sink of the writer: RDB primitives written to any `Write`.
//!
//! Owns: `Output`, a 64 KiB staging buffer in front of the caller's writer (so that a snapshot
//! is written in large pieces and never held whole), the running CRC of everything written, and
//! the encoders of the primitives, chosen exactly as Redis 7.0 chooses them: the shortest
//! length form, strings as integers when they are canonical decimal integers of at most 11
//! bytes that fit in 32 bits, and LZF for strings over 20 bytes when compression is on and saves
//! at least four bytes.

use std::io::{self, Write};

use super::crc64::Crc64;
use super::lzf;
use crate::storage::value::parse_canonical_i64;

/// Staging buffer size: output reaches the writer in pieces of about this size.
const STAGE: usize = 64 * 1024;

/// An RDB byte sink.
pub struct Output<W: Write> {
    inner: W,
    buf: Vec<u8>,
    crc: Option<Crc64>,
    written: u64,
    compress: bool,
}

impl<W: Write> Output<W> {
    /// Writes to `inner`; keeps a CRC when `checksum` is set; compresses long strings with LZF
    /// when `compress` is set.
    pub fn new(inner: W, checksum: bool, compress: bool) -> Output<W> {
        Output {
            inner,
            buf: Vec::with_capacity(STAGE),
            crc: checksum.then(Crc64::new),
            written: 0,
            compress,
        }
    }

    /// Bytes written so far (staged or not).
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The CRC of everything written so far; 0 when no CRC is kept (what Redis writes with
    /// `rdbchecksum no`).
    pub fn crc(&self) -> u64 {
        self.crc.as_ref().map_or(0, Crc64::value)
    }

    /// Hands the staged bytes to the writer.
    pub fn flush_stage(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.inner.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Flushes everything and returns the writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.flush_stage()?;
        self.inner.flush()?;
        Ok(self.inner)
    }

    /// Writes `b` as is.
    pub fn put(&mut self, b: &[u8]) -> io::Result<()> {
        if let Some(crc) = &mut self.crc {
            crc.update(b);
        }
        self.written += b.len() as u64;
        if self.buf.len() + b.len() > STAGE {
            self.flush_stage()?;
        }
        if b.len() >= STAGE {
            self.inner.write_all(b)
        } else {
            self.buf.extend_from_slice(b);
            Ok(())
        }
    }

    /// Writes `b` without feeding the CRC (the trailer).
    pub fn put_uncounted(&mut self, b: &[u8]) -> io::Result<()> {
        let crc = self.crc.take();
        let r = self.put(b);
        self.crc = crc;
        r
    }

    /// One byte.
    pub fn u8(&mut self, b: u8) -> io::Result<()> {
        self.put(&[b])
    }

    /// A little-endian i64 (expiry and stream times).
    pub fn i64_le(&mut self, n: i64) -> io::Result<()> {
        self.put(&n.to_le_bytes())
    }

    /// An IEEE-754 binary64, little-endian.
    pub fn binary_double(&mut self, d: f64) -> io::Result<()> {
        self.put(&d.to_le_bytes())
    }

    /// A length field in its shortest form.
    pub fn len(&mut self, n: u64) -> io::Result<()> {
        let mut b = [0u8; 9];
        let k = encode_len(n, &mut b);
        self.put(&b[..k])
    }

    /// An RDB string, encoded as Redis's `rdbSaveRawString` encodes it.
    pub fn string(&mut self, s: &[u8]) -> io::Result<()> {
        if s.len() <= 11 {
            if let Some(enc) = parse_canonical_i64(s).and_then(int_encoding) {
                return self.put(&enc.0[..enc.1]);
            }
        }
        if self.compress && s.len() > 20 {
            if let Some(packed) = lzf::compress(s, s.len() - 4) {
                self.u8(0xc3)?;
                self.len(packed.len() as u64)?;
                self.len(s.len() as u64)?;
                return self.put(&packed);
            }
        }
        self.len(s.len() as u64)?;
        self.put(s)
    }
}

/// Writes the shortest length form of `n` into `b`; returns its size.
pub fn encode_len(n: u64, b: &mut [u8; 9]) -> usize {
    if n < 1 << 6 {
        b[0] = n as u8;
        1
    } else if n < 1 << 14 {
        b[0] = 0x40 | (n >> 8) as u8;
        b[1] = n as u8;
        2
    } else if n <= u64::from(u32::MAX) {
        b[0] = 0x80;
        b[1..5].copy_from_slice(&(n as u32).to_be_bytes());
        5
    } else {
        b[0] = 0x81;
        b[1..9].copy_from_slice(&n.to_be_bytes());
        9
    }
}

/// The integer string encoding of `n` (`0xC0` int8, `0xC1` int16, `0xC2` int32), when it fits.
fn int_encoding(n: i64) -> Option<([u8; 5], usize)> {
    let mut b = [0u8; 5];
    if let Ok(x) = i8::try_from(n) {
        b[0] = 0xc0;
        b[1] = x as u8;
        Some((b, 2))
    } else if let Ok(x) = i16::try_from(n) {
        b[0] = 0xc1;
        b[1..3].copy_from_slice(&x.to_le_bytes());
        Some((b, 3))
    } else if let Ok(x) = i32::try_from(n) {
        b[0] = 0xc2;
        b[1..5].copy_from_slice(&x.to_le_bytes());
        Some((b, 5))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut Output<Vec<u8>>) -> io::Result<()>, compress: bool) -> Vec<u8> {
        let mut o = Output::new(Vec::new(), true, compress);
        f(&mut o).unwrap();
        o.into_inner().unwrap()
    }

    #[test]
    fn lengths_take_the_shortest_form() {
        assert_eq!(written(|o| o.len(63), false), [0x3f]);
        assert_eq!(written(|o| o.len(64), false), [0x40, 0x40]);
        assert_eq!(written(|o| o.len(16383), false), [0x7f, 0xff]);
        assert_eq!(written(|o| o.len(16384), false), [0x80, 0, 0, 0x40, 0]);
        assert_eq!(
            written(|o| o.len(1 << 32), false),
            [0x81, 0, 0, 0, 1, 0, 0, 0, 0]
        );
    }

    #[test]
    fn strings_are_encoded_as_redis_encodes_them() {
        assert_eq!(written(|o| o.string(b"-5"), false), [0xc0, 0xfb]);
        assert_eq!(written(|o| o.string(b"12345"), false), [0xc1, 0x39, 0x30]);
        assert_eq!(
            written(|o| o.string(b"2147483647"), false),
            [0xc2, 0xff, 0xff, 0xff, 0x7f]
        );
        assert_eq!(
            written(|o| o.string(b"2147483648"), false),
            b"\x0a2147483648".to_vec()
        );
        assert_eq!(written(|o| o.string(b"007"), false), b"\x03007".to_vec());
        let forty = vec![b'a'; 40];
        assert_eq!(written(|o| o.string(&forty), false)[0], 40);
        let packed = written(|o| o.string(&forty), true);
        assert_eq!(&packed[..3], &[0xc3, 9, 40]);
        let mut back = super::super::input::Input::new(&packed[..], false);
        assert_eq!(back.string().unwrap(), forty);
        let twenty = vec![b'a'; 20];
        assert_eq!(written(|o| o.string(&twenty), true)[0], 20);
    }

    #[test]
    fn large_writes_pass_through_and_the_crc_covers_all() {
        let big = vec![7u8; 200_000];
        let out = written(
            |o| {
                o.put(b"REDIS")?;
                o.put(&big)?;
                o.put(b"!")?;
                assert_eq!(o.written(), 200_006);
                assert_eq!(
                    o.crc(),
                    super::super::crc64::crc64(&[b"REDIS".as_slice(), &big, b"!"].concat())
                );
                Ok(())
            },
            false,
        );
        assert_eq!(out.len(), 200_006);
        assert_eq!(&out[..5], b"REDIS");
        assert_eq!(out[200_005], b'!');
    }
}

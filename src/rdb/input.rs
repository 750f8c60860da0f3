//! The byte source of the reader: RDB primitives read from a `BufRead`.
//!
//! Owns: `Input`, which counts the offset of every byte it consumes (for error messages), feeds
//! them to the running CRC, and decodes the primitives: lengths, strings (plain, integer and LZF
//! encoded), doubles and little-endian integers. Reads straight out of the caller's buffer, and
//! never reserves memory from a length it has not seen the bytes of: a string declared as 4 GiB
//! on a truncated stream fails at the end of the stream, having held only what arrived.

use std::io::BufRead;

use super::crc64::Crc64;
use super::error::{RdbError, RdbErrorKind};
use super::lzf;

/// Largest piece reserved ahead of the bytes that fill it.
const RESERVE_STEP: usize = 64 * 1024;

/// What a length field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Len {
    /// A plain length.
    Plain(u64),
    /// A special string encoding (`11xxxxxx`): 0-2 integers, 3 LZF.
    Special(u8),
}

/// An RDB byte source.
pub struct Input<R> {
    inner: R,
    offset: u64,
    crc: Option<Crc64>,
}

/// Shorthand for this module's results.
pub type Result<T> = std::result::Result<T, RdbError>;

impl<R: BufRead> Input<R> {
    /// Reads from `inner`; keeps a CRC of what it reads when `checksum` is set.
    pub fn new(inner: R, checksum: bool) -> Input<R> {
        Input {
            inner,
            offset: 0,
            crc: checksum.then(Crc64::new),
        }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The CRC of the bytes consumed so far, when one is kept.
    pub fn crc(&self) -> Option<u64> {
        self.crc.as_ref().map(Crc64::value)
    }

    /// Stops feeding the CRC (before the trailer, which the CRC does not cover).
    pub fn stop_crc(&mut self) {
        self.crc = None;
    }

    /// The source, positioned right after the last byte consumed.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// A corruption error at `offset`.
    pub fn corrupt_at(
        &self,
        offset: u64,
        what: impl Into<std::borrow::Cow<'static, str>>,
    ) -> RdbError {
        RdbError::corrupt(offset, what)
    }

    fn io_error(&self, e: std::io::Error) -> RdbError {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            RdbError::new(self.offset, RdbErrorKind::Truncated)
        } else {
            RdbError::new(self.offset, RdbErrorKind::Io(e))
        }
    }

    /// Hands up to `max` buffered bytes to `take`, consuming them; errors at the end of input.
    fn chunk(&mut self, max: usize, take: &mut dyn FnMut(&[u8])) -> Result<usize> {
        let avail = loop {
            match self.inner.fill_buf() {
                Ok(b) => break b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io_error(e)),
            }
        };
        if avail.is_empty() {
            return Err(RdbError::new(self.offset, RdbErrorKind::Truncated));
        }
        let n = avail.len().min(max);
        let piece = &avail[..n];
        if let Some(crc) = &mut self.crc {
            crc.update(piece);
        }
        take(piece);
        self.inner.consume(n);
        self.offset += n as u64;
        Ok(n)
    }

    /// Fills `buf` exactly.
    pub fn exact(&mut self, buf: &mut [u8]) -> Result<()> {
        let mut filled = 0;
        while filled < buf.len() {
            let want = buf.len() - filled;
            let dst = &mut buf[filled..];
            filled += self.chunk(want, &mut |b| dst[..b.len()].copy_from_slice(b))?;
        }
        Ok(())
    }

    /// `n` bytes into a vector that grows as they arrive.
    pub fn bytes(&mut self, n: u64) -> Result<Vec<u8>> {
        let start = self.offset;
        let n = usize::try_from(n)
            .map_err(|_| self.corrupt_at(start, "length does not fit in memory"))?;
        let mut out = Vec::new();
        while out.len() < n {
            let want = n - out.len();
            out.reserve(want.min(RESERVE_STEP.max(out.len())));
            self.chunk(want, &mut |b| out.extend_from_slice(b))?;
        }
        Ok(out)
    }

    /// Consumes `n` bytes without keeping them.
    pub fn skip(&mut self, mut n: u64) -> Result<()> {
        while n > 0 {
            let want = usize::try_from(n).unwrap_or(usize::MAX);
            n -= self.chunk(want, &mut |_| {})? as u64;
        }
        Ok(())
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8> {
        let mut b = [0u8; 1];
        self.exact(&mut b)?;
        Ok(b[0])
    }

    /// A little-endian u32.
    pub fn u32_le(&mut self) -> Result<u32> {
        let mut b = [0u8; 4];
        self.exact(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// A little-endian i32.
    pub fn i32_le(&mut self) -> Result<i32> {
        Ok(self.u32_le()? as i32)
    }

    /// A little-endian u64.
    pub fn u64_le(&mut self) -> Result<u64> {
        let mut b = [0u8; 8];
        self.exact(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// A little-endian i64 (expiry and stream times).
    pub fn i64_le(&mut self) -> Result<i64> {
        Ok(self.u64_le()? as i64)
    }

    /// An IEEE-754 binary64, little-endian (ZSET_2 scores).
    pub fn binary_double(&mut self) -> Result<f64> {
        Ok(f64::from_bits(self.u64_le()?))
    }

    /// A length field, or a special string encoding.
    pub fn len_or_special(&mut self) -> Result<Len> {
        let at = self.offset;
        let b = self.u8()?;
        Ok(match b >> 6 {
            0 => Len::Plain(u64::from(b & 0x3f)),
            1 => Len::Plain((u64::from(b & 0x3f) << 8) | u64::from(self.u8()?)),
            3 => Len::Special(b & 0x3f),
            _ => match b {
                0x80 => {
                    let mut be = [0u8; 4];
                    self.exact(&mut be)?;
                    Len::Plain(u64::from(u32::from_be_bytes(be)))
                }
                0x81 => {
                    let mut be = [0u8; 8];
                    self.exact(&mut be)?;
                    Len::Plain(u64::from_be_bytes(be))
                }
                _ => return Err(self.corrupt_at(at, format!("unknown length encoding {b:#04x}"))),
            },
        })
    }

    /// A length field.
    pub fn len(&mut self) -> Result<u64> {
        let at = self.offset;
        match self.len_or_special()? {
            Len::Plain(n) => Ok(n),
            Len::Special(_) => Err(self.corrupt_at(at, "string encoding where a length belongs")),
        }
    }

    /// An RDB string: plain, an integer in text form, or LZF-compressed.
    pub fn string(&mut self) -> Result<Vec<u8>> {
        let at = self.offset;
        match self.len_or_special()? {
            Len::Plain(n) => self.bytes(n),
            Len::Special(0) => Ok(decimal(i64::from(self.u8()? as i8))),
            Len::Special(1) => {
                let mut b = [0u8; 2];
                self.exact(&mut b)?;
                Ok(decimal(i64::from(i16::from_le_bytes(b))))
            }
            Len::Special(2) => Ok(decimal(i64::from(self.i32_le()?))),
            Len::Special(3) => {
                let clen = self.len()?;
                let ulen = self.len()?;
                if ulen > clen.saturating_mul(lzf::MAX_EXPANSION as u64) {
                    return Err(self.corrupt_at(at, "LZF string longer than its data can hold"));
                }
                let packed = self.bytes(clen)?;
                let ulen = usize::try_from(ulen).expect("bounded by a length held in memory");
                lzf::decompress(&packed, ulen)
                    .map_err(|e| self.corrupt_at(at, format!("invalid LZF string: {e}")))
            }
            Len::Special(k) => Err(self.corrupt_at(at, format!("unknown string encoding {k}"))),
        }
    }

    /// Consumes an RDB string without keeping it (compressed ones are not decompressed).
    pub fn skip_string(&mut self) -> Result<()> {
        let at = self.offset;
        match self.len_or_special()? {
            Len::Plain(n) => self.skip(n),
            Len::Special(0) => self.skip(1),
            Len::Special(1) => self.skip(2),
            Len::Special(2) => self.skip(4),
            Len::Special(3) => {
                let clen = self.len()?;
                self.len()?;
                self.skip(clen)
            }
            Len::Special(k) => Err(self.corrupt_at(at, format!("unknown string encoding {k}"))),
        }
    }

    /// A double in the legacy text form (ZSET type 3): a length byte, 253/254/255 for NaN,
    /// +inf and -inf, else that many bytes of `%.17g` text.
    pub fn text_double(&mut self) -> Result<f64> {
        let at = self.offset;
        let len = self.u8()?;
        match len {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let text = self.bytes(u64::from(n))?;
                parse_score(&text).ok_or_else(|| self.corrupt_at(at, "score is not a number"))
            }
        }
    }
}

/// The decimal text of `n`.
fn decimal(n: i64) -> Vec<u8> {
    itoa::Buffer::new().format(n).as_bytes().to_vec()
}

/// Parses a score written as text (`%.17g`, an integer, `inf`, `-inf`), as `strtod` would read
/// it; `None` when it is not a number. NaN is returned as NaN: the caller refuses it.
pub fn parse_score(text: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(text).ok()?;
    let s = s.trim_end_matches('\0').trim();
    match s.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(bytes: &[u8]) -> Input<&[u8]> {
        Input::new(bytes, true)
    }

    #[test]
    fn lengths_in_every_width() {
        let mut i = input(&[
            0x05, 0x41, 0x02, 0x80, 0, 1, 0, 0, 0x81, 0, 0, 0, 1, 0, 0, 0, 0,
        ]);
        assert_eq!(i.len().unwrap(), 5);
        assert_eq!(i.len().unwrap(), 0x102);
        assert_eq!(i.len().unwrap(), 0x10000);
        assert_eq!(i.len().unwrap(), 1 << 32);
        assert_eq!(i.offset(), 17);
        let e = input(&[0x82]).len().unwrap_err();
        assert!(
            e.to_string().contains("unknown length encoding 0x82"),
            "{e}"
        );
        assert!(input(&[0xc0, 1]).len().is_err());
    }

    #[test]
    fn strings_plain_integer_and_compressed() {
        let mut i = input(&[
            0x03, b'a', b'b', b'c', 0xc0, 0xfb, 0xc1, 0x39, 0x30, 0xc2, 0x00, 0x00, 0x00, 0x80,
            0xc3, 0x09, 0x28, 0x01, b'a', b'a', 0xe0, 0x1b, 0x00, 0x01, b'a', b'a',
        ]);
        assert_eq!(i.string().unwrap(), b"abc");
        assert_eq!(i.string().unwrap(), b"-5");
        assert_eq!(i.string().unwrap(), b"12345");
        assert_eq!(i.string().unwrap(), b"-2147483648");
        assert_eq!(i.string().unwrap(), vec![b'a'; 40]);
    }

    #[test]
    fn a_huge_declared_string_on_a_short_stream_is_truncation() {
        let e = input(&[0x80, 0xff, 0xff, 0xff, 0xff, b'x'])
            .string()
            .unwrap_err();
        assert!(e.is_truncation());
        assert_eq!(e.offset, 6);
        let e = input(&[0xc3, 0x01, 0x80, 0x10, 0, 0, 0, 0x00])
            .string()
            .unwrap_err();
        assert!(e.to_string().contains("LZF string longer"), "{e}");
    }

    #[test]
    fn text_doubles() {
        let mut i = input(&[3, b'1', b'.', b'5', 253, 254, 255, 2, b'x', b'y']);
        assert_eq!(i.text_double().unwrap(), 1.5);
        assert!(i.text_double().unwrap().is_nan());
        assert_eq!(i.text_double().unwrap(), f64::INFINITY);
        assert_eq!(i.text_double().unwrap(), f64::NEG_INFINITY);
        assert!(i.text_double().is_err());
    }

    #[test]
    fn the_crc_covers_what_was_consumed() {
        let data = b"REDIS0010";
        let mut i = input(data);
        let mut b = [0u8; 9];
        i.exact(&mut b).unwrap();
        assert_eq!(i.crc(), Some(super::super::crc64::crc64(data)));
    }
}

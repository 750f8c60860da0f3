//! What can go wrong reading an RDB stream, and where.
//!
//! Owns: `RdbError`, which names the byte offset (from the first byte of the stream, the `R` of
//! `REDIS`, or of a DUMP payload) at which the reader found the problem, and what the problem
//! is. Inside an encoded blob (a listpack, a ziplist…) the offset is the blob's, and the message
//! gives the position inside the decoded blob.

use std::borrow::Cow;
use std::fmt;

/// Why a stream could not be read.
#[derive(Debug)]
pub enum RdbErrorKind {
    /// The source failed (not an end of input).
    Io(std::io::Error),
    /// The input ended in the middle of something.
    Truncated,
    /// The first five bytes are not `REDIS`.
    BadMagic,
    /// The version is not one this reader knows (1 to its maximum), or not four digits.
    UnsupportedVersion(u32),
    /// The CRC-64 trailer does not match the bytes.
    ChecksumMismatch {
        /// The value stored in the file.
        stored: u64,
        /// The value computed over the file.
        computed: u64,
    },
    /// A SELECTDB names a database the server does not have.
    DbOutOfRange(u64),
    /// The bytes are not a valid encoding of what they claim to be.
    Corrupt(Cow<'static, str>),
    /// Valid data this reader cannot turn into a value (pre-GA module values).
    Unsupported(Cow<'static, str>),
}

/// An error reading an RDB stream: what went wrong and at which byte.
#[derive(Debug)]
pub struct RdbError {
    /// Offset of the byte (or of the start of the item) where the problem was found.
    pub offset: u64,
    /// What went wrong.
    pub kind: RdbErrorKind,
}

impl RdbError {
    /// An error of `kind` at `offset`.
    pub fn new(offset: u64, kind: RdbErrorKind) -> RdbError {
        RdbError { offset, kind }
    }

    /// A corruption at `offset`, described by `what`.
    pub fn corrupt(offset: u64, what: impl Into<Cow<'static, str>>) -> RdbError {
        RdbError::new(offset, RdbErrorKind::Corrupt(what.into()))
    }

    /// True when the input simply ended early (a replica may retry a full sync).
    pub fn is_truncation(&self) -> bool {
        matches!(self.kind, RdbErrorKind::Truncated)
    }
}

impl fmt::Display for RdbErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RdbErrorKind::Io(e) => write!(f, "read failed: {e}"),
            RdbErrorKind::Truncated => f.write_str("unexpected end of input"),
            RdbErrorKind::BadMagic => f.write_str("not an RDB file (no REDIS signature)"),
            RdbErrorKind::UnsupportedVersion(v) => write!(f, "cannot handle RDB version {v}"),
            RdbErrorKind::ChecksumMismatch { stored, computed } => write!(
                f,
                "RDB CRC error: stored {stored:016x}, computed {computed:016x}"
            ),
            RdbErrorKind::DbOutOfRange(db) => {
                write!(f, "DB index {db} is beyond the configured databases")
            }
            RdbErrorKind::Corrupt(what) => write!(f, "corrupt data: {what}"),
            RdbErrorKind::Unsupported(what) => write!(f, "unsupported data: {what}"),
        }
    }
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RDB error at byte {}: {}", self.offset, self.kind)
    }
}

impl std::error::Error for RdbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            RdbErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// A problem inside an encoded blob (listpack, ziplist, intset, zipmap): which kind of blob,
/// the position inside it, and what is wrong. The reader turns it into an [`RdbError`] at the
/// blob's offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobError {
    /// `listpack`, `ziplist`, `intset` or `zipmap`.
    pub blob: &'static str,
    /// Byte position inside the blob.
    pub at: usize,
    /// What is wrong there.
    pub what: &'static str,
}

impl BlobError {
    /// A problem at byte `at` of a `blob`.
    pub fn new(blob: &'static str, at: usize, what: &'static str) -> BlobError {
        BlobError { blob, at, what }
    }

    /// The error at the blob's offset in the stream.
    pub fn at_offset(&self, offset: u64) -> RdbError {
        RdbError::corrupt(offset, self.to_string())
    }
}

impl fmt::Display for BlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} byte {}: {}", self.blob, self.at, self.what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_offset_and_the_cause() {
        let e = RdbError::corrupt(42, "listpack byte 7: bad encoding 0xf7");
        assert_eq!(
            e.to_string(),
            "RDB error at byte 42: corrupt data: listpack byte 7: bad encoding 0xf7"
        );
        let e = RdbError::new(
            9,
            RdbErrorKind::ChecksumMismatch {
                stored: 1,
                computed: 2,
            },
        );
        assert!(e.to_string().contains("RDB CRC error"));
        assert!(RdbError::new(3, RdbErrorKind::Truncated).is_truncation());
    }
}

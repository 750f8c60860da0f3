//! The reply a command produces, independent of the protocol version.
//!
//! Owns: the `Reply` value type. Handlers build a `Reply`; the connection encodes it as RESP2 or
//! RESP3 (`protocol::encoder`), so no handler ever sees the protocol version.

use bytes::Bytes;
use std::borrow::Cow;

use super::error::CmdError;
use crate::storage::inline::InlineBytes;
use crate::storage::str_value::StrValue;

/// One reply to one command, in protocol-neutral form.
#[derive(Debug, Clone)]
pub enum Reply {
    /// `+OK`.
    Ok,
    /// A status line such as `+PONG` (no CR or LF inside).
    Status(Cow<'static, str>),
    /// An error reply; its text comes from `CmdError::message`.
    Error(CmdError),
    /// `:n`.
    Int(i64),
    /// A bulk string.
    Bulk(Bytes),
    /// A short bulk string carried in place: what GET of a short value answers without an
    /// allocation. Equal to the `Bulk` of the same bytes; build it with [`Reply::bulk_str`].
    InlineBulk(InlineBytes),
    /// The null bulk string: `$-1` in RESP2, `_` in RESP3.
    Nil,
    /// The null array: `*-1` in RESP2, `_` in RESP3.
    NilArray,
    /// An array of replies.
    Array(Vec<Reply>),
    /// A map: a flat array of 2n elements in RESP2, `%n` in RESP3.
    Map(Vec<(Reply, Reply)>),
    /// Pairs (HRANDFIELD WITHVALUES, ZRANGE WITHSCORES): a flat array of 2n elements in RESP2,
    /// an array of n two-element arrays in RESP3.
    Pairs(Vec<(Reply, Reply)>),
    /// A set: an array in RESP2, `~n` in RESP3.
    Set(Vec<Reply>),
    /// A double: a bulk string in RESP2 (Redis's `%.17g` form), `,` in RESP3.
    Double(f64),
    /// A boolean: `:1`/`:0` in RESP2, `#t`/`#f` in RESP3.
    Bool(bool),
    /// A verbatim string (`=` in RESP3 with the 3-letter format, a bulk string in RESP2).
    Verbatim(&'static str, Bytes),
    /// An out-of-band push message: `>` in RESP3, an array in RESP2.
    Push(Vec<Reply>),
    /// Several replies to one command, written back to back with no header of their own
    /// (SUBSCRIBE and its family answer once per channel).
    Sequence(Vec<Reply>),
    /// No bytes: the handler wrote its reply into the connection's output itself (only where
    /// the connection offered it, see `ShardCtx::reply_to`).
    Written,
}

impl Reply {
    /// A bulk string from anything that can become `Bytes` (copying a slice, or taking a `Vec`).
    pub fn bulk(b: impl Into<Bytes>) -> Reply {
        Reply::Bulk(b.into())
    }

    /// A bulk string copied from a byte slice.
    pub fn bulk_copy(b: &[u8]) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(b))
    }

    /// A bulk string of a copy of `b`, carried in place (no allocation) when short.
    pub fn bulk_slice(b: &[u8]) -> Reply {
        match InlineBytes::new(b) {
            Some(inline) => Reply::InlineBulk(inline),
            None => Reply::bulk_copy(b),
        }
    }

    /// A stored string's bytes as a bulk string: short values travel in place, values of
    /// [`DETACH_BELOW`](crate::storage::str_value::DETACH_BELOW) bytes and more by reference
    /// count, the rest (which the keyspace owns outright) as a copy.
    pub fn bulk_str(s: &StrValue) -> Reply {
        match s {
            StrValue::Inline(b) => Reply::InlineBulk(*b),
            StrValue::Owned(b) => Reply::bulk_copy(b),
            StrValue::Shared(b) => Reply::Bulk(Bytes::clone(b)),
        }
    }

    /// The bytes of a bulk string, whichever form carries them; `None` for other replies.
    pub fn as_bulk(&self) -> Option<&[u8]> {
        match self {
            Reply::Bulk(b) => Some(b),
            Reply::InlineBulk(b) => Some(b.as_slice()),
            _ => None,
        }
    }

    /// A status reply from a static string.
    pub fn status(s: &'static str) -> Reply {
        Reply::Status(Cow::Borrowed(s))
    }

    /// A bulk string holding the decimal form of `n`.
    pub fn bulk_int(n: i64) -> Reply {
        let mut buf = itoa::Buffer::new();
        Reply::Bulk(Bytes::copy_from_slice(buf.format(n).as_bytes()))
    }

    /// An array of bulk strings.
    pub fn bulk_array<I, B>(items: I) -> Reply
    where
        I: IntoIterator<Item = B>,
        B: Into<Bytes>,
    {
        Reply::Array(items.into_iter().map(|b| Reply::Bulk(b.into())).collect())
    }

    /// True for an error reply.
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }
}

/// Equality variant by variant, except that `InlineBulk` and `Bulk` of the same bytes are equal:
/// which of the two carries a bulk string is not something a client can see.
impl PartialEq for Reply {
    fn eq(&self, other: &Reply) -> bool {
        use Reply::*;
        match (self, other) {
            (Ok, Ok) | (Nil, Nil) | (NilArray, NilArray) => true,
            (Status(a), Status(b)) => a == b,
            (Error(a), Error(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Bulk(_) | InlineBulk(_), Bulk(_) | InlineBulk(_)) => self.as_bulk() == other.as_bulk(),
            (Array(a), Array(b)) | (Set(a), Set(b)) | (Push(a), Push(b)) => a == b,
            (Sequence(a), Sequence(b)) => a == b,
            (Map(a), Map(b)) | (Pairs(a), Pairs(b)) => a == b,
            (Double(a), Double(b)) => a == b,
            (Bool(a), Bool(b)) => a == b,
            (Verbatim(fa, a), Verbatim(fb, b)) => fa == fb && a == b,
            _ => false,
        }
    }
}

impl From<CmdError> for Reply {
    fn from(e: CmdError) -> Reply {
        Reply::Error(e)
    }
}

impl From<Result<Reply, CmdError>> for Reply {
    fn from(r: Result<Reply, CmdError>) -> Reply {
        r.unwrap_or_else(Reply::Error)
    }
}

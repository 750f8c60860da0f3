//! The bytes of a string value.
//!
//! Owns: `StrValue`. Up to [`INLINE_MAX`](super::inline::INLINE_MAX) bytes live inside it (a counter, a flag, a short
//! word: most values), so they cost no allocation of their own. A stored value shorter than
//! [`DETACH_BELOW`] is a copy anyway, so it is an owned boxed slice: the slot points straight at
//! the bytes, and a GET or an overwrite of a value in a keyspace larger than the cache misses
//! once on the way to them instead of twice (the box, then the buffer). Longer values are a
//! shared `Bytes` behind a box, so that GET of a large value hands out a reference count instead
//! of a copy. Each form is 24 bytes, and the tag leaves room for `Value`'s other variants: a
//! `Value` is 24 bytes too.

use std::fmt;

use bytes::{Bytes, BytesMut};

use super::inline::InlineBytes;
#[cfg(test)]
use super::inline::INLINE_MAX;

/// Shared values shorter than this are copied when stored (see [`StrValue::detach`]).
pub const DETACH_BELOW: usize = 16 * 1024;

/// A string value's bytes.
#[derive(Clone)]
pub enum StrValue {
    /// Up to [`INLINE_MAX`](super::inline::INLINE_MAX) bytes.
    Inline(InlineBytes),
    /// Longer contents of their own, shorter than [`DETACH_BELOW`].
    Owned(Box<[u8]>),
    /// Longer contents, shared with the replies that carry them.
    Shared(Box<Bytes>),
}

const _: () = assert!(size_of::<StrValue>() == 24);

impl StrValue {
    /// A copy of `b`.
    pub fn from_slice(b: &[u8]) -> StrValue {
        match InlineBytes::new(b) {
            Some(inline) => StrValue::Inline(inline),
            None if b.len() < DETACH_BELOW => StrValue::Owned(Box::from(b)),
            None => StrValue::Shared(Box::new(Bytes::copy_from_slice(b))),
        }
    }

    /// Gives a shared value shorter than [`DETACH_BELOW`] an allocation of its own.
    ///
    /// A client's argument is a slice of the buffer its command was read into, and a stored
    /// slice would keep that whole buffer alive for as long as the key lives; only large
    /// arguments were read into a buffer of about their own size.
    #[inline]
    pub fn detach(&mut self) {
        if let StrValue::Shared(b) = self {
            if b.len() < DETACH_BELOW {
                *self = StrValue::Owned(Box::from(&b[..]));
            }
        }
    }

    /// `b` as a stored value: copied (in place when short) below [`DETACH_BELOW`], shared
    /// (a reference count) from there on; what [`StrValue::detach`] would make of it.
    #[inline]
    pub fn stored(b: &Bytes) -> StrValue {
        if b.len() < DETACH_BELOW {
            StrValue::from_slice(b)
        } else {
            StrValue::Shared(Box::new(b.clone()))
        }
    }

    /// Writes `b`'s bytes over these, in place, when they are the same length and (when long)
    /// nothing else shares their buffer. False, with nothing changed, otherwise.
    pub fn overwrite_same_len(&mut self, b: &[u8]) -> bool {
        match self {
            StrValue::Inline(_) => match InlineBytes::new(b) {
                Some(inline) => {
                    *self = StrValue::Inline(inline);
                    true
                }
                None => false,
            },
            StrValue::Owned(old) => {
                if old.len() != b.len() {
                    return false;
                }
                old.copy_from_slice(b);
                true
            }
            StrValue::Shared(old) => {
                if old.len() != b.len() {
                    return false;
                }
                match std::mem::take(&mut **old).try_into_mut() {
                    Ok(mut buf) => {
                        buf.copy_from_slice(b);
                        **old = buf.freeze();
                        true
                    }
                    Err(shared) => {
                        **old = shared;
                        false
                    }
                }
            }
        }
    }

    /// The bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match self {
            StrValue::Inline(b) => b.as_slice(),
            StrValue::Owned(b) => b,
            StrValue::Shared(b) => b,
        }
    }

    /// The bytes as a `Bytes`: a copy of contents under [`DETACH_BELOW`], a new reference to
    /// longer ones.
    pub fn to_bytes(&self) -> Bytes {
        match self {
            StrValue::Inline(b) => Bytes::copy_from_slice(b.as_slice()),
            StrValue::Owned(b) => Bytes::copy_from_slice(b),
            StrValue::Shared(b) => Bytes::clone(b),
        }
    }

    /// The bytes in `range` as a `Bytes`: a copy out of contents under [`DETACH_BELOW`], a new
    /// reference into longer ones. Panics when `range` is out of bounds, as slicing does.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Bytes {
        match self {
            StrValue::Inline(b) => Bytes::copy_from_slice(&b[range]),
            StrValue::Owned(b) => Bytes::copy_from_slice(&b[range]),
            StrValue::Shared(b) => b.slice(range),
        }
    }

    /// The bytes as a `Bytes`, without a copy for long contents.
    pub fn into_bytes(self) -> Bytes {
        match self {
            StrValue::Inline(b) => Bytes::copy_from_slice(b.as_slice()),
            StrValue::Owned(b) => Bytes::from(b),
            StrValue::Shared(b) => *b,
        }
    }

    /// Takes the bytes out, leaving the empty string.
    pub fn take(&mut self) -> Bytes {
        std::mem::take(self).into_bytes()
    }

    /// Takes the bytes out for editing, leaving the empty string. Long contents that nothing
    /// else shares are reused in place, so repeated APPENDs grow one buffer; anything else is
    /// copied. Store the result back with `StrValue::from(buf.freeze())`.
    pub fn take_mut(&mut self) -> BytesMut {
        match std::mem::take(self) {
            StrValue::Inline(b) => BytesMut::from(b.as_slice()),
            StrValue::Owned(b) => Bytes::from(b)
                .try_into_mut()
                .unwrap_or_else(|shared| BytesMut::from(&shared[..])),
            StrValue::Shared(b) => b
                .try_into_mut()
                .unwrap_or_else(|shared| BytesMut::from(&shared[..])),
        }
    }
}

impl Default for StrValue {
    fn default() -> StrValue {
        StrValue::Inline(InlineBytes::EMPTY)
    }
}

impl std::ops::Deref for StrValue {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for StrValue {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

/// Short contents are copied in place; long ones are kept as they are, without a copy.
impl From<Bytes> for StrValue {
    fn from(b: Bytes) -> StrValue {
        match InlineBytes::new(&b) {
            Some(inline) => StrValue::Inline(inline),
            None => StrValue::Shared(Box::new(b)),
        }
    }
}

impl From<Vec<u8>> for StrValue {
    fn from(v: Vec<u8>) -> StrValue {
        match InlineBytes::new(&v) {
            Some(inline) => StrValue::Inline(inline),
            None => StrValue::Shared(Box::new(Bytes::from(v))),
        }
    }
}

impl From<&[u8]> for StrValue {
    fn from(b: &[u8]) -> StrValue {
        StrValue::from_slice(b)
    }
}

impl From<&str> for StrValue {
    fn from(s: &str) -> StrValue {
        StrValue::from_slice(s.as_bytes())
    }
}

/// Equal contents are equal, whichever form holds them.
impl PartialEq for StrValue {
    fn eq(&self, other: &StrValue) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for StrValue {}

impl fmt::Debug for StrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&Bytes::copy_from_slice(self.as_slice()), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_stay_in_place_and_long_ones_are_shared() {
        let short = StrValue::from(Bytes::from_static(b"abc"));
        assert!(matches!(short, StrValue::Inline(_)));
        assert_eq!(short.to_bytes(), Bytes::from_static(b"abc"));
        let big = Bytes::from(vec![b'v'; 1024]);
        let long = StrValue::from(big.clone());
        let StrValue::Shared(inner) = &long else {
            panic!("a 1 KiB value is shared");
        };
        assert_eq!(inner.as_ptr(), big.as_ptr(), "kept without a copy");
        assert_eq!(
            long.to_bytes().as_ptr(),
            big.as_ptr(),
            "handed out without a copy"
        );
        assert_eq!(StrValue::from_slice(&big), long);
        assert_eq!(StrValue::from(vec![b'x'; INLINE_MAX]).len(), INLINE_MAX);
    }

    #[test]
    fn stored_values_below_the_detach_size_are_owned() {
        let big = Bytes::from(vec![b'v'; 1024]);
        let mut stored = StrValue::stored(&big);
        assert!(matches!(stored, StrValue::Owned(_)));
        assert_eq!(stored, StrValue::from(big.clone()));
        let mut detached = StrValue::from(big.clone());
        detached.detach();
        assert!(matches!(detached, StrValue::Owned(_)));
        assert_eq!(detached.to_bytes(), big);
        assert_eq!(stored.slice(1..4), Bytes::from_static(b"vvv"));
        let before = stored.as_ptr();
        assert!(stored.overwrite_same_len(&[b'w'; 1024]));
        assert_eq!(stored.as_ptr(), before, "written over in place");
        assert_eq!(&stored[..], &[b'w'; 1024][..]);
        assert!(!stored.overwrite_same_len(&[b'w'; 1023]));
        let mut buf = stored.take_mut();
        assert_eq!(buf.as_ptr(), before, "edited in place");
        buf.extend_from_slice(b"!");
        assert_eq!(StrValue::from(buf.freeze()).len(), 1025);
        let huge = Bytes::from(vec![b'h'; DETACH_BELOW]);
        let kept = StrValue::stored(&huge);
        assert_eq!(
            kept.to_bytes().as_ptr(),
            huge.as_ptr(),
            "shared, not copied"
        );
    }

    #[test]
    fn take_mut_reuses_an_unshared_buffer() {
        let mut s = StrValue::from(vec![b'a'; 100]);
        let before = s.as_ptr();
        let mut buf = s.take_mut();
        assert!(s.is_empty());
        assert_eq!(buf.as_ptr(), before);
        buf.extend_from_slice(b"tail");
        let s = StrValue::from(buf.freeze());
        assert_eq!(s.len(), 104);
        let mut short = StrValue::from("ab");
        let mut buf = short.take_mut();
        buf.extend_from_slice(b"c");
        assert_eq!(StrValue::from(buf.freeze()), StrValue::from("abc"));
    }
}

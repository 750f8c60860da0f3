//! Short byte strings kept in place, inside whatever holds them.
//!
//! Owns: `InlineBytes`, up to [`INLINE_MAX`] bytes and their length in 23 bytes. It is the short
//! form of the keyspace's keys ([`super::small_bytes::SmallBytes`]) and string values
//! ([`super::str_value::StrValue`]), and what a reply carries a short value out in without an
//! allocation. 22 is what fits, with a length byte and an enum tag, in the 24 bytes the long
//! forms take anyway (a pointer and a length, or a pointer and padding).

use std::fmt;

/// The most bytes an [`InlineBytes`] holds.
pub const INLINE_MAX: usize = 22;

/// Up to [`INLINE_MAX`] bytes, stored in place. Bytes past `len` are zero.
#[derive(Clone, Copy)]
pub struct InlineBytes {
    len: u8,
    data: [u8; INLINE_MAX],
}

impl InlineBytes {
    /// The empty string.
    pub const EMPTY: InlineBytes = InlineBytes {
        len: 0,
        data: [0; INLINE_MAX],
    };

    /// A copy of `b`, or `None` when it is longer than [`INLINE_MAX`].
    #[inline]
    pub fn new(b: &[u8]) -> Option<InlineBytes> {
        if b.len() > INLINE_MAX {
            return None;
        }
        let mut data = [0; INLINE_MAX];
        data[..b.len()].copy_from_slice(b);
        Some(InlineBytes {
            len: b.len() as u8,
            data,
        })
    }

    /// The bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        &self.data[..self.len as usize]
    }
}

impl std::ops::Deref for InlineBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for InlineBytes {
    fn eq(&self, other: &InlineBytes) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for InlineBytes {}

impl fmt::Debug for InlineBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&bytes::Bytes::copy_from_slice(self.as_slice()), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_up_to_22_bytes_in_23() {
        assert_eq!(size_of::<InlineBytes>(), 23);
        assert_eq!(InlineBytes::new(b"").unwrap().as_slice(), b"");
        let full = [7u8; INLINE_MAX];
        assert_eq!(InlineBytes::new(&full).unwrap().as_slice(), &full);
        assert!(InlineBytes::new(&[0; INLINE_MAX + 1]).is_none());
        assert_eq!(InlineBytes::new(b"ab"), InlineBytes::new(b"ab"));
        assert_ne!(InlineBytes::new(b"ab"), InlineBytes::new(b"ab\0"));
    }
}

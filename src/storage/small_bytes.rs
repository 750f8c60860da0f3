//! An owned byte string that keeps short contents in place: the form of a stored key.
//!
//! Owns: `SmallBytes`. Up to [`INLINE_MAX`](super::inline::INLINE_MAX) bytes live inside it, longer ones in a heap buffer of
//! exactly their length; either way it is 24 bytes. Most keys are short, so a key costs no
//! allocation of its own and reading it touches no memory beyond its holder's.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};

use super::inline::InlineBytes;
#[cfg(test)]
use super::inline::INLINE_MAX;

/// An owned byte string, stored in place up to [`INLINE_MAX`](super::inline::INLINE_MAX) bytes.
#[derive(Clone)]
pub enum SmallBytes {
    /// Up to [`INLINE_MAX`](super::inline::INLINE_MAX) bytes.
    Inline(InlineBytes),
    /// Longer contents, in a buffer of their own.
    Heap(Box<[u8]>),
}

const _: () = assert!(size_of::<SmallBytes>() == 24);

impl SmallBytes {
    /// A copy of `b`.
    #[inline]
    pub fn from_slice(b: &[u8]) -> SmallBytes {
        match InlineBytes::new(b) {
            Some(inline) => SmallBytes::Inline(inline),
            None => SmallBytes::Heap(b.into()),
        }
    }

    /// The bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match self {
            SmallBytes::Inline(b) => b.as_slice(),
            SmallBytes::Heap(b) => b,
        }
    }
}

impl std::ops::Deref for SmallBytes {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for SmallBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

/// Lets a set or map of keys be searched with a plain slice.
impl Borrow<[u8]> for SmallBytes {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl From<&[u8]> for SmallBytes {
    fn from(b: &[u8]) -> SmallBytes {
        SmallBytes::from_slice(b)
    }
}

/// Equal contents are equal, whichever form holds them.
impl PartialEq for SmallBytes {
    fn eq(&self, other: &SmallBytes) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for SmallBytes {}

/// Hashes as the slice does, as `Borrow<[u8]>` requires.
impl Hash for SmallBytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl fmt::Debug for SmallBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&bytes::Bytes::copy_from_slice(self.as_slice()), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_contents_stay_in_place_and_long_ones_go_to_the_heap() {
        let short = SmallBytes::from_slice(b"key:0000000001");
        assert!(matches!(short, SmallBytes::Inline(_)));
        assert_eq!(&*short, b"key:0000000001");
        let edge = SmallBytes::from_slice(&[b'x'; INLINE_MAX]);
        assert!(matches!(edge, SmallBytes::Inline(_)));
        let long = SmallBytes::from_slice(&[b'x'; INLINE_MAX + 1]);
        assert!(matches!(long, SmallBytes::Heap(_)));
        assert_eq!(long.len(), INLINE_MAX + 1);
        assert_eq!(long.clone(), long);
        assert_ne!(edge, long);
    }

    #[test]
    fn an_option_of_it_costs_nothing_more() {
        assert_eq!(size_of::<Option<SmallBytes>>(), 24);
    }
}

//! The hash value type and its encodings.
//!
//! Owns: `HashValue`, the in-memory form of a hash. A small hash uses a compact encoding; it
//! converts to a larger structure as it grows past the configured thresholds.

/// A hash.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HashValue {
    len: usize,
}

impl HashValue {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty (an empty hash is never stored: the key is deleted).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The name `OBJECT ENCODING` reports.
    pub fn encoding_name(&self) -> &'static str {
        "listpack"
    }
}

//! The set value type and its encodings.
//!
//! Owns: `SetValue`, the in-memory form of a set. A small set uses a compact encoding; it
//! converts to a larger structure as it grows past the configured thresholds.

/// A set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SetValue {
    len: usize,
}

impl SetValue {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty (an empty set is never stored: the key is deleted).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The name `OBJECT ENCODING` reports.
    pub fn encoding_name(&self) -> &'static str {
        "listpack"
    }
}

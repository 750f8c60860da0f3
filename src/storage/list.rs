//! The list value type and its encodings.
//!
//! Owns: `ListValue`, the in-memory form of a list. A small list uses a compact encoding; it
//! converts to a larger structure as it grows past the configured thresholds.

/// A list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListValue {
    len: usize,
}

impl ListValue {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty (an empty list is never stored: the key is deleted).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The name `OBJECT ENCODING` reports.
    pub fn encoding_name(&self) -> &'static str {
        "listpack"
    }
}

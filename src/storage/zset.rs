//! The zset value type and its encodings.
//!
//! Owns: `ZSetValue`, the in-memory form of a zset. A small zset uses a compact encoding; it
//! converts to a larger structure as it grows past the configured thresholds.

/// A zset.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ZSetValue {
    len: usize,
}

impl ZSetValue {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty (an empty zset is never stored: the key is deleted).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The name `OBJECT ENCODING` reports.
    pub fn encoding_name(&self) -> &'static str {
        "listpack"
    }
}

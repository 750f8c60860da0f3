//! The values a key can hold.
//!
//! Owns: `Value` and the facts every type shares (its TYPE name, its OBJECT ENCODING name).
//! Each data type's own structure and encodings live in a file of its own next to this one.

use super::hash::HashValue;
use super::list::ListValue;
use super::set::SetValue;
use super::str_value::StrValue;
use super::stream::StreamValue;
use super::zset::ZSetValue;

/// What one key holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string (also the carrier of bitmaps and HyperLogLogs).
    Str(StrValue),
    /// A list. Aggregates are boxed so that a key's entry stays small.
    List(Box<ListValue>),
    /// A hash.
    Hash(HashValue),
    /// A set.
    Set(Box<SetValue>),
    /// A sorted set.
    ZSet(Box<ZSetValue>),
    /// A stream.
    Stream(Box<StreamValue>),
}

// The string's own tag has room for the other variants' tags, so that a key's entry stays small.
const _: () = assert!(size_of::<Value>() == 24);

/// How a string was last written. Redis remembers this in the value's encoding, so it is what
/// `OBJECT ENCODING` tells apart beyond the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StrForm {
    /// Stored whole (SET, MSET, INCR, APPEND to a missing key, a load): `int`, `embstr` or
    /// `raw`, decided by the bytes.
    #[default]
    Whole,
    /// Edited in place (APPEND to an existing string, SETRANGE): always `raw`.
    Edited,
    /// INCRBYFLOAT's text: `embstr` or `raw` by its length, never `int`.
    Text,
}

impl Value {
    /// The name `TYPE` reports for this value.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// The name `OBJECT ENCODING` reports, chosen the way Redis 7.0 chooses it for a value
    /// stored whole ([`StrForm::Whole`]; see [`Value::encoding_name_as`]).
    pub fn encoding_name(&self) -> &'static str {
        self.encoding_name_as(StrForm::Whole)
    }

    /// The name `OBJECT ENCODING` reports for a string last written as `form`; other types
    /// ignore `form`.
    pub fn encoding_name_as(&self, form: StrForm) -> &'static str {
        match self {
            Value::Str(b) => {
                let int =
                    form == StrForm::Whole && b.len() <= 20 && parse_canonical_i64(b).is_some();
                if int {
                    "int"
                } else if b.len() <= 44 && form != StrForm::Edited {
                    "embstr"
                } else {
                    "raw"
                }
            }
            Value::List(l) => l.encoding_name(),
            Value::Hash(h) => h.encoding_name(),
            Value::Set(s) => s.encoding_name(),
            Value::ZSet(z) => z.encoding_name(),
            Value::Stream(s) => s.encoding_name(),
        }
    }

    /// The string bytes, or `None` when the value is not a string.
    pub fn as_str(&self) -> Option<&StrValue> {
        match self {
            Value::Str(b) => Some(b),
            _ => None,
        }
    }

    /// The set, or `None` when the value is not a set.
    pub fn as_set_mut(&mut self) -> Option<&mut SetValue> {
        match self {
            Value::Set(s) => Some(s),
            _ => None,
        }
    }

    /// The sorted set, or `None` when the value is not a sorted set.
    pub fn as_zset_mut(&mut self) -> Option<&mut ZSetValue> {
        match self {
            Value::ZSet(z) => Some(z),
            _ => None,
        }
    }

    /// The stream, or `None` when the value is not a stream.
    pub fn as_stream_mut(&mut self) -> Option<&mut StreamValue> {
        match self {
            Value::Stream(s) => Some(s),
            _ => None,
        }
    }
}

/// Parses `b` as an i64 only when it is in canonical form (no sign on zero, no leading zeros or
/// spaces, no `+`): the strings Redis would store with the `int` encoding.
pub fn parse_canonical_i64(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    let s = std::str::from_utf8(b).ok()?;
    let n: i64 = s.parse().ok()?;
    let mut buf = itoa::Buffer::new();
    (buf.format(n).as_bytes() == b).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_integers_are_int_encoded() {
        assert_eq!(parse_canonical_i64(b"123"), Some(123));
        assert_eq!(parse_canonical_i64(b"-5"), Some(-5));
        assert_eq!(parse_canonical_i64(b"007"), None);
        assert_eq!(parse_canonical_i64(b"+1"), None);
        assert_eq!(parse_canonical_i64(b" 1"), None);
        assert_eq!(parse_canonical_i64(b"-0"), None);
    }

    #[test]
    fn string_encodings_follow_redis_thresholds() {
        assert_eq!(Value::Str("12".into()).encoding_name(), "int");
        assert_eq!(
            Value::Str("a".repeat(44).as_str().into()).encoding_name(),
            "embstr"
        );
        assert_eq!(
            Value::Str("a".repeat(45).as_str().into()).encoding_name(),
            "raw"
        );
    }
}

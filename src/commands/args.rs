//! A cursor over a command's arguments.
//!
//! Owns: turning argv entries into typed values (integers, floats, keywords) with Redis's own
//! rules and errors. A handler parses its arguments through this cursor before it touches the
//! keyspace, so argument errors win over type errors exactly where Redis makes them win.

use bytes::Bytes;

use crate::protocol::error::CmdError;

/// Walks `argv` from a position, typically 1 (just after the command name).
#[derive(Debug, Clone)]
pub struct ArgCursor<'a> {
    args: &'a [Bytes],
    pos: usize,
}

impl<'a> ArgCursor<'a> {
    /// A cursor at `pos` in `args`.
    pub fn new(args: &'a [Bytes], pos: usize) -> ArgCursor<'a> {
        ArgCursor { args, pos }
    }

    /// Arguments not consumed yet.
    pub fn remaining(&self) -> usize {
        self.args.len().saturating_sub(self.pos)
    }

    /// True when every argument has been consumed.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The next argument without consuming it.
    pub fn peek(&self) -> Option<&'a Bytes> {
        self.args.get(self.pos)
    }

    /// The next argument; a missing one is a syntax error.
    pub fn next_bytes(&mut self) -> Result<&'a Bytes, CmdError> {
        let a = self.args.get(self.pos).ok_or(CmdError::Syntax)?;
        self.pos += 1;
        Ok(a)
    }

    /// The next argument as an i64 (Redis's `string2ll` rules).
    pub fn next_i64(&mut self) -> Result<i64, CmdError> {
        parse_i64(self.next_bytes()?).ok_or(CmdError::NotInteger)
    }

    /// The next argument as a finite or infinite f64 (Redis's `string2ld` rules, no NaN).
    pub fn next_f64(&mut self) -> Result<f64, CmdError> {
        parse_f64(self.next_bytes()?).ok_or(CmdError::NotFloat)
    }

    /// Consumes the next argument when it equals `word`, ignoring ASCII case.
    pub fn eat_keyword(&mut self, word: &str) -> bool {
        match self.peek() {
            Some(a) if a.eq_ignore_ascii_case(word.as_bytes()) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// The rest of the arguments.
    pub fn rest(&mut self) -> &'a [Bytes] {
        let r = &self.args[self.pos.min(self.args.len())..];
        self.pos = self.args.len();
        r
    }

    /// Fails with a syntax error when arguments are left over.
    pub fn finish(&self) -> Result<(), CmdError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(CmdError::Syntax)
        }
    }
}

/// Parses an i64 the way Redis's `string2ll` does: optional `-`, digits, no spaces, no `+`, no
/// leading zeros except "0" itself, at most 20 bytes.
pub fn parse_i64(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    if b.len() == 1 && b[0] == b'0' {
        return Some(0);
    }
    let (neg, digits) = if b[0] == b'-' {
        (true, &b[1..])
    } else {
        (false, b)
    };
    if digits.is_empty() || digits[0] == b'0' {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// Parses a float the way Redis's `string2ld`/`strtold` does: no leading or trailing spaces,
/// `inf`/`-inf` accepted, NaN rejected.
pub fn parse_f64(b: &[u8]) -> Option<f64> {
    if b.is_empty() || b.len() > 5000 {
        return None;
    }
    // The common case, a plain integer of up to 15 digits, is exact as an f64 and needs no
    // general parser.
    let (negative, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    if !digits.is_empty() && digits.len() <= 15 && digits.iter().all(u8::is_ascii_digit) {
        let n = digits
            .iter()
            .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')) as f64;
        return Some(if negative { -n } else { n });
    }
    if b[0].is_ascii_whitespace() || b[b.len() - 1].is_ascii_whitespace() {
        return None;
    }
    let unsigned = b
        .strip_prefix(b"+")
        .or_else(|| b.strip_prefix(b"-"))
        .unwrap_or(b);
    if unsigned.eq_ignore_ascii_case(b"inf") || unsigned.eq_ignore_ascii_case(b"infinity") {
        return Some(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    // Rust's parser accepts "nan", "inf" spellings handled above, and forms strtold rejects
    // such as "1_0"; it rejects hex floats, which strtold accepts but Redis users never send.
    if b.iter()
        .any(|&c| c == b'_' || c.is_ascii_alphabetic() && c != b'e' && c != b'E')
    {
        return None;
    }
    let v: f64 = std::str::from_utf8(b).ok()?.parse().ok()?;
    (!v.is_nan()).then_some(v)
}

/// Parses a cursor the way Redis's `strtoul` check does: no leading space, an optional sign (a
/// minus wraps around), decimal digits to the end (or to a NUL byte), no overflow. The empty
/// string is cursor 0.
pub fn parse_cursor(arg: &[u8]) -> Option<u64> {
    let arg = arg.split(|&b| b == 0).next().unwrap_or_default();
    let (neg, digits) = match arg.first() {
        None => return Some(0),
        Some(b' ' | b'\t'..=b'\r') => return None,
        Some(b'-') => (true, &arg[1..]),
        Some(b'+') => (false, &arg[1..]),
        Some(_) => (false, arg),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { n.wrapping_neg() } else { n })
}

/// Normalizes `start stop` ranks (negative counts from the end) against `len`: the inclusive
/// ranks they name, or `None` when the range is empty.
pub fn rank_span(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let stop = if stop < 0 { len + stop } else { stop };
    if start > stop || start >= len {
        return None;
    }
    Some((start as usize, stop.min(len - 1) as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_follow_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"01"), None);
        assert_eq!(parse_i64(b"+1"), None);
        assert_eq!(parse_i64(b" 1"), None);
        assert_eq!(parse_i64(b"-0"), None);
        assert_eq!(parse_i64(b"1a"), None);
        assert_eq!(parse_i64(b""), None);
    }

    #[test]
    fn floats_reject_nan_and_spaces() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"5e3"), Some(5000.0));
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"abc"), None);
        assert_eq!(parse_f64(b"42"), Some(42.0));
        assert!(parse_f64(b"-0").is_some_and(|v| v == 0.0 && v.is_sign_negative()));
        assert_eq!(parse_f64(b"+7"), Some(7.0));
        assert_eq!(parse_f64(b"+Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"--inf"), None);
        assert_eq!(parse_f64(b"-"), None);
        assert_eq!(parse_f64(b"1_0"), None);
        assert_eq!(
            parse_f64(b"12345678901234567890"),
            Some(12345678901234567890.0)
        );
    }
}

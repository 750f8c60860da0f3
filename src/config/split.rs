//! The quoting rules of a config line, both ways.
//!
//! Owns: `split_words` (a line into words) and `quote` (a value back into one word that
//! `split_words` reads as the same bytes, as Redis's `sdscatrepr` writes it). A redis.conf line
//! follows the rules of an inline command, so splitting goes through `protocol::inline`.

use bytes::Bytes;

use crate::protocol::inline::split_args;

/// Splits a config line into words: blanks separate words, `"..."` takes C escapes and `\xHH`,
/// `'...'` takes only `\'`. Returns `None` for unbalanced quotes. Bytes that are not UTF-8
/// become U+FFFD.
pub fn split_words(line: &str) -> Option<Vec<String>> {
    let words = split_args(&Bytes::copy_from_slice(line.as_bytes())).ok()?;
    Some(
        words
            .iter()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect(),
    )
}

/// Writes `bytes` as one double-quoted word: `\\`, `\"`, `\n`, `\r`, `\t`, `\a`, `\b` escaped,
/// other non-printable bytes as `\xHH`.
pub fn quote(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_follow_redis_conf_quoting() {
        assert_eq!(
            split_words("  save 900   1 ").unwrap(),
            ["save", "900", "1"]
        );
        assert_eq!(
            split_words(r#"requirepass "a b\n""#).unwrap(),
            ["requirepass", "a b\n"]
        );
        assert_eq!(split_words(r#"save """#).unwrap(), ["save", ""]);
        assert_eq!(split_words(r"x 'it\'s'").unwrap(), ["x", "it's"]);
        assert_eq!(split_words(r#"x "abc"#), None);
        assert!(split_words("").unwrap().is_empty());
    }

    #[test]
    fn quote_round_trips_any_bytes() {
        let samples: [&[u8]; 4] = [
            b"plain",
            b"with space",
            b"q\"uo\\te\r\n\t\x07\x08",
            b"\x00\xff\x7f",
        ];
        for s in samples {
            let line = Bytes::from(format!("k {}", quote(s)));
            assert_eq!(split_args(&line).unwrap()[1], s);
        }
        assert_eq!(quote(b"a\"b c"), r#""a\"b c""#);
    }
}

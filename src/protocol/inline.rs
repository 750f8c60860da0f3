//! Splitting one inline line (`SET k "a b"`) into arguments, with Redis's `sdssplitargs` rules.
//!
//! Owns: the quoting and escape rules of inline commands, which are also the rules of a
//! `redis.conf` line. Must not: look for the end of the line or enforce size limits; the request
//! parser does that before it calls here.
//!
//! The rules, as Redis 7.0 applies them:
//! - Arguments are separated by whitespace (space, tab, CR, LF, VT, FF). An unquoted argument
//!   ends only at space, tab, CR or LF, so a VT or FF inside one is kept.
//! - `"double quotes"` take the escapes `\n \r \t \b \a`, `\xHH` (two hex digits) and `\` before
//!   any other byte, which stands for that byte.
//! - `'single quotes'` take only `\'`; every other byte, backslash included, is literal.
//! - A quote may open in the middle of an argument (`a"b c"` is `ab c`), but a closing quote must
//!   be followed by whitespace or the end of the line. A quote left open, or a closing quote
//!   followed by anything else, makes the whole line invalid.
//! - The line ends at its first NUL byte: Redis splits a C string, so nothing after a NUL exists.

use bytes::Bytes;

/// The line has a quote left open, or a closing quote followed by something other than a space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnbalancedQuotes;

/// Splits `line` (without its line terminator) into arguments.
///
/// An argument taken verbatim from the line is a slice of `line`, so it shares its memory; only
/// arguments that went through an escape or joined pieces around a quote are copied. An empty or
/// all-blank line gives no arguments.
pub fn split_args(line: &Bytes) -> Result<Vec<Bytes>, UnbalancedQuotes> {
    let end = line.iter().position(|&b| b == 0).unwrap_or(line.len());
    let s = &line[..end];
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < s.len() && is_c_space(s[i]) {
            i += 1;
        }
        if i == s.len() {
            return Ok(args);
        }
        let mut arg = Arg::Empty;
        let mut quote = Quote::None;
        loop {
            let c = s.get(i).copied();
            match quote {
                Quote::Double => match c {
                    Some(b'\\') if i + 1 < s.len() => {
                        let (byte, used) = unescape(&s[i + 1..]);
                        arg.push_byte(s, byte);
                        i += 1 + used;
                    }
                    Some(b'"') => {
                        close_quote(s, i)?;
                        i += 1;
                        break;
                    }
                    None => return Err(UnbalancedQuotes),
                    Some(_) => {
                        arg.push_source(s, i);
                        i += 1;
                    }
                },
                Quote::Single => match c {
                    Some(b'\\') if s.get(i + 1) == Some(&b'\'') => {
                        arg.push_byte(s, b'\'');
                        i += 2;
                    }
                    Some(b'\'') => {
                        close_quote(s, i)?;
                        i += 1;
                        break;
                    }
                    None => return Err(UnbalancedQuotes),
                    Some(_) => {
                        arg.push_source(s, i);
                        i += 1;
                    }
                },
                Quote::None => match c {
                    None => break,
                    Some(b' ' | b'\n' | b'\r' | b'\t') => {
                        i += 1;
                        break;
                    }
                    Some(b'"') => {
                        quote = Quote::Double;
                        i += 1;
                    }
                    Some(b'\'') => {
                        quote = Quote::Single;
                        i += 1;
                    }
                    Some(_) => {
                        arg.push_source(s, i);
                        i += 1;
                    }
                },
            }
        }
        args.push(arg.finish(line));
    }
}

/// Which quote, if any, the splitter is inside.
#[derive(Clone, Copy)]
enum Quote {
    None,
    Double,
    Single,
}

/// One argument being built. It stays a range of the line for as long as its bytes are
/// contiguous there, so the common unquoted argument costs no copy.
enum Arg {
    Empty,
    Span(usize, usize),
    Owned(Vec<u8>),
}

impl Arg {
    /// Appends the byte at `s[i]` as it stands in the line.
    fn push_source(&mut self, s: &[u8], i: usize) {
        match self {
            Arg::Empty => *self = Arg::Span(i, i + 1),
            Arg::Span(_, end) if *end == i => *end += 1,
            _ => self.push_byte(s, s[i]),
        }
    }

    /// Appends a byte that is not where the line has it (an escape, or after a skipped quote).
    fn push_byte(&mut self, s: &[u8], b: u8) {
        match self {
            Arg::Empty => *self = Arg::Owned(vec![b]),
            Arg::Span(start, end) => {
                let mut v = s[*start..*end].to_vec();
                v.push(b);
                *self = Arg::Owned(v);
            }
            Arg::Owned(v) => v.push(b),
        }
    }

    fn finish(self, line: &Bytes) -> Bytes {
        match self {
            Arg::Empty => Bytes::new(),
            Arg::Span(start, end) => line.slice(start..end),
            Arg::Owned(v) => Bytes::from(v),
        }
    }
}

/// A closing quote at `s[i]` must end the argument: `"foo"bar` is refused, not joined.
fn close_quote(s: &[u8], i: usize) -> Result<(), UnbalancedQuotes> {
    match s.get(i + 1) {
        Some(&next) if !is_c_space(next) => Err(UnbalancedQuotes),
        _ => Ok(()),
    }
}

/// C's `isspace` in the "C" locale, which is what Redis runs under.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Decodes the escape after a backslash inside double quotes: the byte it stands for and how many
/// bytes of `rest` it used. `\x` without two hex digits after it is a plain `x`.
fn unescape(rest: &[u8]) -> (u8, usize) {
    if rest[0] == b'x' {
        if let (Some(hi), Some(lo)) = (hex_value(rest.get(1)), hex_value(rest.get(2))) {
            return (hi * 16 + lo, 3);
        }
    }
    let byte = match rest[0] {
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'b' => 0x08,
        b'a' => 0x07,
        other => other,
    };
    (byte, 1)
}

fn hex_value(b: Option<&u8>) -> Option<u8> {
    match *b? {
        c @ b'0'..=b'9' => Some(c - b'0'),
        c @ b'a'..=b'f' => Some(c - b'a' + 10),
        c @ b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &[u8]) -> Result<Vec<Vec<u8>>, UnbalancedQuotes> {
        split_args(&Bytes::copy_from_slice(line))
            .map(|args| args.into_iter().map(|a| a.to_vec()).collect())
    }

    fn words(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn blanks_separate_arguments_and_runs_of_them_count_once() {
        assert_eq!(
            split(b"  SET\tkey \t value  ").unwrap(),
            words(&["SET", "key", "value"])
        );
    }

    #[test]
    fn an_empty_or_blank_line_has_no_arguments() {
        assert!(split(b"").unwrap().is_empty());
        assert!(split(b" \t \x0b\x0c ").unwrap().is_empty());
    }

    #[test]
    fn double_quotes_keep_spaces_and_take_c_escapes() {
        assert_eq!(
            split(br#"SET k "a b\n\r\t\b\a\\\"""#).unwrap(),
            vec![
                b"SET".to_vec(),
                b"k".to_vec(),
                b"a b\n\r\t\x08\x07\\\"".to_vec()
            ]
        );
    }

    #[test]
    fn hex_escapes_give_any_byte_and_bad_hex_is_literal() {
        assert_eq!(
            split(br#""\xff\x00\x4A""#).unwrap(),
            vec![vec![0xff, 0, b'J']]
        );
        assert_eq!(split(br#""\xZZ\q""#).unwrap(), words(&["xZZq"]));
    }

    #[test]
    fn single_quotes_only_unescape_a_single_quote() {
        assert_eq!(split(br"'a\'b\n'").unwrap(), words(&[r"a'b\n"]));
    }

    #[test]
    fn empty_quotes_make_an_empty_argument() {
        assert_eq!(split(br#"SET k """#).unwrap(), words(&["SET", "k", ""]));
        assert_eq!(split(b"''").unwrap(), words(&[""]));
    }

    #[test]
    fn a_quote_inside_a_word_joins_the_quoted_part() {
        assert_eq!(split(br#"a"b c" d"#).unwrap(), words(&["ab c", "d"]));
    }

    #[test]
    fn a_closing_quote_followed_by_a_letter_is_unbalanced() {
        assert_eq!(split(br#""foo"bar"#), Err(UnbalancedQuotes));
        assert_eq!(split(b"'foo'bar"), Err(UnbalancedQuotes));
    }

    #[test]
    fn an_unterminated_quote_is_unbalanced() {
        assert_eq!(split(br#"SET k "abc"#), Err(UnbalancedQuotes));
        assert_eq!(split(b"SET k 'abc"), Err(UnbalancedQuotes));
        assert_eq!(split(br#""abc\"#), Err(UnbalancedQuotes));
    }

    #[test]
    fn vertical_tab_inside_a_word_is_part_of_it() {
        assert_eq!(split(b"\x0ba\x0bb c").unwrap(), words(&["a\x0bb", "c"]));
    }

    #[test]
    fn the_line_ends_at_its_first_nul() {
        assert_eq!(split(b"GET a\0b c").unwrap(), words(&["GET", "a"]));
        assert_eq!(split(b"GET \"a\0\" b"), Err(UnbalancedQuotes));
    }

    #[test]
    fn verbatim_arguments_share_the_line_memory() {
        let line = Bytes::from_static(b"GET \"key\"");
        let args = split_args(&line).unwrap();
        let line_range = line.as_ptr() as usize..line.as_ptr() as usize + line.len();
        assert!(args
            .iter()
            .all(|a| line_range.contains(&(a.as_ptr() as usize))));
    }
}

//! Glob-style matching as KEYS, SCAN MATCH, CONFIG GET and PSUBSCRIBE understand it.
//!
//! Owns: `glob_match`, byte for byte the semantics of Redis's `stringmatchlen`. Must not allocate
//! or recurse: patterns come from clients, so the cost is bounded by pattern length times string
//! length whatever the pattern looks like.

/// Says whether `string` matches the glob `pattern`.
///
/// The pattern language: `*` matches any run of bytes, `?` any one byte, `[abc]` one byte of the
/// set, `[^abc]` one byte outside it, `[a-z]` a range (either order: `[z-a]` is the same), and
/// `\x` the byte `x` itself, inside or outside brackets. With `nocase`, ASCII letters compare
/// without case, except a `\`-escaped byte inside brackets, which Redis compares exactly.
///
/// Quirks kept from Redis because clients see them:
/// - an empty `string` matches only an empty pattern, so even `*` does not match it (KEYS and
///   SCAN treat a lone `*` as "everything" before they ever call this);
/// - an unclosed `[` runs to the end of the pattern, and in `[a-]` the `]` is the end of the
///   range, not the close of the set;
/// - range bounds compare as C's signed `char`, so bytes from 0x80 sort below ASCII.
///
/// Cost: O(pattern × string) at worst. Each token other than `*` consumes exactly one byte, so
/// on a mismatch only the most recent `*` needs to take one more byte; earlier stars never do.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    if string.is_empty() {
        return pattern.is_empty();
    }
    let (mut p, mut s) = (0usize, 0usize);
    // Where to resume after the latest `*`: the pattern index just past it, and the string index
    // it would stop absorbing at.
    let mut resume: Option<(usize, usize)> = None;
    loop {
        if s == string.len() {
            while p < pattern.len() && pattern[p] == b'*' {
                p += 1;
            }
            return p == pattern.len();
        }
        if p < pattern.len() && pattern[p] == b'*' {
            while p < pattern.len() && pattern[p] == b'*' {
                p += 1;
            }
            if p == pattern.len() {
                return true;
            }
            resume = Some((p, s));
            continue;
        }
        if p < pattern.len() {
            let (matched, next) = match_token(pattern, p, string[s], nocase);
            if matched {
                p = next;
                s += 1;
                continue;
            }
        }
        match resume {
            Some((rp, rs)) => {
                resume = Some((rp, rs + 1));
                p = rp;
                s = rs + 1;
            }
            None => return false,
        }
    }
}

/// Matches the single token that starts at `pattern[p]` (anything but `*`) against `c`. Returns
/// whether it matched and the index of the next token.
fn match_token(pattern: &[u8], p: usize, c: u8, nocase: bool) -> (bool, usize) {
    match pattern[p] {
        b'?' => (true, p + 1),
        b'[' => match_class(pattern, p + 1, c, nocase),
        b'\\' if p + 1 < pattern.len() => (same(pattern[p + 1], c, nocase), p + 2),
        lit => (same(lit, c, nocase), p + 1),
    }
}

/// Matches a bracket set whose body starts at `pattern[p]` (just past the `[`).
fn match_class(pattern: &[u8], mut p: usize, c: u8, nocase: bool) -> (bool, usize) {
    let negate = pattern.get(p) == Some(&b'^');
    if negate {
        p += 1;
    }
    let mut matched = false;
    loop {
        let rest = pattern.len() - p;
        if rest == 0 {
            // Unclosed set: it ends with the pattern.
            break;
        }
        let b = pattern[p];
        if b == b'\\' && rest >= 2 {
            if pattern[p + 1] == c {
                matched = true;
            }
            p += 2;
        } else if b == b']' {
            p += 1;
            break;
        } else if rest >= 3 && pattern[p + 1] == b'-' {
            let (mut lo, mut hi) = (signed(b), signed(pattern[p + 2]));
            if lo > hi {
                std::mem::swap(&mut lo, &mut hi);
            }
            let mut x = signed(c);
            if nocase {
                lo = lower(lo);
                hi = lower(hi);
                x = lower(x);
            }
            if lo <= x && x <= hi {
                matched = true;
            }
            p += 3;
        } else {
            if same(b, c, nocase) {
                matched = true;
            }
            p += 1;
        }
    }
    (matched != negate, p)
}

fn same(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

/// A byte as C's signed `char` sees it.
fn signed(b: u8) -> i32 {
    b as i8 as i32
}

fn lower(x: i32) -> i32 {
    if (b'A' as i32..=b'Z' as i32).contains(&x) {
        x + 32
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), false)
    }

    fn mi(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), true)
    }

    #[test]
    fn star_matches_any_run_including_none() {
        assert!(m("*", "hello"));
        assert!(m("h*o", "hello"));
        assert!(m("h*llo", "hllo"));
        assert!(m("*llo", "hello"));
        assert!(m("he*", "he"));
        assert!(m("**a**", "a"));
        assert!(!m("h*x", "hello"));
    }

    #[test]
    fn question_mark_matches_exactly_one_byte() {
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(!m("h?", "h"));
    }

    #[test]
    fn empty_string_matches_only_the_empty_pattern() {
        assert!(m("", ""));
        assert!(!m("*", ""));
        assert!(!m("**", ""));
        assert!(!m("", "a"));
    }

    #[test]
    fn bracket_sets_ranges_and_negation() {
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"));
        assert!(!m("h[a-b]llo", "hcllo"));
    }

    #[test]
    fn backslash_escapes_inside_and_outside_brackets() {
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("a[\\]]b", "a]b"));
        assert!(m("a\\", "a\\"));
    }

    #[test]
    fn unclosed_bracket_runs_to_the_end_of_the_pattern() {
        assert!(m("[abc", "a"));
        assert!(!m("[abc", "ab"));
        // `]` ends the range `]`..`a`, not the set, so the set never closes.
        assert!(m("[a-]", "_"));
        assert!(!m("[a-]", "b"));
    }

    #[test]
    fn nocase_folds_ascii_letters_except_escaped_set_members() {
        assert!(mi("HeLLo", "hello"));
        assert!(mi("h[A-C]llo", "hbllo"));
        assert!(mi("h[E]llo", "hello"));
        assert!(!mi("h[\\E]llo", "hello"));
        assert!(!m("HeLLo", "hello"));
    }

    #[test]
    fn high_bytes_sort_below_ascii_in_ranges() {
        assert!(glob_match(b"[\x80-a]", b"\x90", false));
        assert!(glob_match(b"[\x80-a]", b"0", false));
        assert!(!glob_match(b"[\x80-a]", b"z", false));
    }

    #[test]
    fn many_stars_against_a_long_string_finish_quickly() {
        let s = "a".repeat(100_000);
        assert!(!m("*a*a*a*a*a*a*a*a*a*a*a*b", &s));
        assert!(m("*a*a*a*a*a*a*a*a*a*a*a*", &s));
    }

    #[test]
    fn agrees_with_a_direct_recursive_reading_of_the_rules() {
        fn reference(p: &[u8], s: &[u8]) -> bool {
            if s.is_empty() {
                return p.is_empty();
            }
            fn go(p: &[u8], s: &[u8]) -> bool {
                match (p.first(), s.first()) {
                    (None, None) => true,
                    (Some(b'*'), _) => go(&p[1..], s) || (!s.is_empty() && go(p, &s[1..])),
                    (None, Some(_)) | (Some(_), None) => false,
                    (Some(b'?'), Some(_)) => go(&p[1..], &s[1..]),
                    (Some(&c), Some(&d)) => c == d && go(&p[1..], &s[1..]),
                }
            }
            go(p, s)
        }
        let alphabet = [b'a', b'b', b'*', b'?'];
        let mut patterns = vec![vec![]];
        for _ in 0..4 {
            let mut next = Vec::new();
            for p in &patterns {
                for &c in &alphabet {
                    let mut q: Vec<u8> = p.clone();
                    q.push(c);
                    next.push(q);
                }
            }
            patterns.extend(next);
        }
        let strings: Vec<&[u8]> = vec![b"", b"a", b"b", b"ab", b"ba", b"aab", b"abab", b"bbbba"];
        for p in &patterns {
            for s in &strings {
                assert_eq!(glob_match(p, s, false), reference(p, s), "{p:?} {s:?}");
            }
        }
    }
}

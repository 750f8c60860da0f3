//! Writing replies as RESP2 or RESP3 bytes, exactly as Redis 7.0 writes them.
//!
//! Owns: the wire form of every `Reply` in both protocol versions, and the `write_*` helpers that
//! a handler streaming a large reply uses to skip building a `Reply`. Must not: decide what a
//! reply says (handlers do) or the text of an error (`protocol::error`).
//!
//! `resp` is the connection's protocol version as HELLO set it: 2 or 3. Where the two differ,
//! Redis 7.0 maps each RESP3 type onto a RESP2 one: maps become flat arrays of 2n elements, sets
//! and pushes become arrays, doubles and verbatim strings become bulk strings, booleans become
//! the integers 1 and 0, and both nulls become `$-1` or `*-1`.

use std::fmt::Write as _;

use super::error::CmdError;
use super::reply::Reply;

/// Appends `reply` to `out` in protocol version `resp` (2 or 3).
pub fn encode(reply: &Reply, resp: u8, out: &mut Vec<u8>) {
    match reply {
        Reply::Ok => write_ok(out),
        Reply::Status(s) => write_status(out, s),
        Reply::Error(e) => write_error(out, e),
        Reply::Int(n) => write_int(out, *n),
        Reply::Bulk(b) => write_bulk(out, b),
        Reply::InlineBulk(b) => write_bulk(out, b),
        Reply::Nil => write_nil(out, resp),
        Reply::NilArray => write_nil_array(out, resp),
        Reply::Array(items) => {
            write_array_len(out, items.len());
            encode_all(items, resp, out);
        }
        Reply::Map(pairs) => {
            write_map_len(out, pairs.len(), resp);
            for (k, v) in pairs {
                encode(k, resp, out);
                encode(v, resp, out);
            }
        }
        Reply::Pairs(pairs) => {
            write_array_len(
                out,
                if resp >= 3 {
                    pairs.len()
                } else {
                    pairs.len() * 2
                },
            );
            for (a, b) in pairs {
                if resp >= 3 {
                    write_array_len(out, 2);
                }
                encode(a, resp, out);
                encode(b, resp, out);
            }
        }
        Reply::Set(items) => {
            write_set_len(out, items.len(), resp);
            encode_all(items, resp, out);
        }
        Reply::Double(d) => write_double(out, *d, resp),
        Reply::Bool(b) => write_bool(out, *b, resp),
        Reply::Verbatim(format, text) => write_verbatim(out, format, text, resp),
        Reply::Push(items) => {
            write_push_len(out, items.len(), resp);
            encode_all(items, resp, out);
        }
        Reply::Sequence(replies) => encode_all(replies, resp, out),
        Reply::Written => {}
    }
}

fn encode_all(items: &[Reply], resp: u8, out: &mut Vec<u8>) {
    for item in items {
        encode(item, resp, out);
    }
}

/// Appends `+OK`.
pub fn write_ok(out: &mut Vec<u8>) {
    out.extend_from_slice(b"+OK\r\n");
}

/// Appends a status line `+<text>`. CR and LF in `text` are sent as spaces, so that a stray one
/// cannot end the line early and desynchronise the client.
pub fn write_status(out: &mut Vec<u8>, text: &str) {
    out.push(b'+');
    push_one_line(out, text.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends the error reply `-<message>` (the same in both protocols). As for a status, CR and LF
/// in the message are sent as spaces, as Redis's formatted errors do.
pub fn write_error(out: &mut Vec<u8>, err: &CmdError) {
    out.push(b'-');
    push_one_line(out, err.message().as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends the integer reply `:<n>`.
pub fn write_int(out: &mut Vec<u8>, n: i64) {
    out.push(b':');
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends the bulk string `$<len>` followed by `b`.
pub fn write_bulk(out: &mut Vec<u8>, b: &[u8]) {
    out.reserve(b.len() + 24);
    write_len(out, b'$', b.len());
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

/// Appends the decimal form of `n` as a bulk string (an integer element of a list or set).
pub fn write_bulk_int(out: &mut Vec<u8>, n: i64) {
    write_bulk(out, itoa::Buffer::new().format(n).as_bytes());
}

/// Appends the null bulk string: `$-1` in RESP2, `_` in RESP3.
pub fn write_nil(out: &mut Vec<u8>, resp: u8) {
    out.extend_from_slice(if resp >= 3 { b"_\r\n" } else { b"$-1\r\n" });
}

/// Appends the null array: `*-1` in RESP2, `_` in RESP3 (which has a single null).
pub fn write_nil_array(out: &mut Vec<u8>, resp: u8) {
    out.extend_from_slice(if resp >= 3 { b"_\r\n" } else { b"*-1\r\n" });
}

/// Appends the header of an array of `n` elements; the caller then writes the `n` elements.
pub fn write_array_len(out: &mut Vec<u8>, n: usize) {
    write_len(out, b'*', n);
}

/// Appends the header of a map of `n` pairs: `%n` in RESP3, an array of `2n` in RESP2. The caller
/// then writes each key followed by its value.
pub fn write_map_len(out: &mut Vec<u8>, n: usize, resp: u8) {
    if resp >= 3 {
        write_len(out, b'%', n);
    } else {
        write_len(out, b'*', n * 2);
    }
}

/// Appends the header of a set of `n` elements: `~n` in RESP3, `*n` in RESP2.
pub fn write_set_len(out: &mut Vec<u8>, n: usize, resp: u8) {
    write_len(out, if resp >= 3 { b'~' } else { b'*' }, n);
}

/// Appends the header of an out-of-band push of `n` elements (pub/sub messages, invalidations):
/// `>n` in RESP3, `*n` in RESP2.
pub fn write_push_len(out: &mut Vec<u8>, n: usize, resp: u8) {
    write_len(out, if resp >= 3 { b'>' } else { b'*' }, n);
}

/// Appends a double: `,<d>` in RESP3, a bulk string in RESP2. The number is written as C's
/// `%.17g` writes it (`3`, `0.10000000000000001`, `1e+20`), and infinities as `inf` and `-inf`.
pub fn write_double(out: &mut Vec<u8>, d: f64, resp: u8) {
    let mut buf = StackBuf::new();
    format_g17(d, &mut buf);
    let text = buf.as_bytes();
    if resp >= 3 {
        out.push(b',');
        out.extend_from_slice(text);
        out.extend_from_slice(b"\r\n");
    } else {
        write_bulk(out, text);
    }
}

/// Appends a boolean: `#t`/`#f` in RESP3, the integers `:1`/`:0` in RESP2.
pub fn write_bool(out: &mut Vec<u8>, b: bool, resp: u8) {
    let bytes: &[u8] = match (resp >= 3, b) {
        (true, true) => b"#t\r\n",
        (true, false) => b"#f\r\n",
        (false, true) => b":1\r\n",
        (false, false) => b":0\r\n",
    };
    out.extend_from_slice(bytes);
}

/// Appends a verbatim string: `=<len>` then `<format>:<text>` in RESP3, where `format` is cut or
/// space-padded to three bytes (`txt`, `mkd`); in RESP2 a bulk string of `text` alone.
pub fn write_verbatim(out: &mut Vec<u8>, format: &str, text: &[u8], resp: u8) {
    if resp < 3 {
        write_bulk(out, text);
        return;
    }
    write_len(out, b'=', text.len() + 4);
    let mut tag = [b' '; 3];
    for (slot, &b) in tag.iter_mut().zip(format.as_bytes()) {
        *slot = b;
    }
    out.extend_from_slice(&tag);
    out.push(b':');
    out.extend_from_slice(text);
    out.extend_from_slice(b"\r\n");
}

/// Appends `<prefix><n>\r\n`, the header shape shared by bulks and aggregates.
fn write_len(out: &mut Vec<u8>, prefix: u8, n: usize) {
    if n < 10 {
        // Most lengths of a reply's parts: one store instead of formatting.
        out.extend_from_slice(&[prefix, b'0' + n as u8, b'\r', b'\n']);
        return;
    }
    out.push(prefix);
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends `text` with every CR and LF turned into a space.
fn push_one_line(out: &mut Vec<u8>, text: &[u8]) {
    let start = out.len();
    out.extend_from_slice(text);
    for b in &mut out[start..] {
        if *b == b'\r' || *b == b'\n' {
            *b = b' ';
        }
    }
}

/// A fixed stack buffer that `write!` can fill; 32 bytes hold any `%.17g` output
/// (`-1.2345678901234567e-308` is the longest) and the `{:.16e}` form it is built from.
struct StackBuf {
    bytes: [u8; 32],
    len: usize,
}

impl StackBuf {
    fn new() -> StackBuf {
        StackBuf {
            bytes: [0; 32],
            len: 0,
        }
    }

    fn push(&mut self, b: u8) {
        self.bytes[self.len] = b;
        self.len += 1;
    }

    fn push_all(&mut self, bytes: &[u8]) {
        self.bytes[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.len + s.len() > self.bytes.len() {
            return Err(std::fmt::Error);
        }
        self.push_all(s.as_bytes());
        Ok(())
    }
}

/// Formats `d` as C's `printf("%.17g")` does (glibc), without allocating.
///
/// `%.17g` rounds to 17 significant digits, then prints them in plain notation when the decimal
/// exponent X is in -4..17 and as `d.ddde±XX` otherwise, dropping trailing zeros (and a trailing
/// point) in both. Rust's `{:.16e}` gives the same correctly rounded 17 digits (ties to even, as
/// glibc), so only the layout is done here. Infinities print as `inf`/`-inf`, which is also how
/// Redis writes them.
fn format_g17(d: f64, out: &mut StackBuf) {
    if d.is_nan() {
        out.push_all(if d.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        });
        return;
    }
    if d.is_infinite() {
        out.push_all(if d > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    let negative = d.is_sign_negative();
    let (digits, exp) = digits17_exact(d.abs()).unwrap_or_else(|| digits17_formatted(d.abs()));

    if negative {
        out.push(b'-');
    }
    if (-4..17).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            out.push_all(&digits[..int_len]);
            let frac = trim_zeros(&digits[int_len..]);
            if !frac.is_empty() {
                out.push(b'.');
                out.push_all(frac);
            }
        } else {
            // `0.000ddd`: the significant digits follow -exp-1 zeros after the point.
            out.push_all(b"0.");
            for _ in 0..-exp - 1 {
                out.push(b'0');
            }
            out.push_all(trim_zeros(&digits));
        }
    } else {
        out.push(digits[0]);
        let frac = trim_zeros(&digits[1..]);
        if !frac.is_empty() {
            out.push(b'.');
            out.push_all(frac);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let abs = exp.unsigned_abs();
        if abs < 10 {
            out.push(b'0');
        }
        out.push_all(itoa::Buffer::new().format(abs).as_bytes());
    }
}

/// The 17 significant digits of `d` (finite, not negative) rounded to nearest, ties to even,
/// and the decimal exponent of the first one, through Rust's `{:.16e}`.
fn digits17_formatted(d: f64) -> ([u8; 17], i32) {
    let mut sci = StackBuf::new();
    // At most 24 bytes, so the write cannot fail.
    let _ = write!(sci, "{d:.16e}");
    // `D.DDDDDDDDDDDDDDDDe<exp>`: one digit, the point, 16 digits.
    let (mantissa, exp) = sci.as_bytes().split_at(18);
    let exp: i32 = std::str::from_utf8(&exp[1..])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut digits = [0u8; 17];
    digits[0] = mantissa[0];
    digits[1..].copy_from_slice(&mantissa[2..]);
    (digits, exp)
}

/// What [`digits17_formatted`] gives, computed exactly in 128-bit integers, for the values
/// scores usually are (0 and 1e-5 up to 1e17); `None` outside that range.
///
/// Why: `{:.16e}` asks for more digits than the shortest round trip, which sends most values
/// down the slow big-number path (two thirds of a `ZRANGE … WITHSCORES` of 100 elements went
/// there). In this range `d = m·2^e` with `m < 2^53`, and `d·10^k` for the `k` that brings it
/// to 17 digits is `m·10^k` (below 2^123) shifted by at most 69 bits: exact in a `u128`.
fn digits17_exact(d: f64) -> Option<([u8; 17], i32)> {
    const LOW: u128 = 10u128.pow(16);
    const HIGH: u128 = 10u128.pow(17);
    if d == 0.0 {
        return Some(([b'0'; 17], 0));
    }
    if !(1e-5..1e17).contains(&d) {
        return None;
    }
    let bits = d.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    // Normal numbers only in this range: the leading bit is implicit.
    let (m, e) = ((fraction | 1 << 52) as u128, biased - 1075);
    // A first guess of the exponent, corrected by at most one step either way below.
    let mut exp = d.log10().floor() as i32;
    for _ in 0..3 {
        let k = 16 - exp;
        let q = scaled_round(m, e, k)?;
        if q >= HIGH {
            exp += 1;
        } else if q < LOW {
            exp -= 1;
        } else {
            let mut digits = [b'0'; 17];
            digits.copy_from_slice(itoa::Buffer::new().format(q).as_bytes());
            return Some((digits, exp));
        }
    }
    None
}

/// `m·2^e·10^k` rounded to an integer, to nearest with ties to even; `None` when it does not
/// fit the arithmetic (`k` out of 0..=38, or a shift beyond 127 bits).
fn scaled_round(m: u128, e: i32, k: i32) -> Option<u128> {
    let num = m.checked_mul(10u128.checked_pow(u32::try_from(k).ok()?)?)?;
    if e >= 0 {
        return num.checked_mul(1u128.checked_shl(e as u32)?);
    }
    let shift = (-e) as u32;
    if shift >= 127 {
        return None;
    }
    let q = num >> shift;
    let rem = num & ((1u128 << shift) - 1);
    let half = 1u128 << (shift - 1);
    Some(if rem > half || (rem == half && q & 1 == 1) {
        q + 1
    } else {
        q
    })
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let keep = digits.iter().rposition(|&b| b != b'0').map_or(0, |i| i + 1);
    &digits[..keep]
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn enc(reply: &Reply, resp: u8) -> Vec<u8> {
        let mut out = Vec::new();
        encode(reply, resp, &mut out);
        out
    }

    /// The reply's bytes in RESP2 and in RESP3.
    fn both(reply: Reply) -> (String, String) {
        let two = String::from_utf8(enc(&reply, 2)).unwrap();
        let three = String::from_utf8(enc(&reply, 3)).unwrap();
        (two, three)
    }

    fn same(s: &str) -> (String, String) {
        (s.to_string(), s.to_string())
    }

    fn pair(two: &str, three: &str) -> (String, String) {
        (two.to_string(), three.to_string())
    }

    #[test]
    fn ok_status_and_errors_are_lines() {
        assert_eq!(both(Reply::Ok), same("+OK\r\n"));
        assert_eq!(both(Reply::status("PONG")), same("+PONG\r\n"));
        assert_eq!(
            both(Reply::Error(CmdError::WrongType)),
            same("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n")
        );
    }

    #[test]
    fn cr_and_lf_inside_a_status_or_error_become_spaces() {
        assert_eq!(both(Reply::Status("a\r\nb".into())), same("+a  b\r\n"));
        assert_eq!(
            both(Reply::Error(CmdError::custom("ERR bad\nthing"))),
            same("-ERR bad thing\r\n")
        );
    }

    #[test]
    fn integers_are_the_same_in_both_protocols() {
        assert_eq!(both(Reply::Int(0)), same(":0\r\n"));
        assert_eq!(both(Reply::Int(-42)), same(":-42\r\n"));
        assert_eq!(
            both(Reply::Int(i64::MIN)),
            same(":-9223372036854775808\r\n")
        );
    }

    #[test]
    fn bulks_carry_their_length_and_any_bytes() {
        assert_eq!(both(Reply::bulk("foo")), same("$3\r\nfoo\r\n"));
        assert_eq!(both(Reply::bulk("")), same("$0\r\n\r\n"));
        assert_eq!(enc(&Reply::bulk(&b"a\r\n\0"[..]), 2), b"$4\r\na\r\n\0\r\n");
    }

    #[test]
    fn nulls_are_distinct_in_resp2_and_one_in_resp3() {
        assert_eq!(both(Reply::Nil), pair("$-1\r\n", "_\r\n"));
        assert_eq!(both(Reply::NilArray), pair("*-1\r\n", "_\r\n"));
    }

    #[test]
    fn arrays_nest() {
        let r = Reply::Array(vec![
            Reply::bulk("a"),
            Reply::Array(vec![Reply::Int(1), Reply::Nil]),
            Reply::Array(vec![]),
        ]);
        assert_eq!(
            both(r),
            pair(
                "*3\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n*0\r\n",
                "*3\r\n$1\r\na\r\n*2\r\n:1\r\n_\r\n*0\r\n"
            )
        );
    }

    #[test]
    fn maps_are_flat_arrays_in_resp2() {
        let r = Reply::Map(vec![
            (Reply::bulk("a"), Reply::Int(1)),
            (Reply::bulk("b"), Reply::Bool(true)),
        ]);
        assert_eq!(
            both(r),
            pair(
                "*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:1\r\n",
                "%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n#t\r\n"
            )
        );
    }

    #[test]
    fn pairs_are_flat_in_resp2_and_nested_in_resp3() {
        let r = Reply::Pairs(vec![(Reply::bulk("a"), Reply::bulk("1"))]);
        assert_eq!(
            both(r),
            pair(
                "*2\r\n$1\r\na\r\n$1\r\n1\r\n",
                "*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
            )
        );
        assert_eq!(both(Reply::Pairs(vec![])), same("*0\r\n"));
    }

    #[test]
    fn sets_and_pushes_are_arrays_in_resp2() {
        let items = vec![Reply::bulk("x")];
        assert_eq!(
            both(Reply::Set(items.clone())),
            pair("*1\r\n$1\r\nx\r\n", "~1\r\n$1\r\nx\r\n")
        );
        assert_eq!(
            both(Reply::Push(items)),
            pair("*1\r\n$1\r\nx\r\n", ">1\r\n$1\r\nx\r\n")
        );
    }

    #[test]
    fn a_sequence_is_its_replies_back_to_back() {
        let push = |n| {
            Reply::Push(vec![
                Reply::bulk("subscribe"),
                Reply::bulk("c"),
                Reply::Int(n),
            ])
        };
        assert_eq!(
            both(Reply::Sequence(vec![push(1), push(2)])),
            pair(
                "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:2\r\n",
                ">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n>3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:2\r\n"
            )
        );
        assert_eq!(both(Reply::Sequence(vec![])), same(""));
    }

    #[test]
    fn booleans_are_integers_in_resp2() {
        assert_eq!(both(Reply::Bool(true)), pair(":1\r\n", "#t\r\n"));
        assert_eq!(both(Reply::Bool(false)), pair(":0\r\n", "#f\r\n"));
    }

    #[test]
    fn doubles_are_bulks_in_resp2_with_17_significant_digits() {
        assert_eq!(both(Reply::Double(3.0)), pair("$1\r\n3\r\n", ",3\r\n"));
        assert_eq!(
            both(Reply::Double(0.1)),
            pair("$19\r\n0.10000000000000001\r\n", ",0.10000000000000001\r\n")
        );
        assert_eq!(
            both(Reply::Double(1e20)),
            pair("$5\r\n1e+20\r\n", ",1e+20\r\n")
        );
        assert_eq!(
            both(Reply::Double(f64::INFINITY)),
            pair("$3\r\ninf\r\n", ",inf\r\n")
        );
        assert_eq!(
            both(Reply::Double(f64::NEG_INFINITY)),
            pair("$4\r\n-inf\r\n", ",-inf\r\n")
        );
    }

    #[test]
    fn verbatim_strings_carry_their_format_in_resp3_only() {
        assert_eq!(
            both(Reply::Verbatim("txt", Bytes::from("hi"))),
            pair("$2\r\nhi\r\n", "=6\r\ntxt:hi\r\n")
        );
        assert_eq!(
            both(Reply::Verbatim("md", Bytes::from("x"))),
            pair("$1\r\nx\r\n", "=5\r\nmd :x\r\n")
        );
    }

    #[test]
    fn hot_path_helpers_match_encode() {
        let mut out = Vec::new();
        write_array_len(&mut out, 2);
        write_bulk(&mut out, b"v");
        write_int(&mut out, 7);
        write_nil(&mut out, 2);
        write_ok(&mut out);
        write_error(&mut out, &CmdError::Syntax);
        assert_eq!(
            out,
            b"*2\r\n$1\r\nv\r\n:7\r\n$-1\r\n+OK\r\n-ERR syntax error\r\n"
        );
    }

    fn g17(d: f64) -> String {
        let mut buf = StackBuf::new();
        format_g17(d, &mut buf);
        String::from_utf8(buf.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn g17_layout_matches_printf() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (100.0, "100"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (12345678901234567890.0, "1.2345678901234567e+19"),
            (0.0001, "0.0001"),
            (0.00001, "1.0000000000000001e-05"),
            (1.0 / 3.0, "0.33333333333333331"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "4.9406564584124654e-324"),
            (123456.789, "123456.789"),
        ];
        for &(d, want) in cases {
            assert_eq!(g17(d), want, "{d:e}");
        }
    }

    /// Compares with the C library's own `%.17g` over many values, including every power of ten
    /// and values whose rounding to 17 digits is a tie.
    #[test]
    fn g17_agrees_with_libc_snprintf() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(17);
        let mut values: Vec<f64> = (-330..310).map(|e| 10f64.powi(e)).collect();
        values.extend((0..200).map(|i| 0.5 + i as f64 * 0.125));
        values.extend((0..20_000).map(|_| f64::from_bits(rng.gen::<u64>())));
        values.extend((0..5_000).map(|_| rng.gen_range(-1e6..1e6)));
        // Around 1e15 the step is 1/8, so x.25 and x.75 have an 18th digit of exactly 5: a tie.
        values.extend((0..4_000).map(|i| 1e15 + i as f64 * 0.125));
        // The range of the exact path, densely: random mantissas from 1e-6 to 1e18, integers,
        // halves, and the edges.
        values.extend((0..40_000).map(|_| {
            let d = 10f64.powf(rng.gen_range(-6.0..18.0)) * rng.gen_range(1.0..10.0);
            if rng.gen() {
                -d
            } else {
                d
            }
        }));
        values.extend((0..5_000).map(|_| rng.gen_range(-1i64 << 53..1i64 << 53) as f64));
        values.extend((0..5_000).map(|i| i as f64 * 1.5 - 3000.0));
        values.extend([
            1e-5,
            1e-5 - 1e-21,
            1e17,
            1e17 - 16.0,
            9.999999999999999e16,
            -0.0,
            0.0,
        ]);
        for d in values.into_iter().filter(|d| d.is_finite()) {
            let mut c = [0u8; 64];
            // SAFETY: the buffer is 64 bytes and its length is passed, so snprintf cannot write
            // past it; the format takes exactly one double, which is what is passed.
            let n = unsafe { libc::snprintf(c.as_mut_ptr().cast(), c.len(), c"%.17g".as_ptr(), d) };
            let want = std::str::from_utf8(&c[..n as usize]).unwrap();
            assert_eq!(g17(d), want, "bits {:#x}", d.to_bits());
        }
    }
}

//! C `long double` arithmetic for INCRBYFLOAT and HINCRBYFLOAT, computed exactly in software.
//!
//! Owns: `LongDouble`, a value of the x87 80-bit extended format (64-bit significand, exponent
//! range of ±16383), with the three operations HINCRBYFLOAT makes: reading a decimal or hex
//! string the way C's `strtold` does (correctly rounded, to nearest, ties to even), adding two
//! values with one rounding, and writing the sum the way `printf("%.17Lf")` does before Redis
//! trims its trailing zeros. Why not `f64`: Redis does this sum in `long double`, and its 11 more
//! bits show in the reply (`1000.1` is answered `1000.09999999999999998`), so only the same
//! format gives the same bytes. Every step is exact, so the result does not depend on the host's
//! floating point: in 128-bit integers for values of everyday size (no allocation), in big
//! integers for the rest.

use std::cmp::Ordering;

/// The exponent of the lowest significand bit of the smallest values (subnormals and the
/// smallest normal ones): 2^-16445 is the least positive `long double`.
const EXP_MIN: i64 = -16445;
/// The exponent of the lowest significand bit of the largest finite values.
const EXP_MAX: i64 = 16320;
/// Redis refuses to read a number of this many bytes or more (`MAX_LONG_DOUBLE_CHARS`).
const MAX_CHARS: usize = 5 * 1024;

/// A finite `long double`: `(-1)^neg × mant × 2^exp`. Infinities and NaN are never held: a
/// result that would be one is reported as `None` instead.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LongDouble {
    neg: bool,
    mant: u64,
    exp: i64,
}

/// What reading a number gave: a finite value, or an infinity (`inf`, `infinity`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Parsed {
    /// A finite value.
    Finite(LongDouble),
    /// `inf` or `-inf` as written; HINCRBYFLOAT refuses it as an increment.
    Infinite,
}

impl LongDouble {
    /// Zero.
    pub const ZERO: LongDouble = LongDouble {
        neg: false,
        mant: 0,
        exp: 0,
    };

    /// Reads `s` as Redis's `string2ld` does: the whole string must be one number for `strtold`
    /// (decimal or `0x` hex, optional sign and exponent, `inf`/`infinity`), with no leading
    /// space and shorter than 5 KiB. NaN, a number too large for the format, and a nonzero one
    /// that rounds to zero are refused (`None`).
    pub fn parse(s: &[u8]) -> Option<Parsed> {
        if s.is_empty() || s.len() >= MAX_CHARS {
            return None;
        }
        let (neg, body) = match s[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Some(Parsed::Infinite);
        }
        if let Some(v) = parse_plain_decimal(body) {
            return Some(Parsed::Finite(LongDouble { neg, ..v }));
        }
        let (big, exp2, exp10) = if body.len() > 2 && body[..2].eq_ignore_ascii_case(b"0x") {
            let (n, e) = parse_hex(&body[2..])?;
            (n, e, 0)
        } else {
            let (n, e) = parse_decimal(body)?;
            (n, 0, e)
        };
        let v = from_parts(big, exp2, exp10)?;
        Some(Parsed::Finite(LongDouble { neg, ..v }))
    }

    /// `self + other`, rounded once to the nearest value; `None` when the sum overflows.
    pub fn checked_add(self, other: LongDouble) -> Option<LongDouble> {
        if self.mant == 0 {
            return Some(other);
        }
        if other.mant == 0 {
            return Some(self);
        }
        add_near(self, other).unwrap_or_else(|| self.add_exact(other))
    }

    /// `checked_add` in big integers, for terms of any size.
    fn add_exact(self, other: LongDouble) -> Option<LongDouble> {
        // A term more than 200 bits below the other only decides rounding by being nonzero and
        // by its sign: stand it in as one unit far below the other's last bit.
        let (mut a, mut b) = (self, other);
        if a.exp - b.exp > 200 {
            b = LongDouble {
                mant: 1,
                exp: a.exp - 200,
                ..b
            };
        } else if b.exp - a.exp > 200 {
            a = LongDouble {
                mant: 1,
                exp: b.exp - 200,
                ..a
            };
        }
        let exp = a.exp.min(b.exp);
        let x = Big::from_u64(a.mant).shl((a.exp - exp) as usize);
        let y = Big::from_u64(b.mant).shl((b.exp - exp) as usize);
        let (sum, neg) = if a.neg == b.neg {
            (x.add(&y), a.neg)
        } else {
            match x.cmp(&y) {
                Ordering::Equal => return Some(LongDouble::ZERO),
                Ordering::Greater => (x.sub(&y), a.neg),
                Ordering::Less => (y.sub(&x), b.neg),
            }
        };
        round(sum, exp, neg)
    }

    /// The text Redis's `ld2string(.., LD_STR_HUMAN)` writes: `%.17Lf` (all integer digits, 17
    /// decimals rounded to nearest, ties to even), then trailing zeros and a bare `.` removed,
    /// and `-0` written `0`.
    pub fn to_human(self) -> String {
        match split_near(self) {
            Some((int, frac)) => human_text(self.neg, itoa::Buffer::new().format(int), frac),
            None => {
                let (int, frac) = self.split_exact();
                human_text(self.neg, &int.to_decimal(), frac)
            }
        }
    }

    /// The integer part and the 17 decimals of `%.17Lf`, in big integers, for any value.
    fn split_exact(self) -> (Big, u64) {
        let n = Big::from_u64(self.mant);
        let (int, mut frac) = if self.exp >= 0 {
            (n.shl(self.exp as usize), 0u64)
        } else {
            let s = (-self.exp) as usize;
            let scaled = n.low_bits(s).mul_small_pow10(17);
            let mut q = scaled.shr(s).to_u64();
            let round_up = scaled.bit(s - 1) && (scaled.any_below(s - 1) || q & 1 == 1);
            q += u64::from(round_up);
            (n.shr(s), q)
        };
        let mut int = int;
        if frac == TEN_17 {
            frac = 0;
            int = int.add(&Big::from_u64(1));
        }
        (int, frac)
    }
}

/// 10^17: one unit of the integer part, in the 17 decimals `%.17Lf` writes.
const TEN_17: u64 = 100_000_000_000_000_000;

/// The text `%.17Lf` gives for the integer part written `int` and the decimals `frac`, with
/// trailing zeros and a bare `.` removed, and `-0` written `0`.
fn human_text(neg: bool, int: &str, frac: u64) -> String {
    let mut out = String::with_capacity(int.len() + 19);
    if neg {
        out.push('-');
    }
    out.push_str(int);
    out.push('.');
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(frac);
    out.extend(std::iter::repeat_n('0', 17 - digits.len()));
    out.push_str(digits);
    let kept = out.trim_end_matches('0').trim_end_matches('.').len();
    out.truncate(kept);
    if out == "-0" {
        out = "0".to_string();
    }
    out
}

// Values of everyday size (INCRBYFLOAT's counters and steps) fit in 128-bit integers at every
// step; these paths give the same results as the big-integer ones without allocating, and return
// None for anything else.

/// Exponents within which the paths below never meet the format's limits (no subnormals, no
/// overflow), so rounding needs no clamping.
const NEAR: std::ops::RangeInclusive<i64> = -200..=200;

/// A decimal of the plain form `123`, `123.456` (at most 38 digits, at most 17 decimals, no
/// exponent), read as `parse_decimal` then `from_parts` would.
fn parse_plain_decimal(s: &[u8]) -> Option<LongDouble> {
    let (int, frac) = match s.iter().position(|&b| b == b'.') {
        Some(dot) => (&s[..dot], &s[dot + 1..]),
        None => (s, &s[..0]),
    };
    if int.is_empty() || frac.len() > 17 || int.len() + frac.len() > 38 {
        return None;
    }
    if s.len() > int.len() && frac.is_empty() {
        return None;
    }
    let mut m: u128 = 0;
    for &b in int.iter().chain(frac) {
        if !b.is_ascii_digit() {
            return None;
        }
        m = m * 10 + u128::from(b - b'0');
    }
    if m == 0 {
        return Some(LongDouble::ZERO);
    }
    if frac.is_empty() {
        return round_near(m, 0, false, false);
    }
    // As `from_parts`: at least 66 quotient bits, so the remainder only decides ties. The
    // dividend has at most max(bits(m), 67 + 57) <= 127 bits.
    let p = 10u128.pow(frac.len() as u32);
    let k = (67 + bits(p) - bits(m)).max(0);
    let shifted = m << k;
    round_near(shifted / p, -k, false, !shifted.is_multiple_of(p))
}

/// `a + b` for nonzero terms whose significands, aligned, fit in 128 bits.
fn add_near(a: LongDouble, b: LongDouble) -> Option<Option<LongDouble>> {
    if !NEAR.contains(&a.exp) || !NEAR.contains(&b.exp) || (a.exp - b.exp).abs() > 63 {
        return None;
    }
    let exp = a.exp.min(b.exp);
    let x = u128::from(a.mant) << (a.exp - exp);
    let y = u128::from(b.mant) << (b.exp - exp);
    let (sum, neg) = if a.neg == b.neg {
        (x.checked_add(y)?, a.neg)
    } else {
        match x.cmp(&y) {
            Ordering::Equal => return Some(Some(LongDouble::ZERO)),
            Ordering::Greater => (x - y, a.neg),
            Ordering::Less => (y - x, b.neg),
        }
    };
    Some(round_near(sum, exp, neg, false))
}

/// The integer part and the 17 decimals of `%.17Lf` for a value whose integer part fits in 128
/// bits and whose fraction has at most 127 bits.
fn split_near(v: LongDouble) -> Option<(u128, u64)> {
    if !(-127..=63).contains(&v.exp) {
        return None;
    }
    let mant = u128::from(v.mant);
    if v.exp >= 0 {
        return Some((mant << v.exp, 0));
    }
    let s = (-v.exp) as u32;
    let low = mant & ((1u128 << s) - 1);
    // low < 2^64 and 10^17 < 2^57: the product fits.
    let scaled = low * u128::from(TEN_17);
    let mut frac = (scaled >> s) as u64;
    let half = 1u128 << (s - 1);
    frac += u64::from(scaled & half != 0 && (scaled & (half - 1) != 0 || frac & 1 == 1));
    let mut int = mant >> s;
    if frac == TEN_17 {
        frac = 0;
        int += 1;
    }
    Some((int, frac))
}

/// As `round_sticky` for `n < 2^128` and `exp` in `NEAR`.
fn round_near(n: u128, exp: i64, neg: bool, sticky: bool) -> Option<LongDouble> {
    if n == 0 {
        return Some(LongDouble::ZERO);
    }
    let shift = bits(n) - 64;
    let lsb = exp + shift;
    let mant = if shift <= 0 {
        (n as u64) << -shift
    } else {
        let kept = (n >> shift) as u64;
        let half = 1u128 << (shift - 1);
        let up = n & half != 0 && (sticky || n & (half - 1) != 0 || kept & 1 == 1);
        match kept.checked_add(u64::from(up)) {
            Some(m) => m,
            None => {
                return Some(LongDouble {
                    neg,
                    mant: 1 << 63,
                    exp: lsb + 1,
                })
            }
        }
    };
    Some(LongDouble {
        neg,
        mant,
        exp: lsb,
    })
}

/// How many bits `n` takes.
fn bits(n: u128) -> i64 {
    i64::from(128 - n.leading_zeros())
}

/// Digits of a decimal number (`12.5e3` and the like) as an integer and a power of ten.
fn parse_decimal(s: &[u8]) -> Option<(Big, i64)> {
    let mut n = Big::zero();
    let (mut digits, mut frac_digits, mut seen_dot, mut i) = (0usize, 0i64, false, 0);
    while i < s.len() {
        match s[i] {
            b'0'..=b'9' => {
                n.mul_add_small(10, u32::from(s[i] - b'0'));
                digits += 1;
                frac_digits += i64::from(seen_dot);
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => break,
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    let exp = parse_exponent(&s[i..], b'e')?;
    Some((n, exp - frac_digits))
}

/// Digits of a hex number after its `0x` (`1.8p3` and the like) as an integer and a power of two.
fn parse_hex(s: &[u8]) -> Option<(Big, i64)> {
    let mut n = Big::zero();
    let (mut digits, mut frac_digits, mut seen_dot, mut i) = (0usize, 0i64, false, 0);
    while i < s.len() {
        match (s[i] as char).to_digit(16) {
            Some(d) => {
                n.mul_add_small(16, d);
                digits += 1;
                frac_digits += i64::from(seen_dot);
            }
            None if s[i] == b'.' && !seen_dot => seen_dot = true,
            None => break,
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    let exp = parse_exponent(&s[i..], b'p')?;
    Some((n, exp - 4 * frac_digits))
}

/// An optional exponent (`e-5`, `p+3`) that must end the string; saturates far past any value
/// the format can hold.
fn parse_exponent(s: &[u8], mark: u8) -> Option<i64> {
    if s.is_empty() {
        return Some(0);
    }
    if !s[0].eq_ignore_ascii_case(&mark) {
        return None;
    }
    let (neg, digits) = match s.get(1) {
        Some(b'-') => (true, &s[2..]),
        Some(b'+') => (false, &s[2..]),
        _ => (false, &s[1..]),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let e = digits
        .iter()
        .fold(0i64, |e, d| (e * 10 + i64::from(d - b'0')).min(1 << 40));
    Some(if neg { -e } else { e })
}

/// `n × 2^exp2 × 10^exp10` (one of the exponents is 0) rounded to the format; `None` when it
/// overflows, or underflows to zero from a nonzero `n` (C's `ERANGE` cases Redis refuses).
fn from_parts(n: Big, exp2: i64, exp10: i64) -> Option<LongDouble> {
    if n.is_zero() {
        return Some(LongDouble::ZERO);
    }
    let bits = n.bits() as i64;
    // log2(10) < 3.33: bounds that leave the exact computation to values near the range.
    let magnitude = exp2 + bits + exp10 * 3322 / 1000;
    if magnitude > EXP_MAX + 64 + 8 {
        return None;
    }
    if magnitude < EXP_MIN - 8 {
        return None;
    }
    let v = if exp10 >= 0 {
        round(n.mul_small_pow10(exp10 as usize), exp2, false)?
    } else {
        // n / 10^-exp10, with at least 66 quotient bits so that the remainder only decides ties.
        let p = Big::from_u64(1).mul_small_pow10((-exp10) as usize);
        let k = (67 + p.bits() as i64 - bits).max(0) as usize;
        let (q, inexact) = if p.bits() <= 64 {
            let (q, rest) = n.shl(k).div_rem_u64(p.to_u64());
            (q, rest != 0)
        } else {
            let (q, rest) = n.shl(k).div_rem_bits(&p);
            (q, !rest.is_zero())
        };
        round_sticky(q, -(k as i64), false, inexact)?
    };
    (v.mant != 0).then_some(v)
}

/// `n × 2^exp` rounded to nearest (ties to even) into the format; `None` on overflow.
fn round(n: Big, exp: i64, neg: bool) -> Option<LongDouble> {
    round_sticky(n, exp, neg, false)
}

/// As [`round`] for a value a little above `n × 2^exp` when `sticky` is set (a nonzero
/// remainder below the last bit of `n`). Precondition: with `sticky`, `n` has at least 66 bits
/// or the value is subnormal, so the remainder sits below the rounding bit.
fn round_sticky(n: Big, exp: i64, neg: bool, sticky: bool) -> Option<LongDouble> {
    if n.is_zero() {
        return Some(LongDouble::ZERO);
    }
    let lsb = (exp + n.bits() as i64 - 64).max(EXP_MIN);
    let shift = lsb - exp;
    let (mant, lsb) = if shift <= 0 {
        (n.to_u64() << (-shift), lsb)
    } else {
        let s = shift as usize;
        let kept = n.shr(s).to_u64();
        let up = n.bit(s - 1) && (sticky || n.any_below(s - 1) || kept & 1 == 1);
        match kept.checked_add(u64::from(up)) {
            Some(m) => (m, lsb),
            None => (1 << 63, lsb + 1),
        }
    };
    if mant == 0 {
        return Some(LongDouble::ZERO);
    }
    (lsb <= EXP_MAX).then_some(LongDouble {
        neg,
        mant,
        exp: lsb,
    })
}

/// A nonnegative integer of any size: 32-bit limbs, least significant first, no zero limb on
/// top. Only what the conversions above need.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn zero() -> Big {
        Big(Vec::new())
    }

    fn from_u64(n: u64) -> Big {
        Big::from_u128(u128::from(n))
    }

    fn from_u128(n: u128) -> Big {
        Big((0..4).map(|i| (n >> (32 * i)) as u32).collect()).trimmed()
    }

    fn trimmed(mut self) -> Big {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
        self
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn bits(&self) -> usize {
        match self.0.last() {
            None => 0,
            Some(top) => self.0.len() * 32 - top.leading_zeros() as usize,
        }
    }

    fn bit(&self, i: usize) -> bool {
        self.0.get(i / 32).is_some_and(|l| l >> (i % 32) & 1 == 1)
    }

    /// True when any bit below bit `i` is set.
    fn any_below(&self, i: usize) -> bool {
        let (limbs, rest) = (i / 32, i % 32);
        self.0.iter().take(limbs).any(|&l| l != 0)
            || (rest > 0
                && self
                    .0
                    .get(limbs)
                    .is_some_and(|&l| l & ((1 << rest) - 1) != 0))
    }

    /// The low 64 bits.
    fn to_u64(&self) -> u64 {
        let lo = u64::from(self.0.first().copied().unwrap_or(0));
        let hi = u64::from(self.0.get(1).copied().unwrap_or(0));
        hi << 32 | lo
    }

    fn shl(&self, n: usize) -> Big {
        if self.is_zero() {
            return Big::zero();
        }
        let (limbs, bits) = (n / 32, n % 32);
        let mut out = vec![0u32; limbs];
        let mut carry = 0u32;
        for &l in &self.0 {
            if bits == 0 {
                out.push(l);
            } else {
                out.push(l << bits | carry);
                carry = l >> (32 - bits);
            }
        }
        out.push(carry);
        Big(out).trimmed()
    }

    fn shr(&self, n: usize) -> Big {
        let (limbs, bits) = (n / 32, n % 32);
        if limbs >= self.0.len() {
            return Big::zero();
        }
        let src = &self.0[limbs..];
        let out = (0..src.len())
            .map(|i| {
                let hi = src.get(i + 1).copied().unwrap_or(0);
                if bits == 0 {
                    src[i]
                } else {
                    src[i] >> bits | hi << (32 - bits)
                }
            })
            .collect();
        Big(out).trimmed()
    }

    /// The bits below bit `n`.
    fn low_bits(&self, n: usize) -> Big {
        let (limbs, bits) = (n / 32, n % 32);
        let mut out: Vec<u32> = self.0.iter().take(limbs + 1).copied().collect();
        if out.len() > limbs {
            out[limbs] &= ((1u64 << bits) - 1) as u32;
        }
        Big(out).trimmed()
    }

    fn mul_small(&self, m: u32) -> Big {
        let mut carry = 0u64;
        let mut out = Vec::with_capacity(self.0.len() + 1);
        for &l in &self.0 {
            let t = u64::from(l) * u64::from(m) + carry;
            out.push(t as u32);
            carry = t >> 32;
        }
        out.push(carry as u32);
        Big(out).trimmed()
    }

    fn mul_small_pow10(&self, mut k: usize) -> Big {
        let mut out = self.clone();
        while k > 0 {
            let step = k.min(9);
            out = out.mul_small(10u32.pow(step as u32));
            k -= step;
        }
        out
    }

    fn add(&self, other: &Big) -> Big {
        let mut out = Vec::with_capacity(self.0.len().max(other.0.len()) + 1);
        let mut carry = 0u64;
        for i in 0..self.0.len().max(other.0.len()) {
            let t = u64::from(self.0.get(i).copied().unwrap_or(0))
                + u64::from(other.0.get(i).copied().unwrap_or(0))
                + carry;
            out.push(t as u32);
            carry = t >> 32;
        }
        out.push(carry as u32);
        Big(out).trimmed()
    }

    /// `self - other`. Precondition: `self >= other`.
    fn sub(&self, other: &Big) -> Big {
        let mut out = Vec::with_capacity(self.0.len());
        let mut borrow = 0i64;
        for i in 0..self.0.len() {
            let mut t =
                i64::from(self.0[i]) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = i64::from(t < 0);
            if t < 0 {
                t += 1 << 32;
            }
            out.push(t as u32);
        }
        Big(out).trimmed()
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// Quotient and remainder of `self / d` for a divisor of one 64-bit word, a limb at a time:
    /// the usual case (numbers with up to 19 decimals), where the bitwise division would spend
    /// several allocations on every quotient bit.
    fn div_rem_u64(&self, d: u64) -> (Big, u64) {
        let d = u128::from(d);
        let mut q = vec![0u32; self.0.len()];
        let mut rem = 0u128;
        for (i, &limb) in self.0.iter().enumerate().rev() {
            // `rem < d < 2^64`, so `cur < d * 2^32` and each quotient limb fits 32 bits.
            let cur = rem << 32 | u128::from(limb);
            q[i] = (cur / d) as u32;
            rem = cur % d;
        }
        (Big(q).trimmed(), rem as u64)
    }

    /// `self * m + a`, in place.
    fn mul_add_small(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for l in &mut self.0 {
            let t = u64::from(*l) * u64::from(m) + carry;
            *l = t as u32;
            carry = t >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    /// Quotient and remainder of `self / d`, one quotient bit at a time: meant for quotients of
    /// a few dozen bits over large operands.
    fn div_rem_bits(&self, d: &Big) -> (Big, Big) {
        let mut rest = self.clone();
        let mut q = Big::zero();
        if self.bits() < d.bits() {
            return (q, rest);
        }
        for i in (0..=self.bits() - d.bits()).rev() {
            let t = d.shl(i);
            if rest.cmp(&t) != Ordering::Less {
                rest = rest.sub(&t);
                q = q.add(&Big::from_u64(1).shl(i));
            }
        }
        (q, rest)
    }

    fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".to_string();
        }
        let mut chunks = Vec::new();
        let mut n = self.clone();
        while !n.is_zero() {
            let mut rem = 0u64;
            for l in n.0.iter_mut().rev() {
                let t = rem << 32 | u64::from(*l);
                *l = (t / 1_000_000_000) as u32;
                rem = t % 1_000_000_000;
            }
            n = n.trimmed();
            chunks.push(rem);
        }
        let mut out = chunks.pop().expect("nonzero").to_string();
        for c in chunks.iter().rev() {
            out.push_str(&format!("{c:09}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> LongDouble {
        match LongDouble::parse(s.as_bytes()) {
            Some(Parsed::Finite(v)) => v,
            other => panic!("{s}: {other:?}"),
        }
    }

    fn sum(a: &str, b: &str) -> String {
        num(a).checked_add(num(b)).unwrap().to_human()
    }

    #[test]
    fn sums_print_as_redis_prints_them() {
        // Each expectation is what stock Redis 7.0 on x86-64 answers to HINCRBYFLOAT.
        assert_eq!(sum("0", "1000.1"), "1000.09999999999999998");
        assert_eq!(sum("0.1", "0.2"), "0.3");
        assert_eq!(sum("0.1", "0.7"), "0.8");
        assert_eq!(sum("10.5", "0.1"), "10.6");
        assert_eq!(sum("17179869184", "1.5"), "17179869185.5");
        assert_eq!(sum("1.5", "-1.5"), "0");
        assert_eq!(sum("0", "-1e-30"), "0");
        assert_eq!(sum("0", "5e-18"), "0");
        assert_eq!(sum("0", "1.000000000000000005"), "1");
        assert_eq!(sum("0", "12345678.123456789"), "12345678.12345678899964696");
        assert_eq!(sum("0", "0x1.8p1"), "3");
        assert_eq!(sum("0", "0X.8"), "0.5");
        assert_eq!(sum("0", "+.5e1"), "5");
        assert_eq!(sum("-3", "1"), "-2");
    }

    #[test]
    fn huge_values_print_every_digit() {
        let big = sum("0", "1e400");
        assert_eq!(big.len(), 401);
        assert!(big.starts_with("10000000000000000000281880683947586514586453433629052"));
        assert!(big.ends_with("2497430221946880"));
        let near_max = sum("1.7e308", "1e4932");
        assert_eq!(near_max.len(), 4933);
        assert!(near_max.starts_with("100000000000000000000601894938796389132383777"));
    }

    #[test]
    fn reading_follows_string2ld() {
        for bad in [
            "", " 1", "1 ", "abc", "nan", "-nan", "1e", "1e+", ".", "0x", "0x1p", "1\x002",
            "1e-4960", "1e4933", "--1", "1.2.3",
        ] {
            assert_eq!(LongDouble::parse(bad.as_bytes()), None, "{bad:?}");
        }
        for inf in ["inf", "-INF", "Infinity"] {
            assert_eq!(LongDouble::parse(inf.as_bytes()), Some(Parsed::Infinite));
        }
        assert_eq!(
            num("1e-4950").to_human(),
            "0",
            "a subnormal is still a number"
        );
        assert_eq!(num("007").to_human(), "7");
        assert_eq!(num("1.").to_human(), "1");
        assert_eq!(
            num("-9223372036854775808").to_human(),
            "-9223372036854775808"
        );
        assert!(LongDouble::parse(&vec![b'1'; MAX_CHARS]).is_none());
    }

    #[test]
    fn word_division_agrees_with_bitwise_division() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(5);
        for _ in 0..2000 {
            let limbs = rng.gen_range(0..8);
            let n = Big((0..limbs).map(|_| rng.gen::<u32>()).collect()).trimmed();
            let d: u64 = match rng.gen_range(0..3) {
                0 => 10u64.pow(rng.gen_range(0..20)),
                1 => rng.gen_range(1..1000),
                _ => rng.gen::<u64>().max(1),
            };
            let (q, r) = n.div_rem_u64(d);
            let (q2, r2) = n.div_rem_bits(&Big::from_u64(d));
            assert_eq!((q, Big::from_u64(r)), (q2, r2), "{n:?} / {d}");
        }
    }

    /// The reading of a plain decimal through big integers only.
    fn parse_exact(s: &str) -> Option<LongDouble> {
        let (n, e) = parse_decimal(s.as_bytes())?;
        from_parts(n, 0, e)
    }

    #[test]
    fn the_128_bit_paths_agree_with_the_big_integer_ones() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(17);
        let mut values = Vec::new();
        for _ in 0..20_000 {
            let int_digits = rng.gen_range(1..=21);
            let frac_digits = rng.gen_range(0..=17);
            let digits: String = (0..int_digits + frac_digits)
                .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
                .collect();
            let text = if frac_digits == 0 {
                digits
            } else {
                format!("{}.{}", &digits[..int_digits], &digits[int_digits..])
            };
            let fast = parse_plain_decimal(text.as_bytes());
            assert_eq!(fast, parse_exact(&text), "{text}");
            values.push(fast.unwrap());
        }
        for _ in 0..20_000 {
            // Random significands and exponents around and beyond the 128-bit paths' range.
            values.push(LongDouble {
                neg: rng.gen(),
                mant: rng.gen::<u64>() | 1 << 63,
                exp: rng.gen_range(-300..300),
            });
        }
        for w in values.windows(2) {
            let (a, b) = (w[0], w[1]);
            if let Some((int, frac)) = split_near(a) {
                assert_eq!((Big::from_u128(int), frac), a.split_exact(), "{a:?}");
            }
            for b in [b, LongDouble { neg: !b.neg, ..b }] {
                if a.mant != 0 && b.mant != 0 {
                    if let Some(fast) = add_near(a, b) {
                        assert_eq!(fast, a.add_exact(b), "{a:?} + {b:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn overflow_is_reported() {
        let max = num("1.18e4932");
        assert_eq!(max.checked_add(max), None);
        assert!(max.checked_add(num("-1.18e4932")).is_some());
    }
}

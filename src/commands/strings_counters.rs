//! Strings used as numbers: INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT.
//!
//! Owns: the integer and float arithmetic on stored strings, and how a float result is written
//! back. Runs on: the executor owning the key. Every command here keeps the key's TTL.

use bytes::Bytes;

use super::args::parse_i64;
use super::ctx::ShardCtx;
use super::long_double::{LongDouble, Parsed};
use super::strings::{string_mut, word};
use super::table::CmdResult;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::storage::db::Entry;
use crate::storage::str_value::StrValue;
use crate::storage::value::{StrForm, Value};

/// INCR key
pub(super) fn incr(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    incr_by(cx, &args[1], 1)
}

/// DECR key
pub(super) fn decr(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    incr_by(cx, &args[1], -1)
}

/// INCRBY key increment
///
/// The increment is checked before the key is looked at (R3: a bad increment wins over a bad
/// stored value).
pub(super) fn incrby(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let delta = parse_i64(&args[2]).ok_or(CmdError::NotInteger)?;
    incr_by(cx, &args[1], delta)
}

/// DECRBY key decrement
///
/// A decrement of i64::MIN cannot be negated and fails with its own error.
pub(super) fn decrby(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let delta = parse_i64(&args[2]).ok_or(CmdError::NotInteger)?;
    if delta == i64::MIN {
        return Err(CmdError::custom("ERR decrement would overflow"));
    }
    incr_by(cx, &args[1], -delta)
}

/// Adds `delta` to the integer stored at `key`, an absent key counting as 0; the routine behind
/// INCR, DECR, INCRBY and DECRBY. Errors: the key holds another type (`WrongType`), its string is
/// not a 64-bit integer in canonical form (`NotInteger`), the sum overflows (`Overflow`). Keeps
/// the TTL. Propagated as is: integer arithmetic replays identically.
fn incr_by(cx: &mut ShardCtx<'_>, key: &Bytes, delta: i64) -> CmdResult {
    let new = match cx.lookup_write(key) {
        Some(e) => {
            let s = string_mut(e)?;
            let old = parse_i64(s).ok_or(CmdError::NotInteger)?;
            let new = old.checked_add(delta).ok_or(CmdError::Overflow)?;
            *s = int_value(new);
            e.str_form = StrForm::Whole;
            new
        }
        None => {
            cx.db()
                .insert(key, Entry::new(Value::Str(int_value(delta))));
            delta
        }
    };
    cx.dirty(1);
    Ok(Reply::Int(new))
}

/// The decimal form of `n` as a stored string: in place, without an allocation.
fn int_value(n: i64) -> StrValue {
    StrValue::from_slice(itoa::Buffer::new().format(n).as_bytes())
}

/// INCRBYFLOAT key increment
///
/// Adds a float to the number stored at `key` (absent = 0) and stores the sum as text, keeping
/// the TTL. Unlike INCRBY, the key's type and value are checked before the increment (R3); both
/// fail with `NotFloat`. A NaN or infinite sum fails and stores nothing. Propagated as
/// `SET key <sum> KEEPTTL`, so a replica stores the same bytes whatever its float arithmetic.
pub(super) fn incrbyfloat(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    // The stored value is read before the increment (R3), and both in C `long double`, as Redis
    // does: its extra precision shows in the reply (1000.1 answers 1000.09999999999999998).
    let old = match cx.lookup_write(key) {
        Some(e) => read_long_double(string_mut(e)?)?,
        None => Parsed::Finite(LongDouble::ZERO),
    };
    let delta = read_long_double(&args[2])?;
    // An infinity on either side is only reported once both have parsed, as Redis sees it
    // in the sum: `SET k inf` then `INCRBYFLOAT k abc` is a float error, not an infinity.
    let (Parsed::Finite(old), Parsed::Finite(delta)) = (old, delta) else {
        return Err(CmdError::NanOrInfinity);
    };
    let sum = old.checked_add(delta).ok_or(CmdError::NanOrInfinity)?;
    let text = Bytes::from(sum.to_human());
    match cx.lookup_write(key) {
        Some(e) => {
            e.value = Value::Str(StrValue::stored(&text));
            e.str_form = StrForm::Text;
        }
        None => {
            let entry = Entry {
                str_form: StrForm::Text,
                ..Entry::new(Value::Str(StrValue::stored(&text)))
            };
            cx.db().insert(key.clone(), entry);
        }
    }
    cx.dirty(1);
    cx.out.replace(vec![
        word("SET"),
        key.clone(),
        text.clone(),
        word("KEEPTTL"),
    ]);
    Ok(Reply::Bulk(text))
}

/// A number as INCRBYFLOAT reads it: not a number is NotFloat. An infinity parses; the
/// caller reports the infinite sum it would make.
fn read_long_double(b: &[u8]) -> Result<Parsed, CmdError> {
    LongDouble::parse(b).ok_or(CmdError::NotFloat)
}

#[cfg(test)]
mod tests {
    use super::super::strings::testing::*;
    use crate::commands::propagation::Propagation;

    const NOT_INT: &str = "ERR value is not an integer or out of range";
    const NOT_FLOAT: &str = "ERR value is not a valid float";

    #[test]
    fn incr_and_decr_start_from_zero() {
        let mut s = Session::new();
        assert_eq!(s.run("INCR n"), int(1));
        assert_eq!(s.out, Propagation::AsIs);
        assert_eq!(s.run("INCR n"), int(2));
        assert_eq!(s.run("DECR m"), int(-1));
        assert_eq!(s.run("INCRBY n 40"), int(42));
        assert_eq!(s.run("DECRBY n 50"), int(-8));
        assert_eq!(s.run("GET n"), bulk("-8"));
        assert_eq!(s.ks.stats.dirty, 5);
    }

    #[test]
    fn incr_keeps_the_ttl() {
        let mut s = Session::new();
        s.run("SET n 10 EX 100");
        assert_eq!(s.run("INCR n"), int(11));
        assert_eq!(s.deadline("n"), Some(NOW + 100_000));
    }

    #[test]
    fn incr_refuses_values_that_are_not_canonical_integers() {
        let mut s = Session::new();
        for v in [
            "abc",
            " 1",
            "1 ",
            "01",
            "+1",
            "1.5",
            "",
            "9223372036854775808",
        ] {
            s.set("n", v);
            assert_eq!(s.run("INCR n"), err(NOT_INT), "{v:?}");
        }
        assert_eq!(s.run("GET n"), bulk("9223372036854775808"));
    }

    #[test]
    fn incrby_checks_its_increment_before_the_key() {
        let mut s = Session::new();
        s.run("SET n abc");
        assert_eq!(s.run("INCRBY n x"), err(NOT_INT));
        assert_eq!(s.run("INCRBY m 1.5"), err(NOT_INT));
        assert_eq!(s.run("GET m"), nil());
    }

    #[test]
    fn overflow_is_refused_and_stores_nothing() {
        let mut s = Session::new();
        let overflow = err("ERR increment or decrement would overflow");
        s.run("SET n 9223372036854775807");
        assert_eq!(s.run("INCR n"), overflow);
        assert_eq!(s.run("GET n"), bulk("9223372036854775807"));
        s.run("SET n -9223372036854775808");
        assert_eq!(s.run("DECR n"), overflow);
        assert_eq!(s.run("INCRBY n -1"), overflow);
        assert_eq!(s.run("INCRBY n 9223372036854775807"), int(-1));
        assert_eq!(
            s.run("DECRBY n -9223372036854775808"),
            err("ERR decrement would overflow")
        );
        assert_eq!(s.run("DECRBY n 9223372036854775807"), int(i64::MIN));
    }

    #[test]
    fn incrbyfloat_writes_short_decimals() {
        let mut s = Session::new();
        assert_eq!(s.run("INCRBYFLOAT f 10.5"), bulk("10.5"));
        assert_eq!(s.run("INCRBYFLOAT f 0.1"), bulk("10.6"));
        assert_eq!(s.run("GET f"), bulk("10.6"));
        s.run("SET f 5.0e3");
        assert_eq!(s.run("INCRBYFLOAT f 2.0e2"), bulk("5200"));
        s.run("SET f 17179869184");
        assert_eq!(s.run("INCRBYFLOAT f 1.5"), bulk("17179869185.5"));
        assert_eq!(s.run("INCRBYFLOAT g 3.0e3"), bulk("3000"));
        assert_eq!(s.run("INCRBYFLOAT g -3000"), bulk("0"));
    }

    #[test]
    fn incrbyfloat_propagates_a_set_of_its_result() {
        let mut s = Session::new();
        s.run("SET f 1 EX 100");
        assert_eq!(s.run("incrbyfloat f 0.5"), bulk("1.5"));
        assert_eq!(s.out, propagated("SET f 1.5 KEEPTTL"));
        assert_eq!(s.deadline("f"), Some(NOW + 100_000));
    }

    #[test]
    fn incrbyfloat_refuses_bad_numbers_and_infinite_sums() {
        let mut s = Session::new();
        for v in [" 11", "11 ", "abc", "1\x002", ""] {
            s.set("f", v);
            assert_eq!(s.run("INCRBYFLOAT f 1"), err(NOT_FLOAT), "{v:?}");
        }
        s.run("SET f 1");
        assert_eq!(s.run("INCRBYFLOAT f x"), err(NOT_FLOAT));
        assert_eq!(s.run("INCRBYFLOAT f nan"), err(NOT_FLOAT));
        let nan_inf = err("ERR increment would produce NaN or Infinity");
        assert_eq!(s.run("INCRBYFLOAT f +inf"), nan_inf);
        s.run("SET f inf");
        assert_eq!(s.run("INCRBYFLOAT f 1"), nan_inf);
        assert_eq!(s.run("GET f"), bulk("inf"));
    }

    #[test]
    fn incrbyfloat_text_is_never_int_encoded_but_incr_is() {
        let mut s = Session::new();
        assert_eq!(s.run("INCRBYFLOAT f 3"), bulk("3"));
        assert_eq!(s.encoding("f"), "embstr");
        s.run("SET g 2");
        s.run("INCRBYFLOAT g 1");
        assert_eq!(s.encoding("g"), "embstr");
        s.run("APPEND g 0");
        assert_eq!(s.encoding("g"), "raw");
        assert_eq!(s.run("INCR g"), int(31));
        assert_eq!(s.encoding("g"), "int");
    }

    #[test]
    fn incrbyfloat_on_an_infinity_checks_the_increment_first() {
        let mut s = Session::new();
        s.run("SET f inf");
        assert_eq!(s.run("INCRBYFLOAT f abc"), err(NOT_FLOAT));
        assert_eq!(
            s.run("INCRBYFLOAT f -inf"),
            err("ERR increment would produce NaN or Infinity")
        );
    }

    #[test]
    fn incrbyfloat_answers_what_redis_long_doubles_give() {
        let mut s = Session::new();
        s.run("SET g 0.1");
        assert_eq!(s.run("INCRBYFLOAT g 0.2"), bulk("0.3"));
        assert_eq!(
            s.run("INCRBYFLOAT h 1000.1"),
            bulk("1000.09999999999999998")
        );
        assert_eq!(s.run("INCRBYFLOAT k 1.25e-5"), bulk("0.0000125"));
    }
}

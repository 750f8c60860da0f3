//! The hash commands that write: HSET, HMSET, HSETNX, HDEL, HINCRBY and HINCRBYFLOAT.
//!
//! Owns: how each write changes a hash, what it counts as changes, and what it propagates. Runs
//! on: the executor owning the key. Every command here keeps the key's TTL; a hash left empty is
//! deleted with its key (see [`write_hash`]).

use bytes::Bytes;

use super::args::parse_i64;
use super::ctx::ShardCtx;
use super::hashes::write_hash;
use super::long_double::{LongDouble, Parsed};
use super::table::CmdResult;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;

/// HINCRBY on a value that is not a 64-bit integer in canonical form.
const HASH_NOT_INTEGER: &str = "ERR hash value is not an integer";
/// HINCRBYFLOAT on a value that does not read as a number.
const HASH_NOT_FLOAT: &str = "ERR hash value is not a float";
/// HINCRBYFLOAT with an infinite increment.
const INCREMENT_NOT_FINITE: &str = "ERR value is NaN or Infinity";

/// HSET key field value [field value ...]
///
/// Answers how many fields were added (updates do not count).
pub(super) fn hset(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    hset_generic(cx, args, "hset").map(Reply::Int)
}

/// HMSET key field value [field value ...]
///
/// HSET under its old name, answering OK.
pub(super) fn hmset(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    hset_generic(cx, args, "hmset").map(|_| Reply::Ok)
}

/// Sets each field of `args[2..]` to the value after it, creating the hash when absent; the
/// routine behind HSET and HMSET (`name` is the one an arity error names). A field without its
/// value is an arity error, checked before the key (as Redis does). The arguments' lengths are
/// checked before any is written, so a long one converts the hash first. Counts one change per
/// pair, added or not. Returns the number of fields added.
fn hset_generic(
    cx: &mut ShardCtx<'_>,
    args: &[Bytes],
    name: &'static str,
) -> Result<i64, CmdError> {
    if args.len() % 2 == 1 {
        return Err(CmdError::WrongArity(name.into()));
    }
    let pairs = &args[2..];
    let added = write_hash(cx, &args[1], true, |h| {
        let h = h.expect("created when absent");
        h.convert_for_lengths(pairs.iter().map(Bytes::len));
        Ok(pairs
            .chunks_exact(2)
            .filter(|p| h.set(&p[0], &p[1]))
            .count())
    })?;
    cx.dirty((pairs.len() / 2) as u64);
    Ok(added as i64)
}

/// HSETNX key field value
///
/// Sets the field only when it is absent: 1 when it was set, 0 (propagating nothing) when the
/// field was already there.
pub(super) fn hsetnx(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let (field, value) = (&args[2], &args[3]);
    let set = write_hash(cx, &args[1], true, |h| {
        let h = h.expect("created when absent");
        Ok(!h.contains(field) && h.set(field, value))
    })?;
    if set {
        cx.dirty(1);
    } else {
        cx.out.suppress();
    }
    Ok(Reply::Int(i64::from(set)))
}

/// HDEL key field [field ...]
///
/// Answers how many of the fields were there and are now gone; deletes the key with its last
/// field. Propagates nothing when nothing was deleted.
pub(super) fn hdel(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let removed = write_hash(cx, &args[1], false, |h| {
        Ok(h.map_or(0, |h| args[2..].iter().filter(|f| h.remove(f)).count()))
    })?;
    if removed == 0 {
        cx.out.suppress();
    } else {
        cx.dirty(removed as u64);
    }
    Ok(Reply::Int(removed as i64))
}

/// HINCRBY key field increment
///
/// Adds to the integer in `field` (absent counts as 0) and answers the sum. The increment is
/// checked before the key (R3). Errors: the value is not a 64-bit integer in canonical form, or
/// the sum overflows; either leaves the hash unchanged. Propagated as is.
pub(super) fn hincrby(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let delta = parse_i64(&args[3]).ok_or(CmdError::NotInteger)?;
    let field = &args[2];
    let sum = write_hash(cx, &args[1], true, |h| {
        let h = h.expect("created when absent");
        let old = match h.get(field) {
            Some(v) => parse_i64(v).ok_or(CmdError::custom(HASH_NOT_INTEGER))?,
            None => 0,
        };
        let sum = old.checked_add(delta).ok_or(CmdError::Overflow)?;
        let text = itoa::Buffer::new().format(sum).as_bytes().to_vec();
        h.set(field, &Bytes::from(text));
        Ok(sum)
    })?;
    cx.dirty(1);
    Ok(Reply::Int(sum))
}

/// HINCRBYFLOAT key field increment
///
/// Adds to the number in `field` (absent counts as 0) in C `long double` arithmetic, as Redis
/// does, and stores and answers the sum as Redis writes it (up to 17 decimals, no exponent).
/// The increment is checked before the key (R3): it must read as a number and be finite.
/// Errors after the lookup: the value does not read as a number, or the sum is infinite.
/// Propagated as `HSET key field <sum>`, so a replica stores the same bytes whatever its float
/// arithmetic.
pub(super) fn hincrbyfloat(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let delta = match LongDouble::parse(&args[3]).ok_or(CmdError::NotFloat)? {
        Parsed::Finite(d) => d,
        Parsed::Infinite => return Err(CmdError::custom(INCREMENT_NOT_FINITE)),
    };
    let (key, field) = (&args[1], &args[2]);
    let text = write_hash(cx, key, true, |h| {
        let h = h.expect("created when absent");
        let old = match h.get(field) {
            None => LongDouble::ZERO,
            Some(v) => match LongDouble::parse(v) {
                Some(Parsed::Finite(old)) => old,
                Some(Parsed::Infinite) => return Err(CmdError::NanOrInfinity),
                None => return Err(CmdError::custom(HASH_NOT_FLOAT)),
            },
        };
        let sum = old.checked_add(delta).ok_or(CmdError::NanOrInfinity)?;
        let text = Bytes::from(sum.to_human());
        h.set(field, &text);
        Ok(text)
    })?;
    cx.dirty(1);
    cx.out.replace(vec![
        Bytes::from_static(b"HSET"),
        key.clone(),
        field.clone(),
        text.clone(),
    ]);
    Ok(Reply::Bulk(text))
}

#[cfg(test)]
mod tests {
    use super::super::hashes::testing::*;
    use crate::commands::propagation::Propagation;

    const NOT_INT: &str = "ERR value is not an integer or out of range";
    const NOT_FLOAT: &str = "ERR value is not a valid float";

    #[test]
    fn hset_counts_added_fields_and_every_pair_as_a_change() {
        let mut s = Session::new();
        assert_eq!(s.run("HSET h a 1 b 2"), int(2));
        assert_eq!(s.run("HSET h a 3 c 4"), int(1));
        assert_eq!(s.out, Propagation::AsIs);
        assert_eq!(s.ks.stats.dirty, 4);
        assert_eq!(s.run("HGET h a"), bulk("3"));
        assert_eq!(s.run("HMSET h d 5"), ok());
        assert_eq!(s.run("HLEN h"), int(4));
        assert_eq!(s.run("TYPE h"), status("hash"));
    }

    #[test]
    fn a_field_without_its_value_is_an_arity_error() {
        let mut s = Session::new();
        s.set("str", "x");
        for (line, name) in [
            ("HSET h a", "hset"),
            ("HSET h a 1 b", "hset"),
            ("HMSET h a 1 b", "hmset"),
            ("HSET str a 1 b", "hset"),
        ] {
            assert_eq!(
                s.run(line),
                err(&format!(
                    "ERR wrong number of arguments for '{name}' command"
                )),
                "{line}"
            );
        }
        assert_eq!(s.run("EXISTS h"), int(0));
    }

    #[test]
    fn hsetnx_sets_only_a_missing_field() {
        let mut s = Session::new();
        assert_eq!(s.run("HSETNX h f 1"), int(1));
        assert_eq!(s.run("HSETNX h f 2"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("HGET h f"), bulk("1"));
        assert_eq!(s.ks.stats.dirty, 1);
    }

    #[test]
    fn hdel_deletes_the_key_with_its_last_field() {
        let mut s = Session::new();
        s.run("HSET h a 1 b 2 c 3");
        assert_eq!(s.run("HDEL h a x a"), int(1));
        assert_eq!(s.run("HDEL h x"), int(0));
        assert_eq!(s.out, Propagation::Nothing);
        assert_eq!(s.run("HDEL nokey x"), int(0));
        assert_eq!(s.run("HDEL h b c"), int(2));
        assert_eq!(s.out, Propagation::AsIs);
        assert_eq!(s.run("EXISTS h"), int(0));
    }

    #[test]
    fn writes_keep_the_ttl() {
        let mut s = Session::new();
        s.run("HSET h a 1");
        s.run("EXPIRE h 100");
        s.run("HSET h b 2");
        s.run("HINCRBY h a 1");
        s.run("HINCRBYFLOAT h a 1.5");
        s.run("HDEL h b");
        assert_eq!(s.deadline("h"), Some(NOW + 100_000));
    }

    #[test]
    fn hincrby_adds_and_refuses_what_is_not_an_integer() {
        let mut s = Session::new();
        assert_eq!(s.run("HINCRBY h n 5"), int(5));
        assert_eq!(s.run("HINCRBY h n -7"), int(-2));
        assert_eq!(s.run("HGET h n"), bulk("-2"));
        s.run("HSET h s 1.5 z 01");
        let not_int = err("ERR hash value is not an integer");
        assert_eq!(s.run("HINCRBY h s 1"), not_int);
        assert_eq!(s.run("HINCRBY h z 1"), not_int);
        assert_eq!(s.run("HINCRBY h n x"), err(NOT_INT));
        s.set("str", "x");
        assert_eq!(s.run("HINCRBY str n x"), err(NOT_INT), "increment first");
        assert_eq!(s.run("HINCRBY nokey n x"), err(NOT_INT));
        assert_eq!(s.run("EXISTS nokey"), int(0));
    }

    #[test]
    fn hincrby_overflow_keeps_the_value() {
        let mut s = Session::new();
        s.run("HSET h n 9223372036854775807");
        assert_eq!(
            s.run("HINCRBY h n 1"),
            err("ERR increment or decrement would overflow")
        );
        assert_eq!(s.run("HGET h n"), bulk("9223372036854775807"));
        assert_eq!(s.run("HINCRBY h n -9223372036854775807"), int(0));
    }

    #[test]
    fn hincrbyfloat_answers_and_propagates_its_sum() {
        let mut s = Session::new();
        assert_eq!(s.run("HINCRBYFLOAT h f 10.5"), bulk("10.5"));
        assert_eq!(s.run("HINCRBYFLOAT h f 0.1"), bulk("10.6"));
        assert_eq!(s.out, propagated("HSET h f 10.6"));
        assert_eq!(
            s.run("HINCRBYFLOAT h g 1000.1"),
            bulk("1000.09999999999999998")
        );
        s.run("HSET h n 17179869184");
        assert_eq!(s.run("HINCRBYFLOAT h n 1.5"), bulk("17179869185.5"));
        assert_eq!(s.run("HINCRBYFLOAT h n 5.0e3"), bulk("17179874185.5"));
        assert_eq!(s.run("HGET h n"), bulk("17179874185.5"));
    }

    #[test]
    fn hincrbyfloat_errors_match_redis() {
        let mut s = Session::new();
        assert_eq!(s.run("HINCRBYFLOAT h f x"), err(NOT_FLOAT));
        assert_eq!(s.run("HINCRBYFLOAT h f nan"), err(NOT_FLOAT));
        assert_eq!(
            s.run("HINCRBYFLOAT h f inf"),
            err("ERR value is NaN or Infinity")
        );
        assert_eq!(s.run("EXISTS h"), int(0));
        s.run("HSET h s abc i inf big 1e4932");
        assert_eq!(
            s.run("HINCRBYFLOAT h s 1"),
            err("ERR hash value is not a float")
        );
        let nan_inf = err("ERR increment would produce NaN or Infinity");
        assert_eq!(s.run("HINCRBYFLOAT h i 1"), nan_inf);
        assert_eq!(s.run("HINCRBYFLOAT h big 1e4932"), nan_inf);
        assert_eq!(s.run("HGET h big"), bulk("1e4932"));
        s.set("str", "1");
        assert_eq!(
            s.run("HINCRBYFLOAT str f x"),
            err(NOT_FLOAT),
            "increment first"
        );
    }

    #[test]
    fn a_long_value_or_too_many_fields_convert_to_a_hashtable() {
        let mut s = Session::new();
        s.run("HSET h a 1");
        assert_eq!(bulk(s.encoding("h")), bulk("listpack"));
        let long = "x".repeat(65);
        s.run(&format!("HSET h b {long}"));
        assert_eq!(bulk(s.encoding("h")), bulk("hashtable"));
        s.run("HINCRBYFLOAT g f 1.123456789012345678901234567890123456789012345678901234567890");
        assert_eq!(
            bulk(s.encoding("g")),
            bulk("listpack"),
            "the stored sum is short"
        );
        let line: Vec<String> = (0..513).map(|i| format!("f{i} {i}")).collect();
        s.run(&format!("HSET big {}", line.join(" ")));
        assert_eq!(bulk(s.encoding("big")), bulk("hashtable"));
        assert_eq!(s.run("HLEN big"), int(513));
    }
}

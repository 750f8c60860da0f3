//! String commands, as a user sees them: GET, SET and its options, the SET family, GETEX,
//! GETDEL, the counters, APPEND, STRLEN, GETRANGE, SETRANGE, MGET, MSET and MSETNX.
//!
//! Multi-key commands are also run on keys owned by different shards, and MSET against MGET
//! is checked for atomicity across shards.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use common::*;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const SYNTAX: &str = "ERR syntax error";

// ---------------------------------------------------------------- GET and SET

#[test]
fn set_then_get_returns_the_value() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "GET k"), nil());
    assert_eq!(run(&mut c, "SET k v"), ok());
    assert_eq!(run(&mut c, "GET k"), bulk("v"));
    assert_eq!(run(&mut c, "SET k other"), ok());
    assert_eq!(run(&mut c, "GET k"), bulk("other"));
    assert_eq!(run(&mut c, "SET empty \"\""), ok());
    assert_eq!(run(&mut c, "GET empty"), bulk(""));
    assert_eq!(run(&mut c, "STRLEN empty"), int(0));
}

#[test]
fn values_and_keys_are_binary_safe() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let key: &[u8] = b"k\x00\r\n\xff";
    let value: &[u8] = b"\x00\x01\r\n$3\r\n\xfe";
    assert_eq!(run_args(&mut c, &[&b"SET"[..], key, value]), ok());
    assert_eq!(run_args(&mut c, &[&b"GET"[..], key]), bulk(value));
    assert_eq!(run_args(&mut c, &[&b"STRLEN"[..], key]), int(9));
    let big = vec![b'x'; 1 << 20];
    assert_eq!(run_args(&mut c, &[&b"SET"[..], b"big", &big]), ok());
    assert_eq!(run(&mut c, "GET big"), bulk(&big));
}

#[test]
fn set_nx_only_creates_and_xx_only_replaces() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET k v XX"), nil());
    assert_eq!(run(&mut c, "EXISTS k"), int(0));
    assert_eq!(run(&mut c, "SET k v NX"), ok());
    assert_eq!(run(&mut c, "SET k w NX"), nil());
    assert_eq!(run(&mut c, "GET k"), bulk("v"));
    assert_eq!(run(&mut c, "SET k w XX"), ok());
    assert_eq!(run(&mut c, "GET k"), bulk("w"));
    // Options are case-insensitive.
    assert_eq!(run(&mut c, "set k z nx"), nil());
    assert_eq!(run(&mut c, "set k z xx"), ok());
}

#[test]
fn set_ex_px_exat_pxat_set_the_deadline() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET a v EX 100"), ok());
    assert_between(run(&mut c, "TTL a"), 99, 100);
    assert_eq!(run(&mut c, "SET b v PX 100000"), ok());
    assert_between(run(&mut c, "PTTL b"), 90_000, 100_000);
    let at = unix_secs() + 100;
    assert_eq!(run(&mut c, &format!("SET c v EXAT {at}")), ok());
    assert_eq!(run(&mut c, "EXPIRETIME c"), int(at));
    let at_ms = now_ms() + 100_000;
    assert_eq!(run(&mut c, &format!("SET d v PXAT {at_ms}")), ok());
    assert_eq!(run(&mut c, "PEXPIRETIME d"), int(at_ms));
    assert_eq!(run(&mut c, "GET d"), bulk("v"));
}

#[test]
fn set_with_a_deadline_in_the_past_deletes_the_key() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET k old"), ok());
    assert_eq!(run(&mut c, "SET k v PXAT 1"), ok());
    assert_eq!(run(&mut c, "EXISTS k"), int(0));
    assert_eq!(run(&mut c, "SET k v EXAT 1"), ok());
    assert_eq!(run(&mut c, "GET k"), nil());
}

#[test]
fn set_clears_the_ttl_unless_keepttl() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET k v EX 100"), ok());
    assert_eq!(run(&mut c, "SET k w KEEPTTL"), ok());
    assert_between(run(&mut c, "TTL k"), 99, 100);
    assert_eq!(run(&mut c, "GET k"), bulk("w"));
    assert_eq!(run(&mut c, "SET k x"), ok());
    assert_eq!(run(&mut c, "TTL k"), int(-1));
}

#[test]
fn set_get_returns_the_old_value() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET k v GET"), nil());
    assert_eq!(run(&mut c, "SET k w GET"), bulk("v"));
    assert_eq!(run(&mut c, "GET k"), bulk("w"));
    // With NX the old value comes back and nothing is written.
    assert_eq!(run(&mut c, "SET k x NX GET"), bulk("w"));
    assert_eq!(run(&mut c, "GET k"), bulk("w"));
    assert_eq!(run(&mut c, "SET new x NX GET"), nil());
    assert_eq!(run(&mut c, "GET new"), bulk("x"));
    // With XX on a missing key: nil, and nothing is written.
    assert_eq!(run(&mut c, "SET gone y XX GET"), nil());
    assert_eq!(run(&mut c, "EXISTS gone"), int(0));
    assert_eq!(run(&mut c, "SET k y XX GET"), bulk("w"));
    assert_eq!(run(&mut c, "GET k"), bulk("y"));
}

#[test]
fn set_get_on_a_list_is_wrongtype_and_changes_nothing() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "RPUSH l a"), int(1));
    assert_eq!(run(&mut c, "SET l v GET"), err(WRONGTYPE));
    assert_eq!(run(&mut c, "TYPE l"), status("list"));
    // Without GET, SET replaces a key of any type.
    assert_eq!(run(&mut c, "SET l v"), ok());
    assert_eq!(run(&mut c, "GET l"), bulk("v"));
}

#[test]
fn set_rejects_bad_options_with_redis_errors() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let invalid = "ERR invalid expire time in 'set' command";
    for (line, expected) in [
        ("SET k v NX XX", SYNTAX),
        ("SET k v EX 10 PX 100", SYNTAX),
        ("SET k v EX 10 KEEPTTL", SYNTAX),
        ("SET k v PXAT 10 EXAT 10", SYNTAX),
        ("SET k v EX", SYNTAX),
        ("SET k v FOO", SYNTAX),
        ("SET k v v2", SYNTAX),
        ("SET k v EX foo", NOT_INT),
        ("SET k v PX 1.5", NOT_INT),
        ("SET k v EX 0", invalid),
        ("SET k v EX -1", invalid),
        ("SET k v PX 0", invalid),
        ("SET k v EXAT 0", invalid),
        ("SET k v PXAT -5", invalid),
        ("SET k v EX 9999999999999999", invalid),
        ("SET k v PX 9223372036854775807", invalid),
        ("SET k", "ERR wrong number of arguments for 'set' command"),
    ] {
        assert_eq!(run(&mut c, line), err(expected), "{line}");
    }
    assert_eq!(run(&mut c, "EXISTS k"), int(0));
    // Repeating the same option is accepted.
    assert_eq!(run(&mut c, "SET k v EX 10 EX 20"), ok());
    assert_between(run(&mut c, "TTL k"), 19, 20);
    assert_eq!(run(&mut c, "SET k v GET GET"), bulk("v"));
}

// ---------------------------------------------------------------- the SET family

#[test]
fn setnx_sets_only_a_missing_key() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SETNX k v"), int(1));
    assert_eq!(run(&mut c, "SETNX k w"), int(0));
    assert_eq!(run(&mut c, "GET k"), bulk("v"));
    assert_eq!(run(&mut c, "RPUSH l a"), int(1));
    assert_eq!(run(&mut c, "SETNX l v"), int(0));
    assert_eq!(
        run(&mut c, "SETNX k"),
        err("ERR wrong number of arguments for 'setnx' command")
    );
}

#[test]
fn setex_and_psetex_set_value_and_ttl() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SETEX k 100 v"), ok());
    assert_eq!(run(&mut c, "GET k"), bulk("v"));
    assert_between(run(&mut c, "TTL k"), 99, 100);
    assert_eq!(run(&mut c, "PSETEX p 100000 v"), ok());
    assert_between(run(&mut c, "PTTL p"), 90_000, 100_000);
    assert_eq!(
        run(&mut c, "SETEX k 0 v"),
        err("ERR invalid expire time in 'setex' command")
    );
    assert_eq!(
        run(&mut c, "SETEX k -1 v"),
        err("ERR invalid expire time in 'setex' command")
    );
    assert_eq!(run(&mut c, "SETEX k foo v"), err(NOT_INT));
    assert_eq!(
        run(&mut c, "PSETEX k 0 v"),
        err("ERR invalid expire time in 'psetex' command")
    );
    assert_eq!(
        run(&mut c, "SETEX k 10"),
        err("ERR wrong number of arguments for 'setex' command")
    );
    // The failed calls left the first value in place.
    assert_eq!(run(&mut c, "GET k"), bulk("v"));
}

#[test]
fn getset_swaps_and_clears_the_ttl() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "GETSET k v"), nil());
    assert_eq!(run(&mut c, "EXPIRE k 100"), int(1));
    assert_eq!(run(&mut c, "GETSET k w"), bulk("v"));
    assert_eq!(run(&mut c, "GET k"), bulk("w"));
    assert_eq!(run(&mut c, "TTL k"), int(-1));
    assert_eq!(run(&mut c, "RPUSH l a"), int(1));
    assert_eq!(run(&mut c, "GETSET l v"), err(WRONGTYPE));
}

#[test]
fn getdel_returns_and_removes() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET k v"), ok());
    assert_eq!(run(&mut c, "GETDEL k"), bulk("v"));
    assert_eq!(run(&mut c, "EXISTS k"), int(0));
    assert_eq!(run(&mut c, "GETDEL k"), nil());
    assert_eq!(run(&mut c, "RPUSH l a"), int(1));
    assert_eq!(run(&mut c, "GETDEL l"), err(WRONGTYPE));
    assert_eq!(run(&mut c, "EXISTS l"), int(1));
}

#[test]
fn getex_reads_and_changes_the_ttl() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET k v"), ok());
    assert_eq!(run(&mut c, "GETEX k"), bulk("v"));
    assert_eq!(run(&mut c, "TTL k"), int(-1));
    assert_eq!(run(&mut c, "GETEX k EX 100"), bulk("v"));
    assert_between(run(&mut c, "TTL k"), 99, 100);
    assert_eq!(run(&mut c, "GETEX k PX 200000"), bulk("v"));
    assert_between(run(&mut c, "PTTL k"), 190_000, 200_000);
    let at = unix_secs() + 300;
    assert_eq!(run(&mut c, &format!("GETEX k EXAT {at}")), bulk("v"));
    assert_eq!(run(&mut c, "EXPIRETIME k"), int(at));
    let at_ms = now_ms() + 400_000;
    assert_eq!(run(&mut c, &format!("GETEX k PXAT {at_ms}")), bulk("v"));
    assert_eq!(run(&mut c, "PEXPIRETIME k"), int(at_ms));
    assert_eq!(run(&mut c, "GETEX k PERSIST"), bulk("v"));
    assert_eq!(run(&mut c, "TTL k"), int(-1));
    // A deadline already past deletes the key after returning it.
    assert_eq!(run(&mut c, "GETEX k PXAT 1"), bulk("v"));
    assert_eq!(run(&mut c, "EXISTS k"), int(0));
}

#[test]
fn getex_errors() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let invalid = "ERR invalid expire time in 'getex' command";
    assert_eq!(run(&mut c, "SET k v"), ok());
    assert_eq!(run(&mut c, "GETEX k EX 0"), err(invalid));
    assert_eq!(run(&mut c, "GETEX k PX -1"), err(invalid));
    assert_eq!(run(&mut c, "GETEX k EXAT 0"), err(invalid));
    assert_eq!(run(&mut c, "GETEX k EX 10 PX 10"), err(SYNTAX));
    assert_eq!(run(&mut c, "GETEX k EX 10 PERSIST"), err(SYNTAX));
    assert_eq!(run(&mut c, "GETEX k EX"), err(SYNTAX));
    assert_eq!(run(&mut c, "GETEX k FOO"), err(SYNTAX));
    assert_eq!(run(&mut c, "GETEX k EX ten"), err(NOT_INT));
    assert_eq!(run(&mut c, "TTL k"), int(-1));
    // On a missing key the expiry is not even looked at.
    assert_eq!(run(&mut c, "GETEX missing EX 0"), nil());
    assert_eq!(run(&mut c, "RPUSH l a"), int(1));
    assert_eq!(run(&mut c, "GETEX l"), err(WRONGTYPE));
    assert_eq!(
        run(&mut c, "GETEX"),
        err("ERR wrong number of arguments for 'getex' command")
    );
}

// ---------------------------------------------------------------- MGET, MSET, MSETNX

#[test]
fn mset_then_mget() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "MSET a 1 b 2 c 3"), ok());
    assert_eq!(
        run(&mut c, "MGET a b missing c"),
        array(vec![bulk("1"), bulk("2"), nil(), bulk("3")])
    );
    // A later pair for the same key wins.
    assert_eq!(run(&mut c, "MSET a x a y"), ok());
    assert_eq!(run(&mut c, "GET a"), bulk("y"));
    // MGET answers nil for a key of another type, never WRONGTYPE.
    assert_eq!(run(&mut c, "RPUSH l x"), int(1));
    assert_eq!(run(&mut c, "MGET l a"), array(vec![nil(), bulk("y")]));
    // MSET clears TTLs like SET.
    assert_eq!(run(&mut c, "EXPIRE a 100"), int(1));
    assert_eq!(run(&mut c, "MSET a z"), ok());
    assert_eq!(run(&mut c, "TTL a"), int(-1));
}

#[test]
fn mset_and_msetnx_arity() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(
        run(&mut c, "MSET a"),
        err("ERR wrong number of arguments for 'mset' command")
    );
    assert_eq!(
        run(&mut c, "MSET a 1 b"),
        err("ERR wrong number of arguments for 'mset' command")
    );
    assert_eq!(
        run(&mut c, "MSETNX a"),
        err("ERR wrong number of arguments for 'msetnx' command")
    );
    assert_eq!(
        run(&mut c, "MSETNX a 1 b"),
        err("ERR wrong number of arguments for 'msetnx' command")
    );
    assert_eq!(
        run(&mut c, "MGET"),
        err("ERR wrong number of arguments for 'mget' command")
    );
    assert_eq!(run(&mut c, "DBSIZE"), int(0));
}

#[test]
fn msetnx_is_all_or_nothing() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "MSETNX a 1 b 2"), int(1));
    assert_eq!(run(&mut c, "MSETNX b 3 c 4"), int(0));
    assert_eq!(run(&mut c, "EXISTS c"), int(0));
    assert_eq!(run(&mut c, "GET b"), bulk("2"));
    // Any existing key blocks it, whatever its type.
    assert_eq!(run(&mut c, "RPUSH l x"), int(1));
    assert_eq!(run(&mut c, "MSETNX l 1 d 2"), int(0));
    assert_eq!(run(&mut c, "EXISTS d"), int(0));
    // The same new key twice: the last value wins.
    assert_eq!(run(&mut c, "MSETNX e 1 e 2"), int(1));
    assert_eq!(run(&mut c, "GET e"), bulk("2"));
}

// ---------------------------------------------------------------- counters

#[test]
fn incr_decr_and_their_by_forms() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "INCR n"), int(1));
    assert_eq!(run(&mut c, "INCR n"), int(2));
    assert_eq!(run(&mut c, "DECR n"), int(1));
    assert_eq!(run(&mut c, "INCRBY n 10"), int(11));
    assert_eq!(run(&mut c, "DECRBY n 20"), int(-9));
    assert_eq!(run(&mut c, "INCRBY n -1"), int(-10));
    assert_eq!(run(&mut c, "GET n"), bulk("-10"));
    assert_eq!(run(&mut c, "DECR fresh"), int(-1));
    assert_eq!(run(&mut c, "SET s 41"), ok());
    assert_eq!(run(&mut c, "INCR s"), int(42));
    assert_eq!(run(&mut c, "GET s"), bulk("42"));
}

#[test]
fn incr_keeps_the_ttl() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET n 1 EX 100"), ok());
    assert_eq!(run(&mut c, "INCR n"), int(2));
    assert_between(run(&mut c, "TTL n"), 99, 100);
    assert_eq!(run(&mut c, "INCRBYFLOAT n 0.5"), bulk("2.5"));
    assert_between(run(&mut c, "TTL n"), 99, 100);
}

#[test]
fn incr_rejects_what_is_not_an_integer() {
    let srv = TestServer::start();
    let mut c = srv.client();
    for value in [
        "foo",
        "1.0",
        " 1",
        "1 ",
        "01",
        "+1",
        "",
        "99999999999999999999",
    ] {
        assert_eq!(run_args(&mut c, &["SET", "x", value]), ok());
        assert_eq!(run(&mut c, "INCR x"), err(NOT_INT), "INCR on {value:?}");
        assert_eq!(run(&mut c, "GET x"), bulk(value));
    }
    assert_eq!(run(&mut c, "INCRBY n foo"), err(NOT_INT));
    assert_eq!(run(&mut c, "INCRBY n 1.5"), err(NOT_INT));
    assert_eq!(run(&mut c, "DECRBY n 99999999999999999999"), err(NOT_INT));
    assert_eq!(run(&mut c, "EXISTS n"), int(0));
    assert_eq!(
        run(&mut c, "INCR"),
        err("ERR wrong number of arguments for 'incr' command")
    );
    assert_eq!(
        run(&mut c, "INCRBY n"),
        err("ERR wrong number of arguments for 'incrby' command")
    );
}

#[test]
fn incr_overflow_is_an_error_and_keeps_the_value() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET n 9223372036854775807"), ok());
    assert_eq!(
        run(&mut c, "INCR n"),
        err("ERR increment or decrement would overflow")
    );
    assert_eq!(
        run(&mut c, "INCRBY n 1"),
        err("ERR increment or decrement would overflow")
    );
    assert_eq!(run(&mut c, "GET n"), bulk("9223372036854775807"));
    assert_eq!(run(&mut c, "SET m -9223372036854775808"), ok());
    assert_eq!(
        run(&mut c, "DECR m"),
        err("ERR increment or decrement would overflow")
    );
    assert_eq!(
        run(&mut c, "DECRBY x -9223372036854775808"),
        err("ERR decrement would overflow")
    );
    assert_eq!(run(&mut c, "INCRBY x -9223372036854775808"), int(i64::MIN));
}

#[test]
fn incrby_parses_the_increment_before_the_type_but_incrbyfloat_does_not() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "RPUSH l a"), int(1));
    assert_eq!(run(&mut c, "INCR l"), err(WRONGTYPE));
    assert_eq!(run(&mut c, "INCRBY l 1"), err(WRONGTYPE));
    assert_eq!(run(&mut c, "INCRBY l foo"), err(NOT_INT));
    assert_eq!(run(&mut c, "DECRBY l foo"), err(NOT_INT));
    assert_eq!(run(&mut c, "INCRBYFLOAT l 1"), err(WRONGTYPE));
    assert_eq!(run(&mut c, "INCRBYFLOAT l foo"), err(WRONGTYPE));
}

#[test]
fn incrbyfloat_adds_and_formats_like_redis() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET mykey 10.50"), ok());
    assert_eq!(run(&mut c, "INCRBYFLOAT mykey 0.1"), bulk("10.6"));
    assert_eq!(run(&mut c, "INCRBYFLOAT mykey -5"), bulk("5.6"));
    assert_eq!(run(&mut c, "SET mykey 5.0e3"), ok());
    assert_eq!(run(&mut c, "INCRBYFLOAT mykey 2.0e2"), bulk("5200"));
    assert_eq!(run(&mut c, "GET mykey"), bulk("5200"));
    assert_eq!(run(&mut c, "INCRBYFLOAT new 1.5"), bulk("1.5"));
    assert_eq!(run(&mut c, "INCRBYFLOAT new 1.5"), bulk("3"));
    assert_eq!(run(&mut c, "INCRBYFLOAT int 3"), bulk("3"));
    assert_eq!(run(&mut c, "INCR int"), int(4));
}

#[test]
fn incrbyfloat_errors() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET f 1"), ok());
    assert_eq!(
        run(&mut c, "INCRBYFLOAT f foo"),
        err("ERR value is not a valid float")
    );
    assert_eq!(
        run(&mut c, "INCRBYFLOAT f nan"),
        err("ERR value is not a valid float")
    );
    assert_eq!(
        run(&mut c, "INCRBYFLOAT f inf"),
        err("ERR increment would produce NaN or Infinity")
    );
    assert_eq!(run(&mut c, "SET s abc"), ok());
    assert_eq!(
        run(&mut c, "INCRBYFLOAT s 1"),
        err("ERR value is not a valid float")
    );
    assert_eq!(run(&mut c, "GET f"), bulk("1"));
}

// ---------------------------------------------------------------- APPEND, STRLEN, ranges

#[test]
fn append_and_strlen() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "STRLEN k"), int(0));
    assert_eq!(run(&mut c, "APPEND k Hello"), int(5));
    assert_eq!(run(&mut c, "APPEND k \" World\""), int(11));
    assert_eq!(run(&mut c, "GET k"), bulk("Hello World"));
    assert_eq!(run(&mut c, "STRLEN k"), int(11));
    assert_eq!(run(&mut c, "SET n 10"), ok());
    assert_eq!(run(&mut c, "APPEND n 5"), int(3));
    assert_eq!(run(&mut c, "INCR n"), int(106));
    assert_eq!(run(&mut c, "STRLEN n"), int(3));
    assert_eq!(run(&mut c, "RPUSH l a"), int(1));
    assert_eq!(run(&mut c, "APPEND l x"), err(WRONGTYPE));
    assert_eq!(run(&mut c, "STRLEN l"), err(WRONGTYPE));
}

#[test]
fn getrange_clamps_like_redis_7_0() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET s \"This is a string\""), ok());
    assert_eq!(run(&mut c, "GETRANGE s 0 3"), bulk("This"));
    assert_eq!(run(&mut c, "GETRANGE s -3 -1"), bulk("ing"));
    assert_eq!(run(&mut c, "GETRANGE s 0 -1"), bulk("This is a string"));
    assert_eq!(run(&mut c, "GETRANGE s 10 100"), bulk("string"));
    assert_eq!(run(&mut c, "GETRANGE s 5 3"), bulk(""));
    assert_eq!(run(&mut c, "GETRANGE s 100 200"), bulk(""));
    // Both ends before the start clamp to 0, so the first byte comes back.
    assert_eq!(run(&mut c, "GETRANGE s -100 -50"), bulk("T"));
    assert_eq!(run(&mut c, "GETRANGE missing 0 -1"), bulk(""));
    assert_eq!(run(&mut c, "SET n 1234"), ok());
    assert_eq!(run(&mut c, "INCR n"), int(1235));
    assert_eq!(run(&mut c, "GETRANGE n 1 2"), bulk("23"));
    assert_eq!(run(&mut c, "GETRANGE s a 1"), err(NOT_INT));
    assert_eq!(
        run(&mut c, "GETRANGE s 0"),
        err("ERR wrong number of arguments for 'getrange' command")
    );
    assert_eq!(run(&mut c, "RPUSH l a"), int(1));
    assert_eq!(run(&mut c, "GETRANGE l 0 1"), err(WRONGTYPE));
}

#[test]
fn setrange_overwrites_and_pads_with_zero_bytes() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET k \"Hello World\""), ok());
    assert_eq!(run(&mut c, "SETRANGE k 6 Redis"), int(11));
    assert_eq!(run(&mut c, "GET k"), bulk("Hello Redis"));
    assert_eq!(run(&mut c, "SETRANGE pad 5 ab"), int(7));
    assert_eq!(run(&mut c, "GET pad"), bulk(b"\0\0\0\0\0ab"));
    assert_eq!(run(&mut c, "SETRANGE k 20 !"), int(21));
    assert_eq!(run(&mut c, "STRLEN k"), int(21));
    // An empty value creates nothing and changes nothing.
    assert_eq!(run(&mut c, "SETRANGE none 3 \"\""), int(0));
    assert_eq!(run(&mut c, "EXISTS none"), int(0));
    assert_eq!(run(&mut c, "SETRANGE k 100 \"\""), int(21));
    assert_eq!(run(&mut c, "SETRANGE n 0 1"), int(1));
    assert_eq!(run(&mut c, "INCR n"), int(2));
}

#[test]
fn setrange_errors() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET k v"), ok());
    assert_eq!(
        run(&mut c, "SETRANGE k -1 x"),
        err("ERR offset is out of range")
    );
    assert_eq!(run(&mut c, "SETRANGE k foo x"), err(NOT_INT));
    assert_eq!(
        run(&mut c, "SETRANGE k 536870912 x"),
        err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    );
    assert_eq!(run(&mut c, "SETRANGE k 536870911 \"\""), int(1));
    assert_eq!(run(&mut c, "RPUSH l a"), int(1));
    assert_eq!(run(&mut c, "SETRANGE l 0 x"), err(WRONGTYPE));
    assert_eq!(run(&mut c, "GET k"), bulk("v"));
}

#[test]
fn string_commands_on_a_list_are_wrongtype() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "RPUSH l a"), int(1));
    for line in [
        "GET l",
        "INCR l",
        "DECR l",
        "DECRBY l 1",
        "GETSET l v",
        "GETDEL l",
        "GETEX l",
    ] {
        assert_eq!(run(&mut c, line), err(WRONGTYPE), "{line}");
    }
    assert_eq!(run(&mut c, "LRANGE l 0 -1"), bulks(&["a"]));
}

// ---------------------------------------------------------------- across shards

#[test]
fn crc16_slots_match_redis_cluster() {
    assert_eq!(key_slot(b"foo"), 12182);
    assert_eq!(key_slot(b"bar"), 5061);
    // 0x31C3 is the CRC16-XMODEM check value, and it is below 16384.
    assert_eq!(key_slot(b"123456789"), 0x31c3);
    assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
    assert_eq!(shard_of(b"foo", 2), 1);
    assert_eq!(shard_of(b"bar", 2), 0);
}

#[test]
fn multi_key_commands_span_shards() {
    let srv = TestServer::start();
    let mut c = srv.client();
    // "bar" is on shard 0 and "foo" on shard 1 when the server runs two shards.
    let k = keys_on_each_shard("key:", 2);
    let (a, b) = (k[0].as_str(), k[1].as_str());
    assert_eq!((shard_of(b"bar", 2), shard_of(b"foo", 2)), (0, 1));
    assert_eq!(run(&mut c, &format!("MSET foo 1 bar 2 {a} 3 {b} 4")), ok());
    assert_eq!(
        run(&mut c, &format!("MGET bar foo {a} nope {b}")),
        array(vec![bulk("2"), bulk("1"), bulk("3"), nil(), bulk("4")])
    );
    assert_eq!(
        run(&mut c, &format!("EXISTS foo bar {a} {b} nope foo")),
        int(5)
    );
    assert_eq!(run(&mut c, "MSETNX foo x nope y"), int(0));
    assert_eq!(run(&mut c, "EXISTS nope"), int(0));
    assert_eq!(run(&mut c, "MSETNX n0 x n1 y n2 z n3 w"), int(1));
    assert_eq!(
        run(&mut c, "MGET n0 n1 n2 n3"),
        bulks(&["x", "y", "z", "w"])
    );
    // RENAME and COPY move a value between shards.
    assert_eq!(run(&mut c, "RENAME foo bar"), ok());
    assert_eq!(run(&mut c, "MGET foo bar"), array(vec![nil(), bulk("1")]));
    assert_eq!(run(&mut c, "COPY bar foo"), int(1));
    assert_eq!(run(&mut c, "MGET foo bar"), bulks(&["1", "1"]));
    assert_eq!(run(&mut c, "SET bar 9 EX 100"), ok());
    assert_eq!(run(&mut c, "RENAMENX bar foo"), int(0));
    assert_eq!(run(&mut c, "DEL foo"), int(1));
    assert_eq!(run(&mut c, "RENAMENX bar foo"), int(1));
    assert_between(run(&mut c, "TTL foo"), 99, 100);
    assert_eq!(
        run(&mut c, &format!("DEL foo bar {a} {b} nope n0 n1 n2 n3")),
        int(7)
    );
    assert_eq!(run(&mut c, "DBSIZE"), int(0));
}

/// A reader of single keys never sees an MSET across shards half done: once it has read a key
/// an MSET wrote, the MSET's other keys, read next, have that value or a later one. Four
/// shards, and several writers and readers, so that they land on different executors: with
/// two shards the messages between executors arrive in an order that hides a half-done MSET
/// even without its locks; with a third executor in the path they need not.
#[test]
fn mset_is_atomic_for_single_key_reads_across_shards() {
    check_msets_atomic_for_single_key_reads(1);
}

/// The same with each writer pipelining its MSETs 25 at a time: a connection runs its
/// pipelined MSETs over shards together, under one set of key locks, and each must still look
/// whole, and come after the one before it.
#[test]
fn pipelined_msets_are_atomic_for_single_key_reads_across_shards() {
    check_msets_atomic_for_single_key_reads(25);
}

/// Writers send MSETs of one key on each shard, `depth` per pipeline, with values that grow;
/// readers read a group's keys one after the other, in several orders, and check that no key
/// read is older than one read before it.
fn check_msets_atomic_for_single_key_reads(depth: usize) {
    const SHARDS: u32 = 4;
    let srv = TestServer::builder().threads(SHARDS as usize).start();
    let groups: Vec<Vec<String>> = (0..4)
        .map(|w| keys_on_each_shard(&format!("single{w}:"), SHARDS))
        .collect();
    let mut setup = srv.client();
    for keys in &groups {
        let mut args = vec!["MSET"];
        for k in keys {
            args.extend([k.as_str(), "0"]);
        }
        assert_eq!(run_args(&mut setup, &args), ok());
    }
    let done = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for keys in groups.clone() {
        let mut writer = srv.client();
        threads.push(thread::spawn(move || {
            let values: Vec<usize> = (1..=1500).collect();
            for batch in values.chunks(depth) {
                let mut pipe = redis::pipe();
                for v in batch {
                    let mset = pipe.cmd("MSET");
                    for k in &keys {
                        mset.arg(k).arg(v);
                    }
                }
                let replies: Vec<String> = pipe.query(&mut writer).expect("pipelined MSETs");
                assert!(replies.iter().all(|r| r == "OK"), "{replies:?}");
            }
        }));
    }
    for _ in 0..4 {
        let mut reader = srv.client();
        let (groups, done) = (groups.clone(), done.clone());
        threads.push(thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                for keys in &groups {
                    for order in [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]] {
                        let mut seen = (String::new(), 0);
                        for i in order {
                            let v: i64 = run_args(&mut reader, &["GET", &keys[i]])
                                .text()
                                .parse()
                                .unwrap();
                            assert!(
                                v >= seen.1,
                                "read {}={}, then {}={v}",
                                seen.0,
                                seen.1,
                                keys[i]
                            );
                            seen = (keys[i].clone(), v);
                        }
                    }
                }
            }
        }));
    }
    let readers = threads.split_off(groups.len());
    for w in threads {
        w.join().expect("writer thread");
    }
    done.store(true, Ordering::SeqCst);
    for r in readers {
        r.join().expect("reader thread");
    }
}

/// Many clients' MSETs across shards, on keys of their own, run side by side with commands
/// that need whole shards (DBSIZE, a transaction) and with single-key writes: every one
/// completes, and every MSET's keys end up with its last values.
#[test]
fn concurrent_msets_across_shards_all_complete() {
    let srv = TestServer::builder().threads(4).start();
    let writers: Vec<_> = (0..6)
        .map(|w| {
            let mut c = srv.client();
            thread::spawn(move || {
                for i in 0..300 {
                    let v = i.to_string();
                    let mut args = vec!["MSET".to_string()];
                    for k in 0..8 {
                        args.push(format!("w{w}:k{k}"));
                        args.push(v.clone());
                    }
                    assert_eq!(run_args(&mut c, &args), ok());
                    assert_eq!(run_args(&mut c, &["SET", &format!("w{w}:solo"), &v]), ok());
                }
            })
        })
        .collect();
    let mut other = srv.client();
    for _ in 0..100 {
        run(&mut other, "DBSIZE");
        assert_eq!(run(&mut other, "MULTI"), status("OK"));
        run(&mut other, "INCR counter");
        run(&mut other, "GET w0:k0");
        assert_eq!(run(&mut other, "EXEC").items().len(), 2);
    }
    for w in writers {
        w.join().expect("writer thread");
    }
    assert_eq!(run(&mut other, "GET counter"), bulk("100"));
    for w in 0..6 {
        let keys: Vec<String> = (0..8).map(|k| format!("w{w}:k{k}")).collect();
        let mut args = vec!["MGET".to_string()];
        args.extend(keys);
        assert_eq!(run_args(&mut other, &args), bulks(&["299"; 8]));
    }
    assert_eq!(run(&mut other, "DBSIZE"), int(6 * 9 + 1));
}

#[test]
fn mset_is_atomic_for_mget_across_shards() {
    let srv = TestServer::start();
    let k = keys_on_each_shard("pair:", 2);
    let (a, b) = (k[0].clone(), k[1].clone());
    let mut reader = srv.client();
    let mut writer = srv.client();
    assert_eq!(run(&mut writer, &format!("MSET {a} 0 {b} 0")), ok());
    let done = Arc::new(AtomicBool::new(false));
    let writer_done = done.clone();
    let (wa, wb) = (a.clone(), b.clone());
    let writer = thread::spawn(move || {
        for i in 1..=3000 {
            let v = i.to_string();
            assert_eq!(run_args(&mut writer, &["MSET", &wa, &v, &wb, &v]), ok());
        }
        writer_done.store(true, Ordering::SeqCst);
    });
    let mut reads = 0;
    while !done.load(Ordering::SeqCst) && reads < 200_000 {
        let got = run_args(&mut reader, &["MGET", &a, &b]).items();
        assert_eq!(
            got[0], got[1],
            "MGET saw half of an MSET after {reads} reads"
        );
        reads += 1;
    }
    writer.join().expect("writer thread");
    assert_eq!(
        run_args(&mut reader, &["MGET", &a, &b]),
        bulks(&["3000", "3000"])
    );
}

/// Commands pipelined after a multi-key command spread over shards run after it, whichever
/// shard owns them: a pipeline of MSETs, reads, writes, a blocking pop and a DB switch, sent in
/// one write, answers as Redis would. Run on two connections, which the server places on its
/// two executors, so that each shard is the connection's own for one of them.
#[test]
fn commands_pipelined_after_a_split_command_see_it() {
    let srv = TestServer::start();
    for conn in ["c0", "c1"] {
        let k = keys_on_each_shard(&format!("{conn}:"), 2);
        let (a, b) = (k[0].as_str(), k[1].as_str());
        let list = format!("{conn}:list");
        let script: Vec<(Vec<&str>, &str)> = vec![
            (vec!["MSET", a, "1", b, "1"], "+OK\r\n"),
            (vec!["GET", a], "$1\r\n1\r\n"),
            (vec!["GET", b], "$1\r\n1\r\n"),
            (vec!["INCR", a], ":2\r\n"),
            (vec!["MSET", a, "5", b, "6"], "+OK\r\n"),
            (vec!["MGET", a, b], "*2\r\n$1\r\n5\r\n$1\r\n6\r\n"),
            (vec!["APPEND", b, "x"], ":2\r\n"),
            (vec!["DEL", a, b], ":2\r\n"),
            (vec!["EXISTS", a, b], ":0\r\n"),
            (vec!["MSET", a, "7", b, "8"], "+OK\r\n"),
            (vec!["RPUSH", &list, "x"], ":1\r\n"),
            (vec!["BLPOP", &list, "1"], "*2\r\n"),
            (vec!["SELECT", "1"], "+OK\r\n"),
            (vec!["MGET", a, b], "*2\r\n$-1\r\n$-1\r\n"),
            (vec!["SELECT", "0"], "+OK\r\n"),
            (vec!["MGET", a, b], "*2\r\n$1\r\n7\r\n$1\r\n8\r\n"),
        ];
        let mut raw = srv.raw();
        let mut batch = Vec::new();
        for (cmd, _) in &script {
            batch.extend(encode_command(cmd));
        }
        raw.send(&batch);
        for (cmd, want) in &script {
            let got = raw.read_frame();
            assert!(
                got.starts_with(want.as_bytes()),
                "{conn}: {cmd:?} answered {:?}, expected {:?}",
                show(&got),
                want
            );
        }
    }
}

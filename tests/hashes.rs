//! Hash commands, as a user sees them: HSET and its relatives, the reads, the counters,
//! HRANDFIELD, HSCAN, and the switch from the listpack encoding to the hashtable one.

mod common;

use std::collections::HashMap;

use common::*;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const NOT_FLOAT: &str = "ERR value is not a valid float";
const SYNTAX: &str = "ERR syntax error";

/// The fields and values of a flat `[field, value, ...]` reply.
fn pairs(r: &Reply) -> HashMap<String, String> {
    let items = r.texts();
    assert_eq!(items.len() % 2, 0, "{r:?}");
    items
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect()
}

#[test]
fn hset_then_read_it_back() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "HSET h a 1 b 2"), int(2));
    assert_eq!(run(&mut c, "HSET h a 10 c 3"), int(1));
    assert_eq!(run(&mut c, "HGET h a"), bulk("10"));
    assert_eq!(run(&mut c, "HGET h nope"), nil());
    assert_eq!(run(&mut c, "HGET nokey a"), nil());
    assert_eq!(
        run(&mut c, "HMGET h a nope c"),
        array(vec![bulk("10"), nil(), bulk("3")])
    );
    assert_eq!(run(&mut c, "HMGET nokey a"), array(vec![nil()]));
    assert_eq!(run(&mut c, "HLEN h"), int(3));
    assert_eq!(run(&mut c, "HSTRLEN h a"), int(2));
    assert_eq!(run(&mut c, "HSTRLEN h nope"), int(0));
    assert_eq!(run(&mut c, "HEXISTS h b"), int(1));
    assert_eq!(run(&mut c, "HEXISTS h nope"), int(0));
    assert_eq!(run(&mut c, "HKEYS h"), bulks(&["a", "b", "c"]));
    assert_eq!(run(&mut c, "HVALS h"), bulks(&["10", "2", "3"]));
    assert_eq!(
        run(&mut c, "HGETALL h"),
        bulks(&["a", "10", "b", "2", "c", "3"])
    );
    assert_eq!(run(&mut c, "HGETALL nokey"), bulks(&[]));
    assert_eq!(run(&mut c, "TYPE h"), status("hash"));
}

#[test]
fn hmset_and_hsetnx() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "HMSET h a 1 b 2"), ok());
    assert_eq!(run(&mut c, "HSETNX h a 9"), int(0));
    assert_eq!(run(&mut c, "HSETNX h z 9"), int(1));
    assert_eq!(run(&mut c, "HMGET h a z"), bulks(&["1", "9"]));
    assert_eq!(run(&mut c, "HSETNX other f v"), int(1));
    assert_eq!(run(&mut c, "HGET other f"), bulk("v"));
}

#[test]
fn a_field_without_a_value_is_an_arity_error() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let arity = |name: &str| {
        err(&format!(
            "ERR wrong number of arguments for '{name}' command"
        ))
    };
    assert_eq!(run(&mut c, "HSET h a"), arity("hset"));
    assert_eq!(run(&mut c, "HSET h a 1 b"), arity("hset"));
    assert_eq!(run(&mut c, "HMSET h a 1 b"), arity("hmset"));
    assert_eq!(run(&mut c, "HGET h"), arity("hget"));
    assert_eq!(run(&mut c, "HSETNX h a"), arity("hsetnx"));
    assert_eq!(run(&mut c, "EXISTS h"), int(0));
}

#[test]
fn hdel_removes_fields_and_the_key_with_the_last() {
    let srv = TestServer::start();
    let mut c = srv.client();
    run(&mut c, "HSET h a 1 b 2 c 3");
    assert_eq!(run(&mut c, "HDEL h a a nope"), int(1));
    assert_eq!(run(&mut c, "HDEL nokey a"), int(0));
    assert_eq!(run(&mut c, "HDEL h b c"), int(2));
    assert_eq!(run(&mut c, "EXISTS h"), int(0));
    assert_eq!(run(&mut c, "HLEN h"), int(0));
}

#[test]
fn hash_commands_on_a_string_are_wrongtype() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET s v"), ok());
    for line in [
        "HSET s f v",
        "HMSET s f v",
        "HSETNX s f v",
        "HGET s f",
        "HMGET s f",
        "HDEL s f",
        "HLEN s",
        "HSTRLEN s f",
        "HEXISTS s f",
        "HKEYS s",
        "HVALS s",
        "HGETALL s",
        "HINCRBY s f 1",
        "HINCRBYFLOAT s f 1",
        "HRANDFIELD s",
        "HRANDFIELD s 1 WITHVALUES",
        "HSCAN s 0",
    ] {
        assert_eq!(run(&mut c, line), err(WRONGTYPE), "{line}");
    }
    assert_eq!(run(&mut c, "GET s"), bulk("v"));
    // Arguments are checked before the key's type where Redis checks them first.
    assert_eq!(run(&mut c, "HINCRBY s f x"), err(NOT_INT));
    assert_eq!(run(&mut c, "HINCRBYFLOAT s f x"), err(NOT_FLOAT));
    assert_eq!(run(&mut c, "HRANDFIELD s x"), err(NOT_INT));
    assert_eq!(run(&mut c, "HSCAN s x"), err("ERR invalid cursor"));
    assert_eq!(run(&mut c, "HSCAN s 0 COUNT 0"), err(WRONGTYPE));
    // And string commands refuse a hash.
    run(&mut c, "HSET h f v");
    assert_eq!(run(&mut c, "GET h"), err(WRONGTYPE));
}

#[test]
fn config_set_entries_switches_the_encoding_once() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "CONFIG SET hash-max-listpack-entries 2"), ok());
    assert_eq!(run(&mut c, "HSET h a 1 b 2"), int(2));
    assert_eq!(run(&mut c, "OBJECT ENCODING h"), bulk("listpack"));
    assert_eq!(run(&mut c, "HSET h c 3"), int(1));
    assert_eq!(run(&mut c, "OBJECT ENCODING h"), bulk("hashtable"));
    assert_eq!(run(&mut c, "HDEL h a b"), int(2));
    assert_eq!(run(&mut c, "OBJECT ENCODING h"), bulk("hashtable"));
    assert_eq!(run(&mut c, "HGETALL h"), bulks(&["c", "3"]));
}

#[test]
fn a_long_field_or_value_switches_the_encoding() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let at_limit = "x".repeat(64);
    run(&mut c, &format!("HSET h {at_limit} {at_limit}"));
    assert_eq!(run(&mut c, "OBJECT ENCODING h"), bulk("listpack"));
    run(&mut c, &format!("HSET h f {at_limit}y"));
    assert_eq!(run(&mut c, "OBJECT ENCODING h"), bulk("hashtable"));
    assert_eq!(run(&mut c, "CONFIG SET hash-max-listpack-value 5"), ok());
    assert_eq!(run(&mut c, "HINCRBY g f 123456"), int(123456));
    assert_eq!(run(&mut c, "OBJECT ENCODING g"), bulk("hashtable"));
}

#[test]
fn hincrby_adds_and_refuses_what_is_not_an_integer() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "HINCRBY h n 5"), int(5));
    assert_eq!(run(&mut c, "HINCRBY h n -8"), int(-3));
    assert_eq!(run(&mut c, "HGET h n"), bulk("-3"));
    run(&mut c, "HSET h f 1.5 big 9223372036854775807");
    assert_eq!(
        run(&mut c, "HINCRBY h f 1"),
        err("ERR hash value is not an integer")
    );
    assert_eq!(
        run(&mut c, "HINCRBY h big 1"),
        err("ERR increment or decrement would overflow")
    );
    assert_eq!(run(&mut c, "HGET h big"), bulk("9223372036854775807"));
    assert_eq!(run(&mut c, "HINCRBY h n 1.5"), err(NOT_INT));
}

#[test]
fn hincrbyfloat_formats_like_redis() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "HINCRBYFLOAT h f 10.5"), bulk("10.5"));
    assert_eq!(run(&mut c, "HINCRBYFLOAT h f 0.1"), bulk("10.6"));
    assert_eq!(run(&mut c, "HGET h f"), bulk("10.6"));
    assert_eq!(run(&mut c, "HINCRBYFLOAT h g 0.1"), bulk("0.1"));
    assert_eq!(run(&mut c, "HINCRBYFLOAT h g 0.2"), bulk("0.3"));
    // The sum is a C long double: its extra precision shows in the 17 decimals.
    assert_eq!(
        run(&mut c, "HINCRBYFLOAT h k 1000.1"),
        bulk("1000.09999999999999998")
    );
    assert_eq!(
        run(&mut c, "HINCRBYFLOAT h m 12345678.123456789"),
        bulk("12345678.12345678899964696")
    );
    run(&mut c, "HSET h n 17179869184");
    assert_eq!(run(&mut c, "HINCRBYFLOAT h n 1.5"), bulk("17179869185.5"));
    assert_eq!(run(&mut c, "HINCRBYFLOAT h e 5.0e3"), bulk("5000"));
    assert_eq!(run(&mut c, "HINCRBYFLOAT h e -5000"), bulk("0"));
    assert_eq!(run(&mut c, "HINCRBYFLOAT h t -1e-30"), bulk("0"));
    assert_eq!(run(&mut c, "HINCRBYFLOAT h x 0x1.8p1"), bulk("3"));
    // Never an exponent: a huge sum is written out in full.
    let huge = run(&mut c, "HINCRBYFLOAT h big 1e400").text();
    assert_eq!(huge.len(), 401);
    assert!(huge.starts_with("10000000000000000000281880683947586514586"));
}

#[test]
fn hincrbyfloat_errors() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "HINCRBYFLOAT h f abc"), err(NOT_FLOAT));
    assert_eq!(run(&mut c, "HINCRBYFLOAT h f nan"), err(NOT_FLOAT));
    assert_eq!(run(&mut c, "HINCRBYFLOAT h f \" 1\""), err(NOT_FLOAT));
    assert_eq!(
        run(&mut c, "HINCRBYFLOAT h f inf"),
        err("ERR value is NaN or Infinity")
    );
    assert_eq!(run(&mut c, "EXISTS h"), int(0));
    run(&mut c, "HSET h s abc i inf sp \" 1\" max 1e4932");
    let not_float = err("ERR hash value is not a float");
    assert_eq!(run(&mut c, "HINCRBYFLOAT h s 1"), not_float);
    assert_eq!(run(&mut c, "HINCRBYFLOAT h sp 1"), not_float);
    let nan_inf = err("ERR increment would produce NaN or Infinity");
    assert_eq!(run(&mut c, "HINCRBYFLOAT h i 1"), nan_inf);
    assert_eq!(run(&mut c, "HINCRBYFLOAT h max 1e4932"), nan_inf);
    assert_eq!(run(&mut c, "HGET h max"), bulk("1e4932"));
}

#[test]
fn hrandfield_counts_and_repeats() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "HRANDFIELD h"), nil());
    assert_eq!(run(&mut c, "HRANDFIELD h 5"), bulks(&[]));
    run(&mut c, "HSET h a 1 b 2 c 3");
    let one = run(&mut c, "HRANDFIELD h").text();
    assert!(["a", "b", "c"].contains(&one.as_str()));
    assert_eq!(run(&mut c, "HRANDFIELD h 0"), bulks(&[]));
    let mut all = run(&mut c, "HRANDFIELD h 10").texts();
    all.sort();
    assert_eq!(all, ["a", "b", "c"]);
    let two = run(&mut c, "HRANDFIELD h 2").texts();
    assert_eq!(two.len(), 2);
    assert_ne!(two[0], two[1]);
    assert_eq!(run(&mut c, "HRANDFIELD h -10").texts().len(), 10);
    let with = run(&mut c, "HRANDFIELD h -6 WITHVALUES").texts();
    assert_eq!(with.len(), 12);
    for p in with.chunks(2) {
        assert_eq!(run(&mut c, &format!("HGET h {}", p[0])).text(), p[1]);
    }
    assert_eq!(run(&mut c, "HRANDFIELD h 1 WITHVALUE"), err(SYNTAX));
    assert_eq!(
        run(&mut c, "HRANDFIELD h -9223372036854775808"),
        err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    );
    assert_eq!(
        run(&mut c, "HRANDFIELD h 9223372036854775807 WITHVALUES"),
        err("ERR value is out of range")
    );
}

#[test]
fn resp3_shapes_of_hgetall_and_hrandfield() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    raw.send_cmd(&["HSET", "h", "a", "1"]);
    raw.expect(b":1\r\n");
    raw.send_cmd(&["HRANDFIELD", "h", "1", "WITHVALUES"]);
    raw.expect(b"*2\r\n$1\r\na\r\n$1\r\n1\r\n");
    raw.send_cmd(&["HELLO", "3"]);
    raw.read_frame();
    // HGETALL is a map; HRANDFIELD WITHVALUES an array of [field, value] pairs.
    raw.send_cmd(&["HGETALL", "h"]);
    raw.expect(b"%1\r\n$1\r\na\r\n$1\r\n1\r\n");
    raw.send_cmd(&["HGETALL", "nokey"]);
    raw.expect(b"%0\r\n");
    raw.send_cmd(&["HKEYS", "nokey"]);
    raw.expect(b"*0\r\n");
    raw.send_cmd(&["HRANDFIELD", "h", "-2", "WITHVALUES"]);
    raw.expect(b"*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
    raw.send_cmd(&["HRANDFIELD", "h", "-1"]);
    raw.expect(b"*1\r\n$1\r\na\r\n");
    raw.send_cmd(&["HMGET", "h", "a", "b"]);
    raw.expect(b"*2\r\n$1\r\n1\r\n_\r\n");
    raw.send_cmd(&["HRANDFIELD", "nokey"]);
    raw.expect(b"_\r\n");
    raw.send_cmd(&["HSCAN", "nokey", "0"]);
    raw.expect(b"*2\r\n$1\r\n0\r\n*0\r\n");
}

#[test]
fn hscan_returns_a_listpack_whole() {
    let srv = TestServer::start();
    let mut c = srv.client();
    run(&mut c, "HSET h a 1 b 2 ab 3");
    assert_eq!(
        run(&mut c, "HSCAN h 0 COUNT 1"),
        array(vec![bulk("0"), bulks(&["a", "1", "b", "2", "ab", "3"])])
    );
    assert_eq!(
        run(&mut c, "HSCAN h 0 MATCH a*"),
        array(vec![bulk("0"), bulks(&["a", "1", "ab", "3"])])
    );
    assert_eq!(run(&mut c, "HSCAN h 0 COUNT 0"), err(SYNTAX));
    assert_eq!(run(&mut c, "HSCAN h 0 COUNT x"), err(NOT_INT));
    assert_eq!(run(&mut c, "HSCAN h 0 MATCH"), err(SYNTAX));
    assert_eq!(run(&mut c, "HSCAN h 0 NOVALUES"), err(SYNTAX));
    assert_eq!(
        run(&mut c, "HSCAN nokey 0"),
        array(vec![bulk("0"), bulks(&[])])
    );
}

#[test]
fn hscan_walks_a_big_hash_completely() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let mut line = vec!["HSET".to_string(), "h".to_string()];
    for i in 0..3000 {
        line.push(format!("f{i}"));
        line.push(format!("v{i}"));
    }
    assert_eq!(run_args(&mut c, &line), int(3000));
    assert_eq!(run(&mut c, "OBJECT ENCODING h"), bulk("hashtable"));
    let mut seen = HashMap::new();
    let mut matched = 0;
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let r = run(&mut c, &format!("HSCAN h {cursor} COUNT 100")).items();
        calls += 1;
        for (f, v) in pairs(&r[1]) {
            // Redis may repeat a field across calls; its value never changes.
            if let Some(old) = seen.insert(f, v.clone()) {
                assert_eq!(old, v);
            }
        }
        cursor = r[0].text();
        if cursor == "0" {
            break;
        }
        assert!(calls < 10_000, "the walk ends");
    }
    assert!(calls > 1);
    assert_eq!(seen.len(), 3000);
    assert!((0..3000).all(|i| seen[&format!("f{i}")] == format!("v{i}")));
    // MATCH filters what is returned, not what is walked.
    cursor = "0".to_string();
    loop {
        let r = run(&mut c, &format!("HSCAN h {cursor} MATCH f1?? COUNT 500")).items();
        let batch = pairs(&r[1]);
        assert!(batch.keys().all(|f| f.len() == 4 && f.starts_with("f1")));
        matched += batch.len();
        cursor = r[0].text();
        if cursor == "0" {
            break;
        }
    }
    assert!(matched >= 100);
}

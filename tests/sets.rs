//! Set commands, as a user sees them: SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS, SPOP,
//! SRANDMEMBER, SSCAN, SMOVE, the set algebra (SINTER, SUNION, SDIFF, their STORE forms,
//! SINTERCARD) and the two encodings OBJECT ENCODING reports.
//!
//! The server runs two shards, and the multi-key commands are also run on keys owned by
//! different shards, including SMOVE's atomicity against a reader of both sets.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use common::*;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// The members of an array or set reply, sorted.
fn members(r: Reply) -> Vec<String> {
    let mut v = r.texts();
    v.sort();
    v
}

/// Keys named `prefix…` on shards 0 and 1 of a two-shard server.
fn two_shards(prefix: &str) -> (String, String) {
    let k = keys_on_each_shard(prefix, 2);
    (k[0].clone(), k[1].clone())
}

// ---------------------------------------------------------------- one key

#[test]
fn sadd_and_srem_count_what_changed() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SADD s a b c a"), int(3));
    assert_eq!(run(&mut c, "SADD s c d"), int(1));
    assert_eq!(run(&mut c, "SCARD s"), int(4));
    assert_eq!(run(&mut c, "SREM s a x"), int(1));
    assert_eq!(members(run(&mut c, "SMEMBERS s")), ["b", "c", "d"]);
    // Removing the last member deletes the key.
    assert_eq!(run(&mut c, "SREM s b c d"), int(3));
    assert_eq!(run(&mut c, "EXISTS s"), int(0));
    assert_eq!(run(&mut c, "SREM s b"), int(0));
    assert_eq!(run(&mut c, "SCARD s"), int(0));
    assert_eq!(
        run(&mut c, "SADD s"),
        err("ERR wrong number of arguments for 'sadd' command")
    );
}

#[test]
fn membership_queries() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SADD s 1 two"), int(2));
    assert_eq!(run(&mut c, "SISMEMBER s 1"), int(1));
    assert_eq!(run(&mut c, "SISMEMBER s 01"), int(0));
    assert_eq!(run(&mut c, "SISMEMBER nope 1"), int(0));
    assert_eq!(
        run(&mut c, "SMISMEMBER s two x 1"),
        array(vec![int(1), int(0), int(1)])
    );
    assert_eq!(
        run(&mut c, "SMISMEMBER nope a b"),
        array(vec![int(0), int(0)])
    );
    assert_eq!(run(&mut c, "SMEMBERS nope"), array(vec![]));
    assert_eq!(run(&mut c, "TYPE s"), status("set"));
}

#[test]
fn integers_are_an_intset_until_a_string_or_too_many() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SADD s 3 1 -2"), int(3));
    assert_eq!(run(&mut c, "OBJECT ENCODING s"), bulk("intset"));
    // An intset answers in ascending order.
    assert_eq!(run(&mut c, "SMEMBERS s"), bulks(&["-2", "1", "3"]));
    assert_eq!(run(&mut c, "SADD s 70000 -5000000000"), int(2));
    assert_eq!(run(&mut c, "OBJECT ENCODING s"), bulk("intset"));
    assert_eq!(run(&mut c, "SADD s x"), int(1));
    assert_eq!(run(&mut c, "OBJECT ENCODING s"), bulk("hashtable"));
    // Removing the string does not convert back.
    assert_eq!(run(&mut c, "SREM s x"), int(1));
    assert_eq!(run(&mut c, "OBJECT ENCODING s"), bulk("hashtable"));
    // A non-canonical integer is a string.
    assert_eq!(run(&mut c, "SADD t 007"), int(1));
    assert_eq!(run(&mut c, "OBJECT ENCODING t"), bulk("hashtable"));
    // Past set-max-intset-entries.
    assert_eq!(run(&mut c, "CONFIG SET set-max-intset-entries 4"), ok());
    assert_eq!(run(&mut c, "SADD u 1 2 3 4"), int(4));
    assert_eq!(run(&mut c, "OBJECT ENCODING u"), bulk("intset"));
    assert_eq!(run(&mut c, "SADD u 5"), int(1));
    assert_eq!(run(&mut c, "OBJECT ENCODING u"), bulk("hashtable"));
    assert_eq!(
        members(run(&mut c, "SMEMBERS u")),
        ["1", "2", "3", "4", "5"]
    );
}

#[test]
fn spop_and_srandmember() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SPOP nope"), nil());
    assert_eq!(run(&mut c, "SPOP nope 3"), array(vec![]));
    assert_eq!(run(&mut c, "SRANDMEMBER nope"), nil());
    assert_eq!(run(&mut c, "SRANDMEMBER nope 3"), array(vec![]));
    assert_eq!(run(&mut c, "SADD s a b c d e"), int(5));
    let one = run(&mut c, "SPOP s").text();
    assert_eq!(run(&mut c, &format!("SISMEMBER s {one}")), int(0));
    let two = members(run(&mut c, "SPOP s 2"));
    assert_eq!(two.len(), 2);
    assert!(!two.contains(&one));
    assert_eq!(run(&mut c, "SCARD s"), int(2));
    assert_eq!(run(&mut c, "SRANDMEMBER s 5").items().len(), 2);
    assert_eq!(run(&mut c, "SRANDMEMBER s -5").items().len(), 5);
    assert_eq!(run(&mut c, "SRANDMEMBER s 0"), array(vec![]));
    assert_eq!(run(&mut c, "SCARD s"), int(2));
    assert_eq!(run(&mut c, "SPOP s 0"), array(vec![]));
    assert_eq!(run(&mut c, "SPOP s 10").items().len(), 2);
    assert_eq!(run(&mut c, "EXISTS s"), int(0));
    // The count is checked before the key.
    assert_eq!(run(&mut c, "SET str v"), ok());
    assert_eq!(
        run(&mut c, "SPOP str -1"),
        err("ERR value is out of range, must be positive")
    );
    assert_eq!(
        run(&mut c, "SRANDMEMBER str x"),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        run(&mut c, "SRANDMEMBER str -9223372036854775808"),
        err(
            "ERR value is out of range, value must between -9223372036854775807 and \
             9223372036854775807"
        )
    );
    assert_eq!(run(&mut c, "SPOP str 1 2"), err("ERR syntax error"));
    assert_eq!(run(&mut c, "SPOP str 1"), err(WRONGTYPE));
}

#[test]
fn sscan_walks_every_member() {
    let srv = TestServer::start();
    let mut c = srv.client();
    // An intset comes back whole, with cursor 0.
    assert_eq!(run(&mut c, "SADD small 2 1"), int(2));
    assert_eq!(
        run(&mut c, "SSCAN small 0 COUNT 1"),
        array(vec![bulk("0"), bulks(&["1", "2"])])
    );
    let names: Vec<String> = (0..1000).map(|i| format!("m{i}")).collect();
    let mut sadd = vec!["SADD".to_string(), "big".to_string()];
    sadd.extend(names.iter().cloned());
    assert_eq!(run_args(&mut c, &sadd), int(1000));
    let mut seen = Vec::new();
    let mut cursor = "0".to_string();
    loop {
        let parts = run(&mut c, &format!("SSCAN big {cursor} MATCH m1* COUNT 50")).items();
        cursor = parts[0].text();
        seen.extend(parts[1].texts());
        if cursor == "0" {
            break;
        }
    }
    seen.sort();
    seen.dedup();
    let mut expected: Vec<String> = names.into_iter().filter(|n| n.starts_with("m1")).collect();
    expected.sort();
    assert_eq!(seen, expected);
    assert_eq!(run(&mut c, "SSCAN big x"), err("ERR invalid cursor"));
    assert_eq!(run(&mut c, "SSCAN big 0 COUNT 0"), err("ERR syntax error"));
    assert_eq!(
        run(&mut c, "SSCAN nope 0 COUNT 0"),
        array(vec![bulk("0"), array(vec![])])
    );
}

#[test]
fn every_set_command_refuses_a_string() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET str v"), ok());
    for line in [
        "SADD str a",
        "SREM str a",
        "SCARD str",
        "SISMEMBER str a",
        "SMISMEMBER str a",
        "SMEMBERS str",
        "SPOP str",
        "SRANDMEMBER str",
        "SSCAN str 0",
        "SINTER str",
        "SINTERCARD 1 str",
        "SUNION str",
        "SDIFF str",
        "SINTERSTORE d str",
        "SMOVE str d a",
    ] {
        assert_eq!(run(&mut c, line), err(WRONGTYPE), "{line}");
    }
    assert_eq!(run(&mut c, "GET str"), bulk("v"));
}

// ---------------------------------------------------------------- set algebra

#[test]
fn algebra_on_one_shard() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SADD {t}a 1 2 3 x"), int(4));
    assert_eq!(run(&mut c, "SADD {t}b 2 3 4 x"), int(4));
    assert_eq!(members(run(&mut c, "SINTER {t}a {t}b")), ["2", "3", "x"]);
    assert_eq!(
        members(run(&mut c, "SUNION {t}a {t}b")),
        ["1", "2", "3", "4", "x"]
    );
    assert_eq!(members(run(&mut c, "SDIFF {t}a {t}b")), ["1"]);
    assert_eq!(run(&mut c, "SINTER {t}a {t}nope"), array(vec![]));
    assert_eq!(run(&mut c, "SINTERCARD 2 {t}a {t}b"), int(3));
    assert_eq!(run(&mut c, "SINTERCARD 2 {t}a {t}b LIMIT 2"), int(2));
    assert_eq!(run(&mut c, "SINTERSTORE {t}d {t}a {t}b"), int(3));
    assert_eq!(run(&mut c, "OBJECT ENCODING {t}d"), bulk("hashtable"));
    assert_eq!(run(&mut c, "SDIFFSTORE {t}d {t}a {t}b"), int(1));
    assert_eq!(run(&mut c, "OBJECT ENCODING {t}d"), bulk("intset"));
    // An empty result deletes the destination.
    assert_eq!(run(&mut c, "SINTERSTORE {t}d {t}a {t}nope"), int(0));
    assert_eq!(run(&mut c, "EXISTS {t}d"), int(0));
}

#[test]
fn algebra_across_shards() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let (a, b) = two_shards("alg:");
    let (d0, d1) = two_shards("dst:");
    assert_eq!(run(&mut c, &format!("SADD {a} 1 2 3 x")), int(4));
    assert_eq!(run(&mut c, &format!("SADD {b} 2 3 4 x")), int(4));
    assert_eq!(
        members(run(&mut c, &format!("SINTER {a} {b}"))),
        ["2", "3", "x"]
    );
    assert_eq!(
        members(run(&mut c, &format!("SUNION {b} {a} nope"))),
        ["1", "2", "3", "4", "x"]
    );
    assert_eq!(members(run(&mut c, &format!("SDIFF {a} {b}"))), ["1"]);
    assert_eq!(members(run(&mut c, &format!("SDIFF {b} {a}"))), ["4"]);
    assert_eq!(run(&mut c, &format!("SINTER {a} {b} nope")), array(vec![]));
    assert_eq!(run(&mut c, &format!("SINTERCARD 2 {a} {b}")), int(3));
    assert_eq!(
        run(&mut c, &format!("SINTERCARD 2 {a} {b} LIMIT 1")),
        int(1)
    );
    assert_eq!(run(&mut c, &format!("SINTERCARD 3 {a} {b} nope")), int(0));
    // Destinations on either shard, sources on both.
    assert_eq!(run(&mut c, &format!("SUNIONSTORE {d0} {a} {b}")), int(5));
    assert_eq!(run(&mut c, &format!("SINTERSTORE {d1} {a} {b}")), int(3));
    assert_eq!(run(&mut c, &format!("SCARD {d0}")), int(5));
    assert_eq!(
        members(run(&mut c, &format!("SMEMBERS {d1}"))),
        ["2", "3", "x"]
    );
    assert_eq!(
        run(&mut c, &format!("SDIFFSTORE {d1} {a} {b} {d0}")),
        int(0)
    );
    assert_eq!(run(&mut c, &format!("EXISTS {d1}")), int(0));
    // The destination may be a source on another shard than the others.
    assert_eq!(run(&mut c, &format!("SDIFFSTORE {a} {a} {b}")), int(1));
    assert_eq!(run(&mut c, &format!("SMEMBERS {a}")), bulks(&["1"]));
    assert_eq!(run(&mut c, &format!("OBJECT ENCODING {a}")), bulk("intset"));
    // A string anywhere fails the command and writes nothing.
    assert_eq!(run(&mut c, &format!("SET {d1} v")), ok());
    assert_eq!(
        run(&mut c, &format!("SUNIONSTORE {d0} {b} {d1}")),
        err(WRONGTYPE)
    );
    assert_eq!(run(&mut c, &format!("SCARD {d0}")), int(5));
    assert_eq!(run(&mut c, &format!("SINTER {a} {d1}")), err(WRONGTYPE));
    assert_eq!(
        run(&mut c, &format!("SINTERCARD 2 {a} {d1}")),
        err(WRONGTYPE)
    );
    // A string destination is simply replaced.
    assert_eq!(run(&mut c, &format!("SUNIONSTORE {d1} {a}")), int(1));
    assert_eq!(run(&mut c, &format!("TYPE {d1}")), status("set"));
}

#[test]
fn sintercard_checks_its_arguments_first() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET str v"), ok());
    let numkeys = err("ERR numkeys should be greater than 0");
    assert_eq!(run(&mut c, "SINTERCARD 0 str"), numkeys);
    assert_eq!(run(&mut c, "SINTERCARD x str"), numkeys);
    assert_eq!(
        run(&mut c, "SINTERCARD 2 str"),
        err("ERR Number of keys can't be greater than number of args")
    );
    assert_eq!(
        run(&mut c, "SINTERCARD 1 str LIMIT -1"),
        err("ERR LIMIT can't be negative")
    );
    assert_eq!(
        run(&mut c, "SINTERCARD 1 str LIMIT"),
        err("ERR syntax error")
    );
    assert_eq!(run(&mut c, "SINTERCARD 1 str FOO"), err("ERR syntax error"));
    assert_eq!(run(&mut c, "SINTERCARD 1 nope"), int(0));
}

// ---------------------------------------------------------------- SMOVE

#[test]
fn smove_on_one_shard() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SADD {m}src a b"), int(2));
    assert_eq!(run(&mut c, "SMOVE {m}src {m}dst a"), int(1));
    assert_eq!(run(&mut c, "SMOVE {m}src {m}dst a"), int(0));
    assert_eq!(run(&mut c, "SMOVE {m}src {m}src b"), int(1));
    assert_eq!(run(&mut c, "SMOVE {m}src {m}dst b"), int(1));
    assert_eq!(run(&mut c, "EXISTS {m}src"), int(0));
    assert_eq!(members(run(&mut c, "SMEMBERS {m}dst")), ["a", "b"]);
}

#[test]
fn smove_across_shards() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let (src, dst) = two_shards("mv:");
    assert_eq!(run(&mut c, &format!("SMOVE {src} {dst} a")), int(0));
    assert_eq!(run(&mut c, &format!("SADD {src} a b")), int(2));
    assert_eq!(run(&mut c, &format!("SMOVE {src} {dst} a")), int(1));
    assert_eq!(run(&mut c, &format!("SMOVE {src} {dst} zz")), int(0));
    assert_eq!(run(&mut c, &format!("SMEMBERS {dst}")), bulks(&["a"]));
    assert_eq!(run(&mut c, &format!("SMOVE {dst} {src} a")), int(1));
    assert_eq!(run(&mut c, &format!("EXISTS {dst}")), int(0));
    assert_eq!(members(run(&mut c, &format!("SMEMBERS {src}"))), ["a", "b"]);
    // Types: an absent source answers 0 first; then each key must hold a set.
    assert_eq!(run(&mut c, &format!("SET {dst} v")), ok());
    assert_eq!(
        run(&mut c, &format!("SMOVE nope:{{{dst}}} {dst} a")),
        int(0)
    );
    assert_eq!(run(&mut c, &format!("SMOVE {src} {dst} a")), err(WRONGTYPE));
    assert_eq!(
        run(&mut c, &format!("SMOVE {src} {dst} zz")),
        err(WRONGTYPE)
    );
    assert_eq!(run(&mut c, &format!("SMOVE {dst} {src} a")), err(WRONGTYPE));
    assert_eq!(members(run(&mut c, &format!("SMEMBERS {src}"))), ["a", "b"]);
}

#[test]
fn smove_across_shards_is_atomic_for_a_reader_of_both() {
    let srv = TestServer::start();
    let (a, b) = two_shards("atom:");
    let mut reader = srv.client();
    let mut writer = srv.client();
    assert_eq!(run(&mut writer, &format!("SADD {a} m keep")), int(2));
    assert_eq!(run(&mut writer, &format!("SADD {b} other")), int(1));
    let done = Arc::new(AtomicBool::new(false));
    let writer_done = done.clone();
    let (wa, wb) = (a.clone(), b.clone());
    let writer = thread::spawn(move || {
        for _ in 0..1000 {
            assert_eq!(run_args(&mut writer, &["SMOVE", &wa, &wb, "m"]), int(1));
            assert_eq!(run_args(&mut writer, &["SMOVE", &wb, &wa, "m"]), int(1));
        }
        writer_done.store(true, Ordering::SeqCst);
    });
    let mut reads = 0;
    while !done.load(Ordering::SeqCst) && reads < 100_000 {
        // Under the transaction the member is always in exactly one of the two sets.
        let card = run_args(&mut reader, &["SINTERCARD", "2", &a, &b]).int();
        assert_eq!(card, 0, "the member was in both sets after {reads} reads");
        let all = run_args(&mut reader, &["SUNION", &a, &b]).items().len();
        assert_eq!(all, 3, "the member was in neither set after {reads} reads");
        reads += 1;
    }
    writer.join().expect("writer thread");
    assert_eq!(
        members(run_args(&mut reader, &["SMEMBERS", &a])),
        ["keep", "m"]
    );
}

// ---------------------------------------------------------------- RESP3

#[test]
fn resp3_answers_sets_as_sets() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    raw.send_cmd(&["HELLO", "3"]);
    raw.read_frame();
    raw.send_cmd(&["SADD", "s", "2", "1"]);
    raw.expect(b":2\r\n");
    raw.send_cmd(&["SMEMBERS", "s"]);
    raw.expect(b"~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    raw.send_cmd(&["SINTER", "s", "nope"]);
    raw.expect(b"~0\r\n");
    raw.send_cmd(&["SRANDMEMBER", "s", "5"]);
    raw.expect(b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    raw.send_cmd(&["SMISMEMBER", "s", "1", "3"]);
    raw.expect(b"*2\r\n:1\r\n:0\r\n");
    raw.send_cmd(&["SPOP", "nope", "1"]);
    raw.expect(b"~0\r\n");
    raw.send_cmd(&["SPOP", "nope"]);
    raw.expect(b"_\r\n");
}

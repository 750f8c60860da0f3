//! The keyspace as a user sees it: DEL, UNLINK, EXISTS, TYPE, RENAME, RENAMENX, KEYS, SCAN,
//! RANDOMKEY, COPY, MOVE, TOUCH, the EXPIRE family and its read-outs, lazy and active expiry,
//! and the numbered databases (SELECT, DBSIZE, FLUSHDB, FLUSHALL).

mod common;

use std::collections::HashSet;
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::*;

const NOT_INT: &str = "ERR value is not an integer or out of range";
const SYNTAX: &str = "ERR syntax error";
const DB_RANGE: &str = "ERR DB index is out of range";

/// Every key a full SCAN returns (cursor 0 to cursor 0) with these extra arguments.
fn scan_all(c: &mut redis::Connection, extra: &str) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut keys = Vec::new();
    for _ in 0..100_000 {
        let reply = run(c, &format!("SCAN {cursor} {extra}")).items();
        cursor = reply[0].text();
        keys.extend(reply[1].texts());
        if cursor == "0" {
            keys.sort();
            return keys;
        }
    }
    panic!("SCAN did not finish");
}

fn sorted(reply: Reply) -> Vec<String> {
    let mut v = reply.texts();
    v.sort();
    v
}

/// Polls `f` every 20 ms until it is true; false if `deadline` passes first.
fn eventually(deadline: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + deadline;
    while Instant::now() < end {
        if f() {
            return true;
        }
        sleep(Duration::from_millis(20));
    }
    f()
}

// ---------------------------------------------------------------- DEL, UNLINK, EXISTS, TYPE

#[test]
fn del_and_unlink_count_what_they_removed() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "MSET a 1 b 2 c 3 d 4"), ok());
    assert_eq!(run(&mut c, "RPUSH l x"), int(1));
    assert_eq!(run(&mut c, "DEL a missing a"), int(1));
    assert_eq!(run(&mut c, "DEL b l"), int(2));
    assert_eq!(run(&mut c, "UNLINK c d missing"), int(2));
    assert_eq!(run(&mut c, "DBSIZE"), int(0));
    assert_eq!(
        run(&mut c, "DEL"),
        err("ERR wrong number of arguments for 'del' command")
    );
    assert_eq!(
        run(&mut c, "UNLINK"),
        err("ERR wrong number of arguments for 'unlink' command")
    );
}

#[test]
fn exists_counts_every_argument() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET a 1"), ok());
    assert_eq!(run(&mut c, "EXISTS a"), int(1));
    assert_eq!(run(&mut c, "EXISTS a a a missing"), int(3));
    assert_eq!(run(&mut c, "EXISTS missing"), int(0));
    assert_eq!(
        run(&mut c, "EXISTS"),
        err("ERR wrong number of arguments for 'exists' command")
    );
}

#[test]
fn type_names_every_kind_of_value() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET s v"), ok());
    assert_eq!(run(&mut c, "RPUSH l x"), int(1));
    assert_eq!(run(&mut c, "SADD set x"), int(1));
    assert_eq!(run(&mut c, "HSET h f v"), int(1));
    assert_eq!(run(&mut c, "ZADD z 1 m"), int(1));
    for (key, kind) in [
        ("s", "string"),
        ("l", "list"),
        ("set", "set"),
        ("h", "hash"),
        ("z", "zset"),
        ("x", "none"),
    ] {
        assert_eq!(run(&mut c, &format!("TYPE {key}")), status(kind), "{key}");
    }
    assert_eq!(
        run(&mut c, "TYPE"),
        err("ERR wrong number of arguments for 'type' command")
    );
}

// ---------------------------------------------------------------- RENAME, RENAMENX

#[test]
fn rename_moves_value_and_ttl() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET a 1 EX 100"), ok());
    assert_eq!(run(&mut c, "SET b 2"), ok());
    assert_eq!(run(&mut c, "RENAME a b"), ok());
    assert_eq!(run(&mut c, "EXISTS a"), int(0));
    assert_eq!(run(&mut c, "GET b"), bulk("1"));
    assert_between(run(&mut c, "TTL b"), 99, 100);
    assert_eq!(run(&mut c, "RENAME b b"), ok());
    assert_eq!(run(&mut c, "GET b"), bulk("1"));
    assert_eq!(run(&mut c, "RENAME missing x"), err("ERR no such key"));
    assert_eq!(run(&mut c, "RPUSH l x"), int(1));
    assert_eq!(run(&mut c, "RENAME l b"), ok());
    assert_eq!(run(&mut c, "TYPE b"), status("list"));
    assert_eq!(run(&mut c, "TTL b"), int(-1));
    assert_eq!(
        run(&mut c, "RENAME a"),
        err("ERR wrong number of arguments for 'rename' command")
    );
}

#[test]
fn renamenx_never_overwrites() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "MSET a 1 b 2"), ok());
    assert_eq!(run(&mut c, "RENAMENX a b"), int(0));
    assert_eq!(run(&mut c, "MGET a b"), bulks(&["1", "2"]));
    assert_eq!(run(&mut c, "RENAMENX a c"), int(1));
    assert_eq!(run(&mut c, "MGET a c"), array(vec![nil(), bulk("1")]));
    assert_eq!(run(&mut c, "RENAMENX c c"), int(0));
    assert_eq!(run(&mut c, "RENAMENX missing x"), err("ERR no such key"));
}

// ---------------------------------------------------------------- KEYS, SCAN, RANDOMKEY

#[test]
fn keys_matches_glob_patterns() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(
        run(
            &mut c,
            "MSET hello 1 hallo 1 hxllo 1 hllo 1 heeeello 1 h*llo 1"
        ),
        ok()
    );
    assert_eq!(
        sorted(run(&mut c, "KEYS h?llo")),
        ["h*llo", "hallo", "hello", "hxllo"]
    );
    assert_eq!(
        sorted(run(&mut c, "KEYS h*llo")),
        ["h*llo", "hallo", "heeeello", "hello", "hllo", "hxllo"]
    );
    assert_eq!(sorted(run(&mut c, "KEYS h[ae]llo")), ["hallo", "hello"]);
    assert_eq!(
        sorted(run(&mut c, "KEYS h[^e]llo")),
        ["h*llo", "hallo", "hxllo"]
    );
    assert_eq!(sorted(run(&mut c, "KEYS h[a-b]llo")), ["hallo"]);
    assert_eq!(sorted(run(&mut c, "KEYS h\\*llo")), ["h*llo"]);
    assert_eq!(sorted(run(&mut c, "KEYS *")).len(), 6);
    assert_eq!(run(&mut c, "KEYS nomatch"), array(vec![]));
}

#[test]
fn scan_walks_every_key_with_match_count_and_type() {
    let srv = TestServer::start();
    let mut c = srv.client();
    for i in 0..100 {
        assert_eq!(run(&mut c, &format!("SET key:{i} v")), ok());
    }
    assert_eq!(run(&mut c, "RPUSH list:1 x"), int(1));
    assert_eq!(run(&mut c, "RPUSH list:2 x"), int(1));
    let all = scan_all(&mut c, "");
    assert_eq!(all.len(), 102);
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(
        unique.len(),
        102,
        "SCAN returned a key twice on a quiet keyspace"
    );
    assert_eq!(scan_all(&mut c, "COUNT 3").len(), 102);
    assert_eq!(scan_all(&mut c, "MATCH key:1?").len(), 10);
    assert_eq!(
        scan_all(&mut c, "MATCH list:* COUNT 1000"),
        ["list:1", "list:2"]
    );
    assert_eq!(scan_all(&mut c, "TYPE list"), ["list:1", "list:2"]);
    assert_eq!(scan_all(&mut c, "TYPE string MATCH *:9*").len(), 11);
    assert_eq!(scan_all(&mut c, "TYPE hash"), Vec::<String>::new());
    // An unknown type matches nothing, it is not an error.
    assert_eq!(
        scan_all(&mut c, "TYPE foo COUNT 1000"),
        Vec::<String>::new()
    );
}

#[test]
fn scan_on_an_empty_db_ends_at_once() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SCAN 0"), array(vec![bulk("0"), array(vec![])]));
}

#[test]
fn scan_errors() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SCAN foo"), err("ERR invalid cursor"));
    assert_eq!(
        run(&mut c, "SCAN 18446744073709551616"),
        err("ERR invalid cursor")
    );
    assert_eq!(run(&mut c, "SCAN 0 COUNT 0"), err(SYNTAX));
    assert_eq!(run(&mut c, "SCAN 0 COUNT -1"), err(SYNTAX));
    assert_eq!(run(&mut c, "SCAN 0 COUNT foo"), err(NOT_INT));
    assert_eq!(run(&mut c, "SCAN 0 MATCH"), err(SYNTAX));
    assert_eq!(run(&mut c, "SCAN 0 TYPE"), err(SYNTAX));
    assert_eq!(run(&mut c, "SCAN 0 FOO bar"), err(SYNTAX));
    assert_eq!(
        run(&mut c, "SCAN"),
        err("ERR wrong number of arguments for 'scan' command")
    );
}

#[test]
fn scan_returns_every_key_present_throughout_while_keys_are_added() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let mut writer = srv.client();
    let original: Vec<String> = (0..5000).map(|i| format!("orig:{i}")).collect();
    for chunk in original.chunks(500) {
        let mut args = vec!["MSET".to_string()];
        for k in chunk {
            args.push(k.clone());
            args.push("v".into());
        }
        assert_eq!(run_args(&mut c, &args), ok());
    }
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut added = 0;
    let mut calls = 0;
    loop {
        let reply = run(&mut c, &format!("SCAN {cursor} COUNT 10")).items();
        cursor = reply[0].text();
        seen.extend(reply[1].texts());
        calls += 1;
        assert!(calls < 100_000, "SCAN did not finish");
        // Between calls another client adds keys, so the table grows while it is scanned.
        if added < 5000 {
            let mut args = vec!["MSET".to_string()];
            for _ in 0..10 {
                args.push(format!("new:{added}"));
                args.push("v".into());
                added += 1;
            }
            assert_eq!(run_args(&mut writer, &args), ok());
        }
        if cursor == "0" {
            break;
        }
    }
    let missed: Vec<_> = original
        .iter()
        .filter(|k| !seen.contains(*k))
        .take(10)
        .collect();
    assert!(
        missed.is_empty(),
        "SCAN missed original keys, e.g. {missed:?}"
    );
}

#[test]
fn randomkey_returns_an_existing_key() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "RANDOMKEY"), nil());
    assert_eq!(run(&mut c, "SET only v"), ok());
    assert_eq!(run(&mut c, "RANDOMKEY"), bulk("only"));
    assert_eq!(run(&mut c, "MSET a 1 b 2 c 3"), ok());
    let keys = ["only", "a", "b", "c"];
    for _ in 0..20 {
        let k = run(&mut c, "RANDOMKEY").text();
        assert!(keys.contains(&k.as_str()), "RANDOMKEY returned {k}");
    }
}

// ---------------------------------------------------------------- COPY, MOVE, TOUCH

#[test]
fn copy_duplicates_value_and_ttl() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET src v EX 100"), ok());
    assert_eq!(run(&mut c, "COPY src dst"), int(1));
    assert_eq!(run(&mut c, "GET dst"), bulk("v"));
    assert_between(run(&mut c, "TTL dst"), 99, 100);
    assert_eq!(run(&mut c, "SET src w"), ok());
    assert_eq!(run(&mut c, "COPY src dst"), int(0));
    assert_eq!(run(&mut c, "GET dst"), bulk("v"));
    assert_eq!(run(&mut c, "COPY src dst REPLACE"), int(1));
    assert_eq!(run(&mut c, "GET dst"), bulk("w"));
    assert_eq!(run(&mut c, "TTL dst"), int(-1));
    assert_eq!(run(&mut c, "COPY missing dst"), int(0));
    assert_eq!(run(&mut c, "RPUSH l a b"), int(2));
    assert_eq!(run(&mut c, "COPY l l2"), int(1));
    assert_eq!(run(&mut c, "RPUSH l2 c"), int(3));
    assert_eq!(run(&mut c, "LLEN l"), int(2));
}

#[test]
fn copy_to_another_db() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET k v"), ok());
    assert_eq!(run(&mut c, "COPY k k DB 1"), int(1));
    assert_eq!(run(&mut c, "COPY k k DB 1"), int(0));
    assert_eq!(run(&mut c, "SELECT 1"), ok());
    assert_eq!(run(&mut c, "GET k"), bulk("v"));
    assert_eq!(
        run(&mut c, "COPY k k"),
        err("ERR source and destination objects are the same")
    );
    assert_eq!(
        run(&mut c, "COPY k k DB 1"),
        err("ERR source and destination objects are the same")
    );
    assert_eq!(run(&mut c, "COPY k x DB 16"), err(DB_RANGE));
    assert_eq!(run(&mut c, "COPY k x DB foo"), err(NOT_INT));
    assert_eq!(run(&mut c, "COPY k x FOO"), err(SYNTAX));
    assert_eq!(
        run(&mut c, "COPY k"),
        err("ERR wrong number of arguments for 'copy' command")
    );
}

#[test]
fn move_sends_a_key_to_another_db() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET k v EX 100"), ok());
    assert_eq!(run(&mut c, "MOVE k 3"), int(1));
    assert_eq!(run(&mut c, "EXISTS k"), int(0));
    assert_eq!(run(&mut c, "MOVE k 3"), int(0));
    assert_eq!(run(&mut c, "SELECT 3"), ok());
    assert_eq!(run(&mut c, "GET k"), bulk("v"));
    assert_between(run(&mut c, "TTL k"), 99, 100);
    // A key already in the target db blocks the move.
    assert_eq!(run(&mut c, "SELECT 0"), ok());
    assert_eq!(run(&mut c, "SET k other"), ok());
    assert_eq!(run(&mut c, "MOVE k 3"), int(0));
    assert_eq!(run(&mut c, "GET k"), bulk("other"));
    assert_eq!(
        run(&mut c, "MOVE k 0"),
        err("ERR source and destination objects are the same")
    );
    assert_eq!(run(&mut c, "MOVE k 16"), err(DB_RANGE));
    assert_eq!(run(&mut c, "MOVE k foo"), err(NOT_INT));
}

#[test]
fn touch_counts_existing_keys() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "MSET a 1 b 2"), ok());
    assert_eq!(run(&mut c, "TOUCH a b missing a"), int(3));
    assert_eq!(run(&mut c, "TOUCH missing"), int(0));
    assert_eq!(
        run(&mut c, "TOUCH"),
        err("ERR wrong number of arguments for 'touch' command")
    );
}

// ---------------------------------------------------------------- EXPIRE and friends

#[test]
fn expire_family_sets_ttls_read_by_ttl_and_pttl() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "MSET a 1 b 2 c 3 d 4"), ok());
    assert_eq!(run(&mut c, "EXPIRE a 100"), int(1));
    assert_between(run(&mut c, "TTL a"), 99, 100);
    assert_eq!(run(&mut c, "PEXPIRE b 100000"), int(1));
    assert_between(run(&mut c, "PTTL b"), 90_000, 100_000);
    assert_between(run(&mut c, "TTL b"), 99, 100);
    let at = unix_secs() + 1000;
    assert_eq!(run(&mut c, &format!("EXPIREAT c {at}")), int(1));
    assert_eq!(run(&mut c, "EXPIRETIME c"), int(at));
    assert_eq!(run(&mut c, "PEXPIRETIME c"), int(at * 1000));
    assert_eq!(
        run(&mut c, &format!("PEXPIREAT d {}", at * 1000 + 123)),
        int(1)
    );
    assert_eq!(run(&mut c, "PEXPIRETIME d"), int(at * 1000 + 123));
    assert_eq!(run(&mut c, "EXPIRETIME d"), int(at));
    assert_eq!(run(&mut c, "EXPIRE missing 100"), int(0));
    assert_eq!(run(&mut c, "EXISTS missing"), int(0));
}

#[test]
fn ttl_readouts_for_missing_and_persistent_keys() {
    let srv = TestServer::start();
    let mut c = srv.client();
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(run(&mut c, &format!("{cmd} missing")), int(-2), "{cmd}");
    }
    assert_eq!(run(&mut c, "SET k v"), ok());
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(run(&mut c, &format!("{cmd} k")), int(-1), "{cmd}");
    }
}

#[test]
fn expire_in_the_past_deletes_the_key() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "MSET a 1 b 2 c 3"), ok());
    assert_eq!(run(&mut c, "EXPIRE a 0"), int(1));
    assert_eq!(run(&mut c, "PEXPIRE b -100"), int(1));
    assert_eq!(run(&mut c, "EXPIREAT c 1"), int(1));
    assert_eq!(run(&mut c, "EXISTS a b c"), int(0));
    assert_eq!(run(&mut c, "DBSIZE"), int(0));
}

#[test]
fn expire_nx_xx_gt_lt() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET k v"), ok());
    // No TTL counts as an infinite one: XX and GT fail, LT succeeds.
    assert_eq!(run(&mut c, "EXPIRE k 100 XX"), int(0));
    assert_eq!(run(&mut c, "EXPIRE k 100 GT"), int(0));
    assert_eq!(run(&mut c, "TTL k"), int(-1));
    assert_eq!(run(&mut c, "EXPIRE k 100 NX"), int(1));
    assert_eq!(run(&mut c, "EXPIRE k 200 NX"), int(0));
    assert_eq!(run(&mut c, "EXPIRE k 50 GT"), int(0));
    assert_eq!(run(&mut c, "EXPIRE k 200 GT"), int(1));
    assert_between(run(&mut c, "TTL k"), 199, 200);
    assert_eq!(run(&mut c, "EXPIRE k 300 LT"), int(0));
    assert_eq!(run(&mut c, "EXPIRE k 50 LT"), int(1));
    assert_eq!(run(&mut c, "EXPIRE k 60 XX"), int(1));
    assert_between(run(&mut c, "TTL k"), 59, 60);
    assert_eq!(run(&mut c, "PEXPIRE k 70000 GT XX"), int(1));
    assert_eq!(run(&mut c, "PERSIST k"), int(1));
    assert_eq!(run(&mut c, "PEXPIRE k 70000 LT"), int(1));
    assert_eq!(
        run(&mut c, &format!("EXPIREAT k {} GT", unix_secs() + 500)),
        int(1)
    );
    assert_eq!(
        run(&mut c, &format!("PEXPIREAT k {} NX", unix_secs() * 1000)),
        int(0)
    );
    assert_between(run(&mut c, "TTL k"), 499, 500);
}

#[test]
fn expire_option_errors() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET k v"), ok());
    let nx_xx = "ERR NX and XX, GT or LT options at the same time are not compatible";
    assert_eq!(run(&mut c, "EXPIRE k 10 NX XX"), err(nx_xx));
    assert_eq!(run(&mut c, "EXPIRE k 10 NX GT"), err(nx_xx));
    assert_eq!(
        run(&mut c, "EXPIRE k 10 GT LT"),
        err("ERR GT and LT options at the same time are not compatible")
    );
    assert_eq!(
        run(&mut c, "EXPIRE k 10 FOO"),
        err("ERR Unsupported option FOO")
    );
    assert_eq!(run(&mut c, "EXPIRE k foo"), err(NOT_INT));
    assert_eq!(run(&mut c, "EXPIRE k 1.5"), err(NOT_INT));
    assert_eq!(
        run(&mut c, "EXPIRE k 9223372036854775807"),
        err("ERR invalid expire time in 'expire' command")
    );
    assert_eq!(
        run(&mut c, "PEXPIRE k 9223372036854775807"),
        err("ERR invalid expire time in 'pexpire' command")
    );
    assert_eq!(
        run(&mut c, "EXPIREAT k 9223372036854775807"),
        err("ERR invalid expire time in 'expireat' command")
    );
    assert_eq!(
        run(&mut c, "EXPIRE k -9223372036854775808"),
        err("ERR invalid expire time in 'expire' command")
    );
    assert_eq!(
        run(&mut c, "EXPIRE k"),
        err("ERR wrong number of arguments for 'expire' command")
    );
    assert_eq!(run(&mut c, "TTL k"), int(-1));
}

#[test]
fn persist_removes_the_ttl() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET k v EX 100"), ok());
    assert_eq!(run(&mut c, "PERSIST k"), int(1));
    assert_eq!(run(&mut c, "TTL k"), int(-1));
    assert_eq!(run(&mut c, "PERSIST k"), int(0));
    assert_eq!(run(&mut c, "PERSIST missing"), int(0));
}

#[test]
fn an_expired_key_reads_as_missing() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET k v"), ok());
    assert_eq!(run(&mut c, "PEXPIRE k 50"), int(1));
    assert_eq!(run(&mut c, "SET other v PX 50"), ok());
    sleep(Duration::from_millis(150));
    assert_eq!(run(&mut c, "GET k"), nil());
    assert_eq!(run(&mut c, "EXISTS k other"), int(0));
    assert_eq!(run(&mut c, "TTL k"), int(-2));
    assert_eq!(run(&mut c, "SET k new NX"), ok());
    assert_eq!(run(&mut c, "GET k"), bulk("new"));
}

#[test]
fn expired_keys_are_reclaimed_without_being_touched() {
    let srv = TestServer::start();
    let mut c = srv.client();
    for i in 0..200 {
        assert_eq!(run(&mut c, &format!("SET temp:{i} v PX 100")), ok());
    }
    assert_eq!(run(&mut c, "SET keep v"), ok());
    // DBSIZE counts keys whose deadline passed until they are reclaimed, so only active
    // expiry can bring it down to 1.
    let reclaimed = eventually(Duration::from_secs(10), || run(&mut c, "DBSIZE") == int(1));
    assert!(
        reclaimed,
        "DBSIZE is still {:?} after 10 s",
        run(&mut c, "DBSIZE")
    );
    assert_eq!(
        info_field(&mut c, "keyspace", "db0").as_deref(),
        Some("keys=1,expires=0,avg_ttl=0")
    );
    let expired: i64 = info_field(&mut c, "stats", "expired_keys")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(expired, 200);
}

// ---------------------------------------------------------------- databases

#[test]
fn select_switches_between_separate_databases() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET k zero"), ok());
    assert_eq!(run(&mut c, "SELECT 9"), ok());
    assert_eq!(run(&mut c, "GET k"), nil());
    assert_eq!(run(&mut c, "SET k nine"), ok());
    assert_eq!(run(&mut c, "DBSIZE"), int(1));
    assert_eq!(run(&mut c, "SELECT 0"), ok());
    assert_eq!(run(&mut c, "GET k"), bulk("zero"));
    // Each connection has its own selected db.
    let mut other = srv.client();
    assert_eq!(run(&mut other, "GET k"), bulk("zero"));
    assert_eq!(run(&mut c, "SELECT 15"), ok());
    assert_eq!(run(&mut c, "SELECT 16"), err(DB_RANGE));
    assert_eq!(run(&mut c, "SELECT -1"), err(DB_RANGE));
    assert_eq!(run(&mut c, "SELECT foo"), err(NOT_INT));
    assert_eq!(
        run(&mut c, "SELECT"),
        err("ERR wrong number of arguments for 'select' command")
    );
}

#[test]
fn dbsize_flushdb_flushall() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "DBSIZE"), int(0));
    assert_eq!(run(&mut c, "MSET a 1 b 2 c 3"), ok());
    assert_eq!(run(&mut c, "DBSIZE"), int(3));
    assert_eq!(run(&mut c, "SELECT 1"), ok());
    assert_eq!(run(&mut c, "MSET x 1 y 2"), ok());
    assert_eq!(run(&mut c, "FLUSHDB"), ok());
    assert_eq!(run(&mut c, "DBSIZE"), int(0));
    assert_eq!(run(&mut c, "SELECT 0"), ok());
    assert_eq!(run(&mut c, "DBSIZE"), int(3));
    assert_eq!(run(&mut c, "SELECT 2"), ok());
    assert_eq!(run(&mut c, "SET z 1"), ok());
    assert_eq!(run(&mut c, "FLUSHALL"), ok());
    assert_eq!(run(&mut c, "DBSIZE"), int(0));
    assert_eq!(run(&mut c, "SELECT 0"), ok());
    assert_eq!(run(&mut c, "DBSIZE"), int(0));
}

#[test]
fn flush_async_and_sync_forms() {
    let srv = TestServer::start();
    let mut c = srv.client();
    for i in 0..1000 {
        assert_eq!(run(&mut c, &format!("SET k{i} v")), ok());
    }
    assert_eq!(run(&mut c, "FLUSHDB ASYNC"), ok());
    assert_eq!(run(&mut c, "DBSIZE"), int(0));
    assert_eq!(run(&mut c, "MSET a 1 b 2"), ok());
    assert_eq!(run(&mut c, "FLUSHALL ASYNC"), ok());
    assert_eq!(run(&mut c, "DBSIZE"), int(0));
    assert_eq!(run(&mut c, "SET a 1"), ok());
    assert_eq!(run(&mut c, "FLUSHDB SYNC"), ok());
    assert_eq!(run(&mut c, "SET a 1"), ok());
    assert_eq!(run(&mut c, "FLUSHALL sync"), ok());
    assert_eq!(run(&mut c, "DBSIZE"), int(0));
    assert_eq!(run(&mut c, "FLUSHALL FOO"), err(SYNTAX));
    assert_eq!(run(&mut c, "FLUSHDB ASYNC FOO"), err(SYNTAX));
}

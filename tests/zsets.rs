//! Sorted-set commands, as a user sees them: ZADD and its options, scores and their text,
//! ranks, every kind of range, removal, pops, random members, ZSCAN, the set operations, the
//! encoding switch, and WRONGTYPE.
//!
//! The server runs two shards, and the commands that take several keys are also run on keys
//! owned by different shards.

mod common;

use common::*;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";
const NOT_FLOAT: &str = "ERR value is not a valid float";

fn srv() -> TestServer {
    TestServer::builder().threads(2).start()
}

// ---------------------------------------------------------------- ZADD, ZINCRBY, scores

#[test]
fn zadd_counts_new_members_and_scores_read_back_with_17_digits() {
    let srv = srv();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "ZADD z 1 a 2.5 b 0.1 c"), int(3));
    assert_eq!(run(&mut c, "ZADD z 1 a 3 b"), int(0));
    assert_eq!(run(&mut c, "ZADD z CH 1 a 4 b 5 d"), int(2));
    assert_eq!(run(&mut c, "ZSCORE z a"), bulk("1"));
    assert_eq!(run(&mut c, "ZSCORE z c"), bulk("0.10000000000000001"));
    assert_eq!(run(&mut c, "ZSCORE z nope"), nil());
    assert_eq!(run(&mut c, "ZADD z 1e20 big -inf low"), int(2));
    assert_eq!(run(&mut c, "ZSCORE z big"), bulk("1e+20"));
    assert_eq!(run(&mut c, "ZSCORE z low"), bulk("-inf"));
    assert_eq!(
        run(&mut c, "ZMSCORE z a nope b"),
        array(vec![bulk("1"), nil(), bulk("4")])
    );
    assert_eq!(run(&mut c, "ZCARD z"), int(6));
    assert_eq!(run(&mut c, "ZCARD nokey"), int(0));
}

#[test]
fn zadd_options_and_their_conflicts() {
    let srv = srv();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "ZADD z XX 1 a"), int(0));
    assert_eq!(run(&mut c, "EXISTS z"), int(0));
    assert_eq!(run(&mut c, "ZADD z NX 5 a"), int(1));
    assert_eq!(run(&mut c, "ZADD z NX 1 a 1 b"), int(1));
    assert_eq!(run(&mut c, "ZADD z GT CH 4 a"), int(0));
    assert_eq!(run(&mut c, "ZADD z GT CH 6 a"), int(1));
    assert_eq!(run(&mut c, "ZADD z LT CH 0 a"), int(1));
    assert_eq!(run(&mut c, "ZADD z XX CH 7 b 8 c"), int(1));
    assert_eq!(run(&mut c, "ZSCORE z c"), nil());
    assert_eq!(
        run(&mut c, "ZADD z NX XX 1 a"),
        err("ERR XX and NX options at the same time are not compatible")
    );
    assert_eq!(
        run(&mut c, "ZADD z GT NX 1 a"),
        err("ERR GT, LT, and/or NX options at the same time are not compatible")
    );
    assert_eq!(
        run(&mut c, "ZADD z GT LT 1 a"),
        err("ERR GT, LT, and/or NX options at the same time are not compatible")
    );
    assert_eq!(
        run(&mut c, "ZADD z INCR 1 a 2 b"),
        err("ERR INCR option supports a single increment-element pair")
    );
    assert_eq!(run(&mut c, "ZADD z 1 a 2"), err(SYNTAX));
    assert_eq!(run(&mut c, "ZADD z x a"), err(NOT_FLOAT));
    assert_eq!(run(&mut c, "ZADD z nan a"), err(NOT_FLOAT));
    assert_eq!(
        run(&mut c, "ZADD z"),
        err("ERR wrong number of arguments for 'zadd' command")
    );
}

#[test]
fn incr_adds_to_the_score_and_refuses_nan() {
    let srv = srv();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "ZINCRBY z 1.5 a"), bulk("1.5"));
    assert_eq!(run(&mut c, "ZINCRBY z 1 a"), bulk("2.5"));
    assert_eq!(run(&mut c, "ZADD z INCR 0.5 a"), bulk("3"));
    assert_eq!(run(&mut c, "ZADD z INCR NX 1 a"), nil());
    assert_eq!(run(&mut c, "ZADD z INCR LT 1 a"), nil());
    assert_eq!(run(&mut c, "ZADD z +inf i"), int(1));
    assert_eq!(
        run(&mut c, "ZINCRBY z -inf i"),
        err("ERR resulting score is not a number (NaN)")
    );
    assert_eq!(run(&mut c, "ZINCRBY z x a"), err(NOT_FLOAT));
}

// ---------------------------------------------------------------- ranks and ranges

fn five(c: &mut redis::Connection) {
    assert_eq!(run(c, "ZADD z 1 a 2 b 3 c 4 d 5 e"), int(5));
}

#[test]
fn ranks_count_from_either_end() {
    let srv = srv();
    let mut c = srv.client();
    five(&mut c);
    assert_eq!(run(&mut c, "ZRANK z c"), int(2));
    assert_eq!(run(&mut c, "ZREVRANK z c"), int(2));
    assert_eq!(run(&mut c, "ZREVRANK z a"), int(4));
    assert_eq!(run(&mut c, "ZRANK z x"), nil());
    assert_eq!(
        run(&mut c, "ZRANGE z 0 -1"),
        bulks(&["a", "b", "c", "d", "e"])
    );
    assert_eq!(run(&mut c, "ZRANGE z -2 100"), bulks(&["d", "e"]));
    assert_eq!(run(&mut c, "ZRANGE z 3 1"), bulks(&[]));
    assert_eq!(run(&mut c, "ZREVRANGE z 0 1"), bulks(&["e", "d"]));
    assert_eq!(
        run(&mut c, "ZRANGE z 0 1 WITHSCORES"),
        bulks(&["a", "1", "b", "2"])
    );
    assert_eq!(run(&mut c, "ZRANGE nokey 0 -1"), bulks(&[]));
    assert_eq!(
        run(&mut c, "ZRANGE z a 1"),
        err("ERR value is not an integer or out of range")
    );
}

#[test]
fn score_ranges_take_open_ends_infinities_and_limits() {
    let srv = srv();
    let mut c = srv.client();
    five(&mut c);
    assert_eq!(run(&mut c, "ZRANGEBYSCORE z (1 3"), bulks(&["b", "c"]));
    assert_eq!(
        run(&mut c, "ZRANGEBYSCORE z -inf +inf LIMIT 1 2"),
        bulks(&["b", "c"])
    );
    assert_eq!(
        run(&mut c, "ZREVRANGEBYSCORE z +inf (2 LIMIT 1 10"),
        bulks(&["d", "c"])
    );
    assert_eq!(
        run(&mut c, "ZRANGE z (4 +inf BYSCORE WITHSCORES"),
        bulks(&["e", "5"])
    );
    assert_eq!(
        run(&mut c, "ZRANGE z 5 0 BYSCORE REV LIMIT 0 2"),
        bulks(&["e", "d"])
    );
    assert_eq!(
        run(&mut c, "ZRANGEBYSCORE z -inf +inf LIMIT -1 2"),
        bulks(&[])
    );
    assert_eq!(
        run(&mut c, "ZRANGEBYSCORE z -inf +inf LIMIT 3 -1"),
        bulks(&["d", "e"])
    );
    assert_eq!(run(&mut c, "ZCOUNT z (1 +inf"), int(4));
    assert_eq!(run(&mut c, "ZCOUNT z 3 2"), int(0));
    assert_eq!(
        run(&mut c, "ZRANGEBYSCORE z x 1"),
        err("ERR min or max is not a float")
    );
    assert_eq!(
        run(&mut c, "ZRANGE z 0 1 LIMIT 0 1"),
        err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
        )
    );
    assert_eq!(run(&mut c, "ZRANGEBYSCORE z 0 1 REV"), err(SYNTAX));
}

#[test]
fn lex_ranges_take_brackets_and_infinities() {
    let srv = srv();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "ZADD z 0 a 0 b 0 c 0 d"), int(4));
    assert_eq!(run(&mut c, "ZRANGEBYLEX z [b (d"), bulks(&["b", "c"]));
    assert_eq!(
        run(&mut c, "ZRANGE z [b + BYLEX LIMIT 1 5"),
        bulks(&["c", "d"])
    );
    assert_eq!(
        run(&mut c, "ZREVRANGEBYLEX z + - LIMIT 0 2"),
        bulks(&["d", "c"])
    );
    assert_eq!(run(&mut c, "ZLEXCOUNT z - +"), int(4));
    assert_eq!(run(&mut c, "ZLEXCOUNT z (a [c"), int(2));
    assert_eq!(
        run(&mut c, "ZRANGEBYLEX z b d"),
        err("ERR min or max not valid string range item")
    );
    assert_eq!(
        run(&mut c, "ZRANGE z - + BYLEX WITHSCORES"),
        err("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    );
}

#[test]
fn resp3_withscores_nests_pairs_and_scores_are_doubles() {
    let srv = srv();
    let mut raw = srv.raw();
    raw.send_cmd(&["HELLO", "3"]);
    raw.read_frame();
    raw.send_cmd(&["ZADD", "z", "1", "a", "2.5", "b"]);
    raw.expect(b":2\r\n");
    raw.send_cmd(&["ZSCORE", "z", "b"]);
    raw.expect(b",2.5\r\n");
    raw.send_cmd(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]);
    raw.expect(b"*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n");
    raw.send_cmd(&["ZPOPMIN", "z"]);
    raw.expect(b"*2\r\n$1\r\na\r\n,1\r\n");
    raw.send_cmd(&["ZPOPMAX", "z", "1"]);
    raw.expect(b"*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n");
}

// ---------------------------------------------------------------- removal

#[test]
fn removal_deletes_the_key_when_the_zset_empties() {
    let srv = srv();
    let mut c = srv.client();
    five(&mut c);
    assert_eq!(run(&mut c, "ZREM z a x"), int(1));
    assert_eq!(run(&mut c, "ZREMRANGEBYRANK z 0 0"), int(1));
    assert_eq!(run(&mut c, "ZREMRANGEBYSCORE z (3 4"), int(1));
    assert_eq!(run(&mut c, "ZRANGE z 0 -1"), bulks(&["c", "e"]));
    assert_eq!(run(&mut c, "ZREMRANGEBYLEX z - +"), int(2));
    assert_eq!(run(&mut c, "EXISTS z"), int(0));
    assert_eq!(run(&mut c, "ZREM z c"), int(0));
}

#[test]
fn pops_come_from_either_end() {
    let srv = srv();
    let mut c = srv.client();
    five(&mut c);
    assert_eq!(run(&mut c, "ZPOPMIN z"), bulks(&["a", "1"]));
    assert_eq!(run(&mut c, "ZPOPMAX z 2"), bulks(&["e", "5", "d", "4"]));
    assert_eq!(run(&mut c, "ZPOPMIN z 0"), bulks(&[]));
    assert_eq!(
        run(&mut c, "ZPOPMIN z -1"),
        err("ERR value is out of range, must be positive")
    );
    assert_eq!(run(&mut c, "ZPOPMIN z 10"), bulks(&["b", "2", "c", "3"]));
    assert_eq!(run(&mut c, "EXISTS z"), int(0));
    assert_eq!(run(&mut c, "ZPOPMIN z"), bulks(&[]));
}

#[test]
fn zmpop_pops_from_the_first_non_empty_key_across_shards() {
    let srv = srv();
    let mut c = srv.client();
    let keys = keys_on_each_shard("zm", 2);
    let (k0, k1) = (&keys[0], &keys[1]);
    assert_eq!(run(&mut c, &format!("ZADD {k1} 1 a 2 b 3 c")), int(3));
    assert_eq!(
        run(&mut c, &format!("ZMPOP 2 {k0} {k1} MAX COUNT 2")),
        array(vec![
            bulk(k1),
            array(vec![
                array(vec![bulk("c"), bulk("3")]),
                array(vec![bulk("b"), bulk("2")])
            ])
        ])
    );
    assert_eq!(
        run(&mut c, &format!("ZMPOP 2 {k0} {k1} MIN")),
        array(vec![
            bulk(k1),
            array(vec![array(vec![bulk("a"), bulk("1")])])
        ])
    );
    assert_eq!(run(&mut c, &format!("ZMPOP 2 {k0} {k1} MIN")), nil());
    assert_eq!(
        run(&mut c, "ZMPOP 0 k MIN"),
        err("ERR numkeys should be greater than 0")
    );
    assert_eq!(
        run(&mut c, "ZMPOP 1 k MIN COUNT 0"),
        err("ERR count should be greater than 0")
    );
    assert_eq!(run(&mut c, "ZMPOP 1 k LEFT"), err(SYNTAX));
}

// ---------------------------------------------------------------- sampling and scanning

#[test]
fn zrandmember_picks_distinct_or_repeated_members() {
    let srv = srv();
    let mut c = srv.client();
    five(&mut c);
    assert_eq!(
        run(&mut c, "ZRANDMEMBER z 10"),
        bulks(&["e", "d", "c", "b", "a"])
    );
    let three = run(&mut c, "ZRANDMEMBER z 3").texts();
    assert_eq!(three.len(), 3);
    assert!(three
        .iter()
        .all(|m| ["a", "b", "c", "d", "e"].contains(&m.as_str())));
    assert_eq!(run(&mut c, "ZRANDMEMBER z -8").items().len(), 8);
    assert_eq!(run(&mut c, "ZRANDMEMBER z 2 WITHSCORES").items().len(), 4);
    assert_eq!(run(&mut c, "ZRANDMEMBER nokey"), nil());
    assert_eq!(run(&mut c, "ZRANDMEMBER nokey 3"), bulks(&[]));
    assert_eq!(run(&mut c, "ZRANDMEMBER z 1 SCORES"), err(SYNTAX));
}

#[test]
fn zscan_returns_members_and_score_text() {
    let srv = srv();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "ZADD z 1 a 0.5 b 3 c"), int(3));
    assert_eq!(
        run(&mut c, "ZSCAN z 0 MATCH [ab]"),
        array(vec![bulk("0"), bulks(&["b", "0.5", "a", "1"])])
    );
    assert_eq!(run(&mut c, "ZSCAN z x"), err("ERR invalid cursor"));
    assert_eq!(
        run(&mut c, "ZSCAN nokey 0"),
        array(vec![bulk("0"), bulks(&[])])
    );
    // A large zset is walked with a cursor; every member comes back once.
    let mut args: Vec<String> = vec!["ZADD".into(), "big".into()];
    for i in 0..500 {
        args.push(i.to_string());
        args.push(format!("m{i}"));
    }
    assert_eq!(run_args(&mut c, &args), int(500));
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        let r = run(&mut c, &format!("ZSCAN big {cursor} COUNT 50")).items();
        cursor = r[0].text();
        for pair in r[1].texts().chunks(2) {
            seen.insert(pair[0].clone());
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 500);
}

// ---------------------------------------------------------------- encodings

#[test]
fn encoding_switches_to_skiplist_past_either_limit() {
    let srv = TestServer::builder()
        .threads(2)
        .args(&[
            "--zset-max-listpack-entries",
            "4",
            "--zset-max-listpack-value",
            "8",
        ])
        .start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "ZADD z 1 a 2 b 3 c 4 d"), int(4));
    assert_eq!(run(&mut c, "OBJECT ENCODING z"), bulk("listpack"));
    assert_eq!(run(&mut c, "ZADD z 5 e"), int(1));
    assert_eq!(run(&mut c, "OBJECT ENCODING z"), bulk("skiplist"));
    assert_eq!(run(&mut c, "ZRANGE z 1 2"), bulks(&["b", "c"]));
    assert_eq!(run(&mut c, "ZREM z a b c"), int(3));
    assert_eq!(run(&mut c, "OBJECT ENCODING z"), bulk("skiplist"));
    assert_eq!(run(&mut c, "ZADD long 1 123456789"), int(1));
    assert_eq!(run(&mut c, "OBJECT ENCODING long"), bulk("skiplist"));
    assert_eq!(run(&mut c, "ZADD short 1 12345678"), int(1));
    assert_eq!(run(&mut c, "OBJECT ENCODING short"), bulk("listpack"));
    assert_eq!(run(&mut c, "ZRANGESTORE copy z 0 -1"), int(2));
    assert_eq!(run(&mut c, "OBJECT ENCODING copy"), bulk("listpack"));
}

#[test]
fn a_large_zset_keeps_ranks_and_ranges_right() {
    let srv = srv();
    let mut c = srv.client();
    let mut args: Vec<String> = vec!["ZADD".into(), "big".into()];
    for i in 0..1000 {
        args.push((i / 2).to_string());
        args.push(format!("m{i:04}"));
    }
    assert_eq!(run_args(&mut c, &args), int(1000));
    assert_eq!(run(&mut c, "OBJECT ENCODING big"), bulk("skiplist"));
    assert_eq!(run(&mut c, "ZRANK big m0500"), int(500));
    assert_eq!(run(&mut c, "ZREVRANK big m0500"), int(499));
    assert_eq!(run(&mut c, "ZRANGE big 998 -1"), bulks(&["m0998", "m0999"]));
    assert_eq!(run(&mut c, "ZCOUNT big 100 (200"), int(200));
    assert_eq!(
        run(&mut c, "ZRANGEBYSCORE big 300 300 WITHSCORES"),
        bulks(&["m0600", "300", "m0601", "300"])
    );
    assert_eq!(run(&mut c, "ZREMRANGEBYSCORE big -inf (250"), int(500));
    assert_eq!(run(&mut c, "ZCARD big"), int(500));
    assert_eq!(run(&mut c, "ZRANGE big 0 0"), bulks(&["m0500"]));
}

// ---------------------------------------------------------------- set operations

#[test]
fn union_inter_and_diff_weigh_and_aggregate() {
    let srv = srv();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "ZADD {t}a 1 x 2 y"), int(2));
    assert_eq!(run(&mut c, "ZADD {t}b 10 y 3 z"), int(2));
    assert_eq!(
        run(&mut c, "ZUNION 2 {t}a {t}b WITHSCORES"),
        bulks(&["x", "1", "z", "3", "y", "12"])
    );
    assert_eq!(
        run(
            &mut c,
            "ZUNION 2 {t}a {t}b WEIGHTS 2 1 AGGREGATE MIN WITHSCORES"
        ),
        bulks(&["x", "2", "z", "3", "y", "4"])
    );
    assert_eq!(run(&mut c, "ZINTER 2 {t}a {t}b"), bulks(&["y"]));
    assert_eq!(run(&mut c, "ZDIFF 2 {t}a {t}b"), bulks(&["x"]));
    assert_eq!(run(&mut c, "ZINTERCARD 2 {t}a {t}b"), int(1));
    assert_eq!(run(&mut c, "ZUNIONSTORE {t}d 2 {t}a {t}b"), int(3));
    assert_eq!(run(&mut c, "ZRANGE {t}d 0 -1"), bulks(&["x", "z", "y"]));
    assert_eq!(run(&mut c, "ZINTERSTORE {t}d 2 {t}a nokey"), int(0));
    assert_eq!(run(&mut c, "EXISTS {t}d"), int(0));
    assert_eq!(
        run(&mut c, "ZUNIONSTORE {t}d 0 {t}a"),
        err("ERR at least 1 input key is needed for 'zunionstore' command")
    );
    assert_eq!(
        run(&mut c, "ZUNION 2 {t}a {t}b WEIGHTS 1 x"),
        err("ERR weight value is not a float")
    );
    assert_eq!(
        run(&mut c, "ZINTERCARD 1 {t}a LIMIT -1"),
        err("ERR LIMIT can't be negative")
    );
}

#[test]
fn set_operations_and_rangestore_work_across_shards() {
    let srv = srv();
    let mut c = srv.client();
    let keys = keys_on_each_shard("zs", 2);
    let (k0, k1) = (&keys[0], &keys[1]);
    assert_eq!(run(&mut c, &format!("ZADD {k0} 1 x 2 y")), int(2));
    assert_eq!(run(&mut c, &format!("ZADD {k1} 10 y 3 z")), int(2));
    assert_eq!(
        run(&mut c, &format!("ZUNIONSTORE {k1} 2 {k0} {k1}")),
        int(3)
    );
    assert_eq!(
        run(&mut c, &format!("ZRANGE {k1} 0 -1 WITHSCORES")),
        bulks(&["x", "1", "z", "3", "y", "12"])
    );
    assert_eq!(run(&mut c, &format!("ZRANGESTORE {k0} {k1} 1 -1")), int(2));
    assert_eq!(
        run(&mut c, &format!("ZRANGE {k0} 0 -1")),
        bulks(&["z", "y"])
    );
    assert_eq!(run(&mut c, &format!("ZDIFF 2 {k1} {k0}")), bulks(&["x"]));
}

#[test]
fn a_plain_set_is_a_source_with_scores_of_one() {
    let srv = srv();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SADD {t}s a b"), int(2));
    assert_eq!(run(&mut c, "ZADD {t}z 5 b 0.5 c"), int(2));
    assert_eq!(
        run(&mut c, "ZUNION 2 {t}s {t}z WITHSCORES"),
        bulks(&["c", "0.5", "a", "1", "b", "6"])
    );
    assert_eq!(run(&mut c, "ZINTERSTORE {t}d 2 {t}s {t}z"), int(1));
    assert_eq!(
        run(&mut c, "ZRANGE {t}d 0 -1 WITHSCORES"),
        bulks(&["b", "6"])
    );
    assert_eq!(run(&mut c, "SET {t}str x"), ok());
    assert_eq!(
        run(&mut c, "ZUNIONSTORE {t}d 2 {t}s {t}str"),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
}

// ---------------------------------------------------------------- WRONGTYPE

#[test]
fn every_command_refuses_a_key_of_another_type() {
    let srv = srv();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET s v"), ok());
    for line in [
        "ZADD s 1 a",
        "ZINCRBY s 1 a",
        "ZREM s a",
        "ZCARD s",
        "ZSCORE s a",
        "ZMSCORE s a",
        "ZRANK s a",
        "ZCOUNT s 0 1",
        "ZLEXCOUNT s - +",
        "ZRANGE s 0 -1",
        "ZRANGEBYSCORE s 0 1",
        "ZREMRANGEBYRANK s 0 1",
        "ZPOPMIN s",
        "ZRANDMEMBER s",
        "ZSCAN s 0",
        "ZMPOP 1 s MIN",
        "ZUNION 1 s",
        "ZRANGESTORE {s}d s 0 -1",
    ] {
        assert_eq!(run(&mut c, line), err(WRONGTYPE), "{line}");
    }
    // Argument errors found before the lookup win over the type.
    assert_eq!(run(&mut c, "ZADD s x a"), err(NOT_FLOAT));
    assert_eq!(
        run(&mut c, "ZCOUNT s x 1"),
        err("ERR min or max is not a float")
    );
    assert_eq!(run(&mut c, "GET s"), bulk("v"));
}

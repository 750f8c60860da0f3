//! List commands, as a user sees them: pushes and pops, indexes and ranges, LINSERT, LREM,
//! LTRIM, LPOS, and the commands that move elements between keys (LMOVE, RPOPLPUSH, LMPOP),
//! also with keys owned by different shards. Also the switch from the listpack to the quicklist
//! encoding.

mod common;

use common::*;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const SYNTAX: &str = "ERR syntax error";

/// Two keys named after `prefix` that live on different shards of a two-shard server.
fn keys_on_two_shards(prefix: &str) -> (String, String) {
    let keys = keys_on_each_shard(prefix, 2);
    (keys[0].clone(), keys[1].clone())
}

#[test]
fn lrange_gives_the_elements_as_stored_from_either_shard_and_in_a_pipeline() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let (near, far) = keys_on_two_shards("lrange");
    // Integers are stored packed and must come back as the bytes that were pushed.
    let elems = [
        "-9223372036854775808",
        "0",
        "12",
        "007",
        "",
        "x y",
        "9223372036854775807",
    ];
    for key in [&near, &far] {
        let n: i64 = redis::cmd("RPUSH")
            .arg(key)
            .arg(&elems[..])
            .query(&mut c)
            .expect("RPUSH");
        assert_eq!(n, elems.len() as i64);
        let all: Vec<Vec<u8>> = redis::cmd("LRANGE")
            .arg(key)
            .arg(0)
            .arg(-1)
            .query(&mut c)
            .expect("LRANGE");
        assert_eq!(all, elems.map(|e| e.as_bytes().to_vec()).to_vec());
    }
    // Replies of different shards in one pipeline keep their order.
    let (a, b, c2): (Vec<String>, Vec<String>, Vec<String>) = redis::pipe()
        .cmd("LRANGE")
        .arg(&near)
        .arg(1)
        .arg(2)
        .cmd("LRANGE")
        .arg(&far)
        .arg(-2)
        .arg(-1)
        .cmd("LRANGE")
        .arg(&near)
        .arg(-1)
        .arg(-1)
        .query(&mut c)
        .expect("pipeline");
    assert_eq!(a, ["0", "12"]);
    assert_eq!(b, ["x y", "9223372036854775807"]);
    assert_eq!(c2, ["9223372036854775807"]);
}

#[test]
fn push_range_and_length() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "RPUSH l a b c"), int(3));
    assert_eq!(run(&mut c, "LPUSH l y x"), int(5));
    assert_eq!(
        run(&mut c, "LRANGE l 0 -1"),
        bulks(&["x", "y", "a", "b", "c"])
    );
    assert_eq!(run(&mut c, "LRANGE l -100 1"), bulks(&["x", "y"]));
    assert_eq!(run(&mut c, "LRANGE l 4 100"), bulks(&["c"]));
    assert_eq!(run(&mut c, "LRANGE l 3 2"), bulks(&[]));
    assert_eq!(run(&mut c, "LRANGE nope 0 -1"), bulks(&[]));
    assert_eq!(run(&mut c, "LRANGE l a 1"), err(NOT_INT));
    assert_eq!(run(&mut c, "LLEN l"), int(5));
    assert_eq!(run(&mut c, "LLEN nope"), int(0));
    assert_eq!(run(&mut c, "TYPE l"), status("list"));
    assert_eq!(run(&mut c, "LPUSHX nope a"), int(0));
    assert_eq!(run(&mut c, "RPUSHX l z 12"), int(7));
    assert_eq!(run(&mut c, "LINDEX l -1"), bulk("12"));
    assert_eq!(run(&mut c, "EXISTS nope"), int(0));
    assert_eq!(
        run(&mut c, "LPUSH l"),
        err("ERR wrong number of arguments for 'lpush' command")
    );
}

#[test]
fn pops_with_and_without_count() {
    let srv = TestServer::start();
    let mut c = srv.client();
    run(&mut c, "RPUSH l a b c d e");
    assert_eq!(run(&mut c, "LPOP l"), bulk("a"));
    assert_eq!(run(&mut c, "RPOP l"), bulk("e"));
    assert_eq!(run(&mut c, "LPOP l 2"), bulks(&["b", "c"]));
    assert_eq!(run(&mut c, "RPOP l 0"), bulks(&[]));
    assert_eq!(run(&mut c, "RPOP l 10"), bulks(&["d"]));
    assert_eq!(run(&mut c, "EXISTS l"), int(0));
    assert_eq!(run(&mut c, "LPOP l"), nil());
    assert_eq!(run(&mut c, "LPOP l 3"), nil());
    let positive = "ERR value is out of range, must be positive";
    assert_eq!(run(&mut c, "LPOP l -1"), err(positive));
    assert_eq!(run(&mut c, "RPOP l x"), err(positive));
    assert_eq!(
        run(&mut c, "LPOP l 1 2"),
        err("ERR wrong number of arguments for 'lpop' command")
    );
}

#[test]
fn lindex_and_lset() {
    let srv = TestServer::start();
    let mut c = srv.client();
    run(&mut c, "RPUSH l a b c");
    assert_eq!(run(&mut c, "LINDEX l 0"), bulk("a"));
    assert_eq!(run(&mut c, "LINDEX l -2"), bulk("b"));
    assert_eq!(run(&mut c, "LINDEX l 3"), nil());
    assert_eq!(run(&mut c, "LINDEX l x"), err(NOT_INT));
    assert_eq!(run(&mut c, "LINDEX nope x"), nil());
    assert_eq!(run(&mut c, "LSET l 1 B"), ok());
    assert_eq!(run(&mut c, "LSET l -1 100"), ok());
    assert_eq!(run(&mut c, "LRANGE l 0 -1"), bulks(&["a", "B", "100"]));
    assert_eq!(run(&mut c, "LSET l 3 x"), err("ERR index out of range"));
    assert_eq!(run(&mut c, "LSET l -4 x"), err("ERR index out of range"));
    assert_eq!(run(&mut c, "LSET nope 0 x"), err("ERR no such key"));
    assert_eq!(run(&mut c, "LSET nope x x"), err("ERR no such key"));
    assert_eq!(run(&mut c, "LSET l x x"), err(NOT_INT));
}

#[test]
fn linsert_lrem_and_ltrim() {
    let srv = TestServer::start();
    let mut c = srv.client();
    run(&mut c, "RPUSH l a c a");
    assert_eq!(run(&mut c, "LINSERT l BEFORE c b"), int(4));
    assert_eq!(run(&mut c, "LINSERT l after a x"), int(5));
    assert_eq!(run(&mut c, "LINSERT l after zz x"), int(-1));
    assert_eq!(run(&mut c, "LINSERT nope after a x"), int(0));
    assert_eq!(run(&mut c, "LINSERT l middle a x"), err(SYNTAX));
    assert_eq!(
        run(&mut c, "LRANGE l 0 -1"),
        bulks(&["a", "x", "b", "c", "a"])
    );
    assert_eq!(run(&mut c, "LREM l -1 a"), int(1));
    assert_eq!(run(&mut c, "LREM l 0 zz"), int(0));
    assert_eq!(run(&mut c, "LREM l x a"), err(NOT_INT));
    assert_eq!(run(&mut c, "LRANGE l 0 -1"), bulks(&["a", "x", "b", "c"]));
    assert_eq!(run(&mut c, "LTRIM l 1 -2"), ok());
    assert_eq!(run(&mut c, "LRANGE l 0 -1"), bulks(&["x", "b"]));
    assert_eq!(run(&mut c, "LTRIM nope 0 1"), ok());
    assert_eq!(run(&mut c, "LTRIM l 2 1"), ok());
    assert_eq!(run(&mut c, "EXISTS l"), int(0));
    run(&mut c, "RPUSH m v v");
    assert_eq!(run(&mut c, "LREM m 0 v"), int(2));
    assert_eq!(run(&mut c, "EXISTS m"), int(0));
}

#[test]
fn lpos_with_rank_count_and_maxlen() {
    let srv = TestServer::start();
    let mut c = srv.client();
    run(&mut c, "RPUSH l a b c 1 2 3 c c");
    assert_eq!(run(&mut c, "LPOS l c"), int(2));
    assert_eq!(run(&mut c, "LPOS l c RANK 2"), int(6));
    assert_eq!(run(&mut c, "LPOS l c RANK -1"), int(7));
    assert_eq!(run(&mut c, "LPOS l 3"), int(5));
    assert_eq!(
        run(&mut c, "LPOS l c COUNT 0"),
        array(vec![int(2), int(6), int(7)])
    );
    assert_eq!(
        run(&mut c, "LPOS l c RANK -2 COUNT 5"),
        array(vec![int(6), int(2)])
    );
    assert_eq!(
        run(&mut c, "LPOS l c COUNT 0 MAXLEN 3"),
        array(vec![int(2)])
    );
    assert_eq!(run(&mut c, "LPOS l c MAXLEN 2"), nil());
    assert_eq!(run(&mut c, "LPOS l zz COUNT 2"), array(vec![]));
    assert_eq!(run(&mut c, "LPOS nope a"), nil());
    assert_eq!(run(&mut c, "LPOS nope a COUNT 1"), array(vec![]));
    assert_eq!(
        run(&mut c, "LPOS l c RANK 0"),
        err(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... \
             or use negative to start from the end of the list"
        )
    );
    assert_eq!(run(&mut c, "LPOS l c RANK x"), err(NOT_INT));
    assert_eq!(
        run(&mut c, "LPOS l c COUNT -1"),
        err("ERR COUNT can't be negative")
    );
    assert_eq!(
        run(&mut c, "LPOS l c COUNT x"),
        err("ERR COUNT can't be negative")
    );
    assert_eq!(
        run(&mut c, "LPOS l c MAXLEN -1"),
        err("ERR MAXLEN can't be negative")
    );
    assert_eq!(run(&mut c, "LPOS l c COUNT"), err(SYNTAX));
    assert_eq!(run(&mut c, "LPOS l c FOO 1"), err(SYNTAX));
}

#[test]
fn list_commands_on_a_string_are_wrongtype() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET s v"), ok());
    for line in [
        "LPUSH s a",
        "RPUSH s a",
        "LPUSHX s a",
        "RPUSHX s a",
        "LPOP s",
        "RPOP s 0",
        "LLEN s",
        "LRANGE s 0 -1",
        "LINDEX s 0",
        "LSET s 0 a",
        "LINSERT s before a b",
        "LREM s 0 a",
        "LTRIM s 0 1",
        "LPOS s a",
        "LMOVE s d left left",
        "RPOPLPUSH s d",
        "LMPOP 1 s left",
    ] {
        assert_eq!(run(&mut c, line), err(WRONGTYPE), "{line}");
    }
    assert_eq!(run(&mut c, "GET s"), bulk("v"));
    run(&mut c, "RPUSH l a");
    assert_eq!(run(&mut c, "LMOVE l s left left"), err(WRONGTYPE));
    assert_eq!(run(&mut c, "LLEN l"), int(1));
    assert_eq!(run(&mut c, "GET l"), err(WRONGTYPE));
}

#[test]
fn lmove_and_rpoplpush_on_one_shard() {
    let srv = TestServer::start();
    let mut c = srv.client();
    run(&mut c, "RPUSH {t}src a b c");
    assert_eq!(run(&mut c, "LMOVE {t}src {t}dst LEFT RIGHT"), bulk("a"));
    assert_eq!(run(&mut c, "RPOPLPUSH {t}src {t}dst"), bulk("c"));
    assert_eq!(run(&mut c, "LMOVE {t}src {t}dst right left"), bulk("b"));
    assert_eq!(run(&mut c, "EXISTS {t}src"), int(0));
    assert_eq!(run(&mut c, "LRANGE {t}dst 0 -1"), bulks(&["b", "c", "a"]));
    assert_eq!(run(&mut c, "LMOVE {t}src {t}dst left left"), nil());
    assert_eq!(run(&mut c, "LMOVE {t}dst {t}dst left right"), bulk("b"));
    assert_eq!(run(&mut c, "LRANGE {t}dst 0 -1"), bulks(&["c", "a", "b"]));
    assert_eq!(run(&mut c, "LMOVE {t}dst {t}x up left"), err(SYNTAX));
}

#[test]
fn lmove_across_shards() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let (a, b) = keys_on_two_shards("list");
    run(&mut c, &format!("RPUSH {a} 1 2 3"));
    assert_eq!(run(&mut c, &format!("LMOVE {a} {b} LEFT LEFT")), bulk("1"));
    assert_eq!(run(&mut c, &format!("RPOPLPUSH {a} {b}")), bulk("3"));
    assert_eq!(
        run(&mut c, &format!("LMOVE {b} {a} RIGHT RIGHT")),
        bulk("1")
    );
    assert_eq!(run(&mut c, &format!("LRANGE {a} 0 -1")), bulks(&["2", "1"]));
    assert_eq!(run(&mut c, &format!("LRANGE {b} 0 -1")), bulks(&["3"]));
    assert_eq!(run(&mut c, &format!("RPOPLPUSH {b} {a}")), bulk("3"));
    assert_eq!(run(&mut c, &format!("EXISTS {b}")), int(0));
    assert_eq!(run(&mut c, &format!("LMOVE {b} {a} LEFT LEFT")), nil());
    run(&mut c, &format!("SET {b} str"));
    assert_eq!(
        run(&mut c, &format!("LMOVE {a} {b} LEFT LEFT")),
        err(WRONGTYPE)
    );
    assert_eq!(run(&mut c, &format!("LLEN {a}")), int(3));
    assert_eq!(
        run(&mut c, &format!("LMOVE {b} {a} LEFT LEFT")),
        err(WRONGTYPE)
    );
}

#[test]
fn lmpop_pops_from_the_first_non_empty_list() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let (a, b) = keys_on_two_shards("mpop");
    run(&mut c, &format!("RPUSH {b} x y z"));
    assert_eq!(
        run(&mut c, &format!("LMPOP 3 nope {a} {b} LEFT")),
        array(vec![bulk(&b), bulks(&["x"])])
    );
    assert_eq!(
        run(&mut c, &format!("LMPOP 2 {a} {b} RIGHT COUNT 5")),
        array(vec![bulk(&b), bulks(&["z", "y"])])
    );
    assert_eq!(run(&mut c, &format!("LMPOP 2 {a} {b} LEFT")), nil());
    run(&mut c, &format!("RPUSH {a} 1 2"));
    run(&mut c, &format!("RPUSH {b} 3"));
    assert_eq!(
        run(&mut c, &format!("LMPOP 2 {a} {b} LEFT COUNT 1")),
        array(vec![bulk(&a), bulks(&["1"])])
    );
    run(&mut c, "SET str v");
    assert_eq!(run(&mut c, "LMPOP 2 str {a} LEFT"), err(WRONGTYPE));
    assert_eq!(
        run(&mut c, "LMPOP 0 k LEFT"),
        err("ERR numkeys should be greater than 0")
    );
    assert_eq!(
        run(&mut c, "LMPOP x k LEFT"),
        err("ERR numkeys should be greater than 0")
    );
    assert_eq!(run(&mut c, "LMPOP 2 k LEFT"), err(SYNTAX));
    assert_eq!(run(&mut c, "LMPOP 1 k UP"), err(SYNTAX));
    assert_eq!(
        run(&mut c, "LMPOP 1 k LEFT COUNT 0"),
        err("ERR count should be greater than 0")
    );
    assert_eq!(run(&mut c, "LMPOP 1 k LEFT COUNT 1 COUNT 1"), err(SYNTAX));
    assert_eq!(
        run(&mut c, "LMPOP 1 k"),
        err("ERR wrong number of arguments for 'lmpop' command")
    );
}

#[test]
fn encoding_turns_to_quicklist_past_the_configured_size() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "CONFIG SET list-max-listpack-size 4"), ok());
    assert_eq!(run(&mut c, "RPUSH big 1 2 3 4 5 6 7 8 9 10"), int(10));
    assert_eq!(run(&mut c, "OBJECT ENCODING big"), bulk("quicklist"));
    assert_eq!(run(&mut c, "LINDEX big 5"), bulk("6"));
    assert_eq!(run(&mut c, "LINSERT big AFTER 2 x"), int(11));
    assert_eq!(run(&mut c, "LSET big -1 last"), ok());
    assert_eq!(
        run(&mut c, "LRANGE big 0 -1"),
        bulks(&["1", "2", "x", "3", "4", "5", "6", "7", "8", "9", "last"])
    );
    assert_eq!(run(&mut c, "LREM big 0 x"), int(1));
    assert_eq!(run(&mut c, "LTRIM big 1 -2"), ok());
    assert_eq!(
        run(&mut c, "LRANGE big 0 -1"),
        bulks(&["2", "3", "4", "5", "6", "7", "8", "9"])
    );
}

#[test]
fn a_small_list_reports_quicklist_as_redis_7_0_does() {
    let srv = TestServer::start();
    let mut c = srv.client();
    run(&mut c, "RPUSH l a b c");
    // Redis 7.0 reports every list as a quicklist, however small.
    assert_eq!(run(&mut c, "OBJECT ENCODING l"), bulk("quicklist"));
}

#[test]
fn long_lists_index_from_both_ends() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let items: Vec<String> = (0..2000).map(|i| format!("item-{i}")).collect();
    for chunk in items.chunks(500) {
        let mut args = vec!["RPUSH".to_string(), "l".to_string()];
        args.extend(chunk.iter().cloned());
        run_args(&mut c, &args);
    }
    assert_eq!(run(&mut c, "LLEN l"), int(2000));
    assert_eq!(run(&mut c, "OBJECT ENCODING l"), bulk("quicklist"));
    assert_eq!(run(&mut c, "LINDEX l 1234"), bulk("item-1234"));
    assert_eq!(run(&mut c, "LINDEX l -1"), bulk("item-1999"));
    assert_eq!(run(&mut c, "LPOS l item-1500"), int(1500));
    assert_eq!(
        run(&mut c, "LRANGE l 998 1001"),
        bulks(&["item-998", "item-999", "item-1000", "item-1001"])
    );
    assert_eq!(run(&mut c, "LPOP l 1000").items().len(), 1000);
    assert_eq!(run(&mut c, "LINDEX l 0"), bulk("item-1000"));
}

//! SORT and SORT_RO as a user sees them: numeric and ALPHA order, DESC, LIMIT, BY and GET
//! patterns (string keys and hash fields, on any shard), `#`, BY nosort, STORE, and errors.

mod common;

use common::*;

#[test]
fn sorts_numbers_and_words() {
    let srv = TestServer::builder().threads(2).start();
    let mut c = srv.client();
    run(&mut c, "RPUSH l 3 1 2 10");
    assert_eq!(run(&mut c, "SORT l"), bulks(&["1", "2", "3", "10"]));
    assert_eq!(run(&mut c, "SORT l DESC"), bulks(&["10", "3", "2", "1"]));
    assert_eq!(run(&mut c, "SORT l ALPHA"), bulks(&["1", "10", "2", "3"]));
    assert_eq!(run(&mut c, "SORT l LIMIT 1 2"), bulks(&["2", "3"]));
    assert_eq!(run(&mut c, "SORT l LIMIT -5 2 DESC"), bulks(&["10", "3"]));
    assert_eq!(run(&mut c, "SORT_RO l LIMIT 2 -1"), bulks(&["3", "10"]));
    run(&mut c, "SADD s b a c");
    assert_eq!(run(&mut c, "SORT s ALPHA"), bulks(&["a", "b", "c"]));
    run(&mut c, "ZADD z 3 x 1 y 2 w");
    assert_eq!(run(&mut c, "SORT z ALPHA DESC"), bulks(&["y", "x", "w"]));
    assert_eq!(run(&mut c, "SORT z BY nosort"), bulks(&["y", "w", "x"]));
    assert_eq!(run(&mut c, "SORT missing"), bulks(&[]));
}

#[test]
fn by_and_get_patterns_reach_keys_on_every_shard() {
    let srv = TestServer::builder().threads(2).start();
    let mut c = srv.client();
    run(&mut c, "RPUSH ids 1 2 3 4");
    run(&mut c, "MSET w_1 40 w_2 30 w_3 20 w_4 10");
    run(&mut c, "MSET name_1 one name_2 two name_3 three");
    run(&mut c, "HSET h_1 f d");
    run(&mut c, "HSET h_2 f c");
    run(&mut c, "HSET h_3 f b");
    run(&mut c, "HSET h_4 f a");
    assert_eq!(run(&mut c, "SORT ids BY w_*"), bulks(&["4", "3", "2", "1"]));
    assert_eq!(
        run(&mut c, "SORT ids BY h_*->f ALPHA"),
        bulks(&["4", "3", "2", "1"])
    );
    assert_eq!(
        run(&mut c, "SORT ids BY w_* GET # GET name_* LIMIT 0 2"),
        array(vec![bulk("4"), nil(), bulk("3"), bulk("three")])
    );
    assert_eq!(
        run(&mut c, "SORT ids GET h_*->f GET nostar"),
        array(vec![
            bulk("d"),
            nil(),
            bulk("c"),
            nil(),
            bulk("b"),
            nil(),
            bulk("a"),
            nil()
        ])
    );
    assert_eq!(
        run(&mut c, "SORT ids BY nosort DESC"),
        bulks(&["4", "3", "2", "1"])
    );
    assert_eq!(
        run(&mut c, "SORT ids BY nosort LIMIT 1 2"),
        bulks(&["2", "3"])
    );
}

#[test]
fn store_writes_a_list() {
    let srv = TestServer::builder().threads(2).start();
    let mut c = srv.client();
    run(&mut c, "RPUSH src 3 1 2");
    assert_eq!(run(&mut c, "SORT src STORE dst"), int(3));
    assert_eq!(run(&mut c, "LRANGE dst 0 -1"), bulks(&["1", "2", "3"]));
    assert_eq!(run(&mut c, "SORT src GET nostar STORE dst"), int(3));
    assert_eq!(run(&mut c, "LRANGE dst 0 -1"), bulks(&["", "", ""]));
    assert_eq!(run(&mut c, "SORT missing STORE dst"), int(0));
    assert_eq!(run(&mut c, "EXISTS dst"), int(0));
    run(&mut c, "SADD set z y x");
    assert_eq!(run(&mut c, "SORT set BY nosort STORE dst"), int(3));
    assert_eq!(run(&mut c, "LRANGE dst 0 -1"), bulks(&["x", "y", "z"]));
}

#[test]
fn errors_follow_redis() {
    let srv = TestServer::builder().threads(2).start();
    let mut c = srv.client();
    run(&mut c, "RPUSH words b a");
    assert_eq!(
        run(&mut c, "SORT words"),
        err("ERR One or more scores can't be converted into double")
    );
    run(&mut c, "SET str v");
    assert_eq!(
        run(&mut c, "SORT str"),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    assert_eq!(run(&mut c, "SORT words FOO"), err("ERR syntax error"));
    assert_eq!(run(&mut c, "SORT words LIMIT 1"), err("ERR syntax error"));
    assert_eq!(
        run(&mut c, "SORT words LIMIT a 1"),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        run(&mut c, "SORT_RO words STORE x"),
        err("ERR syntax error")
    );
}

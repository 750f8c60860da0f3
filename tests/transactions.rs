//! MULTI, EXEC, DISCARD, WATCH and UNWATCH as a user sees them: queuing, errors while queuing
//! (EXECABORT) and while running (in the reply array), transactions whose keys live on several
//! shards running as one atomic step, and WATCH invalidated by a write from another connection
//! to a key on either shard, by expiry, and by FLUSHALL.

mod common;

use common::*;
use std::time::Duration;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn queued_commands_run_in_order_at_exec() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "MULTI"), ok());
    assert_eq!(run(&mut c, "SET a 1"), status("QUEUED"));
    assert_eq!(run(&mut c, "INCR a"), status("QUEUED"));
    assert_eq!(run(&mut c, "LPUSH a x"), status("QUEUED"));
    assert_eq!(run(&mut c, "GET a"), status("QUEUED"));
    assert_eq!(
        run(&mut c, "EXEC"),
        array(vec![ok(), int(2), err(WRONGTYPE), bulk("2")])
    );
    assert_eq!(run(&mut c, "MULTI"), ok());
    assert_eq!(run(&mut c, "EXEC"), array(vec![]));
}

#[test]
fn transaction_errors_follow_redis() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "EXEC"), err("ERR EXEC without MULTI"));
    assert_eq!(run(&mut c, "DISCARD"), err("ERR DISCARD without MULTI"));
    run(&mut c, "MULTI");
    assert_eq!(
        run(&mut c, "MULTI"),
        err("ERR MULTI calls can not be nested")
    );
    assert_eq!(
        run(&mut c, "WATCH x"),
        err("ERR WATCH inside MULTI is not allowed")
    );
    assert_eq!(run(&mut c, "SET a 1"), status("QUEUED"));
    // Neither error above dooms the transaction.
    assert_eq!(run(&mut c, "EXEC"), array(vec![ok()]));

    run(&mut c, "MULTI");
    run(&mut c, "SET b 1");
    assert_eq!(
        run(&mut c, "NOSUCH x"),
        err("ERR unknown command 'NOSUCH', with args beginning with: 'x' ")
    );
    assert_eq!(
        run(&mut c, "GET"),
        err("ERR wrong number of arguments for 'get' command")
    );
    assert_eq!(
        run(&mut c, "EXEC"),
        err("EXECABORT Transaction discarded because of previous errors.")
    );
    assert_eq!(run(&mut c, "EXISTS b"), int(0));

    run(&mut c, "MULTI");
    run(&mut c, "SET c 1");
    assert_eq!(run(&mut c, "DISCARD"), ok());
    assert_eq!(run(&mut c, "EXISTS c"), int(0));
    assert_eq!(run(&mut c, "UNWATCH"), ok());
}

#[test]
fn select_inside_multi_applies_to_later_commands() {
    let srv = TestServer::start();
    let mut c = srv.client();
    run(&mut c, "MULTI");
    run(&mut c, "SELECT 3");
    run(&mut c, "SET in3 yes");
    assert_eq!(run(&mut c, "EXEC"), array(vec![ok(), ok()]));
    assert_eq!(run(&mut c, "GET in3"), bulk("yes"));
    run(&mut c, "SELECT 0");
    assert_eq!(run(&mut c, "EXISTS in3"), int(0));
}

/// A transaction over keys of both shards is one atomic step: a reader on another connection
/// sees the pair either before or after, never half of it.
#[test]
fn a_transaction_across_shards_is_atomic() {
    let srv = TestServer::builder().threads(2).start();
    let keys = keys_on_each_shard("atomic", 2);
    let mut w = srv.client();
    run_args(&mut w, &["MSET", &keys[0], "0", &keys[1], "0"]);
    let port = srv.port();
    let (k0, k1) = (keys[0].clone(), keys[1].clone());
    let reader = std::thread::spawn(move || {
        let client = redis::Client::open(("127.0.0.1", port)).unwrap();
        let mut r = client.get_connection().unwrap();
        for _ in 0..300 {
            let got = run_args(&mut r, &["MGET", &k0, &k1]).texts();
            assert_eq!(got[0], got[1], "MGET saw half a transaction");
        }
    });
    for i in 1..=300 {
        let v = i.to_string();
        run(&mut w, "MULTI");
        run_args(&mut w, &["SET", &keys[0], &v]);
        run_args(&mut w, &["INCRBY", &keys[1], "1"]);
        let got = run(&mut w, "EXEC");
        assert_eq!(got, array(vec![ok(), int(i)]));
    }
    reader.join().unwrap();
}

/// Commands that find their keys themselves, and server-wide ones, also run inside EXEC.
#[test]
fn multi_key_and_server_wide_commands_run_inside_exec() {
    let srv = TestServer::builder().threads(2).start();
    let keys = keys_on_each_shard("wide", 2);
    let mut c = srv.client();
    run(&mut c, "MULTI");
    run_args(&mut c, &["SADD", &keys[0], "a", "b"]);
    run_args(&mut c, &["SADD", &keys[1], "b", "c"]);
    run_args(&mut c, &["SUNIONSTORE", "dst", &keys[0], &keys[1]]);
    run_args(&mut c, &["LMPOP", "2", &keys[0], "nolist", "LEFT"]);
    run(&mut c, "DBSIZE");
    run(&mut c, "FLUSHALL");
    run(&mut c, "DBSIZE");
    let got = run(&mut c, "EXEC").items();
    assert_eq!(got[0], int(2));
    assert_eq!(got[1], int(2));
    assert_eq!(got[2], int(3));
    assert_eq!(got[3], err(WRONGTYPE));
    assert_eq!(got[4], int(3));
    assert_eq!(got[5], ok());
    assert_eq!(got[6], int(0));
}

#[test]
fn watch_fails_exec_after_another_client_writes_the_key_on_either_shard() {
    let srv = TestServer::builder().threads(2).start();
    let mut a = srv.client();
    let mut b = srv.client();
    for key in keys_on_each_shard("watched", 2) {
        assert_eq!(run_args(&mut a, &["WATCH", &key]), ok());
        run(&mut a, "MULTI");
        run(&mut a, "SET out 1");
        run_args(&mut b, &["SET", &key, "changed"]);
        assert_eq!(run(&mut a, "EXEC"), nil());

        // After EXEC (failed or not) nothing is watched any more.
        run(&mut a, "MULTI");
        run(&mut a, "SET out 2");
        run_args(&mut b, &["SET", &key, "again"]);
        assert_eq!(run(&mut a, "EXEC"), array(vec![ok()]));
        assert_eq!(run(&mut a, "GET out"), bulk("2"));

        // An untouched watched key lets EXEC run.
        run_args(&mut a, &["WATCH", &key, "other"]);
        run(&mut a, "MULTI");
        run(&mut a, "SET out 3");
        run_args(&mut b, &["SET", "unrelated", "x"]);
        run_args(&mut b, &["GET", &key]);
        assert_eq!(run(&mut a, "EXEC"), array(vec![ok()]));
    }
}

#[test]
fn unwatch_and_discard_forget_the_watched_keys() {
    let srv = TestServer::builder().threads(2).start();
    let mut a = srv.client();
    let mut b = srv.client();
    run(&mut a, "WATCH k");
    run(&mut b, "SET k 1");
    assert_eq!(run(&mut a, "UNWATCH"), ok());
    run(&mut a, "MULTI");
    run(&mut a, "PING");
    assert_eq!(run(&mut a, "EXEC"), array(vec![status("PONG")]));

    run(&mut a, "WATCH k");
    run(&mut b, "SET k 2");
    run(&mut a, "MULTI");
    run(&mut a, "DISCARD");
    run(&mut a, "MULTI");
    run(&mut a, "PING");
    assert_eq!(run(&mut a, "EXEC"), array(vec![status("PONG")]));
}

/// Writes that change nothing (SET NX on an existing key, DEL of a missing key) leave the
/// watchers alone; a write inside the watcher's own transaction does not doom it either.
#[test]
fn only_real_changes_doom_a_watcher() {
    let srv = TestServer::builder().threads(2).start();
    let mut a = srv.client();
    let mut b = srv.client();
    run(&mut a, "SET k v");
    run(&mut a, "WATCH k missing");
    run(&mut b, "SET k other NX");
    run(&mut b, "DEL missing");
    run(&mut a, "MULTI");
    run(&mut a, "SET k mine");
    assert_eq!(run(&mut a, "EXEC"), array(vec![ok()]));
    // Creating a watched key that did not exist is a change.
    run(&mut a, "WATCH missing");
    run(&mut b, "SET missing now");
    run(&mut a, "MULTI");
    run(&mut a, "PING");
    assert_eq!(run(&mut a, "EXEC"), nil());
}

#[test]
fn a_watched_key_that_expires_fails_exec() {
    let srv = TestServer::builder().threads(2).start();
    let mut a = srv.client();
    run(&mut a, "SET k v PX 100");
    run(&mut a, "WATCH k");
    std::thread::sleep(Duration::from_millis(200));
    run(&mut a, "MULTI");
    run(&mut a, "PING");
    assert_eq!(run(&mut a, "EXEC"), nil());
}

#[test]
fn flushall_dooms_watchers_of_existing_keys() {
    let srv = TestServer::builder().threads(2).start();
    let mut a = srv.client();
    let mut b = srv.client();
    let keys = keys_on_each_shard("flushed", 2);
    run_args(&mut a, &["SET", &keys[1], "v"]);
    run_args(&mut a, &["WATCH", &keys[1]]);
    run(&mut b, "FLUSHALL");
    run(&mut a, "MULTI");
    run(&mut a, "PING");
    assert_eq!(run(&mut a, "EXEC"), nil());
    // A watched key that did not exist is not touched by a flush.
    run_args(&mut a, &["WATCH", &keys[0]]);
    run(&mut b, "FLUSHDB");
    run(&mut a, "MULTI");
    run(&mut a, "PING");
    assert_eq!(run(&mut a, "EXEC"), array(vec![status("PONG")]));
}

/// The exact bytes: +QUEUED, a null array for a transaction doomed by WATCH.
#[test]
fn wire_format_of_queued_and_aborted_transactions() {
    let srv = TestServer::builder().threads(2).start();
    let mut raw = RawConn::connect(srv.port());
    let mut b = srv.client();
    raw.send_cmd(&["WATCH", "w"]);
    raw.expect(b"+OK\r\n");
    raw.send_cmd(&["MULTI"]);
    raw.expect(b"+OK\r\n");
    raw.send_cmd(&["INCR", "w"]);
    raw.expect(b"+QUEUED\r\n");
    run(&mut b, "SET w 5");
    raw.send_cmd(&["EXEC"]);
    raw.expect(b"*-1\r\n");
    raw.send_cmd(&["MULTI"]);
    raw.expect(b"+OK\r\n");
    raw.send_cmd(&["INCR", "w"]);
    raw.expect(b"+QUEUED\r\n");
    raw.send_cmd(&["EXEC"]);
    raw.expect(b"*1\r\n:6\r\n");
}

//! Blocking commands as a user sees them: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
//! BZPOPMAX, BZMPOP, XREAD BLOCK and XREADGROUP BLOCK answer at once when they can, wait otherwise, wake when another client
//! (whatever core it is on) pushes, time out with a null reply, serve waiters first come first
//! served, lose nothing when a waiting client goes away, never block inside MULTI, and time out
//! while other clients keep the executor busy.

mod common;

use common::*;
use std::thread::sleep;
use std::time::{Duration, Instant};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// Long enough for a command sent on another connection to have reached the server.
const SETTLE: Duration = Duration::from_millis(150);

fn nil_array() -> Vec<u8> {
    b"*-1\r\n".to_vec()
}

fn frame(items: &[&str]) -> Vec<u8> {
    encode_command(items)
}

#[test]
fn answers_at_once_when_a_key_has_data() {
    let srv = TestServer::start();
    let mut c = srv.client();
    run(&mut c, "RPUSH b 1 2");
    assert_eq!(run(&mut c, "BLPOP a b 1"), bulks(&["b", "1"]));
    assert_eq!(run(&mut c, "BRPOP a b 1"), bulks(&["b", "2"]));
    assert_eq!(run(&mut c, "EXISTS b"), int(0));
    run(&mut c, "ZADD z 1 one 2 two 3 three");
    assert_eq!(
        run(&mut c, "BZPOPMIN nope z 1"),
        array(vec![bulk("z"), bulk("one"), bulk("1")])
    );
    assert_eq!(
        run(&mut c, "BZPOPMAX z 1"),
        array(vec![bulk("z"), bulk("three"), bulk("3")])
    );
    run(&mut c, "RPUSH l a b c");
    assert_eq!(
        run(&mut c, "BLMPOP 1 2 nope l RIGHT COUNT 2"),
        array(vec![bulk("l"), bulks(&["c", "b"])])
    );
    assert_eq!(
        run(&mut c, "BZMPOP 1 1 z MIN COUNT 5"),
        array(vec![bulk("z"), array(vec![bulks(&["two", "2"])])])
    );
    assert_eq!(run(&mut c, "BLMOVE l m LEFT RIGHT 1"), bulk("a"));
    assert_eq!(run(&mut c, "BRPOPLPUSH m n 1"), bulk("a"));
    assert_eq!(run(&mut c, "LRANGE n 0 -1"), bulks(&["a"]));
}

#[test]
fn timeouts_give_null_replies() {
    let srv = TestServer::start();
    let mut raw = RawConn::connect(srv.port());
    for cmd in [
        vec!["BLPOP", "a", "b", "0.1"],
        vec!["BRPOP", "a", "0.1"],
        vec!["BZPOPMIN", "z", "0.1"],
        vec!["BZPOPMAX", "z", "0.1"],
        vec!["BLMPOP", "0.1", "1", "a", "LEFT"],
        vec!["BZMPOP", "0.1", "1", "z", "MAX"],
    ] {
        let start = Instant::now();
        raw.send_cmd(&cmd);
        raw.expect(&nil_array());
        assert!(
            start.elapsed() >= Duration::from_millis(90),
            "{cmd:?} waited"
        );
    }
    // The moves too time out with a null array, not a null bulk.
    raw.send_cmd(&["BLMOVE", "a", "b", "LEFT", "LEFT", "0.1"]);
    raw.expect(&nil_array());
    raw.send_cmd(&["BRPOPLPUSH", "a", "b", "0.1"]);
    raw.expect(&nil_array());
}

#[test]
fn a_timeout_fires_while_other_clients_keep_the_core_busy() {
    // One executor: the pipelined load below keeps it busy the whole time, so the timeout can
    // only fire if a busy executor still serves its timers.
    let srv = TestServer::builder().threads(1).start();
    let port = srv.port();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut raw = RawConn::connect(port);
            let batch: Vec<u8> = (0..64)
                .flat_map(|_| encode_command(&["SET", "k", "v"]))
                .collect();
            let started = Instant::now();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if started.elapsed() > Duration::from_secs(20) {
                    return false;
                }
                raw.send(&batch);
                for _ in 0..64 {
                    raw.expect(b"+OK\r\n");
                }
            }
            true
        })
    };
    sleep(SETTLE);
    let mut raw = RawConn::connect(port);
    raw.send_cmd(&["BLPOP", "nothing", "0.2"]);
    raw.expect(&nil_array());
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(
        load.join().expect("the load thread ends"),
        "BLPOP timed out only once the load had stopped"
    );
}

#[test]
fn bad_arguments_get_redis_errors() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "BLPOP a -1"), err("ERR timeout is negative"));
    assert_eq!(run(&mut c, "BLPOP a 1e20"), err("ERR timeout is negative"));
    assert_eq!(
        run(&mut c, "BLPOP a x"),
        err("ERR timeout is not a float or out of range")
    );
    assert_eq!(
        run(&mut c, "BRPOPLPUSH a b 1.5x"),
        err("ERR timeout is not a float or out of range")
    );
    assert_eq!(run(&mut c, "BZPOPMIN a -1"), err("ERR timeout is negative"));
    assert_eq!(
        run(&mut c, "BLMPOP x 0 a left"),
        err("ERR numkeys should be greater than 0")
    );
    assert_eq!(run(&mut c, "BLMPOP -1 1 a up"), err("ERR syntax error"));
    assert_eq!(
        run(&mut c, "BZMPOP -1 1 a min"),
        err("ERR timeout is negative")
    );
    assert_eq!(run(&mut c, "BLMOVE a b left up x"), err("ERR syntax error"));
    assert_eq!(
        run(&mut c, "BLPOP a"),
        err("ERR wrong number of arguments for 'blpop' command")
    );
    run(&mut c, "SET s v");
    assert_eq!(run(&mut c, "BLPOP nope s 1"), err(WRONGTYPE));
    assert_eq!(run(&mut c, "BZPOPMIN s 1"), err(WRONGTYPE));
}

/// A client waiting on a key owned by each shard is woken by a push from another connection;
/// whichever core each client is on, at least one of the two wake-ups crosses cores.
#[test]
fn a_push_from_another_connection_wakes_the_waiter() {
    let srv = TestServer::builder().threads(2).start();
    for key in keys_on_each_shard("wake", 2) {
        let mut waiter = RawConn::connect(srv.port());
        waiter.send_cmd(&["BLPOP", "other", &key, "5"]);
        sleep(SETTLE);
        let mut c = srv.client();
        assert_eq!(run_args(&mut c, &["RPUSH", &key, "x", "y"]), int(2));
        waiter.expect(&frame(&[&key, "x"]));
        assert_eq!(
            run_args(&mut c, &["LRANGE", &key, "0", "-1"]),
            bulks(&["y"])
        );
    }
}

#[test]
fn sorted_set_waiters_wake_on_zadd() {
    let srv = TestServer::builder().threads(2).start();
    for key in keys_on_each_shard("zwake", 2) {
        let mut min = RawConn::connect(srv.port());
        min.send_cmd(&["BZPOPMIN", &key, "5"]);
        // The first waiter must be queued before the second one arrives.
        sleep(SETTLE);
        let mut mpop = RawConn::connect(srv.port());
        mpop.send_cmd(&["BZMPOP", "5", "1", &key, "MAX", "COUNT", "10"]);
        sleep(SETTLE);
        let mut c = srv.client();
        run_args(&mut c, &["ZADD", &key, "1", "a", "2", "b", "3", "c"]);
        min.expect(&frame(&[&key, "a", "1"]));
        assert_eq!(
            show(&mpop.read_frame()),
            show(
                format!(
                    "*2\r\n${}\r\n{key}\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
                    key.len()
                )
                .as_bytes()
            )
        );
        assert_eq!(run_args(&mut c, &["EXISTS", &key]), int(0));
    }
}

/// A waiter on keys of both shards is served once, by whichever key gets data first.
#[test]
fn a_waiter_on_keys_of_two_shards_is_served_once() {
    let srv = TestServer::builder().threads(2).start();
    let keys = keys_on_each_shard("two", 2);
    let mut waiter = RawConn::connect(srv.port());
    waiter.send_cmd(&["BRPOP", &keys[0], &keys[1], "5"]);
    sleep(SETTLE);
    let mut c = srv.client();
    run_args(&mut c, &["RPUSH", &keys[1], "from1"]);
    waiter.expect(&frame(&[&keys[1], "from1"]));
    run_args(&mut c, &["RPUSH", &keys[0], "from0"]);
    sleep(SETTLE);
    assert_eq!(run_args(&mut c, &["LLEN", &keys[0]]), int(1));
    waiter.expect_silence(Duration::from_millis(100));
}

#[test]
fn waiters_are_served_first_come_first_served() {
    let srv = TestServer::builder().threads(2).start();
    let mut waiters: Vec<RawConn> = (0..3)
        .map(|_| {
            let mut w = RawConn::connect(srv.port());
            w.send_cmd(&["BLPOP", "fair", "5"]);
            sleep(Duration::from_millis(50));
            w
        })
        .collect();
    sleep(SETTLE);
    let mut c = srv.client();
    run(&mut c, "RPUSH fair one two");
    waiters[0].expect(&frame(&["fair", "one"]));
    waiters[1].expect(&frame(&["fair", "two"]));
    waiters[2].expect_silence(Duration::from_millis(100));
    run(&mut c, "LPUSH fair three");
    waiters[2].expect(&frame(&["fair", "three"]));
    assert_eq!(run(&mut c, "EXISTS fair"), int(0));
}

/// BLMOVE's destination gets the element in the same step, also when the two keys live on
/// different shards; a client blocked on the destination is woken by it in turn.
#[test]
fn blmove_chains_wake_the_next_waiter() {
    let srv = TestServer::builder().threads(2).start();
    let keys = keys_on_each_shard("chain", 2);
    let (src, dst) = (&keys[0], &keys[1]);
    let mut mover = RawConn::connect(srv.port());
    mover.send_cmd(&["BLMOVE", src, dst, "LEFT", "RIGHT", "5"]);
    let mut end = RawConn::connect(srv.port());
    end.send_cmd(&["BLPOP", dst, "5"]);
    sleep(SETTLE);
    let mut c = srv.client();
    run_args(&mut c, &["RPUSH", src, "v"]);
    mover.expect(b"$1\r\nv\r\n");
    end.expect(&frame(&[dst, "v"]));
    assert_eq!(run_args(&mut c, &["EXISTS", src, dst]), int(0));

    // Same shard, through BRPOPLPUSH.
    let mut mover = RawConn::connect(srv.port());
    mover.send_cmd(&["BRPOPLPUSH", "{t}a", "{t}b", "5"]);
    sleep(SETTLE);
    run(&mut c, "RPUSH {t}a 1 2");
    mover.expect(b"$1\r\n2\r\n");
    assert_eq!(run(&mut c, "LRANGE {t}b 0 -1"), bulks(&["2"]));
    assert_eq!(run(&mut c, "LRANGE {t}a 0 -1"), bulks(&["1"]));
}

/// A client that disconnects while it waits takes nothing with it.
#[test]
fn a_waiter_that_goes_away_loses_nothing() {
    let srv = TestServer::builder().threads(2).start();
    for key in keys_on_each_shard("gone", 2) {
        let mut waiter = RawConn::connect(srv.port());
        waiter.send_cmd(&["BLPOP", &key, "0"]);
        sleep(SETTLE);
        drop(waiter);
        sleep(SETTLE);
        let mut c = srv.client();
        run_args(&mut c, &["RPUSH", &key, "kept"]);
        assert_eq!(
            run_args(&mut c, &["LRANGE", &key, "0", "-1"]),
            bulks(&["kept"])
        );
    }
}

/// A key created with another type does not serve a list waiter, which keeps waiting.
#[test]
fn a_key_of_another_type_does_not_wake_the_waiter() {
    let srv = TestServer::start();
    let mut waiter = RawConn::connect(srv.port());
    waiter.send_cmd(&["BLPOP", "k", "5"]);
    sleep(SETTLE);
    let mut c = srv.client();
    run(&mut c, "SET k string");
    waiter.expect_silence(Duration::from_millis(100));
    run(&mut c, "DEL k");
    run(&mut c, "LPUSH k now");
    waiter.expect(&frame(&["k", "now"]));
}

#[test]
fn inside_multi_nothing_blocks() {
    let srv = TestServer::builder().threads(2).start();
    let mut c = srv.client();
    run(&mut c, "MULTI");
    assert_eq!(run(&mut c, "BLPOP empty 0"), status("QUEUED"));
    assert_eq!(run(&mut c, "BZPOPMIN empty 0"), status("QUEUED"));
    assert_eq!(run(&mut c, "BLMOVE empty x LEFT LEFT 0"), status("QUEUED"));
    run(&mut c, "RPUSH full x");
    assert_eq!(run(&mut c, "BLPOP full 0"), status("QUEUED"));
    let mut raw = RawConn::connect(srv.port());
    raw.send_cmd(&["MULTI"]);
    raw.expect(b"+OK\r\n");
    raw.send_cmd(&["BLPOP", "empty", "0"]);
    raw.expect(b"+QUEUED\r\n");
    raw.send_cmd(&["EXEC"]);
    raw.expect(b"*1\r\n*-1\r\n");
    assert_eq!(
        run(&mut c, "EXEC"),
        array(vec![nil(), nil(), nil(), int(1), bulks(&["full", "x"])])
    );
}

#[test]
fn client_unblock_ends_the_wait() {
    let srv = TestServer::builder().threads(2).start();
    let mut waiter = RawConn::connect(srv.port());
    waiter.send_cmd(&["CLIENT", "ID"]);
    let id_frame = waiter.read_frame();
    let id = String::from_utf8_lossy(&id_frame[1..id_frame.len() - 2]).to_string();
    let mut c = srv.client();
    waiter.send_cmd(&["BLPOP", "u", "0"]);
    sleep(SETTLE);
    assert_eq!(run_args(&mut c, &["CLIENT", "UNBLOCK", &id]), int(1));
    waiter.expect(&nil_array());
    waiter.send_cmd(&["BLPOP", "u", "0"]);
    sleep(SETTLE);
    assert_eq!(
        run_args(&mut c, &["CLIENT", "UNBLOCK", &id, "ERROR"]),
        int(1)
    );
    waiter.expect(b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
    assert_eq!(run_args(&mut c, &["CLIENT", "UNBLOCK", &id]), int(0));
    assert_eq!(run(&mut c, "CLIENT UNBLOCK 999999"), int(0));
}

/// A waiting client shows as blocked: CLIENT LIST's `b` flag and INFO's blocked_clients; a
/// client in MULTI shows `x` and how many commands it queued.
#[test]
fn blocked_and_multi_clients_show_in_client_list_and_info() {
    let srv = TestServer::builder().threads(2).start();
    let mut waiter = RawConn::connect(srv.port());
    waiter.send_cmd(&["BLPOP", "nothing", "5"]);
    let mut tx = srv.client();
    run(&mut tx, "MULTI");
    run(&mut tx, "PING");
    run(&mut tx, "PING");
    sleep(SETTLE);
    let mut c = srv.client();
    let list = run(&mut c, "CLIENT LIST").text();
    assert!(
        list.lines()
            .any(|l| l.contains(" flags=b ") && l.contains(" cmd=blpop ")),
        "{list}"
    );
    assert!(
        list.lines()
            .any(|l| l.contains(" flags=x ") && l.contains(" multi=2 ")),
        "{list}"
    );
    assert_eq!(
        info_field(&mut c, "clients", "blocked_clients").as_deref(),
        Some("1")
    );
    run(&mut c, "RPUSH nothing x");
    waiter.expect(&frame(&["nothing", "x"]));
    assert_eq!(
        info_field(&mut c, "clients", "blocked_clients").as_deref(),
        Some("0")
    );
}

/// XREAD BLOCK waits for an XADD from another connection, on a stream owned by either shard;
/// `$` means entries added after the call, and only the key that got data is in the reply.
#[test]
fn xread_block_wakes_on_xadd() {
    let srv = TestServer::builder().threads(2).start();
    let keys = keys_on_each_shard("xs", 2);
    let mut c = srv.client();
    for key in &keys {
        run_args(&mut c, &["XADD", key, "1-1", "old", "x"]);
    }
    for key in &keys {
        let other = if key == &keys[0] { &keys[1] } else { &keys[0] };
        let mut reader = RawConn::connect(srv.port());
        reader.send_cmd(&["XREAD", "BLOCK", "5000", "STREAMS", other, key, "$", "$"]);
        sleep(SETTLE);
        run_args(&mut c, &["XADD", key, "2-1", "f", "v"]);
        let want = format!(
            "*1\r\n*2\r\n${}\r\n{key}\r\n*1\r\n*2\r\n$3\r\n2-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
            key.len()
        );
        reader.expect(want.as_bytes());
    }
    // A timeout answers a null array.
    let mut reader = RawConn::connect(srv.port());
    reader.send_cmd(&["XREAD", "BLOCK", "100", "STREAMS", &keys[0], "$"]);
    reader.expect(&nil_array());
}

/// XREADGROUP BLOCK with `>` is served new entries when they arrive, which become pending for
/// the consumer; two consumers waiting on one group get one entry each, in arrival order.
#[test]
fn xreadgroup_block_serves_waiting_consumers_in_order() {
    let srv = TestServer::builder().threads(2).start();
    let mut c = srv.client();
    run(&mut c, "XGROUP CREATE gs g $ MKSTREAM");
    let wait_as = |consumer: &str| {
        let mut conn = RawConn::connect(srv.port());
        let read = format!("XREADGROUP GROUP g {consumer} BLOCK 5000 COUNT 1 STREAMS gs >");
        conn.send_cmd(&read.split(' ').collect::<Vec<_>>());
        sleep(SETTLE);
        conn
    };
    let mut alice = wait_as("alice");
    let mut bob = wait_as("bob");
    run(&mut c, "XADD gs 1-1 a 1");
    alice.expect(b"*1\r\n*2\r\n$2\r\ngs\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
    bob.expect_silence(Duration::from_millis(100));
    run(&mut c, "XADD gs 2-1 b 2");
    bob.expect(b"*1\r\n*2\r\n$2\r\ngs\r\n*1\r\n*2\r\n$3\r\n2-1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
    let pending = run(&mut c, "XPENDING gs g").items();
    assert_eq!(pending[0], int(2));
    // Inside MULTI a blocking read answers at once.
    run(&mut c, "MULTI");
    run(&mut c, "XREAD BLOCK 0 STREAMS gs $");
    assert_eq!(run(&mut c, "EXEC"), array(vec![nil()]));
}

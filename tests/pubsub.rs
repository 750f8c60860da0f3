//! Pub/sub: SUBSCRIBE and its family, PUBLISH and SPUBLISH across executors, PUBSUB
//! introspection, the RESP2 subscribed mode and RESP3 pushes, and what CLIENT LIST and INFO say
//! about subscribers.
//!
//! The server runs two executors, and a connection stays on the executor that accepted it.
//! Tests that check the fan-out open several subscribers, which the listener spreads over both
//! executors, and expect every one of them to be counted and reached.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;

// ---------------------------------------------------------------- helpers

/// The bytes of an array of bulk strings, the way the server writes a message in RESP2.
fn frame(parts: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", parts.len()).into_bytes();
    for p in parts {
        out.extend_from_slice(format!("${}\r\n{p}\r\n", p.len()).as_bytes());
    }
    out
}

/// The same frame as a RESP3 push.
fn push(parts: &[&str]) -> Vec<u8> {
    let mut out = frame(parts);
    out[0] = b'>';
    out
}

/// A subscription confirmation in RESP2: `[word, name, count]`.
fn confirm(word: &str, name: &str, count: i64) -> Vec<u8> {
    let mut out = frame(&[word, name]);
    out[1] = b'3';
    out.extend_from_slice(format!(":{count}\r\n").as_bytes());
    out
}

/// A confirmation for "nothing to unsubscribe from": a nil name and a count of 0.
fn confirm_none(word: &str) -> Vec<u8> {
    format!("*3\r\n${}\r\n{word}\r\n$-1\r\n:0\r\n", word.len()).into_bytes()
}

fn int_reply(n: i64) -> Vec<u8> {
    format!(":{n}\r\n").into_bytes()
}

fn error_reply(text: &str) -> Vec<u8> {
    format!("-{text}\r\n").into_bytes()
}

/// The error a RESP2 subscriber gets for a command it may not run.
fn not_in_this_context(name: &str) -> String {
    format!(
        "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / \
         RESET are allowed in this context"
    )
}

/// A raw connection that sent `cmd` and read the confirmation of each of its names.
fn subscriber(srv: &TestServer, cmd: &[&str]) -> RawConn {
    let mut c = srv.raw();
    c.send_cmd(cmd);
    for _ in 1..cmd.len() {
        c.read_frame();
    }
    c
}

/// Sends one command and returns its reply's bytes.
fn ask(c: &mut RawConn, cmd: &[&str]) -> Vec<u8> {
    c.send_cmd(cmd);
    c.read_frame()
}

/// The names of an array reply, sorted.
fn sorted_texts(reply: Reply) -> Vec<String> {
    let mut v = reply.texts();
    v.sort();
    v
}

/// Polls `f` until it returns true, for up to five seconds: a closed connection leaves the
/// server's books a moment after the client closed it.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// Enough subscribers that both executors get some.
const SPREAD: usize = 8;

// ---------------------------------------------------------------- SUBSCRIBE, UNSUBSCRIBE

#[test]
fn subscribe_confirms_each_channel_with_the_running_count() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    c.send_cmd(&["SUBSCRIBE", "a", "b", "a"]);
    c.expect(&confirm("subscribe", "a", 1));
    c.expect(&confirm("subscribe", "b", 2));
    // A channel subscribed twice is confirmed twice and counted once.
    c.expect(&confirm("subscribe", "a", 2));
    // Patterns count together with channels; shard channels on their own.
    c.send_cmd(&["PSUBSCRIBE", "p*", "a"]);
    c.expect(&confirm("psubscribe", "p*", 3));
    c.expect(&confirm("psubscribe", "a", 4));
    c.send_cmd(&["SSUBSCRIBE", "s1", "s2"]);
    c.expect(&confirm("ssubscribe", "s1", 1));
    c.expect(&confirm("ssubscribe", "s2", 2));
    // Unsubscribing from a channel never subscribed still answers, with the count unchanged.
    c.send_cmd(&["UNSUBSCRIBE", "nope", "b"]);
    c.expect(&confirm("unsubscribe", "nope", 4));
    c.expect(&confirm("unsubscribe", "b", 3));
    // PUNSUBSCRIBE without arguments goes through the patterns in subscription order.
    c.send_cmd(&["PUNSUBSCRIBE"]);
    c.expect(&confirm("punsubscribe", "p*", 2));
    c.expect(&confirm("punsubscribe", "a", 1));
    c.send_cmd(&["UNSUBSCRIBE"]);
    c.expect(&confirm("unsubscribe", "a", 0));
    // Still in pub/sub mode: the shard channels remain.
    c.send_cmd(&["PING"]);
    c.expect(&frame(&["pong", ""]));
    c.send_cmd(&["SUNSUBSCRIBE", "s1"]);
    c.expect(&confirm("sunsubscribe", "s1", 1));
    c.send_cmd(&["SUNSUBSCRIBE"]);
    c.expect(&confirm("sunsubscribe", "s2", 0));
    // Out of pub/sub mode.
    c.send_cmd(&["PING"]);
    c.expect(b"+PONG\r\n");
}

#[test]
fn unsubscribing_from_nothing_answers_a_nil_name() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    c.send_cmd(&["UNSUBSCRIBE"]);
    c.expect(&confirm_none("unsubscribe"));
    c.send_cmd(&["PUNSUBSCRIBE"]);
    c.expect(&confirm_none("punsubscribe"));
    c.send_cmd(&["SUNSUBSCRIBE"]);
    c.expect(&confirm_none("sunsubscribe"));
    // Unsubscribing from nothing does not enter pub/sub mode.
    c.send_cmd(&["SET", "k", "v"]);
    c.expect(b"+OK\r\n");
}

#[test]
fn unsubscribe_without_arguments_leaves_every_channel() {
    let srv = TestServer::start();
    let mut c = subscriber(&srv, &["SUBSCRIBE", "c1", "c2", "c3"]);
    c.send_cmd(&["UNSUBSCRIBE"]);
    let mut left: Vec<(String, i64)> = (0..3)
        .map(|_| {
            let f = c.read_frame();
            let text = String::from_utf8(f).unwrap();
            let lines: Vec<&str> = text.split("\r\n").collect();
            assert_eq!(&lines[..3], ["*3", "$11", "unsubscribe"], "{text:?}");
            (lines[4].to_string(), lines[5][1..].parse().unwrap())
        })
        .collect();
    // Redis goes through its channels in hash order; the counts still fall 2, 1, 0.
    assert_eq!(
        left.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        vec![2, 1, 0]
    );
    left.sort();
    assert_eq!(
        left.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        vec!["c1", "c2", "c3"]
    );
    c.send_cmd(&["GET", "k"]);
    c.expect(b"$-1\r\n");
}

#[test]
fn subscribe_needs_a_channel() {
    let srv = TestServer::start();
    let mut c = srv.client();
    for cmd in ["subscribe", "psubscribe", "ssubscribe"] {
        assert_eq!(
            run(&mut c, cmd),
            err(&format!(
                "ERR wrong number of arguments for '{cmd}' command"
            ))
        );
    }
    for cmd in ["publish", "spublish"] {
        assert_eq!(
            run(&mut c, &format!("{cmd} onlychannel")),
            err(&format!(
                "ERR wrong number of arguments for '{cmd}' command"
            ))
        );
    }
}

// ---------------------------------------------------------------- PUBLISH

#[test]
fn publish_counts_and_reaches_subscribers_on_every_executor() {
    let srv = TestServer::start();
    let mut subs: Vec<RawConn> = (0..SPREAD)
        .map(|_| subscriber(&srv, &["SUBSCRIBE", "news"]))
        .collect();
    let mut publisher = srv.raw();
    assert_eq!(
        ask(&mut publisher, &["PUBLISH", "news", "hello"]),
        int_reply(SPREAD as i64)
    );
    for s in &mut subs {
        s.expect(&frame(&["message", "news", "hello"]));
    }
    // Nobody listens to another channel.
    assert_eq!(
        ask(&mut publisher, &["PUBLISH", "other", "x"]),
        int_reply(0)
    );
    // A publisher that is itself a subscriber elsewhere is still counted once per listener.
    assert_eq!(
        ask(&mut subs[0], &["PUBLISH", "news", "again"]),
        error_reply(&not_in_this_context("publish"))
    );
    assert_eq!(
        ask(&mut publisher, &["PUBLISH", "news", "again"]),
        int_reply(SPREAD as i64)
    );
    for s in &mut subs {
        s.expect(&frame(&["message", "news", "again"]));
    }
}

#[test]
fn messages_carry_any_bytes() {
    let srv = TestServer::start();
    let mut s = subscriber(&srv, &["SUBSCRIBE", "bin"]);
    let mut publisher = srv.raw();
    let message = b"a\r\nb\0c";
    publisher.send(&encode_command(&[&b"PUBLISH"[..], b"bin", message]));
    publisher.expect(b":1\r\n");
    let mut expected = b"*3\r\n$7\r\nmessage\r\n$3\r\nbin\r\n$6\r\n".to_vec();
    expected.extend_from_slice(message);
    expected.extend_from_slice(b"\r\n");
    s.expect(&expected);
}

#[test]
fn patterns_follow_glob_rules() {
    let srv = TestServer::start();
    let patterns = [
        "h?llo",
        "h*llo",
        "h[ae]llo",
        "h[^e]llo",
        "h[a-b]llo",
        "h\\*llo",
        "*",
    ];
    let mut subs: Vec<RawConn> = patterns
        .iter()
        .map(|p| subscriber(&srv, &["PSUBSCRIBE", p]))
        .collect();
    let mut publisher = srv.raw();
    // channel -> the patterns (by index) that match it
    let cases: &[(&str, &[usize])] = &[
        ("hello", &[0, 1, 2, 6]),
        ("hallo", &[0, 1, 2, 3, 4, 6]),
        ("hxllo", &[0, 1, 3, 6]),
        ("heeeello", &[1, 6]),
        ("h*llo", &[0, 1, 3, 5, 6]),
        ("other", &[6]),
        // Redis's glob matches nothing against an empty name, not even `*`.
        ("", &[]),
    ];
    for (channel, matching) in cases {
        assert_eq!(
            ask(&mut publisher, &["PUBLISH", channel, "m"]),
            int_reply(matching.len() as i64),
            "PUBLISH {channel:?}"
        );
        for &i in *matching {
            subs[i].expect(&frame(&["pmessage", patterns[i], channel, "m"]));
        }
    }
    for s in &mut subs {
        s.expect_silence(Duration::from_millis(100));
    }
}

#[test]
fn a_channel_and_a_matching_pattern_both_deliver() {
    let srv = TestServer::start();
    let mut s = subscriber(&srv, &["SUBSCRIBE", "news.uk"]);
    s.send_cmd(&["PSUBSCRIBE", "news.*", "*.uk"]);
    s.read_frame();
    s.read_frame();
    let mut publisher = srv.raw();
    assert_eq!(
        ask(&mut publisher, &["PUBLISH", "news.uk", "m"]),
        int_reply(3)
    );
    // The channel's message comes first, then one per matching pattern.
    s.expect(&frame(&["message", "news.uk", "m"]));
    let mut rest = vec![s.read_frame(), s.read_frame()];
    rest.sort();
    let mut expected = vec![
        frame(&["pmessage", "news.*", "news.uk", "m"]),
        frame(&["pmessage", "*.uk", "news.uk", "m"]),
    ];
    expected.sort();
    assert_eq!(rest, expected);
}

#[test]
fn messages_from_one_publisher_arrive_in_order() {
    let srv = TestServer::start();
    const N: usize = 300;
    let mut subs: Vec<RawConn> = (0..SPREAD)
        .map(|i| {
            if i % 2 == 0 {
                subscriber(&srv, &["SUBSCRIBE", "seq"])
            } else {
                subscriber(&srv, &["PSUBSCRIBE", "se?"])
            }
        })
        .collect();
    let mut publisher = srv.raw();
    // One write carrying every PUBLISH: the server runs them back to back.
    let mut batch = Vec::new();
    for i in 0..N {
        batch.extend(encode_command(&["PUBLISH", "seq", &i.to_string()]));
    }
    publisher.send(&batch);
    for _ in 0..N {
        publisher.expect(&int_reply(SPREAD as i64));
    }
    for (k, s) in subs.iter_mut().enumerate() {
        for i in 0..N {
            let n = i.to_string();
            if k % 2 == 0 {
                s.expect(&frame(&["message", "seq", &n]));
            } else {
                s.expect(&frame(&["pmessage", "se?", "seq", &n]));
            }
        }
    }
}

#[test]
fn shard_channels_are_apart_from_channels_and_patterns() {
    let srv = TestServer::start();
    let mut shard = subscriber(&srv, &["SSUBSCRIBE", "orders"]);
    let mut plain = subscriber(&srv, &["SUBSCRIBE", "orders"]);
    let mut pattern = subscriber(&srv, &["PSUBSCRIBE", "*"]);
    let mut publisher = srv.raw();
    assert_eq!(
        ask(&mut publisher, &["SPUBLISH", "orders", "a"]),
        int_reply(1)
    );
    shard.expect(&frame(&["smessage", "orders", "a"]));
    assert_eq!(
        ask(&mut publisher, &["PUBLISH", "orders", "b"]),
        int_reply(2)
    );
    plain.expect(&frame(&["message", "orders", "b"]));
    pattern.expect(&frame(&["pmessage", "*", "orders", "b"]));
    shard.expect_silence(Duration::from_millis(100));
    plain.expect_silence(Duration::from_millis(50));
    pattern.expect_silence(Duration::from_millis(50));
}

#[test]
fn spublish_reaches_shard_subscribers_on_every_executor() {
    let srv = TestServer::start();
    let mut subs: Vec<RawConn> = (0..SPREAD)
        .map(|_| subscriber(&srv, &["SSUBSCRIBE", "{tag}s"]))
        .collect();
    let mut publisher = srv.raw();
    assert_eq!(
        ask(&mut publisher, &["SPUBLISH", "{tag}s", "m"]),
        int_reply(SPREAD as i64)
    );
    for s in &mut subs {
        s.expect(&frame(&["smessage", "{tag}s", "m"]));
    }
}

// ---------------------------------------------------------------- subscribed mode

#[test]
fn resp2_subscribers_may_run_only_pubsub_commands_ping_quit_and_reset() {
    let srv = TestServer::start();
    let mut c = subscriber(&srv, &["SUBSCRIBE", "ch"]);
    for (cmd, name) in [
        (&["GET", "k"][..], "get"),
        (&["CLIENT", "LIST"][..], "client|list"),
        (&["INFO", "stats"][..], "info"),
        (&["HELLO", "3"][..], "hello"),
        (&["PUBSUB", "NUMPAT"][..], "pubsub|numpat"),
        (&["PUBLISH", "ch", "m"][..], "publish"),
    ] {
        assert_eq!(ask(&mut c, cmd), error_reply(&not_in_this_context(name)));
    }
    // Unknown commands and arity come first.
    assert_eq!(
        ask(&mut c, &["NOSUCH"]),
        error_reply("ERR unknown command 'NOSUCH', with args beginning with: ")
    );
    assert_eq!(
        ask(&mut c, &["CLIENT", "NOSUCH"]),
        error_reply("ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.")
    );
    assert_eq!(
        ask(&mut c, &["PING", "a", "b"]),
        error_reply("ERR wrong number of arguments for 'ping' command")
    );
    // PING answers in the shape of a message.
    assert_eq!(ask(&mut c, &["PING"]), frame(&["pong", ""]));
    assert_eq!(ask(&mut c, &["PING", "hi"]), frame(&["pong", "hi"]));
    // Still subscribed after all of that.
    let mut publisher = srv.raw();
    assert_eq!(ask(&mut publisher, &["PUBLISH", "ch", "m"]), int_reply(1));
    c.expect(&frame(&["message", "ch", "m"]));
    // QUIT answers and closes.
    c.send_cmd(&["QUIT"]);
    c.expect(b"+OK\r\n");
    c.expect_closed();
}

#[test]
fn subscribe_queued_in_multi_subscribes_at_exec() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    assert_eq!(ask(&mut c, &["MULTI"]), b"+OK\r\n");
    for cmd in [&["SUBSCRIBE", "x"][..], &["GET", "k"], &["PING"]] {
        assert_eq!(ask(&mut c, cmd), b"+QUEUED\r\n");
    }
    // The commands EXEC runs are not held to the subscribed mode's limits; PING already
    // answers in its pub/sub shape.
    let mut exec = b"*3\r\n".to_vec();
    exec.extend(confirm("subscribe", "x", 1));
    exec.extend(b"$-1\r\n");
    exec.extend(frame(&["pong", ""]));
    assert_eq!(ask(&mut c, &["EXEC"]), exec);
    assert_eq!(
        ask(&mut c, &["GET", "k"]),
        error_reply(&not_in_this_context("get"))
    );
    let mut publisher = srv.raw();
    assert_eq!(ask(&mut publisher, &["PUBLISH", "x", "m"]), int_reply(1));
    c.expect(&frame(&["message", "x", "m"]));
}

#[test]
fn publish_queued_in_multi_reaches_every_executor_at_exec() {
    let srv = TestServer::start();
    let mut subs: Vec<RawConn> = (0..SPREAD)
        .map(|_| subscriber(&srv, &["SUBSCRIBE", "tx"]))
        .collect();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "MULTI"), ok());
    assert_eq!(run(&mut c, "SET k v"), status("QUEUED"));
    assert_eq!(run(&mut c, "PUBLISH tx m"), status("QUEUED"));
    assert_eq!(run(&mut c, "EXEC"), array(vec![ok(), int(SPREAD as i64)]));
    for s in &mut subs {
        s.expect(&frame(&["message", "tx", "m"]));
    }
}

#[test]
fn resp3_subscribers_get_pushes_and_may_run_any_command() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    c.send_cmd(&["HELLO", "3"]);
    c.read_frame();
    c.send_cmd(&["SUBSCRIBE", "ch"]);
    c.expect(b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
    assert_eq!(ask(&mut c, &["PING"]), b"+PONG\r\n");
    assert_eq!(ask(&mut c, &["GET", "k"]), b"_\r\n");
    // A message to itself comes before the reply to its PUBLISH.
    c.send_cmd(&["PUBLISH", "ch", "self"]);
    c.expect(&push(&["message", "ch", "self"]));
    c.expect(b":1\r\n");
    c.send_cmd(&["PSUBSCRIBE", "c*"]);
    c.expect(b">3\r\n$10\r\npsubscribe\r\n$2\r\nc*\r\n:2\r\n");
    let mut publisher = srv.raw();
    assert_eq!(
        ask(&mut publisher, &["PUBLISH", "ch", "other"]),
        int_reply(2)
    );
    c.expect(&push(&["message", "ch", "other"]));
    c.expect(&push(&["pmessage", "c*", "ch", "other"]));
    c.send_cmd(&["SSUBSCRIBE", "s"]);
    c.expect(b">3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n");
    assert_eq!(ask(&mut publisher, &["SPUBLISH", "s", "z"]), int_reply(1));
    c.expect(&push(&["smessage", "s", "z"]));
    c.send_cmd(&["UNSUBSCRIBE", "ch"]);
    c.expect(b">3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:1\r\n");
    c.send_cmd(&["PUNSUBSCRIBE", "none"]);
    c.expect(b">3\r\n$12\r\npunsubscribe\r\n$4\r\nnone\r\n:1\r\n");
    c.send_cmd(&["PUNSUBSCRIBE"]);
    c.expect(b">3\r\n$12\r\npunsubscribe\r\n$2\r\nc*\r\n:0\r\n");
    c.send_cmd(&["PUNSUBSCRIBE"]);
    c.expect(b">3\r\n$12\r\npunsubscribe\r\n_\r\n:0\r\n");
    // Back to RESP2 while still listening to a shard channel: the limits apply again.
    c.send_cmd(&["HELLO", "2"]);
    c.read_frame();
    assert_eq!(
        ask(&mut c, &["GET", "k"]),
        error_reply(&not_in_this_context("get"))
    );
    assert_eq!(ask(&mut publisher, &["SPUBLISH", "s", "y"]), int_reply(1));
    c.expect(&frame(&["smessage", "s", "y"]));
}

#[test]
fn reset_drops_every_subscription_silently() {
    let srv = TestServer::start();
    let mut c = subscriber(&srv, &["SUBSCRIBE", "ch"]);
    c.send_cmd(&["PSUBSCRIBE", "p*"]);
    c.read_frame();
    c.send_cmd(&["SSUBSCRIBE", "s"]);
    c.read_frame();
    assert_eq!(ask(&mut c, &["RESET"]), b"+RESET\r\n");
    assert_eq!(ask(&mut c, &["PING"]), b"+PONG\r\n");
    let mut other = srv.client();
    assert_eq!(run(&mut other, "PUBLISH ch m"), int(0));
    assert_eq!(run(&mut other, "PUBLISH pq m"), int(0));
    assert_eq!(run(&mut other, "SPUBLISH s m"), int(0));
    assert_eq!(run(&mut other, "PUBSUB NUMPAT"), int(0));
    c.expect_silence(Duration::from_millis(100));
    // RESET also returns a RESP3 subscriber to RESP2.
    c.send_cmd(&["HELLO", "3"]);
    c.read_frame();
    c.send_cmd(&["SUBSCRIBE", "ch"]);
    c.read_frame();
    assert_eq!(ask(&mut c, &["RESET"]), b"+RESET\r\n");
    assert_eq!(run(&mut other, "PUBLISH ch m"), int(0));
    assert_eq!(ask(&mut c, &["GET", "k"]), b"$-1\r\n");
}

#[test]
fn a_closed_subscriber_leaves_every_count() {
    let srv = TestServer::start();
    let subs: Vec<RawConn> = (0..SPREAD)
        .map(|i| {
            let mut s = subscriber(&srv, &["SUBSCRIBE", "gone", &format!("own{i}")]);
            s.send_cmd(&["PSUBSCRIBE", "g*"]);
            s.read_frame();
            s.send_cmd(&["SSUBSCRIBE", "sgone"]);
            s.read_frame();
            s
        })
        .collect();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "PUBLISH gone m"), int(2 * SPREAD as i64));
    assert_eq!(
        info_field(&mut c, "stats", "pubsub_channels"),
        Some((SPREAD + 1).to_string())
    );
    drop(subs);
    eventually("the subscribers are forgotten", || {
        run(&mut c, "PUBSUB NUMSUB gone") == array(vec![bulk("gone"), int(0)])
    });
    eventually("the shard subscribers are forgotten", || {
        run(&mut c, "PUBSUB SHARDNUMSUB sgone") == array(vec![bulk("sgone"), int(0)])
    });
    eventually("the patterns are forgotten", || {
        run(&mut c, "PUBSUB NUMPAT") == int(0)
    });
    assert_eq!(run(&mut c, "PUBLISH gone m"), int(0));
    assert_eq!(run(&mut c, "SPUBLISH sgone m"), int(0));
    assert_eq!(run(&mut c, "PUBSUB CHANNELS"), array(vec![]));
    let stats = info_section(&mut c, "stats");
    assert_eq!(stats["pubsub_channels"], "0");
    assert_eq!(stats["pubsub_patterns"], "0");
    assert_eq!(stats["pubsubshard_channels"], "0");
}

// ---------------------------------------------------------------- PUBSUB introspection

#[test]
fn pubsub_channels_numsub_and_numpat_count_every_executor() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "PUBSUB CHANNELS"), array(vec![]));
    assert_eq!(run(&mut c, "PUBSUB NUMPAT"), int(0));
    assert_eq!(run(&mut c, "PUBSUB NUMSUB"), array(vec![]));
    let _subs: Vec<RawConn> = (0..SPREAD)
        .map(|i| {
            let mut s = subscriber(&srv, &["SUBSCRIBE", "news.uk", &format!("ch{i}")]);
            // Every subscriber listens to the same two patterns.
            s.send_cmd(&["PSUBSCRIBE", "news.*", "ch*"]);
            s.read_frame();
            s.read_frame();
            s
        })
        .collect();
    let mut expected: Vec<String> = (0..SPREAD).map(|i| format!("ch{i}")).collect();
    expected.push("news.uk".into());
    expected.sort();
    assert_eq!(sorted_texts(run(&mut c, "PUBSUB CHANNELS")), expected);
    assert_eq!(
        sorted_texts(run(&mut c, "PUBSUB CHANNELS news.*")),
        vec!["news.uk"]
    );
    assert_eq!(
        sorted_texts(run(&mut c, "PUBSUB channels ch[0-1]")),
        vec!["ch0", "ch1"]
    );
    assert_eq!(run(&mut c, "PUBSUB CHANNELS nomatch*"), array(vec![]));
    // NUMSUB counts channel subscribers only, patterns aside, in the order asked.
    assert_eq!(
        run(&mut c, "PUBSUB NUMSUB news.uk ch3 news.fr news.uk"),
        array(vec![
            bulk("news.uk"),
            int(SPREAD as i64),
            bulk("ch3"),
            int(1),
            bulk("news.fr"),
            int(0),
            bulk("news.uk"),
            int(SPREAD as i64),
        ])
    );
    // NUMPAT counts distinct patterns, however many listen to each.
    assert_eq!(run(&mut c, "PUBSUB NUMPAT"), int(2));
    let stats = info_section(&mut c, "stats");
    assert_eq!(stats["pubsub_channels"], (SPREAD + 1).to_string());
    assert_eq!(stats["pubsub_patterns"], "2");
    assert_eq!(stats["pubsubshard_channels"], "0");
}

#[test]
fn pubsub_shardchannels_and_shardnumsub() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "PUBSUB SHARDCHANNELS"), array(vec![]));
    let _subs: Vec<RawConn> = (0..SPREAD)
        .map(|i| subscriber(&srv, &["SSUBSCRIBE", "orders", &format!("s{i}")]))
        .collect();
    let _plain = subscriber(&srv, &["SUBSCRIBE", "orders"]);
    let mut expected: Vec<String> = (0..SPREAD).map(|i| format!("s{i}")).collect();
    expected.push("orders".into());
    expected.sort();
    assert_eq!(sorted_texts(run(&mut c, "PUBSUB SHARDCHANNELS")), expected);
    assert_eq!(
        sorted_texts(run(&mut c, "PUBSUB SHARDCHANNELS o*")),
        vec!["orders"]
    );
    assert_eq!(
        run(&mut c, "PUBSUB SHARDNUMSUB orders s0 x"),
        array(vec![
            bulk("orders"),
            int(SPREAD as i64),
            bulk("s0"),
            int(1),
            bulk("x"),
            int(0)
        ])
    );
    // The plain channel of the same name is counted apart.
    assert_eq!(
        run(&mut c, "PUBSUB NUMSUB orders"),
        array(vec![bulk("orders"), int(1)])
    );
    assert_eq!(run(&mut c, "PUBSUB SHARDNUMSUB"), array(vec![]));
    let stats = info_section(&mut c, "stats");
    assert_eq!(stats["pubsub_channels"], "1");
    assert_eq!(stats["pubsubshard_channels"], (SPREAD + 1).to_string());
}

#[test]
fn pubsub_help_and_errors() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let help: Vec<Reply> = [
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ]
    .iter()
    .map(|s| status(s))
    .collect();
    assert_eq!(run(&mut c, "PUBSUB HELP"), array(help));
    assert_eq!(
        run(&mut c, "PUBSUB"),
        err("ERR wrong number of arguments for 'pubsub' command")
    );
    assert_eq!(
        run(&mut c, "PUBSUB NOSUCH"),
        err("ERR unknown subcommand 'NOSUCH'. Try PUBSUB HELP.")
    );
    assert_eq!(
        run(&mut c, "PUBSUB NUMPAT x"),
        err("ERR wrong number of arguments for 'pubsub|numpat' command")
    );
    assert_eq!(
        run(&mut c, "PUBSUB HELP x"),
        err("ERR wrong number of arguments for 'pubsub|help' command")
    );
    assert_eq!(
        run(&mut c, "PUBSUB CHANNELS a b"),
        err("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.")
    );
    assert_eq!(
        run(&mut c, "PUBSUB shardchannels a b"),
        err(
            "ERR unknown subcommand or wrong number of arguments for 'shardchannels'. Try PUBSUB \
             HELP."
        )
    );
}

#[test]
fn command_info_describes_the_family_as_redis_does() {
    let srv = TestServer::start();
    let mut c = srv.client();
    /// Name, arity, flags, and the first key, last key and key step.
    type Described<'a> = (&'a str, i64, &'a [&'a str], i64, i64, i64);
    let cases: &[Described] = &[
        (
            "publish",
            3,
            &["pubsub", "loading", "stale", "fast"],
            0,
            0,
            0,
        ),
        (
            "subscribe",
            -2,
            &["pubsub", "noscript", "loading", "stale"],
            0,
            0,
            0,
        ),
        (
            "unsubscribe",
            -1,
            &["pubsub", "noscript", "loading", "stale"],
            0,
            0,
            0,
        ),
        (
            "psubscribe",
            -2,
            &["pubsub", "noscript", "loading", "stale"],
            0,
            0,
            0,
        ),
        (
            "punsubscribe",
            -1,
            &["pubsub", "noscript", "loading", "stale"],
            0,
            0,
            0,
        ),
        (
            "ssubscribe",
            -2,
            &["pubsub", "noscript", "loading", "stale"],
            1,
            -1,
            1,
        ),
        (
            "sunsubscribe",
            -1,
            &["pubsub", "noscript", "loading", "stale"],
            1,
            -1,
            1,
        ),
        (
            "spublish",
            3,
            &["pubsub", "loading", "stale", "fast"],
            1,
            1,
            1,
        ),
        ("pubsub", -2, &[], 0, 0, 0),
    ];
    for &(name, arity, flags, first, last, step) in cases {
        let info = run(&mut c, &format!("COMMAND INFO {name}")).items()[0].items();
        assert_eq!(info[0], bulk(name));
        assert_eq!(info[1], int(arity), "{name}");
        assert_eq!(
            info[2],
            array(flags.iter().map(|f| status(f)).collect()),
            "{name}"
        );
        assert_eq!(
            (info[3].int(), info[4].int(), info[5].int()),
            (first, last, step),
            "{name}"
        );
    }
    // Shard channels stand where keys would, but are not keys.
    assert_eq!(
        run(&mut c, "COMMAND GETKEYS SPUBLISH chan msg"),
        err("ERR The command has no key arguments")
    );
}

// ---------------------------------------------------------------- CLIENT LIST, INFO

/// The `name=value` fields of the CLIENT LIST line of client `id`.
fn client_fields(list: &str, id: i64) -> Vec<(String, String)> {
    let line = list
        .lines()
        .find(|l| l.starts_with(&format!("id={id} ")))
        .unwrap_or_else(|| panic!("no client {id} in {list:?}"));
    line.split_whitespace()
        .filter_map(|f| f.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    &fields.iter().find(|(k, _)| k == name).unwrap().1
}

#[test]
fn client_list_shows_subscriptions_and_the_pubsub_flag() {
    let srv = TestServer::start();
    let mut a = srv.raw();
    let a_id: i64 = {
        let f = ask(&mut a, &["CLIENT", "ID"]);
        std::str::from_utf8(&f[1..f.len() - 2])
            .unwrap()
            .parse()
            .unwrap()
    };
    a.send_cmd(&["SUBSCRIBE", "x", "y"]);
    a.read_frame();
    a.read_frame();
    a.send_cmd(&["PSUBSCRIBE", "p*"]);
    a.read_frame();
    a.send_cmd(&["SSUBSCRIBE", "s"]);
    a.read_frame();
    let mut b = srv.raw();
    let b_id: i64 = {
        let f = ask(&mut b, &["CLIENT", "ID"]);
        std::str::from_utf8(&f[1..f.len() - 2])
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(ask(&mut b, &["CLIENT", "NO-EVICT", "on"]), b"+OK\r\n");
    b.send_cmd(&["PSUBSCRIBE", "q*"]);
    b.read_frame();
    let mut c = srv.client();
    let c_id = run(&mut c, "CLIENT ID").int();
    let list = run(&mut c, "CLIENT LIST").text();
    let fa = client_fields(&list, a_id);
    assert_eq!(
        (
            field(&fa, "flags"),
            field(&fa, "sub"),
            field(&fa, "psub"),
            field(&fa, "ssub"),
            field(&fa, "cmd")
        ),
        ("P", "2", "1", "1", "ssubscribe")
    );
    let fb = client_fields(&list, b_id);
    assert_eq!((field(&fb, "flags"), field(&fb, "psub")), ("Pe", "1"));
    let fc = client_fields(&list, c_id);
    assert_eq!(
        (
            field(&fc, "flags"),
            field(&fc, "sub"),
            field(&fc, "psub"),
            field(&fc, "ssub")
        ),
        ("N", "0", "0", "0")
    );
    // TYPE pubsub selects the subscribers.
    let pubsub = run(&mut c, "CLIENT LIST TYPE pubsub").text();
    let mut ids: Vec<i64> = pubsub
        .lines()
        .map(|l| l[3..l.find(' ').unwrap()].parse().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, vec![a_id, b_id]);
    assert!(!run(&mut c, "CLIENT LIST TYPE normal")
        .text()
        .contains(&format!("id={a_id} ")));
    // Leaving every subscription leaves pub/sub mode.
    a.send_cmd(&["UNSUBSCRIBE"]);
    a.read_frame();
    a.read_frame();
    a.send_cmd(&["PUNSUBSCRIBE"]);
    a.read_frame();
    a.send_cmd(&["SUNSUBSCRIBE"]);
    a.read_frame();
    let fa = client_fields(&run(&mut c, "CLIENT LIST").text(), a_id);
    assert_eq!(
        (field(&fa, "flags"), field(&fa, "sub"), field(&fa, "ssub")),
        ("N", "0", "0")
    );
    // CLIENT KILL TYPE pubsub closes the remaining subscriber.
    assert_eq!(run(&mut c, "CLIENT KILL TYPE pubsub"), int(1));
    b.expect_closed();
}

// ---------------------------------------------------------------- client libraries

#[test]
fn the_redis_crate_pubsub_api_works() {
    let srv = TestServer::start();
    let mut listener = srv.client();
    let mut publisher = srv.client();
    let mut ps = listener.as_pubsub();
    ps.subscribe("orders").unwrap();
    ps.psubscribe("log.*").unwrap();
    assert_eq!(run(&mut publisher, "PUBLISH orders first"), int(1));
    assert_eq!(run(&mut publisher, "PUBLISH log.warn second"), int(1));
    let m = ps.get_message().unwrap();
    assert_eq!(m.get_channel_name(), "orders");
    assert_eq!(m.get_payload::<String>().unwrap(), "first");
    assert!(!m.from_pattern());
    let m = ps.get_message().unwrap();
    assert_eq!(m.get_channel_name(), "log.warn");
    assert_eq!(m.get_pattern::<String>().unwrap(), "log.*");
    assert_eq!(m.get_payload::<String>().unwrap(), "second");
    ps.unsubscribe("orders").unwrap();
    ps.punsubscribe("log.*").unwrap();
    drop(ps);
    // Out of pub/sub mode, the connection runs ordinary commands again.
    assert_eq!(run(&mut listener, "SET k v"), ok());
    assert_eq!(run(&mut publisher, "PUBLISH orders third"), int(0));
}

/// A `redis-cli` child process, killed by pid when dropped.
struct CliChild(Child);

impl Drop for CliChild {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn redis_cli_in_subscribe_mode_prints_each_message() {
    let srv = TestServer::start();
    let port = srv.port().to_string();
    let mut child = CliChild(
        Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &port, "SUBSCRIBE", "news"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-cli"),
    );
    let out = child.0.stdout.take().expect("stdout pipe");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let next = || {
        rx.recv_timeout(Duration::from_secs(10))
            .expect("redis-cli printed a line")
    };
    assert_eq!([next(), next(), next()], ["subscribe", "news", "1"]);
    let mut c = srv.client();
    assert_eq!(run(&mut c, "PUBLISH news 'hello world'"), int(1));
    assert_eq!([next(), next(), next()], ["message", "news", "hello world"]);
    drop(child);
}

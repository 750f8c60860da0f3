//! Connection and server commands: PING, ECHO, QUIT, HELLO, COMMAND, CLIENT, CONFIG, INFO,
//! TIME, LASTSAVE, DEBUG SLEEP and SHUTDOWN.

mod common;

use std::time::Duration;

use common::*;

fn statuses(items: &[&str]) -> Reply {
    array(items.iter().map(|s| status(s)).collect())
}

/// Pairs a flat `[name, value, name, value, ...]` array into (name, value).
fn pairs(reply: &Reply) -> Vec<(String, Reply)> {
    reply
        .items()
        .chunks(2)
        .map(|p| (p[0].text(), p[1].clone()))
        .collect()
}

fn field(reply: &Reply, name: &str) -> Reply {
    pairs(reply)
        .into_iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no {name:?} in {reply:?}"))
        .1
}

/// `CLIENT INFO`/`CLIENT LIST` line parsed into its `name=value` fields.
fn client_fields(line: &str) -> Vec<(String, String)> {
    line.split_whitespace()
        .filter_map(|f| f.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn client_field(line: &str, name: &str) -> String {
    client_fields(line)
        .into_iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no {name} in {line:?}"))
        .1
}

// ---------------------------------------------------------------- PING, ECHO, QUIT

#[test]
fn ping_and_echo() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "PING"), status("PONG"));
    assert_eq!(run(&mut c, "PING hello"), bulk("hello"));
    assert_eq!(run(&mut c, "ping \"a b\""), bulk("a b"));
    assert_eq!(
        run(&mut c, "PING a b"),
        err("ERR wrong number of arguments for 'ping' command")
    );
    assert_eq!(run(&mut c, "ECHO x"), bulk("x"));
    assert_eq!(
        run_args(&mut c, &[&b"ECHO"[..], b"\x00\r\n"]),
        bulk(b"\x00\r\n")
    );
    assert_eq!(
        run(&mut c, "ECHO"),
        err("ERR wrong number of arguments for 'echo' command")
    );
    assert_eq!(
        run(&mut c, "ECHO a b"),
        err("ERR wrong number of arguments for 'echo' command")
    );
}

#[test]
fn quit_replies_ok_then_closes() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    raw.send(b"*1\r\n$4\r\nQUIT\r\n");
    raw.expect(b"+OK\r\n");
    raw.expect_closed();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "PING"), status("PONG"));
}

#[test]
fn commands_pipelined_after_quit_are_not_run() {
    let srv = TestServer::start();
    let mut raw = srv.raw();
    raw.send(b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*1\r\n$4\r\nQUIT\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n");
    raw.expect(b"+OK\r\n+OK\r\n");
    raw.expect_closed();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "MGET a b"), array(vec![bulk("1"), nil()]));
}

// ---------------------------------------------------------------- HELLO

#[test]
fn hello_2_describes_the_server() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let id = run(&mut c, "CLIENT ID").int();
    let reply = run(&mut c, "HELLO 2");
    let names: Vec<String> = pairs(&reply).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        ["server", "version", "proto", "id", "mode", "role", "modules"]
    );
    assert_eq!(field(&reply, "server"), bulk("redis"));
    let version = field(&reply, "version").text();
    assert!(version.starts_with("7.0."), "version {version}");
    assert_eq!(info_field(&mut c, "server", "redis_version"), Some(version));
    assert_eq!(field(&reply, "proto"), int(2));
    assert_eq!(field(&reply, "id"), int(id));
    assert_eq!(field(&reply, "mode"), bulk("standalone"));
    assert_eq!(field(&reply, "role"), bulk("master"));
    assert_eq!(field(&reply, "modules"), array(vec![]));
    // Without a version HELLO reports the current protocol.
    assert_eq!(field(&run(&mut c, "HELLO"), "proto"), int(2));
}

#[test]
fn hello_setname_and_errors() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(
        field(&run(&mut c, "HELLO 2 SETNAME app-1"), "proto"),
        int(2)
    );
    assert_eq!(run(&mut c, "CLIENT GETNAME"), bulk("app-1"));
    assert_eq!(
        run(&mut c, "HELLO 4"),
        err("NOPROTO unsupported protocol version")
    );
    assert_eq!(
        run(&mut c, "HELLO 1"),
        err("NOPROTO unsupported protocol version")
    );
    assert_eq!(
        run(&mut c, "HELLO foo"),
        err("ERR Protocol version is not an integer or out of range")
    );
    assert_eq!(
        run(&mut c, "HELLO 2 FOO"),
        err("ERR Syntax error in HELLO option 'FOO'")
    );
    assert_eq!(
        run(&mut c, "HELLO 2 SETNAME \"a b\""),
        err("ERR Client names cannot contain spaces, newlines or special characters.")
    );
    assert_eq!(
        run(&mut c, "HELLO 2 AUTH nobody secret"),
        err("WRONGPASS invalid username-password pair or user is disabled.")
    );
    assert_eq!(
        run(&mut c, "HELLO 2 AUTH"),
        err("ERR Syntax error in HELLO option 'AUTH'")
    );
    assert_eq!(run(&mut c, "CLIENT GETNAME"), bulk("app-1"));
    assert_eq!(run(&mut c, "PING"), status("PONG"));
}

// ---------------------------------------------------------------- COMMAND

#[test]
fn command_count_matches_the_command_list() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let count = run(&mut c, "COMMAND COUNT").int();
    assert!(count > 50, "only {count} commands");
    assert_eq!(run(&mut c, "COMMAND").items().len() as i64, count);
    assert_eq!(run(&mut c, "COMMAND INFO").items().len() as i64, count);
    assert_eq!(
        run(&mut c, "COMMAND COUNT x"),
        err("ERR wrong number of arguments for 'command|count' command")
    );
    assert_eq!(
        run(&mut c, "COMMAND FOO"),
        err("ERR unknown subcommand 'FOO'. Try COMMAND HELP.")
    );
}

#[test]
fn command_info_get() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let info = run(&mut c, "COMMAND INFO get").items();
    assert_eq!(info.len(), 1);
    let get = info[0].items();
    assert_eq!(get[0], bulk("get"));
    assert_eq!(get[1], int(2));
    assert_eq!(get[2], statuses(&["readonly", "fast"]));
    assert_eq!(get[3..6], [int(1), int(1), int(1)]);
    assert_eq!(get[6], statuses(&["@read", "@string", "@fast"]));
    // An unknown name gives a nil in its place.
    let mixed = run(&mut c, "COMMAND INFO set foo mget").items();
    assert_eq!(mixed.len(), 3);
    assert_eq!(mixed[0].items()[0], bulk("set"));
    assert_eq!(mixed[1], nil());
    assert_eq!(mixed[2].items()[0], bulk("mget"));
}

/// The first seven fields of a COMMAND INFO entry: name, arity, flags, first key, last key,
/// key step, ACL categories.
type CommandInfo = (
    &'static str,
    i64,
    &'static [&'static str],
    i64,
    i64,
    i64,
    &'static [&'static str],
);

#[test]
fn command_info_for_every_core_command() {
    let srv = TestServer::start();
    let mut c = srv.client();
    #[rustfmt::skip]
    let table: &[CommandInfo] = &[
        ("ping", -1, &["fast"], 0, 0, 0, &["@fast", "@connection"]),
        ("echo", 2, &["loading", "stale", "fast"], 0, 0, 0, &["@fast", "@connection"]),
        ("quit", -1, &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"], 0, 0, 0, &["@fast", "@connection"]),
        ("hello", -1, &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"], 0, 0, 0, &["@fast", "@connection"]),
        ("select", 2, &["loading", "stale", "fast"], 0, 0, 0, &["@fast", "@connection"]),
        ("dbsize", 1, &["readonly", "fast"], 0, 0, 0, &["@keyspace", "@read", "@fast"]),
        ("flushdb", -1, &["write"], 0, 0, 0, &["@keyspace", "@write", "@slow", "@dangerous"]),
        ("flushall", -1, &["write"], 0, 0, 0, &["@keyspace", "@write", "@slow", "@dangerous"]),
        ("get", 2, &["readonly", "fast"], 1, 1, 1, &["@read", "@string", "@fast"]),
        ("set", -3, &["write", "denyoom"], 1, 1, 1, &["@write", "@string", "@slow"]),
        ("setnx", 3, &["write", "denyoom", "fast"], 1, 1, 1, &["@write", "@string", "@fast"]),
        ("setex", 4, &["write", "denyoom"], 1, 1, 1, &["@write", "@string", "@slow"]),
        ("psetex", 4, &["write", "denyoom"], 1, 1, 1, &["@write", "@string", "@slow"]),
        ("getset", 3, &["write", "denyoom", "fast"], 1, 1, 1, &["@write", "@string", "@fast"]),
        ("getdel", 2, &["write", "fast"], 1, 1, 1, &["@write", "@string", "@fast"]),
        ("getex", -2, &["write", "fast"], 1, 1, 1, &["@write", "@string", "@fast"]),
        ("mget", -2, &["readonly", "fast"], 1, -1, 1, &["@read", "@string", "@fast"]),
        ("mset", -3, &["write", "denyoom"], 1, -1, 2, &["@write", "@string", "@slow"]),
        ("msetnx", -3, &["write", "denyoom"], 1, -1, 2, &["@write", "@string", "@slow"]),
        ("incr", 2, &["write", "denyoom", "fast"], 1, 1, 1, &["@write", "@string", "@fast"]),
        ("decr", 2, &["write", "denyoom", "fast"], 1, 1, 1, &["@write", "@string", "@fast"]),
        ("incrby", 3, &["write", "denyoom", "fast"], 1, 1, 1, &["@write", "@string", "@fast"]),
        ("decrby", 3, &["write", "denyoom", "fast"], 1, 1, 1, &["@write", "@string", "@fast"]),
        ("incrbyfloat", 3, &["write", "denyoom", "fast"], 1, 1, 1, &["@write", "@string", "@fast"]),
        ("append", 3, &["write", "denyoom", "fast"], 1, 1, 1, &["@write", "@string", "@fast"]),
        ("strlen", 2, &["readonly", "fast"], 1, 1, 1, &["@read", "@string", "@fast"]),
        ("getrange", 4, &["readonly"], 1, 1, 1, &["@read", "@string", "@slow"]),
        ("setrange", 4, &["write", "denyoom"], 1, 1, 1, &["@write", "@string", "@slow"]),
        ("del", -2, &["write"], 1, -1, 1, &["@keyspace", "@write", "@slow"]),
        ("unlink", -2, &["write", "fast"], 1, -1, 1, &["@keyspace", "@write", "@fast"]),
        ("exists", -2, &["readonly", "fast"], 1, -1, 1, &["@keyspace", "@read", "@fast"]),
        ("type", 2, &["readonly", "fast"], 1, 1, 1, &["@keyspace", "@read", "@fast"]),
        ("rename", 3, &["write"], 1, 2, 1, &["@keyspace", "@write", "@slow"]),
        ("renamenx", 3, &["write", "fast"], 1, 2, 1, &["@keyspace", "@write", "@fast"]),
        ("keys", 2, &["readonly"], 0, 0, 0, &["@keyspace", "@read", "@slow", "@dangerous"]),
        ("scan", -2, &["readonly"], 0, 0, 0, &["@keyspace", "@read", "@slow"]),
        ("randomkey", 1, &["readonly"], 0, 0, 0, &["@keyspace", "@read", "@slow"]),
        ("expire", -3, &["write", "fast"], 1, 1, 1, &["@keyspace", "@write", "@fast"]),
        ("pexpire", -3, &["write", "fast"], 1, 1, 1, &["@keyspace", "@write", "@fast"]),
        ("expireat", -3, &["write", "fast"], 1, 1, 1, &["@keyspace", "@write", "@fast"]),
        ("pexpireat", -3, &["write", "fast"], 1, 1, 1, &["@keyspace", "@write", "@fast"]),
        ("ttl", 2, &["readonly", "fast"], 1, 1, 1, &["@keyspace", "@read", "@fast"]),
        ("pttl", 2, &["readonly", "fast"], 1, 1, 1, &["@keyspace", "@read", "@fast"]),
        ("expiretime", 2, &["readonly", "fast"], 1, 1, 1, &["@keyspace", "@read", "@fast"]),
        ("pexpiretime", 2, &["readonly", "fast"], 1, 1, 1, &["@keyspace", "@read", "@fast"]),
        ("persist", 2, &["write", "fast"], 1, 1, 1, &["@keyspace", "@write", "@fast"]),
        ("touch", -2, &["readonly", "fast"], 1, -1, 1, &["@keyspace", "@read", "@fast"]),
        ("copy", -3, &["write", "denyoom"], 1, 2, 1, &["@keyspace", "@write", "@slow"]),
        ("move", 3, &["write", "fast"], 1, 1, 1, &["@keyspace", "@write", "@fast"]),
        ("command", -1, &["loading", "stale"], 0, 0, 0, &["@slow", "@connection"]),
        ("client", -2, &[], 0, 0, 0, &["@slow"]),
        ("config", -2, &[], 0, 0, 0, &["@slow"]),
        ("info", -1, &["loading", "stale"], 0, 0, 0, &["@slow", "@dangerous"]),
        ("time", 1, &["loading", "stale", "fast"], 0, 0, 0, &["@fast"]),
        ("lastsave", 1, &["loading", "stale", "fast"], 0, 0, 0, &["@admin", "@fast", "@dangerous"]),
        ("shutdown", -1, &["admin", "noscript", "loading", "stale", "no_multi", "allow_busy"], 0, 0, 0, &["@admin", "@slow", "@dangerous"]),
        ("debug", -2, &["admin", "noscript", "loading", "stale"], 0, 0, 0, &["@admin", "@slow", "@dangerous"]),
    ];
    for &(name, arity, flags, first, last, step, categories) in table {
        let info = run(&mut c, &format!("COMMAND INFO {name}")).items();
        let got = info[0].items();
        let expected = [
            bulk(name),
            int(arity),
            statuses(flags),
            int(first),
            int(last),
            int(step),
            statuses(categories),
        ];
        assert_eq!(got[..7], expected[..], "COMMAND INFO {name}");
    }
}

#[test]
fn command_docs_get_has_a_summary() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let docs = run(&mut c, "COMMAND DOCS get");
    let items = docs.items();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0], bulk("get"));
    let doc = &items[1];
    assert!(
        !field(doc, "summary").text().is_empty(),
        "a summary is present"
    );
    assert_eq!(field(doc, "since"), bulk("1.0.0"));
    assert_eq!(field(doc, "group"), bulk("string"));
    assert_eq!(field(doc, "complexity"), bulk("O(1)"));
    // Unknown names are left out.
    assert_eq!(run(&mut c, "COMMAND DOCS foo get").items().len(), 2);
    assert_eq!(run(&mut c, "COMMAND DOCS foo"), array(vec![]));
}

// ---------------------------------------------------------------- CLIENT

#[test]
fn client_setname_getname() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "CLIENT GETNAME"), nil());
    assert_eq!(run(&mut c, "CLIENT SETNAME worker-7"), ok());
    assert_eq!(run(&mut c, "CLIENT GETNAME"), bulk("worker-7"));
    assert_eq!(
        run(&mut c, "CLIENT SETNAME \"a b\""),
        err("ERR Client names cannot contain spaces, newlines or special characters.")
    );
    assert_eq!(run(&mut c, "CLIENT GETNAME"), bulk("worker-7"));
    // An empty name clears it.
    assert_eq!(run(&mut c, "CLIENT SETNAME \"\""), ok());
    assert_eq!(run(&mut c, "CLIENT GETNAME"), nil());
    assert_eq!(
        run(&mut c, "CLIENT SETNAME"),
        err("ERR wrong number of arguments for 'client|setname' command")
    );
    assert_eq!(
        run(&mut c, "CLIENT FOO"),
        err("ERR unknown subcommand 'FOO'. Try CLIENT HELP.")
    );
    assert_eq!(
        run(&mut c, "CLIENT"),
        err("ERR wrong number of arguments for 'client' command")
    );
}

#[test]
fn client_id_is_unique_and_increasing() {
    let srv = TestServer::start();
    let mut a = srv.client();
    let mut b = srv.client();
    let ia = run(&mut a, "CLIENT ID").int();
    let ib = run(&mut b, "CLIENT ID").int();
    assert!(ia > 0 && ib > ia, "ids {ia} then {ib}");
    assert_eq!(run(&mut a, "CLIENT ID").int(), ia);
}

#[test]
fn client_info_and_list_describe_connections() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let mut other = srv.client();
    assert_eq!(run(&mut c, "CLIENT SETNAME me"), ok());
    assert_eq!(run(&mut c, "SELECT 3"), ok());
    let id = run(&mut c, "CLIENT ID").int().to_string();
    let other_id = run(&mut other, "CLIENT ID").int().to_string();
    let info = run(&mut c, "CLIENT INFO").text();
    assert!(
        info.ends_with('\n') && info.lines().count() == 1,
        "{info:?}"
    );
    assert_eq!(client_field(&info, "id"), id);
    assert_eq!(client_field(&info, "name"), "me");
    assert_eq!(client_field(&info, "db"), "3");
    assert_eq!(client_field(&info, "cmd"), "client|info");
    assert_eq!(client_field(&info, "resp"), "2");
    let addr = client_field(&info, "addr");
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    assert_eq!(
        client_field(&info, "laddr"),
        format!("127.0.0.1:{}", srv.port())
    );
    let names: Vec<String> = client_fields(&info)
        .into_iter()
        .map(|(k, _)| k)
        .take(8)
        .collect();
    assert_eq!(
        names,
        ["id", "addr", "laddr", "fd", "name", "age", "idle", "flags"]
    );

    let list = run(&mut c, "CLIENT LIST").text();
    let ids: Vec<String> = list.lines().map(|l| client_field(l, "id")).collect();
    assert!(ids.contains(&id) && ids.contains(&other_id), "{list}");
    let mine = list.lines().find(|l| client_field(l, "id") == id).unwrap();
    assert_eq!(client_field(mine, "name"), "me");
    assert_eq!(client_field(mine, "cmd"), "client|list");

    let only = run(&mut c, &format!("CLIENT LIST ID {other_id}")).text();
    assert_eq!(only.lines().count(), 1);
    assert_eq!(client_field(&only, "id"), other_id);
    assert_eq!(run(&mut c, "CLIENT LIST ID 999999").text(), "");
    assert_eq!(
        run(&mut c, "CLIENT LIST TYPE normal")
            .text()
            .lines()
            .count(),
        list.lines().count()
    );
}

#[test]
fn client_kill_closes_another_connection() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let mut victim = srv.raw();
    victim.send_cmd(&["CLIENT", "ID"]);
    let line = victim.read_line();
    let id: i64 = String::from_utf8_lossy(&line[1..line.len() - 2])
        .parse()
        .unwrap();
    assert_eq!(run(&mut c, &format!("CLIENT KILL ID {id}")), int(1));
    victim.expect_closed();
    assert_eq!(run(&mut c, &format!("CLIENT KILL ID {id}")), int(0));

    // The old form takes an address and answers OK.
    let mut victim = srv.raw();
    victim.send_cmd(&["CLIENT", "INFO"]);
    let frame = victim.read_frame();
    let info = String::from_utf8_lossy(&frame);
    let addr = client_field(info.lines().nth(1).unwrap(), "addr");
    assert_eq!(run(&mut c, &format!("CLIENT KILL {addr}")), ok());
    victim.expect_closed();
    assert_eq!(
        run(&mut c, &format!("CLIENT KILL {addr}")),
        err("ERR No such client")
    );
    assert_eq!(run(&mut c, "CLIENT KILL FOO bar"), err("ERR syntax error"));
    assert_eq!(
        run(&mut c, "CLIENT KILL ID foo"),
        err("ERR client-id should be greater than 0")
    );
    assert_eq!(
        run(&mut c, "CLIENT KILL ID 0"),
        err("ERR client-id should be greater than 0")
    );
    assert_eq!(run(&mut c, "PING"), status("PONG"));
}

// ---------------------------------------------------------------- CONFIG

#[test]
fn config_get_and_set() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(
        run(&mut c, "CONFIG GET maxmemory"),
        bulks(&["maxmemory", "0"])
    );
    assert_eq!(run(&mut c, "CONFIG SET maxmemory 10mb"), ok());
    assert_eq!(
        run(&mut c, "CONFIG GET maxmemory"),
        bulks(&["maxmemory", "10485760"])
    );
    assert_eq!(run(&mut c, "CONFIG SET maxmemory 1mb hz 20"), ok());
    assert_eq!(run(&mut c, "CONFIG GET hz"), bulks(&["hz", "20"]));
    // A name without glob characters is echoed back as the client spelled it.
    assert_eq!(
        run(&mut c, "config get MAXMEMORY"),
        bulks(&["MAXMEMORY", "1048576"])
    );
    let port = srv.port().to_string();
    assert_eq!(run(&mut c, "CONFIG GET port"), bulks(&["port", &port]));
    assert_eq!(run(&mut c, "CONFIG GET no-such-parameter"), array(vec![]));
    let mut both = pairs(&run(&mut c, "CONFIG GET hz maxmemory"));
    both.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        both,
        [
            ("hz".into(), bulk("20")),
            ("maxmemory".into(), bulk("1048576"))
        ]
    );
}

#[test]
fn config_set_errors() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(
        run(&mut c, "CONFIG SET foo bar"),
        err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'")
    );
    assert_eq!(
        run(&mut c, "CONFIG SET maxmemory foo"),
        err("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value")
    );
    assert_eq!(
        run(&mut c, "CONFIG SET hz foo"),
        err("ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer")
    );
    assert_eq!(
        run(&mut c, "CONFIG SET timeout -1"),
        err("ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive")
    );
    assert_eq!(
        run(&mut c, "CONFIG SET databases 4"),
        err("ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config")
    );
    assert_eq!(
        run(&mut c, "CONFIG SET maxmemory 1mb maxmemory 2mb"),
        err("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter")
    );
    assert_eq!(
        run(&mut c, "CONFIG SET hz"),
        err("ERR wrong number of arguments for 'config|set' command")
    );
    assert_eq!(
        run(&mut c, "CONFIG GET"),
        err("ERR wrong number of arguments for 'config|get' command")
    );
    // A failed multi-parameter SET changes none of them.
    assert_eq!(run(&mut c, "CONFIG SET maxmemory 3mb hz foo"), err("ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"));
    assert_eq!(
        run(&mut c, "CONFIG GET maxmemory"),
        bulks(&["maxmemory", "0"])
    );
}

#[test]
fn config_rewrite_needs_a_config_file() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(
        run(&mut c, "CONFIG REWRITE"),
        err("ERR The server is running without a config file")
    );
}

#[test]
fn config_resetstat_zeroes_the_counters() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET k v"), ok());
    assert_eq!(run(&mut c, "GET k"), bulk("v"));
    assert_eq!(run(&mut c, "GET missing"), nil());
    let stats = info_section(&mut c, "stats");
    assert_eq!(stats["keyspace_hits"], "1");
    assert_eq!(stats["keyspace_misses"], "1");
    assert_eq!(run(&mut c, "CONFIG RESETSTAT"), ok());
    let stats = info_section(&mut c, "stats");
    assert_eq!(stats["keyspace_hits"], "0");
    assert_eq!(stats["keyspace_misses"], "0");
    assert_eq!(stats["expired_keys"], "0");
    assert_eq!(stats["total_connections_received"], "0");
    // RESETSTAT itself is counted once the counters are zero; INFO is not counted yet.
    assert_eq!(stats["total_commands_processed"], "1");
}

// ---------------------------------------------------------------- INFO

#[test]
fn info_prints_every_section_as_field_value_lines() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "MSET a 1 b 2 c 3"), ok());
    assert_eq!(run(&mut c, "EXPIRE a 1000"), int(1));
    let text = run(&mut c, "INFO").text();
    assert!(text.ends_with("\r\n"), "INFO ends with CRLF");
    let headers: Vec<&str> = text.lines().filter(|l| l.starts_with("# ")).collect();
    let wanted = [
        "# Server",
        "# Clients",
        "# Memory",
        "# Persistence",
        "# Stats",
        "# Replication",
        "# CPU",
        "# Keyspace",
    ];
    let order: Vec<usize> = wanted
        .iter()
        .map(|w| {
            headers
                .iter()
                .position(|h| h == w)
                .unwrap_or_else(|| panic!("no {w} section"))
        })
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "sections out of order: {headers:?}"
    );
    for line in text
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (name, _) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("not field:value: {line:?}"));
        assert!(
            !name.is_empty() && !name.contains(' '),
            "bad field name in {line:?}"
        );
    }

    let server = info_section(&mut c, "server");
    assert_eq!(server["tcp_port"], srv.port().to_string());
    assert_eq!(server["process_id"], srv.pid().unwrap().to_string());
    assert_eq!(server["redis_mode"], "standalone");
    assert_eq!(server["run_id"].len(), 40);
    assert!(server["uptime_in_seconds"].parse::<u64>().is_ok());
    let clients = info_section(&mut c, "clients");
    assert!(clients["connected_clients"].parse::<u64>().unwrap() >= 1);
    let memory = info_section(&mut c, "memory");
    assert!(memory["used_memory"].parse::<u64>().unwrap() > 0);
    let persistence = info_section(&mut c, "persistence");
    assert_eq!(persistence["loading"], "0");
    let stats = info_section(&mut c, "stats");
    assert!(stats["total_commands_processed"].parse::<u64>().unwrap() >= 3);
    let replication = info_section(&mut c, "replication");
    assert_eq!(replication["role"], "master");
    assert_eq!(replication["connected_slaves"], "0");
    let cpu = info_section(&mut c, "cpu");
    assert!(cpu["used_cpu_sys"].parse::<f64>().is_ok());
    assert!(cpu["used_cpu_user"].parse::<f64>().is_ok());

    let db0 = info_field(&mut c, "keyspace", "db0").expect("db0 line");
    let (head, avg) = db0.split_once(",avg_ttl=").expect("avg_ttl field");
    assert_eq!(head, "keys=3,expires=1");
    let avg: u64 = avg.parse().expect("avg_ttl is a number");
    assert!(avg <= 1_000_000, "avg_ttl {avg}");
}

#[test]
fn info_section_selection() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let keyspace = run(&mut c, "INFO keyspace").text();
    assert_eq!(keyspace, "# Keyspace\r\n");
    assert_eq!(run(&mut c, "SELECT 2"), ok());
    assert_eq!(run(&mut c, "SET k v"), ok());
    assert_eq!(
        run(&mut c, "INFO keyspace").text(),
        "# Keyspace\r\ndb2:keys=1,expires=0,avg_ttl=0\r\n"
    );
    let two = run(&mut c, "INFO server clients").text();
    let headers: Vec<&str> = two.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(headers, ["# Server", "# Clients"]);
    assert_eq!(run(&mut c, "INFO no-such-section"), bulk(""));
    let stats = run(&mut c, "info STATS").text();
    assert!(stats.starts_with("# Stats\r\n"), "{stats}");
}

#[test]
fn info_counts_hits_and_misses() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET k v"), ok());
    for _ in 0..3 {
        assert_eq!(run(&mut c, "GET k"), bulk("v"));
    }
    assert_eq!(run(&mut c, "GET missing"), nil());
    assert_eq!(run(&mut c, "MGET k missing"), array(vec![bulk("v"), nil()]));
    let stats = info_section(&mut c, "stats");
    assert_eq!(stats["keyspace_hits"], "4");
    assert_eq!(stats["keyspace_misses"], "2");
}

// ---------------------------------------------------------------- TIME, LASTSAVE, DEBUG, SHUTDOWN

#[test]
fn time_is_the_unix_clock() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let t = run(&mut c, "TIME").texts();
    assert_eq!(t.len(), 2);
    let secs: i64 = t[0].parse().unwrap();
    let micros: i64 = t[1].parse().unwrap();
    assert!(
        (secs - unix_secs()).abs() <= 2,
        "TIME {secs} vs {}",
        unix_secs()
    );
    assert!((0..1_000_000).contains(&micros));
    assert_eq!(
        run(&mut c, "TIME x"),
        err("ERR wrong number of arguments for 'time' command")
    );
}

#[test]
fn lastsave_is_the_start_time_without_saves() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let t = run(&mut c, "LASTSAVE").int();
    assert!(
        (unix_secs() - t).abs() <= 15,
        "LASTSAVE {t} vs {}",
        unix_secs()
    );
}

#[test]
fn debug_is_refused_unless_enabled() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(
        run(&mut c, "DEBUG SLEEP 0"),
        err("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")
    );
}

#[test]
fn debug_sleep_0_answers_ok() {
    let srv = TestServer::builder()
        .args(&["--enable-debug-command", "yes"])
        .start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "DEBUG SLEEP 0"), ok());
    assert_eq!(run(&mut c, "PING"), status("PONG"));
}

#[test]
fn shutdown_nosave_ends_the_process() {
    let mut srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SHUTDOWN FOO"), err("ERR syntax error"));
    assert_eq!(run(&mut c, "SET k v"), ok());
    let mut raw = srv.raw();
    raw.send_cmd(&["SHUTDOWN", "NOSAVE"]);
    raw.expect_closed();
    let status = srv
        .wait_exit(Duration::from_secs(10))
        .expect("the server exits");
    assert!(status.success(), "exit status {status}");
    assert!(
        !srv.dir().join("dump.rdb").exists(),
        "NOSAVE wrote a snapshot"
    );
}

/// `used_memory` counts allocated bytes: it grows by roughly what the data takes and falls back
/// when the data goes, and stays below the resident set size.
#[test]
fn used_memory_follows_the_dataset() {
    if target() == Target::Redis {
        return; // the baseline and growth figures below are Tessera's
    }
    let srv = TestServer::builder().threads(2).start();
    let mut c = srv.client();
    let used = |c: &mut redis::Connection| -> i64 {
        info_field(c, "memory", "used_memory")
            .unwrap()
            .parse()
            .unwrap()
    };
    let before = used(&mut c);
    let value = "x".repeat(1000);
    for i in 0..2000 {
        run_args(&mut c, &["SET", &format!("k{i}"), &value]);
    }
    let full = used(&mut c);
    assert!(full - before > 2_000_000, "{before} -> {full}");
    assert!(full - before < 8_000_000, "{before} -> {full}");
    let rss: i64 = info_field(&mut c, "memory", "used_memory_rss")
        .unwrap()
        .parse()
        .unwrap();
    assert!(full < rss, "used {full} rss {rss}");
    run(&mut c, "FLUSHALL");
    let after = used(&mut c);
    assert!(after - before < 500_000, "{before} -> {after}");
}

/// OBJECT REFCOUNT, IDLETIME and FREQ, as Redis 7.0 answers them with no maxmemory policy:
/// small integers are shared objects.
#[test]
fn object_refcount_idletime_and_freq() {
    let srv = TestServer::start();
    let mut c = srv.client();
    run(&mut c, "SET small 42");
    run(&mut c, "SET big 123456");
    run(&mut c, "SET text hello");
    run(&mut c, "RPUSH list a");
    assert_eq!(run(&mut c, "OBJECT REFCOUNT small"), int(2147483647));
    assert_eq!(run(&mut c, "OBJECT REFCOUNT big"), int(1));
    assert_eq!(run(&mut c, "OBJECT REFCOUNT text"), int(1));
    assert_eq!(run(&mut c, "OBJECT REFCOUNT list"), int(1));
    assert_eq!(run(&mut c, "OBJECT REFCOUNT nope"), nil());
    assert_eq!(run(&mut c, "OBJECT IDLETIME text"), int(0));
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let idle = run(&mut c, "OBJECT IDLETIME text").int();
    assert!((2..=3).contains(&idle), "idle {idle}");
    // Asking does not touch the key; reading it does.
    assert_eq!(run(&mut c, "OBJECT IDLETIME text").int(), idle);
    run(&mut c, "GET text");
    assert_eq!(run(&mut c, "OBJECT IDLETIME text"), int(0));
    assert_eq!(
        run(&mut c, "OBJECT FREQ text"),
        err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
    );
    run(&mut c, "CONFIG SET maxmemory-policy allkeys-lfu");
    assert_eq!(run(&mut c, "OBJECT REFCOUNT small"), int(2147483647));
}

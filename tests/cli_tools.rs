//! The stock tools against the server: `redis-cli` one-shot commands, its stdin and `--pipe`
//! modes, and a `redis-benchmark` run.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;

/// Runs `redis-cli -p PORT args...` with `input` on stdin and returns its stdout.
fn cli_with_stdin(srv: &TestServer, args: &[&str], input: &[u8]) -> String {
    let mut child = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &srv.port().to_string()])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start redis-cli");
    let mut stdin = child.stdin.take().expect("stdin pipe");
    let input = input.to_vec();
    // Write from a thread so that a large input cannot deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("redis-cli output");
    writer.join().expect("stdin writer");
    assert!(out.status.success(), "redis-cli {args:?} failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn redis_cli_runs_one_command_per_call() {
    let srv = TestServer::start();
    assert_eq!(cli(&srv, &["PING"]), "PONG\n");
    assert_eq!(cli(&srv, &["set", "a", "b"]), "OK\n");
    assert_eq!(cli(&srv, &["get", "a"]), "b\n");
    assert_eq!(cli(&srv, &["get", "missing"]), "\n");
    assert_eq!(cli(&srv, &["incr", "n"]), "1\n");
    assert_eq!(cli(&srv, &["incrby", "n", "41"]), "42\n");
    assert_eq!(cli(&srv, &["mset", "x", "1", "y", "2"]), "OK\n");
    assert_eq!(cli(&srv, &["mget", "x", "missing", "y"]), "1\n\n2\n");
    assert_eq!(cli(&srv, &["set", "spaced", "hello world"]), "OK\n");
    assert_eq!(cli(&srv, &["get", "spaced"]), "hello world\n");
    assert_eq!(cli(&srv, &["dbsize"]), "5\n");
    // Errors are printed, and redis-cli still exits with 0.
    assert_eq!(
        cli(&srv, &["get"]),
        "ERR wrong number of arguments for 'get' command\n\n"
    );
    assert_eq!(
        cli(&srv, &["lpush", "a", "x"]),
        "WRONGTYPE Operation against a key holding the wrong kind of value\n\n"
    );
    let mut c = srv.client();
    assert_eq!(run(&mut c, "GET a"), bulk("b"));
}

#[test]
fn redis_cli_selects_a_db_and_scans() {
    let srv = TestServer::start();
    assert_eq!(cli(&srv, &["-n", "2", "set", "x", "y"]), "OK\n");
    assert_eq!(cli(&srv, &["-n", "2", "dbsize"]), "1\n");
    assert_eq!(cli(&srv, &["dbsize"]), "0\n");
    for i in 0..50 {
        assert_eq!(cli(&srv, &["set", &format!("user:{i}"), "v"]), "OK\n");
    }
    assert_eq!(cli(&srv, &["set", "other", "v"]), "OK\n");
    let scanned = cli(&srv, &["--scan", "--pattern", "user:*"]);
    let mut keys: Vec<&str> = scanned.lines().collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 50);
    assert!(keys.iter().all(|k| k.starts_with("user:")));
}

#[test]
fn redis_cli_reads_commands_and_values_from_stdin() {
    let srv = TestServer::start();
    assert_eq!(
        cli_with_stdin(&srv, &[], b"set a 1\nincr a\nget a\n"),
        "OK\n2\n2\n"
    );
    assert_eq!(
        cli_with_stdin(&srv, &["-x", "set", "file"], b"hello\n"),
        "OK\n"
    );
    assert_eq!(cli(&srv, &["get", "file"]), "hello\n\n");
    let mut c = srv.client();
    assert_eq!(run(&mut c, "GET file"), bulk("hello\n"));
}

#[test]
fn redis_cli_pipe_mode_mass_inserts() {
    let srv = TestServer::start();
    let mut input = Vec::new();
    for i in 0..1000 {
        input.extend(encode_command(&[
            "SET",
            &format!("bulk:{i}"),
            &i.to_string(),
        ]));
    }
    let out = cli_with_stdin(&srv, &["--pipe"], &input);
    assert!(out.contains("errors: 0, replies: 1000"), "{out}");
    let mut c = srv.client();
    assert_eq!(run(&mut c, "DBSIZE"), int(1000));
    assert_eq!(run(&mut c, "GET bulk:999"), bulk("999"));
}

#[test]
fn redis_benchmark_completes_without_errors() {
    benchmark_without_errors(&TestServer::start());
}

/// The README's start command: the shipped `conf/tessera.conf`, here with the port and directory
/// overridden on the command line, as a user would.
#[test]
fn redis_benchmark_against_the_shipped_config_completes_without_errors() {
    if target() == Target::Redis {
        return; // the shipped file carries Tessera's `threads` directive
    }
    let conf = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/conf/tessera.conf"))
        .expect("conf/tessera.conf");
    benchmark_without_errors(&TestServer::builder().config(&conf).start());
}

/// Runs the README's redis-benchmark command and checks that every test reports a rate and no
/// error.
fn benchmark_without_errors(srv: &TestServer) {
    let args = [
        "-t",
        "ping,set,get,incr,mset",
        "-n",
        "100000",
        "-P",
        "16",
        "-q",
    ];
    let names = [
        "PING_INLINE",
        "PING_MBULK",
        "SET",
        "GET",
        "INCR",
        "MSET (10 keys)",
    ];
    run_benchmark_suite(srv, &args, &names);
    // Every INCR hit the same counter.
    let mut c = srv.client();
    assert_eq!(run(&mut c, "GET counter:__rand_int__"), bulk("100000"));
    assert_eq!(run(&mut c, "STRLEN key:__rand_int__"), int(3));
    assert_eq!(run(&mut c, "PING"), status("PONG"));
}

/// The tests redis-benchmark 7.0 runs when no `-t` is given, in its order (7.2 adds XADD,
/// run on its own below).
const DEFAULT_SUITE: &[&str] = &[
    "PING_INLINE",
    "PING_MBULK",
    "SET",
    "GET",
    "INCR",
    "LPUSH",
    "RPUSH",
    "LPOP",
    "RPOP",
    "SADD",
    "HSET",
    "SPOP",
    "ZADD",
    "ZPOPMIN",
    "LPUSH (needed to benchmark LRANGE)",
    "LRANGE_100 (first 100 elements)",
    "LRANGE_300 (first 300 elements)",
    "LRANGE_500 (first 500 elements)",
    "LRANGE_600 (first 600 elements)",
    "MSET (10 keys)",
];

/// The whole default suite, without pipelining and with 16 commands in flight per connection,
/// against a two-shard server with random keys (so commands cross shards): no error reply and
/// no dropped connection, and the data the suite leaves behind is what it wrote.
#[test]
fn redis_benchmark_default_suite_runs_clean() {
    let srv = TestServer::builder().threads(2).start();
    for (pipeline, requests) in [("1", "2000"), ("16", "20000")] {
        run_benchmark_suite(
            &srv,
            &[
                "-n", requests, "-P", pipeline, "-r", "1000", "-c", "20", "-q",
            ],
            DEFAULT_SUITE,
        );
        // The XADD test redis-benchmark 7.2 adds to its default suite.
        let xadd = ["XADD", "mystream", "*", "myfield", "myvalue"];
        let mut args = vec!["-n", requests, "-P", pipeline, "-c", "20", "-q"];
        args.extend(xadd);
        run_benchmark_suite(&srv, &args, &[&xadd.join(" ")]);
    }
    let mut c = srv.client();
    assert_eq!(run(&mut c, "TYPE mylist"), status("list"));
    assert_eq!(run(&mut c, "TYPE mystream"), status("stream"));
    assert_eq!(run(&mut c, "XLEN mystream"), int(22_000));
    assert_eq!(run(&mut c, "PING"), status("PONG"));
}

/// Runs redis-benchmark with `args` and checks that it ran exactly the tests `names`, each
/// reporting a rate, with nothing on its output that looks like an error.
fn run_benchmark_suite(srv: &TestServer, args: &[&str], names: &[&str]) {
    let out = benchmark(srv, args);
    assert!(out.status.success(), "redis-benchmark failed: {out:?}");
    let all = format!("{}\n{}", out.stdout, out.stderr);
    assert!(
        !all.to_ascii_lowercase().contains("err") && !all.contains("WARN"),
        "redis-benchmark printed an error: {all}"
    );
    // Progress updates are overwritten with `\r`; the final line of each test says how fast.
    let results: Vec<&str> = out
        .stdout
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.contains("rps="))
        .collect();
    let ran: Vec<&str> = results
        .iter()
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(ran, names);
    for line in &results {
        assert!(line.contains(" requests per second"), "no rate in {line:?}");
    }
}

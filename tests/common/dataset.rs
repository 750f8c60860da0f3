//! A dataset of every type, and comparing two servers' datasets key by key.
//!
//! `populate` fills a server (Tessera or stock Redis) with strings (short, long, integer,
//! empty, incompressible), lists, hashes, sets (intset-sized and larger, integers and strings),
//! sorted sets, small and large, and a stream with deleted entries, consumer groups, consumers
//! and pending entries, with expiry times, in several databases (the last of the 16 included),
//! including binary key names.
//!
//! `dataset(&mut conn)` walks every DB with SCAN and reads each key's TYPE, its value in a form
//! that does not depend on encoding, iteration order or the clock, and its absolute expiry time
//! (PEXPIRETIME, so no clock runs between the two reads). `dataset_diff` names the first keys
//! that differ; `wait_same_dataset` polls two servers until they agree, for a replica catching up.

use std::collections::BTreeMap;
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::reply::{info_section, run_args, Reply};
use super::server::TestServer;

/// The databases `populate` writes to.
pub const DATASET_DBS: [u32; 4] = [0, 1, 9, 15];

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Pseudo-random bytes that LZF cannot shrink.
fn noise(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Runs a command that must succeed.
pub fn must(c: &mut redis::Connection, args: &[&[u8]]) -> Reply {
    let r = run_args(c, args);
    assert!(
        !r.is_error(),
        "{:?}: {r:?}",
        args.iter()
            .map(|a| a.escape_ascii().to_string())
            .collect::<Vec<_>>()
    );
    r
}

fn push_all(c: &mut redis::Connection, head: &[&[u8]], items: &[Vec<u8>]) {
    for chunk in items.chunks(500) {
        let mut args: Vec<&[u8]> = head.to_vec();
        args.extend(chunk.iter().map(|i| i.as_slice()));
        must(c, &args);
    }
}

fn texts(n: usize, f: impl Fn(usize) -> String) -> Vec<Vec<u8>> {
    (0..n).map(|i| f(i).into_bytes()).collect()
}

/// Fills the server with the dataset (module documentation). Leaves DB 0 selected.
pub fn populate(c: &mut redis::Connection) {
    let far = (now_ms() + 3_600_000).to_string();
    let far = far.as_bytes();
    must(c, &[b"SELECT", b"0"]);
    for (k, v) in [
        ("str:int", b"12345".to_vec()),
        ("str:bigint", b"9223372036854775807".to_vec()),
        ("str:neg", b"-42".to_vec()),
        ("str:zeros", b"007".to_vec()),
        ("str:short", b"hello world".to_vec()),
        ("str:empty", Vec::new()),
        ("str:long", b"abc".repeat(2000)),
        ("str:noise", noise(20_000)),
    ] {
        must(c, &[b"SET", k.as_bytes(), &v]);
    }
    must(c, &[b"SET", b"bin:\x00\xff\r\n", b"\x00\x01\x02"]);
    must(c, &[b"SET", b"\xfe\xfdkey", b"binary name"]);
    must(c, &[b"SET", b"str:exp", b"v", b"PXAT", far]);
    push_all(
        c,
        &[b"RPUSH", b"list:small"],
        &[b"a".to_vec(), b"1".to_vec(), b"-70000".to_vec(), Vec::new()],
    );
    push_all(
        c,
        &[b"RPUSH", b"list:big"],
        &texts(3000, |i| format!("element-{i}")),
    );
    push_all(
        c,
        &[b"RPUSH", b"list:bigelem"],
        &[b"x".repeat(20_000), b"y".to_vec()],
    );
    push_all(
        c,
        &[b"HSET", b"hash:small"],
        &[b"f".to_vec(), b"v".to_vec(), b"n".to_vec(), b"42".to_vec()],
    );
    push_all(
        c,
        &[b"HSET", b"hash:many"],
        &texts(2000, |i| format!("f{i}")),
    );
    push_all(
        c,
        &[b"HSET", b"hash:bigvalue"],
        &[b"f".to_vec(), b"v".repeat(100)],
    );
    push_all(
        c,
        &[b"SADD", b"set:ints"],
        &texts(20, |i| (i as i64 * 3 - 30).to_string()),
    );
    push_all(
        c,
        &[b"SADD", b"set:wide"],
        &[b"1".to_vec(), b"1099511627776".to_vec(), b"-5".to_vec()],
    );
    push_all(
        c,
        &[b"SADD", b"set:manyints"],
        &texts(1000, |i| i.to_string()),
    );
    push_all(
        c,
        &[b"SADD", b"set:strings"],
        &[b"a".to_vec(), b"b".to_vec(), b"1".to_vec()],
    );
    push_all(c, &[b"SADD", b"set:many"], &texts(600, |i| format!("m{i}")));
    must(
        c,
        &[
            b"ZADD",
            b"zset:small",
            b"1.5",
            b"a",
            b"-2",
            b"b",
            b"inf",
            b"c",
            b"-inf",
            b"d",
            b"1e300",
            b"e",
            b"0.1",
            b"f",
        ],
    );
    let many: Vec<Vec<u8>> = (0..300)
        .flat_map(|i| {
            [
                format!("{}", i as f64 / 3.0).into_bytes(),
                format!("m{i}").into_bytes(),
            ]
        })
        .collect();
    push_all(c, &[b"ZADD", b"zset:many"], &many);
    for k in [
        "list:small",
        "hash:small",
        "zset:many",
        "set:ints",
        "set:many",
    ] {
        must(c, &[b"PEXPIREAT", k.as_bytes(), far]);
    }
    must(c, &[b"SELECT", b"1"]);
    must(c, &[b"SET", b"k1", b"one"]);
    must(c, &[b"SADD", b"s1", b"x", b"y"]);
    must(c, &[b"RPUSH", b"l1", b"1", b"2", b"3"]);
    must(c, &[b"SELECT", b"9"]);
    populate_stream(c);
    must(c, &[b"HSET", b"h9", b"a", b"1"]);
    must(c, &[b"PEXPIREAT", b"h9", far]);
    must(c, &[b"ZADD", b"z9", b"1", b"one"]);
    // The last of the 16 databases.
    must(c, &[b"SELECT", b"15"]);
    must(c, &[b"SET", b"in-db-15", b"last"]);
    must(c, &[b"SELECT", b"0"]);
}

/// A stream with a deleted entry, two groups, consumers and pending entries (in the selected
/// DB).
fn populate_stream(c: &mut redis::Connection) {
    for i in 1..=30 {
        let id = format!("{i}-1");
        let v = format!("value-{i}");
        must(
            c,
            &[
                b"XADD",
                b"stream",
                id.as_bytes(),
                b"field",
                v.as_bytes(),
                b"n",
                b"7",
            ],
        );
    }
    must(c, &[b"XADD", b"stream", b"31-1", b"other", b"shape"]);
    must(c, &[b"XDEL", b"stream", b"5-1"]);
    must(c, &[b"XGROUP", b"CREATE", b"stream", b"g1", b"0"]);
    must(c, &[b"XGROUP", b"CREATE", b"stream", b"g2", b"$"]);
    must(
        c,
        &[
            b"XREADGROUP",
            b"GROUP",
            b"g1",
            b"alice",
            b"COUNT",
            b"3",
            b"STREAMS",
            b"stream",
            b">",
        ],
    );
    must(
        c,
        &[
            b"XREADGROUP",
            b"GROUP",
            b"g1",
            b"bob",
            b"COUNT",
            b"2",
            b"STREAMS",
            b"stream",
            b">",
        ],
    );
    must(c, &[b"XACK", b"stream", b"g1", b"2-1"]);
    must(
        c,
        &[b"XGROUP", b"CREATECONSUMER", b"stream", b"g2", b"carol"],
    );
}

/// One key as the comparison sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState {
    /// TYPE's answer.
    pub kind: String,
    /// The value: a string's bytes; a list's elements in order; a hash's fields and values
    /// sorted by field; a set's members sorted; a sorted set's members and scores in rank order;
    /// a stream's entries then its consumer groups (XINFO GROUPS), flattened.
    pub value: Vec<Vec<u8>>,
    /// PEXPIRETIME: Unix ms, or -1 without an expiry.
    pub expire_ms: i64,
}

/// Every key of every DB: (db, key) -> state.
pub type Dataset = BTreeMap<(u32, Vec<u8>), KeyState>;

fn ok(r: Reply, what: &str) -> Reply {
    assert!(!r.is_error(), "{what}: {r:?}");
    r
}

fn databases(c: &mut redis::Connection) -> u32 {
    let r = ok(run_args(c, &["CONFIG", "GET", "databases"]), "CONFIG GET");
    r.items()
        .get(1)
        .map(|v| v.text().parse().expect("databases is a number"))
        .unwrap_or(16)
}

/// Reads the whole dataset of the server behind `c`. Leaves DB 0 selected.
pub fn dataset(c: &mut redis::Connection) -> Dataset {
    let mut out = Dataset::new();
    for db in 0..databases(c) {
        ok(run_args(c, &["SELECT", &db.to_string()]), "SELECT");
        let mut cursor = "0".to_string();
        loop {
            let r = ok(run_args(c, &["SCAN", &cursor, "COUNT", "1000"]), "SCAN");
            let items = r.items();
            cursor = items[0].text();
            for key in items[1].items() {
                let key = key.bytes();
                if let Some(state) = key_state(c, &key) {
                    out.insert((db, key), state);
                }
            }
            if cursor == "0" {
                break;
            }
        }
    }
    ok(run_args(c, &["SELECT", "0"]), "SELECT");
    out
}

/// One key's state, or None when it vanished (or expired) since SCAN saw it.
fn key_state(c: &mut redis::Connection, key: &[u8]) -> Option<KeyState> {
    let cmd = |c: &mut redis::Connection, args: &[&[u8]]| ok(run_args(c, args), "read");
    let kind = cmd(c, &[b"TYPE", key]).text();
    let value: Vec<Vec<u8>> = match kind.as_str() {
        "none" => return None,
        "string" => vec![cmd(c, &[b"GET", key]).bytes()],
        "list" => bytes_of(cmd(c, &[b"LRANGE", key, b"0", b"-1"])),
        "hash" => {
            let flat = bytes_of(cmd(c, &[b"HGETALL", key]));
            let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = flat
                .chunks(2)
                .map(|p| (p[0].clone(), p[1].clone()))
                .collect();
            pairs.sort();
            pairs.into_iter().flat_map(|(f, v)| [f, v]).collect()
        }
        "set" => {
            let mut members = bytes_of(cmd(c, &[b"SMEMBERS", key]));
            members.sort();
            members
        }
        "zset" => bytes_of(cmd(c, &[b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"])),
        "stream" => {
            let mut out = Vec::new();
            flatten(&cmd(c, &[b"XRANGE", key, b"-", b"+"]), &mut out);
            let groups = cmd(c, &[b"XINFO", b"GROUPS", key]);
            flatten(&groups, &mut out);
            // Each group's pending entries and consumers, without their idle times.
            for g in groups.items() {
                let name = g.items()[1].bytes();
                for p in cmd(c, &[b"XPENDING", key, &name, b"-", b"+", b"1000"]).items() {
                    let p = p.items();
                    out.extend([
                        p[0].bytes(),
                        p[1].bytes(),
                        p[3].int().to_string().into_bytes(),
                    ]);
                }
                for consumer in cmd(c, &[b"XINFO", b"CONSUMERS", key, &name]).items() {
                    let f = consumer.items();
                    out.extend([f[1].bytes(), f[3].int().to_string().into_bytes()]);
                }
            }
            out
        }
        _ => Vec::new(),
    };
    let expire_ms = cmd(c, &[b"PEXPIRETIME", key]).int();
    Some(KeyState {
        kind,
        value,
        expire_ms,
    })
}

/// Every scalar of a nested reply, depth first.
fn flatten(r: &Reply, out: &mut Vec<Vec<u8>>) {
    match r {
        Reply::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        Reply::Nil => out.push(b"(nil)".to_vec()),
        Reply::Int(n) => out.push(n.to_string().into_bytes()),
        other => out.push(other.bytes()),
    }
}

fn bytes_of(r: Reply) -> Vec<Vec<u8>> {
    r.items().iter().map(Reply::bytes).collect()
}

/// Up to `limit` lines describing how `a` and `b` differ; empty when they are equal.
pub fn dataset_diff(a: &Dataset, b: &Dataset, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let show = |k: &(u32, Vec<u8>)| format!("db{} {:?}", k.0, k.1.escape_ascii().to_string());
    let brief = |s: &KeyState| {
        let mut v = format!("{:?}", s);
        v.truncate(300);
        v
    };
    for (k, va) in a {
        match b.get(k) {
            None => out.push(format!("{} only in the first: {}", show(k), brief(va))),
            Some(vb) if vb != va => out.push(format!(
                "{} differs:\n  first:  {}\n  second: {}",
                show(k),
                brief(va),
                brief(vb)
            )),
            _ => {}
        }
    }
    for (k, vb) in b {
        if !a.contains_key(k) {
            out.push(format!("{} only in the second: {}", show(k), brief(vb)));
        }
    }
    out.truncate(limit);
    out
}

/// Waits until `replica` has applied everything `master` sent (its `master_repl_offset` reached
/// the master's, link up), then until both datasets are equal; panics with the differences (and
/// the replica's log) after `timeout`.
pub fn wait_same_dataset(master: &TestServer, replica: &TestServer, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let mut m = master.client();
    let mut r = replica.client();
    loop {
        let mo = info_section(&mut m, "replication");
        let ro = info_section(&mut r, "replication");
        let caught_up = ro.get("master_link_status").map(String::as_str) == Some("up")
            && ro.get("master_repl_offset") == mo.get("master_repl_offset");
        if caught_up {
            let a = dataset(&mut m);
            let b = dataset(&mut r);
            let diff = dataset_diff(&a, &b, 10);
            if diff.is_empty() {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "datasets differ ({} keys vs {}):\n{}\n--- replica log ---\n{}",
                    a.len(),
                    b.len(),
                    diff.join("\n"),
                    tail(&replica.log())
                );
            }
        } else if Instant::now() >= deadline {
            panic!(
                "the replica did not catch up: master {mo:?}\nreplica {ro:?}\n--- replica log \
                 ---\n{}",
                tail(&replica.log())
            );
        }
        sleep(Duration::from_millis(50));
    }
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

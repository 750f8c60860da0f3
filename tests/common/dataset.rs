//! A dataset of every type, and comparing two servers' datasets key by key.
//!
//! `populate` fills a server (Tessera or stock Redis) with strings (short, long, integer,
//! empty, incompressible and large), lists, hashes, sets (intset-sized and larger, integers and
//! strings), sorted sets, small and large, each in every encoding Redis 7.0 gives them, and a
//! stream of two listpack nodes with deleted entries, consumer groups, consumers and pending
//! entries; with expiry times, binary key names, and a key in each of the 16 databases.
//!
//! `dataset(&mut conn)` walks every DB with SCAN and reads each key's TYPE, its value in a form
//! that does not depend on encoding, iteration order or the clock, and its absolute expiry time
//! (PEXPIRETIME, so no clock runs between the two reads); `dataset_with_encodings` adds OBJECT
//! ENCODING. `dataset_diff` names the first keys that differ; `wait_same_dataset` polls two
//! servers until they agree, for a replica catching up.

use std::collections::BTreeMap;
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::now_ms;
use super::reply::{info_section, run_args, Reply};
use super::server::TestServer;

/// Pseudo-random bytes that LZF cannot shrink, so large values stay large in files and on the
/// wire.
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

/// `must` for a command whose arguments are words without spaces.
fn line(c: &mut redis::Connection, text: &str) -> Reply {
    must(c, &text.split(' ').map(str::as_bytes).collect::<Vec<_>>())
}

/// Runs `head` with `items` appended, in batches.
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
    let far = now_ms() + 3_600_000;
    for db in 0..16 {
        line(c, &format!("SELECT {db}"));
        line(c, &format!("SET in-db-{db} {db}"));
        if db % 2 == 1 {
            line(c, &format!("PEXPIREAT in-db-{db} {far}"));
        }
    }
    line(c, "SELECT 0");
    for (k, v) in [
        ("str:int", b"12345".to_vec()),
        ("str:bigint", b"9223372036854775807".to_vec()),
        ("str:neg", b"-42".to_vec()),
        ("str:zeros", b"007".to_vec()),
        ("str:short", b"hello world".to_vec()),
        ("str:empty", Vec::new()),
        ("str:long", b"abc".repeat(2000)),
        ("str:noise", noise(300_000)),
    ] {
        must(c, &[b"SET", k.as_bytes(), &v]);
    }
    must(c, &[b"SET", b"bin:\x00\xff\r\n", b"\x00\x01\x02"]);
    must(c, &[b"SET", b"\xfe\xfdkey", b"binary name"]);
    line(c, &format!("SET str:exp v PXAT {far}"));
    let small_list = [
        b"a".to_vec(),
        b"b".to_vec(),
        b"1".to_vec(),
        b"-70000".to_vec(),
        vec![],
    ];
    push_all(c, &[b"RPUSH", b"list:small"], &small_list);
    let elements = texts(3000, |i| format!("element-{i}"));
    push_all(c, &[b"RPUSH", b"list:big"], &elements);
    let big_elements = [b"x".repeat(20_000), b"y".to_vec(), b"z".repeat(100)];
    push_all(c, &[b"RPUSH", b"list:bigelem"], &big_elements);
    let ints = texts(200, |i| (i as i64 * 997 - 50_000).to_string());
    push_all(c, &[b"RPUSH", b"list:ints"], &ints);
    let small_hash: [&[u8]; 6] = [b"f", b"v", b"n", b"42", b"e", b""];
    let small_hash = small_hash.map(<[u8]>::to_vec);
    push_all(c, &[b"HSET", b"hash:small"], &small_hash);
    push_all(
        c,
        &[b"HSET", b"hash:many"],
        &texts(2000, |i| format!("f{i}")),
    );
    line(c, &format!("HSET hash:bigvalue f {}", "v".repeat(100)));
    push_all(
        c,
        &[b"SADD", b"set:ints"],
        &texts(20, |i| (i as i64 * 3 - 30).to_string()),
    );
    line(c, "SADD set:wide 1 1099511627776 -5");
    push_all(
        c,
        &[b"SADD", b"set:manyints"],
        &texts(1000, |i| i.to_string()),
    );
    line(c, "SADD set:strings a b 1");
    push_all(c, &[b"SADD", b"set:many"], &texts(600, |i| format!("m{i}")));
    line(c, &format!("SADD set:longmember {} x", "m".repeat(200)));
    line(
        c,
        "ZADD zset:small 1.5 a -2 b inf c -inf d 1e300 e 0.1 f 3 g",
    );
    let many = texts(600, |i| match i % 2 {
        0 => format!("{}", (i / 2) as f64 / 3.0),
        _ => format!("m{}", i / 2),
    });
    push_all(c, &[b"ZADD", b"zset:many"], &many);
    line(
        c,
        &format!("ZADD zset:longmember 1 {} 2 x", "m".repeat(100)),
    );
    for k in [
        "list:small",
        "hash:small",
        "zset:many",
        "set:ints",
        "set:many",
    ] {
        line(c, &format!("PEXPIREAT {k} {far}"));
    }
    line(c, "SELECT 1");
    line(c, "SET k1 one");
    line(c, "SADD s1 x y");
    line(c, "RPUSH l1 1 2 3");
    line(c, "SELECT 9");
    populate_stream(c);
    line(c, "HSET h9 a 1");
    line(c, &format!("PEXPIREAT h9 {far}"));
    line(c, "ZADD z9 1 one");
    line(c, "SELECT 0");
}

/// A stream with deleted entries, two groups, consumers and pending entries (in the selected
/// DB).
fn populate_stream(c: &mut redis::Connection) {
    // 120 entries fill two listpack nodes (100 entries each at most); three IDs share each
    // millisecond, and every tenth entry has other fields than the node's master entry.
    for i in 0..120 {
        let id = format!("{}-{}", 1000 + i / 3, i % 3);
        let fields = if i % 10 == 7 {
            "other field n"
        } else {
            "a 1 b"
        };
        line(c, &format!("XADD stream {id} {fields} {i}"));
    }
    line(c, "XDEL stream 1005-1 1010-0");
    line(c, "XGROUP CREATE stream g1 0");
    line(c, "XGROUP CREATE stream g2 $");
    line(c, "XREADGROUP GROUP g1 alice COUNT 3 STREAMS stream >");
    line(c, "XREADGROUP GROUP g1 bob COUNT 2 STREAMS stream >");
    line(c, "XACK stream g1 1000-1");
    line(c, "XGROUP CREATECONSUMER stream g2 carol");
}

/// One key as the comparison sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState {
    /// TYPE's answer.
    pub kind: String,
    /// The value: a string's bytes; a list's elements in order; a hash's fields and values
    /// sorted by field; a set's members sorted; a sorted set's members and scores in rank order;
    /// a stream's entries (ID, fields and values), flattened.
    pub value: Vec<Vec<u8>>,
    /// A stream's consumer groups (XINFO GROUPS, then each group's pending entries and
    /// consumers without their idle times), flattened; empty for the other types.
    pub groups: Vec<Vec<u8>>,
    /// PEXPIRETIME: Unix ms, or -1 without an expiry.
    pub expire_ms: i64,
    /// OBJECT ENCODING, read by `dataset_with_encodings` only: two servers may store the same
    /// data in different encodings (after writes that convert a value at other sizes).
    pub encoding: Option<String>,
}

/// Every key of every DB: (db, key) -> state.
pub type Dataset = BTreeMap<(u32, Vec<u8>), KeyState>;

fn databases(c: &mut redis::Connection) -> u32 {
    let r = line(c, "CONFIG GET databases");
    r.items()
        .get(1)
        .map(|v| v.text().parse().expect("databases is a number"))
        .unwrap_or(16)
}

/// Reads the whole dataset of the server behind `c`. Leaves DB 0 selected.
pub fn dataset(c: &mut redis::Connection) -> Dataset {
    read_dataset(c, false)
}

/// `dataset` with each key's OBJECT ENCODING.
pub fn dataset_with_encodings(c: &mut redis::Connection) -> Dataset {
    read_dataset(c, true)
}

fn read_dataset(c: &mut redis::Connection, encodings: bool) -> Dataset {
    let mut out = Dataset::new();
    for db in 0..databases(c) {
        line(c, &format!("SELECT {db}"));
        let mut cursor = "0".to_string();
        loop {
            let r = line(c, &format!("SCAN {cursor} COUNT 1000"));
            let items = r.items();
            cursor = items[0].text();
            for key in items[1].items() {
                let key = key.bytes();
                if let Some(state) = key_state(c, &key, encodings) {
                    out.insert((db, key), state);
                }
            }
            if cursor == "0" {
                break;
            }
        }
    }
    line(c, "SELECT 0");
    out
}

/// One key's state, or None when it vanished (or expired) since SCAN saw it.
fn key_state(c: &mut redis::Connection, key: &[u8], encodings: bool) -> Option<KeyState> {
    let kind = must(c, &[b"TYPE", key]).text();
    let mut groups = Vec::new();
    let value: Vec<Vec<u8>> = match kind.as_str() {
        "none" => return None,
        // A key with a deadline may expire between TYPE and GET.
        "string" => match must(c, &[b"GET", key]) {
            Reply::Nil => return None,
            value => vec![value.bytes()],
        },
        "list" => bytes_of(must(c, &[b"LRANGE", key, b"0", b"-1"])),
        "hash" => {
            let flat = bytes_of(must(c, &[b"HGETALL", key]));
            let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = flat
                .chunks(2)
                .map(|p| (p[0].clone(), p[1].clone()))
                .collect();
            pairs.sort();
            pairs.into_iter().flat_map(|(f, v)| [f, v]).collect()
        }
        "set" => {
            let mut members = bytes_of(must(c, &[b"SMEMBERS", key]));
            members.sort();
            members
        }
        "zset" => bytes_of(must(c, &[b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"])),
        "stream" => {
            let mut entries = Vec::new();
            flatten(&must(c, &[b"XRANGE", key, b"-", b"+"]), &mut entries);
            let info = must(c, &[b"XINFO", b"GROUPS", key]);
            flatten(&info, &mut groups);
            for g in info.items() {
                let name = g.items()[1].bytes();
                for p in must(c, &[b"XPENDING", key, &name, b"-", b"+", b"1000"]).items() {
                    let p = p.items();
                    groups.extend([
                        p[0].bytes(),
                        p[1].bytes(),
                        p[3].int().to_string().into_bytes(),
                    ]);
                }
                for consumer in must(c, &[b"XINFO", b"CONSUMERS", key, &name]).items() {
                    let f = consumer.items();
                    groups.extend([f[1].bytes(), f[3].int().to_string().into_bytes()]);
                }
            }
            entries
        }
        _ => Vec::new(),
    };
    let expire_ms = must(c, &[b"PEXPIRETIME", key]).int();
    let encoding = encodings.then(|| must(c, &[b"OBJECT", b"ENCODING", key]).text());
    Some(KeyState {
        kind,
        value,
        groups,
        expire_ms,
        encoding,
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
    for (k, va) in a {
        match b.get(k) {
            None => out.push(format!("{} only in the first: {}", show(k), brief(va, 0))),
            Some(vb) if vb != va => {
                let at = va.value.iter().zip(&vb.value).take_while(|(x, y)| x == y);
                let at = at.count();
                out.push(format!(
                    "{} differs:\n  first:  {}\n  second: {}",
                    show(k),
                    brief(va, at),
                    brief(vb, at)
                ))
            }
            _ => {}
        }
    }
    for (k, vb) in b {
        if !a.contains_key(k) {
            out.push(format!("{} only in the second: {}", show(k), brief(vb, 0)));
        }
    }
    out.truncate(limit);
    out
}

/// A key's state in a line of text, its value from item `from` on (where two values part).
fn brief(s: &KeyState, from: usize) -> String {
    let text = |items: &[Vec<u8>]| {
        let items = items.iter().map(|i| format!("\"{}\"", i.escape_ascii()));
        items.collect::<Vec<_>>().join(" ")
    };
    let mut line = format!(
        "{} {:?} expire {} groups [{}] value from item {from} of {}: {}",
        s.kind,
        s.encoding,
        s.expire_ms,
        text(&s.groups),
        s.value.len(),
        text(&s.value[from.min(s.value.len())..])
    );
    line.truncate(600);
    line
}

/// Panics naming the first keys where `got` differs from `want`.
pub fn assert_same_dataset(got: &Dataset, want: &Dataset) {
    let diff = dataset_diff(got, want, 10);
    assert!(
        diff.is_empty(),
        "datasets differ ({} keys vs {}):\n{}",
        got.len(),
        want.len(),
        diff.join("\n")
    );
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

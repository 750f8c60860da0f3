//! A dataset of every type, written through commands, and a server-independent view of it.
//!
//! `populate` fills a server (Tessera or stock Redis) with strings (short, long, integer,
//! empty, incompressible), lists, hashes, sets (intset-sized and larger, integers and strings),
//! sorted sets, small and large, and a stream with deleted entries, consumer groups, consumers
//! and pending entries, with expiry times, in several databases, including binary key names. `dataset` reads every key back as `(db, key) -> KeyState` (type and contents,
//! PEXPIRETIME), so two servers compare with one `assert_eq!`.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use super::reply::{run_args, Reply};

/// The databases `populate` writes to.
pub const DATASET_DBS: [u32; 4] = [0, 1, 9, 15];

/// What one key holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// A string's bytes.
    Str(Vec<u8>),
    /// A list's elements, in order.
    List(Vec<Vec<u8>>),
    /// A hash's pairs, sorted.
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    /// A set's members, sorted.
    Set(Vec<Vec<u8>>),
    /// A sorted set's members with their scores, in rank order.
    ZSet(Vec<(Vec<u8>, String)>),
    /// A stream, as lines: its entries, its counters, and per group its position, pending
    /// entries (without idle times) and consumers (without idle times).
    Stream(Vec<String>),
}

/// A key's contents and its expiry (Unix ms from PEXPIRETIME; -1 = none).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyState {
    /// The value.
    pub content: Content,
    /// PEXPIRETIME.
    pub expire_ms: i64,
}

/// Every key of every `DATASET_DBS` database, by (db, key).
pub type Dataset = BTreeMap<(u32, Vec<u8>), KeyState>;

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

/// What a stream holds, in a form that does not depend on the time it is read.
fn stream_content(c: &mut redis::Connection, k: &[u8]) -> Vec<String> {
    let show = |r: &Reply| format!("{r:?}");
    let mut lines = vec![show(&must(c, &[b"XRANGE", k, b"-", b"+"]))];
    let info = must(c, &[b"XINFO", b"STREAM", k]).items();
    for pair in info.chunks(2) {
        let name = pair[0].text();
        if [
            "length",
            "last-generated-id",
            "max-deleted-entry-id",
            "entries-added",
        ]
        .contains(&name.as_str())
        {
            lines.push(format!("{name}={}", show(&pair[1])));
        }
    }
    for g in must(c, &[b"XINFO", b"GROUPS", k]).items() {
        lines.push(show(&g));
        let fields = g.items();
        let name = fields[1].bytes();
        for p in must(c, &[b"XPENDING", k, &name, b"-", b"+", b"100"]).items() {
            let p = p.items();
            // id, consumer, (idle left out), deliveries
            lines.push(format!(
                "pending {} {} {}",
                p[0].text(),
                p[1].text(),
                show(&p[3])
            ));
        }
        for consumer in must(c, &[b"XINFO", b"CONSUMERS", k, &name]).items() {
            let f = consumer.items();
            lines.push(format!("consumer {} {}", f[1].text(), show(&f[3])));
        }
    }
    lines
}

fn bytes_list(r: Reply) -> Vec<Vec<u8>> {
    r.items().iter().map(Reply::bytes).collect()
}

/// Every key of the `DATASET_DBS` databases with what it holds. Leaves DB 0 selected.
pub fn dataset(c: &mut redis::Connection) -> Dataset {
    let mut out = Dataset::new();
    for db in DATASET_DBS {
        must(c, &[b"SELECT", db.to_string().as_bytes()]);
        for key in bytes_list(must(c, &[b"KEYS", b"*"])) {
            let k = key.as_slice();
            let content = match must(c, &[b"TYPE", k]).text().as_str() {
                "string" => Content::Str(must(c, &[b"GET", k]).bytes()),
                "list" => Content::List(bytes_list(must(c, &[b"LRANGE", k, b"0", b"-1"]))),
                "hash" => {
                    let flat = bytes_list(must(c, &[b"HGETALL", k]));
                    let mut pairs: Vec<_> = flat
                        .chunks(2)
                        .map(|p| (p[0].clone(), p[1].clone()))
                        .collect();
                    pairs.sort();
                    Content::Hash(pairs)
                }
                "set" => {
                    let mut m = bytes_list(must(c, &[b"SMEMBERS", k]));
                    m.sort();
                    Content::Set(m)
                }
                "zset" => {
                    let flat = bytes_list(must(c, &[b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"]));
                    Content::ZSet(
                        flat.chunks(2)
                            .map(|p| (p[0].clone(), String::from_utf8_lossy(&p[1]).into()))
                            .collect(),
                    )
                }
                "stream" => Content::Stream(stream_content(c, k)),
                other => panic!("unexpected type {other}"),
            };
            let expire_ms = must(c, &[b"PEXPIRETIME", k]).int();
            out.insert((db, key), KeyState { content, expire_ms });
        }
    }
    must(c, &[b"SELECT", b"0"]);
    out
}

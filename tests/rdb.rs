//! RDB and DUMP/RESTORE against stock Redis 7.0: payloads and files go both ways, and corrupt
//! input is a clear error.
//!
//! - DUMP on stock Redis, RESTORE on Tessera, and back: the values, encodings and expiry times
//!   match, and for compact encodings Tessera's DUMP is Redis's byte for byte.
//! - A file saved by stock Redis read by `tessera::rdb` matches what Redis holds; a file written
//!   by `tessera::rdb` passes `redis-check-rdb` and loads in stock Redis (with deep payload
//!   sanitisation) to the same data.
//! - Truncated files, a wrong signature, a bad checksum and a corrupt listpack give errors that
//!   name their offset; flipped bytes never panic the reader, and corrupt RESTORE payloads
//!   never bring Tessera down.
//!
//! The dataset covers every type in each of its encodings, several databases, binary keys and
//! expiry times. Streams exist on the Redis side only (Tessera has no stream type yet): their
//! payloads are refused by RESTORE, and the reader parses them from Redis's file.

mod common;

use std::collections::BTreeMap;
use std::fs::File;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use tessera::rdb::{
    read_all, AuxFields, KeyEntry, Payload, RdbErrorKind, RdbWriter, ReadOptions, StreamData,
    WriteOptions,
};
use tessera::storage::set::Member;
use tessera::storage::value::Value;

/// The databases the dataset uses.
const DBS: [u32; 3] = [0, 1, 9];

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

fn cmd(c: &mut redis::Connection, args: &[&[u8]]) -> Reply {
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
        cmd(c, &args);
    }
}

/// Fills stock Redis (or Tessera) with one key per type and encoding, in several databases.
/// `streams` adds a stream with consumer groups (stock Redis only).
fn populate(c: &mut redis::Connection, streams: bool) {
    let far = (now_ms() + 3_600_000).to_string();
    let ints = |n: usize, f: fn(usize) -> String| {
        (0..n).map(f).map(String::into_bytes).collect::<Vec<_>>()
    };
    cmd(c, &[b"SELECT", b"0"]);
    for (k, v) in [
        ("str:int", b"12345".to_vec()),
        ("str:bigint", b"9223372036854775807".to_vec()),
        ("str:neg", b"-42".to_vec()),
        ("str:zeros", b"007".to_vec()),
        ("str:short", b"hello world".to_vec()),
        ("str:empty", Vec::new()),
        ("str:long", b"abc".repeat(100)),
        ("str:noise", noise(3000)),
    ] {
        cmd(c, &[b"SET", k.as_bytes(), &v]);
    }
    cmd(c, &[b"SET", b"bin:\x00\xff\r\n", b"\x00\x01\x02"]);
    cmd(c, &[b"SET", b"str:exp", b"v", b"PXAT", far.as_bytes()]);
    push_all(
        c,
        &[b"RPUSH", b"list:small"],
        &[
            b"a".to_vec(),
            b"b".to_vec(),
            b"1".to_vec(),
            b"-70000".to_vec(),
            Vec::new(),
        ],
    );
    push_all(
        c,
        &[b"RPUSH", b"list:big"],
        &ints(3000, |i| format!("element-{i}")),
    );
    push_all(
        c,
        &[b"RPUSH", b"list:bigelem"],
        &[b"x".repeat(20_000), b"y".to_vec(), b"z".repeat(100)],
    );
    push_all(
        c,
        &[b"RPUSH", b"list:ints"],
        &ints(200, |i| (i as i64 * 997 - 50_000).to_string()),
    );
    push_all(
        c,
        &[b"HSET", b"hash:small"],
        &[
            b"f".to_vec(),
            b"v".to_vec(),
            b"n".to_vec(),
            b"42".to_vec(),
            b"e".to_vec(),
            Vec::new(),
        ],
    );
    push_all(
        c,
        &[b"HSET", b"hash:bigvalue"],
        &[b"f".to_vec(), b"v".repeat(100)],
    );
    push_all(
        c,
        &[b"HSET", b"hash:many"],
        &ints(2000, |i| format!("f{}", i / 2 * 2 + i % 2 * 1_000_001)),
    );
    push_all(
        c,
        &[b"SADD", b"set:ints"],
        &ints(20, |i| (i as i64 * 3 - 30).to_string()),
    );
    push_all(
        c,
        &[b"SADD", b"set:wide"],
        &[b"1".to_vec(), b"1099511627776".to_vec(), b"-5".to_vec()],
    );
    push_all(
        c,
        &[b"SADD", b"set:manyints"],
        &ints(1000, |i| i.to_string()),
    );
    push_all(
        c,
        &[b"SADD", b"set:strings"],
        &[b"a".to_vec(), b"b".to_vec(), b"1".to_vec()],
    );
    cmd(
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
            b"3",
            b"g",
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
    cmd(
        c,
        &[
            b"ZADD",
            b"zset:longmember",
            b"1",
            &b"m".repeat(100),
            b"2",
            b"x",
        ],
    );
    for k in ["list:small", "hash:small", "zset:many", "set:ints"] {
        cmd(c, &[b"PEXPIREAT", k.as_bytes(), far.as_bytes()]);
    }
    cmd(c, &[b"SELECT", b"1"]);
    cmd(c, &[b"SET", b"k1", b"one"]);
    cmd(c, &[b"SADD", b"s1", b"x", b"y"]);
    cmd(c, &[b"SELECT", b"9"]);
    cmd(c, &[b"HSET", b"h9", b"a", b"1"]);
    cmd(c, &[b"PEXPIREAT", b"h9", far.as_bytes()]);
    if streams {
        cmd(c, &[b"SELECT", b"0"]);
        for i in 0..120 {
            let id = format!("{}-{}", 1000 + i / 3, i % 3);
            if i % 10 == 7 {
                cmd(
                    c,
                    &[
                        b"XADD",
                        b"stream",
                        id.as_bytes(),
                        b"other",
                        b"field",
                        b"n",
                        i.to_string().as_bytes(),
                    ],
                );
            } else {
                cmd(
                    c,
                    &[
                        b"XADD",
                        b"stream",
                        id.as_bytes(),
                        b"a",
                        b"1",
                        b"b",
                        i.to_string().as_bytes(),
                    ],
                );
            }
        }
        cmd(c, &[b"XDEL", b"stream", b"1005-1", b"1010-0"]);
        cmd(c, &[b"XGROUP", b"CREATE", b"stream", b"g", b"0"]);
        cmd(
            c,
            &[
                b"XREADGROUP",
                b"GROUP",
                b"g",
                b"alice",
                b"COUNT",
                b"3",
                b"STREAMS",
                b"stream",
                b">",
            ],
        );
        cmd(
            c,
            &[
                b"XREADGROUP",
                b"GROUP",
                b"g",
                b"bob",
                b"COUNT",
                b"2",
                b"STREAMS",
                b"stream",
                b">",
            ],
        );
        cmd(c, &[b"XGROUP", b"CREATE", b"stream", b"g2", b"$"]);
        cmd(
            c,
            &[b"XGROUP", b"CREATECONSUMER", b"stream", b"g2", b"carol"],
        );
    }
    cmd(c, &[b"SELECT", b"0"]);
}

/// What one key holds, in a form both servers and the library produce alike.
#[derive(Debug, Clone, PartialEq)]
enum Content {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    Set(Vec<Vec<u8>>),
    ZSet(Vec<(Vec<u8>, f64)>),
    Stream(Vec<(String, Vec<Vec<u8>>)>),
}

/// A key's content, expiry (PEXPIRETIME: -1 = none) and OBJECT ENCODING.
#[derive(Debug, Clone, PartialEq)]
struct KeyState {
    content: Content,
    expire_ms: i64,
    encoding: String,
}

fn bytes_list(r: Reply) -> Vec<Vec<u8>> {
    r.items().iter().map(Reply::bytes).collect()
}

fn score(text: &[u8]) -> f64 {
    std::str::from_utf8(text).unwrap().parse().unwrap()
}

/// Every key of `db` with what it holds.
fn snapshot(c: &mut redis::Connection, db: u32) -> BTreeMap<Vec<u8>, KeyState> {
    cmd(c, &[b"SELECT", db.to_string().as_bytes()]);
    let mut out = BTreeMap::new();
    for key in bytes_list(cmd(c, &[b"KEYS", b"*"])) {
        let k = key.as_slice();
        let t = cmd(c, &[b"TYPE", k]).text();
        let content = match t.as_str() {
            "string" => Content::Str(cmd(c, &[b"GET", k]).bytes()),
            "list" => Content::List(bytes_list(cmd(c, &[b"LRANGE", k, b"0", b"-1"]))),
            "hash" => {
                let flat = bytes_list(cmd(c, &[b"HGETALL", k]));
                let mut pairs: Vec<_> = flat
                    .chunks(2)
                    .map(|p| (p[0].clone(), p[1].clone()))
                    .collect();
                pairs.sort();
                Content::Hash(pairs)
            }
            "set" => {
                let mut m = bytes_list(cmd(c, &[b"SMEMBERS", k]));
                m.sort();
                Content::Set(m)
            }
            "zset" => {
                let flat = bytes_list(cmd(c, &[b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"]));
                Content::ZSet(
                    flat.chunks(2)
                        .map(|p| (p[0].clone(), score(&p[1])))
                        .collect(),
                )
            }
            "stream" => Content::Stream(
                cmd(c, &[b"XRANGE", k, b"-", b"+"])
                    .items()
                    .iter()
                    .map(|e| {
                        let e = e.items();
                        (e[0].text(), bytes_list(e[1].clone()))
                    })
                    .collect(),
            ),
            other => panic!("unexpected type {other}"),
        };
        let expire_ms = cmd(c, &[b"PEXPIRETIME", k]).int();
        let encoding = cmd(c, &[b"OBJECT", b"ENCODING", k]).text();
        out.insert(
            key,
            KeyState {
                content,
                expire_ms,
                encoding,
            },
        );
    }
    cmd(c, &[b"SELECT", b"0"]);
    out
}

fn snapshot_all(c: &mut redis::Connection) -> Vec<BTreeMap<Vec<u8>, KeyState>> {
    DBS.iter().map(|&db| snapshot(c, db)).collect()
}

/// The library's view of a value, as `Content`.
fn content_of(v: &Payload) -> Content {
    let b = |x: &[u8]| x.to_vec();
    match v {
        Payload::Value(Value::Str(s)) => Content::Str(s.to_vec()),
        Payload::Value(Value::List(l)) => {
            Content::List(l.iter().map(|e| e.to_bytes().to_vec()).collect())
        }
        Payload::Value(Value::Hash(h)) => {
            let mut p: Vec<_> = h.iter().map(|(f, v)| (b(f), b(v))).collect();
            p.sort();
            Content::Hash(p)
        }
        Payload::Value(Value::Set(s)) => {
            let mut m: Vec<Vec<u8>> = s
                .iter()
                .map(|m: Member<'_>| m.to_bytes().to_vec())
                .collect();
            m.sort();
            Content::Set(m)
        }
        Payload::Value(Value::ZSet(z)) => Content::ZSet(z.iter().map(|(m, s)| (b(m), s)).collect()),
        Payload::Value(Value::Stream(v)) => stream_content(&tessera::rdb::stream_to_data(v)),
        Payload::Stream(s) => stream_content(s),
    }
}

/// A stream's entries as `Content`.
fn stream_content(s: &tessera::rdb::StreamData) -> Content {
    Content::Stream(
        s.entries
            .iter()
            .map(|e| {
                let flat = e
                    .fields
                    .iter()
                    .flat_map(|(f, v)| [f.to_vec(), v.to_vec()])
                    .collect();
                (format!("{}-{}", e.id.ms, e.id.seq), flat)
            })
            .collect(),
    )
}

/// Which keys' DUMP must be Redis's byte for byte: those whose encoding fixes the order. Not
/// `list:big`: Redis 7.0 closes a quicklist node when its size plus the new element's length
/// plus 8 would pass 8 KiB, while Tessera's lists split by exact sizes (and convert as 7.2
/// does), so a list of several nodes splits at other places and its payload differs (the values
/// it loads to do not).
fn dump_is_deterministic(key: &[u8]) -> bool {
    let k = String::from_utf8_lossy(key);
    k != "list:big" && (k.starts_with("str:") || k.starts_with("list:") || k.starts_with("bin:"))
        || ["set:ints", "set:wide", "zset:small", "hash:small"].contains(&k.as_ref())
}

#[test]
fn redis_dumps_restore_into_tessera_and_tessera_dumps_restore_into_redis() {
    let redis = TestServer::start_redis();
    let tessera = TestServer::start();
    let back = TestServer::redis_builder()
        .args(&["--sanitize-dump-payload", "yes"])
        .start();
    let (mut r, mut t, mut b) = (redis.client(), tessera.client(), back.client());
    populate(&mut r, true);
    let want = snapshot_all(&mut r);

    // Redis -> Tessera, half of the keys with their absolute expiry, half with a relative TTL.
    for (i, &db) in DBS.iter().enumerate() {
        let dbs = db.to_string();
        cmd(&mut r, &[b"SELECT", dbs.as_bytes()]);
        cmd(&mut t, &[b"SELECT", dbs.as_bytes()]);
        for (n, (key, state)) in want[i].iter().enumerate() {
            let payload = cmd(&mut r, &[b"DUMP", key]).bytes();
            let reply = if state.expire_ms > 0 && n % 2 == 1 {
                let ttl = cmd(&mut r, &[b"PTTL", key]).int().to_string();
                run_args(&mut t, &[&b"RESTORE"[..], key, ttl.as_bytes(), &payload])
            } else {
                let at = state.expire_ms.max(0).to_string();
                run_args(
                    &mut t,
                    &[&b"RESTORE"[..], key, at.as_bytes(), &payload, b"ABSTTL"],
                )
            };
            assert_eq!(reply, ok(), "RESTORE {}", key.escape_ascii());
            let again = run_args(&mut t, &[&b"RESTORE"[..], key, b"0", &payload]);
            assert_eq!(again, err("BUSYKEY Target key name already exists."));
        }
    }
    let got = snapshot_all(&mut t);
    for (i, db) in DBS.iter().enumerate() {
        let want_db = want[i].clone();
        assert_eq!(
            got[i].keys().collect::<Vec<_>>(),
            want_db.keys().collect::<Vec<_>>(),
            "db {db}"
        );
        for (k, w) in &want_db {
            let g = &got[i][k];
            assert_eq!(g.content, w.content, "db {db} key {}", k.escape_ascii());
            assert_eq!(g.encoding, w.encoding, "db {db} key {}", k.escape_ascii());
            if w.expire_ms > 0 {
                // A relative TTL was read and applied a few milliseconds apart.
                assert!(
                    (g.expire_ms - w.expire_ms).abs() < 2_000,
                    "key {}: {} vs {}",
                    k.escape_ascii(),
                    g.expire_ms,
                    w.expire_ms
                );
            } else {
                assert_eq!(g.expire_ms, -1);
            }
        }
    }

    // Tessera -> Redis (with deep sanitisation of every payload).
    let mut differ = Vec::new();
    for (i, &db) in DBS.iter().enumerate() {
        let dbs = db.to_string();
        cmd(&mut t, &[b"SELECT", dbs.as_bytes()]);
        cmd(&mut r, &[b"SELECT", dbs.as_bytes()]);
        cmd(&mut b, &[b"SELECT", dbs.as_bytes()]);
        for (key, state) in &got[i] {
            let payload = cmd(&mut t, &[b"DUMP", key]).bytes();
            if dump_is_deterministic(key) {
                let theirs = cmd(&mut r, &[b"DUMP", key]).bytes();
                if payload != theirs {
                    differ.push(String::from_utf8_lossy(key).into_owned());
                }
            }
            let at = state.expire_ms.max(0).to_string();
            let reply = run_args(
                &mut b,
                &[&b"RESTORE"[..], key, at.as_bytes(), &payload, b"ABSTTL"],
            );
            assert_eq!(reply, ok(), "RESTORE {} on Redis", key.escape_ascii());
        }
    }
    assert_eq!(snapshot_all(&mut b), got);
    assert!(
        differ.is_empty(),
        "DUMP payloads differ from Redis's for {differ:?}"
    );
}

/// Starts stock Redis with the dataset and saves it; returns the server and its file.
fn redis_with_saved_file() -> (TestServer, std::path::PathBuf) {
    let redis = TestServer::redis_builder()
        .args(&["--rdbcompression", "no"])
        .start();
    let mut c = redis.client();
    populate(&mut c, true);
    cmd(&mut c, &[b"SAVE"]);
    let path = redis.dir().join("dump.rdb");
    assert!(path.exists());
    (redis, path)
}

fn keep_streams() -> ReadOptions {
    ReadOptions {
        keep_streams: true,
        ..ReadOptions::default()
    }
}

/// The library's entries of `db`, as `(content, expiry)` per key.
fn entries_of(entries: &[KeyEntry], db: u32) -> BTreeMap<Vec<u8>, (Content, i64)> {
    entries
        .iter()
        .filter(|e| e.db == u64::from(db))
        .map(|e| {
            (
                e.key.to_vec(),
                (content_of(&e.value), e.expire_ms.unwrap_or(-1)),
            )
        })
        .collect()
}

#[test]
fn a_file_saved_by_redis_reads_back_as_redis_holds_it() {
    let (redis, path) = redis_with_saved_file();
    let mut c = redis.client();
    let want = snapshot_all(&mut c);
    let (aux, entries) = read_all(File::open(&path).unwrap(), keep_streams()).unwrap();
    assert_eq!(aux.redis_ver.as_deref(), Some("7.0.15"));
    assert_eq!(aux.redis_bits, Some(64));
    assert!(aux.ctime.is_some() && aux.used_mem.is_some());
    for (i, &db) in DBS.iter().enumerate() {
        let got = entries_of(&entries, db);
        let want: BTreeMap<_, _> = want[i]
            .iter()
            .map(|(k, s)| (k.clone(), (s.content.clone(), s.expire_ms)))
            .collect();
        assert_eq!(got, want, "db {db}");
    }
    // The stream's groups, pending entries and consumers, as XINFO and XPENDING show them.
    let stream = entries
        .iter()
        .find_map(|e| match &e.value {
            Payload::Stream(s) if &e.key[..] == b"stream" => Some(s.clone()),
            _ => None,
        })
        .unwrap();
    check_stream_against_redis(&mut c, &stream);
}

fn check_stream_against_redis(c: &mut redis::Connection, s: &StreamData) {
    assert_eq!(cmd(c, &[b"XLEN", b"stream"]).int() as u64, s.length);
    assert_eq!(s.groups.len(), 2);
    let g = &s.groups[0];
    assert_eq!(&g.name[..], b"g");
    let summary = cmd(c, &[b"XPENDING", b"stream", b"g"]).items();
    assert_eq!(summary[0].int() as usize, g.pending.len());
    let consumers: Vec<(String, usize)> = g
        .consumers
        .iter()
        .map(|c| {
            (
                String::from_utf8_lossy(&c.name).into_owned(),
                c.pending.len(),
            )
        })
        .collect();
    assert_eq!(
        consumers,
        [("alice".to_string(), 3), ("bob".to_string(), 2)]
    );
    let info = cmd(c, &[b"XINFO", b"STREAM", b"stream"]).items();
    let field = |name: &str| {
        info.iter()
            .position(|r| matches!(r, Reply::Bulk(b) if b == name.as_bytes()))
            .map(|i| info[i + 1].clone())
            .unwrap()
    };
    assert_eq!(
        field("last-generated-id").text(),
        format!("{}-{}", s.last_id.ms, s.last_id.seq)
    );
    assert_eq!(field("entries-added").int() as u64, s.entries_added);
    assert_eq!(
        field("max-deleted-entry-id").text(),
        format!(
            "{}-{}",
            s.max_deleted_entry_id.ms, s.max_deleted_entry_id.seq
        )
    );
    assert_eq!(s.groups[1].consumers.len(), 1);
    assert_eq!(&s.groups[1].consumers[0].name[..], b"carol");
}

#[test]
fn a_file_written_by_tessera_loads_in_redis() {
    let (redis, path) = redis_with_saved_file();
    let mut c = redis.client();
    let want = snapshot_all(&mut c);
    let xpending = pending_without_idle(&mut c);
    let xinfo = cmd(&mut c, &[b"XINFO", b"GROUPS", b"stream"]);
    let (_, entries) = read_all(File::open(&path).unwrap(), keep_streams()).unwrap();

    // Write what was read, database by database, with our writer.
    let builder = TestServer::redis_builder().args(&["--sanitize-dump-payload", "yes"]);
    let file = builder.dir().join("dump.rdb");
    let aux = AuxFields {
        redis_ver: Some("7.0.15".into()),
        redis_bits: Some(64),
        ctime: Some(now_ms() / 1000),
        used_mem: Some(1 << 20),
        aof_base: Some(false),
        ..AuxFields::default()
    };
    let mut w =
        RdbWriter::new(File::create(&file).unwrap(), WriteOptions::default(), &aux).unwrap();
    for db in DBS {
        let keys: Vec<&KeyEntry> = entries.iter().filter(|e| e.db == u64::from(db)).collect();
        let volatile = keys.iter().filter(|e| e.expire_ms.is_some()).count();
        w.select_db(u64::from(db), keys.len() as u64, volatile as u64)
            .unwrap();
        for e in keys {
            match &e.value {
                Payload::Value(v) => w.write_entry(&e.key, v, e.expire_ms).unwrap(),
                Payload::Stream(s) => w.write_stream_entry(&e.key, s, e.expire_ms).unwrap(),
            }
        }
    }
    w.finish().unwrap().sync_all().unwrap();

    let check = run_tool(
        "redis-check-rdb",
        &[file.to_str().unwrap()],
        Duration::from_secs(30),
    );
    assert!(
        check.status.success() && check.stdout.contains("RDB looks OK"),
        "{check:?}"
    );

    let loaded = builder.start();
    let mut l = loaded.client();
    assert_eq!(snapshot_all(&mut l), want);
    assert_eq!(pending_without_idle(&mut l), xpending);
    assert_eq!(cmd(&mut l, &[b"XINFO", b"GROUPS", b"stream"]), xinfo);
}

/// XPENDING's extended form for group `g`, without the idle times (which grow as the test
/// runs): (ID, consumer, delivery count).
fn pending_without_idle(c: &mut redis::Connection) -> Vec<(String, String, i64)> {
    cmd(c, &[b"XPENDING", b"stream", b"g", b"-", b"+", b"10"])
        .items()
        .iter()
        .map(|e| {
            let e = e.items();
            (e[0].text(), e[1].text(), e[3].int())
        })
        .collect()
}

#[test]
fn corrupt_files_are_clear_errors_and_never_panic() {
    let (_redis, path) = redis_with_saved_file();
    let good = std::fs::read(&path).unwrap();
    assert!(read_all(&good[..], keep_streams()).is_ok());

    for cut in (0..good.len())
        .step_by(good.len() / 150)
        .chain([good.len() - 1, good.len() - 8])
    {
        let e = read_all(&good[..cut], keep_streams()).unwrap_err();
        assert!(e.is_truncation(), "cut at {cut}: {e}");
        assert_eq!(e.offset, cut as u64, "cut at {cut}");
    }

    let mut magic = good.clone();
    magic[..5].copy_from_slice(b"REDIX");
    assert!(matches!(
        read_all(&magic[..], keep_streams()).unwrap_err().kind,
        RdbErrorKind::BadMagic
    ));

    let mut crc = good.clone();
    let n = crc.len();
    crc[n - 3] ^= 0xff;
    let e = read_all(&crc[..], keep_streams()).unwrap_err();
    assert!(e.to_string().contains("RDB CRC error"), "{e}");

    // The listpack of hash:small follows its key: corrupt its first entry's encoding byte.
    let at = good.windows(10).position(|w| w == b"hash:small").unwrap();
    let blob = at + 10 + 1; // the key, then a one-byte length (the blob is short)
    assert_eq!(
        good[blob + 4..blob + 6],
        [6, 0],
        "six elements: three pairs"
    );
    let mut lp = good.clone();
    lp[blob + 6] = 0xf7;
    let e = read_all(&lp[..], keep_streams()).unwrap_err();
    assert_eq!(e.offset, blob as u64 - 1);
    assert!(
        e.to_string()
            .contains("listpack byte 6: invalid entry encoding"),
        "{e}"
    );

    // Flip bytes all over the file; with the checksum off every decoder sees the damage.
    let lax = ReadOptions {
        verify_checksum: false,
        ..keep_streams()
    };
    let flips = [0x01, 0x80, 0xff];
    for (n, i) in (9..good.len() - 9).step_by(good.len() / 700).enumerate() {
        let mut bad = good.clone();
        bad[i] ^= flips[n % flips.len()];
        let _ = read_all(&bad[..], lax);
    }
}

#[test]
fn corrupt_restore_payloads_never_bring_tessera_down() {
    let tessera = TestServer::start();
    let mut t = tessera.client();
    populate(&mut t, false);
    let keys = bytes_list(cmd(&mut t, &[b"KEYS", b"*"]));
    let mut restored = 0;
    for key in &keys {
        let payload = cmd(&mut t, &[b"DUMP", key]).bytes();
        let body = payload.len() - 10;
        let flips = [0x01, 0x40, 0xff];
        for (n, i) in (0..body).step_by((body / 30).max(1)).enumerate() {
            let mut bad = payload.clone();
            bad[i] ^= flips[n % flips.len()];
            let crc = tessera::rdb::crc64(&bad[..bad.len() - 8]);
            let n = bad.len();
            bad[n - 8..].copy_from_slice(&crc.to_le_bytes());
            match run_args(
                &mut t,
                &[&b"RESTORE"[..], b"target", b"0", &bad, b"REPLACE"],
            ) {
                Reply::Status(s) if s == "OK" => restored += 1,
                Reply::Error(e) => assert_eq!(e, "ERR Bad data format"),
                other => panic!("{other:?}"),
            }
        }
        let mut unsealed = payload.clone();
        unsealed[0] ^= 1;
        let reply = run_args(
            &mut t,
            &[&b"RESTORE"[..], b"target", b"0", &unsealed, b"REPLACE"],
        );
        assert_eq!(reply, err("ERR DUMP payload version or checksum are wrong"));
    }
    assert!(restored > 0, "some flips leave a valid value");
    assert_eq!(run(&mut t, "PING"), status("PONG"));
}

//! RDB and DUMP/RESTORE against stock Redis 7.0: payloads and files go both ways, and corrupt
//! input is a clear error.
//!
//! - DUMP on stock Redis, RESTORE on Tessera, and back: the values, stream groups, encodings
//!   and expiry times match, and for compact encodings Tessera's DUMP is Redis's byte for byte.
//! - A file saved by stock Redis read by `tessera::rdb` matches what Redis holds; a file written
//!   by `tessera::rdb` passes `redis-check-rdb` and loads in stock Redis (with deep payload
//!   sanitisation) to the same data.
//! - Truncated files, a wrong signature, a bad checksum and a corrupt listpack give errors that
//!   name their offset; flipped bytes never panic the reader, and corrupt RESTORE payloads
//!   never bring Tessera down.
//!
//! The dataset is the harness's `populate`: every type in each of its encodings, all 16
//! databases, binary keys, expiry times and a stream with consumer groups. What the library
//! reads from a file is turned into the harness's `KeyState` form, so files and servers compare
//! alike.

mod common;

use std::collections::BTreeMap;
use std::fs::File;
use std::time::Duration;

use common::*;
use tessera::rdb::{
    read_all, stream_to_data, AuxFields, KeyEntry, Payload, RdbErrorKind, RdbWriter, ReadOptions,
    StreamData, WriteOptions,
};
use tessera::storage::value::Value;

fn select(c: &mut redis::Connection, db: u32) {
    must(c, &[b"SELECT", db.to_string().as_bytes()]);
}

/// The keys (of DB 0) whose DUMP must be Redis's byte for byte, with the encoding `populate`
/// gives each in Redis 7.0: those whose encoding fixes the order. Not `list:big`: Redis 7.0
/// closes a quicklist node when its size plus the new element's length plus 8 would pass 8 KiB,
/// while Tessera's lists split by exact sizes (and convert as 7.2 does), so a list of several
/// nodes splits at other places and its payload differs (the values it loads to do not).
const BYTE_FOR_BYTE: [(&[u8], &str); 17] = [
    (b"str:int", "int"),
    (b"str:bigint", "int"),
    (b"str:neg", "int"),
    (b"str:zeros", "embstr"),
    (b"str:short", "embstr"),
    (b"str:empty", "embstr"),
    (b"str:exp", "embstr"),
    (b"str:long", "raw"),
    (b"str:noise", "raw"),
    (b"bin:\x00\xff\r\n", "embstr"),
    (b"list:small", "quicklist"),
    (b"list:bigelem", "quicklist"),
    (b"list:ints", "quicklist"),
    (b"set:ints", "intset"),
    (b"set:wide", "intset"),
    (b"zset:small", "listpack"),
    (b"hash:small", "listpack"),
];

fn byte_for_byte(db: u32, key: &[u8]) -> bool {
    db == 0 && BYTE_FOR_BYTE.iter().any(|(k, _)| *k == key)
}

/// A score as Redis 7.0 writes it in a reply: C's `%.17g`, which also gives `inf` and `-inf`.
fn score_text(d: f64) -> Vec<u8> {
    let mut buf = [0u8; 32];
    // SAFETY: snprintf writes at most `buf.len()` bytes, the NUL included, and reads only `d`.
    let n = unsafe { libc::snprintf(buf.as_mut_ptr().cast(), buf.len(), c"%.17g".as_ptr(), d) };
    buf[..n as usize].to_vec()
}

/// A stream's entries in `KeyState` form: each ID, then its fields and values.
fn stream_entries(s: &StreamData) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for e in &s.entries {
        out.push(format!("{}-{}", e.id.ms, e.id.seq).into_bytes());
        out.extend(e.fields.iter().flat_map(|(f, v)| [f.to_vec(), v.to_vec()]));
    }
    out
}

/// What the library read for one key, as `dataset` reads it from a server. A stream's groups
/// are left out: `check_stream_against_redis` compares them with what XINFO shows.
fn state_of(e: &KeyEntry) -> KeyState {
    let (kind, value) = match &e.value {
        Payload::Value(Value::Str(s)) => ("string", vec![s.to_vec()]),
        Payload::Value(Value::List(l)) => {
            ("list", l.iter().map(|e| e.to_bytes().to_vec()).collect())
        }
        Payload::Value(Value::Hash(h)) => {
            let mut pairs: Vec<_> = h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
            pairs.sort();
            (
                "hash",
                pairs.into_iter().flat_map(|(f, v)| [f, v]).collect(),
            )
        }
        Payload::Value(Value::Set(s)) => {
            let mut members: Vec<_> = s.iter().map(|m| m.to_bytes().to_vec()).collect();
            members.sort();
            ("set", members)
        }
        Payload::Value(Value::ZSet(z)) => (
            "zset",
            z.iter()
                .flat_map(|(m, s)| [m.to_vec(), score_text(s)])
                .collect(),
        ),
        Payload::Value(Value::Stream(v)) => ("stream", stream_entries(&stream_to_data(v))),
        Payload::Stream(s) => ("stream", stream_entries(s)),
    };
    KeyState {
        kind: kind.to_string(),
        value,
        groups: Vec::new(),
        expire_ms: e.expire_ms.unwrap_or(-1),
        encoding: None,
    }
}

/// The library's entries as a `Dataset`.
fn file_dataset(entries: &[KeyEntry]) -> Dataset {
    entries
        .iter()
        .map(|e| ((e.db as u32, e.key.to_vec()), state_of(e)))
        .collect()
}

#[test]
fn redis_dumps_restore_into_tessera_and_tessera_dumps_restore_into_redis() {
    let redis = TestServer::start_redis();
    let tessera = TestServer::start();
    let back = TestServer::redis_builder()
        .args(&["--sanitize-dump-payload", "yes"])
        .start();
    let (mut r, mut t, mut b) = (redis.client(), tessera.client(), back.client());
    populate(&mut r);
    let want = dataset_with_encodings(&mut r);
    // So that no change to `populate` drops an encoding from the byte-for-byte comparison.
    for (key, encoding) in BYTE_FOR_BYTE {
        let state = &want[&(0, key.to_vec())];
        assert_eq!(
            state.encoding.as_deref(),
            Some(encoding),
            "{}",
            key.escape_ascii()
        );
    }

    // Redis -> Tessera, half of the keys with their absolute expiry, half with a relative TTL.
    for (n, ((db, key), state)) in want.iter().enumerate() {
        select(&mut r, *db);
        select(&mut t, *db);
        let payload = must(&mut r, &[b"DUMP", key]).bytes();
        let reply = if state.expire_ms > 0 && n % 2 == 1 {
            let ttl = must(&mut r, &[b"PTTL", key]).int().to_string();
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
    let got = dataset_with_encodings(&mut t);
    // A relative TTL was read and applied a few milliseconds apart.
    let mut aligned = got.clone();
    for (k, g) in aligned.iter_mut() {
        let w = want.get(k).map_or(-1, |w| w.expire_ms);
        if w > 0 && (g.expire_ms - w).abs() < 2_000 {
            g.expire_ms = w;
        }
    }
    assert_same_dataset(&aligned, &want);

    // Tessera -> Redis (with deep sanitisation of every payload).
    let mut differ = Vec::new();
    for ((db, key), state) in &got {
        for c in [&mut t, &mut r, &mut b] {
            select(c, *db);
        }
        let payload = must(&mut t, &[b"DUMP", key]).bytes();
        if byte_for_byte(*db, key) && payload != must(&mut r, &[b"DUMP", key]).bytes() {
            differ.push(String::from_utf8_lossy(key).into_owned());
        }
        let at = state.expire_ms.max(0).to_string();
        let reply = run_args(
            &mut b,
            &[&b"RESTORE"[..], key, at.as_bytes(), &payload, b"ABSTTL"],
        );
        assert_eq!(reply, ok(), "RESTORE {} on Redis", key.escape_ascii());
    }
    assert_same_dataset(&dataset_with_encodings(&mut b), &got);
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
    populate(&mut c);
    must(&mut c, &[b"SAVE"]);
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

#[test]
fn a_file_saved_by_redis_reads_back_as_redis_holds_it() {
    let (redis, path) = redis_with_saved_file();
    let mut c = redis.client();
    let mut want = dataset(&mut c);
    let (aux, entries) = read_all(File::open(&path).unwrap(), keep_streams()).unwrap();
    assert_eq!(aux.redis_ver.as_deref(), Some("7.0.15"));
    assert_eq!(aux.redis_bits, Some(64));
    assert!(aux.ctime.is_some() && aux.used_mem.is_some());
    // Stream groups are compared on their own, below.
    want.values_mut().for_each(|s| s.groups.clear());
    assert_same_dataset(&file_dataset(&entries), &want);
    // The stream's groups, pending entries and consumers, as XINFO and XPENDING show them.
    let stream = entries
        .iter()
        .find_map(|e| match &e.value {
            Payload::Stream(s) if e.db == 9 && &e.key[..] == b"stream" => Some(s.clone()),
            _ => None,
        })
        .unwrap();
    select(&mut c, 9);
    check_stream_against_redis(&mut c, &stream);
}

fn check_stream_against_redis(c: &mut redis::Connection, s: &StreamData) {
    assert_eq!(must(c, &[b"XLEN", b"stream"]).int() as u64, s.length);
    assert_eq!(s.groups.len(), 2);
    let g = &s.groups[0];
    assert_eq!(&g.name[..], b"g1");
    let summary = must(c, &[b"XPENDING", b"stream", b"g1"]).items();
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
    // Alice acknowledged one of her three entries.
    assert_eq!(
        consumers,
        [("alice".to_string(), 2), ("bob".to_string(), 2)]
    );
    let info = must(c, &[b"XINFO", b"STREAM", b"stream"]).items();
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

/// Reading the file back through a stock Redis compares the stream groups (XINFO GROUPS, and
/// XPENDING without idle times) too.
#[test]
fn a_file_written_by_tessera_loads_in_redis() {
    let (redis, path) = redis_with_saved_file();
    let want = dataset_with_encodings(&mut redis.client());
    let (_, entries) = read_all(File::open(&path).unwrap(), keep_streams()).unwrap();

    // Write what was read, database by database, with our writer.
    let builder = TestServer::redis_builder().args(&["--sanitize-dump-payload", "yes"]);
    let file = builder.dir().join("dump.rdb");
    let aux = AuxFields {
        redis_ver: Some("7.0.15".into()),
        redis_bits: Some(64),
        ctime: Some(unix_secs()),
        used_mem: Some(1 << 20),
        aof_base: Some(false),
        ..AuxFields::default()
    };
    let mut w =
        RdbWriter::new(File::create(&file).unwrap(), WriteOptions::default(), &aux).unwrap();
    let mut dbs: BTreeMap<u64, Vec<&KeyEntry>> = BTreeMap::new();
    for e in &entries {
        dbs.entry(e.db).or_default().push(e);
    }
    for (db, keys) in dbs {
        let volatile = keys.iter().filter(|e| e.expire_ms.is_some()).count();
        w.select_db(db, keys.len() as u64, volatile as u64).unwrap();
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
    assert_same_dataset(&dataset_with_encodings(&mut loaded.client()), &want);
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
    populate(&mut t);
    let mut restored = 0;
    for (db, key) in dataset(&mut t).into_keys() {
        select(&mut t, db);
        let payload = must(&mut t, &[b"DUMP", &key]).bytes();
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

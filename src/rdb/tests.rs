//! Round trips through the writer and the reader, the legacy encodings only the reader knows,
//! and corrupt files.

use bytes::Bytes;

use super::format::types;
use super::output::Output;
use super::*;
use crate::storage::db::{Db, Entry};
use crate::storage::hash::HashValue;
use crate::storage::keyspace::Keyspace;
use crate::storage::list::{End, Fill, ListValue};
use crate::storage::set::SetValue;
use crate::storage::value::Value;
use crate::storage::zset::{Limits, ZSetValue};

fn b(s: impl AsRef<[u8]>) -> Bytes {
    Bytes::copy_from_slice(s.as_ref())
}

fn list(items: &[Bytes]) -> Value {
    let mut l = ListValue::new();
    l.push_all(End::Tail, items, Fill(-2));
    Value::List(Box::new(l))
}

fn hash(pairs: impl IntoIterator<Item = (Bytes, Bytes)>) -> Value {
    let mut h = HashValue::new();
    for (f, v) in pairs {
        h.set(&f, &v);
    }
    Value::Hash(h)
}

fn set(members: impl IntoIterator<Item = Bytes>) -> Value {
    let mut s = SetValue::new();
    for m in members {
        s.insert(&m);
    }
    Value::Set(Box::new(s))
}

fn zset(pairs: impl IntoIterator<Item = (Bytes, f64)>) -> Value {
    Value::ZSet(Box::new(ZSetValue::from_pairs(
        pairs.into_iter().collect(),
        Limits::live(),
    )))
}

/// One value of every type in each of its encodings, named by what they exercise.
fn samples() -> Vec<(&'static str, Value, &'static str)> {
    let many = |n: usize, f: fn(usize) -> String| (0..n).map(f).map(b).collect::<Vec<_>>();
    vec![
        ("str-int", Value::Str(b("12345").into()), "int"),
        (
            "str-big-int",
            Value::Str(b("9223372036854775807").into()),
            "int",
        ),
        ("str-short", Value::Str(b("hello").into()), "embstr"),
        ("str-empty", Value::Str(b("").into()), "embstr"),
        (
            "str-binary",
            Value::Str(b(b"\x00\xff\r\n").into()),
            "embstr",
        ),
        ("str-long", Value::Str(b("x".repeat(10_000)).into()), "raw"),
        (
            "str-noise",
            Value::Str(
                Bytes::from(
                    (0..5000u32)
                        .map(|i| (i * 7919 % 251) as u8)
                        .collect::<Vec<_>>(),
                )
                .into(),
            ),
            "raw",
        ),
        (
            "list-small",
            list(&[b("a"), b("1"), b("-70000"), b("")]),
            "quicklist",
        ),
        (
            "list-big",
            list(&many(5000, |i| format!("element-{i}"))),
            "quicklist",
        ),
        (
            "list-huge-element",
            list(&[b("y".repeat(20_000)), b("z")]),
            "quicklist",
        ),
        (
            "hash-small",
            hash([(b("f"), b("v")), (b("n"), b("42"))]),
            "listpack",
        ),
        (
            "hash-long-value",
            hash([(b("f"), b("v".repeat(100)))]),
            "hashtable",
        ),
        (
            "hash-many",
            hash(
                many(600, |i| format!("f{i}"))
                    .into_iter()
                    .zip(many(600, |i| i.to_string())),
            ),
            "hashtable",
        ),
        (
            "set-ints",
            set(many(10, |i| (i as i64 * 100_000 - 300_000).to_string())),
            "intset",
        ),
        (
            "set-wide-ints",
            set([b("1"), b("9223372036854775807")]),
            "intset",
        ),
        (
            "set-many-ints",
            set(many(600, |i| i.to_string())),
            "hashtable",
        ),
        ("set-strings", set([b("a"), b("b"), b("1")]), "hashtable"),
        (
            "zset-small",
            zset([
                (b("a"), 1.5),
                (b("b"), -2.0),
                (b("c"), f64::INFINITY),
                (b("7"), 1e300),
            ]),
            "listpack",
        ),
        (
            "zset-many",
            zset(
                many(300, |i| format!("m{i}"))
                    .into_iter()
                    .enumerate()
                    .map(|(i, m)| (m, i as f64 / 3.0)),
            ),
            "skiplist",
        ),
        (
            "zset-long-member",
            zset([(b("m".repeat(100)), 0.0), (b("x"), f64::NEG_INFINITY)]),
            "skiplist",
        ),
    ]
}

/// A key, its value and its expiry.
type Key = (Bytes, Value, Option<i64>);

fn write_file(dbs: &[(u64, Vec<Key>)], opts: WriteOptions) -> Vec<u8> {
    let aux = AuxFields {
        redis_ver: Some("7.0.15".into()),
        redis_bits: Some(64),
        ctime: Some(1_700_000_000),
        used_mem: Some(1_000_000),
        repl_stream_db: Some(0),
        repl_id: Some("a".repeat(40)),
        repl_offset: Some(640),
        aof_base: Some(false),
        ..AuxFields::default()
    };
    let mut w = RdbWriter::new(Vec::new(), opts, &aux).unwrap();
    for (db, keys) in dbs {
        let volatile = keys.iter().filter(|k| k.2.is_some()).count();
        w.select_db(*db, keys.len() as u64, volatile as u64)
            .unwrap();
        for (k, v, exp) in keys {
            w.write_entry(k, v, *exp).unwrap();
        }
    }
    w.finish().unwrap()
}

fn read(bytes: &[u8]) -> Result<(AuxFields, Vec<KeyEntry>), RdbError> {
    read_all(
        bytes,
        ReadOptions {
            keep_streams: true,
            ..ReadOptions::default()
        },
    )
}

#[test]
fn every_type_and_encoding_survives_a_file_round_trip() {
    for opts in [
        WriteOptions::default(),
        WriteOptions {
            compression: false,
            checksum: false,
        },
    ] {
        let keys: Vec<Key> = samples()
            .into_iter()
            .enumerate()
            .map(|(i, (name, v, _))| {
                (
                    b(name),
                    v,
                    (i % 3 == 0).then_some(1_800_000_000_000 + i as i64),
                )
            })
            .collect();
        let bytes = write_file(
            &[
                (0, keys.clone()),
                (
                    5,
                    vec![(b(b"\x00bin\xffkey"), Value::Str(b("v").into()), None)],
                ),
            ],
            opts,
        );
        assert_eq!(&bytes[..9], b"REDIS0010");
        let (aux, entries) = read(&bytes).unwrap();
        assert_eq!(aux.redis_ver.as_deref(), Some("7.0.15"));
        assert_eq!(aux.repl_offset, Some(640));
        assert_eq!(aux.repl_id, Some("a".repeat(40)));
        assert_eq!(entries.len(), keys.len() + 1);
        for ((k, v, exp), e) in keys.iter().zip(&entries) {
            assert_eq!(&e.key, k);
            assert_eq!(e.db, 0);
            assert_eq!(e.value, Payload::Value(v.clone()), "{k:?}");
            assert_eq!(e.expire_ms, *exp);
            let Payload::Value(got) = &e.value else {
                unreachable!()
            };
            assert_eq!(got.encoding_name(), v.encoding_name(), "{k:?}");
        }
        let last = entries.last().unwrap();
        assert_eq!((last.db, &last.key[..]), (5, &b"\x00bin\xffkey"[..]));
    }
}

#[test]
fn each_value_is_written_with_the_type_redis_70_writes() {
    for (name, v, encoding) in samples() {
        assert_eq!(v.encoding_name(), encoding, "{name}");
        let want = match (name.split('-').next().unwrap(), encoding) {
            ("str", _) => types::STRING,
            ("list", _) => types::LIST_QUICKLIST_2,
            ("hash", "listpack") => types::HASH_LISTPACK,
            ("hash", _) => types::HASH,
            ("set", "intset") => types::SET_INTSET,
            ("set", _) => types::SET,
            ("zset", "listpack") => types::ZSET_LISTPACK,
            _ => types::ZSET_2,
        };
        assert_eq!(value_type(&v), want, "{name}");
        let payload = dump_payload(&v, true);
        assert_eq!(payload[0], want);
        assert_eq!(
            restore_payload(&payload, 10).unwrap(),
            Payload::Value(v),
            "{name}"
        );
    }
}

#[test]
fn write_value_is_the_dump_payload_without_its_footer() {
    let v = hash([(b("a"), b("1"))]);
    let mut out = Vec::new();
    write_value(&mut out, &v, true).unwrap();
    let payload = dump_payload(&v, true);
    assert_eq!(out, payload[..payload.len() - 10]);
}

#[test]
fn keyspaces_of_several_shards_merge_into_one_file() {
    let mut a = Keyspace::new(16);
    let mut c = Keyspace::new(16);
    a.dbs[0].insert(b("k1"), Entry::new(Value::Str(b("1").into())));
    c.dbs[0].insert(b("k2"), Entry::new(Value::Str(b("2").into())));
    let mut e = Entry::new(Value::Str(b("3").into()));
    e.deadline = Some(crate::storage::clock::Deadline::at_ms(1_900_000_000_000));
    c.dbs[3].insert(b("k3"), e);
    let mut w = RdbWriter::new(Vec::new(), WriteOptions::default(), &AuxFields::default()).unwrap();
    assert_eq!(w.write_keyspaces(&[&a, &c]).unwrap(), 3);
    let bytes = w.finish().unwrap();
    let mut r = RdbReader::new(&bytes[..], ReadOptions::default()).unwrap();
    let first = r.next_entry().unwrap().unwrap();
    assert_eq!(r.resize_hint(), Some((2, 0)));
    let second = r.next_entry().unwrap().unwrap();
    let mut names = vec![first.key.clone(), second.key.clone()];
    names.sort();
    assert_eq!(names, vec![b("k1"), b("k2")]);
    let third = r.next_entry().unwrap().unwrap();
    assert_eq!((third.db, third.expire_ms), (3, Some(1_900_000_000_000)));
    assert_eq!(r.resize_hint(), Some((1, 1)));
    assert!(r.next_entry().unwrap().is_none());
    assert!(r.is_done());
    assert_eq!(r.stats().keys, 3);
    let empty: &[&Db] = &[];
    let mut w = RdbWriter::new(Vec::new(), WriteOptions::default(), &AuxFields::default()).unwrap();
    assert_eq!(w.write_db(0, empty).unwrap(), 0);
}

#[test]
fn the_source_is_left_right_after_the_trailer() {
    let mut bytes = write_file(
        &[(0, vec![(b("k"), Value::Str(b("v").into()), None)])],
        WriteOptions::default(),
    );
    bytes.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
    let mut r = RdbReader::new(&bytes[..], ReadOptions::default()).unwrap();
    while r.next_entry().unwrap().is_some() {}
    assert_eq!(r.into_inner(), b"*1\r\n$4\r\nPING\r\n");
}

// ---------------------------------------------------------------------------------------------
// Legacy encodings and what only the reader handles

/// A file of `version` holding `body` (opcodes and keys) and a correct trailer.
fn file(version: u32, body: &[u8]) -> Vec<u8> {
    let mut f = format!("REDIS{version:04}").into_bytes();
    f.extend_from_slice(body);
    f.push(0xff);
    let crc = crc64(&f);
    f.extend_from_slice(&crc.to_le_bytes());
    f
}

/// A key of `rdb_type` named `key` whose payload is `payload`.
fn key(rdb_type: u8, key: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![rdb_type];
    out.push(key.len() as u8);
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(payload);
    out
}

/// An RDB string holding `blob` (uncompressed).
fn string(blob: &[u8]) -> Vec<u8> {
    let mut o = Output::new(Vec::new(), false, false);
    o.len(blob.len() as u64).unwrap();
    o.put(blob).unwrap();
    o.into_inner().unwrap()
}

fn one_value(bytes: &[u8]) -> Value {
    let (_, mut entries) = read(bytes).unwrap();
    assert_eq!(entries.len(), 1);
    match entries.remove(0).value {
        Payload::Value(v) => v,
        Payload::Stream(_) => panic!("a stream"),
    }
}

fn items(strs: &[&str]) -> Vec<Bytes> {
    strs.iter().map(b).collect()
}

#[test]
fn plain_legacy_types_load() {
    // type 1: list of strings, type 2: set, type 3: zset with text scores, type 4: hash
    let mut body = Vec::new();
    body.extend(key(types::LIST, "l", &[2, 1, b'a', 0xc0, 7]));
    let v = one_value(&file(6, &body));
    assert_eq!(v, list(&items(&["a", "7"])));

    let v = one_value(&file(6, &key(types::SET, "s", &[2, 1, b'a', 1, b'b'])));
    assert_eq!(v, set(items(&["a", "b"])));

    let v = one_value(&file(
        6,
        &key(
            types::ZSET,
            "z",
            &[2, 1, b'a', 3, b'1', b'.', b'5', 1, b'b', 254],
        ),
    ));
    assert_eq!(v, zset([(b("a"), 1.5), (b("b"), f64::INFINITY)]));

    let v = one_value(&file(6, &key(types::HASH, "h", &[1, 1, b'f', 1, b'v'])));
    assert_eq!(v, hash([(b("f"), b("v"))]));
}

#[test]
fn ziplist_and_zipmap_types_load() {
    let zl = super::ziplist::tests::build(&[b"a", b"1", b"b", b"2"]);
    let v = one_value(&file(9, &key(types::LIST_ZIPLIST, "l", &string(&zl))));
    assert_eq!(v, list(&items(&["a", "1", "b", "2"])));
    let v = one_value(&file(9, &key(types::HASH_ZIPLIST, "h", &string(&zl))));
    assert_eq!(v, hash([(b("a"), b("1")), (b("b"), b("2"))]));
    let v = one_value(&file(9, &key(types::ZSET_ZIPLIST, "z", &string(&zl))));
    assert_eq!(v, zset([(b("a"), 1.0), (b("b"), 2.0)]));
    let zm = super::zipmap::tests::build(&[(b"f", b"v"), (b"g", b"w")]);
    let v = one_value(&file(4, &key(types::HASH_ZIPMAP, "h", &string(&zm))));
    assert_eq!(v, hash([(b("f"), b("v")), (b("g"), b("w"))]));
    // type 14: a quicklist of ziplists, with an empty node skipped
    let mut q = vec![3];
    q.extend(string(&super::ziplist::tests::build(&[b"x"])));
    q.extend(string(&super::ziplist::tests::build(&[])));
    q.extend(string(&super::ziplist::tests::build(&[b"y", b"z"])));
    let v = one_value(&file(9, &key(types::LIST_QUICKLIST, "q", &q)));
    assert_eq!(v, list(&items(&["x", "y", "z"])));
}

#[test]
fn quicklist2_plain_nodes_and_72_set_listpacks_load() {
    let mut lp = super::listpack::ListpackBuilder::new();
    lp.push_str(b"a");
    let mut q = vec![2, 1];
    q.extend(string(b"plain element"));
    q.push(2);
    q.extend(string(&lp.finish()));
    let v = one_value(&file(10, &key(types::LIST_QUICKLIST_2, "q", &q)));
    assert_eq!(v, list(&items(&["plain element", "a"])));

    let mut lp = super::listpack::ListpackBuilder::new();
    for m in ["x", "5", "y"] {
        lp.push_str(m.as_bytes());
    }
    let v = one_value(&file(
        11,
        &key(types::SET_LISTPACK, "s", &string(&lp.finish())),
    ));
    assert_eq!(v, set(items(&["x", "5", "y"])));
    assert_eq!(v.encoding_name(), "hashtable");
}

#[test]
fn opcodes_expiry_seconds_idle_freq_functions_and_modules() {
    let mut body = Vec::new();
    body.extend([0xfa, 3, b'f', b'o', b'o', 3, b'b', b'a', b'r']); // AUX foo=bar
    body.extend([0xf5]); // FUNCTION2
    body.extend(string(
        b"#!lua name=lib\nredis.register_function('f', function() return 1 end)",
    ));
    body.extend([0xf7, 0x05, 0x02, 0x02, 0x05, 0x01, b'x', 0x00]); // MODULE_AUX
    body.extend([0xfe, 0x02, 0xfb, 0x02, 0x01]); // SELECTDB 2, RESIZEDB 2 1
    body.extend([0xfd]);
    body.extend(1_000_000_000i32.to_le_bytes()); // EXPIRETIME (seconds)
    body.extend([0xf8, 0x0a, 0xf9, 0x07]); // IDLE 10, FREQ 7
    body.extend(key(types::STRING, "k", &[1, b'v']));
    body.extend(key(types::MODULE_2, "m", &[0x05, 0x02, 0x09, 0x00]));
    body.extend(key(types::SET, "empty", &[0]));
    body.extend(key(types::STRING, "k2", &[1, b'w']));
    let bytes = file(10, &body);
    let mut r = RdbReader::new(&bytes[..], ReadOptions::default()).unwrap();
    let first = r.next_entry().unwrap().unwrap();
    assert_eq!(first.db, 2);
    assert_eq!(first.expire_ms, Some(1_000_000_000_000));
    assert_eq!((first.idle_secs, first.lfu_freq), (Some(10), Some(7)));
    let second = r.next_entry().unwrap().unwrap();
    assert_eq!(second.key, b("k2"));
    assert_eq!(
        (second.expire_ms, second.idle_secs, second.lfu_freq),
        (None, None, None)
    );
    assert!(r.next_entry().unwrap().is_none());
    let stats = r.stats();
    assert_eq!(
        (
            stats.keys,
            stats.modules_skipped,
            stats.empty_skipped,
            stats.functions_skipped
        ),
        (2, 2, 1, 1)
    );
    assert_eq!(r.aux().other, vec![(b("foo"), b("bar"))]);
}

/// A type-19 stream payload with two nodes, a deleted entry, a group with a PEL and consumers.
fn sample_stream() -> StreamData {
    let id = |ms, seq| StreamId { ms, seq };
    let entry = |ms, seq, fields: &[(&str, &str)]| StreamEntry {
        id: id(ms, seq),
        fields: fields.iter().map(|(f, v)| (b(f), b(v))).collect(),
    };
    let mut entries = vec![
        entry(1, 0, &[("a", "1"), ("b", "2")]),
        entry(1, 1, &[("a", "3"), ("b", "4")]),
        entry(2, 0, &[("c", "x")]),
    ];
    for i in 0..150u64 {
        entries.push(entry(10 + i, 0, &[("a", "n"), ("b", "m")]));
    }
    StreamData {
        length: entries.len() as u64,
        entries,
        last_id: id(200, 5),
        first_id: id(1, 0),
        max_deleted_entry_id: id(1, 2),
        entries_added: 160,
        groups: vec![ConsumerGroup {
            name: b("g"),
            last_delivered_id: id(2, 0),
            entries_read: Some(3),
            pending: vec![
                PendingEntry {
                    id: id(1, 0),
                    delivery_time_ms: 1_700_000_000_000,
                    delivery_count: 2,
                },
                PendingEntry {
                    id: id(2, 0),
                    delivery_time_ms: 1_700_000_000_001,
                    delivery_count: 1,
                },
            ],
            consumers: vec![
                StreamConsumer {
                    name: b("alice"),
                    seen_time_ms: 1_700_000_000_002,
                    active_time_ms: None,
                    pending: vec![id(1, 0)],
                },
                StreamConsumer {
                    name: b("bob"),
                    seen_time_ms: 5,
                    active_time_ms: None,
                    pending: vec![id(2, 0)],
                },
            ],
        }],
    }
}

#[test]
fn streams_round_trip_in_both_forms() {
    let s = sample_stream();
    let mut w = RdbWriter::new(Vec::new(), WriteOptions::default(), &AuxFields::default()).unwrap();
    w.select_db(0, 2, 0).unwrap();
    w.write_stream_entry(b"s", &s, None).unwrap();
    w.write_entry(b"k", &Value::Str(b("v").into()), None)
        .unwrap();
    let bytes = w.finish().unwrap();
    let (_, entries) = read(&bytes).unwrap();
    assert_eq!(entries[0].value, Payload::Stream(Box::new(s.clone())));
    // By default a stream comes out as a stream value that converts back to the same data.
    let (_, entries) = read_all(&bytes[..], ReadOptions::default()).unwrap();
    assert_eq!(entries.len(), 2);
    let Payload::Value(Value::Stream(v)) = &entries[0].value else {
        panic!("a stream value, not {:?}", entries[0].value);
    };
    assert_eq!(super::stream_to_data(v), s);
    assert_eq!(entries[1].key, b("k"));
}

#[test]
fn a_72_stream_reads_its_consumers_active_time() {
    // An empty type-21 stream with one group and one consumer (seen 5, active 7), no PEL.
    let mut payload = vec![
        0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, b'g', 0, 0, 3, 0, 1, 1, b'c',
    ];
    payload.extend(5i64.to_le_bytes());
    payload.extend(7i64.to_le_bytes());
    payload.push(0);
    let v = read(&file(11, &key(types::STREAM_LISTPACKS_3, "s", &payload))).unwrap();
    let Payload::Stream(s) = &v.1[0].value else {
        panic!("not a stream")
    };
    let g = &s.groups[0];
    assert_eq!(g.entries_read, Some(3));
    assert_eq!(
        (g.consumers[0].seen_time_ms, g.consumers[0].active_time_ms),
        (5, Some(7))
    );
}

#[test]
fn stream_corruptions_are_errors() {
    let s = sample_stream();
    let mut w = RdbWriter::new(
        Vec::new(),
        WriteOptions {
            compression: false,
            checksum: true,
        },
        &AuxFields::default(),
    )
    .unwrap();
    w.select_db(0, 1, 0).unwrap();
    w.write_stream_entry(b"s", &s, None).unwrap();
    let good = w.finish().unwrap();
    // A consumer PEL entry that the group PEL lacks: bob's ID 2-0 becomes 3-0.
    let bob = good.windows(4).position(|w| w == b"\x03bob").unwrap();
    let mut bad = good.clone();
    let id_at = bob + 4 + 8 + 1 + 7; // name, seen time, PEL count, then the ms byte of the ID
    assert_eq!(bad[id_at], 2);
    bad[id_at] = 3;
    let n = bad.len();
    let crc = crc64(&bad[..n - 8]);
    bad[n - 8..].copy_from_slice(&crc.to_le_bytes());
    let e = read(&bad).unwrap_err();
    assert!(e.to_string().contains("not in the group PEL"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Corrupt files

fn good_file() -> Vec<u8> {
    write_file(
        &[(
            0,
            vec![
                (
                    b("h"),
                    hash([(b("field"), b("value")), (b("n"), b("1"))]),
                    None,
                ),
                (b("k"), Value::Str(b("v").into()), Some(5)),
            ],
        )],
        WriteOptions::default(),
    )
}

#[test]
fn every_truncation_is_an_error_naming_its_offset() {
    let good = good_file();
    for cut in 0..good.len() {
        let e = read(&good[..cut]).unwrap_err();
        assert!(e.is_truncation(), "cut at {cut}: {e}");
        assert_eq!(e.offset, cut as u64, "cut at {cut}");
    }
    assert!(read(&good).is_ok());
}

#[test]
fn wrong_magic_and_versions_are_refused() {
    let mut bad = good_file();
    bad[0] = b'X';
    assert!(matches!(
        read(&bad).unwrap_err().kind,
        RdbErrorKind::BadMagic
    ));
    let mut v12 = good_file();
    v12[5..9].copy_from_slice(b"0012");
    let e = read(&v12).unwrap_err();
    assert!(
        matches!(e.kind, RdbErrorKind::UnsupportedVersion(12)),
        "{e}"
    );
    let mut junk = good_file();
    junk[5..9].copy_from_slice(b"00x1");
    assert!(matches!(
        read(&junk).unwrap_err().kind,
        RdbErrorKind::UnsupportedVersion(0)
    ));
    let v10_only = ReadOptions {
        max_version: 10,
        ..ReadOptions::default()
    };
    assert!(read_all(&file(11, &[])[..], v10_only).is_err());
    assert!(read_all(&file(10, &[])[..], v10_only).is_ok());
}

#[test]
fn a_bad_checksum_is_refused_unless_disabled_or_zero() {
    let mut bad = good_file();
    let n = bad.len();
    bad[n - 1] ^= 0x40;
    let e = read(&bad).unwrap_err();
    assert!(
        matches!(e.kind, RdbErrorKind::ChecksumMismatch { .. }),
        "{e}"
    );
    assert_eq!(e.offset, n as u64 - 8);
    let lax = ReadOptions {
        verify_checksum: false,
        ..ReadOptions::default()
    };
    assert!(read_all(&bad[..], lax).is_ok());
    bad[n - 8..].fill(0);
    assert!(read(&bad).is_ok(), "0 means written without a checksum");
    // A flipped data byte with the original trailer.
    let mut flipped = good_file();
    let at = flipped.windows(5).position(|w| w == b"field").unwrap();
    flipped[at] = b'F';
    assert!(matches!(
        read(&flipped).unwrap_err().kind,
        RdbErrorKind::ChecksumMismatch { .. }
    ));
}

#[test]
fn a_corrupt_listpack_is_located() {
    let mut body = Vec::new();
    let mut lp = super::listpack::ListpackBuilder::new();
    for e in ["field", "value"] {
        lp.push_str(e.as_bytes());
    }
    let mut blob = lp.finish();
    blob[6] = 0x86; // "field" claims six bytes
    body.extend(key(types::HASH_LISTPACK, "h", &string(&blob)));
    let e = read(&file(10, &body)).unwrap_err();
    assert_eq!(
        e.offset,
        9 + 3,
        "the blob starts after the type byte and the key"
    );
    assert!(e.to_string().contains("listpack byte"), "{e}");
}

#[test]
fn impossible_contents_are_corruption() {
    let dup_hash = key(types::HASH, "h", &[2, 1, b'f', 1, b'v', 1, b'f', 1, b'w']);
    let dup_set = key(types::SET, "s", &[2, 1, b'a', 1, b'a']);
    let mut nan = vec![1, 1, b'm'];
    nan.extend(f64::NAN.to_le_bytes());
    let nan_zset = key(types::ZSET_2, "z", &nan);
    let odd = {
        let mut lp = super::listpack::ListpackBuilder::new();
        lp.push_str(b"lonely");
        key(types::HASH_LISTPACK, "h", &string(&lp.finish()))
    };
    let bad_container = key(types::LIST_QUICKLIST_2, "l", &[1, 3, 1, b'x']);
    let unknown = key(8, "x", &[]);
    let huge_count = {
        let mut v = key(types::LIST, "l", &[0x81]);
        v.extend(u64::MAX.to_be_bytes());
        v
    };
    let lzf_lie = key(
        types::STRING,
        "k",
        &[0xc3, 0x02, 0x80, 0x40, 0, 0, 0, 0x00, b'a'],
    );
    for (body, what) in [
        (dup_hash, "duplicate hash fields"),
        (dup_set, "duplicate set members"),
        (nan_zset, "NaN score"),
        (odd, "odd number"),
        (bad_container, "unknown quicklist node container"),
        (unknown, "unknown value type"),
        (lzf_lie, "LZF string longer"),
    ] {
        let e = read(&file(10, &body)).unwrap_err();
        assert!(e.to_string().contains(what), "{e} (wanted {what})");
    }
    // A count of 2^64 - 1 elements reserves nothing: the reader fails on the bytes that follow.
    assert!(read(&file(10, &huge_count)).is_err());
}

//! Bitmap commands, as a user sees them: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
//! BITFIELD_RO. BITOP is also run with its destination and sources on different shards.

mod common;

use common::*;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const BIT_OFFSET: &str = "ERR bit offset is not an integer or out of range";

fn ints(v: &[i64]) -> Reply {
    array(v.iter().map(|&n| int(n)).collect())
}

#[test]
fn setbit_and_getbit() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SETBIT k 7 1"), int(0));
    assert_eq!(run(&mut c, "SETBIT k 7 1"), int(1));
    assert_eq!(run(&mut c, "GET k"), bulk(b"\x01"));
    assert_eq!(run(&mut c, "SETBIT k 100 1"), int(0));
    assert_eq!(run(&mut c, "STRLEN k"), int(13));
    assert_eq!(run(&mut c, "GETBIT k 100"), int(1));
    assert_eq!(run(&mut c, "GETBIT k 101"), int(0));
    assert_eq!(run(&mut c, "GETBIT k 100000"), int(0));
    assert_eq!(run(&mut c, "GETBIT nokey 0"), int(0));
    assert_eq!(run(&mut c, "SETBIT k -1 1"), err(BIT_OFFSET));
    assert_eq!(run(&mut c, "SETBIT k 4294967296 1"), err(BIT_OFFSET));
    assert_eq!(run(&mut c, "GETBIT k x"), err(BIT_OFFSET));
    assert_eq!(
        run(&mut c, "SETBIT k 0 2"),
        err("ERR bit is not an integer or out of range")
    );
    assert_eq!(run(&mut c, "LPUSH l a"), int(1));
    assert_eq!(run(&mut c, "SETBIT l 0 1"), err(WRONGTYPE));
    assert_eq!(run(&mut c, "GETBIT l 0"), err(WRONGTYPE));
}

#[test]
fn bitcount_with_byte_and_bit_ranges() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "BITCOUNT nokey"), int(0));
    assert_eq!(run(&mut c, "SET k foobar"), ok());
    assert_eq!(run(&mut c, "BITCOUNT k"), int(26));
    assert_eq!(run(&mut c, "BITCOUNT k 0 0"), int(4));
    assert_eq!(run(&mut c, "BITCOUNT k 1 1"), int(6));
    assert_eq!(run(&mut c, "BITCOUNT k 1 1 BYTE"), int(6));
    assert_eq!(run(&mut c, "BITCOUNT k 5 30 BIT"), int(17));
    assert_eq!(run(&mut c, "BITCOUNT k -2 -1"), int(7));
    assert_eq!(run(&mut c, "BITCOUNT k 3 1"), int(0));
    assert_eq!(run(&mut c, "BITCOUNT k -100 100"), int(26));
    assert_eq!(run(&mut c, "BITCOUNT k 0"), err("ERR syntax error"));
    assert_eq!(run(&mut c, "BITCOUNT k 0 1 WORD"), err("ERR syntax error"));
    assert_eq!(
        run(&mut c, "BITCOUNT k 0 x"),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(run(&mut c, "LPUSH l a"), int(1));
    assert_eq!(run(&mut c, "BITCOUNT l"), err(WRONGTYPE));
}

#[test]
fn bitpos_finds_set_and_clear_bits() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "BITPOS nokey 0"), int(0));
    assert_eq!(run(&mut c, "BITPOS nokey 1"), int(-1));
    assert_eq!(
        run_args(&mut c, &[&b"SET"[..], b"k", b"\xff\xf0\x00"]),
        ok()
    );
    assert_eq!(run(&mut c, "BITPOS k 0"), int(12));
    assert_eq!(run(&mut c, "BITPOS k 1 2"), int(-1));
    assert_eq!(run(&mut c, "BITPOS k 1 1"), int(8));
    assert_eq!(run(&mut c, "BITPOS k 0 1 1 BIT"), int(-1));
    assert_eq!(run(&mut c, "BITPOS k 1 7 15 BIT"), int(7));
    assert_eq!(run(&mut c, "BITPOS k 0 2 -1 BYTE"), int(16));
    assert_eq!(run(&mut c, "BITPOS k 1 3 1"), int(-1));
    assert_eq!(run_args(&mut c, &[&b"SET"[..], b"ones", b"\xff\xff"]), ok());
    // Without an end the string reads as zero-padded; with one it does not.
    assert_eq!(run(&mut c, "BITPOS ones 0"), int(16));
    assert_eq!(run(&mut c, "BITPOS ones 0 0"), int(16));
    assert_eq!(run(&mut c, "BITPOS ones 0 0 -1"), int(-1));
    assert_eq!(run(&mut c, "BITPOS ones 0 0 5 BIT"), int(-1));
    assert_eq!(
        run(&mut c, "BITPOS k 2"),
        err("ERR The bit argument must be 1 or 0.")
    );
    assert_eq!(run(&mut c, "BITPOS k 1 0 1 BITS"), err("ERR syntax error"));
    assert_eq!(run(&mut c, "LPUSH l a"), int(1));
    assert_eq!(run(&mut c, "BITPOS l 1"), err(WRONGTYPE));
}

#[test]
fn bitop_combines_strings() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET a foobar"), ok());
    assert_eq!(run(&mut c, "SET b abcdef"), ok());
    assert_eq!(run(&mut c, "BITOP AND d a b"), int(6));
    assert_eq!(run(&mut c, "GET d"), bulk("`bc`ab"));
    assert_eq!(run(&mut c, "BITOP OR d a b"), int(6));
    assert_eq!(run(&mut c, "GET d"), bulk("goofev"));
    assert_eq!(run(&mut c, "BITOP XOR d a b"), int(6));
    assert_eq!(run(&mut c, "GET d"), bulk(b"\x07\x0d\x0c\x06\x04\x14"));
    assert_eq!(run(&mut c, "SET s ab"), ok());
    assert_eq!(run(&mut c, "BITOP AND d a s nokey"), int(6));
    assert_eq!(run(&mut c, "GET d"), bulk(b"\0\0\0\0\0\0"));
    assert_eq!(run(&mut c, "BITOP NOT d s"), int(2));
    assert_eq!(run(&mut c, "GET d"), bulk(b"\x9e\x9d"));
    assert_eq!(run(&mut c, "SET d x EX 100"), ok());
    assert_eq!(run(&mut c, "BITOP OR d s"), int(2));
    assert_eq!(run(&mut c, "TTL d"), int(-1));
    assert_eq!(run(&mut c, "BITOP OR d nokey"), int(0));
    assert_eq!(run(&mut c, "EXISTS d"), int(0));
    assert_eq!(run(&mut c, "BITOP NAND d a"), err("ERR syntax error"));
    assert_eq!(
        run(&mut c, "BITOP NOT d a b"),
        err("ERR BITOP NOT must be called with a single source key.")
    );
    assert_eq!(run(&mut c, "LPUSH l a"), int(1));
    assert_eq!(run(&mut c, "BITOP OR d a l"), err(WRONGTYPE));
}

#[test]
fn bitop_spans_shards() {
    let srv = TestServer::builder().threads(2).start();
    let mut c = srv.client();
    // "bar" is on shard 0 and "foo" on shard 1 when the server runs two shards.
    let k = keys_on_each_shard("bits:", 2);
    let (a, b) = (k[0].as_str(), k[1].as_str());
    assert_eq!(run(&mut c, "SET foo foobar"), ok());
    assert_eq!(run(&mut c, "SET bar abcdef"), ok());
    assert_eq!(run(&mut c, &format!("BITOP AND {a} foo bar")), int(6));
    assert_eq!(run(&mut c, &format!("GET {a}")), bulk("`bc`ab"));
    assert_eq!(run(&mut c, &format!("BITOP OR {b} foo bar")), int(6));
    assert_eq!(run(&mut c, &format!("GET {b}")), bulk("goofev"));
    assert_eq!(run(&mut c, "BITOP NOT bar foo"), int(6));
    assert_eq!(run(&mut c, "BITCOUNT bar"), int(48 - 26));
    assert_eq!(run(&mut c, &format!("BITOP OR {a} nokey1 nokey2")), int(0));
    assert_eq!(run(&mut c, &format!("EXISTS {a}")), int(0));
    assert_eq!(run(&mut c, "LPUSH l x"), int(1));
    assert_eq!(run(&mut c, &format!("BITOP XOR {b} foo l")), err(WRONGTYPE));
    assert_eq!(run(&mut c, &format!("GET {b}")), bulk("goofev"));
}

#[test]
fn bitfield_get_set_incrby_and_overflow() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(
        run(&mut c, "BITFIELD k SET i8 0 100 GET i8 0"),
        ints(&[0, 100])
    );
    assert_eq!(run(&mut c, "BITFIELD k INCRBY i8 0 100"), ints(&[-56]));
    assert_eq!(
        run(
            &mut c,
            "BITFIELD k OVERFLOW SAT INCRBY i8 0 -200 OVERFLOW FAIL INCRBY i8 0 -1"
        ),
        array(vec![int(-128), nil()])
    );
    assert_eq!(
        run(&mut c, "BITFIELD k SET u4 #1 15 GET u4 4"),
        ints(&[0, 15])
    );
    assert_eq!(run(&mut c, "GET k"), bulk(b"\x8f"));
    assert_eq!(
        run(&mut c, "BITFIELD k INCRBY u2 100 1 GET u16 96"),
        ints(&[1, 1024])
    );
    assert_eq!(run(&mut c, "STRLEN k"), int(13));
    assert_eq!(
        run(&mut c, "BITFIELD k OVERFLOW SAT SET u8 0 -1 GET u8 0"),
        ints(&[143, 255])
    );
    assert_eq!(
        run(&mut c, "BITFIELD k SET i64 0 -1 GET i64 0"),
        ints(&[-72057594037927936, -1])
    );
    assert_eq!(
        run(&mut c, "BITFIELD_RO k GET u8 0 GET u63 1"),
        ints(&[255, i64::MAX])
    );
    assert_eq!(run(&mut c, "BITFIELD nokey GET u8 0"), ints(&[0]));
    assert_eq!(run(&mut c, "EXISTS nokey"), int(0));
    assert_eq!(run(&mut c, "BITFIELD k"), ints(&[]));
    // A refused write still creates the key, grown to the field.
    assert_eq!(
        run(&mut c, "BITFIELD k2 OVERFLOW FAIL SET u2 0 7"),
        array(vec![nil()])
    );
    assert_eq!(run(&mut c, "GET k2"), bulk(b"\0"));
    assert_eq!(
        run(&mut c, "BITFIELD_RO k OVERFLOW SAT GET u8 0"),
        ints(&[255])
    );
}

#[test]
fn bitfield_errors_come_before_the_key() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let ty = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
    assert_eq!(run(&mut c, "LPUSH l a"), int(1));
    assert_eq!(run(&mut c, "BITFIELD l GET u64 0"), err(ty));
    assert_eq!(run(&mut c, "BITFIELD l GET i0 0"), err(ty));
    assert_eq!(run(&mut c, "BITFIELD l GET s8 0"), err(ty));
    assert_eq!(run(&mut c, "BITFIELD l GET u8 -1"), err(BIT_OFFSET));
    assert_eq!(run(&mut c, "BITFIELD l GET u8 #x"), err(BIT_OFFSET));
    assert_eq!(
        run(&mut c, "BITFIELD l OVERFLOW maybe"),
        err("ERR Invalid OVERFLOW type specified")
    );
    assert_eq!(run(&mut c, "BITFIELD l GET u8"), err("ERR syntax error"));
    assert_eq!(run(&mut c, "BITFIELD l FOO u8 0"), err("ERR syntax error"));
    assert_eq!(
        run(&mut c, "BITFIELD l INCRBY u8 0 1.5"),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        run(&mut c, "BITFIELD_RO l SET u8 0 1"),
        err("ERR BITFIELD_RO only supports the GET subcommand")
    );
    assert_eq!(run(&mut c, "BITFIELD l GET u8 0"), err(WRONGTYPE));
    assert_eq!(run(&mut c, "BITFIELD_RO l GET u8 0"), err(WRONGTYPE));
}

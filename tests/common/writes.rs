//! Seeded random write loads for the replication tests: every type, expiries, deletions,
//! transactions, multi-key commands whose keys live on different shards, FLUSHDB, over all 16
//! DBs.
//!
//! `Mix::Basic` is what a master of any kind gets in the replica tests. `Mix::Wide` adds the
//! commands whose replication a master must rewrite or gather over shards: short expiries (keys
//! expire while the load runs, so the master sends DELs), RENAME/COPY/SMOVE/LMOVE/BITOP/PFMERGE/
//! SORT STORE/ZRANGESTORE/MSETNX over shards, LMPOP/ZMPOP, SPOP with a count, PUBLISH.

use super::now_ms;
use super::raw::{encode_command, RawConn};

/// Which commands a load draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    /// The common writes.
    Basic,
    /// The common writes and the ones a master rewrites or gathers (module documentation).
    Wide,
}

/// Number of extra kinds of writes in `Mix::Wide`.
const WIDE_KINDS: u64 = 26;

/// One write of the wide mix's extra kinds (`kind` in `0..WIDE_KINDS`).
fn wide_write(rng: &mut Rng, kind: u64) -> Vec<String> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    let key = |rng: &mut Rng, kind: &str| format!("{kind}:{}", rng.below(40));
    let val = |rng: &mut Rng| format!("v{}", rng.below(1000));
    let soon = |rng: &mut Rng| (200 + rng.below(2500)).to_string();
    match kind {
        0 => s(&["SET", &key(rng, "s"), &val(rng), "PX", &soon(rng)]),
        1 => s(&["PEXPIRE", &key(rng, "l"), &soon(rng)]),
        2 => s(&["EXPIRE", &key(rng, "t"), "1"]),
        3 => s(&["PSETEX", &key(rng, "s"), &soon(rng), &val(rng)]),
        4 => s(&["COPY", &key(rng, "s"), &key(rng, "s"), "REPLACE"]),
        5 => s(&["COPY", &key(rng, "h"), &key(rng, "h"), "DB", "7"]),
        6 => s(&["RENAMENX", &key(rng, "z"), &key(rng, "z")]),
        7 => s(&["RPOPLPUSH", &key(rng, "l"), &key(rng, "l")]),
        8 => s(&[
            "BITOP",
            "OR",
            &key(rng, "s"),
            &key(rng, "s"),
            &key(rng, "s"),
        ]),
        9 => s(&["PFADD", &key(rng, "p"), &val(rng), &val(rng)]),
        10 => s(&["PFMERGE", &key(rng, "p"), &key(rng, "p"), &key(rng, "p")]),
        11 => s(&["SORT", &key(rng, "l"), "ALPHA", "STORE", &key(rng, "l")]),
        12 => s(&["ZRANGESTORE", &key(rng, "z"), &key(rng, "z"), "0", "-1"]),
        13 => s(&[
            "MSETNX",
            &key(rng, "s"),
            &val(rng),
            &key(rng, "s"),
            &val(rng),
        ]),
        14 => s(&[
            "LMPOP",
            "2",
            &key(rng, "l"),
            &key(rng, "l"),
            "LEFT",
            "COUNT",
            "2",
        ]),
        15 => s(&[
            "ZMPOP",
            "2",
            &key(rng, "z"),
            &key(rng, "z"),
            "MAX",
            "COUNT",
            "2",
        ]),
        16 => s(&["SPOP", &key(rng, "t"), "2"]),
        17 => s(&["GETDEL", &key(rng, "s")]),
        18 => s(&["UNLINK", &key(rng, "s"), &key(rng, "t"), &key(rng, "z")]),
        19 => s(&["MOVE", &key(rng, "s"), "11"]),
        20 => s(&[
            "ZINTERSTORE",
            &key(rng, "z"),
            "2",
            &key(rng, "z"),
            &key(rng, "z"),
        ]),
        21 => s(&["SDIFFSTORE", &key(rng, "t"), &key(rng, "t"), &key(rng, "t")]),
        22 => s(&["PUBLISH", "news", &val(rng)]),
        23 => s(&[
            "SMOVE",
            &key(rng, "t"),
            &key(rng, "t"),
            &rng.below(30).to_string(),
        ]),
        24 => s(&["GETEX", &key(rng, "s"), "PX", &soon(rng)]),
        _ => s(&["HINCRBYFLOAT", &key(rng, "h"), "g", "0.1"]),
    }
}

/// A small seeded random generator (xorshift), so a failing run can be replayed.
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One random write (or a MULTI block) as argument lists.
pub fn random_write(rng: &mut Rng, mix: Mix) -> Vec<Vec<String>> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    let key = |rng: &mut Rng, kind: &str| format!("{kind}:{}", rng.below(40));
    let val = |rng: &mut Rng| format!("v{}", rng.below(1000));
    let far = (now_ms() as u64 + 1_000_000 + rng_ms(rng)).to_string();
    let kinds = match mix {
        Mix::Basic => 38,
        Mix::Wide => 38 + WIDE_KINDS,
    };
    let pick = rng.below(kinds);
    let one = match pick {
        38.. => wide_write(rng, pick - 38),
        0 => s(&["SET", &key(rng, "s"), &val(rng)]),
        1 => s(&["SET", &key(rng, "s"), &val(rng), "EX", "5000"]),
        2 => s(&["APPEND", &key(rng, "s"), &val(rng)]),
        3 => s(&["INCRBY", &key(rng, "n"), &rng.below(100).to_string()]),
        4 => s(&["INCRBYFLOAT", &key(rng, "f"), "1.5"]),
        5 => s(&["DEL", &key(rng, "s"), &key(rng, "l"), &key(rng, "h")]),
        6 => s(&["EXPIRE", &key(rng, "s"), "9000"]),
        7 => s(&["PEXPIREAT", &key(rng, "h"), &far]),
        8 => s(&["PERSIST", &key(rng, "h")]),
        9 => s(&["LPUSH", &key(rng, "l"), &val(rng), &val(rng)]),
        10 => s(&["RPUSH", &key(rng, "l"), &val(rng)]),
        11 => s(&["LPOP", &key(rng, "l")]),
        12 => s(&["LTRIM", &key(rng, "l"), "0", "5"]),
        13 => s(&["LMOVE", &key(rng, "l"), &key(rng, "l"), "LEFT", "RIGHT"]),
        14 => s(&["HSET", &key(rng, "h"), &val(rng), &val(rng)]),
        15 => s(&["HDEL", &key(rng, "h"), &val(rng)]),
        16 => s(&["HINCRBY", &key(rng, "h"), "count", "3"]),
        17 => s(&["HINCRBYFLOAT", &key(rng, "h"), "float", "0.25"]),
        18 => s(&[
            "SADD",
            &key(rng, "t"),
            &rng.below(30).to_string(),
            &val(rng),
        ]),
        19 => s(&["SREM", &key(rng, "t"), &val(rng)]),
        20 => s(&["SPOP", &key(rng, "t")]),
        21 => s(&[
            "SMOVE",
            &key(rng, "t"),
            &key(rng, "t"),
            &rng.below(30).to_string(),
        ]),
        22 => s(&[
            "SUNIONSTORE",
            &key(rng, "t"),
            &key(rng, "t"),
            &key(rng, "t"),
        ]),
        23 => s(&[
            "ZADD",
            &key(rng, "z"),
            &rng.below(50).to_string(),
            &val(rng),
        ]),
        24 => s(&["ZINCRBY", &key(rng, "z"), "2.5", &val(rng)]),
        25 => s(&["ZREM", &key(rng, "z"), &val(rng)]),
        26 => s(&["ZPOPMIN", &key(rng, "z")]),
        27 => s(&[
            "ZUNIONSTORE",
            &key(rng, "z"),
            "2",
            &key(rng, "z"),
            &key(rng, "z"),
        ]),
        28 => s(&[
            "MSET",
            &key(rng, "s"),
            &val(rng),
            &key(rng, "s"),
            &val(rng),
            &key(rng, "s"),
            &val(rng),
        ]),
        29 => s(&["RENAME", &key(rng, "s"), &key(rng, "s")]),
        30 => s(&["GETEX", &key(rng, "s"), "PX", "8000000"]),
        31 => s(&["SETEX", &key(rng, "s"), "6000", &val(rng)]),
        32 => {
            // A key whose deadline is already past: the master sends DEL.
            s(&["PEXPIREAT", &key(rng, "s"), "1000"])
        }
        33 => s(&[
            "SINTERSTORE",
            &key(rng, "t"),
            &key(rng, "t"),
            &key(rng, "t"),
        ]),
        34 => s(&["XADD", &key(rng, "x"), "*", "f", &val(rng)]),
        35 => s(&["XTRIM", &key(rng, "x"), "MAXLEN", "5"]),
        36 => s(&["XGROUP", "CREATE", &key(rng, "x"), "g", "0", "MKSTREAM"]),
        _ => s(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c1",
            "COUNT",
            "2",
            "STREAMS",
            &key(rng, "x"),
            ">",
        ]),
    };
    let kind = rng.below(100);
    if kind < 8 {
        // A transaction of a few writes, some on other shards.
        let mut block = vec![s(&["MULTI"])];
        let n = 2 + rng.below(3);
        block.push(one);
        for _ in 0..n {
            block.push(random_write_plain(rng, mix));
        }
        block.push(s(&["EXEC"]));
        block
    } else if kind < 9 {
        vec![s(&["FLUSHDB"])]
    } else {
        vec![one]
    }
}

fn rng_ms(rng: &mut Rng) -> u64 {
    rng.below(100_000)
}

fn random_write_plain(rng: &mut Rng, mix: Mix) -> Vec<String> {
    loop {
        let mut w = random_write(rng, mix);
        if w.len() == 1 && w[0][0] != "FLUSHDB" {
            return w.remove(0);
        }
    }
}

/// Sends `n` random writes of the basic mix to `port`, spread over all 16 DBs, pipelined; error
/// replies (wrong types) are part of the load and are not checked.
pub fn random_writes(port: u16, seed: u64, n: usize) {
    random_writes_of(port, seed, n, Mix::Basic);
}

/// `random_writes` with the mix `mix`.
pub fn random_writes_of(port: u16, seed: u64, n: usize, mix: Mix) {
    let mut rng = Rng(seed);
    let mut conn = RawConn::connect(port);
    let mut sent = 0;
    while sent < n {
        let mut bytes = Vec::new();
        let mut replies = 0;
        for _ in 0..100 {
            let db = rng.below(16).to_string();
            bytes.extend(encode_command(&["SELECT", &db]));
            replies += 1;
            for c in random_write(&mut rng, mix) {
                bytes.extend(encode_command(&c));
                replies += 1;
            }
            sent += 1;
        }
        conn.send(&bytes);
        for _ in 0..replies {
            conn.read_frame();
        }
    }
}

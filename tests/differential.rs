//! Differential test: the same random command stream goes to Tessera and to stock Redis, and
//! every reply must be the same bytes.
//!
//! A seeded generator builds commands over a small key space, so keys collide, types clash
//! and multi-key commands cross shards. It covers the string, key, list, hash, set, sorted set
//! and stream families, bitmaps, HyperLogLogs, SORT, the blocking pops (with a short timeout)
//! and short MULTI/EXEC blocks, and mixes in wrong calls: wrong arity, wrong types,
//! non-numeric arguments and unknown options. Stream entries get explicit IDs from a counter
//! that only grows (never `*`, which reads the clock), and XPENDING is only asked for its
//! summary (the detailed form reports idle times); BLOCK is never sent. Lex ranges (ZRANGE
//! BYLEX, ZLEXCOUNT, ZREMRANGEBYLEX) run on their own
//! keys, whose scores are all 0: Redis leaves them undefined on mixed scores. Commands whose
//! replies are random (SPOP, SRANDMEMBER, RANDOMKEY, HRANDFIELD, ZRANDMEMBER, SCAN) are not
//! generated. A RESP2 run per seed is followed by one RESP3 run (after HELLO 3).
//!
//! Two kinds of reply are normalized before they are compared:
//! - replies whose order Redis does not define (SMEMBERS, SINTER, SUNION, SDIFF, HKEYS, HVALS,
//!   HGETALL) are sorted, HGETALL by field-value pair;
//! - a positive TTL or PTTL becomes one marker, since the two servers set it a few
//!   milliseconds apart. Expiries are always far in the future, so no key expires mid-run.
//!
//! Commands go out in pipelined batches. On a difference the test fails with the seed, the
//! command's index, the command and both replies.

mod common;

use common::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// Seeds of the RESP2 runs.
const RESP2_SEEDS: [u64; 6] = [1, 7, 42, 2024, 5, 11];
/// Commands per RESP2 seed.
const RESP2_COMMANDS: usize = 4000;
/// Seed and length of the RESP3 run.
const RESP3_SEED: u64 = 99;
const RESP3_COMMANDS: usize = 3000;
/// Commands written to the socket before the replies are read.
const BATCH: usize = 100;

/// Keys of every type share this space: 33 plain keys spread over both shards, and two keys
/// with the same hash tag.
fn key_space() -> Vec<String> {
    let mut keys: Vec<String> = (0..28).map(|i| format!("k{i}")).collect();
    keys.push("{t}a".to_string());
    keys.push("{t}b".to_string());
    keys.extend((28..33).map(|i| format!("k{i}")));
    let shards: Vec<u32> = keys.iter().map(|k| shard_of(k.as_bytes(), 2)).collect();
    assert!(
        shards.contains(&0) && shards.contains(&1),
        "keys span both shards"
    );
    keys
}

const VALUES: &[&str] = &[
    "",
    "0",
    "1",
    "-1",
    "7",
    "42",
    "100",
    "3.5",
    "-2.25",
    "1e3",
    "abc",
    "hello",
    "x",
    " 1",
    "1.0",
    "9223372036854775807",
    "-9223372036854775808",
    "inf",
    "nan",
    "0x10",
    "007",
    "foo bar",
];
const INTS: &[&str] = &[
    "-3",
    "-1",
    "0",
    "1",
    "2",
    "3",
    "5",
    "10",
    "-10",
    "abc",
    "1.5",
    "",
    "9223372036854775807",
];
const FLOATS: &[&str] = &[
    "0", "1", "-1", "0.5", "1.5e2", "-3.25", "abc", "inf", "10", "1e-3",
];
const MEMBERS: &[&str] = &["a", "b", "c", "d", "e", "1", "2", "3", "10", "-5"];
const SCORES: &[&str] = &[
    "0", "1", "2", "-1", "1.5", "3", "10", "-inf", "+inf", "inf", "abc", "2.5e1",
];
const SCORE_BOUNDS: &[&str] = &[
    "-inf", "+inf", "(1", "0", "2", "(3", "5", "1.5", "abc", "(x",
];
const LEX_BOUNDS: &[&str] = &["-", "+", "[a", "(b", "[c", "(d", "[1", "a", "[", "("];
/// The lex group's keys (see `Gen::lex_key`).
const LEX_KEYS: &[&str] = &["lex0", "lex1", "lex2"];
/// Tokens appended to a command to make it wrong.
const JUNK: &[&str] = &["junk", "NX", "1", "-1", "WITHSCORES", "LIMIT"];

/// Builds random commands from one seed.
struct Gen {
    rng: StdRng,
    keys: Vec<String>,
    /// The family of the command being built: 0 strings, 1 keys, 2 lists, 3 hashes, 4 sets,
    /// 5 sorted sets, 6 streams.
    family: usize,
    /// The milliseconds part of the next stream ID; it only grows.
    stream_ms: u64,
}

/// Keys each family prefers; seven families share the 35 keys.
const FAMILY_KEYS: usize = 5;

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen {
            rng: StdRng::seed_from_u64(seed),
            keys: key_space(),
            family: 0,
            stream_ms: 1,
        }
    }

    /// A key, most often one of the current family's own five, so that values grow and most
    /// calls find the type they expect; the rest clash. Key commands pick from all keys,
    /// and their DEL, RENAME and COPY carry values across the families.
    fn key(&mut self) -> String {
        if self.family != 1 && self.chance(0.9) {
            let home = self.family * FAMILY_KEYS;
            self.keys[home + self.rng.gen_range(0..FAMILY_KEYS)].clone()
        } else {
            self.keys.choose(&mut self.rng).unwrap().clone()
        }
    }

    /// A key of the lex group: a sorted set whose scores are all 0, the only kind on which
    /// Redis defines lex ranges. No other command touches these keys.
    fn lex_key(&mut self) -> String {
        self.pick(LEX_KEYS)
    }

    fn pick(&mut self, pool: &[&str]) -> String {
        pool.choose(&mut self.rng).unwrap().to_string()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    /// A value, now and then one long enough to change a small encoding.
    fn value(&mut self) -> String {
        if self.chance(0.03) {
            "v".repeat(70)
        } else {
            self.pick(VALUES)
        }
    }

    /// A member, now and then one long enough to change a small encoding.
    fn member(&mut self) -> String {
        if self.chance(0.02) {
            "m".repeat(70)
        } else {
            self.pick(MEMBERS)
        }
    }

    fn small_int(&mut self, lo: i64, hi: i64) -> String {
        if self.chance(0.05) {
            self.pick(INTS)
        } else {
            self.rng.gen_range(lo..=hi).to_string()
        }
    }

    fn keys(&mut self, lo: usize, hi: usize) -> Vec<String> {
        let n = self.rng.gen_range(lo..=hi);
        (0..n).map(|_| self.key()).collect()
    }

    /// A far-future expiry in seconds, or now and then one that deletes the key.
    fn expire_secs(&mut self) -> String {
        match self.rng.gen_range(0..10) {
            0 => "-5".into(),
            1 => "abc".into(),
            _ => self.rng.gen_range(100_000..1_000_000).to_string(),
        }
    }

    /// One command, right or (about one time in twelve) deliberately wrong.
    fn command(&mut self) -> Vec<String> {
        self.family = self.rng.gen_range(0..8);
        let mut cmd = match self.family {
            0 => self.string_cmd(),
            1 => self.key_cmd(),
            2 => self.list_cmd(),
            3 => self.hash_cmd(),
            4 => self.set_cmd(),
            5 => self.zset_cmd(),
            6 => self.stream_cmd(),
            _ => self.mixed_cmd(),
        };
        match self.rng.gen_range(0..24) {
            0 if cmd.len() > 1 => {
                let n = self.rng.gen_range(1..cmd.len());
                cmd.truncate(n);
            }
            1 => {
                let extra = self.pick(JUNK);
                cmd.push(extra);
            }
            _ => {}
        }
        cmd
    }

    /// Bitmaps and HyperLogLogs (on the string family's keys), SORT and the blocking pops with
    /// a short timeout (on the aggregate families' keys).
    fn mixed_cmd(&mut self) -> Vec<String> {
        let pick = self.rng.gen_range(0..13);
        self.family = match pick {
            0..=6 => 0,
            _ => *[2, 4, 5].choose(&mut self.rng).expect("not empty"),
        };
        let k = self.key();
        let strs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<String>>();
        match pick {
            0 => vec![
                "SETBIT".into(),
                k,
                self.small_int(0, 100),
                self.pick(&["0", "1"]),
            ],
            1 => vec!["GETBIT".into(), k, self.small_int(0, 100)],
            2 => {
                let mut c = vec!["BITCOUNT".into(), k];
                if self.chance(0.5) {
                    c.push(self.small_int(-5, 5));
                    c.push(self.small_int(-5, 5));
                    if self.chance(0.5) {
                        c.push(self.pick(&["BYTE", "BIT"]));
                    }
                }
                c
            }
            3 => vec![
                "BITPOS".into(),
                k,
                self.pick(&["0", "1"]),
                self.small_int(-3, 3),
            ],
            4 => {
                let op = self.pick(&["AND", "OR", "XOR", "NOT"]);
                let mut c = vec!["BITOP".into(), op.clone(), k, self.key()];
                if op != "NOT" {
                    c.push(self.key());
                }
                c
            }
            5 => {
                let mut c = vec![self.pick(&["PFADD", "PFCOUNT"]), k];
                for _ in 0..self.rng.gen_range(0..4) {
                    c.push(self.member());
                }
                c
            }
            6 => vec!["PFMERGE".into(), k, self.key(), self.key()],
            7 | 8 => {
                let mut c = vec![self.pick(&["SORT", "SORT_RO"]), k];
                if self.chance(0.5) {
                    c.push("ALPHA".into());
                }
                if self.chance(0.3) {
                    c.push("DESC".into());
                }
                if self.chance(0.3) {
                    c.extend(["LIMIT".into(), self.small_int(-1, 3), self.small_int(-1, 5)]);
                }
                if c[0] == "SORT" && self.chance(0.2) {
                    c.extend(["STORE".into(), self.key()]);
                }
                c
            }
            9 => {
                let mut c = vec![self.pick(&["BLPOP", "BRPOP"])];
                c.extend(self.keys(1, 2));
                c.push("0.01".into());
                c
            }
            10 => vec![self.pick(&["BZPOPMIN", "BZPOPMAX"]), k, "0.01".into()],
            11 => {
                let mut c = strs(&["BLMPOP", "0.01", "1"]);
                c.push(k);
                c.push(self.pick(&["LEFT", "RIGHT"]));
                c
            }
            _ => vec![
                "BLMOVE".into(),
                k,
                self.key(),
                self.pick(&["LEFT", "RIGHT"]),
                self.pick(&["LEFT", "RIGHT"]),
                "0.01".into(),
            ],
        }
    }

    /// A stream of `n` commands, now and then a few of them inside MULTI … EXEC (or DISCARD).
    fn commands(&mut self, n: usize) -> Vec<Vec<String>> {
        let mut cmds = Vec::with_capacity(n + 16);
        while cmds.len() < n {
            if self.chance(0.03) {
                cmds.push(vec!["MULTI".to_string()]);
                for _ in 0..self.rng.gen_range(1..5) {
                    cmds.push(self.command());
                }
                let end = if self.chance(0.85) { "EXEC" } else { "DISCARD" };
                cmds.push(vec![end.to_string()]);
            } else {
                cmds.push(self.command());
            }
        }
        cmds
    }

    fn string_cmd(&mut self) -> Vec<String> {
        let k = self.key();
        let c: Vec<String> = match self.rng.gen_range(0..23) {
            0 | 1 => {
                let mut c = vec!["SET".into(), k, self.value()];
                if self.chance(0.3) {
                    c.push(self.pick(&["NX", "XX"]));
                }
                if self.chance(0.2) {
                    c.push("GET".into());
                }
                match self.rng.gen_range(0..6) {
                    0 => c.extend(["EX".into(), self.expire_secs()]),
                    1 => c.extend(["PX".into(), "500000000".into()]),
                    2 => c.push("KEEPTTL".into()),
                    3 if self.chance(0.2) => c.extend(["EX".into(), "0".into()]),
                    _ => {}
                }
                c
            }
            2 | 3 => vec!["GET".into(), k],
            4 => vec!["GETSET".into(), k, self.value()],
            5 => vec!["GETDEL".into(), k],
            6 => {
                let mut c = vec!["GETEX".into(), k];
                match self.rng.gen_range(0..4) {
                    0 => c.extend(["EX".into(), self.expire_secs()]),
                    1 => c.push("PERSIST".into()),
                    2 => c.extend(["PXAT".into(), "99999999999999".into()]),
                    _ => {}
                }
                c
            }
            7 => vec!["INCR".into(), k],
            8 => vec!["DECR".into(), k],
            9 => vec!["INCRBY".into(), k, self.pick(INTS)],
            10 => vec!["DECRBY".into(), k, self.pick(INTS)],
            11 => vec!["INCRBYFLOAT".into(), k, self.pick(FLOATS)],
            12 => vec!["APPEND".into(), k, self.value()],
            13 => vec!["STRLEN".into(), k],
            14 => vec![
                "GETRANGE".into(),
                k,
                self.small_int(-6, 12),
                self.small_int(-6, 12),
            ],
            15 => {
                let off = if self.chance(0.05) {
                    "536870912".into()
                } else {
                    self.small_int(-1, 12)
                };
                vec!["SETRANGE".into(), k, off, self.value()]
            }
            16 => {
                let mut c = vec!["MGET".into()];
                c.extend(self.keys(1, 4));
                c
            }
            17 | 18 => {
                let mut c = vec![if self.chance(0.5) { "MSET" } else { "MSETNX" }.to_string()];
                for key in self.keys(1, 3) {
                    c.push(key);
                    c.push(self.value());
                }
                c
            }
            19 => vec!["SETNX".into(), k, self.value()],
            20 => vec![
                "SUBSTR".into(),
                k,
                self.small_int(-3, 5),
                self.small_int(-3, 5),
            ],
            21 => match self.rng.gen_range(0..3) {
                0 => vec!["SETEX".into(), k, self.expire_secs(), self.value()],
                1 => vec!["PSETEX".into(), k, "900000000".into(), self.value()],
                _ => vec![
                    "SET".into(),
                    k,
                    self.value(),
                    "EXAT".into(),
                    "99999999999".into(),
                ],
            },
            _ => vec!["GET".into(), k],
        };
        c
    }

    fn key_cmd(&mut self) -> Vec<String> {
        let k = self.key();
        match self.rng.gen_range(0..16) {
            0 | 15 => {
                let mut c = vec![self.pick(&["DEL", "UNLINK", "TOUCH"])];
                c.extend(self.keys(1, 3));
                c
            }
            1 => {
                let mut c = vec!["EXISTS".into()];
                c.extend(self.keys(1, 4));
                c
            }
            2 | 3 => vec!["TYPE".into(), k],
            4 => vec!["RENAME".into(), k, self.key()],
            5 => vec!["RENAMENX".into(), k, self.key()],
            6 => {
                let mut c = vec!["COPY".into(), k, self.key()];
                if self.chance(0.4) {
                    c.push("REPLACE".into());
                }
                c
            }
            7 => {
                let mut c = vec!["EXPIRE".into(), k, self.expire_secs()];
                if self.chance(0.3) {
                    c.push(self.pick(&["NX", "XX", "BAD"]));
                }
                c
            }
            8 => vec!["PEXPIRE".into(), k, "700000000".into()],
            9 => vec!["TTL".into(), k],
            10 => vec!["PTTL".into(), k],
            11 => vec!["PERSIST".into(), k],
            12 => vec!["DBSIZE".into()],
            13 => vec!["OBJECT".into(), "ENCODING".into(), k],
            _ => vec!["EXISTS".into(), k],
        }
    }

    fn list_cmd(&mut self) -> Vec<String> {
        let k = self.key();
        match self.rng.gen_range(0..20) {
            0..=2 => {
                let mut c = vec![self.pick(&["LPUSH", "RPUSH"]), k];
                for _ in 0..self.rng.gen_range(1..4) {
                    c.push(self.member());
                }
                c
            }
            3 | 4 => {
                let mut c = vec![self.pick(&["LPOP", "RPOP"]), k];
                if self.chance(0.5) {
                    c.push(self.small_int(0, 4));
                }
                c
            }
            5 | 6 => vec![
                "LRANGE".into(),
                k,
                self.small_int(-5, 5),
                self.small_int(-5, 5),
            ],
            7 => vec!["LINDEX".into(), k, self.small_int(-4, 4)],
            8 => vec!["LSET".into(), k, self.small_int(-3, 3), self.member()],
            9 => vec![
                "LINSERT".into(),
                k,
                self.pick(&["BEFORE", "AFTER", "MIDDLE"]),
                self.member(),
                self.member(),
            ],
            10 => vec!["LREM".into(), k, self.small_int(-2, 2), self.member()],
            11 => vec![
                "LTRIM".into(),
                k,
                self.small_int(-4, 4),
                self.small_int(-4, 6),
            ],
            12 => {
                let mut c = vec!["LPOS".into(), k, self.member()];
                if self.chance(0.4) {
                    c.extend(["RANK".into(), self.small_int(-2, 2)]);
                }
                if self.chance(0.4) {
                    c.extend(["COUNT".into(), self.small_int(0, 3)]);
                }
                if self.chance(0.2) {
                    c.extend(["MAXLEN".into(), self.small_int(0, 5)]);
                }
                c
            }
            13 | 14 => vec![
                "LMOVE".into(),
                k,
                self.key(),
                self.pick(&["LEFT", "RIGHT"]),
                self.pick(&["LEFT", "RIGHT", "UP"]),
            ],
            15 => vec!["RPOPLPUSH".into(), k, self.key()],
            16 => vec!["LLEN".into(), k],
            17 => match self.rng.gen_range(0..2) {
                0 => vec![self.pick(&["LPUSHX", "RPUSHX"]), k, self.member()],
                _ => {
                    let keys = self.keys(1, 2);
                    let mut c = vec!["LMPOP".into(), keys.len().to_string()];
                    c.extend(keys);
                    c.push(self.pick(&["LEFT", "RIGHT"]));
                    if self.chance(0.5) {
                        c.extend(["COUNT".into(), self.small_int(0, 3)]);
                    }
                    c
                }
            },
            _ => vec!["LRANGE".into(), k, "0".into(), "-1".into()],
        }
    }

    fn hash_cmd(&mut self) -> Vec<String> {
        let k = self.key();
        match self.rng.gen_range(0..18) {
            0..=2 => {
                let mut c = vec!["HSET".into(), k];
                for _ in 0..self.rng.gen_range(1..4) {
                    c.push(self.member());
                    c.push(self.value());
                }
                c
            }
            3 => vec!["HGET".into(), k, self.member()],
            4 => {
                let mut c = vec!["HMGET".into(), k];
                for _ in 0..self.rng.gen_range(1..4) {
                    c.push(self.member());
                }
                c
            }
            5 => {
                let mut c = vec!["HDEL".into(), k];
                for _ in 0..self.rng.gen_range(1..3) {
                    c.push(self.member());
                }
                c
            }
            6 => vec!["HLEN".into(), k],
            7 => vec!["HEXISTS".into(), k, self.member()],
            8 => vec!["HINCRBY".into(), k, self.member(), self.pick(INTS)],
            9 => vec!["HINCRBYFLOAT".into(), k, self.member(), self.pick(FLOATS)],
            10 => vec!["HSTRLEN".into(), k, self.member()],
            11 => vec!["HKEYS".into(), k],
            12 => vec!["HVALS".into(), k],
            13 | 14 => vec!["HGETALL".into(), k],
            15 => vec!["HSETNX".into(), k, self.member(), self.value()],
            _ => vec!["HGETALL".into(), k],
        }
    }

    fn set_cmd(&mut self) -> Vec<String> {
        let k = self.key();
        match self.rng.gen_range(0..18) {
            0..=2 => {
                let mut c = vec!["SADD".into(), k];
                for _ in 0..self.rng.gen_range(1..4) {
                    c.push(self.member());
                }
                c
            }
            3 => {
                let mut c = vec!["SREM".into(), k];
                for _ in 0..self.rng.gen_range(1..3) {
                    c.push(self.member());
                }
                c
            }
            4 => vec!["SCARD".into(), k],
            5 => vec!["SISMEMBER".into(), k, self.member()],
            6 => {
                let mut c = vec!["SMISMEMBER".into(), k];
                for _ in 0..self.rng.gen_range(1..4) {
                    c.push(self.member());
                }
                c
            }
            7 | 8 => vec!["SMEMBERS".into(), k],
            9 | 10 => {
                let mut c = vec![self.pick(&["SINTER", "SUNION", "SDIFF"])];
                c.extend(self.keys(1, 3));
                c
            }
            11 | 12 => {
                let mut c = vec![self.pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), k];
                c.extend(self.keys(1, 3));
                c
            }
            13 => vec!["SMOVE".into(), k, self.key(), self.member()],
            14 => {
                let keys = self.keys(1, 3);
                let numkeys = if self.chance(0.1) {
                    self.pick(INTS)
                } else {
                    keys.len().to_string()
                };
                let mut c = vec!["SINTERCARD".into(), numkeys];
                c.extend(keys);
                if self.chance(0.3) {
                    c.extend(["LIMIT".into(), self.small_int(0, 3)]);
                }
                c
            }
            _ => vec!["SMEMBERS".into(), k],
        }
    }

    fn zset_cmd(&mut self) -> Vec<String> {
        let k = self.key();
        match self.rng.gen_range(0..26) {
            22 | 23 => {
                let mut c = vec!["ZADD".into(), self.lex_key()];
                for _ in 0..self.rng.gen_range(1..4) {
                    c.push("0".into());
                    c.push(self.member());
                }
                c
            }
            0..=3 => {
                let mut c = vec!["ZADD".into(), k];
                if self.chance(0.2) {
                    c.push(self.pick(&["NX", "XX"]));
                }
                if self.chance(0.15) {
                    c.push(self.pick(&["GT", "LT"]));
                }
                if self.chance(0.15) {
                    c.push("CH".into());
                }
                let incr = self.chance(0.1);
                if incr {
                    c.push("INCR".into());
                }
                let pairs = if incr { 1 } else { self.rng.gen_range(1..4) };
                for _ in 0..pairs {
                    c.push(self.pick(SCORES));
                    c.push(self.member());
                }
                c
            }
            4 => vec!["ZINCRBY".into(), k, self.pick(SCORES), self.member()],
            5 => vec!["ZREM".into(), k, self.member(), self.member()],
            6 => vec!["ZSCORE".into(), k, self.member()],
            7 => vec![self.pick(&["ZRANK", "ZREVRANK"]), k, self.member()],
            8..=11 => self.zrange(k),
            12 => vec![
                "ZCOUNT".into(),
                k,
                self.pick(SCORE_BOUNDS),
                self.pick(SCORE_BOUNDS),
            ],
            13 => vec![
                "ZREMRANGEBYSCORE".into(),
                k,
                self.pick(SCORE_BOUNDS),
                self.pick(SCORE_BOUNDS),
            ],
            14 => vec![
                "ZREMRANGEBYRANK".into(),
                k,
                self.small_int(-3, 3),
                self.small_int(-3, 3),
            ],
            15 => vec![
                "ZREMRANGEBYLEX".into(),
                self.lex_key(),
                self.pick(LEX_BOUNDS),
                self.pick(LEX_BOUNDS),
            ],
            16 | 17 => {
                let mut c = vec![self.pick(&["ZPOPMIN", "ZPOPMAX"]), k];
                if self.chance(0.5) {
                    c.push(self.small_int(-1, 3));
                }
                c
            }
            18 | 19 => {
                let keys = self.keys(1, 3);
                let mut c = vec![self.pick(&["ZUNIONSTORE", "ZINTERSTORE"]), k];
                c.push(if self.chance(0.05) {
                    self.pick(INTS)
                } else {
                    keys.len().to_string()
                });
                let n = keys.len();
                c.extend(keys);
                if self.chance(0.3) {
                    c.push("WEIGHTS".into());
                    for _ in 0..n {
                        c.push(self.pick(&["1", "2", "0", "-1", "0.5", "inf", "x"]));
                    }
                }
                if self.chance(0.3) {
                    c.extend(["AGGREGATE".into(), self.pick(&["SUM", "MIN", "MAX", "AVG"])]);
                }
                c
            }
            20 => match self.rng.gen_range(0..8) {
                0 => vec!["ZCARD".into(), k],
                1 => vec!["ZMSCORE".into(), k, self.member(), self.member()],
                2 => {
                    let keys = self.keys(1, 3);
                    let mut c = vec![self.pick(&["ZUNION", "ZINTER", "ZDIFF"])];
                    c.push(keys.len().to_string());
                    c.extend(keys);
                    if self.chance(0.5) {
                        c.push("WITHSCORES".into());
                    }
                    c
                }
                3 => {
                    let keys = self.keys(1, 3);
                    let mut c = vec!["ZINTERCARD".into(), keys.len().to_string()];
                    c.extend(keys);
                    c
                }
                4 => {
                    let mut c = vec![
                        self.pick(&["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]),
                        k,
                        self.pick(SCORE_BOUNDS),
                        self.pick(SCORE_BOUNDS),
                    ];
                    if self.chance(0.4) {
                        c.push("WITHSCORES".into());
                    }
                    c
                }
                5 => vec![
                    "ZREVRANGE".into(),
                    k,
                    self.small_int(-3, 3),
                    self.small_int(-3, 3),
                ],
                6 => vec![
                    "ZRANGESTORE".into(),
                    k,
                    self.key(),
                    self.small_int(-3, 3),
                    self.small_int(-3, 3),
                ],
                _ => {
                    let keys = self.keys(1, 2);
                    let mut c = vec!["ZMPOP".into(), keys.len().to_string()];
                    c.extend(keys);
                    c.push(self.pick(&["MIN", "MAX"]));
                    if self.chance(0.5) {
                        c.extend(["COUNT".into(), self.small_int(0, 3)]);
                    }
                    c
                }
            },
            21 => vec![
                "ZLEXCOUNT".into(),
                self.lex_key(),
                self.pick(LEX_BOUNDS),
                self.pick(LEX_BOUNDS),
            ],
            _ => vec![
                "ZRANGE".into(),
                k,
                "0".into(),
                "-1".into(),
                "WITHSCORES".into(),
            ],
        }
    }

    /// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
    fn zrange(&mut self, k: String) -> Vec<String> {
        let by = self.rng.gen_range(0..3);
        let k = if by == 2 { self.lex_key() } else { k };
        let mut c = vec!["ZRANGE".into(), k];
        match by {
            0 => c.extend([self.small_int(-4, 4), self.small_int(-4, 4)]),
            1 => c.extend([self.pick(SCORE_BOUNDS), self.pick(SCORE_BOUNDS)]),
            _ => c.extend([self.pick(LEX_BOUNDS), self.pick(LEX_BOUNDS)]),
        }
        match by {
            1 => c.push("BYSCORE".into()),
            2 => c.push("BYLEX".into()),
            _ => {}
        }
        if self.chance(0.3) {
            c.push("REV".into());
        }
        if self.chance(0.25) {
            c.extend(["LIMIT".into(), self.small_int(0, 2), self.small_int(-1, 3)]);
        }
        if self.chance(0.4) {
            c.push("WITHSCORES".into());
        }
        c
    }

    /// A stream ID for a new entry: mostly past every ID given so far, in each of its forms.
    fn new_stream_id(&mut self) -> String {
        self.stream_ms += self.rng.gen_range(0..3);
        let ms = self.stream_ms;
        match self.rng.gen_range(0..10) {
            0..=3 => format!("{ms}-*"),
            4..=6 => format!("{ms}-{}", self.rng.gen_range(0..3)),
            7 => ms.to_string(),
            8 => format!("{}-1", ms.saturating_sub(5)),
            _ => self.pick(&["0-0", "0-*", "abc", "-", "1-x"]),
        }
    }

    /// An ID argument naming an entry that may exist, or a range bound.
    fn stream_id(&mut self) -> String {
        if self.chance(0.1) {
            return self.pick(&["-", "+", "0", "abc", "(0-0", "$", ">"]);
        }
        let ms = self.rng.gen_range(0..=self.stream_ms);
        match self.rng.gen_range(0..4) {
            0 => ms.to_string(),
            1 => format!("({ms}-{}", self.rng.gen_range(0..3)),
            _ => format!("{ms}-{}", self.rng.gen_range(0..3)),
        }
    }

    /// A trimming clause for XADD and XTRIM.
    fn stream_trim(&mut self) -> Vec<String> {
        let mut c = vec![self.pick(&["MAXLEN", "MAXLEN", "MINID"])];
        if self.chance(0.6) {
            c.push(self.pick(&["~", "="]));
        }
        if c[0] == "MAXLEN" {
            c.push(self.small_int(0, 12));
        } else {
            c.push(self.stream_id());
        }
        if self.chance(0.2) {
            c.extend(["LIMIT".into(), self.small_int(0, 5)]);
        }
        c
    }

    fn stream_cmd(&mut self) -> Vec<String> {
        let k = self.key();
        let group = self.pick(&["g1", "g2"]);
        let consumer = self.pick(&["alice", "bob", "carol"]);
        match self.rng.gen_range(0..22) {
            0..=4 => {
                let mut c = vec!["XADD".into(), k];
                if self.chance(0.1) {
                    c.push("NOMKSTREAM".into());
                }
                if self.chance(0.2) {
                    c.extend(self.stream_trim());
                }
                c.push(self.new_stream_id());
                for _ in 0..self.rng.gen_range(1..3) {
                    c.push(self.pick(&["f", "g", "h"]));
                    c.push(self.value());
                }
                c
            }
            5 | 6 => {
                let mut c = vec![self.pick(&["XRANGE", "XREVRANGE"]), k];
                c.push(self.stream_id());
                c.push(self.stream_id());
                if self.chance(0.3) {
                    c.extend(["COUNT".into(), self.small_int(-1, 4)]);
                }
                c
            }
            7 => {
                let mut c = vec!["XDEL".into(), k];
                for _ in 0..self.rng.gen_range(1..3) {
                    c.push(self.stream_id());
                }
                c
            }
            8 => {
                let mut c = vec!["XTRIM".into(), k];
                c.extend(self.stream_trim());
                c
            }
            9 => vec!["XLEN".into(), k],
            10 | 11 => {
                let mut c = vec!["XGROUP".into(), "CREATE".into(), k, group];
                c.push(self.pick(&["0", "$", "0-0"]));
                if self.chance(0.5) {
                    c.push("MKSTREAM".into());
                }
                c
            }
            12..=15 => {
                let mut c = vec!["XREADGROUP".into(), "GROUP".into(), group, consumer];
                if self.chance(0.4) {
                    c.extend(["COUNT".into(), self.small_int(0, 3)]);
                }
                if self.chance(0.15) {
                    c.push("NOACK".into());
                }
                c.push("STREAMS".into());
                let keys = self.keys(1, 2);
                let ids: Vec<String> = keys
                    .iter()
                    .map(|_| {
                        if self.chance(0.7) {
                            ">".into()
                        } else {
                            self.stream_id()
                        }
                    })
                    .collect();
                c.extend(keys);
                c.extend(ids);
                c
            }
            16 | 17 => {
                let mut c = vec!["XACK".into(), k, group];
                for _ in 0..self.rng.gen_range(1..3) {
                    c.push(self.stream_id());
                }
                c
            }
            18 | 19 => vec!["XPENDING".into(), k, group],
            _ => {
                let mut c = vec!["XREAD".into()];
                if self.chance(0.4) {
                    c.extend(["COUNT".into(), self.small_int(0, 3)]);
                }
                c.push("STREAMS".into());
                let keys = self.keys(1, 3);
                let ids: Vec<String> = keys.iter().map(|_| self.stream_id()).collect();
                c.extend(keys);
                c.extend(ids);
                c
            }
        }
    }
}

// ---------------------------------------------------------------- reply frames

/// The index just past the RESP frame that starts at `at`.
fn frame_end(buf: &[u8], at: usize) -> usize {
    let eol = at + buf[at..].windows(2).position(|w| w == b"\r\n").unwrap();
    let after = eol + 2;
    let len = || -> i64 {
        std::str::from_utf8(&buf[at + 1..eol])
            .unwrap()
            .parse()
            .unwrap()
    };
    match buf[at] {
        b'$' | b'!' | b'=' => match len() {
            n if n < 0 => after,
            n => after + n as usize + 2,
        },
        b'*' | b'~' | b'>' | b'%' => {
            let n = len().max(0) * if buf[at] == b'%' { 2 } else { 1 };
            let mut pos = after;
            for _ in 0..n {
                pos = frame_end(buf, pos);
            }
            pos
        }
        _ => after,
    }
}

/// Splits an aggregate reply into its header line and its element frames.
fn split(frame: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let eol = frame.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    let head = frame[..eol].to_vec();
    let mut items = Vec::new();
    let mut pos = eol;
    while pos < frame.len() {
        let end = frame_end(frame, pos);
        items.push(frame[pos..end].to_vec());
        pos = end;
    }
    (head, items)
}

/// Rewrites a reply so that equal meaning gives equal bytes (see the module comment).
fn normalize(cmd: &[String], frame: Vec<u8>) -> Vec<u8> {
    let name = cmd[0].to_ascii_uppercase();
    let aggregate = matches!(frame.first(), Some(b'*' | b'~' | b'%')) && frame.len() > 4;
    match name.as_str() {
        "SMEMBERS" | "SINTER" | "SUNION" | "SDIFF" | "HKEYS" | "HVALS" if aggregate => {
            let (head, mut items) = split(&frame);
            items.sort();
            [head, items.concat()].concat()
        }
        "HGETALL" if aggregate => {
            let (head, items) = split(&frame);
            let mut pairs: Vec<Vec<u8>> = items.chunks(2).map(|p| p.concat()).collect();
            pairs.sort();
            [head, pairs.concat()].concat()
        }
        "TTL" | "PTTL" if frame.first() == Some(&b':') && frame.get(1) != Some(&b'-') => {
            b":<positive>\r\n".to_vec()
        }
        _ => frame,
    }
}

// ---------------------------------------------------------------- the comparison

/// One server connection of the pair.
struct Side {
    conn: RawConn,
    /// The commands queued since MULTI, so EXEC's replies are normalized like their own.
    queued: Option<Vec<Vec<String>>>,
}

impl Side {
    fn new(conn: RawConn) -> Side {
        Side { conn, queued: None }
    }

    /// Sends `cmds` in one write and reads one reply per command.
    fn exchange(&mut self, cmds: &[Vec<String>]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for c in cmds {
            out.extend(encode_command(c));
        }
        self.conn.send(&out);
        cmds.iter()
            .map(|c| {
                let frame = self.conn.read_frame();
                match c[0].to_ascii_uppercase().as_str() {
                    "MULTI" => {
                        self.queued.get_or_insert_with(Vec::new);
                        frame
                    }
                    "EXEC" => normalize_exec(self.queued.take().unwrap_or_default(), frame),
                    "DISCARD" => {
                        self.queued = None;
                        frame
                    }
                    _ => {
                        if let Some(q) = &mut self.queued {
                            q.push(c.clone());
                        }
                        normalize(c, frame)
                    }
                }
            })
            .collect()
    }
}

/// EXEC's array holds the queued commands' replies: each is normalized as its own command's.
fn normalize_exec(queued: Vec<Vec<String>>, frame: Vec<u8>) -> Vec<u8> {
    if frame.first() != Some(&b'*') || frame.starts_with(b"*-1") {
        return frame;
    }
    let (head, items) = split(&frame);
    if items.len() != queued.len() {
        return frame;
    }
    let items: Vec<Vec<u8>> = queued
        .iter()
        .zip(items)
        .map(|(c, item)| normalize(c, item))
        .collect();
    [head, items.concat()].concat()
}

/// Sends `n` generated commands from `seed` to both servers and panics at the first reply
/// that differs.
fn compare(tessera: &mut Side, redis: &mut Side, seed: u64, n: usize, label: &str) {
    let mut gen = Gen::new(seed);
    let cmds = gen.commands(n);
    assert_same_replies(tessera, redis, &cmds, &format!("{label} seed {seed}"));
}

/// Sends `cmds` to both servers in batches and panics at the first reply that differs.
fn assert_same_replies(tessera: &mut Side, redis: &mut Side, cmds: &[Vec<String>], label: &str) {
    for (b, batch) in cmds.chunks(BATCH).enumerate() {
        let got = tessera.exchange(batch);
        let want = redis.exchange(batch);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            if g != w {
                panic!(
                    "{label}, command #{}: {:?}\n tessera: {}\n   redis: {}",
                    b * BATCH + i,
                    batch[i].join(" "),
                    show(g),
                    show(w)
                );
            }
        }
    }
}

/// A Tessera and a stock Redis, each with a connection. The servers stop when the first
/// element is dropped.
fn start_both() -> ((TestServer, TestServer), Side, Side) {
    let t = TestServer::start();
    let r = TestServer::start_redis();
    let (tessera, redis) = (Side::new(t.raw()), Side::new(r.raw()));
    ((t, r), tessera, redis)
}

/// Runs `cmd` on both sides without comparing the replies (a setup step).
fn both(tessera: &mut Side, redis: &mut Side, cmd: &[&str]) {
    let cmd: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
    tessera.exchange(std::slice::from_ref(&cmd));
    redis.exchange(std::slice::from_ref(&cmd));
}

#[test]
fn random_commands_reply_like_redis_in_resp2() {
    let (_servers, mut tessera, mut redis) = start_both();
    for seed in RESP2_SEEDS {
        both(&mut tessera, &mut redis, &["FLUSHALL"]);
        compare(&mut tessera, &mut redis, seed, RESP2_COMMANDS, "RESP2");
    }
}

#[test]
fn random_commands_reply_like_redis_in_resp3() {
    let (_servers, mut tessera, mut redis) = start_both();
    // HELLO's own reply names the server and its version, so it is not compared.
    both(&mut tessera, &mut redis, &["HELLO", "3"]);
    compare(
        &mut tessera,
        &mut redis,
        RESP3_SEED,
        RESP3_COMMANDS,
        "RESP3",
    );
}

/// Large sorted sets, which the random stream above never builds (its zsets hold a few
/// members): thousands of members with tied scores, changed, ranked, ranged over, popped and
/// trimmed, every reply the same bytes as stock Redis's.
#[test]
fn large_zsets_reply_like_redis() {
    let (_servers, mut tessera, mut redis) = start_both();
    let mut rng = StdRng::seed_from_u64(3);
    let member = |rng: &mut StdRng| format!("member:{}", rng.gen_range(0..6000));
    let score = |rng: &mut StdRng| (rng.gen_range(-400..400) as f64 / 4.0).to_string();
    let rank = |rng: &mut StdRng| rng.gen_range(-5000..5000).to_string();
    let mut cmds: Vec<Vec<String>> = Vec::new();
    for key in ["big0", "big1"] {
        for _ in 0..40 {
            let mut c = vec!["ZADD".to_string(), key.to_string()];
            for _ in 0..100 {
                c.push(score(&mut rng));
                c.push(member(&mut rng));
            }
            cmds.push(c);
        }
    }
    for _ in 0..3000 {
        let key = ["big0", "big1"][rng.gen_range(0..2)].to_string();
        let s: Vec<String> = match rng.gen_range(0..16) {
            0..=3 => {
                let flag = ["NX", "XX", "GT", "LT", "CH"][rng.gen_range(0..5)];
                vec!["ZADD", &key, flag, &score(&mut rng), &member(&mut rng)]
                    .into_iter()
                    .map(String::from)
                    .collect()
            }
            4 => vec!["ZINCRBY".into(), key, score(&mut rng), member(&mut rng)],
            5 => vec!["ZREM".into(), key, member(&mut rng), member(&mut rng)],
            6 => vec!["ZRANK".into(), key, member(&mut rng)],
            7 => vec!["ZREVRANK".into(), key, member(&mut rng)],
            8 => {
                let (a, b) = (rank(&mut rng), rank(&mut rng));
                vec!["ZRANGE".into(), key, a, b, "WITHSCORES".into()]
            }
            9 => {
                let (a, b) = (rank(&mut rng), rank(&mut rng));
                vec!["ZRANGE".into(), key, a, b, "REV".into()]
            }
            10 => {
                let (a, b) = (score(&mut rng), score(&mut rng));
                let off = rng.gen_range(0..50).to_string();
                vec![
                    "ZRANGEBYSCORE".into(),
                    key,
                    format!("({a}"),
                    b,
                    "LIMIT".into(),
                    off,
                    "20".into(),
                ]
            }
            11 => vec![
                "ZREVRANGEBYSCORE".into(),
                key,
                score(&mut rng),
                "-inf".into(),
            ],
            12 => vec!["ZCOUNT".into(), key, score(&mut rng), score(&mut rng)],
            13 => {
                let pop = ["ZPOPMIN", "ZPOPMAX"][rng.gen_range(0..2)];
                vec![pop.into(), key, rng.gen_range(1..4).to_string()]
            }
            14 => {
                let a = rng.gen_range(0..3000);
                let b = a + rng.gen_range(0..5);
                vec!["ZREMRANGEBYRANK".into(), key, a.to_string(), b.to_string()]
            }
            _ => vec!["ZMSCORE".into(), key, member(&mut rng), member(&mut rng)],
        };
        cmds.push(s);
    }
    cmds.push(vec!["ZCARD".into(), "big0".into()]);
    for key in ["big0", "big1"] {
        let all = ["ZRANGE", key, "0", "-1", "WITHSCORES"];
        cmds.push(all.iter().map(|a| a.to_string()).collect());
    }
    assert_same_replies(&mut tessera, &mut redis, &cmds, "large zsets");
}

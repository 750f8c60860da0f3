//! LCS: the longest common subsequence of two strings.
//!
//! Owns: the option parsing, the dynamic-programming table and the reply shapes (the
//! subsequence, its length, or the matching ranges). Runs on: the executor owning both keys, or,
//! when they live on two shards, on the caller's executor after two hops (`lcs_spread`).

use bytes::Bytes;
use futures_lite::future::BoxedLocal;

use super::args::ArgCursor;
use super::ctx::{AsyncCtx, ShardCtx};
use super::propagation::Propagation;
use super::table::CmdResult;
use crate::config::live::proto_max_bulk_len;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::shards::{owner_of, MultiShard};
use crate::storage::clock::UnixMillis;
use crate::storage::keyspace::Keyspace;

/// The options of one LCS call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct LcsArgs {
    /// LEN: answer the length only.
    len: bool,
    /// IDX: answer the matching ranges.
    idx: bool,
    /// MINMATCHLEN: leave out ranges shorter than this (negative counts as 0).
    min_match_len: i64,
    /// WITHMATCHLEN: give each range's length.
    with_match_len: bool,
}

impl LcsArgs {
    /// Parses `LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]`, options in any order.
    /// Errors: an unknown option (`Syntax`) or a non-integer MINMATCHLEN (`NotInteger`),
    /// whichever comes first; then LEN together with IDX.
    fn parse(args: &[Bytes]) -> Result<LcsArgs, CmdError> {
        let mut o = LcsArgs::default();
        let mut c = ArgCursor::new(args, 3);
        while let Ok(opt) = c.next_bytes() {
            if opt.eq_ignore_ascii_case(b"IDX") {
                o.idx = true;
            } else if opt.eq_ignore_ascii_case(b"LEN") {
                o.len = true;
            } else if opt.eq_ignore_ascii_case(b"WITHMATCHLEN") {
                o.with_match_len = true;
            } else if opt.eq_ignore_ascii_case(b"MINMATCHLEN") && !c.is_empty() {
                o.min_match_len = c.next_i64()?.max(0);
            } else {
                return Err(CmdError::Syntax);
            }
        }
        if o.len && o.idx {
            return Err(CmdError::custom(
                "ERR If you want both the length and indexes, please just use IDX.",
            ));
        }
        Ok(o)
    }
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
///
/// A missing key reads as the empty string. Redis reads both keys before it looks at the
/// options, so a key of another type wins over a bad option.
pub(super) fn lcs(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let opts = LcsArgs::parse(args);
    let a = cx.read_str_bytes(&args[1]);
    let b = cx.read_str_bytes(&args[2]);
    let (a, b) = both_strings(a, b)?;
    lcs_reply(&a, &b, opts?)
}

/// LCS whose two keys live on two shards: reads each under one lock of both shards (a
/// consistent pair), then computes on the caller's executor.
pub(super) fn lcs_spread(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let opts = LcsArgs::parse(&argv);
        let (db, now) = (cx.db, UnixMillis::now());
        let read = move |key: Bytes| {
            move |ks: &mut Keyspace| {
                let mut out = Propagation::default();
                ShardCtx::new(ks, db, now, &mut out).read_str_bytes(&key)
            }
        };
        let (ka, kb) = (argv[1].clone(), argv[2].clone());
        let (sa, sb) = (owner_of(&ka), owner_of(&kb));
        let tx = MultiShard::lock(vec![sa, sb]).await;
        let a = tx.run(sa, read(ka)).await;
        let b = tx.run(sb, read(kb)).await;
        drop(tx);
        let (a, b) = both_strings(a, b)?;
        lcs_reply(&a, &b, opts?)
    })
}

/// The two inputs, absent ones as empty strings; LCS's own error when either key holds another
/// type.
fn both_strings(
    a: Result<Option<Bytes>, CmdError>,
    b: Result<Option<Bytes>, CmdError>,
) -> Result<(Bytes, Bytes), CmdError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a.unwrap_or_default(), b.unwrap_or_default())),
        _ => Err(CmdError::custom(
            "ERR The specified keys must contain string values",
        )),
    }
}

/// One run of consecutive matching bytes: `a[a_start..=a_end]` equals the bytes of `b` from
/// `b_start` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MatchRange {
    a_start: usize,
    a_end: usize,
    b_start: usize,
}

impl MatchRange {
    fn len(&self) -> usize {
        self.a_end - self.a_start + 1
    }
}

/// Computes the LCS of `a` and `b` and builds the reply `opts` asks for: the subsequence (bulk),
/// its length (LEN), or a map of `matches` (ranges from the end of the strings backwards) and
/// `len` (IDX). The table holds (len(a)+1) × (len(b)+1) u32 cells; it may not pass
/// `proto-max-bulk-len` bytes.
fn lcs_reply(a: &[u8], b: &[u8], opts: LcsArgs) -> CmdResult {
    if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
        return Err(CmdError::custom("ERR String too long for LCS"));
    }
    let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
    if cells * 4 > proto_max_bulk_len() {
        return Err(CmdError::custom(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let table = LcsTable::build(a, b)?;
    let total = table.at(a.len(), b.len());
    if opts.len {
        return Ok(Reply::Int(total as i64));
    }
    let (common, ranges) = table.walk_back(a, b);
    if !opts.idx {
        return Ok(Reply::Bulk(Bytes::from(common)));
    }
    let int = |n: usize| Reply::Int(n as i64);
    let matches = ranges
        .iter()
        .filter(|r| r.len() as i64 >= opts.min_match_len)
        .map(|r| {
            let b_end = r.b_start + r.len() - 1;
            let mut m = vec![
                Reply::Array(vec![int(r.a_start), int(r.a_end)]),
                Reply::Array(vec![int(r.b_start), int(b_end)]),
            ];
            if opts.with_match_len {
                m.push(int(r.len()));
            }
            Reply::Array(m)
        })
        .collect();
    Ok(Reply::Map(vec![
        (Reply::bulk_copy(b"matches"), Reply::Array(matches)),
        (Reply::bulk_copy(b"len"), int(total as usize)),
    ]))
}

/// `cell(i, j)` = the LCS length of `a[..i]` and `b[..j]`.
struct LcsTable {
    cells: Vec<u32>,
    width: usize,
}

impl LcsTable {
    /// Fills the table; fails with LCS's out-of-memory error when it cannot be allocated.
    fn build(a: &[u8], b: &[u8]) -> Result<LcsTable, CmdError> {
        let width = b.len() + 1;
        let size = (a.len() + 1) * width;
        let mut cells = Vec::new();
        cells.try_reserve_exact(size).map_err(|_| {
            CmdError::custom("ERR Insufficient memory, failed allocating transient memory for LCS")
        })?;
        cells.resize(size, 0u32);
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * width + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * width + j - 1] + 1
                } else {
                    cells[(i - 1) * width + j].max(cells[i * width + j - 1])
                };
            }
        }
        Ok(LcsTable { cells, width })
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }

    /// Walks from the ends of both strings back to a start, collecting the common subsequence
    /// and its runs of consecutive matches, last run first. On a mismatch the walk drops a byte
    /// of `a` when that keeps a strictly longer LCS, else a byte of `b` (the tie-break decides
    /// which of several equally long answers comes out).
    fn walk_back(&self, a: &[u8], b: &[u8]) -> (Vec<u8>, Vec<MatchRange>) {
        let mut common = vec![0u8; self.at(a.len(), b.len()) as usize];
        let mut left = common.len();
        let mut ranges = Vec::new();
        let mut run: Option<MatchRange> = None;
        let (mut i, mut j) = (a.len(), b.len());
        while i > 0 && j > 0 {
            if a[i - 1] == b[j - 1] {
                left -= 1;
                common[left] = a[i - 1];
                // Matches found one after the other are always adjacent in both strings.
                let r = run.get_or_insert(MatchRange {
                    a_start: i,
                    a_end: i - 1,
                    b_start: j,
                });
                r.a_start -= 1;
                r.b_start -= 1;
                i -= 1;
                j -= 1;
                if i == 0 || j == 0 {
                    ranges.extend(run.take());
                }
            } else {
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                ranges.extend(run.take());
            }
        }
        (common, ranges)
    }
}

#[cfg(test)]
mod tests {
    use super::super::strings::testing::*;
    use super::*;

    fn range(a: (i64, i64), b: (i64, i64), len: Option<i64>) -> Reply {
        let mut m = vec![
            Reply::Array(vec![int(a.0), int(a.1)]),
            Reply::Array(vec![int(b.0), int(b.1)]),
        ];
        m.extend(len.map(int));
        Reply::Array(m)
    }

    fn idx_reply(matches: Vec<Reply>, len: i64) -> Reply {
        Reply::Map(vec![
            (bulk("matches"), Reply::Array(matches)),
            (bulk("len"), int(len)),
        ])
    }

    #[test]
    fn lcs_finds_the_common_subsequence() {
        let mut s = Session::new();
        s.run("MSET key1 ohmytext key2 mynewtext");
        assert_eq!(s.run("LCS key1 key2"), bulk("mytext"));
        assert_eq!(s.run("LCS key1 key2 LEN"), int(6));
        assert_eq!(s.run("LCS key1 missing"), bulk(""));
        assert_eq!(s.run("LCS missing other len"), int(0));
    }

    #[test]
    fn lcs_idx_lists_ranges_from_the_end() {
        let mut s = Session::new();
        s.run("MSET key1 ohmytext key2 mynewtext");
        assert_eq!(
            s.run("LCS key1 key2 IDX"),
            idx_reply(
                vec![range((4, 7), (5, 8), None), range((2, 3), (0, 1), None)],
                6
            )
        );
        assert_eq!(
            s.run("LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN"),
            idx_reply(vec![range((4, 7), (5, 8), Some(4))], 6)
        );
        assert_eq!(
            s.run("lcs key1 key2 withmatchlen idx minmatchlen -3"),
            idx_reply(
                vec![
                    range((4, 7), (5, 8), Some(4)),
                    range((2, 3), (0, 1), Some(2))
                ],
                6
            )
        );
        assert_eq!(s.run("LCS key1 nothing IDX"), idx_reply(vec![], 0));
    }

    #[test]
    fn lcs_checks_options() {
        let mut s = Session::new();
        s.run("MSET a x b y");
        assert_eq!(
            s.run("LCS a b LEN IDX"),
            err("ERR If you want both the length and indexes, please just use IDX.")
        );
        assert_eq!(s.run("LCS a b FOO"), err("ERR syntax error"));
        assert_eq!(s.run("LCS a b MINMATCHLEN"), err("ERR syntax error"));
        assert_eq!(
            s.run("LCS a b MINMATCHLEN x FOO"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(s.run("LCS a b FOO MINMATCHLEN x"), err("ERR syntax error"));
    }

    #[test]
    fn lcs_refuses_a_table_past_proto_max_bulk_len() {
        let big = vec![b'a'; 20_000];
        assert_eq!(
            lcs_reply(&big, &big, LcsArgs::default()),
            Err(CmdError::custom(
                "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
            ))
        );
    }

    /// Checks the walk against its own promises on many small pairs: the ranges, in order,
    /// spell the subsequence backwards, each range matches in both strings, and the length
    /// agrees with the table.
    #[test]
    fn lcs_ranges_spell_the_subsequence() {
        let mut seed = 7u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..300 {
            let mut word = |n: u64| -> Vec<u8> {
                let len = (next() % n) as usize;
                (0..len).map(|_| b"abc"[(next() % 3) as usize]).collect()
            };
            let (a, b) = (word(12), word(12));
            let table = LcsTable::build(&a, &b).unwrap();
            let (common, ranges) = table.walk_back(&a, &b);
            assert_eq!(common.len(), table.at(a.len(), b.len()) as usize);
            let mut spelled = Vec::new();
            for r in ranges.iter().rev() {
                let a_part = &a[r.a_start..=r.a_end];
                assert_eq!(a_part, &b[r.b_start..r.b_start + r.len()]);
                spelled.extend_from_slice(a_part);
            }
            assert_eq!(spelled, common, "{a:?} {b:?}");
        }
    }
}

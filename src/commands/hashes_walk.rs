//! The hash commands that walk a hash rather than look a field up: HRANDFIELD and HSCAN.
//!
//! Owns: their argument parsing and the shape of their replies. Runs on: the executor owning the
//! key; both are read-only.

use bytes::Bytes;

use super::args::{parse_cursor, parse_i64};
use super::ctx::ShardCtx;
use super::glob::glob_match;
use super::hashes::read_hash;
use super::table::CmdResult;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;

/// HRANDFIELD with a count of `i64::MIN`, which cannot be negated.
const COUNT_OUT_OF_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
/// HRANDFIELD WITHVALUES with a count whose reply length would overflow.
const OUT_OF_RANGE: &str = "ERR value is out of range";
/// HSCAN with a cursor that is not an unsigned integer.
const INVALID_CURSOR: &str = "ERR invalid cursor";

/// Picks made per call before repeats are pushed one at a time rather than reserved, so that a
/// huge negative count cannot ask for an impossible allocation up front.
const RESERVE_AT_MOST: usize = 1024;

/// HRANDFIELD's arguments: `[count [WITHVALUES]]`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct RandArgs {
    /// `None`: one field as a bulk string. Negative: that many picks, repeats allowed.
    count: Option<i64>,
    withvalues: bool,
}

impl RandArgs {
    /// Parses `args[2..]`. The count is read first, then the word after it (as Redis does).
    fn parse(args: &[Bytes]) -> Result<RandArgs, CmdError> {
        let Some(raw) = args.get(2) else {
            return Ok(RandArgs {
                count: None,
                withvalues: false,
            });
        };
        let count = parse_i64(raw).ok_or(CmdError::NotInteger)?;
        if count == i64::MIN {
            return Err(CmdError::custom(COUNT_OUT_OF_RANGE));
        }
        let withvalues = match &args[3..] {
            [] => false,
            [w] if w.eq_ignore_ascii_case(b"withvalues") => true,
            _ => return Err(CmdError::Syntax),
        };
        if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
            return Err(CmdError::custom(OUT_OF_RANGE));
        }
        Ok(RandArgs {
            count: Some(count),
            withvalues,
        })
    }
}

/// HRANDFIELD key [count [WITHVALUES]]
///
/// Without a count, one random field (nil for a missing key). With a positive count, that many
/// distinct fields (all of them when the count reaches the length); with a negative one, that
/// many picks where a field may come more than once. WITHVALUES adds each field's value: a flat
/// array in RESP2, an array of [field, value] pairs in RESP3. Arguments are checked before the
/// key.
pub(super) fn hrandfield(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let req = RandArgs::parse(args)?;
    let h = read_hash(cx, &args[1])?;
    let mut rng = rand::thread_rng();
    let Some(count) = req.count else {
        return Ok(match h.and_then(|h| h.random(&mut rng)) {
            Some((f, _)) => Reply::bulk_slice(f),
            None => Reply::Nil,
        });
    };
    let Some(h) = h.filter(|_| count != 0) else {
        return Ok(Reply::Array(Vec::new()));
    };
    let picks: Vec<(&[u8], &[u8])> = if count < 0 {
        let n = count.unsigned_abs() as usize;
        let mut picks = Vec::with_capacity(n.min(RESERVE_AT_MOST));
        h.random_with_repeats(&mut rng, n, |pair| picks.push(pair));
        picks
    } else {
        h.random_distinct(&mut rng, count as usize)
    };
    Ok(if req.withvalues {
        Reply::Pairs(
            picks
                .into_iter()
                .map(|(f, v)| (Reply::bulk_slice(f), Reply::bulk_slice(v)))
                .collect(),
        )
    } else {
        Reply::bulk_array(picks.into_iter().map(|(f, _)| Bytes::copy_from_slice(f)))
    })
}

/// HSCAN's options: `[MATCH pattern] [COUNT count]`, each taking one value, a later one winning.
#[derive(Debug, Clone, PartialEq)]
struct ScanOpts {
    /// A glob the field must match; `None` for no MATCH or `MATCH *`.
    pattern: Option<Bytes>,
    /// How many fields to look at, a hint (10 by default).
    count: usize,
}

impl ScanOpts {
    /// Parses the options after the cursor.
    fn parse(opts: &[Bytes]) -> Result<ScanOpts, CmdError> {
        let mut req = ScanOpts {
            pattern: None,
            count: 10,
        };
        for pair in opts.chunks(2) {
            match pair {
                [opt, v] if opt.eq_ignore_ascii_case(b"count") => {
                    let n = parse_i64(v).ok_or(CmdError::NotInteger)?;
                    if n < 1 {
                        return Err(CmdError::Syntax);
                    }
                    req.count = usize::try_from(n).unwrap_or(usize::MAX);
                }
                [opt, v] if opt.eq_ignore_ascii_case(b"match") => {
                    req.pattern = (&v[..] != b"*").then(|| v.clone());
                }
                _ => return Err(CmdError::Syntax),
            }
        }
        Ok(req)
    }
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
///
/// Replies `[next cursor, [field, value, ...]]`; cursor 0 ends the walk. A hash in the listpack
/// encoding is returned whole in one call with cursor 0, whatever the cursor and COUNT. A larger
/// one is walked about COUNT fields per call, and every field present for the whole walk is
/// returned exactly once. The cursor is checked before the key, the options after it (as Redis
/// does); a missing key is an empty walk.
pub(super) fn hscan(cx: &mut ShardCtx<'_>, args: &[Bytes]) -> CmdResult {
    let cursor = parse_cursor(&args[2]).ok_or(CmdError::custom(INVALID_CURSOR))?;
    let opts = ScanOpts::parse(&args[3..]);
    let Some(h) = read_hash(cx, &args[1])? else {
        return Ok(scan_reply(0, Vec::new()));
    };
    let opts = opts?;
    let mut found = Vec::new();
    let next = h.scan(cursor, opts.count, |f, v| {
        if opts
            .pattern
            .as_ref()
            .is_none_or(|p| glob_match(p, f, false))
        {
            found.push(Bytes::copy_from_slice(f));
            found.push(Bytes::copy_from_slice(v));
        }
    });
    Ok(scan_reply(next, found))
}

/// `[cursor as a bulk string, [items]]`.
fn scan_reply(cursor: u64, items: Vec<Bytes>) -> Reply {
    let cursor = Bytes::copy_from_slice(itoa::Buffer::new().format(cursor).as_bytes());
    Reply::Array(vec![Reply::Bulk(cursor), Reply::bulk_array(items)])
}

#[cfg(test)]
mod tests {
    use super::super::hashes::testing::*;
    use super::*;
    use std::collections::HashMap;

    fn items(r: &Reply) -> Vec<Reply> {
        match r {
            Reply::Array(v) => v.clone(),
            Reply::Pairs(p) => p.iter().flat_map(|(a, b)| [a.clone(), b.clone()]).collect(),
            other => panic!("not an array: {other:?}"),
        }
    }

    fn text(r: &Reply) -> String {
        match r.as_bulk() {
            Some(b) => String::from_utf8(b.to_vec()).unwrap(),
            None => panic!("not a bulk: {r:?}"),
        }
    }

    #[test]
    fn hrandfield_arguments_are_checked_before_the_key() {
        let mut s = Session::new();
        s.set("str", "x");
        assert_eq!(
            s.run("HRANDFIELD str x"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(s.run("HRANDFIELD str 1 foo"), err("ERR syntax error"));
        assert_eq!(
            s.run("HRANDFIELD str 1 withvalues x"),
            err("ERR syntax error")
        );
        assert_eq!(
            s.run("HRANDFIELD nokey -9223372036854775808"),
            err(COUNT_OUT_OF_RANGE)
        );
        assert_eq!(
            s.run("HRANDFIELD nokey 9223372036854775807 WITHVALUES"),
            err(OUT_OF_RANGE)
        );
        assert_eq!(s.run("HRANDFIELD str 1"), err(WRONGTYPE));
    }

    #[test]
    fn hrandfield_on_a_missing_key() {
        let mut s = Session::new();
        assert_eq!(s.run("HRANDFIELD h"), nil());
        assert_eq!(s.run("HRANDFIELD h 3"), Reply::Array(vec![]));
        assert_eq!(s.run("HRANDFIELD h -3 WITHVALUES"), Reply::Array(vec![]));
    }

    #[test]
    fn hrandfield_counts() {
        let mut s = Session::new();
        s.run("HSET h a 1 b 2 c 3");
        let values: HashMap<_, _> = [("a", "1"), ("b", "2"), ("c", "3")].into();
        assert!(values.contains_key(text(&s.run("HRANDFIELD h")).as_str()));
        assert_eq!(s.run("HRANDFIELD h 0"), Reply::Array(vec![]));
        let mut all: Vec<String> = items(&s.run("HRANDFIELD h 10")).iter().map(text).collect();
        all.sort();
        assert_eq!(all, ["a", "b", "c"]);
        let two: Vec<String> = items(&s.run("HRANDFIELD h 2")).iter().map(text).collect();
        assert_eq!(two.len(), 2);
        assert_ne!(two[0], two[1]);
        let repeats = items(&s.run("HRANDFIELD h -20"));
        assert_eq!(repeats.len(), 20);
        let pairs = s.run("HRANDFIELD h -7 WITHVALUES");
        assert!(matches!(pairs, Reply::Pairs(ref p) if p.len() == 7));
        for pair in items(&pairs).chunks(2) {
            assert_eq!(values[text(&pair[0]).as_str()], text(&pair[1]));
        }
    }

    #[test]
    fn hscan_arguments_and_missing_keys() {
        let mut s = Session::new();
        s.set("str", "x");
        let empty = scan_reply(0, vec![]);
        assert_eq!(s.run("HSCAN nokey 0"), empty);
        assert_eq!(
            s.run("HSCAN nokey 0 COUNT x"),
            empty,
            "options after the key"
        );
        assert_eq!(s.run("HSCAN nokey x"), err(INVALID_CURSOR));
        assert_eq!(s.run("HSCAN str x"), err(INVALID_CURSOR));
        assert_eq!(s.run("HSCAN str 0 COUNT 0"), err(WRONGTYPE));
        s.run("HSET h a 1");
        assert_eq!(s.run("HSCAN h 0 COUNT 0"), err("ERR syntax error"));
        assert_eq!(s.run("HSCAN h 0 MATCH"), err("ERR syntax error"));
        assert_eq!(s.run("HSCAN h 0 TYPE string"), err("ERR syntax error"));
        assert_eq!(
            s.run("HSCAN h 0 COUNT x"),
            err("ERR value is not an integer or out of range")
        );
    }

    #[test]
    fn hscan_returns_a_small_hash_whole() {
        let mut s = Session::new();
        s.run("HSET h a 1 b 2 ab 3");
        assert_eq!(
            s.run("HSCAN h 17 COUNT 1"),
            scan_reply(0, ["a", "1", "b", "2", "ab", "3"].map(Bytes::from).to_vec())
        );
        assert_eq!(
            s.run("HSCAN h 0 MATCH a*"),
            scan_reply(0, ["a", "1", "ab", "3"].map(Bytes::from).to_vec())
        );
    }

    #[test]
    fn hscan_walks_a_big_hash_completely() {
        let mut s = Session::new();
        let line: Vec<String> = (0..1000).map(|i| format!("f{i} v{i}")).collect();
        s.run(&format!("HSET h {}", line.join(" ")));
        let mut seen = HashMap::new();
        let mut cursor = "0".to_string();
        let mut calls = 0;
        loop {
            let r = s.run(&format!("HSCAN h {cursor} COUNT 20"));
            let [c, batch] = &items(&r)[..] else { panic!() };
            for pair in items(batch).chunks(2) {
                assert!(seen.insert(text(&pair[0]), text(&pair[1])).is_none());
            }
            calls += 1;
            cursor = text(c);
            if cursor == "0" {
                break;
            }
        }
        assert!(calls > 1, "a hashtable is walked in several calls");
        assert_eq!(seen.len(), 1000);
        assert!((0..1000).all(|i| seen[&format!("f{i}")] == format!("v{i}")));
    }

    #[test]
    fn cursors_read_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"+5"), Some(5));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"5\x00x"), Some(5));
        assert_eq!(parse_cursor(b" 5"), None);
        assert_eq!(parse_cursor(b"5x"), None);
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
    }
}

//! SSCAN: walking a set's members a few calls at a time.
//!
//! Owns: SSCAN's argument parsing and its handler. The walk itself is `SetValue::scan`: an
//! `intset` answers everything in one call, a `hashtable` moves through positions in hash order
//! that survive the set growing.

use crate::commands::args::parse_cursor;
use bytes::Bytes;

use super::errors;
use crate::commands::args::parse_i64;
use crate::commands::ctx::ShardCtx;
use crate::commands::glob::glob_match;
use crate::commands::table::CmdResult;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::storage::value::Value;

/// SSCAN's options: `[MATCH pattern] [COUNT count]`.
#[derive(Debug, Clone, PartialEq)]
struct ScanOptions {
    /// How many members to look at, a hint (COUNT, 10 by default).
    count: usize,
    /// A glob members must match; `None` for no MATCH or `MATCH *`.
    pattern: Option<Bytes>,
}

impl ScanOptions {
    /// Parses the options in order; each takes one value, and a later one wins. COUNT must be a
    /// positive integer. TYPE is SCAN's alone, so here it is a syntax error.
    fn parse(opts: &[Bytes]) -> Result<ScanOptions, CmdError> {
        let mut req = ScanOptions {
            count: 10,
            pattern: None,
        };
        let mut i = 0;
        while i < opts.len() {
            match (&opts[i], opts.get(i + 1)) {
                (opt, Some(v)) if opt.eq_ignore_ascii_case(b"count") => {
                    let n = parse_i64(v).ok_or(CmdError::NotInteger)?;
                    if n < 1 {
                        return Err(CmdError::Syntax);
                    }
                    req.count = usize::try_from(n).unwrap_or(usize::MAX);
                }
                (opt, Some(v)) if opt.eq_ignore_ascii_case(b"match") => {
                    req.pattern = (&v[..] != b"*").then(|| v.clone());
                }
                _ => return Err(CmdError::Syntax),
            }
            i += 2;
        }
        Ok(req)
    }
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
///
/// Replies `[next cursor, [members]]`; cursor 0 ends the walk. As in Redis, the cursor is
/// checked first, then the key (an absent key replies `["0", []]` whatever the options), and
/// the options last.
pub(super) fn sscan(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    let cursor = parse_cursor(&argv[2]).ok_or_else(errors::invalid_cursor)?;
    let Some(set) = cx.read_typed(&argv[1], Value::as_set_mut)? else {
        return Ok(scan_reply(0, Vec::new()));
    };
    let opts = ScanOptions::parse(&argv[3..])?;
    let mut found = Vec::new();
    let next = set.scan(cursor, opts.count, |m| {
        let m = m.to_bytes();
        if opts
            .pattern
            .as_ref()
            .is_none_or(|p| glob_match(p, &m, false))
        {
            found.push(Reply::Bulk(m));
        }
    });
    Ok(scan_reply(next, found))
}

/// `[cursor as a bulk string, [members]]`.
fn scan_reply(cursor: u64, members: Vec<Reply>) -> Reply {
    let mut buf = itoa::Buffer::new();
    Reply::Array(vec![
        Reply::bulk_copy(buf.format(cursor).as_bytes()),
        Reply::Array(members),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn walk(s: &mut Session, key: &str, opts: &str) -> (Vec<String>, usize) {
        let mut all = Vec::new();
        let mut calls = 0;
        let mut cursor = "0".to_string();
        loop {
            calls += 1;
            let Reply::Array(parts) = s.run(&format!("SSCAN {key} {cursor}{opts}")) else {
                panic!("array expected")
            };
            let Reply::Bulk(c) = &parts[0] else {
                panic!("cursor expected")
            };
            cursor = String::from_utf8(c.to_vec()).unwrap();
            all.extend(sorted(parts[1].clone()));
            if cursor == "0" {
                break;
            }
        }
        all.sort();
        (all, calls)
    }

    #[test]
    fn an_intset_answers_in_one_call() {
        let mut s = Session::new();
        s.run("SADD k 3 1 2");
        assert_eq!(
            s.run("SSCAN k 0 COUNT 1"),
            Reply::Array(vec![
                bulk("0"),
                Reply::Array(vec![bulk("1"), bulk("2"), bulk("3")])
            ])
        );
    }

    #[test]
    fn a_hashtable_is_walked_in_steps_and_filtered() {
        let mut s = Session::new();
        let names: Vec<String> = (0..2000).map(|i| format!("m{i}")).collect();
        s.run(&format!("SADD k {}", names.join(" ")));
        let (all, calls) = walk(&mut s, "k", " COUNT 10");
        assert_eq!(all.len(), 2000);
        assert!(calls > 1);
        let (ones, _) = walk(&mut s, "k", " MATCH m1?? COUNT 100");
        assert_eq!(ones.len(), 100);
        assert!(ones.iter().all(|m| m.starts_with("m1") && m.len() == 4));
    }

    #[test]
    fn errors_come_in_redis_order() {
        let mut s = Session::new();
        assert_eq!(s.run("SSCAN k x"), err("ERR invalid cursor"));
        assert_eq!(
            s.run("SSCAN k 0 COUNT 0"),
            Reply::Array(vec![bulk("0"), Reply::Array(vec![])])
        );
        s.run("SADD k a");
        assert_eq!(s.run("SSCAN k 0 COUNT 0"), err("ERR syntax error"));
        assert_eq!(s.run("SSCAN k 0 TYPE set"), err("ERR syntax error"));
        assert_eq!(s.run("SSCAN k 0 COUNT"), err("ERR syntax error"));
        assert_eq!(
            s.run("SSCAN k 0 COUNT x"),
            err("ERR value is not an integer or out of range")
        );
    }

    #[test]
    fn cursors_parse_like_strtoul() {
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"+5"), Some(5));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b" 1"), None);
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
    }
}

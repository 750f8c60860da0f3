//! The set commands that pick members at random: SPOP and SRANDMEMBER.
//!
//! Owns: those handlers and how SPOP propagates. A replica must remove the members the master
//! picked, not pick its own, so SPOP never travels as itself: it goes as SREM of the popped
//! members, or as DEL when it took the whole set.

use bytes::Bytes;

use super::errors;
use super::{delete_if_empty, member_array, member_set, word};
use crate::commands::args::parse_i64;
use crate::commands::ctx::ShardCtx;
use crate::commands::table::CmdResult;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::storage::set::{Member, SetLimits, SetValue};
use crate::storage::value::Value;

/// SPOP pops by rebuilding the set from the members it keeps, rather than removing the popped
/// ones, when it keeps at most a fifth of what it pops. A rebuilt set starts again as an
/// `intset` when its members allow, as in Redis.
const REBUILD_RATIO: usize = 5;

/// Most members one propagated SREM names.
const SREM_BATCH: usize = 1024;

/// SPOP key [count]
///
/// Without a count: removes and returns one random member, or nil when the key is absent. With
/// one: removes and returns up to `count` distinct random members as a set reply (empty when
/// the key is absent). The count is checked before the key.
pub(super) fn spop(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    match argv.len() {
        2 => spop_one(cx, &argv[1]),
        3 => {
            let count = parse_i64(&argv[2])
                .filter(|&n| n >= 0)
                .ok_or(CmdError::MustBePositive)?;
            spop_count(cx, &argv[1], usize::try_from(count).unwrap_or(usize::MAX))
        }
        _ => Err(CmdError::Syntax),
    }
}

/// SPOP without a count. Propagates `SREM key member`.
fn spop_one(cx: &mut ShardCtx<'_>, key: &Bytes) -> CmdResult {
    let Some(set) = cx.write_typed(key, Value::as_set_mut)? else {
        cx.out.suppress();
        return Ok(Reply::Nil);
    };
    let member = set
        .random(&mut rand::thread_rng())
        .map(Member::to_bytes)
        .expect("a stored set is never empty");
    set.remove(&member);
    delete_if_empty(cx, key);
    cx.out
        .replace(vec![word("SREM"), key.clone(), member.clone()]);
    cx.dirty(1);
    Ok(Reply::Bulk(member))
}

/// SPOP with a count. Propagates `DEL key` when it pops every member, else SREMs of the popped
/// members (nothing when the count is 0 or the key is absent).
fn spop_count(cx: &mut ShardCtx<'_>, key: &Bytes, count: usize) -> CmdResult {
    let set = match cx.write_typed(key, Value::as_set_mut)? {
        Some(set) if count > 0 => set,
        _ => {
            cx.out.suppress();
            return Ok(Reply::Set(Vec::new()));
        }
    };
    let size = set.len();
    if count >= size {
        let reply = member_set(set.iter());
        cx.db().remove(key);
        cx.out.replace(vec![word("DEL"), key.clone()]);
        cx.dirty(size as u64);
        return Ok(reply);
    }
    let popped: Vec<Bytes> = set
        .sample_distinct(count, &mut rand::thread_rng())
        .into_iter()
        .map(Member::to_bytes)
        .collect();
    for m in &popped {
        set.remove(m);
    }
    if (size - count).saturating_mul(REBUILD_RATIO) <= count {
        let rebuilt = SetValue::from_members(set.iter(), SetLimits::current());
        *set = rebuilt;
    }
    for batch in popped.chunks(SREM_BATCH) {
        let mut argv = Vec::with_capacity(batch.len() + 2);
        argv.extend([word("SREM"), key.clone()]);
        argv.extend_from_slice(batch);
        cx.out.replace(argv);
    }
    cx.dirty(count as u64);
    Ok(Reply::Set(popped.into_iter().map(Reply::Bulk).collect()))
}

/// SRANDMEMBER key [count]
///
/// Without a count: one random member, or nil when the key is absent. With a positive count: up
/// to `count` distinct members (the whole set when it is that small). With a negative count:
/// exactly `-count` members picked independently, so repeats are possible. Both count forms
/// reply with an array, empty when the key is absent. The count is checked before the key.
pub(super) fn srandmember(cx: &mut ShardCtx<'_>, argv: &[Bytes]) -> CmdResult {
    match argv.len() {
        2 => {
            let Some(set) = cx.read_typed(&argv[1], Value::as_set_mut)? else {
                return Ok(Reply::Nil);
            };
            let member = set.random(&mut rand::thread_rng());
            Ok(member.map_or(Reply::Nil, |m| Reply::Bulk(m.to_bytes())))
        }
        3 => {
            let count = parse_i64(&argv[2]).ok_or(CmdError::NotInteger)?;
            if count == i64::MIN {
                return Err(errors::count_out_of_range());
            }
            srandmember_count(cx, &argv[1], count)
        }
        _ => Err(CmdError::Syntax),
    }
}

/// SRANDMEMBER with a count (see [`srandmember`]).
fn srandmember_count(cx: &mut ShardCtx<'_>, key: &[u8], count: i64) -> CmdResult {
    let set = match cx.read_typed(key, Value::as_set_mut)? {
        Some(set) if count != 0 => set,
        _ => return Ok(Reply::Array(Vec::new())),
    };
    let n = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let mut rng = rand::thread_rng();
    Ok(if count < 0 {
        member_array(set.sample_with_repeats(n, &mut rng))
    } else {
        member_array(set.sample_distinct(n, &mut rng))
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::commands::propagation::Propagation;
    use crate::protocol::reply::Reply;

    fn items(r: Reply) -> Vec<Reply> {
        match r {
            Reply::Array(v) | Reply::Set(v) => v,
            other => panic!("not an array: {other:?}"),
        }
    }

    #[test]
    fn spop_removes_what_it_returns_and_propagates_srem() {
        let mut s = Session::new();
        s.run("SADD k a b c");
        let Reply::Bulk(m) = s.run("SPOP k") else {
            panic!("bulk expected")
        };
        let m = String::from_utf8(m.to_vec()).unwrap();
        assert_eq!(s.out, propagated(&format!("SREM k {m}")));
        assert_eq!(s.run(&format!("SISMEMBER k {m}")), int(0));
        assert_eq!(s.run("SCARD k"), int(2));
        s.run("SPOP k");
        s.run("SPOP k");
        assert!(!s.stored(0, "k"));
        assert_eq!(s.run("SPOP k"), Reply::Nil);
        assert_eq!(s.out, Propagation::Nothing);
    }

    #[test]
    fn spop_with_count_pops_distinct_members() {
        let mut s = Session::new();
        s.run("SADD k a b c d e f g h i j");
        let popped = sorted(s.run("SPOP k 3"));
        assert_eq!(popped.len(), 3);
        let mut dedup = popped.clone();
        dedup.dedup();
        assert_eq!(dedup, popped);
        let Propagation::Replace(cmds) = &s.out else {
            panic!("SPOP propagates SREM")
        };
        assert_eq!(cmds.len(), 1);
        assert_eq!(cmds[0].len(), 5);
        assert_eq!(s.run("SCARD k"), int(7));
        assert_eq!(s.ks.stats.dirty, 10 + 3);
    }

    #[test]
    fn spop_of_the_whole_set_propagates_del() {
        let mut s = Session::new();
        s.run("SADD k 1 2 3");
        assert_eq!(sorted(s.run("SPOP k 5")), ["1", "2", "3"]);
        assert_eq!(s.out, propagated("DEL k"));
        assert!(!s.stored(0, "k"));
        assert_eq!(s.run("SPOP k 5"), Reply::Set(vec![]));
        s.run("SADD k 1");
        assert_eq!(s.run("SPOP k 0"), Reply::Set(vec![]));
        assert_eq!(s.out, Propagation::Nothing);
    }

    #[test]
    fn spop_of_most_members_rebuilds_as_an_intset() {
        let mut s = Session::new();
        let many: Vec<String> = (0..600).map(|i| i.to_string()).collect();
        s.run(&format!("SADD k {}", many.join(" ")));
        assert_eq!(encoding(&mut s, "k"), bulk("hashtable"));
        assert_eq!(items(s.run("SPOP k 590")).len(), 590);
        assert_eq!(encoding(&mut s, "k"), bulk("intset"));
        assert_eq!(s.run("SCARD k"), int(10));
    }

    #[test]
    fn spop_checks_its_count_before_the_key() {
        let mut s = Session::new();
        s.set("str", "v");
        let positive = err("ERR value is out of range, must be positive");
        assert_eq!(s.run("SPOP str -1"), positive);
        assert_eq!(s.run("SPOP str x"), positive);
        assert_eq!(s.run("SPOP k 1 2"), err("ERR syntax error"));
    }

    #[test]
    fn srandmember_counts() {
        let mut s = Session::new();
        assert_eq!(s.run("SRANDMEMBER k"), Reply::Nil);
        assert_eq!(s.run("SRANDMEMBER k 3"), Reply::Array(vec![]));
        s.run("SADD k a b c");
        assert_eq!(sorted(s.run("SRANDMEMBER k 10")), ["a", "b", "c"]);
        assert_eq!(items(s.run("SRANDMEMBER k 2")).len(), 2);
        let repeated = sorted(s.run("SRANDMEMBER k -20"));
        assert_eq!(repeated.len(), 20);
        assert!(repeated
            .iter()
            .all(|m| ["a", "b", "c"].contains(&m.as_str())));
        assert_eq!(s.run("SRANDMEMBER k 0"), Reply::Array(vec![]));
        assert_eq!(s.run("SCARD k"), int(3));
    }

    #[test]
    fn srandmember_errors_match_redis() {
        let mut s = Session::new();
        assert_eq!(
            s.run("SRANDMEMBER k -9223372036854775808"),
            err(
                "ERR value is out of range, value must between -9223372036854775807 and \
                 9223372036854775807"
            )
        );
        assert_eq!(
            s.run("SRANDMEMBER k x"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(s.run("SRANDMEMBER k 1 2"), err("ERR syntax error"));
    }
}

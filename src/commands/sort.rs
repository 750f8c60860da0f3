//! SORT and SORT_RO: sorting a list, set or sorted set, by its elements or by other keys.
//!
//! Owns: the option parser, the pattern lookups (`weight_*`, `hash->field`, `#`), the ordering
//! rules Redis 7.0 uses (numbers, or bytes with ALPHA; ties broken by the element itself so the
//! result is deterministic), LIMIT, GET and STORE. The patterns may name keys on any shard, so
//! SORT runs as one transaction over every shard: it sees one point in time, as in Redis.

use bytes::Bytes;
use futures_lite::future::BoxedLocal;
use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::args::parse_i64;
use super::ctx::AsyncCtx;
use super::keys::with_shard_ctx;
use super::lists::store_new;
use super::table::flags::{DENYOOM, MOVABLEKEYS, READONLY, WRITE};
use super::table::{CmdResult, CommandTable, Handler, KeySpec};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::shards::{owner_of, MultiShard, ShardId};
use crate::storage::clock::UnixMillis;
use crate::storage::list::{Elem, End, ListValue};
use crate::storage::value::Value;

/// Registers SORT and SORT_RO with the flags `COMMAND INFO` shows on Redis 7.0.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    t.add("sort",    -2, WRITE | DENYOOM | MOVABLEKEYS, KeySpec::range(1, 1, 1), Handler::Async(sort));
    t.add("sort_ro", -2, READONLY | MOVABLEKEYS,        KeySpec::range(1, 1, 1), Handler::Async(sort_ro));
}

/// SORT's options.
#[derive(Debug, Default)]
struct SortArgs {
    by: Option<Bytes>,
    /// BY a pattern without `*`: keep the stored order.
    dont_sort: bool,
    limit: Option<(i64, i64)>,
    get: Vec<Bytes>,
    desc: bool,
    alpha: bool,
    store: Option<Bytes>,
}

impl SortArgs {
    fn parse(argv: &[Bytes], readonly: bool) -> Result<SortArgs, CmdError> {
        let mut a = SortArgs::default();
        let mut i = 2;
        while i < argv.len() {
            let opt = &argv[i];
            let left = argv.len() - i - 1;
            if opt.eq_ignore_ascii_case(b"asc") {
                a.desc = false;
            } else if opt.eq_ignore_ascii_case(b"desc") {
                a.desc = true;
            } else if opt.eq_ignore_ascii_case(b"alpha") {
                a.alpha = true;
            } else if opt.eq_ignore_ascii_case(b"limit") && left >= 2 {
                let offset = parse_i64(&argv[i + 1]).ok_or(CmdError::NotInteger)?;
                let count = parse_i64(&argv[i + 2]).ok_or(CmdError::NotInteger)?;
                a.limit = Some((offset, count));
                i += 2;
            } else if opt.eq_ignore_ascii_case(b"store") && left >= 1 && !readonly {
                a.store = Some(argv[i + 1].clone());
                i += 1;
            } else if opt.eq_ignore_ascii_case(b"by") && left >= 1 {
                let p = argv[i + 1].clone();
                a.dont_sort = !p.contains(&b'*');
                a.by = Some(p);
                i += 1;
            } else if opt.eq_ignore_ascii_case(b"get") && left >= 1 {
                a.get.push(argv[i + 1].clone());
                i += 1;
            } else {
                return Err(CmdError::Syntax);
            }
            i += 1;
        }
        Ok(a)
    }
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE dst]
fn sort(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(sort_generic(cx, argv, false))
}

/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
fn sort_ro(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(sort_generic(cx, argv, true))
}

/// What the sorted key holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Set,
    ZSet,
}

async fn sort_generic(cx: AsyncCtx, argv: Vec<Bytes>, readonly: bool) -> CmdResult {
    let mut req = SortArgs::parse(&argv, readonly)?;
    let db = cx.db;
    let tx = MultiShard::lock_all().await;
    let key = argv[1].clone();
    // A list sorted by its own elements is sorted where it lives, and only the elements LIMIT
    // picks leave it.
    let by_itself =
        (!req.dont_sort && req.by.is_none()).then_some((req.alpha, req.desc, req.limit));
    let (kind, mut elems, picked_already) = tx
        .run(owner_of(&key), move |ks| {
            with_shard_ctx(ks, db, UnixMillis::now(), |cx| {
                let Some(e) = cx.lookup_read(&key) else {
                    return Ok((Kind::List, Vec::new(), false));
                };
                Ok(match &mut e.value {
                    Value::List(l) => match by_itself {
                        Some((alpha, desc, limit)) => {
                            (Kind::List, sorted_list_span(l, alpha, desc, limit)?, true)
                        }
                        None => (Kind::List, l.range(0, l.len(), false), false),
                    },
                    Value::Set(s) => (Kind::Set, s.iter().map(|m| m.to_bytes()).collect(), false),
                    Value::ZSet(z) => {
                        // Redis converts a sorted set it sorts for good; OBJECT ENCODING
                        // shows it.
                        z.convert_to_skiplist();
                        (
                            Kind::ZSet,
                            z.iter().map(|(m, _)| m.clone()).collect::<Vec<Bytes>>(),
                            false,
                        )
                    }
                    _ => return Err(CmdError::WrongType),
                })
            })
        })
        .await?;
    // A set has no order of its own; what is stored or replicated must not depend on the
    // hash table's, so it is sorted by its members.
    if req.dont_sort && kind == Kind::Set && req.store.is_some() {
        req.dont_sort = false;
        req.alpha = true;
        req.by = None;
    }
    let picked: Vec<Bytes> = if picked_already {
        // Sorted and cut to LIMIT on the list's shard.
        elems
    } else {
        let (start, end) = limit_span(req.limit, elems.len());
        if !req.dont_sort {
            let weights = match &req.by {
                Some(p) => Some(lookup_all(&tx, db, p, &elems).await),
                None => None,
            };
            elems = sorted(elems, weights, req.alpha, req.desc)?;
        } else if kind != Kind::Set && req.desc {
            // Unsorted lists and sorted sets keep their own order, walked from the other end.
            elems.reverse();
        }
        elems.truncate(end);
        elems.drain(..start.min(elems.len()));
        elems
    };
    let out: Vec<Option<Bytes>> = if req.get.is_empty() {
        picked.into_iter().map(Some).collect()
    } else {
        let mut columns = Vec::with_capacity(req.get.len());
        for p in &req.get {
            columns.push(lookup_all(&tx, db, p, &picked).await);
        }
        (0..picked.len())
            .flat_map(|row| columns.iter().map(move |c| c[row].clone()))
            .collect()
    };
    let Some(dst) = req.store else {
        return Ok(Reply::Array(
            out.into_iter()
                .map(|v| v.map_or(Reply::Nil, Reply::Bulk))
                .collect(),
        ));
    };
    let n = out.len();
    tx.run(owner_of(&dst), move |ks| {
        with_shard_ctx(ks, db, UnixMillis::now(), |cx| {
            cx.db().remove(&dst);
            if n > 0 {
                let mut list = ListValue::new();
                let fill = super::lists::fill();
                for v in &out {
                    list.push(End::Tail, v.as_deref().unwrap_or_default(), fill);
                }
                store_new(cx, &dst, list);
            }
            cx.dirty(n.max(1) as u64);
        })
    })
    .await;
    tx.propagate(db, argv);
    Ok(Reply::Int(n as i64))
}

/// The [start, end) span LIMIT selects among `len` elements (everything without LIMIT; a
/// negative count means to the end).
fn limit_span(limit: Option<(i64, i64)>, len: usize) -> (usize, usize) {
    let Some((offset, count)) = limit else {
        return (0, len);
    };
    let start = usize::try_from(offset.max(0))
        .unwrap_or(usize::MAX)
        .min(len);
    let end = if count < 0 {
        len
    } else {
        start
            .saturating_add(usize::try_from(count).unwrap_or(usize::MAX))
            .min(len)
    };
    (start, end)
}

/// Orders `elems` by their weights (or themselves), numerically or with ALPHA by bytes; equal
/// weights fall back to the elements' bytes.
fn sorted(
    elems: Vec<Bytes>,
    weights: Option<Vec<Option<Bytes>>>,
    alpha: bool,
    desc: bool,
) -> Result<Vec<Bytes>, CmdError> {
    enum Key {
        Num(f64),
        Text(Option<Bytes>),
    }
    let mut keyed: Vec<(Key, Bytes)> = Vec::with_capacity(elems.len());
    let by_weight = weights.is_some();
    let mut weights = weights.unwrap_or_default().into_iter();
    for e in elems {
        // Without BY an element is its own weight. It is not cloned for that: a clone of a
        // freshly built `Bytes` allocates. Under ALPHA the tie-break on the elements' bytes
        // below orders them by themselves.
        let k = match (alpha, by_weight) {
            (true, true) => Key::Text(weights.next().flatten()),
            (true, false) => Key::Text(None),
            (false, true) => match weights.next().flatten() {
                None => Key::Num(0.0),
                Some(b) => Key::Num(parse_score(&b).ok_or_else(bad_score)?),
            },
            (false, false) => Key::Num(parse_score(&e).ok_or_else(bad_score)?),
        };
        keyed.push((k, e));
    }
    keyed.sort_by(|(ka, ea), (kb, eb)| {
        let by_key = match (ka, kb) {
            (Key::Num(a), Key::Num(b)) => by_score(*a, *b),
            (Key::Text(a), Key::Text(b)) => a.cmp(b),
            _ => Ordering::Equal,
        };
        sort_order(by_key, || ea.cmp(eb), desc)
    });
    Ok(keyed.into_iter().map(|(_, e)| e).collect())
}

/// The elements of `list` that LIMIT picks once the list is sorted by its elements (as numbers,
/// or as bytes with `alpha`; `sorted`'s rules), without making a `Bytes` of the others.
fn sorted_list_span(
    list: &ListValue,
    alpha: bool,
    desc: bool,
    limit: Option<(i64, i64)>,
) -> Result<Vec<Bytes>, CmdError> {
    let mut keyed: Vec<(f64, Elem<'_>)> = Vec::with_capacity(list.len());
    for e in list.iter() {
        let score = match (alpha, e) {
            (true, _) => 0.0,
            // The nearest double, as strtod gives for the element's decimal text.
            (false, Elem::Int(n)) => n as f64,
            (false, Elem::Str(b)) => parse_score(b).ok_or_else(bad_score)?,
        };
        keyed.push((score, e));
    }
    keyed.sort_by(|(sa, ea), (sb, eb)| {
        sort_order(
            by_score(*sa, *sb),
            || ea.with_bytes(|a| eb.with_bytes(|b| a.cmp(b))),
            desc,
        )
    });
    let (start, end) = limit_span(limit, keyed.len());
    Ok(keyed[start..end]
        .iter()
        .map(|&(_, e)| e.to_bytes())
        .collect())
}

/// SORT's order: by weight, equal weights by the elements' bytes, all of it reversed with DESC.
fn sort_order(by_weight: Ordering, by_bytes: impl FnOnce() -> Ordering, desc: bool) -> Ordering {
    let o = by_weight.then_with(by_bytes);
    if desc {
        o.reverse()
    } else {
        o
    }
}

/// Two numeric weights in order; weights are never NaN (`parse_score` refuses it).
fn by_score(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

fn bad_score() -> CmdError {
    CmdError::custom("ERR One or more scores can't be converted into double")
}

/// A weight as `strtod` reads it: the whole text must be a number, NaN is refused.
fn parse_score(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    if s.is_empty() || s.starts_with(char::is_whitespace) {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| !v.is_nan())
}

/// Where a pattern points for one element: the key, and the hash field after `->`. `None` for a
/// pattern without `*` (it names nothing).
fn substitute(pattern: &[u8], elem: &[u8]) -> Option<(Bytes, Option<Bytes>)> {
    let star = pattern.iter().position(|&b| b == b'*')?;
    let arrow = pattern[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|p| star + 1 + p)
        .filter(|&p| p + 2 < pattern.len());
    let key_end = arrow.unwrap_or(pattern.len());
    let mut key = Vec::with_capacity(key_end + elem.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(&pattern[star + 1..key_end]);
    let field = arrow.map(|p| Bytes::copy_from_slice(&pattern[p + 2..]));
    Some((Bytes::from(key), field))
}

/// Looks `pattern` up for every element, one hop per shard: `#` is the element itself, a
/// string key gives its value, `key->field` a hash field; anything else is nothing.
async fn lookup_all(
    tx: &MultiShard,
    db: usize,
    pattern: &Bytes,
    elems: &[Bytes],
) -> Vec<Option<Bytes>> {
    if pattern.as_ref() == b"#" {
        return elems.iter().cloned().map(Some).collect();
    }
    let mut out: Vec<Option<Bytes>> = vec![None; elems.len()];
    let mut by_shard: BTreeMap<ShardId, Vec<(usize, Bytes, Option<Bytes>)>> = BTreeMap::new();
    for (i, e) in elems.iter().enumerate() {
        if let Some((key, field)) = substitute(pattern, e) {
            by_shard
                .entry(owner_of(&key))
                .or_default()
                .push((i, key, field));
        }
    }
    for (shard, refs) in by_shard {
        let found = tx
            .run(shard, move |ks| {
                with_shard_ctx(ks, db, UnixMillis::now(), |cx| {
                    refs.into_iter()
                        .map(|(i, key, field)| {
                            let v = cx.lookup_read(&key).and_then(|e| match (&e.value, field) {
                                (Value::Str(s), None) => Some(s.to_bytes()),
                                (Value::Hash(h), Some(f)) => h.get(&f).map(Bytes::copy_from_slice),
                                _ => None,
                            });
                            (i, v)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .await;
        for (i, v) in found {
            out[i] = v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_substitute_the_first_star_and_split_hash_fields() {
        assert_eq!(substitute(b"w_*", b"3"), Some((Bytes::from("w_3"), None)));
        assert_eq!(
            substitute(b"h_*->f", b"3"),
            Some((Bytes::from("h_3"), Some(Bytes::from("f"))))
        );
        assert_eq!(
            substitute(b"h_*->", b"3"),
            Some((Bytes::from("h_3->"), None))
        );
        assert_eq!(substitute(b"nostar", b"3"), None);
    }

    #[test]
    fn limits_clamp_like_redis() {
        assert_eq!(limit_span(None, 5), (0, 5));
        assert_eq!(limit_span(Some((1, 2)), 5), (1, 3));
        assert_eq!(limit_span(Some((-3, 2)), 5), (0, 2));
        assert_eq!(limit_span(Some((4, -1)), 5), (4, 5));
        assert_eq!(limit_span(Some((9, 2)), 5), (5, 5));
    }

    #[test]
    fn numeric_sort_breaks_ties_by_element_and_refuses_words() {
        let v = |s: &[&str]| {
            s.iter()
                .map(|x| Bytes::from(x.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            sorted(v(&["10", "9", "1.5"]), None, false, false),
            Ok(v(&["1.5", "9", "10"]))
        );
        assert_eq!(
            sorted(v(&["10", "9", "1.5"]), None, true, true),
            Ok(v(&["9", "10", "1.5"]))
        );
        assert!(sorted(v(&["a"]), None, false, false).is_err());
        let w = Some(vec![Some(Bytes::from("1")), None, Some(Bytes::from("1"))]);
        assert_eq!(
            sorted(v(&["b", "c", "a"]), w, false, false),
            Ok(v(&["c", "a", "b"]))
        );
    }
}

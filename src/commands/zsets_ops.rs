//! Operations across sorted sets: ZUNION, ZINTER, ZDIFF, their STORE forms, and ZINTERCARD.
//!
//! Owns: the `numkeys key [key ...]` parsing, WEIGHTS and AGGREGATE, and the union,
//! intersection and difference of score maps. The commands route themselves: when every key
//! lives on one shard the whole command runs in one hop; otherwise a transaction locks the
//! shards, copies each source out of its shard in key order, computes here, and stores the
//! result on the destination's shard.
//!
//! Runs on: the caller's executor (the computation), and the owners of the keys (the reads
//! and the store).

use bytes::Bytes;
use futures_lite::future::BoxedLocal;
use hashbrown::HashMap;

use super::args::parse_i64;
use super::ctx::{AsyncCtx, ShardCtx};
use super::keys::with_shard_ctx;
use super::table::CmdResult;
use super::zsets::{as_zset, pair, parse_score, store_zset};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::shards::{hop, owner_of, MultiShard, ShardId};
use crate::storage::clock::UnixMillis;
use crate::storage::value::Value;
use crate::storage::zset::{Limits, ZSetValue};

/// Which operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

/// How the scores of a member found in several sources combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// The options after the keys.
#[derive(Debug, Clone, PartialEq)]
struct Opts {
    weights: Vec<f64>,
    aggregate: Aggregate,
    withscores: bool,
    /// ZINTERCARD's LIMIT; 0 = none.
    limit: u64,
}

/// A parsed call. Option errors are kept aside: Redis reports them only after it looked the
/// keys up, so a wrong type among the keys wins over a bad option.
#[derive(Debug, Clone)]
struct SetOpReq {
    op: Op,
    dst: Option<Bytes>,
    keys: Vec<Bytes>,
    opts: Result<Opts, CmdError>,
    /// ZINTERCARD: reply with the size only.
    card_only: bool,
    /// A STORE form's whole command, which is what replicas get when it writes.
    whole: Option<Vec<Bytes>>,
}

impl SetOpReq {
    /// Parses `[dst] numkeys key [key ...] options` with `numkeys` at `argv[at]`. `name` is the
    /// command's name for the "at least 1 input key" error.
    fn parse(
        argv: &[Bytes],
        op: Op,
        store: bool,
        card_only: bool,
        name: &str,
    ) -> Result<SetOpReq, CmdError> {
        let at = if store { 2 } else { 1 };
        let numkeys = parse_i64(&argv[at]).ok_or(CmdError::NotInteger)?;
        if numkeys < 1 {
            return Err(CmdError::custom(format!(
                "ERR at least 1 input key is needed for '{name}' command"
            )));
        }
        let first = at + 1;
        if numkeys as u64 > (argv.len() - first) as u64 {
            return Err(CmdError::Syntax);
        }
        let n = numkeys as usize;
        Ok(SetOpReq {
            op,
            dst: store.then(|| argv[1].clone()),
            keys: argv[first..first + n].to_vec(),
            opts: Opts::parse(&argv[first + n..], n, op, store, card_only),
            card_only,
            whole: store.then(|| argv.to_vec()),
        })
    }
}

impl Opts {
    /// Parses the options after `n` keys: WEIGHTS (n floats) and AGGREGATE for ZUNION/ZINTER,
    /// WITHSCORES for the forms that reply with elements, LIMIT for ZINTERCARD.
    fn parse(
        rest: &[Bytes],
        n: usize,
        op: Op,
        store: bool,
        card_only: bool,
    ) -> Result<Opts, CmdError> {
        let mut o = Opts {
            weights: vec![1.0; n],
            aggregate: Aggregate::Sum,
            withscores: false,
            limit: 0,
        };
        let mut j = 0;
        while j < rest.len() {
            let (a, left) = (&rest[j], rest.len() - j);
            let combines = op != Op::Diff && !card_only;
            if combines && left > n && a.eq_ignore_ascii_case(b"weights") {
                for (i, w) in rest[j + 1..=j + n].iter().enumerate() {
                    o.weights[i] = parse_score(w)
                        .map_err(|_| CmdError::custom("ERR weight value is not a float"))?;
                }
                j += n + 1;
            } else if combines && left >= 2 && a.eq_ignore_ascii_case(b"aggregate") {
                let v = &rest[j + 1];
                o.aggregate = if v.eq_ignore_ascii_case(b"sum") {
                    Aggregate::Sum
                } else if v.eq_ignore_ascii_case(b"min") {
                    Aggregate::Min
                } else if v.eq_ignore_ascii_case(b"max") {
                    Aggregate::Max
                } else {
                    return Err(CmdError::Syntax);
                };
                j += 2;
            } else if !store && !card_only && a.eq_ignore_ascii_case(b"withscores") {
                o.withscores = true;
                j += 1;
            } else if card_only && left >= 2 && a.eq_ignore_ascii_case(b"limit") {
                let l = parse_i64(&rest[j + 1])
                    .filter(|&l| l >= 0)
                    .ok_or_else(|| CmdError::custom("ERR LIMIT can't be negative"))?;
                o.limit = l as u64;
                j += 2;
            } else {
                return Err(CmdError::Syntax);
            }
        }
        Ok(o)
    }
}

/// One source's elements, copied out of its shard; `None` for a missing key.
type Source = Option<Vec<(Bytes, f64)>>;

/// Reads one source key on its shard: a copy of its elements, `None` when missing,
/// `WrongType` when it holds neither a zset nor a set. A plain set reads as members with
/// score 1, as in Redis.
fn read_source(cx: &mut ShardCtx<'_>, key: &[u8]) -> Result<Source, CmdError> {
    match cx.lookup_read(key) {
        None => Ok(None),
        Some(e) => match &e.value {
            Value::Set(s) => Ok(Some(s.iter().map(|m| (m.to_bytes(), 1.0)).collect())),
            _ => {
                let z = as_zset(e)?;
                Ok(Some(z.iter().map(|(m, s)| (m.clone(), s)).collect()))
            }
        },
    }
}

/// Adds `b` into `acc` as `agg` says. A NaN sum (inf + -inf) becomes 0, as in Redis.
fn combine(acc: &mut f64, b: f64, agg: Aggregate) {
    match agg {
        Aggregate::Sum => {
            *acc += b;
            if acc.is_nan() {
                *acc = 0.0;
            }
        }
        Aggregate::Min => *acc = acc.min(b),
        Aggregate::Max => *acc = acc.max(b),
    }
}

/// A score times its weight; NaN (0 × inf) becomes 0, as in Redis.
fn weighted(score: f64, weight: f64) -> f64 {
    let v = score * weight;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

/// Computes the operation over `sources` (in key order). Returns the result's elements in no
/// particular order, or with `card_only` just their number (stopping at a LIMIT) and no
/// elements.
fn compute(op: Op, sources: Vec<Source>, o: &Opts, card_only: bool) -> (usize, Vec<(Bytes, f64)>) {
    let mut sources: Vec<(Vec<(Bytes, f64)>, f64)> = sources
        .into_iter()
        .zip(o.weights.iter().copied())
        .map(|(s, w)| (s.unwrap_or_default(), w))
        .collect();
    match op {
        Op::Union => {
            let mut acc: HashMap<Bytes, f64> = HashMap::new();
            for (src, w) in sources {
                for (m, s) in src {
                    let v = weighted(s, w);
                    acc.entry(m)
                        .and_modify(|a| combine(a, v, o.aggregate))
                        .or_insert(v);
                }
            }
            (acc.len(), acc.into_iter().collect())
        }
        Op::Inter => {
            // Walk the smallest source and probe the others, as Redis does.
            sources.sort_by_key(|(s, _)| s.len());
            let maps: Vec<(HashMap<Bytes, f64>, f64)> = sources[1..]
                .iter()
                .map(|(s, w)| (s.iter().cloned().collect(), *w))
                .collect();
            let (first, w0) = &sources[0];
            let mut out = Vec::new();
            let mut count = 0usize;
            'members: for (m, s) in first {
                let mut v = weighted(*s, *w0);
                for (map, w) in &maps {
                    // Only the first source's NaN product becomes 0, as in Redis: later ones
                    // reach the aggregate as NaN, which MIN and MAX then ignore.
                    match map.get(m) {
                        Some(&s) => combine(&mut v, s * *w, o.aggregate),
                        None => continue 'members,
                    }
                }
                count += 1;
                if card_only {
                    if o.limit != 0 && count as u64 >= o.limit {
                        break;
                    }
                } else {
                    out.push((m.clone(), v));
                }
            }
            (count, out)
        }
        Op::Diff => {
            let mut rest = sources.into_iter();
            let (first, _) = rest.next().expect("at least one key");
            let mut left: HashMap<Bytes, f64> = first.into_iter().collect();
            for (src, _) in rest {
                for (m, _) in src {
                    left.remove(&m);
                }
            }
            (left.len(), left.into_iter().collect())
        }
    }
}

/// Runs a parsed call: reads the sources, computes, and stores or replies. When every key is
/// on one shard this is one hop; otherwise a transaction over all of them.
async fn setop(cx: AsyncCtx, req: SetOpReq) -> CmdResult {
    let (db, now) = (cx.db, UnixMillis::now());
    let mut shards: Vec<ShardId> = req.keys.iter().map(|k| owner_of(k)).collect();
    if let Some(dst) = &req.dst {
        shards.push(owner_of(dst));
    }
    shards.sort_unstable();
    shards.dedup();
    if shards.len() == 1 {
        return hop(shards[0], move |ks| {
            with_shard_ctx(ks, db, now, |cx| {
                let mut sources = Vec::with_capacity(req.keys.len());
                for k in &req.keys {
                    sources.push(read_source(cx, k)?);
                }
                let opts = req.opts.clone()?;
                let result = compute(req.op, sources, &opts, req.card_only);
                Ok(finish(cx, &req, &opts, result))
            })
        })
        .await;
    }
    let tx = MultiShard::lock(shards).await;
    let mut sources = Vec::with_capacity(req.keys.len());
    for k in &req.keys {
        let key = k.clone();
        let src = tx
            .run(owner_of(k), move |ks| {
                with_shard_ctx(ks, db, now, |cx| read_source(cx, &key))
            })
            .await?;
        sources.push(src);
    }
    let opts = req.opts.clone()?;
    let result = compute(req.op, sources, &opts, req.card_only);
    match &req.dst {
        Some(dst) => {
            let dst = dst.clone();
            tx.run(owner_of(&dst), move |ks| {
                with_shard_ctx(ks, db, now, |cx| Ok(finish(cx, &req, &opts, result)))
            })
            .await
        }
        None => Ok(reply_for(&req, &opts, result)),
    }
}

/// The last step: stores the result at the destination (replying with its size), or builds
/// the reply. An empty result deletes the destination.
fn finish(
    cx: &mut ShardCtx<'_>,
    req: &SetOpReq,
    opts: &Opts,
    result: (usize, Vec<(Bytes, f64)>),
) -> Reply {
    let Some(dst) = &req.dst else {
        return reply_for(req, opts, result);
    };
    let existed = cx.lookup_write(dst).is_some();
    let n = store_zset(cx, dst, ZSetValue::from_pairs(result.1, Limits::live()));
    if n > 0 || existed {
        cx.dirty(1);
        if let Some(argv) = &req.whole {
            cx.out.replace(argv.clone());
        }
    }
    Reply::Int(n as i64)
}

/// The reply of a non-storing call: the size (ZINTERCARD), or the elements in score order.
fn reply_for(req: &SetOpReq, opts: &Opts, result: (usize, Vec<(Bytes, f64)>)) -> Reply {
    if req.card_only {
        return Reply::Int(result.0 as i64);
    }
    let mut items = result.1;
    items.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    if opts.withscores {
        Reply::Pairs(items.into_iter().map(|(m, s)| pair(m, s)).collect())
    } else {
        Reply::Array(items.into_iter().map(|(m, _)| Reply::Bulk(m)).collect())
    }
}

/// Parses and runs one of the family's commands.
fn run(
    cx: AsyncCtx,
    argv: Vec<Bytes>,
    op: Op,
    store: bool,
    card_only: bool,
    name: &'static str,
) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let req = SetOpReq::parse(&argv, op, store, card_only, name)?;
        setop(cx, req).await
    })
}

/// ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]
/// [WITHSCORES]
pub(super) fn zunion(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    run(cx, argv, Op::Union, false, false, "zunion")
}

/// ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]
/// [WITHSCORES]
pub(super) fn zinter(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    run(cx, argv, Op::Inter, false, false, "zinter")
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
pub(super) fn zdiff(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    run(cx, argv, Op::Diff, false, false, "zdiff")
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]]
/// [AGGREGATE SUM | MIN | MAX]
pub(super) fn zunionstore(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    run(cx, argv, Op::Union, true, false, "zunionstore")
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]]
/// [AGGREGATE SUM | MIN | MAX]
pub(super) fn zinterstore(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    run(cx, argv, Op::Inter, true, false, "zinterstore")
}

/// ZDIFFSTORE destination numkeys key [key ...]
pub(super) fn zdiffstore(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    run(cx, argv, Op::Diff, true, false, "zdiffstore")
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
pub(super) fn zintercard(cx: AsyncCtx, argv: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    run(cx, argv, Op::Inter, false, true, "zintercard")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::session::args;

    fn src(items: &[(&str, f64)]) -> Source {
        Some(
            items
                .iter()
                .map(|(m, s)| (Bytes::copy_from_slice(m.as_bytes()), *s))
                .collect(),
        )
    }

    fn sorted(mut v: Vec<(Bytes, f64)>) -> Vec<(String, f64)> {
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v.into_iter()
            .map(|(m, s)| (String::from_utf8_lossy(&m).into_owned(), s))
            .collect()
    }

    fn opts(weights: Vec<f64>, aggregate: Aggregate) -> Opts {
        Opts {
            weights,
            aggregate,
            withscores: false,
            limit: 0,
        }
    }

    #[test]
    fn union_weighs_and_aggregates() {
        let a = src(&[("x", 1.0), ("y", 2.0)]);
        let b = src(&[("y", 10.0), ("z", 3.0)]);
        let (_, r) = compute(
            Op::Union,
            vec![a.clone(), b.clone()],
            &opts(vec![1.0, 2.0], Aggregate::Sum),
            false,
        );
        assert_eq!(
            sorted(r),
            [("x".into(), 1.0), ("y".into(), 22.0), ("z".into(), 6.0)]
        );
        let (_, r) = compute(
            Op::Union,
            vec![a, b, None],
            &opts(vec![1.0; 3], Aggregate::Min),
            false,
        );
        assert_eq!(
            sorted(r),
            [("x".into(), 1.0), ("y".into(), 2.0), ("z".into(), 3.0)]
        );
    }

    #[test]
    fn inter_and_diff_keep_the_right_members() {
        let a = src(&[("x", 1.0), ("y", 2.0), ("w", 5.0)]);
        let b = src(&[("y", 10.0), ("w", 1.0)]);
        let (n, r) = compute(
            Op::Inter,
            vec![a.clone(), b.clone()],
            &opts(vec![1.0; 2], Aggregate::Max),
            false,
        );
        assert_eq!(n, 2);
        assert_eq!(sorted(r), [("w".into(), 5.0), ("y".into(), 10.0)]);
        let (n, _) = compute(
            Op::Inter,
            vec![a.clone(), b.clone(), None],
            &opts(vec![1.0; 3], Aggregate::Sum),
            false,
        );
        assert_eq!(n, 0);
        let (_, r) = compute(
            Op::Diff,
            vec![a.clone(), b.clone()],
            &opts(vec![1.0; 2], Aggregate::Sum),
            false,
        );
        assert_eq!(sorted(r), [("x".into(), 1.0)]);
        let mut o = opts(vec![1.0; 2], Aggregate::Sum);
        o.limit = 1;
        assert_eq!(compute(Op::Inter, vec![a, b], &o, true).0, 1);
    }

    #[test]
    fn inter_ignores_a_later_nan_product_under_min_and_max() {
        let a = src(&[("x", f64::NEG_INFINITY)]);
        let sources = vec![a.clone(), a.clone(), a];
        let (_, r) = compute(
            Op::Inter,
            sources.clone(),
            &opts(vec![0.5, 2.0, 0.0], Aggregate::Max),
            false,
        );
        assert_eq!(r[0].1, f64::NEG_INFINITY);
        let (_, r) = compute(
            Op::Inter,
            sources,
            &opts(vec![0.5, 2.0, 0.0], Aggregate::Sum),
            false,
        );
        assert_eq!(r[0].1, 0.0);
    }

    #[test]
    fn infinities_that_cancel_give_zero() {
        let a = src(&[("x", f64::INFINITY)]);
        let b = src(&[("x", f64::NEG_INFINITY)]);
        let (_, r) = compute(
            Op::Union,
            vec![a.clone(), b],
            &opts(vec![1.0; 2], Aggregate::Sum),
            false,
        );
        assert_eq!(r[0].1, 0.0);
        let (_, r) = compute(Op::Union, vec![a], &opts(vec![0.0], Aggregate::Sum), false);
        assert_eq!(r[0].1, 0.0);
    }

    #[test]
    fn arguments_are_checked_in_redis_order() {
        let p = |line: &str, op, store, card| {
            SetOpReq::parse(&args(line), op, store, card, "zunionstore")
        };
        assert_eq!(
            p("ZUNIONSTORE d 0 a", Op::Union, true, false).unwrap_err(),
            CmdError::custom("ERR at least 1 input key is needed for 'zunionstore' command")
        );
        assert_eq!(
            p("ZUNIONSTORE d x a", Op::Union, true, false).unwrap_err(),
            CmdError::NotInteger
        );
        assert_eq!(
            p("ZUNIONSTORE d 3 a b", Op::Union, true, false).unwrap_err(),
            CmdError::Syntax
        );
        let r = p("ZUNIONSTORE d 2 a b WEIGHTS 1 x", Op::Union, true, false).unwrap();
        assert_eq!(
            r.opts,
            Err(CmdError::custom("ERR weight value is not a float"))
        );
        let r = p(
            "ZUNION 2 a b WITHSCORES AGGREGATE max",
            Op::Union,
            false,
            false,
        )
        .unwrap();
        assert_eq!(r.opts.unwrap().aggregate, Aggregate::Max);
        let r = p("ZUNIONSTORE d 1 a WITHSCORES", Op::Union, true, false).unwrap();
        assert_eq!(r.opts, Err(CmdError::Syntax));
        let r = p("ZDIFF 1 a WEIGHTS 1", Op::Diff, false, false).unwrap();
        assert_eq!(r.opts, Err(CmdError::Syntax));
        let r = p("ZINTERCARD 1 a LIMIT -1", Op::Inter, false, true).unwrap();
        assert_eq!(r.opts, Err(CmdError::custom("ERR LIMIT can't be negative")));
    }
}

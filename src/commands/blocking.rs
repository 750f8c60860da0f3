//! What every blocking command does the same way: parse its timeout, try its keys in order,
//! and otherwise wait for one of them.
//!
//! Owns: `block_on`, the common body of BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
//! BZPOPMAX, BZMPOP and the BLOCK form of XREAD and XREADGROUP. The first pass tries the keys in the caller's order and queues the
//! waiter in the same atomic step (one hop, or a transaction over the keys' shards), so an
//! element pushed right after cannot be missed. Inside EXEC nothing blocks: the first pass
//! decides. The family files say how one key is tried.

use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;

use super::ctx::{AsyncCtx, ShardCtx};
use super::keys::with_shard_ctx;
use crate::protocol::error::CmdError;
use crate::server::blocking::{self, Served, Waiter};
use crate::server::key_events::{self, Changed};
use crate::server::shards::{hop, owner_of, MultiShard, ShardId};
use crate::storage::clock::UnixMillis;
use crate::storage::keyspace::Keyspace;

/// Tries one key: `Ok(Some)` when it served the command, `Ok(None)` when the key cannot serve
/// it yet (and nothing changed), an error (WRONGTYPE) when the command must fail.
pub type TryKey =
    Arc<dyn Fn(&mut ShardCtx<'_>, &Bytes) -> Result<Option<Served>, CmdError> + Send + Sync>;

/// Parses a blocking command's timeout in seconds (decimals allowed) as Redis 7.0 does: `None`
/// = wait for ever (0).
pub fn parse_timeout(arg: &[u8]) -> Result<Option<Duration>, CmdError> {
    let secs: f64 = std::str::from_utf8(arg)
        .ok()
        .filter(|s| !s.is_empty() && !s.starts_with(char::is_whitespace))
        .and_then(|s| s.parse().ok())
        .filter(|v: &f64| !v.is_nan())
        .ok_or_else(|| CmdError::custom("ERR timeout is not a float or out of range"))?;
    let ms = secs * 1000.0;
    // Redis converts to a signed 64-bit count of milliseconds; what overflows it comes out
    // negative there, and so it is refused as negative here too.
    if !(0.0..9.2e18).contains(&ms) {
        return Err(CmdError::custom("ERR timeout is negative"));
    }
    let ms = ms as u64;
    Ok((ms > 0).then(|| Duration::from_millis(ms)))
}

/// Runs `try_key` on `key` of this shard and tells watchers and waiters what it changed.
fn try_here(
    ks: &mut Keyspace,
    db: usize,
    key: &Bytes,
    try_key: &TryKey,
) -> Result<Option<Served>, CmdError> {
    let dirty = ks.stats.dirty;
    let r = with_shard_ctx(ks, db, UnixMillis::now(), |cx| try_key(cx, key));
    if let Ok(Some(served)) = &r {
        let wrote: Vec<Bytes> = std::iter::once(key.clone())
            .chain(served.wrote.clone())
            .collect();
        key_events::after_command(ks, db, dirty, Changed::Keys(&mut wrote.iter()));
    }
    r
}

/// Tries `keys` in order; when none serves the command, waits up to `timeout` for one to do
/// so. `Ok(None)` = timed out (or the command runs inside EXEC and found nothing).
pub async fn block_on(
    cx: &AsyncCtx,
    keys: Vec<Bytes>,
    timeout: Option<Duration>,
    try_key: TryKey,
) -> Result<Option<Served>, CmdError> {
    let db = cx.db;
    let waiter = (!cx.in_exec).then(|| {
        let t = try_key.clone();
        Waiter::new(
            cx.client_id,
            Box::new(move |cx, key| t(cx, key).ok().flatten()),
        )
    });
    let w = waiter.as_ref().map(|(w, _)| w.clone());
    let mut by_shard: Vec<(ShardId, Vec<Bytes>)> = Vec::new();
    for k in &keys {
        let s = owner_of(k);
        match by_shard.iter_mut().find(|(x, _)| *x == s) {
            Some((_, v)) => v.push(k.clone()),
            None => by_shard.push((s, vec![k.clone()])),
        }
    }
    by_shard.sort_by_key(|(s, _)| *s);
    if let [(only, _)] = by_shard[..] {
        let (keys, t, w) = (keys.clone(), try_key.clone(), w.clone());
        let first = hop(only, move |ks| {
            for k in &keys {
                if let Some(s) = try_here(ks, db, k, &t)? {
                    return Ok(Some(s));
                }
            }
            if let Some(w) = &w {
                blocking::enqueue(db, &keys, w);
            }
            Ok::<_, CmdError>(None)
        })
        .await?;
        if first.is_some() {
            return Ok(first);
        }
    } else {
        let tx = MultiShard::lock(by_shard.iter().map(|(s, _)| *s).collect()).await;
        for k in &keys {
            let (k, t) = (k.clone(), try_key.clone());
            let r = tx
                .run(owner_of(&k), move |ks| try_here(ks, db, &k, &t))
                .await?;
            if r.is_some() {
                return Ok(r);
            }
        }
        if let Some(w) = &w {
            for (s, keys) in &by_shard {
                let (keys, w) = (keys.clone(), w.clone());
                tx.run(*s, move |_| blocking::enqueue(db, &keys, &w)).await;
            }
        }
    }
    let Some((w, served)) = waiter else {
        return Ok(None);
    };
    let outcome = blocking::wait(&w, served, timeout).await;
    let client = cx.client_id;
    for (s, keys) in by_shard {
        glommio::spawn_local(
            async move { hop(s, move |_| blocking::forget(db, &keys, client)).await },
        )
        .detach();
    }
    Ok(outcome)
}

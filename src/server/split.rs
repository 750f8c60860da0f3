//! A multi-key command whose keys live on several shards (MSET, MGET, DEL…): its parts, one per
//! shard, and the merge of their replies into the command's own.
//!
//! Owns: `SplitCmd` (cutting the arguments into one sub-call per shard, each with the
//! arguments that follow its keys), `Merge` (the parts' replies as they come back, and the
//! reply they make together). The locks that keep the parts atomic are taken by whoever runs
//! them: `SplitCmd::run` alone, or a connection's pipeline round with the commands around it.

use bytes::Bytes;
use smallvec::SmallVec;

use super::dispatch::RemoteCmd;
use super::gate::{key_id, KeyId};
use super::runtime::batch_now;
use super::shards::{owner_of, MultiShard, ShardId};
use crate::commands::table::{CmdResult, CommandSpec, CrossShard, ShardFn};
use crate::protocol::reply::Reply;
use crate::storage::keyspace::Keyspace;

/// A command split into one sub-call per shard owning some of its keys.
pub struct SplitCmd {
    merge: Merge,
    /// The sub-calls, by ascending shard.
    parts: Vec<RemoteCmd>,
}

/// The replies of a split command's parts, and how they combine.
pub struct Merge {
    strategy: CrossShard,
    nkeys: usize,
    parts: SmallVec<[Part; 2]>,
}

/// One part of a split command, as its merge sees it.
struct Part {
    shard: ShardId,
    /// The indices (in key order) of its keys.
    indices: Vec<usize>,
    /// Its reply, once in.
    reply: Option<CmdResult>,
}

impl SplitCmd {
    /// Splits `argv`, a call of `spec` (handled by `f` in `db`) whose keys span shards. A part
    /// gets the arguments before the first key, each of its keys with the arguments that follow
    /// it up to the next key, and the arguments after the last key. The arguments move into the
    /// parts rather than being shared with them: each share is an atomic count on the
    /// connection's input buffer, which its own executor keeps touching while another one
    /// drops the part.
    pub fn new(
        spec: &'static CommandSpec,
        f: ShardFn,
        db: usize,
        mut argv: Vec<Bytes>,
        strategy: CrossShard,
    ) -> SplitCmd {
        let positions: SmallVec<[usize; 16]> = spec.keys.positions(argv.len()).collect();
        let step = spec.keys.step.max(1);
        let first = positions[0];
        let last = *positions.last().expect("a spread command has keys");
        let end = (last + step).min(argv.len());
        let mut merge = Merge {
            strategy,
            nkeys: positions.len(),
            parts: SmallVec::new(),
        };
        // Per shard, in order of first appearance: its sub-call's arguments.
        let mut subs: SmallVec<[Vec<Bytes>; 2]> = SmallVec::new();
        for (i, &p) in positions.iter().enumerate() {
            let shard = owner_of(&argv[p]);
            let at = match merge.parts.iter().position(|part| part.shard == shard) {
                Some(at) => at,
                None => {
                    merge.parts.push(Part {
                        shard,
                        indices: Vec::new(),
                        reply: None,
                    });
                    let mut sub = Vec::with_capacity(argv.len());
                    sub.extend_from_slice(&argv[..first]);
                    subs.push(sub);
                    subs.len() - 1
                }
            };
            merge.parts[at].indices.push(i);
            let upto = (p + step).min(argv.len());
            subs[at].extend(argv[p..upto].iter_mut().map(std::mem::take));
        }
        let suffix = &argv[end..];
        let mut parts: Vec<RemoteCmd> = merge
            .parts
            .iter()
            .zip(subs)
            .map(|(part, mut sub)| {
                sub.extend_from_slice(suffix);
                RemoteCmd::new(part.shard, f, spec.keys, db, sub.into())
            })
            .collect();
        // Parts run in ascending shard order, the order their locks are taken in.
        parts.sort_unstable_by_key(|p| p.shard);
        SplitCmd { merge, parts }
    }

    /// Its merge, and its sub-calls by ascending shard.
    pub fn into_parts(self) -> (Merge, Vec<RemoteCmd>) {
        (self.merge, self.parts)
    }

    /// Runs it on its own: locks its keys shard by shard, each part running as its shard
    /// grants, and merges the replies.
    pub async fn run(self) -> CmdResult {
        let (mut merge, parts) = self.into_parts();
        let work: Vec<(ShardId, Vec<KeyId>, _)> = parts
            .into_iter()
            .map(|cmd| {
                let keys = cmd.keys().map(key_id).collect();
                // Each part runs within its shard's turn, whose clock that shard's driver read.
                (cmd.shard, keys, move |ks: &mut Keyspace| {
                    cmd.run(ks, batch_now())
                })
            })
            .collect();
        let shards: Vec<ShardId> = work.iter().map(|(s, _, _)| *s).collect();
        let results = MultiShard::lock_keys_and_run(work).await;
        for (shard, r) in shards.into_iter().zip(results) {
            merge.fill(shard, r);
        }
        merge.reply()
    }
}

impl Merge {
    /// Records the reply of the part run on `shard`.
    pub fn fill(&mut self, shard: ShardId, r: CmdResult) {
        if let Some(part) = self.parts.iter_mut().find(|p| p.shard == shard) {
            part.reply = Some(r);
        }
    }

    /// The command's reply. Requires: every part's reply is in.
    pub fn reply(self) -> CmdResult {
        let replies = self.parts.into_iter().map(|part| {
            (
                part.indices,
                part.reply
                    .expect("every part of a finished split command has its reply"),
            )
        });
        match self.strategy {
            CrossShard::SumInts => {
                let mut sum = 0;
                for (_, r) in replies {
                    match r? {
                        Reply::Int(n) => sum += n,
                        other => return Ok(other),
                    }
                }
                Ok(Reply::Int(sum))
            }
            CrossShard::AllOk => {
                for (_, r) in replies {
                    let r = r?;
                    if r != Reply::Ok {
                        return Ok(r);
                    }
                }
                Ok(Reply::Ok)
            }
            CrossShard::ArrayInKeyOrder => {
                let mut out: Vec<Reply> = vec![Reply::Nil; self.nkeys];
                for (indices, r) in replies {
                    match r? {
                        Reply::Array(items) => {
                            for (i, item) in indices.into_iter().zip(items) {
                                out[i] = item;
                            }
                        }
                        other => return Ok(other),
                    }
                }
                Ok(Reply::Array(out))
            }
            CrossShard::SameShardOnly | CrossShard::Custom(_) => unreachable!("not split"),
        }
    }
}

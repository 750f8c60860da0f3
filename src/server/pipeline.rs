//! A connection's pipelined commands for other shards, sent as one message per shard.
//!
//! Owns: `Pipeline`, the replies of a run of commands in request order while the ones owned by
//! other shards are away. Each shard gets its commands in one job, runs them in order, and
//! delivers the answers back to the connection's executor in one message, so a pipeline of N
//! commands over S shards costs S round trips instead of N, and no task is spawned for them.
//! Commands for one shard keep their order; commands for different shards of one pipeline may
//! run in either order, as none of them has been answered yet.
//!
//! A round holding a multi-key command spread over shards (`SplitCmd`) is *locked*: it takes
//! its keys on each shard in ascending order, as a multi-shard transaction does, each shard
//! running its commands the moment it grants. A pipeline of MSETs over two shards thus costs
//! one lock round trip per round instead of one per MSET, and no task per MSET. The commands
//! after a split join the round even when this shard owns them (see `dispatch::Order`), so
//! they run after it.

use crate::commands::table::CmdResult;
use crate::protocol::reply::Reply;
use crate::storage::keyspace::Keyspace;

use super::dispatch::RemoteCmd;
use super::gate::{key_id, Job};
use super::prefetch;
use super::runtime::{
    answer, batch_now, local, post_commands, tx_lock_then, tx_release, with_keyspace,
    with_keyspace_as, LockPart,
};
use super::shards::ShardId;
use super::split::{Merge, SplitCmd};
use smallvec::SmallVec;

/// At most this many commands ride in one pipeline round.
pub const MAX_COMMANDS: usize = 1024;

/// The commands of one round and their replies.
#[derive(Default)]
pub struct Pipeline {
    slots: Vec<Slot>,
    groups: Vec<(ShardId, Vec<(usize, RemoteCmd)>)>,
    outstanding: usize,
    /// True once a split command joined: the round runs under key locks.
    locked: bool,
}

/// One command's place in a round.
enum Slot {
    Done(Reply),
    Away,
    /// A split command, its parts away.
    Split(Box<Merge>),
}

impl Pipeline {
    /// A command answered already, in its place.
    pub fn push_reply(&mut self, r: Reply) {
        self.slots.push(Slot::Done(r));
    }

    /// A command for another shard (for this one too, in a locked round), in its place.
    pub fn push_remote(&mut self, cmd: RemoteCmd) {
        let slot = self.slots.len();
        self.slots.push(Slot::Away);
        self.group(slot, cmd);
    }

    /// A multi-key command spread over shards, in its place: the round becomes locked.
    pub fn push_split(&mut self, cmd: SplitCmd) {
        let slot = self.slots.len();
        let (merge, parts) = cmd.into_parts();
        self.slots.push(Slot::Split(Box::new(merge)));
        for part in parts {
            self.group(slot, part);
        }
        self.locked = true;
    }

    fn group(&mut self, slot: usize, cmd: RemoteCmd) {
        match self.groups.iter_mut().find(|(s, _)| *s == cmd.shard) {
            Some((_, cmds)) => cmds.push((slot, cmd)),
            None => self.groups.push((cmd.shard, vec![(slot, cmd)])),
        }
    }

    /// True once the round holds a split command.
    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// Commands in this round.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when no command joined yet.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Sends each shard its commands. The answers come back to
    /// `connection::pipeline_answered(client_id, …)` on this executor. A locked round returns
    /// its locking instead, for the caller to start once it no longer borrows the connection:
    /// the locking may answer some shards' parts at once.
    #[must_use]
    pub fn launch(&mut self, client_id: u64) -> Option<Locking> {
        let origin = local().id;
        self.outstanding = self.groups.len();
        if self.locked {
            return Some(self.locking(origin, client_id));
        }
        for (shard, cmds) in std::mem::take(&mut self.groups) {
            post_commands(
                shard,
                RoundPart {
                    origin,
                    client_id,
                    cmds,
                },
            );
        }
        None
    }

    /// The locking of a locked round: each shard's keys in ascending order, its commands run as
    /// it grants, their answers riding on the grant.
    fn locking(&mut self, origin: ShardId, client_id: u64) -> Locking {
        let visible = crate::storage::db::expired_visible();
        let mut groups = std::mem::take(&mut self.groups);
        groups.sort_unstable_by_key(|(s, _)| *s);
        let parts = groups
            .into_iter()
            .map(|(shard, cmds)| {
                let part = RoundPart {
                    origin,
                    client_id,
                    cmds,
                };
                let keys = part.all_keys().map(key_id).collect();
                let on_grant = move || {
                    // A lock's part runs many commands of keys no lookup warmed yet: their
                    // misses overlap when all are asked for first.
                    let keys: SmallVec<[(usize, &[u8]); 64]> =
                        part.cmds.iter().flat_map(|(_, c)| c.db_keys()).collect();
                    prefetch::warm_keys(&keys);
                    drop(keys);
                    let answers = with_keyspace_as(visible, |ks| part.run_on(ks));
                    let deliver: Job = Box::new(move || {
                        super::connection::pipeline_answered(client_id, shard, answers)
                    });
                    Some(deliver)
                };
                LockPart {
                    shard,
                    keys: Some(keys),
                    on_grant: Some(Box::new(on_grant)),
                }
            })
            .collect();
        Locking { parts }
    }

    /// Records the answers of `shard`. True once every shard answered.
    pub fn fill(&mut self, shard: ShardId, answers: Vec<(usize, CmdResult)>) -> bool {
        for (i, r) in answers {
            match &mut self.slots[i] {
                Slot::Split(merge) => merge.fill(shard, r),
                slot => *slot = Slot::Done(Reply::from(r)),
            }
        }
        self.outstanding -= 1;
        self.outstanding == 0
    }

    /// The replies, in request order. Requires: every shard answered.
    pub fn into_replies(self) -> impl Iterator<Item = Reply> {
        self.slots.into_iter().map(|slot| match slot {
            Slot::Done(r) => r,
            Slot::Split(merge) => Reply::from(merge.reply()),
            Slot::Away => unreachable!("every command of a finished round has its reply"),
        })
    }
}

/// The locks a locked round takes, each with the commands it runs as it is granted.
pub struct Locking {
    parts: Vec<LockPart>,
}

impl Locking {
    /// Takes the locks, then releases them once every shard granted.
    pub fn start(self) {
        tx_lock_then(self.parts, |tx, held| tx_release(&tx, &held));
    }
}

/// One shard's part of a pipeline round: the commands it owns, in request order, and where their
/// answers go.
pub struct RoundPart {
    origin: ShardId,
    client_id: u64,
    cmds: Vec<(usize, RemoteCmd)>,
}

impl RoundPart {
    /// The (db, key) each command looks up first, for warming (see `prefetch`).
    pub fn keys(&self) -> impl Iterator<Item = (usize, &[u8])> {
        self.cmds.iter().filter_map(|(_, c)| c.first_key())
    }

    /// Every key its commands touch.
    pub fn all_keys(&self) -> impl Iterator<Item = &[u8]> {
        self.cmds.iter().flat_map(|(_, c)| c.keys())
    }

    /// Runs the commands in order on `ks`, this shard's keyspace; their answers by slot.
    fn run_on(self, ks: &mut Keyspace) -> Vec<(usize, CmdResult)> {
        // The shard's driver read the clock at the start of its turn, as it does for its own
        // connections' commands.
        let now = batch_now();
        self.cmds
            .into_iter()
            .map(|(i, c)| (i, c.run(ks, now)))
            .collect()
    }

    /// Runs the commands in order on this shard's keyspace and sends their answers back.
    pub fn run(self) {
        let (origin, client_id, shard) = (self.origin, self.client_id, local().id);
        let answers = with_keyspace(|ks| self.run_on(ks));
        answer(origin, move || {
            super::connection::pipeline_answered(client_id, shard, answers)
        });
    }
}

//! A connection's pipelined commands for other shards, sent as one message per shard.
//!
//! Owns: `Pipeline`, the replies of a run of commands in request order while the ones owned by
//! other shards are away. Each shard gets its commands in one job, runs them in order, and
//! delivers the answers back to the connection's executor in one message, so a pipeline of N
//! commands over S shards costs S round trips instead of N, and no task is spawned for them.
//! Commands for one shard keep their order; commands for different shards of one pipeline may
//! run in either order, as none of them has been answered yet.

use crate::commands::table::CmdResult;
use crate::protocol::reply::Reply;

use super::dispatch::RemoteCmd;
use super::runtime::{answer, batch_now, local, post_commands, with_keyspace};
use super::shards::ShardId;

/// At most this many commands ride in one pipeline round.
pub const MAX_COMMANDS: usize = 1024;

/// The commands of one round and their replies.
#[derive(Default)]
pub struct Pipeline {
    slots: Vec<Option<Reply>>,
    groups: Vec<(ShardId, Vec<(usize, RemoteCmd)>)>,
    outstanding: usize,
}

impl Pipeline {
    /// A command answered already, in its place.
    pub fn push_reply(&mut self, r: Reply) {
        self.slots.push(Some(r));
    }

    /// A command for another shard, in its place.
    pub fn push_remote(&mut self, cmd: RemoteCmd) {
        let slot = self.slots.len();
        self.slots.push(None);
        match self.groups.iter_mut().find(|(s, _)| *s == cmd.shard) {
            Some((_, cmds)) => cmds.push((slot, cmd)),
            None => self.groups.push((cmd.shard, vec![(slot, cmd)])),
        }
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
    /// `connection::pipeline_answered(client_id, …)` on this executor.
    pub fn launch(&mut self, client_id: u64) {
        let origin = local().id;
        self.outstanding = self.groups.len();
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
    }

    /// Records one shard's answers. True once every shard answered.
    pub fn fill(&mut self, answers: Vec<(usize, CmdResult)>) -> bool {
        for (i, r) in answers {
            self.slots[i] = Some(Reply::from(r));
        }
        self.outstanding -= 1;
        self.outstanding == 0
    }

    /// The replies, in request order. Requires: every shard answered.
    pub fn into_replies(self) -> impl Iterator<Item = Reply> {
        self.slots
            .into_iter()
            .map(|r| r.expect("every command of a finished round has its reply"))
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

    /// Runs the commands in order on this shard's keyspace and sends their answers back.
    pub fn run(self) {
        // The shard's driver read the clock at the start of its turn, as it does for its own
        // connections' commands.
        let now = batch_now();
        let RoundPart {
            origin,
            client_id,
            cmds,
        } = self;
        let answers: Vec<(usize, CmdResult)> =
            with_keyspace(|ks| cmds.into_iter().map(|(i, c)| (i, c.run(ks, now))).collect());
        answer(origin, move || {
            super::connection::pipeline_answered(client_id, answers)
        });
    }
}

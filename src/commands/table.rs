//! The command table: what each command declares about itself.
//!
//! Owns: `CommandSpec` (name, arity, flags, key positions, handler, how a multi-key call is split
//! across shards) and `CommandTable`, the lookup from a name to its spec. Holds declared facts only:
//! runtime counters live in `server::stats`. The router reads `KeySpec` and never parses a command.

use bytes::Bytes;

use super::ctx::{AsyncCtx, ConnCtx, ShardCtx};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;

/// What a handler returns.
pub type CmdResult = Result<Reply, CmdError>;

/// Runs on the executor owning every key of the call (or the connection's own executor for a
/// command without keys). Not async: a command cannot yield halfway through a write.
pub type ShardFn = fn(&mut ShardCtx<'_>, &[Bytes]) -> CmdResult;

/// Runs on the connection's executor and touches only the connection's own state.
pub type ConnFn = fn(&mut ConnCtx<'_>, &[Bytes]) -> CmdResult;

/// Orchestrates its own hops (server-wide commands, custom multi-shard commands). The future is
/// `'static` and `Send`-free; it runs on the connection's executor.
pub type AsyncFn = fn(AsyncCtx, Vec<Bytes>) -> futures_lite::future::BoxedLocal<CmdResult>;

/// How a command runs.
#[derive(Clone, Copy)]
pub enum Handler {
    /// See [`ShardFn`].
    Shard(ShardFn),
    /// See [`ConnFn`].
    Conn(ConnFn),
    /// See [`AsyncFn`].
    Async(AsyncFn),
}

/// What to do when a `Handler::Shard` command's keys live on several shards. Every strategy but
/// `Custom` splits the call into one sub-call per shard (same command name, that shard's keys with
/// their trailing arguments), runs them atomically under one multi-shard transaction, and merges.
#[derive(Clone, Copy)]
pub enum CrossShard {
    /// All keys must share a shard; a spread call is answered with this error text.
    SameShardOnly,
    /// Sum the integer replies (DEL, EXISTS, TOUCH, UNLINK).
    SumInts,
    /// Every sub-call must answer OK (MSET).
    AllOk,
    /// Each sub-call answers an array with one element per key; reassemble in the caller's order.
    ArrayInKeyOrder,
    /// The command coordinates the shards itself (MSETNX, RENAME, COPY…).
    Custom(AsyncFn),
}

/// Where a command's keys are, in Redis's legacy (first, last, step) form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// Index of the first key in argv; 0 = the command takes no keys.
    pub first: usize,
    /// Index of the last key; negative counts from the end (-1 = last argument).
    pub last: i32,
    /// Distance between keys.
    pub step: usize,
}

impl KeySpec {
    /// No keys.
    pub const NONE: KeySpec = KeySpec {
        first: 0,
        last: 0,
        step: 0,
    };

    /// Keys at `first..=last` every `step`.
    pub const fn range(first: usize, last: i32, step: usize) -> KeySpec {
        KeySpec { first, last, step }
    }

    /// The argv indices of the keys in `argv`.
    pub fn positions(&self, argc: usize) -> impl Iterator<Item = usize> {
        let (first, last, step) = if self.first == 0 || argc <= self.first {
            (1, 0, 1)
        } else {
            let last = if self.last < 0 {
                argc as i64 + self.last as i64
            } else {
                (self.last as i64).min(argc as i64 - 1)
            };
            (self.first, last.max(0) as usize, self.step.max(1))
        };
        (first..=last)
            .step_by(step)
            .take_while(move |&i| i < argc && i >= first && first <= last)
    }
}

/// Command flags, as `COMMAND INFO` reports them.
pub mod flags {
    /// May modify the keyspace.
    pub const WRITE: u32 = 1 << 0;
    /// Never modifies the keyspace.
    pub const READONLY: u32 = 1 << 1;
    /// May grow memory use.
    pub const DENYOOM: u32 = 1 << 2;
    /// Administrative.
    pub const ADMIN: u32 = 1 << 3;
    /// Pub/sub related.
    pub const PUBSUB: u32 = 1 << 4;
    /// Not allowed in scripts.
    pub const NOSCRIPT: u32 = 1 << 5;
    /// May block the client.
    pub const BLOCKING: u32 = 1 << 6;
    /// Allowed while loading.
    pub const LOADING: u32 = 1 << 7;
    /// Allowed on a replica with a stale dataset.
    pub const STALE: u32 = 1 << 8;
    /// O(1) or O(log n).
    pub const FAST: u32 = 1 << 9;
    /// Allowed before AUTH.
    pub const NO_AUTH: u32 = 1 << 10;
    /// Does not affect keys but may be replicated.
    pub const MAY_REPLICATE: u32 = 1 << 11;
    /// Allowed inside MULTI even though it is about the connection.
    pub const NO_MULTI: u32 = 1 << 12;
    /// Key positions depend on arguments.
    pub const MOVABLEKEYS: u32 = 1 << 13;
    /// Allowed while a script or module command keeps the server busy.
    pub const ALLOW_BUSY: u32 = 1 << 14;
    /// Refused while a replica loads its master's dataset in the background.
    pub const NO_ASYNC_LOADING: u32 = 1 << 15;

    /// Names in `COMMAND INFO` order.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLEKEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// Everything a command declares about itself.
#[derive(Clone)]
pub struct CommandSpec {
    /// Lowercase name (`get`); for a subcommand, `parent|sub` (`config|get`).
    pub name: &'static str,
    /// Exact argc when positive; at least -arity when negative. Includes the name.
    pub arity: i32,
    /// Bits from [`flags`].
    pub flags: u32,
    /// Where the keys are.
    pub keys: KeySpec,
    /// How it runs.
    pub handler: Handler,
    /// How a call whose keys span shards runs.
    pub cross_shard: CrossShard,
    /// ACL categories / doc group shown by `COMMAND DOCS` (`string`, `keyspace`, `server`…).
    pub group: &'static str,
    /// Subcommands, for container commands (CONFIG, CLIENT, COMMAND…).
    pub subcommands: Vec<CommandSpec>,
    /// Precomputed: `flags & WRITE != 0`.
    pub is_write: bool,
}

impl CommandSpec {
    /// True when `argc` satisfies the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        if self.arity >= 0 {
            argc == self.arity as usize
        } else {
            argc >= (-self.arity) as usize
        }
    }

    /// True when the command has the flag bit `f`.
    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }
}

/// The commands the server knows, looked up by name without regard to ASCII case.
#[derive(Default)]
pub struct CommandTable {
    by_name: hashbrown::HashMap<Vec<u8>, CommandSpec, ahash::RandomState>,
    /// Families currently registering, for the `group` field.
    group: &'static str,
}

impl CommandTable {
    /// An empty table.
    pub fn new() -> CommandTable {
        CommandTable::default()
    }

    /// Sets the group (`string`, `keyspace`…) recorded for the commands added next.
    pub fn group(&mut self, group: &'static str) {
        self.group = group;
    }

    /// Adds a command whose keys all live on one shard (spread keys are rejected).
    pub fn add(
        &mut self,
        name: &'static str,
        arity: i32,
        flags: u32,
        keys: KeySpec,
        handler: Handler,
    ) {
        self.add_cross(name, arity, flags, keys, handler, CrossShard::SameShardOnly);
    }

    /// Adds a command with an explicit cross-shard strategy.
    pub fn add_cross(
        &mut self,
        name: &'static str,
        arity: i32,
        flags: u32,
        keys: KeySpec,
        handler: Handler,
        cross_shard: CrossShard,
    ) {
        let spec = CommandSpec {
            name,
            arity,
            flags,
            keys,
            handler,
            cross_shard,
            group: self.group,
            subcommands: Vec::new(),
            is_write: flags & flags::WRITE != 0,
        };
        self.by_name.insert(name.as_bytes().to_vec(), spec);
    }

    /// Adds a subcommand to a container command that was added before (`config`, `get`).
    pub fn add_sub(&mut self, parent: &str, sub: CommandSpec) {
        let p = self
            .by_name
            .get_mut(parent.as_bytes())
            .expect("parent command registered before its subcommands");
        p.subcommands.push(sub);
    }

    /// Looks a command up by name, ignoring ASCII case.
    pub fn get(&self, name: &[u8]) -> Option<&CommandSpec> {
        if name.len() > 32 {
            return None;
        }
        let mut buf = [0u8; 32];
        let lower = &mut buf[..name.len()];
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        self.by_name.get(&lower[..])
    }

    /// All commands, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &CommandSpec> {
        self.by_name.values()
    }

    /// Number of top-level commands.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// True when no command is registered.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// Builds a subcommand spec for [`CommandTable::add_sub`].
pub fn sub(
    name: &'static str,
    arity: i32,
    flags: u32,
    keys: KeySpec,
    handler: Handler,
) -> CommandSpec {
    CommandSpec {
        name,
        arity,
        flags,
        keys,
        handler,
        cross_shard: CrossShard::SameShardOnly,
        group: "",
        subcommands: Vec::new(),
        is_write: flags & flags::WRITE != 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_positions_follow_first_last_step() {
        let mset = KeySpec::range(1, -1, 2);
        assert_eq!(mset.positions(5).collect::<Vec<_>>(), vec![1, 3]);
        let get = KeySpec::range(1, 1, 1);
        assert_eq!(get.positions(2).collect::<Vec<_>>(), vec![1]);
        let del = KeySpec::range(1, -1, 1);
        assert_eq!(del.positions(4).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(KeySpec::NONE.positions(3).count(), 0);
        let rename = KeySpec::range(1, 2, 1);
        assert_eq!(rename.positions(3).collect::<Vec<_>>(), vec![1, 2]);
    }
}

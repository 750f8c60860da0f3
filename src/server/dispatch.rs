//! From an argv to a reply: command lookup, arity and authentication checks, and routing to the
//! shard (or shards) that own the keys.
//!
//! Owns: the checks every command passes before its handler runs (so no handler repeats them),
//! the choice between running inline, hopping to the owning shard, or running a multi-shard
//! transaction, and the split/merge of multi-key commands whose keys span shards.

use bytes::Bytes;
use futures_lite::future::BoxedLocal;
use smallvec::SmallVec;

use super::client::ClientState;
use super::connection::write_reply;
use super::key_events::{self, Changed};
use super::runtime::{batch_now, local, with_keyspace};
use super::shards::{hop, owner_of, ShardId};
use super::shared::shared;
use super::split::SplitCmd;
use super::transaction;
use crate::commands::ctx::{AsyncCtx, ConnCtx, ReplyTo, ShardCtx};
use crate::commands::propagation::Propagation;
use crate::commands::table::{
    flags, CmdResult, CommandSpec, CrossShard, Handler, KeySpec, ShardFn,
};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::storage::clock::UnixMillis;
use crate::storage::keyspace::Keyspace;

/// What dispatching one command produced.
pub enum Step {
    /// The reply, ready now.
    Reply(Reply),
    /// The command must wait; the future yields its reply.
    Wait(BoxedLocal<CmdResult>),
    /// EXEC of commands that need shards this executor must lock first.
    Exec(Vec<Vec<Bytes>>),
    /// A command whose keys all live on one other shard: the connection may send it there
    /// together with the commands that follow it.
    Remote(RemoteCmd),
    /// A multi-key command whose keys span shards: the connection may run it in a pipeline
    /// round, under key locks, with the commands around it.
    Split(SplitCmd),
}

/// How the command being dispatched stands to the commands before it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// It runs by itself (in EXEC, from a master link): a command spread over shards is a
    /// future of its own.
    Alone,
    /// A connection's command that may join a pipeline round.
    Pipelined,
    /// A connection's command after a `Split` in the same round: it must not run before that
    /// command, so even a command on this shard's keys joins the round instead of running now.
    AfterSplit,
}

/// A command to run on another shard, with everything it needs there.
pub struct RemoteCmd {
    /// The shard owning its keys.
    pub shard: ShardId,
    f: ShardFn,
    keys: KeySpec,
    db: usize,
    /// Its arguments, in place when few: the connection's own vector keeps its capacity, and
    /// the shard that runs the command frees no vector of another thread's.
    argv: SmallVec<[Bytes; 3]>,
}

impl RemoteCmd {
    /// `argv`, a call handled by `f` in `db` with keys at `keys`, to run on `shard`.
    pub fn new(
        shard: ShardId,
        f: ShardFn,
        keys: KeySpec,
        db: usize,
        argv: SmallVec<[Bytes; 3]>,
    ) -> RemoteCmd {
        RemoteCmd {
            shard,
            f,
            keys,
            db,
            argv,
        }
    }

    /// Runs it on `ks`, the keyspace of `self.shard`, at time `now`.
    pub fn run(self, ks: &mut Keyspace, now: UnixMillis) -> CmdResult {
        run_on(ks, self.f, self.keys, self.db, now, &self.argv)
    }

    /// Its db and the key it looks up first (taken to be its second argument), for warming
    /// (see `prefetch`).
    pub fn first_key(&self) -> Option<(usize, &[u8])> {
        self.argv.get(1).map(|key| (self.db, key.as_ref()))
    }

    /// Every key it touches, with its db.
    pub fn db_keys(&self) -> impl Iterator<Item = (usize, &[u8])> {
        self.keys().map(|key| (self.db, key))
    }

    /// Every key it touches.
    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.keys
            .positions(self.argv.len())
            .map(|p| self.argv[p].as_ref())
    }

    /// Runs it through a hop of its own (inside EXEC, under the transaction's locks).
    pub fn into_future(self) -> BoxedLocal<CmdResult> {
        Box::pin(async move { hop(self.shard, move |ks| self.run(ks, UnixMillis::now())).await })
    }
}

/// Finds the spec for `argv`, descending into a container command's subcommands. Errors are the
/// ones Redis gives for an unknown command or subcommand and a wrong argument count.
pub fn resolve(argv: &[Bytes]) -> Result<&'static CommandSpec, CmdError> {
    // Clients mostly repeat the command they just sent, spelled the same way; one comparison of
    // the name as sent is cheaper than hashing it, or than comparing it without regard to case.
    thread_local! {
        static LAST: std::cell::Cell<(u128, Option<&'static CommandSpec>)> =
            const { std::cell::Cell::new((0, None)) };
    }
    let name = name_key(&argv[0]);
    if let (last, Some(spec)) = LAST.with(|l| l.get()) {
        if name == Some(last) && spec.arity_ok(argv.len()) {
            return Ok(spec);
        }
    }
    let table = &shared().table;
    let Some(spec) = table.get(&argv[0]) else {
        return Err(CmdError::UnknownCommand(
            argv[0].clone(),
            argv[1..].to_vec(),
        ));
    };
    if spec.subcommands.is_empty() {
        if !spec.arity_ok(argv.len()) {
            return Err(CmdError::WrongArity(spec.name.into()));
        }
        if let Some(name) = name {
            LAST.with(|l| l.set((name, Some(spec))));
        }
        return Ok(spec);
    }
    if argv.len() < 2 {
        // A container that also runs alone (COMMAND) declares an arity that allows it.
        if spec.arity_ok(argv.len()) {
            return Ok(spec);
        }
        return Err(CmdError::WrongArity(spec.name.into()));
    }
    let sub = spec.subcommands.iter().find(|s| {
        let short = s.name.rsplit('|').next().unwrap_or(s.name);
        argv[1].eq_ignore_ascii_case(short.as_bytes())
    });
    let Some(sub) = sub else {
        return Err(CmdError::UnknownSubcommand(
            argv[1].clone(),
            upper(spec.name),
        ));
    };
    if !sub.arity_ok(argv.len()) {
        return Err(CmdError::WrongArity(sub.name.into()));
    }
    Ok(sub)
}

/// A command name of up to 15 bytes as one number: its bytes, then its length in the last byte
/// (so that a name and the same name with NULs after it differ). `None` for longer names.
#[inline]
fn name_key(name: &[u8]) -> Option<u128> {
    if name.len() >= 16 {
        return None;
    }
    let mut b = [0u8; 16];
    b[..name.len()].copy_from_slice(name);
    b[15] = name.len() as u8;
    Some(u128::from_ne_bytes(b))
}

fn upper(name: &'static str) -> &'static str {
    // Container names are few and fixed; leaking their uppercase form once each is harmless.
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<&'static str, &'static str>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    CACHE.with(|c| {
        *c.borrow_mut()
            .entry(name)
            .or_insert_with(|| Box::leak(name.to_ascii_uppercase().into_boxed_str()))
    })
}

/// Runs one command for `client`.
///
/// `argv` is the connection's argument buffer: it is taken (left empty) only when the command
/// must wait, so the common path allocates nothing.
pub fn dispatch(client: &mut ClientState, argv: &mut Vec<Bytes>) -> Step {
    dispatch_with(client, argv, None, Order::Alone)
}

/// `dispatch` for a connection's command that joins a pipeline round: see `Order`.
pub fn dispatch_in_round(client: &mut ClientState, argv: &mut Vec<Bytes>, order: Order) -> Step {
    dispatch_with(client, argv, None, order)
}

/// `dispatch` for a connection whose replies so far are all in `out`: a reply ready now is
/// appended to `out` at once (`None`), and a command that runs inline may write it there itself.
/// Saves moving the reply through the connection's bookkeeping.
pub fn dispatch_into(
    client: &mut ClientState,
    argv: &mut Vec<Bytes>,
    out: &mut Vec<u8>,
) -> Option<Step> {
    match dispatch_with(client, argv, Some(&mut *out), Order::Pipelined) {
        Step::Reply(Reply::Written) => None,
        Step::Reply(r) => {
            write_reply(out, client.resp, &r);
            None
        }
        other => Some(other),
    }
}

fn dispatch_with(
    client: &mut ClientState,
    argv: &mut Vec<Bytes>,
    out: Option<&mut Vec<u8>>,
    order: Order,
) -> Step {
    let spec = match resolve(argv) {
        Ok(s) => s,
        Err(e) => return refuse(client, e),
    };
    if !client.authenticated && !spec.has(flags::NO_AUTH) {
        return refuse(client, CmdError::NoAuth);
    }
    // Persistence: after a failed background save, writes are refused (MISCONF). The commands
    // EXEC runs were admitted when they were queued.
    if !client.in_exec {
        if let Some(e) = crate::persistence::admission::refuse_write(spec) {
            return refuse(client, e);
        }
    }
    // A replica refuses writes (replica-read-only) and, while a full sync loads, most commands.
    if let Err(e) = crate::replication::gate::check(client, spec) {
        return refuse(client, e);
    }
    // Pub/sub mode: a RESP2 subscriber may run only the pub/sub commands, PING, QUIT and RESET;
    // the commands EXEC runs are not checked, as in Redis.
    if !client.in_exec {
        if let Err(e) = crate::commands::pubsub::check_subscribed_context(client, spec) {
            client.last_cmd = spec.name;
            return refuse(client, e);
        }
    }
    // Persistence: while the dataset loads, only commands flagged `loading` run.
    if let Some(e) = crate::persistence::admission::refuse_while_loading(spec) {
        return refuse(client, e);
    }
    if client.multi.is_some() {
        if let Some(step) = queue(client, spec, argv) {
            return step;
        }
    }
    let now = batch_now();
    client.last_cmd = spec.name;
    client.last_interaction = now;
    let l = local();
    l.stats.borrow_mut().commands_processed += 1;
    match spec.handler {
        Handler::Conn(_) if spec.name == "exec" && client.multi.is_some() => {
            match transaction::exec_now(client) {
                Ok(reply) => Step::Reply(reply),
                Err(commands) => Step::Exec(commands),
            }
        }
        Handler::Conn(f) => {
            let mut cx = ConnCtx {
                client,
                shard: l.id,
            };
            Step::Reply(f(&mut cx, argv).into())
        }
        Handler::Async(f) => Step::Wait(f(async_ctx(client), std::mem::take(argv))),
        Handler::Shard(f) => route(spec, f, client, argv, now, out, order),
    }
}

fn async_ctx(client: &ClientState) -> AsyncCtx {
    AsyncCtx {
        client_id: client.id,
        db: client.db,
        shard: local().id,
        resp: client.resp,
        in_exec: client.in_exec,
    }
}

/// Answers a command refused before it ran; in MULTI, the refusal also dooms the transaction.
fn refuse(client: &mut ClientState, e: CmdError) -> Step {
    if let Some(q) = &mut client.multi {
        q.failed = true;
    }
    Step::Reply(Reply::Error(e))
}

/// In MULTI: queues the command and answers QUEUED, or refuses it. `None` for the commands
/// that run at once even in MULTI.
fn queue(client: &mut ClientState, spec: &CommandSpec, argv: &mut Vec<Bytes>) -> Option<Step> {
    match spec.name {
        "exec" | "discard" | "multi" | "quit" | "reset" => None,
        "watch" => Some(Step::Reply(Reply::Error(CmdError::custom(
            "ERR WATCH inside MULTI is not allowed",
        )))),
        _ => {
            let q = client.multi.as_mut().expect("called in MULTI");
            q.commands.push(std::mem::take(argv));
            Some(Step::Reply(Reply::status("QUEUED")))
        }
    }
}

/// Runs a shard handler on `ks` with a fresh propagation record; when it changed the dataset,
/// sends the record to replicas, then tells watchers and blocked clients about the keys (at
/// `keys`) it changed.
pub fn run_on(
    ks: &mut Keyspace,
    f: ShardFn,
    keys: KeySpec,
    db: usize,
    now: UnixMillis,
    argv: &[Bytes],
) -> CmdResult {
    run_on_with(ks, f, keys, db, now, argv, None)
}

/// `run_on`, offering the handler the connection's output to write its reply to.
fn run_on_with(
    ks: &mut Keyspace,
    f: ShardFn,
    keys: KeySpec,
    db: usize,
    now: UnixMillis,
    argv: &[Bytes],
    reply_to: Option<ReplyTo<'_>>,
) -> CmdResult {
    let dirty = ks.stats.dirty;
    let mut out = Propagation::default();
    let mut cx = ShardCtx::new(ks, db, now, &mut out);
    cx.reply_to = reply_to;
    let r = f(&mut cx, argv);
    if ks.stats.dirty != dirty {
        // Replicas get the write before anything it wakes (a blocked client served next).
        crate::replication::propagate::command(db, argv, &out);
        let mut changed = keys.positions(argv.len()).map(|p| &argv[p]);
        key_events::after_command(ks, db, dirty, Changed::Keys(&mut changed));
    }
    r
}

fn route(
    spec: &'static CommandSpec,
    f: ShardFn,
    client: &ClientState,
    argv: &mut Vec<Bytes>,
    now: UnixMillis,
    out: Option<&mut Vec<u8>>,
    order: Order,
) -> Step {
    let me = local().id;
    // Key/value lists (MSET, MSETNX) must come in whole groups. Checked before any split, so a
    // malformed call never half-runs on some shards.
    let k = spec.keys;
    if k.step > 1 && k.last < 0 && k.first > 0 && !(argv.len() - k.first).is_multiple_of(k.step) {
        return Step::Reply(Reply::Error(CmdError::WrongArity(spec.name.into())));
    }
    let mut owner: Option<ShardId> = None;
    let mut spread = false;
    for p in spec.keys.positions(argv.len()) {
        let o = owner_of(&argv[p]);
        match owner {
            None => owner = Some(o),
            Some(x) if x != o => {
                spread = true;
                break;
            }
            _ => {}
        }
    }
    let db = client.db;
    if spread {
        return match spec.cross_shard {
            CrossShard::SameShardOnly => Step::Reply(Reply::Error(CmdError::custom(
                "CROSSSLOT Keys in request don't hash to the same slot",
            ))),
            CrossShard::Custom(af) => Step::Wait(af(async_ctx(client), std::mem::take(argv))),
            strategy => {
                let cmd = SplitCmd::new(spec, f, db, std::mem::take(argv), strategy);
                match order {
                    Order::Alone => Step::Wait(Box::pin(cmd.run())),
                    Order::Pipelined | Order::AfterSplit => Step::Split(cmd),
                }
            }
        };
    }
    let target = owner.unwrap_or(me);
    if target == me && order != Order::AfterSplit && admits(spec.keys, argv) {
        let reply_to = out.map(|out| ReplyTo {
            out,
            resp: client.resp,
        });
        return Step::Reply(
            with_keyspace(|ks| run_on_with(ks, f, spec.keys, db, now, argv, reply_to)).into(),
        );
    }
    let argv = argv.drain(..).collect();
    let cmd = RemoteCmd {
        shard: target,
        f,
        keys: k,
        db,
        argv,
    };
    if target == me && (order != Order::AfterSplit || owner.is_none()) {
        // Our own shard, held by a multi-shard transaction: wait for it. A command without
        // keys after a split waits for the round too: the round's locks cover keys only.
        return Step::Wait(cmd.into_future());
    }
    Step::Remote(cmd)
}

/// True when this shard's gate lets a command with keys at `keys` in `argv` run now.
fn admits(keys: KeySpec, argv: &[Bytes]) -> bool {
    local()
        .gate
        .borrow()
        .admits(keys.positions(argv.len()).map(|p| &argv[p][..]))
}

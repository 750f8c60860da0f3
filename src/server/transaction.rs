//! MULTI/EXEC transactions and the client's side of WATCH.
//!
//! Owns: the queue of a client in MULTI, the keys it watches and its watch flag (on the
//! client's executor), and EXEC itself. EXEC runs the queued commands one after the other
//! while it holds every shard they can touch, so no other client, on any core, sees or changes
//! anything in between; when all of them run on this executor's own shard it runs them in one
//! go without any lock. A watched key changed since WATCH (by anyone, on any core) makes EXEC
//! answer a null array and run nothing.

use bytes::Bytes;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::client::ClientState;
use super::connection::ConnRef;
use super::dispatch::{dispatch, resolve, Step};
use super::runtime::local;
use super::shards::{hop, nr_shards, owner_of, MultiShard, ShardId};
use super::watch::{self, WatchFlag};
use crate::commands::table::{CmdResult, Handler};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::storage::clock::UnixMillis;

/// The commands of a client in MULTI, waiting for EXEC.
#[derive(Debug, Default, Clone)]
pub struct Queued {
    /// The commands, as received.
    pub commands: Vec<Vec<Bytes>>,
    /// A command was refused while queuing: EXEC will discard the transaction.
    pub failed: bool,
}

/// What one client watches.
struct Watching {
    flag: Arc<WatchFlag>,
    keys: Vec<(ShardId, usize, Bytes)>,
}

thread_local! {
    /// The watching clients of this executor, by client id.
    static WATCHING: RefCell<HashMap<u64, Watching>> = RefCell::new(HashMap::new());
}

/// WATCH: registers `keys` of DB `db` with the shards owning them, before the reply, so any
/// change after the reply dooms the transaction.
pub async fn watch_keys(client_id: u64, db: usize, keys: Vec<Bytes>) {
    let flag = WATCHING.with(|w| {
        w.borrow_mut()
            .entry(client_id)
            .or_insert_with(|| Watching {
                flag: Arc::new(WatchFlag::default()),
                keys: Vec::new(),
            })
            .flag
            .clone()
    });
    for key in keys {
        let shard = owner_of(&key);
        let (k, f) = (key.clone(), flag.clone());
        hop(shard, move |ks| watch::watch(ks, db, k, &f)).await;
        WATCHING.with(|w| {
            if let Some(w) = w.borrow_mut().get_mut(&client_id) {
                w.keys.push((shard, db, key));
            }
        });
    }
}

/// Forgets everything client `client_id` watches (UNWATCH, EXEC, DISCARD, a closed
/// connection).
pub fn unwatch_all(client_id: u64) {
    let Some(w) = WATCHING.with(|w| w.borrow_mut().remove(&client_id)) else {
        return;
    };
    let weak = Arc::downgrade(&w.flag);
    drop(w.flag);
    let mut by_shard: HashMap<ShardId, Vec<(usize, Bytes)>> = HashMap::new();
    for (s, db, k) in w.keys {
        by_shard.entry(s).or_default().push((db, k));
    }
    for (s, keys) in by_shard {
        let weak = weak.clone();
        glommio::spawn_local(async move { hop(s, move |_| watch::unwatch(&keys, &weak)).await })
            .detach();
    }
}

/// True when a key client `client_id` watches changed (or expired) since it was watched.
fn watch_broken(client_id: u64) -> bool {
    let now = UnixMillis::now();
    WATCHING.with(|w| {
        w.borrow()
            .get(&client_id)
            .is_some_and(|w| w.flag.is_dirty(now))
    })
}

/// Where EXEC must run the queued commands.
enum Plan {
    /// Every command runs on this executor's free shard: inline, no lock.
    Inline,
    /// Under a transaction holding these shards.
    Locked(Vec<ShardId>),
}

/// The shards the queued commands can touch. A command that finds its keys itself (or has no
/// fixed key positions) may touch any shard.
fn plan(commands: &[Vec<Bytes>]) -> Plan {
    let me = local().id;
    let mut shards: Vec<ShardId> = Vec::new();
    for argv in commands {
        let Ok(spec) = resolve(argv) else { continue };
        match spec.handler {
            Handler::Conn(_) => {}
            Handler::Async(_) => return Plan::Locked((0..nr_shards()).collect()),
            Handler::Shard(_) => {
                let mut any = false;
                for p in spec.keys.positions(argv.len()) {
                    shards.push(owner_of(&argv[p]));
                    any = true;
                }
                if !any {
                    shards.push(me);
                }
            }
        }
    }
    shards.sort_unstable();
    shards.dedup();
    if shards.iter().all(|&s| s == me) && local().gate.borrow().is_free() {
        Plan::Inline
    } else {
        Plan::Locked(shards)
    }
}

/// What EXEC does first: `Err` with the reply when the transaction must not run.
fn precheck(client: &mut ClientState) -> Result<Vec<Vec<Bytes>>, Reply> {
    let Some(q) = client.multi.take() else {
        return Err(Reply::Error(CmdError::custom("ERR EXEC without MULTI")));
    };
    if q.failed {
        unwatch_all(client.id);
        return Err(Reply::Error(CmdError::custom(
            "EXECABORT Transaction discarded because of previous errors.",
        )));
    }
    Ok(q.commands)
}

/// EXEC, as far as it can go without waiting: the reply when the transaction ran inline (or
/// must not run), otherwise the commands to run under locks.
pub fn exec_now(client: &mut ClientState) -> Result<Reply, Vec<Vec<Bytes>>> {
    let commands = match precheck(client) {
        Ok(c) => c,
        Err(reply) => return Ok(reply),
    };
    match plan(&commands) {
        Plan::Inline => {
            if watch_broken(client.id) {
                unwatch_all(client.id);
                return Ok(Reply::NilArray);
            }
            unwatch_all(client.id);
            client.in_exec = true;
            // Replicas get the transaction's writes as one MULTI/EXEC unit.
            crate::replication::propagate::begin_local_unit();
            let mut replies = Vec::with_capacity(commands.len());
            for mut argv in commands {
                match dispatch(client, &mut argv) {
                    Step::Reply(r) => replies.push(r),
                    Step::Wait(_) | Step::Exec(_) | Step::Remote(_) | Step::Split(_) => {
                        unreachable!("an inline plan has nothing to wait for")
                    }
                }
            }
            crate::replication::propagate::end_local_unit();
            client.in_exec = false;
            Ok(Reply::Array(replies))
        }
        Plan::Locked(_) => Err(commands),
    }
}

/// EXEC of commands that need other shards: locks them, checks the watched keys, runs the
/// commands in order.
pub async fn exec_locked(conn: ConnRef, commands: Vec<Vec<Bytes>>) -> CmdResult {
    let Plan::Locked(shards) = plan(&commands) else {
        unreachable!("exec_locked runs only a locked plan")
    };
    let id = conn.borrow().client.id;
    let tx = MultiShard::lock(shards).await;
    if watch_broken(id) {
        unwatch_all(id);
        return Ok(Reply::NilArray);
    }
    unwatch_all(id);
    let mut replies = Vec::with_capacity(commands.len());
    for mut argv in commands {
        let step = {
            let mut c = conn.borrow_mut();
            c.client.in_exec = true;
            let s = dispatch(&mut c.client, &mut argv);
            c.client.in_exec = false;
            s
        };
        replies.push(match step {
            Step::Reply(r) => r,
            Step::Exec(_) => unreachable!("EXEC is never queued"),
            Step::Split(_) => unreachable!("`dispatch` runs a spread command as a future"),
            Step::Remote(cmd) => {
                let f = cmd.into_future();
                Reply::from(tx.within(f).await)
            }
            Step::Wait(f) => {
                let inner = conn.clone();
                let r = tx
                    .within(async move {
                        inner.borrow_mut().client.in_exec = true;
                        let r = f.await;
                        inner.borrow_mut().client.in_exec = false;
                        r
                    })
                    .await;
                Reply::from(r)
            }
        });
    }
    drop(tx);
    Ok(Reply::Array(replies))
}

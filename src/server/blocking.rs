//! Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN, BLMPOP…): who waits, and serving them.
//!
//! Owns: on the shard owning the keys, the queue of waiters per key, first come first served,
//! and the serving itself: right after the command that made a key ready, in the same turn, so
//! no other client can take the element first (Redis's fairness). A waiter may be queued on
//! several shards at once; its state, behind a mutex, makes sure exactly one of them serves it,
//! or none if its timeout fired first. On the client's executor: the waiting itself, with the
//! timeout, and the cancellation by CLIENT UNBLOCK or a closed connection.

use bytes::Bytes;
use futures_channel::oneshot;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::runtime::{deliver, local};
use super::shards::ShardId;
use crate::commands::ctx::ShardCtx;
use crate::commands::propagation::Propagation;
use crate::commands::table::CmdResult;
use crate::storage::clock::UnixMillis;
use crate::storage::keyspace::Keyspace;

/// What serving a waiter produced.
pub struct Served {
    /// The waiter's reply.
    pub reply: CmdResult,
    /// Another key of the same DB that serving wrote (BLMOVE's destination), which may in turn
    /// wake its own waiters.
    pub wrote: Option<Bytes>,
    /// An element taken from the source that the waiter must still place on another shard
    /// (BLMOVE across shards).
    pub carry: Option<Bytes>,
}

/// Tries to serve a waiter from `key`, which just became ready: `None` when the key still
/// cannot serve it (absent, empty, another type), and nothing changed.
pub type Attempt = Box<dyn Fn(&mut ShardCtx<'_>, &Bytes) -> Option<Served> + Send + Sync>;

/// One blocked client.
pub struct Waiter {
    client_id: u64,
    origin: ShardId,
    state: Mutex<WaitState>,
    attempt: Attempt,
}

struct WaitState {
    /// Set once: by the shard that served the waiter, or by its own executor on timeout or
    /// cancellation.
    closed: bool,
    outcome: Option<Served>,
    notify: Option<oneshot::Sender<()>>,
}

impl Waiter {
    /// A waiter for client `client_id` of this executor, served by `attempt`. The receiver
    /// fires when a shard served it.
    pub fn new(client_id: u64, attempt: Attempt) -> (Arc<Waiter>, oneshot::Receiver<()>) {
        let (tx, rx) = oneshot::channel();
        let w = Arc::new(Waiter {
            client_id,
            origin: local().id,
            state: Mutex::new(WaitState {
                closed: false,
                outcome: None,
                notify: Some(tx),
            }),
            attempt,
        });
        (w, rx)
    }

    /// Closes the waiter with `outcome` unless it is closed already. True when this call
    /// closed it.
    fn close(&self, outcome: Option<Served>) -> bool {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.closed {
            return false;
        }
        st.closed = true;
        st.outcome = outcome;
        let notify = st.notify.take();
        drop(st);
        notify_waiter(self.origin, notify);
        true
    }

    fn is_closed(&self) -> bool {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).closed
    }
}

/// Wakes the waiting task, on its own executor.
fn notify_waiter(origin: ShardId, notify: Option<oneshot::Sender<()>>) {
    if let Some(n) = notify {
        deliver(origin, move || {
            let _ = n.send(());
        });
    }
}

// ---------------------------------------------------------------------------------------------
// The owning shard's side

/// A key of one DB.
type DbKey = (usize, Bytes);

thread_local! {
    static WAITING: RefCell<HashMap<DbKey, VecDeque<Arc<Waiter>>>> = RefCell::new(HashMap::new());
    static READY: RefCell<VecDeque<(usize, Bytes)>> = const { RefCell::new(VecDeque::new()) };
    static SERVING: Cell<bool> = const { Cell::new(false) };
}

/// Queues `waiter` on `keys` of DB `db` (all owned by this shard).
pub fn enqueue(db: usize, keys: &[Bytes], waiter: &Arc<Waiter>) {
    WAITING.with(|w| {
        let mut w = w.borrow_mut();
        for k in keys {
            w.entry((db, k.clone()))
                .or_default()
                .push_back(waiter.clone());
        }
    });
    super::key_events::interest_changed();
}

/// Removes client `client_id`'s waiters from `keys` once it no longer waits.
pub fn forget(db: usize, keys: &[Bytes], client_id: u64) {
    WAITING.with(|w| {
        let mut w = w.borrow_mut();
        for k in keys {
            let probe = (db, k.clone());
            if let Some(q) = w.get_mut(&probe) {
                q.retain(|x| x.client_id != client_id && !x.is_closed());
                if q.is_empty() {
                    w.remove(&probe);
                }
            }
        }
    });
    super::key_events::interest_changed();
}

/// Number of keys with waiters on this shard.
pub fn waited_keys() -> usize {
    WAITING.with(|w| w.borrow().len())
}

/// `key` of DB `db` changed: its waiters get a chance once the current command is done.
pub fn key_ready(db: usize, key: &Bytes) {
    let waited = WAITING.with(|w| w.borrow().contains_key(&(db, key.clone())));
    if waited {
        READY.with(|r| r.borrow_mut().push_back((db, key.clone())));
    }
}

/// Some keys of DB `db` changed: every waited key of it gets a chance.
pub fn db_ready(db: usize) {
    let keys: Vec<(usize, Bytes)> = WAITING.with(|w| {
        w.borrow()
            .keys()
            .filter(|(d, _)| *d == db)
            .cloned()
            .collect()
    });
    READY.with(|r| r.borrow_mut().extend(keys));
}

/// Serves the waiters of the keys that became ready, in their arrival order, for as long as
/// each key can serve them. Serving may make more keys ready (BLMOVE's destination); they are
/// served in the same pass.
pub fn serve_ready(ks: &mut Keyspace) {
    if SERVING.with(|s| s.replace(true)) {
        return;
    }
    while let Some((db, key)) = READY.with(|r| r.borrow_mut().pop_front()) {
        serve_key(ks, db, key);
    }
    SERVING.with(|s| s.set(false));
}

fn serve_key(ks: &mut Keyspace, db: usize, key: Bytes) {
    let probe = (db, key);
    let Some(mut queue) = WAITING.with(|w| w.borrow_mut().remove(&probe)) else {
        return;
    };
    let key = probe.1;
    while let Some(w) = queue.front().cloned() {
        let mut st = w.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.closed {
            drop(st);
            queue.pop_front();
            continue;
        }
        let mut out = Propagation::default();
        let mut cx = ShardCtx::new(ks, db, UnixMillis::now(), &mut out);
        let Some(served) = (w.attempt)(&mut cx, &key) else {
            break;
        };
        // Replicas get the non-blocking form the attempt recorded (LPOP for BLPOP…).
        crate::replication::propagate::recorded(db, &out);
        super::watch::touch(db, &key);
        if let Some(dst) = &served.wrote {
            super::watch::touch(db, dst);
            key_ready(db, dst);
        }
        st.closed = true;
        st.outcome = Some(served);
        let notify = st.notify.take();
        drop(st);
        notify_waiter(w.origin, notify);
        queue.pop_front();
    }
    if !queue.is_empty() {
        WAITING.with(|w| w.borrow_mut().insert((db, key), queue));
    }
}

// ---------------------------------------------------------------------------------------------
// The waiting client's side

thread_local! {
    /// The clients of this executor blocked right now.
    static BLOCKED: RefCell<HashMap<u64, Arc<Waiter>>> = RefCell::new(HashMap::new());
}

/// Waits until a shard serves `waiter` or `timeout` (none = for ever) passes, or the wait is
/// cancelled. `None` = timed out or cancelled without a reply.
pub async fn wait(
    waiter: &Arc<Waiter>,
    served: oneshot::Receiver<()>,
    timeout: Option<Duration>,
) -> Option<Served> {
    BLOCKED.with(|b| b.borrow_mut().insert(waiter.client_id, waiter.clone()));
    let notified = async {
        let _ = served.await;
    };
    match timeout {
        Some(t) => futures_lite::future::or(notified, crate::server::timers::sleep(t)).await,
        None => notified.await,
    }
    BLOCKED.with(|b| b.borrow_mut().remove(&waiter.client_id));
    // Closing here loses to a shard that served the waiter in the meantime, whose outcome
    // then stands.
    waiter.close(None);
    let mut st = waiter.state.lock().unwrap_or_else(|e| e.into_inner());
    st.outcome.take()
}

/// Ends client `client_id`'s wait, if it is blocked on this executor: with `reply` as its
/// answer, or as if its timeout fired when `None`. True when it was blocked.
pub fn unblock(client_id: u64, reply: Option<CmdResult>) -> bool {
    let Some(w) = BLOCKED.with(|b| b.borrow().get(&client_id).cloned()) else {
        return false;
    };
    w.close(reply.map(|reply| Served {
        reply,
        wrote: None,
        carry: None,
    }))
}

/// True when client `client_id` of this executor is blocked right now.
pub fn is_blocked(client_id: u64) -> bool {
    BLOCKED.with(|b| b.borrow().contains_key(&client_id))
}

/// Number of clients of this executor blocked right now (INFO's blocked_clients).
pub fn blocked_clients() -> usize {
    BLOCKED.with(|b| b.borrow().len())
}

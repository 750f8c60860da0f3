//! Starting the shard executors, and what each executor owns.
//!
//! Owns: one glommio executor per shard, pinned to its own core; the per-executor `ShardLocal`
//! (keyspace shard, gate, counters); the mailboxes, the hop and transaction messages and
//! the drain that runs them. Nothing mutable here is shared between executors but the
//! mailboxes: they talk by messages, and wake a sleeping peer through its doorbell.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_channel::oneshot;
use glommio::{LocalExecutorBuilder, Placement};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Mutex, OnceLock};

use super::gate::{Gate, GrantJob, Job, KeyId, LockWaiter, TxId};
use super::pipeline::RoundPart;
use super::shards::ShardId;
use super::shared::{shared, Shared};
use super::stats::ShardStats;
use crate::storage::clock::UnixMillis;
use crate::storage::db::{expired_visible, set_expired_visible};
use crate::storage::keyspace::Keyspace;

/// A message from one shard to another.
pub(crate) enum ShardMsg {
    /// Run `job` between two commands: at once when the shard is free or held by `tx`, else when
    /// the holder releases it.
    Run { tx: Option<TxId>, job: Job },
    /// A transaction asks for this shard's lock (or for some keys only), and runs its job once
    /// it holds it.
    Lock(LockWaiter),
    /// Transaction `tx` releases this shard.
    Unlock { tx: TxId },
    /// Runs `f` at once, whatever holds the gate: hands a result or a wake-up to a task of
    /// this executor, so that no task is ever woken from another thread.
    Deliver(Box<dyn FnOnce() + Send>),
    /// A connection's commands, run like `Run` without a transaction. They wake tasks only
    /// through `deliver`, as commands run by the driver do, so they need no glommio turn.
    Commands(RoundPart),
    /// Answers to `Commands`, and lock grants with their next step, run like `Deliver`; they
    /// wake no task (a task they spawn or wake notes its own activity), so they need no
    /// glommio turn.
    Answers(Box<dyn FnOnce() + Send>),
}

/// Every shard's keyspace, by shard id, for the snapshot code (see [`keyspace_registry`]).
/// Filled by each shard as it starts; the keyspaces are leaked with their `ShardLocal` and live
/// as long as the process.
static KEYSPACES: OnceLock<Vec<AtomicPtr<RefCell<Keyspace>>>> = OnceLock::new();

/// One mailbox per shard: peers push, the owner's network driver drains. A plain locked vector:
/// each push or drain holds the lock for a few instructions, and the doorbell wakes the owner.
static MAILBOXES: OnceLock<Vec<Mutex<Vec<ShardMsg>>>> = OnceLock::new();

/// What one executor owns. Created on that executor and never leaves it.
pub(crate) struct ShardLocal {
    /// This shard's id.
    pub id: ShardId,
    /// The keyspace shard.
    pub keyspace: RefCell<Keyspace>,
    /// The multi-shard lock.
    pub gate: RefCell<Gate>,
    /// Bumped whenever work arrives by a path other than the network ring, so the network
    /// driver knows not to sleep.
    pub activity: Cell<u64>,
    next_tx: Cell<u64>,
    /// Server counters of this shard.
    pub stats: RefCell<ShardStats>,
    /// The clock as of the network driver's current turn: one read serves a whole batch.
    now: Cell<UnixMillis>,
}

thread_local! {
    static LOCAL: Cell<Option<&'static ShardLocal>> = const { Cell::new(None) };
}

/// This executor's state. Panics outside a shard executor.
pub(crate) fn local() -> &'static ShardLocal {
    LOCAL.with(|l| l.get()).expect("called on a shard executor")
}

pub(crate) fn nr_shards() -> usize {
    shared().nr_shards
}

pub(crate) fn this_shard() -> ShardId {
    local().id
}

pub(crate) fn with_keyspace<R>(f: impl FnOnce(&mut Keyspace) -> R) -> R {
    f(&mut local().keyspace.borrow_mut())
}

/// `with_keyspace` on behalf of a caller that sees expired keys as live or not (a replica's
/// master link does): the target of a hop takes on its caller's view for the hop's length.
pub(crate) fn with_keyspace_as<R>(expired_visible: bool, f: impl FnOnce(&mut Keyspace) -> R) -> R {
    if !expired_visible {
        return with_keyspace(f);
    }
    let before = set_expired_visible(true);
    let r = with_keyspace(f);
    set_expired_visible(before);
    r
}

/// The time commands of the current batch see.
pub(crate) fn batch_now() -> UnixMillis {
    local().now.get()
}

/// Reads the clock for a new batch.
pub(crate) fn refresh_now() {
    let now = UnixMillis::now();
    local().now.set(now);
    crate::storage::clock::set_coarse_now(now);
}

/// Notes that work arrived outside the network ring.
pub(crate) fn note_activity() {
    let l = local();
    l.activity.set(l.activity.get().wrapping_add(1));
}

/// Starts one executor per shard, each pinned to one of `cpus` (round robin), running `body`
/// after the shard's state is set up. Returns when every executor has stopped.
pub fn run_shards<F, Fut>(shared: &'static Shared, cpus: &[usize], body: F) -> Result<(), String>
where
    F: Fn(ShardId) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let n = shared.nr_shards;
    MAILBOXES.get_or_init(|| (0..n).map(|_| Mutex::new(Vec::new())).collect());
    KEYSPACES.get_or_init(|| {
        (0..n)
            .map(|_| AtomicPtr::new(std::ptr::null_mut()))
            .collect()
    });
    let mut handles = Vec::with_capacity(n);
    for id in 0..n {
        let cpu = cpus[id % cpus.len()];
        let body = body.clone();
        // The network driver hands glommio a turn by awaiting a 1 µs timer; spinning briefly
        // before parking lets that timer fire without a round trip through the kernel.
        // No file I/O goes through glommio, so its registered I/O buffers (10 MiB each by
        // default) are kept at the minimum: registered buffers are pinned, and a fork copies
        // pinned memory at once, which made a snapshot's fork take ~30 ms on an empty server.
        let h = LocalExecutorBuilder::new(Placement::Fixed(cpu))
            .name(&format!("shard-{id}"))
            .io_memory(0)
            .spin_before_park(Duration::from_micros(20))
            .spawn(move || async move {
                shard_main(id);
                body(id).await;
            })
            .map_err(|e| format!("cannot start the executor for shard {id} on CPU {cpu}: {e}"))?;
        handles.push(h);
    }
    for h in handles {
        h.join().map_err(|e| format!("executor failed: {e}"))?;
    }
    Ok(())
}

/// Sets up the shard's state.
fn shard_main(id: ShardId) {
    // The executor's state exists before any message is handled: a peer that finished its own
    // set-up may already have posted here.
    let local: &'static ShardLocal = Box::leak(Box::new(ShardLocal {
        id,
        keyspace: RefCell::new(Keyspace::new(shared().databases)),
        gate: RefCell::new(Gate::default()),
        activity: Cell::new(0),
        next_tx: Cell::new(0),
        stats: RefCell::new(ShardStats::default()),
        now: Cell::new(UnixMillis::now()),
    }));
    LOCAL.with(|l| l.set(Some(local)));
    if let Some(registry) = KEYSPACES.get() {
        let ptr = &local.keyspace as *const RefCell<Keyspace> as *mut RefCell<Keyspace>;
        registry[id].store(ptr, Ordering::Release);
    }
}

/// The address of every shard's keyspace, in shard order; `None` until every shard has started.
///
/// Only the snapshot child may dereference these for another shard than the caller's own: a
/// `RefCell<Keyspace>` belongs to its executor's thread, and the forked child is the one place
/// where that thread no longer runs (a fork copies only the calling thread, and the child's
/// memory is a frozen copy-on-write image of the moment of the fork). Anywhere else, reach
/// another shard's keyspace with a hop.
pub(crate) fn keyspace_registry() -> Option<Vec<*const RefCell<Keyspace>>> {
    let registry = KEYSPACES.get()?;
    registry
        .iter()
        .map(|p| {
            let p = p.load(Ordering::Acquire);
            (!p.is_null()).then_some(p as *const RefCell<Keyspace>)
        })
        .collect()
}

/// Runs the messages peers posted to this shard, in the order they arrived. Called by the
/// network driver whenever its doorbell says there is mail.
pub(crate) fn drain_mailbox() {
    thread_local! {
        // The vector the mailbox is swapped with: drained messages leave their capacity here,
        // so posting allocates nothing, and no vector is freed on another thread than its own.
        static SPARE: RefCell<Vec<ShardMsg>> = const { RefCell::new(Vec::new()) };
    }
    let l = local();
    let mut msgs = SPARE.take();
    {
        let mut m = MAILBOXES.get().expect("mailboxes exist")[l.id]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        std::mem::swap(&mut *m, &mut msgs);
    }
    warm_commands(&msgs);
    // Whether glommio must take a turn: a message may have woken one of its tasks.
    let mut wakes = false;
    for msg in msgs.drain(..) {
        wakes |= !matches!(msg, ShardMsg::Commands(_) | ShardMsg::Answers(_));
        match msg {
            ShardMsg::Deliver(f) | ShardMsg::Answers(f) => f(),
            ShardMsg::Commands(part) => run_part_when_admitted(l, part),
            ShardMsg::Run { tx: Some(tx), job } if l.gate.borrow().held_by(tx) => job(),
            ShardMsg::Run { job, .. } => run_when_free(l, job),
            ShardMsg::Lock(w) => {
                let w = l.gate.borrow_mut().request(w);
                if let Some(w) = w {
                    grant(w);
                }
            }
            ShardMsg::Unlock { tx } => release_local(tx),
        }
    }
    SPARE.set(msgs);
    if wakes {
        note_activity();
    }
}

/// Runs `job` now when no transaction holds this shard's gate or any of its keys, else once
/// that is so. Boxed only when it must wait.
fn run_when_free<F: FnOnce() + Send + 'static>(l: &'static ShardLocal, job: F) {
    let free = l.gate.borrow().is_free();
    if free {
        job()
    } else {
        l.gate
            .borrow_mut()
            .defer(Box::new(move || run_when_free(local(), job)))
    }
}

/// Runs a connection's commands now when no transaction holds this shard or their keys, else
/// once that is so.
fn run_part_when_admitted(l: &'static ShardLocal, part: RoundPart) {
    let admitted = l.gate.borrow().admits(part.all_keys());
    if admitted {
        part.run()
    } else {
        l.gate
            .borrow_mut()
            .defer(Box::new(move || run_part_when_admitted(local(), part)))
    }
}

/// Looks up the keys of every connection's commands in `msgs` before any of them runs: like
/// the driver's own arrivals (`prefetch::warm_arrivals`), their misses then overlap.
fn warm_commands(msgs: &[ShardMsg]) {
    let keys: smallvec::SmallVec<[(usize, &[u8]); 64]> = msgs
        .iter()
        .filter_map(|m| match m {
            ShardMsg::Commands(part) => Some(part.keys()),
            _ => None,
        })
        .flatten()
        .collect();
    super::prefetch::warm_keys(&keys);
}

/// Posts `msg` to `shard` (another one) and wakes it.
fn post(shard: ShardId, msg: ShardMsg) {
    MAILBOXES.get().expect("mailboxes exist")[shard]
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(msg);
    ring(shard);
}

/// Runs `job` on `shard`'s keyspace between two commands, from any thread (a loader thread
/// included): nothing waits for it; the job reports back by its own means.
pub(crate) fn post_job(shard: ShardId, job: Job) {
    post(shard, ShardMsg::Run { tx: None, job });
}

/// Runs a connection's commands on `shard` (another one) between two of its own commands; they
/// answer through [`answer`].
pub(crate) fn post_commands(shard: ShardId, part: RoundPart) {
    post(shard, ShardMsg::Commands(part));
}

/// Hands answers to `Commands`, or a lock's grant, back to `shard` (another one): `f` must
/// note activity itself if it wakes a task.
pub(crate) fn answer(shard: ShardId, f: impl FnOnce() + Send + 'static) {
    post(shard, ShardMsg::Answers(Box::new(f)));
}

/// Runs `f` on `shard`'s executor as soon as it looks at its mail (at once when `shard` is this
/// one), whatever holds its gate. The way to complete a future of another executor: its waker
/// then fires on its own thread.
pub(crate) fn deliver(shard: ShardId, f: impl FnOnce() + Send + 'static) {
    if shard == local().id {
        f();
        note_activity();
    } else {
        post(shard, ShardMsg::Deliver(Box::new(f)));
    }
}

/// Runs `f` on `shard`'s executor the next time it looks at its mail, even when `shard` is this
/// one (then after the current command and its batch), whatever holds its gate.
pub(crate) fn deliver_later(shard: ShardId, f: impl FnOnce() + Send + 'static) {
    post(shard, ShardMsg::Deliver(Box::new(f)));
}

fn grant(w: LockWaiter) {
    // This shard's writes so far reach the replication stream before any of the transaction's.
    crate::replication::propagate::flush_shard();
    let keys_only = w.keys.is_some();
    let reply = w.on_grant.and_then(|job| {
        // A transaction holding keys only is not the gate's holder: what its job writes must
        // still go to its replication unit.
        if keys_only {
            local().gate.borrow_mut().set_running(Some(w.tx));
        }
        let reply = job();
        if keys_only {
            local().gate.borrow_mut().set_running(None);
        }
        reply
    });
    if w.last {
        crate::replication::propagate::unit_done(w.tx);
    }
    let then = w.then;
    let told = move || {
        if let Some(reply) = reply {
            reply();
        }
        then();
    };
    // The transaction's next step wakes no task by itself (see `LockChain`): it needs no
    // glommio turn.
    if w.origin == local().id {
        told();
    } else {
        answer(w.origin, told);
    }
}

/// Releases this shard's lock held by `tx` and lets what waited run.
fn release_local(tx: TxId) {
    let l = local();
    let released = l.gate.borrow_mut().release(tx);
    for job in released.jobs {
        job();
    }
    for w in released.wakers {
        w.wake();
    }
    loop {
        let next = l.gate.borrow_mut().grant_next();
        let Some(w) = next else { break };
        grant(w);
    }
    note_activity();
}

/// Wakes `shard` if it sleeps in its network ring.
pub(crate) fn ring(shard: ShardId) {
    shared().doorbells[shard].ring();
}

/// Resolves once no transaction holds this whole shard.
struct GateUnheld;

impl Future for GateUnheld {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let l = local();
        let mut g = l.gate.borrow_mut();
        if g.is_unheld() {
            Poll::Ready(())
        } else {
            g.wait_free(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// Waits until no multi-shard transaction holds this whole shard (some may hold keys).
pub(crate) async fn wait_gate_unheld() {
    GateUnheld.await
}

pub(crate) async fn hop<R, F>(shard: ShardId, f: F) -> R
where
    R: Send + 'static,
    F: FnOnce(&mut Keyspace) -> R + Send + 'static,
{
    if let Some(tx) = ambient_covering(&[shard]) {
        return tx_run(&tx, shard, f).await;
    }
    let l = local();
    if shard == l.id {
        if l.gate.borrow().is_free() {
            return with_keyspace(f);
        }
        // Deferred rather than polled for: deferred work keeps new key-holding transactions
        // from being granted, so it runs once the current holders release.
        // It runs outside this task's poll: it takes the poll's view of expired keys along.
        let visible = expired_visible();
        let (tx, rx) = oneshot::channel();
        run_when_free(l, move || {
            let _ = tx.send(with_keyspace_as(visible, f));
            note_activity();
        });
        return rx.await.expect("a deferred hop always runs");
    }
    let (tx, rx) = oneshot::channel();
    let origin = l.id;
    let visible = expired_visible();
    let job: Job = Box::new(move || {
        let r = with_keyspace_as(visible, f);
        deliver(origin, move || {
            let _ = tx.send(r);
        });
    });
    post(shard, ShardMsg::Run { tx: None, job });
    rx.await.expect("a hop's shard always answers")
}

/// Identifies a multi-shard transaction's locks.
pub struct TxHandle {
    id: TxId,
}

impl TxHandle {
    /// The transaction's id.
    pub(crate) fn id(&self) -> TxId {
        self.id
    }
}

thread_local! {
    /// The transaction whose future this executor is polling right now, with its shards: hops
    /// and locks inside it (the commands of an EXEC) use its locks instead of waiting for them.
    static AMBIENT: RefCell<Option<(TxId, Rc<[ShardId]>)>> = const { RefCell::new(None) };
}

/// The ambient transaction, when it holds every one of `shards`.
pub(crate) fn ambient_covering(shards: &[ShardId]) -> Option<TxHandle> {
    AMBIENT.with(|a| {
        let a = a.borrow();
        let (id, held) = a.as_ref()?;
        shards
            .iter()
            .all(|s| held.contains(s))
            .then_some(TxHandle { id: *id })
    })
}

/// The multi-shard transaction holding this shard's gate, if any: while one does, only its
/// jobs touch this shard's keyspace, so code touching it runs on that transaction's behalf.
pub(crate) fn gate_holder() -> Option<TxId> {
    local().gate.borrow().holder()
}

/// The ambient transaction's id: set while a coordinator polls a command inside its
/// transaction (the commands of an EXEC).
pub(crate) fn ambient_tx() -> Option<TxId> {
    AMBIENT.with(|a| a.borrow().as_ref().map(|(id, _)| *id))
}

/// Polls `inner` with `tx` (holding `shards`) as the ambient transaction.
pub(crate) struct InTx<F> {
    tx: TxId,
    shards: Rc<[ShardId]>,
    inner: Pin<Box<F>>,
}

impl<F> InTx<F> {
    pub(crate) fn new(tx: &TxHandle, shards: &[ShardId], inner: F) -> InTx<F> {
        InTx {
            tx: tx.id,
            shards: shards.into(),
            inner: Box::pin(inner),
        }
    }
}

impl<F: Future> Future for InTx<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mine = Some((self.tx, self.shards.clone()));
        let prev = AMBIENT.with(|a| a.replace(mine));
        let r = self.inner.as_mut().poll(cx);
        AMBIENT.with(|a| *a.borrow_mut() = prev);
        r
    }
}

/// One shard a transaction locks: the whole shard (`keys: None`) or only `keys`, and the job to
/// run there once granted.
pub(crate) struct LockPart {
    pub shard: ShardId,
    pub keys: Option<Vec<KeyId>>,
    pub on_grant: Option<GrantJob>,
}

/// Locks `shards` in the order given (ascending), running each one's job, if any, on that
/// shard the moment its lock is granted: work that needs one shard only rides on its lock
/// request instead of taking a round trip of its own. Then calls `done` (on this executor)
/// with the transaction and the shards it holds, for `tx_release`.
///
/// When the last part locks keys, its job completes the transaction: it needs its keys free,
/// but holds them no longer than the job runs, and the transaction's replication unit goes to
/// the stream right after it (see `grant`). Every part before it is still held then, so no
/// client sees the transaction half done: reading a key of an earlier part waits for the
/// release. This saves the last shard an unlock message, and its keys a round trip held.
pub(crate) fn tx_lock_then(
    shards: Vec<LockPart>,
    done: impl FnOnce(TxHandle, Vec<ShardId>) + Send + 'static,
) {
    let l = local();
    let seq = l.next_tx.get();
    l.next_tx.set(seq + 1);
    let id: TxId = ((l.id as u64) << 48) | (seq & ((1 << 48) - 1));
    LockChain {
        id,
        origin: l.id,
        held: Vec::with_capacity(shards.len()),
        parts: shards.into_iter(),
        done: Box::new(done),
    }
    .advance();
}

/// `tx_lock_then` for a task: resolves to the transaction and the shards it holds.
pub(crate) async fn tx_lock(shards: Vec<LockPart>) -> (TxHandle, Vec<ShardId>) {
    let (tx, rx) = oneshot::channel();
    tx_lock_then(shards, move |handle, held| {
        let _ = tx.send((handle, held));
        // The task awaiting it runs on glommio's next turn.
        note_activity();
    });
    rx.await.expect("a locked shard always answers")
}

/// A transaction taking its locks one shard after the other. Each grant calls the next step
/// from the grant's own message, so a lock costs no task wake-up and no glommio turn.
struct LockChain {
    id: TxId,
    origin: ShardId,
    parts: std::vec::IntoIter<LockPart>,
    held: Vec<ShardId>,
    done: Box<dyn FnOnce(TxHandle, Vec<ShardId>) + Send>,
}

impl LockChain {
    fn advance(mut self) {
        let Some(part) = self.parts.next() else {
            return (self.done)(TxHandle { id: self.id }, self.held);
        };
        let last = self.parts.len() == 0 && part.keys.is_some();
        if !last {
            self.held.push(part.shard);
        }
        let w = LockWaiter {
            tx: self.id,
            keys: part.keys,
            last,
            origin: self.origin,
            on_grant: part.on_grant,
            then: Box::new(move || self.advance()),
        };
        if part.shard == local().id {
            let w = local().gate.borrow_mut().request(w);
            if let Some(w) = w {
                grant(w);
            }
        } else {
            post(part.shard, ShardMsg::Lock(w));
        }
    }
}

pub(crate) async fn tx_run<R, F>(tx: &TxHandle, shard: ShardId, f: F) -> R
where
    R: Send + 'static,
    F: FnOnce(&mut Keyspace) -> R + Send + 'static,
{
    let l = local();
    if shard == l.id {
        debug_assert!(l.gate.borrow().held_by(tx.id));
        return with_keyspace(f);
    }
    let (reply, rx) = oneshot::channel();
    let origin = l.id;
    let visible = expired_visible();
    let job: Job = Box::new(move || {
        let r = with_keyspace_as(visible, f);
        deliver(origin, move || {
            let _ = reply.send(r);
        });
    });
    post(
        shard,
        ShardMsg::Run {
            tx: Some(tx.id),
            job,
        },
    );
    rx.await.expect("a locked shard always answers")
}

pub(crate) fn tx_release(tx: &TxHandle, shards: &[ShardId]) {
    // What the transaction wrote goes to replicas as one unit, before any shard it held runs
    // anything else.
    crate::replication::propagate::unit_done(tx.id);
    let l = local();
    for &s in shards {
        if s == l.id {
            release_local(tx.id);
        } else {
            post(s, ShardMsg::Unlock { tx: tx.id });
        }
    }
}

/// Lets glommio run one full turn of its loop (timers, cross-executor channels, wake-ups from
/// other threads) before the caller continues. A task that merely re-wakes itself would stay
/// runnable and keep glommio from polling until its preemption timer fires.
pub(crate) async fn glommio_turn() {
    glommio::timer::Timer::new(Duration::from_micros(1)).await;
}

//! Pub/sub on one executor: which of its connections listen to which channels, patterns and
//! shard channels, and the delivery of published messages into their reply buffers.
//!
//! Owns: the executor's `Registry` (name -> listening connections, for each kind of
//! subscription, and each connection's own subscriptions in the order it made them) and the
//! process-wide `LISTENING` counters, one pair per executor, that let a publisher skip the
//! executors where nobody listens. Runs on: the executor the subscribed connections live on;
//! the registry is thread-local. Must not: touch the keyspace, or keep a connection borrowed
//! beyond appending one message to it.
//!
//! A connection lives on the executor that accepted it, and so do its subscriptions. PUBLISH
//! therefore delivers on its own executor, then hops to every other executor where someone
//! listens and delivers there, and answers the sum of the receivers. A message is appended to
//! each receiver's reply buffer and the driver is asked to flush it, as CLIENT KILL does.
//!
//! Ordering: a PUBLISH answers only once every executor has delivered, and a connection runs
//! its commands one after the other, so the messages of one publisher reach each subscriber in
//! the order they were published. A subscriber's reply buffer is written in the order things
//! happened to it: a message published to a RESP3 connection by itself comes before the reply
//! to its PUBLISH, as in Redis.

use bytes::Bytes;
use futures_lite::future::poll_fn;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::task::Poll;

use super::client::{ClientState, SubCounts};
use super::connection::{self, Conn, ConnRef};
use super::runtime::note_activity;
use super::shards::{hop, nr_shards, this_shard, ShardId};
use crate::commands::glob::glob_match;

type Map<K, V> = hashbrown::HashMap<K, V, ahash::RandomState>;

/// What a subscription listens to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A channel (SUBSCRIBE); PUBLISH reaches it.
    Channel,
    /// A glob pattern over channel names (PSUBSCRIBE); PUBLISH reaches it.
    Pattern,
    /// A shard channel (SSUBSCRIBE); only SPUBLISH reaches it.
    ShardChannel,
}

impl Kind {
    fn index(self) -> usize {
        match self {
            Kind::Channel => 0,
            Kind::Pattern => 1,
            Kind::ShardChannel => 2,
        }
    }

    /// True for the kinds PUBLISH reaches (SPUBLISH reaches the other one).
    fn is_global(self) -> bool {
        self != Kind::ShardChannel
    }
}

/// Where one subscriber's messages go: its connection.
#[derive(Clone)]
pub struct Subscriber {
    conn: Weak<RefCell<Conn>>,
}

impl Subscriber {
    /// The subscriber for the connection of `client_id` on this executor. A client with no
    /// open connection here gets a subscriber that drops what it is sent.
    pub fn of(client_id: u64) -> Subscriber {
        match connection::find(client_id) {
            Some(c) => Subscriber {
                conn: Rc::downgrade(&c),
            },
            None => Subscriber::detached(),
        }
    }

    /// A subscriber whose messages go nowhere.
    pub fn detached() -> Subscriber {
        Subscriber { conn: Weak::new() }
    }
}

/// One connection's subscriptions of each kind, each name with the sequence number it was
/// subscribed at, so that "unsubscribe from everything" goes in subscription order.
#[derive(Default)]
struct Own {
    names: [Map<Bytes, u64>; 3],
    next_seq: u64,
}

impl Own {
    fn is_empty(&self) -> bool {
        self.names.iter().all(|m| m.is_empty())
    }
}

/// The subscriptions of one executor's connections.
#[derive(Default)]
pub struct Registry {
    /// For each kind: name -> the connections listening to it, by client id.
    by_name: [Map<Bytes, Map<u64, Subscriber>>; 3],
    /// For each connection with at least one subscription: its own.
    clients: Map<u64, Own>,
    /// For each kind: the (connection, name) pairs.
    pairs: [usize; 3],
}

impl Registry {
    /// Subscribes `client` to `name`, sending its messages to what `to` gives (asked only when
    /// the subscription is new). Returns false when it already was subscribed.
    pub fn subscribe(
        &mut self,
        kind: Kind,
        client: u64,
        name: &Bytes,
        to: impl FnOnce() -> Subscriber,
    ) -> bool {
        let k = kind.index();
        let own = self.clients.entry(client).or_default();
        if own.names[k].contains_key(name) {
            return false;
        }
        own.names[k].insert(name.clone(), own.next_seq);
        own.next_seq += 1;
        self.by_name[k]
            .entry(name.clone())
            .or_default()
            .insert(client, to());
        self.pairs[k] += 1;
        true
    }

    /// Unsubscribes `client` from `name`. Returns false when it was not subscribed. A name
    /// nobody listens to any more is forgotten, so that PUBSUB CHANNELS no longer lists it.
    pub fn unsubscribe(&mut self, kind: Kind, client: u64, name: &[u8]) -> bool {
        let k = kind.index();
        let Some(own) = self.clients.get_mut(&client) else {
            return false;
        };
        if own.names[k].remove(name).is_none() {
            return false;
        }
        if own.is_empty() {
            self.clients.remove(&client);
        }
        if let Some(listeners) = self.by_name[k].get_mut(name) {
            listeners.remove(&client);
            if listeners.is_empty() {
                self.by_name[k].remove(name);
            }
        }
        self.pairs[k] -= 1;
        true
    }

    /// Unsubscribes `client` from everything. Returns how many subscriptions it had.
    pub fn forget(&mut self, client: u64) -> usize {
        let Some(own) = self.clients.remove(&client) else {
            return 0;
        };
        let mut n = 0;
        for (k, names) in own.names.into_iter().enumerate() {
            for (name, _) in names {
                if let Some(listeners) = self.by_name[k].get_mut(&name) {
                    listeners.remove(&client);
                    if listeners.is_empty() {
                        self.by_name[k].remove(&name);
                    }
                }
                self.pairs[k] -= 1;
                n += 1;
            }
        }
        n
    }

    /// The names `client` is subscribed to, in the order it subscribed.
    pub fn subscriptions(&self, kind: Kind, client: u64) -> Vec<Bytes> {
        let Some(own) = self.clients.get(&client) else {
            return Vec::new();
        };
        let mut names: Vec<(&Bytes, u64)> = own.names[kind.index()]
            .iter()
            .map(|(n, s)| (n, *s))
            .collect();
        names.sort_unstable_by_key(|&(_, seq)| seq);
        names.into_iter().map(|(n, _)| n.clone()).collect()
    }

    /// How many subscriptions of each kind `client` has.
    pub fn counts(&self, client: u64) -> SubCounts {
        match self.clients.get(&client) {
            Some(own) => SubCounts {
                channels: own.names[0].len(),
                patterns: own.names[1].len(),
                shard_channels: own.names[2].len(),
            },
            None => SubCounts::default(),
        }
    }

    /// How many connections here listen to `name` (PUBSUB NUMSUB counts no patterns).
    pub fn listeners(&self, kind: Kind, name: &[u8]) -> usize {
        self.by_name[kind.index()].get(name).map_or(0, |l| l.len())
    }

    /// The names of `kind` someone here listens to, those matching `pattern` when one is given.
    pub fn names(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Bytes> {
        self.by_name[kind.index()]
            .keys()
            .filter(|n| pattern.is_none_or(|p| glob_match(p, n, false)))
            .cloned()
            .collect()
    }

    /// The (connection, name) pairs of PUBLISH's kinds and of SPUBLISH's.
    fn listening(&self) -> (usize, usize) {
        (self.pairs[0] + self.pairs[1], self.pairs[2])
    }

    /// Hands `message` on `channel` to every local listener: with `kind` `Channel`, the
    /// channel's subscribers (a `message` frame) and then those of each matching pattern (a
    /// `pmessage` frame each); with `ShardChannel`, the shard channel's subscribers (an
    /// `smessage` frame). `send` gets each subscriber and its frame in RESP2 form. Returns how
    /// many frames it handed out: a connection listening both to the channel and to a matching
    /// pattern counts, and receives, twice, as in Redis.
    pub fn fan_out(
        &self,
        kind: Kind,
        channel: &[u8],
        message: &[u8],
        mut send: impl FnMut(&Subscriber, &[u8]),
    ) -> usize {
        let mut n = 0;
        if let Some(listeners) = self.by_name[kind.index()].get(channel) {
            let word: &[u8] = if kind == Kind::ShardChannel {
                b"smessage"
            } else {
                b"message"
            };
            let frame = frame(&[word, channel, message]);
            for to in listeners.values() {
                send(to, &frame);
                n += 1;
            }
        }
        if kind != Kind::Channel {
            return n;
        }
        for (pattern, listeners) in &self.by_name[Kind::Pattern.index()] {
            if !glob_match(pattern, channel, false) {
                continue;
            }
            let frame = frame(&[b"pmessage", pattern, channel, message]);
            for to in listeners.values() {
                send(to, &frame);
                n += 1;
            }
        }
        n
    }
}

/// A push frame of bulk strings in RESP2 form (`*n`); RESP3 differs only in its first byte.
fn frame(parts: &[&[u8]]) -> Vec<u8> {
    use crate::protocol::encoder::{write_array_len, write_bulk};
    let mut out = Vec::with_capacity(16 + parts.iter().map(|p| p.len() + 16).sum::<usize>());
    write_array_len(&mut out, parts.len());
    for p in parts {
        write_bulk(&mut out, p);
    }
    out
}

/// Appends a RESP2-form push `frame` to `out` in protocol version `resp`.
fn append_frame(out: &mut Vec<u8>, frame: &[u8], resp: u8) {
    let start = out.len();
    out.extend_from_slice(frame);
    if resp >= 3 {
        out[start] = b'>';
    }
}

thread_local! {
    static REGISTRY: RefCell<Registry> = RefCell::new(Registry::default());
    /// Messages for connections that were borrowed when they arrived, in arrival order.
    static DEFERRED: RefCell<Vec<(ConnRef, Vec<u8>)>> = const { RefCell::new(Vec::new()) };
}

/// How many subscriptions each executor holds, readable by every executor.
#[derive(Default)]
struct Listening {
    /// Channels and patterns: what PUBLISH reaches.
    global: AtomicUsize,
    /// Shard channels: what SPUBLISH reaches.
    shard: AtomicUsize,
}

static LISTENING: OnceLock<Box<[Listening]>> = OnceLock::new();

fn listening() -> &'static [Listening] {
    LISTENING.get_or_init(|| (0..nr_shards()).map(|_| Listening::default()).collect())
}

/// True when someone on `shard` holds a subscription that a publish of `kind` may reach.
///
/// A subscription is counted before its SUBSCRIBE is answered, so a publish issued after the
/// subscriber saw that answer never skips its executor. A stale non-zero count only costs a hop.
fn may_listen(shard: ShardId, kind: Kind) -> bool {
    let l = &listening()[shard];
    let n = if kind.is_global() {
        &l.global
    } else {
        &l.shard
    };
    n.load(Ordering::Acquire) > 0
}

/// Runs `f` on this executor's registry, then publishes its counts to the other executors.
fn with_registry<R>(f: impl FnOnce(&mut Registry) -> R) -> R {
    REGISTRY.with(|r| {
        let mut reg = r.borrow_mut();
        let out = f(&mut reg);
        let (global, shard) = reg.listening();
        let l = &listening()[this_shard()];
        l.global.store(global, Ordering::Release);
        l.shard.store(shard, Ordering::Release);
        out
    })
}

fn read_registry<R>(f: impl FnOnce(&Registry) -> R) -> R {
    REGISTRY.with(|r| f(&r.borrow()))
}

/// Subscribes `client`'s connection to `name` and updates its counts. Returns false when it
/// was subscribed already. Runs on: the connection's executor.
pub fn subscribe(client: &mut ClientState, kind: Kind, name: &Bytes) -> bool {
    let id = client.id;
    let (added, counts) = with_registry(|reg| {
        let added = reg.subscribe(kind, id, name, || Subscriber::of(id));
        (added, reg.counts(id))
    });
    client.subs = counts;
    added
}

/// Unsubscribes `client`'s connection from `name` and updates its counts. Returns false when
/// it was not subscribed. Runs on: the connection's executor.
pub fn unsubscribe(client: &mut ClientState, kind: Kind, name: &[u8]) -> bool {
    let id = client.id;
    let (removed, counts) = with_registry(|reg| (reg.unsubscribe(kind, id, name), reg.counts(id)));
    client.subs = counts;
    removed
}

/// The names `client_id` is subscribed to, in the order it subscribed (UNSUBSCRIBE without
/// arguments goes through them in that order).
pub fn subscriptions(client_id: u64, kind: Kind) -> Vec<Bytes> {
    read_registry(|reg| reg.subscriptions(kind, client_id))
}

/// Unsubscribes `client`'s connection from everything, without a word to it (RESET).
pub fn unsubscribe_all(client: &mut ClientState) {
    forget_client(client.id);
    client.subs = SubCounts::default();
}

/// Drops every subscription of a connection that closed. Runs on: its executor.
pub fn forget_client(client_id: u64) {
    let had = read_registry(|reg| reg.clients.contains_key(&client_id));
    if had {
        with_registry(|reg| reg.forget(client_id));
    }
}

/// Delivers `message` on `channel` to the listeners of this executor (see
/// [`Registry::fan_out`] for which) and returns how many received it.
///
/// A plain function, callable from anywhere on the executor, a shard handler included. A
/// receiver whose connection is borrowed at that moment (the one running the calling command)
/// gets the message right after its current command, and so do the messages that follow it.
pub fn deliver_local(kind: Kind, channel: &[u8], message: &[u8]) -> usize {
    read_registry(|reg| reg.fan_out(kind, channel, message, push_frame))
}

/// Appends `frame` to the subscriber's reply buffer and asks the driver to send it.
fn push_frame(to: &Subscriber, frame: &[u8]) {
    let Some(conn) = to.conn.upgrade() else {
        return;
    };
    let waiting = DEFERRED.with(|d| {
        let d = d.borrow();
        !d.is_empty() && d.iter().any(|(c, _)| Rc::ptr_eq(c, &conn))
    });
    if !waiting {
        if let Ok(mut c) = conn.try_borrow_mut() {
            append_to(&mut c, frame);
            return;
        }
    }
    let first = DEFERRED.with(|d| {
        let mut d = d.borrow_mut();
        d.push((conn, frame.to_vec()));
        d.len() == 1
    });
    if first {
        glommio::spawn_local(deliver_deferred()).detach();
        note_activity();
    }
}

/// Appends `frame` in the connection's protocol and asks the driver to send it.
fn append_to(c: &mut Conn, frame: &[u8]) {
    let resp = c.client.resp;
    append_frame(&mut c.out, frame, resp);
    connection::schedule_flush(c.token);
}

/// Appends the messages that found their connection borrowed, once it no longer is.
async fn deliver_deferred() {
    let pending = DEFERRED.with(|d| std::mem::take(&mut *d.borrow_mut()));
    for (conn, frame) in pending {
        // Still borrowed (not expected between two tasks): keep it, and whatever follows it for
        // the same connection, for the next round.
        let held = DEFERRED.with(|d| d.borrow().iter().any(|(c, _)| Rc::ptr_eq(c, &conn)));
        match conn.try_borrow_mut() {
            Ok(mut c) if !held => append_to(&mut c, &frame),
            _ => DEFERRED.with(|d| d.borrow_mut().push((conn.clone(), frame))),
        }
    }
    if DEFERRED.with(|d| !d.borrow().is_empty()) {
        glommio::spawn_local(deliver_deferred()).detach();
        note_activity();
    }
}

/// Publishes `message` on `channel` to every executor (PUBLISH with `kind` `Channel`, SPUBLISH
/// with `ShardChannel`) and returns the number of receivers. Delivers here first, then on the
/// other executors where someone may listen, all at once; resolves when all have delivered.
pub async fn publish(kind: Kind, channel: Bytes, message: Bytes) -> usize {
    let local = deliver_local(kind, &channel, &message);
    let hops: Vec<_> = peers_listening(kind)
        .map(|s| {
            let (c, m) = (channel.clone(), message.clone());
            hop(s, move |_ks| deliver_local(kind, &c, &m))
        })
        .collect();
    if hops.is_empty() {
        return local;
    }
    local + join_all(hops).await.into_iter().sum::<usize>()
}

/// Publishes like [`publish`] without waiting for the other executors, for code that cannot
/// await (a shard handler's keyspace notifications). Delivers here at once; the other executors
/// deliver when their hop arrives, in the order this executor posted them.
pub fn publish_detached(kind: Kind, channel: Bytes, message: Bytes) {
    deliver_local(kind, &channel, &message);
    let hops: Vec<_> = peers_listening(kind)
        .map(|s| {
            let (c, m) = (channel.clone(), message.clone());
            hop(s, move |_ks| deliver_local(kind, &c, &m))
        })
        .collect();
    if !hops.is_empty() {
        glommio::spawn_local(async move {
            join_all(hops).await;
        })
        .detach();
        note_activity();
    }
}

/// The other executors where a publish of `kind` may find a listener.
fn peers_listening(kind: Kind) -> impl Iterator<Item = ShardId> {
    let me = this_shard();
    (0..nr_shards()).filter(move |&s| s != me && may_listen(s, kind))
}

/// Runs `f` on this executor and on every other executor where subscriptions of `kind` may
/// exist, all at once; results come back in no particular order.
async fn on_listening_shards<R, F>(kind: Kind, f: F) -> Vec<R>
where
    R: Send + 'static,
    F: Fn() -> R + Send + Clone + 'static,
{
    let hops: Vec<_> = peers_listening(kind)
        .map(|s| {
            let f = f.clone();
            hop(s, move |_ks| f())
        })
        .collect();
    let mut out = vec![f()];
    out.extend(join_all(hops).await);
    out
}

/// The names of `kind` someone listens to on any executor, each once, those matching
/// `pattern` when one is given (PUBSUB CHANNELS, SHARDCHANNELS, NUMPAT).
pub async fn active_names(kind: Kind, pattern: Option<Bytes>) -> Vec<Bytes> {
    let lists = on_listening_shards(kind, move || {
        read_registry(|reg| reg.names(kind, pattern.as_deref()))
    })
    .await;
    union(lists)
}

fn union(lists: Vec<Vec<Bytes>>) -> Vec<Bytes> {
    if lists.len() == 1 {
        return lists.into_iter().next().unwrap_or_default();
    }
    let mut seen: hashbrown::HashSet<Bytes, ahash::RandomState> = Default::default();
    lists
        .into_iter()
        .flatten()
        .filter(|n| seen.insert(n.clone()))
        .collect()
}

/// For each of `names`, how many connections listen to it on all executors (PUBSUB NUMSUB,
/// SHARDNUMSUB).
pub async fn listeners(kind: Kind, names: Vec<Bytes>) -> Vec<usize> {
    let n = names.len();
    let per_shard = on_listening_shards(kind, move || {
        read_registry(|reg| {
            names
                .iter()
                .map(|c| reg.listeners(kind, c))
                .collect::<Vec<_>>()
        })
    })
    .await;
    let mut sum = vec![0; n];
    for counts in per_shard {
        for (s, c) in sum.iter_mut().zip(counts) {
            *s += c;
        }
    }
    sum
}

/// Server-wide subscription figures, as INFO's stats section shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerCounts {
    /// Channels with at least one subscriber (`pubsub_channels`).
    pub channels: usize,
    /// Patterns with at least one subscriber (`pubsub_patterns`).
    pub patterns: usize,
    /// Shard channels with at least one subscriber (`pubsubshard_channels`).
    pub shard_channels: usize,
}

/// Counts the distinct channels, patterns and shard channels listened to on any executor.
pub async fn server_counts() -> ServerCounts {
    ServerCounts {
        channels: active_names(Kind::Channel, None).await.len(),
        patterns: active_names(Kind::Pattern, None).await.len(),
        shard_channels: active_names(Kind::ShardChannel, None).await.len(),
    }
}

/// Waits for every future, polling them together, and returns their outputs in order.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (f, out) in futures.iter_mut().zip(outputs.iter_mut()) {
            if out.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *out = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs
        .into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    /// Publishes on `reg` and returns the frames handed out, as text, sorted.
    fn frames(reg: &Registry, kind: Kind, channel: &str, message: &str) -> (usize, Vec<String>) {
        let mut seen = Vec::new();
        let n = reg.fan_out(kind, channel.as_bytes(), message.as_bytes(), |_, f| {
            seen.push(String::from_utf8(f.to_vec()).unwrap())
        });
        seen.sort();
        (n, seen)
    }

    #[test]
    fn subscribing_twice_counts_once() {
        let mut reg = Registry::default();
        assert!(reg.subscribe(Kind::Channel, 1, &b("news"), Subscriber::detached));
        assert!(!reg.subscribe(Kind::Channel, 1, &b("news"), Subscriber::detached));
        assert!(reg.subscribe(Kind::Pattern, 1, &b("n*"), Subscriber::detached));
        assert!(reg.subscribe(Kind::ShardChannel, 1, &b("s"), Subscriber::detached));
        assert_eq!(
            reg.counts(1),
            SubCounts {
                channels: 1,
                patterns: 1,
                shard_channels: 1
            }
        );
        assert_eq!(reg.listening(), (2, 1));
        assert_eq!(reg.listeners(Kind::Channel, b"news"), 1);
    }

    #[test]
    fn unsubscribing_forgets_names_nobody_listens_to() {
        let mut reg = Registry::default();
        reg.subscribe(Kind::Channel, 1, &b("a"), Subscriber::detached);
        reg.subscribe(Kind::Channel, 2, &b("a"), Subscriber::detached);
        assert!(reg.unsubscribe(Kind::Channel, 1, b"a"));
        assert!(!reg.unsubscribe(Kind::Channel, 1, b"a"));
        assert_eq!(reg.names(Kind::Channel, None), vec![b("a")]);
        assert!(reg.unsubscribe(Kind::Channel, 2, b"a"));
        assert!(reg.names(Kind::Channel, None).is_empty());
        assert!(reg.clients.is_empty());
        assert_eq!(reg.listening(), (0, 0));
    }

    #[test]
    fn subscriptions_come_back_in_subscription_order() {
        let mut reg = Registry::default();
        for name in ["z", "a", "m", "b"] {
            reg.subscribe(Kind::Channel, 7, &b(name), Subscriber::detached);
        }
        reg.unsubscribe(Kind::Channel, 7, b"m");
        reg.subscribe(Kind::Channel, 7, &b("m"), Subscriber::detached);
        assert_eq!(
            reg.subscriptions(Kind::Channel, 7),
            vec![b("z"), b("a"), b("b"), b("m")]
        );
        assert!(reg.subscriptions(Kind::Pattern, 7).is_empty());
    }

    #[test]
    fn forgetting_a_client_drops_all_its_subscriptions() {
        let mut reg = Registry::default();
        reg.subscribe(Kind::Channel, 1, &b("a"), Subscriber::detached);
        reg.subscribe(Kind::Pattern, 1, &b("*"), Subscriber::detached);
        reg.subscribe(Kind::ShardChannel, 1, &b("s"), Subscriber::detached);
        reg.subscribe(Kind::Channel, 2, &b("a"), Subscriber::detached);
        assert_eq!(reg.forget(1), 3);
        assert_eq!(reg.forget(1), 0);
        assert_eq!(reg.counts(1), SubCounts::default());
        assert_eq!(reg.listeners(Kind::Channel, b"a"), 1);
        assert!(reg.names(Kind::Pattern, None).is_empty());
        assert_eq!(reg.listening(), (1, 0));
    }

    #[test]
    fn a_publish_reaches_the_channel_then_every_matching_pattern() {
        let mut reg = Registry::default();
        reg.subscribe(Kind::Channel, 1, &b("news.uk"), Subscriber::detached);
        reg.subscribe(Kind::Pattern, 1, &b("news.*"), Subscriber::detached);
        reg.subscribe(Kind::Pattern, 2, &b("news.*"), Subscriber::detached);
        reg.subscribe(Kind::Pattern, 2, &b("sport.*"), Subscriber::detached);
        reg.subscribe(Kind::ShardChannel, 3, &b("news.uk"), Subscriber::detached);
        let (n, seen) = frames(&reg, Kind::Channel, "news.uk", "hi");
        assert_eq!(n, 3);
        assert_eq!(
            seen,
            vec![
                "*3\r\n$7\r\nmessage\r\n$7\r\nnews.uk\r\n$2\r\nhi\r\n",
                "*4\r\n$8\r\npmessage\r\n$6\r\nnews.*\r\n$7\r\nnews.uk\r\n$2\r\nhi\r\n",
                "*4\r\n$8\r\npmessage\r\n$6\r\nnews.*\r\n$7\r\nnews.uk\r\n$2\r\nhi\r\n",
            ]
        );
        assert_eq!(frames(&reg, Kind::Channel, "weather", "x").0, 0);
    }

    #[test]
    fn a_shard_publish_ignores_patterns_and_plain_channels() {
        let mut reg = Registry::default();
        reg.subscribe(Kind::Channel, 1, &b("s"), Subscriber::detached);
        reg.subscribe(Kind::Pattern, 1, &b("*"), Subscriber::detached);
        reg.subscribe(Kind::ShardChannel, 2, &b("s"), Subscriber::detached);
        let (n, seen) = frames(&reg, Kind::ShardChannel, "s", "m");
        assert_eq!(n, 1);
        assert_eq!(seen, vec!["*3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nm\r\n"]);
    }

    #[test]
    fn names_filter_by_glob() {
        let mut reg = Registry::default();
        for name in ["news.uk", "news.fr", "sport", ""] {
            reg.subscribe(Kind::Channel, 1, &b(name), Subscriber::detached);
        }
        let mut names = reg.names(Kind::Channel, Some(b"news.*"));
        names.sort();
        assert_eq!(names, vec![b("news.fr"), b("news.uk")]);
        assert_eq!(reg.names(Kind::Channel, None).len(), 4);
        // Redis's glob never matches an empty name, not even with `*`.
        assert_eq!(reg.names(Kind::Channel, Some(b"*")).len(), 3);
    }

    #[test]
    fn resp3_frames_differ_only_in_their_first_byte() {
        let f = frame(&[b"message", b"c", b"m"]);
        let mut two = Vec::new();
        let mut three = b"+OK\r\n".to_vec();
        append_frame(&mut two, &f, 2);
        append_frame(&mut three, &f, 3);
        assert_eq!(two, b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n");
        assert_eq!(
            three,
            b"+OK\r\n>3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n"
        );
    }

    #[test]
    fn union_keeps_each_name_once() {
        let u = union(vec![vec![b("a"), b("b")], vec![b("b"), b("c")], vec![]]);
        assert_eq!(u, vec![b("a"), b("b"), b("c")]);
    }
}

//! Which executor serves a new client connection.
//!
//! Owns: every executor's count of open client connections, and the connections handed to this
//! executor by the one that accepted them.
//!
//! Why: every executor waits on the same listening sockets, and the kernel does not spread
//! connections over them. An accept that finds a connection waiting completes at once, so the
//! executor that is awake and submitting takes a burst of new connections whole while the
//! others sleep: 50 of 51 `redis-benchmark` connections landed on one executor of two, idle or
//! busy (measured). That executor then does all the network work while the others only run
//! commands for keys they own. The accepting executor therefore hands each connection to the
//! executor serving the fewest, keeping it when it is among them.

use std::cell::RefCell;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::server::runtime::deliver;
use crate::server::shards::ShardId;
use crate::server::shared::shared;

fn open_connections() -> &'static [AtomicUsize] {
    static COUNTS: OnceLock<Vec<AtomicUsize>> = OnceLock::new();
    COUNTS.get_or_init(|| {
        (0..shared().nr_shards)
            .map(|_| AtomicUsize::new(0))
            .collect()
    })
}

thread_local! {
    static HANDED_OVER: RefCell<Vec<RawFd>> = const { RefCell::new(Vec::new()) };
}

/// The executor that will serve a connection `me` just accepted, counted as one more for it.
/// Ties go to `me`, which then keeps the connection without a hop.
pub fn place(me: ShardId) -> ShardId {
    let counts = open_connections();
    let mut best = me;
    let mut fewest = counts[me].load(Ordering::Relaxed);
    for (shard, count) in counts.iter().enumerate() {
        let n = count.load(Ordering::Relaxed);
        if n < fewest {
            best = shard;
            fewest = n;
        }
    }
    counts[best].fetch_add(1, Ordering::Relaxed);
    best
}

/// Sends the accepted socket `fd` to `target`, whose driver adopts it on its next turn.
pub fn hand_over(target: ShardId, fd: RawFd) {
    deliver(target, move || {
        HANDED_OVER.with(|h| h.borrow_mut().push(fd))
    });
}

/// The sockets handed to this executor since the last call.
pub fn take_handed_over() -> Vec<RawFd> {
    HANDED_OVER.with(|h| std::mem::take(&mut *h.borrow_mut()))
}

/// Notes that a connection `me` served has closed.
pub fn closed(me: ShardId) {
    open_connections()[me].fetch_sub(1, Ordering::Relaxed);
}

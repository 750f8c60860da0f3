//! The state of one client connection that commands may read or change.
//!
//! Owns: `ClientState` (id, name, selected DB, protocol version, authentication, addresses and
//! times) as CLIENT LIST and CLIENT INFO report them. Lives on the executor that accepted the
//! connection.

use bytes::Bytes;
use std::net::SocketAddr;

use crate::storage::clock::UnixMillis;

/// One connection's command-visible state.
#[derive(Debug, Clone)]
pub struct ClientState {
    /// Unique, increasing id (CLIENT ID).
    pub id: u64,
    /// CLIENT SETNAME's name; empty = none.
    pub name: Bytes,
    /// Selected DB.
    pub db: usize,
    /// Protocol version: 2 or 3.
    pub resp: u8,
    /// True once AUTH succeeded, or when no password is required.
    pub authenticated: bool,
    /// Peer address.
    pub addr: Option<SocketAddr>,
    /// Local address.
    pub laddr: Option<SocketAddr>,
    /// Socket file descriptor (CLIENT LIST fd=).
    pub fd: i32,
    /// When the connection was accepted.
    pub created: UnixMillis,
    /// When the last command arrived.
    pub last_interaction: UnixMillis,
    /// Name of the last command run (lowercase).
    pub last_cmd: &'static str,
    /// CLIENT SETINFO lib-name.
    pub lib_name: Bytes,
    /// CLIENT SETINFO lib-ver.
    pub lib_ver: Bytes,
    /// Set by QUIT or CLIENT KILL: close once the pending replies are written.
    pub close_after_reply: bool,
    /// CLIENT NO-EVICT / replica / master flags shown by CLIENT LIST (`N` = none).
    pub flags: &'static str,
    /// The queued commands while the client is in MULTI.
    pub multi: Option<super::transaction::Queued>,
    /// True while EXEC runs this client's queued commands (blocking commands do not block).
    pub in_exec: bool,
    /// How many channels, patterns and shard channels the connection listens to (CLIENT LIST's
    /// `sub=`, `psub=`, `ssub=`). The subscriptions themselves live in `server::pubsub`.
    pub subs: SubCounts,
}

/// A connection's subscription counts, as CLIENT LIST shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubCounts {
    /// Channels (SUBSCRIBE).
    pub channels: usize,
    /// Patterns (PSUBSCRIBE).
    pub patterns: usize,
    /// Shard channels (SSUBSCRIBE).
    pub shard_channels: usize,
}

impl SubCounts {
    /// True while the connection listens to anything: Redis's pub/sub mode (flag `P`), in which
    /// a RESP2 connection may run only the pub/sub commands, PING, QUIT and RESET.
    pub fn any(&self) -> bool {
        self.channels + self.patterns + self.shard_channels > 0
    }
}

impl ClientState {
    /// A fresh connection's state.
    pub fn new(
        id: u64,
        fd: i32,
        addr: Option<SocketAddr>,
        laddr: Option<SocketAddr>,
        authenticated: bool,
    ) -> ClientState {
        let now = UnixMillis::now();
        ClientState {
            id,
            name: Bytes::new(),
            db: 0,
            resp: 2,
            authenticated,
            addr,
            laddr,
            fd,
            created: now,
            last_interaction: now,
            last_cmd: "NULL",
            lib_name: Bytes::new(),
            lib_ver: Bytes::new(),
            close_after_reply: false,
            flags: "N",
            multi: None,
            in_exec: false,
            subs: SubCounts::default(),
        }
    }
}

//! Where replication stands: this server's role, its replication ids and offset, and the state
//! of the link to its master, as INFO replication and ROLE report them.
//!
//! Owns: `ReplState`, one per process behind a mutex that every executor and the link thread
//! may take for a few field reads or writes (never across a wait). The applier (see `applier`)
//! changes the role, the ids and the offset; the link thread changes the link fields. Must not:
//! touch sockets, shards or executors.
//!
//! Vocabulary, after Redis's `replication.c`: the *master client* is the live link's command
//! stream; when the link drops it becomes the *cached master* (its id and offset), which the
//! next connection offers in `PSYNC <replid> <offset+1>` so that the master may continue
//! instead of sending everything again.

use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use super::backlog::Backlog;
use super::outputs::{Outputs, Wakes};

/// 40 zeros: the replication id of "no id" (`master_replid2` before any shift).
pub const NO_REPLID: &str = "0000000000000000000000000000000000000000";

/// The master this server follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterAddr {
    /// Host as configured (a name or an address).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

/// The link to the master, as ROLE names its states.
///
/// `Connect -> Connecting -> Handshake -> Transfer (full sync) -> Connected`; `Handshake ->
/// Connected` on a partial resync; any error -> `Connect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Waiting before the next connection attempt.
    Connect,
    /// The TCP connection is being established.
    Connecting,
    /// PING, AUTH, REPLCONF and PSYNC are being exchanged.
    Handshake,
    /// Receiving and loading the master's RDB.
    Transfer,
    /// Following the master's command stream.
    Connected,
}

impl LinkState {
    /// The state's name in ROLE's reply.
    pub fn role_name(self) -> &'static str {
        match self {
            LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Handshake => "handshake",
            LinkState::Transfer => "sync",
            LinkState::Connected => "connected",
        }
    }
}

/// What this replica knows of its master's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MasterClient {
    /// Nothing: the next PSYNC asks for everything (`PSYNC ? -1`).
    None,
    /// The link is up; the applied offset is `ReplState::offset`.
    Live,
    /// The link is down; the next PSYNC offers `replid` and `offset + 1`.
    Cached,
}

/// Progress of the RDB transfer of a full sync (INFO's `master_sync_*` fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer {
    /// Payload size: -1 before the `$` line arrived, 0 for the `$EOF:` form (size unknown).
    pub total: i64,
    /// Payload bytes read so far.
    pub read: u64,
    /// When the last payload bytes arrived.
    pub last_io: Instant,
}

/// Counters of the master side (INFO stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncCounters {
    /// Full resynchronizations served (`sync_full`).
    pub full: u64,
    /// Partial resynchronizations accepted (`sync_partial_ok`).
    pub partial_ok: u64,
    /// Partial resynchronizations refused (`sync_partial_err`).
    pub partial_err: u64,
}

/// The replication state of the process.
#[derive(Debug)]
pub struct ReplState {
    /// The master followed, when this server is a replica.
    pub master: Option<MasterAddr>,
    /// The link's state (meaningful only on a replica).
    pub link: LinkState,
    /// What the replica knows of its master's stream.
    pub client: MasterClient,
    /// `master_replid`: the history this server's dataset belongs to.
    pub replid: String,
    /// `master_replid2`: the previous history, until `second_offset`.
    pub replid2: String,
    /// `second_repl_offset`: the first offset that `replid2` does not cover (-1 = none).
    pub second_offset: i64,
    /// `master_repl_offset`: the offset of the last stream byte applied (on a replica: the
    /// master client's applied offset, `slave_repl_offset`).
    pub offset: i64,
    /// `slave_read_repl_offset`: the offset of the last stream byte received.
    pub read_offset: i64,
    /// When the last byte arrived from the master (INFO `master_last_io_seconds_ago`).
    pub last_io: Option<Instant>,
    /// When the link last went down (INFO `master_link_down_since_seconds`).
    pub down_since: Option<Instant>,
    /// The RDB transfer in progress, if any.
    pub transfer: Option<Transfer>,
    /// The stream kept for replicas of this server; `None` until the first sync or replica.
    pub backlog: Option<Backlog>,
    /// Master-side counters.
    pub counters: SyncCounters,
    /// The DB the stream had selected when the link went down (kept across partial resyncs).
    pub stream_db: usize,
    /// On a master: the DB its own stream last selected; `None` forces a SELECT before the next
    /// write (after a full sync was served, or a promotion).
    pub own_stream_db: Option<usize>,
    /// The stream bytes on their way to each replica.
    pub outputs: Outputs,
}

impl ReplState {
    fn new() -> ReplState {
        ReplState {
            master: None,
            link: LinkState::Connect,
            client: MasterClient::None,
            replid: crate::server::info::master_replid().to_string(),
            replid2: NO_REPLID.to_string(),
            second_offset: -1,
            offset: 0,
            read_offset: 0,
            last_io: None,
            down_since: None,
            transfer: None,
            backlog: None,
            counters: SyncCounters::default(),
            stream_db: 0,
            own_stream_db: None,
            outputs: Outputs::default(),
        }
    }

    /// True when this server follows a master.
    pub fn is_replica(&self) -> bool {
        self.master.is_some()
    }

    /// What the next PSYNC offers: the cached master's id and the first offset missing, or
    /// `("?", -1)` for a full sync.
    pub fn psync_offer(&self) -> (String, i64) {
        match self.client {
            MasterClient::None => ("?".to_string(), -1),
            _ => (self.replid.clone(), self.offset + 1),
        }
    }

    /// Starts a new history (PSYNC2's id shift, on promotion): the current id becomes the
    /// secondary one, valid up to the current offset, and a fresh random id is taken.
    pub fn shift_replid(&mut self) {
        self.replid2 = std::mem::replace(&mut self.replid, random_replid());
        self.second_offset = self.offset + 1;
    }

    /// Adopts the history `replid` at `offset` (after a full sync): no secondary id.
    pub fn adopt(&mut self, replid: String, offset: i64) {
        self.replid = replid;
        self.replid2 = NO_REPLID.to_string();
        self.second_offset = -1;
        self.offset = offset;
        self.read_offset = offset;
    }

    /// Appends stream bytes (applied from the master, or this master's own writes): the offset
    /// advances, the backlog keeps them, and every replica's buffer gets them. Returns the
    /// replicas to wake once the mutex is released.
    pub fn feed(&mut self, bytes: &[u8]) -> Wakes {
        self.offset += bytes.len() as i64;
        if self.read_offset < self.offset {
            self.read_offset = self.offset;
        }
        if let Some(b) = &mut self.backlog {
            b.append(bytes);
        }
        self.outputs.push(bytes)
    }
}

/// 40 random hex characters.
pub fn random_replid() -> String {
    crate::server::shared::Shared::random_run_id()
}

/// The process's replication state, locked for a short read or write.
pub fn state() -> MutexGuard<'static, ReplState> {
    static STATE: OnceLock<Mutex<ReplState>> = OnceLock::new();
    STATE
        .get_or_init(|| Mutex::new(ReplState::new()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> ReplState {
        ReplState {
            replid: "a".repeat(40),
            ..ReplState::new()
        }
    }

    #[test]
    fn psync_offers_the_cached_master_or_asks_for_everything() {
        let mut s = fresh();
        assert_eq!(s.psync_offer(), ("?".to_string(), -1));
        s.client = MasterClient::Cached;
        s.offset = 1132;
        assert_eq!(s.psync_offer(), ("a".repeat(40), 1133));
    }

    #[test]
    fn promotion_shifts_the_id_as_psync2_says() {
        let mut s = fresh();
        s.offset = 1132;
        s.shift_replid();
        assert_eq!(s.replid2, "a".repeat(40));
        assert_eq!(s.second_offset, 1133);
        assert_ne!(s.replid, "a".repeat(40));
        assert_eq!(s.replid.len(), 40);
        s.adopt("b".repeat(40), 7);
        assert_eq!((s.replid2.as_str(), s.second_offset), (NO_REPLID, -1));
        assert_eq!((s.offset, s.read_offset), (7, 7));
    }

    #[test]
    fn feeding_moves_the_offset_and_fills_the_backlog() {
        let mut s = fresh();
        s.adopt("b".repeat(40), 1000);
        s.backlog = Some(Backlog::new(1 << 20, 1000));
        let _ = s.feed(b"*1\r\n$4\r\nping\r\n");
        assert_eq!(s.offset, 1014);
        let b = s.backlog.as_ref().unwrap();
        assert_eq!((b.first_byte_offset(), b.histlen()), (1001, 14));
    }
}

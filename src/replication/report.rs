//! How replication looks from outside: INFO's `# Replication` section and ROLE's reply, field for
//! field as Redis 7.0 writes them (Sentinel and monitoring tools parse both).
//!
//! Owns: `ReplicationFacts`, a copy of the state taken at one moment, and the two renderings.
//! Must not: change anything.

use std::fmt::Write as _;
use std::time::Instant;

use super::state::{state, LinkState, MasterClient, NO_REPLID};
use crate::protocol::reply::Reply;
use crate::server::shared::shared;

/// What a replica reports about its link.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaFacts {
    /// `master_host`.
    pub host: String,
    /// `master_port`.
    pub port: u16,
    /// The link's state.
    pub link: LinkState,
    /// Seconds since the master last sent anything; -1 without a live link.
    pub last_io_secs: i64,
    /// `slave_read_repl_offset`.
    pub read_offset: i64,
    /// `slave_repl_offset`.
    pub applied_offset: i64,
    /// Whether a master client (live) exists, for ROLE's offset.
    pub live: bool,
    /// An RDB transfer in progress: (total, read, seconds since its last bytes).
    pub transfer: Option<(i64, u64, i64)>,
    /// Seconds since the link went down; -1 when it never was up.
    pub down_since_secs: i64,
    /// `replica-priority`.
    pub priority: i64,
    /// `replica-read-only`.
    pub read_only: bool,
    /// `replica-announced`.
    pub announced: bool,
}

/// One replica of this server, as INFO's `slave<n>` line shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaLine {
    /// Its address.
    pub ip: String,
    /// Its listening port (0 if it never said).
    pub port: u16,
    /// `wait_bgsave`, `send_bulk` or `online`.
    pub state: &'static str,
    /// Its last acknowledged offset.
    pub offset: i64,
    /// Seconds since its last ACK.
    pub lag: i64,
}

/// Everything INFO replication and ROLE show, taken at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicationFacts {
    /// Set on a replica.
    pub replica: Option<ReplicaFacts>,
    /// This server's own replicas.
    pub replicas: Vec<ReplicaLine>,
    /// `master_replid`.
    pub replid: String,
    /// `master_replid2`.
    pub replid2: String,
    /// `master_repl_offset`.
    pub offset: i64,
    /// `second_repl_offset`.
    pub second_offset: i64,
    /// The backlog, if one exists: (first byte offset, bytes held).
    pub backlog: Option<(i64, usize)>,
    /// `repl_backlog_size` (the configured size).
    pub backlog_size: u64,
    /// `sync_full`, `sync_partial_ok`, `sync_partial_err` (INFO stats).
    pub sync_counters: (u64, u64, u64),
}

impl Default for ReplicationFacts {
    fn default() -> ReplicationFacts {
        ReplicationFacts {
            replica: None,
            replicas: Vec::new(),
            replid: String::new(),
            replid2: NO_REPLID.to_string(),
            offset: 0,
            second_offset: -1,
            backlog: None,
            backlog_size: 1 << 20,
            sync_counters: (0, 0, 0),
        }
    }
}

fn secs_since(t: Instant) -> i64 {
    t.elapsed().as_secs() as i64
}

/// Copies the replication state and the settings INFO shows.
pub fn facts() -> ReplicationFacts {
    let (priority, read_only, announced, backlog_size) = shared()
        .config
        .read()
        .map(|c| {
            (
                c.int(crate::config::Id::ReplicaPriority),
                c.replica_read_only(),
                c.flag(crate::config::Id::ReplicaAnnounced),
                c.repl_backlog_size(),
            )
        })
        .unwrap_or((100, true, true, 1 << 20));
    let s = state();
    let replica = s.master.as_ref().map(|m| {
        let live = s.client == MasterClient::Live;
        let (read_offset, applied_offset) = match s.client {
            MasterClient::None => (1, 1),
            _ => (s.read_offset, s.offset),
        };
        ReplicaFacts {
            host: m.host.clone(),
            port: m.port,
            link: s.link,
            last_io_secs: match (live, s.last_io) {
                (true, Some(t)) => secs_since(t),
                _ => -1,
            },
            read_offset,
            applied_offset,
            live,
            transfer: s.transfer.map(|t| (t.total, t.read, secs_since(t.last_io))),
            down_since_secs: s.down_since.map_or(-1, secs_since),
            priority,
            read_only,
            announced,
        }
    });
    ReplicationFacts {
        replica,
        replicas: super::serve::replica_lines(),
        replid: s.replid.clone(),
        replid2: s.replid2.clone(),
        offset: s.offset,
        second_offset: s.second_offset,
        backlog: s
            .backlog
            .as_ref()
            .map(|b| (b.first_byte_offset(), b.histlen())),
        backlog_size,
        sync_counters: (
            s.counters.full,
            s.counters.partial_ok,
            s.counters.partial_err,
        ),
    }
}

fn field(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = write!(out, "{name}:{value}\r\n");
}

/// The `# Replication` section.
pub fn section(f: &ReplicationFacts) -> String {
    let mut o = String::from("# Replication\r\n");
    match &f.replica {
        None => field(&mut o, "role", "master"),
        Some(r) => {
            field(&mut o, "role", "slave");
            field(&mut o, "master_host", &r.host);
            field(&mut o, "master_port", r.port);
            let up = r.link == LinkState::Connected;
            field(&mut o, "master_link_status", if up { "up" } else { "down" });
            field(&mut o, "master_last_io_seconds_ago", r.last_io_secs);
            field(
                &mut o,
                "master_sync_in_progress",
                u8::from(r.transfer.is_some()),
            );
            field(&mut o, "slave_read_repl_offset", r.read_offset);
            field(&mut o, "slave_repl_offset", r.applied_offset);
            if let Some((total, read, last_io)) = r.transfer {
                let perc = if total > 0 {
                    read as f64 * 100.0 / total as f64
                } else {
                    0.0
                };
                field(&mut o, "master_sync_total_bytes", total);
                field(&mut o, "master_sync_read_bytes", read);
                field(&mut o, "master_sync_left_bytes", total - read as i64);
                field(&mut o, "master_sync_perc", format!("{perc:.2}"));
                field(&mut o, "master_sync_last_io_seconds_ago", last_io);
            }
            if !up {
                field(&mut o, "master_link_down_since_seconds", r.down_since_secs);
            }
            field(&mut o, "slave_priority", r.priority);
            field(&mut o, "slave_read_only", u8::from(r.read_only));
            field(&mut o, "replica_announced", u8::from(r.announced));
        }
    }
    field(&mut o, "connected_slaves", f.replicas.len());
    for (i, r) in f.replicas.iter().enumerate() {
        let _ = write!(
            o,
            "slave{i}:ip={},port={},state={},offset={},lag={}\r\n",
            r.ip, r.port, r.state, r.offset, r.lag
        );
    }
    field(&mut o, "master_failover_state", "no-failover");
    field(&mut o, "master_replid", &f.replid);
    field(&mut o, "master_replid2", &f.replid2);
    field(&mut o, "master_repl_offset", f.offset);
    field(&mut o, "second_repl_offset", f.second_offset);
    let (first, histlen) = f.backlog.unwrap_or((0, 0));
    field(&mut o, "repl_backlog_active", u8::from(f.backlog.is_some()));
    field(&mut o, "repl_backlog_size", f.backlog_size);
    field(&mut o, "repl_backlog_first_byte_offset", first);
    field(&mut o, "repl_backlog_histlen", histlen);
    o
}

/// ROLE's reply: `master, offset, [[ip, port, offset], …]` (only online replicas, port and offset
/// as bulk strings), or `slave, host, port, state, offset` (offset -1 without a live link).
pub fn role_reply(f: &ReplicationFacts) -> Reply {
    match &f.replica {
        None => Reply::Array(vec![
            Reply::bulk("master"),
            Reply::Int(f.offset),
            Reply::Array(
                f.replicas
                    .iter()
                    .filter(|r| r.state == "online")
                    .map(|r| {
                        Reply::Array(vec![
                            Reply::bulk(r.ip.clone()),
                            Reply::bulk_int(r.port as i64),
                            Reply::bulk_int(r.offset),
                        ])
                    })
                    .collect(),
            ),
        ]),
        Some(r) => Reply::Array(vec![
            Reply::bulk("slave"),
            Reply::bulk(r.host.clone()),
            Reply::Int(r.port as i64),
            Reply::bulk(r.link.role_name()),
            Reply::Int(if r.live { r.applied_offset } else { -1 }),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(section: &str) -> Vec<&str> {
        section
            .split("\r\n")
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(|l| l.split(':').next().unwrap())
            .collect()
    }

    fn replica(link: LinkState) -> ReplicaFacts {
        ReplicaFacts {
            host: "127.0.0.1".into(),
            port: 17001,
            link,
            last_io_secs: 2,
            read_offset: 64,
            applied_offset: 64,
            live: link == LinkState::Connected,
            transfer: None,
            down_since_secs: -1,
            priority: 100,
            read_only: true,
            announced: true,
        }
    }

    #[test]
    fn a_master_shows_redis_7_0_fields() {
        let f = ReplicationFacts {
            replid: "d".repeat(40),
            ..ReplicationFacts::default()
        };
        assert_eq!(
            names(&section(&f)),
            [
                "role",
                "connected_slaves",
                "master_failover_state",
                "master_replid",
                "master_replid2",
                "master_repl_offset",
                "second_repl_offset",
                "repl_backlog_active",
                "repl_backlog_size",
                "repl_backlog_first_byte_offset",
                "repl_backlog_histlen"
            ]
        );
    }

    #[test]
    fn a_connected_replica_shows_redis_7_0_fields() {
        let f = ReplicationFacts {
            replica: Some(replica(LinkState::Connected)),
            replid: "d".repeat(40),
            offset: 64,
            backlog: Some((1, 64)),
            ..ReplicationFacts::default()
        };
        let text = section(&f);
        assert_eq!(
            names(&text),
            [
                "role",
                "master_host",
                "master_port",
                "master_link_status",
                "master_last_io_seconds_ago",
                "master_sync_in_progress",
                "slave_read_repl_offset",
                "slave_repl_offset",
                "slave_priority",
                "slave_read_only",
                "replica_announced",
                "connected_slaves",
                "master_failover_state",
                "master_replid",
                "master_replid2",
                "master_repl_offset",
                "second_repl_offset",
                "repl_backlog_active",
                "repl_backlog_size",
                "repl_backlog_first_byte_offset",
                "repl_backlog_histlen"
            ]
        );
        assert!(text.contains("role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:17001\r\n"));
        assert!(text.contains("master_link_status:up\r\n"));
        assert!(text.contains("repl_backlog_active:1\r\n"));
    }

    #[test]
    fn a_replica_whose_link_is_down_says_since_when() {
        let mut r = replica(LinkState::Connect);
        r.transfer = Some((1000, 250, 0));
        let text = section(&ReplicationFacts {
            replica: Some(r),
            ..ReplicationFacts::default()
        });
        assert!(text.contains("master_link_status:down\r\n"));
        assert!(text.contains("master_sync_in_progress:1\r\n"));
        assert!(text.contains("master_sync_perc:25.00\r\n"));
        assert!(text.contains("master_link_down_since_seconds:-1\r\n"));
    }

    #[test]
    fn role_replies_match_redis_shapes() {
        let f = ReplicationFacts {
            replica: Some(replica(LinkState::Handshake)),
            ..ReplicationFacts::default()
        };
        assert_eq!(
            role_reply(&f),
            Reply::Array(vec![
                Reply::bulk("slave"),
                Reply::bulk("127.0.0.1"),
                Reply::Int(17001),
                Reply::bulk("handshake"),
                Reply::Int(-1),
            ])
        );
        let m = ReplicationFacts {
            offset: 5,
            replicas: vec![ReplicaLine {
                ip: "127.0.0.1".into(),
                port: 17002,
                state: "online",
                offset: 5,
                lag: 0,
            }],
            ..ReplicationFacts::default()
        };
        assert_eq!(
            role_reply(&m),
            Reply::Array(vec![
                Reply::bulk("master"),
                Reply::Int(5),
                Reply::Array(vec![Reply::Array(vec![
                    Reply::bulk("127.0.0.1"),
                    Reply::bulk_int(17002),
                    Reply::bulk_int(5),
                ])]),
            ])
        );
    }
}

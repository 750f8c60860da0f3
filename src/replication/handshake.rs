//! The replica's side of the handshake, as a stock Redis 7 replica performs it.
//!
//! Owns: the exchange from the first PING to the master's answer to PSYNC. PING goes alone;
//! then AUTH (when `masterauth` is set), `REPLCONF listening-port`, `REPLCONF ip-address` (when
//! `replica-announce-ip` is set) and `REPLCONF capa eof capa psync2` go in one write, and their
//! replies are read in order: an error to AUTH ends the attempt, errors to REPLCONF are logged
//! and ignored (old masters). Then PSYNC offers the cached master, and the answer says full or
//! partial resync. Must not: read the RDB or the stream.

use super::link::LinkError;
use super::wire::{command, MasterSocket};

/// What the handshake sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeParams {
    /// `masteruser`, if set.
    pub user: Option<String>,
    /// `masterauth`, if set.
    pub password: Option<String>,
    /// The port this server says it listens on.
    pub listening_port: u16,
    /// `replica-announce-ip`, if set.
    pub announce_ip: Option<String>,
    /// PSYNC's arguments: the cached master's id and first missing offset, or `?` and -1.
    pub offer: (String, i64),
}

/// The master's answer to PSYNC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PsyncReply {
    /// `+FULLRESYNC <replid> <offset>`: an RDB follows.
    FullResync {
        /// The master's replication id.
        replid: String,
        /// The master's offset at the snapshot.
        offset: i64,
    },
    /// `+CONTINUE [<replid>]`: the stream resumes at the offered offset.
    Continue {
        /// The master's id, when it sent one.
        replid: Option<String>,
    },
}

fn text(line: &[u8]) -> String {
    String::from_utf8_lossy(line).into_owned()
}

/// Runs the handshake on a connected socket.
pub fn handshake(sock: &mut MasterSocket, p: &HandshakeParams) -> Result<PsyncReply, LinkError> {
    sock.send(&command(&[b"PING"]))
        .map_err(|e| LinkError::io("sending PING", e))?;
    let pong = sock
        .read_line()
        .map_err(|e| LinkError::io("reading the reply to PING", e))?;
    if pong.first() == Some(&b'-')
        && !pong.starts_with(b"-NOAUTH")
        && !pong.starts_with(b"-NOPERM")
        && !pong.starts_with(b"-ERR operation not permitted")
    {
        return Err(LinkError::new(format!(
            "Error reply to PING from master: '{}'",
            text(&pong)
        )));
    }
    tracing::info!("Master replied to PING, replication can continue...");

    let mut batch = Vec::new();
    let auth = p.password.is_some();
    if let Some(pass) = &p.password {
        match &p.user {
            Some(user) => batch.extend(command(&[b"AUTH", user.as_bytes(), pass.as_bytes()])),
            None => batch.extend(command(&[b"AUTH", pass.as_bytes()])),
        }
    }
    let port = p.listening_port.to_string();
    batch.extend(command(&[b"REPLCONF", b"listening-port", port.as_bytes()]));
    if let Some(ip) = &p.announce_ip {
        batch.extend(command(&[b"REPLCONF", b"ip-address", ip.as_bytes()]));
    }
    batch.extend(command(&[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"]));
    sock.send(&batch)
        .map_err(|e| LinkError::io("sending the handshake", e))?;

    if auth {
        let r = sock
            .read_line()
            .map_err(|e| LinkError::io("reading the reply to AUTH", e))?;
        if r.first() == Some(&b'-') {
            return Err(LinkError::new(format!(
                "Unable to AUTH to MASTER: {}",
                text(&r)
            )));
        }
    }
    let r = sock
        .read_line()
        .map_err(|e| LinkError::io("reading the reply to REPLCONF listening-port", e))?;
    if r.first() == Some(&b'-') {
        tracing::info!(
            "(Non critical) Master does not understand REPLCONF listening-port: {}",
            text(&r)
        );
    }
    if p.announce_ip.is_some() {
        let r = sock
            .read_line()
            .map_err(|e| LinkError::io("reading the reply to REPLCONF ip-address", e))?;
        if r.first() == Some(&b'-') {
            tracing::info!(
                "(Non critical) Master does not understand REPLCONF ip-address: {}",
                text(&r)
            );
        }
    }
    let r = sock
        .read_line()
        .map_err(|e| LinkError::io("reading the reply to REPLCONF capa", e))?;
    if r.first() == Some(&b'-') {
        tracing::info!(
            "(Non critical) Master does not understand REPLCONF capa: {}",
            text(&r)
        );
    }

    let (id, offset) = &p.offer;
    if id == "?" {
        tracing::info!("Partial resynchronization not possible (no cached master)");
    } else {
        tracing::info!("Trying a partial resynchronization (request {id}:{offset}).");
    }
    let off = offset.to_string();
    sock.send(&command(&[b"PSYNC", id.as_bytes(), off.as_bytes()]))
        .map_err(|e| LinkError::io("sending PSYNC", e))?;
    let reply = sock
        .read_reply_line()
        .map_err(|e| LinkError::io("reading the reply to PSYNC", e))?;
    parse_psync_reply(&reply)
}

/// Reads the master's answer to PSYNC (keepalive newlines already skipped).
pub fn parse_psync_reply(line: &[u8]) -> Result<PsyncReply, LinkError> {
    let words: Vec<&[u8]> = line
        .split(|&b| b == b' ')
        .filter(|w| !w.is_empty())
        .collect();
    match words.as_slice() {
        [b"+FULLRESYNC", id, off] => {
            let replid = valid_replid(id).ok_or_else(|| {
                LinkError::new(format!(
                    "Master replied with wrong +FULLRESYNC syntax: '{}'",
                    text(line)
                ))
            })?;
            let offset = std::str::from_utf8(off)
                .ok()
                .and_then(|o| o.parse::<i64>().ok())
                .filter(|&o| o >= 0)
                .ok_or_else(|| {
                    LinkError::new(format!(
                        "Master replied with wrong +FULLRESYNC syntax: '{}'",
                        text(line)
                    ))
                })?;
            Ok(PsyncReply::FullResync { replid, offset })
        }
        [b"+CONTINUE"] => Ok(PsyncReply::Continue { replid: None }),
        [b"+CONTINUE", id] => match valid_replid(id) {
            Some(replid) => Ok(PsyncReply::Continue {
                replid: Some(replid),
            }),
            None => Err(LinkError::new(format!(
                "Master replied with a wrong replication id to +CONTINUE: '{}'",
                text(line)
            ))),
        },
        _ if line.starts_with(b"-NOMASTERLINK") || line.starts_with(b"-LOADING") => {
            Err(LinkError::new(format!(
                "Master is currently unable to PSYNC but should be in the future: {}",
                text(line)
            )))
        }
        _ if line.first() == Some(&b'-') => Err(LinkError::new(format!(
            "Unexpected reply to PSYNC from master: {} (the legacy SYNC is not supported)",
            text(line)
        ))),
        _ => Err(LinkError::new(format!(
            "Unexpected reply to PSYNC from master: '{}'",
            text(line)
        ))),
    }
}

/// `id` when it is a replication id: exactly 40 characters, all hex digits.
fn valid_replid(id: &[u8]) -> Option<String> {
    (id.len() == 40 && id.iter().all(u8::is_ascii_hexdigit)).then(|| text(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "a3ee0f3ac7d6cbac42ee65e6fd4b4fcbd7faf3b4";

    #[test]
    fn fullresync_and_continue_are_read() {
        assert_eq!(
            parse_psync_reply(format!("+FULLRESYNC {ID} 1000").as_bytes()).unwrap(),
            PsyncReply::FullResync {
                replid: ID.into(),
                offset: 1000
            }
        );
        assert_eq!(
            parse_psync_reply(b"+CONTINUE").unwrap(),
            PsyncReply::Continue { replid: None }
        );
        assert_eq!(
            parse_psync_reply(format!("+CONTINUE {ID}").as_bytes()).unwrap(),
            PsyncReply::Continue {
                replid: Some(ID.into())
            }
        );
    }

    #[test]
    fn anything_else_is_an_error_with_the_reply_in_it() {
        for bad in [
            "+FULLRESYNC short 1000".to_string(),
            format!("+FULLRESYNC {ID} -5"),
            format!("+FULLRESYNC {ID} x"),
            format!("+FULLRESYNC {ID}"),
            "+CONTINUE nothex".to_string(),
            "-NOMASTERLINK Can't SYNC while not connected with my master".to_string(),
            "-ERR unknown command 'PSYNC'".to_string(),
            "garbage".to_string(),
        ] {
            let e = parse_psync_reply(bad.as_bytes()).unwrap_err();
            let shown = bad.split(' ').next().unwrap().to_string();
            assert!(e.to_string().contains(&shown), "{bad}: {e}");
        }
    }
}

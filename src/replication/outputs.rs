//! The bytes on their way to each replica of this server.
//!
//! Owns: `Outputs`, one pending buffer per replica connection, kept inside the replication
//! state's mutex so that appending to the stream (the backlog and every replica's buffer) is
//! one critical section, whichever shard appends: every replica receives the stream in the
//! order of its offsets. A buffer is moved to its connection's output by a message to the
//! executor the connection lives on; while such a message is on its way, appends only grow the
//! buffer, so a burst of writes costs one message per replica, not one per write.
//!
//! A replica's buffer opens *collecting* (its first bytes, the `+FULLRESYNC` line and the
//! dataset, are not ready yet: the stream from its snapshot's offset accumulates behind them)
//! and *starts* once the preamble is put in front, from then on woken as bytes arrive.
//!
//! Must not: touch a connection while the state mutex is held (the wake-up runs afterwards, on
//! the connection's own executor).

use smallvec::SmallVec;

use crate::server::connection;
use crate::server::runtime::deliver_later;
use crate::server::shards::ShardId;

/// One replica's pending bytes.
#[derive(Debug)]
struct Output {
    client_id: u64,
    shard: ShardId,
    pending: Vec<u8>,
    /// The preamble is in place: bytes may go out.
    started: bool,
    /// A wake-up message is on its way to `shard`.
    wake_posted: bool,
    /// Bytes of the dataset sent in the preamble, not counted against the output limit (Redis
    /// sends the RDB from a file, outside the replica's output buffer).
    allowance: usize,
    /// `client-output-buffer-limit replica`'s hard limit when the buffer opened (0 = none): a
    /// replica that lets more pile up here (one that never acknowledges its dataset, say) is
    /// dropped.
    limit: usize,
}

/// Every replica's pending bytes.
#[derive(Debug, Default)]
pub struct Outputs {
    list: Vec<Output>,
}

/// Replica connections to wake once the state mutex is released, and ones to close because
/// their buffer outgrew the limit: (executor, client id).
#[must_use = "post the wake-ups once the state mutex is released"]
#[derive(Debug, Default)]
pub struct Wakes(SmallVec<[(ShardId, u64); 2]>, SmallVec<[(ShardId, u64); 1]>);

impl Wakes {
    /// Adds `other`'s replicas to wake and to close.
    pub fn merge(&mut self, other: Wakes) {
        self.0.extend(other.0);
        self.1.extend(other.1);
    }

    /// Sends each replica connection the message that moves its pending bytes to its output,
    /// or closes it. Call with the state mutex released.
    pub fn post(self) {
        for (shard, client_id) in self.0 {
            deliver_later(shard, move || flush_to_connection(client_id));
        }
        for (shard, client_id) in self.1 {
            tracing::warn!(
                client = client_id,
                "Client scheduled to be closed ASAP for overcoming of output buffer limits."
            );
            deliver_later(shard, move || {
                connection::kill(client_id);
            });
        }
    }
}

impl Outputs {
    /// Opens a collecting buffer for replica `client_id` on executor `shard` (replacing any
    /// previous one): stream bytes appended from now on wait behind its preamble. `limit` is
    /// the most bytes it may hold beyond the dataset (0 = no limit; see [`hard_limit`]).
    pub fn open(&mut self, client_id: u64, shard: ShardId, limit: usize) {
        self.remove(client_id);
        self.list.push(Output {
            client_id,
            shard,
            pending: Vec::new(),
            started: false,
            wake_posted: false,
            allowance: 0,
            limit,
        });
    }

    /// Puts `preamble` in front of what `client_id` collected and starts sending. `allowance`
    /// bytes of it do not count against the output limit. Nothing to wake when the replica is
    /// gone.
    pub fn start(&mut self, client_id: u64, mut preamble: Vec<u8>, allowance: usize) -> Wakes {
        let mut wakes = Wakes::default();
        let Some(o) = self.list.iter_mut().find(|o| o.client_id == client_id) else {
            return wakes;
        };
        preamble.extend_from_slice(&o.pending);
        o.pending = preamble;
        o.started = true;
        o.allowance = allowance;
        if !o.wake_posted {
            o.wake_posted = true;
            wakes.0.push((o.shard, o.client_id));
        }
        wakes
    }

    /// Appends stream bytes to every replica's buffer; returns the replicas to wake (and the
    /// ones to close, forgotten here, whose buffer outgrew the limit).
    pub fn push(&mut self, bytes: &[u8]) -> Wakes {
        let mut wakes = Wakes::default();
        for o in &mut self.list {
            o.pending.extend_from_slice(bytes);
            if o.limit > 0 && o.pending.len() > o.limit + o.allowance {
                wakes.1.push((o.shard, o.client_id));
                continue;
            }
            if o.started && !o.wake_posted {
                o.wake_posted = true;
                wakes.0.push((o.shard, o.client_id));
            }
        }
        if !wakes.1.is_empty() {
            let gone = &wakes.1;
            self.list
                .retain(|o| !gone.iter().any(|&(_, id)| id == o.client_id));
        }
        wakes
    }

    /// Takes `client_id`'s pending bytes (for its wake-up message) and its allowance.
    fn take(&mut self, client_id: u64) -> Option<(Vec<u8>, usize)> {
        let o = self.list.iter_mut().find(|o| o.client_id == client_id)?;
        o.wake_posted = false;
        if !o.started {
            return None;
        }
        Some((std::mem::take(&mut o.pending), o.allowance))
    }

    /// Forgets replica `client_id`.
    pub fn remove(&mut self, client_id: u64) {
        self.list.retain(|o| o.client_id != client_id);
    }

    /// Forgets every replica.
    pub fn clear(&mut self) {
        self.list.clear();
    }

    /// Number of replicas with a buffer.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True when no replica has a buffer.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// Moves replica `client_id`'s pending bytes to its connection's output and schedules the
/// send; closes the connection when its output grew past `client-output-buffer-limit replica`'s
/// hard limit (the replica is too slow; it reconnects and asks again). Runs on the executor
/// the connection lives on.
fn flush_to_connection(client_id: u64) {
    let Some((bytes, allowance)) = super::state::state().outputs.take(client_id) else {
        return;
    };
    if bytes.is_empty() {
        return;
    }
    let Some(conn) = connection::find(client_id) else {
        return;
    };
    let mut c = conn.borrow_mut();
    if c.client.close_after_reply {
        return;
    }
    let limit = hard_limit();
    if limit > 0 && (c.out.len() + bytes.len()) as u64 > limit + allowance as u64 {
        tracing::warn!(
            client = client_id,
            "Client scheduled to be closed ASAP for overcoming of output buffer limits."
        );
        drop(c);
        connection::kill(client_id);
        return;
    }
    if c.out.is_empty() {
        c.out = bytes;
    } else {
        c.out.extend_from_slice(&bytes);
    }
    connection::schedule_flush(c.token);
}

/// `client-output-buffer-limit replica`'s hard limit in bytes (0 = none). Reads the
/// configuration: never call with the state mutex held.
pub fn hard_limit() -> u64 {
    crate::server::shared::shared()
        .config
        .read()
        .map(|c| c.client_output_buffer_limits()[1].hard_bytes)
        .unwrap_or(256 << 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_collecting_buffer_keeps_the_stream_behind_its_preamble() {
        let mut o = Outputs::default();
        o.open(7, 1, 0);
        assert!(o.push(b"abc").0.is_empty(), "not started: nobody to wake");
        let w = o.start(7, b"PRE".to_vec(), 3);
        assert_eq!(w.0.as_slice(), &[(1, 7)]);
        assert!(
            o.push(b"def").0.is_empty(),
            "a wake-up is already on its way"
        );
        assert_eq!(o.take(7), Some((b"PREabcdef".to_vec(), 3)));
        assert_eq!(o.push(b"g").0.as_slice(), &[(1, 7)]);
        o.remove(7);
        assert!(o.is_empty());
    }

    #[test]
    fn a_buffer_past_the_limit_closes_its_replica() {
        let mut o = Outputs::default();
        o.open(7, 1, 4);
        o.open(8, 0, 100);
        let w = o.push(b"abc");
        assert!(w.1.is_empty());
        let w = o.push(b"de");
        assert_eq!(w.1.as_slice(), &[(1, 7)]);
        assert_eq!(o.len(), 1, "the other replica stays");
    }
}

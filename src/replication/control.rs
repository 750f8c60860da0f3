//! Changes of role asked by a client: REPLICAOF host port and REPLICAOF NO ONE.
//!
//! Owns: the entry points the commands call. A change goes through the applier's inbox, after
//! the stream commands already received, and the caller waits until the applier made it; the
//! link thread of the previous master stops at once (its generation is over).

use super::inbox::{inbox, Answer, Control};
use super::state::{state, MasterAddr};
use crate::protocol::error::CmdError;
use crate::server::shards::ShardId;

/// What REPLICAOF host port did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followed {
    /// Now following the new master.
    Started,
    /// Already following that master: nothing changed.
    AlreadyConnected,
}

/// Follows `host:port` (REPLICAOF host port). `shard` is the caller's executor.
pub async fn follow(host: String, port: u16, shard: ShardId) -> Result<Followed, CmdError> {
    let same = state()
        .master
        .as_ref()
        .is_some_and(|m| m.host.eq_ignore_ascii_case(&host) && m.port == port);
    if same {
        tracing::info!(
            "REPLICAOF would result into synchronization with the master we are already \
             connected with. No operation performed."
        );
        return Ok(Followed::AlreadyConnected);
    }
    run(Control::Follow(MasterAddr { host, port }), shard).await?;
    Ok(Followed::Started)
}

/// Stops following (REPLICAOF NO ONE): the dataset stays, the replication id shifts.
pub async fn promote(shard: ShardId) -> Result<(), CmdError> {
    run(Control::Promote, shard).await
}

async fn run(control: Control, shard: ShardId) -> Result<(), CmdError> {
    let (tx, rx) = futures_channel::oneshot::channel();
    inbox().push_control(control, Answer { shard, tx });
    rx.await
        .unwrap_or_else(|_| Err(CmdError::custom("ERR replication is not running")))
}

//! Closing clients idle for longer than `timeout` seconds.
//!
//! Owns: the per-shard task that, once a second, closes this executor's connections whose last
//! command is older than `timeout` (0 = never), as Redis's clientsCron does.

use std::time::Duration;

use super::connection::{connections, kill};
use super::shared::shared;
use crate::storage::clock::UnixMillis;

/// Runs the idle-client check forever.
pub async fn run() {
    loop {
        crate::server::timers::sleep(Duration::from_secs(1)).await;
        let timeout_ms = shared()
            .config
            .read()
            .map(|c| c.timeout_secs())
            .unwrap_or(0)
            * 1000;
        if timeout_ms == 0 {
            continue;
        }
        let now = UnixMillis::now();
        let idle: Vec<u64> = connections()
            .iter()
            .filter_map(|c| {
                let c = c.borrow();
                let idle = now.0.saturating_sub(c.client.last_interaction.0) > timeout_ms;
                (idle && !c.busy).then_some(c.client.id)
            })
            .collect();
        for id in idle {
            tracing::debug!(client = id, "closing idle client");
            kill(id);
        }
    }
}

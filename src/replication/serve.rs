//! The master side: this server's own replicas.
//!
//! Owns: the list of replicas attached to this server, as INFO and ROLE show them.

use super::report::ReplicaLine;

/// This server's replicas, in attach order.
pub fn replica_lines() -> Vec<ReplicaLine> {
    Vec::new()
}

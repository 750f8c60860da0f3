//! Server counters of one shard, summed by INFO.
//!
//! Owns: connection and command counters of one executor. Runs on: that executor only.

/// Counters of one shard.
#[derive(Debug, Default, Clone, Copy)]
pub struct ShardStats {
    /// Connections accepted.
    pub connections_received: u64,
    /// Connections open now.
    pub connected_clients: u64,
    /// Connections refused (maxclients).
    pub rejected_connections: u64,
    /// Commands run.
    pub commands_processed: u64,
    /// Bytes read from clients.
    pub net_input_bytes: u64,
    /// Bytes written to clients.
    pub net_output_bytes: u64,
    /// Error replies sent.
    pub error_replies: u64,
}

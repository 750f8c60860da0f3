//! Server configuration: the redis.conf parser, the directive table, CONFIG GET/SET/REWRITE.

pub mod live;

/// Interim configuration (replaced by the directive table).
#[derive(Debug, Clone)]
pub struct Config {
    /// TCP port.
    pub port: u16,
    /// Addresses to listen on.
    pub bind: Vec<String>,
    /// Shard executors.
    pub threads: usize,
    /// Databases.
    pub databases: usize,
    /// Background task frequency.
    pub hz: u32,
    /// Maximum clients.
    pub maxclients: u64,
    /// Password.
    pub requirepass: Option<String>,
    /// Query buffer limit.
    pub client_query_buffer_limit: u64,
    /// Largest bulk.
    pub proto_max_bulk_len: u64,
    /// TCP keepalive seconds.
    pub tcp_keepalive: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            port: 6379,
            bind: vec!["127.0.0.1".into()],
            threads: 0,
            databases: 16,
            hz: 10,
            maxclients: 10000,
            requirepass: None,
            client_query_buffer_limit: 1 << 30,
            proto_max_bulk_len: 512 << 20,
            tcp_keepalive: 300,
        }
    }
}

//! The settings that the connection and server command families read, taken from the live
//! configuration in the types those commands want.
//!
//! Owns: nothing but the translation. Each function takes the configuration's read lock for the
//! length of one copy, so a command never holds it.

use std::net::SocketAddr;

use crate::config::{Config, Id};
use crate::server::shared::shared;

/// The default user's password (`requirepass`), if one is set.
pub fn requirepass() -> Option<String> {
    read(|c| c.requirepass().map(str::to_string))
}

/// `hz`: how often background tasks run per second.
pub fn hz() -> u32 {
    read(Config::hz)
}

/// `maxclients`.
pub fn maxclients() -> u64 {
    read(Config::maxclients)
}

/// `maxmemory` in bytes; 0 = no limit.
pub fn maxmemory() -> u64 {
    read(Config::maxmemory)
}

/// `maxmemory-policy`, as CONFIG GET spells it.
pub fn maxmemory_policy() -> &'static str {
    read(Config::maxmemory_policy)
}

/// `rdbcompression`: whether RDB files and DUMP payloads compress long strings with LZF.
pub fn rdbcompression() -> bool {
    read(Config::rdbcompression)
}

/// True when the eviction policy tracks access frequency (`allkeys-lfu`, `volatile-lfu`).
pub fn lfu_policy() -> bool {
    maxmemory_policy().ends_with("-lfu")
}

/// True when the eviction policy needs per-key access data (any LRU or LFU policy), which
/// keeps Redis from sharing integer values between keys.
pub fn lfu_or_lru_policy() -> bool {
    let p = maxmemory_policy();
    p.ends_with("-lfu") || p.ends_with("-lru")
}

/// The absolute path of the configuration file, or "" when the server started without one.
pub fn config_file() -> String {
    read(|c| {
        c.config_file()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    })
}

/// Whether a client at `peer` may run DEBUG (`enable-debug-command`: `yes`, or `local` for a
/// loopback peer).
pub fn debug_allowed(peer: Option<SocketAddr>) -> bool {
    match read(|c| c.choice(Id::EnableDebugCommand)) {
        "yes" => true,
        "local" => is_local(peer),
        _ => false,
    }
}

/// True when `peer` is on the loopback interface (IPv4, IPv6, or IPv4 mapped into IPv6).
pub fn is_local(peer: Option<SocketAddr>) -> bool {
    peer.is_some_and(|a| match a.ip() {
        std::net::IpAddr::V4(ip) => ip.is_loopback(),
        std::net::IpAddr::V6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    })
}

fn read<R>(f: impl FnOnce(&Config) -> R) -> R {
    let guard = shared()
        .config
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    f(&guard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_peers_are_local() {
        let p = |s: &str| Some(s.parse::<SocketAddr>().unwrap());
        assert!(is_local(p("127.0.0.1:5000")));
        assert!(is_local(p("[::1]:5000")));
        assert!(is_local(p("[::ffff:127.0.0.1]:5000")));
        assert!(!is_local(p("10.0.0.1:5000")));
        assert!(!is_local(None));
    }
}

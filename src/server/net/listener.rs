//! Listening sockets.
//!
//! Owns: creating one listening socket per `bind` address. Every executor keeps one accept
//! armed on each of them in its own ring; the kernel wakes one waiting accept per incoming
//! connection, in turn, so accepting stays spread over the executors without one hot core.
//! Why not SO_REUSEPORT (a socket per executor): two servers of the same user could then bind
//! the same port and silently share its clients; a single socket makes a taken port fail at
//! start-up, as it does for Redis.

use socket2::{Domain, Protocol, Socket, Type};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::OwnedFd;

/// Opens a listening socket per address of `bind` on `port`. An address written with a leading
/// `-` (as in `bind 127.0.0.1 -::1`) is optional: failing to bind it is not an error. `*` means
/// every IPv4 address, `::*` every IPv6 address.
pub fn listen_all(bind: &[String], port: u16) -> Result<Vec<OwnedFd>, String> {
    let mut out = Vec::new();
    for spec in bind {
        let (optional, addr) = match spec.strip_prefix('-') {
            Some(a) => (true, a),
            None => (false, spec.as_str()),
        };
        let ip: IpAddr = match addr {
            "*" => IpAddr::from([0, 0, 0, 0]),
            "::*" => IpAddr::from([0u16; 8]),
            a => match a.parse() {
                Ok(ip) => ip,
                Err(_) => return Err(format!("invalid bind address '{a}'")),
            },
        };
        match listen_one(SocketAddr::new(ip, port)) {
            Ok(fd) => out.push(fd),
            Err(e) if optional => {
                tracing::debug!(address = %addr, error = %e, "optional bind address skipped")
            }
            Err(e) => {
                return Err(format!(
                    "could not create server TCP listening socket {addr}:{port}: {e}"
                ))
            }
        }
    }
    if out.is_empty() {
        return Err("no listening socket could be created".into());
    }
    Ok(out)
}

fn listen_one(addr: SocketAddr) -> std::io::Result<OwnedFd> {
    let sock = Socket::new(
        Domain::for_address(addr),
        Type::STREAM.nonblocking(),
        Some(Protocol::TCP),
    )?;
    if addr.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    sock.set_reuse_address(true)?;
    sock.bind(&addr.into())?;
    sock.listen(511)?;
    Ok(sock.into())
}

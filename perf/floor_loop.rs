//! The floor loop: Tessera's network path with nothing but a hash map behind it, for perf/floor.
//!
//! Owns: one thread running Tessera's own network ring and provided buffers the way the server's
//! driver does (multishot receive, one gathered send per connection per turn, one enter per
//! turn, sleeping inside the ring, paced as the driver paces its sleeps), with a hash map behind
//! a minimal RESP reader that knows GET and SET. No executor, no dispatch, no keyspace, no
//! statistics: what this costs per request is the kernel's share plus a few dozen instructions
//! and the map's cache misses. perf/floor measures it beside Redis and Tessera: how much of
//! Redis's cost the network path alone saves, and what Tessera's own work adds or saves.
//!
//! Takes redis-server style options and ignores all but `--port`.

use std::net::TcpListener;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use ahash::AHashMap;
use io_uring::cqueue;
use smallvec::SmallVec;
use tessera::protocol::parser::length_line;
use tessera::server::net::buffers::ProvidedBuffers;
use tessera::server::net::driver::set_nodelay;
use tessera::server::net::pace::Pace;
use tessera::server::net::ring::{NetRing, Op};

const GROUP: u16 = 1;

#[derive(Default)]
struct Conn {
    fd: RawFd,
    input: Vec<u8>,
    output: Vec<u8>,
    /// Bytes handed to the kernel; `output` gathers the next send meanwhile.
    sending: Vec<u8>,
    send_in_flight: bool,
    /// The millisecond of the last receive (see `Pace`).
    seen_ms: u64,
    /// The peer is gone: close once no send is in flight.
    closing: bool,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let port = args
        .iter()
        .position(|a| a == "--port")
        .and_then(|i| args.get(i + 1))
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or(6379);
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the port");
    let mut ring = NetRing::new(1024).expect("create the ring");
    let mut bufs = ProvidedBuffers::register(&ring.ring, GROUP, 512, 16 * 1024).expect("buffers");
    ring.accept(listener.as_raw_fd(), 0);
    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut map: AHashMap<Vec<u8>, Vec<u8>> = AHashMap::new();
    let mut completions = Vec::new();
    let mut to_flush = Vec::new();
    let mut pace = Pace::new(ring.can_gather());
    let epoch = std::time::Instant::now();
    loop {
        pace.tick(epoch.elapsed().as_millis() as u64);
        completions.clear();
        completions.extend(
            ring.ring
                .completion()
                .map(|c| (c.user_data(), c.result(), c.flags())),
        );
        for &(user_data, res, flags) in &completions {
            match Op::decode(user_data) {
                Op::Accept(_) => {
                    ring.accept(listener.as_raw_fd(), 0);
                    if res >= 0 {
                        let token = conns.iter().position(Option::is_none).unwrap_or_else(|| {
                            conns.push(None);
                            conns.len() - 1
                        });
                        set_nodelay(res);
                        conns[token] = Some(Conn {
                            fd: res,
                            ..Conn::default()
                        });
                        ring.recv(res, token as u64, GROUP);
                    }
                }
                Op::Recv(token) => {
                    let Some(conn) = conns[token as usize].as_mut() else {
                        continue;
                    };
                    if let Some(bid) = cqueue::buffer_select(flags) {
                        if res > 0 {
                            pace.arrival(&mut conn.seen_ms);
                            conn.input.extend_from_slice(bufs.get(bid, res as usize));
                        }
                        bufs.push(bid);
                    }
                    if res <= 0 {
                        if res == -libc::ENOBUFS {
                            ring.recv(conn.fd, token, GROUP);
                        } else if !cqueue::more(flags) {
                            conn.closing = true;
                            close_when_idle(&mut conns, token);
                        }
                        continue;
                    }
                    if !cqueue::more(flags) {
                        ring.recv(conn.fd, token, GROUP);
                    }
                    let used = answer(&conn.input, &mut conn.output, &mut map);
                    conn.input.drain(..used);
                    to_flush.push(token);
                }
                Op::Send(token) => {
                    if let Some(conn) = conns[token as usize].as_mut() {
                        conn.send_in_flight = false;
                        conn.sending.clear();
                        to_flush.push(token);
                    }
                    close_when_idle(&mut conns, token);
                }
                Op::Doorbell | Op::Ignore => {}
            }
        }
        if !completions.is_empty() {
            bufs.publish();
        }
        for token in to_flush.drain(..) {
            let Some(conn) = conns[token as usize].as_mut() else {
                continue;
            };
            if conn.send_in_flight || conn.output.is_empty() {
                continue;
            }
            std::mem::swap(&mut conn.output, &mut conn.sending);
            conn.send_in_flight = true;
            ring.send(conn.fd, token, conn.sending.as_ptr(), conn.sending.len());
        }
        if completions.is_empty() && !ring.has_work() {
            ring.wait(Duration::from_secs(1), pace.gather());
        } else {
            ring.submit();
        }
    }
}

fn close_when_idle(conns: &mut [Option<Conn>], token: u64) {
    let slot = &mut conns[token as usize];
    if let Some(conn) = slot.as_ref().filter(|c| c.closing && !c.send_in_flight) {
        // SAFETY: closes a socket this table owns; no operation is in flight on it any more.
        unsafe { libc::close(conn.fd) };
        *slot = None;
    }
}

/// Answers every complete command in `input` into `output`; returns the bytes consumed.
fn answer(input: &[u8], output: &mut Vec<u8>, map: &mut AHashMap<Vec<u8>, Vec<u8>>) -> usize {
    let mut consumed = 0;
    'commands: while input.get(consumed) == Some(&b'*') {
        let Some((argc, mut at)) = length_line(input, consumed, b'*') else {
            break;
        };
        let mut argv: SmallVec<[&[u8]; 4]> = SmallVec::new();
        for _ in 0..argc {
            let Some((len, start)) = length_line(input, at, b'$') else {
                break 'commands;
            };
            let Some(arg) = input.get(start..start + len) else {
                break 'commands;
            };
            if input.len() < start + len + 2 {
                break 'commands;
            }
            argv.push(arg);
            at = start + len + 2;
        }
        consumed = at;
        match argv.as_slice() {
            [cmd, key] if cmd.eq_ignore_ascii_case(b"GET") => match map.get(*key) {
                Some(v) => {
                    output.push(b'$');
                    output.extend_from_slice(itoa::Buffer::new().format(v.len()).as_bytes());
                    output.extend_from_slice(b"\r\n");
                    output.extend_from_slice(v);
                    output.extend_from_slice(b"\r\n");
                }
                None => output.extend_from_slice(b"$-1\r\n"),
            },
            [cmd, key, value] if cmd.eq_ignore_ascii_case(b"SET") => {
                match map.get_mut(*key) {
                    Some(v) => {
                        v.clear();
                        v.extend_from_slice(value);
                    }
                    None => {
                        map.insert(key.to_vec(), value.to_vec());
                    }
                }
                output.extend_from_slice(b"+OK\r\n");
            }
            // redis-benchmark asks for CONFIG at start; PING is what readiness checks send.
            [cmd, ..] if cmd.eq_ignore_ascii_case(b"CONFIG") => output.extend_from_slice(b"*0\r\n"),
            _ => output.extend_from_slice(b"+PONG\r\n"),
        }
    }
    consumed
}

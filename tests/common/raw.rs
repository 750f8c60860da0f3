//! A raw TCP connection for protocol tests: send any bytes, expect exact bytes back.
//!
//! Every read has a 10 s timeout, so a server that stays silent fails the test instead of
//! hanging it.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A client socket that speaks bytes, not commands.
pub struct RawConn {
    stream: TcpStream,
    /// Bytes read from the socket and not consumed yet.
    pending: Vec<u8>,
}

/// Encodes `args` as a RESP array of bulk strings, the way clients send commands.
pub fn encode_command<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        let a = a.as_ref();
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Shows bytes with CR and LF escaped, for assertion messages.
pub fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// The last 200 bytes of `bytes`, escaped.
fn tail(bytes: &[u8]) -> String {
    let from = bytes.len().saturating_sub(200);
    format!("...{}", show(&bytes[from..]))
}

impl RawConn {
    /// Connects to the server on `port` at 127.0.0.1.
    pub fn connect(port: u16) -> RawConn {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("connect to port {port}: {e}"));
        stream
            .set_read_timeout(Some(READ_TIMEOUT))
            .expect("set the read timeout");
        stream
            .set_write_timeout(Some(READ_TIMEOUT))
            .expect("set the write timeout");
        stream.set_nodelay(true).expect("set TCP_NODELAY");
        RawConn {
            stream,
            pending: Vec::new(),
        }
    }

    /// Writes `bytes` as they are, in one write call.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write to the server");
    }

    /// Sends one command as a RESP array of bulk strings.
    pub fn send_cmd(&mut self, args: &[&str]) {
        self.send(&encode_command(args));
    }

    /// Reads until at least `n` unconsumed bytes are buffered, or panics after the timeout.
    fn fill(&mut self, n: usize) {
        let deadline = Instant::now() + READ_TIMEOUT;
        let mut chunk = [0u8; 16 * 1024];
        while self.pending.len() < n {
            match self.stream.read(&mut chunk) {
                Ok(0) => panic!(
                    "server closed the connection; wanted {n} bytes, got {}: {}",
                    self.pending.len(),
                    tail(&self.pending)
                ),
                Ok(k) => self.pending.extend_from_slice(&chunk[..k]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => panic!(
                    "read failed ({e}); wanted {n} bytes, got {}: {}",
                    self.pending.len(),
                    tail(&self.pending)
                ),
            }
            assert!(Instant::now() < deadline, "timed out waiting for {n} bytes");
        }
    }

    /// Takes exactly `n` bytes off the connection.
    pub fn read_exact_bytes(&mut self, n: usize) -> Vec<u8> {
        self.fill(n);
        self.pending.drain(..n).collect()
    }

    /// Reads exactly as many bytes as `expected` holds and asserts that they are `expected`.
    pub fn expect(&mut self, expected: &[u8]) {
        let got = self.read_exact_bytes(expected.len());
        if got != expected {
            let at = got
                .iter()
                .zip(expected)
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            let from = at.saturating_sub(60);
            let to = |v: &[u8]| show(&v[from..(at + 60).min(v.len())]);
            panic!(
                "reply bytes differ at byte {at} of {}\n     got: ...{}...\nexpected: ...{}...",
                expected.len(),
                to(&got),
                to(expected)
            );
        }
    }

    /// Reads one line, CRLF included.
    pub fn read_line(&mut self) -> Vec<u8> {
        let mut scanned = 0;
        loop {
            if let Some(i) = self.pending[scanned..]
                .windows(2)
                .position(|w| w == b"\r\n")
            {
                let end = scanned + i + 2;
                return self.pending.drain(..end).collect();
            }
            scanned = self.pending.len().saturating_sub(1);
            let want = self.pending.len() + 1;
            self.fill(want);
        }
    }

    /// Reads one complete RESP2 or RESP3 reply and returns its bytes as they came.
    pub fn read_frame(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.read_frame_into(&mut out);
        out
    }

    fn read_frame_into(&mut self, out: &mut Vec<u8>) {
        let line = self.read_line();
        out.extend_from_slice(&line);
        let head = line[0];
        let len = || -> i64 {
            std::str::from_utf8(&line[1..line.len() - 2])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("bad length line {:?}", show(&line)))
        };
        match head {
            b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => {}
            b'$' | b'!' | b'=' => {
                let n = len();
                if n >= 0 {
                    out.extend(self.read_exact_bytes(n as usize + 2));
                }
            }
            b'*' | b'~' | b'>' => {
                for _ in 0..len().max(0) {
                    self.read_frame_into(out);
                }
            }
            b'%' => {
                for _ in 0..len().max(0) * 2 {
                    self.read_frame_into(out);
                }
            }
            b'|' => {
                for _ in 0..len().max(0) * 2 {
                    self.read_frame_into(out);
                }
                // The attribute map is followed by the reply it describes.
                self.read_frame_into(out);
            }
            _ => panic!("not a RESP reply: {:?}", show(&line)),
        }
    }

    /// Asserts that the server closes the connection without sending anything more.
    pub fn expect_closed(&mut self) {
        assert!(
            self.pending.is_empty(),
            "unread bytes before close: {:?}",
            show(&self.pending)
        );
        let mut chunk = [0u8; 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => {}
            Ok(k) => panic!("expected a close, got {:?}", show(&chunk[..k])),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            Err(e) => panic!("expected a close, got {e}"),
        }
    }

    /// Asserts that nothing arrives within `wait` (the server is waiting for more input).
    pub fn expect_silence(&mut self, wait: Duration) {
        assert!(
            self.pending.is_empty(),
            "unread bytes: {:?}",
            show(&self.pending)
        );
        self.stream
            .set_read_timeout(Some(wait))
            .expect("set the read timeout");
        let mut chunk = [0u8; 1024];
        let got = self.stream.read(&mut chunk);
        self.stream
            .set_read_timeout(Some(READ_TIMEOUT))
            .expect("set the read timeout");
        match got {
            Ok(0) => panic!("the server closed the connection"),
            Ok(k) => panic!("expected silence, got {:?}", show(&chunk[..k])),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("expected silence, got {e}"),
        }
    }

    /// Closes the writing half, as a client does when it has nothing more to send.
    pub fn shutdown_write(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }
}

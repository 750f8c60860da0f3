//! The replica's socket to its master: buffered reads that every phase of the link shares
//! (handshake replies, the RDB payload, the command stream), and the writes it makes.
//!
//! Owns: `MasterSocket`, a blocking TCP stream with one input buffer. Bytes read ahead in one
//! phase stay in the buffer for the next one: the command stream may start in the same segment
//! as the end of the RDB. Every read notes the time and counts the bytes (INFO's
//! `master_last_io_seconds_ago`, `slave_read_repl_offset`). Must not: interpret commands.

use bytes::{Buf, BytesMut};
use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Bytes asked of the kernel per read.
const READ_CHUNK: usize = 64 * 1024;
/// Longest reply line accepted during the handshake.
const MAX_LINE: usize = 64 * 1024;

/// The link's socket and its input buffer.
pub struct MasterSocket {
    stream: TcpStream,
    /// Bytes received and not consumed yet.
    pub buf: BytesMut,
    /// When bytes last arrived.
    pub last_io: Instant,
    /// Bytes received in all.
    pub received: u64,
}

impl MasterSocket {
    /// Wraps a connected stream; reads and writes time out after `timeout`.
    pub fn new(stream: TcpStream, timeout: Duration) -> io::Result<MasterSocket> {
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        Ok(MasterSocket {
            stream,
            buf: BytesMut::with_capacity(READ_CHUNK),
            last_io: Instant::now(),
            received: 0,
        })
    }

    /// The socket's descriptor, for `poll`.
    pub fn raw_fd(&self) -> i32 {
        std::os::fd::AsRawFd::as_raw_fd(&self.stream)
    }

    /// Reads once from the socket into the buffer. Returns the bytes read; a closed connection
    /// or a timeout is an error.
    pub fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; READ_CHUNK];
        let n = loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed by the master",
                    ))
                }
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "timeout reading from the master",
                    ))
                }
                Err(e) => return Err(e),
            }
        };
        self.buf.extend_from_slice(&chunk[..n]);
        self.last_io = Instant::now();
        self.received += n as u64;
        Ok(n)
    }

    /// Reads one line (up to LF, without the line end). Keepalive newlines come back as empty
    /// lines; the caller decides whether to skip them.
    pub fn read_line(&mut self) -> io::Result<Vec<u8>> {
        loop {
            if let Some(nl) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line = self.buf.split_to(nl + 1).to_vec();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            if self.buf.len() > MAX_LINE {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "reply line from the master too long",
                ));
            }
            self.fill()?;
        }
    }

    /// Reads one reply line, skipping keepalive newlines.
    pub fn read_reply_line(&mut self) -> io::Result<Vec<u8>> {
        loop {
            let line = self.read_line()?;
            if !line.is_empty() {
                return Ok(line);
            }
        }
    }

    /// Reads exactly `n` bytes.
    pub fn read_exact_vec(&mut self, n: usize) -> io::Result<Vec<u8>> {
        while self.buf.len() < n {
            self.fill()?;
        }
        Ok(self.buf.split_to(n).to_vec())
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, mut n: u64) -> io::Result<()> {
        while n > 0 {
            if self.buf.is_empty() {
                self.fill()?;
            }
            let k = (self.buf.len() as u64).min(n) as usize;
            self.buf.advance(k);
            n -= k as u64;
        }
        Ok(())
    }

    /// Writes all of `bytes`.
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Shuts the connection down both ways.
    pub fn shutdown(&self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

impl Read for MasterSocket {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for MasterSocket {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.buf.is_empty() {
            self.fill()?;
        }
        Ok(&self.buf[..])
    }

    fn consume(&mut self, n: usize) {
        self.buf.advance(n);
    }
}

/// At most `left` bytes of a `BufRead`: the `$<len>` form of an RDB payload, so that a payload
/// shorter than its RDB is an error instead of a read into the command stream.
pub struct Limited<'a, R> {
    inner: &'a mut R,
    /// Bytes of the payload not consumed yet.
    pub left: u64,
}

impl<'a, R: BufRead> Limited<'a, R> {
    /// The next `left` bytes of `inner`.
    pub fn new(inner: &'a mut R, left: u64) -> Limited<'a, R> {
        Limited { inner, left }
    }
}

impl<R: BufRead> Read for Limited<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Limited<'_, R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.left == 0 {
            return Ok(&[]);
        }
        let avail = self.inner.fill_buf()?;
        let n = (avail.len() as u64).min(self.left) as usize;
        Ok(&avail[..n])
    }

    fn consume(&mut self, n: usize) {
        let n = (n as u64).min(self.left);
        self.left -= n;
        self.inner.consume(n as usize);
    }
}

/// Encodes `args` as a RESP multibulk command.
pub fn command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_encoded_as_multibulk() {
        assert_eq!(
            command(&[b"REPLCONF", b"ACK", b"1054"]),
            b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$4\r\n1054\r\n"
        );
    }

    #[test]
    fn a_limited_reader_stops_at_its_length() {
        let mut src: &[u8] = b"abcdef";
        let mut l = Limited::new(&mut src, 4);
        let mut out = Vec::new();
        l.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abcd");
        assert_eq!(l.left, 0);
        assert_eq!(src, b"ef");
    }
}

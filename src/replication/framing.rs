//! Cutting the master's command stream into commands, keeping each command's exact bytes.
//!
//! Owns: `next_command`, a strict RESP multibulk reader for the replication stream. Each
//! command comes with its raw bytes, because the replication offset counts bytes (a command
//! advances it by its own length) and because a replica passes the stream on to its own replicas
//! byte for byte. The arguments are slices of those raw bytes: nothing is copied.
//!
//! The stream is hostile input: every count and length is checked, nothing is reserved up front
//! from a length the peer announced, and any malformed frame is an error (the link is then
//! dropped). What a master legitimately sends: multibulk arrays of bulk strings, and bare
//! newlines (keepalives), which carry no command but still count in the offset.

use bytes::{Bytes, BytesMut};
use std::ops::Range;

/// Largest element count accepted in one command (Redis reads it into a C `int`).
const MAX_ARGS: usize = i32::MAX as usize;
/// Largest bulk accepted. A master's stream is not limited by `proto-max-bulk-len`, but a value
/// beyond 4 GiB is no value a Redis master holds.
const MAX_BULK: usize = 4 << 30;
/// Longest count or length line.
const MAX_LINE: usize = 32;

/// One unit of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamCommand {
    /// The arguments; empty for a keepalive newline.
    pub argv: Vec<Bytes>,
    /// The bytes the unit took in the stream.
    pub raw: Bytes,
}

/// A malformed stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramingError(pub String);

impl std::fmt::Display for FramingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn bad(what: impl Into<String>) -> FramingError {
    FramingError(what.into())
}

/// Takes the next complete command off the front of `buf`. `Ok(None)`: the buffer holds only
/// part of one (or nothing); append more and call again.
pub fn next_command(buf: &mut BytesMut) -> Result<Option<StreamCommand>, FramingError> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    match first {
        b'\n' => return Ok(Some(keepalive(buf, 1))),
        b'\r' => {
            return match buf.get(1) {
                None => Ok(None),
                Some(b'\n') => Ok(Some(keepalive(buf, 2))),
                Some(_) => Err(bad("stray carriage return in the stream")),
            }
        }
        b'*' => {}
        other => {
            return Err(bad(format!(
                "inline command from master (first byte {:?})",
                (other as char).escape_default().to_string()
            )))
        }
    }
    let Some((count, mut pos)) = number_line(buf, 1, b'*')? else {
        return Ok(None);
    };
    if count < 1 || count as usize > MAX_ARGS {
        return Err(bad(format!("invalid multibulk length {count}")));
    }
    let count = count as usize;
    let mut ranges: Vec<Range<usize>> = Vec::with_capacity(count.min(64));
    for _ in 0..count {
        if pos >= buf.len() {
            return Ok(None);
        }
        if buf[pos] != b'$' {
            return Err(bad(format!(
                "expected '$', got {:?}",
                (buf[pos] as char).escape_default().to_string()
            )));
        }
        let Some((len, after)) = number_line(buf, pos + 1, b'$')? else {
            return Ok(None);
        };
        if len < 0 || len as usize > MAX_BULK {
            return Err(bad(format!("invalid bulk length {len}")));
        }
        let len = len as usize;
        let end = after + len;
        if buf.len() < end + 2 {
            // Grow once for a large bulk instead of step by step as it arrives.
            buf.reserve((end + 2 - buf.len()).min(64 << 20));
            return Ok(None);
        }
        if &buf[end..end + 2] != b"\r\n" {
            return Err(bad("bulk string not terminated by CRLF"));
        }
        ranges.push(after..end);
        pos = end + 2;
    }
    let raw = buf.split_to(pos).freeze();
    let argv = ranges.into_iter().map(|r| raw.slice(r)).collect();
    Ok(Some(StreamCommand { argv, raw }))
}

fn keepalive(buf: &mut BytesMut, n: usize) -> StreamCommand {
    StreamCommand {
        argv: Vec::new(),
        raw: buf.split_to(n).freeze(),
    }
}

/// Reads the decimal number that starts at `at` and ends with CRLF. Returns it and the offset
/// past the CRLF, or `None` when the line is not complete yet.
fn number_line(buf: &[u8], at: usize, kind: u8) -> Result<Option<(i64, usize)>, FramingError> {
    let window = &buf[at.min(buf.len())..];
    let Some(nl) = window.iter().take(MAX_LINE + 2).position(|&b| b == b'\n') else {
        if window.len() > MAX_LINE + 1 {
            return Err(bad(format!("{} line too long", kind as char)));
        }
        return Ok(None);
    };
    if nl == 0 || window[nl - 1] != b'\r' {
        return Err(bad(format!("{} line not terminated by CRLF", kind as char)));
    }
    let text = &window[..nl - 1];
    let n = std::str::from_utf8(text)
        .ok()
        .filter(|t| !t.is_empty() && !t.starts_with('+'))
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(|| {
            bad(format!(
                "invalid {} count: {:?}",
                kind as char,
                text.escape_ascii().to_string()
            ))
        })?;
    Ok(Some((n, at + nl + 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(bytes: &[u8]) -> BytesMut {
        BytesMut::from(bytes)
    }

    #[test]
    fn a_command_keeps_its_exact_bytes_and_arguments() {
        let wire = b"*3\r\n$3\r\nset\r\n$2\r\nk1\r\n$2\r\nv1\r\n*1\r\n$4\r\nping\r\n";
        let mut buf = feed(wire);
        let c = next_command(&mut buf).unwrap().unwrap();
        assert_eq!(c.argv, vec!["set", "k1", "v1"]);
        assert_eq!(c.raw.len(), 29);
        let p = next_command(&mut buf).unwrap().unwrap();
        assert_eq!((p.argv.len(), p.raw.len()), (1, 14));
        assert!(buf.is_empty());
        assert_eq!(next_command(&mut buf).unwrap(), None);
    }

    #[test]
    fn every_prefix_of_a_command_is_incomplete_not_an_error() {
        let wire = b"*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n";
        for cut in 0..wire.len() {
            let mut buf = feed(&wire[..cut]);
            assert_eq!(next_command(&mut buf).unwrap(), None, "cut at {cut}");
            assert_eq!(buf.len(), cut, "nothing consumed");
        }
        let mut buf = feed(wire);
        assert_eq!(next_command(&mut buf).unwrap().unwrap().raw.len(), 23);
    }

    #[test]
    fn keepalive_newlines_count_but_carry_nothing() {
        let mut buf = feed(b"\n\r\n*1\r\n$4\r\nping\r\n");
        let a = next_command(&mut buf).unwrap().unwrap();
        assert!(a.argv.is_empty());
        assert_eq!(a.raw.len(), 1);
        let b = next_command(&mut buf).unwrap().unwrap();
        assert_eq!((b.argv.len(), b.raw.len()), (0, 2));
        assert_eq!(next_command(&mut buf).unwrap().unwrap().argv, vec!["ping"]);
    }

    #[test]
    fn malformed_frames_are_errors() {
        for wire in [
            &b"PING\r\n"[..],
            b"*0\r\n",
            b"*-1\r\n",
            b"*x\r\n",
            b"*1\n",
            b"*1\r\n:1\r\n",
            b"*1\r\n$-1\r\n",
            b"*1\r\n$3\r\nabcde\r\n",
            b"*1\r\n$99999999999999999999\r\n",
            b"*123456789012345678901234567890123456789\r\n",
            b"\rx",
            b"*+1\r\n$1\r\na\r\n",
        ] {
            let mut buf = feed(wire);
            assert!(
                next_command(&mut buf).is_err(),
                "{:?}",
                wire.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn a_huge_announced_length_reserves_little() {
        let mut buf = feed(b"*1\r\n$4294967296\r\nab");
        assert_eq!(next_command(&mut buf).unwrap(), None);
        assert!(buf.capacity() <= (64 << 20) + 64);
    }
}

//! The run of complete commands at the front of a connection's input, taken off it in one piece.
//!
//! Owns: `Batch`, the plainly formed multibulk commands found whole at the front of the input
//! buffer, split off it as one frozen block and handed out one command at a time. A pipelining
//! client sends many commands per read; splitting once per read instead of once per command saves
//! a reference-count round trip and the buffer bookkeeping of each split. Must not: report
//! errors. Anything unusual (an inline command, an empty, malformed or incomplete multibulk, a
//! count or length over the limits) ends the run, and the general parser (`parser`) takes it
//! from there with the errors Redis gives.

use bytes::{Bytes, BytesMut};
use std::ops::Range;

/// At most this many commands are split off in one run; the rest wait for the next one.
const MAX_COMMANDS: usize = 1024;

/// Complete commands split off the input and not handed out yet.
#[derive(Debug, Default)]
pub(super) struct Batch {
    /// The commands' bytes.
    block: Bytes,
    /// Every argument's place in `block`, command after command.
    args: Vec<Range<usize>>,
    /// Per command: where it starts in `block`, and where its arguments end in `args`.
    cmds: Vec<(usize, usize)>,
    /// The next command to hand out.
    next: usize,
    /// The largest count and bulk length the commands were checked against.
    checked: (usize, u64),
}

impl Batch {
    /// True when no command is left to hand out.
    pub(super) fn is_empty(&self) -> bool {
        self.next == self.cmds.len()
    }

    /// Bytes split off the input and not handed out yet (they still count as the client's
    /// query buffer).
    pub(super) fn pending_bytes(&self) -> usize {
        match self.cmds.get(self.next) {
            Some(&(start, _)) => self.block.len() - start,
            None => 0,
        }
    }

    /// True when the commands left were checked against limits at least as tight as
    /// `max_count` and `max_len`. Limits tighten when a client is made to authenticate again
    /// (RESET) or CONFIG SET lowers `proto-max-bulk-len` halfway through a pipeline.
    pub(super) fn checked_within(&self, max_count: usize, max_len: u64) -> bool {
        self.checked.0 <= max_count && self.checked.1 <= max_len
    }

    /// Splits the complete, plainly formed commands at the front of `buf` off it, checking each
    /// count against `max_count` and each bulk length against `max_len`. False when the first
    /// command is not one of them; `buf` is then untouched. Requires: the batch is empty.
    pub(super) fn fill(&mut self, buf: &mut BytesMut, max_count: usize, max_len: u64) -> bool {
        debug_assert!(self.is_empty());
        self.clear();
        let mut at = 0;
        while self.cmds.len() < MAX_COMMANDS {
            match scan_command(buf, at, max_count, max_len, &mut self.args) {
                Some(end) => {
                    self.cmds.push((at, self.args.len()));
                    at = end;
                }
                None => break,
            }
        }
        if self.cmds.is_empty() {
            return false;
        }
        self.block = buf.split_to(at).freeze();
        self.checked = (max_count, max_len);
        true
    }

    /// Appends the next command's arguments to `argv`. False when none is left.
    ///
    /// The arguments are slices of the block, so none is copied; holding one keeps the whole
    /// block alive.
    pub(super) fn pop_into(&mut self, argv: &mut Vec<Bytes>) -> bool {
        let Some(&(_, end)) = self.cmds.get(self.next) else {
            return false;
        };
        let start = match self.next {
            0 => 0,
            n => self.cmds[n - 1].1,
        };
        let block = &self.block;
        argv.extend(self.args[start..end].iter().map(|r| block.slice(r.clone())));
        self.next += 1;
        if self.is_empty() {
            // The last command's arguments are out: the buffer may be reclaimed as soon as the
            // commands are done with them.
            self.block = Bytes::new();
        }
        true
    }

    /// Calls `f` with the second argument (the key, for most commands) of every command not
    /// handed out yet.
    pub(super) fn for_each_second_arg<'a>(&'a self, mut f: impl FnMut(&'a [u8])) {
        for i in self.next..self.cmds.len() {
            let start = if i == 0 { 0 } else { self.cmds[i - 1].1 };
            if self.cmds[i].1 - start >= 2 {
                f(&self.block[self.args[start + 1].clone()]);
            }
        }
    }

    /// Puts the commands not handed out yet back in front of `buf`, to be parsed again under
    /// new limits. Copies them: this happens at most when a client's limits tighten.
    pub(super) fn give_back(&mut self, buf: &mut BytesMut) {
        if let Some(&(start, _)) = self.cmds.get(self.next) {
            let rest = &self.block[start..];
            let mut merged = BytesMut::with_capacity(rest.len() + buf.len());
            merged.extend_from_slice(rest);
            merged.extend_from_slice(buf);
            *buf = merged;
        }
        self.clear();
    }

    /// Forgets every command.
    pub(super) fn clear(&mut self) {
        self.block = Bytes::new();
        self.args.clear();
        self.cmds.clear();
        self.next = 0;
    }
}

/// Reads the multibulk at `buf[at..]` if it is complete and plainly formed: a count from 1 to
/// `max_count`, then that many `$<len>` bulks of at most `max_len` bytes, every number as the
/// general parser accepts it. Pushes its arguments' ranges onto `args` and returns the offset
/// after it; `None` (with `args` as it was) for anything else.
fn scan_command(
    buf: &[u8],
    at: usize,
    max_count: usize,
    max_len: u64,
    args: &mut Vec<Range<usize>>,
) -> Option<usize> {
    if buf.get(at) != Some(&b'*') {
        return None;
    }
    let (count, mut p) = plain_number(buf, at + 1)?;
    if count == 0 || count > max_count {
        return None;
    }
    let before = args.len();
    for _ in 0..count {
        let arg = match buf.get(p) {
            Some(&b'$') => plain_number(buf, p + 1).and_then(|(len, start)| {
                (len as u64 <= max_len && buf.len() - start >= len + 2).then_some((len, start))
            }),
            _ => None,
        };
        let Some((len, start)) = arg else {
            args.truncate(before);
            return None;
        };
        args.push(start..start + len);
        p = start + len + 2;
    }
    Some(p)
}

/// Reads the decimal digits at `buf[at..]` up to a CR that is followed by one more byte, as the
/// general path accepts them (no sign, no leading zero, at most 18 digits). Returns the number and
/// the offset after the CR LF; `None` for anything else, incomplete input included.
#[inline]
pub(super) fn plain_number(buf: &[u8], at: usize) -> Option<(usize, usize)> {
    // One and two digits are nearly every count and length a client sends.
    if let Some(&[a, b, c, _]) = buf.get(at..at + 4) {
        if a.is_ascii_digit() && b == b'\r' {
            return Some(((a - b'0') as usize, at + 3));
        }
        if (b'1'..=b'9').contains(&a) && b.is_ascii_digit() && c == b'\r' {
            return Some((((a - b'0') * 10 + (b - b'0')) as usize, at + 4));
        }
    }
    let mut v: usize = 0;
    let mut i = at;
    loop {
        let c = *buf.get(i)?;
        if c == b'\r' {
            break;
        }
        if !c.is_ascii_digit() || i - at >= 18 {
            return None;
        }
        v = v * 10 + (c - b'0') as usize;
        i += 1;
    }
    let digits = i - at;
    if digits == 0 || (digits > 1 && buf[at] == b'0') || buf.len() < i + 2 {
        return None;
    }
    Some((v, i + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(s: &[u8]) -> Option<(usize, usize)> {
        plain_number(s, 0)
    }

    #[test]
    fn short_numbers_need_the_byte_after_their_cr() {
        assert_eq!(number(b"3\r\n"), Some((3, 3)));
        assert_eq!(number(b"3\r"), None);
        assert_eq!(number(b"42\r\n"), Some((42, 4)));
        assert_eq!(number(b"42\r"), None);
        assert_eq!(number(b"0\r\n"), Some((0, 3)));
    }

    #[test]
    fn leading_zeros_signs_and_empty_numbers_are_not_plain() {
        assert_eq!(number(b"07\r\n"), None);
        assert_eq!(number(b"-1\r\n"), None);
        assert_eq!(number(b"\r\n"), None);
        assert_eq!(number(b"1 \r\n"), None);
        assert_eq!(
            number(b"123456789012345678\r\n"),
            Some((123456789012345678, 20))
        );
        assert_eq!(number(b"1234567890123456789\r\n"), None);
    }

    #[test]
    fn a_run_stops_at_the_first_command_that_is_not_whole() {
        let mut b = Batch::default();
        let mut buf = BytesMut::from(
            &b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nGE"[..],
        );
        assert!(b.fill(&mut buf, 1024, 512));
        assert_eq!(&buf[..], b"*2\r\n$3\r\nGE");
        assert_eq!(b.pending_bytes(), 34);
        let mut argv = Vec::new();
        assert!(b.pop_into(&mut argv));
        assert_eq!(argv, vec![Bytes::from("PING")]);
        argv.clear();
        assert!(b.pop_into(&mut argv));
        assert_eq!(argv, vec![Bytes::from("GET"), Bytes::from("k")]);
        assert!(b.is_empty());
        assert!(!b.pop_into(&mut argv));
    }

    #[test]
    fn the_keys_read_ahead_are_the_second_arguments_of_the_commands_not_handed_out() {
        let mut b = Batch::default();
        let mut buf = BytesMut::from(
            &b"*2\r\n$3\r\nGET\r\n$1\r\na\r\n*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\nv\r\n"[..],
        );
        assert!(b.fill(&mut buf, 1024, 512));
        assert!(b.pop_into(&mut Vec::new()));
        let mut keys = Vec::new();
        b.for_each_second_arg(|k| keys.push(k.to_vec()));
        assert_eq!(keys, vec![b"b".to_vec()]);
    }

    #[test]
    fn commands_over_the_limits_end_the_run() {
        let mut b = Batch::default();
        let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$5\r\nabcde\r\n"[..]);
        assert!(!b.fill(&mut buf, 1024, 4));
        assert!(!b.fill(&mut buf, 1, 512));
        assert_eq!(buf.len(), 24);
    }

    #[test]
    fn commands_given_back_go_in_front_of_the_input() {
        let mut b = Batch::default();
        let mut buf = BytesMut::from(&b"*1\r\n$1\r\na\r\n*1\r\n$1\r\nb\r\n"[..]);
        assert!(b.fill(&mut buf, 1024, 512));
        let mut argv = Vec::new();
        assert!(b.pop_into(&mut argv));
        buf.extend_from_slice(b"*1\r\n");
        b.give_back(&mut buf);
        assert!(b.is_empty());
        assert_eq!(&buf[..], b"*1\r\n$1\r\nb\r\n*1\r\n");
    }
}

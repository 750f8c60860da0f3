//! Turning a connection's input bytes into commands, with Redis 7.0's request rules.
//!
//! Owns: framing of requests (RESP multibulk `*<n>\r\n$<len>\r\n<bytes>\r\n…` and inline lines),
//! the protocol errors Redis gives for malformed ones, and the per-connection progress through a
//! command that has not fully arrived. Must not: execute anything, or know commands by name.
//!
//! A request whose first byte is `*` is a multibulk; anything else is an inline line, split by
//! `protocol::inline`. Empty requests (`*0`, a negative count, a blank line) are dropped without a
//! reply, as Redis drops them. Every error here is `CmdError::Protocol`, after which the
//! connection sends the error and closes.
//!
//! Redis quirks kept on purpose, because a stock server accepts the same bytes: the byte after the
//! CR of a count line is skipped without being checked, and so are the two bytes after a bulk.
//! One quirk is not kept: Redis looks for line ends with `strchr`, so a NUL byte before the end
//! of a count line or inline line stalls that connection until its limit error; here a NUL is an
//! ordinary byte (and an inline line ends at it, as `sdssplitargs` has it).

use bytes::{Buf, Bytes, BytesMut};
use std::ops::Range;

use super::batch::Batch;
use super::error::CmdError;
use super::inline::split_args;

/// Size limits on requests, from the server configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Largest bulk argument accepted (`proto-max-bulk-len`, 512 MiB by default). A replica sets
    /// it to `u64::MAX` for its master's stream, which Redis does not limit.
    pub max_bulk_len: u64,
    /// Longest inline line, multibulk count line or bulk length line that may sit in the buffer
    /// without its line end (Redis's fixed `PROTO_INLINE_MAX_SIZE`, 64 KiB).
    pub max_inline_len: usize,
}

impl Default for ParseLimits {
    fn default() -> ParseLimits {
        ParseLimits {
            max_bulk_len: 512 * 1024 * 1024,
            max_inline_len: 64 * 1024,
        }
    }
}

/// Largest multibulk count: Redis 7.0 reads it into a C `int`.
const MAX_MULTIBULK_LEN: i64 = i32::MAX as i64;

/// Before authentication, Redis refuses counts and lengths above these, so that a stranger cannot
/// make the server reserve memory for a huge command.
const UNAUTH_MAX_MULTIBULK_LEN: i64 = 10;
const UNAUTH_MAX_BULK_LEN: i64 = 16 * 1024;

/// From this length on, the buffer is grown for the whole bulk as soon as its length is known,
/// instead of step by step as the bytes arrive (Redis's `PROTO_MBULK_BIG_ARG`).
const BIG_BULK_LEN: usize = 32 * 1024;

/// Arguments reserved up front for a multibulk; a larger count grows the vector as arguments
/// actually arrive, so a bare `*2000000000` costs nothing.
const MAX_ARGS_RESERVED: usize = 1024;

/// Parses one connection's requests. Keep one per connection, for the connection's whole life.
///
/// It remembers how far into an incomplete command it got (arguments found, the length of the
/// bulk it waits for, how far it searched for a line end), so a large command that arrives in
/// many small reads is scanned once in total.
#[derive(Debug, Default)]
pub struct RequestParser {
    /// Offset in the buffer of the next element of the multibulk in progress.
    pos: usize,
    /// Offset up to which the buffer was searched for the current line's end, without finding it.
    scanned: usize,
    /// Bulk arguments the multibulk in progress still expects; 0 when none is in progress.
    pending: usize,
    /// Length of the bulk whose `$<len>` line was read but whose bytes have not all arrived.
    bulk_len: Option<usize>,
    /// Where each argument read so far lies in the buffer.
    args: Vec<Range<usize>>,
    /// The client has not authenticated yet, so the tighter pre-auth limits apply.
    auth_required: bool,
    /// Whole commands already split off the buffer; they come before anything left in it.
    batch: Batch,
    /// The last call split a new run of commands off the buffer.
    new_read_ahead: bool,
}

impl RequestParser {
    /// A parser for a new connection.
    pub fn new() -> RequestParser {
        RequestParser::default()
    }

    /// Says whether the client still has to authenticate. While it does, a multibulk count above
    /// 10 or a bulk length above 16384 is a protocol error, as in Redis. Call it when the client
    /// connects and whenever AUTH or HELLO changes its state.
    pub fn set_auth_required(&mut self, required: bool) {
        self.auth_required = required;
    }

    /// Takes the next complete command off the front of `buf` and returns its arguments.
    ///
    /// `Ok(None)` means the buffer holds no complete command yet: append what the socket gives
    /// and call again. Between calls the caller may only append to `buf`; the bytes already in it
    /// stay where they are, since the parser remembers offsets into them. Empty requests in front
    /// of the command are consumed on the way.
    ///
    /// The arguments are slices of one frozen block split off `buf` (all the whole commands at
    /// its front, in the common case), so no argument is copied. Holding any of them keeps that
    /// whole block alive: a caller that keeps a small argument for long (as a stored value)
    /// should copy it.
    ///
    /// An error is the reply to send before closing the connection, as Redis does; the rest of
    /// `buf` is not meant to be parsed after it.
    pub fn parse(
        &mut self,
        buf: &mut BytesMut,
        limits: &ParseLimits,
    ) -> Result<Option<Vec<Bytes>>, CmdError> {
        let mut argv = Vec::new();
        Ok(self.parse_into(buf, limits, &mut argv)?.then_some(argv))
    }

    /// `parse`, appending the arguments to `argv` (which the caller keeps and clears between
    /// commands, so no vector is allocated per command). Returns true when a command was read.
    pub fn parse_into(
        &mut self,
        buf: &mut BytesMut,
        limits: &ParseLimits,
        argv: &mut Vec<Bytes>,
    ) -> Result<bool, CmdError> {
        if !self.batch.is_empty() {
            let (max_count, max_len) = self.fast_limits(limits);
            if self.batch.checked_within(max_count, max_len) {
                return Ok(self.batch.pop_into(argv));
            }
            self.batch.give_back(buf);
        }
        let result = self.parse_inner(buf, limits, argv);
        if result.is_err() {
            self.reset();
        }
        result
    }

    /// True when whole commands were read ahead (split off the buffer and not handed out yet).
    pub fn has_read_ahead(&self) -> bool {
        !self.batch.is_empty()
    }

    /// True once after a call that read commands ahead: the caller may then look at them (see
    /// `for_each_read_ahead_key`).
    pub fn take_new_read_ahead(&mut self) -> bool {
        std::mem::take(&mut self.new_read_ahead)
    }

    /// Calls `f` with the second argument of each command read ahead, in order: the key, for
    /// most commands, so that a caller may warm the cache for them.
    pub fn for_each_read_ahead_key<'a>(&'a self, f: impl FnMut(&'a [u8])) {
        self.batch.for_each_second_arg(f)
    }

    /// Bytes received and not handed out as commands yet, beyond those still in the buffer.
    pub fn pending_bytes(&self) -> usize {
        self.batch.pending_bytes()
    }

    /// The largest count and bulk length a command may have to be read without the checks of
    /// the general path.
    fn fast_limits(&self, limits: &ParseLimits) -> (usize, u64) {
        if self.auth_required {
            (
                UNAUTH_MAX_MULTIBULK_LEN as usize,
                (UNAUTH_MAX_BULK_LEN as u64).min(limits.max_bulk_len),
            )
        } else {
            (MAX_ARGS_RESERVED, limits.max_bulk_len)
        }
    }

    fn parse_inner(
        &mut self,
        buf: &mut BytesMut,
        limits: &ParseLimits,
        argv: &mut Vec<Bytes>,
    ) -> Result<bool, CmdError> {
        loop {
            if self.pending == 0 {
                let Some(&first) = buf.first() else {
                    return Ok(false);
                };
                if first != b'*' {
                    match self.parse_inline(buf, limits)? {
                        Some(a) if a.is_empty() => continue,
                        Some(a) => {
                            argv.extend(a);
                            return Ok(true);
                        }
                        None => return Ok(false),
                    }
                }
                let (max_count, max_len) = self.fast_limits(limits);
                if self.batch.fill(buf, max_count, max_len) {
                    self.new_read_ahead = true;
                    return Ok(self.batch.pop_into(argv));
                }
                match self.start_multibulk(buf, limits)? {
                    Started::Incomplete => return Ok(false),
                    Started::Empty => continue,
                    Started::Bulks => {}
                }
            }
            if self.pending > 0 && !self.read_bulks(buf, limits)? {
                return Ok(false);
            }
            let frame = buf.split_to(self.pos).freeze();
            argv.extend(self.args.drain(..).map(|r| frame.slice(r)));
            self.reset();
            return Ok(true);
        }
    }

    /// Reads the `*<count>` line at the front of `buf`.
    fn start_multibulk(
        &mut self,
        buf: &mut BytesMut,
        limits: &ParseLimits,
    ) -> Result<Started, CmdError> {
        let Some(cr) = self.find_line_end(buf, 0, b'\r') else {
            if buf.len() > limits.max_inline_len {
                return Err(protocol_error("too big mbulk count string"));
            }
            return Ok(Started::Incomplete);
        };
        let count = match parse_len(&buf[1..cr]) {
            Some(n) if n <= MAX_MULTIBULK_LEN => n,
            _ => return Err(protocol_error("invalid multibulk length")),
        };
        if count > UNAUTH_MAX_MULTIBULK_LEN && self.auth_required {
            return Err(protocol_error("unauthenticated multibulk length"));
        }
        if count <= 0 {
            buf.advance(cr + 2);
            self.reset();
            return Ok(Started::Empty);
        }
        // The count fits an i32, so it fits a usize.
        self.pending = count as usize;
        self.pos = cr + 2;
        self.scanned = self.pos;
        self.args.reserve(self.pending.min(MAX_ARGS_RESERVED));
        Ok(Started::Bulks)
    }

    /// Reads `$<len>` lines and bulk bytes until the multibulk in progress is complete (true) or
    /// the buffer runs out (false).
    fn read_bulks(&mut self, buf: &mut BytesMut, limits: &ParseLimits) -> Result<bool, CmdError> {
        while self.pending > 0 {
            let len = match self.bulk_len {
                Some(len) => len,
                None => {
                    let Some(len) = self.read_bulk_len(buf, limits)? else {
                        return Ok(false);
                    };
                    len
                }
            };
            // `len` is at most proto-max-bulk-len or i64::MAX, so adding 2 cannot overflow.
            if buf.len() - self.pos < len + 2 {
                return Ok(false);
            }
            self.args.push(self.pos..self.pos + len);
            self.pos += len + 2;
            self.scanned = self.pos;
            self.pending -= 1;
            self.bulk_len = None;
        }
        Ok(true)
    }

    /// Reads the `$<len>` line at `self.pos`; `None` if it has not fully arrived.
    fn read_bulk_len(
        &mut self,
        buf: &mut BytesMut,
        limits: &ParseLimits,
    ) -> Result<Option<usize>, CmdError> {
        let start = self.pos;
        let Some(cr) = self.find_line_end(buf, start, b'\r') else {
            if buf.len() - start > limits.max_inline_len {
                return Err(protocol_error("too big bulk count string"));
            }
            return Ok(None);
        };
        if buf[start] != b'$' {
            return Err(expected_dollar(buf[start]));
        }
        let len = match parse_len(&buf[start + 1..cr]) {
            Some(n) if n >= 0 && n as u64 <= limits.max_bulk_len => n,
            _ => return Err(protocol_error("invalid bulk length")),
        };
        if len > UNAUTH_MAX_BULK_LEN && self.auth_required {
            return Err(protocol_error("unauthenticated bulk length"));
        }
        let len = usize::try_from(len).map_err(|_| protocol_error("invalid bulk length"))?;
        self.pos = cr + 2;
        self.scanned = self.pos;
        self.bulk_len = Some(len);
        let end = self.pos + len + 2;
        if len >= BIG_BULK_LEN && buf.len() < end {
            // One allocation for the whole bulk rather than a series of doublings and copies.
            buf.reserve(end - buf.len());
        }
        Ok(Some(len))
    }

    /// Reads the inline line at the front of `buf`. `Some(vec![])` is a blank line, consumed.
    fn parse_inline(
        &mut self,
        buf: &mut BytesMut,
        limits: &ParseLimits,
    ) -> Result<Option<Vec<Bytes>>, CmdError> {
        let Some(lf) = self.find_line_end(buf, 0, b'\n') else {
            if buf.len() > limits.max_inline_len {
                return Err(protocol_error("too big inline request"));
            }
            return Ok(None);
        };
        self.reset();
        let mut line = buf.split_to(lf + 1).freeze();
        let strip = if lf > 0 && line[lf - 1] == b'\r' {
            2
        } else {
            1
        };
        line.truncate(line.len() - strip);
        split_args(&line)
            .map(Some)
            .map_err(|_| protocol_error("unbalanced quotes in request"))
    }

    /// Finds the end of the line that starts at `start`: the offset of `end` for an inline line
    /// (`\n`), or of the CR of a count line (`\r`), which also needs the byte after it present.
    /// Searches only bytes it has not searched before.
    fn find_line_end(&mut self, buf: &[u8], start: usize, end: u8) -> Option<usize> {
        let from = self.scanned.max(start);
        match buf[from..].iter().position(|&b| b == end) {
            Some(i) if end == b'\r' && from + i + 2 > buf.len() => {
                self.scanned = from + i;
                None
            }
            Some(i) => Some(from + i),
            None => {
                self.scanned = buf.len();
                None
            }
        }
    }

    /// Forgets the command in progress; the next one starts at the front of the buffer.
    fn reset(&mut self) {
        self.pos = 0;
        self.scanned = 0;
        self.pending = 0;
        self.bulk_len = None;
        self.args.clear();
    }
}

/// What reading a `*<count>` line led to.
enum Started {
    /// The count line has not fully arrived.
    Incomplete,
    /// The count was zero or negative; the line was consumed.
    Empty,
    /// The count was positive; its bulks come next.
    Bulks,
}

fn protocol_error(detail: &'static str) -> CmdError {
    CmdError::Protocol(detail.into())
}

/// `expected '$', got 'X'`, with the byte as Redis prints it: CR and LF become spaces (Redis keeps
/// error replies on one line). A byte above 0x7f, which Redis sends raw, is sent as the character
/// of the same number, since error text is UTF-8 here.
fn expected_dollar(got: u8) -> CmdError {
    let shown = match got {
        b'\r' | b'\n' => ' ',
        b => char::from(b),
    };
    CmdError::Protocol(format!("expected '$', got '{shown}'").into())
}

/// Reads a whole `<kind><length>\r\n` line at `at` of `input` (`*2\r\n`, `$3\r\n`): the
/// length, and where the next line starts; None when the line is incomplete, of another kind,
/// or its length is not a non-negative number (`parse_len`'s strictness). For peeking at
/// requests outside the parser: it keeps no state and checks no limits.
pub fn length_line(input: &[u8], at: usize, kind: u8) -> Option<(usize, usize)> {
    if *input.get(at)? != kind {
        return None;
    }
    let digits = input.get(at + 1..)?;
    // 20 digits and the `\r`: anything longer is no i64.
    let end = digits.iter().take(21).position(|&b| b == b'\r')?;
    if digits.get(end + 1) != Some(&b'\n') {
        return None;
    }
    let len = usize::try_from(parse_len(&digits[..end])?).ok()?;
    Some((len, at + 1 + end + 2))
}

/// Reads a count or length with Redis's `string2ll` strictness: optional `-`, then digits with no
/// leading zero (except `0` itself), no sign `+`, no spaces, at most 20 bytes, within i64.
fn parse_len(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    if b == b"0" {
        return Some(0);
    }
    let (negative, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if negative {
        0i64.checked_sub_unsigned(v)
    } else {
        i64::try_from(v).ok()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_read_ending_right_after_a_whole_argument_does_not_repeat_it() {
        let mut p = RequestParser::new();
        let limits = ParseLimits::default();
        let mut buf = BytesMut::from(&b"*3\r\n$3\r\nSET\r\n"[..]);
        assert_eq!(p.parse(&mut buf, &limits).unwrap(), None);
        buf.extend_from_slice(b"$1\r\nk\r\n");
        assert_eq!(p.parse(&mut buf, &limits).unwrap(), None);
        buf.extend_from_slice(b"$1\r\nv\r\n");
        let argv = p.parse(&mut buf, &limits).unwrap().unwrap();
        assert_eq!(
            argv,
            vec![Bytes::from("SET"), Bytes::from("k"), Bytes::from("v")]
        );
    }

    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    fn argv(list: &[&[u8]]) -> Vec<Bytes> {
        list.iter().map(|a| Bytes::copy_from_slice(a)).collect()
    }

    /// Parses everything in `input` at once: the commands, then the error if one ends it.
    fn parse_all(input: &[u8]) -> (Vec<Vec<Bytes>>, Option<CmdError>, BytesMut) {
        parse_all_with(input, &ParseLimits::default(), false)
    }

    fn parse_all_with(
        input: &[u8],
        limits: &ParseLimits,
        auth_required: bool,
    ) -> (Vec<Vec<Bytes>>, Option<CmdError>, BytesMut) {
        let mut p = RequestParser::new();
        p.set_auth_required(auth_required);
        let mut buf = BytesMut::from(input);
        let mut cmds = Vec::new();
        loop {
            match p.parse(&mut buf, limits) {
                Ok(Some(c)) => cmds.push(c),
                Ok(None) => return (cmds, None, buf),
                Err(e) => return (cmds, Some(e), buf),
            }
        }
    }

    fn error_of(input: &[u8]) -> String {
        match parse_all(input).1 {
            Some(e) => e.message().into_owned(),
            None => panic!("no error for {input:?}"),
        }
    }

    #[test]
    fn a_complete_multibulk_gives_its_arguments_and_is_consumed() {
        let (cmds, err, rest) = parse_all(b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n");
        assert_eq!(cmds, vec![argv(&[b"GET", b"key"])]);
        assert!(err.is_none());
        assert!(rest.is_empty());
    }

    #[test]
    fn half_a_bulk_string_is_incomplete_not_an_error() {
        let mut p = RequestParser::new();
        let mut buf = BytesMut::from(&b"*1\r\n$3\r\nGE"[..]);
        assert_eq!(p.parse(&mut buf, &ParseLimits::default()), Ok(None));
        assert_eq!(&buf[..], b"*1\r\n$3\r\nGE");
        buf.extend_from_slice(b"T\r\n");
        assert_eq!(
            p.parse(&mut buf, &ParseLimits::default()),
            Ok(Some(argv(&[b"GET"])))
        );
    }

    #[test]
    fn pipelined_commands_come_out_one_per_call_in_order() {
        let (cmds, err, rest) = parse_all(
            b"*1\r\n$4\r\nPING\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n*1\r\n$4\r\nQU",
        );
        assert_eq!(
            cmds,
            vec![argv(&[b"PING"]), argv(&[b"PING"]), argv(&[b"ECHO", b"hi"])]
        );
        assert!(err.is_none());
        assert_eq!(&rest[..], b"*1\r\n$4\r\nQU");
    }

    #[test]
    fn a_bulk_split_across_many_small_appends_is_assembled() {
        let value = vec![b'x'; 100_000];
        let mut wire = format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${}\r\n", value.len()).into_bytes();
        wire.extend_from_slice(&value);
        wire.extend_from_slice(b"\r\n");
        let mut p = RequestParser::new();
        let mut buf = BytesMut::new();
        let mut got = None;
        for chunk in wire.chunks(7) {
            assert!(got.is_none());
            buf.extend_from_slice(chunk);
            got = p.parse(&mut buf, &ParseLimits::default()).unwrap();
        }
        assert_eq!(got, Some(argv(&[b"SET", b"k", &value])));
        assert!(buf.is_empty());
    }

    #[test]
    fn bulks_are_binary_safe() {
        let (cmds, err, _) = parse_all(b"*2\r\n$3\r\nSET\r\n$6\r\na\r\n\0b\n\r\n");
        assert_eq!(cmds, vec![argv(&[b"SET", b"a\r\n\0b\n"])]);
        assert!(err.is_none());
    }

    #[test]
    fn an_empty_bulk_is_an_empty_argument() {
        let (cmds, _, _) = parse_all(b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
        assert_eq!(cmds, vec![argv(&[b"ECHO", b""])]);
    }

    #[test]
    fn arguments_share_one_frame_instead_of_being_copied() {
        let mut p = RequestParser::new();
        let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"[..]);
        let start = buf.as_ptr() as usize;
        let cmd = p.parse(&mut buf, &ParseLimits::default()).unwrap().unwrap();
        assert_eq!(cmd[0].as_ptr() as usize, start + 8);
        assert_eq!(cmd[1].as_ptr() as usize, start + 17);
    }

    #[test]
    fn empty_and_negative_multibulks_are_skipped_silently() {
        let (cmds, err, rest) = parse_all(b"*0\r\n*-1\r\n*-7\r\n*1\r\n$4\r\nPING\r\n*0\r\n");
        assert_eq!(cmds, vec![argv(&[b"PING"])]);
        assert!(err.is_none());
        assert!(rest.is_empty());
    }

    #[test]
    fn blank_inline_lines_are_skipped_silently() {
        let (cmds, err, rest) = parse_all(b"\r\n\n   \r\nPING\r\n");
        assert_eq!(cmds, vec![argv(&[b"PING"])]);
        assert!(err.is_none());
        assert!(rest.is_empty());
    }

    #[test]
    fn inline_lines_end_at_lf_with_or_without_cr() {
        let (cmds, _, rest) = parse_all(b"SET k v\nGET k\r\nGET");
        assert_eq!(
            cmds,
            vec![argv(&[b"SET", b"k", b"v"]), argv(&[b"GET", b"k"])]
        );
        assert_eq!(&rest[..], b"GET");
    }

    #[test]
    fn inline_arguments_follow_quoting_rules() {
        let (cmds, _, _) = parse_all(b"SET k \"a b\\x41\"\r\n");
        assert_eq!(cmds, vec![argv(&[b"SET", b"k", b"a bA"])]);
    }

    #[test]
    fn unbalanced_quotes_are_a_protocol_error() {
        assert_eq!(
            error_of(b"SET k \"abc\r\n"),
            "ERR Protocol error: unbalanced quotes in request"
        );
    }

    #[test]
    fn an_inline_line_without_newline_past_64k_is_too_big() {
        let mut wire = vec![b'a'; 64 * 1024];
        assert!(parse_all(&wire).1.is_none());
        wire.push(b'a');
        assert_eq!(
            error_of(&wire),
            "ERR Protocol error: too big inline request"
        );
    }

    #[test]
    fn a_long_inline_line_that_has_its_newline_is_accepted() {
        let mut wire = vec![b'a'; 100 * 1024];
        wire.extend_from_slice(b"\r\n");
        let (cmds, err, _) = parse_all(&wire);
        assert_eq!(cmds.len(), 1);
        assert!(err.is_none());
    }

    #[test]
    fn a_length_line_is_read_only_whole_and_of_its_kind() {
        assert_eq!(length_line(b"*2\r\n$3\r\n", 0, b'*'), Some((2, 4)));
        assert_eq!(length_line(b"*2\r\n$3\r\n", 4, b'$'), Some((3, 8)));
        for (input, kind) in [
            (&b"*2\r\n"[..], b'$'),
            (b"*2\r", b'*'),
            (b"*2", b'*'),
            (b"*-1\r\n", b'*'),
            (b"*02\r\n", b'*'),
            (b"*\r\n", b'*'),
            (b"$123456789012345678901\r\n", b'$'),
        ] {
            assert_eq!(length_line(input, 0, kind), None, "{input:?}");
        }
    }

    #[test]
    fn a_count_that_is_not_a_number_is_an_invalid_multibulk_length() {
        for wire in [
            &b"*x\r\n"[..],
            b"*\r\n",
            b"*+1\r\n",
            b"*01\r\n",
            b"* 1\r\n",
            b"*-0\r\n",
        ] {
            assert_eq!(
                error_of(wire),
                "ERR Protocol error: invalid multibulk length",
                "{wire:?}"
            );
        }
    }

    #[test]
    fn a_count_above_int_max_is_an_invalid_multibulk_length() {
        assert_eq!(
            error_of(b"*2147483648\r\n"),
            "ERR Protocol error: invalid multibulk length"
        );
        let (_, err, _) = parse_all(b"*2147483647\r\n$1\r\na\r\n");
        assert!(err.is_none());
    }

    #[test]
    fn a_count_line_past_64k_without_cr_is_too_big() {
        let mut wire = b"*1".to_vec();
        wire.resize(64 * 1024 + 1, b'1');
        assert_eq!(
            error_of(&wire),
            "ERR Protocol error: too big mbulk count string"
        );
    }

    #[test]
    fn a_count_line_waits_for_the_byte_after_its_cr() {
        let (cmds, err, rest) = parse_all(b"*1\r");
        assert!(cmds.is_empty() && err.is_none());
        assert_eq!(&rest[..], b"*1\r");
    }

    #[test]
    fn a_missing_dollar_names_the_byte_found() {
        assert_eq!(
            error_of(b"*1\r\n:3\r\nGET\r\n"),
            "ERR Protocol error: expected '$', got ':'"
        );
        assert_eq!(
            error_of(b"*1\r\n\r\n"),
            "ERR Protocol error: expected '$', got ' '"
        );
    }

    #[test]
    fn a_missing_dollar_is_only_seen_once_the_line_is_complete() {
        let (_, err, _) = parse_all(b"*1\r\nGET");
        assert!(err.is_none());
    }

    #[test]
    fn a_bad_bulk_length_is_an_invalid_bulk_length() {
        for wire in [
            &b"*1\r\n$-1\r\n"[..],
            b"*1\r\n$x\r\n",
            b"*1\r\n$\r\n",
            b"*1\r\n$03\r\n",
        ] {
            assert_eq!(
                error_of(wire),
                "ERR Protocol error: invalid bulk length",
                "{wire:?}"
            );
        }
    }

    #[test]
    fn a_bulk_longer_than_proto_max_bulk_len_is_refused() {
        let limits = ParseLimits {
            max_bulk_len: 10,
            ..ParseLimits::default()
        };
        let (_, err, _) = parse_all_with(b"*1\r\n$10\r\n", &limits, false);
        assert!(err.is_none());
        let (_, err, _) = parse_all_with(b"*1\r\n$11\r\n", &limits, false);
        assert_eq!(
            err.unwrap().message(),
            "ERR Protocol error: invalid bulk length"
        );
    }

    #[test]
    fn a_bulk_length_line_past_64k_without_cr_is_too_big() {
        let mut wire = b"*1\r\n$1".to_vec();
        wire.resize(4 + 64 * 1024 + 1, b'1');
        assert_eq!(
            error_of(&wire),
            "ERR Protocol error: too big bulk count string"
        );
    }

    #[test]
    fn the_bytes_after_a_bulk_are_skipped_unchecked_like_redis() {
        let (cmds, err, _) = parse_all(b"*1\r\n$4\r\nPINGxy");
        assert_eq!(cmds, vec![argv(&[b"PING"])]);
        assert!(err.is_none());
    }

    #[test]
    fn before_auth_big_counts_and_bulks_are_refused() {
        let limits = ParseLimits::default();
        let (_, err, _) = parse_all_with(b"*11\r\n", &limits, true);
        assert_eq!(
            err.unwrap().message(),
            "ERR Protocol error: unauthenticated multibulk length"
        );
        let (_, err, _) = parse_all_with(b"*1\r\n$16385\r\n", &limits, true);
        assert_eq!(
            err.unwrap().message(),
            "ERR Protocol error: unauthenticated bulk length"
        );
        let (_, err, _) = parse_all_with(b"*10\r\n$16384\r\n", &limits, true);
        assert!(err.is_none());
    }

    #[test]
    fn commands_read_ahead_meet_limits_that_tightened_meanwhile() {
        // RESET may make a client authenticate again halfway through a pipeline: the commands
        // after it get the pre-authentication limits, as if they had not been read yet.
        let limits = ParseLimits::default();
        let mut p = RequestParser::new();
        let mut input = b"*1\r\n$5\r\nRESET\r\n*11\r\n".to_vec();
        for _ in 0..11 {
            input.extend_from_slice(b"$1\r\nx\r\n");
        }
        let mut buf = BytesMut::from(&input[..]);
        assert_eq!(p.parse(&mut buf, &limits).unwrap(), Some(argv(&[b"RESET"])));
        assert_eq!(p.pending_bytes(), input.len() - 15);
        p.set_auth_required(true);
        assert_eq!(
            p.parse(&mut buf, &limits).unwrap_err().message(),
            "ERR Protocol error: unauthenticated multibulk length"
        );
    }

    #[test]
    fn an_error_closes_the_connection() {
        let (_, err, _) = parse_all(b"*x\r\n");
        assert!(err.unwrap().closes_connection());
    }

    /// A pipelined stream mixing every request shape, cut at random points, must give the same
    /// commands as when it arrives whole.
    #[test]
    fn random_splits_of_a_pipeline_give_the_same_commands() {
        let mut rng = SmallRng::seed_from_u64(0x7e55e7a);
        let mut wire = Vec::new();
        for i in 0..200 {
            match i % 5 {
                0 => wire.extend_from_slice(b"*2\r\n$3\r\nGET\r\n$5\r\nk\r\n\0x\r\n"),
                1 => wire.extend_from_slice(b"SET k \"v w\"\r\n"),
                2 => wire.extend_from_slice(b"*0\r\n\r\n"),
                3 => {
                    let len = rng.gen_range(0..70_000);
                    let body: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
                    wire.extend_from_slice(format!("*2\r\n$4\r\nECHO\r\n${len}\r\n").as_bytes());
                    wire.extend_from_slice(&body);
                    wire.extend_from_slice(b"\r\n");
                }
                _ => wire.extend_from_slice(b"PING\n"),
            }
        }
        let (whole, err, rest) = parse_all(&wire);
        assert!(err.is_none() && rest.is_empty());
        assert_eq!(whole.len(), 160);

        for _ in 0..20 {
            let mut p = RequestParser::new();
            let mut buf = BytesMut::new();
            let mut got = Vec::new();
            let mut at = 0;
            while at < wire.len() {
                let step = if rng.gen_bool(0.5) {
                    rng.gen_range(1..8)
                } else {
                    rng.gen_range(1..20_000)
                };
                let end = (at + step).min(wire.len());
                buf.extend_from_slice(&wire[at..end]);
                at = end;
                while let Some(cmd) = p.parse(&mut buf, &ParseLimits::default()).unwrap() {
                    got.push(cmd);
                }
            }
            assert_eq!(got, whole);
            assert!(buf.is_empty());
        }
    }

    #[test]
    fn lengths_follow_string2ll() {
        assert_eq!(parse_len(b"0"), Some(0));
        assert_eq!(parse_len(b"-12"), Some(-12));
        assert_eq!(parse_len(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_len(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_len(b"9223372036854775808"), None);
        for bad in [&b""[..], b"-", b"-0", b"00", b"+1", b"1 ", b"1.0"] {
            assert_eq!(parse_len(bad), None, "{bad:?}");
        }
    }
}

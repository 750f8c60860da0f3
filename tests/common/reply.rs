//! Replies as values a test compares: `assert_eq!(run(&mut c, "GET k"), bulk("v"))`.
//!
//! `Reply` keeps an error reply's full text ("ERR syntax error"), which `redis::Value` splits
//! into a code and a detail, and prints bulk strings as text in assertion messages.

use std::collections::BTreeMap;
use std::fmt;

use redis::ConnectionLike;

/// One reply from the server, RESP2 or RESP3.
#[derive(Clone, PartialEq)]
pub enum Reply {
    /// `$-1`, `*-1` or RESP3 `_`.
    Nil,
    /// `:n`.
    Int(i64),
    /// `$n` followed by the bytes.
    Bulk(Vec<u8>),
    /// `+text`.
    Status(String),
    /// `-text`, the whole line without the dash.
    Error(String),
    /// `*n` and its elements.
    Array(Vec<Reply>),
    /// RESP3 `%n`.
    Map(Vec<(Reply, Reply)>),
    /// RESP3 `~n`.
    Set(Vec<Reply>),
    /// RESP3 `,`.
    Double(f64),
    /// RESP3 `#t` or `#f`.
    Bool(bool),
    /// RESP3 `=`, the text after its format prefix.
    Verbatim(String),
    /// RESP3 `(`.
    BigNumber(String),
    /// RESP3 `>`.
    Push(Vec<Reply>),
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Nil => write!(f, "nil"),
            Reply::Int(n) => write!(f, "int({n})"),
            Reply::Bulk(b) => write!(f, "bulk(\"{}\")", b.escape_ascii()),
            Reply::Status(s) => write!(f, "status({s:?})"),
            Reply::Error(s) => write!(f, "err({s:?})"),
            Reply::Array(v) => f.debug_list().entries(v).finish(),
            Reply::Map(m) => f
                .debug_map()
                .entries(m.iter().map(|(k, v)| (k, v)))
                .finish(),
            Reply::Set(v) => write!(f, "set{v:?}"),
            Reply::Double(d) => write!(f, "double({d})"),
            Reply::Bool(b) => write!(f, "bool({b})"),
            Reply::Verbatim(s) => write!(f, "verbatim({s:?})"),
            Reply::BigNumber(s) => write!(f, "bignum({s})"),
            Reply::Push(v) => write!(f, "push{v:?}"),
        }
    }
}

impl From<redis::Value> for Reply {
    fn from(v: redis::Value) -> Reply {
        use redis::Value as V;
        match v {
            V::Nil => Reply::Nil,
            V::Int(n) => Reply::Int(n),
            V::BulkString(b) => Reply::Bulk(b),
            V::Array(v) => Reply::Array(v.into_iter().map(Reply::from).collect()),
            V::SimpleString(s) => Reply::Status(s),
            V::Okay => Reply::Status("OK".into()),
            V::Map(m) => Reply::Map(m.into_iter().map(|(k, v)| (k.into(), v.into())).collect()),
            V::Attribute { data, .. } => Reply::from(*data),
            V::Set(v) => Reply::Set(v.into_iter().map(Reply::from).collect()),
            V::Double(d) => Reply::Double(d),
            V::Boolean(b) => Reply::Bool(b),
            V::VerbatimString { text, .. } => Reply::Verbatim(text),
            V::BigNumber(n) => Reply::BigNumber(n.to_string()),
            V::Push { data, .. } => Reply::Push(data.into_iter().map(Reply::from).collect()),
            V::ServerError(e) => Reply::Error(match e.details() {
                Some(detail) => format!("{} {detail}", e.code()),
                None => e.code().to_string(),
            }),
        }
    }
}

impl Reply {
    /// The bytes of a bulk string or the text of a status; panics on anything else.
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Reply::Bulk(b) => b.clone(),
            Reply::Status(s) | Reply::Verbatim(s) => s.clone().into_bytes(),
            other => panic!("expected a string reply, got {other:?}"),
        }
    }

    /// A bulk string or status as UTF-8 text; panics on anything else.
    pub fn text(&self) -> String {
        String::from_utf8(self.bytes()).expect("reply is UTF-8")
    }

    /// An integer reply; panics on anything else.
    pub fn int(&self) -> i64 {
        match self {
            Reply::Int(n) => *n,
            other => panic!("expected an integer reply, got {other:?}"),
        }
    }

    /// The elements of an array (or RESP3 set or push); panics on anything else.
    pub fn items(&self) -> Vec<Reply> {
        match self {
            Reply::Array(v) | Reply::Set(v) | Reply::Push(v) => v.clone(),
            other => panic!("expected an array reply, got {other:?}"),
        }
    }

    /// The elements of an array of bulk strings, as text.
    pub fn texts(&self) -> Vec<String> {
        self.items().iter().map(Reply::text).collect()
    }

    /// True for an error reply.
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }
}

/// `+OK`.
pub fn ok() -> Reply {
    Reply::Status("OK".into())
}

/// A status reply such as `+PONG`.
pub fn status(s: &str) -> Reply {
    Reply::Status(s.into())
}

/// An error reply with this full text, e.g. `err("ERR syntax error")`.
pub fn err(text: &str) -> Reply {
    Reply::Error(text.into())
}

/// A bulk string.
pub fn bulk(b: impl AsRef<[u8]>) -> Reply {
    Reply::Bulk(b.as_ref().to_vec())
}

/// An integer.
pub fn int(n: i64) -> Reply {
    Reply::Int(n)
}

/// A null reply.
pub fn nil() -> Reply {
    Reply::Nil
}

/// A RESP3 double.
pub fn double(d: f64) -> Reply {
    Reply::Double(d)
}

/// An array of these replies.
pub fn array(items: Vec<Reply>) -> Reply {
    Reply::Array(items)
}

/// An array of bulk strings.
pub fn bulks(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(bulk).collect())
}

/// Sends one command written the way redis-cli takes it (words split on spaces, "double" or
/// 'single' quotes for arguments with spaces or escapes) and returns the reply. Errors are
/// replies too: only a broken connection panics.
pub fn run(conn: &mut redis::Connection, line: &str) -> Reply {
    let args = split_args(line).unwrap_or_else(|| panic!("unbalanced quotes in {line:?}"));
    run_args(conn, &args)
}

/// Sends one command given as separate arguments (any bytes) and returns the reply.
pub fn run_args<A: AsRef<[u8]>>(conn: &mut redis::Connection, args: &[A]) -> Reply {
    assert!(!args.is_empty(), "a command needs a name");
    let mut cmd = redis::Cmd::new();
    for a in args {
        cmd.arg(a.as_ref());
    }
    match conn.req_command(&cmd) {
        Ok(v) => Reply::from(v),
        Err(e) => panic!("command {:?} failed on the wire: {e}", show_args(args)),
    }
}

fn show_args<A: AsRef<[u8]>>(args: &[A]) -> Vec<String> {
    args.iter()
        .map(|a| a.as_ref().escape_ascii().to_string())
        .collect()
}

/// Splits a command line like redis-cli does (`sdssplitargs`). None on unbalanced quotes.
fn split_args(line: &str) -> Option<Vec<Vec<u8>>> {
    let bytes = line.as_bytes();
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == bytes.len() {
            return Some(args);
        }
        let mut cur = Vec::new();
        match bytes[i] {
            b'"' => {
                i += 1;
                loop {
                    match *bytes.get(i)? {
                        b'"' => break,
                        b'\\' => {
                            i += 1;
                            let c = *bytes.get(i)?;
                            if c == b'x' && i + 2 < bytes.len() {
                                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
                                cur.push(u8::from_str_radix(hex, 16).ok()?);
                                i += 2;
                            } else {
                                cur.push(match c {
                                    b'n' => b'\n',
                                    b'r' => b'\r',
                                    b't' => b'\t',
                                    b'b' => 8,
                                    b'a' => 7,
                                    other => other,
                                });
                            }
                        }
                        c => cur.push(c),
                    }
                    i += 1;
                }
                i += 1;
            }
            b'\'' => {
                i += 1;
                loop {
                    match *bytes.get(i)? {
                        b'\'' => break,
                        b'\\' if bytes.get(i + 1) == Some(&b'\'') => {
                            cur.push(b'\'');
                            i += 1;
                        }
                        c => cur.push(c),
                    }
                    i += 1;
                }
                i += 1;
            }
            _ => {
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                    cur.push(bytes[i]);
                    i += 1;
                }
            }
        }
        args.push(cur);
    }
}

/// An integer reply within `lo..=hi` (a TTL, a time).
pub fn assert_between(r: Reply, lo: i64, hi: i64) {
    let n = r.int();
    assert!((lo..=hi).contains(&n), "{n} is not within {lo}..={hi}");
}

/// INFO `section` parsed into its `field:value` lines.
pub fn info_section(conn: &mut redis::Connection, section: &str) -> BTreeMap<String, String> {
    let text = run_args(conn, &["INFO", section]).text();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// One field of INFO `section`, or None if the server does not print it.
pub fn info_field(conn: &mut redis::Connection, section: &str, field: &str) -> Option<String> {
    info_section(conn, section).remove(field)
}

/// INFO `section`'s `field`; panics when it is missing.
pub fn info(c: &mut redis::Connection, section: &str, field: &str) -> String {
    info_field(c, section, field).unwrap_or_else(|| panic!("INFO {section} has no {field}"))
}

/// Waits until `f` is true, or panics with `what` after `timeout`.
pub fn wait_until(timeout: std::time::Duration, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + timeout;
    while !f() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

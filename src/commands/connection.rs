//! The connection family: commands about the caller's own connection (PING, ECHO, QUIT, SELECT,
//! AUTH, HELLO, RESET).
//!
//! Owns: authentication of the `default` user against `requirepass`, the protocol switch, and the
//! selected DB. Runs on: the connection's executor. Must not: touch the keyspace or another
//! connection (CLIENT is `commands::client`).

use bytes::Bytes;

use super::args::parse_i64;
use super::ctx::ConnCtx;
use super::settings;
use super::table::flags::*;
use super::table::{CmdResult, CommandTable, Handler::Conn, KeySpec};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::client::ClientState;
use crate::server::shared::shared;

/// Registers the family's commands.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    const HANDSHAKE: u32 = NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY;
    //     name     arity  flags                    keys           handler
    t.add("ping",     -1,  FAST,                    KeySpec::NONE, Conn(ping));
    t.add("echo",      2,  LOADING | STALE | FAST,  KeySpec::NONE, Conn(echo));
    t.add("select",    2,  LOADING | STALE | FAST,  KeySpec::NONE, Conn(select));
    t.add("quit",     -1,  HANDSHAKE,               KeySpec::NONE, Conn(quit));
    t.add("auth",     -2,  HANDSHAKE,               KeySpec::NONE, Conn(auth));
    t.add("hello",    -1,  HANDSHAKE,               KeySpec::NONE, Conn(hello));
    t.add("reset",     1,  HANDSHAKE,               KeySpec::NONE, Conn(reset));
}

/// PING [message]
///
/// `+PONG`, or the message as a bulk string. A RESP2 connection in pub/sub mode, which reads
/// only arrays, gets `["pong", message]` instead, the message being empty when none is given.
fn ping(cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    if args.len() > 2 {
        return Err(CmdError::WrongArity("ping".into()));
    }
    if cx.client.resp == 2 && cx.client.subs.any() {
        let message = args.get(1).cloned().unwrap_or_default();
        return Ok(Reply::Array(vec![
            Reply::bulk("pong"),
            Reply::Bulk(message),
        ]));
    }
    match args.len() {
        1 => Ok(Reply::status("PONG")),
        _ => Ok(Reply::Bulk(args[1].clone())),
    }
}

/// ECHO message
fn echo(_cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    Ok(Reply::Bulk(args[1].clone()))
}

/// QUIT
///
/// Answers OK, then the connection closes once its pending replies are sent.
fn quit(cx: &mut ConnCtx<'_>, _args: &[Bytes]) -> CmdResult {
    cx.client.close_after_reply = true;
    Ok(Reply::Ok)
}

/// SELECT index
fn select(cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    let db = parse_db_index(&args[1], shared().databases)?;
    cx.client.db = db;
    Ok(Reply::Ok)
}

/// Reads a DB index the way SELECT does: not a 32-bit integer is `NotInteger`, a number outside
/// `0..databases` is `DbIndexOutOfRange`.
pub fn parse_db_index(arg: &[u8], databases: usize) -> Result<usize, CmdError> {
    let n = parse_i64(arg)
        .filter(|n| i32::try_from(*n).is_ok())
        .ok_or(CmdError::NotInteger)?;
    if n < 0 || n as usize >= databases {
        return Err(CmdError::DbIndexOutOfRange);
    }
    Ok(n as usize)
}

/// AUTH [username] password
///
/// Only the `default` user exists; its password is `requirepass`, and without one it takes any
/// password (but the one-argument form is refused, as a hint that the configuration is wrong).
/// A failed attempt leaves the connection as authenticated as it was.
fn auth(cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    let (user, pass): (&[u8], &[u8]) = match args.len() {
        2 => (b"default", &args[1]),
        3 => (&args[1], &args[2]),
        _ => return Err(CmdError::Syntax),
    };
    let required = settings::requirepass();
    if args.len() == 2 && required.is_none() {
        return Err(CmdError::AuthWithoutPassword);
    }
    if !credentials_match(user, pass, required.as_deref()) {
        return Err(CmdError::WrongPass);
    }
    cx.client.authenticated = true;
    Ok(Reply::Ok)
}

/// True when `user`/`pass` authenticate as the `default` user, whose password is `required`
/// (`None`: any password).
pub fn credentials_match(user: &[u8], pass: &[u8], required: Option<&str>) -> bool {
    user == b"default" && required.is_none_or(|p| p.as_bytes() == pass)
}

/// What HELLO asks for, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelloArgs {
    /// The protocol version to switch to; `None` keeps the current one.
    pub version: Option<u8>,
    /// The options, in order: they run one after the other, and the first failure stops them.
    pub options: Vec<HelloOption>,
}

/// One HELLO option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelloOption {
    /// `AUTH username password`.
    Auth(Bytes, Bytes),
    /// `SETNAME name`.
    SetName(Bytes),
    /// Anything else (or an option missing its arguments): fails when reached.
    Unknown(Bytes),
}

impl HelloArgs {
    /// Parses `HELLO [protover [AUTH username password] [SETNAME clientname]]`. Only the version
    /// is checked here; an unknown option is kept so that it fails in its turn, after the options
    /// before it ran, as in Redis.
    pub fn parse(args: &[Bytes]) -> Result<HelloArgs, CmdError> {
        let mut version = None;
        let mut options = Vec::new();
        if args.len() >= 2 {
            let v = parse_i64(&args[1]).ok_or(CmdError::ProtoVersionNotInteger)?;
            if !(2..=3).contains(&v) {
                return Err(CmdError::NoProto);
            }
            version = Some(v as u8);
        }
        let mut i = 2;
        while i < args.len() {
            let more = args.len() - 1 - i;
            let opt = &args[i];
            if opt.eq_ignore_ascii_case(b"auth") && more >= 2 {
                options.push(HelloOption::Auth(args[i + 1].clone(), args[i + 2].clone()));
                i += 3;
            } else if opt.eq_ignore_ascii_case(b"setname") && more >= 1 {
                options.push(HelloOption::SetName(args[i + 1].clone()));
                i += 2;
            } else {
                options.push(HelloOption::Unknown(opt.clone()));
                break;
            }
        }
        Ok(HelloArgs { version, options })
    }
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
///
/// Runs the options in order, then switches the protocol and answers a map describing the
/// server. The reply is encoded in the new protocol.
fn hello(cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    let req = HelloArgs::parse(args)?;
    hello_generic(cx.client, req, settings::requirepass().as_deref())
}

fn hello_generic(client: &mut ClientState, req: HelloArgs, required: Option<&str>) -> CmdResult {
    for opt in req.options {
        match opt {
            HelloOption::Auth(user, pass) => {
                if !credentials_match(&user, &pass, required) {
                    return Err(CmdError::WrongPass);
                }
                client.authenticated = true;
            }
            HelloOption::SetName(name) => set_client_name(client, name)?,
            HelloOption::Unknown(opt) => return Err(CmdError::HelloOption(opt)),
        }
    }
    if !client.authenticated {
        return Err(CmdError::HelloNoAuth);
    }
    if let Some(v) = req.version {
        client.resp = v;
    }
    Ok(hello_reply(client))
}

/// The map HELLO answers: who the server is and who the client is to it.
pub fn hello_reply(client: &ClientState) -> Reply {
    let s = |t: &'static str| Reply::Bulk(Bytes::from_static(t.as_bytes()));
    Reply::Map(vec![
        (s("server"), s("redis")),
        (s("version"), s(REDIS_VERSION)),
        (s("proto"), Reply::Int(client.resp as i64)),
        (s("id"), Reply::Int(client.id as i64)),
        (s("mode"), s("standalone")),
        (
            s("role"),
            s(if crate::replication::is_replica() {
                "replica"
            } else {
                "master"
            }),
        ),
        (s("modules"), Reply::Array(Vec::new())),
    ])
}

/// The Redis version Tessera answers as (HELLO, INFO's `redis_version`).
pub const REDIS_VERSION: &str = "7.0.15";

/// Sets or (with an empty name) clears the connection's name. Names must be printable ASCII
/// without spaces, so that CLIENT LIST stays splittable on spaces.
pub fn set_client_name(client: &mut ClientState, name: Bytes) -> Result<(), CmdError> {
    if !is_printable_word(&name) {
        return Err(CmdError::InvalidClientName);
    }
    client.name = name;
    Ok(())
}

/// True when every byte is in `!`..=`~` (the empty string included).
pub fn is_printable_word(b: &[u8]) -> bool {
    b.iter().all(|c| (b'!'..=b'~').contains(c))
}

/// RESET
///
/// Returns the connection to the state of a new one: DB 0, RESP2, no name, no subscriptions
/// (dropped without a word), and authenticated only if the default user needs no password.
fn reset(cx: &mut ConnCtx<'_>, _args: &[Bytes]) -> CmdResult {
    let c = &mut *cx.client;
    crate::server::pubsub::unsubscribe_all(c);
    c.db = 0;
    c.resp = 2;
    c.name = Bytes::new();
    c.flags = "N";
    c.authenticated = settings::requirepass().is_none();
    c.multi = None;
    crate::server::transaction::unwatch_all(c.id);
    Ok(Reply::status("RESET"))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::commands::session::args as argv;

    fn client() -> ClientState {
        ClientState::new(7, -1, None, None, false)
    }

    #[test]
    fn select_rejects_non_integers_and_out_of_range_indices() {
        assert_eq!(parse_db_index(b"3", 16), Ok(3));
        assert_eq!(parse_db_index(b"16", 16), Err(CmdError::DbIndexOutOfRange));
        assert_eq!(parse_db_index(b"-1", 16), Err(CmdError::DbIndexOutOfRange));
        assert_eq!(parse_db_index(b"x", 16), Err(CmdError::NotInteger));
        assert_eq!(parse_db_index(b"4294967296", 16), Err(CmdError::NotInteger));
    }

    #[test]
    fn hello_checks_the_version_before_anything_else() {
        assert_eq!(
            HelloArgs::parse(&argv("HELLO x")),
            Err(CmdError::ProtoVersionNotInteger)
        );
        assert_eq!(HelloArgs::parse(&argv("HELLO 4")), Err(CmdError::NoProto));
        assert_eq!(HelloArgs::parse(&argv("HELLO 1")), Err(CmdError::NoProto));
        let req = HelloArgs::parse(&argv("HELLO 3 SETNAME me AUTH default pw")).unwrap();
        assert_eq!(req.version, Some(3));
        assert_eq!(
            req.options,
            vec![
                HelloOption::SetName(Bytes::from("me")),
                HelloOption::Auth(Bytes::from("default"), Bytes::from("pw"))
            ]
        );
        let req = HelloArgs::parse(&argv("HELLO 3 AUTH default")).unwrap();
        assert_eq!(req.options, vec![HelloOption::Unknown(Bytes::from("AUTH"))]);
    }

    #[test]
    fn hello_without_auth_is_refused_on_a_locked_server() {
        let mut c = client();
        let req = HelloArgs::parse(&argv("HELLO 3")).unwrap();
        assert_eq!(
            hello_generic(&mut c, req, Some("pw")),
            Err(CmdError::HelloNoAuth)
        );
        assert_eq!(c.resp, 2);
        let req = HelloArgs::parse(&argv("HELLO 3 AUTH default nope")).unwrap();
        assert_eq!(
            hello_generic(&mut c, req, Some("pw")),
            Err(CmdError::WrongPass)
        );
        let req = HelloArgs::parse(&argv("HELLO 3 AUTH default pw SETNAME app")).unwrap();
        let r = hello_generic(&mut c, req, Some("pw")).unwrap();
        assert!(c.authenticated);
        assert_eq!(c.resp, 3);
        assert_eq!(c.name, Bytes::from("app"));
        let Reply::Map(pairs) = r else {
            panic!("HELLO answers a map")
        };
        assert_eq!(pairs.len(), 7);
        assert_eq!(pairs[2].1, Reply::Int(3));
        assert_eq!(pairs[3].1, Reply::Int(7));
    }

    #[test]
    fn hello_runs_options_in_order_until_one_fails() {
        let mut c = client();
        c.authenticated = true;
        let req = HelloArgs::parse(&argv("HELLO 3 SETNAME a BOGUS")).unwrap();
        assert_eq!(
            hello_generic(&mut c, req, None),
            Err(CmdError::HelloOption(Bytes::from("BOGUS")))
        );
        assert_eq!(c.name, Bytes::from("a"));
        assert_eq!(c.resp, 2);
    }

    #[test]
    fn the_default_user_takes_any_password_without_requirepass() {
        assert!(credentials_match(b"default", b"anything", None));
        assert!(!credentials_match(b"alice", b"anything", None));
        assert!(credentials_match(b"default", b"pw", Some("pw")));
        assert!(!credentials_match(b"default", b"pw2", Some("pw")));
    }

    #[test]
    fn client_names_are_printable_words() {
        let mut c = client();
        assert_eq!(
            set_client_name(&mut c, Bytes::from("a b")),
            Err(CmdError::InvalidClientName)
        );
        assert_eq!(
            set_client_name(&mut c, Bytes::from("a\nb")),
            Err(CmdError::InvalidClientName)
        );
        assert_eq!(set_client_name(&mut c, Bytes::from("ok-name")), Ok(()));
        assert_eq!(set_client_name(&mut c, Bytes::new()), Ok(()));
        assert!(c.name.is_empty());
    }
}

//! CLIENT: naming, listing and killing connections.
//!
//! Owns: the CLIENT LIST line (`client_line`), the filters of CLIENT LIST and CLIENT KILL, and
//! the subcommands that touch only the caller (ID, SETNAME, GETNAME, SETINFO, NO-EVICT…).
//! Commands that see other connections gather from every executor with one hop each, since a
//! connection lives on the executor that accepted it. Must not: keep a connection borrowed
//! across a hop, or close a socket itself (`server::connection::kill` asks its driver to).

use bytes::Bytes;
use futures_lite::future::BoxedLocal;
use std::fmt::Write as _;
use std::net::SocketAddr;

use super::args::parse_i64;
use super::connection::{is_printable_word, set_client_name};
use super::ctx::{AsyncCtx, ConnCtx};
use super::help::help_reply;
use super::table::flags::*;
use super::table::{sub, CmdResult, CommandTable, Handler, KeySpec};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::client::ClientState;
use crate::server::connection::{connections, kill};
use crate::server::shards::{hop, on_all_shards};
use crate::storage::clock::UnixMillis;

/// Registers the family's commands.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    use Handler::{Async, Conn};
    const SELF: u32 = NOSCRIPT | LOADING | STALE;
    const OTHERS: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
    t.add("client", -2, 0, KeySpec::NONE, Conn(container));
    for s in [
        //   name                  arity  flags            keys           handler
        sub("client|id",             2,  SELF,            KeySpec::NONE, Conn(id)),
        sub("client|info",           2,  SELF,            KeySpec::NONE, Async(info)),
        sub("client|list",          -2,  OTHERS,          KeySpec::NONE, Async(list)),
        sub("client|kill",          -3,  OTHERS,          KeySpec::NONE, Async(kill_cmd)),
        sub("client|unblock",       -3,  OTHERS,          KeySpec::NONE, Async(unblock)),
        sub("client|setname",        3,  SELF,            KeySpec::NONE, Conn(setname)),
        sub("client|getname",        2,  SELF,            KeySpec::NONE, Conn(getname)),
        sub("client|setinfo",        4,  SELF,            KeySpec::NONE, Conn(setinfo)),
        sub("client|no-evict",       3,  OTHERS,          KeySpec::NONE, Conn(no_evict)),
        sub("client|getredir",       2,  SELF,            KeySpec::NONE, Conn(getredir)),
        sub("client|trackinginfo",   2,  SELF,            KeySpec::NONE, Conn(trackinginfo)),
        sub("client|help",           2,  LOADING | STALE, KeySpec::NONE, Conn(help)),
    ] {
        t.add_sub("client", s);
    }
}

/// Only reached for a subcommand the table does not hold, which the dispatcher answers first.
fn container(_cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    Err(CmdError::UnknownSubcommand(args[1].clone(), "CLIENT"))
}

/// CLIENT ID
fn id(cx: &mut ConnCtx<'_>, _args: &[Bytes]) -> CmdResult {
    Ok(Reply::Int(cx.client.id as i64))
}

/// CLIENT SETNAME connection-name
///
/// An empty name clears the name.
fn setname(cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    set_client_name(cx.client, args[2].clone())?;
    Ok(Reply::Ok)
}

/// CLIENT GETNAME
fn getname(cx: &mut ConnCtx<'_>, _args: &[Bytes]) -> CmdResult {
    if cx.client.name.is_empty() {
        Ok(Reply::Nil)
    } else {
        Ok(Reply::Bulk(cx.client.name.clone()))
    }
}

/// CLIENT SETINFO <LIB-NAME libname | LIB-VER libver>
///
/// Records the client library's name or version (a Redis 7.2 addition that client libraries
/// send on connect).
fn setinfo(cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    let (attr, value) = (&args[2], &args[3]);
    let slot = if attr.eq_ignore_ascii_case(b"lib-name") {
        &mut cx.client.lib_name
    } else if attr.eq_ignore_ascii_case(b"lib-ver") {
        &mut cx.client.lib_ver
    } else {
        return Err(CmdError::UnrecognizedOption(attr.clone()));
    };
    if !is_printable_word(value) {
        return Err(CmdError::InvalidClientAttr(attr.clone()));
    }
    *slot = value.clone();
    Ok(Reply::Ok)
}

/// CLIENT NO-EVICT <ON | OFF>
///
/// Tessera does not evict clients; the flag is kept so that CLIENT LIST shows it.
fn no_evict(cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    if args[2].eq_ignore_ascii_case(b"on") {
        cx.client.flags = "e";
    } else if args[2].eq_ignore_ascii_case(b"off") {
        cx.client.flags = "N";
    } else {
        return Err(CmdError::Syntax);
    }
    Ok(Reply::Ok)
}

/// CLIENT GETREDIR
///
/// -1: client-side caching is never on, so nothing is redirected.
fn getredir(_cx: &mut ConnCtx<'_>, _args: &[Bytes]) -> CmdResult {
    Ok(Reply::Int(-1))
}

/// CLIENT TRACKINGINFO
///
/// Client-side caching is never on.
fn trackinginfo(_cx: &mut ConnCtx<'_>, _args: &[Bytes]) -> CmdResult {
    let s = |t: &'static str| Reply::Bulk(Bytes::from_static(t.as_bytes()));
    Ok(Reply::Map(vec![
        (s("flags"), Reply::Set(vec![s("off")])),
        (s("redirect"), Reply::Int(-1)),
        (s("prefixes"), Reply::Array(Vec::new())),
    ]))
}

/// CLIENT HELP
fn help(_cx: &mut ConnCtx<'_>, _args: &[Bytes]) -> CmdResult {
    Ok(help_reply(
        "CLIENT",
        &[
            "GETNAME",
            "    Return the name of this connection.",
            "GETREDIR",
            "    Return the id tracking redirects to; always -1 (no client-side caching).",
            "ID",
            "    Return the id of this connection.",
            "INFO",
            "    Return the CLIENT LIST line of this connection.",
            "KILL <ip:port>",
            "    Close the connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Close every connection matching all the options:",
            "    * ID <client-id>",
            "    * ADDR <ip:port>",
            "    * LADDR <ip:port>",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "    * USER <username>",
            "    * SKIPME (YES|NO)",
            "      Whether to spare this connection (default: yes).",
            "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <client-id> [<client-id> ...]]",
            "    Describe the open connections, one line each.",
            "NO-EVICT (ON|OFF)",
            "    Mark this connection as exempt from client eviction.",
            "SETINFO (LIB-NAME|LIB-VER) <value>",
            "    Record the client library's name or version.",
            "SETNAME <name>",
            "    Name this connection; an empty name clears it.",
            "TRACKINGINFO",
            "    Report this connection's client-side caching state.",
        ],
    ))
}

/// What CLIENT LIST shows of one connection, copied off its executor.
#[derive(Debug, Clone)]
pub struct ClientSnapshot {
    /// The command-visible state.
    pub state: ClientState,
    /// Bytes received and not yet parsed.
    pub qbuf: usize,
    /// Room left in the query buffer before it grows.
    pub qbuf_free: usize,
    /// Bytes of replies waiting to be sent.
    pub obl: usize,
    /// Capacity of the reply buffer.
    pub rbs: usize,
    /// Memory the connection holds: both buffers and its own record.
    pub tot_mem: usize,
    /// Waiting in a blocking command.
    pub blocked: bool,
}

/// Snapshots of this executor's connections (or only of `only`). Runs on: the executor owning
/// them, inside a hop; no connection is borrowed there.
fn local_snapshots(only: Option<u64>) -> Vec<ClientSnapshot> {
    let mut out = Vec::new();
    for conn in connections() {
        let Ok(c) = conn.try_borrow() else { continue };
        if only.is_some_and(|id| id != c.client.id) {
            continue;
        }
        out.push(ClientSnapshot {
            state: c.client.clone(),
            qbuf: c.query_buffer_len(),
            qbuf_free: c.inbuf.capacity() - c.inbuf.len(),
            obl: c.out.len(),
            rbs: c.out.capacity(),
            tot_mem: c.inbuf.capacity()
                + c.out.capacity()
                + std::mem::size_of::<crate::server::connection::Conn>(),
            blocked: crate::server::blocking::is_blocked(c.client.id),
        });
    }
    out
}

/// The peer address of the caller of an orchestrating command.
pub async fn caller_addr(cx: &AsyncCtx) -> Option<SocketAddr> {
    let me = cx.client_id;
    hop(cx.shard, move |_ks| {
        local_snapshots(Some(me))
            .into_iter()
            .next()
            .and_then(|s| s.state.addr)
    })
    .await
}

/// Every connection of every executor, in id (that is, connection) order.
async fn all_snapshots() -> Vec<ClientSnapshot> {
    let mut all: Vec<ClientSnapshot> = on_all_shards(|_ks| local_snapshots(None))
        .await
        .into_iter()
        .flatten()
        .collect();
    all.sort_by_key(|s| s.state.id);
    all
}

/// An address as CLIENT LIST shows it: `ip:port`, `[ipv6]:port`, or `?:0` when unknown.
pub fn format_addr(addr: Option<SocketAddr>) -> String {
    match addr {
        Some(a) => a.to_string(),
        None => "?:0".to_string(),
    }
}

/// The flags letters of a connection, in Redis's order: its role letters, `P` in pub/sub
/// mode, `x` in MULTI, `b` while blocked, `c` when it closes after its reply, and `N` when
/// there is nothing else to say.
fn flag_letters(state: &ClientState, blocked: bool) -> String {
    let mut f: String = state.flags.chars().filter(|&c| c != 'N').collect();
    let after_roles = |f: &String| f.find(|c| !"SOMPx".contains(c)).unwrap_or(f.len());
    if state.subs.any() {
        let at = f.find(|c| !"SOM".contains(c)).unwrap_or(f.len());
        f.insert(at, 'P');
    }
    if state.multi.is_some() {
        let at = after_roles(&f);
        f.insert(at, 'x');
    }
    if blocked {
        let at = after_roles(&f);
        f.insert(at, 'b');
    }
    if state.close_after_reply {
        let at = f.find('e').unwrap_or(f.len());
        f.insert(at, 'c');
    }
    if f.is_empty() {
        f.push('N');
    }
    f
}

/// One CLIENT LIST line (without its newline), with Redis 7.0's fields in Redis 7.0's order.
/// `now` decides `age` and `idle`, in whole seconds.
pub fn client_line(s: &ClientSnapshot, now: UnixMillis) -> String {
    let c = &s.state;
    let age = now.as_secs().saturating_sub(c.created.as_secs());
    let idle = now.as_secs().saturating_sub(c.last_interaction.as_secs());
    let mut line = String::with_capacity(300);
    let _ = write!(
        line,
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} \
         multi={} qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs={} rbp={} obl={} oll=0 omem=0 \
         tot-mem={} events=r cmd={} user=default redir=-1 resp={}",
        c.id,
        format_addr(c.addr),
        format_addr(c.laddr),
        c.fd,
        String::from_utf8_lossy(&c.name),
        age,
        idle,
        flag_letters(c, s.blocked),
        c.db,
        c.subs.channels,
        c.subs.patterns,
        c.subs.shard_channels,
        c.multi.as_ref().map_or(-1, |q| q.commands.len() as i64),
        s.qbuf,
        s.qbuf_free,
        s.rbs,
        s.rbs,
        s.obl,
        s.tot_mem,
        c.last_cmd,
        c.resp,
    );
    line
}

/// The kinds of connection CLIENT LIST TYPE and CLIENT KILL TYPE select.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// An ordinary client.
    Normal,
    /// A replica fed by this server.
    Replica,
    /// The master this server replicates from.
    Master,
    /// A client in pub/sub mode.
    PubSub,
}

impl ClientKind {
    /// Reads a kind name (`normal`, `replica` or `slave`, `master`, `pubsub`), any case.
    pub fn parse(name: &[u8]) -> Result<ClientKind, CmdError> {
        let n = name.to_ascii_lowercase();
        match &n[..] {
            b"normal" => Ok(ClientKind::Normal),
            b"slave" | b"replica" => Ok(ClientKind::Replica),
            b"master" => Ok(ClientKind::Master),
            b"pubsub" => Ok(ClientKind::PubSub),
            _ => Err(CmdError::UnknownClientType(Bytes::copy_from_slice(name))),
        }
    }

    /// The kind of a connection, from its flags.
    pub fn of(state: &ClientState) -> ClientKind {
        if state.flags.contains('M') {
            ClientKind::Master
        } else if state.flags.contains('S') {
            ClientKind::Replica
        } else if state.subs.any() {
            ClientKind::PubSub
        } else {
            ClientKind::Normal
        }
    }
}

/// What CLIENT LIST selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListArgs {
    /// Every connection.
    All,
    /// Connections of one kind.
    Kind(ClientKind),
    /// These ids, in this order (missing ones are skipped).
    Ids(Vec<i64>),
}

impl ListArgs {
    /// Parses `CLIENT LIST [TYPE kind] [ID id [id ...]]` (one of the two options at most).
    pub fn parse(args: &[Bytes]) -> Result<ListArgs, CmdError> {
        if args.len() == 2 {
            Ok(ListArgs::All)
        } else if args.len() == 4 && args[2].eq_ignore_ascii_case(b"type") {
            Ok(ListArgs::Kind(ClientKind::parse(&args[3])?))
        } else if args.len() > 3 && args[2].eq_ignore_ascii_case(b"id") {
            args[3..]
                .iter()
                .map(|a| parse_i64(a).ok_or(CmdError::InvalidClientId))
                .collect::<Result<_, _>>()
                .map(ListArgs::Ids)
        } else {
            Err(CmdError::Syntax)
        }
    }
}

/// Joins lines the way CLIENT LIST does: each one ends with a newline.
fn join_lines<'a>(snaps: impl Iterator<Item = &'a ClientSnapshot>, now: UnixMillis) -> Bytes {
    let mut text = String::new();
    for s in snaps {
        text.push_str(&client_line(s, now));
        text.push('\n');
    }
    Bytes::from(text)
}

/// CLIENT LIST [TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]
fn list(_cx: AsyncCtx, args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let req = ListArgs::parse(&args)?;
        let all = all_snapshots().await;
        let now = UnixMillis::now();
        let text = match req {
            ListArgs::All => join_lines(all.iter(), now),
            ListArgs::Kind(k) => {
                join_lines(all.iter().filter(|s| ClientKind::of(&s.state) == k), now)
            }
            ListArgs::Ids(ids) => join_lines(
                ids.iter()
                    .filter_map(|&id| all.iter().find(|s| s.state.id as i64 == id)),
                now,
            ),
        };
        Ok(Reply::Verbatim("txt", text))
    })
}

/// CLIENT INFO
///
/// The caller's own CLIENT LIST line.
fn info(cx: AsyncCtx, _args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let me = cx.client_id;
        let snaps = hop(cx.shard, move |_ks| local_snapshots(Some(me))).await;
        Ok(Reply::Verbatim(
            "txt",
            join_lines(snaps.iter(), UnixMillis::now()),
        ))
    })
}

/// Which connections CLIENT KILL closes: those matching every given criterion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KillFilter {
    /// Peer address, as CLIENT LIST prints it.
    pub addr: Option<Bytes>,
    /// Local address, as CLIENT LIST prints it.
    pub laddr: Option<Bytes>,
    /// Client id.
    pub id: Option<u64>,
    /// Kind of connection.
    pub kind: Option<ClientKind>,
    /// Spare the caller.
    pub skipme: bool,
}

impl KillFilter {
    /// True when `state` matches every criterion. `caller` is the id of the connection asking.
    pub fn matches(&self, state: &ClientState, caller: u64) -> bool {
        let addr_ok = |want: &Option<Bytes>, have: Option<SocketAddr>| {
            want.as_ref()
                .is_none_or(|w| w[..] == *format_addr(have).as_bytes())
        };
        addr_ok(&self.addr, state.addr)
            && addr_ok(&self.laddr, state.laddr)
            && self.id.is_none_or(|id| id == state.id)
            && self.kind.is_none_or(|k| k == ClientKind::of(state))
            && !(self.skipme && state.id == caller)
    }
}

/// CLIENT KILL in either of its forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KillArgs {
    /// The old form `CLIENT KILL ip:port`: answers OK or an error rather than a count, and may
    /// kill the caller.
    pub old_form: bool,
    /// What to kill.
    pub filter: KillFilter,
}

impl KillArgs {
    /// Parses `CLIENT KILL ip:port` or `CLIENT KILL <option> <value> [...]`.
    pub fn parse(args: &[Bytes]) -> Result<KillArgs, CmdError> {
        if args.len() == 3 {
            return Ok(KillArgs {
                old_form: true,
                filter: KillFilter {
                    addr: Some(args[2].clone()),
                    ..KillFilter::default()
                },
            });
        }
        let mut f = KillFilter {
            skipme: true,
            ..KillFilter::default()
        };
        let mut i = 2;
        while i < args.len() {
            let (opt, Some(val)) = (&args[i], args.get(i + 1)) else {
                return Err(CmdError::Syntax);
            };
            let opt = opt.to_ascii_lowercase();
            match &opt[..] {
                b"id" => {
                    let id = parse_i64(val)
                        .filter(|&n| n >= 1)
                        .ok_or(CmdError::ClientIdNotPositive)?;
                    f.id = Some(id as u64);
                }
                b"type" => f.kind = Some(ClientKind::parse(val)?),
                b"addr" => f.addr = Some(val.clone()),
                b"laddr" => f.laddr = Some(val.clone()),
                b"user" => {
                    // `default` is the only user, and every connection is authenticated as it.
                    if &val[..] != b"default" {
                        return Err(CmdError::NoSuchUser(val.clone()));
                    }
                }
                b"skipme" => {
                    f.skipme = if val.eq_ignore_ascii_case(b"yes") {
                        true
                    } else if val.eq_ignore_ascii_case(b"no") {
                        false
                    } else {
                        return Err(CmdError::Syntax);
                    }
                }
                _ => return Err(CmdError::Syntax),
            }
            i += 2;
        }
        Ok(KillArgs {
            old_form: false,
            filter: f,
        })
    }
}

/// CLIENT UNBLOCK client-id [TIMEOUT | ERROR]
///
/// Ends the wait of a client blocked in a blocking command, wherever it is connected: as if its
/// timeout fired, or with an UNBLOCKED error. Replies 1 when it was blocked, else 0.
fn unblock(_cx: AsyncCtx, args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let id = crate::commands::args::parse_i64(&args[2]).ok_or(CmdError::NotInteger)?;
        let as_error = match args.get(3) {
            None => false,
            Some(r) if r.eq_ignore_ascii_case(b"timeout") => false,
            Some(r) if r.eq_ignore_ascii_case(b"error") => true,
            Some(_) => {
                return Err(CmdError::custom(
                    "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
                ))
            }
        };
        if args.len() > 4 {
            return Err(CmdError::custom(
                "ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.",
            ));
        }
        let Ok(id) = u64::try_from(id) else {
            return Ok(Reply::Int(0));
        };
        let unblocked = on_all_shards(move |_ks| {
            let reply = as_error.then(|| {
                Err(CmdError::custom(
                    "UNBLOCKED client unblocked via CLIENT UNBLOCK",
                ))
            });
            crate::server::blocking::unblock(id, reply)
        })
        .await;
        Ok(Reply::Int(unblocked.into_iter().any(|u| u) as i64))
    })
}

/// CLIENT KILL <ip:port | <option> <value> [<option> <value> ...]>
///
/// Asks each matching connection's executor to close it once its pending replies are sent. The
/// caller, when it matches, closes after this command's reply.
fn kill_cmd(cx: AsyncCtx, args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let req = KillArgs::parse(&args)?;
        let caller = cx.client_id;
        let filter = req.filter;
        let killed: usize = on_all_shards(move |_ks| {
            let ids: Vec<u64> = local_snapshots(None)
                .into_iter()
                .filter(|s| filter.matches(&s.state, caller))
                .map(|s| s.state.id)
                .collect();
            ids.into_iter().filter(|&id| kill(id)).count()
        })
        .await
        .into_iter()
        .sum();
        if !req.old_form {
            Ok(Reply::Int(killed as i64))
        } else if killed == 0 {
            Err(CmdError::NoSuchClient)
        } else {
            Ok(Reply::Ok)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::commands::session::args as argv;

    fn snapshot() -> ClientSnapshot {
        let mut state = ClientState::new(
            7,
            8,
            Some("127.0.0.1:45122".parse().unwrap()),
            Some("127.0.0.1:6379".parse().unwrap()),
            true,
        );
        state.created = UnixMillis(1_000_000);
        state.last_interaction = UnixMillis(1_004_000);
        state.last_cmd = "client|list";
        ClientSnapshot {
            state,
            qbuf: 0,
            qbuf_free: 16384,
            obl: 0,
            rbs: 16384,
            tot_mem: 33000,
            blocked: false,
        }
    }

    #[test]
    fn client_list_line_has_the_redis_7_0_fields_in_order() {
        let line = client_line(&snapshot(), UnixMillis(1_010_500));
        assert_eq!(
            line,
            "id=7 addr=127.0.0.1:45122 laddr=127.0.0.1:6379 fd=8 name= age=10 idle=6 flags=N db=0 \
             sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=16384 argv-mem=0 multi-mem=0 \
             rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=33000 events=r cmd=client|list \
             user=default redir=-1 resp=2"
        );
        let fields: Vec<&str> = line
            .split(' ')
            .map(|f| f.split('=').next().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "id",
                "addr",
                "laddr",
                "fd",
                "name",
                "age",
                "idle",
                "flags",
                "db",
                "sub",
                "psub",
                "ssub",
                "multi",
                "qbuf",
                "qbuf-free",
                "argv-mem",
                "multi-mem",
                "rbs",
                "rbp",
                "obl",
                "oll",
                "omem",
                "tot-mem",
                "events",
                "cmd",
                "user",
                "redir",
                "resp"
            ]
        );
    }

    #[test]
    fn flags_show_multi_blocked_closing_and_no_evict_in_redis_order() {
        let mut s = snapshot().state;
        assert_eq!(flag_letters(&s, false), "N");
        s.close_after_reply = true;
        assert_eq!(flag_letters(&s, false), "c");
        s.flags = "e";
        assert_eq!(flag_letters(&s, false), "ce");
        s.multi = Some(Default::default());
        assert_eq!(flag_letters(&s, true), "xbce");
        s.flags = "S";
        assert_eq!(flag_letters(&s, false), "Sxc");
    }

    #[test]
    fn unknown_addresses_print_as_redis_does() {
        assert_eq!(format_addr(None), "?:0");
        assert_eq!(
            format_addr(Some("[::1]:6379".parse().unwrap())),
            "[::1]:6379"
        );
    }

    #[test]
    fn client_list_options() {
        assert_eq!(ListArgs::parse(&argv("CLIENT LIST")), Ok(ListArgs::All));
        assert_eq!(
            ListArgs::parse(&argv("CLIENT LIST TYPE replica")),
            Ok(ListArgs::Kind(ClientKind::Replica))
        );
        assert_eq!(
            ListArgs::parse(&argv("CLIENT LIST TYPE foo")),
            Err(CmdError::UnknownClientType(Bytes::from("foo")))
        );
        assert_eq!(
            ListArgs::parse(&argv("CLIENT LIST ID 3 1")),
            Ok(ListArgs::Ids(vec![3, 1]))
        );
        assert_eq!(
            ListArgs::parse(&argv("CLIENT LIST ID x")),
            Err(CmdError::InvalidClientId)
        );
        assert_eq!(
            ListArgs::parse(&argv("CLIENT LIST TYPE")),
            Err(CmdError::Syntax)
        );
        assert_eq!(
            ListArgs::parse(&argv("CLIENT LIST foo bar")),
            Err(CmdError::Syntax)
        );
    }

    #[test]
    fn client_kill_old_form_may_kill_the_caller() {
        let k = KillArgs::parse(&argv("CLIENT KILL 127.0.0.1:45122")).unwrap();
        assert!(k.old_form);
        let me = snapshot().state;
        assert!(k.filter.matches(&me, me.id));
        let k = KillArgs::parse(&argv("CLIENT KILL ID")).unwrap();
        assert!(k.old_form);
    }

    #[test]
    fn client_kill_new_form_skips_the_caller_by_default() {
        let me = snapshot().state;
        let k = KillArgs::parse(&argv("CLIENT KILL ID 7")).unwrap();
        assert!(!k.old_form);
        assert!(!k.filter.matches(&me, 7));
        assert!(k.filter.matches(&me, 8));
        let k = KillArgs::parse(&argv("CLIENT KILL ID 7 SKIPME no")).unwrap();
        assert!(k.filter.matches(&me, 7));
        let k = KillArgs::parse(&argv("CLIENT KILL LADDR 127.0.0.1:6379 TYPE normal")).unwrap();
        assert!(k.filter.matches(&me, 1));
        let k = KillArgs::parse(&argv("CLIENT KILL TYPE master")).unwrap();
        assert!(!k.filter.matches(&me, 1));
    }

    #[test]
    fn client_kill_errors_follow_redis() {
        let e = |l: &str| KillArgs::parse(&argv(l)).unwrap_err();
        assert_eq!(e("CLIENT KILL ID 0"), CmdError::ClientIdNotPositive);
        assert_eq!(e("CLIENT KILL ID x"), CmdError::ClientIdNotPositive);
        assert_eq!(e("CLIENT KILL ID 5 SKIPME"), CmdError::Syntax);
        assert_eq!(e("CLIENT KILL ID 5 SKIPME maybe"), CmdError::Syntax);
        assert_eq!(
            e("CLIENT KILL USER bob"),
            CmdError::NoSuchUser(Bytes::from("bob"))
        );
        assert_eq!(
            e("CLIENT KILL TYPE foo"),
            CmdError::UnknownClientType(Bytes::from("foo"))
        );
        assert_eq!(e("CLIENT KILL FOO bar"), CmdError::Syntax);
    }
}

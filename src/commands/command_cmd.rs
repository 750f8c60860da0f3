//! COMMAND: the server describing its own commands, in the shapes client libraries parse
//! (redis-py and redis-rs read COMMAND INFO; redis-cli reads COMMAND DOCS for its help).
//!
//! Owns: turning a `CommandSpec` into Redis 7.0's ten-element COMMAND INFO entry and into a
//! COMMAND DOCS map, the ACL categories a command implies, and the key lookup of COMMAND
//! GETKEYS. Reads only the command table and `docs`; never the keyspace.

use bytes::Bytes;

use super::ctx::ConnCtx;
use super::docs::{doc, Arg};
use super::glob::glob_match;
use super::help::help_reply;
use super::table::flags::{self, *};
use super::table::{sub, CmdResult, CommandSpec, CommandTable, Handler::Conn, KeySpec};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::shared::shared;

/// Registers COMMAND and its subcommands.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    const F: u32 = LOADING | STALE;
    t.add("command", -1, F, KeySpec::NONE, Conn(all));
    for s in [
        //   name                       arity  flags  keys           handler
        sub("command|count",              2,  F,     KeySpec::NONE, Conn(count)),
        sub("command|info",              -2,  F,     KeySpec::NONE, Conn(info)),
        sub("command|docs",              -2,  F,     KeySpec::NONE, Conn(docs)),
        sub("command|list",              -2,  F,     KeySpec::NONE, Conn(list)),
        sub("command|getkeys",           -4,  F,     KeySpec::NONE, Conn(getkeys)),
        sub("command|getkeysandflags",   -4,  F,     KeySpec::NONE, Conn(getkeysandflags)),
        sub("command|help",               2,  F,     KeySpec::NONE, Conn(help)),
    ] {
        t.add_sub("command", s);
    }
}

fn s(text: &'static str) -> Reply {
    Reply::Bulk(Bytes::from_static(text.as_bytes()))
}

/// Top-level commands sorted by name, so that replies do not change from run to run.
fn sorted(table: &CommandTable) -> Vec<&CommandSpec> {
    let mut v: Vec<&CommandSpec> = table.iter().collect();
    v.sort_by_key(|c| c.name);
    v
}

fn sorted_subs(spec: &CommandSpec) -> Vec<&CommandSpec> {
    let mut v: Vec<&CommandSpec> = spec.subcommands.iter().collect();
    v.sort_by_key(|c| c.name);
    v
}

/// Finds a command by full name (`get`, `CONFIG|GET`), any case.
pub fn lookup<'t>(table: &'t CommandTable, name: &[u8]) -> Option<&'t CommandSpec> {
    let mut parts = name.splitn(2, |&b| b == b'|');
    let parent = table.get(parts.next()?)?;
    match parts.next() {
        None => Some(parent),
        Some(sub) => parent
            .subcommands
            .iter()
            .find(|s| short_name(s).as_bytes().eq_ignore_ascii_case(sub)),
    }
}

/// The part of a subcommand's name after `parent|`.
fn short_name(spec: &CommandSpec) -> &'static str {
    spec.name.rsplit('|').next().unwrap_or(spec.name)
}

/// ACL categories in the order Redis lists them.
const CATEGORIES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// The ACL category a documentation group implies, if any.
fn group_category(group: &str) -> Option<&'static str> {
    Some(match group {
        "generic" => "keyspace",
        "string" => "string",
        "list" => "list",
        "set" => "set",
        "sorted-set" => "sortedset",
        "hash" => "hash",
        "bitmap" => "bitmap",
        "hyperloglog" => "hyperloglog",
        "geo" => "geo",
        "stream" => "stream",
        "pubsub" => "pubsub",
        "connection" => "connection",
        "transactions" => "transaction",
        "scripting" => "scripting",
        _ => return None,
    })
}

/// Commands whose ACL categories differ from what their flags and group imply: (name,
/// categories added, categories removed), from Redis 7.0's command table.
const CATEGORY_EXCEPTIONS: &[(&str, &[&str], &[&str])] = &[
    ("asking", &["connection"], &[]),
    ("command", &["connection"], &[]),
    ("command|count", &["connection"], &[]),
    ("command|docs", &["connection"], &[]),
    ("command|getkeys", &["connection"], &[]),
    ("command|getkeysandflags", &["connection"], &[]),
    ("command|help", &["connection"], &[]),
    ("command|info", &["connection"], &[]),
    ("command|list", &["connection"], &[]),
    ("dbsize", &["keyspace"], &[]),
    ("flushall", &["dangerous", "keyspace"], &[]),
    ("flushdb", &["dangerous", "keyspace"], &[]),
    ("info", &["dangerous"], &[]),
    ("keys", &["dangerous"], &[]),
    ("lastsave", &["admin", "dangerous"], &[]),
    ("migrate", &["dangerous"], &[]),
    ("pubsub|help", &[], &["pubsub"]),
    ("readonly", &["connection"], &[]),
    ("readwrite", &["connection"], &[]),
    ("restore", &["dangerous"], &[]),
    ("restore-asking", &["dangerous", "keyspace"], &[]),
    ("role", &["admin", "dangerous"], &[]),
    (
        "sort",
        &["dangerous", "list", "set", "sortedset"],
        &["keyspace"],
    ),
    (
        "sort_ro",
        &["dangerous", "list", "set", "sortedset"],
        &["keyspace"],
    ),
    ("swapdb", &["dangerous", "keyspace"], &[]),
    ("wait", &["connection"], &["keyspace"]),
];

/// The ACL categories of `spec` in group `group`: those its flags imply (read unless it is a
/// scripting command, write, admin and dangerous, pubsub, fast or else slow, blocking) plus its
/// group's, adjusted by `CATEGORY_EXCEPTIONS`. A container command takes only what its flags
/// imply, as in Redis.
pub fn categories(spec: &CommandSpec, group: &str) -> Vec<&'static str> {
    let mut want: Vec<&str> = Vec::new();
    let f = |bit| spec.has(bit);
    if f(READONLY) && group != "scripting" {
        want.push("read");
    }
    if f(WRITE) {
        want.push("write");
    }
    if f(ADMIN) {
        want.extend(["admin", "dangerous"]);
    }
    if f(PUBSUB) {
        want.push("pubsub");
    }
    want.push(if f(FAST) { "fast" } else { "slow" });
    if f(BLOCKING) {
        want.push("blocking");
    }
    if spec.subcommands.is_empty() {
        want.extend(group_category(group));
    }
    if let Some((_, add, remove)) = CATEGORY_EXCEPTIONS.iter().find(|e| e.0 == spec.name) {
        want.extend(add.iter());
        want.retain(|c| !remove.contains(c));
    }
    CATEGORIES
        .iter()
        .copied()
        .filter(|c| want.contains(c))
        .collect()
}

/// The flag names COMMAND INFO shows (`may_replicate` is hidden, as in Redis).
fn flag_names(spec: &CommandSpec) -> Vec<Reply> {
    flags::NAMES
        .iter()
        .filter(|(bit, name)| spec.has(*bit) && *name != "may_replicate")
        .map(|(_, name)| Reply::status(name))
        .collect()
}

/// The flags of the keys of `spec`, as key specs and COMMAND GETKEYSANDFLAGS show them.
fn key_flags(spec: &CommandSpec) -> Vec<Reply> {
    if spec.has(WRITE) {
        vec![Reply::status("RW"), Reply::status("update")]
    } else if spec.has(READONLY) {
        vec![Reply::status("RO"), Reply::status("access")]
    } else if spec.has(PUBSUB) {
        // SSUBSCRIBE and SPUBLISH name shard channels where keys would be.
        vec![Reply::status("not_key")]
    } else {
        Vec::new()
    }
}

/// The key specs of `spec`: one index-and-range spec built from its (first, last, step), or
/// none for a command without keys.
fn key_specs(spec: &CommandSpec) -> Reply {
    let k = spec.keys;
    if k.first == 0 {
        return Reply::Set(Vec::new());
    }
    let lastkey = if k.last < 0 {
        k.last as i64
    } else {
        k.last as i64 - k.first as i64
    };
    Reply::Set(vec![Reply::Map(vec![
        (s("flags"), Reply::Set(key_flags(spec))),
        (
            s("begin_search"),
            Reply::Map(vec![
                (s("type"), s("index")),
                (
                    s("spec"),
                    Reply::Map(vec![(s("index"), Reply::Int(k.first as i64))]),
                ),
            ]),
        ),
        (
            s("find_keys"),
            Reply::Map(vec![
                (s("type"), s("range")),
                (
                    s("spec"),
                    Reply::Map(vec![
                        (s("lastkey"), Reply::Int(lastkey)),
                        (s("keystep"), Reply::Int(k.step as i64)),
                        (s("limit"), Reply::Int(0)),
                    ]),
                ),
            ]),
        ),
    ])])
}

/// The COMMAND INFO entry of `spec`: name, arity, flags, first key, last key, key step, ACL
/// categories, tips, key specs, subcommands. `group` is the command's (for a subcommand, its
/// parent's).
pub fn command_info(spec: &CommandSpec, group: &str) -> Reply {
    let k = spec.keys;
    let subs = if spec.subcommands.is_empty() {
        Reply::Set(Vec::new())
    } else {
        Reply::Array(
            sorted_subs(spec)
                .into_iter()
                .map(|c| command_info(c, group))
                .collect(),
        )
    };
    Reply::Array(vec![
        Reply::Bulk(Bytes::from_static(spec.name.as_bytes())),
        Reply::Int(spec.arity as i64),
        Reply::Set(flag_names(spec)),
        Reply::Int(k.first as i64),
        Reply::Int(if k.first == 0 { 0 } else { k.last as i64 }),
        Reply::Int(if k.first == 0 { 0 } else { k.step as i64 }),
        Reply::Set(
            categories(spec, group)
                .into_iter()
                .map(|c| Reply::Status(format!("@{c}").into()))
                .collect(),
        ),
        Reply::Set(Vec::new()),
        key_specs(spec),
        subs,
    ])
}

/// The COMMAND DOCS map of `spec`, as Redis 7.0 gives it when `docs` knows the command;
/// otherwise only its group (`group`, the table's). Subcommands come sorted by name.
pub fn command_docs(spec: &CommandSpec, group: &'static str) -> Reply {
    let d = doc(spec.name);
    let mut m = Vec::new();
    if let Some(d) = d {
        m.push((s("summary"), s(d.summary)));
        m.push((s("since"), s(d.since)));
    }
    let group = d.map_or(group, |d| d.group);
    m.push((s("group"), s(group)));
    if let Some(d) = d {
        if let Some(c) = d.complexity {
            m.push((s("complexity"), s(c)));
        }
        if !d.doc_flags.is_empty() {
            let flags = d.doc_flags.iter().map(|f| Reply::status(f)).collect();
            m.push((s("doc_flags"), Reply::Set(flags)));
        }
        if let Some(v) = d.deprecated_since {
            m.push((s("deprecated_since"), s(v)));
        }
        if let Some(v) = d.replaced_by {
            m.push((s("replaced_by"), s(v)));
        }
        if !d.history.is_empty() {
            let h = d
                .history
                .iter()
                .map(|(v, text)| Reply::Array(vec![s(v), s(text)]))
                .collect();
            m.push((s("history"), Reply::Set(h)));
        }
        if !d.args.is_empty() {
            m.push((s("arguments"), arg_list(&d.args)));
        }
    }
    if !spec.subcommands.is_empty() {
        let subs = sorted_subs(spec)
            .into_iter()
            .map(|c| (s(c.name), command_docs(c, group)))
            .collect();
        m.push((s("subcommands"), Reply::Map(subs)));
    }
    Reply::Map(m)
}

/// The `arguments` array of COMMAND DOCS: one map per argument, nested for `oneof` and `block`.
fn arg_list(args: &[Arg]) -> Reply {
    Reply::Array(
        args.iter()
            .map(|a| {
                let mut m = vec![(s("name"), s(a.name)), (s("type"), s(a.kind))];
                if let Some(i) = a.key_spec_index {
                    m.push((s("key_spec_index"), Reply::Int(i)));
                }
                if let Some(t) = a.token {
                    m.push((s("token"), s(t)));
                }
                if let Some(v) = a.since {
                    m.push((s("since"), s(v)));
                }
                if let Some(v) = a.deprecated_since {
                    m.push((s("deprecated_since"), s(v)));
                }
                if !a.flags.is_empty() {
                    let flags = a.flags.iter().map(|f| Reply::status(f)).collect();
                    m.push((s("flags"), Reply::Set(flags)));
                }
                if a.kind == "oneof" || a.kind == "block" {
                    m.push((s("arguments"), arg_list(&a.args)));
                }
                Reply::Map(m)
            })
            .collect(),
    )
}

/// COMMAND
fn all(_cx: &mut ConnCtx<'_>, _args: &[Bytes]) -> CmdResult {
    let t = &shared().table;
    Ok(Reply::Array(
        sorted(t)
            .into_iter()
            .map(|c| command_info(c, c.group))
            .collect(),
    ))
}

/// COMMAND COUNT
fn count(_cx: &mut ConnCtx<'_>, _args: &[Bytes]) -> CmdResult {
    Ok(Reply::Int(shared().table.len() as i64))
}

/// COMMAND INFO [command-name [command-name ...]]
///
/// Every command when no name is given; nil for a name the server does not know.
fn info(cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    if args.len() == 2 {
        return all(cx, args);
    }
    let t = &shared().table;
    Ok(Reply::Array(
        args[2..]
            .iter()
            .map(|name| match lookup(t, name) {
                Some(c) => command_info(c, group_of(t, c)),
                None => Reply::Nil,
            })
            .collect(),
    ))
}

/// The group of `spec`, which for a subcommand is its parent's.
fn group_of(t: &CommandTable, spec: &CommandSpec) -> &'static str {
    match spec.name.split_once('|') {
        Some((parent, _)) => t.get(parent.as_bytes()).map_or("", |p| p.group),
        None => spec.group,
    }
}

/// COMMAND DOCS [command-name [command-name ...]]
///
/// A map from each known name to its documentation; unknown names are left out.
fn docs(_cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    let t = &shared().table;
    let specs: Vec<&CommandSpec> = if args.len() == 2 {
        sorted(t)
    } else {
        args[2..].iter().filter_map(|n| lookup(t, n)).collect()
    };
    Ok(Reply::Map(
        specs
            .into_iter()
            .map(|c| (s(c.name), command_docs(c, group_of(t, c))))
            .collect(),
    ))
}

/// What COMMAND LIST keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListFilter {
    /// Every command.
    All,
    /// Commands of a module: none, as Tessera loads no modules.
    Module,
    /// Commands in an ACL category.
    AclCat(String),
    /// Commands whose full name matches a glob, any case.
    Pattern(Bytes),
}

impl ListFilter {
    /// Parses `COMMAND LIST [FILTERBY <MODULE name | ACLCAT category | PATTERN pattern>]`.
    pub fn parse(args: &[Bytes]) -> Result<ListFilter, CmdError> {
        match args.len() {
            2 => Ok(ListFilter::All),
            5 if args[2].eq_ignore_ascii_case(b"filterby") => {
                let kind = args[3].to_ascii_lowercase();
                match &kind[..] {
                    b"module" => Ok(ListFilter::Module),
                    b"aclcat" => Ok(ListFilter::AclCat(
                        String::from_utf8_lossy(&args[4]).to_ascii_lowercase(),
                    )),
                    b"pattern" => Ok(ListFilter::Pattern(args[4].clone())),
                    _ => Err(CmdError::Syntax),
                }
            }
            _ => Err(CmdError::Syntax),
        }
    }

    /// True when the command `spec` of group `group` passes the filter.
    pub fn keeps(&self, spec: &CommandSpec, group: &str) -> bool {
        match self {
            ListFilter::All => true,
            ListFilter::Module => false,
            ListFilter::AclCat(cat) => categories(spec, group).contains(&cat.as_str()),
            ListFilter::Pattern(p) => glob_match(p, spec.name.as_bytes(), true),
        }
    }
}

/// COMMAND LIST [FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]
///
/// Full names of commands and subcommands, each container followed by its subcommands.
fn list(_cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    let filter = ListFilter::parse(args)?;
    let mut names = Vec::new();
    for c in sorted(&shared().table) {
        for spec in std::iter::once(c).chain(sorted_subs(c)) {
            if filter.keeps(spec, c.group) {
                names.push(s(spec.name));
            }
        }
    }
    Ok(Reply::Array(names))
}

/// The keys in `line` (a full command line), for COMMAND GETKEYS: the command's spec and the
/// argv positions of its keys.
pub fn keys_of<'t>(
    table: &'t CommandTable,
    line: &[Bytes],
) -> Result<(&'t CommandSpec, Vec<usize>), CmdError> {
    let mut spec = table.get(&line[0]).ok_or(CmdError::GetKeysUnknownCommand)?;
    if !spec.subcommands.is_empty() && line.len() >= 2 {
        spec = spec
            .subcommands
            .iter()
            .find(|s| short_name(s).as_bytes().eq_ignore_ascii_case(&line[1]))
            .ok_or(CmdError::GetKeysUnknownCommand)?;
    }
    // The shard channels of SSUBSCRIBE and SPUBLISH sit where keys would, but are no keys.
    if (spec.keys.first == 0 && !spec.has(MOVABLEKEYS)) || spec.has(PUBSUB) {
        return Err(CmdError::GetKeysNoKeys);
    }
    if !spec.arity_ok(line.len()) {
        return Err(CmdError::GetKeysWrongArgCount);
    }
    let positions: Vec<usize> = spec.keys.positions(line.len()).collect();
    if positions.is_empty() {
        return Err(CmdError::GetKeysInvalidArgs);
    }
    Ok((spec, positions))
}

/// COMMAND GETKEYS command [arg [arg ...]]
fn getkeys(_cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    let line = &args[2..];
    let (_, positions) = keys_of(&shared().table, line)?;
    Ok(Reply::Array(
        positions
            .into_iter()
            .map(|p| Reply::Bulk(line[p].clone()))
            .collect(),
    ))
}

/// COMMAND GETKEYSANDFLAGS command [arg [arg ...]]
fn getkeysandflags(_cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    let line = &args[2..];
    let (spec, positions) = keys_of(&shared().table, line)?;
    Ok(Reply::Array(
        positions
            .into_iter()
            .map(|p| {
                Reply::Array(vec![
                    Reply::Bulk(line[p].clone()),
                    Reply::Set(key_flags(spec)),
                ])
            })
            .collect(),
    ))
}

/// COMMAND HELP
fn help(_cx: &mut ConnCtx<'_>, _args: &[Bytes]) -> CmdResult {
    Ok(help_reply(
        "COMMAND",
        &[
            "(no subcommand)",
            "    Describe every command.",
            "COUNT",
            "    Return the number of commands.",
            "DOCS [<command-name> ...]",
            "    Return the documentation of the given commands, or of every command.",
            "GETKEYS <full-command>",
            "    Return the keys of a full command line.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys of a full command line and how the command uses them.",
            "INFO [<command-name> ...]",
            "    Describe the given commands, or every command.",
            "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
            "    Return the names of the commands, optionally filtered.",
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::table::Handler;

    fn nop(_cx: &mut ConnCtx<'_>, _args: &[Bytes]) -> CmdResult {
        Ok(Reply::Ok)
    }

    fn table() -> CommandTable {
        let mut t = CommandTable::new();
        t.group("string");
        t.add(
            "get",
            2,
            READONLY | FAST,
            KeySpec::range(1, 1, 1),
            Handler::Conn(nop),
        );
        t.add(
            "mset",
            -3,
            WRITE | DENYOOM,
            KeySpec::range(1, -1, 2),
            Handler::Conn(nop),
        );
        t.group("server");
        t.add("config", -2, 0, KeySpec::NONE, Handler::Conn(nop));
        t.add_sub(
            "config",
            sub(
                "config|get",
                -3,
                ADMIN | NOSCRIPT | LOADING | STALE,
                KeySpec::NONE,
                Handler::Conn(nop),
            ),
        );
        t
    }

    use crate::commands::session::args as argv;

    #[test]
    fn get_is_described_as_redis_7_0_describes_it() {
        let t = table();
        let info = command_info(t.get(b"get").unwrap(), "string");
        let Reply::Array(items) = info else { panic!() };
        assert_eq!(items.len(), 10);
        assert_eq!(items[0], Reply::bulk("get"));
        assert_eq!(items[1], Reply::Int(2));
        assert_eq!(
            items[2],
            Reply::Set(vec![Reply::status("readonly"), Reply::status("fast")])
        );
        assert_eq!(&items[3..6], &[Reply::Int(1), Reply::Int(1), Reply::Int(1)]);
        assert_eq!(
            items[6],
            Reply::Set(vec![
                Reply::status("@read"),
                Reply::status("@string"),
                Reply::status("@fast")
            ])
        );
        assert_eq!(items[7], Reply::Set(vec![]));
        assert_eq!(items[9], Reply::Set(vec![]));
    }

    #[test]
    fn key_specs_count_the_last_key_from_the_first() {
        let t = table();
        let Reply::Array(items) = command_info(t.get(b"mset").unwrap(), "string") else {
            panic!()
        };
        assert_eq!(
            &items[3..6],
            &[Reply::Int(1), Reply::Int(-1), Reply::Int(2)]
        );
        let Reply::Set(specs) = &items[8] else {
            panic!()
        };
        let Reply::Map(spec) = &specs[0] else {
            panic!()
        };
        let Reply::Map(find) = &spec[2].1 else {
            panic!()
        };
        assert_eq!(
            find[1].1,
            Reply::Map(vec![
                (Reply::bulk("lastkey"), Reply::Int(-1)),
                (Reply::bulk("keystep"), Reply::Int(2)),
                (Reply::bulk("limit"), Reply::Int(0)),
            ])
        );
    }

    #[test]
    fn containers_list_their_subcommands_and_only_slow() {
        let t = table();
        let Reply::Array(items) = command_info(t.get(b"config").unwrap(), "server") else {
            panic!()
        };
        assert_eq!(items[2], Reply::Set(vec![]));
        assert_eq!(items[6], Reply::Set(vec![Reply::status("@slow")]));
        let Reply::Array(subs) = &items[9] else {
            panic!()
        };
        let Reply::Array(get) = &subs[0] else {
            panic!()
        };
        assert_eq!(get[0], Reply::bulk("config|get"));
        assert_eq!(
            get[6],
            Reply::Set(vec![
                Reply::status("@admin"),
                Reply::status("@slow"),
                Reply::status("@dangerous")
            ])
        );
    }

    #[test]
    fn lookup_accepts_full_subcommand_names_in_any_case() {
        let t = table();
        assert_eq!(
            lookup(&t, b"CONFIG|Get").map(|c| c.name),
            Some("config|get")
        );
        assert_eq!(lookup(&t, b"GET").map(|c| c.name), Some("get"));
        assert!(lookup(&t, b"config|nope").is_none());
        assert!(lookup(&t, b"nope").is_none());
    }

    #[test]
    fn docs_give_summary_since_and_group() {
        let t = table();
        let Reply::Map(m) = command_docs(t.get(b"config").unwrap(), "server") else {
            panic!()
        };
        let keys: Vec<&Reply> = m.iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                &Reply::bulk("summary"),
                &Reply::bulk("since"),
                &Reply::bulk("group"),
                &Reply::bulk("complexity"),
                &Reply::bulk("subcommands")
            ]
        );
        assert_eq!(m[2].1, Reply::bulk("server"));
        assert_eq!(m[3].1, Reply::bulk("Depends on subcommand"));
    }

    #[test]
    fn getkeys_finds_keys_or_says_why_not() {
        let t = table();
        let keys = |l: &str| keys_of(&t, &argv(l)).map(|(_, p)| p);
        assert_eq!(keys("mset a 1 b 2"), Ok(vec![1, 3]));
        assert_eq!(keys("nosuch a"), Err(CmdError::GetKeysUnknownCommand));
        assert_eq!(keys("config get x"), Err(CmdError::GetKeysNoKeys));
        assert_eq!(keys("config nope x"), Err(CmdError::GetKeysUnknownCommand));
        assert_eq!(keys("get a b"), Err(CmdError::GetKeysWrongArgCount));
    }

    #[test]
    fn list_filters() {
        let t = table();
        let f = |l: &str| ListFilter::parse(&argv(l));
        assert_eq!(f("COMMAND LIST"), Ok(ListFilter::All));
        assert_eq!(f("COMMAND LIST FILTERBY x y"), Err(CmdError::Syntax));
        assert_eq!(f("COMMAND LIST FILTERBY"), Err(CmdError::Syntax));
        let get = t.get(b"get").unwrap();
        assert!(f("COMMAND LIST FILTERBY ACLCAT String")
            .unwrap()
            .keeps(get, "string"));
        assert!(!f("COMMAND LIST FILTERBY ACLCAT write")
            .unwrap()
            .keeps(get, "string"));
        assert!(f("COMMAND LIST FILTERBY PATTERN G*")
            .unwrap()
            .keeps(get, "string"));
        assert!(!f("COMMAND LIST FILTERBY MODULE m")
            .unwrap()
            .keeps(get, "string"));
    }
}

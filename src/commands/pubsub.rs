//! The pub/sub family: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE,
//! PUBLISH, SPUBLISH and the PUBSUB introspection subcommands.
//!
//! Owns: the replies of these commands (one confirmation per channel, pushed in RESP3) and the
//! rule of which commands a RESP2 connection in pub/sub mode may run. Runs on: the
//! connection's executor. Must not: touch the keyspace, or the registry other than through
//! `server::pubsub`, which owns the subscriptions and the delivery of messages across
//! executors.
//!
//! Shard channels (SSUBSCRIBE, SPUBLISH) behave as Redis 7.0 without cluster mode does: they are
//! a namespace of their own, which patterns never reach; their key positions are declared for
//! COMMAND but do not route the command, since a subscriber listens on its own executor.

use bytes::Bytes;
use futures_lite::future::BoxedLocal;

use super::ctx::{AsyncCtx, ConnCtx};
use super::help::help_reply;
use super::table::flags::*;
use super::table::{sub, CmdResult, CommandSpec, CommandTable, Handler, KeySpec};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::client::ClientState;
use crate::server::pubsub::{self, Kind};

/// Registers the family's commands.
#[rustfmt::skip]
pub fn register(t: &mut CommandTable) {
    use Handler::{Async, Conn};
    const LISTEN: u32 = PUBSUB | NOSCRIPT | LOADING | STALE;
    const SEND: u32 = PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE;
    const LOOK: u32 = PUBSUB | LOADING | STALE;
    let every = KeySpec::range(1, -1, 1);
    //     name           arity  flags   keys                    handler
    t.add("subscribe",      -2,  LISTEN, KeySpec::NONE,          Conn(subscribe));
    t.add("unsubscribe",    -1,  LISTEN, KeySpec::NONE,          Conn(unsubscribe));
    t.add("psubscribe",     -2,  LISTEN, KeySpec::NONE,          Conn(psubscribe));
    t.add("punsubscribe",   -1,  LISTEN, KeySpec::NONE,          Conn(punsubscribe));
    t.add("ssubscribe",     -2,  LISTEN, every,                  Conn(ssubscribe));
    t.add("sunsubscribe",   -1,  LISTEN, every,                  Conn(sunsubscribe));
    t.add("publish",         3,  SEND,   KeySpec::NONE,          Async(publish));
    t.add("spublish",        3,  SEND,   KeySpec::range(1, 1, 1), Async(spublish));
    t.add("pubsub",         -2,  0,      KeySpec::NONE,          Conn(container));
    for s in [
        //   name                    arity  flags            keys           handler
        sub("pubsub|channels",         -2,  LOOK,            KeySpec::NONE, Async(channels)),
        sub("pubsub|numpat",            2,  LOOK,            KeySpec::NONE, Async(numpat)),
        sub("pubsub|numsub",           -2,  LOOK,            KeySpec::NONE, Async(numsub)),
        sub("pubsub|shardchannels",    -2,  LOOK,            KeySpec::NONE, Async(shardchannels)),
        sub("pubsub|shardnumsub",      -2,  LOOK,            KeySpec::NONE, Async(shardnumsub)),
        sub("pubsub|help",              2,  LOADING | STALE, KeySpec::NONE, Conn(help)),
    ] {
        t.add_sub("pubsub", s);
    }
}

/// The commands a RESP2 connection may run while it listens to anything.
const ALLOWED_WHILE_SUBSCRIBED: &[&str] = &[
    "subscribe",
    "ssubscribe",
    "psubscribe",
    "unsubscribe",
    "sunsubscribe",
    "punsubscribe",
    "ping",
    "quit",
    "reset",
];

/// Refuses `spec` when `client` is a RESP2 connection in pub/sub mode and `spec` is not one of
/// the (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET commands: such a connection reads
/// only pushes, so it could not tell another reply from a message. RESP3 tells them apart by
/// type, so it has no such limit. Redis checks this after authentication and before running.
#[inline]
pub fn check_subscribed_context(client: &ClientState, spec: &CommandSpec) -> Result<(), CmdError> {
    if client.resp >= 3 || !client.subs.any() || ALLOWED_WHILE_SUBSCRIBED.contains(&spec.name) {
        Ok(())
    } else {
        Err(CmdError::SubscribedContext(spec.name))
    }
}

/// The word that opens a confirmation of subscribing to (or unsubscribing from) `kind`.
fn confirmation_word(kind: Kind, subscribing: bool) -> &'static str {
    match (kind, subscribing) {
        (Kind::Channel, true) => "subscribe",
        (Kind::Channel, false) => "unsubscribe",
        (Kind::Pattern, true) => "psubscribe",
        (Kind::Pattern, false) => "punsubscribe",
        (Kind::ShardChannel, true) => "ssubscribe",
        (Kind::ShardChannel, false) => "sunsubscribe",
    }
}

/// The count a confirmation carries: channels and patterns together, or shard channels alone.
fn confirmation_count(client: &ClientState, kind: Kind) -> i64 {
    let s = client.subs;
    match kind {
        Kind::Channel | Kind::Pattern => (s.channels + s.patterns) as i64,
        Kind::ShardChannel => s.shard_channels as i64,
    }
}

/// One confirmation: `[word, name or nil, count]`, a push in RESP3 and an array in RESP2.
fn confirmation(
    client: &ClientState,
    kind: Kind,
    subscribing: bool,
    name: Option<&Bytes>,
) -> Reply {
    Reply::Push(vec![
        Reply::Bulk(Bytes::from_static(
            confirmation_word(kind, subscribing).as_bytes(),
        )),
        name.map_or(Reply::Nil, |n| Reply::Bulk(n.clone())),
        Reply::Int(confirmation_count(client, kind)),
    ])
}

/// Subscribes to each of `names` in turn, confirming each with the count after it (a name
/// subscribed twice is confirmed twice and counted once). Serves SUBSCRIBE, PSUBSCRIBE and
/// SSUBSCRIBE.
fn subscribe_generic(client: &mut ClientState, kind: Kind, names: &[Bytes]) -> CmdResult {
    let mut replies = Vec::with_capacity(names.len());
    for name in names {
        pubsub::subscribe(client, kind, name);
        replies.push(confirmation(client, kind, true, Some(name)));
    }
    Ok(Reply::Sequence(replies))
}

/// Unsubscribes from each of `names` (none: from every name of `kind`, in subscription order),
/// confirming each with the count after it, whether or not it was subscribed. With nothing to
/// unsubscribe from, one confirmation with a nil name. Serves UNSUBSCRIBE, PUNSUBSCRIBE and
/// SUNSUBSCRIBE.
fn unsubscribe_generic(client: &mut ClientState, kind: Kind, names: &[Bytes]) -> CmdResult {
    let all;
    let names = if names.is_empty() {
        all = pubsub::subscriptions(client.id, kind);
        &all[..]
    } else {
        names
    };
    if names.is_empty() {
        return Ok(Reply::Sequence(vec![confirmation(
            client, kind, false, None,
        )]));
    }
    let mut replies = Vec::with_capacity(names.len());
    for name in names {
        pubsub::unsubscribe(client, kind, name);
        replies.push(confirmation(client, kind, false, Some(name)));
    }
    Ok(Reply::Sequence(replies))
}

/// SUBSCRIBE channel [channel ...]
fn subscribe(cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    subscribe_generic(cx.client, Kind::Channel, &args[1..])
}

/// UNSUBSCRIBE [channel [channel ...]]
fn unsubscribe(cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    unsubscribe_generic(cx.client, Kind::Channel, &args[1..])
}

/// PSUBSCRIBE pattern [pattern ...]
fn psubscribe(cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    subscribe_generic(cx.client, Kind::Pattern, &args[1..])
}

/// PUNSUBSCRIBE [pattern [pattern ...]]
fn punsubscribe(cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    unsubscribe_generic(cx.client, Kind::Pattern, &args[1..])
}

/// SSUBSCRIBE shardchannel [shardchannel ...]
fn ssubscribe(cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    subscribe_generic(cx.client, Kind::ShardChannel, &args[1..])
}

/// SUNSUBSCRIBE [shardchannel [shardchannel ...]]
fn sunsubscribe(cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    unsubscribe_generic(cx.client, Kind::ShardChannel, &args[1..])
}

/// PUBLISH channel message
///
/// The number of receivers on every executor: each subscriber of the channel, plus each
/// (connection, pattern) pair whose pattern matches it.
fn publish(cx: AsyncCtx, args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    publish_generic(cx, Kind::Channel, args)
}

/// SPUBLISH shardchannel message
///
/// The number of subscribers of the shard channel; patterns never match shard channels.
fn spublish(cx: AsyncCtx, args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    publish_generic(cx, Kind::ShardChannel, args)
}

/// Serves PUBLISH and SPUBLISH. Both are replicated, as in Redis: a replica's own subscribers
/// get the message too.
fn publish_generic(cx: AsyncCtx, kind: Kind, args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let (channel, message) = (args[1].clone(), args[2].clone());
        let n = pubsub::publish(kind, channel, message).await;
        crate::replication::propagate::from_coordinator(cx.db, &args);
        Ok(Reply::Int(n as i64))
    })
}

/// Only reached for a subcommand the table does not hold, which the dispatcher answers first.
fn container(_cx: &mut ConnCtx<'_>, args: &[Bytes]) -> CmdResult {
    Err(CmdError::UnknownSubcommand(args[1].clone(), "PUBSUB"))
}

/// PUBSUB CHANNELS [pattern] and PUBSUB SHARDCHANNELS [pattern]: the names someone listens to,
/// those matching the pattern when one is given, in no particular order.
fn names_generic(kind: Kind, args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        if args.len() > 3 {
            return Err(CmdError::SubcommandSyntax(args[1].clone(), "PUBSUB"));
        }
        let pattern = args.get(2).cloned();
        let names = pubsub::active_names(kind, pattern).await;
        Ok(Reply::bulk_array(names))
    })
}

/// PUBSUB NUMSUB [channel ...] and PUBSUB SHARDNUMSUB [shardchannel ...]: each name followed by
/// its number of subscribers (patterns not counted), flat.
fn numsub_generic(kind: Kind, args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let names: Vec<Bytes> = args.into_iter().skip(2).collect();
        let counts = pubsub::listeners(kind, names.clone()).await;
        let mut out = Vec::with_capacity(names.len() * 2);
        for (name, n) in names.into_iter().zip(counts) {
            out.push(Reply::Bulk(name));
            out.push(Reply::Int(n as i64));
        }
        Ok(Reply::Array(out))
    })
}

/// PUBSUB CHANNELS [pattern]
fn channels(_cx: AsyncCtx, args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    names_generic(Kind::Channel, args)
}

/// PUBSUB SHARDCHANNELS [pattern]
fn shardchannels(_cx: AsyncCtx, args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    names_generic(Kind::ShardChannel, args)
}

/// PUBSUB NUMSUB [channel [channel ...]]
fn numsub(_cx: AsyncCtx, args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    numsub_generic(Kind::Channel, args)
}

/// PUBSUB SHARDNUMSUB [shardchannel [shardchannel ...]]
fn shardnumsub(_cx: AsyncCtx, args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    numsub_generic(Kind::ShardChannel, args)
}

/// PUBSUB NUMPAT
///
/// The number of distinct patterns someone listens to (Redis 7.0 counts patterns, not pattern
/// subscriptions).
fn numpat(_cx: AsyncCtx, _args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let n = pubsub::active_names(Kind::Pattern, None).await.len();
        Ok(Reply::Int(n as i64))
    })
}

/// PUBSUB HELP
fn help(_cx: &mut ConnCtx<'_>, _args: &[Bytes]) -> CmdResult {
    Ok(help_reply(
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::build_table;
    use crate::commands::command_cmd::lookup;
    use crate::server::client::SubCounts;

    fn client(resp: u8, subs: SubCounts) -> ClientState {
        let mut c = ClientState::new(1, -1, None, None, true);
        c.resp = resp;
        c.subs = subs;
        c
    }

    #[test]
    fn resp2_subscribers_may_run_only_the_pubsub_commands_ping_quit_and_reset() {
        let t = build_table();
        let listening = SubCounts {
            patterns: 1,
            ..SubCounts::default()
        };
        let spec = |name: &str| lookup(&t, name.as_bytes()).expect("registered");
        let two = client(2, listening);
        for ok in [
            "ping",
            "quit",
            "reset",
            "subscribe",
            "sunsubscribe",
            "punsubscribe",
        ] {
            assert_eq!(check_subscribed_context(&two, spec(ok)), Ok(()), "{ok}");
        }
        assert_eq!(
            check_subscribed_context(&two, spec("client|list")),
            Err(CmdError::SubscribedContext("client|list"))
        );
        assert_eq!(
            check_subscribed_context(&two, spec("publish")),
            Err(CmdError::SubscribedContext("publish"))
        );
        assert_eq!(
            check_subscribed_context(&client(3, listening), spec("get")),
            Ok(())
        );
        assert_eq!(
            check_subscribed_context(&client(2, SubCounts::default()), spec("get")),
            Ok(())
        );
    }

    #[test]
    fn confirmations_count_channels_with_patterns_and_shard_channels_alone() {
        let c = client(
            2,
            SubCounts {
                channels: 2,
                patterns: 1,
                shard_channels: 4,
            },
        );
        let name = Bytes::from_static(b"ch");
        assert_eq!(
            confirmation(&c, Kind::Pattern, true, Some(&name)),
            Reply::Push(vec![
                Reply::bulk("psubscribe"),
                Reply::bulk("ch"),
                Reply::Int(3)
            ])
        );
        assert_eq!(
            confirmation(&c, Kind::ShardChannel, false, None),
            Reply::Push(vec![Reply::bulk("sunsubscribe"), Reply::Nil, Reply::Int(4)])
        );
    }
}

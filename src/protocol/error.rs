//! Every error text Tessera sends to a client, byte for byte as Redis 7.0 sends it.
//!
//! Owns: `CmdError` and its `message`. This is the only file that writes error text: client
//! libraries match on these strings, so they are kept in one place and tested against what stock
//! Redis prints. Messages carry no leading `-` and no CRLF; the encoder adds them.

use bytes::Bytes;
use std::borrow::Cow;

/// Why a command failed. The reply text is `message()`.
#[derive(Debug, Clone, PartialEq)]
pub enum CmdError {
    /// The command name is not in the table. Holds the name and the arguments as sent.
    UnknownCommand(Bytes, Vec<Bytes>),
    /// A container command (CONFIG, CLIENT…) got a subcommand it does not know: (subcommand, COMMAND).
    UnknownSubcommand(Bytes, &'static str),
    /// Arity check failed; holds the command's full lowercase name (`get`, `config|get`).
    WrongArity(Cow<'static, str>),
    /// The key holds a value of another type.
    WrongType,
    /// Arguments do not form a valid call.
    Syntax,
    /// An argument or a stored value is not a 64-bit integer.
    NotInteger,
    /// An argument or a stored value is not a float.
    NotFloat,
    /// INCR-family result would overflow.
    Overflow,
    /// INCRBYFLOAT result would be NaN or infinite.
    NanOrInfinity,
    /// An expire argument is out of range; holds the lowercase command name.
    InvalidExpireTime(&'static str),
    /// The key does not exist (RENAME and friends).
    NoSuchKey,
    /// SELECT / MOVE / COPY DB beyond `databases`.
    DbIndexOutOfRange,
    /// A string would grow past `proto-max-bulk-len`.
    StringTooLong,
    /// SETRANGE / GETRANGE-style offset out of range.
    OffsetOutOfRange,
    /// A count or similar must be positive.
    MustBePositive,
    /// `timeout is not a float or out of range`, `timeout is negative` and similar: full text given.
    Custom(Cow<'static, str>),
    /// The client has not authenticated.
    NoAuth,
    /// AUTH with wrong credentials.
    WrongPass,
    /// The server is still loading its dataset.
    Loading,
    /// A write on a read-only replica.
    ReadOnly,
    /// AUTH with a password alone while the default user needs none.
    AuthWithoutPassword,
    /// HELLO's protocol version is not an integer.
    ProtoVersionNotInteger,
    /// HELLO asked for a protocol version other than 2 or 3.
    NoProto,
    /// HELLO got an option it does not know; holds the option as sent.
    HelloOption(Bytes),
    /// HELLO on an unauthenticated connection without its AUTH option.
    HelloNoAuth,
    /// A client name with a space, a newline or another byte outside `!`..`~`.
    InvalidClientName,
    /// CLIENT SETINFO with a value outside `!`..`~`; holds the attribute as sent.
    InvalidClientAttr(Bytes),
    /// CLIENT SETINFO with an attribute it does not know; holds it as sent.
    UnrecognizedOption(Bytes),
    /// CLIENT LIST / KILL TYPE with an unknown class; holds the class as sent.
    UnknownClientType(Bytes),
    /// CLIENT LIST ID with an id that is not an integer.
    InvalidClientId,
    /// CLIENT KILL ID with an id that is not a positive integer.
    ClientIdNotPositive,
    /// CLIENT KILL in its old form (one address) matched no connection.
    NoSuchClient,
    /// A user other than `default`; holds the name as sent.
    NoSuchUser(Bytes),
    /// A command that resolves its own subcommands (DEBUG, OBJECT) got one it does not know, or
    /// with the wrong argument count: (subcommand, COMMAND).
    SubcommandSyntax(Bytes, &'static str),
    /// OBJECT FREQ while the eviction policy is not an LFU one.
    LfuNotSelected,
    /// OBJECT IDLETIME while the eviction policy is an LFU one.
    LfuSelected,
    /// SHUTDOWN ABORT while no shutdown is in progress.
    NoShutdownInProgress,
    /// SHUTDOWN's final save failed (without FORCE): the server keeps running.
    ShutdownFailed,
    /// SAVE or BGSAVE while a snapshot child runs.
    BgsaveInProgress,
    /// SAVE or BGSAVE failed; the log says why (Redis replies a bare `ERR`).
    SaveFailed,
    /// A write (or PING) after a failed background save, with `stop-writes-on-bgsave-error yes`
    /// and save points configured.
    Misconf,
    /// COMMAND GETKEYS names no known command.
    GetKeysUnknownCommand,
    /// COMMAND GETKEYS names a command that takes no keys.
    GetKeysNoKeys,
    /// COMMAND GETKEYS with an argument count the command rejects.
    GetKeysWrongArgCount,
    /// COMMAND GETKEYS found no key in the arguments.
    GetKeysInvalidArgs,
    /// DEBUG PROTOCOL with a reply type it does not know.
    DebugProtocolType,
    /// DEBUG while `enable-debug-command` does not allow it for this client.
    DebugNotAllowed,
    /// A RESP2 connection in pub/sub mode ran a command other than the pub/sub ones, PING, QUIT
    /// and RESET; holds the command's full lowercase name (`get`, `client|list`).
    SubscribedContext(&'static str),
    /// A malformed request; the connection is closed after this reply. Holds the detail after
    /// `Protocol error: `.
    Protocol(Cow<'static, str>),
    /// RESTORE onto an existing key without REPLACE.
    BusyKey,
    /// RESTORE of a payload from a newer RDB version, or whose CRC does not match.
    DumpPayloadInvalid,
    /// RESTORE of a payload whose value does not decode.
    BadDataFormat,
    /// RESTORE with a negative TTL.
    InvalidTtl,
    /// RESTORE with a negative IDLETIME.
    InvalidIdleTime,
    /// RESTORE with a FREQ outside 0..=255.
    InvalidFreq,
}

impl CmdError {
    /// A free-form error; `text` must start with the error code (`ERR …`, `BUSYKEY …`).
    pub fn custom(text: impl Into<Cow<'static, str>>) -> CmdError {
        CmdError::Custom(text.into())
    }

    /// The reply text, without the leading `-` and the trailing CRLF.
    pub fn message(&self) -> Cow<'static, str> {
        match self {
            CmdError::UnknownCommand(name, args) => {
                let mut list = String::new();
                for a in args {
                    if list.len() >= 128 {
                        break;
                    }
                    let room = 128 - list.len();
                    let s = String::from_utf8_lossy(a);
                    list.push('\'');
                    list.extend(s.chars().take(room));
                    list.push_str("' ");
                }
                let name = String::from_utf8_lossy(&name[..name.len().min(128)]).into_owned();
                sanitize(format!(
                    "ERR unknown command '{name}', with args beginning with: {list}"
                ))
                .into()
            }
            CmdError::UnknownSubcommand(sub, cmd) => {
                let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]).into_owned();
                sanitize(format!("ERR unknown subcommand '{sub}'. Try {cmd} HELP.")).into()
            }
            CmdError::WrongArity(name) => {
                format!("ERR wrong number of arguments for '{name}' command").into()
            }
            CmdError::WrongType => {
                "WRONGTYPE Operation against a key holding the wrong kind of value".into()
            }
            CmdError::Syntax => "ERR syntax error".into(),
            CmdError::NotInteger => "ERR value is not an integer or out of range".into(),
            CmdError::NotFloat => "ERR value is not a valid float".into(),
            CmdError::Overflow => "ERR increment or decrement would overflow".into(),
            CmdError::NanOrInfinity => "ERR increment would produce NaN or Infinity".into(),
            CmdError::InvalidExpireTime(cmd) => {
                format!("ERR invalid expire time in '{cmd}' command").into()
            }
            CmdError::NoSuchKey => "ERR no such key".into(),
            CmdError::DbIndexOutOfRange => "ERR DB index is out of range".into(),
            CmdError::StringTooLong => {
                "ERR string exceeds maximum allowed size (proto-max-bulk-len)".into()
            }
            CmdError::OffsetOutOfRange => "ERR offset is out of range".into(),
            CmdError::MustBePositive => "ERR value is out of range, must be positive".into(),
            CmdError::Custom(text) => text.clone(),
            CmdError::NoAuth => "NOAUTH Authentication required.".into(),
            CmdError::WrongPass => {
                "WRONGPASS invalid username-password pair or user is disabled.".into()
            }
            CmdError::Loading => "LOADING Redis is loading the dataset in memory".into(),
            CmdError::ReadOnly => "READONLY You can't write against a read only replica.".into(),
            CmdError::AuthWithoutPassword => "ERR AUTH <password> called without any password \
                configured for the default user. Are you sure your configuration is correct?"
                .into(),
            CmdError::ProtoVersionNotInteger => {
                "ERR Protocol version is not an integer or out of range".into()
            }
            CmdError::NoProto => "NOPROTO unsupported protocol version".into(),
            CmdError::HelloOption(opt) => sanitize(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(opt)
            ))
            .into(),
            CmdError::HelloNoAuth => "NOAUTH HELLO must be called with the client already \
                authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to \
                authenticate the client and select the RESP protocol version at the same time"
                .into(),
            CmdError::InvalidClientName => {
                "ERR Client names cannot contain spaces, newlines or special characters.".into()
            }
            CmdError::InvalidClientAttr(attr) => sanitize(format!(
                "ERR {} cannot contain spaces, newlines or special characters.",
                String::from_utf8_lossy(attr)
            ))
            .into(),
            CmdError::UnrecognizedOption(opt) => sanitize(format!(
                "ERR Unrecognized option '{}'",
                String::from_utf8_lossy(opt)
            ))
            .into(),
            CmdError::UnknownClientType(t) => sanitize(format!(
                "ERR Unknown client type '{}'",
                String::from_utf8_lossy(t)
            ))
            .into(),
            CmdError::InvalidClientId => "ERR Invalid client ID".into(),
            CmdError::ClientIdNotPositive => "ERR client-id should be greater than 0".into(),
            CmdError::NoSuchClient => "ERR No such client".into(),
            CmdError::NoSuchUser(u) => {
                sanitize(format!("ERR No such user '{}'", String::from_utf8_lossy(u))).into()
            }
            CmdError::SubcommandSyntax(sub, cmd) => {
                let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]).into_owned();
                sanitize(format!(
                    "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {cmd} HELP."
                ))
                .into()
            }
            CmdError::LfuNotSelected => "ERR An LFU maxmemory policy is not selected, access \
                frequency not tracked. Please note that when switching between policies at \
                runtime LRU and LFU data will take some time to adjust."
                .into(),
            CmdError::LfuSelected => "ERR An LFU maxmemory policy is selected, idle time not \
                tracked. Please note that when switching between policies at runtime LRU and LFU \
                data will take some time to adjust."
                .into(),
            CmdError::NoShutdownInProgress => "ERR No shutdown in progress.".into(),
            CmdError::ShutdownFailed => "ERR Errors trying to SHUTDOWN. Check logs.".into(),
            CmdError::BgsaveInProgress => "ERR Background save already in progress".into(),
            CmdError::SaveFailed => "ERR".into(),
            CmdError::Misconf => "MISCONF Redis is configured to save RDB snapshots, but it's \
                currently unable to persist to disk. Commands that may modify the data set are \
                disabled, because this instance is configured to report errors during writes if \
                RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the \
                Redis logs for details about the RDB error."
                .into(),
            CmdError::GetKeysUnknownCommand => "ERR Invalid command specified".into(),
            CmdError::GetKeysNoKeys => "ERR The command has no key arguments".into(),
            CmdError::GetKeysWrongArgCount => {
                "ERR Invalid number of arguments specified for command".into()
            }
            CmdError::GetKeysInvalidArgs => "ERR Invalid arguments specified for command".into(),
            CmdError::DebugProtocolType => "ERR Wrong protocol type name. Please use one of the \
                following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|\
                true|false"
                .into(),
            CmdError::DebugNotAllowed => "ERR DEBUG command not allowed. If the \
                enable-debug-command option is set to \"local\", you can run it from a local \
                connection, otherwise you need to set this option in the configuration file, and \
                then restart the server."
                .into(),
            CmdError::SubscribedContext(name) => format!(
                "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT \
                 / RESET are allowed in this context"
            )
            .into(),
            CmdError::Protocol(detail) => format!("ERR Protocol error: {detail}").into(),
            CmdError::BusyKey => "BUSYKEY Target key name already exists.".into(),
            CmdError::DumpPayloadInvalid => "ERR DUMP payload version or checksum are wrong".into(),
            CmdError::BadDataFormat => "ERR Bad data format".into(),
            CmdError::InvalidTtl => "ERR Invalid TTL value, must be >= 0".into(),
            CmdError::InvalidIdleTime => "ERR Invalid IDLETIME value, must be >= 0".into(),
            CmdError::InvalidFreq => "ERR Invalid FREQ value, must be >= 0 and <= 255".into(),
        }
    }

    /// True when the connection must be closed after sending this error.
    pub fn closes_connection(&self) -> bool {
        matches!(self, CmdError::Protocol(_))
    }
}

/// Redis replaces CR and LF in error text with spaces so that one error stays one line.
fn sanitize(mut s: String) -> String {
    if s.contains(['\r', '\n']) {
        s = s.replace(['\r', '\n'], " ");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_command_lists_its_arguments_like_redis() {
        let e =
            CmdError::UnknownCommand(Bytes::from("foo"), vec![Bytes::from("a"), Bytes::from("b")]);
        assert_eq!(
            e.message(),
            "ERR unknown command 'foo', with args beginning with: 'a' 'b' "
        );
        let e = CmdError::UnknownCommand(Bytes::from("foo"), vec![]);
        assert_eq!(
            e.message(),
            "ERR unknown command 'foo', with args beginning with: "
        );
    }

    #[test]
    fn arity_names_the_full_command() {
        assert_eq!(
            CmdError::WrongArity("config|get".into()).message(),
            "ERR wrong number of arguments for 'config|get' command"
        );
    }

    #[test]
    fn unknown_subcommand_points_at_help() {
        assert_eq!(
            CmdError::UnknownSubcommand(Bytes::from("foo"), "CONFIG").message(),
            "ERR unknown subcommand 'foo'. Try CONFIG HELP."
        );
    }

    #[test]
    fn connection_and_server_errors_match_redis() {
        let cases: Vec<(CmdError, &str)> = vec![
            (
                CmdError::AuthWithoutPassword,
                "ERR AUTH <password> called without any password configured for the default user. \
                 Are you sure your configuration is correct?",
            ),
            (
                CmdError::ProtoVersionNotInteger,
                "ERR Protocol version is not an integer or out of range",
            ),
            (CmdError::NoProto, "NOPROTO unsupported protocol version"),
            (
                CmdError::HelloOption(Bytes::from("foo")),
                "ERR Syntax error in HELLO option 'foo'",
            ),
            (
                CmdError::HelloNoAuth,
                "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
                 HELLO AUTH <user> <pass> option can be used to authenticate the client and select \
                 the RESP protocol version at the same time",
            ),
            (
                CmdError::InvalidClientName,
                "ERR Client names cannot contain spaces, newlines or special characters.",
            ),
            (
                CmdError::InvalidClientAttr(Bytes::from("lib-name")),
                "ERR lib-name cannot contain spaces, newlines or special characters.",
            ),
            (
                CmdError::UnrecognizedOption(Bytes::from("x")),
                "ERR Unrecognized option 'x'",
            ),
            (
                CmdError::UnknownClientType(Bytes::from("foo")),
                "ERR Unknown client type 'foo'",
            ),
            (CmdError::InvalidClientId, "ERR Invalid client ID"),
            (
                CmdError::ClientIdNotPositive,
                "ERR client-id should be greater than 0",
            ),
            (CmdError::NoSuchClient, "ERR No such client"),
            (CmdError::NoSuchUser(Bytes::from("bob")), "ERR No such user 'bob'"),
            (
                CmdError::SubcommandSyntax(Bytes::from("foo"), "DEBUG"),
                "ERR unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP.",
            ),
            (
                CmdError::LfuNotSelected,
                "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please \
                 note that when switching between policies at runtime LRU and LFU data will take \
                 some time to adjust.",
            ),
            (
                CmdError::LfuSelected,
                "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that \
                 when switching between policies at runtime LRU and LFU data will take some time \
                 to adjust.",
            ),
            (CmdError::NoShutdownInProgress, "ERR No shutdown in progress."),
            (
                CmdError::ShutdownFailed,
                "ERR Errors trying to SHUTDOWN. Check logs.",
            ),
            (
                CmdError::BgsaveInProgress,
                "ERR Background save already in progress",
            ),
            (CmdError::SaveFailed, "ERR"),
            (
                CmdError::Misconf,
                "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to \
                 persist to disk. Commands that may modify the data set are disabled, because this \
                 instance is configured to report errors during writes if RDB snapshotting fails \
                 (stop-writes-on-bgsave-error option). Please check the Redis logs for details \
                 about the RDB error.",
            ),
            (
                CmdError::SubscribedContext("client|list"),
                "ERR Can't execute 'client|list': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING \
                 / QUIT / RESET are allowed in this context",
            ),
            (CmdError::GetKeysUnknownCommand, "ERR Invalid command specified"),
            (CmdError::GetKeysNoKeys, "ERR The command has no key arguments"),
            (
                CmdError::GetKeysWrongArgCount,
                "ERR Invalid number of arguments specified for command",
            ),
            (
                CmdError::GetKeysInvalidArgs,
                "ERR Invalid arguments specified for command",
            ),
            (
                CmdError::DebugProtocolType,
                "ERR Wrong protocol type name. Please use one of the following: \
                 string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
            ),
            (CmdError::BusyKey, "BUSYKEY Target key name already exists."),
            (
                CmdError::DumpPayloadInvalid,
                "ERR DUMP payload version or checksum are wrong",
            ),
            (CmdError::BadDataFormat, "ERR Bad data format"),
            (CmdError::InvalidTtl, "ERR Invalid TTL value, must be >= 0"),
            (
                CmdError::InvalidIdleTime,
                "ERR Invalid IDLETIME value, must be >= 0",
            ),
            (
                CmdError::InvalidFreq,
                "ERR Invalid FREQ value, must be >= 0 and <= 255",
            ),
            (
                CmdError::DebugNotAllowed,
                "ERR DEBUG command not allowed. If the enable-debug-command option is set to \
                 \"local\", you can run it from a local connection, otherwise you need to set \
                 this option in the configuration file, and then restart the server.",
            ),
        ];
        for (e, text) in cases {
            assert_eq!(e.message(), text, "{e:?}");
        }
    }
}

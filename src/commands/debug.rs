//! DEBUG: commands for tests and troubleshooting.
//!
//! Owns: the DEBUG subcommands Tessera supports: SLEEP (which, unlike Redis's, only delays the
//! caller: other clients keep being served), SET-ACTIVE-EXPIRE, LOG, PROTOCOL and HELP. DEBUG
//! resolves its subcommands itself, as Redis does, so COMMAND INFO lists none.

use bytes::Bytes;
use futures_lite::future::BoxedLocal;
use std::time::Duration;

use super::args::parse_f64;
use super::client::caller_addr;
use super::ctx::AsyncCtx;
use super::help::help_reply;
use super::settings;
use super::table::flags::*;
use super::table::{CmdResult, CommandTable, Handler, KeySpec};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::switches;

/// Registers DEBUG.
pub fn register(t: &mut CommandTable) {
    t.add(
        "debug",
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        KeySpec::NONE,
        Handler::Async(debug),
    );
}

/// One parsed DEBUG call.
#[derive(Debug, Clone, PartialEq)]
pub enum DebugArgs {
    /// `DEBUG HELP`.
    Help,
    /// `DEBUG SLEEP seconds`: the delay, never negative.
    Sleep(Duration),
    /// `DEBUG SET-ACTIVE-EXPIRE 0|1`.
    SetActiveExpire(bool),
    /// `DEBUG LOG message`.
    Log(Bytes),
    /// `DEBUG PROTOCOL type`: the reply to send.
    Protocol(Reply),
}

impl DebugArgs {
    /// Parses `DEBUG subcommand [argument]`. An unknown subcommand, or one with the wrong number
    /// of arguments, is a `SubcommandSyntax` error.
    pub fn parse(args: &[Bytes]) -> Result<DebugArgs, CmdError> {
        let name = args[1].to_ascii_lowercase();
        match (&name[..], args.len()) {
            (b"help", 2) => Ok(DebugArgs::Help),
            (b"sleep", 3) => {
                let secs = leading_f64(&args[2]);
                let micros = (secs * 1_000_000.0) as i64;
                Ok(DebugArgs::Sleep(
                    Duration::from_micros(micros.max(0) as u64),
                ))
            }
            (b"set-active-expire", 3) => Ok(DebugArgs::SetActiveExpire(leading_int(&args[2]) != 0)),
            (b"log", 3) => Ok(DebugArgs::Log(args[2].clone())),
            (b"protocol", 3) => protocol_sample(&args[2]).map(DebugArgs::Protocol),
            _ => Err(CmdError::SubcommandSyntax(args[1].clone(), "DEBUG")),
        }
    }
}

/// The number at the start of `b`, read as C's `strtod` reads it: garbage after it is ignored,
/// and no number at all reads as 0.
fn leading_f64(b: &[u8]) -> f64 {
    let b = b.trim_ascii_start();
    let end = b
        .iter()
        .position(|c| !(c.is_ascii_digit() || b"+-.eE".contains(c)))
        .unwrap_or(b.len());
    (1..=end)
        .rev()
        .find_map(|n| parse_f64(&b[..n]))
        .unwrap_or(0.0)
}

/// The integer at the start of `b`, read as C's `atoi` reads it (0 when there is none).
fn leading_int(b: &[u8]) -> i64 {
    let b = b.trim_ascii_start();
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let mut n: i64 = 0;
    for &c in digits.iter().take_while(|c| c.is_ascii_digit()) {
        n = n.wrapping_mul(10).wrapping_add((c - b'0') as i64);
    }
    if neg {
        -n
    } else {
        n
    }
}

/// The sample reply of each type DEBUG PROTOCOL offers. `bignum`, `attrib` and `push` have no
/// form here and are refused like an unknown type.
fn protocol_sample(name: &[u8]) -> Result<Reply, CmdError> {
    let name = name.to_ascii_lowercase();
    let ints = || (0..3).map(Reply::Int).collect::<Vec<_>>();
    Ok(match &name[..] {
        b"string" => Reply::bulk("Hello World"),
        b"integer" => Reply::Int(12345),
        // The sample value Redis sends, which only looks like pi.
        #[allow(clippy::approx_constant)]
        b"double" => Reply::Double(3.141),
        b"null" => Reply::Nil,
        b"array" => Reply::Array(ints()),
        b"set" => Reply::Set(ints()),
        b"map" => Reply::Map(
            (0..3)
                .map(|j| (Reply::Int(j), Reply::Bool(j == 1)))
                .collect(),
        ),
        b"true" => Reply::Bool(true),
        b"false" => Reply::Bool(false),
        b"verbatim" => Reply::Verbatim("txt", Bytes::from_static(b"This is a verbatim\nstring")),
        _ => return Err(CmdError::DebugProtocolType),
    })
}

/// DEBUG subcommand [argument]
///
/// Refused unless `enable-debug-command` allows it for this client (it is `no` by default, as in
/// Redis), before the subcommand is even read.
fn debug(cx: AsyncCtx, args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        if !settings::debug_allowed(caller_addr(&cx).await) {
            return Err(CmdError::DebugNotAllowed);
        }
        match DebugArgs::parse(&args)? {
            DebugArgs::Help => Ok(help_reply(
                "DEBUG",
                &[
                    "LOG <message>",
                    "    Write <message> to the server log.",
                    "PROTOCOL <type>",
                    "    Reply with a sample of a protocol type: string, integer, double, null,",
                    "    array, set, map, verbatim, true or false.",
                    "SET-ACTIVE-EXPIRE <0|1>",
                    "    Turn the background expiry of keys off (0) or on (1).",
                    "SLEEP <seconds>",
                    "    Delay this connection's reply by <seconds> (may be fractional).",
                ],
            )),
            DebugArgs::Sleep(d) => {
                if !d.is_zero() {
                    crate::server::timers::sleep(d).await;
                }
                Ok(Reply::Ok)
            }
            DebugArgs::SetActiveExpire(on) => {
                switches::set_active_expire(on);
                Ok(Reply::Ok)
            }
            DebugArgs::Log(msg) => {
                tracing::warn!(message = %String::from_utf8_lossy(&msg), "DEBUG LOG");
                Ok(Reply::Ok)
            }
            DebugArgs::Protocol(r) => Ok(r),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<DebugArgs, CmdError> {
        let args: Vec<Bytes> = line
            .split(' ')
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect();
        DebugArgs::parse(&args)
    }

    #[test]
    fn sleep_reads_its_argument_like_strtod() {
        assert_eq!(
            parse("DEBUG SLEEP 0.25"),
            Ok(DebugArgs::Sleep(Duration::from_millis(250)))
        );
        assert_eq!(
            parse("DEBUG sleep 1s"),
            Ok(DebugArgs::Sleep(Duration::from_secs(1)))
        );
        assert_eq!(
            parse("DEBUG SLEEP abc"),
            Ok(DebugArgs::Sleep(Duration::ZERO))
        );
        assert_eq!(
            parse("DEBUG SLEEP -3"),
            Ok(DebugArgs::Sleep(Duration::ZERO))
        );
    }

    #[test]
    fn set_active_expire_reads_its_argument_like_atoi() {
        assert_eq!(
            parse("DEBUG SET-ACTIVE-EXPIRE 0"),
            Ok(DebugArgs::SetActiveExpire(false))
        );
        assert_eq!(
            parse("DEBUG set-active-expire 1"),
            Ok(DebugArgs::SetActiveExpire(true))
        );
        assert_eq!(
            parse("DEBUG SET-ACTIVE-EXPIRE x"),
            Ok(DebugArgs::SetActiveExpire(false))
        );
    }

    #[test]
    fn unknown_or_misused_subcommands_point_at_help() {
        assert_eq!(
            parse("DEBUG FOO"),
            Err(CmdError::SubcommandSyntax(Bytes::from("FOO"), "DEBUG"))
        );
        assert_eq!(
            parse("DEBUG SLEEP"),
            Err(CmdError::SubcommandSyntax(Bytes::from("SLEEP"), "DEBUG"))
        );
    }

    #[test]
    fn protocol_samples_each_type() {
        assert_eq!(
            parse("DEBUG PROTOCOL integer"),
            Ok(DebugArgs::Protocol(Reply::Int(12345)))
        );
        assert_eq!(
            parse("DEBUG PROTOCOL TRUE"),
            Ok(DebugArgs::Protocol(Reply::Bool(true)))
        );
        assert_eq!(
            parse("DEBUG PROTOCOL nosuch"),
            Err(CmdError::DebugProtocolType)
        );
    }
}

//! The reply of every `<COMMAND> HELP` subcommand.
//!
//! Owns: the shape Redis gives these replies (a header naming the command, the entries, and a
//! closing entry for HELP itself), so each family only lists its own entries.

use std::borrow::Cow;

use crate::protocol::reply::Reply;

/// The HELP reply of `command` (uppercase, e.g. `CLIENT`): one status line per entry of `lines`,
/// framed by the usual header and the HELP entry.
pub fn help_reply(command: &str, lines: &[&'static str]) -> Reply {
    let mut out = Vec::with_capacity(lines.len() + 3);
    out.push(Reply::Status(Cow::Owned(format!(
        "{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ))));
    out.extend(lines.iter().map(|l| Reply::status(l)));
    out.push(Reply::status("HELP"));
    out.push(Reply::status("    Prints this help."));
    Reply::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_is_framed_by_a_header_and_its_own_entry() {
        let Reply::Array(items) = help_reply("OBJECT", &["FREQ <key>", "    Frequency."]) else {
            panic!("HELP answers an array")
        };
        assert_eq!(items.len(), 5);
        assert_eq!(
            items[0],
            Reply::status("OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        );
        assert_eq!(items[4], Reply::status("    Prints this help."));
    }
}

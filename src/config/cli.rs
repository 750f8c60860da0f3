//! The `tessera-server` command line, in redis-server's form:
//! `tessera-server [/path/to/tessera.conf] [--directive value ...] ...`.
//!
//! Owns: the binary's own flags (through clap) and the translation of every other argument into
//! config lines, which are applied after the file's, so the command line wins.

use std::path::Path;

use clap::{ArgAction, Parser};

use super::error::ConfigError;
use super::split::quote;
use super::store::Config;

#[derive(Parser, Debug)]
#[command(
    name = "tessera-server",
    version,
    about = "A Redis-compatible in-memory server",
    disable_version_flag = true,
    override_usage = "tessera-server [/path/to/tessera.conf] [--directive value ...]...\n       \
                      tessera-server --port 7777 --save \"\"\n       \
                      tessera-server /etc/tessera/6379.conf --replicaof 127.0.0.1 8888"
)]
struct Cli {
    /// Print the version and exit.
    #[arg(short = 'v', long = "version", action = ArgAction::Version)]
    version: Option<bool>,

    /// Run as a Sentinel (not supported yet).
    #[arg(long)]
    sentinel: bool,

    /// The config file, then any directives as `--name value...`.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    args: Vec<String>,
}

/// Loads the configuration the way redis-server reads its command line: an optional config
/// file first, then `--directive value...` options appended as if they were the file's last
/// lines. `args` excludes the program name.
///
/// Errors include `ConfigError::Usage` for `--help` and `--version`: print it and exit with its
/// `exit_code()`.
pub fn load_from_args(args: &[String]) -> Result<Config, ConfigError> {
    let argv = std::iter::once("tessera-server".to_string()).chain(args.iter().cloned());
    let cli = Cli::try_parse_from(argv).map_err(|e| ConfigError::Usage {
        message: e.render().to_string(),
        exit_code: e.exit_code(),
    })?;
    let rest = &cli.args[..];
    if cli.sentinel || rest.iter().any(|a| a.eq_ignore_ascii_case("--sentinel")) {
        return Err(usage("Sentinel mode is not supported yet"));
    }
    let (file, options) = match rest.first() {
        Some(first) if !first.starts_with('-') => (Some(Path::new(first.as_str())), &rest[1..]),
        _ => (None, rest),
    };
    if options.iter().any(|a| a == "-") {
        return Err(usage(
            "Reading the configuration from standard input is not supported",
        ));
    }
    Config::load(file, &options_to_lines(options))
}

fn usage(message: &str) -> ConfigError {
    ConfigError::Usage {
        message: message.to_string(),
        exit_code: 1,
    }
}

/// Turns `--name value...` arguments into config lines, one per `--name`. Values are quoted so
/// the line reads back as the same words. As in redis-server, an argument starting with `--`
/// is a value, not a name, when the previous name has no value yet; and a bare `--save` (last,
/// or followed by another name) means `save ""`.
pub fn options_to_lines(options: &[String]) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut awaiting_value = false;
    for (i, arg) in options.iter().enumerate() {
        if !awaiting_value && arg.starts_with("--") {
            let name = &arg[2..];
            let mut line = format!("{name} ");
            // `--port 6380` passed as one argument carries its own value.
            awaiting_value = name.split_whitespace().count() <= 1;
            if awaiting_value && arg.eq_ignore_ascii_case("--save") {
                let next_is_name = options.get(i + 1).is_some_and(|n| n.starts_with("--"));
                if next_is_name || i + 1 == options.len() {
                    line.push_str("\"\"");
                    awaiting_value = false;
                }
            }
            lines.push(line);
        } else {
            let value = quote(arg.as_bytes());
            match lines.last_mut() {
                Some(line) => {
                    line.push_str(&value);
                    line.push(' ');
                }
                None => lines.push(format!("{value} ")),
            }
            awaiting_value = false;
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::error::Origin;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_become_quoted_lines() {
        assert_eq!(
            options_to_lines(&args(&[
                "--port",
                "7000",
                "--replicaof",
                "127.0.0.1",
                "6379"
            ])),
            ["port \"7000\" ", "replicaof \"127.0.0.1\" \"6379\" "]
        );
        assert_eq!(options_to_lines(&args(&["--port 7000"])), ["port 7000 "]);
    }

    #[test]
    fn bare_save_means_no_snapshots() {
        assert_eq!(options_to_lines(&args(&["--save"])), ["save \"\""]);
        assert_eq!(
            options_to_lines(&args(&["--save", "--port", "1"])),
            ["save \"\"", "port \"1\" "]
        );
        assert_eq!(options_to_lines(&args(&["--save", ""])), ["save \"\" "]);
    }

    #[test]
    fn a_dash_dash_word_after_a_bare_name_is_its_value() {
        assert_eq!(
            options_to_lines(&args(&["--requirepass", "--secret"])),
            ["requirepass \"--secret\" "]
        );
    }

    #[test]
    fn command_line_overrides_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("t.conf");
        std::fs::write(&p, "port 7000\nsave 900 1\nhz 20\n").unwrap();
        let c = load_from_args(&args(&[
            p.to_str().unwrap(),
            "--port",
            "7001",
            "--save",
            "",
        ]))
        .unwrap();
        assert_eq!(c.port(), 7001);
        assert!(c.save_points().is_empty());
        assert_eq!(c.hz(), 20);
        assert_eq!(c.config_file(), Some(p.as_path()));
    }

    #[test]
    fn options_alone_need_no_file() {
        let c = load_from_args(&args(&[
            "--port",
            "7000",
            "--replicaof",
            "127.0.0.1",
            "6379",
        ]))
        .unwrap();
        assert_eq!(c.port(), 7000);
        assert_eq!(c.replicaof(), Some(("127.0.0.1", 6379)));
        assert_eq!(c.config_file(), None);
        let c = load_from_args(&args(&[
            "--replicaof",
            "127.0.0.1 6379",
            "--bind",
            "::1",
            "127.0.0.1",
        ]))
        .unwrap();
        assert_eq!(c.replicaof(), Some(("127.0.0.1", 6379)));
        assert_eq!(c.bind(), ["::1", "127.0.0.1"]);
    }

    #[test]
    fn a_bad_option_is_reported_as_a_command_line_line() {
        let e = load_from_args(&args(&["--port", "7000", "--nosuch", "1"])).unwrap_err();
        assert!(matches!(
            &e,
            ConfigError::Line {
                origin: Origin::CommandLine,
                line_no: 2,
                ..
            }
        ));
        assert!(e
            .to_string()
            .contains(">>> 'nosuch \"1\"'\nBad directive or wrong number of arguments"));
    }

    #[test]
    fn help_and_version_exit_zero() {
        let e = load_from_args(&args(&["--help"])).unwrap_err();
        assert_eq!(e.exit_code(), 0);
        assert!(e.to_string().contains("tessera-server"));
        let e = load_from_args(&args(&["-v"])).unwrap_err();
        assert_eq!(e.exit_code(), 0);
        assert!(e.to_string().contains(env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn sentinel_is_refused_for_now() {
        assert!(load_from_args(&args(&["--sentinel"])).is_err());
        assert!(load_from_args(&args(&["x.conf", "--sentinel"])).is_err());
    }
}

//! Why the configuration could not be loaded, in the words the user reads before the server
//! exits.
//!
//! Owns: `ConfigError` and its `Display`, which mirrors Redis's "FATAL CONFIG FILE ERROR" block
//! and adds the path of the file at fault (an included file names itself, not its includer).

use std::fmt;
use std::path::PathBuf;

/// Where a config line came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A config file, or a file it includes.
    File(PathBuf),
    /// The `--directive value` options after the file on the command line.
    CommandLine,
}

/// A configuration that cannot start a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// A line was refused.
    Line {
        /// Which file (or the command line) holds it.
        origin: Origin,
        /// 1-based line number in that origin.
        line_no: usize,
        /// The line, trimmed, as written.
        line: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A config file could not be read.
    Open {
        /// The path as given.
        path: PathBuf,
        /// The OS error text.
        reason: String,
    },
    /// Every line was fine but the whole is not (e.g. the log file cannot be opened).
    Invalid {
        /// What is wrong.
        reason: String,
    },
    /// The command line asked for help or the version, or was malformed: print `message` and
    /// exit with `exit_code` (0 for help and version).
    Usage {
        /// Text for the terminal, clap's own when clap produced it.
        message: String,
        /// The process exit status to use.
        exit_code: i32,
    },
}

impl ConfigError {
    /// The exit status a process should end with after printing this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            ConfigError::Usage { exit_code, .. } => *exit_code,
            _ => 1,
        }
    }
}

const VERSION: &str = env!("CARGO_PKG_VERSION");

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Line {
                origin,
                line_no,
                line,
                reason,
            } => {
                writeln!(f, "*** FATAL CONFIG FILE ERROR (Tessera {VERSION}) ***")?;
                match origin {
                    Origin::File(path) => writeln!(
                        f,
                        "Reading the configuration file {}, at line {line_no}",
                        path.display()
                    )?,
                    Origin::CommandLine => {
                        writeln!(f, "Reading the command line options, at line {line_no}")?
                    }
                }
                writeln!(f, ">>> '{line}'")?;
                write!(f, "{reason}")
            }
            ConfigError::Open { path, reason } => write!(
                f,
                "Fatal error, can't open config file '{}': {reason}",
                path.display()
            ),
            ConfigError::Invalid { reason } => {
                writeln!(f, "*** FATAL CONFIG FILE ERROR (Tessera {VERSION}) ***")?;
                write!(f, "{reason}")
            }
            ConfigError::Usage { message, .. } => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_line_names_file_line_number_text_and_reason() {
        let e = ConfigError::Line {
            origin: Origin::File("/path/x.conf".into()),
            line_no: 2,
            line: "foo bar".into(),
            reason: "Bad directive or wrong number of arguments".into(),
        };
        assert_eq!(
            e.to_string(),
            format!(
                "*** FATAL CONFIG FILE ERROR (Tessera {VERSION}) ***\n\
                 Reading the configuration file /path/x.conf, at line 2\n\
                 >>> 'foo bar'\n\
                 Bad directive or wrong number of arguments"
            )
        );
        assert_eq!(e.exit_code(), 1);
    }

    #[test]
    fn help_exits_zero() {
        let e = ConfigError::Usage {
            message: "usage".into(),
            exit_code: 0,
        };
        assert_eq!(e.to_string(), "usage");
        assert_eq!(e.exit_code(), 0);
    }
}

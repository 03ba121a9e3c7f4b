//! Resolves the command line, the environment and the terminal into a plain [`Config`] once,
//! so nothing after this sees clap or looks at the environment.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Result, bail};

use crate::catalog::{self, Event, Lookup};
use crate::cli::{Cli, ColorWhen, Command, Format, ReadArgs};
use crate::codes::{Code, CodeSet};
use crate::render::Style;
use crate::schemas::Source;
use crate::validate::{self, Options};

/// Everything a run needs to know, decided.
#[derive(Debug)]
pub struct Config {
    /// Colour on standard output.
    pub out_style: Style,
    /// Colour on standard error.
    pub err_style: Style,
    /// Flush after every record: standard output is a pipe or terminal, where a reader waits
    /// for each line (`tail -f capture | jerahook validate`), not a file.
    pub flush_each: bool,
    /// Standard output is a terminal (a progress bar must make way for output).
    pub out_is_terminal: bool,
    /// A progress bar may be shown: standard error is a terminal.
    pub progress: bool,
    /// Workers judging payloads; 1 judges on the main thread.
    pub jobs: usize,
    /// Where the schemas come from.
    pub schemas: Source,
    /// What to do.
    pub mode: Mode,
}

/// The command, with its arguments resolved.
#[derive(Debug)]
pub enum Mode {
    Validate {
        read: Read,
        format: Format,
        /// Print only invalid payloads and the summary.
        quiet: bool,
    },
    Inspect {
        read: Read,
        /// Add every other field as `path = value`.
        all: bool,
    },
    Events {
        format: Format,
    },
    /// Print the schema of one event.
    Schema {
        event: &'static Event,
    },
    /// Write all generated schemas under a directory.
    WriteSchemas {
        dir: PathBuf,
    },
    Sample {
        event: &'static Event,
    },
}

/// What to read and what to ask of each payload.
#[derive(Debug)]
pub struct Read {
    /// Paths as given; empty means standard input.
    pub paths: Vec<PathBuf>,
    pub options: Options,
}

impl Config {
    /// Resolves the parsed command line against the process's environment and terminals.
    pub fn from_cli(cli: Cli) -> Result<Self> {
        let env = |name: &str| std::env::var_os(name);
        let out_style = Style {
            color: color_for(
                cli.color,
                std::io::stdout().is_terminal(),
                env("NO_COLOR"),
                env("TERM"),
            ),
        };
        let err_style = Style {
            color: color_for(
                cli.color,
                std::io::stderr().is_terminal(),
                env("NO_COLOR"),
                env("TERM"),
            ),
        };
        // `colored` is told once; the styles above decide per stream whether to use it.
        colored::control::set_override(out_style.color || err_style.color);
        let schemas = match cli.schemas {
            Some(dir) => Source::Dir(dir),
            None => Source::BuiltIn,
        };
        let mode = match cli.command {
            Command::Validate {
                read,
                format,
                quiet,
            } => Mode::Validate {
                read: resolve_read(read)?,
                format,
                quiet,
            },
            Command::Inspect { read, all } => Mode::Inspect {
                read: resolve_read(read)?,
                all,
            },
            Command::Events { format } => Mode::Events { format },
            Command::Schema { id: Some(id), .. } => Mode::Schema {
                event: resolve_event(&id)?,
            },
            Command::Schema {
                write: Some(dir), ..
            } => Mode::WriteSchemas { dir },
            Command::Schema { .. } => bail!("schema needs an event id or --write DIR"),
            Command::Sample { id } => Mode::Sample {
                event: resolve_event(&id)?,
            },
        };
        let jobs = match cli.jobs {
            Some(jobs) => usize::from(jobs),
            None => std::thread::available_parallelism().map_or(1, usize::from),
        };
        Ok(Config {
            out_style,
            err_style,
            flush_each: !stdout_is_file(),
            out_is_terminal: std::io::stdout().is_terminal(),
            progress: std::io::stderr().is_terminal(),
            jobs,
            schemas,
            mode,
        })
    }
}

fn resolve_read(read: ReadArgs) -> Result<Read> {
    let event = read.event.as_deref().map(resolve_event).transpose()?;
    let mut allowed = CodeSet::default();
    for name in &read.allow {
        match Code::warning(name) {
            Some(code) => allowed.insert(code),
            None => {
                let known: Vec<&str> = Code::WARNINGS.iter().map(|code| code.name()).collect();
                bail!(
                    "--allow: unknown warning code \"{name}\"; the codes are {}",
                    known.join(", ")
                )
            }
        }
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        });
    Ok(Read {
        paths: read.paths,
        options: Options {
            event,
            allow_unknown: read.allow_unknown,
            strict: read.strict,
            allowed,
            undocumented: read.undocumented,
            redact: read.redact,
            now,
        },
    })
}

/// An event named on the command line, by its current or an older name.
fn resolve_event(id: &str) -> Result<&'static Event> {
    match catalog::lookup(id) {
        Lookup::Known(event) | Lookup::Old(event, _) => Ok(event),
        Lookup::Unknown => bail!("{}", validate::unknown_event_message(id)),
    }
}

/// Colour for one stream: `auto` means a terminal, `NO_COLOR` unset or empty, and a `TERM`
/// other than `dumb`.
pub fn color_for(
    when: ColorWhen,
    is_terminal: bool,
    no_color: Option<OsString>,
    term: Option<OsString>,
) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            is_terminal
                && no_color.is_none_or(|value| value.is_empty())
                && term.is_none_or(|value| value != "dumb")
        }
    }
}

#[cfg(unix)]
fn stdout_is_file() -> bool {
    use std::os::fd::AsFd;
    std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map(std::fs::File::from)
        .and_then(|file| file.metadata())
        .is_ok_and(|metadata| metadata.is_file())
}

#[cfg(not(unix))]
fn stdout_is_file() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colour_needs_a_terminal_and_no_no_color() {
        assert!(color_for(ColorWhen::Auto, true, None, None));
        assert!(!color_for(ColorWhen::Auto, false, None, None));
        assert!(!color_for(ColorWhen::Auto, true, Some("1".into()), None));
        assert!(color_for(ColorWhen::Auto, true, Some("".into()), None));
        assert!(!color_for(ColorWhen::Auto, true, None, Some("dumb".into())));
        assert!(color_for(ColorWhen::Always, false, Some("1".into()), None));
        assert!(!color_for(ColorWhen::Never, true, None, None));
    }
}

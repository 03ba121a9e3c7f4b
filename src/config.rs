//! Resolves the command line, the environment and the terminal into a plain [`Config`] once,
//! so nothing after this sees clap or looks at the environment.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;

use std::net::ToSocketAddrs;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::catalog::{self, Event, Lookup};
use crate::cli::TestHandlerArgs;
use crate::cli::{
    CheckArgs, Cli, ColorWhen, Command, Format, ListenArgs, ReadArgs, SendArgs, ValidateFormat,
};
use crate::http::server::Limits;
use crate::http::ui::UiSettings;
use crate::http::{listen, send, test_handler};
use crate::judge::codes::{Code, CodeSet};
use crate::judge::schemas::Source;
use crate::judge::validate::{self, Options};
use crate::manual;
use crate::output::render::Style;

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
    /// Standard input is a terminal: reading it waits for a person to type.
    pub stdin_is_terminal: bool,
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
        format: ValidateFormat,
        /// Print only invalid payloads and a one-line total.
        quiet: bool,
        /// With `quiet`, still print the count per event.
        by_event: bool,
    },
    Inspect {
        read: Read,
        /// Add every other field as `path = value`.
        all: bool,
        format: Format,
    },
    Events {
        format: Format,
    },
    /// Print the schema of one event.
    Schema {
        event: &'static Event,
    },
    /// Print the schema of any event, which dispatches on `events_id`.
    SchemaAll,
    /// Write all generated schemas under a directory.
    WriteSchemas {
        dir: PathBuf,
    },
    Sample {
        event: &'static Event,
    },
    /// Receive payloads over HTTP.
    Listen(Box<listen::Settings>),
    /// Replay payloads at a handler.
    Send {
        read: Read,
        settings: Box<send::Settings>,
    },
    /// Fire the conformance cases at a handler.
    TestHandler(Box<test_handler::Settings>),
    /// Print a shell's completion script.
    Completions(manual::Shell),
    /// Print the manual page.
    Man,
}

/// What to read and what to ask of each payload.
#[derive(Debug)]
pub struct Read {
    /// Paths as given; empty means standard input.
    pub paths: Vec<PathBuf>,
    pub options: Options,
    /// Only these events are judged and shown (`--events`); empty means all.
    pub events: Vec<&'static Event>,
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
        let schemas = match schemas_dir(&cli.command) {
            Some(dir) => Source::Dir(dir.clone()),
            None => Source::BuiltIn,
        };
        let jobs = match &cli.command {
            Command::Validate { threads, .. } | Command::Inspect { threads, .. } => threads.jobs,
            _ => None,
        };
        let mode = match cli.command {
            Command::Validate {
                read,
                format,
                quiet,
                by_event,
                threads: _,
            } => Mode::Validate {
                read: resolve_read(read)?,
                format,
                quiet,
                by_event,
            },
            Command::Inspect {
                read, all, format, ..
            } => Mode::Inspect {
                read: resolve_read(read)?,
                all,
                format,
            },
            Command::Events { format } => Mode::Events { format },
            Command::Schema { id: Some(id), .. } => Mode::Schema {
                event: resolve_event(&id)?,
            },
            Command::Schema { all: true, .. } => Mode::SchemaAll,
            Command::Schema {
                write: Some(dir), ..
            } => Mode::WriteSchemas { dir },
            Command::Schema { .. } => bail!(
                "schema needs an event id (`jerahook events` lists them), --all for the schema of \
                 any event (it picks the event's schema by events_id), or --write DIR for every schema"
            ),
            Command::Sample { id } => Mode::Sample {
                event: resolve_event(&id)?,
            },
            Command::Listen(args) => Mode::Listen(Box::new(resolve_listen(*args, out_style)?)),
            Command::Send(args) => {
                let (read, settings) = resolve_send(args, out_style)?;
                Mode::Send {
                    read,
                    settings: Box::new(settings),
                }
            }
            Command::TestHandler(args) => {
                Mode::TestHandler(Box::new(resolve_test_handler(args, out_style)?))
            }
            Command::Completions { shell } => Mode::Completions(shell),
            Command::Man => Mode::Man,
        };
        let jobs = match jobs {
            Some(jobs) => usize::from(jobs),
            None => std::thread::available_parallelism().map_or(1, usize::from),
        };
        Ok(Config {
            out_style,
            err_style,
            flush_each: !stdout_is_file(),
            out_is_terminal: std::io::stdout().is_terminal(),
            progress: std::io::stderr().is_terminal(),
            stdin_is_terminal: std::io::stdin().is_terminal(),
            jobs,
            schemas,
            mode,
        })
    }
}

/// `--schemas DIR` of the commands that take it.
fn schemas_dir(command: &Command) -> Option<&PathBuf> {
    match command {
        Command::Validate { read, .. } | Command::Inspect { read, .. } => {
            read.check.schemas.schemas.as_ref()
        }
        Command::Send(args) => args.read.check.schemas.schemas.as_ref(),
        Command::Listen(args) => args.check.schemas.schemas.as_ref(),
        Command::Schema { schemas, .. } => schemas.schemas.as_ref(),
        _ => None,
    }
}

fn resolve_read(read: ReadArgs) -> Result<Read> {
    let options = Options {
        max_doc: parse_size(&read.max_doc, "--max-doc")?,
        ..resolve_check(read.check)?
    };
    Ok(Read {
        paths: read.paths,
        options,
        events: resolve_events(&read.events)?,
    })
}

fn resolve_check(read: CheckArgs) -> Result<Options> {
    let event = read
        .expect_event
        .as_deref()
        .map(resolve_event)
        .transpose()?;
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
    Ok(Options {
        event,
        allow_unknown: read.allow_unknown,
        strict: read.strict,
        allowed,
        undocumented: read.undocumented,
        redact: read.redact,
        ..Options::default()
    })
}

fn resolve_events(ids: &[String]) -> Result<Vec<&'static Event>> {
    ids.iter().map(|id| resolve_event(id)).collect()
}

fn resolve_listen(args: ListenArgs, style: Style) -> Result<listen::Settings> {
    let addr = args
        .addr
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .with_context(|| {
            format!(
                "--addr {}: expected HOST:PORT, such as 127.0.0.1:8787",
                args.addr
            )
        })?;
    let forward_to = args
        .forward_to
        .as_deref()
        .map(|url| parse_url(url, "--forward-to"))
        .transpose()?;
    let path = args.path.as_deref().map(resolve_path).transpose()?;
    let allow_origins = args
        .allow_origin
        .iter()
        .map(|origin| resolve_origin(origin))
        .collect::<Result<Vec<_>>>()?;
    let token = resolve_token(args.token)?;
    let max_body = parse_size(&args.max_body, "--max-body")?;
    let max_in_flight = size_within(&args.max_in_flight, "--max-in-flight", 1 << 10, 64 << 30)?;
    if max_in_flight < max_body {
        bail!(
            "--max-in-flight {}: must be at least --max-body ({max_body} bytes), or no body could be received",
            args.max_in_flight
        );
    }
    let ui = resolve_ui(args.ui.as_deref(), &args.ui_history, token.is_some())?;
    Ok(listen::Settings {
        addr,
        path,
        format: args.format,
        quiet: args.quiet,
        events: resolve_events(&args.events)?,
        reply_status: args
            .reply_status
            .map(axum::http::StatusCode::from_u16)
            .transpose()
            .context("--reply-status")?,
        reject_invalid: args.reject_invalid,
        max_body,
        max_in_flight,
        body_timeout: parse_duration(&args.body_timeout, "--body-timeout")?,
        token,
        allow_origins,
        save: args.save,
        fsync: args.fsync,
        forward_to,
        forward_timeout: parse_duration(&args.forward_timeout, "--forward-timeout")?,
        max_answer: size_within(
            &args.max_handler_answer,
            "--max-handler-answer",
            1 << 10,
            1 << 30,
        )?,
        limits: Limits {
            header_timeout: duration_within(&args.header_timeout, "--header-timeout", 0.1, 3600.0)?,
            idle_timeout: duration_within(&args.idle_timeout, "--idle-timeout", 0.1, 3600.0)?,
            max_connections: count_within(&args.max_connections, "--max-connections", 1, 100_000)?,
            grace: duration_within(&args.shutdown_grace, "--shutdown-grace", 0.0, 3600.0)?,
        },
        options: resolve_check(args.check)?,
        style,
        ui,
    })
}

/// The most requests `--ui-history` keeps: even at the smallest an entry can be, this many fit
/// the history's byte cap.
const MAX_UI_HISTORY: u64 = 100_000;

/// `--path`: what a request's path can be. A leading `/` is added; dot segments, a query, a
/// fragment, escapes or non-ASCII letters could never match every client's request, so they
/// are refused rather than kept.
fn resolve_path(path: &str) -> Result<String> {
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    // Only characters every client sends as they are: a percent-encoded or non-ASCII path is
    // written differently by different clients, so it would match some and not others.
    let plain = path
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&byte));
    if !plain
        || path
            .split('/')
            .any(|segment| segment == "." || segment == "..")
    {
        bail!(
            "--path {path}: expected the path VCS posts to, such as /hook: ASCII letters, digits and -._~!$&'()*+,;=:@ between slashes, no '.' or '..' segments, no query"
        );
    }
    Ok(path)
}

/// `--allow-origin`: an origin as browsers send it, `scheme://host[:port]`, kept in the
/// form a request's `Origin` header is compared with.
fn resolve_origin(text: &str) -> Result<String> {
    let url = reqwest::Url::parse(text.trim())
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https"))
        .filter(|url| url.path() == "/" && url.query().is_none() && url.username().is_empty());
    match url {
        Some(url) => Ok(url.origin().ascii_serialization()),
        None => bail!("--allow-origin {text}: expected an origin such as http://localhost:3000"),
    }
}

/// `--token`: an empty or blank one would let anyone in while looking like protection.
fn resolve_token(token: Option<String>) -> Result<Option<String>> {
    match token {
        Some(token) if token.trim().is_empty() => {
            let given = std::env::args_os()
                .any(|arg| arg == "--token" || arg.to_string_lossy().starts_with("--token="));
            let source = if given {
                "--token"
            } else {
                "JERAHOOK_TOKEN (from the environment)"
            };
            bail!("{source} is empty: give a secret, or leave it unset for no token")
        }
        other => Ok(other),
    }
}

/// `--ui [HOST:PORT]` and `--ui-history`: a page beyond loopback shows payloads to whoever
/// reaches it, so it needs a token.
fn resolve_ui(addr: Option<&str>, history: &str, token: bool) -> Result<Option<UiSettings>> {
    let Some(text) = addr else {
        return Ok(None);
    };
    let addr = text
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .with_context(|| format!("--ui {text}: expected HOST:PORT, such as 127.0.0.1:8788"))?;
    if !addr.ip().is_loopback() && !token {
        bail!("--ui {text}: a page beyond loopback shows every payload; protect it with --token");
    }
    Ok(Some(UiSettings {
        addr,
        history: count_within(history, "--ui-history", 1, MAX_UI_HISTORY)?,
    }))
}

fn resolve_send(args: SendArgs, style: Style) -> Result<(Read, send::Settings)> {
    let read = resolve_read(args.read)?;
    let mut headers = reqwest::header::HeaderMap::new();
    for text in &args.headers {
        let (name, value) = send::parse_header(text)?;
        headers.append(name, value);
    }
    let settings = send::Settings {
        to: parse_url(&args.to, "--to")?,
        headers,
        skip_invalid: args.skip_invalid,
        events: read.events.clone(),
        concurrency: usize::from(args.concurrency),
        rate: args.rate.as_deref().map(send::parse_rate).transpose()?,
        timeout: parse_duration(&args.timeout, "--timeout")?,
        format: args.format,
        quiet: args.quiet,
        options: read.options,
        style,
    };
    Ok((read, settings))
}

fn resolve_test_handler(args: TestHandlerArgs, style: Style) -> Result<test_handler::Settings> {
    let mut headers = reqwest::header::HeaderMap::new();
    for text in &args.headers {
        let (name, value) = send::parse_header(text)?;
        headers.append(name, value);
    }
    Ok(test_handler::Settings {
        to: args
            .to
            .as_deref()
            .map(|url| parse_url(url, "--to"))
            .transpose()?,
        headers,
        events: resolve_events(&args.events)?,
        patterns: args.cases,
        list: args.list,
        write: args.write,
        format: args.format,
        quiet: args.quiet,
        timeout: parse_bounded_duration(
            &args.timeout,
            "--timeout",
            Duration::from_millis(1),
            Duration::from_secs(3600),
        )?,
        max_time: args
            .max_time
            .as_deref()
            .map(|text| parse_duration(text, "--max-time"))
            .transpose()?,
        slow: parse_duration(&args.slow, "--slow")?,
        concurrency: usize::from(args.concurrency),
        style,
    })
}

/// A duration as people write it (`10s`, `500ms`, `1m 30s`), within `min..=max`.
pub fn parse_bounded_duration(
    text: &str,
    option: &str,
    min: Duration,
    max: Duration,
) -> Result<Duration> {
    let range = format!(
        "{} to {}",
        humantime::format_duration(min),
        humantime::format_duration(max)
    );
    let duration = humantime::parse_duration(text.trim()).with_context(|| {
        format!("{option} {text}: expected a duration such as 10s or 500ms, from {range}")
    })?;
    if !(min..=max).contains(&duration) {
        bail!("{option} {text}: out of range; expected a duration from {range}");
    }
    Ok(duration)
}

fn parse_url(text: &str, option: &str) -> Result<reqwest::Url> {
    let shown = || crate::http::wire::unparsed_redacted(text);
    let url =
        reqwest::Url::parse(text).with_context(|| format!("{option} {}: not a URL", shown()))?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!("{option} {}: expected an http:// or https:// URL", shown());
    }
    Ok(url)
}

/// The shortest and longest duration a timeout flag takes.
const DURATION_RANGE: (Duration, Duration) =
    (Duration::from_millis(1), Duration::from_secs(86_400));

/// `30s`, `500ms`, `1m 30s` (humantime's spellings) or `2` (seconds), from 1ms to 24h.
pub fn parse_duration(text: &str, option: &str) -> Result<Duration> {
    let (low, high) = DURATION_RANGE;
    match seconds_in(text) {
        // Checked before converting: `Duration::from_secs_f64` panics past its range.
        Some(seconds) if (low.as_secs_f64()..=high.as_secs_f64()).contains(&seconds) => {
            Ok(Duration::from_secs_f64(seconds))
        }
        _ => {
            bail!("{option} {text}: expected a duration from 1ms to 24h, such as 30s, 500ms or 1m")
        }
    }
}

/// Seconds as written: a plain number, or humantime's spellings (`500ms`, `1m 30s`).
fn seconds_in(text: &str) -> Option<f64> {
    match text.trim().parse::<f64>() {
        Ok(seconds) => Some(seconds),
        Err(_) => humantime::parse_duration(text.trim())
            .ok()
            .map(|duration| duration.as_secs_f64()),
    }
}

/// Bytes as written: a plain number, or bytesize's spellings (`16MiB`, `16MB`, `512K`).
fn bytes_in(text: &str) -> Option<u64> {
    text.trim()
        .parse::<bytesize::ByteSize>()
        .ok()
        .map(|size| size.as_u64())
}

/// The largest size a size flag takes.
const MAX_SIZE: u64 = 4 << 30;

/// `1048576`, `16MiB`, `16MB`, `512K` (bytesize's spellings): from 1 byte to 4GiB.
pub fn parse_size(text: &str, option: &str) -> Result<usize> {
    match bytes_in(text) {
        Some(bytes @ 1..=MAX_SIZE) => usize::try_from(bytes)
            .with_context(|| format!("{option} {text}: larger than this machine can address")),
        _ => bail!("{option} {text}: expected a size from 1 byte to 4GiB, such as 16MiB or 65536"),
    }
}

/// A duration flag (`10s`, `500ms`, `2`) between `min` and `max` seconds.
fn duration_within(text: &str, option: &str, min: f64, max: f64) -> Result<Duration> {
    // Nothing shorter than a millisecond means anything here; 0 only where `min` is 0.
    let lowest = min.max(0.001);
    match seconds_in(text) {
        Some(seconds) if (lowest..=max).contains(&seconds) || (min == 0.0 && seconds == 0.0) => {
            Ok(Duration::from_secs_f64(seconds))
        }
        _ if min == 0.0 => bail!(
            "{option} {text}: expected 0s or a duration from 1ms to {}, such as 10s or 500ms",
            seconds_label(max)
        ),
        _ => bail!(
            "{option} {text}: expected a duration from {} to {}, such as 10s or 500ms",
            seconds_label(min),
            seconds_label(max)
        ),
    }
}

fn seconds_label(seconds: f64) -> String {
    if seconds > 0.0 && seconds < 1.0 {
        format!("{}ms", (seconds * 1000.0).round())
    } else {
        format!("{seconds}s")
    }
}

/// A size flag (`64MiB`, `512K`, `65536`) between `min` and `max` bytes.
fn size_within(text: &str, option: &str, min: u64, max: u64) -> Result<usize> {
    let bytes = bytes_in(text)
        .filter(|bytes| (min..=max).contains(bytes))
        .and_then(|bytes| usize::try_from(bytes).ok());
    bytes.with_context(|| {
        format!(
            "{option} {text}: expected a size from {} to {}, such as 64MiB",
            size_label(min),
            size_label(max)
        )
    })
}

fn size_label(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{}GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{}MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{}KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// A whole-number flag between `min` and `max`.
fn count_within(text: &str, option: &str, min: u64, max: u64) -> Result<usize> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|count| (min..=max).contains(count))
        .and_then(|count| usize::try_from(count).ok())
        .with_context(|| format!("{option} {text}: expected a whole number from {min} to {max}"))
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
    fn urls_that_do_not_parse_are_shown_without_their_secrets() {
        for (given, shown) in [
            (
                "http://user:pw@127.0.0.1:99999/?token=t",
                "http://…@127.0.0.1:99999/?…",
            ),
            ("htp://u:pw@h/x#frag", "htp://…@h/x?…"),
            ("[::1", "[::1"),
            ("http://user:pa/ss@host/hook", "http://…@host/hook"),
            ("//a:hunter2@x/?token=s", "//…@x/?…"),
            ("http://user:p#ss@host/hook", "http://…@host/hook"),
            ("http://a:hunter2%40x/?token=s", "http://a:hunter2%40x/?…"),
        ] {
            assert_eq!(crate::http::wire::unparsed_redacted(given), shown);
        }
        let error = parse_url("http://user:SECRET@127.0.0.1:99999/?token=TOK", "--to").unwrap_err();
        let message = format!("{error:#}");
        assert!(
            !message.contains("SECRET") && !message.contains("TOK"),
            "{message}"
        );
        assert!(
            message.starts_with("--to http://…@127.0.0.1:99999/?…: not a URL"),
            "{message}"
        );
    }

    #[test]
    fn sizes_and_durations_read_as_written() {
        assert_eq!(parse_size("16MiB", "--s").unwrap(), 16 << 20);
        assert_eq!(parse_size("512k", "--s").unwrap(), 512_000);
        assert_eq!(parse_size("65536", "--s").unwrap(), 65_536);
        assert!(parse_size("lots", "--s").is_err());
        assert_eq!(parse_size("16MB", "--s").unwrap(), 16_000_000);
        assert_eq!(parse_size("16 MiB", "--s").unwrap(), 16 << 20);
        assert!(parse_size("5GiB", "--s").is_err());
        assert_eq!(
            parse_duration("1m", "--t").unwrap(),
            Duration::from_secs(60)
        );
        assert_eq!(
            parse_duration("1m 30s", "--t").unwrap(),
            Duration::from_secs(90)
        );
        assert!(parse_duration("2d", "--t").is_err());
        assert_eq!(
            parse_duration("30s", "--t").unwrap(),
            Duration::from_secs(30)
        );
        assert_eq!(
            parse_duration("500ms", "--t").unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(parse_duration("2", "--t").unwrap(), Duration::from_secs(2));
        assert!(parse_duration("soon", "--t").is_err());
    }

    #[test]
    fn bounded_durations_name_the_option_and_the_range() {
        let parse = |text| {
            parse_bounded_duration(
                text,
                "--timeout",
                Duration::from_millis(1),
                Duration::from_secs(3600),
            )
        };
        assert_eq!(parse("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse("1m 30s").unwrap(), Duration::from_secs(90));
        assert_eq!(
            parse("0s").unwrap_err().to_string(),
            "--timeout 0s: out of range; expected a duration from 1ms to 1h"
        );
        assert_eq!(
            parse("2h").unwrap_err().to_string(),
            "--timeout 2h: out of range; expected a duration from 1ms to 1h"
        );
        assert!(format!("{:#}", parse("soon").unwrap_err()).starts_with(
            "--timeout soon: expected a duration such as 10s or 500ms, from 1ms to 1h"
        ));
    }

    #[test]
    fn bounded_flags_refuse_what_is_out_of_range() {
        assert_eq!(
            duration_within("500ms", "--t", 0.1, 3600.0).unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(
            duration_within("0s", "--g", 0.0, 3600.0).unwrap(),
            Duration::ZERO
        );
        for bad in [
            "0",
            "-1",
            "1e300",
            "1e-300",
            "NaN",
            "inf",
            "99999999999999999999999",
            "50ms",
        ] {
            let error = duration_within(bad, "--t", 0.1, 3600.0)
                .unwrap_err()
                .to_string();
            assert_eq!(
                error,
                format!("--t {bad}: expected a duration from 100ms to 3600s, such as 10s or 500ms")
            );
        }
        assert_eq!(
            size_within("64MiB", "--s", 1024, 64 << 30).unwrap(),
            64 << 20
        );
        for bad in [
            "0",
            "-1",
            "1e300",
            "1e-300",
            "NaN",
            "99999999999999999999999",
            "65GiB",
            "1023",
        ] {
            let error = size_within(bad, "--s", 1024, 64 << 30)
                .unwrap_err()
                .to_string();
            assert_eq!(
                error,
                format!("--s {bad}: expected a size from 1KiB to 64GiB, such as 64MiB")
            );
        }
        assert_eq!(count_within("256", "--n", 1, 100_000).unwrap(), 256);
        for bad in [
            "0",
            "-1",
            "1e300",
            "1e-300",
            "NaN",
            "99999999999999999999999",
            "100001",
        ] {
            assert_eq!(
                count_within(bad, "--n", 1, 100_000)
                    .unwrap_err()
                    .to_string(),
                format!("--n {bad}: expected a whole number from 1 to 100000")
            );
        }
    }

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

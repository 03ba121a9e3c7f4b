//! The command line, as clap derives it. Only this module and `config` see clap types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Schemas, validation and inspection for JeraSoft VCS Provisioning API payloads.
///
/// VCS posts one JSON payload per event to the handlers an operator configured:
/// {"event": {"dt", "events_id", "object_id"}, "data": {...}}. jerahook knows all 27 events
/// and checks captured payloads against one JSON Schema per event id.
#[derive(Debug, Parser)]
#[command(name = "jerahook", version, max_term_width = 100, after_help = crate::exit::help())]
pub struct Cli {
    /// When to colour the output: auto colours a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, global = true, value_name = "WHEN", env = "JERAHOOK_COLOR")]
    pub color: ColorWhen,

    /// Replaced by --expect-event and --events; refused with a message that says so.
    #[arg(long = "event", global = true, hide = true, value_name = "ID", num_args = 0..=1, default_missing_value = "", value_parser = retired_event)]
    pub retired_event: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

/// `--event` meant "every payload must be this event" in some commands and was one letter
/// away from `--events`, "only these events", in others: it is gone, and says where to go.
fn retired_event(_: &str) -> Result<String, String> {
    Err(
        "--event is gone: use --expect-event ID to require every payload to be that event, \
         or --events ID,... to act only on those events"
            .into(),
    )
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check payloads against their event's schema: one line per payload, exit 1 if any is
    /// invalid.
    Validate {
        #[command(flatten)]
        read: ReadArgs,

        /// Output format: text for people, json for one record per payload per line, github
        /// for GitHub Actions annotations, junit for a JUnit XML report.
        #[arg(long, value_enum, default_value_t = ValidateFormat::Text)]
        format: ValidateFormat,

        /// Print only invalid payloads and a one-line total.
        #[arg(short, long)]
        quiet: bool,

        /// With --quiet, also print the count of payloads per event.
        #[arg(long)]
        by_event: bool,

        #[command(flatten)]
        threads: ThreadArgs,
    },
    /// Show what each payload says: the event, its key fields, and any validation errors.
    Inspect {
        #[command(flatten)]
        read: ReadArgs,

        /// Also list every other field of the payload's data as `path = value`.
        #[arg(long)]
        all: bool,

        /// Output format: text for people, or json (one summary per payload per line).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,

        #[command(flatten)]
        threads: ThreadArgs,
    },
    /// List the events jerahook knows, by category.
    Events {
        /// Output format: text, or json (an array of {id, category, description}).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print the JSON Schema of an event or of any event, or write every schema to a directory.
    Schema {
        /// The event id, such as clients.create (`jerahook events` lists them).
        #[arg(conflicts_with_all = ["write", "all"])]
        id: Option<String>,

        /// Print the schema of any event (`vcs-event.schema.json`): it picks the event's schema
        /// by `event.events_id`, for a capture of mixed events.
        #[arg(long, conflicts_with = "write")]
        all: bool,

        /// Generate all schemas from the built-in catalog into DIR (`DIR/<id>.schema.json` and
        /// `DIR/defs/`).
        #[arg(long, value_name = "DIR")]
        write: Option<PathBuf>,

        #[command(flatten)]
        schemas: SchemaArgs,
    },
    /// Receive payloads from VCS: validate, print, save and forward them to the real handler.
    Listen(Box<ListenArgs>),
    /// Replay payloads at a handler as VCS posts them, and report its answers.
    Send(SendArgs),
    /// Fire every event in every form VCS sends at a handler and give a verdict per case.
    TestHandler(TestHandlerArgs),
    /// Print a payload of an event that validates (the documented one).
    Sample {
        /// The event id, such as clients.create.
        id: String,
    },
    /// Print the completion script for bash, zsh, fish, PowerShell or Elvish.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), every command on one page: jerahook man | man -l -
    Man,
}

/// How `validate`, `inspect` and `send` read payloads.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Files, directories (searched for *.json, *.ndjson, *.jsonl) or - for standard input;
    /// none reads standard input. A file may hold one payload or many (NDJSON, or documents one
    /// after another).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// A document larger than this is one invalid record (too-large) and reading resumes after
    /// it; nothing larger is held in memory (65536, 512KB, 16MiB).
    #[arg(long, default_value = "64MiB", value_name = "SIZE")]
    pub max_doc: String,

    /// Act only on these events (comma-separated); payloads of other events are skipped and
    /// counted as skipped.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub events: Vec<String>,

    #[command(flatten)]
    pub check: CheckArgs,
}

/// How many threads judge payloads.
#[derive(Debug, Args)]
pub struct ThreadArgs {
    /// Threads judging payloads (default: one per core; 1 uses no extra thread).
    #[arg(short, long, value_name = "N", value_parser = threads)]
    pub jobs: Option<u16>,
}

/// Where the schemas come from.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Use the schemas in DIR (as `schema --write` lays them out) instead of the built-in ones.
    #[arg(long, value_name = "DIR", env = "JERAHOOK_SCHEMAS")]
    pub schemas: Option<PathBuf>,
}

/// What is asked of every payload.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Every payload must be this event: any other events_id makes it invalid.
    #[arg(long, value_name = "ID")]
    pub expect_event: Option<String>,

    /// Check payloads of event ids the catalog does not know against the envelope only, with a
    /// warning, instead of failing them.
    #[arg(long)]
    pub allow_unknown: bool,

    /// Treat warnings as errors.
    #[arg(long)]
    pub strict: bool,

    /// Do not report these warnings (comma-separated codes, such as future-dt,duplicate-key).
    #[arg(long, value_name = "CODE", value_delimiter = ',')]
    pub allow: Vec<String>,

    /// Replace every value of the payloads' data in the output by its type and length, so the
    /// output can be shared without client data.
    #[arg(long)]
    pub redact: bool,

    /// At the end, list the fields of data the catalog does not document, counted per event.
    #[arg(long)]
    pub undocumented: bool,

    #[command(flatten)]
    pub schemas: SchemaArgs,
}

/// `listen`'s options.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Where to listen; port 0 picks a free port. Beyond loopback only when this says so.
    #[arg(
        long,
        default_value = "127.0.0.1:8787",
        value_name = "HOST:PORT",
        env = "JERAHOOK_ADDR"
    )]
    pub addr: String,

    /// Accept payloads only on this path (default: any path).
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,

    /// Also take requests from a web page of this origin (scheme://host[:port]; repeatable or
    /// comma-separated). Without it, a request carrying an Origin, or a Sec-Fetch-Site other
    /// than none, is refused with 403: VCS sends neither, browsers always do.
    #[arg(long, value_name = "ORIGIN", value_delimiter = ',')]
    pub allow_origin: Vec<String>,

    /// Print text for people, or one JSON record per payload per line.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Print only invalid payloads and refused requests (every payload is still answered,
    /// saved and counted).
    #[arg(short, long)]
    pub quiet: bool,

    /// Print and forward only these events (comma-separated); the others are still answered
    /// and counted.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub events: Vec<String>,

    /// Answer every payload with this HTTP status, 200-599 (to see how VCS logs a failing
    /// handler).
    #[arg(long, value_name = "CODE", value_parser = reply_status)]
    pub reply_status: Option<u16>,

    /// Answer payloads that fail their schema with 422 and the errors.
    #[arg(long)]
    pub reject_invalid: bool,

    /// Larger bodies get 413 (65536, 512KB, 16MiB).
    #[arg(long, default_value = "16MiB", value_name = "SIZE")]
    pub max_body: String,

    /// A body that has not arrived after this long gets 408 (10s, 500ms, 1m).
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub body_timeout: String,

    /// Requests must carry ?token=SECRET in the URL or Authorization: Bearer SECRET. From the
    /// environment, it stays out of shell history and process lists.
    #[arg(
        long,
        value_name = "SECRET",
        env = "JERAHOOK_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,

    /// Append every payload answered 2xx to FILE, one line each (the body as sent, whitespace
    /// between tokens removed), before replying.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,

    /// Sync the save file to disk after every line.
    #[arg(long, requires = "save")]
    pub fsync: bool,

    /// Forward every payload, byte for byte, to the real handler and answer with its reply.
    #[arg(long, value_name = "URL", env = "JERAHOOK_FORWARD_TO")]
    pub forward_to: Option<String>,

    /// A handler slower than this gives 504 (seconds, or 500ms).
    #[arg(long, default_value = "30s", value_name = "DURATION")]
    pub forward_timeout: String,

    /// A handler answer larger than this is not passed on: 502 (1KiB to 1GiB).
    #[arg(long, default_value = "1MiB", value_name = "SIZE")]
    pub max_handler_answer: String,

    /// Bodies being received and handled may hold this much memory together; beyond it, 503
    /// with Retry-After (1KiB to 64GiB, at least --max-body).
    #[arg(long, default_value = "64MiB", value_name = "SIZE")]
    pub max_in_flight: String,

    /// A request's headers must arrive within this, from the connection's start or the
    /// request's first byte (100ms to 3600s).
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub header_timeout: String,

    /// A kept-alive connection with no request for this long is closed (100ms to 3600s).
    #[arg(long, default_value = "30s", value_name = "DURATION")]
    pub idle_timeout: String,

    /// Connections beyond this many open ones are closed at once (1 to 100000).
    #[arg(long, default_value = "256", value_name = "N")]
    pub max_connections: String,

    /// After Ctrl-C, requests in flight get this long to finish; a second Ctrl-C stops at
    /// once (0s to 3600s).
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub shutdown_grace: String,

    /// Serve a live inspector page of the requests on this separate address (default
    /// 127.0.0.1:8788; port 0 picks a free port). Off loopback it needs --token, and takes it.
    #[arg(long, value_name = "HOST:PORT", num_args = 0..=1, default_missing_value = "127.0.0.1:8788")]
    pub ui: Option<String>,

    /// The inspector page keeps the last N requests (1 to 100000), and at most 256 MiB of
    /// them: beyond either, the oldest go first.
    #[arg(long, default_value = "1000", value_name = "N", requires = "ui")]
    pub ui_history: String,

    #[command(flatten)]
    pub check: CheckArgs,
}

/// `send`'s options.
#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub read: ReadArgs,

    /// The handler's URL.
    #[arg(long, value_name = "URL")]
    pub to: String,

    /// An extra header on every request, 'Name: value' (repeatable).
    #[arg(long = "header", short = 'H', value_name = "HEADER")]
    pub headers: Vec<String>,

    /// Do not send payloads that fail their schema.
    #[arg(long)]
    pub skip_invalid: bool,

    /// Requests in flight at once; 1 keeps the input order.
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = threads)]
    pub concurrency: u16,

    /// Start at most this many requests per second or minute (50/s, 10/min).
    #[arg(long, value_name = "N/UNIT")]
    pub rate: Option<String>,

    /// Give up on a request after this long (30s, 500ms, 1m).
    #[arg(long, default_value = "30s", value_name = "DURATION")]
    pub timeout: String,

    /// Print text for people, or one JSON record per payload per line.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Print only payloads whose request did not get a 2xx (or was not sent), then the summary.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `test-handler`'s options.
#[derive(Debug, Args)]
pub struct TestHandlerArgs {
    /// The handler's URL; a token can go in it (?token=...) or in --header.
    #[arg(long, value_name = "URL", required_unless_present_any = ["list", "write"])]
    pub to: Option<String>,

    /// Only these events (comma-separated).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub events: Vec<String>,

    /// Only the cases whose name (EVENT/VARIANT) matches this glob: * any text, ? one character
    /// (comma-separated or repeated).
    #[arg(long = "case", value_name = "PATTERN", value_delimiter = ',')]
    pub cases: Vec<String>,

    /// Print the names of the selected cases and exit.
    #[arg(long, conflicts_with = "write")]
    pub list: bool,

    /// Write each case's payloads to DIR/EVENT/VARIANT.json (.ndjson for several), to replay
    /// with send; with --to, run them as well.
    #[arg(long, value_name = "DIR")]
    pub write: Option<PathBuf>,

    /// Print a line per case and a summary, one JSON record per case per line, or a JUnit XML
    /// report.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,

    /// An extra header on every request, 'Name: value' (repeatable).
    #[arg(long = "header", short = 'H', value_name = "HEADER")]
    pub headers: Vec<String>,

    /// A request not answered in full within this long fails (10s, 500ms, 1m; 1ms to 1h).
    /// After 3 cases in a row with no answer at all (timeouts, failed connections) the handler
    /// is taken as not answering: the run stops with exit 2.
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub timeout: String,

    /// Stop the whole run after this long (10m, 90s; 1ms to 24h): the cases done are reported,
    /// the rest are not run, exit 2.
    #[arg(long, value_name = "DURATION")]
    pub max_time: Option<String>,

    /// Name in the summary the cases whose slowest answer took longer than this (VCS documents
    /// no delivery timeout: 5s is an assumption; 1ms to 24h).
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub slow: String,

    /// Payloads a burst case sends at once.
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = burst)]
    pub concurrency: u16,

    /// Print only the cases that failed, then the summary.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// `validate`'s output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormat {
    Text,
    Json,
    Github,
    Junit,
}

/// A count of threads or requests in flight: 1 to 1024.
fn threads(text: &str) -> Result<u16, String> {
    whole_number(text, 1, 1024)
}

/// Payloads a burst sends at once: 1 to 256.
fn burst(text: &str) -> Result<u16, String> {
    whole_number(text, 1, 256)
}

/// An HTTP status to answer with: a success, redirect or error (2xx to 5xx); 1xx are not
/// final answers.
fn reply_status(text: &str) -> Result<u16, String> {
    whole_number(text, 200, 599)
}

/// A whole number in `low..=high`, with a message naming the range for anything else (clap's
/// own integer parser names it only for numbers it could read).
fn whole_number(text: &str, low: u16, high: u16) -> Result<u16, String> {
    text.trim()
        .parse::<u16>()
        .ok()
        .filter(|n| (low..=high).contains(n))
        .ok_or_else(|| format!("expected a whole number from {low} to {high}"))
}

/// `test-handler`'s output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    Github,
    Junit,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_go_before_or_after_the_command() {
        let cli =
            Cli::try_parse_from(["jerahook", "validate", "--color", "never", "a.json"]).unwrap();
        assert_eq!(cli.color, ColorWhen::Never);
        let cli = Cli::try_parse_from(["jerahook", "--color", "never", "events"]).unwrap();
        assert_eq!(cli.color, ColorWhen::Never);
    }

    #[test]
    fn options_appear_only_where_they_apply() {
        let help = |command: &str| {
            let mut cli = Cli::command();
            cli.find_subcommand_mut(command)
                .unwrap()
                .render_long_help()
                .to_string()
        };
        for command in ["events", "schema", "sample"] {
            assert!(!help(command).contains("--jobs"), "{command}");
        }
        for command in ["events", "sample"] {
            assert!(!help(command).contains("--schemas"), "{command}");
        }
        for command in ["validate", "inspect"] {
            assert!(help(command).contains("--jobs"), "{command}");
        }
        for command in ["validate", "inspect", "send", "listen", "schema"] {
            assert!(help(command).contains("--schemas"), "{command}");
        }
        assert!(Cli::try_parse_from(["jerahook", "sample", "-j", "2", "clients.create"]).is_err());
    }

    #[test]
    fn the_old_event_flag_names_both_new_ones_wherever_it_is_given() {
        for args in [
            &["validate", "--event", "clients.create"][..],
            &["send", "-", "--to", "http://x", "--event", "clients.create"],
            &["listen", "--event=clients.create"],
            &["test-handler", "--event", "x"],
            &["events", "--event"],
        ] {
            let error = Cli::try_parse_from([&["jerahook"][..], args].concat()).unwrap_err();
            let message = error.to_string();
            assert!(
                message.contains("--expect-event ID") && message.contains("--events ID,..."),
                "{args:?}: {message}"
            );
        }
        let cli = Cli::try_parse_from([
            "jerahook",
            "validate",
            "--expect-event",
            "clients.create",
            "--events",
            "a,b",
        ])
        .unwrap();
        let Command::Validate { read, .. } = cli.command else {
            panic!()
        };
        assert_eq!(read.check.expect_event.as_deref(), Some("clients.create"));
        assert_eq!(read.events, ["a", "b"]);
        let cli = Cli::try_parse_from([
            "jerahook", "send", "-", "--to", "http://x", "-H", "A: b", "-H", "C: d",
        ])
        .unwrap();
        let Command::Send(send) = cli.command else {
            panic!()
        };
        assert_eq!(send.headers, ["A: b", "C: d"]);
    }

    #[test]
    fn test_handler_needs_a_url_unless_it_only_lists_or_writes() {
        let parse =
            |args: &[&str]| Cli::try_parse_from([&["jerahook", "test-handler"], args].concat());
        assert!(parse(&[]).is_err());
        assert!(parse(&["--list"]).is_ok());
        assert!(parse(&["--write", "d"]).is_ok());
        assert!(parse(&["--list", "--write", "d"]).is_err());
        let cli = parse(&["--to", "http://x", "--case", "a/*,b/*", "--format", "junit"]).unwrap();
        let Command::TestHandler(args) = cli.command else {
            panic!()
        };
        assert_eq!(args.cases, ["a/*", "b/*"]);
        assert_eq!(args.format, ReportFormat::Junit);
        assert_eq!(args.concurrency, 8);
    }

    #[test]
    fn reply_status_is_a_final_status() {
        for code in ["100", "199", "600", "0", "-1"] {
            assert!(
                Cli::try_parse_from(["jerahook", "listen", "--reply-status", code]).is_err(),
                "{code}"
            );
        }
        for code in ["200", "302", "599"] {
            assert!(Cli::try_parse_from(["jerahook", "listen", "--reply-status", code]).is_ok());
        }
    }

    #[test]
    fn schema_takes_an_id_or_write_but_not_both() {
        // No id at all is refused with a message naming the other ways (tests/cli.rs).
        assert!(Cli::try_parse_from(["jerahook", "schema", "x", "--write", "d"]).is_err());
        assert!(Cli::try_parse_from(["jerahook", "schema", "--write", "d"]).is_ok());
        assert!(Cli::try_parse_from(["jerahook", "schema", "--all"]).is_ok());
        assert!(Cli::try_parse_from(["jerahook", "schema", "x", "--all"]).is_err());
        assert!(Cli::try_parse_from(["jerahook", "schema", "--all", "--write", "d"]).is_err());
    }
}

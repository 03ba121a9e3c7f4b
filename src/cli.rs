//! The command line, as clap derives it. Only this module and `config` see clap types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Schemas, validation and inspection for JeraSoft VCS Provisioning API payloads.
///
/// VCS posts one JSON payload per event to the handlers an operator configured:
/// {"event": {"dt", "events_id", "object_id"}, "data": {...}}. jerahook knows all 27 events
/// and checks captured payloads against one JSON Schema per event id.
#[derive(Debug, Parser)]
#[command(name = "jerahook", version, max_term_width = 100)]
pub struct Cli {
    /// When to colour the output: auto colours a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, global = true, value_name = "WHEN")]
    pub color: ColorWhen,

    /// Use the schemas in DIR (as `schema --write` lays them out) instead of the built-in ones.
    #[arg(long, global = true, value_name = "DIR")]
    pub schemas: Option<PathBuf>,

    /// Threads judging payloads (default: one per core; 1 uses no extra thread).
    #[arg(short, long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub jobs: Option<u16>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check payloads against their event's schema: one line per payload, exit 1 if any is
    /// invalid.
    Validate {
        #[command(flatten)]
        read: ReadArgs,

        /// Output format: text for people, json for one record per payload per line.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,

        /// Print only invalid payloads and the summary.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Show what each payload says: the event, its key fields, and any validation errors.
    Inspect {
        #[command(flatten)]
        read: ReadArgs,

        /// Also list every other field of the payload's data as `path = value`.
        #[arg(long)]
        all: bool,
    },
    /// List the events jerahook knows, by category.
    Events {
        /// Output format: text, or json (an array of {id, category, description}).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print the JSON Schema of an event, or write every schema to a directory.
    Schema {
        /// The event id, such as clients.create.
        #[arg(required_unless_present = "write", conflicts_with = "write")]
        id: Option<String>,

        /// Generate all schemas from the built-in catalog into DIR (`DIR/<id>.schema.json` and
        /// `DIR/defs/`).
        #[arg(long, value_name = "DIR")]
        write: Option<PathBuf>,
    },
    /// Receive payloads from VCS: validate, print, save and forward them to the real handler.
    Listen(Box<ListenArgs>),
    /// Replay payloads at a handler as VCS posts them, and report its answers.
    Send(SendArgs),
    /// Print a payload of an event that validates (the documented one).
    Sample {
        /// The event id, such as clients.create.
        id: String,
    },
}

/// How `validate`, `inspect` and `send` read payloads.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Files, directories (searched for *.json, *.ndjson, *.jsonl) or - for standard input;
    /// none reads standard input. A file may hold one payload or many (NDJSON, or documents one
    /// after another).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub check: CheckArgs,
}

/// What is asked of every payload.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Every payload must be this event: any other events_id makes it invalid.
    #[arg(long, value_name = "ID")]
    pub event: Option<String>,

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
}

/// `listen`'s options.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Where to listen; port 0 picks a free port. Beyond loopback only when this says so.
    #[arg(long, default_value = "127.0.0.1:8787", value_name = "HOST:PORT")]
    pub addr: String,

    /// Accept payloads only on this path (default: any path).
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,

    /// Print text for people, or one JSON record per payload per line.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Print and forward only these events (comma-separated); the others are still answered
    /// and counted.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub events: Vec<String>,

    /// Answer every payload with this HTTP status, 200-599 (to see how VCS logs a failing
    /// handler).
    #[arg(long, value_name = "CODE", value_parser = clap::value_parser!(u16).range(200..=599))]
    pub reply_status: Option<u16>,

    /// Answer payloads that fail their schema with 422 and the errors.
    #[arg(long)]
    pub reject_invalid: bool,

    /// Larger bodies get 413 (bytes; K, M, KiB, MiB suffixes).
    #[arg(long, default_value = "16MiB", value_name = "SIZE")]
    pub max_body: String,

    /// A body that has not arrived after this long gets 408 (seconds, or 500ms).
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub body_timeout: String,

    /// Requests must carry ?token=SECRET in the URL or Authorization: Bearer SECRET.
    #[arg(long, value_name = "SECRET")]
    pub token: Option<String>,

    /// Append every payload answered 2xx to FILE, one line each (the body as sent, whitespace
    /// between tokens removed), before replying.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,

    /// Sync the save file to disk after every line.
    #[arg(long, requires = "save")]
    pub fsync: bool,

    /// Forward every payload, byte for byte, to the real handler and answer with its reply.
    #[arg(long, value_name = "URL")]
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

    /// The inspector page keeps the last N requests (1 to 1000000).
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

    /// Send only these events (comma-separated).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub events: Vec<String>,

    /// Requests in flight at once; 1 keeps the input order.
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,

    /// Start at most this many requests per second (50/s).
    #[arg(long, value_name = "N/s")]
    pub rate: Option<String>,

    /// Give up on a request after this long (seconds, or 500ms).
    #[arg(long, default_value = "30s", value_name = "DURATION")]
    pub timeout: String,

    /// Print text for people, or one JSON record per payload per line.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
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
        let cli = Cli::try_parse_from(["jerahook", "--schemas", "s", "validate"]).unwrap();
        assert_eq!(cli.schemas, Some(PathBuf::from("s")));
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
        assert!(Cli::try_parse_from(["jerahook", "schema"]).is_err());
        assert!(Cli::try_parse_from(["jerahook", "schema", "x", "--write", "d"]).is_err());
        assert!(Cli::try_parse_from(["jerahook", "schema", "--write", "d"]).is_ok());
    }
}

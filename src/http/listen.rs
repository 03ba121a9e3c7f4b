//! `jerahook listen`: an endpoint to point a VCS handler at. Every POST is one payload, judged
//! with the same code as `validate`, printed, optionally saved and forwarded to the real
//! handler, and answered.
//!
//! [`admit`] (before the body) and [`decide`] (after it) are the pure core: request in,
//! decision out, no sockets. [`serve`] is the adapter around them: `server` for connections,
//! `forward` for the real handler, `capture` for the save file, `printer` for output that can
//! never hold up a reply.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::body::Bytes;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::catalog::{self, Event};
use crate::cli::Format;
use crate::http::capture::Capture;
use crate::http::clock::{self, Stamp};
use crate::http::forward::{self, Forwarder};
use crate::http::history;
use crate::http::latency::Latencies;
use crate::http::lines;
use crate::http::printer::{self, Printer};
use crate::http::server::{self, Limits, Signals, Tally};
use crate::http::ui::{self, Arrival, Ui, UiSettings};
use crate::http::wire::{self, Forwarded, install_crypto};
use crate::input::reader::{Piece, Position};
use crate::judge::codes::Code;
use crate::judge::report::Record;
use crate::judge::schemas::SchemaSet;
use crate::judge::validate::{self, Options};
use crate::output::escape::json_line;
use crate::output::render::{self, Style};

/// A refused body is read and discarded up to this many bytes, so that a client that sends
/// the whole body before reading the answer still gets the answer; beyond it the connection is
/// closed.
pub const DRAIN_LIMIT: usize = 64 << 20;

/// Bodies larger than this are judged one at a time (see [`Server::large`]).
const SMALL_BODY: usize = 64 << 10;

/// How long output gets at the stop to catch up before the rest is counted as not shown.
const OUTPUT_WAIT: Duration = Duration::from_secs(2);

/// How `listen` behaves, resolved from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where to listen.
    pub addr: SocketAddr,
    /// Accept payloads only on this path (any path when `None`).
    pub path: Option<String>,
    /// Print records as text or JSON lines.
    pub format: Format,
    /// Print only invalid payloads and refused requests.
    pub quiet: bool,
    /// Print and forward only these events (all when empty).
    pub events: Vec<&'static Event>,
    /// Answer every payload with this status (200-599) instead of 200.
    pub reply_status: Option<StatusCode>,
    /// Answer payloads that fail their schema with 422.
    pub reject_invalid: bool,
    /// Larger bodies get 413.
    pub max_body: usize,
    /// Bodies being received or handled may hold this many bytes together; beyond it, 503.
    pub max_in_flight: usize,
    /// A body not received within this time gets 408.
    pub body_timeout: Duration,
    /// Requests must carry this token (`?token=` or `Authorization: Bearer`).
    pub token: Option<String>,
    /// Origins (`scheme://host[:port]`) whose pages may post; any other `Origin` is refused.
    pub allow_origins: Vec<String>,
    /// Append every payload answered 2xx to this file, one line each.
    pub save: Option<PathBuf>,
    /// Sync the save file to disk after every line.
    pub fsync: bool,
    /// Forward every (selected) payload to this handler.
    pub forward_to: Option<reqwest::Url>,
    /// A handler slower than this gives 504.
    pub forward_timeout: Duration,
    /// A handler answer larger than this is not passed on: 502.
    pub max_answer: usize,
    /// Connection timeouts, the connection cap and the grace period at the stop.
    pub limits: Limits,
    /// Validation options, as for `validate`.
    pub options: Options,
    pub style: Style,
    /// Serve the inspector page (`--ui`).
    pub ui: Option<UiSettings>,
}

/// Why a request was refused. Each has its status, a name for JSON lines and a label for the
/// summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    NotJson,
    BodyBroken,
    Unauthorized,
    NotFound,
    Method,
    Timeout,
    TooLarge,
    Busy,
    Loop,
    /// Sent by a web page (an `Origin`, or fetch metadata saying another site).
    CrossOrigin,
    /// On loopback, a `Host` that is not a loopback name: a page elsewhere that pointed a
    /// name of its own at this machine.
    ForeignHost,
    /// Not readable as HTTP at all (broken framing), answered by the HTTP layer.
    Malformed,
}

impl Reason {
    pub fn status(self) -> StatusCode {
        match self {
            Reason::NotJson | Reason::BodyBroken | Reason::Malformed => StatusCode::BAD_REQUEST,
            Reason::Unauthorized => StatusCode::UNAUTHORIZED,
            Reason::CrossOrigin | Reason::ForeignHost => StatusCode::FORBIDDEN,
            Reason::NotFound => StatusCode::NOT_FOUND,
            Reason::Method => StatusCode::METHOD_NOT_ALLOWED,
            Reason::Timeout => StatusCode::REQUEST_TIMEOUT,
            Reason::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Reason::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Reason::Loop => StatusCode::LOOP_DETECTED,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Reason::NotJson => "not JSON",
            Reason::BodyBroken => "body cut off",
            Reason::Unauthorized => "unauthorized",
            Reason::NotFound => "wrong path",
            Reason::Method => "wrong method",
            Reason::Timeout => "body timeout",
            Reason::TooLarge => "too large",
            Reason::Busy => "busy",
            Reason::Loop => "forwarding loop",
            Reason::CrossOrigin => "from a web page",
            Reason::ForeignHost => "foreign Host",
            Reason::Malformed => "malformed HTTP",
        }
    }
}

/// What to do with a request, from its head alone.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// `GET /`: a short status.
    Status,
    /// Refused, with the reason and a sentence for the client.
    Refuse(Reason, String),
    /// A payload may follow: read the body.
    Read,
}

/// What an admitted body is.
#[derive(Debug)]
pub enum Decision {
    /// The body is not one JSON document.
    NotJson(String),
    /// A payload, judged.
    Payload {
        record: Box<Record>,
        /// Printed and forwarded (`--events`).
        selected: bool,
    },
}

/// Decides from the request's head whether to read its body. Pure. The token is checked
/// first, so strangers learn nothing; `instance` is this listener's id for loop detection.
pub fn admit(
    settings: &Settings,
    instance: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Admission {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    if !authorized(settings, uri, authorization) {
        return Admission::Refuse(Reason::Unauthorized, "missing or wrong token".into());
    }
    if let Some(refusal) = from_elsewhere(settings, headers) {
        return refusal;
    }
    if forward::is_loop(headers, instance) {
        return Admission::Refuse(
            Reason::Loop,
            "this listener forwarded this request itself: --forward-to leads back to it".into(),
        );
    }
    if method == Method::GET && uri.path() == "/" {
        return Admission::Status;
    }
    if let Some(path) = settings.path.as_deref().filter(|path| *path != uri.path()) {
        return Admission::Refuse(Reason::NotFound, format!("payloads go to {path}"));
    }
    if method != Method::POST {
        return Admission::Refuse(Reason::Method, "VCS posts payloads: use POST".into());
    }
    if declared_length(headers).is_some_and(|length| length > settings.max_body as u64) {
        return Admission::Refuse(Reason::TooLarge, too_large(settings.max_body));
    }
    Admission::Read
}

/// A request a web page made: one carrying an `Origin` not allowed by `--allow-origin`, or
/// fetch metadata naming another site. VCS sends neither; any browser sends `Origin` on a
/// POST, so a page the developer happens to visit cannot post forged events. On loopback, a
/// `Host` that is not a loopback name is refused too (DNS rebinding).
fn from_elsewhere(settings: &Settings, headers: &HeaderMap) -> Option<Admission> {
    let text = |value: &HeaderValue| match value.to_str() {
        Ok(text) => history::cut(text.to_string(), 100),
        Err(_) => "(not text)".to_string(),
    };
    if settings.addr.ip().is_loopback() {
        if let Some(host) = headers.get(header::HOST) {
            if !host.to_str().is_ok_and(wire::loopback_host) {
                return Some(Admission::Refuse(
                    Reason::ForeignHost,
                    format!(
                        "Host {}: this listener is on loopback and answers only to loopback names such as localhost or 127.0.0.1",
                        text(host)
                    ),
                ));
            }
        }
    }
    let origin = headers.get(header::ORIGIN);
    let allowed = origin.is_some_and(|origin| {
        origin.to_str().is_ok_and(|origin| {
            settings
                .allow_origins
                .iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(origin.trim()))
        })
    });
    if allowed {
        return None;
    }
    let site = headers
        .get("sec-fetch-site")
        .filter(|site| site.as_bytes() != b"none");
    let refused = match (origin, site) {
        (Some(origin), _) => format!("Origin {}", text(origin)),
        (None, Some(site)) => format!("Sec-Fetch-Site {}", text(site)),
        (None, None) => return None,
    };
    Some(Admission::Refuse(
        Reason::CrossOrigin,
        format!(
            "{refused}: requests from web pages are refused (VCS sends no Origin); allow a page with --allow-origin"
        ),
    ))
}

/// Whether a request may be served: it carries the `--token`, if one is set.
pub fn authorized(settings: &Settings, uri: &Uri, authorization: Option<&str>) -> bool {
    settings
        .token
        .as_deref()
        .is_none_or(|token| carries_token(uri, authorization, token))
}

/// Judges an admitted body. Pure: nothing is sent or written.
pub fn decide(
    settings: &Settings,
    schemas: &SchemaSet,
    uri: &Uri,
    body: &[u8],
    index: usize,
) -> Result<Decision> {
    // A leading UTF-8 byte order mark is no part of the document (the save file drops it too).
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let piece = Piece::Value {
        start: Position { line: 1, column: 1 },
        bytes: body.to_vec(),
    };
    let (record, payload) = validate::judge(piece, uri.path(), index, schemas, settings.options)?;
    if payload.is_none() {
        let message = record
            .errors
            .first()
            .filter(|error| error.code == Code::Json)
            .map_or_else(
                || "not a JSON document".to_string(),
                |error| error.message.clone(),
            );
        return Ok(Decision::NotJson(message));
    }
    let selected = catalog::selects(&settings.events, record.event.as_deref());
    Ok(Decision::Payload {
        record: Box::new(record),
        selected,
    })
}

/// `?token=SECRET` or `Authorization: Bearer SECRET` (the scheme in any case, as RFC 9110
/// says), compared in constant time.
fn carries_token(uri: &Uri, authorization: Option<&str>, token: &str) -> bool {
    let from_query = uri.query().is_some_and(|query| {
        url::form_urlencoded::parse(query.as_bytes())
            .any(|(key, value)| key == "token" && same(value.as_bytes(), token.as_bytes()))
    });
    let from_header = authorization
        .and_then(|value| value.trim_start().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .is_some_and(|(_, given)| same(given.trim().as_bytes(), token.as_bytes()));
    from_query | from_header
}

/// The request's headers without any `Authorization` that carries this listener's token (a
/// request may carry several).
fn without_token(headers: &HeaderMap, token: Option<&str>) -> HeaderMap {
    let mut kept = headers.clone();
    let carries = |value: &HeaderValue| {
        value.to_str().ok().is_some_and(|value| {
            token.is_some_and(|token| carries_token(&Uri::from_static("/"), Some(value), token))
        })
    };
    let others: Vec<HeaderValue> = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter(|value| !carries(value))
        .cloned()
        .collect();
    kept.remove(header::AUTHORIZATION);
    for value in others {
        kept.append(header::AUTHORIZATION, value);
    }
    kept
}

/// Equality whose time does not depend on where the inputs differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for (i, byte) in b.iter().enumerate() {
        diff |= byte ^ a.get(i).copied().unwrap_or(!byte);
    }
    diff == 0
}

/// The request target as it may be printed: the value of any `token` parameter hidden.
pub fn shown_target(uri: &Uri) -> String {
    let Some(query) = uri.query() else {
        return uri.path().to_string();
    };
    // `;` separates too in some clients' hands: a token after one is hidden as well.
    let mut shown = String::new();
    for part in query.split_inclusive(['&', ';']) {
        let (part, separator) = match part.strip_suffix(['&', ';']) {
            Some(rest) => (rest, &part[rest.len()..]),
            None => (part, ""),
        };
        let key = part.split('=').next().unwrap_or_default();
        let is_token = url::form_urlencoded::parse(key.as_bytes())
            .next()
            .is_some_and(|(name, _)| name == "token");
        if is_token {
            shown.push_str(&format!("{key}=***"));
        } else {
            shown.push_str(part);
        }
        shown.push_str(separator);
    }
    format!("{}?{shown}", uri.path())
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse().ok())
}

fn too_large(limit: usize) -> String {
    format!("the body is larger than --max-body ({limit} bytes)")
}

/// Counts for the summary at the end.
#[derive(Debug, Default)]
struct Stats {
    by_event: BTreeMap<String, usize>,
    invalid: usize,
    rejected: usize,
    refused: BTreeMap<Reason, usize>,
    forward_failures: usize,
    save_failures: usize,
    latencies: Latencies,
}

/// The running server's shared state.
struct Server {
    settings: Settings,
    schemas: SchemaSet,
    /// This run's id in the forwarding header.
    instance: String,
    forwarder: Option<Forwarder>,
    capture: Option<Arc<Mutex<Capture<File>>>>,
    /// Bytes of bodies in flight, one permit per byte.
    budget: Arc<Semaphore>,
    /// One permit: bodies over [`SMALL_BODY`] are judged one at a time. A parsed document can
    /// take many times its size, and a large one takes long enough to judge that several
    /// would hold every judging thread.
    large: Semaphore,
    stats: Mutex<Stats>,
    /// Payloads so far: the next one's index.
    payloads: AtomicUsize,
    started: Instant,
    out: Printer,
    err: Printer,
    /// The inspector page, with `--ui`.
    ui: Option<Arc<Ui>>,
}

/// The JSON line `--format json` prints per payload.
#[derive(Serialize)]
struct JsonLine<'a> {
    #[serde(flatten)]
    record: &'a Record,
    received_at: &'a str,
    remote_addr: String,
    path: &'a str,
    reply_status: u16,
    forward: Option<&'a Forwarded>,
}

/// The JSON line `--format json` prints per refused request.
#[derive(Serialize)]
struct RefusedLine<'a> {
    received_at: &'a str,
    remote_addr: String,
    method: &'a str,
    path: &'a str,
    reply_status: u16,
    refused: Reason,
    reason: &'a str,
}

/// Binds, prints where to point the handler, serves until Ctrl-C (or SIGTERM), then prints the
/// summary.
pub fn serve(settings: Settings, schemas: SchemaSet, err_style: Style) -> Result<()> {
    install_crypto();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Judging (large bodies one at a time), save-file syncs and the page's scans (two at a
        // time) run there; each idle thread would keep its own memory.
        .max_blocking_threads(8)
        .build()
        .context("starting the HTTP runtime")?;
    let result = runtime.block_on(run(settings, schemas, err_style));
    // A blocking task still running (a stuck disk) must not hold the exit.
    runtime.shutdown_timeout(Duration::from_millis(200));
    result
}

async fn run(settings: Settings, schemas: SchemaSet, err_style: Style) -> Result<()> {
    let mut signals = Signals::new()?;
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .with_context(|| format!("{}: cannot listen there", settings.addr))?;
    let bound = listener.local_addr()?;
    let capture = match &settings.save {
        Some(path) => Some(Arc::new(Mutex::new(Capture::open(path, settings.fsync)?))),
        None => None,
    };
    let instance = instance_id(bound);
    let forwarder = match &settings.forward_to {
        Some(url) => Some(Forwarder::new(
            url.clone(),
            settings.forward_timeout,
            settings.max_answer,
            instance.clone(),
        )?),
        None => None,
    };
    let path = settings.path.clone().unwrap_or_else(|| "/".into());
    // Held to the end of the run: the page stops when it is dropped.
    let page = start_ui(&settings, bound, &instance).await?;
    {
        let mut err = std::io::stderr().lock();
        if let Some((_, line, _)) = &page {
            std::io::Write::write_all(&mut err, format!("{line}\n").as_bytes())?;
        }
        lines::listen_banner(
            &mut err,
            bound,
            &path,
            settings.token.as_deref(),
            settings.forward_to.as_ref(),
            err_style,
        )?;
    }
    let limits = settings.limits;
    let server = Arc::new(Server {
        budget: Arc::new(Semaphore::new(settings.max_in_flight)),
        large: Semaphore::new(1),
        settings,
        schemas,
        instance,
        forwarder,
        capture: capture.clone(),
        stats: Mutex::new(Stats::default()),
        payloads: AtomicUsize::new(0),
        started: Instant::now(),
        out: Printer::start(std::io::stdout(), printer::QUEUE),
        err: Printer::start(std::io::stderr(), printer::QUEUE),
        ui: page.as_ref().map(|(page, _, _)| Arc::clone(page)),
    });
    let tally = Arc::new(Tally::default());
    let handler = {
        let server = Arc::clone(&server);
        move |request, remote| handle(Arc::clone(&server), request, remote)
    };
    let malformed = {
        let server = Arc::clone(&server);
        move |remote, message: String| refuse_malformed(&server, remote, &message)
    };
    server::serve(
        listener,
        limits,
        handler,
        malformed,
        &mut signals,
        Arc::clone(&tally),
    )
    .await;
    let synced = match &capture {
        Some(capture) => lock(capture)?.sync().context("syncing the save file"),
        None => Ok(()),
    };
    let not_shown = server.out.finish(OUTPUT_WAIT);
    let (entries, _) = server.out.counts();
    let mut summary = Vec::new();
    {
        let stats = lock(&server.stats)?;
        let refused: Vec<(&str, u16, usize)> = stats
            .refused
            .iter()
            .map(|(reason, count)| (reason.label(), reason.status().as_u16(), *count))
            .collect();
        lines::listen_summary(
            &mut summary,
            &lines::ListenSummary {
                by_event: &stats.by_event,
                invalid: stats.invalid,
                rejected: stats.rejected,
                refused: &refused,
                forward_failures: stats.forward_failures,
                save_failures: stats.save_failures,
                connections: (
                    tally.timed_out.load(Ordering::Relaxed),
                    tally.refused.load(Ordering::Relaxed),
                    tally.cut_off.load(Ordering::Relaxed),
                ),
                not_shown: (not_shown, entries),
                p50: stats.latencies.percentile(50.0),
                p99: stats.latencies.percentile(99.0),
            },
            err_style,
        )?;
    }
    server.err.print(summary);
    server.err.finish(OUTPUT_WAIT);
    synced
}

/// Binds the inspector page when `--ui` asks for it; its banner line and its server, which
/// stops when dropped. The page takes the same `--token` as payloads.
async fn start_ui(
    settings: &Settings,
    bound: SocketAddr,
    instance: &str,
) -> Result<Option<(Arc<Ui>, String, ui::Running)>> {
    let Some(page) = &settings.ui else {
        return Ok(None);
    };
    let guarded = settings.clone();
    let wiring = ui::Wiring {
        listen_url: format!("http://{bound}"),
        forward_to: settings.forward_to.clone(),
        forward_timeout: settings.forward_timeout,
        max_answer: settings.max_answer,
        instance: instance.to_string(),
        // With a token, the page takes it on loopback too: another user of this machine
        // reaches loopback as well.
        guard: Box::new(move |uri, authorization| authorized(&guarded, uri, authorization)),
    };
    let (page_ui, page_bound, running) = Ui::start(page, wiring).await?;
    let line = ui::banner_line(page_bound, settings.token.as_deref());
    Ok(Some((page_ui, line, running)))
}

/// An id for this run, different from any other listener's: the forwarding header carries it.
fn instance_id(bound: SocketAddr) -> String {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded randomly per process.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_u16(bound.port());
    format!("{:016x}", hasher.finish())
}

async fn handle(server: Arc<Server>, request: Request<Incoming>, remote: SocketAddr) -> Response {
    let received = clock::now();
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    match respond(&server, &parts, body, remote, &received, started).await {
        Ok(response) => response,
        Err(error) => {
            let message = format!("{error:#}");
            print_error(&server, &message);
            reply_json(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({ "error": message }),
            )
        }
    }
}

/// The request as it came, for refusal lines.
struct Seen<'a> {
    parts: &'a Parts,
    remote: SocketAddr,
    received: &'a Stamp,
    /// The body, when it was read (for the inspector page).
    body: Option<&'a Bytes>,
}

async fn respond(
    server: &Arc<Server>,
    parts: &Parts,
    mut body: Incoming,
    remote: SocketAddr,
    received: &Stamp,
    started: Instant,
) -> Result<Response> {
    let settings = &server.settings;
    let seen = Seen {
        parts,
        remote,
        received,
        body: None,
    };
    let declared = declared_length(&parts.headers);
    match admit(
        settings,
        &server.instance,
        &parts.method,
        &parts.uri,
        &parts.headers,
    ) {
        Admission::Status => return Ok(status_page(server)),
        Admission::Refuse(reason, message) => {
            let drained = declared.is_none_or(|length| length <= DRAIN_LIMIT as u64)
                && discard(&mut body, &parts.headers, settings.body_timeout).await;
            return Ok(refuse(server, &seen, reason, &message, drained));
        }
        Admission::Read => {}
    }
    let (bytes, _in_flight) = match receive(server, body, &parts.headers, declared).await {
        Received::Body(bytes, permit) => (bytes, permit),
        Received::Refused(reason, message, drained) => {
            return Ok(refuse(server, &seen, reason, &message, drained));
        }
    };
    // Judging takes time and memory in proportion to the body: off the threads that accept
    // and answer, and large bodies one at a time, so that they can neither hold up the small
    // ones nor take the memory of several parsed documents at once.
    let _large = if bytes.len() > SMALL_BODY {
        Some(
            server
                .large
                .acquire()
                .await
                .context("judging the payload")?,
        )
    } else {
        None
    };
    let judged = {
        let server = Arc::clone(server);
        let uri = parts.uri.clone();
        let body = bytes.clone();
        tokio::task::spawn_blocking(move || {
            decide(&server.settings, &server.schemas, &uri, &body, 0)
        })
        .await
        .context("judging the payload")??
    };
    let (mut record, selected) = match judged {
        Decision::NotJson(message) => {
            let seen = Seen {
                body: Some(&bytes),
                ..seen
            };
            return Ok(refuse(server, &seen, Reason::NotJson, &message, true));
        }
        Decision::Payload { record, selected } => (record, selected),
    };
    record.index = server.payloads.fetch_add(1, Ordering::Relaxed);
    let mut forwarded = None;
    let mut response = if settings.reject_invalid && !record.valid {
        reply_json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({ "errors": record.errors }),
        )
    } else if let (Some(forwarder), true) = (&server.forwarder, selected) {
        // The listener's own token is for the listener: the handler does not get it.
        let headers = without_token(&parts.headers, settings.token.as_deref());
        let (response, outcome) = forwarder
            .forward(&parts.method, &headers, bytes.clone())
            .await;
        forwarded = Some(outcome);
        response
    } else {
        let status = settings.reply_status.unwrap_or(StatusCode::OK);
        // An echo of the payload, as the vendor's example handler answers.
        let mut response = (status, bytes.clone()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    };
    // Saved before the reply leaves: an acknowledged payload is on disk even if we are killed,
    // and the file's order is the order of the acknowledgements.
    let mut save_failed = false;
    if response.status().is_success() {
        if let Some(capture) = &server.capture {
            let written = if settings.fsync {
                // A sync takes milliseconds: off the threads that serve requests.
                let capture = Arc::clone(capture);
                let body = bytes.clone();
                tokio::task::spawn_blocking(move || save(&capture, &body))
                    .await
                    .context("writing the save file")
                    .and_then(|written| written)
            } else {
                // An append to the page cache takes microseconds.
                save(capture, &bytes)
            };
            if let Err(error) = written {
                save_failed = true;
                let message = format!("the payload could not be saved: {error:#}");
                print_error(server, &message);
                response = reply_json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &json!({ "error": message }),
                );
            }
        }
    }
    let status = response.status();
    {
        let mut stats = lock(&server.stats)?;
        let event = record.event_label().to_string();
        *stats.by_event.entry(event).or_default() += 1;
        stats.invalid += usize::from(!record.valid);
        stats.rejected += usize::from(status == StatusCode::UNPROCESSABLE_ENTITY);
        stats.save_failures += usize::from(save_failed);
        if let Some(outcome) = &forwarded {
            stats.forward_failures += usize::from(outcome.error.is_some());
        }
        stats.latencies.add(started.elapsed());
    }
    if let Some(page) = &server.ui {
        let arrival = Arrival {
            parts,
            remote,
            received,
            target: shown_target(&parts.uri),
        };
        response = page
            .record_payload(
                arrival,
                &bytes,
                &record,
                response,
                forwarded.as_ref(),
                started,
            )
            .await;
    }
    if selected {
        print_payload(
            server,
            &record,
            received,
            remote,
            parts.uri.path(),
            status,
            forwarded.as_ref(),
        )?;
    }
    Ok(response)
}

/// Appends one payload to the save file.
fn save(capture: &Mutex<Capture<File>>, body: &[u8]) -> Result<()> {
    lock(capture)?.append(body).context("writing the save file")
}

/// A body, or why it was refused (and whether it was read to its end).
enum Received {
    Body(Bytes, Option<OwnedSemaphorePermit>),
    Refused(Reason, String, bool),
}

/// Reads the body within `--body-timeout` and `--max-body`, holding its bytes against the
/// budget for bodies in flight.
async fn receive(
    server: &Server,
    mut body: Incoming,
    headers: &HeaderMap,
    declared: Option<u64>,
) -> Received {
    let settings = &server.settings;
    let deadline = tokio::time::Instant::now() + settings.body_timeout;
    let busy = || {
        format!(
            "bodies in flight are at --max-in-flight ({} bytes); retry shortly",
            settings.max_in_flight
        )
    };
    let mut permit = None;
    if let Some(length) = declared {
        match reserve(&server.budget, length) {
            Some(reserved) => permit = Some(reserved),
            None => {
                let drained = discard(&mut body, headers, settings.body_timeout).await;
                return Received::Refused(Reason::Busy, busy(), drained);
            }
        }
    }
    let capacity = declared.map_or(0, |length| length as usize);
    let mut bytes = Vec::with_capacity(capacity);
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => {
                return Received::Refused(
                    Reason::Timeout,
                    "the request body did not arrive within --body-timeout".into(),
                    false,
                );
            }
            Ok(None) => break,
            Ok(Some(Err(error))) => {
                return Received::Refused(
                    Reason::BodyBroken,
                    format!("reading the body: {error}"),
                    false,
                );
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if bytes.len() + data.len() > settings.max_body {
            let drained = drain(&mut body, settings.body_timeout).await;
            return Received::Refused(Reason::TooLarge, too_large(settings.max_body), drained);
        }
        if declared.is_none() {
            match reserve(&server.budget, data.len() as u64) {
                Some(more) => match &mut permit {
                    Some(held) => held.merge(more),
                    None => permit = Some(more),
                },
                None => {
                    let drained = drain(&mut body, settings.body_timeout).await;
                    return Received::Refused(Reason::Busy, busy(), drained);
                }
            }
        }
        bytes.extend_from_slice(&data);
    }
    // A body of unknown length grew by doubling: what the history keeps is its length only.
    if bytes.capacity() > bytes.len() + bytes.len() / 8 {
        bytes.shrink_to_fit();
    }
    Received::Body(Bytes::from(bytes), permit)
}

/// Takes `bytes` from the budget for bodies in flight, or `None` when they are not there.
fn reserve(budget: &Arc<Semaphore>, bytes: u64) -> Option<OwnedSemaphorePermit> {
    let bytes = u32::try_from(bytes).ok()?;
    Arc::clone(budget).try_acquire_many_owned(bytes).ok()
}

/// Discards a refused body, unless the client waits for `100 Continue` before sending it
/// (then there is nothing to discard, and the connection closes after the answer).
async fn discard(body: &mut Incoming, headers: &HeaderMap, timeout: Duration) -> bool {
    !headers.contains_key(header::EXPECT) && drain(body, timeout).await
}

/// Reads and discards the rest of a refused body (up to [`DRAIN_LIMIT`], within `timeout`),
/// so the client, which may send it all before reading, sees the answer. True when the body
/// was read to its end and the connection can go on.
async fn drain(body: &mut Incoming, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut left = DRAIN_LIMIT;
    loop {
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(None) => return true,
            Ok(Some(Ok(frame))) => {
                let size = frame.data_ref().map_or(0, Bytes::len);
                if size > left {
                    return false;
                }
                left -= size;
            }
            Ok(Some(Err(_))) | Err(_) => return false,
        }
    }
}

/// Counts and prints a refused request and builds its answer.
/// A request the HTTP layer could not read and answered 400: one refused line, counted. It
/// has no method or path to show.
fn refuse_malformed(server: &Server, remote: SocketAddr, message: &str) {
    let message = format!("not readable as HTTP: {message}");
    let received = clock::now();
    print_refused(
        server,
        &received,
        remote,
        "-",
        "-",
        Reason::Malformed,
        &message,
    );
}

/// Counts a refused request by its reason and prints its line, text or JSON.
fn print_refused(
    server: &Server,
    received: &Stamp,
    remote: SocketAddr,
    method: &str,
    target: &str,
    reason: Reason,
    message: &str,
) {
    if let Ok(mut stats) = server.stats.lock() {
        *stats.refused.entry(reason).or_default() += 1;
    }
    let status = reason.status().as_u16();
    let mut line = Vec::new();
    let printed = match server.settings.format {
        Format::Json => json_line(
            &mut line,
            &RefusedLine {
                received_at: &received.rfc3339,
                remote_addr: remote.to_string(),
                method,
                path: target,
                reply_status: status,
                refused: reason,
                reason: message,
            },
        ),
        Format::Text => lines::listen_refused(
            &mut line,
            &lines::Refused {
                clock: &received.clock,
                remote,
                method,
                target,
                status,
                message,
            },
            server.settings.style,
        ),
    };
    if printed.is_ok() {
        server.out.print(line);
    }
}

fn refuse(
    server: &Server,
    seen: &Seen<'_>,
    reason: Reason,
    message: &str,
    drained: bool,
) -> Response {
    let status = reason.status();
    let target = shown_target(&seen.parts.uri);
    print_refused(
        server,
        seen.received,
        seen.remote,
        seen.parts.method.as_str(),
        &target,
        reason,
        message,
    );
    if let Some(page) = &server.ui {
        let arrival = Arrival {
            parts: seen.parts,
            remote: seen.remote,
            received: seen.received,
            target,
        };
        page.record_refused(arrival, seen.body, reason.label(), message, status);
    }
    let mut response = reply_json(status, &json!({ "error": message }));
    let headers = response.headers_mut();
    match reason {
        Reason::Busy => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        Reason::Method => {
            headers.insert(header::ALLOW, HeaderValue::from_static("POST, GET"));
        }
        _ => {}
    }
    if !drained {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

fn print_payload(
    server: &Server,
    record: &Record,
    received: &Stamp,
    remote: SocketAddr,
    path: &str,
    status: StatusCode,
    forwarded: Option<&Forwarded>,
) -> Result<()> {
    let settings = &server.settings;
    if settings.quiet && record.valid {
        return Ok(());
    }
    let mut line = Vec::new();
    match settings.format {
        Format::Json => {
            json_line(
                &mut line,
                &JsonLine {
                    record,
                    received_at: &received.rfc3339,
                    remote_addr: remote.to_string(),
                    path,
                    reply_status: status.as_u16(),
                    forward: forwarded,
                },
            )?;
        }
        Format::Text => lines::listen_line(
            &mut line,
            record,
            &received.clock,
            status,
            forwarded,
            settings.style,
        )?,
    }
    server.out.print(line);
    Ok(())
}

fn print_error(server: &Server, message: &str) {
    let mut line = Vec::new();
    if render::error(&mut line, message, Style { color: false }).is_ok() {
        server.err.print(line);
    }
}

fn status_page(server: &Server) -> Response {
    let stats = server.stats.lock().map(|stats| {
        json!({
            "status": "listening",
            "uptime_seconds": server.started.elapsed().as_secs(),
            "payloads": stats.by_event.values().sum::<usize>(),
            "invalid": stats.invalid,
            "refused": stats.refused.values().sum::<usize>(),
            "by_event": stats.by_event,
        })
    });
    reply_json(
        StatusCode::OK,
        &stats.unwrap_or_else(|_| json!({ "status": "listening" })),
    )
}

fn reply_json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn lock<T>(mutex: &Mutex<T>) -> Result<std::sync::MutexGuard<'_, T>> {
    mutex
        .lock()
        .map_err(|_| anyhow::anyhow!("a lock was poisoned"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            addr: "127.0.0.1:0".parse().unwrap(),
            path: None,
            format: Format::Text,
            quiet: false,
            events: vec![],
            reply_status: None,
            reject_invalid: false,
            max_body: 1024,
            max_in_flight: 4096,
            body_timeout: Duration::from_secs(1),
            token: None,
            allow_origins: vec![],
            save: None,
            fsync: false,
            forward_to: None,
            forward_timeout: Duration::from_secs(1),
            max_answer: 1024,
            limits: Limits {
                header_timeout: Duration::from_secs(1),
                idle_timeout: Duration::from_secs(1),
                max_connections: 8,
                grace: Duration::from_secs(1),
            },
            options: Options::default(),
            style: Style { color: false },
            ui: None,
        }
    }

    fn admission(
        settings: &Settings,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
    ) -> Admission {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        admit(settings, "me", &method, &uri.parse().unwrap(), &map)
    }

    fn refused(admission: Admission) -> Reason {
        match admission {
            Admission::Refuse(reason, _) => reason,
            other => panic!("{other:?}"),
        }
    }

    fn decision(settings: &Settings, uri: &str, body: &str) -> Decision {
        let uri: Uri = uri.parse().unwrap();
        decide(settings, &SchemaSet::built_in(), &uri, body.as_bytes(), 0).unwrap()
    }

    #[test]
    fn a_payload_is_judged_like_validate_does() {
        let sample = crate::catalog::find("clients.create").unwrap().example;
        match decision(&settings(), "/hook", sample) {
            Decision::Payload { record, selected } => {
                assert!(record.valid);
                assert!(selected);
                assert_eq!(record.source, "/hook");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn not_json_is_refused_after_the_body() {
        assert!(matches!(
            decision(&settings(), "/", "{\"a\": "),
            Decision::NotJson(message) if message.starts_with("invalid JSON")
        ));
        assert!(matches!(
            decision(&settings(), "/", "{} {}"),
            Decision::NotJson(_)
        ));
    }

    #[test]
    fn methods_paths_sizes_and_status_are_decided_from_the_head() {
        let open = settings();
        assert_eq!(admission(&open, Method::POST, "/", &[]), Admission::Read);
        assert_eq!(admission(&open, Method::GET, "/", &[]), Admission::Status);
        assert_eq!(
            refused(admission(&open, Method::PUT, "/", &[])),
            Reason::Method
        );
        assert_eq!(
            refused(admission(
                &open,
                Method::POST,
                "/",
                &[("content-length", "1025")]
            )),
            Reason::TooLarge
        );
        assert_eq!(
            admission(&open, Method::POST, "/", &[("content-length", "1024")]),
            Admission::Read
        );
        let only = Settings {
            path: Some("/vcs".into()),
            ..settings()
        };
        assert_eq!(
            refused(admission(&only, Method::POST, "/other", &[])),
            Reason::NotFound
        );
        assert_eq!(admission(&only, Method::POST, "/vcs", &[]), Admission::Read);
    }

    #[test]
    fn a_request_this_listener_forwarded_is_a_loop() {
        let open = settings();
        assert_eq!(
            refused(admission(
                &open,
                Method::POST,
                "/",
                &[(forward::VIA, "other, me")]
            )),
            Reason::Loop
        );
        assert_eq!(
            admission(&open, Method::POST, "/", &[(forward::VIA, "other")]),
            Admission::Read,
            "another listener before this one is a chain, not a loop"
        );
    }

    #[test]
    fn tokens_come_in_the_query_or_as_a_bearer_in_any_case() {
        let uri: Uri = "/hook?a=1&token=s%20cret".parse().unwrap();
        assert!(carries_token(&uri, None, "s cret"));
        assert!(!carries_token(&uri, None, "s cre"));
        let bare: Uri = "/hook".parse().unwrap();
        assert!(carries_token(&bare, Some("Bearer s cret"), "s cret"));
        assert!(carries_token(&bare, Some("bearer s cret"), "s cret"));
        assert!(carries_token(&bare, Some("BEARER   s cret"), "s cret"));
        assert!(!carries_token(&bare, Some("Basic s cret"), "s cret"));
        assert!(!carries_token(&bare, Some("Bearers cret"), "s cret"));
        assert!(!carries_token(&bare, None, "s cret"));
        let open = settings();
        assert!(authorized(&open, &bare, None), "no token set: anyone");
        let guarded = Settings {
            token: Some("s cret".into()),
            ..settings()
        };
        assert!(!authorized(&guarded, &bare, None));
        assert!(authorized(&guarded, &uri, None));
        assert_eq!(
            refused(admission(&guarded, Method::GET, "/", &[])),
            Reason::Unauthorized,
            "the token comes before everything else"
        );
    }

    #[test]
    fn printed_targets_hide_the_token() {
        let shown = |uri: &str| shown_target(&uri.parse().unwrap());
        assert_eq!(shown("/hook"), "/hook");
        assert_eq!(shown("/hook?token=s3cret"), "/hook?token=***");
        assert_eq!(shown("/h?a=1&token=x&b=2"), "/h?a=1&token=***&b=2");
        assert_eq!(shown("/h?%74oken=x"), "/h?%74oken=***");
        assert_eq!(shown("/h?tokens=x"), "/h?tokens=x");
        assert_eq!(shown("/?a=1;token=s3cret"), "/?a=1;token=***");
    }

    #[test]
    fn the_token_is_taken_out_of_every_authorization_header() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic eDp5"),
        );
        headers.append(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer s3cret"),
        );
        let kept = without_token(&headers, Some("s3cret"));
        let values: Vec<&HeaderValue> = kept.get_all(header::AUTHORIZATION).iter().collect();
        assert_eq!(values, [&HeaderValue::from_static("Basic eDp5")]);
        assert_eq!(
            without_token(&headers, None)
                .get_all(header::AUTHORIZATION)
                .iter()
                .count(),
            2
        );
    }

    #[test]
    fn constant_time_equality_is_equality() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"ab", b"abc"));
        assert!(!same(b"abcd", b"abc"));
        assert!(same(b"", b""));
    }

    #[test]
    fn events_filter_selects_what_is_printed() {
        let only = Settings {
            events: vec![crate::catalog::find("clients.update").unwrap()],
            ..settings()
        };
        let sample = crate::catalog::find("clients.create").unwrap().example;
        assert!(matches!(
            decision(&only, "/", sample),
            Decision::Payload {
                selected: false,
                ..
            }
        ));
    }

    #[test]
    fn the_budget_for_bodies_in_flight_is_shared() {
        let budget = Arc::new(Semaphore::new(100));
        let first = reserve(&budget, 60).unwrap();
        assert!(reserve(&budget, 60).is_none(), "over the budget");
        let second = reserve(&budget, 40).unwrap();
        drop(first);
        assert!(reserve(&budget, 60).is_some(), "released when done");
        drop(second);
        assert!(reserve(&budget, u64::from(u32::MAX) + 1).is_none());
    }
}

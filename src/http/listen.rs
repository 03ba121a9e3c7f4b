//! `jerahook listen`: an endpoint to point a VCS handler at. Every POST is one payload, judged
//! with the same code as `validate`, printed, optionally saved and forwarded to the real
//! handler, and answered.
//!
//! [`decide`] is the pure core (request in, decision out, no sockets); [`serve`] is the HTTP
//! adapter around it: axum on tokio, reqwest for forwarding.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use crate::catalog::{self, Event};
use crate::cli::Format;
use crate::http::latency::Latencies;
use crate::http::lines;
use crate::http::wire::{Forwarded, body_start, error_chain, install_crypto};
use crate::input::reader::{Piece, Position};
use crate::judge::codes::Code;
use crate::judge::report::Record;
use crate::judge::schemas::SchemaSet;
use crate::judge::validate::{self, Options};
use crate::output::render::{self, Style};

/// How `listen` behaves, resolved from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where to listen.
    pub addr: SocketAddr,
    /// Accept payloads only on this path (any path when `None`).
    pub path: Option<String>,
    /// Print records as text or JSON lines.
    pub format: Format,
    /// Print and forward only these events (all when empty).
    pub events: Vec<&'static Event>,
    /// Answer every payload with this status instead of 200.
    pub reply_status: Option<StatusCode>,
    /// Answer payloads that fail their schema with 422.
    pub reject_invalid: bool,
    /// Larger bodies get 413.
    pub max_body: usize,
    /// A body not received within this time gets 408.
    pub body_timeout: Duration,
    /// Requests must carry this token (`?token=` or `Authorization: Bearer`).
    pub token: Option<String>,
    /// Append every payload answered 2xx to this file, one compact line each.
    pub save: Option<PathBuf>,
    /// Sync the save file to disk after every line.
    pub fsync: bool,
    /// Forward every (selected) payload to this handler.
    pub forward_to: Option<reqwest::Url>,
    pub forward_timeout: Duration,
    /// Validation options, as for `validate`.
    pub options: Options,
    pub style: Style,
}

/// What to do with one request, before any forwarding.
#[derive(Debug)]
pub enum Decision {
    /// `GET /`: a short status.
    Status,
    NotFound,
    MethodNotAllowed,
    /// The body is not one JSON document.
    NotJson(String),
    /// A payload, judged.
    Payload {
        record: Box<Record>,
        payload: Value,
        /// Printed and forwarded (`--events`).
        selected: bool,
    },
}

/// Whether a request may be served: it carries the `--token`, if one is set. Asked before
/// the body is read, so strangers get nothing for free.
pub fn authorized(settings: &Settings, uri: &Uri, authorization: Option<&str>) -> bool {
    settings
        .token
        .as_deref()
        .is_none_or(|token| carries_token(uri, authorization, token))
}

/// Decides what an authorized request is. Pure: the body has been read, nothing is sent or
/// written.
pub fn decide(
    settings: &Settings,
    schemas: &SchemaSet,
    method: &Method,
    uri: &Uri,
    body: &[u8],
    index: usize,
) -> Result<Decision> {
    if method == Method::GET && uri.path() == "/" {
        return Ok(Decision::Status);
    }
    if settings
        .path
        .as_deref()
        .is_some_and(|path| path != uri.path())
    {
        return Ok(Decision::NotFound);
    }
    if method != Method::POST {
        return Ok(Decision::MethodNotAllowed);
    }
    let piece = Piece::Value {
        start: Position { line: 1, column: 1 },
        bytes: body.to_vec(),
    };
    let (record, payload) = validate::judge(piece, uri.path(), index, schemas, settings.options)?;
    let Some(payload) = payload else {
        let message = record
            .errors
            .first()
            .filter(|error| error.code == Code::Json)
            .map_or_else(
                || "not a JSON document".to_string(),
                |error| error.message.clone(),
            );
        return Ok(Decision::NotJson(message));
    };
    let selected = catalog::selects(&settings.events, record.event.as_deref());
    Ok(Decision::Payload {
        record: Box::new(record),
        payload,
        selected,
    })
}

/// `?token=SECRET` or `Authorization: Bearer SECRET`, compared in constant time.
fn carries_token(uri: &Uri, authorization: Option<&str>, token: &str) -> bool {
    let from_query = uri.query().is_some_and(|query| {
        url::form_urlencoded::parse(query.as_bytes())
            .any(|(key, value)| key == "token" && same(value.as_bytes(), token.as_bytes()))
    });
    let from_header = authorization
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|given| same(given.trim().as_bytes(), token.as_bytes()));
    from_query | from_header
}

/// Equality whose time does not depend on where the inputs differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for (i, byte) in b.iter().enumerate() {
        diff |= byte ^ a.get(i).copied().unwrap_or(!byte);
    }
    diff == 0
}

/// Counts for the summary at the end.
#[derive(Debug, Default)]
struct Stats {
    by_event: BTreeMap<String, usize>,
    invalid: usize,
    rejected: usize,
    unauthorized: usize,
    forward_failures: usize,
    latencies: Latencies,
}

/// The running server's shared state.
struct Server {
    settings: Settings,
    schemas: SchemaSet,
    client: reqwest::Client,
    save: Option<Mutex<File>>,
    stats: Mutex<Stats>,
    received: AtomicUsize,
    started: Instant,
}

/// The JSON line `--format json` prints per payload.
#[derive(Serialize)]
struct JsonLine<'a> {
    #[serde(flatten)]
    record: &'a Record,
    received_at: String,
    remote_addr: String,
    path: &'a str,
    reply_status: u16,
    forward: Option<&'a Forwarded>,
}

/// Binds, prints where to point the handler, serves until Ctrl-C (or SIGTERM), then prints the
/// summary.
pub fn serve(settings: Settings, schemas: SchemaSet, err_style: Style) -> Result<()> {
    install_crypto();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the HTTP runtime")?;
    runtime.block_on(run(settings, schemas, err_style))
}

async fn run(settings: Settings, schemas: SchemaSet, err_style: Style) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .with_context(|| format!("{}: cannot listen there", settings.addr))?;
    let bound = listener.local_addr()?;
    let save = match &settings.save {
        Some(path) => Some(Mutex::new(
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("{}", path.display()))?,
        )),
        None => None,
    };
    let client = reqwest::Client::builder()
        .timeout(settings.forward_timeout)
        .build()
        .context("building the forwarding client")?;
    let path = settings.path.clone().unwrap_or_else(|| "/".into());
    {
        let mut err = std::io::stderr().lock();
        lines::listen_banner(
            &mut err,
            bound,
            &path,
            settings.forward_to.as_ref(),
            err_style,
        )?;
    }
    let server = Arc::new(Server {
        settings,
        schemas,
        client,
        save,
        stats: Mutex::new(Stats::default()),
        received: AtomicUsize::new(0),
        started: Instant::now(),
    });
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(Arc::clone(&server));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await
    .context("serving")?;
    if let Some(save) = &server.save {
        let file = save
            .lock()
            .map_err(|_| anyhow::anyhow!("save file lock poisoned"))?;
        file.sync_all().context("syncing the save file")?;
    }
    let stats = server
        .stats
        .lock()
        .map_err(|_| anyhow::anyhow!("stats lock poisoned"))?;
    let mut err = std::io::stderr().lock();
    lines::listen_summary(
        &mut err,
        &lines::ListenSummary {
            by_event: &stats.by_event,
            invalid: stats.invalid,
            rejected: stats.rejected,
            unauthorized: stats.unauthorized,
            forward_failures: stats.forward_failures,
            p50: stats.latencies.percentile(50.0),
            p99: stats.latencies.percentile(99.0),
        },
        err_style,
    )?;
    Ok(())
}

async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

async fn handle(
    State(server): State<Arc<Server>>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match handle_request(&server, remote, &method, &uri, &headers, body).await {
        Ok(response) => response,
        Err(error) => {
            let message = format!("{error:#}");
            let _ = print_error(&server, &message);
            reply_json(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({ "error": message }),
            )
        }
    }
}

async fn handle_request(
    server: &Server,
    remote: SocketAddr,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response> {
    let settings = &server.settings;
    let started = Instant::now();
    let received_at = SystemTime::now();
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    if !authorized(settings, uri, authorization) {
        lock(&server.stats)?.unauthorized += 1;
        return Ok(reply_json(
            StatusCode::UNAUTHORIZED,
            &json!({ "error": "missing or wrong token" }),
        ));
    }
    if declared.is_some_and(|length| length > settings.max_body) {
        lock(&server.stats)?.rejected += 1;
        return Ok(too_large(settings.max_body));
    }
    let body = match tokio::time::timeout(
        settings.body_timeout,
        axum::body::to_bytes(body, settings.max_body),
    )
    .await
    {
        Err(_) => {
            return Ok(reply_json(
                StatusCode::REQUEST_TIMEOUT,
                &json!({ "error": "the request body did not arrive in time" }),
            ));
        }
        Ok(Err(error)) if is_length_limit(&error) => {
            lock(&server.stats)?.rejected += 1;
            return Ok(too_large(settings.max_body));
        }
        Ok(Err(error)) => {
            return Ok(reply_json(
                StatusCode::BAD_REQUEST,
                &json!({ "error": format!("reading the body: {error}") }),
            ));
        }
        Ok(Ok(body)) => body,
    };
    let index = server.received.load(Ordering::Relaxed);
    let decision = decide(settings, &server.schemas, method, uri, &body, index)?;
    let (record, payload, selected) = match decision {
        Decision::Status => return Ok(status_page(server)),
        Decision::NotFound => {
            return Ok(reply_json(
                StatusCode::NOT_FOUND,
                &json!({ "error": format!("payloads go to {}", settings.path.as_deref().unwrap_or("/")) }),
            ));
        }
        Decision::MethodNotAllowed => {
            let mut response = reply_json(
                StatusCode::METHOD_NOT_ALLOWED,
                &json!({ "error": "VCS posts payloads: use POST" }),
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST, GET"));
            return Ok(response);
        }
        Decision::NotJson(message) => {
            lock(&server.stats)?.rejected += 1;
            return Ok(reply_json(
                StatusCode::BAD_REQUEST,
                &json!({ "error": message }),
            ));
        }
        Decision::Payload {
            record,
            payload,
            selected,
        } => (record, payload, selected),
    };
    server.received.fetch_add(1, Ordering::Relaxed);
    let mut forwarded = None;
    let response = if settings.reject_invalid && !record.valid {
        reply_json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({ "errors": record.errors }),
        )
    } else if let (Some(url), true) = (&settings.forward_to, selected) {
        let (response, outcome) = forward(&server.client, url, method, headers, body.clone()).await;
        forwarded = Some(outcome);
        response
    } else {
        let status = settings.reply_status.unwrap_or(StatusCode::OK);
        // An echo of the payload, as the vendor's example handler answers.
        let mut response = (status, body.clone()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    };
    let status = response.status();
    // Saved before the reply leaves: an acknowledged payload is on disk even if we are killed.
    if status.is_success() {
        if let Some(save) = &server.save {
            let mut line = serde_json::to_vec(&payload)?;
            line.push(b'\n');
            let mut file = lock(save)?;
            file.write_all(&line).context("writing the save file")?;
            if settings.fsync {
                file.sync_data().context("syncing the save file")?;
            }
        }
    }
    {
        let mut stats = lock(&server.stats)?;
        let event = record
            .event
            .clone()
            .unwrap_or_else(|| "(no event id)".into());
        *stats.by_event.entry(event).or_default() += 1;
        stats.invalid += usize::from(!record.valid);
        stats.rejected += usize::from(status == StatusCode::UNPROCESSABLE_ENTITY);
        if let Some(outcome) = &forwarded {
            stats.forward_failures += usize::from(outcome.error.is_some());
        }
        stats.latencies.add(started.elapsed());
    }
    if selected {
        print_payload(
            server,
            &record,
            received_at,
            remote,
            uri.path(),
            status,
            forwarded.as_ref(),
        )?;
    }
    Ok(response)
}

/// Hop-by-hop headers, which belong to one connection and are not forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// Sends the body as received to the real handler; its answer goes back to VCS.
async fn forward(
    client: &reqwest::Client,
    url: &reqwest::Url,
    method: &Method,
    headers: &HeaderMap,
    body: Bytes,
) -> (Response, Forwarded) {
    let mut outgoing = HeaderMap::new();
    for (name, value) in headers {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            outgoing.append(name.clone(), value.clone());
        }
    }
    let started = Instant::now();
    let result = client
        .request(method.clone(), url.clone())
        .headers(outgoing)
        .body(body)
        .send()
        .await;
    let answered = match result {
        Ok(response) => {
            let status = response.status();
            let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
            response
                .bytes()
                .await
                .map(|bytes| (status, content_type, bytes))
        }
        Err(error) => Err(error),
    };
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    match answered {
        Ok((status, content_type, bytes)) => {
            let mut response = (status, bytes.clone()).into_response();
            if let Some(content_type) = content_type {
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, content_type);
            }
            let outcome = Forwarded {
                status: Some(status.as_u16()),
                latency_ms,
                body: body_start(&bytes),
                error: None,
            };
            (response, outcome)
        }
        Err(error) => {
            let (status, kind) = if error.is_timeout() {
                (StatusCode::GATEWAY_TIMEOUT, "timeout")
            } else {
                (StatusCode::BAD_GATEWAY, "unreachable")
            };
            let message = format!("handler {kind}: {}", error_chain(&error));
            let outcome = Forwarded {
                status: None,
                latency_ms,
                body: message.clone(),
                error: Some(kind.into()),
            };
            (reply_json(status, &json!({ "error": message })), outcome)
        }
    }
}

fn print_payload(
    server: &Server,
    record: &Record,
    received_at: SystemTime,
    remote: SocketAddr,
    path: &str,
    status: StatusCode,
    forwarded: Option<&Forwarded>,
) -> Result<()> {
    let settings = &server.settings;
    let mut line = Vec::new();
    let unix = received_at
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    match settings.format {
        Format::Json => {
            serde_json::to_writer(
                &mut line,
                &JsonLine {
                    record,
                    received_at: crate::catalog::datetime::format_rfc3339(unix),
                    remote_addr: remote.to_string(),
                    path,
                    reply_status: status.as_u16(),
                    forward: forwarded,
                },
            )?;
            line.push(b'\n');
        }
        Format::Text => {
            lines::listen_line(&mut line, record, unix, status, forwarded, settings.style)?
        }
    }
    let mut out = std::io::stdout().lock();
    out.write_all(&line)?;
    out.flush()?;
    Ok(())
}

fn print_error(server: &Server, message: &str) -> std::io::Result<()> {
    let _ = server;
    render::error(
        &mut std::io::stderr().lock(),
        message,
        Style { color: false },
    )
}

fn status_page(server: &Server) -> Response {
    let stats = server.stats.lock().map(|stats| {
        json!({
            "status": "listening",
            "uptime_seconds": server.started.elapsed().as_secs(),
            "payloads": stats.by_event.values().sum::<usize>(),
            "invalid": stats.invalid,
            "by_event": stats.by_event,
        })
    });
    reply_json(
        StatusCode::OK,
        &stats.unwrap_or_else(|_| json!({ "status": "listening" })),
    )
}

fn too_large(limit: usize) -> Response {
    reply_json(
        StatusCode::PAYLOAD_TOO_LARGE,
        &json!({ "error": format!("the body is larger than --max-body ({limit} bytes)") }),
    )
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(cause) = source {
        if cause.to_string().contains("length limit exceeded") {
            return true;
        }
        source = cause.source();
    }
    false
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
            events: vec![],
            reply_status: None,
            reject_invalid: false,
            max_body: 1024,
            body_timeout: Duration::from_secs(1),
            token: None,
            save: None,
            fsync: false,
            forward_to: None,
            forward_timeout: Duration::from_secs(1),
            options: Options::default(),
            style: Style { color: false },
        }
    }

    fn decision(settings: &Settings, method: Method, uri: &str, body: &str) -> Decision {
        let uri: Uri = uri.parse().unwrap();
        decide(
            settings,
            &SchemaSet::built_in(),
            &method,
            &uri,
            body.as_bytes(),
            0,
        )
        .unwrap()
    }

    #[test]
    fn a_payload_is_judged_like_validate_does() {
        let sample = crate::catalog::find("clients.create").unwrap().example;
        match decision(&settings(), Method::POST, "/hook", sample) {
            Decision::Payload {
                record, selected, ..
            } => {
                assert!(record.valid);
                assert!(selected);
                assert_eq!(record.source, "/hook");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn not_json_methods_paths_and_status() {
        assert!(matches!(
            decision(&settings(), Method::POST, "/", "{\"a\": "),
            Decision::NotJson(message) if message.starts_with("invalid JSON")
        ));
        assert!(matches!(
            decision(&settings(), Method::POST, "/", "{} {}"),
            Decision::NotJson(_)
        ));
        assert!(matches!(
            decision(&settings(), Method::PUT, "/", "{}"),
            Decision::MethodNotAllowed
        ));
        assert!(matches!(
            decision(&settings(), Method::GET, "/", ""),
            Decision::Status
        ));
        let only = Settings {
            path: Some("/vcs".into()),
            ..settings()
        };
        assert!(matches!(
            decision(&only, Method::POST, "/other", "{}"),
            Decision::NotFound
        ));
    }

    #[test]
    fn tokens_come_in_the_query_or_as_a_bearer() {
        let uri: Uri = "/hook?a=1&token=s%20cret".parse().unwrap();
        assert!(carries_token(&uri, None, "s cret"));
        assert!(!carries_token(&uri, None, "s cre"));
        let bare: Uri = "/hook".parse().unwrap();
        assert!(carries_token(&bare, Some("Bearer s cret"), "s cret"));
        assert!(!carries_token(&bare, Some("Basic s cret"), "s cret"));
        assert!(!carries_token(&bare, None, "s cret"));
        let open = settings();
        assert!(authorized(&open, &bare, None), "no token set: anyone");
        let guarded = Settings {
            token: Some("s cret".into()),
            ..settings()
        };
        assert!(!authorized(&guarded, &bare, None));
        assert!(authorized(&guarded, &uri, None));
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
            decision(&only, Method::POST, "/", sample),
            Decision::Payload {
                selected: false,
                ..
            }
        ));
    }
}

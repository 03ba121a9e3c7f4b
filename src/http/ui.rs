//! `listen --ui`: the inspector page and the JSON API under it, served on their own address
//! by the same process. `listen` hands every answered request to [`Ui`], which keeps it in the
//! [`History`] and tells the open pages; the handlers here only translate HTTP to history
//! look-ups (`view` shapes the answers, `pretty` marks the body).
//!
//! The page is plain HTML, CSS and a little JavaScript embedded in the binary. Payload text is
//! attacker-controlled: the script only ever puts it in the page as text.

mod pretty;
mod view;

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio::task::{JoinHandle, JoinSet};

use crate::http::capture;
use crate::http::clock::Stamp;
use crate::http::forward::Forwarder;
use crate::http::history::{self, Entry, Filter, History, Refusal, Verdict};
use crate::http::wire::Forwarded;
use crate::judge::report::Record;

const PAGE: &str = include_str!("ui/page.html");
const SCRIPT: &str = include_str!("ui/page.js");
const STYLE: &str = include_str!("ui/page.css");

/// Open connections to the page beyond this are closed at once.
const MAX_CONNECTIONS: usize = 64;

/// A request's headers must arrive within this.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// An open event stream gets a comment this often, so that proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Entries a list answers at most, unless `limit` says fewer.
const LIST_LIMIT: usize = 1000;

/// The body of a replay request (`{"url": ...}`) is at most this long.
const REPLAY_REQUEST_MAX: usize = 16 << 10;

/// `--ui` resolved.
#[derive(Debug, Clone)]
pub struct UiSettings {
    pub addr: SocketAddr,
    /// Requests kept for the page (`--ui-history`).
    pub history: usize,
}

/// Whether a request to the page (its target, its `Authorization`) may be served.
pub(crate) type Guard = Box<dyn Fn(&Uri, Option<&str>) -> bool + Send + Sync>;

/// What the page needs to know of `listen`.
pub(crate) struct Wiring {
    /// Where VCS posts, `http://host:port`, for the copied commands.
    pub listen_url: String,
    pub forward_to: Option<reqwest::Url>,
    pub forward_timeout: Duration,
    pub max_answer: usize,
    /// This listener's id; replays carry a derived one, so a replay to this listener itself
    /// is taken as a new request, not refused as a loop.
    pub instance: String,
    /// Whether a request to the page carries `--token` (always true on loopback).
    pub guard: Guard,
}

/// The page's state: the history and the pages listening for new entries.
pub(crate) struct Ui {
    history: Mutex<History>,
    news: broadcast::Sender<String>,
    context: Wiring,
    /// The page's own address, for the Host check.
    bound: SocketAddr,
}

/// The page's server; stops when dropped.
pub(crate) struct Running(JoinHandle<()>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A request as `listen` saw it arrive; the target has the token hidden already.
pub(crate) struct Arrival<'a> {
    pub parts: &'a Parts,
    pub remote: SocketAddr,
    pub received: &'a Stamp,
    pub target: String,
}

impl Ui {
    /// Binds the page's address and serves it until [`Running`] is dropped.
    pub(crate) async fn start(
        settings: &UiSettings,
        context: Wiring,
    ) -> Result<(Arc<Ui>, SocketAddr, Running)> {
        let listener = TcpListener::bind(settings.addr)
            .await
            .with_context(|| format!("--ui {}: cannot listen there", settings.addr))?;
        let bound = listener.local_addr()?;
        let ui = Arc::new(Ui {
            history: Mutex::new(History::new(settings.history, history::MAX_BYTES)),
            news: broadcast::channel(256).0,
            context,
            bound,
        });
        let task = tokio::spawn(serve(listener, Arc::clone(&ui)));
        Ok((ui, bound, Running(task)))
    }

    /// Keeps a judged payload and its reply. The reply's body is read (it is in memory) and
    /// put back.
    pub(crate) async fn record_payload(
        &self,
        arrival: Arrival<'_>,
        body: &Bytes,
        record: &Record,
        response: axum::response::Response,
        forward: Option<&Forwarded>,
        started: Instant,
    ) -> axum::response::Response {
        let (parts, reply) = response.into_parts();
        let reply = match reply.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => Bytes::new(),
        };
        let entry = Entry {
            record: Some(record.clone()),
            forward: forward.cloned(),
            reply_status: parts.status.as_u16(),
            // A copy when cut: a slice would keep the whole answer alive.
            reply_body: if reply.len() > history::REPLY_KEPT {
                Bytes::copy_from_slice(&reply[..history::REPLY_KEPT])
            } else {
                reply.clone()
            },
            latency_ms: Some(started.elapsed().as_secs_f64() * 1000.0),
            body: body.clone(),
            ..new_entry(&arrival)
        };
        self.keep(entry);
        axum::response::Response::from_parts(parts, Body::from(reply))
    }

    /// Keeps a refused request, with its body when it was read (not JSON).
    pub(crate) fn record_refused(
        &self,
        arrival: Arrival<'_>,
        body: Option<&Bytes>,
        reason: &str,
        message: &str,
        status: StatusCode,
    ) {
        let entry = Entry {
            refusal: Some(Refusal {
                reason: reason.to_string(),
                message: message.to_string(),
            }),
            reply_status: status.as_u16(),
            reply_body: Bytes::from(json!({ "error": message }).to_string()),
            body: body.cloned().unwrap_or_default(),
            ..new_entry(&arrival)
        };
        self.keep(entry);
    }

    fn keep(&self, entry: Entry) {
        let Ok(mut history) = self.history.lock() else {
            return;
        };
        let n = history.push(entry);
        if let Some(entry) = history.get(n) {
            // No page listening is not an error.
            let _ = self.news.send(view::summary(entry).to_string());
        }
    }
}

fn new_entry(arrival: &Arrival<'_>) -> Entry {
    let headers = arrival
        .parts
        .headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes());
            (name.to_string(), view::shown_header(name.as_str(), &value))
        })
        .collect();
    Entry {
        n: 0,
        received_at: arrival.received.rfc3339.clone(),
        clock: arrival.received.clock.clone(),
        remote: arrival.remote.to_string(),
        method: arrival.parts.method.to_string(),
        target: arrival.target.clone(),
        headers,
        body: Bytes::new(),
        record: None,
        refusal: None,
        reply_status: 0,
        reply_body: Bytes::new(),
        forward: None,
        latency_ms: None,
    }
}

/// Accepts connections to the page until aborted (which drops them all).
async fn serve(listener: TcpListener, ui: Arc<Ui>) {
    let mut open = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                if open.len() >= MAX_CONNECTIONS {
                    continue;
                }
                let ui = Arc::clone(&ui);
                open.spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let ui = Arc::clone(&ui);
                        async move { Ok::<_, Infallible>(handle(&ui, request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(HEADER_TIMEOUT)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = open.join_next() => {}
        }
    }
}

async fn handle(ui: &Ui, request: Request<Incoming>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    if !ui.same_host(&parts.headers) {
        return error(StatusCode::MISDIRECTED_REQUEST, "unexpected Host header");
    }
    if !(ui.context.guard)(&parts.uri, authorization) {
        return error(StatusCode::UNAUTHORIZED, "missing or wrong token");
    }
    let segments: Vec<&str> = parts.uri.path().split('/').skip(1).collect();
    match (&parts.method, segments.as_slice()) {
        (&Method::GET, [""]) => asset(PAGE, "text/html; charset=utf-8"),
        (&Method::GET, ["page.js"]) => asset(SCRIPT, "text/javascript; charset=utf-8"),
        (&Method::GET, ["page.css"]) => asset(STYLE, "text/css; charset=utf-8"),
        (&Method::GET, ["api", "info"]) => ui.info(),
        (&Method::GET, ["api", "requests"]) => ui.list(&parts.uri),
        (&Method::GET, ["api", "requests", n]) => ui.with_entry(n, |entry| {
            let body_url = format!("/api/requests/{}/body", entry.n);
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_secs() as i64);
            let detail = view::detail(entry, &ui.context.listen_url, now, &body_url);
            json_response(StatusCode::OK, &detail)
        }),
        (&Method::GET, ["api", "requests", n, "body"]) => ui.with_entry(n, |entry| {
            download(
                entry.body.clone(),
                "application/json",
                &format!("request-{}.json", entry.n),
            )
        }),
        (&Method::POST, ["api", "requests", n, "replay"]) => {
            ui.replay(n, &parts.headers, body).await
        }
        (&Method::GET, ["api", "capture"]) => ui.capture(&parts.uri),
        (&Method::GET, ["api", "events"]) => ui.events(),
        (_, ["" | "page.js" | "page.css"] | ["api", ..]) => {
            error(StatusCode::METHOD_NOT_ALLOWED, "wrong method")
        }
        _ => error(StatusCode::NOT_FOUND, "no such page"),
    }
}

impl Ui {
    /// A page on loopback answers only to its own names (a page elsewhere could otherwise
    /// point a name of its own at 127.0.0.1 and read the history).
    fn same_host(&self, headers: &HeaderMap) -> bool {
        if !self.bound.ip().is_loopback() {
            return true;
        }
        let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let port = self.bound.port();
        [
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
            self.bound.to_string(),
        ]
        .iter()
        .any(|name| name.eq_ignore_ascii_case(host))
    }

    fn info(&self) -> Response<Body> {
        let (kept, capacity, last) = match self.history.lock() {
            Ok(history) => (history.len(), history.capacity(), history.last()),
            Err(_) => return error(StatusCode::INTERNAL_SERVER_ERROR, "a lock was poisoned"),
        };
        json_response(
            StatusCode::OK,
            &json!({
                "listen_url": self.context.listen_url,
                "forward_to": self.context.forward_to.as_ref().map(reqwest::Url::as_str),
                "history": { "kept": kept, "capacity": capacity, "last": last },
                "version": env!("CARGO_PKG_VERSION"),
            }),
        )
    }

    fn list(&self, uri: &Uri) -> Response<Body> {
        let query = Query::parse(uri);
        let filter = match query.filter() {
            Ok(filter) => filter,
            Err(message) => return error(StatusCode::BAD_REQUEST, &message),
        };
        let limit = match query.get("limit").map(str::parse::<usize>).transpose() {
            Ok(limit) => limit.unwrap_or(LIST_LIMIT),
            Err(_) => return error(StatusCode::BAD_REQUEST, "limit: expected a number"),
        };
        let Ok(history) = self.history.lock() else {
            return error(StatusCode::INTERNAL_SERVER_ERROR, "a lock was poisoned");
        };
        let requests: Vec<Value> = history
            .newest_first(&filter)
            .take(limit)
            .map(view::summary)
            .collect();
        json_response(
            StatusCode::OK,
            &json!({
                "requests": requests,
                "kept": history.len(),
                "capacity": history.capacity(),
                "last": history.last(),
            }),
        )
    }

    fn with_entry(&self, n: &str, answer: impl FnOnce(&Entry) -> Response<Body>) -> Response<Body> {
        let Ok(n) = n.parse::<u64>() else {
            return error(StatusCode::NOT_FOUND, "requests are numbered from 1");
        };
        let Ok(history) = self.history.lock() else {
            return error(StatusCode::INTERNAL_SERVER_ERROR, "a lock was poisoned");
        };
        match history.get(n) {
            Some(entry) => answer(entry),
            None => error(
                StatusCode::NOT_FOUND,
                &format!(
                    "request {n} is not in the history (it keeps the last {})",
                    history.capacity()
                ),
            ),
        }
    }

    /// The payloads in the history that match (or the numbered ones, with `n=1,2`), one line
    /// each as `--save` writes them, oldest first. Refused requests have no payload.
    fn capture(&self, uri: &Uri) -> Response<Body> {
        let query = Query::parse(uri);
        let filter = match query.filter() {
            Ok(filter) => filter,
            Err(message) => return error(StatusCode::BAD_REQUEST, &message),
        };
        let chosen: Option<BTreeSet<u64>> = match query.get("n") {
            None => None,
            Some(list) => match list.split(',').map(|n| n.trim().parse::<u64>()).collect() {
                Ok(chosen) => Some(chosen),
                Err(_) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "n: expected request numbers separated by commas",
                    );
                }
            },
        };
        let Ok(history) = self.history.lock() else {
            return error(StatusCode::INTERNAL_SERVER_ERROR, "a lock was poisoned");
        };
        let mut lines = Vec::new();
        for entry in history.oldest_first(&filter) {
            if entry.record.is_none() || chosen.as_ref().is_some_and(|c| !c.contains(&entry.n)) {
                continue;
            }
            lines.extend_from_slice(&capture::compact(&entry.body));
            lines.push(b'\n');
        }
        download(Bytes::from(lines), "application/x-ndjson", "capture.ndjson")
    }

    /// Sends request `n`'s body again, to `{"url": ...}` or to `--forward-to`, and answers
    /// with what the handler did. Only JSON is accepted, so another site's form cannot
    /// trigger it.
    async fn replay(&self, n: &str, headers: &HeaderMap, body: Incoming) -> Response<Body> {
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/json"));
        if !is_json {
            return error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send {\"url\": ...} or {} as application/json",
            );
        }
        let asked = match read_small(body).await {
            Ok(asked) => asked,
            Err(message) => return error(StatusCode::BAD_REQUEST, &message),
        };
        let url = match asked
            .get("url")
            .and_then(Value::as_str)
            .filter(|url| !url.is_empty())
        {
            Some(url) => match reqwest::Url::parse(url) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => url,
                _ => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        &format!("url {url}: expected an http:// or https:// URL"),
                    );
                }
            },
            None => match &self.context.forward_to {
                Some(url) => url.clone(),
                None => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "no --forward-to: give the URL to replay to as {\"url\": ...}",
                    );
                }
            },
        };
        let payload = {
            let Ok(history) = self.history.lock() else {
                return error(StatusCode::INTERNAL_SERVER_ERROR, "a lock was poisoned");
            };
            let found = n.parse::<u64>().ok().and_then(|n| history.get(n));
            match found {
                Some(entry) if entry.record.is_some() => entry.body.clone(),
                Some(_) => {
                    return error(
                        StatusCode::CONFLICT,
                        "a refused request has no payload to replay",
                    );
                }
                None => return error(StatusCode::NOT_FOUND, "no such request in the history"),
            }
        };
        let forwarder = match Forwarder::new(
            url.clone(),
            self.context.forward_timeout,
            self.context.max_answer,
            format!("{}-replay", self.context.instance),
        ) {
            Ok(forwarder) => forwarder,
            Err(problem) => {
                return error(StatusCode::INTERNAL_SERVER_ERROR, &format!("{problem:#}"));
            }
        };
        let mut outgoing = HeaderMap::new();
        outgoing.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let (_, outcome) = forwarder.forward(&Method::POST, &outgoing, payload).await;
        json_response(
            StatusCode::OK,
            &json!({ "url": url.as_str(), "result": outcome }),
        )
    }

    /// Server-sent events: one `request` event (the list's form of the entry) per new
    /// request. A page that falls behind gets `lagged` and reloads the list.
    fn events(&self) -> Response<Body> {
        let receiver = self.news.subscribe();
        let hello = futures_util::stream::once(async {
            Ok::<_, Infallible>(Bytes::from_static(b"retry: 1000\n: listening\n\n"))
        });
        let news = futures_util::stream::unfold(receiver, |mut receiver| async move {
            let chunk = match tokio::time::timeout(KEEP_ALIVE, receiver.recv()).await {
                Err(_) => ": keep-alive\n\n".to_string(),
                Ok(Ok(summary)) => format!("event: request\ndata: {summary}\n\n"),
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => {
                    "event: lagged\ndata: {}\n\n".to_string()
                }
                Ok(Err(broadcast::error::RecvError::Closed)) => return None,
            };
            Some((Ok::<_, Infallible>(Bytes::from(chunk)), receiver))
        });
        let mut response = Response::new(Body::from_stream(futures_util::StreamExt::chain(
            hello, news,
        )));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }
}

/// A replay request's JSON body (empty means `{}`).
async fn read_small(body: Incoming) -> Result<Value, String> {
    let limited = http_body_util::Limited::new(body, REPLAY_REQUEST_MAX);
    let bytes = limited
        .collect()
        .await
        .map_err(|_| {
            format!("the request body is larger than {REPLAY_REQUEST_MAX} bytes or cut off")
        })?
        .to_bytes();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err("expected a JSON object such as {\"url\": \"http://...\"}".into()),
        Err(problem) => Err(format!("invalid JSON: {problem}")),
    }
}

/// The query parameters of an API request.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(uri: &Uri) -> Query {
        Query(
            url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
                .map(|(key, value)| (key.into_owned(), value.into_owned()))
                .collect(),
        )
    }

    /// A parameter, when it is there and not empty.
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, value)| name == key && !value.is_empty())
            .map(|(_, value)| value.as_str())
    }

    /// `event`, `verdict`, `q` and `after`.
    fn filter(&self) -> Result<Filter, String> {
        let verdict = match self.get("verdict") {
            None => None,
            Some(text) => Some(
                Verdict::parse(text)
                    .ok_or_else(|| format!("verdict {text}: expected valid, invalid or refused"))?,
            ),
        };
        let after = match self.get("after") {
            None => None,
            Some(text) => Some(
                text.parse()
                    .map_err(|_| format!("after {text}: expected a request number"))?,
            ),
        };
        Ok(Filter {
            event: self.get("event").map(str::to_string),
            verdict,
            text: self.get("q").map(str::to_string),
            after,
        })
    }
}

fn asset(text: &'static str, content_type: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(text));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Nothing but this page's own script and style may run or load.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn download(bytes: Bytes, content_type: &'static str, name: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

fn json_response(status: StatusCode, value: &Value) -> Response<Body> {
    let mut response = Response::new(Body::from(value.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn error(status: StatusCode, message: &str) -> Response<Body> {
    json_response(status, &json!({ "error": message }))
}

/// The banner's line naming the page.
pub(crate) fn banner_line(bound: SocketAddr, token: Option<&str>) -> String {
    let query = match token {
        Some(token) if !bound.ip().is_loopback() => {
            let encoded: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
            format!("?token={encoded}")
        }
        _ => String::new(),
    };
    let host = match bound.ip() {
        ip if ip.is_unspecified() => "<this machine's address>".to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    format!(
        "jerahook: inspector page on http://{host}:{}/{query}",
        bound.port()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_never_parses_text_as_markup() {
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
        ] {
            assert!(!SCRIPT.contains(sink), "page.js uses {sink}");
        }
        assert!(
            !PAGE.contains("<script>"),
            "no inline script: the policy forbids it"
        );
        assert!(
            !PAGE.contains("http://") && !PAGE.contains("https://"),
            "nothing from elsewhere"
        );
    }

    #[test]
    fn the_banner_gives_the_token_only_off_loopback() {
        let local: SocketAddr = "127.0.0.1:8788".parse().unwrap();
        assert_eq!(
            banner_line(local, Some("a b")),
            "jerahook: inspector page on http://127.0.0.1:8788/"
        );
        let all: SocketAddr = "0.0.0.0:8788".parse().unwrap();
        assert_eq!(
            banner_line(all, Some("a b")),
            "jerahook: inspector page on http://<this machine's address>:8788/?token=a+b"
        );
    }
}

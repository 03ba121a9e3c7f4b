//! `listen --ui`: the inspector page and the JSON API under it, served on their own address
//! by the same process. `listen` hands every answered request to [`Ui`], which keeps it in the
//! [`History`] and tells the open pages; the handlers here only translate HTTP to history
//! look-ups (`view` shapes the answers, `pretty` marks the body).
//!
//! The page is plain HTML, CSS and a little JavaScript embedded in the binary. Payload text is
//! attacker-controlled: the script only ever puts it in the page as text.

mod pretty;
mod view;

use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result};
use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, broadcast};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Sleep;

use crate::http::capture;
use crate::http::clock::Stamp;
use crate::http::forward::{self, Forwarder};
use crate::http::history::{self, Entry, Filter, History, Refusal, Verdict};
use crate::http::wire::{self, Forwarded};
use crate::judge::report::Record;

const PAGE: &str = include_str!("ui/page.html");
const SCRIPT: &str = include_str!("ui/page.js");
const STYLE: &str = include_str!("ui/page.css");

/// Open connections to the page beyond this are answered 503 and closed.
const MAX_CONNECTIONS: usize = 64;

/// Live-update streams open at once, in all and from one client address: each holds a
/// connection for as long as its page is open, and must leave room for the page's requests.
const MAX_STREAMS: usize = 32;
const MAX_STREAMS_PER_CLIENT: usize = 8;

/// An answer that makes no progress for this long is cut off: a reader that stopped reading
/// (a download, a live-update stream) must not pin its answer or its connection.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Page requests whose work grows with the history (lists, searches, downloads) run on the
/// blocking pool, this many at once, in steps of [`STEP`] entries taken under the lock.
const SCANS: usize = 2;
const STEP: usize = 256;

/// A download step also ends once its bodies pass this many bytes.
const STEP_BYTES: usize = 1 << 20;

/// Capture downloads under way at once: each holds a step (up to one whole body) while its
/// reader takes it.
const DOWNLOADS: usize = 4;

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
    /// Whether a request to the page carries `--token` (always true without one).
    pub guard: Guard,
}

/// The page's state: the history and the pages listening for new entries.
pub(crate) struct Ui {
    history: Mutex<History>,
    news: broadcast::Sender<String>,
    context: Wiring,
    /// The page's own address, for the Host check.
    bound: SocketAddr,
    /// Scans of the history under way: at most [`SCANS`].
    scans: Semaphore,
    /// Capture downloads under way: at most [`DOWNLOADS`].
    downloads: Arc<Semaphore>,
    /// Live-update streams open, by client address.
    streams: Mutex<HashMap<IpAddr, usize>>,
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
            scans: Semaphore::new(SCANS),
            downloads: Arc::new(Semaphore::new(DOWNLOADS)),
            streams: Mutex::new(HashMap::new()),
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
        let measured = history::Measured::from(entry);
        let kept = self.history().push(measured);
        // No page listening is not an error.
        let _ = self.news.send(view::summary(&kept).to_string());
    }

    /// The history, also after a panic elsewhere while it was held: its entries are only
    /// ever pushed and popped whole.
    fn history(&self) -> std::sync::MutexGuard<'_, History> {
        self.history
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `work` on the blocking pool, at most [`SCANS`] at once: work that grows with the
    /// history holds up neither the threads that answer VCS nor the whole pool, which also
    /// judges payloads.
    async fn off_thread<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let _permit = self.scans.acquire().await.ok()?;
        tokio::task::spawn_blocking(work).await.ok()
    }
}

fn new_entry(arrival: &Arrival<'_>) -> Entry {
    let headers = history::kept_headers(arrival.parts.headers.iter().map(|(name, value)| {
        let value = String::from_utf8_lossy(value.as_bytes());
        (name.as_str(), view::shown_header(name.as_str(), &value))
    }));
    Entry {
        n: 0,
        received_at: arrival.received.rfc3339.clone(),
        clock: arrival.received.clock.clone(),
        remote: arrival.remote.to_string(),
        method: arrival.parts.method.to_string(),
        target: history::cut(arrival.target.clone(), history::TARGET_KEPT),
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
    let mut turned_away = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, remote)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let stream = WriteDeadline::new(stream);
                if open.len() >= MAX_CONNECTIONS {
                    // Told why, not reset; beyond as many again, closed.
                    if turned_away.len() < MAX_CONNECTIONS {
                        turned_away.spawn(turn_away(stream));
                    }
                    continue;
                }
                let ui = Arc::clone(&ui);
                open.spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let ui = Arc::clone(&ui);
                        async move { Ok::<_, Infallible>(handle(&ui, request, remote).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(HEADER_TIMEOUT)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = open.join_next() => {}
            Some(_) = turned_away.join_next() => {}
        }
    }
}

/// Answers a connection over [`MAX_CONNECTIONS`] with 503 and closes it.
async fn turn_away(stream: WriteDeadline) {
    let service = hyper::service::service_fn(|_| async {
        Ok::<_, Infallible>(busy(
            &format!(
                "the page has {MAX_CONNECTIONS} connections open; close some of its tabs and retry"
            ),
            "1",
        ))
    });
    let answered = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(2))
        .keep_alive(false)
        .serve_connection(TokioIo::new(stream), service);
    let _ = tokio::time::timeout(Duration::from_secs(5), answered).await;
}

/// A page connection whose writes fail once they have made no progress for
/// [`WRITE_TIMEOUT`].
struct WriteDeadline {
    stream: TcpStream,
    /// Armed when a write could not go on; cleared by any progress.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl WriteDeadline {
    fn new(stream: TcpStream) -> WriteDeadline {
        WriteDeadline {
            stream,
            stalled: None,
        }
    }

    /// A write's outcome, or the error that ends a stall that lasted too long.
    fn watch<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let timer = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(WRITE_TIMEOUT)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the page's reader stopped reading",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for WriteDeadline {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for WriteDeadline {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.watch(cx, poll)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_flush(cx);
        this.watch(cx, poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

async fn handle(ui: &Arc<Ui>, request: Request<Incoming>, remote: SocketAddr) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    if !ui.same_host(&parts.headers) {
        return error(
            StatusCode::MISDIRECTED_REQUEST,
            "Host: the page is on loopback and answers only to loopback names such as localhost or 127.0.0.1",
        );
    }
    let segments: Vec<&str> = parts.uri.path().split('/').skip(1).collect();
    // The page itself holds no data: it loads without the token and asks for it.
    let is_page = matches!(segments.as_slice(), ["" | "page.js" | "page.css"]);
    if !is_page && !(ui.context.guard)(&parts.uri, authorization) {
        return error(StatusCode::UNAUTHORIZED, "missing or wrong token");
    }
    match (&parts.method, segments.as_slice()) {
        (&Method::GET, [""]) => asset(PAGE, "text/html; charset=utf-8"),
        (&Method::GET, ["page.js"]) => asset(SCRIPT, "text/javascript; charset=utf-8"),
        (&Method::GET, ["page.css"]) => asset(STYLE, "text/css; charset=utf-8"),
        (&Method::GET, ["api", "info"]) => ui.info(),
        (&Method::GET, ["api", "requests"]) => ui.list(&parts.uri).await,
        (&Method::GET, ["api", "requests", n]) => match ui.entry(n) {
            Ok(entry) => {
                let listen_url = ui.context.listen_url.clone();
                // Parsing and marking a body takes time in proportion to it.
                let detail = ui
                    .off_thread(move || {
                        let body_url = format!("/api/requests/{}/body", entry.n);
                        let now = SystemTime::now()
                            .duration_since(UNIX_EPOCH)
                            .map_or(0, |elapsed| elapsed.as_secs() as i64);
                        view::detail(&entry, &listen_url, now, &body_url).to_string()
                    })
                    .await;
                match detail {
                    Some(detail) => json_text(StatusCode::OK, detail),
                    None => error(StatusCode::SERVICE_UNAVAILABLE, "stopping"),
                }
            }
            Err(answer) => *answer,
        },
        (&Method::GET, ["api", "requests", n, "body"]) => match ui.entry(n) {
            Ok(entry) => download(
                entry.body.clone(),
                "application/json",
                &format!("request-{}.json", entry.n),
            ),
            Err(answer) => *answer,
        },
        (&Method::POST, ["api", "requests", n, "replay"]) => {
            ui.replay(n, &parts.headers, body).await
        }
        (&Method::GET, ["api", "capture"]) => ui.capture(&parts.uri),
        (&Method::GET, ["api", "events"]) => ui.events(remote.ip()),
        (_, ["" | "page.js" | "page.css"] | ["api", ..]) => {
            error(StatusCode::METHOD_NOT_ALLOWED, "wrong method")
        }
        _ => error(StatusCode::NOT_FOUND, "no such page"),
    }
}

impl Ui {
    /// A page on loopback answers only to loopback names (a page elsewhere could otherwise
    /// point a name of its own at 127.0.0.1 and read the history), with any port: an SSH
    /// tunnel's local port differs from the page's.
    fn same_host(&self, headers: &HeaderMap) -> bool {
        if !self.bound.ip().is_loopback() {
            return true;
        }
        headers
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .is_some_and(wire::loopback_host)
    }

    fn info(&self) -> Response<Body> {
        let (kept, capacity, last) = self.history().sizes();
        json_response(
            StatusCode::OK,
            &json!({
                "listen_url": self.context.listen_url,
                "forward_to": self.context.forward_to.as_ref().map(wire::redacted),
                "history": { "kept": kept, "capacity": capacity, "last": last },
                "version": env!("CARGO_PKG_VERSION"),
            }),
        )
    }

    /// The entries that match, newest first, up to `limit`; scanned in steps, the lock held
    /// for each step only.
    async fn list(self: &Arc<Self>, uri: &Uri) -> Response<Body> {
        let query = Query::parse(uri);
        let filter = match query.filter() {
            Ok(filter) => filter,
            Err(message) => return error(StatusCode::BAD_REQUEST, &message),
        };
        let limit = match query.get("limit").map(str::parse::<usize>).transpose() {
            Ok(limit) => limit.unwrap_or(LIST_LIMIT),
            Err(_) => return error(StatusCode::BAD_REQUEST, "limit: expected a number"),
        };
        let (kept, capacity, last) = self.history().sizes();
        let ui = Arc::clone(self);
        let scanned = self.off_thread(move || {
            let mut found = Vec::new();
            // Entries after `last` arrived during the scan: the next look takes them.
            let mut before = last + 1;
            let stop = filter.after.unwrap_or(0);
            while found.len() < limit && before > stop.saturating_add(1) {
                let step = ui.history().before(before, STEP);
                let Some(oldest) = step.last() else {
                    break;
                };
                before = oldest.n;
                found.extend(
                    step.iter()
                        .filter(|entry| entry.matches(&filter))
                        .take(limit - found.len())
                        .map(|entry| view::summary(entry)),
                );
            }
            found
        });
        let Some(requests) = scanned.await else {
            return error(StatusCode::SERVICE_UNAVAILABLE, "stopping");
        };
        json_response(
            StatusCode::OK,
            &json!({
                "requests": requests,
                "kept": kept,
                "capacity": capacity,
                "last": last,
            }),
        )
    }

    /// Entry `n`, or the answer saying it is not kept.
    fn entry(&self, n: &str) -> Result<Arc<Entry>, Box<Response<Body>>> {
        let Ok(n) = n.parse::<u64>() else {
            return Err(Box::new(error(
                StatusCode::NOT_FOUND,
                "requests are numbered from 1",
            )));
        };
        let history = self.history();
        history.get(n).ok_or_else(|| {
            Box::new(error(
                StatusCode::NOT_FOUND,
                &format!(
                    "request {n} is not in the history (it keeps the last {})",
                    history.capacity()
                ),
            ))
        })
    }

    /// The payloads in the history that match (or the numbered ones, with `n=1,2`), one line
    /// each as `--save` writes them, oldest first. Refused requests have no payload. Streamed
    /// in steps: those kept when the download starts, less any forgotten before their step.
    fn capture(self: &Arc<Self>, uri: &Uri) -> Response<Body> {
        let query = Query::parse(uri);
        let filter = match query.filter() {
            Ok(filter) => Arc::new(filter),
            Err(message) => return error(StatusCode::BAD_REQUEST, &message),
        };
        let chosen: Option<Arc<BTreeSet<u64>>> = match query.get("n") {
            None => None,
            Some(list) => match list.split(',').map(|n| n.trim().parse::<u64>()).collect() {
                Ok(chosen) => Some(Arc::new(chosen)),
                Err(_) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "n: expected request numbers separated by commas",
                    );
                }
            },
        };
        let Ok(permit) = Arc::clone(&self.downloads).try_acquire_owned() else {
            return busy(
                &format!("{DOWNLOADS} downloads are under way; retry when one has finished"),
                "5",
            );
        };
        let until = self.history().last();
        let ui = Arc::clone(self);
        // The permit travels with the stream: the download counts until its connection is
        // done with it.
        let steps = futures_util::stream::unfold((Some(0), permit), move |(from, permit)| {
            let ui = Arc::clone(&ui);
            let filter = Arc::clone(&filter);
            let chosen = chosen.clone();
            async move {
                let from = from?;
                let scanner = Arc::clone(&ui);
                let (lines, next) = ui
                    .off_thread(move || {
                        let step = scanner.history().from(from, until, STEP, STEP_BYTES);
                        let next = step.last().map(|entry| entry.n + 1);
                        let mut lines = Vec::new();
                        for entry in &step {
                            let wanted = entry.record.is_some()
                                && entry.matches(&filter)
                                && chosen.as_ref().is_none_or(|c| c.contains(&entry.n));
                            if wanted {
                                lines.extend_from_slice(&capture::compact(&entry.body));
                                lines.push(b'\n');
                            }
                        }
                        (lines, next)
                    })
                    .await?;
                next?;
                Some((Ok::<_, Infallible>(Bytes::from(lines)), (next, permit)))
            }
        });
        download(
            Body::from_stream(steps),
            "application/x-ndjson",
            "capture.ndjson",
        )
    }

    /// Sends request `n`'s body again, to `{"url": ...}` or to `--forward-to`, and answers
    /// with what the handler did. Only JSON is accepted, so another site's form cannot
    /// trigger it.
    async fn replay(&self, n: &str, headers: &HeaderMap, body: Incoming) -> Response<Body> {
        if forward::is_loop(headers, &self.replay_id()) {
            return error(
                StatusCode::LOOP_DETECTED,
                "this page sent this request itself: the replay URL leads back to it",
            );
        }
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.to_ascii_lowercase().starts_with("application/json"));
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
                Ok(_) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        &format!(
                            "url {}: expected an http:// or https:// URL",
                            wire::unparsed_redacted(url)
                        ),
                    );
                }
                Err(problem) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        &format!("url {}: not a URL: {problem}", wire::unparsed_redacted(url)),
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
            let found = n.parse::<u64>().ok().and_then(|n| self.history().get(n));
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
            self.replay_id(),
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
            &json!({ "url": wire::redacted(&url), "result": outcome }),
        )
    }

    /// The id replays carry in the forwarding header: not this listener's own, so that a replay
    /// to this listener is a new request, yet one that leads back to the page is a loop.
    fn replay_id(&self) -> String {
        format!("{}-replay", self.context.instance)
    }

    /// Server-sent events: one `request` event (the list's form of the entry) per new
    /// request. A page that falls behind gets `lagged` and reloads the list.
    fn events(self: &Arc<Self>, client: IpAddr) -> Response<Body> {
        let Some(open) = StreamSlot::take(self, client) else {
            return busy(
                &format!(
                    "too many live-update streams open ({MAX_STREAMS} in all, {MAX_STREAMS_PER_CLIENT} from one address): close other tabs of this page"
                ),
                "5",
            );
        };
        let receiver = (self.news.subscribe(), open);
        let hello = futures_util::stream::once(async {
            Ok::<_, Infallible>(Bytes::from_static(b"retry: 1000\n: listening\n\n"))
        });
        let news = futures_util::stream::unfold(receiver, |(mut receiver, open)| async move {
            let chunk = match tokio::time::timeout(KEEP_ALIVE, receiver.recv()).await {
                Err(_) => ": keep-alive\n\n".to_string(),
                Ok(Ok(summary)) => format!("event: request\ndata: {summary}\n\n"),
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => {
                    "event: lagged\ndata: {}\n\n".to_string()
                }
                Ok(Err(broadcast::error::RecvError::Closed)) => return None,
            };
            Some((Ok::<_, Infallible>(Bytes::from(chunk)), (receiver, open)))
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

/// One open live-update stream, counted against the caps until it is dropped (its connection
/// closed).
struct StreamSlot {
    ui: Arc<Ui>,
    client: IpAddr,
}

impl StreamSlot {
    fn take(ui: &Arc<Ui>, client: IpAddr) -> Option<StreamSlot> {
        let mut streams = ui
            .streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let total: usize = streams.values().sum();
        let mine = streams.entry(client).or_default();
        if total >= MAX_STREAMS || *mine >= MAX_STREAMS_PER_CLIENT {
            return None;
        }
        *mine += 1;
        Some(StreamSlot {
            ui: Arc::clone(ui),
            client,
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut streams = self
            .ui
            .streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = streams.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                streams.remove(&self.client);
            }
        }
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

fn download(body: impl Into<Body>, content_type: &'static str, name: &str) -> Response<Body> {
    let mut response = Response::new(body.into());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

fn json_response(status: StatusCode, value: &Value) -> Response<Body> {
    json_text(status, value.to_string())
}

/// A JSON answer already written out.
fn json_text(status: StatusCode, text: String) -> Response<Body> {
    let mut response = Response::new(Body::from(text));
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

/// 503 with the reason and when to retry (`Retry-After`, in seconds).
fn busy(message: &str, retry_after: &'static str) -> Response<Body> {
    let mut answer = error(StatusCode::SERVICE_UNAVAILABLE, message);
    answer
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static(retry_after));
    answer
}

/// The banner's line naming the page.
pub(crate) fn banner_line(bound: SocketAddr, token: Option<&str>) -> String {
    let query = match token {
        Some(token) => {
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
    fn the_banner_gives_the_pages_address_with_its_token() {
        let local: SocketAddr = "127.0.0.1:8788".parse().unwrap();
        assert_eq!(
            banner_line(local, None),
            "jerahook: inspector page on http://127.0.0.1:8788/"
        );
        assert_eq!(
            banner_line(local, Some("a b")),
            "jerahook: inspector page on http://127.0.0.1:8788/?token=a+b"
        );
        let all: SocketAddr = "0.0.0.0:8788".parse().unwrap();
        assert_eq!(
            banner_line(all, Some("a b")),
            "jerahook: inspector page on http://<this machine's address>:8788/?token=a+b"
        );
    }
}

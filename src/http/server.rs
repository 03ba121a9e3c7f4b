//! The connection side of `listen`: accepting, the cap on open connections, the timers that
//! close silent ones, and a shutdown that cannot be held up.
//!
//! Each connection has one watchdog. A new connection, or one that has started sending a
//! request, must deliver the request's headers within the header timeout; a kept-alive
//! connection with no request in flight is closed after the idle timeout. While a request is
//! being handled the watchdog waits (the body and the forward have their own timeouts). On the
//! first Ctrl-C or SIGTERM the listener stops accepting, connections without a request in
//! flight (idle, or still sending headers) close, requests in flight get the grace period to
//! finish; a second signal, or the end of the grace period, drops whatever is left.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::{Context as _, Result};
use axum::body::Body;
use axum::http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// How long connections may stay silent, how many may be open, how long a stop may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A request's headers (from accepting, or from its first byte) must arrive within this.
    pub header_timeout: Duration,
    /// A kept-alive connection with no request in flight is closed after this.
    pub idle_timeout: Duration,
    /// Connections beyond this many open ones are closed as soon as they are accepted.
    pub max_connections: usize,
    /// After the first Ctrl-C, requests in flight get this long to finish.
    pub grace: Duration,
}

/// What happened to connections, for the summary.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Closed on accepting: `max_connections` were open.
    pub refused: AtomicUsize,
    /// Closed by the header or idle timeout.
    pub timed_out: AtomicUsize,
    /// Still open when the grace period ended or a second signal came.
    pub cut_off: AtomicUsize,
}

/// Ctrl-C and SIGTERM, as a stream: the first asks for a stop, the second insists.
pub(crate) struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    pub(crate) fn new() -> Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt()).context("listening for Ctrl-C")?,
                terminate: signal(SignalKind::terminate()).context("listening for SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// The next Ctrl-C or SIGTERM.
    pub(crate) async fn next(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Serves `handler` on every accepted connection until a signal, then stops as described in
/// the module documentation.
pub(crate) async fn serve<H, F, M>(
    listener: TcpListener,
    limits: Limits,
    handler: H,
    malformed: M,
    signals: &mut Signals,
    tally: Arc<Tally>,
) where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
    M: Fn(SocketAddr, String) + Clone + Send + Sync + 'static,
{
    let (stop, stopping) = watch::channel(false);
    let mut open = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, remote)) = accepted else {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // wait a little instead of spinning.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                if open.len() >= limits.max_connections {
                    tally.refused.fetch_add(1, Ordering::Relaxed);
                    drop(stream);
                    continue;
                }
                let _ = stream.set_nodelay(true);
                open.spawn(connection(
                    stream,
                    remote,
                    limits,
                    handler.clone(),
                    malformed.clone(),
                    stopping.clone(),
                    Arc::clone(&tally),
                ));
            }
            Some(_) = open.join_next() => {}
            () = signals.next() => break,
        }
    }
    drop(listener);
    let _ = stop.send(true);
    let drained = async { while open.join_next().await.is_some() {} };
    tokio::select! {
        () = drained => {}
        () = tokio::time::sleep(limits.grace) => {}
        () = signals.next() => {}
    }
    tally.cut_off.fetch_add(open.len(), Ordering::Relaxed);
    open.abort_all();
}

/// One connection: HTTP/1.1 with keep-alive, its watchdog, and a graceful stop on request.
async fn connection<H, F, M>(
    stream: TcpStream,
    remote: SocketAddr,
    limits: Limits,
    handler: H,
    malformed: M,
    mut stopping: watch::Receiver<bool>,
    tally: Arc<Tally>,
) where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
    M: Fn(SocketAddr, String),
{
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        stream,
        activity: Arc::clone(&activity),
    });
    let service = {
        let activity = Arc::clone(&activity);
        hyper::service::service_fn(move |request| {
            let busy = Busy::start(&activity);
            let answer = handler(request, remote);
            async move {
                let response = answer.await;
                drop(busy);
                Ok::<_, Infallible>(response)
            }
        })
    };
    // A client may shut its side down once the request is sent and wait for the answer:
    // without half-close support that request would be dropped unanswered.
    let conn = hyper::server::conn::http1::Builder::new()
        .half_close(true)
        .serve_connection(io, service);
    tokio::pin!(conn);
    let mut stop_asked = false;
    loop {
        tokio::select! {
            done = conn.as_mut() => {
                // A request hyper could not read as HTTP (broken framing) was answered 400
                // there, before it became a request: say so, as for any refused request.
                if let Err(error) = done {
                    if error.is_parse() || error.is_parse_too_large() {
                        malformed(remote, error.to_string());
                    }
                }
                return;
            }
            () = expiry(&activity, &limits) => {
                tally.timed_out.fetch_add(1, Ordering::Relaxed);
                return;
            }
            _ = stopping.changed(), if !stop_asked => {
                // Nothing in flight (idle, or headers still arriving): nothing to finish.
                if activity.deadline(&limits).is_some() {
                    return;
                }
                stop_asked = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Resolves when the connection has been silent too long.
async fn expiry(activity: &Activity, limits: &Limits) {
    loop {
        match activity.deadline(limits) {
            Some(deadline) if deadline <= Instant::now() => return,
            Some(deadline) => tokio::time::sleep_until(deadline).await,
            // A request is being handled: look again later.
            None => tokio::time::sleep(limits.header_timeout.min(limits.idle_timeout)).await,
        }
    }
}

/// Where a connection stands, for its watchdog.
struct Activity(Mutex<Phase>);

#[derive(Debug, Clone, Copy)]
struct Phase {
    /// Requests being handled.
    in_flight: usize,
    /// Waiting for a request's headers (new connection, or bytes of a request arrived);
    /// otherwise idle between requests.
    heading: bool,
    /// When the current phase began.
    since: Instant,
}

impl Activity {
    fn new() -> Self {
        Activity(Mutex::new(Phase {
            in_flight: 0,
            heading: true,
            since: Instant::now(),
        }))
    }

    fn update(&self, change: impl FnOnce(&mut Phase)) {
        if let Ok(mut phase) = self.0.lock() {
            change(&mut phase);
        }
    }

    /// Bytes arrived: on an idle connection, a request has started.
    fn received(&self) {
        self.update(|phase| {
            if phase.in_flight == 0 && !phase.heading {
                phase.heading = true;
                phase.since = Instant::now();
            }
        });
    }

    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        let phase = *self.0.lock().ok()?;
        if phase.in_flight > 0 {
            None
        } else if phase.heading {
            Some(phase.since + limits.header_timeout)
        } else {
            Some(phase.since + limits.idle_timeout)
        }
    }
}

/// A request being handled; the connection is idle again when the last one is dropped.
struct Busy(Arc<Activity>);

impl Busy {
    fn start(activity: &Arc<Activity>) -> Busy {
        activity.update(|phase| {
            phase.in_flight += 1;
            phase.heading = false;
        });
        Busy(Arc::clone(activity))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.update(|phase| {
            phase.in_flight -= 1;
            if phase.in_flight == 0 {
                phase.heading = false;
                phase.since = Instant::now();
            }
        });
    }
}

/// A TCP stream that tells its [`Activity`] when bytes arrive.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.received();
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(2),
            idle_timeout: Duration::from_secs(7),
            max_connections: 4,
            grace: Duration::from_secs(1),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_watchdog_follows_the_phases_of_a_connection() {
        let activity = Arc::new(Activity::new());
        let start = Instant::now();
        let limits = limits();
        assert_eq!(
            activity.deadline(&limits),
            Some(start + limits.header_timeout)
        );
        let busy = Busy::start(&activity);
        assert_eq!(activity.deadline(&limits), None, "a request in flight");
        tokio::time::advance(Duration::from_secs(30)).await;
        activity.received();
        assert_eq!(activity.deadline(&limits), None, "body bytes");
        drop(busy);
        let idle = Instant::now();
        assert_eq!(activity.deadline(&limits), Some(idle + limits.idle_timeout));
        tokio::time::advance(Duration::from_secs(3)).await;
        activity.received();
        assert_eq!(
            activity.deadline(&limits),
            Some(Instant::now() + limits.header_timeout),
            "the next request's headers"
        );
    }
}

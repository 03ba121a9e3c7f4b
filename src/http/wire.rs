//! What `listen`, `send` and `test-handler` share on the wire: TLS set-up, the HTTP client, how
//! bodies and errors are shown on one line; what a handler answered.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::Serialize;

use crate::judge::report::Record;

/// rustls needs one process-wide crypto provider; a second install is harmless.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The client payloads are posted with: each request, answer included, must be done within
/// `timeout`.
pub fn client(timeout: Duration) -> Result<reqwest::Client> {
    install_crypto();
    reqwest::Client::builder()
        .timeout(timeout)
        // A handler's 3xx is its answer: following it would send a body-less GET, with the
        // user's headers, somewhere else, and report that as the handler's verdict.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("building the HTTP client")
}

/// Why a request got no answer, in one word: `timeout`, `unreachable` or `failed`.
pub fn failure_kind(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "unreachable"
    } else {
        "failed"
    }
}

/// How a handler answered one POST.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Its status, or `None` when the request failed.
    pub status: Option<u16>,
    pub latency: Duration,
    /// The start of its body, or the error and its causes.
    pub body: String,
    /// [`failure_kind`] when the request failed.
    pub error: Option<&'static str>,
}

/// POSTs `body` as VCS does (`Content-Type: application/json`) and waits for the whole answer.
pub async fn post(
    client: &reqwest::Client,
    url: &reqwest::Url,
    headers: &HeaderMap,
    body: Vec<u8>,
) -> Reply {
    let started = Instant::now();
    let result = client
        .post(url.clone())
        .headers(headers.clone())
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .body(body)
        .send()
        .await;
    let answered = match result {
        Ok(response) => {
            let status = response.status();
            // Capped: a handler streaming an endless answer must not fill the memory.
            read_answer(response)
                .await
                .map(|(bytes, _)| (status, bytes))
        }
        Err(error) => Err(error),
    };
    let latency = started.elapsed();
    match answered {
        Ok((status, bytes)) => Reply {
            status: Some(status.as_u16()),
            latency,
            body: body_start(&bytes),
            error: None,
        },
        // Without the URL, which may carry a token.
        Err(error) => Reply {
            status: None,
            latency,
            error: Some(failure_kind(&error)),
            body: error_chain(&error.without_url()),
        },
    }
}

/// How much of a handler's answer is kept: the start of anything a handler should say.
pub const ANSWER_CAP: usize = 64 * 1024;

/// The answer's body, up to [`ANSWER_CAP`] bytes, and whether there was more.
pub async fn read_answer(mut response: reqwest::Response) -> reqwest::Result<(Vec<u8>, bool)> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = ANSWER_CAP - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// The URL without its query and its user-info, which may hold a token or a password: each
/// shown as `…` where it was.
pub fn redacted(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    let query = shown.query().is_some();
    let user = !shown.username().is_empty() || shown.password().is_some();
    shown.set_query(None);
    shown.set_fragment(None);
    // Only a URL that cannot have a user-info refuses these, and then it has none.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    let mut text = shown.to_string();
    if user {
        let after_scheme = text.find("://").map_or(0, |at| at + 3);
        text.insert_str(after_scheme, "…@");
    }
    if query {
        text.push_str("?…");
    }
    text
}

/// `localhost`, a name under `.localhost`, 127.0.0.0/8 or `[::1]`, with or without a port.
pub fn loopback_host(host: &str) -> bool {
    let Ok(authority) = host.trim().parse::<axum::http::uri::Authority>() else {
        return false;
    };
    if authority.as_str().contains('@') {
        return false;
    }
    let name = authority.host().to_ascii_lowercase();
    let name = name.strip_suffix('.').unwrap_or(&name);
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    let ip = name.trim_start_matches('[').trim_end_matches(']');
    ip.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// A URL that may not parse, as a message may show it: anything before the last `@` (where a
/// user-info would be, whatever characters a password holds) and anything from the first `?`
/// or `#` after it hidden, found by their punctuation alone.
pub fn unparsed_redacted(text: &str) -> String {
    let start = text
        .find("://")
        .map(|at| at + 3)
        .or_else(|| text.starts_with("//").then_some(2))
        .unwrap_or(0);
    let (scheme, rest) = text.split_at(start);
    let rest = match rest.rfind('@') {
        Some(at) => format!("…@{}", &rest[at + 1..]),
        None => rest.to_string(),
    };
    match rest.split_once(['?', '#']) {
        Some((before, _)) => format!("{scheme}{before}?…"),
        None => format!("{scheme}{rest}"),
    }
}

/// The first line of a body, shortened: what fits on a log line.
pub fn body_start(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() > 60 {
        format!("{}…", line.chars().take(59).collect::<String>())
    } else {
        line.to_string()
    }
}

/// A body on one line for a log line: JSON compacted, other text with its white space runs
/// folded, cut at `width` characters with `…`.
pub fn one_line(text: &str, width: usize) -> String {
    let folded = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => value.to_string(),
        Err(_) => text.split_whitespace().collect::<Vec<_>>().join(" "),
    };
    if folded.chars().count() > width {
        let mut cut: String = folded.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        folded
    }
}

/// An error and its causes, on one line.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What the real handler answered.
#[derive(Debug, Clone, Serialize)]
pub struct Forwarded {
    /// Its status, or null when it could not be reached in time.
    pub status: Option<u16>,
    pub latency_ms: f64,
    /// The start of its body, or why there is none.
    pub body: String,
    /// `unreachable` or `timeout` when the handler did not answer.
    pub error: Option<String>,
}

/// What happened to one payload.
#[derive(Debug, Serialize)]
pub struct Outcome {
    #[serde(flatten)]
    pub record: Record,
    /// Whether it was sent (invalid ones are not, with `--skip-invalid`).
    pub sent: bool,
    /// The handler's status, or null when it did not answer.
    pub status: Option<u16>,
    pub latency_ms: Option<f64>,
    /// The handler's answer (up to a cap), or why there is none.
    pub response: Option<String>,
    /// The answer was longer than the cap and is cut.
    pub response_truncated: bool,
    /// `unreachable`, `timeout` or `failed` when the request did not complete.
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_shown_on_one_line() {
        assert_eq!(
            one_line("{\n  \"ok\": true,\n  \"id\": 7\n}\n", 80),
            r#"{"ok":true,"id":7}"#
        );
        assert_eq!(
            one_line("<html>\n  <body>fail</body>\n</html>", 80),
            "<html> <body>fail</body> </html>"
        );
        assert_eq!(one_line(&"x".repeat(100), 10).chars().count(), 10);
    }

    #[test]
    fn shown_urls_hide_the_query_and_the_user_info() {
        let shown = |url: &str| redacted(&reqwest::Url::parse(url).unwrap());
        assert_eq!(shown("http://h:9/hook?token=s3"), "http://h:9/hook?…");
        assert_eq!(shown("http://me:s3@h/hook"), "http://…@h/hook");
        assert_eq!(shown("https://s3@h/"), "https://…@h/");
        assert_eq!(shown("http://h/hook"), "http://h/hook");
    }

    #[test]
    fn body_starts_are_one_short_line() {
        assert_eq!(body_start(b"ok\nmore"), "ok");
        assert_eq!(body_start("x".repeat(100).as_bytes()).chars().count(), 60);
    }
}

//! What `listen` and `send` share on the wire: TLS set-up and how bodies and errors are shown
//! on one line; what a handler answered.

use serde::Serialize;

use crate::judge::report::Record;

/// rustls needs one process-wide crypto provider; a second install is harmless.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
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
    /// The start of the handler's body, or why there is none.
    pub response: Option<String>,
    /// `unreachable`, `timeout` or `failed` when the request did not complete.
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_starts_are_one_short_line() {
        assert_eq!(body_start(b"ok\nmore"), "ok");
        assert_eq!(body_start("x".repeat(100).as_bytes()).chars().count(), 60);
    }
}

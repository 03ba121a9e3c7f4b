//! `listen --forward-to`: the body as received goes to the real handler, and the handler's
//! answer goes back to VCS as the handler gave it. Redirects are not followed (a 3xx goes back
//! as it is), the answer is read up to a cap, and every forwarded request carries a header
//! naming this listener, so a request that comes back to it (a loop) is refused.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::http::wire::{Forwarded, body_start, error_chain};

/// The header that lists the listeners a request passed through, each by its instance id.
pub(crate) const VIA: &str = "jerahook-forwarded-by";

/// Hop-by-hop headers, which belong to one connection and are not passed on, and the framing
/// headers the HTTP library sets itself.
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

/// Sends payloads on to one handler.
pub(crate) struct Forwarder {
    client: reqwest::Client,
    url: reqwest::Url,
    /// This listener's id in the [`VIA`] header.
    instance: String,
    /// Larger handler answers are not passed on: 502.
    max_answer: usize,
}

impl Forwarder {
    pub(crate) fn new(
        url: reqwest::Url,
        timeout: Duration,
        max_answer: usize,
        instance: String,
    ) -> Result<Forwarder> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("building the forwarding client")?;
        Ok(Forwarder {
            client,
            url,
            instance,
            max_answer,
        })
    }

    /// Sends the body as received; returns the answer for VCS and what the handler did.
    pub(crate) async fn forward(
        &self,
        method: &Method,
        headers: &HeaderMap,
        body: Bytes,
    ) -> (Response, Forwarded) {
        let mut outgoing = end_to_end(headers);
        let via = match headers.get(VIA).and_then(|value| value.to_str().ok()) {
            Some(earlier) => format!("{earlier}, {}", self.instance),
            None => self.instance.clone(),
        };
        if let Ok(value) = HeaderValue::from_str(&via) {
            outgoing.insert(HeaderName::from_static(VIA), value);
        }
        let started = Instant::now();
        let answered = self.exchange(method, outgoing, body).await;
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        match answered {
            // A protocol switch nobody asked for, or an interim answer as the final one:
            // neither can be passed on as an answer to this POST (nginx answers 502 too).
            Ok(Answer::Whole(status, _, _)) if status.is_informational() => {
                let outcome = Forwarded {
                    status: Some(status.as_u16()),
                    latency_ms,
                    body: format!(
                        "the handler answered {status}, which is no answer to a POST; not passed on"
                    ),
                    error: Some("bad answer".into()),
                };
                (
                    failure(StatusCode::BAD_GATEWAY, "bad handler answer"),
                    outcome,
                )
            }
            Ok(Answer::Whole(status, headers, bytes)) => {
                let outcome = Forwarded {
                    status: Some(status.as_u16()),
                    latency_ms,
                    body: body_start(&bytes),
                    error: None,
                };
                // These statuses have no body (RFC 9110): whatever the handler sent is dropped.
                let bytes = if bodiless(status) {
                    Bytes::new()
                } else {
                    bytes
                };
                let mut response = (status, bytes).into_response();
                // The handler's headers as they are: no type of our own where it gave none.
                response.headers_mut().remove(header::CONTENT_TYPE);
                response.headers_mut().extend(end_to_end(&headers));
                if bodiless(status) {
                    response.headers_mut().remove(header::CONTENT_TYPE);
                }
                (response, outcome)
            }
            Ok(Answer::TooLarge(status)) => {
                let outcome = Forwarded {
                    status: None,
                    latency_ms,
                    body: format!(
                        "the handler answered {} with more than --max-handler-answer ({} bytes); not passed on",
                        status.as_u16(),
                        self.max_answer
                    ),
                    error: Some("answer too large".into()),
                };
                (
                    failure(
                        StatusCode::BAD_GATEWAY,
                        "handler answer too large (over --max-handler-answer)",
                    ),
                    outcome,
                )
            }
            Err(error) => {
                let (status, kind, reason) = if error.is_timeout() {
                    (StatusCode::GATEWAY_TIMEOUT, "timeout", "handler timed out")
                } else {
                    (
                        StatusCode::BAD_GATEWAY,
                        "unreachable",
                        "handler unreachable",
                    )
                };
                // The URL may carry a secret: the printed line and the page get the causes
                // without it, the poster only the kind.
                let outcome = Forwarded {
                    status: None,
                    latency_ms,
                    body: format!("handler {kind}: {}", error_chain(&error.without_url())),
                    error: Some(kind.into()),
                };
                (failure(status, reason), outcome)
            }
        }
    }

    /// One request and its answer, read up to the cap.
    async fn exchange(
        &self,
        method: &Method,
        headers: HeaderMap,
        body: Bytes,
    ) -> reqwest::Result<Answer> {
        let mut response = self
            .client
            .request(method.clone(), self.url.clone())
            .headers(headers)
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let headers = response.headers().clone();
        let limit = self.max_answer;
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Ok(Answer::TooLarge(status));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if bytes.len() + chunk.len() > limit {
                return Ok(Answer::TooLarge(status));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Answer::Whole(status, headers, Bytes::from(bytes)))
    }
}

/// What the handler sent back.
enum Answer {
    Whole(StatusCode, HeaderMap, Bytes),
    /// More than the cap: the status only.
    TooLarge(StatusCode),
}

/// Whether a request has already passed through the listener with this `instance` id.
pub(crate) fn is_loop(headers: &HeaderMap, instance: &str) -> bool {
    headers
        .get_all(VIA)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|id| id.trim() == instance)
}

/// The headers that describe the message itself, not the connection it came on: neither the
/// hop-by-hop ones nor those the `Connection` header names as belonging to this hop.
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    let mut kept = HeaderMap::new();
    for (name, value) in headers {
        if !HOP_BY_HOP.contains(&name.as_str()) && !named.iter().any(|n| n == name.as_str()) {
            kept.append(name.clone(), value.clone());
        }
    }
    kept
}

/// Statuses whose answers carry no body.
fn bodiless(status: StatusCode) -> bool {
    matches!(status.as_u16(), 204 | 205 | 304)
}

/// An answer of the listener's own; `reason` is fixed text, never the handler's URL.
fn failure(status: StatusCode, reason: &str) -> Response {
    let mut response = (status, json!({ "error": reason }).to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_the_connection_header_names_stay_on_this_hop() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("X-Hop, keep-alive"),
        );
        headers.insert("x-hop", HeaderValue::from_static("1"));
        headers.insert("x-end", HeaderValue::from_static("2"));
        let kept = end_to_end(&headers);
        assert!(kept.get("x-hop").is_none() && kept.get(header::CONNECTION).is_none());
        assert_eq!(kept.get("x-end").unwrap(), "2");
    }

    #[test]
    fn a_loop_is_our_own_id_among_the_listeners_passed() {
        let mut headers = HeaderMap::new();
        assert!(!is_loop(&headers, "a1"));
        headers.insert(VIA, HeaderValue::from_static("b2"));
        assert!(!is_loop(&headers, "a1"), "another listener: a chain");
        headers.insert(VIA, HeaderValue::from_static("b2, a1"));
        assert!(is_loop(&headers, "a1"));
        assert!(!is_loop(&headers, "a"));
    }

    #[test]
    fn connection_headers_are_not_passed_on() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("a/b"));
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("5"));
        headers.insert(header::LOCATION, HeaderValue::from_static("/x"));
        let kept = end_to_end(&headers);
        assert_eq!(kept.len(), 2);
        assert!(kept.contains_key(header::LOCATION));
    }
}

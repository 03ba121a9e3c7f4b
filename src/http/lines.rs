//! The lines `listen` and `send` print: the banner, one line per payload, and the summaries.
//! Built on the output stage's style, marks and counts.

use std::io::{self, Write};

use crate::http::latency;
use crate::http::wire::{Forwarded, Outcome, one_line};
use crate::judge::report::Record;
use crate::output::render::{Style, counts, issues, mark};

/// Where `listen` listens and what to put in the handler's task field.
pub fn listen_banner(
    out: &mut impl Write,
    addr: std::net::SocketAddr,
    path: &str,
    forward_to: Option<&reqwest::Url>,
    style: Style,
) -> io::Result<()> {
    writeln!(
        out,
        "{} listening on http://{addr}{path}",
        style.strong("jerahook:")
    )?;
    let host = if addr.ip().is_unspecified() {
        "<this machine's address>".to_string()
    } else {
        addr.ip().to_string()
    };
    writeln!(
        out,
        "  in VCS, set the handler's task (URL) to {host}:{}{path} (reachable from the billing server)",
        addr.port()
    )?;
    if let Some(url) = forward_to {
        writeln!(out, "  forwarding every payload to {url}")?;
    }
    writeln!(out, "  Ctrl-C stops and prints a summary")
}

/// One payload `listen` received: time, mark, event, object, reply, and the handler's answer.
pub fn listen_line(
    out: &mut impl Write,
    record: &Record,
    received: std::time::Duration,
    status: axum::http::StatusCode,
    forwarded: Option<&Forwarded>,
    style: Style,
) -> io::Result<()> {
    let mark = mark(record.valid, style);
    let mut line = format!(
        "{} {mark} {}",
        style.dim(&crate::catalog::datetime::format_clock(received)),
        style.strong(record.event.as_deref().unwrap_or("(no event id)"))
    );
    if let Some(object_id) = &record.object_id {
        line.push_str(&format!("  {}", crate::output::inspect::plain(object_id)));
    }
    line.push_str(&format!("  → {}", status.as_u16()));
    if let Some(forwarded) = forwarded {
        let latency = std::time::Duration::from_secs_f64(forwarded.latency_ms / 1000.0);
        let answer = match (forwarded.status, &forwarded.error) {
            (Some(status), _) => format!("handler {status} in {}", latency::format(latency)),
            (None, Some(kind)) => style.bad(&format!(
                "handler {kind} after {}",
                latency::format(latency)
            )),
            (None, None) => "handler ?".into(),
        };
        line.push_str(&format!("  {answer}  {}", style.dim(&forwarded.body)));
    }
    writeln!(out, "{line}")?;
    issues(out, record, style, "    ")
}

/// What `listen` saw, printed when it stops.
pub struct ListenSummary<'a> {
    pub by_event: &'a std::collections::BTreeMap<String, usize>,
    pub invalid: usize,
    pub rejected: usize,
    pub unauthorized: usize,
    pub forward_failures: usize,
    pub p50: Option<std::time::Duration>,
    pub p99: Option<std::time::Duration>,
}

/// `listen`'s closing summary.
pub fn listen_summary(
    out: &mut impl Write,
    summary: &ListenSummary<'_>,
    style: Style,
) -> io::Result<()> {
    let payloads: usize = summary.by_event.values().sum();
    writeln!(
        out,
        "{} {payloads} payload{} received, {} invalid, {} rejected, {} unauthorized, {} forward failure{}",
        style.strong("jerahook:"),
        if payloads == 1 { "" } else { "s" },
        summary.invalid,
        summary.rejected,
        summary.unauthorized,
        summary.forward_failures,
        if summary.forward_failures == 1 {
            ""
        } else {
            "s"
        },
    )?;
    if let (Some(p50), Some(p99)) = (summary.p50, summary.p99) {
        writeln!(
            out,
            "  latency p50 {}, p99 {}",
            latency::format(p50),
            latency::format(p99)
        )?;
    }
    counts(out, summary.by_event)
}

/// One payload `send` handled: mark, event, object, the handler's status, latency and answer.
pub fn send_line(out: &mut impl Write, outcome: &Outcome, style: Style) -> io::Result<()> {
    let record = &outcome.record;
    let mark = mark(record.valid, style);
    let mut line = format!(
        "{mark} {}  {}",
        style.dim(&format!("{}:{}", record.source, record.line)),
        style.strong(record.event.as_deref().unwrap_or("(no event id)"))
    );
    if let Some(object_id) = &record.object_id {
        line.push_str(&format!("  {}", crate::output::inspect::plain(object_id)));
    }
    let latency = outcome
        .latency_ms
        .map(|ms| latency::format(std::time::Duration::from_secs_f64(ms / 1000.0)))
        .unwrap_or_default();
    let response = one_line(
        outcome.response.as_deref().unwrap_or_default(),
        ANSWER_WIDTH,
    );
    let response = response.as_str();
    match (outcome.sent, outcome.status, &outcome.error) {
        (false, _, _) => line.push_str(&format!("  {}", style.warn("not sent"))),
        (true, Some(status), _) if (200..300).contains(&status) => {
            line.push_str(&format!(
                "  → {} {latency}  {}",
                style.ok(&status.to_string()),
                style.dim(response)
            ));
        }
        (true, Some(status), _) => {
            line.push_str(&format!(
                "  → {} {latency}  {}",
                style.bad(&status.to_string()),
                style.dim(response)
            ));
        }
        (true, None, error) => {
            let kind = error.as_deref().unwrap_or("failed");
            line.push_str(&format!(
                "  → {} {latency}  {}",
                style.bad(kind),
                style.dim(response)
            ));
        }
    }
    writeln!(out, "{line}")?;
    issues(out, record, style, "    ")
}

/// How much of a handler's answer a `send` line shows.
const ANSWER_WIDTH: usize = 80;

/// What `send` saw, printed at the end.
pub struct SendSummary<'a> {
    pub statuses: &'a std::collections::BTreeMap<String, usize>,
    pub failures: usize,
    pub skipped: usize,
    pub p50: Option<std::time::Duration>,
    pub p95: Option<std::time::Duration>,
    pub max: Option<std::time::Duration>,
}

/// `send`'s closing summary: statuses by code, latencies, failures.
pub fn send_summary(
    out: &mut impl Write,
    summary: &SendSummary<'_>,
    style: Style,
) -> io::Result<()> {
    let sent: usize = summary.statuses.values().sum::<usize>() + summary.failures;
    let statuses: Vec<String> = summary
        .statuses
        .iter()
        .map(|(status, count)| format!("{count} × {status}"))
        .collect();
    let mut line = format!(
        "{} {sent} sent: {}",
        style.strong("jerahook:"),
        if statuses.is_empty() {
            "no answer".into()
        } else {
            statuses.join(", ")
        }
    );
    if summary.failures > 0 {
        line.push_str(&style.bad(&format!(", {} failed", summary.failures)));
    }
    if summary.skipped > 0 {
        line.push_str(&format!(", {} not sent", summary.skipped));
    }
    writeln!(out, "{line}")?;
    if let (Some(p50), Some(p95), Some(max)) = (summary.p50, summary.p95, summary.max) {
        writeln!(
            out,
            "  latency p50 {}, p95 {}, max {}",
            latency::format(p50),
            latency::format(p95),
            latency::format(max)
        )?;
    }
    Ok(())
}

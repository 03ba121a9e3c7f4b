//! The lines `listen` and `send` print: the banner, one line per payload, and the summaries.
//! Built on the output stage's style, marks and counts.

use std::io::{self, Write};

use crate::http::latency;
use crate::http::wire::{Forwarded, Outcome, one_line};
use crate::judge::report::Record;
use crate::output::escape::printable as p;
use crate::output::render::{Style, counts, issues, mark, record_head};

/// Where `listen` listens and the exact URL to put in the handler's task field.
pub fn listen_banner(
    out: &mut impl Write,
    addr: std::net::SocketAddr,
    path: &str,
    token: Option<&str>,
    forward_to: Option<&reqwest::Url>,
    style: Style,
) -> io::Result<()> {
    writeln!(
        out,
        "{} listening on http://{addr}{path}",
        style.strong("jerahook:")
    )?;
    let query = token
        .map(|token| {
            let encoded: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
            format!("?token={encoded}")
        })
        .unwrap_or_default();
    let ip = addr.ip();
    let host = match ip {
        _ if ip.is_unspecified() => "<this machine's address>".to_string(),
        std::net::IpAddr::V4(ip) => ip.to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
    };
    writeln!(
        out,
        "  in VCS, set the handler's task (URL) to http://{host}:{}{path}{query}",
        addr.port()
    )?;
    if ip.is_loopback() {
        writeln!(
            out,
            "  only this machine can reach {ip}; to take payloads from the billing server, listen on all interfaces: --addr 0.0.0.0:{}",
            addr.port()
        )?;
    }
    if let Some(url) = forward_to {
        writeln!(
            out,
            "  forwarding every payload to {}",
            crate::http::wire::redacted(url)
        )?;
    }
    writeln!(out, "  Ctrl-C stops and prints a summary")
}

/// One payload `listen` received: local time, mark, event, object, reply, and the handler's
/// answer.
pub fn listen_line(
    out: &mut impl Write,
    record: &Record,
    clock: &str,
    status: axum::http::StatusCode,
    forwarded: Option<&Forwarded>,
    style: Style,
) -> io::Result<()> {
    let mark = mark(record.valid, style);
    let mut line = format!(
        "{} {mark} {}",
        style.dim(clock),
        style.strong(&p(record.event_label()))
    );
    if let Some(object_id) = &record.object_id {
        line.push_str(&format!(
            "  {}",
            p(&crate::output::inspect::plain(object_id))
        ));
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
        line.push_str(&format!("  {answer}  {}", style.dim(&p(&forwarded.body))));
    }
    writeln!(out, "{line}")?;
    issues(out, record, style, "    ")
}

/// A request `listen` refused, as it came: who, what, the answer and why.
pub struct Refused<'a> {
    pub clock: &'a str,
    pub remote: std::net::SocketAddr,
    pub method: &'a str,
    /// The request target with any token value hidden.
    pub target: &'a str,
    pub status: u16,
    pub message: &'a str,
}

/// One refused request on one line.
pub fn listen_refused(out: &mut impl Write, refused: &Refused<'_>, style: Style) -> io::Result<()> {
    writeln!(
        out,
        "{} {} {} {} {}  → {}  {}",
        style.dim(refused.clock),
        style.bad("refused"),
        refused.remote,
        p(refused.method),
        p(refused.target),
        style.bad(&refused.status.to_string()),
        p(refused.message)
    )
}

/// What `listen` saw, printed when it stops.
pub struct ListenSummary<'a> {
    pub by_event: &'a std::collections::BTreeMap<String, usize>,
    pub invalid: usize,
    /// Payloads answered 422 (`--reject-invalid`).
    pub rejected: usize,
    /// Refused requests by reason, `("unauthorized", 401, count)`, in a stable order.
    pub refused: &'a [(&'a str, u16, usize)],
    pub forward_failures: usize,
    /// Payloads answered 500 because the save file could not be written.
    pub save_failures: usize,
    /// Connections closed for silence, refused over the cap, cut off at the stop.
    pub connections: (usize, usize, usize),
    /// Printed entries (a payload with its errors, a refused request) not shown, of all.
    pub not_shown: (usize, usize),
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
    let refused: usize = summary.refused.iter().map(|(_, _, count)| count).sum();
    let mut line = format!(
        "{} {payloads} payload{} received, {} invalid, {} rejected, {refused} request{} refused, {} forward failure{}",
        style.strong("jerahook:"),
        plural(payloads),
        summary.invalid,
        summary.rejected,
        plural(refused),
        summary.forward_failures,
        plural(summary.forward_failures),
    );
    if summary.save_failures > 0 {
        line.push_str(&style.bad(&format!(", {} not saved", summary.save_failures)));
    }
    writeln!(out, "{line}")?;
    if refused > 0 {
        let reasons: Vec<String> = summary
            .refused
            .iter()
            .filter(|(_, _, count)| *count > 0)
            .map(|(reason, status, count)| format!("{count} {reason} ({status})"))
            .collect();
        writeln!(out, "  refused: {}", reasons.join(", "))?;
    }
    let (timed_out, over_cap, cut_off) = summary.connections;
    if timed_out + over_cap + cut_off > 0 {
        writeln!(
            out,
            "  connections: {timed_out} closed silent, {over_cap} refused over --max-connections, {cut_off} cut off at the stop"
        )?;
    }
    let (not_shown, entries) = summary.not_shown;
    if not_shown > 0 {
        writeln!(
            out,
            "  {} of {entries} output entries not shown: standard output was closed or too slow",
            style.warn(&not_shown.to_string())
        )?;
    }
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

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// One payload `send` handled: mark, event, object, the handler's status, latency and answer.
pub fn send_line(out: &mut impl Write, outcome: &Outcome, style: Style) -> io::Result<()> {
    let record = &outcome.record;
    let mut line = record_head(record, style);
    let latency = outcome
        .latency_ms
        .map(|ms| latency::format(std::time::Duration::from_secs_f64(ms / 1000.0)))
        .unwrap_or_default();
    let response = one_line(
        outcome.response.as_deref().unwrap_or_default(),
        ANSWER_WIDTH,
    );
    let response = p(&response);
    let response = response.as_ref();
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
    /// Inputs that held no payload at all.
    pub empty: usize,
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
    match summary.empty {
        0 => {}
        1 => line.push_str(&style.bad(", 1 input held no payload")),
        n => line.push_str(&style.bad(&format!(", {n} inputs held no payload"))),
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

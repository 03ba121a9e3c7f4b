//! `test-handler`'s verdicts and how they read: a line per case, a JSON record per case, a
//! JUnit report, and the summary that says which variant a handler fails. No I/O but the
//! writer given.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

use serde::Serialize;

use crate::catalog::cases::{Case, Variant};
use crate::http::latency::{self, Latencies};
use crate::http::wire::Reply;
use crate::output::escape::printable;
use crate::output::junit;
use crate::output::render::{Style, mark};

/// One request of a case, as the JSON record shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Request {
    /// The handler's status, or null when it did not answer.
    pub status: Option<u16>,
    pub latency_ms: f64,
    /// The start of the answer, or the connection error.
    pub answer: String,
    /// `timeout`, `unreachable` or `failed` when there was no answer.
    pub error: Option<&'static str>,
}

impl Request {
    fn passed(&self) -> bool {
        self.status
            .is_some_and(|status| (200..300).contains(&status))
    }

    fn latency(&self) -> Duration {
        Duration::from_secs_f64(self.latency_ms / 1000.0)
    }

    /// `200`, or `timeout`.
    fn outcome(&self) -> String {
        match (self.status, self.error) {
            (Some(status), _) => status.to_string(),
            (None, Some(kind)) => kind.to_string(),
            (None, None) => "failed".to_string(),
        }
    }
}

impl From<Reply> for Request {
    fn from(reply: Reply) -> Self {
        Request {
            status: reply.status,
            latency_ms: reply.latency.as_secs_f64() * 1000.0,
            answer: reply.body,
            error: reply.error,
        }
    }
}

/// The verdict on one case.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// `EVENT/VARIANT`.
    pub case: String,
    pub event: &'static str,
    #[serde(serialize_with = "variant_name")]
    pub variant: Variant,
    /// Every request got a 2xx within the timeout.
    pub passed: bool,
    pub requests: Vec<Request>,
    /// From the first request sent to the last answer.
    #[serde(skip)]
    pub elapsed: Duration,
}

impl Verdict {
    /// Judges `case` by the replies to its requests, in the order its payloads were sent.
    pub fn new(case: &Case, replies: Vec<Reply>, elapsed: Duration) -> Verdict {
        let requests: Vec<Request> = replies.into_iter().map(Request::from).collect();
        Verdict {
            case: case.name(),
            event: case.event.id,
            variant: case.variant,
            passed: !requests.is_empty() && requests.iter().all(Request::passed),
            requests,
            elapsed,
        }
    }

    /// No request reached the handler at all.
    pub fn unreachable(&self) -> bool {
        self.requests
            .iter()
            .all(|request| request.error == Some("unreachable"))
    }

    /// The request to show: the first that failed, else the first.
    fn shown(&self) -> Option<(usize, &Request)> {
        self.requests
            .iter()
            .enumerate()
            .find(|(_, request)| !request.passed())
            .or_else(|| self.requests.first().map(|request| (0, request)))
    }

    /// The statuses: `200`, `200 409` for two requests, `7×200 1×timeout` for more.
    fn outcomes(&self) -> String {
        if self.requests.len() <= 2 {
            let all: Vec<String> = self.requests.iter().map(Request::outcome).collect();
            return all.join(" ");
        }
        let mut groups: Vec<(String, usize)> = Vec::new();
        for request in &self.requests {
            let outcome = request.outcome();
            match groups.iter_mut().find(|(seen, _)| *seen == outcome) {
                Some((_, count)) => *count += 1,
                None => groups.push((outcome, 1)),
            }
        }
        let groups: Vec<String> = groups
            .iter()
            .map(|(outcome, count)| format!("{count}×{outcome}"))
            .collect();
        groups.join(" ")
    }

    /// The slowest request's latency.
    fn latency(&self) -> Duration {
        self.requests
            .iter()
            .map(Request::latency)
            .max()
            .unwrap_or_default()
    }

    /// The slowest answer's latency: requests that got none (a timeout) are not answers.
    fn slowest_answer(&self) -> Option<Duration> {
        self.requests
            .iter()
            .filter(|request| request.status.is_some())
            .map(Request::latency)
            .max()
    }

    /// The start of the answer shown, naming the request when the case sent several.
    fn answer(&self) -> String {
        match self.shown() {
            Some((index, request)) if !self.passed && self.requests.len() > 1 => {
                format!(
                    "request {} of {}: {}",
                    index + 1,
                    self.requests.len(),
                    request.answer
                )
            }
            Some((_, request)) => request.answer.clone(),
            None => String::new(),
        }
    }
}

/// `✓ clients.create/documented  200  1.2ms  {"event":...`, the name padded to `width`.
pub fn line(out: &mut impl Write, verdict: &Verdict, width: usize, style: Style) -> io::Result<()> {
    let outcomes = format!("{:<9}", verdict.outcomes());
    let outcomes = if verdict.passed {
        style.ok(&outcomes)
    } else {
        style.bad(&outcomes)
    };
    writeln!(
        out,
        "{} {:<width$}  {outcomes} {:>7}  {}",
        mark(verdict.passed, style),
        verdict.case,
        latency::format(verdict.latency()),
        style.dim(&printable(&verdict.answer()))
    )
}

/// A failed case as a GitHub Actions error annotation (a passed one says nothing).
pub fn github(out: &mut impl Write, verdict: &Verdict) -> io::Result<()> {
    if verdict.passed {
        return Ok(());
    }
    let message = format!(
        "{} after {}: {}",
        verdict.outcomes(),
        latency::format(verdict.latency()),
        verdict.answer()
    );
    crate::output::github::command(out, "error", None, None, &verdict.case, &message)
}

/// One JSON record per case per line.
pub fn json(out: &mut impl Write, verdict: &Verdict) -> io::Result<()> {
    crate::output::escape::json_line(out, verdict)
}

/// The closing summary: cases passed and failed, requests and latencies, for every variant
/// that failed anywhere, for how many of the events it ran for (and which), and the cases whose
/// slowest answer took longer than `slow`.
pub fn summary(
    out: &mut impl Write,
    verdicts: &[Verdict],
    slow: Duration,
    style: Style,
) -> io::Result<()> {
    let failed = verdicts.iter().filter(|verdict| !verdict.passed).count();
    let mut latencies = Latencies::default();
    for request in verdicts.iter().flat_map(|verdict| &verdict.requests) {
        latencies.add(request.latency());
    }
    let requests: usize = verdicts.iter().map(|verdict| verdict.requests.len()).sum();
    let failed_text = format!("{failed} failed");
    let mut line = format!(
        "{} {} case{}: {} passed, {}; {requests} request{}",
        style.strong("jerahook:"),
        verdicts.len(),
        plural(verdicts.len()),
        verdicts.len() - failed,
        if failed > 0 {
            style.bad(&failed_text)
        } else {
            failed_text
        },
        plural(requests),
    );
    if let (Some(p50), Some(p95), Some(max)) = (
        latencies.percentile(50.0),
        latencies.percentile(95.0),
        latencies.max(),
    ) {
        line.push_str(&format!(
            ", latency p50 {}, p95 {}, max {}",
            latency::format(p50),
            latency::format(p95),
            latency::format(max)
        ));
    }
    writeln!(out, "{line}")?;
    let failing: Vec<(Variant, (usize, usize))> = by_variant(verdicts)
        .into_iter()
        .filter(|(_, (failed, _))| *failed > 0)
        .collect();
    let width = failing
        .iter()
        .map(|(variant, _)| variant.name().len())
        .max()
        .unwrap_or(0);
    for (variant, (failed, ran)) in failing {
        write!(
            out,
            "  {:<width$}  failed for {failed} of {ran} event{}",
            variant.name(),
            plural(ran)
        )?;
        // Where some events pass, the ones that fail are what to look at.
        if failed < ran {
            let events: Vec<&str> = verdicts
                .iter()
                .filter(|verdict| verdict.variant == variant && !verdict.passed)
                .map(|verdict| verdict.event)
                .collect();
            write!(out, ": {}", named(&events))?;
        }
        writeln!(out)?;
    }
    // A pass that took long may still be a Fail in VCS's log, if VCS gives up first.
    let slow_cases: Vec<String> = verdicts
        .iter()
        .filter_map(|verdict| {
            let answered = verdict
                .slowest_answer()
                .filter(|answered| *answered > slow)?;
            Some(format!("{} ({})", verdict.case, latency::format(answered)))
        })
        .collect();
    if !slow_cases.is_empty() {
        let names: Vec<&str> = slow_cases.iter().map(String::as_str).collect();
        writeln!(
            out,
            "  {} case{} answered slower than --slow {}: {}",
            slow_cases.len(),
            plural(slow_cases.len()),
            latency::format(slow),
            style.bad(&named(&names))
        )?;
    }
    Ok(())
}

/// Names as a list, the first [`NAMED`] of them, then how many more.
fn named(events: &[&str]) -> String {
    let mut text = events[..events.len().min(NAMED)].join(", ");
    if events.len() > NAMED {
        text.push_str(&format!(" and {} more", events.len() - NAMED));
    }
    text
}

/// Names listed at most in a line of the summary.
const NAMED: usize = 8;

/// Per variant: (cases failed, cases run), one case per event.
fn by_variant(verdicts: &[Verdict]) -> BTreeMap<Variant, (usize, usize)> {
    let mut counts: BTreeMap<Variant, (usize, usize)> = BTreeMap::new();
    for verdict in verdicts {
        let (failed, ran) = counts.entry(verdict.variant).or_default();
        *failed += usize::from(!verdict.passed);
        *ran += 1;
    }
    counts
}

fn variant_name<S: serde::Serializer>(variant: &Variant, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(variant.name())
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// The verdicts as JUnit test suites: one suite per event, one test case per case (named by
/// its variant, classname the event), in the order they ran.
pub fn junit_suites(verdicts: &[Verdict]) -> Vec<junit::Suite> {
    let mut suites: Vec<junit::Suite> = Vec::new();
    for verdict in verdicts {
        let failure = (!verdict.passed).then(|| junit::Failure {
            message: format!(
                "{} after {}: {}",
                verdict.outcomes(),
                latency::format(verdict.latency()),
                verdict.answer()
            ),
            text: verdict
                .requests
                .iter()
                .enumerate()
                .map(|(index, request)| {
                    format!(
                        "request {}: {} in {}: {}",
                        index + 1,
                        request.outcome(),
                        latency::format(request.latency()),
                        request.answer
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        });
        let case = junit::TestCase {
            name: verdict.variant.name().to_string(),
            classname: verdict.event.to_string(),
            time: verdict.elapsed,
            failure,
        };
        match suites.last_mut() {
            Some(suite) if suite.name == verdict.event => suite.cases.push(case),
            _ => suites.push(junit::Suite {
                name: verdict.event.to_string(),
                cases: vec![case],
            }),
        }
    }
    suites
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::cases::{self, Fresh};
    use crate::catalog::{EVENTS, Event};

    fn reply(status: Option<u16>, ms: u64, body: &str) -> Reply {
        Reply {
            status,
            latency: Duration::from_millis(ms),
            body: body.into(),
            error: status.is_none().then_some("timeout"),
        }
    }

    fn case(name: &str) -> Case {
        let events: Vec<&Event> = EVENTS.iter().collect();
        cases::generate(&events, &Fresh::at(Duration::from_secs(1_795_000_000), 8))
            .into_iter()
            .find(|case| case.name() == name)
            .unwrap()
    }

    fn text(f: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    const PLAIN: Style = Style { color: false };

    #[test]
    fn a_case_passes_only_when_every_request_got_a_2xx() {
        let again = case("clients.create/redelivery");
        let ok = Verdict::new(
            &again,
            vec![reply(Some(200), 1, "ok"), reply(Some(204), 1, "")],
            Duration::ZERO,
        );
        assert!(ok.passed);
        let conflict = Verdict::new(
            &again,
            vec![reply(Some(200), 1, "ok"), reply(Some(409), 3, "duplicate")],
            Duration::ZERO,
        );
        assert!(!conflict.passed);
        assert_eq!(
            text(|out| line(out, &conflict, 27, PLAIN)),
            "✗ clients.create/redelivery    200 409     3.0ms  request 2 of 2: duplicate\n"
        );
        let slow = Verdict::new(
            &case("clients.create/documented"),
            vec![reply(None, 100, "operation timed out")],
            Duration::ZERO,
        );
        assert!(!slow.passed && !slow.unreachable());
        assert_eq!(
            text(|out| line(out, &slow, 25, PLAIN)),
            "✗ clients.create/documented  timeout     100ms  operation timed out\n"
        );
    }

    #[test]
    fn bursts_count_their_outcomes() {
        let burst = case("clients.create/burst");
        let mut replies = vec![reply(Some(200), 2, "ok"); 7];
        replies.push(reply(Some(503), 9, "busy"));
        let verdict = Verdict::new(&burst, replies, Duration::ZERO);
        assert_eq!(verdict.outcomes(), "7×200 1×503");
        assert_eq!(verdict.answer(), "request 8 of 8: busy");
    }

    #[test]
    fn the_summary_names_the_variant_that_fails_and_for_how_many_events() {
        let mut verdicts = Vec::new();
        for event in ["clients.create", "clients.update"] {
            for variant in ["documented", "object-id-string"] {
                let status = if variant == "object-id-string" && event == "clients.create" {
                    500
                } else {
                    200
                };
                verdicts.push(Verdict::new(
                    &case(&format!("{event}/{variant}")),
                    vec![reply(Some(status), 2, "")],
                    Duration::ZERO,
                ));
            }
        }
        let strict = text(|out| summary(out, &verdicts, Duration::from_millis(1), PLAIN));
        let relaxed = text(|out| summary(out, &verdicts, Duration::from_secs(5), PLAIN));
        assert!(!relaxed.contains("slower"), "{relaxed}");
        let timed_out = [Verdict::new(
            &case("clients.create/documented"),
            vec![reply(None, 10_000, "operation timed out")],
            Duration::ZERO,
        )];
        let silent = text(|out| summary(out, &timed_out, Duration::from_millis(1), PLAIN));
        assert!(
            !silent.contains("slower"),
            "a timeout is no slow answer: {silent}"
        );
        assert!(
            strict.ends_with("  4 cases answered slower than --slow 1.0ms: clients.create/documented (2.0ms), clients.create/object-id-string (2.0ms), clients.update/documented (2.0ms), clients.update/object-id-string (2.0ms)\n"),
            "{strict}"
        );
        assert_eq!(
            relaxed,
            "jerahook: 4 cases: 3 passed, 1 failed; 4 requests, latency p50 2.0ms, p95 2.0ms, max 2.0ms\n  object-id-string  failed for 1 of 2 events: clients.create\n"
        );
    }

    #[test]
    fn failing_events_are_named_up_to_a_few() {
        let ids = [
            "a.1", "a.2", "a.3", "a.4", "a.5", "a.6", "a.7", "a.8", "a.9", "a.10",
        ];
        assert_eq!(named(&ids[..2]), "a.1, a.2");
        assert_eq!(
            named(&ids),
            "a.1, a.2, a.3, a.4, a.5, a.6, a.7, a.8 and 2 more"
        );
    }

    #[test]
    fn json_records_carry_the_requests() {
        let verdict = Verdict::new(
            &case("clients.create/documented"),
            vec![reply(Some(200), 2, "ok")],
            Duration::ZERO,
        );
        let record: serde_json::Value =
            serde_json::from_str(&text(|out| json(out, &verdict))).unwrap();
        assert_eq!(
            record,
            serde_json::json!({
                "case": "clients.create/documented", "event": "clients.create",
                "variant": "documented", "passed": true,
                "requests": [{"status": 200, "latency_ms": 2.0, "answer": "ok", "error": null}],
            })
        );
    }

    #[test]
    fn junit_suites_group_by_event() {
        let verdicts = vec![
            Verdict::new(
                &case("clients.create/documented"),
                vec![reply(Some(200), 2, "")],
                Duration::ZERO,
            ),
            Verdict::new(
                &case("clients.create/unicode"),
                vec![reply(Some(500), 2, "boom")],
                Duration::ZERO,
            ),
            Verdict::new(
                &case("clients.update/documented"),
                vec![reply(Some(200), 2, "")],
                Duration::ZERO,
            ),
        ];
        let suites = junit_suites(&verdicts);
        assert_eq!(suites.len(), 2);
        assert_eq!(suites[0].cases.len(), 2);
        let failure = suites[0].cases[1].failure.as_ref().unwrap();
        assert_eq!(failure.message, "500 after 2.0ms: boom");
        assert_eq!(suites[0].cases[1].classname, "clients.create");
        assert_eq!(suites[0].cases[1].name, "unicode");
    }
}

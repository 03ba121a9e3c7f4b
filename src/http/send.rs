//! `jerahook send`: replays payloads at a handler the way VCS posts them, one JSON body per
//! request, and reports how the handler answered.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures_util::StreamExt;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

use crate::catalog::{self, Event};
use crate::cli::Format;
use crate::exit::ExitStatus;
use crate::http::latency::Latencies;
use crate::http::lines;
use crate::http::wire::{self, Outcome, error_chain, install_crypto, read_answer};
use crate::input::inputs::{Input, io_reason};
use crate::input::reader::{self, Piece, Splitter};
use crate::judge::report::Record;
use crate::judge::schemas::SchemaSet;
use crate::judge::validate::{self, Options};
use crate::output::render::{self, Style};

/// How `send` behaves, resolved from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    pub to: reqwest::Url,
    /// Extra headers on every request.
    pub headers: HeaderMap,
    /// Do not send payloads that fail their schema.
    pub skip_invalid: bool,
    /// Send only these events (all when empty).
    pub events: Vec<&'static Event>,
    /// Requests in flight at once; 1 keeps the input order on the wire.
    pub concurrency: usize,
    /// Requests started per second at most.
    pub rate: Option<f64>,
    pub timeout: Duration,
    pub format: Format,
    /// Print only what did not get a 2xx.
    pub quiet: bool,
    pub options: Options,
    pub style: Style,
}

/// One payload read from the inputs.
struct Job {
    record: Record,
    body: Vec<u8>,
}

/// Sends every payload of `inputs` and prints each outcome, then the summary. Payloads are
/// read on their own thread as they arrive (`tail -f capture | jerahook send` works).
pub fn run(
    inputs: Vec<Input>,
    settings: &Settings,
    schemas: &SchemaSet,
    err_style: Style,
) -> Result<ExitStatus> {
    install_crypto();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the HTTP runtime")?;
    let (jobs_tx, jobs_rx) = tokio::sync::mpsc::channel(256);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || read_jobs(inputs, settings, schemas, &jobs_tx, err_style));
        let status = runtime.block_on(send_all(jobs_rx, settings, err_style));
        let read = reader
            .join()
            .map_err(|_| anyhow::anyhow!("the input reader stopped unexpectedly"))?;
        // An input that could not be read was reported and passed over; it decides the exit
        // status once everything else has been sent, as a usage or I/O error does.
        if read? > 0 {
            return Ok(ExitStatus::Error);
        }
        status
    })
}

async fn send_all(
    jobs: tokio::sync::mpsc::Receiver<Job>,
    settings: &Settings,
    err_style: Style,
) -> Result<ExitStatus> {
    let client = wire::client(settings.timeout)?;
    let jobs = futures_util::stream::unfold(jobs, |mut jobs| async move {
        jobs.recv().await.map(|job| (job, jobs))
    });
    // `then` runs one at a time, so the lock only hands the interval from one job to the next.
    let pacing = std::sync::Arc::new(tokio::sync::Mutex::new(settings.rate.map(|rate| {
        let mut interval = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        interval
    })));
    let results = jobs
        .then(|job| {
            let pacing = std::sync::Arc::clone(&pacing);
            async move {
                if let Some(interval) = pacing.lock().await.as_mut() {
                    interval.tick().await;
                }
                job
            }
        })
        .map(|job| send_one(&client, settings, job))
        .buffered(settings.concurrency.max(1));
    let mut results = std::pin::pin!(results);
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    let mut latencies = Latencies::default();
    let (mut failures, mut unreachable, mut not_ok, mut skipped) = (0, 0, 0, 0);
    let mut empty = 0;
    let mut out = std::io::stdout().lock();
    while let Some(outcome) = results.next().await {
        if outcome.sent {
            match (outcome.status, outcome.error.as_deref()) {
                (Some(status), _) => {
                    *statuses.entry(status.to_string()).or_default() += 1;
                    not_ok += usize::from(!(200..300).contains(&status));
                }
                (None, Some("unreachable")) => {
                    unreachable += 1;
                    failures += 1;
                }
                (None, _) => failures += 1,
            }
            if let Some(ms) = outcome.latency_ms {
                latencies.add(Duration::from_secs_f64(ms / 1000.0));
            }
        } else if outcome.record.is_no_payload() {
            empty += 1;
        } else {
            skipped += 1;
        }
        let passed = outcome.sent && outcome.status.is_some_and(|s| (200..300).contains(&s));
        if settings.quiet && passed {
            continue;
        }
        let mut line = Vec::new();
        match settings.format {
            Format::Json => {
                crate::output::escape::json_line(&mut line, &outcome)?;
            }
            Format::Text => lines::send_line(&mut line, &outcome, settings.style)?,
        }
        // A reader that has gone (`| head`) ends the run, with the status of what was sent
        // until then, this payload included: a 500 already seen is not a pass.
        match out.write_all(&line).and_then(|()| out.flush()) {
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => break,
            result => result?,
        }
    }
    drop(out);
    let summary = lines::SendSummary {
        statuses: &statuses,
        failures,
        skipped,
        empty,
        p50: latencies.percentile(50.0),
        p95: latencies.percentile(95.0),
        max: latencies.max(),
    };
    lines::send_summary(&mut std::io::stderr().lock(), &summary, err_style)?;
    Ok(if unreachable > 0 && statuses.is_empty() {
        // Nothing got through at all: the URL is wrong or the handler is down.
        render::error(
            &mut std::io::stderr().lock(),
            &format!(
                "{}: no request reached the handler",
                wire::redacted(&settings.to)
            ),
            err_style,
        )?;
        ExitStatus::Error
    } else if failures > 0 || not_ok > 0 || empty > 0 {
        ExitStatus::Invalid
    } else {
        ExitStatus::Valid
    })
}

/// Reads and judges every payload, passing on those `--events` selects, until the inputs end
/// or the sender stops listening.
fn read_jobs(
    inputs: Vec<Input>,
    settings: &Settings,
    schemas: &SchemaSet,
    jobs: &tokio::sync::mpsc::Sender<Job>,
    err_style: Style,
) -> Result<usize> {
    let mut unreadable = 0;
    for input in inputs {
        let source = input.name();
        let pieces = match input.open() {
            Ok(reader) => Splitter::new(reader).max_doc(settings.options.max_doc),
            Err(error) => {
                unreadable += 1;
                let message = format!("{source}: cannot read this input: {}", io_reason(&error));
                render::error(&mut std::io::stderr().lock(), &message, err_style)?;
                continue;
            }
        };
        let mut index = 0;
        let mut broken = false;
        for piece in pieces {
            let piece = match piece {
                Ok(piece) => piece,
                Err(error) => {
                    unreadable += 1;
                    let message =
                        format!("{source}: cannot read this input: {}", io_reason(&error));
                    render::error(&mut std::io::stderr().lock(), &message, err_style)?;
                    broken = true;
                    break;
                }
            };
            // A JSON array of payloads sends each element as the payload VCS would post.
            for piece in reader::array_elements(piece) {
                let body = match &piece {
                    Piece::Value { bytes, .. } => bytes.clone(),
                    _ => Vec::new(),
                };
                let (record, _) =
                    validate::judge(piece, &source, index, schemas, settings.options)?;
                index += 1;
                let selected = catalog::selects(&settings.events, record.event.as_deref());
                if selected && jobs.blocking_send(Job { record, body }).is_err() {
                    return Ok(unreadable);
                }
            }
        }
        // An input with nothing to send is a record of its own, as in `validate`: an empty
        // capture must not pass for a replay that went well.
        if index == 0 && !broken {
            let record = Record::no_payload(&source);
            let job = Job {
                record,
                body: Vec::new(),
            };
            if jobs.blocking_send(job).is_err() {
                return Ok(unreadable);
            }
        }
    }
    Ok(unreadable)
}

async fn send_one(client: &reqwest::Client, settings: &Settings, job: Job) -> Outcome {
    let mut outcome = Outcome {
        record: job.record,
        sent: false,
        status: None,
        latency_ms: None,
        response: None,
        response_truncated: false,
        error: None,
    };
    // Text that is not JSON at all is never sent: VCS never posts it.
    if job.body.is_empty() || (settings.skip_invalid && !outcome.record.valid) {
        return outcome;
    }
    outcome.sent = true;
    let started = Instant::now();
    let result = client
        .post(settings.to.clone())
        .headers(settings.headers.clone())
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .body(job.body)
        .send()
        .await;
    let answered = match result {
        Ok(response) => {
            let status = response.status();
            read_answer(response).await.map(|answer| (status, answer))
        }
        Err(error) => Err(error),
    };
    outcome.latency_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
    match answered {
        Ok((status, (bytes, truncated))) => {
            outcome.status = Some(status.as_u16());
            outcome.response = Some(String::from_utf8_lossy(&bytes).into_owned());
            outcome.response_truncated = truncated;
        }
        Err(error) => {
            outcome.error = Some(wire::failure_kind(&error).into());
            // Without the URL, which may carry a token.
            outcome.response = Some(error_chain(&error.without_url()));
        }
    }
    outcome
}

/// Headers that frame the request on the wire: the HTTP client sets them from the body and the
/// URL, and one set by hand would cut or garble what the handler reads.
const FRAMING_HEADERS: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "host",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
];

/// `--header 'Name: value'` as a header.
pub fn parse_header(text: &str) -> Result<(reqwest::header::HeaderName, HeaderValue)> {
    let (name, value) = text
        .split_once(':')
        .with_context(|| format!("--header {text:?}: expected 'Name: value'"))?;
    let name = reqwest::header::HeaderName::from_bytes(name.trim().as_bytes())
        .with_context(|| format!("--header {text:?}: not a header name"))?;
    if FRAMING_HEADERS.contains(&name.as_str()) {
        anyhow::bail!(
            "--header {text:?}: {name} frames the request and is set from the body and the URL; it cannot be set by hand"
        );
    }
    let value = HeaderValue::from_str(value.trim())
        .with_context(|| format!("--header {text:?}: not a header value"))?;
    Ok((name, value))
}

/// The slowest and fastest `--rate`: one request in 1000 s, and one every 10 µs (the pacing
/// timer needs a period it can count).
const RATE_RANGE: (f64, f64) = (0.001, 100_000.0);

/// `--rate 50/s`, `10/min`, `100/h` (or `50`) as requests per second.
pub fn parse_rate(text: &str) -> Result<f64> {
    let (number, per) = match text.trim().split_once('/') {
        // `10/min` is ten per minute; `10/2s` ten per two seconds.
        Some((number, per)) => {
            let per = per.trim();
            let per = if per.starts_with(|c: char| c.is_ascii_digit()) {
                per.to_string()
            } else {
                format!("1{per}")
            };
            (
                number,
                humantime::parse_duration(&per)
                    .ok()
                    .filter(|per| !per.is_zero()),
            )
        }
        None => (text.trim(), Some(Duration::from_secs(1))),
    };
    let (low, high) = RATE_RANGE;
    let rate = number
        .trim()
        .parse::<f64>()
        .ok()
        .zip(per)
        .map(|(count, per)| count / per.as_secs_f64());
    match rate {
        Some(rate) if (low..=high).contains(&rate) => Ok(rate),
        _ => anyhow::bail!(
            "--rate {text}: expected requests per time from 0.001/s to 100000/s, such as 50/s or 10/min"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_rates_parse_or_say_why_not() {
        let (name, value) = parse_header("X-Env:  staging").unwrap();
        assert_eq!(
            (name.as_str(), value.to_str().unwrap()),
            ("x-env", "staging")
        );
        assert!(
            parse_header("no colon")
                .unwrap_err()
                .to_string()
                .contains("expected 'Name: value'")
        );
        assert_eq!(parse_rate("50/s").unwrap(), 50.0);
        assert_eq!(parse_rate("10/min").unwrap(), 10.0 / 60.0);
        assert_eq!(parse_rate("360/h").unwrap(), 0.1);
        assert_eq!(parse_rate("10/2s").unwrap(), 5.0);
        assert_eq!(parse_rate("30/5min").unwrap(), 0.1);
        assert!(parse_rate("1/0s").is_err());
        assert!(parse_rate("1e10/s").is_err() && parse_rate("1e-20/s").is_err());
        assert_eq!(parse_rate("0.5").unwrap(), 0.5);
        assert!(parse_rate("0/s").is_err());
        assert!(parse_rate("fast").is_err());
    }
}

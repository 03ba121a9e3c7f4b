//! `jerahook test-handler`: fires every conformance case (`catalog::cases`) at a handler and
//! gives a verdict per case, so a handler is known to take every event in every form VCS sends
//! before VCS sends it.
//!
//! Cases run one after another, so a failure belongs to one case and not to the load of others;
//! within a case, a redelivery waits for the first answer and a burst sends all at once.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail};
use reqwest::header::HeaderMap;

use crate::catalog::cases::{self, Case, Delivery, Fresh};
use crate::catalog::{EVENTS, Event};
use crate::cli::ReportFormat;
use crate::exit::ExitStatus;
use crate::http::verdicts::{self, Verdict};
use crate::http::wire;
use crate::http::wire::redacted;
use crate::output::junit;
use crate::output::render::{self, Style};

/// How `test-handler` behaves, resolved from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The handler; `None` when only listing or writing the cases.
    pub to: Option<reqwest::Url>,
    /// Extra headers on every request (a token, say).
    pub headers: HeaderMap,
    /// Only these events (all when empty).
    pub events: Vec<&'static Event>,
    /// Only cases whose name matches one of these globs (all when empty).
    pub patterns: Vec<String>,
    /// Print the case names and stop.
    pub list: bool,
    /// Write the cases' payloads under this directory.
    pub write: Option<PathBuf>,
    pub format: ReportFormat,
    /// A request not answered in full within this long fails.
    pub timeout: Duration,
    /// Payloads a burst case sends at once.
    pub concurrency: usize,
    /// Print only the cases that failed.
    pub quiet: bool,
    pub style: Style,
}

/// Lists, writes and runs the selected cases, as the settings ask.
pub fn run(settings: &Settings, err_style: Style) -> Result<ExitStatus> {
    let since_epoch = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .context("the clock is before 1970")?;
    let events: Vec<&'static Event> = if settings.events.is_empty() {
        EVENTS.iter().collect()
    } else {
        settings.events.clone()
    };
    let cases = select(
        cases::generate(&events, &Fresh::at(since_epoch, settings.concurrency)),
        &settings.patterns,
    )?;
    let mut out = std::io::stdout().lock();
    if settings.list {
        for case in &cases {
            writeln!(out, "{}", case.name())?;
        }
        return Ok(ExitStatus::Valid);
    }
    if let Some(dir) = &settings.write {
        let files = write_cases(dir, &cases)?;
        writeln!(
            std::io::stderr().lock(),
            "wrote {files} cases to {}",
            dir.display()
        )?;
    }
    drop(out);
    match &settings.to {
        Some(to) => run_cases(&cases, to, settings, err_style),
        None => Ok(ExitStatus::Valid),
    }
}

/// The cases whose names match one of `patterns` (all when none); a pattern that matches no
/// case is a usage error, not an empty run.
fn select(cases: Vec<Case>, patterns: &[String]) -> Result<Vec<Case>> {
    if let Some(pattern) = patterns
        .iter()
        .find(|pattern| !cases.iter().any(|case| glob(pattern, &case.name())))
    {
        bail!("--case {pattern}: matches no case of the selected events (see --list)");
    }
    Ok(cases
        .into_iter()
        .filter(|case| patterns.is_empty() || patterns.iter().any(|p| glob(p, &case.name())))
        .collect())
}

/// Whether `name` matches `pattern`, where `*` stands for any text and `?` for one character.
fn glob(pattern: &str, name: &str) -> bool {
    let (pattern, name): (Vec<char>, Vec<char>) =
        (pattern.chars().collect(), name.chars().collect());
    let (mut p, mut n) = (0, 0);
    // Where the last `*` was and the name position it is tried from: on a mismatch, let it
    // swallow one more character.
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == '?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((star_p, star_n)) => {
                    p = star_p + 1;
                    n = star_n + 1;
                    star = Some((star_p, star_n + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Writes each case as `DIR/EVENT/VARIANT.json` (pretty, one payload) or `.ndjson` (one line
/// per payload); returns how many files.
fn write_cases(dir: &Path, cases: &[Case]) -> Result<usize> {
    for case in cases {
        let folder = dir.join(case.event.id);
        std::fs::create_dir_all(&folder).with_context(|| folder.display().to_string())?;
        let (path, mut text) = match case.payloads.as_slice() {
            [one] => (
                folder.join(format!("{}.json", case.variant.name())),
                serde_json::to_string_pretty(one)?,
            ),
            several => {
                let lines: Vec<String> =
                    several.iter().map(|payload| payload.to_string()).collect();
                (
                    folder.join(format!("{}.ndjson", case.variant.name())),
                    lines.join("\n"),
                )
            }
        };
        text.push('\n');
        std::fs::write(&path, text).with_context(|| path.display().to_string())?;
    }
    Ok(cases.len())
}

fn run_cases(
    cases: &[Case],
    to: &reqwest::Url,
    settings: &Settings,
    err_style: Style,
) -> Result<ExitStatus> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the HTTP runtime")?;
    let client = wire::client(settings.timeout)?;
    let width = cases
        .iter()
        .map(|case| case.name().chars().count())
        .max()
        .unwrap_or(0);
    let mut verdicts: Vec<Verdict> = Vec::with_capacity(cases.len());
    let mut out = std::io::stdout().lock();
    for case in cases {
        let started = Instant::now();
        let replies = runtime.block_on(deliver(&client, to, &settings.headers, case));
        let verdict = Verdict::new(case, replies, started.elapsed());
        if verdicts.is_empty() && verdict.unreachable() {
            // Nothing listens there: every other case would say the same.
            let reason = verdict
                .requests
                .first()
                .map(|r| r.answer.as_str())
                .unwrap_or_default();
            render::error(
                &mut std::io::stderr().lock(),
                &format!("{}: the handler cannot be reached: {reason}", redacted(to)),
                err_style,
            )?;
            return Ok(ExitStatus::Error);
        }
        match settings.format {
            _ if settings.quiet && verdict.passed => {}
            ReportFormat::Text => verdicts::line(&mut out, &verdict, width, settings.style)?,
            ReportFormat::Json => verdicts::json(&mut out, &verdict)?,
            ReportFormat::Github => verdicts::github(&mut out, &verdict)?,
            ReportFormat::Junit => {}
        }
        out.flush()?;
        verdicts.push(verdict);
    }
    match settings.format {
        ReportFormat::Junit => {
            junit::write(
                &mut out,
                "jerahook test-handler",
                &verdicts::junit_suites(&verdicts),
            )?;
            out.flush()?;
        }
        ReportFormat::Text | ReportFormat::Github => {
            verdicts::summary(&mut std::io::stderr().lock(), &verdicts, err_style)?
        }
        ReportFormat::Json => {}
    }
    Ok(if verdicts.iter().all(|verdict| verdict.passed) {
        ExitStatus::Valid
    } else {
        ExitStatus::Invalid
    })
}

/// Sends a case's payloads: in turn, each after the previous answer, or all at once.
async fn deliver(
    client: &reqwest::Client,
    to: &reqwest::Url,
    headers: &HeaderMap,
    case: &Case,
) -> Vec<wire::Reply> {
    let bodies = case
        .payloads
        .iter()
        .map(|payload| serde_json::to_vec(payload).expect("a Value always serialises"));
    match case.delivery {
        Delivery::InTurn => {
            let mut replies = Vec::with_capacity(case.payloads.len());
            for body in bodies {
                replies.push(wire::post(client, to, headers, body).await);
            }
            replies
        }
        Delivery::AtOnce => {
            futures_util::future::join_all(bodies.map(|body| wire::post(client, to, headers, body)))
                .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_whole_names() {
        assert!(glob("*", "clients.create/documented"));
        assert!(glob("*/object-id-*", "clients.create/object-id-string"));
        assert!(glob("clients.create/*", "clients.create/burst"));
        assert!(!glob("clients.create/*", "clients.create.x/burst"));
        assert!(glob("clients.?pdate/nulls", "clients.update/nulls"));
        assert!(!glob("clients.update", "clients.update/nulls"));
        assert!(glob("*a*b*c", "xxaxxbxxc"));
        assert!(!glob("*a*b*c", "xxaxxbxxcx"));
        assert!(glob("**", ""));
        assert!(!glob("?", ""));
    }

    #[test]
    fn a_pattern_that_matches_nothing_is_an_error() {
        let events: Vec<&Event> = vec![crate::catalog::find("clients.create").unwrap()];
        let fresh = Fresh::at(Duration::from_secs(1_795_000_000), 2);
        let picked = select(cases::generate(&events, &fresh), &["*/dt-*".into()]).unwrap();
        let names: Vec<String> = picked.iter().map(Case::name).collect();
        assert_eq!(
            names,
            [
                "clients.create/dt-rfc3339",
                "clients.create/dt-fraction",
                "clients.create/dt-space-form"
            ]
        );
        let error = select(cases::generate(&events, &fresh), &["*/nulls".into()]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--case */nulls: matches no case of the selected events (see --list)"
        );
    }

    #[test]
    fn a_token_in_the_url_is_not_shown() {
        let url = reqwest::Url::parse("http://127.0.0.1:9/hook?token=s3cret").unwrap();
        assert_eq!(redacted(&url), "http://127.0.0.1:9/hook?…");
    }
}

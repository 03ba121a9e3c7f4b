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
    /// The whole run stops once it has taken this long.
    pub max_time: Option<Duration>,
    /// Cases whose slowest answer took longer are named in the summary.
    pub slow: Duration,
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

/// Cases in a row that got no answer at all (every request timed out or failed to connect)
/// after which the handler is taken as not answering and the run stops; `--help` and README
/// name the number.
pub const SILENT_CASES: usize = 3;

/// Why the cases stopped before the last.
enum Stop {
    /// The reader of the output went away (`| head`).
    ReaderGone,
    /// [`SILENT_CASES`] cases in a row got no answer.
    Silent,
    /// `--max-time` ran out.
    OutOfTime(Duration),
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
    let deadline = settings
        .max_time
        .map(|max| (max, tokio::time::Instant::now() + max));
    let width = cases
        .iter()
        .map(|case| case.name().chars().count())
        .max()
        .unwrap_or(0);
    let mut verdicts: Vec<Verdict> = Vec::with_capacity(cases.len());
    let mut silent = 0;
    let mut stop = None;
    let mut out = std::io::stdout().lock();
    for case in cases {
        let started = Instant::now();
        let delivery = deliver(&client, to, &settings.headers, case);
        let replies = match deadline {
            // A case cut short has no verdict: it is left out, as the cases after it are.
            Some((max, at)) => {
                match runtime.block_on(async { tokio::time::timeout_at(at, delivery).await }) {
                    Ok(replies) => replies,
                    Err(_) => {
                        stop = Some(Stop::OutOfTime(max));
                        break;
                    }
                }
            }
            None => runtime.block_on(delivery),
        };
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
        let unanswered = verdict
            .requests
            .iter()
            .all(|request| request.status.is_none());
        silent = if unanswered { silent + 1 } else { 0 };
        let shown = show(&mut out, &verdict, width, settings);
        // The verdict counts even when its line could not be written.
        verdicts.push(verdict);
        match shown {
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
                stop = Some(Stop::ReaderGone);
                break;
            }
            shown => shown?,
        }
        // Silence at the very end is only failed cases: there is nothing left to give up on.
        if silent == SILENT_CASES && verdicts.len() < cases.len() {
            stop = Some(Stop::Silent);
            break;
        }
    }
    if settings.format == ReportFormat::Junit && !matches!(stop, Some(Stop::ReaderGone)) {
        let suites = verdicts::junit_suites(&verdicts);
        let written =
            junit::write(&mut out, "jerahook test-handler", &suites).and_then(|()| out.flush());
        match written {
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
            written => written?,
        }
    }
    drop(out);
    let mut err = std::io::stderr().lock();
    if matches!(settings.format, ReportFormat::Text | ReportFormat::Github) {
        verdicts::summary(&mut err, &verdicts, settings.slow, err_style)?;
    }
    let done = verdicts.len();
    let stopped = match stop {
        Some(Stop::Silent) => {
            let kind = verdicts
                .last()
                .and_then(|verdict| verdict.requests.first())
                .and_then(|request| request.error)
                .unwrap_or("failed");
            Some(format!(
                "{}: the handler is not answering: {SILENT_CASES} cases in a row got no answer \
                 ({kind}); stopped after {done} of {} cases",
                redacted(to),
                cases.len()
            ))
        }
        Some(Stop::OutOfTime(max)) => Some(format!(
            "--max-time {}: ran out after {done} of {} cases; the rest were not run",
            humantime::format_duration(max),
            cases.len()
        )),
        // Nothing is wrong with the run: it keeps the status of the cases it judged.
        Some(Stop::ReaderGone) | None => None,
    };
    if let Some(stopped) = stopped {
        render::error(&mut err, &stopped, err_style)?;
        return Ok(ExitStatus::Error);
    }
    Ok(if verdicts.iter().all(|verdict| verdict.passed) {
        ExitStatus::Valid
    } else {
        ExitStatus::Invalid
    })
}

/// Writes a case's verdict as `--format` asks (nothing for a passed case with `--quiet`, and
/// nothing yet for JUnit, which is written whole at the end).
fn show(
    out: &mut impl Write,
    verdict: &Verdict,
    width: usize,
    settings: &Settings,
) -> std::io::Result<()> {
    match settings.format {
        _ if settings.quiet && verdict.passed => return Ok(()),
        ReportFormat::Text => verdicts::line(out, verdict, width, settings.style)?,
        ReportFormat::Json => verdicts::json(out, verdict)?,
        ReportFormat::Github => verdicts::github(out, verdict)?,
        ReportFormat::Junit => return Ok(()),
    }
    out.flush()
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
        let url = reqwest::Url::parse("http://vcs:pa55@127.0.0.1:9/hook?token=s3cret#x").unwrap();
        assert_eq!(redacted(&url), "http://…@127.0.0.1:9/hook?…");
        let url = reqwest::Url::parse("https://127.0.0.1/").unwrap();
        assert_eq!(redacted(&url), "https://127.0.0.1/");
    }

    #[test]
    fn help_and_readme_name_the_cases_in_a_row_that_stop_a_run() {
        use clap::CommandFactory;
        let phrase = format!("{SILENT_CASES} cases in a row");
        let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut cli = crate::cli::Cli::command();
        let help = cli
            .find_subcommand_mut("test-handler")
            .unwrap()
            .render_long_help()
            .to_string();
        assert!(words(&help).contains(&phrase), "{help}");
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        let section = &readme[readme.find("## Testing your handler").unwrap()..];
        let section = &section[..section.find("\n## ").unwrap()];
        assert!(words(section).contains(&phrase));
        assert!(words(section).contains("--max-time"));
    }
}

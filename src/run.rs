//! Drives each command: hands inputs to the pipeline, its results to `render`, and totals the
//! run into an exit status.

use std::io::{self, BufWriter, Write};

use anyhow::{Context, Result};
use serde_json::Value;

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::catalog::generate;
use crate::cli::{Format, ValidateFormat};
use crate::config::{Config, Mode, Read};
use crate::exit::ExitStatus;
use crate::http::{listen, send, test_handler};
use crate::input::inputs::{self, Input};
use crate::judge::report::{Record, Summary};
use crate::judge::schemas::{SchemaSet, Source};
use crate::judge::validate::Options;
use crate::manual;
use crate::output::render::{self, Style};
use crate::output::{escape, github, inspect, junit};
use crate::pipeline::{self, Work};

/// What has been judged so far, for a run cut short by its reader going away (`| head`).
static SEEN: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);
const SEEN_INVALID: u8 = 1;
const SEEN_UNREADABLE: u8 = 2;

/// The exit status the records judged so far call for.
pub fn status_so_far() -> ExitStatus {
    let seen = SEEN.load(std::sync::atomic::Ordering::Relaxed);
    if seen & SEEN_UNREADABLE != 0 {
        ExitStatus::Error
    } else if seen & SEEN_INVALID != 0 {
        ExitStatus::Invalid
    } else {
        ExitStatus::Valid
    }
}

/// Runs the configured command to its exit status.
pub fn run(config: Config) -> Result<ExitStatus> {
    // The HTTP commands write from their own threads: they must not find stdout locked here.
    match &config.mode {
        Mode::Listen(settings) => {
            let schemas = load_schemas(&config.schemas)?;
            listen::serve((**settings).clone(), schemas, config.err_style)?;
            return Ok(ExitStatus::Valid);
        }
        Mode::Send { read, settings } => {
            let inputs = inputs::expand(&read.paths)?;
            let schemas = load_schemas(&config.schemas)?;
            stdin_note(&config, &inputs)?;
            return send::run(inputs, settings, &schemas, config.err_style);
        }
        Mode::TestHandler(settings) => return test_handler::run(settings, config.err_style),
        _ => {}
    }
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    // Standard error is unbuffered: a summary table of many thousand rows (undocumented
    // fields) would be many thousand writes.
    let mut err = BufWriter::new(io::stderr().lock());
    let status = match &config.mode {
        Mode::Validate {
            read,
            format,
            quiet,
            by_event,
        } => {
            let render = ValidateRender {
                format: *format,
                quiet: *quiet,
                style: config.out_style,
            };
            let summary = judge_all(&config, read, render, &mut out, !*quiet)?;
            if *format == ValidateFormat::Junit {
                let suites = junit_suites(&summary.cases);
                junit::write(&mut out, "jerahook validate", &suites)?;
            }
            if *format != ValidateFormat::Json {
                let table = !*quiet || *by_event;
                render::summary(&mut err, &summary.totals, table, config.err_style)?;
            }
            if read.options.undocumented {
                render::undocumented(&mut err, &summary.totals, config.err_style)?;
            }
            summary.status()
        }
        Mode::Inspect { read, all, format } => {
            let render = InspectRender {
                all: *all,
                format: *format,
                options: read.options,
                style: config.out_style,
            };
            let summary = judge_all(&config, read, render, &mut out, true)?;
            if read.options.undocumented {
                render::undocumented(&mut err, &summary.totals, config.err_style)?;
            }
            summary.status()
        }
        Mode::Events { format } => {
            match format {
                Format::Text => render::events_text(&mut out, config.out_style)?,
                Format::Json => render::events_json(&mut out)?,
            }
            ExitStatus::Valid
        }
        Mode::Schema { event } => {
            let schemas = load_schemas(&config.schemas)?;
            render::json_pretty(&mut out, schemas.schema(event))?;
            ExitStatus::Valid
        }
        Mode::SchemaAll => {
            let schemas = load_schemas(&config.schemas)?;
            render::json_pretty(&mut out, &schemas.all_events()?)?;
            ExitStatus::Valid
        }
        Mode::WriteSchemas { dir } => {
            let files = generate::files();
            for file in &files {
                let path = dir.join(&file.path);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("{}", parent.display()))?;
                }
                std::fs::write(&path, &file.content)
                    .with_context(|| format!("{}", path.display()))?;
            }
            writeln!(err, "wrote {} schemas to {}", files.len(), dir.display())?;
            ExitStatus::Valid
        }
        Mode::Listen(_) | Mode::Send { .. } | Mode::TestHandler(_) => {
            unreachable!("handled above")
        }
        Mode::Sample { event } => {
            writeln!(out, "{}", event.example.trim_end())?;
            ExitStatus::Valid
        }
        Mode::Completions(shell) => {
            manual::completions(*shell, &mut out)?;
            ExitStatus::Valid
        }
        Mode::Man => {
            manual::man_page(&mut out)?;
            ExitStatus::Valid
        }
    };
    err.flush()?;
    out.flush()?;
    Ok(status)
}

/// What a run of `validate` or `inspect` found.
struct RunSummary {
    totals: Summary,
    /// Some input could not be read.
    read_failed: bool,
    /// For a JUnit report: one test case per payload shown.
    cases: Vec<junit::TestCase>,
}

impl RunSummary {
    fn status(&self) -> ExitStatus {
        if self.read_failed {
            ExitStatus::Error
        } else if self.totals.invalid > 0 {
            ExitStatus::Invalid
        } else {
            ExitStatus::Valid
        }
    }
}

/// Reads every input, judges and renders every payload (on `config.jobs` workers), and writes
/// the results in input order as they come. `progress` allows a progress bar on a terminal.
/// On a terminal, says that payloads are read from standard input and how to end it:
/// otherwise a first-time user sees nothing happen and thinks jerahook hangs.
fn stdin_note(config: &Config, inputs: &[Input]) -> Result<()> {
    if config.stdin_is_terminal && inputs.contains(&Input::Stdin) {
        render::note(
            &mut io::stderr().lock(),
            "reading payloads from standard input; paste them, then end with Ctrl-D",
            config.err_style,
        )?;
    }
    Ok(())
}

fn judge_all(
    config: &Config,
    read: &Read,
    render: impl pipeline::Render,
    out: &mut impl Write,
    progress: bool,
) -> Result<RunSummary> {
    let inputs = inputs::expand(&read.paths)?;
    let schemas = load_schemas(&config.schemas)?;
    stdin_note(config, &inputs)?;
    let junit = matches!(
        config.mode,
        Mode::Validate {
            format: ValidateFormat::Junit,
            ..
        }
    );
    let work = Work {
        schemas: &schemas,
        options: read.options,
        events: &read.events,
        render,
        keep_records: junit,
    };
    let bar = (progress && config.progress).then(|| Progress::new(&inputs));
    let mut summary = RunSummary {
        totals: Summary::default(),
        read_failed: false,
        cases: Vec::new(),
    };
    pipeline::run(inputs, config.jobs, &work, |done| {
        summary.totals.merge(done.summary);
        summary.cases.extend(done.records.iter().map(junit_case));
        summary.totals.skipped += done.skipped;
        if done.unreadable > 0 {
            summary.read_failed = true;
            summary.totals.unreadable += done.unreadable;
            SEEN.fetch_or(SEEN_UNREADABLE, std::sync::atomic::Ordering::Relaxed);
        }
        // Before writing: a reader that goes away during the write still gets this status.
        if summary.totals.invalid > 0 {
            SEEN.fetch_or(SEEN_INVALID, std::sync::atomic::Ordering::Relaxed);
        }
        let mut write = || -> io::Result<()> {
            out.write_all(&done.out)?;
            if config.flush_each {
                out.flush()?;
            }
            Ok(())
        };
        match &bar {
            // A terminal on stdout shares the screen with the bar: clear it while writing.
            Some(bar) if config.out_is_terminal => bar.bar.suspend(write)?,
            _ => write()?,
        }

        if let Some(bar) = &bar {
            bar.advance(done.bytes, summary.totals.payloads);
        }
        Ok(())
    })?;
    if let Some(bar) = bar {
        bar.bar.finish_and_clear();
    }
    out.flush()?;
    Ok(summary)
}

/// `validate` output: a line (or JSON record, or annotations) per payload.
struct ValidateRender {
    format: ValidateFormat,
    quiet: bool,
    style: Style,
}

impl pipeline::Render for ValidateRender {
    fn render(&self, record: &Record, _: Option<&Value>, out: &mut Vec<u8>) -> Result<()> {
        match self.format {
            _ if self.quiet && record.valid => {}
            ValidateFormat::Json => render::record_json(out, record)?,
            ValidateFormat::Text => render::record_text(out, record, self.style)?,
            ValidateFormat::Github => github::record(out, record)?,
            // Written whole at the end, when the counts are known.
            ValidateFormat::Junit => {}
        }
        Ok(())
    }

    fn shows_payload(&self) -> bool {
        false
    }
}

/// A payload as a JUnit test case: named by where it is and what it is, failed by its errors.
fn junit_case(record: &Record) -> junit::TestCase {
    let event = record.event_label();
    let lines = |issues: &[crate::judge::report::Issue]| {
        issues
            .iter()
            .map(|issue| {
                format!(
                    "{}:{}:{}: {}: {}",
                    record.source,
                    issue.line,
                    issue.column,
                    if issue.path.is_empty() {
                        "(document)"
                    } else {
                        &issue.path
                    },
                    issue.message
                )
            })
            .collect::<Vec<_>>()
    };
    let failure = (!record.valid).then(|| {
        let errors = lines(&record.errors);
        junit::Failure {
            message: errors.first().cloned().unwrap_or_default(),
            text: errors.join("\n"),
        }
    });
    junit::TestCase {
        name: if record.line == 0 {
            record.source.clone()
        } else {
            format!("{}:{} {event}", record.source, record.line)
        },
        classname: record.source.clone(),
        time: Duration::ZERO,
        failure,
    }
}

/// The test cases grouped by input, one suite each, in input order.
fn junit_suites(cases: &[junit::TestCase]) -> Vec<junit::Suite> {
    let mut suites: Vec<junit::Suite> = Vec::new();
    for case in cases {
        match suites.last_mut() {
            Some(suite) if suite.name == case.classname => suite.cases.push(case.clone()),
            _ => suites.push(junit::Suite {
                name: case.classname.clone(),
                cases: vec![case.clone()],
            }),
        }
    }
    suites
}

/// `inspect` output: a summary per payload.
struct InspectRender {
    all: bool,
    format: Format,
    options: Options,
    style: Style,
}

impl pipeline::Render for InspectRender {
    fn render(&self, record: &Record, payload: Option<&Value>, out: &mut Vec<u8>) -> Result<()> {
        if self.format == Format::Json {
            let view =
                inspect::json_view(payload.unwrap_or(&Value::Null), record, self.options.redact);
            escape::json_line(out, &view)?;
            return Ok(());
        }
        // Nothing parsed: the view is the header, the source and the errors.
        let view = inspect::view(
            payload.unwrap_or(&Value::Null),
            record,
            self.options.now_or_clock(),
            self.all,
            self.options.redact,
        );
        render::inspection(out, &view, record, self.style)?;
        Ok(())
    }
}

/// A progress bar on standard error, shown once a run has taken a second: bytes of the known
/// total where every input is a file, and payloads per second.
struct Progress {
    bar: ProgressBar,
    started: Instant,
    shown: std::cell::Cell<bool>,
}

impl Progress {
    fn new(inputs: &[Input]) -> Self {
        let total: Option<u64> = inputs
            .iter()
            .map(|input| match input {
                Input::File(path) => std::fs::metadata(path).ok().map(|m| m.len()),
                _ => None,
            })
            .sum();
        let (bar, template) = match total {
            Some(total) => (
                ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden()),
                "{bar:30} {bytes}/{total_bytes} {msg} ({eta} left)",
            ),
            None => (
                ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()),
                "{spinner} {bytes} {msg}",
            ),
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        Progress {
            bar,
            started: Instant::now(),
            shown: std::cell::Cell::new(false),
        }
    }

    fn advance(&self, bytes: u64, payloads: usize) {
        self.bar.inc(bytes);
        let elapsed = self.started.elapsed();
        if !self.shown.get() && elapsed >= Duration::from_secs(1) {
            self.bar
                .set_draw_target(ProgressDrawTarget::stderr_with_hz(8));
            self.shown.set(true);
        }
        let rate = payloads as f64 / elapsed.as_secs_f64().max(1e-3);
        self.bar
            .set_message(format!("{payloads} payloads, {rate:.0}/s"));
    }
}

fn load_schemas(source: &Source) -> Result<SchemaSet> {
    match source {
        Source::BuiltIn => Ok(SchemaSet::built_in()),
        Source::Dir(dir) => SchemaSet::from_dir(dir),
    }
}

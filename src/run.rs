//! Drives each command: reads inputs, judges payloads, hands results to `render`.

use std::io::{self, BufWriter, Write};

use anyhow::{Context, Result};
use serde_json::Value;

use crate::cli::Format;
use crate::codes::Code;
use crate::config::{Config, Mode, Read};
use crate::exit::ExitStatus;
use crate::generate;
use crate::inputs::{self, Input};
use crate::inspect;
use crate::reader::Splitter;
use crate::render::{self, Style};
use crate::report::{Issue, Record, Summary};
use crate::schemas::{SchemaSet, Source};
use crate::validate;

/// Runs the configured command to its exit status.
pub fn run(config: Config) -> Result<ExitStatus> {
    let stdout = io::stdout();
    let mut out = Output {
        writer: BufWriter::with_capacity(64 * 1024, stdout.lock()),
        flush_each: config.flush_each,
    };
    let mut err = io::stderr().lock();
    let status = match &config.mode {
        Mode::Validate {
            read,
            format,
            quiet,
        } => {
            let schemas = load_schemas(&config.schemas)?;
            let mut summary = Summary::default();
            let read_failed =
                each_record(read, &schemas, &mut err, config.err_style, |record, _| {
                    summary.add(&record);
                    match format {
                        Format::Json => render::record_json(&mut out.writer, &record)?,
                        Format::Text if *quiet && record.valid => {}
                        Format::Text => {
                            render::record_text(&mut out.writer, &record, config.out_style)?
                        }
                    }
                    out.record_done()
                })?;
            out.writer.flush()?;
            if *format == Format::Text {
                render::summary(&mut err, &summary, config.err_style)?;
            }
            if read.options.undocumented {
                render::undocumented(&mut err, &summary, config.err_style)?;
            }
            status_of(read_failed, &summary)
        }
        Mode::Inspect { read, all } => {
            let schemas = load_schemas(&config.schemas)?;
            let mut summary = Summary::default();
            let read_failed = each_record(
                read,
                &schemas,
                &mut err,
                config.err_style,
                |record, payload| {
                    summary.add(&record);
                    // Nothing parsed: the view is the header, the source and the errors.
                    let payload = payload.unwrap_or(Value::Null);
                    let view = inspect::view(
                        &payload,
                        &record,
                        read.options.now,
                        *all,
                        read.options.redact,
                    );
                    render::inspection(&mut out.writer, &view, &record, config.out_style)?;
                    out.record_done()
                },
            )?;
            out.writer.flush()?;
            if read.options.undocumented {
                render::undocumented(&mut err, &summary, config.err_style)?;
            }
            status_of(read_failed, &summary)
        }
        Mode::Events { format } => {
            match format {
                Format::Text => render::events_text(&mut out.writer, config.out_style)?,
                Format::Json => render::events_json(&mut out.writer)?,
            }
            ExitStatus::Valid
        }
        Mode::Schema { event } => {
            let schemas = load_schemas(&config.schemas)?;
            render::json_pretty(&mut out.writer, schemas.schema(event))?;
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
        Mode::Sample { event } => {
            writeln!(out.writer, "{}", event.example.trim_end())?;
            ExitStatus::Valid
        }
    };
    out.writer.flush()?;
    Ok(status)
}

/// Standard output, flushed after each record when someone is waiting for it.
struct Output<W: Write> {
    writer: BufWriter<W>,
    flush_each: bool,
}

impl<W: Write> Output<W> {
    fn record_done(&mut self) -> Result<()> {
        if self.flush_each {
            self.writer.flush()?;
        }
        Ok(())
    }
}

fn load_schemas(source: &Source) -> Result<SchemaSet> {
    match source {
        Source::BuiltIn => Ok(SchemaSet::built_in()),
        Source::Dir(dir) => SchemaSet::from_dir(dir),
    }
}

fn status_of(read_failed: bool, summary: &Summary) -> ExitStatus {
    if read_failed {
        ExitStatus::Error
    } else if summary.invalid > 0 {
        ExitStatus::Invalid
    } else {
        ExitStatus::Valid
    }
}

/// Reads every input in order and hands each record (and the payload, when it parsed) to
/// `each` as soon as it is judged. An input that cannot be read is reported on `err` and the
/// others are still read; the return value says whether any could not be.
fn each_record(
    read: &Read,
    schemas: &SchemaSet,
    err: &mut impl Write,
    err_style: Style,
    mut each: impl FnMut(Record, Option<Value>) -> Result<()>,
) -> Result<bool> {
    let mut read_failed = false;
    for input in inputs::expand(&read.paths)? {
        let source = input.name();
        let reader = match input.open() {
            Ok(reader) => reader,
            Err(error) => {
                render::error(
                    err,
                    &format!("{source}: {}", inputs::io_reason(&error)),
                    err_style,
                )?;
                read_failed = true;
                continue;
            }
        };
        let mut index = 0;
        let mut broke_off = false;
        for piece in Splitter::new(reader) {
            let piece = match piece {
                Ok(piece) => piece,
                Err(error) => {
                    render::error(
                        err,
                        &format!("{source}: {}", inputs::io_reason(&error)),
                        err_style,
                    )?;
                    read_failed = true;
                    broke_off = true;
                    break;
                }
            };
            let (record, payload) = validate::judge(piece, &source, index, schemas, read.options)?;
            each(record, payload)?;
            index += 1;
        }
        if index == 0 && !broke_off {
            each(empty_input(&input), None)?;
        }
    }
    Ok(read_failed)
}

/// The record of an input that holds no payload at all: invalid, so it cannot pass unnoticed.
fn empty_input(input: &Input) -> Record {
    Record {
        source: input.name(),
        index: 0,
        line: 1,
        event: None,
        object_id: None,
        valid: false,
        errors: vec![Issue {
            line: 1,
            column: 1,
            ..Issue::new(Code::NoPayload, "", "no payload in this input")
        }],
        warnings: vec![],
        undocumented: vec![],
    }
}

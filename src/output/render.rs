//! The only place that writes output. Every function takes a writer and a [`Style`], so output
//! is tested into a `Vec<u8>` and colour is decided once, by `config`.

use std::io::{self, Write};

use colored::Colorize;

use crate::catalog::{EVENTS, Event};
use crate::judge::report::{Issue, NO_EVENT_ID, Record, Snippet, Summary};
use crate::output::escape::{printable as p, push_printable};
use crate::output::inspect::{Cell, View};

/// Whether one output stream gets colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub(crate) fn paint(self, text: &str, how: fn(&str) -> colored::ColoredString) -> String {
        if self.color {
            how(text).to_string()
        } else {
            text.to_string()
        }
    }

    pub(crate) fn ok(self, text: &str) -> String {
        self.paint(text, |t| t.green().bold())
    }

    pub(crate) fn bad(self, text: &str) -> String {
        self.paint(text, |t| t.red().bold())
    }

    pub(crate) fn warn(self, text: &str) -> String {
        self.paint(text, |t| t.yellow())
    }

    pub(crate) fn strong(self, text: &str) -> String {
        self.paint(text, |t| t.bold())
    }

    pub(crate) fn dim(self, text: &str) -> String {
        self.paint(text, |t| t.dimmed())
    }
}

const VALID_MARK: &str = "✓";
const INVALID_MARK: &str = "✗";

/// `✓` or `✗`, coloured.
pub(crate) fn mark(valid: bool, style: Style) -> String {
    if valid {
        style.ok(VALID_MARK)
    } else {
        style.bad(INVALID_MARK)
    }
}

/// `text` and spaces after it to fill `width` characters: `{:<width$}` written by hand, as a
/// formatting width over 65,535 panics and these widths come from the input (an event id, a
/// field name, a counter's name).
pub(crate) fn pad_end(text: &str, width: usize) -> String {
    let mut padded = text.to_string();
    padded.extend(std::iter::repeat_n(
        ' ',
        width.saturating_sub(text.chars().count()),
    ));
    padded
}

/// Spaces before `text` to fill `width` characters: `{:>width$}` by hand, as [`pad_end`].
pub(crate) fn pad_start(text: &str, width: usize) -> String {
    let mut padded: String =
        std::iter::repeat_n(' ', width.saturating_sub(text.chars().count())).collect();
    padded.push_str(text);
    padded
}

/// Counts by name, names aligned: the tail of every summary.
pub(crate) fn counts(
    out: &mut impl Write,
    counts: &std::collections::BTreeMap<String, usize>,
) -> io::Result<()> {
    let width = counts
        .keys()
        .map(|name| p(name).chars().count())
        .max()
        .unwrap_or(0);
    for (name, count) in counts {
        writeln!(out, "  {}  {count:>6}", pad_end(&p(name), width))?;
    }
    Ok(())
}

/// `✓ source:line  event  object_id`, then the errors and warnings of an invalid payload.
pub fn record_text(out: &mut impl Write, record: &Record, style: Style) -> io::Result<()> {
    // An input that could not be read has no line and no event: one line says why.
    if let Some(unreadable) = record
        .errors
        .iter()
        .find(|issue| issue.code == crate::judge::codes::Code::Unreadable)
    {
        return writeln!(
            out,
            "{} {}  {}",
            mark(record.valid, style),
            style.dim(&p(&record.source)),
            style.bad(&p(&unreadable.message))
        );
    }
    writeln!(out, "{}", record_head(record, style))?;
    issues(out, record, style, "  ")
}

/// `✓ source:line  event  object_id`: how a payload's line starts, here and in `send`'s lines.
pub(crate) fn record_head(record: &Record, style: Style) -> String {
    let event = record.event_label();
    let place = format!("{}:{}", p(&record.source), record.line);
    let mut line = format!(
        "{} {}  {}",
        mark(record.valid, style),
        style.dim(&place),
        style.strong(&p(event))
    );
    if let Some(object_id) = &record.object_id {
        line.push_str(&format!(
            "  {}",
            p(&crate::output::inspect::plain(object_id))
        ));
    }
    line
}

pub(crate) fn issues(
    out: &mut impl Write,
    record: &Record,
    style: Style,
    indent: &str,
) -> io::Result<()> {
    for issue in &record.errors {
        issue_text(out, issue, &record.source, style, None, indent)?;
    }
    for issue in &record.warnings {
        issue_text(out, issue, &record.source, style, Some("warning"), indent)?;
    }
    Ok(())
}

/// `source:line:column: /pointer: message`, then the source line with a caret under the value.
fn issue_text(
    out: &mut impl Write,
    issue: &Issue,
    source: &str,
    style: Style,
    tag: Option<&str>,
    indent: &str,
) -> io::Result<()> {
    let path = if issue.path.is_empty() {
        "(document)".into()
    } else {
        p(&issue.path)
    };
    let head = match tag {
        Some(tag) => style.warn(&format!("{tag}[{}] {path}:", issue.code.name())),
        None => style.bad(&format!("{path}:")),
    };
    let place = style.dim(&format!("{}:{}:{}:", p(source), issue.line, issue.column));
    writeln!(out, "{indent}{place} {head} {}", p(&issue.message))?;
    if let Some(snippet) = &issue.snippet {
        let (text, caret_at) = window(snippet);
        // A fixed gutter keeps the snippets of one payload aligned.
        let number = format!("{:>4}", issue.line);
        let gutter = " ".repeat(number.len());
        let caret = "^".repeat(snippet.width.min(SNIPPET_WIDTH - caret_at).max(1));
        let caret = if tag.is_some() {
            style.warn(&caret)
        } else {
            style.bad(&caret)
        };
        writeln!(
            out,
            "{indent}  {} {text}",
            style.dim(&format!("{number} |"))
        )?;
        writeln!(
            out,
            "{indent}  {} {}{caret}",
            style.dim(&format!("{gutter} |")),
            " ".repeat(caret_at)
        )?;
    }
    Ok(())
}

/// How much of a source line a snippet shows.
const SNIPPET_WIDTH: usize = 100;

/// The part of a snippet's line that fits, and where the caret goes in it: long lines (a whole
/// NDJSON payload) are cut around the value, marked with `…`.
fn window(snippet: &Snippet) -> (String, usize) {
    // Control characters are shown escaped, so the caret moves with what they became.
    let mut chars: Vec<char> = Vec::with_capacity(snippet.text.len());
    let mut start = snippet.start;
    let mut escaped = String::new();
    for (i, c) in snippet.text.chars().enumerate() {
        escaped.clear();
        match c {
            '\t' => escaped.push(' '),
            c => push_printable(&mut escaped, c),
        }
        if i < snippet.start {
            start += escaped.chars().count() - 1;
        }
        chars.extend(escaped.chars());
    }
    if chars.len() <= SNIPPET_WIDTH {
        return (chars.into_iter().collect(), start);
    }
    let snippet = &Snippet {
        start,
        ..snippet.clone()
    };
    let from = snippet.start.saturating_sub(SNIPPET_WIDTH / 3);
    let to = (from + SNIPPET_WIDTH).min(chars.len());
    let mut text = String::new();
    let mut caret_at = snippet.start - from;
    if from > 0 {
        text.push('…');
        caret_at += 1;
    }
    text.extend(&chars[from..to]);
    if to < chars.len() {
        text.push('…');
    }
    (text, caret_at)
}

/// One record as one line of JSON.
pub fn record_json(out: &mut impl Write, record: &Record) -> io::Result<()> {
    crate::output::escape::json_line(out, record)
}

/// `27 payloads: 26 valid, 1 invalid`, then (with `table`) the count of each event id.
pub fn summary(
    out: &mut impl Write,
    summary: &Summary,
    table: bool,
    style: Style,
) -> io::Result<()> {
    let invalid = format!("{} invalid", summary.invalid);
    let invalid = if summary.invalid > 0 {
        style.bad(&invalid)
    } else {
        invalid
    };
    let mut line = format!(
        "{} payload{}: {} valid, {invalid}",
        summary.payloads,
        if summary.payloads == 1 { "" } else { "s" },
        summary.valid
    );
    if summary.warnings > 0 {
        let warnings = format!(
            ", {} warning{}",
            summary.warnings,
            if summary.warnings == 1 { "" } else { "s" }
        );
        line.push_str(&style.warn(&warnings));
    }
    if summary.unreadable > 0 {
        let unreadable = format!(
            ", {} unreadable input{}",
            summary.unreadable,
            if summary.unreadable == 1 { "" } else { "s" }
        );
        line.push_str(&style.bad(&unreadable));
    }
    if summary.skipped > 0 {
        line.push_str(&format!(", {} skipped (--events)", summary.skipped));
    }
    writeln!(out, "{line}")?;
    if table {
        counts(out, &summary.by_event)?;
    }
    Ok(())
}

/// With `--undocumented`: each event's fields the catalog does not document, and in how many
/// payloads they appeared.
pub fn undocumented(out: &mut impl Write, summary: &Summary, style: Style) -> io::Result<()> {
    if summary.undocumented.is_empty() {
        return writeln!(out, "no undocumented fields");
    }
    writeln!(
        out,
        "{}",
        style.strong("undocumented fields (payloads carrying each):")
    )?;
    for (event, fields) in &summary.undocumented {
        writeln!(out, "  {}", style.strong(&p(event)))?;
        let width = fields
            .keys()
            .map(|f| p(f).chars().count())
            .max()
            .unwrap_or(0);
        for (field, count) in fields {
            writeln!(out, "    {}  {count:>6}", pad_end(&p(field), width))?;
        }
    }
    Ok(())
}

/// The summary of one payload for a person, then its errors and warnings.
pub fn inspection(
    out: &mut impl Write,
    view: &View,
    record: &Record,
    style: Style,
) -> io::Result<()> {
    let mark = mark(view.valid, style);
    let mut header = format!(
        "{mark} {}",
        style.strong(&p(view.event.as_deref().unwrap_or(NO_EVENT_ID)))
    );
    if let Some(object_id) = &view.object_id {
        header.push_str(&format!(" #{}", p(object_id)));
    }
    match view.description {
        Some(description) => header.push_str(&format!(" · {description}")),
        None if view.event.is_some() => header.push_str(" · unknown event"),
        None => {}
    }
    if let Some(when) = &view.when {
        header.push_str(&format!(" · {}", p(when)));
    }
    writeln!(out, "{header}")?;
    let rows: Vec<(&str, &Cell)> = view
        .rows
        .iter()
        .map(|row| (row.label.as_str(), &row.cell))
        .collect();
    let source = Cell::Text(format!("{}:{}", record.source, record.line));
    // Every cell shown escaped; the table's widths are those of what is shown.
    let rows: Vec<(&str, Cell)> = rows
        .into_iter()
        .map(|(label, cell)| (label, escaped_cell(cell)))
        .chain([("source", escaped_cell(&source))])
        .collect();
    let width = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
    for (label, cell) in &rows {
        let padded = format!("{label:<width$}");
        match cell {
            Cell::Text(text) => writeln!(out, "    {}  {text}", style.dim(&padded))?,
            Cell::Table(columns) => {
                let widths: Vec<usize> = columns
                    .iter()
                    .map(|(name, value)| name.len().max(value.len()))
                    .collect();
                let names: Vec<String> = columns
                    .iter()
                    .zip(&widths)
                    .map(|((name, _), w)| pad_end(name, *w))
                    .collect();
                let values: Vec<String> = columns
                    .iter()
                    .zip(&widths)
                    .map(|((_, value), w)| pad_start(value, *w))
                    .collect();
                writeln!(
                    out,
                    "    {}  {}",
                    style.dim(&padded),
                    style.dim(names.join("  ").trim_end())
                )?;
                writeln!(out, "    {:width$}  {}", "", values.join("  "))?;
            }
        }
    }
    for (path, value) in &view.other {
        writeln!(out, "    {} = {}", style.dim(&p(path)), p(value))?;
    }
    issues(out, record, style, "    ")?;
    writeln!(out)
}

/// A cell with its payload text escaped.
fn escaped_cell(cell: &Cell) -> Cell {
    match cell {
        Cell::Text(text) => Cell::Text(p(text).into_owned()),
        Cell::Table(columns) => Cell::Table(
            columns
                .iter()
                .map(|(name, value)| (p(name).into_owned(), p(value).into_owned()))
                .collect(),
        ),
    }
}

/// The catalog by category, as text.
pub fn events_text(out: &mut impl Write, style: Style) -> io::Result<()> {
    let width = EVENTS.iter().map(|event| event.id.len()).max().unwrap_or(0);
    let mut category = None;
    for event in EVENTS {
        if category != Some(event.category) {
            if category.is_some() {
                writeln!(out)?;
            }
            category = Some(event.category);
            writeln!(out, "{}", style.strong(event.category.name()))?;
        }
        writeln!(out, "  {:<width$}  {}", event.id, event.description)?;
    }
    Ok(())
}

/// The catalog as a JSON array of `{id, category, description}`.
pub fn events_json(out: &mut impl Write) -> io::Result<()> {
    let list: Vec<serde_json::Value> = EVENTS
        .iter()
        .map(|event: &Event| {
            serde_json::json!({
                "id": event.id,
                "category": event.category.name(),
                "description": event.description,
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &list)?;
    out.write_all(b"\n")
}

/// A JSON value, pretty-printed, with a final newline.
pub fn json_pretty(out: &mut impl Write, value: &serde_json::Value) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.write_all(b"\n")
}

/// `jerahook: <message>` on the error stream, for information rather than a failure.
pub fn note(out: &mut impl Write, message: &str, style: Style) -> io::Result<()> {
    writeln!(out, "{} {message}", style.dim("jerahook:"))
}

/// `jerahook: <message>` on the error stream.
pub fn error(out: &mut impl Write, message: &str, style: Style) -> io::Result<()> {
    writeln!(out, "{} {message}", style.bad("jerahook:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn invalid_record() -> Record {
        Record {
            source: "capture.ndjson".into(),
            index: 2,
            line: 3,
            event: Some("clients.create".into()),
            object_id: Some(serde_json::json!("12")),
            valid: false,
            errors: vec![Issue {
                line: 3,
                column: 120,
                ..Issue::new(
                    crate::judge::codes::Code::Schema,
                    "/data/name",
                    "expected a string, found the number 5",
                )
            }],
            warnings: vec![],
            undocumented: vec![],
        }
    }

    #[test]
    fn an_invalid_record_lists_its_errors_beneath_it() {
        let out = text(|out| record_text(out, &invalid_record(), Style { color: false }));
        assert_eq!(
            out,
            "✗ capture.ndjson:3  clients.create  12\n  capture.ndjson:3:120: /data/name: expected a string, found the number 5\n"
        );
    }

    #[test]
    fn long_lines_are_cut_around_the_value() {
        let text = format!("{}\"bad\"{}", "a".repeat(300), "b".repeat(300));
        let (shown, caret) = window(&Snippet {
            text,
            start: 300,
            width: 5,
        });
        assert!(shown.starts_with('…') && shown.ends_with('…'));
        assert_eq!(
            shown.chars().skip(caret).take(5).collect::<String>(),
            "\"bad\""
        );
        assert!(shown.chars().count() <= SNIPPET_WIDTH + 2);
    }

    #[test]
    fn colour_only_when_asked() {
        let plain = text(|out| record_text(out, &invalid_record(), Style { color: false }));
        assert!(!plain.contains('\x1b'));
        colored::control::set_override(true);
        let colored = text(|out| record_text(out, &invalid_record(), Style { color: true }));
        assert!(colored.contains('\x1b'));
    }

    #[test]
    fn json_records_have_exactly_the_documented_keys() {
        let out = text(|out| record_json(out, &invalid_record()));
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "source",
                "index",
                "line",
                "event",
                "object_id",
                "valid",
                "errors",
                "warnings"
            ]
        );
        assert_eq!(
            value["errors"][0],
            serde_json::json!({
                "path": "/data/name",
                "message": "expected a string, found the number 5",
                "schema_path": "",
                "code": "schema",
                "line": 3,
                "column": 120
            })
        );
    }
}

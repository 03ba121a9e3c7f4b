//! Judges payloads: picks the schema by the payload's own `events_id`, validates, adds what the
//! catalog and `checks` know, and finds where in the input each finding is.
//!
//! Invalid payloads are data, not errors: `Err` is kept for a schema that cannot be used.

use std::borrow::Cow;

use anyhow::Result;
use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use crate::catalog::{self, Event, Lookup};
use crate::input::parse;
use crate::input::reader::{self, Piece, Position};
use crate::judge::checks;
use crate::judge::codes::{Code, CodeSet};
use crate::judge::fast;
use crate::judge::locate;
use crate::judge::messages;
use crate::judge::report::{Issue, Record, Snippet};
use crate::judge::schemas::SchemaSet;

/// What a run asks of every payload.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Every payload must be this event (`--expect-event`).
    pub event: Option<&'static Event>,
    /// Payloads of unknown events are checked against the envelope and only warned about.
    pub allow_unknown: bool,
    /// Warnings count as errors (`--strict`).
    pub strict: bool,
    /// Warning codes not to report (`--allow`).
    pub allowed: CodeSet,
    /// Collect fields the catalog does not document (`--undocumented`).
    pub undocumented: bool,
    /// Describe payload values by type and length only (`--redact`).
    pub redact: bool,
    /// Seconds since the epoch for date checks; `None` reads the clock for each payload (the
    /// pipeline, once for each batch of payloads that arrived together), so a long `tail -f`
    /// run judges every payload against its own time of arrival.
    pub now: Option<i64>,
    /// Documents over this many bytes are dropped while read (`--max-doc`).
    pub max_doc: usize,
    /// The caller wants each parsed payload back (to show it). Without it, a payload the fast
    /// lane passes is judged without building it.
    pub keep_payload: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            event: None,
            allow_unknown: false,
            strict: false,
            allowed: CodeSet::default(),
            undocumented: false,
            redact: false,
            now: None,
            max_doc: reader::DEFAULT_MAX_DOC,
            keep_payload: true,
        }
    }
}

impl Options {
    /// The time to judge dates against: the one set, or now.
    pub fn now_or_clock(&self) -> i64 {
        self.now.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| {
                    i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
                })
        })
    }
}

/// The verdict on one parsed payload.
#[derive(Debug, Default)]
pub struct Verdict {
    pub event: Option<String>,
    pub object_id: Option<Value>,
    pub errors: Vec<Issue>,
    pub warnings: Vec<Issue>,
}

const EVENTS_ID: &str = "/event/events_id";

/// Errors reported per payload at most; a payload with more says that it has more. A broken
/// generator can make thousands, and nobody reads past the first screen.
pub const MAX_ERRORS: usize = 100;

/// The last error of a payload that has more than [`MAX_ERRORS`].
const MORE_ERRORS: &str = "more errors than these; fix these first and check again";

/// At most this many warnings are reported per payload, then one note says how many more.
pub const MAX_WARNINGS: usize = 100;

/// Validates one parsed payload against its schema and the catalog. Positions are left for
/// [`judge`], which has the text.
pub fn check(payload: &Value, schemas: &SchemaSet, options: Options) -> Result<Verdict> {
    let mut verdict = Verdict::default();
    if !payload.is_object() {
        verdict.errors.push(Issue::new(
            Code::Schema,
            "",
            format!(
                "expected a payload object with \"event\" and \"data\", found {}",
                messages::describe_value(payload)
            ),
        ));
        return Ok(verdict);
    }
    // Plain field access: `Value::pointer` splits and unescapes its path on every call.
    let envelope = payload.get("event");
    verdict.object_id = envelope.and_then(|event| event.get("object_id")).cloned();
    let id = envelope
        .and_then(|event| event.get("events_id"))
        .and_then(Value::as_str);
    verdict.event = id.map(str::to_string);
    let event = match id.map(catalog::lookup) {
        // No usable events_id: the envelope says what is missing or wrong.
        None => None,
        Some(Lookup::Known(event)) => Some(event),
        Some(Lookup::Old(event, old)) => {
            verdict.warnings.push(Issue::new(
                Code::OldEventName,
                EVENTS_ID,
                format!(
                    "\"{}\" is the name VCS used before {}; it is now \"{}\"",
                    old.name, old.renamed_in, event.id
                ),
            ));
            Some(event)
        }
        Some(Lookup::Unknown) => {
            let message = unknown_event_message(id.unwrap_or_default());
            if options.allow_unknown {
                verdict.warnings.push(Issue::new(
                    Code::UnknownEvent,
                    EVENTS_ID,
                    format!("{message}; checked against the envelope only"),
                ));
            } else {
                verdict
                    .errors
                    .push(Issue::new(Code::UnknownEvent, EVENTS_ID, message));
            }
            None
        }
    };
    if let (Some(wanted), Some(id)) = (options.event, id) {
        if !event.is_some_and(|event| std::ptr::eq(wanted, event)) {
            verdict.errors.push(Issue::new(
                Code::EventMismatch,
                EVENTS_ID,
                format!(
                    "events_id is \"{id}\" but --expect-event asked for \"{}\"",
                    wanted.id
                ),
            ));
        }
    }
    let validator = match event {
        Some(event) => schemas.validator(event)?,
        None => schemas.envelope()?,
    };
    schema_errors(validator, payload, options.redact, &mut verdict.errors);
    let mut checked = checks::warnings(payload, event, options.now_or_clock(), options.redact);
    // Most often the only warnings: taken as they are, not copied (there may be thousands).
    if verdict.warnings.is_empty() {
        verdict.warnings = checked;
    } else {
        verdict.warnings.append(&mut checked);
    }
    Ok(verdict)
}

/// `unknown event id "clients.explode"; did you mean "clients.update"?`
pub fn unknown_event_message(id: &str) -> String {
    match catalog::suggest(id) {
        Some(near) => format!("unknown event id \"{id}\"; did you mean \"{near}\"?"),
        None => format!("unknown event id \"{id}\"; `jerahook events` lists the known ones"),
    }
}

fn schema_errors(validator: &Validator, payload: &Value, redact: bool, errors: &mut Vec<Issue>) {
    // Most payloads are valid, and asking only that is much cheaper than collecting errors.
    if validator.is_valid(payload) {
        return;
    }
    let start = errors.len();
    for error in validator.iter_errors(payload).take(MAX_ERRORS + 1) {
        let error = best_match(&error);
        let path = error.instance_path().to_string();
        let redact = redact && path.starts_with("/data");
        let mut issue = Issue::new(Code::Schema, path, describe_composite(error, redact));
        issue.schema_path = error.evaluation_path().to_string();
        errors.push(issue);
    }
    if errors.len() - start > MAX_ERRORS {
        errors.truncate(start + MAX_ERRORS);
        errors.push(Issue::new(Code::Schema, "", MORE_ERRORS));
    }
    // A value the event pins fails both the pin and the record's list of values, and in a
    // schema of the user's own a value may fail both a format and a pattern beside it: in
    // each case one error says it.
    drop_shadowed(errors, start, "/const", "/enum");
    drop_shadowed(errors, start, "/format", "/pattern");
    // A field an event requires is declared again beside `required`, with the record's own
    // schema: a wrong value there fails both copies the same way, and one error says it.
    let mut seen = std::collections::HashSet::new();
    let mut index = 0;
    errors.retain(|issue| {
        index += 1;
        index <= start || seen.insert((issue.path.clone(), issue.message.clone()))
    });
}

/// Removes, from `errors[start..]`, every error of keyword `loser` at a path where an error of
/// keyword `winner` already stands.
fn drop_shadowed(errors: &mut Vec<Issue>, start: usize, winner: &str, loser: &str) {
    let shadowed: Vec<String> = errors[start..]
        .iter()
        .filter(|issue| issue.schema_path.ends_with(winner))
        .map(|issue| issue.path.clone())
        .collect();
    let mut index = 0;
    errors.retain(|issue| {
        index += 1;
        index <= start || !(issue.schema_path.ends_with(loser) && shadowed.contains(&issue.path))
    });
}

/// For `anyOf` / `oneOf` failures, the error of the branch that came closest: the one that got
/// deepest into the value, then the one with the fewest errors. One error, not a cascade.
fn best_match<'a>(error: &'a ValidationError<'a>) -> &'a ValidationError<'a> {
    let context = match error.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            context
        }
        _ => return error,
    };
    if same_place_type_errors(error, context) {
        return error;
    }
    context
        .iter()
        .filter(|branch| !branch.is_empty())
        .max_by_key(|branch| {
            // A branch whose type fits the value got further than one that fails on the type.
            let type_fits = !branch.iter().all(|e| {
                e.instance_path() == error.instance_path()
                    && matches!(e.kind(), ValidationErrorKind::Type { .. })
            });
            let depth = branch
                .iter()
                .map(|e| e.instance_path().as_str().matches('/').count())
                .max()
                .unwrap_or(0);
            (type_fits, depth, std::cmp::Reverse(branch.len()))
        })
        .and_then(|branch| branch.first())
        .map_or(error, |nested| best_match(nested))
}

/// Every branch failed only on the type of the value itself: the union of types says it.
fn same_place_type_errors(
    error: &ValidationError<'_>,
    context: &[Vec<ValidationError<'_>>],
) -> bool {
    context.iter().all(|branch| {
        branch.len() == 1
            && branch[0].instance_path() == error.instance_path()
            && matches!(branch[0].kind(), ValidationErrorKind::Type { .. })
    })
}

fn describe_composite(error: &ValidationError<'_>, redact: bool) -> String {
    let context = match error.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            context
        }
        _ => return messages::describe(error, redact),
    };
    // Only reached when every branch failed on the type: "expected an object or null, ...".
    let expected: Vec<String> = context
        .iter()
        .map(|branch| {
            let text = messages::describe(&branch[0], redact);
            let text = text.strip_prefix("expected ").unwrap_or(&text).to_string();
            text.split(", found ")
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    let found = if redact {
        messages::redacted(error.instance())
    } else {
        messages::describe_value(error.instance())
    };
    format!("expected {}, found {found}", expected.join(" or "))
}

/// Parses and judges one piece of input into its record (and the payload, when it parsed).
pub fn judge(
    piece: Piece,
    source: &str,
    index: usize,
    schemas: &SchemaSet,
    options: Options,
) -> Result<(Record, Option<Value>)> {
    let mut record = blank_record(source, index);
    let (start, bytes) = match piece {
        Piece::Stray { start, text } => {
            record.line = start.line;
            let mut issue = Issue::new(
                Code::Json,
                "",
                if options.redact {
                    format!(
                        "expected a JSON document, found {} characters of other text",
                        text.chars().count()
                    )
                } else {
                    format!("expected a JSON document, found \"{text}\"")
                },
            );
            place(
                &mut issue,
                start,
                text.as_bytes(),
                0,
                text.len(),
                options.redact,
            );
            record.errors.push(issue);
            return Ok((record, None));
        }
        Piece::NotUtf8 { encoding, bom } => {
            let evidence = if bom {
                format!("it starts with a {encoding} byte order mark")
            } else {
                "it has no byte order mark, but NUL bytes beside its characters".to_string()
            };
            record.line = 1;
            record.errors.push(Issue {
                line: 1,
                column: 1,
                ..Issue::new(
                    Code::Json,
                    "",
                    format!(
                        "not UTF-8: this input is {encoding} ({evidence}); convert it first, for example with `iconv -f {encoding} -t UTF-8`"
                    ),
                )
            });
            return Ok((record, None));
        }
        Piece::TooLarge { start, size, limit } => {
            record.line = start.line;
            record.errors.push(Issue {
                line: start.line,
                column: start.column,
                ..Issue::new(
                    Code::TooLarge,
                    "",
                    format!(
                        "document of {size} bytes is larger than the --max-doc limit of {limit} bytes; skipped, reading resumed after it"
                    ),
                )
            });
            return Ok((record, None));
        }
        Piece::Value { start, bytes } => (start, bytes),
    };
    judge_document(record, start, &bytes, schemas, options)
}

/// [`judge`] for the bytes of what should be one JSON document, starting at `start`.
pub fn judge_value(
    start: Position,
    bytes: &[u8],
    source: &str,
    index: usize,
    schemas: &SchemaSet,
    options: Options,
) -> Result<(Record, Option<Value>)> {
    judge_document(blank_record(source, index), start, bytes, schemas, options)
}

/// The record of a payload not judged yet.
fn blank_record(source: &str, index: usize) -> Record {
    Record {
        source: source.to_string(),
        index,
        line: 0,
        event: None,
        object_id: None,
        valid: false,
        errors: Vec::new(),
        warnings: Vec::new(),
        undocumented: Vec::new(),
    }
}

fn judge_document(
    mut record: Record,
    start: Position,
    bytes: &[u8],
    schemas: &SchemaSet,
    options: Options,
) -> Result<(Record, Option<Value>)> {
    record.line = start.line;
    // `--undocumented` lists fields of valid payloads too: only the full judge collects them.
    if !options.keep_payload && !options.undocumented {
        let asked = fast::Asked {
            event: options.event,
            now: options.now_or_clock(),
        };
        if let Some(passed) = fast::pass(bytes, schemas, asked) {
            record.event = Some(Cow::Borrowed(passed.event.id));
            record.object_id = Some(passed.object_id);
            record.valid = true;
            return Ok((record, None));
        }
    }
    let parsed = match parse::parse(bytes) {
        Ok(parsed) => parsed,
        Err(error) => {
            let offset = reader::offset_of(bytes, error.line(), error.column());
            let mut issue = Issue::new(Code::Json, "", parse_message(&error));
            place(&mut issue, start, bytes, offset, offset + 1, options.redact);
            record.errors.push(issue);
            return Ok((record, None));
        }
    };
    let payload = parsed.value;
    let mut verdict = check(&payload, schemas, options)?;
    verdict
        .warnings
        .retain(|warning| !options.allowed.contains(warning.code));
    if !options.strict && !parsed.has_duplicate_keys {
        // Without a repeated key, the keys beside event and data are warned about in the order
        // of the text: past the first that can be shown, and one to say there are more, they
        // would only be located to be left out.
        let mut extra = 0;
        verdict.warnings.retain(|warning| {
            extra += usize::from(warning.code == Code::ExtraTopLevelKey);
            warning.code != Code::ExtraTopLevelKey || extra <= MAX_WARNINGS + 1
        });
    }
    // Known spans of the warnings, by position (`None`: found by the issue's path).
    let mut spans: Vec<Option<locate::Span>> = vec![None; verdict.warnings.len()];
    if parsed.has_duplicate_keys && !options.allowed.contains(Code::DuplicateKey) {
        // One past the cap is enough to know a note is due; the rest is never collected.
        for duplicate in locate::duplicate_keys(bytes, MAX_WARNINGS + 1) {
            let pointer = format!(
                "{}/{}",
                duplicate.object,
                locate::escape_token(&duplicate.key)
            );
            let issue = Issue::new(
                Code::DuplicateKey,
                pointer,
                format!(
                    "duplicate key \"{}\": this object has it more than once; jerahook checked the last value, other parsers may take the first",
                    duplicate.key
                ),
            );
            verdict.warnings.push(issue);
            // The key with its quotes.
            spans.push(Some(locate::Span {
                start: duplicate.offset,
                end: duplicate.offset + duplicate.key.len() + 2,
            }));
        }
    }
    let (mut error_spans, warning_spans) =
        locate_issues(bytes, &verdict.errors, &verdict.warnings, &spans);
    let mut errors = verdict.errors;
    let mut warnings = verdict.warnings;
    if options.strict {
        errors.append(&mut warnings);
        error_spans.extend(&warning_spans);
    }
    // Only what is shown is placed: a payload with a hundred thousand warnings costs the
    // placing of a hundred.
    let (mut errors, _) = in_text_order(errors, &error_spans, usize::MAX);
    let (mut warnings, left_out) = in_text_order(warnings, &warning_spans, MAX_WARNINGS);
    place_all(&mut errors, &mut warnings, start, bytes, options.redact);
    verdict.errors = errors.into_iter().map(|(_, issue)| issue).collect();
    verdict.warnings = warnings.into_iter().map(|(_, issue)| issue).collect();
    if let Some(code) = left_out {
        verdict.warnings.push(Issue {
            line: start.line,
            column: start.column,
            ..Issue::new(
                code,
                "",
                format!("more than {MAX_WARNINGS} warnings; the first {MAX_WARNINGS} are shown"),
            )
        });
    }
    if options.undocumented {
        if let Some(Lookup::Known(event) | Lookup::Old(event, _)) =
            verdict.event.as_deref().map(catalog::lookup)
        {
            record.undocumented = checks::undocumented(&payload, event);
        }
    }
    record.event = verdict.event.map(Cow::Owned);
    record.object_id = verdict.object_id;
    record.valid = verdict.errors.is_empty();
    record.errors = verdict.errors;
    record.warnings = verdict.warnings;
    Ok((record, Some(payload)))
}

/// The span in the text of every error and every warning: the one given (warnings, by
/// position), or that of the value its path names, all found in one walk of the text. An
/// issue whose value is not found is about the start of the document.
fn locate_issues(
    bytes: &[u8],
    errors: &[Issue],
    warnings: &[Issue],
    warning_spans: &[Option<locate::Span>],
) -> (Vec<locate::Span>, Vec<locate::Span>) {
    let given: Vec<Option<locate::Span>> = std::iter::repeat_n(None, errors.len())
        .chain(warning_spans.iter().copied().chain(std::iter::repeat(None)))
        .take(errors.len() + warnings.len())
        .collect();
    let pointers: Vec<&str> = errors
        .iter()
        .chain(warnings)
        .zip(&given)
        .filter(|(_, span)| span.is_none())
        .map(|(issue, _)| issue.path.as_str())
        .collect();
    let mut found = locate::locate_all(bytes, &pointers).into_iter();
    let mut spans: Vec<locate::Span> = given
        .into_iter()
        .map(|span| {
            span.or_else(|| found.next().flatten())
                .unwrap_or(locate::Span { start: 0, end: 1 })
        })
        .collect();
    let warning_spans = spans.split_off(errors.len());
    (spans, warning_spans)
}

/// The first `most` of `issues` in the order a reader of the input meets them (by their
/// `spans`; the note that more errors were left out last), each with its span, and the code
/// of the first one left out. Byte offsets order issues as their lines and columns will; only
/// the issues kept are moved.
fn in_text_order(
    issues: Vec<Issue>,
    spans: &[locate::Span],
    most: usize,
) -> (Vec<(locate::Span, Issue)>, Option<Code>) {
    let mut order: Vec<usize> = (0..issues.len()).collect();
    order.sort_by_key(|&i| (issues[i].message == MORE_ERRORS, spans[i].start));
    let left_out = order.get(most).map(|&i| issues[i].code);
    order.truncate(most);
    let mut rank = vec![usize::MAX; issues.len()];
    for (place, &i) in order.iter().enumerate() {
        rank[i] = place;
    }
    let mut kept: Vec<Option<(locate::Span, Issue)>> = Vec::new();
    kept.resize_with(order.len(), || None);
    for (i, issue) in issues.into_iter().enumerate() {
        if let Some(slot) = kept.get_mut(rank[i]) {
            *slot = Some((spans[i], issue));
        }
    }
    (kept.into_iter().flatten().collect(), left_out)
}

/// Places the issues at their spans: positions are found in one pass over the text, in text
/// order, so a payload with many issues costs no more than one with a few.
fn place_all(
    errors: &mut [(locate::Span, Issue)],
    warnings: &mut [(locate::Span, Issue)],
    origin: Position,
    bytes: &[u8],
    redact: bool,
) {
    let mut todo: Vec<&mut (locate::Span, Issue)> =
        errors.iter_mut().chain(warnings.iter_mut()).collect();
    todo.sort_by_key(|(span, _)| span.start);
    let mut cursor = (0, origin);
    for (span, issue) in todo {
        let start = span.start.min(bytes.len());
        cursor = (
            start,
            reader::position_at(cursor.1, &bytes[cursor.0..], start - cursor.0),
        );
        place_at(issue, cursor.1, bytes, start, span.end, redact);
    }
}

/// Sets an issue's line, column and source snippet from the byte span `start..end` of a piece
/// that begins at `origin`. Redacted output shows no source text.
fn place(
    issue: &mut Issue,
    origin: Position,
    bytes: &[u8],
    start: usize,
    end: usize,
    redact: bool,
) {
    let start = start.min(bytes.len());
    let at = reader::position_at(origin, bytes, start);
    place_at(issue, at, bytes, start, end, redact);
}

/// [`place`] with the position of `start` already known.
fn place_at(issue: &mut Issue, at: Position, bytes: &[u8], start: usize, end: usize, redact: bool) {
    issue.line = at.line;
    issue.column = at.column;
    if redact {
        return;
    }
    let is_break = |b: &u8| *b == b'\n' || *b == b'\r';
    // Only a window of a long line is kept (a payload on one line may be megabytes long), so
    // the line's ends are looked for only that far.
    let window_start = start.saturating_sub(SNIPPET_BEFORE);
    let window_end = (start + SNIPPET_AFTER).min(bytes.len());
    let line_start = bytes[window_start..start]
        .iter()
        .rposition(is_break)
        .map(|i| window_start + i + 1)
        .or((window_start == 0).then_some(0));
    let line_end = bytes[start..window_end]
        .iter()
        .position(is_break)
        .map(|i| start + i)
        .or((window_end == bytes.len()).then_some(bytes.len()));
    let from = floor_char(bytes, line_start.unwrap_or(window_start));
    let to = floor_char(bytes, line_end.unwrap_or(window_end)).max(start);
    let mut text = String::new();
    if line_start.is_none_or(|line_start| from > line_start) {
        text.push('…');
    }
    let before =
        text.chars().count() + String::from_utf8_lossy(&bytes[from..start]).chars().count();
    text.push_str(&String::from_utf8_lossy(&bytes[from..to]));
    if line_end.is_none_or(|line_end| to < line_end) {
        text.push('…');
    }
    let width = String::from_utf8_lossy(&bytes[start..end.clamp(start, to)])
        .chars()
        .count();
    issue.snippet = Some(Snippet {
        text,
        start: before,
        width: width.max(1),
    });
}

/// How much of a source line a snippet keeps before and after the value (bytes).
const SNIPPET_BEFORE: usize = 40;
const SNIPPET_AFTER: usize = 80;

/// `at`, or the start of the UTF-8 character it falls inside.
fn floor_char(bytes: &[u8], mut at: usize) -> usize {
    while at > 0 && at < bytes.len() && bytes[at] & 0xC0 == 0x80 {
        at -= 1;
    }
    at
}

/// `invalid JSON: expected ',' or '}' after an object entry` (the issue carries the position).
fn parse_message(error: &serde_json::Error) -> String {
    let full = error.to_string();
    // serde_json appends its own (piece-relative) position; ours replaces it.
    let reason = match full.rfind(" at line ") {
        Some(cut) => &full[..cut],
        None => &full,
    };
    let reason = match reason {
        "recursion limit exceeded" => "nested deeper than 128 levels".to_string(),
        "invalid unicode code point" => "a string holds bytes that are not UTF-8".to_string(),
        "unexpected end of hex escape" | "lone leading surrogate in hex escape" => {
            "a \\u escape that is not a whole character (a lone UTF-16 surrogate such as \\ud800)"
                .to_string()
        }
        "number out of range" => "a number too large to represent".to_string(),
        other => other.replace("EOF while parsing", "the document ends inside"),
    };
    format!("invalid JSON: {reason}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn options() -> Options {
        Options {
            now: Some(1_800_000_000),
            ..Options::default()
        }
    }

    fn verdict(payload: Value, options: Options) -> Verdict {
        check(&payload, &SchemaSet::built_in(), options).unwrap()
    }

    fn sample(id: &str) -> Value {
        serde_json::from_str(catalog::find(id).unwrap().example).unwrap()
    }

    fn judged(text: &str, options: Options) -> Record {
        let piece = reader::Splitter::new(text.as_bytes())
            .next()
            .unwrap()
            .unwrap();
        judge(piece, "-", 0, &SchemaSet::built_in(), options)
            .unwrap()
            .0
    }

    #[test]
    fn every_sample_is_valid() {
        for event in catalog::EVENTS {
            let result = verdict(sample(event.id), options());
            assert!(
                result.errors.is_empty(),
                "{}: {:?}",
                event.id,
                result.errors
            );
            assert!(result.warnings.is_empty(), "{}", event.id);
        }
    }

    #[test]
    fn the_old_custom_fields_name_is_valid_with_a_warning() {
        let mut payload = sample("clients.custom_fields.update");
        payload["event"]["events_id"] = json!("clients.custom_fields_update");
        let result = verdict(payload, options());
        assert!(result.errors.is_empty(), "{:?}", result.errors);
        assert_eq!(result.warnings.len(), 1);
        assert_eq!(result.warnings[0].code, Code::OldEventName);
        assert!(result.warnings[0].message.contains("before 3.23"));
    }

    #[test]
    fn unknown_events_fail_unless_allowed() {
        let mut payload = sample("clients.update");
        payload["event"]["events_id"] = json!("clients.updat");
        let strict = verdict(payload.clone(), options());
        assert_eq!(
            strict.errors[0].message,
            "unknown event id \"clients.updat\"; did you mean \"clients.update\"?"
        );
        let lenient = verdict(
            payload,
            Options {
                allow_unknown: true,
                ..options()
            },
        );
        assert!(lenient.errors.is_empty(), "{:?}", lenient.errors);
        assert_eq!(lenient.warnings[0].path, "/event/events_id");
    }

    #[test]
    fn event_option_rejects_other_events() {
        let result = verdict(
            sample("clients.create"),
            Options {
                event: catalog::find("clients.update"),
                ..options()
            },
        );
        assert_eq!(result.errors.len(), 1);
        assert_eq!(result.errors[0].code, Code::EventMismatch);
        assert_eq!(
            result.errors[0].message,
            "events_id is \"clients.create\" but --expect-event asked for \"clients.update\""
        );
    }

    #[test]
    fn a_bad_date_time_is_one_error() {
        let mut payload = sample("clients.create");
        payload["event"]["dt"] = json!("yesterday");
        let result = verdict(payload, options());
        assert_eq!(result.errors.len(), 1, "{:?}", result.errors);
        assert_eq!(result.errors[0].path, "/event/dt");
    }

    #[test]
    fn errors_point_at_the_value_in_the_input() {
        let text = "\n{\"event\": {\"dt\": \"2000-01-01T00:00:00Z\", \"events_id\": \"clients.create\", \"object_id\": 1},\n \"data\": {\"id\": 1, \"name\": \"x\", \"companies_id\": \"34abc\"}}";
        let record = judged(text, options());
        let error = &record.errors[0];
        assert_eq!(error.path, "/data/companies_id");
        assert_eq!(
            error.message,
            "expected an integer, found the string \"34abc\""
        );
        assert_eq!((error.line, error.column), (3, 49));
        let snippet = error.snippet.as_ref().unwrap();
        assert_eq!(
            snippet
                .text
                .chars()
                .skip(snippet.start)
                .take(snippet.width)
                .collect::<String>(),
            "\"34abc\""
        );
    }

    #[test]
    fn a_missing_field_points_at_the_object_that_lacks_it() {
        let text = "{\"event\": {\"dt\": \"2000-01-01T00:00:00Z\", \"events_id\": \"clients.create\", \"object_id\": 1},\n  \"data\": {\"id\": 1, \"companies_id\": 3}}";
        let error = &judged(text, options()).errors[0];
        assert_eq!(error.message, "missing required field \"name\"");
        assert_eq!((error.line, error.column), (2, 11));
    }

    #[test]
    fn strict_turns_warnings_into_errors_and_allow_silences_them() {
        let text = r#"{"event": {"dt": "1970-01-01T00:00:00Z", "events_id": "clients.archive", "object_id": 1}, "data": {}, "x": 1}"#;
        let plain = judged(text, options());
        assert!(plain.valid);
        let codes: Vec<Code> = plain.warnings.iter().map(|w| w.code).collect();
        assert_eq!(codes, [Code::AncientDt, Code::ExtraTopLevelKey]);
        let strict = judged(
            text,
            Options {
                strict: true,
                ..options()
            },
        );
        assert!(!strict.valid);
        assert_eq!(strict.errors.len(), 2);
        let mut allowed = CodeSet::default();
        allowed.insert(Code::AncientDt);
        let quiet = judged(
            text,
            Options {
                strict: true,
                allowed,
                ..options()
            },
        );
        assert_eq!(quiet.errors.len(), 1);
        assert_eq!(quiet.errors[0].code, Code::ExtraTopLevelKey);
    }

    #[test]
    fn duplicate_keys_are_found_where_they_are() {
        let text = "{\"event\": {\"dt\": \"2000-01-01T00:00:00Z\", \"events_id\": \"clients.update\", \"object_id\": 1},\n\"data\": {\"id\": 1, \"name\": \"a\", \"name\": \"b\"}}";
        let record = judged(text, options());
        assert!(record.valid);
        let warning = &record.warnings[0];
        assert_eq!(warning.code, Code::DuplicateKey);
        assert_eq!(warning.path, "/data/name");
        assert_eq!((warning.line, warning.column), (2, 32));
    }

    #[test]
    fn redaction_hides_data_values_and_source_lines() {
        let text = r#"{"event": {"dt": "2000-01-01T00:00:00Z", "events_id": "clients.create", "object_id": 1}, "data": {"id": 1, "name": 5, "companies_id": "Jane Doe"}}"#;
        let record = judged(
            text,
            Options {
                redact: true,
                ..options()
            },
        );
        let messages: Vec<&str> = record.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "expected a string, found a number",
                "expected an integer, found a string of 8 characters"
            ]
        );
        assert!(record.errors.iter().all(|e| e.snippet.is_none()));
    }

    #[test]
    fn nullable_unions_and_any_of_give_one_error() {
        let schema = json!({"properties": {"a": {"anyOf": [
            {"type": "object", "required": ["x"]},
            {"type": "null"}
        ]}}});
        let validator = crate::judge::schemas::compile(&schema).unwrap();
        let mut errors = Vec::new();
        schema_errors(&validator, &json!({"a": "s"}), false, &mut errors);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].message,
            "expected an object or null, found the string \"s\""
        );
        errors.clear();
        schema_errors(&validator, &json!({"a": {}}), false, &mut errors);
        assert_eq!(errors[0].message, "missing required field \"x\"");
    }

    #[test]
    fn parse_errors_carry_the_position_in_the_input() {
        let piece = Piece::Value {
            start: Position { line: 5, column: 1 },
            bytes: b"{\"event\": {\n  \"dt\": x\n}}".to_vec(),
        };
        let (record, payload) = judge(piece, "-", 0, &SchemaSet::built_in(), options()).unwrap();
        assert!(payload.is_none());
        assert_eq!(record.line, 5);
        let error = &record.errors[0];
        assert_eq!(error.message, "invalid JSON: expected value");
        assert_eq!((error.line, error.column), (6, 9));
    }
}

#[cfg(test)]
mod fast_lane {
    //! The fast lane (`fast`) held to the full judge: on every documented payload, every
    //! `test-handler` case and thousands of mutants, what it passes the full judge passes.
    use crate::catalog::{self, Event};
    use crate::input::reader::{Piece, Position};
    use crate::judge::fast::{Asked, Plans, pass};
    use crate::judge::schemas::SchemaSet;
    use crate::judge::validate::{self, Options};
    use serde_json::{Value, json};

    /// 2027-01-15: after every documented date.
    const NOW: i64 = 1_800_000_000;

    fn asked() -> Asked {
        Asked {
            event: None,
            now: NOW,
        }
    }

    /// The full judge's record: valid and silent, or not.
    fn full(schemas: &SchemaSet, text: &str) -> crate::judge::report::Record {
        let options = Options {
            now: Some(NOW),
            ..Options::default()
        };
        let piece = Piece::Value {
            start: Position { line: 1, column: 1 },
            bytes: text.as_bytes().to_vec(),
        };
        validate::judge(piece, "-", 0, schemas, options).unwrap().0
    }

    /// Holds the lane to the full judge on `text`: what it passes, the full judge passes with
    /// no warning and the same event and object id. Returns whether it passed.
    fn agree(schemas: &SchemaSet, text: &str) -> bool {
        let record = full(schemas, text);
        let Some(passed) = pass(text.as_bytes(), schemas, asked()) else {
            return false;
        };
        assert!(
            record.valid && record.warnings.is_empty(),
            "the fast lane passed what the full judge does not:\n{text}\n{record:?}"
        );
        assert_eq!(record.event.as_deref(), Some(passed.event.id), "{text}");
        assert_eq!(record.object_id.as_ref(), Some(&passed.object_id), "{text}");
        true
    }

    /// A small deterministic generator, so a failure names a reproducible case.
    struct Dice(u64);

    impl Dice {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) as usize % n.max(1)
        }
    }

    /// Every place in a value, as JSON pointers.
    fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    pointers(inner, format!("{at}/{key}"), out);
                }
            }
            Value::Array(items) => {
                for (index, inner) in items.iter().enumerate() {
                    pointers(inner, format!("{at}/{index}"), out);
                }
            }
            _ => {}
        }
        out.push(at);
    }

    /// One change of the kind that makes a payload invalid, or suspect, or neither.
    fn mutate(payload: &Value, dice: &mut Dice) -> String {
        let mut payload = payload.clone();
        let mut places = Vec::new();
        pointers(&payload, String::new(), &mut places);
        let place = places[dice.below(places.len())].clone();
        let replacements = [
            json!(null),
            json!(0),
            json!(-1),
            json!(1.5),
            json!(1.0),
            json!(18_446_744_073_709_551_615_u64),
            json!(1e300),
            json!(""),
            json!("12a"),
            json!("0012"),
            json!("2022-02-30T00:00:00Z"),
            json!("2022-07-06 00:00:00+0000"),
            json!("2022-07-14"),
            json!("2099-01-01T00:00:00Z"),
            json!("1999-12-31T23:59:59Z"),
            json!("clients.update"),
            json!("clients.custom_fields_update"),
            json!("Clients.Create"),
            json!(true),
            json!({}),
            json!([]),
            json!([1, "a"]),
            json!({"id": 1}),
        ];
        match dice.below(5) {
            0 | 1 => {
                let value = replacements[dice.below(replacements.len())].clone();
                match payload.pointer_mut(&place) {
                    Some(slot) => *slot = value,
                    None => payload = value,
                }
            }
            2 => {
                // Remove the member, or add one beside it.
                let (parent, key) = place.rsplit_once('/').unwrap_or(("", ""));
                if let Some(Value::Object(map)) = payload.pointer_mut(parent) {
                    if dice.below(2) == 0 {
                        map.shift_remove(key);
                    } else {
                        map.insert("extra".into(), json!(dice.below(3)));
                    }
                }
            }
            3 => {
                // A key written twice.
                let text = payload.to_string();
                let (parent, key) = place.rsplit_once('/').unwrap_or(("", ""));
                if !key.is_empty() && !parent.is_empty() {
                    let needle = format!("\"{key}\":");
                    if let Some(at) = text.find(&needle) {
                        return format!("{}\"{key}\":0,{}", &text[..at], &text[at..]);
                    }
                }
                return text;
            }
            _ => {
                // The same payload written another way: pretty, escaped, or reordered.
                return match dice.below(3) {
                    0 => serde_json::to_string_pretty(&payload).unwrap(),
                    1 => payload.to_string().replace("\"id\"", "\"\\u0069d\""),
                    _ => {
                        if let Value::Object(map) = &mut payload {
                            let members: Vec<(String, Value)> =
                                std::mem::take(map).into_iter().rev().collect();
                            map.extend(members);
                        }
                        payload.to_string()
                    }
                };
            }
        }
        payload.to_string()
    }

    #[test]
    fn every_documented_payload_takes_the_fast_lane() {
        let schemas = SchemaSet::built_in();
        for (index, event) in catalog::EVENTS.iter().enumerate() {
            assert!(
                schemas.plan(index, event).is_some(),
                "{}: no plan",
                event.id
            );
            assert!(agree(&schemas, event.example), "{}", event.id);
        }
    }

    #[test]
    fn every_test_handler_case_agrees_with_the_full_judge() {
        let schemas = SchemaSet::built_in();
        let fresh = catalog::cases::Fresh::at(std::time::Duration::from_secs(NOW as u64 - 60), 2);
        let events: Vec<&'static Event> = catalog::EVENTS.iter().collect();
        let (mut passed, mut total) = (0, 0);
        for case in catalog::cases::generate(&events, &fresh) {
            for payload in &case.payloads {
                total += 1;
                passed += usize::from(agree(&schemas, &payload.to_string()));
            }
        }
        // Old names, extra fields and the like are left to the full judge; the rest pass here.
        assert!(passed * 2 > total, "{passed} of {total}");
    }

    #[test]
    fn mutated_payloads_never_pass_where_the_full_judge_objects() {
        let schemas = SchemaSet::built_in();
        let mut dice = Dice(7);
        let (mut passed, mut silent) = (0, 0);
        for event in catalog::EVENTS {
            let example: Value = serde_json::from_str(event.example).unwrap();
            for _ in 0..400 {
                let text = mutate(&example, &mut dice);
                let fast = agree(&schemas, &text);
                passed += usize::from(fast);
                let record = full(&schemas, &text);
                if record.valid && record.warnings.is_empty() {
                    silent += 1;
                }
            }
        }
        // The lane is not a formality: most mutants the full judge finds clean pass it.
        assert!(
            passed * 10 > silent * 7,
            "{passed} passed of {silent} clean"
        );
    }

    #[test]
    fn what_the_checks_warn_about_is_left_to_the_full_judge() {
        let schemas = SchemaSet::built_in();
        let mut payload: Value =
            serde_json::from_str(catalog::find("accounting.charges.create").unwrap().example)
                .unwrap();
        assert!(agree(&schemas, &payload.to_string()));
        payload["data"]["id"] = json!(1);
        assert!(!agree(&schemas, &payload.to_string()), "id mismatch");
        let mut payload: Value =
            serde_json::from_str(catalog::find("importd.process_failed").unwrap().example).unwrap();
        assert!(agree(&schemas, &payload.to_string()));
        payload["data"]["queue"]["stats"]["errors"] = json!(20_000);
        assert!(!agree(&schemas, &payload.to_string()), "counters");
        let mut payload: Value =
            serde_json::from_str(catalog::find("clients.create").unwrap().example).unwrap();
        payload["event"]["dt"] = json!("2099-01-01T00:00:00Z");
        assert!(!agree(&schemas, &payload.to_string()), "future");
        payload["event"]["dt"] = json!("1999-01-01T00:00:00Z");
        assert!(!agree(&schemas, &payload.to_string()), "ancient");
    }
}

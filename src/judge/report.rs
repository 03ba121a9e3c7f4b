//! What a run finds out about each payload: the record `validate --format json` prints one per
//! line, and the summary at the end.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::judge::codes::Code;

/// The verdict on one payload (or on one piece of input that should have been a payload).
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// The path the payload came from, or `-` for standard input.
    pub source: String,
    /// 0-based position of the payload within its source.
    pub index: usize,
    /// 1-based line where the payload starts.
    pub line: usize,
    /// The payload's `events_id`, or null when it has none (a catalog id is not copied).
    pub event: Option<Cow<'static, str>>,
    /// The payload's `object_id` as it stands, or null.
    pub object_id: Option<Value>,
    pub valid: bool,
    pub errors: Vec<Issue>,
    pub warnings: Vec<Issue>,
    /// With `--undocumented`: fields of `data` the catalog does not document, as
    /// `data.path[].to.field`; not part of the JSON record.
    #[serde(skip)]
    pub undocumented: Vec<String>,
}

/// One thing wrong with (an error) or worth a look in (a warning) a payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// JSON Pointer to the offending value; empty for the whole document.
    pub path: String,
    /// A sentence a person understands.
    pub message: String,
    /// The schema keyword that failed, as a location in the event's schema; empty where no
    /// schema keyword is involved (malformed JSON, an unknown event id, a warning).
    pub schema_path: String,
    /// What the issue is about; stable, see `codes`.
    #[serde(serialize_with = "code_name")]
    pub code: Code,
    /// 1-based line of the offending value in its input (for a missing field, of the object
    /// that lacks it).
    pub line: usize,
    /// 1-based column (in characters) of the offending value.
    pub column: usize,
    /// The source line, for the text output's caret; not part of the JSON record.
    #[serde(skip)]
    pub snippet: Option<Snippet>,
}

/// A source line and the part of it an issue is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// The line's text, without its line break.
    pub text: String,
    /// 0-based character index where the value starts.
    pub start: usize,
    /// Characters the value covers on this line (at least 1).
    pub width: usize,
}

fn code_name<S: serde::Serializer>(code: &Code, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(code.name())
}

/// How a payload without an event id is named in output and counts.
pub const NO_EVENT_ID: &str = "(no event id)";

impl Record {
    /// The record of an input that holds no payload at all: invalid, so it cannot pass
    /// unnoticed.
    pub fn no_payload(source: &str) -> Record {
        Record {
            source: source.to_string(),
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

    /// Whether this is the record of an input with no payload.
    pub fn is_no_payload(&self) -> bool {
        self.errors
            .iter()
            .any(|issue| issue.code == Code::NoPayload)
    }

    /// The payload's event id, or [`NO_EVENT_ID`].
    pub fn event_label(&self) -> &str {
        self.event.as_deref().unwrap_or(NO_EVENT_ID)
    }
}

impl Issue {
    /// An issue at `path`, its position still to be found.
    pub fn new(code: Code, path: impl Into<String>, message: impl Into<String>) -> Self {
        Issue {
            path: path.into(),
            message: message.into(),
            schema_path: String::new(),
            code,
            line: 0,
            column: 0,
            snippet: None,
        }
    }
}

/// Totals over a run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub payloads: usize,
    pub valid: usize,
    pub invalid: usize,
    pub warnings: usize,
    /// Payloads of events `--events` does not select.
    pub skipped: usize,
    /// Inputs that could not be read (their records are not payloads).
    pub unreadable: usize,
    /// Payloads by `events_id`; those without one are counted under `(no event id)`.
    pub by_event: BTreeMap<String, usize>,
    /// Undocumented fields by event id: how many payloads carried each.
    pub undocumented: BTreeMap<String, BTreeMap<String, usize>>,
}

impl Summary {
    /// Adds another summary's counts to these (a batch's, counted where it was judged).
    pub fn merge(&mut self, other: Summary) {
        self.payloads += other.payloads;
        self.valid += other.valid;
        self.invalid += other.invalid;
        self.warnings += other.warnings;
        self.skipped += other.skipped;
        self.unreadable += other.unreadable;
        for (event, count) in other.by_event {
            *self.by_event.entry(event).or_default() += count;
        }
        for (event, fields) in other.undocumented {
            let mine = self.undocumented.entry(event).or_default();
            for (field, count) in fields {
                *mine.entry(field).or_default() += count;
            }
        }
    }

    /// Counts one record in.
    pub fn add(&mut self, record: &Record) {
        if record.errors.iter().any(|e| e.code == Code::Unreadable) {
            return;
        }
        self.payloads += 1;
        if record.valid {
            self.valid += 1;
        } else {
            self.invalid += 1;
        }
        self.warnings += record.warnings.len();
        let event = record.event_label();
        // A key is allocated once per event, not once per payload.
        match self.by_event.get_mut(event) {
            Some(count) => *count += 1,
            None => {
                self.by_event.insert(event.to_string(), 1);
            }
        }
        if !record.undocumented.is_empty() {
            let fields = self.undocumented.entry(event.to_string()).or_default();
            for field in &record.undocumented {
                *fields.entry(field.clone()).or_default() += 1;
            }
        }
    }
}

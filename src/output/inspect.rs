//! What a person wants to see of a payload: which event, about what, when, and the few fields
//! that matter for that event. Pure: the renderer lays the view out.

use serde_json::Value;

use crate::catalog::datetime;
use crate::catalog::{self, Event, KeyField, Lookup, Show};
use crate::judge::messages;
use crate::judge::report::Record;

/// The summary of one payload.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub valid: bool,
    /// The payload's events_id, if it has one.
    pub event: Option<String>,
    /// The catalog's description of the event, if it knows it.
    pub description: Option<&'static str>,
    pub object_id: Option<String>,
    /// `event.dt` in UTC and how long ago, when it is a date-time.
    pub when: Option<String>,
    pub rows: Vec<Row>,
    /// With `--all`: every other field of `data`, as `(path, JSON value)`.
    pub other: Vec<(String, String)>,
}

/// One labelled line of a summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub label: String,
    pub cell: Cell,
}

/// What a row shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A small table: column names and one row of values.
    Table(Vec<(String, String)>),
}

/// The catalog's event for a record's `events_id`, by its current or an older name.
fn known_event(record: &Record) -> Option<&'static Event> {
    record
        .event
        .as_deref()
        .and_then(|id| match catalog::lookup(id) {
            Lookup::Known(event) | Lookup::Old(event, _) => Some(event),
            Lookup::Unknown => None,
        })
}

/// Builds the view of a parsed payload. `now` is seconds since the epoch; `all` adds every
/// field of `data` the key fields do not already show; `redact` shows `data` values by type
/// and length only (the envelope stays: it names the event, not the client).
pub fn view(payload: &Value, record: &Record, now: i64, all: bool, redact: bool) -> View {
    let event = known_event(record);
    let when = payload
        .pointer("/event/dt")
        .and_then(Value::as_str)
        .and_then(|text| datetime::parse(text).ok())
        .map(|dt| format_when(dt.unix, now));
    let data = payload.get("data").unwrap_or(&Value::Null);
    let mut rows = Vec::new();
    let key_fields = event.map_or(&[][..], |event: &Event| event.key_fields);
    for key in key_fields {
        if let Some(value) = data.pointer(key.pointer) {
            let cell = if redact {
                redacted_cell(value)
            } else {
                show(key, value, now)
            };
            rows.push(Row {
                label: key.label.to_string(),
                cell,
            });
        }
    }
    let mut other = Vec::new();
    if all {
        flatten(data, String::new(), "", key_fields, &mut other);
        if redact {
            for (_, value) in &mut other {
                let parsed: Value = serde_json::from_str(value).unwrap_or(Value::Null);
                *value = messages::redacted(&parsed);
            }
        }
    }
    View {
        valid: record.valid,
        event: record.event.as_deref().map(str::to_string),
        description: event.map(|event| event.description),
        object_id: record.object_id.as_ref().map(plain),
        when,
        rows,
        other,
    }
}

/// The summary of one payload for scripts (`inspect --format json`): the event, its
/// description, object id and date as sent, the key fields by label with their values as sent
/// (or as type and length with `redact`), and the verdict.
pub fn json_view(payload: &Value, record: &Record, redact: bool) -> Value {
    let event = known_event(record);
    let data = payload.get("data").unwrap_or(&Value::Null);
    let mut key_fields = serde_json::Map::new();
    for key in event.map_or(&[][..], |event: &Event| event.key_fields) {
        if let Some(value) = data.pointer(key.pointer) {
            let value = if redact {
                Value::String(messages::redacted(value))
            } else {
                value.clone()
            };
            key_fields.insert(key.label.to_string(), value);
        }
    }
    let dt = payload.pointer("/event/dt").cloned();
    let dt_utc = dt
        .as_ref()
        .and_then(Value::as_str)
        .and_then(|text| datetime::parse(text).ok())
        .and_then(|parsed| u64::try_from(parsed.unix).ok())
        .map(|seconds| datetime::format_rfc3339(std::time::Duration::from_secs(seconds)));
    serde_json::json!({
        "source": record.source,
        "index": record.index,
        "line": record.line,
        "event": record.event,
        "description": event.map(|event| event.description),
        "object_id": record.object_id,
        "dt": dt,
        "dt_utc": dt_utc,
        "key_fields": key_fields,
        "valid": record.valid,
        "errors": record.errors,
        "warnings": record.warnings,
    })
}

fn redacted_cell(value: &Value) -> Cell {
    match value {
        Value::Object(fields) if fields.values().all(|v| !v.is_object() && !v.is_array()) => {
            Cell::Table(
                fields
                    .iter()
                    .map(|(name, v)| (name.clone(), messages::redacted(v)))
                    .collect(),
            )
        }
        other => Cell::Text(messages::redacted(other)),
    }
}

fn format_when(unix: i64, now: i64) -> String {
    format!(
        "{} ({})",
        datetime::format_utc(unix),
        datetime::format_age(unix, now)
    )
}

fn show(key: &KeyField, value: &Value, now: i64) -> Cell {
    let text = match key.show {
        Show::Plain => plain(value),
        Show::DateTime => match value.as_str().map(datetime::parse) {
            Some(Ok(dt)) => format_when(dt.unix, now),
            _ => plain(value),
        },
        Show::Mailbox => format!("{} on {}", field(value, "login"), field(value, "host")),
        Show::MailError => format!("{}: {}", field(value, "code"), field(value, "message")),
        Show::RateTable => named(value),
        Show::RateTables => list(value, named),
        Show::Files => list(value, |file| {
            match file.get("count").and_then(Value::as_u64) {
                Some(rows) => format!("{} ({} rows)", field(file, "name"), rows),
                None => field(file, "name"),
            }
        }),
        Show::Stats => {
            if let Value::Object(counters) = value {
                return Cell::Table(
                    counters
                        .iter()
                        .map(|(name, count)| (name.clone(), plain(count)))
                        .collect(),
                );
            }
            plain(value)
        }
    };
    Cell::Text(text)
}

/// `Rate Table A (74)`.
fn named(value: &Value) -> String {
    match value.get("id") {
        Some(id) => format!("{} ({})", field(value, "name"), plain(id)),
        None => field(value, "name"),
    }
}

fn list(value: &Value, each: impl Fn(&Value) -> String) -> String {
    match value {
        Value::Array(items) if items.is_empty() => "none".into(),
        Value::Array(items) => items.iter().map(each).collect::<Vec<_>>().join(", "),
        other => plain(other),
    }
}

fn field(value: &Value, name: &str) -> String {
    value.get(name).map(plain).unwrap_or_else(|| "?".into())
}

/// A value for a person: strings without quotes, everything else as JSON.
pub fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Leaves of `value` as `path = value` pairs, skipping what the key fields show.
fn flatten(
    value: &Value,
    path: String,
    pointer: &str,
    skip: &[KeyField],
    out: &mut Vec<(String, String)>,
) {
    if skip.iter().any(|key| key.pointer == pointer) {
        return;
    }
    match value {
        Value::Object(fields) if !fields.is_empty() => {
            for (name, inner) in fields {
                let child = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                let inner_pointer =
                    format!("{pointer}/{}", name.replace('~', "~0").replace('/', "~1"));
                flatten(inner, child, &inner_pointer, skip, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (index, inner) in items.iter().enumerate() {
                flatten(
                    inner,
                    format!("{path}[{index}]"),
                    &format!("{pointer}/{index}"),
                    skip,
                    out,
                );
            }
        }
        leaf => out.push((
            if path.is_empty() { "data".into() } else { path },
            leaf.to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record_for(payload: &Value) -> Record {
        Record {
            source: "-".into(),
            index: 0,
            line: 1,
            event: payload["event"]["events_id"]
                .as_str()
                .map(|id| id.to_string().into()),
            object_id: payload["event"].get("object_id").cloned(),
            valid: true,
            errors: vec![],
            warnings: vec![],
            undocumented: vec![],
        }
    }

    fn sample(id: &str) -> Value {
        serde_json::from_str(catalog::find(id).unwrap().example).unwrap()
    }

    fn text_rows(view: &View) -> Vec<(String, String)> {
        view.rows
            .iter()
            .map(|row| match &row.cell {
                Cell::Text(text) => (row.label.clone(), text.clone()),
                Cell::Table(_) => (row.label.clone(), "<table>".into()),
            })
            .collect()
    }

    fn other_rows(view: &View) -> Vec<(String, String)> {
        view.other.clone()
    }

    #[test]
    fn a_client_shows_its_name_and_partition() {
        let payload = sample("clients.create");
        let now = datetime::parse("2000-01-04T00:00:00Z").unwrap().unix;
        let view = view(&payload, &record_for(&payload), now, false, false);
        assert_eq!(view.description, Some("A client was created"));
        assert_eq!(view.object_id.as_deref(), Some("12"));
        assert_eq!(
            view.when.as_deref(),
            Some("2000-01-01 00:00:00 UTC (3 days ago)")
        );
        assert_eq!(
            text_rows(&view),
            [
                ("name".into(), "My name".into()),
                ("partition".into(), "3".into())
            ]
        );
    }

    #[test]
    fn a_file_error_shows_the_error_mailbox_and_tables() {
        let payload = sample("email_rates_manager.file_processing_error");
        let rows = text_rows(&view(&payload, &record_for(&payload), 0, false, false));
        assert!(
            rows[0]
                .1
                .starts_with("incorrect-file-ext: Can't process file")
        );
        assert_eq!(rows[1].1, "rates@example.com on imap.gmail.com");
        assert_eq!(rows[4].1, "Rate Table A (74), Rate TAble B (7)");
    }

    #[test]
    fn an_import_shows_table_files_and_stats() {
        let payload = sample("importd.process_success");
        let view = view(&payload, &record_for(&payload), 0, false, false);
        let rows = text_rows(&view);
        assert_eq!(rows[0].1, "0parent (64)");
        assert_eq!(
            rows[1].1,
            "rates-1_RT_for_services-2222-05-13_073122.csv (10313 rows)"
        );
        let Cell::Table(stats) = &view.rows[3].cell else {
            panic!("stats are a table")
        };
        assert!(stats.contains(&("processed".into(), "10312".into())));
    }

    #[test]
    fn redaction_hides_data_but_keeps_the_envelope() {
        let payload = sample("clients.create");
        let view = view(&payload, &record_for(&payload), 0, true, true);
        assert_eq!(view.object_id.as_deref(), Some("12"));
        assert_eq!(
            text_rows(&view),
            [
                ("name".into(), "a string of 7 characters".into()),
                ("partition".into(), "a number".into())
            ]
        );
        assert_eq!(view.other, [("id".to_string(), "a number".to_string())]);
    }

    #[test]
    fn all_adds_the_other_fields_flattened() {
        let payload = sample("accounting.payments.create");
        let view = view(&payload, &record_for(&payload), 0, true, false);
        let other = other_rows(&view);
        assert_eq!(
            other,
            [
                ("id".into(), "2223".into()),
                ("tags".into(), "[]".into()),
                ("taxes".into(), "null".into()),
            ]
        );
        // Key fields are shown once, as key fields.
        assert!(text_rows(&view).iter().any(|(label, _)| label == "notes"));
    }
}

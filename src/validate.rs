//! Judges payloads: picks the schema by the payload's own `events_id`, validates, and adds what
//! the catalog knows (old event names, unknown ids, the `--event` a run demands).
//!
//! Invalid payloads are data, not errors: `Err` is kept for a schema that cannot be used.

use anyhow::Result;
use jsonschema::Validator;
use serde_json::Value;

use crate::catalog::{self, Event, Lookup};
use crate::messages;
use crate::reader::{self, Piece, Position};
use crate::report::{Issue, Record};
use crate::schemas::SchemaSet;

/// What a run asks of every payload.
#[derive(Debug, Default, Clone, Copy)]
pub struct Options {
    /// Every payload must be this event (`--event`).
    pub event: Option<&'static Event>,
    /// Payloads of unknown events are checked against the envelope and only warned about.
    pub allow_unknown: bool,
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

/// Validates one parsed payload.
pub fn check(payload: &Value, schemas: &SchemaSet, options: Options) -> Result<Verdict> {
    let mut verdict = Verdict::default();
    if !payload.is_object() {
        verdict.errors.push(Issue::new(
            "",
            format!(
                "expected a payload object with \"event\" and \"data\", found {}",
                messages::describe_value(payload)
            ),
        ));
        return Ok(verdict);
    }
    verdict.object_id = payload.pointer("/event/object_id").cloned();
    let id = payload.pointer(EVENTS_ID).and_then(Value::as_str);
    verdict.event = id.map(str::to_string);
    let Some(id) = id else {
        // No usable events_id: the envelope says what is missing or wrong.
        schema_errors(schemas.envelope()?, payload, &mut verdict.errors);
        return Ok(verdict);
    };
    let event = match catalog::lookup(id) {
        Lookup::Known(event) => Some(event),
        Lookup::Old(event, old) => {
            verdict.warnings.push(Issue::new(
                EVENTS_ID,
                format!(
                    "\"{id}\" is the name VCS used before {}; it is now \"{}\"",
                    old.renamed_in, event.id
                ),
            ));
            Some(event)
        }
        Lookup::Unknown => {
            let message = unknown_event_message(id);
            if options.allow_unknown {
                verdict.warnings.push(Issue::new(
                    EVENTS_ID,
                    format!("{message}; checked against the envelope only"),
                ));
            } else {
                verdict.errors.push(Issue::new(EVENTS_ID, message));
            }
            None
        }
    };
    if let (Some(wanted), Some(event)) = (options.event, event) {
        if !std::ptr::eq(wanted, event) {
            verdict.errors.push(Issue::new(
                EVENTS_ID,
                format!(
                    "events_id is \"{id}\" but --event asked for \"{}\"",
                    wanted.id
                ),
            ));
        }
    } else if let (Some(wanted), None) = (options.event, event) {
        verdict.errors.push(Issue::new(
            EVENTS_ID,
            format!(
                "events_id is \"{id}\" but --event asked for \"{}\"",
                wanted.id
            ),
        ));
    }
    let validator = match event {
        Some(event) => schemas.validator(event)?,
        None => schemas.envelope()?,
    };
    schema_errors(validator, payload, &mut verdict.errors);
    Ok(verdict)
}

/// `unknown event id "clients.explode"; did you mean "clients.update"?`
pub fn unknown_event_message(id: &str) -> String {
    match catalog::suggest(id) {
        Some(near) => format!("unknown event id \"{id}\"; did you mean \"{near}\"?"),
        None => format!("unknown event id \"{id}\"; `jerahook events` lists the known ones"),
    }
}

fn schema_errors(validator: &Validator, payload: &Value, errors: &mut Vec<Issue>) {
    let start = errors.len();
    for error in validator.iter_errors(payload) {
        errors.push(Issue {
            path: error.instance_path().to_string(),
            message: messages::describe(&error),
            schema_path: error.evaluation_path().to_string(),
        });
    }
    // A date-time of the wrong shape fails both its format and the pattern that stands in for
    // the format elsewhere: one error says it.
    let formats: Vec<String> = errors[start..]
        .iter()
        .filter(|issue| issue.schema_path.ends_with("/format"))
        .map(|issue| issue.path.clone())
        .collect();
    let mut index = start;
    errors.retain(|issue| {
        let keep = index < start
            || !(issue.schema_path.ends_with("/pattern") && formats.contains(&issue.path));
        index += 1;
        keep
    });
}

/// Parses and judges one piece of input.
pub fn judge(
    piece: Piece,
    source: &str,
    index: usize,
    schemas: &SchemaSet,
    options: Options,
) -> Result<(Record, Option<Value>)> {
    let mut record = Record {
        source: source.to_string(),
        index,
        line: 0,
        event: None,
        object_id: None,
        valid: false,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    match piece {
        Piece::Stray { start, text } => {
            record.line = start.line;
            record.errors.push(Issue::new(
                "",
                format!(
                    "expected a JSON document at line {}, column {}, found \"{text}\"",
                    start.line, start.column
                ),
            ));
            Ok((record, None))
        }
        Piece::Value { start, bytes } => {
            record.line = start.line;
            match serde_json::from_slice::<Value>(&bytes) {
                Err(error) => {
                    record
                        .errors
                        .push(Issue::new("", parse_message(&error, start, &bytes)));
                    Ok((record, None))
                }
                Ok(payload) => {
                    let verdict = check(&payload, schemas, options)?;
                    record.event = verdict.event;
                    record.object_id = verdict.object_id;
                    record.valid = verdict.errors.is_empty();
                    record.errors = verdict.errors;
                    record.warnings = verdict.warnings;
                    Ok((record, Some(payload)))
                }
            }
        }
    }
}

/// `invalid JSON at line 3, column 14: expected ',' or '}' after an object entry`, the position
/// counted in the whole input.
fn parse_message(error: &serde_json::Error, start: Position, bytes: &[u8]) -> String {
    let offset = reader::offset_of(bytes, error.line(), error.column());
    let at = reader::position_at(start, bytes, offset);
    let full = error.to_string();
    // serde_json appends its own (piece-relative) position; ours replaces it.
    let reason = match full.rfind(" at line ") {
        Some(cut) => &full[..cut],
        None => &full,
    };
    let reason = reason.replace("EOF while parsing", "the document ends inside");
    format!(
        "invalid JSON at line {}, column {}: {reason}",
        at.line, at.column
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn verdict(payload: Value, options: Options) -> Verdict {
        check(&payload, &SchemaSet::built_in(), options).unwrap()
    }

    fn sample(id: &str) -> Value {
        serde_json::from_str(catalog::find(id).unwrap().example).unwrap()
    }

    #[test]
    fn every_sample_is_valid() {
        for event in catalog::EVENTS {
            let result = verdict(sample(event.id), Options::default());
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
        let result = verdict(payload, Options::default());
        assert!(result.errors.is_empty(), "{:?}", result.errors);
        assert_eq!(result.warnings.len(), 1);
        assert!(result.warnings[0].message.contains("before 3.23"));
    }

    #[test]
    fn unknown_events_fail_unless_allowed() {
        let mut payload = sample("clients.update");
        payload["event"]["events_id"] = json!("clients.updat");
        let strict = verdict(payload.clone(), Options::default());
        assert_eq!(
            strict.errors[0].message,
            "unknown event id \"clients.updat\"; did you mean \"clients.update\"?"
        );
        let lenient = verdict(
            payload,
            Options {
                allow_unknown: true,
                ..Options::default()
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
                ..Options::default()
            },
        );
        assert_eq!(
            result.errors,
            [Issue::new(
                "/event/events_id",
                "events_id is \"clients.create\" but --event asked for \"clients.update\""
            )]
        );
    }

    #[test]
    fn a_bad_date_time_is_one_error() {
        let mut payload = sample("clients.create");
        payload["event"]["dt"] = json!("yesterday");
        let result = verdict(payload, Options::default());
        assert_eq!(result.errors.len(), 1, "{:?}", result.errors);
        assert_eq!(result.errors[0].path, "/event/dt");
    }

    #[test]
    fn parse_errors_carry_the_position_in_the_input() {
        let piece = Piece::Value {
            start: Position { line: 5, column: 1 },
            bytes: b"{\"event\": {\n  \"dt\": x\n}}".to_vec(),
        };
        let (record, payload) =
            judge(piece, "-", 0, &SchemaSet::built_in(), Options::default()).unwrap();
        assert!(payload.is_none());
        assert_eq!(record.line, 5);
        assert!(
            record.errors[0]
                .message
                .starts_with("invalid JSON at line 6, column 9: expected value"),
            "{}",
            record.errors[0].message
        );
    }
}

//! Schema errors turned into sentences that name what was expected and what was found.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, ValidationError};
use serde_json::Value;

use crate::catalog::{datetime, generate};

/// Strings longer than this are shortened in messages.
const SHOWN_CHARS: usize = 40;

/// A sentence for one schema error. With `redact`, the payload's value is described by its
/// type and length only.
pub fn describe(error: &ValidationError<'_>, redact: bool) -> String {
    let found = error.instance();
    // The payload's value, as the message may show it.
    let (found_value, found_short) = if redact {
        (redacted(found), redacted(found))
    } else {
        (describe_value(found), short(found))
    };
    match error.kind() {
        ValidationErrorKind::Type { kind } => {
            let expected: Vec<&str> = match kind {
                TypeKind::Single(ty) => vec![type_name(*ty)],
                // Null last: "an integer or null" reads as the nullable field it is.
                TypeKind::Multiple(set) => {
                    let mut names: Vec<_> = set
                        .iter()
                        .filter(|t| *t != JsonType::Null)
                        .map(type_name)
                        .collect();
                    if set.contains(JsonType::Null) {
                        names.push("null");
                    }
                    names
                }
            };
            format!("expected {}, found {}", or_list(&expected), found_value)
        }
        ValidationErrorKind::Required { property } => match property.as_str() {
            Some(name) => format!("missing required field \"{name}\""),
            None => format!("missing required field {property}"),
        },
        ValidationErrorKind::Constant { expected_value } => {
            format!("expected {}, found {}", short(expected_value), found_value)
        }
        ValidationErrorKind::Enum { options } => {
            let options: Vec<String> = options
                .as_array()
                .map(|values| values.iter().map(self::short).collect())
                .unwrap_or_default();
            format!(
                "expected one of {}, found {}",
                options.join(", "),
                found_value
            )
        }
        ValidationErrorKind::Format { format } => {
            format!("{} is not a valid {format}", found_short)
        }
        ValidationErrorKind::Pattern { pattern } => match pattern.as_str() {
            generate::DIGITS_PATTERN => format!(
                "expected an integer or a string of digits, found {}",
                found_value
            ),
            // The pattern is the calendar: the parser names the part that does not exist.
            p if p == datetime::PATTERN => {
                let why = datetime::parse(found.as_str().unwrap_or_default()).err();
                format!("{found_short} is not a date-time: {}", reason(why))
            }
            p if p == datetime::DATE_OR_DATE_TIME_PATTERN => {
                let text = found.as_str().unwrap_or_default();
                let why = datetime::check_date_or_date_time(text).err();
                format!(
                    "{found_short} is not a date or a date-time: {}",
                    reason(why)
                )
            }
            p if p.starts_with("^[a-z0-9_]+") => format!(
                "expected an event id such as \"clients.create\", found {}",
                found_value
            ),
            _ => format!("{} does not match the pattern {pattern}", found_short),
        },
        ValidationErrorKind::Minimum { limit } if is_zero(limit) => {
            format!("expected a value of 0 or more, found {}", found_short)
        }
        ValidationErrorKind::Minimum { limit } => {
            format!("expected at least {limit}, found {}", found_short)
        }
        ValidationErrorKind::MaxItems { limit: 0 } => {
            format!("expected {{}} or [], found {}", found_value)
        }
        // Generic messages quote the value: not when redacting.
        _ if redact => format!(
            "{found_value} fails the schema keyword at {}",
            error.schema_path()
        ),
        _ => error.to_string(),
    }
}

/// Why a value failed a date pattern; the shape when the parser has nothing narrower.
fn reason(why: Option<datetime::Invalid>) -> datetime::Invalid {
    why.unwrap_or(datetime::Invalid::Shape)
}

fn is_zero(limit: &Value) -> bool {
    limit.as_f64() == Some(0.0)
}

fn type_name(ty: JsonType) -> &'static str {
    match ty {
        JsonType::Null => "null",
        JsonType::Boolean => "a boolean",
        JsonType::Integer => "an integer",
        JsonType::Number => "a number",
        JsonType::String => "a string",
        JsonType::Array => "an array",
        JsonType::Object => "an object",
    }
}

fn or_list(items: &[&str]) -> String {
    match items {
        [] => "nothing".into(),
        [one] => (*one).into(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// A value by its type and size alone: `a string of 7 characters`, `a number`.
pub fn redacted(value: &Value) -> String {
    match value {
        Value::String(text) => {
            let count = text.chars().count();
            format!("a string of {count} character{}", plural(count))
        }
        Value::Number(_) => "a number".into(),
        Value::Bool(_) => "a boolean".into(),
        other => describe_value(other),
    }
}

/// `the string "34abc"`, `the number 5`, `an object with 3 fields`...
pub fn describe_value(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => format!("the string {}", short(value)),
        Value::Array(items) if items.is_empty() => "an empty array".into(),
        Value::Array(items) => format!("an array of {} item{}", items.len(), plural(items.len())),
        Value::Object(fields) if fields.is_empty() => "an empty object".into(),
        Value::Object(fields) => {
            format!(
                "an object with {} field{}",
                fields.len(),
                plural(fields.len())
            )
        }
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// A value as JSON, strings shortened to a readable length.
pub fn short(value: &Value) -> String {
    match value {
        Value::String(text) if text.chars().count() > SHOWN_CHARS => {
            let kept: String = text.chars().take(SHOWN_CHARS - 1).collect();
            format!(
                "{}…\"",
                serde_json::to_string(&kept)
                    .unwrap_or_default()
                    .trim_end_matches('"')
            )
        }
        Value::Array(_) | Value::Object(_) => describe_value(value),
        _ => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(schema: Value, instance: Value) -> Vec<String> {
        let validator = crate::judge::schemas::compile(&schema).unwrap();
        validator
            .iter_errors(&instance)
            .map(|e| describe(&e, false))
            .collect()
    }

    #[test]
    fn type_errors_name_expected_and_found() {
        assert_eq!(
            messages(json!({"type": "integer"}), json!("34abc")),
            ["expected an integer, found the string \"34abc\""]
        );
        assert_eq!(
            messages(json!({"type": ["integer", "null"]}), json!(1.5)),
            ["expected an integer or null, found the number 1.5"]
        );
    }

    #[test]
    fn required_const_and_dates_read_as_sentences() {
        assert_eq!(
            messages(json!({"required": ["clients_id"]}), json!({})),
            ["missing required field \"clients_id\""]
        );
        assert_eq!(
            messages(json!({"const": "activated"}), json!("new")),
            ["expected \"activated\", found the string \"new\""]
        );
        assert_eq!(
            messages(
                json!({"type": "string", "pattern": datetime::PATTERN}),
                json!("2025-13-45T00:00:00+00:00")
            ),
            ["\"2025-13-45T00:00:00+00:00\" is not a date-time: month 13"]
        );
        assert_eq!(
            messages(
                json!({"type": "string", "pattern": datetime::DATE_OR_DATE_TIME_PATTERN}),
                json!("2022-02-30")
            ),
            ["\"2022-02-30\" is not a date or a date-time: day 30"]
        );
    }

    #[test]
    fn redaction_keeps_type_and_length_only() {
        let validator = crate::judge::schemas::compile(&json!({"type": "integer"})).unwrap();
        let instance = json!("Jane Doe");
        let error = validator.iter_errors(&instance).next().unwrap();
        assert_eq!(
            describe(&error, true),
            "expected an integer, found a string of 8 characters"
        );
    }

    #[test]
    fn long_strings_are_shortened() {
        let long = "x".repeat(100);
        let text = short(&json!(long));
        assert!(text.chars().count() < 50, "{text}");
        assert!(text.ends_with("…\""), "{text}");
    }
}

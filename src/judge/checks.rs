//! Checks no JSON Schema can express: they compare values with each other, with the clock, or
//! with the catalog. Each finding is a warning with a stable code (`codes`).

use serde_json::Value;

use crate::catalog::datetime;
use crate::catalog::records::{Def, Shape, Ty};
use crate::catalog::{Data, Event};
use crate::judge::codes::Code;
use crate::judge::report::Issue;

/// How far ahead of the local clock `event.dt` may be before it is suspect.
pub const CLOCK_SKEW_SECONDS: i64 = 5 * 60;

/// 2000-01-01T00:00:00Z: anything earlier is a default or zero date, not an event.
pub const EARLIEST_PLAUSIBLE: i64 = 946_684_800;

/// The warnings for one parsed payload (an object), given the event it names, if known, and
/// the time now in seconds since the epoch.
/// With `redact`, messages name fields but not the values under `data`.
pub fn warnings(payload: &Value, event: Option<&Event>, now: i64, redact: bool) -> Vec<Issue> {
    let Some(top) = payload.as_object() else {
        return Vec::new();
    };
    // A warning for each key beside event and data, and a few more.
    let mut found = Vec::with_capacity(top.len() + 4);
    for key in top.keys().filter(|key| *key != "event" && *key != "data") {
        found.push(Issue::new(
            Code::ExtraTopLevelKey,
            format!("/{}", crate::judge::locate::escape_token(key)),
            format!("unexpected top-level key \"{key}\": VCS sends only \"event\" and \"data\""),
        ));
    }
    if let Some(dt) = field(payload, "event", "dt").and_then(Value::as_str) {
        if let Ok(parsed) = datetime::parse(dt) {
            if parsed.unix > now + CLOCK_SKEW_SECONDS {
                found.push(Issue::new(
                    Code::FutureDt,
                    "/event/dt",
                    format!(
                        "event.dt is {}, {} (beyond {} minutes of clock skew)",
                        datetime::format_utc(parsed.unix),
                        datetime::format_age(parsed.unix, now),
                        CLOCK_SKEW_SECONDS / 60
                    ),
                ));
            } else if parsed.unix < EARLIEST_PLAUSIBLE {
                found.push(Issue::new(
                    Code::AncientDt,
                    "/event/dt",
                    format!(
                        "event.dt is {}, before 2000: a default or zero date?",
                        datetime::format_utc(parsed.unix)
                    ),
                ));
            }
        }
    }
    if let Some(event) = event {
        if data_is_entity(event) {
            id_mismatch(payload, redact, &mut found);
        }
    }
    let stats = field(payload, "data", "queue").and_then(|queue| queue.get("stats"));
    if let Some(stats) = stats {
        counters(stats, "/data/queue/stats", redact, &mut found);
    }
    found
}

/// `payload[outer][inner]`: plain field access, where `Value::pointer` would split and
/// unescape its path on every call.
fn field<'a>(payload: &'a Value, outer: &str, inner: &str) -> Option<&'a Value> {
    payload.get(outer)?.get(inner)
}

/// Whether `data` is the record of the entity the event is about (it has the entity's `id`).
pub(crate) fn data_is_entity(event: &Event) -> bool {
    let documents_id =
        |fields: &[crate::catalog::records::Field]| fields.iter().any(|f| f.name == "id");
    match &event.data {
        Data::Record { def, .. } => match &def.spec().shape {
            Shape::Record(object) => documents_id(object.fields),
            _ => false,
        },
        Data::Object(object) | Data::KeyValues(object) => documents_id(object.fields),
        Data::Empty => false,
    }
}

fn id_mismatch(payload: &Value, redact: bool, found: &mut Vec<Issue>) {
    let (Some(id), Some(object_id)) = (
        field(payload, "data", "id"),
        field(payload, "event", "object_id"),
    ) else {
        return;
    };
    if let (Some(a), Some(b)) = (as_id(id), as_id(object_id)) {
        if a != b {
            found.push(Issue::new(
                Code::IdMismatch,
                "/data/id",
                if redact {
                    "data.id differs from event.object_id: which entity is this about?".to_string()
                } else {
                    format!("data.id is {id} but event.object_id is {object_id}: which entity is this about?")
                },
            ));
        }
    }
}

/// An id as a number, from an integer or a string of digits.
pub(crate) fn as_id(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// The counter of an import's statistics that the others are part of.
pub(crate) const PROCESSED: &str = "processed";

/// The counters of an import's statistics that cannot exceed [`PROCESSED`].
pub(crate) const PARTS: [&str; 3] = ["successful", "errors", "duplicates"];

/// Rows that succeeded, failed or were duplicates are each among the rows processed.
fn counters(stats: &Value, pointer: &str, redact: bool, found: &mut Vec<Issue>) {
    let count = |name: &str| stats.get(name).and_then(Value::as_u64);
    let Some(processed) = count(PROCESSED) else {
        return;
    };
    for part in PARTS {
        if let Some(value) = count(part) {
            if value > processed {
                found.push(Issue::new(
                    Code::InconsistentCounters,
                    format!("{pointer}/{part}"),
                    if redact {
                        format!("{part} is greater than processed")
                    } else {
                        format!("{part} ({value}) is greater than processed ({processed})")
                    },
                ));
            }
        }
    }
}

/// Fields of `data` the catalog does not document, as `data.path[].to.field`, each once.
pub fn undocumented(payload: &Value, event: &Event) -> Vec<String> {
    let mut found = Vec::new();
    let Some(data) = payload.get("data") else {
        return found;
    };
    match &event.data {
        Data::Empty => object_fields(&[], &[], data, "data", &mut found),
        Data::Record { def, narrowed, .. } => {
            if let Shape::Record(object) = &def.spec().shape {
                object_fields(object.fields, narrowed, data, "data", &mut found);
            }
        }
        Data::Object(object) => object_fields(object.fields, &[], data, "data", &mut found),
        // Every other key is a custom field, documented as such.
        Data::KeyValues(_) => {}
    }
    found.sort_unstable();
    found.dedup();
    found
}

fn object_fields(
    fields: &[crate::catalog::records::Field],
    more: &[crate::catalog::records::Field],
    value: &Value,
    path: &str,
    found: &mut Vec<String>,
) {
    let Some(object) = value.as_object() else {
        return;
    };
    for (key, inner) in object {
        let child = format!("{path}.{key}");
        match fields.iter().chain(more).find(|field| field.name == key) {
            Some(field) => walk(field.ty, inner, &child, found),
            None => found.push(child),
        }
    }
}

fn walk(ty: Ty, value: &Value, path: &str, found: &mut Vec<String>) {
    match ty {
        Ty::Def(def) | Ty::DefRequiring(def, _) => walk_def(def, value, path, found),
        Ty::Object(object) => object_fields(object.fields, &[], value, path, found),
        Ty::List(item) => {
            if let Some(items) = value.as_array() {
                let path = format!("{path}[]");
                for inner in items {
                    walk(*item, inner, &path, found);
                }
            }
        }
        Ty::Nullable(inner) => walk(*inner, value, path, found),
        _ => {}
    }
}

fn walk_def(def: Def, value: &Value, path: &str, found: &mut Vec<String>) {
    if let Shape::Record(object) = &def.spec().shape {
        object_fields(object.fields, &[], value, path, found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000; // 2027-01-15

    fn sample(id: &str) -> (Value, &'static Event) {
        let event = crate::catalog::find(id).unwrap();
        (serde_json::from_str(event.example).unwrap(), event)
    }

    fn codes(issues: &[Issue]) -> Vec<(Code, String)> {
        issues.iter().map(|i| (i.code, i.path.clone())).collect()
    }

    #[test]
    fn the_samples_raise_no_warning() {
        for event in crate::catalog::EVENTS {
            let payload: Value = serde_json::from_str(event.example).unwrap();
            assert_eq!(
                warnings(&payload, Some(event), NOW, false),
                [],
                "{}",
                event.id
            );
        }
    }

    #[test]
    fn an_id_that_is_not_the_object_id() {
        let (mut payload, event) = sample("accounting.charges.create");
        payload["data"]["id"] = json!(2221);
        let found = warnings(&payload, Some(event), NOW, false);
        assert_eq!(codes(&found), [(Code::IdMismatch, "/data/id".into())]);
        assert_eq!(
            found[0].message,
            "data.id is 2221 but event.object_id is \"2220\": which entity is this about?"
        );
        // An import's object_id is the queue id: no data.id to compare.
        let (payload, event) = sample("importd.process_success");
        assert!(warnings(&payload, Some(event), NOW, false).is_empty());
    }

    #[test]
    fn dates_in_the_future_or_before_2000() {
        let (mut payload, event) = sample("clients.create");
        payload["event"]["dt"] = json!("2027-01-15T08:03:00Z");
        assert!(
            warnings(&payload, Some(event), NOW, false).is_empty(),
            "within skew"
        );
        payload["event"]["dt"] = json!("2027-02-15T08:00:00Z");
        let found = warnings(&payload, Some(event), NOW, false);
        assert_eq!(codes(&found), [(Code::FutureDt, "/event/dt".into())]);
        assert!(
            found[0].message.contains("in 1 month"),
            "{}",
            found[0].message
        );
        payload["event"]["dt"] = json!("1970-01-01T00:00:00Z");
        assert_eq!(
            codes(&warnings(&payload, Some(event), NOW, false)),
            [(Code::AncientDt, "/event/dt".into())]
        );
    }

    #[test]
    fn counters_that_contradict_each_other() {
        let (mut payload, event) = sample("importd.process_failed");
        payload["data"]["queue"]["stats"]["errors"] = json!(20_000);
        let found = warnings(&payload, Some(event), NOW, false);
        assert_eq!(
            codes(&found),
            [(
                Code::InconsistentCounters,
                "/data/queue/stats/errors".into()
            )]
        );
        assert_eq!(
            found[0].message,
            "errors (20000) is greater than processed (10312)"
        );
    }

    #[test]
    fn keys_beside_event_and_data() {
        let (mut payload, event) = sample("clients.archive");
        payload["signature"] = json!("abc");
        assert_eq!(
            codes(&warnings(&payload, Some(event), NOW, false)),
            [(Code::ExtraTopLevelKey, "/signature".into())]
        );
    }

    #[test]
    fn undocumented_fields_are_listed_once_by_path() {
        let (mut payload, event) = sample("importd.process_success");
        payload["data"]["queue"]["files_meta"][0]["checksum"] = json!("x");
        payload["data"]["main"]["priority"] = json!(1);
        assert_eq!(
            undocumented(&payload, event),
            ["data.main.priority", "data.queue.files_meta[].checksum"]
        );
        let (payload, event) = sample("clients.custom_fields.update");
        assert!(
            undocumented(&payload, event).is_empty(),
            "custom fields are the point"
        );
        let (mut payload, event) = sample("clients.archive");
        payload["data"] = json!({"reason": "unpaid"});
        assert_eq!(undocumented(&payload, event), ["data.reason"]);
    }
}

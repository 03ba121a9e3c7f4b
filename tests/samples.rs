//! Every bundled sample validates, every event has one, and broken copies of them fail at the
//! JSON Pointer of what was broken.

use std::path::Path;

use jerahook::catalog::{Data, EVENTS, Event};
use jerahook::records::Shape;
use jerahook::schemas::SchemaSet;
use jerahook::validate::{self, Options, Verdict};
use serde_json::{Value, json};

fn samples_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/samples"))
}

fn sample(event: &Event) -> Value {
    let path = samples_dir().join(format!("{}.json", event.id));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn check(payload: &Value) -> Verdict {
    validate::check(payload, &SchemaSet::built_in(), Options::default()).unwrap()
}

/// The pointers and messages of a verdict's errors.
fn errors(verdict: &Verdict) -> Vec<(String, String)> {
    verdict
        .errors
        .iter()
        .map(|issue| (issue.path.clone(), issue.message.clone()))
        .collect()
}

fn required_data_fields(event: &Event) -> Vec<&'static str> {
    match &event.data {
        Data::Empty => vec![],
        Data::Record { required, .. } => required.to_vec(),
        Data::Object(object) | Data::KeyValues(object) => object.required.to_vec(),
    }
}

#[test]
fn every_event_has_a_sample_and_every_sample_is_valid() {
    for event in EVENTS {
        let verdict = check(&sample(event));
        assert!(
            verdict.errors.is_empty(),
            "{}: {:?}",
            event.id,
            verdict.errors
        );
        assert_eq!(verdict.event.as_deref(), Some(event.id));
    }
}

#[test]
fn every_sample_file_belongs_to_a_known_event() {
    for entry in std::fs::read_dir(samples_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let id = name.strip_suffix(".json").unwrap_or(&name);
        assert!(
            jerahook::catalog::find(id).is_some(),
            "samples/{name} is no event's sample"
        );
    }
}

#[test]
fn the_bundled_samples_are_the_catalog_examples() {
    for event in EVENTS {
        let embedded: Value = serde_json::from_str(event.example).unwrap();
        assert_eq!(embedded, sample(event), "{}", event.id);
    }
}

#[test]
fn removing_a_required_field_fails_at_its_parent() {
    for event in EVENTS {
        for field in required_data_fields(event) {
            let mut payload = sample(event);
            payload["data"].as_object_mut().unwrap().remove(field);
            assert_eq!(
                errors(&check(&payload)),
                [(
                    "/data".to_string(),
                    format!("missing required field \"{field}\"")
                )],
                "{} without {field}",
                event.id
            );
        }
        for field in ["dt", "events_id", "object_id"] {
            let mut payload = sample(event);
            payload["event"].as_object_mut().unwrap().remove(field);
            let found = errors(&check(&payload));
            assert!(
                found.contains(&(
                    "/event".into(),
                    format!("missing required field \"{field}\"")
                )),
                "{} without event.{field}: {found:?}",
                event.id
            );
        }
    }
}

#[test]
fn a_wrong_type_fails_at_the_field() {
    for event in EVENTS {
        let original = sample(event);
        let Some(data) = original["data"].as_object() else {
            continue;
        };
        for (field, value) in data {
            let (wrong, expected) = match value {
                // Whole numbers are integers (ids, counts) or numbers (amounts).
                Value::Number(_) => (json!("34abc"), "expected a"),
                Value::Bool(_) => (json!("yes"), "expected a boolean"),
                Value::Array(_) => (json!({}), "expected an array"),
                Value::Object(_) => (json!([]), "expected an object"),
                // Strings: documented ones are strings; custom fields take anything.
                Value::String(_) if event.id != "clients.custom_fields.update" => {
                    (json!(5), "expected ")
                }
                _ => continue,
            };
            let mut payload = original.clone();
            payload["data"][field] = wrong;
            let found = errors(&check(&payload));
            let pointer = format!("/data/{field}");
            assert!(
                found
                    .iter()
                    .any(|(path, message)| *path == pointer && message.starts_with(expected)),
                "{}: {pointer} set wrong gave {found:?}",
                event.id
            );
        }
    }
}

#[test]
fn an_impossible_date_fails_at_the_date() {
    for event in EVENTS {
        let mut payload = sample(event);
        payload["event"]["dt"] = json!("2025-13-45T00:00:00+00:00");
        assert_eq!(
            errors(&check(&payload)),
            [(
                "/event/dt".to_string(),
                "\"2025-13-45T00:00:00+00:00\" is not a date-time: month 13".to_string()
            )],
            "{}",
            event.id
        );
    }
    let mut charge = sample(jerahook::catalog::find("accounting.charges.create").unwrap());
    charge["data"]["c_dt"] = json!("2022-02-30 00:00:00+0000");
    assert_eq!(
        errors(&check(&charge)),
        [(
            "/data/c_dt".to_string(),
            "\"2022-02-30 00:00:00+0000\" is not a date-time: day 30".to_string()
        )]
    );
}

#[test]
fn deep_fields_of_imports_are_checked() {
    let event = jerahook::catalog::find("importd.process_success").unwrap();
    let mut payload = sample(event);
    payload["data"]["queue"]["stats"]["processed"] = json!(-1);
    payload["data"]["main"]["sheets"][0]["code_rules"][0]["end_date"] = json!("soon");
    payload["data"]["main"]["rate_table"]["agreements_id"] = json!("7");
    let found = errors(&check(&payload));
    let paths: Vec<&str> = found.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(found.len(), 3, "{found:?}");
    for expected in [
        "/data/queue/stats/processed",
        "/data/main/sheets/0/code_rules/0/end_date",
        "/data/main/rate_table/agreements_id",
    ] {
        assert!(paths.contains(&expected), "{expected} not in {paths:?}");
    }
}

#[test]
fn pinned_values_fail_when_another_value_is_sent() {
    for (id, pointer, wrong) in [
        ("accounting.payments.create", "type", "charge"),
        ("accounting.charges.update", "type", "payment"),
        ("clients.subscriptions.activate", "condition", "deactivated"),
        ("clients.subscriptions.deactivate", "condition", "activated"),
        ("clients.subscriptions.activate", "condition", "paused"),
    ] {
        let mut payload = sample(jerahook::catalog::find(id).unwrap());
        payload["data"][pointer] = json!(wrong);
        let found = errors(&check(&payload));
        assert_eq!(found.len(), 1, "{id}: {found:?}");
        assert_eq!(found[0].0, format!("/data/{pointer}"), "{id}");
    }
}

#[test]
fn quirks_of_the_documentation_are_accepted() {
    // Integer or digit-string object ids, {} or [] for empty data, partial updates, nulls,
    // extra fields the Core API adds.
    let archive = jerahook::catalog::find("clients.archive").unwrap();
    let mut payload = sample(archive);
    payload["event"]["object_id"] = json!("12");
    payload["data"] = json!([]);
    assert!(check(&payload).errors.is_empty());
    payload["data"] = json!([1]);
    assert_eq!(errors(&check(&payload))[0].0, "/data");

    let update = jerahook::catalog::find("accounting.payments.update").unwrap();
    let mut payload = sample(update);
    payload["data"] = json!({"id": 2223, "amount": -5.5, "currency": "USD"});
    assert!(
        check(&payload).errors.is_empty(),
        "partial update with an extra field"
    );

    let assign = jerahook::catalog::find("clients.subscriptions.assign").unwrap();
    let mut payload = sample(assign);
    payload["data"]["stop_dt"] = Value::Null;
    payload["data"]["condition"] = json!("new");
    assert!(check(&payload).errors.is_empty(), "open-ended subscription");
    payload["data"]["condition"] = json!("paused");
    assert_eq!(errors(&check(&payload))[0].0, "/data/condition");
}

#[test]
fn import_records_are_shared_definitions() {
    // The import config appears as data.main and as data.queue.settings: one definition.
    for event in EVENTS
        .iter()
        .filter(|event| event.id.starts_with("importd."))
    {
        let Data::Object(object) = &event.data else {
            panic!("{}", event.id)
        };
        assert!(object.fields.iter().any(|field| field.name == "main"));
    }
    let config = jerahook::records::Def::ImportConfig.spec();
    assert!(matches!(config.shape, Shape::Record(_)));
}

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

/// The mutated corpus `scripts/portability.sh` gives every validator: one payload a line.
const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/scripts/portability/mutated.ndjson"
);

/// Impossible date-times in both forms: months 00 and 13, days 00 and 32, days a month does
/// not have, hour 24, minute and second 60, offsets beyond 23:59.
const IMPOSSIBLE_DATES: &[&str] = &[
    "2022-00-10T10:00:00+00:00",
    "2022-13-10T10:00:00+00:00",
    "2022-07-00T10:00:00+00:00",
    "2022-07-32T10:00:00+00:00",
    "2022-04-31T10:00:00+00:00",
    "2023-02-29T10:00:00+00:00",
    "1900-02-29T10:00:00+00:00",
    "2022-07-10T24:00:00+00:00",
    "2022-07-10T10:60:00+00:00",
    "2022-07-10T10:00:60+00:00",
    "2022-07-10T10:00:00+24:00",
    "2022-07-10T10:00:00+05:60",
    "2022-00-10 10:00:00+0000",
    "2022-13-10 10:00:00+0000",
    "2022-07-00 10:00:00+0000",
    "2022-07-32 10:00:00+0000",
    "2022-06-31 10:00:00+0000",
    "2021-02-29 10:00:00+0000",
    "2022-07-10 24:00:00+0000",
    "2022-07-10 10:60:00+0000",
    "2022-07-10 10:00:60+0000",
    "2022-07-10 10:00:00+2400",
    "2022-07-10 10:00:00-0060",
];

/// Well-formed date-times in both forms, leap days included.
const GOOD_DATES: &[&str] = &[
    "2024-02-29T23:59:59+00:00",
    "2000-02-29T00:00:00Z",
    "2022-12-31T23:59:59.999999-23:59",
    "2022-07-06 00:00:00+0000",
    "2024-02-29 12:30:00-0530",
];

/// Not a date-time at all, or a mix of the two forms.
const MALFORMED_DATES: &[&str] = &[
    "2022-07-06",
    "2022-07-06T00:00:00",
    "2022-07-06 00:00:00+00:00",
    "2022-07-06T00:00:00+0000",
    "yesterday",
];

/// Every payload of the corpus, from the samples: wrong types, missing required fields, nulls,
/// extra fields, impossible and well-formed dates in both forms, negative and string ids,
/// unknown and old event ids, and the payloads the relaxed schemas now accept.
fn mutated_corpus() -> Vec<Value> {
    let mut corpus = Vec::new();
    let by_id = |id: &str| sample(jerahook::catalog::find(id).unwrap());
    for event in EVENTS {
        let original = sample(event);
        corpus.push(original.clone());
        // Missing fields: the envelope's, then each field of data.
        for field in ["dt", "events_id", "object_id"] {
            let mut payload = original.clone();
            payload["event"].as_object_mut().unwrap().remove(field);
            corpus.push(payload);
        }
        for key in ["event", "data"] {
            let mut payload = original.clone();
            payload.as_object_mut().unwrap().remove(key);
            corpus.push(payload);
        }
        if let Some(data) = original["data"].as_object() {
            for (field, value) in data {
                let mut without = original.clone();
                without["data"].as_object_mut().unwrap().remove(field);
                corpus.push(without);
                let mut null = original.clone();
                null["data"][field] = Value::Null;
                corpus.push(null);
                let wrong = match value {
                    Value::Number(_) => json!("34abc"),
                    Value::Bool(_) => json!("yes"),
                    Value::Array(_) => json!({}),
                    Value::Object(_) => json!([]),
                    Value::String(_) => json!(5),
                    Value::Null => json!(true),
                };
                let mut wrong_type = original.clone();
                wrong_type["data"][field] = wrong;
                corpus.push(wrong_type);
            }
        }
        // Nulls and wrong shapes of the envelope, extra fields, ids.
        for (pointer, value) in [
            ("/event/dt", Value::Null),
            ("/event/object_id", Value::Null),
            ("/event/object_id", json!(-1)),
            ("/event/object_id", json!("-1")),
            ("/event/object_id", json!("12a")),
            ("/event/object_id", json!(1.5)),
            ("/event/object_id", json!("0012")),
            ("/event/events_id", json!(12)),
            ("/data", Value::Null),
            ("/data", json!([])),
            ("/data", json!({})),
            ("/data", json!([1])),
            ("/data/id", json!(-1)),
            ("/data/id", json!("12")),
            ("/data/extra_field", json!("the Core API adds fields")),
        ] {
            let mut payload = original.clone();
            if set(&mut payload, pointer, value) {
                corpus.push(payload);
            }
        }
        let mut extra = original.clone();
        extra["extra"] = json!(1);
        corpus.push(extra);
    }
    // Dates: every impossible, good and malformed one as event.dt, as a transaction's c_dt,
    // and as a nullable date-time.
    for (id, pointer) in [
        ("clients.create", "/event/dt"),
        ("accounting.charges.create", "/data/c_dt"),
        ("clients.subscriptions.assign", "/data/stop_dt"),
    ] {
        for date in IMPOSSIBLE_DATES
            .iter()
            .chain(GOOD_DATES)
            .chain(MALFORMED_DATES)
        {
            let mut payload = by_id(id);
            assert!(set(&mut payload, pointer, json!(date)));
            corpus.push(payload);
        }
    }
    // A field shown only as null: a date, a date-time, or neither.
    for date in [
        "2022-07-14",
        "2022-02-30",
        "2022-07-14T00:00:00+00:00",
        "2022-07-14 00:00:00+0000",
        "14.07.2022",
    ] {
        let mut payload = by_id("importd.process_success");
        payload["data"]["main"]["az_date"] = json!(date);
        payload["data"]["main"]["sheets"][0]["code_rules"][0]["end_date"] = json!(date);
        corpus.push(payload);
    }
    // Event ids: unknown, an older name, another event's.
    for id in [
        "clients.explode",
        "clients.custom_fields_update",
        "clients.update",
    ] {
        let mut payload = by_id("clients.custom_fields.update");
        payload["event"]["events_id"] = json!(id);
        corpus.push(payload);
    }
    // Required only where the documentation shows it: a failed import with a bare queue
    // entry, an e-mail import whose queue has no statistics, a client without a partition.
    let mut failed = by_id("importd.process_failed");
    failed["data"]["queue"] = json!({ "id": 62, "users_id": null });
    failed["data"]["main"]["rate_tables_logs"] = Value::Null;
    corpus.push(failed);
    let mut mail = by_id("email_rates_manager.import");
    mail["data"]["queue"] = json!({ "id": 62, "files_meta": [] });
    corpus.push(mail);
    let mut success = by_id("importd.process_success");
    success["data"]["queue"]
        .as_object_mut()
        .unwrap()
        .remove("stats");
    corpus.push(success);
    corpus
}

/// Sets the value at a JSON Pointer whose parent exists; `false` when it does not.
fn set(payload: &mut Value, pointer: &str, value: Value) -> bool {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    match payload.pointer_mut(parent) {
        Some(Value::Object(object)) => {
            object.insert(key.to_string(), value);
            true
        }
        _ => false,
    }
}

fn corpus_text() -> String {
    mutated_corpus()
        .iter()
        .map(|payload| serde_json::to_string(payload).unwrap() + "\n")
        .collect()
}

#[test]
fn the_mutated_corpus_is_what_the_samples_generate() {
    let generated = corpus_text();
    if std::env::var_os("UPDATE_CORPUS").is_some() {
        std::fs::write(CORPUS, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(CORPUS).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{CORPUS} is out of date with the samples; run `UPDATE_CORPUS=1 cargo test --test samples`"
    );
}

#[test]
fn the_all_events_schema_agrees_with_jerahook_on_the_mutated_corpus() {
    // What `scripts/portability.sh` checks of other validators, checked here of the
    // `vcs-event` file compiled as jerahook compiles it.
    let all = jerahook::schemas::compile(&jerahook::generate::all_events_schema()).unwrap();
    let corpus = mutated_corpus();
    let mut invalid = 0;
    for payload in &corpus {
        let ours = check(payload).errors.is_empty();
        invalid += usize::from(!ours);
        assert_eq!(all.is_valid(payload), ours, "{payload}");
    }
    // Most mutations break the payload; some (extra fields, good dates, relaxations) do not.
    assert!(
        corpus.len() > 500 && invalid > corpus.len() / 2,
        "{invalid} of {}",
        corpus.len()
    );
}

#[test]
fn the_patterns_reject_every_impossible_date_and_accept_every_good_one() {
    for date in IMPOSSIBLE_DATES.iter().chain(MALFORMED_DATES) {
        let mut payload = sample(jerahook::catalog::find("accounting.charges.create").unwrap());
        payload["data"]["c_dt"] = json!(date);
        let found = errors(&check(&payload));
        assert_eq!(found.len(), 1, "{date}: {found:?}");
        assert_eq!(found[0].0, "/data/c_dt", "{date}");
        assert!(
            found[0].1.contains("is not a date-time"),
            "{date}: {found:?}"
        );
    }
    for date in GOOD_DATES {
        let mut payload = sample(jerahook::catalog::find("clients.create").unwrap());
        payload["event"]["dt"] = json!(date);
        assert!(check(&payload).errors.is_empty(), "{date}");
    }
}

#[test]
fn a_client_created_without_a_partition_is_valid() {
    // `companies_id` is in the clients.create sample only from a later revision of the
    // documentation page on: a release before it sends clients without one.
    let mut payload = sample(jerahook::catalog::find("clients.create").unwrap());
    payload["data"]
        .as_object_mut()
        .unwrap()
        .remove("companies_id");
    assert_eq!(errors(&check(&payload)), []);
    payload["data"].as_object_mut().unwrap().remove("name");
    assert_eq!(
        errors(&check(&payload)),
        [("/data".into(), "missing required field \"name\"".into())]
    );
}

#[test]
fn a_failed_import_needs_no_more_of_its_queue_entry_than_the_documentation_shows() {
    // The documentation shows `main` and `queue` of a failed import as placeholders: the
    // queue's statistics, status and the rest were required only by copying them from the
    // successful import's sample.
    let failed = jerahook::catalog::find("importd.process_failed").unwrap();
    for field in ["stats", "status", "dt", "object", "object_id", "settings"] {
        let mut payload = sample(failed);
        payload["data"]["queue"]
            .as_object_mut()
            .unwrap()
            .remove(field);
        assert_eq!(errors(&check(&payload)), [], "without queue.{field}");
    }
    let mut payload = sample(failed);
    payload["data"]["queue"] = json!({ "id": 62, "users_id": null });
    payload["data"]["main"]["rate_tables_logs"] = Value::Null;
    assert_eq!(errors(&check(&payload)), []);
    payload["data"]["queue"] = json!({ "users_id": 6 });
    assert_eq!(
        errors(&check(&payload)),
        [("/data/queue".into(), "missing required field \"id\"".into())]
    );
}

#[test]
fn an_e_mail_import_needs_no_statistics_of_its_queue_entry() {
    // The documentation shows this queue as `<IMPORT_QUEUE>` only.
    let mut payload = sample(jerahook::catalog::find("email_rates_manager.import").unwrap());
    payload["data"]["queue"] = json!({ "id": 62, "files_meta": [], "users_id": null });
    assert_eq!(errors(&check(&payload)), []);
}

#[test]
fn a_successful_import_still_carries_what_its_payload_shows() {
    let mut payload = sample(jerahook::catalog::find("importd.process_success").unwrap());
    payload["data"]["queue"]
        .as_object_mut()
        .unwrap()
        .remove("stats");
    assert_eq!(
        errors(&check(&payload)),
        [(
            "/data/queue".into(),
            "missing required field \"stats\"".into()
        )]
    );
}

#[test]
fn dates_shown_only_as_null_take_a_date_or_a_date_time() {
    let success = jerahook::catalog::find("importd.process_success").unwrap();
    let fields = [
        "/data/main/az_date",
        "/data/main/sheets/0/code_rules/0/effective_from",
        "/data/main/sheets/0/code_rules/0/end_date",
        "/data/queue/settings/az_date",
    ];
    for date in [
        "2022-07-14",
        "2022-07-14T00:00:00+00:00",
        "2022-07-14 00:00:00+0000",
    ] {
        let mut payload = sample(success);
        for pointer in fields {
            assert!(set(&mut payload, pointer, json!(date)));
        }
        assert_eq!(errors(&check(&payload)), [], "{date}");
    }
    let mut payload = sample(success);
    assert!(set(&mut payload, fields[0], json!("2022-02-30")));
    assert_eq!(
        errors(&check(&payload)),
        [(
            fields[0].into(),
            "\"2022-02-30\" is not a date or a date-time: day 30".into()
        )]
    );
}

#[test]
fn the_e_mail_samples_carry_addresses_not_the_page_export_s_placeholder() {
    for event in EVENTS {
        assert!(
            !event.example.contains("email protected"),
            "{}: the export's placeholder is no address VCS sends",
            event.id
        );
    }
    let payload = sample(jerahook::catalog::find("email_rates_manager.import").unwrap());
    assert_eq!(payload["data"]["mailbox"]["login"], "rates@example.com");
}

#[test]
fn a_required_field_of_the_wrong_type_gives_one_error() {
    // The event declares its required fields again beside `required` (for strict validators
    // and code generators): both copies fail the same way, and one error says it.
    for (id, field) in [
        ("clients.create", "name"),
        ("clients.accounts.create", "auth_type"),
        ("accounting.charges.create", "amount"),
    ] {
        let mut payload = sample(jerahook::catalog::find(id).unwrap());
        payload["data"][field] = json!({ "nested": true });
        let found = errors(&check(&payload));
        assert_eq!(found.len(), 1, "{id}: {found:?}");
        assert_eq!(found[0].0, format!("/data/{field}"), "{id}");
    }
}

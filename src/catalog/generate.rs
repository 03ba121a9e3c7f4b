//! Turns the catalog into JSON Schema (draft 2020-12) that every validator reads the same way.
//!
//! Every file is self-contained, one schema resource with one `$id`: it carries every shared
//! definition it reaches under `$defs` and refers to them with `#/$defs/<name>`. An embedded
//! definition is its file without the file's header (`$schema`, `$id`, `$comment`) and
//! `$defs`, so the copies say the same thing, and no `$id` appears but at the root of a file: a
//! tool that loads every file into one registry meets each `$id` once. (Embedding the files
//! with their `$id` cannot work: two definitions that share a third would carry it twice, and
//! Ajv, for one, refuses an `$id` twice in one document even with equal content.)
//!
//! The files use standard keywords only, in the form strict validators ask for: a `type` beside
//! every `properties`, `required`, `pattern`, `minimum` and `items`; a union of types only with
//! `null` (otherwise `anyOf`); every required field declared beside `required`. `tests/schemas.rs`
//! checks these rules; `scripts/portability.sh` runs the validators themselves.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::catalog::records::{Def, Examples, Field, Object, Shape, Ty};
use crate::catalog::{Data, EVENTS, Event};

/// The dialect of every schema.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The `pattern` of an event id: `clients.create`, `clients.custom_fields.update`.
pub const EVENT_ID_PATTERN: &str = "^[a-z0-9_]+(\\.[a-z0-9_]+)+$";

/// The `pattern` of an id written as a string: digits only.
pub const DIGITS_PATTERN: &str = "^[0-9]+$";

/// The base of every `$id`: an identifier, never fetched.
pub const BASE: &str = "https://jerahook.dev/schemas/";

/// The file that dispatches on `event.events_id` to the event schemas.
pub const ALL_EVENTS: &str = "vcs-event.schema.json";

/// The `$comment` every generated file carries.
pub const COMMENT: &str = "Generated from the event catalog (src/catalog/events.rs, \
                           src/catalog/records.rs) by `jerahook schema --write schemas/`. Do \
                           not edit: change the catalog and regenerate.";

/// One generated file: its path under `schemas/` and its content.
pub struct File {
    pub path: String,
    pub content: String,
}

/// The schema of one event, bundled with every definition it reaches.
pub fn event_schema(event: &Event) -> Value {
    let mut root = header(&format!("{}.schema.json", event.id));
    root.extend(event_body(event));
    let mut deps = BTreeSet::new();
    collect_def(Def::Envelope, &mut deps);
    match &event.data {
        Data::Empty => {}
        Data::Record { def, narrowed, .. } => {
            collect_def(*def, &mut deps);
            collect_fields(narrowed, &mut deps);
        }
        Data::Object(object) | Data::KeyValues(object) => collect_fields(object.fields, &mut deps),
    }
    root.insert("$defs".into(), bundled(&deps, Map::new()));
    Value::Object(root)
}

/// What an event's file says, less its header and `$defs`.
fn event_body(event: &Event) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("title".into(), event.title.into());
    body.insert(
        "description".into(),
        format!(
            "`{}`: {}. Category: {}",
            event.id,
            event.description,
            event.category.name()
        )
        .into(),
    );
    body.insert("type".into(), "object".into());
    body.insert("$ref".into(), def_ref(Def::Envelope).into());
    body.insert(
        "properties".into(),
        json!({
            "event": {
                "type": "object",
                "properties": { "events_id": events_id_schema(event) },
            },
            "data": data_schema(event),
        }),
    );
    body.insert("examples".into(), json!([example(event)]));
    body
}

/// One shared definition as a file of its own, bundled with every definition it reaches.
pub fn def_file_schema(def: Def) -> Value {
    let mut root = header(&format!("defs/{}.schema.json", def.spec().name));
    root.extend(def_body(def));
    let mut deps = BTreeSet::new();
    collect_def(def, &mut deps);
    deps.remove(&def);
    if !deps.is_empty() {
        root.insert("$defs".into(), bundled(&deps, Map::new()));
    }
    Value::Object(root)
}

/// What a definition's file says, less its header and `$defs`: what `$defs` embeds.
pub fn def_body(def: Def) -> Map<String, Value> {
    let spec = def.spec();
    let mut body = Map::new();
    body.insert("title".into(), spec.title.into());
    body.insert("description".into(), spec.description.into());
    let shape = match &spec.shape {
        Shape::Envelope => envelope_body(),
        Shape::Pattern(pattern) => json!({ "type": "string", "pattern": pattern }),
        Shape::Record(object) => object_schema(object),
    };
    let Value::Object(shape) = shape else {
        unreachable!("shapes are objects")
    };
    body.extend(shape);
    body.insert("examples".into(), def_examples(&spec.examples));
    body
}

/// One schema for any payload: the envelope, then the schema of the event `event.events_id`
/// names. An id no event has fails the `enum`.
pub fn all_events_schema() -> Value {
    let mut root = header(ALL_EVENTS);
    root.insert("title".into(), "VCS Provisioning API event".into());
    root.insert(
        "description".into(),
        "Any payload VCS posts to a Provisioning API handler: `event.events_id` picks the \
         event's schema, and an id that is no known event fails. For a capture of mixed events \
         or a payload whose event is not known in advance"
            .into(),
    );
    root.insert("type".into(), "object".into());
    root.insert("$ref".into(), def_ref(Def::Envelope).into());
    let names: Vec<&str> = EVENTS.iter().flat_map(event_names).collect();
    root.insert(
        "properties".into(),
        json!({
            "event": {
                "type": "object",
                "properties": {
                    "events_id": {
                        "description": "One of the known event ids, current or older",
                        "enum": names,
                    },
                },
            },
        }),
    );
    let branches: Vec<Value> = EVENTS
        .iter()
        .map(|event| {
            json!({
                "if": {
                    "type": "object",
                    "required": ["event"],
                    "properties": {
                        "event": {
                            "type": "object",
                            "required": ["events_id"],
                            "properties": { "events_id": names_schema(event) },
                        },
                    },
                },
                "then": { "$ref": format!("#/$defs/{}", event.id) },
            })
        })
        .collect();
    root.insert("allOf".into(), Value::Array(branches));
    root.insert(
        "examples".into(),
        json!([example(&EVENTS[0]), example(&EVENTS[EVENTS.len() - 1])]),
    );
    let events: Map<String, Value> = EVENTS
        .iter()
        .map(|event| (event.id.to_string(), Value::Object(event_body(event))))
        .collect();
    let mut deps = BTreeSet::new();
    for def in Def::ALL {
        collect_def(*def, &mut deps);
    }
    root.insert("$defs".into(), bundled(&deps, events));
    Value::Object(root)
}

/// Every file under `schemas/`, as `jerahook schema --write` writes them.
pub fn files() -> Vec<File> {
    let events = EVENTS.iter().map(|event| File {
        path: format!("{}.schema.json", event.id),
        content: pretty(&event_schema(event)),
    });
    let all = std::iter::once(File {
        path: ALL_EVENTS.to_string(),
        content: pretty(&all_events_schema()),
    });
    let defs = Def::ALL.iter().map(|&def| File {
        path: format!("defs/{}.schema.json", def.spec().name),
        content: pretty(&def_file_schema(def)),
    });
    events.chain(all).chain(defs).collect()
}

/// The keys only a file's root has: `$schema`, `$id` and `$comment`.
pub const HEADER: &[&str] = &["$schema", "$id", "$comment"];

fn header(path: &str) -> Map<String, Value> {
    let mut root = Map::new();
    root.insert("$schema".into(), DIALECT.into());
    root.insert("$id".into(), format!("{BASE}{path}").into());
    root.insert("$comment".into(), COMMENT.into());
    root
}

fn pretty(schema: &Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("a Value always serialises");
    text.push('\n');
    text
}

fn example(event: &Event) -> Value {
    serde_json::from_str(event.example).expect("catalog examples are checked JSON")
}

fn def_examples(examples: &Examples) -> Value {
    match examples {
        Examples::Strings(strings) => json!(strings),
        Examples::Sample { event, pointer } => {
            let event = crate::catalog::find(event).expect("examples name catalog events");
            let value = example(event)
                .pointer(pointer)
                .cloned()
                .expect("example pointers point into the sample");
            json!([value])
        }
    }
}

/// `const` for one name, `enum` for several.
fn names_schema(event: &Event) -> Value {
    match event_names(event).as_slice() {
        [one] => json!({ "const": one }),
        names => json!({ "enum": names }),
    }
}

/// The current id and the older ones.
fn event_names(event: &Event) -> Vec<&'static str> {
    let mut names = vec![event.id];
    names.extend(event.old_names.iter().map(|old| old.name));
    names
}

fn events_id_schema(event: &Event) -> Value {
    if event.old_names.is_empty() {
        return json!({ "const": event.id });
    }
    let history: Vec<String> = event
        .old_names
        .iter()
        .map(|old| format!("`{}` before {}", old.name, old.renamed_in))
        .collect();
    json!({
        "description": format!("`{}`; older releases sent {}", event.id, history.join(", ")),
        "enum": event_names(event),
    })
}

fn data_schema(event: &Event) -> Value {
    match &event.data {
        Data::Empty => json!({
            "description": "Nothing beyond the event: `{}`, or `[]` as the documentation shows for deletes",
            "anyOf": [
                { "type": "object" },
                { "type": "array", "maxItems": 0 },
            ],
        }),
        Data::Record {
            def,
            required,
            narrowed,
        } => {
            let mut schema = Map::new();
            schema.insert("$ref".into(), def_ref(*def).into());
            // What the record itself requires is said once, there: twice would report a
            // missing field twice.
            let own = match &def.spec().shape {
                Shape::Record(object) => object.required,
                _ => &[],
            };
            let required: Vec<&str> = required
                .iter()
                .copied()
                .filter(|field| !own.contains(field))
                .collect();
            overlay(&mut schema, *def, &required, properties(narrowed));
            Value::Object(schema)
        }
        Data::Object(object) | Data::KeyValues(object) => {
            let mut schema = Map::new();
            schema.insert("title".into(), format!("{}: data", event.title).into());
            let Value::Object(body) = object_schema(object) else {
                unreachable!("objects are objects")
            };
            schema.extend(body);
            Value::Object(schema)
        }
    }
}

/// What a use of a record adds to the `$ref`: `type`, the fields it requires beyond the
/// record's own, and the fields it narrows. Each required field is declared beside `required`
/// with the record's own schema for it, so strict validators find it and code generators type
/// it; the validator reports a wrong value there once (see `judge::validate`).
fn overlay(
    schema: &mut Map<String, Value>,
    def: Def,
    required: &[&str],
    mut narrowed: Map<String, Value>,
) {
    schema.insert("type".into(), "object".into());
    if required.is_empty() && narrowed.is_empty() {
        return;
    }
    let Shape::Record(record) = &def.spec().shape else {
        unreachable!("overlays are of records")
    };
    let own = properties(record.fields);
    for name in required {
        let declared = own
            .get(*name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} is no field of {}", def.spec().name));
        narrowed.entry(name.to_string()).or_insert(declared);
    }
    if !required.is_empty() {
        schema.insert("required".into(), json!(required));
    }
    schema.insert("properties".into(), Value::Object(narrowed));
}

fn envelope_body() -> Value {
    json!({
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {
                "title": "Event",
                "description": "What happened, to which object and when",
                "type": "object",
                "required": ["dt", "events_id", "object_id"],
                "properties": {
                    "dt": {
                        "description": "When the event happened",
                        "$ref": def_ref(Def::DateTime),
                    },
                    "events_id": {
                        "description": "The event id, such as `clients.create`",
                        "type": "string",
                        "pattern": EVENT_ID_PATTERN,
                    },
                    "object_id": {
                        "description": "The entity the event happened to: an integer or a string of digits (an import queue id for `importd.*`, a mail message id for `email_rates_manager.*`)",
                        "anyOf": [
                            { "type": "integer", "minimum": 0 },
                            { "type": "string", "pattern": DIGITS_PATTERN },
                        ],
                    },
                },
            },
            // No type here: each event's schema types its `data`, and a union at this level
            // would reach the code generated for every event (`Data | list[Any]`).
            "data": {
                "description": "The event's record: an object, or `{}` or `[]` where the event says it all; each event's schema says which",
            },
        },
    })
}

fn object_schema(object: &Object) -> Value {
    let mut schema = Map::new();
    schema.insert("type".into(), "object".into());
    if !object.required.is_empty() {
        schema.insert("required".into(), json!(object.required));
    }
    schema.insert(
        "properties".into(),
        Value::Object(properties(object.fields)),
    );
    Value::Object(schema)
}

fn properties(fields: &[Field]) -> Map<String, Value> {
    fields
        .iter()
        .map(|field| {
            let mut schema = Map::new();
            schema.insert("description".into(), field.doc.into());
            if let Value::Object(body) = ty_schema(field.ty) {
                schema.extend(body);
            }
            (field.name.to_string(), Value::Object(schema))
        })
        .collect()
}

fn ty_schema(ty: Ty) -> Value {
    match ty {
        Ty::Str => json!({ "type": "string" }),
        Ty::Id | Ty::Count => json!({ "type": "integer", "minimum": 0 }),
        Ty::Int => json!({ "type": "integer" }),
        Ty::Num => json!({ "type": "number" }),
        Ty::Bool => json!({ "type": "boolean" }),
        Ty::DateTime => json!({ "$ref": def_ref(Def::DateTime) }),
        Ty::DateOrDateTime => json!({ "$ref": def_ref(Def::DateOrDateTime) }),
        // The values say the type: no `type` beside them.
        Ty::OneOf(values) => json!({ "enum": values }),
        Ty::Const(value) => json!({ "const": value }),
        Ty::List(Ty::Any) => json!({ "type": "array" }),
        Ty::List(item) => json!({ "type": "array", "items": ty_schema(*item) }),
        Ty::Nullable(inner) => {
            let mut schema = ty_schema(*inner);
            match schema.get_mut("type") {
                // One `type` keyword with two names keeps a wrong value to one error.
                Some(kind @ Value::String(_)) => *kind = json!([kind.take(), "null"]),
                _ => schema = json!({ "anyOf": [schema, { "type": "null" }] }),
            }
            schema
        }
        Ty::Def(def) => json!({ "$ref": def_ref(def) }),
        Ty::DefRequiring(def, required) => {
            let mut schema = Map::new();
            schema.insert("$ref".into(), def_ref(def).into());
            overlay(&mut schema, def, required, Map::new());
            Value::Object(schema)
        }
        Ty::Object(object) => object_schema(object),
        Ty::Any => json!({}),
    }
}

fn def_ref(def: Def) -> String {
    format!("#/$defs/{}", def.spec().name)
}

/// `extra` (the event bodies of the all-events file), then the definitions, each as its file
/// says it.
fn bundled(deps: &BTreeSet<Def>, mut extra: Map<String, Value>) -> Value {
    for &def in deps {
        extra.insert(def.spec().name.to_string(), Value::Object(def_body(def)));
    }
    Value::Object(extra)
}

/// The definitions these fields reach, directly or through other definitions.
fn collect_fields(fields: &[Field], deps: &mut BTreeSet<Def>) {
    for field in fields {
        collect(field.ty, deps);
    }
}

fn collect(ty: Ty, deps: &mut BTreeSet<Def>) {
    match ty {
        Ty::DateTime => collect_def(Def::DateTime, deps),
        Ty::DateOrDateTime => collect_def(Def::DateOrDateTime, deps),
        Ty::List(inner) | Ty::Nullable(inner) => collect(*inner, deps),
        Ty::Def(def) | Ty::DefRequiring(def, _) => collect_def(def, deps),
        Ty::Object(object) => collect_fields(object.fields, deps),
        _ => {}
    }
}

fn collect_def(def: Def, deps: &mut BTreeSet<Def>) {
    if !deps.insert(def) {
        return;
    }
    match &def.spec().shape {
        Shape::Envelope => collect_def(Def::DateTime, deps),
        Shape::Pattern(_) => {}
        Shape::Record(object) => collect_fields(object.fields, deps),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_schema_names_its_event_and_bundles_the_envelope() {
        for event in EVENTS {
            let schema = event_schema(event);
            assert_eq!(schema["title"], event.title);
            assert_eq!(
                schema["$id"],
                format!("https://jerahook.dev/schemas/{}.schema.json", event.id)
            );
            assert!(schema["$defs"]["envelope"].is_object(), "{}", event.id);
            assert!(schema["$defs"]["date-time"].is_object(), "{}", event.id);
            assert_eq!(schema["examples"][0]["event"]["events_id"], event.id);
        }
    }

    #[test]
    fn nullable_scalars_are_one_type_keyword() {
        assert_eq!(
            ty_schema(Ty::Nullable(&Ty::Id)),
            json!({ "type": ["integer", "null"], "minimum": 0 })
        );
        assert_eq!(
            ty_schema(Ty::Nullable(&Ty::DateTime)),
            json!({ "anyOf": [{ "$ref": "#/$defs/date-time" }, { "type": "null" }] })
        );
    }

    #[test]
    fn import_events_bundle_every_record_they_reach() {
        let event = crate::catalog::find("importd.process_success").unwrap();
        let defs = event_schema(event)["$defs"].clone();
        for name in [
            "import-config",
            "import-queue",
            "import-stats",
            "import-sheet",
            "code-rule",
            "file-meta",
            "rate-table",
            "rate-tables-log",
            "date-or-date-time",
        ] {
            assert_eq!(
                defs[name],
                Value::Object(def_body(
                    Def::ALL
                        .iter()
                        .copied()
                        .find(|d| d.spec().name == name)
                        .unwrap()
                )),
                "{name}"
            );
        }
        assert!(defs.get("client").is_none(), "bundles only what it uses");
    }

    #[test]
    fn pinned_values_are_consts() {
        let event = crate::catalog::find("accounting.payments.create").unwrap();
        let data = &event_schema(event)["properties"]["data"];
        assert_eq!(data["properties"]["type"]["const"], "payment");
        assert_eq!(
            data["required"],
            json!(["c_dt", "type", "amount", "status"])
        );
        // Required fields the overlay does not narrow are declared beside `required`.
        assert_eq!(data["properties"]["amount"]["type"], "number");
        assert_eq!(data["type"], "object");
    }
}

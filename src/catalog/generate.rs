//! Turns the catalog into JSON Schema (draft 2020-12).
//!
//! Every event schema is a self-contained bundle: it refers to the shared definitions with `$ref`
//! (`defs/client.schema.json`), and carries the definitions it uses under `$defs`, each with its
//! own `$id`, as the 2020-12 specification describes bundling. Other tools can use a file on its
//! own, with no network and no search path. `schemas/defs/` holds each shared definition as a
//! file too, bundled the same way.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::catalog::datetime;
use crate::catalog::records::{Def, Field, Object, Shape, Ty};
use crate::catalog::{Data, EVENTS, Event};

/// The dialect of every schema.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The base of every `$id`: an identifier, never fetched.
pub const BASE: &str = "https://jerahook.dev/schemas/";

/// The `$comment` every generated file carries.
pub const COMMENT: &str = "Generated from the event catalog (src/catalog.rs, src/records.rs) by \
                           `jerahook schema --write schemas/`. Do not edit: change the catalog \
                           and regenerate.";

/// One generated file: its path under `schemas/` and its content.
pub struct File {
    pub path: String,
    pub content: String,
}

/// The schema of one event, bundled with the definitions it uses.
pub fn event_schema(event: &Event) -> Value {
    let mut root = Map::new();
    root.insert("$schema".into(), DIALECT.into());
    root.insert(
        "$id".into(),
        format!("{BASE}{}.schema.json", event.id).into(),
    );
    root.insert("$comment".into(), COMMENT.into());
    root.insert("title".into(), event.id.into());
    root.insert(
        "description".into(),
        format!(
            "{}. Category: {}.",
            event.description,
            event.category.name()
        )
        .into(),
    );
    root.insert("$ref".into(), def_ref(Def::Envelope, "defs/").into());
    root.insert(
        "properties".into(),
        json!({
            "event": { "properties": { "events_id": events_id_schema(event) } },
            "data": data_schema(&event.data),
        }),
    );
    let example: Value =
        serde_json::from_str(event.example).expect("catalog examples are checked JSON");
    root.insert("examples".into(), json!([example]));
    let mut deps = BTreeSet::from([Def::Envelope, Def::DateTime]);
    match &event.data {
        Data::Empty => {}
        Data::Record { def, narrowed, .. } => {
            collect(Ty::Def(*def), &mut deps);
            collect_fields(narrowed, &mut deps);
        }
        Data::Object(object) | Data::KeyValues(object) => collect_fields(object.fields, &mut deps),
    }
    root.insert("$defs".into(), bundled(&deps));
    Value::Object(root)
}

/// One shared definition as a file of its own, bundled with the definitions it uses.
pub fn def_file_schema(def: Def) -> Value {
    let mut root = Map::new();
    root.insert("$schema".into(), DIALECT.into());
    let Value::Object(body) = def_schema(def) else {
        unreachable!("definitions are objects")
    };
    let mut body = body.into_iter();
    // `$id` first, then the comment, then the rest in the order written.
    if let Some((id_key, id)) = body.next() {
        root.insert(id_key, id);
    }
    root.insert("$comment".into(), COMMENT.into());
    root.extend(body);
    let mut deps = BTreeSet::new();
    collect_def(def, &mut deps);
    deps.remove(&def);
    if !deps.is_empty() {
        root.insert("$defs".into(), bundled(&deps));
    }
    Value::Object(root)
}

/// Every file under `schemas/`, as `jerahook schema --write` writes them.
pub fn files() -> Vec<File> {
    let events = EVENTS.iter().map(|event| File {
        path: format!("{}.schema.json", event.id),
        content: pretty(&event_schema(event)),
    });
    let defs = Def::ALL.iter().map(|&def| File {
        path: format!("defs/{}.schema.json", def.spec().name),
        content: pretty(&def_file_schema(def)),
    });
    events.chain(defs).collect()
}

fn pretty(schema: &Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("a Value always serialises");
    text.push('\n');
    text
}

fn events_id_schema(event: &Event) -> Value {
    if event.old_names.is_empty() {
        return json!({ "const": event.id });
    }
    let mut names = vec![event.id];
    names.extend(event.old_names.iter().map(|old| old.name));
    let history: Vec<String> = event
        .old_names
        .iter()
        .map(|old| format!("`{}` before {}", old.name, old.renamed_in))
        .collect();
    json!({
        "enum": names,
        "description": format!("`{}`; older releases sent {}.", event.id, history.join(", ")),
    })
}

fn data_schema(data: &Data) -> Value {
    match data {
        Data::Empty => json!({
            "description": "Nothing beyond the event: `{}`, or `[]` as the docs show for deletes.",
            "type": ["object", "array"],
            "maxItems": 0,
        }),
        Data::Record {
            def,
            required,
            narrowed,
        } => {
            let mut schema = Map::new();
            schema.insert("$ref".into(), def_ref(*def, "defs/").into());
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
            if !required.is_empty() {
                schema.insert("required".into(), json!(required));
            }
            if !narrowed.is_empty() {
                schema.insert("properties".into(), properties(narrowed, "defs/"));
            }
            Value::Object(schema)
        }
        Data::Object(object) | Data::KeyValues(object) => object_schema(object, "defs/"),
    }
}

/// The schema of a definition, with its `$id`, as it stands in `$defs` or in its own file.
fn def_schema(def: Def) -> Value {
    let spec = def.spec();
    let mut schema = Map::new();
    schema.insert(
        "$id".into(),
        format!("{BASE}defs/{}.schema.json", spec.name).into(),
    );
    schema.insert("title".into(), spec.title.into());
    schema.insert("description".into(), spec.description.into());
    let body = match &spec.shape {
        Shape::Envelope => envelope_body(),
        Shape::DateTime => json!({ "format": datetime::FORMAT, "pattern": datetime::PATTERN }),
        Shape::Record(object) => object_schema(object, ""),
    };
    let Value::Object(body) = body else {
        unreachable!("bodies are objects")
    };
    schema.extend(body);
    Value::Object(schema)
}

fn envelope_body() -> Value {
    json!({
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {
                "type": "object",
                "required": ["dt", "events_id", "object_id"],
                "properties": {
                    "dt": {
                        "description": "When the event happened.",
                        "type": "string",
                        "$ref": def_ref(Def::DateTime, ""),
                    },
                    "events_id": {
                        "description": "The event id, such as `clients.create`.",
                        "type": "string",
                        "pattern": "^[a-z0-9_]+(\\.[a-z0-9_]+)+$",
                    },
                    "object_id": {
                        "description": "The entity the event happened to: an integer or a string of digits (an import queue id for `importd.*`, a mail message id for `email_rates_manager.*`).",
                        "type": ["integer", "string"],
                        "minimum": 0,
                        "pattern": "^[0-9]+$",
                    },
                },
            },
            "data": {
                "description": "The event's record; `{}` or `[]` where the event says it all.",
                "type": ["object", "array"],
            },
        },
    })
}

fn object_schema(object: &Object, prefix: &str) -> Value {
    let mut schema = Map::new();
    schema.insert("type".into(), "object".into());
    if !object.required.is_empty() {
        schema.insert("required".into(), json!(object.required));
    }
    schema.insert("properties".into(), properties(object.fields, prefix));
    Value::Object(schema)
}

fn properties(fields: &[Field], prefix: &str) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|field| (field.name.to_string(), ty_schema(field.ty, prefix)))
        .collect();
    Value::Object(properties)
}

/// `prefix` is where the definitions are relative to the schema resource being written: `defs/`
/// from an event schema, nothing from within a definition.
fn ty_schema(ty: Ty, prefix: &str) -> Value {
    match ty {
        Ty::Str => json!({ "type": "string" }),
        Ty::Id | Ty::Count => json!({ "type": "integer", "minimum": 0 }),
        Ty::Int => json!({ "type": "integer" }),
        Ty::Num => json!({ "type": "number" }),
        Ty::Bool => json!({ "type": "boolean" }),
        Ty::DateTime => json!({ "type": "string", "$ref": def_ref(Def::DateTime, prefix) }),
        Ty::OneOf(values) => json!({ "type": "string", "enum": values }),
        Ty::Const(value) => json!({ "const": value }),
        Ty::List(item) => json!({ "type": "array", "items": ty_schema(*item, prefix) }),
        Ty::Nullable(inner) => {
            let mut schema = ty_schema(*inner, prefix);
            match schema.get_mut("type") {
                // One `type` keyword with two names keeps a wrong value to one error.
                Some(kind @ Value::String(_)) => *kind = json!([kind.take(), "null"]),
                _ => schema = json!({ "anyOf": [schema, { "type": "null" }] }),
            }
            schema
        }
        Ty::Def(def) => json!({ "$ref": def_ref(def, prefix) }),
        Ty::Object(object) => object_schema(object, prefix),
        Ty::Any => json!({}),
    }
}

fn def_ref(def: Def, prefix: &str) -> String {
    format!("{prefix}{}.schema.json", def.spec().name)
}

fn bundled(deps: &BTreeSet<Def>) -> Value {
    let defs: Map<String, Value> = deps
        .iter()
        .map(|&def| (def.spec().name.to_string(), def_schema(def)))
        .collect();
    Value::Object(defs)
}

fn collect_fields(fields: &[Field], deps: &mut BTreeSet<Def>) {
    for field in fields {
        collect(field.ty, deps);
    }
}

fn collect(ty: Ty, deps: &mut BTreeSet<Def>) {
    match ty {
        Ty::DateTime => {
            deps.insert(Def::DateTime);
        }
        Ty::List(inner) | Ty::Nullable(inner) => collect(*inner, deps),
        Ty::Def(def) => collect_def(def, deps),
        Ty::Object(object) => collect_fields(object.fields, deps),
        _ => {}
    }
}

fn collect_def(def: Def, deps: &mut BTreeSet<Def>) {
    if !deps.insert(def) {
        return;
    }
    match &def.spec().shape {
        Shape::Envelope => {
            deps.insert(Def::DateTime);
        }
        Shape::DateTime => {}
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
            assert_eq!(schema["title"], event.id);
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
            ty_schema(Ty::Nullable(&Ty::Id), ""),
            json!({ "type": ["integer", "null"], "minimum": 0 })
        );
        assert_eq!(
            ty_schema(Ty::Nullable(&Ty::DateTime), "defs/"),
            json!({ "type": ["string", "null"], "$ref": "defs/date-time.schema.json" })
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
        ] {
            assert!(defs[name].is_object(), "{name} missing");
        }
        assert!(defs.get("client").is_none(), "bundles only what it uses");
    }

    #[test]
    fn pinned_values_are_consts() {
        let event = crate::catalog::find("accounting.payments.create").unwrap();
        let data = &event_schema(event)["properties"]["data"];
        assert_eq!(data["properties"]["type"], json!({ "const": "payment" }));
        assert_eq!(
            data["required"],
            json!(["c_dt", "type", "amount", "status"])
        );
    }
}

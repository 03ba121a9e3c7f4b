//! Generates benchmark inputs from the catalog's documented payloads.
//!
//! - `corpus ndjson N FILE`: N mixed payloads of all 27 events, one per line; every 100th is
//!   invalid (a wrong type, a missing field, an impossible date, an unknown event in turn);
//! - `corpus dir N DIR`: the same payloads as N files, one payload each;
//! - `corpus dispatch FILE`: one schema that checks any payload against its event's schema,
//!   for validators that take a single schema (the shared definitions appear once).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use jerahook::catalog::EVENTS;
use jerahook::generate;
use serde_json::{Map, Value, json};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["ndjson", count, path] => {
            let mut out = BufWriter::new(File::create(path)?);
            for n in 0..count.parse()? {
                serde_json::to_writer(&mut out, &payload(n))?;
                out.write_all(b"\n")?;
            }
            out.flush()?;
        }
        ["dir", count, dir] => {
            fs::create_dir_all(dir)?;
            for n in 0..count.parse()? {
                let path = Path::new(dir).join(format!("{n:06}.json"));
                fs::write(path, serde_json::to_vec(&payload(n))?)?;
            }
        }
        ["dispatch", path] => fs::write(path, serde_json::to_vec_pretty(&dispatch())?)?,
        _ => return Err("usage: corpus ndjson N FILE | dir N DIR | dispatch FILE".into()),
    }
    Ok(())
}

/// Payload number `n`: the documented payload of event `n % 27`, with its own ids.
fn payload(n: usize) -> Value {
    let event = &EVENTS[n % EVENTS.len()];
    let mut payload: Value = serde_json::from_str(event.example).expect("examples are JSON");
    let id = 1000 + n as u64;
    payload["event"]["object_id"] = if n % 2 == 0 {
        json!(id)
    } else {
        json!(id.to_string())
    };
    if payload["data"].get("id").is_some_and(Value::is_u64) {
        payload["data"]["id"] = json!(id);
    }
    if n % 100 == 99 {
        match (n / 100) % 4 {
            0 => payload["event"]["object_id"] = json!("12a"),
            1 => payload["event"]["dt"] = json!("2025-13-45T00:00:00+00:00"),
            2 => payload["event"]["events_id"] = json!("clients.explode"),
            _ => drop(payload.as_object_mut().map(|o| o.remove("data"))),
        }
    }
    payload
}

/// Every event schema and shared definition under one `$defs`, dispatched on `events_id`.
fn dispatch() -> Value {
    let mut defs = Map::new();
    let mut branches = Vec::new();
    for event in EVENTS {
        let mut schema = generate::event_schema(event);
        let object = schema.as_object_mut().expect("schemas are objects");
        object.remove("$schema");
        object.remove("examples");
        if let Some(Value::Object(bundled)) = object.remove("$defs") {
            defs.extend(bundled);
        }
        branches.push(json!({
            "if": {"properties": {"event": {"properties": {"events_id": {"const": event.id}}}}},
            "then": {"$ref": format!("{}{}.schema.json", generate::BASE, event.id)},
        }));
        defs.insert(event.id.to_string(), schema);
    }
    let ids: Vec<&str> = EVENTS.iter().map(|event| event.id).collect();
    json!({
        "$schema": generate::DIALECT,
        "$id": format!("{}all.schema.json", generate::BASE),
        "title": "Any Provisioning API payload",
        "required": ["event"],
        "properties": {"event": {"required": ["events_id"], "properties": {"events_id": {"enum": ids}}}},
        "allOf": branches,
        "$defs": defs,
    })
}

//! Generates benchmark inputs from the catalog's documented payloads.
//!
//! - `corpus ndjson N FILE`: N mixed payloads of all 27 events, one per line, the three
//!   import events (several kilobytes each) one in a hundred; every 100th is invalid (a wrong
//!   type, a missing field, an impossible date, an unknown event in turn);
//! - `corpus dir N DIR`: the same payloads as N files, one payload each;
//! - `corpus dispatch FILE`: one schema that checks any payload against its event's schema,
//!   for validators that take a single schema (`schemas/vcs-event.schema.json`).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use jerahook::catalog::EVENTS;
use jerahook::generate;
use serde_json::{Value, json};

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
        ["dispatch", path] => fs::write(
            path,
            serde_json::to_vec_pretty(&generate::all_events_schema())?,
        )?,
        _ => return Err("usage: corpus ndjson N FILE | dir N DIR | dispatch FILE".into()),
    }
    Ok(())
}

/// The events whose payloads carry a whole import (several kilobytes each): in a real capture
/// they are rare, one in a hundred here.
const IMPORTS: [&str; 3] = [
    "email_rates_manager.import",
    "importd.process_success",
    "importd.process_failed",
];

/// Payload number `n`: the documented payload of an import event once in a hundred, of one of
/// the other events in turn otherwise, with its own ids.
fn payload(n: usize) -> Value {
    let (imports, others): (Vec<_>, Vec<_>) =
        EVENTS.iter().partition(|event| IMPORTS.contains(&event.id));
    let event = if n % 100 == 50 {
        imports[n / 100 % imports.len()]
    } else {
        others[n % others.len()]
    };
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

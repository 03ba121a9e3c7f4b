//! The schema set a run validates against: the one built into the binary, or a directory the
//! user gives with `--schemas`.
//!
//! Built-in schemas come from the catalog through the same generator that writes `schemas/`
//! (a test keeps the two identical), so the binary needs no files at run time. Each event's
//! validator is compiled once, on first use: a run pays only for the events it meets.
//!
//! jerahook compiles the schemas exactly as they are written, with no format or keyword of its
//! own: the date-time pattern carries the whole calendar rule, so any other validator that reads
//! the same files reaches the same verdicts.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result, bail};
use jsonschema::{Draft, Validator};
use serde_json::Value;

use crate::catalog::generate;
use crate::catalog::records::Def;
use crate::catalog::{EVENTS, Event};
use crate::judge::fast;

/// Compiles a schema as draft 2020-12. Formats in a schema of the user's own are asserted, and
/// one no validator knows is an error rather than a check silently skipped.
pub fn compile(schema: &Value) -> Result<Validator, String> {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .should_ignore_unknown_formats(false)
        .build(schema)
        .map_err(|error| error.to_string())
}

/// Compiles a built-in schema: as [`compile`] does, with the `regex` engine for its patterns.
/// Built-in patterns need nothing of `fancy-regex` (no look-around, no back-references), which
/// would parse each of them again before handing it to `regex`; a run that meets all 27 events
/// compiles the date-time pattern 27 times.
fn compile_built_in(schema: &Value) -> Result<Validator, String> {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .should_ignore_unknown_formats(false)
        .with_pattern_options(jsonschema::PatternOptions::regex())
        .build(schema)
        .map_err(|error| error.to_string())
}

/// Where a schema set comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Generated from the catalog compiled into the binary.
    BuiltIn,
    /// `<id>.schema.json` files and `defs/envelope.schema.json` in a directory.
    Dir(PathBuf),
}

/// One schema and its validator, compiled on first use.
struct Slot {
    schema: OnceLock<Value>,
    /// Compiled by the first thread that needs it; the others wait rather than compile it too.
    validator: OnceLock<Result<Validator, String>>,
}

impl Slot {
    fn empty() -> Self {
        Slot {
            schema: OnceLock::new(),
            validator: OnceLock::new(),
        }
    }

    fn loaded(schema: Value) -> Self {
        Slot {
            schema: OnceLock::from(schema),
            validator: OnceLock::new(),
        }
    }
}

/// The schemas of all events, plus the envelope for payloads of unknown events.
pub struct SchemaSet {
    source: Source,
    /// One slot per catalog event, in catalog order.
    events: Vec<Slot>,
    envelope: Slot,
    /// Each event's plan for the fast lane, compiled on first use (`None`: its schema uses
    /// something the lane does not check).
    plans: Vec<OnceLock<Option<fast::Plan>>>,
    /// The fast lane's rule for the envelope's `event` member.
    event_rule: OnceLock<Option<fast::EventRule>>,
}

impl SchemaSet {
    /// The schemas built into the binary.
    pub fn built_in() -> Self {
        SchemaSet {
            source: Source::BuiltIn,
            events: EVENTS.iter().map(|_| Slot::empty()).collect(),
            envelope: Slot::empty(),
            plans: EVENTS.iter().map(|_| OnceLock::new()).collect(),
            event_rule: OnceLock::new(),
        }
    }

    /// Loads and compiles every schema in `dir` up front, so a broken file stops the run before
    /// any payload is judged by it.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            bail!("{}: not a directory of schemas", dir.display());
        }
        let events = EVENTS
            .iter()
            .map(|event| load(&dir.join(format!("{}.schema.json", event.id))).map(Slot::loaded))
            .collect::<Result<Vec<_>>>()?;
        let envelope_path = dir.join("defs").join("envelope.schema.json");
        let set = SchemaSet {
            source: Source::Dir(dir.to_path_buf()),
            events,
            envelope: Slot::loaded(load(&envelope_path)?),
            plans: EVENTS.iter().map(|_| OnceLock::new()).collect(),
            event_rule: OnceLock::new(),
        };
        for (event, slot) in EVENTS.iter().zip(&set.events) {
            set.compile_slot(slot, || format!("{}.schema.json", event.id))
                .with_context(|| format!("{}", dir.display()))?;
        }
        set.compile_slot(&set.envelope, || "defs/envelope.schema.json".into())
            .with_context(|| format!("{}", dir.display()))?;
        Ok(set)
    }

    /// Where these schemas come from.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The schema of `event`.
    pub fn schema(&self, event: &Event) -> &Value {
        let index = index_of(event);
        self.events[index]
            .schema
            .get_or_init(|| generate::event_schema(event))
    }

    /// The schema of any event (`vcs-event.schema.json`): generated, or read from the
    /// directory.
    pub fn all_events(&self) -> Result<Value> {
        match &self.source {
            Source::BuiltIn => Ok(generate::all_events_schema()),
            Source::Dir(dir) => load(&dir.join(generate::ALL_EVENTS)),
        }
    }

    /// The validator of `event`, compiled on first use.
    pub fn validator(&self, event: &Event) -> Result<&Validator> {
        let slot = &self.events[index_of(event)];
        self.schema(event);
        self.compile_slot(slot, || format!("{}.schema.json", event.id))
    }

    /// The validator of the envelope alone, for events the catalog does not know.
    pub fn envelope(&self) -> Result<&Validator> {
        self.envelope_schema();
        self.compile_slot(&self.envelope, || "defs/envelope.schema.json".into())
    }

    fn envelope_schema(&self) -> &Value {
        self.envelope
            .schema
            .get_or_init(|| generate::def_file_schema(Def::Envelope))
    }

    fn compile_slot<'a>(&self, slot: &'a Slot, name: impl Fn() -> String) -> Result<&'a Validator> {
        let schema = slot.schema.get().expect("schema is set before compiling");
        slot.validator
            .get_or_init(|| match self.source {
                Source::BuiltIn => compile_built_in(schema),
                Source::Dir(_) => compile(schema),
            })
            .as_ref()
            .map_err(|error| anyhow::anyhow!("{}: not a usable JSON Schema: {error}", name()))
    }
}

impl fast::Plans for SchemaSet {
    fn event_rule(&self) -> Option<&fast::EventRule> {
        self.event_rule
            .get_or_init(|| fast::event_rule(self.envelope_schema()).ok())
            .as_ref()
    }

    fn plan(&self, index: usize, event: &'static Event) -> Option<&fast::Plan> {
        let shared = self.event_rule()?;
        self.plans[index]
            .get_or_init(|| fast::plan(event, self.schema(event), shared).ok())
            .as_ref()
    }
}

fn index_of(event: &Event) -> usize {
    EVENTS
        .iter()
        .position(|known| std::ptr::eq(known, event))
        .expect("events come from the catalog")
}

fn load(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_built_in_schema_compiles() {
        let set = SchemaSet::built_in();
        for event in EVENTS {
            set.validator(event).unwrap();
        }
        set.envelope().unwrap();
    }

    #[test]
    fn built_in_patterns_judge_alike_with_either_engine() {
        for event in EVENTS {
            let schema = generate::event_schema(event);
            let (fancy, plain) = (
                compile(&schema).unwrap(),
                compile_built_in(&schema).unwrap(),
            );
            let example: Value = serde_json::from_str(event.example).unwrap();
            let mut variants = vec![example.clone()];
            for (pointer, value) in [
                ("/event/dt", json!("2023-02-29T00:00:00Z")),
                ("/event/dt", json!("2024-02-29 23:59:59+0300")),
                ("/event/events_id", json!("Clients.Create")),
                ("/event/object_id", json!("12a")),
                ("/event/object_id", json!("0012")),
            ] {
                let mut variant = example.clone();
                *variant.pointer_mut(pointer).unwrap() = value;
                variants.push(variant);
            }
            for variant in &variants {
                let errors = |v: &Validator| {
                    v.iter_errors(variant)
                        .map(|e| (e.instance_path().to_string(), e.to_string()))
                        .collect::<Vec<_>>()
                };
                assert_eq!(errors(&fancy), errors(&plain), "{}: {variant}", event.id);
            }
        }
    }

    #[test]
    fn the_date_time_definition_checks_the_calendar_by_itself() {
        let validator = compile(&generate::def_file_schema(Def::DateTime)).unwrap();
        assert!(validator.is_valid(&json!("2022-07-06 00:00:00+0000")));
        assert!(validator.is_valid(&json!("2024-02-29T00:00:00Z")));
        for impossible in [
            "2025-13-45T00:00:00+00:00",
            "2023-02-29T00:00:00Z",
            "2022-07-06T24:00:00Z",
        ] {
            assert!(!validator.is_valid(&json!(impossible)), "{impossible}");
        }
    }

    #[test]
    fn a_misspelt_format_is_a_schema_error() {
        let error = compile(&json!({ "format": "vcs-datetime" })).unwrap_err();
        assert!(error.contains("vcs-datetime"), "{error}");
    }
}

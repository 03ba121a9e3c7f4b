//! The conformance cases `test-handler` fires at a handler: every event in every form VCS sends,
//! generated from the catalog (the documented payloads, the records' field types and the
//! events' old names), so a new event or field is covered without a hand-kept list.
//!
//! Each case is named `EVENT/VARIANT` and isolates one quirk: every case but `object-id-string`
//! sends `object_id` as an integer, every case but `data-empty-array` sends empty data as `{}`,
//! every case keeps the documented date-time forms unless it is a `dt-*` case, and so on, so a
//! handler that fails one quirk fails exactly that variant.
//! Nothing here reads the clock: the time and the first id come in as [`Fresh`].

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::catalog::datetime;
use crate::catalog::records::{Def, Field, Shape, Ty};
use crate::catalog::{Data, Event};

/// The kinds of case, in the order they run for each event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Variant {
    Documented,
    ObjectIdInt,
    ObjectIdString,
    DtRfc3339,
    DtFraction,
    DtSpaceForm,
    DataEmptyObject,
    DataEmptyArray,
    PartialUpdate,
    Nulls,
    ExtraFields,
    Unicode,
    Large,
    OldName,
    Redelivery,
    Burst,
}

impl Variant {
    /// Every variant, in running order.
    pub const ALL: &'static [Variant] = &[
        Variant::Documented,
        Variant::ObjectIdInt,
        Variant::ObjectIdString,
        Variant::DtRfc3339,
        Variant::DtFraction,
        Variant::DtSpaceForm,
        Variant::DataEmptyObject,
        Variant::DataEmptyArray,
        Variant::PartialUpdate,
        Variant::Nulls,
        Variant::ExtraFields,
        Variant::Unicode,
        Variant::Large,
        Variant::OldName,
        Variant::Redelivery,
        Variant::Burst,
    ];

    /// The name in `EVENT/VARIANT`.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Documented => "documented",
            Variant::ObjectIdInt => "object-id-int",
            Variant::ObjectIdString => "object-id-string",
            Variant::DtRfc3339 => "dt-rfc3339",
            Variant::DtFraction => "dt-fraction",
            Variant::DtSpaceForm => "dt-space-form",
            Variant::DataEmptyObject => "data-empty-object",
            Variant::DataEmptyArray => "data-empty-array",
            Variant::PartialUpdate => "partial-update",
            Variant::Nulls => "nulls",
            Variant::ExtraFields => "extra-fields",
            Variant::Unicode => "unicode",
            Variant::Large => "large",
            Variant::OldName => "old-name",
            Variant::Redelivery => "redelivery",
            Variant::Burst => "burst",
        }
    }
}

/// How a case's payloads go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// One after another, each once the previous one was answered.
    InTurn,
    /// All at once.
    AtOnce,
}

/// One conformance case.
#[derive(Debug)]
pub struct Case {
    pub event: &'static Event,
    pub variant: Variant,
    /// What is posted, one request each.
    pub payloads: Vec<Value>,
    pub delivery: Delivery,
}

impl Case {
    /// `clients.create/object-id-string`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.event.id, self.variant.name())
    }
}

/// What makes a run's payloads its own: the time they claim and the ids they carry.
#[derive(Debug, Clone, Copy)]
pub struct Fresh {
    /// Seconds since the epoch, for `event.dt`.
    pub now: i64,
    /// Microseconds past `now`, for the forms with fractional seconds.
    pub micros: u32,
    /// The first object id; each payload takes the next one.
    pub first_id: u64,
    /// Payloads in a `burst` case.
    pub burst: usize,
}

impl Fresh {
    /// The time `since_epoch` and ids derived from it: a thousand per second of the clock, so
    /// runs a second apart do not reuse ids, and below 2^31 (wrapping every 23 days), so a
    /// handler storing ids in 32-bit columns is not failed by ids VCS would never send.
    pub fn at(since_epoch: Duration, burst: usize) -> Fresh {
        let seconds = since_epoch.as_secs();
        Fresh {
            now: i64::try_from(seconds).unwrap_or(i64::MAX),
            micros: since_epoch.subsec_micros(),
            first_id: 1_000 + seconds % 2_000_000 * 1_000,
            burst,
        }
    }
}

/// Rows in a `large` case: files (one sheet each), code rules per sheet, queue messages.
const LARGE_FILES: usize = 20;
const LARGE_RULES_PER_SHEET: usize = 50;
const LARGE_MESSAGES: usize = 1_000;
const LARGE_ROWS_PER_FILE: u64 = 200_000;

/// Text with what breaks naive string handling: non-ASCII letters, an emoji, quotes, a
/// backslash and a newline.
pub const UNICODE_TEXT: &str =
    "Zoë Łukasiewicz — Ærøskøbing 東京 🚀 \"quoted\" back\\slash\nsecond line";

/// A field beside the documented ones.
const EXTRA_KEY: &str = "jerahook_extra_field";

/// The cases for `events`, in catalog order and [`Variant::ALL`] order within each event.
pub fn generate(events: &[&'static Event], fresh: &Fresh) -> Vec<Case> {
    let mut ids = fresh.first_id..;
    let mut cases = Vec::new();
    for &event in events {
        for &variant in Variant::ALL {
            if let Some(case) = build(event, variant, fresh, &mut ids) {
                cases.push(case);
            }
        }
    }
    cases
}

fn build(
    event: &'static Event,
    variant: Variant,
    fresh: &Fresh,
    ids: &mut impl Iterator<Item = u64>,
) -> Option<Case> {
    let mut next_id = || ids.next().expect("ids never run out");
    let one = |payload: Value| Case {
        event,
        variant,
        payloads: vec![payload],
        delivery: Delivery::InTurn,
    };
    let fields = Fields::of_data(&event.data);
    let base = |id: u64| documented(event, fresh, id);
    Some(match variant {
        Variant::Documented | Variant::ObjectIdInt => one(base(next_id())),
        Variant::ObjectIdString => {
            let id = next_id();
            let mut payload = base(id);
            payload["event"]["object_id"] = json!(id.to_string());
            one(payload)
        }
        Variant::DtRfc3339 | Variant::DtFraction | Variant::DtSpaceForm => {
            let form = match variant {
                Variant::DtRfc3339 => Form::Rfc3339,
                Variant::DtFraction => Form::Fraction,
                _ => Form::Space,
            };
            let mut payload = base(next_id());
            payload["event"]["dt"] = json!(form.format(fresh.now, fresh.micros));
            if let Some(fields) = fields {
                walk(fields, &mut payload["data"], &mut Dates(form));
            }
            one(payload)
        }
        Variant::DataEmptyObject | Variant::DataEmptyArray => {
            if !matches!(event.data, Data::Empty) {
                return None;
            }
            let mut payload = base(next_id());
            payload["data"] = match variant {
                Variant::DataEmptyObject => json!({}),
                _ => json!([]),
            };
            one(payload)
        }
        Variant::PartialUpdate => {
            if !event.id.ends_with(".update") {
                return None;
            }
            let mut payload = base(next_id());
            let data = payload["data"].as_object()?;
            // The id and the last documented field, as VCS sends an edit of one field.
            let (key, value) = data.iter().rev().find(|(key, _)| *key != "id")?;
            let mut partial = Map::new();
            partial.insert("id".into(), data.get("id")?.clone());
            partial.insert(key.clone(), value.clone());
            payload["data"] = Value::Object(partial);
            one(payload)
        }
        Variant::Nulls => {
            let mut payload = base(next_id());
            let mut nulls = Nulls(0);
            walk(fields?, &mut payload["data"], &mut nulls);
            (nulls.0 > 0).then(|| one(payload))?
        }
        Variant::ExtraFields => {
            let mut payload = base(next_id());
            walk(fields?, &mut payload["data"], &mut Extra);
            if let Some(data) = payload["data"].as_object_mut() {
                data.insert(
                    "jerahook_extra_object".into(),
                    json!({ EXTRA_KEY: "not in the documentation", "count": 1 }),
                );
            }
            one(payload)
        }
        Variant::Unicode => {
            let mut payload = base(next_id());
            let mut texts = Texts(0);
            walk(fields?, &mut payload["data"], &mut texts);
            if let Data::KeyValues(_) = event.data {
                // The custom fields' values are the user's own text.
                if let Some(data) = payload["data"].as_object_mut() {
                    for (key, value) in data.iter_mut() {
                        if key != "id" && value.is_string() {
                            *value = json!(UNICODE_TEXT);
                            texts.0 += 1;
                        }
                    }
                }
            }
            (texts.0 > 0).then(|| one(payload))?
        }
        Variant::Large => {
            let mut payload = base(next_id());
            let mut large = Large(false);
            walk(fields?, &mut payload["data"], &mut large);
            large.0.then(|| one(payload))?
        }
        Variant::OldName => {
            let old = event.old_names.first()?;
            let mut payload = base(next_id());
            payload["event"]["events_id"] = json!(old.name);
            one(payload)
        }
        Variant::Redelivery => {
            let payload = base(next_id());
            Case {
                event,
                variant,
                payloads: vec![payload.clone(), payload],
                delivery: Delivery::InTurn,
            }
        }
        Variant::Burst => Case {
            event,
            variant,
            payloads: (0..fresh.burst.max(1)).map(|_| base(next_id())).collect(),
            delivery: Delivery::AtOnce,
        },
    })
}

/// The documented payload with `id` as its object id (an integer) and the entity's id,
/// `event.dt` now in the documented form, and empty data as `{}` (the docs show `[]` for some
/// deletes: that is the `data-empty-array` case's quirk).
fn documented(event: &Event, fresh: &Fresh, id: u64) -> Value {
    let mut payload: Value =
        serde_json::from_str(event.example).expect("catalog examples are checked JSON");
    let dt = payload["event"]["dt"].as_str().map(Form::of);
    payload["event"]["dt"] = json!(dt.unwrap_or(Form::Rfc3339).format(fresh.now, fresh.micros));
    payload["event"]["object_id"] = json!(id);
    if let Data::Empty = event.data {
        payload["data"] = json!({});
    }
    // The record the object id names: the entity, else the mail message, else the import queue.
    let data = &mut payload["data"];
    if data.get("id").is_some_and(Value::is_u64) {
        data["id"] = json!(id);
    } else if data.pointer("/message/id").is_some() {
        data["message"]["id"] = json!(id.to_string());
    } else if data.pointer("/queue/id").is_some() {
        data["queue"]["id"] = json!(id);
    }
    payload
}

/// The date-time forms VCS writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `2022-07-14T13:11:49+00:00`
    Rfc3339,
    /// `2022-01-24T15:44:47.216756+00:00`
    Fraction,
    /// `2022-07-06 00:00:00+0000`
    Space,
}

impl Form {
    fn of(text: &str) -> Form {
        if text.as_bytes().get(10) == Some(&b' ') {
            Form::Space
        } else if text.as_bytes().get(19) == Some(&b'.') {
            Form::Fraction
        } else {
            Form::Rfc3339
        }
    }

    fn format(self, unix: i64, micros: u32) -> String {
        let (y, mo, d, h, mi, s) = datetime::civil_from_unix(unix);
        match self {
            Form::Rfc3339 => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}+00:00"),
            Form::Fraction => {
                format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{micros:06}+00:00")
            }
            Form::Space => format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}+0000"),
        }
    }
}

/// The documented fields of one object: a record's or an event's own, and the ones an event
/// narrows.
#[derive(Debug, Clone, Copy)]
struct Fields {
    own: &'static [Field],
    narrowed: &'static [Field],
}

impl Fields {
    fn of_data(data: &'static Data) -> Option<Fields> {
        match data {
            Data::Empty => None,
            Data::Record { def, narrowed, .. } => Some(Fields {
                narrowed,
                ..Fields::of_ty(Ty::Def(*def))?
            }),
            Data::Object(object) | Data::KeyValues(object) => Some(Fields {
                own: object.fields,
                narrowed: &[],
            }),
        }
    }

    fn of_ty(ty: Ty) -> Option<Fields> {
        let own = match ty {
            Ty::Def(def) | Ty::DefRequiring(def, _) => match &def.spec().shape {
                Shape::Record(object) => object.fields,
                _ => return None,
            },
            Ty::Object(object) => object.fields,
            _ => return None,
        };
        Some(Fields { own, narrowed: &[] })
    }

    /// Each documented field with its type as this event has it.
    fn each(self) -> impl Iterator<Item = (&'static str, Ty)> {
        let narrowed = self.narrowed;
        let own = self.own.iter().map(move |field| {
            let ty = narrowed
                .iter()
                .find(|n| n.name == field.name)
                .map_or(field.ty, |n| n.ty);
            (field.name, ty)
        });
        let more = narrowed
            .iter()
            .filter(|n| !self.own.iter().any(|field| field.name == n.name))
            .map(|n| (n.name, n.ty));
        own.chain(more)
    }

    fn is(self, def: Def) -> bool {
        Fields::of_ty(Ty::Def(def)).is_some_and(|other| std::ptr::eq(other.own, self.own))
    }
}

/// What a walk over documented values does: to each documented object before its fields are
/// walked, and to each documented value that is not an object.
trait Visit {
    fn object(&mut self, _fields: Fields, _object: &mut Map<String, Value>) {}
    fn value(&mut self, _name: &str, _ty: Ty, _value: &mut Value) {}
}

fn walk(fields: Fields, value: &mut Value, visit: &mut impl Visit) {
    let Some(object) = value.as_object_mut() else {
        return;
    };
    visit.object(fields, object);
    for (name, ty) in fields.each() {
        if let Some(child) = object.get_mut(name) {
            walk_ty(name, ty, child, visit);
        }
    }
}

fn walk_ty(name: &str, ty: Ty, value: &mut Value, visit: &mut impl Visit) {
    match ty {
        Ty::Nullable(inner) if !value.is_null() => walk_ty(name, *inner, value, visit),
        Ty::List(item) => {
            for element in value.as_array_mut().into_iter().flatten() {
                walk_ty(name, *item, element, visit);
            }
        }
        _ => match Fields::of_ty(ty) {
            Some(fields) => walk(fields, value, visit),
            None => visit.value(name, ty, value),
        },
    }
}

/// Rewrites every date-time in one form, keeping its moment.
struct Dates(Form);

impl Visit for Dates {
    fn value(&mut self, _: &str, ty: Ty, value: &mut Value) {
        if let (Ty::DateTime, Some(text)) = (ty, value.as_str()) {
            if let Ok(parsed) = datetime::parse(text) {
                *value = json!(self.0.format(parsed.unix, 0));
            }
        }
    }
}

/// Sets every nullable documented field (present or not) and list item to null; counts them.
struct Nulls(usize);

impl Visit for Nulls {
    fn object(&mut self, fields: Fields, object: &mut Map<String, Value>) {
        for (name, ty) in fields.each() {
            match ty {
                Ty::Nullable(_) => {
                    object.insert(name.into(), Value::Null);
                    self.0 += 1;
                }
                Ty::List(Ty::Nullable(_)) => {
                    for item in object
                        .get_mut(name)
                        .and_then(Value::as_array_mut)
                        .into_iter()
                        .flatten()
                    {
                        *item = Value::Null;
                        self.0 += 1;
                    }
                }
                _ => {}
            }
        }
    }
}

/// Adds an undocumented field to every documented object.
struct Extra;

impl Visit for Extra {
    fn object(&mut self, _: Fields, object: &mut Map<String, Value>) {
        object.insert(EXTRA_KEY.into(), json!("not in the documentation"));
    }
}

/// Puts [`UNICODE_TEXT`] in every name, note and subject; counts them.
struct Texts(usize);

impl Visit for Texts {
    fn value(&mut self, name: &str, ty: Ty, value: &mut Value) {
        if matches!(ty, Ty::Str) && matches!(name, "name" | "notes" | "subject") {
            *value = json!(UNICODE_TEXT);
            self.0 += 1;
        }
    }
}

/// Grows every import queue and import configuration to the size of a big rates import:
/// [`LARGE_FILES`] files of [`LARGE_ROWS_PER_FILE`] rows, a sheet each with
/// [`LARGE_RULES_PER_SHEET`] code rules, [`LARGE_MESSAGES`] queue messages, and counters to
/// match. Records whether it found one.
struct Large(bool);

impl Visit for Large {
    fn object(&mut self, fields: Fields, object: &mut Map<String, Value>) {
        if fields.is(Def::ImportQueue) {
            self.0 = true;
            if let Some(file) = first(object, "files_meta") {
                let files = (0..LARGE_FILES).map(|n| large_file(&file, n)).collect();
                object.insert("files_meta".into(), Value::Array(files));
            }
            let messages = (0..LARGE_MESSAGES)
                .map(|n| {
                    json!(format!(
                        "row {}: code {} ignored: duplicate of the row before",
                        2 * n + 7,
                        4_420_000 + n
                    ))
                })
                .collect();
            object.insert("messages".into(), Value::Array(messages));
            let rows = LARGE_FILES as u64 * LARGE_ROWS_PER_FILE;
            object.insert(
                "stats".into(),
                json!({
                    "closed_by_az": 15_000, "decreased": 900_000, "duplicates": 28_000,
                    "errors": 12_000, "increased": 1_200_000, "overlaid": 0,
                    "processed": rows, "stashed_by_az": 0, "successful": rows - 40_000,
                }),
            );
        }
        if fields.is(Def::ImportConfig) {
            self.0 = true;
            if let Some(sheet) = first(object, "sheets") {
                let sheets = (0..LARGE_FILES).map(|n| large_sheet(&sheet, n)).collect();
                object.insert("sheets".into(), Value::Array(sheets));
            }
            if let Some(Value::Object(log)) = object.get_mut("rate_tables_logs") {
                let rows = LARGE_FILES as u64 * LARGE_ROWS_PER_FILE;
                for (key, value) in [
                    ("total", rows),
                    ("new", 40_000),
                    ("increased", 1_200_000),
                    ("decreased", 900_000),
                    ("unchanged", rows - 2_155_000),
                    ("closed", 15_000),
                ] {
                    log.insert(key.into(), json!(value));
                }
            }
        }
    }
}

fn first(object: &Map<String, Value>, key: &str) -> Option<Value> {
    object.get(key)?.as_array()?.first().cloned()
}

fn large_file(template: &Value, n: usize) -> Value {
    let mut file = template.clone();
    file["id"] = json!(n);
    file["count"] = json!(LARGE_ROWS_PER_FILE);
    file["name"] = json!(format!("rates-part-{:02}.csv", n + 1));
    file
}

fn large_sheet(template: &Value, n: usize) -> Value {
    let mut sheet = template.clone();
    if sheet.get("file_meta").is_some() {
        sheet["file_meta"] = large_file(&sheet["file_meta"], n);
    }
    if let Some(rule) = sheet["code_rules"]
        .as_array()
        .and_then(|rules| rules.first())
        .cloned()
    {
        let rules = (0..LARGE_RULES_PER_SHEET)
            .map(|r| {
                let mut rule = rule.clone();
                rule["code"] = json!(format!("{}", 1_000 + n * LARGE_RULES_PER_SHEET + r));
                rule
            })
            .collect();
        sheet["code_rules"] = Value::Array(rules);
    }
    sheet
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::EVENTS;

    fn all() -> Vec<Case> {
        let events: Vec<&Event> = EVENTS.iter().collect();
        generate(&events, &Fresh::at(Duration::from_secs(1_795_000_000), 8))
    }

    fn find<'a>(cases: &'a [Case], name: &str) -> &'a Case {
        cases.iter().find(|case| case.name() == name).unwrap()
    }

    #[test]
    fn names_are_unique_and_stable() {
        let cases = all();
        let mut names: Vec<String> = cases.iter().map(Case::name).collect();
        assert!(names.contains(&"clients.create/object-id-string".to_string()));
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count);
    }

    #[test]
    fn only_object_id_string_sends_a_string_object_id() {
        for case in all() {
            for payload in &case.payloads {
                assert_eq!(
                    payload["event"]["object_id"].is_string(),
                    case.variant == Variant::ObjectIdString,
                    "{}",
                    case.name()
                );
            }
        }
    }

    #[test]
    fn only_data_empty_array_sends_an_array() {
        for case in all() {
            assert_eq!(
                case.payloads[0]["data"].is_array(),
                case.variant == Variant::DataEmptyArray,
                "{}",
                case.name()
            );
        }
    }

    #[test]
    fn each_payload_has_its_own_id_except_a_redelivery() {
        let mut seen = std::collections::BTreeSet::new();
        for case in all() {
            let ids: std::collections::BTreeSet<String> = case
                .payloads
                .iter()
                .map(|p| p["event"]["object_id"].to_string().replace('"', ""))
                .collect();
            let expected = if case.variant == Variant::Redelivery {
                1
            } else {
                case.payloads.len()
            };
            assert_eq!(ids.len(), expected, "{}", case.name());
            for id in ids {
                assert!(seen.insert(id), "{} reuses an id", case.name());
            }
        }
    }

    #[test]
    fn dt_cases_write_every_date_in_their_form() {
        let cases = all();
        let case = find(&cases, "accounting.charges.create/dt-space-form");
        assert_eq!(case.payloads[0]["event"]["dt"], "2026-11-18 11:06:40+0000");
        assert_eq!(case.payloads[0]["data"]["c_dt"], "2022-07-06 00:00:00+0000");
        let case = find(&cases, "accounting.charges.create/dt-rfc3339");
        assert_eq!(
            case.payloads[0]["data"]["c_dt"],
            "2022-07-06T00:00:00+00:00"
        );
        let case = find(&cases, "importd.process_success/dt-fraction");
        let mut dates = Vec::new();
        strings(&case.payloads[0], &mut dates);
        let dates: Vec<&String> = dates.iter().filter(|s| datetime::is_valid(s)).collect();
        assert!(dates.len() > 5, "{dates:?}");
        for date in dates {
            assert_eq!(Form::of(date), Form::Fraction, "{date}");
        }
    }

    fn strings(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::String(text) => found.push(text.clone()),
            Value::Array(items) => items.iter().for_each(|item| strings(item, found)),
            Value::Object(object) => object.values().for_each(|item| strings(item, found)),
            _ => {}
        }
    }

    #[test]
    fn the_documented_case_is_the_example_with_fresh_ids_and_time() {
        let cases = all();
        let case = find(&cases, "clients.update/documented");
        let payload = &case.payloads[0];
        let id = payload["event"]["object_id"].as_u64().unwrap();
        assert_eq!(payload["data"]["id"], id);
        assert_eq!(payload["data"]["name"], "My changed name");
        assert_eq!(payload["event"]["dt"], "2026-11-18T11:06:40+00:00");
        let case = find(&cases, "email_rates_manager.import/documented");
        let id = case.payloads[0]["event"]["object_id"].as_u64().unwrap();
        assert_eq!(case.payloads[0]["data"]["message"]["id"], id.to_string());
    }

    #[test]
    fn variants_apply_where_the_catalog_says_they_can() {
        let cases = all();
        let events = |variant: Variant| -> Vec<&str> {
            cases
                .iter()
                .filter(|case| case.variant == variant)
                .map(|case| case.event.id)
                .collect()
        };
        assert_eq!(events(Variant::Documented).len(), 27);
        assert_eq!(events(Variant::DataEmptyArray).len(), 7);
        assert_eq!(
            events(Variant::PartialUpdate),
            [
                "clients.update",
                "clients.custom_fields.update",
                "clients.accounts.update",
                "accounting.charges.update",
                "accounting.payments.update"
            ]
        );
        assert_eq!(
            events(Variant::Large),
            [
                "email_rates_manager.import",
                "importd.process_success",
                "importd.process_failed"
            ]
        );
        assert_eq!(events(Variant::OldName), ["clients.custom_fields.update"]);
        assert!(events(Variant::Nulls).contains(&"clients.subscriptions.assign"));
        assert!(!events(Variant::Nulls).contains(&"clients.create"));
    }

    #[test]
    fn partial_updates_carry_the_id_and_one_field() {
        let cases = all();
        let data = &find(&cases, "accounting.charges.update/partial-update").payloads[0]["data"];
        assert_eq!(data.as_object().unwrap().len(), 2);
        assert!(data["id"].is_u64() && data["amount"].is_number());
    }

    #[test]
    fn nulls_respect_what_an_event_narrows() {
        let cases = all();
        let close = &find(&cases, "clients.subscriptions.close/nulls").payloads[0]["data"];
        assert!(
            close["stop_dt"].is_string(),
            "a closed subscription has a stop_dt"
        );
        assert!(close["accounts_id"].is_null());
        let assign = &find(&cases, "clients.subscriptions.assign/nulls").payloads[0]["data"];
        assert!(assign["stop_dt"].is_null());
    }

    #[test]
    fn extra_fields_are_at_the_top_and_nested() {
        let cases = all();
        let data =
            &find(&cases, "email_rates_manager.no_attachments/extra-fields").payloads[0]["data"];
        assert!(data[EXTRA_KEY].is_string());
        assert!(data["message"][EXTRA_KEY].is_string());
        assert!(data["rate_tables"][0][EXTRA_KEY].is_string());
    }

    #[test]
    fn large_payloads_are_big_and_consistent() {
        let cases = all();
        let payload = &find(&cases, "importd.process_failed/large").payloads[0];
        let queue = &payload["data"]["queue"];
        assert_eq!(queue["files_meta"].as_array().unwrap().len(), LARGE_FILES);
        assert_eq!(queue["messages"].as_array().unwrap().len(), LARGE_MESSAGES);
        let processed = queue["stats"]["processed"].as_u64().unwrap();
        assert_eq!(processed, 4_000_000);
        assert!(queue["stats"]["successful"].as_u64().unwrap() <= processed);
        let sheets = payload["data"]["main"]["sheets"].as_array().unwrap();
        assert_eq!(sheets.len(), LARGE_FILES);
        assert_eq!(
            sheets[0]["code_rules"].as_array().unwrap().len(),
            LARGE_RULES_PER_SHEET
        );
        assert!(payload.to_string().len() > 500_000);
    }

    #[test]
    fn bursts_and_redeliveries_have_their_size() {
        let cases = all();
        let burst = find(&cases, "clients.create/burst");
        assert_eq!(
            (burst.payloads.len(), burst.delivery),
            (8, Delivery::AtOnce)
        );
        let again = find(&cases, "clients.create/redelivery");
        assert_eq!(again.payloads.len(), 2);
        assert_eq!(again.payloads[0], again.payloads[1]);
    }

    #[test]
    fn fresh_ids_stay_below_2_to_the_31() {
        for seconds in [0, 1_795_000_000, 1_796_999_999, u64::from(u32::MAX)] {
            let fresh = Fresh::at(Duration::from_secs(seconds), 8);
            assert!(fresh.first_id + 100_000 < 1 << 31, "{seconds}");
        }
    }
}

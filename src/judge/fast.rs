//! The verdict on the usual payload, read straight from its bytes: a valid payload of a known
//! event that raises no warning. Most payloads of a capture are that, and for them building a
//! `serde_json::Value` and walking it with the schema's validator costs more than the reading.
//!
//! An event's schema document is compiled here into a [`Rule`] per value (what each JSON kind
//! of value must satisfy, `$ref`, `allOf` and `anyOf` resolved ahead), and one walk of the
//! parser checks the payload against it as the parser reads it, with no document built.
//! The walk only ever says "valid, nothing to warn about" or "not sure": anything else (an
//! error, a warning, a duplicate key, a keyword or pattern not compiled here) goes to the full
//! judge, which finds and words every issue. So a payload this lane passes is one the full
//! judge passes too; the `fast_lane` tests in `validate` hold the two together on mutated
//! payloads of every event.
//!
//! Soundness rests on three choices: a schema with any keyword not listed in [`KNOWN`] gets
//! no rule at all; an `anyOf` is checked against its first branch that admits the value's kind
//! (passing one branch passes `anyOf`; failing it is only "not sure"); patterns are matched by
//! code only where the pattern is one of the four the catalog writes, each tested against the
//! regex itself.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::catalog::generate::{DIALECT, DIGITS_PATTERN, EVENT_ID_PATTERN};
use crate::catalog::{self, Event, Lookup, datetime};
use crate::judge::checks;

/// Keywords a schema compiled here may use: the ones the catalog's generator writes.
/// Annotations change no verdict; anything else leaves the schema to the full judge.
const KNOWN: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "$defs",
    "title",
    "description",
    "examples",
    "type",
    "properties",
    "required",
    "pattern",
    "minimum",
    "maxItems",
    "items",
    "anyOf",
    "allOf",
    "$ref",
    "const",
    "enum",
];

/// How deep schemas may nest through properties, items and references.
const MAX_DEPTH: usize = 48;

/// Why a schema gets no rule: it uses something this lane does not check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(String);

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn unsupported<T>(what: impl Into<String>) -> Result<T, Unsupported> {
    Err(Unsupported(what.into()))
}

/// The kinds of JSON value, as the parser hands them over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    /// A number without fraction or exponent (the parser's `u64` or `i64`).
    Integer,
    /// Any other number.
    Float,
    String,
    Array,
    Object,
}

const KINDS: [Kind; 7] = [
    Kind::Null,
    Kind::Bool,
    Kind::Integer,
    Kind::Float,
    Kind::String,
    Kind::Array,
    Kind::Object,
];

fn type_admits(name: &str, kind: Kind) -> Result<bool, Unsupported> {
    Ok(match name {
        "null" => kind == Kind::Null,
        "boolean" => kind == Kind::Bool,
        // `1.0` is an integer to JSON Schema; a float is left to the full judge.
        "integer" => kind == Kind::Integer,
        "number" => matches!(kind, Kind::Integer | Kind::Float),
        "string" => kind == Kind::String,
        "array" => kind == Kind::Array,
        "object" => kind == Kind::Object,
        other => return unsupported(format!("type \"{other}\"")),
    })
}

/// What a value must satisfy, by its kind; `None`: a value of that kind is not sure to pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Every value passes, and so does everything inside it.
    anything: bool,
    null: bool,
    boolean: bool,
    /// Integers pass when at least this.
    integer: Option<i128>,
    /// Other numbers pass when at least this.
    float: Option<f64>,
    string: Option<Strings>,
    array: Option<Box<Array>>,
    object: Option<Box<Object>>,
}

#[derive(Debug, Clone, PartialEq)]
struct Strings {
    patterns: Vec<Pattern>,
    /// From `const` and `enum`: the only strings that pass.
    allowed: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
struct Array {
    max_items: Option<u64>,
    items: Rule,
}

#[derive(Debug, Clone, PartialEq)]
struct Object {
    /// Declared properties, sorted by name; any other key is any value.
    properties: Vec<(String, Rule)>,
    /// Bits of `properties` that must be present.
    required: u128,
    /// Where each property is, by name.
    table: Table,
}

/// Names found by a hash of their length and end bytes, with the multiplier chosen so that
/// the names of one table rarely share a slot: a key is found with one comparison, where a
/// search would compare it with several names.
#[derive(Debug, Clone, PartialEq)]
struct Table {
    slots: Vec<Slot>,
    multiplier: usize,
}

/// One name of a [`Table`]: its length and its first and last eight bytes, so that names of up
/// to sixteen bytes are compared without reading them.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Slot {
    /// `None`: no name here.
    index: Option<u8>,
    len: usize,
    prefix: u64,
    suffix: u64,
}

/// The last eight bytes of `key` (nothing for a key of eight bytes or fewer, which its prefix
/// holds whole).
fn suffix(key: &[u8]) -> u64 {
    match key.last_chunk::<8>() {
        Some(last) if key.len() > 8 => u64::from_le_bytes(*last),
        _ => 0,
    }
}

/// The first eight bytes of `key` (zeros after a shorter key) as one number.
fn prefix(key: &[u8]) -> u64 {
    match key.first_chunk::<8>() {
        Some(first) => u64::from_le_bytes(*first),
        None => key
            .iter()
            .rev()
            .fold(0, |word, &byte| word << 8 | u64::from(byte)),
    }
}

impl Table {
    fn hash(multiplier: usize, key: &[u8]) -> usize {
        let (first, last) = match key {
            [] => (0, 0),
            [first, .., last] => (*first, *last),
            [only] => (*only, *only),
        };
        (key.len() ^ usize::from(first) << 6 ^ usize::from(last) << 12).wrapping_mul(multiplier)
            >> 40
    }

    /// A table of `names` (at most 255).
    fn new<'a>(names: impl Iterator<Item = &'a str> + Clone) -> Table {
        let count = names.clone().count();
        let size = (count * 4).next_power_of_two().max(8);
        let empty = Slot {
            index: None,
            len: 0,
            prefix: 0,
            suffix: 0,
        };
        let build = |multiplier: usize| {
            let mut slots = vec![empty; size];
            let mut probes = 0;
            for (index, name) in names.clone().enumerate() {
                let mut at = Table::hash(multiplier, name.as_bytes()) & (size - 1);
                while slots[at].index.is_some() {
                    at = (at + 1) & (size - 1);
                    probes += 1;
                }
                slots[at] = Slot {
                    index: Some(u8::try_from(index).expect("at most 255 names")),
                    len: name.len(),
                    prefix: prefix(name.as_bytes()),
                    suffix: suffix(name.as_bytes()),
                };
            }
            (probes, Table { slots, multiplier })
        };
        // Odd multipliers from a fixed sequence: the first that places every name in its own
        // slot, or the one with the fewest extra probes.
        (0..64usize)
            .map(|n| build(0x9E37_79B9_7F4A_7C15_usize.wrapping_mul(2 * n + 1) | 1))
            .min_by_key(|(probes, _)| *probes)
            .map(|(_, table)| table)
            .expect("at least one multiplier")
    }

    /// The index of `key` among the names, given them in the same order.
    fn find<'n>(&self, key: &str, name_at: impl Fn(usize) -> &'n str) -> Option<usize> {
        let key = key.as_bytes();
        let mask = self.slots.len() - 1;
        let mut at = Table::hash(self.multiplier, key) & mask;
        let (key_prefix, key_suffix) = (prefix(key), suffix(key));
        loop {
            let slot = self.slots[at];
            let index = usize::from(slot.index?);
            if slot.len == key.len()
                && slot.prefix == key_prefix
                && slot.suffix == key_suffix
                && (key.len() <= 16 || {
                    // Byte by byte: a call to `memcmp` costs more than these few bytes.
                    let name = name_at(index).as_bytes();
                    name[8..].iter().zip(&key[8..]).all(|(a, b)| a == b)
                })
            {
                return Some(index);
            }
            at = (at + 1) & mask;
        }
    }
}

impl Object {
    fn new(properties: Vec<(String, Rule)>, required: u128) -> Object {
        let table = Table::new(properties.iter().map(|(name, _)| name.as_str()));
        Object {
            properties,
            required,
            table,
        }
    }

    /// The index of the property named `key`.
    fn find(&self, key: &str) -> Option<usize> {
        self.table.find(key, |index| &self.properties[index].0)
    }
}

/// The patterns the catalog writes, matched by code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    /// `^[0-9]+$`
    Digits,
    /// `^[a-z0-9_]+(\.[a-z0-9_]+)+$`
    EventId,
    DateTime,
    DateOrDateTime,
}

impl Pattern {
    fn of(pattern: &str) -> Result<Pattern, Unsupported> {
        Ok(match pattern {
            DIGITS_PATTERN => Pattern::Digits,
            EVENT_ID_PATTERN => Pattern::EventId,
            datetime::PATTERN => Pattern::DateTime,
            datetime::DATE_OR_DATE_TIME_PATTERN => Pattern::DateOrDateTime,
            other => return unsupported(format!("pattern {other:?}")),
        })
    }

    fn matches(self, text: &str) -> bool {
        match self {
            Pattern::Digits => !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()),
            Pattern::EventId => {
                // Words of `[a-z0-9_]` joined by single dots, at least two of them.
                let (mut dots, mut word) = (0, 0);
                for byte in text.bytes() {
                    match byte {
                        b'a'..=b'z' | b'0'..=b'9' | b'_' => word += 1,
                        b'.' if word > 0 => {
                            dots += 1;
                            word = 0;
                        }
                        _ => return false,
                    }
                }
                dots > 0 && word > 0
            }
            Pattern::DateTime => datetime::is_valid(text),
            Pattern::DateOrDateTime => datetime::check_date_or_date_time(text).is_ok(),
        }
    }
}

impl Rule {
    /// No value: every kind goes to the full judge.
    fn none() -> Rule {
        Rule {
            anything: false,
            null: false,
            boolean: false,
            integer: None,
            float: None,
            string: None,
            array: None,
            object: None,
        }
    }
}

/// Any value, at any depth: what a schema without constraints, or an undeclared key, holds.
static ANY: Rule = Rule {
    anything: true,
    null: true,
    boolean: true,
    integer: Some(i128::MIN),
    float: Some(f64::NEG_INFINITY),
    string: None,
    array: None,
    object: None,
};

/// Compiles schema documents; `$ref`s resolve within the document (`#/$defs/<name>`).
struct Compiler<'s> {
    root: &'s Value,
}

impl<'s> Compiler<'s> {
    /// The schema objects `schema` stands for, all of which a value must satisfy: itself, and
    /// what its `$ref` and `allOf` point to.
    fn leaves(
        &self,
        schema: &'s Value,
        depth: usize,
        out: &mut Vec<&'s Map<String, Value>>,
    ) -> Result<(), Unsupported> {
        if depth > MAX_DEPTH {
            return unsupported("schema nested too deep");
        }
        let map = match schema {
            Value::Bool(true) => return Ok(()),
            Value::Object(map) => map,
            _ => return unsupported("a schema that is not an object or true"),
        };
        for key in map.keys() {
            if !KNOWN.contains(&key.as_str()) {
                return unsupported(format!("keyword {key}"));
            }
        }
        let at_root = std::ptr::eq(schema, self.root);
        if !at_root && map.contains_key("$id") {
            return unsupported("$id below the root");
        }
        // `$ref` beside other keywords means "and" in 2020-12 but hides them in draft 7.
        if let Some(dialect) = map.get("$schema") {
            if !at_root || dialect != DIALECT {
                return unsupported("a dialect other than 2020-12");
            }
        }
        out.push(map);
        if let Some(reference) = map.get("$ref") {
            let target = reference
                .as_str()
                .and_then(|r| r.strip_prefix("#/$defs/"))
                .filter(|name| !name.contains(['/', '~', '%']))
                .and_then(|name| self.root.get("$defs")?.get(name));
            match target {
                Some(target) => self.leaves(target, depth + 1, out)?,
                None => return unsupported(format!("$ref {reference}")),
            }
        }
        if let Some(all) = map.get("allOf") {
            let Some(all) = all.as_array() else {
                return unsupported("allOf that is not an array");
            };
            for schema in all {
                self.leaves(schema, depth + 1, out)?;
            }
        }
        Ok(())
    }

    /// The leaves a value of `kind` must satisfy, each `anyOf` replaced by its first branch
    /// that admits the kind; `None` when no branch does or a `type` excludes it.
    fn for_kind(
        &self,
        leaves: &[&'s Map<String, Value>],
        kind: Kind,
        depth: usize,
    ) -> Result<Option<Vec<&'s Map<String, Value>>>, Unsupported> {
        let mut out = Vec::new();
        for &leaf in leaves {
            if let Some(types) = leaf.get("type") {
                let names: Vec<&Value> = match types {
                    Value::Array(names) => names.iter().collect(),
                    name => vec![name],
                };
                let mut admits = false;
                for name in names {
                    let Some(name) = name.as_str() else {
                        return unsupported("a type that is not a name");
                    };
                    admits |= type_admits(name, kind)?;
                }
                if !admits {
                    return Ok(None);
                }
            }
            if (leaf.contains_key("const") || leaf.contains_key("enum")) && kind != Kind::String {
                return Ok(None);
            }
            out.push(leaf);
            if let Some(branches) = leaf.get("anyOf") {
                let Some(branches) = branches.as_array() else {
                    return unsupported("anyOf that is not an array");
                };
                let mut chosen = None;
                for branch in branches {
                    let mut inner = Vec::new();
                    self.leaves(branch, depth + 1, &mut inner)?;
                    if let Some(inner) = self.for_kind(&inner, kind, depth + 1)? {
                        chosen = Some(inner);
                        break;
                    }
                }
                match chosen {
                    Some(inner) => out.extend(inner),
                    None => return Ok(None),
                }
            }
        }
        Ok(Some(out))
    }

    fn rule(&self, schema: &'s Value, depth: usize) -> Result<Rule, Unsupported> {
        let mut leaves = Vec::new();
        self.leaves(schema, depth, &mut leaves)?;
        self.rule_of(&leaves, depth)
    }

    fn rule_of(
        &self,
        leaves: &[&'s Map<String, Value>],
        depth: usize,
    ) -> Result<Rule, Unsupported> {
        if depth > MAX_DEPTH {
            return unsupported("schema nested too deep");
        }
        if leaves.is_empty() {
            return Ok(ANY.clone());
        }
        let mut rule = Rule::none();
        for kind in KINDS {
            let Some(leaves) = self.for_kind(leaves, kind, depth)? else {
                continue;
            };
            match kind {
                Kind::Null => rule.null = true,
                Kind::Bool => rule.boolean = true,
                Kind::Integer => rule.integer = Some(integer_minimum(&leaves)?),
                Kind::Float => rule.float = Some(float_minimum(&leaves)?),
                Kind::String => rule.string = Some(strings(&leaves)?),
                Kind::Array => rule.array = Some(Box::new(self.array(&leaves, depth)?)),
                Kind::Object => rule.object = Some(Box::new(self.object(&leaves, depth)?)),
            }
        }
        Ok(rule)
    }

    fn array(&self, leaves: &[&'s Map<String, Value>], depth: usize) -> Result<Array, Unsupported> {
        let mut max_items: Option<u64> = None;
        let mut items = Vec::new();
        for leaf in leaves {
            if let Some(max) = leaf.get("maxItems") {
                let Some(max) = max.as_u64() else {
                    return unsupported("maxItems that is not a count");
                };
                max_items = Some(max_items.map_or(max, |m| m.min(max)));
            }
            if let Some(schema) = leaf.get("items") {
                self.leaves(schema, depth + 1, &mut items)?;
            }
        }
        Ok(Array {
            max_items,
            items: self.rule_of(&items, depth + 1)?,
        })
    }

    fn object(
        &self,
        leaves: &[&'s Map<String, Value>],
        depth: usize,
    ) -> Result<Object, Unsupported> {
        let mut properties: Vec<(String, Vec<&'s Map<String, Value>>)> = Vec::new();
        let mut required = Vec::new();
        for leaf in leaves {
            if let Some(declared) = leaf.get("properties") {
                let Some(declared) = declared.as_object() else {
                    return unsupported("properties that is not an object");
                };
                for (name, schema) in declared {
                    let index = match properties.iter().position(|(known, _)| known == name) {
                        Some(index) => index,
                        None => {
                            properties.push((name.clone(), Vec::new()));
                            properties.len() - 1
                        }
                    };
                    self.leaves(schema, depth + 1, &mut properties[index].1)?;
                }
            }
            if let Some(names) = leaf.get("required") {
                let Some(names) = names.as_array() else {
                    return unsupported("required that is not an array");
                };
                for name in names {
                    let Some(name) = name.as_str() else {
                        return unsupported("a required name that is not a string");
                    };
                    required.push(name.to_string());
                    if !properties.iter().any(|(known, _)| known == name) {
                        properties.push((name.to_string(), Vec::new()));
                    }
                }
            }
        }
        if properties.len() > 128 {
            return unsupported("more than 128 properties in one object");
        }
        properties.sort_by(|a, b| a.0.cmp(&b.0));
        let mut mask = 0u128;
        let mut compiled = Vec::with_capacity(properties.len());
        for (index, (name, leaves)) in properties.into_iter().enumerate() {
            if required.contains(&name) {
                mask |= 1 << index;
            }
            compiled.push((name, self.rule_of(&leaves, depth + 1)?));
        }
        Ok(Object::new(compiled, mask))
    }
}

fn integer_minimum(leaves: &[&Map<String, Value>]) -> Result<i128, Unsupported> {
    let mut least = i128::MIN;
    for leaf in leaves {
        if let Some(minimum) = leaf.get("minimum") {
            let value = match (minimum.as_i64(), minimum.as_u64(), minimum.as_f64()) {
                (Some(n), _, _) => i128::from(n),
                (_, Some(n), _) => i128::from(n),
                // A fractional minimum for integers: the next integer up.
                (_, _, Some(f)) if f.is_finite() && f.abs() < 9.0e18 => f.ceil() as i128,
                _ => return unsupported("minimum that is not a number"),
            };
            least = least.max(value);
        }
    }
    Ok(least)
}

fn float_minimum(leaves: &[&Map<String, Value>]) -> Result<f64, Unsupported> {
    let mut least = f64::NEG_INFINITY;
    for leaf in leaves {
        if let Some(minimum) = leaf.get("minimum") {
            // Only minimums an f64 holds exactly compare exactly with an f64.
            match minimum.as_i64() {
                Some(n) if n.unsigned_abs() < 1 << 53 => least = least.max(n as f64),
                _ => return unsupported("minimum for fractional numbers beyond 2^53"),
            }
        }
    }
    Ok(least)
}

fn strings(leaves: &[&Map<String, Value>]) -> Result<Strings, Unsupported> {
    let mut patterns = Vec::new();
    let mut allowed: Option<Vec<String>> = None;
    for leaf in leaves {
        if let Some(pattern) = leaf.get("pattern") {
            let Some(pattern) = pattern.as_str() else {
                return unsupported("pattern that is not a string");
            };
            let pattern = Pattern::of(pattern)?;
            if !patterns.contains(&pattern) {
                patterns.push(pattern);
            }
        }
        let values: Vec<&Value> = match (leaf.get("const"), leaf.get("enum")) {
            (None, None) => continue,
            (Some(one), None) => vec![one],
            (None, Some(Value::Array(many))) => many.iter().collect(),
            _ => return unsupported("const beside enum, or enum that is not an array"),
        };
        let mut these = Vec::new();
        // The kind is a string here: a value of another kind never equals it.
        for value in values {
            if let Value::String(text) = value {
                these.push(text.clone());
            }
        }
        allowed = Some(match allowed {
            None => these,
            Some(before) => before.into_iter().filter(|s| these.contains(s)).collect(),
        });
    }
    Ok(Strings { patterns, allowed })
}

/// What the lane needs of an event: its schema compiled, and what the checks ask of it.
#[derive(Debug)]
pub struct Plan {
    /// The rule for `data`.
    data: Rule,
    /// `data` is the entity the event is about: its `id` must be `object_id`.
    entity: bool,
}

/// The rule for the envelope's `event` member that every plan shares: compiled from the
/// envelope schema's `properties.event`.
#[derive(Debug)]
pub struct EventRule(Rule);

/// Compiles the envelope schema's rule for `event`.
pub fn event_rule(envelope: &Value) -> Result<EventRule, Unsupported> {
    let compiler = Compiler { root: envelope };
    let root = compiler.rule(envelope, 0)?;
    let Some(object) = root.object else {
        return unsupported("an envelope that admits no object");
    };
    match object.find("event") {
        Some(at) => Ok(EventRule(object.properties[at].1.clone())),
        None => unsupported("an envelope without event"),
    }
}

/// Compiles `event`'s schema into its plan, given the shared rule for `event`. The schema's
/// own rule for `event` must be that rule with `events_id` pinned to this event's id, so that
/// checking the shared rule and the id checks the schema's.
pub fn plan(event: &Event, schema: &Value, shared: &EventRule) -> Result<Plan, Unsupported> {
    let compiler = Compiler { root: schema };
    let root = compiler.rule(schema, 0)?;
    let Some(object) = root.object else {
        return unsupported("an event schema that admits no object");
    };
    let (Some(event_at), Some(data_at)) = (object.find("event"), object.find("data")) else {
        return unsupported("an event schema without event and data");
    };
    // The walk accepts only `event` and `data` at the top: no other key may be required.
    if object.required & !((1 << event_at) | (1 << data_at)) != 0 {
        return unsupported("an event schema requiring more than event and data");
    }
    // The event's own rule for `event`, with the values it allows for `events_id` taken out,
    // must be the shared rule; and the event's id must be one of those values.
    let mut own = object.properties[event_at].1.clone();
    let allowed = own
        .object
        .as_mut()
        .and_then(|object| {
            let at = object.find("events_id")?;
            object.properties[at].1.string.as_mut()
        })
        .and_then(|strings| strings.allowed.take());
    if !allowed.is_some_and(|allowed| allowed.iter().any(|id| id == event.id)) || own != shared.0 {
        return unsupported("an event member other than the envelope's with the id pinned");
    }
    Ok(Plan {
        data: object.properties[data_at].1.clone(),
        entity: checks::data_is_entity(event),
    })
}

/// What a valid payload leaves for its record.
#[derive(Debug)]
pub struct Passed {
    pub event: &'static Event,
    pub object_id: Value,
}

/// Where the walk is, for the values the checks compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Event,
    Data,
    DataQueue,
    DataQueueStats,
    Elsewhere,
}

/// A value the walk passed, kept where a check needs it.
#[derive(Debug, Clone, PartialEq)]
enum Seen<'de> {
    Str(Cow<'de, str>),
    /// A string that matched the date-time pattern: its time.
    Time(i64),
    Unsigned(u64),
    Other,
}

impl Seen<'_> {
    /// The value, where it is an integer or a string the checks may read as an id.
    fn into_id_value(self) -> Option<Value> {
        match self {
            Seen::Unsigned(n) => Some(Value::from(n)),
            Seen::Str(text) => Some(Value::String(text.into_owned())),
            Seen::Time(_) | Seen::Other => None,
        }
    }
}

/// What the walk keeps of the envelope and `data.id`.
#[derive(Default)]
struct Kept<'de> {
    events_id: Option<Cow<'de, str>>,
    /// `event.dt`, as seconds since the epoch.
    dt: Option<i64>,
    object_id: Option<Seen<'de>>,
    data_id: Option<Seen<'de>>,
}

/// The error that stops a walk: not sure, the full judge decides. Its text is never shown.
fn unsure<E: de::Error>() -> E {
    E::custom("")
}

/// Checks one value against a rule.
struct Walk<'r, 'k, 'de> {
    rule: &'r Rule,
    place: Place,
    /// Keep the string value (it is compared by a check).
    keep: bool,
    kept: &'k mut Kept<'de>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_, '_, 'de> {
    type Value = Seen<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Seen<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Walk<'_, '_, 'de> {
    /// Checks a string; a date-time pattern's match gives its time, so that `event.dt` is
    /// not read twice.
    fn string<E: de::Error>(&self, text: &str) -> Result<Option<i64>, E> {
        if self.rule.anything {
            return Ok(None);
        }
        let Some(strings) = &self.rule.string else {
            return Err(unsure());
        };
        let mut time = None;
        for pattern in &strings.patterns {
            if *pattern == Pattern::DateTime {
                time = Some(datetime::parse(text).map_err(|_| unsure())?.unix);
            } else if !pattern.matches(text) {
                return Err(unsure());
            }
        }
        if let Some(allowed) = &strings.allowed {
            if !allowed.iter().any(|one| one == text) {
                return Err(unsure());
            }
        }
        Ok(time)
    }
}

impl<'de> Visitor<'de> for Walk<'_, '_, 'de> {
    type Value = Seen<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Seen<'de>, E> {
        if self.rule.null {
            Ok(Seen::Other)
        } else {
            Err(unsure())
        }
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Seen<'de>, E> {
        if self.rule.boolean {
            Ok(Seen::Other)
        } else {
            Err(unsure())
        }
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Seen<'de>, E> {
        match self.rule.integer {
            Some(least) if i128::from(value) >= least => Ok(Seen::Unsigned(value)),
            _ => Err(unsure()),
        }
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Seen<'de>, E> {
        match self.rule.integer {
            Some(least) if i128::from(value) >= least => Ok(Seen::Other),
            _ => Err(unsure()),
        }
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Seen<'de>, E> {
        match self.rule.float {
            Some(least) if value >= least => Ok(Seen::Other),
            _ => Err(unsure()),
        }
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Seen<'de>, E> {
        Ok(match self.string(text)? {
            Some(time) => Seen::Time(time),
            None => Seen::Str(Cow::Borrowed(text)),
        })
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Seen<'de>, E> {
        Ok(match self.string(text)? {
            Some(time) => Seen::Time(time),
            None if self.keep => Seen::Str(Cow::Owned(text.to_string())),
            None => Seen::Other,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Seen<'de>, A::Error> {
        let (items, max_items) = match &self.rule.array {
            _ if self.rule.anything => (&ANY, None),
            Some(array) => (&array.items, array.max_items),
            None => return Err(unsure()),
        };
        let mut count = 0u64;
        loop {
            let walk = Walk {
                rule: items,
                place: Place::Elsewhere,
                keep: false,
                kept: &mut *self.kept,
            };
            if seq.next_element_seed(walk)?.is_none() {
                break;
            }
            count += 1;
        }
        match max_items {
            Some(max) if count > max => Err(unsure()),
            _ => Ok(Seen::Other),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Seen<'de>, A::Error> {
        let object = match &self.rule.object {
            _ if self.rule.anything => None,
            Some(object) => Some(&**object),
            None => return Err(unsure()),
        };
        let mut seen = 0u128;
        // Keys not declared, to notice one repeated (rare: kept only when met, and hashed, as a
        // hostile payload may carry a hundred thousand of them).
        let mut others: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut counters = Counters::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let key = key.0;
            let rule = match object.and_then(|object| Some((object, object.find(&key)?))) {
                Some((object, index)) => {
                    let bit = 1u128 << index;
                    if seen & bit != 0 {
                        return Err(unsure());
                    }
                    seen |= bit;
                    &object.properties[index].1
                }
                None => {
                    if !others.insert(key.to_string()) {
                        return Err(unsure());
                    }
                    &ANY
                }
            };
            let place = match (self.place, key.as_ref()) {
                (Place::Data, "queue") => Place::DataQueue,
                (Place::DataQueue, "stats") => Place::DataQueueStats,
                _ => Place::Elsewhere,
            };
            let keep = self.place == Place::Event || (self.place == Place::Data && key == "id");
            let value = map.next_value_seed(Walk {
                rule,
                place,
                keep,
                kept: &mut *self.kept,
            })?;
            match (self.place, key.as_ref()) {
                (Place::Event, "events_id") => {
                    self.kept.events_id = match value {
                        Seen::Str(text) => Some(text),
                        _ => return Err(unsure()),
                    }
                }
                (Place::Event, "dt") => {
                    self.kept.dt = match value {
                        Seen::Time(time) => Some(time),
                        Seen::Str(text) => datetime::parse(&text).ok().map(|dt| dt.unix),
                        _ => None,
                    }
                }
                (Place::Event, "object_id") => self.kept.object_id = Some(value),
                (Place::Data, "id") => self.kept.data_id = Some(value),
                (Place::DataQueueStats, name) => counters.note(name, &value),
                _ => {}
            }
        }
        let required = object.map_or(0, |object| object.required);
        if required & !seen != 0 || !counters.agree() {
            return Err(unsure());
        }
        Ok(Seen::Other)
    }
}

/// The events by current id, each with its index in the catalog. An id that is also another
/// event's old name is left out (the catalog reads it as the old name).
static BY_ID: std::sync::LazyLock<(Vec<(usize, &'static Event)>, Table)> = std::sync::LazyLock::new(
    || {
        let events: Vec<(usize, &'static Event)> = catalog::EVENTS
            .iter()
            .enumerate()
            .filter(|(_, event)| {
                matches!(catalog::lookup(event.id), Lookup::Known(known) if std::ptr::eq(known, *event))
            })
            .collect();
        let table = Table::new(events.iter().map(|(_, event)| event.id));
        (events, table)
    },
);

/// The event named `id`, and its index in the catalog.
fn known_event(id: &str) -> Option<(usize, &'static Event)> {
    let (events, table) = &*BY_ID;
    table
        .find(id, |index| events[index].1.id)
        .map(|index| events[index])
}

/// An import's row counters, as `checks` compares them.
#[derive(Default)]
struct Counters {
    processed: Option<u64>,
    /// By [`checks::PARTS`].
    parts: [Option<u64>; checks::PARTS.len()],
}

impl Counters {
    fn note(&mut self, name: &str, value: &Seen<'_>) {
        let count = match value {
            Seen::Unsigned(n) => Some(*n),
            _ => None,
        };
        if name == checks::PROCESSED {
            self.processed = count;
        } else if let Some(part) = checks::PARTS.iter().position(|part| *part == name) {
            self.parts[part] = count;
        }
    }

    fn agree(&self) -> bool {
        self.processed.is_none_or(|processed| {
            self.parts
                .iter()
                .all(|part| part.is_none_or(|part| part <= processed))
        })
    }
}

/// An object key, borrowed where the text has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(key)))
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(key.to_string())))
    }
}

/// The plans a walk may use: the shared rule for `event`, and each event's plan by catalog
/// index (`None`: that event goes to the full judge).
pub trait Plans {
    fn event_rule(&self) -> Option<&EventRule>;
    /// The plan of `event`, the catalog's event number `index`.
    fn plan(&self, index: usize, event: &'static Event) -> Option<&Plan>;
}

/// What else a verdict depends on.
#[derive(Debug, Clone, Copy)]
pub struct Asked {
    /// `--expect-event`.
    pub event: Option<&'static Event>,
    /// Seconds since the epoch, for `event.dt`.
    pub now: i64,
}

/// The payload in `bytes`, if it is sure to be valid and to raise no warning.
pub fn pass(bytes: &[u8], plans: &impl Plans, asked: Asked) -> Option<Passed> {
    // Checked as UTF-8 once, whole: read from bytes, the parser would check each string.
    let text = std::str::from_utf8(bytes).ok()?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let passed = Top { plans, asked }.deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    Some(passed)
}

/// The payload object: `event`, then `data`, nothing else.
struct Top<'p, P> {
    plans: &'p P,
    asked: Asked,
}

impl<'de, P: Plans> DeserializeSeed<'de> for Top<'_, P> {
    type Value = Passed;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Passed, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, P: Plans> Visitor<'de> for Top<'_, P> {
    type Value = Passed;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a payload object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Passed, A::Error> {
        let shared = self.plans.event_rule().ok_or_else(unsure)?;
        let mut kept = Kept::default();
        // `event` comes first in what VCS sends: `data` cannot be judged before its event is
        // known, and an unusual order goes to the full judge.
        match map.next_key::<Key<'de>>()? {
            Some(key) if key.0 == "event" => {}
            _ => return Err(unsure()),
        }
        map.next_value_seed(Walk {
            rule: &shared.0,
            place: Place::Event,
            keep: false,
            kept: &mut kept,
        })?;
        let id = kept.events_id.take().ok_or_else(unsure)?;
        let (index, event) = known_event(&id).ok_or_else(unsure)?;
        if self
            .asked
            .event
            .is_some_and(|wanted| !std::ptr::eq(wanted, event))
        {
            return Err(unsure());
        }
        let plan = self.plans.plan(index, event).ok_or_else(unsure)?;
        match map.next_key::<Key<'de>>()? {
            Some(key) if key.0 == "data" => {}
            _ => return Err(unsure()),
        }
        map.next_value_seed(Walk {
            rule: &plan.data,
            place: Place::Data,
            keep: false,
            kept: &mut kept,
        })?;
        // Any third key is a warning (or a repeated key).
        if map.next_key::<IgnoredAny>()?.is_some() {
            return Err(unsure());
        }
        let unix = kept.dt.ok_or_else(unsure)?;
        if unix > self.asked.now + checks::CLOCK_SKEW_SECONDS || unix < checks::EARLIEST_PLAUSIBLE {
            return Err(unsure());
        }
        let object_id = kept
            .object_id
            .and_then(Seen::into_id_value)
            .ok_or_else(unsure)?;
        if plan.entity {
            // Read as `checks` reads both ids: integers, or strings of digits.
            let data_id = kept.data_id.and_then(Seen::into_id_value);
            if let (Some(a), Some(b)) = (
                data_id.as_ref().and_then(checks::as_id),
                checks::as_id(&object_id),
            ) {
                if a != b {
                    return Err(unsure());
                }
            }
        }
        Ok(Passed { event, object_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schemas_with_keywords_the_lane_does_not_know_get_no_rule() {
        let compile = |schema: Value| Compiler { root: &schema }.rule(&schema, 0);
        assert!(compile(json!({"type": "string", "format": "email"})).is_err());
        assert!(compile(json!({"additionalProperties": false})).is_err());
        assert!(compile(json!({"pattern": "^a+$"})).is_err());
        assert!(compile(json!({"$ref": "other.json"})).is_err());
        assert!(compile(json!({"$schema": "http://json-schema.org/draft-07/schema#"})).is_err());
        assert!(
            compile(json!({"type": "object", "properties": {"a": {"type": "integer"}}})).is_ok()
        );
    }

    #[test]
    fn patterns_match_as_their_regexes_do() {
        let strings = [
            "",
            "0",
            "007",
            "12a",
            " 1",
            "1\n",
            "a.b",
            "a",
            "a.",
            ".a",
            "a..b",
            "a_b.c_9.d",
            "A.b",
            "a.b-c",
            "clients.custom_fields.update",
            "2022-07-14",
            "2022-07-06 00:00:00+0000",
            "2024-02-29T23:59:59.5Z",
            "2023-02-29T00:00:00Z",
            "2022-07-14T00:00:00",
            "2022-07-14x",
        ];
        for (text, pattern) in [
            (DIGITS_PATTERN, Pattern::Digits),
            (EVENT_ID_PATTERN, Pattern::EventId),
            (datetime::PATTERN, Pattern::DateTime),
            (datetime::DATE_OR_DATE_TIME_PATTERN, Pattern::DateOrDateTime),
        ] {
            let regex = jsonschema::validator_for(&json!({ "pattern": text })).unwrap();
            for string in strings {
                assert_eq!(
                    pattern.matches(string),
                    regex.is_valid(&json!(string)),
                    "{text} on {string:?}"
                );
            }
        }
    }
}

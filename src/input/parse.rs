//! Parses a document into a `serde_json::Value`, noticing on the way whether any object repeats
//! a key. Parsers disagree on which of two values wins, so a handler may see something other
//! than what was validated; the flag costs nothing extra, and only a flagged document is walked
//! again (by `locate`) to say where.

use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A parsed document.
#[derive(Debug)]
pub struct Parsed {
    pub value: Value,
    /// Some object in the document has a key twice (the parsed value holds the last one).
    pub has_duplicate_keys: bool,
}

/// Parses one JSON document from bytes.
pub fn parse(bytes: &[u8]) -> Result<Parsed, serde_json::Error> {
    // UTF-8 checked once, whole, where reading from bytes checks each string on its own; text
    // that is not UTF-8 is read from bytes, so the error names where it breaks.
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_from(serde_json::Deserializer::from_str(text)),
        Err(_) => parse_from(serde_json::Deserializer::from_slice(bytes)),
    }
}

fn parse_from<'de, R: serde_json::de::Read<'de>>(
    mut deserializer: serde_json::Deserializer<R>,
) -> Result<Parsed, serde_json::Error> {
    let duplicates = Cell::new(false);
    let value = ValueSeed {
        duplicates: &duplicates,
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(Parsed {
        value,
        has_duplicate_keys: duplicates.get(),
    })
}

/// Builds a `Value` as serde_json does, recording repeated keys.
#[derive(Clone, Copy)]
struct ValueSeed<'a> {
    duplicates: &'a Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        // JSON text has no NaN or infinity, so every parsed float is finite.
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(self)?;
            if object.insert(key, value).is_some() {
                self.duplicates.set(true);
            }
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_serde_json() {
        let text = r#"{"a": [1, -2, 3.5, "x", true, null, {}], "b": {"c": 18446744073709551615}}"#;
        let parsed = parse(text.as_bytes()).unwrap();
        assert_eq!(parsed.value, serde_json::from_str::<Value>(text).unwrap());
        assert!(!parsed.has_duplicate_keys);
    }

    #[test]
    fn flags_a_repeated_key_and_keeps_the_last_value() {
        let parsed = parse(br#"{"x": {"id": 1, "id": 2}}"#).unwrap();
        assert!(parsed.has_duplicate_keys);
        assert_eq!(parsed.value["x"]["id"], 2);
    }

    #[test]
    fn trailing_text_is_an_error() {
        assert!(parse(b"{} x").is_err());
    }
}

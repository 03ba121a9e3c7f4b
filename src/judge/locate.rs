//! Finds values in the original text of a document: a JSON Pointer's value, or every key an
//! object repeats. Used only for payloads that have something to report, so valid payloads
//! never pay for it.
//!
//! The text has already parsed as JSON, so the walk can be simple; still, it never indexes out
//! of bounds and gives up (returns `None`) rather than guess.

use crate::input::reader;

/// A value's place in a document: byte offsets of its first byte and one past its last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// The span of the value `pointer` names. Where an object has a key twice, the last one is
/// taken, as the parser keeps the last value.
pub fn locate(text: &[u8], pointer: &str) -> Option<Span> {
    let mut at = skip_ws(text, 0);
    if !pointer.is_empty() {
        for token in pointer.strip_prefix('/')?.split('/') {
            let token = token.replace("~1", "/").replace("~0", "~");
            at = match text.get(at)? {
                b'{' => member(text, at, &token)?,
                b'[' => element(text, at, token.parse().ok()?)?,
                _ => return None,
            };
        }
    }
    Some(Span {
        start: at,
        end: skip_value(text, at)?,
    })
}

/// A key an object holds more than once: the pointer of the object, the key, and the offset of
/// the later occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub object: String,
    pub key: String,
    pub offset: usize,
}

/// The first `most` repeated keys in the document, in text order.
pub fn duplicate_keys(text: &[u8], most: usize) -> Vec<Duplicate> {
    let mut found = Vec::new();
    let start = skip_ws(text, 0);
    walk_duplicates(text, start, String::new(), &mut found, most, 0);
    found
}

/// serde_json refuses nesting deeper than this, so no parsed document goes deeper.
const MAX_DEPTH: usize = 130;

fn walk_duplicates(
    text: &[u8],
    at: usize,
    pointer: String,
    found: &mut Vec<Duplicate>,
    most: usize,
    depth: usize,
) -> Option<usize> {
    // Past the depth serde_json accepts, or enough found: stop walking.
    if depth > MAX_DEPTH || found.len() >= most {
        return None;
    }
    match text.get(at)? {
        b'{' => {
            let mut keys = std::collections::HashSet::new();
            let mut i = skip_ws(text, at + 1);
            if text.get(i) == Some(&b'}') {
                return Some(i + 1);
            }
            loop {
                let key_at = i;
                let (key, after_key) = string(text, i)?;
                i = skip_ws(text, after_key);
                if text.get(i) != Some(&b':') {
                    return None;
                }
                i = skip_ws(text, i + 1);
                if keys.contains(&key) {
                    found.push(Duplicate {
                        object: pointer.clone(),
                        key: key.clone(),
                        offset: key_at,
                    });
                }
                let child = format!("{pointer}/{}", escape_token(&key));
                keys.insert(key);
                i = walk_duplicates(text, i, child, found, most, depth + 1)?;
                i = skip_ws(text, i);
                match text.get(i)? {
                    b',' => i = skip_ws(text, i + 1),
                    b'}' => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        b'[' => {
            let mut i = skip_ws(text, at + 1);
            if text.get(i) == Some(&b']') {
                return Some(i + 1);
            }
            let mut index = 0;
            loop {
                i = walk_duplicates(
                    text,
                    i,
                    format!("{pointer}/{index}"),
                    found,
                    most,
                    depth + 1,
                )?;
                index += 1;
                i = skip_ws(text, i);
                match text.get(i)? {
                    b',' => i = skip_ws(text, i + 1),
                    b']' => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        _ => skip_value(text, at),
    }
}

/// A JSON Pointer token for `key`.
pub fn escape_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The offset of the value of `key` in the object at `at` (the last, if repeated).
fn member(text: &[u8], at: usize, key: &str) -> Option<usize> {
    let mut i = skip_ws(text, at + 1);
    let mut found = None;
    if text.get(i) == Some(&b'}') {
        return None;
    }
    loop {
        let (name, after_name) = string(text, i)?;
        i = skip_ws(text, after_name);
        if text.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(text, i + 1);
        if name == key {
            found = Some(i);
        }
        i = skip_ws(text, skip_value(text, i)?);
        match text.get(i)? {
            b',' => i = skip_ws(text, i + 1),
            b'}' => return found,
            _ => return None,
        }
    }
}

/// The offset of element `index` of the array at `at`.
fn element(text: &[u8], at: usize, index: usize) -> Option<usize> {
    let mut i = skip_ws(text, at + 1);
    if text.get(i) == Some(&b']') {
        return None;
    }
    for _ in 0..index {
        i = skip_ws(text, skip_value(text, i)?);
        match text.get(i)? {
            b',' => i = skip_ws(text, i + 1),
            _ => return None,
        }
    }
    Some(i)
}

fn skip_ws(text: &[u8], mut at: usize) -> usize {
    while matches!(text.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// One past the end of the value at `at`, brackets and strings followed without recursion.
fn skip_value(text: &[u8], at: usize) -> Option<usize> {
    match text.get(at)? {
        b'"' => reader::string_end(text, at),
        b'{' | b'[' => reader::bracket_end(&text[at..]).map(|len| at + len),
        _ => {
            let len = text[at..]
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(text.len() - at);
            Some(at + len)
        }
    }
}

/// The string at `at`, unescaped, and the offset after it.
fn string(text: &[u8], at: usize) -> Option<(String, usize)> {
    if text.get(at) != Some(&b'"') {
        return None;
    }
    let end = reader::string_end(text, at)?;
    let value: String = serde_json::from_slice(&text[at..end]).ok()?;
    Some((value, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'a>(text: &'a str, pointer: &str) -> Option<&'a str> {
        locate(text.as_bytes(), pointer).map(|span| &text[span.start..span.end])
    }

    #[test]
    fn finds_values_by_pointer() {
        let text = r#" {"a": {"b/c": [10, "x]", {"d": null}]}, "e~f": true} "#;
        assert_eq!(at(text, "/a/b~1c/0"), Some("10"));
        assert_eq!(at(text, "/a/b~1c/1"), Some("\"x]\""));
        assert_eq!(at(text, "/a/b~1c/2/d"), Some("null"));
        assert_eq!(at(text, "/e~0f"), Some("true"));
        assert_eq!(at(text, "/a"), Some(r#"{"b/c": [10, "x]", {"d": null}]}"#));
        assert_eq!(at(text, ""), Some(text.trim()));
        assert_eq!(at(text, "/missing"), None);
        assert_eq!(at(text, "/a/b~1c/9"), None);
    }

    #[test]
    fn escaped_keys_match_their_meaning() {
        assert_eq!(at(r#"{"n\u0061me": 1}"#, "/name"), Some("1"));
    }

    #[test]
    fn a_repeated_key_resolves_to_the_last_value_and_is_reported() {
        let text = r#"{"data": {"id": 1, "id": 2}, "x": [{"k": 1, "k": 1}]}"#;
        assert_eq!(at(text, "/data/id"), Some("2"));
        let found = duplicate_keys(text.as_bytes(), usize::MAX);
        assert_eq!(found.len(), 2);
        assert_eq!(
            (found[0].object.as_str(), found[0].key.as_str()),
            ("/data", "id")
        );
        assert_eq!(&text[found[0].offset..found[0].offset + 4], "\"id\"");
        assert_eq!(found[1].object, "/x/0");
    }

    #[test]
    fn broken_text_gives_nothing_rather_than_a_guess() {
        assert_eq!(locate(b"{\"a\": ", "/a"), None);
        assert_eq!(locate(b"[1, 2", "/5"), None);
        assert!(duplicate_keys(b"{\"a\": 1, \"a\"", usize::MAX).is_empty());
    }
}

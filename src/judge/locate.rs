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

/// The spans of the values `pointers` name, all found in one walk of the text: the cost is that
/// of the text and of the pointers, however many pointers there are. Each is `None` where its
/// pointer names nothing. Where an object has a key twice, a value the parser kept (the last)
/// is found there, as a later value overwrites what an earlier one gave.
pub fn locate_all(text: &[u8], pointers: &[&str]) -> Vec<Option<Span>> {
    let mut tree = Vec::with_capacity(pointers.len() + 1);
    tree.push(Node::default());
    for (index, pointer) in pointers.iter().enumerate() {
        if let Some(node) = insert(&mut tree, pointer) {
            tree[node].targets.push(index);
        }
    }
    let mut spans = vec![None; pointers.len()];
    find(text, skip_ws(text, 0), &tree, 0, &mut spans);
    spans
}

/// One token of the pointers asked for: the pointers that end here, and the tokens after it.
#[derive(Debug, Default)]
struct Node {
    targets: Vec<usize>,
    children: std::collections::HashMap<String, usize>,
}

/// The node of `pointer`, added with its parents where missing; `None` for a pointer that does
/// not start with `/`.
fn insert(tree: &mut Vec<Node>, pointer: &str) -> Option<usize> {
    let mut node = 0;
    if pointer.is_empty() {
        return Some(node);
    }
    for token in pointer.strip_prefix('/')?.split('/') {
        let token = unescape_token(token);
        node = match tree[node].children.get(token.as_ref()) {
            Some(&child) => child,
            None => {
                tree.push(Node::default());
                let child = tree.len() - 1;
                tree[node].children.insert(token.into_owned(), child);
                child
            }
        };
    }
    Some(node)
}

/// Walks the value at `at` as far as the pointers below `node` lead, setting the spans of
/// those found; returns one past the value's end. Every byte is read once: values no pointer
/// enters are skipped whole.
fn find(
    text: &[u8],
    at: usize,
    tree: &[Node],
    node: usize,
    spans: &mut [Option<Span>],
) -> Option<usize> {
    let here = &tree[node];
    let end = match text.get(at)? {
        b'{' if !here.children.is_empty() => find_in_object(text, at, tree, here, spans)?,
        b'[' if !here.children.is_empty() => find_in_array(text, at, tree, here, spans)?,
        _ => skip_value(text, at)?,
    };
    for &target in &here.targets {
        spans[target] = Some(Span { start: at, end });
    }
    Some(end)
}

fn find_in_object(
    text: &[u8],
    at: usize,
    tree: &[Node],
    here: &Node,
    spans: &mut [Option<Span>],
) -> Option<usize> {
    let mut i = skip_ws(text, at + 1);
    if text.get(i) == Some(&b'}') {
        return Some(i + 1);
    }
    loop {
        let (name, after_name) = key(text, i)?;
        i = skip_ws(text, after_name);
        if text.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(text, i + 1);
        i = match here.children.get(name.as_ref()) {
            Some(&child) => find(text, i, tree, child, spans)?,
            None => skip_value(text, i)?,
        };
        i = skip_ws(text, i);
        match text.get(i)? {
            b',' => i = skip_ws(text, i + 1),
            b'}' => return Some(i + 1),
            _ => return None,
        }
    }
}

fn find_in_array(
    text: &[u8],
    at: usize,
    tree: &[Node],
    here: &Node,
    spans: &mut [Option<Span>],
) -> Option<usize> {
    // The indexes asked for, in order, each with its node.
    let mut wanted: Vec<(usize, usize)> = here
        .children
        .iter()
        .filter_map(|(token, &child)| Some((token.parse().ok()?, child)))
        .collect();
    wanted.sort_unstable();
    let mut wanted = wanted.into_iter().peekable();
    let mut i = skip_ws(text, at + 1);
    if text.get(i) == Some(&b']') {
        return Some(i + 1);
    }
    let mut index = 0;
    loop {
        // Two tokens may name one index (`1` and `01`): each is found.
        let mut end = None;
        while let Some((_, child)) = wanted.next_if(|(wanted, _)| *wanted == index) {
            end = Some(find(text, i, tree, child, spans)?);
        }
        i = match end {
            Some(end) => end,
            None => skip_value(text, i)?,
        };
        index += 1;
        i = skip_ws(text, i);
        match text.get(i)? {
            b',' => i = skip_ws(text, i + 1),
            b']' => return Some(i + 1),
            _ => return None,
        }
    }
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
    walk_duplicates(text, start, &mut String::new(), &mut found, most, 0);
    found
}

/// serde_json refuses nesting deeper than this, so no parsed document goes deeper.
const MAX_DEPTH: usize = 130;

/// `pointer` is the value's pointer; it grows by a token for each child and is cut back after
/// it, so a wide object deep inside costs no copy of its pointer per member.
fn walk_duplicates(
    text: &[u8],
    at: usize,
    pointer: &mut String,
    found: &mut Vec<Duplicate>,
    most: usize,
    depth: usize,
) -> Option<usize> {
    // Past the depth serde_json accepts, or enough found: stop walking.
    if depth > MAX_DEPTH || found.len() >= most {
        return None;
    }
    let length = pointer.len();
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
                    if found.len() >= most {
                        return None;
                    }
                }
                i = if matches!(text.get(i), Some(b'{' | b'[')) {
                    pointer.push('/');
                    pointer.push_str(&escape_token(&key));
                    let end = walk_duplicates(text, i, pointer, found, most, depth + 1);
                    pointer.truncate(length);
                    end?
                } else {
                    skip_value(text, i)?
                };
                keys.insert(key);
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
                i = if matches!(text.get(i), Some(b'{' | b'[')) {
                    use std::fmt::Write;
                    // Writing to a String cannot fail.
                    let _ = write!(pointer, "/{index}");
                    let end = walk_duplicates(text, i, pointer, found, most, depth + 1);
                    pointer.truncate(length);
                    end?
                } else {
                    skip_value(text, i)?
                };
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
    if !key.contains(['~', '/']) {
        return key.to_string();
    }
    key.replace('~', "~0").replace('/', "~1")
}

/// The key a JSON Pointer token names.
fn unescape_token(token: &str) -> std::borrow::Cow<'_, str> {
    if !token.contains('~') {
        return token.into();
    }
    token.replace("~1", "/").replace("~0", "~").into()
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

/// The string at `at` and the offset after it: borrowed from the text where it has no escape
/// (most keys), unescaped otherwise.
fn key(text: &[u8], at: usize) -> Option<(std::borrow::Cow<'_, str>, usize)> {
    if text.get(at) != Some(&b'"') {
        return None;
    }
    let end = reader::string_end(text, at)?;
    let inner = text.get(at + 1..end - 1)?;
    if inner.contains(&b'\\') {
        let value: String = serde_json::from_slice(&text[at..end]).ok()?;
        return Some((value.into(), end));
    }
    Some((std::str::from_utf8(inner).ok()?.into(), end))
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
        locate_all(text.as_bytes(), &[pointer])[0].map(|span| &text[span.start..span.end])
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
    fn finds_many_pointers_in_one_walk() {
        let text = r#"{"a": [1, {"b": 2}, 3], "c": {"a": 4}, "a2": 5}"#;
        let pointers = [
            "/a/2", "/a/1/b", "", "/c/a", "/a/01", "/nope", "/a/9", "/c/a/x", "a",
        ];
        let found: Vec<Option<&str>> = locate_all(text.as_bytes(), &pointers)
            .into_iter()
            .map(|span| span.map(|span| &text[span.start..span.end]))
            .collect();
        assert_eq!(
            found,
            [
                Some("3"),
                Some("2"),
                Some(text),
                Some("4"),
                Some(r#"{"b": 2}"#),
                None,
                None,
                None,
                None
            ]
        );
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
        assert_eq!(locate_all(b"{\"a\": ", &["/a"]), [None]);
        assert_eq!(locate_all(b"[1, 2", &["/5"]), [None]);
        assert!(duplicate_keys(b"{\"a\": 1, \"a\"", usize::MAX).is_empty());
    }
}

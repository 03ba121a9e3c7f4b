//! The body pretty-printed for the page, cut into pieces so that the values the errors and
//! warnings point at can be marked. Pure.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value;

/// A run of the pretty-printed text; `issue` is the index (in the list given to [`marked`])
/// of the innermost issue whose value covers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub text: String,
    pub issue: Option<usize>,
}

/// Pretty-prints `value` (two spaces, as `serde_json` does) and marks the value at each of
/// `paths` (JSON Pointers; an empty pointer, the whole document, is not marked).
pub fn marked(value: &Value, paths: &[&str]) -> Vec<Segment> {
    let mut text = String::new();
    let mut spans = HashMap::new();
    write(&mut text, value, 0, String::new(), &mut spans);
    let ranges: Vec<Option<(usize, usize)>> = paths
        .iter()
        .map(|path| match *path {
            "" => None,
            path => spans.get(path).copied(),
        })
        .collect();
    let mut cuts: BTreeSet<usize> = [0, text.len()].into();
    for (start, end) in ranges.iter().flatten() {
        cuts.insert(*start);
        cuts.insert(*end);
    }
    let cuts: Vec<usize> = cuts.into_iter().collect();
    let mut segments: Vec<Segment> = Vec::new();
    for pair in cuts.windows(2) {
        let (from, to) = (pair[0], pair[1]);
        let issue = ranges
            .iter()
            .enumerate()
            .filter_map(|(i, range)| range.map(|range| (i, range)))
            .filter(|(_, (start, end))| *start <= from && to <= *end)
            .min_by_key(|(_, (start, end))| end - start)
            .map(|(i, _)| i);
        match segments.last_mut() {
            Some(last) if last.issue == issue => last.text.push_str(&text[from..to]),
            _ => segments.push(Segment {
                text: text[from..to].to_string(),
                issue,
            }),
        }
    }
    segments
}

/// Writes `value` at `depth`, noting where the value at each pointer starts and ends.
fn write(
    out: &mut String,
    value: &Value,
    depth: usize,
    pointer: String,
    spans: &mut HashMap<String, (usize, usize)>,
) {
    let start = out.len();
    let indent = |out: &mut String, depth: usize| out.push_str(&"  ".repeat(depth));
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push_str("{\n");
            for (i, (key, item)) in map.iter().enumerate() {
                indent(out, depth + 1);
                out.push_str(&Value::String(key.clone()).to_string());
                out.push_str(": ");
                let escaped = key.replace('~', "~0").replace('/', "~1");
                write(out, item, depth + 1, format!("{pointer}/{escaped}"), spans);
                out.push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
            }
            indent(out, depth);
            out.push('}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                indent(out, depth + 1);
                write(out, item, depth + 1, format!("{pointer}/{i}"), spans);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            indent(out, depth);
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
    spans.insert(pointer, (start, out.len()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(segments: &[Segment]) -> String {
        segments.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn the_text_is_what_serde_json_pretty_prints() {
        let value = json!({"a": [1, {"b": null}, [], {}], "c~/": "x\"<y>", "d": 1.5});
        let segments = marked(&value, &[]);
        assert_eq!(
            text(&segments),
            serde_json::to_string_pretty(&value).unwrap()
        );
        assert_eq!(segments.len(), 1);
    }

    #[test]
    fn the_innermost_issue_marks_its_value() {
        let value = json!({"data": {"id": "7", "name": "A"}, "z": 1});
        let segments = marked(&value, &["/data", "/data/id", "", "/missing", "/z"]);
        let marks: Vec<(&str, Option<usize>)> = segments
            .iter()
            .map(|s| (s.text.as_str(), s.issue))
            .collect();
        assert_eq!(
            marks,
            [
                ("{\n  \"data\": ", None),
                ("{\n    \"id\": ", Some(0)),
                ("\"7\"", Some(1)),
                (",\n    \"name\": \"A\"\n  }", Some(0)),
                (",\n  \"z\": ", None),
                ("1", Some(4)),
                ("\n}", None),
            ]
        );
    }

    #[test]
    fn pointers_escape_slashes_and_tildes() {
        let value = json!({"a/b": {"c~d": true}});
        let segments = marked(&value, &["/a~1b/c~0d"]);
        assert!(
            segments
                .iter()
                .any(|s| s.text == "true" && s.issue == Some(0))
        );
    }
}

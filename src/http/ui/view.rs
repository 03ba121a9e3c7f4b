//! What the API answers about history entries: a short form for the list, the full form for
//! the detail view, and the commands that send a request again. Pure.

use serde_json::{Value, json};

use crate::http::history::{self, Entry};
use crate::http::ui::pretty;
use crate::output::escape::needs_escape;
use crate::output::inspect;
use crate::output::render::{self, Style};

/// Bodies longer than this are shown cut, with a link to the whole body.
pub const SHOWN: usize = 64 << 10;

/// One line of the list.
pub fn summary(entry: &Entry) -> Value {
    let record = entry.record.as_ref();
    let first_error = record.and_then(|record| record.errors.first());
    json!({
        "n": entry.n,
        "received_at": entry.received_at,
        "clock": entry.clock,
        "remote_addr": entry.remote,
        "method": entry.method,
        "path": entry.target,
        "verdict": entry.verdict(),
        "event": entry.event(),
        "object_id": record.and_then(|record| record.object_id.clone()),
        "errors": record.map_or(0, |record| record.errors.len()),
        "warnings": record.map_or(0, |record| record.warnings.len()),
        "message": first_error
            .map(|issue| issue.message.as_str())
            .or(entry.refusal.as_ref().map(|refusal| refusal.message.as_str())),
        "reply_status": entry.reply_status,
        "forward_status": entry.forward.as_ref().and_then(|forward| forward.status),
        "forward_error": entry.forward.as_ref().and_then(|forward| forward.error.clone()),
        "latency_ms": entry.latency_ms,
        "size": entry.body.len(),
    })
}

/// Everything about one entry. `listen_url` is where VCS posts (`http://host:port`), `now`
/// seconds since the epoch (for the inspect summary's "how long ago"), `body_url` where the
/// whole body can be downloaded.
pub fn detail(entry: &Entry, listen_url: &str, now: i64, body_url: &str) -> Value {
    let mut value = summary(entry);
    let truncated = entry.body.len() > SHOWN;
    let shown = String::from_utf8_lossy(&entry.body[..entry.body.len().min(SHOWN)]).into_owned();
    let payload: Option<Value> = entry
        .record
        .as_ref()
        .and_then(|_| serde_json::from_slice(&entry.body).ok());
    let (inspected, pretty) = match (&entry.record, &payload) {
        (Some(record), Some(payload)) => {
            let view = inspect::view(payload, record, now, false, false);
            let mut text = Vec::new();
            // Writing to memory cannot fail.
            let _ = render::inspection(&mut text, &view, record, Style { color: false });
            let paths: Vec<&str> = record
                .errors
                .iter()
                .chain(&record.warnings)
                .map(|issue| issue.path.as_str())
                .collect();
            let pretty = (!truncated).then(|| pretty::marked(payload, &paths));
            // Long keys and many warnings can make the summary megabytes long: shown cut, as
            // the body is.
            let mut text = String::from_utf8_lossy(&text).into_owned();
            if text.len() > SHOWN {
                text = history::prefix(&text, SHOWN).to_string();
                text.push_str("\n… (cut: the whole summary is `jerahook inspect` of the body)");
            }
            (Some(text), pretty)
        }
        _ => (None, None),
    };
    let url = format!("{listen_url}{}", entry.target);
    let extra = json!({
        "headers": entry.headers,
        // The lists in place of the list's counts.
        "errors": entry.record.as_ref().map_or(&[][..], |record| &record.errors),
        "warnings": entry.record.as_ref().map_or(&[][..], |record| &record.warnings),
        "refusal": entry.refusal,
        "inspect": inspected,
        "body": shown,
        "body_truncated": truncated,
        "body_url": body_url,
        "pretty": pretty,
        "reply": {
            "status": entry.reply_status,
            "body": String::from_utf8_lossy(&entry.reply_body),
        },
        "forward": entry.forward,
        "commands": entry.record.is_some().then(|| commands(&entry.body, entry.n, &url)),
    });
    if let (Value::Object(all), Value::Object(more)) = (&mut value, extra) {
        all.extend(more);
    }
    value
}

/// `curl` and `jerahook send` command lines that post the body to `url` again. A body too
/// long to show, or one no shell word can carry as it is (a NUL byte, bytes that are not
/// UTF-8), is named as a file, to be downloaded first.
pub fn commands(body: &[u8], n: u64, url: &str) -> Value {
    let url = quote(url);
    let text = std::str::from_utf8(body)
        .ok()
        .filter(|text| body.len() <= SHOWN && !text.contains('\0'));
    let Some(text) = text else {
        let file = format!("request-{n}.json");
        return json!({
            "curl": format!("curl -sS -X POST {url} -H 'Content-Type: application/json' --data-binary @{file}"),
            "send": format!("jerahook send --to {url} {file}"),
        });
    };
    let body = quote(text);
    json!({
        "curl": format!("curl -sS -X POST {url} -H 'Content-Type: application/json' --data-binary {body}"),
        "send": format!("printf '%s\\n' {body} | jerahook send --to {url} -"),
    })
}

/// `text` as one bash word, safe to paste into a terminal: in single quotes, or, when it
/// holds a control character (newline included), DEL, a C1 character or one that reorders
/// text, in ANSI-C quotes (`$'...'`) with each of those written as an escape, as Chrome's
/// "Copy as cURL (bash)" does. Pasted raw, DELs erase the opening quote in a terminal without
/// bracketed paste and the rest of the body runs as typed (a `$(...)` in it at once); escaped,
/// the command is printable text that reads as it runs. The escapes are of the UTF-8 bytes
/// (`\xe2\x80\xae`), not `\u202e`, which bash leaves as typed outside a UTF-8 locale.
fn quote(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return format!("'{}'", text.replace('\'', "'\\''"));
    }
    let mut word = String::with_capacity(text.len() + 16);
    word.push_str("$'");
    for c in text.chars() {
        match c {
            '\\' => word.push_str("\\\\"),
            '\'' => word.push_str("\\'"),
            // An interactive bash expands `!` in these quotes: the `\'` above ends a quote
            // for its history expansion.
            '!' => word.push_str("\\x21"),
            '\n' => word.push_str("\\n"),
            '\r' => word.push_str("\\r"),
            '\t' => word.push_str("\\t"),
            c if needs_escape(c) => {
                for byte in c.encode_utf8(&mut [0; 4]).bytes() {
                    word.push_str(&format!("\\x{byte:02x}"));
                }
            }
            c => word.push(c),
        }
    }
    word.push('\'');
    word
}

/// A header's value as the page shows it: credentials hidden.
pub fn shown_header(name: &str, value: &str) -> String {
    let secret = ["authorization", "proxy-authorization", "cookie"]
        .iter()
        .any(|secret| name.eq_ignore_ascii_case(secret));
    if !secret {
        return value.to_string();
    }
    match value.split_once(' ') {
        Some((scheme, _)) if name.to_ascii_lowercase().ends_with("authorization") => {
            format!("{scheme} ***")
        }
        _ => "***".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn quoted_words_survive_the_shell() {
        let body = r#"{"name":"O'Brien $HOME `x` \"q\""}"#;
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", quote(body)))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), body);
    }

    /// A body with what makes a pasted command run code: DELs to erase the opening quote, a
    /// command substitution, a right-to-left override, a C1 next line, a quote, a newline, a
    /// backslash, a history expansion.
    fn hostile_body(marker: &std::path::Path) -> String {
        format!(
            "{{\"name\":\"{}$(touch {}) \u{202e}evil\u{85} it's\nnext \\\" !! \u{1b}[2J ü 😀\"}}",
            "\u{7f}".repeat(40),
            marker.display()
        )
    }

    #[test]
    fn copied_commands_hold_only_printable_text_and_post_the_body_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("pwned");
        let body = hostile_body(&marker);
        let commands = commands(body.as_bytes(), 7, "http://127.0.0.1:8787/hook?token=***");
        for (name, stub) in [
            // The last argument, as curl would post it.
            ("curl", r#"curl() { printf %s "${@: -1}"; }"#),
            // What reaches standard input, as send would read it.
            ("send", "jerahook() { cat; }"),
        ] {
            let command = commands[name].as_str().unwrap();
            assert!(
                !command.chars().any(needs_escape),
                "{name}: a raw control or reordering character: {command:?}"
            );
            assert!(command.contains(r#"$'{"name":"\x7f\x7f"#), "{command}");
            let out = Command::new("bash")
                .arg("-c")
                .arg(format!("{stub}\n{command}"))
                .env("LC_ALL", "C")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let expected = if name == "send" {
                format!("{body}\n")
            } else {
                body.clone()
            };
            assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{name}");
            assert!(!marker.exists(), "{name}: the body ran");
        }
    }

    #[test]
    fn plain_text_stays_in_single_quotes_and_the_rest_is_escaped() {
        assert_eq!(quote("it's ü 😀 $(x) !"), r"'it'\''s ü 😀 $(x) !'");
        assert_eq!(
            quote("a\u{7f}b\u{202e}c\u{85}\n'\\!"),
            r"$'a\x7fb\xe2\x80\xaec\xc2\x85\n\'\\\x21'"
        );
        // No shell word holds a NUL, and bytes that are not UTF-8 would be changed: a file.
        for body in [&b"{\"a\":\"\0\"}"[..], b"{\"a\":\"\xff\"}"] {
            assert_eq!(
                commands(body, 3, "http://h/")["curl"],
                "curl -sS -X POST 'http://h/' -H 'Content-Type: application/json' --data-binary @request-3.json"
            );
        }
    }

    #[test]
    fn commands_post_the_body_or_name_a_file_when_it_is_long() {
        let short = commands(br#"{"a":"it's"}"#, 3, "http://127.0.0.1:8787/hook");
        assert_eq!(
            short["curl"],
            r#"curl -sS -X POST 'http://127.0.0.1:8787/hook' -H 'Content-Type: application/json' --data-binary '{"a":"it'\''s"}'"#
        );
        assert_eq!(
            short["send"],
            r#"printf '%s\n' '{"a":"it'\''s"}' | jerahook send --to 'http://127.0.0.1:8787/hook' -"#
        );
        let long = commands(&vec![b' '; SHOWN + 1], 3, "http://h/");
        assert_eq!(
            long["send"],
            "jerahook send --to 'http://h/' request-3.json"
        );
    }

    #[test]
    fn credentials_are_hidden() {
        assert_eq!(shown_header("Authorization", "Bearer s3cret"), "Bearer ***");
        assert_eq!(shown_header("authorization", "s3cret"), "***");
        assert_eq!(shown_header("Cookie", "a=b; c=d"), "***");
        assert_eq!(
            shown_header("content-type", "application/json"),
            "application/json"
        );
    }
}

//! What the API answers about history entries: a short form for the list, the full form for
//! the detail view, and the commands that send a request again. Pure.

use serde_json::{Value, json};

use crate::http::history::Entry;
use crate::http::ui::pretty;
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
            (Some(String::from_utf8_lossy(&text).into_owned()), pretty)
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
/// long to show is named as a file, to be downloaded first.
pub fn commands(body: &[u8], n: u64, url: &str) -> Value {
    let url = quote(url);
    if body.len() > SHOWN {
        let file = format!("request-{n}.json");
        return json!({
            "curl": format!("curl -sS -X POST {url} -H 'Content-Type: application/json' --data-binary @{file}"),
            "send": format!("jerahook send --to {url} {file}"),
        });
    }
    let body = quote(&String::from_utf8_lossy(body));
    json!({
        "curl": format!("curl -sS -X POST {url} -H 'Content-Type: application/json' --data-binary {body}"),
        "send": format!("printf '%s\\n' {body} | jerahook send --to {url} -"),
    })
}

/// `text` as one POSIX shell word.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
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

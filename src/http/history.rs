//! What the inspector page remembers: the last requests `listen` answered, oldest first,
//! bounded by their number and by the bytes of their bodies, each with a number that is never
//! reused. Pure: no I/O, no clock.

use std::collections::VecDeque;

use axum::body::Bytes;
use serde::Serialize;

use crate::http::wire::Forwarded;
use crate::judge::report::Record;

/// Request and reply bodies kept in the history may add up to this many bytes; the oldest
/// entries go first beyond it, whatever `--ui-history` says.
pub const MAX_BYTES: usize = 256 << 20;

/// A reply body is kept up to this many bytes (the rest is not needed to see what VCS got).
pub const REPLY_KEPT: usize = 64 << 10;

/// How a request ended, as the page's mark shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Valid,
    Invalid,
    Refused,
}

impl Verdict {
    pub fn parse(text: &str) -> Option<Verdict> {
        match text {
            "valid" => Some(Verdict::Valid),
            "invalid" => Some(Verdict::Invalid),
            "refused" => Some(Verdict::Refused),
            _ => None,
        }
    }
}

/// Why a request was refused: the reason's name (as JSON lines say it) and the sentence the
/// client got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub reason: String,
    pub message: String,
}

/// One request as it came and was answered. The target and headers have the token hidden.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Numbered by [`History::push`], from 1.
    pub n: u64,
    pub received_at: String,
    pub clock: String,
    pub remote: String,
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    /// The body as received; empty for most refused requests.
    pub body: Bytes,
    /// The verdict on a payload; `None` when the request was refused.
    pub record: Option<Record>,
    pub refusal: Option<Refusal>,
    pub reply_status: u16,
    /// The start of the reply's body (up to [`REPLY_KEPT`]).
    pub reply_body: Bytes,
    pub forward: Option<Forwarded>,
    /// From the request's arrival to its reply; `None` for a refusal.
    pub latency_ms: Option<f64>,
}

impl Entry {
    pub fn verdict(&self) -> Verdict {
        match &self.record {
            Some(record) if record.valid => Verdict::Valid,
            Some(_) => Verdict::Invalid,
            None => Verdict::Refused,
        }
    }

    pub fn event(&self) -> Option<&str> {
        self.record
            .as_ref()
            .and_then(|record| record.event.as_deref())
    }

    fn bytes(&self) -> usize {
        self.body.len() + self.reply_body.len()
    }

    fn matches(&self, filter: &Filter) -> bool {
        filter.after.is_none_or(|after| self.n > after)
            && filter
                .verdict
                .is_none_or(|verdict| self.verdict() == verdict)
            && filter
                .event
                .as_deref()
                .is_none_or(|event| self.event() == Some(event))
            && filter
                .text
                .as_deref()
                .is_none_or(|text| self.contains(text))
    }

    /// Whether the body (or, for a refusal, its sentence) holds `text`, ignoring case.
    fn contains(&self, text: &str) -> bool {
        let needle = text.to_lowercase();
        let body = String::from_utf8_lossy(&self.body).to_lowercase();
        body.contains(&needle)
            || self
                .refusal
                .as_ref()
                .is_some_and(|refusal| refusal.message.to_lowercase().contains(&needle))
    }
}

/// Which entries a list shows; every part that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub event: Option<String>,
    pub verdict: Option<Verdict>,
    /// Free text, searched in the body, ignoring case.
    pub text: Option<String>,
    /// Only entries numbered after this one (what arrived since the page last looked).
    pub after: Option<u64>,
}

/// The last requests, oldest first.
#[derive(Debug)]
pub struct History {
    entries: VecDeque<Entry>,
    capacity: usize,
    max_bytes: usize,
    bytes: usize,
    last: u64,
}

impl History {
    /// Keeps at most `capacity` entries (at least one) whose bodies add up to at most
    /// `max_bytes` (the newest entry is kept whatever its size).
    pub fn new(capacity: usize, max_bytes: usize) -> History {
        History {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            max_bytes,
            bytes: 0,
            last: 0,
        }
    }

    /// Numbers the entry, keeps it and forgets the oldest ones beyond the bounds; returns its
    /// number.
    pub fn push(&mut self, mut entry: Entry) -> u64 {
        self.last += 1;
        entry.n = self.last;
        self.bytes += entry.bytes();
        self.entries.push_back(entry);
        while self.entries.len() > self.capacity
            || (self.bytes > self.max_bytes && self.entries.len() > 1)
        {
            if let Some(old) = self.entries.pop_front() {
                self.bytes -= old.bytes();
            }
        }
        self.last
    }

    /// The entry numbered `n`, while it is kept.
    pub fn get(&self, n: u64) -> Option<&Entry> {
        let first = self.entries.front()?.n;
        let index = usize::try_from(n.checked_sub(first)?).ok()?;
        self.entries.get(index)
    }

    /// The entries that match, newest first.
    pub fn newest_first<'a>(&'a self, filter: &'a Filter) -> impl Iterator<Item = &'a Entry> {
        self.entries
            .iter()
            .rev()
            .filter(move |entry| entry.matches(filter))
    }

    /// The entries that match, oldest first (the order a capture file has).
    pub fn oldest_first<'a>(&'a self, filter: &'a Filter) -> impl Iterator<Item = &'a Entry> {
        self.entries
            .iter()
            .filter(move |entry| entry.matches(filter))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The number the newest entry got (0 before the first).
    pub fn last(&self) -> u64 {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::codes::Code;
    use crate::judge::report::Issue;

    fn entry(body: &str, valid: Option<bool>, event: &str) -> Entry {
        Entry {
            n: 0,
            received_at: String::new(),
            clock: String::new(),
            remote: "127.0.0.1:1".into(),
            method: "POST".into(),
            target: "/".into(),
            headers: vec![],
            body: Bytes::copy_from_slice(body.as_bytes()),
            record: valid.map(|valid| Record {
                source: "/".into(),
                index: 0,
                line: 1,
                event: Some(event.to_string().into()),
                object_id: None,
                valid,
                errors: if valid {
                    vec![]
                } else {
                    vec![Issue::new(Code::Schema, "/data", "wrong")]
                },
                warnings: vec![],
                undocumented: vec![],
            }),
            refusal: valid.is_none().then(|| Refusal {
                reason: "unauthorized".into(),
                message: "missing or wrong token".into(),
            }),
            reply_status: 200,
            reply_body: Bytes::new(),
            forward: None,
            latency_ms: Some(1.0),
        }
    }

    fn numbers<'a>(entries: impl Iterator<Item = &'a Entry>) -> Vec<u64> {
        entries.map(|entry| entry.n).collect()
    }

    #[test]
    fn the_oldest_go_first_and_numbers_are_never_reused() {
        let mut history = History::new(3, MAX_BYTES);
        for i in 0..5 {
            assert_eq!(history.push(entry(&i.to_string(), Some(true), "a")), i + 1);
        }
        assert_eq!(history.len(), 3);
        assert_eq!(numbers(history.newest_first(&Filter::default())), [5, 4, 3]);
        assert_eq!(numbers(history.oldest_first(&Filter::default())), [3, 4, 5]);
        assert!(history.get(2).is_none(), "forgotten");
        assert_eq!(&history.get(4).unwrap().body[..], b"3");
        assert!(history.get(6).is_none(), "not yet");
        assert!(History::new(3, MAX_BYTES).get(1).is_none(), "empty");
    }

    #[test]
    fn bodies_are_bounded_in_bytes_but_the_newest_stays() {
        let mut history = History::new(100, 10);
        history.push(entry("12345", Some(true), "a"));
        history.push(entry("12345", Some(true), "a"));
        assert_eq!(history.len(), 2, "10 bytes: within");
        history.push(entry("1", Some(true), "a"));
        assert_eq!(numbers(history.oldest_first(&Filter::default())), [2, 3]);
        history.push(entry(&"x".repeat(50), Some(true), "a"));
        assert_eq!(numbers(history.oldest_first(&Filter::default())), [4]);
    }

    #[test]
    fn filters_combine_event_verdict_text_and_what_is_new() {
        let mut history = History::new(10, MAX_BYTES);
        history.push(entry(r#"{"name":"Alice"}"#, Some(true), "clients.create"));
        history.push(entry(r#"{"name":"Bob"}"#, Some(false), "clients.create"));
        history.push(entry("", None, ""));
        history.push(entry(r#"{"name":"alice"}"#, Some(false), "clients.update"));
        let list = |filter: Filter| numbers(history.newest_first(&filter));
        assert_eq!(list(Filter::default()), [4, 3, 2, 1]);
        let event = |id: &str| Filter {
            event: Some(id.into()),
            ..Filter::default()
        };
        assert_eq!(list(event("clients.create")), [2, 1]);
        let verdict = |text: &str| Filter {
            verdict: Verdict::parse(text),
            ..Filter::default()
        };
        assert_eq!(list(verdict("valid")), [1]);
        assert_eq!(list(verdict("invalid")), [4, 2]);
        assert_eq!(list(verdict("refused")), [3]);
        let text = |text: &str| Filter {
            text: Some(text.into()),
            ..Filter::default()
        };
        assert_eq!(list(text("ALICE")), [4, 1]);
        assert_eq!(list(text("wrong token")), [3], "a refusal's sentence");
        assert_eq!(
            list(Filter {
                after: Some(2),
                verdict: Some(Verdict::Invalid),
                ..Filter::default()
            }),
            [4]
        );
    }
}

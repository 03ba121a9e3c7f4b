//! What the inspector page remembers: the last requests `listen` answered, oldest first,
//! bounded by their number and by the bytes they hold, each with a number that is never
//! reused. Entries are shared, never changed: a page request takes a few at a time under the
//! lock and does its work on them outside it. Pure: no I/O, no clock.

use std::collections::VecDeque;
use std::sync::Arc;

use axum::body::Bytes;
use serde::Serialize;

use crate::http::wire::Forwarded;
use crate::judge::report::Record;

/// Entries kept in the history may add up to this many bytes (everything an entry holds:
/// bodies, headers, target, verdict, answers); the oldest go first beyond it, whatever
/// `--ui-history` says.
pub const MAX_BYTES: usize = 256 << 20;

/// A request's headers are kept up to this many bytes in all, each value up to
/// [`HEADER_VALUE_KEPT`]; the rest is dropped and a last `…` header says how many were.
pub const HEADERS_KEPT: usize = 16 << 10;

/// A header value is kept up to this many bytes.
pub const HEADER_VALUE_KEPT: usize = 4 << 10;

/// A request target is kept up to this many bytes.
pub const TARGET_KEPT: usize = 2 << 10;

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

    /// About how much memory the entry holds: what the byte cap counts.
    fn footprint(&self) -> usize {
        let strings = [
            &self.received_at,
            &self.clock,
            &self.remote,
            &self.method,
            &self.target,
        ]
        .iter()
        .map(|text| text.len())
        .sum::<usize>();
        let headers = self
            .headers
            .iter()
            .map(|(name, value)| name.len() + value.len() + 2 * size_of::<String>())
            .sum::<usize>();
        let refusal = self
            .refusal
            .as_ref()
            .map_or(0, |refusal| refusal.reason.len() + refusal.message.len());
        let forward = self.forward.as_ref().map_or(0, |forward| {
            size_of::<Forwarded>()
                + forward.body.len()
                + forward.error.as_ref().map_or(0, String::len)
        });
        // A record's size is that of its JSON form, near enough: messages and paths dominate.
        let record = self.record.as_ref().map_or(0, |record| {
            let mut counted = Counted(0);
            let _ = serde_json::to_writer(&mut counted, record);
            size_of::<Record>() + counted.0
        });
        size_of::<Entry>()
            + strings
            + headers
            + refusal
            + forward
            + record
            + self.body.len()
            + self.reply_body.len()
    }

    /// Whether the entry is one `filter` lets through.
    pub fn matches(&self, filter: &Filter) -> bool {
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

/// Counts the bytes written to it.
struct Counted(usize);

impl std::io::Write for Counted {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A request's headers as the history keeps them: values as text (lossily), cut at
/// [`HEADER_VALUE_KEPT`] and [`HEADERS_KEPT`] in all.
pub fn kept_headers<'a>(headers: impl Iterator<Item = (&'a str, String)>) -> Vec<(String, String)> {
    let mut kept = Vec::new();
    let mut bytes = 0;
    let mut dropped = 0;
    for (name, value) in headers {
        let value = cut(value, HEADER_VALUE_KEPT);
        if dropped > 0 || bytes + name.len() + value.len() > HEADERS_KEPT {
            dropped += 1;
            continue;
        }
        bytes += name.len() + value.len();
        kept.push((name.to_string(), value));
    }
    if dropped > 0 {
        kept.push((
            "…".into(),
            format!("{dropped} more headers not kept (over {HEADERS_KEPT} bytes)"),
        ));
    }
    kept
}

/// `text` up to `limit` bytes (at a character boundary), with `…` when cut.
pub fn cut(text: String, limit: usize) -> String {
    if text.len() <= limit {
        return text;
    }
    let kept = prefix(&text, limit);
    // A new string: truncating would keep the whole allocation alive.
    let mut cut = String::with_capacity(kept.len() + '…'.len_utf8());
    cut.push_str(kept);
    cut.push('…');
    cut
}

/// The longest start of `text` of at most `limit` bytes that ends at a character boundary.
pub fn prefix(text: &str, limit: usize) -> &str {
    let mut end = limit.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// An entry with the bytes it counts for, measured before the history's lock is taken: a
/// verdict with thousands of warnings takes a while to measure.
#[derive(Debug)]
pub struct Measured {
    entry: Entry,
    bytes: usize,
}

impl From<Entry> for Measured {
    fn from(entry: Entry) -> Measured {
        let bytes = entry.footprint();
        Measured { entry, bytes }
    }
}

/// An entry and the bytes it counts for.
#[derive(Debug)]
struct Kept {
    entry: Arc<Entry>,
    bytes: usize,
}

/// The last requests, oldest first.
#[derive(Debug)]
pub struct History {
    entries: VecDeque<Kept>,
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

    /// Numbers the entry, keeps it and forgets the oldest ones beyond the bounds; returns it
    /// as kept.
    pub fn push(&mut self, measured: Measured) -> Arc<Entry> {
        let Measured { mut entry, bytes } = measured;
        self.last += 1;
        entry.n = self.last;
        let entry = Arc::new(entry);
        self.bytes += bytes;
        self.entries.push_back(Kept {
            entry: Arc::clone(&entry),
            bytes,
        });
        while self.entries.len() > self.capacity
            || (self.bytes > self.max_bytes && self.entries.len() > 1)
        {
            if let Some(old) = self.entries.pop_front() {
                self.bytes -= old.bytes;
            }
        }
        entry
    }

    /// The entry numbered `n`, while it is kept.
    pub fn get(&self, n: u64) -> Option<Arc<Entry>> {
        self.index(n)
            .and_then(|index| self.entries.get(index))
            .map(|kept| Arc::clone(&kept.entry))
    }

    /// Where entry `n` is, while it is kept.
    fn index(&self, n: u64) -> Option<usize> {
        let first = self.entries.front()?.entry.n;
        usize::try_from(n.checked_sub(first)?)
            .ok()
            .filter(|index| *index < self.entries.len())
    }

    /// Up to `count` entries numbered below `before`, newest first: one step of a scan from
    /// the newest, which takes the next step where this one ended.
    pub fn before(&self, before: u64, count: usize) -> Vec<Arc<Entry>> {
        let end = match self.index(before) {
            Some(index) => index,
            None if self
                .entries
                .front()
                .is_some_and(|first| before > first.entry.n) =>
            {
                self.entries.len()
            }
            None => 0,
        };
        let start = end.saturating_sub(count);
        self.entries
            .range(start..end)
            .rev()
            .map(|kept| Arc::clone(&kept.entry))
            .collect()
    }

    /// Entries numbered from `from` to `until`, oldest first, up to `count` of them or until
    /// their bodies pass `bytes`: one step of a scan from the oldest.
    pub fn from(&self, from: u64, until: u64, count: usize, bytes: usize) -> Vec<Arc<Entry>> {
        let first = self.entries.front().map_or(0, |kept| kept.entry.n);
        let Some(start) = self.index(from.max(first)) else {
            return Vec::new();
        };
        let mut taken = Vec::new();
        let mut size = 0;
        for kept in self.entries.range(start..) {
            if kept.entry.n > until || taken.len() == count || (size >= bytes && !taken.is_empty())
            {
                break;
            }
            size += kept.entry.body.len();
            taken.push(Arc::clone(&kept.entry));
        }
        taken
    }

    /// Entries kept, the most that can be, and the number the newest got.
    pub fn sizes(&self) -> (usize, usize, u64) {
        (self.len(), self.capacity, self.last)
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

    /// The numbers of the entries `filter` lets through, newest first, scanned in steps of two.
    fn newest(history: &History, filter: &Filter) -> Vec<u64> {
        let mut seen = Vec::new();
        let mut before = u64::MAX;
        loop {
            let step = history.before(before, 2);
            let Some(last) = step.last() else {
                return seen;
            };
            before = last.n;
            seen.extend(step.iter().filter(|e| e.matches(filter)).map(|e| e.n));
        }
    }

    /// The same, oldest first, in steps of two entries or one body over 3 bytes.
    fn oldest(history: &History, filter: &Filter) -> Vec<u64> {
        let mut seen = Vec::new();
        let mut from = 0;
        loop {
            let step = history.from(from, history.last(), 2, 3);
            let Some(last) = step.last() else {
                return seen;
            };
            from = last.n + 1;
            seen.extend(step.iter().filter(|e| e.matches(filter)).map(|e| e.n));
        }
    }

    #[test]
    fn the_oldest_go_first_and_numbers_are_never_reused() {
        let mut history = History::new(3, MAX_BYTES);
        for i in 0..5 {
            assert_eq!(
                history
                    .push(entry(&i.to_string(), Some(true), "a").into())
                    .n,
                i + 1
            );
        }
        assert_eq!(history.len(), 3);
        assert_eq!(newest(&history, &Filter::default()), [5, 4, 3]);
        assert_eq!(oldest(&history, &Filter::default()), [3, 4, 5]);
        assert!(history.get(2).is_none(), "forgotten");
        assert_eq!(&history.get(4).unwrap().body[..], b"3");
        assert!(history.get(6).is_none(), "not yet");
        assert!(History::new(3, MAX_BYTES).get(1).is_none(), "empty");
        assert_eq!(numbers(history.before(4, 10)), [3]);
        assert_eq!(numbers(history.before(3, 10)), [0; 0]);
        assert_eq!(numbers(history.from(1, 4, 10, MAX_BYTES)), [3, 4]);
    }

    fn numbers(entries: Vec<Arc<Entry>>) -> Vec<u64> {
        entries.iter().map(|entry| entry.n).collect()
    }

    #[test]
    fn everything_an_entry_holds_counts_against_the_cap_and_the_newest_stays() {
        let small = entry("12345", Some(true), "a").footprint();
        let mut history = History::new(100, 2 * small);
        history.push(entry("12345", Some(true), "a").into());
        history.push(entry("12345", Some(true), "a").into());
        assert_eq!(history.len(), 2, "two fit");
        history.push(entry("1", Some(true), "a").into());
        assert_eq!(oldest(&history, &Filter::default()), [2, 3]);
        history.push(entry(&"x".repeat(500), Some(true), "a").into());
        assert_eq!(oldest(&history, &Filter::default()), [4]);
        // Headers, target and a refusal's sentence count as a body does.
        let light = entry("", None, "").footprint();
        let mut heavy = entry("", None, "");
        heavy.headers = vec![("x-pad".into(), "y".repeat(1000))];
        heavy.target = "/".repeat(1000);
        heavy.refusal.as_mut().unwrap().message = "z".repeat(1000);
        assert!(heavy.footprint() >= light + 3000, "{}", heavy.footprint());
    }

    #[test]
    fn headers_are_kept_cut_to_their_caps() {
        let many: Vec<(String, String)> = (0..100)
            .map(|i| (format!("x-h{i}"), "v".repeat(HEADER_VALUE_KEPT * 2)))
            .collect();
        let kept = kept_headers(many.iter().map(|(n, v)| (n.as_str(), v.clone())));
        let bytes: usize = kept.iter().map(|(n, v)| n.len() + v.len()).sum();
        assert!(bytes <= HEADERS_KEPT + 100, "{bytes}");
        assert!(kept[0].1.ends_with('…') && kept[0].1.len() <= HEADER_VALUE_KEPT + 3);
        let (name, note) = kept.last().unwrap();
        assert_eq!(name, "…");
        assert!(
            note.ends_with("more headers not kept (over 16384 bytes)"),
            "{note}"
        );
        assert_eq!(cut("ééé".into(), 3), "é…", "cut at a character boundary");
        assert!(
            cut("x".repeat(100_000), 10).capacity() < 100,
            "nothing more is kept"
        );
    }

    #[test]
    fn filters_combine_event_verdict_text_and_what_is_new() {
        let mut history = History::new(10, MAX_BYTES);
        history.push(entry(r#"{"name":"Alice"}"#, Some(true), "clients.create").into());
        history.push(entry(r#"{"name":"Bob"}"#, Some(false), "clients.create").into());
        history.push(entry("", None, "").into());
        history.push(entry(r#"{"name":"alice"}"#, Some(false), "clients.update").into());
        let list = |filter: Filter| newest(&history, &filter);
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

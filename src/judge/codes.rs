//! Stable codes for everything jerahook reports, so scripts can match them and `--allow` can
//! silence chosen warnings.

/// What an error or warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    // Errors.
    /// The payload fails a keyword of its event's schema.
    Schema,
    /// The text is not JSON (or not a JSON document at all).
    Json,
    /// An input holds no payload.
    NoPayload,
    /// A document is larger than `--max-doc`.
    TooLarge,
    /// An input could not be opened or read.
    Unreadable,
    /// `events_id` is no event the catalog knows (a warning with `--allow-unknown`).
    UnknownEvent,
    /// `events_id` is not the event `--expect-event` asked for.
    EventMismatch,
    // Warnings.
    /// `data.id` differs from `event.object_id` where `data` is the entity itself.
    IdMismatch,
    /// `event.dt` lies in the future beyond clock skew.
    FutureDt,
    /// `event.dt` lies before 2000: a clock or serialisation fault.
    AncientDt,
    /// An object has the same key twice.
    DuplicateKey,
    /// Counters of an import contradict each other.
    InconsistentCounters,
    /// Keys beside `event` and `data` at the top level.
    ExtraTopLevelKey,
    /// The pre-3.23 event name `clients.custom_fields_update`.
    OldEventName,
}

impl Code {
    /// The warnings, with the one-line explanations README lists.
    pub const WARNINGS: &'static [Code] = &[
        Code::IdMismatch,
        Code::FutureDt,
        Code::AncientDt,
        Code::DuplicateKey,
        Code::InconsistentCounters,
        Code::ExtraTopLevelKey,
        Code::OldEventName,
        Code::UnknownEvent,
    ];

    /// The code as output shows it.
    pub fn name(self) -> &'static str {
        match self {
            Code::Schema => "schema",
            Code::Json => "json",
            Code::NoPayload => "no-payload",
            Code::TooLarge => "too-large",
            Code::Unreadable => "unreadable",
            Code::UnknownEvent => "unknown-event",
            Code::EventMismatch => "event-mismatch",
            Code::IdMismatch => "id-mismatch",
            Code::FutureDt => "future-dt",
            Code::AncientDt => "ancient-dt",
            Code::DuplicateKey => "duplicate-key",
            Code::InconsistentCounters => "inconsistent-counters",
            Code::ExtraTopLevelKey => "extra-top-level-key",
            Code::OldEventName => "old-event-name",
        }
    }

    /// One line on what the warning means and why it matters.
    pub fn explain(self) -> &'static str {
        match self {
            Code::IdMismatch => {
                "data.id differs from event.object_id, where data is the entity the event is about"
            }
            Code::FutureDt => {
                "event.dt is more than 5 minutes in the future: the billing server's clock, or a replayed capture edited by hand"
            }
            Code::AncientDt => {
                "event.dt is before 2000-01-01: a zero or default date from a clock or serialisation fault"
            }
            Code::DuplicateKey => {
                "an object has the same key twice; parsers disagree on which value wins, so the handler may see another value than the validator"
            }
            Code::InconsistentCounters => {
                "import counters contradict each other (more rows successful, failed or duplicated than processed)"
            }
            Code::ExtraTopLevelKey => {
                "the payload has keys beside event and data, which VCS does not send"
            }
            Code::OldEventName => {
                "clients.custom_fields_update is the name VCS used before 3.23 for clients.custom_fields.update"
            }
            Code::UnknownEvent => {
                "with --allow-unknown: an event id the catalog does not know, checked against the envelope only"
            }
            Code::Schema => "the payload fails its event's schema",
            Code::Json => "the input is not a JSON document",
            Code::NoPayload => "the input holds no payload",
            Code::TooLarge => "a document is larger than --max-doc",
            Code::Unreadable => "an input could not be opened or read",
            Code::EventMismatch => "events_id is not the event --expect-event asked for",
        }
    }

    /// The warning code with this name.
    pub fn warning(name: &str) -> Option<Code> {
        Code::WARNINGS
            .iter()
            .copied()
            .find(|code| code.name() == name)
    }
}

/// A set of codes, small enough to copy.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CodeSet(u32);

impl CodeSet {
    pub fn insert(&mut self, code: Code) {
        self.0 |= 1 << code as u32;
    }

    pub fn contains(self, code: Code) -> bool {
        self.0 & (1 << code as u32) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_names_round_trip_and_are_unique() {
        let mut names: Vec<&str> = Code::WARNINGS.iter().map(|code| code.name()).collect();
        for code in Code::WARNINGS {
            assert_eq!(Code::warning(code.name()), Some(*code));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Code::WARNINGS.len());
        assert_eq!(Code::warning("schema"), None, "errors cannot be allowed");
    }

    #[test]
    fn code_sets_hold_what_was_put_in() {
        let mut set = CodeSet::default();
        set.insert(Code::FutureDt);
        assert!(set.contains(Code::FutureDt));
        assert!(!set.contains(Code::AncientDt));
    }
}

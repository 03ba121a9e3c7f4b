//! The event catalog: the one source of truth for the 27 Provisioning API events.
//!
//! Each entry names the event, its category and meaning, the shape of its `data` (built from the
//! shared records in `records`), the fields a summary shows, and the documented payload from
//! `samples/`. The schemas under `schemas/` are generated from this table, so a change here is a
//! change there after `jerahook schema --write schemas/`.

use crate::catalog::records::{Def, Field, Object, Ty};

/// The groups the vendor's documentation lists events under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Clients,
    Accounts,
    Subscriptions,
    EmailRatesManager,
    ImportManager,
    Charges,
    Payments,
}

impl Category {
    /// The category as the documentation names it.
    pub fn name(self) -> &'static str {
        match self {
            Category::Clients => "Clients",
            Category::Accounts => "Accounts",
            Category::Subscriptions => "Subscriptions",
            Category::EmailRatesManager => "Email Rates Manager",
            Category::ImportManager => "Import Manager",
            Category::Charges => "Charges",
            Category::Payments => "Payments",
        }
    }
}

/// The shape of an event's `data`.
#[derive(Debug)]
pub enum Data {
    /// The event says it all: `{}` (or `[]`, as the docs show for deletes).
    Empty,
    /// A shared record, with the fields this event requires and the values it fixes or narrows.
    Record {
        def: Def,
        required: &'static [&'static str],
        narrowed: &'static [Field],
    },
    /// An object of its own.
    Object(Object),
    /// An object of its own whose other keys are the event's content: `name: value` pairs
    /// (client custom fields), each name a field of the user's own.
    KeyValues(Object),
}

/// How a summary presents a key field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// The value as it is.
    Plain,
    /// A date-time, shown in UTC.
    DateTime,
    /// An IMAP box: `login @ host`.
    Mailbox,
    /// An e-mail error: `code: message`.
    MailError,
    /// A list of rate tables: `name (id)`, comma-separated.
    RateTables,
    /// A list of files: `name (N rows)`.
    Files,
    /// A rate table record: `name (id)`.
    RateTable,
    /// Import counters, as a small table.
    Stats,
}

/// A field a summary shows, found by JSON Pointer within `data`.
#[derive(Debug)]
pub struct KeyField {
    pub label: &'static str,
    pub pointer: &'static str,
    pub show: Show,
}

/// One Provisioning API event.
#[derive(Debug)]
pub struct Event {
    /// The `events_id` VCS sends.
    pub id: &'static str,
    /// A short name for people and code generators: "Client created".
    pub title: &'static str,
    pub category: Category,
    /// What happened, as one line.
    pub description: &'static str,
    pub data: Data,
    /// What `inspect` shows first.
    pub key_fields: &'static [KeyField],
    /// Names older VCS releases send for this event.
    pub old_names: &'static [OldName],
    /// The documented payload (`samples/<id>.json`).
    pub example: &'static str,
}

/// A name an older VCS release used for an event.
#[derive(Debug)]
pub struct OldName {
    pub name: &'static str,
    /// The release that renamed it.
    pub renamed_in: &'static str,
}

const fn key(label: &'static str, pointer: &'static str, show: Show) -> KeyField {
    KeyField {
        label,
        pointer,
        show,
    }
}

const fn field(name: &'static str, ty: Ty, doc: &'static str) -> Field {
    Field { name, ty, doc }
}

const CLIENT_KEYS: &[KeyField] = &[
    key("name", "/name", Show::Plain),
    key("partition", "/companies_id", Show::Plain),
];
const ACCOUNT_KEYS: &[KeyField] = &[
    key("client", "/clients_id", Show::Plain),
    key("name", "/name", Show::Plain),
    key("auth type", "/auth_type", Show::Plain),
];
const SUBSCRIPTION_KEYS: &[KeyField] = &[
    key("client", "/clients_id", Show::Plain),
    key("package", "/packages_id", Show::Plain),
    key("stops", "/stop_dt", Show::DateTime),
    key("condition", "/condition", Show::Plain),
];
const RENEW_KEYS: &[KeyField] = &[
    key("client", "/clients_id", Show::Plain),
    key("package", "/packages_id", Show::Plain),
    key("stops", "/stop_dt", Show::DateTime),
    key("condition", "/condition", Show::Plain),
    key("renewals", "/renew_count", Show::Plain),
];
const TRANSACTION_KEYS: &[KeyField] = &[
    key("amount", "/amount", Show::Plain),
    key("type", "/type", Show::Plain),
    key("status", "/status", Show::Plain),
    key("date", "/c_dt", Show::DateTime),
    key("notes", "/notes", Show::Plain),
];
const NO_MATCH_KEYS: &[KeyField] = &[
    key("mailbox", "/credentials", Show::Mailbox),
    key("sender", "/message/from", Show::Plain),
    key("subject", "/message/subject", Show::Plain),
];
const NO_ATTACHMENTS_KEYS: &[KeyField] = &[
    key("mailbox", "/credentials", Show::Mailbox),
    key("sender", "/message/from", Show::Plain),
    key("subject", "/message/subject", Show::Plain),
    key("rate tables", "/rate_tables", Show::RateTables),
];
const FILE_ERROR_KEYS: &[KeyField] = &[
    key("error", "/error", Show::MailError),
    key("mailbox", "/credentials", Show::Mailbox),
    key("sender", "/message/from", Show::Plain),
    key("subject", "/message/subject", Show::Plain),
    key("rate tables", "/rate_tables", Show::RateTables),
];
const MAIL_IMPORT_KEYS: &[KeyField] = &[
    key("mailbox", "/mailbox", Show::Mailbox),
    key("sender", "/message/from", Show::Plain),
    key("subject", "/message/subject", Show::Plain),
    key("rate table", "/queue/settings/rate_table", Show::RateTable),
    key("files", "/queue/files_meta", Show::Files),
    key("status", "/queue/status", Show::Plain),
    key("stats", "/queue/stats", Show::Stats),
];
const IMPORT_KEYS: &[KeyField] = &[
    key("rate table", "/main/rate_table", Show::RateTable),
    key("files", "/queue/files_meta", Show::Files),
    key("status", "/queue/status", Show::Plain),
    key("stats", "/queue/stats", Show::Stats),
];

const SUBSCRIPTION_REQUIRED: &[&str] = &["id", "clients_id", "packages_id", "stop_dt"];
const TRANSACTION_REQUIRED: &[&str] = &["id", "c_dt", "type", "amount"];

const EMPTY: Data = Data::Empty;

const fn record(def: Def, required: &'static [&'static str]) -> Data {
    Data::Record {
        def,
        required,
        narrowed: &[],
    }
}

const fn mail(fields: &'static [Field], required: &'static [&'static str]) -> Data {
    Data::Object(Object { fields, required })
}

const MAILBOX: Ty = Ty::Def(Def::Mailbox);
const MESSAGE: Ty = Ty::Def(Def::MailMessage);
const RATE_TABLES: Ty = Ty::List(&Ty::Def(Def::RateTableRef));

/// A successful import: the documentation shows the whole queue entry, so its fields are
/// required here.
const IMPORT_SUCCESS_DATA: Data = Data::Object(Object {
    fields: &[
        field("main", Ty::Def(Def::ImportConfig), "The import's settings"),
        field(
            "queue",
            Ty::DefRequiring(
                Def::ImportQueue,
                &["dt", "object", "object_id", "settings", "stats", "status"],
            ),
            "The import queue entry, with its statistics and status",
        ),
    ],
    required: &["main", "queue"],
});

/// A failed import: the documentation shows `main` and `queue` as placeholders only, so no
/// field of the queue entry beyond its id is required.
const IMPORT_FAILED_DATA: Data = Data::Object(Object {
    fields: &[
        field("main", Ty::Def(Def::ImportConfig), "The import's settings"),
        field("queue", Ty::Def(Def::ImportQueue), "The import queue entry"),
    ],
    required: &["main", "queue"],
});

/// Every event of the Provisioning API, in the documentation's order.
///
/// The examples are the documented payloads, with one change: the page's export turned every
/// e-mail address into `[email protected]`, which VCS never sends, so the e-mail samples carry
/// plausible addresses instead.
pub static EVENTS: &[Event] = &[
    Event {
        id: "clients.create",
        title: "Client created",
        category: Category::Clients,
        description: "A client was created",
        // `companies_id` is in the sample only from a later revision of the page on: a release
        // before it sends a client without one.
        data: record(Def::Client, &["id", "name"]),
        key_fields: CLIENT_KEYS,
        old_names: &[],
        example: include_str!("../../samples/clients.create.json"),
    },
    Event {
        id: "clients.update",
        title: "Client updated",
        category: Category::Clients,
        description: "A client's details changed (data has the id and the changed fields)",
        data: record(Def::Client, &["id"]),
        key_fields: CLIENT_KEYS,
        old_names: &[],
        example: include_str!("../../samples/clients.update.json"),
    },
    Event {
        id: "clients.archive",
        title: "Client archived",
        category: Category::Clients,
        description: "A client was archived",
        data: EMPTY,
        key_fields: &[],
        old_names: &[],
        example: include_str!("../../samples/clients.archive.json"),
    },
    Event {
        id: "clients.delete",
        title: "Client deleted",
        category: Category::Clients,
        description: "A client was completely deleted (not archived)",
        data: EMPTY,
        key_fields: &[],
        old_names: &[],
        example: include_str!("../../samples/clients.delete.json"),
    },
    Event {
        id: "clients.balance_zero",
        title: "Client balance at or below zero",
        category: Category::Clients,
        description: "A client's balance became zero or less",
        data: EMPTY,
        key_fields: &[],
        old_names: &[],
        example: include_str!("../../samples/clients.balance_zero.json"),
    },
    Event {
        id: "clients.balance_notzero",
        title: "Client balance above zero",
        category: Category::Clients,
        description: "A client's balance became greater than zero",
        data: EMPTY,
        key_fields: &[],
        old_names: &[],
        example: include_str!("../../samples/clients.balance_notzero.json"),
    },
    Event {
        id: "clients.custom_fields.update",
        title: "Client custom field updated",
        category: Category::Clients,
        description: "A client's custom field changed (data has the id and field: value pairs)",
        data: Data::KeyValues(Object {
            fields: &[field("id", Ty::Id, "The client's id")],
            required: &["id"],
        }),
        key_fields: &[],
        old_names: &[OldName {
            name: "clients.custom_fields_update",
            renamed_in: "3.23",
        }],
        example: include_str!("../../samples/clients.custom_fields.update.json"),
    },
    Event {
        id: "clients.accounts.create",
        title: "Account created",
        category: Category::Accounts,
        description: "An account was created",
        data: record(Def::Account, &["id", "clients_id", "name", "auth_type"]),
        key_fields: ACCOUNT_KEYS,
        old_names: &[],
        example: include_str!("../../samples/clients.accounts.create.json"),
    },
    Event {
        id: "clients.accounts.update",
        title: "Account updated",
        category: Category::Accounts,
        description: "An account's details changed (data has the id and the changed fields)",
        data: record(Def::Account, &["id"]),
        key_fields: ACCOUNT_KEYS,
        old_names: &[],
        example: include_str!("../../samples/clients.accounts.update.json"),
    },
    Event {
        id: "clients.accounts.delete",
        title: "Account deleted",
        category: Category::Accounts,
        description: "An account was completely deleted",
        data: EMPTY,
        key_fields: &[],
        old_names: &[],
        example: include_str!("../../samples/clients.accounts.delete.json"),
    },
    Event {
        id: "clients.subscriptions.assign",
        title: "Subscription assigned",
        category: Category::Subscriptions,
        description: "A subscription was assigned to a client",
        data: record(Def::Subscription, SUBSCRIPTION_REQUIRED),
        key_fields: SUBSCRIPTION_KEYS,
        old_names: &[],
        example: include_str!("../../samples/clients.subscriptions.assign.json"),
    },
    Event {
        id: "clients.subscriptions.activate",
        title: "Subscription activated",
        category: Category::Subscriptions,
        description: "A subscription was activated",
        data: Data::Record {
            def: Def::Subscription,
            required: &["id", "clients_id", "packages_id", "stop_dt", "condition"],
            narrowed: &[field(
                "condition",
                Ty::Const("activated"),
                "`activated`, as the event says",
            )],
        },
        key_fields: SUBSCRIPTION_KEYS,
        old_names: &[],
        example: include_str!("../../samples/clients.subscriptions.activate.json"),
    },
    Event {
        id: "clients.subscriptions.deactivate",
        title: "Subscription deactivated",
        category: Category::Subscriptions,
        description: "A subscription was deactivated",
        data: Data::Record {
            def: Def::Subscription,
            required: &["id", "clients_id", "packages_id", "stop_dt", "condition"],
            narrowed: &[field(
                "condition",
                Ty::Const("deactivated"),
                "`deactivated`, as the event says",
            )],
        },
        key_fields: SUBSCRIPTION_KEYS,
        old_names: &[],
        example: include_str!("../../samples/clients.subscriptions.deactivate.json"),
    },
    Event {
        id: "clients.subscriptions.renew",
        title: "Subscription renewed",
        category: Category::Subscriptions,
        description: "A subscription was renewed",
        data: record(
            Def::Subscription,
            &["id", "clients_id", "packages_id", "stop_dt", "renew_count"],
        ),
        key_fields: RENEW_KEYS,
        old_names: &[],
        example: include_str!("../../samples/clients.subscriptions.renew.json"),
    },
    Event {
        id: "clients.subscriptions.close",
        title: "Subscription closed",
        category: Category::Subscriptions,
        description: "A subscription was closed (stop_dt is the closing time)",
        data: Data::Record {
            def: Def::Subscription,
            required: SUBSCRIPTION_REQUIRED,
            // A closed subscription has a closing time: not null here.
            narrowed: &[field(
                "stop_dt",
                Ty::DateTime,
                "When the subscription was closed",
            )],
        },
        key_fields: SUBSCRIPTION_KEYS,
        old_names: &[],
        example: include_str!("../../samples/clients.subscriptions.close.json"),
    },
    Event {
        id: "email_rates_manager.import",
        title: "E-mailed rates file prepared for import",
        category: Category::EmailRatesManager,
        description: "A rates file from e-mail was prepared for the handler's task, and the import stopped there",
        data: mail(
            &[
                field("mailbox", MAILBOX, "The mailbox the e-mail arrived in"),
                field("message", MESSAGE, "The e-mail the rates came in"),
                field(
                    "queue",
                    Ty::Def(Def::ImportQueue),
                    "The import prepared from the attached file; the documentation shows it only as a placeholder",
                ),
            ],
            &["mailbox", "message", "queue"],
        ),
        key_fields: MAIL_IMPORT_KEYS,
        old_names: &[],
        example: include_str!("../../samples/email_rates_manager.import.json"),
    },
    Event {
        id: "email_rates_manager.rate_tables_no_match",
        title: "No rate table matches an e-mail",
        category: Category::EmailRatesManager,
        description: "No rate table matches the received e-mail",
        data: mail(
            &[
                field("credentials", MAILBOX, "The mailbox the e-mail arrived in"),
                field("message", MESSAGE, "The e-mail no rate table matches"),
            ],
            &["credentials", "message"],
        ),
        key_fields: NO_MATCH_KEYS,
        old_names: &[],
        example: include_str!("../../samples/email_rates_manager.rate_tables_no_match.json"),
    },
    Event {
        id: "email_rates_manager.no_attachments",
        title: "E-mail without attachments",
        category: Category::EmailRatesManager,
        description: "The received e-mail had no attachments",
        data: mail(
            &[
                field("credentials", MAILBOX, "The mailbox the e-mail arrived in"),
                field("message", MESSAGE, "The e-mail without attachments"),
                field(
                    "rate_tables",
                    RATE_TABLES,
                    "The rate tables the e-mail matches",
                ),
            ],
            &["credentials", "message", "rate_tables"],
        ),
        key_fields: NO_ATTACHMENTS_KEYS,
        old_names: &[],
        example: include_str!("../../samples/email_rates_manager.no_attachments.json"),
    },
    Event {
        id: "email_rates_manager.file_processing_error",
        title: "E-mailed file not processed",
        category: Category::EmailRatesManager,
        description: "A file attached to the e-mail could not be processed",
        data: mail(
            &[
                field(
                    "error",
                    Ty::Def(Def::MailError),
                    "Why the file could not be processed",
                ),
                field("credentials", MAILBOX, "The mailbox the e-mail arrived in"),
                field("message", MESSAGE, "The e-mail the file came with"),
                field(
                    "rate_tables",
                    RATE_TABLES,
                    "The rate tables the e-mail matches",
                ),
            ],
            &["error", "credentials", "message", "rate_tables"],
        ),
        key_fields: FILE_ERROR_KEYS,
        old_names: &[],
        example: include_str!("../../samples/email_rates_manager.file_processing_error.json"),
    },
    Event {
        id: "importd.process_success",
        title: "Import succeeded",
        category: Category::ImportManager,
        description: "An import attempt succeeded",
        data: IMPORT_SUCCESS_DATA,
        key_fields: IMPORT_KEYS,
        old_names: &[],
        example: include_str!("../../samples/importd.process_success.json"),
    },
    Event {
        id: "importd.process_failed",
        title: "Import failed",
        category: Category::ImportManager,
        description: "An import attempt failed",
        data: IMPORT_FAILED_DATA,
        key_fields: IMPORT_KEYS,
        old_names: &[],
        example: include_str!("../../samples/importd.process_failed.json"),
    },
    Event {
        id: "accounting.charges.create",
        title: "Charge created",
        category: Category::Charges,
        description: "A charge transaction was created",
        data: Data::Record {
            def: Def::Transaction,
            required: TRANSACTION_REQUIRED,
            narrowed: &[field(
                "type",
                Ty::Const("charge"),
                "`charge`, as the event says",
            )],
        },
        key_fields: TRANSACTION_KEYS,
        old_names: &[],
        example: include_str!("../../samples/accounting.charges.create.json"),
    },
    Event {
        id: "accounting.charges.update",
        title: "Charge updated",
        category: Category::Charges,
        description: "A charge was edited (data may carry only the id and what changed)",
        data: Data::Record {
            def: Def::Transaction,
            required: &["id"],
            narrowed: &[field(
                "type",
                Ty::Const("charge"),
                "`charge`, as the event says",
            )],
        },
        key_fields: TRANSACTION_KEYS,
        old_names: &[],
        example: include_str!("../../samples/accounting.charges.update.json"),
    },
    Event {
        id: "accounting.charges.delete",
        title: "Charge deleted",
        category: Category::Charges,
        description: "A charge was removed",
        data: EMPTY,
        key_fields: &[],
        old_names: &[],
        example: include_str!("../../samples/accounting.charges.delete.json"),
    },
    Event {
        id: "accounting.payments.create",
        title: "Payment created",
        category: Category::Payments,
        description: "A payment transaction was created",
        data: Data::Record {
            def: Def::Transaction,
            required: &["id", "c_dt", "type", "amount", "status"],
            narrowed: &[field(
                "type",
                Ty::Const("payment"),
                "`payment`, as the event says",
            )],
        },
        key_fields: TRANSACTION_KEYS,
        old_names: &[],
        example: include_str!("../../samples/accounting.payments.create.json"),
    },
    Event {
        id: "accounting.payments.update",
        title: "Payment updated",
        category: Category::Payments,
        description: "A payment was edited (data may carry only the id and what changed)",
        data: Data::Record {
            def: Def::Transaction,
            required: &["id"],
            narrowed: &[field(
                "type",
                Ty::Const("payment"),
                "`payment`, as the event says",
            )],
        },
        key_fields: TRANSACTION_KEYS,
        old_names: &[],
        example: include_str!("../../samples/accounting.payments.update.json"),
    },
    Event {
        id: "accounting.payments.delete",
        title: "Payment deleted",
        category: Category::Payments,
        description: "A payment was removed",
        data: EMPTY,
        key_fields: &[],
        old_names: &[],
        example: include_str!("../../samples/accounting.payments.delete.json"),
    },
];

/// How a payload's `events_id` relates to the catalog.
#[derive(Debug, Clone, Copy)]
pub enum Lookup {
    /// The current name of an event.
    Known(&'static Event),
    /// A name an older release used for this event.
    Old(&'static Event, &'static OldName),
    /// Not an event the catalog knows.
    Unknown,
}

/// The event with this id, current name only.
pub fn find(id: &str) -> Option<&'static Event> {
    EVENTS.iter().find(|event| event.id == id)
}

/// The event an `events_id` names, by its current or an older name.
pub fn lookup(id: &str) -> Lookup {
    for event in EVENTS {
        if event.id == id {
            return Lookup::Known(event);
        }
        if let Some(old) = event.old_names.iter().find(|old| old.name == id) {
            return Lookup::Old(event, old);
        }
    }
    Lookup::Unknown
}

/// Whether an `--events` list selects a payload with this `events_id`: an empty list selects
/// every payload.
pub fn selects(events: &[&Event], id: Option<&str>) -> bool {
    // An old name selects its event as the current one does.
    let event = |id| match lookup(id) {
        Lookup::Known(event) | Lookup::Old(event, _) => Some(event.id),
        Lookup::Unknown => None,
    };
    events.is_empty()
        || id
            .and_then(event)
            .is_some_and(|id| events.iter().any(|event| event.id == id))
}

/// The known event id nearest to `id`, when one is near enough to be a likely typo.
pub fn suggest(id: &str) -> Option<&'static str> {
    // A capture with one wrong id has it in every payload of that kind: the last few answers
    // are kept, so the distances to every event are computed once per id, not per payload.
    const KEEP: usize = 16;
    static RECENT: std::sync::Mutex<Vec<(String, Option<&'static str>)>> =
        std::sync::Mutex::new(Vec::new());
    if let Ok(recent) = RECENT.lock() {
        if let Some((_, near)) = recent.iter().find(|(seen, _)| seen == id) {
            return *near;
        }
    }
    let near = nearest(id);
    if let Ok(mut recent) = RECENT.lock() {
        if recent.len() == KEEP {
            recent.remove(0);
        }
        recent.push((id.to_string(), near));
    }
    near
}

fn nearest(id: &str) -> Option<&'static str> {
    let (best, distance) = EVENTS
        .iter()
        // Optimal string alignment: transpositions count as one edit, as in Damerau-Levenshtein,
        // without its per-call table of the alphabet.
        .map(|event| (event.id, strsim::osa_distance(id, event.id)))
        .min_by_key(|&(_, distance)| distance)?;
    // Far-off names would be a guess, not a suggestion: allow about a third of the name.
    (distance <= id.len().max(best.len()) / 3 + 1).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_has_the_27_documented_events_once_each() {
        assert_eq!(EVENTS.len(), 27);
        let mut ids: Vec<_> = EVENTS.iter().map(|event| event.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 27);
    }

    #[test]
    fn every_example_is_the_payload_of_its_own_event() {
        for event in EVENTS {
            let payload: serde_json::Value = serde_json::from_str(event.example).unwrap();
            assert_eq!(payload["event"]["events_id"], event.id, "{}", event.id);
        }
    }

    #[test]
    fn an_events_list_selects_its_members_and_an_empty_one_everything() {
        let update = find("clients.update").unwrap();
        assert!(selects(&[], Some("clients.create")));
        assert!(selects(&[], None));
        assert!(selects(&[update], Some("clients.update")));
        assert!(!selects(&[update], Some("clients.create")));
        assert!(!selects(&[update], None));
    }

    #[test]
    fn old_name_of_custom_fields_update_is_recognised() {
        match lookup("clients.custom_fields_update") {
            Lookup::Old(event, old) => {
                assert_eq!(event.id, "clients.custom_fields.update");
                assert_eq!(old.renamed_in, "3.23");
            }
            other => panic!("expected the old name, got {other:?}"),
        }
    }

    #[test]
    fn suggests_the_nearest_id_for_a_typo_and_nothing_for_nonsense() {
        assert_eq!(suggest("clients.updat"), Some("clients.update"));
        assert_eq!(suggest("client.create"), Some("clients.create"));
        assert_eq!(
            suggest("accounting.payment.create"),
            Some("accounting.payments.create")
        );
        assert_eq!(suggest("x"), None);
    }

    #[test]
    fn key_fields_point_at_documented_fields() {
        for event in EVENTS {
            let documented: Vec<&str> = match &event.data {
                Data::Empty => vec![],
                Data::Record { def, .. } => match &def.spec().shape {
                    crate::catalog::records::Shape::Record(object) => {
                        object.fields.iter().map(|f| f.name).collect()
                    }
                    _ => vec![],
                },
                Data::Object(object) | Data::KeyValues(object) => {
                    object.fields.iter().map(|f| f.name).collect()
                }
            };
            for key in event.key_fields {
                let first = key
                    .pointer
                    .trim_start_matches('/')
                    .split('/')
                    .next()
                    .unwrap();
                assert!(
                    documented.contains(&first),
                    "{}: {} is not a documented field",
                    event.id,
                    key.pointer
                );
            }
        }
    }
}

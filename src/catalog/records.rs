//! The shared records of the Provisioning API: the shapes that several events carry (a client, a
//! subscription, a transaction, an import queue...), written once as data.
//!
//! Each [`Def`] becomes one `schemas/defs/<name>.schema.json`; events point at them with `$ref`.
//! The field types follow the documented payloads: reduced samples, so every record accepts
//! fields beyond the ones listed here, and a field shown as `null` is nullable with the type its
//! name and meaning give.

/// The type of one documented field, as the generator turns it into JSON Schema.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    /// A string.
    Str,
    /// An entity id: a non-negative integer.
    Id,
    /// A counter (import stats, change logs, row counts): a non-negative integer.
    Count,
    /// Any integer.
    Int,
    /// An amount, a tolerance, a rate: any number.
    Num,
    /// `true` or `false`.
    Bool,
    /// A date-time string in one of the forms VCS sends (see `datetime`).
    DateTime,
    /// A bare date (`2022-07-14`) or a date-time: for dates the documentation shows only as
    /// `null`, whose form is not known.
    DateOrDateTime,
    /// A string from a list the vendor documents in full.
    OneOf(&'static [&'static str]),
    /// The one value the event id fixes.
    Const(&'static str),
    /// A list of values of one type.
    List(&'static Ty),
    /// The inner type, or `null`.
    Nullable(&'static Ty),
    /// One of the shared records.
    Def(Def),
    /// One of the shared records, with more of its fields required where it is used: the
    /// fields the documentation shows in that event's payload.
    DefRequiring(Def, &'static [&'static str]),
    /// An object of its own, described inline.
    Object(&'static Object),
    /// Documented as present, its values not documented: anything.
    Any,
}

/// One documented field of an object.
#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    /// What the field is, for the schema's `description`: from the documentation where it
    /// says, else from the field's name and the payloads it appears in.
    pub doc: &'static str,
}

/// A documented object: its fields and which of them every payload must carry.
#[derive(Debug)]
pub struct Object {
    pub fields: &'static [Field],
    pub required: &'static [&'static str],
}

/// What one shared definition describes.
#[derive(Debug)]
pub enum Shape {
    /// The `{event, data}` envelope every payload has.
    Envelope,
    /// A string of the form a standard `pattern` gives (the date-time forms).
    Pattern(&'static str),
    /// A record: a JSON object with documented fields.
    Record(Object),
}

/// The shared definitions, one schema file each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Def {
    Envelope,
    DateTime,
    DateOrDateTime,
    Client,
    Account,
    Subscription,
    Transaction,
    Mailbox,
    MailMessage,
    MailError,
    RateTableRef,
    ImportConfig,
    ImportQueue,
    ImportStats,
    ImportSheet,
    CodeRule,
    FileMeta,
    RateTable,
    RateTablesLog,
}

/// Metadata and shape of one shared definition.
#[derive(Debug)]
pub struct DefSpec {
    /// File stem under `schemas/defs/` and key under `$defs`.
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub shape: Shape,
    /// Where the schema's `examples` come from.
    pub examples: Examples,
}

/// The `examples` of a definition.
#[derive(Debug)]
pub enum Examples {
    /// The value at a JSON Pointer in an event's documented payload (`samples/<event>.json`).
    Sample {
        event: &'static str,
        pointer: &'static str,
    },
    /// Strings written here.
    Strings(&'static [&'static str]),
}

const fn sample(event: &'static str, pointer: &'static str) -> Examples {
    Examples::Sample { event, pointer }
}

use crate::catalog::datetime;
use Ty::*;

const fn f(name: &'static str, ty: Ty, doc: &'static str) -> Field {
    Field { name, ty, doc }
}

const NULL_ID: Ty = Nullable(&Id);
const NULL_STR: Ty = Nullable(&Str);
const NULL_NUM: Ty = Nullable(&Num);
const NULL_INT: Ty = Nullable(&Int);
const NULL_COUNT: Ty = Nullable(&Count);
const NULL_DT: Ty = Nullable(&DateTime);
const NULL_DAY: Ty = Nullable(&DateOrDateTime);
const STRINGS: Ty = List(&Str);

/// Subscription conditions: the one list of values the vendor documents in full.
pub const CONDITIONS: &[&str] = &["new", "activated", "deactivated"];

impl Def {
    /// Every shared definition, in the order the generator writes them.
    pub const ALL: &'static [Def] = &[
        Def::Envelope,
        Def::DateTime,
        Def::DateOrDateTime,
        Def::Client,
        Def::Account,
        Def::Subscription,
        Def::Transaction,
        Def::Mailbox,
        Def::MailMessage,
        Def::MailError,
        Def::RateTableRef,
        Def::ImportConfig,
        Def::ImportQueue,
        Def::ImportStats,
        Def::ImportSheet,
        Def::CodeRule,
        Def::FileMeta,
        Def::RateTable,
        Def::RateTablesLog,
    ];

    /// The definition's name, title, description and shape.
    pub fn spec(self) -> &'static DefSpec {
        match self {
            Def::Envelope => &ENVELOPE,
            Def::DateTime => &DATE_TIME,
            Def::DateOrDateTime => &DATE_OR_DATE_TIME,
            Def::Client => &CLIENT,
            Def::Account => &ACCOUNT,
            Def::Subscription => &SUBSCRIPTION,
            Def::Transaction => &TRANSACTION,
            Def::Mailbox => &MAILBOX,
            Def::MailMessage => &MAIL_MESSAGE,
            Def::MailError => &MAIL_ERROR,
            Def::RateTableRef => &RATE_TABLE_REF,
            Def::ImportConfig => &IMPORT_CONFIG,
            Def::ImportQueue => &IMPORT_QUEUE,
            Def::ImportStats => &IMPORT_STATS,
            Def::ImportSheet => &IMPORT_SHEET,
            Def::CodeRule => &CODE_RULE,
            Def::FileMeta => &FILE_META,
            Def::RateTable => &RATE_TABLE,
            Def::RateTablesLog => &RATE_TABLES_LOG,
        }
    }
}

static ENVELOPE: DefSpec = DefSpec {
    name: "envelope",
    title: "Provisioning API payload",
    description: "The envelope of every payload VCS posts to a handler: `event` says what \
                  happened to which object and when, `data` carries the event's record",
    shape: Shape::Envelope,
    examples: sample("clients.archive", ""),
};

static DATE_TIME: DefSpec = DefSpec {
    name: "date-time",
    title: "VCS date-time",
    description: "A date-time as VCS writes it: RFC 3339 (`2022-01-24T15:44:47.216756+00:00`, \
                  fractional seconds optional, `Z` or an offset) or the transaction form \
                  `2022-07-06 00:00:00+0000`. The pattern holds the calendar: months 01-12, the \
                  days each month has (29 February in leap years only), hours 00-23, minutes \
                  and seconds 00-59, offsets up to 23:59",
    shape: Shape::Pattern(datetime::PATTERN),
    examples: Examples::Strings(&[
        "2022-01-24T15:44:47.216756+00:00",
        "2000-01-01T00:00:00+00:00",
        "2022-07-06 00:00:00+0000",
    ]),
};

static DATE_OR_DATE_TIME: DefSpec = DefSpec {
    name: "date-or-date-time",
    title: "VCS date or date-time",
    description: "A date (`2022-07-14`) or a date-time in either VCS form, checked to the \
                  calendar like `date-time`: for dates the documentation shows only as `null`, \
                  whose form it does not show",
    shape: Shape::Pattern(datetime::DATE_OR_DATE_TIME_PATTERN),
    examples: Examples::Strings(&["2022-07-14", "2022-07-14T00:00:00+00:00"]),
};

static CLIENT: DefSpec = DefSpec {
    name: "client",
    title: "Client",
    description: "A client record: the Core API record, of which the documentation shows a \
                  few fields. Updates carry the id and the changed fields",
    shape: Shape::Record(Object {
        fields: &[
            f("id", Id, "The client's id"),
            f("name", Str, "The client's name"),
            f(
                "companies_id",
                Id,
                "The id of the partition (company) the client belongs to; the documentation \
                 shows it in `clients.create` from a later revision on",
            ),
            f(
                "currencies_id",
                Id,
                "The id of the client's currency (Core API field, not in the documented samples)",
            ),
        ],
        required: &["id"],
    }),
    examples: sample("clients.create", "/data"),
};

static ACCOUNT: DefSpec = DefSpec {
    name: "account",
    title: "Account",
    description: "A client's account. Updates carry the id and the changed fields",
    shape: Shape::Record(Object {
        fields: &[
            f("id", Id, "The account's id"),
            f(
                "clients_id",
                Id,
                "The id of the client the account belongs to",
            ),
            f("name", Str, "The account's name"),
            f(
                "auth_type",
                Str,
                "How the account is identified: `name` in the documentation; the user \
                 interface also identifies accounts by ANI or IP, so expect other values",
            ),
        ],
        required: &["id"],
    }),
    examples: sample("clients.accounts.create", "/data"),
};

static SUBSCRIPTION: DefSpec = DefSpec {
    name: "subscription",
    title: "Subscription",
    description: "A client's subscription to a package. `stop_dt` is null for a subscription \
                  with no end",
    shape: Shape::Record(Object {
        fields: &[
            f("id", Id, "The subscription's id"),
            f("clients_id", Id, "The id of the subscribed client"),
            f("packages_id", Id, "The id of the package subscribed to"),
            f(
                "accounts_id",
                NULL_ID,
                "The id of the account the subscription is limited to, or null (Core API field)",
            ),
            f(
                "start_dt",
                DateTime,
                "When the subscription starts (Core API field)",
            ),
            f(
                "stop_dt",
                NULL_DT,
                "When the subscription stops; null for one with no end",
            ),
            f(
                "condition",
                OneOf(CONDITIONS),
                "The subscription's condition: `new`, `activated` or `deactivated`, the values \
                 the documentation lists",
            ),
            f(
                "renew_count",
                Count,
                "How many times the subscription was renewed",
            ),
            f(
                "status",
                Str,
                "A status the Core API computes, such as `pending`, `active` or `archive`",
            ),
        ],
        required: &["id"],
    }),
    examples: sample("clients.subscriptions.assign", "/data"),
};

static TRANSACTION: DefSpec = DefSpec {
    name: "transaction",
    title: "Transaction",
    description: "A charge or a payment. Updates may carry only the id and what changed",
    shape: Shape::Record(Object {
        fields: &[
            f("id", Id, "The transaction's id"),
            f(
                "c_dt",
                DateTime,
                "When the transaction was created, written `2022-07-06 00:00:00+0000`",
            ),
            f("tags", STRINGS, "Tags set on the transaction"),
            f(
                "type",
                Str,
                "The kind of transaction: `charge` or `payment`",
            ),
            f("notes", Str, "Free-text notes; may be empty"),
            f("taxes", NULL_NUM, "Taxes on the amount, or null"),
            f(
                "amount",
                Num,
                "The amount: positive credits the client, negative debits",
            ),
            f(
                "status",
                Str,
                "The transaction's status, `approved` in the documented payment; other values \
                 are not documented",
            ),
        ],
        required: &["id"],
    }),
    examples: sample("accounting.payments.create", "/data"),
};

static MAILBOX: DefSpec = DefSpec {
    name: "mailbox",
    title: "IMAP mailbox",
    description: "The mailbox the Email Rates Manager reads, as `mailbox` or `credentials`",
    shape: Shape::Record(Object {
        fields: &[
            f(
                "login",
                Str,
                "The login of the mailbox; often an e-mail address, but not always",
            ),
            f("host", Str, "The IMAP server's host name"),
        ],
        required: &["login", "host"],
    }),
    examples: sample("email_rates_manager.import", "/data/mailbox"),
};

static MAIL_MESSAGE: DefSpec = DefSpec {
    name: "mail-message",
    title: "E-mail message",
    description: "The received e-mail the event is about",
    shape: Shape::Record(Object {
        fields: &[
            f("from", Str, "The sender, as the `From` header gives it"),
            f(
                "id",
                Str,
                "The message's id on the mail server, a string of digits such as `77798`; the \
                 event's `object_id` is the same",
            ),
            f("subject", Str, "The message's subject"),
        ],
        required: &["from", "id", "subject"],
    }),
    examples: sample("email_rates_manager.import", "/data/message"),
};

static MAIL_ERROR: DefSpec = DefSpec {
    name: "mail-error",
    title: "File processing error",
    description: "Why a file attached to an e-mail could not be processed",
    shape: Shape::Record(Object {
        fields: &[
            f(
                "code",
                Str,
                "The error's code, such as `incorrect-file-ext`",
            ),
            f("message", Str, "The error in words, naming the file"),
        ],
        required: &["code", "message"],
    }),
    examples: sample("email_rates_manager.file_processing_error", "/data/error"),
};

static RATE_TABLE_REF: DefSpec = DefSpec {
    name: "rate-table-ref",
    title: "Rate table reference",
    description: "A rate table named by id and name",
    shape: Shape::Record(Object {
        fields: &[
            f("id", Id, "The rate table's id"),
            f("name", Str, "The rate table's name"),
        ],
        required: &["id", "name"],
    }),
    examples: sample("email_rates_manager.no_attachments", "/data/rate_tables/0"),
};

static FILE_META: DefSpec = DefSpec {
    name: "file-meta",
    title: "Imported file",
    description: "A file of an import",
    shape: Shape::Record(Object {
        fields: &[
            f("count", Count, "How many rows the file has"),
            f("id", Count, "The file's index within the import, from 0"),
            f("name", Str, "The file's name as uploaded or attached"),
            f(
                "path",
                Str,
                "Where VCS stored the file on the billing server",
            ),
        ],
        required: &[],
    }),
    examples: sample("importd.process_success", "/data/main/sheets/0/file_meta"),
};

static RATE_TABLE: DefSpec = DefSpec {
    name: "rate-table",
    title: "Rate table",
    description: "The rate table an import writes to: the Core API record",
    shape: Shape::Record(Object {
        fields: &[
            f(
                "agreements_id",
                NULL_ID,
                "The id of the agreement the table belongs to, or null",
            ),
            f("c_dt", DateTime, "When the rate table was created"),
            f("code_decks_id", Id, "The id of the table's code deck"),
            f(
                "companies_id",
                Id,
                "The id of the partition (company) the table belongs to",
            ),
            f(
                "credentials_id",
                NULL_ID,
                "The id of the mailbox credentials used for e-mail imports, or null",
            ),
            f("currencies_id", Id, "The id of the table's currency"),
            f(
                "export_templates_id",
                NULL_ID,
                "The id of the export template, or null",
            ),
            f("id", Id, "The rate table's id"),
            f(
                "import_templates_id",
                NULL_ID,
                "The id of the import template, or null",
            ),
            f(
                "last_export_dt",
                NULL_DT,
                "When the table was last exported; null if never",
            ),
            f("lastedit_dt", DateTime, "When the table was last changed"),
            f(
                "mail_auto_import",
                Bool,
                "Whether rates e-mailed for this table are imported automatically",
            ),
            f(
                "mail_import_template_id",
                NULL_ID,
                "The id of the import template for e-mailed rates, or null",
            ),
            f("name", Str, "The rate table's name"),
            f("notes", Str, "Free-text notes; may be empty"),
            f(
                "parent_rate_tables_id",
                NULL_ID,
                "The id of the parent rate table, or null",
            ),
            f(
                "rates_generation_auto",
                Bool,
                "Whether rates are generated automatically",
            ),
            f(
                "rates_generators_id",
                NULL_ID,
                "The id of the rates generator, or null",
            ),
            f(
                "remote_settings",
                Object(&Object {
                    fields: &[
                        f(
                            "email_sender",
                            NULL_STR,
                            "The sender e-mailed rates must come from, or null",
                        ),
                        f(
                            "email_subject",
                            NULL_STR,
                            "The subject e-mailed rates must carry, or null",
                        ),
                    ],
                    required: &[],
                }),
                "How e-mailed rates are matched to this table",
            ),
            f(
                "src_code_decks_id",
                NULL_ID,
                "The id of the source code deck, or null",
            ),
            f("tags", STRINGS, "Tags set on the table"),
            f("with_taxes", Bool, "Whether the rates include taxes"),
        ],
        required: &["id", "name"],
    }),
    examples: sample("importd.process_success", "/data/main/rate_table"),
};

static RATE_TABLES_LOG: DefSpec = DefSpec {
    name: "rate-tables-log",
    title: "Rate table change log",
    description: "What an import changed in the rate table, as counters of rates",
    shape: Shape::Record(Object {
        fields: &[
            f("c_dt", DateTime, "When the log entry was written"),
            f("closed", Count, "Rates closed"),
            f("closed_by_az", Count, "Rates closed by auto-zero"),
            f("decreased", Count, "Rates decreased"),
            f("future_changes", Count, "Changes that take effect later"),
            f("id", Id, "The log entry's id"),
            f(
                "import_queue_id",
                Id,
                "The id of the import queue entry that made the changes",
            ),
            f("increased", Count, "Rates increased"),
            f("new", Count, "Rates added"),
            f("overlaid", Count, "Rates overlaid"),
            f(
                "rates_generators_queue_details_id",
                NULL_ID,
                "The id of the rates generator run, or null for an import",
            ),
            f("total", Count, "Rates changed in all"),
            f("unchanged", Count, "Rates left unchanged"),
        ],
        required: &[],
    }),
    examples: sample("importd.process_success", "/data/main/rate_tables_logs"),
};

static CODE_RULE: DefSpec = DefSpec {
    name: "code-rule",
    title: "Import code rule",
    description: "A rule an import sheet applies to the codes it reads",
    shape: Shape::Record(Object {
        fields: &[
            f(
                "code",
                Str,
                "The code (prefix) the rule applies to, or `@` for all",
            ),
            f(
                "code_name",
                NULL_STR,
                "The code's name, or null to take it from the file",
            ),
            f(
                "effective_from",
                NULL_DAY,
                "When the rates take effect; shown only as null in the documentation, so a \
                 date or a date-time",
            ),
            f(
                "effective_from_interval_type",
                Str,
                "The unit of `effective_from_interval_value`, such as `days`",
            ),
            f(
                "effective_from_interval_value",
                NULL_INT,
                "How many units from the import the rates take effect, or null",
            ),
            f(
                "end_date",
                NULL_DAY,
                "When the rates end; shown only as null in the documentation, so a date or a \
                 date-time",
            ),
            f(
                "end_date_interval_type",
                Str,
                "The unit of `end_date_interval_value`, such as `days`",
            ),
            f(
                "end_date_interval_value",
                NULL_INT,
                "How many units from the import the rates end, or null",
            ),
            f(
                "grace_volume",
                Count,
                "The grace volume of the billing increment",
            ),
            f(
                "min_volume",
                Count,
                "The minimal volume of the billing increment",
            ),
            f("notes", NULL_STR, "Notes on the rates, or null"),
            f(
                "num_length_max",
                NULL_COUNT,
                "The longest number the rule matches, or null",
            ),
            f(
                "num_length_min",
                NULL_COUNT,
                "The shortest number the rule matches, or null",
            ),
            f(
                "pay_interval",
                Count,
                "The pay interval of the billing increment",
            ),
            f("pay_setup", Num, "The setup fee"),
            f("policy", Str, "The rate policy, such as `regular`"),
            f("services_id", Id, "The id of the service the rates are for"),
            f(
                "status",
                Str,
                "The status given to imported rates, such as `active`",
            ),
            f("tag", Str, "The tag given to imported rates"),
            f(
                "time_profiles_id",
                Id,
                "The id of the time profile the rates apply in",
            ),
        ],
        required: &[],
    }),
    examples: sample(
        "importd.process_success",
        "/data/main/sheets/0/code_rules/0",
    ),
};

static IMPORT_SHEET: DefSpec = DefSpec {
    name: "import-sheet",
    title: "Import sheet",
    description: "One sheet of an imported file and how it is read",
    shape: Shape::Record(Object {
        fields: &[
            f(
                "code_rules",
                List(&Def(Def::CodeRule)),
                "The rules applied to the codes read",
            ),
            f(
                "columns",
                List(&NULL_STR),
                "What each column of the sheet holds, in order; null for a column not imported",
            ),
            f(
                "file_meta",
                Def(Def::FileMeta),
                "The file the sheet belongs to",
            ),
            f(
                "skip_rows_bottom",
                Count,
                "Rows skipped at the bottom of the sheet",
            ),
            f(
                "skip_rows_top",
                Count,
                "Rows skipped at the top of the sheet",
            ),
            f("type", Str, "What the sheet holds, such as `rates`"),
        ],
        required: &[],
    }),
    examples: sample("importd.process_success", "/data/main/sheets/0"),
};

static IMPORT_CONFIG: DefSpec = DefSpec {
    name: "import-config",
    title: "Import configuration",
    description: "The settings of a rates import: `data.main` of the import events and \
                  `queue.settings`",
    shape: Shape::Record(Object {
        fields: &[
            f(
                "agreements_tolerance",
                NULL_NUM,
                "The tolerance for agreement checks, or null",
            ),
            f("az_codes", STRINGS, "The codes auto-zero applies to"),
            f(
                "az_date",
                NULL_DAY,
                "When auto-zero applies; shown only as null in the documentation, so a date or \
                 a date-time",
            ),
            f(
                "az_interval_type",
                Str,
                "The unit of `az_interval_value`, such as `days`",
            ),
            f(
                "az_interval_value",
                NULL_INT,
                "How many units from the import auto-zero applies, or null",
            ),
            f("az_mode", NULL_STR, "The auto-zero mode, or null for none"),
            f(
                "billing_increment_check",
                Bool,
                "Whether billing increments are checked",
            ),
            f(
                "billing_increment_format",
                STRINGS,
                "The order of the billing increment parts, such as `grace_volume`, \
                 `pay_interval`, `min_volume`",
            ),
            f(
                "code_deck_mode",
                NULL_STR,
                "How the code deck is updated, or null",
            ),
            f("code_decks_id", Id, "The id of the code deck"),
            f(
                "codes_import_key",
                Str,
                "The import's key, such as `import-rates-62`",
            ),
            f("current_date", DateTime, "The time the import takes as now"),
            f(
                "datetime_format",
                Str,
                "The order of dates in the file, such as `mdy`",
            ),
            f(
                "error_mode",
                Str,
                "What to do with rows in error, such as `skip_rows`",
            ),
            f(
                "rate_deviation_tolerance",
                NULL_NUM,
                "The tolerance for rate changes, or null",
            ),
            f(
                "rate_table",
                Def(Def::RateTable),
                "The rate table the import writes to",
            ),
            f(
                "rate_tables_logs",
                Nullable(&Def(Def::RateTablesLog)),
                "What the import changed in the rate table, or null: only the successful \
                 import's payload shows a value",
            ),
            f(
                "sheets",
                List(&Def(Def::ImportSheet)),
                "The sheets read, one per sheet of the file",
            ),
            f("skip_dash", Bool, "Whether rows with a dash are skipped"),
            f(
                "split_src_code_name",
                Bool,
                "Whether the source code name is split",
            ),
            f(
                "src_code_decks_id",
                NULL_ID,
                "The id of the source code deck, or null",
            ),
            f(
                "total_changes_threshold",
                NULL_NUM,
                "The most changes an import may make, or null",
            ),
            f(
                "unchanged_mode",
                Str,
                "What to do with unchanged rows, such as `skip_rows`",
            ),
            f(
                "warning_mode",
                Str,
                "What to do with rows with warnings, such as `save_rows`",
            ),
        ],
        required: &[],
    }),
    examples: sample("importd.process_success", "/data/main"),
};

static IMPORT_STATS: DefSpec = DefSpec {
    name: "import-stats",
    title: "Import statistics",
    description: "Row counters of an import attempt; the documented ones do not add up, so no \
                  sum is checked",
    shape: Shape::Record(Object {
        fields: &[
            f("closed_by_az", Count, "Rows whose rates auto-zero closed"),
            f("decreased", Count, "Rows that decreased a rate"),
            f("duplicates", Count, "Duplicate rows"),
            f("errors", Count, "Rows in error"),
            f("increased", Count, "Rows that increased a rate"),
            f("overlaid", Count, "Rows that overlaid a rate"),
            f("processed", Count, "Rows processed"),
            f("stashed_by_az", Count, "Rows stashed by auto-zero"),
            f("successful", Count, "Rows imported"),
        ],
        required: &[],
    }),
    examples: sample("importd.process_success", "/data/queue/stats"),
};

static IMPORT_QUEUE: DefSpec = DefSpec {
    name: "import-queue",
    title: "Import queue entry",
    description: "One import attempt. Only `id` is required here: the documentation shows the \
                  other fields in the successful import's payload alone, so that event requires \
                  them and the others do not",
    shape: Shape::Record(Object {
        fields: &[
            f("dt", DateTime, "When the import was queued"),
            f("files_id", Str, "The id of the uploaded or attached files"),
            f(
                "files_meta",
                List(&Def(Def::FileMeta)),
                "The files imported",
            ),
            f(
                "id",
                Id,
                "The queue entry's id; the `object_id` of `importd.*` events",
            ),
            f(
                "messages",
                List(&Any),
                "Messages of the import; the documentation shows only an empty list",
            ),
            f(
                "object",
                Str,
                "The kind of object imported into, such as `rate_tables`",
            ),
            f(
                "object_id",
                Id,
                "The id of the object imported into, such as the rate table",
            ),
            f("settings", Def(Def::ImportConfig), "The import's settings"),
            f("stats", Def(Def::ImportStats), "The import's row counters"),
            f("status", Str, "The queue status, such as `enqueued`"),
            f(
                "users_id",
                NULL_ID,
                "The id of the user who started the import, or null: only the successful \
                 import's payload shows a value",
            ),
        ],
        required: &["id"],
    }),
    examples: sample("importd.process_success", "/data/queue"),
};

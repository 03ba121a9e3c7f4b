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
    /// The date-time string forms.
    DateTime,
    /// A record: a JSON object with documented fields.
    Record(Object),
}

/// The shared definitions, one schema file each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Def {
    Envelope,
    DateTime,
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
}

use Ty::*;

const fn f(name: &'static str, ty: Ty) -> Field {
    Field { name, ty }
}

const NULL_ID: Ty = Nullable(&Id);
const NULL_STR: Ty = Nullable(&Str);
const NULL_NUM: Ty = Nullable(&Num);
const NULL_INT: Ty = Nullable(&Int);
const NULL_COUNT: Ty = Nullable(&Count);
const NULL_DT: Ty = Nullable(&DateTime);
const STRINGS: Ty = List(&Str);

/// Subscription conditions: the one list of values the vendor documents in full.
pub const CONDITIONS: &[&str] = &["new", "activated", "deactivated"];

impl Def {
    /// Every shared definition, in the order the generator writes them.
    pub const ALL: &'static [Def] = &[
        Def::Envelope,
        Def::DateTime,
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
                  happened to which object and when, `data` carries the event's record.",
    shape: Shape::Envelope,
};

static DATE_TIME: DefSpec = DefSpec {
    name: "date-time",
    title: "VCS date-time",
    description: "A date-time as VCS writes it: RFC 3339 (`2022-01-24T15:44:47.216756+00:00`, \
                  fractional seconds optional, `Z` or an offset) or the transaction form \
                  `2022-07-06 00:00:00+0000`. The date must exist. Applies to strings; the \
                  referring schema sets the type.",
    shape: Shape::DateTime,
};

static CLIENT: DefSpec = DefSpec {
    name: "client",
    title: "Client",
    description: "A client record (the Core API record, reduced).",
    shape: Shape::Record(Object {
        fields: &[
            f("id", Id),
            f("name", Str),
            f("companies_id", Id),
            f("currencies_id", Id),
        ],
        required: &["id"],
    }),
};

static ACCOUNT: DefSpec = DefSpec {
    name: "account",
    title: "Account",
    description: "A client's account; `auth_type` says how it is identified (by name, ANI, IP...).",
    shape: Shape::Record(Object {
        fields: &[
            f("id", Id),
            f("clients_id", Id),
            f("name", Str),
            f("auth_type", Str),
        ],
        required: &["id"],
    }),
};

static SUBSCRIPTION: DefSpec = DefSpec {
    name: "subscription",
    title: "Subscription",
    description: "A client's subscription to a package. `stop_dt` is null for a subscription \
                  with no end; `condition` is one of the documented values.",
    shape: Shape::Record(Object {
        fields: &[
            f("id", Id),
            f("clients_id", Id),
            f("packages_id", Id),
            f("accounts_id", NULL_ID),
            f("start_dt", DateTime),
            f("stop_dt", NULL_DT),
            f("condition", OneOf(CONDITIONS)),
            f("renew_count", Count),
            f("status", Str),
        ],
        required: &["id"],
    }),
};

static TRANSACTION: DefSpec = DefSpec {
    name: "transaction",
    title: "Transaction",
    description: "A charge or payment. `c_dt` is written `2022-07-06 00:00:00+0000`; a positive \
                  `amount` credits the client, a negative one debits.",
    shape: Shape::Record(Object {
        fields: &[
            f("id", Id),
            f("c_dt", DateTime),
            f("tags", STRINGS),
            f("type", Str),
            f("notes", Str),
            f("taxes", NULL_NUM),
            f("amount", Num),
            f("status", Str),
        ],
        required: &["id"],
    }),
};

static MAILBOX: DefSpec = DefSpec {
    name: "mailbox",
    title: "IMAP mailbox",
    description: "The mailbox the Email Rates Manager reads (`mailbox` or `credentials`). The \
                  login is not always an e-mail address.",
    shape: Shape::Record(Object {
        fields: &[f("login", Str), f("host", Str)],
        required: &["login", "host"],
    }),
};

static MAIL_MESSAGE: DefSpec = DefSpec {
    name: "mail-message",
    title: "E-mail message",
    description: "The received e-mail: sender, message id (a string) and subject.",
    shape: Shape::Record(Object {
        fields: &[f("from", Str), f("id", Str), f("subject", Str)],
        required: &["from", "id", "subject"],
    }),
};

static MAIL_ERROR: DefSpec = DefSpec {
    name: "mail-error",
    title: "File processing error",
    description: "Why an attached file could not be processed: a code such as \
                  `incorrect-file-ext` and a message.",
    shape: Shape::Record(Object {
        fields: &[f("code", Str), f("message", Str)],
        required: &["code", "message"],
    }),
};

static RATE_TABLE_REF: DefSpec = DefSpec {
    name: "rate-table-ref",
    title: "Rate table reference",
    description: "A rate table named by id and name.",
    shape: Shape::Record(Object {
        fields: &[f("id", Id), f("name", Str)],
        required: &["id", "name"],
    }),
};

static FILE_META: DefSpec = DefSpec {
    name: "file-meta",
    title: "Imported file",
    description: "A file of an import: its index, name, stored path and row count.",
    shape: Shape::Record(Object {
        fields: &[
            f("count", Count),
            f("id", Count),
            f("name", Str),
            f("path", Str),
        ],
        required: &[],
    }),
};

static RATE_TABLE: DefSpec = DefSpec {
    name: "rate-table",
    title: "Rate table",
    description: "The rate table an import writes to (the Core API record). `last_export_dt` is \
                  null for a table never exported.",
    shape: Shape::Record(Object {
        fields: &[
            f("agreements_id", NULL_ID),
            f("c_dt", DateTime),
            f("code_decks_id", Id),
            f("companies_id", Id),
            f("credentials_id", NULL_ID),
            f("currencies_id", Id),
            f("export_templates_id", NULL_ID),
            f("id", Id),
            f("import_templates_id", NULL_ID),
            f("last_export_dt", NULL_DT),
            f("lastedit_dt", DateTime),
            f("mail_auto_import", Bool),
            f("mail_import_template_id", NULL_ID),
            f("name", Str),
            f("notes", Str),
            f("parent_rate_tables_id", NULL_ID),
            f("rates_generation_auto", Bool),
            f("rates_generators_id", NULL_ID),
            f(
                "remote_settings",
                Object(&Object {
                    fields: &[f("email_sender", NULL_STR), f("email_subject", NULL_STR)],
                    required: &[],
                }),
            ),
            f("src_code_decks_id", NULL_ID),
            f("tags", STRINGS),
            f("with_taxes", Bool),
        ],
        required: &["id", "name"],
    }),
};

static RATE_TABLES_LOG: DefSpec = DefSpec {
    name: "rate-tables-log",
    title: "Rate table change log",
    description: "What an import changed in the rate table: counters of new, increased, \
                  decreased, closed and unchanged rates.",
    shape: Shape::Record(Object {
        fields: &[
            f("c_dt", DateTime),
            f("closed", Count),
            f("closed_by_az", Count),
            f("decreased", Count),
            f("future_changes", Count),
            f("id", Id),
            f("import_queue_id", Id),
            f("increased", Count),
            f("new", Count),
            f("overlaid", Count),
            f("rates_generators_queue_details_id", NULL_ID),
            f("total", Count),
            f("unchanged", Count),
        ],
        required: &[],
    }),
};

static CODE_RULE: DefSpec = DefSpec {
    name: "code-rule",
    title: "Import code rule",
    description: "A rule an import sheet applies to the codes it reads: billing increments, \
                  effective dates, service and time profile.",
    shape: Shape::Record(Object {
        fields: &[
            f("code", Str),
            f("code_name", NULL_STR),
            f("effective_from", NULL_DT),
            f("effective_from_interval_type", Str),
            f("effective_from_interval_value", NULL_INT),
            f("end_date", NULL_DT),
            f("end_date_interval_type", Str),
            f("end_date_interval_value", NULL_INT),
            f("grace_volume", Count),
            f("min_volume", Count),
            f("notes", NULL_STR),
            f("num_length_max", NULL_COUNT),
            f("num_length_min", NULL_COUNT),
            f("pay_interval", Count),
            f("pay_setup", Num),
            f("policy", Str),
            f("services_id", Id),
            f("status", Str),
            f("tag", Str),
            f("time_profiles_id", Id),
        ],
        required: &[],
    }),
};

static IMPORT_SHEET: DefSpec = DefSpec {
    name: "import-sheet",
    title: "Import sheet",
    description: "One sheet of an imported file: its column mapping, code rules, rows to skip \
                  and the file it came from. A column not imported may be null.",
    shape: Shape::Record(Object {
        fields: &[
            f("code_rules", List(&Def(Def::CodeRule))),
            f("columns", List(&NULL_STR)),
            f("file_meta", Def(Def::FileMeta)),
            f("skip_rows_bottom", Count),
            f("skip_rows_top", Count),
            f("type", Str),
        ],
        required: &[],
    }),
};

static IMPORT_CONFIG: DefSpec = DefSpec {
    name: "import-config",
    title: "Import configuration",
    description: "The settings of a rates import (`data.main` of the import events, and \
                  `queue.settings`): tolerances, auto-zero and billing increment settings, \
                  modes, the target rate table, its change log and the sheets.",
    shape: Shape::Record(Object {
        fields: &[
            f("agreements_tolerance", NULL_NUM),
            f("az_codes", STRINGS),
            f("az_date", NULL_DT),
            f("az_interval_type", Str),
            f("az_interval_value", NULL_INT),
            f("az_mode", NULL_STR),
            f("billing_increment_check", Bool),
            f("billing_increment_format", STRINGS),
            f("code_deck_mode", NULL_STR),
            f("code_decks_id", Id),
            f("codes_import_key", Str),
            f("current_date", DateTime),
            f("datetime_format", Str),
            f("error_mode", Str),
            f("rate_deviation_tolerance", NULL_NUM),
            f("rate_table", Def(Def::RateTable)),
            f("rate_tables_logs", Def(Def::RateTablesLog)),
            f("sheets", List(&Def(Def::ImportSheet))),
            f("skip_dash", Bool),
            f("split_src_code_name", Bool),
            f("src_code_decks_id", NULL_ID),
            f("total_changes_threshold", NULL_NUM),
            f("unchanged_mode", Str),
            f("warning_mode", Str),
        ],
        required: &[],
    }),
};

static IMPORT_STATS: DefSpec = DefSpec {
    name: "import-stats",
    title: "Import statistics",
    description: "Row counters of an import attempt.",
    shape: Shape::Record(Object {
        fields: &[
            f("closed_by_az", Count),
            f("decreased", Count),
            f("duplicates", Count),
            f("errors", Count),
            f("increased", Count),
            f("overlaid", Count),
            f("processed", Count),
            f("stashed_by_az", Count),
            f("successful", Count),
        ],
        required: &[],
    }),
};

static IMPORT_QUEUE: DefSpec = DefSpec {
    name: "import-queue",
    title: "Import queue entry",
    description: "One import attempt: the files, the target object, the settings, the \
                  statistics and the queue status.",
    shape: Shape::Record(Object {
        fields: &[
            f("dt", DateTime),
            f("files_id", Str),
            f("files_meta", List(&Def(Def::FileMeta))),
            f("id", Id),
            f("messages", List(&Any)),
            f("object", Str),
            f("object_id", Id),
            f("settings", Def(Def::ImportConfig)),
            f("stats", Def(Def::ImportStats)),
            f("status", Str),
            f("users_id", Id),
        ],
        required: &[
            "id",
            "dt",
            "object",
            "object_id",
            "settings",
            "stats",
            "status",
        ],
    }),
};

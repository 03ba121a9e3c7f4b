//! Broken and hostile input: each yields clear records and the right exit code, never a panic,
//! and never hides what comes after it.

use std::path::Path;

use assert_cmd::Command;
use jerahook::codes::Code;
use jerahook::reader::Splitter;
use jerahook::report::Record;
use jerahook::schemas::SchemaSet;
use jerahook::validate::{self, Options};
use proptest::prelude::*;

fn options() -> Options {
    Options {
        now: Some(1_800_000_000),
        undocumented: true,
        ..Options::default()
    }
}

/// Every record the reader and validator make of `input`.
fn records(input: &[u8]) -> Vec<Record> {
    let schemas = SchemaSet::built_in();
    Splitter::new(input)
        .enumerate()
        .map(|(index, piece)| {
            validate::judge(piece.unwrap(), "-", index, &schemas, options())
                .unwrap()
                .0
        })
        .collect()
}

fn messages(record: &Record) -> Vec<&str> {
    record.errors.iter().map(|e| e.message.as_str()).collect()
}

fn sample(id: &str) -> String {
    jerahook::catalog::find(id).unwrap().example.to_string()
}

fn compact(id: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(&sample(id)).unwrap();
    value.to_string()
}

#[test]
fn nesting_100000_deep_is_one_clear_record() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let input = format!("{deep}\n{}\n", compact("clients.create"));
    let found = records(input.as_bytes());
    assert_eq!(found.len(), 2);
    assert_eq!(
        messages(&found[0]),
        ["invalid JSON: nested deeper than 128 levels"]
    );
    assert!(found[1].valid, "the payload after it is still read");
    let inside = compact("clients.create").replace("\"id\":12", &format!("\"id\":{}", deep));
    let found = records(inside.as_bytes());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].errors[0].code, Code::Json);
}

#[test]
fn numbers_out_of_the_ordinary() {
    let payload = |object_id: &str| {
        compact("clients.archive")
            .replace("\"object_id\":12", &format!("\"object_id\":{object_id}"))
    };
    let huge = records(payload("1e400").as_bytes());
    assert_eq!(
        messages(&huge[0]),
        ["invalid JSON: a number too large to represent"]
    );
    assert!(records(payload("-0").as_bytes())[0].valid, "-0 is zero");
    // Beyond 64 bits: still a whole number, so still an integer id.
    assert!(records(payload("123456789012345678901234567890").as_bytes())[0].valid);
    let negative = records(payload("-5").as_bytes());
    assert_eq!(
        messages(&negative[0]),
        ["expected a value of 0 or more, found -5"]
    );
}

#[test]
fn bytes_that_are_not_utf8_inside_a_string() {
    let mut input = compact("clients.create").into_bytes();
    let at = input.windows(7).position(|w| w == b"My name").unwrap();
    input[at] = 0xFF;
    let found = records(&input);
    assert_eq!(found.len(), 1);
    assert_eq!(
        messages(&found[0]),
        ["invalid JSON: a string holds bytes that are not UTF-8"]
    );
    assert_eq!(
        found[0].errors[0].column,
        u32::try_from(at).unwrap() as usize + 1
    );
}

#[test]
fn a_lone_surrogate_escape() {
    let input = compact("clients.create").replace("My name", "\\ud800");
    let found = records(input.as_bytes());
    assert_eq!(found[0].errors[0].code, Code::Json);
    assert!(
        messages(&found[0])[0].contains("surrogate"),
        "{:?}",
        messages(&found[0])
    );
}

#[test]
fn nul_bytes_in_and_between_documents() {
    let input = format!(
        "{}\n\0\n{}\n",
        compact("clients.create").replace("My name", "My\0name"),
        compact("clients.update")
    );
    let found = records(input.as_bytes());
    assert_eq!(found.len(), 3);
    assert!(messages(&found[0])[0].starts_with("invalid JSON: control character"));
    assert_eq!(
        messages(&found[1]),
        ["expected a JSON document, found \"?\""]
    );
    assert!(found[2].valid);
}

#[test]
fn a_single_100_mb_line() {
    let name = "x".repeat(100 * 1024 * 1024);
    let input = compact("clients.create").replace("My name", &name);
    // Over the default --max-doc (64 MiB): one record that names the limit.
    let found = records(input.as_bytes());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].errors[0].code, Code::TooLarge);
    // Under a higher limit it is read and judged like any payload.
    let schemas = SchemaSet::built_in();
    let limit = 200 << 20;
    let piece = Splitter::new(input.as_bytes())
        .max_doc(limit)
        .next()
        .unwrap()
        .unwrap();
    let options = Options {
        max_doc: limit,
        ..options()
    };
    assert!(
        validate::judge(piece, "-", 0, &schemas, options)
            .unwrap()
            .0
            .valid
    );
    // And shortened when a message quotes it.
    let input = compact("clients.create").replace(
        "\"companies_id\":3",
        &format!("\"companies_id\":\"{}\"", &name[..1000]),
    );
    let found = records(input.as_bytes());
    assert!(
        found[0].errors[0].message.len() < 120,
        "{}",
        found[0].errors[0].message
    );
}

#[test]
fn utf16_with_a_bom_is_named() {
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            sample("clients.create")
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    let found = records(&utf16);
    assert_eq!(found.len(), 1);
    assert!(
        messages(&found[0])[0].starts_with("not UTF-8: this input is UTF-16LE"),
        "{:?}",
        messages(&found[0])
    );
}

#[test]
fn thousands_of_errors_in_one_payload_stay_cheap_and_readable() {
    let tags: Vec<u32> = (0..40_000).collect();
    let mut payload: serde_json::Value =
        serde_json::from_str(&sample("accounting.charges.create")).unwrap();
    payload["data"]["tags"] = serde_json::json!(tags);
    let found = records(payload.to_string().as_bytes());
    let errors = &found[0].errors;
    assert_eq!(
        errors.len(),
        validate::MAX_ERRORS + 1,
        "capped, and says so"
    );
    assert_eq!(errors[0].path, "/data/tags/0");
    assert!(
        errors[validate::MAX_ERRORS]
            .message
            .starts_with("more errors than these")
    );
    // Snippets keep a window of the line, not the whole 200 KB line each.
    for error in errors {
        if let Some(snippet) = &error.snippet {
            assert!(snippet.text.len() < 200, "{}", snippet.text.len());
        }
    }
}

#[test]
fn redaction_leaves_no_data_in_any_message() {
    let options = Options {
        redact: true,
        ..options()
    };
    let schemas = SchemaSet::built_in();
    let text = "\"name\": \"Jane Secret\", \"iban\": \"DE0012345678\"\n{\"event\": {\"dt\": \"2000-01-01T00:00:00Z\", \"events_id\": \"importd.process_success\", \"object_id\": 1}, \"data\": {\"main\": {}, \"queue\": {\"id\": 1, \"dt\": \"2000-01-01T00:00:00Z\", \"object\": \"x\", \"object_id\": 1, \"settings\": {}, \"status\": \"s\", \"stats\": {\"processed\": 7, \"errors\": 987654}}}}\n{\"event\": {\"dt\": \"2000-01-01T00:00:00Z\", \"events_id\": \"clients.update\", \"object_id\": 1}, \"data\": {\"id\": 424242}}";
    for (index, piece) in Splitter::new(text.as_bytes()).enumerate() {
        let (record, _) = validate::judge(piece.unwrap(), "-", index, &schemas, options).unwrap();
        for issue in record.errors.iter().chain(&record.warnings) {
            for secret in ["Jane", "DE00", "987654", "424242"] {
                assert!(!issue.message.contains(secret), "{}", issue.message);
            }
        }
    }
}

#[test]
fn cr_only_line_endings() {
    let input = format!(
        "{}\r{}\r{{\"broken\r{}",
        compact("clients.create"),
        sample("clients.update").replace('\n', "\r"),
        compact("accounting.charges.delete")
    );
    let found = records(input.as_bytes());
    let lines: Vec<usize> = found.iter().map(|r| r.line).collect();
    assert_eq!(lines, [1, 2, 14, 15]);
    let valid: Vec<bool> = found.iter().map(|r| r.valid).collect();
    assert_eq!(valid, [true, true, false, true]);
}

#[test]
fn a_document_cut_at_every_byte_offset() {
    let text = sample("accounting.payments.create");
    for cut in 0..text.len() {
        let found = records(&text.as_bytes()[..cut]);
        if text[..cut].trim().is_empty() {
            assert!(found.is_empty());
            continue;
        }
        if text[..cut].trim() == text.trim() {
            assert!(
                found[0].valid,
                "cut at {cut}: only the final line break is gone"
            );
            continue;
        }
        assert_eq!(found.len(), 1, "cut at {cut}");
        assert!(!found[0].valid, "cut at {cut}");
        assert_eq!(found[0].errors[0].code, Code::Json, "cut at {cut}");
    }
    assert!(records(text.as_bytes())[0].valid);
}

fn cmd() -> Command {
    let mut cmd = Command::cargo_bin("jerahook").unwrap();
    cmd.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env_remove("NO_COLOR");
    cmd
}

#[test]
fn a_path_that_is_a_directory_named_like_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("capture.json");
    std::fs::create_dir(&odd).unwrap();
    std::fs::write(odd.join("inside.json"), sample("clients.create")).unwrap();
    cmd().arg("validate").arg(&odd).assert().code(0);
}

#[test]
fn an_unreadable_entry_is_reported_and_the_rest_still_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.json"), sample("clients.create")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("b.json")).unwrap();
    std::fs::write(dir.path().join("c.json"), sample("clients.update")).unwrap();
    let output = cmd().arg("validate").arg(dir.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with('✓')).count(),
        2,
        "{stdout}"
    );
    assert!(
        stdout.contains("b.json  cannot read this input: No such file or directory"),
        "{stdout}"
    );
}

#[test]
fn utf16_through_the_binary_exits_1_with_the_reason() {
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            sample("clients.create")
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    cmd()
        .args(["validate", "--format", "json"])
        .write_stdin(utf16)
        .assert()
        .code(1)
        .stdout(predicates::str::contains(
            "not UTF-8: this input is UTF-16LE",
        ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_give_a_record_per_piece_and_no_panic(input in proptest::collection::vec(any::<u8>(), 0..512)) {
        let pieces = Splitter::new(&input[..]).count();
        let found = records(&input);
        prop_assert_eq!(found.len(), pieces);
        for record in &found {
            prop_assert_eq!(record.valid, record.errors.is_empty());
            for issue in record.errors.iter().chain(&record.warnings) {
                prop_assert!(issue.line >= 1 && issue.column >= 1);
            }
        }
    }

    #[test]
    fn any_json_value_is_one_record(value in json_value()) {
        for text in [value.to_string(), serde_json::to_string_pretty(&value).unwrap()] {
            let found = records(text.as_bytes());
            prop_assert_eq!(found.len(), 1, "{}", text);
        }
    }

    #[test]
    fn any_data_in_a_known_envelope_is_judged(data in json_value(), event in 0..27usize) {
        let id = jerahook::catalog::EVENTS[event].id;
        let payload = serde_json::json!({
            "event": {"dt": "2022-07-06 00:00:00+0000", "events_id": id, "object_id": 1},
            "data": data,
        });
        let found = records(payload.to_string().as_bytes());
        prop_assert_eq!(found.len(), 1);
        prop_assert_eq!(found[0].event.as_deref(), Some(id));
    }
}

/// Arbitrary JSON, a few levels deep, with keys that collide with documented fields.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        "[a-z0-9 :+.-]{0,30}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("id".to_string()),
                    Just("name".to_string()),
                    Just("stats".to_string()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..6
            )
            .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

#[test]
fn forty_thousand_duplicate_keys_give_a_hundred_warnings_and_a_note() {
    let keys: Vec<String> = (0..40_000).map(|i| format!("\"k\":{i}")).collect();
    let input = compact("clients.create").replace(
        "\"name\":\"My name\"",
        &format!("\"name\":\"My name\",\"x\":{{{}}}", keys.join(",")),
    );
    let found = records(input.as_bytes());
    let warnings = &found[0].warnings;
    assert_eq!(warnings.len(), validate::MAX_WARNINGS + 1);
    assert!(
        warnings[..100]
            .iter()
            .all(|w| w.code == Code::DuplicateKey && w.line == 1)
    );
    // In text order: the first repeat is the second "k".
    assert!(
        warnings[0]
            .snippet
            .as_ref()
            .unwrap()
            .text
            .contains("\"k\":1")
    );
    assert_eq!(
        warnings[100].message,
        "more than 100 warnings; the first 100 are shown"
    );
    let allowed = Options {
        allowed: {
            let mut set = jerahook::codes::CodeSet::default();
            set.insert(Code::DuplicateKey);
            set
        },
        ..options()
    };
    let schemas = SchemaSet::built_in();
    let piece = Splitter::new(input.as_bytes()).next().unwrap().unwrap();
    let record = validate::judge(piece, "-", 0, &schemas, allowed).unwrap().0;
    assert!(record.warnings.is_empty());
}

/// `clients.create` with `n` more top-level keys, `k0` to `k{n-1}`, each set to 0.
fn with_extra_keys(n: usize) -> String {
    let keys: Vec<String> = (0..n).map(|i| format!(",\"k{i}\":0")).collect();
    let text = compact("clients.create");
    format!("{}{}}}", &text[..text.len() - 1], keys.concat())
}

#[test]
fn a_hundred_and_twenty_thousand_extra_keys_give_a_hundred_warnings_and_a_note() {
    // Placing each of them by scanning the whole body took minutes; only the shown ones are
    // placed now, all in one walk.
    let input = with_extra_keys(120_000);
    let found = records(input.as_bytes());
    assert!(found[0].valid);
    let warnings = &found[0].warnings;
    assert_eq!(warnings.len(), validate::MAX_WARNINGS + 1);
    for (i, warning) in warnings[..validate::MAX_WARNINGS].iter().enumerate() {
        assert_eq!(warning.code, Code::ExtraTopLevelKey);
        assert_eq!(warning.path, format!("/k{i}"));
        assert_eq!(
            warning.message,
            format!("unexpected top-level key \"k{i}\": VCS sends only \"event\" and \"data\"")
        );
        // The column of the key's value, the 0 after `"k{i}":`.
        let at = input.find(&format!("\"k{i}\":0")).unwrap() + format!("\"k{i}\":").len();
        assert_eq!((warning.line, warning.column), (1, at + 1), "{i}");
    }
    assert_eq!(warnings[100].code, Code::ExtraTopLevelKey);
    assert_eq!(
        warnings[100].message,
        "more than 100 warnings; the first 100 are shown"
    );
    assert_eq!((warnings[100].line, warnings[100].column), (1, 1));
}

#[test]
fn strict_places_every_one_of_twelve_thousand_extra_keys_in_text_order() {
    let input = with_extra_keys(12_000);
    let strict = Options {
        strict: true,
        ..options()
    };
    let schemas = SchemaSet::built_in();
    let piece = Splitter::new(input.as_bytes()).next().unwrap().unwrap();
    let record = validate::judge(piece, "-", 0, &schemas, strict).unwrap().0;
    assert!(!record.valid);
    assert!(record.warnings.is_empty());
    assert_eq!(record.errors.len(), 12_000);
    assert_eq!(record.errors[11_999].path, "/k11999");
    let at = input.rfind(":0}").unwrap() + 1;
    assert_eq!(record.errors[11_999].column, at + 1);
    assert!(
        record
            .errors
            .windows(2)
            .all(|pair| pair[0].column < pair[1].column)
    );
}

#[test]
fn extra_keys_through_the_binary_print_a_hundred_warnings_and_the_note() {
    let output = cmd()
        .args(["validate", "-"])
        .write_stdin(with_extra_keys(12_000))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.contains("warning[extra-top-level-key] /k"))
            .count(),
        100
    );
    assert!(
        stdout.contains("-:1:1: warning[extra-top-level-key] (document): more than 100 warnings; the first 100 are shown"),
        "{stdout:.2000}"
    );
}

#[test]
fn a_hundred_thousand_undeclared_fields_in_data_are_read_once() {
    // The fast lane kept undeclared keys in a list and searched it for each new one.
    let fields: Vec<String> = (0..100_000).map(|i| format!(",\"f{i}\":0")).collect();
    let input = compact("clients.create").replace(
        "\"name\":\"My name\"",
        &format!("\"name\":\"My name\"{}", fields.concat()),
    );
    let fast = Options {
        keep_payload: false,
        undocumented: false,
        ..options()
    };
    let schemas = SchemaSet::built_in();
    let piece = Splitter::new(input.as_bytes()).next().unwrap().unwrap();
    let record = validate::judge(piece, "-", 0, &schemas, fast).unwrap().0;
    assert!(record.valid && record.warnings.is_empty(), "{record:?}");
}

/// Exit code, standard output and standard error of the binary on `input`.
fn run(args: &[&str], input: &str) -> (Option<i32>, String, String) {
    let output = cmd()
        .args(args)
        .write_stdin(input.to_string())
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn names_of_a_hundred_thousand_characters_are_tables_rows_not_a_panic() {
    // A formatting width over 65,535 panics: tables pad names by hand.
    let long = "e".repeat(100_000);
    let unknown = compact("clients.create").replace(
        "\"events_id\":\"clients.create\"",
        &format!("\"events_id\":\"{long}\""),
    );
    // The count per event after `validate`, the --by-event table, and inspect's summary.
    for args in [
        &["validate", "-"][..],
        &["validate", "-q", "--by-event", "-"],
        &["validate", "--allow-unknown", "-"],
        &["inspect", "-"],
    ] {
        let (code, stdout, stderr) = run(args, &unknown);
        assert!(
            matches!(code, Some(0 | 1)),
            "{args:?}: {code:?} {stderr:.300}"
        );
        assert!(stdout.contains(&long) || stderr.contains(&long), "{args:?}");
    }
    let (_, _, stderr) = run(&["validate", "-q", "--by-event", "-"], &unknown);
    assert!(
        stderr.contains(&format!("\n  {long}       1\n")),
        "{stderr:.300}"
    );
    // The --undocumented table, by field name.
    let field = "f".repeat(100_000);
    let undocumented = compact("clients.create").replace(
        "\"name\":\"My name\"",
        &format!("\"name\":\"My name\",\"{field}\":1"),
    );
    let (code, stdout, stderr) = run(&["validate", "--undocumented", "-"], &undocumented);
    assert_eq!(code, Some(0), "{stderr:.300}");
    assert!(
        format!("{stdout}{stderr}").contains(&format!("    data.{field}       1\n")),
        "{stderr:.300}"
    );
    // inspect's table of an import's counters, by counter name.
    let mut import: serde_json::Value =
        serde_json::from_str(&sample("importd.process_success")).unwrap();
    import["data"]["queue"]["stats"][&field] = serde_json::json!(1);
    let (code, stdout, stderr) = run(&["inspect", "-"], &import.to_string());
    assert!(matches!(code, Some(0 | 1)), "{code:?} {stderr:.300}");
    assert!(stdout.contains(&field), "{stdout:.300}");
}

#[test]
fn with_a_repeated_extra_key_the_hundred_shown_are_still_the_first_in_the_text() {
    // `k5` again at the end: its value, the one kept, is the last in the text, so the hundred
    // warnings shown are k0 to k100 without k5, and the repeat is warned about too.
    let base = with_extra_keys(12_000);
    let input = format!("{},\"k5\":1}}", &base[..base.len() - 1]);
    let found = records(input.as_bytes());
    let warnings = &found[0].warnings;
    assert_eq!(warnings.len(), validate::MAX_WARNINGS + 1);
    let paths: Vec<String> = (0..=100)
        .filter(|i| *i != 5)
        .map(|i| format!("/k{i}"))
        .collect();
    let shown: Vec<&str> = warnings[..100].iter().map(|w| w.path.as_str()).collect();
    assert_eq!(shown, paths);
    assert_eq!(
        warnings[100].message,
        "more than 100 warnings; the first 100 are shown"
    );
}

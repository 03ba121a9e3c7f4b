//! The binary as a user runs it: inputs, outputs, colour and exit codes.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// The binary, run from the crate root with no colour or terminal settings inherited.
fn cmd() -> Command {
    let mut cmd = Command::cargo_bin("jerahook").unwrap();
    cmd.current_dir(root())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("TERM");
    cmd
}

fn stdout_of(cmd: &mut Command) -> String {
    String::from_utf8(cmd.output().unwrap().stdout).unwrap()
}

fn json_records(output: &[u8]) -> Vec<Value> {
    String::from_utf8(output.to_vec())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("every stdout line is one JSON record"))
        .collect()
}

/// Ages ("26 years ago") change with the clock; snapshots hold a placeholder.
fn snapshot_filters() -> Vec<(&'static str, &'static str)> {
    vec![(r"\((in \d+ \w+|\d+ \w+ ago|just now)\)", "([age])")]
}

#[test]
fn validates_the_bundled_samples_directory() {
    let assert = cmd().args(["validate", "samples/"]).assert().code(0);
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert_eq!(out.lines().count(), 27);
    assert!(out.lines().all(|line| line.starts_with("✓ samples/")));
    assert!(out.contains("✓ samples/clients.create.json:1  clients.create  12\n"));
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        err.starts_with("27 payloads: 27 valid, 0 invalid\n"),
        "{err}"
    );
    assert!(
        err.lines()
            .any(|line| line.starts_with("  importd.process_success ") && line.ends_with(" 1")),
        "{err}"
    );
}

#[test]
fn reads_standard_input_with_or_without_a_dash() {
    let payload = std::fs::read_to_string(root().join("samples/clients.update.json")).unwrap();
    for args in [vec!["validate"], vec!["validate", "-"]] {
        cmd()
            .args(&args)
            .write_stdin(payload.clone())
            .assert()
            .code(0)
            .stdout("✓ -:1  clients.update  12\n");
    }
}

#[test]
fn a_sample_piped_into_validate_is_valid() {
    for event in jerahook::catalog::EVENTS {
        let sample = cmd().args(["sample", event.id]).output().unwrap();
        assert!(sample.status.success());
        cmd()
            .args(["validate", "--expect-event", event.id])
            .write_stdin(sample.stdout)
            .assert()
            .code(0);
    }
}

#[test]
fn a_broken_ndjson_line_is_reported_and_reading_goes_on() {
    let assert = cmd()
        .args(["validate", "--format", "json"])
        .arg(fixture("capture.ndjson"))
        .assert()
        .code(1);
    let records = json_records(&assert.get_output().stdout);
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["valid"], true);
    assert_eq!(records[1]["valid"], false);
    assert_eq!(records[1]["line"], 2);
    assert_eq!(records[1]["event"], Value::Null);
    let error = &records[1]["errors"][0];
    assert_eq!(
        error["message"],
        "invalid JSON: the document ends inside a string"
    );
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(2), Some(60))
    );
    assert_eq!(error["code"], "json");
    assert_eq!(records[2]["valid"], true);
    assert_eq!(records[2]["line"], 3);
    assert_eq!(records[2]["event"], "accounting.payments.create");
    assert_eq!(records[2]["index"], 2);
}

#[test]
fn json_records_carry_exactly_the_documented_keys() {
    let assert = cmd()
        .args(["validate", "--format", "json"])
        .arg(fixture("mixed.ndjson"))
        .assert()
        .code(1)
        .stderr("");
    let records = json_records(&assert.get_output().stdout);
    assert_eq!(records.len(), 5);
    for record in &records {
        let keys: Vec<&str> = record
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "source",
                "index",
                "line",
                "event",
                "object_id",
                "valid",
                "errors",
                "warnings"
            ]
        );
        for issue in record["errors"].as_array().unwrap() {
            let keys: Vec<&str> = issue
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(
                keys,
                ["path", "message", "schema_path", "code", "line", "column"]
            );
        }
    }
    assert_eq!(records[1]["errors"][0]["path"], "/data/companies_id");
    assert_eq!(
        records[1]["errors"][0]["message"],
        "expected an integer, found the string \"3\""
    );
    assert!(
        records[1]["errors"][0]["schema_path"]
            .as_str()
            .unwrap()
            .ends_with("/companies_id/type")
    );
    assert_eq!(records[1]["object_id"], 12);
    assert_eq!(
        records[2]["errors"][0]["message"],
        "unknown event id \"clients.explode\"; did you mean \"clients.update\"?"
    );
    assert_eq!(records[3]["valid"], true);
    assert_eq!(records[3]["warnings"][0]["path"], "/event/events_id");
    assert_eq!(records[4]["line"], 5);
}

#[test]
fn text_output_of_a_mixed_capture() {
    let output = cmd()
        .arg("validate")
        .arg("tests/fixtures/mixed.ndjson")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(
        "validate_mixed_stdout",
        String::from_utf8(output.stdout).unwrap()
    );
    insta::assert_snapshot!(
        "validate_mixed_stderr",
        String::from_utf8(output.stderr).unwrap()
    );
}

#[test]
fn quiet_prints_only_what_needs_attention() {
    let out = stdout_of(cmd().args(["validate", "--quiet", "tests/fixtures/mixed.ndjson"]));
    assert!(!out.contains("✓ tests/fixtures/mixed.ndjson:1 "), "{out}");
    assert!(out.contains("✗ tests/fixtures/mixed.ndjson:2 "), "{out}");
    assert!(!out.contains("✓"), "{out}");
    let json = stdout_of(cmd().args([
        "validate",
        "--quiet",
        "--format",
        "json",
        "tests/fixtures/mixed.ndjson",
    ]));
    assert_eq!(json.lines().count(), 3, "{json}");
}

#[test]
fn a_leading_bom_is_skipped() {
    cmd()
        .args(["validate", "tests/fixtures/bom.json"])
        .assert()
        .code(0)
        .stdout("✓ tests/fixtures/bom.json:1  clients.create  12\n");
}

#[test]
fn pretty_documents_one_after_another_are_each_a_payload() {
    cmd()
        .args(["validate", "tests/fixtures/pretty-pair.json"])
        .assert()
        .code(0)
        .stdout(
            "✓ tests/fixtures/pretty-pair.json:1  clients.create  12\n\
             ✓ tests/fixtures/pretty-pair.json:13  accounting.payments.create  2223\n",
        );
}

#[test]
fn an_input_with_no_payload_is_invalid() {
    cmd()
        .arg("validate")
        .write_stdin("  \n")
        .assert()
        .code(1)
        .stdout("✗ -:1  (no event id)\n  -:1:1: (document): no payload in this input\n");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.json"), "").unwrap();
    cmd()
        .arg("validate")
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("empty.json:1  (no event id)"));
}

#[test]
fn a_missing_path_among_others_is_a_record_and_the_rest_is_read() {
    let output = cmd()
        .args(["validate", "no/such.json", "samples/clients.create.json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "exit 2 at the end, as ripgrep does"
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout,
        "✗ no/such.json  cannot read this input: No such file or directory\n✓ samples/clients.create.json:1  clients.create  12\n"
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("1 payload: 1 valid, 0 invalid, 1 unreadable input"),
        "{stderr}"
    );
    let records = json_records(
        &cmd()
            .args([
                "validate",
                "--format",
                "json",
                "no/such.json",
                "samples/clients.create.json",
            ])
            .assert()
            .code(2)
            .get_output()
            .stdout,
    );
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["errors"][0]["code"], "unreadable");
    assert_eq!(records[1]["valid"], true);
}

#[test]
fn a_directory_without_payload_files_is_an_unreadable_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "{}").unwrap();
    cmd()
        .arg("validate")
        .arg(dir.path())
        .assert()
        .code(2)
        .stdout(predicate::str::contains(
            "cannot read this input: no *.json, *.ndjson or *.jsonl files",
        ));
}

#[test]
fn directories_are_walked_for_payload_files_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("nested")).unwrap();
    let sample = std::fs::read_to_string(root().join("samples/clients.create.json")).unwrap();
    std::fs::write(dir.path().join("nested/a.jsonl"), sample.replace('\n', "")).unwrap();
    std::fs::write(dir.path().join("b.json"), &sample).unwrap();
    std::fs::write(dir.path().join("c.txt"), "not a payload").unwrap();
    let out = stdout_of(cmd().arg("validate").arg(dir.path()));
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.lines().all(|line| line.starts_with('✓')), "{out}");
}

#[test]
fn unknown_events_fail_unless_allowed() {
    let unknown = r#"{"event":{"dt":"2026-01-01T00:00:00Z","events_id":"dids.assign","object_id":5},"data":{"id":5}}"#;
    cmd()
        .arg("validate")
        .write_stdin(unknown)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "/event/events_id: unknown event id \"dids.assign\"",
        ));
    cmd()
        .args(["validate", "--allow-unknown"])
        .write_stdin(unknown)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "warning[unknown-event] /event/events_id: unknown event id \"dids.assign\"",
        ))
        .stdout(predicate::str::contains(
            "checked against the envelope only",
        ));
    // The envelope still applies to unknown events.
    cmd()
        .args(["validate", "--allow-unknown"])
        .write_stdin(
            r#"{"event":{"dt":"never","events_id":"dids.assign","object_id":5},"data":{}}"#,
        )
        .assert()
        .code(1)
        .stdout(predicate::str::contains("/event/dt:"));
}

#[test]
fn event_option_demands_that_event() {
    cmd()
        .args(["validate", "--expect-event", "clients.update", "samples/clients.create.json"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "/event/events_id: events_id is \"clients.create\" but --expect-event asked for \"clients.update\"",
        ));
}

#[test]
fn an_unknown_event_option_is_a_usage_error_with_a_suggestion() {
    cmd()
        .args(["validate", "--expect-event", "clients.creat", "samples/"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("jerahook: unknown event id \"clients.creat\"; did you mean \"clients.create\"?\n");
    for command in ["schema", "sample"] {
        cmd()
            .args([command, "client.update"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("did you mean \"clients.update\"?"));
    }
}

#[test]
fn no_colour_in_pipes_or_with_no_color() {
    let piped = stdout_of(cmd().args(["validate", "tests/fixtures/mixed.ndjson"]));
    assert!(!piped.contains('\x1b'), "{piped}");
    let forced = stdout_of(cmd().args([
        "--color",
        "always",
        "validate",
        "tests/fixtures/mixed.ndjson",
    ]));
    assert!(forced.contains("\x1b["), "{forced}");
    let no_color = cmd()
        .env("NO_COLOR", "1")
        .env("CLICOLOR_FORCE", "1")
        .args(["validate", "tests/fixtures/mixed.ndjson"])
        .output()
        .unwrap();
    assert!(!String::from_utf8(no_color.stdout).unwrap().contains('\x1b'));
    assert!(!String::from_utf8(no_color.stderr).unwrap().contains('\x1b'));
}

#[test]
fn inspect_shows_key_fields() {
    let output = cmd()
        .args([
            "inspect",
            "samples/clients.create.json",
            "samples/accounting.payments.create.json",
            "samples/email_rates_manager.file_processing_error.json",
            "samples/importd.process_failed.json",
            "tests/fixtures/capture.ndjson",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::with_settings!({ filters => snapshot_filters() }, {
        insta::assert_snapshot!("inspect", String::from_utf8(output.stdout).unwrap());
    });
}

#[test]
fn inspect_all_lists_every_other_field() {
    let out = stdout_of(cmd().args([
        "inspect",
        "--all",
        "samples/clients.subscriptions.activate.json",
    ]));
    insta::with_settings!({ filters => snapshot_filters() }, {
        insta::assert_snapshot!("inspect_all", out);
    });
}

#[test]
fn events_lists_the_catalog_by_category() {
    let out = stdout_of(cmd().arg("events"));
    insta::assert_snapshot!("events", out);
    let json: Value =
        serde_json::from_str(&stdout_of(cmd().args(["events", "--format", "json"]))).unwrap();
    let events = json.as_array().unwrap();
    assert_eq!(events.len(), 27);
    assert_eq!(
        events[0],
        serde_json::json!({"id": "clients.create", "category": "Clients", "description": "A client was created"})
    );
}

#[test]
fn schema_prints_the_checked_in_schema() {
    let printed = stdout_of(cmd().args(["schema", "accounting.charges.create"]));
    let on_disk =
        std::fs::read_to_string(root().join("schemas/accounting.charges.create.schema.json"))
            .unwrap();
    assert_eq!(printed, on_disk);
}

#[test]
fn schemas_dir_replaces_the_built_in_schemas() {
    let dir = tempfile::tempdir().unwrap();
    cmd()
        .args(["schema", "--write"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains("wrote 47 schemas"));
    // An edited copy: this user's clients always carry a currency.
    let path = dir.path().join("clients.create.schema.json");
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    schema["properties"]["data"]["required"]
        .as_array_mut()
        .unwrap()
        .push("currencies_id".into());
    std::fs::write(&path, schema.to_string()).unwrap();
    cmd()
        .args(["validate", "--schemas"])
        .arg(dir.path())
        .args(["samples/clients.create.json"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "/data: missing required field \"currencies_id\"",
        ));
    cmd()
        .args(["validate", "--schemas"])
        .arg(dir.path())
        .args(["samples/clients.update.json"])
        .assert()
        .code(0);
}

#[test]
fn a_bad_schemas_dir_is_an_error_naming_the_file() {
    cmd()
        .args(["validate", "--schemas", "no/such/dir", "samples/"])
        .assert()
        .code(2)
        .stderr("jerahook: no/such/dir: not a directory of schemas\n");
    let dir = tempfile::tempdir().unwrap();
    cmd()
        .args(["schema", "--write"])
        .arg(dir.path())
        .assert()
        .code(0);
    std::fs::write(dir.path().join("clients.update.schema.json"), "{ not json").unwrap();
    cmd()
        .args(["validate", "--schemas"])
        .arg(dir.path())
        .args(["samples/"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "clients.update.schema.json: not valid JSON",
        ));
    std::fs::write(
        dir.path().join("clients.update.schema.json"),
        r#"{"type": "object", "format": "no-such-format"}"#,
    )
    .unwrap();
    cmd()
        .args(["validate", "--schemas"])
        .arg(dir.path())
        .args(["samples/"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "clients.update.schema.json: not a usable JSON Schema",
        ));
}

#[test]
fn help_names_every_command() {
    let out = stdout_of(cmd().arg("--help"));
    for command in ["validate", "inspect", "events", "schema", "sample"] {
        assert!(out.contains(command), "{out}");
    }
}

#[test]
fn on_a_pipe_each_payload_is_reported_as_it_arrives() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command as Process, Stdio};
    use std::sync::mpsc;
    use std::time::Duration;

    let mut child = Process::new(assert_cmd::cargo::cargo_bin("jerahook"))
        .args(["validate", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let (lines_tx, lines_rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines_tx.send(line.unwrap()).is_err() {
                return;
            }
        }
    });
    for id in ["clients.create", "accounting.payments.delete"] {
        let payload: Value =
            serde_json::from_str(jerahook::catalog::find(id).unwrap().example).unwrap();
        writeln!(stdin, "{payload}").unwrap();
        stdin.flush().unwrap();
        // The input stays open, like `tail -f`: the record must come anyway.
        let line = lines_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("a record while the input is still open");
        let record: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(record["event"], id);
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

/// Whether text could steer a terminal: a control character other than a line break, or a
/// character that reorders the line.
fn steers_the_terminal(text: &str) -> Option<char> {
    text.chars().find(|&c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

#[test]
fn control_characters_in_a_payload_are_shown_escaped_in_text_and_exact_in_json() {
    let esc = "\\u001b[32m✓ fake\\r\\u009b\\u202e";
    let payload = format!(
        r#"{{"event": {{"dt": "2024-01-01T00:00:00Z", "events_id": "clients.create{esc}", "object_id": "1{esc}"}}, "data": {{"id": 1, "name": "{esc}", "companies_id": "{esc}", "x{esc}": "{esc}"}}}}
{{"event": {{"dt": "2024-01-01T00:00:00Z", "events_id": "clients.update", "object_id": 1}}, "data": {{"id": 1, "name": "{esc}", "companies_id": "x{esc}", "n{esc}": 1}}}}
"#
    );
    for args in [
        &["validate", "-"][..],
        &["validate", "--undocumented", "-"],
        &["validate", "--strict", "-"],
        &["inspect", "-"],
        &["inspect", "--all", "-"],
    ] {
        let output = cmd()
            .args(args)
            .write_stdin(payload.clone())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&[output.stdout, output.stderr].concat()).into_owned();
        assert_eq!(steers_the_terminal(&text), None, "{args:?}: {text}");
        assert!(
            text.contains("\\u001b[32m"),
            "{args:?} shows the escape: {text}"
        );
    }
    let output = cmd()
        .args(["validate", "--format", "json", "-"])
        .write_stdin(payload)
        .output()
        .unwrap();
    let records = json_records(&output.stdout);
    assert_eq!(
        records[0]["event"],
        "clients.create\u{1b}[32m✓ fake\r\u{9b}\u{202e}"
    );
}

#[test]
#[allow(clippy::print_stderr)] // the note that the test was skipped
fn reading_a_terminal_says_so_and_how_to_end() {
    // `script` gives the command a terminal; skip where util-linux is missing.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no `script` to make a terminal");
        return;
    }
    let binary = assert_cmd::cargo::cargo_bin("jerahook");
    for command in ["validate", "send --to http://127.0.0.1:9/"] {
        let mut child = std::process::Command::new("script")
            .args([
                "-qec",
                &format!("{} {command} --color never", binary.display()),
                "/dev/null",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
        use std::io::Write;
        child.stdin.as_mut().unwrap().write_all(b"\x04").unwrap();
        let output = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            text.starts_with(
                "jerahook: reading payloads from standard input; paste them, then end with Ctrl-D"
            ),
            "{command}: {text}"
        );
    }
    // A pipe is not a person: no note.
    cmd()
        .arg("validate")
        .write_stdin("")
        .assert()
        .stderr(predicate::str::contains("reading payloads").not());
}

#[test]
fn a_reader_that_goes_away_after_an_invalid_payload_still_gets_exit_1() {
    let sample = std::fs::read_to_string(root().join("samples/clients.create.json")).unwrap();
    let compact: Value = serde_json::from_str(&sample).unwrap();
    let mut input = String::from("garbage\n");
    for _ in 0..3000 {
        input.push_str(&compact.to_string());
        input.push('\n');
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad-first.ndjson");
    std::fs::write(&path, input).unwrap();
    let binary = assert_cmd::cargo::cargo_bin("jerahook");
    let script = format!(
        "'{}' validate --color never '{}' | head -1 >/dev/null; echo ${{PIPESTATUS[0]}}",
        binary.display(),
        path.display()
    );
    let output = std::process::Command::new("bash")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "1");
}

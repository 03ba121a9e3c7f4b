//! Output for CI and scripts: GitHub annotations, JUnit reports, inspect as JSON, the quiet
//! total, and `--events` selection.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn cmd() -> Command {
    let mut cmd = Command::cargo_bin("jerahook").unwrap();
    cmd.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env_remove("NO_COLOR")
        .env_remove("JERAHOOK_COLOR")
        .env_remove("JERAHOOK_SCHEMAS")
        .env("TERM", "dumb");
    cmd
}

fn output(args: &[&str], stdin: &str) -> (Option<i32>, String, String) {
    let output = cmd()
        .args(args)
        .write_stdin(stdin.to_string())
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn sample(id: &str) -> String {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("samples/{id}.json")),
    )
    .unwrap();
    serde_json::from_str::<Value>(&text).unwrap().to_string()
}

/// Two valid payloads and one whose name is a number.
fn capture() -> String {
    format!(
        "{}\n{}\n{}\n",
        sample("clients.create"),
        sample("clients.update").replace("\"name\":\"", "\"nam\":\""),
        sample("clients.create").replace("\"name\":\"My name\"", "\"name\":5")
    )
}

#[test]
fn github_format_annotates_each_error_with_escaped_properties() {
    let dir = tempfile::tempdir().unwrap();
    // A file name with the characters a property must escape.
    let path = dir.path().join("a,b:c%.ndjson");
    std::fs::write(&path, capture()).unwrap();
    let path = path.to_str().unwrap();
    let (code, stdout, stderr) = output(&["validate", "--format", "github", path], "");
    assert_eq!(code, Some(1));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let escaped = path
        .replace('%', "%25")
        .replace(':', "%3A")
        .replace(',', "%2C");
    assert_eq!(
        lines[0],
        format!(
            "::error file={escaped},line=3,col={},title=schema::/data/name: expected a string, found the number 5",
            lines[0]
                .split("col=")
                .nth(1)
                .unwrap()
                .split(',')
                .next()
                .unwrap()
        )
    );
    assert!(
        stderr.starts_with("3 payloads: 2 valid, 1 invalid"),
        "{stderr}"
    );
    // A message with a line break and a percent sign stays one command.
    let odd =
        sample("clients.create").replace("\"name\":\"My name\"", "\"name\":\"50%\\nx\",\"name\":1");
    let (_, stdout, _) = output(&["validate", "--format", "github", "-"], &odd);
    assert!(
        stdout.lines().all(|line| line.starts_with("::")),
        "{stdout}"
    );
    assert!(stdout.contains("::warning "), "{stdout}");
}

#[test]
fn junit_format_is_a_report_with_one_case_per_payload() {
    let (code, stdout, _) = output(&["validate", "--format", "junit", "-"], &capture());
    assert_eq!(code, Some(1));
    let xml = roxmltree::Document::parse(&stdout).unwrap();
    let cases: Vec<_> = xml
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 3);
    assert_eq!(cases[0].attribute("name"), Some("-:1 clients.create"));
    let failures: Vec<_> = xml
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0]
            .attribute("message")
            .unwrap()
            .contains("expected a string")
    );
    let suite = xml
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("tests"), Some("3"));
    assert_eq!(suite.attribute("failures"), Some("1"));
}

#[test]
fn inspect_json_is_one_summary_per_payload() {
    let (code, stdout, _) = output(&["inspect", "--format", "json", "-"], &capture());
    assert_eq!(code, Some(1));
    let views: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(views.len(), 3);
    assert_eq!(views[0]["event"], "clients.create");
    assert_eq!(views[0]["description"], "A client was created");
    assert_eq!(views[0]["object_id"], 12);
    assert_eq!(views[0]["key_fields"]["name"], "My name");
    assert_eq!(views[0]["valid"], true);
    assert_eq!(views[2]["errors"][0]["path"], "/data/name");
    assert!(
        views[0]["dt_utc"]
            .as_str()
            .unwrap()
            .starts_with("2000-01-01T00:00:00")
    );
}

#[test]
fn quiet_prints_invalid_payloads_and_a_one_line_total() {
    let (_, stdout, stderr) = output(&["validate", "-q", "-"], &capture());
    assert_eq!(stdout.lines().filter(|l| l.starts_with('✗')).count(), 1);
    assert_eq!(stderr, "3 payloads: 2 valid, 1 invalid\n");
    let (_, _, stderr) = output(&["validate", "-q", "--by-event", "-"], &capture());
    assert!(stderr.contains("clients.update"), "{stderr}");
}

#[test]
fn events_selects_and_counts_the_rest_as_skipped() {
    let (code, stdout, stderr) =
        output(&["validate", "--events", "clients.update", "-"], &capture());
    assert_eq!(code, Some(0), "the invalid clients.create is skipped");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stderr.starts_with("1 payload: 1 valid, 0 invalid, 2 skipped (--events)"),
        "{stderr}"
    );
    let (code, _, stderr) = output(&["validate", "--events", "clients.updat", "-"], "");
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("did you mean \"clients.update\""),
        "{stderr}"
    );
}

#[test]
fn schema_without_an_id_names_every_way_to_get_schemas() {
    let (code, _, stderr) = output(&["schema"], "");
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("--write DIR") && stderr.contains("--all"),
        "{stderr}"
    );
}

#[test]
fn a_json_array_of_payloads_is_read_as_its_elements() {
    let array = format!(
        "[\n  {},\n  {}\n]\n",
        sample("clients.create"),
        sample("clients.update")
    );
    let (code, stdout, _) = output(&["validate", "--format", "json", "-"], &array);
    assert_eq!(code, Some(0));
    let records: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(
        (records[0]["index"].clone(), records[0]["line"].clone()),
        (0.into(), 2.into())
    );
    assert_eq!(
        (records[1]["index"].clone(), records[1]["line"].clone()),
        (1.into(), 3.into())
    );
    assert_eq!(records[1]["event"], "clients.update");
    // An array holding anything else is one payload, and not a valid one.
    let mixed = format!("[{}, 1]\n", sample("clients.create"));
    let (code, stdout, _) = output(&["validate", "--format", "json", "-"], &mixed);
    assert_eq!(code, Some(1));
    assert_eq!(stdout.lines().count(), 1);
}

/// DEL, C1 controls and every bidirectional formatting character.
const STEERING: &str = "\u{7f}\u{80}\u{85}\u{9b}\u{9f}\u{61c}\u{200e}\u{200f}\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}\u{2066}\u{2067}\u{2068}\u{2069}";

fn steers(c: char) -> bool {
    STEERING.contains(c)
}

/// A `clients.create` whose name is a number, whose event id is unknown, and whose values carry
/// every character of [`STEERING`].
fn steering_payloads() -> String {
    let name = format!("a{STEERING}z");
    let wrong = sample("clients.create").replace(
        "\"companies_id\":3",
        &format!("\"companies_id\":{}", serde_json::json!(name)),
    );
    let unknown = sample("clients.create").replace(
        "\"events_id\":\"clients.create\"",
        &format!("\"events_id\":{}", serde_json::json!(name)),
    );
    let named = sample("clients.create").replace(
        "\"name\":\"My name\"",
        &format!("\"name\":{}", serde_json::json!(name)),
    );
    format!("{wrong}\n{unknown}\n{named}\n")
}

#[test]
fn json_output_writes_steering_characters_as_escapes_that_read_back() {
    let name = format!("a{STEERING}z");
    for args in [
        &["validate", "--format", "json", "-"][..],
        &["inspect", "--format", "json", "-"],
    ] {
        let (code, stdout, _) = output(args, &steering_payloads());
        assert_eq!(code, Some(1), "{args:?}");
        assert!(!stdout.contains(steers), "{args:?}: {stdout}");
        assert!(stdout.contains(r"a\u007f\u0080\u0085\u009b\u009f\u061c\u200e"));
        let lines: Vec<Value> = stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines[0]["errors"][0]["message"],
            format!("expected an integer, found the string \"{name}\""),
            "{args:?}"
        );
        assert_eq!(lines[1]["event"], name.as_str(), "{args:?}");
    }
    let (_, stdout, _) = output(&["inspect", "--format", "json", "-"], &steering_payloads());
    let named: Value = serde_json::from_str(stdout.lines().nth(2).unwrap()).unwrap();
    assert_eq!(named["key_fields"]["name"], name.as_str());
}

#[test]
fn junit_output_shows_steering_characters_as_visible_escapes() {
    let (code, stdout, _) = output(
        &["validate", "--format", "junit", "-"],
        &steering_payloads(),
    );
    assert_eq!(code, Some(1));
    assert!(!stdout.contains(steers), "{stdout}");
    let xml = roxmltree::Document::parse(&stdout).unwrap();
    let failures: Vec<_> = xml
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failures.len(), 2);
    let escaped = r"a\u007f\u0080\u0085\u009b\u009f\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069z";
    assert_eq!(
        failures[0].attribute("message").unwrap(),
        format!("-:1:137: /data/companies_id: expected an integer, found the string \"{escaped}\"")
    );
    assert!(
        failures[1]
            .text()
            .unwrap()
            .contains(&format!("unknown event id \"{escaped}\"")),
        "{stdout}"
    );
}

#[test]
fn github_annotations_name_the_real_file() {
    let dir = tempfile::tempdir().unwrap();
    // A space, a colon, a comma, a letter beyond ASCII, a tab and a right-to-left override:
    // only the colon and the comma are escaped, as the runner unescapes them.
    let path = dir.path().join("my cap:tures, é\t\u{202e}.ndjson");
    std::fs::write(&path, capture()).unwrap();
    let path = path.to_str().unwrap();
    let (code, stdout, _) = output(&["validate", "--format", "github", path], "");
    assert_eq!(code, Some(1));
    let file = stdout
        .strip_prefix("::error file=")
        .and_then(|rest| rest.split(",line=").next())
        .unwrap();
    assert_eq!(file, path.replace(':', "%3A").replace(',', "%2C"));
    let unescaped = file
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%");
    assert!(Path::new(&unescaped).is_file());
}

//! A document cut short costs only itself: whatever offset a payload is cut at, the complete
//! payloads after it are each read and judged on their own, and nothing grows without bound.

use assert_cmd::Command;
use jerahook::codes::Code;
use jerahook::reader::{Piece, Splitter};
use jerahook::report::Record;
use jerahook::schemas::SchemaSet;
use jerahook::validate::{self, Options};

fn records(input: &[u8], max_doc: usize) -> Vec<Record> {
    let schemas = SchemaSet::built_in();
    let options = Options {
        now: Some(1_800_000_000),
        max_doc,
        ..Options::default()
    };
    Splitter::new(input)
        .max_doc(max_doc)
        .enumerate()
        .map(|(index, piece)| {
            validate::judge(piece.unwrap(), "-", index, &schemas, options)
                .unwrap()
                .0
        })
        .collect()
}

fn pretty(id: &str) -> String {
    jerahook::catalog::find(id)
        .unwrap()
        .example
        .trim_end()
        .to_string()
}

fn compact(id: &str) -> String {
    serde_json::from_str::<serde_json::Value>(&pretty(id))
        .unwrap()
        .to_string()
}

/// `cut` cut at every offset, then a line break and two complete payloads (one compact, one
/// pretty): one invalid record for the cut piece (none where nothing of it is left), and the
/// two payloads, valid, on their own lines.
fn check_every_cut(cut: &str, id: &str) {
    let (next_compact, next_pretty) = (compact(id), pretty(id));
    for offset in 0..cut.len() {
        if !cut.is_char_boundary(offset) {
            continue;
        }
        let head = &cut[..offset];
        let input = format!("{head}\n{next_compact}\n{next_pretty}\n");
        let found = records(input.as_bytes(), 1 << 20);
        let expected_cut = usize::from(!head.trim().is_empty());
        assert_eq!(
            found.len(),
            expected_cut + 2,
            "cut at {offset} of {id}: {:#?}",
            found
        );
        if expected_cut == 1 {
            assert!(!found[0].valid, "cut at {offset}: the cut piece is invalid");
        }
        let (a, b) = (&found[expected_cut], &found[expected_cut + 1]);
        let line_after = head.matches('\n').count() + 2;
        assert!(a.valid && b.valid, "cut at {offset}: {a:#?} {b:#?}");
        assert_eq!(
            a.line, line_after,
            "cut at {offset}: the compact payload's line"
        );
        assert_eq!(
            b.line,
            line_after + 1,
            "cut at {offset}: the pretty payload's line"
        );
        assert_eq!(a.event.as_deref(), Some(id));
    }
}

#[test]
fn a_pretty_payload_cut_at_any_offset_costs_only_itself() {
    check_every_cut(&pretty("clients.create"), "clients.create");
    check_every_cut(&pretty("clients.subscriptions.assign"), "clients.update");
}

#[test]
fn a_compact_payload_cut_at_any_offset_costs_only_itself() {
    check_every_cut(&compact("accounting.payments.create"), "clients.create");
}

#[test]
fn an_import_payload_cut_at_any_offset_costs_only_itself() {
    // The largest documented payload, with arrays of objects and nested records: split only
    // (the pieces must be exactly the two payloads after the cut piece).
    let cut = pretty("importd.process_success");
    let (next_compact, next_pretty) = (compact("clients.delete"), pretty("clients.delete"));
    for offset in (0..cut.len()).filter(|&o| cut.is_char_boundary(o)) {
        let head = &cut[..offset];
        let input = format!("{head}\n{next_compact}\n{next_pretty}\n");
        let pieces: Vec<Vec<u8>> = Splitter::new(input.as_bytes())
            .map(|piece| match piece.unwrap() {
                Piece::Value { bytes, .. } => bytes,
                other => panic!("cut at {offset}: {other:?}"),
            })
            .collect();
        let tail = &pieces[pieces.len().saturating_sub(2)..];
        assert_eq!(
            pieces.len(),
            usize::from(!head.trim().is_empty()) + 2,
            "cut at {offset}"
        );
        assert_eq!(tail[0], next_compact.as_bytes(), "cut at {offset}");
        assert_eq!(tail[1], next_pretty.as_bytes(), "cut at {offset}");
    }
}

#[test]
fn an_unindented_document_with_objects_in_the_first_column_stays_whole() {
    // `json.dumps(indent=0)` and a JSON array of payloads one per line.
    let value: serde_json::Value = serde_json::from_str(&pretty("clients.create")).unwrap();
    let unindented = serde_json::to_string_pretty(&value)
        .unwrap()
        .lines()
        .map(str::trim_start)
        .collect::<Vec<_>>()
        .join("\n");
    let found = records(
        format!("{unindented}\n{}\n", compact("clients.update")).as_bytes(),
        1 << 20,
    );
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|r| r.valid), "{found:#?}");
    let array = format!(
        "[\n{},\n{}\n]\n",
        compact("clients.create"),
        compact("clients.update")
    );
    let pieces: Vec<Piece> = Splitter::new(array.as_bytes())
        .map(Result::unwrap)
        .collect();
    assert_eq!(pieces.len(), 1, "{pieces:?}");
}

#[test]
fn a_document_over_the_limit_is_one_record_and_reading_resumes() {
    let payload = compact("clients.create");
    for endless in [
        "[".repeat(5000),
        format!("\"{}", "x".repeat(5000)),
        "1".repeat(5000),
    ] {
        let input = format!("{endless}\n{payload}\n");
        let found = records(input.as_bytes(), 1000);
        let codes: Vec<Code> = found[0].errors.iter().map(|e| e.code).collect();
        assert_eq!(codes, [Code::TooLarge], "{:#?}", found[0]);
        assert!(
            found[0].errors[0]
                .message
                .contains("--max-doc limit of 1000 bytes")
        );
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[1].valid && found[1].line == 2);
    }
}

#[test]
fn utf16_without_a_byte_order_mark_is_named_in_one_record() {
    let payload = compact("clients.create");
    for (encoding, bytes) in [
        (
            "UTF-16LE",
            payload.bytes().flat_map(|b| [b, 0]).collect::<Vec<u8>>(),
        ),
        ("UTF-16BE", payload.bytes().flat_map(|b| [0, b]).collect()),
    ] {
        let found = records(&bytes, 1 << 20);
        assert_eq!(found.len(), 1);
        let message = &found[0].errors[0].message;
        assert!(
            message.contains(encoding) && message.contains("no byte order mark"),
            "{message}"
        );
    }
}

fn jerahook() -> Command {
    let mut cmd = Command::cargo_bin("jerahook").unwrap();
    cmd.env_remove("NO_COLOR").env("TERM", "dumb");
    cmd
}

#[test]
fn an_open_brace_line_does_not_hide_a_thousand_payloads() {
    let one = pretty("clients.create");
    let mut input = format!("{one}\n{{\n");
    for _ in 0..1000 {
        input.push_str(&one);
        input.push('\n');
    }
    let output = jerahook()
        .args(["validate", "-q", "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("1002 payloads: 1001 valid, 1 invalid"),
        "{stderr}"
    );
}

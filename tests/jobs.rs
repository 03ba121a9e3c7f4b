//! The results of a run do not depend on how it was read or on how many workers judged it: one
//! thread, two threads and standard input give the same bytes, for a capture large enough to be
//! split into many batches and judged in parallel, holding every kind of piece the reader makes.

use assert_cmd::Command;
use jerahook::catalog::EVENTS;

fn jerahook() -> Command {
    let mut cmd = Command::cargo_bin("jerahook").unwrap();
    cmd.env_remove("NO_COLOR").env("TERM", "dumb");
    cmd
}

/// Over 4 MiB (the size from which a run uses its workers) of NDJSON, pretty documents, cut
/// documents, stray text, duplicate keys, arrays of payloads, oversized documents and
/// multi-byte characters, in a fixed order.
fn capture() -> String {
    let mut text = String::new();
    let mut n = 0;
    while text.len() < 5 << 20 {
        let event = &EVENTS[n % EVENTS.len()];
        let pretty = event.example.trim_end();
        let compact = serde_json::from_str::<serde_json::Value>(pretty)
            .unwrap()
            .to_string();
        match n % 13 {
            0 => text.push_str(pretty),
            1 => text.push_str(&compact[..compact.len() / 2]),
            2 => text.push_str("2024-01-01 INFO not a payload"),
            3 => text.push_str(&compact.replacen("{\"event\":{", "{\"event\":{\"dt\":1,", 1)),
            4 => text.push_str(&format!("[{compact},{compact}]")),
            5 => text.push_str(
                &compact.replace("\"events_id\"", "\"events_id\": \"x.y\", \"events_id\""),
            ),
            6 => text.push_str(&format!("{{\"pad\": \"{}\"}}", "é".repeat(700))),
            7 => text.push_str(&compact.replacen('{', "{\"extra\": [1, {\"ü\": \"}\"}], ", 1)),
            _ => text.push_str(&compact),
        }
        text.push('\n');
        n += 1;
    }
    text
}

/// Standard output, standard error and the exit code of `jerahook ARGS`.
fn run(args: &[&str], stdin: Option<&str>) -> (Vec<u8>, Vec<u8>, Option<i32>) {
    let mut cmd = jerahook();
    cmd.args(args);
    if let Some(stdin) = stdin {
        cmd.write_stdin(stdin.to_string());
    }
    let output = cmd.output().unwrap();
    (output.stdout, output.stderr, output.status.code())
}

/// `mode`, then `-jN`, then the input.
fn with<'a>(mode: &[&'a str], jobs: &'a str, input: &'a str) -> Vec<&'a str> {
    let mut args = mode.to_vec();
    args.extend([jobs, input]);
    args
}

#[test]
fn one_thread_two_threads_and_stdin_give_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("capture.ndjson");
    let text = capture();
    std::fs::write(&path, &text).unwrap();
    let file = path.to_str().unwrap();
    for mode in [
        &["validate", "--format", "json", "--max-doc", "2000"][..],
        &["validate", "--format", "text"],
        &["inspect", "--format", "json"],
    ] {
        let with = |jobs, input| with(mode, jobs, input);
        // Records name their source: the file's path, or `-` for standard input.
        let mut one = run(&with("-j1", file), None);
        one.0 = String::from_utf8(one.0)
            .unwrap()
            .replace(file, "-")
            .into_bytes();
        assert_eq!(one.2, Some(1), "{}", String::from_utf8_lossy(&one.1));
        assert!(one.0.len() > 1 << 20, "{mode:?}: {} bytes", one.0.len());
        let two = run(&with("-j2", file), None);
        let two_out = String::from_utf8(two.0).unwrap().replace(file, "-");
        assert!(one.0 == two_out.as_bytes(), "{mode:?} -j2");
        assert_eq!((&one.1, one.2), (&two.1, two.2), "{mode:?} -j2");
        assert!(
            one.0 == run(&with("-j1", "-"), Some(&text)).0,
            "{mode:?} stdin -j1"
        );
        let stdin = run(&with("-j2", "-"), Some(&text));
        assert!(one.0 == stdin.0, "{mode:?} stdin -j2");
        // The summary names its source nowhere: it is the same too.
        assert_eq!(one.1, stdin.1, "{mode:?}");
        assert_eq!(one.2, stdin.2, "{mode:?}");
    }
}

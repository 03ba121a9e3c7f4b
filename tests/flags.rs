//! Every numeric flag refuses values out of its range with exit 2 and a message naming the flag
//! and what it accepts; none panics.

use assert_cmd::Command;

/// Each command with the arguments it needs besides the flag under test, and its numeric flags.
const FLAGS: &[(&[&str], &[&str])] = &[
    (&["validate", "-"], &["--jobs", "--max-doc"]),
    (&["inspect", "-"], &["--jobs", "--max-doc"]),
    (
        &["send", "-", "--to", "http://127.0.0.1:9/"],
        &["--rate", "--timeout", "--concurrency", "--max-doc"],
    ),
    (
        &["test-handler", "--to", "http://127.0.0.1:9/"],
        &["--timeout", "--concurrency"],
    ),
    (
        &["listen", "--addr", "127.0.0.1:0"],
        &[
            "--max-body",
            "--body-timeout",
            "--forward-timeout",
            "--reply-status",
            "--header-timeout",
            "--idle-timeout",
            "--max-connections",
            "--max-in-flight",
            "--max-handler-answer",
        ],
    ),
];

// `--shutdown-grace` takes 0 (stop at once); its range is tested in tests/listen.rs.
const BAD: &[&str] = &[
    "0",
    "-1",
    "1e300",
    "1e-300",
    "NaN",
    "184467440737095516160000",
];

#[test]
fn every_numeric_flag_refuses_out_of_range_values() {
    for (command, flags) in FLAGS {
        for flag in *flags {
            for value in BAD {
                let output = Command::cargo_bin("jerahook")
                    .unwrap()
                    .args(*command)
                    .arg(format!("{flag}={value}"))
                    .write_stdin("")
                    .timeout(std::time::Duration::from_secs(20))
                    .output()
                    .unwrap();
                let stderr = String::from_utf8_lossy(&output.stderr);
                let said = format!("{} {flag}={value}: {stderr}", command[0]);
                assert_eq!(output.status.code(), Some(2), "{said}");
                assert!(stderr.contains(flag), "names the flag: {said}");
                assert!(
                    stderr.contains(" from ") || stderr.contains("..="),
                    "names the range: {said}"
                );
                assert!(!stderr.contains("panicked"), "{said}");
            }
        }
    }
}

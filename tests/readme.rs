//! The examples in README.md are real: every ```text block that shows one `$ jerahook ...`
//! command and its output is run, and the output must match (ages such as "4 years ago" aside).

use std::path::Path;

use assert_cmd::Command;

/// Replaces every parenthesised age, `(4 years ago)` or `(in 3 days)`, with `(age)`.
fn without_ages(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('(') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        match after.find(')') {
            Some(close) => {
                let inner = &after[1..close];
                if inner.ends_with(" ago") || inner.starts_with("in ") || inner == "just now" {
                    out.push_str("(age)");
                } else {
                    out.push_str(&after[..=close]);
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn readme_examples_show_real_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut checked = 0;
    for block in readme.split("```text\n").skip(1) {
        let block = &block[..block.find("```").unwrap()];
        let mut lines = block.lines();
        let Some(command) = lines
            .next()
            .and_then(|line| line.strip_prefix("$ jerahook "))
        else {
            continue;
        };
        let expected: Vec<&str> = lines.collect();
        if expected
            .iter()
            .any(|line| line.starts_with("$ ") || line.trim() == "...")
        {
            continue;
        }
        let output = Command::cargo_bin("jerahook")
            .unwrap()
            .current_dir(root)
            .env_remove("NO_COLOR")
            .args(command.split_whitespace())
            .output()
            .unwrap();
        let actual = format!(
            "{}{}",
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap()
        );
        assert_eq!(
            without_ages(actual.trim_end()),
            without_ages(&expected.join("\n")),
            "README example `jerahook {command}` is out of date"
        );
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} README examples were checked");
}

#[test]
fn readme_usage_is_the_real_help() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let start = readme
        .find("```text\nUsage: jerahook")
        .expect("README has a Usage block")
        + "```text\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let help = Command::cargo_bin("jerahook")
        .unwrap()
        .arg("-h")
        .env("COLUMNS", "100")
        .output()
        .unwrap()
        .stdout;
    let help = String::from_utf8(help).unwrap();
    let help = &help[help.find("Usage:").unwrap()..];
    assert_eq!(
        &readme[start..end],
        help,
        "README's Usage block differs from `jerahook -h`"
    );
}

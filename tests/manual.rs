//! What the binary says about itself outside its output: the exit codes in `--help`, the shell
//! completion scripts and the man page.

use std::io::Write;
use std::path::Path;
use std::process::{Command as Process, Stdio};

use assert_cmd::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn stdout_of(args: &[&str]) -> String {
    let output = Command::cargo_bin("jerahook")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "jerahook {args:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// Whether `program` can be started at all.
fn installed(program: &str) -> bool {
    Process::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Runs `program` with `args`, `input` on its standard input; returns (success, stdout, stderr).
fn run_with_input(program: &str, args: &[&str], input: &str) -> (bool, String, String) {
    let mut child = Process::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The commands `--help` lists, clap's own `help` aside.
fn commands() -> Vec<String> {
    let help = stdout_of(&["--help"]);
    let list = &help[help.find("Commands:\n").unwrap()..help.find("\nOptions:").unwrap()];
    let names: Vec<String> = list
        .lines()
        .skip(1)
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .map(|line| line.split_whitespace().next().unwrap().to_owned())
        .filter(|name| name != "help")
        .collect();
    assert!(names.len() >= 10, "{names:?}");
    names
}

/// README's Exit codes table as (code, meaning) with the Markdown code marks taken out.
fn readme_exit_codes() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = &readme[readme.find("\n## Exit codes\n").unwrap()..];
    let section = &section[..section[1..].find("\n## ").unwrap()];
    section
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let code = *cells.get(1)?;
            code.parse::<u8>().ok()?;
            Some((code.to_owned(), cells[2].replace('`', "")))
        })
        .collect()
}

#[test]
fn help_ends_with_the_exit_codes_readme_lists() {
    for args in [&["--help"][..], &["-h"]] {
        let help = stdout_of(args);
        let at = help.find("\nExit codes:\n").expect("an Exit codes section");
        assert!(at > help.find("\nCommands:\n").unwrap(), "{help}");
        assert!(at > help.find("\nOptions:\n").unwrap(), "{help}");
        let listed = &help[at + "\nExit codes:\n".len()..];
        // Each code starts a line; its meaning runs on under it, wrapped.
        let mut entries: Vec<(String, String)> = Vec::new();
        for line in listed.lines() {
            let line = line.trim();
            match line.split_once("  ") {
                Some((code, meaning)) if code.parse::<u8>().is_ok() => {
                    entries.push((code.to_owned(), meaning.to_owned()));
                }
                _ => {
                    let last = entries.last_mut().expect("a code first");
                    last.1 = format!("{} {line}", last.1);
                }
            }
        }
        assert_eq!(entries, readme_exit_codes(), "jerahook {args:?}");
    }
}

#[test]
fn subcommand_help_leaves_the_exit_codes_to_the_top() {
    assert!(!stdout_of(&["validate", "--help"]).contains("Exit codes:"));
}

#[test]
fn every_shell_gets_a_script_naming_every_command() {
    let commands = commands();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout_of(&["completions", shell]);
        for command in &commands {
            assert!(script.contains(command.as_str()), "{shell}: no {command}");
        }
        assert!(script.contains("schemas"), "{shell}: no --schemas");
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    Command::cargo_bin("jerahook")
        .unwrap()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "possible values: bash, elvish, fish",
        ));
}

#[test]
fn bash_completion_script_parses_and_completes() {
    let script = stdout_of(&["completions", "bash"]);
    let (ok, _, err) = run_with_input("bash", &["-n"], &script);
    assert!(ok, "bash -n: {err}");

    // Load the script and ask it what it offers after `jerahook val` and `jerahook completions `.
    let ask = |words: &str, current: usize| {
        let program = format!(
            "{script}\nCOMP_WORDS=({words}); COMP_CWORD={current}; \
             _jerahook jerahook \"${{COMP_WORDS[$COMP_CWORD]}}\" \"${{COMP_WORDS[$COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        let (ok, out, err) = run_with_input("bash", &[], &program);
        assert!(ok, "{err}");
        out.lines().map(str::to_owned).collect::<Vec<_>>()
    };
    assert_eq!(ask("jerahook val", 1), ["validate"]);
    let shells = ask("jerahook completions ''", 2);
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        assert!(shells.iter().any(|s| s == shell), "{shells:?}");
    }
}

#[test]
fn man_page_covers_every_command_and_option() {
    let page = stdout_of(&["man"]);
    assert!(page.contains("\n.TH jerahook 1 "), "{}", &page[..200]);
    for section in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "COMMANDS",
        "\"EXIT STATUS\"",
    ] {
        assert!(page.contains(&format!("\n.SH {section}\n")), "no {section}");
    }
    let global = section_of(&page, "\n.SH OPTIONS\n");
    let mut checked = 0;
    for command in commands() {
        let own = section_of(&page, &format!("\n.SS \"jerahook {command}\"\n"));
        // Every long option the command's help lists is in its subsection or, for the global
        // ones, under OPTIONS (roff escapes `-` as `\-`).
        let help = stdout_of(&[command.as_str(), "--help"]);
        for option in help.split_whitespace().filter(|w| w.starts_with("--")) {
            let option = option.trim_end_matches([',', '.']);
            let name = &option[2..];
            if name == "help" || !name.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
                continue;
            }
            let escaped = format!("\\fB{}\\fR", option.replace('-', "\\-"));
            assert!(
                own.contains(&escaped) || global.contains(&escaped),
                "{command}: no {option} in its part of the page"
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} options checked");
}

/// The part of the page from `heading` to the next section or subsection heading.
fn section_of<'a>(page: &'a str, heading: &str) -> &'a str {
    let start = page
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?}"))
        + heading.len();
    let rest = &page[start..];
    let end = [rest.find("\n.SH "), rest.find("\n.SS ")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    &rest[..end]
}

#[test]
#[allow(clippy::print_stdout)] // the note when groff is missing: a skip, said out loud
fn man_page_renders_without_warnings() {
    if !installed("groff") {
        println!("note: groff is not installed (Debian: apt-get install groff-base); not rendered");
        return;
    }
    let page = stdout_of(&["man"]);
    // -ww: every warning; -z: no output, only the diagnostics.
    let (ok, _, err) = run_with_input("groff", &["-man", "-ww", "-z"], &page);
    assert!(ok && err.is_empty(), "groff: {err}");
    // As a terminal shows it, in plain characters (-P-cbou: no overstriking, no escapes).
    let (ok, text, err) = run_with_input("groff", &["-man", "-Tutf8", "-ww", "-P-cbou"], &page);
    assert!(ok && err.is_empty(), "groff: {err}");
    for heading in ["NAME", "COMMANDS", "   jerahook validate", "EXIT STATUS"] {
        assert!(
            text.contains(&format!("\n{heading}\n")),
            "no {heading}:\n{text}"
        );
    }
    // And as `man -l` shows it, where man is installed (it renders with the same groff).
    if installed("man") {
        let (ok, text, err) = run_with_input("man", &["--warnings", "-l", "-"], &page);
        assert!(ok && err.is_empty(), "man -l: {err}");
        assert!(text.contains("EXIT STATUS"), "{text}");
    }
}

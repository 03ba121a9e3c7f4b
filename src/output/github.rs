//! GitHub Actions workflow commands (`::error file=…,line=…::message`): each error and warning
//! becomes an annotation on the line of the file it is about, in the pull request's diff.

use std::io::{self, Write};

use crate::judge::report::{Issue, Record};
use crate::output::escape::push_printable;

/// The workflow commands for one record's errors and warnings (none for a clean payload).
pub fn record(out: &mut impl Write, record: &Record) -> io::Result<()> {
    for (kind, issues) in [("error", &record.errors), ("warning", &record.warnings)] {
        for issue in issues {
            issue_command(out, kind, record, issue)?;
        }
    }
    Ok(())
}

fn issue_command(
    out: &mut impl Write,
    kind: &str,
    record: &Record,
    issue: &Issue,
) -> io::Result<()> {
    let path = if issue.path.is_empty() {
        "(document)"
    } else {
        &issue.path
    };
    let message = format!("{path}: {}", issue.message);
    // Standard input has no file to annotate: the annotation goes on the run.
    let file = (record.source != "-").then_some(record.source.as_str());
    let line = if issue.line > 0 {
        issue.line
    } else {
        record.line
    };
    // An input that could not be read has no line: the annotation goes on the file.
    let at = (line > 0).then_some((line, issue.column.max(1)));
    command(out, kind, file, at, issue.code.name(), &message)
}

/// One workflow command: `::KIND file=F,line=L,col=C,title=T::MESSAGE`.
pub fn command(
    out: &mut impl Write,
    kind: &str,
    file: Option<&str>,
    at: Option<(usize, usize)>,
    title: &str,
    message: &str,
) -> io::Result<()> {
    let mut properties = Vec::new();
    if let Some(file) = file {
        properties.push(format!("file={}", file_property(file)));
    }
    if let Some((line, column)) = at {
        properties.push(format!("line={line},col={column}"));
    }
    properties.push(format!("title={}", property(title)));
    writeln!(out, "::{kind} {}::{}", properties.join(","), data(message))
}

/// A message: `%`, CR and LF escaped, as the runner unescapes them; other control characters
/// (from payloads) shown as visible escapes, as in text output.
pub fn data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => push_printable(&mut out, c),
        }
    }
    out
}

/// A property value: as a message, and also `:` and `,`, which separate properties.
pub fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

/// The `file` property: the path exactly as it is, with only what the runner unescapes
/// escaped, so that the annotation lands on the real file. (A visible escape would name a file
/// that does not exist.)
pub fn file_property(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_properties_are_escaped_as_the_runner_expects() {
        assert_eq!(data("50% off\r\nnext"), "50%25 off%0D%0Anext");
        assert_eq!(
            data("a\u{1b}[31m\u{7f}\u{202e}\t"),
            "a\\u001b[31m\\u007f\\u202e\\t"
        );
        assert_eq!(property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(
            file_property("a b:c,d%é\t\u{202e}\r\n.json"),
            "a b%3Ac%2Cd%25é\t\u{202e}%0D%0A.json"
        );
        let mut out = Vec::new();
        command(
            &mut out,
            "error",
            Some("dir,1/x:y.json"),
            Some((3, 7)),
            "schema",
            "/data/id: expected 1, found\n2",
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "::error file=dir%2C1/x%3Ay.json,line=3,col=7,title=schema::/data/id: expected 1, found%0A2\n"
        );
    }
}

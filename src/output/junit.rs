//! JUnit XML reports, the format CI systems (GitLab, Jenkins, GitHub test reporters) read: test
//! suites of test cases, each passed or with a failure. Written by hand: the format is a few
//! elements, and what needs care is escaping text that comes from a handler's answer.

use std::borrow::Cow;
use std::io::{self, Write};
use std::time::Duration;

use crate::output::escape::{needs_escape, push_printable};

/// A group of test cases (`<testsuite>`).
#[derive(Debug, Clone)]
pub struct Suite {
    pub name: String,
    pub cases: Vec<TestCase>,
}

/// One test (`<testcase>`).
#[derive(Debug, Clone)]
pub struct TestCase {
    pub name: String,
    /// What CI systems group by.
    pub classname: String,
    pub time: Duration,
    /// Why it failed; `None` when it passed.
    pub failure: Option<Failure>,
}

/// A failed test's reason: a one-line message and the details.
#[derive(Debug, Clone)]
pub struct Failure {
    pub message: String,
    pub text: String,
}

impl Suite {
    fn failures(&self) -> usize {
        self.cases
            .iter()
            .filter(|case| case.failure.is_some())
            .count()
    }

    fn time(&self) -> Duration {
        self.cases.iter().map(|case| case.time).sum()
    }
}

/// Writes `suites` as one `<testsuites>` document named `name`.
pub fn write(out: &mut impl Write, name: &str, suites: &[Suite]) -> io::Result<()> {
    let tests: usize = suites.iter().map(|suite| suite.cases.len()).sum();
    let failures: usize = suites.iter().map(Suite::failures).sum();
    let time: Duration = suites.iter().map(Suite::time).sum();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="{}" tests="{tests}" failures="{failures}" errors="0" time="{}">"#,
        attribute(name),
        seconds(time)
    )?;
    for suite in suites {
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{}" errors="0" skipped="0" time="{}">"#,
            attribute(&suite.name),
            suite.cases.len(),
            suite.failures(),
            seconds(suite.time())
        )?;
        for case in &suite.cases {
            let head = format!(
                r#"    <testcase name="{}" classname="{}" time="{}""#,
                attribute(&case.name),
                attribute(&case.classname),
                seconds(case.time)
            );
            match &case.failure {
                None => writeln!(out, "{head}/>")?,
                Some(failure) => {
                    writeln!(out, "{head}>")?;
                    writeln!(
                        out,
                        r#"      <failure message="{}" type="failure">{}</failure>"#,
                        attribute(&failure.message),
                        text(&failure.text)
                    )?;
                    writeln!(out, "    </testcase>")?;
                }
            }
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

fn seconds(time: Duration) -> String {
    format!("{:.3}", time.as_secs_f64())
}

/// Element text: markup characters escaped, characters XML 1.0 forbids replaced, and DEL, C1
/// controls and bidirectional formatting characters written as visible escapes (`\u202e`), as
/// in text output: XML allows them, but a CI page that shows the report would obey them.
pub fn text(raw: &str) -> Cow<'_, str> {
    escape(raw, false)
}

/// An attribute value: as [`text`], and quotes and line breaks as references, so that they
/// survive attribute-value normalisation.
pub fn attribute(raw: &str) -> Cow<'_, str> {
    escape(raw, true)
}

fn escape(raw: &str, in_attribute: bool) -> Cow<'_, str> {
    let special = |c: char| {
        matches!(c, '&' | '<' | '>')
            || !allowed(c)
            || steers(c)
            || (in_attribute && matches!(c, '"' | '\'' | '\n' | '\r' | '\t'))
    };
    if !raw.contains(special) {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if in_attribute => out.push_str("&quot;"),
            '\'' if in_attribute => out.push_str("&apos;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            '\r' if in_attribute => out.push_str("&#13;"),
            '\t' if in_attribute => out.push_str("&#9;"),
            // Not even a character reference may name these in XML 1.0.
            c if !allowed(c) => out.push('\u{FFFD}'),
            c if steers(c) => push_printable(&mut out, c),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Allowed by XML, but shown as an escape: a character that steers a display and is not a line
/// break or tab.
fn steers(c: char) -> bool {
    needs_escape(c) && !matches!(c, '\t' | '\n' | '\r')
}

/// XML 1.0's `Char` production (Rust's `char` already excludes surrogates).
fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_quotes_and_forbidden_characters_are_escaped() {
        assert_eq!(text("plain"), "plain");
        assert!(matches!(text("plain"), Cow::Borrowed(_)));
        assert_eq!(
            text("a < b && c > \"d\""),
            "a &lt; b &amp;&amp; c &gt; \"d\""
        );
        assert_eq!(
            attribute("say \"hi\"\n'there'\t"),
            "say &quot;hi&quot;&#10;&apos;there&apos;&#9;"
        );
        assert_eq!(
            text("bell\u{7}nul\u{0}\u{FFFE}"),
            "bell\u{FFFD}nul\u{FFFD}\u{FFFD}"
        );
        assert_eq!(text("Zoë 東京 🚀\nline"), "Zoë 東京 🚀\nline");
        assert_eq!(text("]]>"), "]]&gt;");
        assert_eq!(
            attribute("del\u{7f}c1\u{85}\u{9f}bidi\u{61c}\u{200f}\u{202a}\u{2069}"),
            "del\\u007fc1\\u0085\\u009fbidi\\u061c\\u200f\\u202a\\u2069"
        );
    }

    #[test]
    fn counts_and_failures_are_written() {
        let suites = [Suite {
            name: "clients.create".into(),
            cases: vec![
                TestCase {
                    name: "documented".into(),
                    classname: "clients.create".into(),
                    time: Duration::from_millis(2),
                    failure: None,
                },
                TestCase {
                    name: "object-id-string".into(),
                    classname: "clients.create".into(),
                    time: Duration::from_millis(1500),
                    failure: Some(Failure {
                        message: "500 <\"boom\">".into(),
                        text: "Internal Server Error & more".into(),
                    }),
                },
            ],
        }];
        let mut out = Vec::new();
        write(&mut out, "handler", &suites).unwrap();
        let xml = String::from_utf8(out).unwrap();
        assert!(xml.contains(
            r#"<testsuites name="handler" tests="2" failures="1" errors="0" time="1.502">"#
        ));
        assert!(
            xml.contains(
                r#"<testcase name="documented" classname="clients.create" time="0.002"/>"#
            )
        );
        assert!(xml.contains(
            r#"<failure message="500 &lt;&quot;boom&quot;&gt;" type="failure">Internal Server Error &amp; more</failure>"#
        ));
    }
}

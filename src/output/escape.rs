//! Text from payloads is shown, never obeyed: a control character in a value (an escape
//! sequence, a carriage return) would let a payload repaint the terminal, for example paint a
//! green line over its own red one. Text output passes every such character through here, as
//! a visible escape. JSON output keeps the text exact but writes those characters as `\u`
//! escapes ([`json_line`]), so a log viewer or `cat` shows them inert too.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;

/// `text` with every control character (C0, DEL, C1) and every bidirectional formatting
/// character written as an escape: `\n`, `\r`, `\t`, otherwise `\u001b`.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_printable(&mut shown, c);
    }
    Cow::Owned(shown)
}

/// Appends `c`, escaped if it must be.
pub fn push_printable(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if needs_escape(c) => out.push_str(&format!("\\u{:04x}", u32::from(c))),
        c => out.push(c),
    }
}

/// Control characters, and the characters that reorder text (right-to-left overrides and
/// isolates), which can make a line read other than it is.
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `value` as one line of JSON and a line break. serde_json escapes only what JSON requires
/// (quotes, backslashes, C0 controls); here DEL, C1 controls and the bidirectional formatting
/// characters are `\u` escapes as well, so the line holds no raw control character and still
/// reads back as the same strings.
pub fn json_line<T: Serialize + ?Sized>(out: &mut impl Write, value: &T) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, Inert);
    value.serialize(&mut serializer)?;
    out.write_all(b"\n")
}

/// serde_json's compact formatter, with every character [`needs_escape`] names escaped.
struct Inert;

impl serde_json::ser::Formatter for Inert {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if needs_escape(c) {
                writer.write_all(&fragment.as_bytes()[start..at])?;
                // Every such character is in the Basic Multilingual Plane: one `\u` escape.
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_escape_what_could_steer_a_terminal_and_read_back_the_same() {
        let text = "a\u{1b}\u{7f}\u{85}\u{9f}\u{61c}\u{200e}\u{202e}\u{2066}\u{2069}ü😀\"\\\n";
        let mut out = Vec::new();
        json_line(&mut out, &serde_json::json!({ text: [text] })).unwrap();
        let line = String::from_utf8(out).unwrap();
        let escapes = r#"a\u001b\u007f\u0085\u009f\u061c\u200e\u202e\u2066\u2069ü😀\"\\\n"#;
        assert_eq!(line, format!("{{\"{escapes}\":[\"{escapes}\"]}}\n"));
        assert!(!line.trim_end().chars().any(needs_escape));
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back, serde_json::json!({ text: [text] }));
    }

    #[test]
    fn control_characters_become_visible_escapes() {
        assert_eq!(printable("ok"), "ok");
        assert!(matches!(printable("ok ü 😀"), Cow::Borrowed(_)));
        assert_eq!(
            printable("a\u{1b}[32m✓\rb\n\t\u{7f}\u{85}\u{202e}"),
            "a\\u001b[32m✓\\rb\\n\\t\\u007f\\u0085\\u202e"
        );
    }
}

//! Text from payloads is shown, never obeyed: a control character in a value (an escape
//! sequence, a carriage return) would let a payload repaint the terminal, for example paint a
//! green line over its own red one. Text output passes every such character through here, as
//! a visible escape; JSON output needs nothing, serde_json escapes what JSON requires.

use std::borrow::Cow;

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

#[cfg(test)]
mod tests {
    use super::*;

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

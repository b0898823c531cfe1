//! Validation of free text: required, bounded in characters, and (for
//! names, titles and references) on one line, without characters that
//! redraw or reorder what a terminal or a page shows.

use super::error::{Error, Result};

/// Whether `c` is a default-ignorable code point (Unicode's
/// `Default_Ignorable_Code_Point`, DerivedCoreProperties.txt): invisible
/// by design, such as U+200B ZERO WIDTH SPACE, joiners, variation
/// selectors, U+FEFF and the Hangul fillers.
fn is_default_ignorable(c: char) -> bool {
    matches!(u32::from(c),
        0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
}

/// Whether `value` shows nothing: empty, or only white space (U+3000 and
/// NBSP included) and default-ignorable code points (a title of U+200B
/// alone is blank).
pub fn is_blank(value: &str) -> bool {
    value.chars().all(|c| c.is_whitespace() || is_default_ignorable(c))
}

/// A line break of any kind: what makes one value draw two lines.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{000B}' | '\u{000C}' | '\u{0085}' | '\u{2028}' | '\u{2029}'
    )
}

/// A bidirectional embedding, override or isolate (U+202A–U+202E,
/// U+2066–U+2069): it turns around how the text after it is shown
/// (`Invoice \u{202e}exe.ssalc` reads `Invoice classe.exe`).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A required text: not blank (see [`is_blank`]), at most `max`
/// characters, no control characters but newlines and tabs. Stored as
/// given (not trimmed), so Chinese names keep their exact form.
pub fn required(value: &str, field: &str, max: usize) -> Result<String> {
    if is_blank(value) {
        return Err(Error::invalid(field, "is required"));
    }
    optional(value, field, max)
}

/// A required single-line text (a name, a title, a reference): as
/// [`required`], and no line break nor bidirectional control.
pub fn line(value: &str, field: &str, max: usize) -> Result<String> {
    if is_blank(value) {
        return Err(Error::invalid(field, "is required"));
    }
    optional_line(value, field, max)
}

/// An optional single-line text, with the limits of [`line`].
pub fn optional_line(value: &str, field: &str, max: usize) -> Result<String> {
    if value.chars().any(is_line_break) {
        return Err(Error::invalid(field, "must be one line: no line breaks"));
    }
    if value.chars().any(is_bidi_control) {
        return Err(Error::invalid(
            field,
            "must not contain bidirectional controls (U+202A–U+202E, U+2066–U+2069)",
        ));
    }
    optional(value, field, max)
}

/// An optional text with the same limits as [`required`].
pub fn optional(value: &str, field: &str, max: usize) -> Result<String> {
    let chars = value.chars().count();
    if chars > max {
        return Err(Error::invalid(
            field,
            format!("must be at most {max} characters, got {chars}"),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(value.to_owned())
}

/// An enum value as people type it, in the spelling the enums use:
/// `under-review` and `Under_Review` are `UNDER_REVIEW`.
pub fn enum_word(value: &str) -> String {
    value.trim().to_ascii_uppercase().replace('-', "_")
}

/// How many characters of client input an error message may quote.
const EXCERPT_CHARS: usize = 32;

/// Client input as an error message may quote it: the first few
/// characters, quoted, with control characters escaped. Errors never echo
/// whole values (a huge value would make a huge trailer).
pub fn excerpt(value: &str) -> String {
    let mut head: String = value.chars().take(EXCERPT_CHARS).collect();
    if value.chars().nth(EXCERPT_CHARS).is_some() {
        head.push('…');
    }
    format!("{head:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        assert_eq!(required("香港大學", "f", 4).unwrap(), "香港大學");
        assert!(required("香港大學", "f", 3).is_err());
        assert!(required("  ", "f", 3).is_err());
        assert!(optional("", "f", 3).is_ok());
        assert!(optional("a\u{0}b", "f", 3).is_err());
    }

    #[test]
    fn invisible_text_is_blank() {
        for blank in [
            "",
            "  ",
            "\u{a0}",
            "\u{3000}",
            "\u{200b}\u{200b}",
            "\u{feff} \u{2060}",
            "\u{3164}",
        ] {
            assert!(is_blank(blank), "{blank:?}");
            assert!(required(blank, "f", 10).is_err(), "{blank:?}");
        }
        assert!(!is_blank("\u{200b}x"));
    }

    #[test]
    fn single_lines_refuse_breaks_and_bidi_controls() {
        for bad in [
            "Evil U\n  Fake",
            "a\rb",
            "a\u{2028}b",
            "Invoice \u{202e}exe.ssalc",
            "a\u{2066}b\u{2069}",
        ] {
            assert!(line(bad, "f", 100).is_err(), "{bad:?}");
            assert!(optional_line(bad, "f", 100).is_err(), "{bad:?}");
        }
        assert_eq!(line("香港大學 HKU", "f", 100).unwrap(), "香港大學 HKU");
        assert!(
            required("line one\nline two", "f", 100).is_ok(),
            "multi-line fields keep newlines"
        );
    }

    #[test]
    fn excerpts_are_short_and_escaped() {
        assert_eq!(excerpt("abc"), "\"abc\"");
        assert_eq!(excerpt("a\u{1b}b"), "\"a\\u{1b}b\"");
        let long = "x".repeat(10_000);
        assert!(excerpt(&long).chars().count() < 40);
    }
}

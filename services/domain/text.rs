//! Validation of free text: required, trimmed, bounded in characters.

use super::error::{Error, Result};

/// A required text: not blank, at most `max` characters, no control
/// characters but newlines and tabs. Stored as given (not trimmed), so
/// Chinese names keep their exact form.
pub fn required(value: &str, field: &str, max: usize) -> Result<String> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "is required"));
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
    fn excerpts_are_short_and_escaped() {
        assert_eq!(excerpt("abc"), "\"abc\"");
        assert_eq!(excerpt("a\u{1b}b"), "\"a\\u{1b}b\"");
        let long = "x".repeat(10_000);
        assert!(excerpt(&long).chars().count() < 40);
    }
}

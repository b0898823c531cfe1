//! The AIP-160 subset that list filters accept: `field = value` terms
//! joined by `AND`; values may be double-quoted.

use super::error::{Error, Result};
use super::text;

/// One `field = value` term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub field: String,
    pub value: String,
}

/// Parses a filter into terms, accepting only the fields in `allowed`.
pub fn parse(filter: &str, allowed: &[&str]) -> Result<Vec<Term>> {
    let mut terms = Vec::new();
    if filter.trim().is_empty() {
        return Ok(terms);
    }
    for part in filter.split(" AND ") {
        let (field, value) = part.split_once('=').ok_or_else(|| {
            Error::invalid(
                "filter",
                format!("{} is not of the form `field = value`", text::excerpt(part.trim())),
            )
        })?;
        let field = field.trim();
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        if !allowed.contains(&field) {
            return Err(Error::invalid(
                "filter",
                format!(
                    "cannot filter on {}; allowed: {}",
                    text::excerpt(field),
                    allowed.join(", ")
                ),
            ));
        }
        if value.is_empty() {
            return Err(Error::invalid("filter", format!("{field} needs a value")));
        }
        terms.push(Term {
            field: field.to_owned(),
            value: value.to_owned(),
        });
    }
    Ok(terms)
}

/// Parses a boolean filter value.
pub fn boolean(term: &Term) -> Result<bool> {
    match term.value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(Error::invalid(
            "filter",
            format!("{}: {} is not true or false", term.field, text::excerpt(other)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_terms_and_refuses_unknown_fields() {
        let terms = parse(r#"region = "MACAO" AND open=true"#, &["region", "open"]).unwrap();
        assert_eq!(terms.len(), 2);
        assert_eq!(terms[0].value, "MACAO");
        assert!(boolean(&terms[1]).unwrap());
        assert!(parse("colour = red", &["region"]).is_err());
        assert!(parse("region", &["region"]).is_err());
        assert!(parse("region = ", &["region"]).is_err());
        assert!(parse("  ", &["region"]).unwrap().is_empty());
    }
}

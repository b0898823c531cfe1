//! Resource names as users type them: whole (`institutions/0193…`,
//! `programmes/P/applications/A`) or as a bare id (`0193…`, `P/A`, or `A`
//! with `--programme P`).

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 63
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `collection/{id}` from a whole name or a bare id.
fn simple(text: &str, collection: &str) -> Result<String, String> {
    let id = text
        .strip_prefix(collection)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(text);
    if valid_id(id) {
        Ok(format!("{collection}/{id}"))
    } else {
        Err(format!("{text:?} is not {collection}/ID or a bare id"))
    }
}

pub fn institution(text: &str) -> Result<String, String> {
    simple(text, "institutions")
}

pub fn programme(text: &str) -> Result<String, String> {
    simple(text, "programmes")
}

pub fn api_key(text: &str) -> Result<String, String> {
    simple(text, "apiKeys")
}

pub fn webhook(text: &str) -> Result<String, String> {
    simple(text, "webhooks")
}

/// `programmes/P/applications/A` from the whole name, `P/A`, or a bare `A`
/// with the programme given separately.
pub fn application(text: &str, programme_hint: Option<&str>) -> Result<String, String> {
    let bad =
        || format!("{text:?} is not an application: give programmes/P/applications/A, P/A, or A with --programme P");
    let parts: Vec<&str> = text.split('/').collect();
    let (p, a) = match parts.as_slice() {
        ["programmes", p, "applications", a] => (p.to_string(), *a),
        [p, a] => (p.to_string(), *a),
        [a] => match programme_hint {
            Some(hint) => (programme(hint)?.trim_start_matches("programmes/").to_owned(), *a),
            None => {
                return Err(format!(
                    "{text:?} is a bare application id: add --programme P, or give P/{text}"
                ));
            }
        },
        _ => return Err(bad()),
    };
    if valid_id(&p) && valid_id(a) {
        Ok(format!("programmes/{p}/applications/{a}"))
    } else {
        Err(bad())
    }
}

/// `programmes/P/applications/A/reviews/R` from the whole name or `P/A/R`.
pub fn review(text: &str) -> Result<String, String> {
    let bad = || format!("{text:?} is not a review: give programmes/P/applications/A/reviews/R or P/A/R");
    let parts: Vec<&str> = text.split('/').collect();
    let (p, a, r) = match parts.as_slice() {
        ["programmes", p, "applications", a, "reviews", r] => (*p, *a, *r),
        [p, a, r] => (*p, *a, *r),
        _ => return Err(bad()),
    };
    if valid_id(p) && valid_id(a) && valid_id(r) {
        Ok(format!("programmes/{p}/applications/{a}/reviews/{r}"))
    } else {
        Err(bad())
    }
}

/// `programmes/P/applications/A/documents/D` from the whole name or `P/A/D`.
pub fn document(text: &str) -> Result<String, String> {
    let bad = || format!("{text:?} is not a document: give programmes/P/applications/A/documents/D or P/A/D");
    let parts: Vec<&str> = text.split('/').collect();
    let (p, a, d) = match parts.as_slice() {
        ["programmes", p, "applications", a, "documents", d] => (*p, *a, *d),
        [p, a, d] => (*p, *a, *d),
        _ => return Err(bad()),
    };
    if valid_id(p) && valid_id(a) && valid_id(d) {
        Ok(format!("programmes/{p}/applications/{a}/documents/{d}"))
    } else {
        Err(bad())
    }
}

/// `programmes/P/applications/A/reports/N` from the whole name, `P/A/N`
/// or `P/A/reports/N`.
pub fn report(text: &str) -> Result<String, String> {
    let bad = || format!("{text:?} is not a report: give programmes/P/applications/A/reports/N or P/A/N");
    let parts: Vec<&str> = text.split('/').collect();
    let (p, a, n) = match parts.as_slice() {
        ["programmes", p, "applications", a, "reports", n] => (*p, *a, *n),
        [p, a, "reports", n] | [p, a, n] => (*p, *a, *n),
        _ => return Err(bad()),
    };
    let number = !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0');
    if valid_id(p) && valid_id(a) && number {
        Ok(format!("programmes/{p}/applications/{a}/reports/{n}"))
    } else {
        Err(bad())
    }
}

/// `P/A/N` for a report name, the short form grantctl accepts.
pub fn short_report(name: &str) -> String {
    match name.split('/').collect::<Vec<_>>().as_slice() {
        ["programmes", p, "applications", a, "reports", n] => format!("{p}/{a}/{n}"),
        _ => name.to_owned(),
    }
}

/// A document of `application` (a whole application name): the
/// document's whole name, `P/A/D`, or its bare id `D`.
pub fn document_of(application: &str, text: &str) -> Result<String, String> {
    if text.contains('/') {
        return document(text);
    }
    if valid_id(text) {
        Ok(format!("{application}/documents/{text}"))
    } else {
        Err(format!(
            "{text:?} is not a document: give programmes/P/applications/A/documents/D, P/A/D, or the bare id D"
        ))
    }
}

/// `P/A/D` for a document name, the short form grantctl accepts.
pub fn short_document(name: &str) -> String {
    match name.split('/').collect::<Vec<_>>().as_slice() {
        ["programmes", p, "applications", a, "documents", d] => format!("{p}/{a}/{d}"),
        _ => name.to_owned(),
    }
}

/// The last segment of a resource name (its id).
pub fn id(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// `P/A` for an application name, the short form grantctl accepts.
pub fn short_application(name: &str) -> String {
    match name.split('/').collect::<Vec<_>>().as_slice() {
        ["programmes", p, "applications", a] => format!("{p}/{a}"),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_names_and_bare_ids() {
        assert_eq!(institution("abc123").unwrap(), "institutions/abc123");
        assert_eq!(institution("institutions/abc123").unwrap(), "institutions/abc123");
        assert!(institution("programmes/abc").is_err());
        assert_eq!(webhook("0193abc").unwrap(), "webhooks/0193abc");
        assert_eq!(webhook("webhooks/0193abc").unwrap(), "webhooks/0193abc");
        assert!(webhook("apiKeys/0193abc").is_err());
        assert!(webhook("webhooks/").is_err());
        assert_eq!(
            application("programmes/p1/applications/a1", None).unwrap(),
            "programmes/p1/applications/a1"
        );
        assert_eq!(application("p1/a1", None).unwrap(), "programmes/p1/applications/a1");
        assert_eq!(
            application("a1", Some("programmes/p1")).unwrap(),
            "programmes/p1/applications/a1"
        );
        assert!(application("a1", None).is_err());
        assert_eq!(short_application("programmes/p1/applications/a1"), "p1/a1");
        assert_eq!(
            review("programmes/p1/applications/a1/reviews/r1").unwrap(),
            "programmes/p1/applications/a1/reviews/r1"
        );
        assert_eq!(review("p1/a1/r1").unwrap(), "programmes/p1/applications/a1/reviews/r1");
        assert!(review("p1/a1").is_err());
        assert!(review("programmes/p1/applications/a1/disbursements/r1").is_err());
        assert_eq!(
            document("p1/a1/d1").unwrap(),
            "programmes/p1/applications/a1/documents/d1"
        );
        assert_eq!(
            document("programmes/p1/applications/a1/documents/d1").unwrap(),
            "programmes/p1/applications/a1/documents/d1"
        );
        assert!(document("programmes/p1/applications/a1/reviews/d1").is_err());
        assert!(document("p1/a1").is_err());
        assert!(document("p1/a1/../x").is_err());
        assert_eq!(short_document("programmes/p1/applications/a1/documents/d1"), "p1/a1/d1");
    }

    #[test]
    fn report_names() {
        let whole = "programmes/p1/applications/a1/reports/2";
        for text in [whole, "p1/a1/2", "p1/a1/reports/2"] {
            assert_eq!(report(text).unwrap(), whole, "{text}");
        }
        for bad in [
            "p1/a1",
            "p1/a1/0",
            "p1/a1/02",
            "p1/a1/two",
            "p1/a1/-1",
            "programmes/p1/applications/a1/documents/2",
            "P1/a1/1",
        ] {
            assert!(report(bad).is_err(), "{bad}");
        }
        assert_eq!(short_report(whole), "p1/a1/2");
        let a = "programmes/p1/applications/a1";
        assert_eq!(document_of(a, "d1").unwrap(), format!("{a}/documents/d1"));
        assert_eq!(
            document_of(a, "p2/a2/d2").unwrap(),
            "programmes/p2/applications/a2/documents/d2"
        );
        assert!(document_of(a, "D 1").is_err());
    }
}

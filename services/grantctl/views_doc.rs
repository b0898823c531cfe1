//! Views of documents: a document's row and field list, a programme's
//! document requirements, and the document activity of events (see
//! views.rs for the other resources).

use gba_grants::proto::v1;
use gba_grants::proto::v1::document_activity::Kind;
use serde_json::Value;

use crate::json::out;
use crate::views::{Resource, time};
use crate::{media, names, size, table};

/// A kind as `--kind` takes it: `PROPOSAL`, `PARTNER_LETTER`.
pub fn kind_word(v: i32) -> String {
    match v1::DocumentKind::try_from(v) {
        Ok(v1::DocumentKind::Unspecified) => "—".to_owned(),
        Ok(k) => k.as_str_name().trim_start_matches("DOCUMENT_KIND_").to_owned(),
        Err(_) => format!("kind {v}"),
    }
}

/// The first 12 digits of a SHA-256: enough to tell documents apart.
pub fn short_sha(sha256: &str) -> String {
    sha256.chars().take(12).collect()
}

fn version(d: &v1::Document) -> String {
    if d.superseded {
        format!("{} (superseded)", d.version)
    } else {
        d.version.to_string()
    }
}

impl Resource for v1::Document {
    const PLURAL: &'static str = "documents";

    fn name(&self) -> String {
        self.name.clone()
    }

    fn json(&self) -> Value {
        out::document(self)
    }

    fn header() -> &'static [&'static str] {
        &["NAME", "KIND", "VERSION", "FILE", "SIZE", "SHA256", "UPLOADED"]
    }

    fn row(&self) -> Vec<String> {
        vec![
            names::short_document(&self.name),
            kind_word(self.kind),
            version(self),
            table::truncate(&self.file_name, 40),
            size::human(self.size_bytes),
            short_sha(&self.sha256),
            time(self.create_time.as_ref()),
        ]
    }

    fn details(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Name", self.name.clone()),
            ("Kind", kind_word(self.kind)),
            ("Version", version(self)),
            ("File", self.file_name.clone()),
            ("Media type", self.media_type.clone()),
            (
                "Size",
                format!(
                    "{} bytes ({})",
                    size::grouped(self.size_bytes),
                    size::human(self.size_bytes)
                ),
            ),
            ("SHA-256", self.sha256.clone()),
            ("Uploader", self.uploader.clone()),
            ("Uploaded", time(self.create_time.as_ref())),
        ]
    }
}

/// One requirement: `PROPOSAL: required, pdf, at most 20.0 MiB`.
pub fn requirement(r: &v1::DocumentRequirement) -> String {
    let mut text = format!(
        "{}: {}",
        kind_word(r.kind),
        if r.required { "required" } else { "optional" }
    );
    if r.media_types.is_empty() {
        text.push_str(", any type");
    } else {
        let types: Vec<&str> = r.media_types.iter().map(|m| media::short(m)).collect();
        text.push_str(&format!(", {}", types.join(" or ")));
    }
    if r.max_size_bytes > 0 {
        text.push_str(&format!(", at most {}", size::human(r.max_size_bytes)));
    }
    text
}

/// A programme's document requirements, one a line (none when the
/// programme takes any kind and requires none).
pub fn requirements_details(p: &v1::Programme) -> Vec<(&'static str, String)> {
    if p.document_requirements.is_empty() {
        return Vec::new();
    }
    let lines: Vec<String> = p.document_requirements.iter().map(requirement).collect();
    vec![("Documents", lines.join("\n"))]
}

/// What a document event did: `DOCUMENT_ADDED proposal.pdf v1`.
pub fn activity(a: &v1::DocumentActivity) -> String {
    let what = match Kind::try_from(a.kind) {
        Ok(Kind::Unspecified) | Err(_) => format!("document activity {}", a.kind),
        Ok(k) => k.as_str_name().trim_start_matches("KIND_").to_owned(),
    };
    match &a.document {
        Some(d) => format!("{what} {} v{}", d.file_name, d.version),
        None => what,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_and_activity_read_briefly() {
        let r = v1::DocumentRequirement {
            kind: v1::DocumentKind::Proposal as i32,
            required: true,
            media_types: vec![media::PDF.into()],
            max_size_bytes: 20 << 20,
        };
        assert_eq!(requirement(&r), "PROPOSAL: required, pdf, at most 20.0 MiB");
        let r = v1::DocumentRequirement {
            kind: v1::DocumentKind::PartnerLetter as i32,
            ..Default::default()
        };
        assert_eq!(requirement(&r), "PARTNER_LETTER: optional, any type");
        let a = v1::DocumentActivity {
            kind: Kind::DocumentAdded as i32,
            document: Some(v1::Document {
                file_name: "proposal.pdf".into(),
                version: 1,
                ..Default::default()
            }),
        };
        assert_eq!(activity(&a), "DOCUMENT_ADDED proposal.pdf v1");
    }
}

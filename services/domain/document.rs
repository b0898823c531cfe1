//! Documents of an application: their kinds, what a programme asks of
//! each kind, what an upload declares, and the check of content against
//! its media type. The content itself is the store's (`ports::Blobs`).

use super::error::{Error, Reason, Result, Violations};
use super::ids::{ApiKeyName, ApplicationName, DocumentName};
use super::text;
use super::time::Timestamp;

/// Chunks of an upload or a download are at most this large.
pub const MAX_CHUNK_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocumentKind {
    Proposal,
    Budget,
    PartnerLetter,
    EthicsApproval,
    Other,
    /// A report after the award: uploaded only while the grant runs.
    Report,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 6] = [
        DocumentKind::Proposal,
        DocumentKind::Budget,
        DocumentKind::PartnerLetter,
        DocumentKind::EthicsApproval,
        DocumentKind::Other,
        DocumentKind::Report,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Proposal => "PROPOSAL",
            DocumentKind::Budget => "BUDGET",
            DocumentKind::PartnerLetter => "PARTNER_LETTER",
            DocumentKind::EthicsApproval => "ETHICS_APPROVAL",
            DocumentKind::Other => "OTHER",
            DocumentKind::Report => "REPORT",
        }
    }

    /// Uploads of this kind are taken in `state`: reports while the grant
    /// runs (APPROVED or ACTIVE), the others while the application may be
    /// edited (they are frozen at submission).
    pub fn check_upload_state(self, name: &impl std::fmt::Display, state: super::application::State) -> Result<()> {
        use super::application::State;
        let (open, why) = match self {
            DocumentKind::Report => (
                matches!(state, State::Approved | State::Active),
                "REPORT documents are uploaded while the grant runs (APPROVED or ACTIVE)",
            ),
            _ => (state.is_editable(), "documents are frozen once submitted"),
        };
        if open {
            return Ok(());
        }
        Err(Error::precondition(
            super::error::Reason::InvalidState,
            format!("{why}: {name} is {}", state.as_str()),
        ))
    }

    /// Parses `PROPOSAL`, `DOCUMENT_KIND_PROPOSAL` or `proposal`.
    pub fn parse(value: &str, field: &str) -> Result<Self> {
        let upper = text::enum_word(value);
        let bare = upper.strip_prefix("DOCUMENT_KIND_").unwrap_or(&upper);
        Self::ALL.into_iter().find(|k| k.as_str() == bare).ok_or_else(|| {
            Error::invalid(
                field,
                format!(
                    "{} is not a document kind (PROPOSAL, BUDGET, PARTNER_LETTER, ETHICS_APPROVAL, OTHER, REPORT)",
                    text::excerpt(value)
                ),
            )
        })
    }
}

/// The media types whose content the server can recognise, and so takes.
pub const MEDIA_TYPES: [&str; 7] = [PDF, "image/png", "image/jpeg", DOCX, XLSX, "text/csv", "text/plain"];
const PDF: &str = "application/pdf";
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What a programme asks of one kind of document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRequirement {
    pub kind: DocumentKind,
    pub required: bool,
    /// Empty: every type of [`MEDIA_TYPES`].
    pub media_types: Vec<String>,
    /// 0: the server's limit.
    pub max_size_bytes: i64,
}

/// A requirement as a client sends it, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct RequirementInput {
    pub kind: String,
    pub required: bool,
    pub media_types: Vec<String>,
    pub max_size_bytes: i64,
}

impl DocumentRequirement {
    pub fn takes(&self, media_type: &str) -> bool {
        if self.media_types.is_empty() {
            MEDIA_TYPES.contains(&media_type)
        } else {
            self.media_types.iter().any(|m| m == media_type)
        }
    }

    /// The largest document of this kind under a server limit of `server`.
    pub fn limit(&self, server: i64) -> i64 {
        match self.max_size_bytes {
            0 => server,
            n => n.min(server),
        }
    }
}

/// Checks a programme's requirements (as a create or an update sends
/// them), naming `{prefix}document_requirements[i].…` on error.
pub fn requirements(inputs: Vec<RequirementInput>, prefix: &str) -> Result<Vec<DocumentRequirement>> {
    let mut v = Violations::new();
    let mut out: Vec<DocumentRequirement> = Vec::new();
    for (i, r) in inputs.into_iter().enumerate() {
        let f = |name: &str| format!("{prefix}document_requirements[{i}].{name}");
        let kind = match DocumentKind::parse(&r.kind, &f("kind")) {
            Ok(kind) if out.iter().any(|o| o.kind == kind) => {
                v.add(f("kind"), format!("{} is listed twice", kind.as_str()));
                None
            }
            other => v.check(other),
        };
        let mut media_types: Vec<String> = Vec::new();
        for (j, m) in r.media_types.iter().enumerate() {
            let m = m.trim().to_ascii_lowercase();
            if !MEDIA_TYPES.contains(&m.as_str()) {
                v.add(
                    format!("{prefix}document_requirements[{i}].media_types[{j}]"),
                    format!(
                        "{} is not a media type the server recognises ({})",
                        text::excerpt(&m),
                        MEDIA_TYPES.join(", ")
                    ),
                );
            } else if !media_types.contains(&m) {
                media_types.push(m);
            }
        }
        if r.max_size_bytes < 0 {
            v.add(f("max_size_bytes"), "must be 0 (the server's limit) or more");
        }
        if let Some(kind) = kind {
            out.push(DocumentRequirement {
                kind,
                required: r.required,
                media_types,
                max_size_bytes: r.max_size_bytes.max(0),
            });
        }
    }
    v.finish()?;
    Ok(out)
}

/// One version of one kind of document of an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub name: DocumentName,
    pub kind: DocumentKind,
    pub version: i32,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    /// Lowercase hexadecimal.
    pub sha256: String,
    pub uploader: ApiKeyName,
    pub create_time: Timestamp,
    pub superseded: bool,
}

/// What a change decides on about an application's documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSummary {
    pub name: DocumentName,
    pub kind: DocumentKind,
    pub version: i32,
}

/// A document write decided on with a change of its application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentWrite {
    Add(Document),
    Delete(Document),
}

impl DocumentWrite {
    pub fn document(&self) -> &Document {
        match self {
            DocumentWrite::Add(d) | DocumentWrite::Delete(d) => d,
        }
    }
}

/// What an upload declares, as a client sends it.
#[derive(Debug, Clone, Default)]
pub struct UploadInput {
    pub parent: String,
    pub kind: String,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

/// An upload's declaration, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub parent: ApplicationName,
    pub kind: DocumentKind,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

impl Upload {
    pub fn parse(input: UploadInput) -> Result<Self> {
        let mut v = Violations::new();
        let f = |name: &str| format!("upload.{name}");
        let parent = v.check(ApplicationName::parse(&input.parent, &f("parent")));
        let kind = v.check(DocumentKind::parse(&input.kind, &f("kind")));
        let file_name = v.check(text::line(&input.file_name, &f("file_name"), 255));
        if let Some(name) = &file_name
            && (name.contains('/') || name.contains('\\') || name == "." || name == "..")
        {
            v.add(f("file_name"), "must be a file's name, not a path");
        }
        let media_type = input.media_type.trim().to_ascii_lowercase();
        if !MEDIA_TYPES.contains(&media_type.as_str()) {
            v.add(
                f("media_type"),
                format!(
                    "{} is not a media type the server takes ({})",
                    text::excerpt(&input.media_type),
                    MEDIA_TYPES.join(", ")
                ),
            );
        }
        if input.size_bytes < 1 {
            v.add(f("size_bytes"), "must be 1 or more");
        }
        let sha256 = input.sha256.trim().to_ascii_lowercase();
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            v.add(f("sha256"), "must be 64 hexadecimal digits");
        }
        v.finish()?;
        match (parent, kind, file_name) {
            (Some(parent), Some(kind), Some(file_name)) => Ok(Self {
                parent,
                kind,
                file_name,
                media_type,
                size_bytes: input.size_bytes,
                sha256,
            }),
            _ => Err(Error::internal("an upload checked without its fields")),
        }
    }
}

/// How many leading bytes are enough to recognise every type of
/// [`MEDIA_TYPES`].
pub const SNIFF_BYTES: usize = 64 * 1024;

/// Whether `head` (the first [`SNIFF_BYTES`] of the content, or all of
/// it when shorter; `complete` when that is the whole content) is of
/// `media_type`.
pub fn content_is(media_type: &str, head: &[u8], complete: bool) -> bool {
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    match media_type {
        PDF => head.starts_with(b"%PDF-"),
        "image/png" => head.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => head.starts_with(&[0xFF, 0xD8, 0xFF]),
        // Office Open XML: a zip whose first entries name the parts of a
        // Word document or of a workbook.
        DOCX => head.starts_with(b"PK\x03\x04") && has(b"word/"),
        XLSX => head.starts_with(b"PK\x03\x04") && has(b"xl/"),
        "text/csv" | "text/plain" => is_text(head, complete),
        _ => false,
    }
}

/// UTF-8 without control characters but tab, line feed, carriage return
/// and form feed; a character cut at the end of an incomplete head is
/// fine.
fn is_text(head: &[u8], complete: bool) -> bool {
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(err) if !complete && err.error_len().is_none() => match std::str::from_utf8(&head[..err.valid_up_to()]) {
            Ok(text) => text,
            Err(_) => return false,
        },
        Err(_) => return false,
    };
    text.chars()
        .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
}

/// The refusal of content that is not of its declared media type.
pub fn not_of_media_type(media_type: &str) -> Error {
    Error::InvalidArgument {
        reason: Reason::MediaTypeMismatch,
        violations: vec![super::error::FieldViolation::new(
            "upload.media_type",
            format!("the content is not {media_type}"),
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_media_type_by_its_content() {
        let docx = b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml....word/document.xml";
        let xlsx = b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml....xl/workbook.xml";
        assert!(content_is(PDF, b"%PDF-1.7\n", true));
        assert!(!content_is(PDF, b"<html>", true));
        assert!(content_is("image/png", b"\x89PNG\r\n\x1a\n....", true));
        assert!(content_is("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0], true));
        assert!(content_is(DOCX, docx, false));
        assert!(!content_is(XLSX, docx, false));
        assert!(content_is(XLSX, xlsx, false));
        assert!(content_is("text/csv", "名稱,金額\n港大,1\n".as_bytes(), true));
        assert!(!content_is("text/plain", b"MZ\x90\x00\x03", true));
        // A character cut at the end of a head is fine; inside one, not.
        let cut = &"港大".as_bytes()[..4];
        assert!(content_is("text/plain", cut, false));
        assert!(!content_is("text/plain", cut, true));
    }

    #[test]
    fn an_upload_names_each_bad_field() {
        let err = Upload::parse(UploadInput {
            parent: "programmes/p".into(),
            kind: "thesis".into(),
            file_name: "../etc/passwd".into(),
            media_type: "application/x-msdownload".into(),
            size_bytes: 0,
            sha256: "abc".into(),
        })
        .unwrap_err();
        let Error::InvalidArgument { violations, .. } = err else {
            panic!("{err:?}")
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "upload.parent",
                "upload.kind",
                "upload.file_name",
                "upload.media_type",
                "upload.size_bytes",
                "upload.sha256"
            ]
        );
    }
}

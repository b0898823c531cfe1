//! Document messages.

use crate::domain::Result;
use crate::domain::document::{Document, DocumentKind, DocumentRequirement, RequirementInput, UploadInput};
use crate::domain::event::{DocumentActivity, DocumentActivityKind};
use crate::proto::v1;

use super::common::time_out;

/// A kind's name as the domain parses it ("" for UNSPECIFIED, which it
/// refuses naming the field).
fn kind_name(value: i32) -> String {
    match v1::DocumentKind::try_from(value) {
        Ok(v1::DocumentKind::Unspecified) => String::new(),
        Ok(kind) => kind.as_str_name().to_owned(),
        Err(_) => value.to_string(),
    }
}

pub fn kind_out(value: DocumentKind) -> v1::DocumentKind {
    match value {
        DocumentKind::Proposal => v1::DocumentKind::Proposal,
        DocumentKind::Budget => v1::DocumentKind::Budget,
        DocumentKind::PartnerLetter => v1::DocumentKind::PartnerLetter,
        DocumentKind::EthicsApproval => v1::DocumentKind::EthicsApproval,
        DocumentKind::Other => v1::DocumentKind::Other,
        DocumentKind::Report => v1::DocumentKind::Report,
    }
}

pub fn upload_in(value: v1::DocumentUpload) -> UploadInput {
    let v1::DocumentUpload {
        parent,
        kind,
        file_name,
        media_type,
        size_bytes,
        sha256,
        request_id: _,
    } = value;
    UploadInput {
        parent,
        kind: kind_name(kind),
        file_name,
        media_type,
        size_bytes,
        sha256,
    }
}

pub fn output(value: Document) -> v1::Document {
    let Document {
        name,
        kind,
        version,
        file_name,
        media_type,
        size_bytes,
        sha256,
        uploader,
        create_time,
        superseded,
    } = value;
    v1::Document {
        name: name.to_string(),
        kind: kind_out(kind).into(),
        version,
        file_name,
        media_type,
        size_bytes,
        sha256,
        uploader: super::common::name_or_empty(&uploader, uploader.id()),
        create_time: Some(time_out(create_time)),
        superseded,
    }
}

pub fn requirement_in(value: v1::DocumentRequirement, _at: usize) -> Result<RequirementInput> {
    let v1::DocumentRequirement {
        kind,
        required,
        media_types,
        max_size_bytes,
    } = value;
    Ok(RequirementInput {
        kind: kind_name(kind),
        required,
        media_types,
        max_size_bytes,
    })
}

pub fn requirement_out(value: DocumentRequirement) -> v1::DocumentRequirement {
    let DocumentRequirement {
        kind,
        required,
        media_types,
        max_size_bytes,
    } = value;
    v1::DocumentRequirement {
        kind: kind_out(kind).into(),
        required,
        media_types,
        max_size_bytes,
    }
}

pub fn activity_out(value: DocumentActivity) -> v1::DocumentActivity {
    use v1::document_activity::Kind;
    let DocumentActivity { kind, document } = value;
    v1::DocumentActivity {
        kind: match kind {
            DocumentActivityKind::DocumentAdded => Kind::DocumentAdded,
            DocumentActivityKind::DocumentReplaced => Kind::DocumentReplaced,
            DocumentActivityKind::DocumentDeleted => Kind::DocumentDeleted,
        }
        .into(),
        document: Some(output(document)),
    }
}

//! Rows of `document` and `document_object`, and their conversions.

use sea_orm::entity::prelude::*;

use super::{corrupt, entity};
use crate::domain::Result;
use crate::domain::document::{Document, DocumentKind, DocumentSummary};
use crate::domain::ids::{ApiKeyName, ApplicationName, DocumentName, ProgrammeName};
use crate::domain::time::Timestamp;

entity! {
    #[sea_orm(table_name = "document")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub application_id: String,
        pub programme_id: String,
        pub kind: String,
        pub version: i32,
        pub file_name: String,
        pub media_type: String,
        pub size_bytes: i64,
        pub sha256: String,
        pub uploader_key: String,
        pub create_time: i64,
    }
}

pub fn name(m: &Model) -> DocumentName {
    DocumentName::new(
        ApplicationName::new(ProgrammeName::from_id(m.programme_id.clone()), m.application_id.clone()),
        m.id.clone(),
    )
}

fn kind(text: &str) -> Result<DocumentKind> {
    DocumentKind::parse(text, "kind").map_err(|e| corrupt("document", e))
}

/// The document of row `m`; `superseded` when a later version of its
/// kind exists.
pub fn to_domain(m: Model, superseded: bool) -> Result<Document> {
    Ok(Document {
        name: name(&m),
        kind: kind(&m.kind)?,
        version: m.version,
        file_name: m.file_name,
        media_type: m.media_type,
        size_bytes: m.size_bytes,
        sha256: m.sha256,
        uploader: ApiKeyName::from_id(m.uploader_key),
        create_time: Timestamp::from_micros(m.create_time),
        superseded,
    })
}

pub fn summary(m: &Model) -> Result<DocumentSummary> {
    Ok(DocumentSummary {
        name: name(m),
        kind: kind(&m.kind)?,
        version: m.version,
    })
}

pub fn to_model(d: &Document) -> Model {
    Model {
        id: d.name.id().to_owned(),
        application_id: d.name.application.id().to_owned(),
        programme_id: d.name.application.programme.id().to_owned(),
        kind: d.kind.as_str().to_owned(),
        version: d.version,
        file_name: d.file_name.clone(),
        media_type: d.media_type.clone(),
        size_bytes: d.size_bytes,
        sha256: d.sha256.clone(),
        uploader_key: d.uploader.id().to_owned(),
        create_time: d.create_time.micros(),
    }
}

/// A document as JSON (events and kept responses): its row, and whether it
/// was superseded.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Kept {
    pub row: Model,
    #[serde(default)]
    pub superseded: bool,
}

pub fn to_kept(d: &Document) -> Kept {
    Kept {
        row: to_model(d),
        superseded: d.superseded,
    }
}

pub fn from_kept(k: Kept) -> Result<Document> {
    to_domain(k.row, k.superseded)
}

/// The claims on objects: an object whose claim runs out and that no
/// document names is the sweeper's.
pub mod object {
    use sea_orm::entity::prelude::*;

    use crate::store::rows::entity;

    entity! {
        #[sea_orm(table_name = "document_object")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub sha256: String,
            /// Microseconds since the epoch.
            pub claimed_until: i64,
        }
    }
}

//! Documents: uploads checked while they stream, downloads, reads, deletes,
//! and the sweeper of objects no document names.
//!
//! An upload's content goes to the object store under its SHA-256 while it
//! is checked (size, checksum, media type, limits); nothing is visible
//! until it is whole and right. Then the object is claimed (the sweeper
//! leaves it alone), made visible, and only then is the document's row
//! written, with a change of its application: never a row without its
//! object.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sha2::{Digest, Sha256};

use super::{Grants, RequestKey, idempotency};
use crate::domain::access::{Caller, Role};
use crate::domain::document::{self, Document, DocumentKind, MAX_CHUNK_BYTES, SNIFF_BYTES, Upload, UploadInput};
use crate::domain::error::{Error, FieldViolation, Reason, Result};
use crate::domain::ids::{ApiKeyName, DocumentName};
use crate::domain::lifecycle::{self, not_visible};
use crate::domain::page::{Page, PageRequest};
use crate::domain::ports::{BlobWriter, Blobs};
use crate::domain::time::Timestamp;

/// The server's limits on documents.
#[derive(Debug, Clone, Copy)]
pub struct DocumentLimits {
    /// The largest document, in bytes (a programme may ask for less).
    pub max_document_bytes: i64,
    /// Document versions one application may carry.
    pub max_documents_per_application: usize,
    /// Uploads one key may have in progress.
    pub max_uploads_per_key: usize,
    /// How long an object stays claimed once uploaded; the sweeper
    /// removes objects no document names only after that.
    pub claim: Duration,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        Self {
            max_document_bytes: 256 << 20,
            max_documents_per_application: 100,
            max_uploads_per_key: 4,
            claim: Duration::from_secs(24 * 3600),
        }
    }
}

/// The object store and the limits, with the uploads in progress per key.
pub struct Documents {
    blobs: Arc<dyn Blobs>,
    limits: DocumentLimits,
    uploads: Mutex<HashMap<ApiKeyName, usize>>,
}

impl Documents {
    pub fn new(blobs: Arc<dyn Blobs>, limits: DocumentLimits) -> Self {
        Self {
            blobs,
            limits,
            uploads: Mutex::default(),
        }
    }

    /// A slot for one more upload of `key`, given back when dropped.
    fn slot(self: &Arc<Self>, key: &ApiKeyName) -> Result<UploadSlot> {
        let mut uploads = self.uploads.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = uploads.entry(key.clone()).or_insert(0);
        if *n >= self.limits.max_uploads_per_key {
            return Err(Error::ResourceExhausted {
                reason: Reason::TooManyUploadsPerKey,
                message: format!(
                    "this key has {n} uploads in progress, the most the server allows (--max-uploads-per-key); retry when one ends"
                ),
            });
        }
        *n += 1;
        Ok(UploadSlot {
            documents: self.clone(),
            key: key.clone(),
        })
    }
}

struct UploadSlot {
    documents: Arc<Documents>,
    key: ApiKeyName,
}

impl Drop for UploadSlot {
    fn drop(&mut self) {
        let mut uploads = self
            .documents
            .uploads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = uploads.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                uploads.remove(&self.key);
            }
        }
    }
}

fn invalid(reason: Reason, field: &str, message: String) -> Error {
    Error::InvalidArgument {
        reason,
        violations: vec![FieldViolation::new(field, message)],
    }
}

fn too_large(limit: i64) -> Error {
    Error::ResourceExhausted {
        reason: Reason::DocumentTooLarge,
        message: format!("the document is larger than the {limit} bytes its kind may have"),
    }
}

/// What the sweeper did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub removed: u64,
    pub kept: u64,
}

impl Grants {
    fn documents(&self) -> Result<&Arc<Documents>> {
        self.documents.as_ref().ok_or_else(|| Error::Unavailable {
            reason: Reason::DocumentStoreUnavailable,
            message: "this server has no document store".into(),
        })
    }

    /// Uploads a document: `content` is its bytes, in chunks, as they
    /// arrive.
    pub async fn upload_document(
        &self,
        caller: &Caller,
        input: UploadInput,
        content: BoxStream<'static, Result<Bytes>>,
        request: Option<RequestKey>,
    ) -> Result<Document> {
        let documents = self.documents()?.clone();
        caller.require(&[Role::Admin, Role::Applicant], "upload documents")?;
        let upload = Upload::parse(input)?;
        let idem = idempotency(caller, request)?;
        // Refused before a byte is taken: the application out of reach or
        // frozen, the kind or type not taken, the size over the limit.
        let application = self.get_application(caller, &upload.parent).await?;
        crate::domain::lifecycle::require_own(caller, &application, "upload its documents")?;
        upload.kind.check_upload_state(&application.name, application.state)?;
        let programme = self
            .store
            .get_programme(&upload.parent.programme)
            .await?
            .ok_or_else(|| not_visible(&upload.parent))?;
        let server_limit = documents.limits.max_document_bytes;
        let limit = match programme.documents.iter().find(|r| r.kind == upload.kind) {
            Some(r) => {
                if !r.takes(&upload.media_type) {
                    let taken = if r.media_types.is_empty() {
                        document::MEDIA_TYPES.join(", ")
                    } else {
                        r.media_types.join(", ")
                    };
                    return Err(Error::invalid(
                        "upload.media_type",
                        format!("{} takes {} documents as {taken}", programme.name, upload.kind.as_str()),
                    ));
                }
                r.limit(server_limit)
            }
            None if programme.documents.is_empty() || upload.kind == DocumentKind::Report => server_limit,
            None => {
                let taken: Vec<&str> = programme.documents.iter().map(|r| r.kind.as_str()).collect();
                return Err(Error::invalid(
                    "upload.kind",
                    format!("{} takes documents of kinds {} only", programme.name, taken.join(", ")),
                ));
            }
        };
        if upload.size_bytes > limit {
            return Err(too_large(limit));
        }
        let slot = documents.slot(&caller.key)?;
        // The content is taken in a task of its own: if the client goes
        // away, its stream ends in an error there and the upload is given
        // up explicitly, whatever becomes of this call.
        let (grants, who) = (self.clone(), caller.clone());
        let task = tokio::spawn(async move {
            let _slot = slot;
            grants
                .store_upload(&who, &documents, upload, limit, content, idem)
                .await
        });
        task.await
            .map_err(|e| Error::internal(format!("an upload did not run to its end: {e}")))?
    }

    /// Takes an upload's content into the object store, checking it, then
    /// writes the document's row with a change of its application.
    async fn store_upload(
        &self,
        caller: &Caller,
        documents: &Documents,
        upload: Upload,
        limit: i64,
        mut content: BoxStream<'static, Result<Bytes>>,
        idem: Option<crate::domain::ports::Idempotency>,
    ) -> Result<Document> {
        let mut writer = documents.blobs.writer(&upload.sha256).await?;
        let received = receive(&upload, limit, &mut content, &mut *writer).await;
        if let Err(err) = received {
            let _ = writer.abort().await;
            return Err(err);
        }
        // Claimed before it becomes visible, so the sweeper cannot take it
        // between now and the row that names it.
        let now = Timestamp::now();
        let until = now.plus(documents.limits.claim);
        self.store.claim_object(&upload.sha256, until).await?;
        writer.finish().await?;

        let document = Document {
            name: DocumentName::generate(upload.parent.clone()),
            kind: upload.kind,
            version: 0,
            file_name: upload.file_name,
            media_type: upload.media_type,
            size_bytes: upload.size_bytes,
            sha256: upload.sha256,
            uploader: caller.key.clone(),
            create_time: now,
            superseded: false,
        };
        let (who, max) = (caller.clone(), documents.limits.max_documents_per_application);
        let decide: crate::domain::ports::ApplicationChange =
            Arc::new(move |s| lifecycle::add_document(&who, s, document.clone(), max, Timestamp::now()));
        let changed = self
            .apply_idem(caller, &upload.parent, idem, None, false, decide)
            .await?;
        changed
            .document
            .ok_or_else(|| Error::internal("an upload stored no document"))
    }

    /// A document's metadata and its content from `offset`.
    pub async fn download_document(
        &self,
        caller: &Caller,
        name: &DocumentName,
        offset: i64,
    ) -> Result<(Document, BoxStream<'static, Result<Bytes>>)> {
        let documents = self.documents()?.clone();
        if caller.role == Role::Viewer {
            return Err(Error::denied(
                Reason::RoleNotAllowed,
                "viewers read documents' metadata only, not their content",
            ));
        }
        let document = self.get_document(caller, name).await?;
        if offset < 0 || offset > document.size_bytes {
            return Err(Error::invalid(
                "offset",
                format!("must be within the document's {} bytes", document.size_bytes),
            ));
        }
        if offset == document.size_bytes {
            return Ok((document, futures_util::stream::empty().boxed()));
        }
        let content = documents.blobs.read(&document.sha256, offset as u64).await?;
        Ok((document, rechunk(content)))
    }

    /// A document's metadata, for whoever may read its application.
    pub async fn get_document(&self, caller: &Caller, name: &DocumentName) -> Result<Document> {
        self.get_application(caller, &name.application).await?;
        self.store.get_document(name).await?.ok_or_else(|| match caller.role {
            Role::Admin => Error::NotFound {
                resource: name.to_string(),
            },
            _ => not_visible(name),
        })
    }

    pub async fn list_documents(
        &self,
        caller: &Caller,
        parent: &crate::domain::ids::ApplicationName,
        all_versions: bool,
        page_size: i32,
        page_token: &str,
    ) -> Result<Page<Document>> {
        self.get_application(caller, parent).await?;
        let filter = if all_versions { "all" } else { "" };
        let page = PageRequest::parse(page_size, page_token, &parent.to_string(), filter)?;
        let rows = self.store.list_documents(parent, all_versions, &page).await?;
        Ok(Page::from_rows(&page, rows, |d: &Document| d.name.id().to_owned()))
    }

    pub async fn delete_document(
        &self,
        caller: &Caller,
        name: &DocumentName,
        request: Option<RequestKey>,
    ) -> Result<Document> {
        caller.require(&[Role::Admin, Role::Applicant], "delete documents")?;
        let idem = idempotency(caller, request)?;
        let document = self.get_document(caller, name).await?;
        let who = caller.clone();
        let decide: crate::domain::ports::ApplicationChange =
            Arc::new(move |s| lifecycle::delete_document(&who, s, &document, Timestamp::now()));
        let claim = name.to_string();
        self.apply_idem(caller, &name.application, idem, Some(&claim), false, decide)
            .await?
            .document
            .ok_or_else(|| Error::internal("a delete named no document"))
    }

    /// Removes the objects no document names whose claim ran out (and
    /// objects without a claim, older than the claim period).
    pub async fn sweep_documents(&self) -> Result<Swept> {
        let documents = self.documents()?.clone();
        let now = Timestamp::now();
        let mut swept = Swept::default();
        let mut candidates = self.store.expired_claims(now, 1_000).await?;
        let settled = now.minus(documents.limits.claim);
        for (sha256, written) in documents.blobs.list().await? {
            if written < settled && !candidates.contains(&sha256) {
                candidates.push(sha256);
            }
        }
        swept.removed += documents.blobs.tidy(settled).await?;
        for sha256 in candidates {
            let blobs = documents.blobs.clone();
            let key = sha256.clone();
            let remove: crate::domain::ports::BlobRemoval =
                Box::new(move || Box::pin(async move { blobs.delete(&key).await }));
            match self.store.sweep_object(&sha256, now, remove).await? {
                true => swept.removed += 1,
                false => swept.kept += 1,
            }
        }
        Ok(swept)
    }
}

/// Takes the content: checks each chunk against the limits and the
/// declaration, the media type on the first bytes, and the size and
/// checksum at the end, writing as it goes. The chunk taken last is
/// written while the next one arrives and is checked: the store's write
/// and the hashing overlap.
async fn receive(
    upload: &Upload,
    limit: i64,
    content: &mut BoxStream<'static, Result<Bytes>>,
    writer: &mut dyn BlobWriter,
) -> Result<()> {
    let mut check = Check::new(upload, limit);
    let mut taken = check.next(content).await?;
    while let Some(chunk) = taken {
        let (written, next) = futures_util::future::join(writer.write(chunk), check.next(content)).await;
        written?;
        taken = next?;
    }
    check.end()
}

/// What an upload's content is checked against as it arrives.
struct Check<'a> {
    upload: &'a Upload,
    limit: i64,
    hasher: Sha256,
    received: i64,
    /// The first bytes, until the media type is recognised.
    head: Vec<u8>,
    recognised: bool,
}

impl<'a> Check<'a> {
    fn new(upload: &'a Upload, limit: i64) -> Self {
        Self {
            upload,
            limit,
            hasher: Sha256::new(),
            received: 0,
            head: Vec::new(),
            recognised: false,
        }
    }

    /// The next chunk, checked and hashed; `None` at the end.
    async fn next(&mut self, content: &mut BoxStream<'static, Result<Bytes>>) -> Result<Option<Bytes>> {
        let Some(chunk) = content.next().await else {
            return Ok(None);
        };
        let chunk = chunk?;
        if chunk.is_empty() || chunk.len() > MAX_CHUNK_BYTES {
            return Err(Error::invalid("chunk", format!("must be 1 to {MAX_CHUNK_BYTES} bytes")));
        }
        self.received += chunk.len() as i64;
        if self.received > self.limit {
            return Err(too_large(self.limit));
        }
        if self.received > self.upload.size_bytes {
            return Err(invalid(
                Reason::SizeMismatch,
                "upload.size_bytes",
                format!("more than the {} bytes declared arrived", self.upload.size_bytes),
            ));
        }
        if !self.recognised {
            let take = (SNIFF_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
            if self.head.len() >= SNIFF_BYTES {
                if !document::content_is(&self.upload.media_type, &self.head, false) {
                    return Err(document::not_of_media_type(&self.upload.media_type));
                }
                self.recognised = true;
                self.head = Vec::new();
            }
        }
        self.hasher.update(&chunk);
        Ok(Some(chunk))
    }

    /// The size, the media type of a short document, and the checksum.
    fn end(self) -> Result<()> {
        let upload = self.upload;
        if self.received != upload.size_bytes {
            return Err(invalid(
                Reason::SizeMismatch,
                "upload.size_bytes",
                format!(
                    "{} bytes arrived, not the {} declared",
                    self.received, upload.size_bytes
                ),
            ));
        }
        if !self.recognised && !document::content_is(&upload.media_type, &self.head, true) {
            return Err(document::not_of_media_type(&upload.media_type));
        }
        let digest = hex::encode(self.hasher.finalize());
        if digest != upload.sha256 {
            return Err(invalid(
                Reason::ChecksumMismatch,
                "upload.sha256",
                format!("the content's SHA-256 is {digest}, not the one declared"),
            ));
        }
        Ok(())
    }
}

/// The object's pieces regrouped into chunks of up to [`MAX_CHUNK_BYTES`]
/// (a store may hand out small pieces; each message has a cost).
fn rechunk(content: BoxStream<'static, Result<Bytes>>) -> BoxStream<'static, Result<Bytes>> {
    futures_util::stream::unfold(
        (content, bytes::BytesMut::new(), false),
        |(mut content, mut buffer, mut done)| async move {
            loop {
                if buffer.len() >= MAX_CHUNK_BYTES || (done && !buffer.is_empty()) {
                    let take = buffer.len().min(MAX_CHUNK_BYTES);
                    let chunk = buffer.split_to(take).freeze();
                    return Some((Ok(chunk), (content, buffer, done)));
                }
                if done {
                    return None;
                }
                match content.next().await {
                    Some(Ok(piece)) if buffer.is_empty() && piece.len() == MAX_CHUNK_BYTES => {
                        return Some((Ok(piece), (content, buffer, done)));
                    }
                    Some(Ok(piece)) => buffer.extend_from_slice(&piece),
                    Some(Err(err)) => {
                        buffer.clear();
                        return Some((Err(err), (content, buffer, true)));
                    }
                    None => done = true,
                }
            }
        },
    )
    .boxed()
}

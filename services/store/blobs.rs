//! The document store: documents' content as objects addressed by SHA-256
//! (`{prefix}/sha256/{first two digits}/{digest}`), through the
//! `object_store` crate, in a local directory (the default, beside the
//! SQLite file) or an S3-compatible bucket (`s3://bucket/prefix`; AWS S3,
//! Alibaba Cloud OSS, Tencent COS, MinIO…, configured by the usual
//! `AWS_*` environment: `AWS_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_ALLOW_HTTP`).
//!
//! An object is written as a multipart upload: invisible until complete,
//! and aborted (nothing left behind) when the upload is refused or its
//! writer dropped. Locally each chunk is written as it arrives; S3 takes
//! parts of 5 MiB or more, so there chunks are gathered into parts, two
//! in flight at most. Reads go out in pieces of 1 MiB.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, MultipartUpload, ObjectStore, PutPayload, WriteMultipart};

use crate::domain::document::MAX_CHUNK_BYTES;
use crate::domain::ports::{BlobWriter, Blobs};
use crate::domain::time::Timestamp;
use crate::domain::{Error, Reason, Result};

/// The part size of an S3 multipart upload (S3's least, but the last).
const S3_PART_BYTES: usize = 5 << 20;

/// Objects in an `object_store` store.
#[derive(Debug)]
pub struct ObjectBlobs {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    /// Whether parts may be of any size (a local directory).
    any_part: bool,
    /// The directory, for a local store.
    dir: Option<std::path::PathBuf>,
    /// What the store is, for messages (never credentials).
    describe: String,
}

fn unavailable(describe: &str, err: impl std::fmt::Display) -> Error {
    Error::Unavailable {
        reason: Reason::DocumentStoreUnavailable,
        message: format!("the document store ({describe}) failed: {err}"),
    }
}

impl ObjectBlobs {
    /// The store `spec` names: `s3://bucket[/prefix]`, `file:///dir`, or a
    /// directory path (created if missing).
    pub fn open(spec: &str) -> Result<Self> {
        let bad = |why: String| Error::invalid("document_store", why);
        if let Some(rest) = spec.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(bad("names no bucket: give s3://bucket/prefix".into()));
            }
            let store = object_store::aws::AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .build()
                .map_err(|e| bad(format!("{spec}: {e}")))?;
            return Ok(Self {
                store: Arc::new(store),
                prefix: Path::from(prefix.trim_matches('/')),
                any_part: false,
                dir: None,
                describe: format!("s3://{bucket}"),
            });
        }
        let dir = spec.strip_prefix("file://").unwrap_or(spec);
        if dir.is_empty() || spec.contains("://") && !spec.starts_with("file://") {
            return Err(bad(format!(
                "{} is not a directory, file:///dir or s3://bucket/prefix",
                crate::domain::text::excerpt(spec)
            )));
        }
        std::fs::create_dir_all(dir).map_err(|e| bad(format!("cannot create {dir}: {e}")))?;
        let local = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| bad(format!("{dir}: {e}")))?
            .with_automatic_cleanup(true);
        // Reads of a file come in pieces of one message each.
        let store = object_store::chunked::ChunkedStore::new(Arc::new(local), MAX_CHUNK_BYTES);
        Ok(Self {
            store: Arc::new(store),
            prefix: Path::default(),
            any_part: true,
            dir: Some(std::path::PathBuf::from(dir)),
            describe: dir.to_owned(),
        })
    }

    fn path(&self, sha256: &str) -> Path {
        let shard = sha256.get(..2).unwrap_or("00");
        self.prefix.child("sha256").child(shard).child(sha256)
    }

    /// Whether the store answers (health checks at start).
    pub async fn check(&self) -> Result<()> {
        let probe = self.prefix.child("sha256");
        let mut listed = self.store.list(Some(&probe));
        match listed.next().await {
            Some(Err(err)) => Err(unavailable(&self.describe, err)),
            _ => Ok(()),
        }
    }
}

#[async_trait]
impl Blobs for ObjectBlobs {
    async fn writer(&self, sha256: &str) -> Result<Box<dyn BlobWriter>> {
        let upload = self
            .store
            .put_multipart(&self.path(sha256))
            .await
            .map_err(|e| unavailable(&self.describe, e))?;
        let inner = match self.any_part {
            true => Writing::Direct(upload),
            false => Writing::Parts(WriteMultipart::new_with_chunk_size(upload, S3_PART_BYTES)),
        };
        let file = self.dir.as_ref().map(|dir| dir.join(self.path(sha256).as_ref()));
        Ok(Box::new(ObjectWriter {
            inner: Some(inner),
            describe: self.describe.clone(),
            file,
        }))
    }

    async fn read(&self, sha256: &str, offset: u64) -> Result<BoxStream<'static, Result<Bytes>>> {
        let options = GetOptions {
            range: (offset > 0).then_some(GetRange::Offset(offset)),
            ..GetOptions::default()
        };
        let describe = self.describe.clone();
        let found = self
            .store
            .get_opts(&self.path(sha256), options)
            .await
            .map_err(|e| match e {
                object_store::Error::NotFound { .. } => {
                    Error::internal(format!("the content of document {sha256} is missing from the store"))
                }
                other => unavailable(&describe, other),
            })?;
        Ok(found
            .into_stream()
            .map(move |piece| piece.map_err(|e| unavailable(&describe, e)))
            .boxed())
    }

    async fn delete(&self, sha256: &str) -> Result<()> {
        match self.store.delete(&self.path(sha256)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(unavailable(&self.describe, err)),
        }
    }

    async fn list(&self) -> Result<Vec<(String, Timestamp)>> {
        let root = self.prefix.child("sha256");
        let mut listed = self.store.list(Some(&root));
        let mut out = Vec::new();
        while let Some(meta) = listed.next().await {
            let meta = meta.map_err(|e| unavailable(&self.describe, e))?;
            let Some(name) = meta.location.filename() else { continue };
            if name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
                let micros = meta.last_modified.timestamp_micros();
                out.push((name.to_owned(), Timestamp::from_micros(micros)));
            }
        }
        Ok(out)
    }

    /// Locally: the staging files of uploads a crash cut off (a writer
    /// that ends, or is dropped, removes its own). An S3 bucket keeps the
    /// parts of such uploads until its lifecycle rule aborts them
    /// (`AbortIncompleteMultipartUpload`); nothing of them is visible.
    async fn tidy(&self, before: Timestamp) -> Result<u64> {
        let Some(dir) = self.dir.clone() else { return Ok(0) };
        let before = std::time::UNIX_EPOCH + std::time::Duration::from_micros(before.micros().max(0) as u64);
        let describe = self.describe.clone();
        tokio::task::spawn_blocking(move || {
            let mut found = Vec::new();
            staging_files(&dir, before, &mut found);
            let mut removed = 0;
            for path in found {
                if std::fs::remove_file(&path).is_ok() {
                    removed += 1;
                }
            }
            removed
        })
        .await
        .map_err(|e| unavailable(&describe, e))
    }
}

/// The files under `dir` that uploads in progress write (`{object}#{n}`)
/// last written before `before`.
fn staging_files(dir: &std::path::Path, before: std::time::SystemTime, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            staging_files(&path, before, out);
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.contains('#'))
            && meta.modified().is_ok_and(|m| m < before)
        {
            out.push(path);
        }
    }
}

enum Writing {
    /// Each chunk a part, written as it comes (a local file).
    Direct(Box<dyn MultipartUpload>),
    /// Chunks gathered into parts of [`S3_PART_BYTES`].
    Parts(WriteMultipart),
}

/// An object being written; aborted if dropped unfinished.
struct ObjectWriter {
    inner: Option<Writing>,
    describe: String,
    /// The object's file in a local store: made durable once complete.
    file: Option<std::path::PathBuf>,
}

/// Flushes `file` and its directory's entry of it to the disk, so that a
/// document's row (committed after) never outlives its content through a
/// power cut. (`object_store`'s local store leaves both in the page
/// cache; an S3 store is durable once the upload is complete.)
fn durable(file: &std::path::Path) -> std::io::Result<()> {
    std::fs::File::open(file)?.sync_all()?;
    match file.parent() {
        Some(dir) => std::fs::File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

impl ObjectWriter {
    fn inner(&mut self) -> Result<&mut Writing> {
        self.inner
            .as_mut()
            .ok_or_else(|| Error::internal("an object written after it ended"))
    }
}

#[async_trait]
impl BlobWriter for ObjectWriter {
    async fn write(&mut self, bytes: Bytes) -> Result<()> {
        let describe = self.describe.clone();
        match self.inner()? {
            Writing::Direct(upload) => upload
                .put_part(PutPayload::from(bytes))
                .await
                .map_err(|e| unavailable(&describe, e)),
            Writing::Parts(parts) => {
                parts
                    .wait_for_capacity(2)
                    .await
                    .map_err(|e| unavailable(&describe, e))?;
                parts.put(bytes);
                Ok(())
            }
        }
    }

    async fn finish(mut self: Box<Self>) -> Result<()> {
        let describe = self.describe.clone();
        let done = match self.inner.take() {
            Some(Writing::Direct(mut upload)) => upload.complete().await.map(drop),
            Some(Writing::Parts(parts)) => parts.finish().await.map(drop),
            None => return Err(Error::internal("an object finished twice")),
        };
        done.map_err(|e| unavailable(&describe, e))?;
        let Some(file) = self.file.take() else { return Ok(()) };
        tokio::task::spawn_blocking(move || durable(&file))
            .await
            .map_err(|e| unavailable(&describe, e))?
            .map_err(|e| unavailable(&describe, e))
    }

    async fn abort(mut self: Box<Self>) -> Result<()> {
        let describe = self.describe.clone();
        let done = match self.inner.take() {
            Some(Writing::Direct(mut upload)) => upload.abort().await,
            Some(Writing::Parts(parts)) => abort_parts(parts).await,
            None => return Ok(()),
        };
        done.map_err(|e| unavailable(&describe, e))
    }
}

/// Aborts a multipart upload once its parts in flight have landed: a part
/// that lands after the abort would be kept by the store (S3 says to
/// abort again in that case).
async fn abort_parts(mut parts: WriteMultipart) -> object_store::Result<()> {
    let _ = parts.wait_for_capacity(0).await;
    parts.abort().await
}

impl Drop for ObjectWriter {
    /// A writer dropped unfinished (its upload's task went away) gives its
    /// upload up, in a task of its own.
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else { return };
        tracing::debug!("an upload's writer was dropped unfinished");
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            let aborted = match inner {
                Writing::Direct(mut upload) => upload.abort().await,
                Writing::Parts(parts) => abort_parts(parts).await,
            };
            match aborted {
                Ok(()) => tracing::debug!("gave up an upload whose writer was dropped"),
                Err(err) => tracing::warn!(%err, "could not give up an upload whose writer was dropped"),
            }
        });
    }
}

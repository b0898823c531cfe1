//! Document clients for tests: upload by client streaming, download by
//! server streaming, content of each media type, and a look inside the
//! document store's directory.

use gba_grants::proto::v1;
use gba_grants::proto::v1::document_service_client::DocumentServiceClient;
use sha2::{Digest, Sha256};
use tonic::Status;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::*;

pub type Documents = DocumentServiceClient<InterceptedService<Channel, Bearer>>;

impl TestServer {
    pub fn documents(&self, key: &str) -> Documents {
        DocumentServiceClient::with_interceptor(self.channel.clone(), Bearer::new(key))
            .max_decoding_message_size(8 << 20)
    }
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A PDF of `size` bytes whose content depends on `seed`.
pub fn pdf(size: usize, seed: u8) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    let mut x = u32::from(seed).wrapping_mul(2_654_435_761).wrapping_add(1);
    while bytes.len() < size {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.push((x & 0xff) as u8);
    }
    bytes.truncate(size);
    bytes
}

/// What an upload declares.
#[derive(Clone)]
pub struct Declared {
    pub parent: String,
    pub kind: v1::DocumentKind,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub request_id: String,
}

impl Declared {
    /// The truthful declaration of `content` as a PDF of `kind`.
    pub fn pdf(parent: &str, kind: v1::DocumentKind, content: &[u8]) -> Self {
        Self {
            parent: parent.into(),
            kind,
            file_name: "proposal.pdf".into(),
            media_type: "application/pdf".into(),
            size_bytes: content.len() as i64,
            sha256: sha256(content),
            request_id: String::new(),
        }
    }

    pub fn message(&self) -> v1::UploadDocumentRequest {
        v1::UploadDocumentRequest {
            part: Some(v1::upload_document_request::Part::Upload(v1::DocumentUpload {
                parent: self.parent.clone(),
                kind: self.kind.into(),
                file_name: self.file_name.clone(),
                media_type: self.media_type.clone(),
                size_bytes: self.size_bytes,
                sha256: self.sha256.clone(),
                request_id: self.request_id.clone(),
            })),
        }
    }
}

/// Uploads `content` in chunks of `chunk` bytes under `declared`.
pub async fn upload_as(
    client: &mut Documents,
    declared: &Declared,
    content: &[u8],
    chunk: usize,
) -> Result<v1::Document, Status> {
    let mut messages = vec![declared.message()];
    for piece in content.chunks(chunk.max(1)) {
        messages.push(v1::UploadDocumentRequest {
            part: Some(v1::upload_document_request::Part::Chunk(bytes::Bytes::copy_from_slice(
                piece,
            ))),
        });
    }
    let response = client.upload_document(tokio_stream::iter(messages)).await?;
    Ok(response.into_inner().document.unwrap_or_default())
}

/// Uploads `content` truthfully as a PDF of `kind`.
pub async fn upload(
    server: &TestServer,
    key: &str,
    parent: &str,
    kind: v1::DocumentKind,
    content: &[u8],
) -> Result<v1::Document, Status> {
    upload_as(
        &mut server.documents(key),
        &Declared::pdf(parent, kind, content),
        content,
        256 << 10,
    )
    .await
}

/// Downloads from `offset`: the metadata message and the content.
pub async fn download(
    server: &TestServer,
    key: &str,
    name: &str,
    offset: i64,
) -> Result<(v1::Document, Vec<u8>), Status> {
    use v1::download_document_response::Part;
    let mut stream = server
        .documents(key)
        .download_document(v1::DownloadDocumentRequest {
            name: name.into(),
            offset,
        })
        .await?
        .into_inner();
    let first = stream.message().await?.and_then(|m| m.part);
    let Some(Part::Document(document)) = first else {
        panic!("the first message of a download is the document, got {first:?}");
    };
    let mut content = Vec::new();
    while let Some(message) = stream.message().await? {
        match message.part {
            Some(Part::Chunk(chunk)) => {
                assert!(chunk.len() <= 1 << 20, "a chunk of {} bytes", chunk.len());
                content.extend_from_slice(&chunk);
            }
            other => panic!("after the document, only chunks: {other:?}"),
        }
    }
    Ok((document, content))
}

pub async fn list(
    server: &TestServer,
    key: &str,
    parent: &str,
    all_versions: bool,
) -> Result<Vec<v1::Document>, Status> {
    Ok(server
        .documents(key)
        .list_documents(v1::ListDocumentsRequest {
            parent: parent.into(),
            all_versions,
            page_size: 1_000,
            ..Default::default()
        })
        .await?
        .into_inner()
        .documents)
}

/// Every file under `dir` (objects and anything an upload left behind).
pub fn files_under(dir: &str) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(std::path::Path::new(dir), &mut out);
    out.sort();
    out
}

/// The objects' names (SHA-256s) under a document store directory.
pub fn objects_under(dir: &str) -> Vec<String> {
    files_under(dir)
        .iter()
        .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_owned))
        .collect()
}

//! Bare upload servers: the same `UploadDocument` call served by plain
//! tonic with the server's HTTP/2 settings, in a process of its own (this
//! benchmark run again as `bare-server`, two workers as the server has),
//! doing either nothing with the bytes (what
//! gRPC alone costs on loopback) or the least an upload must do (hash and
//! write them through the same `object_store` local directory, synced as
//! the server syncs). What separates gba-grants from the second is its
//! own overhead; what separates the second from the direct write is gRPC.

use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use gba_grants::proto::v1;
use gba_grants::proto::v1::document_service_server::{DocumentService, DocumentServiceServer};
use object_store::{ObjectStore, PutPayload, path::Path};
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status, Streaming};

/// What a bare server does with an upload's bytes.
#[derive(Clone, Copy)]
pub enum Work {
    /// Drops them.
    Discard,
    /// Hashes them and writes them to the store, overlapping the two,
    /// then syncs the file and its directory.
    Store,
}

struct Bare {
    work: Work,
    dir: std::path::PathBuf,
    store: Arc<dyn ObjectStore>,
}

type Chunks = Pin<Box<dyn futures_util::Stream<Item = Result<v1::DownloadDocumentResponse, Status>> + Send>>;

fn internal(e: impl std::fmt::Display) -> Status {
    Status::internal(e.to_string())
}

#[tonic::async_trait]
impl DocumentService for Bare {
    async fn upload_document(
        &self,
        request: Request<Streaming<v1::UploadDocumentRequest>>,
    ) -> Result<Response<v1::UploadDocumentResponse>, Status> {
        let mut messages = request.into_inner();
        let mut chunks = Box::pin(
            futures_util::stream::poll_fn(move |cx| messages.poll_next_unpin(cx)).filter_map(|m| async {
                match m {
                    Ok(v1::UploadDocumentRequest {
                        part: Some(v1::upload_document_request::Part::Chunk(chunk)),
                    }) => Some(Ok(chunk)),
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                }
            }),
        );
        let mut size = 0;
        match self.work {
            Work::Discard => {
                while let Some(chunk) = chunks.next().await {
                    size += chunk?.len();
                }
            }
            Work::Store => {
                let path = Path::from(uuid::Uuid::now_v7().to_string());
                let mut upload = self.store.put_multipart(&path).await.map_err(internal)?;
                let mut hasher = Sha256::new();
                let mut taken: Option<Bytes> = None;
                loop {
                    let next = async {
                        let chunk = chunks.next().await.transpose()?;
                        if let Some(c) = &chunk {
                            hasher.update(c);
                        }
                        Ok::<_, Status>(chunk)
                    };
                    let next = match taken.take() {
                        Some(chunk) => {
                            let (written, next) =
                                futures_util::future::join(upload.put_part(PutPayload::from(chunk)), next).await;
                            written.map_err(internal)?;
                            next?
                        }
                        None => next.await?,
                    };
                    match next {
                        Some(chunk) => {
                            size += chunk.len();
                            taken = Some(chunk);
                        }
                        None => break,
                    }
                }
                upload.complete().await.map_err(internal)?;
                let _ = hasher.finalize();
                let file = self.dir.join(path.as_ref());
                tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                    std::fs::File::open(&file)?.sync_all()?;
                    std::fs::File::open(file.parent().ok_or(std::io::ErrorKind::NotFound)?)?.sync_all()
                })
                .await
                .map_err(internal)?
                .map_err(internal)?;
                self.store.delete(&path).await.map_err(internal)?;
            }
        }
        Ok(Response::new(v1::UploadDocumentResponse {
            document: Some(v1::Document {
                size_bytes: size as i64,
                ..Default::default()
            }),
        }))
    }

    type DownloadDocumentStream = Chunks;

    async fn download_document(&self, _: Request<v1::DownloadDocumentRequest>) -> Result<Response<Chunks>, Status> {
        Err(Status::unimplemented("bare"))
    }

    async fn get_document(
        &self,
        _: Request<v1::GetDocumentRequest>,
    ) -> Result<Response<v1::GetDocumentResponse>, Status> {
        Err(Status::unimplemented("bare"))
    }

    async fn list_documents(
        &self,
        _: Request<v1::ListDocumentsRequest>,
    ) -> Result<Response<v1::ListDocumentsResponse>, Status> {
        Err(Status::unimplemented("bare"))
    }

    async fn delete_document(
        &self,
        _: Request<v1::DeleteDocumentRequest>,
    ) -> Result<Response<v1::DeleteDocumentResponse>, Status> {
        Err(Status::unimplemented("bare"))
    }
}

/// Starts this benchmark again as a bare server (`bare-server discard|store
/// DIR`); it prints its address and serves until killed.
pub fn spawn(work: Work, dir: &std::path::Path) -> Result<(Running, String), Box<dyn std::error::Error + Send + Sync>> {
    let mode = match work {
        Work::Discard => "discard",
        Work::Store => "store",
    };
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .args(["bare-server", mode])
        .arg(dir)
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().ok_or("stdout")?),
        &mut line,
    )?;
    Ok((Running(child), line.trim().to_owned()))
}

/// A bare server process, killed when dropped.
pub struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Serves as a bare server if this process was started as one.
pub fn serve_if_asked() -> Option<Result<(), Box<dyn std::error::Error + Send + Sync>>> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) != Some("bare-server") {
        return None;
    }
    let work = match args.get(2).map(String::as_str) {
        Some("store") => Work::Store,
        _ => Work::Discard,
    };
    let dir = std::path::PathBuf::from(args.get(3).cloned().unwrap_or_else(|| ".".into()));
    Some(serve(work, &dir).map(|addr| {
        println!("{addr}");
        loop {
            std::thread::park();
        }
    }))
}

/// A bare server on 127.0.0.1 serving until the process ends: its address.
fn serve(work: Work, dir: &std::path::Path) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    std::fs::create_dir_all(dir)?;
    let local = object_store::local::LocalFileSystem::new_with_prefix(dir)?;
    let store: Arc<dyn ObjectStore> = Arc::new(object_store::chunked::ChunkedStore::new(Arc::new(local), super::CHUNK));
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?.to_string();
    let service = Bare {
        work,
        dir: dir.to_owned(),
        store,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    std::thread::spawn(move || {
        runtime.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                return;
            };
            let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
            // The server's settings (services/startup.rs).
            let _ = tonic::transport::Server::builder()
                .initial_stream_window_size(Some(4 << 20))
                .initial_connection_window_size(Some(16 << 20))
                .max_frame_size(Some(1 << 20))
                .add_service(DocumentServiceServer::new(service).max_decoding_message_size(4 << 20))
                .serve_with_incoming(incoming)
                .await;
        })
    });
    Ok(addr)
}

//! `grantctl documents upload`: the file is read once for its size and
//! SHA-256, then streamed after the declaration in chunks of 1 MiB, read
//! as the transport takes them; a transient failure streams it again under
//! the same request id. Standard input is copied to a temporary file
//! first, so that it can be hashed and sent again.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use clap::Args;
use futures_util::{Stream, StreamExt};
use gba_grants::proto::v1;
use sha2::{Digest, Sha256};

use super::{ATTEMPTS, CHUNK, Client, Failure, KindArg, blocking, describe, interrupted};
use crate::backoff::Backoff;
use crate::cmd::{AppRef, Ctx, WriteArgs};
use crate::error::{CliError, Result};
use crate::progress::{Counter, Progress};
use crate::{media, output, table, transient};

#[derive(Debug, Args)]
pub struct UploadArgs {
    #[command(flatten)]
    app: AppRef,
    /// The file to upload; `-` reads standard input (give --file-name).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// What the document is: proposal, budget, partner-letter, ethics-approval, other, or report
    /// (a report after the award, while the grant is APPROVED or ACTIVE); any case.
    #[arg(long, value_enum, ignore_case = true, hide_possible_values = true)]
    kind: KindArg,
    /// Its media type: application/pdf, … or a short word: pdf, png,
    /// jpeg, docx, xlsx, csv, txt [default: from the extension of the
    /// file name recorded].
    #[arg(long, value_name = "TYPE")]
    media_type: Option<String>,
    /// The file name to record [default: FILE's own name].
    #[arg(long, value_name = "NAME")]
    file_name: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

/// What is uploaded: a file, or standard input copied to a temporary file
/// (removed when this is dropped), with its size and SHA-256.
struct Source {
    path: PathBuf,
    _temporary: Option<Temporary>,
    size: u64,
    sha256: String,
}

/// A temporary file, removed when dropped.
struct Temporary(PathBuf);

impl Drop for Temporary {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Reads `reader` to its end, a chunk at a time, for its size and SHA-256
/// (copying it to `copy` when given).
fn digest(
    reader: &mut dyn Read,
    mut copy: Option<&mut std::fs::File>,
    counter: &Counter,
) -> std::io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0_u8; CHUNK];
    let mut total = 0_u64;
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buffer[..n]);
        if let Some(file) = copy.as_mut() {
            file.write_all(&buffer[..n])?;
        }
        total += n as u64;
        counter.add(n as u64);
    }
    if let Some(file) = copy {
        file.flush()?;
    }
    Ok((total, hex::encode(hasher.finalize())))
}

impl Source {
    async fn read(file: &Path, label: &str) -> Result<Self> {
        if file == Path::new("-") {
            return Self::stdin().await;
        }
        let shown = file.display().to_string();
        let metadata =
            std::fs::metadata(file).map_err(|e| CliError::invalid("FILE", format!("cannot read {shown}: {e}")))?;
        if !metadata.is_file() {
            return Err(CliError::invalid("FILE", format!("{shown} is not a file")));
        }
        let mut opened =
            std::fs::File::open(file).map_err(|e| CliError::invalid("FILE", format!("cannot read {shown}: {e}")))?;
        let progress = Progress::start(&format!("reading {label}"), metadata.len(), 0);
        let counter = progress.counter();
        let (size, sha256) = blocking(move || {
            digest(&mut opened, None, &counter).map_err(|e| CliError::other(format!("cannot read {shown}: {e}")))
        })
        .await?;
        progress.finish();
        Ok(Self {
            path: file.to_path_buf(),
            _temporary: None,
            size,
            sha256,
        })
    }

    /// Standard input, copied to a temporary file (readable by this user
    /// only) so that it can be hashed first and sent again on a retry.
    async fn stdin() -> Result<Self> {
        let dir = std::env::temp_dir();
        let path = dir.join(format!("grantctl-upload-{}", uuid::Uuid::now_v7().simple()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut copy = options
            .open(&path)
            .map_err(|e| CliError::other(format!("cannot create a temporary file in {}: {e}", dir.display())))?;
        let temporary = Temporary(path.clone());
        let counter = Progress::hidden().counter();
        let (size, sha256) = blocking(move || {
            let mut stdin = std::io::stdin().lock();
            digest(&mut stdin, Some(&mut copy), &counter)
                .map_err(|e| CliError::other(format!("cannot copy standard input to a temporary file: {e}")))
        })
        .await?;
        Ok(Self {
            path,
            _temporary: Some(temporary),
            size,
            sha256,
        })
    }
}

/// The name to record: `--file-name`, else FILE's own.
fn upload_file_name(args: &UploadArgs) -> Result<String> {
    if let Some(name) = &args.file_name {
        return Ok(name.clone());
    }
    if args.file == Path::new("-") {
        return Err(CliError::invalid(
            "--file-name",
            "standard input has no name: give --file-name, such as --file-name proposal.pdf",
        ));
    }
    args.file
        .file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .ok_or_else(|| {
            CliError::invalid(
                "--file-name",
                format!("{} has no file name to record: give --file-name", args.file.display()),
            )
        })
}

pub async fn upload(ctx: &Ctx, args: UploadArgs) -> Result<()> {
    let parent = args.app.name()?;
    let file_name = upload_file_name(&args)?;
    let media_type = match &args.media_type {
        Some(given) => media::parse(given).map_err(|e| CliError::invalid("--media-type", e))?,
        None => media::guess(&file_name).map(str::to_owned).ok_or_else(|| {
            CliError::invalid(
                "--media-type",
                format!(
                    "cannot tell the media type of {:?} from its extension: give --media-type, such as --media-type pdf ({})",
                    table::safe(&file_name),
                    media::words()
                ),
            )
        })?,
    };
    let source = Source::read(&args.file, &file_name).await?;
    if source.size == 0 {
        return Err(CliError::invalid("FILE", format!("{} is empty", args.file.display())));
    }
    let size_bytes = i64::try_from(source.size).map_err(|_| CliError::invalid("FILE", "it is too large"))?;
    let declaration = v1::DocumentUpload {
        parent,
        kind: args.kind.proto(),
        file_name: file_name.clone(),
        media_type,
        size_bytes,
        sha256: source.sha256.clone(),
        request_id: args.write.id(),
    };
    let mut backoff = Backoff::retry();
    let mut attempt = 1;
    loop {
        let progress = Progress::start(&format!("uploading {file_name}"), source.size, 0);
        let problem = Arc::new(Mutex::new(None));
        let outcome = tokio::select! {
            outcome = send(ctx, &declaration, &source.path, progress.counter(), problem.clone()) => Some(outcome),
            () = interrupted() => None,
        };
        progress.finish();
        let Some(outcome) = outcome else {
            return Err(CliError::other(
                "interrupted: the upload was abandoned (the server keeps nothing of an upload it did not receive whole)",
            ));
        };
        let problem = problem.lock().map(|mut p| p.take()).unwrap_or_default();
        if let Some(problem) = problem {
            return Err(CliError::other(format!(
                "{}: {problem}; nothing was stored",
                args.file.display()
            )));
        }
        match outcome {
            Ok(document) => return output::one(ctx.format, &document),
            Err(Failure::Local(err)) => return Err(err),
            Err(Failure::Status(status)) if attempt < ATTEMPTS && transient::is_transient(&status) => {
                eprintln!(
                    "grantctl: upload interrupted ({}); sending it again with the same request id",
                    describe(&status)
                );
                attempt += 1;
                tokio::time::sleep(backoff.next_delay()).await;
            }
            Err(Failure::Status(status)) => return Err(ctx.conn.error(&status)),
        }
    }
}

/// One attempt: the declaration, then the file.
async fn send(
    ctx: &Ctx,
    declaration: &v1::DocumentUpload,
    path: &Path,
    counter: Counter,
    problem: Arc<Mutex<Option<String>>>,
) -> std::result::Result<v1::Document, Failure> {
    let file = std::fs::File::open(path)
        .map_err(|e| Failure::Local(CliError::other(format!("cannot read {}: {e}", path.display()))))?;
    let stream = messages(declaration.clone(), file, counter, problem);
    let response = Client::new(ctx.conn.channel())
        .upload_document(ctx.conn.request(stream))
        .await
        .map_err(Failure::Status)?;
    Ok(response.into_inner().document.unwrap_or_default())
}

fn report(problem: &Mutex<Option<String>>, what: String) {
    if let Ok(mut p) = problem.lock() {
        p.get_or_insert(what);
    }
}

/// The messages of one attempt: the declaration, then the file's first
/// `size_bytes` bytes in chunks of 1 MiB, read as the transport takes
/// them. A file that has become shorter, or cannot be read, ends the
/// stream short (the server then stores nothing), saying why in
/// `problem`; content changed since it was hashed is refused by the
/// server (CHECKSUM_MISMATCH).
fn messages(
    declaration: v1::DocumentUpload,
    file: std::fs::File,
    counter: Counter,
    problem: Arc<Mutex<Option<String>>>,
) -> impl Stream<Item = v1::UploadDocumentRequest> + Send + 'static {
    use v1::upload_document_request::Part;
    let size = u64::try_from(declaration.size_bytes).unwrap_or_default();
    let first = v1::UploadDocumentRequest {
        part: Some(Part::Upload(declaration)),
    };
    let chunks = futures_util::stream::unfold((file, 0_u64), move |(mut file, sent)| {
        let (counter, problem) = (counter.clone(), problem.clone());
        async move {
            let want = usize::try_from((size - sent).min(CHUNK as u64)).unwrap_or(CHUNK);
            if want == 0 {
                return None;
            }
            let read = tokio::task::spawn_blocking(move || {
                let mut buffer = vec![0_u8; want];
                let filled = read_full(&mut file, &mut buffer);
                (file, buffer, filled)
            })
            .await;
            let (file, buffer) = match read {
                Ok((file, buffer, Ok(filled))) if filled == want => (file, buffer),
                Ok((_, _, Ok(_))) => {
                    report(&problem, "the file became shorter while it was uploaded".into());
                    return None;
                }
                Ok((_, _, Err(e))) => {
                    report(&problem, format!("cannot read it: {e}"));
                    return None;
                }
                Err(e) => {
                    report(&problem, format!("cannot read it: {e}"));
                    return None;
                }
            };
            counter.add(want as u64);
            let message = v1::UploadDocumentRequest {
                part: Some(Part::Chunk(Bytes::from(buffer))),
            };
            Some((message, (file, sent + want as u64)))
        }
    });
    futures_util::stream::iter([first]).chain(chunks)
}

/// Reads until `buffer` is full or the file ends; how much was read.
fn read_full(file: &mut std::fs::File, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

//! `grantctl documents download`: to `FILE.part`, beside a
//! `FILE.part.sha256` naming the digest the part belongs to (in
//! sha256sum's format); resumed from the part's length after a transient
//! failure or in a later run; checked for size and SHA-256 as a whole, and
//! only then renamed to `FILE`. A file already there is never replaced by
//! something else without `--force`.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use clap::Args;
use gba_grants::proto::v1;
use sha2::{Digest, Sha256};
use tonic::Status;

use super::{ATTEMPTS, CHUNK, Client, Failure, blocking, describe, document_arg, get, interrupted, joined};
use crate::backoff::Backoff;
use crate::cmd::Ctx;
use crate::error::{CliError, Result, exit};
use crate::output::{self, Format};
use crate::progress::Progress;
use crate::views::Resource;
use crate::{size, table, transient};

#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// The document: programmes/P/applications/A/documents/D or P/A/D.
    document: String,
    /// Where to save it: a file, a directory (the document's file name in
    /// it), or `-` for standard output [default: the document's file name,
    /// in the current directory].
    #[arg(short = 'O', long = "output-file", value_name = "FILE")]
    output_file: Option<PathBuf>,
    /// Replace FILE if it exists and is not this document.
    #[arg(long)]
    force: bool,
}

/// What a download must end with.
struct Expected {
    size: u64,
    sha256: String,
}

impl Expected {
    fn of(d: &v1::Document) -> Result<Self> {
        let sha256 = d.sha256.to_ascii_lowercase();
        let size = u64::try_from(d.size_bytes).ok().filter(|s| *s > 0);
        match size {
            Some(size) if sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(Self { size, sha256 })
            }
            _ => Err(CliError::other(format!(
                "{} has no size or SHA-256 to check a download against",
                d.name
            ))),
        }
    }
}

/// The name to save a document as: the last component of the name it was
/// uploaded with — never a path, `.`, `..`, or a name with control
/// characters.
pub fn local_name(file_name: &str) -> Result<String> {
    let last = file_name.rsplit(['/', '\\']).next().unwrap_or_default();
    if last.is_empty() || last == "." || last == ".." || last.chars().any(char::is_control) {
        return Err(CliError::invalid(
            "the document's file name",
            format!(
                "{:?} cannot be used as a file name here: give -O FILE",
                table::safe(file_name)
            ),
        ));
    }
    Ok(last.to_owned())
}

/// `path` with `suffix` added to its file name: `proposal.pdf.part`.
fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Where the content goes. Writes run off the async workers (the file
/// is handed to a blocking task and back).
enum Sink {
    File(Option<std::fs::File>, PathBuf),
    Stdout,
}

impl Sink {
    fn problem(&self, e: std::io::Error) -> CliError {
        match self {
            Sink::File(_, path) => CliError::other(format!("cannot write {}: {e}", path.display())),
            Sink::Stdout => CliError::other(format!("cannot write to standard output: {e}")),
        }
    }

    async fn write(&mut self, bytes: Bytes) -> Result<()> {
        let written = match self {
            Sink::File(slot, _) => {
                let Some(mut file) = slot.take() else {
                    return Err(CliError::other("the download's file was closed after a failed write"));
                };
                let (file, written) = joined(
                    tokio::task::spawn_blocking(move || {
                        let written = file.write_all(&bytes);
                        (file, written)
                    })
                    .await,
                )?;
                *slot = Some(file);
                written
            }
            Sink::Stdout => joined(
                tokio::task::spawn_blocking(move || {
                    let mut out = std::io::stdout().lock();
                    out.write_all(&bytes)
                })
                .await,
            )?,
        };
        written.map_err(|e| self.problem(e))
    }

    /// Flushes what was written (to the disk, for a file).
    async fn flush(&mut self) -> Result<()> {
        let flushed = match self {
            Sink::File(slot, _) => match slot.take() {
                None => return Ok(()),
                Some(file) => {
                    let (file, synced) = joined(
                        tokio::task::spawn_blocking(move || {
                            let synced = file.sync_all();
                            (file, synced)
                        })
                        .await,
                    )?;
                    *slot = Some(file);
                    synced
                }
            },
            Sink::Stdout => joined(tokio::task::spawn_blocking(|| std::io::stdout().lock().flush()).await)?,
        };
        flushed.map_err(|e| self.problem(e))
    }
}

/// A download under way: where it writes, how far it got, and the
/// SHA-256 of everything so far.
struct Transfer {
    sink: Sink,
    written: u64,
    hasher: Sha256,
}

pub async fn download(ctx: &Ctx, args: DownloadArgs) -> Result<()> {
    let name = document_arg("DOCUMENT", &args.document)?;
    let document = get(ctx, name.clone()).await?;
    let expected = Expected::of(&document)?;
    let path = match args.output_file.as_deref() {
        Some(p) if p == Path::new("-") => return to_stdout(ctx, &document, &expected).await,
        Some(p) if p.is_dir() => p.join(local_name(&document.file_name)?),
        Some(p) => p.to_path_buf(),
        None => PathBuf::from(local_name(&document.file_name)?),
    };
    let shown = path.display().to_string();
    if let Ok(metadata) = std::fs::metadata(&path) {
        if !metadata.is_file() {
            return Err(CliError::new(
                exit::CONFLICT,
                format!("{shown} exists and is not a file"),
            ));
        }
        if metadata.len() == expected.size && file_digest(&path, expected.size).await? == expected.sha256 {
            eprintln!("grantctl: {shown} already holds this document (size and SHA-256 checked)");
            return saved(ctx, &document, &path);
        }
        if !args.force {
            return Err(exists(&shown));
        }
    }
    let part = suffixed(&path, ".part");
    let sidecar = suffixed(&path, ".part.sha256");
    let part_shown = part.display().to_string();
    let mut offset = 0;
    match std::fs::metadata(&part) {
        Ok(m) if !m.is_file() => {
            return Err(CliError::new(
                exit::CONFLICT,
                format!("{part_shown} exists and is not a file"),
            ));
        }
        Ok(m) => {
            let belongs = std::fs::read_to_string(&sidecar)
                .ok()
                .and_then(|text| text.split_whitespace().next().map(str::to_ascii_lowercase))
                .is_some_and(|digest| digest == expected.sha256);
            if belongs && m.len() <= expected.size {
                offset = m.len();
                eprintln!(
                    "grantctl: resuming {part_shown} at {} of {} bytes",
                    size::grouped(offset as i64),
                    size::grouped(expected.size as i64)
                );
            } else {
                eprintln!("grantctl: {part_shown} is not part of this document: starting over");
            }
        }
        Err(_) => {}
    }
    // The sidecar says what the part is of (in sha256sum's format), so a
    // later run resumes only the same content.
    let part_name = part
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    std::fs::write(&sidecar, format!("{}  {part_name}\n", expected.sha256))
        .map_err(|e| CliError::other(format!("cannot write {}: {e}", sidecar.display())))?;
    let hasher = if offset > 0 {
        prefix_hasher(&part, offset).await?
    } else {
        Sha256::new()
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(&part)
        .and_then(|f| f.set_len(offset).map(|()| f))
        .map_err(|e| CliError::other(format!("cannot write {part_shown}: {e}")))?;
    let mut file = file;
    file.seek(std::io::SeekFrom::Start(offset))
        .map_err(|e| CliError::other(format!("cannot write {part_shown}: {e}")))?;
    let mut state = Transfer {
        sink: Sink::File(Some(file), part.clone()),
        written: offset,
        hasher,
    };
    let label = format!(
        "downloading {}",
        path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
    );
    let outcome = run_transfer(ctx, &name, &expected, &mut state, &label).await;
    state.sink.flush().await?;
    drop(state.sink);
    let of = format!(
        "{} of {} bytes",
        size::grouped(state.written as i64),
        size::grouped(expected.size as i64)
    );
    let failed = match outcome {
        Some(Ok(())) => None,
        Some(Err(err)) => Some((err.code, err.message)),
        None => Some((exit::OTHER, "interrupted".to_owned())),
    };
    if let Some((code, message)) = failed {
        if state.written == 0 {
            // Nothing worth keeping.
            let _ = std::fs::remove_file(&part);
            let _ = std::fs::remove_file(&sidecar);
            return Err(CliError::new(code, message));
        }
        return Err(CliError::new(
            code,
            format!("{message} ({part_shown} kept at {of}: run the same command again to resume)"),
        ));
    }
    let digest = hex::encode(state.hasher.finalize());
    if digest != expected.sha256 {
        // Kept for inspection, but no longer resumable: a new run starts over.
        let _ = std::fs::remove_file(&sidecar);
        return Err(CliError::other(format!(
            "the content downloaded has SHA-256 {digest}, not the document's {}: kept {part_shown} for inspection \
             (downloading again starts over)",
            expected.sha256
        )));
    }
    if !args.force && path.exists() {
        return Err(exists(&shown));
    }
    std::fs::rename(&part, &path)
        .map_err(|e| CliError::other(format!("cannot rename {part_shown} to {shown}: {e}")))?;
    let _ = std::fs::remove_file(&sidecar);
    saved(ctx, &document, &path)
}

fn exists(shown: &str) -> CliError {
    CliError::new(
        exit::CONFLICT,
        format!("{shown} exists and is not this document: give --force to replace it, or -O FILE to save it elsewhere"),
    )
}

/// The document, and where it was saved (table), or the document alone.
fn saved(ctx: &Ctx, document: &v1::Document, path: &Path) -> Result<()> {
    match ctx.format {
        Format::Table => {
            let mut fields = document.details();
            fields.push(("Saved to", format!("{} (size and SHA-256 checked)", path.display())));
            output::write(&table::fields(&fields))
        }
        format => output::one(format, document),
    }
}

/// The SHA-256 of the first `length` bytes of the file at `path`.
async fn file_digest(path: &Path, length: u64) -> Result<String> {
    Ok(hex::encode(prefix_hasher(path, length).await?.finalize()))
}

/// A hasher fed the first `length` bytes of the file at `path`.
async fn prefix_hasher(path: &Path, length: u64) -> Result<Sha256> {
    let path = path.to_path_buf();
    let shown = path.display().to_string();
    let label = format!(
        "checking {}",
        path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
    );
    let progress = Progress::start(&label, length, 0);
    let counter = progress.counter();
    let hasher = blocking(move || {
        let read = |e: std::io::Error| CliError::other(format!("cannot read {shown}: {e}"));
        let file = std::fs::File::open(&path).map_err(read)?;
        let mut limited = file.take(length);
        let mut hasher = Sha256::new();
        let mut buffer = vec![0_u8; CHUNK];
        loop {
            let n = match limited.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(read(e)),
            };
            hasher.update(&buffer[..n]);
            counter.add(n as u64);
        }
        Ok(hasher)
    })
    .await?;
    progress.finish();
    Ok(hasher)
}

/// The download, with its progress line, until done, failed for good,
/// or interrupted by Ctrl-C (`None`).
async fn run_transfer(
    ctx: &Ctx,
    name: &str,
    expected: &Expected,
    state: &mut Transfer,
    label: &str,
) -> Option<Result<()>> {
    let progress = Progress::start(label, expected.size, state.written);
    let outcome = tokio::select! {
        outcome = transfer(ctx, name, expected, state, &progress) => Some(outcome),
        () = interrupted() => None,
    };
    progress.finish();
    outcome
}

/// Fetches from where the transfer is until the end, resuming after
/// transient failures (3 in a row that move no byte end it).
async fn transfer(ctx: &Ctx, name: &str, expected: &Expected, state: &mut Transfer, progress: &Progress) -> Result<()> {
    let mut backoff = Backoff::retry();
    let mut failures = 0;
    while state.written < expected.size {
        let before = state.written;
        let status = match fetch(ctx, name, expected, state, progress).await {
            Ok(()) => return Ok(()),
            Err(Failure::Local(err)) => return Err(err),
            Err(Failure::Status(status)) => status,
        };
        if state.written > before {
            failures = 0;
            backoff.reset();
        }
        failures += 1;
        if failures >= ATTEMPTS || !transient::is_transient(&status) {
            return Err(ctx.conn.error(&status));
        }
        progress.note(&format!(
            "grantctl: download interrupted ({}); resuming at {} of {} bytes",
            describe(&status),
            size::grouped(state.written as i64),
            size::grouped(expected.size as i64)
        ));
        tokio::time::sleep(backoff.next_delay()).await;
    }
    Ok(())
}

/// One DownloadDocument call from `state.written`: the document first
/// (it must be the one expected), then chunks, written as they come.
async fn fetch(
    ctx: &Ctx,
    name: &str,
    expected: &Expected,
    state: &mut Transfer,
    progress: &Progress,
) -> std::result::Result<(), Failure> {
    use v1::download_document_response::Part;
    let local = |message: String| Failure::Local(CliError::other(message));
    let request = ctx.conn.request(v1::DownloadDocumentRequest {
        name: name.to_owned(),
        offset: i64::try_from(state.written).unwrap_or_default(),
    });
    let mut stream = Client::new(ctx.conn.channel())
        .download_document(request)
        .await
        .map_err(Failure::Status)?
        .into_inner();
    match stream.message().await.map_err(Failure::Status)?.and_then(|m| m.part) {
        Some(Part::Document(d)) if d.sha256.eq_ignore_ascii_case(&expected.sha256) => {}
        Some(Part::Document(_)) => return Err(local(format!("{name} changed during the download"))),
        Some(Part::Chunk(_)) => return Err(local("the download did not begin with the document".into())),
        None => {
            return Err(Failure::Status(Status::unavailable(
                "the download ended before it began",
            )));
        }
    }
    while let Some(message) = stream.message().await.map_err(Failure::Status)? {
        let Some(Part::Chunk(chunk)) = message.part else {
            return Err(local(
                "the download sent something other than content after the document".into(),
            ));
        };
        let end = state.written + chunk.len() as u64;
        if end > expected.size {
            return Err(local(format!(
                "the server sent more than the document's {} bytes",
                size::grouped(expected.size as i64)
            )));
        }
        state.hasher.update(&chunk);
        state.sink.write(chunk).await.map_err(Failure::Local)?;
        state.written = end;
        progress.set(end);
    }
    if state.written < expected.size {
        return Err(Failure::Status(Status::unavailable(format!(
            "the download ended at {} of {} bytes",
            state.written, expected.size
        ))));
    }
    Ok(())
}

/// `-O -`: the content to standard output, checked at the end (nothing
/// else is printed there).
async fn to_stdout(ctx: &Ctx, document: &v1::Document, expected: &Expected) -> Result<()> {
    let mut state = Transfer {
        sink: Sink::Stdout,
        written: 0,
        hasher: Sha256::new(),
    };
    let label = format!("downloading {}", document.file_name);
    let outcome = run_transfer(ctx, &document.name, expected, &mut state, &label).await;
    state.sink.flush().await?;
    match outcome {
        Some(result) => result?,
        None => {
            return Err(CliError::other(
                "interrupted: what was written to standard output is incomplete",
            ));
        }
    }
    let digest = hex::encode(state.hasher.finalize());
    if digest != expected.sha256 {
        return Err(CliError::other(format!(
            "the content downloaded has SHA-256 {digest}, not the document's {}: discard what was written to standard output",
            expected.sha256
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_names_are_never_paths() {
        assert_eq!(local_name("proposal.pdf").unwrap(), "proposal.pdf");
        assert_eq!(local_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(local_name("C:\\Users\\x\\budget.xlsx").unwrap(), "budget.xlsx");
        for bad in ["", ".", "..", "a/..", "dir/", "bad\nname.pdf", "x\u{1b}[2J.pdf"] {
            assert!(local_name(bad).is_err(), "{bad:?}");
        }
    }
}

//! `grantctl documents upload|download|list|get|delete`: an application's
//! documents.
//!
//! An upload reads its file once to learn its size and SHA-256 (a
//! megabyte at a time, never the whole file in memory), then streams it in
//! chunks of 1 MiB after the declaration; a transient failure streams it
//! again under the same request id. A download streams to `FILE.part`
//! beside a `FILE.part.sha256` naming the digest it belongs to, resumes
//! from the part's length (after a failure, or in a later run), checks the
//! size and SHA-256 of the whole, and only then renames it to `FILE`.

mod download;
mod upload;

use clap::{Subcommand, ValueEnum};
use gba_grants::proto::v1;
use gba_grants::proto::v1::document_service_client::DocumentServiceClient as Client;
use tonic::Status;

use super::{AppRef, Ctx, WriteArgs};
use crate::client::Paging;
use crate::error::{CliError, Result, code_name, one_line};
use crate::{media, names, output, size, transient};

/// Bytes of one upload message, and of one read of a file.
const CHUNK: usize = 1 << 20;
/// Attempts of a transfer in a row that move no byte, the first included
/// (as many as of any other call).
const ATTEMPTS: u32 = 3;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Upload a file as a document of an application (its applicant, or an admin).
    ///
    /// Reads FILE once for its size and SHA-256, then streams it in 1 MiB
    /// chunks; the server checks both, and the content against its media
    /// type, and keeps nothing of a refused or unfinished upload. A new
    /// upload of a kind the application has adds a version of it.
    #[command(
        after_help = "Example:\n  grantctl documents upload P/A proposal.pdf --kind proposal\n  \
                            grantctl documents upload P/A 'Budget 2026.xlsx' --kind budget\n  \
                            grantctl documents upload P/A scan.bin --kind partner-letter --media-type pdf --file-name letter.pdf\n  \
                            make-report | grantctl documents upload P/A - --kind other --file-name report.pdf\n  \
                            grantctl documents upload P/A interim-report.pdf --kind report   # after the award"
    )]
    Upload(upload::UploadArgs),
    /// Download a document, checked against its size and SHA-256.
    ///
    /// Saves to the document's file name in the current directory (or
    /// -O FILE), through FILE.part: an interrupted download resumes from
    /// it, in the same run after a transient failure or by running the
    /// same command again. An existing FILE that is not this document is
    /// not replaced without --force.
    #[command(after_help = "Example:\n  grantctl documents download P/A/D\n  \
                            grantctl documents download P/A/D -O ~/reviews/proposal-v2.pdf\n  \
                            grantctl documents download P/A/D -O - | pdftotext - -")]
    Download(download::DownloadArgs),
    /// List an application's documents: the latest version of each kind, or every version.
    #[command(after_help = "Example:\n  grantctl documents list P/A\n  \
                            grantctl documents list P/A --all-versions -o json")]
    List {
        #[command(flatten)]
        app: AppRef,
        /// Every version of each kind, not only the latest.
        #[arg(long)]
        all_versions: bool,
        /// Results per page (the server's default is 50; at most 1000).
        #[arg(long, value_parser = clap::value_parser!(i32).range(1..=1000))]
        page_size: Option<i32>,
        /// Stop after N results (default: page through all of them).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        limit: Option<u64>,
    },
    /// Show one document's metadata.
    #[command(after_help = "Example:\n  grantctl documents get P/A/D -o json")]
    Get {
        /// The document: programmes/P/applications/A/documents/D or P/A/D.
        document: String,
    },
    /// Delete one version of a document (while the application is a draft or its changes were requested).
    #[command(after_help = "Example:\n  grantctl documents delete P/A/D")]
    Delete {
        /// The document: programmes/P/applications/A/documents/D or P/A/D.
        document: String,
        #[command(flatten)]
        write: WriteArgs,
    },
}

/// A document kind, as `--kind` takes it: `proposal`, `PARTNER_LETTER`,
/// `partner-letter` (any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    #[value(alias = "document_kind_proposal")]
    Proposal,
    #[value(alias = "document_kind_budget")]
    Budget,
    #[value(alias = "partner_letter", alias = "document_kind_partner_letter")]
    PartnerLetter,
    #[value(alias = "ethics_approval", alias = "document_kind_ethics_approval")]
    EthicsApproval,
    #[value(alias = "document_kind_other")]
    Other,
    // A progress or final report: uploaded while the grant runs
    // (APPROVED or ACTIVE), and named by `grantctl reports submit`.
    #[value(alias = "document_kind_report")]
    Report,
}

impl KindArg {
    pub fn proto(self) -> i32 {
        match self {
            Self::Proposal => v1::DocumentKind::Proposal as i32,
            Self::Budget => v1::DocumentKind::Budget as i32,
            Self::PartnerLetter => v1::DocumentKind::PartnerLetter as i32,
            Self::EthicsApproval => v1::DocumentKind::EthicsApproval as i32,
            Self::Other => v1::DocumentKind::Other as i32,
            Self::Report => v1::DocumentKind::Report as i32,
        }
    }
}

pub fn document_arg(flag: &str, text: &str) -> Result<String> {
    names::document(text).map_err(|e| CliError::invalid(flag, e))
}

/// `proposal:pdf:20MiB`: a kind, then (optionally, in either order) the
/// media types taken, comma-separated, and the largest size.
pub fn requirement_arg(flag: &str, text: &str, required: bool) -> Result<v1::DocumentRequirement> {
    let bad = |problem: String| CliError::invalid(flag, problem);
    let form = "write KIND[:TYPES][:MAXSIZE], such as proposal:pdf:20MiB or budget:xlsx,csv";
    let mut parts = text.split(':');
    let kind_text = parts.next().unwrap_or_default().trim();
    let kind = KindArg::from_str(kind_text, true).map_err(|_| {
        bad(format!(
            "{kind_text:?} is not a document kind (proposal, budget, partner-letter, ethics-approval, other, report); {form}"
        ))
    })?;
    let mut requirement = v1::DocumentRequirement {
        kind: kind.proto(),
        required,
        ..Default::default()
    };
    let (mut types_given, mut size_given) = (false, false);
    for part in parts.map(str::trim) {
        if part.starts_with(|c: char| c.is_ascii_digit()) && !size_given {
            size_given = true;
            requirement.max_size_bytes = size::parse(part).map_err(bad)?;
            if requirement.max_size_bytes < 1 {
                return Err(bad(format!(
                    "{text:?}: the size must be 1 byte or more (leave it out for the server's limit)"
                )));
            }
        } else if !part.is_empty() && !part.starts_with(|c: char| c.is_ascii_digit()) && !types_given {
            types_given = true;
            requirement.media_types = part
                .split(',')
                .map(|m| media::parse(m).map_err(bad))
                .collect::<Result<_>>()?;
        } else {
            return Err(bad(format!("{text:?}: {form}")));
        }
    }
    Ok(requirement)
}

pub async fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Upload(args) => upload::upload(ctx, args).await,
        Cmd::Download(args) => download::download(ctx, args).await,
        Cmd::List {
            app,
            all_versions,
            page_size,
            limit,
        } => {
            let parent = app.name()?;
            let paging = Paging {
                page_size,
                limit: limit.map(|l| l as usize),
            };
            let items = paging
                .collect(|page_size, page_token| {
                    let request = v1::ListDocumentsRequest {
                        parent: parent.clone(),
                        page_size,
                        page_token,
                        all_versions,
                    };
                    async move {
                        let r = ctx
                            .conn
                            .call(request, |ch, r| async move { Client::new(ch).list_documents(r).await })
                            .await?;
                        Ok((r.documents, r.next_page_token))
                    }
                })
                .await?;
            output::list(ctx.format, &items)
        }
        Cmd::Get { document } => {
            let document = get(ctx, document_arg("DOCUMENT", &document)?).await?;
            output::one(ctx.format, &document)
        }
        Cmd::Delete { document, write } => {
            let request = v1::DeleteDocumentRequest {
                name: document_arg("DOCUMENT", &document)?,
                request_id: write.id(),
            };
            let r = ctx
                .conn
                .call(request, |ch, r| async move { Client::new(ch).delete_document(r).await })
                .await?;
            output::one(ctx.format, &r.document.unwrap_or_default())
        }
    }
}

async fn get(ctx: &Ctx, name: String) -> Result<v1::Document> {
    let r = ctx
        .conn
        .call(v1::GetDocumentRequest { name }, |ch, r| async move {
            Client::new(ch).get_document(r).await
        })
        .await?;
    Ok(r.document.unwrap_or_default())
}

/// Resolves when Ctrl-C is pressed (never, if it cannot be listened for).
async fn interrupted() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Runs blocking work off the async workers.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| CliError::other(format!("a file operation did not finish: {e}")))?
}

/// The result of a blocking task.
fn joined<T>(outcome: std::result::Result<T, tokio::task::JoinError>) -> Result<T> {
    outcome.map_err(|e| CliError::other(format!("a file operation did not finish: {e}")))
}

/// Why a transfer attempt stopped: a status (perhaps transient), or a
/// local problem that retrying cannot mend.
enum Failure {
    Status(Status),
    Local(CliError),
}

/// `UNAVAILABLE connection reset`: a transient failure, briefly.
fn describe(status: &Status) -> String {
    let detail = transient::transport_problem(status).unwrap_or_else(|| one_line(status.message()));
    format!("{} {detail}", code_name(status.code()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_as_flags_write_them() {
        let r = requirement_arg("--require-document", "proposal:pdf:20MiB", true).unwrap();
        assert_eq!(r.kind, v1::DocumentKind::Proposal as i32);
        assert!(r.required);
        assert_eq!(r.media_types, vec![media::PDF.to_owned()]);
        assert_eq!(r.max_size_bytes, 20 << 20);
        let r = requirement_arg("--accept-document", "Partner_Letter:5MB:pdf,jpg", false).unwrap();
        assert_eq!(r.kind, v1::DocumentKind::PartnerLetter as i32);
        assert_eq!(r.media_types, vec![media::PDF.to_owned(), "image/jpeg".to_owned()]);
        assert_eq!(r.max_size_bytes, 5_000_000);
        let r = requirement_arg("--accept-document", "other", false).unwrap();
        assert!(r.media_types.is_empty() && r.max_size_bytes == 0 && !r.required);
        for bad in [
            "thesis",
            "proposal:zip",
            "proposal:pdf:png",
            "proposal:1MiB:2MiB",
            "proposal::pdf",
            "proposal:0",
        ] {
            let err = requirement_arg("--require-document", bad, true).unwrap_err();
            assert_eq!(err.code, crate::error::exit::INVALID, "{bad}");
            assert!(err.message.starts_with("invalid --require-document"), "{}", err.message);
        }
    }
}

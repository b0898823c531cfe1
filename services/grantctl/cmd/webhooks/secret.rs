//! How `webhooks create` and `webhooks rotate` show a new secret, once:
//! alone on standard output with the webhook on standard error (a table,
//! as `keys create` does), the name on standard output and the secret on
//! standard error (`-o name`), the whole response (`-o json`), or in
//! `--secret-file FILE` (0600), made before the call and written after it.

use std::io::Write;
use std::path::{Path, PathBuf};

use gba_grants::proto::v1;

use crate::error::{CliError, Result};
use crate::json::webhook as json;
use crate::output::{self, Format};
use crate::records::AtomicFile;
use crate::table;
use crate::views::Resource;

const REPLAYED: &str = "grantctl: note: a replayed request: the secret is shown only once, to the first call";

/// A new secret and its webhook, in the format asked.
pub fn show(format: Format, w: &v1::Webhook, secret: &str, file: Option<SecretFile>) -> Result<()> {
    if let Some(file) = file {
        if secret.is_empty() {
            eprintln!("{REPLAYED}; {} was left as it was", file.target.display());
        } else {
            file.keep(secret)?;
        }
        return output::one(format, w);
    }
    match format {
        Format::Json => output::write(&output::pretty(&json::with_secret(Some(w), secret))),
        Format::Jsonl => output::write(&output::compact(&json::with_secret(Some(w), secret))),
        Format::Table => {
            eprint!("{}", table::fields(&w.details()));
            if secret.is_empty() {
                eprintln!("{REPLAYED}");
                return Ok(());
            }
            output::write(&format!("{secret}\n"))
        }
        Format::Name => {
            output::write(&format!("{}\n", w.name()))?;
            if secret.is_empty() {
                eprintln!("{REPLAYED}");
            } else {
                eprintln!("Secret (shown once; --secret-file FILE keeps it in a file instead): {secret}");
            }
            Ok(())
        }
    }
}

/// `--secret-file`: made (0600) before the call, written after it.
pub struct SecretFile {
    file: AtomicFile,
    target: PathBuf,
}

impl SecretFile {
    pub fn prepare(target: Option<&Path>) -> Result<Option<Self>> {
        let Some(target) = target else {
            return Ok(None);
        };
        let file = AtomicFile::create_private(target)
            .map_err(|e| CliError::invalid("--secret-file", format!("cannot write {}: {e}", target.display())))?;
        Ok(Some(Self {
            file,
            target: target.to_path_buf(),
        }))
    }

    /// Writes the secret; if that fails, prints it on standard output
    /// rather than lose it (it is shown once).
    fn keep(self, secret: &str) -> Result<()> {
        let Self { mut file, target } = self;
        let written = file
            .write_all(format!("{secret}\n").as_bytes())
            .and_then(|()| file.commit());
        if let Err(e) = written {
            output::write(&format!("{secret}\n"))?;
            return Err(CliError::other(format!(
                "cannot write the secret to {}: {e}; it was printed on standard output instead (it is shown once)",
                target.display()
            )));
        }
        Ok(())
    }
}

//! Where a command connects and with which key. Each setting comes from
//! its flag, else its environment variable, else the context (named by
//! `--context` / `GBA_GRANTS_CONTEXT`, else the current one), else the
//! built-in default. An endpoint without a scheme is http://, or https://
//! when TLS files are given.

use std::path::PathBuf;

use clap::ArgMatches;
use clap::parser::ValueSource;

use crate::cli::Global;
use crate::client::Tls;
use crate::contexts::{Config, Context, Location};
use crate::error::{CliError, Result, exit};

/// The endpoint when nothing names one.
pub const DEFAULT_ENDPOINT: &str = "127.0.0.1:50051";

/// What to say when a command needs a key and none was found.
pub const NO_TOKEN: &str = "no API key: pass --token or --token-file, set GBA_GRANTS_TOKEN or \
                            GBA_GRANTS_TOKEN_FILE, or save one with grantctl config set-context";

/// Where a global flag's value came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Source {
    #[default]
    Unset,
    Flag,
    Env,
}

/// The source of each connection flag, as clap saw it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Given {
    pub endpoint: Source,
    pub token: Source,
    pub token_file: Source,
    pub ca_file: Source,
    pub cert_file: Source,
    pub key_file: Source,
}

impl Given {
    /// Reads the sources off the parsed command line (global flags may be
    /// given at any level, so the deepest level that has one wins).
    pub fn from_matches(top: &ArgMatches) -> Self {
        let mut levels = vec![top];
        while let Some((_, sub)) = levels.last().and_then(|m| m.subcommand()) {
            levels.push(sub);
        }
        let source = |id: &str| {
            for m in levels.iter().rev() {
                match m.try_get_raw(id).ok().flatten().and_then(|_| m.value_source(id)) {
                    Some(ValueSource::CommandLine) => return Source::Flag,
                    Some(ValueSource::EnvVariable) => return Source::Env,
                    _ => {}
                }
            }
            Source::Unset
        };
        Self {
            endpoint: source("endpoint"),
            token: source("token"),
            token_file: source("token_file"),
            ca_file: source("ca_file"),
            cert_file: source("cert_file"),
            key_file: source("key_file"),
        }
    }
}

/// The settings a command connects with.
pub struct Resolved {
    /// With its scheme.
    pub endpoint: String,
    /// Never printed.
    pub token: Option<String>,
    pub tls: Tls,
    /// The context in use, if any.
    pub context: Option<String>,
}

/// The context named by `--context` / `GBA_GRANTS_CONTEXT`, else the
/// current one; `None` when there is none. A named context that is not
/// in the file is refused (exit 4).
pub fn chosen_context(global: &Global) -> Result<Option<(String, Context)>> {
    let explicit = global.context.as_deref().filter(|c| !c.is_empty());
    let at = match Location::from_env() {
        Ok(at) => at,
        // No configuration directory: fine unless a context was asked for.
        Err(err) if explicit.is_some() => return Err(err),
        Err(_) => return Ok(None),
    };
    let config = Config::load(&at)?;
    let name = match explicit {
        Some(name) => name.to_owned(),
        None => match &config.current_context {
            Some(name) => name.clone(),
            None => return Ok(None),
        },
    };
    let context = config.get(&name, &at)?.clone();
    Ok(Some((name, context)))
}

/// A token file's contents, trimmed; `origin` names where the path came from.
fn read_token_file(path: &PathBuf, origin: &str) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::invalid(origin, format!("cannot read {}: {e}", path.display())))?;
    let token = text.trim().to_owned();
    if token.is_empty() {
        return Err(CliError::invalid(origin, format!("{} is empty", path.display())));
    }
    Ok(token)
}

/// `127.0.0.1:50051` → `http://127.0.0.1:50051` (`https://` with TLS);
/// an endpoint with a scheme is kept as it is.
pub fn with_scheme(endpoint: &str, tls: bool) -> String {
    let endpoint = endpoint.trim();
    if endpoint.contains("://") {
        endpoint.to_owned()
    } else if tls {
        format!("https://{endpoint}")
    } else {
        format!("http://{endpoint}")
    }
}

/// Resolves every setting; `needs_token`: refuse (exit 4) without a key
/// (otherwise no key is read or sent).
pub fn resolve(global: &Global, given: &Given, needs_token: bool) -> Result<Resolved> {
    let chosen = chosen_context(global)?;
    let (context_name, context) = match chosen {
        Some((name, c)) => (Some(name), c),
        None => (None, Context::default()),
    };
    let of_context = |field: &str| match &context_name {
        Some(name) => format!("{field} of context {name:?}"),
        None => field.to_owned(),
    };
    let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
    let path = |p: &Option<PathBuf>| p.clone().filter(|p| !p.as_os_str().is_empty());

    // The key: flags, then environment, then the context; a file wins
    // over an inline token at the same level. A command that needs none
    // (the health check) reads none.
    let mut token = None;
    let levels: &[Source] = if needs_token { &[Source::Flag, Source::Env] } else { &[] };
    for &level in levels {
        if given.token_file == level
            && let Some(file) = path(&global.token_file)
        {
            let origin = if level == Source::Flag {
                "--token-file"
            } else {
                "GBA_GRANTS_TOKEN_FILE"
            };
            token = Some(read_token_file(&file, origin)?);
            break;
        }
        if given.token == level
            && let Some(t) = nonempty(&global.token)
        {
            token = Some(t.trim().to_owned());
            break;
        }
    }
    if token.is_none() && needs_token {
        if let Some(file) = path(&context.token_file) {
            token = Some(read_token_file(&file, &of_context("token_file"))?);
        } else if let Some(t) = nonempty(&context.token) {
            token = Some(t.trim().to_owned());
        }
    }
    if needs_token && token.is_none() {
        let mut message = NO_TOKEN.to_owned();
        if let Some(name) = &context_name {
            message.push_str(&format!(" (context {name:?} has none)"));
        }
        return Err(CliError::new(exit::INVALID, message));
    }

    let ca_file = path(&global.ca_file).or_else(|| path(&context.ca_file));
    let cert_file = path(&global.cert_file).or_else(|| path(&context.cert_file));
    let key_file = path(&global.key_file).or_else(|| path(&context.key_file));
    let identity = match (cert_file, key_file) {
        (Some(cert), Some(key)) => Some((cert, key)),
        (None, None) => None,
        (Some(_), None) => {
            return Err(CliError::invalid(
                "--cert-file",
                "a client certificate needs --key-file too",
            ));
        }
        (None, Some(_)) => {
            return Err(CliError::invalid("--key-file", "a client key needs --cert-file too"));
        }
    };
    let tls = Tls { ca_file, identity };
    let endpoint = nonempty(&global.endpoint)
        .or_else(|| nonempty(&context.endpoint))
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
    let endpoint = with_scheme(&endpoint, tls.ca_file.is_some() || tls.identity.is_some());
    Ok(Resolved {
        endpoint,
        token,
        tls,
        context: context_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_without_a_scheme_get_one() {
        assert_eq!(with_scheme("127.0.0.1:50051", false), "http://127.0.0.1:50051");
        assert_eq!(with_scheme("localhost:50051", false), "http://localhost:50051");
        assert_eq!(
            with_scheme("grants.example.org:443", true),
            "https://grants.example.org:443"
        );
        assert_eq!(with_scheme("http://x:1", true), "http://x:1");
        assert_eq!(with_scheme(" https://x:1 ", false), "https://x:1");
    }
}

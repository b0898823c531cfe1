//! `grantctl config set-context|use-context|current-context|get-contexts|
//! delete-context`: saved connection settings, like kubectl's contexts
//! (the file and its permissions: contexts.rs). No call is made.

use clap::Subcommand;
use serde_json::{Value, json};

use crate::cli::Global;
use crate::contexts::{self, Config, Context, Location};
use crate::error::{CliError, Result, exit};
use crate::output::{self, Format};
use crate::settings::{Given, Source, with_scheme};
use crate::table;

pub const SET_CONTEXT_HELP: &str = "\
The connection flags given on this command line are saved in the context:
--endpoint, --token-file (preferred: the path is saved, not the key),
--token (the key itself, in the 0600 file), --ca-file, --cert-file and
--key-file. Only those change; environment variables are not saved. The
first context saved becomes the current one.

Example:
  grantctl config set-context local --endpoint 127.0.0.1:50051 --token-file ~/.gba/admin.key
  grantctl config set-context prod --endpoint grants.example.org:443 --ca-file ~/.gba/ca.pem \\
    --token-file ~/.gba/prod.key
  grantctl config set-context prod --token-file ~/.gba/new.key     # only the key changes";

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Create a context or change it: only the connection flags given change.
    #[command(after_help = SET_CONTEXT_HELP)]
    SetContext {
        /// The context's name, such as prod.
        name: String,
    },
    /// Make a context the current one: commands use it from now on.
    #[command(after_help = "Example:\n  grantctl config use-context prod")]
    UseContext {
        /// The context's name.
        name: String,
    },
    /// Print the current context's name.
    #[command(after_help = "Example:\n  grantctl config current-context")]
    CurrentContext,
    /// List the contexts, marking the current one (never a key).
    #[command(after_help = "Example:\n  grantctl config get-contexts\n  grantctl config get-contexts -o json")]
    GetContexts,
    /// Delete a context (if it is the current one, none is current after).
    #[command(after_help = "Example:\n  grantctl config delete-context staging")]
    DeleteContext {
        /// The context's name.
        name: String,
    },
}

pub fn run(cmd: Cmd, global: &Global, given: &Given, format: Format) -> Result<()> {
    let at = Location::from_env()?;
    let mut config = Config::load(&at)?;
    match cmd {
        Cmd::SetContext { name } => {
            contexts::check_name(&name)?;
            let existed = config.contexts.contains_key(&name);
            let mut context = config.contexts.get(&name).cloned().unwrap_or_default();
            let changed = apply(&mut context, global, given)?;
            if existed && !changed {
                return Err(CliError::invalid(
                    "set-context",
                    "give a setting to change: --endpoint, --token-file, --token, --ca-file, --cert-file or --key-file",
                ));
            }
            if context.cert_file.is_some() != context.key_file.is_some() {
                return Err(CliError::invalid(
                    "set-context",
                    "a client certificate needs both --cert-file and --key-file",
                ));
            }
            config.contexts.insert(name.clone(), context);
            let became_current = config.current_context.is_none();
            if became_current {
                config.current_context = Some(name.clone());
            }
            config.save(&at)?;
            let mut text = format!(
                "Context {name:?} {} in {}.\n",
                if existed { "modified" } else { "created" },
                at.file.display()
            );
            if became_current {
                text.push_str(&format!("Switched to context {name:?}.\n"));
            }
            output::write(&text)
        }
        Cmd::UseContext { name } => {
            config.get(&name, &at)?;
            config.current_context = Some(name.clone());
            config.save(&at)?;
            output::write(&format!("Switched to context {name:?}.\n"))
        }
        Cmd::CurrentContext => {
            let Some(name) = config.current_context.clone() else {
                return Err(CliError::new(
                    exit::OTHER,
                    "no current context: choose one with grantctl config use-context NAME",
                ));
            };
            if let Some(other) = global.context.as_deref().filter(|c| !c.is_empty() && *c != name) {
                eprintln!("grantctl: note: commands here use context {other:?} (--context or GBA_GRANTS_CONTEXT)");
            }
            output::write(&format!("{name}\n"))
        }
        Cmd::GetContexts => get_contexts(&config, format),
        Cmd::DeleteContext { name } => {
            if config.contexts.remove(&name).is_none() {
                return Err(config.unknown(&name, &at));
            }
            let was_current = config.current_context.as_deref() == Some(name.as_str());
            if was_current {
                config.current_context = None;
            }
            config.save(&at)?;
            let mut text = format!("Deleted context {name:?}.\n");
            if was_current {
                text.push_str("No context is current now: grantctl config use-context NAME chooses one.\n");
            }
            output::write(&text)
        }
    }
}

/// Copies the connection flags given on the command line into `c`;
/// whether anything was given.
fn apply(c: &mut Context, global: &Global, given: &Given) -> Result<bool> {
    let mut changed = false;
    if given.endpoint == Source::Flag
        && let Some(endpoint) = &global.endpoint
    {
        let endpoint = endpoint.trim();
        if endpoint.is_empty() {
            return Err(CliError::invalid("--endpoint", "it is empty"));
        }
        tonic::transport::Endpoint::from_shared(with_scheme(endpoint, false)).map_err(|_| {
            CliError::invalid(
                "--endpoint",
                format!("{endpoint:?} is not an address such as 127.0.0.1:50051 or https://grants.example.org"),
            )
        })?;
        c.endpoint = Some(endpoint.to_owned());
        changed = true;
    }
    if given.token_file == Source::Flag
        && let Some(path) = &global.token_file
    {
        let path = contexts::absolute(path)?;
        if !path.is_file() {
            eprintln!("grantctl: warning: {} does not exist (yet)", path.display());
        }
        c.token_file = Some(path);
        c.token = None;
        changed = true;
    } else if given.token == Source::Flag
        && let Some(token) = &global.token
    {
        let token = token.trim();
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(CliError::invalid(
                "--token",
                "it must be printable ASCII without spaces (it is not shown here)",
            ));
        }
        c.token = Some(token.to_owned());
        c.token_file = None;
        changed = true;
    }
    for (source, value, field) in [
        (given.ca_file, &global.ca_file, &mut c.ca_file),
        (given.cert_file, &global.cert_file, &mut c.cert_file),
        (given.key_file, &global.key_file, &mut c.key_file),
    ] {
        if source == Source::Flag
            && let Some(path) = value
        {
            let path = contexts::absolute(path)?;
            if !path.is_file() {
                eprintln!("grantctl: warning: {} does not exist (yet)", path.display());
            }
            *field = Some(path);
            changed = true;
        }
    }
    Ok(changed)
}

fn path(p: &Option<std::path::PathBuf>) -> String {
    p.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
}

/// One context as JSON: where its key is, never the key.
fn context_json(name: &str, current: bool, c: &Context) -> Value {
    let mut v = json!({ "name": name, "current": current });
    let mut set = |key: &str, value: String| {
        if !value.is_empty() {
            v[key] = Value::String(value);
        }
    };
    set("endpoint", c.endpoint.clone().unwrap_or_default());
    set("tokenFile", path(&c.token_file));
    set("caFile", path(&c.ca_file));
    set("certFile", path(&c.cert_file));
    set("keyFile", path(&c.key_file));
    if c.token.is_some() && c.token_file.is_none() {
        v["inlineToken"] = Value::Bool(true);
    }
    v
}

fn get_contexts(config: &Config, format: Format) -> Result<()> {
    let current = config.current_context.as_deref();
    let items: Vec<(&String, &Context)> = config.contexts.iter().collect();
    match format {
        Format::Table => {
            if items.is_empty() {
                eprintln!("No contexts: grantctl config set-context NAME --endpoint ... --token-file ... saves one.");
                return Ok(());
            }
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|(name, c)| {
                    vec![
                        if current == Some(name.as_str()) { "*" } else { "" }.to_owned(),
                        (*name).clone(),
                        c.endpoint.clone().unwrap_or_default(),
                        c.token_source(),
                        path(&c.ca_file),
                        path(&c.cert_file),
                    ]
                })
                .collect();
            output::write(&table::render(
                &["CURRENT", "NAME", "ENDPOINT", "KEY", "CA FILE", "CLIENT CERT"],
                &rows,
            ))
        }
        Format::Json => output::write(&output::pretty(&Value::Array(
            items
                .iter()
                .map(|(name, c)| context_json(name, current == Some(name.as_str()), c))
                .collect(),
        ))),
        Format::Jsonl => output::write(
            &items
                .iter()
                .map(|(name, c)| output::compact(&context_json(name, current == Some(name.as_str()), c)))
                .collect::<String>(),
        ),
        Format::Name => output::write(&items.iter().map(|(name, _)| format!("{name}\n")).collect::<String>()),
    }
}

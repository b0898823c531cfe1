//! Saved contexts, like kubectl's: named sets of connection settings
//! (endpoint, API key as a file path or inline, TLS files) and the current
//! one, in one JSON file of the user's configuration directory —
//! `$GBA_GRANTS_CONFIG`, else `$XDG_CONFIG_HOME/gba-grants/grantctl.json`,
//! else `~/.config/gba-grants/grantctl.json`. The file may hold a secret,
//! so it is written 0600 in a 0700 directory, atomically (a 0600 temporary
//! file renamed over it), and permissions found looser are tightened.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{CliError, Result};

/// The environment variable naming the file instead of the default.
pub const CONFIG_ENV: &str = "GBA_GRANTS_CONFIG";
/// The directory (under the configuration directory) and file name.
const DIR: &str = "gba-grants";
const FILE: &str = "grantctl.json";

/// One context: the connection settings it provides. A field left out
/// falls through to the built-in default.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// A file holding the API key (preferred: the secret stays out of this file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<PathBuf>,
    /// The API key itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
}

/// Never shows the token.
impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("endpoint", &self.endpoint)
            .field("token_file", &self.token_file)
            .field("token", &self.token.as_ref().map(|_| "(hidden)"))
            .field("ca_file", &self.ca_file)
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .finish()
    }
}

impl Context {
    /// How the context provides its key, without the key: `file PATH`,
    /// `inline`, or `none`.
    pub fn token_source(&self) -> String {
        match (&self.token_file, &self.token) {
            (Some(path), _) => format!("file {}", path.display()),
            (None, Some(_)) => "inline".to_owned(),
            (None, None) => "none".to_owned(),
        }
    }
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_context: Option<String>,
    #[serde(default)]
    pub contexts: BTreeMap<String, Context>,
}

/// Where the configuration lives, and whether its directory is grantctl's
/// own (whose permissions grantctl may tighten) or chosen by the user.
#[derive(Debug, Clone)]
pub struct Location {
    pub file: PathBuf,
    own_dir: bool,
}

impl Location {
    /// `$GBA_GRANTS_CONFIG`, else the user's configuration directory.
    pub fn from_env() -> Result<Self> {
        if let Some(path) = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
            return Ok(Self {
                file: PathBuf::from(path),
                own_dir: false,
            });
        }
        let base = config_home().ok_or_else(|| {
            CliError::other(format!(
                "cannot find your configuration directory: set XDG_CONFIG_HOME or HOME, or {CONFIG_ENV}=FILE"
            ))
        })?;
        Ok(Self {
            file: base.join(DIR).join(FILE),
            own_dir: true,
        })
    }
}

/// `$XDG_CONFIG_HOME` (when absolute, as the XDG spec requires), else
/// `$HOME/.config`.
fn config_home() -> Option<PathBuf> {
    if let Some(xdg) = std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from)
        && xdg.is_absolute()
    {
        return Some(xdg);
    }
    Some(home()?.join(".config"))
}

/// `$HOME`, else what the system says.
fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(std::env::home_dir)
}

/// A context name: printable, no spaces, at most 100 characters.
pub fn check_name(name: &str) -> Result<()> {
    let ok =
        !name.is_empty() && name.chars().count() <= 100 && name.chars().all(|c| !c.is_control() && !c.is_whitespace());
    if ok {
        Ok(())
    } else {
        Err(CliError::invalid(
            "NAME",
            format!("{name:?} is not a context name: use letters, digits and punctuation, no spaces"),
        ))
    }
}

impl Config {
    /// Reads the file; a missing file is an empty configuration. A file
    /// readable by others is tightened to 0600 first (with a note).
    pub fn load(at: &Location) -> Result<Self> {
        let text = match std::fs::read_to_string(&at.file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => {
                return Err(CliError::other(format!("cannot read {}: {e}", at.file.display())));
            }
        };
        tighten(&at.file, 0o600);
        if at.own_dir
            && let Some(dir) = at.file.parent()
        {
            tighten(dir, 0o700);
        }
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        serde_json::from_str(&text).map_err(|e| {
            CliError::invalid(
                "configuration",
                format!("{} is not a grantctl configuration: {e}", at.file.display()),
            )
        })
    }

    /// The named context, or the refusal naming the ones there are.
    pub fn get(&self, name: &str, at: &Location) -> Result<&Context> {
        self.contexts.get(name).ok_or_else(|| self.unknown(name, at))
    }

    pub fn unknown(&self, name: &str, at: &Location) -> CliError {
        let known = if self.contexts.is_empty() {
            "there are none; create one with grantctl config set-context NAME".to_owned()
        } else {
            format!(
                "known: {}",
                self.contexts.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        };
        CliError::invalid(
            "context",
            format!("no context {name:?} in {} ({known})", at.file.display()),
        )
    }

    /// Writes the file atomically: a 0600 temporary file in the same
    /// directory (created 0700 if missing), synced, renamed over the old one.
    pub fn save(&self, at: &Location) -> Result<()> {
        let io = |what: &str, e: std::io::Error| CliError::other(format!("cannot {what}: {e}"));
        let dir = match at.file.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        create_dir(&dir).map_err(|e| io(&format!("create {}", dir.display()), e))?;
        if at.own_dir {
            tighten(&dir, 0o700);
        }
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| CliError::other(format!("cannot write the configuration: {e}")))?;
        text.push('\n');
        let name = at
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), rand::random::<u32>()));
        let written = (|| {
            let mut file = create_private(&temp)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&temp, &at.file)
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(io(&format!("write {}", at.file.display()), e));
        }
        // The rename is durable once the directory is synced (best effort).
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

#[cfg(unix)]
fn create_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

#[cfg(not(unix))]
fn create_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).create_new(true).open(path)
}

/// Takes group and other permissions away from `path` when it has any
/// (the file 0600, its directory 0700), saying so; warns when it cannot.
#[cfg(unix)]
fn tighten(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    let current = meta.permissions().mode() & 0o777;
    if current & 0o077 == 0 {
        return;
    }
    match std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
        Ok(()) => eprintln!(
            "grantctl: note: {} was open to others ({current:o}); it is now {mode:o}",
            path.display()
        ),
        Err(e) => eprintln!(
            "grantctl: warning: {} is open to others ({current:o}) and cannot be made {mode:o}: {e}",
            path.display()
        ),
    }
}

#[cfg(not(unix))]
fn tighten(_: &Path, _: u32) {}

/// A path as given to `set-context`, made absolute (a context is used from
/// any directory); `~/` is expanded as a shell would.
pub fn absolute(path: &Path) -> Result<PathBuf> {
    let expanded = match path.to_str().and_then(|p| p.strip_prefix("~/")) {
        Some(rest) => match home() {
            Some(home) => home.join(rest),
            None => path.to_path_buf(),
        },
        None => path.to_path_buf(),
    };
    std::path::absolute(&expanded).map_err(|e| CliError::invalid("path", format!("{}: {e}", path.display())))
}

//! TLS for the API listener (`--tls-cert`, `--tls-key`), and mutual TLS
//! (`--tls-client-ca`): clients must then present a certificate signed by
//! that CA, in addition to their API key. rustls through tonic. Files are
//! read and checked at start-up: a missing or unreadable file, or a key
//! that does not belong to the certificate, stops the start with a
//! message naming it.

use std::path::{Path, PathBuf};

use tonic::transport::{Certificate, Identity, ServerTlsConfig};

/// Where the PEM files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Require client certificates signed by this CA.
    pub client_ca: Option<PathBuf>,
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))?;
    if !String::from_utf8_lossy(&bytes).contains("-----BEGIN ") {
        return Err(format!("the {what} {} is not PEM", path.display()));
    }
    Ok(bytes)
}

impl TlsFiles {
    /// The server's TLS configuration, from the files as they are now.
    pub fn server_config(&self) -> Result<ServerTlsConfig, String> {
        let cert = read(&self.cert, "TLS certificate (--tls-cert)")?;
        let key = read(&self.key, "TLS private key (--tls-key)")?;
        let mut config = ServerTlsConfig::new().identity(Identity::from_pem(cert, key));
        if let Some(ca) = &self.client_ca {
            let ca = read(ca, "client CA certificate (--tls-client-ca)")?;
            config = config.client_ca_root(Certificate::from_pem(ca));
        }
        Ok(config)
    }
}

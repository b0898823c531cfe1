//! TLS and mutual TLS on the API listener, with certificates made at run
//! time: a TLS call works, a plaintext call to the TLS port fails cleanly,
//! under mTLS a client without a certificate or with one from another CA
//! is refused, and bad files stop the start with a message naming them.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use gba_grants::proto::v1;
use gba_grants::startup::{Application, Settings};
use gba_grants::tls::TlsFiles;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use tokio_util::sync::CancellationToken;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

fn authority(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA")
}

/// A certificate and key signed by `ca`, as PEM.
fn leaf(ca: &CertifiedIssuer<'static, KeyPair>, names: &[&str], usage: ExtendedKeyUsagePurpose) -> (String, String) {
    let mut params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, names.first().copied().unwrap_or("client"));
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, ca).expect("sign");
    (cert.pem(), key.serialize_pem())
}

struct Pki {
    dir: tempfile::TempDir,
    ca: CertifiedIssuer<'static, KeyPair>,
    other_ca: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    fn new() -> Self {
        let pki = Self {
            dir: tempfile::tempdir().expect("dir"),
            ca: authority("GBA Grants test CA"),
            other_ca: authority("Someone else's CA"),
        };
        let (cert, key) = leaf(
            &pki.ca,
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        pki.write("server.pem", &cert);
        pki.write("server.key", &key);
        pki.write("ca.pem", &pki.ca.pem());
        pki
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn files(&self, mutual: bool) -> TlsFiles {
        TlsFiles {
            cert: self.path("server.pem"),
            key: self.path("server.key"),
            client_ca: mutual.then(|| self.path("ca.pem")),
        }
    }
}

struct Running {
    addr: std::net::SocketAddr,
    admin_key: String,
    stop: CancellationToken,
    _db: TestDb,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn start(files: TlsFiles) -> Running {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut settings = Settings::new("127.0.0.1:0", db.url.clone());
    settings.tls = Some(files);
    settings.shutdown_grace = Duration::from_secs(1);
    let app = Application::build(settings).await.expect("builds with TLS");
    let (addr, admin_key) = (app.local_addr(), app.bootstrap_secret().unwrap_or_default().to_owned());
    let stop = CancellationToken::new();
    let signal = stop.clone();
    tokio::spawn(app.run_until(async move { signal.cancelled().await }));
    Running {
        addr,
        admin_key,
        stop,
        _db: db,
    }
}

async fn tls_channel(
    addr: std::net::SocketAddr,
    ca: &Path,
    identity: Option<(String, String)>,
) -> Result<Channel, String> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(std::fs::read(ca).expect("ca")))
        .domain_name("localhost");
    if let Some((cert, key)) = identity {
        tls = tls.identity(Identity::from_pem(cert, key));
    }
    let endpoint = Endpoint::from_shared(format!("https://{addr}"))
        .map_err(|e| e.to_string())?
        .tls_config(tls)
        .map_err(|e| e.to_string())?
        .connect_timeout(Duration::from_secs(5));
    endpoint.connect().await.map_err(|e| format!("{e:?}"))
}

async fn list_programmes(channel: Channel, key: &str) -> Result<usize, tonic::Status> {
    let mut client = v1::programme_service_client::ProgrammeServiceClient::with_interceptor(channel, Bearer::new(key));
    let page = client.list_programmes(v1::ListProgrammesRequest::default()).await?;
    Ok(page.into_inner().programmes.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_the_api_and_refuses_plaintext() {
    let pki = Pki::new();
    let server = start(pki.files(false)).await;
    let channel = tls_channel(server.addr, &pki.path("ca.pem"), None)
        .await
        .expect("a TLS connection");
    assert_eq!(
        list_programmes(channel, &server.admin_key).await.expect("a TLS call"),
        0
    );

    // Plaintext HTTP/2 to the TLS port fails, promptly and cleanly.
    let plain = tokio::time::timeout(Duration::from_secs(10), async {
        let channel = Endpoint::from_shared(format!("http://{}", server.addr))
            .unwrap()
            .connect()
            .await;
        match channel {
            Err(err) => Err(format!("{err}")),
            Ok(channel) => list_programmes(channel, &server.admin_key)
                .await
                .map_err(|s| s.to_string()),
        }
    })
    .await
    .expect("no hang");
    assert!(plain.is_err(), "plaintext must not be served: {plain:?}");
    // A client that does not trust the server's CA refuses it.
    let stranger = pki.write("other-ca.pem", &pki.other_ca.pem());
    assert!(tls_channel(server.addr, &stranger, None).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_requires_a_client_certificate_from_the_ca() {
    let pki = Pki::new();
    let server = start(pki.files(true)).await;
    let ca = pki.path("ca.pem");
    let ours = leaf(&pki.ca, &["research-office"], ExtendedKeyUsagePurpose::ClientAuth);
    let channel = tls_channel(server.addr, &ca, Some(ours))
        .await
        .expect("mTLS connection");
    assert_eq!(
        list_programmes(channel, &server.admin_key).await.expect("an mTLS call"),
        0
    );

    // No certificate, or one from another CA: refused (at the handshake or
    // the first call), never served.
    let theirs = leaf(&pki.other_ca, &["intruder"], ExtendedKeyUsagePurpose::ClientAuth);
    for identity in [None, Some(theirs)] {
        let outcome = match tls_channel(server.addr, &ca, identity).await {
            Err(err) => Err(err),
            Ok(channel) => list_programmes(channel, &server.admin_key)
                .await
                .map_err(|s| s.to_string()),
        };
        assert!(outcome.is_err(), "refused: {outcome:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tls_files_stop_the_start_naming_them() {
    let pki = Pki::new();
    let db = TestDb::new(Backend::Sqlite).await;
    let build = |files: TlsFiles| {
        let mut settings = Settings::new("127.0.0.1:0", db.url.clone());
        settings.tls = Some(files);
        Application::build(settings)
    };
    let missing = TlsFiles {
        cert: pki.path("nowhere.pem"),
        ..pki.files(false)
    };
    let err = build(missing).await.err().expect("refused").to_string();
    assert!(err.contains("nowhere.pem"), "{err}");

    // A key that belongs to another certificate.
    let (_, other_key) = leaf(&pki.ca, &["localhost"], ExtendedKeyUsagePurpose::ServerAuth);
    let wrong = TlsFiles {
        key: pki.write("other.key", &other_key),
        ..pki.files(false)
    };
    let err = build(wrong).await.err().expect("refused").to_string();
    assert!(err.contains("do not work together"), "{err}");

    let not_pem = TlsFiles {
        client_ca: Some(pki.write("ca.txt", "not a certificate")),
        ..pki.files(true)
    };
    let err = build(not_pem).await.err().expect("refused").to_string();
    assert!(err.contains("ca.txt") && err.contains("not PEM"), "{err}");
}

fn grantctl(args: &[&str], token: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_grantctl"))
        .args(args)
        .env("GBA_GRANTS_TOKEN", token)
        .env_remove("GBA_GRANTS_ENDPOINT")
        .output()
        .expect("run grantctl")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grantctl_connects_with_a_ca_file_and_a_client_certificate() {
    let pki = Pki::new();
    let server = start(pki.files(true)).await;
    let (cert, key) = leaf(&pki.ca, &["officer-laptop"], ExtendedKeyUsagePurpose::ClientAuth);
    let (cert, key) = (pki.write("client.pem", &cert), pki.write("client.key", &key));
    let endpoint = format!("https://127.0.0.1:{}", server.addr.port());
    let ca = pki.path("ca.pem");
    let (ca, cert, key) = (ca.to_str().unwrap(), cert.to_str().unwrap(), key.to_str().unwrap());
    let token = server.admin_key.clone();
    let args = [
        "programmes",
        "list",
        "-o",
        "json",
        "--endpoint",
        &endpoint,
        "--ca-file",
        ca,
    ];
    let with = [&args[..], &["--cert-file", cert, "--key-file", key]].concat();
    let ok = tokio::task::spawn_blocking({
        let (with, token) = (with.iter().map(|s| s.to_string()).collect::<Vec<_>>(), token.clone());
        move || grantctl(&with.iter().map(String::as_str).collect::<Vec<_>>(), &token)
    })
    .await
    .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "[]");
    // Without the client certificate the server refuses: unavailable (6).
    let refused = tokio::task::spawn_blocking({
        let (args, token) = (args.iter().map(|s| s.to_string()).collect::<Vec<_>>(), token);
        move || grantctl(&args.iter().map(String::as_str).collect::<Vec<_>>(), &token)
    })
    .await
    .unwrap();
    assert_eq!(
        refused.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

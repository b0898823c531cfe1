//! PostgreSQL over TLS, against a cluster of the test's own started with
//! `ssl=on` and a certificate the test makes: `verify-full` with the right
//! CA and host serves; `verify-ca` with the right CA serves whatever the
//! host name; `require` serves; a wrong CA, or a host the certificate does
//! not name, stops the start at once with a message naming the cause; and
//! the cluster refuses connections without TLS, so those that served used
//! it.

mod common;

use std::time::{Duration, Instant};

use common::private_pg::PrivatePostgres;
use common::*;
use gba_grants::proto::v1;
use gba_grants::startup::{Application, Settings};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use tokio_util::sync::CancellationToken;

fn authority(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA")
}

/// A server certificate for `localhost` (and no IP address), as PEM.
fn server_cert(ca: &CertifiedIssuer<'static, KeyPair>) -> (String, String) {
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    params.distinguished_name.push(DnType::CommonName, "localhost");
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, ca).expect("sign");
    (cert.pem(), key.serialize_pem())
}

/// Starts a server on `url`; its error, if it does not start.
async fn start(url: String) -> Result<(Application, CancellationToken), String> {
    let mut settings = Settings::new("127.0.0.1:0", url);
    settings.database_timeout = Duration::from_secs(3);
    let app = Application::build(settings).await.map_err(|e| e.to_string())?;
    Ok((app, CancellationToken::new()))
}

/// The server serves a call over its TLS connection to the database.
async fn serves(url: String) {
    let (app, stop) = start(url.clone()).await.unwrap_or_else(|e| panic!("{url}: {e}"));
    let key = app.bootstrap_secret().expect("a bootstrap key").to_owned();
    let addr = app.local_addr();
    let signal = stop.clone();
    let running = tokio::spawn(app.run_until(async move { signal.cancelled().await }));
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    let server = TestServer::remote(channel, &key);
    let made = server
        .register("University of Macau", "澳門大學", v1::Region::Macao)
        .await;
    assert!(made.starts_with("institutions/"), "{made}");
    stop.cancel();
    running.await.expect("task").expect("the server exits cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: cargo test -- --include-ignored"]
async fn postgres_over_tls_verifies_the_server_or_refuses_at_start() {
    let ca = authority("GBA test database CA");
    let (cert, key) = server_cert(&ca);
    let cluster = PrivatePostgres::start_with_tls(&cert, &key);
    let right = cluster.dir().join("right-ca.pem");
    std::fs::write(&right, ca.pem()).expect("write the CA");
    let wrong = cluster.dir().join("wrong-ca.pem");
    std::fs::write(&wrong, authority("Another CA").pem()).expect("write another CA");
    let with = |host: &str, db: &str, mode: &str, root: Option<&std::path::Path>| {
        let mut url = format!("{}?sslmode={mode}", cluster.url_at(host, db));
        if let Some(root) = root {
            url.push_str(&format!("&sslrootcert={}", root.display()));
        }
        url
    };

    serves(with("localhost", "full", "verify-full", Some(&right))).await;
    serves(with("127.0.0.1", "ca", "verify-ca", Some(&right))).await;
    serves(with("127.0.0.1", "required", "require", None)).await;

    for (url, cause) in [
        (
            with("localhost", "wrong_ca", "verify-full", Some(&wrong)),
            "certificate",
        ),
        (
            with("127.0.0.1", "wrong_host", "verify-full", Some(&right)),
            "certificate",
        ),
        (
            with(
                "localhost",
                "no_ca",
                "verify-full",
                Some(&cluster.dir().join("absent.pem")),
            ),
            "sslrootcert",
        ),
        // The cluster takes TLS only: proof that the ones above used it.
        (with("127.0.0.1", "plain", "disable", None), "encryption"),
    ] {
        let started = Instant::now();
        let err = match start(url.clone()).await {
            Ok(_) => panic!("{url} started"),
            Err(err) => err,
        };
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{url}: refused after {:?}, not at once",
            started.elapsed()
        );
        assert!(err.contains("cannot open the database"), "{url}: {err}");
        assert!(
            err.to_lowercase().contains(cause),
            "{url}: the message names the cause: {err}"
        );
        eprintln!("{url}: {err}");
    }
}

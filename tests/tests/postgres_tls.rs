//! Postgres over TLS (rustls, ring provider) against the real local server, which Debian sets
//! up with `ssl = on` and a self-signed "snakeoil" certificate for `localhost`. What must hold:
//! with `sslmode=require` and that certificate as `sslrootcert` the connection is encrypted
//! (as the server itself reports) and migrations run over it; with other roots, or under
//! another host name, the certificate is rejected: verification is never switched off.

use omni_sql::{DbTarget, PgAdmin, Schema, run_migrations};
use omni_testkit::db::in_ci;

const SNAKEOIL: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";

/// The server URL with `host` swapped in and TLS query parameters added.
fn url(host: &str, database: &str, query: &str) -> String {
    format!("postgres://postgres@{host}:5432/{database}?{query}")
}

/// Whether this machine's server offers TLS with the snakeoil certificate.
async fn tls_available() -> bool {
    if !std::path::Path::new(SNAKEOIL).exists() {
        eprintln!("SKIPPED: {SNAKEOIL} not present");
        return false;
    }
    let plain = PgAdmin::new(url("127.0.0.1", "postgres", "sslmode=disable"));
    match plain.connection_uses_tls().await {
        Ok(_) => {}
        Err(e) if !in_ci() => {
            eprintln!("SKIPPED: Postgres unreachable: {e}");
            return false;
        }
        Err(e) => panic!("CI=true but Postgres is unreachable: {e}"),
    }
    let tls = PgAdmin::new(url(
        "localhost",
        "postgres",
        &format!("sslmode=require&sslrootcert={SNAKEOIL}"),
    ));
    tls.connection_uses_tls().await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmode_require_with_the_servers_root_encrypts_and_migrates() {
    if !tls_available().await {
        eprintln!("SKIPPED: the local Postgres does not offer TLS with {SNAKEOIL}");
        return;
    }
    // Arrange: a fresh database, reached over TLS.
    let query = format!("sslmode=verify-full&sslrootcert={SNAKEOIL}");
    let admin = PgAdmin::new(url("localhost", "postgres", &query));
    let name = format!(
        "omnitest_tls_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    );
    admin
        .create_database(&name)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // Act
    let encrypted = admin
        .connection_uses_tls()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ran = run_migrations(&DbTarget::Postgres(admin.url_of(&name)), Schema::Central).await;

    // Assert
    admin
        .drop_database(&name)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(encrypted, "the server reports the connection as TLS");
    let central_migrations = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../migrations/postgres/central"
    ))
    .map(|dir| {
        dir.filter(|e| e.as_ref().is_ok_and(|e| e.path().is_dir()))
            .count()
    })
    .unwrap_or_default();
    assert_eq!(
        ran.unwrap_or_else(|e| panic!("migrate over TLS: {e}")),
        central_migrations
    );
    let plain = PgAdmin::new(url("127.0.0.1", "postgres", "sslmode=disable"));
    assert!(
        !plain.connection_uses_tls().await.unwrap_or(true),
        "sslmode=disable stays plain"
    );
}

/// The error (lower-cased) of a TLS connection to `host` trusting only `root`; empty if it
/// connected.
async fn rejection(host: &str, root: &str) -> String {
    let admin = PgAdmin::new(url(
        host,
        "postgres",
        &format!("sslmode=require&sslrootcert={root}"),
    ));
    admin
        .connection_uses_tls()
        .await
        .err()
        .map(|e| format!("{e:?}").to_lowercase())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unverifiable_certificate_is_rejected() {
    if !tls_available().await {
        eprintln!("SKIPPED: the local Postgres does not offer TLS with {SNAKEOIL}");
        return;
    }
    // Public CAs only: the self-signed server certificate has an unknown issuer.
    let public_roots = "/etc/ssl/certs/ca-certificates.crt";
    if std::path::Path::new(public_roots).exists() {
        let err = rejection("localhost", public_roots).await;
        assert!(
            err.contains("certificate"),
            "unknown issuer must fail: {err}"
        );
    }
    // The right root, but the certificate is for `localhost`, not `127.0.0.1`.
    let err = rejection("127.0.0.1", SNAKEOIL).await;
    assert!(
        err.contains("certificate"),
        "name mismatch must fail: {err}"
    );
}

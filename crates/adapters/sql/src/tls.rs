//! Postgres connections, with TLS through rustls on the ring provider (no OpenSSL, no libpq,
//! no aws-lc). The URL says what to do, as libpq URLs do:
//! - `sslmode=require`, `verify-ca` or `verify-full`: TLS, with the server's certificate and
//!   host name always verified (rustls has no unverified mode, and we add none) against the
//!   PEM file in `sslrootcert=` when given (only that file, as libpq does), else the
//!   system's trust store;
//! - no `sslmode`, `disable`, `allow` or `prefer`: plain TCP, as diesel-async does by default.
//!
//! tokio-postgres understands neither `sslrootcert` nor the `verify-*` modes (rust-postgres#768),
//! so they are taken out of the URL here before it is parsed.
//!
//! Every connection also gets TCP keepalives and a TCP user timeout ([`SOCKET_DEFAULTS`])
//! unless the URL sets them itself. Without them a query on a connection to a host that
//! went dark without closing anything (a failover leaving old connections dangling, a
//! dropped route) waits for the kernel's retransmission timeout, about 15 minutes; with
//! them the socket is closed about half a minute after the peer stops acknowledging, the
//! query fails `Unavailable` and the pool opens a fresh connection. A server that is only
//! slow or stopped still acknowledges at the TCP level, so long queries are not cut short.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};

use diesel::ConnectionError;
use diesel_async::AsyncConnection;
use diesel_async::pg::AsyncPgConnection;
use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// A Postgres URL split into what tokio-postgres parses and our TLS choice.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PgUrl {
    /// The URL without `sslrootcert`, with `verify-*` rewritten to `require`.
    url: String,
    /// TLS required.
    tls: bool,
    /// Extra trust anchors.
    root_cert: Option<PathBuf>,
}

fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Socket settings added to every `postgres://` URL that does not set them (libpq's names,
/// which tokio-postgres parses): keepalive probes after 10 s of silence, 5 s apart, and the
/// connection closed once sent data or probes stay unacknowledged for 25 s. A key in the
/// URL wins, so an operator can lengthen or shorten each.
pub const SOCKET_DEFAULTS: [(&str, &str); 3] = [
    ("keepalives_idle", "10"),
    ("keepalives_interval", "5"),
    ("tcp_user_timeout", "25"),
];

fn split(url: &str) -> PgUrl {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let (mut tls, mut root_cert, mut kept) = (false, None, Vec::new());
    let mut keys = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        keys.push(key);
        match (key, value) {
            ("sslrootcert", path) => root_cert = Some(PathBuf::from(percent_decode(path))),
            ("sslmode", "require" | "verify-ca" | "verify-full") => {
                tls = true;
                kept.push("sslmode=require".to_owned());
            }
            _ => kept.push(pair.to_owned()),
        }
    }
    // Only the URL form: a key=value connection string ("host=... dbname=...") has no
    // query part to add to, and is passed through as it is.
    if base.starts_with("postgres://") || base.starts_with("postgresql://") {
        for (key, value) in SOCKET_DEFAULTS {
            if !keys.contains(&key) {
                kept.push(format!("{key}={value}"));
            }
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    PgUrl {
        url,
        tls,
        root_cert,
    }
}

/// Client configurations by extra root file; building one reads the system trust store.
static CONFIGS: LazyLock<Mutex<HashMap<Option<PathBuf>, Arc<ClientConfig>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn client_config(root_cert: Option<&PathBuf>) -> Result<Arc<ClientConfig>, ConnectionError> {
    let key = root_cert.cloned();
    if let Some(config) = CONFIGS.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(config);
    }
    let bad = |e: String| ConnectionError::BadConnection(e);
    let mut roots = rustls::RootCertStore::empty();
    if let Some(path) = root_cert {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| bad(format!("sslrootcert {}: {e}", path.display())))?;
        if certs.is_empty() {
            return Err(bad(format!(
                "sslrootcert {}: no certificate in file",
                path.display()
            )));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| bad(format!("sslrootcert {}: {e}", path.display())))?;
        }
    } else {
        // Unreadable system certificates are skipped; an empty store fails every handshake.
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    }
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| bad(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    let config = Arc::new(config);
    if let Ok(mut configs) = CONFIGS.lock() {
        configs.insert(key, config.clone());
    }
    Ok(config)
}

/// Opens a Postgres connection as the URL asks (see the module header).
///
/// # Errors
/// The URL is invalid, the server unreachable, or its certificate does not verify.
pub async fn connect(url: &str) -> Result<AsyncPgConnection, ConnectionError> {
    let parsed = split(url);
    if !parsed.tls {
        return AsyncPgConnection::establish(&parsed.url).await;
    }
    let config: tokio_postgres::Config = parsed
        .url
        .parse()
        .map_err(|e: tokio_postgres::Error| ConnectionError::InvalidConnectionUrl(e.to_string()))?;
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(
        (*client_config(parsed.root_cert.as_ref())?).clone(),
    );
    let (client, connection) = config
        .connect(tls)
        .await
        .map_err(|e| ConnectionError::BadConnection(omni_ports::error_chain(&e)))?;
    AsyncPgConnection::try_from_client_and_connection(client, connection).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOCKET: &str = "keepalives_idle=10&keepalives_interval=5&tcp_user_timeout=25";

    #[test]
    fn plain_urls_pass_through_with_the_socket_defaults() {
        assert_eq!(
            split("postgres://u@h/db"),
            PgUrl {
                url: format!("postgres://u@h/db?{SOCKET}"),
                tls: false,
                root_cert: None
            }
        );
        assert!(!split("postgres://u@h/db?sslmode=prefer").tls);
        assert_eq!(
            split("postgres://u@h/db?sslmode=disable&application_name=x").url,
            format!("postgres://u@h/db?sslmode=disable&application_name=x&{SOCKET}")
        );
        assert_eq!(
            split("host=h dbname=db user=u").url,
            "host=h dbname=db user=u",
            "a key=value string is left alone"
        );
    }

    #[test]
    fn a_socket_setting_in_the_url_wins_over_the_default() {
        assert_eq!(
            split("postgresql://u@h/db?tcp_user_timeout=3&keepalives_idle=1").url,
            "postgresql://u@h/db?tcp_user_timeout=3&keepalives_idle=1&keepalives_interval=5"
        );
    }

    #[test]
    fn the_defaults_parse_as_tokio_postgres_settings() {
        let config: tokio_postgres::Config = split("postgres://u@h/db")
            .url
            .parse()
            .unwrap_or_else(|e| panic!("parse: {e}"));
        assert_eq!(
            config.get_keepalives_idle(),
            std::time::Duration::from_secs(10)
        );
        assert_eq!(
            config.get_tcp_user_timeout(),
            Some(&std::time::Duration::from_secs(25))
        );
    }

    #[test]
    fn verify_modes_become_require_and_sslrootcert_is_taken_out() {
        let p = split(
            "postgres://u@h/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fssl%2Frds.pem&connect_timeout=5",
        );
        assert_eq!(
            p,
            PgUrl {
                url: format!("postgres://u@h/db?sslmode=require&connect_timeout=5&{SOCKET}"),
                tls: true,
                root_cert: Some(PathBuf::from("/etc/ssl/rds.pem")),
            }
        );
        assert!(split("postgres://h/db?sslmode=require").tls);
        assert!(split("postgres://h/db?sslmode=verify-ca").tls);
    }

    #[test]
    fn a_missing_root_file_is_a_clear_error() {
        let err = client_config(Some(&PathBuf::from("/nonexistent/ca.pem")))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("/nonexistent/ca.pem"), "{err}");
    }
}

//! The HTTP side: one reqwest client (rustls on ring), bearer auth, `appsecret_proof`, timeouts,
//! and turning every failure into a [`GraphError`]. URLs are never logged or put in errors:
//! `debug_token` has to carry the inspected token in its query (Meta offers no other way).

use std::time::Duration;

use omni_ports::meta::{GraphError, GraphErrorKind};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, RequestBuilder, Response, Url};
use ring::hmac;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use crate::GraphConfig;
use crate::errors::{from_response, parse_retry_after};

/// What is sent in place of a token that must not leave (see [`MetaGraphClient::sendable`]).
const REFUSED_TOKEN: &str = "withheld-not-issued-by-this-simulator";

/// The Graph API over HTTPS. Cheap to clone; one per process.
#[derive(Debug, Clone)]
pub struct MetaGraphClient {
    pub(crate) http: reqwest::Client,
    pub(crate) media_http: reqwest::Client,
    pub(crate) config: GraphConfig,
    /// `scheme://host:port` of the Graph API: paging links and media URLs must match all
    /// three before they get the token (same host over plain HTTP or another port does not).
    pub(crate) graph_origin: String,
}

/// Building the client failed (bad base URL or TLS setup).
#[derive(Debug, thiserror::Error)]
#[error("meta graph client: {0}")]
pub struct BuildError(String);

impl MetaGraphClient {
    /// Builds the client. Installs the ring crypto provider for rustls if none is installed
    /// yet (the process-wide default; the app installs the same one at start-up).
    ///
    /// # Errors
    /// When a base URL does not parse or the HTTP client cannot be built.
    pub fn new(config: GraphConfig) -> Result<Self, BuildError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let graph = Url::parse(&config.graph_base_url)
            .map_err(|e| BuildError(format!("graph_base_url: {e}")))?;
        Url::parse(&config.dialog_base_url)
            .map_err(|e| BuildError(format!("dialog_base_url: {e}")))?;
        let build = |timeout: Duration| {
            reqwest::Client::builder()
                .user_agent(config.user_agent.clone())
                .connect_timeout(config.connect_timeout)
                .timeout(timeout)
                // Meta never redirects API calls; a redirect would carry the bearer token
                // somewhere we did not choose.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| BuildError(e.without_url().to_string()))
        };
        Ok(Self {
            http: build(config.timeout)?,
            media_http: build(config.media_timeout)?,
            graph_origin: graph.origin().ascii_serialization(),
            config,
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &GraphConfig {
        &self.config
    }

    /// `{graph_base_url}/{version}/{path}`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!(
            "{}/{}/{}",
            self.config.graph_base_url.trim_end_matches('/'),
            self.config.version,
            path.trim_start_matches('/')
        )
    }

    /// A Graph API request authenticated with a user or business token, with
    /// `appsecret_proof` when configured. The token goes in the `Authorization` header, never
    /// the URL.
    pub(crate) fn authed(&self, method: Method, url: &str, token: &SecretString) -> RequestBuilder {
        self.authed_on(&self.http, method, url, token)
    }

    /// As [`Self::authed`], on `http` (the media client, with its longer timeout).
    pub(crate) fn authed_on(
        &self,
        http: &reqwest::Client,
        method: Method,
        url: &str,
        token: &SecretString,
    ) -> RequestBuilder {
        let token = self.sendable(token);
        let req = http.request(method, url).bearer_auth(token);
        if self.config.send_appsecret_proof {
            req.query(&[("appsecret_proof", self.appsecret_proof(token))])
        } else {
            req
        }
    }

    /// The token as it may be sent: itself, or the placeholder when it lacks the required
    /// prefix ([`GraphConfig::required_token_prefix`]).
    pub(crate) fn sendable<'a>(&self, token: &'a SecretString) -> &'a str {
        match &self.config.required_token_prefix {
            Some(prefix) if !token.expose_secret().starts_with(prefix.as_str()) => {
                tracing::warn!(
                    "a token the simulator did not issue was not sent to it (sandbox mode)"
                );
                REFUSED_TOKEN
            }
            _ => token.expose_secret(),
        }
    }

    /// `appsecret_proof`: hex HMAC-SHA256 of the token (as sent) keyed with the app secret.
    pub(crate) fn appsecret_proof(&self, token: &str) -> String {
        let key = hmac::Key::new(
            hmac::HMAC_SHA256,
            self.config.app_secret.expose_secret().as_bytes(),
        );
        hex::encode(hmac::sign(&key, token.as_bytes()).as_ref())
    }

    /// The app access token `{app_id}|{app_secret}`.
    pub(crate) fn app_token(&self) -> SecretString {
        SecretString::from(format!(
            "{}|{}",
            self.config.app_id,
            self.config.app_secret.expose_secret()
        ))
    }

    /// Whether `url` is on the Graph API's origin (scheme, host and port), as paging links
    /// must be before we send a token.
    pub(crate) fn is_graph_url(&self, url: &Url) -> bool {
        let origin = url.origin();
        origin.is_tuple() && origin.ascii_serialization() == self.graph_origin
    }

    /// Sends and decodes a JSON answer. `what` names the call in logs.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        what: &'static str,
        req: RequestBuilder,
    ) -> Result<T, GraphError> {
        let resp = send(what, req).await?;
        let bytes = resp.bytes().await.map_err(|e| transport(what, &e))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            GraphError::local(
                GraphErrorKind::Protocol,
                format!("{what}: unreadable answer: {e}"),
            )
        })
    }
}

/// Meta's `{"success": true}` answer (`"true"` on some endpoints).
#[derive(serde::Deserialize)]
struct Success {
    #[serde(default)]
    success: serde_json::Value,
}

impl MetaGraphClient {
    /// Sends a request whose answer is `{"success": true}`; anything else is a
    /// `Protocol` error.
    pub(crate) async fn expect_success(
        &self,
        what: &'static str,
        req: RequestBuilder,
    ) -> Result<(), GraphError> {
        let answer: Success = self.json(what, req).await?;
        match answer.success {
            serde_json::Value::Bool(true) => Ok(()),
            serde_json::Value::String(s) if s == "true" => Ok(()),
            other => Err(GraphError::local(
                GraphErrorKind::Protocol,
                format!("{what}: success was {other}"),
            )),
        }
    }
}

/// Sends a request; non-2xx answers become errors with Meta's body.
pub(crate) async fn send(what: &'static str, req: RequestBuilder) -> Result<Response, GraphError> {
    let resp = req.send().await.map_err(|e| transport(what, &e))?;
    log_usage(what, resp.status().as_u16(), resp.headers());
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
    let body = resp.bytes().await.map_err(|e| transport(what, &e))?;
    let err = from_response(status, retry_after, &body);
    tracing::warn!(call = what, error = %err, "graph call failed");
    Err(err)
}

/// A reqwest failure as a [`GraphError`], without the URL.
pub(crate) fn transport(what: &'static str, e: &reqwest::Error) -> GraphError {
    let kind = if e.is_timeout() {
        GraphErrorKind::Timeout
    } else {
        GraphErrorKind::Transport
    };
    let mut detail = format!("{what}: {}", e_without_url(e));
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    tracing::warn!(call = what, kind = %kind, "graph call failed: {detail}");
    GraphError::local(kind, detail)
}

fn e_without_url(e: &reqwest::Error) -> String {
    // `without_url` consumes; rebuild the message from the kind instead.
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else if e.is_body() || e.is_decode() {
        "broken response body".into()
    } else if e.is_request() {
        "request failed".into()
    } else {
        "HTTP error".into()
    }
}

/// Logs Meta's usage headers (`X-App-Usage`, `X-Business-Use-Case-Usage`) at debug level.
fn log_usage(what: &'static str, status: u16, headers: &HeaderMap) {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    tracing::debug!(
        call = what,
        status,
        app_usage = get("x-app-usage"),
        business_usage = get("x-business-use-case-usage"),
        "graph call"
    );
}

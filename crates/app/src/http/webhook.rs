//! Meta's webhook: `GET` answers the subscription challenge, `POST` takes signed event
//! batches. A batch is verified on its raw bytes before anything reads it, every event in it is
//! stored in the inbox, and only then does Meta get its 200. No call to Meta or the agent
//! happens here; the inbox workers do that.

use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use omni_meta_graph::webhook::{SIGNATURE_HEADER, parse_webhook, verify_signature};
use omni_ports::NewInboxEvent;
use ring::hmac;
use secrecy::ExposeSecret;
use serde::Deserialize;

use crate::http::ApiError;
use crate::http::AppState;
use crate::pipeline::ingest::IngestError;

/// The subscription check's query.
#[derive(Debug, Deserialize)]
pub(super) struct Challenge {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

fn forbidden() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::FORBIDDEN,
        "verification_failed",
        "the verify token does not match",
    )
}

/// `GET /api/webhooks/whatsapp`: echoes `hub.challenge` when the mode is `subscribe` and the
/// token is the app's verify token or one account's own.
pub(super) async fn verify(
    state: web::Data<AppState>,
    query: web::Query<Challenge>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let (Some("subscribe"), Some(token), Some(challenge)) =
        (q.mode.as_deref(), q.verify_token.as_deref(), q.challenge)
    else {
        return Err(forbidden());
    };
    if token.is_empty() || challenge.len() > 512 {
        return Err(forbidden());
    }
    let app_match = state
        .webhook
        .verify_token
        .as_ref()
        .is_some_and(|t| same_secret(t.expose_secret(), token));
    if app_match || account_token_matches(&state, token).await? {
        return Ok(HttpResponse::Ok()
            .content_type(ContentType::plaintext())
            .body(challenge));
    }
    tracing::warn!("webhook verification refused: verify token mismatch");
    Err(forbidden())
}

/// Compares two secrets in constant time: ring's `hmac::verify` compares the tags without
/// branching on their bytes (the key need not be secret for that).
fn same_secret(expected: &str, given: &str) -> bool {
    let key = hmac::Key::new(hmac::HMAC_SHA256, b"omniportal verify token comparison");
    let tag = hmac::sign(&key, expected.as_bytes());
    hmac::verify(&key, given.as_bytes(), tag.as_ref()).is_ok()
}

/// Whether any account's own verify token (sealed at rest) equals `token`: a lookup by
/// digest in [`VerifyTokenIndex`].
async fn account_token_matches(state: &AppState, token: &str) -> Result<bool, ApiError> {
    state.webhook.verify_index.contains(state, token).await
}

/// The SHA-256 digests of the accounts' own verify tokens, in memory. A wrong token used to
/// cost one decryption per account on every request (a lever for anyone who can send GETs);
/// now it costs a hash lookup, and the index is rebuilt from the database at most once per
/// [`VerifyTokenIndex::REFRESH`] (a token stored meanwhile matches after the next rebuild).
/// Digests only: the tokens themselves stay sealed.
#[derive(Debug, Default)]
pub struct VerifyTokenIndex {
    digests: std::sync::RwLock<std::collections::HashSet<[u8; 32]>>,
    rebuilt: tokio::sync::Mutex<Option<std::time::Instant>>,
    rebuilds: std::sync::atomic::AtomicU64,
}

impl VerifyTokenIndex {
    /// Shortest time between two rebuilds.
    pub const REFRESH: std::time::Duration = std::time::Duration::from_secs(30);

    fn digest(token: &str) -> [u8; 32] {
        let d = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        out
    }

    /// How many times the index was read from the database (each one opens every token).
    #[must_use]
    pub fn rebuilds(&self) -> u64 {
        self.rebuilds.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn has(&self, digest: &[u8; 32]) -> bool {
        self.digests
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(digest)
    }

    /// Whether `token` is an account's verify token; rebuilds first when it is not known and
    /// the last rebuild is older than [`Self::REFRESH`].
    ///
    /// # Errors
    /// Storage, while rebuilding.
    pub async fn contains(&self, state: &AppState, token: &str) -> Result<bool, ApiError> {
        let digest = Self::digest(token);
        if self.has(&digest) {
            return Ok(true);
        }
        let mut rebuilt = self.rebuilt.lock().await;
        if rebuilt.is_some_and(|at| at.elapsed() < Self::REFRESH) {
            return Ok(self.has(&digest));
        }
        let fresh = Self::load(state).await?;
        self.rebuilds
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        *self
            .digests
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        *rebuilt = Some(std::time::Instant::now());
        Ok(self.has(&digest))
    }

    async fn load(state: &AppState) -> Result<std::collections::HashSet<[u8; 32]>, ApiError> {
        let mut digests = std::collections::HashSet::new();
        let mut after = None;
        loop {
            let page = state
                .services
                .ports
                .central
                .list_account_secrets(after, 200)
                .await?;
            let Some(last) = page.last() else {
                return Ok(digests);
            };
            after = Some(last.account_id);
            for secrets in &page {
                let Some(sealed) = &secrets.webhook_verification_token else {
                    continue;
                };
                let aad =
                    omni_ports::secret_aad(secrets.account_id, omni_ports::VERIFY_TOKEN_FIELD);
                if let Ok(open) = state.services.ports.cipher.open(sealed, &aad) {
                    digests.insert(Self::digest(open.expose_secret()));
                }
            }
        }
    }
}

/// `POST /api/webhooks/whatsapp`.
pub(super) async fn receive(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let started = std::time::Instant::now();
    let result = match read_body(payload, state.webhook.max_body_bytes).await {
        Ok(body) => receive_inner(&state, &req, &body).await,
        Err(e) => Err(e),
    };
    let m = crate::account_health::metrics::get();
    if let Some(m) = m {
        m.webhooks_received.inc();
    }
    let status = match &result {
        Ok(_) => 200,
        Err(e) => {
            if let Some(m) = m {
                m.webhooks_rejected.with_label_values(&[e.code]).inc();
            }
            e.status.as_u16()
        }
    };
    crate::account_health::metrics::ingest(status, started.elapsed());
    result
}

/// The body, at most `max` bytes. The body deadline of every route (`http::edge`) ends a body
/// that trickles in (a byte a second on many sockets); that is answered 408 here too, so the
/// rejection metric names it.
async fn read_body(mut payload: web::Payload, max: usize) -> Result<web::Bytes, ApiError> {
    use futures_util::StreamExt as _;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match e {
            actix_web::error::PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                ApiError::new(
                    actix_web::http::StatusCode::REQUEST_TIMEOUT,
                    "request_timeout",
                    "the body did not arrive in time",
                )
            }
            e => ApiError::new(
                actix_web::http::StatusCode::BAD_REQUEST,
                "invalid_body",
                format!("the body could not be read: {e}"),
            ),
        })?;
        if body.len() + chunk.len() > max {
            return Err(ApiError::new(
                actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("a webhook body is at most {max} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

async fn receive_inner(
    state: &AppState,
    req: &HttpRequest,
    body: &web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let secrets = &state.webhook.secrets;
    if secrets.is_empty() {
        return Err(ApiError::new(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            "webhook_not_configured",
            "no Meta app secret is configured, so no webhook can be verified",
        ));
    }
    let keys: Vec<&[u8]> = secrets
        .iter()
        .map(|s| s.expose_secret().as_bytes())
        .collect();
    let header = req
        .headers()
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    if let Err(e) = verify_signature(&keys, body, header) {
        tracing::warn!(reason = %e, bytes = body.len(), "webhook refused: bad signature");
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "invalid_signature",
            "X-Hub-Signature-256 is missing or does not match the body",
        ));
    }
    let received = state.services.ports.clock.now();
    let events: Vec<NewInboxEvent> = match parse_webhook(body) {
        Ok(batch) => {
            if batch.skipped > 0 {
                tracing::warn!(
                    skipped = batch.skipped,
                    "webhook items that could not be read were skipped"
                );
            }
            batch
                .events
                .iter()
                .map(|e| NewInboxEvent::from_event(e, received))
                .collect()
        }
        Err(e) => {
            // Signed by Meta but unreadable: keep it for an operator, and answer 200 so Meta
            // does not retry something that will never parse.
            tracing::error!(error = %e, "signed webhook body could not be read; kept as dead");
            vec![NewInboxEvent::malformed(body, &e.to_string(), received)]
        }
    };
    crate::fault_points::kill_point("webhook.before_commit");
    if !events.is_empty() {
        match state.webhook.ingest.submit(events).await {
            Ok(()) => {}
            Err(IngestError::Timeout) => {
                return Err(ApiError::unavailable(
                    "the inbox did not commit in time; retry",
                ));
            }
            Err(e) => {
                tracing::error!(error = %e, "webhook not stored; answering 503 so Meta retries");
                return Err(ApiError::unavailable(
                    "the inbox could not store the webhook; retry",
                ));
            }
        }
    }
    crate::fault_points::kill_point("webhook.after_commit");
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type(ContentType::plaintext())
        .body("EVENT_RECEIVED"))
}

//! `GET /metrics`: the Prometheus text format of this process's metrics, plus the inbox and
//! outbox depth read from the database at scrape time. Off with `health.metrics_enabled =
//! false`. It always asks for `Authorization: Bearer <health.metrics_token>`: with no token
//! configured it answers 403 `metrics_token_required` (it was open then, and store ids, queue
//! depths and traffic are nobody else's business). Keep it off the public internet anyway
//! (see docs/architecture.md).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::ExposeSecret;

use crate::account_health::metrics;
use crate::http::ApiError;
use crate::http::AppState;

fn same(a: &[u8], b: &[u8]) -> bool {
    // Constant time for equal lengths; a length mismatch says only the length.
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `GET /metrics`.
///
/// # Errors
/// 404 when disabled, 403 when no token is configured, 401 without the configured token.
pub async fn serve(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if !state.metrics_enabled {
        return Err(ApiError::not_found("no such route"));
    }
    let Some(token) = &state.metrics_token else {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "metrics_token_required",
            "/metrics is served only with a scrape token: set health.metrics_token \
             (OMNI_HEALTH__METRICS_TOKEN) and send it as a bearer token",
        ));
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !same(given.trim().as_bytes(), token.expose_secret().as_bytes()) {
        return Err(ApiError::unauthorized(
            "/metrics needs the configured bearer token (health.metrics_token)",
        ));
    }
    if let Some(m) = metrics::get() {
        match state.services.ports.inbox.counts().await {
            Ok(counts) => {
                m.inbox_depth.reset();
                for (s, n) in counts {
                    m.inbox_depth
                        .with_label_values(&[s.as_str()])
                        .set(i64::try_from(n).unwrap_or(i64::MAX));
                }
            }
            Err(e) => tracing::warn!(error = %e, "inbox depth unavailable for /metrics"),
        }
        match state.services.ports.outbox.counts().await {
            Ok(counts) => {
                m.outbox_depth.reset();
                for (s, n) in counts {
                    m.outbox_depth
                        .with_label_values(&[s.as_str()])
                        .set(i64::try_from(n).unwrap_or(i64::MAX));
                }
            }
            Err(e) => tracing::warn!(error = %e, "outbox depth unavailable for /metrics"),
        }
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(metrics::render()))
}

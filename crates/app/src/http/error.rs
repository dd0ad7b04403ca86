//! One error shape for every route: `{"error": "<stable_code>", "message": "...",
//! "request_id": "..."}` with the right status. Handlers return [`ApiError`]; the
//! [`error_bodies`] middleware adds the request id (the one `TracingLogger` put in the log
//! span) and turns actix's own errors (unknown route, bad JSON, payload too large) into the
//! same shape, so no response ever carries a framework message or anything internal.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use serde::Serialize;
use tracing_actix_web::RequestId;

mod from;

/// An error answered to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code (`snake_case`).
    pub code: &'static str,
    /// Human-readable explanation; never internal detail on a 5xx.
    pub message: String,
}

impl ApiError {
    /// An error with a status, a stable code and a message.
    #[must_use]
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 with a code.
    #[must_use]
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401 `unauthorized`.
    #[must_use]
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 404 `not_found`.
    #[must_use]
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 409 with a code.
    #[must_use]
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 503 `unavailable`: a dependency (database, Meta) is down; retry later.
    #[must_use]
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// 500 `internal`. The cause is logged here, with the request's span, and never sent.
    #[must_use]
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on our side; the request id identifies it in our logs",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

fn body(status: StatusCode, code: &str, message: &str, request_id: Option<String>) -> HttpResponse {
    HttpResponse::build(status).json(Body {
        error: code,
        message,
        request_id,
    })
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        body(self.status, self.code, &self.message, None)
    }
}

/// The stable code and message for an error actix produced itself.
fn framework_error(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("bad_request", "the request is malformed"),
        401 => ("unauthorized", "authentication is required"),
        404 => ("not_found", "no such route"),
        405 => ("method_not_allowed", "this method is not allowed here"),
        408 => ("request_timeout", "the request took too long to arrive"),
        411 => ("length_required", "a Content-Length is required"),
        413 => ("payload_too_large", "the request body is too large"),
        415 => (
            "unsupported_media_type",
            "this content type is not accepted",
        ),
        422 => ("unprocessable", "the request body is not valid"),
        s if s >= 500 => ("internal", "something went wrong on our side"),
        _ => ("bad_request", "the request was refused"),
    }
}

/// Middleware: every error response gets the JSON shape and the request id; every response
/// gets an `x-request-id` header. Register it inside `TracingLogger` so the id is the log's.
///
/// # Errors
/// Only what the inner service returns.
pub async fn error_bodies(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request_id = req.extensions().get::<RequestId>().map(ToString::to_string);
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    let mut res = if status.is_client_error() || status.is_server_error() {
        let replacement = match res.response().error() {
            Some(e) => Some(match e.as_error::<ApiError>() {
                Some(api) => body(api.status, api.code, &api.message, request_id.clone()),
                None => {
                    let (code, message) = framework_error(status);
                    body(status, code, message, request_id.clone())
                }
            }),
            // A handler's own JSON error body (already in shape) or an empty 404 from the
            // router: only the latter needs a body.
            None if res.response().body().size() == actix_web::body::BodySize::Sized(0) => {
                let (code, message) = framework_error(status);
                Some(body(status, code, message, request_id.clone()))
            }
            None => None,
        };
        match replacement {
            Some(mut new) => {
                // Keep headers the handler set on purpose (Retry-After, WWW-Authenticate).
                for name in [header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
                    if let Some(v) = res.headers().get(&name).cloned() {
                        new.headers_mut().insert(name, v);
                    }
                }
                res.into_response(new)
            }
            None => res,
        }
    } else {
        res
    };
    if let Some(id) = request_id
        && let Ok(v) = HeaderValue::from_str(&id)
    {
        res.headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), v);
    }
    Ok(res)
}

/// The default service: unknown routes answer 404 in the error shape.
///
/// # Errors
/// Always: that is its job.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("no such route"))
}

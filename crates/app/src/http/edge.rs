//! The edge: what every request meets before a handler or an extractor reads anything.
//!
//! - [`refuse_encoded_bodies`]: a request body with a `Content-Encoding` other than
//!   `identity` is refused with 415 `unsupported_content_encoding` before anything inflates
//!   it. No client of ours compresses requests (Meta does not, the page does not), and an
//!   inflating extractor expands a whole compressed chunk in memory before any size limit
//!   can look at it: 122 KB of gzip became 120 MiB there.
//! - [`body_deadline`]: every request body must arrive within `pipeline.body_read_timeout_secs`
//!   of the headers, on every route (the webhook had its own; a login body trickled a byte at a
//!   time held its socket and worker for as long as the client liked). Late: 408
//!   `request_timeout`.
//! - [`api_headers`]: every `/api/` answer carries `X-Content-Type-Options: nosniff` and, unless
//!   the handler chose otherwise, `Cache-Control: no-store` (tokens, phone numbers and orders
//!   must not sit in a shared cache).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage as _, web};
use futures_util::Stream;

use super::ApiError;

/// Middleware: 415 for a body in any `Content-Encoding` but `identity`.
///
/// # Errors
/// Only what the inner service returns.
pub async fn refuse_encoded_bodies(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let encoded = req
        .headers()
        .get_all(header::CONTENT_ENCODING)
        .any(|v| !v.to_str().is_ok_and(is_identity));
    if encoded {
        let err = ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_content_encoding",
            "request bodies are accepted uncompressed only (no Content-Encoding)",
        );
        // The body is never read: the connection is closed after this answer.
        let mut res = req.error_response(err);
        close(&mut res);
        return Ok(res);
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

fn is_identity(value: &str) -> bool {
    value
        .split(',')
        .map(str::trim)
        .all(|v| v.is_empty() || v.eq_ignore_ascii_case("identity"))
}

/// The deadline a request body must meet, shared by every route.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(pub Duration);

/// A payload that ends in an error once its deadline passes.
struct DeadlinePayload {
    inner: Payload,
    sleep: Pin<Box<tokio::time::Sleep>>,
    missed: Arc<AtomicBool>,
    done: bool,
}

impl Stream for DeadlinePayload {
    type Item = Result<web::Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(None) => {
                self.done = true;
                Poll::Ready(None)
            }
            Poll::Ready(Some(item)) => Poll::Ready(Some(item)),
            Poll::Pending => match self.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    self.done = true;
                    self.missed.store(true, Ordering::Relaxed);
                    Poll::Ready(Some(Err(PayloadError::Io(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the request body did not arrive in time",
                    )))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

/// Middleware: the request body must arrive within the [`BodyDeadline`] in app data (none
/// registered: no deadline), else 408 `request_timeout` and the connection is closed.
///
/// # Errors
/// Only what the inner service returns.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(deadline) = req.app_data::<BodyDeadline>().copied() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let missed = Arc::new(AtomicBool::new(false));
    let stream = DeadlinePayload {
        inner: req.take_payload(),
        sleep: Box::pin(tokio::time::sleep(deadline.0)),
        missed: missed.clone(),
        done: false,
    };
    req.set_payload(Payload::Stream {
        payload: Box::pin(stream),
    });
    let res = next.call(req).await?.map_into_boxed_body();
    if !missed.load(Ordering::Relaxed) {
        return Ok(res);
    }
    let err = ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        "the request body did not arrive in time",
    );
    let (req, _) = res.into_parts();
    let mut res = ServiceResponse::from_err(err, req);
    close(&mut res);
    Ok(res)
}

fn close(res: &mut ServiceResponse<BoxBody>) {
    res.response_mut()
        .head_mut()
        .set_connection_type(actix_web::http::ConnectionType::Close);
}

/// Middleware: `nosniff` and `no-store` on every `/api/` answer.
///
/// # Errors
/// Only what the inner service returns.
pub async fn api_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let api = req.path().starts_with("/api/");
    let mut res = next.call(req).await?.map_into_boxed_body();
    if api {
        let headers = res.headers_mut();
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        if !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_identity_is_an_accepted_encoding() {
        assert!(is_identity("identity"));
        assert!(is_identity("Identity, identity"));
        assert!(is_identity(""));
        assert!(!is_identity("gzip"));
        assert!(!is_identity("identity, br"));
        assert!(!is_identity("deflate"));
    }
}

//! Turns an injected [`Fault`] into what the client experiences: a delay, an error body, a
//! connection that breaks mid-response, or no answer at all.

use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::web::Bytes;

use super::error::GraphErr;
use crate::SimHandle;
use crate::fault::{self, Endpoint, Fault};

/// How long a stalled request waits before the sim gives up on it (the client will have
/// timed out long before; this only bounds the sim's own resources).
const STALL: Duration = Duration::from_secs(600);

/// Applies the first matching fault. `None` means "serve normally" (no fault, or latency).
pub(crate) async fn apply(handle: &SimHandle, endpoint: Option<Endpoint>) -> Option<HttpResponse> {
    let fault = {
        let mut st = handle.lock();
        fault::take(&mut st.faults, endpoint)?
    };
    Some(match fault {
        Fault::Latency(d) => {
            tokio::time::sleep(d).await;
            return None;
        }
        Fault::ServerError(status) => GraphErr::server(status).response(),
        Fault::RateLimited { code, retry_after } => {
            let mut e = GraphErr::rate_limited(code);
            e.retry_after = retry_after.map(|d| d.as_secs());
            e.response()
        }
        Fault::TokenExpired => {
            let now = handle.now();
            GraphErr::expired_token(now - chrono::Duration::hours(1), now).response()
        }
        Fault::GraphError {
            http_status,
            code,
            subcode,
            message,
            details,
        } => {
            let mut e = GraphErr::new(http_status, code, message);
            e.subcode = subcode;
            e.details = details;
            e.response()
        }
        Fault::ConnectionReset => broken_response(),
        Fault::Stall => {
            tokio::time::sleep(STALL).await;
            GraphErr::server(504).response()
        }
    })
}

/// A response whose body fails before its first byte: the server aborts the connection, so
/// the client sees a transport error rather than an HTTP status it could act on.
pub(crate) fn broken_response() -> HttpResponse {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "meta-sim: injected connection reset",
        ))
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .streaming(stream)
}

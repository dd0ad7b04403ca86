//! Injected faults on the OpenAI endpoints, as an OpenAI client experiences them. Rules use
//! the sim's one fault list ([`crate::FaultRule`]) with the `openai_*` endpoints; Graph's
//! `Any` never reaches here, so a Graph fault test cannot break the agent by accident.

use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::web::Bytes;

use super::error::OpenAiErr;
use crate::SimHandle;
use crate::fault::{self, Endpoint, Fault};

/// How long a stalled request waits before the sim gives up on it.
const STALL: Duration = Duration::from_secs(600);

/// Applies the first fault for `endpoint`. `None` means "serve normally".
pub(crate) async fn apply(handle: &SimHandle, endpoint: Endpoint) -> Option<HttpResponse> {
    let fault = {
        let mut st = handle.lock();
        fault::take_exact(&mut st.faults, endpoint)?
    };
    Some(match fault {
        Fault::Latency(d) => {
            tokio::time::sleep(d).await;
            return None;
        }
        Fault::ServerError(status) => OpenAiErr::server(status).response(),
        Fault::RateLimited { retry_after, .. } => {
            OpenAiErr::rate_limited(retry_after.map(|d| d.as_secs())).response()
        }
        Fault::TokenExpired => OpenAiErr::wrong_key("sk-expired-key-0000").response(),
        Fault::GraphError {
            http_status,
            message,
            ..
        } => OpenAiErr::new(http_status, "invalid_request_error", message).response(),
        Fault::ConnectionReset => broken_response(),
        Fault::Stall => {
            tokio::time::sleep(STALL).await;
            OpenAiErr::server(504).response()
        }
    })
}

/// A response whose body fails before its first byte: the client sees a transport error.
fn broken_response() -> HttpResponse {
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

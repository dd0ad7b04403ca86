//! Liveness and readiness. `/healthz` says the process answers; `/readyz` that the central
//! database does too (a load balancer should stop routing webhooks to a node that cannot
//! store them).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::http::AppState;

pub(super) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub(super) async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.services.ports.central.ping().await {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ready" })),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable().json(json!({
                "error": "database_unavailable",
                "message": "the central database is not reachable",
            }))
        }
    }
}

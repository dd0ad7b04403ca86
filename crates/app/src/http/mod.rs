//! HTTP: the route table and the server. Handlers live one resource per file.

mod dashboard;
pub mod edge;
pub mod error;
pub mod json;
mod liveness;
pub mod metrics;
pub mod owner;
pub mod request_span;
mod sandbox;
mod state;
mod webhook;

pub use error::ApiError;
pub use json::{JsonBody, MAX_JSON_BODY};
pub use state::{AppState, WebhookState};
pub use webhook::VerifyTokenIndex;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use tracing_actix_web::TracingLogger;

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(liveness::healthz))
        .route("/readyz", web::get().to(liveness::readyz))
        .route("/metrics", web::get().to(metrics::serve))
        .service(
            web::resource("/api/webhooks/whatsapp")
                .route(web::get().to(webhook::verify))
                .route(web::post().to(webhook::receive)),
        )
        .configure(owner::routes)
        .configure(dashboard::routes);
}

/// The HTTP server on a bound listener, not yet running (tests run it in-process).
///
/// # Errors
/// When the listener cannot be used.
pub fn server(
    state: AppState,
    listener: TcpListener,
    workers: usize,
) -> std::io::Result<actix_web::dev::Server> {
    server_with(state, listener, workers, Duration::from_secs(30), true)
}

/// As [`server`], with the drain timeout and whether it handles SIGTERM/SIGINT itself (tests
/// run several servers in one process and stop them by handle).
///
/// # Errors
/// When the listener cannot be used.
pub fn server_with(
    state: AppState,
    listener: TcpListener,
    workers: usize,
    shutdown_timeout: Duration,
    signals: bool,
) -> std::io::Result<actix_web::dev::Server> {
    let data = web::Data::new(state.clone());
    let payload = web::PayloadConfig::new(state.webhook.max_body_bytes);
    let json = json::json_config();
    let deadline = edge::BodyDeadline(state.webhook.body_read_timeout);
    let sandbox = state.sandbox.clone();
    let mut server = HttpServer::new(move || {
        use actix_web::middleware::from_fn;
        // Outermost last: the log span, then the API headers (on error bodies too), then the
        // error shape, then the edge checks that run before anything reads the body.
        App::new()
            .wrap(from_fn(edge::body_deadline))
            .wrap(from_fn(edge::refuse_encoded_bodies))
            .wrap(from_fn(error::error_bodies))
            .wrap(from_fn(edge::api_headers))
            .wrap(TracingLogger::<request_span::PathOnly>::new())
            .app_data(data.clone())
            .app_data(payload.clone())
            .app_data(json.clone())
            .app_data(deadline)
            .configure(routes)
            .configure(|cfg| sandbox::configure(cfg, sandbox.as_ref()))
            .default_service(web::to(error::not_found))
    })
    .shutdown_timeout(shutdown_timeout.as_secs())
    .listen(listener)?;
    if !signals {
        server = server.disable_signals();
    }
    if workers > 0 {
        server = server.workers(workers);
    }
    Ok(server.run())
}

/// Runs the server on a bound listener until SIGTERM/SIGINT, then drains in-flight requests
/// for up to `shutdown_timeout` and closes the database pools.
///
/// # Errors
/// When the server cannot start.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    workers: usize,
    shutdown_timeout: Duration,
) -> std::io::Result<()> {
    let result = server_with(state, listener, workers, shutdown_timeout, true)?.await;
    tracing::info!("server stopped");
    result
}

//! HTTP: the route table and the server. Handlers live one resource per file.

pub mod error;
mod health;
pub mod owner;
pub mod request_span;

pub use error::ApiError;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use tracing_actix_web::TracingLogger;

use crate::startup::AppState;

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .configure(owner::routes);
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
    let data = web::Data::new(state.clone());
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(error::error_bodies))
            .wrap(TracingLogger::<request_span::PathOnly>::new())
            .app_data(data.clone())
            .configure(routes)
            .default_service(web::to(error::not_found))
    })
    .shutdown_timeout(shutdown_timeout.as_secs())
    .listen(listener)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    let result = server.run().await;
    state.sql_tenants.close_all();
    tracing::info!("server stopped");
    result
}

//! A stateful simulator of the parts of Meta's WhatsApp Cloud API (Graph API) the product
//! uses, served over real HTTP with Meta's paths, parameters, JSON shapes and error bodies.
//!
//! Why: tests, benchmarks and the sandbox must exercise the real Meta adapter end to end —
//! OAuth onboarding, paging, sends with every rule Meta enforces, media, templates and every
//! failure mode — without graph.facebook.com. The simulator is an independent oracle: it
//! depends on no other `omni-*` crate, only on what `meta-api.md` says Meta does.
//!
//! With a webhook target ([`SimConfig::webhook_url`], [`SimHandle::set_webhook_target`]) it
//! also behaves like Meta's webhook side: signed `sent` / `delivered` statuses after each
//! accepted send, and customer messages injected through [`SimHandle::customer_message`] or
//! `POST /_sim/webhooks/messages` (see [`webhook`]).
//!
//! The same server also answers as an OpenAI-compatible API (`/v1/chat/completions`,
//! `/v1/audio/transcriptions`, `/v1/audio/speech`) for the agent and speech adapters: see
//! [`openai`] and [`MetaSim::openai_base_url`].
//!
//! Start one with [`MetaSim::start`], drive it with the [`SimHandle`] from
//! [`MetaSim::handle`], or mount it into another actix app with [`configure`].

mod config;
mod control;
mod delivery_log;
mod fault;
mod graph;
mod handle;
mod model;
pub mod openai;
mod state;
pub mod testing;
mod util;
pub mod webhook;

use actix_web::{App, HttpRequest, HttpServer, web};

pub use config::{SimConfig, TestUser, WHATSAPP_SCOPES};
pub use fault::{Endpoint, Fault, FaultRule};
pub use handle::SimHandle;
pub use model::{
    MediaMeta, ReadReceipt, RequestRecord, SeedNumber, SeedTemplate, SeedWaba, SentRecord,
    Subscription, TokenSeed,
};
pub use openai::{ChatReply, OpenAiEndpoint, OpenAiRequest, ScriptedChat, ScriptedToolCall};

/// The simulator's routes, for mounting in any actix `App` or `Scope` (every route works
/// under a prefix). URLs the sim generates use [`SimHandle::set_public_base_url`].
pub fn configure(handle: SimHandle) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        openai::register(cfg, &handle);
        control::register(cfg, &handle);
        let h = handle.clone();
        cfg.route(
            "/sim-media/{opaque}",
            web::get().to(move |req: HttpRequest| graph::media_download(h.clone(), req)),
        );
        let h = handle.clone();
        cfg.route(
            "/{v}/{tail:.*}",
            web::route().to(move |req: HttpRequest, payload: web::Payload| {
                graph::dispatch(h.clone(), req, payload)
            }),
        );
        let h = handle;
        cfg.default_service(web::to(move |req: HttpRequest| {
            graph::fallback(h.clone(), req)
        }));
    }
}

/// A running simulator on its own HTTP server.
pub struct MetaSim {
    handle: SimHandle,
    base_url: String,
    server: actix_web::dev::ServerHandle,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for MetaSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetaSim")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl MetaSim {
    /// Starts on `127.0.0.1` with a random port.
    ///
    /// # Errors
    /// When the socket cannot be bound.
    pub async fn start(config: SimConfig) -> std::io::Result<Self> {
        Self::start_on(config, "127.0.0.1:0").await
    }

    /// Starts on `addr` (e.g. `0.0.0.0:8090`).
    ///
    /// # Errors
    /// When the socket cannot be bound.
    pub async fn start_on(config: SimConfig, addr: &str) -> std::io::Result<Self> {
        let handle = SimHandle::new(config);
        let h = handle.clone();
        let server = HttpServer::new(move || App::new().configure(configure(h.clone())))
            .workers(2)
            .disable_signals()
            .shutdown_timeout(1)
            .bind(addr)?;
        let local = server
            .addrs()
            .first()
            .copied()
            .ok_or_else(|| std::io::Error::other("meta-sim: no bound address"))?;
        let base_url = format!("http://{local}");
        handle.set_public_base_url(base_url.clone());
        let server = server.run();
        let server_handle = server.handle();
        let task = tokio::spawn(server);
        Ok(Self {
            handle,
            base_url,
            server: server_handle,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    #[must_use]
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The Graph base including the version, e.g. `http://127.0.0.1:PORT/v25.0`.
    #[must_use]
    pub fn graph_url(&self) -> String {
        format!("{}/{}", self.base_url, self.handle.config().graph_version)
    }

    /// The OpenAI-compatible base, `http://127.0.0.1:PORT/v1` (what an OpenAI client calls
    /// `base_url`).
    #[must_use]
    pub fn openai_base_url(&self) -> String {
        format!("{}/v1", self.base_url)
    }

    /// The shared state handle.
    #[must_use]
    pub fn handle(&self) -> SimHandle {
        self.handle.clone()
    }

    /// Stops the server (open connections are dropped) and waits for it.
    pub async fn stop(mut self) {
        self.server.stop(false).await;
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MetaSim {
    fn drop(&mut self) {
        if self.task.is_some() {
            // Sends the stop command now; the returned future only waits for completion.
            drop(self.server.stop(false));
        }
    }
}

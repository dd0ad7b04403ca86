//! The OpenAPI 3 document of every route (utoipa), served at `/api/openapi.json` and kept in
//! `docs/openapi.json`. The owner routes are documented on their handlers; the health and
//! webhook routes, whose handlers live elsewhere, through the doc-only stubs below.

use actix_web::HttpResponse;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::dto::{
    AccountList, AccountResponse, ConnectResponse, DisconnectResponse, EmbeddedSignupBody,
    ErrorBody, HealthBody, LoginBody, LoginResponse, OAuthUrlResponse, StoreSummary,
};

/// The document.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "OmniPortal WhatsApp",
        description = "Owner API, Meta onboarding, health and the WhatsApp webhook. Every error is `{\"error\": \"<stable_code>\", \"message\": \"...\", \"request_id\": \"...\"}`."
    ),
    paths(
        healthz, readyz, webhook_verify, webhook_receive,
        super::auth::login, super::auth::logout,
        super::accounts::list, super::accounts::disconnect, super::accounts::set_default,
        super::accounts::toggle_status, super::accounts::refresh,
        super::oauth::oauth_url, super::oauth::callback, super::oauth::embedded_signup,
        openapi_json, metrics_doc,
    ),
    components(schemas(
        ErrorBody, LoginBody, LoginResponse, StoreSummary, AccountResponse, AccountList,
        DisconnectResponse, OAuthUrlResponse, EmbeddedSignupBody, ConnectResponse, HealthBody,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "owner", description = "Owner login and logout"),
        (name = "accounts", description = "The store's WhatsApp numbers"),
        (name = "onboarding", description = "Connecting numbers through Meta"),
        (name = "menu", description = "The store's menu"),
        (name = "orders", description = "Orders, riders, ordering settings and conversations"),
        (name = "payments", description = "Payment methods and the payment-verification queue"),
        (name = "ops", description = "Health"),
        (name = "webhooks", description = "Meta's webhook"),
    )
)]
pub struct ApiDoc;

/// Adds the `bearer` security scheme.
#[derive(Debug)]
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Every operation that takes `?store_id=` ([`StoreQuery`](super::params::StoreQuery)) is an
/// owner route: [`OwnerCtx`](super::OwnerCtx) checks the bearer token and the store before the
/// handler runs. This says so once for all of them instead of on each handler: the `bearer`
/// requirement, a 401, and a 404 unless the route describes its own.
#[derive(Debug)]
struct OwnerRoutes;

impl Modify for OwnerRoutes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                let takes_store =
                    op.parameters.iter().flatten().any(|p| {
                        p.name == "store_id" && matches!(p.parameter_in, ParameterIn::Query)
                    });
                if !takes_store {
                    continue;
                }
                op.security = Some(vec![SecurityRequirement::new(
                    "bearer",
                    Vec::<String>::new(),
                )]);
                let responses = &mut op.responses.responses;
                responses
                    .entry("401".to_owned())
                    .or_insert_with(|| error("`unauthorized`: no valid bearer token"));
                responses.entry("404".to_owned()).or_insert_with(|| {
                    error(
                        "`not_found`: not one of the owner's stores, or no such id in the store; \
                         `no_store`: the owner has none yet",
                    )
                });
            }
        }
    }
}

/// An error response in the one error shape.
fn error(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

/// The document as pretty JSON (what `docs/openapi.json` holds).
#[must_use]
pub fn json() -> String {
    let mut doc = ApiDoc::openapi();
    doc.merge(super::commerce::CommerceDoc::openapi());
    doc.merge(super::account_health::HealthDoc::openapi());
    OwnerRoutes.modify(&mut doc);
    doc.to_pretty_json().unwrap_or_else(|_| "{}".to_owned())
}

/// `GET /api/openapi.json` (documented by the `openapi_json` stub).
pub(super) async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(json())
}

#[utoipa::path(get, path = "/api/openapi.json", tag = "ops",
    responses((status = 200, description = "This document", content_type = "application/json")))]
#[expect(
    dead_code,
    reason = "documents `serve` under the same path; only its attribute is used"
)]
fn openapi_json() {}

#[utoipa::path(get, path = "/healthz", tag = "ops",
    responses((status = 200, description = "The process answers", body = HealthBody)))]
#[expect(dead_code, reason = "doc-only: the handler is http::health::healthz")]
fn healthz() {}

#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses(
        (status = 200, description = "The central database answers", body = HealthBody),
        (status = 503, description = "`database_unavailable`", body = ErrorBody),
    ))]
#[expect(dead_code, reason = "doc-only: the handler is http::health::readyz")]
fn readyz() {}

#[utoipa::path(get, path = "/api/webhooks/whatsapp", tag = "webhooks",
    params(
        ("hub.mode" = String, Query, description = "`subscribe`"),
        ("hub.verify_token" = String, Query, description = "The configured verify token"),
        ("hub.challenge" = String, Query, description = "Echoed back on success"),
    ),
    responses(
        (status = 200, description = "The challenge, as text/plain", content_type = "text/plain", body = String),
        (status = 403, description = "Wrong mode or verify token", body = ErrorBody),
    ))]
#[expect(
    dead_code,
    reason = "doc-only: the webhook handler lives in the webhook module"
)]
fn webhook_verify() {}

#[utoipa::path(post, path = "/api/webhooks/whatsapp", tag = "webhooks",
    params(("X-Hub-Signature-256" = String, Header, description = "`sha256=<hex HMAC-SHA256(app secret, raw body)>`")),
    request_body(content = serde_json::Value, content_type = "application/json", description = "Meta's webhook payload"),
    responses(
        (status = 200, description = "Stored durably"),
        (status = 401, description = "Bad or missing signature", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 503, description = "Storage unavailable; Meta retries", body = ErrorBody),
    ))]
#[expect(
    dead_code,
    reason = "doc-only: the webhook handler lives in the webhook module"
)]
fn webhook_receive() {}

/// `GET /metrics` (served by `crate::http::metrics`; documented here).
#[utoipa::path(
    get, path = "/metrics", tag = "ops",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text format: webhooks received/rejected/duplicate, ingest latency, inbox and outbox depth, sends by result and code, rate-limit waits, agent latency per store, job runs. Labels never carry phone numbers or tokens", content_type = "text/plain"),
        (status = 401, description = "`unauthorized`: the `health.metrics_token` bearer token was not sent", body = ErrorBody),
        (status = 403, description = "`metrics_token_required`: no `health.metrics_token` is configured, so nothing is served", body = ErrorBody),
        (status = 404, description = "`not_found`: `health.metrics_enabled` is false", body = ErrorBody),
    )
)]
#[expect(
    dead_code,
    reason = "documents `crate::http::metrics::serve`; only its attribute is used"
)]
fn metrics_doc() {}

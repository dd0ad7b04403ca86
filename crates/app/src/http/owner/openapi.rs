//! The OpenAPI 3 document of every route (utoipa), served at `/api/openapi.json` and kept in
//! `docs/openapi.json`. The owner routes are documented on their handlers; the health and
//! webhook routes, whose handlers live elsewhere, through the doc-only stubs below.

use actix_web::HttpResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
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
        super::commerce::menu_list,
        super::commerce::menu_create,
        super::commerce::menu_update,
        super::commerce::menu_delete,
        super::commerce::methods_list,
        super::commerce::methods_create,
        super::commerce::methods_update,
        super::commerce::methods_delete,
        super::commerce::settings_get,
        super::commerce::settings_put,
        super::commerce::orders_list,
        super::commerce::order_get,
        super::commerce::order_status,
        super::commerce::order_rider,
        super::commerce::payments_pending,
        super::commerce::payment_proof,
        super::commerce::payment_approve,
        super::commerce::payment_reject,
        super::commerce::conversations_list,
        super::commerce::conversation_pause,
        super::commerce::conversation_resume,
        openapi_json,
    ),
    components(schemas(
        ErrorBody, LoginBody, LoginResponse, StoreSummary, AccountResponse, AccountList,
        DisconnectResponse, OAuthUrlResponse, EmbeddedSignupBody, ConnectResponse, HealthBody,
        super::commerce::Amount, super::commerce::VariantBody, super::commerce::MenuItemBody,
        super::commerce::MenuItemResponse, super::commerce::PaymentMethodBody,
        super::commerce::PaymentMethodResponse, super::commerce::TemplateBody,
        super::commerce::SettingsBody, super::commerce::OrderLine, super::commerce::PinBody,
        super::commerce::RiderBody, super::commerce::OrderResponse,
        super::commerce::OrderListItem,
        super::commerce::MessageResponse, super::commerce::OrderDetailResponse,
        super::commerce::OrderUpdateResponse, super::commerce::ConversationResponse,
        super::commerce::StatusBody, super::commerce::RejectBody,
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

/// The document as pretty JSON (what `docs/openapi.json` holds).
#[must_use]
pub fn json() -> String {
    let mut doc = ApiDoc::openapi();
    doc.merge(super::account_health::HealthDoc::openapi());
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

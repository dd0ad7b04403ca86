//! The owner API and Meta onboarding: one route table ([`ROUTES`]) that registers every route
//! with actix *and* is walked by the tests: the cross-store test tries each route with another
//! owner's ids according to its [`Access`], and the OpenAPI test checks each is documented.
//! A route added anywhere else is invisible to both, so add routes here.

mod account_health;
mod accounts;
mod auth;
mod commerce;
mod dto;
mod limiter;
mod oauth;
pub mod openapi;
pub mod params;
mod reply;

use actix_web::http::Method;
use actix_web::{Route, web};

pub use auth::OwnerCtx;
pub use limiter::{LoginLimiter, TrustedProxies};

/// What a route needs from the caller, and so which foreign-id attack applies to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No authentication (login, Meta's callback, the OpenAPI document).
    Public,
    /// A bearer token; touches no store or account (logout).
    Owner,
    /// A bearer token and one of the owner's stores (`?store_id=`, default the oldest).
    OwnerStore,
    /// A bearer token, a store, and an account id in the path (`{id}`) of that store.
    OwnerAccount,
}

/// One route: method, path (actix and OpenAPI syntax), access, handler.
#[derive(Debug, Clone)]
pub struct RouteSpec {
    /// HTTP method.
    pub method: Method,
    /// Path, with `{id}` for an account id.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    register: fn(Route) -> Route,
}

const fn route(
    method: Method,
    path: &'static str,
    access: Access,
    register: fn(Route) -> Route,
) -> RouteSpec {
    RouteSpec {
        method,
        path,
        access,
        register,
    }
}

/// Every route of the owner API, the OAuth callback and the OpenAPI document.
pub const ROUTES: &[RouteSpec] = &[
    route(Method::POST, "/api/owner/login", Access::Public, |r| {
        r.to(auth::login)
    }),
    route(Method::POST, "/api/owner/logout", Access::Owner, |r| {
        r.to(auth::logout)
    }),
    route(
        Method::GET,
        "/api/owner/whatsapp/accounts",
        Access::OwnerStore,
        |r| r.to(accounts::list),
    ),
    route(
        Method::GET,
        "/api/owner/whatsapp/oauth-url",
        Access::OwnerStore,
        |r| r.to(oauth::oauth_url),
    ),
    route(
        Method::POST,
        "/api/owner/whatsapp/embedded-signup",
        Access::OwnerStore,
        |r| r.to(oauth::embedded_signup),
    ),
    route(
        Method::POST,
        "/api/owner/whatsapp/accounts/{id}/disconnect",
        Access::OwnerAccount,
        |r| r.to(accounts::disconnect),
    ),
    route(
        Method::POST,
        "/api/owner/whatsapp/accounts/{id}/set-default",
        Access::OwnerAccount,
        |r| r.to(accounts::set_default),
    ),
    route(
        Method::POST,
        "/api/owner/whatsapp/accounts/{id}/toggle-status",
        Access::OwnerAccount,
        |r| r.to(accounts::toggle_status),
    ),
    route(
        Method::POST,
        "/api/owner/whatsapp/accounts/{id}/refresh",
        Access::OwnerAccount,
        |r| r.to(accounts::refresh),
    ),
    route(Method::GET, "/api/owner/menu", Access::OwnerStore, |r| {
        r.to(commerce::menu_list)
    }),
    route(Method::POST, "/api/owner/menu", Access::OwnerStore, |r| {
        r.to(commerce::menu_create)
    }),
    route(
        Method::PUT,
        "/api/owner/menu/{item_id}",
        Access::OwnerStore,
        |r| r.to(commerce::menu_update),
    ),
    route(
        Method::DELETE,
        "/api/owner/menu/{item_id}",
        Access::OwnerStore,
        |r| r.to(commerce::menu_delete),
    ),
    route(
        Method::GET,
        "/api/owner/payment-methods",
        Access::OwnerStore,
        |r| r.to(commerce::methods_list),
    ),
    route(
        Method::POST,
        "/api/owner/payment-methods",
        Access::OwnerStore,
        |r| r.to(commerce::methods_create),
    ),
    route(
        Method::PUT,
        "/api/owner/payment-methods/{method_id}",
        Access::OwnerStore,
        |r| r.to(commerce::methods_update),
    ),
    route(
        Method::DELETE,
        "/api/owner/payment-methods/{method_id}",
        Access::OwnerStore,
        |r| r.to(commerce::methods_delete),
    ),
    route(
        Method::GET,
        "/api/owner/ordering-settings",
        Access::OwnerStore,
        |r| r.to(commerce::settings_get),
    ),
    route(
        Method::PUT,
        "/api/owner/ordering-settings",
        Access::OwnerStore,
        |r| r.to(commerce::settings_put),
    ),
    route(Method::GET, "/api/owner/orders", Access::OwnerStore, |r| {
        r.to(commerce::orders_list)
    }),
    route(
        Method::GET,
        "/api/owner/orders/{order_id}",
        Access::OwnerStore,
        |r| r.to(commerce::order_get),
    ),
    route(
        Method::POST,
        "/api/owner/orders/{order_id}/status",
        Access::OwnerStore,
        |r| r.to(commerce::order_status),
    ),
    route(
        Method::POST,
        "/api/owner/orders/{order_id}/rider",
        Access::OwnerStore,
        |r| r.to(commerce::order_rider),
    ),
    route(
        Method::GET,
        "/api/owner/payments/pending",
        Access::OwnerStore,
        |r| r.to(commerce::payments_pending),
    ),
    route(
        Method::GET,
        "/api/owner/orders/{order_id}/payment-proof",
        Access::OwnerStore,
        |r| r.to(commerce::payment_proof),
    ),
    route(
        Method::POST,
        "/api/owner/orders/{order_id}/payment/approve",
        Access::OwnerStore,
        |r| r.to(commerce::payment_approve),
    ),
    route(
        Method::POST,
        "/api/owner/orders/{order_id}/payment/reject",
        Access::OwnerStore,
        |r| r.to(commerce::payment_reject),
    ),
    route(
        Method::GET,
        "/api/owner/conversations",
        Access::OwnerStore,
        |r| r.to(commerce::conversations_list),
    ),
    route(
        Method::POST,
        "/api/owner/conversations/{conversation_id}/pause",
        Access::OwnerStore,
        |r| r.to(commerce::conversation_pause),
    ),
    route(
        Method::POST,
        "/api/owner/conversations/{conversation_id}/resume",
        Access::OwnerStore,
        |r| r.to(commerce::conversation_resume),
    ),
    // Account health (issue 7).
    route(
        Method::GET,
        "/api/owner/whatsapp/accounts/{id}/health",
        Access::OwnerAccount,
        |r| r.to(account_health::health),
    ),
    route(
        Method::POST,
        "/api/owner/whatsapp/accounts/{id}/diagnose",
        Access::OwnerAccount,
        |r| r.to(account_health::diagnose),
    ),
    route(
        Method::GET,
        "/api/owner/whatsapp/accounts/{id}/analytics",
        Access::OwnerAccount,
        |r| r.to(account_health::analytics),
    ),
    route(
        Method::GET,
        "/api/owner/whatsapp/accounts/{id}/templates",
        Access::OwnerAccount,
        |r| r.to(account_health::list_templates),
    ),
    route(
        Method::POST,
        "/api/owner/whatsapp/accounts/{id}/templates",
        Access::OwnerAccount,
        |r| r.to(account_health::create_template),
    ),
    route(
        Method::POST,
        "/api/owner/whatsapp/accounts/{id}/templates/sync",
        Access::OwnerAccount,
        |r| r.to(account_health::sync_templates),
    ),
    route(
        Method::POST,
        "/api/owner/whatsapp/accounts/{id}/templates/send",
        Access::OwnerAccount,
        |r| r.to(account_health::send_template),
    ),
    route(
        Method::DELETE,
        "/api/owner/whatsapp/accounts/{id}/templates/{name}",
        Access::OwnerAccount,
        |r| r.to(account_health::delete_template),
    ),
    route(
        Method::GET,
        "/api/owner/notifications",
        Access::OwnerStore,
        |r| r.to(account_health::notifications),
    ),
    route(
        Method::POST,
        "/api/owner/notifications/read",
        Access::OwnerStore,
        |r| r.to(account_health::mark_read),
    ),
    route(
        Method::GET,
        "/api/owner/store/alert-number",
        Access::OwnerStore,
        |r| r.to(account_health::get_alert_number),
    ),
    route(
        Method::PUT,
        "/api/owner/store/alert-number",
        Access::OwnerStore,
        |r| r.to(account_health::set_alert_number),
    ),
    route(Method::GET, "/api/whatsapp/callback", Access::Public, |r| {
        r.to(oauth::callback)
    }),
    route(Method::GET, "/api/openapi.json", Access::Public, |r| {
        r.to(openapi::serve)
    }),
];

/// Registers [`ROUTES`].
pub fn routes(cfg: &mut web::ServiceConfig) {
    for spec in ROUTES {
        cfg.route(spec.path, (spec.register)(web::method(spec.method.clone())));
    }
}

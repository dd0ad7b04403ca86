//! The `/_sim` control API: the same seeding, inspection and fault controls as
//! [`crate::SimHandle`], over JSON, for developers poking a running `meta-sim` binary or the
//! product's sandbox mode. The `/_sim/webhooks/*` routes live in `webhook::customer`.

use std::time::Duration;

use actix_web::{HttpResponse, Scope, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::SimHandle;
use crate::fault::FaultRule;
use crate::model::{SeedTemplate, SeedWaba, TokenSeed};

#[derive(Debug, Deserialize)]
struct WindowReq {
    phone_number_id: String,
    wa_id: String,
}

#[derive(Debug, Deserialize)]
struct AdvanceReq {
    seconds: u64,
}

fn state(h: &SimHandle) -> Value {
    let st = h.lock();
    let now = st.now();
    let wabas: Vec<Value> = st
        .wabas
        .values()
        .map(|w| {
            let numbers: Vec<Value> = w
                .number_ids
                .iter()
                .filter_map(|id| st.numbers.get(id))
                .map(|n| serde_json::to_value(&n.seed).unwrap_or(Value::Null))
                .collect();
            let templates: Vec<Value> = w
                .templates
                .iter()
                .map(|t| json!({ "id": t.id, "name": t.seed.name, "language": t.seed.language, "status": t.seed.status }))
                .collect();
            json!({
                "id": w.id, "business_id": w.business_id, "name": w.name,
                "numbers": numbers, "templates": templates, "subscribed_apps": w.subscriptions,
            })
        })
        .collect();
    let windows: Vec<Value> = st
        .windows
        .iter()
        .map(|((pnid, wa), at)| {
            json!({
                "phone_number_id": pnid, "wa_id": wa, "opened_at": at,
                "open": now < *at + chrono::Duration::hours(24),
            })
        })
        .collect();
    json!({
        "graph_version": st.config.graph_version,
        "app_id": st.config.app_id,
        "now": now,
        "wabas": wabas,
        "tokens": st.tokens.len(),
        "windows": windows,
        "faults": st.faults,
        "sent": st.sent.len(),
        "media": st.media.len(),
        "webhook_url": st.config.webhook_url,
        "auto_statuses": st.config.auto_statuses,
        "webhook_deliveries": st.webhooks.len(),
    })
}

fn ok() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "success": true }))
}

/// Registers the `/_sim` scope.
pub(crate) fn register(cfg: &mut web::ServiceConfig, handle: &SimHandle) {
    let scope = inspection_routes(web::scope("/_sim"), handle);
    let scope = fault_routes(scope, handle);
    let scope = seed_routes(scope, handle);
    let scope = crate::webhook::register_routes(scope, handle);
    cfg.service(scope);
}

/// What the simulator saw: its state, the messages sent (and clearing them), read receipts,
/// every request.
fn inspection_routes(scope: Scope, handle: &SimHandle) -> Scope {
    let h = handle.clone();
    let mut scope = scope.route(
        "/state",
        web::get().to(move || {
            let h = h.clone();
            async move { HttpResponse::Ok().json(state(&h)) }
        }),
    );
    let h = handle.clone();
    scope = scope.route(
        "/messages",
        web::get().to(move || {
            let h = h.clone();
            async move { HttpResponse::Ok().json(h.sent_messages()) }
        }),
    );
    let h = handle.clone();
    scope = scope.route(
        "/messages",
        web::delete().to(move || {
            let h = h.clone();
            async move {
                h.clear_sent();
                ok()
            }
        }),
    );
    let h = handle.clone();
    scope = scope.route(
        "/read_receipts",
        web::get().to(move || {
            let h = h.clone();
            async move { HttpResponse::Ok().json(h.read_receipts()) }
        }),
    );
    let h = handle.clone();
    scope = scope.route(
        "/requests",
        web::get().to(move || {
            let h = h.clone();
            async move { HttpResponse::Ok().json(h.requests()) }
        }),
    );
    scope
}

/// Fault injection: add a rule, clear them all.
fn fault_routes(mut scope: Scope, handle: &SimHandle) -> Scope {
    let h = handle.clone();
    scope = scope.route(
        "/faults",
        web::post().to(move |rule: web::Json<FaultRule>| {
            let h = h.clone();
            async move {
                h.inject_fault(rule.into_inner());
                ok()
            }
        }),
    );
    let h = handle.clone();
    scope = scope.route(
        "/faults",
        web::delete().to(move || {
            let h = h.clone();
            async move {
                h.clear_faults();
                ok()
            }
        }),
    );
    scope
}

/// Seeding and time: tokens, customer windows, the clock, WABAs and their templates.
fn seed_routes(mut scope: Scope, handle: &SimHandle) -> Scope {
    let h = handle.clone();
    scope = scope.route(
        "/tokens",
        web::post().to(move |seed: web::Json<TokenSeed>| {
            let h = h.clone();
            async move {
                let token = h.issue_token(seed.into_inner());
                HttpResponse::Ok().json(json!({ "access_token": token, "token_type": "bearer" }))
            }
        }),
    );
    let h = handle.clone();
    scope = scope.route(
        "/windows",
        web::post().to(move |w: web::Json<WindowReq>| {
            let h = h.clone();
            async move {
                h.open_window(&w.phone_number_id, &w.wa_id);
                ok()
            }
        }),
    );
    let h = handle.clone();
    scope = scope.route(
        "/clock/advance",
        web::post().to(move |a: web::Json<AdvanceReq>| {
            let h = h.clone();
            async move {
                h.advance_clock(Duration::from_secs(a.seconds));
                HttpResponse::Ok().json(json!({ "now": h.now() }))
            }
        }),
    );
    let h = handle.clone();
    scope = scope.route(
        "/wabas",
        web::post().to(move |w: web::Json<SeedWaba>| {
            let h = h.clone();
            async move {
                h.seed_waba(w.into_inner());
                ok()
            }
        }),
    );
    let h = handle.clone();
    scope = scope.route(
        "/wabas/{waba_id}/templates",
        web::post().to(move |path: web::Path<String>, t: web::Json<SeedTemplate>| {
            let h = h.clone();
            async move {
                match h.seed_template(&path.into_inner(), t.into_inner()) {
                    Some(id) => HttpResponse::Ok().json(json!({ "id": id })),
                    None => HttpResponse::NotFound().json(json!({ "error": "unknown WABA" })),
                }
            }
        }),
    );
    scope
}

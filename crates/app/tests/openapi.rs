//! The OpenAPI document: every route of the route table is in it, the served document is the
//! committed `docs/openapi.json`, and the health and webhook routes are documented too.
//! Regenerate the file with `OMNI_WRITE_OPENAPI=1 cargo test -p omni-app --test app openapi`.

use omni_app::http::owner::{Access, ROUTES, openapi};
use serde_json::Value;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");

fn document() -> Value {
    serde_json::from_str(&openapi::json()).unwrap_or_else(|e| panic!("not JSON: {e}"))
}

fn has(doc: &Value, method: &str, path: &str) -> bool {
    doc["paths"][path][method.to_lowercase()].is_object()
}

#[test]
fn every_route_in_the_route_table_is_documented() {
    let doc = document();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let missing: Vec<String> = ROUTES
        .iter()
        .filter(|r| !has(&doc, r.method.as_str(), r.path))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(missing.is_empty(), "undocumented routes: {missing:?}");
}

#[test]
fn every_owner_route_is_documented_with_its_bearer_token_and_401() {
    let doc = document();
    let wrong: Vec<String> = ROUTES
        .iter()
        .filter(|r| r.access != Access::Public)
        .filter(|r| {
            let op = &doc["paths"][r.path][r.method.as_str().to_lowercase()];
            op["security"][0]["bearer"].as_array().is_none() || !op["responses"]["401"].is_object()
        })
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(wrong.is_empty(), "no bearer security or no 401: {wrong:?}");
}

#[test]
fn every_store_route_documents_store_id_once() {
    let doc = document();
    for r in ROUTES
        .iter()
        .filter(|r| matches!(r.access, Access::OwnerStore | Access::OwnerAccount))
    {
        let params = doc["paths"][r.path][r.method.as_str().to_lowercase()]["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let n = params
            .iter()
            .filter(|p| p["name"] == "store_id" && p["in"] == "query")
            .count();
        assert_eq!(
            n, 1,
            "{} {}: store_id documented {n} times",
            r.method, r.path
        );
    }
}

#[test]
fn health_and_webhook_routes_are_documented() {
    let doc = document();
    for (method, path) in [
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/api/webhooks/whatsapp"),
        ("POST", "/api/webhooks/whatsapp"),
    ] {
        assert!(has(&doc, method, path), "{method} {path}");
    }
    let post = &doc["paths"]["/api/webhooks/whatsapp"]["post"]["responses"];
    for status in ["200", "401", "413", "503"] {
        assert!(post[status].is_object(), "webhook POST {status}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[test]
fn the_committed_document_is_the_served_one() {
    let served = openapi::json();
    if std::env::var("OMNI_WRITE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(COMMITTED, format!("{served}\n")).unwrap_or_else(|e| panic!("{e}"));
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    let committed: Value = serde_json::from_str(&committed).unwrap_or(Value::Null);
    assert!(
        committed == document(),
        "docs/openapi.json is stale: run `OMNI_WRITE_OPENAPI=1 cargo test -p omni-app --test app openapi` and commit it"
    );
}

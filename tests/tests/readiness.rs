//! `/healthz` says the process answers; `/readyz` says the central database does too, and
//! answers 503 quickly (not a hang) when it does not.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix_web::{App, test, web};
use omni_app::settings::Settings;

fn settings(vars: &[(&str, &str)]) -> Settings {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Settings::load_from(None, &vars).unwrap_or_else(|e| panic!("{e}"))
}

async fn get(state: omni_app::http::AppState, path: &str) -> (u16, serde_json::Value) {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(state))
            .configure(omni_app::http::routes),
    )
    .await;
    let resp = test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
    let status = resp.status().as_u16();
    let body: serde_json::Value = test::read_body_json(resp).await;
    (status, body)
}

#[actix_web::test]
async fn readyz_is_200_when_the_sqlite_database_answers() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_dir = dir.path().join("data");
    let s = settings(&[(
        "OMNI_DATABASE__DATA_DIR",
        data_dir.to_str().unwrap_or_default(),
    )]);
    let state = omni_app::http::AppState::build(&s)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(
        get(state.clone(), "/healthz").await,
        (200, serde_json::json!({ "status": "ok" }))
    );
    assert_eq!(
        get(state, "/readyz").await,
        (200, serde_json::json!({ "status": "ready" }))
    );
}

#[actix_web::test]
async fn readyz_is_503_within_the_pool_timeout_when_postgres_is_unreachable() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_dir = dir.path().join("data");
    // Port 1 on loopback: nothing listens, connections are refused at once.
    let s = settings(&[
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:1/nowhere"),
        ("OMNI_DATABASE__RUN_MIGRATIONS", "false"),
        ("OMNI_DATABASE__TIMEOUT_SECS", "1"),
        (
            "OMNI_DATABASE__DATA_DIR",
            data_dir.to_str().unwrap_or_default(),
        ),
    ]);
    let state = omni_app::http::AppState::build(&s)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let started = Instant::now();
    let (status, body) = get(state.clone(), "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "database_unavailable");
    assert!(
        !body.to_string().contains("127.0.0.1:1"),
        "no internals in the body: {body}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        get(state, "/healthz").await.0,
        200,
        "liveness does not depend on the database"
    );
}

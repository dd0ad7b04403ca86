//! The request log, the `/_sim` control API, appsecret_proof, and mounting under a prefix.

use actix_web::{App, HttpServer, web};
use omni_meta_sim::{SimConfig, SimHandle, configure};
use serde_json::{Value, json};

use crate::common::{
    CUSTOMER, CUSTOMER_WA_ID, NUMBER, WABA, client, code, env, env_with, read, text,
};

#[tokio::test]
async fn the_request_log_shows_where_tokens_travelled() {
    let e = env().await;
    e.get(&format!("{WABA}/phone_numbers")).await;
    let in_query = e
        .http
        .get(format!("{}/{WABA}/phone_numbers", e.graph))
        .query(&[("access_token", &e.token)])
        .send()
        .await
        .expect("send");
    assert_eq!(
        in_query.status(),
        200,
        "Meta accepts access_token in the query"
    );
    let log = e.h.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].path, format!("/v25.0/{WABA}/phone_numbers"));
    assert_eq!(
        log[0].authorization.as_deref(),
        Some(format!("Bearer {}", e.token).as_str())
    );
    assert!(!log[0].query.contains(&e.token));
    assert_eq!(log[0].access_token_param, None);
    assert!(log[1].query.contains(&e.token));
    assert_eq!(log[1].access_token_param.as_deref(), Some("query"));
}

#[tokio::test]
async fn the_control_api_issues_tokens_opens_windows_moves_the_clock_and_injects_faults() {
    let e = env().await;
    let sim = |p: &str| format!("{}/_sim/{p}", e.sim.base_url());
    let (_, tok) = read(
        e.http
            .post(sim("tokens"))
            .json(&json!({ "waba_ids": [WABA] }))
            .send()
            .await
            .expect("t"),
    )
    .await;
    let token = tok["access_token"].as_str().expect("token").to_owned();
    let w = json!({ "phone_number_id": NUMBER, "wa_id": CUSTOMER_WA_ID });
    e.http
        .post(sim("windows"))
        .json(&w)
        .send()
        .await
        .expect("w");
    let resp = e
        .http
        .post(format!("{}/{NUMBER}/messages", e.graph))
        .bearer_auth(&token)
        .json(&text(CUSTOMER, "hi"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let (_, sent) = read(e.http.get(sim("messages")).send().await.expect("m")).await;
    assert_eq!(sent.as_array().map(Vec::len), Some(1));
    let (_, state) = read(e.http.get(sim("state")).send().await.expect("s")).await;
    assert_eq!(state["wabas"][0]["id"], WABA);
    assert_eq!(state["windows"][0]["open"], true);

    e.http
        .post(sim("clock/advance"))
        .json(&json!({ "seconds": 90_000 }))
        .send()
        .await
        .expect("c");
    assert!(!e.h.window_open(NUMBER, CUSTOMER_WA_ID));

    let rule = json!({ "endpoint": "phone_numbers", "fault": { "server_error": 502 }, "times": 1 });
    assert_eq!(
        e.http
            .post(sim("faults"))
            .json(&rule)
            .send()
            .await
            .expect("f")
            .status(),
        200
    );
    assert_eq!(e.get(&format!("{WABA}/phone_numbers")).await.0, 502);
    e.http.delete(sim("messages")).send().await.expect("d");
    assert!(e.h.sent_messages().is_empty());
}

#[tokio::test]
async fn unknown_paths_get_graphs_unsupported_request_error() {
    let e = env().await;
    let (status, body) = read(
        e.http
            .get(format!("{}/nowhere", e.sim.base_url()))
            .send()
            .await
            .expect("s"),
    )
    .await;
    assert_eq!((status, code(&body)), (400, 100));
    let (_, body) = e.get(&format!("{WABA}/unknown_edge")).await;
    assert_eq!(code(&body), 100);
    let (_, body) = e.get("424242").await;
    assert_eq!(body["error"]["error_subcode"], 33);
}

#[tokio::test]
async fn appsecret_proof_is_required_when_configured_and_checked_when_given() {
    let e = env_with(SimConfig {
        require_appsecret_proof: true,
        ..SimConfig::default()
    })
    .await;
    let (_, body) = e.get(&format!("{WABA}/phone_numbers")).await;
    assert_eq!(code(&body), 100);
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"sim-app-secret");
    let proof = hex::encode(ring::hmac::sign(&key, e.token.as_bytes()).as_ref());
    let ok = e
        .http
        .get(format!("{}/{WABA}/phone_numbers", e.graph))
        .bearer_auth(&e.token)
        .query(&[("appsecret_proof", proof.as_str())])
        .send()
        .await
        .expect("send");
    assert_eq!(ok.status(), 200);
    let bad = e
        .http
        .get(format!("{}/{WABA}/phone_numbers", e.graph))
        .bearer_auth(&e.token)
        .query(&[("appsecret_proof", "00")])
        .send()
        .await
        .expect("send");
    let (_, body) = read(bad).await;
    assert_eq!(
        body["error"]["message"],
        "Invalid appsecret_proof provided in the API argument"
    );
}

#[tokio::test]
async fn the_sim_works_mounted_under_a_prefix_with_its_public_base_url() {
    let handle = SimHandle::new(SimConfig::default());
    let h = handle.clone();
    let server = HttpServer::new(move || {
        App::new().service(web::scope("/meta-sim").configure(configure(h.clone())))
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .expect("bind");
    let addr = server.addrs()[0];
    let server = server.run();
    let stop = server.handle();
    tokio::spawn(server);
    let base = format!("http://{addr}/meta-sim");
    handle.set_public_base_url(&base);
    handle.seed_waba(
        omni_meta_sim::SeedWaba::new(WABA, "1")
            .number(omni_meta_sim::SeedNumber::new(NUMBER, "+1")),
    );
    let token = handle.issue_token(omni_meta_sim::TokenSeed::business(&[WABA]));
    let media = handle.put_media(NUMBER, b"img".to_vec(), "image/jpeg");
    let http = client();
    let info: Value = http
        .get(format!("{base}/v25.0/{media}"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("info")
        .json()
        .await
        .expect("json");
    let url = info["url"].as_str().expect("url");
    assert!(url.starts_with(&format!("{base}/sim-media/")), "{url}");
    let bytes = http
        .get(url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("dl")
        .bytes()
        .await
        .expect("b");
    assert_eq!(&bytes[..], b"img");
    let unknown = http
        .get(format!("{base}/elsewhere"))
        .send()
        .await
        .expect("x");
    assert_eq!(unknown.status(), 400);
    stop.stop(false).await;
}

//! Phone numbers (paging, fields, health), subscriptions, registration and token coverage.

use omni_meta_sim::{SeedNumber, SeedWaba, TokenSeed};
use serde_json::json;

use crate::common::{BUSINESS, NUMBER, NUMBER_2, WABA, code, env, read};

#[tokio::test]
async fn phone_numbers_page_with_limit_one_by_following_next() {
    let e = env().await;
    let (status, first) = e
        .get(&format!(
            "{WABA}/phone_numbers?fields=id,display_phone_number&limit=1"
        ))
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(first["data"][0]["id"], NUMBER);
    assert!(
        first["data"][0].get("quality_rating").is_none(),
        "only requested fields"
    );
    let next = first["paging"]["next"].as_str().expect("next");
    assert!(next.starts_with(&e.sim.base_url()), "{next}");
    assert!(!next.contains("access_token"));

    let resp = e
        .http
        .get(next)
        .bearer_auth(&e.token)
        .send()
        .await
        .expect("next page");
    let (_, second) = read(resp).await;
    assert_eq!(second["data"][0]["id"], NUMBER_2);
    assert!(second["paging"].get("next").is_none(), "{second}");
    assert!(second["paging"]["cursors"]["after"].is_string());
}

#[tokio::test]
async fn one_number_reports_limits_quality_platform_and_health() {
    let e = env().await;
    e.h.set_quality(NUMBER, "RED");
    e.h.set_can_send(NUMBER, "LIMITED", vec!["Display name not approved.".into()]);
    let (status, n) = e.get(&format!("{NUMBER}?fields=id,quality_rating,platform_type,throughput{{level}},whatsapp_business_manager_messaging_limit,health_status")).await;
    assert_eq!(status, 200, "{n}");
    assert_eq!(n["quality_rating"], "RED");
    assert_eq!(n["platform_type"], "CLOUD_API");
    assert_eq!(n["throughput"]["level"], "STANDARD");
    assert_eq!(n["whatsapp_business_manager_messaging_limit"], "TIER_2K");
    assert_eq!(n["health_status"]["can_send_message"], "LIMITED");
    let entities = n["health_status"]["entities"].as_array().expect("entities");
    let types: Vec<&str> = entities
        .iter()
        .filter_map(|x| x["entity_type"].as_str())
        .collect();
    assert_eq!(types, ["PHONE_NUMBER", "WABA", "BUSINESS", "APP"]);
    assert_eq!(
        entities[0]["additional_info"][0],
        "Display name not approved."
    );
    assert_eq!(entities[2]["id"], BUSINESS);

    let (_, unregistered) = e.get(&format!("{NUMBER_2}?fields=platform_type")).await;
    assert_eq!(unregistered["platform_type"], "NOT_APPLICABLE");
}

#[tokio::test]
async fn a_token_that_does_not_cover_the_waba_sees_no_object_and_missing_scope_is_200() {
    let e = env().await;
    e.h.seed_waba(
        SeedWaba::new("999000", BUSINESS).number(SeedNumber::new("999001", "+1 555 0100")),
    );
    let (status, body) = e.get("999000/phone_numbers").await;
    assert_eq!((status, code(&body)), (400, 100));
    assert_eq!(body["error"]["error_subcode"], 33);
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("'999000' does not exist")
    );

    let messaging_only = e.h.issue_token(TokenSeed {
        scopes: vec!["whatsapp_business_messaging".into()],
        ..TokenSeed::business(&[WABA])
    });
    let resp = e
        .http
        .get(format!("{}/{WABA}/phone_numbers", e.graph))
        .bearer_auth(messaging_only)
        .send()
        .await
        .expect("send");
    let (status, body) = read(resp).await;
    assert_eq!((status, code(&body)), (403, 200));
    assert_eq!(body["error"]["message"], "(#200) Permissions error");
}

#[tokio::test]
async fn missing_unknown_expired_and_revoked_tokens_get_meta_errors() {
    let e = env().await;
    let url = format!("{}/{WABA}/phone_numbers", e.graph);
    let (status, body) = read(e.http.get(&url).send().await.expect("send")).await;
    assert_eq!((status, code(&body)), (400, 104));
    let (status, body) = read(
        e.http
            .get(&url)
            .bearer_auth("EAAnope")
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!((status, code(&body)), (400, 190));
    assert_eq!(
        body["error"]["message"],
        "Invalid OAuth access token - Cannot parse access token"
    );
    e.h.expire_token(&e.token);
    let (status, body) = e.get(&format!("{WABA}/phone_numbers")).await;
    assert_eq!(
        (status, code(&body), body["error"]["error_subcode"].as_i64()),
        (401, 190, Some(463))
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("m")
            .starts_with("Error validating access token: Session has expired on")
    );
    let other = e.h.issue_token(TokenSeed::business(&[WABA]));
    e.h.revoke_token(&other);
    let (_, body) = read(
        e.http
            .get(&url)
            .bearer_auth(&other)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(body["error"]["error_subcode"], 467);
}

#[tokio::test]
async fn subscribed_apps_round_trip_with_an_override_and_delete() {
    let e = env().await;
    let url = format!("{}/{WABA}/subscribed_apps", e.graph);
    let resp = e
        .http
        .post(&url)
        .bearer_auth(&e.token)
        .send()
        .await
        .expect("post");
    assert_eq!(read(resp).await.1, json!({ "success": true }));
    let (_, listed) = e.get(&format!("{WABA}/subscribed_apps")).await;
    assert_eq!(
        listed["data"][0]["whatsapp_business_api_data"]["id"],
        "1234567890"
    );
    assert!(listed["data"][0].get("override_callback_uri").is_none());

    let body =
        json!({ "override_callback_uri": "https://tenant.example/wh", "verify_token": "vt" });
    let (status, _) = e.post_json(&format!("{WABA}/subscribed_apps"), &body).await;
    assert_eq!(status, 200);
    let (_, listed) = e.get(&format!("{WABA}/subscribed_apps")).await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        listed["data"][0]["override_callback_uri"],
        "https://tenant.example/wh"
    );
    assert_eq!(
        e.h.subscribed_apps(WABA)[0].verify_token.as_deref(),
        Some("vt")
    );

    let resp = e
        .http
        .delete(&url)
        .bearer_auth(&e.token)
        .send()
        .await
        .expect("delete");
    assert_eq!(read(resp).await.1["success"], true);
    assert!(e.h.subscribed_apps(WABA).is_empty());
}

#[tokio::test]
async fn register_sets_the_pin_then_refuses_a_wrong_one_and_rate_limits_after_ten() {
    let e = env().await;
    let reg = |pin: &str| json!({ "messaging_product": "whatsapp", "pin": pin });
    let (status, body) = e
        .post_json(&format!("{NUMBER_2}/register"), &reg("123456"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        e.h.number(NUMBER_2).expect("n").pin.as_deref(),
        Some("123456")
    );
    assert!(e.h.number(NUMBER_2).expect("n").registered);

    let (_, body) = e
        .post_json(&format!("{NUMBER_2}/register"), &reg("654321"))
        .await;
    assert_eq!(code(&body), 133_005);
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("m")
            .starts_with("(#133005)")
    );
    let (_, body) = e
        .post_json(&format!("{NUMBER_2}/register"), &reg("12ab"))
        .await;
    assert_eq!(code(&body), 100);

    for _ in 0..8 {
        e.post_json(
            &format!("{NUMBER_2}/deregister"),
            &json!({ "messaging_product": "whatsapp" }),
        )
        .await;
    }
    let (_, body) = e
        .post_json(&format!("{NUMBER_2}/register"), &reg("123456"))
        .await;
    assert_eq!(code(&body), 133_016);
}

#[tokio::test]
async fn registering_an_unverified_number_fails_with_133006() {
    let e = env().await;
    e.h.update_number(NUMBER_2, |n| {
        n.code_verification_status = "NOT_VERIFIED".into()
    });
    let (_, body) = e
        .post_json(
            &format!("{NUMBER_2}/register"),
            &json!({ "messaging_product": "whatsapp", "pin": "123456" }),
        )
        .await;
    assert_eq!(code(&body), 133_006);
}

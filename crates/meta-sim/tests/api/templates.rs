//! Templates: create (PENDING), duplicate error, list with paging, approve, delete.

use serde_json::json;

use crate::common::{WABA, code, env};

#[tokio::test]
async fn templates_are_created_pending_listed_approved_and_deleted() {
    let e = env().await;
    let new = json!({ "name": "order_update", "language": "en_US", "category": "UTILITY",
                      "components": [{ "type": "BODY", "text": "Order {{1}} shipped" }] });
    let (status, created) = e
        .post_json(&format!("{WABA}/message_templates"), &new)
        .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["status"], "PENDING");
    assert_eq!(created["category"], "UTILITY");

    let (_, dup) = e
        .post_json(&format!("{WABA}/message_templates"), &new)
        .await;
    assert_eq!(
        (code(&dup), dup["error"]["error_subcode"].as_i64()),
        (100, Some(2_388_024))
    );

    let mut bad = new.clone();
    bad["name"] = json!("Order Update");
    assert_eq!(
        code(
            &e.post_json(&format!("{WABA}/message_templates"), &bad)
                .await
                .1
        ),
        100
    );

    let mut second = new.clone();
    second["language"] = json!("ur");
    e.post_json(&format!("{WABA}/message_templates"), &second)
        .await;

    assert!(e.h.set_template_status(WABA, "order_update", "en_US", "APPROVED"));
    let (_, page) = e
        .get(&format!(
            "{WABA}/message_templates?fields=name,language,status&limit=1"
        ))
        .await;
    assert_eq!(page["data"][0]["status"], "APPROVED");
    assert!(page["paging"]["next"].is_string());

    let url = format!("{}/{WABA}/message_templates", e.graph);
    let del = e
        .http
        .delete(&url)
        .bearer_auth(&e.token)
        .query(&[("name", "order_update")])
        .send()
        .await
        .expect("del");
    assert_eq!(del.status(), 200);
    assert!(e.h.templates(WABA).is_empty());
    let again = e
        .http
        .delete(&url)
        .bearer_auth(&e.token)
        .query(&[("name", "order_update")])
        .send()
        .await
        .expect("del");
    assert_eq!(again.status(), 400);
}

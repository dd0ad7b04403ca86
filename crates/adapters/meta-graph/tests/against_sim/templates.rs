//! Message templates.

use omni_ports::meta::{GraphErrorKind, MetaGraphPort, NewTemplate};
use serde_json::json;

use crate::{Fixture, WABA};

fn order_update() -> NewTemplate {
    NewTemplate {
        name: "order_update".into(),
        language: "en_US".into(),
        category: "UTILITY".into(),
        components: json!([{ "type": "BODY", "text": "Hi {{1}}, order {{2}} is on its way." }]),
        parameter_format: Some("POSITIONAL".into()),
    }
}

#[tokio::test]
async fn templates_are_created_listed_and_deleted() {
    let f = Fixture::new().await;
    let waba = Fixture::waba();
    let created = f
        .client
        .create_template(&f.token, &waba, &order_update())
        .await
        .unwrap();
    assert_eq!(created.status, "PENDING");
    assert!(!created.id.is_empty());

    let dup = f
        .client
        .create_template(&f.token, &waba, &order_update())
        .await
        .unwrap_err();
    assert_eq!(dup.kind, GraphErrorKind::InvalidParameter, "{dup}");

    let bad_name = NewTemplate {
        name: "Order Update!".into(),
        ..order_update()
    };
    let err = f
        .client
        .create_template(&f.token, &waba, &bad_name)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(100), "{err}");

    f.sim_handle
        .set_template_status(WABA, "order_update", "en_US", "APPROVED");
    let list = f.client.list_templates(&f.token, &waba).await.unwrap();
    let t = list.iter().find(|t| t.name == "order_update").unwrap();
    assert_eq!(
        (t.language.as_str(), t.status.as_str()),
        ("en_US", "APPROVED")
    );
    assert_eq!(t.category, "UTILITY");
    assert_eq!(t.components[0]["type"], "BODY");
    assert_eq!(t.parameter_format.as_deref(), Some("POSITIONAL"));

    f.client
        .delete_template(&f.token, &waba, "order_update", None)
        .await
        .unwrap();
    let list = f.client.list_templates(&f.token, &waba).await.unwrap();
    assert!(list.iter().all(|t| t.name != "order_update"));
    let err = f
        .client
        .delete_template(&f.token, &waba, "order_update", None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, GraphErrorKind::InvalidParameter);
}

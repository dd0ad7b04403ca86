//! Numbers, subscriptions, registration.

use omni_domain::{LimitTier, PhoneNumberId, QualityRating, ThroughputLevel};
use omni_meta_sim::{SeedNumber, SeedWaba};
use omni_ports::meta::{CallbackOverride, CanSend, GraphErrorKind, MetaGraphPort};
use secrecy::SecretString;

use crate::{BUSINESS, Fixture, NUMBER, WABA};

#[tokio::test]
async fn one_number_reads_quality_limits_throughput_and_health() {
    let f = Fixture::new().await;
    f.sim_handle.set_quality(NUMBER, "YELLOW");
    let info = f
        .client
        .get_phone_number(&f.token, &Fixture::number())
        .await
        .unwrap();
    assert_eq!(info.id.as_str(), NUMBER);
    assert_eq!(info.display_phone_number, "+92 300 1112233");
    assert_eq!(info.verified_name.as_deref(), Some("Lucky Burgers"));
    assert_eq!(info.quality_rating, QualityRating::Yellow);
    assert_eq!(info.limits.portfolio_tier, Some(LimitTier::Tier2K));
    assert_eq!(info.limits.throughput, Some(ThroughputLevel::Standard));
    assert!(info.is_connected(), "{:?}", info.status);
    assert_eq!(info.code_verification_status.as_deref(), Some("VERIFIED"));
    let health = info.health.unwrap();
    assert_eq!(health.can_send_message, CanSend::Available);
    assert!(health.entities.iter().any(|e| e.id == NUMBER));
    f.assert_token_only_in_headers();
}

#[tokio::test]
async fn listing_a_waba_follows_every_page() {
    let f = Fixture::new().await;
    // The adapter asks for 100 a page; 120 more numbers make it follow `paging.next`.
    let mut waba = SeedWaba::new("301122334455667", BUSINESS);
    for i in 0..120_u64 {
        waba = waba.number(SeedNumber::new(
            format!("5{:014}", i),
            format!("+92 333 {:07}", i),
        ));
    }
    f.sim_handle.seed_waba(waba);
    let token = SecretString::from(
        f.sim_handle
            .issue_token(omni_meta_sim::TokenSeed::business(&["301122334455667"])),
    );
    let waba_id = omni_domain::WabaId::parse("301122334455667").unwrap();
    let numbers = f.client.list_phone_numbers(&token, &waba_id).await.unwrap();
    assert_eq!(numbers.len(), 120);
    let mut ids: Vec<_> = numbers.iter().map(|n| n.id.as_str().to_owned()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 120, "no number twice");
    let pages = f
        .sim_handle
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/phone_numbers"))
        .count();
    assert_eq!(pages, 2);
    let small = f
        .client
        .list_phone_numbers(&f.token, &Fixture::waba())
        .await
        .unwrap();
    assert_eq!(small.len(), 1);
}

#[tokio::test]
async fn a_token_for_another_waba_is_refused() {
    let f = Fixture::new().await;
    f.sim_handle
        .seed_waba(SeedWaba::new("301122334455667", BUSINESS));
    let other = omni_domain::WabaId::parse("301122334455667").unwrap();
    let err = f
        .client
        .list_phone_numbers(&f.token, &other)
        .await
        .unwrap_err();
    assert_eq!(err.kind, GraphErrorKind::InvalidParameter, "{err}");
    assert_eq!(err.code(), Some(100));
    let unknown = PhoneNumberId::parse("999999999999999").unwrap();
    let err = f
        .client
        .get_phone_number(&f.token, &unknown)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(100), "{err}");
}

#[tokio::test]
async fn subscribing_with_and_without_an_override_and_unsubscribing() {
    let f = Fixture::new().await;
    let waba = Fixture::waba();
    f.client.subscribe_app(&f.token, &waba, None).await.unwrap();
    let apps = f.client.subscribed_apps(&f.token, &waba).await.unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].app_id, f.client.config().app_id);
    assert_eq!(apps[0].override_callback_uri, None);

    let o = CallbackOverride {
        uri: "https://shop.example.pk/api/webhooks/whatsapp".into(),
        verify_token: SecretString::from("verify-123".to_owned()),
    };
    f.client
        .subscribe_app(&f.token, &waba, Some(&o))
        .await
        .unwrap();
    let apps = f.client.subscribed_apps(&f.token, &waba).await.unwrap();
    assert_eq!(
        apps[0].override_callback_uri.as_deref(),
        Some(o.uri.as_str())
    );
    let stored = f.sim_handle.subscribed_apps(WABA);
    assert_eq!(stored[0].verify_token.as_deref(), Some("verify-123"));

    // Re-subscribing without a body removes the override (Meta's documented way).
    f.client.subscribe_app(&f.token, &waba, None).await.unwrap();
    let apps = f.client.subscribed_apps(&f.token, &waba).await.unwrap();
    assert_eq!(apps[0].override_callback_uri, None);

    f.client.unsubscribe_app(&f.token, &waba).await.unwrap();
    assert!(
        f.client
            .subscribed_apps(&f.token, &waba)
            .await
            .unwrap()
            .is_empty()
    );
    f.assert_token_only_in_headers();
}

#[tokio::test]
async fn registration_sets_the_pin_and_refuses_a_wrong_one() {
    let f = Fixture::new().await;
    f.sim_handle.seed_waba(
        SeedWaba::new("301122334455667", BUSINESS)
            .number(SeedNumber::new("209876543210987", "+92 333 4445566").registered(false)),
    );
    let token = SecretString::from(
        f.sim_handle
            .issue_token(omni_meta_sim::TokenSeed::business(&["301122334455667"])),
    );
    let id = PhoneNumberId::parse("209876543210987").unwrap();
    let pin = SecretString::from("581063".to_owned());
    f.client.register_number(&token, &id, &pin).await.unwrap();
    let info = f.client.get_phone_number(&token, &id).await.unwrap();
    assert_eq!(info.platform_type.as_deref(), Some("CLOUD_API"));

    f.client.deregister_number(&token, &id).await.unwrap();
    let wrong = SecretString::from("000000".to_owned());
    let err = f
        .client
        .register_number(&token, &id, &wrong)
        .await
        .unwrap_err();
    assert_eq!(err.kind, GraphErrorKind::Registration, "{err}");
    assert_eq!(err.code(), Some(133_005));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_token_without_the_required_prefix_never_leaves_the_process() {
    // The sandbox's client: only tokens its simulator minted (their prefix) may be sent.
    let config = omni_meta_sim::SimConfig {
        token_prefix: "EAASANDBOX".to_owned(),
        ..omni_meta_sim::SimConfig::default()
    };
    let f = Fixture::with(config, |mut g| {
        g.required_token_prefix = Some("EAASANDBOX".to_owned());
        g
    })
    .await;
    assert!(f.token_text.starts_with("EAASANDBOX"), "{}", f.token_text);
    // The simulator's own token works as before.
    f.client
        .get_phone_number(&f.token, &Fixture::number())
        .await
        .unwrap();
    // A real token stored in the same database (say, added with `account add`) is withheld:
    // Meta's invalid-token answer comes back, and the token is nowhere in what was received.
    let real = "EAAGrealTokenFromMetaThatMustNotLeave0123456789";
    let err = f
        .client
        .get_phone_number(&SecretString::from(real.to_owned()), &Fixture::number())
        .await
        .unwrap_err();
    assert_eq!(err.kind, GraphErrorKind::TokenInvalid, "{err}");
    let _ = f
        .client
        .debug_token(&SecretString::from(real.to_owned()))
        .await;
    let seen = format!("{:?}", f.sim_handle.requests());
    assert!(!seen.contains(real), "the real token reached the simulator");
    assert!(seen.contains("withheld"), "{seen}");
}

//! The daily token check on a controlled clock: a system-user token about to expire is
//! renewed, an expiring user token marks the account reauth_required ahead of time with a
//! reconnect link, a revoked token too.

use std::time::Duration;

use chrono::TimeDelta;
use omni_domain::AccountStatus;
use omni_meta_sim::TokenSeed;
use omni_ports::{ACCESS_TOKEN_FIELD, secret_aad};
use omni_usecases::account_health::{JOB_CHECK_TOKENS, JOB_REFRESH_ACCOUNTS};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};

use super::{NUMBER_A, NUMBER_B, NUMBER_C, PHONE_A, PHONE_B, PHONE_C, WABA_A};
use crate::support::health::{Engine, Harness, PASSWORD};

const DAYS_30: Duration = Duration::from_secs(30 * 86_400);

#[actix_web::test]
async fn expiring_tokens_are_renewed_or_the_owner_is_asked_to_reconnect_ahead_of_time() {
    let Some(h) = Harness::start(Engine::Postgres, &[], true).await else {
        return;
    };
    let clock = h.clock.clone().unwrap();
    let o = h.owner("Token Watch", None).await;
    let t = Some(o.token.as_str());
    let system = TokenSeed {
        expires_in: Some(DAYS_30),
        ..TokenSeed::business(&[WABA_A])
    };
    let (sys, sys_token) = h.number(&o.store, NUMBER_A, PHONE_A, Some(system)).await;
    let (usr, _) = h
        .number(
            &o.store,
            NUMBER_B,
            PHONE_B,
            Some(TokenSeed::user(&[WABA_A], DAYS_30)),
        )
        .await;
    let (dead, dead_token) = h.number(&o.store, NUMBER_C, PHONE_C, None).await;
    assert!(h.sim().revoke_token(&dead_token));

    // Day 0: 30 days left on both; the revoked one needs the owner now.
    let summary = h.state.services.health.run_job(JOB_CHECK_TOKENS).await;
    assert_eq!(summary, "ok=3 failed=0 skipped=0");
    let a = h.account(&sys).await;
    assert_eq!(a.status(), AccountStatus::Active);
    assert_eq!(a.meta.token_type.as_deref(), Some("SYSTEM_USER"));
    assert!(a.meta.token_expires_at.is_some());
    assert_eq!(h.account(&usr).await.status(), AccountStatus::Active);
    assert_eq!(
        h.account(&dead).await.status(),
        AccountStatus::ReauthRequired
    );
    let (_, list) = h
        .call(Method::GET, "/api/owner/notifications", t, None)
        .await;
    assert_eq!(list["notifications"].as_array().unwrap().len(), 1, "{list}");
    let n = &list["notifications"][0];
    assert_eq!(n["kind"], "reauth_required");
    assert_eq!(n["account_id"], dead.id.to_string());
    assert!(
        n["detail"]["reconnect_url"]
            .as_str()
            .unwrap()
            .starts_with("https://omni.example.pk/owner?whatsapp=reconnect")
    );

    // Day 25: both within the 7 days before expiry. The whole service runs on this clock,
    // so the owner's day-0 session has expired too: log in again.
    clock.advance(TimeDelta::days(25));
    let token = h.login(&o.email, PASSWORD).await;
    let t = Some(token.as_str());
    let summary = h.state.services.health.run_job(JOB_CHECK_TOKENS).await;
    assert_eq!(summary, "ok=2 failed=0 skipped=1");

    // The system-user token was exchanged for a fresh 60-day one, and the account kept on.
    let a = h.account(&sys).await;
    assert_eq!(a.status(), AccountStatus::Active);
    let fresh = h
        .state
        .services
        .ports
        .cipher
        .open(&a.access_token, &secret_aad(a.id, ACCESS_TOKEN_FIELD))
        .unwrap();
    assert_ne!(fresh.expose_secret(), sys_token);
    let info = h
        .state
        .services
        .ports
        .graph
        .as_ref()
        .unwrap()
        .debug_token(&fresh)
        .await
        .unwrap();
    assert!(info.is_valid);
    let left = info.expires_at.unwrap() - h.sim().now();
    assert!(
        left > chrono::Duration::days(59),
        "fresh token lasts {left}"
    );
    let history = h
        .state
        .services
        .ports
        .history
        .list_for_account(sys.id, 10)
        .await
        .unwrap();
    assert_eq!(history[0].kind, "token_renewed");
    // The old token still works until its own expiry (Meta's rule): nothing else to do.
    let old = SecretString::from(sys_token.clone());
    assert!(
        h.state
            .services
            .ports
            .graph
            .as_ref()
            .unwrap()
            .debug_token(&old)
            .await
            .unwrap()
            .is_valid
    );

    // The user token cannot be renewed: reauth_required now, with a reconnect link.
    let u = h.account(&usr).await;
    assert_eq!(u.status(), AccountStatus::ReauthRequired);
    assert!(u.meta.reauth_ahead);
    let (_, list) = h
        .call(Method::GET, "/api/owner/notifications", t, None)
        .await;
    let expiring = &list["notifications"][0];
    assert_eq!(expiring["kind"], "token_expiring");
    assert_eq!(expiring["severity"], "critical");
    assert_eq!(expiring["account_id"], usr.id.to_string());
    assert!(
        expiring["detail"]["reconnect_url"]
            .as_str()
            .unwrap()
            .contains(&usr.id.to_string())
    );

    // Neither the weekly refresh nor the owner's refresh lifts it while the old token still
    // reads: only reconnecting does.
    assert_eq!(
        h.state.services.health.run_job(JOB_REFRESH_ACCOUNTS).await,
        "ok=1 failed=0 skipped=2"
    );
    let (status, _) = h
        .call(
            Method::POST,
            &format!("/api/owner/whatsapp/accounts/{}/refresh", usr.id),
            t,
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (_, health) = h
        .call(
            Method::GET,
            &format!("/api/owner/whatsapp/accounts/{}/health", usr.id),
            t,
            None,
        )
        .await;
    assert_eq!(health["status"], "reauth_required");
    assert_eq!(health["token_type"], "USER");
    let kinds: Vec<&str> = health["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    // The refresh filled in Meta's number status; the expiry mark is kept before it.
    assert_eq!(kinds, vec!["refresh", "token_expiring"], "{health}");
    h.stop().await;
}

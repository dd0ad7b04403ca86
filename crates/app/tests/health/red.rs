//! Quality RED slows business-initiated sends of that number; replies to customers keep
//! their pace.

use std::time::Duration;

use omni_domain::{PhoneNumber, QualityRating};
use omni_meta_sim::SeedTemplate;
use omni_meta_sim::webhook::{SimCustomer, SimMessage, SimNumber, WebhookPayload};
use omni_ports::meta::{OutboundContent, Recipient};
use omni_usecases::outbound::{SendOptions, WhatsAppService};

use super::{NUMBER_A, PHONE_A, WABA_A};
use crate::support::health::{Engine, eventually};

fn span(at: &mut [chrono::DateTime<chrono::Utc>]) -> chrono::Duration {
    at.sort();
    at[at.len() - 1] - at[0]
}

async fn promo(service: &WhatsAppService, to: &str) {
    service
        .send(
            Recipient::Phone(PhoneNumber::parse(to).unwrap().as_str().to_owned()),
            OutboundContent::Template {
                name: "promo".into(),
                language: "en".into(),
                components: Vec::new(),
            },
            SendOptions::default(),
        )
        .await
        .unwrap();
}

#[actix_web::test]
async fn quality_red_slows_business_initiated_sends_and_not_replies() {
    let h = harness!(Engine::Postgres, &[("OMNI_HEALTH__RED_BUSINESS_MPS", "1")]);
    let o = h.owner("Red Kitchen", Some("Shukriya!")).await;
    let (acc, _) = h.number(&o.store, NUMBER_A, PHONE_A, None).await;
    h.sim()
        .seed_template(WABA_A, SeedTemplate::new("promo", "en", "Deals today"));
    let service = WhatsAppService::for_account(
        h.state.services.ports.outbox.clone(),
        h.state.services.ports.clock.clone(),
        &acc,
    )
    .unwrap();

    // GREEN (unrated): five business messages leave together.
    for i in 0..5 {
        promo(&service, &format!("+9230077700{i:02}")).await;
    }
    h.state.services.wake.notify_waiters();
    let sent = eventually("five promos", Duration::from_secs(15), || async {
        let s = h.sim().sent_messages();
        (s.len() == 5).then_some(s)
    })
    .await;
    let mut at: Vec<_> = sent.iter().map(|s| s.at).collect();
    assert!(
        span(&mut at) < chrono::Duration::milliseconds(1_000),
        "unslowed span"
    );

    // Quality goes RED.
    let mut red = h.account(&acc).await;
    red.quality_rating = QualityRating::Red;
    h.state
        .services
        .ports
        .central
        .update_account(&red)
        .await
        .unwrap();
    h.sim().clear_sent();
    for i in 0..8 {
        promo(&service, &format!("+9230088800{i:02}")).await;
    }
    // Meanwhile five customers write and get the auto-reply.
    let number = SimNumber::new(WABA_A, NUMBER_A, "923001112233");
    let sender = h.sender();
    for i in 0..5 {
        let payload = WebhookPayload::messages(
            &number,
            &SimCustomer::new(&format!("9230099900{i:02}"), "Customer"),
            &[SimMessage::text("menu?")],
        );
        assert_eq!(sender.send(&payload).await.unwrap().final_status, Some(200));
    }
    h.state.services.wake.notify_waiters();
    let sent = eventually(
        "eight promos and five replies",
        Duration::from_secs(40),
        || async {
            let s = h.sim().sent_messages();
            (s.len() == 13).then_some(s)
        },
    )
    .await;
    let (mut promos, mut replies): (Vec<_>, Vec<_>) = (Vec::new(), Vec::new());
    for s in &sent {
        if s.kind == "template" {
            promos.push(s.at);
        } else {
            replies.push(s.at);
        }
    }
    assert_eq!((promos.len(), replies.len()), (8, 5));
    // One a second: the eighth at least ~7 s after the first.
    assert!(
        span(&mut promos) >= chrono::Duration::milliseconds(6_500),
        "RED business span {:?}",
        span(&mut promos)
    );
    assert!(
        span(&mut replies) < chrono::Duration::milliseconds(3_500),
        "replies were slowed: {:?}",
        span(&mut replies)
    );
    // The first reply did not queue behind the promos.
    assert!(replies[0] < promos[promos.len() - 1]);
    h.stop().await;
}

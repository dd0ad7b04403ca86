//! Analytics per account and day, computed from a known set of messages and orders written
//! straight into the store's tenant database; Postgres and SQLite.

use chrono::{DateTime, TimeZone, Utc};
use omni_domain::{
    AccountId, Conversation, ConversationId, Currency, Customer, CustomerId, Direction, MenuItemId,
    Message, MessageBody, MessageId, MessageStatus, Money, Order, OrderItem, OrderStatus, StoreId,
};
use omni_ports::TenantRepoPort;
use reqwest::Method;
use serde_json::json;

use super::{NUMBER_A, NUMBER_B, PHONE_A, PHONE_B};
use crate::support::health::{Engine, Harness};

fn at(day: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, h, m, s)
        .single()
        .unwrap()
}

struct Seeder<'a> {
    tenants: &'a dyn TenantRepoPort,
    store: StoreId,
    conversation: ConversationId,
}

impl Seeder<'_> {
    async fn message(
        &self,
        direction: Direction,
        when: DateTime<Utc>,
        status: Option<MessageStatus>,
        error: Option<&str>,
        in_reply_to: Option<MessageId>,
    ) -> MessageId {
        let mut m = Message::new(
            MessageId::new(),
            self.conversation,
            direction,
            MessageBody::Text { body: "x".into() },
            when,
        );
        m.status = status;
        m.status_at = status.map(|_| when);
        m.error = error.map(str::to_owned);
        m.in_reply_to = in_reply_to;
        self.tenants.insert_message(self.store, &m).await.unwrap();
        m.id
    }
}

async fn conversation(
    h: &Harness,
    store: StoreId,
    account: AccountId,
    wa_id: &str,
) -> (CustomerId, ConversationId) {
    let customer = h
        .state
        .services
        .ports
        .tenants
        .upsert_customer(
            store,
            &Customer::new(CustomerId::new(), wa_id, at(1, 0, 0, 0)).unwrap(),
        )
        .await
        .unwrap();
    let c = Conversation::new(ConversationId::new(), customer.id, account, at(1, 0, 0, 0));
    h.state
        .services
        .ports
        .tenants
        .insert_conversation(store, &c)
        .await
        .unwrap();
    (customer.id, c.id)
}

async fn order(
    h: &Harness,
    store: StoreId,
    customer: CustomerId,
    account: AccountId,
    paisa: i64,
    status: OrderStatus,
    when: DateTime<Utc>,
) {
    let mut o = Order::new(customer, Currency::PKR, when).with_status(status);
    o.account_id = Some(account);
    o.items = vec![OrderItem {
        menu_item_id: MenuItemId::new(),
        name: "Zinger burger".into(),
        unit_price: Money::pkr_paisa(paisa),
        quantity: 1,
        variant: None,
    }];
    h.state
        .services
        .ports
        .tenants
        .insert_order(store, &o)
        .await
        .unwrap();
}

async fn figures(engine: Engine) {
    let h = harness!(engine);
    let o = h.owner("Counted", None).await;
    let (acc, _) = h.number(&o.store, NUMBER_A, PHONE_A, None).await;
    let (other, _) = h.number(&o.store, NUMBER_B, PHONE_B, None).await;
    let store = o.store.id;
    let (customer, conv) = conversation(&h, store, acc.id, "923001234567").await;
    let s = Seeder {
        tenants: h.state.services.ports.tenants.as_ref(),
        store,
        conversation: conv,
    };
    use Direction::{Inbound, Outbound};
    use MessageStatus::{Delivered, Failed, Read, Sent};
    // Day 10: three customer messages, answered after 30 s, 120 s and 10 s.
    let in1 = s.message(Inbound, at(10, 10, 0, 0), None, None, None).await;
    s.message(
        Outbound,
        at(10, 10, 0, 30),
        Some(Delivered),
        None,
        Some(in1),
    )
    .await;
    let in2 = s.message(Inbound, at(10, 11, 0, 0), None, None, None).await;
    s.message(Outbound, at(10, 11, 2, 0), Some(Read), None, Some(in2))
        .await;
    s.message(
        Outbound,
        at(10, 11, 5, 0),
        Some(Failed),
        Some("131047: Re-engagement message"),
        Some(in2),
    )
    .await;
    let in3 = s.message(Inbound, at(10, 12, 0, 0), None, None, None).await;
    s.message(
        Outbound,
        at(10, 12, 0, 10),
        Some(Failed),
        Some("131026: Message undeliverable"),
        Some(in3),
    )
    .await;
    // Day 11: one unanswered message, one business message sent.
    s.message(Inbound, at(11, 9, 0, 0), None, None, None).await;
    s.message(Outbound, at(11, 9, 30, 0), Some(Sent), None, None)
        .await;
    // Day 12 is outside the range.
    s.message(Inbound, at(12, 9, 0, 0), None, None, None).await;
    // Orders: Rs 1,250 placed and Rs 500 cancelled on day 10, Rs 999 delivered on day 11.
    order(
        &h,
        store,
        customer,
        acc.id,
        125_000,
        OrderStatus::Placed,
        at(10, 13, 0, 0),
    )
    .await;
    order(
        &h,
        store,
        customer,
        acc.id,
        50_000,
        OrderStatus::Cancelled,
        at(10, 14, 0, 0),
    )
    .await;
    order(
        &h,
        store,
        customer,
        acc.id,
        99_900,
        OrderStatus::Delivered,
        at(11, 20, 0, 0),
    )
    .await;
    // Another number of the store does not count.
    let (_, conv_b) = conversation(&h, store, other.id, "923001234568").await;
    Seeder {
        tenants: h.state.services.ports.tenants.as_ref(),
        store,
        conversation: conv_b,
    }
    .message(Inbound, at(10, 10, 0, 0), None, None, None)
    .await;
    order(
        &h,
        store,
        customer,
        other.id,
        70_000,
        OrderStatus::Placed,
        at(10, 15, 0, 0),
    )
    .await;

    let t = Some(o.token.as_str());
    let path = format!(
        "/api/owner/whatsapp/accounts/{}/analytics?from=2026-11-10&to=2026-11-11",
        acc.id
    );
    let (status, body) = h.call(Method::GET, &path, t, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["days"],
        json!([
            {
                "date": "2026-11-10", "messages_in": 3, "messages_out": 4,
                "delivered": 2, "read": 1, "failed": 2,
                "delivered_rate": 0.5, "read_rate": 0.25, "failed_rate": 0.5,
                "failures_by_code": {"131026": 1, "131047": 1},
                "median_response_secs": 30, "orders": 1, "revenue_minor": 125_000,
                "currency": "PKR"
            },
            {
                "date": "2026-11-11", "messages_in": 1, "messages_out": 1,
                "delivered": 0, "read": 0, "failed": 0,
                "delivered_rate": 0.0, "read_rate": 0.0, "failed_rate": 0.0,
                "failures_by_code": {},
                "median_response_secs": null, "orders": 1, "revenue_minor": 99_900,
                "currency": "PKR"
            }
        ]),
        "{body}"
    );
    for bad in [
        "from=2026-11-10",
        "from=2026-11-11&to=2026-11-10",
        "from=10-11-2026&to=2026-11-11",
        "from=2025-01-01&to=2026-11-11",
    ] {
        let (status, body) = h
            .call(
                Method::GET,
                &format!("/api/owner/whatsapp/accounts/{}/analytics?{bad}", acc.id),
                t,
                None,
            )
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_range")),
            "{bad}"
        );
    }
    h.stop().await;
}

#[actix_web::test]
async fn analytics_figures_come_from_the_stores_messages_and_orders_on_postgres() {
    figures(Engine::Postgres).await;
}

#[actix_web::test]
async fn analytics_figures_come_from_the_stores_messages_and_orders_on_sqlite() {
    figures(Engine::Sqlite).await;
}

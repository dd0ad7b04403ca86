//! A restaurant with a menu, payment methods and an owner logged in, and a customer who
//! writes to it through the simulator.

use std::time::Duration;

use chrono::Utc;
use omni_domain::{
    Direction, Email, MenuItem, MenuItemId, Message, Money, Order, PaymentMethod, PaymentMethodId,
    PaymentMethodKind, Store, StoreKind, StoreName,
};
use omni_meta_sim::SentRecord;
use omni_meta_sim::webhook::{SimCustomer, SimMessage, SimNumber, WebhookPayload};
use secrecy::SecretString;
use serde_json::Value;

use crate::support::pipeline::{Harness, Number, eventually};

pub const PASSWORD: &str = "correct horse battery staple";

/// A restaurant: its store, number, owner token and menu.
pub struct Restaurant {
    pub store: Store,
    pub number: Number,
    pub token: String,
    pub menu: Vec<MenuItem>,
    pub methods: Vec<PaymentMethod>,
}

impl Restaurant {
    pub fn item(&self, name: &str) -> &MenuItem {
        self.menu.iter().find(|m| m.name == name).unwrap()
    }

    pub fn sim_number(&self) -> SimNumber {
        SimNumber::new(
            self.number.account.waba_id.as_str(),
            self.number.account.phone_number_id.as_str(),
            self.number
                .account
                .phone_number
                .as_str()
                .trim_start_matches('+'),
        )
    }
}

fn item(name: &str, category: &str, rupees: i64, available: bool) -> MenuItem {
    MenuItem {
        id: MenuItemId::new(),
        name: name.into(),
        description: None,
        category: Some(category.into()),
        price: Money::pkr(rupees).unwrap(),
        variants: Vec::new(),
        available,
        created_at: Utc::now(),
    }
}

pub fn method(kind: PaymentMethodKind, label: &str, details: &str) -> PaymentMethod {
    PaymentMethod {
        id: PaymentMethodId::new(),
        kind,
        label: label.into(),
        details: details.into(),
        instructions: None,
        active: true,
        created_at: Utc::now(),
    }
}

/// A restaurant named `name` with `menu` (name, category, rupees, available), `methods`, a
/// connected number and a logged-in owner.
pub async fn restaurant(
    h: &Harness,
    name: &str,
    waba: &str,
    phone_number_id: &str,
    phone: &str,
    menu: &[(&str, &str, i64, bool)],
    methods: Vec<PaymentMethod>,
) -> Restaurant {
    let email = format!("{}@example.pk", uuid::Uuid::new_v4().simple());
    let owner = h
        .state
        .services
        .registry
        .create_owner(
            Email::parse(&email).unwrap(),
            &SecretString::from(PASSWORD.to_owned()),
            None,
        )
        .await
        .unwrap();
    let store = h
        .state
        .services
        .registry
        .create_store(
            owner.id,
            StoreName::parse(name).unwrap(),
            StoreKind::Restaurant,
        )
        .await
        .unwrap();
    let menu: Vec<MenuItem> = menu.iter().map(|(n, c, r, a)| item(n, c, *r, *a)).collect();
    for m in &menu {
        h.state
            .services
            .ports
            .tenants
            .insert_menu_item(store.id, m)
            .await
            .unwrap();
    }
    for m in &methods {
        h.state
            .services
            .ports
            .tenants
            .insert_payment_method(store.id, m)
            .await
            .unwrap();
    }
    let number = h.number(&store, waba, phone_number_id, phone).await;
    let res = reqwest::Client::new()
        .post(format!("{}/api/owner/login", h.url))
        .json(&serde_json::json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    Restaurant {
        store,
        number,
        token: body["token"].as_str().unwrap().to_owned(),
        menu,
        methods,
    }
}

/// Karachi Grill: burgers, fries, an unavailable karahi; cash on delivery only.
pub async fn karachi_grill(h: &Harness) -> Restaurant {
    restaurant(
        h,
        "Karachi Grill",
        "102290129340501",
        "106540352242501",
        "+923001110001",
        &[
            ("Zinger Burger", "Burgers", 650, true),
            ("Beef Burger", "Burgers", 700, true),
            ("Fries", "Sides", 250, true),
            ("Chicken Karahi", "Karahi", 1800, false),
        ],
        vec![method(
            PaymentMethodKind::CashOnDelivery,
            "Cash on delivery",
            "",
        )],
    )
    .await
}

/// The text a sent message shows (text body, interactive body, or the type).
pub fn shown(s: &SentRecord) -> String {
    let b = &s.body;
    b["text"]["body"]
        .as_str()
        .or_else(|| b["interactive"]["body"]["text"].as_str())
        .map_or_else(|| format!("[{}]", s.kind), str::to_owned)
}

/// The reply-button or list-row ids of an interactive message.
pub fn choices(s: &SentRecord) -> Vec<String> {
    let i = &s.body["interactive"];
    let buttons = i["action"]["buttons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["reply"]["id"].as_str().map(str::to_owned));
    let rows = i["action"]["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["rows"].as_array().cloned().unwrap_or_default())
        .filter_map(|r| r["id"].as_str().map(str::to_owned));
    buttons.chain(rows).collect()
}

/// A customer writing to a restaurant.
pub struct Customer<'a> {
    pub h: &'a Harness,
    pub r: &'a Restaurant,
    pub wa_id: String,
    pub name: String,
}

impl<'a> Customer<'a> {
    pub fn new(h: &'a Harness, r: &'a Restaurant, wa_id: &str, name: &str) -> Self {
        Self {
            h,
            r,
            wa_id: wa_id.into(),
            name: name.into(),
        }
    }

    fn sent_to_me(&self) -> Vec<SentRecord> {
        let to = format!("+{}", self.wa_id);
        self.h
            .sim()
            .sent_messages()
            .into_iter()
            .filter(|s| {
                s.to == to && s.phone_number_id == self.r.number.account.phone_number_id.as_str()
            })
            .collect()
    }

    /// Sends one message and waits until it is handled and every reply decided for it has
    /// reached the simulator; returns those replies in order.
    pub async fn send(&self, message: SimMessage) -> Vec<SentRecord> {
        let before = self.sent_to_me().len();
        let wamid = message.wamid().to_owned();
        let payload = WebhookPayload::messages(
            &self.r.sim_number(),
            &SimCustomer::new(&self.wa_id, &self.name),
            &[message],
        );
        let report = self.h.sender().send(&payload).await.unwrap();
        assert_eq!(report.final_status, Some(200));
        let store = self.r.store.id;
        let replies = eventually("the message handled", Duration::from_secs(20), || {
            let tenants = self.h.state.services.ports.tenants.clone();
            let wamid = wamid.clone();
            async move {
                let m = tenants
                    .find_message_by_wamid(store, &wamid)
                    .await
                    .unwrap()?;
                m.handled_at?;
                let all = tenants
                    .list_messages(store, m.conversation_id, 500)
                    .await
                    .unwrap();
                Some(
                    all.into_iter()
                        .filter(|r| {
                            r.direction == Direction::Outbound && r.in_reply_to == Some(m.id)
                        })
                        .count(),
                )
            }
        })
        .await;
        eventually("the replies at Meta", Duration::from_secs(20), || {
            let sent = self.sent_to_me();
            async move { (sent.len() >= before + replies).then(|| sent[before..].to_vec()) }
        })
        .await
    }

    pub async fn say(&self, text: &str) -> Vec<SentRecord> {
        self.send(SimMessage::text(text)).await
    }

    pub async fn tap(&self, id: &str, title: &str) -> Vec<SentRecord> {
        self.send(SimMessage::button_reply(id, title)).await
    }

    /// The stored inbound message with this wamid.
    pub async fn stored(&self, wamid: &str) -> Message {
        self.h
            .state
            .services
            .ports
            .tenants
            .find_message_by_wamid(self.r.store.id, wamid)
            .await
            .unwrap()
            .unwrap()
    }

    /// This customer's open order in the store's own database.
    pub async fn order(&self) -> Option<Order> {
        let store = self.r.store.id;
        let orders = self
            .h
            .state
            .services
            .ports
            .tenants
            .list_orders(store, 50)
            .await
            .unwrap();
        let customer = self
            .h
            .state
            .services
            .ports
            .commerce_repo
            .find_customer_by_wa_id(store, &self.wa_id)
            .await
            .unwrap()?;
        orders.into_iter().find(|o| o.customer_id == customer.id)
    }
}

/// The owner API.
pub struct Owner<'a> {
    pub h: &'a Harness,
    pub token: String,
}

impl<'a> Owner<'a> {
    pub fn of(h: &'a Harness, r: &Restaurant) -> Self {
        Self {
            h,
            token: r.token.clone(),
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = reqwest::Client::new()
            .request(method, format!("{}{path}", self.h.url))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }
}

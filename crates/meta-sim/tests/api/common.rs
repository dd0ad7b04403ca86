//! Shared set-up: a running simulator with one WABA and two numbers, a business token for
//! it, and an HTTP client that does not follow redirects.

use omni_meta_sim::{MetaSim, SeedNumber, SeedWaba, SimConfig, SimHandle, TokenSeed};
use serde_json::Value;

pub const WABA: &str = "102290129340398";
pub const BUSINESS: &str = "2729063490586005";
pub const NUMBER: &str = "106540352242922";
pub const NUMBER_2: &str = "106540352242923";
pub const CUSTOMER: &str = "+92 300 5556677";
pub const CUSTOMER_WA_ID: &str = "923005556677";
/// The simulator's default app secret, which signs its webhooks.
pub const APP_SECRET: &[u8] = b"sim-app-secret";

pub struct Env {
    pub sim: MetaSim,
    pub h: SimHandle,
    pub http: reqwest::Client,
    /// `http://127.0.0.1:PORT/v25.0`
    pub graph: String,
    pub token: String,
}

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub async fn env() -> Env {
    env_with(SimConfig::default()).await
}

pub async fn env_with(config: SimConfig) -> Env {
    let sim = MetaSim::start(config).await.expect("start sim");
    let h = sim.handle();
    h.seed_waba(
        SeedWaba::new(WABA, BUSINESS)
            .number(SeedNumber::new(NUMBER, "+92 300 1112233").verified_name("Lucky Shoes"))
            .number(SeedNumber::new(NUMBER_2, "+92 300 1112234").registered(false)),
    );
    let token = h.issue_token(TokenSeed::business(&[WABA]));
    let graph = format!("{}/v25.0", sim.base_url());
    Env {
        sim,
        h,
        http: client(),
        graph,
        token,
    }
}

impl Env {
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}/{path}", self.graph))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("send");
        read(resp).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}/{path}", self.graph))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("send");
        read(resp).await
    }

    pub async fn send(&self, body: &Value) -> (u16, Value) {
        self.post_json(&format!("{NUMBER}/messages"), body).await
    }
}

pub async fn read(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let body = resp.json::<Value>().await.expect("json body");
    (status, body)
}

/// `error.code` of a Graph error body.
pub fn code(body: &Value) -> i64 {
    body["error"]["code"].as_i64().unwrap_or(-1)
}

pub fn text(to: &str, body: &str) -> Value {
    serde_json::json!({
        "messaging_product": "whatsapp", "recipient_type": "individual",
        "to": to, "type": "text", "text": { "body": body }
    })
}

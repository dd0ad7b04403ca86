//! The Meta adapter against the Meta simulator over real HTTP: every port method, and every
//! error mapping the core acts on, produced by the simulator the way Meta produces it.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on unexpected errors"
)]

mod accounts;
mod faults;
mod media;
mod messages;
mod oauth;
mod scripted;
mod templates;

use std::time::Duration;

use omni_domain::{PhoneNumberId, WabaId};
use omni_meta_graph::{GraphConfig, MetaGraphClient};
use omni_meta_sim::{MetaSim, SeedNumber, SeedWaba, SimConfig, SimHandle, TokenSeed};
use omni_ports::meta::{MediaInfo, MetaGraphPort, OutboundMessage, SentMessage};
use secrecy::SecretString;

pub const WABA: &str = "102290129340398";
pub const BUSINESS: &str = "2729063490586005";
pub const NUMBER: &str = "106540352242922";
pub const CUSTOMER: &str = "923001234567";

/// A running simulator with one WABA and number, a business token for it, and the adapter
/// pointed at the simulator.
#[expect(missing_debug_implementations, reason = "test fixture")]
pub struct Fixture {
    pub sim: MetaSim,
    pub sim_handle: SimHandle,
    pub client: MetaGraphClient,
    pub token: SecretString,
    pub token_text: String,
}

impl Fixture {
    pub async fn new() -> Self {
        Self::with(SimConfig::default(), |c| c).await
    }

    pub async fn with(config: SimConfig, tweak: impl FnOnce(GraphConfig) -> GraphConfig) -> Self {
        let app_id = config.app_id.clone();
        let app_secret = config.app_secret.clone();
        let sim = MetaSim::start(config).await.unwrap();
        let handle = sim.handle();
        handle.seed_waba(
            SeedWaba::new(WABA, BUSINESS).number(
                SeedNumber::new(NUMBER, "+92 300 1112233")
                    .verified_name("Lucky Burgers")
                    .registered(true),
            ),
        );
        let token_text = handle.issue_token(TokenSeed::business(&[WABA]));
        let mut graph =
            GraphConfig::new(app_id, SecretString::from(app_secret)).with_base_url(&sim.base_url());
        graph.timeout = Duration::from_secs(5);
        let client = MetaGraphClient::new(tweak(graph)).unwrap();
        Self {
            sim_handle: handle,
            sim,
            client,
            token: SecretString::from(token_text.clone()),
            token_text,
        }
    }

    /// Sends `message` from the fixture's number with its token.
    pub async fn send(
        &self,
        message: &OutboundMessage,
    ) -> Result<SentMessage, omni_ports::GraphError> {
        self.client
            .send_message(&self.token, &Self::number(), message)
            .await
    }

    /// Sends `message`, which must fail.
    pub async fn send_err(&self, message: &OutboundMessage) -> omni_ports::GraphError {
        self.send(message).await.expect_err("the send must fail")
    }

    /// Downloads `info` with the fixture's token, which must fail.
    pub async fn download_err(&self, info: &MediaInfo, max_bytes: u64) -> omni_ports::GraphError {
        self.client
            .download_media(&self.token, info, max_bytes)
            .await
            .expect_err("the download must fail")
    }

    pub fn number() -> PhoneNumberId {
        PhoneNumberId::parse(NUMBER).unwrap()
    }

    pub fn waba() -> WabaId {
        WabaId::parse(WABA).unwrap()
    }

    /// No request carried the token anywhere but the `Authorization` header, except
    /// `debug_token`'s `input_token`, which Meta only takes in the query.
    pub fn assert_token_only_in_headers(&self) {
        for r in self.sim_handle.requests() {
            if r.path.ends_with("/debug_token") {
                continue;
            }
            assert!(
                !r.query.contains(&self.token_text) && !r.path.contains(&self.token_text),
                "token in URL of {} {}",
                r.method,
                r.path
            );
            assert!(
                r.access_token_param.is_none(),
                "access_token param in {r:?}"
            );
        }
    }
}

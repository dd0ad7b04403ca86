//! The pipeline and agent suites' view of [`TestApp`]: the service with its workers running
//! and the simulator's webhooks aimed at it; stores, and numbers connected without OAuth.

use std::ops::{Deref, DerefMut};

use omni_domain::{Store, WhatsappAccount};
use omni_meta_sim::{MetaSim, SeedNumber, SeedWaba, SimConfig, TokenSeed};

pub use super::Backend as Engine;
use super::{BUSINESS, TestApp, TestAppBuilder, VERIFY_TOKEN};
pub use super::{eventually, signed};

/// A running service with its pipeline.
pub struct Harness(TestApp);

impl Deref for Harness {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.0
    }
}

impl DerefMut for Harness {
    fn deref_mut(&mut self) -> &mut TestApp {
        &mut self.0
    }
}

/// A connected number and the token the simulator issued for it.
pub struct Number {
    pub account: WhatsappAccount,
    pub token: String,
}

impl Harness {
    /// `None` when Postgres is wanted but unreachable outside CI.
    pub async fn start(engine: Engine) -> Option<Self> {
        Self::start_with(engine, SimConfig::default(), &[]).await
    }

    /// With a simulator configuration and extra settings. With `WHATSAPP_PHONE_ID` among
    /// them, the legacy number exists at Meta and `WHATSAPP_TOKEN` is a token issued for it.
    pub async fn start_with(
        engine: Engine,
        sim_config: SimConfig,
        extra_env: &[(&str, &str)],
    ) -> Option<Self> {
        Self::builder(engine, sim_config, extra_env)
            .await
            .spawn()
            .await
            .map(Self)
    }

    /// As [`Self::start`], with adapters replaced before the services are built (see
    /// [`TestAppBuilder::ports`]).
    pub async fn start_with_ports(
        engine: Engine,
        change: impl FnOnce(&mut super::Ports) + 'static,
    ) -> Option<Self> {
        Self::builder(engine, SimConfig::default(), &[])
            .await
            .ports(change)
            .spawn()
            .await
            .map(Self)
    }

    /// A harness in the legacy single-number configuration: one store exists before the
    /// pipeline starts, so the legacy number routes to it.
    pub async fn start_legacy(phone_id: &str) -> Option<Self> {
        let extra = [("WHATSAPP_PHONE_ID", phone_id)];
        let builder = Self::builder(Engine::Postgres, SimConfig::default(), &extra).await;
        let mut h = Self(builder.spawn_without_pipeline().await?);
        h.store("Legacy Store", None).await;
        h.start_pipeline().await;
        Some(h)
    }

    /// The builder of both: the workers on, the verify token set; with `WHATSAPP_PHONE_ID`
    /// in `extra_env`, the legacy number exists at Meta and `WHATSAPP_TOKEN` is a token
    /// issued for it.
    async fn builder(
        engine: Engine,
        sim_config: SimConfig,
        extra_env: &[(&str, &str)],
    ) -> TestAppBuilder {
        let sim = MetaSim::start(sim_config)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut builder = TestApp::builder()
            .backend(engine)
            .env("WHATSAPP_WEBHOOK_VERIFY_TOKEN", VERIFY_TOKEN)
            .envs(super::PIPELINE_ENV)
            .envs(extra_env)
            .pipeline();
        if let Some((_, pnid)) = extra_env.iter().find(|(k, _)| *k == "WHATSAPP_PHONE_ID") {
            let waba = "102290129340777";
            sim.handle().seed_waba(
                SeedWaba::new(waba, BUSINESS)
                    .number(SeedNumber::new(*pnid, "+923009998877").registered(true)),
            );
            let token = sim.handle().issue_token(TokenSeed::business(&[waba]));
            builder = builder.env("WHATSAPP_TOKEN", &token);
        }
        builder.started_sim(sim)
    }

    /// A store with its tenant database, and `auto_reply` set when given.
    pub async fn store(&self, name: &str, auto_reply: Option<&str>) -> Store {
        self.owner_with_store(name, auto_reply).await.1
    }

    /// A connected, active number of `store`, known to the simulator with its own token.
    pub async fn number(
        &self,
        store: &Store,
        waba: &str,
        phone_number_id: &str,
        phone: &str,
    ) -> Number {
        let (account, token) = self
            .connect_number(
                store,
                waba,
                phone_number_id,
                phone,
                TokenSeed::business(&[waba]),
            )
            .await;
        Number { account, token }
    }

    /// Stops everything and drops the databases.
    pub async fn stop(self) {
        self.0.stop().await;
    }
}

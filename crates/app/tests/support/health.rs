//! The account health suites' view of [`TestApp`]: the service with its workers (the
//! scheduler off: jobs run when a test says so), optionally on a clock the test moves;
//! owners logged in, numbers with chosen tokens.

use std::ops::{Deref, DerefMut};

use chrono::Utc;
use omni_domain::{
    Email, PhoneNumber, PhoneNumberId, Store, StoreKind, StoreName, WabaId, WhatsappAccount,
};
use omni_meta_sim::{SeedNumber, SeedWaba, TokenSeed};
use secrecy::SecretString;

pub use super::Backend as Engine;
use super::{BUSINESS, TestApp, VERIFY_TOKEN};
pub use super::{PASSWORD, eventually};

/// The WABA the suites' numbers belong to.
pub const WABA_A: &str = "102290129340398";

/// A running service for the account health tests.
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

/// A store and its owner's session.
pub struct Owner {
    pub email: String,
    pub store: Store,
    pub token: String,
}

impl Harness {
    /// `None` when Postgres is wanted but unreachable outside CI. With `manual_clock` the
    /// service (every use case and worker) runs on a clock the test moves.
    pub async fn start(
        engine: Engine,
        extra_env: &[(&str, &str)],
        manual_clock: bool,
    ) -> Option<Self> {
        let mut builder = TestApp::builder()
            .backend(engine)
            .env("APP_URL", "https://omni.example.pk")
            .env("WHATSAPP_WEBHOOK_VERIFY_TOKEN", VERIFY_TOKEN)
            // Jobs run when a test says so (`Health::run_job`); the scheduler has its own test.
            .env("OMNI_HEALTH__SCHEDULER_ENABLED", "false")
            .envs(super::PIPELINE_ENV)
            .envs(extra_env)
            .pipeline();
        if manual_clock {
            builder = builder.manual_clock();
        }
        builder.spawn().await.map(Self)
    }

    /// An owner with a store (auto-reply set when given), logged in.
    pub async fn owner(&self, name: &str, auto_reply: Option<&str>) -> Owner {
        let email = format!("{}@example.pk", uuid::Uuid::new_v4().simple());
        let owner = self
            .registry
            .create_owner(
                Email::parse(&email).unwrap(),
                &SecretString::from(PASSWORD.to_owned()),
                None,
            )
            .await
            .unwrap();
        let store = self
            .registry
            .create_store(
                owner.id,
                StoreName::parse(name).unwrap(),
                StoreKind::Restaurant,
            )
            .await
            .unwrap();
        if let Some(text) = auto_reply {
            self.state
                .services
                .ports
                .tenants
                .set_auto_reply(store.id, Some(text), Utc::now())
                .await
                .unwrap();
        }
        let token = self.login(&email, PASSWORD).await;
        Owner {
            email,
            store,
            token,
        }
    }

    /// A connected, active number of `store`, known to the simulator, with a token minted
    /// from `seed` (default: a never-expiring business token for the WABA).
    pub async fn number(
        &self,
        store: &Store,
        phone_number_id: &str,
        phone: &str,
        seed: Option<TokenSeed>,
    ) -> (WhatsappAccount, String) {
        let waba = WABA_A;
        let sim = self.sim();
        if sim.waba_of(phone_number_id).is_none() {
            let n = SeedNumber::new(phone_number_id, phone).registered(true);
            if !sim.add_number(waba, n.clone()) {
                sim.seed_waba(SeedWaba::new(waba, BUSINESS).number(n));
            }
        }
        let token = sim.issue_token(seed.unwrap_or_else(|| TokenSeed::business(&[waba])));
        let ports = &self.state.services.ports;
        let account = omni_usecases::sealed_account(
            ports.cipher.as_ref(),
            store.id,
            PhoneNumber::parse(phone).unwrap(),
            PhoneNumberId::parse(phone_number_id).unwrap(),
            WabaId::parse(waba).unwrap(),
            &SecretString::from(token.clone()),
            Utc::now(),
        )
        .unwrap();
        ports.central.insert_account(&account).await.unwrap();
        (account, token)
    }

    /// The account as stored now.
    pub async fn account(&self, a: &WhatsappAccount) -> WhatsappAccount {
        self.state
            .services
            .ports
            .central
            .find_account(a.store_id, a.id)
            .await
            .unwrap()
            .unwrap()
    }

    /// Stops everything and drops the databases.
    pub async fn stop(self) {
        self.0.stop().await;
    }
}

//! The account health suites' view of [`TestApp`]: the service with its workers (the
//! scheduler off: jobs run when a test says so), optionally on a clock the test moves;
//! owners logged in, numbers with chosen tokens.

use std::ops::{Deref, DerefMut};

use omni_domain::{Store, WhatsappAccount};
use omni_meta_sim::TokenSeed;

pub use super::Backend as Engine;
pub use super::{PASSWORD, eventually};
use super::{TestApp, VERIFY_TOKEN};

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
        let (email, store) = self.owner_with_store(name, auto_reply).await;
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
        let seed = seed.unwrap_or_else(|| TokenSeed::business(&[WABA_A]));
        self.connect_number(store, WABA_A, phone_number_id, phone, seed)
            .await
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

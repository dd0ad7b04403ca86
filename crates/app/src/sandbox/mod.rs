//! Sandbox mode: `omniportal serve` without a Meta app (META_APP_ID unset) runs the Meta
//! simulator inside the process, at [`PREFIX`] on the service's own listener, and points the
//! Graph adapter, the OAuth dialog, the webhook sender and the speech service at it. A demo
//! owner and restaurant are created on first start and their login is printed in the log. The
//! owner page then shows a customer panel (`crate::http::sandbox`) that plays a customer through the real,
//! signed `/api/webhooks/whatsapp`.
//!
//! Why in-process and on the same listener: the README's one command must give a newcomer the
//! whole journey in a browser (connect a number through the consent screen, order, pay,
//! approve), and everything the service does still crosses real HTTP and the real webhook
//! signature check, exactly as with Meta.
//!
//! The simulator keeps nothing on disk. What the service stored (accounts and their sealed
//! tokens) survives a restart, so [`Sandbox::seed`] gives the stored tokens back to the new
//! simulator; customers' 24-hour windows start closed again.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use omni_domain::{Email, PaymentMethodKind, StoreId, StoreKind, StoreName, WhatsappAccount};
use omni_meta_sim::{SeedNumber, SeedWaba, SimConfig, SimHandle, TestUser, TokenSeed};
use omni_usecases::{MenuItemInput, PaymentMethodInput};
use ring::rand::SecureRandom as _;
use secrecy::{ExposeSecret, SecretString};

use crate::settings::Settings;
use crate::startup::Services;

/// Where the simulator is mounted.
pub const PREFIX: &str = "/_sandbox/meta";
/// The simulated Meta app.
pub const APP_ID: &str = "700000000000001";
/// The simulated WhatsApp Business Account the consent screen grants.
pub const WABA_ID: &str = "109000000000001";
const BUSINESS_ID: &str = "209000000000001";
/// Its numbers: (phone_number_id, display number, verified name).
pub const NUMBERS: [(&str, &str, &str); 2] = [
    ("119000000000001", "+92 321 0000001", "Karachi Grill"),
    (
        "119000000000002",
        "+92 321 0000002",
        "Karachi Grill Delivery",
    ),
];
/// The demo customer the panel plays by default.
pub const CUSTOMER_PHONE: &str = "+923001234567";
const CUSTOMER_NAME: &str = "Ayesha";
/// What the sample voice note says (the simulator's speech-to-text reads it back).
pub const SAMPLE_VOICE_TEXT: &str = "I want to order a zinger burger";
/// The sample payment screenshot (a JazzCash receipt for Rs 800).
pub const SAMPLE_SCREENSHOT: &[u8] = include_bytes!("../../assets/sandbox/payment-screenshot.png");
/// What every token the sandbox's simulator mints starts with: the Graph client sends it no
/// other (a real token in the same database is withheld; see `GraphConfig`).
pub const TOKEN_PREFIX: &str = "EAASANDBOX";
const LOGIN_FILE: &str = "sandbox-login.txt";
/// Customer messages kept for the panel (the oldest are dropped past this).
const LOG_CAP: usize = 2_000;

/// A demo menu item: name, category, price in rupees, variants (name, rupees).
type Dish = (
    &'static str,
    &'static str,
    i64,
    &'static [(&'static str, i64)],
);

/// A customer message the panel sent.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The store whose number it went to.
    pub store: StoreId,
    /// The business number.
    pub phone_number_id: String,
    /// The customer's digits (wa_id).
    pub from: String,
    /// Meta's id of the message.
    pub wamid: String,
    /// Simulated time.
    pub at: DateTime<Utc>,
    /// `text`, `audio`, `image`, `location`, `button_reply`, `list_reply`.
    pub kind: &'static str,
    /// What it said (text, the tapped title, the place, the caption).
    pub text: Option<String>,
}

/// The running sandbox: the simulator and the panel's log.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    sim: SimHandle,
    demo_email: String,
    login_file: PathBuf,
    sent: Mutex<Vec<Sent>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("demo_email", &self.inner.demo_email)
            .finish_non_exhaustive()
    }
}

fn random_hex(bytes: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; bytes];
    ring::rand::SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| anyhow::anyhow!("no system randomness"))?;
    Ok(hex::encode(buf))
}

impl Sandbox {
    /// When the settings want the sandbox ([`Settings::sandbox_wanted`]): starts the
    /// simulator's state and rewrites the Meta and speech settings to point at it. `local` is
    /// how this process reaches itself (`http://127.0.0.1:PORT`); the browser is sent to
    /// `app.url` when set, else to `local` too.
    ///
    /// # Errors
    /// Without system randomness (the simulated app secret is random per start).
    pub fn prepare(settings: &mut Settings, local: &str) -> anyhow::Result<Option<Self>> {
        if !settings.sandbox_wanted() {
            return Ok(None);
        }
        let local = local.trim_end_matches('/');
        let public = settings
            .app
            .url
            .clone()
            .unwrap_or_else(|| local.to_owned())
            .trim_end_matches('/')
            .to_owned();
        let secret = random_hex(32)?;
        let config = SimConfig {
            app_id: APP_ID.to_owned(),
            app_secret: secret.clone(),
            app_name: "OmniPortal Sandbox".to_owned(),
            test_user: TestUser {
                user_id: "309000000000001".to_owned(),
                name: "Sandbox Owner".to_owned(),
                business_id: BUSINESS_ID.to_owned(),
                waba_ids: vec![WABA_ID.to_owned()],
            },
            webhook_url: Some(format!("{local}/api/webhooks/whatsapp")),
            token_prefix: TOKEN_PREFIX.to_owned(),
            lock_webhook_target: true,
            ..SimConfig::default()
        };
        let sim = SimHandle::new(config);
        sim.set_public_base_url(format!("{local}{PREFIX}"));
        let mut waba = SeedWaba::new(WABA_ID, BUSINESS_ID);
        waba.name = "Karachi Grill".to_owned();
        for (id, display, name) in NUMBERS {
            waba = waba.number(
                SeedNumber::new(id, display)
                    .verified_name(name)
                    .messaging_limit(Some("TIER_1K")),
            );
        }
        sim.seed_waba(waba);

        let meta = &mut settings.meta;
        meta.app_id = Some(APP_ID.to_owned());
        meta.app_secret = Some(SecretString::from(secret));
        meta.previous_app_secrets = None;
        meta.redirect_uri = Some(format!("{public}/api/whatsapp/callback"));
        meta.graph_base_url = format!("{local}{PREFIX}");
        meta.dialog_base_url = format!("{public}{PREFIX}");
        // Embedded Signup's configuration: the simulator then grants never-expiring business
        // tokens, which survive a restart through `seed`.
        meta.config_id = Some("sandbox-config".to_owned());
        meta.sandbox_token_prefix = Some(TOKEN_PREFIX.to_owned());
        if settings.agent.speech_base_url.is_none() {
            settings.agent.speech_base_url = Some(format!("{local}{PREFIX}/v1"));
            settings.agent.speech_api_key = Some(SecretString::from(
                omni_meta_sim::openai::DEFAULT_API_KEY.to_owned(),
            ));
        }
        Ok(Some(Self {
            inner: Arc::new(Inner {
                sim,
                demo_email: settings.sandbox.demo_email.clone(),
                login_file: settings.database.data_dir.join(LOGIN_FILE),
                sent: Mutex::new(Vec::new()),
            }),
        }))
    }

    /// The simulator.
    #[must_use]
    pub fn sim(&self) -> &SimHandle {
        &self.inner.sim
    }

    /// The demo owner's email.
    #[must_use]
    pub fn demo_email(&self) -> &str {
        &self.inner.demo_email
    }

    /// Creates the demo owner and restaurant on first start, gives the stored tokens back to
    /// the simulator, and logs the login.
    ///
    /// # Errors
    /// Storage; a demo email that is not an email.
    pub async fn seed(&self, services: &Services, login_url: &str) -> anyhow::Result<()> {
        let email = Email::parse(&self.inner.demo_email)
            .map_err(|e| anyhow::anyhow!("sandbox.demo_email: {e}"))?;
        let password = match services.ports.central.find_owner_by_email(&email).await? {
            Some(_) => read_password(&self.inner.login_file),
            None => Some(self.create_demo(services, email.clone()).await?),
        };
        let restored = self.restore_tokens(services).await?;
        match password {
            Some(password) => tracing::warn!(
                email = %email,
                restored_numbers = restored,
                "SANDBOX MODE: no Meta app is configured, so Meta is simulated inside this process \
                 and nothing reaches real WhatsApp. Open {login_url} and log in as {email} with \
                 password {password} (also in {})",
                self.inner.login_file.display()
            ),
            None => tracing::warn!(
                email = %email,
                "SANDBOX MODE: Meta is simulated inside this process. The demo owner {email} \
                 exists but {} is gone, so its password is unknown here",
                self.inner.login_file.display()
            ),
        }
        Ok(())
    }

    async fn create_demo(&self, services: &Services, email: Email) -> anyhow::Result<String> {
        let password = random_hex(8)?;
        let owner = services
            .registry
            .create_owner(email, &SecretString::from(password.clone()), None)
            .await?;
        let name = StoreName::parse("Karachi Grill").map_err(|e| anyhow::anyhow!("{e}"))?;
        let store = services
            .registry
            .create_store(owner.id, name, StoreKind::Restaurant)
            .await?;
        let menu: [Dish; 6] = [
            ("Zinger Burger", "Burgers", 650, &[]),
            ("Beef Burger", "Burgers", 750, &[]),
            (
                "Chicken Tikka Pizza",
                "Pizza",
                1_200,
                &[("Small", 900), ("Large", 1_600)],
            ),
            ("Fries", "Sides", 250, &[]),
            ("Chicken Biryani", "Rice", 550, &[]),
            ("Cold Drink", "Drinks", 150, &[]),
        ];
        for (name, category, rupees, variants) in menu {
            services
                .commerce
                .add_menu_item(
                    store.id,
                    &MenuItemInput {
                        name: name.to_owned(),
                        description: None,
                        category: Some(category.to_owned()),
                        price_paisa: rupees * 100,
                        variants: variants
                            .iter()
                            .map(|(v, r)| ((*v).to_owned(), r * 100))
                            .collect(),
                        available: true,
                    },
                )
                .await?;
        }
        let methods = [
            (PaymentMethodKind::CashOnDelivery, "Cash on delivery", ""),
            (
                PaymentMethodKind::JazzCash,
                "JazzCash",
                "0300 1234567 (Karachi Grill)",
            ),
            (
                PaymentMethodKind::BankTransfer,
                "Bank transfer",
                "PK36SCBL0000001123456702 (Meezan Bank, Karachi Grill)",
            ),
        ];
        for (kind, label, details) in methods {
            services
                .commerce
                .add_payment_method(
                    store.id,
                    &PaymentMethodInput {
                        kind,
                        label: label.to_owned(),
                        details: details.to_owned(),
                        instructions: None,
                        active: true,
                    },
                )
                .await?;
        }
        services
            .commerce
            .set_settings(store.id, 150 * 100, 500 * 100, false, None)
            .await?;
        write_login(&self.inner.login_file, &self.inner.demo_email, &password)?;
        tracing::info!(store = %store.id, "sandbox: demo owner and restaurant created");
        Ok(password)
    }

    /// Re-registers, in the fresh simulator, the tokens stored for the sandbox's numbers.
    async fn restore_tokens(&self, services: &Services) -> anyhow::Result<usize> {
        let mut restored = 0;
        for store in services.ports.central.list_stores().await? {
            for account in services.ports.central.list_accounts(store.id).await? {
                if account.waba_id.as_str() != WABA_ID {
                    continue;
                }
                match open_token(services, &account) {
                    // Only what this sandbox minted goes back (a token added by hand, say with
                    // `account add`, stays out of the simulator).
                    Ok(token) if !token.expose_secret().starts_with(TOKEN_PREFIX) => {}
                    Ok(token) => {
                        self.inner
                            .sim
                            .restore_token(token.expose_secret(), TokenSeed::business(&[WABA_ID]));
                        restored += 1;
                    }
                    Err(e) => tracing::warn!(account = %account.id, error = %e,
                        "sandbox: a stored token could not be opened"),
                }
            }
        }
        Ok(restored)
    }

    /// Keeps what the panel sent.
    pub fn record(&self, sent: Sent) {
        let mut log = self
            .inner
            .sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if log.len() >= LOG_CAP {
            log.drain(..LOG_CAP / 10);
        }
        log.push(sent);
    }

    /// What the panel sent from `from` to these numbers of `store`.
    #[must_use]
    pub fn sent_by(&self, store: StoreId, from: &str) -> Vec<Sent> {
        self.inner
            .sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|s| s.store == store && s.from == from)
            .cloned()
            .collect()
    }

    /// The demo customer.
    #[must_use]
    pub fn customer() -> (&'static str, &'static str) {
        (CUSTOMER_PHONE, CUSTOMER_NAME)
    }
}

fn open_token(
    services: &Services,
    account: &WhatsappAccount,
) -> Result<SecretString, omni_ports::CipherError> {
    services.ports.cipher.open(
        &account.access_token,
        &omni_ports::secret_aad(account.id, omni_ports::ACCESS_TOKEN_FIELD),
    )
}

fn read_password(file: &Path) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("password: "))
        .map(str::to_owned)
}

fn write_login(file: &Path, email: &str, password: &str) -> anyhow::Result<()> {
    let text = format!(
        "# The sandbox's demo owner (created by `omniportal serve` without a Meta app).\n\
         email: {email}\npassword: {password}\n"
    );
    std::fs::write(file, text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

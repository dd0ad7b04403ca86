//! How a simulator instance is set up: which app it pretends to be, who logs in through its
//! OAuth dialog, and how long its short-lived artefacts live. Defaults match what tests need
//! without ceremony, so most callers only override one or two fields.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::webhook::RetrySchedule;

/// The WhatsApp permissions a business token normally carries.
pub const WHATSAPP_SCOPES: [&str; 2] = [
    "whatsapp_business_management",
    "whatsapp_business_messaging",
];

/// Settings of one simulator instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimConfig {
    /// Graph API version segment served, e.g. `v25.0`.
    pub graph_version: String,
    /// The Meta app id (`client_id`).
    pub app_id: String,
    /// The app secret (client secret, webhook signing key, `appsecret_proof` key).
    pub app_secret: String,
    /// The app's display name (`debug_token.application`, `subscribed_apps`).
    pub app_name: String,
    /// Registered OAuth redirect URIs; empty accepts any.
    pub redirect_uris: Vec<String>,
    /// Who "logs in" through the simulated OAuth dialog.
    pub test_user: TestUser,
    /// How long an OAuth `code` stays exchangeable (simulated time).
    pub code_ttl: Duration,
    /// How long a media download URL stays valid (simulated time).
    pub media_url_ttl: Duration,
    /// Whether Graph calls with a business token must carry `appsecret_proof`.
    pub require_appsecret_proof: bool,
    /// The product's webhook callback URL. When set, accepted sends produce status webhooks
    /// (see `auto_statuses`) and `/_sim/webhooks/*` deliver there by default.
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// Whether accepted sends produce `sent` / `delivered` (/ `read`) webhooks when
    /// `webhook_url` is set.
    #[serde(default = "yes")]
    pub auto_statuses: bool,
    /// Real-time wait between the `sent` and the `delivered` webhook of a send.
    #[serde(default = "default_delivered_delay")]
    pub delivered_delay: Duration,
    /// Real-time wait between `delivered` and `read`; `None` sends no `read`.
    #[serde(default)]
    pub read_delay: Option<Duration>,
    /// Redelivery schedule of the webhooks the simulator sends on its own.
    #[serde(default)]
    pub webhook_retry: RetrySchedule,
    /// Meta's pair rate limit (meta-api.md §8.5): messages from one number to one user may
    /// burst up to this many, then one per `pair_rate_interval` (131056 beyond). 0 turns the
    /// limit off.
    #[serde(default = "default_pair_burst")]
    pub pair_rate_burst: u32,
    /// How often one message of the pair budget comes back (Meta: 6 seconds).
    #[serde(default = "default_pair_interval")]
    pub pair_rate_interval: Duration,
    /// What every minted access token starts with (Meta's start with `EAA`). The product's
    /// sandbox uses its own prefix, so its Graph client can tell the simulator's tokens from
    /// real ones and never sends a real one here.
    #[serde(default = "default_token_prefix")]
    pub token_prefix: String,
    /// Deliver webhooks only to `webhook_url`: the control API's `url` overrides and target
    /// changes are refused (403), so an exposed simulator cannot be made to POST signed bodies
    /// elsewhere.
    #[serde(default)]
    pub lock_webhook_target: bool,
}

fn default_token_prefix() -> String {
    "EAA".to_owned()
}

const fn default_pair_burst() -> u32 {
    45
}

const fn default_pair_interval() -> Duration {
    Duration::from_secs(6)
}

const fn yes() -> bool {
    true
}

const fn default_delivered_delay() -> Duration {
    Duration::from_millis(500)
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            graph_version: "v25.0".to_owned(),
            app_id: "1234567890".to_owned(),
            app_secret: "sim-app-secret".to_owned(),
            app_name: "OmniPortal Sim".to_owned(),
            redirect_uris: Vec::new(),
            test_user: TestUser::default(),
            code_ttl: Duration::from_secs(600),
            media_url_ttl: Duration::from_secs(300),
            require_appsecret_proof: false,
            webhook_url: None,
            auto_statuses: true,
            delivered_delay: default_delivered_delay(),
            read_delay: None,
            pair_rate_burst: default_pair_burst(),
            pair_rate_interval: default_pair_interval(),
            webhook_retry: RetrySchedule::default(),
            token_prefix: default_token_prefix(),
            lock_webhook_target: false,
        }
    }
}

/// The person (and business portfolio) behind the simulated login.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestUser {
    /// Meta user id (`debug_token.user_id`, `/me.id`).
    pub user_id: String,
    /// Display name shown on the consent page.
    pub name: String,
    /// The business portfolio (`/me?fields=client_business_id`).
    pub business_id: String,
    /// The WABAs the user grants through the dialog.
    pub waba_ids: Vec<String>,
}

impl Default for TestUser {
    fn default() -> Self {
        Self {
            user_id: "500000000000005".to_owned(),
            name: "Sim Tester".to_owned(),
            business_id: "2729063490586005".to_owned(),
            waba_ids: vec!["102290129340398".to_owned()],
        }
    }
}

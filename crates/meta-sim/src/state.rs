//! The simulator's world: WABAs, numbers, tokens, OAuth codes, windows, media, templates,
//! faults and the logs tests inspect. One mutex guards it all; handlers lock, mutate and
//! unlock without awaiting, so the state is always consistent and never held across I/O.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};

use crate::config::SimConfig;
use crate::delivery_log::WebhookLog;
use crate::fault::FaultRule;
use crate::model::{
    ReadReceipt, RequestRecord, SeedNumber, SeedTemplate, SentRecord, Subscription,
};
use crate::util::push_capped;

/// Everything the simulator knows.
#[derive(Debug)]
pub(crate) struct SimState {
    pub config: SimConfig,
    /// Base URL of the sim as clients reach it (no trailing slash).
    pub public_base_url: String,
    /// Simulated time = real now + offset.
    pub clock_offset: chrono::Duration,
    pub wabas: BTreeMap<String, Waba>,
    pub numbers: HashMap<String, Number>,
    pub tokens: HashMap<String, Token>,
    pub dialogs: HashMap<String, Dialog>,
    pub codes: HashMap<String, Code>,
    /// (phone_number_id, recipient key) → when the customer last wrote.
    pub windows: HashMap<(String, String), DateTime<Utc>>,
    pub undeliverable: HashSet<String>,
    pub sent: VecDeque<SentRecord>,
    pub receipts: VecDeque<ReadReceipt>,
    pub requests: VecDeque<RequestRecord>,
    pub media: HashMap<String, Media>,
    /// Opaque download token → (media id, expiry).
    pub media_urls: HashMap<String, (String, DateTime<Utc>)>,
    pub faults: Vec<FaultRule>,
    /// Webhooks the simulator sent on its own, and their HTTP client.
    pub webhooks: WebhookLog,
    /// The OpenAI-compatible endpoints' script, transcripts, key and log.
    pub openai: crate::openai::OpenAiState,
    next_id: u64,
}

/// A WhatsApp Business Account.
#[derive(Debug, Clone)]
pub(crate) struct Waba {
    pub id: String,
    pub business_id: String,
    pub name: String,
    /// Numbers in listing order.
    pub number_ids: Vec<String>,
    pub templates: Vec<Template>,
    pub subscriptions: Vec<Subscription>,
}

/// A business phone number.
#[derive(Debug, Clone)]
pub(crate) struct Number {
    pub seed: SeedNumber,
    pub waba_id: String,
    /// Register / deregister attempts (for the 10 per 72 h budget).
    pub registrations: Vec<DateTime<Utc>>,
    /// Accepted sends in the last second (throughput).
    pub recent_sends: VecDeque<DateTime<Utc>>,
    /// Pair rate budget per recipient: tokens left and when they were counted.
    pub pair_budget: HashMap<String, (f64, DateTime<Utc>)>,
}

/// A stored template.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    pub id: String,
    pub seed: SeedTemplate,
}

/// An access token.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub kind: String,
    pub scopes: Vec<String>,
    pub waba_ids: Vec<String>,
    pub user_id: String,
    pub business_id: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

/// An OAuth dialog waiting for the user's decision.
#[derive(Debug, Clone)]
pub(crate) struct Dialog {
    pub redirect_uri: String,
    pub state: Option<String>,
    pub grant: Grant,
}

/// What a dialog grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Grant {
    /// `config_id`: a never-expiring business (system user) token.
    Config(String),
    /// `scope`: a short-lived user token with these scopes.
    Scopes(Vec<String>),
}

/// An issued OAuth code.
#[derive(Debug, Clone)]
pub(crate) struct Code {
    pub redirect_uri: String,
    pub grant: Grant,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
}

/// A media object.
#[derive(Debug, Clone)]
pub(crate) struct Media {
    pub phone_number_id: String,
    pub bytes: Vec<u8>,
    pub mime_type: String,
    pub sha256: String,
}

/// Whether a token is usable now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenState {
    Valid,
    Expired,
    Revoked,
}

impl Token {
    pub(crate) fn state(&self, now: DateTime<Utc>) -> TokenState {
        if self.revoked {
            TokenState::Revoked
        } else if self.expires_at.is_some_and(|e| e <= now) {
            TokenState::Expired
        } else {
            TokenState::Valid
        }
    }

    pub(crate) fn covers(&self, waba_id: &str) -> bool {
        self.waba_ids.iter().any(|w| w == waba_id)
    }

    pub(crate) fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

impl SimState {
    pub(crate) fn new(config: SimConfig) -> Self {
        Self {
            config,
            public_base_url: String::new(),
            clock_offset: chrono::Duration::zero(),
            wabas: BTreeMap::new(),
            numbers: HashMap::new(),
            tokens: HashMap::new(),
            dialogs: HashMap::new(),
            codes: HashMap::new(),
            windows: HashMap::new(),
            undeliverable: HashSet::new(),
            sent: VecDeque::new(),
            receipts: VecDeque::new(),
            requests: VecDeque::new(),
            media: HashMap::new(),
            media_urls: HashMap::new(),
            faults: Vec::new(),
            webhooks: WebhookLog::default(),
            openai: crate::openai::OpenAiState::default(),
            next_id: 0,
        }
    }

    /// Simulated now.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
    }

    /// A fresh numeric id (media, templates), shaped like Meta's 15-16 digit ids.
    pub(crate) fn next_numeric_id(&mut self) -> String {
        self.next_id += 1;
        (1_037_543_291_540_000_u64 + self.next_id * 7).to_string()
    }

    /// The app token in its literal form.
    pub(crate) fn app_token(&self) -> String {
        format!("{}|{}", self.config.app_id, self.config.app_secret)
    }

    /// Stores a new token and returns its value.
    pub(crate) fn mint_token(&mut self, token: Token) -> String {
        let value = format!(
            "{}{}",
            self.config.token_prefix,
            crate::util::random_alnum(120)
        );
        self.tokens.insert(value.clone(), token);
        value
    }

    /// Whether a customer service window is open for (number, recipient).
    pub(crate) fn window_open(&self, phone_number_id: &str, recipient_key: &str) -> bool {
        let key = (phone_number_id.to_owned(), recipient_key.to_owned());
        self.windows
            .get(&key)
            .is_some_and(|at| self.now() < *at + chrono::Duration::hours(24))
    }

    pub(crate) fn log_request(&mut self, record: RequestRecord) {
        push_capped(&mut self.requests, record);
    }
}

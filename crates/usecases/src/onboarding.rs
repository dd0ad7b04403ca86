//! Connecting WhatsApp numbers through Meta: the OAuth dialog (signed, single-use `state`)
//! and Embedded Signup both end in [`Onboarding::connect`], which trusts nothing from the
//! browser: the token's own `debug_token` grants say which WABAs it covers, the numbers are
//! listed with that token, and browser-supplied ids are only accepted when they are among them.
//!
//! The `state` sent to Meta is `base64url(payload) "." base64url(HMAC-SHA256(payload))` with
//! `payload = nonce (32 bytes) ‖ owner id (16) ‖ store id (16) ‖ expiry (i64 BE seconds)`. The
//! MAC is checked before anything else; the nonce's hash is then consumed in the database in
//! one conditional update bound to the same owner and store, so a state is good once.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use omni_domain::{
    AccountId, AccountStatus, Owner, OwnerId, PhoneNumber, PhoneNumberId, Store, StoreId, WabaId,
    WhatsappAccount,
};
use omni_ports::meta::{
    OAuthDialogRequest, OutboundContent, OutboundMessage, PhoneNumberInfo, Recipient,
};
use omni_ports::{
    CentralRepo, Clock, GraphError, GraphErrorKind, MetaGraphPort, OAuthState, OwnerAuthRepo,
    RepoError, SecretTokens, StateConsumption, TokenCipher, secret_aad,
};
use secrecy::SecretString;
use serde_json::json;
use uuid::Uuid;

use crate::accounts::{ACCESS_TOKEN_FIELD, apply_number_info};

/// Bytes of randomness in a state nonce (256 bits).
const NONCE_BYTES: usize = 32;
const PAYLOAD_LEN: usize = NONCE_BYTES + 16 + 16 + 8;

/// The template every new WABA gets from Meta; used to verify a number when the owner's
/// 24-hour window is closed (free text would fail with 131047).
const FALLBACK_TEMPLATE: (&str, &str) = ("hello_world", "en_US");

/// Onboarding settings.
#[derive(Debug, Clone)]
pub struct OnboardingConfig {
    /// Our Meta app id (a token of another app is refused).
    pub app_id: Option<String>,
    /// META_REDIRECT_URI, used exactly in the dialog and the code exchange.
    pub redirect_uri: Option<String>,
    /// Embedded Signup / Login for Business configuration id.
    pub config_id: Option<String>,
    /// How long a state stays usable (10 minutes).
    pub state_ttl: Duration,
}

/// Why onboarding failed. [`OnboardingError::code`] is the stable code the owner sees.
#[derive(Debug, thiserror::Error)]
pub enum OnboardingError {
    /// No Meta app is configured.
    #[error("no Meta app is configured")]
    MetaNotConfigured,
    /// META_REDIRECT_URI is not configured.
    #[error("META_REDIRECT_URI is not configured")]
    RedirectUriMissing,
    /// Missing, malformed, forged, unknown or foreign state.
    #[error("the OAuth state is invalid")]
    StateInvalid,
    /// The state expired.
    #[error("the OAuth state has expired; start again")]
    StateExpired,
    /// The state was used before.
    #[error("the OAuth state was already used; start again")]
    StateUsed,
    /// The callback came to a browser other than the one that asked for the dialog URL
    /// (its binding cookie is missing or is another flow's).
    #[error("this connection was started in another browser; start again from the owner page")]
    BrowserMismatch,
    /// The owner denied or cancelled the Meta dialog.
    #[error("the Meta dialog was cancelled or permission was denied")]
    AccessDenied,
    /// The code could not be exchanged (missing, expired, used, wrong redirect URI).
    #[error("Meta did not accept the authorization code")]
    CodeExchange(#[source] Option<GraphError>),
    /// The token is invalid or belongs to another app.
    #[error("Meta reports the token as invalid")]
    TokenInvalid,
    /// The WhatsApp permissions were not granted.
    #[error("the WhatsApp permissions were not granted")]
    PermissionsMissing,
    /// The token covers no WABA, or the WABAs have no numbers.
    #[error("no WhatsApp Business account or number was shared")]
    NoWhatsappAssets,
    /// A browser-supplied WABA or number id is not among what the token can see.
    #[error("the WhatsApp account or number was not granted to this app")]
    AssetNotGranted,
    /// Every number is already connected to another store.
    #[error("the number is already connected to another store")]
    NumberTaken,
    /// Meta failed in a way a retry may fix.
    #[error("Meta is unavailable")]
    MetaUnavailable(#[source] GraphError),
    /// Meta refused for another reason.
    #[error("Meta refused the request")]
    Meta(#[source] GraphError),
    /// A secret could not be made or sealed.
    #[error("a secret could not be made or sealed")]
    Secret,
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

impl OnboardingError {
    /// The stable snake_case code for the owner frontend.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::MetaNotConfigured => "meta_not_configured",
            Self::RedirectUriMissing => "redirect_uri_not_configured",
            Self::StateInvalid => "state_invalid",
            Self::StateExpired => "state_expired",
            Self::StateUsed => "state_used",
            Self::BrowserMismatch => "browser_mismatch",
            Self::AccessDenied => "access_denied",
            Self::CodeExchange(_) => "code_exchange_failed",
            Self::TokenInvalid => "token_invalid",
            Self::PermissionsMissing => "permissions_missing",
            Self::NoWhatsappAssets => "no_whatsapp_assets",
            Self::AssetNotGranted => "asset_not_granted",
            Self::NumberTaken => "number_taken",
            Self::MetaUnavailable(_) => "meta_unavailable",
            Self::Meta(_) => "meta_error",
            Self::Secret | Self::Repo(_) => "internal",
        }
    }
}

fn meta_error(e: GraphError) -> OnboardingError {
    if e.kind.is_retryable() {
        OnboardingError::MetaUnavailable(e)
    } else {
        OnboardingError::Meta(e)
    }
}

/// What Meta's redirect to the callback carried.
#[derive(Debug, Clone, Default)]
pub struct CallbackParams {
    /// `state`.
    pub state: Option<String>,
    /// `code` (secret: never logged).
    pub code: Option<SecretString>,
    /// `error` (`access_denied` when the owner cancelled).
    pub error: Option<String>,
    /// The browser binding [`Onboarding::start`] gave the browser that started the flow (the
    /// HTTP side keeps it in a cookie); it must come back with the state.
    pub browser_binding: Option<String>,
}

/// A started OAuth flow.
#[derive(Debug, Clone)]
pub struct FlowStart {
    /// Meta's dialog URL, with the signed state.
    pub url: String,
    /// A secret only the starting browser gets (a cookie): the callback is refused without
    /// it, so a dialog link sent to somebody else cannot connect their numbers to this store.
    pub browser_binding: String,
}

/// The ids the Embedded Signup popup returned: hints, checked against the token's grants.
#[derive(Debug, Clone, Default)]
pub struct SignupHints {
    /// `waba_id`.
    pub waba_id: Option<String>,
    /// `phone_number_id`.
    pub phone_number_id: Option<String>,
}

/// What a connection did.
#[derive(Debug, Clone, Default)]
pub struct ConnectOutcome {
    /// The store.
    pub store_id: Option<StoreId>,
    /// Accounts connected (new) or reconnected (same store, token replaced).
    pub connected: Vec<WhatsappAccount>,
    /// Numbers refused because another store has them.
    pub taken: Vec<PhoneNumberId>,
    /// Numbers skipped because Meta's display number is not a valid phone number.
    pub invalid: Vec<PhoneNumberId>,
}

/// OAuth and Embedded Signup onboarding.
#[derive(Clone)]
pub struct Onboarding {
    central: Arc<dyn CentralRepo>,
    states: Arc<dyn OwnerAuthRepo>,
    tokens: Arc<dyn SecretTokens>,
    cipher: Arc<dyn TokenCipher>,
    graph: Option<Arc<dyn MetaGraphPort>>,
    clock: Arc<dyn Clock>,
    config: OnboardingConfig,
}

impl std::fmt::Debug for Onboarding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Onboarding")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What the browser binding signs: a label and the state's nonce.
fn binding_message(nonce: &[u8]) -> Vec<u8> {
    let mut m = b"oauth browser binding\0".to_vec();
    m.extend_from_slice(nonce);
    m
}

/// A verified state's claims.
struct StateClaims {
    nonce: Vec<u8>,
    owner: OwnerId,
    store: StoreId,
    expires_at: DateTime<Utc>,
}

impl Onboarding {
    /// Wires the service.
    #[must_use]
    pub fn new(
        central: Arc<dyn CentralRepo>,
        states: Arc<dyn OwnerAuthRepo>,
        tokens: Arc<dyn SecretTokens>,
        cipher: Arc<dyn TokenCipher>,
        graph: Option<Arc<dyn MetaGraphPort>>,
        clock: Arc<dyn Clock>,
        config: OnboardingConfig,
    ) -> Self {
        Self {
            central,
            states,
            tokens,
            cipher,
            graph,
            clock,
            config,
        }
    }

    /// How long a state stays usable.
    #[must_use]
    pub fn state_ttl(&self) -> Duration {
        self.config.state_ttl
    }

    fn graph(&self) -> Result<&Arc<dyn MetaGraphPort>, OnboardingError> {
        self.graph
            .as_ref()
            .ok_or(OnboardingError::MetaNotConfigured)
    }

    /// Starts the OAuth flow for an owner's store: stores a fresh state and returns Meta's
    /// dialog URL and the browser binding.
    ///
    /// # Errors
    /// `MetaNotConfigured`, `RedirectUriMissing`, storage failure.
    #[tracing::instrument(skip_all, fields(owner = %owner.id, store = %store.id))]
    pub async fn start(&self, owner: &Owner, store: &Store) -> Result<FlowStart, OnboardingError> {
        let graph = self.graph()?;
        let redirect_uri = self
            .config
            .redirect_uri
            .clone()
            .ok_or(OnboardingError::RedirectUriMissing)?;
        let nonce = self
            .tokens
            .random_bytes(NONCE_BYTES)
            .map_err(|_| OnboardingError::Secret)?;
        let now = self.clock.now();
        let expires_at = now
            + chrono::Duration::from_std(self.config.state_ttl)
                .unwrap_or_else(|_| chrono::Duration::minutes(10));
        let state = self.sign_state(&nonce, owner.id, store.id, expires_at);
        self.states
            .insert_oauth_state(&OAuthState {
                nonce_hash: self.tokens.digest_hex(&nonce),
                owner_id: owner.id,
                store_id: store.id,
                created_at: now,
                expires_at,
            })
            .await?;
        Ok(FlowStart {
            url: graph.oauth_dialog_url(&OAuthDialogRequest {
                redirect_uri,
                state,
                config_id: self.config.config_id.clone(),
            }),
            browser_binding: URL_SAFE_NO_PAD.encode(self.tokens.sign(&binding_message(&nonce))),
        })
    }

    /// The state string for these claims (public so tests can forge validly signed states
    /// for attacks that must be stopped by the database, not the signature).
    #[must_use]
    pub fn sign_state(
        &self,
        nonce: &[u8],
        owner: OwnerId,
        store: StoreId,
        expires_at: DateTime<Utc>,
    ) -> String {
        let mut payload = Vec::with_capacity(PAYLOAD_LEN);
        payload.extend_from_slice(nonce);
        payload.extend_from_slice(owner.as_uuid().as_bytes());
        payload.extend_from_slice(store.as_uuid().as_bytes());
        payload.extend_from_slice(&expires_at.timestamp().to_be_bytes());
        let tag = self.tokens.sign(&payload);
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    fn verify_state(&self, state: &str) -> Result<StateClaims, OnboardingError> {
        let bad = || OnboardingError::StateInvalid;
        if state.len() > 512 {
            return Err(bad());
        }
        let (payload, tag) = state.split_once('.').ok_or_else(bad)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| bad())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| bad())?;
        if payload.len() != PAYLOAD_LEN || !self.tokens.verify(&payload, &tag) {
            return Err(bad());
        }
        let (nonce, rest) = payload.split_at(NONCE_BYTES);
        let (owner, rest) = rest.split_at(16);
        let (store, exp) = rest.split_at(16);
        let exp = i64::from_be_bytes(exp.try_into().map_err(|_| bad())?);
        Ok(StateClaims {
            nonce: nonce.to_vec(),
            owner: OwnerId::from_uuid(Uuid::from_slice(owner).map_err(|_| bad())?),
            store: StoreId::from_uuid(Uuid::from_slice(store).map_err(|_| bad())?),
            expires_at: DateTime::from_timestamp(exp, 0).ok_or_else(bad)?,
        })
    }

    /// Finishes the OAuth dialog: checks and consumes the state before anything else, then
    /// (unless the owner cancelled) connects what the code grants to the state's store.
    ///
    /// # Errors
    /// Every [`OnboardingError`]; nothing is stored on any state error or denial.
    #[tracing::instrument(skip_all)]
    pub async fn callback(
        &self,
        params: CallbackParams,
    ) -> Result<ConnectOutcome, OnboardingError> {
        let state = params
            .state
            .as_deref()
            .ok_or(OnboardingError::StateInvalid)?;
        let claims = self.verify_state(state)?;
        let now = self.clock.now();
        if claims.expires_at <= now {
            return Err(OnboardingError::StateExpired);
        }
        let bound = params
            .browser_binding
            .as_deref()
            .filter(|b| b.len() <= 128)
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .is_some_and(|tag| self.tokens.verify(&binding_message(&claims.nonce), &tag));
        if !bound {
            // Checked before the state is consumed: the owner's own browser can still finish.
            return Err(OnboardingError::BrowserMismatch);
        }
        let consumed = self
            .states
            .consume_oauth_state(
                &self.tokens.digest_hex(&claims.nonce),
                claims.owner,
                claims.store,
                now,
            )
            .await?;
        match consumed {
            StateConsumption::Consumed => {}
            StateConsumption::AlreadyUsed => return Err(OnboardingError::StateUsed),
            StateConsumption::Expired => return Err(OnboardingError::StateExpired),
            StateConsumption::Unknown => return Err(OnboardingError::StateInvalid),
        }
        if let Some(error) = &params.error {
            tracing::info!(error = %error, "owner denied or cancelled the Meta dialog");
            return Err(OnboardingError::AccessDenied);
        }
        let code = params.code.ok_or(OnboardingError::CodeExchange(None))?;
        let owner = self
            .central
            .find_owner(claims.owner)
            .await?
            .ok_or(OnboardingError::StateInvalid)?;
        let store = self
            .central
            .find_store(claims.store)
            .await?
            .filter(|s| s.owner_id == owner.id)
            .ok_or(OnboardingError::StateInvalid)?;
        let redirect_uri = self
            .config
            .redirect_uri
            .clone()
            .ok_or(OnboardingError::RedirectUriMissing)?;
        self.connect(
            &owner,
            &store,
            &code,
            Some(&redirect_uri),
            &SignupHints::default(),
        )
        .await
    }

    /// Embedded Signup: the popup's code (no redirect URI) and its ids as hints.
    ///
    /// # Errors
    /// Every [`OnboardingError`] but the state ones.
    #[tracing::instrument(skip_all, fields(owner = %owner.id, store = %store.id))]
    pub async fn embedded_signup(
        &self,
        owner: &Owner,
        store: &Store,
        code: &SecretString,
        hints: &SignupHints,
    ) -> Result<ConnectOutcome, OnboardingError> {
        self.connect(owner, store, code, None, hints).await
    }

    async fn connect(
        &self,
        owner: &Owner,
        store: &Store,
        code: &SecretString,
        redirect_uri: Option<&str>,
        hints: &SignupHints,
    ) -> Result<ConnectOutcome, OnboardingError> {
        let graph = self.graph()?.clone();
        let short = graph
            .exchange_code(secrecy::ExposeSecret::expose_secret(code), redirect_uri)
            .await
            .map_err(|e| match e.kind {
                k if k.is_retryable() => OnboardingError::MetaUnavailable(e),
                _ => OnboardingError::CodeExchange(Some(e)),
            })?;
        // A user token (it expires) is swapped for a long-lived one; a business token from
        // Embedded Signup never expires and is kept as it is.
        let token = if short.expires_in.is_some() {
            graph
                .exchange_long_lived(&short.token, false)
                .await
                .map_err(meta_error)?
                .token
        } else {
            short.token
        };
        let info = graph.debug_token(&token).await.map_err(meta_error)?;
        if !info.is_valid
            || self
                .config
                .app_id
                .as_deref()
                .is_some_and(|app| app != info.app_id)
        {
            return Err(OnboardingError::TokenInvalid);
        }
        if !info.has_whatsapp_scopes() {
            return Err(OnboardingError::PermissionsMissing);
        }
        let mut wabas = info.waba_ids();
        wabas.dedup();
        if let Some(hint) = &hints.waba_id {
            if !wabas.iter().any(|w| w == hint) {
                return Err(OnboardingError::AssetNotGranted);
            }
            wabas.retain(|w| w == hint);
        }
        if wabas.is_empty() {
            return Err(OnboardingError::NoWhatsappAssets);
        }
        let mut plan: Vec<(WabaId, Vec<PhoneNumberInfo>)> = Vec::new();
        for waba in wabas {
            let waba = WabaId::parse(&waba).map_err(|_| OnboardingError::NoWhatsappAssets)?;
            let mut numbers = graph
                .list_phone_numbers(&token, &waba)
                .await
                .map_err(meta_error)?;
            if let Some(hint) = &hints.phone_number_id {
                numbers.retain(|n| n.id.as_str() == hint);
            }
            plan.push((waba, numbers));
        }
        if hints.phone_number_id.is_some() && plan.iter().all(|(_, n)| n.is_empty()) {
            return Err(OnboardingError::AssetNotGranted);
        }
        let mut outcome = ConnectOutcome {
            store_id: Some(store.id),
            ..ConnectOutcome::default()
        };
        for (waba, numbers) in plan {
            let mut connectable = Vec::new();
            for number in numbers {
                match self
                    .central
                    .find_account_by_phone_number_id(&number.id)
                    .await?
                {
                    Some(a) if a.store_id != store.id => {
                        tracing::warn!(phone_number_id = %number.id, "number already connected to another store; refused");
                        outcome.taken.push(number.id.clone());
                    }
                    existing => connectable.push((number, existing)),
                }
            }
            if connectable.is_empty() {
                continue;
            }
            graph
                .subscribe_app(&token, &waba, None)
                .await
                .map_err(meta_error)?;
            for (number, existing) in connectable {
                match self
                    .store_number(owner, store, &waba, &number, existing, &token)
                    .await?
                {
                    Stored::Connected(account) => outcome.connected.push(*account),
                    Stored::Taken => outcome.taken.push(number.id.clone()),
                    Stored::Invalid => outcome.invalid.push(number.id.clone()),
                }
            }
        }
        if outcome.connected.is_empty() {
            return Err(if !outcome.taken.is_empty() {
                OnboardingError::NumberTaken
            } else {
                OnboardingError::NoWhatsappAssets
            });
        }
        tracing::info!(
            store = %store.id,
            connected = outcome.connected.len(),
            taken = outcome.taken.len(),
            "WhatsApp numbers connected"
        );
        Ok(outcome)
    }

    async fn store_number(
        &self,
        owner: &Owner,
        store: &Store,
        waba: &WabaId,
        number: &PhoneNumberInfo,
        existing: Option<WhatsappAccount>,
        token: &SecretString,
    ) -> Result<Stored, OnboardingError> {
        let Ok(phone) = PhoneNumber::parse(&number.display_phone_number) else {
            tracing::warn!(phone_number_id = %number.id, "Meta's display number is not a valid phone number; skipped");
            return Ok(Stored::Invalid);
        };
        let now = self.clock.now();
        let seal = |id: AccountId| {
            self.cipher
                .seal(token, &secret_aad(id, ACCESS_TOKEN_FIELD))
                .map_err(|_| OnboardingError::Secret)
        };
        let mut account = match existing {
            Some(mut account) => {
                account.access_token = seal(account.id)?;
                account.phone_number = phone;
                if matches!(
                    account.status,
                    AccountStatus::ReauthRequired | AccountStatus::Failed
                ) {
                    account.status = if account.is_verified() {
                        AccountStatus::Active
                    } else {
                        AccountStatus::Pending
                    };
                }
                apply_number_info(&mut account, number);
                account.updated_at = now;
                self.central.update_account(&account).await?;
                account
            }
            None => {
                let placeholder = omni_domain::SealedSecret::from_ciphertext(String::new());
                let mut account = WhatsappAccount::new(
                    store.id,
                    phone,
                    number.id.clone(),
                    waba.clone(),
                    placeholder,
                    now,
                );
                account.access_token = seal(account.id)?;
                apply_number_info(&mut account, number);
                match self.central.insert_account(&account).await {
                    Ok(()) => {}
                    Err(RepoError::Conflict { .. }) => return Ok(Stored::Taken),
                    Err(e) => return Err(e.into()),
                }
                account
            }
        };
        self.verify(owner, store, &mut account, number, token).await;
        self.central.update_account(&account).await?;
        Ok(Stored::Connected(Box::new(account)))
    }

    /// Marks the account verified when a message from it reaches the owner's own WhatsApp
    /// number (text, or Meta's `hello_world` template when the owner's 24-hour window is
    /// closed); for an owner without a WhatsApp number, when Meta reports the number
    /// connected and its code verified. A failure leaves the account pending, with the
    /// reason in `meta.verification_error`.
    async fn verify(
        &self,
        owner: &Owner,
        store: &Store,
        account: &mut WhatsappAccount,
        number: &PhoneNumberInfo,
        token: &SecretString,
    ) {
        let now = self.clock.now();
        let result: Result<serde_json::Value, String> = match (&owner.whatsapp_number, &self.graph)
        {
            (Some(to), Some(graph)) => {
                let text = OutboundMessage::text(
                    Recipient::Phone(to.as_str().to_owned()),
                    format!(
                        "OmniPortal: {} is now connected to {}. Customers can message this number.",
                        account.phone_number,
                        store.name.as_str()
                    ),
                );
                let sent = match graph
                    .send_message(token, &account.phone_number_id, &text)
                    .await
                {
                    Err(e) if e.kind == GraphErrorKind::OutsideWindow => {
                        let template = OutboundMessage {
                            content: OutboundContent::Template {
                                name: FALLBACK_TEMPLATE.0.to_owned(),
                                language: FALLBACK_TEMPLATE.1.to_owned(),
                                components: Vec::new(),
                            },
                            ..text
                        };
                        graph
                            .send_message(token, &account.phone_number_id, &template)
                            .await
                    }
                    other => other,
                };
                sent.map(|m| json!({ "method": "message", "wamid": m.wamid }))
                    .map_err(|e| e.kind.as_str().to_owned())
            }
            _ if number.is_connected()
                && number.code_verification_status.as_deref() != Some("NOT_VERIFIED")
                && number.code_verification_status.as_deref() != Some("EXPIRED") =>
            {
                Ok(json!({ "method": "meta_status" }))
            }
            _ => Err("number_not_connected".to_owned()),
        };
        if let serde_json::Value::Object(meta) = &mut account.meta {
            match result {
                Ok(how) => {
                    meta.remove("verification_error");
                    meta.insert("verification".to_owned(), how);
                    account.mark_verified(now);
                }
                Err(code) => {
                    tracing::warn!(phone_number_id = %account.phone_number_id, reason = %code, "number not verified");
                    meta.insert("verification_error".to_owned(), json!(code));
                }
            }
        }
    }
}

enum Stored {
    Connected(Box<WhatsappAccount>),
    Taken,
    Invalid,
}

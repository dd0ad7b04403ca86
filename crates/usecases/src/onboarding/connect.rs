//! Finishing a connection: the OAuth callback and Embedded Signup both end in `connect`,
//! which reads the token's own grants, lists the numbers with it and stores each.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use omni_domain::{Owner, PhoneNumberId, Store, StoreId, WabaId, WhatsappAccount};
use omni_ports::StateConsumption;
use omni_ports::meta::PhoneNumberInfo;
use secrecy::SecretString;

use super::number::Stored;
use super::service::{Onboarding, OnboardingError, meta_error};
use super::state::binding_message;

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

impl Onboarding {
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

    pub(super) async fn connect(
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
}

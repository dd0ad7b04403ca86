//! The signed, single-use OAuth `state` and the browser binding: starting a flow, signing a
//! state, and checking one (the MAC first, then the expiry).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use omni_domain::{Owner, OwnerId, Store, StoreId};
use omni_ports::OAuthState;
use omni_ports::meta::OAuthDialogRequest;
use uuid::Uuid;

use super::service::{NONCE_BYTES, Onboarding, OnboardingError, PAYLOAD_LEN};

/// A started OAuth flow.
#[derive(Debug, Clone)]
pub struct FlowStart {
    /// Meta's dialog URL, with the signed state.
    pub url: String,
    /// A secret only the starting browser gets (a cookie): the callback is refused without
    /// it, so a dialog link sent to somebody else cannot connect their numbers to this store.
    pub browser_binding: String,
}

/// What the browser binding signs: a label and the state's nonce.
pub(super) fn binding_message(nonce: &[u8]) -> Vec<u8> {
    let mut m = b"oauth browser binding\0".to_vec();
    m.extend_from_slice(nonce);
    m
}

/// A verified state's claims.
pub(super) struct StateClaims {
    pub(super) nonce: Vec<u8>,
    pub(super) owner: OwnerId,
    pub(super) store: StoreId,
    pub(super) expires_at: DateTime<Utc>,
}

impl Onboarding {
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

    pub(super) fn verify_state(&self, state: &str) -> Result<StateClaims, OnboardingError> {
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
}

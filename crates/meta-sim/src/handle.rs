//! `SimHandle`: the test-side remote control of a running simulator. Seeds the world, mints
//! tokens, moves the clock, opens windows, injects faults and reads back what the code under
//! test did. Cheap to clone; every method takes the lock briefly and never across an await.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::SimConfig;
use crate::fault::FaultRule;
use crate::model::{
    MediaMeta, ReadReceipt, RequestRecord, SeedNumber, SeedTemplate, SeedWaba, SentRecord,
    Subscription, TokenSeed,
};
use crate::state::{Media, Number, SimState, Template, Token, Waba};
use crate::util;

/// Shared handle on a simulator's state.
#[derive(Clone)]
pub struct SimHandle {
    inner: Arc<Mutex<SimState>>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("public_base_url", &self.public_base_url())
            .finish_non_exhaustive()
    }
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl SimHandle {
    /// A fresh simulator state (no server yet; see [`crate::configure`]).
    #[must_use]
    pub fn new(config: SimConfig) -> Self {
        Self {
            inner: Arc::new(Mutex::new(SimState::new(config))),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, SimState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // --- configuration ---------------------------------------------------------------------

    /// The configuration in effect.
    #[must_use]
    pub fn config(&self) -> SimConfig {
        self.lock().config.clone()
    }

    /// The app secret (webhook signatures, `appsecret_proof`).
    #[must_use]
    pub fn app_secret(&self) -> String {
        self.lock().config.app_secret.clone()
    }

    /// The app id.
    #[must_use]
    pub fn app_id(&self) -> String {
        self.lock().config.app_id.clone()
    }

    /// The app token (`{app_id}|{app_secret}`), as `debug_token` wants it.
    #[must_use]
    pub fn app_token(&self) -> String {
        self.lock().app_token()
    }

    /// Requires (or stops requiring) `appsecret_proof` on business-token calls.
    pub fn set_require_appsecret_proof(&self, required: bool) {
        self.lock().config.require_appsecret_proof = required;
    }

    /// Base URL clients use to reach the sim, used in the URLs it generates (media downloads,
    /// paging links). Set this when mounting the sim under a prefix in another app.
    pub fn set_public_base_url(&self, url: impl Into<String>) {
        self.lock().public_base_url = url.into().trim_end_matches('/').to_owned();
    }

    /// See [`Self::set_public_base_url`].
    #[must_use]
    pub fn public_base_url(&self) -> String {
        self.lock().public_base_url.clone()
    }

    // --- clock -----------------------------------------------------------------------------

    /// Simulated now (real time plus every [`Self::advance_clock`]).
    #[must_use]
    pub fn now(&self) -> DateTime<Utc> {
        self.lock().now()
    }

    /// Moves simulated time forward: codes, tokens, windows and media URLs age.
    pub fn advance_clock(&self, by: Duration) {
        let mut st = self.lock();
        st.clock_offset += chrono_duration(by);
    }

    // --- seeding ---------------------------------------------------------------------------

    /// Creates (or replaces) a WABA and its numbers.
    pub fn seed_waba(&self, seed: SeedWaba) {
        let mut st = self.lock();
        let previous = st.wabas.remove(&seed.waba_id);
        let mut waba = Waba {
            id: seed.waba_id.clone(),
            business_id: seed.business_id,
            name: seed.name,
            number_ids: Vec::new(),
            templates: previous
                .as_ref()
                .map(|w| w.templates.clone())
                .unwrap_or_default(),
            subscriptions: previous.map(|w| w.subscriptions).unwrap_or_default(),
        };
        for n in seed.numbers {
            waba.number_ids.push(n.id.clone());
            st.numbers.insert(
                n.id.clone(),
                Number {
                    seed: n,
                    waba_id: seed.waba_id.clone(),
                    registrations: Vec::new(),
                    recent_sends: Default::default(),
                    pair_budget: Default::default(),
                },
            );
        }
        st.wabas.insert(seed.waba_id, waba);
    }

    /// Adds a number to an existing WABA; `false` when the WABA is unknown.
    pub fn add_number(&self, waba_id: &str, number: SeedNumber) -> bool {
        let mut st = self.lock();
        let Some(waba) = st.wabas.get_mut(waba_id) else {
            return false;
        };
        if !waba.number_ids.contains(&number.id) {
            waba.number_ids.push(number.id.clone());
        }
        st.numbers.insert(
            number.id.clone(),
            Number {
                seed: number,
                waba_id: waba_id.to_owned(),
                registrations: Vec::new(),
                recent_sends: Default::default(),
                pair_budget: Default::default(),
            },
        );
        true
    }

    /// A number as stored now.
    #[must_use]
    pub fn number(&self, phone_number_id: &str) -> Option<SeedNumber> {
        self.lock()
            .numbers
            .get(phone_number_id)
            .map(|n| n.seed.clone())
    }

    /// The WABA a number belongs to.
    #[must_use]
    pub fn waba_of(&self, phone_number_id: &str) -> Option<String> {
        self.lock()
            .numbers
            .get(phone_number_id)
            .map(|n| n.waba_id.clone())
    }

    /// Changes a stored number in place; `false` when unknown.
    pub fn update_number(&self, phone_number_id: &str, f: impl FnOnce(&mut SeedNumber)) -> bool {
        let mut st = self.lock();
        match st.numbers.get_mut(phone_number_id) {
            Some(n) => {
                f(&mut n.seed);
                true
            }
            None => false,
        }
    }

    /// Sets `quality_rating`.
    pub fn set_quality(&self, phone_number_id: &str, rating: &str) -> bool {
        self.update_number(phone_number_id, |n| n.quality_rating = rating.to_owned())
    }

    /// Sets the portfolio messaging limit (`None` omits it).
    pub fn set_messaging_limit(&self, phone_number_id: &str, limit: Option<&str>) -> bool {
        self.update_number(phone_number_id, |n| {
            n.messaging_limit = limit.map(str::to_owned)
        })
    }

    /// Sets `status`.
    pub fn set_status(&self, phone_number_id: &str, status: &str) -> bool {
        self.update_number(phone_number_id, |n| n.status = status.to_owned())
    }

    /// Sets whether the number is registered.
    pub fn set_registered(&self, phone_number_id: &str, registered: bool) -> bool {
        self.update_number(phone_number_id, |n| n.registered = registered)
    }

    /// Sets the number's health verdict and info lines.
    pub fn set_can_send(&self, phone_number_id: &str, can_send: &str, info: Vec<String>) -> bool {
        self.update_number(phone_number_id, |n| {
            n.can_send = can_send.to_owned();
            n.health_info = info;
        })
    }

    // --- tokens ----------------------------------------------------------------------------

    /// Mints a token directly, as if an OAuth exchange had happened.
    pub fn issue_token(&self, seed: TokenSeed) -> String {
        self.mint(seed, None)
    }

    /// Makes `value` a valid token again with `seed`'s grants: for a simulator that restarts
    /// while its client keeps the tokens it was given (the product's sandbox re-registers its
    /// stored tokens at start-up, since the simulator keeps nothing on disk).
    pub fn restore_token(&self, value: &str, seed: TokenSeed) {
        self.mint(seed, Some(value.to_owned()));
    }

    fn mint(&self, seed: TokenSeed, value: Option<String>) -> String {
        let mut st = self.lock();
        let now = st.now();
        let business_id = seed.business_id.unwrap_or_else(|| {
            seed.waba_ids
                .first()
                .and_then(|w| st.wabas.get(w))
                .map_or_else(
                    || st.config.test_user.business_id.clone(),
                    |w| w.business_id.clone(),
                )
        });
        let token = Token {
            kind: seed.kind,
            scopes: seed.scopes,
            waba_ids: seed.waba_ids,
            user_id: seed
                .user_id
                .unwrap_or_else(|| st.config.test_user.user_id.clone()),
            business_id,
            issued_at: now,
            expires_at: seed.expires_in.map(|d| now + chrono_duration(d)),
            revoked: false,
        };
        match value {
            Some(value) => {
                st.tokens.insert(value.clone(), token);
                value
            }
            None => st.mint_token(token),
        }
    }

    /// Makes a token expired now; `false` when unknown.
    pub fn expire_token(&self, token: &str) -> bool {
        let mut st = self.lock();
        let past = st.now() - chrono::Duration::seconds(1);
        st.tokens
            .get_mut(token)
            .map(|t| t.expires_at = Some(past))
            .is_some()
    }

    /// Revokes a token (error 190 subcode 467 afterwards); `false` when unknown.
    pub fn revoke_token(&self, token: &str) -> bool {
        self.lock()
            .tokens
            .get_mut(token)
            .map(|t| t.revoked = true)
            .is_some()
    }

    /// How many tokens exist.
    #[must_use]
    pub fn token_count(&self) -> usize {
        self.lock().tokens.len()
    }

    // --- customers -------------------------------------------------------------------------

    /// The customer `wa_id` (phone digits or BSUID) wrote to the number now: a 24-hour
    /// customer service window opens (or restarts).
    pub fn open_window(&self, phone_number_id: &str, wa_id: &str) {
        let mut st = self.lock();
        let now = st.now();
        st.windows.insert(
            (phone_number_id.to_owned(), util::recipient_key(wa_id)),
            now,
        );
    }

    /// Closes the customer service window.
    pub fn close_window(&self, phone_number_id: &str, wa_id: &str) {
        self.lock()
            .windows
            .remove(&(phone_number_id.to_owned(), util::recipient_key(wa_id)));
    }

    /// Whether the window is open now.
    #[must_use]
    pub fn window_open(&self, phone_number_id: &str, wa_id: &str) -> bool {
        self.lock()
            .window_open(phone_number_id, &util::recipient_key(wa_id))
    }

    /// Sends to this customer fail with 131026 from now on.
    pub fn mark_undeliverable(&self, wa_id: &str) {
        self.lock().undeliverable.insert(util::recipient_key(wa_id));
    }

    // --- inspection ------------------------------------------------------------------------

    /// Messages accepted so far (oldest first).
    #[must_use]
    pub fn sent_messages(&self) -> Vec<SentRecord> {
        self.lock().sent.iter().cloned().collect()
    }

    /// Read receipts accepted so far.
    #[must_use]
    pub fn read_receipts(&self) -> Vec<ReadReceipt> {
        self.lock().receipts.iter().cloned().collect()
    }

    /// Forgets sent messages and read receipts.
    pub fn clear_sent(&self) {
        let mut st = self.lock();
        st.sent.clear();
        st.receipts.clear();
    }

    /// Every request received (Graph, dialog, media downloads), oldest first.
    #[must_use]
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.lock().requests.iter().cloned().collect()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// The apps subscribed to a WABA.
    #[must_use]
    pub fn subscribed_apps(&self, waba_id: &str) -> Vec<Subscription> {
        self.lock()
            .wabas
            .get(waba_id)
            .map(|w| w.subscriptions.clone())
            .unwrap_or_default()
    }

    // --- media -----------------------------------------------------------------------------

    /// Stores media as if a customer had sent it to the number; returns its media id.
    pub fn put_media(&self, phone_number_id: &str, bytes: Vec<u8>, mime_type: &str) -> String {
        let mut st = self.lock();
        let id = st.next_numeric_id();
        let sha256 = util::sha256_b64(&bytes);
        st.media.insert(
            id.clone(),
            Media {
                phone_number_id: phone_number_id.to_owned(),
                bytes,
                mime_type: mime_type.to_owned(),
                sha256,
            },
        );
        id
    }

    /// The bytes of a media object.
    #[must_use]
    pub fn media_bytes(&self, media_id: &str) -> Option<Vec<u8>> {
        self.lock().media.get(media_id).map(|m| m.bytes.clone())
    }

    /// What is known about a media object (for webhook payloads).
    #[must_use]
    pub fn media_meta(&self, media_id: &str) -> Option<MediaMeta> {
        self.lock().media.get(media_id).map(|m| MediaMeta {
            id: media_id.to_owned(),
            phone_number_id: m.phone_number_id.clone(),
            mime_type: m.mime_type.clone(),
            sha256: m.sha256.clone(),
            file_size: u64::try_from(m.bytes.len()).unwrap_or(u64::MAX),
        })
    }

    // --- templates -------------------------------------------------------------------------

    /// Stores a template on a WABA (replacing one with the same name and language); returns
    /// its id, or `None` when the WABA is unknown.
    pub fn seed_template(&self, waba_id: &str, template: SeedTemplate) -> Option<String> {
        let mut st = self.lock();
        let id = st.next_numeric_id();
        let waba = st.wabas.get_mut(waba_id)?;
        waba.templates
            .retain(|t| !(t.seed.name == template.name && t.seed.language == template.language));
        waba.templates.push(Template {
            id: id.clone(),
            seed: template,
        });
        Some(id)
    }

    /// Changes a template's status (e.g. approve a created one); `false` when unknown.
    pub fn set_template_status(
        &self,
        waba_id: &str,
        name: &str,
        language: &str,
        status: &str,
    ) -> bool {
        let mut st = self.lock();
        let Some(waba) = st.wabas.get_mut(waba_id) else {
            return false;
        };
        waba.templates
            .iter_mut()
            .find(|t| t.seed.name == name && t.seed.language == language)
            .map(|t| t.seed.status = status.to_owned())
            .is_some()
    }

    /// The templates of a WABA.
    #[must_use]
    pub fn templates(&self, waba_id: &str) -> Vec<SeedTemplate> {
        self.lock()
            .wabas
            .get(waba_id)
            .map(|w| w.templates.iter().map(|t| t.seed.clone()).collect())
            .unwrap_or_default()
    }

    // --- faults ----------------------------------------------------------------------------

    /// Adds a fault rule (rules are tried in insertion order).
    pub fn inject_fault(&self, rule: FaultRule) {
        self.lock().faults.push(rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// The fault rules still active.
    #[must_use]
    pub fn faults(&self) -> Vec<FaultRule> {
        self.lock().faults.clone()
    }
}

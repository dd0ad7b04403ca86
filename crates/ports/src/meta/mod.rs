//! Meta's WhatsApp Cloud API (Graph API) as the core needs it: OAuth onboarding, the numbers of
//! a WABA, webhook subscriptions, registration, sending, media, templates. One adapter talks to
//! graph.facebook.com (or the simulator, which serves the same paths); tests swap in others.
//!
//! The adapter never retries by itself: every failure is a [`GraphError`] whose kind says
//! whether retrying can help and how long to wait, so retries are the caller's decision (the
//! outbox owns them). Tokens are passed per call: one process serves many stores, each with its
//! own business token.

mod error;
mod types;
pub mod webhook;

use async_trait::async_trait;
use omni_domain::{PhoneNumberId, WabaId};
use secrecy::SecretString;

pub use error::{GraphError, GraphErrorKind, MetaErrorBody};
pub use types::*;

/// The Graph API.
///
/// Every method errs with a [`GraphError`]; the `# Errors` notes name the kinds a caller
/// should expect to handle specially beyond the common ones (`TokenInvalid`, rate limits,
/// `Temporary`, `Timeout`, `Transport`).
#[async_trait]
pub trait MetaGraphPort: Send + Sync {
    // --- OAuth ------------------------------------------------------------------------------

    /// The Facebook Login dialog URL for this app: `client_id`, `redirect_uri`, `state`,
    /// `response_type=code`, and either `config_id` (Embedded Signup) or the two WhatsApp scopes.
    fn oauth_dialog_url(&self, request: &OAuthDialogRequest) -> String;

    /// Exchanges an OAuth `code` for a token. `redirect_uri` must be exactly the dialog's; the
    /// Embedded Signup JS flow passes `None`.
    ///
    /// # Errors
    /// `InvalidParameter` for an unknown, used or expired code.
    async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: Option<&str>,
    ) -> Result<AccessToken, GraphError>;

    /// Exchanges a token for a long-lived one (`grant_type=fb_exchange_token`). With
    /// `system_user_60_days`, asks for a fresh 60-day system-user token
    /// (`set_token_expires_in_60_days=true`).
    ///
    /// # Errors
    /// `TokenInvalid` when the token has already expired: the owner must log in again.
    async fn exchange_long_lived(
        &self,
        token: &SecretString,
        system_user_60_days: bool,
    ) -> Result<AccessToken, GraphError>;

    /// `debug_token` with the app token: validity, expiry, scopes, WABA ids.
    ///
    /// # Errors
    /// Only for the call itself; an invalid token is `Ok` with `is_valid == false`.
    async fn debug_token(&self, token: &SecretString) -> Result<TokenInfo, GraphError>;

    // --- Accounts ---------------------------------------------------------------------------

    /// Every phone number of a WABA (follows paging).
    ///
    /// # Errors
    /// `PermissionDenied` when the token does not cover the WABA.
    async fn list_phone_numbers(
        &self,
        token: &SecretString,
        waba: &WabaId,
    ) -> Result<Vec<PhoneNumberInfo>, GraphError>;

    /// One phone number, with quality, limits, throughput, statuses and health.
    ///
    /// # Errors
    /// `InvalidParameter` for an unknown id.
    async fn get_phone_number(
        &self,
        token: &SecretString,
        id: &PhoneNumberId,
    ) -> Result<PhoneNumberInfo, GraphError>;

    /// Subscribes this app to a WABA's webhooks, optionally with a callback override.
    /// Re-subscribing without an override removes an existing one.
    ///
    /// # Errors
    /// `PermissionDenied`.
    async fn subscribe_app(
        &self,
        token: &SecretString,
        waba: &WabaId,
        callback_override: Option<&CallbackOverride>,
    ) -> Result<(), GraphError>;

    /// The apps subscribed to a WABA.
    ///
    /// # Errors
    /// `PermissionDenied`.
    async fn subscribed_apps(
        &self,
        token: &SecretString,
        waba: &WabaId,
    ) -> Result<Vec<SubscribedApp>, GraphError>;

    /// Unsubscribes this app from a WABA: no more webhooks from it.
    ///
    /// # Errors
    /// `PermissionDenied`.
    async fn unsubscribe_app(&self, token: &SecretString, waba: &WabaId) -> Result<(), GraphError>;

    /// Registers a number with the Cloud API using its 6-digit two-step PIN.
    ///
    /// # Errors
    /// `Registration` (wrong PIN, too many attempts, not verified).
    async fn register_number(
        &self,
        token: &SecretString,
        id: &PhoneNumberId,
        pin: &SecretString,
    ) -> Result<(), GraphError>;

    /// Deregisters a number.
    ///
    /// # Errors
    /// `Registration`.
    async fn deregister_number(
        &self,
        token: &SecretString,
        id: &PhoneNumberId,
    ) -> Result<(), GraphError>;

    // --- Messages ---------------------------------------------------------------------------

    /// Sends a message from `from`; returns its wamid.
    ///
    /// # Errors
    /// `OutsideWindow`, `ThroughputLimited`, `PairRateLimited`, `Undeliverable`, `SpamLimited`,
    /// `Template`, `NotRegistered`, `Media`, `InvalidParameter`. `Timeout` and `Transport` are
    /// ambiguous: the message may have been sent.
    async fn send_message(
        &self,
        token: &SecretString,
        from: &PhoneNumberId,
        message: &OutboundMessage,
    ) -> Result<SentMessage, GraphError>;

    /// Marks an inbound message (and the ones before it) read, optionally showing a typing
    /// indicator for up to 25 seconds. Cosmetic: callers should not fail a reply on it.
    ///
    /// # Errors
    /// `InvalidParameter` for an unknown or too old wamid.
    async fn mark_read(
        &self,
        token: &SecretString,
        from: &PhoneNumberId,
        wamid: &str,
        typing_indicator: bool,
    ) -> Result<(), GraphError>;

    // --- Media ------------------------------------------------------------------------------

    /// Looks up a media id: a short-lived URL, MIME type, checksum, size. With
    /// `phone_number_id`, Meta refuses media of another number.
    ///
    /// # Errors
    /// `InvalidParameter` for an unknown or expired id.
    async fn media_info(
        &self,
        token: &SecretString,
        media_id: &str,
        phone_number_id: Option<&PhoneNumberId>,
    ) -> Result<MediaInfo, GraphError>;

    /// Downloads media from `info.url` with the bearer token, streaming and stopping at
    /// `max_bytes`, then checks Meta's SHA-256 and size. The token is sent only to Meta's
    /// media hosts (or the configured simulator).
    ///
    /// # Errors
    /// `MediaRejected` for a foreign host, too many bytes or a checksum mismatch;
    /// `InvalidParameter` when the URL expired (look the id up again).
    async fn download_media(
        &self,
        token: &SecretString,
        info: &MediaInfo,
        max_bytes: u64,
    ) -> Result<DownloadedMedia, GraphError>;

    /// Uploads bytes for `from` to send later by id (kept 30 days by Meta).
    ///
    /// # Errors
    /// `Media` for an unsupported type or size.
    async fn upload_media(
        &self,
        token: &SecretString,
        from: &PhoneNumberId,
        upload: &MediaUpload,
    ) -> Result<String, GraphError>;

    // --- Templates --------------------------------------------------------------------------

    /// Every message template of a WABA (follows paging).
    ///
    /// # Errors
    /// `PermissionDenied`.
    async fn list_templates(
        &self,
        token: &SecretString,
        waba: &WabaId,
    ) -> Result<Vec<MessageTemplate>, GraphError>;

    /// Submits a template for review.
    ///
    /// # Errors
    /// `Template` or `InvalidParameter` when Meta refuses it.
    async fn create_template(
        &self,
        token: &SecretString,
        waba: &WabaId,
        template: &NewTemplate,
    ) -> Result<CreatedTemplate, GraphError>;

    /// Deletes a template by name (every language), or one language's version when `id` is
    /// given too.
    ///
    /// # Errors
    /// `InvalidParameter` for an unknown template.
    async fn delete_template(
        &self,
        token: &SecretString,
        waba: &WabaId,
        name: &str,
        id: Option<&str>,
    ) -> Result<(), GraphError>;
}

//! HTTP bodies of the owner API, kept apart from the domain types (which never derive
//! `ToSchema`): what goes over the wire is chosen here, field by field, so an access token
//! can never ride along by accident.

use omni_domain::{Store, WhatsappAccount};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every error: a stable code, a message, and the request id that finds it in the logs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code, e.g. `not_found`, `invalid_credentials`, `state_invalid`.
    pub error: String,
    /// Human-readable explanation (never internal detail on a 5xx).
    pub message: String,
    /// The request id (also in the `x-request-id` header).
    pub request_id: String,
}

/// `POST /api/owner/login` body.
#[derive(Deserialize, ToSchema)]
pub struct LoginBody {
    /// Login email.
    pub email: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for LoginBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginBody")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// A store of the owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreSummary {
    /// Store id (pass as `?store_id=` to act on a store other than the oldest).
    pub id: String,
    /// Name.
    pub name: String,
}

impl From<&Store> for StoreSummary {
    fn from(s: &Store) -> Self {
        Self {
            id: s.id.to_string(),
            name: s.name.as_str().to_owned(),
        }
    }
}

/// A successful login.
#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Opaque bearer token (256 random bits): `Authorization: Bearer <token>`.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// RFC 3339 expiry.
    pub expires_at: String,
    /// The owner's id.
    pub owner_id: String,
    /// The owner's email.
    pub email: String,
    /// The owner's stores, oldest first (the first is the default store of every request).
    pub stores: Vec<StoreSummary>,
}

impl std::fmt::Debug for LoginResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginResponse")
            .field("owner_id", &self.owner_id)
            .finish_non_exhaustive()
    }
}

/// A connected WhatsApp number, as the owner sees it. Never carries the token.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountResponse {
    /// Account id.
    pub id: String,
    /// Store id.
    pub store_id: String,
    /// The number, E.164 (`+923001112233`).
    pub phone_number: String,
    /// The number formatted for people (`+92 300 1112233`).
    pub formatted_phone: String,
    /// Meta's phone_number_id.
    pub phone_number_id: String,
    /// Meta's WABA id.
    pub waba_id: String,
    /// Verified name shown to customers.
    pub display_name: Option<String>,
    /// `pending`, `active`, `inactive`, `failed`, `reauth_required`.
    pub status: String,
    /// Whether this is the store's default number.
    pub is_default: bool,
    /// Meta's quality rating: `GREEN`, `YELLOW`, `RED`, `UNKNOWN`.
    pub quality_rating: String,
    /// `green`, `yellow`, `red`, `grey`.
    pub quality_color: String,
    /// Messaging limit tier in force (`TIER_2K`, ...), when known.
    pub messaging_limit: Option<String>,
    /// Unique users per 24 h the tier allows; `None` for unlimited or unknown.
    pub messaging_limit_daily_users: Option<u32>,
    /// Throughput level (`STANDARD`, `HIGH`, `NOT_APPLICABLE`), when known.
    pub throughput: Option<String>,
    /// Meta's status of the number (`CONNECTED`, `FLAGGED`, ...), when known.
    pub meta_status: Option<String>,
    /// Display name review status (`APPROVED`, `PENDING_REVIEW`, ...), when known.
    pub name_status: Option<String>,
    /// RFC 3339, when the number was verified.
    pub verified_at: Option<String>,
    /// RFC 3339, when the last webhook for the number arrived.
    pub last_webhook_at: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

fn pretty_phone(e164: &str) -> String {
    phonenumber::parse(None, e164).map_or_else(
        |_| e164.to_owned(),
        |p| {
            p.format()
                .mode(phonenumber::Mode::International)
                .to_string()
        },
    )
}

impl AccountResponse {
    /// The account as shown to its owner; `default` is the store's default account id.
    #[must_use]
    pub fn new(a: &WhatsappAccount, default: Option<omni_domain::AccountId>) -> Self {
        let tier = a.messaging_limits.effective_tier();
        Self {
            id: a.id.to_string(),
            store_id: a.store_id.to_string(),
            phone_number: a.phone_number.as_str().to_owned(),
            formatted_phone: pretty_phone(a.phone_number.as_str()),
            phone_number_id: a.phone_number_id.as_str().to_owned(),
            waba_id: a.waba_id.as_str().to_owned(),
            display_name: a.display_name.clone(),
            status: a.status().as_str().to_owned(),
            is_default: default == Some(a.id),
            quality_rating: a.quality_rating.as_str().to_owned(),
            quality_color: match a.quality_rating {
                omni_domain::QualityRating::Green => "green",
                omni_domain::QualityRating::Yellow => "yellow",
                omni_domain::QualityRating::Red => "red",
                omni_domain::QualityRating::Unknown => "grey",
            }
            .to_owned(),
            messaging_limit: tier.map(|t| t.as_str().to_owned()),
            messaging_limit_daily_users: tier.and_then(|t| t.daily_unique_users()),
            throughput: a.messaging_limits.throughput.map(|t| t.as_str().to_owned()),
            meta_status: a.meta.number_status.clone(),
            name_status: a.meta.name_status.clone(),
            verified_at: a.verified_at.map(|t| t.to_rfc3339()),
            last_webhook_at: a.last_webhook_at.map(|t| t.to_rfc3339()),
            created_at: a.created_at.to_rfc3339(),
            updated_at: a.updated_at.to_rfc3339(),
        }
    }
}

/// `GET /api/owner/whatsapp/accounts`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountList {
    /// The store listed.
    pub store_id: String,
    /// Its default account, when set.
    pub default_account_id: Option<String>,
    /// Live accounts, oldest first.
    pub accounts: Vec<AccountResponse>,
}

/// `POST /api/owner/whatsapp/accounts/{id}/disconnect`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisconnectResponse {
    /// The disconnected account.
    pub id: String,
    /// Always true.
    pub disconnected: bool,
    /// Meta's side: `done` (unsubscribed), `shared_waba` (other numbers still use the WABA),
    /// `skipped` (no Meta app configured), `failed` (logged; the disconnect stands).
    pub meta_cleanup: String,
}

/// `GET /api/owner/whatsapp/oauth-url`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthUrlResponse {
    /// Meta's dialog URL; open it in the owner's browser.
    pub url: String,
    /// Seconds the embedded `state` stays valid (single use).
    pub expires_in: u64,
}

/// `POST /api/owner/whatsapp/embedded-signup` body: what the Embedded Signup popup returned.
#[derive(Deserialize, ToSchema)]
pub struct EmbeddedSignupBody {
    /// The `code` from `FB.login` (valid 30 seconds).
    pub code: String,
    /// `data.waba_id` of the `WA_EMBEDDED_SIGNUP` message (checked against the token).
    pub waba_id: Option<String>,
    /// `data.phone_number_id` (checked against the token).
    pub phone_number_id: Option<String>,
    /// `data.business_id` (informational).
    pub business_id: Option<String>,
}

impl std::fmt::Debug for EmbeddedSignupBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedSignupBody")
            .field("waba_id", &self.waba_id)
            .field("phone_number_id", &self.phone_number_id)
            .finish_non_exhaustive()
    }
}

/// What a connection did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectResponse {
    /// Accounts connected or reconnected.
    pub accounts: Vec<AccountResponse>,
    /// phone_number_ids refused because another store has them.
    pub taken: Vec<String>,
    /// phone_number_ids skipped because Meta's display number is not a valid phone number.
    pub invalid: Vec<String>,
}

/// `/healthz` and `/readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthBody {
    /// `ok` or `ready`.
    pub status: String,
}

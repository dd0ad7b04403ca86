//! A number's health and history (`.../health`) and the diagnose checks (`.../diagnose`).

use actix_web::{HttpResponse, web};
use omni_usecases::account_health::{Check, HealthView};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::account::owned;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::owner::auth::OwnerCtx;
use crate::http::owner::dto::ErrorBody;
use crate::http::owner::params::{AccountPath, HealthQuery, StoreQuery};

/// One change in an account's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    /// `quality_update`, `capability_update`, `account_update`, `refresh`, `token_renewed`,
    /// `token_expiring`, `token_invalid`, ...
    pub kind: String,
    /// When Meta says it happened (refreshes: when we read it).
    pub occurred_at: String,
    /// When we recorded it.
    pub recorded_at: String,
    /// The account before (status, quality, limits), when known.
    #[schema(value_type = Object)]
    pub before: Value,
    /// The account after.
    #[schema(value_type = Object)]
    pub after: Value,
    /// Everything recorded (the webhook event, token expiry, ...).
    #[schema(value_type = Object)]
    pub detail: Value,
}

/// `GET .../accounts/{id}/health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// Account id.
    pub account_id: String,
    /// `active`, `inactive`, `pending`, `failed`, `reauth_required`.
    pub status: String,
    /// `GREEN`, `YELLOW`, `RED`, `UNKNOWN`.
    pub quality_rating: String,
    /// Messaging limit tier in force (`TIER_2K`, ...).
    pub messaging_limit: Option<String>,
    /// Its unique users per 24 h (`null`: unlimited or not set).
    pub messaging_limit_daily_users: Option<u32>,
    /// `STANDARD` (80/s) or `HIGH` (1000/s).
    pub throughput: Option<String>,
    /// Meta's `health_status.can_send_message`: `AVAILABLE`, `LIMITED`, `BLOCKED`.
    pub health_status: Option<String>,
    /// Meta's number status (`CONNECTED`, `FLAGGED`, `RESTRICTED`, ...).
    pub number_status: Option<String>,
    /// Whether business-initiated sends are slowed now (quality RED).
    pub business_sends_slowed: bool,
    /// Last webhook for this number.
    pub last_webhook_at: Option<String>,
    /// Token type from the last check (`SYSTEM_USER`, `USER`).
    pub token_type: Option<String>,
    /// Token expiry from the last check (`null`: never, or not checked yet).
    pub token_expires_at: Option<String>,
    /// History, newest first.
    pub history: Vec<HistoryEntry>,
}

impl From<&HealthView> for HealthResponse {
    fn from(view: &HealthView) -> Self {
        let a = &view.account;
        let tier = a.messaging_limits.effective_tier();
        Self {
            account_id: a.id.to_string(),
            status: a.status().as_str().to_owned(),
            quality_rating: a.quality_rating.as_str().to_owned(),
            messaging_limit: tier.map(|t| t.as_str().to_owned()),
            messaging_limit_daily_users: tier.and_then(|t| t.daily_unique_users()),
            throughput: a.messaging_limits.throughput.map(|t| t.as_str().to_owned()),
            health_status: a.meta.can_send_message.clone(),
            number_status: a.meta.number_status.clone(),
            business_sends_slowed: a.quality_rating == omni_domain::QualityRating::Red,
            last_webhook_at: a.last_webhook_at.map(|t| t.to_rfc3339()),
            token_type: a.meta.token_type.clone(),
            token_expires_at: a.meta.token_expires_at.clone(),
            history: view
                .history
                .iter()
                .map(|e| HistoryEntry {
                    kind: e.kind.clone(),
                    occurred_at: e.occurred_at.to_rfc3339(),
                    recorded_at: e.recorded_at.to_rfc3339(),
                    before: e.detail.get("before").cloned().unwrap_or(Value::Null),
                    after: e.detail.get("after").cloned().unwrap_or(Value::Null),
                    detail: e.detail.clone(),
                })
                .collect(),
        }
    }
}

/// One diagnose check.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResponse {
    /// `token_valid`, `token_scopes`, `app_subscribed`, `number_registered`, `can_send`,
    /// `webhook_recent`.
    pub check: String,
    /// Passed.
    pub pass: bool,
    /// What was found.
    pub detail: String,
    /// What to do (failed checks).
    pub fix: Option<String>,
}

impl From<Check> for CheckResponse {
    fn from(c: Check) -> Self {
        Self {
            check: c.check.to_owned(),
            pass: c.pass,
            detail: c.detail,
            fix: c.fix,
        }
    }
}

/// `GET /api/owner/whatsapp/accounts/{id}/health`.
#[utoipa::path(
    get, path = "/api/owner/whatsapp/accounts/{id}/health", tag = "health",
    params(AccountPath, StoreQuery, HealthQuery),
    responses(
        (status = 200, description = "Quality, limits, throughput, health status, last webhook, history", body = HealthResponse),
    )
)]
pub(in crate::http::owner) async fn health(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<AccountPath>,
    query: web::Query<HealthQuery>,
) -> Result<HttpResponse, ApiError> {
    let account = owned(&state, &ctx, &path).await?;
    let view = state
        .services
        .health
        .view(account.store_id, account.id, query.history_limit())
        .await?;
    Ok(HttpResponse::Ok().json(HealthResponse::from(&view)))
}

/// `POST /api/owner/whatsapp/accounts/{id}/diagnose`.
#[utoipa::path(
    post, path = "/api/owner/whatsapp/accounts/{id}/diagnose", tag = "health",
    params(AccountPath, StoreQuery),
    responses(
        (status = 200, description = "Each check with pass, detail and fix: token_valid, token_scopes, app_subscribed, number_registered, can_send, webhook_recent", body = Vec<CheckResponse>),
        (status = 503, description = "`meta_not_configured`", body = ErrorBody),
    )
)]
pub(in crate::http::owner) async fn diagnose(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<AccountPath>,
) -> Result<HttpResponse, ApiError> {
    let account = owned(&state, &ctx, &path).await?;
    let checks = state
        .services
        .health
        .diagnose(account.store_id, account.id)
        .await?;
    Ok(HttpResponse::Ok().json(
        checks
            .into_iter()
            .map(CheckResponse::from)
            .collect::<Vec<_>>(),
    ))
}

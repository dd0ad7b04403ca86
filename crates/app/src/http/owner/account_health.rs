//! Account health routes of the owner API: a number's health and history, diagnose,
//! analytics, templates; the store's notifications and alert number. Every account route
//! first finds the account within the caller's store (another store's id is a plain 404,
//! before any body is read or Meta is called); bodies are parsed after that.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use omni_domain::{AccountId, PhoneNumber, WhatsappAccount};
use omni_ports::meta::{NewTemplate, TemplateComponent, TemplateComponentKind, TemplateParameter};
use omni_ports::{Notification, StoredTemplate};
use omni_usecases::health::{AlertNumberError, Check, DayAnalytics};
use omni_usecases::outbound::SendError;
use omni_usecases::templates::TemplateError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};

use super::OwnerCtx;
use super::dto::ErrorBody;
use crate::http::ApiError;
use crate::startup::AppState;

impl From<TemplateError> for ApiError {
    fn from(e: TemplateError) -> Self {
        match e {
            TemplateError::Account(a) => a.into(),
            TemplateError::NotFound { .. } => {
                Self::new(StatusCode::NOT_FOUND, "template_not_found", e.to_string())
            }
            TemplateError::NotApproved { .. } => {
                Self::conflict("template_not_approved", e.to_string())
            }
            TemplateError::Parameters(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "template_parameters_mismatch",
                e.to_string(),
            ),
            TemplateError::Invalid(m) => Self::bad_request("invalid_template", m),
            TemplateError::Send(SendError::AccountUnavailable(why)) => Self::conflict(
                "account_unavailable",
                format!("this number cannot send now: {why}"),
            ),
            TemplateError::Send(SendError::OutsideWindow) => {
                Self::conflict("outside_window", "the customer's window is closed")
            }
            TemplateError::Send(SendError::Repo(r)) => r.into(),
        }
    }
}

fn account_id(raw: &str) -> Result<AccountId, ApiError> {
    AccountId::parse(raw).map_err(|_| ApiError::not_found("no such account in this store"))
}

/// The account, only within the caller's store.
async fn owned(state: &AppState, ctx: &OwnerCtx, raw: &str) -> Result<WhatsappAccount, ApiError> {
    let id = account_id(raw)?;
    state
        .central
        .find_account(ctx.store()?.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such account in this store"))
}

fn body<T: serde::de::DeserializeOwned>(raw: &web::Bytes) -> Result<T, ApiError> {
    let bytes: &[u8] = if raw.is_empty() { b"{}" } else { raw };
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request("invalid_body", format!("the JSON body is not valid: {e}"))
    })
}

// --- bodies ----------------------------------------------------------------------------------

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

/// One day of analytics.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayResponse {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// Customer messages received.
    pub messages_in: u64,
    /// Messages sent to customers.
    pub messages_out: u64,
    /// Outbound messages delivered (or read).
    pub delivered: u64,
    /// Outbound messages read.
    pub read: u64,
    /// Outbound messages failed.
    pub failed: u64,
    /// delivered / messages_out (0 when nothing went out).
    pub delivered_rate: f64,
    /// read / messages_out.
    pub read_rate: f64,
    /// failed / messages_out.
    pub failed_rate: f64,
    /// Failures by Meta error code (or ours, e.g. `outside_window`).
    #[schema(value_type = Object)]
    pub failures_by_code: std::collections::BTreeMap<String, u64>,
    /// Median seconds from a customer message to its first reply.
    pub median_response_secs: Option<i64>,
    /// Orders placed (not carts, not cancelled).
    pub orders: u64,
    /// Their total in paisa (integer minor units of PKR).
    pub revenue_minor: i64,
    /// Always `PKR`.
    pub currency: String,
}

fn rate(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        // Counts of one day are far below 2^52: exact in f64.
        let r = n as f64 / of as f64;
        (r * 10_000.0).round() / 10_000.0
    }
}

impl From<DayAnalytics> for DayResponse {
    fn from(d: DayAnalytics) -> Self {
        let f = d.figures;
        Self {
            date: f.day.map(|d| d.to_string()).unwrap_or_default(),
            messages_in: f.messages_in,
            messages_out: f.messages_out,
            delivered: f.delivered,
            read: f.read,
            failed: f.failed,
            delivered_rate: rate(f.delivered, f.messages_out),
            read_rate: rate(f.read, f.messages_out),
            failed_rate: rate(f.failed, f.messages_out),
            failures_by_code: f.failures_by_code,
            median_response_secs: d.median_response_secs,
            orders: f.orders,
            revenue_minor: f.revenue_minor,
            currency: "PKR".to_owned(),
        }
    }
}

/// `GET .../accounts/{id}/analytics`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalyticsResponse {
    /// Account id.
    pub account_id: String,
    /// First day.
    pub from: String,
    /// Last day (inclusive).
    pub to: String,
    /// Days with activity.
    pub days: Vec<DayResponse>,
}

/// A stored template.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateResponse {
    /// Meta's id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Language.
    pub language: String,
    /// `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`, ...
    pub status: String,
    /// Category.
    pub category: String,
    /// Meta's components.
    #[schema(value_type = Object)]
    pub components: Value,
    /// `POSITIONAL` or `NAMED`.
    pub parameter_format: Option<String>,
    /// Why rejected or paused.
    pub rejected_reason: Option<String>,
    /// Last change.
    pub updated_at: String,
}

impl From<&StoredTemplate> for TemplateResponse {
    fn from(t: &StoredTemplate) -> Self {
        Self {
            id: t.meta_id.clone(),
            name: t.name.clone(),
            language: t.language.clone(),
            status: t.status.clone(),
            category: t.category.clone(),
            components: t.components.clone(),
            parameter_format: t.parameter_format.clone(),
            rejected_reason: t.rejected_reason.clone(),
            updated_at: t.updated_at.to_rfc3339(),
        }
    }
}

/// `POST .../templates` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTemplateBody {
    /// Lowercase letters, digits, underscores.
    pub name: String,
    /// Language code, e.g. `en` or `ur`.
    pub language: String,
    /// `UTILITY`, `MARKETING`, `AUTHENTICATION`.
    pub category: String,
    /// Meta's components array (`[{"type":"BODY","text":"Hi {{1}}"}]`).
    #[schema(value_type = Vec<Object>)]
    pub components: Value,
    /// `POSITIONAL` (default) or `NAMED`.
    pub parameter_format: Option<String>,
}

/// `POST .../templates/send` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SendTemplateBody {
    /// Recipient (E.164 or a Pakistani number).
    pub to: String,
    /// Template name.
    pub name: String,
    /// Language code.
    pub language: String,
    /// Body parameters in order (positional templates).
    #[serde(default)]
    pub body: Vec<String>,
    /// Body parameters by name (named templates).
    #[serde(default)]
    pub named: std::collections::BTreeMap<String, String>,
    /// Text header parameters.
    #[serde(default)]
    pub header: Vec<String>,
}

/// `POST .../templates/send` answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedResponse {
    /// The outbox key.
    pub idempotency_key: String,
    /// Always true.
    pub queued: bool,
}

/// `DELETE .../templates/{name}` answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedResponse {
    /// Name.
    pub name: String,
    /// Language versions removed.
    pub deleted: u64,
}

/// A notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationResponse {
    /// Id.
    pub id: String,
    /// The number it is about.
    pub account_id: Option<String>,
    /// `quality_drop`, `limit_drop`, `account_restricted`, `reauth_required`,
    /// `token_expiring`.
    pub kind: String,
    /// `critical`, `warning`, `info`.
    pub severity: String,
    /// One line.
    pub title: String,
    /// What happened and what to do.
    pub body: String,
    /// Before/after, reconnect link.
    #[schema(value_type = Object)]
    pub detail: Value,
    /// When.
    pub created_at: String,
    /// When marked read.
    pub read_at: Option<String>,
}

impl From<&Notification> for NotificationResponse {
    fn from(n: &Notification) -> Self {
        Self {
            id: n.id.clone(),
            account_id: n.account_id.map(|a| a.to_string()),
            kind: n.kind.clone(),
            severity: n.severity.clone(),
            title: n.title.clone(),
            body: n.body.clone(),
            detail: n.detail.clone(),
            created_at: n.created_at.to_rfc3339(),
            read_at: n.read_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// `GET /api/owner/notifications`.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    /// The store.
    pub store_id: String,
    /// Unread in this page.
    pub unread: usize,
    /// Newest first.
    pub notifications: Vec<NotificationResponse>,
}

/// `POST /api/owner/notifications/read` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MarkReadBody {
    /// Ids to mark; every unread one when absent.
    pub ids: Option<Vec<String>>,
}

/// `POST /api/owner/notifications/read` answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarkReadResponse {
    /// How many changed.
    pub marked: u64,
}

/// The store's alert number (`GET`/`PUT /api/owner/store/alert-number`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AlertNumberBody {
    /// The owner's own WhatsApp number for alerts (E.164 or Pakistani form); `null` clears it.
    pub owner_whatsapp: Option<String>,
}

// --- handlers --------------------------------------------------------------------------------

/// `GET /api/owner/whatsapp/accounts/{id}/health`.
#[utoipa::path(
    get, path = "/api/owner/whatsapp/accounts/{id}/health", tag = "health",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest"),
           ("history_limit" = Option<u32>, Query, description = "History entries (default 100, at most 500)")),
    responses(
        (status = 200, description = "Quality, limits, throughput, health status, last webhook, history", body = HealthResponse),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
pub(super) async fn health(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, ApiError> {
    let account = owned(&state, &ctx, &id).await?;
    let limit = query
        .get("history_limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let view = state
        .health
        .view(account.store_id, account.id, limit)
        .await?;
    let a = &view.account;
    let meta_str = |k: &str| a.meta.get(k).and_then(Value::as_str).map(str::to_owned);
    let tier = a.messaging_limits.effective_tier();
    Ok(HttpResponse::Ok().json(HealthResponse {
        account_id: a.id.to_string(),
        status: a.status.as_str().to_owned(),
        quality_rating: a.quality_rating.as_str().to_owned(),
        messaging_limit: tier.map(|t| t.as_str().to_owned()),
        messaging_limit_daily_users: tier.and_then(|t| t.daily_unique_users()),
        throughput: a.messaging_limits.throughput.map(|t| t.as_str().to_owned()),
        health_status: meta_str("can_send_message"),
        number_status: meta_str("status"),
        business_sends_slowed: a.quality_rating == omni_domain::QualityRating::Red,
        last_webhook_at: a.last_webhook_at.map(|t| t.to_rfc3339()),
        token_type: meta_str("token_type"),
        token_expires_at: meta_str("token_expires_at"),
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
    }))
}

/// `POST /api/owner/whatsapp/accounts/{id}/diagnose`.
#[utoipa::path(
    post, path = "/api/owner/whatsapp/accounts/{id}/diagnose", tag = "health",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    responses(
        (status = 200, description = "Each check with pass, detail and fix: token_valid, token_scopes, app_subscribed, number_registered, can_send, webhook_recent", body = Vec<CheckResponse>),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 503, description = "`meta_not_configured`", body = ErrorBody),
    )
)]
pub(super) async fn diagnose(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let account = owned(&state, &ctx, &id).await?;
    let checks = state.health.diagnose(account.store_id, account.id).await?;
    Ok(HttpResponse::Ok().json(
        checks
            .into_iter()
            .map(CheckResponse::from)
            .collect::<Vec<_>>(),
    ))
}

fn date(raw: Option<&String>, name: &str) -> Result<NaiveDate, ApiError> {
    let raw = raw.ok_or_else(|| {
        ApiError::bad_request(
            "invalid_range",
            format!("`{name}` (YYYY-MM-DD) is required"),
        )
    })?;
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request("invalid_range", format!("`{name}` must be YYYY-MM-DD")))
}

/// `GET /api/owner/whatsapp/accounts/{id}/analytics`.
#[utoipa::path(
    get, path = "/api/owner/whatsapp/accounts/{id}/analytics", tag = "health",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest"),
           ("from" = String, Query, description = "First day, YYYY-MM-DD (UTC)"),
           ("to" = String, Query, description = "Last day, YYYY-MM-DD (UTC, inclusive; at most 366 days after `from`)")),
    responses(
        (status = 200, description = "Per-day figures; money in paisa", body = AnalyticsResponse),
        (status = 400, description = "`invalid_range`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
pub(super) async fn analytics(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, ApiError> {
    let account = owned(&state, &ctx, &id).await?;
    let from = date(query.get("from"), "from")?;
    let to = date(query.get("to"), "to")?;
    if to < from || (to - from).num_days() > 366 {
        return Err(ApiError::bad_request(
            "invalid_range",
            "`to` must be on or after `from`, at most 366 days later",
        ));
    }
    let days = state
        .health
        .analytics(account.store_id, account.id, from, to)
        .await?;
    Ok(HttpResponse::Ok().json(AnalyticsResponse {
        account_id: account.id.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        days: days.into_iter().map(DayResponse::from).collect(),
    }))
}

/// `GET /api/owner/whatsapp/accounts/{id}/templates`.
#[utoipa::path(
    get, path = "/api/owner/whatsapp/accounts/{id}/templates", tag = "templates",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    responses(
        (status = 200, description = "The WABA's stored templates (sync to re-read Meta)", body = Vec<TemplateResponse>),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
pub(super) async fn list_templates(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let account = owned(&state, &ctx, &id).await?;
    let list = state.templates.list(account.store_id, account.id).await?;
    Ok(HttpResponse::Ok().json(list.iter().map(TemplateResponse::from).collect::<Vec<_>>()))
}

/// `POST /api/owner/whatsapp/accounts/{id}/templates/sync`.
#[utoipa::path(
    post, path = "/api/owner/whatsapp/accounts/{id}/templates/sync", tag = "templates",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    responses(
        (status = 200, description = "Re-read from Meta and stored", body = Vec<TemplateResponse>),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 502, description = "`meta_error`", body = ErrorBody),
        (status = 503, description = "`meta_unavailable` or `meta_not_configured`", body = ErrorBody),
    )
)]
pub(super) async fn sync_templates(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let account = owned(&state, &ctx, &id).await?;
    let list = state.templates.sync(account.store_id, account.id).await?;
    Ok(HttpResponse::Ok().json(list.iter().map(TemplateResponse::from).collect::<Vec<_>>()))
}

/// `POST /api/owner/whatsapp/accounts/{id}/templates`.
#[utoipa::path(
    post, path = "/api/owner/whatsapp/accounts/{id}/templates", tag = "templates",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    request_body = CreateTemplateBody,
    responses(
        (status = 201, description = "Submitted to Meta and stored with Meta's status (usually PENDING)", body = TemplateResponse),
        (status = 400, description = "`invalid_body`, `invalid_template`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 502, description = "`meta_error`: Meta refused it", body = ErrorBody),
    )
)]
pub(super) async fn create_template(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let account = owned(&state, &ctx, &id).await?;
    let b: CreateTemplateBody = body(&raw)?;
    let created = state
        .templates
        .create(
            account.store_id,
            account.id,
            NewTemplate {
                name: b.name,
                language: b.language,
                category: b.category,
                components: b.components,
                parameter_format: b.parameter_format,
            },
        )
        .await?;
    Ok(HttpResponse::Created().json(TemplateResponse::from(&created)))
}

/// `DELETE /api/owner/whatsapp/accounts/{id}/templates/{name}`.
#[utoipa::path(
    delete, path = "/api/owner/whatsapp/accounts/{id}/templates/{name}", tag = "templates",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id"),
           ("name" = String, Path, description = "Template name (every language is deleted)"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    responses(
        (status = 200, description = "Deleted at Meta and here", body = DeletedResponse),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found` or `template_not_found`", body = ErrorBody),
        (status = 502, description = "`meta_error`", body = ErrorBody),
    )
)]
pub(super) async fn delete_template(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, name) = path.into_inner();
    let account = owned(&state, &ctx, &id).await?;
    let deleted = state
        .templates
        .delete(account.store_id, account.id, &name)
        .await?;
    Ok(HttpResponse::Ok().json(DeletedResponse { name, deleted }))
}

/// `POST /api/owner/whatsapp/accounts/{id}/templates/send`.
#[utoipa::path(
    post, path = "/api/owner/whatsapp/accounts/{id}/templates/send", tag = "templates",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Account id"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    request_body = SendTemplateBody,
    responses(
        (status = 202, description = "Checked against the stored template and queued", body = QueuedResponse),
        (status = 400, description = "`invalid_body`, `invalid_recipient`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found` or `template_not_found`", body = ErrorBody),
        (status = 409, description = "`template_not_approved`, `account_unavailable`", body = ErrorBody),
        (status = 422, description = "`template_parameters_mismatch`", body = ErrorBody),
    )
)]
pub(super) async fn send_template(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let account = owned(&state, &ctx, &id).await?;
    let b: SendTemplateBody = body(&raw)?;
    let to = PhoneNumber::parse(&b.to)
        .map_err(|_| ApiError::bad_request("invalid_recipient", "`to` is not a phone number"))?;
    let text = |text: String, name: Option<String>| TemplateParameter::Text { text, name };
    let mut parameters: Vec<TemplateParameter> =
        b.body.into_iter().map(|t| text(t, None)).collect();
    parameters.extend(b.named.into_iter().map(|(n, t)| text(t, Some(n))));
    let mut components = Vec::new();
    if !b.header.is_empty() {
        components.push(TemplateComponent {
            kind: TemplateComponentKind::Header,
            parameters: b.header.into_iter().map(|t| text(t, None)).collect(),
        });
    }
    if !parameters.is_empty() {
        components.push(TemplateComponent {
            kind: TemplateComponentKind::Body,
            parameters,
        });
    }
    let queued = state
        .templates
        .send(
            account.store_id,
            account.id,
            &to,
            &b.name,
            &b.language,
            components,
        )
        .await?;
    Ok(HttpResponse::Accepted().json(QueuedResponse {
        idempotency_key: queued.idempotency_key,
        queued: true,
    }))
}

/// `GET /api/owner/notifications`.
#[utoipa::path(
    get, path = "/api/owner/notifications", tag = "health",
    security(("bearer" = [])),
    params(("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest"),
           ("unread" = Option<bool>, Query, description = "Only unread ones"),
           ("limit" = Option<u32>, Query, description = "At most this many (default 50, at most 500)")),
    responses(
        (status = 200, description = "The store's notifications, newest first", body = NotificationList),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found` or `no_store`", body = ErrorBody),
    )
)]
pub(super) async fn notifications(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, ApiError> {
    let store = ctx.store()?;
    let unread_only = query.get("unread").is_some_and(|v| v == "true" || v == "1");
    let limit = query
        .get("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let list = state
        .health
        .notifications(store.id, unread_only, limit)
        .await?;
    Ok(HttpResponse::Ok().json(NotificationList {
        store_id: store.id.to_string(),
        unread: list.iter().filter(|n| n.read_at.is_none()).count(),
        notifications: list.iter().map(NotificationResponse::from).collect(),
    }))
}

/// `POST /api/owner/notifications/read`.
#[utoipa::path(
    post, path = "/api/owner/notifications/read", tag = "health",
    security(("bearer" = [])),
    params(("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    request_body = MarkReadBody,
    responses(
        (status = 200, description = "Marked read (ids of other stores are ignored)", body = MarkReadResponse),
        (status = 400, description = "`invalid_body`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found` or `no_store`", body = ErrorBody),
    )
)]
pub(super) async fn mark_read(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let store = ctx.store()?;
    let b: MarkReadBody = body(&raw)?;
    let marked = state.health.mark_read(store.id, b.ids.as_deref()).await?;
    Ok(HttpResponse::Ok().json(MarkReadResponse { marked }))
}

/// `GET /api/owner/store/alert-number`.
#[utoipa::path(
    get, path = "/api/owner/store/alert-number", tag = "health",
    security(("bearer" = [])),
    params(("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    responses(
        (status = 200, description = "Where the store's alerts go on WhatsApp", body = AlertNumberBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found` or `no_store`", body = ErrorBody),
    )
)]
pub(super) async fn get_alert_number(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let store = ctx.store()?;
    let number = state.health.alert_number(store.id).await?;
    Ok(HttpResponse::Ok().json(AlertNumberBody {
        owner_whatsapp: number,
    }))
}

/// `PUT /api/owner/store/alert-number`.
#[utoipa::path(
    put, path = "/api/owner/store/alert-number", tag = "health",
    security(("bearer" = [])),
    params(("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    request_body = AlertNumberBody,
    responses(
        (status = 200, description = "Set (normalised to E.164) or cleared", body = AlertNumberBody),
        (status = 400, description = "`invalid_body`, `invalid_phone`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found` or `no_store`", body = ErrorBody),
    )
)]
pub(super) async fn set_alert_number(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let store = ctx.store()?;
    let b: AlertNumberBody = body(&raw)?;
    let number = state
        .health
        .set_alert_number(store.id, b.owner_whatsapp.as_deref())
        .await
        .map_err(|e| match e {
            AlertNumberError::Invalid(_) => {
                ApiError::bad_request("invalid_phone", "`owner_whatsapp` is not a phone number")
            }
            AlertNumberError::Repo(r) => r.into(),
        })?;
    Ok(HttpResponse::Ok().json(AlertNumberBody {
        owner_whatsapp: number,
    }))
}

/// `GET /metrics` (served by `crate::http::metrics`; documented here).
#[utoipa::path(
    get, path = "/metrics", tag = "ops",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text format: webhooks received/rejected/duplicate, ingest latency, inbox and outbox depth, sends by result and code, rate-limit waits, agent latency per store, job runs. Labels never carry phone numbers or tokens", content_type = "text/plain"),
        (status = 401, description = "`unauthorized`: the `health.metrics_token` bearer token was not sent", body = ErrorBody),
        (status = 403, description = "`metrics_token_required`: no `health.metrics_token` is configured, so nothing is served", body = ErrorBody),
        (status = 404, description = "`not_found`: `health.metrics_enabled` is false", body = ErrorBody),
    )
)]
#[expect(
    dead_code,
    reason = "documents `crate::http::metrics::serve`; only its attribute is used"
)]
fn metrics_doc() {}

/// The account health part of the OpenAPI document (merged into the main one).
#[derive(Debug, OpenApi)]
#[openapi(
    paths(
        health, diagnose, analytics, list_templates, sync_templates, create_template,
        delete_template, send_template, notifications, mark_read, get_alert_number,
        set_alert_number, metrics_doc,
    ),
    components(schemas(
        HealthResponse, HistoryEntry, CheckResponse, AnalyticsResponse, DayResponse,
        TemplateResponse, CreateTemplateBody, SendTemplateBody, QueuedResponse, DeletedResponse,
        NotificationResponse, NotificationList, MarkReadBody, MarkReadResponse, AlertNumberBody,
    )),
    tags(
        (name = "health", description = "Account health: quality and limit history, diagnose, analytics, notifications"),
        (name = "templates", description = "A WABA's message templates"),
    )
)]
pub struct HealthDoc;

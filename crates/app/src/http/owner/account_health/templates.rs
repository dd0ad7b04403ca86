//! `.../templates`: a WABA's message templates: list, re-read from Meta, create, delete and
//! send one.

use actix_web::{HttpResponse, web};
use omni_domain::PhoneNumber;
use omni_ports::StoredTemplate;
use omni_ports::meta::{NewTemplate, TemplateComponent, TemplateComponentKind, TemplateParameter};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::account::owned;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::http::owner::auth::OwnerCtx;
use crate::http::owner::dto::ErrorBody;
use crate::http::owner::params::{AccountPath, StoreQuery, TemplatePath};
use crate::http::owner::reply;

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

/// `GET /api/owner/whatsapp/accounts/{id}/templates`.
#[utoipa::path(
    get, path = "/api/owner/whatsapp/accounts/{id}/templates", tag = "templates",
    params(AccountPath, StoreQuery),
    responses(
        (status = 200, description = "The WABA's stored templates (sync to re-read Meta)", body = Vec<TemplateResponse>),
    )
)]
pub(in crate::http::owner) async fn list_templates(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<AccountPath>,
) -> Result<HttpResponse, ApiError> {
    let account = owned(&state, &ctx, &path).await?;
    let list = state
        .services
        .templates
        .list(account.store_id, account.id)
        .await?;
    Ok(reply::list::<TemplateResponse, _>(&list))
}

/// `POST /api/owner/whatsapp/accounts/{id}/templates/sync`.
#[utoipa::path(
    post, path = "/api/owner/whatsapp/accounts/{id}/templates/sync", tag = "templates",
    params(AccountPath, StoreQuery),
    responses(
        (status = 200, description = "Re-read from Meta and stored", body = Vec<TemplateResponse>),
        (status = 502, description = "`meta_error`", body = ErrorBody),
        (status = 503, description = "`meta_unavailable` or `meta_not_configured`", body = ErrorBody),
    )
)]
pub(in crate::http::owner) async fn sync_templates(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<AccountPath>,
) -> Result<HttpResponse, ApiError> {
    let account = owned(&state, &ctx, &path).await?;
    let list = state
        .services
        .templates
        .sync(account.store_id, account.id)
        .await?;
    Ok(reply::list::<TemplateResponse, _>(&list))
}

/// `POST /api/owner/whatsapp/accounts/{id}/templates`.
#[utoipa::path(
    post, path = "/api/owner/whatsapp/accounts/{id}/templates", tag = "templates",
    params(AccountPath, StoreQuery),
    request_body = CreateTemplateBody,
    responses(
        (status = 201, description = "Submitted to Meta and stored with Meta's status (usually PENDING)", body = TemplateResponse),
        (status = 400, description = "`bad_request`, `invalid_template`", body = ErrorBody),
        (status = 502, description = "`meta_error`: Meta refused it", body = ErrorBody),
    )
)]
pub(in crate::http::owner) async fn create_template(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<AccountPath>,
    raw: JsonBody<CreateTemplateBody>,
) -> Result<HttpResponse, ApiError> {
    let account = owned(&state, &ctx, &path).await?;
    let b = raw.parse()?;
    let created = state
        .services
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
    params(TemplatePath, StoreQuery),
    responses(
        (status = 200, description = "Deleted at Meta and here", body = DeletedResponse),
        (status = 404, description = "`not_found` or `template_not_found`", body = ErrorBody),
        (status = 502, description = "`meta_error`", body = ErrorBody),
    )
)]
pub(in crate::http::owner) async fn delete_template(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<TemplatePath>,
) -> Result<HttpResponse, ApiError> {
    let TemplatePath { id, name } = path.into_inner();
    let account = owned(&state, &ctx, &AccountPath { id }).await?;
    let deleted = state
        .services
        .templates
        .delete(account.store_id, account.id, &name)
        .await?;
    Ok(HttpResponse::Ok().json(DeletedResponse { name, deleted }))
}

/// `POST /api/owner/whatsapp/accounts/{id}/templates/send`.
#[utoipa::path(
    post, path = "/api/owner/whatsapp/accounts/{id}/templates/send", tag = "templates",
    params(AccountPath, StoreQuery),
    request_body = SendTemplateBody,
    responses(
        (status = 202, description = "Checked against the stored template and queued", body = QueuedResponse),
        (status = 400, description = "`bad_request`, `invalid_recipient`", body = ErrorBody),
        (status = 404, description = "`not_found` or `template_not_found`", body = ErrorBody),
        (status = 409, description = "`template_not_approved`, `account_unavailable`", body = ErrorBody),
        (status = 422, description = "`template_parameters_mismatch`", body = ErrorBody),
    )
)]
pub(in crate::http::owner) async fn send_template(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<AccountPath>,
    raw: JsonBody<SendTemplateBody>,
) -> Result<HttpResponse, ApiError> {
    let account = owned(&state, &ctx, &path).await?;
    let b = raw.parse()?;
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
        .services
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

//! `/api/owner/notifications`: the store's alerts (quality or limit drops, restrictions,
//! tokens to renew) and marking them read.

use actix_web::{HttpResponse, web};
use omni_ports::Notification;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::http::owner::auth::OwnerCtx;
use crate::http::owner::dto::ErrorBody;
use crate::http::owner::params::{NotificationQuery, StoreQuery};

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

/// `GET /api/owner/notifications`.
#[utoipa::path(
    get, path = "/api/owner/notifications", tag = "health",
    params(StoreQuery, NotificationQuery),
    responses(
        (status = 200, description = "The store's notifications, newest first", body = NotificationList),
    )
)]
pub(in crate::http::owner) async fn notifications(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    query: web::Query<NotificationQuery>,
) -> Result<HttpResponse, ApiError> {
    let store = ctx.store()?;
    let list = state
        .services
        .health
        .notifications(store.id, query.unread_only(), query.limit())
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
    params(StoreQuery),
    request_body = MarkReadBody,
    responses(
        (status = 200, description = "Marked read (ids of other stores are ignored)", body = MarkReadResponse),
        (status = 400, description = "`bad_request`", body = ErrorBody),
    )
)]
pub(in crate::http::owner) async fn mark_read(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    raw: JsonBody<MarkReadBody>,
) -> Result<HttpResponse, ApiError> {
    let store = ctx.store()?;
    let b = raw.parse()?;
    let marked = state
        .services
        .health
        .mark_read(store.id, b.ids.as_deref())
        .await?;
    Ok(HttpResponse::Ok().json(MarkReadResponse { marked }))
}

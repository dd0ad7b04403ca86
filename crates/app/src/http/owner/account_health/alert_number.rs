//! `/api/owner/store/alert-number`: the owner's own WhatsApp number the store's alerts go to.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::http::owner::auth::OwnerCtx;
use crate::http::owner::dto::ErrorBody;
use crate::http::owner::params::StoreQuery;

/// The store's alert number (`GET`/`PUT /api/owner/store/alert-number`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AlertNumberBody {
    /// The owner's own WhatsApp number for alerts (E.164 or Pakistani form); `null` clears it.
    pub owner_whatsapp: Option<String>,
}

/// `GET /api/owner/store/alert-number`.
#[utoipa::path(
    get, path = "/api/owner/store/alert-number", tag = "health",
    params(StoreQuery),
    responses(
        (status = 200, description = "Where the store's alerts go on WhatsApp", body = AlertNumberBody),
    )
)]
pub(in crate::http::owner) async fn get_alert_number(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let store = ctx.store()?;
    let number = state.services.health.alert_number(store.id).await?;
    Ok(HttpResponse::Ok().json(AlertNumberBody {
        owner_whatsapp: number,
    }))
}

/// `PUT /api/owner/store/alert-number`.
#[utoipa::path(
    put, path = "/api/owner/store/alert-number", tag = "health",
    params(StoreQuery),
    request_body = AlertNumberBody,
    responses(
        (status = 200, description = "Set (normalised to E.164) or cleared", body = AlertNumberBody),
        (status = 400, description = "`bad_request`, `invalid_phone`", body = ErrorBody),
    )
)]
pub(in crate::http::owner) async fn set_alert_number(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    raw: JsonBody<AlertNumberBody>,
) -> Result<HttpResponse, ApiError> {
    let store = ctx.store()?;
    let b = raw.parse()?;
    let number = state
        .services
        .health
        .set_alert_number(store.id, b.owner_whatsapp.as_deref())
        .await?;
    Ok(HttpResponse::Ok().json(AlertNumberBody {
        owner_whatsapp: number,
    }))
}

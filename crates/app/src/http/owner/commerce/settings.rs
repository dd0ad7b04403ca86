//! `/api/owner/ordering-settings`: delivery fee, minimum order, voice replies and the rider
//! template.

use actix_web::{HttpResponse, web};
use omni_domain::{StoreSettings, TemplateRef};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::http::owner::auth::OwnerCtx;
use crate::http::owner::dto::ErrorBody;
use crate::http::owner::params::StoreQuery;

/// A template reference.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TemplateBody {
    /// Approved template name.
    pub name: String,
    /// Language code (`en_US`).
    pub language: String,
}

/// The ordering settings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SettingsBody {
    /// Delivery fee in paisa.
    pub delivery_fee_paisa: i64,
    /// Minimum subtotal in paisa.
    pub min_order_paisa: i64,
    /// Answer voice notes with a voice note too (needs a speech service).
    #[serde(default)]
    pub voice_replies: bool,
    /// Template for riders outside their 24-hour window; its body takes the order number,
    /// the summary, the address and the maps link.
    #[serde(default)]
    pub rider_template: Option<TemplateBody>,
}

impl From<&StoreSettings> for SettingsBody {
    fn from(s: &StoreSettings) -> Self {
        Self {
            delivery_fee_paisa: s.delivery_fee.minor(),
            min_order_paisa: s.min_order.minor(),
            voice_replies: s.voice_replies,
            rider_template: s.rider_template.as_ref().map(|t| TemplateBody {
                name: t.name.clone(),
                language: t.language.clone(),
            }),
        }
    }
}

/// `GET /api/owner/ordering-settings`.
#[utoipa::path(get, path = "/api/owner/ordering-settings", tag = "orders",
    params(StoreQuery),
    responses((status = 200, description = "Delivery fee, minimum order, voice replies, rider template", body = SettingsBody)))]
pub(in crate::http::owner) async fn settings_get(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let s = state.services.commerce.settings(ctx.store()?.id).await?;
    Ok(HttpResponse::Ok().json(SettingsBody::from(&s)))
}

/// `PUT /api/owner/ordering-settings`.
#[utoipa::path(put, path = "/api/owner/ordering-settings", tag = "orders",
    params(StoreQuery),
    request_body = SettingsBody,
    responses((status = 200, description = "Saved", body = SettingsBody),
              (status = 400, description = "`invalid_price`, `invalid_template`", body = ErrorBody)))]
pub(in crate::http::owner) async fn settings_put(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    body: JsonBody<SettingsBody>,
) -> Result<HttpResponse, ApiError> {
    let store = ctx.store()?.id;
    let body = body.parse()?;
    let s = state
        .services
        .commerce
        .set_settings(
            store,
            body.delivery_fee_paisa,
            body.min_order_paisa,
            body.voice_replies,
            body.rider_template.as_ref().map(|t| TemplateRef {
                name: t.name.clone(),
                language: t.language.clone(),
            }),
        )
        .await?;
    Ok(HttpResponse::Ok().json(SettingsBody::from(&s)))
}

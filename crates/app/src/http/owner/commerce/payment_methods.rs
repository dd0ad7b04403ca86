//! `/api/owner/payment-methods`: how customers may pay (cash, bank transfer, wallets).

use actix_web::{HttpResponse, web};
use omni_domain::{PaymentMethod, PaymentMethodKind};
use omni_usecases::PaymentMethodInput;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::wire::yes;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::http::owner::auth::OwnerCtx;
use crate::http::owner::dto::ErrorBody;
use crate::http::owner::params::{MethodPath, StoreQuery};
use crate::http::owner::reply;

/// A payment method to create or replace.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PaymentMethodBody {
    /// `cash_on_delivery`, `bank_transfer`, `jazzcash` or `easypaisa`.
    pub kind: String,
    /// Title shown to customers ("Meezan Bank — Karachi Grill").
    pub label: String,
    /// Account number, IBAN or wallet number (may be empty for cash).
    #[serde(default)]
    pub details: String,
    /// What the customer should do.
    #[serde(default)]
    pub instructions: Option<String>,
    /// Offered now (default true).
    #[serde(default = "yes")]
    pub active: bool,
}

/// A payment method.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentMethodResponse {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// Title.
    pub label: String,
    /// Account number, IBAN or wallet.
    pub details: String,
    /// Instructions.
    pub instructions: Option<String>,
    /// Offered now.
    pub active: bool,
    /// Whether customers must send a payment screenshot.
    pub needs_proof: bool,
}

impl From<&PaymentMethod> for PaymentMethodResponse {
    fn from(m: &PaymentMethod) -> Self {
        Self {
            id: m.id.to_string(),
            kind: m.kind.as_str().to_owned(),
            label: m.label.clone(),
            details: m.details.clone(),
            instructions: m.instructions.clone(),
            active: m.active,
            needs_proof: m.kind.needs_proof(),
        }
    }
}

/// The use case's input for a payment method body, or 400 `invalid_kind`.
fn method_input(b: &PaymentMethodBody) -> Result<PaymentMethodInput, ApiError> {
    let kind: PaymentMethodKind = b.kind.parse().map_err(|_| {
        ApiError::bad_request(
            "invalid_kind",
            "kind must be cash_on_delivery, bank_transfer, jazzcash or easypaisa",
        )
    })?;
    Ok(PaymentMethodInput {
        kind,
        label: b.label.clone(),
        details: b.details.clone(),
        instructions: b.instructions.clone(),
        active: b.active,
    })
}

/// `GET /api/owner/payment-methods`.
#[utoipa::path(get, path = "/api/owner/payment-methods", tag = "payments",
    params(StoreQuery),
    responses((status = 200, description = "Payment methods, oldest first", body = [PaymentMethodResponse])))]
pub(in crate::http::owner) async fn methods_list(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let methods = state
        .services
        .commerce
        .payment_methods(ctx.store()?.id)
        .await?;
    Ok(reply::list::<PaymentMethodResponse, _>(&methods))
}

/// `POST /api/owner/payment-methods`.
#[utoipa::path(post, path = "/api/owner/payment-methods", tag = "payments",
    params(StoreQuery),
    request_body = PaymentMethodBody,
    responses((status = 201, description = "Created", body = PaymentMethodResponse),
              (status = 400, description = "`invalid_kind`, `invalid_label`, `invalid_details`", body = ErrorBody)))]
pub(in crate::http::owner) async fn methods_create(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    body: JsonBody<PaymentMethodBody>,
) -> Result<HttpResponse, ApiError> {
    let store = ctx.store()?.id;
    let body = body.parse()?;
    let m = state
        .services
        .commerce
        .add_payment_method(store, &method_input(&body)?)
        .await?;
    Ok(HttpResponse::Created().json(PaymentMethodResponse::from(&m)))
}

/// `PUT /api/owner/payment-methods/{method_id}`.
#[utoipa::path(put, path = "/api/owner/payment-methods/{method_id}", tag = "payments",
    params(MethodPath, StoreQuery),
    request_body = PaymentMethodBody,
    responses((status = 200, description = "Replaced", body = PaymentMethodResponse),
              (status = 400, description = "Invalid field", body = ErrorBody)))]
pub(in crate::http::owner) async fn methods_update(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<MethodPath>,
    body: JsonBody<PaymentMethodBody>,
) -> Result<HttpResponse, ApiError> {
    let store = ctx.store()?.id;
    let body = body.parse()?;
    let id = path.id()?;
    let m = state
        .services
        .commerce
        .update_payment_method(store, id, &method_input(&body)?)
        .await?;
    Ok(HttpResponse::Ok().json(PaymentMethodResponse::from(&m)))
}

/// `DELETE /api/owner/payment-methods/{method_id}`.
#[utoipa::path(delete, path = "/api/owner/payment-methods/{method_id}", tag = "payments",
    params(MethodPath, StoreQuery),
    responses((status = 204, description = "Deleted")))]
pub(in crate::http::owner) async fn methods_delete(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<MethodPath>,
) -> Result<HttpResponse, ApiError> {
    let id = path.id()?;
    state
        .services
        .commerce
        .delete_payment_method(ctx.store()?.id, id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

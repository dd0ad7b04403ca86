//! Payment verification: the queue of screenshots waiting for the owner, one screenshot's
//! bytes, and approving or rejecting it.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::order_views::{OrderListItem, OrderUpdateResponse};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::http::owner::auth::OwnerCtx;
use crate::http::owner::dto::ErrorBody;
use crate::http::owner::params::{OrderPath, StoreQuery};
use crate::http::owner::reply;

/// `POST .../payment/reject` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RejectBody {
    /// Why (the customer is told): 1 to 300 characters.
    pub reason: String,
}

/// `GET /api/owner/payments/pending`.
#[utoipa::path(get, path = "/api/owner/payments/pending", tag = "payments",
    params(StoreQuery),
    responses((status = 200, description = "Orders whose payment screenshot waits for the owner, oldest first; `possible_proof_reuse_of` flags a screenshot already used", body = [OrderListItem])))]
pub(in crate::http::owner) async fn payments_pending(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let orders = state
        .services
        .commerce
        .pending_verifications(ctx.store()?.id)
        .await?;
    Ok(reply::list::<OrderListItem, _>(&orders))
}

/// `GET /api/owner/orders/{order_id}/payment-proof`.
#[utoipa::path(get, path = "/api/owner/orders/{order_id}/payment-proof", tag = "payments",
    params(OrderPath, StoreQuery),
    responses((status = 200, description = "The screenshot's bytes (image/jpeg, image/png, application/pdf, ...)"),
              (status = 404, description = "`not_found`: no such order or no proof", body = ErrorBody),
              (status = 503, description = "`unavailable`: the media store is down", body = ErrorBody)))]
pub(in crate::http::owner) async fn payment_proof(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<OrderPath>,
) -> Result<HttpResponse, ApiError> {
    let id = path.id()?;
    let object = state.services.commerce.proof(ctx.store()?.id, id).await?;
    Ok(HttpResponse::Ok()
        .content_type(object.content_type)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header(("x-content-type-options", "nosniff"))
        .body(object.bytes))
}

/// `POST /api/owner/orders/{order_id}/payment/approve`.
#[utoipa::path(post, path = "/api/owner/orders/{order_id}/payment/approve", tag = "payments",
    params(OrderPath, StoreQuery),
    responses((status = 200, description = "Paid; a placed order is confirmed; the customer is told", body = OrderUpdateResponse),
              (status = 409, description = "`not_pending` or `order_changed`", body = ErrorBody)))]
pub(in crate::http::owner) async fn payment_approve(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<OrderPath>,
) -> Result<HttpResponse, ApiError> {
    let id = path.id()?;
    let u = state
        .services
        .commerce
        .approve_payment(ctx.store()?.id, id)
        .await?;
    Ok(HttpResponse::Ok().json(OrderUpdateResponse::from(&u)))
}

/// `POST /api/owner/orders/{order_id}/payment/reject`.
#[utoipa::path(post, path = "/api/owner/orders/{order_id}/payment/reject", tag = "payments",
    params(OrderPath, StoreQuery),
    request_body = RejectBody,
    responses((status = 200, description = "Rejected; the customer is told why and asked for a new screenshot", body = OrderUpdateResponse),
              (status = 400, description = "`invalid_reason`", body = ErrorBody),
              (status = 409, description = "`not_pending` or `order_changed`", body = ErrorBody)))]
pub(in crate::http::owner) async fn payment_reject(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<OrderPath>,
    body: JsonBody<RejectBody>,
) -> Result<HttpResponse, ApiError> {
    let store = ctx.store()?.id;
    let body = body.parse()?;
    let id = path.id()?;
    let u = state
        .services
        .commerce
        .reject_payment(store, id, &body.reason)
        .await?;
    Ok(HttpResponse::Ok().json(OrderUpdateResponse::from(&u)))
}

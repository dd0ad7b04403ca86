//! `/api/owner/orders`: the order list, one order with its conversation, moving an order on
//! and assigning its rider.

use actix_web::{HttpResponse, web};
use omni_domain::OrderStatus;
use serde::Deserialize;
use utoipa::ToSchema;

use super::order_views::{OrderDetailResponse, OrderListItem, OrderUpdateResponse, RiderBody};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::http::owner::auth::OwnerCtx;
use crate::http::owner::dto::ErrorBody;
use crate::http::owner::params::{OrderPath, OrderQuery, StoreQuery};
use crate::http::owner::reply;

/// `POST .../status` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusBody {
    /// `confirmed`, `preparing`, `out_for_delivery`, `delivered` or `cancelled`.
    pub status: String,
}

/// `GET /api/owner/orders`.
#[utoipa::path(get, path = "/api/owner/orders", tag = "orders",
    params(OrderQuery, StoreQuery),
    responses((status = 200, description = "Orders, newest first, each with its customer's name and phone", body = [OrderListItem]),
              (status = 400, description = "`invalid_status`", body = ErrorBody)))]
pub(in crate::http::owner) async fn orders_list(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    query: web::Query<OrderQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = query.filter()?;
    let orders = state
        .services
        .commerce
        .orders(ctx.store()?.id, &filter)
        .await?;
    Ok(reply::list::<OrderListItem, _>(&orders))
}

/// `GET /api/owner/orders/{order_id}`.
#[utoipa::path(get, path = "/api/owner/orders/{order_id}", tag = "orders",
    params(OrderPath, StoreQuery),
    responses((status = 200, description = "The order with its customer and conversation", body = OrderDetailResponse)))]
pub(in crate::http::owner) async fn order_get(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<OrderPath>,
) -> Result<HttpResponse, ApiError> {
    let id = path.id()?;
    let d = state
        .services
        .commerce
        .order_detail(ctx.store()?.id, id)
        .await?;
    Ok(HttpResponse::Ok().json(OrderDetailResponse::from(&d)))
}

/// `POST /api/owner/orders/{order_id}/status`.
#[utoipa::path(post, path = "/api/owner/orders/{order_id}/status", tag = "orders",
    params(OrderPath, StoreQuery),
    request_body = StatusBody,
    responses((status = 200, description = "Moved on; the customer is messaged", body = OrderUpdateResponse),
              (status = 400, description = "`invalid_status`", body = ErrorBody),
              (status = 409, description = "`illegal_transition` or `order_changed`", body = ErrorBody)))]
pub(in crate::http::owner) async fn order_status(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<OrderPath>,
    body: JsonBody<StatusBody>,
) -> Result<HttpResponse, ApiError> {
    let store = ctx.store()?.id;
    let body = body.parse()?;
    let id = path.id()?;
    let to: OrderStatus = body.status.parse().map_err(|_| {
        ApiError::bad_request(
            "invalid_status",
            "status must be confirmed, preparing, out_for_delivery, delivered or cancelled",
        )
    })?;
    let u = state.services.commerce.advance(store, id, to).await?;
    Ok(HttpResponse::Ok().json(OrderUpdateResponse::from(&u)))
}

/// `POST /api/owner/orders/{order_id}/rider`.
#[utoipa::path(post, path = "/api/owner/orders/{order_id}/rider", tag = "orders",
    params(OrderPath, StoreQuery),
    request_body = RiderBody,
    responses((status = 200, description = "Assigned; the customer gets the rider's name and number, the rider the order, address and pin", body = OrderUpdateResponse),
              (status = 400, description = "`invalid_name`, `invalid_phone`", body = ErrorBody),
              (status = 409, description = "`illegal_transition` or `order_changed`", body = ErrorBody)))]
pub(in crate::http::owner) async fn order_rider(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<OrderPath>,
    body: JsonBody<RiderBody>,
) -> Result<HttpResponse, ApiError> {
    let store = ctx.store()?.id;
    let body = body.parse()?;
    let id = path.id()?;
    let u = state
        .services
        .commerce
        .assign_rider(store, id, &body.name, &body.phone)
        .await?;
    Ok(HttpResponse::Ok().json(OrderUpdateResponse::from(&u)))
}

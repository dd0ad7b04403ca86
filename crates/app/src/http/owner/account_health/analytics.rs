//! `.../analytics`: per-day message, delivery, response-time and order figures of a number.

use actix_web::{HttpResponse, web};
use omni_usecases::account_health::DayAnalytics;
use serde::Serialize;
use utoipa::ToSchema;

use super::account::owned;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::owner::auth::OwnerCtx;
use crate::http::owner::dto::ErrorBody;
use crate::http::owner::params::{AccountPath, AnalyticsQuery, StoreQuery};

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

/// `GET /api/owner/whatsapp/accounts/{id}/analytics`.
#[utoipa::path(
    get, path = "/api/owner/whatsapp/accounts/{id}/analytics", tag = "health",
    params(AccountPath, StoreQuery, AnalyticsQuery),
    responses(
        (status = 200, description = "Per-day figures; money in paisa", body = AnalyticsResponse),
        (status = 400, description = "`invalid_range`", body = ErrorBody),
    )
)]
pub(in crate::http::owner) async fn analytics(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<AccountPath>,
    query: web::Query<AnalyticsQuery>,
) -> Result<HttpResponse, ApiError> {
    let account = owned(&state, &ctx, &path).await?;
    let (from, to) = query.range()?;
    let days = state
        .services
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

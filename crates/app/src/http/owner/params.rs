//! Typed path and query parameters of the owner API and Meta's callback. Each type is both what a handler
//! extracts and what its `#[utoipa::path(params(..))]` documents, so a parameter is declared
//! once. Path ids are kept as text until [`OwnerCtx`](super::OwnerCtx) has checked the caller
//! (extractors run together, so parsing one earlier could answer 404 to someone owed a 401); a
//! malformed id is then the same plain 404 as another store's.

use std::collections::HashMap;
use std::str::FromStr;

use actix_web::web;
use chrono::NaiveDate;
use omni_domain::{
    AccountId, ConversationId, MenuItemId, OrderId, OrderStatus, PaymentMethodId, PaymentStatus,
};
use omni_ports::OrderFilter;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::error::ApiError;

/// `?store_id=`: the store a request is about. [`OwnerCtx`](super::OwnerCtx) reads it through
/// [`StoreQuery::from_query`].
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StoreQuery {
    /// One of the owner's stores; default the oldest
    #[param(nullable = false)]
    pub store_id: Option<String>,
}

impl StoreQuery {
    /// The `store_id` of a query string. Given twice it is refused: the two could be read
    /// differently here and by a proxy or log in front.
    ///
    /// # Errors
    /// 400 `duplicate_parameter` when `store_id` is given more than once.
    pub fn from_query(query: &str) -> Result<Self, ApiError> {
        let pairs = web::Query::<Vec<(String, String)>>::from_query(query)
            .map(web::Query::into_inner)
            .unwrap_or_default();
        let mut given = pairs.into_iter().filter(|(k, _)| k == "store_id");
        let store_id = given.next().map(|(_, v)| v);
        if given.next().is_some() {
            return Err(ApiError::bad_request(
                "duplicate_parameter",
                "store_id is given more than once",
            ));
        }
        Ok(Self { store_id })
    }
}

/// A path id, or 404 `not_found` naming what was looked for.
fn id<T: FromStr>(raw: &str, what: &str) -> Result<T, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("no such {what} in this store")))
}

/// `{id}`: one of the store's WhatsApp accounts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AccountPath {
    /// Account id
    pub id: String,
}

impl AccountPath {
    /// The account id.
    ///
    /// # Errors
    /// 404 `not_found` when it is not an id.
    pub fn id(&self) -> Result<AccountId, ApiError> {
        id(&self.id, "account")
    }
}

/// `{id}/templates/{name}`: a template of an account.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TemplatePath {
    /// Account id
    pub id: String,
    /// Template name (every language is deleted)
    pub name: String,
}

/// `{item_id}`: a menu item.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MenuItemPath {
    /// Menu item id
    pub item_id: String,
}

impl MenuItemPath {
    /// The menu item id.
    ///
    /// # Errors
    /// 404 `not_found` when it is not an id.
    pub fn id(&self) -> Result<MenuItemId, ApiError> {
        id(&self.item_id, "menu item")
    }
}

/// `{method_id}`: a payment method.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MethodPath {
    /// Payment method id
    pub method_id: String,
}

impl MethodPath {
    /// The payment method id.
    ///
    /// # Errors
    /// 404 `not_found` when it is not an id.
    pub fn id(&self) -> Result<PaymentMethodId, ApiError> {
        id(&self.method_id, "payment method")
    }
}

/// `{order_id}`: an order.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct OrderPath {
    /// Order id
    pub order_id: String,
}

impl OrderPath {
    /// The order id.
    ///
    /// # Errors
    /// 404 `not_found` when it is not an id.
    pub fn id(&self) -> Result<OrderId, ApiError> {
        id(&self.order_id, "order")
    }
}

/// `{conversation_id}`: a conversation.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ConversationPath {
    /// Conversation id
    pub conversation_id: String,
}

impl ConversationPath {
    /// The conversation id.
    ///
    /// # Errors
    /// 404 `not_found` when it is not an id.
    pub fn id(&self) -> Result<ConversationId, ApiError> {
        id(&self.conversation_id, "conversation")
    }
}

/// `GET /api/owner/orders` filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// Comma-separated statuses
    #[param(nullable = false)]
    pub status: Option<String>,
    /// One payment status
    #[param(nullable = false)]
    pub payment_status: Option<String>,
    /// At most this many (1-200, default 50)
    #[param(nullable = false)]
    pub limit: Option<u32>,
}

impl OrderQuery {
    /// The filter these parameters ask for.
    ///
    /// # Errors
    /// 400 `invalid_status` or `invalid_payment_status` for a status that does not exist.
    pub fn filter(&self) -> Result<OrderFilter, ApiError> {
        let statuses = match &self.status {
            Some(s) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<OrderStatus>().map_err(|_| {
                        ApiError::bad_request(
                            "invalid_status",
                            "status must be cart, placed, confirmed, preparing, out_for_delivery, delivered or cancelled",
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let payment = match &self.payment_status {
            Some(p) => Some(p.parse::<PaymentStatus>().map_err(|_| {
                ApiError::bad_request(
                    "invalid_payment_status",
                    "payment_status must be unpaid, pending_verification, paid or rejected",
                )
            })?),
            None => None,
        };
        Ok(OrderFilter {
            statuses,
            payment,
            limit: self.limit.unwrap_or(50).clamp(1, 200),
        })
    }
}

/// A query string read as name to value, the last of a repeated name winning (as these
/// routes have always read it: a repeated `limit` is not refused, unlike `store_id`).
type Pairs = HashMap<String, String>;

/// `GET .../accounts/{id}/health` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(from = "Pairs")]
#[into_params(parameter_in = Query)]
pub struct HealthQuery {
    /// History entries (default 100, at most 500)
    #[param(value_type = Option<u32>, nullable = false)]
    pub history_limit: Option<String>,
}

impl From<Pairs> for HealthQuery {
    fn from(mut q: Pairs) -> Self {
        Self {
            history_limit: q.remove("history_limit"),
        }
    }
}

impl HealthQuery {
    /// How many history entries to show (the use case caps it).
    #[must_use]
    pub fn history_limit(&self) -> u32 {
        lenient(self.history_limit.as_deref(), 100)
    }
}

/// `GET .../accounts/{id}/analytics` parameters: both are required.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(from = "Pairs")]
#[into_params(parameter_in = Query)]
pub struct AnalyticsQuery {
    /// First day, YYYY-MM-DD (UTC)
    #[param(value_type = String, required = true)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (UTC, inclusive; at most 366 days after `from`)
    #[param(value_type = String, required = true)]
    pub to: Option<String>,
}

impl From<Pairs> for AnalyticsQuery {
    fn from(mut q: Pairs) -> Self {
        Self {
            from: q.remove("from"),
            to: q.remove("to"),
        }
    }
}

impl AnalyticsQuery {
    /// The first and last day.
    ///
    /// # Errors
    /// 400 `invalid_range` when a day is missing or not `YYYY-MM-DD`, or `to` is before
    /// `from` or more than 366 days after it.
    pub fn range(&self) -> Result<(NaiveDate, NaiveDate), ApiError> {
        let from = day(self.from.as_deref(), "from")?;
        let to = day(self.to.as_deref(), "to")?;
        if to < from || (to - from).num_days() > 366 {
            return Err(ApiError::bad_request(
                "invalid_range",
                "`to` must be on or after `from`, at most 366 days later",
            ));
        }
        Ok((from, to))
    }
}

fn day(raw: Option<&str>, name: &str) -> Result<NaiveDate, ApiError> {
    let raw = raw.ok_or_else(|| {
        ApiError::bad_request(
            "invalid_range",
            format!("`{name}` (YYYY-MM-DD) is required"),
        )
    })?;
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request("invalid_range", format!("`{name}` must be YYYY-MM-DD")))
}

/// `GET /api/owner/notifications` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(from = "Pairs")]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only unread ones
    #[param(value_type = Option<bool>, nullable = false)]
    pub unread: Option<String>,
    /// At most this many (default 50, at most 500)
    #[param(value_type = Option<u32>, nullable = false)]
    pub limit: Option<String>,
}

impl From<Pairs> for NotificationQuery {
    fn from(mut q: Pairs) -> Self {
        Self {
            unread: q.remove("unread"),
            limit: q.remove("limit"),
        }
    }
}

impl NotificationQuery {
    /// `unread=true` or `unread=1`.
    #[must_use]
    pub fn unread_only(&self) -> bool {
        self.unread
            .as_deref()
            .is_some_and(|v| v == "true" || v == "1")
    }

    /// How many to list (the use case caps it).
    #[must_use]
    pub fn limit(&self) -> u32 {
        lenient(self.limit.as_deref(), 50)
    }
}

/// A number from the query, or `default` when it is absent or not a number: these limits
/// have always been forgiving.
fn lenient(raw: Option<&str>, default: u32) -> u32 {
    raw.and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `GET /api/whatsapp/callback`: Meta's redirect back.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The signed state from oauth-url
    #[param(nullable = false)]
    pub state: Option<String>,
    /// Meta's authorization code
    #[param(nullable = false)]
    pub code: Option<String>,
    /// `access_denied` when the owner cancelled
    #[param(nullable = false)]
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_id_once_is_read_and_twice_is_refused() {
        let q = StoreQuery::from_query("a=1&store_id=s1").ok();
        assert_eq!(q.and_then(|q| q.store_id).as_deref(), Some("s1"));
        assert!(StoreQuery::from_query("").is_ok_and(|q| q.store_id.is_none()));
        let e = StoreQuery::from_query("store_id=a&store_id=b").err();
        assert_eq!(e.map(|e| e.code), Some("duplicate_parameter"));
    }

    #[test]
    fn a_repeated_limit_is_read_as_its_last_value() {
        let q = web::Query::<NotificationQuery>::from_query("limit=5&limit=7&unread=1").ok();
        assert_eq!(q.map(|q| (q.limit(), q.unread_only())), Some((7, true)));
        let q = web::Query::<HealthQuery>::from_query("history_limit=1&history_limit=x").ok();
        assert_eq!(q.map(|q| q.history_limit()), Some(100));
    }

    #[test]
    fn limits_forgive_garbage_and_ranges_do_not() {
        let q = HealthQuery {
            history_limit: Some("x".into()),
        };
        assert_eq!(q.history_limit(), 100);
        let q = AnalyticsQuery {
            from: Some("2026-01-02".into()),
            to: Some("2026-01-01".into()),
        };
        assert_eq!(q.range().err().map(|e| e.code), Some("invalid_range"));
        let q = OrderQuery {
            status: Some("placed, nope".into()),
            payment_status: None,
            limit: Some(0),
        };
        assert_eq!(q.filter().err().map(|e| e.code), Some("invalid_status"));
    }
}

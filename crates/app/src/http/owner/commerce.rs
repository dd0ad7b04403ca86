//! The owner's ordering API: menu, payment methods, ordering settings, orders and their
//! lifecycle, riders, the payment-verification queue and pausing the agent. Everything is in
//! the caller's store (`?store_id=`, default the oldest), whose tenant database alone is read:
//! an id of another store is a plain 404. Money goes over the wire as integer paisa, with the
//! PKR text beside it.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use omni_domain::{
    Conversation, ConversationId, Customer, MenuItem, MenuItemId, Message, Money, Order, OrderId,
    OrderStatus, PaymentMethod, PaymentMethodId, PaymentMethodKind, PaymentStatus, StoreSettings,
    TemplateRef,
};
use omni_ports::OrderFilter;
use omni_usecases::{
    CommerceError, ListedOrder, MenuItemInput, Notice, OrderDetail, OrderUpdate, PaymentMethodInput,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::OwnerCtx;
use super::dto::ErrorBody;
use crate::http::ApiError;
use crate::startup::AppState;

impl From<CommerceError> for ApiError {
    fn from(e: CommerceError) -> Self {
        match e {
            CommerceError::NotFound(what) => {
                Self::not_found(format!("no such {what} in this store"))
            }
            CommerceError::Invalid { code, message } => Self::bad_request(code, message),
            CommerceError::Conflict { code, message } => Self::conflict(code, message),
            CommerceError::Repo(e) => e.into(),
            CommerceError::Media(e) => {
                tracing::error!(error = %e, "media store unavailable");
                Self::unavailable("the media store is unavailable; retry shortly")
            }
        }
    }
}

/// The body, parsed after the owner and store checks: actix polls a handler's extractors
/// together, so a `Json` extractor could answer 400 to a caller who should get 401 or 404.
fn json_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(
            "bad_request",
            format!("the body is not the expected JSON: {e}"),
        )
    })
}

fn parse_id<T: std::str::FromStr>(raw: &str, what: &str) -> Result<T, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("no such {what} in this store")))
}

// --- Bodies ---------------------------------------------------------------------------------

/// An amount: integer paisa and its PKR text.
#[derive(Debug, Serialize, ToSchema)]
pub struct Amount {
    /// Minor units (paisa for PKR).
    pub paisa: i64,
    /// As shown to people ("Rs 1,250").
    pub display: String,
}

impl From<Money> for Amount {
    fn from(m: Money) -> Self {
        Self {
            paisa: m.minor(),
            display: m.to_string(),
        }
    }
}

fn amount(m: Result<Money, omni_domain::MoneyError>) -> Amount {
    m.map_or(
        Amount {
            paisa: 0,
            display: "?".into(),
        },
        Amount::from,
    )
}

/// A priced variant.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VariantBody {
    /// Name ("Large").
    pub name: String,
    /// Price in paisa.
    pub price_paisa: i64,
}

/// A menu item to create or replace.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MenuItemBody {
    /// 1 to 80 characters.
    pub name: String,
    /// Up to 300 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// Up to 60 characters ("Burgers").
    #[serde(default)]
    pub category: Option<String>,
    /// Price in paisa (Rs 650 = 65000); with variants, ignored (the first variant's is used).
    pub price_paisa: i64,
    /// Up to 10 variants with their own prices.
    #[serde(default)]
    pub variants: Vec<VariantBody>,
    /// Can be ordered now (default true).
    #[serde(default = "yes")]
    pub available: bool,
}

const fn yes() -> bool {
    true
}

/// A menu item.
#[derive(Debug, Serialize, ToSchema)]
pub struct MenuItemResponse {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Price.
    pub price: Amount,
    /// Variants.
    pub variants: Vec<VariantBody>,
    /// Can be ordered now.
    pub available: bool,
}

impl From<&MenuItem> for MenuItemResponse {
    fn from(m: &MenuItem) -> Self {
        Self {
            id: m.id.to_string(),
            name: m.name.clone(),
            description: m.description.clone(),
            category: m.category.clone(),
            price: m.price.into(),
            variants: m
                .variants
                .iter()
                .map(|v| VariantBody {
                    name: v.name.clone(),
                    price_paisa: v.price.minor(),
                })
                .collect(),
            available: m.available,
        }
    }
}

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

/// One order line.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderLine {
    /// The menu item.
    pub menu_item_id: String,
    /// Its name when ordered.
    pub name: String,
    /// Variant.
    pub variant: Option<String>,
    /// How many.
    pub quantity: u32,
    /// Unit price.
    pub unit_price: Amount,
    /// Quantity × unit price.
    pub line_total: Amount,
}

/// A location pin.
#[derive(Debug, Serialize, ToSchema)]
pub struct PinBody {
    /// Latitude.
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
    /// Place name.
    pub name: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Google Maps link.
    pub maps_url: String,
}

/// A rider.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RiderBody {
    /// Name.
    pub name: String,
    /// WhatsApp number (E.164 or local Pakistani format).
    pub phone: String,
}

/// An order.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderResponse {
    /// Id.
    pub id: String,
    /// Short reference customers see ("#A1B2C3").
    pub reference: String,
    /// `cart`, `placed`, `confirmed`, `preparing`, `out_for_delivery`, `delivered`,
    /// `cancelled`.
    pub status: String,
    /// `unpaid`, `pending_verification`, `paid`, `rejected`.
    pub payment_status: String,
    /// Chosen payment method.
    pub payment_method_id: Option<String>,
    /// Why the last proof was rejected.
    pub payment_rejection_reason: Option<String>,
    /// Whether a payment screenshot is stored (fetch it at `.../payment-proof`).
    pub has_payment_proof: bool,
    /// Another order whose screenshot had the same bytes: a possible reuse.
    pub possible_proof_reuse_of: Option<String>,
    /// Lines.
    pub items: Vec<OrderLine>,
    /// Lines' sum.
    pub subtotal: Amount,
    /// Delivery fee.
    pub delivery_fee: Amount,
    /// What the customer pays.
    pub total: Amount,
    /// Typed address.
    pub delivery_address: Option<String>,
    /// Shared pin.
    pub delivery_location: Option<PinBody>,
    /// Assigned rider.
    pub rider: Option<RiderBody>,
    /// Customer.
    pub customer_id: String,
    /// Conversation.
    pub conversation_id: Option<String>,
    /// The number it came through.
    pub account_id: Option<String>,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last changed (RFC 3339).
    pub updated_at: String,
}

impl From<&Order> for OrderResponse {
    fn from(o: &Order) -> Self {
        Self {
            id: o.id.to_string(),
            reference: o.reference(),
            status: o.status().as_str().to_owned(),
            payment_status: o.payment.status().as_str().to_owned(),
            payment_method_id: o.payment.method_id().map(|m| m.to_string()),
            payment_rejection_reason: o.payment.rejection_reason().map(str::to_owned),
            has_payment_proof: o.payment.proof_path().is_some(),
            possible_proof_reuse_of: o.proof_reuse_of.map(|r| r.to_string()),
            items: o
                .items
                .iter()
                .map(|i| OrderLine {
                    menu_item_id: i.menu_item_id.to_string(),
                    name: i.name.clone(),
                    variant: i.variant.clone(),
                    quantity: i.quantity,
                    unit_price: i.unit_price.into(),
                    line_total: amount(i.unit_price.checked_mul(i.quantity)),
                })
                .collect(),
            subtotal: amount(o.subtotal()),
            delivery_fee: o.delivery_fee.into(),
            total: amount(o.total()),
            delivery_address: o.delivery_address.clone(),
            delivery_location: o.delivery_location.as_ref().map(|p| PinBody {
                latitude: p.latitude,
                longitude: p.longitude,
                name: p.name.clone(),
                address: p.address.clone(),
                maps_url: p.maps_url(),
            }),
            rider: o.rider.as_ref().map(|r| RiderBody {
                name: r.name.clone(),
                phone: r.phone.as_str().to_owned(),
            }),
            customer_id: o.customer_id.to_string(),
            conversation_id: o.conversation_id.map(|c| c.to_string()),
            account_id: o.account_id.map(|a| a.to_string()),
            created_at: o.created_at.to_rfc3339(),
            updated_at: o.updated_at.to_rfc3339(),
        }
    }
}

/// An order in a list: every field of an order, and who ordered (so a list needs no second
/// request per order).
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderListItem {
    /// The order's fields.
    #[serde(flatten)]
    pub order: OrderResponse,
    /// Customer's name as WhatsApp gave it (null when they share none).
    pub customer_name: Option<String>,
    /// Customer's phone (E.164).
    pub customer_phone: Option<String>,
}

impl From<&ListedOrder> for OrderListItem {
    fn from(l: &ListedOrder) -> Self {
        let (name, phone) = customer_fields(l.customer.as_ref());
        Self {
            order: (&l.order).into(),
            customer_name: name,
            customer_phone: phone,
        }
    }
}

/// A customer's name and E.164 phone, as the API shows them.
fn customer_fields(c: Option<&Customer>) -> (Option<String>, Option<String>) {
    (
        c.and_then(|c| c.name.clone()),
        c.and_then(|c| c.phone.as_ref().map(|p| p.as_str().to_owned())),
    )
}

/// A message of a conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageResponse {
    /// Id.
    pub id: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// Type (`text`, `image`, `audio`, ...).
    pub kind: String,
    /// Text, caption or transcript, when any.
    pub text: Option<String>,
    /// Outbound delivery status.
    pub status: Option<String>,
    /// Sent or received (RFC 3339).
    pub created_at: String,
}

impl From<&Message> for MessageResponse {
    fn from(m: &Message) -> Self {
        use omni_domain::MessageBody as B;
        let text = match &m.body {
            B::Text { body } => Some(body.clone()),
            B::Image { caption, .. } | B::Video { caption, .. } => caption.clone(),
            B::Interactive { title, .. } => Some(title.clone()),
            B::Audio { .. } => m.transcript.clone(),
            B::Location { name, address, .. } => address.clone().or_else(|| name.clone()),
            _ => None,
        };
        Self {
            id: m.id.to_string(),
            direction: m.direction.as_str().to_owned(),
            kind: m.body.kind().to_owned(),
            text,
            status: m.status.map(|s| s.as_str().to_owned()),
            created_at: m.created_at.to_rfc3339(),
        }
    }
}

/// An order with its customer and conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderDetailResponse {
    /// The order.
    pub order: OrderResponse,
    /// Customer's name.
    pub customer_name: Option<String>,
    /// Customer's phone (E.164).
    pub customer_phone: Option<String>,
    /// Whether the agent is paused in this conversation.
    pub agent_paused: bool,
    /// The conversation's last 50 messages, oldest first.
    pub messages: Vec<MessageResponse>,
}

impl From<&OrderDetail> for OrderDetailResponse {
    fn from(d: &OrderDetail) -> Self {
        let (customer_name, customer_phone) = customer_fields(d.customer.as_ref());
        Self {
            order: (&d.order).into(),
            customer_name,
            customer_phone,
            agent_paused: d.conversation.as_ref().is_some_and(|c| c.agent_paused),
            messages: d.messages.iter().map(MessageResponse::from).collect(),
        }
    }
}

/// An order after an owner action, and who was messaged.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderUpdateResponse {
    /// The order as saved.
    pub order: OrderResponse,
    /// `queued`, `outside_window` (their 24-hour window is closed), `no_number`,
    /// `no_recipient`.
    pub customer_notified: String,
    /// Rider assignment: the rider's message, the same values.
    pub rider_notified: Option<String>,
}

fn notice(n: Notice) -> String {
    match n {
        Notice::Queued => "queued",
        Notice::OutsideWindow => "outside_window",
        Notice::NoNumber => "no_number",
        Notice::NoRecipient => "no_recipient",
    }
    .to_owned()
}

impl From<&OrderUpdate> for OrderUpdateResponse {
    fn from(u: &OrderUpdate) -> Self {
        Self {
            order: (&u.order).into(),
            customer_notified: notice(u.customer),
            rider_notified: u.rider.map(notice),
        }
    }
}

/// A conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationResponse {
    /// Id.
    pub id: String,
    /// Customer.
    pub customer_id: String,
    /// The store's number.
    pub account_id: String,
    /// The agent's state label.
    pub state: String,
    /// The owner took over: the agent sends nothing.
    pub agent_paused: bool,
    /// The customer's last message (RFC 3339).
    pub last_inbound_at: Option<String>,
    /// Last activity (RFC 3339).
    pub updated_at: String,
}

impl From<&Conversation> for ConversationResponse {
    fn from(c: &Conversation) -> Self {
        Self {
            id: c.id.to_string(),
            customer_id: c.customer_id.to_string(),
            account_id: c.account_id.to_string(),
            state: c.state.clone(),
            agent_paused: c.agent_paused,
            last_inbound_at: c.last_inbound_at.map(|t| t.to_rfc3339()),
            updated_at: c.updated_at.to_rfc3339(),
        }
    }
}

/// `POST .../status` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusBody {
    /// `confirmed`, `preparing`, `out_for_delivery`, `delivered` or `cancelled`.
    pub status: String,
}

/// `POST .../payment/reject` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RejectBody {
    /// Why (the customer is told): 1 to 300 characters.
    pub reason: String,
}

/// Order list filters.
#[derive(Debug, Deserialize)]
pub struct OrderQuery {
    /// Comma-separated statuses.
    pub status: Option<String>,
    /// One payment status.
    pub payment_status: Option<String>,
    /// At most this many (1-200, default 50).
    pub limit: Option<u32>,
}

// --- Menu -----------------------------------------------------------------------------------

fn menu_input(b: &MenuItemBody) -> MenuItemInput {
    MenuItemInput {
        name: b.name.clone(),
        description: b.description.clone(),
        category: b.category.clone(),
        price_paisa: b.price_paisa,
        variants: b
            .variants
            .iter()
            .map(|v| (v.name.clone(), v.price_paisa))
            .collect(),
        available: b.available,
    }
}

/// `GET /api/owner/menu`.
#[utoipa::path(get, path = "/api/owner/menu", tag = "menu", security(("bearer" = [])),
    params(("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    responses((status = 200, description = "The menu by category, then name", body = [MenuItemResponse]),
              (status = 401, description = "`unauthorized`", body = ErrorBody),
              (status = 404, description = "`not_found`", body = ErrorBody)))]
pub(super) async fn menu_list(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let items = state.commerce.menu(ctx.store()?.id).await?;
    Ok(HttpResponse::Ok().json(items.iter().map(MenuItemResponse::from).collect::<Vec<_>>()))
}

/// `POST /api/owner/menu`.
#[utoipa::path(post, path = "/api/owner/menu", tag = "menu", security(("bearer" = [])),
    params(("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    request_body = MenuItemBody,
    responses((status = 201, description = "Created", body = MenuItemResponse),
              (status = 400, description = "`invalid_name`, `invalid_price`, `invalid_variants`, ...", body = ErrorBody),
              (status = 401, description = "`unauthorized`", body = ErrorBody),
              (status = 404, description = "`not_found`", body = ErrorBody)))]
pub(super) async fn menu_create(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    ctx.store()?;
    let body: MenuItemBody = json_body(&body)?;
    let item = state
        .commerce
        .add_menu_item(ctx.store()?.id, &menu_input(&body))
        .await?;
    Ok(HttpResponse::Created().json(MenuItemResponse::from(&item)))
}

/// `PUT /api/owner/menu/{item_id}`.
#[utoipa::path(put, path = "/api/owner/menu/{item_id}", tag = "menu", security(("bearer" = [])),
    params(("item_id" = String, Path, description = "Menu item id"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    request_body = MenuItemBody,
    responses((status = 200, description = "Replaced", body = MenuItemResponse),
              (status = 400, description = "Invalid field", body = ErrorBody),
              (status = 404, description = "`not_found`", body = ErrorBody)))]
pub(super) async fn menu_update(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    ctx.store()?;
    let body: MenuItemBody = json_body(&body)?;
    let id: MenuItemId = parse_id(&id, "menu item")?;
    let item = state
        .commerce
        .update_menu_item(ctx.store()?.id, id, &menu_input(&body))
        .await?;
    Ok(HttpResponse::Ok().json(MenuItemResponse::from(&item)))
}

/// `DELETE /api/owner/menu/{item_id}`.
#[utoipa::path(delete, path = "/api/owner/menu/{item_id}", tag = "menu", security(("bearer" = [])),
    params(("item_id" = String, Path, description = "Menu item id"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    responses((status = 204, description = "Deleted (orders keep their lines)"),
              (status = 404, description = "`not_found`", body = ErrorBody)))]
pub(super) async fn menu_delete(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: MenuItemId = parse_id(&id, "menu item")?;
    state.commerce.delete_menu_item(ctx.store()?.id, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

// --- Payment methods --------------------------------------------------------------------------

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
#[utoipa::path(get, path = "/api/owner/payment-methods", tag = "payments", security(("bearer" = [])),
    params(("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    responses((status = 200, description = "Payment methods, oldest first", body = [PaymentMethodResponse]),
              (status = 404, description = "`not_found`", body = ErrorBody)))]
pub(super) async fn methods_list(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let methods = state.commerce.payment_methods(ctx.store()?.id).await?;
    Ok(HttpResponse::Ok().json(
        methods
            .iter()
            .map(PaymentMethodResponse::from)
            .collect::<Vec<_>>(),
    ))
}

/// `POST /api/owner/payment-methods`.
#[utoipa::path(post, path = "/api/owner/payment-methods", tag = "payments", security(("bearer" = [])),
    params(("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    request_body = PaymentMethodBody,
    responses((status = 201, description = "Created", body = PaymentMethodResponse),
              (status = 400, description = "`invalid_kind`, `invalid_label`, `invalid_details`", body = ErrorBody),
              (status = 404, description = "`not_found`", body = ErrorBody)))]
pub(super) async fn methods_create(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    ctx.store()?;
    let body: PaymentMethodBody = json_body(&body)?;
    let m = state
        .commerce
        .add_payment_method(ctx.store()?.id, &method_input(&body)?)
        .await?;
    Ok(HttpResponse::Created().json(PaymentMethodResponse::from(&m)))
}

/// `PUT /api/owner/payment-methods/{method_id}`.
#[utoipa::path(put, path = "/api/owner/payment-methods/{method_id}", tag = "payments", security(("bearer" = [])),
    params(("method_id" = String, Path, description = "Payment method id"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    request_body = PaymentMethodBody,
    responses((status = 200, description = "Replaced", body = PaymentMethodResponse),
              (status = 400, description = "Invalid field", body = ErrorBody),
              (status = 404, description = "`not_found`", body = ErrorBody)))]
pub(super) async fn methods_update(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    ctx.store()?;
    let body: PaymentMethodBody = json_body(&body)?;
    let id: PaymentMethodId = parse_id(&id, "payment method")?;
    let m = state
        .commerce
        .update_payment_method(ctx.store()?.id, id, &method_input(&body)?)
        .await?;
    Ok(HttpResponse::Ok().json(PaymentMethodResponse::from(&m)))
}

/// `DELETE /api/owner/payment-methods/{method_id}`.
#[utoipa::path(delete, path = "/api/owner/payment-methods/{method_id}", tag = "payments", security(("bearer" = [])),
    params(("method_id" = String, Path, description = "Payment method id"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    responses((status = 204, description = "Deleted"),
              (status = 404, description = "`not_found`", body = ErrorBody)))]
pub(super) async fn methods_delete(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: PaymentMethodId = parse_id(&id, "payment method")?;
    state
        .commerce
        .delete_payment_method(ctx.store()?.id, id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

// --- Settings -------------------------------------------------------------------------------

/// `GET /api/owner/ordering-settings`.
#[utoipa::path(get, path = "/api/owner/ordering-settings", tag = "orders", security(("bearer" = [])),
    params(("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    responses((status = 200, description = "Delivery fee, minimum order, voice replies, rider template", body = SettingsBody),
              (status = 404, description = "`not_found`", body = ErrorBody)))]
pub(super) async fn settings_get(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let s = state.commerce.settings(ctx.store()?.id).await?;
    Ok(HttpResponse::Ok().json(SettingsBody::from(&s)))
}

/// `PUT /api/owner/ordering-settings`.
#[utoipa::path(put, path = "/api/owner/ordering-settings", tag = "orders", security(("bearer" = [])),
    params(("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    request_body = SettingsBody,
    responses((status = 200, description = "Saved", body = SettingsBody),
              (status = 400, description = "`invalid_price`, `invalid_template`", body = ErrorBody),
              (status = 404, description = "`not_found`", body = ErrorBody)))]
pub(super) async fn settings_put(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    ctx.store()?;
    let body: SettingsBody = json_body(&body)?;
    let s = state
        .commerce
        .set_settings(
            ctx.store()?.id,
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

// --- Orders ---------------------------------------------------------------------------------

/// `GET /api/owner/orders`.
#[utoipa::path(get, path = "/api/owner/orders", tag = "orders", security(("bearer" = [])),
    params(("status" = Option<String>, Query, description = "Comma-separated statuses"),
           ("payment_status" = Option<String>, Query, description = "One payment status"),
           ("limit" = Option<u32>, Query, description = "At most this many (1-200, default 50)"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    responses((status = 200, description = "Orders, newest first, each with its customer's name and phone", body = [OrderListItem]),
              (status = 400, description = "`invalid_status`", body = ErrorBody),
              (status = 404, description = "`not_found`", body = ErrorBody)))]
pub(super) async fn orders_list(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    query: web::Query<OrderQuery>,
) -> Result<HttpResponse, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "invalid_status",
            "status must be cart, placed, confirmed, preparing, out_for_delivery, delivered or cancelled",
        )
    };
    let statuses = match &query.status {
        Some(s) => s
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().parse::<OrderStatus>().map_err(|_| bad()))
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    let payment = match &query.payment_status {
        Some(p) => Some(p.parse::<PaymentStatus>().map_err(|_| {
            ApiError::bad_request(
                "invalid_payment_status",
                "payment_status must be unpaid, pending_verification, paid or rejected",
            )
        })?),
        None => None,
    };
    let filter = OrderFilter {
        statuses,
        payment,
        limit: query.limit.unwrap_or(50).clamp(1, 200),
    };
    let orders = state.commerce.orders(ctx.store()?.id, &filter).await?;
    Ok(HttpResponse::Ok().json(orders.iter().map(OrderListItem::from).collect::<Vec<_>>()))
}

/// `GET /api/owner/orders/{order_id}`.
#[utoipa::path(get, path = "/api/owner/orders/{order_id}", tag = "orders", security(("bearer" = [])),
    params(("order_id" = String, Path, description = "Order id"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    responses((status = 200, description = "The order with its customer and conversation", body = OrderDetailResponse),
              (status = 404, description = "`not_found`", body = ErrorBody)))]
pub(super) async fn order_get(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: OrderId = parse_id(&id, "order")?;
    let d = state.commerce.order_detail(ctx.store()?.id, id).await?;
    Ok(HttpResponse::Ok().json(OrderDetailResponse::from(&d)))
}

/// `POST /api/owner/orders/{order_id}/status`.
#[utoipa::path(post, path = "/api/owner/orders/{order_id}/status", tag = "orders", security(("bearer" = [])),
    params(("order_id" = String, Path, description = "Order id"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    request_body = StatusBody,
    responses((status = 200, description = "Moved on; the customer is messaged", body = OrderUpdateResponse),
              (status = 400, description = "`invalid_status`", body = ErrorBody),
              (status = 404, description = "`not_found`", body = ErrorBody),
              (status = 409, description = "`illegal_transition` or `order_changed`", body = ErrorBody)))]
pub(super) async fn order_status(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    ctx.store()?;
    let body: StatusBody = json_body(&body)?;
    let id: OrderId = parse_id(&id, "order")?;
    let to: OrderStatus = body.status.parse().map_err(|_| {
        ApiError::bad_request(
            "invalid_status",
            "status must be confirmed, preparing, out_for_delivery, delivered or cancelled",
        )
    })?;
    let u = state.commerce.advance(ctx.store()?.id, id, to).await?;
    Ok(HttpResponse::Ok().json(OrderUpdateResponse::from(&u)))
}

/// `POST /api/owner/orders/{order_id}/rider`.
#[utoipa::path(post, path = "/api/owner/orders/{order_id}/rider", tag = "orders", security(("bearer" = [])),
    params(("order_id" = String, Path, description = "Order id"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    request_body = RiderBody,
    responses((status = 200, description = "Assigned; the customer gets the rider's name and number, the rider the order, address and pin", body = OrderUpdateResponse),
              (status = 400, description = "`invalid_name`, `invalid_phone`", body = ErrorBody),
              (status = 404, description = "`not_found`", body = ErrorBody),
              (status = 409, description = "`illegal_transition` or `order_changed`", body = ErrorBody)))]
pub(super) async fn order_rider(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    ctx.store()?;
    let body: RiderBody = json_body(&body)?;
    let id: OrderId = parse_id(&id, "order")?;
    let u = state
        .commerce
        .assign_rider(ctx.store()?.id, id, &body.name, &body.phone)
        .await?;
    Ok(HttpResponse::Ok().json(OrderUpdateResponse::from(&u)))
}

// --- Payment verification -------------------------------------------------------------------

/// `GET /api/owner/payments/pending`.
#[utoipa::path(get, path = "/api/owner/payments/pending", tag = "payments", security(("bearer" = [])),
    params(("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    responses((status = 200, description = "Orders whose payment screenshot waits for the owner, oldest first; `possible_proof_reuse_of` flags a screenshot already used", body = [OrderListItem]),
              (status = 404, description = "`not_found`", body = ErrorBody)))]
pub(super) async fn payments_pending(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let orders = state
        .commerce
        .pending_verifications(ctx.store()?.id)
        .await?;
    Ok(HttpResponse::Ok().json(orders.iter().map(OrderListItem::from).collect::<Vec<_>>()))
}

/// `GET /api/owner/orders/{order_id}/payment-proof`.
#[utoipa::path(get, path = "/api/owner/orders/{order_id}/payment-proof", tag = "payments", security(("bearer" = [])),
    params(("order_id" = String, Path, description = "Order id"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    responses((status = 200, description = "The screenshot's bytes (image/jpeg, image/png, application/pdf, ...)"),
              (status = 404, description = "`not_found`: no such order or no proof", body = ErrorBody),
              (status = 503, description = "`unavailable`: the media store is down", body = ErrorBody)))]
pub(super) async fn payment_proof(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: OrderId = parse_id(&id, "order")?;
    let object = state.commerce.proof(ctx.store()?.id, id).await?;
    Ok(HttpResponse::Ok()
        .content_type(object.content_type)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header(("x-content-type-options", "nosniff"))
        .body(object.bytes))
}

/// `POST /api/owner/orders/{order_id}/payment/approve`.
#[utoipa::path(post, path = "/api/owner/orders/{order_id}/payment/approve", tag = "payments", security(("bearer" = [])),
    params(("order_id" = String, Path, description = "Order id"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    responses((status = 200, description = "Paid; a placed order is confirmed; the customer is told", body = OrderUpdateResponse),
              (status = 404, description = "`not_found`", body = ErrorBody),
              (status = 409, description = "`not_pending` or `order_changed`", body = ErrorBody)))]
pub(super) async fn payment_approve(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: OrderId = parse_id(&id, "order")?;
    let u = state.commerce.approve_payment(ctx.store()?.id, id).await?;
    Ok(HttpResponse::Ok().json(OrderUpdateResponse::from(&u)))
}

/// `POST /api/owner/orders/{order_id}/payment/reject`.
#[utoipa::path(post, path = "/api/owner/orders/{order_id}/payment/reject", tag = "payments", security(("bearer" = [])),
    params(("order_id" = String, Path, description = "Order id"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    request_body = RejectBody,
    responses((status = 200, description = "Rejected; the customer is told why and asked for a new screenshot", body = OrderUpdateResponse),
              (status = 400, description = "`invalid_reason`", body = ErrorBody),
              (status = 404, description = "`not_found`", body = ErrorBody),
              (status = 409, description = "`not_pending` or `order_changed`", body = ErrorBody)))]
pub(super) async fn payment_reject(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    ctx.store()?;
    let body: RejectBody = json_body(&body)?;
    let id: OrderId = parse_id(&id, "order")?;
    let u = state
        .commerce
        .reject_payment(ctx.store()?.id, id, &body.reason)
        .await?;
    Ok(HttpResponse::Ok().json(OrderUpdateResponse::from(&u)))
}

// --- Conversations --------------------------------------------------------------------------

/// `GET /api/owner/conversations`.
#[utoipa::path(get, path = "/api/owner/conversations", tag = "orders", security(("bearer" = [])),
    params(("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    responses((status = 200, description = "The 100 most recently active conversations", body = [ConversationResponse]),
              (status = 404, description = "`not_found`", body = ErrorBody)))]
pub(super) async fn conversations_list(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let list = state.commerce.conversations(ctx.store()?.id, 100).await?;
    Ok(HttpResponse::Ok().json(
        list.iter()
            .map(ConversationResponse::from)
            .collect::<Vec<_>>(),
    ))
}

async fn set_paused(
    ctx: &OwnerCtx,
    state: &AppState,
    id: &str,
    paused: bool,
) -> Result<HttpResponse, ApiError> {
    let id: ConversationId = parse_id(id, "conversation")?;
    let c = state
        .commerce
        .set_agent_paused(ctx.store()?.id, id, paused)
        .await?;
    Ok(HttpResponse::Ok().json(ConversationResponse::from(&c)))
}

/// `POST /api/owner/conversations/{conversation_id}/pause`.
#[utoipa::path(post, path = "/api/owner/conversations/{conversation_id}/pause", tag = "orders", security(("bearer" = [])),
    params(("conversation_id" = String, Path, description = "Conversation id"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    responses((status = 200, description = "The agent sends nothing in this conversation until resumed", body = ConversationResponse),
              (status = 404, description = "`not_found`", body = ErrorBody)))]
pub(super) async fn conversation_pause(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_paused(&ctx, &state, &id, true).await
}

/// `POST /api/owner/conversations/{conversation_id}/resume`.
#[utoipa::path(post, path = "/api/owner/conversations/{conversation_id}/resume", tag = "orders", security(("bearer" = [])),
    params(("conversation_id" = String, Path, description = "Conversation id"),
           ("store_id" = Option<String>, Query, description = "One of the owner's stores; default the oldest")),
    responses((status = 200, description = "The agent answers again", body = ConversationResponse),
              (status = 404, description = "`not_found`", body = ErrorBody)))]
pub(super) async fn conversation_resume(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_paused(&ctx, &state, &id, false).await
}

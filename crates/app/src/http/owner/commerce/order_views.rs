//! How an order looks on the wire, shared by the order and payment sections: its lines, pin,
//! rider, customer and conversation, and what an owner action did.

use omni_domain::{Customer, Message, Order};
use omni_usecases::{ListedOrder, Notice, OrderDetail, OrderUpdate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::wire::{Amount, amount};

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

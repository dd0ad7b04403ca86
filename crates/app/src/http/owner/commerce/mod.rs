//! The owner's ordering API: menu, payment methods, ordering settings, orders and their
//! lifecycle, riders, the payment-verification queue and pausing the agent, one section per
//! file with its own bodies. Everything is in the caller's store (`?store_id=`, default the
//! oldest), whose tenant database alone is read: an id of another store is a plain 404. Money
//! goes over the wire as integer paisa, with the PKR text beside it.

mod conversations;
mod menu;
mod order_views;
mod orders;
mod payment_methods;
mod payments;
mod settings;
mod wire;

pub(super) use conversations::{conversation_pause, conversation_resume, conversations_list};
pub(super) use menu::{menu_create, menu_delete, menu_list, menu_update};
pub(super) use orders::{order_get, order_rider, order_status, orders_list};
pub(super) use payment_methods::{methods_create, methods_delete, methods_list, methods_update};
pub(super) use payments::{payment_approve, payment_proof, payment_reject, payments_pending};
pub(super) use settings::{settings_get, settings_put};

use utoipa::OpenApi;

/// The ordering part of the OpenAPI document (merged into the main one).
#[derive(Debug, OpenApi)]
#[openapi(
    paths(
        menu::menu_list,
        menu::menu_create,
        menu::menu_update,
        menu::menu_delete,
        payment_methods::methods_list,
        payment_methods::methods_create,
        payment_methods::methods_update,
        payment_methods::methods_delete,
        settings::settings_get,
        settings::settings_put,
        orders::orders_list,
        orders::order_get,
        orders::order_status,
        orders::order_rider,
        payments::payments_pending,
        payments::payment_proof,
        payments::payment_approve,
        payments::payment_reject,
        conversations::conversations_list,
        conversations::conversation_pause,
        conversations::conversation_resume,
    ),
    components(schemas(
        wire::Amount,
        menu::VariantBody,
        menu::MenuItemBody,
        menu::MenuItemResponse,
        payment_methods::PaymentMethodBody,
        payment_methods::PaymentMethodResponse,
        settings::TemplateBody,
        settings::SettingsBody,
        order_views::OrderLine,
        order_views::PinBody,
        order_views::RiderBody,
        order_views::OrderResponse,
        order_views::OrderListItem,
        order_views::MessageResponse,
        order_views::OrderDetailResponse,
        order_views::OrderUpdateResponse,
        conversations::ConversationResponse,
        orders::StatusBody,
        payments::RejectBody,
    ))
)]
pub struct CommerceDoc;

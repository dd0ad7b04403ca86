//! Riders: assigning one to an order, and telling the customer and the rider.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use omni_domain::{
    Order, OrderId, OrderStatus, PhoneNumber, Rider, Store, StoreId, StoreSettings, WhatsappAccount,
};
use omni_ports::meta::{
    OutboundContent, Recipient, TemplateComponent, TemplateComponentKind, TemplateParameter,
};

use super::orders::{Notice, OrderUpdate};
use super::service::{Commerce, CommerceError, check_len, conflict, invalid};
use crate::agent::text;
use crate::conversation::window_end_after;
use crate::outbound::{SendOptions, WhatsAppService};

impl Commerce {
    /// Assigns a rider: the customer gets the rider's name and number; the rider gets the
    /// order, the address and the pin (free-form inside the rider's own 24-hour window with
    /// the store, else the store's rider template).
    ///
    /// # Errors
    /// `Invalid` name or phone; `NotFound`; `Conflict` `illegal_transition` (delivered or
    /// cancelled) or `order_changed`.
    pub async fn assign_rider(
        &self,
        store: StoreId,
        id: OrderId,
        name: &str,
        phone: &str,
    ) -> Result<OrderUpdate, CommerceError> {
        let name = check_len("invalid_name", "name", name, 1, 80)?;
        let phone =
            PhoneNumber::parse(phone).map_err(|e| invalid("invalid_phone", e.to_string()))?;
        let s = self.store(store).await?;
        let before = self.order(store, id).await?;
        if before.status().is_final() || before.status() == OrderStatus::Cart {
            return Err(conflict(
                "illegal_transition",
                format!("a rider cannot be assigned to a {} order", before.status()),
            ));
        }
        let rider = Rider { name, phone };
        let mut order = before.clone();
        order.rider = Some(rider.clone());
        order.updated_at = self.clock.now();
        let body = text::rider_for_customer(&order, &rider);
        let (order, customer) = self.save_and_tell(&s, &before, order, body).await?;
        let rider_notice = self.tell_rider(&s, &order, &rider).await?;
        Ok(OrderUpdate {
            order,
            customer,
            rider: Some(rider_notice),
        })
    }

    pub(super) async fn tell_rider(
        &self,
        store: &Store,
        order: &Order,
        rider: &Rider,
    ) -> Result<Notice, CommerceError> {
        let now = self.clock.now();
        let Some(account) = self.sender(store, order.account_id).await? else {
            return Ok(Notice::NoNumber);
        };
        let service = WhatsAppService::for_account(
            Arc::clone(&self.outbox),
            Arc::clone(&self.clock),
            &account,
        )
        .map_err(|e| conflict("number_unavailable", e.to_string()))?;
        let window_ends = self.rider_window_ends(store, &account, rider).await?;
        let customer = self.customer_line(store, order).await?;
        let to = Recipient::Phone(rider.phone.as_str().to_owned());
        let key = format!("rider:{}:{}", order.id, rider.phone.as_str());
        if window_ends.is_some_and(|w| now < w) {
            let options = |suffix: &str| SendOptions {
                idempotency_key: Some(format!("{key}:{suffix}")),
                window_ends_at: window_ends,
                tenant_message_id: None,
                reply_to: None,
            };
            service
                .send(
                    to.clone(),
                    OutboundContent::Text {
                        body: text::order_for_rider(order, &customer),
                        preview_url: false,
                    },
                    options("text"),
                )
                .await
                .map_err(|e| conflict("send_failed", e.to_string()))?;
            if let Some(pin) = &order.delivery_location {
                service
                    .send(
                        to,
                        OutboundContent::Location {
                            latitude: pin.latitude,
                            longitude: pin.longitude,
                            name: pin.name.clone(),
                            address: pin.address.clone(),
                        },
                        options("pin"),
                    )
                    .await
                    .map_err(|e| conflict("send_failed", e.to_string()))?;
            }
            return Ok(Notice::Queued);
        }
        self.tell_rider_by_template(store, order, &service, to, &key)
            .await
    }

    /// When the rider's own window with `account` closes, if they ever wrote to it.
    async fn rider_window_ends(
        &self,
        store: &Store,
        account: &WhatsappAccount,
        rider: &Rider,
    ) -> Result<Option<DateTime<Utc>>, CommerceError> {
        let wa_id = rider.phone.as_str().trim_start_matches('+');
        let last_inbound = match self
            .commerce
            .find_customer_by_wa_id(store.id, wa_id)
            .await?
        {
            Some(c) => self
                .tenants
                .find_conversation(store.id, c.id, account.id)
                .await?
                .and_then(|c| c.last_inbound_at()),
            None => None,
        };
        Ok(last_inbound.map(window_end_after))
    }

    /// The order's customer for the rider: name and number on one line (empty if unknown).
    async fn customer_line(&self, store: &Store, order: &Order) -> Result<String, CommerceError> {
        Ok(self
            .tenants
            .find_customer(store.id, order.customer_id)
            .await?
            .map(|c| {
                let phone = c.phone.map(|p| p.as_str().to_owned()).unwrap_or_default();
                format!("{} {phone}", c.name.unwrap_or_default())
                    .trim()
                    .to_owned()
            })
            .unwrap_or_default())
    }

    /// Outside the rider's window: the store's rider template (order reference, summary,
    /// place, map link), or [`Notice::OutsideWindow`] when the store has none.
    async fn tell_rider_by_template(
        &self,
        store: &Store,
        order: &Order,
        service: &WhatsAppService,
        to: Recipient,
        key: &str,
    ) -> Result<Notice, CommerceError> {
        let settings = self
            .commerce
            .settings(store.id)
            .await?
            .unwrap_or_else(|| StoreSettings::defaults(store.currency));
        let Some(template) = settings.rider_template else {
            return Ok(Notice::OutsideWindow);
        };
        // Template parameters may not contain new lines: one line each.
        let one_line = |s: String| s.split('\n').collect::<Vec<_>>().join("; ");
        let params = [
            order.reference(),
            one_line(text::order_summary(order, None)),
            text::delivery_place(order).unwrap_or_else(|| "-".into()),
            order
                .delivery_location
                .as_ref()
                .map_or_else(|| "-".into(), omni_domain::GeoPoint::maps_url),
        ];
        service
            .send(
                to,
                OutboundContent::Template {
                    name: template.name,
                    language: template.language,
                    components: vec![TemplateComponent {
                        kind: TemplateComponentKind::Body,
                        parameters: params
                            .into_iter()
                            .map(|text| TemplateParameter::Text { text, name: None })
                            .collect(),
                    }],
                },
                SendOptions {
                    idempotency_key: Some(format!("{key}:template")),
                    window_ends_at: None,
                    tenant_message_id: None,
                    reply_to: None,
                },
            )
            .await
            .map_err(|e| conflict("send_failed", e.to_string()))?;
        Ok(Notice::Queued)
    }
}

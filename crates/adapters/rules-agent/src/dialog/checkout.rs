//! Checkout: the next thing the order needs (items, the minimum, an address, a payment
//! method, the final summary), confirming, cancelling, the order status, and the answer to the
//! core's refusals.

use omni_domain::{OrderStatus, PaymentMethod, PaymentMethodKind};
use omni_ports::{AgentAction, AgentReply, RejectReason};

use super::Turn;
use crate::replies;
use crate::state;
use crate::text::{has_any, has_phrase, tokens};

impl<'a> Turn<'a> {
    pub(super) fn my_order(&mut self) {
        if let Some(order) = self.placed()
            && (!self.new_order || self.cart.items.is_empty())
        {
            return self.inform(AgentReply::text(replies::status(
                order,
                &self.input.payment_methods,
            )));
        }
        if self.cart.items.is_empty() {
            return self.reply(
                replies::with_menu_button(replies::NO_ORDER),
                state::BROWSING,
            );
        }
        let text = self.cart.text();
        self.reply(replies::cart_buttons(text), state::ORDERING);
    }

    pub(super) fn checkout(&mut self) {
        if let Some(order) = self.placed() {
            return self.inform(AgentReply::text(replies::status(
                order,
                &self.input.payment_methods,
            )));
        }
        self.next_step(true, "");
    }

    pub(super) fn cancel(&mut self) {
        let Some(order) = self.input.order.as_ref().filter(|o| !o.status().is_final()) else {
            return self.reply(
                AgentReply::text(replies::NOTHING_TO_CANCEL),
                state::BROWSING,
            );
        };
        if !order.status().can_become(OrderStatus::Cancelled) {
            return self.inform(AgentReply::text(replies::cannot_cancel(order)));
        }
        self.act(AgentAction::CancelOrder);
        self.new_order = false;
        self.reply(AgentReply::text(replies::CANCELLED), state::CANCELLED);
    }

    /// Whether the core would accept `ConfirmOrder` now.
    pub(super) fn ready(&self) -> bool {
        let min = self.input.store.settings.min_order;
        self.has_cart()
            && !self.cart.items.is_empty()
            && self
                .cart
                .subtotal()
                .is_some_and(|s| s.minor() >= min.minor())
            && self.cart.has_address()
            && self
                .cart
                .method
                .is_some_and(|id| self.active_methods().iter().any(|m| m.id == id))
    }

    pub(super) fn confirm(&mut self) {
        if self.state == state::AWAITING_CONFIRMATION && self.ready() {
            self.act(AgentAction::ConfirmOrder);
            self.state = state::PLACED.to_owned();
            return;
        }
        self.checkout();
    }

    pub(super) fn choose_payment(&mut self, method: &PaymentMethod) {
        if !self.has_cart() || self.cart.items.is_empty() {
            return self.next_step(false, "");
        }
        self.act(AgentAction::ChoosePayment {
            method: method.id.to_string(),
        });
        self.next_step(true, "");
    }

    /// The next thing checkout needs: items, the minimum, an address, a payment method, then
    /// the final summary. `auto_pay` picks the only active method by itself; `prefix` starts
    /// the reply (an apology).
    pub(super) fn next_step(&mut self, auto_pay: bool, prefix: &str) {
        let settings = &self.input.store.settings;
        if self.cart.items.is_empty() {
            let text = format!("{prefix}{}", replies::EMPTY_CART);
            return self.reply(replies::with_menu_button(text), state::BROWSING);
        }
        let subtotal = self.cart.subtotal();
        if let Some(sub) = subtotal
            && sub.minor() < settings.min_order.minor()
        {
            let text = format!(
                "{prefix}Our minimum order is {}. Your subtotal is {sub}, please add a little more.",
                settings.min_order
            );
            return self.reply(replies::with_menu_button(text), state::ORDERING);
        }
        if !self.cart.has_address() {
            let text = format!("{prefix}{}", replies::ASK_ADDRESS);
            return self.reply(
                AgentReply::LocationRequest { text },
                state::AWAITING_ADDRESS,
            );
        }
        let methods = self.active_methods();
        let chosen = self
            .cart
            .method
            .is_some_and(|id| methods.iter().any(|m| m.id == id));
        if !chosen {
            match methods.as_slice() {
                [] => {
                    if auto_pay {
                        self.act(AgentAction::Handover {
                            reason: Some(replies::NO_METHODS_REASON.to_owned()),
                        });
                    }
                    let text = format!("{prefix}{}", replies::NO_METHODS);
                    return self.reply(AgentReply::text(text), state::HANDOVER);
                }
                [only] if auto_pay => self.act(AgentAction::ChoosePayment {
                    method: only.id.to_string(),
                }),
                _ => {
                    let total = subtotal
                        .and_then(|s| s.checked_add(settings.delivery_fee).ok())
                        .map_or_else(|| "-".to_owned(), |t| t.to_string());
                    let reply = replies::which_payment(prefix, &total, &methods);
                    return self.reply(reply, state::AWAITING_PAYMENT);
                }
            }
        }
        let summary = self
            .cart
            .summary(settings.delivery_fee, &self.input.payment_methods);
        let mut reply = replies::confirm(&summary);
        if let AgentReply::Buttons { text, .. } = &mut reply {
            text.insert_str(0, prefix);
        }
        self.reply(reply, state::AWAITING_CONFIRMATION);
    }

    /// A payment method the words name: `Ok` for an active one, `Err(kind)` for a kind we
    /// recognise but the store does not offer.
    pub(super) fn named_method(
        &self,
        words: &[String],
    ) -> Option<Result<&'a PaymentMethod, PaymentMethodKind>> {
        let methods = self.active_methods();
        if let Some(m) = methods.iter().find(|m| {
            let label = tokens(&m.label).join(" ");
            !label.is_empty() && has_phrase(words, &label)
        }) {
            return Some(Ok(m));
        }
        let kind = if has_any(words, &["cash", "cod"]) {
            PaymentMethodKind::CashOnDelivery
        } else if has_any(words, &["jazzcash", "jazz"]) {
            PaymentMethodKind::JazzCash
        } else if has_any(words, &["easypaisa", "easypesa", "easypaisaa"])
            || has_phrase(words, "easy paisa")
        {
            PaymentMethodKind::Easypaisa
        } else if has_any(words, &["bank", "transfer", "iban", "ibft"]) {
            PaymentMethodKind::BankTransfer
        } else {
            return None;
        };
        Some(methods.into_iter().find(|m| m.kind == kind).ok_or(kind))
    }

    /// The second call after the core refused some actions: explain, then offer the next
    /// useful step, with no action that could be refused again.
    pub(crate) fn feedback(&mut self) {
        let messages: Vec<&str> = self
            .input
            .feedback
            .iter()
            .map(|f| f.message.trim())
            .filter(|m| !m.is_empty())
            .collect();
        let prefix = if messages.is_empty() {
            "Sorry, I couldn't do that.\n\n".to_owned()
        } else {
            format!("Sorry! {}\n\n", messages.join("\n"))
        };
        self.asks = std::mem::take(&mut self.old_asks);
        let checkout_problem = self.input.feedback.iter().any(|f| {
            matches!(
                f.reason,
                RejectReason::EmptyCart
                    | RejectReason::BelowMinimum
                    | RejectReason::MissingAddress
                    | RejectReason::MissingPayment
                    | RejectReason::UnknownPaymentMethod
            ) || matches!(
                f.action,
                AgentAction::SetAddress { .. }
                    | AgentAction::SetLocation { .. }
                    | AgentAction::ChoosePayment { .. }
                    | AgentAction::ConfirmOrder
            )
        });
        if let Some(order) = self.placed() {
            let text = format!(
                "{prefix}{}",
                replies::status(order, &self.input.payment_methods)
            );
            return self.inform(AgentReply::text(text));
        }
        if checkout_problem && self.has_cart() {
            self.asks.clear();
            return self.next_step(false, &prefix);
        }
        if self.cart.items.is_empty() {
            let text = format!("{prefix}What would you like to order?");
            return self.reply(replies::with_menu_button(text), state::BROWSING);
        }
        let text = format!("{prefix}{}", self.cart.text());
        self.reply(replies::cart_buttons(text), state::ORDERING);
    }
}

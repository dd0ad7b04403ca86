//! The offline rule-based agent: the default [`AiAgentPort`], and the fallback when a model
//! is unavailable. It greets, shows the menu, reads orders in English and simple Roman Urdu
//! ("mujhe 2 zinger chahiye", "do zinger aur ek fries"), asks which item or variant when the
//! words fit several, and walks the customer through address, payment and confirmation.
//!
//! It is deterministic: no randomness, no clock, the menu read in the order given, so tests can
//! assert its exact replies. Every total it quotes comes from the open cart with its own
//! actions applied (the "projected cart"), computed the way the core applies them.
//!
//! The conversation `state` labels it writes are listed in [`state`]; it always returns a
//! state, and returns `context` only when its working memory changed (it keeps keys it does not
//! own).
//!
//! What it assumes of the core:
//! - Actions name items and payment methods by id (`MenuItemId` / `PaymentMethodId` text).
//! - `AddItem` of an item and variant already in the cart adds to that line; `SetQuantity`
//!   changes the item's line (the projection changes the first one).
//! - `input.order` is the open cart when there is one; a placed order shows up only when no
//!   cart is open. A new item request then needs "new order" first (remembered in `context`),
//!   and the following `AddItem` lets the core open a new cart.
//! - On a second call with `feedback` it returns no actions at all: an apology built from the
//!   refusals' messages, then the next useful step.
//! - Button and list ids it gives: `menu`, `cart`, `checkout`, `confirm`, `cancel`,
//!   `item:<menu item id>`, `variant:<menu item id>:<variant name>`, `pay:<method id>`.

mod cart;
mod dialog;
mod parse;
mod replies;
mod text;

#[cfg(test)]
mod tests;

use async_trait::async_trait;
use omni_ports::{AgentError, AgentInput, AgentOutput, AiAgentPort};

pub use cart::order_summary;

/// The conversation state labels the agent writes.
pub mod state {
    /// Nothing in the cart yet (greeted, menu shown).
    pub const BROWSING: &str = "browsing";
    /// Items in the cart.
    pub const ORDERING: &str = "ordering";
    /// Waiting for the customer to pick an item or a variant (the question is in `context`).
    pub const CHOOSING: &str = "choosing";
    /// Asked for the location pin or a typed address: the next text is taken as the address.
    pub const AWAITING_ADDRESS: &str = "awaiting_address";
    /// Offered the payment methods.
    pub const AWAITING_PAYMENT: &str = "awaiting_payment";
    /// Showed the final summary with Confirm / Cancel.
    pub const AWAITING_CONFIRMATION: &str = "awaiting_confirmation";
    /// Asked the core to place the order.
    pub const PLACED: &str = "placed";
    /// Asked the core to cancel the order.
    pub const CANCELLED: &str = "cancelled";
    /// Handed the conversation to a person.
    pub const HANDOVER: &str = "handover";
}

/// The rule-based agent (`name()` is "rules"). Stateless: everything it remembers is in the
/// conversation's `state` and `context`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RulesAgent;

impl RulesAgent {
    /// The agent.
    #[must_use]
    pub const fn new() -> Self {
        Self
    }

    /// [`AiAgentPort::respond`] without the async wrapper: the same answer, computed in place.
    ///
    /// With the 24-hour window closed it returns an empty output (no replies, no actions, no
    /// state change), since the core could not send a free-form answer anyway.
    #[must_use]
    pub fn answer(&self, input: &AgentInput) -> AgentOutput {
        if !input.window_open {
            return AgentOutput::default();
        }
        let mut turn = dialog::Turn::new(input);
        if input.feedback.is_empty() {
            turn.dispatch();
        } else {
            turn.feedback();
        }
        turn.finish()
    }
}

#[async_trait]
impl AiAgentPort for RulesAgent {
    fn name(&self) -> &'static str {
        "rules"
    }

    async fn respond(&self, input: &AgentInput) -> Result<AgentOutput, AgentError> {
        Ok(self.answer(input))
    }
}

//! One turn the agent answers: the customer's message as input (a voice note transcribed),
//! the agent asked over a cart of the open order, the replies (the agent's, what is still
//! refused, the core's messages for a placed or cancelled order or a handover, a voice
//! reply), and the order change to save with the conversation.

use chrono::{DateTime, Utc};
use omni_domain::{Conversation, ConversationState, OrderStatus, PaymentMethod, Store};
use omni_ports::meta::OutboundContent;
use omni_ports::{AgentInput, CustomerInput, OrderWrite};

use super::apply::{Cart, Effect};
use super::ask::Answer;
use super::handler::{AgentHandler, Context};
use super::reply::{content_of_reply, customer_input, text_reply};
use super::text;
use crate::conversation::{Decision, ProcessError, Turn};

impl AgentHandler {
    /// Answers the turn with the agent.
    pub(super) async fn converse(
        &self,
        turn: &Turn<'_>,
        store: &Store,
        ctx: &Context,
        mut conversation: Conversation,
        now: DateTime<Utc>,
    ) -> Result<Decision, ProcessError> {
        let (message, transcript) = match self.customer_message(turn).await {
            Ok(m) => m,
            Err(reply) => return Ok(Decision::replies(conversation, vec![text_reply(reply)])),
        };
        let voice_in = matches!(message, CustomerInput::Voice { .. });
        let recent = self
            .ports
            .tenants
            .list_messages(turn.store, conversation.id, self.config.recent_messages)
            .await?;
        let mut input = AgentInput {
            store: ctx.profile.clone(),
            menu: ctx.menu.clone(),
            payment_methods: ctx.methods.clone(),
            customer_name: turn.customer.name.clone(),
            state: conversation.state.to_string(),
            context: conversation.context.clone(),
            recent,
            order: ctx.order.clone(),
            message,
            window_open: ctx.window_open,
            feedback: Vec::new(),
        };
        let mut cart = Cart {
            original: ctx.order.clone(),
            order: ctx.order.clone(),
            menu: &ctx.menu,
            methods: &ctx.methods,
            settings: &ctx.profile.settings,
            currency: store.currency,
            customer: turn.customer.id,
            conversation: conversation.id,
            account: turn.account.id,
            now,
        };
        let Answer {
            output,
            effects,
            refused,
        } = self.run(turn.store, &mut input, &mut cart).await;

        let mut replies: Vec<OutboundContent> =
            output.replies.iter().map(content_of_reply).collect();
        // Whatever is still refused, the customer hears it plainly.
        for r in &refused {
            replies.push(text_reply(r.message.clone()));
        }
        let agent_silent = output.replies.is_empty();
        for effect in &effects {
            effect_replies(
                effect,
                &cart,
                &ctx.methods,
                agent_silent,
                &mut conversation,
                &mut replies,
            );
        }
        if let Some(label) = output.state {
            // The agent names its states; one that is not a well-formed label (a model's
            // free text) is dropped and the conversation keeps where it was.
            match ConversationState::parse(&label) {
                Ok(state) => conversation.state = state,
                Err(e) => tracing::warn!(
                    conversation = %conversation.id,
                    state = %label.chars().take(80).collect::<String>().escape_debug(),
                    "agent state ignored: {e}"
                ),
            }
        }
        if let Some(context) = output.context {
            conversation.context = context;
        }
        conversation.updated_at = now;

        if voice_in
            && ctx.profile.settings.voice_replies
            && let Some(first_text) = first_text(&replies)
            && let Some(voice) = self.voice_reply(turn, &first_text).await
        {
            replies.push(voice);
        }
        let order = order_write(&cart, &conversation);
        Ok(Decision {
            conversation,
            replies,
            order,
            transcript,
            media_path: None,
        })
    }

    /// The customer's message as agent input, with the transcript of a voice note; or the
    /// reply to send instead (a voice note that could not be had or understood).
    async fn customer_message(
        &self,
        turn: &Turn<'_>,
    ) -> Result<(CustomerInput, Option<String>), String> {
        match customer_input(&turn.message.body) {
            Some(input) => Ok((input, None)),
            None => {
                let t = self.transcribe(turn).await?;
                Ok((
                    CustomerInput::Voice {
                        transcript: t.clone(),
                    },
                    Some(t),
                ))
            }
        }
    }
}

/// What one effect of the agent's actions adds: the core's message for a placed order, for a
/// cancelled one or a handover (when the agent said nothing), and the pause of a handover.
fn effect_replies(
    effect: &Effect,
    cart: &Cart<'_>,
    methods: &[PaymentMethod],
    agent_silent: bool,
    conversation: &mut Conversation,
    replies: &mut Vec<OutboundContent>,
) {
    match effect {
        Effect::Placed => {
            if let Some(order) = &cart.order {
                let method = order
                    .payment
                    .method_id()
                    .and_then(|id| methods.iter().find(|m| m.id == id));
                replies.extend(
                    text::order_placed(order, method)
                        .into_iter()
                        .map(text_reply),
                );
            }
        }
        Effect::Cancelled => {
            if let Some(order) = &cart.order
                && order.status() == OrderStatus::Cancelled
                && agent_silent
            {
                replies.push(text_reply(text::cancelled(order)));
            }
        }
        Effect::Handover => {
            conversation.agent_paused = true;
            if agent_silent {
                replies.push(text_reply(text::handover()));
            }
        }
        Effect::Changed => {}
    }
}

/// The text of the first reply that has one (what a voice reply speaks).
fn first_text(replies: &[OutboundContent]) -> Option<String> {
    replies.iter().find_map(|r| match r {
        OutboundContent::Text { body, .. }
        | OutboundContent::ReplyButtons { body, .. }
        | OutboundContent::List { body, .. }
        | OutboundContent::LocationRequest { body } => Some(body.clone()),
        _ => None,
    })
}

/// The order change to save: the cart's order with the conversation's state, inserted when
/// new and else updated against the status it was read with; `None` when nothing changed.
fn order_write(cart: &Cart<'_>, conversation: &Conversation) -> Option<OrderWrite> {
    if !cart.changed() {
        return None;
    }
    cart.order.clone().map(|mut order| {
        order.conversation_state.clone_from(&conversation.state);
        order.conversation_context.clone_from(&conversation.context);
        match &cart.original {
            Some(original) if original.id == order.id => OrderWrite::Update {
                order,
                expected_status: original.status(),
                expected_payment: original.payment.status(),
            },
            _ => OrderWrite::Insert(order),
        }
    })
}

//! The [`AgentHandler`]: what a turn knows before the agent is asked (the store, cached
//! briefly; its settings, menu, payment methods and open order), and the turn itself, which
//! first settles what needs no agent (the owner took over, the agent is off, an away
//! message, a closed window, a payment screenshot) and else hands over to [`super::turn`].

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use omni_domain::{MessageBody, Order, PaymentMethod, StoreId, StoreSettings};
use omni_ports::StoreProfile;

use super::apply::awaits_proof;
use super::config::{AgentConfig, AgentPorts};
use super::media;
use super::reply::text_reply;
use crate::conversation::{AutoReply, ConversationHandler, Decision, ProcessError, Turn};

/// The conversation handler of stores with the agent on (`ai_enabled`); stores with it off get
/// the auto-reply rule.
pub struct AgentHandler {
    pub(super) ports: AgentPorts,
    pub(super) config: AgentConfig,
    pub(super) auto_reply: AutoReply,
    /// "No speech service" is logged once per process.
    pub(super) voice_warned: AtomicBool,
    /// Stores read in the last [`STORE_CACHE_SECS`]: one central read per store, not per
    /// message (the central pool also serves the inbox and outbox).
    stores: Mutex<HashMap<StoreId, (DateTime<Utc>, omni_domain::Store)>>,
}

/// How long a store read is reused (the agent switch and currency change rarely; an owner's
/// change takes effect within this).
const STORE_CACHE_SECS: i64 = 5;

impl std::fmt::Debug for AgentHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentHandler")
            .field("model", &self.ports.model)
            .field("speech", &self.ports.speech.is_some())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What the turn knows before the agent is asked.
pub(super) struct Context {
    pub(super) profile: StoreProfile,
    pub(super) menu: Vec<omni_domain::MenuItem>,
    pub(super) methods: Vec<PaymentMethod>,
    pub(super) order: Option<Order>,
    pub(super) window_open: bool,
}

impl AgentHandler {
    /// The handler over its ports.
    #[must_use]
    pub fn new(ports: AgentPorts, config: AgentConfig) -> Self {
        let auto_reply = AutoReply::new(Arc::clone(&ports.tenants));
        Self {
            ports,
            config,
            auto_reply,
            voice_warned: AtomicBool::new(false),
            stores: Mutex::new(HashMap::new()),
        }
    }

    /// The store, from the cache when read in the last [`STORE_CACHE_SECS`].
    async fn store(&self, id: StoreId) -> Result<omni_domain::Store, ProcessError> {
        let now = self.ports.clock.now();
        if let Ok(cache) = self.stores.lock()
            && let Some((at, store)) = cache.get(&id)
            && now - *at < Duration::seconds(STORE_CACHE_SECS)
        {
            return Ok(store.clone());
        }
        let Some(store) = self.ports.central.find_store(id).await? else {
            return Err(ProcessError::Permanent(format!("store {id} is gone")));
        };
        if let Ok(mut cache) = self.stores.lock() {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(id, (now, store.clone()));
        }
        Ok(store)
    }

    pub(super) async fn context(
        &self,
        turn: &Turn<'_>,
        store: &omni_domain::Store,
    ) -> Result<Context, ProcessError> {
        let p = &self.ports;
        let settings = p
            .commerce
            .settings(turn.store)
            .await?
            .unwrap_or_else(|| StoreSettings::defaults(store.currency));
        let menu = p.tenants.list_menu_items(turn.store).await?;
        let methods: Vec<PaymentMethod> = p
            .tenants
            .list_payment_methods(turn.store)
            .await?
            .into_iter()
            .filter(|m| m.active)
            .collect();
        let order = p
            .commerce
            .open_order(turn.store, turn.conversation.id)
            .await?;
        let now = p.clock.now();
        let window_open = turn.conversation.window_end().is_some_and(|w| now < w);
        Ok(Context {
            profile: StoreProfile {
                id: store.id,
                name: store.name.as_str().to_owned(),
                kind: store.kind,
                currency: store.currency,
                settings,
            },
            menu,
            methods,
            order,
            window_open,
        })
    }
}

#[async_trait]
impl ConversationHandler for AgentHandler {
    async fn handle(&self, turn: &Turn<'_>) -> Result<Decision, ProcessError> {
        let conversation = turn.conversation.clone();
        if conversation.agent_paused {
            // The owner took over: keep the message, send nothing.
            return Ok(Decision::replies(conversation, Vec::new()));
        }
        let store = self.store(turn.store).await?;
        // A store with the agent off is answered by its auto-reply text (if any); one with an
        // auto-reply text set (an away message) is answered with it.
        if !store.ai_enabled {
            return self.auto_reply.handle(turn).await;
        }
        if let Some(body) = self.ports.tenants.auto_reply(turn.store).await? {
            return Ok(Decision::replies(conversation, vec![text_reply(body)]));
        }
        let ctx = self.context(turn, &store).await?;
        if !ctx.window_open {
            // Processed after the window closed (a long backlog): free-form replies cannot go.
            return Ok(Decision::replies(conversation, Vec::new()));
        }
        let now = self.ports.clock.now();
        // A payment screenshot for an order that waits for one: the core's, not the agent's.
        if let Some(order) = proof_awaited(turn, &ctx) {
            return media::take_proof(&self.ports, &self.config, turn, conversation, order).await;
        }
        self.converse(turn, &store, &ctx, conversation, now).await
    }
}

/// The open order a payment screenshot (an image or a document) is for, if it waits for one.
fn proof_awaited<'c>(turn: &Turn<'_>, ctx: &'c Context) -> Option<&'c Order> {
    if !matches!(
        turn.message.body,
        MessageBody::Image { .. } | MessageBody::Document { .. }
    ) {
        return None;
    }
    ctx.order.as_ref().filter(|o| awaits_proof(o, &ctx.methods))
}

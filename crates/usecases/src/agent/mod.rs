//! The ordering agent's core: the [`ConversationHandler`] that turns a customer's message into
//! the agent's input, asks the agent (the model when configured and within budget, else the
//! rule-based agent), validates every action against the domain, and hands back one
//! [`Decision`] that the inbox processor saves in one tenant transaction: conversation state
//! and context, the order change, the replies, the transcript and the kept media.
//!
//! Voice notes are downloaded and transcribed before the agent sees them; payment screenshots
//! for an order that waits for one are downloaded, checked against Meta's SHA-256, kept in
//! the media store and put before the owner, without the agent.

mod apply;
mod media;
pub mod text;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use omni_domain::{
    Conversation, GeoPoint, MessageBody, Order, OrderStatus, PaymentMethod, StoreId, StoreSettings,
    WhatsappAccount,
};
use omni_ports::meta::{
    ListRow as MetaListRow, ListSection, MediaKind, MediaSource, MediaUpload, OutboundContent,
    ReplyButton,
};
use omni_ports::{
    ActionRejected, AgentInput, AgentOutput, AgentReply, AiAgentPort, CentralRepo, Clock,
    CommerceRepo, CustomerInput, MediaStorePort, MetaGraphPort, OrderWrite, SpeechPort,
    StoreProfile, TenantRepoPort, TokenCipher,
};
use secrecy::SecretString;

pub use apply::{
    Cart, Effect, MAX_ADDRESS_CHARS, MAX_QUANTITY, awaits_proof, find_item, find_method,
};
pub use media::{proof_key, sha256_hex};

use crate::conversation::{AutoReply, ConversationHandler, Decision, ProcessError, Turn};

/// The model agent and its daily budget.
#[derive(Clone)]
pub struct ModelAgent {
    /// The agent (an OpenAI-compatible model).
    pub agent: Arc<dyn AiAgentPort>,
    /// Tokens a store may spend per UTC day; past it the rule-based agent answers.
    pub daily_token_budget: u64,
}

impl std::fmt::Debug for ModelAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelAgent")
            .field("agent", &self.agent.name())
            .field("daily_token_budget", &self.daily_token_budget)
            .finish()
    }
}

/// What the agent core needs.
#[derive(Clone)]
pub struct AgentPorts {
    /// Stores.
    pub central: Arc<dyn CentralRepo>,
    /// Conversations, menu, messages.
    pub tenants: Arc<dyn TenantRepoPort>,
    /// Orders, settings, budget.
    pub commerce: Arc<dyn CommerceRepo>,
    /// Media download and upload.
    pub graph: Arc<dyn MetaGraphPort>,
    /// Opens access tokens.
    pub cipher: Arc<dyn TokenCipher>,
    /// Keeps payment screenshots.
    pub media: Arc<dyn MediaStorePort>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// The offline agent: always there, the fallback.
    pub rules: Arc<dyn AiAgentPort>,
    /// The model agent, when configured.
    pub model: Option<ModelAgent>,
    /// Speech to text and back, when configured.
    pub speech: Option<Arc<dyn SpeechPort>>,
    /// The legacy single number and its token (WHATSAPP_PHONE_ID / WHATSAPP_TOKEN).
    pub legacy_token: Option<(omni_domain::PhoneNumberId, SecretString)>,
    /// Owner notifications (a payment screenshot used twice), when kept.
    pub notifications: Option<Arc<dyn omni_ports::HealthRepo>>,
}

impl std::fmt::Debug for AgentPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentPorts")
            .field("model", &self.model)
            .field("speech", &self.speech.is_some())
            .finish_non_exhaustive()
    }
}

/// Limits of the agent core.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Largest media download (payment screenshots, voice notes).
    pub max_media_bytes: u64,
    /// Messages of history the agent sees.
    pub recent_messages: u32,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            max_media_bytes: 16 * 1024 * 1024,
            recent_messages: 12,
        }
    }
}

/// The conversation handler of stores with the agent on (`ai_enabled`); stores with it off get
/// the auto-reply rule.
pub struct AgentHandler {
    ports: AgentPorts,
    config: AgentConfig,
    auto_reply: AutoReply,
    /// "No speech service" is logged once per process.
    voice_warned: AtomicBool,
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
struct Context {
    profile: StoreProfile,
    menu: Vec<omni_domain::MenuItem>,
    methods: Vec<PaymentMethod>,
    order: Option<Order>,
    window_open: bool,
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

    async fn context(
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

    /// The account's access token (the legacy number's configured one for its stand-in).
    fn token(&self, account: &WhatsappAccount) -> Option<SecretString> {
        if let Some((number, token)) = &self.ports.legacy_token
            && *number == account.phone_number_id
            && account.access_token.as_str().is_empty()
        {
            return Some(token.clone());
        }
        self.ports
            .cipher
            .open(
                &account.access_token,
                &omni_ports::secret_aad(account.id, omni_ports::ACCESS_TOKEN_FIELD),
            )
            .inspect_err(|e| {
                tracing::error!(account = %account.id, error = %e, "cannot open the access token");
            })
            .ok()
    }

    /// Asks the model (within budget) or the rule-based agent.
    async fn ask(
        &self,
        store: StoreId,
        input: &AgentInput,
        prefer_rules: bool,
    ) -> (Arc<dyn AiAgentPort>, AgentOutput) {
        let p = &self.ports;
        if let Some(model) = p.model.as_ref().filter(|_| !prefer_rules) {
            let today = p.clock.now().date_naive();
            let spent = p
                .commerce
                .agent_tokens(store, today)
                .await
                .unwrap_or(u64::MAX);
            if spent < model.daily_token_budget {
                match model.agent.respond(input).await {
                    Ok(out) => {
                        if out.tokens_used > 0
                            && let Err(e) = p
                                .commerce
                                .add_agent_tokens(store, today, out.tokens_used)
                                .await
                        {
                            tracing::warn!(store = %store, error = %e, "could not count agent tokens");
                        }
                        return (Arc::clone(&model.agent), out);
                    }
                    Err(e) => {
                        tracing::warn!(store = %store, agent = model.agent.name(), error = %omni_ports::error_chain(&e), "model agent failed; the rule-based agent answers");
                    }
                }
            } else {
                tracing::info!(store = %store, spent, budget = model.daily_token_budget, "daily token budget spent; the rule-based agent answers");
            }
        }
        let out = match p.rules.respond(input).await {
            Ok(out) => out,
            Err(e) => {
                tracing::error!(store = %store, error = %omni_ports::error_chain(&e), "rule-based agent failed");
                AgentOutput::default()
            }
        };
        (Arc::clone(&p.rules), out)
    }

    /// A voice note as text, or the reply to send instead.
    async fn transcribe(&self, turn: &Turn<'_>) -> Result<String, String> {
        let Some(speech) = &self.ports.speech else {
            if !self.voice_warned.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "a voice note arrived and no speech service is configured (agent.speech_base_url); customers are asked to type"
                );
            }
            return Err(text::voice_not_supported());
        };
        let Some(token) = self.token(turn.account) else {
            return Err(text::voice_failed());
        };
        let media = match media::download(&self.ports, &self.config, turn, &token).await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(store = %turn.store, error = %e, "voice note download failed");
                return Err(text::voice_failed());
            }
        };
        match speech.transcribe(&media.bytes, &media.mime_type).await {
            Ok(t) if !t.trim().is_empty() => Ok(t.trim().to_owned()),
            Ok(_) => Err(text::voice_failed()),
            Err(e) => {
                tracing::warn!(store = %turn.store, error = %omni_ports::error_chain(e.as_ref()), "transcription failed");
                Err(text::voice_failed())
            }
        }
    }

    /// Speaks the first text reply as a voice note, uploaded to Meta.
    async fn voice_reply(&self, turn: &Turn<'_>, reply: &str) -> Option<OutboundContent> {
        let speech = self.ports.speech.as_ref()?;
        let token = self.token(turn.account)?;
        let (bytes, mime_type) = speech
            .synthesize(reply)
            .await
            .inspect_err(|e| tracing::warn!(store = %turn.store, error = %omni_ports::error_chain(e.as_ref()), "speech synthesis failed; text only"))
            .ok()?;
        let upload = MediaUpload {
            bytes,
            mime_type,
            filename: "reply.ogg".to_owned(),
        };
        let id = self
            .ports
            .graph
            .upload_media(&token, &turn.account.phone_number_id, &upload)
            .await
            .inspect_err(|e| tracing::warn!(store = %turn.store, error = %e, "voice reply upload failed; text only"))
            .ok()?;
        Some(OutboundContent::Media {
            kind: MediaKind::Audio,
            source: MediaSource::Id(id),
            caption: None,
            filename: None,
            voice: true,
        })
    }
}

/// The customer's message as agent input; `None` for a voice note (transcribed separately).
fn customer_input(body: &MessageBody) -> Option<CustomerInput> {
    Some(match body {
        MessageBody::Text { body } => CustomerInput::Text { text: body.clone() },
        MessageBody::Interactive { id, title } => CustomerInput::Choice {
            id: id.clone(),
            title: title.clone(),
        },
        MessageBody::Location {
            latitude,
            longitude,
            name,
            address,
        } => match GeoPoint::new(*latitude, *longitude, name.clone(), address.clone()) {
            Ok(point) => CustomerInput::Location { point },
            Err(_) => CustomerInput::Other {
                kind: "location".into(),
            },
        },
        MessageBody::Audio { .. } => return None,
        MessageBody::Image { caption, .. } => CustomerInput::Image {
            caption: caption.clone(),
        },
        other => CustomerInput::Other {
            kind: other.kind().to_owned(),
        },
    })
}

fn text_reply(body: String) -> OutboundContent {
    OutboundContent::Text {
        body,
        preview_url: false,
    }
}

/// Truncates to WhatsApp's limits (characters, not bytes).
fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// An agent reply as WhatsApp content, within Meta's limits (3 buttons of 20 characters; 10
/// rows of 24 + 72; 1024 characters of interactive body).
#[must_use]
pub fn content_of_reply(reply: &AgentReply) -> OutboundContent {
    match reply {
        AgentReply::Text { text } => text_reply(clip(text, 4096)),
        AgentReply::Buttons { text, buttons } if !buttons.is_empty() => {
            OutboundContent::ReplyButtons {
                header: None,
                body: clip(text, 1024),
                footer: None,
                buttons: buttons
                    .iter()
                    .take(3)
                    .map(|b| ReplyButton {
                        id: clip(&b.id, 256),
                        title: clip(&b.title, 20),
                    })
                    .collect(),
            }
        }
        AgentReply::List { text, button, rows } if !rows.is_empty() => OutboundContent::List {
            header: None,
            body: clip(text, 1024),
            footer: None,
            button: clip(button, 20),
            sections: vec![ListSection {
                title: None,
                rows: rows
                    .iter()
                    .take(10)
                    .map(|r| MetaListRow {
                        id: clip(&r.id, 200),
                        title: clip(&r.title, 24),
                        description: r.description.as_deref().map(|d| clip(d, 72)),
                    })
                    .collect(),
            }],
        },
        AgentReply::LocationRequest { text } => OutboundContent::LocationRequest {
            body: clip(text, 1024),
        },
        other => text_reply(clip(other.body(), 4096)),
    }
}

#[async_trait]
impl ConversationHandler for AgentHandler {
    #[expect(
        clippy::too_many_lines,
        reason = "one turn read top to bottom: input, agent, validation, core messages, voice"
    )]
    async fn handle(&self, turn: &Turn<'_>) -> Result<Decision, ProcessError> {
        let mut conversation: Conversation = turn.conversation.clone();
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
        if matches!(
            turn.message.body,
            MessageBody::Image { .. } | MessageBody::Document { .. }
        ) && let Some(order) = ctx.order.as_ref().filter(|o| awaits_proof(o, &ctx.methods))
        {
            return media::take_proof(&self.ports, &self.config, self, turn, conversation, order)
                .await;
        }

        let mut transcript = None;
        let input_message = match customer_input(&turn.message.body) {
            Some(input) => input,
            None => match self.transcribe(turn).await {
                Ok(t) => {
                    transcript = Some(t.clone());
                    CustomerInput::Voice { transcript: t }
                }
                Err(reply) => {
                    let mut d = Decision::replies(conversation, vec![text_reply(reply)]);
                    d.transcript = transcript;
                    return Ok(d);
                }
            },
        };
        let voice_in = matches!(input_message, CustomerInput::Voice { .. });
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
            state: conversation.state.clone(),
            context: conversation.context.clone(),
            recent,
            order: ctx.order.clone(),
            message: input_message,
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

        let (agent, first) = self.ask(turn.store, &input, false).await;
        let mut output = first;
        let mut effects = Vec::new();
        let mut refused: Vec<ActionRejected> = Vec::new();
        for action in &output.actions {
            match cart.apply(action) {
                Ok(e) => effects.push(e),
                Err(r) => refused.push(r),
            }
        }
        if !refused.is_empty() {
            // Tell the agent what was refused, with the order as it now is, once.
            input.feedback.clone_from(&refused);
            input.order.clone_from(&cart.order);
            let prefer_rules = agent.name() == self.ports.rules.name();
            let (_, second) = self.ask(turn.store, &input, prefer_rules).await;
            refused.clear();
            for action in &second.actions {
                match cart.apply(action) {
                    Ok(e) => effects.push(e),
                    Err(r) => refused.push(r),
                }
            }
            output = AgentOutput {
                state: second.state.or(output.state),
                context: second.context.or(output.context),
                ..second
            };
        }

        let mut replies: Vec<OutboundContent> =
            output.replies.iter().map(content_of_reply).collect();
        // Whatever is still refused, the customer hears it plainly.
        for r in &refused {
            replies.push(text_reply(r.message.clone()));
        }
        for effect in &effects {
            match effect {
                Effect::Placed => {
                    if let Some(order) = &cart.order {
                        let method = order
                            .payment
                            .method_id()
                            .and_then(|id| ctx.methods.iter().find(|m| m.id == id));
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
                        && output.replies.is_empty()
                    {
                        replies.push(text_reply(text::cancelled(order)));
                    }
                }
                Effect::Handover => {
                    conversation.agent_paused = true;
                    if output.replies.is_empty() {
                        replies.push(text_reply(text::handover()));
                    }
                }
                Effect::Changed => {}
            }
        }
        if let Some(state) = output.state {
            conversation.state = state;
        }
        if let Some(context) = output.context {
            conversation.context = context;
        }
        conversation.updated_at = now;

        if voice_in
            && ctx.profile.settings.voice_replies
            && let Some(first_text) = replies.iter().find_map(|r| match r {
                OutboundContent::Text { body, .. }
                | OutboundContent::ReplyButtons { body, .. }
                | OutboundContent::List { body, .. }
                | OutboundContent::LocationRequest { body } => Some(body.clone()),
                _ => None,
            })
            && let Some(voice) = self.voice_reply(turn, &first_text).await
        {
            replies.push(voice);
        }

        let order = if cart.changed() {
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
        } else {
            None
        };
        Ok(Decision {
            conversation,
            replies,
            order,
            transcript,
            media_path: None,
        })
    }
}

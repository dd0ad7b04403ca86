//! Queuing: [`WhatsAppService`] puts messages in the outbox for one number (an account, or
//! the legacy single number), the only way anything is sent.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use omni_domain::{
    AccountId, AccountStatus, MessageId, PhoneNumber, PhoneNumberId, StoreId, WhatsappAccount,
};
use omni_ports::meta::{OutboundContent, OutboundMessage, Recipient};
use omni_ports::{Clock, Initiator, NewOutboxMessage, OutboxRepo, RepoError};

/// Why a message was not queued.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Free-form content outside the customer's 24-hour window: send an approved template.
    #[error(
        "the customer's 24-hour service window is closed; only an approved template can be sent"
    )]
    OutsideWindow,
    /// The account may not send (disconnected, inactive, or waiting for the owner to reconnect).
    #[error("this WhatsApp number cannot send now: {0}")]
    AccountUnavailable(&'static str),
    /// Storage failed; nothing was queued.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// Who sends.
#[derive(Debug, Clone, PartialEq, Eq)]
enum From {
    Account {
        store: StoreId,
        account: AccountId,
        number: PhoneNumberId,
    },
    Legacy {
        number: PhoneNumberId,
    },
}

/// How to queue one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendOptions {
    /// Same key, one message (default: a new unique key).
    pub idempotency_key: Option<String>,
    /// When the customer's window closes (their last message + 24 h); `None` when they never
    /// wrote, so only templates may go.
    pub window_ends_at: Option<DateTime<Utc>>,
    /// The tenant message recording it.
    pub tenant_message_id: Option<MessageId>,
    /// Quote this wamid.
    pub reply_to: Option<String>,
}

/// A message that was queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// Its idempotency key (to find it in the outbox).
    pub idempotency_key: String,
    /// False when the key was already queued (nothing new).
    pub new: bool,
}

/// Sending through one number: an account of a store, or the legacy single-number
/// configuration (WHATSAPP_PHONE_ID / WHATSAPP_TOKEN) when there is no account.
#[derive(Clone)]
pub struct WhatsAppService {
    outbox: Arc<dyn OutboxRepo>,
    clock: Arc<dyn Clock>,
    from: From,
}

impl std::fmt::Debug for WhatsAppService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppService")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl WhatsAppService {
    /// Sends from a store's account.
    ///
    /// # Errors
    /// [`SendError::AccountUnavailable`] when the account is disconnected, inactive or needs
    /// the owner to reconnect.
    pub fn for_account(
        outbox: Arc<dyn OutboxRepo>,
        clock: Arc<dyn Clock>,
        account: &WhatsappAccount,
    ) -> Result<Self, SendError> {
        if account.deleted_at.is_some() {
            return Err(SendError::AccountUnavailable("disconnected"));
        }
        match account.status() {
            AccountStatus::Active => {}
            AccountStatus::ReauthRequired => {
                return Err(SendError::AccountUnavailable("reconnect required"));
            }
            _ => return Err(SendError::AccountUnavailable("not active")),
        }
        Ok(Self {
            outbox,
            clock,
            from: From::Account {
                store: account.store_id,
                account: account.id,
                number: account.phone_number_id.clone(),
            },
        })
    }

    /// Sends from the legacy configured number (no account row).
    #[must_use]
    pub fn legacy(
        outbox: Arc<dyn OutboxRepo>,
        clock: Arc<dyn Clock>,
        number: PhoneNumberId,
    ) -> Self {
        Self {
            outbox,
            clock,
            from: From::Legacy { number },
        }
    }

    /// Queues a text.
    ///
    /// # Errors
    /// [`SendError::OutsideWindow`] when the window is closed.
    pub async fn send_text(
        &self,
        to: &PhoneNumber,
        body: &str,
        options: SendOptions,
    ) -> Result<Queued, SendError> {
        self.send(
            Recipient::Phone(to.as_str().to_owned()),
            OutboundContent::Text {
                body: body.to_owned(),
                preview_url: false,
            },
            options,
        )
        .await
    }

    /// Queues any message kind. Free-form content needs an open window; a template may go
    /// any time (business-initiated outside the window, counted against the tier).
    ///
    /// # Errors
    /// [`SendError::OutsideWindow`], or storage failure.
    pub async fn send(
        &self,
        to: Recipient,
        content: OutboundContent,
        options: SendOptions,
    ) -> Result<Queued, SendError> {
        let now = self.clock.now();
        let open = options.window_ends_at.is_some_and(|w| now < w);
        let template = matches!(content, OutboundContent::Template { .. });
        if !open && !template {
            return Err(SendError::OutsideWindow);
        }
        let key = options
            .idempotency_key
            .unwrap_or_else(|| format!("send:{}", MessageId::new()));
        let (store, account, number) = match &self.from {
            From::Account {
                store,
                account,
                number,
            } => (Some(*store), Some(*account), number.clone()),
            From::Legacy { number } => (None, None, number.clone()),
        };
        let new = self
            .outbox
            .enqueue(&[NewOutboxMessage {
                idempotency_key: key.clone(),
                store_id: store,
                account_id: account,
                sender: number,
                message: OutboundMessage {
                    to,
                    content,
                    reply_to: options.reply_to,
                    biz_opaque_callback_data: None,
                },
                initiator: if open {
                    Initiator::Customer
                } else {
                    Initiator::Business
                },
                window_ends_at: options.window_ends_at,
                tenant_message_id: options.tenant_message_id,
                created_at: now,
            }])
            .await?;
        Ok(Queued {
            idempotency_key: key,
            new: new == 1,
        })
    }
}

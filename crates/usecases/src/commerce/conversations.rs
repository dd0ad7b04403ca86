//! Conversations as the owner sees them: the newest ones, and pausing the agent for one.

use omni_domain::{Conversation, ConversationId, StoreId};
use omni_ports::RepoError;

use super::service::{Commerce, CommerceError};

impl Commerce {
    /// Pauses or resumes the agent for one conversation.
    ///
    /// # Errors
    /// `NotFound`; storage.
    pub async fn set_agent_paused(
        &self,
        store: StoreId,
        conversation: ConversationId,
        paused: bool,
    ) -> Result<Conversation, CommerceError> {
        match self
            .commerce
            .set_agent_paused(store, conversation, paused, self.clock.now())
            .await
        {
            Err(RepoError::NotFound) => return Err(CommerceError::NotFound("conversation")),
            other => other?,
        }
        self.commerce
            .find_conversation_by_id(store, conversation)
            .await?
            .ok_or(CommerceError::NotFound("conversation"))
    }

    /// The newest conversations.
    ///
    /// # Errors
    /// Storage.
    pub async fn conversations(
        &self,
        store: StoreId,
        limit: u32,
    ) -> Result<Vec<Conversation>, CommerceError> {
        Ok(self.commerce.list_conversations(store, limit).await?)
    }
}

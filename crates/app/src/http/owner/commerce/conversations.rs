//! `/api/owner/conversations`: the recent conversations, and pausing or resuming the agent in
//! one (the owner takes over).

use actix_web::{HttpResponse, web};
use omni_domain::Conversation;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::owner::auth::OwnerCtx;
use crate::http::owner::params::{ConversationPath, StoreQuery};
use crate::http::owner::reply;

/// A conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationResponse {
    /// Id.
    pub id: String,
    /// Customer.
    pub customer_id: String,
    /// The store's number.
    pub account_id: String,
    /// The agent's state label.
    pub state: String,
    /// The owner took over: the agent sends nothing.
    pub agent_paused: bool,
    /// The customer's last message (RFC 3339).
    pub last_inbound_at: Option<String>,
    /// Last activity (RFC 3339).
    pub updated_at: String,
}

impl From<&Conversation> for ConversationResponse {
    fn from(c: &Conversation) -> Self {
        Self {
            id: c.id.to_string(),
            customer_id: c.customer_id.to_string(),
            account_id: c.account_id.to_string(),
            state: c.state.to_string(),
            agent_paused: c.agent_paused,
            last_inbound_at: c.last_inbound_at().map(|t| t.to_rfc3339()),
            updated_at: c.updated_at.to_rfc3339(),
        }
    }
}

/// `GET /api/owner/conversations`.
#[utoipa::path(get, path = "/api/owner/conversations", tag = "orders",
    params(StoreQuery),
    responses((status = 200, description = "The 100 most recently active conversations", body = [ConversationResponse])))]
pub(in crate::http::owner) async fn conversations_list(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let list = state
        .services
        .commerce
        .conversations(ctx.store()?.id, 100)
        .await?;
    Ok(reply::list::<ConversationResponse, _>(&list))
}

/// Pauses or resumes the agent in one of the store's conversations.
async fn set_paused(
    ctx: &OwnerCtx,
    state: &AppState,
    path: &ConversationPath,
    paused: bool,
) -> Result<HttpResponse, ApiError> {
    let id = path.id()?;
    let c = state
        .services
        .commerce
        .set_agent_paused(ctx.store()?.id, id, paused)
        .await?;
    Ok(HttpResponse::Ok().json(ConversationResponse::from(&c)))
}

/// `POST /api/owner/conversations/{conversation_id}/pause`.
#[utoipa::path(post, path = "/api/owner/conversations/{conversation_id}/pause", tag = "orders",
    params(ConversationPath, StoreQuery),
    responses((status = 200, description = "The agent sends nothing in this conversation until resumed", body = ConversationResponse)))]
pub(in crate::http::owner) async fn conversation_pause(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<ConversationPath>,
) -> Result<HttpResponse, ApiError> {
    set_paused(&ctx, &state, &path, true).await
}

/// `POST /api/owner/conversations/{conversation_id}/resume`.
#[utoipa::path(post, path = "/api/owner/conversations/{conversation_id}/resume", tag = "orders",
    params(ConversationPath, StoreQuery),
    responses((status = 200, description = "The agent answers again", body = ConversationResponse)))]
pub(in crate::http::owner) async fn conversation_resume(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<ConversationPath>,
) -> Result<HttpResponse, ApiError> {
    set_paused(&ctx, &state, &path, false).await
}

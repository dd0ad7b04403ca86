//! `/api/owner/whatsapp/accounts...`: list, disconnect, set-default, toggle-status, refresh.
//! Each handler passes the caller's store and the path id to the use case, which finds the
//! account only within that store: another store's id is a plain 404, with nothing of the
//! account in the body.

use actix_web::{HttpResponse, web};

use super::auth::OwnerCtx;
use super::dto::{AccountList, AccountResponse, DisconnectResponse, ErrorBody};
use super::params::{AccountPath, StoreQuery};
use crate::http::AppState;
use crate::http::error::ApiError;

/// The account after a change, with the default flag read fresh.
async fn answer(
    state: &AppState,
    ctx: &OwnerCtx,
    account: &omni_domain::WhatsappAccount,
) -> Result<HttpResponse, ApiError> {
    let default = state
        .services
        .ports
        .central
        .find_store(ctx.store()?.id)
        .await?
        .and_then(|s| s.default_account_id);
    Ok(HttpResponse::Ok().json(AccountResponse::new(account, default)))
}

/// `GET /api/owner/whatsapp/accounts`.
#[utoipa::path(
    get, path = "/api/owner/whatsapp/accounts", tag = "accounts",
    params(StoreQuery),
    responses(
        (status = 200, description = "The store's accounts (never a token)", body = AccountList),
        (status = 404, description = "`not_found` (not the owner's store) or `no_store`", body = ErrorBody),
    )
)]
pub(super) async fn list(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let store = ctx.store()?;
    let accounts = state.services.accounts.list(store.id).await?;
    Ok(HttpResponse::Ok().json(AccountList {
        store_id: store.id.to_string(),
        default_account_id: store.default_account_id.map(|a| a.to_string()),
        accounts: accounts
            .iter()
            .map(|a| AccountResponse::new(a, store.default_account_id))
            .collect(),
    }))
}

/// `POST /api/owner/whatsapp/accounts/{id}/disconnect`.
#[utoipa::path(
    post, path = "/api/owner/whatsapp/accounts/{id}/disconnect", tag = "accounts",
    params(AccountPath, StoreQuery),
    responses(
        (status = 200, description = "Disconnected (soft delete); Meta tidied best-effort", body = DisconnectResponse),
        (status = 404, description = "`not_found`: no such account in this store", body = ErrorBody),
    )
)]
pub(super) async fn disconnect(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<AccountPath>,
) -> Result<HttpResponse, ApiError> {
    let id = path.id()?;
    let cleanup = state
        .services
        .accounts
        .disconnect(ctx.store()?.id, id)
        .await?;
    Ok(HttpResponse::Ok().json(DisconnectResponse {
        id: id.to_string(),
        disconnected: true,
        meta_cleanup: cleanup.as_str().to_owned(),
    }))
}

/// `POST /api/owner/whatsapp/accounts/{id}/set-default`.
#[utoipa::path(
    post, path = "/api/owner/whatsapp/accounts/{id}/set-default", tag = "accounts",
    params(AccountPath, StoreQuery),
    responses(
        (status = 200, description = "Now the store's default", body = AccountResponse),
        (status = 409, description = "`account_not_active`", body = ErrorBody),
    )
)]
pub(super) async fn set_default(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<AccountPath>,
) -> Result<HttpResponse, ApiError> {
    let id = path.id()?;
    let account = state
        .services
        .accounts
        .set_default(ctx.store()?.id, id)
        .await?;
    answer(&state, &ctx, &account).await
}

/// `POST /api/owner/whatsapp/accounts/{id}/toggle-status`.
#[utoipa::path(
    post, path = "/api/owner/whatsapp/accounts/{id}/toggle-status", tag = "accounts",
    params(AccountPath, StoreQuery),
    responses(
        (status = 200, description = "Switched: active to inactive, inactive to active (pending if never verified)", body = AccountResponse),
        (status = 409, description = "`invalid_status`: pending, failed or reauth_required", body = ErrorBody),
    )
)]
pub(super) async fn toggle_status(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<AccountPath>,
) -> Result<HttpResponse, ApiError> {
    let id = path.id()?;
    let account = state
        .services
        .accounts
        .toggle_status(ctx.store()?.id, id)
        .await?;
    answer(&state, &ctx, &account).await
}

/// `POST /api/owner/whatsapp/accounts/{id}/refresh`.
#[utoipa::path(
    post, path = "/api/owner/whatsapp/accounts/{id}/refresh", tag = "accounts",
    params(AccountPath, StoreQuery),
    responses(
        (status = 200, description = "Re-read from Meta", body = AccountResponse),
        (status = 409, description = "`reauth_required`: Meta rejected the token (190); the account is marked so", body = ErrorBody),
        (status = 502, description = "`meta_error`", body = ErrorBody),
        (status = 503, description = "`meta_unavailable` or `meta_not_configured`", body = ErrorBody),
    )
)]
pub(super) async fn refresh(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<AccountPath>,
) -> Result<HttpResponse, ApiError> {
    let id = path.id()?;
    // Through account health, so what changed is kept in the account's history.
    let account = state.services.health.refresh(ctx.store()?.id, id).await?;
    answer(&state, &ctx, &account).await
}

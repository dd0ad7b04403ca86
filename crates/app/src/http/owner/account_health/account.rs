//! The account an account-health route is about, found only within the caller's store:
//! another store's id is a plain 404, before any body is read or Meta is called.

use omni_domain::WhatsappAccount;

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::owner::auth::OwnerCtx;
use crate::http::owner::params::AccountPath;

/// The account of `path`, only within the caller's store.
///
/// # Errors
/// 404 `not_found` for a malformed id or one not in the store; `no_store`; storage errors.
pub(super) async fn owned(
    state: &AppState,
    ctx: &OwnerCtx,
    path: &AccountPath,
) -> Result<WhatsappAccount, ApiError> {
    let id = path.id()?;
    state
        .services
        .ports
        .central
        .find_account(ctx.store()?.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such account in this store"))
}

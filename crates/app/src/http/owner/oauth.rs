//! Connecting numbers: the OAuth dialog URL, Meta's redirect back (`/api/whatsapp/callback`,
//! public: the signed single-use `state` is what authenticates it), and Embedded Signup.
//! The callback always ends in a redirect to the owner frontend with either
//! `?whatsapp=connected&accounts=N` or `?whatsapp=error&code=<stable code>`, never with a
//! secret in it.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use omni_usecases::{CallbackParams, ConnectOutcome, OnboardingError, SignupHints};
use secrecy::SecretString;

use super::auth::OwnerCtx;
use super::dto::{
    AccountResponse, ConnectResponse, EmbeddedSignupBody, ErrorBody, OAuthUrlResponse,
};
use super::params::{CallbackQuery, StoreQuery};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;

/// `GET /api/owner/whatsapp/oauth-url`.
#[utoipa::path(
    get, path = "/api/owner/whatsapp/oauth-url", tag = "onboarding",
    params(StoreQuery),
    responses(
        (status = 200, description = "Meta's dialog URL with a fresh signed state", body = OAuthUrlResponse),
        (status = 503, description = "`meta_not_configured` or `redirect_uri_not_configured`", body = ErrorBody),
    )
)]
pub(super) async fn oauth_url(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let flow = state
        .services
        .onboarding
        .start(&ctx.owner, ctx.store()?)
        .await?;
    let ttl = state.services.onboarding.state_ttl();
    // The callback is a top-level navigation back from Meta's site: SameSite=Lax is the
    // strictest setting that still sends the cookie there.
    let binding = Cookie::build(BINDING_COOKIE, flow.browser_binding)
        .path(CALLBACK_PATH)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.cookies_secure)
        .max_age(actix_web::cookie::time::Duration::seconds(
            i64::try_from(ttl.as_secs()).unwrap_or(600),
        ))
        .finish();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(binding)
        .json(OAuthUrlResponse {
            url: flow.url,
            expires_in: ttl.as_secs(),
        }))
}

/// The cookie that binds an OAuth flow to the browser that started it.
pub const BINDING_COOKIE: &str = "omni_oauth";
const CALLBACK_PATH: &str = "/api/whatsapp/callback";

/// `GET /api/whatsapp/callback`.
#[utoipa::path(
    get, path = "/api/whatsapp/callback", tag = "onboarding",
    params(CallbackQuery),
    responses(
        (status = 302, description = "To the owner frontend: `?whatsapp=connected&accounts=N[&taken=M]` or `?whatsapp=error&code=` one of `state_invalid`, `state_expired`, `state_used`, `browser_mismatch` (no `omni_oauth` cookie from oauth-url in this browser), `access_denied`, `code_exchange_failed`, `token_invalid`, `permissions_missing`, `no_whatsapp_assets`, `number_taken`, `meta_unavailable`, `meta_error`, `meta_not_configured`, `redirect_uri_not_configured`, `internal`"),
    )
)]
pub(super) async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: Option<web::Query<CallbackQuery>>,
) -> HttpResponse {
    let mut params = query.map_or_else(CallbackParams::default, |q| {
        let q = q.into_inner();
        CallbackParams {
            state: q.state,
            code: q.code.map(SecretString::from),
            error: q.error,
            browser_binding: None,
        }
    });
    params.browser_binding = req.cookie(BINDING_COOKIE).map(|c| c.value().to_owned());
    let query = match state.services.onboarding.callback(params).await {
        Ok(outcome) => {
            let mut q = format!("whatsapp=connected&accounts={}", outcome.connected.len());
            if !outcome.taken.is_empty() {
                q.push_str(&format!("&taken={}", outcome.taken.len()));
            }
            q
        }
        Err(e) => {
            match &e {
                OnboardingError::Secret | OnboardingError::Repo(_) => {
                    tracing::error!(error = %e, "OAuth callback failed");
                }
                _ => tracing::info!(code = e.code(), "OAuth callback refused"),
            }
            format!("whatsapp=error&code={}", e.code())
        }
    };
    let base = &state.owner_frontend_url;
    let sep = if base.contains('?') { '&' } else { '?' };
    // The binding cookie is left to expire with its state: a state is good once anyway, and
    // a replay in the same browser is then told `state_used`, not a confusing mismatch.
    HttpResponse::Found()
        .insert_header((header::LOCATION, format!("{base}{sep}{query}")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn connected(outcome: &ConnectOutcome, default: Option<omni_domain::AccountId>) -> ConnectResponse {
    ConnectResponse {
        accounts: outcome
            .connected
            .iter()
            .map(|a| AccountResponse::new(a, default))
            .collect(),
        taken: outcome
            .taken
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect(),
        invalid: outcome
            .invalid
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect(),
    }
}

/// `POST /api/owner/whatsapp/embedded-signup`.
#[utoipa::path(
    post, path = "/api/owner/whatsapp/embedded-signup", tag = "onboarding",
    params(StoreQuery),
    request_body = EmbeddedSignupBody,
    responses(
        (status = 201, description = "Numbers connected", body = ConnectResponse),
        (status = 400, description = "`code_exchange_failed`, `token_invalid`, `permissions_missing`, `no_whatsapp_assets`, `asset_not_granted`", body = ErrorBody),
        (status = 409, description = "`number_taken`: connected to another store", body = ErrorBody),
        (status = 502, description = "`meta_error`", body = ErrorBody),
        (status = 503, description = "`meta_unavailable` or `meta_not_configured`", body = ErrorBody),
    )
)]
pub(super) async fn embedded_signup(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    body: JsonBody<EmbeddedSignupBody>,
) -> Result<HttpResponse, ApiError> {
    let store = ctx.store()?;
    let body = body.parse()?;
    if body.code.trim().is_empty() || body.code.len() > 2048 {
        return Err(ApiError::bad_request(
            "code_exchange_failed",
            "the code is missing or malformed",
        ));
    }
    tracing::info!(
        waba_id = ?body.waba_id,
        phone_number_id = ?body.phone_number_id,
        business_id = ?body.business_id,
        "embedded signup finished in the browser"
    );
    let hints = SignupHints {
        waba_id: body.waba_id,
        phone_number_id: body.phone_number_id,
    };
    let outcome = state
        .services
        .onboarding
        .embedded_signup(&ctx.owner, store, &SecretString::from(body.code), &hints)
        .await?;
    let default = state
        .services
        .ports
        .central
        .find_store(store.id)
        .await?
        .and_then(|s| s.default_account_id);
    Ok(HttpResponse::Created().json(connected(&outcome, default)))
}

//! Bearer authentication and the caller's store. [`OwnerCtx`] loads the session and the owner
//! from `Authorization: Bearer <token>`, then picks the store the request is about: the
//! `store_id` query parameter when given (it must be one of the owner's stores, else 404), or
//! else the owner's oldest store. Every owner handler takes it as its first argument, so the
//! store check runs before the body is even read.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use omni_domain::{Owner, Store, StoreId};
use omni_ports::OwnerSession;
use omni_usecases::AuthError;
use secrecy::SecretString;

use super::dto::{LoginBody, LoginResponse, StoreSummary};
use super::limiter::DeviceCookie;
use super::params::StoreQuery;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;

/// The longest email address (RFC 5321's path limit).
const MAX_EMAIL_BYTES: usize = 254;

/// A missing or refused bearer token: 401 with `WWW-Authenticate: Bearer`.
#[derive(Debug)]
struct Unauthorized;

impl std::fmt::Display for Unauthorized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("401 unauthorized: missing, invalid, expired or revoked bearer token")
    }
}

impl ResponseError for Unauthorized {
    fn status_code(&self) -> StatusCode {
        StatusCode::UNAUTHORIZED
    }

    fn error_response(&self) -> HttpResponse {
        let mut res =
            ApiError::unauthorized("a valid bearer token is required (POST /api/owner/login)")
                .error_response();
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        res
    }
}

/// The authenticated owner, their session, and the store the request is about.
#[derive(Debug, Clone)]
pub struct OwnerCtx {
    /// The owner.
    pub owner: Owner,
    /// The session the bearer token opened.
    pub session: OwnerSession,
    /// The store (owned by the owner); `None` only when the owner has no store.
    pub store: Option<Store>,
}

impl OwnerCtx {
    /// The store, or 404 `no_store` when the owner has none.
    ///
    /// # Errors
    /// When the owner has no store.
    pub fn store(&self) -> Result<&Store, ApiError> {
        self.store.as_ref().ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no_store",
                "the owner has no store yet",
            )
        })
    }
}

fn bearer(req: &HttpRequest) -> Option<SecretString> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| SecretString::from(token.trim().to_owned()))
}

impl FromRequest for OwnerCtx {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        let query = StoreQuery::from_query(req.query_string());
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal(&"AppState is not registered"))?;
            let store_id = query?.store_id;
            let token = token.ok_or(Unauthorized)?;
            let auth = state
                .services
                .owner_auth
                .authenticate(&token)
                .await
                .map_err(|e| -> actix_web::Error {
                    match e {
                        AuthError::Unauthenticated => Unauthorized.into(),
                        AuthError::Repo(e) => ApiError::from(e).into(),
                    }
                })?;
            let stores = state
                .services
                .ports
                .central
                .list_stores_of_owner(auth.owner.id)
                .await
                .map_err(ApiError::from)?;
            let store = match store_id {
                Some(raw) => {
                    let id =
                        StoreId::parse(&raw).map_err(|_| ApiError::not_found("no such store"))?;
                    Some(
                        stores
                            .into_iter()
                            .find(|s| s.id == id)
                            .ok_or_else(|| ApiError::not_found("no such store"))?,
                    )
                }
                None => stores.into_iter().next(),
            };
            Ok(Self {
                owner: auth.owner,
                session: auth.session,
                store,
            })
        })
    }
}

/// `POST /api/owner/login`.
#[utoipa::path(
    post, path = "/api/owner/login", tag = "owner",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Logged in: a bearer token", body = LoginResponse),
        (status = 400, description = "Malformed body", body = super::dto::ErrorBody),
        (status = 401, description = "`invalid_credentials`: unknown email or wrong password", body = super::dto::ErrorBody),
        (status = 429, description = "`too_many_attempts`", body = super::dto::ErrorBody),
    )
)]
pub(super) async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    // Before the address becomes a key or the email is looked at: no email is longer.
    if body.email.len() > MAX_EMAIL_BYTES {
        return Err(ApiError::bad_request(
            "invalid_email",
            format!("an email address is at most {MAX_EMAIL_BYTES} characters"),
        ));
    }
    let tokens = state.services.ports.secret_tokens.as_ref();
    let device = req
        .cookie(DeviceCookie::NAME)
        .and_then(|c| DeviceCookie::verify(tokens, &body.email, c.value()));
    let ip = state.login_limiter.client_ip(&req);
    if !state.login_limiter.check(&body.email, ip, device) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "too many login attempts; wait a minute",
        ));
    }
    let password = SecretString::from(body.password);
    let grant = state
        .services
        .owner_auth
        .login(&body.email, &password)
        .await?;
    let stores = state
        .services
        .ports
        .central
        .list_stores_of_owner(grant.owner.id)
        .await?
        .iter()
        .map(StoreSummary::from)
        .collect();
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if device.is_none()
        && let Some(value) = DeviceCookie::issue(tokens, grant.owner.email.as_str())
    {
        res.cookie(
            Cookie::build(DeviceCookie::NAME, value)
                .path("/api/owner/login")
                .http_only(true)
                .same_site(SameSite::Strict)
                .secure(state.cookies_secure)
                .max_age(actix_web::cookie::time::Duration::days(
                    DeviceCookie::MAX_AGE_DAYS,
                ))
                .finish(),
        );
    }
    Ok(res.json(LoginResponse {
        token: secrecy::ExposeSecret::expose_secret(&grant.token).to_owned(),
        token_type: "Bearer".to_owned(),
        expires_at: grant.expires_at.to_rfc3339(),
        owner_id: grant.owner.id.to_string(),
        email: grant.owner.email.to_string(),
        stores,
    }))
}

/// `POST /api/owner/logout`.
#[utoipa::path(
    post, path = "/api/owner/logout", tag = "owner",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The session is revoked"),
        (status = 401, description = "`unauthorized`", body = super::dto::ErrorBody),
    )
)]
pub(super) async fn logout(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.services.owner_auth.logout(&ctx.session).await?;
    Ok(HttpResponse::NoContent().finish())
}

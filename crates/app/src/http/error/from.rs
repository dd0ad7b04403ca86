//! Every conversion of a use-case or port error into an [`ApiError`]: which status and stable
//! code each failure answers with. Handlers only write `?`; the mapping is decided here, once.

use actix_web::http::StatusCode;
use omni_ports::RepoError;
use omni_usecases::account_health::AlertNumberError;
use omni_usecases::outbound::SendError;
use omni_usecases::templates::TemplateError;
use omni_usecases::{AccountError, CommerceError, LoginError, OnboardingError};

use super::ApiError;

impl From<RepoError> for ApiError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::NotFound | RepoError::TenantNotFound => Self::not_found("not found"),
            RepoError::Conflict { .. } => {
                Self::conflict("conflict", "the resource changed or already exists")
            }
            RepoError::Unavailable(_) => {
                tracing::warn!(error = %e, "storage unavailable");
                Self::unavailable("storage is unavailable; retry shortly")
            }
            other => Self::internal(&other),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound => Self::not_found("no such account in this store"),
            AccountError::NotActive => Self::conflict(
                "account_not_active",
                "only an active account can be the default",
            ),
            AccountError::InvalidStatus(s) => Self::conflict(
                "invalid_status",
                format!("an account in status {s} cannot be switched on or off"),
            ),
            AccountError::ReauthRequired => Self::conflict(
                "reauth_required",
                "Meta rejected the access token; connect the number again",
            ),
            AccountError::MetaNotConfigured => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "meta_not_configured",
                "no Meta app is configured (META_APP_ID, META_APP_SECRET)",
            ),
            AccountError::Meta(g) if g.kind.is_retryable() => {
                tracing::warn!(error = %g, "Meta unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "meta_unavailable",
                    "Meta is unavailable; retry shortly",
                )
            }
            AccountError::Meta(g) => {
                tracing::warn!(error = %g, "Meta refused");
                Self::new(
                    StatusCode::BAD_GATEWAY,
                    "meta_error",
                    format!("Meta refused the request ({})", g.kind),
                )
            }
            AccountError::Secret(e) => Self::internal(&e),
            AccountError::Repo(e) => e.into(),
        }
    }
}

impl From<OnboardingError> for ApiError {
    fn from(e: OnboardingError) -> Self {
        let code = e.code();
        let status = match &e {
            OnboardingError::MetaNotConfigured
            | OnboardingError::RedirectUriMissing
            | OnboardingError::MetaUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            OnboardingError::NumberTaken => StatusCode::CONFLICT,
            OnboardingError::Meta(_) => StatusCode::BAD_GATEWAY,
            OnboardingError::Secret | OnboardingError::Repo(_) => return Self::internal(&e),
            _ => StatusCode::BAD_REQUEST,
        };
        if status.is_server_error() {
            tracing::warn!(error = %e, code, "onboarding failed");
        }
        Self::new(status, code, e.to_string())
    }
}

impl From<LoginError> for ApiError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::InvalidCredentials => Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "invalid email or password",
            ),
            LoginError::Random => Self::internal(&e),
            LoginError::Repo(e) => e.into(),
        }
    }
}

impl From<CommerceError> for ApiError {
    fn from(e: CommerceError) -> Self {
        match e {
            CommerceError::NotFound(what) => {
                Self::not_found(format!("no such {what} in this store"))
            }
            CommerceError::Invalid { code, message } => Self::bad_request(code, message),
            CommerceError::Conflict { code, message } => Self::conflict(code, message),
            CommerceError::Repo(e) => e.into(),
            CommerceError::Media(e) => {
                tracing::error!(error = %e, "media store unavailable");
                Self::unavailable("the media store is unavailable; retry shortly")
            }
        }
    }
}

impl From<TemplateError> for ApiError {
    fn from(e: TemplateError) -> Self {
        match e {
            TemplateError::Account(a) => a.into(),
            TemplateError::NotFound { .. } => {
                Self::new(StatusCode::NOT_FOUND, "template_not_found", e.to_string())
            }
            TemplateError::NotApproved { .. } => {
                Self::conflict("template_not_approved", e.to_string())
            }
            TemplateError::Parameters(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "template_parameters_mismatch",
                e.to_string(),
            ),
            TemplateError::Invalid(m) => Self::bad_request("invalid_template", m),
            TemplateError::Send(SendError::AccountUnavailable(why)) => Self::conflict(
                "account_unavailable",
                format!("this number cannot send now: {why}"),
            ),
            TemplateError::Send(SendError::OutsideWindow) => {
                Self::conflict("outside_window", "the customer's window is closed")
            }
            TemplateError::Send(SendError::Repo(r)) => r.into(),
        }
    }
}

impl From<AlertNumberError> for ApiError {
    fn from(e: AlertNumberError) -> Self {
        match e {
            AlertNumberError::Invalid(_) => {
                Self::bad_request("invalid_phone", "`owner_whatsapp` is not a phone number")
            }
            AlertNumberError::Repo(r) => r.into(),
        }
    }
}

//! Owner login sessions: an opaque bearer token (32 random bytes, base64url) handed to the
//! owner once and stored only as its SHA-256, with an expiry and a revocation time. Unknown
//! emails and wrong passwords fail the same way, and both run the password hasher, so neither
//! the answer nor its timing tells an attacker which emails have accounts.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use omni_domain::{Email, Owner};
use omni_ports::{
    CentralRepo, Clock, OwnerAuthRepo, OwnerSession, PasswordHasherPort, RepoError, SecretTokens,
};
use secrecy::{ExposeSecret, SecretString};

/// Bytes of randomness in a session token (256 bits).
pub const SESSION_TOKEN_BYTES: usize = 32;

/// A successful login.
#[derive(Debug)]
pub struct LoginGrant {
    /// The bearer token; shown to the owner once, never stored.
    pub token: SecretString,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Who logged in.
    pub owner: Owner,
}

/// An authenticated request's owner and session.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The owner.
    pub owner: Owner,
    /// The session the token opened.
    pub session: OwnerSession,
}

/// Logging in failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown email or wrong password (deliberately not told apart).
    #[error("invalid email or password")]
    InvalidCredentials,
    /// No random token could be made.
    #[error("could not create a session token")]
    Random,
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// A bearer token was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Missing, unknown, expired or revoked token (or its owner is gone).
    #[error("invalid or expired session")]
    Unauthenticated,
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// Owner login, authentication and logout.
#[derive(Clone)]
pub struct OwnerAuth {
    central: Arc<dyn CentralRepo>,
    sessions: Arc<dyn OwnerAuthRepo>,
    passwords: Arc<dyn PasswordHasherPort>,
    tokens: Arc<dyn SecretTokens>,
    clock: Arc<dyn Clock>,
    session_ttl: Duration,
    dummy_hash: Arc<OnceLock<Option<String>>>,
}

impl std::fmt::Debug for OwnerAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnerAuth")
            .field("session_ttl", &self.session_ttl)
            .finish_non_exhaustive()
    }
}

impl OwnerAuth {
    /// Wires the service; sessions last `session_ttl`.
    #[must_use]
    pub fn new(
        central: Arc<dyn CentralRepo>,
        sessions: Arc<dyn OwnerAuthRepo>,
        passwords: Arc<dyn PasswordHasherPort>,
        tokens: Arc<dyn SecretTokens>,
        clock: Arc<dyn Clock>,
        session_ttl: Duration,
    ) -> Self {
        Self {
            central,
            sessions,
            passwords,
            tokens,
            clock,
            session_ttl,
            dummy_hash: Arc::new(OnceLock::new()),
        }
    }

    /// The hash checked when the email is unknown, so that path costs what a real check does.
    fn dummy_hash(&self) -> Option<&str> {
        self.dummy_hash
            .get_or_init(|| {
                self.passwords
                    .hash(&SecretString::from(
                        "timing-equaliser-not-a-real-password".to_owned(),
                    ))
                    .ok()
            })
            .as_deref()
    }

    /// Checks email and password and opens a session.
    ///
    /// # Errors
    /// [`LoginError::InvalidCredentials`] for an unknown email or a wrong password alike.
    #[tracing::instrument(skip_all)]
    pub async fn login(
        &self,
        email: &str,
        password: &SecretString,
    ) -> Result<LoginGrant, LoginError> {
        let owner = match Email::parse(email) {
            Ok(email) => self.central.find_owner_by_email(&email).await?,
            Err(_) => None,
        };
        let matches = match &owner {
            Some(o) => self
                .passwords
                .verify(password, &o.password_hash)
                .unwrap_or(false),
            None => {
                if let Some(hash) = self.dummy_hash() {
                    let _ = self.passwords.verify(password, hash);
                }
                false
            }
        };
        let Some(owner) = owner.filter(|_| matches) else {
            tracing::info!("owner login refused");
            return Err(LoginError::InvalidCredentials);
        };
        let bytes = self
            .tokens
            .random_bytes(SESSION_TOKEN_BYTES)
            .map_err(|_| LoginError::Random)?;
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let now = self.clock.now();
        let expires_at = now
            + chrono::Duration::from_std(self.session_ttl)
                .unwrap_or_else(|_| chrono::Duration::days(7));
        let session = OwnerSession {
            token_hash: self.tokens.digest_hex(token.as_bytes()),
            owner_id: owner.id,
            created_at: now,
            expires_at,
            revoked_at: None,
        };
        self.sessions.insert_session(&session).await?;
        tracing::info!(owner = %owner.id, "owner logged in");
        Ok(LoginGrant {
            token: SecretString::from(token),
            expires_at,
            owner,
        })
    }

    /// The owner behind a bearer token.
    ///
    /// # Errors
    /// [`AuthError::Unauthenticated`] unless the token names a live session of an existing
    /// owner.
    pub async fn authenticate(&self, token: &SecretString) -> Result<Authenticated, AuthError> {
        let token = token.expose_secret();
        // A real token is 43 characters; anything far off is refused before hashing.
        if token.is_empty() || token.len() > 128 {
            return Err(AuthError::Unauthenticated);
        }
        let hash = self.tokens.digest_hex(token.as_bytes());
        let session = self
            .sessions
            .find_live_session(&hash, self.clock.now())
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        let owner = self
            .central
            .find_owner(session.owner_id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        Ok(Authenticated { owner, session })
    }

    /// Revokes the session of an authenticated request.
    ///
    /// # Errors
    /// Only on storage failure.
    pub async fn logout(&self, session: &OwnerSession) -> Result<(), RepoError> {
        self.sessions
            .revoke_session(&session.token_hash, self.clock.now())
            .await?;
        tracing::info!(owner = %session.owner_id, "owner logged out");
        Ok(())
    }
}

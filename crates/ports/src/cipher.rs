//! Sealing secrets at rest (access tokens, verify tokens). Synchronous: it is CPU work of a few
//! microseconds, not IO.

use omni_domain::{AccountId, SealedSecret};
use secrecy::SecretString;

/// Why a secret could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CipherError {
    /// Not in a format this cipher wrote.
    #[error("sealed value is malformed")]
    Malformed,
    /// Sealed under a key that is not configured.
    #[error("sealed under unknown key `{0}`")]
    UnknownKey(String),
    /// Authentication failed: tampered, or sealed for another row or field.
    #[error("sealed value failed authentication")]
    Forged,
    /// The system random source failed.
    #[error("random source failed")]
    Random,
}

/// Authenticated encryption of secrets with rotating keys.
pub trait TokenCipher: Send + Sync {
    /// Seals `plaintext` under the newest key, bound to `aad` (see [`secret_aad`]).
    ///
    /// # Errors
    /// Only when the random source fails.
    fn seal(&self, plaintext: &SecretString, aad: &[u8]) -> Result<SealedSecret, CipherError>;

    /// Opens a sealed value with whichever configured key sealed it.
    ///
    /// # Errors
    /// MUST fail for a tampered value, a value sealed with other `aad`, or an unknown key.
    fn open(&self, sealed: &SealedSecret, aad: &[u8]) -> Result<SecretString, CipherError>;

    /// Whether the value is sealed under an older key than the newest.
    fn needs_rotation(&self, sealed: &SealedSecret) -> bool;
}

/// The field name of an account's access token in [`secret_aad`].
pub const ACCESS_TOKEN_FIELD: &str = "access_token";

/// The field name of an account's webhook verify token in [`secret_aad`].
pub const VERIFY_TOKEN_FIELD: &str = "webhook_verification_token";

/// The associated data for one secret field of one account: a ciphertext copied to another
/// row, or to another field of the same row, fails to open.
#[must_use]
pub fn secret_aad(account: AccountId, field: &str) -> Vec<u8> {
    format!("whatsapp_accounts/{account}/{field}").into_bytes()
}

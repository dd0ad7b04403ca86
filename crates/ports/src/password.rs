//! Password hashing for owner logins.

use secrecy::SecretString;

/// Hashing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// The stored hash is not a valid PHC string.
    #[error("stored password hash is malformed")]
    MalformedHash,
    /// The password breaks the policy (too short or too long).
    #[error("password must be {min} to {max} characters")]
    Policy {
        /// Minimum length.
        min: usize,
        /// Maximum length.
        max: usize,
    },
    /// The password is one of the most common ones, or a trivial variant of one.
    #[error(
        "this password is too common or too easy to guess (like \"password123\"); choose a \
         longer one, for example a few unrelated words"
    )]
    Common,
    /// Hashing failed.
    #[error("password hashing failed")]
    Failed,
}

/// Slow, salted password hashes (argon2id).
pub trait PasswordHasherPort: Send + Sync {
    /// Hashes a password into a PHC string.
    ///
    /// # Errors
    /// `Policy` for a too short or too long password, `Common` for a common one.
    fn hash(&self, password: &SecretString) -> Result<String, PasswordError>;

    /// Whether the password matches the hash, in constant time.
    ///
    /// # Errors
    /// `MalformedHash` when the stored hash cannot be read.
    fn verify(&self, password: &SecretString, hash: &str) -> Result<bool, PasswordError>;
}

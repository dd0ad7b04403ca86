//! Random bearer secrets, their digests, and the MAC that signs OAuth `state` values: the
//! primitives the owner API needs, behind a port so the use cases stay free of crypto crates.

/// A secret could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the system random source failed")]
pub struct RandomError;

/// Random secrets, digests and state signatures.
pub trait SecretTokens: Send + Sync {
    /// `len` bytes from the system's cryptographic random source.
    ///
    /// # Errors
    /// When the random source fails.
    fn random_bytes(&self, len: usize) -> Result<Vec<u8>, RandomError>;

    /// Lower-case hex SHA-256 of `data`: how sessions and states are looked up.
    fn digest_hex(&self, data: &[u8]) -> String;

    /// A MAC of `message` under the server's state key (never leaves the process).
    fn sign(&self, message: &[u8]) -> Vec<u8>;

    /// Whether `tag` is the MAC of `message`, compared in constant time.
    fn verify(&self, message: &[u8], tag: &[u8]) -> bool;
}

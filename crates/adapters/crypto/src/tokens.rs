//! [`RingSecretTokens`]: random bearer secrets (ring's `SystemRandom`), SHA-256 digests, and
//! HMAC-SHA256 signatures of OAuth `state` values. The state key is derived from the newest
//! data key (HMAC of a fixed label), so no extra secret has to be configured and the data key
//! itself is never used for two purposes; rotating `APP_KEY` only invalidates states younger
//! than ten minutes.

use omni_ports::{RandomError, SecretTokens};
use ring::digest::{SHA256, digest};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use crate::Keyring;

const STATE_KEY_LABEL: &[u8] = b"omniportal/oauth-state/v1";

/// Secret tokens on ring.
pub struct RingSecretTokens {
    rng: SystemRandom,
    state_key: hmac::Key,
}

impl std::fmt::Debug for RingSecretTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RingSecretTokens(..)")
    }
}

impl RingSecretTokens {
    /// Derives the state key from the keyring's newest key.
    #[must_use]
    pub fn new(keyring: &Keyring) -> Self {
        let root = hmac::Key::new(hmac::HMAC_SHA256, keyring.newest().bytes());
        let derived = hmac::sign(&root, STATE_KEY_LABEL);
        Self {
            rng: SystemRandom::new(),
            state_key: hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()),
        }
    }
}

impl SecretTokens for RingSecretTokens {
    fn random_bytes(&self, len: usize) -> Result<Vec<u8>, RandomError> {
        let mut bytes = vec![0_u8; len];
        self.rng.fill(&mut bytes).map_err(|_| RandomError)?;
        Ok(bytes)
    }

    fn digest_hex(&self, data: &[u8]) -> String {
        digest(&SHA256, data)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        hmac::sign(&self.state_key, message).as_ref().to_vec()
    }

    fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
        hmac::verify(&self.state_key, message, tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DataKey;

    fn tokens(byte: u8) -> RingSecretTokens {
        RingSecretTokens::new(&Keyring::new(DataKey::from_bytes([byte; 32]), Vec::new()))
    }

    #[test]
    fn signatures_verify_only_for_the_same_message_and_key() {
        let t = tokens(1);
        let tag = t.sign(b"nonce|owner|store|exp");
        assert_eq!(tag.len(), 32);
        assert!(t.verify(b"nonce|owner|store|exp", &tag));
        assert!(!t.verify(b"nonce|owner|store|exq", &tag));
        assert!(!tokens(2).verify(b"nonce|owner|store|exp", &tag));
        assert!(!t.verify(b"nonce|owner|store|exp", &tag[..31]));
    }

    #[test]
    fn random_bytes_differ_and_digests_are_sha256_hex() {
        let t = tokens(1);
        let (a, b) = (
            t.random_bytes(32).unwrap_or_default(),
            t.random_bytes(32).unwrap_or_default(),
        );
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert_eq!(
            t.digest_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

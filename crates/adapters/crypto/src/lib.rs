//! Crypto adapters: [`AesGcmTokenCipher`] seals Meta tokens at rest under rotating AES-256-GCM
//! data keys, and [`Argon2PasswordHasher`] hashes owner passwords with argon2id;
//! [`RingSecretTokens`] makes the owner API's bearer secrets and signs OAuth states. Kept apart
//! from the other adapters so that only this crate touches key material and crypto libraries.

mod cipher;
mod keys;
mod password;
mod tokens;

pub use cipher::AesGcmTokenCipher;
pub use keys::{DataKey, KEY_LEN, KeyError, Keyring, parse_key_list};
pub use password::Argon2PasswordHasher;
pub use tokens::RingSecretTokens;

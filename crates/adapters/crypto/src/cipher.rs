//! [`TokenCipher`] on ring's AES-256-GCM. Meta access tokens and webhook verify tokens are
//! stored sealed so that a leaked database (or backup) does not leak the tokens. Each value is
//! bound to its row and field through the associated data, so a ciphertext copied to another
//! account or field fails to open, and names the key that sealed it, so keys can rotate.
//!
//! Sealed text: `v1.<key id>.<base64url, no padding, of nonce || ciphertext || tag>`, with a
//! fresh random 96-bit nonce per seal. Random nonces are safe for far more seals than this
//! service will ever make under one key (the usual bound is 2^32).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use omni_domain::SealedSecret;
use omni_ports::{CipherError, TokenCipher};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom as _, SystemRandom};
use secrecy::zeroize::Zeroize as _;
use secrecy::{ExposeSecret as _, SecretString};

use crate::keys::{KeyError, Keyring};

/// The format version written by this cipher.
const VERSION: &str = "v1";

/// Length of the GCM tag.
const TAG_LEN: usize = 16;

/// One key ready for AES-256-GCM.
struct PreparedKey {
    id: String,
    aead: LessSafeKey,
}

/// AES-256-GCM sealing of secrets under a [`Keyring`]: seals under the newest key, opens
/// under any configured key.
pub struct AesGcmTokenCipher {
    /// Newest first, as in the keyring.
    keys: Vec<PreparedKey>,
    rng: SystemRandom,
}

impl AesGcmTokenCipher {
    /// A cipher over the keys of `keyring`.
    ///
    /// # Errors
    /// `Rejected` if ring refuses a key (it accepts every 32-byte key, so this does not happen
    /// in practice).
    pub fn new(keyring: &Keyring) -> Result<Self, KeyError> {
        let keys = keyring
            .keys()
            .iter()
            .map(|key| {
                let unbound =
                    UnboundKey::new(&AES_256_GCM, key.bytes()).map_err(|_| KeyError::Rejected)?;
                Ok(PreparedKey {
                    id: key.key_id().to_owned(),
                    aead: LessSafeKey::new(unbound),
                })
            })
            .collect::<Result<Vec<_>, KeyError>>()?;
        if keys.is_empty() {
            return Err(KeyError::NoKeys);
        }
        Ok(Self {
            keys,
            rng: SystemRandom::new(),
        })
    }

    /// The id of the key new values are sealed under.
    #[must_use]
    pub fn newest_id(&self) -> &str {
        // `keys` is never empty: checked in `new`.
        &self.keys[0].id
    }
}

impl fmt::Debug for AesGcmTokenCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AesGcmTokenCipher")
            .field(
                "key_ids",
                &self.keys.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// A sealed value split into its parts.
struct Parsed<'a> {
    key_id: &'a str,
    nonce: [u8; NONCE_LEN],
    /// Ciphertext followed by the tag.
    sealed: Vec<u8>,
}

/// Splits `v1.<key id>.<payload>` without touching any key.
fn parse_header(text: &str) -> Result<(&str, &str), CipherError> {
    let mut parts = text.splitn(3, '.');
    let (Some(version), Some(key_id), Some(payload)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(CipherError::Malformed);
    };
    let id_ok = key_id.len() == 8
        && key_id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if version != VERSION || !id_ok {
        return Err(CipherError::Malformed);
    }
    Ok((key_id, payload))
}

fn parse(text: &str) -> Result<Parsed<'_>, CipherError> {
    let (key_id, payload) = parse_header(text)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| CipherError::Malformed)?;
    if bytes.len() < NONCE_LEN + TAG_LEN {
        return Err(CipherError::Malformed);
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    let nonce = <[u8; NONCE_LEN]>::try_from(nonce).map_err(|_| CipherError::Malformed)?;
    Ok(Parsed {
        key_id,
        nonce,
        sealed: sealed.to_vec(),
    })
}

impl TokenCipher for AesGcmTokenCipher {
    fn seal(&self, plaintext: &SecretString, aad: &[u8]) -> Result<SealedSecret, CipherError> {
        let key = &self.keys[0];
        let mut nonce = [0_u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| CipherError::Random)?;

        let plain = plaintext.expose_secret().as_bytes();
        // Sized up front so the buffer holding plaintext is never reallocated (and copied).
        let mut buf = Vec::with_capacity(NONCE_LEN + plain.len() + TAG_LEN);
        buf.extend_from_slice(&nonce);
        buf.extend_from_slice(plain);
        let sealed = key.aead.seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut buf[NONCE_LEN..],
        );
        let tag = match sealed {
            Ok(tag) => tag,
            Err(_) => {
                // Only for inputs of many gigabytes; never leave plaintext behind.
                buf.zeroize();
                return Err(CipherError::Malformed);
            }
        };
        buf.extend_from_slice(tag.as_ref());
        let text = format!("{VERSION}.{}.{}", key.id, URL_SAFE_NO_PAD.encode(&buf));
        Ok(SealedSecret::from_ciphertext(text))
    }

    fn open(&self, sealed: &SealedSecret, aad: &[u8]) -> Result<SecretString, CipherError> {
        let parsed = parse(sealed.as_str())?;
        let mut candidates = self
            .keys
            .iter()
            .filter(|key| key.id == parsed.key_id)
            .peekable();
        if candidates.peek().is_none() {
            return Err(CipherError::UnknownKey(parsed.key_id.to_owned()));
        }
        for key in candidates {
            // Opening decrypts in place, so work on a copy: a second key with the same id
            // must see the original ciphertext.
            let mut buf = parsed.sealed.clone();
            let opened = key.aead.open_in_place(
                Nonce::assume_unique_for_key(parsed.nonce),
                Aad::from(aad),
                &mut buf,
            );
            let result = match opened {
                Ok(plain) => std::str::from_utf8(plain)
                    // `to_owned` allocates exactly, so the secret is not copied again.
                    .map(|text| SecretString::from(text.to_owned()))
                    // Authentic but not text: nothing this cipher wrote.
                    .map_err(|_| CipherError::Malformed),
                Err(_) => Err(CipherError::Forged),
            };
            buf.zeroize();
            if !matches!(result, Err(CipherError::Forged)) {
                return result;
            }
        }
        Err(CipherError::Forged)
    }

    fn needs_rotation(&self, sealed: &SealedSecret) -> bool {
        match parse(sealed.as_str()) {
            Ok(parsed) => parsed.key_id != self.newest_id(),
            Err(_) => true,
        }
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod tests {
    use omni_domain::AccountId;
    use omni_ports::secret_aad;
    use secrecy::ExposeSecret as _;

    use super::*;
    use crate::keys::DataKey;

    fn cipher(keys: &[&DataKey]) -> AesGcmTokenCipher {
        let (newest, older) = keys.split_first().unwrap();
        let ring = Keyring::new(
            (*newest).clone(),
            older.iter().map(|k| (*k).clone()).collect(),
        );
        AesGcmTokenCipher::new(&ring).unwrap()
    }

    fn secret(text: &str) -> SecretString {
        SecretString::from(text.to_owned())
    }

    fn token_aad() -> Vec<u8> {
        secret_aad(AccountId::new(), "access_token")
    }

    /// Rebuilds a sealed value from its parts.
    fn reassemble(key_id: &str, payload: &[u8]) -> SealedSecret {
        SealedSecret::from_ciphertext(format!("v1.{key_id}.{}", URL_SAFE_NO_PAD.encode(payload)))
    }

    /// The decoded payload (nonce || ciphertext || tag) of a sealed value.
    fn payload(sealed: &SealedSecret) -> Vec<u8> {
        let (_, payload) = parse_header(sealed.as_str()).unwrap();
        URL_SAFE_NO_PAD.decode(payload).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_to_the_same_plaintext() {
        let key = DataKey::generate().unwrap();
        let cipher = cipher(&[&key]);
        let aad = token_aad();
        for text in ["", "x", "EAAG-some-long-meta-access-token-ÄÖÜ-🙂"] {
            let sealed = cipher.seal(&secret(text), &aad).unwrap();
            // Short texts can occur in random base64 by chance; a long one must not.
            assert!(text.len() < 8 || !sealed.as_str().contains(text));
            let opened = cipher.open(&sealed, &aad).unwrap();
            assert_eq!(opened.expose_secret(), text);
        }
    }

    #[test]
    fn the_sealed_text_names_the_version_and_key() {
        let key = DataKey::generate().unwrap();
        let cipher = cipher(&[&key]);
        let sealed = cipher.seal(&secret("token"), &token_aad()).unwrap();
        let prefix = format!("v1.{}.", key.key_id());
        assert!(sealed.as_str().starts_with(&prefix), "{}", sealed.as_str());
        // nonce + 5 bytes + tag
        assert_eq!(payload(&sealed).len(), 12 + 5 + 16);
        assert!(!sealed.as_str().contains('='));
    }

    #[test]
    fn two_seals_of_the_same_plaintext_differ() {
        let key = DataKey::generate().unwrap();
        let cipher = cipher(&[&key]);
        let aad = token_aad();
        let a = cipher.seal(&secret("same token"), &aad).unwrap();
        let b = cipher.seal(&secret("same token"), &aad).unwrap();
        assert_ne!(a.as_str(), b.as_str());
        assert_ne!(payload(&a)[..12], payload(&b)[..12]);
    }

    #[test]
    fn one_flipped_bit_anywhere_in_the_payload_is_forged() {
        let key = DataKey::generate().unwrap();
        let cipher = cipher(&[&key]);
        let aad = token_aad();
        let sealed = cipher.seal(&secret("tok"), &aad).unwrap();
        let original = payload(&sealed);
        for position in 0..original.len() {
            for bit in 0..8 {
                let mut tampered = original.clone();
                tampered[position] ^= 1 << bit;
                let forged = reassemble(key.key_id(), &tampered);
                assert_eq!(
                    cipher.open(&forged, &aad).unwrap_err(),
                    CipherError::Forged,
                    "byte {position} bit {bit}"
                );
            }
        }
    }

    #[test]
    fn a_truncated_or_extended_payload_is_forged() {
        let key = DataKey::generate().unwrap();
        let cipher = cipher(&[&key]);
        let aad = token_aad();
        let original = payload(&cipher.seal(&secret("token"), &aad).unwrap());
        let shorter = reassemble(key.key_id(), &original[..original.len() - 1]);
        let mut longer = original.clone();
        longer.push(0);
        let longer = reassemble(key.key_id(), &longer);
        for tampered in [shorter, longer] {
            assert_eq!(
                cipher.open(&tampered, &aad).unwrap_err(),
                CipherError::Forged
            );
        }
    }

    #[test]
    fn a_value_sealed_for_one_account_does_not_open_for_another() {
        let key = DataKey::generate().unwrap();
        let cipher = cipher(&[&key]);
        let account_a = AccountId::new();
        let account_b = AccountId::new();
        let sealed = cipher
            .seal(&secret("token"), &secret_aad(account_a, "access_token"))
            .unwrap();
        let swapped = cipher.open(&sealed, &secret_aad(account_b, "access_token"));
        assert_eq!(swapped.unwrap_err(), CipherError::Forged);
        let right = cipher.open(&sealed, &secret_aad(account_a, "access_token"));
        assert_eq!(right.unwrap().expose_secret(), "token");
    }

    #[test]
    fn a_value_sealed_for_one_field_does_not_open_as_another_field_of_the_row() {
        let key = DataKey::generate().unwrap();
        let cipher = cipher(&[&key]);
        let account = AccountId::new();
        let sealed = cipher
            .seal(&secret("token"), &secret_aad(account, "access_token"))
            .unwrap();
        let moved = cipher.open(&sealed, &secret_aad(account, "verify_token"));
        assert_eq!(moved.unwrap_err(), CipherError::Forged);
    }

    #[test]
    fn a_value_under_an_unknown_key_id_reports_the_id() {
        let key = DataKey::generate().unwrap();
        let cipher = cipher(&[&key]);
        let aad = token_aad();
        let original = payload(&cipher.seal(&secret("token"), &aad).unwrap());
        let unknown_id = if key.key_id() == "0badc0de" {
            "deadbeef"
        } else {
            "0badc0de"
        };
        let relabelled = reassemble(unknown_id, &original);
        assert_eq!(
            cipher.open(&relabelled, &aad).unwrap_err(),
            CipherError::UnknownKey(unknown_id.to_owned())
        );
    }

    #[test]
    fn malformed_values_are_reported_as_malformed() {
        let key = DataKey::generate().unwrap();
        let cipher = cipher(&[&key]);
        let aad = token_aad();
        let good = cipher.seal(&secret("token"), &aad).unwrap();
        let id = key.key_id();
        let (_, good_payload) = parse_header(good.as_str()).unwrap();
        let bad = [
            String::new(),
            "v1".to_owned(),
            format!("v1.{id}"),
            format!("v1.{id}."),
            format!("v2.{id}.{good_payload}"),
            format!("V1.{id}.{good_payload}"),
            format!(".{id}.{good_payload}"),
            format!("v1..{good_payload}"),
            format!("v1.{}.{good_payload}", id.to_uppercase()),
            format!("v1.{id}0.{good_payload}"),
            format!("v1.{}.{good_payload}", &id[..7]),
            format!("v1.{id}.{good_payload}="),
            format!("v1.{id}.{good_payload}.extra"),
            format!("v1.{id}.not base64!"),
            format!("v1.{id}.{}", good_payload.replace(['-', '_'], "+")),
            format!("v1.{id}.{}", URL_SAFE_NO_PAD.encode([0_u8; 27])),
            format!("v1.{id}.{}", URL_SAFE_NO_PAD.encode([0_u8; 12])),
            "eyJpdiI6IkFBQUEiLCJ2YWx1ZSI6IkJCQkIiLCJtYWMiOiJDQ0NDIn0=".to_owned(),
        ];
        for text in bad {
            // The `+` replacement only changes the text when the payload has `-` or `_`.
            if text == good.as_str() {
                continue;
            }
            let sealed = SealedSecret::from_ciphertext(text.clone());
            let result = cipher.open(&sealed, &aad);
            assert_eq!(result.unwrap_err(), CipherError::Malformed, "{text:?}");
            assert!(cipher.needs_rotation(&sealed), "{text:?}");
        }
    }

    #[test]
    fn rotation_reseals_under_the_newest_key_and_retires_the_old_one() {
        let k1 = DataKey::generate().unwrap();
        let k2 = DataKey::generate().unwrap();
        let aad = token_aad();

        let old = cipher(&[&k1]);
        let sealed_k1 = old.seal(&secret("token"), &aad).unwrap();
        assert!(!old.needs_rotation(&sealed_k1));

        let rotating = cipher(&[&k2, &k1]);
        assert_eq!(rotating.newest_id(), k2.key_id());
        let opened = rotating.open(&sealed_k1, &aad).unwrap();
        assert_eq!(opened.expose_secret(), "token");
        assert!(rotating.needs_rotation(&sealed_k1));

        let sealed_k2 = rotating.seal(&opened, &aad).unwrap();
        assert!(!rotating.needs_rotation(&sealed_k2));
        assert!(
            sealed_k2
                .as_str()
                .starts_with(&format!("v1.{}.", k2.key_id()))
        );

        let retired = cipher(&[&k2]);
        assert_eq!(
            retired.open(&sealed_k1, &aad).unwrap_err(),
            CipherError::UnknownKey(k1.key_id().to_owned())
        );
        assert_eq!(
            retired.open(&sealed_k2, &aad).unwrap().expose_secret(),
            "token"
        );
    }

    #[test]
    fn a_value_under_the_right_id_but_another_key_is_forged() {
        // Key ids are 32 bits, so two keys may share one; the cipher must not mistake one
        // for the other, only fail to authenticate.
        let k1 = DataKey::generate().unwrap();
        let k2 = DataKey::generate().unwrap();
        let aad = token_aad();
        let sealed = cipher(&[&k2]).seal(&secret("token"), &aad).unwrap();
        let relabelled = reassemble(k1.key_id(), &payload(&sealed));
        assert_eq!(
            cipher(&[&k1]).open(&relabelled, &aad).unwrap_err(),
            CipherError::Forged
        );
    }

    #[test]
    fn debug_of_the_cipher_shows_key_ids_only() {
        let key = DataKey::generate().unwrap();
        let cipher = cipher(&[&key]);
        let shown = format!("{cipher:?}");
        let text = key.to_text();
        let bare = text.expose_secret().trim_start_matches("base64:");
        assert!(shown.contains(key.key_id()), "{shown}");
        assert!(!shown.contains(bare), "{shown}");
        assert!(!shown.contains(&bare[..12]), "{shown}");
    }
}

//! [`PasswordHasherPort`] on argon2id (RFC 9106), the OWASP-recommended password hash, stored
//! as self-describing PHC strings so that parameters can be raised later without breaking
//! existing hashes. Salts come from ring's system random source, so no second random crate is
//! needed.

use std::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use omni_ports::{PasswordError, PasswordHasherPort};
use ring::rand::{SecureRandom as _, SystemRandom};
use secrecy::{ExposeSecret as _, SecretString};

/// Fewest characters a password may have (and it must not be a common one: see
/// `check_policy`).
const MIN_CHARS: usize = 8;
/// Most characters a password may have (bounds the work an attacker can ask for).
const MAX_CHARS: usize = 128;
/// Salt length in bytes.
const SALT_LEN: usize = 16;

/// Tiny argon2 parameters: 1 MiB, one pass, one lane.
const FAST_PARAMS: Params = match Params::new(1024, 1, 1, None) {
    Ok(params) => params,
    Err(_) => panic!("argon2 rejects the test parameters"),
};

/// Argon2id password hashing into PHC strings (`$argon2id$v=19$m=..,t=..,p=..$salt$hash`).
pub struct Argon2PasswordHasher {
    argon2: Argon2<'static>,
    rng: SystemRandom,
}

impl Argon2PasswordHasher {
    /// Argon2id v19 with the argon2 crate's defaults (m = 19 MiB, t = 2, p = 1, the OWASP
    /// minimum).
    #[must_use]
    pub fn new() -> Self {
        Self::with_params(Params::DEFAULT)
    }

    /// Argon2id v19 with tiny parameters (m = 1 MiB, t = 1, p = 1) so tests that hash
    /// passwords stay fast. **Never use this in production**: these hashes are cheap to
    /// brute-force. Hashes it makes still verify with [`Argon2PasswordHasher::new`] and the
    /// other way round, since the parameters are stored in each hash.
    #[must_use]
    pub fn fast_for_tests() -> Self {
        Self::with_params(FAST_PARAMS)
    }

    fn with_params(params: Params) -> Self {
        Self {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            rng: SystemRandom::new(),
        }
    }

    fn check_policy(password: &str) -> Result<(), PasswordError> {
        let chars = password.chars().count();
        if !(MIN_CHARS..=MAX_CHARS).contains(&chars) {
            return Err(PasswordError::Policy {
                min: MIN_CHARS,
                max: MAX_CHARS,
            });
        }
        // zxcvbn's estimate: under 10^6 guesses is a common password or a trivial variant of
        // one ("password123", "qwerty12", "pakistan1"), found early by any guessing list.
        if zxcvbn::zxcvbn(password, &[]).score() < zxcvbn::Score::Two {
            return Err(PasswordError::Common);
        }
        Ok(())
    }
}

impl Default for Argon2PasswordHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Argon2PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params = self.argon2.params();
        f.debug_struct("Argon2PasswordHasher")
            .field("m_cost", &params.m_cost())
            .field("t_cost", &params.t_cost())
            .field("p_cost", &params.p_cost())
            .finish_non_exhaustive()
    }
}

impl PasswordHasherPort for Argon2PasswordHasher {
    fn hash(&self, password: &SecretString) -> Result<String, PasswordError> {
        let password = password.expose_secret();
        Self::check_policy(password)?;
        let mut salt = [0_u8; SALT_LEN];
        self.rng
            .fill(&mut salt)
            .map_err(|_| PasswordError::Failed)?;
        let salt = SaltString::encode_b64(&salt).map_err(|_| PasswordError::Failed)?;
        let hash = self
            .argon2
            .hash_password(password.as_bytes(), &salt)
            .map_err(|_| PasswordError::Failed)?;
        Ok(hash.to_string())
    }

    fn verify(&self, password: &SecretString, hash: &str) -> Result<bool, PasswordError> {
        let parsed = PasswordHash::new(hash).map_err(|_| PasswordError::MalformedHash)?;
        // Without these the verifier reports a plain mismatch; the hash is unusable instead.
        if parsed.salt.is_none() || parsed.hash.is_none() {
            return Err(PasswordError::MalformedHash);
        }
        // The comparison of hash outputs inside is constant time.
        match self
            .argon2
            .verify_password(password.expose_secret().as_bytes(), &parsed)
        {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::Password) => Ok(false),
            Err(argon2::password_hash::Error::Crypto) => Err(PasswordError::Failed),
            // Unsupported algorithm or version, parameters out of range, bad salt or output.
            Err(_) => Err(PasswordError::MalformedHash),
        }
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod tests {
    use super::*;

    fn secret(text: &str) -> SecretString {
        SecretString::from(text.to_owned())
    }

    #[test]
    fn a_hashed_password_verifies() {
        let hasher = Argon2PasswordHasher::fast_for_tests();
        let hash = hasher.hash(&secret("correct horse battery")).unwrap();
        assert!(
            hasher
                .verify(&secret("correct horse battery"), &hash)
                .unwrap()
        );
    }

    #[test]
    fn a_wrong_password_does_not_verify() {
        let hasher = Argon2PasswordHasher::fast_for_tests();
        let hash = hasher.hash(&secret("correct horse battery")).unwrap();
        assert!(
            !hasher
                .verify(&secret("correct horse batterY"), &hash)
                .unwrap()
        );
        assert!(!hasher.verify(&secret(""), &hash).unwrap());
    }

    #[test]
    fn hashes_are_argon2id_phc_strings() {
        let hasher = Argon2PasswordHasher::fast_for_tests();
        let hash = hasher.hash(&secret("tamarind chutney 42")).unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{hash}");
        assert!(!hash.contains("tamarind chutney 42"));
    }

    #[test]
    fn the_production_hasher_uses_the_default_parameters() {
        let hasher = Argon2PasswordHasher::new();
        let hash = hasher.hash(&secret("tamarind chutney 42")).unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        // Parameters come from the stored hash, so either hasher verifies either hash.
        let fast = Argon2PasswordHasher::fast_for_tests();
        assert!(fast.verify(&secret("tamarind chutney 42"), &hash).unwrap());
        let fast_hash = fast.hash(&secret("tamarind chutney 42")).unwrap();
        assert!(
            hasher
                .verify(&secret("tamarind chutney 42"), &fast_hash)
                .unwrap()
        );
    }

    #[test]
    fn two_hashes_of_the_same_password_differ() {
        let hasher = Argon2PasswordHasher::fast_for_tests();
        let a = hasher.hash(&secret("tamarind chutney 42")).unwrap();
        let b = hasher.hash(&secret("tamarind chutney 42")).unwrap();
        assert_ne!(a, b);
        assert!(hasher.verify(&secret("tamarind chutney 42"), &a).unwrap());
        assert!(hasher.verify(&secret("tamarind chutney 42"), &b).unwrap());
    }

    #[test]
    fn a_malformed_hash_is_reported() {
        let hasher = Argon2PasswordHasher::fast_for_tests();
        let good = hasher.hash(&secret("tamarind chutney 42")).unwrap();
        let without_output = good.rsplit_once('$').unwrap().0.to_owned();
        for hash in [
            "",
            "not a hash",
            "$argon2id$",
            "$argon2id$v=19$m=1024,t=1,p=1",
            without_output.as_str(),
            "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$!!!",
            "$argon2id$v=99$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=1,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
            "$scrypt$ln=16,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
            // A Laravel bcrypt hash: not ours to verify.
            "$2y$10$abcdefghijklmnopqrstuuJ1u3vE4yB5mJ0eC5l1r0n6xwY7aWQ5K",
        ] {
            assert_eq!(
                hasher.verify(&secret("tamarind chutney 42"), hash),
                Err(PasswordError::MalformedHash),
                "{hash:?}"
            );
        }
    }

    #[test]
    fn passwords_outside_eight_to_128_characters_are_refused() {
        let hasher = Argon2PasswordHasher::fast_for_tests();
        let policy = Err(PasswordError::Policy { min: 8, max: 128 });
        let varied = "k7#Qm2!vZ9@tR4$w";
        assert_eq!(hasher.hash(&secret("")), policy);
        assert_eq!(hasher.hash(&secret("k7#Qm2!")), policy);
        assert_eq!(
            hasher.hash(&secret(&format!("{}x", varied.repeat(8)))),
            policy
        );
        assert!(hasher.hash(&secret("k7#Qm2!v")).is_ok());
        assert!(hasher.hash(&secret(&varied.repeat(8))).is_ok());
        // Characters, not bytes: 8 two-byte characters pass, 128 of them too.
        assert!(hasher.hash(&secret("äöüßéèçñ")).is_ok());
        assert!(hasher.hash(&secret(&"äöüßéèçñ".repeat(16))).is_ok());
        assert_eq!(hasher.hash(&secret("äöüßéèç")), policy);
    }

    #[test]
    fn common_passwords_are_refused_and_say_so() {
        let hasher = Argon2PasswordHasher::fast_for_tests();
        for common in [
            "password",
            "password123",
            "12345678",
            "qwertyuiop",
            "iloveyou",
            "pakistan123",
            "aaaaaaaaaaaa",
        ] {
            assert_eq!(
                hasher.hash(&secret(common)),
                Err(PasswordError::Common),
                "{common}"
            );
        }
        assert!(PasswordError::Common.to_string().contains("too common"));
        for fine in [
            "correct horse battery staple",
            "tamarind chutney 42",
            "long enough password",
            "timing-equaliser-not-a-real-password",
            "3f9a0c7be1d24a68",
        ] {
            assert!(hasher.hash(&secret(fine)).is_ok(), "{fine}");
        }
    }

    #[test]
    fn debug_shows_parameters() {
        let shown = format!("{:?}", Argon2PasswordHasher::fast_for_tests());
        assert!(shown.contains("m_cost: 1024"), "{shown}");
    }
}

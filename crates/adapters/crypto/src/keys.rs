//! Data keys and the keyring that holds them. Secrets at rest are sealed under the newest key
//! and stay readable under older ones, so a key can be rotated without a flag day: configure the
//! new key first and keep the old one in the list until every row has been resealed. The text
//! form is Laravel's `APP_KEY` form (`base64:` + 32 bytes), so keys from the old deployment can
//! be carried over as they are.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom as _, SystemRandom};
use secrecy::SecretString;
use secrecy::zeroize::Zeroize as _;

/// Length of a data key in bytes (AES-256).
pub const KEY_LEN: usize = 32;

/// The prefix of a key's text form.
const TEXT_PREFIX: &str = "base64:";

/// Length of a key id in hex characters.
const KEY_ID_LEN: usize = 8;

/// Why a key could not be read or made. Never contains key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key text is empty.
    #[error("key is empty")]
    Empty,
    /// The key text is not standard base64.
    #[error("key is not valid base64 (expected `base64:` followed by standard base64)")]
    NotBase64,
    /// The key decodes to the wrong number of bytes.
    #[error("key must be {expected} bytes, got {got}")]
    WrongLength {
        /// Bytes the key decoded to.
        got: usize,
        /// Bytes a key must have.
        expected: usize,
    },
    /// One entry of a key list is bad.
    #[error("key #{position} of the list: {error}")]
    InList {
        /// 1-based position of the entry among the keys of the list.
        position: usize,
        /// What is wrong with it.
        error: Box<KeyError>,
    },
    /// A key list holds no key.
    #[error("key list holds no key")]
    NoKeys,
    /// The system random source failed.
    #[error("random source failed")]
    Random,
    /// The AES-256-GCM implementation rejected the key.
    #[error("key rejected by AES-256-GCM")]
    Rejected,
}

/// A 32-byte AES-256 data key. `Debug` shows only its id; the bytes are zeroed on drop.
#[derive(Clone)]
pub struct DataKey {
    bytes: [u8; KEY_LEN],
    id: String,
}

impl DataKey {
    /// Reads a key from its text form: `base64:<standard base64 of 32 bytes>` (Laravel's
    /// `APP_KEY`), or the bare base64. Surrounding whitespace is ignored.
    ///
    /// # Errors
    /// `Empty`, `NotBase64` or `WrongLength`.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let encoded = text.strip_prefix(TEXT_PREFIX).unwrap_or(text).trim();
        if encoded.is_empty() {
            return Err(KeyError::Empty);
        }
        let mut decoded = STANDARD.decode(encoded).map_err(|_| KeyError::NotBase64)?;
        let result = <[u8; KEY_LEN]>::try_from(decoded.as_slice())
            .map(Self::from_bytes)
            .map_err(|_| KeyError::WrongLength {
                got: decoded.len(),
                expected: KEY_LEN,
            });
        decoded.zeroize();
        result
    }

    /// A fresh random key from the system random source.
    ///
    /// # Errors
    /// `Random` when the random source fails.
    pub fn generate() -> Result<Self, KeyError> {
        let mut bytes = [0_u8; KEY_LEN];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| KeyError::Random)?;
        let key = Self::from_bytes(bytes);
        bytes.zeroize();
        Ok(key)
    }

    /// Wraps raw key bytes.
    #[must_use]
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        let hash = digest(&SHA256, &bytes);
        let id = hash
            .as_ref()
            .iter()
            .take(KEY_ID_LEN / 2)
            .map(|b| format!("{b:02x}"))
            .collect();
        Self { bytes, id }
    }

    /// The key in text form, `base64:<standard base64>`, for a config file or `APP_KEY`.
    #[must_use]
    pub fn to_text(&self) -> SecretString {
        SecretString::from(format!("{TEXT_PREFIX}{}", STANDARD.encode(self.bytes)))
    }

    /// The key id: the first 8 lowercase hex characters of SHA-256 of the key bytes. Public:
    /// it is written into every sealed value to say which key sealed it.
    #[must_use]
    pub fn key_id(&self) -> &str {
        &self.id
    }

    /// The raw key bytes, for the cipher.
    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }
}

impl PartialEq for DataKey {
    fn eq(&self, other: &Self) -> bool {
        // Only used to drop duplicates from configuration, never on attacker input.
        self.bytes == other.bytes
    }
}

impl Eq for DataKey {}

impl Drop for DataKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey").field("id", &self.id).finish()
    }
}

/// The configured data keys: the newest seals, all of them open. Never empty.
#[derive(Clone, PartialEq, Eq)]
pub struct Keyring {
    /// Newest first, no duplicates.
    keys: Vec<DataKey>,
}

impl Keyring {
    /// A keyring that seals under `newest` and also opens values sealed under `older` (most
    /// recent first). Keys equal to one already in the ring are ignored.
    #[must_use]
    pub fn new(newest: DataKey, older: Vec<DataKey>) -> Self {
        let mut keys = Vec::with_capacity(older.len() + 1);
        keys.push(newest);
        for key in older {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        Self { keys }
    }

    /// A keyring from a list, newest first (e.g. from [`parse_key_list`]).
    ///
    /// # Errors
    /// `NoKeys` for an empty list.
    pub fn from_list(keys: Vec<DataKey>) -> Result<Self, KeyError> {
        let mut keys = keys.into_iter();
        let newest = keys.next().ok_or(KeyError::NoKeys)?;
        Ok(Self::new(newest, keys.collect()))
    }

    /// The key new values are sealed under.
    #[must_use]
    pub fn newest(&self) -> &DataKey {
        // `keys` is never empty: `new` always pushes `newest`.
        &self.keys[0]
    }

    /// The id of the key new values are sealed under.
    #[must_use]
    pub fn newest_id(&self) -> &str {
        self.newest().key_id()
    }

    /// All keys, newest first.
    #[must_use]
    pub fn keys(&self) -> &[DataKey] {
        &self.keys
    }

    /// The keys with this id (normally at most one; ids are 32 bits, so two keys may share one).
    pub fn with_id<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a DataKey> + 'a {
        self.keys.iter().filter(move |key| key.key_id() == id)
    }

    /// Number of distinct keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Always false: a keyring holds at least one key.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field(
                "key_ids",
                &self.keys.iter().map(DataKey::key_id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Reads a list of keys in text form, separated by commas or newlines (for
/// `APP_PREVIOUS_KEYS` or a key file). Blank entries are skipped and `#` starts a comment
/// that runs to the end of the line. Order is kept. An empty list is not an error.
///
/// # Errors
/// `InList` naming the 1-based position of the first bad entry.
pub fn parse_key_list(text: &str) -> Result<Vec<DataKey>, KeyError> {
    text.lines()
        .map(|line| line.split_once('#').map_or(line, |(before, _)| before))
        .flat_map(|line| line.split(','))
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .enumerate()
        .map(|(index, entry)| {
            DataKey::parse(entry).map_err(|error| KeyError::InList {
                position: index + 1,
                error: Box::new(error),
            })
        })
        .collect()
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod tests {
    use secrecy::ExposeSecret as _;

    use super::*;

    /// 32 bytes 0..=31 in standard base64.
    const COUNTING_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn a_laravel_app_key_is_read() {
        let key = DataKey::parse(&format!("base64:{COUNTING_KEY}")).unwrap();
        let expected: Vec<u8> = (0..32).collect();
        assert_eq!(key.bytes().as_slice(), expected.as_slice());
    }

    #[test]
    fn bare_base64_and_surrounding_whitespace_are_accepted() {
        let bare = DataKey::parse(&format!("  {COUNTING_KEY}\n")).unwrap();
        let prefixed = DataKey::parse(&format!("base64:{COUNTING_KEY}")).unwrap();
        assert_eq!(bare, prefixed);
    }

    #[test]
    fn text_form_round_trips_with_the_prefix() {
        let key = DataKey::generate().unwrap();
        let text = key.to_text();
        assert!(text.expose_secret().starts_with("base64:"));
        assert_eq!(DataKey::parse(text.expose_secret()).unwrap(), key);
    }

    #[test]
    fn wrong_length_is_reported_with_the_length() {
        // 16 bytes: an AES-128 key.
        let err = DataKey::parse("base64:AAECAwQFBgcICQoLDA0ODw==").unwrap_err();
        assert_eq!(
            err,
            KeyError::WrongLength {
                got: 16,
                expected: 32
            }
        );
    }

    #[test]
    fn non_base64_and_empty_keys_are_rejected() {
        assert_eq!(
            DataKey::parse("base64:not base64!"),
            Err(KeyError::NotBase64)
        );
        // Laravel's old unprefixed 32-character ASCII keys are not base64 of 32 bytes.
        assert!(DataKey::parse("SomeRandomStringWith32Characters").is_err());
        assert_eq!(DataKey::parse(""), Err(KeyError::Empty));
        assert_eq!(DataKey::parse("base64:"), Err(KeyError::Empty));
        assert_eq!(DataKey::parse("   "), Err(KeyError::Empty));
    }

    #[test]
    fn the_key_id_is_eight_lowercase_hex_characters_of_sha256() {
        let key = DataKey::parse(COUNTING_KEY).unwrap();
        // sha256(bytes 0..=31) = 630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd
        assert_eq!(key.key_id(), "630dcd29");
    }

    #[test]
    fn generated_keys_differ() {
        let a = DataKey::generate().unwrap();
        let b = DataKey::generate().unwrap();
        assert_ne!(a, b);
        assert_ne!(a.key_id(), b.key_id());
    }

    #[test]
    fn debug_shows_the_key_id_but_not_the_key() {
        let key = DataKey::parse(COUNTING_KEY).unwrap();
        let ring = Keyring::new(key.clone(), vec![]);
        for shown in [format!("{key:?}"), format!("{ring:?}")] {
            assert!(shown.contains("630dcd29"), "{shown}");
            assert!(!shown.contains(COUNTING_KEY), "{shown}");
            assert!(!shown.contains("AAECAwQF"), "{shown}");
        }
    }

    #[test]
    fn the_keyring_keeps_order_and_ignores_duplicates() {
        let k1 = DataKey::generate().unwrap();
        let k2 = DataKey::generate().unwrap();
        let k3 = DataKey::generate().unwrap();
        let ring = Keyring::new(
            k3.clone(),
            vec![k2.clone(), k3.clone(), k1.clone(), k2.clone()],
        );
        assert_eq!(ring.keys(), &[k3.clone(), k2, k1]);
        assert_eq!(ring.newest_id(), k3.key_id());
        assert_eq!(ring.len(), 3);
        assert!(!ring.is_empty());
        assert_eq!(ring.with_id(k3.key_id()).count(), 1);
        assert_eq!(ring.with_id("00000000").count(), 0);
    }

    #[test]
    fn a_keyring_from_an_empty_list_is_refused() {
        assert_eq!(Keyring::from_list(vec![]), Err(KeyError::NoKeys));
    }

    #[test]
    fn key_lists_split_on_commas_and_newlines_and_skip_comments() {
        let k1 = DataKey::generate().unwrap();
        let k2 = DataKey::generate().unwrap();
        let k3 = DataKey::generate().unwrap();
        let text = format!(
            "# rotated 2024-06\n\n  {} , {}\n# old\n{} # first key\n,\n",
            k1.to_text().expose_secret(),
            k2.to_text().expose_secret().trim_start_matches("base64:"),
            k3.to_text().expose_secret(),
        );
        let keys = parse_key_list(&text).unwrap();
        assert_eq!(keys, vec![k1.clone(), k2.clone(), k3.clone()]);
        let ring = Keyring::from_list(keys).unwrap();
        assert_eq!(ring.newest_id(), k1.key_id());
    }

    #[test]
    fn an_empty_key_list_is_empty() {
        assert!(parse_key_list("").unwrap().is_empty());
        assert!(
            parse_key_list(" \n# nothing here\n , \n")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_bad_entry_in_a_key_list_names_its_position() {
        let good = DataKey::generate().unwrap();
        let text = format!("{},base64:AAAA", good.to_text().expose_secret());
        let err = parse_key_list(&text).unwrap_err();
        assert_eq!(
            err,
            KeyError::InList {
                position: 2,
                error: Box::new(KeyError::WrongLength {
                    got: 3,
                    expected: 32
                }),
            }
        );
        assert!(!err.to_string().contains("AAAA"));
    }
}

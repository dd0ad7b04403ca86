//! The encryption keys for secrets at rest. APP_KEY (newest) plus APP_PREVIOUS_KEYS when
//! configured; otherwise a local key file in the data directory, generated on first start,
//! whose lines are keys newest first (so `keys generate` output can be prepended to rotate).

use std::io::Write;
use std::path::{Path, PathBuf};

use omni_crypto::{DataKey, Keyring, parse_key_list};
use secrecy::ExposeSecret;

use crate::settings::Settings;

/// Where the local key file lives.
#[must_use]
pub fn key_file(settings: &Settings) -> PathBuf {
    settings.database.data_dir.join("app.key")
}

/// Loads the keyring, generating the local key file when no key is configured.
///
/// # Errors
/// A message naming the bad setting or file.
pub fn load_keyring(settings: &Settings) -> anyhow::Result<Keyring> {
    if let Some(key) = &settings.app.key {
        let newest = DataKey::parse(key.expose_secret())
            .map_err(|e| anyhow::anyhow!("invalid configuration: app.key (APP_KEY): {e}"))?;
        let older = match &settings.app.previous_keys {
            Some(list) => parse_key_list(list.expose_secret()).map_err(|e| {
                anyhow::anyhow!("invalid configuration: app.previous_keys (APP_PREVIOUS_KEYS): {e}")
            })?,
            None => Vec::new(),
        };
        return Ok(Keyring::new(newest, older));
    }
    let path = key_file(settings);
    if !path.exists() {
        generate_key_file(&path)?;
        tracing::warn!(
            path = %path.display(),
            "no APP_KEY configured: generated a new local encryption key; back it up, losing it loses every stored token"
        );
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("cannot read key file {}: {e}", path.display()))?;
    let keys = parse_key_list(&text)
        .map_err(|e| anyhow::anyhow!("invalid key file {}: {e}", path.display()))?;
    Keyring::from_list(keys)
        .map_err(|e| anyhow::anyhow!("invalid key file {}: {e}", path.display()))
}

fn generate_key_file(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let key = DataKey::generate().map_err(|e| anyhow::anyhow!("cannot generate a key: {e}"))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    writeln!(
        file,
        "# OmniPortal encryption keys, newest first. Keep this file secret and backed up."
    )?;
    writeln!(file, "{}", key.to_text().expose_secret())?;
    Ok(())
}

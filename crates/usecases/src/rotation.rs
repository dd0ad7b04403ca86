//! Re-sealing every stored secret under the newest key. Restartable: each account is
//! converted on its own with a compare-and-swap, already-converted rows are skipped, so a
//! run stopped half-way is finished by running it again.

use omni_domain::SealedSecret;
use omni_ports::{
    ACCESS_TOKEN_FIELD, AccountSecrets, CentralRepo, CipherError, RepoError, TokenCipher,
    VERIFY_TOKEN_FIELD, secret_aad,
};

/// What a rotation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// Accounts looked at.
    pub scanned: u64,
    /// Accounts re-sealed.
    pub rotated: u64,
    /// Accounts whose secrets changed under us (re-sealed by someone else); left alone.
    pub raced: u64,
    /// Accounts whose secrets could not be opened with any configured key.
    pub failed: Vec<(omni_domain::AccountId, CipherError)>,
}

fn reseal(
    cipher: &dyn TokenCipher,
    sealed: &SealedSecret,
    aad: &[u8],
) -> Result<SealedSecret, CipherError> {
    if !cipher.needs_rotation(sealed) {
        return Ok(sealed.clone());
    }
    cipher.seal(&cipher.open(sealed, aad)?, aad)
}

/// Re-seals every account's secrets (soft-deleted ones too) under the newest key.
///
/// # Errors
/// Storage failures stop the run; undecryptable rows are reported, not fatal.
pub async fn rotate_secrets(
    central: &dyn CentralRepo,
    cipher: &dyn TokenCipher,
    batch: u32,
) -> Result<RotationReport, RepoError> {
    let mut report = RotationReport::default();
    let mut after = None;
    loop {
        let page = central.list_account_secrets(after, batch.max(1)).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.account_id);
        for old in page {
            report.scanned += 1;
            let needs = cipher.needs_rotation(&old.access_token)
                || old
                    .webhook_verification_token
                    .as_ref()
                    .is_some_and(|v| cipher.needs_rotation(v));
            if !needs {
                continue;
            }
            let id = old.account_id;
            let new = reseal(
                cipher,
                &old.access_token,
                &secret_aad(id, ACCESS_TOKEN_FIELD),
            )
            .and_then(|access_token| {
                let verify = old
                    .webhook_verification_token
                    .as_ref()
                    .map(|v| reseal(cipher, v, &secret_aad(id, VERIFY_TOKEN_FIELD)))
                    .transpose()?;
                Ok(AccountSecrets {
                    account_id: id,
                    access_token,
                    webhook_verification_token: verify,
                })
            });
            match new {
                Ok(new) if central.replace_account_secrets(&old, &new).await? => {
                    report.rotated += 1;
                    // Fault tests (omni-app's `fault_points`): die between two accounts.
                    fail::fail_point!("keys.after_reseal", |_| {
                        eprintln!("fault injection: aborting at keys.after_reseal");
                        std::process::abort()
                    });
                }
                Ok(_) => report.raced += 1,
                Err(e) => {
                    tracing::warn!(account = %id, error = %e, "cannot re-seal account secrets");
                    report.failed.push((id, e));
                }
            }
        }
    }
    Ok(report)
}

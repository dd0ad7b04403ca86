//! `omniportal migrate-legacy`: the seed kept one number per store in two columns
//! (`stores.whatsapp_business_number`, `stores.whatsapp_business_id`) and sent everything with
//! the global WHATSAPP_TOKEN / WHATSAPP_PHONE_ID. Each such store gets an active, verified
//! account with that token, once: a store that already has a live account for the number is
//! left alone, so running it again changes nothing.

use omni_domain::{PhoneNumber, PhoneNumberId, StoreId, WabaId};
use omni_ports::{CentralRepo, Clock, LegacyStoreRepo, RepoError, TokenCipher};
use secrecy::SecretString;

/// What happened to one legacy store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegacyOutcome {
    /// A new account was created (and made the default when the store had none).
    Created {
        /// The new account.
        account: omni_domain::AccountId,
        /// Its number, E.164.
        phone: String,
    },
    /// The store already has a live account for this number.
    AlreadyMigrated,
    /// Not migrated, with the reason.
    Skipped(String),
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyLine {
    /// The store.
    pub store_id: StoreId,
    /// What happened.
    pub outcome: LegacyOutcome,
}

/// Migration of the legacy columns failed outright.
#[derive(Debug, thiserror::Error)]
pub enum LegacyError {
    /// The token could not be sealed.
    #[error("the legacy token could not be sealed")]
    Seal,
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// Creates the accounts; returns one line per legacy store.
///
/// # Errors
/// Storage failure or sealing failure; per-store problems are lines, not errors.
pub async fn migrate_legacy(
    central: &dyn CentralRepo,
    legacy: &dyn LegacyStoreRepo,
    cipher: &dyn TokenCipher,
    clock: &dyn Clock,
    token: &SecretString,
    phone_number_id: &PhoneNumberId,
) -> Result<Vec<LegacyLine>, LegacyError> {
    let mut lines = Vec::new();
    for row in legacy.list_legacy_store_numbers().await? {
        let outcome = migrate_one(central, cipher, clock, token, phone_number_id, &row).await?;
        lines.push(LegacyLine {
            store_id: row.store_id,
            outcome,
        });
    }
    Ok(lines)
}

async fn migrate_one(
    central: &dyn CentralRepo,
    cipher: &dyn TokenCipher,
    clock: &dyn Clock,
    token: &SecretString,
    phone_number_id: &PhoneNumberId,
    row: &omni_ports::LegacyStoreNumber,
) -> Result<LegacyOutcome, LegacyError> {
    let Ok(phone) = PhoneNumber::parse(&row.business_number) else {
        return Ok(LegacyOutcome::Skipped(format!(
            "whatsapp_business_number `{}` is not a valid phone number",
            row.business_number
        )));
    };
    let Ok(waba) = WabaId::parse(&row.business_id) else {
        return Ok(LegacyOutcome::Skipped(format!(
            "whatsapp_business_id `{}` is not a Meta id",
            row.business_id
        )));
    };
    let Some(store) = central.find_store(row.store_id).await? else {
        return Ok(LegacyOutcome::Skipped("store not found".to_owned()));
    };
    if let Some(existing) = central
        .find_account_by_phone_number_id(phone_number_id)
        .await?
    {
        if existing.store_id != store.id {
            return Ok(LegacyOutcome::Skipped(format!(
                "phone_number_id {phone_number_id} is already connected to store {}",
                existing.store_id
            )));
        }
        if store.default_account_id.is_none() && existing.is_active() {
            central
                .set_default_account(store.id, Some(existing.id))
                .await?;
        }
        return Ok(LegacyOutcome::AlreadyMigrated);
    }
    let now = clock.now();
    let mut account = crate::accounts::sealed_account(
        cipher,
        store.id,
        phone,
        phone_number_id.clone(),
        waba,
        token,
        now,
    )
    .map_err(|_| LegacyError::Seal)?;
    account.meta.source = Some("legacy".to_owned());
    match central.insert_account(&account).await {
        Ok(()) => {}
        Err(RepoError::Conflict { .. }) => {
            return Ok(LegacyOutcome::Skipped(format!(
                "phone_number_id {phone_number_id} is already connected"
            )));
        }
        Err(e) => return Err(e.into()),
    }
    if store.default_account_id.is_none() {
        central
            .set_default_account(store.id, Some(account.id))
            .await?;
    }
    Ok(LegacyOutcome::Created {
        account: account.id,
        phone: account.phone_number.as_str().to_owned(),
    })
}

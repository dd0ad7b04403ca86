//! Key rotation on a real (SQLite) central database: secrets sealed under the old key are
//! re-sealed under the new one, a second run has nothing left to do, and afterwards the old
//! key can be dropped. A ciphertext copied to another account's row does not open.

use omni_crypto::{AesGcmTokenCipher, DataKey, Keyring};
use omni_ports::{AccountRepo, OwnerRepo, StoreRepo, TokenCipher, secret_aad};
use omni_testkit::db::sqlite_repos;
use omni_testkit::fixtures;
use omni_usecases::rotate_secrets;
use secrecy::{ExposeSecret, SecretString};

fn key() -> DataKey {
    DataKey::generate().unwrap_or_else(|e| panic!("{e}"))
}

fn cipher(keys: &[&DataKey]) -> AesGcmTokenCipher {
    let ring = Keyring::from_list(keys.iter().map(|k| (*k).clone()).collect())
        .unwrap_or_else(|e| panic!("{e}"));
    AesGcmTokenCipher::new(&ring).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_reseals_every_account_and_is_restartable() {
    // Arrange: three accounts sealed under k1 (one with a verify token, one soft-deleted).
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (central, _) = sqlite_repos(dir.path(), 4).await;
    let (k1, k2) = (key(), key());
    let old = cipher(&[&k1]);
    let owner = fixtures::owner();
    central
        .insert_owner(&owner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let store_id = omni_domain::StoreId::new();
    let store = fixtures::store(store_id, owner.id, fixtures::sqlite_location(store_id));
    central
        .insert_store(&store)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut ids = Vec::new();
    for i in 0..3 {
        let mut account = fixtures::account(store.id);
        let token = SecretString::from(format!("EAAG-token-{i}"));
        account.access_token = old
            .seal(&token, &secret_aad(account.id, "access_token"))
            .unwrap_or_else(|e| panic!("{e}"));
        if i == 0 {
            account.webhook_verification_token = Some(
                old.seal(
                    &SecretString::from("verify-0".to_owned()),
                    &secret_aad(account.id, "webhook_verification_token"),
                )
                .unwrap_or_else(|e| panic!("{e}")),
            );
        }
        central
            .insert_account(&account)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        if i == 2 {
            central
                .soft_delete_account(store.id, account.id, fixtures::now())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        ids.push(account.id);
    }

    // Act: rotate with [k2, k1], in pages of one, twice.
    let both = cipher(&[&k2, &k1]);
    let first = rotate_secrets(central.as_ref(), &both, 1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let second = rotate_secrets(central.as_ref(), &both, 1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // Assert: all three re-sealed once; only k2 is needed now; plaintexts unchanged.
    assert_eq!(
        (first.scanned, first.rotated, first.failed.len()),
        (3, 3, 0)
    );
    assert_eq!((second.scanned, second.rotated), (3, 0));
    let new_only = cipher(&[&k2]);
    let secrets = central
        .list_account_secrets(None, 10)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for s in &secrets {
        let i = ids
            .iter()
            .position(|id| *id == s.account_id)
            .unwrap_or_else(|| panic!("unknown account"));
        let token = new_only
            .open(&s.access_token, &secret_aad(s.account_id, "access_token"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(token.expose_secret(), format!("EAAG-token-{i}"));
        if let Some(v) = &s.webhook_verification_token {
            let v = new_only
                .open(v, &secret_aad(s.account_id, "webhook_verification_token"))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(v.expose_secret(), "verify-0");
        }
        assert!(
            old.open(&s.access_token, &secret_aad(s.account_id, "access_token"))
                .is_err(),
            "k1 alone no longer opens it"
        );
    }

    // A token copied onto another account's row fails to open there.
    let copied = &secrets[0].access_token;
    assert!(
        new_only
            .open(copied, &secret_aad(secrets[1].account_id, "access_token"))
            .is_err()
    );
}

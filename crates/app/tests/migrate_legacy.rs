//! `omniportal migrate-legacy`, the real binary: stores with the seed's single-number columns
//! get an active, verified account with WHATSAPP_TOKEN / WHATSAPP_PHONE_ID, once; a second run
//! changes nothing. On SQLite and on Postgres.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use omni_crypto::{AesGcmTokenCipher, DataKey, Keyring};
use omni_domain::{AccountStatus, StoreId};
use omni_ports::{TokenCipher, secret_aad};
use omni_sql::{DbPool, DbTarget, SqlCentralRepo, SqlLegacyStoreRepo};
use omni_testkit::db::PgTestDb;
use secrecy::ExposeSecret;

const BIN: &str = env!("CARGO_BIN_EXE_omniportal");
const KEY: &str = "base64:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
const TOKEN: &str = "EAAlegacy-token-canary-5e2f";
const PHONE_ID: &str = "106540352242922";

fn run(dir: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("OMNI_DATABASE__DATA_DIR", dir.display().to_string())
        .env("APP_KEY", KEY)
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap_or_else(|e| panic!("spawn: {e}"))
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn store_id(out: &str) -> StoreId {
    let id = out
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("no id in {out}"));
    StoreId::parse(id).unwrap_or_else(|e| panic!("{e}"))
}

async fn scenario(dir: &Path, env: Vec<(&str, String)>, target: DbTarget) {
    ok(&run(
        dir,
        &env,
        &[
            "owner",
            "create",
            "--email",
            "ali@example.pk",
            "--password",
            "long enough pw",
        ],
    ));
    let mut stores = Vec::new();
    for name in ["Legacy Grill", "Broken Legacy", "New Style"] {
        let out = ok(&run(
            dir,
            &env,
            &[
                "store",
                "create",
                "--owner-email",
                "ali@example.pk",
                "--name",
                name,
            ],
        ));
        stores.push(store_id(&out));
    }
    let pool = DbPool::new(&target, 2, Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}"));
    let legacy = SqlLegacyStoreRepo::new(pool.clone());
    legacy
        .set_legacy_number(stores[0], Some("0300 1112233"), Some("102290129340398"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    legacy
        .set_legacy_number(stores[1], Some("12"), Some("102290129340398"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // Without the legacy token it refuses, naming the setting.
    let out = run(dir, &env, &["migrate-legacy"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("WHATSAPP_TOKEN"));

    let mut env = env;
    env.push(("WHATSAPP_TOKEN", TOKEN.to_owned()));
    env.push(("WHATSAPP_PHONE_ID", PHONE_ID.to_owned()));
    let first = ok(&run(dir, &env, &["migrate-legacy"]));
    assert!(
        first.contains(&format!("store {}: created account", stores[0])),
        "{first}"
    );
    assert!(first.contains("+923001112233"), "{first}");
    assert!(
        first.contains(&format!("store {}: skipped", stores[1])),
        "{first}"
    );
    assert!(!first.contains(&stores[2].to_string()), "{first}");
    assert!(
        first.contains("2 found, 1 account(s) created, 0 already migrated, 1 skipped"),
        "{first}"
    );
    assert!(!first.contains(TOKEN), "the token is never printed");

    let central = SqlCentralRepo::new(pool.clone());
    let accounts = central
        .list_accounts(stores[0])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(accounts.len(), 1);
    let account = &accounts[0];
    assert_eq!(account.status(), AccountStatus::Active);
    assert!(account.is_verified());
    assert_eq!(account.phone_number_id.as_str(), PHONE_ID);
    assert_eq!(account.waba_id.as_str(), "102290129340398");
    let cipher = AesGcmTokenCipher::new(&Keyring::new(
        DataKey::parse(KEY).unwrap_or_else(|e| panic!("{e}")),
        Vec::new(),
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let token = cipher
        .open(
            &account.access_token,
            &secret_aad(account.id, "access_token"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(token.expose_secret(), TOKEN);
    let store = central
        .find_store(stores[0])
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("store"));
    assert_eq!(store.default_account_id, Some(account.id));

    let second = ok(&run(dir, &env, &["migrate-legacy"]));
    assert!(
        second.contains(&format!("store {}: already migrated, unchanged", stores[0])),
        "{second}"
    );
    assert!(
        second.contains("2 found, 0 account(s) created, 1 already migrated, 1 skipped"),
        "{second}"
    );
    let again = central
        .list_accounts(stores[0])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(&again, &accounts, "the second run changed nothing");
    pool.close();
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_legacy_creates_each_account_once_on_sqlite() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let target = DbTarget::Sqlite(dir.path().join("central.sqlite"));
    scenario(dir.path(), Vec::new(), target).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_legacy_creates_each_account_once_on_postgres() {
    let Some(db) = PgTestDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let DbTarget::Postgres(url) = db.central_target() else {
        panic!("postgres")
    };
    let env = vec![
        ("DATABASE_URL", url),
        ("OMNI_DATABASE__TENANT_DATABASE_PREFIX", db.prefix.clone()),
    ];
    scenario(dir.path(), env, db.central_target()).await;
    db.cleanup().await;
}

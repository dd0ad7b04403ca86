//! The [`CentralRepo`] contract: owners, stores, accounts, the default account, soft deletes
//! and secret rotation, exactly as the trait's `# Errors` sections state them.

use chrono::{DateTime, TimeDelta, Utc};
use omni_domain::{
    AccountId, AccountStatus, Currency, LimitTier, MessagingLimits, OwnerId, QualityRating, Store,
    StoreId, StoreKind, StoreName, TenantLocation, ThroughputLevel, WhatsappAccount,
};
use omni_ports::{AccountSecrets, CentralRepo};
use uuid::Uuid;

use super::{Repos, conflict, not_found, ok};
use crate::fixtures;

/// The central repository of `r`, pinged first (the suite's one setup step).
///
/// # Panics
/// When the ping fails.
pub async fn ready(r: &Repos) -> &dyn CentralRepo {
    ok(r.central.ping().await, "ping");
    r.central.as_ref()
}

/// Inserts a fresh owner and one store of theirs.
async fn new_store(repo: &dyn CentralRepo) -> Store {
    let owner = fixtures::owner();
    ok(repo.insert_owner(&owner).await, "insert_owner (setup)");
    let id = StoreId::new();
    let store = fixtures::store(id, owner.id, fixtures::sqlite_location(id));
    ok(repo.insert_store(&store).await, "insert_store (setup)");
    store
}

/// Inserts a fresh account of `store`.
async fn new_account(repo: &dyn CentralRepo, store: StoreId) -> WhatsappAccount {
    let account = fixtures::account(store);
    ok(
        repo.insert_account(&account).await,
        "insert_account (setup)",
    );
    account
}

/// The store as stored now; panics when it is gone.
async fn stored_store(repo: &dyn CentralRepo, id: StoreId, what: &str) -> Store {
    match ok(repo.find_store(id).await, what) {
        Some(store) => store,
        None => panic!("{what}: find_store returned None for an inserted store"),
    }
}

/// The live account as stored now; panics when it is not found.
async fn stored_account(
    repo: &dyn CentralRepo,
    store: StoreId,
    id: AccountId,
    what: &str,
) -> WhatsappAccount {
    match ok(repo.find_account(store, id).await, what) {
        Some(account) => account,
        None => panic!("{what}: find_account returned None for a live account"),
    }
}

/// An account with every optional field set and no field at its default.
fn full_account(store: StoreId, base: DateTime<Utc>) -> WhatsappAccount {
    let mut a = fixtures::account(store);
    a = a.with_status(AccountStatus::Active);
    a.display_name = Some("Karachi Grill — کراچی".into());
    a.quality_rating = QualityRating::Yellow;
    a.messaging_limits = MessagingLimits {
        portfolio_tier: Some(LimitTier::Tier2K),
        legacy_tier: Some(LimitTier::Tier1K),
        throughput: Some(ThroughputLevel::High),
    };
    a.verified_at = Some(base - TimeDelta::hours(1));
    a.last_webhook_at = Some(base - TimeDelta::minutes(1));
    a.webhook_verification_token = Some(fixtures::sealed("verify"));
    a.meta = omni_domain::AccountMeta {
        name_status: Some("APPROVED".into()),
        reauth_ahead: true,
        verification: Some(serde_json::json!({ "method": "meta_status" })),
        ..omni_domain::AccountMeta::default()
    };
    // Keys the code does not read are kept as stored, any JSON in them.
    a.meta.other.insert(
        "health_status".into(),
        serde_json::json!({ "can_send_message": "AVAILABLE", "entities": [1, 2.5, null, true] }),
    );
    a.meta
        .other
        .insert("note".into(), serde_json::json!("اردو text"));
    a.created_at = base - TimeDelta::hours(2);
    a.updated_at = base;
    a
}

/// Owners: insert, find by id and email, the unique email.
pub async fn owners(r: &Repos) {
    let repo = ready(r).await;
    let owner = fixtures::owner();
    ok(repo.insert_owner(&owner).await, "insert_owner");
    assert_eq!(
        ok(repo.find_owner(owner.id).await, "find_owner"),
        Some(owner.clone()),
        "find_owner must return the inserted owner field by field"
    );
    assert_eq!(
        ok(
            repo.find_owner_by_email(&owner.email).await,
            "find_owner_by_email"
        ),
        Some(owner.clone()),
        "find_owner_by_email must return the inserted owner"
    );

    let mut twin = fixtures::owner();
    twin.email = owner.email.clone();
    conflict(
        repo.insert_owner(&twin).await,
        "insert_owner with an email already taken",
    );
    assert_eq!(
        ok(repo.find_owner(twin.id).await, "find_owner"),
        None,
        "an owner rejected for a taken email must not be stored"
    );

    let mut bare = fixtures::owner();
    bare.whatsapp_number = None;
    ok(
        repo.insert_owner(&bare).await,
        "insert_owner without number",
    );
    assert_eq!(
        ok(repo.find_owner(bare.id).await, "find_owner"),
        Some(bare),
        "an owner without a WhatsApp number must round-trip"
    );

    assert_eq!(
        ok(repo.find_owner(OwnerId::new()).await, "find_owner"),
        None,
        "find_owner of an unknown id must be None"
    );
    assert_eq!(
        ok(
            repo.find_owner_by_email(&fixtures::email()).await,
            "find_owner_by_email"
        ),
        None,
        "find_owner_by_email of an unknown email must be None"
    );
}

/// Stores: insert, find and list.
pub async fn stores(r: &Repos) {
    let repo = ready(r).await;
    let owner = fixtures::owner();
    ok(repo.insert_owner(&owner).await, "insert_owner");
    let base = fixtures::now();

    // Ids are time-ordered: give the older store the larger id, so listing by id alone fails.
    let newer_id = StoreId::new();
    let older_id = StoreId::new();
    let mut older = fixtures::store(
        older_id,
        owner.id,
        TenantLocation::Postgres {
            server: "tenants-1".into(),
            database: format!("store_{}", fixtures::random_token()),
        },
    );
    older.kind = StoreKind::Shop;
    older.currency = Currency::parse("USD").unwrap_or_default();
    older.timezone = "Europe/London".into();
    older.ai_enabled = false;
    older.storefront_enabled = true;
    older.created_at = base;
    older.updated_at = base + TimeDelta::seconds(5);

    let mut newer = fixtures::store(newer_id, owner.id, fixtures::sqlite_location(newer_id));
    newer.created_at = base + TimeDelta::seconds(1);
    newer.updated_at = newer.created_at;

    // Inserted newest first, so listing order cannot come from insertion order. A default
    // account given on insert is ignored: a new store has no accounts to point at.
    let mut with_default = newer.clone();
    with_default.default_account_id = Some(AccountId::new());
    ok(repo.insert_store(&with_default).await, "insert_store");
    ok(repo.insert_store(&older).await, "insert_store");
    assert_eq!(
        ok(repo.find_store(older.id).await, "find_store"),
        Some(older.clone()),
        "find_store must return every field (kind, currency, timezone, flags, Postgres location, times)"
    );
    assert_eq!(
        ok(repo.find_store(newer.id).await, "find_store"),
        Some(newer.clone()),
        "find_store must return every field (SQLite location)"
    );
    assert_eq!(
        ok(
            repo.list_stores_of_owner(owner.id).await,
            "list_stores_of_owner"
        ),
        vec![older.clone(), newer.clone()],
        "list_stores_of_owner must list exactly the owner's stores, oldest first"
    );
    let mine: Vec<Store> = ok(repo.list_stores().await, "list_stores")
        .into_iter()
        .filter(|s| s.id == older.id || s.id == newer.id)
        .collect();
    assert_eq!(
        mine,
        vec![older.clone(), newer.clone()],
        "list_stores must contain the inserted stores, oldest first"
    );

    conflict(
        repo.insert_store(&older).await,
        "insert_store with an existing id",
    );
    let orphan_id = StoreId::new();
    let orphan = fixtures::store(
        orphan_id,
        OwnerId::new(),
        fixtures::sqlite_location(orphan_id),
    );
    not_found(
        repo.insert_store(&orphan).await,
        "insert_store for an unknown owner",
    );
    assert_eq!(
        ok(repo.find_store(orphan_id).await, "find_store"),
        None,
        "a store rejected for an unknown owner must not be stored"
    );
    assert!(
        ok(
            repo.list_stores_of_owner(OwnerId::new()).await,
            "list_stores_of_owner"
        )
        .is_empty(),
        "list_stores_of_owner of an unknown owner must be empty"
    );

    let mut changed = older.clone();
    changed.name = StoreName::parse("Renamed Store").unwrap_or_else(|e| panic!("{e}"));
    changed.kind = StoreKind::Restaurant;
    changed.currency = Currency::PKR;
    changed.timezone = "Asia/Karachi".into();
    changed.ai_enabled = true;
    changed.storefront_enabled = false;
    changed.updated_at = base + TimeDelta::seconds(30);
    ok(repo.update_store(&changed).await, "update_store");
    assert_eq!(
        ok(repo.find_store(older.id).await, "find_store"),
        Some(changed),
        "update_store must save name, kind, currency, timezone, flags and updated_at"
    );
    assert_eq!(
        ok(repo.find_store(newer.id).await, "find_store"),
        Some(newer),
        "update_store must not touch other stores"
    );
    not_found(
        repo.update_store(&orphan).await,
        "update_store of an unknown store",
    );
}

/// An account round-trips with every field set.
pub async fn account_round_trip(r: &Repos) {
    let repo = ready(r).await;
    let store = new_store(repo).await;
    let full = full_account(store.id, fixtures::now());
    ok(repo.insert_account(&full).await, "insert_account (full)");
    assert_eq!(
        ok(repo.find_account(store.id, full.id).await, "find_account"),
        Some(full.clone()),
        "find_account must return every field (status, quality, limits, meta, secrets, times)"
    );
    assert_eq!(
        ok(
            repo.find_account_by_phone_number_id(&full.phone_number_id)
                .await,
            "find_account_by_phone_number_id"
        ),
        Some(full.clone()),
        "find_account_by_phone_number_id must find the live account"
    );

    let mut minimal = fixtures::account(store.id);
    minimal.created_at = full.created_at + TimeDelta::hours(5);
    minimal.updated_at = minimal.created_at;
    ok(
        repo.insert_account(&minimal).await,
        "insert_account (minimal)",
    );
    assert_eq!(
        ok(
            repo.find_account(store.id, minimal.id).await,
            "find_account"
        ),
        Some(minimal.clone()),
        "an account with no optional field set must round-trip (None stays None, {{}} meta)"
    );
    assert_eq!(
        ok(repo.list_accounts(store.id).await, "list_accounts"),
        vec![full.clone(), minimal],
        "list_accounts must return exactly the store's live accounts, oldest first"
    );
    assert_eq!(
        ok(
            repo.list_accounts_by_waba(&full.waba_id).await,
            "list_accounts_by_waba"
        ),
        vec![full],
        "list_accounts_by_waba must return exactly the WABA's accounts"
    );
}

/// A store's accounts and a WABA's accounts are listed oldest first.
pub async fn account_listing_order(r: &Repos) {
    let repo = ready(r).await;
    let store = new_store(repo).await;
    let other = new_store(repo).await;
    let base = fixtures::now();
    let waba = fixtures::waba_id();
    let mut accounts = Vec::new();
    // (store, seconds after base), inserted in this order.
    for (owner_store, offset) in [(store.id, 20), (store.id, 0), (other.id, 10), (store.id, 5)] {
        let mut a = fixtures::account(owner_store);
        a.waba_id = waba.clone();
        a.created_at = base + TimeDelta::seconds(offset);
        a.updated_at = a.created_at;
        ok(repo.insert_account(&a).await, "insert_account");
        accounts.push(a);
    }
    let mut by_age = accounts.clone();
    by_age.sort_by_key(|a| a.created_at);
    let of_store: Vec<WhatsappAccount> = by_age
        .iter()
        .filter(|a| a.store_id == store.id)
        .cloned()
        .collect();
    assert_eq!(
        ok(repo.list_accounts(store.id).await, "list_accounts"),
        of_store,
        "list_accounts must list only the store's accounts, oldest first"
    );
    assert_eq!(
        ok(
            repo.list_accounts_by_waba(&waba).await,
            "list_accounts_by_waba"
        ),
        by_age,
        "list_accounts_by_waba must list the WABA's accounts across stores, oldest first"
    );
    assert!(
        ok(repo.list_accounts(StoreId::new()).await, "list_accounts").is_empty(),
        "list_accounts of an unknown store must be empty"
    );
    assert!(
        ok(
            repo.list_accounts_by_waba(&fixtures::waba_id()).await,
            "list_accounts_by_waba"
        )
        .is_empty(),
        "list_accounts_by_waba of an unknown WABA must be empty"
    );
}

/// A `phone_number_id` is unique among live accounts only.
pub async fn phone_number_id_is_unique_among_live_accounts(r: &Repos) {
    let repo = ready(r).await;
    let store = new_store(repo).await;
    let other = new_store(repo).await;
    let first = new_account(repo, store.id).await;

    let mut elsewhere = fixtures::account(other.id);
    elsewhere.phone_number_id = first.phone_number_id.clone();
    conflict(
        repo.insert_account(&elsewhere).await,
        "insert_account with a phone_number_id live in another store",
    );
    assert_eq!(
        ok(
            repo.find_account(other.id, elsewhere.id).await,
            "find_account"
        ),
        None,
        "an account rejected for a taken phone_number_id must not be stored"
    );
    let mut same_store = fixtures::account(store.id);
    same_store.phone_number_id = first.phone_number_id.clone();
    conflict(
        repo.insert_account(&same_store).await,
        "insert_account with a phone_number_id live in the same store",
    );
    assert_eq!(
        ok(
            repo.find_account_by_phone_number_id(&first.phone_number_id)
                .await,
            "find_account_by_phone_number_id"
        ),
        Some(first.clone()),
        "the first account must still own its phone_number_id"
    );

    let orphan = fixtures::account(StoreId::new());
    not_found(
        repo.insert_account(&orphan).await,
        "insert_account for an unknown store",
    );
    assert_eq!(
        ok(
            repo.find_account_by_phone_number_id(&orphan.phone_number_id)
                .await,
            "find_account_by_phone_number_id"
        ),
        None,
        "an account rejected for an unknown store must not be stored"
    );
}

/// An account is reached only through its own store.
pub async fn account_scoping(r: &Repos) {
    let repo = ready(r).await;
    let store = new_store(repo).await;
    let other = new_store(repo).await;
    let account = new_account(repo, store.id).await;
    assert_eq!(
        ok(
            repo.find_account(other.id, account.id).await,
            "find_account"
        ),
        None,
        "find_account through another store's id must be None"
    );
    assert_eq!(
        ok(
            repo.find_account(store.id, AccountId::new()).await,
            "find_account"
        ),
        None,
        "find_account of an unknown id must be None"
    );
    assert_eq!(
        ok(
            repo.find_account_by_phone_number_id(&fixtures::phone_number_id())
                .await,
            "find_account_by_phone_number_id"
        ),
        None,
        "find_account_by_phone_number_id of an unknown id must be None"
    );
    assert!(
        ok(repo.list_accounts(other.id).await, "list_accounts").is_empty(),
        "list_accounts of another store must not show this store's account"
    );
}

/// `update_account` saves the mutable fields and keeps the rest.
pub async fn update_account(r: &Repos) {
    let repo = ready(r).await;
    let store = new_store(repo).await;
    let other = new_store(repo).await;
    let account = new_account(repo, store.id).await;
    let later = account.created_at + TimeDelta::minutes(3);

    let mut changed = account.clone();
    changed.mark_verified(later);
    changed.access_token = fixtures::sealed("access-2");
    changed.display_name = Some("Biryani House".into());
    changed.quality_rating = QualityRating::Green;
    changed.messaging_limits = MessagingLimits {
        portfolio_tier: Some(LimitTier::Tier10K),
        legacy_tier: None,
        throughput: Some(ThroughputLevel::Standard),
    };
    changed.last_webhook_at = Some(later);
    changed.webhook_verification_token = Some(fixtures::sealed("verify-2"));
    changed.meta = omni_domain::AccountMeta {
        name_status: Some("PENDING_REVIEW".into()),
        ..omni_domain::AccountMeta::default()
    };
    ok(repo.update_account(&changed).await, "update_account");
    assert_eq!(
        stored_account(repo, store.id, account.id, "find_account after update").await,
        changed,
        "update_account must save status, name, quality, limits, times, meta, secrets, updated_at"
    );

    let mut reauth = changed.clone();
    reauth = reauth.with_status(AccountStatus::ReauthRequired);
    reauth.webhook_verification_token = None;
    reauth.display_name = None;
    reauth.updated_at = later + TimeDelta::minutes(1);
    ok(repo.update_account(&reauth).await, "update_account");
    assert_eq!(
        stored_account(repo, store.id, account.id, "find_account after update").await,
        reauth,
        "update_account must clear optional fields set to None"
    );

    let mut moved = reauth.clone();
    moved.store_id = other.id;
    moved = moved.with_status(AccountStatus::Inactive);
    not_found(
        repo.update_account(&moved).await,
        "update_account through another store's id",
    );
    assert_eq!(
        stored_account(repo, store.id, account.id, "find_account").await,
        reauth,
        "a rejected update_account must change nothing"
    );
    not_found(
        repo.update_account(&fixtures::account(store.id)).await,
        "update_account of an unknown account",
    );
}

/// The store's default account: none at first, then set; another store's account is `NotFound`.
pub async fn default_account(r: &Repos) {
    let repo = ready(r).await;
    let store = new_store(repo).await;
    let other = new_store(repo).await;
    let first = new_account(repo, store.id).await;
    let second = new_account(repo, store.id).await;
    let third = new_account(repo, store.id).await;
    let foreign = new_account(repo, other.id).await;
    let default_of = async |what: &str| stored_store(repo, store.id, what).await.default_account_id;

    assert_eq!(
        default_of("find_store").await,
        None,
        "a new store has no default account"
    );
    ok(
        repo.set_default_account(store.id, Some(first.id)).await,
        "set_default_account to the store's live account",
    );
    assert_eq!(
        default_of("find_store").await,
        Some(first.id),
        "set_default_account must be visible through find_store"
    );

    not_found(
        repo.set_default_account(store.id, Some(foreign.id)).await,
        "set_default_account to another store's account",
    );
    not_found(
        repo.set_default_account(store.id, Some(AccountId::new()))
            .await,
        "set_default_account to an unknown account",
    );
    not_found(
        repo.set_default_account(StoreId::new(), None).await,
        "set_default_account of an unknown store",
    );
    not_found(
        repo.set_default_account(StoreId::new(), Some(first.id))
            .await,
        "set_default_account of an unknown store",
    );
    assert_eq!(
        default_of("find_store").await,
        Some(first.id),
        "a rejected set_default_account must change nothing"
    );
    assert_eq!(
        stored_store(repo, other.id, "find_store")
            .await
            .default_account_id,
        None,
        "a rejected set_default_account must not touch the other store"
    );

    let mut settings = stored_store(repo, store.id, "find_store").await;
    settings.default_account_id = Some(second.id);
    settings.timezone = "Asia/Dubai".into();
    ok(repo.update_store(&settings).await, "update_store");
    let after = stored_store(repo, store.id, "find_store").await;
    assert_eq!(
        (after.default_account_id, after.timezone.as_str()),
        (Some(first.id), "Asia/Dubai"),
        "update_store must save settings but never the default account"
    );

    ok(
        repo.set_default_account(store.id, None).await,
        "set_default_account(None)",
    );
    assert_eq!(
        default_of("find_store").await,
        None,
        "set_default_account(None) must clear the default"
    );

    ok(
        repo.set_default_account(store.id, Some(second.id)).await,
        "set_default_account",
    );
    let at = fixtures::now();
    ok(
        repo.soft_delete_account(store.id, third.id, at).await,
        "soft_delete_account",
    );
    assert_eq!(
        default_of("find_store").await,
        Some(second.id),
        "soft-deleting another account must keep the default"
    );
    ok(
        repo.soft_delete_account(store.id, second.id, at).await,
        "soft_delete_account of the default",
    );
    assert_eq!(
        default_of("find_store").await,
        None,
        "soft-deleting the default account must clear the store's default"
    );
    not_found(
        repo.set_default_account(store.id, Some(second.id)).await,
        "set_default_account to a soft-deleted account",
    );
    assert_eq!(
        default_of("find_store").await,
        None,
        "a rejected set_default_account must change nothing"
    );
}

/// Soft-deleted accounts are no longer found or listed.
pub async fn soft_delete(r: &Repos) {
    let repo = ready(r).await;
    let store = new_store(repo).await;
    let other = new_store(repo).await;
    let account = new_account(repo, store.id).await;
    let at = account.created_at + TimeDelta::minutes(10);

    not_found(
        repo.soft_delete_account(other.id, account.id, at).await,
        "soft_delete_account through another store's id",
    );
    assert_eq!(
        stored_account(repo, store.id, account.id, "find_account").await,
        account,
        "a rejected soft_delete_account must change nothing"
    );
    not_found(
        repo.soft_delete_account(store.id, AccountId::new(), at)
            .await,
        "soft_delete_account of an unknown account",
    );

    ok(
        repo.soft_delete_account(store.id, account.id, at).await,
        "soft_delete_account",
    );
    assert_eq!(
        ok(
            repo.find_account(store.id, account.id).await,
            "find_account"
        ),
        None,
        "find_account must not return a soft-deleted account"
    );
    assert_eq!(
        ok(
            repo.find_account_by_phone_number_id(&account.phone_number_id)
                .await,
            "find_account_by_phone_number_id"
        ),
        None,
        "find_account_by_phone_number_id must not return a soft-deleted account"
    );
    assert!(
        ok(repo.list_accounts(store.id).await, "list_accounts").is_empty(),
        "list_accounts must not list a soft-deleted account"
    );
    assert!(
        ok(
            repo.list_accounts_by_waba(&account.waba_id).await,
            "list_accounts_by_waba"
        )
        .is_empty(),
        "list_accounts_by_waba must not list a soft-deleted account"
    );
    not_found(
        repo.soft_delete_account(store.id, account.id, at).await,
        "soft_delete_account of an already deleted account",
    );
    not_found(
        repo.update_account(&account).await,
        "update_account of a soft-deleted account",
    );
    not_found(
        repo.touch_account_webhook(account.id, at).await,
        "touch_account_webhook of a soft-deleted account",
    );

    // The number can be connected again, to any store.
    let mut reconnected = fixtures::account(other.id);
    reconnected.phone_number_id = account.phone_number_id.clone();
    ok(
        repo.insert_account(&reconnected).await,
        "insert_account reusing the phone_number_id of a soft-deleted account",
    );
    assert_eq!(
        ok(
            repo.find_account_by_phone_number_id(&account.phone_number_id)
                .await,
            "find_account_by_phone_number_id"
        ),
        Some(reconnected.clone()),
        "the phone_number_id must route to the reconnected account"
    );
    let mut again = fixtures::account(store.id);
    again.phone_number_id = account.phone_number_id.clone();
    conflict(
        repo.insert_account(&again).await,
        "insert_account with a phone_number_id live again after a reconnect",
    );

    // Several soft-deleted rows may share the number.
    ok(
        repo.soft_delete_account(other.id, reconnected.id, at).await,
        "soft_delete_account",
    );
    ok(
        repo.insert_account(&again).await,
        "insert_account after two disconnects of the same number",
    );
    assert_eq!(
        ok(repo.list_accounts(store.id).await, "list_accounts"),
        vec![again],
        "list_accounts must show the live reconnected account only"
    );
}

/// `touch_account_webhook` records the last webhook time, never moving it back.
pub async fn touch_webhook(r: &Repos) {
    let repo = ready(r).await;
    let store = new_store(repo).await;
    let account = new_account(repo, store.id).await;
    let t = account.created_at + TimeDelta::minutes(1);
    let last_webhook = async || {
        stored_account(repo, store.id, account.id, "find_account")
            .await
            .last_webhook_at
    };

    ok(
        repo.touch_account_webhook(account.id, t).await,
        "touch_account_webhook",
    );
    assert_eq!(
        last_webhook().await,
        Some(t),
        "touch_account_webhook must record the time"
    );
    ok(
        repo.touch_account_webhook(account.id, t - TimeDelta::seconds(30))
            .await,
        "touch_account_webhook with an older time",
    );
    assert_eq!(
        last_webhook().await,
        Some(t),
        "touch_account_webhook must never move last_webhook_at back"
    );
    ok(
        repo.touch_account_webhook(account.id, t + TimeDelta::seconds(30))
            .await,
        "touch_account_webhook with a newer time",
    );
    assert_eq!(
        last_webhook().await,
        Some(t + TimeDelta::seconds(30)),
        "touch_account_webhook must move last_webhook_at forward"
    );
    not_found(
        repo.touch_account_webhook(AccountId::new(), t).await,
        "touch_account_webhook of an unknown account",
    );
}

/// The id just before `id`, so paging "after" it starts exactly at `id`.
fn just_before(id: AccountId) -> AccountId {
    AccountId::from_uuid(Uuid::from_u128(id.as_uuid().as_u128().saturating_sub(1)))
}

/// The sealed secrets of an account as the repository should list them.
fn secrets_of(account: &WhatsappAccount) -> AccountSecrets {
    AccountSecrets {
        account_id: account.id,
        access_token: account.access_token.clone(),
        webhook_verification_token: account.webhook_verification_token.clone(),
    }
}

/// Every account's sealed secrets are listed, soft-deleted ones included.
pub async fn secret_listing(r: &Repos) {
    let repo = ready(r).await;
    let store = new_store(repo).await;
    let plain = new_account(repo, store.id).await;
    let mut with_verify = fixtures::account(store.id);
    with_verify.webhook_verification_token = Some(fixtures::sealed("verify"));
    ok(repo.insert_account(&with_verify).await, "insert_account");
    let deleted = new_account(repo, store.id).await;
    ok(
        repo.soft_delete_account(store.id, deleted.id, fixtures::now())
            .await,
        "soft_delete_account",
    );

    let mut expected: Vec<AccountSecrets> =
        [&plain, &with_verify, &deleted].map(secrets_of).to_vec();
    expected.sort_by_key(|s| s.account_id);
    let (first, last) = (expected[0].account_id, expected[2].account_id);
    let start = just_before(first);

    // Page with a small limit from just before our first id until past our last one. Accounts
    // of concurrent tests may interleave; ours must all appear, in id order, once.
    let mut seen: Vec<AccountSecrets> = Vec::new();
    let mut after = start;
    for page_no in 0.. {
        assert!(page_no < 10_000, "list_account_secrets paging never ends");
        let page = ok(
            repo.list_account_secrets(Some(after), 2).await,
            "list_account_secrets",
        );
        assert!(
            page.len() <= 2,
            "list_account_secrets must return at most `limit` rows"
        );
        if page_no == 0 {
            assert_eq!(
                page.len(),
                2,
                "list_account_secrets must fill a page when more rows exist"
            );
            assert_eq!(
                page[0].account_id, first,
                "list_account_secrets must start right after `after`"
            );
        }
        let Some(tail) = page.last().map(|s| s.account_id) else {
            break;
        };
        for s in &page {
            assert!(
                s.account_id > after,
                "list_account_secrets must return ids after `after`, ascending"
            );
            after = s.account_id;
        }
        seen.extend(page);
        if tail >= last {
            break;
        }
    }
    let mine: Vec<AccountSecrets> = seen
        .into_iter()
        .filter(|s| expected.iter().any(|e| e.account_id == s.account_id))
        .collect();
    assert_eq!(
        mine, expected,
        "list_account_secrets must list every account (soft-deleted included) once, by id, with its sealed secrets"
    );

    let beyond = ok(
        repo.list_account_secrets(Some(last), 100).await,
        "list_account_secrets",
    );
    assert!(
        beyond
            .iter()
            .all(|s| s.account_id > last && !expected.contains(s)),
        "list_account_secrets must exclude `after` and everything before it"
    );
    assert!(
        ok(
            repo.list_account_secrets(Some(start), 0).await,
            "list_account_secrets"
        )
        .is_empty(),
        "list_account_secrets with limit 0 must be empty"
    );
    let from_start = ok(
        repo.list_account_secrets(None, 1).await,
        "list_account_secrets(None)",
    );
    assert_eq!(
        from_start.len(),
        1,
        "list_account_secrets(None, 1) must return the first account"
    );
    assert!(
        from_start[0].account_id <= first,
        "list_account_secrets(None) must start from the smallest id"
    );
}

/// Secrets are rotated only when they still are what the caller read.
pub async fn secret_compare_and_swap(r: &Repos) {
    let repo = ready(r).await;
    let store = new_store(repo).await;
    let account = new_account(repo, store.id).await;
    let old = secrets_of(&account);
    let new = AccountSecrets {
        account_id: account.id,
        access_token: fixtures::sealed("rotated"),
        webhook_verification_token: Some(fixtures::sealed("rotated-verify")),
    };
    let stored_secrets =
        async || secrets_of(&stored_account(repo, store.id, account.id, "find_account").await);

    assert!(
        ok(
            repo.replace_account_secrets(&old, &new).await,
            "replace_account_secrets"
        ),
        "replace_account_secrets with the current secrets must swap and return true"
    );
    assert_eq!(
        stored_secrets().await,
        new,
        "replace_account_secrets must store the new secrets"
    );
    let stored = stored_account(repo, store.id, account.id, "find_account").await;
    assert_eq!(
        (
            &stored.phone_number_id,
            stored.status(),
            &stored.meta,
            stored.created_at
        ),
        (
            &account.phone_number_id,
            account.status(),
            &account.meta,
            account.created_at
        ),
        "replace_account_secrets must change only the secrets"
    );

    let newest = AccountSecrets {
        account_id: account.id,
        access_token: fixtures::sealed("lost-race"),
        webhook_verification_token: None,
    };
    assert!(
        !ok(
            repo.replace_account_secrets(&old, &newest).await,
            "replace_account_secrets"
        ),
        "replace_account_secrets with stale `old` secrets must return false"
    );
    let stale_verify = AccountSecrets {
        webhook_verification_token: None,
        ..new.clone()
    };
    assert!(
        !ok(
            repo.replace_account_secrets(&stale_verify, &newest).await,
            "replace_account_secrets"
        ),
        "replace_account_secrets must compare the verify token too"
    );
    assert_eq!(
        stored_secrets().await,
        new,
        "a lost replace_account_secrets race must change nothing"
    );

    let unknown = AccountSecrets {
        account_id: AccountId::new(),
        ..old.clone()
    };
    assert!(
        !ok(
            repo.replace_account_secrets(&unknown, &newest).await,
            "replace_account_secrets"
        ),
        "replace_account_secrets of an unknown account must return false"
    );

    // Soft-deleted accounts are listed for rotation, so they can be rotated.
    let deleted = new_account(repo, store.id).await;
    ok(
        repo.soft_delete_account(store.id, deleted.id, fixtures::now())
            .await,
        "soft_delete_account",
    );
    let rotated = AccountSecrets {
        account_id: deleted.id,
        access_token: fixtures::sealed("rotated-deleted"),
        webhook_verification_token: None,
    };
    assert!(
        ok(
            repo.replace_account_secrets(&secrets_of(&deleted), &rotated)
                .await,
            "replace_account_secrets of a soft-deleted account"
        ),
        "replace_account_secrets must rotate soft-deleted accounts too"
    );
    assert_eq!(
        ok(
            repo.list_account_secrets(Some(just_before(deleted.id)), 1)
                .await,
            "list_account_secrets"
        ),
        vec![rotated],
        "the rotated secrets of a soft-deleted account must be listed"
    );
}

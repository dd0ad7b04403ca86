//! The [`HealthRepo`](omni_ports::HealthRepo) contract, one rule per documented behaviour of
//! its four parts: notifications (newest first, limited, unread filter, marking read by id or
//! all, scoped to the store), the store's alert number (set, replace, clear), a WABA's
//! templates (upsert by WABA, name and language; listing by name and language; the sync that
//! replaces them; delete by name; status decisions) and the shared jobs (a row per job that
//! keeps its schedule, claims of due jobs under a lease, finishing only while holding it, the
//! runs oldest first, concurrent claims never sharing a job).
//!
//! Two rules pin what the SQL adapter does where the port says only "Storage failure": a
//! duplicate notification id is `Conflict` (the primary key) and a notification or alert
//! number of a store the central registry does not know is `NotFound` (the foreign key).
//! The job rules assume the central database is their own (as every backend gives it): a
//! claim takes any due job.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use omni_domain::{AccountId, StoreId};
use omni_ports::{HealthRepo, JobRun, Notification, StoredTemplate};
use tokio::task::JoinSet;
use uuid::Uuid;

use super::{Repos, conflict, not_found, ok};
use crate::fixtures;

/// Registers an owner and a store in the central registry (notifications and alert numbers
/// belong to a registered store).
///
/// # Panics
/// When a setup call fails.
pub async fn registered_store(r: &Repos) -> StoreId {
    let owner = fixtures::owner();
    ok(r.central.insert_owner(&owner).await, "insert_owner (setup)");
    let id = StoreId::new();
    let store = fixtures::store(id, owner.id, fixtures::sqlite_location(id));
    ok(r.central.insert_store(&store).await, "insert_store (setup)");
    id
}

/// A fresh notification of `store` created at `at`.
fn notification(store: StoreId, at: DateTime<Utc>) -> Notification {
    Notification {
        id: Uuid::new_v4().to_string(),
        store_id: store,
        account_id: Some(AccountId::new()),
        kind: "quality_drop".into(),
        severity: "warning".into(),
        title: "Quality dropped to yellow".into(),
        body: "Reply faster; avoid messages customers report.".into(),
        detail: serde_json::json!({ "before": "GREEN", "after": "YELLOW" }),
        created_at: at,
        read_at: None,
    }
}

/// Adds `n`, which must succeed.
async fn add(health: &dyn HealthRepo, n: &Notification) {
    ok(health.add_notification(n).await, "add_notification");
}

/// Every notification of `store`, read or not.
async fn all(health: &dyn HealthRepo, store: StoreId) -> Vec<Notification> {
    ok(
        health.list_notifications(store, false, 1_000).await,
        "list_notifications",
    )
}

/// Adds a notification of `store` at each of `offsets` minutes after now; the added, in
/// order of the offsets.
async fn added_at(health: &dyn HealthRepo, store: StoreId, offsets: &[i64]) -> Vec<Notification> {
    let base = fixtures::now();
    let mut added = Vec::new();
    for offset in offsets {
        let n = notification(store, base + TimeDelta::minutes(*offset));
        add(health, &n).await;
        added.push(n);
    }
    added
}

/// `ns` newest first, as `list_notifications` must order them.
fn newest_first(mut ns: Vec<Notification>) -> Vec<Notification> {
    ns.sort_by(|x, y| (y.created_at, &y.id).cmp(&(x.created_at, &x.id)));
    ns
}

/// A notification round-trips with every field, with and without an account.
pub async fn notification_round_trip(r: &Repos) {
    let health = r.health.as_ref();
    let store = registered_store(r).await;
    let with_account = notification(store, fixtures::now());
    let mut without = notification(store, with_account.created_at + TimeDelta::minutes(1));
    without.account_id = None;
    without.kind = "token_expiring".into();
    without.severity = "critical".into();
    without.detail = serde_json::json!({ "reconnect": "/owner#accounts", "days": [1, 3] });
    add(health, &with_account).await;
    add(health, &without).await;
    assert_eq!(
        all(health, store).await,
        vec![without, with_account],
        "a notification must round-trip with every field"
    );
}

/// A notification added already read keeps its `read_at` and is not unread.
pub async fn notification_added_read(r: &Repos) {
    let health = r.health.as_ref();
    let store = registered_store(r).await;
    let mut n = notification(store, fixtures::now());
    n.read_at = Some(n.created_at + TimeDelta::seconds(5));
    add(health, &n).await;
    assert_eq!(all(health, store).await, vec![n], "read_at must round-trip");
    assert!(
        ok(
            health.list_notifications(store, true, 100).await,
            "list_notifications"
        )
        .is_empty(),
        "a notification added read must not be listed as unread"
    );
}

/// Newest first: by `created_at`, then by id.
pub async fn notifications_newest_first(r: &Repos) {
    let health = r.health.as_ref();
    let store = registered_store(r).await;
    let mut added = added_at(health, store, &[2, 0, 3, 1]).await;
    let at = added[0].created_at;
    for _ in 0..3 {
        let same_time = notification(store, at);
        add(health, &same_time).await;
        added.push(same_time);
    }
    assert_eq!(
        all(health, store).await,
        newest_first(added),
        "notifications must be listed newest first (created_at, then id)"
    );
}

/// At most `limit`, the newest; none for a limit of 0.
pub async fn notifications_limit(r: &Repos) {
    let health = r.health.as_ref();
    let store = registered_store(r).await;
    let added = newest_first(added_at(health, store, &[1, 4, 0, 3, 2]).await);
    assert_eq!(
        ok(
            health.list_notifications(store, false, 2).await,
            "list_notifications"
        ),
        added[..2].to_vec(),
        "list_notifications must return the newest `limit`"
    );
    assert!(
        ok(
            health.list_notifications(store, false, 0).await,
            "list_notifications"
        )
        .is_empty(),
        "a limit of 0 must list nothing"
    );
    assert_eq!(
        ok(
            health
                .mark_notifications_read(store, Some(&[added[0].id.clone()]), fixtures::now())
                .await,
            "mark_notifications_read"
        ),
        1,
        "marking the newest read must change one"
    );
    assert_eq!(
        ok(
            health.list_notifications(store, true, 1).await,
            "list_notifications"
        ),
        vec![added[1].clone()],
        "the limit must apply after the unread filter"
    );
}

/// `unread_only` leaves out what was marked read; the full list shows it with its `read_at`.
pub async fn notifications_unread_only(r: &Repos) {
    let health = r.health.as_ref();
    let store = registered_store(r).await;
    let added = newest_first(added_at(health, store, &[0, 1, 2]).await);
    let at = fixtures::now() + TimeDelta::hours(1);
    ok(
        health
            .mark_notifications_read(store, Some(&[added[1].id.clone()]), at)
            .await,
        "mark_notifications_read",
    );
    assert_eq!(
        ok(
            health.list_notifications(store, true, 100).await,
            "list_notifications"
        ),
        vec![added[0].clone(), added[2].clone()],
        "unread_only must leave out the read notification"
    );
    let mut expected = added.clone();
    expected[1].read_at = Some(at);
    assert_eq!(
        all(health, store).await,
        expected,
        "the full list must show the read notification with its read_at"
    );
}

/// One store's notifications are never listed through another.
pub async fn notifications_by_store(r: &Repos) {
    let health = r.health.as_ref();
    let (a, b) = (registered_store(r).await, registered_store(r).await);
    let of_a = added_at(health, a, &[0]).await;
    let of_b = added_at(health, b, &[0, 1]).await;
    assert_eq!(all(health, a).await, of_a, "store A lists only its own");
    assert_eq!(
        all(health, b).await,
        newest_first(of_b),
        "store B lists only its own"
    );
    assert!(
        all(health, registered_store(r).await).await.is_empty(),
        "a store without notifications lists none"
    );
}

/// Marking by id changes only those unread ids of the store and says how many changed;
/// already-read ones keep their first `read_at`, other stores' ids are ignored.
pub async fn mark_notifications_read_by_id(r: &Repos) {
    let health = r.health.as_ref();
    let (store, other) = (registered_store(r).await, registered_store(r).await);
    let added = newest_first(added_at(health, store, &[0, 1, 2]).await);
    let foreign = added_at(health, other, &[0]).await;
    let first = fixtures::now() + TimeDelta::hours(1);
    let ids = [added[0].id.clone(), added[2].id.clone()];
    assert_eq!(
        ok(
            health
                .mark_notifications_read(store, Some(&ids), first)
                .await,
            "mark_notifications_read"
        ),
        2,
        "marking two unread ids must change two"
    );
    let later = first + TimeDelta::hours(1);
    let again = [added[0].id.clone(), added[1].id.clone()];
    assert_eq!(
        ok(
            health
                .mark_notifications_read(store, Some(&again), later)
                .await,
            "mark_notifications_read"
        ),
        1,
        "an id already read must not count again"
    );
    let mut expected = added.clone();
    expected[0].read_at = Some(first);
    expected[1].read_at = Some(later);
    expected[2].read_at = Some(first);
    assert_eq!(
        all(health, store).await,
        expected,
        "marking must set read_at once, on the given ids only"
    );
    assert_eq!(
        ok(
            health
                .mark_notifications_read(store, Some(&[foreign[0].id.clone()]), later)
                .await,
            "mark_notifications_read"
        ),
        0,
        "another store's id must be ignored"
    );
    assert_eq!(
        all(health, other).await,
        foreign,
        "another store's notification must stay unread"
    );
    assert_eq!(
        ok(
            health
                .mark_notifications_read(store, Some(&[]), later)
                .await,
            "mark_notifications_read"
        ),
        0,
        "no ids must change nothing"
    );
}

/// Marking without ids reads every unread notification of the store, and only those.
pub async fn mark_notifications_read_all(r: &Repos) {
    let health = r.health.as_ref();
    let (store, other) = (registered_store(r).await, registered_store(r).await);
    let added = newest_first(added_at(health, store, &[0, 1, 2]).await);
    let foreign = added_at(health, other, &[0]).await;
    let first = fixtures::now() + TimeDelta::hours(1);
    ok(
        health
            .mark_notifications_read(store, Some(&[added[1].id.clone()]), first)
            .await,
        "mark_notifications_read",
    );
    let later = first + TimeDelta::hours(1);
    assert_eq!(
        ok(
            health.mark_notifications_read(store, None, later).await,
            "mark_notifications_read"
        ),
        2,
        "marking all must change every unread one"
    );
    let mut expected = added.clone();
    expected[0].read_at = Some(later);
    expected[1].read_at = Some(first);
    expected[2].read_at = Some(later);
    assert_eq!(
        all(health, store).await,
        expected,
        "marking all must keep an earlier read_at"
    );
    assert_eq!(
        all(health, other).await,
        foreign,
        "marking all must leave other stores unread"
    );
    assert_eq!(
        ok(
            health.mark_notifications_read(store, None, later).await,
            "mark_notifications_read"
        ),
        0,
        "marking all again must change nothing"
    );
}

/// A second notification with the same id is `Conflict` and changes nothing.
pub async fn duplicate_notification_id(r: &Repos) {
    let health = r.health.as_ref();
    let store = registered_store(r).await;
    let n = notification(store, fixtures::now());
    add(health, &n).await;
    let mut copy = notification(store, n.created_at + TimeDelta::minutes(1));
    copy.id.clone_from(&n.id);
    conflict(
        health.add_notification(&copy).await,
        "add_notification with a stored id",
    );
    assert_eq!(
        all(health, store).await,
        vec![n],
        "a refused duplicate must not change the stored one"
    );
}

/// A notification or an alert number of a store the registry does not know is `NotFound`.
pub async fn unknown_store(r: &Repos) {
    let health = r.health.as_ref();
    let unknown = StoreId::new();
    not_found(
        health
            .add_notification(&notification(unknown, fixtures::now()))
            .await,
        "add_notification of an unknown store",
    );
    not_found(
        health
            .set_alert_number(unknown, Some("+923001234567"), fixtures::now())
            .await,
        "set_alert_number of an unknown store",
    );
    assert!(
        all(health, unknown).await.is_empty(),
        "an unknown store lists no notifications"
    );
    assert_eq!(
        ok(health.alert_number(unknown).await, "alert_number"),
        None,
        "an unknown store has no alert number"
    );
}

/// The alert number is unset at first, then set, replaced and cleared, per store.
pub async fn alert_number(r: &Repos) {
    let health = r.health.as_ref();
    let (store, other) = (registered_store(r).await, registered_store(r).await);
    let read = async |store: StoreId| ok(health.alert_number(store).await, "alert_number");
    assert_eq!(read(store).await, None, "a new store has no alert number");
    let at = fixtures::now();
    ok(
        health
            .set_alert_number(store, Some("+923001234567"), at)
            .await,
        "set_alert_number",
    );
    assert_eq!(
        read(store).await.as_deref(),
        Some("+923001234567"),
        "set_alert_number must store the number"
    );
    ok(
        health
            .set_alert_number(store, Some("+923217654321"), at + TimeDelta::minutes(1))
            .await,
        "set_alert_number (replace)",
    );
    assert_eq!(
        read(store).await.as_deref(),
        Some("+923217654321"),
        "set_alert_number must replace the number"
    );
    assert_eq!(
        read(other).await,
        None,
        "one store's alert number must not show in another"
    );
    ok(
        health
            .set_alert_number(store, None, at + TimeDelta::minutes(2))
            .await,
        "set_alert_number (clear)",
    );
    assert_eq!(
        read(store).await,
        None,
        "set_alert_number(None) must clear it"
    );
    ok(
        health
            .set_alert_number(other, None, at + TimeDelta::minutes(3))
            .await,
        "set_alert_number (clear when never set)",
    );
    assert_eq!(
        read(other).await,
        None,
        "clearing an unset number stays unset"
    );
}

/// A fresh WABA id.
fn waba() -> String {
    format!("waba-{}", Uuid::new_v4().simple())
}

/// A template of `waba` with every optional field set.
fn template(waba: &str, name: &str, language: &str) -> StoredTemplate {
    StoredTemplate {
        waba_id: waba.to_owned(),
        meta_id: format!("meta-{}", Uuid::new_v4().simple()),
        name: name.to_owned(),
        language: language.to_owned(),
        status: "APPROVED".into(),
        category: "UTILITY".into(),
        components: serde_json::json!([
            { "type": "BODY", "text": "Your order {{1}} is on its way" }
        ]),
        parameter_format: Some("POSITIONAL".into()),
        rejected_reason: None,
        updated_at: fixtures::now(),
    }
}

/// Upserts `t`, which must succeed.
async fn upsert(health: &dyn HealthRepo, t: &StoredTemplate) {
    ok(health.upsert_template(t).await, "upsert_template");
}

/// The WABA's templates as listed.
async fn listed(health: &dyn HealthRepo, waba: &str) -> Vec<StoredTemplate> {
    ok(health.list_templates(waba).await, "list_templates")
}

/// A template round-trips with every field, optional ones set or not.
pub async fn template_round_trip(r: &Repos) {
    let health = r.health.as_ref();
    let waba = waba();
    let full = template(&waba, "order_shipped", "en");
    let mut bare = template(&waba, "order_shipped", "ur");
    bare.status = "REJECTED".into();
    bare.category = "MARKETING".into();
    bare.parameter_format = None;
    bare.rejected_reason = Some("INVALID_FORMAT".into());
    bare.components = serde_json::json!([]);
    upsert(health, &full).await;
    upsert(health, &bare).await;
    for t in [&full, &bare] {
        assert_eq!(
            ok(
                health.find_template(&waba, &t.name, &t.language).await,
                "find_template"
            )
            .as_ref(),
            Some(t),
            "a template must round-trip with every field"
        );
    }
}

/// An upsert with a stored WABA, name and language replaces that template.
pub async fn template_upsert_replaces(r: &Repos) {
    let health = r.health.as_ref();
    let waba = waba();
    let first = template(&waba, "order_ready", "en");
    upsert(health, &first).await;
    let mut second = template(&waba, "order_ready", "en");
    second.status = "PAUSED".into();
    second.category = "MARKETING".into();
    second.components = serde_json::json!([{ "type": "BODY", "text": "Ready!" }]);
    second.parameter_format = None;
    second.rejected_reason = Some("LOW_QUALITY".into());
    second.updated_at = first.updated_at + TimeDelta::minutes(5);
    upsert(health, &second).await;
    assert_eq!(
        listed(health, &waba).await,
        vec![second],
        "an upsert of a stored key must replace it, not add another"
    );
}

/// A WABA's templates are listed by name, then language, and only that WABA's.
pub async fn templates_by_name_and_language(r: &Repos) {
    let health = r.health.as_ref();
    let (waba, other) = (waba(), waba());
    let mut expected = Vec::new();
    for (name, language) in [
        ("delivery", "ur"),
        ("arrival", "en"),
        ("delivery", "en"),
        ("collection", "ur"),
        ("arrival", "ur"),
    ] {
        let t = template(&waba, name, language);
        upsert(health, &t).await;
        expected.push(t);
    }
    upsert(health, &template(&other, "arrival", "en")).await;
    expected.sort_by(|x, y| (&x.name, &x.language).cmp(&(&y.name, &y.language)));
    assert_eq!(
        listed(health, &waba).await,
        expected,
        "templates must be listed by name, then language, one WABA's only"
    );
    assert!(
        listed(health, &self::waba()).await.is_empty(),
        "a WABA without templates lists none"
    );
}

/// `find_template` matches WABA, name and language exactly.
pub async fn find_template_exact(r: &Repos) {
    let health = r.health.as_ref();
    let waba = waba();
    let t = template(&waba, "greeting", "en");
    upsert(health, &t).await;
    for (w, name, language, which) in [
        (waba.as_str(), "greeting", "ur", "another language"),
        (waba.as_str(), "greetings", "en", "another name"),
        ("waba-other", "greeting", "en", "another WABA"),
    ] {
        assert_eq!(
            ok(
                health.find_template(w, name, language).await,
                "find_template"
            ),
            None,
            "find_template of {which} must be None"
        );
    }
    assert_eq!(
        ok(
            health.find_template(&waba, "greeting", "en").await,
            "find_template"
        ),
        Some(t),
        "find_template must find the stored template"
    );
}

/// A sync replaces the WABA's templates with the list (changed, added, gone) and leaves
/// other WABAs alone; an empty list removes them all.
pub async fn replace_templates(r: &Repos) {
    let health = r.health.as_ref();
    let (waba, other) = (waba(), waba());
    for (name, language) in [("arrival", "en"), ("arrival", "ur"), ("delivery", "en")] {
        upsert(health, &template(&waba, name, language)).await;
    }
    let kept_elsewhere = template(&other, "delivery", "en");
    upsert(health, &kept_elsewhere).await;
    let mut changed = template(&waba, "arrival", "en");
    changed.status = "PAUSED".into();
    let added = template(&waba, "collection", "en");
    ok(
        health
            .replace_templates(&waba, &[added.clone(), changed.clone()])
            .await,
        "replace_templates",
    );
    assert_eq!(
        listed(health, &waba).await,
        vec![changed, added],
        "a sync must leave exactly the listed templates, as given"
    );
    assert_eq!(
        listed(health, &other).await,
        vec![kept_elsewhere.clone()],
        "a sync must not touch another WABA"
    );
    ok(
        health.replace_templates(&waba, &[]).await,
        "replace_templates (empty)",
    );
    assert!(
        listed(health, &waba).await.is_empty(),
        "a sync with no templates must remove them all"
    );
    assert_eq!(
        listed(health, &other).await,
        vec![kept_elsewhere],
        "an empty sync must not touch another WABA"
    );
}

/// `delete_template` removes a name in every language of the WABA and counts them.
pub async fn delete_template(r: &Repos) {
    let health = r.health.as_ref();
    let (waba, other) = (waba(), waba());
    for language in ["en", "ur"] {
        upsert(health, &template(&waba, "promo", language)).await;
    }
    let kept = template(&waba, "receipt", "en");
    let elsewhere = template(&other, "promo", "en");
    upsert(health, &kept).await;
    upsert(health, &elsewhere).await;
    assert_eq!(
        ok(
            health.delete_template(&waba, "promo").await,
            "delete_template"
        ),
        2,
        "delete_template must remove every language and count them"
    );
    assert_eq!(
        listed(health, &waba).await,
        vec![kept],
        "delete_template must keep other names"
    );
    assert_eq!(
        listed(health, &other).await,
        vec![elsewhere],
        "delete_template must not touch another WABA"
    );
    assert_eq!(
        ok(
            health.delete_template(&waba, "promo").await,
            "delete_template"
        ),
        0,
        "deleting a missing name must count 0"
    );
}

/// A status decision sets status, reason and time of one stored template; false when none.
pub async fn set_template_status(r: &Repos) {
    let health = r.health.as_ref();
    let waba = waba();
    let t = template(&waba, "welcome", "en");
    let other_language = template(&waba, "welcome", "ur");
    upsert(health, &t).await;
    upsert(health, &other_language).await;
    let at = t.updated_at + TimeDelta::minutes(10);
    assert!(
        ok(
            health
                .set_template_status(&waba, "welcome", "en", "REJECTED", Some("SCAM"), at)
                .await,
            "set_template_status"
        ),
        "set_template_status of a stored template must say so"
    );
    let mut expected = t.clone();
    expected.status = "REJECTED".into();
    expected.rejected_reason = Some("SCAM".into());
    expected.updated_at = at;
    let find = async |language: &str| {
        ok(
            health.find_template(&waba, "welcome", language).await,
            "find_template",
        )
    };
    assert_eq!(
        find("en").await.as_ref(),
        Some(&expected),
        "the decision must set status, reason and updated_at, and nothing else"
    );
    assert_eq!(
        find("ur").await,
        Some(other_language),
        "the decision must not touch another language"
    );
    let later = at + TimeDelta::minutes(1);
    assert!(
        ok(
            health
                .set_template_status(&waba, "welcome", "en", "APPROVED", None, later)
                .await,
            "set_template_status"
        ),
        "a second decision must apply too"
    );
    expected.status = "APPROVED".into();
    expected.rejected_reason = None;
    expected.updated_at = later;
    assert_eq!(
        find("en").await,
        Some(expected),
        "a decision without a reason must clear the reason"
    );
    assert!(
        !ok(
            health
                .set_template_status(&waba, "welcome", "ar", "APPROVED", None, later)
                .await,
            "set_template_status"
        ),
        "set_template_status of a missing template must answer false"
    );
    assert_eq!(
        find("ar").await,
        None,
        "a decision on a missing template must not create it"
    );
}

/// A fresh job name.
fn job() -> String {
    format!("job_{}", Uuid::new_v4().simple())
}

/// Claims for `owner` at `now` with a one-minute lease.
async fn claim(health: &dyn HealthRepo, owner: &str, now: DateTime<Utc>) -> Option<String> {
    ok(
        health.claim_job(owner, now, TimeDelta::minutes(1)).await,
        "claim_job",
    )
}

/// A job is claimable from its first due time; ensuring it again keeps its schedule.
pub async fn ensure_job_keeps_schedule(r: &Repos) {
    let health = r.health.as_ref();
    let name = job();
    let due = fixtures::now();
    ok(health.ensure_job(&name, due).await, "ensure_job");
    ok(
        health.ensure_job(&name, due - TimeDelta::hours(1)).await,
        "ensure_job (again, earlier)",
    );
    assert_eq!(
        claim(health, "worker-1", due - TimeDelta::seconds(1)).await,
        None,
        "ensuring an existing job again must keep its first due time"
    );
    assert_eq!(
        claim(health, "worker-1", due).await,
        Some(name),
        "a job must be claimable at its due time"
    );
}

/// Only due jobs are claimed, earliest due first (then by name), each once while leased.
pub async fn claim_due_jobs_in_order(r: &Repos) {
    let health = r.health.as_ref();
    let now = fixtures::now();
    let (late, early, future) = (job(), job(), job());
    let mut tied = [job(), job()];
    ok(
        health.ensure_job(&late, now - TimeDelta::minutes(1)).await,
        "ensure_job",
    );
    ok(
        health.ensure_job(&early, now - TimeDelta::minutes(5)).await,
        "ensure_job",
    );
    for name in &tied {
        ok(
            health.ensure_job(name, now - TimeDelta::minutes(3)).await,
            "ensure_job",
        );
    }
    ok(
        health
            .ensure_job(&future, now + TimeDelta::minutes(1))
            .await,
        "ensure_job",
    );
    tied.sort();
    let mut claimed = Vec::new();
    while let Some(name) = claim(health, "worker-1", now).await {
        claimed.push(name);
        assert!(
            claimed.len() <= 4,
            "a leased job must not be claimed again: {claimed:?}"
        );
    }
    assert_eq!(
        claimed,
        vec![early, tied[0].clone(), tied[1].clone(), late],
        "due jobs must be claimed earliest due first, then by name, each once; \
         a job not yet due never"
    );
}

/// A claimed job is not claimed again while its lease runs (up to and including its end),
/// and is claimable once it ran out.
pub async fn claim_respects_lease(r: &Repos) {
    let health = r.health.as_ref();
    let name = job();
    let now = fixtures::now();
    ok(health.ensure_job(&name, now).await, "ensure_job");
    assert_eq!(
        ok(
            health
                .claim_job("worker-1", now, TimeDelta::minutes(2))
                .await,
            "claim_job"
        ),
        Some(name.clone()),
        "a due job must be claimed"
    );
    for at in [
        now,
        now + TimeDelta::minutes(1),
        now + TimeDelta::minutes(2),
    ] {
        assert_eq!(
            claim(health, "worker-2", at).await,
            None,
            "a job must not be claimed while its lease runs ({at})"
        );
    }
    assert_eq!(
        claim(
            health,
            "worker-2",
            now + TimeDelta::minutes(2) + TimeDelta::seconds(1)
        )
        .await,
        Some(name),
        "a job whose lease ran out must be claimable"
    );
}

/// Finishing while holding the lease records the run and schedules the next.
pub async fn finish_job_schedules_next(r: &Repos) {
    let health = r.health.as_ref();
    let name = job();
    let started = fixtures::now();
    ok(health.ensure_job(&name, started).await, "ensure_job");
    assert_eq!(claim(health, "worker-1", started).await, Some(name.clone()));
    let finished = started + TimeDelta::seconds(20);
    let next = started + TimeDelta::hours(1);
    assert!(
        ok(
            health
                .finish_job(&name, "worker-1", started, finished, next, "ok: 3 accounts")
                .await,
            "finish_job"
        ),
        "the lease holder must be able to finish"
    );
    assert_eq!(
        ok(health.job_runs(&name).await, "job_runs"),
        vec![JobRun {
            job: name.clone(),
            owner: "worker-1".into(),
            started_at: started,
            finished_at: finished,
            result: "ok: 3 accounts".into(),
        }],
        "finishing must record the run"
    );
    assert_eq!(
        claim(health, "worker-2", next - TimeDelta::seconds(1)).await,
        None,
        "a finished job must not be claimable before its next due time"
    );
    assert_eq!(
        claim(health, "worker-2", next).await,
        Some(name),
        "a finished job must be claimable at its next due time (its lease released)"
    );
}

/// A caller that lost the lease (or never held it) cannot finish, and no run is recorded.
pub async fn finish_job_needs_the_lease(r: &Repos) {
    let health = r.health.as_ref();
    let name = job();
    let now = fixtures::now();
    ok(health.ensure_job(&name, now).await, "ensure_job");
    let next = now + TimeDelta::hours(1);
    assert!(
        !ok(
            health
                .finish_job(&name, "worker-1", now, now, next, "never claimed")
                .await,
            "finish_job"
        ),
        "finishing an unclaimed job must answer false"
    );
    assert_eq!(claim(health, "worker-1", now).await, Some(name.clone()));
    let taken = now + TimeDelta::minutes(2);
    assert_eq!(
        claim(health, "worker-2", taken).await,
        Some(name.clone()),
        "an expired lease must go to the next claimant"
    );
    assert!(
        !ok(
            health
                .finish_job(&name, "worker-1", now, taken, next, "late")
                .await,
            "finish_job"
        ),
        "the caller whose lease was taken over must not finish"
    );
    assert!(
        !ok(
            health
                .finish_job(&job(), "worker-1", now, taken, next, "unknown")
                .await,
            "finish_job"
        ),
        "finishing an unknown job must answer false"
    );
    assert!(
        ok(health.job_runs(&name).await, "job_runs").is_empty(),
        "a refused finish must not record a run"
    );
    assert!(
        ok(
            health
                .finish_job(&name, "worker-2", taken, taken, next, "ok")
                .await,
            "finish_job"
        ),
        "the new lease holder must finish"
    );
    assert_eq!(
        ok(health.job_runs(&name).await, "job_runs")
            .iter()
            .map(|run| run.owner.as_str())
            .collect::<Vec<_>>(),
        vec!["worker-2"],
        "only the lease holder's run must be recorded"
    );
}

/// A job's runs, oldest first by start, and only that job's.
pub async fn job_runs_oldest_first(r: &Repos) {
    let health = r.health.as_ref();
    let (name, other) = (job(), job());
    let base = fixtures::now() - TimeDelta::hours(10);
    let far = base + TimeDelta::days(100);
    // The other job first (it is due earlier), so its run exists but is not `name`'s.
    ok(
        health.ensure_job(&other, base - TimeDelta::hours(1)).await,
        "ensure_job",
    );
    ok(health.ensure_job(&name, base).await, "ensure_job");
    assert_eq!(claim(health, "worker-x", base).await, Some(other.clone()));
    assert!(
        ok(
            health
                .finish_job(&other, "worker-x", base, base, far, "other")
                .await,
            "finish_job"
        ),
        "the lease holder must finish"
    );
    let mut expected = Vec::new();
    // Runs recorded out of start order: each run's start is passed in, not the claim time.
    for (i, offset) in [3_i64, 1, 2].into_iter().enumerate() {
        let now = base + TimeDelta::hours(i64::try_from(i).unwrap_or(0));
        let owner = format!("worker-{i}");
        assert_eq!(claim(health, &owner, now).await, Some(name.clone()));
        let started = base + TimeDelta::minutes(offset);
        let finished = now + TimeDelta::seconds(1);
        let result = format!("run {i}");
        assert!(
            ok(
                health
                    .finish_job(&name, &owner, started, finished, now, &result)
                    .await,
                "finish_job"
            ),
            "the lease holder must finish"
        );
        expected.push(JobRun {
            job: name.clone(),
            owner,
            started_at: started,
            finished_at: finished,
            result,
        });
    }
    expected.sort_by_key(|run| run.started_at);
    assert_eq!(
        ok(health.job_runs(&name).await, "job_runs"),
        expected,
        "job_runs must list the job's runs oldest first, and only that job's"
    );
    assert!(
        ok(health.job_runs(&job()).await, "job_runs").is_empty(),
        "a job without runs lists none"
    );
}

/// Concurrent claims never get the same job: as many winners as due jobs, all different.
pub async fn concurrent_claims(r: &Repos) {
    const JOBS: usize = 3;
    const TASKS: usize = 8;
    let now = fixtures::now();
    let mut names: Vec<String> = (0..JOBS).map(|_| job()).collect();
    for name in &names {
        ok(r.health.ensure_job(name, now).await, "ensure_job");
    }
    let mut set = JoinSet::new();
    for i in 0..TASKS {
        let health: Arc<dyn HealthRepo> = r.health.clone();
        set.spawn(async move {
            health
                .claim_job(&format!("worker-{i}"), now, TimeDelta::minutes(1))
                .await
        });
    }
    let mut claimed: Vec<String> = set
        .join_all()
        .await
        .into_iter()
        .filter_map(|result| ok(result, "concurrent claim_job"))
        .collect();
    claimed.sort();
    names.sort();
    assert_eq!(
        claimed, names,
        "concurrent claims must share out the due jobs, each to one caller"
    );
}

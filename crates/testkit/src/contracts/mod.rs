//! Port contract suites. Every rule of a port's documented contract is one `pub async fn`
//! taking the backend's [`Repos`], grouped by port in the modules below, and panicking with a
//! message naming what broke. [`contract_tests!`](crate::contract_tests) turns each rule into
//! its own `#[tokio::test]` per backend, on fresh repositories, so one rule can be run alone
//! and one failure does not hide the rest. The rules only create rows with fresh random keys
//! and only assert about those, so they also pass against a database shared with other tests.

pub mod account_events;
pub mod analytics;
pub mod central;
pub mod commerce;
pub mod concurrency;
pub mod health;
pub mod inbox;
pub mod legacy;
pub mod outbox;
pub mod owner_auth;
pub mod tenant;

use std::fmt::{self, Debug};
use std::future::Future;
use std::sync::Arc;

use omni_ports::{
    AccountEventRepo, AnalyticsRepo, CentralRepo, CommerceRepo, HealthRepo, InboxRepo, OutboxRepo,
    OwnerAuthRepo, RepoError, TenantRepoPort,
};

use self::legacy::LegacyColumns;

/// The repositories of one backend, as the rules see them. `tenants` and `commerce` are the
/// same tenant adapter seen through its two bundles (and `analytics` reads the same per-store
/// data); `health`, `inbox`, `outbox` and `legacy` live on the central database.
#[derive(Clone)]
pub struct Repos {
    /// The central registry.
    pub central: Arc<dyn CentralRepo>,
    /// The per-store databases.
    pub tenants: Arc<dyn TenantRepoPort>,
    /// The same per-store databases through the commerce bundle.
    pub commerce: Arc<dyn CommerceRepo>,
    /// Notifications, alert numbers, templates and jobs.
    pub health: Arc<dyn HealthRepo>,
    /// The account history, also on the central database.
    pub events: Arc<dyn AccountEventRepo>,
    /// Owner sessions and OAuth states, also on the central database.
    pub auth: Arc<dyn OwnerAuthRepo>,
    /// The webhook inbox, on the central database.
    pub inbox: Arc<dyn InboxRepo>,
    /// The outbox and sender leases, on the central database.
    pub outbox: Arc<dyn OutboxRepo>,
    /// The figures over what `tenants` stores.
    pub analytics: Arc<dyn AnalyticsRepo>,
    /// The seed's legacy store columns of the central registry, with their write.
    pub legacy: Arc<dyn LegacyColumns>,
}

impl Debug for Repos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repos").finish_non_exhaustive()
    }
}

/// A backend the contract suites run against: fresh repositories per rule, cleaned up after.
pub trait Backend: Sized {
    /// Builds fresh repositories; `None` (after saying why) when the backend is unavailable
    /// and the test should pass as skipped (Postgres outside CI).
    fn start() -> impl Future<Output = Option<Self>>;

    /// The repositories the rule runs against.
    fn repos(&self) -> Repos;

    /// Closes pools and removes what `start` created.
    fn finish(self) -> impl Future<Output = ()>;
}

/// Runs one rule against fresh repositories of `B` and cleans up, also when the rule panics
/// (the panic is then resumed, so the test fails with the rule's message).
///
/// # Panics
/// When the rule does, or when its task is cancelled.
pub async fn run<B, F, Fut>(rule: F)
where
    B: Backend,
    F: FnOnce(Repos) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(backend) = B::start().await else {
        return;
    };
    let outcome = tokio::spawn(rule(backend.repos())).await;
    backend.finish().await;
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("the rule's task did not finish: {e}"),
        }
    }
}

/// Emits one `#[tokio::test]` per contract rule for a backend, in one module per port:
/// `contract_tests!(omni_testkit::backends::Sqlite => central, tenant)` defines
/// `central::owners`, `central::stores`, ..., `tenant::customers`, ... in the calling module.
/// The backend is a path that resolves from anywhere (start it with a crate name or `crate`)
/// to a type implementing [`contracts::Backend`](crate::contracts::Backend). The groups are
/// `central`, `tenant`, `commerce`, `concurrency` (on four worker threads), `health`,
/// `account_events`, `owner_auth`, `inbox`, `outbox`, `analytics` and `legacy`; each group's
/// rules are listed once, here, so every backend runs all of them.
#[macro_export]
macro_rules! contract_tests {
    ($backend:path => $($group:ident),+ $(,)?) => {
        $( $crate::contract_tests!(@group $backend, $group); )+
    };
    (@group $backend:path, central) => {
        $crate::contract_tests!(@emit $backend, central, 2, [
            owners,
            stores,
            account_round_trip,
            account_listing_order,
            phone_number_id_is_unique_among_live_accounts,
            account_scoping,
            update_account,
            default_account,
            soft_delete,
            touch_webhook,
            secret_listing,
            secret_compare_and_swap,
        ]);
    };
    (@group $backend:path, tenant) => {
        $crate::contract_tests!(@emit $backend, tenant, 2, [
            unprovisioned,
            customers,
            conversations,
            messages,
            message_fields,
            record_inbound,
            complete_inbound,
            statuses,
            send_records,
            auto_reply,
            orders_round_trip,
            order_updates,
            menu,
            payment_methods,
            list_orders,
            isolation,
        ]);
    };
    (@group $backend:path, commerce) => {
        $crate::contract_tests!(@emit $backend, commerce, 2, [
            menu,
            payment_methods,
            settings,
            orders,
            turns,
            conversations_and_tokens,
        ]);
    };
    (@group $backend:path, concurrency) => {
        $crate::contract_tests!(@emit $backend, concurrency, 4, [
            concurrent_inserts,
            concurrent_order_updates,
            concurrent_inbound,
            concurrent_statuses,
        ]);
    };
    (@group $backend:path, account_events) => {
        $crate::contract_tests!(@emit $backend, account_events, 2, [
            event_round_trip,
            events_newest_first,
            events_limit,
            events_by_account,
        ]);
    };
    (@group $backend:path, owner_auth) => {
        $crate::contract_tests!(@emit $backend, owner_auth, 2, [
            session_live_until_expiry,
            revoke_session,
            session_refusals,
            oauth_state_consumed_once,
            oauth_state_expires,
            oauth_state_bound_to_owner_and_store,
            oauth_state_refusals,
            oauth_state_concurrent_consume,
        ]);
    };
    (@group $backend:path, health) => {
        $crate::contract_tests!(@emit $backend, health, 2, [
            notification_round_trip,
            notification_added_read,
            notifications_newest_first,
            notifications_limit,
            notifications_unread_only,
            notifications_by_store,
            mark_notifications_read_by_id,
            mark_notifications_read_all,
            duplicate_notification_id,
            unknown_store,
            alert_number,
            template_round_trip,
            template_upsert_replaces,
            templates_by_name_and_language,
            find_template_exact,
            replace_templates,
            delete_template,
            set_template_status,
            ensure_job_keeps_schedule,
            claim_due_jobs_in_order,
            claim_respects_lease,
            finish_job_schedules_next,
            finish_job_needs_the_lease,
            job_runs_oldest_first,
            concurrent_claims,
        ]);
    };
    (@group $backend:path, inbox) => {
        $crate::contract_tests!(@emit $backend, inbox, 2, [
            append_round_trip,
            append_dedupes,
            append_malformed_dead,
            claim_when_due,
            claim_fair_order,
            claim_lease,
            claim_per_ordering_key,
            complete_done,
            complete_unroutable,
            complete_needs_the_lease,
            fail_retries,
            fail_dead,
            release_gives_back,
            list_newest_first,
            find_unknown,
            counts_per_state,
            requeue,
            purge_done,
            concurrent_claims,
        ]);
    };
    (@group $backend:path, outbox) => {
        $crate::contract_tests!(@emit $backend, outbox, 2, [
            enqueue_round_trip,
            enqueue_idempotent,
            senders_with_work,
            sender_lease,
            release_sender,
            concurrent_sender_acquire,
            claim_oldest_per_recipient,
            claim_by_sender,
            claim_lease,
            record_wamid,
            mark_sent,
            reschedule,
            mark_failed,
            fail_pending_of_sender,
            business_recipients_since,
            list_filters,
            counts_per_state,
            find_failed,
            requeue_failed,
            concurrent_claims,
        ]);
    };
    (@group $backend:path, analytics) => {
        $crate::contract_tests!(@emit $backend, analytics, 2, [
            unprovisioned,
            messages_per_day,
            delivery_figures,
            response_times,
            orders_and_revenue,
            by_account,
            last_inbound_from,
        ]);
    };
    (@group $backend:path, legacy) => {
        $crate::contract_tests!(@emit $backend, legacy, 2, [
            both_columns_set,
            oldest_first,
            unknown_store,
        ]);
    };
    (@emit $backend:path, $group:ident, $threads:tt, [$($rule:ident),* $(,)?]) => {
        mod $group {
            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = $threads)]
                async fn $rule() {
                    $crate::contracts::run::<$backend, _, _>(|repos| async move {
                        $crate::contracts::$group::$rule(&repos).await;
                    })
                    .await;
                }
            )*
        }
    };
}

/// The value of a call that must succeed.
#[track_caller]
pub(crate) fn ok<T>(result: Result<T, RepoError>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("{what}: expected success, got {e:?}"),
    }
}

/// Asserts a call failed with `Conflict`.
#[track_caller]
pub(crate) fn conflict<T: Debug>(result: Result<T, RepoError>, what: &str) {
    match result {
        Err(RepoError::Conflict { .. }) => {}
        other => panic!("{what}: expected Err(Conflict), got {other:?}"),
    }
}

/// Asserts a call failed with `NotFound`.
#[track_caller]
pub(crate) fn not_found<T: Debug>(result: Result<T, RepoError>, what: &str) {
    match result {
        Err(RepoError::NotFound) => {}
        other => panic!("{what}: expected Err(NotFound), got {other:?}"),
    }
}

/// Asserts a call failed with `TenantNotFound`.
#[track_caller]
pub(crate) fn tenant_not_found<T: Debug>(result: Result<T, RepoError>, what: &str) {
    match result {
        Err(RepoError::TenantNotFound) => {}
        other => panic!("{what}: expected Err(TenantNotFound), got {other:?}"),
    }
}

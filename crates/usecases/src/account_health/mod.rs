//! Account health (number quality, not liveness): what Meta says about a number over time,
//! and what we do about it.
//!
//! - Every change of quality, limits or status, from a webhook (recorded by
//!   `InboxProcessor`, then passed here as a [`ManagementObserver`]) or from a refresh
//!   ([`Health::refresh`]), is in the account's history (`account_events`) with its time.
//! - A drop ([`drops`]: GREEN to YELLOW, anything to RED, a lower limit, a flagged,
//!   restricted or disabled number, lost access) becomes an owner notification and, when the
//!   store has an alert number, a WhatsApp message to it through the outbox.
//! - Scheduled jobs ([`Health::run_job`]): refresh every account from Meta, and check every
//!   token with `debug_token`, renewing a system-user token that expires soon
//!   (`fb_exchange_token` + `set_token_expires_in_60_days`) and marking an account with an
//!   expiring user token `reauth_required` ahead of time (Meta offers no refresh for those).
//! - [`Health::diagnose`] asks Meta why a number might not work.
//!
//! The parts: [`service`] (settings, ports, job names), [`snapshot`], [`notify`], [`history`]
//! (view and refresh), [`tokens`], [`jobs`], [`diagnose`], [`analytics`], and [`observer`]
//! (the inbox processor's hook).

mod analytics;
mod diagnose;
mod history;
mod jobs;
mod notify;
mod observer;
mod service;
mod snapshot;
mod tokens;

pub use crate::inbound::ManagementObserver;
pub use analytics::{DayAnalytics, median};
pub use diagnose::Check;
pub use history::HealthView;
pub use notify::AlertNumberError;
pub use omni_domain::{DropKind, HealthDrop, Severity, health_drops};
pub use service::{
    Health, HealthConfig, HealthPorts, JOB_CHECK_TOKENS, JOB_REFRESH_ACCOUNTS, Job, UnknownJob,
};
pub use snapshot::snapshot;
pub use tokens::TokenOutcome;

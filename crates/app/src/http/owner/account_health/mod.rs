//! Account health routes of the owner API, one section per file with its own bodies: a
//! number's health and history, diagnose, analytics, templates; the store's notifications and
//! alert number. Every account route first finds the account within the caller's store
//! ([`account`]); bodies are parsed after that.

mod account;
mod alert_number;
mod analytics;
mod health;
mod notifications;
mod templates;

pub(super) use alert_number::{get_alert_number, set_alert_number};
pub(super) use analytics::analytics;
pub(super) use health::{diagnose, health};
pub(super) use notifications::{mark_read, notifications};
pub(super) use templates::{
    create_template, delete_template, list_templates, send_template, sync_templates,
};

use utoipa::OpenApi;

/// The account health part of the OpenAPI document (merged into the main one).
#[derive(Debug, OpenApi)]
#[openapi(
    paths(
        health::health, health::diagnose, analytics::analytics, templates::list_templates,
        templates::sync_templates, templates::create_template, templates::delete_template,
        templates::send_template, notifications::notifications, notifications::mark_read,
        alert_number::get_alert_number, alert_number::set_alert_number,
    ),
    components(schemas(
        health::HealthResponse, health::HistoryEntry, health::CheckResponse,
        analytics::AnalyticsResponse, analytics::DayResponse, templates::TemplateResponse,
        templates::CreateTemplateBody, templates::SendTemplateBody, templates::QueuedResponse,
        templates::DeletedResponse, notifications::NotificationResponse,
        notifications::NotificationList, notifications::MarkReadBody,
        notifications::MarkReadResponse, alert_number::AlertNumberBody,
    )),
    tags(
        (name = "health", description = "Account health: quality and limit history, diagnose, analytics, notifications"),
        (name = "templates", description = "A WABA's message templates"),
    )
)]
pub struct HealthDoc;

//! Account-health storage in the central database, one port per aggregate: owner
//! notifications, the store's alert number, a WABA's message templates, and the recurring
//! jobs every process shares.
//!
//! [`HealthRepo`] is the bundle the use cases held before the split, implemented for every
//! type that implements the four parts.

mod alert_numbers;
mod jobs;
mod notifications;
mod templates;

pub use alert_numbers::AlertNumberRepo;
pub use jobs::{JobRepo, JobRun};
pub use notifications::{Notification, NotificationRepo};
pub use templates::{StoredTemplate, TemplateRepo};

/// Notifications, alert numbers, templates and jobs together. A bundle: implemented for
/// every type with all its parts.
pub trait HealthRepo: NotificationRepo + AlertNumberRepo + TemplateRepo + JobRepo {}

impl<T> HealthRepo for T where
    T: NotificationRepo + AlertNumberRepo + TemplateRepo + JobRepo + ?Sized
{
}

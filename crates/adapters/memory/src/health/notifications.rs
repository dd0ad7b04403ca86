//! [`NotificationRepo`] in memory: newest first (created_at, then id), limited.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::StoreId;
use omni_ports::{Notification, NotificationRepo, RepoError};

use super::InMemoryHealthRepo;

#[async_trait]
impl NotificationRepo for InMemoryHealthRepo {
    async fn add_notification(&self, n: &Notification) -> Result<(), RepoError> {
        self.check_store(n.store_id)?;
        self.with(|h| {
            if h.notifications.contains_key(&n.id) {
                return Err(RepoError::conflict("notification id exists"));
            }
            h.notifications.insert(n.id.clone(), n.clone());
            Ok(())
        })
    }

    async fn list_notifications(
        &self,
        store: StoreId,
        unread_only: bool,
        limit: u32,
    ) -> Result<Vec<Notification>, RepoError> {
        self.with(|h| {
            let mut found: Vec<Notification> = h
                .notifications
                .values()
                .filter(|n| n.store_id == store && (!unread_only || n.read_at.is_none()))
                .cloned()
                .collect();
            found.sort_by(|x, y| (y.created_at, &y.id).cmp(&(x.created_at, &x.id)));
            found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            Ok(found)
        })
    }

    async fn mark_notifications_read(
        &self,
        store: StoreId,
        ids: Option<&[String]>,
        at: DateTime<Utc>,
    ) -> Result<u64, RepoError> {
        self.with(|h| {
            let mut changed = 0;
            for n in h.notifications.values_mut() {
                let chosen = ids.is_none_or(|ids| ids.contains(&n.id));
                if n.store_id == store && n.read_at.is_none() && chosen {
                    n.read_at = Some(at);
                    changed += 1;
                }
            }
            Ok(changed)
        })
    }
}

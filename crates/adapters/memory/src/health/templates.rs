//! [`TemplateRepo`] in memory: one entry per WABA, name and language.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_ports::{RepoError, StoredTemplate, TemplateRepo};

use super::{Health, InMemoryHealthRepo};

/// The key of a template.
fn key(waba: &str, name: &str, language: &str) -> (String, String, String) {
    (waba.to_owned(), name.to_owned(), language.to_owned())
}

/// Inserts or replaces `t` under its key.
fn upsert(h: &mut Health, t: &StoredTemplate) {
    h.templates
        .insert(key(&t.waba_id, &t.name, &t.language), t.clone());
}

#[async_trait]
impl TemplateRepo for InMemoryHealthRepo {
    async fn upsert_template(&self, t: &StoredTemplate) -> Result<(), RepoError> {
        self.with(|h| {
            upsert(h, t);
            Ok(())
        })
    }

    async fn replace_templates(
        &self,
        waba: &str,
        templates: &[StoredTemplate],
    ) -> Result<(), RepoError> {
        self.with(|h| {
            // As the SQL adapter: upsert each (under its own WABA), then drop the WABA's
            // templates whose name and language are not in the list.
            for t in templates {
                upsert(h, t);
            }
            h.templates.retain(|(w, name, language), _| {
                w != waba
                    || templates
                        .iter()
                        .any(|t| t.name == *name && t.language == *language)
            });
            Ok(())
        })
    }

    async fn list_templates(&self, waba: &str) -> Result<Vec<StoredTemplate>, RepoError> {
        self.with(|h| {
            Ok(h.templates
                .iter()
                .filter(|((w, _, _), _)| w == waba)
                .map(|(_, t)| t.clone())
                .collect())
        })
    }

    async fn find_template(
        &self,
        waba: &str,
        name: &str,
        language: &str,
    ) -> Result<Option<StoredTemplate>, RepoError> {
        self.with(|h| Ok(h.templates.get(&key(waba, name, language)).cloned()))
    }

    async fn delete_template(&self, waba: &str, name: &str) -> Result<u64, RepoError> {
        self.with(|h| {
            let before = h.templates.len();
            h.templates.retain(|(w, n, _), _| w != waba || n != name);
            Ok(u64::try_from(before - h.templates.len()).unwrap_or(u64::MAX))
        })
    }

    async fn set_template_status(
        &self,
        waba: &str,
        name: &str,
        language: &str,
        status: &str,
        reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        self.with(|h| match h.templates.get_mut(&key(waba, name, language)) {
            Some(t) => {
                t.status = status.to_owned();
                t.rejected_reason = reason.map(str::to_owned);
                t.updated_at = at;
                Ok(true)
            }
            None => Ok(false),
        })
    }
}

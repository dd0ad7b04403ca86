//! Message templates of a number's WABA: list, create, delete and sync through Meta, kept in
//! the central database (status webhooks update them, see `Health::template_status`), and
//! sending one after checking its parameters against the stored template, so a wrong send
//! fails here with a clear code instead of at Meta (132000).

use std::collections::BTreeSet;
use std::sync::Arc;

use omni_domain::{AccountId, PhoneNumber, StoreId, WhatsappAccount};
use omni_ports::meta::{
    GraphError, NewTemplate, OutboundContent, Recipient, TemplateComponent, TemplateComponentKind,
    TemplateParameter,
};
use omni_ports::{
    CentralRepo, Clock, HealthRepo, MetaGraphPort, OutboxRepo, RepoError, StoredTemplate,
    TokenCipher,
};
use serde_json::Value;

use crate::AccountError;
use crate::accounts::open_token;
use crate::outbound::{Queued, SendError, SendOptions, WhatsAppService};

/// A template operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The account (not found, Meta not configured, token, Meta refused).
    #[error(transparent)]
    Account(#[from] AccountError),
    /// No such template stored for the WABA (sync first).
    #[error("no template {name} in {language} on this WABA (sync templates first)")]
    NotFound {
        /// Name.
        name: String,
        /// Language.
        language: String,
    },
    /// The template may not be sent in its status.
    #[error("template {name} is {status}, not APPROVED")]
    NotApproved {
        /// Name.
        name: String,
        /// Status.
        status: String,
    },
    /// The parameters do not fit the template.
    #[error("parameters do not match the template: {0}")]
    Parameters(String),
    /// The request itself is malformed.
    #[error("{0}")]
    Invalid(String),
    /// Queuing failed.
    #[error(transparent)]
    Send(#[from] SendError),
}

impl From<RepoError> for TemplateError {
    fn from(e: RepoError) -> Self {
        Self::Account(AccountError::Repo(e))
    }
}

impl From<GraphError> for TemplateError {
    fn from(e: GraphError) -> Self {
        Self::Account(AccountError::Meta(e))
    }
}

/// What a template text asks for: `{{1}}`..`{{n}}` (positional) or `{{name}}` (named).
fn placeholders(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let inner = after[..end].trim();
        if !inner.is_empty() {
            out.insert(inner.to_owned());
        }
        rest = &after[end + 2..];
    }
    out
}

/// The placeholders of a stored template's component (`BODY`, `HEADER` with text).
fn expected(template: &StoredTemplate, kind: &str) -> BTreeSet<String> {
    template
        .components
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            c.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case(kind))
        })
        .filter_map(|c| c.get("text").and_then(Value::as_str))
        .flat_map(placeholders)
        .collect()
}

fn supplied<'a>(
    components: &'a [TemplateComponent],
    kind: &TemplateComponentKind,
) -> Vec<&'a TemplateParameter> {
    components
        .iter()
        .filter(|c| &c.kind == kind)
        .flat_map(|c| c.parameters.iter())
        .filter(|p| {
            matches!(
                p,
                TemplateParameter::Text { .. } | TemplateParameter::Currency { .. }
            )
        })
        .collect()
}

/// Checks a send's parameters against a stored template: it must be APPROVED, and its body
/// and text header must get exactly the parameters they ask for (by count for positional
/// templates, by name for named ones).
///
/// # Errors
/// `NotApproved`, `Parameters`.
pub fn check_parameters(
    template: &StoredTemplate,
    components: &[TemplateComponent],
) -> Result<(), TemplateError> {
    if !template.status.eq_ignore_ascii_case("APPROVED") {
        return Err(TemplateError::NotApproved {
            name: template.name.clone(),
            status: template.status.clone(),
        });
    }
    let named = template
        .parameter_format
        .as_deref()
        .is_some_and(|f| f.eq_ignore_ascii_case("NAMED"));
    for (label, meta_kind, kind) in [
        ("body", "BODY", TemplateComponentKind::Body),
        ("header", "HEADER", TemplateComponentKind::Header),
    ] {
        let want = expected(template, meta_kind);
        let got = supplied(components, &kind);
        if named {
            let names: BTreeSet<String> = got
                .iter()
                .filter_map(|p| match p {
                    TemplateParameter::Text { name: Some(n), .. } => Some(n.clone()),
                    _ => None,
                })
                .collect();
            if names != want || got.len() != want.len() {
                return Err(TemplateError::Parameters(format!(
                    "{label} expects named parameters {want:?}, got {names:?}"
                )));
            }
        } else if got.len() != want.len() {
            return Err(TemplateError::Parameters(format!(
                "{label} expects {} parameter(s), got {}",
                want.len(),
                got.len()
            )));
        }
        if got
            .iter()
            .any(|p| matches!(p, TemplateParameter::Text { text, .. } if text.trim().is_empty()))
        {
            return Err(TemplateError::Parameters(format!(
                "{label} has an empty text parameter"
            )));
        }
    }
    Ok(())
}

/// Template use cases.
#[derive(Clone)]
pub struct Templates {
    central: Arc<dyn CentralRepo>,
    repo: Arc<dyn HealthRepo>,
    outbox: Arc<dyn OutboxRepo>,
    cipher: Arc<dyn TokenCipher>,
    graph: Option<Arc<dyn MetaGraphPort>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Templates")
    }
}

fn stored(
    waba: &str,
    t: &omni_ports::meta::MessageTemplate,
    now: chrono::DateTime<chrono::Utc>,
) -> StoredTemplate {
    StoredTemplate {
        waba_id: waba.to_owned(),
        meta_id: t.id.clone(),
        name: t.name.clone(),
        language: t.language.clone(),
        status: t.status.clone(),
        category: t.category.clone(),
        components: t.components.clone(),
        parameter_format: t.parameter_format.clone(),
        rejected_reason: t.rejected_reason.clone(),
        updated_at: now,
    }
}

impl Templates {
    /// Wires the service.
    #[must_use]
    pub fn new(
        central: Arc<dyn CentralRepo>,
        repo: Arc<dyn HealthRepo>,
        outbox: Arc<dyn OutboxRepo>,
        cipher: Arc<dyn TokenCipher>,
        graph: Option<Arc<dyn MetaGraphPort>>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            central,
            repo,
            outbox,
            cipher,
            graph,
            clock,
        }
    }

    async fn account(
        &self,
        store: StoreId,
        id: AccountId,
    ) -> Result<WhatsappAccount, TemplateError> {
        Ok(self
            .central
            .find_account(store, id)
            .await?
            .ok_or(AccountError::NotFound)?)
    }

    fn meta(
        &self,
        account: &WhatsappAccount,
    ) -> Result<(Arc<dyn MetaGraphPort>, secrecy::SecretString), TemplateError> {
        let graph = self.graph.clone().ok_or(AccountError::MetaNotConfigured)?;
        let token = open_token(self.cipher.as_ref(), account).map_err(AccountError::Secret)?;
        Ok((graph, token))
    }

    /// The stored templates of the number's WABA.
    ///
    /// # Errors
    /// `NotFound`, storage failure.
    pub async fn list(
        &self,
        store: StoreId,
        id: AccountId,
    ) -> Result<Vec<StoredTemplate>, TemplateError> {
        let account = self.account(store, id).await?;
        Ok(self.repo.list_templates(account.waba_id.as_str()).await?)
    }

    /// Re-reads every template of the WABA from Meta and replaces the stored ones.
    ///
    /// # Errors
    /// `NotFound`, `MetaNotConfigured`, `Meta`, storage failure.
    pub async fn sync(
        &self,
        store: StoreId,
        id: AccountId,
    ) -> Result<Vec<StoredTemplate>, TemplateError> {
        let account = self.account(store, id).await?;
        let (graph, token) = self.meta(&account)?;
        let waba = account.waba_id.as_str();
        let now = self.clock.now();
        let found: Vec<StoredTemplate> = graph
            .list_templates(&token, &account.waba_id)
            .await?
            .iter()
            .map(|t| stored(waba, t, now))
            .collect();
        self.repo.replace_templates(waba, &found).await?;
        Ok(self.repo.list_templates(waba).await?)
    }

    /// Submits a template to Meta for review and stores it with Meta's status.
    ///
    /// # Errors
    /// `Invalid` (name, components), `NotFound`, `Meta` (Meta refused it).
    pub async fn create(
        &self,
        store: StoreId,
        id: AccountId,
        template: NewTemplate,
    ) -> Result<StoredTemplate, TemplateError> {
        let account = self.account(store, id).await?;
        if template.name.is_empty()
            || !template
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(TemplateError::Invalid(
                "name must be lowercase letters, digits and underscores".to_owned(),
            ));
        }
        if !template.components.is_array() {
            return Err(TemplateError::Invalid(
                "components must be an array".to_owned(),
            ));
        }
        let (graph, token) = self.meta(&account)?;
        let created = graph
            .create_template(&token, &account.waba_id, &template)
            .await?;
        let row = StoredTemplate {
            waba_id: account.waba_id.as_str().to_owned(),
            meta_id: created.id,
            name: template.name,
            language: template.language,
            status: created.status,
            category: created.category,
            components: template.components,
            parameter_format: template.parameter_format,
            rejected_reason: None,
            updated_at: self.clock.now(),
        };
        self.repo.upsert_template(&row).await?;
        Ok(row)
    }

    /// Deletes a template (every language) at Meta and here.
    ///
    /// # Errors
    /// `NotFound` (account or template), `Meta`.
    pub async fn delete(
        &self,
        store: StoreId,
        id: AccountId,
        name: &str,
    ) -> Result<u64, TemplateError> {
        let account = self.account(store, id).await?;
        let known = self.repo.list_templates(account.waba_id.as_str()).await?;
        if !known.iter().any(|t| t.name == name) {
            return Err(TemplateError::NotFound {
                name: name.to_owned(),
                language: "*".to_owned(),
            });
        }
        let (graph, token) = self.meta(&account)?;
        graph
            .delete_template(&token, &account.waba_id, name, None)
            .await?;
        Ok(self
            .repo
            .delete_template(account.waba_id.as_str(), name)
            .await?)
    }

    /// Checks a template send against the stored template of `waba`.
    ///
    /// # Errors
    /// `NotFound`, `NotApproved`, `Parameters`.
    pub async fn check(
        &self,
        waba: &str,
        name: &str,
        language: &str,
        components: &[TemplateComponent],
    ) -> Result<(), TemplateError> {
        let template = self
            .repo
            .find_template(waba, name, language)
            .await?
            .ok_or_else(|| TemplateError::NotFound {
                name: name.to_owned(),
                language: language.to_owned(),
            })?;
        check_parameters(&template, components)
    }

    /// Checks, then queues a template to `to` from the number (business-initiated).
    ///
    /// # Errors
    /// `NotFound`, `NotApproved`, `Parameters`, `Send` (account cannot send).
    pub async fn send(
        &self,
        store: StoreId,
        id: AccountId,
        to: &PhoneNumber,
        name: &str,
        language: &str,
        components: Vec<TemplateComponent>,
    ) -> Result<Queued, TemplateError> {
        let account = self.account(store, id).await?;
        self.check(account.waba_id.as_str(), name, language, &components)
            .await?;
        let service =
            WhatsAppService::for_account(self.outbox.clone(), self.clock.clone(), &account)?;
        Ok(service
            .send(
                Recipient::Phone(to.as_str().to_owned()),
                OutboundContent::Template {
                    name: name.to_owned(),
                    language: language.to_owned(),
                    components,
                },
                SendOptions::default(),
            )
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(format: &str, body: &str) -> StoredTemplate {
        StoredTemplate {
            waba_id: "1".into(),
            meta_id: "2".into(),
            name: "order_update".into(),
            language: "en".into(),
            status: "APPROVED".into(),
            category: "UTILITY".into(),
            components: json!([{"type": "BODY", "text": body}]),
            parameter_format: Some(format.into()),
            rejected_reason: None,
            updated_at: chrono::Utc::now(),
        }
    }

    fn body(params: &[(&str, Option<&str>)]) -> Vec<TemplateComponent> {
        vec![TemplateComponent {
            kind: TemplateComponentKind::Body,
            parameters: params
                .iter()
                .map(|(t, n)| TemplateParameter::Text {
                    text: (*t).to_owned(),
                    name: n.map(str::to_owned),
                })
                .collect(),
        }]
    }

    #[test]
    fn positional_templates_need_exactly_their_parameter_count() {
        let t = template("POSITIONAL", "Hi {{1}}, order {{2}} is ready ({{1}})");
        assert!(check_parameters(&t, &body(&[("Ali", None), ("42", None)])).is_ok());
        let e = check_parameters(&t, &body(&[("Ali", None)])).err();
        assert!(matches!(e, Some(TemplateError::Parameters(m)) if m.contains("expects 2")));
    }

    #[test]
    fn named_templates_need_their_names_and_only_approved_ones_go() {
        let mut t = template("NAMED", "Hi {{customer_name}}");
        assert!(check_parameters(&t, &body(&[("Ali", Some("customer_name"))])).is_ok());
        assert!(check_parameters(&t, &body(&[("Ali", Some("name"))])).is_err());
        t.status = "PAUSED".into();
        assert!(matches!(
            check_parameters(&t, &body(&[("Ali", Some("customer_name"))])),
            Err(TemplateError::NotApproved { .. })
        ));
    }
}

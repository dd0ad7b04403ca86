//! Message templates of a number's WABA: list, create, delete and sync through Meta, kept in
//! the central database (status webhooks update them, see `Health::template_status`), and
//! sending one after checking its parameters against the stored template, so a wrong send
//! fails here with a clear code instead of at Meta (132000).

use std::sync::Arc;

use omni_domain::{AccountId, PhoneNumber, StoreId, WhatsappAccount};
use omni_ports::meta::{GraphError, NewTemplate, OutboundContent, Recipient, TemplateComponent};
use omni_ports::{
    CentralRepo, Clock, HealthRepo, MetaGraphPort, OutboxRepo, RepoError, StoredTemplate,
    TokenCipher,
};

use crate::accounts::{AccountError, open_token};
use crate::outbound::{Queued, SendError, SendOptions, WhatsAppService};
pub use crate::template_params::{TemplateMismatch, check_parameters};

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

impl From<TemplateMismatch> for TemplateError {
    fn from(e: TemplateMismatch) -> Self {
        match e {
            TemplateMismatch::NotApproved { name, status } => Self::NotApproved { name, status },
            TemplateMismatch::Parameters(m) => Self::Parameters(m),
        }
    }
}

impl From<GraphError> for TemplateError {
    fn from(e: GraphError) -> Self {
        Self::Account(AccountError::Meta(e))
    }
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
        Ok(check_parameters(&template, components)?)
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

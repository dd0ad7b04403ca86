//! The checks `Settings::load_from` runs once: a bad setting stops the process at start
//! with one line naming it. One function per area, in the order of the file.

use secrecy::ExposeSecret;

use super::{Settings, SettingsError, is_postgres_url};

impl Settings {
    pub(super) fn validate(&self) -> Result<(), SettingsError> {
        self.validate_server_and_database()?;
        self.validate_meta()?;
        self.validate_owner()?;
        self.validate_pipeline()?;
        self.validate_agent()?;
        self.validate_storage()?;
        Ok(())
    }

    /// Where the server listens and the databases it opens.
    fn validate_server_and_database(&self) -> Result<(), SettingsError> {
        if self.server.host.trim().is_empty() {
            return bad("server.host (OMNI_SERVER__HOST) must not be empty");
        }
        self.trusted_proxies()?;
        if self.database.pool_size == 0 || self.database.tenant_pool_size == 0 {
            return bad("database.pool_size and database.tenant_pool_size must be at least 1");
        }
        if self.database.max_open_tenant_pools == 0 {
            return bad("database.max_open_tenant_pools must be at least 1");
        }
        let prefix = &self.database.tenant_database_prefix;
        if prefix.is_empty()
            || prefix.len() > 20
            || !prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return bad("database.tenant_database_prefix must be 1-20 of [a-z0-9_]");
        }
        self.central_database()?;
        Ok(())
    }

    /// The app URL, the Meta app and its Graph API, the legacy number.
    fn validate_meta(&self) -> Result<(), SettingsError> {
        if let Some(url) = &self.app.url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return bad("app.url (APP_URL) must start with http:// or https://");
        }
        for (name, url) in [
            ("meta.graph_base_url", &self.meta.graph_base_url),
            ("meta.dialog_base_url", &self.meta.dialog_base_url),
        ] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(SettingsError(format!(
                    "{name} must start with http:// or https://"
                )));
            }
        }
        let version_ok = self
            .meta
            .graph_version
            .strip_prefix('v')
            .and_then(|v| v.split_once('.'))
            .is_some_and(|(major, minor)| {
                [major, minor]
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            });
        if !version_ok {
            return bad("meta.graph_version must look like v25.0");
        }
        if self.meta.timeout_secs == 0 {
            return bad("meta.timeout_secs must be at least 1");
        }
        if let Some(lease) = self.pipeline.message_lease_secs
            && lease <= self.meta.timeout_secs
        {
            return bad(
                "pipeline.message_lease_secs must be longer than meta.timeout_secs (a send must end within its lease)",
            );
        }
        if let Err(e) = self.health.validate() {
            return bad(e);
        }
        if self.meta.app_id.is_some() && self.meta.app_secret.is_none() {
            return bad("meta.app_secret (META_APP_SECRET) is required when META_APP_ID is set");
        }
        if let Some(id) = &self.whatsapp.phone_id
            && omni_domain::PhoneNumberId::parse(id).is_err()
        {
            return bad(
                "whatsapp.phone_id (WHATSAPP_PHONE_ID) must be Meta's numeric phone_number_id",
            );
        }
        Ok(())
    }

    /// The owner API: sessions, logins, the OAuth redirect.
    fn validate_owner(&self) -> Result<(), SettingsError> {
        if self.owner.session_ttl_hours == 0 || self.owner.oauth_state_ttl_secs == 0 {
            return bad(
                "owner.session_ttl_hours and owner.oauth_state_ttl_secs must be at least 1",
            );
        }
        if self.owner.login_attempts_per_minute == 0 {
            return bad("owner.login_attempts_per_minute must be at least 1");
        }
        if let Some(url) = &self.owner.frontend_url
            && !(url.starts_with("http://") || url.starts_with("https://") || url.starts_with('/'))
        {
            return bad("owner.frontend_url must be an http(s) URL or a path");
        }
        if let Some(uri) = &self.meta.redirect_uri
            && !(uri.starts_with("http://") || uri.starts_with("https://"))
        {
            return bad(
                "meta.redirect_uri (META_REDIRECT_URI) must start with http:// or https://",
            );
        }
        Ok(())
    }

    /// The webhook pipeline and the legacy number's store.
    fn validate_pipeline(&self) -> Result<(), SettingsError> {
        let p = &self.pipeline;
        if p.max_body_bytes < 1024 || p.ingest_batch == 0 || p.ingest_committers == 0 {
            return bad(
                "pipeline.max_body_bytes must be >= 1024, ingest_batch and ingest_committers >= 1",
            );
        }
        if p.inbox_workers == 0 || p.inbox_batch == 0 || p.sender_concurrency == 0 {
            return bad("pipeline.inbox_workers, inbox_batch and sender_concurrency must be >= 1");
        }
        if p.default_mps == 0 || p.high_mps == 0 || p.pair_burst == 0 || p.pair_period_secs == 0 {
            return bad(
                "pipeline rate limits (default_mps, high_mps, pair_burst, pair_period_secs) must be >= 1",
            );
        }
        if p.retention_days < 7 {
            return bad(
                "pipeline.retention_days must be at least 7 (Meta retries webhooks for 7 days)",
            );
        }
        if let Some(id) = &self.whatsapp.store_id
            && omni_domain::StoreId::parse(id).is_err()
        {
            return bad("whatsapp.store_id (OMNI_WHATSAPP__STORE_ID) must be a store id (UUID)");
        }
        Ok(())
    }

    /// The ordering agent, its model and speech services.
    fn validate_agent(&self) -> Result<(), SettingsError> {
        let a = &self.agent;
        for (name, url) in [
            ("agent.llm_base_url", &a.llm_base_url),
            ("agent.speech_base_url", &a.speech_base_url),
        ] {
            if let Some(url) = url
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                return Err(SettingsError(format!(
                    "{name} must start with http:// or https://"
                )));
            }
        }
        if a.llm_base_url.is_some() && a.llm_api_key.is_none() {
            return bad(
                "agent.llm_api_key (OMNI_AGENT__LLM_API_KEY) is required with agent.llm_base_url",
            );
        }
        if a.speech_base_url.is_some() && a.speech_api_key.is_none() && a.llm_api_key.is_none() {
            return bad(
                "agent.speech_api_key (or agent.llm_api_key) is required with agent.speech_base_url",
            );
        }
        if a.llm_timeout_secs == 0 || a.speech_timeout_secs == 0 || a.max_tool_rounds == 0 {
            return bad(
                "agent.llm_timeout_secs, speech_timeout_secs and max_tool_rounds must be >= 1",
            );
        }
        if a.max_media_bytes < 1024 || a.recent_messages == 0 {
            return bad("agent.max_media_bytes must be >= 1024 and recent_messages >= 1");
        }
        Ok(())
    }

    /// Media storage and the tenant database servers.
    fn validate_storage(&self) -> Result<(), SettingsError> {
        match self.media.backend.as_str() {
            "local" => {}
            "s3" => {
                if self.media.s3_bucket.is_none()
                    || self.media.s3_access_key_id.is_none()
                    || self.media.s3_secret_access_key.is_none()
                {
                    return bad(
                        "media.backend = \"s3\" needs media.s3_bucket, s3_access_key_id and s3_secret_access_key",
                    );
                }
            }
            _ => return bad("media.backend must be \"local\" or \"s3\""),
        }
        for (name, url) in &self.database.tenant_servers {
            if !is_postgres_url(url.expose_secret()) {
                return Err(SettingsError(format!(
                    "database.tenant_servers.{name} must be a postgres:// URL"
                )));
            }
        }
        Ok(())
    }
}

/// A rule broken: its one line.
fn bad(s: &str) -> Result<(), SettingsError> {
    Err(SettingsError(s.to_owned()))
}

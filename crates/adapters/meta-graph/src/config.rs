//! Where the Graph API is and how to talk to it. Both base URLs are configurable so tests and
//! the sandbox point the adapter at the Meta simulator; the version is pinned per deployment.

use std::time::Duration;

use secrecy::SecretString;

/// Configuration of [`crate::MetaGraphClient`].
#[derive(Debug, Clone)]
pub struct GraphConfig {
    /// Graph API origin, `https://graph.facebook.com` in production.
    pub graph_base_url: String,
    /// Facebook Login dialog origin, `https://www.facebook.com` in production.
    pub dialog_base_url: String,
    /// Graph API version segment, e.g. `v25.0`.
    pub version: String,
    /// The Meta app id.
    pub app_id: String,
    /// The Meta app secret (OAuth exchanges, the app token, `appsecret_proof`).
    pub app_secret: SecretString,
    /// Send `appsecret_proof` with every user/business-token call ("Require App Secret").
    pub send_appsecret_proof: bool,
    /// Whole-request timeout for API calls.
    pub timeout: Duration,
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout for media downloads and uploads.
    pub media_timeout: Duration,
    /// `User-Agent`: media downloads are reported to fail without one (meta-api.md §7.2).
    pub user_agent: String,
    /// Hosts besides Meta's media CDNs (`*.fbsbx.com`, `*.fbcdn.net`) and the Graph host that
    /// may receive the bearer token on media downloads. Empty in production.
    pub extra_media_hosts: Vec<String>,
    /// When set (the sandbox, whose simulator mints tokens with this prefix), a token that
    /// does not start with it is never sent: a placeholder goes instead, which the simulator
    /// refuses as Meta refuses a bad token. A real token stored in the same database is so
    /// never handed to the simulator. `None` in production.
    pub required_token_prefix: Option<String>,
}

impl GraphConfig {
    /// Production defaults for an app.
    #[must_use]
    pub fn new(app_id: impl Into<String>, app_secret: SecretString) -> Self {
        Self {
            graph_base_url: "https://graph.facebook.com".into(),
            dialog_base_url: "https://www.facebook.com".into(),
            version: "v25.0".into(),
            app_id: app_id.into(),
            app_secret,
            send_appsecret_proof: false,
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
            media_timeout: Duration::from_secs(60),
            user_agent: concat!("omniportal/", env!("CARGO_PKG_VERSION")).into(),
            extra_media_hosts: Vec::new(),
            required_token_prefix: None,
        }
    }

    /// Points both the Graph API and the login dialog at one origin (the simulator).
    #[must_use]
    pub fn with_base_url(mut self, base: &str) -> Self {
        let base = base.trim_end_matches('/').to_owned();
        self.graph_base_url.clone_from(&base);
        self.dialog_base_url = base;
        self
    }
}

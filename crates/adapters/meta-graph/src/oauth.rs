//! Facebook Login: the dialog URL, code and long-lived exchanges, `debug_token`
//! (meta-api.md §3.2-3.6). Exchanges are POSTed as forms so the client secret, codes and tokens
//! stay out of URLs; `debug_token` is a GET whose `input_token` Meta only takes in the query.

use std::time::Duration;

use chrono::{DateTime, Utc};
use omni_ports::meta::{
    AccessToken, GranularScope, GraphError, OAuthDialogRequest, SCOPE_MANAGEMENT, SCOPE_MESSAGING,
    TokenInfo,
};
use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::MetaGraphClient;

#[derive(Deserialize)]
struct TokenWire {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl From<TokenWire> for AccessToken {
    fn from(w: TokenWire) -> Self {
        Self {
            token: SecretString::from(w.access_token),
            token_type: w.token_type.unwrap_or_else(|| "bearer".into()),
            expires_in: w.expires_in.filter(|s| *s > 0).map(Duration::from_secs),
        }
    }
}

#[derive(Deserialize)]
struct DebugWire {
    data: DebugData,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DebugData {
    app_id: String,
    #[serde(rename = "type")]
    token_type: Option<String>,
    is_valid: bool,
    issued_at: Option<i64>,
    expires_at: Option<i64>,
    data_access_expires_at: Option<i64>,
    scopes: Vec<String>,
    granular_scopes: Vec<GranularWire>,
    user_id: Option<String>,
    error: Option<DebugError>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GranularWire {
    scope: String,
    target_ids: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DebugError {
    message: String,
}

/// Meta's 0 means "never".
fn time(secs: Option<i64>) -> Option<DateTime<Utc>> {
    secs.filter(|s| *s > 0)
        .and_then(|s| DateTime::from_timestamp(s, 0))
}

impl MetaGraphClient {
    pub(crate) fn dialog_url(&self, req: &OAuthDialogRequest) -> String {
        let base = format!(
            "{}/{}/dialog/oauth",
            self.config.dialog_base_url.trim_end_matches('/'),
            self.config.version
        );
        let Ok(mut url) = Url::parse(&base) else {
            // `new` checked the base URL parses; the suffix cannot break it.
            return base;
        };
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &self.config.app_id)
                .append_pair("redirect_uri", &req.redirect_uri)
                .append_pair("state", &req.state)
                .append_pair("response_type", "code");
            match &req.config_id {
                Some(config_id) => {
                    q.append_pair("config_id", config_id);
                }
                None => {
                    q.append_pair("scope", &format!("{SCOPE_MANAGEMENT},{SCOPE_MESSAGING}"));
                }
            }
        }
        url.into()
    }

    pub(crate) async fn oauth_exchange_code(
        &self,
        code: &str,
        redirect_uri: Option<&str>,
    ) -> Result<AccessToken, GraphError> {
        let secret = self.config.app_secret.expose_secret();
        let mut form = vec![
            ("client_id", self.config.app_id.as_str()),
            ("client_secret", secret),
            ("code", code),
        ];
        if let Some(uri) = redirect_uri {
            form.push(("redirect_uri", uri));
        }
        let req = self
            .http
            .request(Method::POST, self.url("oauth/access_token"))
            .form(&form);
        let wire: TokenWire = self.json("oauth.exchange_code", req).await?;
        Ok(wire.into())
    }

    pub(crate) async fn oauth_exchange_long_lived(
        &self,
        token: &SecretString,
        system_user_60_days: bool,
    ) -> Result<AccessToken, GraphError> {
        let mut form = vec![
            ("grant_type", "fb_exchange_token"),
            ("client_id", self.config.app_id.as_str()),
            ("client_secret", self.config.app_secret.expose_secret()),
            ("fb_exchange_token", self.sendable(token)),
        ];
        if system_user_60_days {
            form.push(("set_token_expires_in_60_days", "true"));
        }
        let req = self
            .http
            .request(Method::POST, self.url("oauth/access_token"))
            .form(&form);
        let wire: TokenWire = self.json("oauth.exchange_long_lived", req).await?;
        Ok(wire.into())
    }

    pub(crate) async fn oauth_debug_token(
        &self,
        token: &SecretString,
    ) -> Result<TokenInfo, GraphError> {
        let req = self
            .http
            .request(Method::GET, self.url("debug_token"))
            .bearer_auth(self.app_token().expose_secret())
            .query(&[("input_token", self.sendable(token))]);
        let DebugWire { data } = self.json("oauth.debug_token", req).await?;
        Ok(TokenInfo {
            app_id: data.app_id,
            token_type: data.token_type,
            is_valid: data.is_valid,
            issued_at: time(data.issued_at),
            expires_at: time(data.expires_at),
            data_access_expires_at: time(data.data_access_expires_at),
            scopes: data.scopes,
            granular_scopes: data
                .granular_scopes
                .into_iter()
                .map(|g| GranularScope {
                    scope: g.scope,
                    target_ids: g.target_ids,
                })
                .collect(),
            user_id: data.user_id,
            error_message: data.error.map(|e| e.message),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(json: &str) -> AccessToken {
        serde_json::from_str::<TokenWire>(json)
            .map(AccessToken::from)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_token_without_type_is_bearer_and_a_zero_expiry_never_expires() {
        let t = token(r#"{"access_token":"EAAx","expires_in":0}"#);
        assert_eq!(t.token_type, "bearer");
        assert_eq!(t.expires_in, None);
        assert_eq!(t.token.expose_secret(), "EAAx");
        let t = token(r#"{"access_token":"EAAy","token_type":"bearer","expires_in":5183944}"#);
        assert_eq!(t.expires_in, Some(Duration::from_secs(5_183_944)));
    }

    #[test]
    fn metas_zero_timestamps_mean_never_and_others_are_unix_seconds() {
        assert_eq!(time(Some(0)), None);
        assert_eq!(time(None), None);
        assert_eq!(
            time(Some(1_763_905_200)).map(|t| t.timestamp()),
            Some(1_763_905_200)
        );
    }
}

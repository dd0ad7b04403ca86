//! The HTTP side shared by the agent and speech: one reqwest client (rustls on ring), the
//! bearer key, the timeout, and every failure turned into an [`OpenAiError`]. Neither URLs,
//! bodies nor the key are ever logged.

use std::time::Duration;

use reqwest::header::RETRY_AFTER;
use reqwest::{RequestBuilder, Response};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::OpenAiConfig;
use crate::error::{OpenAiError, shorten};

/// An authenticated client of one OpenAI-compatible API. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct OpenAiClient {
    http: reqwest::Client,
    pub(crate) config: OpenAiConfig,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    code: Option<serde_json::Value>,
}

impl OpenAiClient {
    /// Builds the client. Installs the ring crypto provider for rustls if none is installed
    /// yet (the process-wide default the app installs too).
    pub(crate) fn new(config: OpenAiConfig) -> Result<Self, OpenAiError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(concat!("omniportal/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .timeout(config.timeout)
            // An API call is never redirected; a redirect would carry the key elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| OpenAiError::Build(e.without_url().to_string()))?;
        Ok(Self { http, config })
    }

    /// `POST {base_url}/{path}` with the key.
    pub(crate) fn post(&self, path: &str) -> RequestBuilder {
        let url = format!("{}/{path}", self.config.base_url.trim_end_matches('/'));
        self.http
            .post(url)
            .bearer_auth(self.config.api_key.expose_secret())
    }

    /// Sends a JSON body and reads a JSON answer.
    pub(crate) async fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, OpenAiError> {
        let resp = checked(self.post(path).json(body).send().await?).await?;
        Ok(resp.json::<T>().await?)
    }

    /// Sends a request and reads the raw answer and its content type.
    pub(crate) async fn send_bytes(
        &self,
        req: RequestBuilder,
    ) -> Result<(Vec<u8>, Option<String>), OpenAiError> {
        let resp = checked(req.send().await?).await?;
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok((resp.bytes().await?.to_vec(), content_type))
    }
}

/// Turns an error status into [`OpenAiError::Api`].
pub(crate) async fn checked(resp: Response) -> Result<Response, OpenAiError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let retry_after = resp
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = resp.bytes().await.unwrap_or_default();
    let detail = serde_json::from_slice::<ErrorBody>(&body)
        .ok()
        .map(|b| b.error);
    let code = detail.as_ref().and_then(|d| match &d.code {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    });
    let message = if status.as_u16() == 401 {
        // OpenAI's 401 message quotes part of the key.
        "the API key was refused".to_owned()
    } else {
        detail
            .and_then(|d| d.message)
            .map_or_else(|| "no error message".to_owned(), |m| shorten(&m, 200))
    };
    Err(OpenAiError::Api {
        status: status.as_u16(),
        code,
        message,
        retry_after,
    })
}

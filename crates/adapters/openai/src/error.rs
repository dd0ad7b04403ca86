//! How a call to the API failed. Messages never carry the API key, the request body or the
//! customer's words: a 401's message is replaced (OpenAI's quotes part of the key) and
//! provider messages are cut short.

use std::time::Duration;

/// A failed call to the OpenAI-compatible API.
#[derive(Debug, thiserror::Error)]
pub enum OpenAiError {
    /// The API answered an error status.
    #[error("OpenAI API answered HTTP {status}{}: {message}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Api {
        /// HTTP status.
        status: u16,
        /// `error.code` (`invalid_api_key`, `rate_limit_exceeded`, ...).
        code: Option<String>,
        /// `error.message`, shortened; replaced for 401.
        message: String,
        /// `Retry-After`, when sent.
        retry_after: Option<Duration>,
    },
    /// No answer within the configured timeout.
    #[error("OpenAI API timed out")]
    Timeout,
    /// Connection refused, reset or otherwise broken.
    #[error("OpenAI API unreachable")]
    Transport(#[source] reqwest::Error),
    /// An answer that does not have the expected shape.
    #[error("OpenAI API answered something unexpected: {0}")]
    Malformed(String),
    /// The model answered neither text nor a usable action.
    #[error("the model answered neither a reply nor a usable action")]
    Empty,
    /// The request could not be made (too long a text, an empty clip).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client: {0}")]
    Build(String),
}

impl From<reqwest::Error> for OpenAiError {
    fn from(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            Self::Timeout
        } else if e.is_decode() {
            Self::Malformed(e.without_url().to_string())
        } else {
            Self::Transport(e.without_url())
        }
    }
}

/// At most `max` characters of a provider's message.
pub(crate) fn shorten(message: &str, max: usize) -> String {
    let mut out: String = message.chars().take(max).collect();
    if out.len() < message.len() {
        out.push('…');
    }
    out
}

//! OpenAI's error body, `{"error":{"message","type","param","code"}}`, and the errors the
//! simulator produces, so the wording lives in one place.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde_json::json;

/// An OpenAI error about to be sent.
#[derive(Debug, Clone)]
pub(crate) struct OpenAiErr {
    pub status: u16,
    pub message: String,
    pub kind: String,
    pub param: Option<String>,
    pub code: Option<String>,
    pub retry_after: Option<u64>,
}

impl OpenAiErr {
    pub(crate) fn new(status: u16, kind: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            kind: kind.to_owned(),
            param: None,
            code: None,
            retry_after: None,
        }
    }

    pub(crate) fn code(mut self, code: &str) -> Self {
        self.code = Some(code.to_owned());
        self
    }

    pub(crate) fn param(mut self, param: &str) -> Self {
        self.param = Some(param.to_owned());
        self
    }

    /// A 400 `invalid_request_error` about `param`.
    pub(crate) fn invalid(param: &str, message: impl Into<String>) -> Self {
        Self::new(400, "invalid_request_error", message).param(param)
    }

    /// No `Authorization` header.
    pub(crate) fn no_key() -> Self {
        Self::new(
            401,
            "invalid_request_error",
            "You didn't provide an API key. You need to provide your API key in an Authorization \
             header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        )
    }

    /// A key that is not the configured one (shown masked, as OpenAI does).
    pub(crate) fn wrong_key(key: &str) -> Self {
        let masked = mask(key);
        Self::new(
            401,
            "invalid_request_error",
            format!(
                "Incorrect API key provided: {masked}. You can find your API key at \
                 https://platform.openai.com/account/api-keys."
            ),
        )
        .code("invalid_api_key")
    }

    /// OpenAI's 5xx body.
    pub(crate) fn server(status: u16) -> Self {
        Self::new(
            status,
            "server_error",
            "The server had an error while processing your request. Sorry about that!",
        )
    }

    /// A 429 with an optional `Retry-After` (seconds).
    pub(crate) fn rate_limited(retry_after: Option<u64>) -> Self {
        let mut e = Self::new(
            429,
            "requests",
            "Rate limit reached for requests. Please try again in a moment.",
        )
        .code("rate_limit_exceeded");
        e.retry_after = retry_after;
        e
    }

    pub(crate) fn response(&self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut resp = HttpResponse::build(status);
        if let Some(secs) = self.retry_after {
            resp.insert_header(("Retry-After", secs.to_string()));
        }
        resp.json(json!({
            "error": {
                "message": self.message,
                "type": self.kind,
                "param": self.param,
                "code": self.code,
            }
        }))
    }
}

/// `sk-ab***************wxyz`: the first three and last four characters.
fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars.iter().take(3).collect();
    let tail: String = chars.iter().skip(chars.len() - 4).collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn keys_are_masked_but_short_ones_entirely() {
        assert_eq!(mask("sk-wrong-key-1234"), "sk-**********1234");
        assert_eq!(mask("short"), "*****");
    }
}

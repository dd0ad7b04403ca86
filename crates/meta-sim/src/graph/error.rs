//! Graph error bodies exactly as Meta writes them (`{"error":{message,type,code,
//! error_subcode,error_data,fbtrace_id,...}}`), plus constructors for every error the
//! simulator produces so the wording lives in one place.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::util::fbtrace_id;

/// A Graph error about to be sent (boxed: it travels in every `Result`).
#[derive(Debug, Clone)]
pub(crate) struct GraphErr(Box<ErrBody>);

impl std::ops::Deref for GraphErr {
    type Target = ErrBody;
    fn deref(&self) -> &ErrBody {
        &self.0
    }
}

impl std::ops::DerefMut for GraphErr {
    fn deref_mut(&mut self) -> &mut ErrBody {
        &mut self.0
    }
}

/// The fields of a Graph error body.
#[derive(Debug, Clone)]
pub(crate) struct ErrBody {
    pub status: u16,
    pub code: i64,
    pub subcode: Option<i64>,
    pub message: String,
    pub kind: &'static str,
    pub details: Option<String>,
    pub is_transient: Option<bool>,
    pub retry_after: Option<u64>,
    pub user_title: Option<String>,
    pub user_msg: Option<String>,
}

impl GraphErr {
    /// A plain Graph error (`type` OAuthException).
    pub(crate) fn new(status: u16, code: i64, message: impl Into<String>) -> Self {
        Self(Box::new(ErrBody {
            status,
            code,
            subcode: None,
            message: message.into(),
            kind: "OAuthException",
            details: None,
            is_transient: None,
            retry_after: None,
            user_title: None,
            user_msg: None,
        }))
    }

    /// A WhatsApp error: `(#code) title` with `error_data.details`.
    pub(crate) fn wa(status: u16, code: i64, title: &str, details: impl Into<String>) -> Self {
        let mut e = Self::new(status, code, format!("(#{code}) {title}"));
        e.details = Some(details.into());
        e
    }

    pub(crate) fn subcode(mut self, subcode: i64) -> Self {
        self.subcode = Some(subcode);
        self
    }

    pub(crate) fn kind(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }

    pub(crate) fn transient(mut self, transient: bool) -> Self {
        self.is_transient = Some(transient);
        self
    }

    /// `(#100) Invalid parameter` with details.
    pub(crate) fn invalid_param(details: impl Into<String>) -> Self {
        Self::wa(400, 100, "Invalid parameter", details)
    }

    /// `(#131009) Parameter value is not valid` with details.
    pub(crate) fn bad_value(details: impl Into<String>) -> Self {
        Self::wa(400, 131_009, "Parameter value is not valid", details)
    }

    /// Unknown object, or one the token may not see.
    pub(crate) fn no_object(method: &str, id: &str) -> Self {
        Self::new(
            400,
            100,
            format!(
                "Unsupported {} request. Object with ID '{id}' does not exist, cannot be loaded due \
                 to missing permissions, or does not support this operation. Please read the Graph \
                 API documentation at https://developers.facebook.com/docs/graph-api",
                method.to_ascii_lowercase()
            ),
        )
        .subcode(33)
        .kind("GraphMethodException")
    }

    /// A path or method the Graph API does not serve.
    pub(crate) fn unsupported(method: &str) -> Self {
        Self::new(
            400,
            100,
            format!(
                "Unsupported {} request. Please read the Graph API documentation at \
                 https://developers.facebook.com/docs/graph-api",
                method.to_ascii_lowercase()
            ),
        )
        .kind("GraphMethodException")
    }

    /// Missing permission.
    pub(crate) fn permission() -> Self {
        Self::new(403, 200, "(#200) Permissions error")
    }

    /// Unparseable / unknown token.
    pub(crate) fn bad_token() -> Self {
        Self::new(
            400,
            190,
            "Invalid OAuth access token - Cannot parse access token",
        )
    }

    /// Expired token (`expired_at` formatted like Meta's message).
    pub(crate) fn expired_token(
        expired_at: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        let fmt = "%A, %d-%b-%y %H:%M:%S UTC";
        Self::new(
            401,
            190,
            format!(
                "Error validating access token: Session has expired on {}. The current time is {}.",
                expired_at.format(fmt),
                now.format(fmt)
            ),
        )
        .subcode(463)
    }

    /// Revoked token.
    pub(crate) fn revoked_token() -> Self {
        Self::new(
            401,
            190,
            "Error validating access token: The session is invalid because the user logged out.",
        )
        .subcode(467)
    }

    /// Meta's 5xx body.
    pub(crate) fn server(status: u16) -> Self {
        let (code, msg) = if status == 503 {
            (2, "Service temporarily unavailable")
        } else {
            (1, "An unknown error occurred")
        };
        Self::new(status, code, msg).transient(true)
    }

    /// A rate-limit body for `code`.
    pub(crate) fn rate_limited(code: i64) -> Self {
        let mut e = match code {
            4 => Self::new(429, 4, "(#4) Application request limit reached"),
            80_007 => Self::wa(
                429,
                80_007,
                "Rate limit issues",
                "There have been too many calls to this WhatsApp Business account. Wait a bit and try again.",
            ),
            131_056 => Self::wa(
                429,
                131_056,
                "(Business Account, Consumer Account) pair rate limit hit",
                "Message failed to send because there were too many messages sent from this phone \
                 number to the same phone number in a short period of time.",
            ),
            130_429 => Self::throughput(),
            other => Self::wa(429, other, "Rate limit hit", "Too many requests."),
        };
        e.is_transient = Some(true);
        e
    }

    /// 130429: per-number throughput exceeded.
    pub(crate) fn throughput() -> Self {
        Self::wa(
            429,
            130_429,
            "Rate limit hit",
            "Message failed to send because there were too many messages sent from this phone \
             number in a short period of time",
        )
    }

    /// The response body.
    pub(crate) fn body(&self) -> Value {
        let mut err = Map::new();
        err.insert("message".into(), json!(self.message));
        err.insert("type".into(), json!(self.kind));
        err.insert("code".into(), json!(self.code));
        if let Some(sub) = self.subcode {
            err.insert("error_subcode".into(), json!(sub));
        }
        if let Some(t) = self.is_transient {
            err.insert("is_transient".into(), json!(t));
        }
        if let Some(t) = &self.user_title {
            err.insert("error_user_title".into(), json!(t));
        }
        if let Some(m) = &self.user_msg {
            err.insert("error_user_msg".into(), json!(m));
        }
        if let Some(d) = &self.details {
            err.insert(
                "error_data".into(),
                json!({ "messaging_product": "whatsapp", "details": d }),
            );
        }
        err.insert("fbtrace_id".into(), json!(fbtrace_id()));
        json!({ "error": err })
    }

    pub(crate) fn response(&self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut resp = HttpResponse::build(status);
        if let Some(secs) = self.retry_after {
            resp.insert_header(("Retry-After", secs.to_string()));
        }
        if self.code == 190 || self.code == 104 {
            resp.insert_header((
                "WWW-Authenticate",
                "OAuth \"Facebook Platform\" \"invalid_token\"",
            ));
        }
        resp.json(self.body())
    }
}

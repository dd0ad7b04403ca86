//! JSON request bodies, read and refused in one place. Every route with a JSON body takes a
//! [`JsonBody<T>`] and calls [`JsonBody::parse`] *after* its owner and store checks: actix
//! polls a handler's extractors together, so a parsing extractor could answer 400 to a caller
//! who should get 401 or 404. The answers are the same on every route:
//!
//! - larger than [`MAX_JSON_BODY`]: 413 `payload_too_large` (reading stops at the limit; the
//!   answer too waits for the owner checks, so an early refusal never cancels them mid-query);
//! - a `Content-Type` that is not JSON: 415 `unsupported_media_type` (none at all is read as
//!   JSON; a browser form always sends one, so no cross-site form can post here);
//! - not JSON, or not the expected fields and types: 400 `bad_request`. The message never
//!   quotes the body (a password or an authorization code may be in it).
//!
//! An empty body reads as `{}`, so a body whose fields are all optional may be left out.
//! [`json_config`] gives `web::Json` the same limit and the same answers.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::error::{JsonPayloadError, PayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, mime, web};
use futures_util::StreamExt as _;
use serde::de::DeserializeOwned;

use super::ApiError;

/// The largest JSON body a route reads (a menu item, a template, a login): far above any real
/// one, far below what would cost memory. The webhook reads its own, up to
/// `pipeline.max_body_bytes`.
pub const MAX_JSON_BODY: usize = 256 * 1024;

/// A request body of at most [`MAX_JSON_BODY`] bytes, to be parsed as a `T` by
/// [`JsonBody::parse`].
#[derive(Debug)]
pub struct JsonBody<T> {
    /// The body as read, or why it could not be.
    bytes: Result<web::Bytes, ApiError>,
    json_type: bool,
    of: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> JsonBody<T> {
    /// The body as a `T`.
    ///
    /// # Errors
    /// 413 `payload_too_large` for a body over [`MAX_JSON_BODY`], 415 `unsupported_media_type`
    /// for one sent as something other than JSON, 400 `bad_request` for one that could not be
    /// read or is not a `T`.
    pub fn parse(self) -> Result<T, ApiError> {
        let body = self.bytes?;
        let bytes: &[u8] = if body.is_empty() {
            b"{}"
        } else if self.json_type {
            &body
        } else {
            return Err(unsupported_type());
        };
        serde_json::from_slice(bytes).map_err(|e| malformed(&e))
    }
}

impl<T> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    /// Never fails: a body that is too large or cannot be read is answered by
    /// [`JsonBody::parse`]. Failing here would drop the handler's other extractors mid-flight
    /// (actix polls them together), among them [`OwnerCtx`](crate::http::owner::OwnerCtx)
    /// with a database query still running on its pooled connection.
    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let json_type = is_json(req);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let payload = payload.take();
        Box::pin(async move {
            let bytes = if declared.is_some_and(|n| n > MAX_JSON_BODY) {
                Err(too_large())
            } else {
                read(payload).await
            };
            Ok(Self {
                bytes,
                json_type,
                of: PhantomData,
            })
        })
    }
}

/// The body, up to [`MAX_JSON_BODY`] bytes: reading stops at the first byte past it.
async fn read(mut payload: actix_web::dev::Payload) -> Result<web::Bytes, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| unreadable(&e))?;
        if body.len() + chunk.len() > MAX_JSON_BODY {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// `web::Json`'s limit and errors: the same as [`JsonBody`]'s.
#[must_use]
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_JSON_BODY)
        .error_handler(|e, _| {
            match &e {
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => too_large(),
                JsonPayloadError::ContentType => unsupported_type(),
                JsonPayloadError::Deserialize(e) => malformed(e),
                JsonPayloadError::Payload(e) => unreadable(e),
                _ => ApiError::bad_request("bad_request", "the body could not be read"),
            }
            .into()
        })
}

/// No `Content-Type`, `application/json`, or any `+json` type.
fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return true;
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| {
            m.type_() == mime::APPLICATION
                && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
        })
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("a JSON body is at most {MAX_JSON_BODY} bytes"),
    )
}

fn unsupported_type() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "the body must be sent as application/json",
    )
}

fn unreadable(e: &PayloadError) -> ApiError {
    // A body that missed its deadline is answered 408 by `edge::body_deadline`.
    tracing::debug!(error = %e, "request body could not be read");
    ApiError::bad_request("bad_request", "the body could not be read")
}

/// 400 `bad_request`, saying where the body went wrong but never quoting it.
fn malformed(e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => "the body is not valid JSON".to_owned(),
        // serde's "missing field `x`" names a field, never a value.
        Category::Data if e.to_string().starts_with("missing field") => {
            format!("the body is not the expected JSON: {e}")
        }
        Category::Data => {
            "the body is not the expected JSON: a field has the wrong type or value".to_owned()
        }
    };
    ApiError::bad_request(
        "bad_request",
        format!("{what} (line {}, column {})", e.line(), e.column()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Login {
        #[expect(dead_code, reason = "only parsed")]
        email: String,
    }

    fn body(bytes: &'static [u8], json_type: bool) -> JsonBody<Login> {
        JsonBody {
            bytes: Ok(web::Bytes::from_static(bytes)),
            json_type,
            of: PhantomData,
        }
    }

    #[test]
    fn every_bad_body_is_one_code_and_never_quotes_it() {
        for raw in [
            &b"{not json"[..],
            b"{\"email\": 1}",
            b"{\"email\": [\"hunter2\"]}",
            b"[]",
            b"",
        ] {
            let e = JsonBody::<Login> {
                bytes: Ok(web::Bytes::from(raw.to_vec())),
                json_type: true,
                of: PhantomData,
            }
            .parse()
            .err();
            let e = e.unwrap_or_else(|| panic!("{raw:?} parsed"));
            assert_eq!((e.status.as_u16(), e.code), (400, "bad_request"), "{raw:?}");
            assert!(!e.message.contains("hunter2"), "{}", e.message);
        }
        assert!(body(b"{\"email\": \"a@b.pk\"}", true).parse().is_ok());
    }

    #[test]
    fn a_body_sent_as_something_else_is_415_unless_empty() {
        let e = body(b"{\"email\": \"a@b.pk\"}", false).parse().err();
        assert_eq!(e.map(|e| e.code), Some("unsupported_media_type"));
        let e = body(b"", false).parse().err();
        assert_eq!(e.map(|e| e.code), Some("bad_request"));
    }

    #[actix_web::test]
    async fn a_body_over_the_limit_is_read_without_error_and_refused_when_parsed() {
        let big = vec![b' '; MAX_JSON_BODY + 1];
        for declared in [true, false] {
            let mut req = actix_web::test::TestRequest::post().set_payload(big.clone());
            if !declared {
                req = req.insert_header((header::CONTENT_LENGTH, "1"));
            }
            let (req, mut payload) = req.to_http_parts();
            let body = JsonBody::<Login>::from_request(&req, &mut payload).await;
            let e = body.ok().and_then(|b| b.parse().err());
            assert_eq!(
                e.map(|e| e.code),
                Some("payload_too_large"),
                "declared: {declared}"
            );
        }
    }
}

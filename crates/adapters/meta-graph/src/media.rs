//! Media (meta-api.md §7): look an id up, download the bytes with the bearer token, upload.
//! The token only ever goes to Meta's media hosts (or an explicitly configured extra host such
//! as the simulator): a download URL is data from the network, and following it blindly would
//! hand a store's token to whoever wrote it (SSRF). Downloads stream and stop at the cap, then
//! the bytes are checked against Meta's SHA-256 and size.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures_util::StreamExt;
use omni_domain::PhoneNumberId;
use omni_ports::meta::{DownloadedMedia, GraphError, GraphErrorKind, MediaInfo, MediaUpload};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, Url};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;

use crate::MetaGraphClient;
use crate::client::{send, transport};

/// Meta's media CDNs.
const MEDIA_HOST_SUFFIXES: [&str; 2] = ["fbsbx.com", "fbcdn.net"];

#[derive(Deserialize)]
struct InfoWire {
    id: String,
    url: String,
    #[serde(default)]
    mime_type: String,
    #[serde(default)]
    sha256: Option<String>,
    /// A string in some answers, a number in others.
    #[serde(default)]
    file_size: Option<Value>,
}

#[derive(Deserialize)]
struct IdWire {
    id: String,
}

fn rejected(detail: String) -> GraphError {
    GraphError::local(GraphErrorKind::MediaRejected, detail)
}

/// `audio/ogg; codecs=opus` -> `audio/ogg`.
fn bare_mime(mime: &str) -> String {
    mime.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Meta documents the checksum as base64 but some answers carry hex; accept both.
fn expected_digest(sha256: &str) -> Option<Vec<u8>> {
    let s = sha256.trim();
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return hex::decode(s).ok();
    }
    STANDARD.decode(s).ok().filter(|d| d.len() == 32)
}

impl MetaGraphClient {
    fn media_host_allowed(&self, url: &Url) -> bool {
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
            return false;
        };
        let meta_cdn = url.scheme() == "https"
            && MEDIA_HOST_SUFFIXES
                .iter()
                .any(|s| host == *s || host.ends_with(&format!(".{s}")));
        meta_cdn
            || self.is_graph_url(url)
            || self
                .config
                .extra_media_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(&host))
    }

    pub(crate) async fn media_lookup(
        &self,
        token: &SecretString,
        media_id: &str,
        phone_number_id: Option<&PhoneNumberId>,
    ) -> Result<MediaInfo, GraphError> {
        let mut req = self.authed(Method::GET, &self.url(media_id), token);
        if let Some(p) = phone_number_id {
            req = req.query(&[("phone_number_id", p.as_str())]);
        }
        let w: InfoWire = self.json("media.info", req).await?;
        let file_size = match w.file_size {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        Ok(MediaInfo {
            id: w.id,
            url: w.url,
            mime_type: w.mime_type,
            sha256: w.sha256,
            file_size,
        })
    }

    pub(crate) async fn media_download(
        &self,
        token: &SecretString,
        info: &MediaInfo,
        max_bytes: u64,
    ) -> Result<DownloadedMedia, GraphError> {
        let url = Url::parse(&info.url).map_err(|e| rejected(format!("media url: {e}")))?;
        if !self.media_host_allowed(&url) {
            return Err(rejected(format!(
                "media url host {:?} is not a Meta media host",
                url.host_str().unwrap_or("")
            )));
        }
        if let Some(size) = info.file_size.filter(|s| *s > max_bytes) {
            return Err(rejected(format!(
                "media is {size} bytes, over the {max_bytes} cap"
            )));
        }
        let req = self
            .media_http
            .request(Method::GET, url)
            .bearer_auth(self.sendable(token));
        let resp = send("media.download", req).await?;
        if resp.content_length().is_some_and(|len| len > max_bytes) {
            return Err(rejected(format!("media is over the {max_bytes} cap")));
        }
        let header_mime = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(bare_mime);
        let mut bytes = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| transport("media.download", &e))?;
            if bytes.len() as u64 + chunk.len() as u64 > max_bytes {
                return Err(rejected(format!("media is over the {max_bytes} cap")));
            }
            bytes.extend_from_slice(&chunk);
        }
        if let Some(size) = info.file_size.filter(|s| *s != bytes.len() as u64) {
            return Err(rejected(format!(
                "media is {} bytes, Meta said {size}",
                bytes.len()
            )));
        }
        if let Some(sha) = &info.sha256 {
            let expected = expected_digest(sha)
                .ok_or_else(|| rejected("unreadable sha256 from Meta".into()))?;
            let actual = ring::digest::digest(&ring::digest::SHA256, &bytes);
            if actual.as_ref() != expected.as_slice() {
                return Err(rejected(
                    "media checksum does not match Meta's sha256".into(),
                ));
            }
        }
        let mime_type = match bare_mime(&info.mime_type) {
            m if m.is_empty() => header_mime.unwrap_or_else(|| "application/octet-stream".into()),
            m => m,
        };
        Ok(DownloadedMedia { bytes, mime_type })
    }

    pub(crate) async fn media_upload(
        &self,
        token: &SecretString,
        from: &PhoneNumberId,
        upload: &MediaUpload,
    ) -> Result<String, GraphError> {
        let part = Part::bytes(upload.bytes.clone())
            .file_name(upload.filename.clone())
            .mime_str(&upload.mime_type)
            .map_err(|_| {
                GraphError::local(
                    GraphErrorKind::InvalidParameter,
                    format!("media upload: bad MIME type {:?}", upload.mime_type),
                )
            })?;
        let form = Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", upload.mime_type.clone())
            .part("file", part);
        let url = self.url(&format!("{}/media", from.as_str()));
        let req = self
            .authed_on(&self.media_http, Method::POST, &url, token)
            .multipart(form);
        let w: IdWire = self.json("media.upload", req).await?;
        Ok(w.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_are_read_as_base64_or_hex() {
        let digest = ring::digest::digest(&ring::digest::SHA256, b"proof");
        let b64 = STANDARD.encode(digest.as_ref());
        let hexed = hex::encode(digest.as_ref());
        assert_eq!(expected_digest(&b64).as_deref(), Some(digest.as_ref()));
        assert_eq!(expected_digest(&hexed).as_deref(), Some(digest.as_ref()));
        assert_eq!(expected_digest("c2hvcnQ="), None);
    }

    fn client(extra_media_hosts: &[&str]) -> MetaGraphClient {
        let mut config = crate::GraphConfig::new("1", SecretString::from("s".to_owned()));
        config.extra_media_hosts = extra_media_hosts.iter().map(|h| (*h).to_owned()).collect();
        MetaGraphClient::new(config).unwrap_or_else(|e| panic!("{e}"))
    }

    fn allowed(client: &MetaGraphClient, url: &str) -> bool {
        Url::parse(url).is_ok_and(|u| client.media_host_allowed(&u))
    }

    #[test]
    fn only_meta_cdns_the_graph_origin_and_configured_hosts_get_the_token() {
        let c = client(&["media.sim.test"]);
        for ok in [
            "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1",
            "https://fbsbx.com/x",
            "https://scontent.xx.fbcdn.net/v/t1/x.jpg",
            "https://LOOKASIDE.FBSBX.COM/x",
            "https://graph.facebook.com/v25.0/1",
            "http://media.sim.test:8080/x",
        ] {
            assert!(allowed(&c, ok), "{ok} should be allowed");
        }
        for refused in [
            "https://attacker.example/steal",
            "https://evilfbsbx.com/x",
            "https://notfbcdn.net/x",
            "https://fbsbx.com.attacker.example/x",
            "https://fbcdn.net.attacker.example/x",
            "http://lookaside.fbsbx.com/x",
            "http://graph.facebook.com/v25.0/1",
            "https://graph.facebook.com:8443/v25.0/1",
            "https://graph.facebook.com.attacker.example/x",
            "https://other.sim.test/x",
            "https://sub.media.sim.test/x",
            "file:///etc/passwd",
        ] {
            assert!(!allowed(&c, refused), "{refused} should be refused");
        }
        assert!(!allowed(&client(&[]), "http://media.sim.test/x"));
    }

    #[test]
    fn mime_parameters_are_dropped() {
        assert_eq!(bare_mime("audio/ogg; codecs=opus"), "audio/ogg");
        assert_eq!(bare_mime("IMAGE/JPEG"), "image/jpeg");
    }
}

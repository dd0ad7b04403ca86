//! Media: multipart upload with Meta's MIME and size limits (meta-api.md §7.4), lookup
//! returning a short-lived download URL, the authenticated download itself, and deletion.

use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt as _;
use serde_json::json;

use super::Req;
use super::auth;
use super::error::GraphErr;
use super::faults;
use crate::SimHandle;
use crate::fault::Endpoint;
use crate::state::Media;
use crate::util::{random_alnum, sha256_b64};

const MESSAGING: &str = "whatsapp_business_messaging";
const MB: usize = 1024 * 1024;

/// The largest upload Meta accepts for a MIME type, or `None` when the type is unsupported.
fn limit_for(mime: &str) -> Option<usize> {
    Some(match mime {
        "image/jpeg" | "image/png" => 5 * MB,
        "image/webp" => 500 * 1024,
        "audio/aac" | "audio/amr" | "audio/mpeg" | "audio/mp4" | "audio/ogg" => 16 * MB,
        "video/mp4" | "video/3gpp" => 16 * MB,
        "text/plain"
        | "application/pdf"
        | "application/msword"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.ms-excel"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        | "application/vnd.ms-powerpoint"
        | "application/vnd.openxmlformats-officedocument.presentationml.presentation" => 100 * MB,
        _ => return None,
    })
}

fn upload_error(details: impl Into<String>) -> GraphErr {
    GraphErr::wa(400, 131_053, "Media upload error", details)
}

fn essence(mime: &str) -> String {
    mime.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// `POST /{phone_number_id}/media`.
pub(crate) async fn upload(
    handle: &SimHandle,
    r: &Req,
    id: &str,
) -> Result<HttpResponse, GraphErr> {
    auth::for_number(&handle.lock(), r, id, MESSAGING)?;
    if r.body_too_large {
        return Err(upload_error("File size exceeds the maximum allowed size."));
    }
    if r.content_type != "multipart/form-data" {
        return Err(GraphErr::invalid_param(
            "Upload media as multipart/form-data.",
        ));
    }
    let body = r.body.clone();
    let stream = futures_util::stream::once(async move { Ok::<Bytes, PayloadError>(body) });
    let mut form = actix_multipart::Multipart::new(&r.headers, stream);
    let (mut product, mut type_field, mut file) = (None, None, None);
    while let Some(field) = form.next().await {
        let mut field =
            field.map_err(|e| GraphErr::invalid_param(format!("Malformed multipart body: {e}")))?;
        let name = field.name().unwrap_or("").to_owned();
        let part_type = field.content_type().map(|m| m.essence_str().to_owned());
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk
                .map_err(|e| GraphErr::invalid_param(format!("Malformed multipart body: {e}")))?;
            data.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "messaging_product" => product = Some(String::from_utf8_lossy(&data).into_owned()),
            "type" => type_field = Some(essence(&String::from_utf8_lossy(&data))),
            "file" => file = Some((data, part_type)),
            _ => {}
        }
    }
    if product.as_deref() != Some("whatsapp") {
        return Err(GraphErr::invalid_param(
            "Param messaging_product must be 'whatsapp'.",
        ));
    }
    let Some((bytes, part_type)) = file else {
        return Err(GraphErr::invalid_param("Param file is required."));
    };
    let part_type = part_type.filter(|t| t != "application/octet-stream");
    let mime = match (part_type, type_field) {
        (Some(p), Some(t)) if p != t => {
            return Err(upload_error(format!(
                "MIME type mismatch: file is {p}, type is {t}."
            )));
        }
        (Some(p), _) => p,
        (None, Some(t)) => t,
        (None, None) => return Err(GraphErr::invalid_param("Param type is required.")),
    };
    let Some(limit) = limit_for(&mime) else {
        return Err(upload_error(format!("Unsupported file type: {mime}.")));
    };
    if bytes.len() > limit {
        return Err(upload_error(format!(
            "File size {} exceeds the limit of {limit} bytes for {mime}.",
            bytes.len()
        )));
    }
    if bytes.is_empty() {
        return Err(upload_error("The file is empty."));
    }
    let mut st = handle.lock();
    let media_id = st.next_numeric_id();
    let sha256 = sha256_b64(&bytes);
    st.media.insert(
        media_id.clone(),
        Media {
            phone_number_id: id.to_owned(),
            bytes,
            mime_type: mime,
            sha256,
        },
    );
    Ok(HttpResponse::Ok().json(json!({ "id": media_id })))
}

/// Authenticates for a media object and applies the `phone_number_id` guard.
fn guard(st: &crate::state::SimState, r: &Req, media_id: &str) -> Result<Media, GraphErr> {
    let media = st
        .media
        .get(media_id)
        .cloned()
        .ok_or_else(|| GraphErr::no_object(r.method.as_str(), media_id))?;
    let waba = st
        .numbers
        .get(&media.phone_number_id)
        .map(|n| n.waba_id.clone());
    auth::for_waba(st, r, media_id, waba.as_deref(), MESSAGING)?;
    if let Some(pnid) = r.param("phone_number_id")
        && pnid != media.phone_number_id
    {
        return Err(GraphErr::invalid_param(format!(
            "The media {media_id} does not belong to phone number {pnid}."
        )));
    }
    Ok(media)
}

/// `GET /{media_id}`.
pub(crate) fn info(handle: &SimHandle, r: &Req, media_id: &str) -> Result<HttpResponse, GraphErr> {
    let mut st = handle.lock();
    let media = guard(&st, r, media_id)?;
    let opaque = random_alnum(40);
    let expires =
        st.now() + chrono::Duration::from_std(st.config.media_url_ttl).unwrap_or_default();
    st.media_urls
        .insert(opaque.clone(), (media_id.to_owned(), expires));
    let url = format!(
        "{}/sim-media/{opaque}?mid={media_id}&ext={}",
        st.public_base_url,
        expires.timestamp()
    );
    Ok(HttpResponse::Ok().json(json!({
        "messaging_product": "whatsapp",
        "url": url,
        "mime_type": media.mime_type,
        "sha256": media.sha256,
        "file_size": media.bytes.len().to_string(),
        "id": media_id,
    })))
}

/// `DELETE /{media_id}`.
pub(crate) fn delete(
    handle: &SimHandle,
    r: &Req,
    media_id: &str,
) -> Result<HttpResponse, GraphErr> {
    let mut st = handle.lock();
    guard(&st, r, media_id)?;
    st.media.remove(media_id);
    st.media_urls.retain(|_, (mid, _)| mid != media_id);
    Ok(HttpResponse::Ok().json(json!({ "success": true })))
}

/// `GET /sim-media/{opaque}`: the bytes, with the bearer token Meta requires.
pub(crate) async fn download(handle: SimHandle, req: HttpRequest) -> HttpResponse {
    super::log(&handle, &req, false);
    if let Some(resp) = faults::apply(&handle, Some(Endpoint::MediaDownload)).await {
        return resp;
    }
    let st = handle.lock();
    let authorized = super::bearer(&req).is_some_and(|t| auth::check_token(&st, &t).is_ok());
    if !authorized {
        return HttpResponse::Unauthorized()
            .insert_header(("WWW-Authenticate", "Bearer"))
            .content_type("text/plain")
            .body("Unauthorized");
    }
    let opaque = req.match_info().get("opaque").unwrap_or("");
    let now = st.now();
    let media = st
        .media_urls
        .get(opaque)
        .filter(|(_, exp)| *exp > now)
        .and_then(|(mid, _)| st.media.get(mid));
    match media {
        Some(m) => HttpResponse::Ok()
            .content_type(m.mime_type.clone())
            .body(m.bytes.clone()),
        None => HttpResponse::NotFound()
            .content_type("text/plain")
            .body("Not Found"),
    }
}

//! Media: upload limits, info, authenticated download with URL expiry, delete.

use std::time::Duration;

use base64::Engine as _;
use reqwest::multipart::{Form, Part};

use crate::common::{NUMBER, NUMBER_2, code, env, read};

fn form(bytes: Vec<u8>, mime: &str) -> Form {
    Form::new()
        .text("messaging_product", "whatsapp")
        .text("type", mime.to_owned())
        .part(
            "file",
            Part::bytes(bytes)
                .file_name("receipt")
                .mime_str(mime)
                .expect("mime"),
        )
}

#[tokio::test]
async fn upload_then_info_then_download_needs_the_bearer_and_expires_after_the_ttl() {
    let e = env().await;
    let bytes = b"\x89PNG fake screenshot".to_vec();
    let resp = e
        .http
        .post(format!("{}/{NUMBER}/media", e.graph))
        .bearer_auth(&e.token)
        .multipart(form(bytes.clone(), "image/png"))
        .send()
        .await
        .expect("upload");
    let (status, body) = read(resp).await;
    assert_eq!(status, 200, "{body}");
    let id = body["id"].as_str().expect("id").to_owned();
    assert!(id.chars().all(|c| c.is_ascii_digit()));

    let (status, info) = e.get(&format!("{id}?phone_number_id={NUMBER}")).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["messaging_product"], "whatsapp");
    assert_eq!(info["mime_type"], "image/png");
    assert_eq!(info["file_size"], bytes.len().to_string());
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
    let sha = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    assert_eq!(info["sha256"], sha);
    let url = info["url"].as_str().expect("url").to_owned();
    assert!(
        url.starts_with(&format!("{}/sim-media/", e.sim.base_url())),
        "{url}"
    );

    let anon = e.http.get(&url).send().await.expect("anon");
    assert_eq!(anon.status(), 401);
    let ok = e
        .http
        .get(&url)
        .bearer_auth(&e.token)
        .send()
        .await
        .expect("download");
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["content-type"], "image/png");
    assert_eq!(ok.bytes().await.expect("bytes").to_vec(), bytes);

    e.h.advance_clock(Duration::from_secs(301));
    let late = e
        .http
        .get(&url)
        .bearer_auth(&e.token)
        .send()
        .await
        .expect("late");
    assert_eq!(late.status(), 404);

    let (_, other) = e.get(&format!("{id}?phone_number_id={NUMBER_2}")).await;
    assert_eq!(code(&other), 100);

    let del = e
        .http
        .delete(format!("{}/{id}", e.graph))
        .bearer_auth(&e.token)
        .send()
        .await
        .expect("del");
    assert_eq!(read(del).await.1["success"], true);
    assert!(e.h.media_bytes(&id).is_none());
}

#[tokio::test]
async fn unsupported_types_and_oversized_files_fail_with_131053() {
    let e = env().await;
    for (bytes, mime) in [
        (vec![1_u8; 10], "application/zip"),
        (vec![0_u8; 5 * 1024 * 1024 + 1], "image/jpeg"),
    ] {
        let resp = e
            .http
            .post(format!("{}/{NUMBER}/media", e.graph))
            .bearer_auth(&e.token)
            .multipart(form(bytes, mime))
            .send()
            .await
            .expect("upload");
        let (status, body) = read(resp).await;
        assert_eq!((status, code(&body)), (400, 131_053), "{mime}: {body}");
        assert_eq!(body["error"]["message"], "(#131053) Media upload error");
    }
}

#[tokio::test]
async fn media_a_customer_sent_is_downloadable_through_its_id() {
    let e = env().await;
    let id =
        e.h.put_media(NUMBER, b"voice".to_vec(), "audio/ogg; codecs=opus");
    let (_, info) = e.get(&id).await;
    assert_eq!(info["mime_type"], "audio/ogg; codecs=opus");
    let url = info["url"].as_str().expect("url");
    let body = e
        .http
        .get(url)
        .bearer_auth(&e.token)
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(&body[..], b"voice");
}

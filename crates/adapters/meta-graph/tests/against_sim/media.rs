//! Media: upload, look up, download with checks.

use std::time::Duration;

use omni_ports::meta::{GraphErrorKind, MediaInfo, MediaUpload, MetaGraphPort};

use crate::{Fixture, NUMBER, WABA};

fn screenshot() -> Vec<u8> {
    // Not a real PNG; Meta does not decode uploads either, it checks type and size.
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..20_000_u32).map(|i| (i % 251) as u8));
    bytes
}

#[tokio::test]
async fn uploaded_media_is_looked_up_and_downloaded_byte_for_byte() {
    let f = Fixture::new().await;
    let upload = MediaUpload {
        bytes: screenshot(),
        mime_type: "image/png".into(),
        filename: "proof.png".into(),
    };
    let id = f
        .client
        .upload_media(&f.token, &Fixture::number(), &upload)
        .await
        .unwrap();
    let info = f
        .client
        .media_info(&f.token, &id, Some(&Fixture::number()))
        .await
        .unwrap();
    assert_eq!(info.id, id);
    assert_eq!(info.mime_type, "image/png");
    assert_eq!(info.file_size, Some(upload.bytes.len() as u64));
    assert!(info.sha256.is_some());
    let got = f
        .client
        .download_media(&f.token, &info, 5 * 1024 * 1024)
        .await
        .unwrap();
    assert_eq!(got.bytes, upload.bytes);
    assert_eq!(got.mime_type, "image/png");
    f.assert_token_only_in_headers();
}

#[tokio::test]
async fn a_voice_note_keeps_its_bare_mime_type() {
    let f = Fixture::new().await;
    let id = f
        .sim_handle
        .put_media(NUMBER, vec![7; 3000], "audio/ogg; codecs=opus");
    let info = f.client.media_info(&f.token, &id, None).await.unwrap();
    let got = f
        .client
        .download_media(&f.token, &info, 16 << 20)
        .await
        .unwrap();
    assert_eq!(got.mime_type, "audio/ogg");
    assert_eq!(got.bytes.len(), 3000);
}

#[tokio::test]
async fn without_metas_mime_type_the_download_is_typed_by_its_content_type() {
    let f = Fixture::new().await;
    let id = f.sim_handle.put_media(NUMBER, vec![9; 500], "image/webp");
    let info = f.client.media_info(&f.token, &id, None).await.unwrap();
    let untyped = MediaInfo {
        mime_type: String::new(),
        ..info
    };
    let got = f
        .client
        .download_media(&f.token, &untyped, 1 << 20)
        .await
        .unwrap();
    assert_eq!(got.mime_type, "image/webp");
}

#[tokio::test]
async fn a_lookup_scoped_to_a_number_refuses_another_numbers_media_of_the_same_waba() {
    let f = Fixture::new().await;
    assert!(f.sim_handle.add_number(
        WABA,
        omni_meta_sim::SeedNumber::new("209876543210987", "+92 333 4445566"),
    ));
    let id = f
        .sim_handle
        .put_media("209876543210987", vec![4; 10], "image/jpeg");
    // The token covers the WABA, so unscoped it is found...
    f.client.media_info(&f.token, &id, None).await.unwrap();
    // ...but not as our number's media.
    let err = f
        .client
        .media_info(&f.token, &id, Some(&Fixture::number()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(100), "{err}");
}

#[tokio::test]
async fn downloads_are_capped_checksummed_and_kept_on_meta_hosts() {
    let f = Fixture::new().await;
    let id = f
        .sim_handle
        .put_media(NUMBER, vec![1; 10_000], "image/jpeg");
    let info = f.client.media_info(&f.token, &id, None).await.unwrap();

    let before = f.sim_handle.requests().len();
    let err = f.download_err(&info, 9_999).await;
    assert_eq!(err.kind, GraphErrorKind::MediaRejected, "{err}");
    assert_eq!(
        f.sim_handle.requests().len(),
        before,
        "Meta's size over the cap is refused before downloading"
    );
    // Even when Meta's size is missing, the stream stops at the cap.
    let no_size = MediaInfo {
        file_size: None,
        ..info.clone()
    };
    let err = f.download_err(&no_size, 4_096).await;
    assert_eq!(err.kind, GraphErrorKind::MediaRejected, "{err}");

    let wrong_sum = MediaInfo {
        sha256: Some("SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=".into()),
        ..info.clone()
    };
    let err = f.download_err(&wrong_sum, 1 << 20).await;
    assert_eq!(err.kind, GraphErrorKind::MediaRejected, "{err}");
    assert!(err.to_string().contains("checksum"), "{err}");

    let garbled_sum = MediaInfo {
        sha256: Some("not a digest".into()),
        ..info.clone()
    };
    let err = f.download_err(&garbled_sum, 1 << 20).await;
    assert_eq!(err.kind, GraphErrorKind::MediaRejected, "{err}");

    // Right bytes, right checksum, but not the size Meta announced.
    let wrong_size = MediaInfo {
        file_size: Some(9_000),
        ..info.clone()
    };
    let err = f.download_err(&wrong_size, 1 << 20).await;
    assert_eq!(err.kind, GraphErrorKind::MediaRejected, "{err}");
    assert!(err.to_string().contains("9000"), "{err}");

    let before = f.sim_handle.requests().len();
    let foreign = MediaInfo {
        url: "https://attacker.example/steal".into(),
        ..info.clone()
    };
    let err = f.download_err(&foreign, 1 << 20).await;
    assert_eq!(err.kind, GraphErrorKind::MediaRejected);
    assert!(!err.to_string().contains(&f.token_text));
    assert_eq!(f.sim_handle.requests().len(), before, "no request made");

    let lookalike = MediaInfo {
        url: "https://fbsbx.com.attacker.example/x".into(),
        ..info
    };
    let err = f.download_err(&lookalike, 1 << 20).await;
    assert_eq!(err.kind, GraphErrorKind::MediaRejected);
}

#[tokio::test]
async fn a_download_url_expires_after_five_minutes_and_needs_the_token() {
    let f = Fixture::new().await;
    let id = f.sim_handle.put_media(NUMBER, vec![2; 100], "image/jpeg");
    let info = f.client.media_info(&f.token, &id, None).await.unwrap();

    let anonymous = reqwest::get(&info.url).await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);

    f.sim_handle.advance_clock(Duration::from_secs(301));
    let err = f.download_err(&info, 1 << 20).await;
    assert_eq!(err.kind, GraphErrorKind::InvalidParameter, "{err}");
    // A fresh lookup gives a fresh URL.
    let info = f.client.media_info(&f.token, &id, None).await.unwrap();
    assert_eq!(
        f.client
            .download_media(&f.token, &info, 1 << 20)
            .await
            .unwrap()
            .bytes,
        vec![2; 100]
    );
}

#[tokio::test]
async fn unsupported_uploads_and_foreign_media_are_refused() {
    let f = Fixture::new().await;
    let exe = MediaUpload {
        bytes: vec![0x4d, 0x5a, 0x90, 0x00],
        mime_type: "application/x-msdownload".into(),
        filename: "virus.exe".into(),
    };
    let err = f
        .client
        .upload_media(&f.token, &Fixture::number(), &exe)
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind, err.code()),
        (GraphErrorKind::Media, Some(131_053)),
        "{err}"
    );

    let id = f
        .sim_handle
        .put_media("209876543210987", vec![3; 10], "image/jpeg");
    let err = f
        .client
        .media_info(&f.token, &id, Some(&Fixture::number()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(100), "{err}");
}

//! What the simulator never does, played by a tiny scripted HTTP server on a local socket: a
//! Graph host that redirects, pages to another origin or forever, leaves `access_token` in its
//! paging links, answers `success: false`, or streams media without (or with a lying)
//! `Content-Length`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use omni_meta_graph::{GraphConfig, MetaGraphClient};
use omni_ports::meta::{GraphErrorKind, MediaInfo, MetaGraphPort};
use secrecy::SecretString;

use crate::{Fixture, NUMBER, WABA};

/// One request as the server read it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    /// Path and query.
    target: String,
    authorization: Option<String>,
}

/// What to do with a request.
enum Answer {
    /// Write these bytes (a whole HTTP/1.1 response) and close.
    Raw(Vec<u8>),
    /// Write these bytes, keep the connection open this long, then close.
    Hold(Vec<u8>, Duration),
}

fn json(status: u16, body: &str) -> Answer {
    Answer::Raw(
        format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

type Script = dyn Fn(&Seen, &str) -> Answer + Send + Sync;

/// A server on 127.0.0.1 answering every request with `script(request, own base URL)`.
struct Scripted {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    fn start(script: impl Fn(&Seen, &str) -> Answer + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let (thread_seen, thread_base) = (Arc::clone(&seen), base.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (seen, base, script) = (
                    Arc::clone(&thread_seen),
                    thread_base.clone(),
                    Arc::clone(&script),
                );
                std::thread::spawn(move || serve(stream, &seen, &base, &*script));
            }
        });
        Self { base, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The adapter with its Graph API at this server.
    fn client(&self) -> MetaGraphClient {
        let mut config =
            GraphConfig::new("1234567890", SecretString::from("app-secret".to_owned()))
                .with_base_url(&self.base);
        config.timeout = Duration::from_secs(5);
        config.media_timeout = Duration::from_secs(5);
        MetaGraphClient::new(config).unwrap()
    }
}

fn serve(mut stream: TcpStream, seen: &Mutex<Vec<Seen>>, base: &str, script: &Script) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = Vec::new();
    let mut byte = [0_u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_owned();
    let target = first.next().unwrap_or("").to_owned();
    let mut authorization = None;
    let mut length = 0_usize;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "authorization" => authorization = Some(value.trim().to_owned()),
                "content-length" => length = value.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    let mut body = vec![0_u8; length];
    if stream.read_exact(&mut body).is_err() {
        return;
    }
    let request = Seen {
        method,
        target,
        authorization,
    };
    seen.lock().unwrap().push(request.clone());
    match script(&request, base) {
        Answer::Raw(bytes) => {
            let _ = stream.write_all(&bytes);
        }
        Answer::Hold(bytes, how_long) => {
            let _ = stream.write_all(&bytes);
            let _ = stream.flush();
            std::thread::sleep(how_long);
        }
    }
}

fn token() -> SecretString {
    SecretString::from("EAAtoken-under-test".to_owned())
}

fn page(next: Option<&str>) -> String {
    let number = format!(r#"{{"id":"{NUMBER}","display_phone_number":"+92 300 1112233"}}"#);
    match next {
        Some(next) => format!(r#"{{"data":[{number}],"paging":{{"next":"{next}"}}}}"#),
        None => format!(r#"{{"data":[{number}]}}"#),
    }
}

#[tokio::test]
async fn a_redirect_is_never_followed_so_the_token_stays_with_the_graph_host() {
    let elsewhere = Scripted::start(|_, _| json(200, &page(None)));
    let to = elsewhere.base.clone();
    let graph = Scripted::start(move |_, _| {
        Answer::Raw(
            format!(
                "HTTP/1.1 302 Found\r\nlocation: {to}/v25.0/{NUMBER}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            )
            .into_bytes(),
        )
    });
    let err = graph
        .client()
        .get_phone_number(&token(), &Fixture::number())
        .await
        .unwrap_err();
    assert_eq!(err.http_status, Some(302), "{err}");
    assert_eq!(err.kind, GraphErrorKind::Protocol, "{err}");
    assert_eq!(graph.seen().len(), 1);
    assert!(elsewhere.seen().is_empty(), "{:?}", elsewhere.seen());
}

#[tokio::test]
async fn paging_links_to_another_origin_are_refused_before_they_are_followed() {
    let elsewhere = Scripted::start(|_, _| json(200, &page(None)));
    // Another port on the same IP, the same port under another name, and plain HTTP to
    // what would be Meta's host: none is the Graph API's origin.
    let port = elsewhere.base.rsplit(':').next().unwrap().to_owned();
    for foreign in [
        format!("{}/v25.0/{WABA}/phone_numbers?after=QVFI", elsewhere.base),
        format!("http://localhost:{port}/v25.0/{WABA}/phone_numbers?after=QVFI"),
        format!("http://graph.facebook.com/v25.0/{WABA}/phone_numbers?after=QVFI"),
    ] {
        let link = foreign.clone();
        let graph = Scripted::start(move |_, _| json(200, &page(Some(&link))));
        let err = graph
            .client()
            .list_phone_numbers(&token(), &Fixture::waba())
            .await
            .unwrap_err();
        assert_eq!(err.kind, GraphErrorKind::Protocol, "{foreign}: {err}");
        assert!(err.to_string().contains("paging.next"), "{err}");
        assert_eq!(graph.seen().len(), 1, "{foreign}");
    }
    assert!(elsewhere.seen().is_empty(), "{:?}", elsewhere.seen());
}

#[tokio::test]
async fn a_paging_link_is_followed_without_its_access_token_and_with_the_bearer_header() {
    let graph = Scripted::start(|seen, base| {
        if seen.target.contains("after=") {
            json(200, &page(None))
        } else {
            json(
                200,
                &page(Some(&format!(
                    "{base}/v25.0/{WABA}/phone_numbers?access_token=EAAleaked&limit=100&after=QVFI"
                ))),
            )
        }
    });
    let numbers = graph
        .client()
        .list_phone_numbers(&token(), &Fixture::waba())
        .await
        .unwrap();
    assert_eq!(numbers.len(), 2);
    let seen = graph.seen();
    assert_eq!(seen.len(), 2);
    let second = &seen[1];
    assert!(!second.target.contains("access_token"), "{second:?}");
    assert!(!second.target.contains("EAAleaked"), "{second:?}");
    assert!(second.target.contains("after=QVFI"), "{second:?}");
    assert_eq!(
        second.authorization.as_deref(),
        Some("Bearer EAAtoken-under-test")
    );
}

#[tokio::test]
async fn endless_paging_stops_at_one_hundred_pages() {
    let graph = Scripted::start(|seen, base| {
        let n = seen.target.len();
        json(
            200,
            &page(Some(&format!(
                "{base}/v25.0/{WABA}/phone_numbers?after=p{n}"
            ))),
        )
    });
    let client = graph.client();
    let result = tokio::time::timeout(
        Duration::from_secs(30),
        client.list_phone_numbers(&token(), &Fixture::waba()),
    )
    .await
    .expect("paging must stop by itself");
    let err = result.unwrap_err();
    assert_eq!(err.kind, GraphErrorKind::Protocol, "{err}");
    assert!(err.to_string().contains("100 pages"), "{err}");
    assert_eq!(graph.seen().len(), 100);
}

#[tokio::test]
async fn success_false_is_a_protocol_error_and_success_as_a_string_is_success() {
    let graph = Scripted::start(|seen, _| {
        if seen.target.contains("/subscribed_apps") && seen.method == "GET" {
            json(
                200,
                r#"{"data":[{"whatsapp_business_api_data":{"id":"1234567890","name":"Omni"}},{"override_callback_uri":"https://x.example"}]}"#,
            )
        } else if seen.target.contains("/subscribed_apps") && seen.method == "POST" {
            json(200, r#"{"success":"true"}"#)
        } else {
            json(200, r#"{"success":false}"#)
        }
    });
    let client = graph.client();
    let waba = Fixture::waba();
    client.subscribe_app(&token(), &waba, None).await.unwrap();
    let apps = client.subscribed_apps(&token(), &waba).await.unwrap();
    assert_eq!(
        apps.len(),
        1,
        "an entry without app data is no app: {apps:?}"
    );
    assert_eq!(apps[0].name.as_deref(), Some("Omni"));

    let err = client.unsubscribe_app(&token(), &waba).await.unwrap_err();
    assert_eq!(err.kind, GraphErrorKind::Protocol, "{err}");
    let err = client
        .deregister_number(&token(), &Fixture::number())
        .await
        .unwrap_err();
    assert_eq!(err.kind, GraphErrorKind::Protocol, "{err}");
    let err = client
        .mark_read(&token(), &Fixture::number(), "wamid.X", false)
        .await
        .unwrap_err();
    assert_eq!(err.kind, GraphErrorKind::Protocol, "{err}");
}

fn media_at(base: &str) -> MediaInfo {
    MediaInfo {
        id: "1".into(),
        url: format!("{base}/media/opaque"),
        mime_type: String::new(),
        sha256: None,
        file_size: None,
    }
}

#[tokio::test]
async fn a_chunked_download_without_a_length_stops_at_the_cap() {
    let graph = Scripted::start(|_, _| {
        let chunk = vec![b'x'; 1000];
        let mut raw =
            b"HTTP/1.1 200 OK\r\ncontent-type: image/jpeg\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
                .to_vec();
        for _ in 0..10 {
            raw.extend_from_slice(b"3e8\r\n");
            raw.extend_from_slice(&chunk);
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(b"0\r\n\r\n");
        Answer::Raw(raw)
    });
    let client = graph.client();
    let info = media_at(&graph.base);
    let err = client
        .download_media(&token(), &info, 4_096)
        .await
        .unwrap_err();
    assert_eq!(err.kind, GraphErrorKind::MediaRejected, "{err}");
    // Under the cap the same answer is fine, typed by its header.
    let got = client
        .download_media(&token(), &info, 10_000)
        .await
        .unwrap();
    assert_eq!(got.bytes.len(), 10_000);
    assert_eq!(got.mime_type, "image/jpeg");
}

#[tokio::test]
async fn a_content_length_over_the_cap_is_refused_without_waiting_for_the_body() {
    let graph = Scripted::start(|_, _| {
        Answer::Hold(
            b"HTTP/1.1 200 OK\r\ncontent-type: video/mp4\r\ncontent-length: 50000000\r\n\r\nfirst bytes"
                .to_vec(),
            Duration::from_secs(8),
        )
    });
    let started = std::time::Instant::now();
    let err = graph
        .client()
        .download_media(&token(), &media_at(&graph.base), 1 << 20)
        .await
        .unwrap_err();
    assert_eq!(err.kind, GraphErrorKind::MediaRejected, "{err}");
    assert!(started.elapsed() < Duration::from_secs(3), "it waited");
}

//! A webhook receiver for the tests (actix-web on 127.0.0.1:0), shared by the test binaries
//! through `#[path]`: checks `X-Hub-Signature-256` on its own with ring against the secret it
//! was started with, records what arrived and answers from a script of statuses (200 once the
//! script is used up; 401 for a bad signature). Dropping it stops the server.
#![expect(clippy::expect_used, reason = "tests fail loudly on unexpected errors")]

use std::collections::VecDeque;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use ring::hmac;
use serde_json::Value;

/// One request as it arrived.
#[derive(Clone)]
pub struct Hit {
    pub body: Vec<u8>,
    pub signature: Option<String>,
    pub signature_ok: bool,
    pub content_type: Option<String>,
}

impl Hit {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("json body")
    }
}

/// Shows the body as text, for readable assertion messages.
impl fmt::Debug for Hit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hit")
            .field("body", &String::from_utf8_lossy(&self.body))
            .field("signature", &self.signature)
            .field("signature_ok", &self.signature_ok)
            .field("content_type", &self.content_type)
            .finish()
    }
}

#[derive(Debug)]
struct State {
    secret: Vec<u8>,
    hits: Mutex<Vec<Hit>>,
    script: Mutex<VecDeque<u16>>,
}

pub struct Receiver {
    state: web::Data<State>,
    pub url: String,
    stop: actix_web::dev::ServerHandle,
}

fn verify(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(tag) = header
        .and_then(|h| h.strip_prefix("sha256="))
        .and_then(|h| hex::decode(h).ok())
    else {
        return false;
    };
    hmac::verify(&hmac::Key::new(hmac::HMAC_SHA256, secret), body, &tag).is_ok()
}

async fn receive(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let signature = header("x-hub-signature-256");
    let signature_ok = verify(&state.secret, &body, signature.as_deref());
    state.hits.lock().expect("lock").push(Hit {
        body: body.to_vec(),
        signature,
        signature_ok,
        content_type: header("content-type"),
    });
    if !signature_ok {
        return HttpResponse::Unauthorized().finish();
    }
    let status = state
        .script
        .lock()
        .expect("lock")
        .pop_front()
        .unwrap_or(200);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status")).finish()
}

impl Receiver {
    /// A receiver checking signatures against `secret`, answering `script` first, then 200.
    /// Must be called inside a Tokio runtime.
    pub fn start(secret: &[u8], script: &[u16]) -> Self {
        let state = web::Data::new(State {
            secret: secret.to_vec(),
            hits: Mutex::default(),
            script: Mutex::new(script.iter().copied().collect()),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/webhook", listener.local_addr().expect("addr"));
        let data = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
        let stop = server.handle();
        tokio::spawn(server);
        Self { state, url, stop }
    }

    /// Everything received so far, in arrival order.
    pub fn hits(&self) -> Vec<Hit> {
        self.state.hits.lock().expect("lock").clone()
    }

    /// Waits until `n` requests arrived (or `within` passed); returns what arrived.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Hit> {
        let until = tokio::time::Instant::now() + within;
        loop {
            let hits = self.hits();
            if hits.len() >= n || tokio::time::Instant::now() >= until {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        // The stop command is sent at once; the returned future only waits for completion.
        drop(self.stop.stop(false));
    }
}

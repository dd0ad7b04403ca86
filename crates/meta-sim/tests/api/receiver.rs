//! A webhook receiver for the tests (actix-web on 127.0.0.1:0): checks the signature on its
//! own with ring against the default app secret, records what arrived and answers from a
//! script of statuses (200 once the script is used up; 401 for a bad signature).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use ring::hmac;
use serde_json::Value;

pub const SECRET: &[u8] = b"sim-app-secret";

#[derive(Debug, Clone)]
pub struct Hit {
    pub body: Vec<u8>,
    pub signature: Option<String>,
    pub signature_ok: bool,
}

impl Hit {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("json body")
    }
}

#[derive(Debug, Default)]
struct State {
    hits: Mutex<Vec<Hit>>,
    script: Mutex<VecDeque<u16>>,
}

pub struct Receiver {
    state: web::Data<State>,
    pub url: String,
    stop: actix_web::dev::ServerHandle,
}

pub fn verify(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(tag) = header
        .and_then(|h| h.strip_prefix("sha256="))
        .and_then(|h| hex::decode(h).ok())
    else {
        return false;
    };
    hmac::verify(&hmac::Key::new(hmac::HMAC_SHA256, secret), body, &tag).is_ok()
}

async fn receive(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let signature = req
        .headers()
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let signature_ok = verify(SECRET, &body, signature.as_deref());
    state.hits.lock().expect("lock").push(Hit {
        body: body.to_vec(),
        signature,
        signature_ok,
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
    /// A receiver answering `script` first, then 200.
    pub fn start(script: &[u16]) -> Self {
        let state = web::Data::new(State::default());
        state.script.lock().expect("lock").extend(script);
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

    pub fn hits(&self) -> Vec<Hit> {
        self.state.hits.lock().expect("lock").clone()
    }

    /// Waits until `n` requests arrived (or 5 s passed).
    pub async fn wait_for(&self, n: usize) -> Vec<Hit> {
        let until = tokio::time::Instant::now() + Duration::from_secs(5);
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
        drop(self.stop.stop(false));
    }
}

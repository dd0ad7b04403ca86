//! The owner dashboard at `/owner`: static files compiled into the binary (no Node.js, no build
//! step, nothing to install), served with a strict Content-Security-Policy. The page talks only
//! to the owner API and, in sandbox mode, to `/api/sandbox`.
//!
//! Module layout: `assets/owner/index.html` loads `app.css` and one ES module,
//! `<script type="module" src="/owner/assets/app.js">`, the entry that wires the listeners and
//! boots. It imports, by relative paths the browser resolves under `/owner/assets/`, the shared
//! modules in `js/` (`state`, `dom` builders, `format`, `api` the fetch wrapper with the bearer
//! token and `ApiError`, `messages`, `dialogs`, `poll`, `badges`, `router`, `session`, and the
//! wording two views share, `account-facts` and `order-facts`) and one module per view in
//! `js/views/` (`login`, `accounts`, `health` with `health-chart`, `health-checks` and
//! `notifications`, `orders` with `order-detail`, `payments`, `sandbox`). Each file is one row
//! of [`ASSETS`]; a test checks that every relative import names a row, so a module missing
//! from the table fails `cargo test`, not the browser. Module scripts from this origin pass the
//! CSP's `script-src 'self'`; they are sent as `text/javascript`, which browsers require.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, guard, web};

const INDEX: &str = include_str!("../../assets/owner/index.html");

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// One row of [`ASSETS`]: the path under `assets/owner/` (also the URL path under
/// `/owner/assets/`), its content type, and its text compiled in.
macro_rules! asset {
    ($path:literal, $content_type:expr) => {
        (
            $path,
            $content_type,
            include_str!(concat!("../../assets/owner/", $path)),
        )
    };
}

/// Every file served under `/owner/assets/`: (path, content type, content). Anything else
/// there is a 404.
const ASSETS: &[(&str, &str, &str)] = &[
    asset!("app.css", CSS),
    asset!("app.js", JS),
    asset!("js/account-facts.js", JS),
    asset!("js/api.js", JS),
    asset!("js/badges.js", JS),
    asset!("js/dialogs.js", JS),
    asset!("js/dom.js", JS),
    asset!("js/format.js", JS),
    asset!("js/messages.js", JS),
    asset!("js/order-facts.js", JS),
    asset!("js/poll.js", JS),
    asset!("js/router.js", JS),
    asset!("js/session.js", JS),
    asset!("js/state.js", JS),
    asset!("js/views/accounts.js", JS),
    asset!("js/views/health-chart.js", JS),
    asset!("js/views/health-checks.js", JS),
    asset!("js/views/health.js", JS),
    asset!("js/views/login.js", JS),
    asset!("js/views/notifications.js", JS),
    asset!("js/views/order-detail.js", JS),
    asset!("js/views/orders.js", JS),
    asset!("js/views/payments.js", JS),
    asset!("js/views/sandbox.js", JS),
];

/// Scripts and styles only from this origin (no inline code), images also from blob: (the
/// payment proofs are fetched with the bearer token and shown as blob URLs), forms only to
/// this origin, and never framed.
const CSP: &str = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; \
                   script-src 'self'; connect-src 'self'; form-action 'self'; \
                   base-uri 'none'; frame-ancestors 'none'";

/// Registers `/`, `/owner`, `/owner/assets/*` and the page's client-side paths, for GET and
/// HEAD (uptime checks and link previews ask with HEAD; the server sends the headers only).
pub fn routes(cfg: &mut web::ServiceConfig) {
    let get_or_head = || web::route().guard(guard::Any(guard::Get()).or(guard::Head()));
    cfg.route("/", get_or_head().to(root))
        .route("/owner", get_or_head().to(index))
        .route("/owner/assets/{path:.*}", get_or_head().to(asset))
        .route("/owner/{tail:.*}", get_or_head().to(index));
}

async fn root() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/owner"))
        .finish()
}

fn page(content_type: &'static str, body: &'static str) -> HttpResponse {
    let mut res = HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(body);
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    res.headers_mut()
        .insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

async fn index() -> HttpResponse {
    page("text/html; charset=utf-8", INDEX)
}

async fn asset(path: web::Path<String>) -> Result<HttpResponse, crate::http::ApiError> {
    ASSETS
        .iter()
        .find(|(name, _, _)| *name == path.as_str())
        .map(|&(_, content_type, body)| page(content_type, body))
        .ok_or_else(|| crate::http::ApiError::not_found("no such asset"))
}

#[cfg(test)]
mod tests;

//! The owner dashboard at `/owner`: three static files compiled into the binary (no Node.js,
//! no build step, nothing to install), served with a strict Content-Security-Policy. The page
//! talks only to the owner API and, in sandbox mode, to `/api/sandbox`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, guard, web};

const INDEX: &str = include_str!("../../assets/owner/index.html");
const APP_JS: &str = include_str!("../../assets/owner/app.js");
const APP_CSS: &str = include_str!("../../assets/owner/app.css");

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
        .route("/owner/assets/{file}", get_or_head().to(asset))
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

async fn asset(file: web::Path<String>) -> Result<HttpResponse, crate::http::ApiError> {
    match file.as_str() {
        "app.js" => Ok(page("text/javascript; charset=utf-8", APP_JS)),
        "app.css" => Ok(page("text/css; charset=utf-8", APP_CSS)),
        _ => Err(crate::http::ApiError::not_found("no such asset")),
    }
}

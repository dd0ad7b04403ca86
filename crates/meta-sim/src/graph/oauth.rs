//! Facebook Login as the onboarding flow sees it: the consent dialog (HTML), the redirect
//! with `code`/`state` or `error=access_denied`, the code exchange with Meta's exact error
//! subcodes, long-lived exchanges, app tokens, `debug_token` and `/me`.

use actix_web::HttpResponse;
use serde_json::{Value, json};

use super::Req;
use super::auth::{self, Caller};
use super::error::GraphErr;
use crate::SimHandle;
use crate::config::WHATSAPP_SCOPES;
use crate::state::{Code, Dialog, Grant, SimState, Token, TokenState};
use crate::util::{append_query, html_escape, random_alnum};

/// `expires_in` of a long-lived user token (~60 days, Meta's usual value).
const LONG_LIVED_SECS: i64 = 5_183_944;
/// A 60-day system-user token.
const SIXTY_DAYS_SECS: i64 = 60 * 24 * 3600;

/// Enough style for the consent page to be usable on a phone (the sandbox's browser test and
/// a newcomer see it).
const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f0f2f5;color:#1c1e21}\
    main{max-width:420px;margin:24px auto;background:#fff;border-radius:8px;padding:20px;\
    box-shadow:0 1px 3px #0003}h1{font-size:20px;color:#1877f2}\
    form{display:inline-block;margin:8px 8px 0 0}button{font-size:16px;min-height:44px;\
    padding:0 20px;border-radius:6px;border:1px solid #1877f2;background:#1877f2;color:#fff}\
    form+form button{background:#fff;color:#1877f2}";

fn html(status: u16, title: &str, body: &str) -> HttpResponse {
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>{STYLE}</style></head>\
         <body><main><h1>{t}</h1>{body}</main></body></html>",
        t = html_escape(title)
    );
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST),
    )
    .content_type("text/html; charset=utf-8")
    .body(page)
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", to.to_owned()))
        .finish()
}

/// `GET /{v}/dialog/oauth`: the consent page.
pub(crate) fn dialog(handle: &SimHandle, r: &Req) -> HttpResponse {
    let mut st = handle.lock();
    if r.param("client_id") != Some(st.config.app_id.as_str()) {
        return html(
            400,
            "Error",
            "<p>Invalid App ID: the app id in the request is not valid.</p>",
        );
    }
    let Some(redirect_uri) = r.param("redirect_uri").filter(|u| !u.is_empty()) else {
        return html(
            400,
            "Error",
            "<p>The parameter redirect_uri is required.</p>",
        );
    };
    if !st.config.redirect_uris.is_empty()
        && !st.config.redirect_uris.iter().any(|u| u == redirect_uri)
    {
        return html(
            400,
            "URL blocked",
            "<p>This redirect failed because the redirect URI is not whitelisted in the app's \
             Client OAuth Settings. Make sure Client and Web OAuth Login are on and add all your \
             app domains as Valid OAuth Redirect URIs.</p>",
        );
    }
    let grant = match r.param("config_id").filter(|c| !c.is_empty()) {
        Some(config) => Grant::Config(config.to_owned()),
        None => Grant::Scopes(
            r.param("scope")
                .unwrap_or("")
                .split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
    };
    let id = random_alnum(24);
    st.dialogs.insert(
        id.clone(),
        Dialog {
            redirect_uri: redirect_uri.to_owned(),
            state: r.param("state").map(str::to_owned),
            grant,
        },
    );
    let user = &st.config.test_user;
    let wabas = if user.waba_ids.is_empty() {
        "<li>(none)</li>".to_owned()
    } else {
        user.waba_ids
            .iter()
            .map(|w| {
                let name = st.wabas.get(w).map_or("", |x| x.name.as_str());
                format!("<li>{} {}</li>", html_escape(w), html_escape(name))
            })
            .collect::<String>()
    };
    let form = |decision: &str, label: &str| {
        format!(
            "<form method=\"post\" action=\"oauth/decision\">\
             <input type=\"hidden\" name=\"dialog_id\" value=\"{id}\">\
             <input type=\"hidden\" name=\"decision\" value=\"{decision}\">\
             <button type=\"submit\">{label}</button></form>"
        )
    };
    let body = format!(
        "<p>Simulated Meta login — <strong>{user}</strong> will connect <strong>{app}</strong> \
         to WhatsApp Business accounts:</p><ul>{wabas}</ul>{cont}{cancel}",
        user = html_escape(&user.name),
        app = html_escape(&st.config.app_name),
        cont = form("continue", "Continue"),
        cancel = form("cancel", "Cancel"),
    );
    html(200, "Simulated Meta login", &body)
}

/// `POST /{v}/dialog/oauth/decision`: Continue or Cancel.
pub(crate) fn decision(handle: &SimHandle, r: &Req) -> HttpResponse {
    let mut st = handle.lock();
    let Some(dialog) = r.param("dialog_id").and_then(|id| st.dialogs.remove(id)) else {
        return html(
            400,
            "Error",
            "<p>This login dialog has expired. Start again.</p>",
        );
    };
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if r.param("decision") == Some("continue") {
        let code = format!("AQ{}", random_alnum(180));
        let expires_at =
            st.now() + chrono::Duration::from_std(st.config.code_ttl).unwrap_or_default();
        st.codes.insert(
            code.clone(),
            Code {
                redirect_uri: dialog.redirect_uri.clone(),
                grant: dialog.grant,
                expires_at,
                used: false,
            },
        );
        pairs.push(("code", code));
    } else {
        pairs.push(("error", "access_denied".to_owned()));
        pairs.push(("error_code", "200".to_owned()));
        pairs.push(("error_description", "Permissions error".to_owned()));
        pairs.push(("error_reason", "user_denied".to_owned()));
    }
    if let Some(state) = dialog.state {
        pairs.push(("state", state));
    }
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    redirect(&append_query(&dialog.redirect_uri, &pairs).replace("%20", "+"))
}

fn check_client(st: &SimState, r: &Req) -> Result<(), GraphErr> {
    if r.param("client_id") != Some(st.config.app_id.as_str()) {
        return Err(GraphErr::new(
            400,
            101,
            "Error validating application. Invalid application ID.",
        ));
    }
    if r.param("client_secret") != Some(st.config.app_secret.as_str()) {
        return Err(GraphErr::new(400, 1, "Error validating client secret."));
    }
    Ok(())
}

fn token_json(value: &str, expires_in: Option<i64>) -> HttpResponse {
    let mut body = json!({ "access_token": value, "token_type": "bearer" });
    if let Some(secs) = expires_in {
        body["expires_in"] = json!(secs);
    }
    HttpResponse::Ok().json(body)
}

/// `GET|POST /{v}/oauth/access_token`.
pub(crate) fn access_token(handle: &SimHandle, r: &Req) -> Result<HttpResponse, GraphErr> {
    let mut st = handle.lock();
    match r.param("grant_type").unwrap_or("authorization_code") {
        "client_credentials" => {
            check_client(&st, r)?;
            Ok(token_json(&st.app_token(), None))
        }
        "fb_exchange_token" => {
            check_client(&st, r)?;
            let old = r
                .param("fb_exchange_token")
                .ok_or_else(|| GraphErr::invalid_param("fb_exchange_token is required"))?;
            let Caller::Token(old) = auth::check_token(&st, old)? else {
                return Err(GraphErr::invalid_param("An app token cannot be exchanged"));
            };
            let now = st.now();
            let secs = if old.kind == "USER" {
                Some(LONG_LIVED_SECS)
            } else if r.param("set_token_expires_in_60_days") == Some("true") {
                Some(SIXTY_DAYS_SECS)
            } else {
                None
            };
            let token = Token {
                issued_at: now,
                expires_at: secs.map(|s| now + chrono::Duration::seconds(s)),
                ..old
            };
            let value = st.mint_token(token);
            Ok(token_json(&value, secs))
        }
        "authorization_code" => exchange_code(&mut st, r),
        other => Err(GraphErr::invalid_param(format!(
            "Unsupported grant_type: {other}"
        ))),
    }
}

fn exchange_code(st: &mut SimState, r: &Req) -> Result<HttpResponse, GraphErr> {
    check_client(st, r)?;
    let code_value = r.param("code").unwrap_or("");
    let now = st.now();
    let Some(code) = st.codes.get(code_value).cloned() else {
        return Err(GraphErr::new(400, 100, "Invalid verification code format.").subcode(36_007));
    };
    if code.used {
        return Err(
            GraphErr::new(400, 100, "This authorization code has been used.").subcode(36_009),
        );
    }
    if code.expires_at <= now {
        return Err(
            GraphErr::new(400, 100, "This authorization code has expired.").subcode(36_007),
        );
    }
    if let Some(uri) = r.param("redirect_uri")
        && uri != code.redirect_uri
    {
        return Err(GraphErr::new(
            400,
            100,
            "Error validating verification code. Please make sure your redirect_uri is identical \
             to the one you used in the OAuth dialog request",
        )
        .subcode(36_008));
    }
    if let Some(c) = st.codes.get_mut(code_value) {
        c.used = true;
    }
    let user = st.config.test_user.clone();
    let (kind, scopes, secs) = match code.grant {
        Grant::Config(_) => (
            "SYSTEM_USER",
            WHATSAPP_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            None,
        ),
        Grant::Scopes(scopes) => {
            let jitter = i64::from(
                crate::util::random_bytes(2)
                    .iter()
                    .map(|b| u16::from(*b))
                    .sum::<u16>(),
            );
            ("USER", scopes, Some(3_600 + jitter * 7 % 3_600))
        }
    };
    let value = st.mint_token(Token {
        kind: kind.to_owned(),
        scopes,
        waba_ids: user.waba_ids,
        user_id: user.user_id,
        business_id: user.business_id,
        issued_at: now,
        expires_at: secs.map(|s| now + chrono::Duration::seconds(s)),
        revoked: false,
    });
    Ok(token_json(&value, secs))
}

/// `GET /{v}/debug_token?input_token=`.
pub(crate) fn debug_token(handle: &SimHandle, r: &Req) -> Result<HttpResponse, GraphErr> {
    let st = handle.lock();
    auth::authenticate(&st, r)?;
    let input = r
        .param("input_token")
        .ok_or_else(|| GraphErr::new(400, 100, "(#100) The parameter input_token is required"))?;
    let app = json!({
        "app_id": st.config.app_id,
        "application": st.config.app_name,
    });
    let mut data = app;
    if input == st.app_token() {
        data["type"] = json!("APP");
        data["is_valid"] = json!(true);
        data["scopes"] = json!([]);
        return Ok(HttpResponse::Ok().json(json!({ "data": data })));
    }
    let Some(token) = st.tokens.get(input) else {
        let data = json!({
            "error": { "code": 190, "message": "Invalid OAuth access token - Cannot parse access token" },
            "is_valid": false,
            "scopes": [],
        });
        return Ok(HttpResponse::Ok().json(json!({ "data": data })));
    };
    let now = st.now();
    let epoch = |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or(0, |t| t.timestamp());
    data["type"] = json!(token.kind);
    data["issued_at"] = json!(token.issued_at.timestamp());
    data["expires_at"] = json!(epoch(token.expires_at));
    data["data_access_expires_at"] = json!(if token.kind == "USER" {
        (token.issued_at + chrono::Duration::days(90)).timestamp()
    } else {
        0
    });
    data["scopes"] = json!(token.scopes);
    let granular: Vec<Value> = token
        .scopes
        .iter()
        .filter(|s| WHATSAPP_SCOPES.contains(&s.as_str()))
        .map(|s| json!({ "scope": s, "target_ids": token.waba_ids }))
        .collect();
    data["granular_scopes"] = json!(granular);
    data["user_id"] = json!(token.user_id);
    match token.state(now) {
        TokenState::Valid => data["is_valid"] = json!(true),
        TokenState::Expired => {
            data["is_valid"] = json!(false);
            let e = GraphErr::expired_token(token.expires_at.unwrap_or(now), now);
            data["error"] = json!({ "code": 190, "message": e.message, "subcode": 463 });
        }
        TokenState::Revoked => {
            data["is_valid"] = json!(false);
            data["error"] = json!({ "code": 190, "message": GraphErr::revoked_token().message, "subcode": 467 });
        }
    }
    Ok(HttpResponse::Ok().json(json!({ "data": data })))
}

/// `GET /{v}/me`.
pub(crate) fn me(handle: &SimHandle, r: &Req) -> Result<HttpResponse, GraphErr> {
    let st = handle.lock();
    let caller = auth::authenticate(&st, r)?;
    let (id, name, business) = match &caller {
        Caller::App => (st.config.app_id.clone(), st.config.app_name.clone(), None),
        Caller::Token(t) => (
            t.user_id.clone(),
            st.config.test_user.name.clone(),
            Some(t.business_id.clone()),
        ),
    };
    let fields = r.param("fields").unwrap_or("id,name");
    let mut out = serde_json::Map::new();
    for f in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        match f {
            "id" => {}
            "name" => {
                out.insert("name".into(), json!(name));
            }
            "client_business_id" => {
                if let Some(b) = &business {
                    out.insert("client_business_id".into(), json!(b));
                }
            }
            other => {
                return Err(GraphErr::new(
                    400,
                    100,
                    format!(
                        "(#100) Tried accessing nonexisting field ({other}) on node type (User)"
                    ),
                ));
            }
        }
    }
    out.insert("id".into(), json!(id));
    Ok(HttpResponse::Ok().json(Value::Object(out)))
}

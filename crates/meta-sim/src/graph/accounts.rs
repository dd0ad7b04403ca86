//! WABAs and their phone numbers: field selection, cursor paging, `health_status`,
//! webhook subscriptions (`subscribed_apps`), registration with PIN rules and the
//! 10-per-72-hours budget.

use actix_web::HttpResponse;
use serde_json::{Map, Value, json};

use super::Req;
use super::auth;
use super::error::GraphErr;
use crate::SimHandle;
use crate::model::Subscription;
use crate::state::{Number, SimState};
use crate::util::{append_query, cursor, parse_cursor};

const MANAGEMENT: &str = "whatsapp_business_management";

const NUMBER_FIELDS: &[&str] = &[
    "id",
    "display_phone_number",
    "verified_name",
    "quality_rating",
    "code_verification_status",
    "name_status",
    "new_name_status",
    "status",
    "platform_type",
    "host_platform",
    "throughput",
    "whatsapp_business_manager_messaging_limit",
    "messaging_limit_tier",
    "account_mode",
    "is_pin_enabled",
    "is_official_business_account",
    "health_status",
];

/// Top-level names of a `fields` parameter (`a,b{c,d},e` → a, b, e).
pub(crate) fn field_names(fields: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0_u32;
    let mut cur = String::new();
    for c in fields.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => out.push(std::mem::take(&mut cur)),
            c if depth == 0 => cur.push(c),
            _ => {}
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty())
        .collect()
}

fn health(st: &SimState, n: &Number) -> Value {
    let s = &n.seed;
    let mut phone =
        json!({ "entity_type": "PHONE_NUMBER", "id": s.id, "can_send_message": s.can_send });
    match s.can_send.as_str() {
        "LIMITED" if !s.health_info.is_empty() => phone["additional_info"] = json!(s.health_info),
        "BLOCKED" => {
            let errors: Vec<Value> = s
                .health_info
                .iter()
                .map(|d| json!({ "error_code": 141_000, "error_description": d, "possible_solution": "Contact support." }))
                .collect();
            phone["errors"] = json!(errors);
        }
        _ => {}
    }
    let business = st
        .wabas
        .get(&n.waba_id)
        .map_or("", |w| w.business_id.as_str());
    // The other entities are always AVAILABLE, so the number's verdict is the worst one.
    let overall = s.can_send.as_str();
    json!({
        "can_send_message": overall,
        "entities": [
            phone,
            { "entity_type": "WABA", "id": n.waba_id, "can_send_message": "AVAILABLE" },
            { "entity_type": "BUSINESS", "id": business, "can_send_message": "AVAILABLE" },
            { "entity_type": "APP", "id": st.config.app_id, "can_send_message": "AVAILABLE" },
        ]
    })
}

fn number_json(st: &SimState, n: &Number, fields: Option<&str>) -> Result<Value, GraphErr> {
    let names: Vec<String> = match fields {
        Some(f) => field_names(f),
        None => NUMBER_FIELDS.iter().map(|f| (*f).to_owned()).collect(),
    };
    let s = &n.seed;
    let mut out = Map::new();
    for name in &names {
        let v = match name.as_str() {
            "id" => json!(s.id),
            "display_phone_number" => json!(s.display_phone_number),
            "verified_name" => json!(s.verified_name),
            "quality_rating" => json!(s.quality_rating),
            "code_verification_status" => json!(s.code_verification_status),
            "name_status" => json!(s.name_status),
            "new_name_status" => json!("NONE"),
            "status" => json!(s.status),
            "platform_type" | "host_platform" => {
                json!(if s.registered {
                    "CLOUD_API"
                } else {
                    "NOT_APPLICABLE"
                })
            }
            "throughput" => json!({ "level": s.throughput_level }),
            "whatsapp_business_manager_messaging_limit" => match &s.messaging_limit {
                Some(l) => json!(l),
                None => continue,
            },
            "messaging_limit_tier" => match &s.legacy_tier {
                Some(l) => json!(l),
                None => continue,
            },
            "account_mode" => json!(s.account_mode),
            "is_pin_enabled" => json!(s.pin.is_some()),
            "is_official_business_account" => json!(false),
            "health_status" => health(st, n),
            other => {
                return Err(GraphErr::new(
                    400,
                    100,
                    format!(
                        "(#100) Tried accessing nonexisting field ({other}) on node type \
                         (WhatsAppBusinessPhoneNumber)"
                    ),
                ));
            }
        };
        out.insert(name.clone(), v);
    }
    out.insert("id".into(), json!(s.id));
    Ok(Value::Object(out))
}

/// Cursor paging over `items` with Meta's `data` + `paging` envelope.
pub(crate) fn page(st: &SimState, r: &Req, items: Vec<Value>) -> Result<Value, GraphErr> {
    let limit = r
        .param("limit")
        .map(|l| {
            l.parse::<usize>()
                .map_err(|_| GraphErr::invalid_param("limit must be a number"))
        })
        .transpose()?
        .unwrap_or(25)
        .clamp(1, 1000);
    let bad_cursor = || GraphErr::invalid_param("The cursor is not valid.");
    let (start, end) = if let Some(after) = r.param("after") {
        let s = parse_cursor(after).ok_or_else(bad_cursor)? + 1;
        (s, s + limit)
    } else if let Some(before) = r.param("before") {
        let e = parse_cursor(before).ok_or_else(bad_cursor)?;
        (e.saturating_sub(limit), e)
    } else {
        (0, limit)
    };
    let end = end.min(items.len());
    let start = start.min(end);
    let data: Vec<Value> = items
        .get(start..end)
        .map(<[Value]>::to_vec)
        .unwrap_or_default();
    if data.is_empty() {
        return Ok(json!({ "data": [] }));
    }
    let mut paging = json!({ "cursors": { "before": cursor(start), "after": cursor(end - 1) } });
    let base = format!(
        "{}/{}/{}",
        st.public_base_url,
        st.config.graph_version,
        r.segs.join("/")
    );
    let mut keep: Vec<(&str, &str)> = r
        .params
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "after" | "before" | "access_token" | "appsecret_proof" | "limit"
            )
        })
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    keep.sort_unstable();
    let limit_s = limit.to_string();
    keep.push(("limit", &limit_s));
    if end < items.len() {
        let c = cursor(end - 1);
        let mut pairs = keep.clone();
        pairs.push(("after", &c));
        paging["next"] = json!(append_query(&base, &pairs));
    }
    if start > 0 {
        let c = cursor(start);
        let mut pairs = keep.clone();
        pairs.push(("before", &c));
        paging["previous"] = json!(append_query(&base, &pairs));
    }
    Ok(json!({ "data": data, "paging": paging }))
}

/// `GET /{waba}/phone_numbers`.
pub(crate) fn list_numbers(
    handle: &SimHandle,
    r: &Req,
    waba_id: &str,
) -> Result<HttpResponse, GraphErr> {
    let st = handle.lock();
    auth::for_waba_id(&st, r, waba_id, MANAGEMENT)?;
    let waba = st
        .wabas
        .get(waba_id)
        .ok_or_else(|| GraphErr::no_object("get", waba_id))?;
    let items = waba
        .number_ids
        .iter()
        .filter_map(|id| st.numbers.get(id))
        .map(|n| number_json(&st, n, r.param("fields")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(page(&st, r, items)?))
}

/// `GET /{phone_number_id}`.
pub(crate) fn get_number(handle: &SimHandle, r: &Req, id: &str) -> Result<HttpResponse, GraphErr> {
    let st = handle.lock();
    auth::for_number(&st, r, id, MANAGEMENT)?;
    let n = st
        .numbers
        .get(id)
        .ok_or_else(|| GraphErr::no_object("get", id))?;
    Ok(HttpResponse::Ok().json(number_json(&st, n, r.param("fields"))?))
}

/// `GET /{waba_id}`.
pub(crate) fn get_waba(handle: &SimHandle, r: &Req, id: &str) -> Result<HttpResponse, GraphErr> {
    let st = handle.lock();
    auth::for_waba_id(&st, r, id, MANAGEMENT)?;
    let w = st
        .wabas
        .get(id)
        .ok_or_else(|| GraphErr::no_object("get", id))?;
    Ok(HttpResponse::Ok().json(json!({
        "id": w.id, "name": w.name, "currency": "USD", "timezone_id": "1",
        "message_template_namespace": format!("sim_{}", w.id),
        "owner_business_info": { "id": w.business_id },
    })))
}

/// `POST /{phone_number_id}`: `{"pin":"123456"}` changes the two-step verification PIN.
pub(crate) fn update_number(
    handle: &SimHandle,
    r: &Req,
    id: &str,
) -> Result<HttpResponse, GraphErr> {
    let mut st = handle.lock();
    auth::for_number(&st, r, id, MANAGEMENT)?;
    let fields = r.fields()?;
    if let Some(pin) = fields.get("pin") {
        let pin = valid_pin(pin)?;
        if let Some(n) = st.numbers.get_mut(id) {
            n.seed.pin = Some(pin);
        }
    }
    Ok(HttpResponse::Ok().json(json!({ "success": true })))
}

fn valid_pin(v: &Value) -> Result<String, GraphErr> {
    let pin = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    if pin.len() == 6 && pin.chars().all(|c| c.is_ascii_digit()) {
        Ok(pin)
    } else {
        Err(GraphErr::invalid_param("Param pin must be 6 digits."))
    }
}

/// `POST /{phone_number_id}/register` and `/deregister`.
pub(crate) fn register(
    handle: &SimHandle,
    r: &Req,
    id: &str,
    register: bool,
) -> Result<HttpResponse, GraphErr> {
    let mut st = handle.lock();
    auth::for_number(&st, r, id, MANAGEMENT)?;
    let fields = r.fields()?;
    if fields.get("messaging_product").and_then(Value::as_str) != Some("whatsapp") {
        return Err(GraphErr::invalid_param(
            "Param messaging_product must be 'whatsapp'.",
        ));
    }
    let pin = if register {
        Some(valid_pin(fields.get("pin").unwrap_or(&Value::Null))?)
    } else {
        None
    };
    let now = st.now();
    let n = st
        .numbers
        .get_mut(id)
        .ok_or_else(|| GraphErr::no_object("post", id))?;
    n.registrations
        .retain(|t| now - *t < chrono::Duration::hours(72));
    if n.registrations.len() >= 10 {
        return Err(GraphErr::wa(
            400,
            133_016,
            "Account register deregister rate limit exceeded",
            "Registration or deregistration failed because there were too many attempts for this \
             phone number in a short period of time.",
        ));
    }
    n.registrations.push(now);
    if let Some(pin) = pin {
        if n.seed.code_verification_status != "VERIFIED" {
            return Err(GraphErr::wa(
                400,
                133_006,
                "Phone number needs to be verified before registering",
                "Verify the phone number with request_code and verify_code first.",
            ));
        }
        match &n.seed.pin {
            Some(existing) if *existing != pin => {
                return Err(GraphErr::wa(
                    400,
                    133_005,
                    "Two step verification PIN Mismatch",
                    "The two-step verification PIN is incorrect.",
                ));
            }
            Some(_) => {}
            None => n.seed.pin = Some(pin),
        }
        n.seed.registered = true;
    } else {
        n.seed.registered = false;
    }
    Ok(HttpResponse::Ok().json(json!({ "success": true })))
}

/// `GET|POST|DELETE /{waba}/subscribed_apps`.
pub(crate) fn subscribed_apps(
    handle: &SimHandle,
    r: &Req,
    waba_id: &str,
) -> Result<HttpResponse, GraphErr> {
    let mut st = handle.lock();
    auth::for_waba_id(&st, r, waba_id, MANAGEMENT)?;
    let app_id = st.config.app_id.clone();
    let app_name = st.config.app_name.clone();
    let method = r.method.as_str().to_owned();
    let fields = if method == "POST" {
        r.fields()?
    } else {
        Map::new()
    };
    let waba = st
        .wabas
        .get_mut(waba_id)
        .ok_or_else(|| GraphErr::no_object(&method, waba_id))?;
    match method.as_str() {
        "GET" => {
            let data: Vec<Value> = waba
                .subscriptions
                .iter()
                .map(|s| {
                    let mut v = json!({ "whatsapp_business_api_data": {
                        "id": s.app_id,
                        "name": app_name,
                        "link": format!("https://www.facebook.com/games/?app_id={}", s.app_id),
                    }});
                    if let Some(uri) = &s.override_callback_uri {
                        v["override_callback_uri"] = json!(uri);
                    }
                    v
                })
                .collect();
            Ok(HttpResponse::Ok().json(json!({ "data": data })))
        }
        "POST" => {
            let uri = fields
                .get("override_callback_uri")
                .and_then(Value::as_str)
                .filter(|u| !u.is_empty())
                .map(str::to_owned);
            let verify = fields
                .get("verify_token")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if let Some(u) = &uri {
                if u.chars().count() > 200
                    || !u.starts_with("https://") && !u.starts_with("http://")
                {
                    return Err(GraphErr::invalid_param(
                        "override_callback_uri must be an HTTPS URL of at most 200 characters.",
                    ));
                }
                if verify.as_deref().is_none_or(str::is_empty) {
                    return Err(GraphErr::invalid_param(
                        "verify_token is required with override_callback_uri.",
                    ));
                }
            }
            waba.subscriptions.retain(|s| s.app_id != app_id);
            waba.subscriptions.push(Subscription {
                app_id,
                verify_token: uri.as_ref().and(verify),
                override_callback_uri: uri,
            });
            Ok(HttpResponse::Ok().json(json!({ "success": true })))
        }
        "DELETE" => {
            waba.subscriptions.retain(|s| s.app_id != app_id);
            Ok(HttpResponse::Ok().json(json!({ "success": true })))
        }
        m => Err(GraphErr::unsupported(m)),
    }
}

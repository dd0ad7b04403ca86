//! `/{waba_id}/message_templates`: paged listing with field selection, creation (PENDING,
//! Meta's name rules and duplicate error) and deletion by name or name + id.

use actix_web::HttpResponse;
use serde_json::{Map, Value, json};

use super::Req;
use super::accounts::{field_names, page};
use super::auth;
use super::error::GraphErr;
use crate::SimHandle;
use crate::model::SeedTemplate;
use crate::state::Template;

const MANAGEMENT: &str = "whatsapp_business_management";
const FIELDS: &[&str] = &[
    "id",
    "name",
    "language",
    "status",
    "category",
    "components",
    "parameter_format",
    "rejected_reason",
];

fn template_json(t: &Template, fields: Option<&str>) -> Result<Value, GraphErr> {
    let names: Vec<String> = match fields {
        Some(f) => field_names(f),
        None => FIELDS.iter().map(|f| (*f).to_owned()).collect(),
    };
    let s = &t.seed;
    let mut out = Map::new();
    for name in &names {
        let v = match name.as_str() {
            "id" => json!(t.id),
            "name" => json!(s.name),
            "language" => json!(s.language),
            "status" => json!(s.status),
            "category" => json!(s.category),
            "components" => s.components.clone(),
            "parameter_format" => json!(s.parameter_format.as_deref().unwrap_or("POSITIONAL")),
            "rejected_reason" => json!(s.rejected_reason.as_deref().unwrap_or("NONE")),
            "quality_score" => json!({ "score": "UNKNOWN" }),
            other => {
                return Err(GraphErr::new(
                    400,
                    100,
                    format!(
                        "(#100) Tried accessing nonexisting field ({other}) on node type (WhatsAppBusinessHSM)"
                    ),
                ));
            }
        };
        out.insert(name.clone(), v);
    }
    out.insert("id".into(), json!(t.id));
    Ok(Value::Object(out))
}

/// The endpoint (GET, POST, DELETE).
pub(crate) fn handle(handle: &SimHandle, r: &Req, waba_id: &str) -> Result<HttpResponse, GraphErr> {
    let mut st = handle.lock();
    auth::for_waba_id(&st, r, waba_id, MANAGEMENT)?;
    match r.method.as_str() {
        "GET" => {
            let waba = st
                .wabas
                .get(waba_id)
                .ok_or_else(|| GraphErr::no_object("get", waba_id))?;
            let items = waba
                .templates
                .iter()
                .filter(|t| r.param("name").is_none_or(|n| t.seed.name == n))
                .filter(|t| {
                    r.param("status")
                        .is_none_or(|s| t.seed.status.eq_ignore_ascii_case(s))
                })
                .filter(|t| r.param("language").is_none_or(|l| t.seed.language == l))
                .map(|t| template_json(t, r.param("fields")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(HttpResponse::Ok().json(page(&st, r, items)?))
        }
        "POST" => {
            let f = r.fields()?;
            let text = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            let (name, language, category) = (
                text("name"),
                text("language"),
                text("category").to_ascii_uppercase(),
            );
            if name.is_empty()
                || name.len() > 512
                || !name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(GraphErr::invalid_param(
                    "Param name must be at most 512 characters: lowercase letters, digits and underscores.",
                ));
            }
            if language.is_empty() {
                return Err(GraphErr::invalid_param("Param language is required."));
            }
            if !matches!(
                category.as_str(),
                "MARKETING" | "UTILITY" | "AUTHENTICATION"
            ) {
                return Err(GraphErr::invalid_param(
                    "Param category must be one of MARKETING, UTILITY, AUTHENTICATION.",
                ));
            }
            let components = match f.get("components") {
                Some(Value::Array(a)) if !a.is_empty() => Value::Array(a.clone()),
                Some(Value::String(s)) => serde_json::from_str::<Value>(s)
                    .ok()
                    .filter(Value::is_array)
                    .ok_or_else(|| GraphErr::invalid_param("Param components must be an array."))?,
                _ => {
                    return Err(GraphErr::invalid_param(
                        "Param components must be a non-empty array.",
                    ));
                }
            };
            let id = st.next_numeric_id();
            let waba = st
                .wabas
                .get_mut(waba_id)
                .ok_or_else(|| GraphErr::no_object("post", waba_id))?;
            if waba
                .templates
                .iter()
                .any(|t| t.seed.name == name && t.seed.language == language)
            {
                let mut e = GraphErr::new(400, 100, "Invalid parameter").subcode(2_388_024);
                e.is_transient = Some(false);
                e.user_title = Some("Message template already exists".to_owned());
                e.user_msg = Some(format!(
                    "Content in this language already exists: there is already {language} content for this template ({name})."
                ));
                return Err(e);
            }
            waba.templates.push(Template {
                id: id.clone(),
                seed: SeedTemplate {
                    name,
                    language,
                    status: "PENDING".to_owned(),
                    category: category.clone(),
                    components,
                    parameter_format: f
                        .get("parameter_format")
                        .and_then(Value::as_str)
                        .map(str::to_ascii_uppercase),
                    rejected_reason: None,
                },
            });
            Ok(HttpResponse::Ok()
                .json(json!({ "id": id, "status": "PENDING", "category": category })))
        }
        "DELETE" => {
            let name = r.param("name").unwrap_or("");
            let hsm_id = r.param("hsm_id");
            let waba = st
                .wabas
                .get_mut(waba_id)
                .ok_or_else(|| GraphErr::no_object("delete", waba_id))?;
            let before = waba.templates.len();
            waba.templates
                .retain(|t| !(t.seed.name == name && hsm_id.is_none_or(|id| t.id == id)));
            if waba.templates.len() == before {
                return Err(GraphErr::invalid_param(format!(
                    "Message template \"{name}\" not found."
                )));
            }
            Ok(HttpResponse::Ok().json(json!({ "success": true })))
        }
        m => Err(GraphErr::unsupported(m)),
    }
}

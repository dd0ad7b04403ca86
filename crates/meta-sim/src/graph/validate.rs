//! Payload checks of the messages endpoint, with Meta's limits (meta-api.md §6): text
//! length, media id xor link, interactive buttons and lists, location requests, reactions.
//! Template checks need the WABA's templates and live in `messages`.

use serde_json::{Map, Value};

use super::error::GraphErr;

/// The send types the endpoint accepts.
pub(crate) const TYPES: &[&str] = &[
    "text",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "template",
    "reaction",
];

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Checks a string field's length; `required` when it must be present and non-empty.
fn check_len(v: &Value, path: &[&str], max: usize, required: bool) -> Result<(), GraphErr> {
    let name = path.join(".");
    match str_at(v, path) {
        Some(s) if s.is_empty() && required => Err(GraphErr::bad_value(format!(
            "Param {name} must be at least 1 character long."
        ))),
        Some(s) if chars(s) > max => Err(GraphErr::bad_value(format!(
            "Param {name} is too long. Max length: {max}."
        ))),
        Some(_) => Ok(()),
        None if required => Err(GraphErr::wa(
            400,
            131_008,
            "Required parameter is missing",
            format!("Param {name} is required."),
        )),
        None => Ok(()),
    }
}

/// Validates the type-specific object of a send (`body[type]`).
pub(crate) fn content(kind: &str, msg: &Map<String, Value>) -> Result<(), GraphErr> {
    let obj = msg.get(kind).cloned().unwrap_or(Value::Null);
    if !obj.is_object() && kind != "contacts" {
        return Err(GraphErr::invalid_param(format!(
            "Param {kind} is required and must be an object."
        )));
    }
    match kind {
        "text" => match obj.get("body").and_then(Value::as_str) {
            None | Some("") => Err(GraphErr::invalid_param("Param text['body'] is required.")),
            Some(b) if chars(b) > 4096 => Err(GraphErr::invalid_param(
                "Param text['body'] must be at most 4096 characters long.",
            )),
            Some(_) => Ok(()),
        },
        "image" | "audio" | "video" | "document" | "sticker" => {
            let id = obj
                .get("id")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty());
            let link = obj
                .get("link")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty());
            match (id, link) {
                (Some(_), Some(_)) | (None, None) => Err(GraphErr::invalid_param(format!(
                    "Param {kind} must have exactly one of 'id' or 'link'."
                ))),
                (None, Some(l)) if !(l.starts_with("https://") || l.starts_with("http://")) => Err(
                    GraphErr::invalid_param(format!("Param {kind}['link'] must be a valid URL.")),
                ),
                _ => check_len(&obj, &["caption"], 1024, false),
            }
        }
        "location" => {
            let num = |k: &str| {
                obj.get(k).is_some_and(|v| {
                    v.is_number() || v.as_str().is_some_and(|s| s.parse::<f64>().is_ok())
                })
            };
            if num("latitude") && num("longitude") {
                Ok(())
            } else {
                Err(GraphErr::invalid_param(
                    "Params location['latitude'] and location['longitude'] are required.",
                ))
            }
        }
        "reaction" => {
            let ok = obj
                .get("message_id")
                .and_then(Value::as_str)
                .is_some_and(|m| !m.is_empty());
            if ok && obj.get("emoji").is_none_or(Value::is_string) {
                Ok(())
            } else {
                Err(GraphErr::invalid_param(
                    "Param reaction['message_id'] is required.",
                ))
            }
        }
        "interactive" => interactive(&obj),
        _ => Ok(()),
    }
}

fn interactive(v: &Value) -> Result<(), GraphErr> {
    check_len(v, &["header", "text"], 60, false)?;
    check_len(v, &["footer", "text"], 60, false)?;
    match v.get("type").and_then(Value::as_str) {
        Some("button") => buttons(v),
        Some("list") => list(v),
        Some("cta_url") => {
            check_len(v, &["body", "text"], 1024, true)?;
            check_len(v, &["action", "parameters", "display_text"], 20, true)?;
            check_len(v, &["action", "parameters", "url"], 2000, true)
        }
        Some("location_request_message") => {
            check_len(v, &["body", "text"], 1024, true)?;
            if str_at(v, &["action", "name"]) == Some("send_location") {
                Ok(())
            } else {
                Err(GraphErr::bad_value(
                    "Param action.name must be 'send_location'.",
                ))
            }
        }
        Some(
            "flow"
            | "product"
            | "product_list"
            | "catalog_message"
            | "address_message"
            | "call_permission_request",
        ) => Ok(()),
        Some(other) => Err(GraphErr::bad_value(format!(
            "Interactive type '{other}' is not valid."
        ))),
        None => Err(GraphErr::wa(
            400,
            131_008,
            "Required parameter is missing",
            "Param interactive.type is required.",
        )),
    }
}

fn buttons(v: &Value) -> Result<(), GraphErr> {
    check_len(v, &["body", "text"], 1024, true)?;
    let list = v
        .pointer("/action/buttons")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if list.is_empty() || list.len() > 3 {
        return Err(GraphErr::bad_value(format!(
            "Buttons count is invalid. Min: 1, Max: 3, given: {}.",
            list.len()
        )));
    }
    let mut ids = Vec::new();
    let mut titles = Vec::new();
    for b in &list {
        if b.get("type").and_then(Value::as_str) != Some("reply") {
            return Err(GraphErr::bad_value("Button type must be 'reply'."));
        }
        let id = str_at(b, &["reply", "id"]).unwrap_or("");
        let title = str_at(b, &["reply", "title"]).unwrap_or("");
        if id.is_empty() || chars(id) > 256 {
            return Err(GraphErr::bad_value(
                "Button id length invalid. Min length: 1, Max length: 256.",
            ));
        }
        if title.is_empty() || chars(title) > 20 {
            return Err(GraphErr::bad_value(
                "Button title length invalid. Min length: 1, Max length: 20.",
            ));
        }
        if ids.contains(&id) {
            return Err(GraphErr::bad_value(format!("Duplicate button id: {id}.")));
        }
        if titles.contains(&title) {
            return Err(GraphErr::bad_value(format!(
                "Duplicate button title: {title}."
            )));
        }
        ids.push(id);
        titles.push(title);
    }
    Ok(())
}

fn list(v: &Value) -> Result<(), GraphErr> {
    check_len(v, &["body", "text"], 4096, true)?;
    check_len(v, &["action", "button"], 20, true)?;
    let sections = v
        .pointer("/action/sections")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if sections.is_empty() || sections.len() > 10 {
        return Err(GraphErr::bad_value(
            "Sections count is invalid. Min: 1, Max: 10.",
        ));
    }
    let mut total = 0;
    let mut ids = Vec::new();
    for s in &sections {
        check_len(s, &["title"], 24, sections.len() > 1)?;
        let rows = s
            .get("rows")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if rows.is_empty() {
            return Err(GraphErr::bad_value("Each section needs at least one row."));
        }
        total += rows.len();
        for row in &rows {
            check_len(row, &["id"], 200, true)?;
            check_len(row, &["title"], 24, true)?;
            check_len(row, &["description"], 72, false)?;
            let id = str_at(row, &["id"]).unwrap_or("").to_owned();
            if ids.contains(&id) {
                return Err(GraphErr::bad_value(format!("Duplicate row id: {id}.")));
            }
            ids.push(id);
        }
    }
    if total > 10 {
        return Err(GraphErr::bad_value(format!(
            "Rows count is invalid. Max: 10 in total, given: {total}."
        )));
    }
    Ok(())
}

/// The number of distinct `{{...}}` placeholders in a template text.
pub(crate) fn placeholders(text: &str) -> usize {
    let mut found: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim();
        if !name.is_empty() && !found.contains(&name) {
            found.push(name);
        }
        rest = &after[end + 2..];
    }
    found.len()
}

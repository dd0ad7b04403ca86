//! `POST /v1/chat/completions`: checks the key and the request the way OpenAI does (a `tool`
//! message must answer a preceding `tool_calls`, every call must be answered before the
//! conversation goes on, tools must be functions), then serves the next scripted answer, or
//! "OK" when the script is empty.

use actix_web::{HttpRequest, HttpResponse};
use serde_json::{Map, Value, json};

use super::error::OpenAiErr;
use super::model::{ChatReply, OpenAiEndpoint, ScriptedChat};
use super::{authenticate, faults, read_body, record};
use crate::SimHandle;
use crate::fault::Endpoint;

/// The answer when nothing is scripted.
pub const DEFAULT_REPLY: &str = "OK";

/// The handler.
pub(crate) async fn completions(
    handle: SimHandle,
    req: HttpRequest,
    payload: actix_web::web::Payload,
) -> HttpResponse {
    let body = read_body(payload).await;
    let parsed = body
        .as_ref()
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(b).ok());
    let authorized = record(
        &handle,
        &req,
        OpenAiEndpoint::ChatCompletions,
        parsed.clone().unwrap_or(Value::Null),
    );
    if let Some(resp) = faults::apply(&handle, Endpoint::OpenAiChat).await {
        return resp;
    }
    if let Err(e) = authenticate(&req, authorized) {
        return e.response();
    }
    let Some(Value::Object(body)) = parsed else {
        return OpenAiErr::new(
            400,
            "invalid_request_error",
            "We could not parse the JSON body of your request. (HINT: This likely means you \
             aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)",
        )
        .response();
    };
    match serve(&handle, &body).await {
        Ok(resp) => resp,
        Err(e) => e.response(),
    }
}

async fn serve(handle: &SimHandle, body: &Map<String, Value>) -> Result<HttpResponse, OpenAiErr> {
    let model = validate(body)?;
    let scripted = handle.lock().openai.take_script(&model);
    let scripted = scripted.unwrap_or_else(|| ScriptedChat::content(DEFAULT_REPLY));
    let (message, finish_reason) = match scripted.reply {
        ChatReply::Error {
            status,
            message,
            kind,
            code,
        } => {
            let mut e = OpenAiErr::new(status, &kind, message);
            e.code = code;
            return Err(e);
        }
        ChatReply::Stall { ms } => {
            tokio::time::sleep(ms).await;
            (assistant(Some(DEFAULT_REPLY), None), "stop")
        }
        ChatReply::Content { text } => (assistant(Some(&text), None), "stop"),
        ChatReply::ToolCalls { calls, content } => {
            let calls: Vec<Value> = {
                let mut st = handle.lock();
                calls
                    .iter()
                    .map(|c| {
                        json!({
                            "id": format!("call_sim{:06}", st.openai.next_id()),
                            "type": "function",
                            "function": { "name": c.name, "arguments": c.arguments },
                        })
                    })
                    .collect()
            };
            (assistant(content.as_deref(), Some(calls)), "tool_calls")
        }
    };
    let (prompt_tokens, completion_tokens) = scripted.usage.unwrap_or_else(|| {
        let prompt = body.get("messages").map_or(0, |m| m.to_string().len());
        (estimate(prompt), estimate(message.to_string().len()))
    });
    let (id, created) = {
        let mut st = handle.lock();
        (st.openai.next_id(), st.now().timestamp())
    };
    Ok(HttpResponse::Ok().json(json!({
        "id": format!("chatcmpl-sim{id:06}"),
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": finish_reason,
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "system_fingerprint": "fp_meta_sim",
    })))
}

/// About four characters a token, at least one.
fn estimate(chars: usize) -> u64 {
    u64::try_from(chars.div_ceil(4)).unwrap_or(u64::MAX).max(1)
}

fn assistant(content: Option<&str>, tool_calls: Option<Vec<Value>>) -> Value {
    let mut m = json!({ "role": "assistant", "content": content, "refusal": null });
    if let (Some(calls), Some(obj)) = (tool_calls, m.as_object_mut()) {
        obj.insert("tool_calls".into(), Value::Array(calls));
    }
    m
}

/// Checks the request; returns the model.
fn validate(body: &Map<String, Value>) -> Result<String, OpenAiErr> {
    let model = match body.get("model") {
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
        _ => {
            return Err(OpenAiErr::invalid(
                "model",
                "you must provide a model parameter",
            ));
        }
    };
    let messages = match body.get("messages") {
        Some(Value::Array(m)) if !m.is_empty() => m,
        Some(Value::Array(_)) => {
            return Err(OpenAiErr::invalid(
                "messages",
                "Invalid 'messages': empty array. Expected an array with minimum length 1, but \
                 got an empty array instead.",
            ));
        }
        _ => {
            return Err(OpenAiErr::invalid(
                "messages",
                "Missing required parameter: 'messages'.",
            ));
        }
    };
    validate_messages(messages)?;
    let tool_names = validate_tools(body.get("tools"))?;
    validate_tool_choice(body.get("tool_choice"), &tool_names)?;
    Ok(model)
}

fn validate_messages(messages: &[Value]) -> Result<(), OpenAiErr> {
    let mut pending: Vec<String> = Vec::new();
    let unanswered = |i: usize, pending: &[String]| {
        OpenAiErr::invalid(
            &format!("messages.[{i}].role"),
            format!(
                "An assistant message with 'tool_calls' must be followed by tool messages \
                 responding to each 'tool_call_id'. The following tool_call_ids did not have \
                 response messages: {}",
                pending.join(", ")
            ),
        )
    };
    for (i, m) in messages.iter().enumerate() {
        let role = m.get("role").and_then(Value::as_str).unwrap_or("");
        match role {
            "tool" => {
                let id = m.get("tool_call_id").and_then(Value::as_str).unwrap_or("");
                let Some(pos) = pending.iter().position(|p| p == id) else {
                    return Err(OpenAiErr::invalid(
                        &format!("messages.[{i}].role"),
                        "Invalid parameter: messages with role 'tool' must be a response to a \
                         preceeding message with 'tool_calls'.",
                    ));
                };
                pending.remove(pos);
                if !m.get("content").is_some_and(Value::is_string) {
                    return Err(OpenAiErr::invalid(
                        &format!("messages[{i}].content"),
                        "Invalid type for 'content': expected a string.",
                    ));
                }
            }
            "system" | "developer" | "user" | "assistant" => {
                if !pending.is_empty() {
                    return Err(unanswered(i, &pending));
                }
                if role == "assistant" {
                    pending = tool_call_ids(i, m)?;
                } else if !m
                    .get("content")
                    .is_some_and(|c| c.is_string() || c.is_array())
                {
                    return Err(OpenAiErr::invalid(
                        &format!("messages[{i}].content"),
                        format!("Missing required parameter: 'messages[{i}].content'."),
                    ));
                }
            }
            other => {
                return Err(OpenAiErr::invalid(
                    &format!("messages[{i}].role"),
                    format!(
                        "Invalid value: '{other}'. Supported values are: 'system', 'assistant', \
                         'user', 'tool', 'function', and 'developer'."
                    ),
                ));
            }
        }
    }
    if pending.is_empty() {
        Ok(())
    } else {
        Err(unanswered(messages.len(), &pending))
    }
}

/// The ids of an assistant message's `tool_calls`, checked.
fn tool_call_ids(i: usize, m: &Value) -> Result<Vec<String>, OpenAiErr> {
    let Some(calls) = m.get("tool_calls") else {
        return Ok(Vec::new());
    };
    let Some(calls) = calls.as_array() else {
        return Err(OpenAiErr::invalid(
            &format!("messages[{i}].tool_calls"),
            "Invalid type for 'tool_calls': expected an array.",
        ));
    };
    calls
        .iter()
        .enumerate()
        .map(|(j, c)| {
            let ok = c.get("type").and_then(Value::as_str) == Some("function")
                && c.pointer("/function/name").is_some_and(Value::is_string)
                && c.pointer("/function/arguments")
                    .is_some_and(Value::is_string);
            match c.get("id").and_then(Value::as_str) {
                Some(id) if ok && !id.is_empty() => Ok(id.to_owned()),
                _ => Err(OpenAiErr::invalid(
                    &format!("messages[{i}].tool_calls[{j}]"),
                    "Invalid tool call: expected an id, type 'function' and a function with a \
                     name and string arguments.",
                )),
            }
        })
        .collect()
}

/// Checks `tools`; returns the function names offered.
fn validate_tools(tools: Option<&Value>) -> Result<Vec<String>, OpenAiErr> {
    let Some(tools) = tools else {
        return Ok(Vec::new());
    };
    let Some(tools) = tools.as_array() else {
        return Err(OpenAiErr::invalid(
            "tools",
            "Invalid type for 'tools': expected an array.",
        ));
    };
    let mut names = Vec::new();
    for (i, t) in tools.iter().enumerate() {
        if t.get("type").and_then(Value::as_str) != Some("function") {
            return Err(OpenAiErr::invalid(
                &format!("tools[{i}].type"),
                "Invalid value. Supported values are: 'function'.",
            ));
        }
        let name = t.pointer("/function/name").and_then(Value::as_str);
        let valid = name.is_some_and(|n| {
            !n.is_empty()
                && n.len() <= 64
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        });
        match name {
            Some(n) if valid && !names.iter().any(|x| x == n) => names.push(n.to_owned()),
            _ => {
                return Err(OpenAiErr::invalid(
                    &format!("tools[{i}].function.name"),
                    "Invalid 'tools[].function.name': a unique name of 1 to 64 letters, digits, \
                     underscores or dashes is required.",
                ));
            }
        }
        if let Some(p) = t.pointer("/function/parameters")
            && !p.is_object()
        {
            return Err(OpenAiErr::invalid(
                &format!("tools[{i}].function.parameters"),
                "Invalid type for 'parameters': expected an object (a JSON Schema).",
            ));
        }
    }
    Ok(names)
}

fn validate_tool_choice(choice: Option<&Value>, tools: &[String]) -> Result<(), OpenAiErr> {
    match choice {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if s == "none" => Ok(()),
        Some(Value::String(s)) if s == "auto" || s == "required" => {
            if tools.is_empty() {
                Err(OpenAiErr::invalid(
                    "tool_choice",
                    "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' \
                     are specified.",
                ))
            } else {
                Ok(())
            }
        }
        Some(Value::Object(o)) => {
            let name = o.get("function").and_then(|f| f.get("name")?.as_str());
            if o.get("type").and_then(Value::as_str) == Some("function")
                && name.is_some_and(|n| tools.iter().any(|t| t == n))
            {
                Ok(())
            } else {
                Err(OpenAiErr::invalid(
                    "tool_choice",
                    "Invalid 'tool_choice': it must name a function among 'tools'.",
                ))
            }
        }
        Some(_) => Err(OpenAiErr::invalid(
            "tool_choice",
            "Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or a function.",
        )),
    }
}

//! The OpenAI side over real HTTP: shapes, key checks, request validation, the script, audio
//! round trips, faults and the control API.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::*;
use crate::{Endpoint, Fault, FaultRule, MetaSim, SimConfig};

async fn sim() -> (MetaSim, reqwest::Client) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = MetaSim::start(SimConfig::default())
        .await
        .unwrap_or_else(|e| panic!("start: {e}"));
    let http = reqwest::Client::builder()
        .build()
        .unwrap_or_else(|e| panic!("client: {e}"));
    (sim, http)
}

async fn post_chat(sim: &MetaSim, http: &reqwest::Client, key: &str, body: &Value) -> (u16, Value) {
    let resp = http
        .post(format!("{}/chat/completions", sim.openai_base_url()))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("send: {e}"));
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn hello() -> Value {
    json!({ "model": "gpt-4o-mini", "messages": [{ "role": "user", "content": "hello" }] })
}

#[tokio::test]
async fn an_empty_script_answers_ok_with_usage_and_the_request_is_logged() {
    let (sim, http) = sim().await;
    let (status, body) = post_chat(&sim, &http, DEFAULT_API_KEY, &hello()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["choices"][0]["message"]["content"], DEFAULT_REPLY);
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert!(body["choices"][0]["message"].get("tool_calls").is_none());
    let usage = &body["usage"];
    assert_eq!(
        usage["total_tokens"].as_u64(),
        Some(
            usage["prompt_tokens"].as_u64().unwrap_or(0)
                + usage["completion_tokens"].as_u64().unwrap_or(0)
        )
    );
    let log = sim.handle().openai_requests();
    assert_eq!(log.len(), 1);
    assert!(log[0].authorized);
    assert_eq!(log[0].body, hello());
}

#[tokio::test]
async fn a_wrong_or_missing_key_gets_openai_401_bodies() {
    let (sim, http) = sim().await;
    let (status, body) = post_chat(&sim, &http, "sk-not-the-right-key", &hello()).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "invalid_api_key");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(body["error"]["param"].is_null());
    let message = body["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains("sk-*"), "{message}");
    assert!(
        !message.contains("not-the-right"),
        "key is masked: {message}"
    );

    let resp = http
        .post(format!("{}/chat/completions", sim.openai_base_url()))
        .json(&hello())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resp.status(), 401);
    assert!(!sim.handle().openai_requests()[1].authorized);

    sim.handle().set_openai_api_key("sk-new");
    assert_eq!(post_chat(&sim, &http, "sk-new", &hello()).await.0, 200);
    assert_eq!(
        post_chat(&sim, &http, DEFAULT_API_KEY, &hello()).await.0,
        401
    );
}

#[tokio::test]
async fn scripted_answers_are_served_in_order_and_by_model() {
    let (sim, http) = sim().await;
    let h = sim.handle();
    h.push_chat_scripts([
        ScriptedChat::content("for the big model").for_model("gpt-4o"),
        ScriptedChat::tool_calls(vec![
            ScriptedToolCall::new("add_item", &json!({ "item": "Zinger", "quantity": 2 })),
            ScriptedToolCall::raw("confirm_order", "{not json"),
        ])
        .with_usage(100, 20),
        ScriptedChat::content("second"),
    ]);
    let (_, first) = post_chat(&sim, &http, DEFAULT_API_KEY, &hello()).await;
    let msg = &first["choices"][0]["message"];
    assert_eq!(first["choices"][0]["finish_reason"], "tool_calls");
    assert!(msg["content"].is_null());
    let calls = msg["tool_calls"].as_array().cloned().unwrap_or_default();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["type"], "function");
    assert_eq!(calls[0]["function"]["name"], "add_item");
    let args: Value =
        serde_json::from_str(calls[0]["function"]["arguments"].as_str().unwrap_or(""))
            .unwrap_or(Value::Null);
    assert_eq!(args["quantity"], 2);
    assert_eq!(calls[1]["function"]["arguments"], "{not json");
    assert_ne!(calls[0]["id"], calls[1]["id"]);
    assert_eq!(first["usage"]["total_tokens"], 120);

    let (_, second) = post_chat(&sim, &http, DEFAULT_API_KEY, &hello()).await;
    assert_eq!(second["choices"][0]["message"]["content"], "second");
    let mut big = hello();
    big["model"] = json!("gpt-4o");
    let (_, third) = post_chat(&sim, &http, DEFAULT_API_KEY, &big).await;
    assert_eq!(
        third["choices"][0]["message"]["content"],
        "for the big model"
    );
    assert!(h.pending_chat_scripts().is_empty());
}

#[tokio::test]
async fn tool_messages_must_answer_every_preceding_tool_call() {
    let (sim, http) = sim().await;
    let call = json!({ "id": "call_1", "type": "function",
        "function": { "name": "add_item", "arguments": "{}" } });
    let orphan = json!({ "model": "m", "messages": [
        { "role": "user", "content": "hi" },
        { "role": "tool", "tool_call_id": "call_1", "content": "{\"ok\":true}" },
    ]});
    let (status, body) = post_chat(&sim, &http, DEFAULT_API_KEY, &orphan).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("role 'tool'")
    );

    let unanswered = json!({ "model": "m", "messages": [
        { "role": "user", "content": "hi" },
        { "role": "assistant", "content": null, "tool_calls": [call] },
        { "role": "user", "content": "and?" },
    ]});
    let (status, body) = post_chat(&sim, &http, DEFAULT_API_KEY, &unanswered).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("call_1")
    );

    let answered = json!({ "model": "m", "tool_choice": "auto",
        "tools": [{ "type": "function", "function": { "name": "add_item", "parameters": { "type": "object" } } }],
        "messages": [
            { "role": "user", "content": "hi" },
            { "role": "assistant", "content": null, "tool_calls": [call] },
            { "role": "tool", "tool_call_id": "call_1", "content": "{\"ok\":true}" },
    ]});
    assert_eq!(
        post_chat(&sim, &http, DEFAULT_API_KEY, &answered).await.0,
        200
    );

    let bad_tool = json!({ "model": "m", "tools": [{ "type": "retrieval" }],
        "messages": [{ "role": "user", "content": "hi" }] });
    assert_eq!(
        post_chat(&sim, &http, DEFAULT_API_KEY, &bad_tool).await.0,
        400
    );
    let choice_without_tools = json!({ "model": "m", "tool_choice": "required",
        "messages": [{ "role": "user", "content": "hi" }] });
    assert_eq!(
        post_chat(&sim, &http, DEFAULT_API_KEY, &choice_without_tools)
            .await
            .0,
        400
    );
    let no_model = json!({ "messages": [{ "role": "user", "content": "hi" }] });
    let (status, body) = post_chat(&sim, &http, DEFAULT_API_KEY, &no_model).await;
    assert_eq!(
        (status, body["error"]["param"].clone()),
        (400, json!("model"))
    );
}

#[tokio::test]
async fn scripted_errors_and_faults_look_like_openai_failures() {
    let (sim, http) = sim().await;
    let h = sim.handle();
    h.push_chat_script(ScriptedChat::error(503, "overloaded"));
    let (status, body) = post_chat(&sim, &http, DEFAULT_API_KEY, &hello()).await;
    assert_eq!(
        (status, body["error"]["message"].clone()),
        (503, json!("overloaded"))
    );
    assert_eq!(body["error"]["type"], "server_error");

    h.inject_fault(FaultRule::times(
        Endpoint::OpenAiChat,
        Fault::ServerError(500),
        1,
    ));
    let (status, body) = post_chat(&sim, &http, DEFAULT_API_KEY, &hello()).await;
    assert_eq!(
        (status, body["error"]["type"].clone()),
        (500, json!("server_error"))
    );

    h.inject_fault(FaultRule::times(
        Endpoint::OpenAiChat,
        Fault::RateLimited {
            code: 0,
            retry_after: Some(Duration::from_secs(7)),
        },
        1,
    ));
    let resp = http
        .post(format!("{}/chat/completions", sim.openai_base_url()))
        .bearer_auth(DEFAULT_API_KEY)
        .json(&hello())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");

    // Graph's `Any` stays on the Graph side.
    h.inject_fault(FaultRule::always(Endpoint::Any, Fault::ServerError(500)));
    assert_eq!(
        post_chat(&sim, &http, DEFAULT_API_KEY, &hello()).await.0,
        200
    );
}

#[tokio::test]
async fn a_scripted_stall_outlasts_a_short_client_timeout() {
    let (sim, _) = sim().await;
    sim.handle()
        .push_chat_script(ScriptedChat::stall(Duration::from_secs(5)));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let err = http
        .post(format!("{}/chat/completions", sim.openai_base_url()))
        .bearer_auth(DEFAULT_API_KEY)
        .json(&hello())
        .send()
        .await
        .err();
    assert!(err.is_some_and(|e| e.is_timeout()));
    assert!(started.elapsed() < Duration::from_secs(3));
}

async fn transcribe(sim: &MetaSim, http: &reqwest::Client, bytes: Vec<u8>) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name("voice.ogg")
        .mime_str("audio/ogg")
        .unwrap_or_else(|e| panic!("{e}"));
    let form = reqwest::multipart::Form::new()
        .text("model", "whisper-1")
        .part("file", part);
    let resp = http
        .post(format!("{}/audio/transcriptions", sim.openai_base_url()))
        .bearer_auth(DEFAULT_API_KEY)
        .multipart(form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn transcriptions_use_registered_clips_then_the_marker_else_fail() {
    let (sim, http) = sim().await;
    let clip = b"\x01\x02real-looking opus bytes".to_vec();
    sim.handle().register_transcript(&clip, "do zinger burger");
    assert_eq!(
        transcribe(&sim, &http, clip).await,
        (200, json!({ "text": "do zinger burger" }))
    );
    assert_eq!(
        transcribe(&sim, &http, b"OMNI-VOICE:mujhe biryani chahiye".to_vec()).await,
        (200, json!({ "text": "mujhe biryani chahiye" }))
    );
    let (status, body) = transcribe(&sim, &http, b"unknown audio".to_vec()).await;
    assert_eq!(
        (status, body["error"]["param"].clone()),
        (400, json!("file"))
    );
    let logged = sim.handle().requests_to(OpenAiEndpoint::Transcriptions);
    assert_eq!(logged.len(), 3);
    assert_eq!(logged[0]["model"], "whisper-1");
    assert_eq!(logged[0]["file_name"], "voice.ogg");
    assert_eq!(logged[0]["file_content_type"], "audio/ogg");
}

#[tokio::test]
async fn speech_returns_ogg_that_transcribes_back() {
    let (sim, http) = sim().await;
    let resp = http
        .post(format!("{}/audio/speech", sim.openai_base_url()))
        .bearer_auth(DEFAULT_API_KEY)
        .json(&json!({ "model": "tts-1", "input": "Aap ka order aa raha hai", "voice": "alloy", "response_format": "opus" }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "audio/ogg");
    let bytes = resp.bytes().await.unwrap_or_default().to_vec();
    assert!(bytes.starts_with(b"OggS"));
    assert_eq!(
        transcribe(&sim, &http, bytes).await,
        (200, json!({ "text": "Aap ka order aa raha hai" }))
    );
    let no_voice = http
        .post(format!("{}/audio/speech", sim.openai_base_url()))
        .bearer_auth(DEFAULT_API_KEY)
        .json(&json!({ "model": "tts-1", "input": "x" }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(no_voice.status(), 400);
    sim.handle().inject_fault(FaultRule::times(
        Endpoint::OpenAiSpeech,
        Fault::ServerError(502),
        1,
    ));
    let failed = http
        .post(format!("{}/audio/speech", sim.openai_base_url()))
        .bearer_auth(DEFAULT_API_KEY)
        .json(&json!({ "model": "tts-1", "input": "x", "voice": "alloy" }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(failed.status(), 502);
}

#[tokio::test]
async fn the_control_api_scripts_chats_and_registers_transcripts() {
    let (sim, http) = sim().await;
    let base = sim.base_url();
    let resp = http
        .post(format!("{base}/_sim/openai/script"))
        .json(&json!([
            { "reply": { "type": "tool_calls", "calls": [{ "name": "handover", "arguments": "{}" }] } },
            { "reply": { "type": "content", "text": "bye" }, "usage": [3, 4] },
        ]))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resp.status(), 200);
    let pending: Value = http
        .get(format!("{base}/_sim/openai/script"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or(Value::Null);
    assert_eq!(pending.as_array().map(Vec::len), Some(2));
    let (_, first) = post_chat(&sim, &http, DEFAULT_API_KEY, &hello()).await;
    assert_eq!(
        first["choices"][0]["message"]["tool_calls"][0]["function"]["name"],
        "handover"
    );
    let (_, second) = post_chat(&sim, &http, DEFAULT_API_KEY, &hello()).await;
    assert_eq!(second["usage"]["total_tokens"], 7);

    let resp = http
        .post(format!("{base}/_sim/openai/transcripts"))
        .json(&json!({ "audio_base64": "AQID", "text": "teen" }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resp.status(), 200);
    assert_eq!(
        transcribe(&sim, &http, vec![1, 2, 3]).await.1,
        json!({ "text": "teen" })
    );

    let log: Value = http
        .get(format!("{base}/_sim/openai/requests"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or(Value::Null);
    assert_eq!(log.as_array().map(Vec::len), Some(3));
    assert_eq!(log[2]["endpoint"], "transcriptions");
}

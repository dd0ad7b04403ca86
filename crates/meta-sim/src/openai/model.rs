//! What tests script and inspect on the OpenAI side: queued chat completion answers
//! ([`ScriptedChat`]) and the log of every request ([`OpenAiRequest`]). Serde types, so the
//! `/_sim/openai` control API speaks them too.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One queued answer of `POST /v1/chat/completions`. Answers are served first in, first out;
/// one with a `model` only answers requests for that model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptedChat {
    /// Only requests for this model take it; `None` = any model.
    #[serde(default)]
    pub model: Option<String>,
    /// What the request gets.
    pub reply: ChatReply,
    /// `usage` as `(prompt_tokens, completion_tokens)`; `None` = estimated from the sizes of
    /// the request and the answer (about four characters a token).
    #[serde(default)]
    pub usage: Option<(u64, u64)>,
}

/// The answer a [`ScriptedChat`] gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChatReply {
    /// An assistant message with `tool_calls` (and optional `content`), `finish_reason:
    /// "tool_calls"`.
    ToolCalls {
        /// The calls, in order.
        calls: Vec<ScriptedToolCall>,
        /// Text sent alongside the calls.
        #[serde(default)]
        content: Option<String>,
    },
    /// A plain assistant message, `finish_reason: "stop"`.
    Content {
        /// The text.
        text: String,
    },
    /// An HTTP error with OpenAI's error body.
    Error {
        /// HTTP status.
        status: u16,
        /// `error.message`.
        message: String,
        /// `error.type` (`server_error`, `invalid_request_error`, `requests`, ...).
        #[serde(default = "server_error")]
        kind: String,
        /// `error.code`.
        #[serde(default)]
        code: Option<String>,
    },
    /// Waits this long (in JSON: milliseconds), then answers with the default reply, so a
    /// client with a shorter timeout gives up first.
    Stall {
        /// How long.
        #[serde(with = "crate::model::millis")]
        ms: Duration,
    },
}

fn server_error() -> String {
    "server_error".to_owned()
}

/// One scripted tool call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptedToolCall {
    /// `function.name`.
    pub name: String,
    /// `function.arguments`, sent verbatim: a JSON text, or anything (to test bad arguments).
    pub arguments: String,
}

impl ScriptedToolCall {
    /// A call with JSON arguments.
    #[must_use]
    pub fn new(name: impl Into<String>, arguments: &Value) -> Self {
        Self {
            name: name.into(),
            arguments: arguments.to_string(),
        }
    }

    /// A call whose `arguments` text is sent as given (it need not be valid JSON).
    #[must_use]
    pub fn raw(name: impl Into<String>, arguments: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            arguments: arguments.into(),
        }
    }
}

impl ScriptedChat {
    fn of(reply: ChatReply) -> Self {
        Self {
            model: None,
            reply,
            usage: None,
        }
    }

    /// A plain content answer.
    #[must_use]
    pub fn content(text: impl Into<String>) -> Self {
        Self::of(ChatReply::Content { text: text.into() })
    }

    /// An answer made of tool calls.
    #[must_use]
    pub fn tool_calls(calls: Vec<ScriptedToolCall>) -> Self {
        Self::of(ChatReply::ToolCalls {
            calls,
            content: None,
        })
    }

    /// One tool call with JSON arguments.
    #[must_use]
    pub fn tool_call(name: impl Into<String>, arguments: &Value) -> Self {
        Self::tool_calls(vec![ScriptedToolCall::new(name, arguments)])
    }

    /// An HTTP error with OpenAI's body (`type: server_error` for 5xx, else
    /// `invalid_request_error`).
    #[must_use]
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        let kind = if status >= 500 {
            "server_error"
        } else {
            "invalid_request_error"
        };
        Self::of(ChatReply::Error {
            status,
            message: message.into(),
            kind: kind.to_owned(),
            code: None,
        })
    }

    /// A stall of `duration` before the default answer.
    #[must_use]
    pub fn stall(duration: Duration) -> Self {
        Self::of(ChatReply::Stall { ms: duration })
    }

    /// Only for requests naming `model`.
    #[must_use]
    pub fn for_model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Reports this usage instead of the estimate.
    #[must_use]
    pub fn with_usage(mut self, prompt_tokens: u64, completion_tokens: u64) -> Self {
        self.usage = Some((prompt_tokens, completion_tokens));
        self
    }
}

/// Which OpenAI endpoint a request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenAiEndpoint {
    /// `POST /v1/chat/completions`.
    ChatCompletions,
    /// `POST /v1/audio/transcriptions`.
    Transcriptions,
    /// `POST /v1/audio/speech`.
    Speech,
}

/// A request the OpenAI side received, as tests inspect it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenAiRequest {
    /// Which endpoint.
    pub endpoint: OpenAiEndpoint,
    /// Whether the bearer key was the configured one.
    pub authorized: bool,
    /// The JSON body (chat, speech); for a transcription the form fields, with the file as
    /// `file_name`, `file_content_type`, `file_size` and `file_sha256` (hex).
    pub body: Value,
}

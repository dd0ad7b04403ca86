//! `POST /v1/audio/transcriptions` and `POST /v1/audio/speech`. Audio is self-describing so
//! tests need no real codec: speech answers an Ogg-looking header followed by
//! `OMNI-VOICE:<text>`, and a transcription reads that marker back (or a transcript
//! registered for the exact bytes), so speak → transcribe round-trips.

use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt as _;
use serde_json::{Map, Value, json};

use super::error::OpenAiErr;
use super::model::OpenAiEndpoint;
use super::state::sha256_hex;
use super::{authenticate, faults, read_body, record};
use crate::SimHandle;
use crate::fault::Endpoint;

/// The marker that makes audio bytes carry their own transcript.
pub const VOICE_MARKER: &[u8] = b"OMNI-VOICE:";

/// What synthesized audio starts with: an Ogg page signature and a zeroed rest of a page
/// header (28 bytes), so it sniffs as Ogg.
pub const OGG_PREFIX: &[u8; 28] = b"OggS\0\x02\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01\x00";

/// OpenAI's limit on `input` of a speech request.
const MAX_SPEECH_INPUT: usize = 4096;

/// Audio bytes that say `text`: what `/v1/audio/speech` returns for it.
#[must_use]
pub fn voice_clip(text: &str) -> Vec<u8> {
    let mut out = OGG_PREFIX.to_vec();
    out.extend_from_slice(VOICE_MARKER);
    out.extend_from_slice(text.as_bytes());
    out
}

/// The text a self-describing clip carries: after `OMNI-VOICE:` at the very start, or right
/// after the Ogg prefix.
fn marked_text(bytes: &[u8]) -> Option<Result<String, ()>> {
    let rest = bytes.strip_prefix(VOICE_MARKER).or_else(|| {
        bytes
            .strip_prefix(OGG_PREFIX.as_slice())?
            .strip_prefix(VOICE_MARKER)
    })?;
    Some(String::from_utf8(rest.to_vec()).map_err(|_| ()))
}

struct Upload {
    fields: Map<String, Value>,
    file: Option<(Vec<u8>, String, String)>,
}

async fn parse_form(req: &HttpRequest, body: Bytes) -> Result<Upload, OpenAiErr> {
    let stream = futures_util::stream::once(async move { Ok::<Bytes, PayloadError>(body) });
    let mut form = actix_multipart::Multipart::new(req.headers(), stream);
    let mut upload = Upload {
        fields: Map::new(),
        file: None,
    };
    let malformed = |e: &dyn std::fmt::Display| {
        OpenAiErr::new(
            400,
            "invalid_request_error",
            format!("Could not parse multipart form: {e}"),
        )
    };
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| malformed(&e))?;
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        let part_type = field.content_type().map(|m| m.essence_str().to_owned());
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            data.extend_from_slice(&chunk.map_err(|e| malformed(&e))?);
        }
        if name == "file" {
            upload.file = Some((
                data,
                file_name.unwrap_or_default(),
                part_type.unwrap_or_default(),
            ));
        } else {
            upload.fields.insert(
                name,
                Value::String(String::from_utf8_lossy(&data).into_owned()),
            );
        }
    }
    Ok(upload)
}

/// `POST /v1/audio/transcriptions`.
pub(crate) async fn transcriptions(
    handle: SimHandle,
    req: HttpRequest,
    payload: actix_web::web::Payload,
) -> HttpResponse {
    let upload = match read_body(payload).await {
        Ok(body) => parse_form(&req, body).await,
        Err(e) => Err(e),
    };
    let mut logged = upload
        .as_ref()
        .map(|u| u.fields.clone())
        .unwrap_or_default();
    if let Ok(Upload {
        file: Some((bytes, name, mime)),
        ..
    }) = &upload
    {
        logged.insert("file_name".into(), json!(name));
        logged.insert("file_content_type".into(), json!(mime));
        logged.insert("file_size".into(), json!(bytes.len()));
        logged.insert("file_sha256".into(), json!(sha256_hex(bytes)));
    }
    let authorized = record(
        &handle,
        &req,
        OpenAiEndpoint::Transcriptions,
        Value::Object(logged),
    );
    if let Some(resp) = faults::apply(&handle, Endpoint::OpenAiTranscriptions).await {
        return resp;
    }
    if let Err(e) = authenticate(&req, authorized) {
        return e.response();
    }
    match upload.and_then(|u| transcribe(&handle, &u)) {
        Ok(resp) => resp,
        Err(e) => e.response(),
    }
}

fn transcribe(handle: &SimHandle, upload: &Upload) -> Result<HttpResponse, OpenAiErr> {
    let field = |k: &str| upload.fields.get(k).and_then(Value::as_str);
    if field("model").is_none_or(str::is_empty) {
        return Err(OpenAiErr::invalid(
            "model",
            "you must provide a model parameter",
        ));
    }
    let Some((bytes, _, _)) = &upload.file else {
        return Err(OpenAiErr::invalid(
            "file",
            "Missing required parameter: 'file'.",
        ));
    };
    if bytes.is_empty() {
        return Err(OpenAiErr::invalid("file", "The audio file is empty."));
    }
    let registered = handle
        .lock()
        .openai
        .transcripts
        .get(&sha256_hex(bytes))
        .cloned();
    let text = match registered.map(Ok).or_else(|| marked_text(bytes)) {
        Some(Ok(text)) => text,
        Some(Err(())) => {
            return Err(OpenAiErr::invalid(
                "file",
                "The audio file could not be decoded (the transcript is not UTF-8).",
            ));
        }
        None => {
            return Err(OpenAiErr::invalid(
                "file",
                "Audio file might be corrupted or unsupported",
            ));
        }
    };
    match field("response_format").unwrap_or("json") {
        "json" => Ok(HttpResponse::Ok().json(json!({ "text": text }))),
        "text" => Ok(HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(format!("{text}\n"))),
        "verbose_json" => Ok(HttpResponse::Ok().json(json!({
            "task": "transcribe",
            "language": field("language").unwrap_or("english"),
            "duration": 1.0,
            "text": text,
        }))),
        other => Err(OpenAiErr::invalid(
            "response_format",
            format!(
                "Invalid value: '{other}'. The simulator supports 'json', 'text' and \
                 'verbose_json'."
            ),
        )),
    }
}

/// `POST /v1/audio/speech`.
pub(crate) async fn speech(
    handle: SimHandle,
    req: HttpRequest,
    payload: actix_web::web::Payload,
) -> HttpResponse {
    let parsed = read_body(payload)
        .await
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
    let authorized = record(
        &handle,
        &req,
        OpenAiEndpoint::Speech,
        parsed.clone().unwrap_or(Value::Null),
    );
    if let Some(resp) = faults::apply(&handle, Endpoint::OpenAiSpeech).await {
        return resp;
    }
    if let Err(e) = authenticate(&req, authorized) {
        return e.response();
    }
    match speak(parsed.as_ref()) {
        Ok(resp) => resp,
        Err(e) => e.response(),
    }
}

fn speak(body: Option<&Value>) -> Result<HttpResponse, OpenAiErr> {
    let Some(body) = body.filter(|b| b.is_object()) else {
        return Err(OpenAiErr::new(
            400,
            "invalid_request_error",
            "We could not parse the JSON body of your request.",
        ));
    };
    let text = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if text("model").is_none() {
        return Err(OpenAiErr::invalid(
            "model",
            "you must provide a model parameter",
        ));
    }
    let Some(input) = text("input") else {
        return Err(OpenAiErr::invalid(
            "input",
            "Missing required parameter: 'input'.",
        ));
    };
    if input.chars().count() > MAX_SPEECH_INPUT {
        return Err(OpenAiErr::invalid(
            "input",
            format!("Input is too long: at most {MAX_SPEECH_INPUT} characters."),
        ));
    }
    if text("voice").is_none() {
        return Err(OpenAiErr::invalid(
            "voice",
            "Missing required parameter: 'voice'.",
        ));
    }
    let content_type = match text("response_format").unwrap_or("mp3") {
        "opus" => "audio/ogg",
        "mp3" => "audio/mpeg",
        "aac" => "audio/aac",
        "flac" => "audio/flac",
        "wav" => "audio/wav",
        "pcm" => "audio/pcm",
        other => {
            return Err(OpenAiErr::invalid(
                "response_format",
                format!(
                    "Invalid value: '{other}'. Supported values are: 'mp3', 'opus', 'aac', \
                     'flac', 'wav', and 'pcm'."
                ),
            ));
        }
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .body(voice_clip(input)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_carry_their_text_after_the_prefix_or_at_the_start() {
        assert_eq!(
            marked_text(&voice_clip("do zinger")),
            Some(Ok("do zinger".into()))
        );
        assert_eq!(marked_text(b"OMNI-VOICE:hi"), Some(Ok("hi".into())));
        assert_eq!(marked_text(b"OMNI-VOICE:\xff"), Some(Err(())));
        assert_eq!(marked_text(b"RIFF....WAVE"), None);
        assert!(voice_clip("x").starts_with(b"OggS"));
    }
}

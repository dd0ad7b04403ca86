//! One inbound message of a messages change ([`SimMessage`]): constructors by type and the
//! common fields (context, forwarding, extra keys).

use serde_json::{Map, Value, json};

use super::party::{SimCustomer, insert_opt, new_wamid, now_secs};

/// One inbound message (`value.messages[]`): its `type`, the object named after it, and the
/// common fields. The sender comes from the [`SimCustomer`] of the change.
#[derive(Debug, Clone, PartialEq)]
pub struct SimMessage {
    wamid: String,
    timestamp: i64,
    kind: String,
    content: Option<Value>,
    context: Option<Value>,
    extra: Map<String, Value>,
}

impl SimMessage {
    /// A message of any `type` with its payload object (`None` for types without one, such
    /// as `request_welcome`). New wamid, timestamp now.
    #[must_use]
    pub fn raw(kind: &str, content: Option<Value>) -> Self {
        Self {
            wamid: new_wamid(),
            timestamp: now_secs(),
            kind: kind.to_owned(),
            content,
            context: None,
            extra: Map::new(),
        }
    }

    /// `text`.
    #[must_use]
    pub fn text(body: &str) -> Self {
        Self::raw("text", Some(json!({ "body": body })))
    }

    /// `image` (a payment screenshot): media id, MIME type, base64 SHA-256, optional caption.
    #[must_use]
    pub fn image(media_id: &str, mime_type: &str, sha256_b64: &str, caption: Option<&str>) -> Self {
        let mut image = media_object(media_id, mime_type, sha256_b64);
        insert_opt(&mut image, "caption", caption);
        Self::raw("image", Some(Value::Object(image)))
    }

    /// `audio` recorded with the voice recorder: `voice: true`, `audio/ogg; codecs=opus`.
    #[must_use]
    pub fn voice_note(media_id: &str, sha256_b64: &str) -> Self {
        Self::audio(media_id, "audio/ogg; codecs=opus", sha256_b64, true)
    }

    /// `audio`, voice note or forwarded file.
    #[must_use]
    pub fn audio(media_id: &str, mime_type: &str, sha256_b64: &str, voice: bool) -> Self {
        let mut audio = media_object(media_id, mime_type, sha256_b64);
        audio.insert("voice".into(), Value::Bool(voice));
        Self::raw("audio", Some(Value::Object(audio)))
    }

    /// `video`.
    #[must_use]
    pub fn video(media_id: &str, mime_type: &str, sha256_b64: &str, caption: Option<&str>) -> Self {
        let mut video = media_object(media_id, mime_type, sha256_b64);
        insert_opt(&mut video, "caption", caption);
        Self::raw("video", Some(Value::Object(video)))
    }

    /// `document`.
    #[must_use]
    pub fn document(media_id: &str, mime_type: &str, sha256_b64: &str, filename: &str) -> Self {
        let mut doc = media_object(media_id, mime_type, sha256_b64);
        doc.insert("filename".into(), Value::String(filename.to_owned()));
        Self::raw("document", Some(Value::Object(doc)))
    }

    /// `location`; `name`/`address` only for a chosen place.
    #[must_use]
    pub fn location(
        latitude: f64,
        longitude: f64,
        name: Option<&str>,
        address: Option<&str>,
    ) -> Self {
        let mut loc = Map::new();
        loc.insert("latitude".into(), json!(latitude));
        loc.insert("longitude".into(), json!(longitude));
        insert_opt(&mut loc, "name", name);
        insert_opt(&mut loc, "address", address);
        Self::raw("location", Some(Value::Object(loc)))
    }

    /// `interactive` / `button_reply`: the customer tapped one of our reply buttons.
    #[must_use]
    pub fn button_reply(id: &str, title: &str) -> Self {
        Self::raw(
            "interactive",
            Some(json!({ "type": "button_reply", "button_reply": { "id": id, "title": title } })),
        )
    }

    /// `interactive` / `list_reply`.
    #[must_use]
    pub fn list_reply(id: &str, title: &str, description: Option<&str>) -> Self {
        let mut reply = Map::new();
        reply.insert("id".into(), json!(id));
        reply.insert("title".into(), json!(title));
        insert_opt(&mut reply, "description", description);
        Self::raw(
            "interactive",
            Some(json!({ "type": "list_reply", "list_reply": reply })),
        )
    }

    /// `button`: a template's quick-reply button (not `interactive`!).
    #[must_use]
    pub fn template_button(payload: &str, text: &str) -> Self {
        Self::raw("button", Some(json!({ "payload": payload, "text": text })))
    }

    /// `reaction` to `message_id`; an empty `emoji` removes the reaction.
    #[must_use]
    pub fn reaction(message_id: &str, emoji: &str) -> Self {
        Self::raw(
            "reaction",
            Some(json!({ "message_id": message_id, "emoji": emoji })),
        )
    }

    /// `unsupported` (a poll, a view-once message...) with Meta's 131051 error.
    #[must_use]
    pub fn unsupported(what: &str) -> Self {
        let mut m = Self::raw("unsupported", Some(json!({ "type": what })));
        m.extra.insert(
            "errors".into(),
            json!([{
                "code": 131_051,
                "title": "Message type unknown",
                "message": "Message type unknown",
                "error_data": { "details": "Message type is currently not supported." }
            }]),
        );
        m
    }

    /// Uses this wamid instead of a generated one.
    #[must_use]
    pub fn with_wamid(mut self, wamid: &str) -> Self {
        wamid.clone_into(&mut self.wamid);
        self
    }

    /// Uses this Unix time (seconds) instead of now.
    #[must_use]
    pub fn at(mut self, unix_seconds: i64) -> Self {
        self.timestamp = unix_seconds;
        self
    }

    /// `context` of a reply to (or a button tapped on) `wamid`, sent from business number `from`.
    #[must_use]
    pub fn replying_to(mut self, from: &str, wamid: &str) -> Self {
        self.context = Some(json!({ "from": from, "id": wamid }));
        self
    }

    /// `context.forwarded` (or `frequently_forwarded` when `frequently`).
    #[must_use]
    pub fn forwarded(mut self, frequently: bool) -> Self {
        let key = if frequently {
            "frequently_forwarded"
        } else {
            "forwarded"
        };
        self.context = Some(json!({ key: true }));
        self
    }

    /// Adds any other top-level field (`referral`, `errors`, ...).
    #[must_use]
    pub fn with_field(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_owned(), value);
        self
    }

    /// The wamid.
    #[must_use]
    pub fn wamid(&self) -> &str {
        &self.wamid
    }

    /// The `type`.
    #[must_use]
    pub fn kind(&self) -> &str {
        &self.kind
    }

    pub(super) fn to_json(&self, customer: &SimCustomer) -> Value {
        let mut m = Map::new();
        insert_opt(&mut m, "from", customer.wa_id.as_deref());
        insert_opt(&mut m, "from_user_id", customer.user_id.as_deref());
        m.insert("id".into(), json!(self.wamid));
        m.insert("timestamp".into(), json!(self.timestamp.to_string()));
        m.insert("type".into(), json!(self.kind));
        if let Some(c) = &self.context {
            m.insert("context".into(), c.clone());
        }
        if let Some(content) = &self.content {
            m.insert(self.kind.clone(), content.clone());
        }
        for (k, v) in &self.extra {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }
}

fn media_object(id: &str, mime_type: &str, sha256_b64: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("mime_type".into(), json!(mime_type));
    m.insert("sha256".into(), json!(sha256_b64));
    m
}

//! Webhook bodies shaped exactly like Meta's (meta-api.md §5), built by hand as JSON values
//! and deliberately independent of the adapter's parser, so a parser bug cannot hide behind a
//! shared type.
//!
//! Shape: [`WebhookPayload`] = `entry[]` of [`SimEntry`] (`id`, optional `time`) each holding
//! [`SimChange`]s (`field` + `value`). A messages change carries [`SimMessage`]s or
//! [`SimStatus`]es for one [`SimNumber`] and one [`SimCustomer`]. Convenience constructors on
//! [`WebhookPayload`] cover the common single-event bodies.
//!
//! Bytes: Meta states it signs (and in practice sends) an escaped-Unicode form, every non-ASCII
//! character as `\uXXXX` (lowercase UTF-16 units). That is the default here
//! ([`BodyEncoding::Escaped`], [`WebhookPayload::bytes`]); [`BodyEncoding::Utf8`] sends raw
//! UTF-8 instead, to test receivers against both. Either way the JSON is compact and the
//! signature covers exactly the bytes sent.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

/// A business number of a WABA, the receiving side of messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimNumber {
    /// The WABA (`entry.id`).
    pub waba_id: String,
    /// `metadata.phone_number_id`.
    pub phone_number_id: String,
    /// `metadata.display_phone_number` (digits).
    pub display_phone_number: String,
}

impl SimNumber {
    /// A number.
    #[must_use]
    pub fn new(waba_id: &str, phone_number_id: &str, display_phone_number: &str) -> Self {
        Self {
            waba_id: waba_id.to_owned(),
            phone_number_id: phone_number_id.to_owned(),
            display_phone_number: display_phone_number.to_owned(),
        }
    }
}

/// A WhatsApp user writing to a business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimCustomer {
    /// `wa_id` / `from` (phone digits); `None` for a username-only user.
    pub wa_id: Option<String>,
    /// BSUID (`user_id`, `from_user_id`).
    pub user_id: Option<String>,
    /// `profile.name`.
    pub name: Option<String>,
    /// `profile.username`.
    pub username: Option<String>,
}

impl SimCustomer {
    /// A user with a phone number and a display name (no BSUID).
    #[must_use]
    pub fn new(wa_id: &str, name: &str) -> Self {
        Self {
            wa_id: Some(wa_id.to_owned()),
            user_id: None,
            name: Some(name.to_owned()),
            username: None,
        }
    }

    /// A user who hides their number behind a username: only a BSUID identifies them.
    #[must_use]
    pub fn username_only(user_id: &str, name: &str, username: &str) -> Self {
        Self {
            wa_id: None,
            user_id: Some(user_id.to_owned()),
            name: Some(name.to_owned()),
            username: Some(username.to_owned()),
        }
    }

    /// Adds a BSUID, sent as `contacts[].user_id` and `messages[].from_user_id`.
    #[must_use]
    pub fn with_user_id(mut self, user_id: &str) -> Self {
        self.user_id = Some(user_id.to_owned());
        self
    }

    fn contact(&self) -> Value {
        let mut profile = Map::new();
        insert_opt(&mut profile, "name", self.name.as_deref());
        insert_opt(&mut profile, "username", self.username.as_deref());
        let mut c = Map::new();
        c.insert("profile".into(), Value::Object(profile));
        insert_opt(&mut c, "wa_id", self.wa_id.as_deref());
        insert_opt(&mut c, "user_id", self.user_id.as_deref());
        Value::Object(c)
    }
}

/// A fresh, unique wamid (`wamid.` + 32 uppercase hex digits).
#[must_use]
pub fn new_wamid() -> String {
    format!(
        "wamid.SIM{}",
        uuid::Uuid::new_v4().simple().to_string().to_uppercase()
    )
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

fn insert_opt(map: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), Value::String(v.to_owned()));
    }
}

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

    fn to_json(&self, customer: &SimCustomer) -> Value {
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

/// One status of a message the business sent (`value.statuses[]`).
#[derive(Debug, Clone, PartialEq)]
pub struct SimStatus {
    value: Map<String, Value>,
}

impl SimStatus {
    /// A status (`sent`, `delivered`, `read`, `played`, `failed`, or anything else) of `wamid`
    /// sent to `recipient_id`, timestamp now.
    #[must_use]
    pub fn new(wamid: &str, status: &str, recipient_id: &str) -> Self {
        let mut value = Map::new();
        value.insert("id".into(), json!(wamid));
        value.insert("status".into(), json!(status));
        value.insert("timestamp".into(), json!(now_secs().to_string()));
        value.insert("recipient_id".into(), json!(recipient_id));
        Self { value }
    }

    /// `sent`, with service pricing (as Meta attaches pricing to `sent`).
    #[must_use]
    pub fn sent(wamid: &str, recipient_id: &str) -> Self {
        Self::new(wamid, "sent", recipient_id).with_pricing("service", "free_customer_service")
    }

    /// `delivered`.
    #[must_use]
    pub fn delivered(wamid: &str, recipient_id: &str) -> Self {
        Self::new(wamid, "delivered", recipient_id)
    }

    /// `read`.
    #[must_use]
    pub fn read(wamid: &str, recipient_id: &str) -> Self {
        Self::new(wamid, "read", recipient_id)
    }

    /// `played` (a voice message we sent).
    #[must_use]
    pub fn played(wamid: &str, recipient_id: &str) -> Self {
        Self::new(wamid, "played", recipient_id)
    }

    /// `failed` with one error (e.g. 131047, "Re-engagement message").
    #[must_use]
    pub fn failed(wamid: &str, recipient_id: &str, code: i64, title: &str, details: &str) -> Self {
        let mut s = Self::new(wamid, "failed", recipient_id);
        s.value
            .insert("errors".into(), json!([error_json(code, title, details)]));
        s
    }

    /// `pricing` with `billable`, `pricing_model: PMP`, `category` and `type`.
    #[must_use]
    pub fn with_pricing(mut self, category: &str, pricing_type: &str) -> Self {
        self.value.insert(
            "pricing".into(),
            json!({
                "billable": pricing_type == "regular",
                "pricing_model": "PMP",
                "type": pricing_type,
                "category": category
            }),
        );
        self
    }

    /// `biz_opaque_callback_data`.
    #[must_use]
    pub fn with_callback_data(mut self, data: &str) -> Self {
        self.value
            .insert("biz_opaque_callback_data".into(), json!(data));
        self
    }

    /// `recipient_user_id` (BSUID); with `drop_phone`, `recipient_id` is removed (a send to a
    /// BSUID).
    #[must_use]
    pub fn with_recipient_user_id(mut self, user_id: &str, drop_phone: bool) -> Self {
        self.value
            .insert("recipient_user_id".into(), json!(user_id));
        if drop_phone {
            self.value.remove("recipient_id");
        }
        self
    }

    /// Uses this Unix time (seconds) instead of now.
    #[must_use]
    pub fn at(mut self, unix_seconds: i64) -> Self {
        self.value
            .insert("timestamp".into(), json!(unix_seconds.to_string()));
        self
    }
}

fn error_json(code: i64, title: &str, details: &str) -> Value {
    json!({
        "code": code,
        "title": title,
        "message": title,
        "error_data": { "details": details },
        "href": "/documentation/business-messaging/whatsapp/support/error-codes"
    })
}

/// One `changes[]` element.
#[derive(Debug, Clone, PartialEq)]
pub struct SimChange {
    field: String,
    value: Value,
}

impl SimChange {
    /// Any field with any value.
    #[must_use]
    pub fn raw(field: &str, value: Value) -> Self {
        Self {
            field: field.to_owned(),
            value,
        }
    }

    /// The field.
    #[must_use]
    pub fn field(&self) -> &str {
        &self.field
    }

    fn messages_value(number: &SimNumber) -> Map<String, Value> {
        let mut v = Map::new();
        v.insert("messaging_product".into(), json!("whatsapp"));
        v.insert(
            "metadata".into(),
            json!({
                "display_phone_number": number.display_phone_number,
                "phone_number_id": number.phone_number_id
            }),
        );
        v
    }

    /// `messages` with `contacts[]` (the customer) and `messages[]`.
    #[must_use]
    pub fn messages(number: &SimNumber, customer: &SimCustomer, messages: &[SimMessage]) -> Self {
        let mut v = Self::messages_value(number);
        v.insert("contacts".into(), json!([customer.contact()]));
        v.insert(
            "messages".into(),
            Value::Array(messages.iter().map(|m| m.to_json(customer)).collect()),
        );
        Self::raw("messages", Value::Object(v))
    }

    /// `messages` with `statuses[]` (no contacts, as for failed statuses).
    #[must_use]
    pub fn statuses(number: &SimNumber, statuses: &[SimStatus]) -> Self {
        let mut v = Self::messages_value(number);
        v.insert(
            "statuses".into(),
            Value::Array(
                statuses
                    .iter()
                    .map(|s| Value::Object(s.value.clone()))
                    .collect(),
            ),
        );
        Self::raw("messages", Value::Object(v))
    }

    /// `messages` with value-level `errors[]` (e.g. 130429 "Rate limit hit").
    #[must_use]
    pub fn value_error(number: &SimNumber, code: i64, title: &str, details: &str) -> Self {
        let mut v = Self::messages_value(number);
        v.insert("errors".into(), json!([error_json(code, title, details)]));
        Self::raw("messages", Value::Object(v))
    }

    /// `phone_number_quality_update`; `limit` goes to `max_daily_conversations_per_business`
    /// (`TIER_*`).
    #[must_use]
    pub fn quality_update(display_phone_number: &str, event: &str, limit: Option<&str>) -> Self {
        let mut v = Map::new();
        v.insert("display_phone_number".into(), json!(display_phone_number));
        v.insert("event".into(), json!(event));
        insert_opt(&mut v, "max_daily_conversations_per_business", limit);
        Self::raw("phone_number_quality_update", Value::Object(v))
    }

    /// `business_capability_update`. `max_daily` is a `TIER_*` string or an integer (Meta's own
    /// example sends 2000), passed as JSON.
    #[must_use]
    pub fn capability_update(max_daily: Value, max_phone_numbers_per_waba: Option<u32>) -> Self {
        let mut v = Map::new();
        v.insert("max_daily_conversations_per_business".into(), max_daily);
        if let Some(n) = max_phone_numbers_per_waba {
            v.insert("max_phone_numbers_per_waba".into(), json!(n));
        }
        Self::raw("business_capability_update", Value::Object(v))
    }

    /// `account_update` with `event` and extra value fields (`ban_info`, `violation_info`...).
    #[must_use]
    pub fn account_update(event: &str, extra: Value) -> Self {
        let mut v = Map::new();
        v.insert("event".into(), json!(event));
        if let Value::Object(extra) = extra {
            v.extend(extra);
        }
        Self::raw("account_update", Value::Object(v))
    }

    /// `account_update` `DISABLED_UPDATE` with `ban_info`.
    #[must_use]
    pub fn account_disabled(ban_state: &str, ban_date: &str) -> Self {
        Self::account_update(
            "DISABLED_UPDATE",
            json!({ "ban_info": { "waba_ban_state": ban_state, "waba_ban_date": ban_date } }),
        )
    }

    /// `account_update` `PARTNER_APP_UNINSTALLED` with `waba_info` (the entry's id is then the
    /// partner's business id).
    #[must_use]
    pub fn partner_app_uninstalled(
        waba_id: &str,
        owner_business_id: &str,
        partner_app_id: &str,
    ) -> Self {
        Self::account_update(
            "PARTNER_APP_UNINSTALLED",
            json!({ "waba_info": {
                "waba_id": waba_id,
                "owner_business_id": owner_business_id,
                "partner_app_id": partner_app_id
            } }),
        )
    }

    /// `message_template_status_update`; `template_id` is a JSON number, as Meta sends it.
    #[must_use]
    pub fn template_status(
        template_id: u64,
        name: &str,
        language: &str,
        event: &str,
        reason: Option<&str>,
    ) -> Self {
        Self::raw(
            "message_template_status_update",
            json!({
                "event": event,
                "message_template_id": template_id,
                "message_template_name": name,
                "message_template_language": language,
                "reason": reason
            }),
        )
    }
}

/// One `entry[]` element: an id (the WABA, or the partner business for partner events) and
/// its changes.
#[derive(Debug, Clone, PartialEq)]
pub struct SimEntry {
    id: String,
    time: Option<i64>,
    changes: Vec<SimChange>,
}

impl SimEntry {
    /// An entry without `time` (as for messages fields).
    #[must_use]
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            time: None,
            changes: Vec::new(),
        }
    }

    /// An entry with `time` now (as for management fields).
    #[must_use]
    pub fn timed(id: &str) -> Self {
        Self::new(id).at(now_secs())
    }

    /// Sets `time`.
    #[must_use]
    pub fn at(mut self, unix_seconds: i64) -> Self {
        self.time = Some(unix_seconds);
        self
    }

    /// Adds a change.
    #[must_use]
    pub fn change(mut self, change: SimChange) -> Self {
        self.changes.push(change);
        self
    }

    fn to_json(&self) -> Value {
        let mut e = Map::new();
        e.insert("id".into(), json!(self.id));
        if let Some(t) = self.time {
            e.insert("time".into(), json!(t));
        }
        e.insert(
            "changes".into(),
            Value::Array(
                self.changes
                    .iter()
                    .map(|c| json!({ "field": c.field, "value": c.value }))
                    .collect(),
            ),
        );
        Value::Object(e)
    }
}

/// How the body is written on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BodyEncoding {
    /// Non-ASCII as `\uXXXX` (lowercase UTF-16 units): what Meta sends and signs.
    #[default]
    Escaped,
    /// Raw UTF-8.
    Utf8,
}

/// A complete webhook body.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookPayload {
    value: Value,
    encoding: BodyEncoding,
}

impl WebhookPayload {
    /// `{"object":"whatsapp_business_account","entry":[...]}`: a batch of several entries
    /// (stores), each with several changes.
    #[must_use]
    pub fn batch(entries: Vec<SimEntry>) -> Self {
        Self::from_value(json!({
            "object": "whatsapp_business_account",
            "entry": entries.iter().map(SimEntry::to_json).collect::<Vec<_>>()
        }))
    }

    /// Any JSON body (malformed ones included), sent as is.
    #[must_use]
    pub fn from_value(value: Value) -> Self {
        Self {
            value,
            encoding: BodyEncoding::default(),
        }
    }

    /// One change in one entry.
    #[must_use]
    pub fn single(entry: SimEntry, change: SimChange) -> Self {
        Self::batch(vec![entry.change(change)])
    }

    /// Inbound messages from one customer to one number.
    #[must_use]
    pub fn messages(number: &SimNumber, customer: &SimCustomer, messages: &[SimMessage]) -> Self {
        Self::single(
            SimEntry::new(&number.waba_id),
            SimChange::messages(number, customer, messages),
        )
    }

    /// One inbound message.
    #[must_use]
    pub fn message(number: &SimNumber, customer: &SimCustomer, message: SimMessage) -> Self {
        Self::messages(number, customer, &[message])
    }

    /// One inbound text.
    #[must_use]
    pub fn text(number: &SimNumber, customer: &SimCustomer, body: &str) -> Self {
        Self::message(number, customer, SimMessage::text(body))
    }

    /// Statuses of messages the number sent.
    #[must_use]
    pub fn statuses(number: &SimNumber, statuses: &[SimStatus]) -> Self {
        Self::single(
            SimEntry::new(&number.waba_id),
            SimChange::statuses(number, statuses),
        )
    }

    /// One status.
    #[must_use]
    pub fn status(number: &SimNumber, status: SimStatus) -> Self {
        Self::statuses(number, &[status])
    }

    /// A value-level error of a number.
    #[must_use]
    pub fn value_error(number: &SimNumber, code: i64, title: &str, details: &str) -> Self {
        Self::single(
            SimEntry::new(&number.waba_id),
            SimChange::value_error(number, code, title, details),
        )
    }

    /// `phone_number_quality_update` for a number of `waba_id`.
    #[must_use]
    pub fn quality_update(
        waba_id: &str,
        display_phone_number: &str,
        event: &str,
        limit: Option<&str>,
    ) -> Self {
        Self::single(
            SimEntry::timed(waba_id),
            SimChange::quality_update(display_phone_number, event, limit),
        )
    }

    /// `business_capability_update`.
    #[must_use]
    pub fn capability_update(
        waba_id: &str,
        max_daily: Value,
        max_phone_numbers: Option<u32>,
    ) -> Self {
        Self::single(
            SimEntry::timed(waba_id),
            SimChange::capability_update(max_daily, max_phone_numbers),
        )
    }

    /// `account_update` of `waba_id` (entry id = the WABA).
    #[must_use]
    pub fn account_update(waba_id: &str, event: &str, extra: Value) -> Self {
        Self::single(
            SimEntry::timed(waba_id),
            SimChange::account_update(event, extra),
        )
    }

    /// `account_update` `DISABLED_UPDATE`.
    #[must_use]
    pub fn account_disabled(waba_id: &str, ban_state: &str, ban_date: &str) -> Self {
        Self::single(
            SimEntry::timed(waba_id),
            SimChange::account_disabled(ban_state, ban_date),
        )
    }

    /// `account_update` `PARTNER_APP_UNINSTALLED`: entry id = the partner's business id, the
    /// customer's WABA in `waba_info`.
    #[must_use]
    pub fn partner_app_uninstalled(
        partner_business_id: &str,
        waba_id: &str,
        owner_business_id: &str,
        partner_app_id: &str,
    ) -> Self {
        Self::single(
            SimEntry::timed(partner_business_id),
            SimChange::partner_app_uninstalled(waba_id, owner_business_id, partner_app_id),
        )
    }

    /// `message_template_status_update`.
    #[must_use]
    pub fn template_status(
        waba_id: &str,
        template_id: u64,
        name: &str,
        language: &str,
        event: &str,
        reason: Option<&str>,
    ) -> Self {
        Self::single(
            SimEntry::timed(waba_id),
            SimChange::template_status(template_id, name, language, event, reason),
        )
    }

    /// Sends with this encoding.
    #[must_use]
    pub fn with_encoding(mut self, encoding: BodyEncoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// The encoding used by [`Self::bytes`].
    #[must_use]
    pub const fn encoding(&self) -> BodyEncoding {
        self.encoding
    }

    /// The JSON.
    #[must_use]
    pub const fn value(&self) -> &Value {
        &self.value
    }

    /// The body as sent (and signed): [`Self::to_bytes_escaped`] by default, like Meta, or
    /// [`Self::to_bytes`] with [`BodyEncoding::Utf8`].
    #[must_use]
    pub fn bytes(&self) -> Vec<u8> {
        match self.encoding {
            BodyEncoding::Escaped => self.to_bytes_escaped(),
            BodyEncoding::Utf8 => self.to_bytes(),
        }
    }

    /// Compact JSON, raw UTF-8.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.value.to_string().into_bytes()
    }

    /// Compact JSON with every non-ASCII character as `\uXXXX` (lowercase hex UTF-16 code
    /// units; astral characters such as emoji become surrogate pairs), the form Meta sends.
    #[must_use]
    pub fn to_bytes_escaped(&self) -> Vec<u8> {
        escape_non_ascii(&self.value.to_string()).into_bytes()
    }

    /// `(phone_number_id, sender)` of every inbound message in the body (sender = `from`, else
    /// `from_user_id`), in order: what opens the customer service window.
    #[must_use]
    pub fn inbound_senders(&self) -> Vec<(String, String)> {
        inbound_senders(&self.value)
    }

    /// The wamids of every inbound message in the body.
    #[must_use]
    pub fn wamids(&self) -> Vec<String> {
        let mut out = Vec::new();
        for_each_message(&self.value, |_, m| {
            if let Some(id) = m.get("id").and_then(Value::as_str) {
                out.push(id.to_owned());
            }
        });
        out
    }
}

/// JSON text with non-ASCII characters escaped as lowercase `\uXXXX` UTF-16 units. Only valid
/// on JSON text: non-ASCII can only occur inside strings there, where the escape means the same.
#[must_use]
pub fn escape_non_ascii(json_text: &str) -> String {
    let mut out = String::with_capacity(json_text.len() + json_text.len() / 2);
    for c in json_text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0_u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
    out
}

fn for_each_message(body: &Value, mut f: impl FnMut(&str, &Map<String, Value>)) {
    let entries = body.get("entry").and_then(Value::as_array);
    for entry in entries.into_iter().flatten() {
        let changes = entry.get("changes").and_then(Value::as_array);
        for change in changes.into_iter().flatten() {
            if change.get("field").and_then(Value::as_str) != Some("messages") {
                continue;
            }
            let Some(value) = change.get("value") else {
                continue;
            };
            let pid = value
                .get("metadata")
                .and_then(|m| m.get("phone_number_id"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let messages = value.get("messages").and_then(Value::as_array);
            for message in messages.into_iter().flatten().filter_map(Value::as_object) {
                f(pid, message);
            }
        }
    }
}

/// `(phone_number_id, from or from_user_id)` of every inbound message of a webhook body.
#[must_use]
pub fn inbound_senders(body: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for_each_message(body, |pid, m| {
        let sender = m
            .get("from")
            .or_else(|| m.get("from_user_id"))
            .and_then(Value::as_str);
        if let Some(sender) = sender
            && !pid.is_empty()
        {
            out.push((pid.to_owned(), sender.to_owned()));
        }
    });
    out
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn number() -> SimNumber {
        SimNumber::new("102290129340398", "106540352242922", "923001112233")
    }

    #[test]
    fn a_text_payload_has_meta_shape() {
        let customer = SimCustomer::new("923214567890", "Ayesha").with_user_id("PK.1");
        let m = SimMessage::text("hi")
            .with_wamid("wamid.X")
            .at(1_763_905_200);
        let p = WebhookPayload::message(&number(), &customer, m);
        let expected = json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": { "display_phone_number": "923001112233", "phone_number_id": "106540352242922" },
                "contacts": [{ "profile": { "name": "Ayesha" }, "wa_id": "923214567890", "user_id": "PK.1" }],
                "messages": [{ "from": "923214567890", "from_user_id": "PK.1", "id": "wamid.X",
                               "timestamp": "1763905200", "type": "text", "text": { "body": "hi" } }]
            }}]}]
        });
        assert_eq!(p.value(), &expected);
        assert_eq!(
            p.inbound_senders(),
            [("106540352242922".to_owned(), "923214567890".to_owned())]
        );
        assert_eq!(p.wamids(), ["wamid.X"]);
    }

    #[test]
    fn escaped_bytes_are_ascii_and_mean_the_same_json() {
        let customer = SimCustomer::new("92321", "عائشہ");
        let p = WebhookPayload::text(&number(), &customer, "برگر 🍔");
        let escaped = p.to_bytes_escaped();
        assert!(escaped.is_ascii());
        let text = String::from_utf8(escaped.clone()).unwrap();
        assert!(text.contains(r"\ud83c\udf54"), "{text}");
        assert!(text.contains(r"\u0628\u0631\u06af\u0631"), "{text}");
        let back: Value = serde_json::from_slice(&escaped).unwrap();
        assert_eq!(&back, p.value());
        assert_eq!(p.bytes(), escaped, "escaped is the default");
        let utf8 = p.clone().with_encoding(BodyEncoding::Utf8).bytes();
        assert_eq!(utf8, p.to_bytes());
        assert!(String::from_utf8(utf8).unwrap().contains("برگر 🍔"));
    }

    #[test]
    fn generated_wamids_are_unique() {
        let a = SimMessage::text("a");
        let b = SimMessage::text("a");
        assert_ne!(a.wamid(), b.wamid());
        assert!(a.wamid().starts_with("wamid."));
    }

    #[test]
    fn username_only_customers_send_from_user_id() {
        let c = SimCustomer::username_only("PK.55", "Bilal", "@bilal");
        let p = WebhookPayload::text(&number(), &c, "menu");
        let msg = &p.value()["entry"][0]["changes"][0]["value"]["messages"][0];
        assert!(msg.get("from").is_none());
        assert_eq!(msg["from_user_id"], "PK.55");
        assert_eq!(
            p.inbound_senders(),
            [("106540352242922".to_owned(), "PK.55".to_owned())]
        );
    }
}

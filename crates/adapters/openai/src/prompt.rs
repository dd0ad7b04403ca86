//! What the model reads: a system prompt (rules, then the store, menu, payment methods, open
//! order, conversation and refused actions as one compact JSON object) and the recent
//! messages as user/assistant turns ending with this message. Prices are given both as text
//! ("Rs 650") for replies and as minor units (paisa) so the model never does float maths.

use omni_domain::{Direction, MenuItem, Message, MessageBody, Money, Order, PaymentMethod};
use omni_ports::{AgentInput, CustomerInput};
use serde_json::{Value, json};

const RULES: &str = "\
You are the WhatsApp ordering assistant of the store described in CONTEXT below. You talk to \
one customer. Rules:
- Answer in the customer's language and script (English, Urdu or Roman Urdu), short and \
friendly, as WhatsApp messages (no markdown tables).
- Only sell what is on the menu, at the menu's prices; never invent items, prices, discounts or \
delivery times. Items marked \"available\": false cannot be ordered now: say so and suggest \
something similar.
- Change the order only through the tools, naming items and payment methods by their id. For \
an item with variants, pass the variant name. The store checks every change after your turn \
and tells the customer the totals, so do not compute totals yourself beyond simple sums of the \
listed prices.
- Collect items, then a delivery address (set_address) or location pin (set_location), then a \
payment method (choose_payment). Call confirm_order only after the customer clearly agreed to \
the order; the store then sends the summary and payment instructions itself.
- Mind the minimum order and the delivery fee in CONTEXT.store.
- Call handover when the customer asks for a person, complains, or asks something you cannot \
handle; then tell them someone from the store will reply.
- Reply with plain text, or call reply_buttons / request_location for that reply instead; \
after tool results come back, finish with your message to the customer (no text if you \
already replied with reply_buttons or request_location).
- If CONTEXT.rejected_actions is not empty, the store refused those actions of your previous \
attempt at this message: apologise briefly, explain using their messages, and correct (do not \
repeat them unchanged).";

fn price(m: Money) -> (String, i64) {
    (m.to_string(), m.minor())
}

fn menu_item(item: &MenuItem) -> Value {
    let (text, minor) = price(item.price);
    let mut v = json!({
        "id": item.id.to_string(),
        "name": item.name,
        "category": item.category,
        "price": text,
        "price_minor": minor,
        "available": item.available,
    });
    if let Some(obj) = v.as_object_mut() {
        if let Some(d) = &item.description {
            obj.insert("description".into(), json!(d));
        }
        if !item.variants.is_empty() {
            let variants: Vec<Value> = item
                .variants
                .iter()
                .map(|var| {
                    let (text, minor) = price(var.price);
                    json!({ "name": var.name, "price": text, "price_minor": minor })
                })
                .collect();
            obj.insert("variants".into(), Value::Array(variants));
        }
    }
    v
}

fn payment_method(m: &PaymentMethod) -> Value {
    json!({
        "id": m.id.to_string(),
        "kind": m.kind.as_str(),
        "label": m.label,
        "needs_payment_screenshot": m.kind.needs_proof(),
    })
}

fn order(o: &Order, methods: &[PaymentMethod]) -> Value {
    let lines: Vec<Value> = o
        .items
        .iter()
        .map(|l| {
            json!({
                "item_id": l.menu_item_id.to_string(),
                "name": l.name,
                "variant": l.variant,
                "quantity": l.quantity,
                "unit_price": l.unit_price.to_string(),
                "line_total": l.unit_price.checked_mul(l.quantity).ok().map(|m| m.to_string()),
            })
        })
        .collect();
    let method = o.payment.method_id().map(|id| {
        let label = methods.iter().find(|m| m.id == id).map(|m| m.label.clone());
        json!({ "id": id.to_string(), "label": label })
    });
    json!({
        "reference": o.reference(),
        "status": o.status().as_str(),
        "items": lines,
        "subtotal": o.subtotal().ok().map(|m| m.to_string()),
        "delivery_fee": o.delivery_fee.to_string(),
        "total": o.total().ok().map(|m| m.to_string()),
        "delivery_address": o.delivery_address,
        "delivery_location": o.delivery_location,
        "payment_method": method,
        "payment_status": o.payment.status().as_str(),
    })
}

/// The CONTEXT object of the system prompt.
pub(crate) fn context(input: &AgentInput) -> Value {
    let s = &input.store;
    let rejected: Vec<Value> = input
        .feedback
        .iter()
        .map(|r| json!({ "action": r.action, "reason": r.reason, "message": r.message }))
        .collect();
    json!({
        "store": {
            "name": s.name,
            "kind": s.kind.as_str(),
            "currency": s.currency.as_str(),
            "delivery_fee": s.settings.delivery_fee.to_string(),
            "delivery_fee_minor": s.settings.delivery_fee.minor(),
            "minimum_order": s.settings.min_order.to_string(),
            "minimum_order_minor": s.settings.min_order.minor(),
        },
        "menu": input.menu.iter().map(menu_item).collect::<Vec<_>>(),
        "payment_methods": input.payment_methods.iter().map(payment_method).collect::<Vec<_>>(),
        "open_order": input.order.as_ref().map(|o| order(o, &input.payment_methods)),
        "conversation": {
            "customer_name": input.customer_name,
            "state": input.state,
            "context": input.context,
            "window_open": input.window_open,
        },
        "rejected_actions": rejected,
    })
}

/// The system prompt.
pub(crate) fn system(input: &AgentInput) -> String {
    let mut out = String::from(RULES);
    if !input.window_open {
        out.push_str("\n- The 24-hour customer service window is closed: keep to one short reply.");
    }
    out.push_str("\n\nCONTEXT (JSON):\n");
    out.push_str(&context(input).to_string());
    out
}

fn location(lat: f64, lon: f64, name: Option<&str>, address: Option<&str>) -> String {
    let mut s = format!("[shared a location pin: latitude {lat}, longitude {lon}");
    for part in [name, address].into_iter().flatten() {
        s.push_str("; ");
        s.push_str(part);
    }
    s.push(']');
    s
}

fn with_caption(what: &str, caption: Option<&str>) -> String {
    match caption {
        Some(c) if !c.trim().is_empty() => format!("[{what}] {c}"),
        _ => format!("[{what}]"),
    }
}

/// A stored message as turn text.
fn message_text(m: &Message) -> String {
    match &m.body {
        MessageBody::Text { body } => body.clone(),
        MessageBody::Audio { voice: true, .. } => {
            with_caption("voice note", m.transcript.as_deref())
        }
        MessageBody::Audio { .. } => "[audio]".to_owned(),
        MessageBody::Image { caption, .. } => with_caption("image", caption.as_deref()),
        MessageBody::Video { caption, .. } => with_caption("video", caption.as_deref()),
        MessageBody::Document { caption, .. } => with_caption("document", caption.as_deref()),
        MessageBody::Location {
            latitude,
            longitude,
            name,
            address,
        } => location(*latitude, *longitude, name.as_deref(), address.as_deref()),
        MessageBody::Interactive { id, title } => format!("[tapped \"{title}\" (id {id})]"),
        MessageBody::Sticker { .. } => "[sticker]".to_owned(),
        MessageBody::Reaction { emoji, .. } => {
            format!("[reacted {}]", emoji.as_deref().unwrap_or("(removed)"))
        }
        MessageBody::Other { kind } => format!("[{kind}]"),
    }
}

/// This message as turn text.
pub(crate) fn input_text(input: &CustomerInput) -> String {
    match input {
        CustomerInput::Text { text } => text.clone(),
        CustomerInput::Voice { transcript } => with_caption("voice note", Some(transcript)),
        CustomerInput::Location { point } => location(
            point.latitude,
            point.longitude,
            point.name.as_deref(),
            point.address.as_deref(),
        ),
        CustomerInput::Choice { id, title } => format!("[tapped \"{title}\" (id {id})]"),
        CustomerInput::Image { caption } => with_caption("image", caption.as_deref()),
        CustomerInput::Other { kind } => format!("[{kind}]"),
    }
}

/// The `messages` of the first chat request.
pub(crate) fn messages(input: &AgentInput) -> Vec<Value> {
    let mut out = vec![json!({ "role": "system", "content": system(input) })];
    // `recent` ends with this message (the port's contract); it is sent as `message` below.
    let history = match input.recent.split_last() {
        Some((last, rest)) if last.direction == Direction::Inbound => rest,
        _ => input.recent.as_slice(),
    };
    for m in history {
        let role = match m.direction {
            Direction::Inbound => "user",
            Direction::Outbound => "assistant",
        };
        out.push(json!({ "role": role, "content": message_text(m) }));
    }
    out.push(json!({ "role": "user", "content": input_text(&input.message) }));
    out
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use omni_domain::{
        ConversationId, Currency, GeoPoint, MessageId, StoreId, StoreKind, StoreSettings,
    };
    use omni_ports::StoreProfile;

    use super::*;

    fn input(recent: Vec<Message>, message: CustomerInput) -> AgentInput {
        AgentInput {
            store: StoreProfile {
                id: StoreId::new(),
                name: "Lucky Shoes".into(),
                kind: StoreKind::Shop,
                currency: Currency::PKR,
                settings: StoreSettings::defaults(Currency::PKR),
            },
            menu: Vec::new(),
            payment_methods: Vec::new(),
            customer_name: None,
            state: "collecting_items".into(),
            context: json!({ "asked_size": true }),
            recent,
            order: None,
            message,
            window_open: false,
            feedback: Vec::new(),
        }
    }

    fn msg(direction: Direction, body: MessageBody) -> Message {
        Message::new(
            MessageId::new(),
            ConversationId::new(),
            direction,
            body,
            Utc::now(),
        )
    }

    #[test]
    fn only_a_trailing_inbound_message_is_taken_as_this_one() {
        let reply = msg(
            Direction::Outbound,
            MessageBody::Text {
                body: "Size?".into(),
            },
        );
        let pin = GeoPoint::new(24.8607, 67.0011, None, Some("DHA Phase 6".into()))
            .unwrap_or_else(|e| panic!("{e}"));
        let m = messages(&input(vec![reply], CustomerInput::Location { point: pin }));
        let roles: Vec<&str> = m.iter().filter_map(|t| t["role"].as_str()).collect();
        assert_eq!(roles, ["system", "assistant", "user"]);
        assert_eq!(
            m[2]["content"],
            "[shared a location pin: latitude 24.8607, longitude 67.0011; DHA Phase 6]"
        );
    }

    #[test]
    fn the_system_prompt_carries_state_context_and_a_closed_window() {
        let s = system(&input(
            Vec::new(),
            CustomerInput::Choice {
                id: "size_42".into(),
                title: "42".into(),
            },
        ));
        assert!(s.contains(r#""state":"collecting_items""#));
        assert!(s.contains(r#""context":{"asked_size":true}"#));
        assert!(s.contains(r#""window_open":false"#));
        assert!(s.contains("window is closed"));
        assert!(s.contains(r#""kind":"shop""#));
        assert_eq!(
            input_text(&CustomerInput::Choice {
                id: "size_42".into(),
                title: "42".into()
            }),
            "[tapped \"42\" (id size_42)]"
        );
    }
}

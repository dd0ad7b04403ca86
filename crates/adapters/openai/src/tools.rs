//! The functions the model may call: one per [`AgentAction`] variant, plus `reply_buttons`
//! and `request_location` for replies that are more than text. Arguments are checked here
//! (shape, ranges, button limits) so a bad call goes back to the model as a tool error in
//! the same turn; whether the item exists or the order may change is the core's call.

use omni_domain::GeoPoint;
use omni_ports::{AgentAction, AgentReply, Button};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// What a valid tool call asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ToolUse {
    /// A change for the core.
    Action(AgentAction),
    /// A reply message.
    Reply(AgentReply),
}

fn function(name: &str, description: &str, properties: &Value, required: &[&str]) -> Value {
    json!({
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": false,
            },
        },
    })
}

/// The `tools` array of every chat request.
pub(crate) fn definitions() -> Vec<Value> {
    let item =
        json!({ "type": "string", "description": "Menu item id (preferred) or exact name." });
    vec![
        function(
            "add_item",
            "Add an item to the customer's cart (a cart is opened when there is none).",
            &json!({
                "item": item,
                "quantity": { "type": "integer", "minimum": 1, "maximum": 99, "description": "How many; 1 when not said." },
                "variant": { "type": "string", "description": "Variant name, required for items with variants." },
            }),
            &["item", "quantity"],
        ),
        function(
            "remove_item",
            "Remove an item from the cart.",
            &json!({ "item": item }),
            &["item"],
        ),
        function(
            "set_quantity",
            "Set an item's quantity in the cart (0 removes it).",
            &json!({
                "item": item,
                "quantity": { "type": "integer", "minimum": 0, "maximum": 99 },
            }),
            &["item", "quantity"],
        ),
        function(
            "set_address",
            "Record the delivery address exactly as the customer wrote it.",
            &json!({ "address": { "type": "string" } }),
            &["address"],
        ),
        function(
            "set_location",
            "Record the delivery location pin the customer shared.",
            &json!({
                "latitude": { "type": "number", "minimum": -90, "maximum": 90 },
                "longitude": { "type": "number", "minimum": -180, "maximum": 180 },
                "name": { "type": "string" },
                "address": { "type": "string" },
            }),
            &["latitude", "longitude"],
        ),
        function(
            "choose_payment",
            "Record how the customer will pay.",
            &json!({ "method": { "type": "string", "description": "Payment method id (preferred), kind or label." } }),
            &["method"],
        ),
        function(
            "confirm_order",
            "Place the order, only after the customer clearly confirmed the summary, the address and the payment method. The store then sends the summary and payment instructions itself.",
            &json!({}),
            &[],
        ),
        function(
            "cancel_order",
            "Cancel the customer's open order, only when they ask to.",
            &json!({}),
            &[],
        ),
        function(
            "handover",
            "Hand the conversation to a person at the store (complaints, requests you cannot handle, the customer asks for a human).",
            &json!({ "reason": { "type": "string", "description": "Why, for the store owner." } }),
            &[],
        ),
        function(
            "reply_buttons",
            "Send a reply with up to 3 tap buttons instead of plain text.",
            &json!({
                "text": { "type": "string" },
                "buttons": {
                    "type": "array", "minItems": 1, "maxItems": 3,
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": { "type": "string" },
                            "title": { "type": "string", "maxLength": 20 },
                        },
                        "required": ["id", "title"],
                        "additionalProperties": false,
                    },
                },
            }),
            &["text", "buttons"],
        ),
        function(
            "request_location",
            "Ask the customer to share their location pin, with this text.",
            &json!({ "text": { "type": "string" } }),
            &["text"],
        ),
    ]
}

#[derive(Deserialize)]
struct AddItem {
    item: String,
    #[serde(default = "one")]
    quantity: u32,
    #[serde(default)]
    variant: Option<String>,
}

const fn one() -> u32 {
    1
}

#[derive(Deserialize)]
struct ItemOnly {
    item: String,
}

#[derive(Deserialize)]
struct SetQuantity {
    item: String,
    quantity: u32,
}

#[derive(Deserialize)]
struct SetAddress {
    address: String,
}

#[derive(Deserialize)]
struct SetLocation {
    latitude: f64,
    longitude: f64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    address: Option<String>,
}

#[derive(Deserialize)]
struct ChoosePayment {
    method: String,
}

#[derive(Deserialize)]
struct Handover {
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
struct ReplyButtons {
    text: String,
    buttons: Vec<Button>,
}

#[derive(Deserialize)]
struct TextOnly {
    text: String,
}

fn args<T: DeserializeOwned>(raw: &str) -> Result<T, String> {
    // Some compatible APIs send "" for a function without parameters.
    let raw = if raw.trim().is_empty() { "{}" } else { raw };
    serde_json::from_str(raw).map_err(|e| format!("invalid arguments: {e}"))
}

fn non_empty(field: &str, value: String) -> Result<String, String> {
    let value = value.trim().to_owned();
    if value.is_empty() {
        Err(format!("`{field}` must not be empty"))
    } else {
        Ok(value)
    }
}

fn non_blank(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Reads one tool call. `Err` is the message sent back to the model.
pub(crate) fn parse(name: &str, arguments: &str) -> Result<ToolUse, String> {
    let action = match name {
        "add_item" => {
            let a: AddItem = args(arguments)?;
            if !(1..=99).contains(&a.quantity) {
                return Err("`quantity` must be 1 to 99".to_owned());
            }
            AgentAction::AddItem {
                item: non_empty("item", a.item)?,
                quantity: a.quantity,
                variant: non_blank(a.variant),
            }
        }
        "remove_item" => AgentAction::RemoveItem {
            item: non_empty("item", args::<ItemOnly>(arguments)?.item)?,
        },
        "set_quantity" => {
            let a: SetQuantity = args(arguments)?;
            if a.quantity > 99 {
                return Err("`quantity` must be 0 to 99".to_owned());
            }
            AgentAction::SetQuantity {
                item: non_empty("item", a.item)?,
                quantity: a.quantity,
            }
        }
        "set_address" => AgentAction::SetAddress {
            address: non_empty("address", args::<SetAddress>(arguments)?.address)?,
        },
        "set_location" => {
            let a: SetLocation = args(arguments)?;
            let point = GeoPoint::new(
                a.latitude,
                a.longitude,
                non_blank(a.name),
                non_blank(a.address),
            )
            .map_err(|e| e.to_string())?;
            AgentAction::SetLocation { point }
        }
        "choose_payment" => AgentAction::ChoosePayment {
            method: non_empty("method", args::<ChoosePayment>(arguments)?.method)?,
        },
        "confirm_order" => {
            args::<Value>(arguments)?;
            AgentAction::ConfirmOrder
        }
        "cancel_order" => {
            args::<Value>(arguments)?;
            AgentAction::CancelOrder
        }
        "handover" => AgentAction::Handover {
            reason: non_blank(args::<Handover>(arguments)?.reason),
        },
        "reply_buttons" => return reply_buttons(args(arguments)?),
        "request_location" => {
            return Ok(ToolUse::Reply(AgentReply::LocationRequest {
                text: non_empty("text", args::<TextOnly>(arguments)?.text)?,
            }));
        }
        other => return Err(format!("unknown tool `{other}`")),
    };
    Ok(ToolUse::Action(action))
}

/// WhatsApp's limits: 1 to 3 buttons, titles of 1 to 20 characters, distinct ids.
fn reply_buttons(a: ReplyButtons) -> Result<ToolUse, String> {
    let text = non_empty("text", a.text)?;
    if !(1..=3).contains(&a.buttons.len()) {
        return Err("`buttons` must have 1 to 3 entries".to_owned());
    }
    let mut buttons: Vec<Button> = Vec::with_capacity(a.buttons.len());
    for b in a.buttons {
        let title = non_empty("title", b.title)?;
        if title.chars().count() > 20 {
            return Err(format!(
                "button title `{title}` is longer than 20 characters"
            ));
        }
        let id = non_empty("id", b.id)?;
        if buttons.iter().any(|x| x.id == id) {
            return Err(format!("button id `{id}` is used twice"));
        }
        buttons.push(Button { id, title });
    }
    Ok(ToolUse::Reply(AgentReply::Buttons { text, buttons }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_is_one_tool_per_action_and_every_one_parses() {
        let names: Vec<String> = definitions()
            .iter()
            .filter_map(|t| t["function"]["name"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(names.len(), 11);
        let calls = [
            (
                "add_item",
                r#"{"item":"i1","quantity":2,"variant":"Large"}"#,
            ),
            ("remove_item", r#"{"item":"i1"}"#),
            ("set_quantity", r#"{"item":"i1","quantity":0}"#),
            ("set_address", r#"{"address":"House 5, DHA"}"#),
            ("set_location", r#"{"latitude":24.86,"longitude":67.0}"#),
            ("choose_payment", r#"{"method":"cash_on_delivery"}"#),
            ("confirm_order", "{}"),
            ("cancel_order", ""),
            ("handover", r#"{"reason":"complaint"}"#),
            (
                "reply_buttons",
                r#"{"text":"Confirm?","buttons":[{"id":"yes","title":"Yes"}]}"#,
            ),
            ("request_location", r#"{"text":"Share your pin"}"#),
        ];
        for (name, arguments) in calls {
            assert!(names.iter().any(|n| n == name), "{name} not offered");
            assert!(parse(name, arguments).is_ok(), "{name} {arguments}");
        }
        assert_eq!(
            parse(
                "add_item",
                r#"{"item":" Zinger ","quantity":2,"variant":""}"#
            ),
            Ok(ToolUse::Action(AgentAction::AddItem {
                item: "Zinger".into(),
                quantity: 2,
                variant: None
            }))
        );
    }

    #[test]
    fn bad_calls_are_explained_not_panicked_on() {
        let err = |name: &str, arguments: &str| parse(name, arguments).err().unwrap_or_default();
        assert!(err("add_item", "{not json").starts_with("invalid arguments"));
        assert!(err("add_item", r#"{"quantity":1}"#).contains("missing field `item`"));
        assert!(err("add_item", r#"{"item":"x","quantity":0}"#).contains("1 to 99"));
        assert!(err("set_quantity", r#"{"item":"x","quantity":100}"#).contains("0 to 99"));
        assert!(err("set_location", r#"{"latitude":95,"longitude":0}"#).contains("latitude"));
        assert!(err("set_address", r#"{"address":"  "}"#).contains("must not be empty"));
        assert!(err("fly_to_moon", "{}").contains("unknown tool"));
        let four = r#"{"text":"t","buttons":[{"id":"a","title":"A"},{"id":"b","title":"B"},{"id":"c","title":"C"},{"id":"d","title":"D"}]}"#;
        assert!(err("reply_buttons", four).contains("1 to 3"));
        let long =
            r#"{"text":"t","buttons":[{"id":"a","title":"A title far longer than twenty"}]}"#;
        assert!(err("reply_buttons", long).contains("20 characters"));
    }
}

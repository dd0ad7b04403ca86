//! `OpenAiAgent` against the simulator: the tool-call loop, what the model is shown, and
//! every failure turning into `AgentError::Unavailable`.

use std::time::{Duration, Instant};

use omni_domain::{Direction, MessageBody};
use omni_meta_sim::{Endpoint, Fault, FaultRule, ScriptedChat, ScriptedToolCall};
use omni_openai::OpenAiAgent;
use omni_ports::{
    ActionRejected, AgentAction, AgentError, AgentReply, AiAgentPort, Button, CustomerInput,
    RejectReason, error_chain,
};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::common::{config, input, menu, message, sim, system_prompt, text};

fn agent(config: omni_openai::OpenAiConfig) -> OpenAiAgent {
    OpenAiAgent::new(config).unwrap_or_else(|e| panic!("agent: {e}"))
}

fn tool_names(request: &Value) -> Vec<String> {
    request["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .filter_map(|t| t["function"]["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn messages(request: &Value) -> Vec<Value> {
    request["messages"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_tool_call_round_trip_collects_the_actions_and_feeds_the_results_back() {
    // Arrange
    let sim = sim().await;
    let h = sim.handle();
    let menu = menu();
    let zinger = menu.zinger.id.to_string();
    h.push_chat_scripts([
        ScriptedChat::tool_call("add_item", &json!({ "item": zinger, "quantity": 2 }))
            .with_usage(400, 20),
        ScriptedChat::tool_call("confirm_order", &json!({})).with_usage(450, 10),
        ScriptedChat::content("Ji, 2 Zinger Burger ka order confirm ho gaya!").with_usage(470, 30),
    ]);
    let agent = agent(config(&sim));

    // Act
    let out = agent
        .respond(&input(&menu, "2 zinger burger bhej dein"))
        .await
        .unwrap_or_else(|e| panic!("respond: {}", error_chain(&e)));

    // Assert
    assert_eq!(agent.name(), "llm");
    assert_eq!(
        out.actions,
        vec![
            AgentAction::AddItem {
                item: zinger.clone(),
                quantity: 2,
                variant: None
            },
            AgentAction::ConfirmOrder
        ]
    );
    assert_eq!(
        out.replies,
        vec![AgentReply::text(
            "Ji, 2 Zinger Burger ka order confirm ho gaya!"
        )]
    );
    assert_eq!(out.tokens_used, 420 + 460 + 500);
    assert!(h.pending_chat_scripts().is_empty());

    let requests = h.chat_requests();
    assert_eq!(requests.len(), 3);
    assert!(h.openai_requests().iter().all(|r| r.authorized));
    let first = &requests[0];
    assert_eq!(first["model"], "gpt-4o-mini");
    assert_eq!(first["tool_choice"], "auto");
    let names = tool_names(first);
    for action in [
        "add_item",
        "remove_item",
        "set_quantity",
        "set_address",
        "set_location",
        "choose_payment",
        "confirm_order",
        "cancel_order",
        "handover",
        "reply_buttons",
    ] {
        assert!(names.iter().any(|n| n == action), "{action} not offered");
    }
    let system = system_prompt(first);
    assert!(system.contains("Karachi Grill"));
    assert!(system.contains(&zinger), "menu ids in the prompt");
    assert!(system.contains(r#""name":"Zinger Burger""#));
    assert!(system.contains(r#""price":"Rs 650","price_minor":65000"#));
    assert!(system.contains(r#""name":"Large","price":"Rs 2,100""#));
    assert!(system.contains(r#""available":false"#), "biryani is marked");
    assert!(system.contains(&menu.jazzcash.id.to_string()));
    assert!(system.contains(r#""minimum_order":"Rs 500""#));
    let turns: Vec<(String, String)> = messages(first)
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap_or_default().to_owned(),
                m["content"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        turns[1..],
        [
            ("user".to_owned(), "salam".to_owned()),
            (
                "assistant".to_owned(),
                "Wa alaikum salam! Kya order karenge?".to_owned()
            ),
            ("user".to_owned(), "2 zinger burger bhej dein".to_owned()),
        ],
        "history, then this message once"
    );

    let second = messages(&requests[1]);
    assert_eq!(second.len(), messages(first).len() + 2);
    let call = &second[second.len() - 2];
    assert_eq!(call["role"], "assistant");
    assert_eq!(call["tool_calls"][0]["function"]["name"], "add_item");
    let result = &second[second.len() - 1];
    assert_eq!(result["role"], "tool");
    assert_eq!(result["tool_call_id"], call["tool_calls"][0]["id"]);
    assert_eq!(result["content"], r#"{"ok":true}"#);
    let third = messages(&requests[2]);
    assert_eq!(third.len(), second.len() + 2);
    assert_eq!(
        third[third.len() - 2]["tool_calls"][0]["function"]["name"],
        "confirm_order"
    );
}

#[tokio::test]
async fn bad_tool_arguments_are_answered_with_errors_and_the_model_can_correct_them() {
    let sim = sim().await;
    let h = sim.handle();
    let menu = menu();
    h.push_chat_scripts([
        ScriptedChat::tool_calls(vec![
            ScriptedToolCall::raw("add_item", "{not json"),
            ScriptedToolCall::new("add_item", &json!({ "quantity": 1 })),
            ScriptedToolCall::new("order_pizza", &json!({})),
            ScriptedToolCall::new(
                "set_location",
                &json!({ "latitude": 124.0, "longitude": 67.0 }),
            ),
        ]),
        ScriptedChat::tool_call(
            "add_item",
            &json!({ "item": "Zinger Burger", "quantity": 1 }),
        ),
        ScriptedChat::content("Ek Zinger Burger add kar diya."),
    ]);

    let out = agent(config(&sim))
        .respond(&input(&menu, "ek zinger"))
        .await
        .unwrap_or_else(|e| panic!("respond: {}", error_chain(&e)));

    assert_eq!(
        out.actions,
        vec![AgentAction::AddItem {
            item: "Zinger Burger".into(),
            quantity: 1,
            variant: None
        }]
    );
    assert_eq!(
        out.replies,
        vec![AgentReply::text("Ek Zinger Burger add kar diya.")]
    );
    let second = messages(&h.chat_requests()[1]);
    let results: Vec<Value> = second[second.len() - 4..]
        .iter()
        .map(|m| {
            assert_eq!(m["role"], "tool");
            serde_json::from_str(m["content"].as_str().unwrap_or_default()).unwrap_or_default()
        })
        .collect();
    assert!(results.iter().all(|r| r["ok"] == false), "{results:?}");
    let errors: Vec<&str> = results
        .iter()
        .map(|r| r["error"].as_str().unwrap_or_default())
        .collect();
    assert!(errors[0].contains("invalid arguments"), "{}", errors[0]);
    assert!(errors[1].contains("missing field `item`"), "{}", errors[1]);
    assert!(
        errors[2].contains("unknown tool `order_pizza`"),
        "{}",
        errors[2]
    );
    assert!(errors[3].contains("latitude"), "{}", errors[3]);
}

#[tokio::test]
async fn plain_content_is_a_text_reply_after_a_single_call() {
    let sim = sim().await;
    let out = agent(config(&sim))
        .respond(&input(&menu(), "menu dikhayen"))
        .await
        .unwrap_or_else(|e| panic!("respond: {}", error_chain(&e)));
    assert_eq!(out.replies, vec![AgentReply::text("OK")]);
    assert!(out.actions.is_empty());
    assert!(out.tokens_used > 0);
    assert_eq!((out.state, out.context), (None, None));
    assert_eq!(sim.handle().chat_requests().len(), 1);
}

#[tokio::test]
async fn reply_buttons_and_location_requests_become_rich_replies() {
    let sim = sim().await;
    sim.handle().push_chat_scripts([
        ScriptedChat::tool_calls(vec![
            ScriptedToolCall::new("choose_payment", &json!({ "method": "jazzcash" })),
            ScriptedToolCall::new(
                "reply_buttons",
                &json!({ "text": "Order confirm karein?", "buttons": [
                    { "id": "confirm", "title": "Haan" }, { "id": "cancel", "title": "Nahi" }] }),
            ),
            ScriptedToolCall::new(
                "request_location",
                &json!({ "text": "Apni location bhejein" }),
            ),
        ]),
        ScriptedChat::content(""),
    ]);
    let out = agent(config(&sim))
        .respond(&input(&menu(), "jazzcash se"))
        .await
        .unwrap_or_else(|e| panic!("respond: {}", error_chain(&e)));
    assert_eq!(
        out.actions,
        vec![AgentAction::ChoosePayment {
            method: "jazzcash".into()
        }]
    );
    assert_eq!(
        out.replies,
        vec![
            AgentReply::Buttons {
                text: "Order confirm karein?".into(),
                buttons: vec![
                    Button {
                        id: "confirm".into(),
                        title: "Haan".into()
                    },
                    Button {
                        id: "cancel".into(),
                        title: "Nahi".into()
                    },
                ]
            },
            AgentReply::LocationRequest {
                text: "Apni location bhejein".into()
            },
        ]
    );
}

#[tokio::test]
async fn the_tool_round_limit_stops_the_loop_and_keeps_the_actions() {
    let sim = sim().await;
    let h = sim.handle();
    h.push_chat_scripts([
        ScriptedChat::tool_call("set_address", &json!({ "address": "House 5, DHA" })),
        ScriptedChat::tool_call("choose_payment", &json!({ "method": "cash" })),
        ScriptedChat::tool_call("confirm_order", &json!({})),
    ]);
    let out = agent(config(&sim).with_max_tool_rounds(1))
        .respond(&input(&menu(), "DHA, cash"))
        .await
        .unwrap_or_else(|e| panic!("respond: {}", error_chain(&e)));
    assert_eq!(out.actions.len(), 2, "{:?}", out.actions);
    assert_eq!(h.chat_requests().len(), 2);
    assert_eq!(h.pending_chat_scripts().len(), 1, "no third call");
}

#[tokio::test]
async fn feedback_voice_history_and_the_open_order_reach_the_model() {
    let sim = sim().await;
    let h = sim.handle();
    h.push_chat_script(ScriptedChat::tool_call(
        "handover",
        &json!({ "reason": "wants a discount" }),
    ));
    let menu = menu();
    let mut input = input(&menu, "unused");
    let mut voice = message(
        Direction::Inbound,
        MessageBody::Audio {
            media_id: "m1".into(),
            voice: true,
        },
    );
    voice.transcript = Some("discount milega?".into());
    input.recent = vec![text(Direction::Outbound, "Aap ka order?"), voice];
    input.message = CustomerInput::Voice {
        transcript: "discount milega?".into(),
    };
    input.feedback = vec![ActionRejected {
        action: AgentAction::ConfirmOrder,
        reason: RejectReason::BelowMinimum,
        message: "Minimum order is Rs 500".into(),
    }];
    let mut order = omni_domain::Order::new(
        omni_domain::CustomerId::new(),
        omni_domain::Currency::PKR,
        chrono::Utc::now(),
    );
    order.items.push(omni_domain::OrderItem {
        menu_item_id: menu.zinger.id,
        name: "Zinger Burger".into(),
        unit_price: menu.zinger.price,
        quantity: 1,
        variant: None,
    });
    order.delivery_address = Some("House 5, DHA".into());
    input.order = Some(order);

    let out = agent(config(&sim))
        .respond(&input)
        .await
        .unwrap_or_else(|e| panic!("respond: {}", error_chain(&e)));

    assert_eq!(
        out.actions,
        vec![AgentAction::Handover {
            reason: Some("wants a discount".into())
        }]
    );
    assert_eq!(
        out.replies,
        vec![AgentReply::text("OK")],
        "the unscripted second call"
    );
    let request = &h.chat_requests()[0];
    let system = system_prompt(request);
    assert!(system.contains(r#""reason":"below_minimum""#), "{system}");
    assert!(system.contains("Minimum order is Rs 500"));
    assert!(system.contains(r#""action":"confirm_order""#));
    assert!(system.contains(r#""delivery_address":"House 5, DHA""#));
    assert!(system.contains(r#""subtotal":"Rs 650""#));
    assert!(system.contains(r#""status":"cart""#));
    let turns = messages(request);
    assert_eq!(
        turns.len(),
        3,
        "system, the outbound message, this voice note once"
    );
    assert_eq!(turns[1]["role"], "assistant");
    assert_eq!(turns[2]["role"], "user");
    assert!(
        turns[2]["content"]
            .as_str()
            .is_some_and(|c| c.contains("voice note") && c.contains("discount milega?"))
    );
}

fn assert_unavailable(result: Result<omni_ports::AgentOutput, AgentError>) -> String {
    match result {
        Err(e @ AgentError::Unavailable(_)) => error_chain(&e),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_unavailable() {
    let sim = sim().await;
    let h = sim.handle();
    let agent = agent(config(&sim));
    let input = input(&menu(), "hi");

    h.push_chat_script(ScriptedChat::error(500, "boom"));
    let chain = assert_unavailable(agent.respond(&input).await);
    assert!(chain.contains("500"), "{chain}");

    h.inject_fault(FaultRule::times(
        Endpoint::OpenAiChat,
        Fault::RateLimited {
            code: 0,
            retry_after: Some(Duration::from_secs(20)),
        },
        1,
    ));
    let chain = assert_unavailable(agent.respond(&input).await);
    assert!(chain.contains("429"), "{chain}");

    // A failure in a later round loses the whole turn: the core falls back.
    h.push_chat_scripts([
        ScriptedChat::tool_call(
            "add_item",
            &json!({ "item": "Zinger Burger", "quantity": 1 }),
        ),
        ScriptedChat::error(503, "overloaded"),
    ]);
    assert_unavailable(agent.respond(&input).await);

    h.inject_fault(FaultRule::times(
        Endpoint::OpenAiChat,
        Fault::ConnectionReset,
        1,
    ));
    assert_unavailable(agent.respond(&input).await);
    assert!(
        agent.respond(&input).await.is_ok(),
        "recovers once the faults are used up"
    );
}

#[tokio::test]
async fn a_stall_longer_than_the_timeout_is_unavailable_within_the_timeout() {
    let sim = sim().await;
    sim.handle()
        .push_chat_script(ScriptedChat::stall(Duration::from_secs(10)));
    let agent = agent(config(&sim).with_timeout(Duration::from_millis(400)));
    let started = Instant::now();
    let chain = assert_unavailable(agent.respond(&input(&menu(), "hi")).await);
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert!(chain.contains("timed out"), "{chain}");
}

#[tokio::test]
async fn a_wrong_key_is_unavailable_and_not_repeated_in_the_error() {
    let sim = sim().await;
    let key = "sk-wrong-canary-key-123456";
    let mut config = config(&sim);
    config.api_key = SecretString::from(key);
    let chain = assert_unavailable(agent(config).respond(&input(&menu(), "hi")).await);
    assert!(
        chain.contains("401") && chain.contains("refused"),
        "{chain}"
    );
    assert!(
        !chain.contains("canary") && !chain.contains("3456"),
        "{chain}"
    );
    assert!(!sim.handle().openai_requests()[0].authorized);
}

#[tokio::test]
async fn an_answer_with_nothing_usable_is_unavailable() {
    let sim = sim().await;
    let h = sim.handle();
    let agent = agent(config(&sim).with_max_tool_rounds(0));
    let input = input(&menu(), "hi");

    h.push_chat_script(ScriptedChat::content("   "));
    let chain = assert_unavailable(agent.respond(&input).await);
    assert!(chain.contains("neither"), "{chain}");

    h.push_chat_script(ScriptedChat::tool_calls(vec![ScriptedToolCall::raw(
        "add_item", "{",
    )]));
    assert_unavailable(agent.respond(&input).await);

    let nowhere = omni_openai::OpenAiConfig::new(SecretString::from("k"), "m")
        .with_base_url("http://127.0.0.1:9/v1")
        .with_timeout(Duration::from_secs(2));
    assert_unavailable(self::agent(nowhere).respond(&input).await);
}

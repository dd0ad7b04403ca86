//! The model agent through the simulator's OpenAI-compatible chat completions: a tool-call
//! round trip, an action the core refuses fed back, a failing model falling back to the
//! rule-based agent, and the daily token budget.

use omni_meta_sim::openai::DEFAULT_API_KEY;
use omni_meta_sim::{OpenAiEndpoint, ScriptedChat, SimConfig};
use serde_json::json;

use super::kitchen::{Customer, karachi_grill, shown};
use crate::support::pipeline::{Engine, Harness};

async fn with_model(budget: &str) -> Option<Harness> {
    Harness::start_with(
        Engine::Postgres,
        SimConfig::default(),
        &[
            ("OMNI_AGENT__LLM_BASE_URL", "{openai}"),
            ("OMNI_AGENT__LLM_API_KEY", DEFAULT_API_KEY),
            ("OMNI_AGENT__LLM_TIMEOUT_SECS", "2"),
            ("OMNI_AGENT__DAILY_TOKEN_BUDGET", budget),
        ],
    )
    .await
}

#[actix_web::test]
async fn the_models_tool_calls_change_the_order_and_its_words_are_sent() {
    let Some(h) = with_model("100000").await else {
        return;
    };
    let r = karachi_grill(&h).await;
    let zinger = r.item("Zinger Burger").id.to_string();
    let sim = h.sim();
    sim.push_chat_scripts([
        ScriptedChat::tool_call("add_item", &json!({"item": zinger, "quantity": 2}))
            .with_usage(900, 30),
        ScriptedChat::content("Done! 2 Zinger Burgers are in your cart. Anything else?")
            .with_usage(950, 20),
    ]);
    let ali = Customer::new(&h, &r, "923001234567", "Ali");
    let replies = ali.say("do zinger de do").await;
    assert_eq!(
        replies.iter().map(shown).collect::<Vec<_>>(),
        vec!["Done! 2 Zinger Burgers are in your cart. Anything else?"]
    );
    let order = ali.order().await.unwrap();
    assert_eq!(
        (order.items[0].menu_item_id, order.items[0].quantity),
        (r.item("Zinger Burger").id, 2)
    );
    // The first request offered the tools and the menu; the second carried the tool result.
    let requests = sim.chat_requests();
    assert_eq!(requests.len(), 2);
    let tools: Vec<&str> = requests[0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    for name in [
        "add_item",
        "remove_item",
        "set_quantity",
        "set_address",
        "set_location",
        "choose_payment",
        "confirm_order",
        "cancel_order",
        "handover",
    ] {
        assert!(tools.contains(&name), "{name} offered: {tools:?}");
    }
    assert!(
        requests[0].to_string().contains(&zinger),
        "the menu with ids is in the context"
    );
    let last = requests[1]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["role"], "tool");
    // The tokens count against the store's day.
    let today = chrono::Utc::now().date_naive();
    let spent = h
        .state
        .services
        .ports
        .commerce_repo
        .agent_tokens(r.store.id, today)
        .await
        .unwrap();
    assert_eq!(spent, 930 + 970);
    h.stop().await;
}

#[actix_web::test]
async fn a_refused_action_is_fed_back_and_a_failing_model_falls_back_to_the_rules() {
    let Some(h) = with_model("100000").await else {
        return;
    };
    let r = karachi_grill(&h).await;
    let sim = h.sim();
    // The model asks for a dish the store does not have; the core refuses and tells it.
    sim.push_chat_scripts([
        ScriptedChat::tool_call("add_item", &json!({"item": "Nihari", "quantity": 1})),
        ScriptedChat::content("Added Nihari!"),
        ScriptedChat::content("Sorry, we don't serve Nihari. Would you like a Zinger Burger?"),
    ]);
    let ali = Customer::new(&h, &r, "923001234567", "Ali");
    let replies = ali.say("1 nihari please").await;
    assert_eq!(
        replies.iter().map(shown).collect::<Vec<_>>(),
        vec!["Sorry, we don't serve Nihari. Would you like a Zinger Burger?"],
        "the first attempt's words are dropped"
    );
    assert!(ali.order().await.is_none());
    let requests = sim.chat_requests();
    assert_eq!(requests.len(), 3);
    let system = requests[2]["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains(r#"we don't have \"Nihari\" on our menu"#),
        "the refusal reached the model: {system}"
    );

    // The model fails: the rule-based agent answers instead.
    sim.push_chat_script(ScriptedChat::error(500, "overloaded"));
    let replies = ali.say("1 zinger burger").await;
    assert!(
        shown(&replies[0]).starts_with("Added 1 × Zinger Burger."),
        "{}",
        shown(&replies[0])
    );
    // And a stall past the timeout too.
    sim.push_chat_script(ScriptedChat::stall(std::time::Duration::from_secs(5)));
    let replies = ali.say("1 fries").await;
    assert!(
        shown(&replies[0]).starts_with("Added 1 × Fries."),
        "{}",
        shown(&replies[0])
    );
    let order = ali.order().await.unwrap();
    assert_eq!(order.items.len(), 2);
    h.stop().await;
}

#[actix_web::test]
async fn past_the_daily_token_budget_the_rules_answer_without_calling_the_model() {
    let Some(h) = with_model("500").await else {
        return;
    };
    let r = karachi_grill(&h).await;
    let sim = h.sim();
    sim.push_chat_script(ScriptedChat::content("Welcome!").with_usage(600, 10));
    let ali = Customer::new(&h, &r, "923001234567", "Ali");
    assert_eq!(shown(&ali.say("hi").await[0]), "Welcome!");
    let before = sim.requests_to(OpenAiEndpoint::ChatCompletions).len();
    let replies = ali.say("2 zinger burgers").await;
    assert!(shown(&replies[0]).starts_with("Added 2 × Zinger Burger."));
    assert_eq!(
        sim.requests_to(OpenAiEndpoint::ChatCompletions).len(),
        before,
        "budget spent: no model call"
    );
    h.stop().await;
}
